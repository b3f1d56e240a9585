/* hcl_value.c: cty-like values and types: constructors, equality and
 * ordering, Terraform's type conversions and unification, JSON in and out,
 * and type spelling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hcl_int.h"

const sl_hcl_type sl_hcl_t_dynamic = {.kind = SL_HCL_DYNAMIC};
const sl_hcl_type sl_hcl_t_bool = {.kind = SL_HCL_BOOL};
const sl_hcl_type sl_hcl_t_number = {.kind = SL_HCL_NUMBER};
const sl_hcl_type sl_hcl_t_string = {.kind = SL_HCL_STRING};

const sl_hcl_value sl_hcl_null_dynamic = {.kind = SL_HCL_DYNAMIC, .is_null = 1,
                                          .type = &sl_hcl_t_dynamic};
const sl_hcl_value sl_hcl_true = {.kind = SL_HCL_BOOL, .type = &sl_hcl_t_bool, .u.b = 1};
const sl_hcl_value sl_hcl_false = {.kind = SL_HCL_BOOL, .type = &sl_hcl_t_bool, .u.b = 0};
const sl_hcl_value sl_hcl_empty_string = {.kind = SL_HCL_STRING, .type = &sl_hcl_t_string,
                                          .u.str = {"", 0}};

/* ---------------------------------------------------------------- types */

static sl_hcl_type *type_new(sl_hcl_arena *a, sl_hcl_kind k)
{
    sl_hcl_type *t = sl_hcl_alloc(a, sizeof(*t));

    if (t)
        t->kind = k;
    return t;
}

const sl_hcl_type *sl_hcl_type_list(sl_hcl_arena *a, const sl_hcl_type *elem)
{
    sl_hcl_type *t = elem ? type_new(a, SL_HCL_LIST) : NULL;
    if (t)
        t->elem = elem;
    return t;
}

const sl_hcl_type *sl_hcl_type_set(sl_hcl_arena *a, const sl_hcl_type *elem)
{
    sl_hcl_type *t = elem ? type_new(a, SL_HCL_SET) : NULL;
    if (t)
        t->elem = elem;
    return t;
}

const sl_hcl_type *sl_hcl_type_map(sl_hcl_arena *a, const sl_hcl_type *elem)
{
    sl_hcl_type *t = elem ? type_new(a, SL_HCL_MAP) : NULL;
    if (t)
        t->elem = elem;
    return t;
}

typedef struct kv_pair {
    const char *k;
    const void *v;
    size_t idx;
} kv_pair;

static int kv_cmp(const void *a, const void *b)
{
    const kv_pair *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

const sl_hcl_type *sl_hcl_type_object(sl_hcl_arena *a, size_t n, const char *const *names,
                                      const sl_hcl_type *const *types)
{
    sl_hcl_type *t = type_new(a, SL_HCL_OBJECT);
    kv_pair *kv;
    const char **nm;
    const sl_hcl_type **ty;

    if (!t)
        return NULL;
    if (!n)
        return t;
    kv = malloc(n * sizeof(*kv));
    nm = sl_hcl_alloc(a, n * sizeof(*nm));
    ty = sl_hcl_alloc(a, n * sizeof(*ty));
    if (!kv || !nm || !ty) {
        free(kv);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        kv[i].k = names[i];
        kv[i].v = types[i];
        kv[i].idx = i;
    }
    qsort(kv, n, sizeof(*kv), kv_cmp);
    t->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (t->n && !strcmp(nm[t->n - 1], kv[i].k)) {
            ty[t->n - 1] = kv[i].v;
            continue;
        }
        nm[t->n] = sl_hcl_strndup(a, kv[i].k, strlen(kv[i].k));
        ty[t->n] = kv[i].v;
        if (!nm[t->n]) {
            free(kv);
            return NULL;
        }
        t->n++;
    }
    free(kv);
    t->names = nm;
    t->types = ty;
    return t;
}

const sl_hcl_type *sl_hcl_type_tuple(sl_hcl_arena *a, size_t n, const sl_hcl_type *const *types)
{
    sl_hcl_type *t = type_new(a, SL_HCL_TUPLE);
    const sl_hcl_type **ty;

    if (!t)
        return NULL;
    if (!n)
        return t;
    ty = sl_hcl_alloc(a, n * sizeof(*ty));
    if (!ty)
        return NULL;
    memcpy(ty, types, n * sizeof(*ty));
    t->n = n;
    t->types = ty;
    return t;
}

int sl_hcl_type_equal(const sl_hcl_type *x, const sl_hcl_type *y)
{
    if (x == y)
        return 1;
    if (!x || !y || x->kind != y->kind)
        return 0;
    switch (x->kind) {
    case SL_HCL_LIST:
    case SL_HCL_SET:
    case SL_HCL_MAP:
        return sl_hcl_type_equal(x->elem, y->elem);
    case SL_HCL_OBJECT:
        if (x->n != y->n)
            return 0;
        for (size_t i = 0; i < x->n; i++)
            if (strcmp(x->names[i], y->names[i]) || !sl_hcl_type_equal(x->types[i], y->types[i]))
                return 0;
        return 1;
    case SL_HCL_TUPLE:
        if (x->n != y->n)
            return 0;
        for (size_t i = 0; i < x->n; i++)
            if (!sl_hcl_type_equal(x->types[i], y->types[i]))
                return 0;
        return 1;
    default:
        return 1;
    }
}

