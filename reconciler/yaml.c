/* yaml.c: YAML streams (libyaml event API) straight into cJSON trees.
 *
 * Plain scalars resolve as go-yaml v2 (sigs.k8s.io/yaml, i.e. kubectl)
 * resolves them into interface{}: YAML 1.1 null/bool words, Go
 * strconv.ParseInt(base 0) integers with '_' removed, YAML floats;
 * timestamps stay strings. Anchors are expanded into deep copies counted
 * against limits->max_nodes; merge keys follow go-yaml v2 with explicit
 * keys winning. See docs/yaml.md for the full table. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "sl_doc.h"

#define Y_MAX_DEPTH_CLAMP 10000 /* recursion in copies/frees stays bounded */
#define Y_SMALL_MAP 16          /* mappings up to this many keys use linear scans */
#define Y_TAG_PREFIX "tag:yaml.org,2002:"

/* ---------------------------------------------------------------------- */
/* Scalar resolution                                                       */

enum { RK_STR, RK_NULL, RK_BOOL, RK_INT, RK_UINT, RK_FLOAT, RK_INF, RK_NAN };

typedef struct resolved {
    int kind;
    int b;                /* RK_BOOL; RK_INF: sign (+1/-1) */
    long long i;          /* RK_INT */
    unsigned long long u; /* RK_UINT (above INT64_MAX) */
    double d;             /* RK_FLOAT */
    char *str;            /* RK_STR: owned replacement text (!!binary), or NULL */
} resolved;

static const struct {
    const char *s;
    int kind, b;
} y_words[] = {
    {"y", RK_BOOL, 1},     {"Y", RK_BOOL, 1},     {"yes", RK_BOOL, 1},   {"Yes", RK_BOOL, 1},
    {"YES", RK_BOOL, 1},   {"true", RK_BOOL, 1},  {"True", RK_BOOL, 1},  {"TRUE", RK_BOOL, 1},
    {"on", RK_BOOL, 1},    {"On", RK_BOOL, 1},    {"ON", RK_BOOL, 1},    {"n", RK_BOOL, 0},
    {"N", RK_BOOL, 0},     {"no", RK_BOOL, 0},    {"No", RK_BOOL, 0},    {"NO", RK_BOOL, 0},
    {"false", RK_BOOL, 0}, {"False", RK_BOOL, 0}, {"FALSE", RK_BOOL, 0}, {"off", RK_BOOL, 0},
    {"Off", RK_BOOL, 0},   {"OFF", RK_BOOL, 0},   {"~", RK_NULL, 0},     {"null", RK_NULL, 0},
    {"Null", RK_NULL, 0},  {"NULL", RK_NULL, 0},  {".nan", RK_NAN, 0},   {".NaN", RK_NAN, 0},
    {".NAN", RK_NAN, 0},   {".inf", RK_INF, 1},   {".Inf", RK_INF, 1},   {".INF", RK_INF, 1},
    {"+.inf", RK_INF, 1},  {"+.Inf", RK_INF, 1},  {"+.INF", RK_INF, 1},  {"-.inf", RK_INF, -1},
    {"-.Inf", RK_INF, -1}, {"-.INF", RK_INF, -1},
};

/* go-yaml's first-character hint: S sign, D digit, M word, '.' float. */
static int y_hint(unsigned char c)
{
    if (c == '+' || c == '-')
        return 'S';
    if (c >= '0' && c <= '9')
        return 'D';
    if (c == '.')
        return '.';
    if (strchr("yYnNtTfFoO~", c) && c)
        return 'M';
    return 0;
}

static int y_lower(int c)
{
    return c | ('x' - 'X');
}

/* Go strconv.ParseUint(s, base, 64) for base 0 (prefix detection: 0b, 0o,
 * 0x, leading 0 = octal) or an explicit base; s holds no underscores. */
