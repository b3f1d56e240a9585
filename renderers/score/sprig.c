/* sprig.c: the Sprig template functions score-k8s provisioners use (plus
 * score-k8s's encodeSecretRef and Helm's required/fromYaml/fromJson), with
 * Sprig's semantics: lenient casts for interface{} parameters, Go's typed
 * parameter errors for string/int ones. See docs/renderers/gotmpl.md. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "gotmpl_impl.h"
#include "sl_doc.h"

#define F(name) static int name(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
#define STR(i, s, n)                                                                               \
    if (gt_arg_str(x, &argv[i], &s, &n))                                                           \
    return SL_EINVAL
#define INT(i, v)                                                                                  \
    if (gt_arg_int(x, &argv[i], &v))                                                               \
    return SL_EINVAL

/* ------------------------------------------------------------ helpers */

int gt_cast_str(gt_ctx *x, const gt_val *v, gt_val *out)
{
    sl_buf b = GT_BUF_INIT;

    if (v->k == GT_STR) {
        *out = *v;
        return 0;
    }
    if (gt_fmt_v(&b, v)) {
        sl_buf_free(&b);
        return gt_nomem(x);
    }
    *out = gt_bufstr(x, &b);
    sl_buf_free(&b);
    return 0;
}

int64_t gt_cast_int(const gt_val *v)
{
    switch (v->k) {
    case GT_INT:
        return v->i;
    case GT_FLOAT:
        if (isnan(v->f))
            return 0;
        if (v->f >= 9.2e18)
            return INT64_MAX;
        if (v->f <= -9.2e18)
            return INT64_MIN;
        return (int64_t)v->f;
    case GT_BOOL:
        return v->b;
    case GT_STR: {
        char *end;
        long long r = strtoll(v->s, &end, 0);
        if (end == v->s || *end)
            return 0;
        return r;
    }
    default:
        return 0;
    }
}

double gt_cast_float(const gt_val *v)
{
    switch (v->k) {
    case GT_INT:
        return (double)v->i;
    case GT_FLOAT:
        return v->f;
    case GT_BOOL:
        return v->b;
    case GT_STR: {
        char *end;
        double r = strtod(v->s, &end);
        if (end == v->s || *end)
            return 0;
        return r;
    }
    default:
        return 0;
    }
}

static int put_res_buf(gt_ctx *x, sl_buf *b, int rc, gt_val *res)
{
    if (rc) {
        sl_buf_free(b);
        if (rc == SL_ELIMIT)
            return gt_fail(x, "result larger than %zu MiB", GT_MAX_STR >> 20);
        return rc == SL_EINVAL ? rc : gt_nomem(x);
    }
    *res = gt_bufstr(x, b);
    sl_buf_free(b);
    return 0;
}

static int list_push(gt_ctx *x, gt_val *list, const gt_val *v)
{
    cJSON *j = gt_to_json(x, v);
    if (!j)
        return SL_ENOMEM;
    cJSON_AddItemToArray(list->j, j);
    return 0;
}

/* Sprig's empty(): nil, false, 0, "", empty map/list. */
static int is_empty(const gt_val *v)
{
    return !gt_truth(v);
}

/* ------------------------------------------------------------ strings */

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

F(s_trim)
{
    const char *s;
    size_t n;
    STR(0, s, n);
    while (n && is_ws((unsigned char)*s))
        s++, n--;
    while (n && is_ws((unsigned char)s[n - 1]))
        n--;
    *res = gt_mkstr(x, s, n);
    return 0;
}

static int in_set(const char *set, size_t sn, unsigned char c)
{
    return memchr(set, c, sn) != NULL;
}

F(s_trimAll)
{
    const char *set, *s;
    size_t sn, n;
    STR(0, set, sn);
    STR(1, s, n);
    while (n && in_set(set, sn, (unsigned char)*s))
        s++, n--;
    while (n && in_set(set, sn, (unsigned char)s[n - 1]))
        n--;
    *res = gt_mkstr(x, s, n);
    return 0;
}

F(s_trimPrefix)
{
    const char *p, *s;
    size_t pn, n;
    STR(0, p, pn);
    STR(1, s, n);
    if (n >= pn && !memcmp(s, p, pn))
        s += pn, n -= pn;
    *res = gt_mkstr(x, s, n);
    return 0;
}

F(s_trimSuffix)
{
    const char *p, *s;
    size_t pn, n;
    STR(0, p, pn);
    STR(1, s, n);
    if (n >= pn && !memcmp(s + n - pn, p, pn))
        n -= pn;
    *res = gt_mkstr(x, s, n);
    return 0;
}

/* Unicode simple case mapping for the scripts that come up in names:
 * ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic (other code points
 * map to themselves). */
static unsigned uc_upper(unsigned c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z' ? c - 32 : c;
    if ((c >= 0xe0 && c <= 0xfe && c != 0xf7))
        return c - 0x20;
    if (c == 0xff)
        return 0x178;
    if (c == 0xb5)
        return 0x39c;
    if (c == 0x131)
        return 'I';
    if (c == 0x17f)
        return 'S';
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
        return c & 1 ? c - 1 : c;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
        return c & 1 ? c : c - 1;
    if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2)
        return c - 0x20;
    if (c == 0x3c2)
        return 0x3a3;
    if (c >= 0x430 && c <= 0x44f)
        return c - 0x20;
    if (c >= 0x450 && c <= 0x45f)
        return c - 0x50;
    return c;
}

static unsigned uc_lower(unsigned c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xc0 && c <= 0xde && c != 0xd7)
        return c + 0x20;
    if (c == 0x178)
        return 0xff;
    if (c == 0x130)
        return 'i';
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
        return c & 1 ? c : c + 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
        return c & 1 ? c + 1 : c;
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
        return c + 0x20;
    if (c >= 0x410 && c <= 0x42f)
        return c + 0x20;
    if (c >= 0x400 && c <= 0x40f)
        return c + 0x50;
    return c;
}

/* Decode one UTF-8 sequence; invalid bytes come back as themselves with
 * length 1 and *valid = 0 (so they are copied unchanged). */
static size_t u8_dec(const unsigned char *s, size_t n, unsigned *cp, int *valid)
{
    unsigned c = s[0];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xc2 && c <= 0xdf ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    *valid = 1;
    *cp = c;
    if (len == 1)
        return 1;
    if (!len || n < len)
        goto bad;
    *cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            goto bad;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    return len;
bad:
    *valid = 0;
    *cp = c;
    return 1;
}

