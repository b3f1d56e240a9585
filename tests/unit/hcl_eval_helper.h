/* hcl_eval_helper.h: evaluate an HCL expression for the HCL unit tests and
 * return its JSON (or the first diagnostic). */
#ifndef HCL_EVAL_HELPER_H
#define HCL_EVAL_HELPER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../renderers/module/hcl.h"

/* Evaluate src with vars (JSON object text or NULL) and fs (may be NULL).
 * Returns a malloc'd string: the value's JSON, or "ERROR: summary: detail
 * @line:col" on failure. */
static char *hcl_eval_str(const char *src, const char *vars_json, const sl_hcl_fs *fs)
{
    sl_hcl_diags d = {0};
    sl_hcl_file *f = NULL;
    sl_hcl_expr *e = NULL;
    sl_hcl_ctx ctx = {0};
    const sl_hcl_value *v;
    char *res = NULL;
    int rc;

    sl_hcl_arena_new(0, &ctx.arena);
    ctx.diags = &d;
    ctx.fs = fs;
    if (vars_json) {
        cJSON *j = cJSON_Parse(vars_json);
        if (!j || sl_hcl_value_from_json(ctx.arena, j, &ctx.vars)) {
            cJSON_Delete(j);
            sl_hcl_arena_free(ctx.arena);
            return strdup("BAD VARS");
        }
        cJSON_Delete(j);
    }
    rc = sl_hcl_parse_expr("test.hcl", src, strlen(src), NULL, &f, &e, &d);
    ctx.file = f;
    if (!rc)
        rc = sl_hcl_eval(&ctx, e, &v);
    if (rc) {
        if (d.n && asprintf(&res, "ERROR: %s: %s @%d:%d", d.v[0].summary, d.v[0].detail,
                            d.v[0].subject.start.line, d.v[0].subject.start.col) < 0)
            res = NULL;
        if (!res)
            res = strdup("ERROR");
    } else {
        sl_buf b = SL_BUF_INIT;
        sl_hcl_value_write_json(v, &b);
        res = strdup(b.ptr ? b.ptr : "");
        sl_buf_free(&b);
    }
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);
    sl_hcl_arena_free(ctx.arena);
    return res;
}

#define CHECK_EVAL(src, want)                                                                     \
    do {                                                                                          \
        char *got_ = hcl_eval_str((src), NULL, NULL);                                             \
        SL_CHECK_STR(got_, (want));                                                               \
        free(got_);                                                                               \
    } while (0)

#define CHECK_EVAL_ERR(src, needle)                                                               \
    do {                                                                                          \
        char *got_ = hcl_eval_str((src), NULL, NULL);                                             \
        SL_CHECK(!strncmp(got_, "ERROR", 5));                                                     \
        SL_CHECK_HAS(got_, (needle));                                                             \
        free(got_);                                                                               \
    } while (0)

#endif
