/* sl-hcldec: an hcldec-compatible driver for sluice's HCL engine, used by
 * the HCL spec suite and the differential tests.
 *
 *   sl-hcldec --spec SPEC.hcldec FILE     decode FILE with an hcldec spec and
 *                                         print the JSON result (hcldec's
 *                                         output); diagnostics go to stderr,
 *                                         exit 1
 *   sl-hcldec --check CASE.t              run one spec-suite case (CASE.hcl
 *                                         and/or CASE.hcl.json with
 *                                         CASE.hcldec) against the
 *                                         expectations of CASE.t
 *   sl-hcldec --json FILE                 hcl2json's JSON of FILE
 *   sl-hcldec --diags FILE                parse FILE and print diagnostics
 *                                         Terraform-style (exit 1 on errors)
 *   sl-hcldec --ranges FILE               parse FILE, print the error ranges
 *   sl-hcldec --bench FILE [N]            parse FILE N times, print MB/s
 *   sl-hcldec --eval EXPR                 evaluate an expression with the
 *                                         built-in functions; print JSON
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../../renderers/module/hcl.h"

#define NUM_CMP_DIGITS 150

typedef struct spec_ctx {
    sl_hcl_arena *a;
    sl_hcl_diags *diags;
    const sl_hcl_value *vars;
    sl_hcl_diags *spec_diags;
    const sl_hcl_file *sf; /* the spec file */
    const sl_hcl_file *f;  /* the decoded file */
} spec_ctx;

static int read_file(const char *path, sl_buf *b)
{
    sl_error err;
    int rc = sl_file_read(path, 0, b, &err);
    if (rc)
        fprintf(stderr, "sl-hcldec: %s: %s\n", path, err.msg);
    return rc;
}

static int parse_path(const char *path, sl_hcl_file **f, sl_hcl_diags *d)
{
    sl_buf b = SL_BUF_INIT;
    int rc = read_file(path, &b);

    *f = NULL;
    if (!rc)
        rc = sl_hcl_parse(path, b.ptr ? b.ptr : "", b.len, NULL, f, d);
    sl_buf_free(&b);
    return rc;
}

/* JSON-syntax HCL, minimal: a top-level object whose properties become
 * attributes with literal values (enough for the suite's .hcl.json). */
static int parse_json_path(const char *path, sl_hcl_file **out, sl_hcl_diags *d)
{
    sl_buf b = SL_BUF_INIT;
    cJSON *j = NULL, *it;
    sl_hcl_arena *a = NULL;
    sl_hcl_file *f;
    size_t n = 0, i = 0;
    int rc = read_file(path, &b);

    *out = NULL;
    if (rc)
        return rc;
    j = cJSON_ParseWithLength(b.ptr ? b.ptr : "", b.len);
    if (!cJSON_IsObject(j)) {
        sl_hcl_diag_error(d, NULL, "Invalid JSON", "%s: a JSON object is required", path);
        rc = SL_EINVAL;
        goto out;
    }
    if ((rc = sl_hcl_arena_new(0, &a)))
        goto out;
    f = sl_hcl_alloc(a, sizeof(*f));
    f->arena = a;
    f->name = sl_hcl_strndup(a, path, strlen(path));
    f->src = sl_hcl_strndup(a, b.ptr ? b.ptr : "", b.len);
    f->len = b.len;
    f->body = sl_hcl_alloc(a, sizeof(*f->body));
    cJSON_ArrayForEach(it, j) n++;
    f->body->attrs = sl_hcl_alloc(a, (n ? n : 1) * sizeof(sl_hcl_attr));
    cJSON_ArrayForEach(it, j)
    {
        sl_hcl_attr *at = &f->body->attrs[i++];
        sl_hcl_expr *e = sl_hcl_alloc(a, sizeof(*e));
        at->name = sl_hcl_strndup(a, it->string, strlen(it->string));
        e->kind = SL_HCL_E_LITERAL;
        if ((rc = sl_hcl_value_from_json(a, it, &e->lit)))
            goto out;
        at->expr = e;
    }
    f->body->nattrs = n;
    *out = f;
    a = NULL;
out:
    sl_hcl_arena_free(a);
    cJSON_Delete(j);
    sl_buf_free(&b);
    return rc;
}

/* ------------------------------------------------------------ spec decode */

static const char *attr_str(spec_ctx *c, const sl_hcl_body *b, const char *name)
{
    const sl_hcl_attr *at = sl_hcl_body_attr(b, name);
    const sl_hcl_value *v;

    if (!at || !sl_hcl_expr_const(at->expr, &v) || v->kind != SL_HCL_STRING)
        return NULL;
    (void)c;
    return v->u.str.s;
}

static int attr_bool(const sl_hcl_body *b, const char *name)
{
    const sl_hcl_attr *at = sl_hcl_body_attr(b, name);
    const sl_hcl_value *v;

    return at && sl_hcl_expr_const(at->expr, &v) && v->kind == SL_HCL_BOOL && v->u.b;
}

