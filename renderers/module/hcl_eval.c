/* hcl_eval.c: expression evaluation (hclsyntax semantics over cty-like
 * values): templates, traversals, operators, conditionals, for and splat
 * expressions, function calls with argument expansion. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hcl_int.h"

#define EVAL_MAX_DEPTH 512

static int eval_verror(sl_hcl_ctx *ctx, int has_at, sl_hcl_span at, const char *summary,
                       const char *fmt, va_list ap) SL_PRINTF(5, 0);

/* Add an error about span at of ctx->file (no subject when has_at is 0). */
static int eval_verror(sl_hcl_ctx *ctx, int has_at, sl_hcl_span at, const char *summary,
                       const char *fmt, va_list ap)
{
    char *detail = NULL;
    int rc;

    if (vasprintf(&detail, fmt, ap) < 0)
        detail = NULL;
    rc = sl_hcl_diag_error_at(ctx->diags, has_at ? ctx->file : NULL, at, summary, "%s",
                              detail ? detail : "");
    free(detail);
    return rc == SL_ENOMEM ? SL_ENOMEM : SL_EINVAL;
}

int hcl_eval_error(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const char *summary, const char *fmt,
                   ...)
{
    va_list ap;
    sl_hcl_span none = {0, 0};
    int rc;

    va_start(ap, fmt);
    rc = eval_verror(ctx, e != NULL, e ? e->range : none, summary, fmt, ap);
    va_end(ap);
    return rc;
}

int hcl_eval_error_at(sl_hcl_ctx *ctx, sl_hcl_span at, const char *summary, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = eval_verror(ctx, 1, at, summary, fmt, ap);
    va_end(ap);
    return rc;
}

int sl_hcl_func_error(sl_hcl_ctx *ctx, const sl_hcl_call *call, int i, const char *fmt, ...)
{
    va_list ap;
    char *detail = NULL;
    char summary[160];
    const sl_hcl_expr *at = call->expr;
    sl_hcl_span call_none = {0, 0};
    int rc;

    if (i >= 0 && call->args && call->expr && (size_t)i < call->expr->nsub)
        at = call->args[i];
    va_start(ap, fmt);
    if (vasprintf(&detail, fmt, ap) < 0)
        detail = NULL;
    va_end(ap);
    snprintf(summary, sizeof(summary), "Error in function call");
    rc = sl_hcl_diag_error_at(ctx->diags, at ? ctx->file : NULL, at ? at->range : call_none,
                              summary, "Call to function \"%s\" failed: %s", call->name,
                              detail ? detail : "");
    free(detail);
    return rc == SL_ENOMEM ? SL_ENOMEM : SL_EINVAL;
}

void sl_hcl_ctx_child(const sl_hcl_ctx *parent, const sl_hcl_value *vars, sl_hcl_ctx *out)
{
    *out = *parent;
    out->vars = vars;
    out->parent = parent;
    out->splat = NULL;
}

static const sl_hcl_value *lookup_var(const sl_hcl_ctx *ctx, const char *name)
{
    for (; ctx; ctx = ctx->parent) {
        const sl_hcl_value *v = sl_hcl_value_attr(ctx->vars, name);
        if (v)
            return v;
    }
    return NULL;
}

static const sl_hcl_value *lookup_splat(const sl_hcl_ctx *ctx)
{
    for (; ctx; ctx = ctx->parent)
        if (ctx->splat)
            return ctx->splat;
    return NULL;
}

#define NOMEM(x)                                                                                  \
    do {                                                                                          \
        if (!(x))                                                                                 \
            return SL_ENOMEM;                                                                     \
    } while (0)

static const char *kind_name(const sl_hcl_value *v)
{
    if (v->is_null)
        return "null";
    switch (v->kind) {
    case SL_HCL_BOOL: return "bool";
    case SL_HCL_NUMBER: return "number";
    case SL_HCL_STRING: return "string";
    case SL_HCL_LIST: return "list";
    case SL_HCL_SET: return "set";
    case SL_HCL_MAP: return "map";
    case SL_HCL_OBJECT: return "object";
    case SL_HCL_TUPLE: return "tuple";
    default: return "dynamic";
    }
}