static int y_parse_uint(const char *s, size_t n, int base, unsigned long long *out)
{
    unsigned long long v = 0;

    if (n == 0)
        return -1;
    if (base == 0) {
        base = 10;
        if (s[0] == '0') {
            int l = n >= 3 ? y_lower((unsigned char)s[1]) : 0;
            if (l == 'b' || l == 'o' || l == 'x') {
                base = l == 'b' ? 2 : l == 'o' ? 8 : 16;
                s += 2;
                n -= 2;
            } else {
                base = 8;
                s++;
                n--;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (y_lower(c) >= 'a' && y_lower(c) <= 'z')
            d = y_lower(c) - 'a' + 10;
        else
            return -1;
        if (d >= base)
            return -1;
        if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
            return -1; /* out of range */
        v = v * (unsigned)base + (unsigned)d;
    }
    *out = v;
    return 0;
}

/* Go strconv.ParseInt(s, base, 64). */
static int y_parse_int(const char *s, size_t n, int base, long long *out)
{
    unsigned long long u;
    int neg = 0;

    if (n && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if (y_parse_uint(s, n, base, &u))
        return -1;
    if (!neg && u > (unsigned long long)LLONG_MAX)
        return -1;
    if (neg && u > (unsigned long long)LLONG_MAX + 1)
        return -1;
    *out = neg ? (long long)(0 - u) : (long long)u;
    return 0;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int y_float_syntax(const char *s, size_t n, int need_sign_ok)
{
    size_t i = 0, d;

    if (need_sign_ok && i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && s[i] == '.') {
        i++;
        for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
            ;
        if (i == d)
            return 0;
    } else {
        for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
            ;
        if (i == d)
            return 0;
        if (i < n && s[i] == '.')
            for (i++; i < n && isdigit((unsigned char)s[i]); i++)
                ;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
            ;
        if (i == d)
            return 0;
    }
    return i == n;
}

/* Go's underscoreOK: '_' only between digits (or after a base prefix). */
static int y_underscore_ok(const char *s, size_t n)
{
    int saw = '^', hex = 0;
    size_t i = 0;

    if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
        s++;
        n--;
    }
    if (n >= 2 && s[0] == '0' &&
        (y_lower((unsigned char)s[1]) == 'b' || y_lower((unsigned char)s[1]) == 'o' ||
         y_lower((unsigned char)s[1]) == 'x')) {
        i = 2;
        saw = '0';
        hex = y_lower((unsigned char)s[1]) == 'x';
    }
    for (; i < n; i++) {
        int c = (unsigned char)s[i];
        if ((c >= '0' && c <= '9') || (hex && y_lower(c) >= 'a' && y_lower(c) <= 'f')) {
            saw = '0';
            continue;
        }
        if (c == '_') {
            if (saw != '0')
                return 0;
            saw = '_';
            continue;
        }
        if (saw == '_')
            return 0;
        saw = '!';
    }
    return saw != '_';
}

/* strtod on a NUL-terminated copy; 0 when finite. */
static int y_strtod(const char *buf, double *out)
{
    char *end;
    double d = strtod(buf, &end);

    if (*end || isinf(d) || isnan(d))
        return -1; /* Go's ParseFloat reports overflow as an error */
    *out = d;
    return 0;
}

/* Resolve a plain scalar exactly as go-yaml v2's resolve("", s). */
static void y_resolve_plain(const char *s, size_t n, resolved *r)
{
    char small[96], *buf = small;
    size_t m = 0;
    int hint;

    memset(r, 0, sizeof(*r));
    r->kind = RK_STR;
    if (n == 0) {
        r->kind = RK_NULL;
        return;
    }
    hint = y_hint((unsigned char)s[0]);
    if (!hint)
        return;
    if (hint != 'D' && n <= 6) {
        for (size_t i = 0; i < sizeof(y_words) / sizeof(y_words[0]); i++) {
            if (strlen(y_words[i].s) == n && !memcmp(y_words[i].s, s, n)) {
                r->kind = y_words[i].kind;
                r->b = y_words[i].b;
                return;
            }
        }
    }
    if (hint == 'M')
        return;
    /* every number is made of these characters; anything else is text */
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (!isalnum(c) && c != '_' && c != '.' && c != '+' && c != '-')
            return;
    }
    if (n >= sizeof(small) && !(buf = malloc(n + 1)))
        return; /* cannot happen in practice; text is the safe reading */
    if (hint == '.') {
        /* strconv.ParseFloat(in): Go float syntax, '_' between digits */
        if (memchr(s, '_', n) && !y_underscore_ok(s, n))
            goto out;
        for (size_t i = 0; i < n; i++)
            if (s[i] != '_')
                buf[m++] = s[i];
        buf[m] = '\0';
        if (y_float_syntax(buf, m, 0) && !y_strtod(buf, &r->d))
            r->kind = RK_FLOAT;
        goto out;
    }
    /* 'D' or 'S': strings.Replace(in, "_", "", -1), then int, uint, float */
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_')
            buf[m++] = s[i];
    buf[m] = '\0';
    if (!y_parse_int(buf, m, 0, &r->i)) {
        r->kind = RK_INT;
        goto out;
    }
    if (!y_parse_uint(buf, m, 0, &r->u)) {
        r->kind = RK_UINT;
        goto out;
    }
    if (y_float_syntax(buf, m, 1)) {
        if (!y_strtod(buf, &r->d))
            r->kind = RK_FLOAT;
        goto out;
    }
    if (m > 2 && buf[0] == '0' && buf[1] == 'b') {
        /* go-yaml retries "0b..." with ParseInt(rest, 2), which takes a sign */
        if (!y_parse_int(buf + 2, m - 2, 2, &r->i))
            r->kind = RK_INT;
        else if (!y_parse_uint(buf + 2, m - 2, 2, &r->u))
            r->kind = RK_UINT;
    }
out:
    if (r->kind == RK_UINT && r->u <= (unsigned long long)LLONG_MAX) {
        r->kind = RK_INT;
        r->i = (long long)r->u;
    }
    if (buf != small)
        free(buf);
}

static int y_timestamp(const char *s, size_t n);

/* Go strconv.FormatFloat(d, 'g', -1, 32), which sigs.k8s.io/yaml uses for
 * float mapping keys. */
static void y_go_float32(double d, char *out, size_t outn)
{
    float f = (float)d;
    char e[48], digits[32];
    int p, exp, nd = 0;
    const char *q;
    size_t o = 0;

    if (f == 0) {
        snprintf(out, outn, "%s", signbit(f) ? "-0" : "0");
        return;
    }
    if (isinf(f)) { /* sigs.k8s.io/yaml turns +Inf/-Inf keys into .inf/-.inf */
        snprintf(out, outn, "%s", f < 0 ? "-.inf" : ".inf");
        return;
    }
    for (p = 1; p <= 9; p++) {
        snprintf(e, sizeof(e), "%.*e", p - 1, (double)f);
        if (strtof(e, NULL) == f)
            break;
    }
    /* e is [-]d[.ddd]e[+-]XX */
    q = e;
    if (*q == '-')
        out[o++] = *q++;
    for (; *q && *q != 'e'; q++)
        if (isdigit((unsigned char)*q))
            digits[nd++] = *q;
    exp = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (exp < -4 || exp >= 6) {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++)
                out[o++] = digits[i];
        }
        snprintf(out + o, outn - o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        return;
    }
    if (exp < 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -exp - 1; i++)
            out[o++] = '0';
        for (int i = 0; i < nd; i++)
            out[o++] = digits[i];
    } else {
        for (int i = 0; i <= exp; i++)
            out[o++] = i < nd ? digits[i] : '0';
        if (nd > exp + 1) {
            out[o++] = '.';
            for (int i = exp + 1; i < nd; i++)
                out[o++] = digits[i];
        }
    }
    out[o] = '\0';
}

/* ---------------------------------------------------------------------- */
/* Parser state                                                            */

typedef struct y_key {
    const char *key; /* borrowed: the pending key or the attached child's name */
    int line, col;
} y_key;

typedef struct y_frame {
    cJSON *node;
    int is_map;
    int want_key;    /* mapping: the next node is a key */
    int merge_value; /* mapping: the pending value belongs to a << key */
    char *key;       /* mapping: pending key, owned until attached */
    size_t kbase;    /* mapping: first y_key of this mapping */
    size_t nkeys;
    size_t size; /* nodes in this subtree */
    int height;  /* 1 + height of the tallest child */
    int line, col;
    long anchor;        /* index into anchors, -1 none */
    const cJSON **msrc; /* merge sources, earlier = stronger */
    size_t nmsrc, msrc_cap;
} y_frame;

typedef struct y_anchor {
    char *name;
    const cJSON *node; /* in the document tree or grave, or == owned */
    cJSON *owned;      /* anchored mapping keys */
    char *keystr;      /* scalars: the mapping-key form */
    size_t size;
    int height;
    int complete;
} y_anchor;

typedef struct y_ctx {
    const char *file;
    const char *ifile; /* interned in pm */
    sl_posmap *pm;
    sl_error *err;
    size_t max_nodes, nodes;
    int max_depth;
    y_frame *frames;
    size_t nframes, frames_cap;
    y_key *keys;
    size_t nkeys, keys_cap;
    y_anchor *anchors;
    size_t nanchors, anchors_cap;
    long *aidx; /* open addressing: anchor index + 1, 0 empty */
    size_t aidx_cap;
    cJSON *grave; /* this document's merge values and overridden nodes */
    cJSON *root;
    int root_line, root_col;
    int line_base; /* lines before this chunk of the file */
} y_ctx;

#define Y_ERR(c, code, line, col, ...)                                                             \
    sl_error_setpos((c)->err, code, (c)->file, line, col, __VA_ARGS__)

static int y_grow(void **v, size_t *cap, size_t need, size_t elem)
{
    size_t ncap;
    void *p;

    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    p = realloc(*v, ncap * elem);
    if (!p)
        return SL_ENOMEM;
    *v = p;
    *cap = ncap;
    return 0;
}

static uint64_t y_strhash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static y_anchor *y_anchor_find(y_ctx *c, const char *name)
{
    size_t j;

    if (!c->aidx_cap)
        return NULL;
    j = (size_t)y_strhash(name) & (c->aidx_cap - 1);
    while (c->aidx[j]) {
        y_anchor *a = &c->anchors[c->aidx[j] - 1];
        if (!strcmp(a->name, name))
            return a;
        j = (j + 1) & (c->aidx_cap - 1);
    }
    return NULL;
}

/* Index the newest anchor entry under its name. */
static int y_aidx_put(y_ctx *c, long idx)
{
    const char *name = c->anchors[idx].name;
    size_t j;

    if ((c->nanchors + 1) * 2 > c->aidx_cap) {
        size_t cap = c->aidx_cap ? c->aidx_cap * 2 : 32;
        long *ix = calloc(cap, sizeof(*ix));
        if (!ix)
            return SL_ENOMEM;
        free(c->aidx);
        c->aidx = ix;
        c->aidx_cap = cap;
        /* rebuild from all entries in order: the newest of a name wins */
        for (size_t i = 0; i < c->nanchors; i++) {
            if ((long)i == idx)
                continue;
            size_t k = (size_t)y_strhash(c->anchors[i].name) & (cap - 1);
            while (ix[k] && strcmp(c->anchors[ix[k] - 1].name, c->anchors[i].name))
                k = (k + 1) & (cap - 1);
            ix[k] = (long)i + 1;
        }
    }
    j = (size_t)y_strhash(name) & (c->aidx_cap - 1);
    while (c->aidx[j] && strcmp(c->anchors[c->aidx[j] - 1].name, name))
        j = (j + 1) & (c->aidx_cap - 1);
    c->aidx[j] = idx + 1;
    return 0;
}

