/* hcl_parse.c: the HCL native-syntax parser. A recursive-descent port of
 * hashicorp/hcl's hclsyntax parser: the same grammar, operator precedence,
 * newline rules, error recovery and diagnostic ranges (the spec suite
 * checks ranges), building sl_hcl_* trees in the file's arena. */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hcl_int.h"

#define NL_STACK_MAX 4096

/* Interning: identifiers, string literals and number literals repeat a lot
 * in configuration files (var, local, each.key, "v1", 1), so the parser
 * keeps one arena copy of each (values are immutable, so sharing them is
 * safe). An open-addressing table in malloc memory, freed when parsing
 * ends; keys point at memory that lives as long as the parse (the arena or
 * the file's source copy). At INTERN_MAX entries it stops adding. */
enum { IN_STR, IN_STRVAL, IN_NUMVAL };
#define INTERN_MAX ((size_t)1 << 20)

/* An entry's key is found through its value (16-byte entries): IN_STR
 * values are the strings themselves, IN_STRVAL string values hold their
 * text, IN_NUMVAL values are num_ent (value and source text). */
typedef struct intern_ent {
    const void *val;  /* NULL = free slot */
    uint32_t hash;
    uint32_t len_tag; /* len << 2 | tag */
} intern_ent;

typedef struct num_ent {
    const char *text;
    const sl_hcl_value *v;
} num_ent;

typedef struct intern_tab {
    intern_ent *v;
    size_t n, cap; /* cap is a power of two */
    size_t hint;   /* the source length: the first table is sized for it */
    uint32_t hash; /* of the last intern_slot key, for intern_put */
} intern_tab;

typedef struct parser {
    hcl_toks toks;
    hcl_lexer *lx;
    hcl_tok eof_tok; /* returned when the scanner failed */
    sl_hcl_diags lexd; /* the scanner's diagnostics (reported before the parser's) */
    /* The last peek: valid while next and the newline mode are the same. */
    size_t pk_key; /* (next << 1 | newline mode) of pk_tok; SIZE_MAX: none */
    size_t pk_after;
    hcl_tok pk_tok;
    size_t next;
    int recovery;
    unsigned char nl[NL_STACK_MAX];
    int nln;
    int cur_nl; /* the newline mode on top of nl (1 when empty) */
    int depth, max_depth;
    int fatal; /* SL_ENOMEM / SL_ELIMIT */
    sl_hcl_span prev;
    int has_prev;
    sl_hcl_arena *a;
    sl_hcl_diags *diags;
    const sl_hcl_file *f;
    intern_tab intern;
} parser;

static sl_hcl_expr *parse_expression(parser *p);

/* --------------------------------------------------------------- peeker */

static int including_newlines(parser *p)
{
    return p->cur_nl;
}

static void push_nl(parser *p, int inc)
{
    if (p->nln < NL_STACK_MAX)
        p->nl[p->nln] = (unsigned char)inc;
    p->nln++;
    p->cur_nl = inc;
}

static void pop_nl(parser *p)
{
    if (p->nln > 0)
        p->nln--;
    p->cur_nl = !p->nln ? 1 : p->nln <= NL_STACK_MAX ? p->nl[p->nln - 1] : p->cur_nl;
}

/* The next significant token at or after p->next (comments dropped; a line
 * comment stands for its newline when newlines matter); *after is the index
 * after it. */
static uint32_t intern_hash(const char *s, size_t n);

static int tok_hashed(hcl_tok_type t)
{
    return t == T_IDENT || t == T_NUMBER || t == T_QLIT;
}

/* Hash the texts the parser interns (identifiers, numbers, quoted literal
 * parts) of the tokens the scanner just added (from index from on), and
 * prefetch their intern table slots: the parser interns them up to a batch
 * of tokens later, when the slot's cache line has arrived (the table is
 * larger than the caches for big files). */
static void hash_batch(parser *p, size_t from)
{
    intern_tab *t = &p->intern;

    for (size_t i = from; i < p->toks.n; i++) {
        hcl_tok *k = &p->toks.v[i];
        if (!tok_hashed(k->type))
            continue;
        k->hash = intern_hash(k->s, k->n);
        if (t->v)
            __builtin_prefetch(&t->v[k->hash & (t->cap - 1)]);
    }
}

/* Token number i of the stream, scanning on demand; the EOF token for any
 * i past the end. */
static const hcl_tok *tok_at(parser *p, size_t i)
{
    while (i >= p->toks.base + p->toks.n) {
        if (p->toks.eof)
            return &p->toks.v[p->toks.n - 1];
        if (p->fatal)
            return &p->eof_tok;
        {
            size_t from = p->toks.n;
            int rc = hcl_lex_more(p->lx);
            if (rc) {
                p->fatal = rc;
                return &p->eof_tok;
            }
            hash_batch(p, from);
        }
    }
    return &p->toks.v[i - p->toks.base];
}

static hcl_tok next_token_scan(parser *p, size_t *after);

/* The next significant token (cached until the position or the newline
 * mode changes); *after is the index after it. */
static inline const hcl_tok *next_token_ref(parser *p, size_t *after)
{
    size_t key = p->next << 1 | (size_t)p->cur_nl;

    if (p->pk_key != key) {
        p->pk_tok = next_token_scan(p, &p->pk_after);
        p->pk_key = key;
    }
    *after = p->pk_after;
    return &p->pk_tok;
}

static hcl_tok next_token_scan(parser *p, size_t *after)
{
    for (size_t i = p->next;; i++) {
        const hcl_tok *tp = tok_at(p, i); /* valid until the next tok_at */
        if (tp->type == T_COMMENT) {
            if (including_newlines(p) && tp->n && tp->s[tp->n - 1] == '\n') {
                hcl_tok t = *tp;
                t.type = T_NEWLINE;
                t.s = t.s + t.n - 1;
                t.n = 1;
                *after = i + 1;
                return t;
            }
            continue;
        }
        if (tp->type == T_NEWLINE && !including_newlines(p))
            continue;
        *after = tp->type == T_EOF ? i : i + 1;
        return *tp;
    }
}

static inline const hcl_tok *peek_ref(parser *p)
{
    size_t after;
    return next_token_ref(p, &after);
}

#define peek(p) (*peek_ref(p))

static hcl_tok read_tok(parser *p)
{
    size_t after;
    hcl_tok t = *next_token_ref(p, &after);

    p->next = after;
    p->prev = t.range;
    p->has_prev = 1;
    /* Drop the tokens behind us once they fill half the window. */
    if (p->next - p->toks.base > 4096 && (p->next - p->toks.base) * 2 > p->toks.n) {
        size_t k = p->next - p->toks.base;
        memmove(p->toks.v, p->toks.v + k, (p->toks.n - k) * sizeof(*p->toks.v));
        p->toks.n -= k;
        p->toks.base += k;
    }
    return t;
}

/* The type of the significant token after the next one. */
static hcl_tok_type peek2_type(parser *p)
{
    size_t after, save = p->next, after2;
    hcl_tok_type t;

    next_token_ref(p, &after);
    p->next = after;
    t = next_token_scan(p, &after2).type;
    p->next = save;
    return t;
}

static sl_hcl_span next_range(parser *p)
{
    return peek_ref(p)->range;
}

static sl_hcl_span prev_range(parser *p)
{
    return p->has_prev ? p->prev : next_range(p);
}

static size_t err_mark(parser *p)
{
    return p->diags->n;
}

static int errs_since(parser *p, size_t mark)
{
    for (size_t i = mark; i < p->diags->n; i++)
        if (p->diags->v[i].severity == SL_HCL_DIAG_ERROR)
            return 1;
    return 0;
}

/* The line:column range of span s of the file being parsed. */
static sl_hcl_range prange(parser *p, sl_hcl_span s)
{
    return sl_hcl_file_range(p->f, s);
}

static void perr(parser *p, sl_hcl_span r, const char *summary, const char *fmt, ...)
    SL_PRINTF(4, 5);
static void perr(parser *p, sl_hcl_span r, const char *summary, const char *fmt, ...)
{
    va_list ap;
    char *detail = NULL;

    va_start(ap, fmt);
    if (vasprintf(&detail, fmt, ap) < 0)
        detail = NULL;
    va_end(ap);
    if (sl_hcl_diag_error_at(p->diags, p->f, r, summary, "%s", detail ? detail : "") ==
        SL_ENOMEM)
        p->fatal = SL_ENOMEM;
    free(detail);
}

static hcl_tok_type opposite(hcl_tok_type t)
{
    switch (t) {
    case T_OBRACE: return T_CBRACE;
    case T_OBRACK: return T_CBRACK;
    case T_OPAREN: return T_CPAREN;
    case T_OQUOTE: return T_CQUOTE;
    case T_OHEREDOC: return T_CHEREDOC;
    case T_CBRACE: return T_OBRACE;
    case T_CBRACK: return T_OBRACK;
    case T_CPAREN: return T_OPAREN;
    case T_CQUOTE: return T_OQUOTE;
    case T_CHEREDOC: return T_OHEREDOC;
    case T_TCONTROL: return T_TSEQEND;
    case T_TINTERP: return T_TSEQEND;
    case T_TSEQEND: return T_TINTERP;
    default: return T_NIL;
    }
}

/* Skip to the token `end` matching the current nesting; returns it. */
static hcl_tok recover_to(parser *p, hcl_tok_type end)
{
    hcl_tok_type start = opposite(end);
    int nest = 0;

    p->recovery = 1;
    for (;;) {
        hcl_tok t = read_tok(p);
        hcl_tok_type ty = t.type;
        if (end == T_TSEQEND && ty == T_TCONTROL)
            ty = T_TINTERP;
        if (ty == start && start != T_NIL) {
            nest++;
        } else if (ty == end) {
            if (nest < 1)
                return t;
            nest--;
        } else if (ty == T_EOF) {
            return t;
        }
    }
}

static void recover_over(parser *p, hcl_tok_type start)
{
    for (;;) {
        hcl_tok t = read_tok(p);
        if (t.type == start || t.type == T_EOF)
            break;
    }
    recover_to(p, opposite(start));
}

static void recover_after_body_item(parser *p)
{
    hcl_tok_type open[256];
    size_t n = 0, deep = 0;

    p->recovery = 1;
    for (;;) {
        hcl_tok t = read_tok(p);
        switch (t.type) {
        case T_NEWLINE:
            if (n == 0 && deep == 0)
                return;
            break;
        case T_EOF:
            return;
        case T_OBRACE: case T_OBRACK: case T_OPAREN: case T_OQUOTE: case T_OHEREDOC:
        case T_TINTERP: case T_TCONTROL:
            if (n < 256)
                open[n++] = t.type;
            else
                deep++;
            break;
        case T_CBRACE: case T_CBRACK: case T_CPAREN: case T_CQUOTE: case T_CHEREDOC: {
            hcl_tok_type o = opposite(t.type);
            if (deep) {
                deep--;
                break;
            }
            while (n > 0 && open[n - 1] != o)
                n--;
            if (n > 0)
                n--;
            break;
        }
        case T_TSEQEND:
            if (deep) {
                deep--;
                break;
            }
            while (n > 0 && open[n - 1] != T_TINTERP && open[n - 1] != T_TCONTROL)
                n--;
            if (n > 0)
                n--;
            break;
        default:
            break;
        }
    }
}

/* ---------------------------------------------------------------- nodes */

#define EXPR_END(member, size) (offsetof(sl_hcl_expr, member) + (size))
#define FOR_PARTS ((EXPR_END(forp, sizeof(void *)) + 7) & ~(size_t)7)

/* The bytes a node of kind uses: up to its kind's last member (see
 * sl_hcl_expr); a FOR node is followed by its sl_hcl_for_parts. */
