/* yaml_write.c: deterministic block-style YAML, laid out as kubectl
 * (go-yaml v2 over libyaml's emitter) lays it out: mapping keys in byte
 * order, sequences inside mappings not indented, 2-space indent, {} and []
 * for empty collections. A string is written plain only when it reads back
 * as the same string (docs/yaml.md); otherwise it is double-quoted when it
 * would read as another type or holds special characters, single-quoted
 * when only the syntax forbids plain, and a literal block when it has line
 * breaks and can round-trip that way. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_doc.h"

#define W_MAX_DEPTH 10000    /* recursion bound */
#define W_SIMPLE_KEY_MAX 128 /* longer keys (or with line breaks) use "? key", as libyaml */

enum { W_ROOT, W_MAPVAL, W_SEQITEM };
enum { ST_PLAIN, ST_SINGLE, ST_DOUBLE, ST_LITERAL };

typedef struct w_ctx {
    sl_buf *out;
    const cJSON **stack; /* scratch for sorting keys */
    size_t nstack, cap;
    int depth;
} w_ctx;

static int w_put(w_ctx *w, const char *s, size_t n)
{
    return sl_buf_put(w->out, s, n);
}

static int w_puts(w_ctx *w, const char *s)
{
    return sl_buf_put(w->out, s, strlen(s));
}

static int w_indent(w_ctx *w, int n)
{
    static const char sp[] = "                                ";
    int rc;

    while (n > 0) {
        int k = n > 32 ? 32 : n;
        if ((rc = w_put(w, sp, (size_t)k)))
            return rc;
        n -= k;
    }
    return 0;
}

/* Strict UTF-8 decode of one code point; returns its length, 0 if invalid. */
static size_t w_utf8(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0], v;
    size_t len;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* libyaml's (and go-yaml's) printable set: no tab, CR, NEL, BOM or
 * characters beyond the BMP, which are all written as escapes. */
static int w_printable(unsigned cp)
{
    return cp == 0x0a || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) ||
           (cp >= 0xe000 && cp <= 0xfffd && cp != 0xfeff);
}

static int w_is_break(unsigned cp)
{
    return cp == '\n' || cp == '\r' || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

/* A copy of s with each invalid UTF-8 byte replaced by U+FFFD (as Go's
 * encoding/json does); NULL on ENOMEM. */
static char *w_sanitize(const char *s, size_t n, size_t *outn)
{
    char *o = malloc(n * 3 + 1);
    size_t j = 0;
    unsigned cp;

    if (!o)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t k = w_utf8((const unsigned char *)s + i, n - i, &cp);
        if (!k) {
            memcpy(o + j, "\xEF\xBF\xBD", 3);
            j += 3;
            i++;
        } else {
            memcpy(o + j, s + i, k);
            j += k;
            i += k;
        }
    }
    o[j] = '\0';
    *outn = j;
    return o;
}

/* YAML 1.1 base-60 numbers (go-yaml quotes them): [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)? */
static int w_base60_like(const char *s, size_t n)
{
    size_t i = 0, groups = 0;

    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return 0;
    for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
        ;
    while (i < n && s[i] == ':') {
        i++;
        if (i + 1 < n && s[i] >= '0' && s[i] <= '5' && s[i + 1] >= '0' && s[i + 1] <= '9')
            i += 2;
        else if (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        else
            return 0;
        groups++;
    }
    if (!groups)
        return 0;
    if (i < n && s[i] == '.')
        for (i++; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
            ;
    return i == n;
}

/* 1 when every byte is in [A-Za-z0-9._/-] or an inner ':', the first is
 * not '-', '.', ':' (indicators, "---", "...") and the last is not ':'. */
static int w_simple_ascii(const unsigned char *u, size_t n)
{
    if (u[0] == '-' || u[0] == '.' || u[0] == ':' || u[n - 1] == ':')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = u[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '/' || c == '-' || c == ':'))
            return 0;
    }
    return 1;
}

