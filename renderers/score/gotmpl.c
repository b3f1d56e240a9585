/* gotmpl.c: Go text/template in C: lexer, parser and executor, plus Go's
 * builtin functions and fmt-compatible value printing. The Sprig function
 * library is in sprig.c. Parsing builds an immutable tree in one arena;
 * execution allocates its temporaries in a per-call arena freed at the end. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gotmpl.h"
#include "gotmpl_impl.h"
#include "sl_doc.h"

#define GT_MAX_DEPTH 100                 /* nesting of parentheses/control structures at parse */
#define GT_MAX_CALLS 200                 /* nested {{template}} calls at exec */
#define GT_MAX_VARS 100000               /* live variables at exec */
#define GT_ARENA_BLOCK 8192              /* arena block size */
#define GT_MAX_STEPS 2000000             /* nodes executed + functions called per execution */
#define GT_MAX_ARENA ((size_t)256 << 20) /* temporary bytes per execution */

/* ---------------------------------------------------------------- arena */

typedef struct gt_blk {
    struct gt_blk *next;
    size_t used, cap;
    int borrowed; /* not malloc'd (the executor's first block) */
    _Alignas(16) unsigned char data[];
} gt_blk;

typedef struct gt_arena {
    gt_blk *head;
} gt_arena;

/* n bytes (16-aligned) from the arena; NULL when malloc fails. Freed only
 * all at once by arena_free. */