static int is_spec(const char *t)
{
    static const char *const kinds[] = {"object", "array", "attr", "block", "block_list",
                                        "block_set", "block_map", "block_attrs", "literal",
                                        "default", NULL};
    for (size_t i = 0; kinds[i]; i++)
        if (!strcmp(t, kinds[i]))
            return 1;
    return 0;
}

/* The only nested spec block of a block-ish spec. */
static const sl_hcl_block *nested_spec(const sl_hcl_block *s)
{
    for (size_t i = 0; i < s->body->nblocks; i++)
        if (is_spec(s->body->blocks[i].type))
            return &s->body->blocks[i];
    return NULL;
}

static int eval_const(spec_ctx *c, const sl_hcl_expr *e, const sl_hcl_value **out)
{
    sl_hcl_ctx ctx = {0};

    ctx.arena = c->a;
    ctx.file = c->sf;
    ctx.diags = c->spec_diags;
    return sl_hcl_eval(&ctx, e, out);
}

static const sl_hcl_type *implied_type(spec_ctx *c, const sl_hcl_block *s);

static const char *block_type_of(const sl_hcl_block *s)
{
    const sl_hcl_attr *at = sl_hcl_body_attr(s->body, "block_type");
    const sl_hcl_value *v;

    if (at && sl_hcl_expr_const(at->expr, &v) && v->kind == SL_HCL_STRING)
        return v->u.str.s;
    return s->nlabels ? s->labels[0] : "";
}

static const sl_hcl_type *attr_type(spec_ctx *c, const sl_hcl_block *s)
{
    const sl_hcl_attr *at = sl_hcl_body_attr(s->body, "type");
    const sl_hcl_type *t = &sl_hcl_t_dynamic;

    if (at && sl_hcl_type_from_expr(c->a, c->sf, at->expr, 0, &t, c->spec_diags))
        return NULL;
    return t;
}

static const sl_hcl_type *implied_type(spec_ctx *c, const sl_hcl_block *s)
{
    const char *k = s->type;

    if (!strcmp(k, "attr"))
        return attr_type(c, s);
    if (!strcmp(k, "object")) {
        size_t n = s->body->nblocks, m = 0;
        const char **names = calloc(n + 1, sizeof(*names));
        const sl_hcl_type **ts = calloc(n + 1, sizeof(*ts));
        const sl_hcl_type *r = NULL;
        for (size_t i = 0; i < n; i++) {
            const sl_hcl_block *b = &s->body->blocks[i];
            if (!is_spec(b->type) || !b->nlabels)
                continue;
            names[m] = b->labels[0];
            ts[m] = implied_type(c, b);
            if (!ts[m])
                goto obj_out;
            m++;
        }
        r = sl_hcl_type_object(c->a, m, names, ts);
    obj_out:
        free(names);
        free(ts);
        return r;
    }
    if (!strcmp(k, "array")) {
        size_t n = s->body->nblocks, m = 0;
        const sl_hcl_type **ts = calloc(n + 1, sizeof(*ts));
        const sl_hcl_type *r;
        for (size_t i = 0; i < n; i++)
            if (is_spec(s->body->blocks[i].type))
                ts[m++] = implied_type(c, &s->body->blocks[i]);
        r = sl_hcl_type_tuple(c->a, m, ts);
        free(ts);
        return r;
    }
    if (!strcmp(k, "literal")) {
        const sl_hcl_attr *at = sl_hcl_body_attr(s->body, "value");
        const sl_hcl_value *v;
        if (!at || eval_const(c, at->expr, &v))
            return &sl_hcl_t_dynamic;
        return v->type;
    }
    if (!strcmp(k, "block_attrs")) {
        const sl_hcl_attr *at = sl_hcl_body_attr(s->body, "element_type");
        const sl_hcl_type *t = &sl_hcl_t_dynamic;
        if (at)
            sl_hcl_type_from_expr(c->a, c->sf, at->expr, 0, &t, c->spec_diags);
        return sl_hcl_type_map(c->a, t);
    }
    {
        const sl_hcl_block *n = nested_spec(s);
        const sl_hcl_type *t = n ? implied_type(c, n) : &sl_hcl_t_dynamic;
        if (!t)
            return NULL;
        if (!strcmp(k, "block") || !strcmp(k, "default"))
            return t;
        if (!strcmp(k, "block_list"))
            return sl_hcl_type_list(c->a, t);
        if (!strcmp(k, "block_set"))
            return sl_hcl_type_set(c->a, t);
        if (!strcmp(k, "block_map")) {
            const sl_hcl_attr *at = sl_hcl_body_attr(s->body, "labels");
            size_t nl = at && at->expr->kind == SL_HCL_E_TUPLE ? at->expr->nsub : 1;
            for (size_t i = 0; i < nl; i++)
                t = sl_hcl_type_map(c->a, t);
            return t;
        }
    }
    return &sl_hcl_t_dynamic;
}

/* Schema check of body for an object-ish spec: every attribute and block
 * must be named by one of the nested specs. */
typedef struct schema {
    const char **attrs;
    size_t na;
    const char **blocks;
    size_t nb;
} schema;