/* Choose how to write string s (valid UTF-8, n bytes). */
static int w_style(const char *s, size_t n, int is_key)
{
    const unsigned char *u = (const unsigned char *)s;
    int special = 0, nl = 0, other_break = 0, space_break = 0, break_space = 0;
    int block_ind = 0, leading_space, trailing_space, leading_break, trailing_break;
    int prev_ws = 1;
    unsigned cp, prev = 0;

    if (n == 0)
        return ST_DOUBLE;
    /* Fast path for the common case (names, images, paths, numbers): only
     * [A-Za-z0-9._/-] and inner ':' (never before a space: there is none),
     * not starting with an indicator. Such a string is plain unless it
     * would resolve to something else. */
    if (w_simple_ascii(u, n)) {
        if (sl_yaml_plain_kind(s, n) != SL_YAML_STR || w_base60_like(s, n))
            return ST_DOUBLE;
        return ST_PLAIN;
    }
    leading_space = s[0] == ' ';
    leading_break = s[0] == '\n';
    trailing_space = s[n - 1] == ' ';
    trailing_break = s[n - 1] == '\n';
    for (size_t i = 0; i < n;) {
        size_t k = w_utf8(u + i, n - i, &cp);
        unsigned next = i + k < n ? u[i + k] : 0;
        int next_ws = i + k >= n || next == ' ' || next == '\t' || next == '\n' || next == '\r';

        if (!k)
            return ST_DOUBLE; /* cannot happen: sanitized */
        if (cp == '\n')
            nl = 1;
        else if (w_is_break(cp))
            other_break = 1;
        if (!w_printable(cp))
            special = 1;
        if (i == 0) {
            if (strchr("#,[]{}&*!|>'\"%@`", (int)cp) && cp)
                block_ind = 1;
            if ((cp == '?' || cp == ':' || cp == '-') && next_ws)
                block_ind = 1;
        } else {
            if (cp == ':' && next_ws)
                block_ind = 1;
            if (cp == '#' && prev_ws)
                block_ind = 1;
        }
        if (cp == '\n' && prev == ' ')
            space_break = 1;
        if (cp == ' ' && prev == '\n')
            break_space = 1;
        prev_ws = cp == ' ' || cp == '\t' || w_is_break(cp);
        prev = cp;
        i += k;
    }
    if (n >= 3 && (!memcmp(s, "---", 3) || !memcmp(s, "...", 3)))
        block_ind = 1;
    if (nl) {
        if (!is_key && !special && !other_break && !space_break && !trailing_space)
            return ST_LITERAL;
        return ST_DOUBLE;
    }
    if (special || other_break)
        return ST_DOUBLE;
    if (sl_yaml_plain_kind(s, n) != SL_YAML_STR || w_base60_like(s, n) ||
        (n == 2 && !memcmp(s, "<<", 2)))
        return ST_DOUBLE;
    if (!leading_space && !trailing_space && !leading_break && !trailing_break && !block_ind &&
        !break_space && !space_break)
        return ST_PLAIN;
    return ST_SINGLE;
}

static int w_double(w_ctx *w, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    char esc[16];
    size_t run = 0; /* start of the pending unescaped run */
    unsigned cp;
    int rc;

    if ((rc = w_put(w, "\"", 1)))
        return rc;
    for (size_t i = 0; i < n;) {
        size_t k = w_utf8(u + i, n - i, &cp);
        const char *e = NULL;

        if (!k)
            k = 1, cp = 0xfffd;
        if (!w_printable(cp) || w_is_break(cp) || cp == '"' || cp == '\\') {
            switch (cp) {
            case 0x00:
                e = "\\0";
                break;
            case 0x07:
                e = "\\a";
                break;
            case 0x08:
                e = "\\b";
                break;
            case 0x09:
                e = "\\t";
                break;
            case 0x0a:
                e = "\\n";
                break;
            case 0x0b:
                e = "\\v";
                break;
            case 0x0c:
                e = "\\f";
                break;
            case 0x0d:
                e = "\\r";
                break;
            case 0x1b:
                e = "\\e";
                break;
            case '"':
                e = "\\\"";
                break;
            case '\\':
                e = "\\\\";
                break;
            case 0x85:
                e = "\\N";
                break;
            case 0x2028:
                e = "\\L";
                break;
            case 0x2029:
                e = "\\P";
                break;
            default:
                if (cp <= 0xff)
                    snprintf(esc, sizeof(esc), "\\x%02X", cp);
                else if (cp <= 0xffff)
                    snprintf(esc, sizeof(esc), "\\u%04X", cp);
                else
                    snprintf(esc, sizeof(esc), "\\U%08X", cp);
                e = esc;
            }
            if ((rc = w_put(w, s + run, i - run)) || (rc = w_puts(w, e)))
                return rc;
            run = i + k;
        }
        i += k;
    }
    if ((rc = w_put(w, s + run, n - run)))
        return rc;
    return w_put(w, "\"", 1);
}

static int w_single(w_ctx *w, const char *s, size_t n)
{
    size_t run = 0;
    int rc;

    if ((rc = w_put(w, "'", 1)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'') {
            if ((rc = w_put(w, s + run, i + 1 - run)) || (rc = w_put(w, "'", 1)))
                return rc;
            run = i + 1;
        }
    }
    if ((rc = w_put(w, s + run, n - run)))
        return rc;
    return w_put(w, "'", 1);
}