static size_t expr_size(sl_hcl_expr_kind kind)
{
    switch (kind) {
    case SL_HCL_E_SCOPE_TRAV:
    case SL_HCL_E_REL_TRAV:
        return EXPR_END(steps, sizeof(void *));
    case SL_HCL_E_FOR:
        return FOR_PARTS + sizeof(sl_hcl_for_parts);
    case SL_HCL_E_FUNCALL:
    case SL_HCL_E_INDEX:
    case SL_HCL_E_UNARY:
        return EXPR_END(name_range, sizeof(sl_hcl_span));
    case SL_HCL_E_SPLAT:
        return EXPR_END(splat_item, sizeof(void *));
    default:
        return offsetof(sl_hcl_expr, name);
    }
}

static sl_hcl_expr *new_expr(parser *p, sl_hcl_expr_kind kind, sl_hcl_span r)
{
    sl_hcl_expr *e = sl_hcl_alloc(p->a, expr_size(kind));

    if (!e) {
        p->fatal = SL_ENOMEM;
        return NULL;
    }
    e->kind = kind;
    e->range = r;
    if (kind == SL_HCL_E_FOR)
        e->forp = (const sl_hcl_for_parts *)((char *)e + FOR_PARTS);
    return e;
}

/* The writable parts of a FOR node made by new_expr. */
static sl_hcl_for_parts *for_parts(sl_hcl_expr *e)
{
    return (sl_hcl_for_parts *)((char *)e + FOR_PARTS);
}

static int set_subs(parser *p, sl_hcl_expr *e, size_t n, sl_hcl_expr **subs)
{
    if (!e)
        return -1;
    e->nsub = n;
    if (!n)
        return 0;
    e->sub = sl_hcl_alloc(p->a, n * sizeof(*subs));
    if (!e->sub) {
        p->fatal = SL_ENOMEM;
        return -1;
    }
    memcpy(e->sub, subs, n * sizeof(*subs));
    return 0;
}

static sl_hcl_expr *new_lit(parser *p, const sl_hcl_value *v, sl_hcl_span r)
{
    sl_hcl_expr *e = new_expr(p, SL_HCL_E_LITERAL, r);

    if (e)
        e->lit = v ? v : &sl_hcl_null_dynamic;
    if (!v)
        p->fatal = SL_ENOMEM;
    return e;
}

static sl_hcl_expr *placeholder(parser *p, sl_hcl_span r)
{
    return new_expr(p, SL_HCL_E_INVALID, r);
}

/* A multiplicative hash of s[0..n) taking 8 bytes at a time (keys are
 * identifiers and short strings). */
static uint32_t intern_hash(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n << 8);
    uint64_t w;

    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    if (n) {
        w = 0;
        for (size_t i = 0; i < n; i++)
            w = w << 8 | (unsigned char)s[i];
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    h *= 0xC4CEB9FE1A85EC53ull;
    return (uint32_t)(h >> 32);
}

/* a[0..n) == b[0..n); short keys (most) without a library call. */
static int key_eq(const char *a, const char *b, size_t n)
{
    if (n > 16)
        return !memcmp(a, b, n);
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static const char *intern_key(const intern_ent *e)
{
    switch (e->len_tag & 3) {
    case IN_STR:
        return e->val;
    case IN_STRVAL:
        return ((const sl_hcl_value *)e->val)->u.str.s;
    default:
        return ((const num_ent *)e->val)->text;
    }
}

/* Make the table (or double it). The first table fits about one distinct
 * name per 100 bytes of source (typical of configuration files), so most
 * parses never grow it. Returns 0, or -1 when it cannot grow (full or no
 * memory: interning stops). */
static int intern_grow(intern_tab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    intern_ent *v;

    while (!t->cap && cap < INTERN_MAX && cap * 128 < t->hint)
        cap *= 2;
    if (t->n >= INTERN_MAX || !(v = calloc(cap, sizeof(*v))))
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        intern_ent *o = &t->v[i];
        if (!o->val)
            continue;
        size_t j = o->hash & (cap - 1);
        while (v[j].val)
            j = (j + 1) & (cap - 1);
        v[j] = *o;
    }
    free(t->v);
    t->v = v;
    t->cap = cap;
    return 0;
}

/* The slot for (tag, s[0..n)) whose intern_hash is h: its entry when
 * present, else the free slot where it belongs; NULL when the table cannot
 * take more (caller then allocates without interning). The tag is not
 * hashed: the same text under two tags probes the same cache line. */
static intern_ent *intern_slot_h(parser *p, int tag, const char *s, size_t n, uint32_t h)
{
    intern_tab *t = &p->intern;
    size_t mask;
    intern_ent *e;
    uint32_t lt;

    if (n >= (size_t)1 << 30)
        return NULL;
    if ((t->n + 1) * 4 > t->cap * 3 && intern_grow(t))
        return NULL;
    mask = t->cap - 1;
    t->hash = h;
    lt = (uint32_t)n << 2 | (uint32_t)tag;
    for (size_t j = h & mask;; j = (j + 1) & mask) {
        e = &t->v[j];
        if (!e->val || (e->hash == h && e->len_tag == lt && key_eq(intern_key(e), s, n)))
            return e;
    }
}

/* Record val (whose key is key[0..n), see intern_key) under tag in the
 * free slot e (from intern_slot). */
static void intern_put(parser *p, intern_ent *e, int tag, size_t n, const void *val)
{
    e->val = val;
    e->hash = p->intern.hash;
    e->len_tag = (uint32_t)n << 2 | (uint32_t)tag;
    p->intern.n++;
}

/* The token's text as a NUL-terminated arena string (interned). */
static const char *tok_str(parser *p, hcl_tok t)
{
    intern_ent *e = intern_slot_h(p, IN_STR, t.s, t.n,
                                  tok_hashed(t.type) ? t.hash : intern_hash(t.s, t.n));
    char *s;

    if (e && e->val)
        return e->val;
    s = sl_hcl_strndup(p->a, t.s, t.n);
    if (!s) {
        p->fatal = SL_ENOMEM;
        return "";
    }
    if (e)
        intern_put(p, e, IN_STR, t.n, s);
    return s;
}

/* sl_hcl_string(p->a, s, n), interned (NULL on invalid UTF-8 or no
 * memory, as sl_hcl_string). */
static const sl_hcl_value *str_value_h(parser *p, const char *s, size_t n, uint32_t h)
{
    intern_ent *e = intern_slot_h(p, IN_STRVAL, s, n, h);
    const sl_hcl_value *v;

    if (e && e->val)
        return e->val;
    v = sl_hcl_string(p->a, s, n);
    /* The key must outlive s: use the value's own text when it is s
     * unchanged (not NFC-normalised). */
    if (e && v && v->u.str.len == n && n && !memcmp(v->u.str.s, s, n))
        intern_put(p, e, IN_STRVAL, n, v);
    return v;
}

static const sl_hcl_value *str_value(parser *p, const char *s, size_t n)
{
    return str_value_h(p, s, n, intern_hash(s, n));
}

/* A growable array of pointers in malloc memory (copied into the arena at
 * the end). */
typedef struct ptrv {
    void **v;
    size_t n, cap;
    void *inl[8]; /* the first 8 (most lists are short): no malloc */
} ptrv;

static int ptrv_push(parser *p, ptrv *pv, void *x)
{
    if (!pv->v) {
        pv->v = pv->inl;
        pv->cap = sizeof(pv->inl) / sizeof(pv->inl[0]);
    }
    if (pv->n == pv->cap) {
        size_t cap = pv->cap * 2;
        void **v = pv->v == pv->inl ? malloc(cap * sizeof(*v)) : realloc(pv->v, cap * sizeof(*v));
        if (!v) {
            p->fatal = SL_ENOMEM;
            return -1;
        }
        if (pv->v == pv->inl)
            memcpy(v, pv->inl, pv->n * sizeof(*v));
        pv->v = v;
        pv->cap = cap;
    }
    pv->v[pv->n++] = x;
    return 0;
}

static void ptrv_free(ptrv *pv)
{
    if (pv->v != pv->inl)
        free(pv->v);
    pv->v = NULL;
    pv->n = pv->cap = 0;
}

/* ----------------------------------------------------------- templates */

typedef enum { TT_LIT, TT_INTERP, TT_IF, TT_FOR, TT_ELSE, TT_ENDIF, TT_ENDFOR, TT_END } tt_kind;

typedef struct ttok {
    tt_kind kind;
    char *val; /* TT_LIT (malloc) */
    size_t len;
    sl_hcl_expr *expr; /* INTERP expr, IF cond, FOR collection */
    const char *key_var, *val_var;
    sl_hcl_span range;
} ttok;

typedef struct ttoks {
    ttok *v;
    size_t n, cap;
    size_t pos;
} ttoks;

static ttok *tt_push(parser *p, ttoks *tt, tt_kind kind, sl_hcl_span r)
{
    ttok *t;

    if (tt->n == tt->cap) {
        size_t cap = tt->cap ? tt->cap * 2 : 8;
        ttok *v = realloc(tt->v, cap * sizeof(*v));
        if (!v) {
            p->fatal = SL_ENOMEM;
            return NULL;
        }
        tt->v = v;
        tt->cap = cap;
    }
    t = &tt->v[tt->n++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->range = r;
    return t;
}

static void tt_free(ttoks *tt)
{
    for (size_t i = 0; i < tt->n; i++)
        free(tt->v[i].val);
    free(tt->v);
}

/* Trim Unicode space from the left (dir 0) or right (dir 1) of s. */
static void trim_space(char *s, size_t *len, int right)
{
    size_t n = *len;

    if (!right) {
        size_t i = 0;
        while (i < n) {
            uint32_t cp;
            int l = hcl_utf8_decode(s + i, n - i, &cp);
            if (!hcl_is_unicode_space(cp))
                break;
            i += (size_t)l;
        }
        memmove(s, s + i, n - i);
        *len = n - i;
        s[*len] = 0;
    } else {
        while (n > 0) {
            size_t j = n - 1;
            uint32_t cp;
            while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80)
                j--;
            hcl_utf8_decode(s + j, n - j, &cp);
            if (!hcl_is_unicode_space(cp))
                break;
            n = j;
        }
        *len = n;
        s[n] = 0;
    }
}

