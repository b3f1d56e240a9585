/* gotmpl-run: executes the cases of a template case file with sluice's
 * Go-template engine and prints one result per case, in the format
 * tests/gotmpl/gorun.go prints for Go's text/template, so the two can be
 * compared byte for byte (tests/integration/test_gotmpl_go.sh).
 *
 * Case file: blocks of
 *   === NAME
 *   JSON data (one line; "null" for nil)
 *   ---
 *   template text up to the next "=== " line (its final newline dropped)
 * Output per case: "=== NAME\nOK <len>\n<bytes>\n" or "=== NAME\nERR\n". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../renderers/score/gotmpl.h"

int main(int argc, char **argv)
{
    sl_buf file = SL_BUF_INIT;
    sl_error err;

    if (argc != 2) {
        fprintf(stderr, "usage: gotmpl-run CASES\n");
        return 2;
    }
    if (sl_file_read(argv[1], 0, &file, &err)) {
        fprintf(stderr, "gotmpl-run: %s: %s\n", argv[1], err.msg);
        return 2;
    }
    char *p = file.ptr, *end = file.ptr + file.len;
    while (p && p < end) {
        char *name, *data, *tmpl, *next, *nl;
        if (strncmp(p, "=== ", 4)) {
            p = strchr(p, '\n');
            p = p ? p + 1 : NULL;
            continue;
        }
        name = p + 4;
        nl = strchr(name, '\n');
        if (!nl)
            break;
        *nl = 0;
        data = nl + 1;
        nl = strchr(data, '\n');
        if (!nl)
            break;
        *nl = 0;
        if (strncmp(nl + 1, "---\n", 4))
            break;
        tmpl = nl + 5;
        next = strstr(tmpl, "\n=== ");
        size_t tl = next ? (size_t)(next - tmpl) : strlen(tmpl);
        if (tl && tmpl[tl - 1] == '\n')
            tl--;
        cJSON *d = cJSON_Parse(data);
        sl_gotmpl *t = NULL;
        sl_buf out = SL_BUF_INIT;
        int rc = sl_gotmpl_parse(name, 1, 1, tmpl, tl, &t, &err);
        if (!rc)
            rc = sl_gotmpl_exec(t, d, &out, &err);
        printf("=== %s\n", name);
        if (rc) {
            printf("ERR\n");
            if (getenv("GOTMPL_RUN_VERBOSE"))
                fprintf(stderr, "%s: %s\n", name, err.msg);
        } else {
            printf("OK %zu\n", out.len);
            fwrite(out.ptr ? out.ptr : "", 1, out.len, stdout);
            printf("\n");
        }
        sl_buf_free(&out);
        sl_gotmpl_free(t);
        cJSON_Delete(d);
        p = next ? next + 1 : NULL;
    }
    sl_buf_free(&file);
    return 0;
}