static void *arena_alloc(gt_arena *a, size_t n)
{
    gt_blk *b = a->head;

    n = (n + 15) & ~(size_t)15;
    if (!n)
        n = 16;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > GT_ARENA_BLOCK ? n : GT_ARENA_BLOCK;
        gt_blk *nb = malloc(sizeof(*nb) + cap);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->cap = cap;
        nb->borrowed = 0;
        if (b && n > GT_ARENA_BLOCK) {
            /* keep filling the current block after a big allocation */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static void arena_free(gt_arena *a)
{
    gt_blk *b = a->head;

    while (b) {
        gt_blk *n = b->next;
        if (!b->borrowed)
            free(b);
        b = n;
    }
    a->head = NULL;
}

/* ---------------------------------------------------------------- tree */

enum { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_TEMPLATE, N_BREAK, N_CONTINUE };
enum { A_FIELD, A_VAR, A_DOT, A_NIL, A_BOOL, A_INT, A_FLOAT, A_STR, A_IDENT, A_PIPE, A_CHAIN };

typedef struct gt_pipe gt_pipe;

typedef struct gt_arg {
    int type;
    size_t pos, end;
    const char *name;    /* A_VAR: "$x"; A_IDENT: function name */
    const char **fields; /* A_FIELD, A_VAR, A_CHAIN */
    int nfields;
    int64_t i;
    double f;
    const char *s;
    size_t n;
    gt_pipe *pipe; /* A_PIPE, A_CHAIN */
    const gt_func *fn;
    struct gt_arg *next;
} gt_arg;

typedef struct gt_cmd {
    size_t pos, end;
    gt_arg *args;
    int nargs;
    struct gt_cmd *next;
} gt_cmd;

struct gt_pipe {
    size_t pos, end;
    int decl; /* 0 none, 1 :=, 2 = */
    int nvars;
    const char *vars[2];
    gt_cmd *cmds;
};

typedef struct gt_node {
    int type;
    size_t pos, end;
    const char *text;
    size_t len;
    gt_pipe *pipe;
    struct gt_node *list, *elist;
    const char *name; /* N_TEMPLATE */
    struct gt_node *next;
} gt_node;

typedef struct gt_tmpl {
    const char *name;
    gt_node *body;
} gt_tmpl;

struct sl_gotmpl {
    char *src;
    size_t len;
    char *file;
    int line, col, indent;
    gt_arena arena;
    gt_tmpl *tmpls; /* [0] is the main template */
    size_t ntmpls, cap;
};

/* Position of byte offset off of the template source. */
static void tmpl_pos(const sl_gotmpl *t, size_t off, int *line, int *col)
{
    int l = 0, c = 0;
    size_t last = 0;
    int nl = 0;

    if (off > t->len)
        off = t->len;
    for (size_t i = 0; i < off; i++)
        if (t->src[i] == '\n') {
            nl++;
            last = i + 1;
        }
    for (size_t i = last; i < off; i++)
        if (((unsigned char)t->src[i] & 0xc0) != 0x80)
            c++;
    if (nl) {
        l = t->line + nl;
        c = c + 1 + t->indent;
    } else {
        l = t->line;
        c = t->col + c;
    }
    *line = l;
    *col = c;
}

/* ---------------------------------------------------------------- lexer */

enum {
    T_EOF,
    T_RDELIM,
    T_IDENT,
    T_FIELD,
    T_DOT,
    T_VAR,
    T_STR,
    T_NUM,
    T_CHAR,
    T_LPAREN,
    T_RPAREN,
    T_PIPE,
    T_DECL,
    T_ASSIGN,
    T_COMMA,
    T_ERROR
};

typedef struct gt_tok {
    int type;
    size_t pos, end;
    int space; /* whitespace before the token */
    int trim;  /* T_RDELIM: -}} */
} gt_tok;

typedef struct gt_parser {
    sl_gotmpl *t;
    sl_error *err;
    size_t p;      /* lexer position */
    int trim_next; /* the last action ended with -}} */
    int depth;
    int in_range;
    size_t action;     /* offset of the current action's {{ */
    const char **vars; /* declared variables (arena strings) */
    size_t nvars, capvars;
} gt_parser;

static int p_error(gt_parser *ps, size_t off, const char *fmt, ...) SL_PRINTF(3, 4);

static int p_error(gt_parser *ps, size_t off, const char *fmt, ...)
{
    char msg[SL_ERROR_MSG_MAX - 16];
    int line, col;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    tmpl_pos(ps->t, off, &line, &col);
    return sl_error_setpos(ps->err, SL_EINVAL, ps->t->file, line, col, "template: %s", msg);
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_alnum(int c)
{
    return c == '_' || isalnum(c) || c >= 0x80;
}

/* Next token inside an action. */
static gt_tok lex(gt_parser *ps)
{
    const char *s = ps->t->src;
    size_t n = ps->t->len, p = ps->p;
    gt_tok tk = {T_EOF, p, p, 0, 0};

    while (p < n && is_space((unsigned char)s[p]))
        p++;
    tk.space = p > ps->p;
    tk.pos = p;
    if (p >= n) {
        tk.end = p;
        ps->p = p;
        return tk;
    }
    unsigned char c = (unsigned char)s[p];
    if (c == '}' && p + 1 < n && s[p + 1] == '}') {
        tk.type = T_RDELIM;
        p += 2;
    } else if (c == '-' && tk.space && p + 2 < n && s[p + 1] == '}' && s[p + 2] == '}') {
        tk.type = T_RDELIM;
        tk.trim = 1;
        p += 3;
    } else if (c == '(') {
        tk.type = T_LPAREN;
        p++;
    } else if (c == ')') {
        tk.type = T_RPAREN;
        p++;
    } else if (c == '|') {
        tk.type = T_PIPE;
        p++;
    } else if (c == ',') {
        tk.type = T_COMMA;
        p++;
    } else if (c == ':' && p + 1 < n && s[p + 1] == '=') {
        tk.type = T_DECL;
        p += 2;
    } else if (c == '=') {
        tk.type = T_ASSIGN;
        p++;
    } else if (c == '$') {
        tk.type = T_VAR;
        p++;
        while (p < n && is_alnum((unsigned char)s[p]))
            p++;
    } else if (c == '.' && !(p + 1 < n && isdigit((unsigned char)s[p + 1]))) {
        if (p + 1 < n && is_alnum((unsigned char)s[p + 1])) {
            tk.type = T_FIELD;
            while (p < n && s[p] == '.' && p + 1 < n && is_alnum((unsigned char)s[p + 1])) {
                p++;
                while (p < n && is_alnum((unsigned char)s[p]))
                    p++;
            }
        } else {
            tk.type = T_DOT;
            p++;
        }
    } else if (c == '"' || c == '`' || c == '\'') {
        tk.type = c == '\'' ? T_CHAR : T_STR;
        p++;
        while (p < n && (unsigned char)s[p] != c) {
            if (c != '`' && s[p] == '\\' && p + 1 < n)
                p++;
            else if (c != '`' && s[p] == '\n')
                break;
            p++;
        }
        if (p >= n || (unsigned char)s[p] != c)
            tk.type = T_ERROR;
        else
            p++;
    } else if (isdigit(c) || ((c == '-' || c == '+' || c == '.') && p + 1 < n &&
                              (isdigit((unsigned char)s[p + 1]) || s[p + 1] == '.'))) {
        tk.type = T_NUM;
        p++;
        while (p < n) {
            unsigned char d = (unsigned char)s[p];
            if (isalnum(d) || d == '_' || d == '.')
                p++;
            else if ((d == '+' || d == '-') && strchr("eEpP", s[p - 1]) &&
                     !(s[tk.pos] == '0' && p - tk.pos >= 2 && strchr("xX", s[tk.pos + 1]) &&
                       strchr("eE", s[p - 1])))
                p++;
            else
                break;
        }
    } else if (is_alnum(c)) {
        tk.type = T_IDENT;
        while (p < n && is_alnum((unsigned char)s[p]))
            p++;
    } else {
        tk.type = T_ERROR;
        p++;
    }
    tk.end = p;
    ps->p = p;
    return tk;
}

static gt_tok peek(gt_parser *ps)
{
    size_t save = ps->p;
    gt_tok tk = lex(ps);
    ps->p = save;
    return tk;
}

static int tok_is(const gt_parser *ps, const gt_tok *tk, const char *word)
{
    size_t n = strlen(word);
    return tk->type == T_IDENT && tk->end - tk->pos == n && !memcmp(ps->t->src + tk->pos, word, n);
}

static const char *const keywords[] = {"if",       "else",  "end",   "range",    "with", "define",
                                       "template", "block", "break", "continue", NULL};

static int tok_keyword(const gt_parser *ps, const gt_tok *tk)
{
    for (int i = 0; keywords[i]; i++)
        if (tok_is(ps, tk, keywords[i]))
            return 1;
    return 0;
}

static void *p_alloc(gt_parser *ps, size_t n)
{
    void *p = arena_alloc(&ps->t->arena, n);
    if (p)
        memset(p, 0, n);
    else
        sl_error_set(ps->err, SL_ENOMEM, "template: out of memory");
    return p;
}

static char *p_strdup(gt_parser *ps, const char *s, size_t n)
{
    char *d = p_alloc(ps, n + 1);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Describe a token for "unexpected X" messages. */
static const char *tok_desc(gt_parser *ps, const gt_tok *tk, char *buf, size_t n)
{
    if (tk->type == T_EOF)
        return "EOF";
    if (tk->type == T_RDELIM)
        return "\"}}\"";
    size_t len = tk->end - tk->pos;
    if (len > 40)
        len = 40;
    snprintf(buf, n, "\"%.*s\"", (int)len, ps->t->src + tk->pos);
    return buf;
}

static int p_unexpected(gt_parser *ps, const gt_tok *tk, const char *where)
{
    char b[64];
    if (tk->type == T_EOF)
        return p_error(ps, tk->pos, "unexpected EOF in %s", where);
    if (tk->type == T_ERROR &&
        (ps->t->src[tk->pos] == '"' || ps->t->src[tk->pos] == '\'' || ps->t->src[tk->pos] == '`'))
        return p_error(ps, tk->pos, "unterminated quoted string in %s", where);
    return p_error(ps, tk->pos, "unexpected %s in %s", tok_desc(ps, tk, b, sizeof(b)), where);
}

/* Append a UTF-8 encoding of cp. */
static size_t utf8_put(char *d, unsigned cp)
{
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xc0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xe0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    d[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Unquote a Go string/char literal s[0..n) (with quotes) into d (at least
 * n bytes + 1). Returns the length or -1 on a bad escape. */
static long unquote(const char *s, size_t n, char *d)
{
    size_t o = 0;

    if (s[0] == '`') {
        for (size_t i = 1; i + 1 < n; i++)
            if (s[i] != '\r')
                d[o++] = s[i];
        d[o] = 0;
        return (long)o;
    }
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] != '\\') {
            d[o++] = s[i];
            continue;
        }
        i++;
        if (i + 1 >= n)
            return -1;
        char c = s[i];
        unsigned v = 0;
        int digits = 0;
        switch (c) {
        case 'a':
            d[o++] = '\a';
            break;
        case 'b':
            d[o++] = '\b';
            break;
        case 'f':
            d[o++] = '\f';
            break;
        case 'n':
            d[o++] = '\n';
            break;
        case 'r':
            d[o++] = '\r';
            break;
        case 't':
            d[o++] = '\t';
            break;
        case 'v':
            d[o++] = '\v';
            break;
        case '\\':
            d[o++] = '\\';
            break;
        case '"':
        case '\'':
            if (c != s[0])
                return -1;
            d[o++] = c;
            break;
        case 'x':
            digits = 2;
            /* fallthrough */
        case 'u':
            if (!digits)
                digits = 4;
            /* fallthrough */
        case 'U':
            if (!digits)
                digits = 8;
            for (int k = 0; k < digits; k++) {
                if (i + 1 + (size_t)k + 1 >= n || hexval((unsigned char)s[i + 1 + k]) < 0)
                    return -1;
                v = v * 16 + (unsigned)hexval((unsigned char)s[i + 1 + k]);
            }
            i += (size_t)digits;
            if (c == 'x')
                d[o++] = (char)v;
            else {
                if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                    return -1;
                o += utf8_put(d + o, v);
            }
            break;
        default:
            if (c >= '0' && c <= '7') {
                for (int k = 0; k < 3; k++) {
                    if (i + (size_t)k + 1 >= n || s[i + k] < '0' || s[i + k] > '7')
                        return -1;
                    v = v * 8 + (unsigned)(s[i + k] - '0');
                }
                if (v > 255)
                    return -1;
                i += 2;
                d[o++] = (char)v;
                break;
            }
            return -1;
        }
    }
    d[o] = 0;
    return (long)o;
}

/* Decode one UTF-8 code point (lenient: bad bytes give U+FFFD, length 1). */
static size_t utf8_dec(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len, i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        *cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        *cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        *cp = c & 0x07;
    } else {
        *cp = 0xfffd;
        return 1;
    }
    if (n < len) {
        *cp = 0xfffd;
        return 1;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && *cp < 0x800) || (len == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
        (*cp >= 0xd800 && *cp <= 0xdfff)) {
        *cp = 0xfffd;
        return 1;
    }
    return len;
}

/* Parse a number literal. */
static int parse_number(gt_parser *ps, const gt_tok *tk, gt_arg *a)
{
    const char *s = ps->t->src + tk->pos;
    size_t n = tk->end - tk->pos;
    char buf[128];
    size_t o = 0;
    int neg = 0, base = 10, isfloat = 0;
    char *end;

    if (n >= sizeof(buf))
        return p_error(ps, tk->pos, "bad number syntax: \"%.*s\"", 40, s);
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_')
            buf[o++] = s[i];
    buf[o] = 0;
    char *b = buf;
    if (*b == '+' || *b == '-') {
        neg = *b == '-';
        b++;
    }
    if (b[0] == '0' && (b[1] == 'x' || b[1] == 'X')) {
        base = 16;
        if (strpbrk(b + 2, ".pP"))
            isfloat = 1;
    } else if (b[0] == '0' && (b[1] == 'o' || b[1] == 'O')) {
        base = 8;
        b += 2;
    } else if (b[0] == '0' && (b[1] == 'b' || b[1] == 'B')) {
        base = 2;
        b += 2;
    } else if (strpbrk(b, ".eE")) {
        isfloat = 1;
    } else if (b[0] == '0' && b[1]) {
        base = 8;
    }
    if (!*b)
        return p_error(ps, tk->pos, "bad number syntax: \"%.*s\"", (int)n, s);
    if (isfloat) {
        double f = strtod(b, &end);
        if (*end || end == b)
            return p_error(ps, tk->pos, "bad number syntax: \"%.*s\"", (int)n, s);
        a->type = A_FLOAT;
        a->f = neg ? -f : f;
        return 0;
    }
    unsigned long long u = strtoull(b, &end, base);
    if (*end || end == b)
        return p_error(ps, tk->pos, "bad number syntax: \"%.*s\"", (int)n, s);
    if (u > (unsigned long long)INT64_MAX + (neg ? 1u : 0u) || (u == ULLONG_MAX))
        return p_error(ps, tk->pos, "number out of range: \"%.*s\"", (int)n, s);
    a->type = A_INT;
    a->i = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

static gt_pipe *parse_pipeline(gt_parser *ps, const char *ctx, int in_paren, int allow_decl);

static int var_declared(gt_parser *ps, const char *s, size_t n)
{
    if (n == 1)
        return 1; /* $ */
    for (size_t i = ps->nvars; i-- > 0;)
        if (strlen(ps->vars[i]) == n && !memcmp(ps->vars[i], s, n))
            return 1;
    return 0;
}

static int var_push(gt_parser *ps, const char *name)
{
    if (ps->nvars == ps->capvars) {
        size_t nc = ps->capvars ? ps->capvars * 2 : 16;
        const char **nv = realloc(ps->vars, nc * sizeof(*nv));
        if (!nv)
            return sl_error_set(ps->err, SL_ENOMEM, "template: out of memory");
        ps->vars = nv;
        ps->capvars = nc;
    }
    ps->vars[ps->nvars++] = name;
    return 0;
}

/* Fields of a T_FIELD token (".a.b") or the field suffix of a chain. */
static int split_fields(gt_parser *ps, const gt_tok *tk, gt_arg *a)
{
    const char *s = ps->t->src + tk->pos;
    size_t n = tk->end - tk->pos;
    int cnt = 0, old = a->nfields;

    for (size_t i = 0; i < n; i++)
        cnt += s[i] == '.';
    const char **nf = p_alloc(ps, (size_t)(old + cnt) * sizeof(*nf));
    if (!nf)
        return SL_ENOMEM;
    if (old)
        memcpy(nf, a->fields, (size_t)old * sizeof(*nf));
    size_t i = 0;
    int k = old;
    while (i < n) {
        size_t st = ++i;
        while (i < n && s[i] != '.')
            i++;
        if (!(nf[k++] = p_strdup(ps, s + st, i - st)))
            return SL_ENOMEM;
    }
    a->fields = (const char **)nf;
    a->nfields = k;
    return 0;
}

/* operand: a term optionally followed by .field chains. */
static gt_arg *parse_operand(gt_parser *ps, gt_tok tk)
{
    const char *src = ps->t->src;
    gt_arg *a = p_alloc(ps, sizeof(*a));
    char b[64];

    if (!a)
        return NULL;
    a->pos = tk.pos;
    switch (tk.type) {
    case T_IDENT:
        if (tok_is(ps, &tk, "true") || tok_is(ps, &tk, "false")) {
            a->type = A_BOOL;
            a->i = tok_is(ps, &tk, "true");
        } else if (tok_is(ps, &tk, "nil")) {
            a->type = A_NIL;
        } else if (tok_keyword(ps, &tk)) {
            p_error(ps, tk.pos, "unexpected %s in operand", tok_desc(ps, &tk, b, sizeof(b)));
            return NULL;
        } else {
            a->type = A_IDENT;
            a->name = p_strdup(ps, src + tk.pos, tk.end - tk.pos);
            if (!a->name)
                return NULL;
            a->fn = gt_func_lookup(a->name, tk.end - tk.pos);
            if (!a->fn) {
                p_error(ps, tk.pos, "function \"%s\" not defined", a->name);
                return NULL;
            }
        }
        break;
    case T_DOT:
        a->type = A_DOT;
        break;
    case T_FIELD:
        a->type = A_FIELD;
        if (split_fields(ps, &tk, a))
            return NULL;
        break;
    case T_VAR:
        a->type = A_VAR;
        a->name = p_strdup(ps, src + tk.pos, tk.end - tk.pos);
        if (!a->name)
            return NULL;
        if (!var_declared(ps, src + tk.pos, tk.end - tk.pos)) {
            p_error(ps, tk.pos, "undefined variable \"%s\"", a->name);
            return NULL;
        }
        break;
    case T_NUM:
        if (parse_number(ps, &tk, a))
            return NULL;
        break;
    case T_CHAR:
    case T_STR: {
        char *d = p_alloc(ps, tk.end - tk.pos + 1);
        long len;
        if (!d)
            return NULL;
        len = unquote(src + tk.pos, tk.end - tk.pos, d);
        if (len < 0) {
            p_error(ps, tk.pos, "bad quoted string %s", tok_desc(ps, &tk, b, sizeof(b)));
            return NULL;
        }
        if (tk.type == T_STR) {
            a->type = A_STR;
            a->s = d;
            a->n = (size_t)len;
        } else {
            unsigned cp;
            if (len == 0 || utf8_dec((const unsigned char *)d, (size_t)len, &cp) != (size_t)len) {
                p_error(ps, tk.pos, "malformed character constant: %s",
                        tok_desc(ps, &tk, b, sizeof(b)));
                return NULL;
            }
            a->type = A_INT;
            a->i = cp;
        }
        break;
    }
    case T_LPAREN:
        if (++ps->depth > GT_MAX_DEPTH) {
            p_error(ps, tk.pos, "nesting deeper than %d levels", GT_MAX_DEPTH);
            return NULL;
        }
        a->type = A_PIPE;
        a->pipe = parse_pipeline(ps, "parenthesized pipeline", 1, 1);
        ps->depth--;
        if (!a->pipe)
            return NULL;
        break;
    default:
        p_unexpected(ps, &tk, "operand");
        return NULL;
    }
    a->end = ps->p;
    /* chained fields: $x.a, (pipe).a */
    gt_tok nx = peek(ps);
    if (nx.type == T_FIELD && !nx.space) {
        if (a->type == A_VAR || a->type == A_PIPE) {
            if (a->type == A_PIPE) {
                a->type = A_CHAIN;
            }
            lex(ps);
            if (split_fields(ps, &nx, a))
                return NULL;
            a->end = ps->p;
        } else if (a->type != A_FIELD) {
            p_error(ps, nx.pos, "unexpected . after term %s", tok_desc(ps, &tk, b, sizeof(b)));
            return NULL;
        }
    }
    return a;
}

/* A pipeline up to }} (or ) when in_paren). */
static gt_pipe *parse_pipeline(gt_parser *ps, const char *ctx, int in_paren, int allow_decl)
{
    gt_pipe *pp = p_alloc(ps, sizeof(*pp));
    gt_cmd **tail;
    gt_tok tk;
    size_t save = ps->p;

    if (!pp)
        return NULL;
    tk = lex(ps);
    pp->pos = tk.pos;
    /* declarations */
    if (tk.type == T_VAR) {
        gt_tok t2 = lex(ps);
        if (t2.type == T_DECL || t2.type == T_ASSIGN) {
            pp->nvars = 1;
            pp->decl = t2.type == T_DECL ? 1 : 2;
            pp->vars[0] = p_strdup(ps, ps->t->src + tk.pos, tk.end - tk.pos);
        } else if (t2.type == T_COMMA) {
            gt_tok t3 = lex(ps), t4 = lex(ps);
            if (t3.type != T_VAR || (t4.type != T_DECL && t4.type != T_ASSIGN)) {
                p_error(ps, t2.pos, "too many declarations in %s", ctx);
                return NULL;
            }
            if (allow_decl != 2) {
                p_error(ps, t2.pos, "too many declarations in %s", ctx);
                return NULL;
            }
            pp->nvars = 2;
            pp->decl = t4.type == T_DECL ? 1 : 2;
            pp->vars[0] = p_strdup(ps, ps->t->src + tk.pos, tk.end - tk.pos);
            pp->vars[1] = p_strdup(ps, ps->t->src + t3.pos, t3.end - t3.pos);
        } else {
            ps->p = save;
        }
        if (pp->nvars) {
            for (int i = 0; i < pp->nvars; i++) {
                if (!pp->vars[i])
                    return NULL;
                if (pp->decl == 2 && !var_declared(ps, pp->vars[i], strlen(pp->vars[i]))) {
                    p_error(ps, tk.pos, "undefined variable \"%s\"", pp->vars[i]);
                    return NULL;
                }
            }
        }
    } else {
        ps->p = save;
    }
    tail = &pp->cmds;
    for (;;) {
        gt_cmd *cmd = p_alloc(ps, sizeof(*cmd));
        gt_arg **atail;
        if (!cmd)
            return NULL;
        atail = &cmd->args;
        tk = lex(ps);
        cmd->pos = tk.pos;
        for (;;) {
            if (tk.type == T_EOF) {
                p_error(ps, ps->action, "unclosed action");
                return NULL;
            }
            if (tk.type == T_PIPE || tk.type == T_RDELIM || (tk.type == T_RPAREN && in_paren)) {
                if (!cmd->nargs) {
                    if (tk.type == T_PIPE || pp->cmds)
                        p_error(ps, tk.pos, "missing value for command");
                    else
                        p_error(ps, tk.pos, "missing value for %s", ctx);
                    return NULL;
                }
                break;
            }
            if (tk.type == T_RDELIM || tk.type == T_RPAREN) {
                char b[64];
                p_error(ps, tk.pos, "unexpected %s in %s", tok_desc(ps, &tk, b, sizeof(b)), ctx);
                return NULL;
            }
            if (cmd->nargs && !tk.space && tk.type != T_LPAREN) {
                p_error(ps, tk.pos, "missing space?");
                return NULL;
            }
            gt_arg *a = parse_operand(ps, tk);
            if (!a)
                return NULL;
            *atail = a;
            atail = &a->next;
            cmd->nargs++;
            cmd->end = a->end;
            tk = lex(ps);
        }
        *tail = cmd;
        tail = &cmd->next;
        if (tk.type != T_PIPE) {
            if (tk.type == T_RDELIM)
                ps->trim_next = tk.trim;
            pp->end = tk.pos;
            break;
        }
    }
    if (tk.type == T_RDELIM && in_paren) {
        p_error(ps, tk.pos, "unclosed left paren");
        return NULL;
    }
    if (tk.type == T_RPAREN && !in_paren) {
        p_error(ps, tk.pos, "unexpected right paren");
        return NULL;
    }
    /* the variables come into scope after the pipeline */
    if (pp->decl == 1)
        for (int i = 0; i < pp->nvars; i++)
            if (var_push(ps, pp->vars[i]))
                return NULL;
    return pp;
}

static int expect_rdelim(gt_parser *ps, const char *ctx)
{
    gt_tok tk = lex(ps);
    if (tk.type != T_RDELIM)
        return p_unexpected(ps, &tk, ctx);
    ps->trim_next = tk.trim;
    return 0;
}

enum { TERM_EOF, TERM_END, TERM_ELSE };

static int parse_list(gt_parser *ps, gt_node **head, int *term, size_t *term_pos, int toplevel);

/* Register a named template (define/block); a second non-empty body for
 * the same name is Go's "multiple definition" error. */
static int add_template(gt_parser *ps, const char *name, gt_node *body, size_t pos)
{
    sl_gotmpl *t = ps->t;

    for (size_t i = 0; i < t->ntmpls; i++)
        if (!strcmp(t->tmpls[i].name, name)) {
            /* Go: a redefinition replaces an empty one; otherwise error */
            if (t->tmpls[i].body && body)
                return p_error(ps, pos, "multiple definition of template \"%s\"", name);
            if (body)
                t->tmpls[i].body = body;
            return 0;
        }
    if (t->ntmpls == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 4;
        gt_tmpl *nt = realloc(t->tmpls, nc * sizeof(*nt));
        if (!nt)
            return sl_error_set(ps->err, SL_ENOMEM, "template: out of memory");
        t->tmpls = nt;
        t->cap = nc;
    }
    t->tmpls[t->ntmpls].name = name;
    t->tmpls[t->ntmpls].body = body;
    t->ntmpls++;
    return 0;
}

/* The rest of a control structure after its keyword: pipeline, body,
 * optional else (else if / else with chains), end. */
static gt_node *parse_control(gt_parser *ps, int type, size_t pos, const char *ctx)
{
    gt_node *n = p_alloc(ps, sizeof(*n));
    size_t mark = ps->nvars;
    int term;
    size_t tpos;

    if (!n)
        return NULL;
    if (++ps->depth > GT_MAX_DEPTH) {
        p_error(ps, pos, "nesting deeper than %d levels", GT_MAX_DEPTH);
        return NULL;
    }
    n->type = type;
    n->pos = pos;
    n->pipe = parse_pipeline(ps, ctx, 0, type == N_RANGE ? 2 : 1);
    if (!n->pipe)
        return NULL;
    if (type == N_RANGE)
        ps->in_range++;
    if (parse_list(ps, &n->list, &term, &tpos, 0))
        return NULL;
    if (type == N_RANGE)
        ps->in_range--;
    if (term == TERM_ELSE) {
        gt_tok tk = peek(ps);
        if ((type == N_IF && tok_is(ps, &tk, "if")) ||
            (type == N_WITH && tok_is(ps, &tk, "with"))) {
            lex(ps);
            /* else if: a nested control that consumes the shared end */
            n->elist = parse_control(ps, type, tk.pos, ctx);
            if (!n->elist)
                return NULL;
            goto done;
        }
        if (expect_rdelim(ps, "else"))
            return NULL;
        if (parse_list(ps, &n->elist, &term, &tpos, 0))
            return NULL;
        if (term == TERM_ELSE)
            return p_error(ps, tpos, "expected end; found {{else}}"), NULL;
    }
    if (term != TERM_END) {
        p_error(ps, pos, "unexpected EOF: {{%s}} has no {{end}}", ctx);
        return NULL;
    }
done:
    ps->nvars = mark;
    ps->depth--;
    n->end = ps->p;
    return n;
}

/* {{template "name" pipeline}} and {{block ...}}: the name. */
static const char *parse_tmpl_name(gt_parser *ps, const char *ctx)
{
    gt_tok tk = lex(ps);
    char *d;
    long len;

    if (tk.type != T_STR) {
        p_unexpected(ps, &tk, ctx);
        return NULL;
    }
    d = p_alloc(ps, tk.end - tk.pos + 1);
    if (!d)
        return NULL;
    len = unquote(ps->t->src + tk.pos, tk.end - tk.pos, d);
    if (len < 0 || memchr(d, 0, (size_t)len)) {
        p_error(ps, tk.pos, "bad template name in %s", ctx);
        return NULL;
    }
    return d;
}

/* One action after {{ (and its trim marker); *node gets a node or NULL
 * (comment/define); *term a terminator when the action is end/else. */
static int parse_action(gt_parser *ps, size_t start, gt_node **node, int *term, int toplevel)
{
    gt_tok tk = lex(ps);
    gt_node *n = NULL;

    *node = NULL;
    *term = -1;
    if (tok_is(ps, &tk, "end")) {
        *term = TERM_END;
        return expect_rdelim(ps, "end");
    }
    if (tok_is(ps, &tk, "else")) {
        *term = TERM_ELSE;
        return 0;
    }
    if (tok_is(ps, &tk, "if") || tok_is(ps, &tk, "with") || tok_is(ps, &tk, "range")) {
        int type = tok_is(ps, &tk, "if") ? N_IF : tok_is(ps, &tk, "with") ? N_WITH : N_RANGE;
        n = parse_control(ps, type, start, type == N_IF ? "if" : type == N_WITH ? "with" : "range");
        if (!n)
            return ps->err && ps->err->code ? ps->err->code : SL_EINVAL;
    } else if (tok_is(ps, &tk, "break") || tok_is(ps, &tk, "continue")) {
        int isbreak = tok_is(ps, &tk, "break");
        if (!ps->in_range)
            return p_error(ps, tk.pos, "{{%s}} outside {{range}}", isbreak ? "break" : "continue");
        if (expect_rdelim(ps, isbreak ? "break" : "continue"))
            return SL_EINVAL;
        if (!(n = p_alloc(ps, sizeof(*n))))
            return SL_ENOMEM;
        n->type = isbreak ? N_BREAK : N_CONTINUE;
        n->pos = start;
    } else if (tok_is(ps, &tk, "template") || tok_is(ps, &tk, "block")) {
        int isblock = tok_is(ps, &tk, "block");
        const char *name = parse_tmpl_name(ps, isblock ? "block clause" : "template clause");
        gt_tok nx;
        if (!name)
            return SL_EINVAL;
        if (!(n = p_alloc(ps, sizeof(*n))))
            return SL_ENOMEM;
        n->type = N_TEMPLATE;
        n->pos = start;
        n->name = name;
        nx = peek(ps);
        if (nx.type == T_RDELIM) {
            if (isblock)
                return p_error(ps, nx.pos, "missing pipeline in block clause");
            lex(ps);
            ps->trim_next = nx.trim;
        } else {
            size_t mark = ps->nvars;
            n->pipe = parse_pipeline(ps, isblock ? "block clause" : "template clause", 0, 1);
            ps->nvars = mark;
            if (!n->pipe)
                return SL_EINVAL;
        }
        if (isblock) {
            gt_node *body = NULL;
            int t2;
            size_t tpos;
            const char **saved = ps->vars;
            size_t nsaved = ps->nvars, capsaved = ps->capvars;
            int inr = ps->in_range;
            ps->vars = NULL;
            ps->nvars = ps->capvars = 0;
            ps->in_range = 0;
            int rc = parse_list(ps, &body, &t2, &tpos, 0);
            free(ps->vars);
            ps->vars = saved;
            ps->nvars = nsaved;
            ps->capvars = capsaved;
            ps->in_range = inr;
            if (rc)
                return rc;
            if (t2 != TERM_END)
                return p_error(ps, tpos,
                               t2 == TERM_ELSE ? "unexpected {{else}}" : "unexpected EOF");
            if ((rc = add_template(ps, name, body ? body : NULL, start)))
                return rc;
        }
    } else if (tok_is(ps, &tk, "define")) {
        gt_node *body = NULL;
        int t2, rc;
        size_t tpos;
        const char *name;
        if (!toplevel)
            return p_error(ps, tk.pos, "unexpected \"define\" in command");
        if (!(name = parse_tmpl_name(ps, "define clause")))
            return SL_EINVAL;
        if (expect_rdelim(ps, "define clause"))
            return SL_EINVAL;
        const char **saved = ps->vars;
        size_t nsaved = ps->nvars, capsaved = ps->capvars;
        ps->vars = NULL;
        ps->nvars = ps->capvars = 0;
        rc = parse_list(ps, &body, &t2, &tpos, 0);
        free(ps->vars);
        ps->vars = saved;
        ps->nvars = nsaved;
        ps->capvars = capsaved;
        if (rc)
            return rc;
        if (t2 != TERM_END)
            return p_error(ps, tpos, t2 == TERM_ELSE ? "unexpected {{else}}" : "unexpected EOF");
        /* an empty define still defines the template (as an empty body) */
        if (!body) {
            if (!(body = p_alloc(ps, sizeof(*body))))
                return SL_ENOMEM;
            body->type = N_TEXT;
            body->text = "";
        }
        if ((rc = add_template(ps, name, body, start)))
            return rc;
    } else {
        ps->p = tk.pos;
        if (!(n = p_alloc(ps, sizeof(*n))))
            return SL_ENOMEM;
        n->type = N_ACTION;
        n->pos = start;
        n->pipe = parse_pipeline(ps, "command", 0, 1);
        if (!n->pipe)
            return SL_EINVAL;
        n->end = ps->p;
    }
    *node = n;
    return 0;
}

/* Parse text and actions until {{end}}, {{else}} or EOF. */
static int parse_list(gt_parser *ps, gt_node **head, int *term, size_t *term_pos, int toplevel)
{
    const char *s = ps->t->src;
    size_t n = ps->t->len;
    gt_node **tail = head;

    *head = NULL;
    for (;;) {
        size_t p = ps->p, q = p;
        const char *hit = NULL;
        if (p < n) {
            hit = memmem(s + p, n - p, "{{", 2);
        }
        q = hit ? (size_t)(hit - s) : n;
        size_t ts = p, te = q;
        int ltrim = hit && q + 3 < n + 1 && q + 2 < n && s[q + 2] == '-' && q + 3 < n &&
                    is_space((unsigned char)s[q + 3]);
        if (ps->trim_next)
            while (ts < te && is_space((unsigned char)s[ts]))
                ts++;
        ps->trim_next = 0;
        if (ltrim)
            while (te > ts && is_space((unsigned char)s[te - 1]))
                te--;
        if (te > ts) {
            gt_node *tn = p_alloc(ps, sizeof(*tn));
            if (!tn)
                return SL_ENOMEM;
            tn->type = N_TEXT;
            tn->pos = ts;
            tn->text = s + ts;
            tn->len = te - ts;
            *tail = tn;
            tail = &tn->next;
        }
        if (!hit) {
            ps->p = n;
            *term = TERM_EOF;
            *term_pos = n;
            return 0;
        }
        size_t start = q;
        size_t body = q + 2 + (ltrim ? 2 : 0);
        /* comments */
        if (body + 1 < n && s[body] == '/' && s[body + 1] == '*') {
            const char *ce = body + 2 <= n ? memmem(s + body + 2, n - body - 2, "*/", 2) : NULL;
            if (!ce)
                return p_error(ps, start, "unclosed comment");
            size_t e = (size_t)(ce - s) + 2;
            if (e + 1 < n && s[e] == '}' && s[e + 1] == '}') {
                ps->p = e + 2;
            } else if (e + 3 < n + 0 && is_space((unsigned char)s[e]) && s[e + 1] == '-' &&
                       s[e + 2] == '}' && s[e + 3] == '}') {
                ps->p = e + 4;
                ps->trim_next = 1;
            } else {
                return p_error(ps, start, "comment ends before closing delimiter");
            }
            continue;
        }
        ps->p = body;
        ps->action = start;
        gt_node *node;
        int t2;
        int rc = parse_action(ps, start, &node, &t2, toplevel);
        if (rc)
            return rc;
        if (t2 == TERM_END || t2 == TERM_ELSE) {
            if (toplevel)
                return p_error(ps, start, "unexpected {{%s}}", t2 == TERM_END ? "end" : "else");
            *term = t2;
            *term_pos = start;
            return 0;
        }
        if (node) {
            *tail = node;
            tail = &node->next;
        }
    }
}

int sl_gotmpl_parse(const char *file, int line, int col, const char *src, size_t len,
                    sl_gotmpl **out, sl_error *err)
{
    return sl_gotmpl_parse_ex(file, line, col, 0, src, len, out, err);
}

int sl_gotmpl_parse_ex(const char *file, int line, int col, int indent, const char *src, size_t len,
                       sl_gotmpl **out, sl_error *err)
{
    sl_gotmpl *t = calloc(1, sizeof(*t));
    gt_parser ps = {0};
    gt_node *body = NULL;
    int rc = 0, term;
    size_t tpos;

    *out = NULL;
    if (!t)
        return sl_error_set(err, SL_ENOMEM, "template: out of memory");
    t->file = strdup(file ? file : "");
    t->src = malloc(len + 1);
    if (!t->file || !t->src) {
        rc = sl_error_set(err, SL_ENOMEM, "template: out of memory");
        goto out;
    }
    memcpy(t->src, src, len);
    t->src[len] = 0;
    t->len = len;
    t->line = line > 0 ? line : 1;
    t->col = col > 0 ? col : 1;
    t->indent = indent > 0 ? indent : 0;
    ps.t = t;
    ps.err = err;
    if ((rc = add_template(&ps, t->file, NULL, 0)))
        goto out;
    rc = parse_list(&ps, &body, &term, &tpos, 1);
    if (rc)
        goto out;
    t->tmpls[0].body = body;
    *out = t;
    t = NULL;
out:
    free(ps.vars);
    if (rc && err && !err->code)
        err->code = rc;
    sl_gotmpl_free(t);
    return rc;
}

void sl_gotmpl_free(sl_gotmpl *t)
{
    if (!t)
        return;
    arena_free(&t->arena);
    free(t->tmpls);
    free(t->src);
    free(t->file);
    free(t);
}

/* ---------------------------------------------------------------- exec */

typedef struct gt_var {
    const char *name;
    gt_val v;
} gt_var;

struct gt_ctx {
    const sl_gotmpl *t;
    sl_buf *out;
    sl_error *err;
    gt_arena arena;
    cJSON **owned;
    size_t nowned, capowned;
    gt_var *vars;
    size_t nvars, capvars;
    int calls;
    long steps;
    long nodes; /* values created (GT_MAX_NODES) */
    size_t arena_bytes;
    int brk; /* 1 break, 2 continue */
    const char *tname;
    char fmsg[512]; /* message of a failed function call */
    int fcode;
    gt_var vars0[32]; /* first variables, without malloc */
};

#define GT_FIRST_BLOCK 4096

void *gt_alloc(gt_ctx *x, size_t n)
{
    void *p;

    if (n > GT_MAX_ARENA - x->arena_bytes) {
        gt_fail(x, "execution needs more than %zu MiB of temporary memory", GT_MAX_ARENA >> 20);
        return NULL;
    }
    x->arena_bytes += n;
    p = arena_alloc(&x->arena, n);
    if (!p)
        x->fcode = SL_ENOMEM;
    return p;
}

gt_val gt_mkstr(gt_ctx *x, const char *s, size_t n)
{
    gt_val v = {0};
    char *d = gt_alloc(x, n + 1);

    v.k = GT_STR;
    if (!d) {
        v.s = "";
        return v;
    }
    if (n)
        memcpy(d, s, n);
    d[n] = 0;
    v.s = d;
    v.n = n;
    return v;
}

gt_val gt_bufstr(gt_ctx *x, sl_buf *b)
{
    gt_val v = gt_mkstr(x, b->ptr ? b->ptr : "", b->len);
    sl_buf_reset(b);
    return v;
}

gt_val gt_mkint(int64_t i)
{
    gt_val v = {0};
    v.k = GT_INT;
    v.i = i;
    return v;
}

gt_val gt_mkfloat(double f)
{
    gt_val v = {0};
    v.k = GT_FLOAT;
    v.f = f;
    return v;
}

gt_val gt_mkbool(int b)
{
    gt_val v = {0};
    v.k = GT_BOOL;
    v.b = !!b;
    return v;
}

gt_val gt_mknil(void)
{
    gt_val v = {0};
    return v;
}

/* Mark containers of a tree as owned (mutable) by the execution. */
static void mark_owned(cJSON *j)
{
    for (; j; j = j->next) {
        if ((cJSON_IsObject(j) || cJSON_IsArray(j)) && !(j->type & cJSON_IsReference)) {
            j->type |= GT_OWNED;
            mark_owned(j->child);
        }
    }
}

int gt_own(gt_ctx *x, cJSON *j)
{
    if (!j)
        return gt_nomem(x);
    if (x->nowned == x->capowned) {
        size_t nc = x->capowned ? x->capowned * 2 : 16;
        cJSON **n = realloc(x->owned, nc * sizeof(*n));
        if (!n) {
            cJSON_Delete(j);
            return gt_nomem(x);
        }
        x->owned = n;
        x->capowned = nc;
    }
    x->owned[x->nowned++] = j;
    if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
        long n = 0;
        for (cJSON *c = j->child; c; c = c->next)
            n++;
        x->nodes += n + 1;
        if (x->nodes > GT_MAX_NODES)
            return gt_fail(x, "the template built more than %ld values", GT_MAX_NODES);
        j->type |= GT_OWNED;
        mark_owned(j->child);
    }
    return 0;
}

int gt_newmap(gt_ctx *x, gt_val *out)
{
    cJSON *j = cJSON_CreateObject();
    int rc = gt_own(x, j);
    memset(out, 0, sizeof(*out));
    if (rc)
        return rc;
    out->k = GT_MAP;
    out->j = j;
    return 0;
}

int gt_newlist(gt_ctx *x, gt_val *out)
{
    cJSON *j = cJSON_CreateArray();
    int rc = gt_own(x, j);
    memset(out, 0, sizeof(*out));
    if (rc)
        return rc;
    out->k = GT_LIST;
    out->j = j;
    return 0;
}

gt_val gt_from_json(const cJSON *j)
{
    gt_val v = {0};

    if (!j || cJSON_IsNull(j) || cJSON_IsInvalid(j))
        return v;
    if (cJSON_IsBool(j)) {
        v.k = GT_BOOL;
        v.b = cJSON_IsTrue(j);
    } else if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d == floor(d) && fabs(d) < 9.2e18) {
            v.k = GT_INT;
            v.i = (int64_t)d;
        } else {
            v.k = GT_FLOAT;
            v.f = d;
        }
    } else if (cJSON_IsString(j) || cJSON_IsRaw(j)) {
        v.k = GT_STR;
        v.s = j->valuestring ? j->valuestring : "";
        v.n = strlen(v.s);
    } else if (cJSON_IsObject(j)) {
        v.k = GT_MAP;
        v.j = (cJSON *)j;
    } else if (cJSON_IsArray(j)) {
        v.k = GT_LIST;
        v.j = (cJSON *)j;
    }
    return v;
}