/* A literal block scalar: header then lines at indent. Content that starts
 * with a space or a line break needs the indentation indicator ("|2", the
 * content sits 2 columns in from the parent); the chomping indicator keeps
 * the trailing line breaks exact, as libyaml's emitter chooses them. */
static int w_literal(w_ctx *w, const char *s, size_t n, int indent)
{
    size_t trail = 0, body, start = 0;
    char head[8];
    int rc, k = 0;

    while (trail < n && s[n - 1 - trail] == '\n')
        trail++;
    body = n - trail;
    head[k++] = '|';
    if (s[0] == ' ' || s[0] == '\n')
        head[k++] = '2';
    if (trail == 0)
        head[k++] = '-';
    else if (trail > 1 || body == 0)
        head[k++] = '+';
    head[k++] = '\n';
    if ((rc = w_put(w, head, (size_t)k)))
        return rc;
    while (start <= body) {
        const char *nl = memchr(s + start, '\n', body - start);
        size_t end = nl ? (size_t)(nl - s) : body;
        if (end > start && ((rc = w_indent(w, indent)) || (rc = w_put(w, s + start, end - start))))
            return rc;
        if ((rc = w_put(w, "\n", 1)))
            return rc;
        start = end + 1;
    }
    for (size_t i = 1; i < trail; i++)
        if ((rc = w_put(w, "\n", 1)))
            return rc;
    return 0;
}

/* Write a string; block scalars put their lines at indent. The literal
 * header ends its own line, so *ended tells the caller not to add one. */
static int w_string(w_ctx *w, const char *s, int is_key, int indent, int *ended)
{
    size_t n = strlen(s), sn;
    char *clean = NULL;
    int rc;

    *ended = 0;
    /* The common case in one pass: a short ASCII name, path or image. */
    if (n && w_simple_ascii((const unsigned char *)s, n)) {
        if (sl_yaml_plain_kind(s, n) == SL_YAML_STR && !w_base60_like(s, n))
            return w_put(w, s, n);
        return w_double(w, s, n);
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) {
            unsigned cp;
            size_t k = w_utf8((const unsigned char *)s + i, n - i, &cp);
            if (!k) {
                if (!(clean = w_sanitize(s, n, &sn)))
                    return SL_ENOMEM;
                s = clean;
                n = sn;
                break;
            }
            i += k - 1;
        }
    switch (w_style(s, n, is_key)) {
    case ST_PLAIN:
        rc = w_put(w, s, n);
        break;
    case ST_SINGLE:
        rc = w_single(w, s, n);
        break;
    case ST_LITERAL:
        rc = w_literal(w, s, n, indent);
        *ended = 1;
        break;
    default:
        rc = w_double(w, s, n);
        break;
    }
    free(clean);
    return rc;
}

