/* jinja_filters.c: the filters, tests, methods and global functions of the
 * template engine, each marked with the dialects (Jinja2 + cookiecutter,
 * Nunjucks + Backstage) that have it. Semantics follow each engine's own
 * implementation; where they differ the function branches on r->nunjucks. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja_int.h"

#define FARGS                                                                                      \
    jn_render *r, const jnode *site, const jv *v, int argc, const jv *argv, int kwc,               \
        const char *const *kwn, const jv *kwv, jv *out

/* Argument i (positional) or by keyword name; NULL when not given. */
static const jv *arg(int i, const char *name, int argc, const jv *argv, int kwc,
                     const char *const *kwn, const jv *kwv)
{
    if (i < argc)
        return &argv[i];
    for (int k = 0; name && k < kwc; k++)
        if (!strcmp(kwn[k], name))
            return &kwv[k];
    return NULL;
}
#define ARG(i, name) arg((i), (name), argc, argv, kwc, kwn, kwv)

static int truthy_arg(jn_render *r, const jv *a)
{
    return a && jv_truthy(r, a);
}

static int str_result(jn_render *r, const jnode *site, sl_buf *b, jv *out)
{
    char *s = jn_strndup(r->ar, b->ptr ? b->ptr : "", b->len);
    size_t n = b->len;
    sl_buf_free(b);
    if (!s)
        return jn_oom(r, site);
    *out = jv_str(s, n);
    return 0;
}

/* The input as a string: Jinja2 str(); Nunjucks normalize(v, '') (undefined,
 * null and false become ""). */
static int in_str(jn_render *r, const jnode *site, const jv *v, jv *s)
{
    if (r->nunjucks && (v->t == JV_UNDEF || v->t == JV_NONE || (v->t == JV_BOOL && !v->u.b))) {
        *s = jv_str("", 0);
        return 0;
    }
    return jv_tostr(r, site, v, s);
}

/* Nunjucks string filters call String.prototype methods: other types fail. */
static int nj_need_str(jn_render *r, const jnode *site, const jv *v, const char *what)
{
    if (r->nunjucks && v->t != JV_STR && v->t != JV_UNDEF && v->t != JV_NONE &&
        !(v->t == JV_BOOL && !v->u.b))
        return jn_fail(r, site, SL_EINVAL, "%s: expected a string, got %s", what,
                       jv_typename(r, v));
    return 0;
}

static int f_default(FARGS)
{
    const jv *d = ARG(0, r->nunjucks ? NULL : "default_value");
    const jv *b = ARG(1, r->nunjucks ? NULL : "boolean");
    jv empty = jv_str("", 0);
    int use;

    if (!d)
        d = r->nunjucks ? NULL : &empty;
    if (truthy_arg(r, b))
        use = !jv_truthy(r, v);
    else
        use = v->t == JV_UNDEF;
    if (use) {
        if (d)
            *out = *d;
        else
            memset(out, 0, sizeof(*out)); /* undefined */
        if (!d)
            out->u.node = site;
    } else {
        *out = *v;
    }
    return 0;
}

/* Simple case mapping of one code point (ASCII, Latin-1, Latin
 * Extended-A, Greek, Cyrillic; others unchanged), as Python's and
 * JavaScript's upper()/lower() do for these ranges. */
static unsigned cp_case(unsigned c, int up)
{
    if (c < 0x80)
        return up ? (unsigned)toupper((int)c) : (unsigned)tolower((int)c);
    if (up) {
        if ((c >= 0xe0 && c <= 0xfe && c != 0xf7) || (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) ||
            (c >= 0x430 && c <= 0x44f))
            return c - 0x20;
        if (c == 0x3c2)
            return 0x3a3;
        if (c >= 0x450 && c <= 0x45f)
            return c - 0x50;
        if (c == 0xff)
            return 0x178;
        if (((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) && (c & 1))
            return c - 1;
        if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) && !(c & 1))
            return c - 1;
        return c;
    }
    if ((c >= 0xc0 && c <= 0xde && c != 0xd7) || (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) ||
        (c >= 0x410 && c <= 0x42f))
        return c + 0x20;
    if (c >= 0x400 && c <= 0x40f)
        return c + 0x50;
    if (c == 0x178)
        return 0xff;
    if (((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) && !(c & 1))
        return c + 1;
    if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) && (c & 1))
        return c + 1;
    return c;
}

static int put_cp(sl_buf *b, unsigned c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xc0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3f));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xe0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        u[2] = (char)(0x80 | (c & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        u[3] = (char)(0x80 | (c & 0x3f));
        n = 4;
    }
    return sl_buf_put(b, u, n);
}

/* Append the code point at s[*i] case-mapped; advances *i. */
static int put_case(sl_buf *b, const char *s, size_t n, size_t *i, int up)
{
    unsigned char c = (unsigned char)s[*i];
    unsigned cp;
    int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    size_t st = *i;

    if (c < 0x80) {
        (*i)++;
        return sl_buf_putc(b, (char)(up ? toupper(c) : tolower(c)));
    }
    cp = c & (0x3f >> extra);
    for (int k = 0; k < extra && *i + 1 < n; k++)
        cp = (cp << 6) | ((unsigned char)s[++*i] & 0x3f);
    (*i)++;
    if (!extra)
        return sl_buf_put(b, s + st, *i - st);
    if (up && cp == 0xdf)
        return sl_buf_puts(b, "SS");
    return put_cp(b, cp_case(cp, up));
}

static int map_case(FARGS, int up)
{
    jv s;
    sl_buf b = SL_BUF_INIT;
    int rc;

    if ((rc = nj_need_str(r, site, v, up ? "upper" : "lower")) || (rc = in_str(r, site, v, &s)))
        return rc;
    {
        /* ASCII (the usual case): map into the arena directly */
        size_t i;
        char *d;
        unsigned char lo = up ? 'a' : 'A', hi = up ? 'z' : 'Z';
        const uint64_t ones = 0x0101010101010101ull, highs = ones * 0x80;
        if (!(d = jn_alloc(r->ar, s.n + 1)))
            return jn_oom(r, site);
        for (i = 0; i + 8 <= s.n; i += 8) {
            /* eight ASCII bytes at once: the high bit of (x + 0x80 - lo)
             * marks bytes >= lo, of (x + 0x7f - hi) bytes > hi (no carry
             * crosses a byte while every byte is below 0x80) */
            uint64_t x, m;
            memcpy(&x, s.u.s + i, 8);
            if (x & highs)
                break;
            m = (x + ones * (uint64_t)(0x80 - lo)) & ~(x + ones * (uint64_t)(0x7f - hi)) & highs;
            x ^= m >> 2;
            memcpy(d + i, &x, 8);
        }
        for (; i < s.n; i++) {
            unsigned char c = (unsigned char)s.u.s[i];
            if (c & 0x80)
                break; /* not ASCII: the general path below */
            d[i] = (char)(c >= lo && c <= hi ? c ^ 0x20 : c);
        }
        if (i == s.n) {
            d[s.n] = 0;
            *out = jv_str(d, s.n);
            return 0;
        }
    }
    for (size_t i = 0; i < s.n;)
        if (put_case(&b, s.u.s, s.n, &i, up)) {
            sl_buf_free(&b);
            return jn_oom(r, site);
        }
    return str_result(r, site, &b, out);
}

static int f_lower(FARGS)
{
    return map_case(r, site, v, argc, argv, kwc, kwn, kwv, out, 0);
}

static int f_upper(FARGS)
{
    return map_case(r, site, v, argc, argv, kwc, kwn, kwv, out, 1);
}

/* First code point upper, the rest lower, of s[st..e). */
static int cap_word(sl_buf *b, const char *s, size_t st, size_t e)
{
    for (size_t i = st; i < e;)
        if (put_case(b, s, e, &i, i == st))
            return SL_ENOMEM;
    return 0;
}

static int f_capitalize(FARGS)
{
    jv s;
    sl_buf b = SL_BUF_INIT;
    int rc;

    if ((rc = nj_need_str(r, site, v, "capitalize")) || (rc = in_str(r, site, v, &s)))
        return rc;
    if (cap_word(&b, s.u.s, 0, s.n)) {
        sl_buf_free(&b);
        return jn_oom(r, site);
    }
    return str_result(r, site, &b, out);
}

static int f_title(FARGS)
{
    jv s;
    sl_buf b = SL_BUF_INIT;
    int rc;
    const char *sep = r->nunjucks ? " " : " \t\n\r\f\v-({[<";

    if ((rc = nj_need_str(r, site, v, "title")) || (rc = in_str(r, site, v, &s)))
        return rc;
    {
        /* ASCII (the usual case): map into the arena directly, same rules */
        size_t i;
        char *d;
        int start = 1;
        for (i = 0; i < s.n && !((unsigned char)s.u.s[i] & 0x80); i++)
            ;
        if (i == s.n) {
            if (!(d = jn_alloc(r->ar, s.n + 1)))
                return jn_oom(r, site);
            for (i = 0; i < s.n; i++) {
                char c = s.u.s[i];
                if (c == 0 || c == ' ' ||
                    (!r->nunjucks && ((c >= '\t' && c <= '\r') || c == '-' || c == '(' ||
                                      c == '{' || c == '[' || c == '<'))) {
                    /* a separator (as strchr(sep, c) below: NUL counts) */
                    d[i] = c;
                    start = 1;
                    continue;
                }
                d[i] = start ? (c >= 'a' && c <= 'z' ? (char)(c - 32) : c)
                             : (c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
                start = 0;
            }
            d[s.n] = 0;
            *out = jv_str(d, s.n);
            return 0;
        }
    }
    /* Jinja2: words start after whitespace, '-', '(', '{', '[' or '<';
     * Nunjucks: after spaces */
    for (size_t i = 0; i < s.n;) {
        size_t j = i;
        while (j < s.n && !strchr(sep, s.u.s[j]))
            j++;
        if (cap_word(&b, s.u.s, i, j)) {
            sl_buf_free(&b);
            return jn_oom(r, site);
        }
        i = j;
        while (i < s.n && strchr(sep, s.u.s[i]))
            if (sl_buf_putc(&b, s.u.s[i++])) {
                sl_buf_free(&b);
                return jn_oom(r, site);
            }
    }
    return str_result(r, site, &b, out);
}

/* memmem, with memchr for the usual one-byte needle. */
static inline const char *find_sub(const char *p, size_t n, const char *s, size_t sn)
{
    return sn == 1 ? memchr(p, s[0], n) : memmem(p, n, s, sn);
}

static int f_replace(FARGS)
{
    const jv *o = ARG(0, "old"), *nw = ARG(1, "new"), *cnt = ARG(2, "count");
    jv s, os, ns;
    sl_buf b = SL_BUF_INIT;
    long max = -1, done = 0;
    int rc;

    if (!o || !nw)
        return jn_fail(r, site, SL_EINVAL, "replace needs the old and new strings");
    if (r->nunjucks) {
        if (v->t == JV_FLOAT) {
            if ((rc = jv_tostr(r, site, v, &s)))
                return rc;
        } else if (v->t != JV_STR) {
            *out = *v;
            return 0;
        } else {
            s = *v;
        }
        if (o->t == JV_FLOAT) {
            if ((rc = jv_tostr(r, site, o, &os)))
                return rc;
        } else if (o->t != JV_STR) {
            *out = s;
            return 0;
        } else {
            os = *o;
        }
    } else {
        if ((rc = jv_tostr(r, site, v, &s)) || (rc = jv_tostr(r, site, o, &os)))
            return rc;
    }
    if ((rc = jv_tostr(r, site, nw, &ns)))
        return rc;
    if (cnt && cnt->t != JV_NONE && cnt->t != JV_UNDEF) {
        double d;
        if (!jv_num(cnt, &d))
            return jn_fail(r, site, SL_EINVAL, "replace count must be a number");
        max = (long)d;
    }
    if (os.n == 0) {
        /* insert between every character */
        size_t n = jv_len(&s);
        for (size_t i = 0; i <= n; i++) {
            if ((max < 0 || done < max) && sl_buf_put(&b, ns.u.s, ns.n))
                return jn_oom(r, site);
            done++;
            if (i < n) {
                jv c = jv_index(r, &s, i);
                if (sl_buf_put(&b, c.u.s, c.n))
                    return jn_oom(r, site);
            }
        }
        return str_result(r, site, &b, out);
    }
    {
        /* Build in the arena: count the replacements, then fill. No match
         * (the usual case) gives the input back. */
        const char *p = s.u.s, *e = s.u.s + s.n, *m;
        size_t nrep = 0, len;
        char *d, *w;
        while (p < e && (max < 0 || (long)nrep < max) &&
               (m = find_sub(p, (size_t)(e - p), os.u.s, os.n))) {
            nrep++;
            p = m + os.n;
        }
        if (!nrep) {
            *out = s;
            return 0;
        }
        len = s.n - nrep * os.n + nrep * ns.n;
        if (!(d = jn_alloc(r->ar, len + 1)))
            return jn_oom(r, site);
        w = d;
        p = s.u.s;
        for (size_t k = 0; k < nrep; k++) {
            m = find_sub(p, (size_t)(e - p), os.u.s, os.n);
            memcpy(w, p, (size_t)(m - p));
            w += m - p;
            memcpy(w, ns.u.s, ns.n);
            w += ns.n;
            p = m + os.n;
        }
        memcpy(w, p, (size_t)(e - p));
        w += e - p;
        *w = 0;
        *out = jv_str(d, len);
        return 0;
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int f_trim(FARGS)
{
    jv s;
    const jv *chars = ARG(0, "chars");
    int rc;

    if ((rc = nj_need_str(r, site, v, "trim")) || (rc = in_str(r, site, v, &s)))
        return rc;
    if (!r->nunjucks && chars && chars->t == JV_STR) {
        while (s.n && memchr(chars->u.s, s.u.s[0], chars->n))
            s.u.s++, s.n--;
        while (s.n && memchr(chars->u.s, s.u.s[s.n - 1], chars->n))
            s.n--;
    } else {
        while (s.n && is_space(s.u.s[0]))
            s.u.s++, s.n--;
        while (s.n && is_space(s.u.s[s.n - 1]))
            s.n--;
    }
    *out = s;
    return 0;
}

/* item[attr] for join/sort/unique attribute= (dotted paths in Jinja2). */
static int attr_of(jn_render *r, const jnode *site, const jv *item, const jv *attr, jv *out)
{
    jv cur = *item;
    const char *p, *e;
    jv key;

    if (attr->t != JV_STR) {
        double d;
        if (jv_num(attr, &d) && jv_is_seq(&cur) && d >= 0 && d < jv_len(&cur)) {
            *out = jv_index(r, &cur, (size_t)d);
            return 0;
        }
        memset(out, 0, sizeof(*out));
        out->u.node = site;
        return 0;
    }
    p = attr->u.s;
    e = p + attr->n;
    while (p <= e) {
        const char *dot = r->nunjucks ? NULL : memchr(p, '.', (size_t)(e - p));
        size_t n = dot ? (size_t)(dot - p) : (size_t)(e - p);
        int found = 0;
        key = jv_str(p, n);
        if (jv_is_map(&cur))
            found = jv_getkey(r, &cur, key.u.s, key.n, &cur);
        else if (jv_is_seq(&cur)) {
            char buf[32];
            char *end;
            long idx;
            snprintf(buf, sizeof(buf), "%.*s", (int)(n < 31 ? n : 31), p);
            idx = strtol(buf, &end, 10);
            if (!*end && n && idx >= 0 && idx < jv_len(&cur)) {
                cur = jv_index(r, &cur, (size_t)idx);
                found = 1;
            }
        }
        if (!found) {
            memset(out, 0, sizeof(*out));
            out->u.node = site;
            return 0;
        }
        if (!dot)
            break;
        p = dot + 1;
    }
    *out = cur;
    return 0;
}

static int f_join(FARGS)
{
    const jv *d = ARG(0, "d"), *attr = ARG(1, "attribute");
    jv sep = jv_str(r->nunjucks ? "," : "", r->nunjucks ? 1 : 0);
    jlist *l;
    sl_buf b = SL_BUF_INIT;
    int rc;

    if (d && !(r->nunjucks && !jv_truthy(r, d)) && (rc = jv_tostr(r, site, d, &sep)))
        return rc;
    if (r->nunjucks && d && !jv_truthy(r, d))
        sep = jv_str("", 0);
    if (r->nunjucks && !d)
        sep = jv_str("", 0);
    if (r->nunjucks && !jv_is_seq(v))
        return jn_fail(r, site, SL_EINVAL, "join: expected an array, got %s", jv_typename(r, v));
    if ((rc = jv_to_list(r, site, v, &l)))
        return rc;
    for (size_t i = 0; i < l->n; i++) {
        jv x = l->v[i], s;
        if (attr && (!r->nunjucks || jv_truthy(r, attr)) && (rc = attr_of(r, site, &x, attr, &x)))
            goto fail;
        if (i && sl_buf_put(&b, sep.u.s, sep.n))
            goto oom;
        if (r->nunjucks && (x.t == JV_UNDEF || x.t == JV_NONE))
            continue;
        if ((rc = jv_tostr(r, site, &x, &s)))
            goto fail;
        if (sl_buf_put(&b, s.u.s, s.n))
            goto oom;
    }
    return str_result(r, site, &b, out);
oom:
    rc = jn_oom(r, site);
fail:
    sl_buf_free(&b);
    return rc;
}

static int f_split(FARGS)
{
    const jv *sepv = ARG(0, "sep"), *maxv = ARG(1, "maxsplit");
    jv s, sep;
    jlist *l = jl_new(r, 4);
    long max = -1;
    int rc;

    if (!l)
        return jn_oom(r, site);
    if ((rc = nj_need_str(r, site, v, "split")) || (rc = in_str(r, site, v, &s)))
        return rc;
    if (maxv) {
        double d;
        if (jv_num(maxv, &d))
            max = (long)d;
    }
    if (!sepv || sepv->t == JV_NONE || sepv->t == JV_UNDEF) {
        if (r->nunjucks) {
            /* JavaScript: str.split(undefined) is [str] */
            if (jl_push(r, l, s))
                return jn_oom(r, site);
            goto done;
        }
        /* Python: runs of whitespace, no empty strings */
        size_t i = 0;
        long cnt = 0;
        while (i < s.n) {
            size_t j;
            while (i < s.n && is_space(s.u.s[i]))
                i++;
            if (i >= s.n)
                break;
            if (max >= 0 && cnt >= max) {
                size_t e = s.n;
                while (e > i && is_space(s.u.s[e - 1]))
                    e--;
                if (jl_push(r, l, jv_str(s.u.s + i, e - i)))
                    return jn_oom(r, site);
                break;
            }
            j = i;
            while (j < s.n && !is_space(s.u.s[j]))
                j++;
            if (jl_push(r, l, jv_str(s.u.s + i, j - i)))
                return jn_oom(r, site);
            cnt++;
            i = j;
        }
        goto done;
    }
    if ((rc = jv_tostr(r, site, sepv, &sep)))
        return rc;
    if (sep.n == 0) {
        if (!r->nunjucks)
            return jn_fail(r, site, SL_EINVAL, "empty separator");
        for (long i = 0; i < jv_len(&s); i++)
            if (jl_push(r, l, jv_index(r, &s, (size_t)i)))
                return jn_oom(r, site);
        goto done;
    }
    {
        const char *p = s.u.s, *e = s.u.s + s.n;
        long cnt = 0;
        for (;;) {
            const char *m = (max < 0 || cnt < max || r->nunjucks) ? memmem(p, (size_t)(e - p), sep.u.s, sep.n) : NULL;
            if (!m) {
                if (jl_push(r, l, jv_str(p, (size_t)(e - p))))
                    return jn_oom(r, site);
                break;
            }
            if (jl_push(r, l, jv_str(p, (size_t)(m - p))))
                return jn_oom(r, site);
            cnt++;
            p = m + sep.n;
        }
        if (r->nunjucks && max >= 0 && (long)l->n > max)
            l->n = (size_t)max;
    }
done:
    *out = jv_list_of(l, 0);
    return 0;
}

static int f_length(FARGS)
{
    long n;

    if (r->nunjucks) {
        if (v->t == JV_UNDEF || v->t == JV_NONE || (v->t == JV_BOOL && !v->u.b)) {
            *out = jv_int(r, 0);
            return 0;
        }
        if (jv_is_map(v)) {
            *out = jv_int(r, (int64_t)jv_map_n(v));
            return 0;
        }
        n = jv_len(v);
        if (n < 0) {
            memset(out, 0, sizeof(*out));
            out->u.node = site;
            return 0;
        }
        *out = jv_int(r, n);
        return 0;
    }
    n = v->t == JV_LIST && (v->ns & JN_GEN) ? -1 : jv_len(v);
    if (n < 0)
        return jn_fail(r, site, SL_EINVAL, "object of type '%s' has no len()", jv_typename(r, v));
    *out = jv_int(r, n);
    return 0;
}

static int f_first(FARGS)
{
    long n = jv_len(v);

    if (!r->nunjucks && jv_is_map(v)) {
        jv k, x;
        if (!jv_map_n(v))
            goto none;
        jv_map_at(r, v, 0, &k, &x);
        *out = k;
        return 0;
    }
    if (n < 0 && !r->nunjucks)
        return jn_fail(r, site, SL_EINVAL, "'%s' object is not iterable", jv_typename(r, v));
    if (n <= 0)
        goto none;
    *out = jv_index(r, v, 0);
    return 0;
none:
    memset(out, 0, sizeof(*out));
    out->u.node = site;
    return 0;
}

static int f_last(FARGS)
{
    long n = jv_len(v);

    if (!r->nunjucks && jv_is_map(v))
        return jn_fail(r, site, SL_EINVAL, "'dict' object is not reversible");
    if (v->t == JV_LIST && (v->ns & JN_GEN))
        return jn_fail(r, site, SL_EINVAL, "'generator' object is not reversible");
    if (n < 0 && !r->nunjucks)
        return jn_fail(r, site, SL_EINVAL, "'%s' object is not reversible", jv_typename(r, v));
    if (n <= 0) {
        memset(out, 0, sizeof(*out));
        out->u.node = site;
        return 0;
    }
    *out = jv_index(r, v, (size_t)n - 1);
    return 0;
}

typedef struct sortctx {
    jn_render *r;
    int reverse, casefold, bad;
} sortctx;

typedef struct sortitem {
    jv key, val;
} sortitem;

static void merge_sort(sortitem *a, sortitem *tmp, size_t n, sortctx *c)
{
    size_t m, i, j, k;

    if (n < 2)
        return;
    m = n / 2;
    merge_sort(a, tmp, m, c);
    merge_sort(a + m, tmp, n - m, c);
    for (i = 0, j = m, k = 0; i < m && j < n;) {
        int cmp = jv_cmp(c->r, &a[j].key, &a[i].key, c->casefold, &c->bad);
        if (c->reverse)
            cmp = -cmp;
        tmp[k++] = cmp < 0 ? a[j++] : a[i++];
    }
    while (i < m)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof(*a));
}

static int f_sort(FARGS)
{
    const jv *rev = ARG(0, "reverse"), *cs = ARG(1, "case_sensitive"), *attr = ARG(2, "attribute");
    jlist *l, *res;
    sortitem *items, *tmp;
    sortctx c = {r, truthy_arg(r, rev), !truthy_arg(r, cs), 0};
    int rc;

    if (r->nunjucks && !jv_is_seq(v)) {
        /* lib.map() of a non-array is [] */
        if (!(res = jl_new(r, 1)))
            return jn_oom(r, site);
        *out = jv_list_of(res, 0);
        return 0;
    }
    if ((rc = jv_to_list(r, site, v, &l)))
        return rc;
    items = jn_alloc(r->ar, (l->n + 1) * sizeof(*items));
    tmp = jn_alloc(r->ar, (l->n + 1) * sizeof(*items));
    if (!items || !tmp || !(res = jl_new(r, l->n)))
        return jn_oom(r, site);
    for (size_t i = 0; i < l->n; i++) {
        items[i].val = l->v[i];
        items[i].key = l->v[i];
        if (attr && (!r->nunjucks || jv_truthy(r, attr)) &&
            (rc = attr_of(r, site, &l->v[i], attr, &items[i].key)))
            return rc;
        if (!r->nunjucks && items[i].key.t == JV_UNDEF)
            return jn_undef_fail(r, &items[i].key);
    }
    merge_sort(items, tmp, l->n, &c);
    if (c.bad)
        return jn_fail(r, site, SL_EINVAL, "sort: values of different types cannot be compared");
    for (size_t i = 0; i < l->n; i++)
        res->v[res->n++] = items[i].val;
    *out = jv_list_of(res, 0);
    return 0;
}

static int f_unique(FARGS)
{
    const jv *cs = ARG(0, "case_sensitive"), *attr = ARG(1, "attribute");
    jlist *l, *res, *keys;
    int fold = !truthy_arg(r, cs), rc;

    if ((rc = jv_to_list(r, site, v, &l)))
        return rc;
    if (!(res = jl_new(r, l->n)) || !(keys = jl_new(r, l->n)))
        return jn_oom(r, site);
    for (size_t i = 0; i < l->n; i++) {
        jv k = l->v[i];
        int dup = 0;
        if (attr && (rc = attr_of(r, site, &l->v[i], attr, &k)))
            return rc;
        if (fold && k.t == JV_STR) {
            char *s = jn_strndup(r->ar, k.u.s, k.n);
            if (!s)
                return jn_oom(r, site);
            for (size_t j = 0; j < k.n; j++)
                s[j] = (char)tolower((unsigned char)s[j]);
            k.u.s = s;
        }
        for (size_t j = 0; j < keys->n && !dup; j++)
            dup = jv_equal(r, &keys->v[j], &k);
        if (!dup) {
            keys->v[keys->n++] = k;
            res->v[res->n++] = l->v[i];
        }
    }
    *out = jv_list_of(res, r->nunjucks ? 0 : JN_GEN); /* Jinja2 returns a generator */
    return 0;
}

static int f_list(FARGS)
{
    jlist *l;
    int rc;

    if (r->nunjucks && jv_is_map(v)) {
        size_t n = jv_map_n(v);
        if (!(l = jl_new(r, n)))
            return jn_oom(r, site);
        for (size_t i = 0; i < n; i++) {
            jv k, x;
            jdict *d = jd_new(r, 2);
            if (!d)
                return jn_oom(r, site);
            jv_map_at(r, v, i, &k, &x);
            if (jd_set(r, d, jv_str("key", 3), k) || jd_set(r, d, jv_str("value", 5), x))
                return jn_oom(r, site);
            memset(&l->v[l->n], 0, sizeof(jv));
            l->v[l->n].t = JV_DICT;
            l->v[l->n++].u.d = d;
        }
    } else {
        if (r->nunjucks && !jv_is_seq(v) && v->t != JV_STR)
            return jn_fail(r, site, SL_EINVAL, "list filter: type not iterable");
        if ((rc = jv_to_list(r, site, v, &l)))
            return rc;
        if (v->t == JV_LIST) {
            jlist *c = jl_new(r, l->n);
            if (!c)
                return jn_oom(r, site);
            memcpy(c->v, l->v, l->n * sizeof(jv));
            c->n = l->n;
            l = c;
        }
    }
    *out = jv_list_of(l, 0);
    return 0;
}

/* Parse a leading number the way JavaScript parseInt / parseFloat do. */
static double js_parse(const jv *v, int isint, jn_render *r)
{
    jv s;
    char buf[128], *end;
    size_t i = 0, n;
    double d;

    if (jv_tostr(r, NULL, v, &s))
        return NAN;
    n = s.n < sizeof(buf) - 1 ? s.n : sizeof(buf) - 1;
    memcpy(buf, s.u.s, n);
    buf[n] = 0;
    while (is_space(buf[i]))
        i++;
    if (isint) {
        long long x;
        size_t j = i;
        if (buf[j] == '+' || buf[j] == '-')
            j++;
        if (!isdigit((unsigned char)buf[j]))
            return NAN;
        x = strtoll(buf + i, &end, 10);
        return (double)x;
    }
    if (!strncmp(buf + i, "Infinity", 8) || !strncmp(buf + i, "+Infinity", 9))
        return INFINITY;
    if (!strncmp(buf + i, "-Infinity", 9))
        return -INFINITY;
    if (!(isdigit((unsigned char)buf[i]) || buf[i] == '.' || buf[i] == '+' || buf[i] == '-'))
        return NAN;
    if (strpbrk(buf + i, "xXnN"))
        *strpbrk(buf + i, "xXnN") = 0; /* no hex, inf or nan */
    d = strtod(buf + i, &end);
    if (end == buf + i)
        return NAN;
    return d;
}

/* Python int(str): optional sign, digits, underscores between digits, spaces around. */
static int py_parse_int(const char *s, size_t n, int64_t *out)
{
    char buf[64];
    size_t j = 0;
    char *end;

    while (n && is_space(*s))
        s++, n--;
    while (n && is_space(s[n - 1]))
        n--;
    if (!n || n >= sizeof(buf))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_' && i && i + 1 < n && isdigit((unsigned char)s[i - 1]) &&
            isdigit((unsigned char)s[i + 1]))
            continue;
        buf[j++] = s[i];
    }
    buf[j] = 0;
    {
        size_t k = (buf[0] == '+' || buf[0] == '-') ? 1 : 0;
        if (!buf[k])
            return 0;
        for (; buf[k]; k++)
            if (!isdigit((unsigned char)buf[k]))
                return 0;
    }
    errno = 0;
    *out = strtoll(buf, &end, 10);
    return errno == 0;
}