cJSON *gt_to_json(gt_ctx *x, const gt_val *v)
{
    cJSON *j = NULL;

    if (x && ++x->nodes > GT_MAX_NODES) {
        gt_fail(x, "the template built more than %ld values", GT_MAX_NODES);
        return NULL;
    }

    switch (v->k) {
    case GT_NIL:
        j = cJSON_CreateNull();
        break;
    case GT_BOOL:
        j = cJSON_CreateBool(v->b);
        break;
    case GT_INT:
        j = cJSON_CreateNumber((double)v->i);
        break;
    case GT_FLOAT:
        j = cJSON_CreateNumber(v->f);
        break;
    case GT_STR:
        j = cJSON_CreateString(v->s);
        break;
    case GT_MAP:
        j = cJSON_CreateObjectReference(v->j->child);
        if (j && (v->j->type & GT_OWNED))
            j->type |= GT_OWNED;
        break;
    case GT_LIST:
        j = cJSON_CreateArrayReference(v->j->child);
        if (j && (v->j->type & GT_OWNED))
            j->type |= GT_OWNED;
        break;
    }
    if (!j && x)
        gt_nomem(x);
    return j;
}

cJSON *gt_to_json_copy(const gt_val *v)
{
    if (v->k == GT_MAP || v->k == GT_LIST) {
        cJSON *j = cJSON_Duplicate(v->j, 1);
        if (j)
            j->type &= ~(GT_OWNED | cJSON_IsReference);
        return j;
    }
    return gt_to_json(NULL, v);
}