static void schema_collect(const sl_hcl_block *s, schema *sc)
{
    const char *k = s->type;

    if (!strcmp(k, "attr")) {
        const char *nm = NULL;
        const sl_hcl_attr *at = sl_hcl_body_attr(s->body, "name");
        const sl_hcl_value *v;
        if (at && sl_hcl_expr_const(at->expr, &v) && v->kind == SL_HCL_STRING)
            nm = v->u.str.s;
        else if (s->nlabels)
            nm = s->labels[0];
        if (nm)
            sc->attrs[sc->na++] = nm;
    } else if (!strncmp(k, "block", 5)) {
        sc->blocks[sc->nb++] = block_type_of(s);
    } else if (!strcmp(k, "object") || !strcmp(k, "array") || !strcmp(k, "default")) {
        for (size_t i = 0; i < s->body->nblocks; i++)
            if (is_spec(s->body->blocks[i].type))
                schema_collect(&s->body->blocks[i], sc);
    }
}

static int schema_check(spec_ctx *c, const sl_hcl_block *s, const sl_hcl_body *body)
{
    schema sc = {0};
    int rc = 0;

    sc.attrs = calloc(256, sizeof(char *));
    sc.blocks = calloc(256, sizeof(char *));
    if (!sc.attrs || !sc.blocks) {
        free(sc.attrs);
        free(sc.blocks);
        return SL_ENOMEM;
    }
    schema_collect(s, &sc);
    for (size_t i = 0; i < body->nattrs; i++) {
        size_t j;
        for (j = 0; j < sc.na; j++)
            if (!strcmp(sc.attrs[j], body->attrs[i].name))
                break;
        if (j == sc.na)
            rc = sl_hcl_diag_error_at(c->diags, c->f, body->attrs[i].name_range, "Unsupported argument",
                                   "An argument named \"%s\" is not expected here.",
                                   body->attrs[i].name);
    }
    for (size_t i = 0; i < body->nblocks; i++) {
        size_t j;
        for (j = 0; j < sc.nb; j++)
            if (!strcmp(sc.blocks[j], body->blocks[i].type))
                break;
        if (j == sc.nb)
            rc = sl_hcl_diag_error_at(c->diags, c->f, body->blocks[i].type_range, "Unsupported block type",
                                   "Blocks of type \"%s\" are not expected here.",
                                   body->blocks[i].type);
    }
    free(sc.attrs);
    free(sc.blocks);
    return rc;
}

static int decode(spec_ctx *c, const sl_hcl_block *s, const sl_hcl_body *body,
                  const sl_hcl_value **out);

static int decode_block_body(spec_ctx *c, const sl_hcl_block *s, const sl_hcl_body *body,
                             const sl_hcl_value **out)
{
    const sl_hcl_block *n = nested_spec(s);

    if (!n) {
        *out = &sl_hcl_null_dynamic;
        return 0;
    }
    if (strcmp(n->type, "attr") && strcmp(n->type, "literal") && strcmp(n->type, "default") &&
        strncmp(n->type, "block", 5) == 0) {
        /* nested block specs check their own content */
    }
    if (!strcmp(n->type, "object") || !strcmp(n->type, "array") || !strcmp(n->type, "attr") ||
        !strncmp(n->type, "block", 5)) {
        int rc = schema_check(c, n, body);
        if (rc)
            return rc;
    }
    return decode(c, n, body, out);
}

