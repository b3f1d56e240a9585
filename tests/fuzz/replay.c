/* replay.c: runs a libFuzzer target's LLVMFuzzerTestOneInput over every
 * file in a corpus folder, so ctest replays the corpus (and any crash
 * reproducers checked in) on every build. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    size_t count = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 2;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
        if (buf && (n <= 0 || fread(buf, 1, (size_t)n, f) == (size_t)n)) {
            LLVMFuzzerTestOneInput(buf, n > 0 ? (size_t)n : 0);
            count++;
        }
        free(buf);
        fclose(f);
    }
    closedir(d);
    if (count == 0) {
        fprintf(stderr, "no corpus files in %s\n", argv[1]);
        return 1;
    }
    printf("%zu passed, 0 failed\n", count);
    return 0;
}