int gt_fail(gt_ctx *x, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(x->fmsg, sizeof(x->fmsg), fmt, ap);
    va_end(ap);
    x->fcode = SL_EINVAL;
    return SL_EINVAL;
}

void gt_fail_clear(gt_ctx *x)
{
    if (x->fcode == SL_EINVAL) {
        x->fcode = 0;
        x->fmsg[0] = 0;
    }
}

int gt_nomem(gt_ctx *x)
{
    snprintf(x->fmsg, sizeof(x->fmsg), "out of memory");
    x->fcode = SL_ENOMEM;
    return SL_ENOMEM;
}

int gt_truth(const gt_val *v)
{
    switch (v->k) {
    case GT_BOOL:
        return v->b;
    case GT_INT:
        return v->i != 0;
    case GT_FLOAT:
        return v->f != 0;
    case GT_STR:
        return v->n != 0;
    case GT_MAP:
    case GT_LIST:
        return v->j->child != NULL;
    default:
        return 0;
    }
}

const char *gt_type_name(const gt_val *v)
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
        return "map[string]interface {}";
    case GT_LIST:
        return "[]interface {}";
    default:
        return "<nil>";
    }
}

long gt_len(const gt_val *v)
{
    if (v->k == GT_STR)
        return (long)v->n;
    if (v->k == GT_MAP || v->k == GT_LIST) {
        long n = 0;
        for (cJSON *c = v->j->child; c; c = c->next)
            n++;
        return n;
    }
    return -1;
}

gt_val gt_list_at(const gt_val *v, size_t i)
{
    cJSON *c = v->j->child;
    while (c && i--)
        c = c->next;
    return gt_from_json(c);
}

int gt_arg_str(gt_ctx *x, const gt_val *v, const char **s, size_t *n)
{
    if (v->k == GT_STR) {
        *s = v->s;
        *n = v->n;
        return 0;
    }
    if (v->k == GT_NIL)
        return gt_fail(x, "invalid value; expected string");
    return gt_fail(x, "wrong type for value; expected string; got %s", gt_type_name(v));
}

int gt_arg_int(gt_ctx *x, const gt_val *v, int64_t *out)
{
    if (v->k == GT_INT) {
        *out = v->i;
        return 0;
    }
    if (v->k == GT_FLOAT && v->f == floor(v->f) && fabs(v->f) < 9.2e18) {
        /* an integral constant such as 3.0 converts, as Go's evalInteger */
        *out = (int64_t)v->f;
        return 0;
    }
    if (v->k == GT_NIL)
        return gt_fail(x, "invalid value; expected int");
    return gt_fail(x, "wrong type for value; expected int; got %s", gt_type_name(v));
}

int gt_arg_list(gt_ctx *x, const gt_val *v)
{
    if (v->k == GT_LIST)
        return 0;
    if (v->k == GT_NIL)
        return gt_fail(x, "invalid value; expected []interface {}");
    return gt_fail(x, "wrong type for value; expected []interface {}; got %s", gt_type_name(v));
}

int gt_arg_map(gt_ctx *x, const gt_val *v)
{
    if (v->k == GT_MAP)
        return 0;
    if (v->k == GT_NIL)
        return gt_fail(x, "invalid value; expected map[string]interface {}");
    return gt_fail(x, "wrong type for value; expected map[string]interface {}; got %s",
                   gt_type_name(v));
}

/* ------------------------------------------------------------ printing */

/* Go's strconv.FormatFloat(f, fmt, prec, 64) for 'e', 'f', 'g' (prec -1 =
 * shortest that round-trips). */
static int fmt_float(sl_buf *b, double f, char verb, int prec)
{
    char digs[40], tmp[400];
    int nd = 0, exp10 = 0, neg;

    if (isnan(f))
        return sl_buf_puts(b, "NaN");
    if (isinf(f))
        return sl_buf_puts(b, f > 0 ? "+Inf" : "-Inf");
    neg = signbit(f) != 0;
    if (prec >= 0 && verb != 'g' && verb != 'G') {
        int p = prec > 300 ? 300 : prec;
        if (verb == 'e')
            snprintf(tmp, sizeof(tmp), "%.*e", p, f);
        else if (verb == 'E')
            snprintf(tmp, sizeof(tmp), "%.*E", p, f);
        else
            return sl_buf_printf(b, "%.*f", p, f);
        return sl_buf_puts(b, tmp);
    }
    /* digits and exponent: shortest round-trip or prec significant digits */
    double a = fabs(f);
    if (a == 0) {
        digs[0] = '0';
        nd = 1;
        exp10 = 0;
    } else {
        int p;
        if (prec < 0) {
            for (p = 1; p <= 17; p++) {
                snprintf(tmp, sizeof(tmp), "%.*e", p - 1, a);
                if (strtod(tmp, NULL) == a)
                    break;
            }
        } else {
            p = prec == 0 ? 1 : (prec > 30 ? 30 : prec);
            snprintf(tmp, sizeof(tmp), "%.*e", p - 1, a);
        }
        char *e = strchr(tmp, 'e');
        for (char *c = tmp; c < e; c++)
            if (isdigit((unsigned char)*c))
                digs[nd++] = *c;
        exp10 = atoi(e + 1);
        if (prec < 0 || verb == 'g' || verb == 'G')
            while (nd > 1 && digs[nd - 1] == '0')
                nd--;
    }
    int rc = 0;
    int eprec = prec;
    if (verb == 'g' || verb == 'G') {
        if (prec < 0)
            eprec = 6;
        else {
            if (eprec == 0)
                eprec = 1;
            if (eprec > nd && nd >= exp10 + 1)
                eprec = nd;
        }
        if (prec < 0)
            eprec = 6; /* shortest: %e when exp < -4 || exp >= 6, as strconv */
        if (exp10 < -4 || exp10 >= eprec)
            verb = verb == 'g' ? 'e' : 'E';
        else
            verb = 'f';
        /* format from the digits */
        if (neg)
            rc |= sl_buf_putc(b, '-');
        if (verb == 'e' || verb == 'E') {
            rc |= sl_buf_putc(b, digs[0]);
            if (nd > 1) {
                rc |= sl_buf_putc(b, '.');
                rc |= sl_buf_put(b, digs + 1, (size_t)nd - 1);
            }
            rc |= sl_buf_printf(b, "%c%c%02d", verb, exp10 < 0 ? '-' : '+', abs(exp10));
        } else {
            int dp = exp10 + 1; /* digits before the point */
            if (dp <= 0) {
                rc |= sl_buf_puts(b, "0.");
                for (int i = 0; i < -dp; i++)
                    rc |= sl_buf_putc(b, '0');
                rc |= sl_buf_put(b, digs, (size_t)nd);
            } else {
                for (int i = 0; i < dp; i++)
                    rc |= sl_buf_putc(b, i < nd ? digs[i] : '0');
                if (nd > dp) {
                    rc |= sl_buf_putc(b, '.');
                    rc |= sl_buf_put(b, digs + dp, (size_t)(nd - dp));
                }
            }
        }
        return rc ? SL_ENOMEM : 0;
    }
    /* 'e' or 'f' shortest */
    if (neg)
        rc |= sl_buf_putc(b, '-');
    if (verb == 'e' || verb == 'E') {
        rc |= sl_buf_putc(b, digs[0]);
        if (nd > 1) {
            rc |= sl_buf_putc(b, '.');
            rc |= sl_buf_put(b, digs + 1, (size_t)nd - 1);
        }
        rc |= sl_buf_printf(b, "%c%c%02d", verb, exp10 < 0 ? '-' : '+', abs(exp10));
    } else {
        int dp = exp10 + 1;
        if (dp <= 0) {
            rc |= sl_buf_puts(b, "0.");
            for (int i = 0; i < -dp; i++)
                rc |= sl_buf_putc(b, '0');
            rc |= sl_buf_put(b, digs, (size_t)nd);
        } else {
            for (int i = 0; i < dp; i++)
                rc |= sl_buf_putc(b, i < nd ? digs[i] : '0');
            if (nd > dp) {
                rc |= sl_buf_putc(b, '.');
                rc |= sl_buf_put(b, digs + dp, (size_t)(nd - dp));
            }
        }
    }
    return rc ? SL_ENOMEM : 0;
}