/* Register anchor name (taken) for node; returns its index or -1 on ENOMEM. */
static long y_anchor_add(y_ctx *c, char *name, const cJSON *node, cJSON *owned)
{
    long idx;

    if (y_grow((void **)&c->anchors, &c->anchors_cap, c->nanchors + 1, sizeof(*c->anchors))) {
        free(name);
        cJSON_Delete(owned);
        return -1;
    }
    idx = (long)c->nanchors++;
    memset(&c->anchors[idx], 0, sizeof(c->anchors[idx]));
    c->anchors[idx].name = name;
    c->anchors[idx].node = node;
    c->anchors[idx].owned = owned;
    if (y_aidx_put(c, idx))
        return -1;
    return idx;
}

/* Forget and free a tree whose nodes may have position entries. */
static void y_drop(y_ctx *c, cJSON *node)
{
    if (!node)
        return;
    sl_posmap_forget(c->pm, node);
    cJSON_Delete(node);
}

/* End of a document (or error): free everything the document owns. */
static void y_doc_clear(y_ctx *c)
{
    for (size_t i = 0; i < c->nframes; i++) {
        free(c->frames[i].key);
        free(c->frames[i].msrc);
    }
    c->nframes = 0;
    c->nkeys = 0;
    for (size_t i = 0; i < c->nanchors; i++) {
        free(c->anchors[i].name);
        free(c->anchors[i].keystr);
        cJSON_Delete(c->anchors[i].owned);
    }
    c->nanchors = 0;
    if (c->aidx)
        memset(c->aidx, 0, c->aidx_cap * sizeof(*c->aidx));
    y_drop(c, c->grave);
    c->grave = NULL;
    y_drop(c, c->root);
    c->root = NULL;
}

static int y_count_node(y_ctx *c, int line, int col)
{
    if (++c->nodes > c->max_nodes)
        return Y_ERR(c, SL_ELIMIT, line, col, "more than %zu nodes in this file (limits.maxNodes)",
                     c->max_nodes);
    return 0;
}

static int y_setpos(y_ctx *c, const cJSON *node, int line, int col)
{
    if (c->pm && sl_posmap_set(c->pm, node, c->ifile, line, col))
        return sl_error_set(c->err, SL_ENOMEM, "out of memory");
    return 0;
}

/* Deep copy src under the node budget and within depth_left more levels
 * of containers, copying positions. line >= 0 marks the root of the copy:
 * it loses its key name and gets line:col as position when line > 0
 * (line 0: keeps the original's). Adds the node count to *size and
 * reports the height. */
static int y_copy(y_ctx *c, const cJSON *src, int depth_left, int line, int col, int eline,
                  int ecol, cJSON **out, size_t *size, int *height)
{
    cJSON *copy = NULL;
    int rc, h = 0;
    sl_pos p;

    *out = NULL;
    *height = 0;
    if ((rc = y_count_node(c, eline, ecol)))
        return rc;
    if ((src->type & 0xff) == cJSON_Array || (src->type & 0xff) == cJSON_Object) {
        if (depth_left < 1)
            return Y_ERR(c, SL_ELIMIT, eline, ecol,
                         "copying an anchored node nests deeper than %d levels (limits.maxDepth)",
                         c->max_depth);
    }
    if (!(copy = cJSON_Duplicate(src, 0)))
        return sl_error_set(c->err, SL_ENOMEM, "out of memory");
    if (line >= 0 && copy->string) {
        /* the copy's root gets its name from where it is attached */
        if (!(copy->type & cJSON_StringIsConst))
            free(copy->string);
        copy->string = NULL;
        copy->type &= ~cJSON_StringIsConst;
    }
    (*size)++;
    for (const cJSON *ch = src->child; ch; ch = ch->next) {
        cJSON *cc;
        int chh;
        if ((rc = y_copy(c, ch, depth_left - 1, -1, 0, eline, ecol, &cc, size, &chh)))
            goto out;
        cJSON_AddItemToArray(copy, cc);
        if (chh > h)
            h = chh;
    }
    if ((src->type & 0xff) == cJSON_Array || (src->type & 0xff) == cJSON_Object)
        h++; /* a container is one level above its tallest child */
    if (c->pm) {
        if (line > 0)
            rc = y_setpos(c, copy, line, col);
        else if (sl_posmap_get(c->pm, src, &p) == 0)
            rc = y_setpos(c, copy, p.line, p.col);
        if (rc)
            goto out;
    }
out:
    if (rc) {
        y_drop(c, copy);
        return rc;
    }
    *out = copy;
    *height = h;
    return 0;
}

static y_frame *y_top(y_ctx *c)
{
    return c->nframes ? &c->frames[c->nframes - 1] : NULL;
}

/* Link a new node into its parent (or make it the document root). A merge
 * value is held in the grave until its mapping ends. The node belongs to
 * the tree afterwards, also on error. */
static int y_attach(y_ctx *c, cJSON *node, int line, int col)
{
    y_frame *p = y_top(c);

    if (!p) {
        c->root = node;
        c->root_line = line;
        c->root_col = col;
        return 0;
    }
    if (!p->is_map) {
        cJSON_AddItemToArray(p->node, node);
        return 0;
    }
    if (p->merge_value) {
        if (!c->grave && !(c->grave = cJSON_CreateArray())) {
            y_drop(c, node);
            return sl_error_set(c->err, SL_ENOMEM, "out of memory");
        }
        cJSON_AddItemToArray(c->grave, node);
        return 0;
    }
    node->string = p->key;
    p->key = NULL;
    cJSON_AddItemToArray(p->node, node);
    p->want_key = 1;
    return 0;
}

static int y_merge_src(y_ctx *c, y_frame *p, const cJSON *src)
{
    if (y_grow((void **)&p->msrc, &p->msrc_cap, p->nmsrc + 1, sizeof(*p->msrc)))
        return sl_error_set(c->err, SL_ENOMEM, "out of memory");
    p->msrc[p->nmsrc++] = src;
    return 0;
}

static int y_merge_add(y_ctx *c, y_frame *p, const cJSON *v, int line, int col)
{
    int rc;

    if (cJSON_IsObject(v))
        return y_merge_src(c, p, v);
    if (cJSON_IsArray(v)) {
        for (const cJSON *e = v->child; e; e = e->next) {
            if (!cJSON_IsObject(e))
                goto bad;
            if ((rc = y_merge_src(c, p, e)))
                return rc;
        }
        return 0;
    }
bad:
    return Y_ERR(c, SL_EINVAL, line, col,
                 "the value of a merge key (<<) must be a mapping, an alias of a mapping or a "
                 "sequence of those");
}

/* A child node is complete: account its size and height in the parent, or
 * register it as a merge source. */
static int y_complete(y_ctx *c, const cJSON *node, size_t size, int height, int line, int col)
{
    y_frame *p = y_top(c);

    if (!p)
        return 0;
    if (p->is_map && p->merge_value) {
        p->merge_value = 0;
        p->want_key = 1;
        return y_merge_add(c, p, node, line, col);
    }
    p->size += size;
    if (height + 1 > p->height)
        p->height = height + 1;
    return 0;
}