static int py_parse_float(const char *s, size_t n, double *out)
{
    char buf[128];
    char *end;

    while (n && is_space(*s))
        s++, n--;
    while (n && is_space(s[n - 1]))
        n--;
    if (!n || n >= sizeof(buf))
        return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    if (strpbrk(buf, "xX"))
        return 0;
    *out = strtod(buf, &end);
    return !*end;
}

static int f_int(FARGS)
{
    const jv *d = ARG(0, "default");
    int64_t i;
    double f;

    if (r->nunjucks) {
        double x = js_parse(v, 1, r);
        if (isnan(x)) {
            if (d)
                *out = *d;
            else {
                memset(out, 0, sizeof(*out));
                out->u.node = site;
            }
        } else {
            *out = jv_float(x);
        }
        return 0;
    }
    if (v->t == JV_INT || v->t == JV_BOOL) {
        *out = jv_int(r, v->t == JV_BOOL ? v->u.b : v->u.i);
        return 0;
    }
    if (v->t == JV_FLOAT && isfinite(v->u.f)) {
        *out = jv_int(r, (int64_t)trunc(v->u.f));
        return 0;
    }
    if (v->t == JV_STR) {
        if (py_parse_int(v->u.s, v->n, &i)) {
            *out = jv_int(r, i);
            return 0;
        }
        if (py_parse_float(v->u.s, v->n, &f) && isfinite(f)) {
            if (fabs(f) >= 9.2e18)
                return jn_fail(r, site, SL_ELIMIT,
                               "int: %.0f is out of range (integers are 64-bit)", f);
            *out = jv_int(r, (int64_t)trunc(f));
            return 0;
        }
    }
    *out = d ? *d : jv_int(r, 0);
    return 0;
}

static int f_float(FARGS)
{
    const jv *d = ARG(0, "default");
    double f;

    if (r->nunjucks) {
        double x = js_parse(v, 0, r);
        if (isnan(x)) {
            if (d)
                *out = *d;
            else {
                memset(out, 0, sizeof(*out));
                out->u.node = site;
            }
        } else {
            *out = jv_float(x);
        }
        return 0;
    }
    if (jv_num(v, &f)) {
        *out = jv_float(f);
        return 0;
    }
    if (v->t == JV_STR && py_parse_float(v->u.s, v->n, &f)) {
        *out = jv_float(f);
        return 0;
    }
    *out = d ? *d : jv_float(0);
    return 0;
}

static int f_string(FARGS)
{
    /* nunjucks: copySafeness(v, v) is v.toString() */
    if (r->nunjucks && (v->t == JV_UNDEF || v->t == JV_NONE))
        return jn_fail(r, site, SL_EINVAL, "string: cannot convert %s to a string",
                       v->t == JV_NONE ? "null" : "undefined");
    return jv_tostr(r, site, v, out);
}

static int f_round(FARGS)
{
    const jv *pv = ARG(0, "precision"), *mv = ARG(1, "method");
    double x, prec = 0;
    char method[8] = "common";

    if (pv && !jv_num(pv, &prec) && !(r->nunjucks && (pv->t == JV_UNDEF || pv->t == JV_NONE)))
        return jn_fail(r, site, SL_EINVAL, "round precision must be a number");
    if (mv && mv->t == JV_STR)
        snprintf(method, sizeof(method), "%.*s", (int)(mv->n < 7 ? mv->n : 7), mv->u.s);
    if (!r->nunjucks && strcmp(method, "common") && strcmp(method, "ceil") && strcmp(method, "floor"))
        return jn_fail(r, site, SL_EINVAL, "method must be common, ceil or floor");
    if (r->nunjucks) {
        double f = pow(10, prec), y = jn_js_number(r, v) * f;
        if (!strcmp(method, "ceil"))
            y = ceil(y);
        else if (!strcmp(method, "floor"))
            y = floor(y);
        else
            y = floor(y + 0.5);
        *out = jv_float(y / f);
        return 0;
    }
    if (!jv_num(v, &x))
        return jn_fail(r, site, SL_EINVAL, "round: expected a number, got %s", jv_typename(r, v));
    if (!strcmp(method, "common") && (v->t == JV_INT || v->t == JV_BOOL) && prec >= 0) {
        *out = jv_int(r, v->t == JV_BOOL ? v->u.b : v->u.i);
        return 0;
    }
    if (!strcmp(method, "common")) {
        /* Python round(): correctly rounded, ties to even */
        char buf[400];
        int p = (int)prec;
        if (p > 300)
            p = 300;
        if (p >= 0) {
            snprintf(buf, sizeof(buf), "%.*f", p, x);
            *out = jv_float(strtod(buf, NULL));
        } else {
            double f = pow(10, -p);
            *out = jv_float(nearbyint(x / f) * f);
        }
        return 0;
    }
    {
        double f = pow(10, prec);
        *out = jv_float((!strcmp(method, "ceil") ? ceil(x * f) : floor(x * f)) / f);
    }
    return 0;
}

static int f_indent(FARGS)
{
    const jv *wv = ARG(0, "width"), *fv = ARG(1, "first"), *bv = ARG(2, "blank");
    jv s;
    sl_buf ind = SL_BUF_INIT, b = SL_BUF_INIT;
    int rc, first = truthy_arg(r, fv), blank = truthy_arg(r, bv);
    double w = 4;

    if ((rc = nj_need_str(r, site, v, "indent")) || (rc = in_str(r, site, v, &s)))
        return rc;
    if (wv && wv->t == JV_STR && !r->nunjucks) {
        if (sl_buf_put(&ind, wv->u.s, wv->n))
            goto oom;
    } else {
        if (wv && jv_num(wv, &w) && r->nunjucks && w == 0)
            w = 4;
        if (wv && !jv_num(wv, &w) && !r->nunjucks)
            return jn_fail(r, site, SL_EINVAL, "indent width must be a number or a string");
        for (int i = 0; i < 1000 && i < w; i++) /* NaN: none */
            if (sl_buf_putc(&ind, ' '))
                goto oom;
    }
    if (r->nunjucks) {
        if (s.n == 0) {
            sl_buf_free(&ind);
            *out = jv_str("", 0);
            return 0;
        }
        size_t st = 0;
        int line = 0;
        for (size_t i = 0; i <= s.n; i++) {
            if (i == s.n || s.u.s[i] == '\n') {
                if ((line > 0 || first) && ind.len && sl_buf_put(&b, ind.ptr, ind.len))
                    goto oom;
                if (sl_buf_put(&b, s.u.s + st, i - st))
                    goto oom;
                if (i < s.n && sl_buf_putc(&b, '\n'))
                    goto oom;
                st = i + 1;
                line++;
            }
        }
    } else {
        /* Python: s + "\n", splitlines(), first line as is, blank lines not indented */
        size_t st = 0;
        int line = 0;
        for (size_t i = 0; i < s.n; i++) {
            char c = s.u.s[i];
            if (c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x1c || c == 0x1d ||
                c == 0x1e) {
                size_t len = i - st;
                if (line > 0 && sl_buf_putc(&b, '\n'))
                    goto oom;
                if (line > 0 && (len || blank) && ind.len && sl_buf_put(&b, ind.ptr, ind.len))
                    goto oom;
                if (sl_buf_put(&b, s.u.s + st, len))
                    goto oom;
                if (c == '\r' && i + 1 < s.n && s.u.s[i + 1] == '\n')
                    i++;
                st = i + 1;
                line++;
            }
        }
        /* the last line (s + "\n" always ends one) */
        {
            size_t len = s.n - st;
            if (line > 0 && sl_buf_putc(&b, '\n'))
                goto oom;
            if (line > 0 && (len || blank) && ind.len && sl_buf_put(&b, ind.ptr, ind.len))
                goto oom;
            if (sl_buf_put(&b, s.u.s + st, len))
                goto oom;
        }
        if (first) {
            sl_buf pre = SL_BUF_INIT;
            if (sl_buf_put(&pre, ind.ptr ? ind.ptr : "", ind.len) ||
                sl_buf_put(&pre, b.ptr ? b.ptr : "", b.len)) {
                sl_buf_free(&pre);
                goto oom;
            }
            sl_buf_free(&b);
            b = pre;
        }
    }
    sl_buf_free(&ind);
    return str_result(r, site, &b, out);
oom:
    sl_buf_free(&ind);
    sl_buf_free(&b);
    return jn_oom(r, site);
}