/* Apply one traversal step (attribute or index with a key value). */
static int apply_step(sl_hcl_ctx *ctx, sl_hcl_span at, const sl_hcl_value *v,
                      int is_index, const char *name, const sl_hcl_value *key,
                      const sl_hcl_value **out)
{
    unsigned flags = v->flags;

    if (!is_index) {
        const sl_hcl_value *r;
        if (v->is_null)
            return hcl_eval_error_at(ctx, at, "Attempt to get attribute from null value",
                                  "This value is null, so it does not have any attributes.");
        if (v->kind != SL_HCL_OBJECT && v->kind != SL_HCL_MAP)
            return hcl_eval_error_at(ctx, at, "Unsupported attribute",
                                  "Can't access attributes on a %s value (looking for \"%s\").",
                                  kind_name(v), name);
        r = sl_hcl_value_attr(v, name);
        if (!r)
            return v->kind == SL_HCL_OBJECT
                       ? hcl_eval_error_at(ctx, at, "Unsupported attribute",
                                        "This object does not have an attribute named \"%s\".",
                                        name)
                       : hcl_eval_error_at(ctx, at, "Invalid index",
                                        "The given key does not identify an element in this "
                                        "collection value.");
        *out = flags ? sl_hcl_mark(ctx->arena, r, flags) : r;
        return *out ? 0 : SL_ENOMEM;
    }
    if (v->is_null)
        return hcl_eval_error_at(ctx, at, "Attempt to index null value",
                              "This value is null, so it does not have any indices.");
    if (key->is_null)
        return hcl_eval_error_at(ctx, at, "Invalid index", "Can't use a null value as an indexing key.");
    flags |= key->flags;
    switch (v->kind) {
    case SL_HCL_LIST:
    case SL_HCL_TUPLE: {
        const sl_hcl_value *k;
        int64_t i;
        sl_buf why = SL_BUF_INIT;
        int rc = sl_hcl_convert(ctx->arena, key, &sl_hcl_t_number, &k, &why);
        sl_buf_free(&why);
        if (rc || sl_hcl_num_to_i64(&k->u.num, &i))
            return hcl_eval_error_at(ctx, at, "Invalid index",
                                  "The given key does not identify an element in this collection "
                                  "value: a whole number is required.");
        if (i < 0 || (uint64_t)i >= v->u.c.n)
            return hcl_eval_error_at(ctx, at, "Invalid index",
                                  "The given key does not identify an element in this collection "
                                  "value: the collection has %zu elements.",
                                  v->u.c.n);
        *out = v->u.c.v[i];
        break;
    }
    case SL_HCL_MAP:
    case SL_HCL_OBJECT: {
        const sl_hcl_value *k, *r;
        if (sl_hcl_value_to_string(ctx->arena, key, &k))
            return hcl_eval_error_at(ctx, at, "Invalid index",
                                  "The given key does not identify an element in this collection "
                                  "value: string required.");
        r = sl_hcl_value_attr(v, k->u.str.s);
        if (!r)
            return hcl_eval_error_at(ctx, at, "Invalid index",
                                  "The given key does not identify an element in this collection "
                                  "value.");
        *out = r;
        break;
    }
    case SL_HCL_SET:
        return hcl_eval_error_at(ctx, at, "Invalid index",
                              "Elements of a set are identified only by their value and don't "
                              "have any separate index or key to select with, so it's only "
                              "possible to perform operations across all elements of the set.");
    default:
        return hcl_eval_error_at(ctx, at, "Invalid index", "This value does not have any indices.");
    }
    if (flags)
        *out = sl_hcl_mark(ctx->arena, *out, flags);
    return *out ? 0 : SL_ENOMEM;
}

static int apply_steps(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const sl_hcl_value *v,
                       const sl_hcl_value **out)
{
    for (size_t i = 0; i < e->nsteps; i++) {
        const sl_hcl_step *st = &e->steps[i];
        int rc = apply_step(ctx, st->range, v, st->is_index, st->name, st->key, &v);
        if (rc)
            return rc;
    }
    *out = v;
    return 0;
}