int sl_hcl_type_is_concrete(const sl_hcl_type *t)
{
    switch (t->kind) {
    case SL_HCL_DYNAMIC:
        return 0;
    case SL_HCL_LIST:
    case SL_HCL_SET:
    case SL_HCL_MAP:
        return sl_hcl_type_is_concrete(t->elem);
    case SL_HCL_OBJECT:
    case SL_HCL_TUPLE:
        for (size_t i = 0; i < t->n; i++)
            if (!sl_hcl_type_is_concrete(t->types[i]))
                return 0;
        return 1;
    default:
        return 1;
    }
}

long sl_hcl_type_attr(const sl_hcl_type *t, const char *name)
{
    size_t lo = 0, hi = t->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(t->names[mid], name);
        if (!c)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int sl_hcl_type_format(const sl_hcl_type *t, sl_buf *out)
{
    int rc = 0;

    switch (t->kind) {
    case SL_HCL_DYNAMIC:
        return sl_buf_puts(out, "any");
    case SL_HCL_BOOL:
        return sl_buf_puts(out, "bool");
    case SL_HCL_NUMBER:
        return sl_buf_puts(out, "number");
    case SL_HCL_STRING:
        return sl_buf_puts(out, "string");
    case SL_HCL_LIST:
    case SL_HCL_SET:
    case SL_HCL_MAP:
        rc = sl_buf_puts(out, t->kind == SL_HCL_LIST ? "list(" : t->kind == SL_HCL_SET ? "set("
                                                                                        : "map(");
        if (!rc)
            rc = sl_hcl_type_format(t->elem, out);
        return rc ? rc : sl_buf_putc(out, ')');
    case SL_HCL_OBJECT:
        rc = sl_buf_puts(out, "object({");
        for (size_t i = 0; !rc && i < t->n; i++) {
            rc = sl_buf_printf(out, "%s%s=", i ? "," : "", t->names[i]);
            if (!rc && t->optional && t->optional[i])
                rc = sl_buf_puts(out, "optional(");
            if (!rc)
                rc = sl_hcl_type_format(t->types[i], out);
            if (!rc && t->optional && t->optional[i])
                rc = sl_buf_putc(out, ')');
        }
        return rc ? rc : sl_buf_puts(out, "})");
    case SL_HCL_TUPLE:
        rc = sl_buf_puts(out, "tuple([");
        for (size_t i = 0; !rc && i < t->n; i++) {
            if (i)
                rc = sl_buf_putc(out, ',');
            if (!rc)
                rc = sl_hcl_type_format(t->types[i], out);
        }
        return rc ? rc : sl_buf_puts(out, "])");
    }
    return rc;
}

/* --------------------------------------------------------------- values */

static sl_hcl_value *val_new(sl_hcl_arena *a, sl_hcl_kind k, const sl_hcl_type *t)
{
    sl_hcl_value *v = sl_hcl_alloc(a, sizeof(*v));

    if (v) {
        v->kind = k;
        v->type = t;
    }
    return v;
}

const sl_hcl_value *sl_hcl_null(sl_hcl_arena *a, const sl_hcl_type *t)
{
    sl_hcl_value *v;

    if (!t || t->kind == SL_HCL_DYNAMIC)
        return &sl_hcl_null_dynamic;
    v = val_new(a, t->kind, t);
    if (v)
        v->is_null = 1;
    return v;
}

const sl_hcl_value *sl_hcl_bool(int b)
{
    return b ? &sl_hcl_true : &sl_hcl_false;
}

const sl_hcl_value *sl_hcl_number(sl_hcl_arena *a, const sl_hcl_num *n)
{
    sl_hcl_value *v = val_new(a, SL_HCL_NUMBER, &sl_hcl_t_number);

    if (v)
        v->u.num = *n;
    return v;
}

const sl_hcl_value *sl_hcl_number_i64(sl_hcl_arena *a, int64_t i)
{
    sl_hcl_num n;

    if (sl_hcl_num_from_i64(a, i, &n))
        return NULL;
    return sl_hcl_number(a, &n);
}

const sl_hcl_value *sl_hcl_number_double(sl_hcl_arena *a, double d)
{
    sl_hcl_num n;

    if (sl_hcl_num_from_double(a, d, &n))
        return NULL;
    return sl_hcl_number(a, &n);
}

const sl_hcl_value *sl_hcl_string(sl_hcl_arena *a, const char *s, size_t n)
{
    sl_hcl_value *v;

    if (!n)
        return &sl_hcl_empty_string;
    if (!hcl_utf8_valid(s, n))
        return NULL;
    v = val_new(a, SL_HCL_STRING, &sl_hcl_t_string);
    if (!v)
        return NULL;
    {
        char *norm = NULL;
        size_t nn = 0;
        if (hcl_nfc(s, n, &norm, &nn))
            return NULL;
        if (norm) {
            v->u.str.s = sl_hcl_strndup(a, norm, nn);
            v->u.str.len = nn;
            free(norm);
            return v->u.str.s ? v : NULL;
        }
    }
    v->u.str.s = sl_hcl_strndup(a, s, n);
    v->u.str.len = n;
    return v->u.str.s ? v : NULL;
}

const sl_hcl_value *sl_hcl_string_cstr(sl_hcl_arena *a, const char *s)
{
    return sl_hcl_string(a, s, strlen(s));
}

static unsigned flags_of(size_t n, const sl_hcl_value **v)
{
    unsigned f = 0;
    for (size_t i = 0; i < n; i++)
        f |= v[i]->flags;
    return f;
}

const sl_hcl_value *sl_hcl_tuple(sl_hcl_arena *a, size_t n, const sl_hcl_value **v)
{
    const sl_hcl_type **ts = n ? malloc(n * sizeof(*ts)) : NULL;
    const sl_hcl_type *t;
    sl_hcl_value *r;

    if (n && !ts)
        return NULL;
    for (size_t i = 0; i < n; i++)
        ts[i] = v[i]->type;
    t = sl_hcl_type_tuple(a, n, ts);
    free(ts);
    r = t ? val_new(a, SL_HCL_TUPLE, t) : NULL;
    if (!r)
        return NULL;
    r->u.c.n = n;
    r->u.c.v = v;
    r->flags = flags_of(n, v) & SL_HCL_SENSITIVE;
    return r;
}

const sl_hcl_value *sl_hcl_list(sl_hcl_arena *a, const sl_hcl_type *elem, size_t n,
                                const sl_hcl_value **v)
{
    const sl_hcl_type *t = sl_hcl_type_list(a, elem);
    sl_hcl_value *r = t ? val_new(a, SL_HCL_LIST, t) : NULL;

    if (!r)
        return NULL;
    r->u.c.n = n;
    r->u.c.v = v;
    r->flags = flags_of(n, v) & SL_HCL_SENSITIVE;
    return r;
}

static int val_cmp_q(const void *a, const void *b)
{
    return sl_hcl_value_cmp(*(const sl_hcl_value *const *)a, *(const sl_hcl_value *const *)b);
}

const sl_hcl_value *sl_hcl_set(sl_hcl_arena *a, const sl_hcl_type *elem, size_t n,
                               const sl_hcl_value **v)
{
    const sl_hcl_type *t = sl_hcl_type_set(a, elem);
    sl_hcl_value *r = t ? val_new(a, SL_HCL_SET, t) : NULL;
    size_t w = 0;

    if (!r)
        return NULL;
    if (n)
        qsort(v, n, sizeof(*v), val_cmp_q);
    for (size_t i = 0; i < n; i++)
        if (!w || !sl_hcl_value_equal(v[w - 1], v[i]))
            v[w++] = v[i];
    r->u.c.n = w;
    r->u.c.v = v;
    r->flags = flags_of(w, v) & SL_HCL_SENSITIVE;
    return r;
}

/* Sort entries by key (stable: the last duplicate wins). */
static int sort_entries(sl_hcl_arena *a, size_t n, const char **keys, const sl_hcl_value **v,
                        const char ***ko, const sl_hcl_value ***vo, size_t *no)
{
    kv_pair *kv = n ? malloc(n * sizeof(*kv)) : NULL;
    const char **k2 = n ? sl_hcl_alloc(a, n * sizeof(*k2)) : NULL;
    const sl_hcl_value **v2 = n ? sl_hcl_alloc(a, n * sizeof(*v2)) : NULL;
    size_t w = 0;

    if (n && (!kv || !k2 || !v2)) {
        free(kv);
        return SL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        kv[i].k = keys[i];
        kv[i].v = v[i];
        kv[i].idx = i;
    }
    if (n)
        qsort(kv, n, sizeof(*kv), kv_cmp);
    for (size_t i = 0; i < n; i++) {
        if (w && !strcmp(k2[w - 1], kv[i].k)) {
            v2[w - 1] = kv[i].v;
            continue;
        }
        k2[w] = sl_hcl_strndup(a, kv[i].k, strlen(kv[i].k));
        if (!k2[w]) {
            free(kv);
            return SL_ENOMEM;
        }
        v2[w++] = kv[i].v;
    }
    free(kv);
    *ko = k2;
    *vo = v2;
    *no = w;
    return 0;
}

const sl_hcl_value *sl_hcl_object(sl_hcl_arena *a, size_t n, const char **keys,
                                  const sl_hcl_value **v)
{
    const char **k2;
    const sl_hcl_value **v2;
    const sl_hcl_type **ts;
    const sl_hcl_type *t;
    sl_hcl_value *r;
    sl_hcl_type *ot;
    size_t m;

    if (sort_entries(a, n, keys, v, &k2, &v2, &m))
        return NULL;
    ts = m ? sl_hcl_alloc(a, m * sizeof(*ts)) : NULL;
    ot = type_new(a, SL_HCL_OBJECT);
    if ((m && !ts) || !ot)
        return NULL;
    for (size_t i = 0; i < m; i++)
        ts[i] = v2[i]->type;
    ot->n = m;
    ot->names = k2;
    ot->types = ts;
    t = ot;
    r = val_new(a, SL_HCL_OBJECT, t);
    if (!r)
        return NULL;
    r->u.c.n = m;
    r->u.c.v = v2;
    r->u.c.keys = k2;
    r->flags = flags_of(m, v2) & SL_HCL_SENSITIVE;
    return r;
}

const sl_hcl_value *sl_hcl_map(sl_hcl_arena *a, const sl_hcl_type *elem, size_t n,
                               const char **keys, const sl_hcl_value **v)
{
    const char **k2;
    const sl_hcl_value **v2;
    const sl_hcl_type *t = sl_hcl_type_map(a, elem);
    sl_hcl_value *r;
    size_t m;

    if (!t || sort_entries(a, n, keys, v, &k2, &v2, &m))
        return NULL;
    r = val_new(a, SL_HCL_MAP, t);
    if (!r)
        return NULL;
    r->u.c.n = m;
    r->u.c.v = v2;
    r->u.c.keys = k2;
    r->flags = flags_of(m, v2) & SL_HCL_SENSITIVE;
    return r;
}

const sl_hcl_value *sl_hcl_mark(sl_hcl_arena *a, const sl_hcl_value *v, unsigned flags)
{
    sl_hcl_value *c;

    if ((v->flags & flags) == flags)
        return v;
    c = sl_hcl_alloc(a, sizeof(*c));
    if (!c)
        return NULL;
    *c = *v;
    c->flags |= flags;
    return c;
}

const sl_hcl_value *sl_hcl_value_attr(const sl_hcl_value *v, const char *key)
{
    size_t lo = 0, hi;

    if (!v || v->is_null || (v->kind != SL_HCL_OBJECT && v->kind != SL_HCL_MAP))
        return NULL;
    hi = v->u.c.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(v->u.c.keys[mid], key);
        if (!c)
            return v->u.c.v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int sl_hcl_value_equal(const sl_hcl_value *x, const sl_hcl_value *y)
{
    if (x == y)
        return 1;
    if (x->is_null || y->is_null)
        return x->is_null && y->is_null;
    if (x->kind != y->kind)
        return 0;
    switch (x->kind) {
    case SL_HCL_BOOL:
        return x->u.b == y->u.b;
    case SL_HCL_NUMBER:
        return sl_hcl_num_cmp(&x->u.num, &y->u.num) == 0;
    case SL_HCL_STRING:
        return x->u.str.len == y->u.str.len && !memcmp(x->u.str.s, y->u.str.s, x->u.str.len);
    case SL_HCL_LIST:
    case SL_HCL_SET:
    case SL_HCL_TUPLE:
    case SL_HCL_MAP:
    case SL_HCL_OBJECT:
        if (x->u.c.n != y->u.c.n)
            return 0;
        if ((x->kind == SL_HCL_LIST || x->kind == SL_HCL_SET || x->kind == SL_HCL_MAP) &&
            !sl_hcl_type_equal(x->type, y->type))
            return 0;
        for (size_t i = 0; i < x->u.c.n; i++) {
            if (x->u.c.keys && strcmp(x->u.c.keys[i], y->u.c.keys[i]))
                return 0;
            if (!sl_hcl_value_equal(x->u.c.v[i], y->u.c.v[i]))
                return 0;
        }
        return 1;
    default:
        return 0;
    }
}

int sl_hcl_value_cmp(const sl_hcl_value *x, const sl_hcl_value *y)
{
    if (x->is_null || y->is_null)
        return y->is_null - x->is_null;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    switch (x->kind) {
    case SL_HCL_BOOL:
        return x->u.b - y->u.b;
    case SL_HCL_NUMBER:
        return sl_hcl_num_cmp(&x->u.num, &y->u.num);
    case SL_HCL_STRING: {
        size_t n = x->u.str.len < y->u.str.len ? x->u.str.len : y->u.str.len;
        int c = memcmp(x->u.str.s, y->u.str.s, n);
        if (c)
            return c;
        return (x->u.str.len > y->u.str.len) - (x->u.str.len < y->u.str.len);
    }
    default: {
        size_t n = x->u.c.n < y->u.c.n ? x->u.c.n : y->u.c.n;
        for (size_t i = 0; i < n; i++) {
            int c;
            if (x->u.c.keys && (c = strcmp(x->u.c.keys[i], y->u.c.keys[i])))
                return c;
            c = sl_hcl_value_cmp(x->u.c.v[i], y->u.c.v[i]);
            if (c)
                return c;
        }
        return (x->u.c.n > y->u.c.n) - (x->u.c.n < y->u.c.n);
    }
    }
}

int sl_hcl_value_has_null(const sl_hcl_value *v)
{
    if (v->is_null)
        return 1;
    if (v->kind >= SL_HCL_LIST)
        for (size_t i = 0; i < v->u.c.n; i++)
            if (sl_hcl_value_has_null(v->u.c.v[i]))
                return 1;
    return 0;
}

/* ----------------------------------------------------------- conversion */

static int why_set(sl_buf *why, const char *msg)
{
    if (why) {
        sl_buf_reset(why);
        sl_buf_puts(why, msg);
    }
    return SL_EINVAL;
}

int sl_hcl_value_to_string(sl_hcl_arena *a, const sl_hcl_value *v, const sl_hcl_value **out)
{
    if (v->is_null)
        return SL_EINVAL;
    switch (v->kind) {
    case SL_HCL_STRING:
        *out = v;
        return 0;
    case SL_HCL_BOOL:
        *out = sl_hcl_string_cstr(a, v->u.b ? "true" : "false");
        break;
    case SL_HCL_NUMBER: {
        sl_buf b = SL_BUF_INIT;
        if (sl_hcl_num_format(&v->u.num, &b)) {
            sl_buf_free(&b);
            return SL_ENOMEM;
        }
        *out = sl_hcl_string(a, b.ptr, b.len);
        sl_buf_free(&b);
        break;
    }
    default:
        return SL_EINVAL;
    }
    if (!*out)
        return SL_ENOMEM;
    if (v->flags)
        *out = sl_hcl_mark(a, *out, v->flags);
    return *out ? 0 : SL_ENOMEM;
}

static const sl_hcl_type *unify(sl_hcl_arena *a, size_t n, const sl_hcl_type *const *ts);

/* The common type of a set of types, cty-style; NULL when none. */
static const sl_hcl_type *unify(sl_hcl_arena *a, size_t n, const sl_hcl_type *const *ts)
{
    int all_eq = 1, prim = 1, has_str = 0, objmap = 1, same_attrs = 1, seqs = 1;
    size_t first = 0;

    /* Untyped nulls do not constrain. */
    while (first < n && ts[first]->kind == SL_HCL_DYNAMIC)
        first++;
    if (first == n)
        return &sl_hcl_t_dynamic;
    for (size_t i = first; i < n; i++) {
        const sl_hcl_type *t = ts[i];
        if (t->kind == SL_HCL_DYNAMIC)
            continue;
        if (!sl_hcl_type_equal(t, ts[first]))
            all_eq = 0;
        if (t->kind > SL_HCL_STRING)
            prim = 0;
        if (t->kind == SL_HCL_STRING)
            has_str = 1;
        if (t->kind != SL_HCL_OBJECT && t->kind != SL_HCL_MAP)
            objmap = 0;
        if (t->kind != SL_HCL_OBJECT || t->n != ts[first]->n)
            same_attrs = 0;
        else
            for (size_t j = 0; j < t->n; j++)
                if (ts[first]->kind != SL_HCL_OBJECT || strcmp(t->names[j], ts[first]->names[j]))
                    same_attrs = 0;
        if (t->kind != SL_HCL_TUPLE && t->kind != SL_HCL_LIST)
            seqs = 0;
    }
    if (all_eq)
        return ts[first];
    if (prim)
        return has_str ? &sl_hcl_t_string : NULL;
    if (same_attrs) {
        size_t m = ts[first]->n;
        const sl_hcl_type **at = malloc((m ? m : 1) * sizeof(*at));
        const sl_hcl_type **col = malloc((n ? n : 1) * sizeof(*col));
        const sl_hcl_type *r = NULL;
        if (!at || !col)
            goto fail_obj;
        for (size_t j = 0; j < m; j++) {
            size_t k = 0;
            for (size_t i = first; i < n; i++)
                if (ts[i]->kind != SL_HCL_DYNAMIC)
                    col[k++] = ts[i]->types[j];
            at[j] = unify(a, k, col);
            if (!at[j])
                goto fail_obj;
        }
        r = sl_hcl_type_object(a, m, ts[first]->names, at);
    fail_obj:
        free(at);
        free(col);
        return r;
    }
    if (objmap || seqs) {
        /* Elements / attributes of all of them must unify. */
        size_t total = 0, k = 0;
        const sl_hcl_type **col, *e;
        for (size_t i = first; i < n; i++)
            if (ts[i]->kind == SL_HCL_OBJECT || ts[i]->kind == SL_HCL_TUPLE)
                total += ts[i]->n;
            else if (ts[i]->kind != SL_HCL_DYNAMIC)
                total++;
        col = malloc((total ? total : 1) * sizeof(*col));
        if (!col)
            return NULL;
        for (size_t i = first; i < n; i++) {
            if (ts[i]->kind == SL_HCL_OBJECT || ts[i]->kind == SL_HCL_TUPLE)
                for (size_t j = 0; j < ts[i]->n; j++)
                    col[k++] = ts[i]->types[j];
            else if (ts[i]->kind != SL_HCL_DYNAMIC)
                col[k++] = ts[i]->elem;
        }
        e = unify(a, k, col);
        free(col);
        if (!e)
            return NULL;
        return objmap ? sl_hcl_type_map(a, e) : sl_hcl_type_list(a, e);
    }
    return NULL;
}

static int convert(sl_hcl_arena *a, const sl_hcl_value *v, const sl_hcl_type *t,
                   const sl_hcl_value **out, sl_buf *why, int depth);

/* Convert every element of v (list/set/tuple/map/object) to elem (unifying
 * first when elem is DYNAMIC); fills vals (and keys for maps). */
static int convert_elems(sl_hcl_arena *a, const sl_hcl_value *v, const sl_hcl_type *elem,
                         const sl_hcl_value ***vals, const sl_hcl_type **elem_out, sl_buf *why,
                         int depth)
{
    size_t n = v->u.c.n;
    const sl_hcl_value **r = n ? sl_hcl_alloc(a, n * sizeof(*r)) : NULL;

    if (n && !r)
        return SL_ENOMEM;
    if (elem->kind == SL_HCL_DYNAMIC || !sl_hcl_type_is_concrete(elem)) {
        const sl_hcl_type **ts = malloc((n ? n : 1) * sizeof(*ts));
        const sl_hcl_type *u;
        if (!ts)
            return SL_ENOMEM;
        for (size_t i = 0; i < n; i++)
            ts[i] = v->u.c.v[i]->type;
        u = n ? unify(a, n, ts) : (v->kind <= SL_HCL_MAP && v->type->elem ? v->type->elem : elem);
        free(ts);
        if (!u)
            return why_set(why, v->kind == SL_HCL_OBJECT || v->kind == SL_HCL_MAP
                                    ? "all map elements must have the same type"
                                    : "all list elements must have the same type");
        if (elem->kind != SL_HCL_DYNAMIC && u->kind != SL_HCL_DYNAMIC)
            u = elem; /* partially dynamic constraint: convert to it */
        elem = u;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = convert(a, v->u.c.v[i], elem, &r[i], why, depth + 1);
        if (rc) {
            if (why && rc == SL_EINVAL) {
                char pre[64];
                if (v->u.c.keys)
                    snprintf(pre, sizeof(pre), "element \"%.40s\": ", v->u.c.keys[i]);
                else
                    snprintf(pre, sizeof(pre), "element %zu: ", i);
                if (!strstr(why->ptr ? why->ptr : "", "element")) {
                    sl_buf tmp = SL_BUF_INIT;
                    sl_buf_puts(&tmp, pre);
                    sl_buf_puts(&tmp, why->ptr ? why->ptr : "");
                    sl_buf_reset(why);
                    sl_buf_puts(why, tmp.ptr);
                    sl_buf_free(&tmp);
                }
            }
            return rc;
        }
    }
    *vals = r;
    *elem_out = elem;
    return 0;
}

static int convert(sl_hcl_arena *a, const sl_hcl_value *v, const sl_hcl_type *t,
                   const sl_hcl_value **out, sl_buf *why, int depth)
{
    int rc;

    if (depth > 200)
        return why_set(why, "value nested too deeply");
    if (t->kind == SL_HCL_DYNAMIC) {
        *out = v;
        return 0;
    }
    if (v->is_null) {
        *out = sl_hcl_null(a, t);
        if (*out && v->flags)
            *out = sl_hcl_mark(a, *out, v->flags);
        return *out ? 0 : SL_ENOMEM;
    }
    if (sl_hcl_type_equal(v->type, t) && !t->optional) {
        *out = v;
        return 0;
    }
    switch (t->kind) {
    case SL_HCL_STRING:
        if (v->kind == SL_HCL_NUMBER || v->kind == SL_HCL_BOOL)
            return sl_hcl_value_to_string(a, v, out);
        return why_set(why, "string required");
    case SL_HCL_NUMBER:
        if (v->kind == SL_HCL_STRING) {
            sl_hcl_num n;
            if (sl_hcl_num_parse(a, v->u.str.s, v->u.str.len, &n))
                return why_set(why, "a number is required");
            *out = sl_hcl_number(a, &n);
            if (*out && v->flags)
                *out = sl_hcl_mark(a, *out, v->flags);
            return *out ? 0 : SL_ENOMEM;
        }
        return why_set(why, "number required");
    case SL_HCL_BOOL:
        if (v->kind == SL_HCL_STRING) {
            if (!strcmp(v->u.str.s, "true"))
                *out = &sl_hcl_true;
            else if (!strcmp(v->u.str.s, "false"))
                *out = &sl_hcl_false;
            else
                return why_set(why, "a bool is required");
            if (v->flags)
                *out = sl_hcl_mark(a, *out, v->flags);
            return 0;
        }
        return why_set(why, "bool required");
    case SL_HCL_LIST:
    case SL_HCL_SET: {
        const sl_hcl_value **vals;
        const sl_hcl_type *elem;
        if (v->kind != SL_HCL_LIST && v->kind != SL_HCL_SET && v->kind != SL_HCL_TUPLE)
            return why_set(why, t->kind == SL_HCL_LIST ? "list of " "elements required"
                                                       : "set of elements required");
        rc = convert_elems(a, v, t->elem, &vals, &elem, why, depth);
        if (rc)
            return rc;
        *out = t->kind == SL_HCL_LIST ? sl_hcl_list(a, elem, v->u.c.n, vals)
                                      : sl_hcl_set(a, elem, v->u.c.n, vals);
        return *out ? 0 : SL_ENOMEM;
    }
    case SL_HCL_MAP: {
        const sl_hcl_value **vals;
        const sl_hcl_type *elem;
        if (v->kind != SL_HCL_MAP && v->kind != SL_HCL_OBJECT)
            return why_set(why, "map of elements required");
        rc = convert_elems(a, v, t->elem, &vals, &elem, why, depth);
        if (rc)
            return rc;
        *out = sl_hcl_map(a, elem, v->u.c.n, (const char **)v->u.c.keys, vals);
        return *out ? 0 : SL_ENOMEM;
    }
    case SL_HCL_TUPLE: {
        const sl_hcl_value **vals;
        if (v->kind != SL_HCL_TUPLE && v->kind != SL_HCL_LIST)
            return why_set(why, "tuple required");
        if (v->u.c.n != t->n) {
            char msg[80];
            snprintf(msg, sizeof(msg), "tuple required with exactly %zu elements", t->n);
            return why_set(why, msg);
        }
        vals = t->n ? sl_hcl_alloc(a, t->n * sizeof(*vals)) : NULL;
        if (t->n && !vals)
            return SL_ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
            rc = convert(a, v->u.c.v[i], t->types[i], &vals[i], why, depth + 1);
            if (rc)
                return rc;
        }
        *out = sl_hcl_tuple(a, t->n, vals);
        return *out ? 0 : SL_ENOMEM;
    }
    case SL_HCL_OBJECT: {
        const sl_hcl_value **vals;
        if (v->kind != SL_HCL_OBJECT && v->kind != SL_HCL_MAP)
            return why_set(why, "object required");
        vals = t->n ? sl_hcl_alloc(a, t->n * sizeof(*vals)) : NULL;
        if (t->n && !vals)
            return SL_ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
            const sl_hcl_value *av = sl_hcl_value_attr(v, t->names[i]);
            if (!av || av->is_null) {
                if (t->optional && t->optional[i]) {
                    const sl_hcl_value *d = t->defaults ? t->defaults[i] : NULL;
                    if (d && (!av || av->is_null)) {
                        rc = convert(a, d, t->types[i], &vals[i], why, depth + 1);
                        if (rc)
                            return rc;
                        continue;
                    }
                    vals[i] = sl_hcl_null(a, t->types[i]);
                    if (!vals[i])
                        return SL_ENOMEM;
                    continue;
                }
                if (!av) {
                    char msg[160];
                    snprintf(msg, sizeof(msg), "attribute \"%.100s\" is required", t->names[i]);
                    return why_set(why, msg);
                }
            }
            rc = convert(a, av, t->types[i], &vals[i], why, depth + 1);
            if (rc) {
                if (rc == SL_EINVAL && why) {
                    sl_buf tmp = SL_BUF_INIT;
                    sl_buf_printf(&tmp, "attribute \"%s\": %s", t->names[i],
                                  why->ptr ? why->ptr : "");
                    sl_buf_reset(why);
                    sl_buf_puts(why, tmp.ptr ? tmp.ptr : "");
                    sl_buf_free(&tmp);
                }
                return rc;
            }
        }
        *out = sl_hcl_object(a, t->n, (const char **)t->names, vals);
        return *out ? 0 : SL_ENOMEM;
    }
    default:
        return why_set(why, "unsupported conversion");
    }
}