static int y_keycmp(const void *a, const void *b)
{
    const y_key *x = *(const y_key *const *)a, *y = *(const y_key *const *)b;
    int d = strcmp(x->key, y->key);
    return d ? d : (x < y ? -1 : x > y);
}

static int y_keyfind(const void *k, const void *e)
{
    return strcmp((const char *)k, (*(const y_key *const *)e)->key);
}

typedef struct y_mcand {
    const char *key;
    size_t prio;
    const cJSON *val;
} y_mcand;

static int y_mcandcmp(const void *a, const void *b)
{
    const y_mcand *x = a, *y = b;
    int d = strcmp(x->key, y->key);
    return d ? d : (x->prio < y->prio ? -1 : x->prio > y->prio);
}

static int y_dup_error(y_ctx *c, const y_key *first, const y_key *second)
{
    return Y_ERR(c, SL_EINVAL, second->line, second->col,
                 "duplicate mapping key \"%.200s\" (first defined at %s:%d:%d)", second->key,
                 c->file ? c->file : "", first->line, first->col);
}

/* A mapping ends: refuse duplicate keys, then add merged keys that no
 * explicit key overrides (earlier merge sources win over later ones). */
static int y_map_finish(y_ctx *c, y_frame *f)
{
    y_key *k = c->keys + f->kbase;
    size_t n = f->nkeys, total = 0, nc = 0;
    const y_key **sorted = NULL;
    y_mcand *cand = NULL;
    int rc = 0;

    if (n <= Y_SMALL_MAP) {
        for (size_t j = 1; j < n; j++)
            for (size_t i = 0; i < j; i++)
                if (!strcmp(k[i].key, k[j].key))
                    return y_dup_error(c, &k[i], &k[j]);
    } else {
        const y_key *a = NULL, *b = NULL;
        if (!(sorted = malloc(n * sizeof(*sorted))))
            return sl_error_set(c->err, SL_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++)
            sorted[i] = &k[i];
        /* equal keys end up together, in file order */
        qsort(sorted, n, sizeof(*sorted), y_keycmp);
        /* report the pair whose second key comes first in the file */
        for (size_t i = 1; i < n; i++)
            if (!strcmp(sorted[i - 1]->key, sorted[i]->key) &&
                (i < 2 || strcmp(sorted[i - 2]->key, sorted[i]->key)) && (!b || sorted[i] < b)) {
                a = sorted[i - 1];
                b = sorted[i];
            }
        if (b) {
            rc = y_dup_error(c, a, b);
            goto out;
        }
    }
    if (!f->nmsrc)
        goto out;
    for (size_t s = 0; s < f->nmsrc && total <= c->max_nodes; s++)
        for (const cJSON *e = f->msrc[s]->child; e && total <= c->max_nodes; e = e->next)
            total++;
    if (!total)
        goto out;
    if (total > c->max_nodes) {
        /* even entries that explicit keys override cost work: cap them too */
        rc =
            Y_ERR(c, SL_ELIMIT, f->line, f->col,
                  "merge keys (<<) bring in more than %zu entries (limits.maxNodes)", c->max_nodes);
        goto out;
    }
    if (!(cand = malloc(total * sizeof(*cand)))) {
        rc = sl_error_set(c->err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t s = 0; s < f->nmsrc; s++)
        for (const cJSON *e = f->msrc[s]->child; e; e = e->next) {
            cand[nc].key = e->string ? e->string : "";
            cand[nc].prio = nc;
            cand[nc].val = e;
            nc++;
        }
    qsort(cand, nc, sizeof(*cand), y_mcandcmp);
    for (size_t i = 0; i < nc; i++) {
        const char *key = cand[i].key;
        int explicit = 0;
        cJSON *copy;
        size_t size = 0;
        int h;

        if (i > 0 && !strcmp(cand[i - 1].key, key))
            continue; /* a stronger source already gave this key */
        if (sorted)
            explicit = bsearch(key, sorted, n, sizeof(*sorted), y_keyfind) != NULL;
        else
            for (size_t j = 0; j < n && !explicit; j++)
                explicit = !strcmp(k[j].key, key);
        if (explicit)
            continue;
        if ((rc = y_copy(c, cand[i].val, c->max_depth - (int)c->nframes, 0, 0, f->line, f->col,
                         &copy, &size, &h)))
            goto out;
        if (!(copy->string = strdup(key))) {
            y_drop(c, copy);
            rc = sl_error_set(c->err, SL_ENOMEM, "out of memory");
            goto out;
        }
        cJSON_AddItemToArray(f->node, copy);
        f->size += size;
        if (h + 1 > f->height)
            f->height = h + 1;
    }
out:
    free(sorted);
    free(cand);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Events                                                                  */

static int y_tag_is(const char *tag, const char *suffix)
{
    return tag && !strncmp(tag, Y_TAG_PREFIX, sizeof(Y_TAG_PREFIX) - 1) &&
           !strcmp(tag + sizeof(Y_TAG_PREFIX) - 1, suffix);
}

static const char *y_kind_name(int kind)
{
    switch (kind) {
    case RK_NULL:
        return "null";
    case RK_BOOL:
        return "a bool";
    case RK_INT:
    case RK_UINT:
        return "an int";
    case RK_FLOAT:
        return "a float";
    case RK_INF:
    case RK_NAN:
        return "infinity or NaN";
    default:
        return "a string";
    }
}

static int y_b64val(int ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

/* !!binary: Go's base64.StdEncoding.DecodeString (padding required, CR and
 * LF skipped). The bytes become the string, invalid UTF-8 replaced by
 * U+FFFD as Go's JSON encoder does. 0 ok, -1 bad base64, -2 NUL, -3 ENOMEM. */
static int y_base64(const char *s, size_t n, char **out)
{
    unsigned char *raw = malloc(n / 4 * 3 + 3);
    char *o = NULL;
    size_t q = 0, m = 0, j = 0;
    int vals[4], pad = 0, rc = -1;
    unsigned cp;

    if (!raw)
        return -3;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)s[i], v;
        if (ch == '\r' || ch == '\n')
            continue;
        if (pad && ch != '=')
            goto out; /* data after padding */
        if (ch == '=') {
            if (q < 2)
                goto out;
            pad++;
            vals[q++] = 0;
        } else {
            if ((v = y_b64val(ch)) < 0)
                goto out;
            vals[q++] = v;
        }
        if (q == 4) {
            raw[m++] = (unsigned char)(vals[0] << 2 | vals[1] >> 4);
            if (pad < 2)
                raw[m++] = (unsigned char)(vals[1] << 4 | vals[2] >> 2);
            if (pad < 1)
                raw[m++] = (unsigned char)(vals[2] << 6 | vals[3]);
            q = 0;
            if (pad)
                pad = 3; /* nothing may follow */
        }
    }
    if (q)
        goto out;
    if (memchr(raw, 0, m)) {
        rc = -2;
        goto out;
    }
    if (!(o = malloc(m * 3 + 1))) {
        rc = -3;
        goto out;
    }
    for (size_t i = 0; i < m;) {
        unsigned c0 = raw[i];
        size_t len = c0 < 0x80                  ? 1
                     : c0 >= 0xc2 && c0 <= 0xdf ? 2
                     : c0 >= 0xe0 && c0 <= 0xef ? 3
                     : c0 >= 0xf0 && c0 <= 0xf4 ? 4
                                                : 0;
        int ok = len && i + len <= m;
        for (size_t k = 1; ok && k < len; k++)
            ok = (raw[i + k] & 0xc0) == 0x80;
        if (ok && len > 1) {
            cp = c0 & (0xff >> (len + 1));
            for (size_t k = 1; k < len; k++)
                cp = cp << 6 | (raw[i + k] & 0x3f);
            ok = !((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                   (cp >= 0xd800 && cp <= 0xdfff));
        }
        if (!ok) {
            memcpy(o + j, "\xEF\xBF\xBD", 3);
            j += 3;
            i++;
        } else {
            memcpy(o + j, raw + i, len);
            j += len;
            i += len;
        }
    }
    o[j] = '\0';
    *out = o;
    o = NULL;
    rc = 0;
out:
    free(raw);
    free(o);
    return rc;
}

/* Read up to max decimal digits (at least min) into *v. */
static int y_digits(const char *s, size_t n, size_t *i, size_t min, size_t max, int *v)
{
    size_t d = 0;

    *v = 0;
    while (*i < n && d < max && s[*i] >= '0' && s[*i] <= '9') {
        *v = *v * 10 + (s[*i] - '0');
        (*i)++;
        d++;
    }
    return d >= min;
}

/* A timestamp go-yaml accepts for !!timestamp: 2006-1-2, 2006-1-2 15:4:5.999,
 * or 2006-1-2T15:4:5.999Z07:00 (T or t; Z or +hh:mm/-hh:mm). */
static int y_timestamp(const char *s, size_t n)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t i = 0;
    int y, mo, d, h, mi, se, tz, t;

    if (!y_digits(s, n, &i, 4, 4, &y) || i >= n || s[i++] != '-' ||
        !y_digits(s, n, &i, 1, 2, &mo) || i >= n || s[i++] != '-' || !y_digits(s, n, &i, 1, 2, &d))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
        return 0;
    if (i == n)
        return 1;
    t = s[i++];
    if (t != 'T' && t != 't' && t != ' ')
        return 0;
    if (!y_digits(s, n, &i, 1, 2, &h) || i >= n || s[i++] != ':' ||
        !y_digits(s, n, &i, 1, 2, &mi) || i >= n || s[i++] != ':' ||
        !y_digits(s, n, &i, 1, 2, &se) || h > 23 || mi > 59 || se > 59)
        return 0;
    if (i < n && s[i] == '.') {
        i++;
        if (!y_digits(s, n, &i, 1, 9, &tz))
            return 0;
    }
    if (t == ' ')
        return i == n;
    if (i < n && s[i] == 'Z')
        return i + 1 == n;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        i++;
        return y_digits(s, n, &i, 2, 2, &h) && i < n && s[i++] == ':' &&
               y_digits(s, n, &i, 2, 2, &mi) && i == n;
    }
    return 0;
}