/* Append v's string form to b (template interpolation rules). */
static int template_put(sl_hcl_ctx *ctx, const sl_hcl_expr *at, const sl_hcl_value *v, sl_buf *b,
                        unsigned *flags)
{
    const sl_hcl_value *s;

    if (v->is_null)
        return hcl_eval_error(ctx, at, "Invalid template interpolation value",
                              "The expression result is null. Cannot include a null value in a "
                              "string template.");
    if (sl_hcl_value_to_string(ctx->arena, v, &s))
        return hcl_eval_error(ctx, at, "Invalid template interpolation value",
                              "Cannot include the given value in a string template: string "
                              "required, but have %s.",
                              kind_name(v));
    *flags |= v->flags;
    return sl_buf_put(b, s->u.str.s, s->u.str.len) ? SL_ENOMEM : 0;
}

static int eval(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const sl_hcl_value **out);

static int eval_bool(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const char *what, int *b,
                     unsigned *flags)
{
    const sl_hcl_value *v, *c;
    int rc = eval(ctx, e, &v);

    if (rc)
        return rc;
    if (v->is_null)
        return hcl_eval_error(ctx, e, what, "The value is null, but a bool is required.");
    if (sl_hcl_convert(ctx->arena, v, &sl_hcl_t_bool, &c, NULL))
        return hcl_eval_error(ctx, e, what, "A bool is required, but have %s.", kind_name(v));
    *b = c->u.b;
    if (flags)
        *flags |= v->flags;
    return 0;
}

static int eval_template(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const sl_hcl_value **out)
{
    sl_buf b = SL_BUF_INIT;
    unsigned flags = 0;
    int rc = 0;

    for (size_t i = 0; !rc && i < e->nsub; i++) {
        const sl_hcl_value *v;
        rc = eval(ctx, e->sub[i], &v);
        if (!rc)
            rc = template_put(ctx, e->sub[i], v, &b, &flags);
    }
    if (!rc) {
        *out = sl_hcl_string(ctx->arena, b.len ? b.ptr : "", b.len);
        if (*out && flags)
            *out = sl_hcl_mark(ctx->arena, *out, flags);
        if (!*out)
            rc = SL_ENOMEM;
    }
    sl_buf_free(&b);
    return rc;
}

static int eval_number(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const char *side,
                       const sl_hcl_value **out)
{
    const sl_hcl_value *v;
    int rc = eval(ctx, e, &v);

    if (rc)
        return rc;
    if (v->is_null)
        return hcl_eval_error(ctx, e, "Invalid operand",
                              "Unsuitable value for %s operand: a number is required.", side);
    if (sl_hcl_convert(ctx->arena, v, &sl_hcl_t_number, out, NULL))
        return hcl_eval_error(ctx, e, "Invalid operand",
                              "Unsuitable value for %s operand: a number is required.", side);
    return 0;
}

