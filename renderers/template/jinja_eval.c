/* jinja_eval.c: values and rendering for the template engine. Jinja2 mode
 * follows Python semantics (ints and floats, repr printing, StrictUndefined:
 * any use of an undefined value but `is defined` and `default` fails);
 * Nunjucks mode follows JavaScript (one number type, toString printing,
 * throwOnUndefined: printing an undefined or null value fails). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja_int.h"

#define MAX_MACRO_DEPTH 64
#define MAX_RANGE 1000000

/* ----------------------------------------------------------------- values */

jv jv_str(const char *s, size_t n)
{
    jv v = {.t = JV_STR, .n = n};
    v.u.s = s;
    return v;
}

jv jv_int(jn_render *r, int64_t i)
{
    jv v;
    memset(&v, 0, sizeof(v));
    if (r && r->nunjucks) {
        v.t = JV_FLOAT;
        v.u.f = (double)i;
    } else {
        v.t = JV_INT;
        v.u.i = i;
    }
    return v;
}

jv jv_float(double f)
{
    jv v;
    memset(&v, 0, sizeof(v));
    v.t = JV_FLOAT;
    v.u.f = f;
    return v;
}

jv jv_bool(int b)
{
    jv v;
    memset(&v, 0, sizeof(v));
    v.t = JV_BOOL;
    v.u.b = !!b;
    return v;
}

jv jv_none(void)
{
    jv v;
    memset(&v, 0, sizeof(v));
    v.t = JV_NONE;
    return v;
}

static jv jv_undef(const jnode *site)
{
    jv v;
    memset(&v, 0, sizeof(v));
    v.t = JV_UNDEF;
    v.u.node = site;
    return v;
}

/* jv_from_json() for a dialect (Nunjucks has only float numbers). */
static jv json_value(const cJSON *j, int nunjucks);

jv jv_from_json(jn_render *r, const cJSON *j)
{
    return json_value(j, r->nunjucks);
}

static jv json_value(const cJSON *j, int nunjucks)
{
    jv v;

    memset(&v, 0, sizeof(v));
    switch (j ? j->type & 0xff : cJSON_NULL) {
    case cJSON_String:
        v.t = JV_STR;
        v.u.s = j->valuestring;
        v.n = strlen(j->valuestring);
        return v;
    case cJSON_Number: {
        double d = j->valuedouble;
        if (!nunjucks && d == floor(d) && fabs(d) < 9.2e18) {
            v.t = JV_INT;
            v.u.i = (int64_t)d;
        } else {
            v.t = JV_FLOAT;
            v.u.f = d;
        }
        return v;
    }
    case cJSON_True:
    case cJSON_False:
        v.t = JV_BOOL;
        v.u.b = (j->type & 0xff) == cJSON_True;
        return v;
    case cJSON_Array:
    case cJSON_Object:
        v.t = JV_JSON;
        v.u.j = j;
        return v;
    default:
        v.t = JV_NONE;
        return v;
    }
}

jlist *jl_new(jn_render *r, size_t cap)
{
    jlist *l = jn_alloc(r->ar, sizeof(*l));
    if (!l)
        return NULL;
    l->n = 0;
    l->cap = cap ? cap : 4;
    if (!(l->v = jn_alloc(r->ar, l->cap * sizeof(jv))))
        return NULL;
    return l;
}

int jl_push(jn_render *r, jlist *l, jv v)
{
    if (l->n == l->cap) {
        jv *nv = jn_alloc(r->ar, l->cap * 2 * sizeof(jv));
        if (!nv)
            return SL_ENOMEM;
        memcpy(nv, l->v, l->n * sizeof(jv));
        l->v = nv;
        l->cap *= 2;
    }
    l->v[l->n++] = v;
    return 0;
}

jdict *jd_new(jn_render *r, size_t cap)
{
    jdict *d = jn_alloc(r->ar, sizeof(*d));
    if (!d)
        return NULL;
    d->n = 0;
    d->cap = cap ? cap : 4;
    d->k = jn_alloc(r->ar, d->cap * sizeof(jv));
    d->v = jn_alloc(r->ar, d->cap * sizeof(jv));
    if (!d->k || !d->v)
        return NULL;
    return d;
}

int jd_set(jn_render *r, jdict *d, jv k, jv v)
{
    for (size_t i = 0; i < d->n; i++)
        if (jv_equal(r, &d->k[i], &k) == 1) {
            d->v[i] = v;
            return 0;
        }
    if (d->n == d->cap) {
        jv *nk = jn_alloc(r->ar, d->cap * 2 * sizeof(jv));
        jv *nv = jn_alloc(r->ar, d->cap * 2 * sizeof(jv));
        if (!nk || !nv)
            return SL_ENOMEM;
        memcpy(nk, d->k, d->n * sizeof(jv));
        memcpy(nv, d->v, d->n * sizeof(jv));
        d->k = nk;
        d->v = nv;
        d->cap *= 2;
    }
    d->k[d->n] = k;
    d->v[d->n++] = v;
    return 0;
}

static jv jv_dict(jdict *d)
{
    jv v;
    memset(&v, 0, sizeof(v));
    v.t = JV_DICT;
    v.u.d = d;
    return v;
}

int jv_is_seq(const jv *v)
{
    return v->t == JV_LIST || (v->t == JV_JSON && (v->u.j->type & 0xff) == cJSON_Array);
}

int jv_is_map(const jv *v)
{
    return v->t == JV_DICT || (v->t == JV_JSON && (v->u.j->type & 0xff) == cJSON_Object);
}

/* Number of code points in a UTF-8 string. */
static size_t u8_len(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            c++;
    return c;
}

/* Byte offset of code point i. */
static size_t u8_off(const char *s, size_t n, size_t i)
{
    size_t k = 0;
    for (size_t b = 0; b < n; b++)
        if (((unsigned char)s[b] & 0xc0) != 0x80) {
            if (k == i)
                return b;
            k++;
        }
    return n;
}

long jv_len(const jv *v)
{
    switch (v->t) {
    case JV_STR:
        return (long)u8_len(v->u.s, v->n);
    case JV_LIST:
        return (long)v->u.l->n;
    case JV_DICT:
        return (long)v->u.d->n;
    case JV_JSON:
        return cJSON_GetArraySize(v->u.j);
    default:
        return -1;
    }
}

jv jv_index(jn_render *r, const jv *v, size_t i)
{
    if (v->t == JV_LIST)
        return v->u.l->v[i];
    if (v->t == JV_JSON)
        return jv_from_json(r, cJSON_GetArrayItem(v->u.j, (int)i));
    if (v->t == JV_STR) {
        size_t b = u8_off(v->u.s, v->n, i), e = b + 1;
        while (e < v->n && ((unsigned char)v->u.s[e] & 0xc0) == 0x80)
            e++;
        return jv_str(v->u.s + b, e - b);
    }
    return jv_none();
}

size_t jv_map_n(const jv *m)
{
    return m->t == JV_DICT ? m->u.d->n : (size_t)cJSON_GetArraySize(m->u.j);
}

void jv_map_at(jn_render *r, const jv *m, size_t i, jv *k, jv *v)
{
    if (m->t == JV_DICT) {
        *k = m->u.d->k[i];
        *v = m->u.d->v[i];
        return;
    }
    const cJSON *c = cJSON_GetArrayItem(m->u.j, (int)i);
    *k = jv_str(c->string, strlen(c->string));
    *v = jv_from_json(r, c);
}

/* ------------------------------------------------------ the context index */

static inline size_t kx_slot(const cJSON *o, uint32_t h, size_t mask)
{
    uint64_t x = ((uint64_t)(uintptr_t)o >> 4) * 0x9E3779B97F4A7C15ull;
    return (size_t)((x >> 32) ^ h) & mask;
}

/* The entry of key k (kn bytes, hash h, prefix pre) of JSON object o, or
 * NULL. */
static inline const jn_kent *kx_get(const struct sl_jinja_ctx *x, const cJSON *o, const char *k,
                                    size_t kn, uint32_t h, uint64_t pre)
{
    for (size_t i = kx_slot(o, h, x->mask);; i = (i + 1) & x->mask) {
        const jn_kent *e = &x->tab[i];
        if (!e->parent)
            return NULL;
        if (e->parent == o && e->kpre == pre && e->klen == kn &&
            (kn <= 8 || !memcmp(e->child->string + 8, k + 8, kn - 8)))
            return e;
    }
}

/* The value of an index entry's child (a string's length is known). */
static inline void kent_value(jn_render *r, const jn_kent *e, jv *out)
{
    *out = e->v;
    if (out->t == JV_INT && r->nunjucks) {
        /* Nunjucks has only floats; the double was whole, so exact */
        out->t = JV_FLOAT;
        out->u.f = (double)e->v.u.i;
    }
}

int jv_getkey_h(jn_render *r, const jv *m, const char *k, size_t kn, uint32_t h, uint64_t pre,
                jv *out)
{
    if (m->t == JV_DICT) {
        for (size_t i = 0; i < m->u.d->n; i++) {
            const jv *key = &m->u.d->k[i];
            if (key->t == JV_STR && key->n == kn && !memcmp(key->u.s, k, kn)) {
                *out = m->u.d->v[i];
                return 1;
            }
        }
        return 0;
    }
    if (m->t == JV_JSON && (m->u.j->type & 0xff) == cJSON_Object) {
        const jn_kent *e = kx_get(r->kx, m->u.j, k, kn, h, pre);
        if (!e)
            return 0;
        kent_value(r, e, out);
        return 1;
    }
    return 0;
}

/* Count the keys of every object under j (depth-capped by cJSON's parser). */
static size_t kx_count(const cJSON *j)
{
    size_t n = 0;
    for (const cJSON *c = j->child; c; c = c->next) {
        if ((j->type & 0xff) == cJSON_Object && c->string)
            n++;
        if (c->child)
            n += kx_count(c);
    }
    return n;
}

/* Index every key of every object under j; the first of duplicate keys
 * wins, as cJSON_GetObjectItem finds it. */
static void kx_fill(struct sl_jinja_ctx *x, const cJSON *j)
{
    for (const cJSON *c = j->child; c; c = c->next) {
        if ((j->type & 0xff) == cJSON_Object && c->string) {
            size_t kn = strlen(c->string);
            uint32_t h = jn_hash(c->string, kn);
            size_t i = kx_slot(j, h, x->mask);
            for (;; i = (i + 1) & x->mask) {
                jn_kent *e = &x->tab[i];
                if (!e->parent) {
                    e->parent = j;
                    e->child = c;
                    e->kpre = jn_keypre(c->string, kn);
                    e->klen = (uint32_t)kn;
                    e->v = json_value(c, 0); /* as Jinja2 reads numbers */
                    x->n++;
                    break;
                }
                if (e->parent == j && e->klen == kn && !memcmp(e->child->string, c->string, kn))
                    break;
            }
        }
        if (c->child)
            kx_fill(x, c);
    }
}