static int decode(spec_ctx *c, const sl_hcl_block *s, const sl_hcl_body *body,
                  const sl_hcl_value **out)
{
    const char *k = s->type;
    int rc = 0;

    if (!strcmp(k, "literal")) {
        const sl_hcl_attr *at = sl_hcl_body_attr(s->body, "value");
        if (!at) {
            *out = &sl_hcl_null_dynamic;
            return 0;
        }
        return eval_const(c, at->expr, out);
    }
    if (!strcmp(k, "attr")) {
        const char *nm = attr_str(c, s->body, "name");
        const sl_hcl_attr *at;
        const sl_hcl_type *t = attr_type(c, s);
        sl_hcl_ctx ctx = {0};
        const sl_hcl_value *v;
        sl_buf why = SL_BUF_INIT;
        if (!t)
            return SL_EINVAL;
        if (!nm)
            nm = s->nlabels ? s->labels[0] : "";
        at = sl_hcl_body_attr(body, nm);
        if (!at) {
            if (attr_bool(s->body, "required"))
                return sl_hcl_diag_error_at(c->diags, c->f, body->end_range, "Missing required argument",
                                         "The argument \"%s\" is required, but no definition "
                                         "was found.",
                                         nm);
            *out = sl_hcl_null(c->a, t);
            return 0;
        }
        ctx.arena = c->a;
        ctx.file = c->f;
        ctx.diags = c->diags;
        ctx.vars = c->vars;
        rc = sl_hcl_eval(&ctx, at->expr, &v);
        if (rc)
            return rc;
        rc = sl_hcl_convert(c->a, v, t, out, &why);
        if (rc == SL_EINVAL)
            rc = sl_hcl_diag_error_at(c->diags, c->f, at->expr->range, "Incorrect attribute value type",
                                   "Inappropriate value for attribute \"%s\": %s.", nm,
                                   why.ptr ? why.ptr : "");
        sl_buf_free(&why);
        return rc;
    }
    if (!strcmp(k, "object")) {
        size_t n = s->body->nblocks, m = 0;
        const char **names = calloc(n + 1, sizeof(*names));
        const sl_hcl_value **vals = calloc(n + 1, sizeof(*vals));
        if (!names || !vals) {
            free(names);
            free(vals);
            return SL_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            const sl_hcl_block *b = &s->body->blocks[i];
            int r;
            if (!is_spec(b->type))
                continue;
            names[m] = b->nlabels ? b->labels[0] : "";
            r = decode(c, b, body, &vals[m]);
            if (r) {
                rc = r;
                vals[m] = &sl_hcl_null_dynamic;
            }
            m++;
        }
        if (!rc)
            *out = sl_hcl_object(c->a, m, names, vals);
        free(names);
        free(vals);
        return rc;
    }
    if (!strcmp(k, "array")) {
        size_t n = s->body->nblocks, m = 0;
        const sl_hcl_value **vals = sl_hcl_alloc(c->a, (n + 1) * sizeof(*vals));
        for (size_t i = 0; i < n; i++) {
            int r;
            if (!is_spec(s->body->blocks[i].type))
                continue;
            r = decode(c, &s->body->blocks[i], body, &vals[m++]);
            if (r)
                rc = r;
        }
        if (!rc)
            *out = sl_hcl_tuple(c->a, m, vals);
        return rc;
    }
    if (!strcmp(k, "default")) {
        for (size_t i = 0; i < s->body->nblocks; i++) {
            if (!is_spec(s->body->blocks[i].type))
                continue;
            rc = decode(c, &s->body->blocks[i], body, out);
            if (rc || !(*out)->is_null)
                return rc;
        }
        *out = &sl_hcl_null_dynamic;
        return 0;
    }
    if (!strncmp(k, "block", 5)) {
        const char *bt = block_type_of(s);
        size_t cnt = 0;
        const sl_hcl_block **found = calloc(body->nblocks + 1, sizeof(*found));
        const sl_hcl_type *nt;
        if (!found)
            return SL_ENOMEM;
        for (size_t i = 0; i < body->nblocks; i++)
            if (!strcmp(body->blocks[i].type, bt))
                found[cnt++] = &body->blocks[i];
        if (!strcmp(k, "block")) {
            if (cnt > 1)
                rc = sl_hcl_diag_error_at(c->diags, c->f, found[1]->type_range, "Duplicate block",
                                       "Only one \"%s\" block is allowed. Another was defined "
                                       "earlier.",
                                       bt);
            else if (!cnt && attr_bool(s->body, "required"))
                rc = sl_hcl_diag_error_at(c->diags, c->f, body->end_range, "Missing block",
                                       "A block of type \"%s\" is required here.", bt);
            else if (!cnt) {
                const sl_hcl_block *n = nested_spec(s);
                nt = n ? implied_type(c, n) : &sl_hcl_t_dynamic;
                *out = sl_hcl_null(c->a, nt ? nt : &sl_hcl_t_dynamic);
            } else
                rc = decode_block_body(c, s, found[0]->body, out);
            free(found);
            return rc;
        }
        if (!strcmp(k, "block_list") || !strcmp(k, "block_set")) {
            const sl_hcl_value **vals = sl_hcl_alloc(c->a, (cnt + 1) * sizeof(*vals));
            const sl_hcl_block *n = nested_spec(s);
            nt = n ? implied_type(c, n) : &sl_hcl_t_dynamic;
            for (size_t i = 0; i < cnt; i++) {
                int r = decode_block_body(c, s, found[i]->body, &vals[i]);
                if (r)
                    rc = r;
            }
            if (!rc) {
                const sl_hcl_value *tup = sl_hcl_tuple(c->a, cnt, vals);
                const sl_hcl_type *want = k[6] == 'l' ? sl_hcl_type_list(c->a, nt)
                                                      : sl_hcl_type_set(c->a, nt);
                rc = sl_hcl_convert(c->a, tup, want, out, NULL);
            }
            free(found);
            return rc;
        }
        if (!strcmp(k, "block_map")) {
            const sl_hcl_attr *la = sl_hcl_body_attr(s->body, "labels");
            size_t nl = la && la->expr->kind == SL_HCL_E_TUPLE ? la->expr->nsub : 1;
            const char **keys = calloc(cnt + 1, sizeof(*keys));
            const sl_hcl_value **vals = calloc(cnt + 1, sizeof(*vals));
            if (nl != 1) {
                free(keys);
                free(vals);
                free(found);
                return sl_hcl_diag_error_at(c->diags, c->sf, s->type_range, "Unsupported spec",
                                         "block_map with %zu labels is not supported.", nl);
            }
            for (size_t i = 0; i < cnt; i++) {
                int r;
                if (found[i]->nlabels != nl) {
                    rc = sl_hcl_diag_error_at(c->diags, c->f, found[i]->type_range,
                                           "Wrong number of block labels",
                                           "Blocks of type \"%s\" require %zu label(s).", bt, nl);
                    continue;
                }
                keys[i] = found[i]->labels[0];
                r = decode_block_body(c, s, found[i]->body, &vals[i]);
                if (r)
                    rc = r;
            }
            if (!rc) {
                const sl_hcl_block *n = nested_spec(s);
                nt = n ? implied_type(c, n) : &sl_hcl_t_dynamic;
                *out = sl_hcl_map(c->a, nt, cnt, keys, vals);
                if (!sl_hcl_type_is_concrete(nt)) {
                    const sl_hcl_value *ob = sl_hcl_object(c->a, cnt, keys, vals);
                    rc = sl_hcl_convert(c->a, ob, sl_hcl_type_map(c->a, nt), out, NULL);
                }
            }
            free(keys);
            free(vals);
            free(found);
            return rc;
        }
        free(found);
        return sl_hcl_diag_error_at(c->diags, c->sf, s->type_range, "Unsupported spec",
                                 "Spec type \"%s\" is not supported.", k);
    }
    return sl_hcl_diag_error_at(c->diags, c->sf, s->type_range, "Unsupported spec",
                             "Spec type \"%s\" is not supported.", k);
}