static int cmp_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* The children of a map sorted by key, in a malloc'd array (caller frees).
 * *n gets the count. NULL with *n == 0 for an empty map. */
static cJSON **sorted_children(const cJSON *m, size_t *n)
{
    size_t cnt = 0, i = 0;
    cJSON **v;

    for (cJSON *c = m->child; c; c = c->next)
        cnt++;
    *n = cnt;
    if (!cnt)
        return NULL;
    v = malloc(cnt * sizeof(*v));
    if (!v) {
        *n = (size_t)-1;
        return NULL;
    }
    for (cJSON *c = m->child; c; c = c->next)
        v[i++] = c;
    qsort(v, cnt, sizeof(*v), cmp_keys);
    return v;
}

static int tree_walk(const cJSON *j, int depth, long *nodes)
{
    if (depth > GT_WALK_MAX_DEPTH)
        return 0;
    for (const cJSON *c = j ? j->child : NULL; c; c = c->next) {
        if (++*nodes > GT_WALK_MAX_NODES)
            return 0;
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && !tree_walk(c, depth + 1, nodes))
            return 0;
    }
    return 1;
}

int gt_tree_ok(const cJSON *j)
{
    long nodes = 0;
    return tree_walk(j, 0, &nodes);
}

/* fmt's %v of v (maps with sorted keys), refusing trees gt_tree_ok rejects. */
static int fmt_v_depth(sl_buf *b, const gt_val *v, int depth)
{
    int rc = 0;

    if (depth == 0 && (v->k == GT_MAP || v->k == GT_LIST) && !gt_tree_ok(v->j))
        return SL_ELIMIT;
    switch (v->k) {
    case GT_NIL:
        return sl_buf_puts(b, "<nil>");
    case GT_BOOL:
        return sl_buf_puts(b, v->b ? "true" : "false");
    case GT_INT: {
        char d[24];
        int k = (int)sizeof(d);
        uint64_t u = v->i < 0 ? 0 - (uint64_t)v->i : (uint64_t)v->i;
        do {
            d[--k] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v->i < 0)
            d[--k] = '-';
        return sl_buf_put(b, d + k, sizeof(d) - (size_t)k);
    }
    case GT_FLOAT:
        return fmt_float(b, v->f, 'g', -1);
    case GT_STR:
        return sl_buf_put(b, v->s, v->n);
    case GT_LIST:
        rc = sl_buf_putc(b, '[');
        for (cJSON *c = v->j->child; c && !rc; c = c->next) {
            gt_val e = gt_from_json(c);
            if (c != v->j->child)
                rc = sl_buf_putc(b, ' ');
            if (!rc)
                rc = fmt_v_depth(b, &e, depth + 1);
        }
        return rc ? rc : sl_buf_putc(b, ']');
    case GT_MAP: {
        size_t n;
        cJSON **kids = sorted_children(v->j, &n);
        if (n == (size_t)-1)
            return SL_ENOMEM;
        rc = sl_buf_puts(b, "map[");
        for (size_t i = 0; i < n && !rc; i++) {
            gt_val e = gt_from_json(kids[i]);
            if (i)
                rc = sl_buf_putc(b, ' ');
            if (!rc)
                rc = sl_buf_puts(b, kids[i]->string);
            if (!rc)
                rc = sl_buf_putc(b, ':');
            if (!rc)
                rc = fmt_v_depth(b, &e, depth + 1);
        }
        free(kids);
        return rc ? rc : sl_buf_putc(b, ']');
    }
    }
    return 0;
}

int gt_fmt_v(sl_buf *b, const gt_val *v)
{
    return fmt_v_depth(b, v, 0);
}

int gt_sprint(sl_buf *b, const gt_val *argv, int argc)
{
    int rc = 0;

    for (int i = 0; i < argc && !rc; i++) {
        if (i > 0 && argv[i].k != GT_STR && argv[i - 1].k != GT_STR)
            rc = sl_buf_putc(b, ' ');
        if (!rc)
            rc = gt_fmt_v(b, &argv[i]);
    }
    return rc;
}

/* An approximation of Go's unicode.IsPrint for the code points that come
 * up in text: controls, separators other than ' ', format characters,
 * surrogates, private use and non-characters are not printable. */
static int go_isprint(unsigned cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0xa0 || cp == 0xad)
        return 0;
    if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
        (cp >= 0x205f && cp <= 0x206f) || cp == 0x3000 || cp == 0xfeff)
        return 0;
    if ((cp >= 0xd800 && cp <= 0xf8ff) || (cp >= 0xfff0 && cp <= 0xfffb) || cp == 0xfffe ||
        cp == 0xffff || cp >= 0xf0000)
        return 0;
    return 1;
}

int gt_quote(sl_buf *b, const char *s, size_t n)
{
    int rc = sl_buf_putc(b, '"');

    for (size_t i = 0; i < n && !rc;) {
        unsigned cp;
        size_t l = utf8_dec((const unsigned char *)s + i, n - i, &cp);
        unsigned char c = (unsigned char)s[i];
        if (cp == 0xfffd && l == 1 && c >= 0x80) {
            rc = sl_buf_printf(b, "\\x%02x", c);
        } else if (c == '"' || c == '\\') {
            rc = sl_buf_putc(b, '\\');
            if (!rc)
                rc = sl_buf_putc(b, (char)c);
        } else if (cp < 0x20 || cp == 0x7f) {
            switch (cp) {
            case '\a':
                rc = sl_buf_puts(b, "\\a");
                break;
            case '\b':
                rc = sl_buf_puts(b, "\\b");
                break;
            case '\f':
                rc = sl_buf_puts(b, "\\f");
                break;
            case '\n':
                rc = sl_buf_puts(b, "\\n");
                break;
            case '\r':
                rc = sl_buf_puts(b, "\\r");
                break;
            case '\t':
                rc = sl_buf_puts(b, "\\t");
                break;
            case '\v':
                rc = sl_buf_puts(b, "\\v");
                break;
            default:
                rc = sl_buf_printf(b, "\\x%02x", cp);
            }
        } else if (!go_isprint(cp)) {
            rc = cp < 0x10000 ? sl_buf_printf(b, "\\u%04x", cp) : sl_buf_printf(b, "\\U%08x", cp);
        } else {
            rc = sl_buf_put(b, s + i, l);
        }
        i += l;
    }
    return rc ? rc : sl_buf_putc(b, '"');
}

/* Pad s (already formatted into tmp) to width. */
static int pad_put(sl_buf *b, const char *s, size_t n, int width, int minus, int zero)
{
    int rc = 0;
    size_t chars = 0;

    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)s[i] & 0xc0) != 0x80;
    if (width < 0 || (size_t)width <= chars)
        return sl_buf_put(b, s, n);
    size_t padn = (size_t)width - chars;
    if (minus) {
        rc = sl_buf_put(b, s, n);
        for (size_t i = 0; i < padn && !rc; i++)
            rc = sl_buf_putc(b, ' ');
        return rc;
    }
    if (zero && n && (s[0] == '-' || s[0] == '+')) {
        rc = sl_buf_putc(b, s[0]);
        s++;
        n--;
    }
    for (size_t i = 0; i < padn && !rc; i++)
        rc = sl_buf_putc(b, zero ? '0' : ' ');
    return rc ? rc : sl_buf_put(b, s, n);
}

static int bad_verb(sl_buf *b, char verb, const gt_val *v)
{
    int rc = sl_buf_printf(b, "%%!%c(", verb);
    if (v->k == GT_NIL)
        return rc ? rc : sl_buf_puts(b, "<nil>)");
    if (!rc)
        rc = sl_buf_printf(b, "%s=", gt_type_name(v));
    if (!rc)
        rc = gt_fmt_v(b, v);
    return rc ? rc : sl_buf_putc(b, ')');
}

static int fmt_one(sl_buf *b, char verb, const gt_val *v, int plus, int minus, int sharp, int zero,
                   int spacef, int width, int prec);

/* Maps and lists: fmt applies the verb (and flags) to every key and
 * element; a nil element prints <nil> whatever the verb. */
static int fmt_compound(sl_buf *b, char verb, const gt_val *v, int plus, int minus, int sharp,
                        int zero, int spacef, int width, int prec)
{
    int rc;
    size_t n = 0;
    cJSON **kids = NULL;

    if (v->k == GT_MAP) {
        kids = sorted_children(v->j, &n);
        if (n == (size_t)-1)
            return SL_ENOMEM;
        rc = sl_buf_puts(b, "map[");
        for (size_t i = 0; i < n && !rc; i++) {
            gt_val key = {0}, e = gt_from_json(kids[i]);
            key.k = GT_STR;
            key.s = kids[i]->string;
            key.n = strlen(key.s);
            if (i)
                rc = sl_buf_putc(b, ' ');
            if (!rc)
                rc = fmt_one(b, verb, &key, plus, minus, sharp, zero, spacef, width, prec);
            if (!rc)
                rc = sl_buf_putc(b, ':');
            if (!rc)
                rc = e.k == GT_NIL
                         ? sl_buf_puts(b, "<nil>")
                         : fmt_one(b, verb, &e, plus, minus, sharp, zero, spacef, width, prec);
        }
        free(kids);
    } else {
        rc = sl_buf_putc(b, '[');
        for (cJSON *c = v->j->child; c && !rc; c = c->next) {
            gt_val e = gt_from_json(c);
            if (c != v->j->child)
                rc = sl_buf_putc(b, ' ');
            if (!rc)
                rc = e.k == GT_NIL
                         ? sl_buf_puts(b, "<nil>")
                         : fmt_one(b, verb, &e, plus, minus, sharp, zero, spacef, width, prec);
        }
    }
    return rc ? rc : sl_buf_putc(b, ']');
}