int sl_jinja_ctx_new(const cJSON *ctx, sl_jinja_ctx **out, sl_error *err)
{
    sl_jinja_ctx *x = calloc(1, sizeof(*x));
    size_t n, cap = 16;

    *out = NULL;
    if (!x)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    x->root = cJSON_IsObject(ctx) ? ctx : NULL;
    n = x->root ? kx_count(x->root) : 0;
    while (cap < n * 2 + 2)
        cap *= 2;
    if (!(x->tab = calloc(cap, sizeof(*x->tab)))) {
        free(x);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    x->mask = cap - 1;
    if (x->root)
        kx_fill(x, x->root);
    *out = x;
    return 0;
}

void sl_jinja_ctx_free(sl_jinja_ctx *x)
{
    if (!x)
        return;
    free(x->tab);
    free(x);
}

int jv_to_list(jn_render *r, const jnode *site, const jv *v, jlist **out)
{
    jlist *l;
    long n;

    if (v->t == JV_LIST) {
        *out = v->u.l;
        return 0;
    }
    if (jv_is_map(v)) {
        size_t m = jv_map_n(v);
        if (!(l = jl_new(r, m)))
            return jn_oom(r, site);
        for (size_t i = 0; i < m; i++) {
            jv k, x;
            jv_map_at(r, v, i, &k, &x);
            l->v[l->n++] = k;
        }
        *out = l;
        return 0;
    }
    if (v->t == JV_UNDEF)
        return jn_undef_fail(r, v);
    if (v->t == JV_JSON) {
        /* walk the children once (cJSON_GetArrayItem is linear) */
        const cJSON *c;
        if (!(l = jl_new(r, (size_t)cJSON_GetArraySize(v->u.j))))
            return jn_oom(r, site);
        for (c = v->u.j->child; c; c = c->next)
            l->v[l->n++] = jv_from_json(r, c);
        *out = l;
        return 0;
    }
    n = jv_len(v);
    if (n < 0)
        return jn_fail(r, site, SL_EINVAL, "'%s' object is not iterable", jv_typename(r, v));
    if (!(l = jl_new(r, (size_t)n)))
        return jn_oom(r, site);
    for (long i = 0; i < n; i++)
        l->v[l->n++] = jv_index(r, v, (size_t)i);
    *out = l;
    return 0;
}

const char *jv_typename(jn_render *r, const jv *v)
{
    switch (v->t) {
    case JV_UNDEF:
        return "undefined";
    case JV_NONE:
        return r->nunjucks ? "null" : "NoneType";
    case JV_BOOL:
        return r->nunjucks ? "boolean" : "bool";
    case JV_INT:
        return "int";
    case JV_FLOAT:
        return r->nunjucks ? "number" : "float";
    case JV_STR:
        return r->nunjucks ? "string" : "str";
    case JV_LIST:
        return v->ns & JN_GEN ? "generator" : v->ns & 2 ? "tuple" : "list";
    case JV_DICT:
        return v->ns & 1 ? "Namespace" : "dict";
    case JV_JSON:
        return cJSON_IsArray(v->u.j) ? "list" : "dict";
    case JV_MACRO:
        return "macro";
    case JV_LOOP:
        return "loop";
    default:
        return "function";
    }
}

/* --------------------------------------------------------------- errors */

int jn_fail(jn_render *r, const jnode *site, int code, const char *fmt, ...)
{
    char msg[SL_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sl_error_setpos(r->err, code, r->t->file, site ? site->line : 0, site ? site->col : 0,
                           "%s", msg);
}

int jn_oom(jn_render *r, const jnode *site)
{
    if (r->ar->overflow)
        return jn_fail(r, site, SL_ELIMIT, "template rendering used more than %zu MiB",
                       r->ar->max >> 20);
    return jn_fail(r, site, SL_ENOMEM, "out of memory");
}

/* The source text of a name/attribute chain, for messages. */
static void describe(const jnode *n, sl_buf *b)
{
    if (!n)
        return;
    switch (n->kind) {
    case N_NAME:
        sl_buf_puts(b, n->name);
        break;
    case N_GETATTR:
        describe(n->a, b);
        sl_buf_putc(b, '.');
        sl_buf_puts(b, n->name);
        break;
    case N_GETITEM:
        describe(n->a, b);
        if (n->b && n->b->kind == N_LIT && n->b->lit.t == JV_STR)
            sl_buf_printf(b, "['%.*s']", (int)n->b->lit.n, n->b->lit.u.s);
        else if (n->b && n->b->kind == N_LIT && n->b->lit.t == JV_INT)
            sl_buf_printf(b, "[%lld]", (long long)n->b->lit.u.i);
        else
            sl_buf_puts(b, "[...]");
        break;
    case N_CALL:
        describe(n->a, b);
        sl_buf_puts(b, "()");
        break;
    case N_FILTER:
        describe(n->a, b);
        sl_buf_printf(b, "|%s", n->name);
        break;
    default:
        sl_buf_puts(b, "expression");
    }
}

int jn_undef_fail(jn_render *r, const jv *v)
{
    sl_buf b = SL_BUF_INIT;
    int rc;
    const jnode *site = v->u.node;

    describe(site, &b);
    if (site && site->kind == N_COND)
        rc = jn_fail(r, site, SL_EINVAL,
                     "the inline if-expression evaluated to false and has no else part");
    else
        rc = jn_fail(r, site, SL_EINVAL, "'%s' is undefined", b.ptr ? b.ptr : "value");
    sl_buf_free(&b);
    return rc;
}

/* -------------------------------------------------------------- numbers */

/* sl_buf_put() with the common case (room left) inline and without the
 * terminating NUL: the room for it is kept, and render_with() writes it at
 * the end; pieces the engine reads back (captures, macro output) are read
 * by length. */
static inline int buf_put(sl_buf *b, const char *s, size_t len)
{
    if (len < b->cap - b->len) {
        char *d = b->ptr + b->len;
        b->len += len;
        if (len <= 16) {
            /* short pieces (most of them): overlapping word copies */
            if (len >= 8) {
                uint64_t x, y;
                memcpy(&x, s, 8);
                memcpy(&y, s + len - 8, 8);
                memcpy(d, &x, 8);
                memcpy(d + len - 8, &y, 8);
            } else if (len >= 4) {
                uint32_t x, y;
                memcpy(&x, s, 4);
                memcpy(&y, s + len - 4, 4);
                memcpy(d, &x, 4);
                memcpy(d + len - 4, &y, 4);
            } else {
                for (size_t i = 0; i < len; i++)
                    d[i] = s[i];
            }
        } else {
            memcpy(d, s, len);
        }
        return 0;
    }
    return sl_buf_put(b, s, len);
}

/* The decimal digits of i at the end of ib; returns where they start. */
static int fmt_int(int64_t i, char ib[24])
{
    int k = 24;
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;

    do {
        ib[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (i < 0)
        ib[--k] = '-';
    return k;
}

static int put_int(sl_buf *b, int64_t i)
{
    char ib[24];
    int k = fmt_int(i, ib);
    return buf_put(b, ib + k, (size_t)(24 - k));
}

void jn_fmt_double(double d, int py, char *buf, size_t n)
{
    char tmp[40], digits[24];
    int prec, exp10, nd = 0;
    const char *e;

    if (isnan(d)) {
        snprintf(buf, n, "%s", py ? "nan" : "NaN");
        return;
    }
    if (isinf(d)) {
        snprintf(buf, n, "%s%s", d < 0 ? "-" : "", py ? "inf" : "Infinity");
        return;
    }
    if (d == 0) {
        snprintf(buf, n, "%s", py ? (signbit(d) ? "-0.0" : "0.0") : "0");
        return;
    }
    if (d == floor(d) && fabs(d) < 1e15) {
        /* integral: digits as an integer */
        char ib[32];
        int k = 0;
        unsigned long long u = (unsigned long long)fabs(d);
        do {
            ib[k++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (!py || k < 17) {
            size_t o = 0;
            if (d < 0 && o + 1 < n)
                buf[o++] = '-';
            while (k && o + 1 < n)
                buf[o++] = ib[--k];
            if (py && o + 3 < n) {
                buf[o++] = '.';
                buf[o++] = '0';
            }
            buf[o] = 0;
            return;
        }
    }
    /* the shortest of 15, 16 or 17 significant digits that reads back */
    for (prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    /* tmp: [-]d.ddde[+-]xx */
    for (const char *c = tmp; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9')
            digits[nd++] = *c;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = 0;
    e = strchr(tmp, 'e');
    exp10 = atoi(e + 1);
    {
        sl_buf b = SL_BUF_INIT;
        int decpt = exp10 + 1; /* digits before the point */
        int sci = py ? (exp10 < -4 || exp10 >= 16) : (decpt > 21 || decpt <= -6);
        if (d < 0)
            sl_buf_putc(&b, '-');
        if (sci) {
            sl_buf_putc(&b, digits[0]);
            if (nd > 1) {
                sl_buf_putc(&b, '.');
                sl_buf_puts(&b, digits + 1);
            }
            if (py)
                sl_buf_printf(&b, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
            else
                sl_buf_printf(&b, "e%c%d", exp10 < 0 ? '-' : '+', abs(exp10));
        } else if (decpt <= 0) {
            sl_buf_puts(&b, "0.");
            for (int i = 0; i < -decpt; i++)
                sl_buf_putc(&b, '0');
            sl_buf_puts(&b, digits);
        } else if (decpt >= nd) {
            sl_buf_puts(&b, digits);
            for (int i = nd; i < decpt; i++)
                sl_buf_putc(&b, '0');
            if (py)
                sl_buf_puts(&b, ".0");
        } else {
            sl_buf_put(&b, digits, (size_t)decpt);
            sl_buf_putc(&b, '.');
            sl_buf_puts(&b, digits + decpt);
        }
        snprintf(buf, n, "%s", b.ptr ? b.ptr : "");
        sl_buf_free(&b);
    }
}

int jv_num(const jv *v, double *f)
{
    switch (v->t) {
    case JV_INT:
        *f = (double)v->u.i;
        return 1;
    case JV_FLOAT:
        *f = v->u.f;
        return 1;
    case JV_BOOL:
        *f = v->u.b;
        return 1;
    default:
        return 0;
    }
}

/* JavaScript Number(v). */
static double js_number(jn_render *r, const jv *v)
{
    double f;
    if (jv_num(v, &f))
        return f;
    switch (v->t) {
    case JV_NONE:
        return 0;
    case JV_STR: {
        char buf[64], *end;
        size_t n = v->n;
        const char *s = v->u.s;
        while (n && strchr(" \t\n\r\f\v", *s))
            s++, n--;
        while (n && strchr(" \t\n\r\f\v", s[n - 1]))
            n--;
        if (!n)
            return 0;
        if (n >= sizeof(buf))
            return NAN;
        memcpy(buf, s, n);
        buf[n] = 0;
        if (!strcmp(buf, "Infinity") || !strcmp(buf, "+Infinity"))
            return INFINITY;
        if (!strcmp(buf, "-Infinity"))
            return -INFINITY;
        if (strpbrk(buf, "iInN"))
            return NAN;
        f = strtod(buf, &end);
        return *end ? NAN : f;
    }
    case JV_LIST:
    case JV_JSON:
        if (jv_is_seq(v)) {
            long n = jv_len(v);
            if (n == 0)
                return 0;
            if (n == 1) {
                jv x = jv_index(r, v, 0);
                return js_number(r, &x);
            }
        }
        return NAN;
    default:
        return NAN;
    }
}

/* -------------------------------------------------------------- printing */

static int put_py_strrepr(sl_buf *b, const char *s, size_t n)
{
    char q = '\'';
    int rc = 0;

    if (memchr(s, '\'', n) && !memchr(s, '"', n))
        q = '"';
    rc |= sl_buf_putc(b, q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c == (unsigned char)q) {
            rc |= sl_buf_putc(b, '\\');
            rc |= sl_buf_putc(b, (char)c);
        } else if (c == '\n') {
            rc |= sl_buf_puts(b, "\\n");
        } else if (c == '\r') {
            rc |= sl_buf_puts(b, "\\r");
        } else if (c == '\t') {
            rc |= sl_buf_puts(b, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            rc |= sl_buf_printf(b, "\\x%02x", c);
        } else {
            rc |= sl_buf_putc(b, (char)c);
        }
    }
    rc |= sl_buf_putc(b, q);
    return rc;
}

int jv_repr(jn_render *r, const jnode *site, const jv *v, sl_buf *b)
{
    char num[40];
    int rc = 0;

    if (v->t == JV_LIST && (v->ns & JN_GEN))
        /* Python prints <generator object ... at 0x...>: no stable text */
        return jn_fail(r, site, SL_EINVAL,
                       "cannot print a generator (the result of map, select, batch, ...): "
                       "convert it with |list");
    switch (v->t) {
    case JV_UNDEF:
        return jn_undef_fail(r, v);
    case JV_STR:
        rc = put_py_strrepr(b, v->u.s, v->n);
        break;
    case JV_LIST:
    case JV_JSON:
        if (jv_is_seq(v)) {
            long n = jv_len(v);
            int tup = v->t == JV_LIST && (v->ns & 2);
            rc |= sl_buf_putc(b, tup ? '(' : '[');
            for (long i = 0; i < n; i++) {
                jv x = jv_index(r, v, (size_t)i);
                if (i)
                    rc |= sl_buf_puts(b, ", ");
                if ((rc = rc ? rc : jv_repr(r, site, &x, b)))
                    return rc;
            }
            if (tup && n == 1)
                rc |= sl_buf_putc(b, ',');
            rc |= sl_buf_putc(b, tup ? ')' : ']');
            break;
        }
        /* fallthrough */
    case JV_DICT: {
        size_t n = jv_map_n(v);
        if (v->t == JV_DICT && (v->ns & 1))
            rc |= sl_buf_puts(b, "<Namespace ");
        rc |= sl_buf_putc(b, '{');
        for (size_t i = 0; i < n; i++) {
            jv k, x;
            jv_map_at(r, v, i, &k, &x);
            if (i)
                rc |= sl_buf_puts(b, ", ");
            if (rc || (rc = jv_repr(r, site, &k, b)))
                return rc;
            rc |= sl_buf_puts(b, ": ");
            if (rc || (rc = jv_repr(r, site, &x, b)))
                return rc;
        }
        rc |= sl_buf_putc(b, '}');
        if (v->t == JV_DICT && (v->ns & 1))
            rc |= sl_buf_putc(b, '>');
        break;
    }
    case JV_FLOAT:
        jn_fmt_double(v->u.f, 1, num, sizeof(num));
        rc = sl_buf_puts(b, num);
        break;
    default:
        return jv_print(r, site, v, b);
    }
    return rc ? jn_oom(r, site) : 0;
}

/* JavaScript String(v); top: null/undefined print "" inside arrays. */
static int js_tostring(jn_render *r, const jnode *site, const jv *v, sl_buf *b, int inarray)
{
    char num[40];
    int rc = 0;

    switch (v->t) {
    case JV_UNDEF:
        rc = sl_buf_puts(b, inarray ? "" : "undefined");
        break;
    case JV_NONE:
        rc = sl_buf_puts(b, inarray ? "" : "null");
        break;
    case JV_BOOL:
        rc = sl_buf_puts(b, v->u.b ? "true" : "false");
        break;
    case JV_INT:
        rc = sl_buf_printf(b, "%lld", (long long)v->u.i);
        break;
    case JV_FLOAT:
        jn_fmt_double(v->u.f, 0, num, sizeof(num));
        rc = sl_buf_puts(b, num);
        break;
    case JV_STR:
        rc = sl_buf_put(b, v->u.s, v->n);
        break;
    case JV_LIST:
    case JV_JSON:
        if (jv_is_seq(v)) {
            long n = jv_len(v);
            for (long i = 0; i < n && !rc; i++) {
                jv x = jv_index(r, v, (size_t)i);
                if (i)
                    rc = sl_buf_putc(b, ',');
                if (!rc && (rc = js_tostring(r, site, &x, b, 1)))
                    return rc;
            }
            break;
        }
        /* fallthrough */
    case JV_DICT:
        rc = sl_buf_puts(b, "[object Object]");
        break;
    default:
        rc = sl_buf_puts(b, "function");
    }
    return rc ? jn_oom(r, site) : 0;
}

int jv_print(jn_render *r, const jnode *site, const jv *v, sl_buf *b)
{
    char num[40];
    int rc = 0;

    if (r->nunjucks) {
        if (v->t == JV_UNDEF || v->t == JV_NONE) {
            sl_buf d = SL_BUF_INIT;
            const jnode *s = v->t == JV_UNDEF ? v->u.node : site;
            describe(s && s->kind != N_OUTPUT ? s : site ? site->a : NULL, &d);
            rc = jn_fail(r, s ? s : site, SL_EINVAL,
                         "attempted to output null or undefined value%s%s%s",
                         d.ptr ? " ('" : "", d.ptr ? d.ptr : "", d.ptr ? "' is undefined or null)" : "");
            sl_buf_free(&d);
            return rc;
        }
        return js_tostring(r, site, v, b, 0);
    }
    switch (v->t) {
    case JV_UNDEF:
        return jn_undef_fail(r, v);
    case JV_NONE:
        rc = sl_buf_puts(b, "None");
        break;
    case JV_BOOL:
        rc = sl_buf_puts(b, v->u.b ? "True" : "False");
        break;
    case JV_INT:
        rc = put_int(b, v->u.i);
        break;
    case JV_FLOAT:
        jn_fmt_double(v->u.f, 1, num, sizeof(num));
        rc = sl_buf_puts(b, num);
        break;
    case JV_STR:
        rc = buf_put(b, v->u.s, v->n);
        break;
    case JV_MACRO:
        rc = sl_buf_printf(b, "<Macro '%s'>", v->u.m->def->name ? v->u.m->def->name : "caller");
        break;
    case JV_LOOP:
        rc = sl_buf_puts(b, "<LoopContext>");
        break;
    case JV_FUNC:
        rc = sl_buf_printf(b, "<function %s>", v->u.fn->name);
        break;
    default:
        return jv_repr(r, site, v, b);
    }
    return rc ? jn_oom(r, site) : 0;
}

int jv_tostr(jn_render *r, const jnode *site, const jv *v, jv *out)
{
    sl_buf b = SL_BUF_INIT;
    int rc;
    char *s;

    if (v->t == JV_STR) {
        *out = *v;
        return 0;
    }
    if ((v->t == JV_INT && !r->nunjucks) ||
        (v->t == JV_FLOAT && r->nunjucks && v->u.f == floor(v->u.f) && fabs(v->u.f) < 1e15)) {
        /* an integer (Python int, or a JavaScript number with no fraction:
         * the same digits; -0 prints as 0 in both) straight into the arena */
        char ib[24];
        int k = fmt_int(v->t == JV_INT ? v->u.i : (int64_t)v->u.f, ib);
        if (!(s = jn_strndup(r->ar, ib + k, (size_t)(24 - k))))
            return jn_oom(r, site);
        *out = jv_str(s, (size_t)(24 - k));
        return 0;
    }
    if (r->nunjucks)
        rc = js_tostring(r, site, v, &b, 0);
    else
        rc = jv_print(r, site, v, &b);
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    s = jn_strndup(r->ar, b.ptr ? b.ptr : "", b.len);
    *out = jv_str(s, b.len);
    sl_buf_free(&b);
    return s ? 0 : jn_oom(r, site);
}

static int json_str(sl_buf *b, const char *s, size_t n, int ascii, int html)
{
    int rc = sl_buf_putc(b, '"');

    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"')
            rc = sl_buf_puts(b, "\\\"");
        else if (c == '\\')
            rc = sl_buf_puts(b, "\\\\");
        else if (c == '\n')
            rc = sl_buf_puts(b, "\\n");
        else if (c == '\r')
            rc = sl_buf_puts(b, "\\r");
        else if (c == '\t')
            rc = sl_buf_puts(b, "\\t");
        else if (c == '\b')
            rc = sl_buf_puts(b, "\\b");
        else if (c == '\f')
            rc = sl_buf_puts(b, "\\f");
        else if (c < 0x20 || (ascii && c == 0x7f))
            rc = sl_buf_printf(b, "\\u%04x", c);
        else if (html && (c == '<' || c == '>' || c == '&' || c == '\''))
            rc = sl_buf_printf(b, "\\u%04x", c);
        else if (ascii && c >= 0x80) {
            /* decode UTF-8 into \uXXXX (surrogate pairs above the BMP) */
            unsigned cp = 0;
            int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
            cp = c & (0x3f >> extra);
            for (int k = 0; k < extra && i + 1 < n; k++)
                cp = (cp << 6) | ((unsigned char)s[++i] & 0x3f);
            if (cp >= 0x10000) {
                cp -= 0x10000;
                rc = sl_buf_printf(b, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
            } else {
                rc = sl_buf_printf(b, "\\u%04x", cp);
            }
        } else
            rc = sl_buf_putc(b, (char)c);
    }
    return rc ? rc : sl_buf_putc(b, '"');
}

static int json_nl(sl_buf *b, int indent, int level)
{
    int rc = sl_buf_putc(b, '\n');
    for (int i = 0; i < indent * level && !rc; i++)
        rc = sl_buf_putc(b, ' ');
    return rc;
}

typedef struct kvref {
    jv k, v;
} kvref;

static int kv_cmp(const void *a, const void *b)
{
    const kvref *x = a, *y = b;
    size_t n = x->k.n < y->k.n ? x->k.n : y->k.n;
    int c = memcmp(x->k.u.s, y->k.u.s, n);
    return c ? c : (x->k.n > y->k.n) - (x->k.n < y->k.n);
}

/* indent < 0: no indentation; Python (r->nunjucks == 0) separators are
 * ", " and ": " without indentation, "," and ": " with. */
int jv_json(jn_render *r, const jnode *site, const jv *v, sl_buf *b, int indent, int flags,
            int level)
{
    char num[40];
    int rc = 0, py = !r->nunjucks, html = flags & JN_JSON_HTML, ascii = flags & JN_JSON_ASCII,
        sortkeys = flags & JN_JSON_SORT;

    if (py && v->t == JV_LIST && (v->ns & JN_GEN))
        return jn_fail(r, site, SL_EINVAL, "Object of type generator is not JSON serializable");
    switch (v->t) {
    case JV_UNDEF:
        if (py)
            return jn_undef_fail(r, v);
        /* fallthrough */
    case JV_NONE:
        rc = sl_buf_puts(b, "null");
        break;
    case JV_BOOL:
        rc = sl_buf_puts(b, v->u.b ? "true" : "false");
        break;
    case JV_INT:
        rc = sl_buf_printf(b, "%lld", (long long)v->u.i);
        break;
    case JV_FLOAT:
        if (isnan(v->u.f) || isinf(v->u.f)) {
            rc = sl_buf_puts(b, py ? (isnan(v->u.f) ? "NaN" : v->u.f > 0 ? "Infinity" : "-Infinity")
                                   : "null");
            break;
        }
        jn_fmt_double(v->u.f, py, num, sizeof(num));
        rc = sl_buf_puts(b, num);
        break;
    case JV_STR:
        rc = json_str(b, v->u.s, v->n, ascii, html);
        break;
    case JV_LIST:
    case JV_JSON:
        if (jv_is_seq(v)) {
            long n = jv_len(v);
            rc = sl_buf_putc(b, '[');
            for (long i = 0; i < n && !rc; i++) {
                jv x = jv_index(r, v, (size_t)i);
                if (i)
                    rc = sl_buf_puts(b, indent >= 0 ? "," : py ? ", " : ",");
                if (!rc && indent >= 0)
                    rc = json_nl(b, indent, level + 1);
                if (!rc && (rc = jv_json(r, site, &x, b, indent, flags, level + 1)))
                    return rc;
            }
            if (!rc && n && indent >= 0)
                rc = json_nl(b, indent, level);
            if (!rc)
                rc = sl_buf_putc(b, ']');
            break;
        }
        /* fallthrough */
    case JV_DICT: {
        size_t n = jv_map_n(v), w = 0;
        kvref *kv = n ? jn_alloc(r->ar, n * sizeof(*kv)) : NULL;
        if (n && !kv)
            return jn_oom(r, site);
        for (size_t i = 0; i < n; i++) {
            jv_map_at(r, v, i, &kv[w].k, &kv[w].v);
            if (kv[w].k.t != JV_STR) {
                jv s;
                if ((rc = jv_tostr(r, site, &kv[w].k, &s)))
                    return rc;
                kv[w].k = s;
            }
            if (!py && kv[w].v.t == JV_UNDEF)
                continue;
            w++;
        }
        if (sortkeys && w > 1)
            qsort(kv, w, sizeof(*kv), kv_cmp);
        rc = sl_buf_putc(b, '{');
        for (size_t i = 0; i < w && !rc; i++) {
            if (i)
                rc = sl_buf_puts(b, indent >= 0 ? "," : py ? ", " : ",");
            if (!rc && indent >= 0)
                rc = json_nl(b, indent, level + 1);
            if (!rc)
                rc = json_str(b, kv[i].k.u.s, kv[i].k.n, ascii, html);
            if (!rc)
                rc = sl_buf_puts(b, py || indent >= 0 ? ": " : ":");
            if (!rc && (rc = jv_json(r, site, &kv[i].v, b, indent, flags, level + 1)))
                return rc;
        }
        if (!rc && w && indent >= 0)
            rc = json_nl(b, indent, level);
        if (!rc)
            rc = sl_buf_putc(b, '}');
        break;
    }
    default:
        return jn_fail(r, site, SL_EINVAL, "a %s cannot be serialised to JSON",
                       jv_typename(r, v));
    }
    return rc < 0 && rc != SL_ENOMEM ? rc : rc ? jn_oom(r, site) : 0;
}

cJSON *jv_to_cjson(jn_render *r, const jv *v)
{
    switch (v->t) {
    case JV_NONE:
    case JV_UNDEF:
        return cJSON_CreateNull();
    case JV_BOOL:
        return cJSON_CreateBool(v->u.b);
    case JV_INT:
        return cJSON_CreateNumber((double)v->u.i);
    case JV_FLOAT:
        return cJSON_CreateNumber(v->u.f);
    case JV_STR: {
        char *s = malloc(v->n + 1);
        cJSON *j;
        if (!s)
            return NULL;
        memcpy(s, v->u.s, v->n);
        s[v->n] = 0;
        j = cJSON_CreateString(s);
        free(s);
        return j;
    }
    case JV_JSON:
        return cJSON_Duplicate(v->u.j, 1);
    case JV_LIST: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; a && i < v->u.l->n; i++) {
            cJSON *x = jv_to_cjson(r, &v->u.l->v[i]);
            if (!x) {
                cJSON_Delete(a);
                return NULL;
            }
            cJSON_AddItemToArray(a, x);
        }
        return a;
    }
    case JV_DICT: {
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; o && i < v->u.d->n; i++) {
            jv ks;
            cJSON *x;
            char *k;
            if (jv_tostr(r, NULL, &v->u.d->k[i], &ks) || !(x = jv_to_cjson(r, &v->u.d->v[i]))) {
                cJSON_Delete(o);
                return NULL;
            }
            k = jn_strndup(r->ar, ks.u.s, ks.n);
            if (!k) {
                cJSON_Delete(x);
                cJSON_Delete(o);
                return NULL;
            }
            cJSON_AddItemToObject(o, k, x);
        }
        return o;
    }
    default:
        return cJSON_CreateNull();
    }
}

/* ------------------------------------------------------ truth, equality */

int jv_truthy(jn_render *r, const jv *v)
{
    switch (v->t) {
    case JV_UNDEF:
    case JV_NONE:
        return 0;
    case JV_BOOL:
        return v->u.b;
    case JV_INT:
        return v->u.i != 0;
    case JV_FLOAT:
        return v->u.f != 0 && !isnan(v->u.f);
    case JV_STR:
        return v->n != 0;
    case JV_LIST:
    case JV_DICT:
    case JV_JSON:
        return r->nunjucks || (v->ns & JN_GEN) ? 1 : jv_len(v) != 0;
    default:
        return 1;
    }
}

/* Python ==: 1 equal, 0 not. */
int jv_equal(jn_render *r, const jv *a, const jv *b)
{
    double x, y;

    if (jv_num(a, &x) && jv_num(b, &y))
        return x == y;
    if (a->t == JV_STR && b->t == JV_STR)
        return a->n == b->n && !memcmp(a->u.s, b->u.s, a->n);
    if (a->t == JV_NONE || b->t == JV_NONE)
        return a->t == b->t;
    if (jv_is_seq(a) && jv_is_seq(b)) {
        long n = jv_len(a);
        if (n != jv_len(b))
            return 0;
        for (long i = 0; i < n; i++) {
            jv p = jv_index(r, a, (size_t)i), q = jv_index(r, b, (size_t)i);
            if (!jv_equal(r, &p, &q))
                return 0;
        }
        return 1;
    }
    if (jv_is_map(a) && jv_is_map(b)) {
        size_t n = jv_map_n(a);
        if (n != jv_map_n(b))
            return 0;
        for (size_t i = 0; i < n; i++) {
            jv k, v, w;
            jv_map_at(r, a, i, &k, &v);
            if (k.t != JV_STR || !jv_getkey(r, b, k.u.s, k.n, &w) || !jv_equal(r, &v, &w))
                return 0;
        }
        return 1;
    }
    if (a->t == b->t && a->t == JV_MACRO)
        return a->u.m == b->u.m;
    return 0;
}

static int js_is_obj(const jv *v)
{
    return v->t == JV_LIST || v->t == JV_DICT || v->t == JV_JSON || v->t == JV_MACRO ||
           v->t == JV_FUNC || v->t == JV_LOOP;
}

static int js_same_obj(const jv *a, const jv *b)
{
    if (a->t != b->t)
        return 0;
    if (a->t == JV_JSON)
        return a->u.j == b->u.j;
    return a->u.l == b->u.l;
}

/* JavaScript == (loose) and === (strict). */
static int js_equal(jn_render *r, const jv *a, const jv *b, int strict)
{
    double x, y;
    int an = a->t == JV_UNDEF || a->t == JV_NONE, bn = b->t == JV_UNDEF || b->t == JV_NONE;

    if (an || bn)
        return strict ? a->t == b->t : an && bn;
    if (a->t == JV_STR && b->t == JV_STR)
        return a->n == b->n && !memcmp(a->u.s, b->u.s, a->n);
    if (js_is_obj(a) && js_is_obj(b))
        return js_same_obj(a, b);
    if (strict) {
        if ((a->t == JV_BOOL) != (b->t == JV_BOOL))
            return 0;
        if (!jv_num(a, &x) || !jv_num(b, &y))
            return 0;
        return x == y;
    }
    if (js_is_obj(a) || js_is_obj(b)) {
        /* object vs primitive: compare the object's string form */
        jv s;
        const jv *o = js_is_obj(a) ? a : b, *p = js_is_obj(a) ? b : a;
        if (jv_tostr(r, NULL, o, &s))
            return 0;
        return js_equal(r, &s, p, 0);
    }
    return js_number(r, a) == js_number(r, b);
}

int jv_cmp(jn_render *r, const jv *a, const jv *b, int casefold, int *bad)
{
    double x, y;

    if (jv_num(a, &x) && jv_num(b, &y))
        return (x > y) - (x < y);
    if (a->t == JV_STR && b->t == JV_STR) {
        size_t n = a->n < b->n ? a->n : b->n;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)a->u.s[i], d = (unsigned char)b->u.s[i];
            if (casefold) {
                if (c >= 'A' && c <= 'Z')
                    c = (unsigned char)(c + 32);
                if (d >= 'A' && d <= 'Z')
                    d = (unsigned char)(d + 32);
            }
            if (c != d)
                return c < d ? -1 : 1;
        }
        return (a->n > b->n) - (a->n < b->n);
    }
    if (r->nunjucks) {
        /* JS relational comparison on mixed types: numbers */
        double p = js_number(r, a), q = js_number(r, b);
        if (isnan(p) || isnan(q))
            return 0;
        return (p > q) - (p < q);
    }
    if (jv_is_seq(a) && jv_is_seq(b)) {
        long n = jv_len(a), m = jv_len(b);
        for (long i = 0; i < n && i < m; i++) {
            jv p = jv_index(r, a, (size_t)i), q = jv_index(r, b, (size_t)i);
            int c = jv_cmp(r, &p, &q, casefold, bad);
            if (c || *bad)
                return c;
        }
        return (n > m) - (n < m);
    }
    *bad = 1;
    return 0;
}

/* ----------------------------------------------------------------- scopes */

static jframe *frame_new(jn_render *r, jframe *parent)
{
    jframe *f = jn_alloc(r->ar, sizeof(*f));
    if (f) {
        memset(f, 0, sizeof(*f));
        f->parent = parent;
    }
    return f;
}

static jvar *frame_find(jframe *f, const char *name)
{
    /* names are interned by the parser: pointers compare */
    for (size_t i = f->n; i > 0; i--)
        if (f->v[i - 1].name == name)
            return &f->v[i - 1];
    return NULL;
}

static int frame_set(jn_render *r, jframe *f, const char *name, jv v)
{
    jvar *x = frame_find(f, name);
    if (x) {
        x->v = v;
        return 0;
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        jvar *nv = jn_alloc(r->ar, cap * sizeof(*nv));
        if (!nv)
            return SL_ENOMEM;
        if (f->n)
            memcpy(nv, f->v, f->n * sizeof(*nv));
        f->v = nv;
        f->cap = cap;
    }
    f->v[f->n].name = name;
    f->v[f->n++].v = v;
    return 0;
}

/* {% set %}: Jinja2 assigns in the current scope; Nunjucks updates the
 * innermost enclosing scope that already has the name. */
static int assign(jn_render *r, const jnode *site, const char *name, jv v)
{
    jframe *f = r->frame;

    if (r->nunjucks) {
        for (jframe *g = r->frame; g; g = g->parent) {
            if (frame_find(g, name)) {
                f = g;
                break;
            }
            if (g->isolate)
                break;
        }
    }
    return frame_set(r, f, name, v) ? jn_oom(r, site) : 0;
}

static int lookup(jn_render *r, const jnode *n, jv *out)
{
    if (n->rdepth) {
        /* the parser knows which frame binds it (and where): check there */
        jframe *f = r->frame;
        for (unsigned k = 1; f && k < n->rdepth; k++)
            f = f->parent;
        if (f) {
            if (n->rslot) {
                size_t i = (size_t)n->rslot - 1;
                if (i < f->n && f->v[i].name == n->name) {
                    *out = f->v[i].v;
                    return 0;
                }
            } else {
                jvar *x = frame_find(f, n->name);
                if (x) {
                    *out = x->v;
                    return 0;
                }
            }
        }
    }
    for (jframe *f = n->unbound ? NULL : r->frame; f; f = f->parent) {
        jvar *x = frame_find(f, n->name);
        if (x) {
            *out = x->v;
            return 0;
        }
    }
    if (r->ctx) {
        const jn_kent *e = kx_get(r->kx, r->ctx, n->name, n->nlen, n->hash, n->kpre);
        if (e) {
            kent_value(r, e, out);
            return 0;
        }
    }
    if (jn_global(r, n->name, out))
        return 0;
    *out = jv_undef(n);
    return 0;
}

/* ------------------------------------------------------- attribute access */

/* Jinja2 loop.cycle(a, b, ...): the argument for this iteration. */
static int loop_cycle(jn_render *r, const jnode *site, jfunc *self, int argc, const jv *argv,
                      int kwc, const char *const *kwn, const jv *kwv, jv *out)
{
    (void)kwn, (void)kwv;
    if (kwc)
        return jn_fail(r, site, SL_EINVAL, "loop.cycle takes no keyword arguments");
    if (argc < 1)
        return jn_fail(r, site, SL_EINVAL, "no items for cycling given");
    *out = argv[self->u_self.u.loop->index0 % (size_t)argc];
    return 0;
}

/* Jinja2 loop.changed(*values): true on the first call and whenever the
 * values differ from the previous call's. */
static int loop_changed(jn_render *r, const jnode *site, jfunc *self, int argc, const jv *argv,
                        int kwc, const char *const *kwn, const jv *kwv, jv *out)
{
    jloop *l = self->u_self.u.loop;
    jlist *now;
    jv a, b;

    (void)kwn, (void)kwv;
    if (kwc)
        return jn_fail(r, site, SL_EINVAL, "loop.changed takes no keyword arguments");
    if (!(now = jl_new(r, (size_t)argc + 1)))
        return jn_oom(r, site);
    if (argc)
        memcpy(now->v, argv, (size_t)argc * sizeof(jv));
    now->n = (size_t)argc;
    a = jv_list_of(now, 0);
    if (l->last_changed) {
        b = jv_list_of(l->last_changed, 0);
        if (jv_equal(r, &a, &b) == 1) {
            *out = jv_bool(0);
            return 0;
        }
    }
    l->last_changed = now;
    *out = jv_bool(1);
    return 0;
}

static int loop_attr(jn_render *r, const jloop *l, const char *name, jv *out)
{
    size_t i = l->index0, n = l->length;
    if (!strcmp(name, "index"))
        *out = jv_int(r, (int64_t)i + 1);
    else if (!strcmp(name, "index0"))
        *out = jv_int(r, (int64_t)i);
    else if (!strcmp(name, "revindex"))
        *out = jv_int(r, (int64_t)(n - i));
    else if (!strcmp(name, "revindex0"))
        *out = jv_int(r, (int64_t)(n - i - 1));
    else if (!strcmp(name, "first"))
        *out = jv_bool(i == 0);
    else if (!strcmp(name, "last"))
        *out = jv_bool(i + 1 == n);
    else if (!strcmp(name, "length"))
        *out = jv_int(r, (int64_t)n);
    else if (!r->nunjucks && !strcmp(name, "depth"))
        *out = jv_int(r, 1);
    else if (!r->nunjucks && !strcmp(name, "depth0"))
        *out = jv_int(r, 0);
    else if (!r->nunjucks && (!strcmp(name, "cycle") || !strcmp(name, "changed"))) {
        jfunc *f = jn_alloc(r->ar, sizeof(*f));
        if (!f)
            return 0;
        memset(f, 0, sizeof(*f));
        f->fn = name[1] == 'y' ? loop_cycle : loop_changed;
        f->name = name[1] == 'y' ? "cycle" : "changed";
        f->u_self.t = JV_LOOP;
        f->u_self.u.loop = (jloop *)l; /* changed() keeps its state in the loop */
        memset(out, 0, sizeof(*out));
        out->t = JV_FUNC;
        out->u.fn = f;
    } else
        return 0;
    return 1;
}

/* obj[key] for an integer key (negative counts from the end in Jinja2). */
static int get_index(jn_render *r, const jv *obj, double idx, jv *out)
{
    long n = jv_len(obj);
    long i;

    if (idx != floor(idx) || (obj->t == JV_LIST && (obj->ns & JN_GEN)))
        return 0; /* a generator has no items by index: undefined */
    i = (long)idx;
    if (i < 0 && !r->nunjucks)
        i += n;
    if (i < 0 || i >= n)
        return 0;
    *out = jv_index(r, obj, (size_t)i);
    return 1;
}

/* strcmp(k, lit) == 0 without a library call (the hot path's method
 * names). */
static inline int streq(const char *k, const char *lit)
{
    size_t i = 0;
    while (lit[i] && k[i] == lit[i])
        i++;
    return !lit[i] && !k[i];
}

/* Attribute (.name) or item ([key]) access; attr says which was written.
 * Missing: *out is undefined (site). */
static int get_member(jn_render *r, const jnode *site, const jv *obj, const jv *key, int attr,
                      jv *out)
{
    double d;

    if (obj->t == JV_UNDEF) {
        if (r->nunjucks) {
            *out = jv_undef(site);
            return 0;
        }
        return jn_undef_fail(r, obj);
    }
    if (obj->t == JV_NONE) {
        if (r->nunjucks) {
            *out = jv_undef(site);
            return 0;
        }
        *out = jv_undef(site);
        return 0;
    }
    if (key->t == JV_STR) {
        char kb[256];
        const char *k = key->u.s;
        if (key->n < sizeof(kb) && k[key->n] != 0) {
            memcpy(kb, key->u.s, key->n);
            kb[key->n] = 0;
            k = kb;
        }
        if (obj->t == JV_LOOP && loop_attr(r, obj->u.loop, k, out))
            return 0;
        if (jv_is_map(obj)) {
            /* Jinja2: `.items` etc. are the dict's methods; [] reads keys first */
            int dm = 0;
            if (!r->nunjucks) {
                switch (k[0]) {
                case 'i': dm = streq(k, "items"); break;
                case 'k': dm = streq(k, "keys"); break;
                case 'v': dm = streq(k, "values"); break;
                case 'g': dm = streq(k, "get"); break;
                }
            }
            if ((!dm || !attr) &&
                (attr && site->kind == N_GETATTR
                     ? jv_getkey_h(r, obj, key->u.s, key->n, site->hash, site->kpre, out)
                     : jv_getkey(r, obj, key->u.s, key->n, out)))
                return 0;
            if (dm && jn_method(r, site, obj, k, out))
                return 0;
        } else if (obj->t == JV_LIST && (obj->ns & 4) && obj->u.l->n == 2 &&
                   (streq(k, "grouper") || streq(k, "list"))) {
            /* a Jinja2 groupby result: the (grouper, list) named tuple */
            *out = obj->u.l->v[k[0] == 'l'];
            return 0;
        } else if (jn_method(r, site, obj, k, out)) {
            return 0;
        }
        if (r->nunjucks && !strcmp(k, "length") && (obj->t == JV_STR || jv_is_seq(obj))) {
            *out = jv_float((double)(obj->t == JV_STR ? u8_len(obj->u.s, obj->n)
                                                       : (size_t)jv_len(obj)));
            return 0;
        }
        if (r->nunjucks && (obj->t == JV_STR || jv_is_seq(obj))) {
            char *end;
            double idx = strtod(k, &end);
            if (*k && !*end && get_index(r, obj, idx, out))
                return 0;
        }
    } else if (jv_num(key, &d) && key->t != JV_BOOL) {
        if ((jv_is_seq(obj) || obj->t == JV_STR) && get_index(r, obj, d, out))
            return 0;
        if (jv_is_map(obj)) {
            char kb[40];
            if (key->t == JV_INT)
                snprintf(kb, sizeof(kb), "%lld", (long long)key->u.i);
            else
                jn_fmt_double(d, !r->nunjucks, kb, sizeof(kb));
            if ((r->nunjucks || obj->t == JV_JSON) && jv_getkey(r, obj, kb, strlen(kb), out))
                return 0;
            if (obj->t == JV_DICT) {
                for (size_t i = 0; i < obj->u.d->n; i++)
                    if (jv_equal(r, &obj->u.d->k[i], key)) {
                        *out = obj->u.d->v[i];
                        return 0;
                    }
            }
        }
    }
    *out = jv_undef(site);
    return 0;
}

/* ---------------------------------------------------------- expressions */

static int eval(jn_render *r, const jnode *n, jv *out);
static int exec_body(jn_render *r, const jnode *n);

/* The value of a literal, or of a name in the frame slot the parser
 * resolved it to, without a call: 1 done, 0 when n needs eval(). */
static inline int eval_leaf(jn_render *r, const jnode *n, jv *out)
{
    if (n->kind == N_LIT) {
        *out = n->lit;
        return 1;
    }
    if (n->kind == N_NAME && n->rslot) {
        jframe *f = r->frame;
        size_t i = (size_t)n->rslot - 1;
        for (unsigned k = 1; f && k < n->rdepth; k++)
            f = f->parent;
        if (f && i < f->n && f->v[i].name == n->name) {
            *out = f->v[i].v;
            return 1;
        }
    }
    return 0;
}
/* eval() with the leaf cases inline. */
static inline int eval_fast(jn_render *r, const jnode *n, jv *out)
{
    return eval_leaf(r, n, out) ? 0 : eval(r, n, out);
}

/* Evaluate and fail on undefined (Jinja2 strict) . */
static int eval_def(jn_render *r, const jnode *n, jv *out)
{
    int rc = eval_fast(r, n, out);
    if (!rc && out->t == JV_UNDEF && !r->nunjucks)
        return jn_undef_fail(r, out);
    return rc;
}

static int concat_str(jn_render *r, const jnode *site, const jv *a, const jv *b, jv *out)
{
    char *s = jn_alloc(r->ar, a->n + b->n + 1);
    if (!s)
        return jn_oom(r, site);
    memcpy(s, a->u.s, a->n);
    memcpy(s + a->n, b->u.s, b->n);
    s[a->n + b->n] = 0;
    *out = jv_str(s, a->n + b->n);
    return 0;
}

static int py_binop(jn_render *r, const jnode *n, int op, const jv *a, const jv *b, jv *out)
{
    double x, y;
    int ai = a->t == JV_INT || a->t == JV_BOOL, bi = b->t == JV_INT || b->t == JV_BOOL;
    static const char *const names[] = {"", "+", "-", "*", "/", "//", "%", "**"};

    if (jv_num(a, &x) && jv_num(b, &y)) {
        if (ai && bi) {
            int64_t p = a->t == JV_BOOL ? a->u.b : a->u.i, q = b->t == JV_BOOL ? b->u.b : b->u.i, res;
            switch (op) {
            case OP_ADD:
                if (__builtin_add_overflow(p, q, &res))
                    goto overflow;
                *out = jv_int(r, res);
                return 0;
            case OP_SUB:
                if (__builtin_sub_overflow(p, q, &res))
                    goto overflow;
                *out = jv_int(r, res);
                return 0;
            case OP_MUL:
                if (__builtin_mul_overflow(p, q, &res))
                    goto overflow;
                *out = jv_int(r, res);
                return 0;
            case OP_FLOORDIV:
            case OP_MOD:
                if (q == 0)
                    return jn_fail(r, n, SL_EINVAL, "integer division or modulo by zero");
                if (p == INT64_MIN && q == -1)
                    goto overflow;
                {
                    int64_t dv = p / q, md = p % q;
                    if (md != 0 && ((md < 0) != (q < 0))) {
                        dv--;
                        md += q;
                    }
                    *out = jv_int(r, op == OP_MOD ? md : dv);
                }
                return 0;
            case OP_POW:
                if (q >= 0) {
                    int64_t acc = 1, base = p;
                    int64_t e = q;
                    while (e) {
                        if (e & 1 && __builtin_mul_overflow(acc, base, &acc))
                            goto overflow;
                        e >>= 1;
                        if (e && __builtin_mul_overflow(base, base, &base))
                            goto overflow;
                    }
                    *out = jv_int(r, acc);
                    return 0;
                }
                break;
            default:
                break;
            }
        }
        switch (op) {
        case OP_ADD:
            *out = jv_float(x + y);
            return 0;
        case OP_SUB:
            *out = jv_float(x - y);
            return 0;
        case OP_MUL:
            *out = jv_float(x * y);
            return 0;
        case OP_DIV:
            if (y == 0)
                return jn_fail(r, n, SL_EINVAL, "division by zero");
            *out = jv_float(x / y);
            return 0;
        case OP_FLOORDIV:
            if (y == 0)
                return jn_fail(r, n, SL_EINVAL, "float floor division by zero");
            *out = jv_float(floor(x / y));
            return 0;
        case OP_MOD:
            if (y == 0)
                return jn_fail(r, n, SL_EINVAL, "float modulo by zero");
            {
                double m = fmod(x, y);
                if (m != 0 && ((m < 0) != (y < 0)))
                    m += y;
                *out = jv_float(m);
            }
            return 0;
        case OP_POW:
            if (x == 0 && y < 0)
                return jn_fail(r, n, SL_EINVAL, "0.0 cannot be raised to a negative power");
            *out = jv_float(pow(x, y));
            return 0;
        }
    }
    if (op == OP_ADD && a->t == JV_STR && b->t == JV_STR)
        return concat_str(r, n, a, b, out);
    if (op == OP_ADD && jv_is_seq(a) && jv_is_seq(b)) {
        long p = jv_len(a), q = jv_len(b);
        jlist *l = jl_new(r, (size_t)(p + q));
        if (!l)
            return jn_oom(r, n);
        for (long i = 0; i < p; i++)
            l->v[l->n++] = jv_index(r, a, (size_t)i);
        for (long i = 0; i < q; i++)
            l->v[l->n++] = jv_index(r, b, (size_t)i);
        *out = jv_list_of(l, 0);
        return 0;
    }
    if (op == OP_MUL && ((a->t == JV_STR && bi) || (b->t == JV_STR && ai))) {
        const jv *s = a->t == JV_STR ? a : b;
        int64_t k = a->t == JV_STR ? (b->t == JV_BOOL ? b->u.b : b->u.i)
                                   : (a->t == JV_BOOL ? a->u.b : a->u.i);
        char *buf;
        if (k < 0)
            k = 0;
        if (s->n && (uint64_t)k > (r->ar->max / s->n))
            return jn_oom(r, n);
        if (!(buf = jn_alloc(r->ar, s->n * (size_t)k + 1)))
            return jn_oom(r, n);
        for (int64_t i = 0; i < k; i++)
            memcpy(buf + (size_t)i * s->n, s->u.s, s->n);
        buf[s->n * (size_t)k] = 0;
        *out = jv_str(buf, s->n * (size_t)k);
        return 0;
    }
    return jn_fail(r, n, SL_EINVAL, "unsupported operand type(s) for %s: '%s' and '%s'",
                   names[op], jv_typename(r, a), jv_typename(r, b));
overflow:
    return jn_fail(r, n, SL_EINVAL, "integer overflow (sluice integers are 64-bit)");
}

static int js_binop(jn_render *r, const jnode *n, int op, const jv *a, const jv *b, jv *out)
{
    double x, y;

    if (op == OP_ADD && (a->t == JV_STR || b->t == JV_STR || js_is_obj(a) || js_is_obj(b))) {
        jv p, q;
        int rc;
        if ((rc = jv_tostr(r, n, a, &p)) || (rc = jv_tostr(r, n, b, &q)))
            return rc;
        return concat_str(r, n, &p, &q, out);
    }
    x = js_number(r, a);
    y = js_number(r, b);
    switch (op) {
    case OP_ADD:
        *out = jv_float(x + y);
        break;
    case OP_SUB:
        *out = jv_float(x - y);
        break;
    case OP_MUL:
        *out = jv_float(x * y);
        break;
    case OP_DIV:
        *out = jv_float(x / y);
        break;
    case OP_FLOORDIV:
        *out = jv_float(floor(x / y));
        break;
    case OP_MOD:
        *out = jv_float(y == 0 ? NAN : fmod(x, y));
        break;
    case OP_POW:
        *out = jv_float(pow(x, y));
        break;
    }
    return 0;
}

static int contains(jn_render *r, const jnode *n, const jv *needle, const jv *hay, int *res)
{
    if (hay->t == JV_STR) {
        jv s = *needle;
        if (needle->t != JV_STR) {
            if (!r->nunjucks)
                return jn_fail(r, n, SL_EINVAL,
                               "'in <string>' requires string as left operand, not %s",
                               jv_typename(r, needle));
            int rc = jv_tostr(r, n, needle, &s);
            if (rc)
                return rc;
        }
        *res = s.n == 0 || memmem(hay->u.s, hay->n, s.u.s, s.n) != NULL;
        return 0;
    }
    if (jv_is_seq(hay)) {
        long len = jv_len(hay);
        *res = 0;
        for (long i = 0; i < len && !*res; i++) {
            jv x = jv_index(r, hay, (size_t)i);
            *res = r->nunjucks ? js_equal(r, &x, needle, 1) : jv_equal(r, &x, needle);
        }
        return 0;
    }
    if (jv_is_map(hay)) {
        jv s = *needle, tmp;
        if (needle->t != JV_STR) {
            if (!r->nunjucks) {
                size_t m = jv_map_n(hay);
                *res = 0;
                for (size_t i = 0; i < m && !*res; i++) {
                    jv k, v;
                    jv_map_at(r, hay, i, &k, &v);
                    *res = jv_equal(r, &k, needle);
                }
                return 0;
            }
            int rc = jv_tostr(r, n, needle, &s);
            if (rc)
                return rc;
        }
        *res = jv_getkey(r, hay, s.u.s, s.n, &tmp);
        return 0;
    }
    if (r->nunjucks)
        return jn_fail(r, n, SL_EINVAL, "Cannot use \"in\" operator to search in unexpected types");
    return jn_fail(r, n, SL_EINVAL, "argument of type '%s' is not iterable", jv_typename(r, hay));
}

static int compare(jn_render *r, const jnode *n, int op, const jv *a, const jv *b, int *res)
{
    int bad = 0, c, rc;

    switch (op) {
    case OP_EQ:
    case OP_NE:
        *res = r->nunjucks ? js_equal(r, a, b, 0) : jv_equal(r, a, b);
        if (op == OP_NE)
            *res = !*res;
        return 0;
    case OP_SEQ:
    case OP_SNE:
        *res = js_equal(r, a, b, 1) ^ (op == OP_SNE);
        return 0;
    case OP_IN:
    case OP_NOTIN:
        if ((rc = contains(r, n, a, b, res)))
            return rc;
        if (op == OP_NOTIN)
            *res = !*res;
        return 0;
    default:
        if (r->nunjucks && !(a->t == JV_STR && b->t == JV_STR)) {
            double x = js_number(r, a), y = js_number(r, b);
            *res = op == OP_LT ? x < y : op == OP_LE ? x <= y : op == OP_GT ? x > y : x >= y;
            return 0;
        }
        c = jv_cmp(r, a, b, 0, &bad);
        if (bad || (jv_is_seq(a) != jv_is_seq(b)))
            return jn_fail(r, n, SL_EINVAL, "'%s' not supported between instances of '%s' and '%s'",
                           op == OP_LT ? "<" : op == OP_LE ? "<=" : op == OP_GT ? ">" : ">=",
                           jv_typename(r, a), jv_typename(r, b));
        *res = op == OP_LT ? c < 0 : op == OP_LE ? c <= 0 : op == OP_GT ? c > 0 : c >= 0;
        return 0;
    }
}

/* Evaluate call arguments into arrays from the arena. */
typedef struct jargs {
    int argc, kwc;
    jv *argv, *kwv;
    const char **kwn;
} jargs;

static int eval_args(jn_render *r, const jnode *site, const jnode *args, const jnode *kwargs,
                     int nj_kwdict, jargs *a)
{
    int rc, na = 0, nk = 0;

    memset(a, 0, sizeof(*a));
    for (const jnode *x = args; x; x = x->next)
        na++;
    for (const jnode *x = kwargs; x; x = x->next)
        nk++;
    if (nj_kwdict && nk) {
        /* Nunjucks passes keyword arguments as one trailing object */
        jdict *d = jd_new(r, (size_t)nk);
        if (!d || !(a->argv = jn_alloc(r->ar, (size_t)(na + 1) * sizeof(jv))))
            return jn_oom(r, site);
        for (const jnode *x = args; x; x = x->next)
            if ((rc = eval_fast(r, x, &a->argv[a->argc++])))
                return rc;
        for (const jnode *x = kwargs; x; x = x->next) {
            jv v;
            if ((rc = eval(r, x, &v)))
                return rc;
            if (jd_set(r, d, jv_str(x->name, x->nlen), v))
                return jn_oom(r, site);
        }
        a->argv[a->argc++] = jv_dict(d);
        return 0;
    }
    if ((na && !(a->argv = jn_alloc(r->ar, (size_t)na * sizeof(jv)))) ||
        (nk && (!(a->kwv = jn_alloc(r->ar, (size_t)nk * sizeof(jv))) ||
                !(a->kwn = jn_alloc(r->ar, (size_t)nk * sizeof(char *))))))
        return jn_oom(r, site);
    for (const jnode *x = args; x; x = x->next)
        if ((rc = eval_fast(r, x, &a->argv[a->argc++])))
            return rc;
    for (const jnode *x = kwargs; x; x = x->next) {
        a->kwn[a->kwc] = x->name;
        if ((rc = eval(r, x, &a->kwv[a->kwc++])))
            return rc;
    }
    return 0;
}

static int call_macro(jn_render *r, const jnode *site, jmacro *m, const jargs *a,
                      jmacro *caller, jv *out)
{
    const jnode *def = m->def;
    const jnode *params = def->kind == N_CALLBLOCK ? def->args : def->args;
    const jnode *body = def->b;
    jframe *f, *saved = r->frame;
    sl_buf *saved_out = r->out, buf = SL_BUF_INIT;
    int rc = 0, i = 0;
    char *s;

    if (r->depth >= MAX_MACRO_DEPTH)
        return jn_fail(r, site, SL_ELIMIT, "macro calls nested deeper than %d", MAX_MACRO_DEPTH);
    if (!(f = frame_new(r, m->scope)))
        return jn_oom(r, site);
    f->isolate = 1;
    for (const jnode *p = params; p; p = p->next, i++) {
        jv v;
        int found = 0;
        if (i < a->argc) {
            v = a->argv[i];
            found = 1;
        }
        for (int k = 0; k < a->kwc; k++)
            if (!strcmp(a->kwn[k], p->name)) {
                v = a->kwv[k];
                found = 1;
            }
        if (!found && p->a) {
            r->frame = f;
            rc = eval(r, p->a, &v);
            r->frame = saved;
            if (rc)
                return rc;
            found = 1;
        }
        if (!found)
            v = jv_undef(p);
        if (frame_set(r, f, p->name, v))
            return jn_oom(r, site);
    }
    if (!r->nunjucks && a->argc > i)
        return jn_fail(r, site, SL_EINVAL, "macro '%s' takes not more than %d argument(s)",
                       def->name ? def->name : "caller", i);
    if (!r->nunjucks)
        for (int k = 0; k < a->kwc; k++) {
            int ok = 0;
            for (const jnode *p = params; p; p = p->next)
                ok |= !strcmp(a->kwn[k], p->name);
            if (!ok)
                return jn_fail(r, site, SL_EINVAL, "macro '%s' takes no keyword argument '%s'",
                               def->name ? def->name : "caller", a->kwn[k]);
        }
    if (caller) {
        jv cv;
        memset(&cv, 0, sizeof(cv));
        cv.t = JV_MACRO;
        cv.u.m = caller;
        if (frame_set(r, f, r->t->s_caller, cv))
            return jn_oom(r, site);
    }
    r->frame = f;
    r->out = &buf;
    r->depth++;
    rc = exec_body(r, body);
    r->depth--;
    r->out = saved_out;
    r->frame = saved;
    if (!rc) {
        if (!(s = jn_strndup(r->ar, buf.ptr ? buf.ptr : "", buf.len)))
            rc = jn_oom(r, site);
        else
            *out = jv_str(s, buf.len);
    }
    sl_buf_free(&buf);
    return rc;
}

int jn_call_value(jn_render *r, const jnode *site, const jv *fn, int argc, const jv *argv,
                  int kwc, const char *const *kwn, const jv *kwv, jv *out)
{
    jargs a = {argc, kwc, (jv *)argv, (jv *)kwv, (const char **)kwn};
    if (fn->t == JV_MACRO)
        return call_macro(r, site, fn->u.m, &a, NULL, out);
    if (fn->t == JV_FUNC)
        return fn->u.fn->fn(r, site, fn->u.fn, argc, argv, kwc, kwn, kwv, out);
    return jn_fail(r, site, SL_EINVAL, "'%s' object is not callable", jv_typename(r, fn));
}

static int call_expr(jn_render *r, const jnode *n, jmacro *caller, jv *out)
{
    jv fn;
    jargs a;
    int rc;
    sl_buf d = SL_BUF_INIT;

    if ((rc = eval(r, n->a, &fn)))
        return rc;
    if (fn.t == JV_UNDEF || fn.t == JV_NONE || (fn.t != JV_MACRO && fn.t != JV_FUNC)) {
        if (fn.t == JV_UNDEF && !r->nunjucks)
            return jn_undef_fail(r, &fn);
        describe(n->a, &d);
        rc = r->nunjucks ? jn_fail(r, n, SL_EINVAL, "Unable to call `%s`, which is %s",
                                   d.ptr ? d.ptr : "value",
                                   fn.t == JV_UNDEF || fn.t == JV_NONE ? "undefined or falsey"
                                                                       : "not a function")
                         : jn_fail(r, n, SL_EINVAL, "'%s' object is not callable",
                                   jv_typename(r, &fn));
        sl_buf_free(&d);
        return rc;
    }
    if ((rc = eval_args(r, n, n->args, n->kwargs, r->nunjucks && fn.t == JV_FUNC, &a)))
        return rc;
    if (fn.t == JV_MACRO)
        return call_macro(r, n, fn.u.m, &a, caller, out);
    return fn.u.fn->fn(r, n, fn.u.fn, a.argc, a.argv, a.kwc, a.kwn, a.kwv, out);
}

static int apply_filter(jn_render *r, const jnode *n, const jv *in, jv *out)
{
    jargs a;
    int rc;

    if (in->t == JV_UNDEF && !r->nunjucks && !n->filter->lazy_undef)
        return jn_undef_fail(r, in);
    if (n->op == 1) /* literal arguments, evaluated by the parser */
        return n->filter->fn(r, n, in, (int)n->lit.u.l->n, n->lit.u.l->v, 0, NULL, NULL, out);
    if ((rc = eval_args(r, n, n->args, n->kwargs, r->nunjucks, &a)))
        return rc;
    if (!r->nunjucks && !n->filter->lazy_undef)
        for (int i = 0; i < a.argc; i++)
            if (a.argv[i].t == JV_UNDEF)
                return jn_undef_fail(r, &a.argv[i]);
    return n->filter->fn(r, n, in, a.argc, a.argv, a.kwc, a.kwn, a.kwv, out);
}

static int eval_slow(jn_render *r, const jnode *n, jv *out);


/* Evaluate an expression. The common kinds (literal, name, attribute,
 * filter) are handled here with a small stack frame; the rest in
 * eval_slow(). */
static int eval(jn_render *r, const jnode *n, jv *out)
{
    jv a;
    int rc;

    switch (n->kind) {
    case N_LIT:
        *out = n->lit;
        return 0;
    case N_NAME:
        if (eval_leaf(r, n, out))
            return 0;
        return lookup(r, n, out);
    case N_GETATTR: {
        jv b;
        if ((rc = eval_fast(r, n->a, &a)))
            return rc;
        if (a.t == JV_JSON && (a.u.j->type & 0xff) == cJSON_Object && !n->op) {
            /* a context object's key (not a Jinja2 dict method name) */
            const jn_kent *e = kx_get(r->kx, a.u.j, n->name, n->nlen, n->hash, n->kpre);
            if (e) {
                kent_value(r, e, out);
                return 0;
            }
        }
        b = jv_str(n->name, n->nlen);
        return get_member(r, n, &a, &b, 1, out);
    }
    case N_FILTER:
        if ((rc = eval_fast(r, n->a, &a)))
            return rc;
        return apply_filter(r, n, &a, out);
    default:
        return eval_slow(r, n, out);
    }
}

/* A slice bound as a long: NaN is 0, out-of-range values are clamped. */
static long slice_bound(double f)
{
    return f != f ? 0 : f > 1e18 ? (long)1e18 : f < -1e18 ? (long)-1e18 : (long)f;
}

/* eval() for the remaining expression kinds. */
static int eval_slow(jn_render *r, const jnode *n, jv *out)
{
    jv a, b;
    int rc, res;

    switch (n->kind) {
    case N_LIT:
        *out = n->lit;
        return 0;
    case N_NAME:
        return lookup(r, n, out);
    case N_GETATTR:
        if ((rc = eval(r, n->a, &a)))
            return rc;
        b = jv_str(n->name, n->nlen);
        return get_member(r, n, &a, &b, 1, out);
    case N_GETITEM:
        if ((rc = eval(r, n->a, &a)) || (rc = eval_def(r, n->b, &b)))
            return rc;
        return get_member(r, n, &a, &b, 0, out);
    case N_SLICE: {
        jv parts[3];
        long len, start, stop, step = 1, cnt = 0;
        const jnode *pn[3] = {n->b, n->c, n->d};
        if ((rc = eval_def(r, n->a, &a)))
            return rc;
        len = jv_len(&a);
        if (len < 0 || jv_is_map(&a))
            return jn_fail(r, n, SL_EINVAL, "'%s' object is not subscriptable",
                           jv_typename(r, &a));
        for (int i = 0; i < 3; i++) {
            parts[i] = jv_none();
            if (pn[i] && (rc = eval_def(r, pn[i], &parts[i])))
                return rc;
            if (parts[i].t != JV_NONE && parts[i].t != JV_INT &&
                !(r->nunjucks && parts[i].t == JV_FLOAT))
                return jn_fail(r, n, SL_EINVAL, "slice indices must be integers or None");
        }
#define PI(x) ((x).t == JV_INT ? (long)(x).u.i : slice_bound((x).u.f))
        if (parts[2].t != JV_NONE)
            step = PI(parts[2]);
        if (step == 0)
            return jn_fail(r, n, SL_EINVAL, "slice step cannot be zero");
        if (step > 0) {
            start = parts[0].t == JV_NONE ? 0 : PI(parts[0]);
            stop = parts[1].t == JV_NONE ? len : PI(parts[1]);
            if (start < 0)
                start = start + len < 0 ? 0 : start + len;
            if (stop < 0)
                stop = stop + len < 0 ? 0 : stop + len;
            if (start > len)
                start = len;
            if (stop > len)
                stop = len;
        } else {
            start = parts[0].t == JV_NONE ? len - 1 : PI(parts[0]);
            stop = parts[1].t == JV_NONE ? -1 : PI(parts[1]);
            if (start < 0)
                start = start + len < 0 ? -1 : start + len;
            if (parts[1].t != JV_NONE && stop < 0)
                stop = stop + len < 0 ? -1 : stop + len;
            if (start >= len)
                start = len - 1;
            if (stop >= len)
                stop = len - 1;
        }
#undef PI
        if (a.t == JV_STR) {
            sl_buf sb = SL_BUF_INIT;
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
                jv c = jv_index(r, &a, (size_t)i);
                if (sl_buf_put(&sb, c.u.s, c.n)) {
                    sl_buf_free(&sb);
                    return jn_oom(r, n);
                }
            }
            *out = jv_str(jn_strndup(r->ar, sb.ptr ? sb.ptr : "", sb.len), sb.len);
            sl_buf_free(&sb);
            return out->u.s ? 0 : jn_oom(r, n);
        }
        {
            jlist *l;
            for (long i = start; step > 0 ? i < stop : i > stop; i += step)
                cnt++;
            if (!(l = jl_new(r, (size_t)cnt)))
                return jn_oom(r, n);
            for (long i = start; step > 0 ? i < stop : i > stop; i += step)
                l->v[l->n++] = jv_index(r, &a, (size_t)i);
            *out = jv_list_of(l, 0);
        }
        return 0;
    }
    case N_CALL:
        return call_expr(r, n, NULL, out);
    case N_FILTER:
        if ((rc = eval(r, n->a, &a)))
            return rc;
        return apply_filter(r, n, &a, out);
    case N_TEST: {
        jargs ar;
        if ((rc = eval(r, n->a, &a)))
            return rc;
        if ((rc = eval_args(r, n, n->args, n->kwargs, 0, &ar)))
            return rc;
        if (a.t == JV_UNDEF && !r->nunjucks && !n->test->lazy_undef) {
            /* Python-level identity/type tests do not touch the value */
            static const char *const quiet[] = {"none", "string", "number", "mapping", "sameas",
                                                "callable", "boolean", "true", "false",
                                                "integer", "float", "sequence", NULL};
            int ok = 0;
            for (size_t i = 0; quiet[i]; i++)
                ok |= !strcmp(quiet[i], n->test->name);
            if (!ok)
                return jn_undef_fail(r, &a);
        }
        if ((rc = n->test->fn(r, n, &a, ar.argc, ar.argv, &res)))
            return rc;
        *out = jv_bool(n->op ? !res : res);
        return 0;
    }
    case N_BIN:
        if ((rc = eval_def(r, n->a, &a)) || (rc = eval_def(r, n->b, &b)))
            return rc;
        return r->nunjucks ? js_binop(r, n, n->op, &a, &b, out) : py_binop(r, n, n->op, &a, &b, out);
    case N_UNARY:
        if ((rc = eval_def(r, n->a, &a)))
            return rc;
        if (r->nunjucks) {
            double x = js_number(r, &a);
            *out = jv_float(n->op == OP_NEG ? -x : x);
            return 0;
        }
        if (a.t == JV_INT || a.t == JV_BOOL) {
            int64_t i = a.t == JV_BOOL ? a.u.b : a.u.i;
            if (n->op == OP_NEG && i == INT64_MIN)
                return jn_fail(r, n, SL_EINVAL, "integer overflow");
            *out = jv_int(r, n->op == OP_NEG ? -i : i);
            return 0;
        }
        if (a.t == JV_FLOAT) {
            *out = jv_float(n->op == OP_NEG ? -a.u.f : a.u.f);
            return 0;
        }
        return jn_fail(r, n, SL_EINVAL, "bad operand type for unary %s: '%s'",
                       n->op == OP_NEG ? "-" : "+", jv_typename(r, &a));
    case N_AND:
        if ((rc = eval_def(r, n->a, &a)))
            return rc;
        if (!jv_truthy(r, &a)) {
            *out = a;
            return 0;
        }
        return eval(r, n->b, out);
    case N_OR:
        if ((rc = eval_def(r, n->a, &a)))
            return rc;
        if (jv_truthy(r, &a)) {
            *out = a;
            return 0;
        }
        return eval(r, n->b, out);
    case N_NOT:
        if ((rc = eval_def(r, n->a, &a)))
            return rc;
        *out = jv_bool(!jv_truthy(r, &a));
        return 0;
    case N_COND:
        if ((rc = eval_def(r, n->a, &a)))
            return rc;
        if (jv_truthy(r, &a))
            return eval(r, n->b, out);
        if (n->c)
            return eval(r, n->c, out);
        *out = jv_str("", 0);
        return 0;
    case N_COMPARE: {
        const jnode *w;
        if ((rc = eval_def(r, n->a, &a)))
            return rc;
        for (w = n->args; w; w = w->next) {
            if ((rc = eval_def(r, w->a, &b)) || (rc = compare(r, w, w->op, &a, &b, &res)))
                return rc;
            if (!res) {
                *out = jv_bool(0);
                return 0;
            }
            a = b;
        }
        *out = jv_bool(1);
        return 0;
    }
    case N_LISTLIT:
    case N_TUPLELIT: {
        size_t cnt = 0;
        jlist *l;
        for (const jnode *x = n->args; x; x = x->next)
            cnt++;
        if (!(l = jl_new(r, cnt)))
            return jn_oom(r, n);
        for (const jnode *x = n->args; x; x = x->next)
            if ((rc = eval(r, x, &l->v[l->n++])))
                return rc;
        *out = jv_list_of(l, 0);
        if (n->kind == N_TUPLELIT)
            out->ns = 2;
        return 0;
    }
    case N_DICTLIT: {
        size_t cnt = 0;
        jdict *d;
        for (const jnode *x = n->args; x; x = x->next)
            cnt++;
        if (!(d = jd_new(r, cnt)))
            return jn_oom(r, n);
        for (const jnode *x = n->args; x; x = x->next) {
            if ((rc = eval_def(r, x->a, &a)) || (rc = eval(r, x->b, &b)))
                return rc;
            if (r->nunjucks && a.t != JV_STR && (rc = jv_tostr(r, x, &a, &a)))
                return rc;
            if (jd_set(r, d, a, b))
                return jn_oom(r, n);
        }
        *out = jv_dict(d);
        return 0;
    }
    case N_CONCAT:
        if ((rc = eval_def(r, n->a, &a)) || (rc = eval_def(r, n->b, &b)) ||
            (rc = jv_tostr(r, n, &a, &a)) || (rc = jv_tostr(r, n, &b, &b)))
            return rc;
        return concat_str(r, n, &a, &b, out);
    default:
        return jn_fail(r, n, SL_EINVAL, "not an expression");
    }
}

/* ------------------------------------------------------------ statements */

static int unpack(jn_render *r, const jnode *site, const jnode *targets, const jv *v,
                  int (*set)(jn_render *, const jnode *, const char *, jv))
{
    int rc, cnt = 0;
    long len;

    if (!targets->next)
        return set(r, site, targets->name, *v);
    for (const jnode *t = targets; t; t = t->next)
        cnt++;
    if (v->t == JV_UNDEF && !r->nunjucks)
        return jn_undef_fail(r, v);
    len = jv_is_seq(v) || v->t == JV_STR ? jv_len(v) : -1;
    if (!r->nunjucks && len < 0)
        return jn_fail(r, site, SL_EINVAL, "cannot unpack non-iterable %s object",
                       jv_typename(r, v));
    if (!r->nunjucks && len != cnt)
        return jn_fail(r, site, SL_EINVAL, "cannot unpack %ld values into %d names", len, cnt);
    {
        int i = 0;
        for (const jnode *t = targets; t; t = t->next, i++) {
            jv x = i < len ? jv_index(r, v, (size_t)i) : jv_undef(t);
            if ((rc = set(r, site, t->name, x)))
                return rc;
        }
    }
    return 0;
}

static int set_local(jn_render *r, const jnode *site, const char *name, jv v)
{
    return frame_set(r, r->frame, name, v) ? jn_oom(r, site) : 0;
}

/* A for loop's else: in a frame of its own, as both engines run it. */
static int exec_else(jn_render *r, const jnode *n)
{
    jframe *f, *saved = r->frame;
    int rc;

    if (!n->c)
        return 0;
    if (!(f = frame_new(r, saved)))
        return jn_oom(r, n);
    r->frame = f;
    rc = exec_body(r, n->c);
    r->frame = saved;
    return rc;
}

/* A Jinja2 for loop with one target over a context array, without a loop
 * filter: the items are read from the array as the loop goes, and the
 * frame's two slots (the target, then loop) are written in place. */
static int for_json(jn_render *r, const jnode *n, const cJSON *arr)
{
    jframe *f, *saved = r->frame;
    jloop loop = {0, 0, NULL};
    jv lv;
    int rc = 0;

    for (const cJSON *c = arr->child; c; c = c->next)
        loop.length++;
    if (!loop.length)
        return exec_else(r, n);
    if (!(f = frame_new(r, saved)))
        return jn_oom(r, n);
    memset(&lv, 0, sizeof(lv));
    lv.t = JV_LOOP;
    lv.u.loop = &loop;
    r->frame = f;
    if (frame_set(r, f, n->targets->name, jv_none()) || frame_set(r, f, r->t->s_loop, lv)) {
        rc = jn_oom(r, n);
        goto out;
    }
    for (const cJSON *c = arr->child; c; c = c->next, loop.index0++) {
        /* each iteration starts from the target and loop alone (Jinja2:
         * what the body sets does not carry over) */
        f->n = 2;
        if (f->v[0].name == n->targets->name && f->v[1].name == r->t->s_loop) {
            f->v[0].v = jv_from_json(r, c);
            f->v[1].v = lv;
        } else if ((rc = set_local(r, n, n->targets->name, jv_from_json(r, c))) ||
                   (rc = set_local(r, n, r->t->s_loop, lv))) {
            goto out;
        }
        if ((rc = exec_body(r, n->b)))
            goto out;
    }
out:
    r->frame = saved;
    return rc;
}

static int exec_for(jn_render *r, const jnode *n)
{
    jv it;
    jlist *items = NULL, *keys = NULL;
    jframe *f, *saved = r->frame;
    jloop loop = {0, 0, NULL};
    jv lv;
    int rc = 0, objpairs = 0;

    if ((rc = eval(r, n->a, &it)))
        return rc;
    if (r->nunjucks) {
        if (!jv_truthy(r, &it) && !(jv_is_seq(&it) || jv_is_map(&it))) {
            items = NULL;
        } else if (jv_is_map(&it)) {
            if (n->targets->next) {
                objpairs = 1;
                size_t m = jv_map_n(&it);
                if (!(items = jl_new(r, m)) || !(keys = jl_new(r, m)))
                    return jn_oom(r, n);
                for (size_t i = 0; i < m; i++)
                    jv_map_at(r, &it, i, &keys->v[keys->n++], &items->v[items->n++]);
            }
        } else if (jv_is_seq(&it) || it.t == JV_STR) {
            if ((rc = jv_to_list(r, n->a, &it, &items)))
                return rc;
        }
    } else {
        if (it.t == JV_UNDEF)
            return jn_undef_fail(r, &it);
        if (it.t == JV_JSON && (it.u.j->type & 0xff) == cJSON_Array && !n->d &&
            !n->targets->next && n->targets->name != r->t->s_loop)
            return for_json(r, n, it.u.j);
        if ((rc = jv_to_list(r, n->a, &it, &items)))
            return rc;
    }
    if (!(f = frame_new(r, saved)))
        return jn_oom(r, n);
    r->frame = f;
    if (n->d && items) {
        /* Jinja2 loop filter: keep the items whose condition holds */
        jlist *kept = jl_new(r, items->n);
        if (!kept)
            return jn_oom(r, n);
        for (size_t i = 0; i < items->n; i++) {
            jv c;
            if ((rc = unpack(r, n, n->targets, &items->v[i], set_local)) ||
                (rc = eval_def(r, n->d, &c)))
                goto out;
            if (jv_truthy(r, &c))
                kept->v[kept->n++] = items->v[i];
        }
        items = kept;
    }
    loop.length = items ? items->n : 0;
    memset(&lv, 0, sizeof(lv));
    lv.t = JV_LOOP;
    lv.u.loop = &loop;
    for (size_t i = 0; items && i < items->n; i++) {
        loop.index0 = i;
        if (!r->nunjucks)
            f->n = 0; /* Jinja2: an iteration's sets do not carry over */
        if (objpairs) {
            if ((rc = set_local(r, n, n->targets->name, keys->v[i])) ||
                (rc = set_local(r, n, n->targets->next->name, items->v[i])))
                goto out;
        } else if ((rc = unpack(r, n, n->targets, &items->v[i], set_local))) {
            goto out;
        }
        if ((rc = set_local(r, n, r->t->s_loop, lv)) || (rc = exec_body(r, n->b)))
            goto out;
    }
    if ((!items || !items->n) && n->c) {
        r->frame = saved;
        rc = exec_else(r, n);
    }
out:
    r->frame = saved;
    return rc;
}

/* Run body into a string (arena); in Jinja2 in a frame of its own. */
static int capture(jn_render *r, const jnode *site, const jnode *body, jv *out)
{
    sl_buf *saved = r->out, buf = SL_BUF_INIT;
    jframe *saved_frame = r->frame;
    int rc;
    char *s;

    if (!r->nunjucks && !(r->frame = frame_new(r, saved_frame))) {
        r->frame = saved_frame;
        return jn_oom(r, site);
    }
    r->out = &buf;
    rc = exec_body(r, body);
    r->out = saved;
    r->frame = saved_frame;
    if (!rc) {
        if (!(s = jn_strndup(r->ar, buf.ptr ? buf.ptr : "", buf.len)))
            rc = jn_oom(r, site);
        else
            *out = jv_str(s, buf.len);
    }
    sl_buf_free(&buf);
    return rc;
}

static int filter_chain(jn_render *r, const jnode *chain, jv *v)
{
    int rc;

    if (!chain)
        return 0;
    if ((rc = filter_chain(r, chain->a, v)))
        return rc;
    return apply_filter(r, chain, v, v);
}

static int nj_assign(jn_render *r, const jnode *site, const char *name, jv v)
{
    return assign(r, site, name, v);
}

/* Append to the output (render_with() terminates it). */
static inline int out_put(jn_render *r, const jnode *n, const char *s, size_t len)
{
    return buf_put(r->out, s, len) ? jn_oom(r, n) : 0;
}

static int exec_node(jn_render *r, const jnode *n)
{
    jv v;
    int rc;

    switch (n->kind) {
    case N_TEXT:
        return out_put(r, n, n->name, n->nlen);
    case N_OUTPUT:
        if ((rc = eval(r, n->a, &v)))
            return rc;
        if (v.t == JV_STR)
            return out_put(r, n, v.u.s, v.n);
        return jv_print(r, n, &v, r->out);
    case N_IF:
        for (const jnode *b = n; b; b = b->c) {
            if (b->kind != N_IF)
                return exec_body(r, b);
            if ((rc = eval_def(r, b->a, &v)))
                return rc;
            if (jv_truthy(r, &v))
                return exec_body(r, b->b);
        }
        return 0;
    case N_FOR:
        return exec_for(r, n);
    case N_SET:
        if ((rc = eval(r, n->a, &v)))
            return rc;
        if (r->nunjucks) {
            /* nunjucks: `set a, b = v` gives every name the value */
            for (const jnode *t = n->targets; t; t = t->next)
                if ((rc = assign(r, n, t->name, v)))
                    return rc;
            return 0;
        }
        return unpack(r, n, n->targets, &v, r->nunjucks ? nj_assign : set_local);
    case N_SETATTR: {
        jv ns, val;
        if ((rc = eval(r, n->a, &ns)))
            return rc;
        if (ns.t != JV_DICT || !(ns.ns & 1))
            return jn_fail(r, n, SL_EINVAL,
                           "cannot assign attribute on non-namespace object '%s'", n->a->name);
        if ((rc = eval(r, n->b, &val)))
            return rc;
        return jd_set(r, ns.u.d, jv_str(n->name, strlen(n->name)), val) ? jn_oom(r, n) : 0;
    }
    case N_SETBLOCK:
        if ((rc = capture(r, n, n->b, &v)) || (rc = filter_chain(r, n->d, &v)))
            return rc;
        return unpack(r, n, n->targets, &v, r->nunjucks ? nj_assign : set_local);
    case N_MACRO: {
        jmacro *m = jn_alloc(r->ar, sizeof(*m));
        if (!m)
            return jn_oom(r, n);
        memset(m, 0, sizeof(*m));
        m->def = n;
        m->scope = r->frame;
        memset(&v, 0, sizeof(v));
        v.t = JV_MACRO;
        v.u.m = m;
        return frame_set(r, r->frame, n->name, v) ? jn_oom(r, n) : 0;
    }
    case N_CALLBLOCK: {
        jmacro *m = jn_alloc(r->ar, sizeof(*m));
        if (!m)
            return jn_oom(r, n);
        memset(m, 0, sizeof(*m));
        m->def = n;
        m->scope = r->frame;
        if ((rc = call_expr(r, n->a, m, &v)))
            return rc;
        return jv_print(r, n, &v, r->out);
    }
    case N_FILTERBLOCK:
        if ((rc = capture(r, n, n->b, &v)) || (rc = filter_chain(r, n->d, &v)))
            return rc;
        return jv_print(r, n, &v, r->out);
    case N_WITH: {
        /* the values first, in the enclosing scope; then the body in a
         * frame of its own holding the targets */
        const jnode *t, *x;
        jframe *f, *saved = r->frame;
        size_t cnt = 0, i = 0;
        jv *vals;
        for (x = n->args; x; x = x->next)
            cnt++;
        if (!(vals = jn_alloc(r->ar, (cnt + 1) * sizeof(*vals))))
            return jn_oom(r, n);
        for (x = n->args; x; x = x->next)
            if ((rc = eval(r, x, &vals[i++])))
                return rc;
        if (!(f = frame_new(r, saved)))
            return jn_oom(r, n);
        r->frame = f;
        for (t = n->targets, i = 0; t; t = t->next, i++)
            if ((rc = set_local(r, n, t->name, vals[i])))
                goto with_out;
        rc = exec_body(r, n->b);
    with_out:
        r->frame = saved;
        return rc;
    }
    default:
        return jn_fail(r, n, SL_EINVAL, "not a statement");
    }
}

static int exec_body(jn_render *r, const jnode *n)
{
    int rc;

    for (; n; n = n->next) {
        /* text and string output inline: exec_node() has a large frame */
        if (n->kind == N_TEXT) {
            rc = out_put(r, n, n->name, n->nlen);
        } else if (n->kind == N_OUTPUT) {
            jv v;
            if (!(rc = eval_fast(r, n->a, &v)))
                rc = v.t == JV_STR ? out_put(r, n, v.u.s, v.n) : jv_print(r, n, &v, r->out);
        } else {
            rc = exec_node(r, n);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* ----------------------------------------------------------------- public */

static int render_with(const sl_jinja *t, const sl_jinja_ctx *kx, sl_buf *out, sl_error *err,
                       jv *value_out, jn_arena *ar)
{
    jn_render r;
    int rc;

    memset(&r, 0, sizeof(r));
    r.t = t;
    r.ctx = kx->root;
    r.kx = kx;
    r.ar = ar;
    r.out = out;
    r.err = err;
    r.nunjucks = t->nunjucks;
    if (!(r.frame = frame_new(&r, NULL)))
        return jn_oom(&r, NULL);
    if (value_out) {
        /* a lone ${{ expr }}: its value */
        rc = eval(&r, t->body->a, value_out);
        if (!rc && value_out->t == JV_UNDEF)
            rc = jv_print(&r, t->body, value_out, out);
        if (!rc) {
            cJSON *j = jv_to_cjson(&r, value_out);
            if (!j)
                return jn_oom(&r, NULL);
            value_out->t = JV_JSON;
            value_out->u.j = j;
        }
        return rc;
    }
    rc = exec_body(&r, t->body);
    if (out->ptr)
        out->ptr[out->len] = 0; /* out_put() leaves the NUL out */
    return rc;
}

int sl_jinja_render_ctx(const sl_jinja *t, const sl_jinja_ctx *kx, sl_buf *out, sl_error *err)
{
    jn_arena ar;
    int rc;

    memset(&ar, 0, sizeof(ar));
    ar.max = (size_t)256 << 20;
    rc = render_with(t, kx, out, err, NULL, &ar);
    jn_arena_free(&ar);
    return rc;
}

int sl_jinja_render(const sl_jinja *t, const cJSON *ctx, sl_buf *out, sl_error *err)
{
    sl_jinja_ctx *kx = NULL;
    int rc;

    if ((rc = sl_jinja_ctx_new(ctx, &kx, err)))
        return rc;
    rc = sl_jinja_render_ctx(t, kx, out, err);
    sl_jinja_ctx_free(kx);
    return rc;
}

/* Render many times with one arena and one prepared context (benchmarks,
 * scaffolding many files). */
int sl_jinja_render_n(const sl_jinja *t, const cJSON *ctx, sl_buf *out, size_t times,
                      sl_error *err)
{
    sl_jinja_ctx *kx = NULL;
    jn_arena ar;
    int rc;

    memset(&ar, 0, sizeof(ar));
    ar.max = (size_t)256 << 20;
    if ((rc = sl_jinja_ctx_new(ctx, &kx, err)))
        return rc;
    for (size_t i = 0; i < times && !rc; i++) {
        sl_buf_reset(out);
        rc = render_with(t, kx, out, err, NULL, &ar);
        jn_arena_reset(&ar);
    }
    jn_arena_free(&ar);
    sl_jinja_ctx_free(kx);
    return rc;
}

int sl_jinja_eval_value(const char *src, size_t len, const sl_jinja_opts *o, const cJSON *ctx,
                        cJSON **out, sl_error *err)
{
    sl_jinja *t = NULL;
    sl_buf b = SL_BUF_INIT;
    jn_arena ar;
    int rc;

    *out = NULL;
    memset(&ar, 0, sizeof(ar));
    ar.max = (size_t)256 << 20;
    if ((rc = sl_jinja_parse(src, len, o, &t, err)))
        goto out;
    {
        /* exactly one ${{ expr }} and nothing else (Backstage's
         * isSingleTemplateString): the value keeps its type */
        const jnode *lone = t->body;
        if (lone && !lone->next && lone->kind == N_OUTPUT) {
            sl_jinja_ctx *kx = NULL;
            jv v;
            if (!(rc = sl_jinja_ctx_new(ctx, &kx, err)))
                rc = render_with(t, kx, &b, err, &v, &ar);
            sl_jinja_ctx_free(kx);
            if (!rc)
                *out = (cJSON *)v.u.j;
            goto out;
        }
    }
    if ((rc = sl_jinja_render(t, ctx, &b, err)))
        goto out;
    if (!(*out = cJSON_CreateString(b.ptr ? b.ptr : "")))
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
    jn_arena_free(&ar);
    sl_buf_free(&b);
    sl_jinja_free(t);
    return rc;
}

double jn_js_number(jn_render *r, const jv *v)
{
    return js_number(r, v);
}