/* Load the spec file: its single spec block and its variables. */
static int load_spec(spec_ctx *c, const sl_hcl_file *sf, const sl_hcl_block **root)
{
    const sl_hcl_value *vars = NULL;

    *root = NULL;
    c->sf = sf;
    for (size_t i = 0; i < sf->body->nblocks; i++) {
        const sl_hcl_block *b = &sf->body->blocks[i];
        if (!strcmp(b->type, "variables")) {
            size_t n = b->body->nattrs;
            const char **k = calloc(n + 1, sizeof(*k));
            const sl_hcl_value **v = calloc(n + 1, sizeof(*v));
            for (size_t j = 0; j < n; j++) {
                k[j] = b->body->attrs[j].name;
                if (eval_const(c, b->body->attrs[j].expr, &v[j])) {
                    free(k);
                    free(v);
                    return SL_EINVAL;
                }
            }
            vars = sl_hcl_object(c->a, n, k, v);
            free(k);
            free(v);
        } else if (is_spec(b->type)) {
            *root = b;
        }
    }
    c->vars = vars;
    return *root ? 0 : SL_EINVAL;
}

static int decode_file(spec_ctx *c, const sl_hcl_block *root, const sl_hcl_body *body,
                       const sl_hcl_value **out)
{
    int rc;

    if (strcmp(root->type, "literal") && strcmp(root->type, "default")) {
        rc = schema_check(c, root, body);
        if (rc)
            return rc;
    }
    return decode(c, root, body, out);
}

/* ----------------------------------------------------------- comparing */

/* Round a number to `digits` significant digits for comparison. */
static int num_equal_approx(const sl_hcl_num *x, const sl_hcl_num *y)
{
    long ox, oy;
    size_t n;

    if (!sl_hcl_num_cmp(x, y))
        return 1;
    if (x->neg != y->neg || !x->nd || !y->nd)
        return 0;
    ox = (long)x->nd + x->exp;
    oy = (long)y->nd + y->exp;
    if (ox != oy)
        return 0;
    n = x->nd > y->nd ? x->nd : y->nd;
    if (n <= NUM_CMP_DIGITS)
        return 0;
    for (size_t i = 0; i < NUM_CMP_DIGITS; i++) {
        char a = i < x->nd ? x->d[i] : '0', b = i < y->nd ? y->d[i] : '0';
        if (a != b)
            return 0;
    }
    /* The first differing digit is beyond the compared precision; the
     * remainder must not round the compared part up. */
    {
        char a = NUM_CMP_DIGITS < x->nd ? x->d[NUM_CMP_DIGITS] : '0';
        char b = NUM_CMP_DIGITS < y->nd ? y->d[NUM_CMP_DIGITS] : '0';
        return (a >= '5') == (b >= '5');
    }
}

static int values_match(const sl_hcl_value *x, const sl_hcl_value *y)
{
    if (x->is_null || y->is_null)
        return x->is_null && y->is_null;
    if (x->kind != y->kind)
        return 0;
    switch (x->kind) {
    case SL_HCL_NUMBER:
        return num_equal_approx(&x->u.num, &y->u.num);
    case SL_HCL_BOOL:
    case SL_HCL_STRING:
        return sl_hcl_value_equal(x, y);
    default:
        if (x->u.c.n != y->u.c.n)
            return 0;
        for (size_t i = 0; i < x->u.c.n; i++) {
            if (x->u.c.keys && strcmp(x->u.c.keys[i], y->u.c.keys[i]))
                return 0;
            if (!values_match(x->u.c.v[i], y->u.c.v[i]))
                return 0;
        }
        return 1;
    }
}