static int eval_binary(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const sl_hcl_value **out)
{
    const sl_hcl_value *l, *r;
    unsigned flags;
    int rc;

    switch (e->op) {
    case SL_HCL_OP_AND:
    case SL_HCL_OP_OR: {
        int lb, rb;
        unsigned f = 0;
        rc = eval_bool(ctx, e->sub[0], "Invalid operand", &lb, &f);
        if (rc)
            return rc;
        rc = eval_bool(ctx, e->sub[1], "Invalid operand", &rb, &f);
        if (rc)
            return rc;
        *out = sl_hcl_bool(e->op == SL_HCL_OP_AND ? (lb && rb) : (lb || rb));
        if (f)
            *out = sl_hcl_mark(ctx->arena, *out, f);
        return *out ? 0 : SL_ENOMEM;
    }
    case SL_HCL_OP_EQ:
    case SL_HCL_OP_NE: {
        int eq;
        rc = eval(ctx, e->sub[0], &l);
        if (!rc)
            rc = eval(ctx, e->sub[1], &r);
        if (rc)
            return rc;
        eq = sl_hcl_value_equal(l, r);
        /* Numbers compare by value whatever their kind; a list and a tuple
         * of equal elements are equal. */
        if (!eq && !l->is_null && !r->is_null && l->kind >= SL_HCL_LIST &&
            r->kind >= SL_HCL_LIST) {
            const sl_hcl_value *c;
            if (!sl_hcl_convert(ctx->arena, r, l->type, &c, NULL))
                eq = sl_hcl_value_equal(l, c);
        }
        *out = sl_hcl_bool(e->op == SL_HCL_OP_EQ ? eq : !eq);
        flags = l->flags | r->flags;
        if (flags)
            *out = sl_hcl_mark(ctx->arena, *out, flags);
        return *out ? 0 : SL_ENOMEM;
    }
    default:
        break;
    }
    rc = eval_number(ctx, e->sub[0], "left", &l);
    if (!rc)
        rc = eval_number(ctx, e->sub[1], "right", &r);
    if (rc)
        return rc;
    flags = l->flags | r->flags;
    switch (e->op) {
    case SL_HCL_OP_LT:
    case SL_HCL_OP_LE:
    case SL_HCL_OP_GT:
    case SL_HCL_OP_GE: {
        int c = sl_hcl_num_cmp(&l->u.num, &r->u.num);
        int res = e->op == SL_HCL_OP_LT ? c < 0 : e->op == SL_HCL_OP_LE ? c <= 0
                  : e->op == SL_HCL_OP_GT ? c > 0 : c >= 0;
        *out = sl_hcl_bool(res);
        break;
    }
    default: {
        sl_hcl_num n;
        switch (e->op) {
        case SL_HCL_OP_ADD:
            rc = sl_hcl_num_add(ctx->arena, &l->u.num, &r->u.num, &n);
            break;
        case SL_HCL_OP_SUB:
            rc = sl_hcl_num_sub(ctx->arena, &l->u.num, &r->u.num, &n);
            break;
        case SL_HCL_OP_MUL:
            rc = sl_hcl_num_mul(ctx->arena, &l->u.num, &r->u.num, &n);
            break;
        case SL_HCL_OP_DIV:
            if (!r->u.num.nd)
                return hcl_eval_error(ctx, e, "Operation failed", "Error during operation: can't "
                                                                  "divide by zero.");
            rc = sl_hcl_num_div(ctx->arena, &l->u.num, &r->u.num, &n);
            break;
        case SL_HCL_OP_MOD:
            if (!r->u.num.nd)
                return hcl_eval_error(ctx, e, "Operation failed", "Error during operation: can't "
                                                                  "use modulo by zero.");
            rc = sl_hcl_num_mod(ctx->arena, &l->u.num, &r->u.num, &n);
            break;
        default:
            return hcl_eval_error(ctx, e, "Invalid operator", "Unsupported binary operator.");
        }
        if (rc == SL_ELIMIT)
            return hcl_eval_error(ctx, e, "Operation failed",
                                  "The result is too large to represent.");
        if (rc)
            return rc;
        *out = sl_hcl_number(ctx->arena, &n);
        break;
    }
    }
    if (*out && flags)
        *out = sl_hcl_mark(ctx->arena, *out, flags);
    return *out ? 0 : SL_ENOMEM;
}

