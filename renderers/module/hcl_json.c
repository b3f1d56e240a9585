/* hcl_json.c: hcl2json-compatible JSON of a parsed file, variable
 * references of expressions, and type-constraint expressions. */
#include <stdlib.h>
#include <string.h>

#include "hcl_int.h"

/* ---------------------------------------------------------- to JSON */

typedef struct jconv {
    const sl_hcl_file *f;
    int rc;
} jconv;

/* Source text of a range, plus a following ')' as hcl2json's rangeSource
 * does. */
static int range_src(const jconv *c, sl_hcl_span r, sl_buf *out)
{
    size_t s = r.start, e = r.end;

    if (e > c->f->len || s > e)
        return SL_EINVAL;
    if (e < c->f->len && c->f->src[e] == ')')
        e++;
    return sl_buf_put(out, c->f->src + s, e - s);
}

static cJSON *wrap_expr(jconv *c, const sl_hcl_expr *e)
{
    sl_buf b = SL_BUF_INIT;
    cJSON *j = NULL;

    if (!sl_buf_puts(&b, "${") && !range_src(c, e->range, &b) && !sl_buf_putc(&b, '}'))
        j = cJSON_CreateString(b.ptr);
    sl_buf_free(&b);
    if (!j)
        c->rc = SL_ENOMEM;
    return j;
}

static cJSON *value_json(jconv *c, const sl_hcl_value *v)
{
    cJSON *j = NULL;

    if (sl_hcl_value_to_json(v, &j))
        c->rc = SL_ENOMEM;
    return j;
}

static int string_part(jconv *c, const sl_hcl_expr *e, sl_buf *out);

static int template_str(jconv *c, const sl_hcl_expr *t, sl_buf *out)
{
    int rc = 0;

    for (size_t i = 0; !rc && i < t->nsub; i++)
        rc = string_part(c, t->sub[i], out);
    return rc;
}

static int string_part(jconv *c, const sl_hcl_expr *e, sl_buf *out)
{
    int rc;

    switch (e->kind) {
    case SL_HCL_E_LITERAL: {
        sl_hcl_arena *a = NULL;
        const sl_hcl_value *s;
        if (e->lit->is_null)
            return SL_EINVAL;
        rc = sl_hcl_arena_new(0, &a);
        if (!rc)
            rc = sl_hcl_value_to_string(a, e->lit, &s);
        /* Literal "${" and "%{" are written escaped, as hcl2json does. */
        for (size_t i = 0; !rc && i < s->u.str.len; i++) {
            char ch = s->u.str.s[i];
            if ((ch == '$' || ch == '%') && i + 1 < s->u.str.len && s->u.str.s[i + 1] == '{')
                rc = sl_buf_putc(out, ch);
            if (!rc)
                rc = sl_buf_putc(out, ch);
        }
        sl_hcl_arena_free(a);
        return rc;
    }
    case SL_HCL_E_TEMPLATE:
        return template_str(c, e, out);
    case SL_HCL_E_TEMPLATE_WRAP:
        return string_part(c, e->sub[0], out);
    case SL_HCL_E_CONDITIONAL: {
        sl_buf f = SL_BUF_INIT;
        rc = sl_buf_puts(out, "%{if ");
        if (!rc)
            rc = range_src(c, e->sub[0]->range, out);
        if (!rc)
            rc = sl_buf_putc(out, '}');
        if (!rc)
            rc = string_part(c, e->sub[1], out);
        if (!rc)
            rc = string_part(c, e->sub[2], &f);
        if (!rc && f.len) {
            rc = sl_buf_puts(out, "%{else}");
            if (!rc)
                rc = sl_buf_put(out, f.ptr, f.len);
        }
        sl_buf_free(&f);
        return rc ? rc : sl_buf_puts(out, "%{endif}");
    }
    case SL_HCL_E_TEMPLATE_JOIN: {
        const sl_hcl_expr *fe = e->sub[0];
        rc = sl_buf_puts(out, "%{for ");
        if (!rc && fe->key_var)
            rc = sl_buf_printf(out, "%s, ", fe->key_var);
        if (!rc)
            rc = sl_buf_printf(out, "%s in ", fe->forp->val_var);
        if (!rc)
            rc = range_src(c, fe->sub[0]->range, out);
        if (!rc)
            rc = sl_buf_putc(out, '}');
        if (!rc)
            rc = string_part(c, fe->sub[1], out);
        return rc ? rc : sl_buf_puts(out, "%{endfor}");
    }
    default:
        rc = sl_buf_puts(out, "${");
        if (!rc)
            rc = range_src(c, e->range, out);
        return rc ? rc : sl_buf_putc(out, '}');
    }
}