/* Format one operand for verb with flags into b. */
static int fmt_one(sl_buf *b, char verb, const gt_val *v, int plus, int minus, int sharp, int zero,
                   int spacef, int width, int prec)
{
    sl_buf t = SL_BUF_INIT;
    int rc = 0;

    if ((v->k == GT_LIST || v->k == GT_MAP) && verb != 'T') {
        if (!gt_tree_ok(v->j))
            return SL_ELIMIT;
        return fmt_compound(b, verb, v, plus, minus, sharp, zero, spacef, width, prec);
    }

    switch (verb) {
    case 'v':
    case 's':
        if (verb == 's' && v->k != GT_STR && v->k != GT_MAP && v->k != GT_LIST) {
            if (v->k == GT_NIL)
                rc = sl_buf_puts(&t, "%!s(<nil>)");
            else
                rc = bad_verb(&t, 's', v);
        } else if (v->k == GT_FLOAT && prec >= 0) {
            rc = fmt_float(&t, v->f, 'g', prec);
        } else if (v->k == GT_INT && plus) {
            rc = sl_buf_printf(&t, "%+lld", (long long)v->i);
        } else {
            rc = gt_fmt_v(&t, v);
            if (!rc && prec >= 0 && v->k == GT_STR) {
                /* precision truncates strings (in runes) */
                size_t i = 0;
                int r = 0;
                while (i < t.len && r < prec) {
                    i++;
                    while (i < t.len && ((unsigned char)t.ptr[i] & 0xc0) == 0x80)
                        i++;
                    r++;
                }
                t.len = i;
            }
        }
        break;
    case 'd':
        if (v->k != GT_INT)
            rc = bad_verb(&t, verb, v);
        else {
            if (v->i >= 0 && (plus || spacef))
                rc = sl_buf_putc(&t, plus ? '+' : ' ');
            if (!rc)
                rc = sl_buf_printf(&t, "%.*lld", prec < 0 ? 1 : prec, (long long)v->i);
        }
        break;
    case 'x':
    case 'X':
    case 'o':
    case 'O':
    case 'b':
        if (v->k == GT_INT) {
            unsigned long long u =
                v->i < 0 ? 0ULL - (unsigned long long)v->i : (unsigned long long)v->i;
            char digs[80];
            int nd = 0;
            const char *alpha = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            unsigned base = verb == 'b' ? 2 : (verb == 'o' || verb == 'O') ? 8 : 16;
            do {
                digs[nd++] = alpha[u % base];
                u /= base;
            } while (u);
            while (prec >= 0 && nd < prec && nd < 70)
                digs[nd++] = '0';
            if (v->i < 0)
                rc |= sl_buf_putc(&t, '-');
            else if (plus)
                rc |= sl_buf_putc(&t, '+');
            if (sharp || verb == 'O')
                rc |= sl_buf_puts(&t, base == 16  ? (verb == 'X' ? "0X" : "0x")
                                      : base == 8 ? (verb == 'O' ? "0o" : "0")
                                                  : "0b");
            while (nd)
                rc |= sl_buf_putc(&t, digs[--nd]);
        } else if (v->k == GT_STR && (verb == 'x' || verb == 'X')) {
            for (size_t i = 0; i < v->n && !rc; i++) {
                if (spacef && i)
                    rc = sl_buf_putc(&t, ' ');
                rc |= sl_buf_printf(&t, verb == 'x' ? "%02x" : "%02X", (unsigned char)v->s[i]);
            }
        } else if (v->k == GT_FLOAT && verb == 'b') {
            rc = bad_verb(&t, verb, v);
        } else {
            rc = bad_verb(&t, verb, v);
        }
        break;
    case 'c':
        if (v->k != GT_INT)
            rc = bad_verb(&t, verb, v);
        else {
            char u8[4];
            size_t l = utf8_put(u8, (unsigned)(v->i < 0 || v->i > 0x10ffff ? 0xfffd : v->i));
            rc = sl_buf_put(&t, u8, l);
        }
        break;
    case 'U':
        if (v->k != GT_INT)
            rc = bad_verb(&t, verb, v);
        else
            rc = sl_buf_printf(&t, "U+%04llX", (unsigned long long)v->i);
        break;
    case 'q':
        if (v->k == GT_STR) {
            rc = gt_quote(&t, v->s, v->n);
        } else if (v->k == GT_INT) {
            char u8[4];
            size_t l = utf8_put(u8, (unsigned)(v->i < 0 || v->i > 0x10ffff ? 0xfffd : v->i));
            if (v->i == '\'')
                rc = sl_buf_puts(&t, "'\\''");
            else {
                sl_buf q = SL_BUF_INIT;
                rc = gt_quote(&q, u8, l);
                if (!rc && q.len >= 2) {
                    rc |= sl_buf_putc(&t, '\'');
                    if (q.len == 4 && q.ptr[1] == '\\' && q.ptr[2] == '"')
                        rc |= sl_buf_putc(&t, '"');
                    else
                        rc |= sl_buf_put(&t, q.ptr + 1, q.len - 2);
                    rc |= sl_buf_putc(&t, '\'');
                }
                sl_buf_free(&q);
            }
        } else if (v->k == GT_LIST && !gt_tree_ok(v->j)) {
            rc = SL_ELIMIT;
        } else if (v->k == GT_LIST) {
            rc = sl_buf_putc(&t, '[');
            for (cJSON *c = v->j->child; c && !rc; c = c->next) {
                gt_val e = gt_from_json(c);
                if (c != v->j->child)
                    rc = sl_buf_putc(&t, ' ');
                if (!rc)
                    rc = fmt_one(&t, 'q', &e, 0, 0, 0, 0, 0, -1, -1);
            }
            if (!rc)
                rc = sl_buf_putc(&t, ']');
        } else {
            rc = bad_verb(&t, verb, v);
        }
        break;
    case 't':
        if (v->k != GT_BOOL)
            rc = bad_verb(&t, verb, v);
        else
            rc = sl_buf_puts(&t, v->b ? "true" : "false");
        break;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
        if (v->k != GT_FLOAT)
            rc = bad_verb(&t, verb, v);
        else {
            char vb = verb == 'F' ? 'f' : verb;
            int p = prec;
            if (p < 0 && (vb == 'e' || vb == 'E' || vb == 'f'))
                p = 6;
            if (plus && v->f >= 0)
                rc = sl_buf_putc(&t, '+');
            else if (spacef && v->f >= 0)
                rc = sl_buf_putc(&t, ' ');
            if (!rc)
                rc = fmt_float(&t, v->f, vb, p);
        }
        break;
    case 'T':
        rc = sl_buf_puts(&t, gt_type_name(v));
        break;
    default:
        rc = sl_buf_printf(&t, "%%!%c(", verb);
        if (!rc)
            rc = sl_buf_printf(&t, "%s=", gt_type_name(v));
        if (!rc)
            rc = gt_fmt_v(&t, v);
        if (!rc)
            rc = sl_buf_putc(&t, ')');
        break;
    }
    if (!rc) {
        int z = zero && !minus && verb != 's' && verb != 'v' && verb != 'q' && verb != 'c' &&
                verb != 'T';
        if (zero && !minus && (verb == 's' || verb == 'v' || verb == 'q'))
            z = 1; /* Go pads strings with zeros too */
        if ((verb == 'd' || verb == 'x' || verb == 'X' || verb == 'o' || verb == 'b') && prec >= 0)
            z = 0;
        rc = pad_put(b, t.ptr ? t.ptr : "", t.len, width, minus, z);
    }
    sl_buf_free(&t);
    return rc;
}

int gt_sprintf(sl_buf *b, const char *f, size_t fn, const gt_val *argv, int argc)
{
    int ai = 0, rc = 0;
    size_t i = 0;

    while (i < fn && !rc) {
        size_t st = i;
        while (i < fn && f[i] != '%')
            i++;
        if (i > st)
            rc = sl_buf_put(b, f + st, i - st);
        if (i >= fn || rc)
            break;
        i++;
        if (i >= fn) {
            rc = sl_buf_puts(b, "%!(NOVERB)");
            break;
        }
        int plus = 0, minus = 0, sharp = 0, zero = 0, spacef = 0, width = -1, prec = -1;
        for (; i < fn; i++) {
            char c = f[i];
            if (c == '+')
                plus = 1;
            else if (c == '-')
                minus = 1;
            else if (c == '#')
                sharp = 1;
            else if (c == '0')
                zero = 1;
            else if (c == ' ')
                spacef = 1;
            else
                break;
        }
        if (i < fn && f[i] == '*') {
            i++;
            if (ai < argc && argv[ai].k == GT_INT) {
                width = (int)(argv[ai].i > 10000    ? 10000
                              : argv[ai].i < -10000 ? -10000
                                                    : argv[ai].i);
                if (width < 0) {
                    minus = 1;
                    width = -width;
                }
            } else {
                rc = sl_buf_puts(b, "%!(BADWIDTH)");
            }
            ai++;
        } else {
            while (i < fn && isdigit((unsigned char)f[i])) {
                width = (width < 0 ? 0 : width) * 10 + (f[i] - '0');
                if (width > 10000)
                    width = 10000;
                i++;
            }
        }
        if (i < fn && f[i] == '.') {
            i++;
            prec = 0;
            if (i < fn && f[i] == '*') {
                i++;
                if (ai < argc && argv[ai].k == GT_INT)
                    prec = (int)(argv[ai].i > 10000 ? 10000 : argv[ai].i < 0 ? -1 : argv[ai].i);
                else
                    rc = sl_buf_puts(b, "%!(BADPREC)");
                ai++;
            } else {
                while (i < fn && isdigit((unsigned char)f[i])) {
                    prec = prec * 10 + (f[i] - '0');
                    if (prec > 10000)
                        prec = 10000;
                    i++;
                }
            }
        }
        if (i >= fn) {
            rc = sl_buf_puts(b, "%!(NOVERB)");
            break;
        }
        unsigned cp;
        size_t vl = utf8_dec((const unsigned char *)f + i, fn - i, &cp);
        char verb = (char)f[i];
        i += vl;
        if (verb == '%') {
            rc = sl_buf_putc(b, '%');
            continue;
        }
        if (ai >= argc) {
            rc = sl_buf_printf(b, "%%!%c(MISSING)", verb);
            continue;
        }
        rc = fmt_one(b, verb, &argv[ai++], plus, minus, sharp, zero, spacef, width, prec);
    }
    if (!rc && ai < argc) {
        rc = sl_buf_puts(b, "%!(EXTRA ");
        for (; ai < argc && !rc; ai++) {
            rc = sl_buf_printf(b, "%s=", gt_type_name(&argv[ai]));
            if (!rc)
                rc = gt_fmt_v(b, &argv[ai]);
            if (!rc && ai + 1 < argc)
                rc = sl_buf_puts(b, ", ");
        }
        if (!rc)
            rc = sl_buf_putc(b, ')');
    }
    return rc;
}

/* ----------------------------------------------------------- evaluation */

static int x_error(gt_ctx *x, size_t pos, size_t end, const char *fmt, ...) SL_PRINTF(4, 5);

/* Record an execution error at source offset pos; the message reads like
 * Go's: template: executing "name" at <source>: what. */
static int x_error(gt_ctx *x, size_t pos, size_t end, const char *fmt, ...)
{
    char msg[SL_ERROR_MSG_MAX / 2];
    int line, col;
    va_list ap;
    int code = x->fcode == SL_ENOMEM ? SL_ENOMEM : SL_EINVAL;

    if (x->err && x->err->code)
        return x->err->code;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    tmpl_pos(x->t, pos, &line, &col);
    if (end > pos && end <= x->t->len) {
        size_t n = end - pos;
        const char *s = x->t->src + pos;
        /* skip the action's delimiters for the <...> excerpt */
        if (n >= 2 && s[0] == '{' && s[1] == '{') {
            s += 2;
            n -= 2;
        }
        while (n && (is_space((unsigned char)*s) || *s == '-')) {
            s++;
            n--;
        }
        const char *nl = memchr(s, '\n', n);
        if (nl)
            n = (size_t)(nl - s);
        if (n > 60)
            n = 60;
        while (n && is_space((unsigned char)s[n - 1]))
            n--;
        return sl_error_setpos(x->err, code, x->t->file, line, col,
                               "template: executing \"%s\" at <%.*s>: %s", x->tname, (int)n, s,
                               msg);
    }
    return sl_error_setpos(x->err, code, x->t->file, line, col, "template: executing \"%s\": %s",
                           x->tname, msg);
}

/* Run a pipeline's commands, each result the last argument of the next;
 * then declare or assign its variables. A nil result becomes "no value". */
static int eval_pipe(gt_ctx *x, const gt_pipe *pp, const gt_val *dot, gt_val *res);

/* Walk fields from v. missing: v came from a missing key (Go's invalid
 * value): further fields give missing too. */
static int walk_fields(gt_ctx *x, const gt_arg *a, gt_val *v, int *missing, int nf, int has_args)
{
    for (int i = 0; i < nf; i++) {
        const char *f = a->fields[i];
        if (v->k == GT_NIL) {
            if (*missing)
                continue; /* Go: a field of "no value" is again no value */
            return x_error(x, a->pos, a->end, "nil pointer evaluating interface {}.%s", f);
        }
        if (v->k != GT_MAP)
            return x_error(x, a->pos, a->end, "can't evaluate field %s in type %s", f,
                           gt_type_name(v));
        if (has_args && i == nf - 1)
            return x_error(x, a->pos, a->end, "%s is not a method but has arguments", f);
        cJSON *c = cJSON_GetObjectItemCaseSensitive(v->j, f);
        if (!c) {
            memset(v, 0, sizeof(*v));
            *missing = 1;
        } else {
            *v = gt_from_json(c);
            *missing = 0;
        }
    }
    return 0;
}

static int lookup_var(gt_ctx *x, const gt_arg *a, const char *name, gt_val *out)
{
    for (size_t i = x->nvars; i-- > 0;)
        if (!strcmp(x->vars[i].name, name)) {
            *out = x->vars[i].v;
            return 0;
        }
    return x_error(x, a->pos, a->end, "undefined variable: %s", name);
}

/* Declare a variable on the execution's stack (grown past the inline 32). */
static int push_var(gt_ctx *x, const char *name, const gt_val *v)
{
    if (x->nvars == x->capvars) {
        size_t nc = x->capvars * 2;
        gt_var *nv;
        if (nc > GT_MAX_VARS)
            return sl_error_set(x->err, SL_ELIMIT, "template: too many variables");
        nv = malloc(nc * sizeof(*nv));
        if (!nv)
            return sl_error_set(x->err, SL_ENOMEM, "template: out of memory");
        memcpy(nv, x->vars, x->nvars * sizeof(*nv));
        if (x->vars != x->vars0)
            free(x->vars);
        x->vars = nv;
        x->capvars = nc;
    }
    x->vars[x->nvars].name = name;
    x->vars[x->nvars].v = *v;
    x->nvars++;
    return 0;
}

static int set_var(gt_ctx *x, const char *name, const gt_val *v)
{
    for (size_t i = x->nvars; i-- > 0;)
        if (!strcmp(x->vars[i].name, name)) {
            x->vars[i].v = *v;
            return 0;
        }
    return sl_error_set(x->err, SL_EINVAL, "template: undefined variable: %s", name);
}

static int call_func(gt_ctx *x, const gt_cmd *cmd, const gt_arg *fa, const gt_arg *args, int nargs,
                     const gt_val *dot, const gt_val *final, gt_val *res);

/* Evaluate one operand as a value (function identifiers are called with no
 * arguments). missing is set for a missing map key. */
static int eval_arg(gt_ctx *x, const gt_arg *a, const gt_val *dot, gt_val *v, int *missing)
{
    int rc;

    *missing = 0;
    memset(v, 0, sizeof(*v));
    switch (a->type) {
    case A_DOT:
        *v = *dot;
        *missing = dot->k == GT_NIL && dot->b;
        return 0;
    case A_NIL:
        return 0;
    case A_BOOL:
        *v = gt_mkbool((int)a->i);
        return 0;
    case A_INT:
        *v = gt_mkint(a->i);
        return 0;
    case A_FLOAT:
        *v = gt_mkfloat(a->f);
        return 0;
    case A_STR:
        v->k = GT_STR;
        v->s = a->s;
        v->n = a->n;
        return 0;
    case A_FIELD:
        *v = *dot;
        *missing = dot->k == GT_NIL && dot->b;
        return walk_fields(x, a, v, missing, a->nfields, 0);
    case A_VAR:
        if ((rc = lookup_var(x, a, a->name, v)))
            return rc;
        *missing = v->k == GT_NIL && v->b;
        return walk_fields(x, a, v, missing, a->nfields, 0);
    case A_CHAIN:
    case A_PIPE:
        if ((rc = eval_pipe(x, a->pipe, dot, v)))
            return rc;
        *missing = v->k == GT_NIL;
        if (a->type == A_CHAIN)
            return walk_fields(x, a, v, missing, a->nfields, 0);
        return 0;
    case A_IDENT: {
        gt_cmd c = {a->pos, a->end, NULL, 0, NULL};
        return call_func(x, &c, a, NULL, 0, dot, NULL, v);
    }
    }
    return 0;
}

static const gt_func *fn_and, *fn_or;