/* Keys and values of an iterable value for `for` and splats. */
static int eval_for(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const sl_hcl_value **out)
{
    const sl_hcl_value *coll;
    const sl_hcl_value **vals = NULL, **tmp;
    const char **keys = NULL;
    size_t n = 0, cap = 0;
    int rc = eval(ctx, e->sub[0], &coll);

    if (rc)
        return rc;
    if (coll->is_null)
        return hcl_eval_error(ctx, e->sub[0], "Iteration over null value",
                              "A null value cannot be used as the collection in a 'for' "
                              "expression.");
    if (coll->kind < SL_HCL_LIST)
        return hcl_eval_error(ctx, e->sub[0], "Iteration over non-iterable value",
                              "A value of type %s cannot be used as the collection in a 'for' "
                              "expression.",
                              kind_name(coll));
    for (size_t i = 0; i < coll->u.c.n; i++) {
        const sl_hcl_value *kv, *vars, *val, *bind[2];
        const char *names[2];
        sl_hcl_ctx child;
        size_t nb = 0;
        if (coll->u.c.keys)
            kv = sl_hcl_string_cstr(ctx->arena, coll->u.c.keys[i]);
        else if (coll->kind == SL_HCL_SET)
            kv = coll->u.c.v[i];
        else
            kv = sl_hcl_number_i64(ctx->arena, (int64_t)i);
        NOMEM(kv);
        if (e->key_var) {
            names[nb] = e->key_var;
            bind[nb++] = kv;
        }
        names[nb] = e->forp->val_var;
        bind[nb++] = coll->u.c.v[i];
        vars = sl_hcl_object(ctx->arena, nb, names, bind);
        NOMEM(vars);
        sl_hcl_ctx_child(ctx, vars, &child);
        if (e->forp->cond) {
            int keep;
            rc = eval_bool(&child, e->forp->cond, "Invalid 'for' condition", &keep, NULL);
            if (rc)
                goto out;
            if (!keep)
                continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            tmp = realloc(vals, cap * sizeof(*vals));
            if (!tmp) {
                rc = SL_ENOMEM;
                goto out;
            }
            vals = tmp;
            if (e->for_object) {
                const char **kt = realloc(keys, cap * sizeof(*keys));
                if (!kt) {
                    rc = SL_ENOMEM;
                    goto out;
                }
                keys = kt;
            }
        }
        if (e->for_object) {
            const sl_hcl_value *k, *ks;
            rc = eval(&child, e->forp->key, &k);
            if (rc)
                goto out;
            if (k->is_null) {
                rc = hcl_eval_error(ctx, e->forp->key, "Invalid object key",
                                    "Key expression in 'for' expression must not produce a null "
                                    "value.");
                goto out;
            }
            if (sl_hcl_value_to_string(ctx->arena, k, &ks)) {
                rc = hcl_eval_error(ctx, e->forp->key, "Invalid object key",
                                    "The key expression produced an invalid result: string "
                                    "required.");
                goto out;
            }
            keys[n] = ks->u.str.s;
        }
        rc = eval(&child, e->sub[1], &val);
        if (rc)
            goto out;
        vals[n++] = val;
    }
    if (!e->for_object) {
        const sl_hcl_value **v = n ? sl_hcl_alloc(ctx->arena, n * sizeof(*v)) : NULL;
        if (n && !v) {
            rc = SL_ENOMEM;
            goto out;
        }
        if (n)
            memcpy(v, vals, n * sizeof(*v));
        *out = sl_hcl_tuple(ctx->arena, n, v);
    } else if (!e->for_group) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (!strcmp(keys[i], keys[j])) {
                    rc = hcl_eval_error(ctx, e->forp->key, "Duplicate object key",
                                        "Two different items produced the key \"%s\" in this "
                                        "'for' expression. If duplicates are expected, use the "
                                        "ellipsis (...) after the value expression to enable "
                                        "grouping by key.",
                                        keys[i]);
                    goto out;
                }
        *out = sl_hcl_object(ctx->arena, n, keys, vals);
    } else {
        /* Group values by key, keeping first-seen order within a group. */
        const char **gk = malloc((n ? n : 1) * sizeof(*gk));
        const sl_hcl_value **gv = malloc((n ? n : 1) * sizeof(*gv));
        size_t ng = 0;
        if (!gk || !gv) {
            free(gk);
            free(gv);
            rc = SL_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            size_t j, m = 0, w = 0;
            const sl_hcl_value **members;
            for (j = 0; j < ng; j++)
                if (!strcmp(gk[j], keys[i]))
                    break;
            if (j < ng)
                continue;
            for (size_t k = i; k < n; k++)
                if (!strcmp(keys[k], keys[i]))
                    m++;
            members = sl_hcl_alloc(ctx->arena, m * sizeof(*members));
            if (!members) {
                free(gk);
                free(gv);
                rc = SL_ENOMEM;
                goto out;
            }
            for (size_t k = i; k < n; k++)
                if (!strcmp(keys[k], keys[i]))
                    members[w++] = vals[k];
            gk[ng] = keys[i];
            gv[ng++] = sl_hcl_tuple(ctx->arena, m, members);
            if (!gv[ng - 1]) {
                free(gk);
                free(gv);
                rc = SL_ENOMEM;
                goto out;
            }
        }
        *out = sl_hcl_object(ctx->arena, ng, gk, gv);
        free(gk);
        free(gv);
    }
    if (!*out)
        rc = SL_ENOMEM;
    else if (coll->flags)
        *out = sl_hcl_mark(ctx->arena, *out, coll->flags);
out:
    free(vals);
    free(keys);
    return rc;
}

