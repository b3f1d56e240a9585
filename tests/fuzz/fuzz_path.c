/* fuzz_path.c: path normalisation, the confinement gate of every snapshot. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl_snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    sl_buf out = SL_BUF_INIT;
    sl_error err;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (sl_path_normalize(s, &out, &err) == 0) {
        const char *p = out.ptr ? out.ptr : "";
        /* A normalised path never leaves the root. */
        if (p[0] == '/' || !strcmp(p, "..") || !strncmp(p, "../", 3) || strstr(p, "/../") ||
            (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")) || strstr(p, "//"))
            abort();
    }
    sl_buf_free(&out);
    free(s);
    return 0;
}