static int u8_put(sl_buf *b, unsigned cp)
{
    char d[4];
    size_t n;
    if (cp < 0x80) {
        d[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        d[0] = (char)(0xc0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        d[0] = (char)(0xe0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        d[0] = (char)(0xf0 | (cp >> 18));
        d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return sl_buf_put(b, d, n);
}

enum { CM_UPPER, CM_LOWER, CM_SWAP, CM_TITLE, CM_UNTITLE };

/* strings.ToUpper/ToLower, xstrings.SwapCase, strings.Title (words start
 * after a separator: ASCII non-alphanumerics other than '_', and spaces)
 * and goutils.Uncapitalize (words separated by white space). */
static int case_map(gt_ctx *x, gt_val *argv, gt_val *res, int mode)
{
    const char *s;
    size_t n;
    sl_buf b = GT_BUF_INIT;
    int rc = 0, prev_sep = 1;
    STR(0, s, n);
    for (size_t i = 0; i < n && !rc;) {
        unsigned cp;
        int valid;
        size_t l = u8_dec((const unsigned char *)s + i, n - i, &cp, &valid);
        if (!valid) {
            rc = sl_buf_puts(&b, "\xef\xbf\xbd"); /* Go maps bad bytes to U+FFFD */
            i += l;
            prev_sep = 0;
            continue;
        }
        unsigned o = cp;
        int space = cp == ' ' || (cp >= 9 && cp <= 13) || cp == 0x85 || cp == 0xa0;
        int sep = cp < 0x80 ? !(isalnum((int)cp) || cp == '_') : space;
        switch (mode) {
        case CM_UPPER:
            o = uc_upper(cp);
            break;
        case CM_LOWER:
            o = uc_lower(cp);
            break;
        case CM_SWAP:
            o = uc_upper(cp) != cp ? uc_upper(cp) : uc_lower(cp);
            break;
        case CM_TITLE:
            o = prev_sep ? uc_upper(cp) : cp;
            break;
        case CM_UNTITLE:
            o = prev_sep ? uc_lower(cp) : cp;
            break;
        }
        rc = o == cp ? sl_buf_put(&b, s + i, l) : u8_put(&b, o);
        prev_sep = mode == CM_UNTITLE ? space : sep;
        i += l;
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

F(s_upper)
{
    return case_map(x, argv, res, CM_UPPER);
}

F(s_lower)
{
    return case_map(x, argv, res, CM_LOWER);
}

F(s_swapcase)
{
    return case_map(x, argv, res, CM_SWAP);
}

F(s_title)
{
    return case_map(x, argv, res, CM_TITLE);
}

F(s_untitle)
{
    return case_map(x, argv, res, CM_UNTITLE);
}

F(s_repeat)
{
    int64_t count;
    const char *s;
    size_t n;
    sl_buf b = GT_BUF_INIT;
    int rc = 0;
    INT(0, count);
    STR(1, s, n);
    if (count < 0)
        return gt_fail(x, "strings: negative Repeat count");
    if (n && (uint64_t)count > (64u << 20) / n)
        return gt_fail(x, "repeat: result larger than 64 MiB");
    for (int64_t i = 0; i < count && !rc; i++)
        rc = sl_buf_put(&b, s, n);
    return put_res_buf(x, &b, rc, res);
}

/* substr START END S: Sprig's byte slice with its clamping rules. */
F(s_substr)
{
    int64_t start, end;
    const char *s;
    size_t n;
    INT(0, start);
    INT(1, end);
    STR(2, s, n);
    if (start < 0) {
        if (end < 0 || (size_t)end > n)
            end = (int64_t)n;
        *res = gt_mkstr(x, s, (size_t)end);
        return 0;
    }
    if ((size_t)start > n)
        return gt_fail(x, "slice bounds out of range [%lld:%zu]", (long long)start, n);
    if (end < 0 || (size_t)end > n) {
        *res = gt_mkstr(x, s + start, n - (size_t)start);
        return 0;
    }
    if (end < start)
        return gt_fail(x, "slice bounds out of range [%lld:%lld]", (long long)start,
                       (long long)end);
    *res = gt_mkstr(x, s + start, (size_t)(end - start));
    return 0;
}

F(s_nospace)
{
    const char *s;
    size_t n, o = 0;
    STR(0, s, n);
    *res = gt_mkstr(x, s, n);
    char *d = (char *)res->s;
    for (size_t i = 0; i < n; i++)
        if (!is_ws((unsigned char)s[i]))
            d[o++] = s[i];
    d[o] = 0;
    res->n = o;
    return 0;
}

/* trunc N S: the first N bytes, or the last -N when N is negative. */
F(s_trunc)
{
    int64_t c;
    const char *s;
    size_t n;
    INT(0, c);
    STR(1, s, n);
    if (c < 0 && (int64_t)n + c > 0)
        *res = gt_mkstr(x, s + n + c, (size_t)-c);
    else if (c >= 0 && n > (size_t)c)
        *res = gt_mkstr(x, s, (size_t)c);
    else
        *res = argv[1];
    return 0;
}

/* abbrev W S: S cut to W bytes ending in "..." (W < 4: unchanged). */
F(s_abbrev)
{
    int64_t w;
    const char *s;
    size_t n;
    sl_buf b = GT_BUF_INIT;
    INT(0, w);
    STR(1, s, n);
    if (w < 4 || n <= (size_t)w) {
        *res = argv[1];
        return 0;
    }
    int rc = sl_buf_put(&b, s, (size_t)w - 3);
    if (!rc)
        rc = sl_buf_puts(&b, "...");
    return put_res_buf(x, &b, rc, res);
}

F(s_initials)
{
    const char *s;
    size_t n;
    sl_buf b = GT_BUF_INIT;
    int rc = 0;
    STR(0, s, n);
    for (size_t i = 0; i < n && !rc; i++)
        if (!is_ws((unsigned char)s[i]) && (i == 0 || is_ws((unsigned char)s[i - 1]))) {
            size_t l = 1;
            while (i + l < n && ((unsigned char)s[i + l] & 0xc0) == 0x80)
                l++;
            rc = sl_buf_put(&b, s + i, l);
        }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

F(s_contains)
{
    const char *sub, *s;
    size_t sn, n;
    STR(0, sub, sn);
    STR(1, s, n);
    *res = gt_mkbool(sn == 0 || memmem(s, n, sub, sn) != NULL);
    return 0;
}

F(s_hasPrefix)
{
    const char *p, *s;
    size_t pn, n;
    STR(0, p, pn);
    STR(1, s, n);
    *res = gt_mkbool(n >= pn && !memcmp(s, p, pn));
    return 0;
}

F(s_hasSuffix)
{
    const char *p, *s;
    size_t pn, n;
    STR(0, p, pn);
    STR(1, s, n);
    *res = gt_mkbool(n >= pn && !memcmp(s + n - pn, p, pn));
    return 0;
}

/* Sprig's strval: strings as is, everything else %v. */
static int strval(sl_buf *b, const gt_val *v)
{
    return gt_fmt_v(b, v);
}

/* quote ARGS...: each non-nil argument %q-quoted, joined by spaces. */
F(s_quote)
{
    sl_buf b = GT_BUF_INIT, t = GT_BUF_INIT;
    int rc = 0, first = 1;
    for (int i = 0; i < argc && !rc; i++) {
        if (argv[i].k == GT_NIL)
            continue;
        if (!first)
            rc = sl_buf_putc(&b, ' ');
        first = 0;
        sl_buf_reset(&t);
        if (!rc)
            rc = strval(&t, &argv[i]);
        if (!rc)
            rc = gt_quote(&b, t.ptr ? t.ptr : "", t.len);
    }
    sl_buf_free(&t);
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

/* squote ARGS...: each non-nil argument in single quotes, joined by spaces. */
F(s_squote)
{
    sl_buf b = GT_BUF_INIT;
    int rc = 0, first = 1;
    for (int i = 0; i < argc && !rc; i++) {
        if (argv[i].k == GT_NIL)
            continue;
        if (!first)
            rc = sl_buf_putc(&b, ' ');
        first = 0;
        if (!rc)
            rc = sl_buf_putc(&b, '\'');
        if (!rc)
            rc = strval(&b, &argv[i]);
        if (!rc)
            rc = sl_buf_putc(&b, '\'');
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

/* cat ARGS...: the non-nil arguments, %v, joined by spaces. */
F(s_cat)
{
    sl_buf b = GT_BUF_INIT;
    int rc = 0, first = 1;
    for (int i = 0; i < argc && !rc; i++) {
        if (argv[i].k == GT_NIL)
            continue;
        if (!first)
            rc = sl_buf_putc(&b, ' ');
        first = 0;
        if (!rc)
            rc = gt_fmt_v(&b, &argv[i]);
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

/* indent/nindent N S: N spaces before every line of S (nindent: and a
 * leading newline). */
static int indent_impl(gt_ctx *x, gt_val *argv, gt_val *res, int nl)
{
    int64_t sp;
    const char *s;
    size_t n;
    sl_buf b = GT_BUF_INIT;
    int rc = 0;
    INT(0, sp);
    STR(1, s, n);
    if (sp < 0)
        return gt_fail(x, "strings: negative Repeat count");
    if (sp > 4096)
        return gt_fail(x, "indent of %lld spaces is too large", (long long)sp);
    if (nl)
        rc = sl_buf_putc(&b, '\n');
    for (int64_t i = 0; i < sp && !rc; i++)
        rc = sl_buf_putc(&b, ' ');
    for (size_t i = 0; i < n && !rc; i++) {
        rc = sl_buf_putc(&b, s[i]);
        if (s[i] == '\n')
            for (int64_t k = 0; k < sp && !rc; k++)
                rc = sl_buf_putc(&b, ' ');
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

F(s_indent)
{
    return indent_impl(x, argv, res, 0);
}

F(s_nindent)
{
    return indent_impl(x, argv, res, 1);
}

/* replace OLD NEW S: strings.Replace(S, OLD, NEW, -1). */
F(s_replace)
{
    const char *old, *nw, *s;
    size_t on, nn, n;
    sl_buf b = GT_BUF_INIT;
    int rc = 0;
    STR(0, old, on);
    STR(1, nw, nn);
    STR(2, s, n);
    if (!on) {
        /* Go: an empty old inserts new around every rune */
        for (size_t i = 0; i <= n && !rc; i++) {
            if (i == n || ((unsigned char)s[i] & 0xc0) != 0x80)
                rc = sl_buf_put(&b, nw, nn);
            if (i < n && !rc)
                rc = sl_buf_putc(&b, s[i]);
        }
        return put_res_buf(x, &b, rc, res);
    }
    for (size_t i = 0; i < n && !rc;) {
        const char *hit = memmem(s + i, n - i, old, on);
        if (!hit) {
            rc = sl_buf_put(&b, s + i, n - i);
            break;
        }
        rc = sl_buf_put(&b, s + i, (size_t)(hit - (s + i)));
        if (!rc)
            rc = sl_buf_put(&b, nw, nn);
        i = (size_t)(hit - s) + on;
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

F(s_plural)
{
    const char *one, *many;
    size_t on, mn;
    int64_t c;
    STR(0, one, on);
    STR(1, many, mn);
    INT(2, c);
    *res = c == 1 ? argv[0] : argv[1];
    return 0;
}

/* Split into words for snake/kebab case: boundaries at non-alphanumerics,
 * lower-to-upper, and before the last capital of an acronym run. */
static int case_words(gt_ctx *x, gt_val *argv, gt_val *res, char sep)
{
    const char *s;
    size_t n;
    sl_buf b = GT_BUF_INIT;
    int rc = 0, inword = 0;
    STR(0, s, n);
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c < 0x80) {
            if (c == sep || c == '_' || c == '-' || is_ws(c)) {
                if (inword)
                    inword = 2; /* pending separator */
                continue;
            }
            rc = sl_buf_putc(&b, (char)c);
            continue;
        }
        int boundary = 0;
        if (inword == 2)
            boundary = 1;
        else if (inword && isupper(c)) {
            unsigned char p = (unsigned char)s[i - 1];
            if (islower(p) || isdigit(p))
                boundary = 1;
            else if (isupper(p) && i + 1 < n && islower((unsigned char)s[i + 1]))
                boundary = 1;
        }
        if (boundary)
            rc = sl_buf_putc(&b, sep);
        if (!rc)
            rc = sl_buf_putc(&b, (char)(c < 0x80 ? tolower(c) : c));
        inword = 1;
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

F(s_snakecase)
{
    return case_words(x, argv, res, '_');
}

F(s_kebabcase)
{
    return case_words(x, argv, res, '-');
}

F(s_camelcase)
{
    const char *s;
    size_t n;
    sl_buf b = GT_BUF_INIT;
    int rc = 0, up = 1;
    STR(0, s, n);
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '_' || c == ' ' || c == '-') {
            if (i == 0 || i + 1 == n)
                rc = sl_buf_putc(&b, (char)c);
            up = 1;
            continue;
        }
        rc = sl_buf_putc(&b, (char)(up && c < 0x80 ? toupper(c) : c));
        up = 0;
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

/* wrap N S: greedy word wrap at N columns (long words are not split). */
F(s_wrap)
{
    int64_t w;
    const char *s;
    size_t n, col = 0;
    sl_buf b = GT_BUF_INIT;
    int rc = 0;
    INT(0, w);
    STR(1, s, n);
    if (w < 1)
        w = 1;
    for (size_t i = 0; i < n && !rc;) {
        if (s[i] == '\n') {
            rc = sl_buf_putc(&b, '\n');
            col = 0;
            i++;
            continue;
        }
        if (s[i] == ' ') {
            i++;
            continue;
        }
        size_t st = i;
        while (i < n && s[i] != ' ' && s[i] != '\n')
            i++;
        size_t wl = i - st;
        if (col && col + 1 + wl > (size_t)w) {
            rc = sl_buf_putc(&b, '\n');
            col = 0;
        } else if (col) {
            rc = sl_buf_putc(&b, ' ');
            col++;
        }
        if (!rc)
            rc = sl_buf_put(&b, s + st, wl);
        col += wl;
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

/* strings.Split(s, sep) as a callback per part. */
static int split_parts(gt_ctx *x, const char *sep, size_t sn, const char *s, size_t n, int64_t max,
                       int (*cb)(gt_ctx *, void *, size_t, const char *, size_t), void *arg)
{
    size_t i = 0, k = 0;
    int rc;

    if (!sn) {
        /* split into UTF-8 sequences */
        while (i < n) {
            size_t l = 1;
            while (i + l < n && ((unsigned char)s[i + l] & 0xc0) == 0x80)
                l++;
            if (max > 0 && (int64_t)k == max - 1)
                l = n - i;
            if ((rc = cb(x, arg, k++, s + i, l)))
                return rc;
            i += l;
        }
        return 0;
    }
    for (;;) {
        const char *hit = (max > 0 && (int64_t)k == max - 1) ? NULL : memmem(s + i, n - i, sep, sn);
        size_t e = hit ? (size_t)(hit - s) : n;
        if (k >= GT_MAX_LIST)
            return gt_fail(x, "split: more than %d parts", GT_MAX_LIST);
        if ((rc = cb(x, arg, k++, s + i, e - i)))
            return rc;
        if (!hit)
            return 0;
        i = e + sn;
    }
}

static int cb_list(gt_ctx *x, void *arg, size_t k, const char *s, size_t n)
{
    gt_val v = gt_mkstr(x, s, n);
    return list_push(x, arg, &v);
}

static int cb_map(gt_ctx *x, void *arg, size_t k, const char *s, size_t n)
{
    gt_val *m = arg, v = gt_mkstr(x, s, n);
    char key[32];
    cJSON *j = gt_to_json(x, &v);
    if (!j)
        return SL_ENOMEM;
    snprintf(key, sizeof(key), "_%zu", k);
    cJSON_AddItemToObject(m->j, key, j);
    return 0;
}

F(s_splitList)
{
    const char *sep, *s;
    size_t sn, n;
    STR(0, sep, sn);
    STR(1, s, n);
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    return split_parts(x, sep, sn, s, n, -1, cb_list, res);
}

F(s_split)
{
    const char *sep, *s;
    size_t sn, n;
    STR(0, sep, sn);
    STR(1, s, n);
    if (gt_newmap(x, res))
        return SL_ENOMEM;
    return split_parts(x, sep, sn, s, n, -1, cb_map, res);
}

F(s_splitn)
{
    const char *sep, *s;
    size_t sn, n;
    int64_t max;
    STR(0, sep, sn);
    INT(1, max);
    STR(2, s, n);
    if (gt_newmap(x, res))
        return SL_ENOMEM;
    if (max == 0)
        return 0;
    return split_parts(x, sep, sn, s, n, max, cb_map, res);
}

/* join SEP LIST: the non-nil elements as strings joined by SEP. */
F(s_join)
{
    const char *sep;
    size_t sn;
    sl_buf b = GT_BUF_INIT;
    int rc = 0, first = 1;
    STR(0, sep, sn);
    if (argv[1].k == GT_LIST) {
        for (cJSON *c = argv[1].j->child; c && !rc; c = c->next) {
            gt_val e = gt_from_json(c);
            if (e.k == GT_NIL)
                continue;
            if (!first)
                rc = sl_buf_put(&b, sep, sn);
            first = 0;
            if (!rc)
                rc = strval(&b, &e);
        }
    } else if (argv[1].k != GT_NIL) {
        rc = strval(&b, &argv[1]);
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

F(s_toString)
{
    return gt_cast_str(x, &argv[0], res);
}

F(s_toStrings)
{
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    if (argv[0].k == GT_LIST) {
        for (cJSON *c = argv[0].j->child; c; c = c->next) {
            gt_val e = gt_from_json(c), s;
            if (e.k == GT_NIL)
                continue;
            if (gt_cast_str(x, &e, &s) || list_push(x, res, &s))
                return SL_ENOMEM;
        }
    } else if (argv[0].k != GT_NIL) {
        gt_val s;
        if (gt_cast_str(x, &argv[0], &s) || list_push(x, res, &s))
            return SL_ENOMEM;
    }
    return 0;
}

/* ------------------------------------------------------------- random */

/* cnt characters drawn uniformly from set with the CSPRNG (one RAND_bytes
 * call per 256 draws; rejection sampling keeps the draw unbiased). */
static int rand_from(gt_ctx *x, gt_val *argv, gt_val *res, const char *set)
{
    int64_t cnt;
    unsigned n = (unsigned)strlen(set);
    unsigned lim = 256 - 256 % n;
    unsigned char pool[256];
    size_t avail = 0;
    INT(0, cnt);
    if (cnt < 0)
        return gt_fail(x, "count must be non-negative");
    if (cnt > 1 << 20)
        return gt_fail(x, "count %lld is too large", (long long)cnt);
    char *d = gt_alloc(x, (size_t)cnt + 1);
    if (!d)
        return SL_ENOMEM;
    for (int64_t i = 0; i < cnt;) {
        if (!avail) {
            size_t want = (size_t)(cnt - i) * 2 + 8;
            if (want > sizeof(pool))
                want = sizeof(pool);
            if (RAND_bytes(pool, (int)want) != 1)
                return gt_fail(x, "random generator failed");
            avail = want;
        }
        unsigned r = pool[--avail];
        if (r < lim)
            d[i++] = set[r % n];
    }
    d[cnt] = 0;
    res->k = GT_STR;
    res->s = d;
    res->n = (size_t)cnt;
    return 0;
}

static const char alpha_set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char num_set[] = "0123456789";
static const char alnum_set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char ascii_set[] = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

F(s_randAlphaNum)
{
    return rand_from(x, argv, res, alnum_set);
}

F(s_randAlpha)
{
    return rand_from(x, argv, res, alpha_set);
}

F(s_randNumeric)
{
    return rand_from(x, argv, res, num_set);
}

F(s_randAscii)
{
    return rand_from(x, argv, res, ascii_set);
}

/* Standard base64 with padding. */
static int b64_encode(sl_buf *b, const unsigned char *s, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char o[4] = {tab[(v >> 18) & 63], tab[(v >> 12) & 63], i + 1 < n ? tab[(v >> 6) & 63] : '=',
                     i + 2 < n ? tab[v & 63] : '='};
        rc = sl_buf_put(b, o, 4);
    }
    if (!rc && !b->ptr)
        rc = sl_buf_puts(b, "");
    return rc;
}

F(s_randBytes)
{
    int64_t cnt;
    sl_buf b = GT_BUF_INIT;
    INT(0, cnt);
    if (cnt < 0 || cnt > 1 << 20)
        return gt_fail(x, "count %lld out of range", (long long)cnt);
    unsigned char *r = gt_alloc(x, (size_t)cnt + 1);
    if (!r)
        return SL_ENOMEM;
    if (cnt && RAND_bytes(r, (int)cnt) != 1)
        return gt_fail(x, "random generator failed");
    return put_res_buf(x, &b, b64_encode(&b, r, (size_t)cnt), res);
}

F(s_uuidv4)
{
    unsigned char u[16];
    sl_buf b = GT_BUF_INIT;
    if (RAND_bytes(u, 16) != 1)
        return gt_fail(x, "random generator failed");
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    int rc = sl_buf_printf(
        &b, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
        u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    return put_res_buf(x, &b, rc, res);
}

/* ------------------------------------------------------------- regex */

/* Go's regexp (RE2 syntax) on PCRE2: the syntax is a subset, and with
 * PCRE2_DOLLAR_ENDONLY, UTF mode and leftmost-first matching the results
 * agree; a match limit bounds backtracking (RE2 never backtracks). */
typedef struct gt_re {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mc;
} gt_re;

static void re_free(gt_re *re)
{
    pcre2_match_data_free(re->md);
    pcre2_match_context_free(re->mc);
    pcre2_code_free(re->code);
}

/* Compile a Go pattern; a syntax error fails the call with Go's prefix. */
static int re_compile(gt_ctx *x, const char *pat, size_t pn, gt_re *re)
{
    int ec;
    PCRE2_SIZE eo;

    memset(re, 0, sizeof(*re));
    re->code =
        pcre2_compile((PCRE2_SPTR)pat, pn,
                      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &ec, &eo, NULL);
    if (!re->code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        return gt_fail(x, "regexp: Compile(%.*s): %s at offset %zu", (int)(pn > 100 ? 100 : pn),
                       pat, (const char *)msg, (size_t)eo);
    }
    re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
    re->mc = pcre2_match_context_create(NULL);
    if (!re->md || !re->mc) {
        re_free(re);
        return gt_nomem(x);
    }
    pcre2_set_match_limit(re->mc, 1000000);
    pcre2_set_depth_limit(re->mc, 10000);
    return 0;
}

/* One match at or after pos: 1 with ov[0..2*ngroups) filled, 0 if none,
 * negative (error set) on a matching failure. */
static int re_match(gt_ctx *x, gt_re *re, const char *s, size_t n, size_t pos, PCRE2_SIZE **ov)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, pos, 0, re->md, re->mc);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc < 0) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(rc, msg, sizeof(msg));
        gt_fail(x, "regexp: %s", (const char *)msg);
        return -1;
    }
    *ov = pcre2_get_ovector_pointer(re->md);
    return 1;
}

/* Width of the UTF-8 sequence at s[pos] (1 for invalid bytes), as Go's
 * regexp advances past an empty match. */
static size_t rune_width(const char *s, size_t n, size_t pos)
{
    size_t w = 1;
    if (pos >= n)
        return 1;
    unsigned char c = (unsigned char)s[pos];
    size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    while (w < want && pos + w < n && ((unsigned char)s[pos + w] & 0xc0) == 0x80)
        w++;
    return w == want ? w : 1;
}

typedef int (*re_cb)(gt_ctx *x, void *arg, const char *s, const PCRE2_SIZE *ov);

/* Go's allMatches: successive non-overlapping matches (max < 0: all); an
 * empty match abutting the previous match is skipped. */
static int re_each(gt_ctx *x, gt_re *re, const char *s, size_t n, int64_t max, re_cb cb, void *arg)
{
    size_t pos = 0;
    long prev_end = -1;
    int64_t cnt = 0;

    while (pos <= n && (max < 0 || cnt < max)) {
        PCRE2_SIZE *ov;
        int m = re_match(x, re, s, n, pos, &ov);
        int accept = 1, rc;
        if (m < 0)
            return SL_EINVAL;
        if (!m)
            break;
        size_t ms = ov[0], me = ov[1];
        if (me == pos) {
            if ((long)ms == prev_end)
                accept = 0;
            pos += rune_width(s, n, pos);
        } else {
            pos = me;
        }
        prev_end = (long)me;
        if (accept) {
            if (++cnt > GT_MAX_LIST)
                return gt_fail(x, "regex: more than %d matches", GT_MAX_LIST);
            if ((rc = cb(x, arg, s, ov)))
                return rc;
        }
    }
    return 0;
}

static int regex_args(gt_ctx *x, gt_val *argv, gt_re *re, const char **s, size_t *n)
{
    const char *p;
    size_t pn;
    STR(0, p, pn);
    if (gt_arg_str(x, &argv[1], s, n))
        return SL_EINVAL;
    return re_compile(x, p, pn, re);
}

F(s_regexMatch)
{
    gt_re re;
    const char *s;
    size_t n;
    PCRE2_SIZE *ov;
    if (regex_args(x, argv, &re, &s, &n))
        return SL_EINVAL;
    int m = re_match(x, &re, s, n, 0, &ov);
    re_free(&re);
    if (m < 0)
        return SL_EINVAL;
    *res = gt_mkbool(m);
    return 0;
}

/* Non-must regexMatch: a bad pattern is false, as Sprig. */
F(s_regexMatchSoft)
{
    int rc = s_regexMatch(x, argv, argc, res);
    if (rc == SL_EINVAL && argv[0].k == GT_STR && argv[1].k == GT_STR) {
        *res = gt_mkbool(0);
        gt_fail_clear(x);
        return 0;
    }
    return rc;
}

static int cb_find(gt_ctx *x, void *arg, const char *s, const PCRE2_SIZE *ov)
{
    gt_val v = gt_mkstr(x, s + ov[0], ov[1] - ov[0]);
    return list_push(x, arg, &v);
}

F(s_regexFindAll)
{
    gt_re re;
    const char *s;
    size_t n;
    int64_t max;
    int rc;
    INT(2, max);
    if (regex_args(x, argv, &re, &s, &n))
        return SL_EINVAL;
    rc = gt_newlist(x, res);
    if (!rc)
        rc = re_each(x, &re, s, n, max, cb_find, res);
    re_free(&re);
    return rc;
}

F(s_regexFind)
{
    gt_re re;
    const char *s;
    size_t n;
    PCRE2_SIZE *ov;
    if (regex_args(x, argv, &re, &s, &n))
        return SL_EINVAL;
    int m = re_match(x, &re, s, n, 0, &ov);
    if (m > 0)
        *res = gt_mkstr(x, s + ov[0], ov[1] - ov[0]);
    else
        *res = gt_mkstr(x, "", 0);
    re_free(&re);
    return m < 0 ? SL_EINVAL : 0;
}

/* Go's Regexp.Expand: $name or ${name}; a name of digits is a group
 * number; an unknown group expands to nothing; $$ is a dollar. */
static int expand(sl_buf *b, gt_re *re, const char *s, const PCRE2_SIZE *ov, const char *t,
                  size_t tn)
{
    uint32_t ngroups = 0;
    int rc = 0;

    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &ngroups);
    for (size_t i = 0; i < tn && !rc; i++) {
        if (t[i] != '$' || i + 1 >= tn) {
            rc = sl_buf_putc(b, t[i]);
            continue;
        }
        if (t[i + 1] == '$') {
            rc = sl_buf_putc(b, '$');
            i++;
            continue;
        }
        size_t j = i + 1, e;
        int braced = t[j] == '{';
        if (braced)
            j++;
        e = j;
        while (e < tn && (isalnum((unsigned char)t[e]) || t[e] == '_'))
            e++;
        if (e == j || (braced && (e >= tn || t[e] != '}'))) {
            rc = sl_buf_putc(b, '$'); /* malformed: Go keeps the text */
            continue;
        }
        long g = -1;
        int digits = 1;
        for (size_t k = j; k < e; k++)
            digits &= isdigit((unsigned char)t[k]) != 0;
        if (digits) {
            g = 0;
            for (size_t k = j; k < e && g <= 1000000; k++)
                g = g * 10 + (t[k] - '0');
        } else {
            char name[128];
            if (e - j < sizeof(name)) {
                memcpy(name, t + j, e - j);
                name[e - j] = 0;
                int num = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
                g = num > 0 ? num : -1;
            }
        }
        if (g >= 0 && (uint32_t)g <= ngroups && ov[2 * g] != PCRE2_UNSET)
            rc = sl_buf_put(b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
        i = braced ? e : e - 1;
    }
    return rc;
}

/* Go's replaceAll. */
static int replace_impl(gt_ctx *x, gt_val *argv, gt_val *res, int literal)
{
    gt_re re;
    const char *s, *p, *r;
    size_t n, pn, rn, pos = 0, last = 0;
    sl_buf b = GT_BUF_INIT;
    int rc = 0;
    STR(0, p, pn);
    STR(1, s, n);
    STR(2, r, rn);
    if (re_compile(x, p, pn, &re))
        return SL_EINVAL;
    while (pos <= n && !rc) {
        PCRE2_SIZE *ov;
        int m = re_match(x, &re, s, n, pos, &ov);
        if (m < 0) {
            rc = SL_EINVAL;
            break;
        }
        if (!m)
            break;
        size_t ms = ov[0], me = ov[1];
        rc = sl_buf_put(&b, s + last, ms - last);
        if (!rc && (me > last || ms == 0))
            rc = literal ? sl_buf_put(&b, r, rn) : expand(&b, &re, s, ov, r, rn);
        last = me;
        size_t w = rune_width(s, n, pos);
        if (pos + w > me)
            pos += w;
        else if (pos + 1 > me)
            pos++;
        else
            pos = me;
    }
    if (!rc && last < n)
        rc = sl_buf_put(&b, s + last, n - last);
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    re_free(&re);
    if (rc == SL_EINVAL) {
        sl_buf_free(&b);
        return rc;
    }
    return put_res_buf(x, &b, rc, res);
}

F(s_regexReplaceAll)
{
    return replace_impl(x, argv, res, 0);
}

F(s_regexReplaceAllLiteral)
{
    return replace_impl(x, argv, res, 1);
}

typedef struct split_st {
    size_t *starts, *ends;
    size_t cnt, cap;
} split_st;

static int cb_split(gt_ctx *x, void *arg, const char *s, const PCRE2_SIZE *ov)
{
    split_st *st = arg;
    if (st->cnt == st->cap) {
        size_t nc = st->cap ? st->cap * 2 : 16;
        size_t *a = gt_alloc(x, nc * sizeof(size_t)), *e = gt_alloc(x, nc * sizeof(size_t));
        if (!a || !e)
            return SL_ENOMEM;
        if (st->cnt) {
            memcpy(a, st->starts, st->cnt * sizeof(size_t));
            memcpy(e, st->ends, st->cnt * sizeof(size_t));
        }
        st->starts = a;
        st->ends = e;
        st->cap = nc;
    }
    st->starts[st->cnt] = ov[0];
    st->ends[st->cnt] = ov[1];
    st->cnt++;
    return 0;
}

/* Go's Regexp.Split(s, n). */
F(s_regexSplit)
{
    gt_re re;
    const char *s;
    size_t n, pn;
    int64_t max;
    int rc;
    INT(2, max);
    if (regex_args(x, argv, &re, &s, &n))
        return SL_EINVAL;
    pn = argv[0].n;
    rc = gt_newlist(x, res);
    if (rc || max == 0)
        goto out;
    if (pn > 0 && n == 0) {
        gt_val v = gt_mkstr(x, "", 0);
        rc = list_push(x, res, &v);
        goto out;
    }
    split_st st = {0};
    if ((rc = re_each(x, &re, s, n, max, cb_split, &st)))
        goto out;
    size_t beg = 0, end = 0, got = 0;
    for (size_t i = 0; i < st.cnt && !rc; i++) {
        if (max > 0 && (int64_t)got == max - 1)
            break;
        end = st.starts[i];
        if (st.ends[i] != 0) {
            gt_val v = gt_mkstr(x, s + beg, end - beg);
            rc = list_push(x, res, &v);
            got++;
        }
        beg = st.ends[i];
    }
    if (!rc && end != n) {
        gt_val v = gt_mkstr(x, s + beg, n - beg);
        rc = list_push(x, res, &v);
    }
out:
    re_free(&re);
    return rc;
}

F(s_regexQuoteMeta)
{
    const char *s;
    size_t n;
    sl_buf b = GT_BUF_INIT;
    int rc = 0;
    STR(0, s, n);
    for (size_t i = 0; i < n && !rc; i++) {
        if (s[i] && strchr("\\.+*?()|[]{}^$", s[i]))
            rc = sl_buf_putc(&b, '\\');
        if (!rc)
            rc = sl_buf_putc(&b, s[i]);
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

/* ------------------------------------------------------------- lists */

F(l_list)
{
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    for (int i = 0; i < argc; i++)
        if (list_push(x, res, &argv[i]))
            return SL_ENOMEM;
    return 0;
}

/* Go's reflect.Kind name of a value. */
static const char *kind_name(const gt_val *v)
{
    switch (v->k) {
    case GT_BOOL:
        return "bool";
    case GT_INT:
        return "int";
    case GT_FLOAT:
        return "float64";
    case GT_STR:
        return "string";
    case GT_MAP:
        return "map";
    case GT_LIST:
        return "slice";
    default:
        return "invalid";
    }
}

/* Sprig's list functions fail with "Cannot <what> on type <kind>". */
static int need_list(gt_ctx *x, const char *what, const gt_val *v)
{
    if (v->k == GT_LIST)
        return 0;
    return gt_fail(x, "Cannot %s on type %s", what, kind_name(v));
}

F(l_first)
{
    if (need_list(x, "find first", &argv[0]))
        return SL_EINVAL;
    *res = gt_from_json(argv[0].j->child);
    return 0;
}

F(l_last)
{
    if (need_list(x, "find last", &argv[0]))
        return SL_EINVAL;
    cJSON *c = argv[0].j->child;
    *res = gt_from_json(c ? c->prev : NULL);
    return 0;
}

/* A new list with the elements of v from index lo to hi (exclusive). */
static int sublist(gt_ctx *x, const gt_val *v, long lo, long hi, gt_val *res)
{
    long i = 0;
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    for (cJSON *c = v->j->child; c && i < hi; c = c->next, i++) {
        gt_val e;
        if (i < lo)
            continue;
        e = gt_from_json(c);
        if (list_push(x, res, &e))
            return SL_ENOMEM;
    }
    return 0;
}

F(l_rest)
{
    if (need_list(x, "find rest", &argv[0]))
        return SL_EINVAL;
    long n = gt_len(&argv[0]);
    if (!n) {
        *res = gt_mknil();
        return 0;
    }
    return sublist(x, &argv[0], 1, n, res);
}

F(l_initial)
{
    if (need_list(x, "find initial", &argv[0]))
        return SL_EINVAL;
    long n = gt_len(&argv[0]);
    if (!n) {
        *res = gt_mknil();
        return 0;
    }
    return sublist(x, &argv[0], 0, n - 1, res);
}

F(l_append)
{
    if (need_list(x, "push", &argv[0]))
        return SL_EINVAL;
    if (sublist(x, &argv[0], 0, gt_len(&argv[0]), res))
        return SL_ENOMEM;
    return list_push(x, res, &argv[1]);
}

F(l_prepend)
{
    if (need_list(x, "prepend", &argv[0]))
        return SL_EINVAL;
    if (gt_newlist(x, res) || list_push(x, res, &argv[1]))
        return SL_ENOMEM;
    for (cJSON *c = argv[0].j->child; c; c = c->next) {
        gt_val e = gt_from_json(c);
        if (list_push(x, res, &e))
            return SL_ENOMEM;
    }
    return 0;
}

F(l_concat)
{
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    for (int i = 0; i < argc; i++) {
        if (argv[i].k != GT_LIST)
            return gt_fail(x, "Cannot concat type %s as list", kind_name(&argv[i]));
        for (cJSON *c = argv[i].j->child; c; c = c->next) {
            gt_val e = gt_from_json(c);
            if (list_push(x, res, &e))
                return SL_ENOMEM;
        }
    }
    return 0;
}

F(l_reverse)
{
    if (need_list(x, "find reverse", &argv[0]))
        return SL_EINVAL;
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    cJSON *first = argv[0].j->child;
    for (cJSON *c = first ? first->prev : NULL; c; c = c == first ? NULL : c->prev) {
        gt_val e = gt_from_json(c);
        if (list_push(x, res, &e))
            return SL_ENOMEM;
    }
    return 0;
}

/* reflect.DeepEqual of two values. */
static int deep_equal(const gt_val *a, const gt_val *b)
{
    if (a->k != b->k)
        return 0;
    switch (a->k) {
    case GT_NIL:
        return 1;
    case GT_BOOL:
        return a->b == b->b;
    case GT_INT:
        return a->i == b->i;
    case GT_FLOAT:
        return a->f == b->f;
    case GT_STR:
        return a->n == b->n && !memcmp(a->s, b->s, a->n);
    default:
        return gt_tree_ok(a->j) && gt_tree_ok(b->j) && cJSON_Compare(a->j, b->j, 1);
    }
}

static int list_has(const gt_val *l, const gt_val *v)
{
    for (cJSON *c = l->j->child; c; c = c->next) {
        gt_val e = gt_from_json(c);
        if (deep_equal(&e, v))
            return 1;
    }
    return 0;
}

F(l_uniq)
{
    if (need_list(x, "find uniq", &argv[0]))
        return SL_EINVAL;
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    for (cJSON *c = argv[0].j->child; c; c = c->next) {
        gt_val e = gt_from_json(c);
        if (!list_has(res, &e) && list_push(x, res, &e))
            return SL_ENOMEM;
    }
    return 0;
}

F(l_without)
{
    if (need_list(x, "find without", &argv[0]))
        return SL_EINVAL;
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    for (cJSON *c = argv[0].j->child; c; c = c->next) {
        gt_val e = gt_from_json(c);
        int drop = 0;
        for (int i = 1; i < argc && !drop; i++)
            drop = deep_equal(&e, &argv[i]);
        if (!drop && list_push(x, res, &e))
            return SL_ENOMEM;
    }
    return 0;
}

F(l_has)
{
    if (argv[1].k == GT_NIL) {
        *res = gt_mkbool(0);
        return 0;
    }
    if (need_list(x, "find has", &argv[1]))
        return SL_EINVAL;
    *res = gt_mkbool(list_has(&argv[1], &argv[0]));
    return 0;
}

F(l_compact)
{
    if (need_list(x, "compact", &argv[0]))
        return SL_EINVAL;
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    for (cJSON *c = argv[0].j->child; c; c = c->next) {
        gt_val e = gt_from_json(c);
        if (!is_empty(&e) && list_push(x, res, &e))
            return SL_ENOMEM;
    }
    return 0;
}

static int range_list(gt_ctx *x, int64_t start, int64_t stop, int64_t step, gt_val *res)
{
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    if (step == 0)
        return 0;
    for (int64_t i = start, cnt = 0; step > 0 ? i < stop : i > stop; i += step) {
        gt_val v = gt_mkint(i);
        if (++cnt > GT_MAX_LIST)
            return gt_fail(x, "list longer than %d elements", GT_MAX_LIST);
        if (list_push(x, res, &v))
            return SL_ENOMEM;
    }
    return 0;
}

F(l_until)
{
    int64_t n;
    INT(0, n);
    return range_list(x, 0, n, n >= 0 ? 1 : -1, res);
}

F(l_untilStep)
{
    int64_t a, b, s;
    INT(0, a);
    INT(1, b);
    INT(2, s);
    return range_list(x, a, b, s, res);
}

/* seq as the shell's: seq LAST, seq FIRST LAST, seq FIRST STEP LAST; a
 * string of space-separated numbers. */
F(l_seq)
{
    int64_t first = 1, step = 1, last = 0;
    sl_buf b = GT_BUF_INIT;
    int rc = 0;
    for (int i = 0; i < argc; i++)
        if (argv[i].k != GT_INT)
            return gt_fail(x, "wrong type for value; expected int; got %s", gt_type_name(&argv[i]));
    if (argc == 0)
        return put_res_buf(x, &b, sl_buf_puts(&b, ""), res);
    if (argc == 1) {
        last = argv[0].i;
    } else if (argc == 2) {
        first = argv[0].i;
        last = argv[1].i;
        step = first <= last ? 1 : -1;
    } else {
        first = argv[0].i;
        step = argv[1].i;
        last = argv[2].i;
    }
    if (argc == 3 && (step == 0 || (step > 0 && last < first) || (step < 0 && last > first)))
        return put_res_buf(x, &b, sl_buf_puts(&b, ""), res);
    int64_t cnt = 0;
    for (int64_t i = first; !rc && (step > 0 ? i <= last : i >= last); i += step) {
        if (++cnt > GT_MAX_LIST)
            return sl_buf_free(&b), gt_fail(x, "seq longer than %d numbers", GT_MAX_LIST);
        if (b.len)
            rc = sl_buf_putc(&b, ' ');
        if (!rc)
            rc = sl_buf_printf(&b, "%lld", (long long)i);
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

static int cmp_str(const void *a, const void *b)
{
    const gt_val *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* sortAlpha LIST: the elements as strings, sorted bytewise; nils dropped. */
F(l_sortAlpha)
{
    long n;
    gt_val *v;
    if (argv[0].k != GT_LIST) {
        gt_val s;
        if (gt_newlist(x, res) || gt_cast_str(x, &argv[0], &s) || list_push(x, res, &s))
            return SL_ENOMEM;
        return 0;
    }
    n = gt_len(&argv[0]);
    v = gt_alloc(x, (size_t)(n ? n : 1) * sizeof(*v));
    if (!v)
        return SL_ENOMEM;
    long i = 0;
    for (cJSON *c = argv[0].j->child; c; c = c->next) {
        gt_val e = gt_from_json(c);
        if (e.k == GT_NIL)
            continue; /* Sprig's strslice drops nils */
        if (gt_cast_str(x, &e, &v[i++]))
            return SL_ENOMEM;
    }
    n = i;
    qsort(v, (size_t)n, sizeof(*v), cmp_str);
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    for (i = 0; i < n; i++)
        if (list_push(x, res, &v[i]))
            return SL_ENOMEM;
    return 0;
}

/* ------------------------------------------------------------- dicts */

static int map_put(gt_ctx *x, gt_val *m, const char *key, const gt_val *v)
{
    cJSON *j = gt_to_json(x, v);
    if (!j)
        return SL_ENOMEM;
    if (cJSON_GetObjectItemCaseSensitive(m->j, key))
        cJSON_ReplaceItemInObjectCaseSensitive(m->j, key, j);
    else
        cJSON_AddItemToObject(m->j, key, j);
    return 0;
}

F(d_dict)
{
    if (gt_newmap(x, res))
        return SL_ENOMEM;
    for (int i = 0; i < argc; i += 2) {
        gt_val k, v = i + 1 < argc ? argv[i + 1] : gt_mkstr(x, "", 0);
        if (gt_cast_str(x, &argv[i], &k) || map_put(x, res, k.s, &v))
            return SL_ENOMEM;
    }
    return 0;
}

static int need_map(gt_ctx *x, const gt_val *v)
{
    return gt_arg_map(x, v);
}

static int need_mutable(gt_ctx *x, const char *fn, const gt_val *v)
{
    if (need_map(x, v))
        return SL_EINVAL;
    if (!(v->j->type & GT_OWNED))
        return gt_fail(x,
                       "%s: cannot modify the template's input data (copy it with deepCopy "
                       "or dict first)",
                       fn);
    return 0;
}

F(d_get)
{
    const char *k;
    size_t kn;
    if (need_map(x, &argv[0]))
        return SL_EINVAL;
    STR(1, k, kn);
    cJSON *c = cJSON_GetObjectItemCaseSensitive(argv[0].j, k);
    *res = c ? gt_from_json(c) : gt_mkstr(x, "", 0);
    return 0;
}

F(d_set)
{
    const char *k;
    size_t kn;
    if (need_mutable(x, "set", &argv[0]))
        return SL_EINVAL;
    STR(1, k, kn);
    if (map_put(x, &argv[0], k, &argv[2]))
        return SL_ENOMEM;
    *res = argv[0];
    return 0;
}

F(d_unset)
{
    const char *k;
    size_t kn;
    if (need_mutable(x, "unset", &argv[0]))
        return SL_EINVAL;
    STR(1, k, kn);
    cJSON_DeleteItemFromObjectCaseSensitive(argv[0].j, k);
    *res = argv[0];
    return 0;
}

F(d_hasKey)
{
    const char *k;
    size_t kn;
    if (need_map(x, &argv[0]))
        return SL_EINVAL;
    STR(1, k, kn);
    *res = gt_mkbool(cJSON_GetObjectItemCaseSensitive(argv[0].j, k) != NULL);
    return 0;
}

F(d_pluck)
{
    const char *k;
    size_t kn;
    STR(0, k, kn);
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    for (int i = 1; i < argc; i++) {
        if (need_map(x, &argv[i]))
            return SL_EINVAL;
        cJSON *c = cJSON_GetObjectItemCaseSensitive(argv[i].j, k);
        if (c) {
            gt_val e = gt_from_json(c);
            if (list_push(x, res, &e))
                return SL_ENOMEM;
        }
    }
    return 0;
}

F(d_keys)
{
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    for (int i = 0; i < argc; i++) {
        if (need_map(x, &argv[i]))
            return SL_EINVAL;
        for (cJSON *c = argv[i].j->child; c; c = c->next) {
            gt_val e = gt_mkstr(x, c->string, strlen(c->string));
            if (list_push(x, res, &e))
                return SL_ENOMEM;
        }
    }
    return 0;
}

F(d_values)
{
    if (need_map(x, &argv[0]))
        return SL_EINVAL;
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    for (cJSON *c = argv[0].j->child; c; c = c->next) {
        gt_val e = gt_from_json(c);
        if (list_push(x, res, &e))
            return SL_ENOMEM;
    }
    return 0;
}

/* pick/omit D KEYS...: a new map with only (pick) or without (omit) KEYS. */
static int pick_omit(gt_ctx *x, gt_val *argv, int argc, gt_val *res, int pick)
{
    if (need_map(x, &argv[0]))
        return SL_EINVAL;
    if (gt_newmap(x, res))
        return SL_ENOMEM;
    for (cJSON *c = argv[0].j->child; c; c = c->next) {
        int listed = 0;
        for (int i = 1; i < argc && !listed; i++)
            listed = argv[i].k == GT_STR && !strcmp(argv[i].s, c->string);
        if (listed == pick) {
            gt_val e = gt_from_json(c);
            if (map_put(x, res, c->string, &e))
                return SL_ENOMEM;
        }
    }
    return 0;
}

F(d_pick)
{
    return pick_omit(x, argv, argc, res, 1);
}

F(d_omit)
{
    return pick_omit(x, argv, argc, res, 0);
}

/* mergo.Merge(dst, src[, WithOverride]) on maps: recursive for nested maps;
 * without override only empty/missing dst values are filled. */
static int merge_into(gt_ctx *x, cJSON *dst, const cJSON *src, int override, int depth)
{
    if (depth > 100)
        return gt_fail(x, "merge: nesting too deep");
    for (const cJSON *c = src->child; c; c = c->next) {
        cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, c->string);
        gt_val sv = gt_from_json(c);
        if (d && cJSON_IsObject(d) && cJSON_IsObject(c)) {
            if (!(d->type & GT_OWNED)) {
                /* copy the nested map so it can be changed */
                cJSON *cp = cJSON_Duplicate(d, 1);
                if (!cp)
                    return gt_nomem(x);
                cp->type &= ~cJSON_IsReference;
                cJSON_ReplaceItemInObjectCaseSensitive(dst, c->string, cp);
                d = cp;
                d->type |= GT_OWNED;
                for (cJSON *k = d->child; k; k = k->next)
                    if (cJSON_IsObject(k) || cJSON_IsArray(k))
                        k->type |= GT_OWNED;
            }
            if (merge_into(x, d, c, override, depth + 1))
                return SL_EINVAL;
            continue;
        }
        if (sv.k == GT_NIL && !override)
            continue; /* mergo: a nil source value only replaces with override */
        if (d) {
            gt_val dv = gt_from_json(d);
            if (!override && !is_empty(&dv))
                continue;
            if (!override && is_empty(&sv))
                continue;
        }
        cJSON *j = gt_to_json(x, &sv);
        if (!j)
            return SL_ENOMEM;
        if (d)
            cJSON_ReplaceItemInObjectCaseSensitive(dst, c->string, j);
        else
            cJSON_AddItemToObject(dst, c->string, j);
    }
    return 0;
}

/* merge/mergeOverwrite DST SRC...: DST (which must be template-made) is
 * changed in place and returned. */
static int merge_impl(gt_ctx *x, gt_val *argv, int argc, gt_val *res, int override)
{
    if (need_mutable(x, override ? "mergeOverwrite" : "merge", &argv[0]))
        return SL_EINVAL;
    for (int i = 1; i < argc; i++) {
        if (need_map(x, &argv[i]))
            return SL_EINVAL;
        if (!gt_tree_ok(argv[i].j))
            return gt_fail(x, "value nested too deep or too large (cyclic?)");
        if (merge_into(x, argv[0].j, argv[i].j, override, 0))
            return SL_EINVAL;
    }
    *res = argv[0];
    return 0;
}

F(d_merge)
{
    return merge_impl(x, argv, argc, res, 0);
}

F(d_mergeOverwrite)
{
    return merge_impl(x, argv, argc, res, 1);
}

F(d_deepCopy)
{
    if (argv[0].k != GT_MAP && argv[0].k != GT_LIST) {
        *res = argv[0];
        return 0;
    }
    if (!gt_tree_ok(argv[0].j))
        return gt_fail(x, "value nested too deep or too large (cyclic?)");
    cJSON *j = gt_to_json_copy(&argv[0]);
    if (gt_own(x, j))
        return SL_ENOMEM;
    *res = gt_from_json(j);
    return 0;
}

/* dig KEYS... DEFAULT MAP: the value at the key path, DEFAULT if absent. */
F(d_dig)
{
    const gt_val *m = &argv[argc - 1];
    gt_val cur;
    if (need_map(x, m))
        return SL_EINVAL;
    cur = *m;
    for (int i = 0; i < argc - 2; i++) {
        const char *k;
        size_t kn;
        STR(i, k, kn);
        cJSON *c = cur.k == GT_MAP ? cJSON_GetObjectItemCaseSensitive(cur.j, k) : NULL;
        if (!c) {
            *res = argv[argc - 2];
            return 0;
        }
        cur = gt_from_json(c);
        if (i < argc - 3 && cur.k != GT_MAP)
            return gt_fail(x, "dig: %s is not a map", k);
    }
    *res = cur;
    return 0;
}

/* ---------------------------------------------------------- defaults */

F(f_default)
{
    if (argc < 2 || is_empty(&argv[1]))
        *res = argv[0];
    else
        *res = argv[1];
    return 0;
}

F(f_empty)
{
    *res = gt_mkbool(is_empty(&argv[0]));
    return 0;
}

F(f_coalesce)
{
    for (int i = 0; i < argc; i++)
        if (!is_empty(&argv[i])) {
            *res = argv[i];
            return 0;
        }
    *res = gt_mknil();
    return 0;
}

F(f_all)
{
    for (int i = 0; i < argc; i++)
        if (is_empty(&argv[i])) {
            *res = gt_mkbool(0);
            return 0;
        }
    *res = gt_mkbool(1);
    return 0;
}

F(f_any)
{
    for (int i = 0; i < argc; i++)
        if (!is_empty(&argv[i])) {
            *res = gt_mkbool(1);
            return 0;
        }
    *res = gt_mkbool(0);
    return 0;
}

F(f_ternary)
{
    if (argv[2].k != GT_BOOL)
        return gt_fail(x, "wrong type for value; expected bool; got %s", gt_type_name(&argv[2]));
    *res = argv[2].b ? argv[0] : argv[1];
    return 0;
}

F(f_fail)
{
    const char *s;
    size_t n;
    STR(0, s, n);
    return gt_fail(x, "%.*s", (int)(n > 400 ? 400 : n), s);
}

F(f_required)
{
    const char *s;
    size_t n;
    STR(0, s, n);
    if (argv[1].k == GT_NIL || (argv[1].k == GT_STR && argv[1].n == 0))
        return gt_fail(x, "%.*s", (int)(n > 400 ? 400 : n), s);
    *res = argv[1];
    return 0;
}

/* ------------------------------------------------------- conversions */

F(c_atoi)
{
    const char *s;
    size_t n;
    char *end;
    STR(0, s, n);
    long long v = strtoll(s, &end, 10);
    *res = gt_mkint(end == s || *end ? 0 : v);
    return 0;
}

F(c_int)
{
    *res = gt_mkint(gt_cast_int(&argv[0]));
    return 0;
}

F(c_float64)
{
    *res = gt_mkfloat(gt_cast_float(&argv[0]));
    return 0;
}

/* Go's encoding/json float format. */
static int json_float(sl_buf *b, double f)
{
    char tmp[64];
    double a = fabs(f);
    if (isnan(f) || isinf(f))
        return SL_EINVAL;
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*g", p, f);
        if (strtod(tmp, NULL) == f)
            break;
    }
    if (a != 0 && (a < 1e-6 || a >= 1e21)) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, f);
        /* e-07 -> e-7 */
        char *e = strchr(tmp, 'e');
        if (e && (e[1] == '-' || e[1] == '+') && e[2] == '0' && e[3])
            memmove(e + 2, e + 3, strlen(e + 3) + 1);
        /* drop trailing zeros of the mantissa */
        return sl_buf_puts(b, tmp);
    }
    /* fixed notation with the shortest digits */
    snprintf(tmp, sizeof(tmp), "%.*e", p - 1, f);
    int ex = atoi(strchr(tmp, 'e') + 1);
    int dec = p - 1 - ex;
    snprintf(tmp, sizeof(tmp), "%.*f", dec > 0 ? dec : 0, f);
    return sl_buf_puts(b, tmp);
}

/* A JSON string as encoding/json writes it (<, >, & escaped when asked). */
static int json_str(sl_buf *b, const char *s, size_t n, int escape_html)
{
    static const char hex[] = "0123456789abcdef";
    int rc = sl_buf_putc(b, '"');
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = sl_buf_put(b, e, 2);
        } else if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&'))) {
            if (c == '\n')
                rc = sl_buf_puts(b, "\\n");
            else if (c == '\r')
                rc = sl_buf_puts(b, "\\r");
            else if (c == '\t')
                rc = sl_buf_puts(b, "\\t");
            else {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                rc = sl_buf_put(b, e, 6);
            }
        } else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
            rc = sl_buf_puts(b, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
            i += 2;
        } else {
            rc = sl_buf_putc(b, (char)c);
        }
    }
    return rc ? rc : sl_buf_putc(b, '"');
}

static int cmp_child(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* encoding/json of v: sorted keys, Go's float format, MarshalIndent's
 * layout when indent is set. */
static int json_enc(sl_buf *b, const gt_val *v, const char *indent, int html, int depth)
{
    int rc = 0;

    if (depth > 1000)
        return SL_ELIMIT;
    switch (v->k) {
    case GT_NIL:
        return sl_buf_puts(b, "null");
    case GT_BOOL:
        return sl_buf_puts(b, v->b ? "true" : "false");
    case GT_INT:
        return sl_buf_printf(b, "%lld", (long long)v->i);
    case GT_FLOAT:
        return json_float(b, v->f);
    case GT_STR:
        return json_str(b, v->s, v->n, html);
    default:
        break;
    }
    int ismap = v->k == GT_MAP;
    size_t n = 0, i = 0;
    for (cJSON *c = v->j->child; c; c = c->next)
        n++;
    if (!n)
        return sl_buf_puts(b, ismap ? "{}" : "[]");
    cJSON **kids = malloc(n * sizeof(*kids));
    if (!kids)
        return SL_ENOMEM;
    for (cJSON *c = v->j->child; c; c = c->next)
        kids[i++] = c;
    if (ismap)
        qsort(kids, n, sizeof(*kids), cmp_child);
    rc = sl_buf_putc(b, ismap ? '{' : '[');
    for (i = 0; i < n && !rc; i++) {
        gt_val e = gt_from_json(kids[i]);
        if (i)
            rc = sl_buf_putc(b, ',');
        if (indent && !rc) {
            rc = sl_buf_putc(b, '\n');
            for (int d = 0; d <= depth && !rc; d++)
                rc = sl_buf_puts(b, indent);
        }
        if (ismap && !rc) {
            rc = json_str(b, kids[i]->string, strlen(kids[i]->string), html);
            if (!rc)
                rc = sl_buf_puts(b, indent ? ": " : ":");
        }
        if (!rc)
            rc = json_enc(b, &e, indent, html, depth + 1);
    }
    if (indent && !rc) {
        rc = sl_buf_putc(b, '\n');
        for (int d = 0; d < depth && !rc; d++)
            rc = sl_buf_puts(b, indent);
    }
    free(kids);
    return rc ? rc : sl_buf_putc(b, ismap ? '}' : ']');
}

int gt_json_encode(sl_buf *b, const gt_val *v, const char *indent, int escape_html)
{
    if ((v->k == GT_MAP || v->k == GT_LIST) && !gt_tree_ok(v->j))
        return SL_ELIMIT;
    return json_enc(b, v, indent, escape_html, 0);
}

static int tojson_impl(gt_ctx *x, gt_val *argv, gt_val *res, const char *indent, int html, int must)
{
    sl_buf b = GT_BUF_INIT;
    int rc = gt_json_encode(&b, &argv[0], indent, html);
    if (rc == SL_EINVAL || rc == SL_ELIMIT) {
        sl_buf_free(&b);
        if (must)
            return gt_fail(x, "json: unsupported value");
        *res = gt_mkstr(x, "", 0);
        return 0;
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

F(c_toJson)
{
    return tojson_impl(x, argv, res, NULL, 1, 0);
}

F(c_mustToJson)
{
    return tojson_impl(x, argv, res, NULL, 1, 1);
}

F(c_toPrettyJson)
{
    return tojson_impl(x, argv, res, "  ", 1, 0);
}

F(c_toRawJson)
{
    return tojson_impl(x, argv, res, NULL, 0, 0);
}

/* fromJson/mustFromJson: bad JSON is nil (fromJson) or an error. */
static int fromjson_impl(gt_ctx *x, gt_val *argv, gt_val *res, int must)
{
    const char *s;
    size_t n;
    STR(0, s, n);
    cJSON *j = cJSON_ParseWithLength(s, n);
    if (!j) {
        if (must)
            return gt_fail(x, "invalid JSON");
        *res = gt_mknil();
        return 0;
    }
    if (gt_own(x, j))
        return SL_ENOMEM;
    *res = gt_from_json(j);
    return 0;
}

F(c_fromJson)
{
    return fromjson_impl(x, argv, res, 0);
}

F(c_mustFromJson)
{
    return fromjson_impl(x, argv, res, 1);
}

F(c_toYaml)
{
    sl_buf b = GT_BUF_INIT;
    cJSON *j;
    int rc;
    if ((argv[0].k == GT_MAP || argv[0].k == GT_LIST) && !gt_tree_ok(argv[0].j))
        return gt_fail(x, "value nested too deep or too large (cyclic?)");
    if (!(j = gt_to_json_copy(&argv[0])))
        return gt_nomem(x);
    rc = sl_yaml_write(&b, j);
    cJSON_Delete(j);
    if (!rc && b.len && b.ptr[b.len - 1] == '\n')
        b.ptr[--b.len] = 0; /* Sprig trims the final newline */
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

/* fromYaml/fromYamlArray: the first document (empty input: an empty map
 * or list); a YAML error fails the call. */
static int fromyaml_impl(gt_ctx *x, gt_val *argv, gt_val *res, int want_list)
{
    const char *s;
    size_t n;
    sl_docv dv = {0};
    sl_error err;
    int rc;
    STR(0, s, n);
    rc = sl_yaml_parse("fromYaml", s, n, NULL, NULL, &dv, &err);
    if (rc) {
        sl_docv_free(&dv);
        return gt_fail(x, "%s", err.msg);
    }
    cJSON *j = dv.n ? dv.v[0] : NULL;
    if (dv.n)
        dv.v[0] = NULL;
    sl_docv_free(&dv);
    if (!j)
        j = want_list ? cJSON_CreateArray() : cJSON_CreateObject();
    if (gt_own(x, j))
        return SL_ENOMEM;
    *res = gt_from_json(j);
    return 0;
}

F(c_fromYaml)
{
    return fromyaml_impl(x, argv, res, 0);
}

F(c_fromYamlArray)
{
    return fromyaml_impl(x, argv, res, 1);
}

/* ---------------------------------------------------------- encoding */

F(e_b64enc)
{
    gt_val s;
    sl_buf b = GT_BUF_INIT;
    if (gt_arg_str(x, &argv[0], &s.s, &s.n))
        return SL_EINVAL;
    return put_res_buf(x, &b, b64_encode(&b, (const unsigned char *)s.s, s.n), res);
}

static int b64_val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* The offset Go's base64/base32 decoders report for bad input: the first
 * character outside the alphabet, a misplaced '=', or the start of an
 * incomplete final quantum (q = 4 for base64, 8 for base32). -1 if the
 * input is well-formed. */
static long codec_error(const char *s, size_t n, size_t q, int (*val)(int))
{
    size_t i = 0;
    while (i < n) {
        size_t st = i, j = 0;
        for (; j < q && i < n; j++, i++) {
            if (s[i] == '=' && q == 4) {
                /* base64 padding, as encoding/base64's decodeQuantum */
                size_t p = i;
                if (j < 2)
                    return (long)p;
                if (j == 2) {
                    if (p + 1 == n)
                        return (long)n;
                    if (s[p + 1] != '=')
                        return (long)p;
                    i = p + 2;
                } else {
                    i = p + 1;
                }
                return i < n ? (long)i : -1;
            }
            if (s[i] == '=') {
                /* base32: the rest of the quantum must be '=' and end the input */
                if (j == 1 || j == 3 || j == 6)
                    return (long)i;
                for (size_t k = j; k < q; k++, i++)
                    if (i >= n || s[i] != '=')
                        return (long)(i >= n ? st : i - 1);
                return i == n ? -1 : (long)i;
            }
            if (val((unsigned char)s[i]) < 0)
                return (long)i;
        }
        if (j < q)
            return (long)st;
    }
    return -1;
}

/* b64dec S: the decoded bytes, or (as Sprig) the decoder's error text. */
F(e_b64dec)
{
    gt_val s;
    sl_buf b = GT_BUF_INIT;
    unsigned acc = 0;
    int bits = 0, rc = 0;
    size_t i, n;
    long bad;
    if (gt_arg_str(x, &argv[0], &s.s, &s.n))
        return SL_EINVAL;
    if ((bad = codec_error(s.s, s.n, 4, b64_val)) >= 0)
        goto bad;
    n = s.n;
    while (n && s.s[n - 1] == '=')
        n--;
    for (i = 0; i < n && !rc; i++) {
        acc = (acc << 6) | (unsigned)b64_val((unsigned char)s.s[i]);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            rc = sl_buf_putc(&b, (char)((acc >> bits) & 0xff));
        }
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
bad:
    sl_buf_free(&b);
    /* Sprig returns the error text as the result */
    return put_res_buf(x, &b, sl_buf_printf(&b, "illegal base64 data at input byte %ld", bad), res);
}

static int b32_val(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' : c >= '2' && c <= '7' ? c - '2' + 26 : -1;
}

/* b32enc S: standard base32 with padding. */
F(e_b32enc)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    gt_val s;
    sl_buf b = GT_BUF_INIT;
    int rc = 0;
    if (gt_arg_str(x, &argv[0], &s.s, &s.n))
        return SL_EINVAL;
    const unsigned char *p = (const unsigned char *)s.s;
    for (size_t i = 0; i < s.n && !rc; i += 5) {
        unsigned char blk[5] = {0};
        size_t k = s.n - i < 5 ? s.n - i : 5;
        memcpy(blk, p + i, k);
        uint64_t v = 0;
        for (int j = 0; j < 5; j++)
            v = (v << 8) | blk[j];
        static const int outc[6] = {0, 2, 4, 5, 7, 8};
        for (int j = 0; j < 8 && !rc; j++)
            rc = sl_buf_putc(&b, j < outc[k] ? tab[(v >> (35 - 5 * j)) & 31] : '=');
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
}

/* b32dec S: the decoded bytes, or the decoder's error text. */
F(e_b32dec)
{
    gt_val s;
    sl_buf b = GT_BUF_INIT;
    uint64_t acc = 0;
    int bits = 0, rc = 0;
    size_t n;
    long bad;
    if (gt_arg_str(x, &argv[0], &s.s, &s.n))
        return SL_EINVAL;
    if ((bad = codec_error(s.s, s.n, 8, b32_val)) >= 0)
        goto bad;
    n = s.n;
    while (n && s.s[n - 1] == '=')
        n--;
    for (size_t i = 0; i < n && !rc; i++) {
        acc = (acc << 5) | (unsigned)b32_val((unsigned char)s.s[i]);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            rc = sl_buf_putc(&b, (char)((acc >> bits) & 0xff));
        }
    }
    if (!rc && !b.ptr)
        rc = sl_buf_puts(&b, "");
    return put_res_buf(x, &b, rc, res);
bad:
    sl_buf_free(&b);
    return put_res_buf(x, &b, sl_buf_printf(&b, "illegal base32 data at input byte %ld", bad), res);
}

/* ------------------------------------------------------------ crypto */

static int hexdigest(gt_ctx *x, const unsigned char *d, size_t n, gt_val *res)
{
    char *o = gt_alloc(x, n * 2 + 1);
    if (!o)
        return SL_ENOMEM;
    for (size_t i = 0; i < n; i++)
        snprintf(o + 2 * i, 3, "%02x", d[i]);
    res->k = GT_STR;
    res->s = o;
    res->n = n * 2;
    return 0;
}

F(h_sha1sum)
{
    const char *s;
    size_t n;
    unsigned char d[SHA_DIGEST_LENGTH];
    STR(0, s, n);
    SHA1((const unsigned char *)s, n, d);
    return hexdigest(x, d, sizeof(d), res);
}

F(h_sha256sum)
{
    const char *s;
    size_t n;
    unsigned char d[SHA256_DIGEST_LENGTH];
    STR(0, s, n);
    SHA256((const unsigned char *)s, n, d);
    return hexdigest(x, d, sizeof(d), res);
}

F(h_adler32sum)
{
    const char *s;
    size_t n;
    uint32_t a = 1, b = 0;
    sl_buf o = GT_BUF_INIT;
    STR(0, s, n);
    for (size_t i = 0; i < n; i++) {
        a = (a + (unsigned char)s[i]) % 65521;
        b = (b + a) % 65521;
    }
    return put_res_buf(x, &o, sl_buf_printf(&o, "%u", (b << 16) | a), res);
}

/* score-k8s: a reference to a key of a Kubernetes Secret inside outputs. */
F(k_encodeSecretRef)
{
    const char *name, *key;
    size_t nn, kn;
    sl_buf b = GT_BUF_INIT;
    STR(0, name, nn);
    STR(1, key, kn);
    return put_res_buf(x, &b,
                       sl_buf_printf(&b,
                                     "\xf0\x9f\x94\x90\xf0\x9f\x92\xac%.*s_%.*s\xf0\x9f\x92\xac"
                                     "\xf0\x9f\x94\x90",
                                     (int)nn, name, (int)kn, key),
                       res);
}

/* -------------------------------------------------------------- math */

F(m_add)
{
    int64_t a = 0;
    for (int i = 0; i < argc; i++)
        a += gt_cast_int(&argv[i]);
    *res = gt_mkint(a);
    return 0;
}

F(m_add1)
{
    *res = gt_mkint(gt_cast_int(&argv[0]) + 1);
    return 0;
}

F(m_sub)
{
    *res = gt_mkint(gt_cast_int(&argv[0]) - gt_cast_int(&argv[1]));
    return 0;
}

F(m_mul)
{
    int64_t a = 1;
    for (int i = 0; i < argc; i++)
        a *= gt_cast_int(&argv[i]);
    *res = gt_mkint(a);
    return 0;
}

F(m_div)
{
    int64_t b = gt_cast_int(&argv[1]), a = gt_cast_int(&argv[0]);
    if (b == 0)
        return gt_fail(x, "runtime error: integer divide by zero");
    if (a == INT64_MIN && b == -1)
        *res = gt_mkint(a);
    else
        *res = gt_mkint(a / b);
    return 0;
}

F(m_mod)
{
    int64_t b = gt_cast_int(&argv[1]), a = gt_cast_int(&argv[0]);
    if (b == 0)
        return gt_fail(x, "runtime error: integer divide by zero");
    *res = gt_mkint(b == -1 ? 0 : a % b);
    return 0;
}

F(m_max)
{
    int64_t a = gt_cast_int(&argv[0]);
    for (int i = 1; i < argc; i++) {
        int64_t b = gt_cast_int(&argv[i]);
        if (b > a)
            a = b;
    }
    *res = gt_mkint(a);
    return 0;
}

F(m_min)
{
    int64_t a = gt_cast_int(&argv[0]);
    for (int i = 1; i < argc; i++) {
        int64_t b = gt_cast_int(&argv[i]);
        if (b < a)
            a = b;
    }
    *res = gt_mkint(a);
    return 0;
}

F(m_floor)
{
    *res = gt_mkfloat(floor(gt_cast_float(&argv[0])));
    return 0;
}

F(m_ceil)
{
    *res = gt_mkfloat(ceil(gt_cast_float(&argv[0])));
    return 0;
}

/* round(a, places[, roundOn = .5]) as Sprig. */
F(m_round)
{
    double a = gt_cast_float(&argv[0]), on = argc > 2 ? gt_cast_float(&argv[2]) : 0.5;
    int64_t p = gt_cast_int(&argv[1]);
    if (p > 300)
        p = 300;
    if (p < -300)
        p = -300;
    double pow10 = pow(10, (double)p), digit = pow10 * a, r;
    double intpart, frac = modf(digit, &intpart);
    if (frac >= on)
        r = ceil(digit);
    else
        r = floor(digit);
    *res = gt_mkfloat(r / pow10);
    return 0;
}

/* -------------------------------------------------------------- dates */

/* now: the current time, as Go's time.Time prints (UTC). */
F(t_now)
{
    struct timespec ts;
    struct tm tm;
    sl_buf b = GT_BUF_INIT;
    char tmp[64];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm);
    return put_res_buf(x, &b, sl_buf_printf(&b, "%s.%09ld +0000 UTC", tmp, ts.tv_nsec), res);
}

/* A time from a date argument: unix seconds (int) or a string in the
 * "2006-01-02 15:04:05[.fraction] +0000 UTC" or RFC 3339 forms. */
static int to_time(gt_ctx *x, const gt_val *v, time_t *t, long *nsec)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    *nsec = 0;
    if (v->k == GT_INT) {
        *t = (time_t)v->i;
        return 0;
    }
    if (v->k == GT_STR) {
        const char *e = strptime(v->s, "%Y-%m-%d %H:%M:%S", &tm);
        if (!e)
            e = strptime(v->s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (e) {
            if (*e == '.') {
                long frac = 0;
                int digits = 0;
                for (e++; isdigit((unsigned char)*e); e++)
                    if (digits < 9) {
                        frac = frac * 10 + (*e - '0');
                        digits++;
                    }
                while (digits++ < 9)
                    frac *= 10;
                *nsec = frac;
            }
            *t = timegm(&tm);
            return 0;
        }
    }
    return gt_fail(x, "date: cannot read %s as a time", gt_type_name(v));
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* Format t with a Go reference layout (Mon Jan 2 15:04:05 MST 2006). */
static int go_layout(sl_buf *b, const char *l, size_t n, time_t t, long nsec)
{
    static const struct {
        const char *tok, *fmt;
    } toks[] = {{"2006", "%Y"},       {"January", "%B"},  {"Jan", "%b"},   {"Monday", "%A"},
                {"Mon", "%a"},        {"MST", "UTC"},     {"01", "%m"},    {"02", "%d"},
                {"_2", "%e"},         {"15", "%H"},       {"03", "%I"},    {"04", "%M"},
                {"05", "%S"},         {"06", "%y"},       {"PM", "%p"},    {"pm", "%P"},
                {"-07:00", "+00:00"}, {"-0700", "+0000"}, {"Z07:00", "Z"}, {"Z0700", "Z"},
                {"002", "%j"},        {"1", "%-m"},       {"2", "%-d"},    {"3", "%-I"},
                {"4", "%-M"},         {"5", "%-S"}};
    struct tm tm;
    int rc = 0;
    gmtime_r(&t, &tm);
    for (size_t i = 0; i < n && !rc;) {
        int hit = 0;
        if (l[i] == '.' && i + 1 < n && (l[i + 1] == '0' || l[i + 1] == '9')) {
            size_t j = i + 1;
            char d = l[j];
            while (j < n && l[j] == d)
                j++;
            if (j == n || !isdigit((unsigned char)l[j])) {
                int w = (int)(j - i - 1);
                char frac[16];
                snprintf(frac, sizeof(frac), "%09ld", nsec);
                frac[w > 9 ? 9 : w] = 0;
                if (d == '9') {
                    int k = (int)strlen(frac);
                    while (k && frac[k - 1] == '0')
                        frac[--k] = 0;
                    if (k)
                        rc = sl_buf_printf(b, ".%s", frac);
                } else {
                    rc = sl_buf_printf(b, ".%s", frac);
                }
                i = j;
                continue;
            }
        }
        for (size_t k = 0; k < sizeof(toks) / sizeof(toks[0]); k++) {
            size_t tl = strlen(toks[k].tok);
            if (n - i >= tl && !memcmp(l + i, toks[k].tok, tl)) {
                char tmp[64];
                if (toks[k].fmt[0] == '%')
                    strftime(tmp, sizeof(tmp), toks[k].fmt, &tm);
                else
                    snprintf(tmp, sizeof(tmp), "%s", toks[k].fmt);
                rc = sl_buf_puts(b, tmp);
                i += tl;
                hit = 1;
                break;
            }
        }
        if (!hit)
            rc = sl_buf_putc(b, l[i++]);
    }
    if (!rc && !b->ptr)
        rc = sl_buf_puts(b, "");
    return rc;
}

#pragma GCC diagnostic pop

F(t_date)
{
    const char *l;
    size_t n;
    time_t t;
    long ns;
    sl_buf b = GT_BUF_INIT;
    STR(0, l, n);
    if (to_time(x, &argv[1], &t, &ns))
        return SL_EINVAL;
    return put_res_buf(x, &b, go_layout(&b, l, n, t, ns), res);
}

F(t_unixEpoch)
{
    time_t t;
    long ns;
    if (to_time(x, &argv[0], &t, &ns))
        return SL_EINVAL;
    sl_buf b = GT_BUF_INIT;
    return put_res_buf(x, &b, sl_buf_printf(&b, "%lld", (long long)t), res);
}

/* ------------------------------------------------------------ types */

F(y_typeOf)
{
    const char *t = gt_type_name(&argv[0]);
    *res = gt_mkstr(x, t, strlen(t));
    return 0;
}

F(y_kindOf)
{
    const char *t = kind_name(&argv[0]);
    *res = gt_mkstr(x, t, strlen(t));
    return 0;
}

F(y_typeIs)
{
    const char *t;
    size_t n;
    STR(0, t, n);
    *res = gt_mkbool(!strcmp(t, gt_type_name(&argv[1])));
    return 0;
}

F(y_kindIs)
{
    const char *t;
    size_t n;
    STR(0, t, n);
    *res = gt_mkbool(!strcmp(t, kind_name(&argv[1])));
    return 0;
}

F(h_sha512sum)
{
    const char *s;
    size_t n;
    unsigned char d[SHA512_DIGEST_LENGTH];
    STR(0, s, n);
    SHA512((const unsigned char *)s, n, d);
    return hexdigest(x, d, sizeof(d), res);
}

F(c_mustToPrettyJson)
{
    return tojson_impl(x, argv, res, "  ", 1, 1);
}

F(c_mustToRawJson)
{
    return tojson_impl(x, argv, res, NULL, 0, 1);
}

/* ------------------------------------------------------------- table */

/* Sorted by name (strcmp order) for bsearch. */
static const gt_func sprig[] = {
    {"abbrev", s_abbrev, 2, 2},
    {"add", m_add, 0, -1},
    {"add1", m_add1, 1, 1},
    {"adler32sum", h_adler32sum, 1, 1},
    {"all", f_all, 0, -1},
    {"any", f_any, 0, -1},
    {"append", l_append, 2, 2},
    {"atoi", c_atoi, 1, 1},
    {"b32dec", e_b32dec, 1, 1},
    {"b32enc", e_b32enc, 1, 1},
    {"b64dec", e_b64dec, 1, 1},
    {"b64enc", e_b64enc, 1, 1},
    {"biggest", m_max, 1, -1},
    {"camelcase", s_camelcase, 1, 1},
    {"cat", s_cat, 0, -1},
    {"ceil", m_ceil, 1, 1},
    {"coalesce", f_coalesce, 0, -1},
    {"compact", l_compact, 1, 1},
    {"concat", l_concat, 0, -1},
    {"contains", s_contains, 2, 2},
    {"date", t_date, 2, 2},
    {"deepCopy", d_deepCopy, 1, 1},
    {"default", f_default, 1, -1},
    {"dict", d_dict, 0, -1},
    {"dig", d_dig, 3, -1},
    {"div", m_div, 2, 2},
    {"empty", f_empty, 1, 1},
    {"encodeSecretRef", k_encodeSecretRef, 2, 2},
    {"fail", f_fail, 1, 1},
    {"first", l_first, 1, 1},
    {"float64", c_float64, 1, 1},
    {"floor", m_floor, 1, 1},
    {"fromJson", c_fromJson, 1, 1},
    {"fromYaml", c_fromYaml, 1, 1},
    {"fromYamlArray", c_fromYamlArray, 1, 1},
    {"get", d_get, 2, 2},
    {"has", l_has, 2, 2},
    {"hasKey", d_hasKey, 2, 2},
    {"hasPrefix", s_hasPrefix, 2, 2},
    {"hasSuffix", s_hasSuffix, 2, 2},
    {"indent", s_indent, 2, 2},
    {"initial", l_initial, 1, 1},
    {"initials", s_initials, 1, 1},
    {"int", c_int, 1, 1},
    {"int64", c_int, 1, 1},
    {"join", s_join, 2, 2},
    {"kebabcase", s_kebabcase, 1, 1},
    {"keys", d_keys, 0, -1},
    {"kindIs", y_kindIs, 2, 2},
    {"kindOf", y_kindOf, 1, 1},
    {"last", l_last, 1, 1},
    {"list", l_list, 0, -1},
    {"lower", s_lower, 1, 1},
    {"max", m_max, 1, -1},
    {"merge", d_merge, 1, -1},
    {"mergeOverwrite", d_mergeOverwrite, 1, -1},
    {"min", m_min, 1, -1},
    {"mod", m_mod, 2, 2},
    {"mul", m_mul, 1, -1},
    {"mustAppend", l_append, 2, 2},
    {"mustCompact", l_compact, 1, 1},
    {"mustDeepCopy", d_deepCopy, 1, 1},
    {"mustFirst", l_first, 1, 1},
    {"mustFromJson", c_mustFromJson, 1, 1},
    {"mustHas", l_has, 2, 2},
    {"mustInitial", l_initial, 1, 1},
    {"mustLast", l_last, 1, 1},
    {"mustMerge", d_merge, 1, -1},
    {"mustMergeOverwrite", d_mergeOverwrite, 1, -1},
    {"mustPrepend", l_prepend, 2, 2},
    {"mustPush", l_append, 2, 2},
    {"mustRegexFind", s_regexFind, 2, 2},
    {"mustRegexFindAll", s_regexFindAll, 3, 3},
    {"mustRegexMatch", s_regexMatch, 2, 2},
    {"mustRegexReplaceAll", s_regexReplaceAll, 3, 3},
    {"mustRegexReplaceAllLiteral", s_regexReplaceAllLiteral, 3, 3},
    {"mustRegexSplit", s_regexSplit, 3, 3},
    {"mustRest", l_rest, 1, 1},
    {"mustReverse", l_reverse, 1, 1},
    {"mustToJson", c_mustToJson, 1, 1},
    {"mustToPrettyJson", c_mustToPrettyJson, 1, 1},
    {"mustToRawJson", c_mustToRawJson, 1, 1},
    {"mustUniq", l_uniq, 1, 1},
    {"mustWithout", l_without, 1, -1},
    {"nindent", s_nindent, 2, 2},
    {"nospace", s_nospace, 1, 1},
    {"now", t_now, 0, 0},
    {"omit", d_omit, 1, -1},
    {"pick", d_pick, 1, -1},
    {"pluck", d_pluck, 1, -1},
    {"plural", s_plural, 3, 3},
    {"prepend", l_prepend, 2, 2},
    {"push", l_append, 2, 2},
    {"quote", s_quote, 0, -1},
    {"randAlpha", s_randAlpha, 1, 1},
    {"randAlphaNum", s_randAlphaNum, 1, 1},
    {"randAscii", s_randAscii, 1, 1},
    {"randBytes", s_randBytes, 1, 1},
    {"randNumeric", s_randNumeric, 1, 1},
    {"regexFind", s_regexFind, 2, 2},
    {"regexFindAll", s_regexFindAll, 3, 3},
    {"regexMatch", s_regexMatchSoft, 2, 2},
    {"regexQuoteMeta", s_regexQuoteMeta, 1, 1},
    {"regexReplaceAll", s_regexReplaceAll, 3, 3},
    {"regexReplaceAllLiteral", s_regexReplaceAllLiteral, 3, 3},
    {"regexSplit", s_regexSplit, 3, 3},
    {"repeat", s_repeat, 2, 2},
    {"replace", s_replace, 3, 3},
    {"required", f_required, 2, 2},
    {"rest", l_rest, 1, 1},
    {"reverse", l_reverse, 1, 1},
    {"round", m_round, 2, 3},
    {"seq", l_seq, 0, 3},
    {"set", d_set, 3, 3},
    {"sha1sum", h_sha1sum, 1, 1},
    {"sha256sum", h_sha256sum, 1, 1},
    {"sha512sum", h_sha512sum, 1, 1},
    {"snakecase", s_snakecase, 1, 1},
    {"sortAlpha", l_sortAlpha, 1, 1},
    {"split", s_split, 2, 2},
    {"splitList", s_splitList, 2, 2},
    {"splitn", s_splitn, 3, 3},
    {"squote", s_squote, 0, -1},
    {"sub", m_sub, 2, 2},
    {"substr", s_substr, 3, 3},
    {"swapcase", s_swapcase, 1, 1},
    {"ternary", f_ternary, 3, 3},
    {"title", s_title, 1, 1},
    {"toJson", c_toJson, 1, 1},
    {"toPrettyJson", c_toPrettyJson, 1, 1},
    {"toRawJson", c_toRawJson, 1, 1},
    {"toString", s_toString, 1, 1},
    {"toStrings", s_toStrings, 1, 1},
    {"toYaml", c_toYaml, 1, 1},
    {"trim", s_trim, 1, 1},
    {"trimAll", s_trimAll, 2, 2},
    {"trimPrefix", s_trimPrefix, 2, 2},
    {"trimSuffix", s_trimSuffix, 2, 2},
    {"trunc", s_trunc, 2, 2},
    {"tuple", l_list, 0, -1},
    {"typeIs", y_typeIs, 2, 2},
    {"typeOf", y_typeOf, 1, 1},
    {"uniq", l_uniq, 1, 1},
    {"unixEpoch", t_unixEpoch, 1, 1},
    {"unset", d_unset, 2, 2},
    {"until", l_until, 1, 1},
    {"untilStep", l_untilStep, 3, 3},
    {"untitle", s_untitle, 1, 1},
    {"upper", s_upper, 1, 1},
    {"uuidv4", s_uuidv4, 0, 0},
    {"values", d_values, 1, 1},
    {"without", l_without, 1, -1},
    {"wrap", s_wrap, 2, 2},
};

const gt_func *gt_func_lookup(const char *name, size_t n)
{
    const gt_func *f = gt_table_find(sprig, sizeof(sprig) / sizeof(sprig[0]), name, n);

    return f ? f : gt_builtin_lookup(name, n);
}