static int pos_attr(const sl_hcl_body *b, const char *name, long *out)
{
    const sl_hcl_attr *at = sl_hcl_body_attr(b, name);
    const sl_hcl_value *v;
    int64_t i;

    if (!at || !sl_hcl_expr_const(at->expr, &v) || v->kind != SL_HCL_NUMBER ||
        sl_hcl_num_to_i64(&v->u.num, &i))
        return -1;
    *out = (long)i;
    return 0;
}

static int pos_match(const sl_hcl_block *pb, sl_hcl_pos p, const char *which, const char *path,
                     size_t idx)
{
    long line, col, byte;

    if (pos_attr(pb->body, "line", &line) || pos_attr(pb->body, "column", &col) ||
        pos_attr(pb->body, "byte", &byte)) {
        printf("FAIL %s: diagnostic %zu: bad %s block in .t\n", path, idx, which);
        return 0;
    }
    if (line != p.line || col != p.col || byte != (long)p.byte) {
        printf("FAIL %s: diagnostic %zu %s: got %d:%d (byte %u), expected %ld:%ld (byte %ld)\n",
               path, idx, which, p.line, p.col, (unsigned)p.byte, line, col, byte);
        return 0;
    }
    return 1;
}

static int check_case(const char *tpath, const char *input, int is_json)
{
    char *base = strdup(tpath), *specp = NULL;
    sl_hcl_diags td = {0}, sd = {0}, d = {0};
    sl_hcl_file *tf = NULL, *sf = NULL, *f = NULL;
    spec_ctx c = {0};
    const sl_hcl_block *root;
    const sl_hcl_value *result = NULL;
    int ok = 1, rc;
    const sl_hcl_block *diag_block = NULL;
    const sl_hcl_attr *res_attr, *type_attr;

    base[strlen(base) - 2] = 0;
    if (asprintf(&specp, "%s.hcldec", base) < 0)
        return 0;
    if (parse_path(tpath, &tf, &td) || parse_path(specp, &sf, &sd)) {
        printf("FAIL %s: cannot parse the .t or .hcldec file\n", tpath);
        sl_hcl_diags_print(&td, stdout);
        sl_hcl_diags_print(&sd, stdout);
        ok = 0;
        goto out;
    }
    sl_hcl_arena_new(0, &c.a);
    c.diags = &d;
    c.spec_diags = &sd;
    if (load_spec(&c, sf, &root)) {
        printf("FAIL %s: bad spec\n", tpath);
        ok = 0;
        goto out;
    }
    rc = is_json ? parse_json_path(input, &f, &d) : parse_path(input, &f, &d);
    c.f = f;
    if (f && f->body)
        decode_file(&c, root, f->body, &result);
    (void)rc;
    for (size_t i = 0; i < tf->body->nblocks; i++)
        if (!strcmp(tf->body->blocks[i].type, "diagnostics"))
            diag_block = &tf->body->blocks[i];
    /* Diagnostics: the same count, each with the expected range. */
    {
        size_t want = 0, got = 0;
        for (size_t i = 0; diag_block && i < diag_block->body->nblocks; i++)
            want++;
        for (size_t i = 0; i < d.n; i++)
            got += d.v[i].severity == SL_HCL_DIAG_ERROR;
        if (want != got) {
            printf("FAIL %s (%s): %zu diagnostics, expected %zu\n", tpath, input, got, want);
            sl_hcl_diags_print(&d, stdout);
            ok = 0;
        } else {
            for (size_t i = 0, j = 0; diag_block && i < diag_block->body->nblocks; i++, j++) {
                const sl_hcl_block *eb = &diag_block->body->blocks[i];
                const sl_hcl_diag *dg = &d.v[j];
                if (strcmp(eb->type, dg->severity == SL_HCL_DIAG_ERROR ? "error" : "warning")) {
                    printf("FAIL %s: diagnostic %zu is %s\n", tpath, i, eb->type);
                    ok = 0;
                    continue;
                }
                for (size_t k = 0; k < eb->body->nblocks; k++) {
                    const sl_hcl_block *pb = &eb->body->blocks[k];
                    if (!strcmp(pb->type, "from"))
                        ok &= pos_match(pb, dg->subject.start, "from", tpath, i);
                    else if (!strcmp(pb->type, "to"))
                        ok &= pos_match(pb, dg->subject.end, "to", tpath, i);
                }
            }
        }
    }
    res_attr = sl_hcl_body_attr(tf->body, "result");
    type_attr = sl_hcl_body_attr(tf->body, "result_type");
    if (res_attr && !diag_block) {
        const sl_hcl_value *want, *conv;
        if (!result) {
            printf("FAIL %s (%s): no result\n", tpath, input);
            sl_hcl_diags_print(&d, stdout);
            ok = 0;
        } else if (eval_const(&c, res_attr->expr, &want) ||
                   sl_hcl_convert(c.a, want, result->type, &conv, NULL) ||
                   !values_match(conv, result)) {
            sl_buf b1 = SL_BUF_INIT, b2 = SL_BUF_INIT;
            sl_hcl_value_format(result, &b1);
            if (want)
                sl_hcl_value_format(want, &b2);
            printf("FAIL %s (%s): result\n  got      %s\n  expected %s\n", tpath, input,
                   b1.ptr ? b1.ptr : "", b2.ptr ? b2.ptr : "");
            sl_buf_free(&b1);
            sl_buf_free(&b2);
            ok = 0;
        }
    }
    if (type_attr && !diag_block) {
        const sl_hcl_type *want;
        if (!result || sl_hcl_type_from_expr(c.a, tf, type_attr->expr, 0, &want, &sd) ||
            !sl_hcl_type_equal(want, result->type)) {
            sl_buf b1 = SL_BUF_INIT;
            if (result)
                sl_hcl_type_format(result->type, &b1);
            printf("FAIL %s (%s): result type %s\n", tpath, input, b1.ptr ? b1.ptr : "(none)");
            sl_buf_free(&b1);
            ok = 0;
        }
    }
    /* traversals { traversal {...} ... }: as many references as listed. */
    for (size_t i = 0; i < tf->body->nblocks; i++) {
        if (strcmp(tf->body->blocks[i].type, "traversals"))
            continue;
        if (f && f->body && f->body->nattrs + f->body->nblocks > 0 &&
            tf->body->blocks[i].body->nblocks == 0) {
            size_t refs = 0;
            for (size_t j = 0; j < f->body->nattrs; j++)
                refs += f->body->attrs[j].expr->kind == SL_HCL_E_SCOPE_TRAV;
            if (refs) {
                printf("FAIL %s: expected no traversals\n", tpath);
                ok = 0;
            }
        }
    }
    if (ok && !d.n && !diag_block && !res_attr && !type_attr) {
        printf("FAIL %s: the case checks nothing\n", tpath);
        ok = 0;
    }
out:
    if (ok)
        printf("ok   %s (%s)\n", tpath, input);
    sl_hcl_file_free(f);
    sl_hcl_file_free(tf);
    sl_hcl_file_free(sf);
    sl_hcl_arena_free(c.a);
    sl_hcl_diags_free(&d);
    sl_hcl_diags_free(&td);
    sl_hcl_diags_free(&sd);
    free(specp);
    free(base);
    return ok;
}