static int w_number(w_ctx *w, double d)
{
    char buf[40];

    if (isnan(d))
        return w_puts(w, ".nan");
    if (isinf(d))
        return w_puts(w, d < 0 ? "-.inf" : ".inf");
    if (d == trunc(d) && fabs(d) < 9007199254740992.0) {
        snprintf(buf, sizeof(buf), "%.0f", d == 0 ? 0.0 : d);
        return w_puts(w, buf);
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof(buf), "%.*g", p, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return w_puts(w, buf);
}

static int w_value(w_ctx *w, const cJSON *node, int ind, int ctx);

static int w_keycmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* Sort keys bytewise: insertion sort for the small mappings manifests are
 * made of (and already-sorted ones cost n compares), qsort beyond. */
static void w_sort(const cJSON **v, size_t n)
{
    if (n > 24) {
        qsort(v, n, sizeof(*v), w_keycmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        const cJSON *x = v[i];
        const char *kx = x->string ? x->string : "";
        size_t j = i;
        while (j > 0 && strcmp(v[j - 1]->string ? v[j - 1]->string : "", kx) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* 1 when a key must be written as an explicit "? key": too long, or
 * holding a line break (also NEL, LS, PS). */
static int w_key_explicit(const char *key, size_t klen)
{
    if (klen > W_SIMPLE_KEY_MAX)
        return 1;
    for (size_t i = 0; i < klen; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c == '\n' || c == '\r')
            return 1;
        if (c == 0xc2 || c == 0xe2)
            return strstr(key, "\xc2\x85") || strstr(key, "\xe2\x80\xa8") ||
                   strstr(key, "\xe2\x80\xa9") || strpbrk(key, "\n\r");
    }
    return 0;
}

/* A non-empty mapping, keys at ind; the first key goes where the cursor is
 * when first_inline. */
static int w_map(w_ctx *w, const cJSON *obj, int ind, int first_inline)
{
    size_t base = w->nstack, n = 0;
    int rc = 0;

    for (const cJSON *c = obj->child; c; c = c->next) {
        if (w->nstack == w->cap) {
            size_t cap = w->cap ? w->cap * 2 : 64;
            const cJSON **v = realloc(w->stack, cap * sizeof(*v));
            if (!v) {
                rc = SL_ENOMEM;
                goto out;
            }
            w->stack = v;
            w->cap = cap;
        }
        w->stack[w->nstack++] = c;
        n++;
    }
    w_sort(w->stack + base, n);
    for (size_t i = 0; i < n; i++) {
        const cJSON *c = w->stack[base + i];
        const char *key = c->string ? c->string : "";
        size_t klen = strlen(key);
        int ended;

        if ((i > 0 || !first_inline) && (rc = w_indent(w, ind)))
            goto out;
        if (w_key_explicit(key, klen)) {
            /* explicit key: "? key" then ": value" like a sequence entry */
            if ((rc = w_puts(w, "? ")) || (rc = w_string(w, key, 1, ind + 2, &ended)) ||
                (rc = w_put(w, "\n", 1)) || (rc = w_indent(w, ind)) || (rc = w_put(w, ":", 1)) ||
                (rc = w_value(w, c, ind, W_SEQITEM)))
                goto out;
            continue;
        }
        if ((rc = w_string(w, key, 1, ind + 2, &ended)) || (rc = w_put(w, ":", 1)) ||
            (rc = w_value(w, c, ind, W_MAPVAL)))
            goto out;
    }
out:
    w->nstack = base;
    return rc;
}

/* A non-empty sequence, dashes at ind. */
static int w_seq(w_ctx *w, const cJSON *arr, int ind, int first_inline)
{
    int rc, first = 1;

    for (const cJSON *c = arr->child; c; c = c->next) {
        if ((!first || !first_inline) && (rc = w_indent(w, ind)))
            return rc;
        first = 0;
        if ((rc = w_put(w, "-", 1)) || (rc = w_value(w, c, ind, W_SEQITEM)))
            return rc;
    }
    return 0;
}

/* Write node after "key:" (W_MAPVAL, key at ind), after "-" (W_SEQITEM,
 * dash at ind) or at the start of the document (W_ROOT); ends the line. */
static int w_value(w_ctx *w, const cJSON *node, int ind, int ctx)
{
    const char *sep = ctx == W_ROOT ? "" : " ";
    int type = node->type & 0xff, rc = 0, ended = 0;

    if (++w->depth > W_MAX_DEPTH) {
        rc = SL_ELIMIT;
        goto out;
    }
    switch (type) {
    case cJSON_Object:
    case cJSON_Array:
        if (!node->child) {
            rc = w_puts(w, sep);
            if (!rc)
                rc = w_puts(w, type == cJSON_Object ? "{}\n" : "[]\n");
            break;
        }
        if (ctx == W_MAPVAL) {
            if ((rc = w_put(w, "\n", 1)))
                break;
            rc = type == cJSON_Object ? w_map(w, node, ind + 2, 0) : w_seq(w, node, ind, 0);
        } else {
            int in = ctx == W_ROOT ? 0 : ind + 2;
            if ((rc = w_puts(w, sep)))
                break;
            rc = type == cJSON_Object ? w_map(w, node, in, 1) : w_seq(w, node, in, 1);
        }
        break;
    case cJSON_String:
        if ((rc = w_puts(w, sep)) || (rc = w_string(w, node->valuestring ? node->valuestring : "",
                                                    0, ctx == W_ROOT ? 2 : ind + 2, &ended)))
            break;
        if (!ended)
            rc = w_put(w, "\n", 1);
        break;
    case cJSON_Number:
        if (!(rc = w_puts(w, sep)) && !(rc = w_number(w, node->valuedouble)))
            rc = w_put(w, "\n", 1);
        break;
    case cJSON_True:
    case cJSON_False:
    case cJSON_NULL:
        if (!(rc = w_puts(w, sep)))
            rc = w_puts(w, type == cJSON_True    ? "true\n"
                           : type == cJSON_False ? "false\n"
                                                 : "null\n");
        break;
    default:
        rc = SL_EINVAL; /* cJSON_Raw or an invalid node */
    }
out:
    w->depth--;
    return rc;
}

int sl_yaml_write(sl_buf *out, const cJSON *node)
{
    w_ctx w;
    size_t len0;
    int rc;

    if (!out || !node)
        return SL_EINVAL;
    memset(&w, 0, sizeof(w));
    w.out = out;
    len0 = out->len;
    rc = w_value(&w, node, 0, W_ROOT);
    free(w.stack);
    if (rc && out->ptr) {
        out->len = len0; /* leave no partial document behind */
        out->ptr[len0] = '\0';
    }
    return rc;
}
