/* sl-jinja: render one template with sluice's engine, for the differential
 * tests against Jinja2 and Nunjucks and for the benchmark.
 *   sl-jinja [--nunjucks] [--backstage] [--keep-trailing-newline] [--value]
 *            [--times N [--fresh]] TEMPLATE CONTEXT.json
 * Prints the output (or, with --value, the JSON of sl_jinja_eval_value);
 * --times renders N times with one prepared context (sl_jinja_render_n);
 * with --fresh each render prepares the context again (sl_jinja_render),
 * as a caller with a new context every time would;
 * errors go to stderr as file:line:col: message, exit status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../renderers/template/jinja.h"
#include "sl_buf.h"

int main(int argc, char **argv)
{
    sl_jinja_opts o = {0};
    const char *tpath = NULL, *cpath = NULL;
    sl_buf src = SL_BUF_INIT, ctxb = SL_BUF_INIT, out = SL_BUF_INIT;
    sl_jinja *t = NULL;
    cJSON *ctx = NULL;
    sl_error err;
    char msg[2048];
    long times = 1;
    int value = 0, fresh = 0, rc = 1;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--nunjucks"))
            o.dialect = SL_JINJA_NUNJUCKS;
        else if (!strcmp(argv[i], "--backstage"))
            o.backstage_delims = 1;
        else if (!strcmp(argv[i], "--keep-trailing-newline"))
            o.keep_trailing_newline = 1;
        else if (!strcmp(argv[i], "--value"))
            value = 1;
        else if (!strcmp(argv[i], "--fresh"))
            fresh = 1;
        else if (!strcmp(argv[i], "--times") && i + 1 < argc)
            times = atol(argv[++i]);
        else if (!tpath)
            tpath = argv[i];
        else if (!cpath)
            cpath = argv[i];
        else {
            fprintf(stderr, "usage: sl-jinja [--nunjucks] [--backstage] [--keep-trailing-newline] "
                            "[--value] [--times N [--fresh]] TEMPLATE CONTEXT.json\n");
            return 2;
        }
    }
    if (!tpath || !cpath) {
        fprintf(stderr, "usage: sl-jinja [options] TEMPLATE CONTEXT.json\n");
        return 2;
    }
    sl_error_clear(&err);
    if (sl_file_read(tpath, 0, &src, &err) || sl_file_read(cpath, 0, &ctxb, &err)) {
        fprintf(stderr, "%s\n", sl_error_format(&err, msg, sizeof(msg)));
        goto out;
    }
    if (!(ctx = cJSON_Parse(ctxb.ptr ? ctxb.ptr : "{}"))) {
        fprintf(stderr, "%s: invalid JSON\n", cpath);
        goto out;
    }
    o.file = tpath;
    o.line = o.col = 1;
    if (value) {
        cJSON *v = NULL;
        char *s;
        if (sl_jinja_eval_value(src.ptr ? src.ptr : "", src.len, &o, ctx, &v, &err)) {
            fprintf(stderr, "%s\n", sl_error_format(&err, msg, sizeof(msg)));
            goto out;
        }
        s = cJSON_PrintUnformatted(v);
        printf("%s\n", s ? s : "null");
        free(s);
        cJSON_Delete(v);
        rc = 0;
        goto out;
    }
    if (sl_jinja_parse(src.ptr ? src.ptr : "", src.len, &o, &t, &err)) {
        fprintf(stderr, "%s\n", sl_error_format(&err, msg, sizeof(msg)));
        goto out;
    }
    if (fresh) {
        for (long i = 0; i < times; i++) {
            sl_buf_reset(&out);
            if (sl_jinja_render(t, ctx, &out, &err)) {
                fprintf(stderr, "%s\n", sl_error_format(&err, msg, sizeof(msg)));
                goto out;
            }
        }
    } else if (times > 1 ? sl_jinja_render_n(t, ctx, &out, (size_t)times, &err)
                         : sl_jinja_render(t, ctx, &out, &err)) {
        fprintf(stderr, "%s\n", sl_error_format(&err, msg, sizeof(msg)));
        goto out;
    }
    fwrite(out.ptr ? out.ptr : "", 1, out.len, stdout);
    rc = 0;
out:
    sl_jinja_free(t);
    cJSON_Delete(ctx);
    sl_buf_free(&src);
    sl_buf_free(&ctxb);
    sl_buf_free(&out);
    return rc;
}