static int template_parts(parser *p, hcl_tok_type end, ttoks *tt, sl_hcl_span *whole)
{
    sl_hcl_span start = next_range(p), endr;
    int ltrim_next = 0, next_can_trim_prev = 0;
    sl_buf b = SL_BUF_INIT;

    for (;;) {
        hcl_tok next = read_tok(p);
        int ltrim = ltrim_next, can_trim_prev = next_can_trim_prev;
        if (next.type == end) {
            endr = next.range;
            break;
        }
        ltrim_next = 0;
        next_can_trim_prev = 0;
        if (p->fatal) {
            endr = next.range;
            break;
        }
        switch (next.type) {
        case T_SLIT:
        case T_QLIT: {
            ttok *t;
            sl_buf_reset(&b);
            if (hcl_unescape(p->f, &next, next.type == T_QLIT, &b, p->diags) == SL_ENOMEM)
                p->fatal = SL_ENOMEM;
            t = tt_push(p, tt, TT_LIT, next.range);
            if (!t)
                break;
            t->val = malloc(b.len + 1);
            if (!t->val) {
                p->fatal = SL_ENOMEM;
                break;
            }
            memcpy(t->val, b.len ? b.ptr : "", b.len);
            t->val[b.len] = 0;
            t->len = b.len;
            if (ltrim)
                trim_space(t->val, &t->len, 0);
            next_can_trim_prev = 1;
            break;
        }
        case T_TINTERP: {
            sl_hcl_expr *x;
            hcl_tok close;
            ttok *t;
            if (can_trim_prev && next.n == 3 && tt->n > 0 && tt->v[tt->n - 1].kind == TT_LIT)
                trim_space(tt->v[tt->n - 1].val, &tt->v[tt->n - 1].len, 1);
            push_nl(p, 0);
            x = parse_expression(p);
            close = peek(p);
            if (close.type != T_TSEQEND) {
                if (!p->recovery) {
                    if (close.type == T_EOF)
                        perr(p, start, "Unclosed template interpolation sequence",
                             "There is no closing brace for this interpolation sequence before "
                             "the end of the file. This might be caused by incorrect nesting "
                             "inside the given expression.");
                    else if (close.type == T_COLON)
                        perr(p, close.range, "Extra characters after interpolation expression",
                             "Template interpolation doesn't expect a colon at this location. "
                             "Did you intend this to be a literal sequence to be processed as "
                             "part of another language? If so, you can escape it by starting "
                             "with \"$${\" instead of just \"${\".");
                    else if ((close.type == T_CQUOTE || close.type == T_OQUOTE) && end == T_CQUOTE)
                        perr(p, start, "Unclosed template interpolation sequence",
                             "There is no closing brace for this interpolation sequence before "
                             "the end of the quoted template. This might be caused by incorrect "
                             "nesting inside the given expression.");
                    else
                        perr(p, close.range, "Extra characters after interpolation expression",
                             "Expected a closing brace to end the interpolation expression, but "
                             "found extra characters.");
                }
                recover_to(p, T_TSEQEND);
            } else {
                read_tok(p);
                if (close.n == 2 && close.s[0] == '~')
                    ltrim_next = 1;
            }
            pop_nl(p);
            t = tt_push(p, tt, TT_INTERP, sl_hcl_span_between(next.range, close.range));
            if (t)
                t->expr = x;
            break;
        }
        case T_TCONTROL: {
            hcl_tok kw, close;
            ttok *t = NULL;
            char kws[8] = "";
            if (can_trim_prev && next.n == 3 && tt->n > 0 && tt->v[tt->n - 1].kind == TT_LIT)
                trim_space(tt->v[tt->n - 1].val, &tt->v[tt->n - 1].len, 1);
            push_nl(p, 0);
            kw = peek(p);
            if (kw.type != T_IDENT) {
                if (!p->recovery)
                    perr(p, kw.range, "Invalid template directive",
                         "A template directive keyword (\"if\", \"for\", etc) is expected at the "
                         "beginning of a %%{ sequence.");
                recover_to(p, T_TSEQEND);
                pop_nl(p);
                continue;
            }
            read_tok(p);
            if (kw.n < sizeof(kws)) {
                memcpy(kws, kw.s, kw.n);
                kws[kw.n] = 0;
            }
            if (!strcmp(kws, "if")) {
                sl_hcl_expr *c = parse_expression(p);
                t = tt_push(p, tt, TT_IF, sl_hcl_span_between(next.range, next_range(p)));
                if (t)
                    t->expr = c;
            } else if (!strcmp(kws, "else")) {
                tt_push(p, tt, TT_ELSE, sl_hcl_span_between(next.range, next_range(p)));
            } else if (!strcmp(kws, "endif")) {
                tt_push(p, tt, TT_ENDIF, sl_hcl_span_between(next.range, next_range(p)));
            } else if (!strcmp(kws, "endfor")) {
                tt_push(p, tt, TT_ENDFOR, sl_hcl_span_between(next.range, next_range(p)));
            } else if (!strcmp(kws, "for")) {
                const char *kn = NULL, *vn;
                hcl_tok in;
                sl_hcl_expr *coll;
                if (peek(p).type != T_IDENT) {
                    if (!p->recovery)
                        perr(p, next_range(p), "Invalid 'for' directive",
                             "For directive requires variable name after 'for'.");
                    recover_to(p, T_TSEQEND);
                    pop_nl(p);
                    continue;
                }
                vn = tok_str(p, read_tok(p));
                if (peek(p).type == T_COMMA) {
                    kn = vn;
                    read_tok(p);
                    if (peek(p).type != T_IDENT) {
                        if (!p->recovery)
                            perr(p, next_range(p), "Invalid 'for' directive",
                                 "For directive requires value variable name after comma.");
                        recover_to(p, T_TSEQEND);
                        pop_nl(p);
                        continue;
                    }
                    vn = tok_str(p, read_tok(p));
                }
                in = peek(p);
                if (in.type != T_IDENT || in.n != 2 || memcmp(in.s, "in", 2)) {
                    if (!p->recovery)
                        perr(p, in.range, "Invalid 'for' directive",
                             "For directive requires 'in' keyword after names.");
                    recover_to(p, T_TSEQEND);
                    pop_nl(p);
                    continue;
                }
                read_tok(p);
                coll = parse_expression(p);
                t = tt_push(p, tt, TT_FOR, sl_hcl_span_between(next.range, next_range(p)));
                if (t) {
                    t->expr = coll;
                    t->key_var = kn;
                    t->val_var = vn;
                }
            } else {
                if (!p->recovery)
                    perr(p, kw.range, "Invalid template control keyword",
                         "\"%.*s\" is not a valid template control keyword.", (int)kw.n, kw.s);
                recover_to(p, T_TSEQEND);
                pop_nl(p);
                continue;
            }
            close = peek(p);
            if (close.type != T_TSEQEND) {
                if (!p->recovery)
                    perr(p, close.range, "Extra characters in template directive",
                         "Expected a closing brace to end the sequence, but found extra "
                         "characters.");
                recover_to(p, T_TSEQEND);
            } else {
                read_tok(p);
                if (close.n == 2 && close.s[0] == '~')
                    ltrim_next = 1;
            }
            pop_nl(p);
            break;
        }
        default: {
            hcl_tok final;
            if (!p->recovery)
                perr(p, next.range, "Unterminated template string",
                     "No closing marker was found for the string.");
            final = recover_to(p, end);
            endr = final.range;
            goto done;
        }
        }
    }
done:
    sl_buf_free(&b);
    if (tt->n == 0) {
        sl_hcl_span r = start;
        ttok *t;
        r.start = r.end = start.end;
        t = tt_push(p, tt, TT_LIT, r);
        if (t) {
            t->val = calloc(1, 1);
            if (!t->val)
                p->fatal = SL_ENOMEM;
        }
    }
    tt_push(p, tt, TT_END, endr);
    *whole = sl_hcl_span_between(start, endr);
    return p->fatal;
}

/* Leading whitespace characters of a literal (Unicode spaces, counted as
 * characters) and their byte length. */
static size_t lead_spaces(const char *s, size_t n, size_t *bytes)
{
    size_t i = 0, chars = 0;

    while (i < n) {
        uint32_t cp;
        int l = hcl_utf8_decode(s + i, n - i, &cp);
        if (!hcl_is_unicode_space(cp))
            break;
        i += (size_t)l;
        chars++;
    }
    *bytes = i;
    return chars;
}

static void flush_heredoc(ttoks *tt)
{
    size_t min = (size_t)-1;
    int newline = 1;
    ttok **adjust = calloc(tt->n ? tt->n : 1, sizeof(*adjust));
    size_t na = 0;

    if (!adjust)
        return;
    for (size_t i = 0; i < tt->n; i++) {
        ttok *t = &tt->v[i];
        if (newline) {
            size_t spaces = (size_t)-1, bytes;
            newline = 0;
            if (t->kind == TT_LIT) {
                size_t c = lead_spaces(t->val, t->len, &bytes);
                if (!(bytes == t->len && t->len && t->val[t->len - 1] == '\n')) {
                    spaces = c;
                    adjust[na++] = t;
                }
            } else if (t->kind == TT_END) {
                break;
            } else {
                spaces = 0;
            }
            if (spaces < min)
                min = spaces;
        }
        if (t->kind == TT_LIT && t->len && t->val[t->len - 1] == '\n')
            newline = 1;
    }
    for (size_t i = 0; i < na; i++) {
        ttok *t = adjust[i];
        size_t bytes = 0, c = 0;
        while (c < min && bytes < t->len) {
            uint32_t cp;
            bytes += (size_t)hcl_utf8_decode(t->val + bytes, t->len - bytes, &cp);
            c++;
        }
        memmove(t->val, t->val + bytes, t->len - bytes + 1);
        t->len -= bytes;
        t->range.start += (uint32_t)bytes;
    }
    free(adjust);
}

static void meld_literals(parser *p, ttoks *tt)
{
    size_t w = 0;

    for (size_t i = 0; i < tt->n; i++) {
        if (w > 0 && tt->v[i].kind == TT_LIT && tt->v[w - 1].kind == TT_LIT) {
            ttok *prev = &tt->v[w - 1];
            char *v = realloc(prev->val, prev->len + tt->v[i].len + 1);
            if (!v) {
                p->fatal = SL_ENOMEM;
                free(tt->v[i].val);
                continue;
            }
            memcpy(v + prev->len, tt->v[i].val, tt->v[i].len + 1);
            prev->val = v;
            prev->len += tt->v[i].len;
            prev->range.end = tt->v[i].range.end;
            free(tt->v[i].val);
            continue;
        }
        tt->v[w++] = tt->v[i];
    }
    tt->n = w;
}

static sl_hcl_expr *tp_expr(parser *p, ttoks *tt);

static sl_hcl_expr *tp_template(parser *p, ptrv *parts)
{
    sl_hcl_expr *first = parts->v[0], *last = parts->v[parts->n - 1];
    sl_hcl_expr *e = new_expr(p, SL_HCL_E_TEMPLATE,
                              sl_hcl_span_between(first ? first->range : p->prev,
                                                   last ? last->range : p->prev));
    set_subs(p, e, parts->n, (sl_hcl_expr **)parts->v);
    return e;
}

static sl_hcl_expr *tp_empty_lit(parser *p, sl_hcl_span at, int use_end)
{
    sl_hcl_span r = at;

    r.start = r.end = use_end ? at.end : at.start;
    return new_lit(p, &sl_hcl_empty_string, r);
}

static sl_hcl_expr *tp_if(parser *p, ttoks *tt)
{
    ttok *open = &tt->v[tt->pos++];
    ptrv ifs = {0}, elses = {0}, *cur = &ifs;
    sl_hcl_span endif = open->range;
    sl_hcl_expr *e = NULL, *subs[3];

    for (;;) {
        ttok *next = &tt->v[tt->pos];
        if (next->kind == TT_END) {
            perr(p, next->range, "Unexpected end of template",
                 "The if directive at %s:%d,%d is missing its corresponding endif directive.",
                 prange(p, open->range).file, prange(p, open->range).start.line,
                 prange(p, open->range).start.col);
            e = placeholder(p, next->range);
            goto out;
        }
        if (next->kind == TT_ELSE || next->kind == TT_ENDIF || next->kind == TT_ENDFOR) {
            tt->pos++;
            if (next->kind == TT_ELSE && cur == &ifs) {
                cur = &elses;
                continue;
            }
            if (next->kind == TT_ENDIF) {
                endif = next->range;
                break;
            }
            if (next->kind == TT_ELSE)
                perr(p, next->range, "Unexpected else directive",
                     "Already in the else clause for the if started at %s:%d,%d.",
                     prange(p, open->range).file, prange(p, open->range).start.line,
                 prange(p, open->range).start.col);
            else
                perr(p, next->range, "Unexpected endfor directive",
                     "Expecting an endif directive for the if started at %s:%d,%d.",
                     prange(p, open->range).file, prange(p, open->range).start.line,
                 prange(p, open->range).start.col);
            e = placeholder(p, next->range);
            goto out;
        }
        if (ptrv_push(p, cur, tp_expr(p, tt)))
            goto out;
        if (p->fatal)
            goto out;
    }
    if (!ifs.n && ptrv_push(p, &ifs, tp_empty_lit(p, open->range, 1)))
        goto out;
    if (!elses.n && ptrv_push(p, &elses, tp_empty_lit(p, endif, 0)))
        goto out;
    subs[0] = open->expr;
    subs[1] = tp_template(p, &ifs);
    subs[2] = tp_template(p, &elses);
    e = new_expr(p, SL_HCL_E_CONDITIONAL, sl_hcl_span_between(open->range, endif));
    set_subs(p, e, 3, subs);
out:
    ptrv_free(&ifs);
    ptrv_free(&elses);
    return e;
}