static int f_truncate(FARGS)
{
    const jv *lv = ARG(0, "length"), *kv = ARG(1, "killwords"), *ev = ARG(2, "end"),
             *lw = ARG(3, "leeway");
    double len = 255, leeway = 5;
    jv s, end = jv_str("...", 3);
    size_t n;
    int rc;

    if ((rc = nj_need_str(r, site, v, "truncate")) || (rc = in_str(r, site, v, &s)))
        return rc;
    if (lv && jv_num(lv, &len) && r->nunjucks && (len == 0 || isnan(len)))
        len = 255; /* length || 255 */
    if (!r->nunjucks && (!isfinite(len) || len != floor(len)))
        return jn_fail(r, site, SL_EINVAL, "truncate: slice indices must be integers");
    if (ev && ev->t != JV_NONE && ev->t != JV_UNDEF && (rc = jv_tostr(r, site, ev, &end)))
        return rc;
    if (lw)
        jv_num(lw, &leeway);
    n = (size_t)jv_len(&s);
    if (r->nunjucks) {
        size_t cut;
        sl_buf b = SL_BUF_INIT;
        if (n <= len) {
            *out = s;
            return 0;
        }
        if (len < 0)
            len = 0; /* substring() and lastIndexOf() read a negative length as 0 */
        if (truthy_arg(r, kv)) {
            cut = len > 0 ? (size_t)len : 0; /* len < n here, so not NaN */
        } else {
            /* lastIndexOf(' ', length) */
            long idx = -1;
            for (long i = (long)len < (long)n - 1 ? (long)len : (long)n - 1; i >= 0; i--) {
                jv c = jv_index(r, &s, (size_t)i);
                if (c.n == 1 && c.u.s[0] == ' ') {
                    idx = i;
                    break;
                }
            }
            cut = idx < 0 ? (size_t)len : (size_t)idx;
        }
        {
            jv c = jv_index(r, &s, cut);
            size_t off = cut >= n ? s.n : (size_t)(c.u.s - s.u.s);
            if (sl_buf_put(&b, s.u.s, off) || sl_buf_put(&b, end.u.s, end.n)) {
                sl_buf_free(&b);
                return jn_oom(r, site);
            }
        }
        return str_result(r, site, &b, out);
    }
    {
        size_t endn = (size_t)jv_len(&end), keep, off;
        sl_buf b = SL_BUF_INIT;
        if (len < (double)endn)
            return jn_fail(r, site, SL_EINVAL, "expected length >= %zu, got %g", endn, len);
        if ((double)n <= len + leeway) {
            *out = s;
            return 0;
        }
        keep = (size_t)len - endn;
        {
            jv c = jv_index(r, &s, keep);
            off = keep >= n ? s.n : (size_t)(c.u.s - s.u.s);
        }
        if (!truthy_arg(r, kv)) {
            /* rsplit(" ", 1)[0] */
            const char *sp = NULL;
            for (size_t i = off; i > 0; i--)
                if (s.u.s[i - 1] == ' ') {
                    sp = s.u.s + i - 1;
                    break;
                }
            if (sp)
                off = (size_t)(sp - s.u.s);
        }
        if (sl_buf_put(&b, s.u.s, off) || sl_buf_put(&b, end.u.s, end.n)) {
            sl_buf_free(&b);
            return jn_oom(r, site);
        }
        return str_result(r, site, &b, out);
    }
}

/* Percent-encode: Python quote (unreserved + safe) or encodeURIComponent. */
static int pct(sl_buf *b, const char *s, size_t n, const char *keep, int plus)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (isalnum(c) || (c && strchr(keep, c)))
            rc = sl_buf_putc(b, (char)c);
        else if (plus && c == ' ')
            rc = sl_buf_putc(b, '+');
        else
            rc = sl_buf_printf(b, "%%%02X", c);
        if (rc)
            return rc;
    }
    return 0;
}

static int f_urlencode(FARGS)
{
    sl_buf b = SL_BUF_INIT;
    const char *keep = r->nunjucks ? "-_.!~*'()" : "_.-~/";
    const char *keepq = r->nunjucks ? "-_.!~*'()" : "_.-~";
    int rc;

    if (v->t == JV_STR || (!jv_is_seq(v) && !jv_is_map(v))) {
        jv s;
        if ((rc = jv_tostr(r, site, v, &s)))
            return rc;
        if (pct(&b, s.u.s, s.n, keep, 0))
            goto oom;
        return str_result(r, site, &b, out);
    }
    {
        size_t n = jv_is_map(v) ? jv_map_n(v) : (size_t)jv_len(v);
        for (size_t i = 0; i < n; i++) {
            jv k, x, ks, xs;
            if (jv_is_map(v))
                jv_map_at(r, v, i, &k, &x);
            else {
                jv pair = jv_index(r, v, i);
                if (jv_len(&pair) < 2) {
                    sl_buf_free(&b);
                    return jn_fail(r, site, SL_EINVAL, "urlencode: expected (key, value) pairs");
                }
                k = jv_index(r, &pair, 0);
                x = jv_index(r, &pair, 1);
            }
            if ((rc = jv_tostr(r, site, &k, &ks)) || (rc = jv_tostr(r, site, &x, &xs))) {
                sl_buf_free(&b);
                return rc;
            }
            if ((i && sl_buf_putc(&b, '&')) || pct(&b, ks.u.s, ks.n, keepq, !r->nunjucks) ||
                sl_buf_putc(&b, '=') || pct(&b, xs.u.s, xs.n, keepq, !r->nunjucks))
                goto oom;
        }
    }
    return str_result(r, site, &b, out);
oom:
    sl_buf_free(&b);
    return jn_oom(r, site);
}

static int f_tojson(FARGS)
{
    const jv *iv = ARG(0, "indent");
    double ind = -1;
    sl_buf b = SL_BUF_INIT;
    int rc;

    if (iv && iv->t != JV_NONE)
        jv_num(iv, &ind);
    if ((rc = jv_json(r, site, v, &b, (int)ind, JN_JSON_SORT | JN_JSON_ASCII | JN_JSON_HTML, 0))) {
        sl_buf_free(&b);
        return rc;
    }
    return str_result(r, site, &b, out);
}

static int f_jsonify(FARGS)
{
    sl_buf b = SL_BUF_INIT;
    int rc;

    if ((rc = jv_json(r, site, v, &b, 4, JN_JSON_SORT | JN_JSON_ASCII, 0))) {
        sl_buf_free(&b);
        return rc;
    }
    return str_result(r, site, &b, out);
}

static int f_dump(FARGS)
{
    const jv *sv = ARG(0, NULL);
    double sp = -1;
    sl_buf b = SL_BUF_INIT;
    int rc;

    if (v->t == JV_UNDEF) {
        memset(out, 0, sizeof(*out));
        out->u.node = site;
        return 0;
    }
    if (sv && jv_num(sv, &sp) && !(sp >= 1)) /* also NaN */
        sp = -1;
    if (sp > 10)
        sp = 10;
    if (sv && sv->t == JV_STR)
        return jn_fail(r, site, SL_EINVAL, "dump: string indentation is not supported");
    if ((rc = jv_json(r, site, v, &b, (int)sp, 0, 0))) {
        sl_buf_free(&b);
        return rc;
    }
    return str_result(r, site, &b, out);
}

static int f_b64encode(FARGS)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    jv s;
    sl_buf b = SL_BUF_INIT;
    int rc;

    if ((rc = jv_tostr(r, site, v, &s)))
        return rc;
    for (size_t i = 0; i < s.n; i += 3) {
        unsigned x = (unsigned char)s.u.s[i] << 16;
        size_t left = s.n - i;
        char q[4];
        if (left > 1)
            x |= (unsigned char)s.u.s[i + 1] << 8;
        if (left > 2)
            x |= (unsigned char)s.u.s[i + 2];
        q[0] = tbl[(x >> 18) & 63];
        q[1] = tbl[(x >> 12) & 63];
        q[2] = left > 1 ? tbl[(x >> 6) & 63] : '=';
        q[3] = left > 2 ? tbl[x & 63] : '=';
        if (sl_buf_put(&b, q, 4)) {
            sl_buf_free(&b);
            return jn_oom(r, site);
        }
    }
    return str_result(r, site, &b, out);
}

/* python-slugify with its defaults (separator, max_length and lowercase
 * keywords honoured). Latin-1 letters are transliterated as unidecode
 * does; other non-ASCII characters are dropped. */
static const char *translit(unsigned cp)
{
    static const char *const l1[64] = {
        "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",
        "D", "N", "O", "O", "O", "O", "O", "x", "O", "U", "U", "U", "U", "Y", "Th", "ss",
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
        "d", "n", "o", "o", "o", "o", "o", "/", "o", "u", "u", "u", "u", "y", "th", "y"};
    if (cp >= 0xc0 && cp <= 0xff)
        return l1[cp - 0xc0];
    return "";
}

static int f_slugify(FARGS)
{
    const jv *sepv = ARG(99, "separator"), *maxv = ARG(99, "max_length"),
             *lowv = ARG(99, "lowercase");
    jv s;
    sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
    int rc, lower = lowv ? jv_truthy(r, lowv) : 1;
    double maxlen = 0;

    if ((rc = jv_tostr(r, site, v, &s)))
        return rc;
    if (maxv)
        jv_num(maxv, &maxlen);
    /* quotes to '-', transliterate, entities */
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.u.s[i];
        int e = 0;
        if (c == '\'') {
            e = sl_buf_putc(&a, '-');
        } else if (c == '&') {
            static const struct {
                const char *n;
                char c;
            } ents[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
            size_t k;
            for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
                if (!strncmp(s.u.s + i + 1, ents[k].n, strlen(ents[k].n)) &&
                    i + 1 + strlen(ents[k].n) <= s.n)
                    break;
            if (k < sizeof(ents) / sizeof(ents[0])) {
                e = sl_buf_putc(&a, ents[k].c);
                i += strlen(ents[k].n);
            } else {
                e = sl_buf_putc(&a, '&');
            }
        } else if (c >= 0x80) {
            unsigned cp = 0;
            int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
            cp = c & (0x3f >> extra);
            for (int k = 0; k < extra && i + 1 < s.n; k++)
                cp = (cp << 6) | ((unsigned char)s.u.s[++i] & 0x3f);
            e = sl_buf_puts(&a, translit(cp));
        } else {
            e = sl_buf_putc(&a, (char)c);
        }
        if (e)
            goto oom;
    }
    /* lowercase, drop quotes, commas between digits, the rest to '-' */
    for (size_t i = 0; i < a.len; i++) {
        char c = a.ptr[i];
        int ok;
        if (lower)
            c = (char)tolower((unsigned char)c);
        if (c == '\'')
            continue;
        if (c == ',' && i && i + 1 < a.len && isdigit((unsigned char)a.ptr[i - 1]) &&
            isdigit((unsigned char)a.ptr[i + 1]))
            continue;
        ok = isdigit((unsigned char)c) || c == '-' || (c >= 'a' && c <= 'z') ||
             (!lower && c >= 'A' && c <= 'Z');
        if (!ok)
            c = '-';
        if (c == '-' && (!b.len || b.ptr[b.len - 1] == '-'))
            continue;
        if (sl_buf_putc(&b, c))
            goto oom;
    }
    while (b.len && b.ptr[b.len - 1] == '-')
        b.len--;
    if (maxlen > 0 && b.len > (size_t)maxlen) {
        b.len = (size_t)maxlen;
        while (b.len && b.ptr[b.len - 1] == '-')
            b.len--;
    }
    if (b.ptr)
        b.ptr[b.len] = 0;
    sl_buf_free(&a);
    if (sepv && sepv->t == JV_STR && !(sepv->n == 1 && sepv->u.s[0] == '-')) {
        sl_buf c = SL_BUF_INIT;
        for (size_t i = 0; i < b.len; i++)
            if (b.ptr[i] == '-' ? sl_buf_put(&c, sepv->u.s, sepv->n) : sl_buf_putc(&c, b.ptr[i])) {
                sl_buf_free(&c);
                sl_buf_free(&b);
                return jn_oom(r, site);
            }
        sl_buf_free(&b);
        return str_result(r, site, &c, out);
    }
    return str_result(r, site, &b, out);
oom:
    sl_buf_free(&a);
    sl_buf_free(&b);
    return jn_oom(r, site);
}

/* ---- Backstage ---- */

static int query_param(const char *q, size_t qn, const char *name, sl_buf *out, int *found)
{
    size_t nl = strlen(name);
    const char *p = q, *e = q + qn;

    *found = 0;
    while (p < e) {
        const char *amp = memchr(p, '&', (size_t)(e - p));
        const char *end = amp ? amp : e;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        const char *ke = eq ? eq : end;
        if ((size_t)(ke - p) == nl && !memcmp(p, name, nl)) {
            /* first occurrence wins (URLSearchParams.get) */
            const char *vs = eq ? eq + 1 : end;
            for (const char *c = vs; c < end; c++) {
                int rc;
                if (*c == '+')
                    rc = sl_buf_putc(out, ' ');
                else if (*c == '%' && end - c > 2 && isxdigit((unsigned char)c[1]) &&
                         isxdigit((unsigned char)c[2])) {
                    char hex[3] = {c[1], c[2], 0};
                    rc = sl_buf_putc(out, (char)strtol(hex, NULL, 16));
                    c += 2;
                } else
                    rc = sl_buf_putc(out, *c);
                if (rc)
                    return rc;
            }
            *found = 1;
            return 0;
        }
        p = end + 1;
    }
    return 0;
}

/* parseRepoUrl: "host?owner=o&repo=r[&organization=..&workspace=..&project=..]"
 * into {host, owner, repo, organization, workspace, project}. sluice has no
 * integrations config: every host is read like GitHub's (owner and repo
 * required) except bitbucket.org (workspace, project, repo) and
 * dev.azure.com (organization, project, repo) and gitlab hosts (owner, repo). */
static int parse_repo_url(jn_render *r, const jnode *site, const jv *v, jdict **out)
{
    static const char *const keys[] = {"owner", "repo", "organization", "workspace", "project"};
    jv s;
    const char *q, *hostend;
    jdict *d = jd_new(r, 6);
    char host[256];
    int rc, have[5];
    jv vals[5];

    if (!d)
        return jn_oom(r, site);
    if (v->t != JV_STR)
        return jn_fail(r, site, SL_EINVAL, "parseRepoUrl: expected a string like "
                                           "github.com?owner=o&repo=r");
    s = *v;
    q = memchr(s.u.s, '?', s.n);
    hostend = q ? q : s.u.s + s.n;
    {
        const char *slash = memchr(s.u.s, '/', (size_t)(hostend - s.u.s));
        if (slash)
            hostend = slash;
    }
    if (hostend == s.u.s || (size_t)(hostend - s.u.s) >= sizeof(host))
        return jn_fail(r, site, SL_EINVAL, "Invalid repo URL passed to publisher, got %.*s",
                       (int)s.n, s.u.s);
    snprintf(host, sizeof(host), "%.*s", (int)(hostend - s.u.s), s.u.s);
    for (char *c = host; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (jd_set(r, d, jv_str("host", 4), jv_str(jn_strndup(r->ar, host, strlen(host)), strlen(host))))
        return jn_oom(r, site);
    for (int i = 0; i < 5; i++) {
        sl_buf b = SL_BUF_INIT;
        have[i] = 0;
        if (q && (rc = query_param(q + 1, (size_t)(s.u.s + s.n - q - 1), keys[i], &b, &have[i]))) {
            sl_buf_free(&b);
            return jn_oom(r, site);
        }
        if (have[i]) {
            char *x = jn_strndup(r->ar, b.ptr ? b.ptr : "", b.len);
            if (!x) {
                sl_buf_free(&b);
                return jn_oom(r, site);
            }
            vals[i] = jv_str(x, b.len);
        } else {
            memset(&vals[i], 0, sizeof(jv));
            vals[i].u.node = site;
        }
        sl_buf_free(&b);
        if (jd_set(r, d, jv_str(keys[i], strlen(keys[i])), vals[i]))
            return jn_oom(r, site);
    }
    if (!strcmp(host, "bitbucket.org")) {
        if (!have[3] || !vals[3].n || !have[4] || !vals[4].n || !have[1] || !vals[1].n)
            return jn_fail(r, site, SL_EINVAL,
                           "Invalid repo URL passed to publisher: %.*s, missing workspace, "
                           "project or repo", (int)s.n, s.u.s);
    } else if (!strcmp(host, "dev.azure.com")) {
        if (!have[4] || !vals[4].n || !have[1] || !vals[1].n)
            return jn_fail(r, site, SL_EINVAL,
                           "Invalid repo URL passed to publisher: %.*s, missing project or repo",
                           (int)s.n, s.u.s);
    } else {
        if (!have[1] || !vals[1].n)
            return jn_fail(r, site, SL_EINVAL,
                           "Invalid repo URL passed to publisher: %.*s, missing repo", (int)s.n,
                           s.u.s);
        if (!have[0] || !vals[0].n)
            return jn_fail(r, site, SL_EINVAL,
                           "Invalid repo URL passed to publisher: %.*s, missing owner", (int)s.n,
                           s.u.s);
    }
    *out = d;
    return 0;
}

static int f_parse_repo_url(FARGS)
{
    jdict *d;
    int rc = parse_repo_url(r, site, v, &d);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    out->t = JV_DICT;
    out->u.d = d;
    return 0;
}

static int f_project_slug(FARGS)
{
    jdict *d;
    jv o, p, tmp;
    sl_buf b = SL_BUF_INIT;
    int rc = parse_repo_url(r, site, v, &d);

    if (rc)
        return rc;
    memset(&tmp, 0, sizeof(tmp));
    tmp.t = JV_DICT;
    tmp.u.d = d;
    jv_getkey(r, &tmp, "owner", 5, &o);
    jv_getkey(r, &tmp, "repo", 4, &p);
    if (o.t != JV_STR)
        o = jv_str("undefined", 9);
    if (sl_buf_put(&b, o.u.s, o.n) || sl_buf_putc(&b, '/') || sl_buf_put(&b, p.u.s, p.n)) {
        sl_buf_free(&b);
        return jn_oom(r, site);
    }
    return str_result(r, site, &b, out);
}

/* parseEntityRef(ref, {defaultKind, defaultNamespace}) -> {kind, namespace, name} */
static int f_parse_entity_ref(FARGS)
{
    const jv *ctx = ARG(0, NULL);
    jv dk, dn, kind, ns, name;
    jdict *d = jd_new(r, 3);
    const char *s;
    long colon = -1, slash = -1;
    size_t n;

    if (!d)
        return jn_oom(r, site);
    memset(&dk, 0, sizeof(dk));
    dn = jv_str("default", 7);
    if (ctx && jv_is_map(ctx)) {
        jv x;
        if (jv_getkey(r, ctx, "defaultKind", 11, &x) && x.t == JV_STR && x.n)
            dk = x;
        if (jv_getkey(r, ctx, "defaultNamespace", 16, &x) && x.t == JV_STR && x.n)
            dn = x;
    }
    if (v->t != JV_STR || !v->n)
        return jn_fail(r, site, SL_EINVAL, "Entity reference must not be empty");
    s = v->u.s;
    n = v->n;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ':' && colon < 0)
            colon = (long)i;
        if (s[i] == '/' && slash < 0)
            slash = (long)i;
    }
    if (slash >= 0 && slash < colon)
        colon = -1;
    kind = colon < 0 ? dk : jv_str(s, (size_t)colon);
    ns = slash < 0 ? dn : jv_str(s + colon + 1, (size_t)(slash - colon - 1));
    {
        long st = (colon + 1 > slash + 1 ? colon + 1 : slash + 1);
        name = jv_str(s + st, n - (size_t)st);
    }
    if ((colon >= 0 && colon == 0) || (slash >= 0 && slash == colon + 1) || name.n == 0)
        return jn_fail(r, site, SL_EINVAL,
                       "Entity reference \"%.*s\" was not on the form [<kind>:][<namespace>/]<name>",
                       (int)n, s);
    if (kind.t != JV_STR)
        return jn_fail(r, site, SL_EINVAL,
                       "Entity reference \"%.*s\" had missing or empty kind (e.g. did not start "
                       "with \"component:\" or similar)", (int)n, s);
    if (jd_set(r, d, jv_str("kind", 4), kind) || jd_set(r, d, jv_str("namespace", 9), ns) ||
        jd_set(r, d, jv_str("name", 4), name))
        return jn_oom(r, site);
    memset(out, 0, sizeof(*out));
    out->t = JV_DICT;
    out->u.d = d;
    return 0;
}