int sl_hcl_convert(sl_hcl_arena *a, const sl_hcl_value *v, const sl_hcl_type *t,
                   const sl_hcl_value **out, sl_buf *why)
{
    return convert(a, v, t, out, why, 0);
}

/* ----------------------------------------------------------------- JSON */

int sl_hcl_value_to_json(const sl_hcl_value *v, cJSON **out)
{
    cJSON *j = NULL;

    *out = NULL;
    if (v->is_null) {
        j = cJSON_CreateNull();
    } else {
        switch (v->kind) {
        case SL_HCL_BOOL:
            j = cJSON_CreateBool(v->u.b);
            break;
        case SL_HCL_NUMBER: {
            int64_t i;
            if (!sl_hcl_num_to_i64(&v->u.num, &i) && i < (1LL << 53) && i > -(1LL << 53)) {
                j = cJSON_CreateNumber((double)i);
            } else {
                sl_buf b = SL_BUF_INIT;
                double d = sl_hcl_num_to_double(&v->u.num);
                char buf[64];
                sl_hcl_num_format(&v->u.num, &b);
                snprintf(buf, sizeof(buf), "%.17g", d);
                /* A double when it reads back to the same number. */
                if (b.ptr && isfinite(d) && b.len < 40) {
                    sl_hcl_arena *a = NULL;
                    sl_hcl_num back;
                    if (!sl_hcl_arena_new(0, &a) && !sl_hcl_num_from_double(a, d, &back) &&
                        !sl_hcl_num_cmp(&back, &v->u.num))
                        j = cJSON_CreateNumber(d);
                    sl_hcl_arena_free(a);
                }
                if (!j && b.ptr)
                    j = cJSON_CreateRaw(b.ptr);
                sl_buf_free(&b);
            }
            break;
        }
        case SL_HCL_STRING:
            j = cJSON_CreateString(v->u.str.s);
            break;
        case SL_HCL_LIST:
        case SL_HCL_SET:
        case SL_HCL_TUPLE:
            j = cJSON_CreateArray();
            for (size_t i = 0; j && i < v->u.c.n; i++) {
                cJSON *c;
                if (sl_hcl_value_to_json(v->u.c.v[i], &c)) {
                    cJSON_Delete(j);
                    return SL_ENOMEM;
                }
                cJSON_AddItemToArray(j, c);
            }
            break;
        default:
            j = cJSON_CreateObject();
            for (size_t i = 0; j && i < v->u.c.n; i++) {
                cJSON *c;
                if (sl_hcl_value_to_json(v->u.c.v[i], &c)) {
                    cJSON_Delete(j);
                    return SL_ENOMEM;
                }
                cJSON_AddItemToObject(j, v->u.c.keys[i], c);
            }
            break;
        }
    }
    if (!j)
        return SL_ENOMEM;
    *out = j;
    return 0;
}