int sl_yaml_plain_kind(const char *s, size_t n)
{
    resolved r;

    y_resolve_plain(s, n, &r);
    switch (r.kind) {
    case RK_NULL:
        return SL_YAML_NULL;
    case RK_BOOL:
        return SL_YAML_BOOL;
    case RK_INT:
    case RK_UINT:
        return SL_YAML_INT;
    case RK_FLOAT:
        return SL_YAML_FLOAT;
    case RK_INF:
    case RK_NAN:
        return SL_YAML_NONFINITE;
    default:
        return y_timestamp(s, n) ? SL_YAML_TIMESTAMP : SL_YAML_STR;
    }
}

/* Resolve a scalar with its tag (NULL when none) and style, as go-yaml v2
 * does for interface{}: quoted scalars are strings, !!str/!!int/!!float/
 * !!bool/!!null convert or fail, !!binary decodes base64, and a scalar
 * with any other tag keeps its text as a string. */
static int y_resolve(y_ctx *c, const yaml_event_t *ev, int line, int col, resolved *r)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const char *want = NULL;

    memset(r, 0, sizeof(*r));
    r->kind = RK_STR;
    if (!tag) {
        if (plain)
            y_resolve_plain(s, n, r);
        return 0;
    }
    if (y_tag_is(tag, "binary")) {
        switch (y_base64(s, n, &r->str)) {
        case 0:
            return 0;
        case -2:
            return Y_ERR(c, SL_EINVAL, line, col,
                         "!!binary value decodes to a NUL byte, which a string cannot hold");
        case -3:
            return sl_error_set(c->err, SL_ENOMEM, "out of memory");
        default:
            return Y_ERR(c, SL_EINVAL, line, col, "!!binary value contains invalid base64 data");
        }
    }
    if (y_tag_is(tag, "timestamp")) {
        if (y_timestamp(s, n))
            return 0; /* timestamps stay strings */
        return Y_ERR(c, SL_EINVAL, line, col, "!!timestamp needs a date like 2001-12-14");
    }
    if (y_tag_is(tag, "int") || y_tag_is(tag, "float") || y_tag_is(tag, "bool") ||
        y_tag_is(tag, "null")) {
        want = tag + sizeof(Y_TAG_PREFIX) - 1;
        y_resolve_plain(s, n, r);
        if (!strcmp(want, "int") && (r->kind == RK_INT || r->kind == RK_UINT))
            return 0;
        if (!strcmp(want, "float")) {
            if (r->kind == RK_INT || r->kind == RK_UINT) {
                r->d = r->kind == RK_INT ? (double)r->i : (double)r->u;
                r->kind = RK_FLOAT;
            }
            if (r->kind == RK_FLOAT || r->kind == RK_INF || r->kind == RK_NAN)
                return 0;
        }
        if (!strcmp(want, "bool") && r->kind == RK_BOOL)
            return 0;
        if (!strcmp(want, "null") && r->kind == RK_NULL)
            return 0;
        /* the text itself stays out of the message: it may be a secret */
        return Y_ERR(c, SL_EINVAL, line, col, "!!%s does not fit this scalar, which reads as %s",
                     want, y_kind_name(r->kind));
    }
    /* "!", !!str and every other tag: the text, as a string */
    return 0;
}

/* y_resolve, then put replacement text (!!binary) into the event so the
 * rest of the code sees the decoded string as the scalar's text. */
static int y_resolve_ev(y_ctx *c, yaml_event_t *ev, int line, int col, resolved *r,
                        const char **text)
{
    int rc = y_resolve(c, ev, line, col, r);

    if (!rc && r->str) {
        free(ev->data.scalar.value);
        ev->data.scalar.value = (yaml_char_t *)r->str;
        ev->data.scalar.length = strlen(r->str);
        *text = r->str;
        r->str = NULL;
    }
    return rc;
}

/* The mapping-key form of a resolved scalar (as sigs.k8s.io/yaml turns
 * non-string keys into JSON object names). text is the scalar's text. */
static int y_keystr(y_ctx *c, const resolved *r, const char *text, int line, int col, char **out)
{
    char buf[64];

    switch (r->kind) {
    case RK_STR:
        *out = strdup(text);
        break;
    case RK_NULL:
        return Y_ERR(c, SL_EINVAL, line, col, "a mapping key cannot be null");
    case RK_BOOL:
        *out = strdup(r->b ? "true" : "false");
        break;
    case RK_INT:
        snprintf(buf, sizeof(buf), "%lld", r->i);
        *out = strdup(buf);
        break;
    case RK_UINT:
        snprintf(buf, sizeof(buf), "%llu", r->u);
        *out = strdup(buf);
        break;
    case RK_FLOAT:
        y_go_float32(r->d, buf, sizeof(buf));
        *out = strdup(buf);
        break;
    case RK_INF:
        *out = strdup(r->b < 0 ? "-.inf" : ".inf");
        break;
    default:
        *out = strdup(".nan");
        break;
    }
    return *out ? 0 : sl_error_set(c->err, SL_ENOMEM, "out of memory");
}