/* pick(obj, 'a.b') = lodash get */
static int f_pick(FARGS)
{
    const jv *k = ARG(0, NULL);
    jv key;
    int rc;

    if (!k)
        return jn_fail(r, site, SL_EINVAL, "pick needs a property name");
    if ((rc = jv_tostr(r, site, k, &key)))
        return rc;
    if (v->t == JV_UNDEF || v->t == JV_NONE) {
        memset(out, 0, sizeof(*out));
        out->u.node = site;
        return 0;
    }
    {
        /* lodash paths: dots */
        jv cur = *v;
        const char *p = key.u.s, *e = key.u.s + key.n;
        while (p <= e) {
            const char *dot = memchr(p, '.', (size_t)(e - p));
            size_t n = dot ? (size_t)(dot - p) : (size_t)(e - p);
            if (!jv_is_map(&cur) || !jv_getkey(r, &cur, p, n, &cur)) {
                memset(out, 0, sizeof(*out));
                out->u.node = site;
                return 0;
            }
            if (!dot)
                break;
            p = dot + 1;
        }
        *out = cur;
    }
    return 0;
}

/* ---- small extras ---- */

static int f_abs(FARGS)
{
    double f;
    if (v->t == JV_INT) {
        *out = jv_int(r, v->u.i < 0 ? -v->u.i : v->u.i);
        return 0;
    }
    if (!jv_num(v, &f)) {
        if (r->nunjucks) {
            *out = jv_float(fabs(jn_js_number(r, v)));
            return 0;
        }
        return jn_fail(r, site, SL_EINVAL, "bad operand type for abs(): '%s'", jv_typename(r, v));
    }
    *out = v->t == JV_BOOL ? jv_int(r, v->u.b) : jv_float(fabs(f));
    return 0;
}

static int f_reverse(FARGS)
{
    if (v->t == JV_STR) {
        sl_buf b = SL_BUF_INIT;
        for (long i = jv_len(v) - 1; i >= 0; i--) {
            jv c = jv_index(r, v, (size_t)i);
            if (sl_buf_put(&b, c.u.s, c.n)) {
                sl_buf_free(&b);
                return jn_oom(r, site);
            }
        }
        return str_result(r, site, &b, out);
    }
    {
        jlist *l, *res;
        int rc = jv_to_list(r, site, v, &l);
        if (rc)
            return rc;
        if (!(res = jl_new(r, l->n)))
            return jn_oom(r, site);
        for (size_t i = l->n; i > 0; i--)
            res->v[res->n++] = l->v[i - 1];
        *out = jv_list_of(res, 0);
        if (!r->nunjucks && !(v->t == JV_LIST && (v->ns & JN_GEN)))
            out->ns = JN_GEN; /* Jinja2 returns a generator */
    }
    return 0;
}

static int f_sum(FARGS)
{
    const jv *attr = ARG(0, "attribute"), *start = ARG(1, "start");
    jlist *l;
    jv acc = start ? *start : jv_int(r, 0);
    int rc;

    if ((rc = jv_to_list(r, site, v, &l)))
        return rc;
    for (size_t i = 0; i < l->n; i++) {
        jv x = l->v[i];
        double a, b;
        if (attr && (rc = attr_of(r, site, &l->v[i], attr, &x)))
            return rc;
        if (!jv_num(&acc, &a) || !jv_num(&x, &b))
            return jn_fail(r, site, SL_EINVAL, "sum: unsupported operand types");
        if (acc.t == JV_INT && x.t == JV_INT)
            acc = jv_int(r, acc.u.i + x.u.i);
        else
            acc = jv_float(a + b);
    }
    *out = acc;
    return 0;
}

static int minmax(FARGS, int wantmax)
{
    const jv *cs = ARG(0, "case_sensitive"), *attr = ARG(1, "attribute");
    jlist *l;
    int rc, bad = 0;
    jv best, bestk;

    if ((rc = jv_to_list(r, site, v, &l)))
        return rc;
    if (!l->n) {
        memset(out, 0, sizeof(*out));
        out->u.node = site;
        return 0;
    }
    best = l->v[0];
    bestk = best;
    if (attr && (rc = attr_of(r, site, &l->v[0], attr, &bestk)))
        return rc;
    for (size_t i = 1; i < l->n; i++) {
        jv k = l->v[i];
        int c;
        if (attr && (rc = attr_of(r, site, &l->v[i], attr, &k)))
            return rc;
        c = jv_cmp(r, &k, &bestk, !truthy_arg(r, cs), &bad);
        if (wantmax ? c > 0 : c < 0) {
            best = l->v[i];
            bestk = k;
        }
    }
    if (bad)
        return jn_fail(r, site, SL_EINVAL, "values of different types cannot be compared");
    *out = best;
    return 0;
}

static int f_min(FARGS)
{
    return minmax(r, site, v, argc, argv, kwc, kwn, kwv, out, 0);
}

static int f_max(FARGS)
{
    return minmax(r, site, v, argc, argv, kwc, kwn, kwv, out, 1);
}

static int f_wordcount(FARGS)
{
    jv s;
    long n = 0;
    int rc, in = 0;

    if ((rc = in_str(r, site, v, &s)))
        return rc;
    for (size_t i = 0; i < s.n; i++) {
        int w = isalnum((unsigned char)s.u.s[i]) || s.u.s[i] == '_' ||
                (!r->nunjucks && ((unsigned char)s.u.s[i] & 0x80));
        if (w && !in)
            n++;
        in = w;
    }
    if (r->nunjucks && n == 0) {
        *out = jv_none();
        return 0;
    }
    *out = jv_int(r, n);
    return 0;
}

static int f_center(FARGS)
{
    const jv *wv = ARG(0, "width");
    double w = 80;
    jv s;
    long len, pad, left, right;
    sl_buf b = SL_BUF_INIT;
    int rc;

    if ((rc = in_str(r, site, v, &s)))
        return rc;
    if (wv)
        jv_num(wv, &w);
    len = jv_len(&s);
    if (!(w <= 16777216.0)) /* also NaN */
        return jn_fail(r, site, SL_ELIMIT, "center: width %.0f is too large (at most 16777216)", w);
    if (len >= (long)w) {
        *out = s;
        return 0;
    }
    pad = (long)w - len;
    if (r->nunjucks) {
        /* lib.repeat(' ', n) repeats ceil(n) times */
        left = (long)ceil(pad / 2.0 - pad % 2);
        right = (long)ceil(pad / 2.0);
        if (left < 0)
            left = 0;
    } else {
        /* Python str.center: extra space on the right when len is even... */
        left = pad / 2 + (pad & (long)w & 1);
        right = pad - left;
    }
    for (long i = 0; i < left; i++)
        if (sl_buf_putc(&b, ' '))
            goto oom;
    if (sl_buf_put(&b, s.u.s, s.n))
        goto oom;
    for (long i = 0; i < right; i++)
        if (sl_buf_putc(&b, ' '))
            goto oom;
    return str_result(r, site, &b, out);
oom:
    sl_buf_free(&b);
    return jn_oom(r, site);
}

/* The items of map/select/selectattr's input: Jinja2 guards the loop with
 * `if value:`, so none, '' and 0 give nothing there. */
static int gen_input(jn_render *r, const jnode *site, const jv *v, jlist **l)
{
    if (!r->nunjucks && v->t != JV_UNDEF && !jv_truthy(r, v))
        return (*l = jl_new(r, 1)) ? 0 : jn_oom(r, site);
    return jv_to_list(r, site, v, l);
}

/* The test a select-like filter names (its name, cut to 63 bytes, in buf);
 * *t is NULL when there is none of that name. */
static int test_named(jn_render *r, const jnode *site, const jv *name, char buf[64],
                      const jn_test **t)
{
    jv tn;
    int rc;

    if ((rc = jv_tostr(r, site, name, &tn)))
        return rc;
    snprintf(buf, 64, "%.*s", (int)(tn.n < 63 ? tn.n : 63), tn.u.s);
    *t = jn_test_find(buf, r->nunjucks);
    return 0;
}

/* selectattr / rejectattr (attribute truthiness, or a test in Jinja2). */
static int sel_attr(FARGS, int want)
{
    const jv *attr = ARG(0, NULL), *tname = ARG(1, NULL);
    jlist *l, *res;
    const jn_test *t = NULL;
    int rc;

    if (!attr)
        return jn_fail(r, site, SL_EINVAL, "selectattr needs an attribute name");
    if (tname) {
        char buf[64];
        if ((rc = test_named(r, site, tname, buf, &t)))
            return rc;
        if (!t)
            return jn_fail(r, site, SL_EINVAL, "unknown test '%s'", buf);
    }
    if ((rc = gen_input(r, site, v, &l)))
        return rc;
    if (!(res = jl_new(r, l->n)))
        return jn_oom(r, site);
    for (size_t i = 0; i < l->n; i++) {
        jv x;
        int ok;
        if ((rc = attr_of(r, site, &l->v[i], attr, &x)))
            return rc;
        if (t) {
            if ((rc = t->fn(r, site, &x, argc > 2 ? argc - 2 : 0, argv + 2, &ok)))
                return rc;
        } else {
            if (!r->nunjucks && x.t == JV_UNDEF)
                return jn_undef_fail(r, &x);
            ok = jv_truthy(r, &x);
        }
        if (ok == want)
            res->v[res->n++] = l->v[i];
    }
    *out = jv_list_of(res, r->nunjucks ? 0 : JN_GEN); /* Jinja2 returns a generator */
    return 0;
}

static int f_selectattr(FARGS)
{
    return sel_attr(r, site, v, argc, argv, kwc, kwn, kwv, out, 1);
}

static int f_rejectattr(FARGS)
{
    return sel_attr(r, site, v, argc, argv, kwc, kwn, kwv, out, 0);
}

/* Jinja2 map(attribute='x') or map('filter', args...). */
static int f_map(FARGS)
{
    const jv *attr = ARG(99, "attribute"), *dflt = ARG(99, "default");
    jlist *l, *res;
    int rc;

    if ((rc = gen_input(r, site, v, &l)))
        return rc;
    if (!(res = jl_new(r, l->n)))
        return jn_oom(r, site);
    if (attr) {
        for (size_t i = 0; i < l->n; i++) {
            jv x;
            if ((rc = attr_of(r, site, &l->v[i], attr, &x)))
                return rc;
            if (x.t == JV_UNDEF && dflt)
                x = *dflt;
            res->v[res->n++] = x;
        }
    } else {
        const jn_filter *f;
        char buf[64];
        jv fn;
        if (argc < 1 || (rc = jv_tostr(r, site, &argv[0], &fn)))
            return argc < 1 ? jn_fail(r, site, SL_EINVAL, "map needs a filter name or attribute=")
                            : rc;
        snprintf(buf, sizeof(buf), "%.*s", (int)(fn.n < 63 ? fn.n : 63), fn.u.s);
        if (!(f = jn_filter_find(buf, 0)))
            return jn_fail(r, site, SL_EINVAL, "unknown filter '%s'", buf);
        for (size_t i = 0; i < l->n; i++) {
            jv x;
            if (l->v[i].t == JV_UNDEF && !f->lazy_undef)
                return jn_undef_fail(r, &l->v[i]);
            if ((rc = f->fn(r, site, &l->v[i], argc - 1, argv + 1, kwc, kwn, kwv, &x)))
                return rc;
            res->v[res->n++] = x;
        }
    }
    *out = jv_list_of(res, r->nunjucks ? 0 : JN_GEN); /* Jinja2 returns a generator */
    return 0;
}

/* ---- collections: dictsort, batch, groupby, select/reject, items, attr ---- */

/* A sort key folded for a case-insensitive comparison: Jinja2 lower-cases
 * strings (ignore_case), Nunjucks upper-cases them (dictsort). */
static int fold_key(jn_render *r, const jnode *site, const jv *k, int up, jv *out)
{
    if (k->t != JV_STR) {
        *out = *k;
        return 0;
    }
    return map_case(r, site, k, 0, NULL, 0, NULL, NULL, out, up);
}

/* The comparator of Nunjucks' dictsort, with JavaScript's operators:
 * a > b ? 1 : a === b ? 0 : -1 (mixed types compare as numbers, NaN never
 * greater, so it need not be consistent). */
static int js_cmp3(jn_render *r, const jnode *site, const jv *a, const jv *b)
{
    jv pa = *a, pb = *b;
    int gt;

    if ((jv_is_seq(&pa) || jv_is_map(&pa)) && jv_tostr(r, site, &pa, &pa))
        return 0;
    if ((jv_is_seq(&pb) || jv_is_map(&pb)) && jv_tostr(r, site, &pb, &pb))
        return 0;
    if (pa.t == JV_STR && pb.t == JV_STR) {
        size_t n = pa.n < pb.n ? pa.n : pb.n;
        int c = memcmp(pa.u.s, pb.u.s, n);
        gt = c > 0 || (c == 0 && pa.n > pb.n);
    } else {
        double x = jn_js_number(r, &pa), y = jn_js_number(r, &pb);
        gt = x > y;
    }
    if (gt)
        return 1;
    if ((a->t == JV_INT || a->t == JV_FLOAT) && (b->t == JV_INT || b->t == JV_FLOAT)) {
        double x, y;
        jv_num(a, &x);
        jv_num(b, &y);
        return x == y ? 0 : -1;
    }
    if (a->t != b->t)
        return -1;
    switch (a->t) {
    case JV_STR:
        return a->n == b->n && !memcmp(a->u.s, b->u.s, a->n) ? 0 : -1;
    case JV_BOOL:
        return a->u.b == b->u.b ? 0 : -1;
    case JV_NONE:
    case JV_UNDEF:
        return 0;
    case JV_LIST:
        return a->u.l == b->u.l ? 0 : -1;
    case JV_DICT:
        return a->u.d == b->u.d ? 0 : -1;
    case JV_JSON:
        return a->u.j == b->u.j ? 0 : -1;
    default:
        return -1;
    }
}

/* V8's Array.prototype.sort for fewer than 64 items (TimSort's first run,
 * then binary insertion), so that an inconsistent comparator orders the
 * items as Nunjucks on node does. */
static void v8_small_sort(jn_render *r, const jnode *site, sortitem *a, size_t n)
{
    size_t run = 2, start;

    if (n < 2)
        return;
    {
        int desc = js_cmp3(r, site, &a[1].key, &a[0].key) < 0;
        for (size_t i = 2; i < n; i++) {
            int o = js_cmp3(r, site, &a[i].key, &a[i - 1].key);
            if (desc ? o >= 0 : o < 0)
                break;
            run++;
        }
        for (size_t i = 0; desc && i < run / 2; i++) {
            sortitem t = a[i];
            a[i] = a[run - 1 - i];
            a[run - 1 - i] = t;
        }
    }
    for (start = run; start < n; start++) {
        size_t left = 0, right = start;
        sortitem pivot = a[start];
        while (left < right) {
            size_t mid = left + ((right - left) >> 1);
            if (js_cmp3(r, site, &pivot.key, &a[mid].key) < 0)
                right = mid;
            else
                left = mid + 1;
        }
        memmove(a + left + 1, a + left, (start - left) * sizeof(*a));
        a[left] = pivot;
    }
}

static int js_index_key(const jv *k, double *idx);

static int f_dictsort(FARGS)
{
    const jv *cs = ARG(0, "case_sensitive"), *by = ARG(1, "by"), *rev = ARG(2, "reverse");
    sortctx c = {r, r->nunjucks ? 0 : truthy_arg(r, rev), 0, 0};
    int pos = 0, rc;
    size_t n;
    sortitem *items, *tmp;
    jlist *res;

    if (by && !(r->nunjucks && by->t == JV_UNDEF)) {
        if (by->t == JV_STR && by->n == 5 && !memcmp(by->u.s, "value", 5))
            pos = 1;
        else if (!(by->t == JV_STR && by->n == 3 && !memcmp(by->u.s, "key", 3)))
            return jn_fail(r, site, SL_EINVAL,
                           "dictsort: you can only sort by either \"key\" or \"value\"");
    }
    if (!jv_is_map(v) || (r->nunjucks && v->t == JV_DICT && v->ns))
        return jn_fail(r, site, SL_EINVAL, "dictsort: expected a mapping, got %s",
                       jv_typename(r, v));
    n = jv_map_n(v);
    items = jn_alloc(r->ar, (n + 1) * sizeof(*items));
    tmp = jn_alloc(r->ar, (n + 1) * sizeof(*items));
    if (!items || !tmp || !(res = jl_new(r, n)))
        return jn_oom(r, site);
    for (size_t i = 0; i < n; i++) {
        jv k, x;
        jlist *pair = jl_new(r, 2);
        if (!pair)
            return jn_oom(r, site);
        jv_map_at(r, v, i, &k, &x);
        pair->v[0] = k;
        pair->v[1] = x;
        pair->n = 2;
        items[i].val = jv_list_of(pair, r->nunjucks ? 0 : 2);
        items[i].key = pos ? x : k;
        if (!truthy_arg(r, cs) && (rc = fold_key(r, site, &items[i].key, r->nunjucks, &items[i].key)))
            return rc;
    }
    if (r->nunjucks) {
        /* JavaScript's for-in order: integer-like keys first, ascending */
        size_t m = 0;
        double x, y;
        for (size_t i = 0; i < n; i++) {
            jv k = items[i].val.u.l->v[0];
            if (js_index_key(&k, &x)) {
                size_t j = m;
                sortitem it = items[i];
                while (j > 0 && js_index_key(&items[j - 1].val.u.l->v[0], &y) && y > x)
                    j--;
                memmove(items + j + 1, items + j, (i - j) * sizeof(*items));
                items[j] = it;
                m++;
            }
        }
    }
    if (r->nunjucks && n < 64)
        v8_small_sort(r, site, items, n);
    else
        merge_sort(items, tmp, n, &c);
    if (c.bad && !r->nunjucks)
        return jn_fail(r, site, SL_EINVAL, "dictsort: values of different types cannot be compared");
    for (size_t i = 0; i < n; i++)
        res->v[res->n++] = items[i].val;
    *out = jv_list_of(res, 0);
    return 0;
}