int sl_hcl_value_from_json(sl_hcl_arena *a, const cJSON *j, const sl_hcl_value **out)
{
    size_t n = 0, i = 0;
    const cJSON *c;

    *out = NULL;
    if (cJSON_IsNull(j)) {
        *out = &sl_hcl_null_dynamic;
        return 0;
    }
    if (cJSON_IsBool(j)) {
        *out = sl_hcl_bool(cJSON_IsTrue(j));
        return 0;
    }
    if (cJSON_IsNumber(j)) {
        *out = sl_hcl_number_double(a, j->valuedouble);
        return *out ? 0 : SL_EINVAL;
    }
    if (cJSON_IsRaw(j)) {
        sl_hcl_num num;
        if (sl_hcl_num_parse(a, j->valuestring, strlen(j->valuestring), &num))
            return SL_EINVAL;
        *out = sl_hcl_number(a, &num);
        return *out ? 0 : SL_ENOMEM;
    }
    if (cJSON_IsString(j)) {
        *out = sl_hcl_string_cstr(a, j->valuestring);
        return *out ? 0 : SL_EINVAL;
    }
    cJSON_ArrayForEach(c, j) n++;
    if (cJSON_IsArray(j)) {
        const sl_hcl_value **v = n ? sl_hcl_alloc(a, n * sizeof(*v)) : NULL;
        if (n && !v)
            return SL_ENOMEM;
        cJSON_ArrayForEach(c, j)
        {
            int rc = sl_hcl_value_from_json(a, c, &v[i++]);
            if (rc)
                return rc;
        }
        *out = sl_hcl_tuple(a, n, v);
        return *out ? 0 : SL_ENOMEM;
    }
    if (cJSON_IsObject(j)) {
        const sl_hcl_value **v = n ? malloc(n * sizeof(*v)) : NULL;
        const char **k = n ? malloc(n * sizeof(*k)) : NULL;
        int rc = 0;
        if (n && (!v || !k)) {
            free(v);
            free(k);
            return SL_ENOMEM;
        }
        cJSON_ArrayForEach(c, j)
        {
            k[i] = c->string ? c->string : "";
            rc = sl_hcl_value_from_json(a, c, &v[i++]);
            if (rc)
                break;
        }
        if (!rc) {
            *out = sl_hcl_object(a, n, k, v);
            rc = *out ? 0 : SL_ENOMEM;
        }
        free(v);
        free(k);
        return rc;
    }
    return SL_EINVAL;
}