/* A cJSON scalar for a resolved value; a string takes *steal when given
 * (libyaml allocates with malloc, as cJSON frees with free). */
static int y_make_scalar(y_ctx *c, const resolved *r, const char *text, char **steal, int line,
                         int col, cJSON **out)
{
    cJSON *n = NULL;

    *out = NULL;
    switch (r->kind) {
    case RK_NULL:
        n = cJSON_CreateNull();
        break;
    case RK_BOOL:
        n = cJSON_CreateBool(r->b);
        break;
    case RK_INT:
        n = cJSON_CreateNumber((double)r->i);
        break;
    case RK_UINT:
        n = cJSON_CreateNumber((double)r->u);
        break;
    case RK_FLOAT:
        n = cJSON_CreateNumber(r->d);
        break;
    case RK_INF:
    case RK_NAN:
        return Y_ERR(c, SL_EINVAL, line, col,
                     "%s is not a number JSON can hold; quote it to make it a string", text);
    default:
        if (steal && *steal) {
            if ((n = cJSON_CreateNull())) {
                /* libyaml grows its buffers by doubling: give back the slack. */
                size_t len = strlen(*steal);
                char *fit = len >= 24 ? realloc(*steal, len + 1) : NULL;
                n->type = cJSON_String;
                n->valuestring = fit ? fit : *steal;
                *steal = NULL;
            }
        } else {
            n = cJSON_CreateString(text);
        }
        break;
    }
    if (!n)
        return sl_error_set(c->err, SL_ENOMEM, "out of memory");
    *out = n;
    return 0;
}

static int y_push_key(y_ctx *c, y_frame *f, char *key, int line, int col)
{
    if (y_grow((void **)&c->keys, &c->keys_cap, c->nkeys + 1, sizeof(*c->keys))) {
        free(key);
        return sl_error_set(c->err, SL_ENOMEM, "out of memory");
    }
    c->keys[c->nkeys].key = key;
    c->keys[c->nkeys].line = line;
    c->keys[c->nkeys].col = col;
    c->nkeys++;
    f->nkeys++;
    f->key = key;
    f->want_key = 0;
    return 0;
}