static int f_batch(FARGS)
{
    const jv *cntv = ARG(0, "linecount"), *fill = ARG(1, "fill_with");
    double cnt;
    jlist *l, *res, *cur = NULL;
    int rc;

    if (!cntv || !jv_num(cntv, &cnt))
        return jn_fail(r, site, SL_EINVAL, "batch: the line count must be a number");
    if (r->nunjucks && !jv_is_seq(v) && v->t != JV_STR)
        return jn_fail(r, site, SL_EINVAL, "batch: expected an array, got %s", jv_typename(r, v));
    if (r->nunjucks && fill && !jv_truthy(r, fill))
        fill = NULL;
    if (!r->nunjucks && fill && fill->t == JV_NONE)
        fill = NULL;
    if ((rc = jv_to_list(r, site, v, &l)))
        return rc;
    if (!(res = jl_new(r, 4)))
        return jn_oom(r, site);
    if (!r->nunjucks && !(cur = jl_new(r, 4)))
        return jn_oom(r, site);
    for (size_t i = 0; i < l->n; i++) {
        /* Jinja2: a batch is full when it has exactly linecount items (an
         * empty one for 0, never for a fraction); Nunjucks starts one at
         * every i % linecount == 0 */
        int full = cur && (r->nunjucks ? fmod((double)i, cnt) == 0 : (double)cur->n == cnt);
        if (full) {
            if (jl_push(r, res, jv_list_of(cur, 0)))
                return jn_oom(r, site);
            cur = NULL;
        }
        if (!cur && !(cur = jl_new(r, 4)))
            return jn_oom(r, site);
        if (jl_push(r, cur, l->v[i]))
            return jn_oom(r, site);
    }
    if (cur && cur->n) {
        if (fill && cnt > 1000000)
            return jn_fail(r, site, SL_ELIMIT, "batch: %.0f items is too large (at most 1000000)",
                           cnt);
        if (fill && !r->nunjucks && (double)cur->n < cnt && cnt != floor(cnt))
            return jn_fail(r, site, SL_EINVAL,
                           "can't multiply sequence by non-int of type 'float'");
        for (size_t i = cur->n; fill && (double)i < cnt; i++)
            if (jl_push(r, cur, *fill))
                return jn_oom(r, site);
        if (jl_push(r, res, jv_list_of(cur, 0)))
            return jn_oom(r, site);
    }
    *out = jv_list_of(res, r->nunjucks ? 0 : JN_GEN); /* Jinja2 returns a generator */
    return 0;
}

/* Nunjucks object keys that are array indices come first, ascending. */
static int js_index_key(const jv *k, double *idx)
{
    if (k->t != JV_STR || !k->n || k->n > 10 || (k->n > 1 && k->u.s[0] == '0'))
        return 0;
    *idx = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (k->u.s[i] < '0' || k->u.s[i] > '9')
            return 0;
        *idx = *idx * 10 + (k->u.s[i] - '0');
    }
    return *idx < 4294967295.0;
}

/* Nunjucks lib.groupBy: an object keyed by String(attribute value). */
static int nj_groupby(jn_render *r, const jnode *site, jlist *l, const jv *attr, jv *out)
{
    jdict *d = jd_new(r, 4);
    jlist *keys, *groups;
    int rc;

    if (!d || !(keys = jl_new(r, 4)) || !(groups = jl_new(r, 4)))
        return jn_oom(r, site);
    for (size_t i = 0; i < l->n; i++) {
        jv k, ks;
        size_t g;
        if ((rc = attr_of(r, site, &l->v[i], attr, &k)))
            return rc;
        if (k.t == JV_UNDEF)
            return jn_fail(r, site, SL_EINVAL, "groupby: attribute resolved to undefined");
        if (k.t == JV_NONE)
            ks = jv_str("null", 4);
        else if ((rc = jv_tostr(r, site, &k, &ks)))
            return rc;
        for (g = 0; g < keys->n; g++)
            if (keys->v[g].n == ks.n && !memcmp(keys->v[g].u.s, ks.u.s, ks.n))
                break;
        if (g == keys->n) {
            jlist *nl = jl_new(r, 2);
            if (!nl || jl_push(r, keys, ks) || jl_push(r, groups, jv_list_of(nl, 0)))
                return jn_oom(r, site);
        }
        if (jl_push(r, groups->v[g].u.l, l->v[i]))
            return jn_oom(r, site);
    }
    /* integer-like keys first, ascending (JavaScript's property order) */
    for (int pass = 0; pass < 2; pass++) {
        for (;;) {
            size_t best = keys->n;
            double bi = 0, x;
            for (size_t g = 0; g < keys->n; g++) {
                if (keys->v[g].t != JV_STR)
                    continue; /* taken */
                int isidx = js_index_key(&keys->v[g], &x);
                if (pass == 0 ? isidx && (best == keys->n || x < bi) : !isidx) {
                    best = g;
                    bi = x;
                    if (pass)
                        break;
                }
            }
            if (best == keys->n)
                break;
            if (jd_set(r, d, keys->v[best], groups->v[best]))
                return jn_oom(r, site);
            keys->v[best].t = JV_NONE;
        }
    }
    memset(out, 0, sizeof(*out));
    out->t = JV_DICT;
    out->u.d = d;
    return 0;
}

static int f_groupby(FARGS)
{
    const jv *attr = ARG(0, "attribute"), *dflt = ARG(1, "default"),
             *cs = ARG(2, "case_sensitive");
    jlist *l, *res;
    sortitem *items, *tmp;
    jv *orig;
    sortctx c = {r, 0, 0, 0};
    int rc;

    if (!attr)
        return jn_fail(r, site, SL_EINVAL, "groupby needs an attribute");
    if (r->nunjucks && !jv_is_seq(v) && v->t != JV_STR)
        return jn_fail(r, site, SL_EINVAL, "groupby: expected an array, got %s",
                       jv_typename(r, v));
    if ((rc = jv_to_list(r, site, v, &l)))
        return rc;
    if (r->nunjucks)
        return nj_groupby(r, site, l, attr, out);
    items = jn_alloc(r->ar, (l->n + 1) * sizeof(*items));
    tmp = jn_alloc(r->ar, (l->n + 1) * sizeof(*items));
    orig = jn_alloc(r->ar, (l->n + 1) * sizeof(*orig));
    if (!items || !tmp || !orig || !(res = jl_new(r, 4)))
        return jn_oom(r, site);
    for (size_t i = 0; i < l->n; i++) {
        jv k;
        if ((rc = attr_of(r, site, &l->v[i], attr, &k)))
            return rc;
        if (k.t == JV_UNDEF && dflt && dflt->t != JV_NONE)
            k = *dflt;
        if (k.t == JV_UNDEF) {
            jv an;
            if ((rc = jv_tostr(r, site, attr, &an)))
                return rc;
            return jn_fail(r, site, SL_EINVAL, "groupby: an item has no attribute '%.*s'",
                           (int)(an.n > 60 ? 60 : an.n), an.u.s);
        }
        /* the value is kept with its unfolded key: pairs of (key, item) */
        orig[i] = k;
        items[i].val = jv_int(r, (int64_t)i);
        items[i].key = k;
        if (!truthy_arg(r, cs) && (rc = fold_key(r, site, &k, 0, &items[i].key)))
            return rc;
    }
    merge_sort(items, tmp, l->n, &c);
    if (c.bad)
        return jn_fail(r, site, SL_EINVAL, "groupby: values of different types cannot be compared");
    for (size_t i = 0; i < l->n;) {
        size_t j = i;
        jlist *grp = jl_new(r, 4), *pair = jl_new(r, 2);
        if (!grp || !pair)
            return jn_oom(r, site);
        while (j < l->n && jv_equal(r, &items[j].key, &items[i].key)) {
            if (jl_push(r, grp, l->v[items[j].val.u.i]))
                return jn_oom(r, site);
            j++;
        }
        /* the group's key as its first item has it */
        pair->v[0] = truthy_arg(r, cs) ? items[i].key : orig[items[i].val.u.i];
        pair->v[1] = jv_list_of(grp, 0);
        pair->n = 2;
        if (jl_push(r, res, jv_list_of(pair, 2 | 4)))
            return jn_oom(r, site);
        i = j;
    }
    *out = jv_list_of(res, 0);
    return 0;
}

/* select / reject: by a test (name and arguments), or by truthiness. */
static int sel_test(FARGS, int want)
{
    const jn_test *t = NULL;
    jlist *l, *res;
    int rc;

    if (r->nunjucks && (v->t == JV_UNDEF || v->t == JV_NONE))
        return jn_fail(r, site, SL_EINVAL, "%s: expected an array, got %s",
                       want ? "select" : "reject", jv_typename(r, v));
    if (r->nunjucks && !jv_is_seq(v) && v->t != JV_STR) {
        /* lib.toArray(): no length, no items */
        if (!(l = jl_new(r, 1)))
            return jn_oom(r, site);
    } else if ((rc = gen_input(r, site, v, &l))) {
        return rc;
    }
    if (argc > 0 && !(r->nunjucks && argv[0].t == JV_UNDEF)) {
        char buf[64];
        if ((rc = test_named(r, site, &argv[0], buf, &t)))
            return rc;
        /* Jinja2 looks the test up per item, Nunjucks before the first */
        if (!t && (l->n || r->nunjucks))
            return jn_fail(r, site, SL_EINVAL, "no test named '%s'", buf);
    } else if (r->nunjucks) {
        t = jn_test_find("truthy", 1);
    }
    if (!(res = jl_new(r, l->n)))
        return jn_oom(r, site);
    for (size_t i = 0; i < l->n; i++) {
        int ok;
        if (t) {
            /* Nunjucks passes the test one argument after the item */
            int n = argc > 1 ? (r->nunjucks ? 1 : argc - 1) : 0;
            if (l->v[i].t == JV_UNDEF && !t->lazy_undef && !r->nunjucks)
                return jn_undef_fail(r, &l->v[i]);
            if ((rc = t->fn(r, site, &l->v[i], n, argv + 1, &ok)))
                return rc;
        } else {
            if (l->v[i].t == JV_UNDEF)
                return jn_undef_fail(r, &l->v[i]);
            ok = jv_truthy(r, &l->v[i]);
        }
        if (!!ok == want)
            res->v[res->n++] = l->v[i];
    }
    *out = jv_list_of(res, r->nunjucks ? 0 : JN_GEN); /* Jinja2 returns a generator */
    return 0;
}

static int f_select(FARGS)
{
    return sel_test(r, site, v, argc, argv, kwc, kwn, kwv, out, 1);
}

static int f_reject(FARGS)
{
    return sel_test(r, site, v, argc, argv, kwc, kwn, kwv, out, 0);
}

/* Jinja2 3.1 items: (key, value) tuples of a mapping; nothing for undefined. */
static int f_items(FARGS)
{
    size_t n;
    jlist *res;

    (void)argc, (void)argv, (void)kwc, (void)kwn, (void)kwv;
    if (v->t == JV_UNDEF)
        n = 0;
    else if (!jv_is_map(v))
        return jn_fail(r, site, SL_EINVAL, "Can only get item pairs from a mapping.");
    else
        n = jv_map_n(v);
    if (!(res = jl_new(r, n)))
        return jn_oom(r, site);
    for (size_t i = 0; i < n; i++) {
        jlist *pair = jl_new(r, 2);
        if (!pair)
            return jn_oom(r, site);
        jv_map_at(r, v, i, &pair->v[0], &pair->v[1]);
        pair->n = 2;
        res->v[res->n++] = jv_list_of(pair, 2);
    }
    *out = jv_list_of(res, r->nunjucks ? 0 : JN_GEN); /* Jinja2 returns a generator */
    return 0;
}

/* Jinja2 attr: an attribute, never an item (a dict's keys are items):
 * the methods of strings and dicts, else undefined. */
static int f_attr(FARGS)
{
    const jv *name = ARG(0, "name");
    char buf[64];
    jv nm;
    int rc;

    if (!name)
        return jn_fail(r, site, SL_EINVAL, "attr needs an attribute name");
    if ((rc = jv_tostr(r, site, name, &nm)))
        return rc;
    snprintf(buf, sizeof(buf), "%.*s", (int)(nm.n < 63 ? nm.n : 63), nm.u.s);
    if (nm.n < 63 && jn_method(r, site, v, buf, out))
        return 0;
    memset(out, 0, sizeof(*out));
    out->u.node = site;
    return 0;
}

/* ---- strings: format, escape, safe, striptags, wordwrap, filesizeformat ---- */

static size_t u8_cps(const char *s, size_t n);

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* Python printf-style formatting (str % args) of one conversion: the
 * numeric conversions go to snprintf with a spec built from the parsed
 * flags (only "-+ #0", width and precision reach it). */
static int pct_one(jn_render *r, const jnode *site, sl_buf *b, const char *flags, int width,
                   int prec, char conv, const jv *a)
{
    char fmt[32], num[64];
    double d;
    int rc;

    switch (conv) {
    case 's':
    case 'r':
    case 'a': {
        jv s;
        sl_buf tmp = SL_BUF_INIT;
        size_t cps = 0, keep;
        int left = strchr(flags, '-') != NULL;
        if (conv == 's') {
            if ((rc = jv_tostr(r, site, a, &s)))
                return rc;
        } else {
            if ((rc = jv_repr(r, site, a, &tmp))) {
                sl_buf_free(&tmp);
                return rc;
            }
            if ((rc = str_result(r, site, &tmp, &s)))
                return rc;
        }
        keep = s.n;
        for (size_t i = 0; i < s.n; i++) {
            if (((unsigned char)s.u.s[i] & 0xc0) == 0x80)
                continue;
            if (prec >= 0 && cps == (size_t)prec) {
                keep = i;
                break;
            }
            cps++;
        }
        for (int i = (int)cps; !left && i < width; i++)
            if (sl_buf_putc(b, ' '))
                return jn_oom(r, site);
        if (sl_buf_put(b, s.u.s, keep))
            return jn_oom(r, site);
        for (int i = (int)cps; left && i < width; i++)
            if (sl_buf_putc(b, ' '))
                return jn_oom(r, site);
        return 0;
    }
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o':
    case 'c': {
        long long i;
        if (a->t == JV_INT)
            i = a->u.i;
        else if (a->t == JV_BOOL)
            i = a->u.b;
        else if (a->t == JV_FLOAT && (conv == 'd' || conv == 'i' || conv == 'u') &&
                 isfinite(a->u.f) && fabs(a->u.f) < 9e18)
            i = (long long)a->u.f;
        else if (conv == 'c' && a->t == JV_STR) {
            if (u8_cps(a->u.s, a->n) != 1)
                return jn_fail(r, site, SL_EINVAL, "%%c requires int or char");
            return pct_one(r, site, b, flags, width, -1, 's', a);
        } else
            return jn_fail(r, site, SL_EINVAL, "%%%c format: %s is required, not %s", conv,
                           conv == 'd' || conv == 'i' || conv == 'u' ? "a real number"
                                                                      : "an integer",
                           jv_typename(r, a));
        if (conv == 'c') {
            sl_buf cb = SL_BUF_INIT;
            jv cs;
            if (i < 0 || i > 0x10ffff)
                return jn_fail(r, site, SL_EINVAL, "%%c arg not in range(0x110000)");
            if (put_cp(&cb, (unsigned)i)) {
                sl_buf_free(&cb);
                return jn_oom(r, site);
            }
            if ((rc = str_result(r, site, &cb, &cs)))
                return rc;
            return pct_one(r, site, b, flags, width, -1, 's', &cs);
        }
        if (conv == 'u' || conv == 'i')
            conv = 'd';
        {
            /* Python: the digits (at least prec of them), the alternate
             * form's 0x/0X/0o, the sign, then the width: zeros after the
             * sign and prefix with the 0 flag, else spaces */
            unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;
            unsigned base = conv == 'd' ? 10 : conv == 'o' ? 8 : 16;
            const char *dig = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            char pre[4] = "";
            size_t nd = 0, len, pad;
            int left = strchr(flags, '-') != NULL, zero = !left && strchr(flags, '0');
            do {
                num[sizeof(num) - 1 - nd++] = dig[u % base];
                u /= base;
            } while (u && nd < sizeof(num) - 1);
            if (i < 0)
                strcat(pre, "-");
            else if (strchr(flags, '+'))
                strcat(pre, "+");
            else if (strchr(flags, ' '))
                strcat(pre, " ");
            if (strchr(flags, '#') && base != 10)
                strcat(pre, conv == 'X' ? "0X" : conv == 'x' ? "0x" : "0o");
            len = strlen(pre) + (prec > (int)nd ? (size_t)prec : nd);
            pad = width > (int)len ? (size_t)width - len : 0;
            rc = 0;
            for (size_t k = 0; !left && !zero && k < pad && !rc; k++)
                rc = sl_buf_putc(b, ' ');
            rc = rc || sl_buf_puts(b, pre);
            for (size_t k = 0; zero && k < pad && !rc; k++)
                rc = sl_buf_putc(b, '0');
            for (int k = (int)nd; k < prec && !rc; k++)
                rc = sl_buf_putc(b, '0');
            rc = rc || sl_buf_put(b, num + sizeof(num) - nd, nd);
            for (size_t k = 0; left && k < pad && !rc; k++)
                rc = sl_buf_putc(b, ' ');
            return rc ? jn_oom(r, site) : 0;
        }
    }
    default: /* e E f F g G */
        if (a->t == JV_STR || !jv_num(a, &d))
            return jn_fail(r, site, SL_EINVAL, "must be real number, not %s", jv_typename(r, a));
        /* width and precision written into the spec (sanitizers' printf
         * interceptors choke on some '*' forms) */
        snprintf(fmt, sizeof(fmt), "%%%s%d.%d%c", flags, width, prec < 0 ? 6 : prec, conv);
        return sl_buf_printf(b, fmt, d) ? jn_oom(r, site) : 0;
    }
}
#pragma GCC diagnostic pop