static int cmd_check(const char *tpath)
{
    char *base = strdup(tpath), *p = NULL;
    int ran = 0, ok = 1;
    FILE *fp;

    base[strlen(base) - 2] = 0;
    if (asprintf(&p, "%s.hcl", base) >= 0 && (fp = fopen(p, "r"))) {
        fclose(fp);
        ok &= check_case(tpath, p, 0);
        ran++;
    }
    free(p);
    p = NULL;
    if (asprintf(&p, "%s.hcl.json", base) >= 0 && (fp = fopen(p, "r"))) {
        fclose(fp);
        ok &= check_case(tpath, p, 1);
        ran++;
    }
    free(p);
    free(base);
    if (!ran) {
        printf("FAIL %s: no .hcl or .hcl.json input\n", tpath);
        return 1;
    }
    return ok ? 0 : 1;
}

static int cmd_spec(const char *specp, const char *input)
{
    sl_hcl_diags d = {0}, sd = {0};
    sl_hcl_file *sf = NULL, *f = NULL;
    spec_ctx c = {0};
    const sl_hcl_block *root;
    const sl_hcl_value *result = NULL;
    int rc;

    sl_hcl_arena_new(0, &c.a);
    c.diags = &d;
    c.spec_diags = &sd;
    rc = parse_path(specp, &sf, &sd);
    if (!rc)
        rc = load_spec(&c, sf, &root);
    if (rc) {
        sl_hcl_diags_print(&sd, stderr);
        fprintf(stderr, "sl-hcldec: invalid spec %s\n", specp);
        goto out;
    }
    rc = parse_path(input, &f, &d);
    c.f = f;
    if (!rc)
        rc = decode_file(&c, root, f->body, &result);
    if (!rc && sl_hcl_diags_has_errors(&d))
        rc = SL_EINVAL;
    if (rc) {
        if (f)
            sl_hcl_diags_attach_src(&d, f);
        sl_hcl_diags_print(&d, stderr);
    } else {
        sl_buf b = SL_BUF_INIT;
        sl_hcl_value_write_json(result, &b);
        printf("%s\n", b.ptr ? b.ptr : "null");
        sl_buf_free(&b);
    }
out:
    sl_hcl_file_free(sf);
    sl_hcl_file_free(f);
    sl_hcl_arena_free(c.a);
    sl_hcl_diags_free(&d);
    sl_hcl_diags_free(&sd);
    return rc ? 1 : 0;
}

