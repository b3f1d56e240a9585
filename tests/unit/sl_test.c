/* sl_test.c: the unit-test harness. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sl_test.h"

int sl_test_failures_;

int sl_test_run(const sl_test_case *cases, size_t n)
{
    size_t passed = 0, failed = 0;

    for (size_t i = 0; i < n; i++) {
        int before = sl_test_failures_;
        cases[i].fn();
        if (sl_test_failures_ == before) {
            passed++;
            printf("ok   %s\n", cases[i].name);
        } else {
            failed++;
            printf("FAIL %s\n", cases[i].name);
        }
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed ? 1 : 0;
}

char *sl_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *p;

    if (!base || !*base)
        base = "/tmp";
    if (asprintf(&p, "%s/sltest.XXXXXX", base) < 0)
        return NULL;
    if (!mkdtemp(p)) {
        free(p);
        return NULL;
    }
    return p;
}

int sl_test_sh(const char *fmt, ...)
{
    char *cmd;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vasprintf(&cmd, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    rc = system(cmd);
    free(cmd);
    return rc;
}

int sl_test_write(const char *path, const char *content)
{
    char *dir = strdup(path), *slash;
    FILE *f;

    for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(dir, 0755);
        *slash = '/';
    }
    free(dir);
    f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs(content, f);
    return fclose(f) ? -1 : 0;
}

const char *sl_test_shared_dir(void)
{
    const char *d = getenv("SL_SHARED_DIR");
    return d && *d ? d : "../shared";
}