static int eval_splat(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const sl_hcl_value **out)
{
    const sl_hcl_value *src, **vals;
    size_t n;
    int rc = eval(ctx, e->sub[0], &src), single = 0;

    if (rc)
        return rc;
    if (src->is_null) {
        *out = sl_hcl_tuple(ctx->arena, 0, NULL);
        return *out ? 0 : SL_ENOMEM;
    }
    if (src->kind != SL_HCL_LIST && src->kind != SL_HCL_SET && src->kind != SL_HCL_TUPLE)
        single = 1;
    n = single ? 1 : src->u.c.n;
    vals = n ? sl_hcl_alloc(ctx->arena, n * sizeof(*vals)) : NULL;
    if (n && !vals)
        return SL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        sl_hcl_ctx child;
        sl_hcl_ctx_child(ctx, NULL, &child);
        child.splat = single ? src : src->u.c.v[i];
        rc = eval(&child, e->sub[1], &vals[i]);
        if (rc)
            return rc;
    }
    if (single) {
        *out = vals[0];
        return 0;
    }
    if (src->kind == SL_HCL_LIST || src->kind == SL_HCL_SET) {
        const sl_hcl_type **ts = malloc((n ? n : 1) * sizeof(*ts));
        const sl_hcl_value *tup;
        if (!ts)
            return SL_ENOMEM;
        for (size_t i = 0; i < n; i++)
            ts[i] = vals[i]->type;
        tup = sl_hcl_tuple(ctx->arena, n, vals);
        free(ts);
        if (!tup)
            return SL_ENOMEM;
        /* A list in, a list out when the results share a type. */
        if (sl_hcl_convert(ctx->arena, tup, sl_hcl_type_list(ctx->arena, &sl_hcl_t_dynamic), out,
                           NULL))
            *out = tup;
        return 0;
    }
    *out = sl_hcl_tuple(ctx->arena, n, vals);
    return *out ? 0 : SL_ENOMEM;
}

static int eval_call(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const sl_hcl_value **out)
{
    const sl_hcl_func *f = sl_hcl_func_lookup(ctx, e->name);
    const sl_hcl_value **argv = NULL;
    size_t argc = e->nsub;
    sl_hcl_call call = {0};
    int rc = 0;

    if (!f) {
        if (strstr(e->name, "::"))
            return hcl_eval_error(ctx, e, "Call to unknown function",
                                  "There is no function named \"%s\".", e->name);
        return hcl_eval_error(ctx, e, "Call to unknown function",
                              "There is no function named \"%s\".", e->name);
    }
    call.name = e->name;
    call.expr = e;
    call.args = (const sl_hcl_expr *const *)e->sub;
    if (!f->raw) {
        argv = calloc(argc ? argc : 1, sizeof(*argv));
        if (!argv)
            return SL_ENOMEM;
        for (size_t i = 0; i < e->nsub; i++) {
            rc = eval(ctx, e->sub[i], &argv[i]);
            if (rc)
                goto out;
        }
        if (e->expand_final && argc) {
            const sl_hcl_value *last = argv[argc - 1];
            const sl_hcl_value **nv;
            if (last->is_null || (last->kind != SL_HCL_LIST && last->kind != SL_HCL_SET &&
                                  last->kind != SL_HCL_TUPLE)) {
                rc = hcl_eval_error(ctx, e->sub[argc - 1], "Invalid expanding argument value",
                                    "The expanding argument (indicated by ...) must be of a "
                                    "tuple, list, or set type.");
                goto out;
            }
            nv = calloc(argc - 1 + last->u.c.n + 1, sizeof(*nv));
            if (!nv) {
                rc = SL_ENOMEM;
                goto out;
            }
            memcpy(nv, argv, (argc - 1) * sizeof(*nv));
            for (size_t i = 0; i < last->u.c.n; i++)
                nv[argc - 1 + i] = last->u.c.v[i];
            argc = argc - 1 + last->u.c.n;
            free(argv);
            argv = nv;
        }
    }
    if ((int)argc < f->min_args || (f->max_args >= 0 && (int)argc > f->max_args)) {
        if (f->min_args == f->max_args)
            rc = hcl_eval_error(ctx, e, (int)argc < f->min_args ? "Not enough function arguments"
                                                                : "Too many function arguments",
                                "Function \"%s\" expects %d argument(s). Missing value for "
                                "argument %zu.",
                                e->name, f->min_args, argc + 1);
        else
            rc = hcl_eval_error(ctx, e, (int)argc < f->min_args ? "Not enough function arguments"
                                                                : "Too many function arguments",
                                "Function \"%s\" expects %s%d argument(s), got %zu.", e->name,
                                (int)argc < f->min_args ? "at least " : "at most ",
                                (int)argc < f->min_args ? f->min_args : f->max_args, argc);
        goto out;
    }
    call.argc = argc;
    call.argv = argv;
    rc = f->fn(ctx, &call, out);
out:
    free(argv);
    return rc;
}