/* Jinja2 format: Python's value % args (or % kwargs for %(name)s). */
static int f_format(FARGS)
{
    jv s;
    sl_buf b = SL_BUF_INIT;
    int next = 0, rc, used_map = 0;

    if (argc && kwc)
        return jn_fail(r, site, SL_EINVAL,
                       "can't handle positional and keyword arguments at the same time");
    if ((rc = jv_tostr(r, site, v, &s)))
        return rc;
    for (size_t i = 0; i < s.n; i++) {
        char flags[8] = "";
        size_t nf = 0;
        int width = 0, prec = -1;
        const jv *a = NULL;
        if (s.u.s[i] != '%') {
            if (sl_buf_putc(&b, s.u.s[i]))
                goto oom;
            continue;
        }
        if (++i >= s.n) {
            rc = jn_fail(r, site, SL_EINVAL, "incomplete format");
            goto fail;
        }
        if (s.u.s[i] == '(') {
            const char *e = memchr(s.u.s + i, ')', s.n - i);
            size_t kn;
            if (!e) {
                rc = jn_fail(r, site, SL_EINVAL, "incomplete format key");
                goto fail;
            }
            if (!kwc) {
                rc = jn_fail(r, site, SL_EINVAL, "format requires a mapping");
                goto fail;
            }
            kn = (size_t)(e - s.u.s) - i - 1;
            for (int k = 0; k < kwc && !a; k++)
                if (strlen(kwn[k]) == kn && !memcmp(kwn[k], s.u.s + i + 1, kn))
                    a = &kwv[k];
            if (!a) {
                rc = jn_fail(r, site, SL_EINVAL, "format: no argument named '%.*s'", (int)kn,
                             s.u.s + i + 1);
                goto fail;
            }
            used_map = 1;
            i = (size_t)(e - s.u.s) + 1;
        }
        while (i < s.n && strchr("-+ #0", s.u.s[i]) && s.u.s[i]) {
            if (nf < 6 && !strchr(flags, s.u.s[i])) {
                flags[nf++] = s.u.s[i];
                flags[nf] = 0;
            }
            i++;
        }
        for (; i < s.n && isdigit((unsigned char)s.u.s[i]); i++)
            width = width > 100000 ? width : width * 10 + (s.u.s[i] - '0');
        if (i < s.n && s.u.s[i] == '.') {
            prec = 0;
            for (i++; i < s.n && isdigit((unsigned char)s.u.s[i]); i++)
                prec = prec > 100000 ? prec : prec * 10 + (s.u.s[i] - '0');
        }
        if (i >= s.n) {
            rc = jn_fail(r, site, SL_EINVAL, "incomplete format");
            goto fail;
        }
        if (s.u.s[i] == '%') {
            /* only a bare %% is a percent sign */
            if (nf || width || prec >= 0 || a || s.u.s[i - 1] != '%') {
                rc = jn_fail(r, site, SL_EINVAL, "unsupported format character '%%' (0x25)");
                goto fail;
            }
            if (sl_buf_putc(&b, '%'))
                goto oom;
            continue;
        }
        if (!s.u.s[i] || !strchr("sradiuxXoceEfFgG", s.u.s[i])) {
            rc = jn_fail(r, site, SL_EINVAL, "unsupported format character '%c' (0x%x)",
                         s.u.s[i], (unsigned char)s.u.s[i]);
            goto fail;
        }
        if (width > 10000 || prec > 10000) {
            rc = jn_fail(r, site, SL_ELIMIT, "format: width or precision too large");
            goto fail;
        }
        if (!a) {
            if (kwc) {
                rc = jn_fail(r, site, SL_EINVAL, "format requires a mapping");
                goto fail;
            }
            if (next >= argc) {
                rc = jn_fail(r, site, SL_EINVAL, "not enough arguments for format string");
                goto fail;
            }
            a = &argv[next++];
        }
        if ((rc = pct_one(r, site, &b, flags, width, prec, s.u.s[i], a)))
            goto fail;
    }
    if (next < argc && !used_map) {
        rc = jn_fail(r, site, SL_EINVAL, "not all arguments converted during string formatting");
        goto fail;
    }
    return str_result(r, site, &b, out);
oom:
    rc = jn_oom(r, site);
fail:
    sl_buf_free(&b);
    return rc;
}

static int f_escape(FARGS)
{
    jv s;
    sl_buf b = SL_BUF_INIT;
    int rc;

    (void)argc, (void)argv, (void)kwc, (void)kwn, (void)kwv;
    if (v->t == JV_STR && (v->ns & JN_SAFE)) {
        *out = *v;
        return 0;
    }
    if (r->nunjucks && (v->t == JV_UNDEF || v->t == JV_NONE))
        s = jv_str("", 0);
    else if ((rc = jv_tostr(r, site, v, &s)))
        return rc;
    for (size_t i = 0; i < s.n; i++) {
        const char *e = NULL;
        switch (s.u.s[i]) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = r->nunjucks ? "&quot;" : "&#34;"; break;
        case '\'': e = "&#39;"; break;
        case '\\': e = r->nunjucks ? "&#92;" : NULL; break;
        }
        if (e ? sl_buf_puts(&b, e) : sl_buf_putc(&b, s.u.s[i])) {
            sl_buf_free(&b);
            return jn_oom(r, site);
        }
    }
    if ((rc = str_result(r, site, &b, out)))
        return rc;
    out->ns = JN_SAFE;
    return 0;
}

static int f_safe(FARGS)
{
    int rc;

    (void)argc, (void)argv, (void)kwc, (void)kwn, (void)kwv;
    if (r->nunjucks && (v->t == JV_UNDEF || v->t == JV_NONE))
        *out = jv_str("", 0);
    else if ((rc = jv_tostr(r, site, v, out)))
        return rc;
    out->ns = JN_SAFE;
    return 0;
}

/* Python str.split() / JavaScript \s whitespace (ASCII). */
static int ws_byte(unsigned char c, int nj)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (!nj && c >= 0x1c && c <= 0x1f);
}

/* Nunjucks striptags(s, true) after the trim: the regular expressions
 * /^ +| +$/gm -> '', / +/g -> ' ', \r\n -> \n, \n\n\n+ -> \n\n in turn. */
static int nj_keep_lines(sl_buf *b, const char *p, size_t n)
{
    sl_buf a = SL_BUF_INIT, c = SL_BUF_INIT;
    int rc = -1;

    for (size_t i = 0; i < n;) {
        size_t e = i, x, z;
        while (e < n && p[e] != '\n' && p[e] != '\r')
            e++;
        for (x = i; x < e && p[x] == ' ';)
            x++;
        for (z = e; z > x && p[z - 1] == ' ';)
            z--;
        if (sl_buf_put(&a, p + x, z - x) || (e < n && sl_buf_putc(&a, p[e])))
            goto out;
        i = e + 1;
        if (e == n)
            break;
    }
    for (size_t i = 0; i < a.len; i++) {
        const char *q = a.ptr;
        if (q[i] == ' ' && i && q[i - 1] == ' ')
            continue;
        if (q[i] == '\r' && i + 1 < a.len && q[i + 1] == '\n')
            continue;
        if (sl_buf_putc(&c, q[i]))
            goto out;
    }
    for (size_t i = 0; i < c.len; i++) {
        size_t k = i;
        while (k < c.len && c.ptr[k] == '\n')
            k++;
        if (k - i >= 3) {
            if (sl_buf_puts(b, "\n\n"))
                goto out;
            i = k - 1;
        } else if (sl_buf_putc(b, c.ptr[i])) {
            goto out;
        }
    }
    rc = 0;
out:
    sl_buf_free(&a);
    sl_buf_free(&c);
    return rc;
}

/* The HTML entities striptags decodes (Python html.unescape has all of
 * HTML5's; these are the common ones). */
static const struct {
    const char *name;
    unsigned cp;
} entities[] = {
    {"amp", '&'},     {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
    {"apos", '\''},   {"nbsp", 0xa0},    {"copy", 0xa9},    {"reg", 0xae},
    {"laquo", 0xab},  {"raquo", 0xbb},   {"hellip", 0x2026}, {"mdash", 0x2014},
    {"ndash", 0x2013}, {"trade", 0x2122}, {"middot", 0xb7},  {"bull", 0x2022},
};

static int unescape_html(sl_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *semi;
        if (s[i] != '&' || !(semi = memchr(s + i, ';', n - i)) || semi - (s + i) > 12) {
            if (sl_buf_putc(b, s[i]))
                return -1;
            continue;
        }
        size_t en = (size_t)(semi - (s + i)) - 1;
        const char *e = s + i + 1;
        long cp = -1;
        if (en >= 2 && e[0] == '#') {
            char buf[16], *end;
            int hex = e[1] == 'x' || e[1] == 'X';
            snprintf(buf, sizeof(buf), "%.*s", (int)en - 1 - hex, e + 1 + hex);
            if (buf[0] && isxdigit((unsigned char)buf[0])) {
                cp = strtol(buf, &end, hex ? 16 : 10);
                if (*end || (!hex && !isdigit((unsigned char)buf[0])))
                    cp = -1;
                else if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                    cp = 0xfffd;
            }
        } else {
            for (size_t k = 0; k < sizeof(entities) / sizeof(entities[0]); k++)
                if (strlen(entities[k].name) == en && !memcmp(entities[k].name, e, en))
                    cp = entities[k].cp;
        }
        if (cp < 0) {
            if (sl_buf_putc(b, s[i]))
                return -1;
            continue;
        }
        if (put_cp(b, (unsigned)cp))
            return -1;
        i = (size_t)(semi - s);
    }
    return 0;
}

/* Jinja2 (markupsafe): drop <!--...--> and <...>, squash whitespace to one
 * space, decode entities. Nunjucks: drop <tag ...> and comments, trim,
 * squash whitespace (or with preserve_linebreaks keep line breaks). */
static int f_striptags(FARGS)
{
    const jv *keepnl = ARG(0, NULL);
    jv s;
    sl_buf t = SL_BUF_INIT, b = SL_BUF_INIT;
    int rc = 0;

    if (r->nunjucks && v->t != JV_STR && v->t != JV_UNDEF && v->t != JV_NONE &&
        !(v->t == JV_BOOL && !v->u.b))
        return jn_fail(r, site, SL_EINVAL, "striptags: expected a string, got %s",
                       jv_typename(r, v));
    if ((rc = in_str(r, site, v, &s)))
        return rc;
    for (size_t i = 0; i < s.n; i++) {
        const char *p = s.u.s + i, *e = NULL;
        if (*p == '<') {
            if (i + 4 <= s.n && !memcmp(p, "<!--", 4)) {
                /* a comment up to the first --> */
                for (size_t j = i + 4; j + 3 <= s.n && !e; j++)
                    if (!memcmp(s.u.s + j, "-->", 3))
                        e = s.u.s + j + 2;
            }
            if (!e && !r->nunjucks) {
                e = memchr(p, '>', s.n - i);
            } else if (!e) {
                size_t j = i + 1;
                if (j < s.n && s.u.s[j] == '/')
                    j++;
                if (j < s.n && isalpha((unsigned char)s.u.s[j])) {
                    while (j < s.n && isalnum((unsigned char)s.u.s[j]))
                        j++;
                    if (j == s.n || !(isalnum((unsigned char)s.u.s[j]) || s.u.s[j] == '_'))
                        e = memchr(s.u.s + j, '>', s.n - j);
                }
            }
        }
        if (e) {
            i = (size_t)(e - s.u.s);
            continue;
        }
        if (sl_buf_putc(&t, *p))
            goto oom;
    }
    {
        const char *p = t.ptr ? t.ptr : "";
        size_t n = t.len, st = 0;
        int keep = r->nunjucks && truthy_arg(r, keepnl);
        while (st < n && ws_byte((unsigned char)p[st], r->nunjucks))
            st++;
        while (n > st && ws_byte((unsigned char)p[n - 1], r->nunjucks))
            n--;
        if (!keep) {
            sl_buf sq = SL_BUF_INIT;
            for (size_t i = st; i < n; i++) {
                if (ws_byte((unsigned char)p[i], r->nunjucks)) {
                    while (i + 1 < n && ws_byte((unsigned char)p[i + 1], r->nunjucks))
                        i++;
                    if (sl_buf_putc(&sq, ' ')) {
                        sl_buf_free(&sq);
                        goto oom;
                    }
                } else if (sl_buf_putc(&sq, p[i])) {
                    sl_buf_free(&sq);
                    goto oom;
                }
            }
            if (r->nunjucks ? sl_buf_put(&b, sq.ptr ? sq.ptr : "", sq.len)
                            : unescape_html(&b, sq.ptr ? sq.ptr : "", sq.len)) {
                sl_buf_free(&sq);
                goto oom;
            }
            sl_buf_free(&sq);
        } else if (nj_keep_lines(&b, p + st, n - st)) {
            goto oom;
        }
    }
    sl_buf_free(&t);
    return str_result(r, site, &b, out);
oom:
    sl_buf_free(&t);
    sl_buf_free(&b);
    return jn_oom(r, site);
}

/* ---- wordwrap: Python textwrap.wrap per line, as Jinja2 calls it ---- */

typedef struct wchunk {
    size_t at, n; /* code points */
} wchunk;

static size_t u8_cps(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/* Python's \w for a code point: ASCII letters, digits and _, and the
 * letters of the Latin, Greek, Cyrillic, kana, CJK and Hangul blocks. */
static int tw_alnum(uint32_t u)
{
    if (u < 0x80)
        return isalnum((int)u) || u == '_';
    return u == 0xaa || u == 0xb5 || u == 0xba || (u >= 0xc0 && u <= 0x2af && u != 0xd7 && u != 0xf7) ||
           (u >= 0x370 && u <= 0x52f && u != 0x37e && u != 0x387) || (u >= 0x3040 && u <= 0x30ff) ||
           (u >= 0x4e00 && u <= 0x9fff) || (u >= 0xac00 && u <= 0xd7af);
}

static int tw_ws(const uint32_t *c, size_t n, long i) /* textwrap's whitespace */
{
    return i >= 0 && (size_t)i < n && (c[i] == ' ' || (c[i] >= '\t' && c[i] <= '\r'));
}

static int tw_word(const uint32_t *c, size_t n, long i) /* \w */
{
    return i >= 0 && (size_t)i < n && tw_alnum(c[i]);
}

static int tw_letter(const uint32_t *c, size_t n, long i) /* [^\d\W] */
{
    return tw_word(c, n, i) && !(c[i] >= '0' && c[i] <= '9');
}

static int tw_wp(const uint32_t *c, size_t n, long i) /* [\w!"'&.,?] */
{
    return tw_word(c, n, i) || (i >= 0 && (size_t)i < n && c[i] && c[i] < 0x80 &&
                                strchr("!\"'&.,?", (int)c[i]));
}

/* textwrap's wordsep_re (break_on_hyphens) or wordsep_simple_re over code
 * points: the end of the chunk that starts at i. */
static size_t tw_chunk_end(const uint32_t *c, size_t n, size_t i, int hyphens)
{
    size_t j;

    if (tw_ws(c, n, (long)i)) {
        while (tw_ws(c, n, (long)i))
            i++;
        return i;
    }
    if (!hyphens) {
        while (i < n && !tw_ws(c, n, (long)i))
            i++;
        return i;
    }
    if (c[i] == '-' && tw_wp(c, n, (long)i - 1)) {
        /* an em-dash between words: -{2,} followed by \w */
        j = i;
        while (j < n && c[j] == '-')
            j++;
        if (j - i >= 2 && tw_word(c, n, (long)j))
            return j;
    }
    for (j = i + 1; j <= n; j++) {
        long h = (long)j;
        /* a hyphenated word: ...ab-|cd or a-b-|cd */
        if (j < n && c[j] == '-' &&
            ((tw_letter(c, n, h - 1) && tw_letter(c, n, h - 2)) ||
             (tw_letter(c, n, h - 1) && h >= 3 && c[h - 2] == '-' && tw_letter(c, n, h - 3))) &&
            tw_letter(c, n, h + 1) &&
            (tw_letter(c, n, h + 2) || (h + 3 < (long)n && c[h + 2] == '-' && tw_letter(c, n, h + 3))))
            return j + 1;
        if (j == n || tw_ws(c, n, h))
            return j;
        if (tw_wp(c, n, h - 1) && c[j] == '-' && j + 1 < n && c[j + 1] == '-') {
            size_t k = j;
            while (k < n && c[k] == '-')
                k++;
            if (tw_word(c, n, (long)k))
                return j;
        }
    }
    return n;
}

/* Wrap one line (no line breaks in it) into b, lines joined by wrap:
 * textwrap's _wrap_chunks over the line's code points. */
static int tw_wrap(jn_render *r, const char *s, size_t n, size_t width, int breaklong,
                   int hyphens, const jv *wrap, sl_buf *b)
{
    uint32_t *c = jn_alloc(r->ar, (n + 1) * sizeof(*c));
    size_t *off = jn_alloc(r->ar, (n + 1) * sizeof(*off));
    wchunk *ch = jn_alloc(r->ar, (n + 1) * sizeof(*ch));
    size_t ncp = 0, nc = 0, k = 0;
    int lines = 0;

    if (!c || !off || !ch)
        return -1;
    for (size_t i = 0; i < n; ncp++) {
        unsigned char x = (unsigned char)s[i];
        size_t len = x < 0x80 ? 1 : x >= 0xf0 ? 4 : x >= 0xe0 ? 3 : x >= 0xc0 ? 2 : 1;
        uint32_t u = len == 1 ? x : x & (0x3f >> (len - 1));
        if (i + len > n)
            len = n - i;
        for (size_t q = 1; q < len; q++)
            u = (u << 6) | ((unsigned char)s[i + q] & 0x3f);
        off[ncp] = i;
        c[ncp] = u;
        i += len;
    }
    off[ncp] = n;
    /* chunks: at = first code point, n = code points */
    for (size_t i = 0; i < ncp;) {
        size_t e = tw_chunk_end(c, ncp, i, hyphens);
        ch[nc].at = i;
        ch[nc++].n = e - i;
        i = e;
    }
    while (k < nc) {
        size_t cur = 0, first = k, last, cut_at = 0, cut_n = 0;
        int empty_cut = 0, has_cut = 0;
        if (lines && tw_ws(c, ncp, (long)ch[k].at)) {
            k++; /* drop_whitespace: at the start of a line but the first */
            if (k == nc)
                break;
            first = k;
        }
        while (k < nc && cur + ch[k].n <= width)
            cur += ch[k++].n;
        if (k < nc && ch[k].n > width) {
            /* _handle_long_word */
            size_t left = width - cur;
            if (breaklong) {
                size_t end = left;
                const uint32_t *w = c + ch[k].at;
                if (hyphens && ch[k].n > left) {
                    /* after the last '-' before the limit, unless only dashes precede it */
                    for (size_t q = left; q-- > 0;) {
                        if (w[q] == '-') {
                            size_t z;
                            for (z = 0; z < q && w[z] == '-'; z++)
                                ;
                            if (q > 0 && z < q)
                                end = q + 1;
                            break;
                        }
                    }
                }
                has_cut = 1;
                empty_cut = end == 0;
                cut_at = ch[k].at;
                cut_n = end;
                ch[k].at += end;
                ch[k].n -= end;
            } else if (k == first) {
                k++;
            }
        }
        last = k;
        /* drop_whitespace: the line's last piece when it is blank (an empty
         * piece of a long word counts as blank) */
        if (has_cut) {
            if (empty_cut || tw_ws(c, ncp, (long)cut_at))
                cut_n = 0;
        } else if (last > first && tw_ws(c, ncp, (long)ch[last - 1].at)) {
            last--;
        }
        if (last > first || cut_n) {
            size_t from = last > first ? ch[first].at : cut_at;
            size_t to = cut_n ? cut_at + cut_n : ch[last - 1].at + ch[last - 1].n;
            if (lines && sl_buf_put(b, wrap->u.s, wrap->n))
                return -1;
            if (sl_buf_put(b, s + off[from], off[to] - off[from]))
                return -1;
            lines++;
        }
    }
    return 0;
}

static int f_wordwrap(FARGS)
{
    const jv *wv = ARG(0, "width"), *bl = ARG(1, "break_long_words"), *ws = ARG(2, "wrapstring"),
             *bh = ARG(3, "break_on_hyphens");
    double w = 79;
    jv wrap = jv_str("\n", 1);
    sl_buf b = SL_BUF_INIT;
    int rc, lines = 0;

    if (v->t != JV_STR)
        return jn_fail(r, site, SL_EINVAL, "wordwrap: expected a string, got %s",
                       jv_typename(r, v));
    if (wv && (!jv_num(wv, &w) || wv->t == JV_FLOAT))
        return jn_fail(r, site, SL_EINVAL, "wordwrap: the width must be an integer");
    if (w <= 0)
        return jn_fail(r, site, SL_EINVAL, "invalid width %.0f (must be > 0)", w);
    if (ws && ws->t != JV_NONE && (rc = jv_tostr(r, site, ws, &wrap)))
        return rc;
    for (size_t i = 0; i < v->n;) {
        /* str.splitlines(): \n \r \r\n \v \f \x1c-\x1e \x85 \u2028 \u2029 */
        size_t e = i, next;
        const char *s = v->u.s;
        for (;;) {
            if (e >= v->n) {
                next = e;
                break;
            }
            unsigned char c = (unsigned char)s[e];
            if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e)) {
                next = e + 1;
                break;
            }
            if (c == '\r') {
                next = e + 1 + (e + 1 < v->n && s[e + 1] == '\n');
                break;
            }
            if (c == 0xc2 && e + 1 < v->n && (unsigned char)s[e + 1] == 0x85) {
                next = e + 2;
                break;
            }
            if (c == 0xe2 && e + 2 < v->n && (unsigned char)s[e + 1] == 0x80 &&
                ((unsigned char)s[e + 2] == 0xa8 || (unsigned char)s[e + 2] == 0xa9)) {
                next = e + 3;
                break;
            }
            e++;
        }
        if ((lines++ && sl_buf_put(&b, wrap.u.s, wrap.n)) ||
            tw_wrap(r, s + i, e - i, (size_t)w, !bl || jv_truthy(r, bl), !bh || jv_truthy(r, bh),
                    &wrap, &b)) {
            sl_buf_free(&b);
            return jn_oom(r, site);
        }
        i = next;
    }
    return str_result(r, site, &b, out);
}

