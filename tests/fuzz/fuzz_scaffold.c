/* fuzz_scaffold.c: the parsers and gates of `sluice scaffold` below the
 * template engine: rendered-path confinement, symlink targets, globs, the
 * root Location edit and Backstage's repoUrl. Input: "A\nB\n<rest>". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../renderers/template/scaffold_int.h"

/* A joined path never leaves the root: no leading '/', no ".." segment. */
static void check_joined(const char *p)
{
    if (p[0] == '/' || strstr(p, "//"))
        abort();
    for (const char *s = p; *s;) {
        size_t n = strcspn(s, "/");
        if ((n == 2 && s[0] == '.' && s[1] == '.') || (n == 1 && s[0] == '.'))
            abort();
        s += n;
        if (*s)
            s++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1), *a, *b, *nl, *out = NULL, *h, *o, *r;
    sl_buf buf = SL_BUF_INIT;
    sl_error err;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    a = s;
    nl = strchr(a, '\n');
    b = nl ? (*nl = '\0', nl + 1) : a + strlen(a);
    nl = strchr(b, '\n');
    if (nl)
        *nl = '\0';
    if (sc_path_join(a, b, "fuzz", &buf, &err) == 0)
        check_joined(buf.ptr ? buf.ptr : "");
    (void)sc_link_inside(a, b);
    (void)sc_glob_match(a, b, 0);
    (void)sc_glob_match(a, b, 1);
    (void)sc_is_binary((const char *)data, size);
    if (sc_parse_repo_url(a, &h, &o, &r) == 0) {
        if (strchr(o, '/') || strchr(r, '/'))
            abort();
        free(h);
        free(o);
        free(r);
    }
    if (nl && sc_location_append(nl + 1, b, &out) == 0 && out) {
        if (!strstr(out, b))
            abort();
        free(out);
    }
    sl_buf_free(&buf);
    free(s);
    return 0;
}