static cJSON *expr_json(jconv *c, const sl_hcl_expr *e)
{
    switch (e->kind) {
    case SL_HCL_E_LITERAL:
        return value_json(c, e->lit);
    case SL_HCL_E_UNARY:
        if (e->sub[0]->kind == SL_HCL_E_LITERAL) {
            const sl_hcl_value *lit = e->sub[0]->lit;
            if (e->op == SL_HCL_OP_NOT && lit->kind == SL_HCL_BOOL && !lit->is_null)
                return cJSON_CreateBool(!lit->u.b);
            if (e->op == SL_HCL_OP_NEG && lit->kind == SL_HCL_NUMBER && !lit->is_null) {
                sl_hcl_value v = *lit;
                if (v.u.num.nd)
                    v.u.num.neg = !v.u.num.neg;
                return value_json(c, &v);
            }
        }
        return wrap_expr(c, e);
    case SL_HCL_E_TEMPLATE: {
        sl_buf b = SL_BUF_INIT;
        cJSON *j = NULL;
        if (!template_str(c, e, &b))
            j = cJSON_CreateString(b.ptr ? b.ptr : "");
        sl_buf_free(&b);
        if (!j)
            c->rc = SL_ENOMEM;
        return j;
    }
    case SL_HCL_E_TEMPLATE_WRAP:
        return expr_json(c, e->sub[0]);
    case SL_HCL_E_TUPLE: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; a && i < e->nsub; i++) {
            cJSON *x = expr_json(c, e->sub[i]);
            if (!x) {
                cJSON_Delete(a);
                return NULL;
            }
            cJSON_AddItemToArray(a, x);
        }
        return a;
    }
    case SL_HCL_E_OBJECT: {
        cJSON *o = cJSON_CreateObject();
        size_t n = e->nsub / 2;
        for (size_t i = 0; o && i < n; i++) {
            const sl_hcl_expr *k = e->sub[i];
            sl_buf kb = SL_BUF_INIT;
            cJSON *x;
            int rc = k->kind == SL_HCL_E_SCOPE_TRAV ? range_src(c, k->range, &kb)
                                                    : string_part(c, k, &kb);
            if (rc || !(x = expr_json(c, e->sub[n + i]))) {
                sl_buf_free(&kb);
                cJSON_Delete(o);
                if (!c->rc)
                    c->rc = rc ? rc : SL_ENOMEM;
                return NULL;
            }
            cJSON_DeleteItemFromObjectCaseSensitive(o, kb.ptr ? kb.ptr : "");
            cJSON_AddItemToObject(o, kb.ptr ? kb.ptr : "", x);
            sl_buf_free(&kb);
        }
        return o;
    }
    default:
        return wrap_expr(c, e);
    }
}

static cJSON *body_json(jconv *c, const sl_hcl_body *b);