static int f_filesizeformat(FARGS)
{
    const jv *bin = ARG(0, "binary");
    static const char *const dec[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    static const char *const iec[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
    int binary = truthy_arg(r, bin);
    double bytes, base = binary ? 1024 : 1000, unit = base;
    char buf[64];
    size_t i;

    if (v->t == JV_STR) {
        if (!py_parse_float(v->u.s, v->n, &bytes))
            return jn_fail(r, site, SL_EINVAL, "could not convert string to float: '%.*s'",
                           (int)(v->n > 40 ? 40 : v->n), v->u.s);
    } else if (!jv_num(v, &bytes)) {
        return jn_fail(r, site, SL_EINVAL, "filesizeformat: expected a number, got %s",
                       jv_typename(r, v));
    }
    if (bytes == 1) {
        *out = jv_str("1 Byte", 6);
        return 0;
    }
    if (bytes < base) {
        if (!isfinite(bytes) || fabs(bytes) > 9e18)
            return jn_fail(r, site, SL_EINVAL, "filesizeformat: number out of range");
        snprintf(buf, sizeof(buf), "%lld Bytes", (long long)bytes);
    } else {
        for (i = 0; i < 8; i++) {
            unit *= base;
            if (bytes < unit)
                break;
        }
        if (i == 8)
            i = 7;
        snprintf(buf, sizeof(buf), "%.1f %s", base * bytes / unit, binary ? iec[i] : dec[i]);
    }
    {
        char *s = jn_strndup(r->ar, buf, strlen(buf));
        if (!s)
            return jn_oom(r, site);
        *out = jv_str(s, strlen(s));
    }
    return 0;
}

static const jn_filter filters[] = {
    {"abs", JN_J2 | JN_NJ, f_abs, 0},
    {"attr", JN_J2, f_attr, 0},
    {"b64encode", JN_J2 | JN_NJ, f_b64encode, 0},
    {"batch", JN_J2 | JN_NJ, f_batch, 0},
    {"capitalize", JN_J2 | JN_NJ, f_capitalize, 0},
    {"center", JN_J2 | JN_NJ, f_center, 0},
    {"count", JN_J2, f_length, 0},
    {"d", JN_J2 | JN_NJ, f_default, 1},
    {"default", JN_J2 | JN_NJ, f_default, 1},
    {"dictsort", JN_J2 | JN_NJ, f_dictsort, 0},
    {"dump", JN_NJ, f_dump, 0},
    {"e", JN_J2 | JN_NJ, f_escape, 0},
    {"escape", JN_J2 | JN_NJ, f_escape, 0},
    {"filesizeformat", JN_J2, f_filesizeformat, 0},
    {"first", JN_J2 | JN_NJ, f_first, 0},
    {"float", JN_J2 | JN_NJ, f_float, 0},
    {"format", JN_J2, f_format, 0},
    {"groupby", JN_J2 | JN_NJ, f_groupby, 0},
    {"indent", JN_J2 | JN_NJ, f_indent, 0},
    {"int", JN_J2 | JN_NJ, f_int, 0},
    {"items", JN_J2, f_items, 1},
    {"join", JN_J2 | JN_NJ, f_join, 0},
    {"jsonify", JN_J2, f_jsonify, 0},
    {"last", JN_J2 | JN_NJ, f_last, 0},
    {"length", JN_J2 | JN_NJ, f_length, 0},
    {"list", JN_J2 | JN_NJ, f_list, 0},
    {"lower", JN_J2 | JN_NJ, f_lower, 0},
    {"map", JN_J2, f_map, 0},
    {"max", JN_J2, f_max, 0},
    {"min", JN_J2, f_min, 0},
    {"parseEntityRef", JN_NJ, f_parse_entity_ref, 0},
    {"parseRepoUrl", JN_NJ, f_parse_repo_url, 0},
    {"pick", JN_NJ, f_pick, 1},
    {"projectSlug", JN_NJ, f_project_slug, 0},
    {"reject", JN_J2 | JN_NJ, f_reject, 0},
    {"rejectattr", JN_J2 | JN_NJ, f_rejectattr, 0},
    {"replace", JN_J2 | JN_NJ, f_replace, 0},
    {"reverse", JN_J2 | JN_NJ, f_reverse, 0},
    {"round", JN_J2 | JN_NJ, f_round, 0},
    {"safe", JN_J2 | JN_NJ, f_safe, 0},
    {"select", JN_J2 | JN_NJ, f_select, 0},
    {"selectattr", JN_J2 | JN_NJ, f_selectattr, 0},
    {"slugify", JN_J2, f_slugify, 0},
    {"sort", JN_J2 | JN_NJ, f_sort, 0},
    {"split", JN_J2 | JN_NJ, f_split, 0},
    {"string", JN_J2 | JN_NJ, f_string, 0},
    {"striptags", JN_J2 | JN_NJ, f_striptags, 0},
    {"sum", JN_J2, f_sum, 0},
    {"title", JN_J2 | JN_NJ, f_title, 0},
    {"tojson", JN_J2, f_tojson, 0},
    {"trim", JN_J2 | JN_NJ, f_trim, 0},
    {"truncate", JN_J2 | JN_NJ, f_truncate, 0},
    {"unique", JN_J2, f_unique, 0},
    {"upper", JN_J2 | JN_NJ, f_upper, 0},
    {"urlencode", JN_J2 | JN_NJ, f_urlencode, 0},
    {"wordcount", JN_J2 | JN_NJ, f_wordcount, 0},
    {"wordwrap", JN_J2, f_wordwrap, 0},
};

const jn_filter *jn_filter_find(const char *name, int nunjucks)
{
    int mask = nunjucks ? JN_NJ : JN_J2;
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
        if (!strcmp(filters[i].name, name) && (filters[i].dialects & mask))
            return &filters[i];
    return NULL;
}

/* ------------------------------------------------------------------ tests */

#define TARGS jn_render *r, const jnode *site, const jv *v, int argc, const jv *argv, int *out

static int t_defined(TARGS)
{
    *out = v->t != JV_UNDEF;
    return 0;
}

static int t_undefined(TARGS)
{
    *out = v->t == JV_UNDEF;
    return 0;
}

static int t_none(TARGS)
{
    *out = v->t == JV_NONE;
    return 0;
}

static int t_number(TARGS)
{
    *out = v->t == JV_INT || v->t == JV_FLOAT || (!r->nunjucks && v->t == JV_BOOL);
    return 0;
}

static int t_string(TARGS)
{
    *out = v->t == JV_STR;
    return 0;
}

static int num_arg(jn_render *r, const jnode *site, const jv *v, double *d)
{
    if (jv_num(v, d))
        return 0;
    if (r->nunjucks) {
        *d = jn_js_number(r, v);
        return 0;
    }
    return jn_fail(r, site, SL_EINVAL, "expected a number, got %s", jv_typename(r, v));
}

static int t_even(TARGS)
{
    double d;
    int rc = num_arg(r, site, v, &d);
    *out = !rc && fmod(d, 2) == 0;
    return rc;
}

static int t_odd(TARGS)
{
    double d;
    int rc = num_arg(r, site, v, &d);
    *out = !rc && fabs(fmod(d, 2)) == 1;
    return rc;
}

static int t_divisibleby(TARGS)
{
    double d, m;
    int rc;

    if (argc < 1)
        return jn_fail(r, site, SL_EINVAL, "divisibleby needs a number");
    if ((rc = num_arg(r, site, v, &d)) || (rc = num_arg(r, site, &argv[0], &m)))
        return rc;
    if (m == 0 && !r->nunjucks)
        return jn_fail(r, site, SL_EINVAL, "integer division or modulo by zero");
    *out = fmod(d, m) == 0;
    return 0;
}

static int t_sameas(TARGS)
{
    if (argc < 1)
        return jn_fail(r, site, SL_EINVAL, "sameas needs a value");
    const jv *o = &argv[0];
    if (v->t != o->t)
        *out = 0;
    else if (v->t == JV_NONE || v->t == JV_UNDEF)
        *out = 1;
    else if (v->t == JV_BOOL)
        *out = v->u.b == o->u.b;
    else if (r->nunjucks && (v->t == JV_FLOAT || v->t == JV_STR))
        *out = jv_equal(r, v, o);
    else if (v->t == JV_INT)
        *out = v->u.i == o->u.i && v->u.i >= -5 && v->u.i <= 256; /* CPython small ints */
    else if (v->t == JV_JSON)
        *out = v->u.j == o->u.j;
    else if (v->t == JV_STR)
        *out = v->u.s == o->u.s && v->n == o->n;
    else
        *out = v->u.l == o->u.l;
    return 0;
}

static int t_iterable(TARGS)
{
    if (r->nunjucks)
        *out = jv_is_seq(v) || v->t == JV_STR;
    else
        *out = jv_is_seq(v) || jv_is_map(v) || v->t == JV_STR;
    return 0;
}

static int t_mapping(TARGS)
{
    *out = jv_is_map(v);
    return 0;
}

static int t_eq(TARGS)
{
    if (argc < 1)
        return jn_fail(r, site, SL_EINVAL, "test needs a value to compare with");
    if (r->nunjucks) {
        /* equalto is === */
        if (v->t != argv[0].t)
            *out = 0;
        else
            *out = v->t == JV_STR || v->t == JV_FLOAT || v->t == JV_BOOL || v->t == JV_NONE ||
                           v->t == JV_UNDEF
                       ? jv_equal(r, v, &argv[0]) || v->t == JV_UNDEF
                       : v->u.l == argv[0].u.l;
        return 0;
    }
    *out = jv_equal(r, v, &argv[0]);
    return 0;
}

static int t_ne(TARGS)
{
    int rc = t_eq(r, site, v, argc, argv, out);
    *out = !*out;
    return rc;
}

static int ord(TARGS, int op)
{
    int bad = 0, c;
    if (argc < 1)
        return jn_fail(r, site, SL_EINVAL, "test needs a value to compare with");
    if (r->nunjucks && !(v->t == JV_STR && argv[0].t == JV_STR)) {
        double x = jn_js_number(r, v), y = jn_js_number(r, &argv[0]);
        *out = op == 0 ? x < y : op == 1 ? x <= y : op == 2 ? x > y : x >= y;
        return 0;
    }
    c = jv_cmp(r, v, &argv[0], 0, &bad);
    if (bad)
        return jn_fail(r, site, SL_EINVAL, "values of different types cannot be compared");
    *out = op == 0 ? c < 0 : op == 1 ? c <= 0 : op == 2 ? c > 0 : c >= 0;
    return 0;
}

static int t_lt(TARGS)
{
    return ord(r, site, v, argc, argv, out, 0);
}

static int t_le(TARGS)
{
    return ord(r, site, v, argc, argv, out, 1);
}

static int t_gt(TARGS)
{
    return ord(r, site, v, argc, argv, out, 2);
}

static int t_ge(TARGS)
{
    return ord(r, site, v, argc, argv, out, 3);
}

static int case_test(jn_render *r, const jnode *site, const jv *v, int *out, int up)
{
    jv s;
    int any = 0, rc;

    if (v->t != JV_STR && r->nunjucks) {
        *out = 0;
        return 0;
    }
    if ((rc = jv_tostr(r, site, v, &s)))
        return rc;
    *out = 1;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.u.s[i];
        if (isalpha(c)) {
            any = 1;
            if (up ? islower(c) : isupper(c))
                *out = 0;
        }
    }
    if (!r->nunjucks && !any)
        *out = 0;
    return 0;
}

static int t_lower(TARGS)
{
    return case_test(r, site, v, out, 0);
}

static int t_upper(TARGS)
{
    return case_test(r, site, v, out, 1);
}

static int t_boolean(TARGS)
{
    *out = v->t == JV_BOOL;
    return 0;
}

static int t_true(TARGS)
{
    *out = v->t == JV_BOOL && v->u.b;
    return 0;
}

static int t_false(TARGS)
{
    *out = v->t == JV_BOOL && !v->u.b;
    return 0;
}

static int t_integer(TARGS)
{
    *out = v->t == JV_INT;
    return 0;
}

static int t_float(TARGS)
{
    *out = v->t == JV_FLOAT;
    return 0;
}

static int t_sequence(TARGS)
{
    *out = (jv_is_seq(v) && !(v->t == JV_LIST && (v->ns & JN_GEN))) || jv_is_map(v) ||
           v->t == JV_STR;
    return 0;
}

static int t_callable(TARGS)
{
    *out = v->t == JV_MACRO || v->t == JV_FUNC;
    return 0;
}

static int t_truthy(TARGS)
{
    *out = jv_truthy(r, v);
    return 0;
}

static int t_falsy(TARGS)
{
    *out = !jv_truthy(r, v);
    return 0;
}

static int t_in(TARGS)
{
    jv res;
    int rc;
    (void)res;
    if (argc < 1)
        return jn_fail(r, site, SL_EINVAL, "in needs a container");
    if (argv[0].t == JV_STR && v->t == JV_STR) {
        *out = v->n == 0 || memmem(argv[0].u.s, argv[0].n, v->u.s, v->n) != NULL;
        return 0;
    }
    if (jv_is_seq(&argv[0])) {
        *out = 0;
        for (long i = 0; i < jv_len(&argv[0]) && !*out; i++) {
            jv x = jv_index(r, &argv[0], (size_t)i);
            *out = jv_equal(r, &x, v);
        }
        return 0;
    }
    if (jv_is_map(&argv[0]) && v->t == JV_STR) {
        jv tmp;
        *out = jv_getkey(r, &argv[0], v->u.s, v->n, &tmp);
        return 0;
    }
    rc = jn_fail(r, site, SL_EINVAL, "argument of type '%s' is not iterable",
                 jv_typename(r, &argv[0]));
    return rc;
}

static const jn_test tests[] = {
    {"!=", JN_J2, t_ne, 0},
    {"<", JN_J2, t_lt, 0},
    {"<=", JN_J2, t_le, 0},
    {"==", JN_J2, t_eq, 0},
    {">", JN_J2, t_gt, 0},
    {">=", JN_J2, t_ge, 0},
    {"boolean", JN_J2, t_boolean, 0},
    {"callable", JN_J2 | JN_NJ, t_callable, 0},
    {"defined", JN_J2 | JN_NJ, t_defined, 1},
    {"divisibleby", JN_J2 | JN_NJ, t_divisibleby, 0},
    {"eq", JN_J2 | JN_NJ, t_eq, 0},
    {"equalto", JN_J2 | JN_NJ, t_eq, 0},
    {"even", JN_J2 | JN_NJ, t_even, 0},
    {"false", JN_J2, t_false, 0},
    {"falsy", JN_NJ, t_falsy, 0},
    {"float", JN_J2, t_float, 0},
    {"ge", JN_J2 | JN_NJ, t_ge, 0},
    {"greaterthan", JN_J2 | JN_NJ, t_gt, 0},
    {"gt", JN_J2 | JN_NJ, t_gt, 0},
    {"in", JN_J2, t_in, 0},
    {"integer", JN_J2, t_integer, 0},
    {"iterable", JN_J2 | JN_NJ, t_iterable, 0},
    {"le", JN_J2 | JN_NJ, t_le, 0},
    {"lessthan", JN_J2 | JN_NJ, t_lt, 0},
    {"lower", JN_J2 | JN_NJ, t_lower, 0},
    {"lt", JN_J2 | JN_NJ, t_lt, 0},
    {"mapping", JN_J2 | JN_NJ, t_mapping, 0},
    {"ne", JN_J2 | JN_NJ, t_ne, 0},
    {"none", JN_J2, t_none, 0},
    {"null", JN_NJ, t_none, 0},
    {"number", JN_J2 | JN_NJ, t_number, 0},
    {"odd", JN_J2 | JN_NJ, t_odd, 0},
    {"sameas", JN_J2 | JN_NJ, t_sameas, 0},
    {"sequence", JN_J2, t_sequence, 0},
    {"string", JN_J2 | JN_NJ, t_string, 0},
    {"true", JN_J2, t_true, 0},
    {"truthy", JN_NJ, t_truthy, 0},
    {"undefined", JN_J2 | JN_NJ, t_undefined, 1},
    {"upper", JN_J2 | JN_NJ, t_upper, 0},
};

const jn_test *jn_test_find(const char *name, int nunjucks)
{
    int mask = nunjucks ? JN_NJ : JN_J2;
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
        if (!strcmp(tests[i].name, name) && (tests[i].dialects & mask))
            return &tests[i];
    return NULL;
}

/* --------------------------------------------------------------- methods */

#define MARGS                                                                                      \
    jn_render *r, const jnode *site, jfunc *self, int argc, const jv *argv, int kwc,               \
        const char *const *kwn, const jv *kwv, jv *out

static int m_items(MARGS, int what)
{
    const jv *m = &self->u_self;
    size_t n = jv_map_n(m);
    jlist *l = jl_new(r, n);

    if (!l)
        return jn_oom(r, site);
    for (size_t i = 0; i < n; i++) {
        jv k, x;
        jv_map_at(r, m, i, &k, &x);
        if (what == 0) {
            jlist *p = jl_new(r, 2);
            if (!p)
                return jn_oom(r, site);
            p->v[0] = k;
            p->v[1] = x;
            p->n = 2;
            memset(&l->v[l->n], 0, sizeof(jv));
            l->v[l->n].t = JV_LIST;
            l->v[l->n].ns = 2;
            l->v[l->n++].u.l = p;
        } else {
            l->v[l->n++] = what == 1 ? k : x;
        }
    }
    *out = jv_list_of(l, 0);
    return 0;
}

static int m_dict_items(MARGS)
{
    return m_items(r, site, self, argc, argv, kwc, kwn, kwv, out, 0);
}

static int m_dict_keys(MARGS)
{
    return m_items(r, site, self, argc, argv, kwc, kwn, kwv, out, 1);
}

static int m_dict_values(MARGS)
{
    return m_items(r, site, self, argc, argv, kwc, kwn, kwv, out, 2);
}

static int m_dict_get(MARGS)
{
    jv k;
    int rc;

    if (argc < 1)
        return jn_fail(r, site, SL_EINVAL, "get expected at least 1 argument");
    if ((rc = jv_tostr(r, site, &argv[0], &k)))
        return rc;
    if (!jv_getkey(r, &self->u_self, k.u.s, k.n, out))
        *out = argc > 1 ? argv[1] : jv_none();
    return 0;
}

/* String methods reuse the filters with the same behaviour. */
#define STRMETHOD(name, filter)                                                                    \
    static int name(MARGS)                                                                         \
    {                                                                                              \
        return filter(r, site, &self->u_self, argc, argv, kwc, kwn, kwv, out);                     \
    }
STRMETHOD(m_upper, f_upper)
STRMETHOD(m_lower, f_lower)
STRMETHOD(m_title, f_title)
STRMETHOD(m_capitalize, f_capitalize)
STRMETHOD(m_replace, f_replace)
STRMETHOD(m_split, f_split)

static int m_strip(MARGS, int left, int right)
{
    jv s = self->u_self;
    const jv *chars = argc > 0 && argv[0].t == JV_STR ? &argv[0] : NULL;

    while (left && s.n &&
           (chars ? memchr(chars->u.s, s.u.s[0], chars->n) != NULL : is_space(s.u.s[0])))
        s.u.s++, s.n--;
    while (right && s.n &&
           (chars ? memchr(chars->u.s, s.u.s[s.n - 1], chars->n) != NULL
                  : is_space(s.u.s[s.n - 1])))
        s.n--;
    *out = s;
    return 0;
}

static int m_trim(MARGS)
{
    return m_strip(r, site, self, 0, NULL, kwc, kwn, kwv, out, 1, 1);
}

static int m_pystrip(MARGS)
{
    return m_strip(r, site, self, argc, argv, kwc, kwn, kwv, out, 1, 1);
}

static int m_lstrip(MARGS)
{
    return m_strip(r, site, self, argc, argv, kwc, kwn, kwv, out, 1, 0);
}

static int m_rstrip(MARGS)
{
    return m_strip(r, site, self, argc, argv, kwc, kwn, kwv, out, 0, 1);
}

static int m_affix(MARGS, int end)
{
    jv s = self->u_self, a;
    int rc;

    if (argc < 1)
        return jn_fail(r, site, SL_EINVAL, "expected a string argument");
    if ((rc = jv_tostr(r, site, &argv[0], &a)))
        return rc;
    *out = jv_bool(a.n <= s.n && !memcmp(end ? s.u.s + s.n - a.n : s.u.s, a.u.s, a.n));
    return 0;
}

static int m_startswith(MARGS)
{
    return m_affix(r, site, self, argc, argv, kwc, kwn, kwv, out, 0);
}

static int m_endswith(MARGS)
{
    return m_affix(r, site, self, argc, argv, kwc, kwn, kwv, out, 1);
}

static int m_includes(MARGS)
{
    int res = 0, rc;
    if (argc < 1)
        return jn_fail(r, site, SL_EINVAL, "expected an argument");
    if (self->u_self.t == JV_STR) {
        jv a;
        if ((rc = jv_tostr(r, site, &argv[0], &a)))
            return rc;
        res = a.n == 0 || memmem(self->u_self.u.s, self->u_self.n, a.u.s, a.n) != NULL;
    } else {
        for (long i = 0; i < jv_len(&self->u_self) && !res; i++) {
            jv x = jv_index(r, &self->u_self, (size_t)i);
            res = jv_equal(r, &x, &argv[0]);
        }
    }
    *out = jv_bool(res);
    return 0;
}

static int m_join(MARGS)
{
    /* Python: sep.join(iterable); JavaScript: array.join(sep) */
    if (r->nunjucks) {
        jv sep = argc > 0 ? argv[0] : jv_str(",", 1);
        return f_join(r, site, &self->u_self, 1, &sep, 0, NULL, NULL, out);
    }
    if (argc < 1)
        return jn_fail(r, site, SL_EINVAL, "join() takes exactly one argument");
    return f_join(r, site, &argv[0], 1, &self->u_self, 0, NULL, NULL, out);
}

static int m_format(MARGS)
{
    /* "{}" / "{0}" / "{name}" placeholders with str() of the arguments */
    jv s = self->u_self;
    sl_buf b = SL_BUF_INIT;
    int auto_i = 0, rc;

    for (size_t i = 0; i < s.n; i++) {
        char c = s.u.s[i];
        if ((c == '{' || c == '}') && i + 1 < s.n && s.u.s[i + 1] == c) {
            if (sl_buf_putc(&b, c))
                goto oom;
            i++;
            continue;
        }
        if (c == '{') {
            const char *e = memchr(s.u.s + i, '}', s.n - i);
            const jv *a = NULL;
            jv str;
            size_t nl;
            if (!e) {
                sl_buf_free(&b);
                return jn_fail(r, site, SL_EINVAL, "Single '{' encountered in format string");
            }
            nl = (size_t)(e - s.u.s) - i - 1;
            if (nl == 0)
                a = auto_i < argc ? &argv[auto_i++] : NULL;
            else if (isdigit((unsigned char)s.u.s[i + 1])) {
                int k = atoi(s.u.s + i + 1);
                a = k < argc ? &argv[k] : NULL;
            } else {
                for (int k = 0; k < kwc; k++)
                    if (strlen(kwn[k]) == nl && !memcmp(kwn[k], s.u.s + i + 1, nl))
                        a = &kwv[k];
            }
            if (!a) {
                sl_buf_free(&b);
                return jn_fail(r, site, SL_EINVAL, "format: missing argument for '%.*s'",
                               (int)nl + 2, s.u.s + i);
            }
            if ((rc = jv_tostr(r, site, a, &str))) {
                sl_buf_free(&b);
                return rc;
            }
            if (sl_buf_put(&b, str.u.s, str.n))
                goto oom;
            i = (size_t)(e - s.u.s);
            continue;
        }
        if (sl_buf_putc(&b, c))
            goto oom;
    }
    return str_result(r, site, &b, out);
oom:
    sl_buf_free(&b);
    return jn_oom(r, site);
}

typedef struct jmethod {
    const char *name;
    int dialects;
    int on; /* 1 str, 2 map, 4 seq */
    jn_func_fn fn;
} jmethod;

static const jmethod methods[] = {
    {"items", JN_J2, 2, m_dict_items},
    {"keys", JN_J2, 2, m_dict_keys},
    {"values", JN_J2, 2, m_dict_values},
    {"get", JN_J2, 2, m_dict_get},
    {"upper", JN_J2, 1, m_upper},
    {"lower", JN_J2, 1, m_lower},
    {"title", JN_J2, 1, m_title},
    {"capitalize", JN_J2, 1, m_capitalize},
    {"replace", JN_J2, 1, m_replace},
    {"split", JN_J2 | JN_NJ, 1, m_split},
    {"strip", JN_J2, 1, m_pystrip},
    {"lstrip", JN_J2, 1, m_lstrip},
    {"rstrip", JN_J2, 1, m_rstrip},
    {"startswith", JN_J2, 1, m_startswith},
    {"endswith", JN_J2, 1, m_endswith},
    {"join", JN_J2, 1, m_join},
    {"format", JN_J2, 1, m_format},
    {"toUpperCase", JN_NJ, 1, m_upper},
    {"toLowerCase", JN_NJ, 1, m_lower},
    {"trim", JN_NJ, 1, m_trim},
    {"startsWith", JN_NJ, 1, m_startswith},
    {"endsWith", JN_NJ, 1, m_endswith},
    {"includes", JN_NJ, 5, m_includes},
    {"join", JN_NJ, 4, m_join},
};

int jn_method(jn_render *r, const jnode *site, const jv *obj, const char *name, jv *out)
{
    int mask = r->nunjucks ? JN_NJ : JN_J2;
    int on = obj->t == JV_STR ? 1 : jv_is_map(obj) ? 2 : jv_is_seq(obj) ? 4 : 0;
    jfunc *f;

    if (!on)
        return 0;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if ((methods[i].dialects & mask) && (methods[i].on & on) &&
            methods[i].name[0] == name[0] && !strcmp(methods[i].name, name)) {
            if (!(f = jn_alloc(r->ar, sizeof(*f))))
                return 0;
            f->fn = methods[i].fn;
            f->name = methods[i].name;
            f->u_self = *obj;
            memset(out, 0, sizeof(*out));
            out->t = JV_FUNC;
            out->u.fn = f;
            (void)site;
            return 1;
        }
    }
    return 0;
}