static sl_hcl_expr *tp_for(parser *p, ttoks *tt)
{
    ttok *open = &tt->v[tt->pos++];
    ptrv content = {0};
    sl_hcl_span endfor = open->range;
    sl_hcl_expr *e = NULL, *f, *subs[2];

    for (;;) {
        ttok *next = &tt->v[tt->pos];
        if (next->kind == TT_END) {
            perr(p, next->range, "Unexpected end of template",
                 "The for directive at %s:%d,%d is missing its corresponding endfor directive.",
                 prange(p, open->range).file, prange(p, open->range).start.line,
                 prange(p, open->range).start.col);
            e = placeholder(p, next->range);
            goto out;
        }
        if (next->kind == TT_ELSE || next->kind == TT_ENDIF || next->kind == TT_ENDFOR) {
            tt->pos++;
            if (next->kind == TT_ENDFOR) {
                endfor = next->range;
                break;
            }
            if (next->kind == TT_ELSE)
                perr(p, next->range, "Unexpected else directive",
                     "An else clause is not expected for a for directive.");
            else
                perr(p, next->range, "Unexpected endif directive",
                     "Expecting an endfor directive corresponding to the for directive at "
                     "%s:%d,%d.",
                     prange(p, open->range).file, prange(p, open->range).start.line,
                 prange(p, open->range).start.col);
            e = placeholder(p, next->range);
            goto out;
        }
        if (ptrv_push(p, &content, tp_expr(p, tt)) || p->fatal)
            goto out;
    }
    if (!content.n && ptrv_push(p, &content, tp_empty_lit(p, open->range, 1)))
        goto out;
    subs[0] = open->expr;
    subs[1] = tp_template(p, &content);
    f = new_expr(p, SL_HCL_E_FOR, sl_hcl_span_between(open->range, endfor));
    if (set_subs(p, f, 2, subs))
        goto out;
    f->key_var = open->key_var;
    for_parts(f)->val_var = open->val_var;
    e = new_expr(p, SL_HCL_E_TEMPLATE_JOIN, f->range);
    set_subs(p, e, 1, &f);
out:
    ptrv_free(&content);
    return e;
}

static sl_hcl_expr *tp_expr(parser *p, ttoks *tt)
{
    ttok *t = &tt->v[tt->pos];

    switch (t->kind) {
    case TT_LIT:
        tt->pos++;
        return new_lit(p, str_value(p, t->val, t->len), t->range);
    case TT_INTERP:
        tt->pos++;
        return t->expr ? t->expr : placeholder(p, t->range);
    case TT_IF:
        return tp_if(p, tt);
    case TT_FOR:
        return tp_for(p, tt);
    case TT_END:
        perr(p, t->range, "Unexpected end of template",
             "The control directives within this template are unbalanced.");
        return placeholder(p, t->range);
    default:
        tt->pos++;
        perr(p, t->range,
             t->kind == TT_ELSE ? "Unexpected else directive"
             : t->kind == TT_ENDIF ? "Unexpected endif directive"
                                   : "Unexpected endfor directive",
             "The control directives within this template are unbalanced.");
        return placeholder(p, t->range);
    }
}

/* Parse template content up to `end`; returns TEMPLATE or TEMPLATE_WRAP
 * (a lone interpolation) ranging from open (if given) to the closer. */
static sl_hcl_expr *parse_template_inner(parser *p, hcl_tok_type end, int flush,
                                         const sl_hcl_span *open)
{
    ttoks tt = {0};
    ptrv exprs = {0};
    sl_hcl_span whole, r;
    sl_hcl_expr *e = NULL;
    int passthru;

    if (template_parts(p, end, &tt, &whole))
        goto out;
    if (flush)
        flush_heredoc(&tt);
    meld_literals(p, &tt);
    while (tt.v[tt.pos].kind != TT_END && !p->fatal)
        if (ptrv_push(p, &exprs, tp_expr(p, &tt)))
            goto out;
    if (p->fatal)
        goto out;
    passthru = tt.n == 2 && tt.v[0].kind == TT_INTERP;
    r = open ? sl_hcl_span_between(*open, prev_range(p)) : whole;
    if (passthru) {
        e = new_expr(p, SL_HCL_E_TEMPLATE_WRAP, r);
        set_subs(p, e, 1, (sl_hcl_expr **)exprs.v);
    } else {
        e = new_expr(p, SL_HCL_E_TEMPLATE, r);
        set_subs(p, e, exprs.n, (sl_hcl_expr **)exprs.v);
    }
out:
    ptrv_free(&exprs);
    tt_free(&tt);
    return e;
}

/* --------------------------------------------------------- expressions */

static sl_hcl_expr *parse_with_traversals(parser *p);

static const sl_hcl_value *num_value(parser *p, hcl_tok t)
{
    sl_hcl_num n;
    const sl_hcl_value *v;
    intern_ent *e = intern_slot_h(p, IN_NUMVAL, t.s, t.n,
                                  tok_hashed(t.type) ? t.hash : intern_hash(t.s, t.n));
    num_ent *ne;

    if (e && e->val)
        return ((const num_ent *)e->val)->v;
    if (sl_hcl_num_parse(p->a, t.s, t.n, &n)) {
        perr(p, t.range, "Invalid number literal",
             "Failed to recognize the value of this number literal.");
        return NULL;
    }
    v = sl_hcl_number(p->a, &n);
    if (!v)
        p->fatal = SL_ENOMEM;
    else if (e && (ne = sl_hcl_alloc(p->a, sizeof(*ne)))) {
        ne->text = t.s; /* the token text lives in the file's source */
        ne->v = v;
        intern_put(p, e, IN_NUMVAL, t.n, ne);
    }
    return v;
}

static sl_hcl_expr *extend_traversal(parser *p, sl_hcl_expr *e, sl_hcl_step step)
{
    sl_hcl_step *steps;

    if (!e)
        return NULL;
    if (e->kind != SL_HCL_E_SCOPE_TRAV && e->kind != SL_HCL_E_REL_TRAV) {
        sl_hcl_expr *r = new_expr(p, SL_HCL_E_REL_TRAV, e->range);
        if (set_subs(p, r, 1, &e))
            return NULL;
        e = r;
    }
    if (e->nsteps >= SL_HCL_MAX_STEPS) {
        if (!p->recovery)
            perr(p, step.range, "Traversal too long",
                 "A traversal may have at most %u steps.", SL_HCL_MAX_STEPS);
        p->recovery = 1;
        return e;
    }
    /* Steps grow by doubling at powers of two (1, 2, 4, ...), in place when
     * the array is the arena's last allocation (as it mostly is: only a new
     * name is allocated between two steps). */
    if ((e->nsteps & (e->nsteps - 1)) == 0) {
        size_t n = e->nsteps, cap = n ? n * 2 : 1;
        if (!n || !hcl_arena_grow(p->a, e->steps, n * sizeof(*steps), cap * sizeof(*steps))) {
            steps = sl_hcl_alloc(p->a, cap * sizeof(*steps));
            if (!steps) {
                p->fatal = SL_ENOMEM;
                return NULL;
            }
            if (n)
                memcpy(steps, e->steps, n * sizeof(*steps));
            e->steps = steps;
        }
    }
    e->steps[e->nsteps++] = step;
    e->range = sl_hcl_span_between(e->range, step.range);
    return e;
}

static sl_hcl_expr *parse_traversals(parser *p, sl_hcl_expr *from)
{
    sl_hcl_expr *ret = from;

    while (ret && !p->fatal) {
        hcl_tok next = peek(p);
        if (next.type == T_DOT) {
            hcl_tok dot = read_tok(p), at = peek(p);
            if (at.type == T_IDENT) {
                sl_hcl_step st = {0};
                at = read_tok(p);
                st.name = tok_str(p, at);
                st.range = sl_hcl_span_between(dot.range, at.range);
                ret = extend_traversal(p, ret, st);
            } else if (at.type == T_NUMBER) {
                sl_hcl_step st = {0};
                at = read_tok(p);
                st.is_index = 1;
                st.range = sl_hcl_span_between(dot.range, at.range);
                if (memchr(at.s, '.', at.n)) {
                    const char *d = memchr(at.s, '.', at.n);
                    perr(p, at.range, "Invalid legacy index syntax",
                         "When using the legacy index syntax, chaining two indexes together is "
                         "not permitted. Use the proper index syntax instead, like [%.*s][%.*s].",
                         (int)(d - at.s), at.s, (int)(at.n - (size_t)(d - at.s) - 1), d + 1);
                    st.key = &sl_hcl_null_dynamic;
                } else {
                    st.key = num_value(p, at);
                    if (!st.key)
                        st.key = &sl_hcl_null_dynamic;
                }
                ret = extend_traversal(p, ret, st);
            } else if (at.type == T_STAR) {
                hcl_tok marker = read_tok(p);
                sl_hcl_expr *item, *trav, *sp, *subs[2];
                sl_hcl_span first = next_range(p), last = marker.range;
                ptrv steps = {0};
                item = new_expr(p, SL_HCL_E_ANON, sl_hcl_span_between(dot.range, marker.range));
                trav = item;
                while (peek(p).type == T_DOT && !p->fatal) {
                    hcl_tok d2 = read_tok(p);
                    sl_hcl_step st = {0};
                    if (peek(p).type == T_NUMBER) {
                        hcl_tok nt = read_tok(p);
                        st.is_index = 1;
                        st.range = sl_hcl_span_between(d2.range, nt.range);
                        if (memchr(nt.s, '.', nt.n)) {
                            perr(p, at.range, "Invalid legacy index syntax",
                                 "When using the legacy index syntax, chaining two indexes "
                                 "together is not permitted. Use the proper index syntax with a "
                                 "full splat expression [*] instead.");
                            st.key = &sl_hcl_null_dynamic;
                        } else {
                            st.key = num_value(p, nt);
                            if (!st.key)
                                st.key = &sl_hcl_null_dynamic;
                        }
                        last = nt.range;
                    } else if (peek(p).type != T_IDENT) {
                        if (!p->recovery) {
                            if (peek(p).type == T_STAR)
                                perr(p, next_range(p), "Nested splat expression not allowed",
                                     "A splat expression (*) cannot be used inside another "
                                     "attribute-only splat expression.");
                            else
                                perr(p, at.range, "Invalid attribute name",
                                     "An attribute name is required after a dot.");
                        }
                        p->recovery = 1;
                        break;
                    } else {
                        hcl_tok nt = read_tok(p);
                        st.name = tok_str(p, nt);
                        st.range = sl_hcl_span_between(d2.range, nt.range);
                        last = nt.range;
                    }
                    trav = extend_traversal(p, trav, st);
                    (void)steps;
                }
                if (trav && trav != item)
                    trav->range = sl_hcl_span_between(first, last);
                sp = new_expr(p, SL_HCL_E_SPLAT, sl_hcl_span_between(from->range, last));
                subs[0] = ret;
                subs[1] = trav;
                if (set_subs(p, sp, 2, subs))
                    return NULL;
                sp->splat_item = item;
                sp->attr_only = 1;
                ret = sp;
            } else {
                sl_hcl_expr *bad;
                perr(p, at.range, "Invalid attribute name",
                     "An attribute name is required after a dot.");
                bad = new_expr(p, SL_HCL_E_INVALID, sl_hcl_span_between(from->range, dot.range));
                p->recovery = 1;
                ret = bad;
            }
        } else if (next.type == T_OBRACK) {
            hcl_tok open = read_tok(p);
            if (peek(p).type == T_STAR) {
                hcl_tok close;
                sl_hcl_expr *item, *trav, *sp, *subs[2];
                read_tok(p);
                close = read_tok(p);
                if (close.type != T_CBRACK && !p->recovery) {
                    /* hclsyntax's diagnostic points at its `close` variable,
                     * which recovery then reassigns: the range reported is
                     * the token recovery stopped at. */
                    close = recover_to(p, T_CBRACK);
                    perr(p, close.range, "Missing close bracket on splat index",
                         "The star for a full splat operator must be immediately followed by a "
                         "closing bracket (\"]\").");
                }
                item = new_expr(p, SL_HCL_E_ANON, sl_hcl_span_between(open.range, close.range));
                if (++p->depth > p->max_depth) {
                    p->depth--;
                    return ret;
                }
                trav = parse_traversals(p, item);
                p->depth--;
                if (!trav)
                    return NULL;
                sp = new_expr(p, SL_HCL_E_SPLAT, sl_hcl_span_between(from->range, trav->range));
                subs[0] = ret;
                subs[1] = trav;
                if (set_subs(p, sp, 2, subs))
                    return NULL;
                sp->splat_item = item;
                ret = sp;
            } else {
                hcl_tok close;
                size_t mark = err_mark(p);
                sl_hcl_expr *key;
                const sl_hcl_value *kv = NULL;
                push_nl(p, 0);
                key = parse_expression(p);
                if (p->recovery && errs_since(p, mark)) {
                    close = recover_to(p, T_CBRACK);
                } else {
                    close = read_tok(p);
                    if (close.type != T_CBRACK && !p->recovery) {
                        /* As above: reported at the token recovery stops at. */
                        close = recover_to(p, T_CBRACK);
                        perr(p, close.range, "Missing close bracket on index",
                             "The index operator must end with a closing bracket (\"]\").");
                    }
                }
                pop_nl(p);
                if (!key)
                    return NULL;
                if (key->kind == SL_HCL_E_LITERAL)
                    kv = key->lit;
                else if (key->kind == SL_HCL_E_TEMPLATE && key->nsub == 1 &&
                         key->sub[0]->kind == SL_HCL_E_LITERAL)
                    kv = key->sub[0]->lit;
                if (kv) {
                    sl_hcl_step st = {0};
                    st.is_index = 1;
                    st.key = kv;
                    st.range = sl_hcl_span_between(open.range, close.range);
                    ret = extend_traversal(p, ret, st);
                } else {
                    sl_hcl_expr *ix = new_expr(p, SL_HCL_E_INDEX,
                                               sl_hcl_span_between(from->range, close.range));
                    sl_hcl_expr *subs[2] = {ret, key};
                    if (set_subs(p, ix, 2, subs))
                        return NULL;
                    ix->name_range = sl_hcl_span_between(open.range, close.range);
                    ret = ix;
                }
            }
        } else {
            break;
        }
    }
    return ret;
}