static int call_func(gt_ctx *x, const gt_cmd *cmd, const gt_arg *fa, const gt_arg *args, int nargs,
                     const gt_val *dot, const gt_val *final, gt_val *res)
{
    const gt_func *fn = fa->fn;
    gt_val stackv[8], *argv = stackv;
    int argc = nargs + (final ? 1 : 0), rc = 0, i = 0, missing;

    memset(res, 0, sizeof(*res));
    if (++x->steps > GT_MAX_STEPS)
        return x_error(x, cmd->pos, cmd->end, "execution took more than %d steps", GT_MAX_STEPS);
    if (argc < fn->min || (fn->max >= 0 && argc > fn->max)) {
        if (fn->max == fn->min)
            return x_error(x, cmd->pos, cmd->end, "wrong number of args for %s: want %d got %d",
                           fa->name, fn->min, argc);
        return x_error(x, cmd->pos, cmd->end,
                       "wrong number of args for %s: want at least %d got %d", fa->name, fn->min,
                       argc);
    }
    /* and/or evaluate lazily */
    if (fn == fn_and || fn == fn_or) {
        for (const gt_arg *a = args; a; a = a->next) {
            if ((rc = eval_arg(x, a, dot, res, &missing)))
                return rc;
            if (gt_truth(res) != (fn == fn_and))
                return 0;
        }
        if (final)
            *res = *final;
        return 0;
    }
    if (argc > 8 && !(argv = gt_alloc(x, (size_t)argc * sizeof(*argv))))
        return x_error(x, cmd->pos, cmd->end, "out of memory");
    for (const gt_arg *a = args; a; a = a->next, i++)
        if ((rc = eval_arg(x, a, dot, &argv[i], &missing)))
            return rc;
    if (final)
        argv[i] = *final;
    x->fcode = 0;
    x->fmsg[0] = 0;
    rc = fn->fn(x, argv, argc, res);
    if (rc || x->fcode) {
        if (x->fcode != SL_EINVAL && (x->fcode == SL_ENOMEM || rc == SL_ENOMEM)) {
            x->fcode = SL_ENOMEM;
            return x_error(x, cmd->pos, cmd->end, "out of memory");
        }
        return x_error(x, cmd->pos, cmd->end, "error calling %s: %s", fa->name, x->fmsg);
    }
    return 0;
}

static int eval_cmd(gt_ctx *x, const gt_cmd *cmd, const gt_val *dot, const gt_val *final,
                    gt_val *res)
{
    const gt_arg *a = cmd->args;
    int missing, rc;

    if (a->type == A_IDENT)
        return call_func(x, cmd, a, a->next, cmd->nargs - 1, dot, final, res);
    if (a->type == A_NIL)
        return x_error(x, cmd->pos, cmd->end, "nil is not a command");
    if (a->type == A_FIELD && (cmd->nargs > 1 || final)) {
        gt_val v = *dot;
        missing = dot->k == GT_NIL;
        if ((rc = walk_fields(x, a, &v, &missing, a->nfields, 1)))
            return rc;
    }
    if (cmd->nargs > 1 || final) {
        return x_error(x, cmd->pos, cmd->end, "can't give argument to non-function %.*s",
                       (int)(a->end - a->pos > 40 ? 40 : a->end - a->pos), x->t->src + a->pos);
    }
    if ((rc = eval_arg(x, a, dot, res, &missing)))
        return rc;
    if (missing && res->k == GT_NIL)
        res->b = 1;
    return 0;
}

static int eval_pipe(gt_ctx *x, const gt_pipe *pp, const gt_val *dot, gt_val *res)
{
    gt_val v = {0};
    int rc, have = 0;

    for (const gt_cmd *c = pp->cmds; c; c = c->next) {
        gt_val nv;
        if ((rc = eval_cmd(x, c, dot, have ? &v : NULL, &nv)))
            return rc;
        v = nv;
        have = 1;
    }
    if (v.k == GT_NIL)
        v.b = 1; /* nil interface results become "no value", as Go's evalPipeline */
    for (int i = 0; i < pp->nvars; i++) {
        if (pp->decl == 1)
            rc = push_var(x, pp->vars[i], &v);
        else
            rc = set_var(x, pp->vars[i], &v);
        if (rc)
            return rc;
    }
    *res = v;
    return 0;
}

/* An action's output: "<no value>" for nil, %v otherwise. */
static int print_val(gt_ctx *x, const gt_node *n, const gt_val *v)
{
    int rc;

    if (v->k == GT_NIL)
        rc = sl_buf_puts(x->out, "<no value>");
    else if (v->k == GT_STR)
        rc = sl_buf_put(x->out, v->s, v->n);
    else
        rc = gt_fmt_v(x->out, v);
    if (rc)
        return x_error(x, n->pos, n->end,
                       rc == SL_ELIMIT ? "output larger than the buffer's cap, or a value nested "
                                         "deeper than 200 levels or with more than 1,000,000 nodes"
                                       : "out of memory");
    return 0;
}

static int exec_list(gt_ctx *x, const gt_node *n, const gt_val *dot);

/* {{range}} over a list, a map (sorted keys) or an int; the else branch
 * when nothing was iterated; break/continue; one step per iteration. */
static int exec_range(gt_ctx *x, const gt_node *n, const gt_val *dot)
{
    gt_pipe tmp = *n->pipe;
    gt_val v;
    int rc = 0;
    size_t mark = x->nvars;
    const gt_pipe *pp = n->pipe;

    tmp.nvars = 0; /* the declared variables are the range variables */
    if ((rc = eval_pipe(x, &tmp, dot, &v)))
        return rc;
    if (pp->decl == 1) {
        /* declare them once; each iteration assigns */
        gt_val nil = gt_mknil();
        for (int i = 0; i < pp->nvars; i++)
            if ((rc = push_var(x, pp->vars[i], &nil)))
                return rc;
    }
    size_t base = x->nvars;
    size_t count = 0;
    if (v.k == GT_LIST || v.k == GT_MAP || v.k == GT_INT) {
        cJSON **kids = NULL;
        size_t nk = 0;
        cJSON *c = NULL;
        if (v.k == GT_MAP) {
            kids = sorted_children(v.j, &nk);
            if (nk == (size_t)-1)
                return x_error(x, n->pos, n->end, "out of memory");
        } else if (v.k == GT_LIST) {
            c = v.j->child;
        } else {
            nk = v.i > 0 ? (size_t)v.i : 0;
        }
        for (size_t i = 0;; i++) {
            gt_val key, elem;
            if (v.k == GT_LIST) {
                if (!c)
                    break;
                key = gt_mkint((int64_t)i);
                elem = gt_from_json(c);
                c = c->next;
            } else if (v.k == GT_MAP) {
                if (i >= nk)
                    break;
                key = gt_mkstr(x, kids[i]->string, strlen(kids[i]->string));
                elem = gt_from_json(kids[i]);
            } else {
                if (i >= nk)
                    break;
                key = elem = gt_mkint((int64_t)i);
            }
            count++;
            if (++x->steps > GT_MAX_STEPS) {
                free(kids);
                return x_error(x, n->pos, n->end, "execution took more than %d steps",
                               GT_MAX_STEPS);
            }
            x->nvars = base;
            if (pp->nvars == 1) {
                rc = set_var(x, pp->vars[0], v.k == GT_INT ? &key : &elem);
            } else if (pp->nvars == 2) {
                if (v.k == GT_INT) {
                    free(kids);
                    return x_error(x, n->pos, n->end,
                                   "can't use %lld to iterate over more than one variable",
                                   (long long)v.i);
                }
                rc = set_var(x, pp->vars[0], &key);
                if (!rc)
                    rc = set_var(x, pp->vars[1], &elem);
            }
            if (!rc)
                rc = exec_list(x, n->list, &elem);
            if (rc)
                break;
            if (x->brk == 1) {
                x->brk = 0;
                break;
            }
            x->brk = 0;
        }
        free(kids);
        if (rc)
            return rc;
    } else if (v.k == GT_NIL) {
        /* nothing to iterate */
    } else {
        return x_error(x, n->pos, n->end, "range can't iterate over %s", gt_type_name(&v));
    }
    x->nvars = base;
    if (!count && n->elist)
        rc = exec_list(x, n->elist, dot);
    x->nvars = mark;
    return rc;
}

/* Execute one node with dot; every node costs a step of the budget. */
static int exec_node(gt_ctx *x, const gt_node *n, const gt_val *dot)
{
    gt_val v;
    int rc = 0;
    size_t mark;

    if (++x->steps > GT_MAX_STEPS)
        return x_error(x, n->pos, n->end, "execution took more than %d steps", GT_MAX_STEPS);
    switch (n->type) {
    case N_TEXT:
        rc = sl_buf_put(x->out, n->text, n->len);
        if (rc)
            return x_error(x, n->pos, 0,
                           rc == SL_ELIMIT ? "output larger than the buffer's cap"
                                           : "out of memory");
        return 0;
    case N_ACTION:
        if ((rc = eval_pipe(x, n->pipe, dot, &v)))
            return rc;
        if (n->pipe->nvars)
            return 0;
        return print_val(x, n, &v);
    case N_IF:
    case N_WITH:
        mark = x->nvars;
        if ((rc = eval_pipe(x, n->pipe, dot, &v)))
            return rc;
        if (gt_truth(&v))
            rc = exec_list(x, n->list, n->type == N_WITH ? &v : dot);
        else if (n->elist)
            rc = exec_list(x, n->elist, dot);
        x->nvars = mark;
        return rc;
    case N_RANGE:
        return exec_range(x, n, dot);
    case N_BREAK:
        x->brk = 1;
        return 0;
    case N_CONTINUE:
        x->brk = 2;
        return 0;
    case N_TEMPLATE: {
        const gt_tmpl *tm = NULL;
        gt_val arg = gt_mknil();
        arg.b = 1;
        for (size_t i = 0; i < x->t->ntmpls; i++)
            if (!strcmp(x->t->tmpls[i].name, n->name)) {
                tm = &x->t->tmpls[i];
                break;
            }
        if (!tm)
            return x_error(x, n->pos, n->end, "no such template \"%s\"", n->name);
        if (n->pipe && (rc = eval_pipe(x, n->pipe, dot, &arg)))
            return rc;
        if (++x->calls > GT_MAX_CALLS) {
            x->calls--;
            return x_error(x, n->pos, n->end, "exceeded maximum template depth (%d)", GT_MAX_CALLS);
        }
        /* $ = the argument; the callee's own variables shadow the caller's
         * (the parser only lets it name variables it declares) */
        size_t saved = x->nvars;
        const char *savedname = x->tname;
        if ((rc = push_var(x, "$", &arg)) == 0) {
            x->tname = tm->name;
            rc = exec_list(x, tm->body, &arg);
        }
        x->tname = savedname;
        x->nvars = saved;
        x->calls--;
        return rc;
    }
    }
    return 0;
}

static int exec_list(gt_ctx *x, const gt_node *n, const gt_val *dot)
{
    int rc;

    for (; n; n = n->next) {
        if ((rc = exec_node(x, n, dot)))
            return rc;
        if (x->brk)
            return 0;
    }
    return 0;
}

int sl_gotmpl_exec(const sl_gotmpl *t, const cJSON *data, sl_buf *out, sl_error *err)
{
    gt_ctx x;
    gt_val dot;
    int rc;
    union {
        gt_blk b;
        unsigned char bytes[sizeof(gt_blk) + GT_FIRST_BLOCK];
    } first;

    memset(&x, 0, offsetof(gt_ctx, vars0));
    x.vars = x.vars0;
    x.capvars = sizeof(x.vars0) / sizeof(x.vars0[0]);
    first.b.next = NULL;
    first.b.used = 0;
    first.b.cap = GT_FIRST_BLOCK;
    first.b.borrowed = 1;
    x.arena.head = &first.b;
    x.t = t;
    x.out = out;
    x.err = err;
    x.tname = t->tmpls[0].name;
    if (err)
        sl_error_clear(err);
    dot = gt_from_json(data);
    if (dot.k == GT_NIL)
        dot.b = 1;
    rc = push_var(&x, "$", &dot);
    if (!rc)
        rc = exec_list(&x, t->tmpls[0].body, &dot);
    if (rc && err && !err->code)
        err->code = rc;
    for (size_t i = 0; i < x.nowned; i++)
        cJSON_Delete(x.owned[i]);
    free(x.owned);
    if (x.vars != x.vars0)
        free(x.vars);
    arena_free(&x.arena);
    return rc;
}

/* -------------------------------------------------------- Go builtins */

/* A scratch buffer failed: its cap (GT_MAX_STR) or memory. */
static int buf_fail(gt_ctx *x, int rc)
{
    if (rc == SL_ELIMIT)
        return gt_fail(x, "result larger than %zu MiB", GT_MAX_STR >> 20);
    return gt_nomem(x);
}

static int f_and(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    (void)x;
    for (int i = 0; i < argc; i++)
        if (!gt_truth(&argv[i]) || i == argc - 1) {
            *res = argv[i];
            break;
        }
    return 0;
}

static int f_or(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    (void)x;
    for (int i = 0; i < argc; i++)
        if (gt_truth(&argv[i]) || i == argc - 1) {
            *res = argv[i];
            break;
        }
    return 0;
}

static int f_not(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    *res = gt_mkbool(!gt_truth(&argv[0]));
    return 0;
}

static int f_len(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    long n = gt_len(&argv[0]);
    if (n < 0)
        return argv[0].k == GT_NIL ? gt_fail(x, "len of nil pointer")
                                   : gt_fail(x, "len of type %s", gt_type_name(&argv[0]));
    *res = gt_mkint(n);
    return 0;
}

/* index ITEM KEYS...: lists and strings by int, maps by string key (a
 * missing key is nil). */