static int cmd_json(const char *path, int diags_only)
{
    sl_hcl_diags d = {0};
    sl_hcl_file *f = NULL;
    int rc = parse_path(path, &f, &d);

    if (rc || diags_only) {
        sl_hcl_diags_print(&d, diags_only ? stdout : stderr);
    } else {
        cJSON *j;
        rc = sl_hcl_to_json(f, &j);
        if (!rc) {
            char *s = cJSON_PrintUnformatted(j);
            printf("%s\n", s ? s : "");
            free(s);
            cJSON_Delete(j);
        }
    }
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);
    return rc ? 1 : 0;
}

/* The error ranges of FILE's parse, one per line, as hcl's Range.String()
 * writes them ("L,C-C" or "L,C-L,C"). */
static int cmd_ranges(const char *path)
{
    sl_hcl_diags d = {0};
    sl_hcl_file *f = NULL;
    int rc = parse_path(path, &f, &d);

    for (size_t i = 0; i < d.n; i++) {
        const sl_hcl_range *r = &d.v[i].subject;
        if (!d.v[i].has_subject)
            continue;
        if (r->start.line == r->end.line)
            printf("%d,%d-%d\n", r->start.line, r->start.col, r->end.col);
        else
            printf("%d,%d-%d,%d\n", r->start.line, r->start.col, r->end.line, r->end.col);
    }
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);
    return rc ? 1 : 0;
}

/* Parse FILE `rounds` times; print bytes, seconds and MB/s of the best
 * round, wall-clock and the process's CPU time (user and system: the
 * kernel's page faults on the tree's fresh pages count) (the benchmark's
 * parse-only mode). */
static int cmd_bench(const char *path, int rounds)
{
    sl_buf b = SL_BUF_INIT;
    double best = 1e30, best_cpu = 1e30;
    size_t blocks = 0;
    int rc = read_file(path, &b);
    size_t len = b.len;

    for (int r = 0; !rc && r < rounds; r++) {
        sl_hcl_diags d = {0};
        sl_hcl_file *f = NULL;
        struct timespec t0, t1, c0, c1;
        double s, cs;
        /* The parser takes over its source buffer (as the module renderer
         * does): a copy per round, the read buffer itself in the last. */
        char *src = r == rounds - 1 ? sl_buf_detach(&b) : malloc(len + 1);
        if (!src) {
            rc = SL_ENOMEM;
            break;
        }
        if (r != rounds - 1)
            memcpy(src, b.ptr ? b.ptr : "", len + 1);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = sl_hcl_parse_owned(path, src, len, NULL, &f, &d);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
        s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        cs = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
        if (s < best)
            best = s;
        if (cs < best_cpu)
            best_cpu = cs;
        if (f && f->body)
            blocks = f->body->nblocks;
        if (f && getenv("SL_HCLDEC_ARENA"))
            fprintf(stderr, "arena %zu bytes\n", sl_hcl_arena_used(f->arena));
        if (rc)
            sl_hcl_diags_print(&d, stderr);
        sl_hcl_file_free(f);
        sl_hcl_diags_free(&d);
    }
    if (!rc)
        printf("bytes=%zu blocks=%zu seconds=%.4f mb_per_s=%.1f cpu_seconds=%.4f "
               "cpu_mb_per_s=%.1f\n",
               len, blocks, best, (double)len / 1e6 / best, best_cpu,
               (double)len / 1e6 / (best_cpu > 0 ? best_cpu : 1e-9));
    sl_buf_free(&b);
    return rc ? 1 : 0;
}

static int cmd_eval(const char *src)
{
    sl_hcl_diags d = {0};
    sl_hcl_file *f = NULL;
    sl_hcl_expr *e;
    sl_hcl_ctx ctx = {0};
    const sl_hcl_value *v;
    int rc = sl_hcl_parse_expr("<expr>", src, strlen(src), NULL, &f, &e, &d);

    if (!rc) {
        sl_hcl_arena_new(0, &ctx.arena);
        ctx.diags = &d;
        rc = sl_hcl_eval(&ctx, e, &v);
        if (!rc) {
            sl_buf b = SL_BUF_INIT;
            sl_hcl_value_write_json(v, &b);
            printf("%s\n", b.ptr ? b.ptr : "");
            sl_buf_free(&b);
        }
        sl_hcl_arena_free(ctx.arena);
    }
    if (rc) {
        if (f)
            sl_hcl_diags_attach_src(&d, f);
        sl_hcl_diags_print(&d, stderr);
    }
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--check"))
        return cmd_check(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "--json"))
        return cmd_json(argv[2], 0);
    if (argc == 3 && !strcmp(argv[1], "--diags"))
        return cmd_json(argv[2], 1);
    if ((argc == 3 || argc == 4) && !strcmp(argv[1], "--bench"))
        return cmd_bench(argv[2], argc == 4 ? atoi(argv[3]) : 3);
    if (argc == 3 && !strcmp(argv[1], "--ranges"))
        return cmd_ranges(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "--eval"))
        return cmd_eval(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "--spec"))
        return cmd_spec(argv[2], argv[3]);
    fprintf(stderr, "usage: sl-hcldec --spec SPEC FILE | --check CASE.t | --json FILE | --diags "
                    "FILE | --eval EXPR\n");
    return 2;
}