static sl_hcl_expr *finish_funcall(parser *p, hcl_tok name)
{
    hcl_tok open = read_tok(p), close = open;
    ptrv args = {0};
    sl_hcl_expr *e = NULL;
    const char *nm = tok_str(p, name);
    sl_hcl_span nrange = name.range;
    int expand = 0;

    while (open.type == T_DCOLON) {
        hcl_tok nn = read_tok(p);
        char *joined;
        if (nn.type != T_IDENT) {
            perr(p, nn.range, "Missing function name",
                 "Function scope resolution symbol :: must be followed by a function name in "
                 "this scope.");
            recover_over(p, T_OPAREN);
            return placeholder(p, sl_hcl_span_between(name.range, nn.range));
        }
        if (asprintf(&joined, "%s::%.*s", nm, (int)nn.n, nn.s) < 0) {
            p->fatal = SL_ENOMEM;
            return NULL;
        }
        nm = sl_hcl_strndup(p->a, joined, strlen(joined));
        free(joined);
        if (!nm) {
            p->fatal = SL_ENOMEM;
            return NULL;
        }
        nrange.end = nn.range.end;
        open = read_tok(p);
    }
    if (open.type != T_OPAREN) {
        perr(p, open.range, "Missing open parenthesis",
             "Function selector must be followed by an open parenthesis to begin the function "
             "call.");
        recover_over(p, T_OPAREN);
        return placeholder(p, sl_hcl_span_between(name.range, open.range));
    }
    push_nl(p, 0);
    for (;;) {
        hcl_tok t = peek(p), sep;
        sl_hcl_expr *arg;
        size_t mark = err_mark(p);
        if (t.type == T_CPAREN) {
            close = read_tok(p);
            break;
        }
        arg = parse_expression(p);
        if (!arg || ptrv_push(p, &args, arg))
            goto out;
        if (p->recovery && errs_since(p, mark)) {
            hcl_tok r = recover_to(p, T_CPAREN);
            if (r.type == T_CPAREN)
                close = r;
            break;
        }
        sep = read_tok(p);
        if (sep.type == T_CPAREN) {
            close = sep;
            break;
        }
        if (sep.type == T_ELLIPSIS) {
            expand = 1;
            if (peek(p).type != T_CPAREN) {
                if (!p->recovery)
                    perr(p, sep.range, "Missing closing parenthesis",
                         "An expanded function argument (with ...) must be immediately followed "
                         "by closing parentheses.");
                close = recover_to(p, T_CPAREN);
            } else {
                close = read_tok(p);
            }
            break;
        }
        if (sep.type != T_COMMA) {
            if (sep.type == T_EOF)
                perr(p, sl_hcl_span_between(name.range, open.range), "Unterminated function call",
                     "There is no closing parenthesis for this function call before the end of "
                     "the file. This may be caused by incorrect parenthesis nesting elsewhere in "
                     "this file.");
            else
                perr(p, sep.range, "Missing argument separator",
                     "A comma is required to separate each function argument from the next.");
            close = recover_to(p, T_CPAREN);
            break;
        }
        if (peek(p).type == T_CPAREN) {
            close = read_tok(p);
            break;
        }
    }
    pop_nl(p);
    e = new_expr(p, SL_HCL_E_FUNCALL, sl_hcl_span_between(nrange, close.range));
    if (set_subs(p, e, args.n, (sl_hcl_expr **)args.v))
        e = NULL;
    else {
        e->name = nm;
        e->expand_final = expand ? 1 : 0;
        e->name_range = nrange;
    }
out:
    ptrv_free(&args);
    return e;
}

static int tok_is(hcl_tok t, const char *kw)
{
    size_t n = strlen(kw);
    return t.type == T_IDENT && t.n == n && !memcmp(t.s, kw, n);
}

static sl_hcl_expr *for_fail(parser *p, hcl_tok open, hcl_tok_type close_type, const char *detail)
{
    hcl_tok close;

    if (detail && !p->recovery)
        perr(p, next_range(p), "Invalid 'for' expression", "%s", detail);
    close = recover_to(p, close_type);
    return placeholder(p, sl_hcl_span_between(open.range, close.range));
}

static sl_hcl_expr *finish_for(parser *p, hcl_tok open)
{
    hcl_tok_type close_type = open.type == T_OBRACE ? T_CBRACE : T_CBRACK;
    int make_obj = open.type == T_OBRACE, group = 0;
    const char *kn = NULL, *vn;
    sl_hcl_expr *coll, *kx = NULL, *vx, *cond = NULL, *e;
    hcl_tok close, ellipsis = {0};
    size_t mark;

    push_nl(p, 0);
    read_tok(p); /* for */
    if (peek(p).type != T_IDENT) {
        e = for_fail(p, open, close_type, "For expression requires variable name after 'for'.");
        goto out;
    }
    vn = tok_str(p, read_tok(p));
    if (peek(p).type == T_COMMA) {
        kn = vn;
        read_tok(p);
        if (peek(p).type != T_IDENT) {
            e = for_fail(p, open, close_type,
                         "For expression requires value variable name after comma.");
            goto out;
        }
        vn = tok_str(p, read_tok(p));
    }
    if (!tok_is(peek(p), "in")) {
        e = for_fail(p, open, close_type,
                     "For expression requires the 'in' keyword after its name declarations.");
        goto out;
    }
    read_tok(p);
    mark = err_mark(p);
    coll = parse_expression(p);
    if (p->recovery && errs_since(p, mark)) {
        e = for_fail(p, open, close_type, NULL);
        goto out;
    }
    if (peek(p).type != T_COLON) {
        e = for_fail(p, open, close_type,
                     "For expression requires a colon after the collection expression.");
        goto out;
    }
    read_tok(p);
    mark = err_mark(p);
    vx = parse_expression(p);
    if (peek(p).type == T_FATARROW) {
        read_tok(p);
        kx = vx;
        vx = parse_expression(p);
    }
    if (p->recovery && errs_since(p, mark)) {
        e = for_fail(p, open, close_type, NULL);
        goto out;
    }
    if (peek(p).type == T_ELLIPSIS) {
        ellipsis = read_tok(p);
        group = 1;
    }
    if (tok_is(peek(p), "if")) {
        read_tok(p);
        mark = err_mark(p);
        cond = parse_expression(p);
        if (p->recovery && errs_since(p, mark)) {
            e = for_fail(p, open, close_type, NULL);
            goto out;
        }
    }
    if (peek(p).type == close_type) {
        close = read_tok(p);
    } else {
        if (!p->recovery)
            perr(p, next_range(p), "Invalid 'for' expression",
                 "Extra characters after the end of the 'for' expression.");
        close = recover_to(p, close_type);
    }
    if (!make_obj) {
        if (kx)
            perr(p, kx->range, "Invalid 'for' expression",
                 "Key expression is not valid when building a tuple.");
        if (group)
            perr(p, ellipsis.range, "Invalid 'for' expression",
                 "Grouping ellipsis (...) cannot be used when building a tuple.");
    } else if (!kx && vx) {
        perr(p, vx->range, "Invalid 'for' expression",
             "Key expression is required when building an object.");
    }
    e = new_expr(p, SL_HCL_E_FOR, sl_hcl_span_between(open.range, close.range));
    {
        sl_hcl_expr *subs[2] = {coll, vx};
        if (!coll || !vx || set_subs(p, e, 2, subs)) {
            e = NULL;
            goto out;
        }
    }
    e->key_var = kn;
    for_parts(e)->val_var = vn;
    for_parts(e)->key = kx;
    for_parts(e)->cond = cond;
    e->for_group = group ? 1 : 0;
    e->for_object = make_obj ? 1 : 0;
out:
    pop_nl(p);
    return e;
}

static sl_hcl_expr *parse_tuple(parser *p)
{
    hcl_tok open = read_tok(p), close;
    ptrv items = {0};
    sl_hcl_expr *e = NULL;

    push_nl(p, 0);
    if (tok_is(peek(p), "for")) {
        e = finish_for(p, open);
        pop_nl(p);
        return e;
    }
    for (;;) {
        hcl_tok next = peek(p);
        size_t mark;
        sl_hcl_expr *x;
        if (next.type == T_CBRACK) {
            close = read_tok(p);
            break;
        }
        mark = err_mark(p);
        x = parse_expression(p);
        if (!x || ptrv_push(p, &items, x))
            goto out;
        if (p->recovery && errs_since(p, mark)) {
            close = recover_to(p, T_CBRACK);
            break;
        }
        next = peek(p);
        if (next.type == T_CBRACK) {
            close = read_tok(p);
            break;
        }
        if (next.type != T_COMMA) {
            if (!p->recovery) {
                if (next.type == T_EOF)
                    perr(p, open.range, "Unterminated tuple constructor expression",
                         "There is no corresponding closing bracket before the end of the file. "
                         "This may be caused by incorrect bracket nesting elsewhere in this "
                         "file.");
                else
                    perr(p, next.range, "Missing item separator",
                         "Expected a comma to mark the beginning of the next item.");
            }
            close = recover_to(p, T_CBRACK);
            break;
        }
        read_tok(p);
    }
    e = new_expr(p, SL_HCL_E_TUPLE, sl_hcl_span_between(open.range, close.range));
    if (set_subs(p, e, items.n, (sl_hcl_expr **)items.v))
        e = NULL;
out:
    pop_nl(p);
    ptrv_free(&items);
    return e;
}