/* --------------------------------------------------------------- globals */

static int g_range(MARGS)
{
    double a[3] = {0, 0, 1};
    jlist *l;
    double start, stop, step, cnt;

    if (argc < 1 || argc > 3)
        return jn_fail(r, site, SL_EINVAL, "range expected 1 to 3 arguments, got %d", argc);
    for (int i = 0; i < argc; i++) {
        if (!jv_num(&argv[i], &a[i]) || (!r->nunjucks && argv[i].t == JV_FLOAT))
            return jn_fail(r, site, SL_EINVAL, "range arguments must be integers");
    }
    if (argc == 1) {
        start = 0;
        stop = a[0];
        step = 1;
    } else {
        start = a[0];
        stop = a[1];
        step = argc > 2 ? a[2] : 1;
    }
    if (step == 0)
        return jn_fail(r, site, SL_EINVAL, "range() arg 3 must not be zero");
    cnt = ceil((stop - start) / step);
    if (cnt < 0)
        cnt = 0;
    if (cnt > 1000000)
        return jn_fail(r, site, SL_ELIMIT, "range of %.0f items is too large (at most 1000000)",
                       cnt);
    if (!(l = jl_new(r, (size_t)cnt)))
        return jn_oom(r, site);
    for (double x = start; step > 0 ? x < stop : x > stop; x += step)
        l->v[l->n++] = r->nunjucks ? jv_float(x) : jv_int(r, (int64_t)x);
    *out = jv_list_of(l, 0);
    return 0;
}

static int g_dict(MARGS, int ns)
{
    jdict *d = jd_new(r, (size_t)kwc + 1);

    if (!d)
        return jn_oom(r, site);
    for (int i = 0; i < argc; i++) {
        if (!jv_is_map(&argv[i]))
            return jn_fail(r, site, SL_EINVAL, "expected a mapping argument");
        for (size_t k = 0; k < jv_map_n(&argv[i]); k++) {
            jv kk, vv;
            jv_map_at(r, &argv[i], k, &kk, &vv);
            if (jd_set(r, d, kk, vv))
                return jn_oom(r, site);
        }
    }
    for (int i = 0; i < kwc; i++)
        if (jd_set(r, d, jv_str(kwn[i], strlen(kwn[i])), kwv[i]))
            return jn_oom(r, site);
    memset(out, 0, sizeof(*out));
    out->t = JV_DICT;
    out->ns = (uint8_t)ns;
    out->u.d = d;
    return 0;
}

static int g_dict_fn(MARGS)
{
    return g_dict(r, site, self, argc, argv, kwc, kwn, kwv, out, 0);
}

static int g_namespace(MARGS)
{
    return g_dict(r, site, self, argc, argv, kwc, kwn, kwv, out, 1);
}

/* Nunjucks cycler(...) and joiner(sep): objects whose methods keep state. */
typedef struct jstateful {
    jfunc fn; /* first: the method's self */
    jlist *items;
    long index;
    jdict *obj; /* the cycler object (its "current" key) */
    jv sep;
    int first;
} jstateful;

static jv func_val(jfunc *f)
{
    jv o;
    memset(&o, 0, sizeof(o));
    o.t = JV_FUNC;
    o.u.fn = f;
    return o;
}

/* next(): Nunjucks advances, then returns the new current item; Jinja2
 * returns the current item, then advances. */
static int g_cycler_next(MARGS)
{
    jstateful *st = (jstateful *)self;
    size_t n = st->items->n;
    (void)argc, (void)argv, (void)kwc, (void)kwn, (void)kwv;
    if (r->nunjucks) {
        if (++st->index >= (long)n)
            st->index = 0;
        memset(out, 0, sizeof(*out));
        out->u.node = site; /* no items: undefined */
        if (n)
            *out = st->items->v[st->index];
        return jd_set(r, st->obj, jv_str("current", 7), *out) ? jn_oom(r, site) : 0;
    }
    *out = st->items->v[st->index];
    st->index = (st->index + 1) % (long)n;
    return jd_set(r, st->obj, jv_str("current", 7), st->items->v[st->index]) ? jn_oom(r, site)
                                                                               : 0;
}

static int g_cycler_reset(MARGS)
{
    jstateful *st = (jstateful *)self->u_self.u.fn;
    (void)argc, (void)argv, (void)kwc, (void)kwn, (void)kwv;
    st->index = r->nunjucks ? -1 : 0;
    if (r->nunjucks) {
        memset(out, 0, sizeof(*out));
        out->u.node = site;
    } else {
        *out = jv_none();
    }
    return jd_set(r, st->obj, jv_str("current", 7), r->nunjucks ? jv_none() : st->items->v[0])
               ? jn_oom(r, site)
               : 0;
}

static int g_cycler(MARGS)
{
    jstateful *st = jn_alloc(r->ar, sizeof(*st));
    jfunc *reset = jn_alloc(r->ar, sizeof(*reset));
    (void)self, (void)kwc, (void)kwn, (void)kwv;
    if (!r->nunjucks && argc < 1)
        return jn_fail(r, site, SL_EINVAL, "at least one item has to be provided");
    if (!st || !reset || !(st->items = jl_new(r, (size_t)argc + 1)) || !(st->obj = jd_new(r, 3)))
        return jn_oom(r, site);
    if (argc)
        memcpy(st->items->v, argv, (size_t)argc * sizeof(jv));
    st->items->n = (size_t)argc;
    st->index = r->nunjucks ? -1 : 0;
    memset(&st->fn, 0, sizeof(st->fn));
    st->fn.fn = g_cycler_next;
    st->fn.name = "next";
    memset(reset, 0, sizeof(*reset));
    reset->fn = g_cycler_reset;
    reset->name = "reset";
    reset->u_self = func_val(&st->fn);
    if (jd_set(r, st->obj, jv_str("current", 7), r->nunjucks ? jv_none() : argv[0]) ||
        jd_set(r, st->obj, jv_str("next", 4), func_val(&st->fn)) ||
        jd_set(r, st->obj, jv_str("reset", 5), func_val(reset)))
        return jn_oom(r, site);
    memset(out, 0, sizeof(*out));
    out->t = JV_DICT;
    out->u.d = st->obj;
    return 0;
}

static int g_joiner_call(MARGS)
{
    jstateful *st = (jstateful *)self;
    (void)r, (void)site, (void)argc, (void)argv, (void)kwc, (void)kwn, (void)kwv;
    *out = st->first ? jv_str("", 0) : st->sep;
    st->first = 0;
    return 0;
}

static int g_joiner(MARGS)
{
    jstateful *st = jn_alloc(r->ar, sizeof(*st));
    int rc;
    (void)self, (void)kwc, (void)kwn, (void)kwv;
    if (!st)
        return jn_oom(r, site);
    memset(st, 0, sizeof(*st));
    st->fn.fn = g_joiner_call;
    st->fn.name = "joiner";
    st->first = 1;
    /* Nunjucks: sep || ','; Jinja2: sep=', ' */
    st->sep = r->nunjucks ? jv_str(",", 1) : jv_str(", ", 2);
    if (!r->nunjucks && argc > 0)
        st->sep = argv[0];
    else if (argc > 0 && jv_truthy(r, &argv[0]) && (rc = jv_tostr(r, site, &argv[0], &st->sep)))
        return rc;
    *out = func_val(&st->fn);
    return 0;
}

int jn_global(jn_render *r, const char *name, jv *out)
{
    static jfunc range = {g_range, "range", {0}}, dict = {g_dict_fn, "dict", {0}},
                 namesp = {g_namespace, "namespace", {0}}, cyc = {g_cycler, "cycler", {0}},
                 join = {g_joiner, "joiner", {0}};
    jfunc *f = NULL;

    if (!strcmp(name, "range"))
        f = &range;
    else if (!r->nunjucks && !strcmp(name, "dict"))
        f = &dict;
    else if (!r->nunjucks && !strcmp(name, "namespace"))
        f = &namesp;
    else if (!strcmp(name, "cycler"))
        f = &cyc;
    else if (!strcmp(name, "joiner"))
        f = &join;
    if (!f)
        return 0;
    memset(out, 0, sizeof(*out));
    out->t = JV_FUNC;
    out->u.fn = f;
    return 1;
}