static int block_json(jconv *c, const sl_hcl_block *bl, cJSON *out)
{
    const char *key = bl->type;
    cJSON *cur = out, *val, *arr;

    for (size_t i = 0; i < bl->nlabels; i++) {
        cJSON *next = cJSON_GetObjectItemCaseSensitive(cur, key);
        if (next && !cJSON_IsObject(next))
            return SL_EINVAL;
        if (!next) {
            next = cJSON_AddObjectToObject(cur, key);
            if (!next)
                return SL_ENOMEM;
        }
        cur = next;
        key = bl->labels[i];
    }
    val = body_json(c, bl->body);
    if (!val)
        return c->rc ? c->rc : SL_ENOMEM;
    arr = cJSON_GetObjectItemCaseSensitive(cur, key);
    if (arr && !cJSON_IsArray(arr)) {
        cJSON_Delete(val);
        return SL_EINVAL;
    }
    if (!arr && !(arr = cJSON_AddArrayToObject(cur, key))) {
        cJSON_Delete(val);
        return SL_ENOMEM;
    }
    cJSON_AddItemToArray(arr, val);
    return 0;
}

static cJSON *body_json(jconv *c, const sl_hcl_body *b)
{
    cJSON *o = cJSON_CreateObject();

    if (!o) {
        c->rc = SL_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < b->nblocks; i++) {
        int rc = block_json(c, &b->blocks[i], o);
        if (rc) {
            c->rc = rc;
            cJSON_Delete(o);
            return NULL;
        }
    }
    for (size_t i = 0; i < b->nattrs; i++) {
        cJSON *x = expr_json(c, b->attrs[i].expr);
        if (!x) {
            cJSON_Delete(o);
            if (!c->rc)
                c->rc = SL_ENOMEM;
            return NULL;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(o, b->attrs[i].name);
        cJSON_AddItemToObject(o, b->attrs[i].name, x);
    }
    return o;
}

int sl_hcl_to_json(const sl_hcl_file *f, cJSON **out)
{
    jconv c = {f, 0};

    *out = body_json(&c, f->body);
    if (!*out)
        return c.rc ? c.rc : SL_ENOMEM;
    return 0;
}

/* ---------------------------------------------------------- references */

typedef struct bound {
    const char *names[2];
    const struct bound *up;
} bound;

static int is_bound(const bound *b, const char *name)
{
    for (; b; b = b->up)
        if ((b->names[0] && !strcmp(b->names[0], name)) ||
            (b->names[1] && !strcmp(b->names[1], name)))
            return 1;
    return 0;
}

static int refs(const sl_hcl_expr *e, const bound *b, sl_hcl_ref_fn fn, void *ud)
{
    int rc = 0;

    if (!e)
        return 0;
    if (e->kind == SL_HCL_E_SCOPE_TRAV)
        return is_bound(b, e->name) ? 0 : fn(ud, e);
    if (e->kind == SL_HCL_E_FOR) {
        bound inner = {{e->key_var, e->forp->val_var}, b};
        rc = refs(e->sub[0], b, fn, ud);
        if (!rc)
            rc = refs(e->forp->key, &inner, fn, ud);
        if (!rc)
            rc = refs(e->sub[1], &inner, fn, ud);
        if (!rc)
            rc = refs(e->forp->cond, &inner, fn, ud);
        return rc;
    }
    if (e->kind == SL_HCL_E_OBJECT) { /* sub holds keys, then values: visit in source order */
        size_t n = e->nsub / 2;
        for (size_t i = 0; !rc && i < n; i++)
            if (!(rc = refs(e->sub[i], b, fn, ud)))
                rc = refs(e->sub[n + i], b, fn, ud);
        return rc;
    }
    for (size_t i = 0; !rc && i < e->nsub; i++)
        rc = refs(e->sub[i], b, fn, ud);
    return rc;
}

int sl_hcl_expr_refs(const sl_hcl_expr *e, sl_hcl_ref_fn fn, void *ud)
{
    return refs(e, NULL, fn, ud);
}

void sl_hcl_diags_attach_src(sl_hcl_diags *d, const sl_hcl_file *f)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].has_subject && !d->v[i].src && d->v[i].subject.file &&
            (d->v[i].subject.file == f->name || !strcmp(d->v[i].subject.file, f->name))) {
            d->v[i].src = f->src;
            d->v[i].src_len = f->len;
        }
}

/* ---------------------------------------------------------- type exprs */