static int json_str(const char *s, size_t n, sl_buf *out)
{
    int rc = sl_buf_putc(out, '"');

    for (size_t i = 0; !rc && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            rc = sl_buf_puts(out, "\\\"");
            break;
        case '\\':
            rc = sl_buf_puts(out, "\\\\");
            break;
        case '\n':
            rc = sl_buf_puts(out, "\\n");
            break;
        case '\r':
            rc = sl_buf_puts(out, "\\r");
            break;
        case '\t':
            rc = sl_buf_puts(out, "\\t");
            break;
        case '<':
            rc = sl_buf_puts(out, "\\u003c");
            break;
        case '>':
            rc = sl_buf_puts(out, "\\u003e");
            break;
        case '&':
            rc = sl_buf_puts(out, "\\u0026");
            break;
        default:
            if (c < 0x20)
                rc = sl_buf_printf(out, "\\u%04x", c);
            else
                rc = sl_buf_putc(out, (char)c);
        }
    }
    return rc ? rc : sl_buf_putc(out, '"');
}

int sl_hcl_value_write_json(const sl_hcl_value *v, sl_buf *out)
{
    int rc = 0;

    if (v->is_null)
        return sl_buf_puts(out, "null");
    switch (v->kind) {
    case SL_HCL_BOOL:
        return sl_buf_puts(out, v->u.b ? "true" : "false");
    case SL_HCL_NUMBER:
        return sl_hcl_num_format(&v->u.num, out);
    case SL_HCL_STRING:
        return json_str(v->u.str.s, v->u.str.len, out);
    case SL_HCL_LIST:
    case SL_HCL_SET:
    case SL_HCL_TUPLE:
        rc = sl_buf_putc(out, '[');
        for (size_t i = 0; !rc && i < v->u.c.n; i++) {
            if (i)
                rc = sl_buf_putc(out, ',');
            if (!rc)
                rc = sl_hcl_value_write_json(v->u.c.v[i], out);
        }
        return rc ? rc : sl_buf_putc(out, ']');
    default:
        rc = sl_buf_putc(out, '{');
        for (size_t i = 0; !rc && i < v->u.c.n; i++) {
            if (i)
                rc = sl_buf_putc(out, ',');
            if (!rc)
                rc = json_str(v->u.c.keys[i], strlen(v->u.c.keys[i]), out);
            if (!rc)
                rc = sl_buf_putc(out, ':');
            if (!rc)
                rc = sl_hcl_value_write_json(v->u.c.v[i], out);
        }
        return rc ? rc : sl_buf_putc(out, '}');
    }
}

int sl_hcl_value_format(const sl_hcl_value *v, sl_buf *out)
{
    int rc = 0;

    if (v->is_null)
        return sl_buf_puts(out, "null");
    switch (v->kind) {
    case SL_HCL_BOOL:
    case SL_HCL_NUMBER:
    case SL_HCL_STRING:
        return sl_hcl_value_write_json(v, out);
    case SL_HCL_LIST:
    case SL_HCL_SET:
    case SL_HCL_TUPLE:
        rc = sl_buf_putc(out, '[');
        for (size_t i = 0; !rc && i < v->u.c.n; i++) {
            if (i)
                rc = sl_buf_puts(out, ", ");
            if (!rc)
                rc = sl_hcl_value_format(v->u.c.v[i], out);
        }
        return rc ? rc : sl_buf_putc(out, ']');
    default:
        rc = sl_buf_putc(out, '{');
        for (size_t i = 0; !rc && i < v->u.c.n; i++) {
            rc = sl_buf_printf(out, "%s%s = ", i ? ", " : "", v->u.c.keys[i]);
            if (!rc)
                rc = sl_hcl_value_format(v->u.c.v[i], out);
        }
        return rc ? rc : sl_buf_putc(out, '}');
    }
}