static int f_index(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    gt_val v = argv[0];

    if (v.k == GT_NIL)
        return gt_fail(x, "index of untyped nil");
    for (int i = 1; i < argc; i++) {
        const gt_val *ix = &argv[i];
        if (v.k == GT_LIST || v.k == GT_STR) {
            long n = gt_len(&v);
            if (ix->k != GT_INT)
                return gt_fail(x, "cannot index slice/array with type %s", gt_type_name(ix));
            if (ix->i < 0 || ix->i >= n)
                return gt_fail(x, "index out of range: %lld", (long long)ix->i);
            if (v.k == GT_STR)
                v = gt_mkint((unsigned char)v.s[ix->i]);
            else
                v = gt_list_at(&v, (size_t)ix->i);
        } else if (v.k == GT_MAP) {
            if (ix->k != GT_STR)
                return ix->k == GT_NIL
                           ? gt_fail(x, "value is nil; should be of type string")
                           : gt_fail(x, "value has type %s; should be string", gt_type_name(ix));
            v = gt_from_json(cJSON_GetObjectItemCaseSensitive(v.j, ix->s));
        } else if (v.k == GT_NIL) {
            return gt_fail(x, "index of nil pointer");
        } else {
            return gt_fail(x, "can't index item of type %s", gt_type_name(&v));
        }
    }
    *res = v;
    return 0;
}

/* slice ITEM [i [j [k]]] on lists and strings, with Go's bounds checks. */
static int f_slice(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    gt_val v = argv[0];
    int64_t idx[3] = {0, 0, 0};
    long n;

    if (v.k != GT_LIST && v.k != GT_STR)
        return v.k == GT_NIL ? gt_fail(x, "slice of untyped nil")
                             : gt_fail(x, "can't slice item of type %s", gt_type_name(&v));
    n = gt_len(&v);
    if (argc > 4)
        return gt_fail(x, "too many slice indexes: %d", argc - 1);
    if (v.k == GT_STR && argc == 4)
        return gt_fail(x, "cannot 3-index slice a string");
    idx[1] = n;
    idx[2] = n;
    for (int i = 1; i < argc; i++) {
        if (argv[i].k != GT_INT)
            return gt_fail(x, "cannot index slice/array with type %s", gt_type_name(&argv[i]));
        if (argv[i].i < 0 || argv[i].i > n)
            return gt_fail(x, "index out of range: %lld", (long long)argv[i].i);
        idx[i - 1] = argv[i].i;
    }
    if (idx[0] > idx[1])
        return gt_fail(x, "invalid slice index: %lld > %lld", (long long)idx[0], (long long)idx[1]);
    if (argc == 4 && idx[1] > idx[2])
        return gt_fail(x, "invalid slice index: %lld > %lld", (long long)idx[1], (long long)idx[2]);
    if (v.k == GT_STR) {
        *res = gt_mkstr(x, v.s + idx[0], (size_t)(idx[1] - idx[0]));
        return 0;
    }
    if (gt_newlist(x, res))
        return SL_ENOMEM;
    int64_t i = 0;
    for (cJSON *c = v.j->child; c && i < idx[1]; c = c->next, i++) {
        if (i < idx[0])
            continue;
        gt_val e = gt_from_json(c);
        cJSON *j = gt_to_json(x, &e);
        if (!j)
            return SL_ENOMEM;
        cJSON_AddItemToArray(res->j, j);
    }
    return 0;
}

static int f_print(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    sl_buf b = GT_BUF_INIT;
    int rc = gt_sprint(&b, argv, argc);
    if (rc) {
        sl_buf_free(&b);
        return buf_fail(x, rc);
    }
    *res = gt_bufstr(x, &b);
    sl_buf_free(&b);
    return 0;
}

/* println: operands separated by spaces, then a newline (fmt.Sprintln). */
static int f_println(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    sl_buf b = GT_BUF_INIT;
    int rc = 0;
    for (int i = 0; i < argc && !rc; i++) {
        if (i)
            rc = sl_buf_putc(&b, ' ');
        if (!rc)
            rc = gt_fmt_v(&b, &argv[i]);
    }
    if (!rc)
        rc = sl_buf_putc(&b, '\n');
    if (rc) {
        sl_buf_free(&b);
        return buf_fail(x, rc);
    }
    *res = gt_bufstr(x, &b);
    sl_buf_free(&b);
    return 0;
}

/* printf FORMAT ARGS...: fmt.Sprintf. */
static int f_printf(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    sl_buf b = GT_BUF_INIT;
    const char *f = NULL;
    size_t fn = 0;
    int rc;

    if (gt_arg_str(x, &argv[0], &f, &fn))
        return SL_EINVAL;
    rc = gt_sprintf(&b, f, fn, argv + 1, argc - 1);
    if (rc) {
        sl_buf_free(&b);
        return buf_fail(x, rc);
    }
    *res = gt_bufstr(x, &b);
    sl_buf_free(&b);
    return 0;
}

/* Go's basicKind classes for comparisons. */
enum { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STR, K_OTHER };

static int basic_kind(const gt_val *v)
{
    switch (v->k) {
    case GT_BOOL:
        return K_BOOL;
    case GT_INT:
        return K_INT;
    case GT_FLOAT:
        return K_FLOAT;
    case GT_STR:
        return K_STR;
    case GT_NIL:
        return K_INVALID;
    default:
        return K_OTHER;
    }
}

/* eq of two values: 1/0, or -1 with the error set. */
static int eq2(gt_ctx *x, const gt_val *a, const gt_val *b)
{
    int ka = basic_kind(a), kb = basic_kind(b);

    if (ka != kb) {
        if (ka != K_INVALID && kb != K_INVALID)
            return gt_fail(x, "incompatible types for comparison"), -1;
        return 0;
    }
    switch (ka) {
    case K_INVALID:
        return 1;
    case K_BOOL:
        return a->b == b->b;
    case K_INT:
        return a->i == b->i;
    case K_FLOAT:
        return a->f == b->f;
    case K_STR:
        return a->n == b->n && !memcmp(a->s, b->s, a->n);
    default:
        gt_fail(x, "non-comparable type %s", gt_type_name(a));
        return -1;
    }
}

/* eq A B...: true when A equals any of B. */
static int f_eq(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    if (argc < 2)
        return gt_fail(x, "missing argument for comparison");
    for (int i = 1; i < argc; i++) {
        int r = eq2(x, &argv[0], &argv[i]);
        if (r < 0)
            return SL_EINVAL;
        if (r) {
            *res = gt_mkbool(1);
            return 0;
        }
    }
    *res = gt_mkbool(0);
    return 0;
}

static int f_ne(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    int r = eq2(x, &argv[0], &argv[1]);
    if (r < 0)
        return SL_EINVAL;
    *res = gt_mkbool(!r);
    return 0;
}

/* lt of two values: 1/0, or -1 with the error set. */
static int lt2(gt_ctx *x, const gt_val *a, const gt_val *b)
{
    int ka = basic_kind(a), kb = basic_kind(b);

    if (ka == K_INVALID || kb == K_INVALID || ka == K_BOOL || kb == K_BOOL || ka == K_OTHER ||
        kb == K_OTHER)
        return gt_fail(x, "invalid type for comparison"), -1;
    if (ka != kb)
        return gt_fail(x, "incompatible types for comparison"), -1;
    switch (ka) {
    case K_INT:
        return a->i < b->i;
    case K_FLOAT:
        return a->f < b->f;
    default: {
        size_t n = a->n < b->n ? a->n : b->n;
        int c = memcmp(a->s, b->s, n);
        return c < 0 || (c == 0 && a->n < b->n);
    }
    }
}

static int f_lt(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    int r = lt2(x, &argv[0], &argv[1]);
    if (r < 0)
        return SL_EINVAL;
    *res = gt_mkbool(r);
    return 0;
}

static int f_le(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    int r = lt2(x, &argv[0], &argv[1]);
    if (r < 0)
        return SL_EINVAL;
    if (!r && (r = eq2(x, &argv[0], &argv[1])) < 0)
        return SL_EINVAL;
    *res = gt_mkbool(r);
    return 0;
}

static int f_gt(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    int r = lt2(x, &argv[0], &argv[1]), e;
    if (r < 0)
        return SL_EINVAL;
    if ((e = eq2(x, &argv[0], &argv[1])) < 0)
        return SL_EINVAL;
    *res = gt_mkbool(!r && !e);
    return 0;
}

static int f_ge(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    int r = lt2(x, &argv[0], &argv[1]);
    if (r < 0)
        return SL_EINVAL;
    *res = gt_mkbool(!r);
    return 0;
}

/* The operands as one string the way Go's html/js/urlquery evaluate
 * them: a single string is used as is, otherwise fmt.Sprint. */
static int escape_arg(gt_ctx *x, gt_val *argv, int argc, sl_buf *b)
{
    int rc = gt_sprint(b, argv, argc);
    if (rc)
        return buf_fail(x, rc);
    if (!b->ptr && sl_buf_puts(b, ""))
        return gt_nomem(x);
    return 0;
}

/* html: Go's HTMLEscapeString of the operands. */
static int f_html(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    sl_buf in = GT_BUF_INIT, b = GT_BUF_INIT;
    int rc = escape_arg(x, argv, argc, &in);

    for (size_t i = 0; !rc && i < in.len; i++) {
        switch (in.ptr[i]) {
        case '<':
            rc = sl_buf_puts(&b, "&lt;");
            break;
        case '>':
            rc = sl_buf_puts(&b, "&gt;");
            break;
        case '&':
            rc = sl_buf_puts(&b, "&amp;");
            break;
        case '"':
            rc = sl_buf_puts(&b, "&#34;");
            break;
        case '\'':
            rc = sl_buf_puts(&b, "&#39;");
            break;
        case 0:
            rc = sl_buf_puts(&b, "\xef\xbf\xbd");
            break;
        default:
            rc = sl_buf_putc(&b, in.ptr[i]);
        }
    }
    if (!rc)
        *res = gt_bufstr(x, &b);
    sl_buf_free(&in);
    sl_buf_free(&b);
    return rc ? buf_fail(x, rc) : 0;
}

/* js: Go's JSEscapeString of the operands. */
static int f_js(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    sl_buf in = GT_BUF_INIT, b = GT_BUF_INIT;
    int rc = escape_arg(x, argv, argc, &in);

    for (size_t i = 0; !rc && i < in.len;) {
        unsigned cp;
        size_t l = utf8_dec((const unsigned char *)in.ptr + i, in.len - i, &cp);
        switch (cp) {
        case '\\':
            rc = sl_buf_puts(&b, "\\\\");
            break;
        case '\'':
            rc = sl_buf_puts(&b, "\\'");
            break;
        case '"':
            rc = sl_buf_puts(&b, "\\\"");
            break;
        case '<':
            rc = sl_buf_puts(&b, "\\u003C");
            break;
        case '>':
            rc = sl_buf_puts(&b, "\\u003E");
            break;
        case '&':
            rc = sl_buf_puts(&b, "\\u0026");
            break;
        case '=':
            rc = sl_buf_puts(&b, "\\u003D");
            break;
        default:
            if (cp < 0x20 || !go_isprint(cp))
                rc = sl_buf_printf(&b, "\\u%04X", cp);
            else
                rc = sl_buf_put(&b, in.ptr + i, l);
        }
        i += l;
    }
    if (!rc)
        *res = gt_bufstr(x, &b);
    sl_buf_free(&in);
    sl_buf_free(&b);
    return rc ? buf_fail(x, rc) : 0;
}

/* urlquery: Go's url.QueryEscape of the operands. */
static int f_urlquery(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    sl_buf in = GT_BUF_INIT, b = GT_BUF_INIT;
    int rc = escape_arg(x, argv, argc, &in);

    for (size_t i = 0; !rc && i < in.len; i++) {
        unsigned char c = (unsigned char)in.ptr[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            rc = sl_buf_putc(&b, (char)c);
        else if (c == ' ')
            rc = sl_buf_putc(&b, '+');
        else
            rc = sl_buf_printf(&b, "%%%02X", c);
    }
    if (!rc)
        *res = gt_bufstr(x, &b);
    sl_buf_free(&in);
    sl_buf_free(&b);
    return rc ? buf_fail(x, rc) : 0;
}

static int f_call(gt_ctx *x, gt_val *argv, int argc, gt_val *res)
{
    return gt_fail(x, "call is not supported (templates here have no function values)");
}

/* Sorted by name for bsearch. */
static const gt_func builtins[] = {
    {"and", f_and, 1, -1},
    {"call", f_call, 1, -1},
    {"eq", f_eq, 1, -1},
    {"ge", f_ge, 2, 2},
    {"gt", f_gt, 2, 2},
    {"html", f_html, 0, -1},
    {"index", f_index, 1, -1},
    {"js", f_js, 0, -1},
    {"le", f_le, 2, 2},
    {"len", f_len, 1, 1},
    {"lt", f_lt, 2, 2},
    {"ne", f_ne, 2, 2},
    {"not", f_not, 1, 1},
    {"or", f_or, 1, -1},
    {"print", f_print, 0, -1},
    {"printf", f_printf, 1, -1},
    {"println", f_println, 0, -1},
    {"slice", f_slice, 1, -1},
    {"urlquery", f_urlquery, 0, -1},
};

static const gt_func *fn_and = &builtins[0], *fn_or = &builtins[13];

const gt_func *gt_table_find(const gt_func *tab, size_t ntab, const char *name, size_t n)
{
    size_t lo = 0, hi = ntab;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(tab[mid].name, name, n);
        if (c == 0 && tab[mid].name[n])
            c = 1;
        if (c == 0)
            return &tab[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const gt_func *gt_builtin_lookup(const char *name, size_t n)
{
    return gt_table_find(builtins, sizeof(builtins) / sizeof(builtins[0]), name, n);
}