static int type_err(sl_hcl_diags *d, const sl_hcl_file *f, const sl_hcl_expr *e,
                    const char *detail)
{
    return sl_hcl_diag_error_at(d, f, e->range, "Invalid type specification", "%s", detail);
}

int sl_hcl_type_from_expr(sl_hcl_arena *a, const sl_hcl_file *f, const sl_hcl_expr *e,
                          int allow_optional, const sl_hcl_type **out, sl_hcl_diags *diags)
{
    const char *kw = sl_hcl_expr_keyword(e);
    int rc;

    *out = NULL;
    while (e && e->kind == SL_HCL_E_PARENS)
        e = e->sub[0];
    if (!e)
        return SL_EINVAL;
    kw = sl_hcl_expr_keyword(e);
    if (kw) {
        if (!strcmp(kw, "string"))
            *out = &sl_hcl_t_string;
        else if (!strcmp(kw, "number"))
            *out = &sl_hcl_t_number;
        else if (!strcmp(kw, "bool"))
            *out = &sl_hcl_t_bool;
        else if (!strcmp(kw, "any"))
            *out = &sl_hcl_t_dynamic;
        else if (!strcmp(kw, "list") || !strcmp(kw, "set") || !strcmp(kw, "map"))
            return sl_hcl_diag_error_at(diags, f, e->range, "Invalid type specification",
                                     "The %s type constructor requires one argument specifying "
                                     "the element type.",
                                     kw);
        else
            return sl_hcl_diag_error_at(diags, f, e->range, "Invalid type specification",
                                     "The keyword \"%s\" is not a valid type specification.", kw);
        return 0;
    }
    if (e->kind != SL_HCL_E_FUNCALL)
        return type_err(diags, f, e, "A type specification is either a primitive type keyword "
                                  "(bool, number, string) or a complex type constructor call, "
                                  "like list(string).");
    if (!strcmp(e->name, "list") || !strcmp(e->name, "set") || !strcmp(e->name, "map")) {
        const sl_hcl_type *el;
        if (e->nsub != 1)
            return sl_hcl_diag_error_at(diags, f, e->range, "Invalid type specification",
                                     "The %s type constructor requires one argument specifying "
                                     "the element type.",
                                     e->name);
        rc = sl_hcl_type_from_expr(a, f, e->sub[0], allow_optional, &el, diags);
        if (rc)
            return rc;
        *out = e->name[0] == 'l' ? sl_hcl_type_list(a, el) : e->name[0] == 's'
                                                                 ? sl_hcl_type_set(a, el)
                                                                 : sl_hcl_type_map(a, el);
        return *out ? 0 : SL_ENOMEM;
    }
    if (!strcmp(e->name, "tuple")) {
        const sl_hcl_expr *l = e->nsub == 1 ? e->sub[0] : NULL;
        const sl_hcl_type **ts;
        if (!l || l->kind != SL_HCL_E_TUPLE)
            return type_err(diags, f, e, "The tuple type constructor requires one argument "
                                      "specifying the element types as a list.");
        ts = l->nsub ? sl_hcl_alloc(a, l->nsub * sizeof(*ts)) : NULL;
        if (l->nsub && !ts)
            return SL_ENOMEM;
        for (size_t i = 0; i < l->nsub; i++) {
            rc = sl_hcl_type_from_expr(a, f, l->sub[i], allow_optional, &ts[i], diags);
            if (rc)
                return rc;
        }
        *out = sl_hcl_type_tuple(a, l->nsub, ts);
        return *out ? 0 : SL_ENOMEM;
    }
    if (!strcmp(e->name, "object")) {
        const sl_hcl_expr *o = e->nsub == 1 ? e->sub[0] : NULL;
        size_t n;
        const char **names;
        const sl_hcl_type **ts;
        unsigned char *opt;
        const sl_hcl_value **defs;
        sl_hcl_type *ot;
        int any_opt = 0;
        if (!o || o->kind != SL_HCL_E_OBJECT)
            return type_err(diags, f, e, "The object type constructor requires one argument "
                                      "specifying the attribute types as a map.");
        n = o->nsub / 2;
        names = sl_hcl_alloc(a, (n ? n : 1) * sizeof(*names));
        ts = sl_hcl_alloc(a, (n ? n : 1) * sizeof(*ts));
        opt = sl_hcl_alloc(a, n ? n : 1);
        defs = sl_hcl_alloc(a, (n ? n : 1) * sizeof(*defs));
        if (!names || !ts || !opt || !defs)
            return SL_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            const sl_hcl_expr *k = o->sub[i];
            const sl_hcl_expr *v = o->sub[n + i];
            const sl_hcl_value *kc;
            names[i] = sl_hcl_expr_keyword(k);
            if (!names[i] && sl_hcl_expr_const(k, &kc)) {
                if (kc->kind == SL_HCL_STRING)
                    names[i] = kc->u.str.s;
                else if (kc->is_null)
                    names[i] = "null";
                else if (kc->kind == SL_HCL_BOOL)
                    names[i] = kc->u.b ? "true" : "false";
            }
            if (!names[i])
                return type_err(diags, f, k, "Object constructor map keys must be attribute names.");
            if (v->kind == SL_HCL_E_FUNCALL && !strcmp(v->name, "optional")) {
                if (!allow_optional)
                    return type_err(diags, f, v, "Optional attribute modifier is only for type "
                                              "constraints.");
                if (v->nsub < 1 || v->nsub > 2)
                    return type_err(diags, f, v, "Optional attribute modifier expects one or two "
                                              "arguments: the type and an optional default.");
                rc = sl_hcl_type_from_expr(a, f, v->sub[0], allow_optional, &ts[i], diags);
                if (rc)
                    return rc;
                opt[i] = 1;
                any_opt = 1;
                if (v->nsub == 2) {
                    sl_hcl_ctx ctx = {0};
                    const sl_hcl_value *dv, *cv;
                    sl_buf why = SL_BUF_INIT;
                    ctx.arena = a;
                    ctx.file = f;
                    ctx.diags = diags;
                    rc = sl_hcl_eval(&ctx, v->sub[1], &dv);
                    if (rc)
                        return rc;
                    rc = sl_hcl_convert(a, dv, ts[i], &cv, &why);
                    if (rc) {
                        rc = sl_hcl_diag_error_at(diags, f, v->sub[1]->range,
                                               "Invalid default value for optional attribute",
                                               "This default value is not compatible with the "
                                               "attribute's type constraint: %s.",
                                               why.ptr ? why.ptr : "");
                        sl_buf_free(&why);
                        return rc;
                    }
                    sl_buf_free(&why);
                    defs[i] = cv;
                }
            } else {
                rc = sl_hcl_type_from_expr(a, f, v, allow_optional, &ts[i], diags);
                if (rc)
                    return rc;
            }
        }
        /* Build sorted with the flags following their names. */
        {
            const sl_hcl_type *base = sl_hcl_type_object(a, n, names, ts);
            unsigned char *sopt;
            const sl_hcl_value **sdefs;
            if (!base)
                return SL_ENOMEM;
            ot = sl_hcl_alloc(a, sizeof(*ot));
            sopt = sl_hcl_alloc(a, base->n ? base->n : 1);
            sdefs = sl_hcl_alloc(a, (base->n ? base->n : 1) * sizeof(*sdefs));
            if (!ot || !sopt || !sdefs)
                return SL_ENOMEM;
            *ot = *base;
            for (size_t i = 0; i < n; i++) {
                long at = sl_hcl_type_attr(base, names[i]);
                if (at >= 0) {
                    sopt[at] = opt[i];
                    sdefs[at] = defs[i];
                }
            }
            if (any_opt) {
                ot->optional = sopt;
                ot->defaults = sdefs;
            }
        }
        *out = ot;
        return 0;
    }
    return sl_hcl_diag_error_at(diags, f, e->range, "Invalid type specification",
                             "Keyword \"%s\" is not a valid type constructor.", e->name);
}
