/* fuzz_hcl.c: the HCL engine on arbitrary bytes. Every parse either
 * succeeds or reports diagnostics whose ranges lie inside the input; a
 * successful parse converts to hcl2json JSON, and every attribute
 * evaluates (built-in functions, no files) to a value or a diagnostic. The
 * same bytes are also parsed as a template and as an expression. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../renderers/module/hcl.h"

static void must(int ok)
{
    if (!ok)
        abort();
}

static void check_diags(const sl_hcl_diags *d, size_t len)
{
    for (size_t i = 0; i < d->n; i++) {
        const sl_hcl_diag *dg = &d->v[i];
        must(dg->summary && dg->summary[0] && dg->detail);
        if (!dg->has_subject)
            continue;
        must(dg->subject.start.byte <= dg->subject.end.byte);
        must(dg->subject.end.byte <= len + 1);
        must(dg->subject.start.line >= 1 && dg->subject.start.col >= 1);
    }
}

static void eval_body(const sl_hcl_file *f, const sl_hcl_body *b, sl_hcl_arena *a, int depth)
{
    if (depth > 20)
        return;
    for (size_t i = 0; i < b->nattrs; i++) {
        sl_hcl_diags d = {0};
        sl_hcl_ctx ctx = {0};
        const sl_hcl_value *v;
        ctx.arena = a;
        ctx.file = f;
        ctx.diags = &d;
        if (sl_hcl_eval(&ctx, b->attrs[i].expr, &v) == 0) {
            sl_buf out = SL_BUF_INIT;
            must(v != NULL);
            must(sl_hcl_value_write_json(v, &out) == 0 || out.len > 0);
            sl_buf_free(&out);
        } else {
            must(d.n > 0 || sl_hcl_arena_used(a) > 0);
            check_diags(&d, f->len);
        }
        sl_hcl_diags_free(&d);
    }
    for (size_t i = 0; i < b->nblocks; i++)
        eval_body(f, b->blocks[i].body, a, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_hcl_limits lim = {(size_t)1 << 20, 64, (size_t)64 << 20};
    sl_hcl_diags d = {0};
    sl_hcl_file *f = NULL;
    sl_hcl_expr *e;
    int rc;

    rc = sl_hcl_parse("fuzz.hcl", (const char *)data, size, &lim, &f, &d);
    check_diags(&d, size);
    if (rc == 0) {
        cJSON *j = NULL;
        sl_hcl_arena *a = NULL;
        must(f && f->body && d.n == 0);
        rc = sl_hcl_to_json(f, &j);
        must(rc == 0 || rc == SL_EINVAL);
        cJSON_Delete(j);
        if (!sl_hcl_arena_new((size_t)32 << 20, &a))
            eval_body(f, f->body, a, 0);
        sl_hcl_arena_free(a);
    } else if (rc == SL_EINVAL) {
        must(d.n > 0);
    }
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);

    f = NULL;
    rc = sl_hcl_parse_template("fuzz.tpl", (const char *)data, size, &lim, &f, &e, &d);
    check_diags(&d, size);
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);

    f = NULL;
    rc = sl_hcl_parse_expr("fuzz.expr", (const char *)data, size, &lim, &f, &e, &d);
    check_diags(&d, size);
    if (rc == 0) {
        sl_hcl_arena *a = NULL;
        sl_hcl_diags ed = {0};
        sl_hcl_ctx ctx = {0};
        const sl_hcl_value *v;
        if (!sl_hcl_arena_new((size_t)32 << 20, &a)) {
            ctx.arena = a;
            ctx.file = f;
            ctx.diags = &ed;
            if (sl_hcl_eval(&ctx, e, &v))
                check_diags(&ed, size);
        }
        sl_hcl_diags_free(&ed);
        sl_hcl_arena_free(a);
    }
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);
    return 0;
}