static sl_hcl_expr *parse_object(parser *p)
{
    hcl_tok open = read_tok(p), close;
    ptrv keys = {0}, vals = {0};
    sl_hcl_expr *e = NULL;
    int is_for;

    push_nl(p, 0);
    is_for = tok_is(peek(p), "for");
    pop_nl(p);
    if (is_for)
        return finish_for(p, open);
    push_nl(p, 1);
    for (;;) {
        hcl_tok next = peek(p);
        int force;
        size_t mark;
        sl_hcl_expr *key, *kw, *val;
        if (next.type == T_NEWLINE) {
            read_tok(p);
            continue;
        }
        if (next.type == T_CBRACE) {
            close = read_tok(p);
            break;
        }
        force = next.type == T_OPAREN;
        mark = err_mark(p);
        if (next.type == T_IDENT && (peek2_type(p) == T_EQUAL || peek2_type(p) == T_COLON)) {
            /* A bare identifier key: no traversal node for it. */
            read_tok(p);
            key = new_lit(p, str_value_h(p, next.s, next.n, next.hash), next.range);
        } else {
            key = parse_expression(p);
        }
        if (!key)
            goto out;
        if (p->recovery && errs_since(p, mark)) {
            close = recover_to(p, T_CBRACE);
            break;
        }
        /* A bare identifier names the attribute: a string literal (a
         * parenthesised key is a PARENS node, evaluated). */
        kw = key;
        if (!force && key->kind == SL_HCL_E_SCOPE_TRAV && !key->nsteps) {
            kw = new_lit(p, str_value(p, key->name, strlen(key->name)), key->range);
            if (!kw)
                goto out;
        }
        next = peek(p);
        if (next.type != T_EQUAL && next.type != T_COLON) {
            if (!p->recovery) {
                if (next.type == T_NEWLINE || next.type == T_COMMA)
                    perr(p, next.range, "Missing attribute value",
                         "Expected an attribute value, introduced by an equals sign (\"=\").");
                else if (next.type == T_EOF)
                    perr(p, open.range, "Unterminated object constructor expression",
                         "There is no corresponding closing brace before the end of the file. "
                         "This may be caused by incorrect brace nesting elsewhere in this file.");
                else
                    perr(p, next.range, "Missing key/value separator",
                         "Expected an equals sign (\"=\") to mark the beginning of the attribute "
                         "value.");
            }
            close = recover_to(p, T_CBRACE);
            break;
        }
        read_tok(p);
        mark = err_mark(p);
        val = parse_expression(p);
        if (!val || ptrv_push(p, &keys, kw) || ptrv_push(p, &vals, val))
            goto out;
        if (p->recovery && errs_since(p, mark)) {
            close = recover_to(p, T_CBRACE);
            break;
        }
        next = peek(p);
        if (next.type == T_CBRACE) {
            close = read_tok(p);
            break;
        }
        if (next.type != T_COMMA && next.type != T_NEWLINE) {
            if (!p->recovery) {
                if (next.type == T_EOF)
                    perr(p, open.range, "Unterminated object constructor expression",
                         "There is no corresponding closing brace before the end of the file. "
                         "This may be caused by incorrect brace nesting elsewhere in this file.");
                else
                    perr(p, next.range, "Missing attribute separator",
                         "Expected a newline or comma to mark the beginning of the next "
                         "attribute.");
            }
            close = recover_to(p, T_CBRACE);
            break;
        }
        read_tok(p);
    }
    e = new_expr(p, SL_HCL_E_OBJECT, sl_hcl_span_between(open.range, close.range));
    if (e) {
        /* sub holds keys then values: sub[i] key, sub[n + i] value. */
        size_t n = keys.n;
        e->nsub = (uint32_t)(2 * n);
        if (n && !(e->sub = sl_hcl_alloc(p->a, 2 * n * sizeof(*e->sub)))) {
            p->fatal = SL_ENOMEM;
            e = NULL;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            e->sub[i] = keys.v[i];
            e->sub[n + i] = vals.v[i];
        }
    }
out:
    pop_nl(p);
    ptrv_free(&keys);
    ptrv_free(&vals);
    return e;
}

static sl_hcl_expr *parse_term(parser *p)
{
    hcl_tok start = peek(p);

    if (p->depth > p->max_depth) {
        if (!p->recovery)
            perr(p, start.range, "Expression too deeply nested",
                 "This expression is nested more than %d levels deep.", p->max_depth);
        p->recovery = 1;
        read_tok(p);
        return placeholder(p, start.range);
    }
    switch (start.type) {
    case T_OPAREN: {
        hcl_tok open = read_tok(p), close;
        size_t mark = err_mark(p);
        sl_hcl_expr *x, *e;
        push_nl(p, 0);
        x = parse_expression(p);
        if (errs_since(p, mark)) {
            recover_to(p, T_CPAREN);
            pop_nl(p);
            return x;
        }
        close = peek(p);
        if (close.type != T_CPAREN) {
            perr(p, close.range, "Unbalanced parentheses",
                 "Expected a closing parenthesis to terminate the expression.");
            p->recovery = 1;
        }
        close = read_tok(p);
        pop_nl(p);
        e = new_expr(p, SL_HCL_E_PARENS, sl_hcl_span_between(open.range, close.range));
        if (!x || set_subs(p, e, 1, &x))
            return NULL;
        return e;
    }
    case T_NUMBER: {
        hcl_tok t = read_tok(p);
        const sl_hcl_value *v = num_value(p, t);
        if (!v)
            return placeholder(p, t.range);
        return new_lit(p, v, t.range);
    }
    case T_IDENT: {
        hcl_tok t = read_tok(p);
        sl_hcl_expr *e;
        hcl_tok_type nt = peek(p).type;
        if (nt == T_OPAREN || nt == T_DCOLON)
            return finish_funcall(p, t);
        if (tok_is(t, "true"))
            return new_lit(p, &sl_hcl_true, t.range);
        if (tok_is(t, "false"))
            return new_lit(p, &sl_hcl_false, t.range);
        if (tok_is(t, "null"))
            return new_lit(p, &sl_hcl_null_dynamic, t.range);
        e = new_expr(p, SL_HCL_E_SCOPE_TRAV, t.range);
        if (e)
            e->name = tok_str(p, t);
        return e;
    }
    case T_OQUOTE:
    case T_OHEREDOC: {
        hcl_tok open = read_tok(p);
        if (open.type == T_OQUOTE) {
            /* Fast path: one literal part without escapes, then the close. */
            hcl_tok lit = *tok_at(p, p->next), close;
            if (lit.type == T_QLIT && !memchr(lit.s, '\\', lit.n) && !memchr(lit.s, '$', lit.n) &&
                !memchr(lit.s, '%', lit.n) && p->next + 1 < p->toks.base + p->toks.n + 1 &&
                (close = *tok_at(p, p->next + 1)).type == T_CQUOTE) {
                /* One literal node for the whole string (quotes included),
                 * not a template wrapping it. */
                read_tok(p);
                read_tok(p);
                return new_lit(p, str_value_h(p, lit.s, lit.n, lit.hash),
                               sl_hcl_span_between(open.range, close.range));
            }
        }
        int flush = open.type == T_OHEREDOC && open.n > 2 && open.s[2] == '-';
        return parse_template_inner(p, open.type == T_OQUOTE ? T_CQUOTE : T_CHEREDOC, flush,
                                    &open.range);
    }
    case T_MINUS:
    case T_BANG: {
        hcl_tok t = read_tok(p);
        sl_hcl_expr *x = parse_with_traversals(p), *e;
        if (!x)
            return NULL;
        e = new_expr(p, SL_HCL_E_UNARY, sl_hcl_span_between(t.range, x->range));
        if (set_subs(p, e, 1, &x))
            return NULL;
        e->op = start.type == T_MINUS ? SL_HCL_OP_NEG : SL_HCL_OP_NOT;
        e->name_range = t.range;
        return e;
    }
    case T_OBRACK:
        return parse_tuple(p);
    case T_OBRACE:
        return parse_object(p);
    default:
        if (!p->recovery) {
            if (start.type == T_EOF)
                perr(p, start.range, "Missing expression",
                     "Expected the start of an expression, but found the end of the file.");
            else
                perr(p, start.range, "Invalid expression",
                     "Expected the start of an expression, but found an invalid expression "
                     "token.");
        }
        p->recovery = 1;
        return placeholder(p, start.range);
    }
}

static sl_hcl_expr *parse_with_traversals(parser *p)
{
    sl_hcl_expr *t;

    p->depth++;
    t = parse_term(p);
    if (t)
        t = parse_traversals(p, t);
    p->depth--;
    return t;
}

/* Binary operator levels, lowest precedence first. */
static sl_hcl_op op_at(int level, hcl_tok_type t)
{
    switch (level) {
    case 0: return t == T_OR ? SL_HCL_OP_OR : SL_HCL_OP_NONE;
    case 1: return t == T_AND ? SL_HCL_OP_AND : SL_HCL_OP_NONE;
    case 2:
        return t == T_EQUALOP ? SL_HCL_OP_EQ : t == T_NOTEQUAL ? SL_HCL_OP_NE : SL_HCL_OP_NONE;
    case 3:
        return t == T_GT ? SL_HCL_OP_GT : t == T_GE ? SL_HCL_OP_GE : t == T_LT ? SL_HCL_OP_LT
               : t == T_LE ? SL_HCL_OP_LE : SL_HCL_OP_NONE;
    case 4: return t == T_PLUS ? SL_HCL_OP_ADD : t == T_MINUS ? SL_HCL_OP_SUB : SL_HCL_OP_NONE;
    case 5:
        return t == T_STAR ? SL_HCL_OP_MUL : t == T_SLASH ? SL_HCL_OP_DIV
               : t == T_PERCENT ? SL_HCL_OP_MOD : SL_HCL_OP_NONE;
    default: return SL_HCL_OP_NONE;
    }
}

static sl_hcl_expr *binop(parser *p, sl_hcl_expr *l, sl_hcl_op op, sl_hcl_expr *r)
{
    sl_hcl_expr *e, *subs[2] = {l, r};

    if (!l || !r)
        return NULL;
    e = new_expr(p, SL_HCL_E_BINARY, sl_hcl_span_between(l->range, r->range));
    if (set_subs(p, e, 2, subs))
        return NULL;
    e->op = op;
    return e;
}

/* The level of a binary operator token (0 = ||, 5 = * / %), or -1. */
static int op_level(hcl_tok_type t, sl_hcl_op *op)
{
    for (int l = 0; l <= 5; l++)
        if ((*op = op_at(l, t)) != SL_HCL_OP_NONE)
            return l;
    return -1;
}

/* Operators of level >= min, left-associative within a level (precedence
 * climbing; the same trees as hclsyntax's level-by-level recursion). */
static sl_hcl_expr *parse_binary(parser *p, int min)
{
    sl_hcl_expr *lhs;
    size_t mark = err_mark(p);

    lhs = parse_with_traversals(p);
    if (!lhs || (p->recovery && errs_since(p, mark)))
        return lhs;
    for (;;) {
        sl_hcl_op op;
        int level = op_level(peek_ref(p)->type, &op);
        sl_hcl_expr *rhs;
        if (level < min)
            break;
        read_tok(p);
        mark = err_mark(p);
        rhs = parse_binary(p, level + 1);
        if (!rhs)
            return NULL;
        if (p->recovery && errs_since(p, mark)) {
            /* hclsyntax returns the left operand alone here. */
            return lhs;
        }
        lhs = binop(p, lhs, op, rhs);
        if (!lhs)
            return NULL;
    }
    return lhs;
}

static sl_hcl_expr *parse_expression(parser *p)
{
    sl_hcl_span start = next_range(p);
    sl_hcl_expr *cond, *t, *f, *e, *subs[3];
    size_t mark = err_mark(p);
    hcl_tok q, colon;

    if (p->fatal)
        return NULL;
    if (++p->depth > p->max_depth) {
        hcl_tok bad = read_tok(p);
        if (!p->recovery)
            perr(p, bad.range, "Expression too deeply nested",
                 "This expression is nested more than %d levels deep.", p->max_depth);
        p->recovery = 1;
        p->depth--;
        return placeholder(p, bad.range);
    }
    cond = parse_binary(p, 0);
    if (!cond || (p->recovery && errs_since(p, mark)))
        goto done_cond;
    q = peek(p);
    if (q.type != T_QUESTION)
        goto done_cond;
    read_tok(p);
    mark = err_mark(p);
    t = parse_expression(p);
    if (!t || (p->recovery && errs_since(p, mark)))
        goto done_cond;
    colon = peek(p);
    if (colon.type != T_COLON) {
        perr(p, colon.range, "Missing false expression in conditional",
             "The conditional operator (...?...:...) requires a false expression, delimited by a "
             "colon.");
        goto done_cond;
    }
    read_tok(p);
    mark = err_mark(p);
    f = parse_expression(p);
    if (!f || (p->recovery && errs_since(p, mark)))
        goto done_cond;
    e = new_expr(p, SL_HCL_E_CONDITIONAL, sl_hcl_span_between(start, f->range));
    subs[0] = cond;
    subs[1] = t;
    subs[2] = f;
    if (set_subs(p, e, 3, subs))
        e = NULL;
    p->depth--;
    return e;
done_cond:
    p->depth--;
    return cond;
}