static int y_ev_scalar(y_ctx *c, yaml_event_t *ev)
{
    int line = c->line_base + (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    const char *text = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    char *anchor = (char *)ev->data.scalar.anchor;
    y_frame *f = y_top(c);
    resolved r;
    cJSON *node = NULL;
    char *keystr = NULL;
    int rc;

    if (memchr(text, '\0', n))
        return Y_ERR(c, SL_EINVAL, line, col, "a NUL character in a string is not supported");
    if (f && f->is_map && f->want_key) {
        const char *tag = (const char *)ev->data.scalar.tag;
        if ((!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && n == 2 &&
             !memcmp(text, "<<", 2)) ||
            y_tag_is(tag, "merge")) {
            f->merge_value = 1;
            f->want_key = 0;
            return 0;
        }
        if ((rc = y_resolve_ev(c, ev, line, col, &r, &text)))
            return rc;
        if (r.kind == RK_STR && !anchor) {
            keystr = (char *)ev->data.scalar.value; /* steal */
            ev->data.scalar.value = NULL;
            if (ev->data.scalar.length >= 24) {
                char *fit = realloc(keystr, ev->data.scalar.length + 1);
                if (fit)
                    keystr = fit;
            }
        } else if ((rc = y_keystr(c, &r, text, line, col, &keystr))) {
            return rc;
        }
        if (anchor) {
            char *ks = strdup(keystr);
            long idx;
            if (!ks) {
                free(keystr);
                return sl_error_set(c->err, SL_ENOMEM, "out of memory");
            }
            if ((rc = y_make_scalar(c, &r, text, NULL, line, col, &node))) {
                free(ks);
                free(keystr);
                return rc;
            }
            ev->data.scalar.anchor = NULL;
            if ((idx = y_anchor_add(c, anchor, node, node)) < 0) {
                free(ks);
                free(keystr);
                return sl_error_set(c->err, SL_ENOMEM, "out of memory");
            }
            c->anchors[idx].keystr = ks;
            c->anchors[idx].size = 1;
            c->anchors[idx].complete = 1;
        }
        return y_push_key(c, f, keystr, line, col);
    }
    if (f && f->is_map && f->merge_value)
        return Y_ERR(c, SL_EINVAL, line, col,
                     "the value of a merge key (<<) must be a mapping, an alias of a mapping or "
                     "a sequence of those");
    if ((rc = y_resolve_ev(c, ev, line, col, &r, &text)))
        return rc;
    if ((rc = y_count_node(c, line, col)))
        return rc;
    /* a null anchor has no key form; it only matters if used as a key */
    if (anchor && r.kind != RK_NULL && (rc = y_keystr(c, &r, text, line, col, &keystr)))
        return rc;
    if ((rc = y_make_scalar(c, &r, text, (char **)&ev->data.scalar.value, line, col, &node))) {
        free(keystr);
        return rc;
    }
    if ((rc = y_attach(c, node, line, col))) {
        free(keystr);
        return rc;
    }
    if ((rc = y_setpos(c, node, line, col))) {
        free(keystr);
        return rc;
    }
    if (anchor) {
        long idx;
        ev->data.scalar.anchor = NULL;
        if ((idx = y_anchor_add(c, anchor, node, NULL)) < 0) {
            free(keystr);
            return sl_error_set(c->err, SL_ENOMEM, "out of memory");
        }
        c->anchors[idx].keystr = keystr;
        c->anchors[idx].size = 1;
        c->anchors[idx].complete = 1;
    }
    return y_complete(c, node, 1, 0, line, col);
}

static int y_ev_alias(y_ctx *c, yaml_event_t *ev)
{
    int line = c->line_base + (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    const char *name = (const char *)ev->data.alias.anchor;
    y_anchor *a = y_anchor_find(c, name);
    y_frame *f = y_top(c);
    cJSON *copy;
    size_t size = 0;
    int h, rc;

    if (!a)
        return Y_ERR(c, SL_EINVAL, line, col, "unknown anchor '%.100s' (alias *%.100s)", name,
                     name);
    if (!a->complete)
        return Y_ERR(c, SL_EINVAL, line, col, "alias *%.100s refers to a node that contains it",
                     name);
    if (f && f->is_map && f->want_key) {
        char *key;
        if (!a->keystr)
            return Y_ERR(c, SL_EINVAL, line, col,
                         "alias *%.100s is used as a mapping key but is not a string, number or "
                         "bool",
                         name);
        if (!(key = strdup(a->keystr)))
            return sl_error_set(c->err, SL_ENOMEM, "out of memory");
        return y_push_key(c, f, key, line, col);
    }
    if (f && f->is_map && f->merge_value) {
        /* merge straight from the anchored node, no copy needed */
        if (!cJSON_IsObject(a->node))
            return Y_ERR(c, SL_EINVAL, line, col,
                         "the value of a merge key (<<) must be a mapping, an alias of a mapping "
                         "or a sequence of those");
        f->merge_value = 0;
        f->want_key = 1;
        return y_merge_src(c, f, a->node);
    }
    if (c->nodes + a->size > c->max_nodes)
        return Y_ERR(c, SL_ELIMIT, line, col,
                     "expanding alias *%.100s (%zu nodes) would exceed %zu nodes in this file "
                     "(limits.maxNodes)",
                     name, a->size, c->max_nodes);
    if ((int)c->nframes + a->height > c->max_depth)
        return Y_ERR(c, SL_ELIMIT, line, col,
                     "expanding alias *%.100s nests deeper than %d levels (limits.maxDepth)", name,
                     c->max_depth);
    if ((rc = y_copy(c, a->node, c->max_depth - (int)c->nframes, line, col, line, col, &copy, &size,
                     &h)))
        return rc;
    if ((rc = y_attach(c, copy, line, col)))
        return rc;
    return y_complete(c, copy, size, h, line, col);
}

static int y_ev_start(y_ctx *c, yaml_event_t *ev, int is_map)
{
    int line = c->line_base + (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    char **anchorp =
        is_map ? (char **)&ev->data.mapping_start.anchor : (char **)&ev->data.sequence_start.anchor;
    y_frame *f = y_top(c);
    cJSON *node;
    int rc;

    if (f && f->is_map && f->want_key)
        return Y_ERR(c, SL_EINVAL, line, col, "a mapping key must be a scalar, not a %s",
                     is_map ? "mapping" : "sequence");
    if ((int)c->nframes + 1 > c->max_depth)
        return Y_ERR(c, SL_ELIMIT, line, col, "nesting deeper than %d levels (limits.maxDepth)",
                     c->max_depth);
    if ((rc = y_count_node(c, line, col)))
        return rc;
    if (y_grow((void **)&c->frames, &c->frames_cap, c->nframes + 1, sizeof(*c->frames)))
        return sl_error_set(c->err, SL_ENOMEM, "out of memory");
    if (!(node = is_map ? cJSON_CreateObject() : cJSON_CreateArray()))
        return sl_error_set(c->err, SL_ENOMEM, "out of memory");
    if ((rc = y_attach(c, node, line, col)))
        return rc;
    if ((rc = y_setpos(c, node, line, col)))
        return rc;
    f = &c->frames[c->nframes++];
    memset(f, 0, sizeof(*f));
    f->node = node;
    f->is_map = is_map;
    f->want_key = 1;
    f->kbase = c->nkeys;
    f->size = 1;
    f->height = 1;
    f->line = line;
    f->col = col;
    f->anchor = -1;
    if (*anchorp) {
        long idx = y_anchor_add(c, *anchorp, node, NULL);
        *anchorp = NULL;
        if (idx < 0)
            return sl_error_set(c->err, SL_ENOMEM, "out of memory");
        c->frames[c->nframes - 1].anchor = idx;
    }
    return 0;
}

static int y_ev_end(y_ctx *c)
{
    y_frame *f = y_top(c), done;
    int rc;

    if (!f)
        return sl_error_set(c->err, SL_EINVAL, "unbalanced YAML events");
    if (f->is_map && (rc = y_map_finish(c, f)))
        return rc;
    if (f->anchor >= 0) {
        y_anchor *a = &c->anchors[f->anchor];
        a->complete = 1;
        a->size = f->size;
        a->height = f->height;
    }
    done = *f;
    free(f->key);
    free(f->msrc);
    c->nframes--;
    if (done.is_map)
        c->nkeys = done.kbase;
    return y_complete(c, done.node, done.size, done.height, done.line, done.col);
}

static int y_ev_doc_end(y_ctx *c, sl_docv *out)
{
    cJSON *root = c->root;
    int rc = 0;

    if (root && !cJSON_IsNull(root)) {
        sl_pos pos = {c->ifile ? c->ifile : (c->file ? c->file : ""), c->root_line, c->root_col};
        if ((rc = sl_docv_push(out, root, pos)))
            return sl_error_set(c->err, SL_ENOMEM, "out of memory");
        c->root = NULL;
    }
    y_doc_clear(c);
    return rc;
}

static int y_parser_error(y_ctx *c, const yaml_parser_t *p, const char *data, size_t len,
                          size_t chunk_start)
{
    int line, col;
    const char *problem = p->problem ? p->problem : "invalid YAML";

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return sl_error_setpos(c->err, SL_ENOMEM, c->file, 0, 0, "out of memory reading YAML");
    case YAML_READER_ERROR:
        sl_doc_offset_pos(data, len, chunk_start + p->problem_offset, &line, &col);
        if (p->problem_value != -1)
            return Y_ERR(c, SL_EINVAL, line, col, "%s (byte 0x%02x)", problem,
                         (unsigned)p->problem_value & 0xff);
        return Y_ERR(c, SL_EINVAL, line, col, "%s", problem);
    default:
        line = c->line_base + (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
        if (p->context)
            return Y_ERR(c, SL_EINVAL, line, col, "%s %s (which started at %d:%d)", problem,
                         p->context, c->line_base + (int)p->context_mark.line + 1,
                         (int)p->context_mark.column + 1);
        return Y_ERR(c, SL_EINVAL, line, col, "%s", problem);
    }
}

/* ---------------------------------------------------------------------- */
/* Driver: one chunk of a stream, and the split of big streams over cores  */

/* One run of the event loop over data[start, end) of the file. */
typedef struct y_job {
    const char *file;
    const char *data; /* the whole file */
    size_t len, start, end;
    int line_base;
    size_t max_nodes;
    int max_depth;
    sl_posmap *pm; /* positions go here (may be NULL) */
    sl_docv out;
    sl_error err;
    int rc;
    size_t nodes;      /* nodes created */
    atomic_int *abort; /* set when another chunk failed */
} y_job;

/* Parse the job's range into job->out. On error nothing is left in out. */
static int y_run(y_job *j, sl_docv *out, sl_error *err)
{
    y_ctx c;
    yaml_parser_t parser;
    yaml_event_t ev;
    size_t n0 = out->n;
    int rc = 0;

    memset(&c, 0, sizeof(c));
    c.file = j->file;
    c.pm = j->pm;
    c.err = err;
    c.max_nodes = j->max_nodes;
    c.max_depth = j->max_depth;
    c.line_base = j->line_base;
    if (c.pm && !(c.ifile = sl_posmap_intern(c.pm, j->file ? j->file : "")))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (!yaml_parser_initialize(&parser))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)j->data + j->start,
                                 j->end - j->start);
    for (;;) {
        int type;
        if (j->abort && atomic_load_explicit(j->abort, memory_order_relaxed)) {
            rc = sl_error_set(err, SL_EINVAL, "aborted");
            break;
        }
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = y_parser_error(&c, &parser, j->data, j->len, j->start);
            break;
        }
        type = ev.type;
        switch (type) {
        case YAML_SCALAR_EVENT:
            rc = y_ev_scalar(&c, &ev);
            break;
        case YAML_ALIAS_EVENT:
            rc = y_ev_alias(&c, &ev);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = y_ev_start(&c, &ev, 1);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = y_ev_start(&c, &ev, 0);
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            rc = y_ev_end(&c);
            break;
        case YAML_DOCUMENT_END_EVENT:
            rc = y_ev_doc_end(&c, out);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (rc || type == YAML_STREAM_END_EVENT)
            break;
    }
    y_doc_clear(&c);
    if (rc) {
        for (size_t i = n0; i < out->n; i++) {
            y_drop(&c, out->v[i]);
            out->v[i] = NULL;
        }
        out->n = n0;
        if (n0 == 0) { /* leave an empty vector as it came: nothing to free */
            free(out->v);
            free(out->pos);
            out->v = NULL;
            out->pos = NULL;
            out->cap = 0;
        }
    }
    j->nodes = c.nodes;
    free(c.frames);
    free(c.keys);
    free(c.anchors);
    free(c.aidx);
    yaml_parser_delete(&parser);
    return rc;
}

#define Y_SPLIT_MIN ((size_t)2 << 20) /* bytes per chunk before splitting pays */
#define Y_SPLIT_MAX 4                 /* chunks */

static void *y_thread(void *arg)
{
    y_job *j = arg;

    j->rc = y_run(j, &j->out, &j->err);
    if (j->rc)
        atomic_store(j->abort, 1);
    return NULL;
}

/* Offset just after the '\n' of the first line at or after from that starts
 * a document ("---" then a blank or the end), or 0 when there is none. */
static size_t y_next_doc_start(const char *d, size_t len, size_t from)
{
    for (size_t i = from; i + 4 <= len;) {
        const char *nl = memchr(d + i, '\n', len - i);
        size_t p;
        if (!nl)
            return 0;
        p = (size_t)(nl - d) + 1;
        if (p + 3 <= len && !memcmp(d + p, "---", 3) &&
            (p + 3 == len || d[p + 3] == ' ' || d[p + 3] == '\t' || d[p + 3] == '\n' ||
             d[p + 3] == '\r'))
            return p;
        i = p;
    }
    return 0;
}

/* Whether data may be cut into independent chunks at document starts: no
 * directives (they bind to the following document), UTF-8 without a
 * UTF-16/32 byte order mark. */
static int y_splittable(const char *d, size_t len)
{
    if (len >= 2 && ((unsigned char)d[0] == 0xfe || (unsigned char)d[0] == 0xff || d[0] == '\0' ||
                     d[1] == '\0'))
        return 0;
    if (d[0] == '%' || memmem(d, len, "\n%", 2))
        return 0;
    return 1;
}

/* Parse a big multi-document stream in chunks on several threads. Returns
 * 0 with every document appended to out, or nonzero (nothing appended, pm
 * unchanged) when the sequential parser must run: on any error it gives
 * the exact first error of the file. */
static int y_parse_split(const char *file, const char *data, size_t len, size_t max_nodes,
                         int max_depth, sl_posmap *pm, sl_docv *out)
{
    y_job jobs[Y_SPLIT_MAX];
    pthread_t tids[Y_SPLIT_MAX];
    int started[Y_SPLIT_MAX] = {0};
    size_t cuts[Y_SPLIT_MAX + 1], total = 0;
    long ncpu;
    size_t n0 = out->n;
    int k = 0, rc = 0, line = 0;
    atomic_int abort_flag;
    const char *ifile = NULL;

    /* small inputs (most of them) return before asking the system */
    if (len < 2 * Y_SPLIT_MIN)
        return -1;
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 2 || !y_splittable(data, len))
        return -1;
    if (ncpu > Y_SPLIT_MAX)
        ncpu = Y_SPLIT_MAX;
    if ((size_t)ncpu > len / Y_SPLIT_MIN)
        ncpu = (long)(len / Y_SPLIT_MIN);
    cuts[k++] = 0;
    for (long i = 1; i < ncpu; i++) {
        size_t p = y_next_doc_start(data, len, len / (size_t)ncpu * (size_t)i);
        if (p && p > cuts[k - 1])
            cuts[k++] = p;
    }
    if (k < 2)
        return -1;
    cuts[k] = len;
    atomic_init(&abort_flag, 0);
    if (pm && !(ifile = sl_posmap_intern(pm, file ? file : "")))
        return -1;
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < k; i++) {
        y_job *j = &jobs[i];
        j->file = file;
        j->data = data;
        j->len = len;
        j->start = cuts[i];
        j->end = cuts[i + 1];
        for (size_t o = i ? cuts[i - 1] : 0; i && o < cuts[i];) {
            const char *nl = memchr(data + o, '\n', cuts[i] - o);
            if (!nl)
                break;
            line++;
            o = (size_t)(nl - data) + 1;
        }
        j->line_base = line;
        j->max_nodes = max_nodes;
        j->max_depth = max_depth;
        j->abort = &abort_flag;
        j->pm = pm;
        if (i && pm && sl_posmap_new(&j->pm)) {
            rc = -1;
            break;
        }
        /* about one node per 24 bytes of typical manifests: size the
         * tables once instead of growing them while both cores allocate */
        if (j->pm && sl_posmap_reserve(j->pm, (i ? j->end - j->start : len) / 24)) {
            rc = -1;
            break;
        }
    }
    for (int i = 1; i < k && !rc; i++) {
        if (pthread_create(&tids[i], NULL, y_thread, &jobs[i]) == 0)
            started[i] = 1;
        else
            rc = -1;
    }
    if (!rc)
        y_thread(&jobs[0]);
    else
        atomic_store(&abort_flag, 1);
    for (int i = 1; i < k; i++)
        if (started[i])
            pthread_join(tids[i], NULL);
    for (int i = 0; i < k && !rc; i++) {
        if (jobs[i].rc || (i && !started[i]))
            rc = -1;
        total += jobs[i].nodes;
    }
    if (!rc && total > max_nodes)
        rc = -1;
    for (int i = 1; i < k && !rc && pm; i++)
        if (sl_posmap_merge(pm, jobs[i].pm))
            rc = -1;
    for (int i = 0; i < k && !rc; i++)
        for (size_t d = 0; d < jobs[i].out.n && !rc; d++) {
            sl_pos pos = jobs[i].out.pos[d];
            if (pm)
                pos.file = ifile;
            if (sl_docv_push(out, jobs[i].out.v[d], pos))
                rc = -1;
            else
                jobs[i].out.v[d] = NULL;
        }
    if (rc) {
        /* give everything back: the caller parses again sequentially */
        for (size_t d = n0; d < out->n; d++) {
            sl_posmap_forget(pm, out->v[d]);
            cJSON_Delete(out->v[d]);
            out->v[d] = NULL;
        }
        out->n = n0;
        for (int i = 0; i < k; i++)
            for (size_t d = 0; d < jobs[i].out.n; d++)
                sl_posmap_forget(pm, jobs[i].out.v[d]);
    }
    for (int i = 0; i < k; i++) {
        sl_docv_free(&jobs[i].out);
        if (i)
            sl_posmap_free(jobs[i].pm);
    }
    return rc;
}