static int eval(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const sl_hcl_value **out)
{
    int rc = 0;

    *out = NULL;
    if (!e)
        return hcl_eval_error(ctx, NULL, "Invalid expression", "Missing expression.");
    if (++ctx->depth > EVAL_MAX_DEPTH) {
        ctx->depth--;
        return hcl_eval_error(ctx, e, "Expression too complex",
                              "Evaluation nested more than %d levels deep.", EVAL_MAX_DEPTH);
    }
    switch (e->kind) {
    case SL_HCL_E_LITERAL:
        *out = e->lit;
        break;
    case SL_HCL_E_TEMPLATE:
        rc = eval_template(ctx, e, out);
        break;
    case SL_HCL_E_TEMPLATE_WRAP:
    case SL_HCL_E_PARENS:
        rc = eval(ctx, e->sub[0], out);
        break;
    case SL_HCL_E_TEMPLATE_JOIN: {
        const sl_hcl_value *tup;
        rc = eval(ctx, e->sub[0], &tup);
        if (!rc) {
            sl_buf b = SL_BUF_INIT;
            unsigned flags = tup->flags;
            for (size_t i = 0; !rc && i < tup->u.c.n; i++)
                rc = template_put(ctx, e, tup->u.c.v[i], &b, &flags);
            if (!rc) {
                *out = sl_hcl_string(ctx->arena, b.len ? b.ptr : "", b.len);
                if (*out && flags)
                    *out = sl_hcl_mark(ctx->arena, *out, flags);
                if (!*out)
                    rc = SL_ENOMEM;
            }
            sl_buf_free(&b);
        }
        break;
    }
    case SL_HCL_E_SCOPE_TRAV: {
        const sl_hcl_value *v = lookup_var(ctx, e->name);
        if (!v) {
            sl_hcl_span at = e->range;
            at.end = e->nsteps ? e->steps[0].range.start : e->range.end;
            rc = hcl_eval_error_at(ctx, at, "Unknown variable",
                                "There is no variable named \"%s\".", e->name);
            break;
        }
        rc = apply_steps(ctx, e, v, out);
        break;
    }
    case SL_HCL_E_REL_TRAV: {
        const sl_hcl_value *v;
        rc = eval(ctx, e->sub[0], &v);
        if (!rc)
            rc = apply_steps(ctx, e, v, out);
        break;
    }
    case SL_HCL_E_FUNCALL:
        rc = eval_call(ctx, e, out);
        break;
    case SL_HCL_E_CONDITIONAL: {
        int c;
        unsigned flags = 0;
        rc = eval_bool(ctx, e->sub[0], "Invalid conditional", &c, &flags);
        if (!rc)
            rc = eval(ctx, e->sub[c ? 1 : 2], out);
        if (!rc && flags)
            *out = sl_hcl_mark(ctx->arena, *out, flags);
        break;
    }
    case SL_HCL_E_BINARY:
        rc = eval_binary(ctx, e, out);
        break;
    case SL_HCL_E_UNARY:
        if (e->op == SL_HCL_OP_NOT) {
            int b;
            unsigned flags = 0;
            rc = eval_bool(ctx, e->sub[0], "Invalid operand", &b, &flags);
            if (!rc)
                *out = flags ? sl_hcl_mark(ctx->arena, sl_hcl_bool(!b), flags) : sl_hcl_bool(!b);
        } else {
            const sl_hcl_value *v;
            rc = eval_number(ctx, e->sub[0], "unary", &v);
            if (!rc) {
                sl_hcl_num n = v->u.num;
                if (n.nd)
                    n.neg = !n.neg;
                *out = sl_hcl_number(ctx->arena, &n);
                if (*out && v->flags)
                    *out = sl_hcl_mark(ctx->arena, *out, v->flags);
            }
        }
        break;
    case SL_HCL_E_TUPLE: {
        const sl_hcl_value **v = e->nsub ? sl_hcl_alloc(ctx->arena, e->nsub * sizeof(*v)) : NULL;
        if (e->nsub && !v) {
            rc = SL_ENOMEM;
            break;
        }
        for (size_t i = 0; !rc && i < e->nsub; i++)
            rc = eval(ctx, e->sub[i], &v[i]);
        if (!rc)
            *out = sl_hcl_tuple(ctx->arena, e->nsub, v);
        break;
    }
    case SL_HCL_E_OBJECT: {
        size_t n = e->nsub / 2;
        const sl_hcl_value **v = calloc(n ? n : 1, sizeof(*v));
        const char **k = calloc(n ? n : 1, sizeof(*k));
        if (!v || !k) {
            free(v);
            free(k);
            rc = SL_ENOMEM;
            break;
        }
        for (size_t i = 0; !rc && i < n; i++) {
            /* A bare identifier key is a string literal (the parser made
             * it one); anything else is evaluated. */
            const sl_hcl_expr *inner = e->sub[i];
            const char *kw = NULL;
            if (inner->kind == SL_HCL_E_LITERAL && inner->lit->kind == SL_HCL_STRING &&
                !inner->lit->is_null)
                kw = inner->lit->u.str.s;
            if (kw) {
                k[i] = kw;
            } else {
                const sl_hcl_value *kv, *ks;
                rc = eval(ctx, inner, &kv);
                if (rc)
                    break;
                if (kv->is_null) {
                    rc = hcl_eval_error(ctx, inner, "Null value as key",
                                        "Can't use a null value as a key.");
                    break;
                }
                if (sl_hcl_value_to_string(ctx->arena, kv, &ks)) {
                    rc = hcl_eval_error(ctx, inner, "Incorrect key type",
                                        "Can't use this value as a key: string required.");
                    break;
                }
                k[i] = ks->u.str.s;
            }
            rc = eval(ctx, e->sub[n + i], &v[i]);
        }
        if (!rc)
            *out = sl_hcl_object(ctx->arena, n, k, v);
        free(v);
        free(k);
        break;
    }
    case SL_HCL_E_FOR:
        rc = eval_for(ctx, e, out);
        break;
    case SL_HCL_E_INDEX: {
        const sl_hcl_value *c, *k;
        rc = eval(ctx, e->sub[0], &c);
        if (!rc)
            rc = eval(ctx, e->sub[1], &k);
        if (!rc) {
            rc = apply_step(ctx, e->name_range, c, 1, NULL, k, out);
        }
        break;
    }
    case SL_HCL_E_SPLAT:
        rc = eval_splat(ctx, e, out);
        break;
    case SL_HCL_E_ANON:
        *out = lookup_splat(ctx);
        if (!*out)
            rc = hcl_eval_error(ctx, e, "Invalid splat", "A splat item is used outside a splat "
                                                         "expression.");
        break;
    default:
        rc = hcl_eval_error(ctx, e, "Invalid expression",
                            "This expression could not be parsed, so it cannot be evaluated.");
        break;
    }
    if (!rc && !*out)
        rc = SL_ENOMEM;
    ctx->depth--;
    return rc;
}

int sl_hcl_eval(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const sl_hcl_value **out)
{
    return eval(ctx, e, out);
}

const sl_hcl_func *sl_hcl_func_lookup(const sl_hcl_ctx *ctx, const char *name)
{
    for (const sl_hcl_ctx *c = ctx; c; c = c->parent)
        for (const sl_hcl_func *f = c->funcs; f && f->name; f++)
            if (!strcmp(f->name, name))
                return f;
    if (!strncmp(name, "core::", 6))
        name += 6;
    for (const sl_hcl_func *f = sl_hcl_builtins; f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

const sl_hcl_value *hcl_unmark(const sl_hcl_value *v)
{
    return v;
}