/* ---------------------------------------------------------------- bodies */

static sl_hcl_body *parse_body(parser *p, hcl_tok_type end);

typedef struct body_acc {
    sl_hcl_attr *attrs;
    size_t na, ca;
    sl_hcl_block *blocks;
    size_t nb, cb;
} body_acc;

static int acc_attr(parser *p, body_acc *b, const sl_hcl_attr *a)
{
    if (b->na == b->ca) {
        size_t cap = b->ca ? b->ca * 2 : 8;
        sl_hcl_attr *v = realloc(b->attrs, cap * sizeof(*v));
        if (!v)
            return p->fatal = SL_ENOMEM;
        b->attrs = v;
        b->ca = cap;
    }
    b->attrs[b->na++] = *a;
    return 0;
}

static int acc_block(parser *p, body_acc *b, const sl_hcl_block *bl)
{
    if (b->nb == b->cb) {
        size_t cap = b->cb ? b->cb * 2 : 8;
        sl_hcl_block *v = realloc(b->blocks, cap * sizeof(*v));
        if (!v)
            return p->fatal = SL_ENOMEM;
        b->blocks = v;
        b->cb = cap;
    }
    b->blocks[b->nb++] = *bl;
    return 0;
}

static sl_hcl_body *make_body(parser *p, body_acc *acc, sl_hcl_span r, sl_hcl_span endr)
{
    sl_hcl_body *b = sl_hcl_alloc(p->a, sizeof(*b));

    if (!b) {
        p->fatal = SL_ENOMEM;
        goto out;
    }
    b->range = r;
    b->end_range = endr;
    if (acc && acc->na) {
        b->attrs = sl_hcl_alloc(p->a, acc->na * sizeof(*b->attrs));
        if (!b->attrs) {
            p->fatal = SL_ENOMEM;
            goto out;
        }
        memcpy(b->attrs, acc->attrs, acc->na * sizeof(*b->attrs));
        b->nattrs = acc->na;
    }
    if (acc && acc->nb) {
        b->blocks = sl_hcl_alloc(p->a, acc->nb * sizeof(*b->blocks));
        if (!b->blocks) {
            p->fatal = SL_ENOMEM;
            goto out;
        }
        memcpy(b->blocks, acc->blocks, acc->nb * sizeof(*b->blocks));
        b->nblocks = acc->nb;
    }
out:
    if (acc) {
        free(acc->attrs);
        free(acc->blocks);
    }
    return b;
}

/* The attribute after `ident =`; returns 0 with *out filled. */
static int finish_attr(parser *p, hcl_tok ident, int single, sl_hcl_attr *out)
{
    hcl_tok eq = read_tok(p);
    sl_hcl_span endr;
    size_t mark = err_mark(p);
    sl_hcl_expr *x = parse_expression(p);

    (void)eq;
    if (!x) {
        x = placeholder(p, ident.range);
        if (!x)
            return -1;
    }
    if (p->recovery && errs_since(p, mark)) {
        endr = prev_range(p);
        recover_after_body_item(p);
    } else {
        endr = prev_range(p);
        if (!single) {
            hcl_tok end = peek(p);
            if (end.type != T_NEWLINE && end.type != T_EOF) {
                if (!p->recovery) {
                    if (end.type == T_COMMA)
                        perr(p, end.range, "Unexpected comma after argument",
                             "Argument definitions must be separated by newlines, not commas. "
                             "An argument definition must end with a newline.");
                    else
                        perr(p, end.range, "Missing newline after argument",
                             "An argument definition must end with a newline.");
                }
                endr = prev_range(p);
                recover_after_body_item(p);
            } else {
                endr = prev_range(p);
                read_tok(p);
            }
        }
    }
    out->name = tok_str(p, ident);
    out->expr = x;
    out->range = sl_hcl_span_between(ident.range, endr);
    out->name_range = ident.range;
    return 0;
}

static int parse_single_attr_body(parser *p, sl_hcl_body **out)
{
    hcl_tok ident = read_tok(p), next;
    sl_hcl_attr a;
    body_acc acc = {0};

    *out = NULL;
    if (ident.type != T_IDENT) {
        recover_after_body_item(p);
        perr(p, ident.range, "Argument or block definition required",
             "An argument or block definition is required here.");
        return -1;
    }
    next = peek(p);
    if (next.type == T_EQUAL) {
        if (finish_attr(p, ident, 1, &a))
            return -1;
    } else if (next.type == T_OQUOTE || next.type == T_OBRACE || next.type == T_IDENT) {
        recover_after_body_item(p);
        perr(p, sl_hcl_span_between(ident.range, next.range), "Argument definition required",
             "A single-line block definition can contain only a single argument. If you meant "
             "to define argument \"%.*s\", use an equals sign to assign it a value. To define a "
             "nested block, place it on a line of its own within its parent block.",
             (int)ident.n, ident.s);
        return -1;
    } else {
        recover_after_body_item(p);
        perr(p, ident.range, "Argument or block definition required",
             "An argument or block definition is required here. To set an argument, use the "
             "equals sign \"=\" to introduce the argument value.");
        return -1;
    }
    if (acc_attr(p, &acc, &a))
        return -1;
    {
        sl_hcl_span endr = a.range;
        endr.start = endr.end;
        *out = make_body(p, &acc, a.range, endr);
    }
    return *out ? 0 : -1;
}

static int finish_block(parser *p, hcl_tok ident, sl_hcl_block *out)
{
    ptrv labels = {0};
    sl_hcl_span *lranges = NULL;
    size_t nl = 0;
    hcl_tok obrace = {0}, eol;
    sl_hcl_body *body = NULL;
    size_t mark = err_mark(p);
    sl_hcl_span cbrace;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->type = tok_str(p, ident);
    out->type_range = ident.range;
    for (;;) {
        hcl_tok t = peek(p);
        if (t.type == T_OBRACE) {
            obrace = read_tok(p);
            break;
        }
        if (t.type == T_OQUOTE || t.type == T_IDENT) {
            sl_hcl_span lr;
            const char *label;
            sl_hcl_span *nr;
            if (t.type == T_OQUOTE) {
                /* A quoted label: no template sequences. */
                hcl_tok oq = read_tok(p);
                sl_buf b = SL_BUF_INIT;
                sl_hcl_span endr = oq.range;
                for (;;) {
                    hcl_tok lt = read_tok(p);
                    if (lt.type == T_CQUOTE) {
                        endr = lt.range;
                        break;
                    }
                    if (lt.type == T_QLIT) {
                        if (hcl_unescape(p->f, &lt, 1, &b, p->diags) == SL_ENOMEM)
                            p->fatal = SL_ENOMEM;
                        continue;
                    }
                    if (lt.type == T_TINTERP || lt.type == T_TCONTROL) {
                        char w = lt.type == T_TCONTROL ? '%' : '$';
                        perr(p, lt.range, "Invalid string literal",
                             "Template sequences are not allowed in this string. To include a "
                             "literal \"%c\", double it (as \"%c%c\") to escape it.",
                             w, w, w);
                        sl_buf_putc(&b, w);
                        sl_buf_puts(&b, "{ ... }");
                        recover_to(p, T_TSEQEND);
                        continue;
                    }
                    if (lt.type == T_EOF) {
                        perr(p, lt.range, "Unterminated string literal",
                             "Unable to find the closing quote mark before the end of the file.");
                        endr = lt.range;
                        break;
                    }
                    perr(p, lt.range, "Invalid string literal",
                         "This item is not valid in a string literal.");
                    recover_to(p, T_CQUOTE);
                    endr = lt.range;
                    break;
                }
                label = sl_hcl_strndup(p->a, b.len ? b.ptr : "", b.len);
                sl_buf_free(&b);
                lr = sl_hcl_span_between(oq.range, endr);
            } else {
                hcl_tok lt = read_tok(p);
                label = tok_str(p, lt);
                lr = lt.range;
            }
            if (!label || ptrv_push(p, &labels, (void *)label)) {
                p->fatal = SL_ENOMEM;
                rc = -1;
                goto out;
            }
            nr = realloc(lranges, (nl + 1) * sizeof(*lranges));
            if (!nr) {
                p->fatal = SL_ENOMEM;
                rc = -1;
                goto out;
            }
            lranges = nr;
            lranges[nl++] = lr;
            continue;
        }
        if (t.type == T_EQUAL)
            perr(p, t.range, "Invalid block definition",
                 "The equals sign \"=\" indicates an argument definition, and must not be used "
                 "when defining a block.");
        else if (t.type == T_NEWLINE)
            perr(p, t.range, "Invalid block definition",
                 "A block definition must have block content delimited by \"{\" and \"}\", "
                 "starting on the same line as the block header.");
        else if (!p->recovery)
            perr(p, t.range, "Invalid block definition",
                 "Either a quoted string block label or an opening brace (\"{\") is expected "
                 "here.");
        recover_after_body_item(p);
        out->body = make_body(p, NULL, ident.range, ident.range);
        out->open_range = ident.range;
        out->close_range = nl ? lranges[nl - 1] : ident.range;
        goto labels;
    }
    switch (peek(p).type) {
    case T_NEWLINE:
    case T_EOF:
    case T_CBRACE:
        body = parse_body(p, T_CBRACE);
        break;
    default: {
        hcl_tok nt;
        parse_single_attr_body(p, &body);
        nt = peek(p);
        if (nt.type == T_CBRACE) {
            read_tok(p);
        } else if (nt.type == T_COMMA) {
            perr(p, nt.range, "Invalid single-argument block definition",
                 "Single-line block syntax can include only one argument definition. To define "
                 "multiple arguments, use the multi-line block syntax with one argument "
                 "definition per line.");
            recover_to(p, T_CBRACE);
        } else if (nt.type == T_NEWLINE) {
            perr(p, nt.range, "Invalid single-argument block definition",
                 "An argument definition on the same line as its containing block creates a "
                 "single-line block definition, which must also be closed on the same line. "
                 "Place the block's closing brace immediately after the argument definition.");
            recover_to(p, T_CBRACE);
        } else {
            if (!p->recovery) {
                if (nt.type == T_EOF)
                    perr(p, obrace.range, "Unclosed configuration block",
                         "There is no closing brace for this block before the end of the file. "
                         "This may be caused by incorrect brace nesting elsewhere in this file.");
                else
                    perr(p, nt.range, "Invalid single-argument block definition",
                         "A single-line block definition must end with a closing brace "
                         "immediately after its single argument definition.");
            }
            recover_to(p, T_CBRACE);
        }
        break;
    }
    }
    cbrace = prev_range(p);
    eol = peek(p);
    if (eol.type == T_NEWLINE || eol.type == T_EOF) {
        read_tok(p);
    } else {
        if (!p->recovery)
            perr(p, eol.range, "Missing newline after block definition",
                 "A block definition must end with a newline.");
        recover_after_body_item(p);
    }
    if (!body && errs_since(p, mark))
        body = make_body(p, NULL, sl_hcl_span_between(obrace.range, cbrace), cbrace);
    out->body = body;
    out->open_range = obrace.range;
    out->close_range = cbrace;
labels:
    out->nlabels = nl;
    if (nl) {
        out->labels = sl_hcl_alloc(p->a, nl * sizeof(*out->labels));
        out->label_ranges = sl_hcl_alloc(p->a, nl * sizeof(*out->label_ranges));
        if (!out->labels || !out->label_ranges) {
            p->fatal = SL_ENOMEM;
            rc = -1;
            goto out;
        }
        memcpy(out->labels, labels.v, nl * sizeof(*out->labels));
        memcpy(out->label_ranges, lranges, nl * sizeof(*lranges));
    }
    if (!out->body)
        rc = -1;
out:
    ptrv_free(&labels);
    free(lranges);
    return rc;
}