int sl_yaml_parse(const char *file, const char *data, size_t len, const sl_doc_limits *limits,
                  sl_posmap *pm, sl_docv *out, sl_error *err)
{
    y_job j;
    size_t max_file =
        limits && limits->max_file_bytes ? limits->max_file_bytes : SL_DOC_DEFAULT_MAX_FILE_BYTES;

    memset(&j, 0, sizeof(j));
    j.file = file;
    j.data = data ? data : "";
    j.len = data ? len : 0;
    j.end = j.len;
    j.pm = pm;
    j.max_nodes = limits && limits->max_nodes ? limits->max_nodes : SL_DOC_DEFAULT_MAX_NODES;
    j.max_depth = limits && limits->max_depth > 0 ? limits->max_depth : SL_DOC_DEFAULT_MAX_DEPTH;
    if (j.max_depth > Y_MAX_DEPTH_CLAMP)
        j.max_depth = Y_MAX_DEPTH_CLAMP;
    if (len > max_file)
        return sl_error_setpos(err, SL_ELIMIT, file, 0, 0,
                               "file is %zu bytes, over the %zu-byte limit (limits.maxFileSize)",
                               len, max_file);
    if (y_parse_split(file, j.data, j.len, j.max_nodes, j.max_depth, pm, out) == 0)
        return 0;
    if (pm && j.len > ((size_t)1 << 20) && sl_posmap_reserve(pm, j.len / 24))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    return y_run(&j, out, err);
}