static sl_hcl_body *parse_body(parser *p, hcl_tok_type end)
{
    body_acc acc = {0};
    sl_hcl_span start = prev_range(p), endr = start;

    if (++p->depth > p->max_depth) {
        hcl_tok t = peek(p);
        if (!p->recovery)
            perr(p, t.range, "Configuration too deeply nested",
                 "Blocks are nested more than %d levels deep.", p->max_depth);
        p->recovery = 1;
        recover_to(p, end);
        p->depth--;
        return make_body(p, NULL, start, start);
    }
    for (;;) {
        hcl_tok next = peek(p);
        if (p->fatal)
            break;
        if (next.type == end) {
            endr = next.range;
            read_tok(p);
            break;
        }
        if (next.type == T_NEWLINE) {
            read_tok(p);
            continue;
        }
        if (next.type == T_IDENT) {
            hcl_tok ident = read_tok(p), nt = peek(p);
            if (nt.type == T_EQUAL) {
                sl_hcl_attr a;
                if (finish_attr(p, ident, 0, &a))
                    break;
                for (size_t i = 0; i < acc.na; i++)
                    if (!strcmp(acc.attrs[i].name, a.name)) {
                        sl_hcl_range was = prange(p, acc.attrs[i].name_range);
                        perr(p, a.name_range, "Attribute redefined",
                             "The argument \"%s\" was already set at %s:%d,%d-%d. Each argument "
                             "may be set only once.",
                             a.name, was.file, was.start.line, was.start.col, was.end.col);
                        a.name = NULL;
                        break;
                    }
                if (a.name && acc_attr(p, &acc, &a))
                    break;
            } else if (nt.type == T_OQUOTE || nt.type == T_OBRACE || nt.type == T_IDENT) {
                sl_hcl_block b;
                if (!finish_block(p, ident, &b) && acc_block(p, &acc, &b))
                    break;
            } else {
                recover_after_body_item(p);
                perr(p, ident.range, "Argument or block definition required",
                     "An argument or block definition is required here. To set an argument, use "
                     "the equals sign \"=\" to introduce the argument value.");
            }
            continue;
        }
        {
            hcl_tok bad = read_tok(p);
            if (!p->recovery) {
                if (bad.type == T_OQUOTE)
                    perr(p, bad.range, "Invalid argument name",
                         "Argument names must not be quoted.");
                else if (bad.type == T_EOF && end == T_CBRACE)
                    perr(p, start, "Unclosed configuration block",
                         "There is no closing brace for this block before the end of the file. "
                         "This may be caused by incorrect brace nesting elsewhere in this file.");
                else if (bad.type == T_EOF)
                    perr(p, start, "Unclosed configuration body",
                         "Found end of file before the end of this configuration body.");
                else
                    perr(p, bad.range, "Argument or block definition required",
                         "An argument or block definition is required here.");
            }
            endr = prev_range(p);
            if (bad.type != T_EOF)
                recover_to(p, end);
            break;
        }
    }
    p->depth--;
    {
        sl_hcl_span er = endr;
        er.start = er.end;
        return make_body(p, &acc, sl_hcl_span_between(start, endr), er);
    }
}

/* ------------------------------------------------------------------ API */

/* Set up p and the file *out for parsing src (a copy of it, or owned:
 * taken over and freed in every case). */
static int parser_init(parser *p, const char *filename, const char *src, size_t len,
                       char *owned, const sl_hcl_limits *lim, int mode, sl_hcl_file **out,
                       sl_hcl_diags *diags)
{
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : (size_t)64 << 20;
    sl_hcl_file *f;
    sl_hcl_arena *a;
    int rc;

    memset(p, 0, sizeof(*p));
    p->cur_nl = 1;
    p->pk_key = SIZE_MAX;
    p->intern.hint = len;
    intern_grow(&p->intern); /* now, so the scanner's batches can prefetch slots */
    *out = NULL;
    if (max_bytes > UINT32_MAX - 1)
        max_bytes = UINT32_MAX - 1;
    if (len > max_bytes || (rc = sl_hcl_arena_new(lim && lim->max_arena ? lim->max_arena
                                                                        : (size_t)1 << 30,
                                                    &a))) {
        free(owned);
        if (len <= max_bytes)
            return rc;
        return sl_hcl_diag_error(diags, NULL, "File too large",
                                 "%s is %zu bytes; the limit is %zu.", filename, len, max_bytes) ==
                       SL_ENOMEM
                   ? SL_ENOMEM
                   : SL_ELIMIT;
    }
    f = sl_hcl_alloc(a, sizeof(*f));
    if (f && owned) {
        f->src = f->owned_src = owned;
        owned = NULL;
    }
    if (!f || !(f->name = sl_hcl_strndup(a, filename, strlen(filename))) ||
        (!f->src && !(f->src = sl_hcl_strndup(a, src, len)))) {
        free(f ? f->owned_src : owned);
        sl_hcl_arena_free(a);
        return SL_ENOMEM;
    }
    f->arena = a;
    f->len = len;
    *out = f;
    p->a = a;
    p->diags = diags;
    p->f = f;
    p->max_depth = lim && lim->max_depth ? lim->max_depth : 256;
    if (!hcl_utf8_valid(src, len)) {
        size_t i = 0;
        int line = 1, col = 1;
        while (i < len) {
            uint32_t cp;
            int l = hcl_utf8_decode(src + i, len - i, &cp);
            if (cp == 0xFFFD && l == 1)
                break;
            if (src[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
            i += (size_t)l;
        }
        sl_hcl_range r = {f->name, {line, col, (uint32_t)i}, {line, col + 1, (uint32_t)i + 1}};
        sl_hcl_diag_error(diags, &r, "Invalid character encoding",
                          "All input files must be UTF-8 encoded. Ensure that UTF-8 encoding is "
                          "selected in your editor.");
        return SL_EINVAL;
    }
    p->eof_tok.type = T_EOF;
    p->eof_tok.s = f->src + len;
    rc = hcl_lex_new(f, mode, &p->toks, &p->lexd, &p->lx);
    return rc;
}

/* Put the scanner's diagnostics before the parser's (HashiCorp's parser
 * scans the whole file first), all after mark. */
static void merge_lex_diags(parser *p, sl_hcl_diags *d, size_t mark)
{
    sl_hcl_diags tail = {0};

    if (!p->lexd.n)
        return;
    for (size_t i = mark; i < d->n; i++)
        tail.n++;
    if (tail.n) {
        tail.v = malloc(tail.n * sizeof(*tail.v));
        if (!tail.v) {
            sl_hcl_diags_append(d, &p->lexd);
            return;
        }
        memcpy(tail.v, d->v + mark, tail.n * sizeof(*tail.v));
        tail.cap = tail.n;
        d->n = mark;
    }
    sl_hcl_diags_append(d, &p->lexd);
    sl_hcl_diags_append(d, &tail);
}

/* Fill src pointers of the diagnostics added since mark, for printing. */
static void attach_src(sl_hcl_diags *d, size_t mark, const sl_hcl_file *f)
{
    for (size_t i = mark; i < d->n; i++)
        if (d->v[i].has_subject && !d->v[i].src) {
            d->v[i].src = f->src;
            d->v[i].src_len = f->len;
        }
}

/* sl_hcl_parse of src (copied) or owned (taken over). */
static int parse_config(const char *filename, const char *src, size_t len, char *owned,
                        const sl_hcl_limits *lim, sl_hcl_file **out, sl_hcl_diags *diags)
{
    parser p;
    size_t mark = diags->n;
    int rc = parser_init(&p, filename, src, len, owned, lim, HCL_SCAN_CONFIG, out, diags);

    if (rc)
        goto out;
    (*out)->body = parse_body(&p, T_EOF);
    merge_lex_diags(&p, diags, mark);
    rc = p.fatal;
    if (!rc && errs_since(&p, mark))
        rc = SL_EINVAL;
out:
    if (*out)
        attach_src(diags, mark, *out);
    hcl_toks_free(&p.toks);
    hcl_lex_free(p.lx);
    free(p.intern.v);
    sl_hcl_diags_free(&p.lexd);
    return rc;
}

int sl_hcl_parse(const char *filename, const char *src, size_t len, const sl_hcl_limits *lim,
                 sl_hcl_file **out, sl_hcl_diags *diags)
{
    return parse_config(filename, src, len, NULL, lim, out, diags);
}

int sl_hcl_parse_owned(const char *filename, char *src, size_t len, const sl_hcl_limits *lim,
                       sl_hcl_file **out, sl_hcl_diags *diags)
{
    return parse_config(filename, src, len, src, lim, out, diags);
}

static int parse_standalone(const char *filename, const char *src, size_t len,
                            const sl_hcl_limits *lim, int mode, sl_hcl_file **file_out,
                            sl_hcl_expr **out, sl_hcl_diags *diags)
{
    parser p;
    size_t mark = diags->n;
    int rc = parser_init(&p, filename, src, len, NULL, lim, mode, file_out, diags);

    *out = NULL;
    if (rc)
        goto out;
    if (mode == HCL_SCAN_TEMPLATE) {
        *out = parse_template_inner(&p, T_EOF, 0, NULL);
    } else {
        hcl_tok t;
        push_nl(&p, 0);
        *out = parse_expression(&p);
        t = peek(&p);
        if (t.type != T_EOF && !p.recovery)
            perr(&p, t.range, "Extra characters after expression",
                 "An expression was successfully parsed, but extra characters were found after "
                 "it.");
    }
    merge_lex_diags(&p, diags, mark);
    rc = p.fatal;
    if (!rc && (!*out || errs_since(&p, mark)))
        rc = SL_EINVAL;
out:
    if (*file_out)
        attach_src(diags, mark, *file_out);
    hcl_toks_free(&p.toks);
    hcl_lex_free(p.lx);
    free(p.intern.v);
    sl_hcl_diags_free(&p.lexd);
    return rc;
}

int sl_hcl_parse_expr(const char *filename, const char *src, size_t len,
                      const sl_hcl_limits *lim, sl_hcl_file **file_out, sl_hcl_expr **out,
                      sl_hcl_diags *diags)
{
    return parse_standalone(filename, src, len, lim, HCL_SCAN_EXPR, file_out, out, diags);
}

int sl_hcl_parse_template(const char *filename, const char *src, size_t len,
                          const sl_hcl_limits *lim, sl_hcl_file **file_out, sl_hcl_expr **out,
                          sl_hcl_diags *diags)
{
    return parse_standalone(filename, src, len, lim, HCL_SCAN_TEMPLATE, file_out, out, diags);
}

void sl_hcl_file_free(sl_hcl_file *f)
{
    if (f) {
        free(f->owned_src);
        sl_hcl_arena_free(f->arena);
    }
}

const sl_hcl_attr *sl_hcl_body_attr(const sl_hcl_body *b, const char *name)
{
    for (size_t i = 0; b && i < b->nattrs; i++)
        if (!strcmp(b->attrs[i].name, name))
            return &b->attrs[i];
    return NULL;
}

const char *sl_hcl_expr_keyword(const sl_hcl_expr *e)
{
    if (e && e->kind == SL_HCL_E_SCOPE_TRAV && e->nsteps == 0)
        return e->name;
    return NULL;
}

int sl_hcl_expr_const(const sl_hcl_expr *e, const sl_hcl_value **out)
{
    if (!e)
        return 0;
    if (e->kind == SL_HCL_E_LITERAL) {
        *out = e->lit;
        return 1;
    }
    if (e->kind == SL_HCL_E_TEMPLATE && e->nsub == 1 && e->sub[0]->kind == SL_HCL_E_LITERAL &&
        e->sub[0]->lit->kind == SL_HCL_STRING) {
        *out = e->sub[0]->lit;
        return 1;
    }
    return 0;
}
