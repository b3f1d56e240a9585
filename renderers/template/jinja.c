/* jinja.c: a Jinja2 / Nunjucks template engine. The template is parsed
 * once into a tree (allocated in the template's arena) and rendered by a
 * tree walk whose temporaries live in a per-render arena, so no value is
 * freed one by one. Values from the context are borrowed cJSON nodes. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja.h"
#include "jinja_int.h"

/* ------------------------------------------------------------------ arena */

#define ARENA_CHUNK ((size_t)64 << 10)

typedef struct achunk {
    struct achunk *next;
    size_t used, cap;
    max_align_t data[];
} achunk;

void *jn_alloc(jn_arena *a, size_t n)
{
    achunk *c = a->head;
    size_t need = (n + 15) & ~(size_t)15;

    if (!c || c->cap - c->used < need) {
        size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
        if (a->total + cap > a->max) {
            a->overflow = 1;
            return NULL;
        }
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
        a->total += cap;
    }
    void *p = (char *)c->data + c->used;
    c->used += need;
    return p;
}

char *jn_strndup(jn_arena *a, const char *s, size_t n)
{
    char *p = jn_alloc(a, n + 1);

    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* Empty the arena for the next render. When the last render needed more
 * than one chunk, the next one gets a single chunk of that size (up to
 * 8 MiB), so repeated renders of one template stop allocating. */
void jn_arena_reset(jn_arena *a)
{
    achunk *c = a->head;
    size_t used = 0;

    for (achunk *x = c; x; x = x->next)
        used += x->used;
    if (c && !c->next) {
        c->used = 0;
    } else if (c) {
        size_t cap = used > ((size_t)8 << 20) ? ((size_t)8 << 20) : used;
        jn_arena_free(a);
        if (cap < ARENA_CHUNK)
            cap = ARENA_CHUNK;
        if ((c = malloc(sizeof(*c) + cap))) {
            c->used = 0;
            c->cap = cap;
            c->next = NULL;
            a->head = c;
            a->total = cap;
        }
    }
    a->overflow = 0;
}

void jn_arena_free(jn_arena *a)
{
    achunk *c = a->head;

    while (c) {
        achunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}

/* ------------------------------------------------------------------ lexer */

enum { T_EOF, T_NAME, T_INT, T_FLOAT, T_STR, T_OP, T_END };
enum { TAG_NONE, TAG_VAR, TAG_BLOCK };

typedef struct tok {
    int t;
    const char *p; /* NAME / OP text in the source */
    size_t n;
    int line, col;
    int64_t i;
    double f;
    char *s; /* decoded string (template arena) */
    size_t sn;
    int strip; /* T_END: '-' before the closing delimiter */
} tok;

typedef struct P {
    sl_jinja *t;
    const char *s;
    size_t len, pos;
    int line, col; /* of pos */
    sl_error *err;
    int nj, bs;
    int tag;
    int bal; /* bracket balance inside a tag */
    int lstrip_next;
    int depth;
    int tline, tcol; /* where the current tag's {% starts */
    char **itab;     /* interned names (open addressing), so scopes compare pointers */
    size_t icap, in;
    tok cur;
} P;

static int p_line(const P *p, int line)
{
    return line + (p->t->o.line > 1 ? p->t->o.line - 1 : 0);
}

static int p_col(const P *p, int line, int col)
{
    return line == 1 && p->t->o.col > 1 ? col + p->t->o.col - 1 : col;
}

static int p_failat(P *p, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int p_failat(P *p, int line, int col, const char *fmt, ...)
{
    char msg[SL_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sl_error_setpos(p->err, SL_EINVAL, p->t->file, p_line(p, line), p_col(p, line, col),
                           "%s", msg);
}

static int p_oom(P *p)
{
    if (p->t->ar.overflow)
        return sl_error_set(p->err, SL_ELIMIT, "template too large");
    return sl_error_set(p->err, SL_ENOMEM, "out of memory");
}

static void p_adv(P *p, size_t n)
{
    const char *s = p->s + p->pos, *e = s + n;

    while (s < e) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        if (!nl) {
            p->col += (int)(e - s);
            break;
        }
        p->line++;
        p->col = 1;
        s = nl + 1;
    }
    p->pos += n;
}

static int at(const P *p, const char *lit)
{
    size_t n = strlen(lit);
    return p->len - p->pos >= n && !memcmp(p->s + p->pos, lit, n);
}

static const char *tok_desc(const tok *k, char *buf, size_t n)
{
    switch (k->t) {
    case T_EOF:
        return "end of template";
    case T_END:
        return "end of tag";
    case T_STR:
        return "a string";
    case T_INT:
    case T_FLOAT:
        return "a number";
    default:
        snprintf(buf, n, "'%.*s'", (int)(k->n > 40 ? 40 : k->n), k->p);
        return buf;
    }
}

static int lex_string(P *p, tok *k)
{
    char q = p->s[p->pos];
    sl_buf b = SL_BUF_INIT;
    size_t i = p->pos + 1;
    int rc = 0;

    while (i < p->len && p->s[i] != q) {
        char c = p->s[i];
        if (c == '\\' && i + 1 < p->len) {
            char e = p->s[++i];
            if (p->nj) {
                c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
            } else {
                switch (e) {
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case 'r': c = '\r'; break;
                case '\\': c = '\\'; break;
                case '\'': c = '\''; break;
                case '"': c = '"'; break;
                case '0': c = 0; break;
                case 'a': c = '\a'; break;
                case 'b': c = '\b'; break;
                case 'f': c = '\f'; break;
                case 'v': c = '\v'; break;
                case '\n': i++; continue;
                default:
                    /* Python keeps unknown escapes as written */
                    if (sl_buf_putc(&b, '\\'))
                        rc = p_oom(p);
                    c = e;
                }
            }
        }
        if (!rc && sl_buf_putc(&b, c))
            rc = p_oom(p);
        if (rc)
            goto out;
        i++;
    }
    if (i >= p->len) {
        rc = p_failat(p, p->line, p->col, "unterminated string; expected a closing %c", q);
        goto out;
    }
    k->t = T_STR;
    k->sn = b.len;
    if (!(k->s = jn_strndup(&p->t->ar, b.ptr ? b.ptr : "", b.len))) {
        rc = p_oom(p);
        goto out;
    }
    p_adv(p, i + 1 - p->pos);
out:
    sl_buf_free(&b);
    return rc;
}

/* Read the next token of the current tag into p->cur. */
static int lex(P *p)
{
    tok *k = &p->cur;
    const char *s;

    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]))
        p_adv(p, 1);
    memset(k, 0, sizeof(*k));
    k->line = p->line;
    k->col = p->col;
    k->p = p->s + p->pos;
    if (p->pos >= p->len) {
        k->t = T_EOF;
        return 0;
    }
    s = p->s + p->pos;
    if (p->bal == 0) {
        const char *end = p->tag == TAG_VAR ? "}}" : "%}";
        if (at(p, end) || (s[0] == '-' && p->len - p->pos >= 3 && !memcmp(s + 1, end, 2))) {
            k->t = T_END;
            k->strip = s[0] == '-';
            k->n = k->strip ? 3 : 2;
            p_adv(p, k->n);
            return 0;
        }
    }
    if (isalpha((unsigned char)s[0]) || s[0] == '_') {
        size_t n = 1;
        while (p->pos + n < p->len && (isalnum((unsigned char)s[n]) || s[n] == '_'))
            n++;
        k->t = T_NAME;
        k->n = n;
        p_adv(p, n);
        return 0;
    }
    if (isdigit((unsigned char)s[0])) {
        size_t n = 0;
        int isf = 0;
        char num[64];
        while (p->pos + n < p->len && isdigit((unsigned char)s[n]))
            n++;
        if (p->pos + n + 1 < p->len && s[n] == '.' && isdigit((unsigned char)s[n + 1])) {
            isf = 1;
            n++;
            while (p->pos + n < p->len && isdigit((unsigned char)s[n]))
                n++;
        }
        if (!p->nj && p->pos + n < p->len && (s[n] == 'e' || s[n] == 'E')) {
            size_t m = n + 1;
            if (p->pos + m < p->len && (s[m] == '+' || s[m] == '-'))
                m++;
            if (p->pos + m < p->len && isdigit((unsigned char)s[m])) {
                isf = 1;
                n = m;
                while (p->pos + n < p->len && isdigit((unsigned char)s[n]))
                    n++;
            }
        }
        if (n >= sizeof(num))
            return p_failat(p, k->line, k->col, "number too long");
        memcpy(num, s, n);
        num[n] = 0;
        k->n = n;
        if (isf || p->nj) {
            k->t = T_FLOAT;
            k->f = strtod(num, NULL);
        } else {
            char *endp;
            k->t = T_INT;
            errno = 0;
            k->i = strtoll(num, &endp, 10);
            if (errno)
                return p_failat(p, k->line, k->col, "integer %s is too large", num);
        }
        p_adv(p, n);
        return 0;
    }
    if (s[0] == '"' || s[0] == '\'')
        return lex_string(p, k);
    {
        static const char *const ops[] = {"===", "!==", "**", "//", "==", "!=", "<=", ">=", NULL};
        k->t = T_OP;
        for (size_t i = 0; ops[i]; i++)
            if (at(p, ops[i]) && (p->nj || ops[i][2] == 0)) {
                k->n = strlen(ops[i]);
                p_adv(p, k->n);
                return 0;
            }
        if (!strchr("+-*/%~<>=()[]{},.:|!", s[0]))
            return p_failat(p, k->line, k->col, "unexpected character '%c' in tag", s[0]);
        if (strchr("([{", s[0]))
            p->bal++;
        else if (strchr(")]}", s[0]) && p->bal > 0)
            p->bal--;
        k->n = 1;
        p_adv(p, 1);
        return 0;
    }
}

static int is_op(const P *p, const char *op)
{
    size_t n = strlen(op);
    return p->cur.t == T_OP && p->cur.n == n && !memcmp(p->cur.p, op, n);
}

static int is_name(const P *p, const char *name)
{
    size_t n = strlen(name);
    return p->cur.t == T_NAME && p->cur.n == n && !memcmp(p->cur.p, name, n);
}

static int expect_op(P *p, const char *op, const char *what)
{
    char b[64];
    if (!is_op(p, op))
        return p_failat(p, p->cur.line, p->cur.col, "expected '%s' %s, got %s", op, what,
                        tok_desc(&p->cur, b, sizeof(b)));
    return lex(p);
}

static int expect_end(P *p, const char *what)
{
    char b[64];
    if (p->cur.t != T_END)
        return p_failat(p, p->cur.line, p->cur.col, "expected end of %s tag ('%s'), got %s",
                        what, p->tag == TAG_VAR ? "}}" : "%}", tok_desc(&p->cur, b, sizeof(b)));
    p->lstrip_next = p->cur.strip;
    p->tag = TAG_NONE;
    return 0;
}

/* ----------------------------------------------------------------- parser */

static jnode *nnew(P *p, int kind, int line, int col)
{
    jnode *n = jn_alloc(&p->t->ar, sizeof(*n));
    if (n) {
        memset(n, 0, sizeof(*n));
        n->kind = (uint8_t)kind;
        n->line = p_line(p, line);
        n->col = p_col(p, line, col);
    }
    return n;
}

/* One copy of every identifier, so that variables compare by pointer. */
static char *intern(P *p, const char *s, size_t n)
{
    size_t h = 5381, i;

    if (p->in * 2 >= p->icap) {
        size_t ncap = p->icap ? p->icap * 2 : 256;
        char **nt = calloc(ncap, sizeof(*nt));
        if (!nt)
            return NULL;
        for (size_t k = 0; k < p->icap; k++) {
            if (!p->itab[k])
                continue;
            size_t hh = 5381;
            for (const char *c = p->itab[k]; *c; c++)
                hh = hh * 33 + (unsigned char)*c;
            for (i = hh & (ncap - 1); nt[i]; i = (i + 1) & (ncap - 1))
                ;
            nt[i] = p->itab[k];
        }
        free(p->itab);
        p->itab = nt;
        p->icap = ncap;
    }
    for (size_t k = 0; k < n; k++)
        h = h * 33 + (unsigned char)s[k];
    for (i = h & (p->icap - 1); p->itab[i]; i = (i + 1) & (p->icap - 1))
        if (!strncmp(p->itab[i], s, n) && p->itab[i][n] == 0)
            return p->itab[i];
    if (!(p->itab[i] = jn_strndup(&p->t->ar, s, n)))
        return NULL;
    p->in++;
    return p->itab[i];
}

static char *tok_name(P *p)
{
    return intern(p, p->cur.p, p->cur.n);
}

static int p_expr(P *p, int nocond, jnode **out);
static int p_unary(P *p, int filters, jnode **out);

/* Names a statement binds: set/for targets, macro names and parameters,
 * call-block parameters (bound[] is a pointer set of interned names). */
typedef struct nameset {
    const char **v;
    size_t n, cap;
} nameset;

static int ns_add(nameset *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == name)
            return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        const char **nv = realloc(s->v, cap * sizeof(*nv));
        if (!nv)
            return SL_ENOMEM;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = name;
    return 0;
}

static int ns_has(const nameset *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == name)
            return 1;
    return 0;
}

static int collect_bound(const jnode *n, nameset *s)
{
    for (; n; n = n->next) {
        const jnode *x;
        switch (n->kind) {
        case N_SET:
        case N_SETBLOCK:
        case N_FOR:
        case N_WITH:
            for (x = n->targets; x; x = x->next)
                if (x->name && ns_add(s, x->name))
                    return SL_ENOMEM;
            break;
        case N_MACRO:
        case N_CALLBLOCK:
            if (n->kind == N_MACRO && n->name && ns_add(s, n->name))
                return SL_ENOMEM;
            for (x = n->args; x; x = x->next)
                if (x->name && ns_add(s, x->name))
                    return SL_ENOMEM;
            break;
        default:
            break;
        }
        if ((n->a && collect_bound(n->a, s)) || (n->b && collect_bound(n->b, s)) ||
            (n->c && collect_bound(n->c, s)) || (n->d && collect_bound(n->d, s)) ||
            (n->kind != N_MACRO && n->kind != N_CALLBLOCK && n->args &&
             collect_bound(n->args, s)) ||
            (n->kwargs && collect_bound(n->kwargs, s)))
            return SL_ENOMEM;
    }
    return 0;
}

static void set_unbound(jnode *n, const nameset *s)
{
    for (; n; n = n->next) {
        if (n->kind == N_NAME)
            n->unbound = !ns_has(s, n->name);
        if (n->a)
            set_unbound(n->a, s);
        if (n->b)
            set_unbound(n->b, s);
        if (n->c)
            set_unbound(n->c, s);
        if (n->d)
            set_unbound(n->d, s);
        if (n->args)
            set_unbound(n->args, s);
        if (n->kwargs)
            set_unbound(n->kwargs, s);
    }
}

/* The names a frame's own statements bind: sets, set-block targets and
 * macro definitions in body, through if/elif/else; not into nested for
 * bodies or a for's else, macros or call blocks (their own frames), nor in
 * Jinja2 into set- and filter-block bodies (their own frames there; in
 * Nunjucks they run in the enclosing frame). */
static int frame_binds(const jnode *n, int nj, nameset *s)
{
    for (; n; n = n->next) {
        switch (n->kind) {
        case N_SET:
        case N_SETBLOCK:
            for (const jnode *x = n->targets; x; x = x->next)
                if (x->name && ns_add(s, x->name))
                    return SL_ENOMEM;
            if (n->kind == N_SETBLOCK && nj && frame_binds(n->b, nj, s))
                return SL_ENOMEM;
            break;
        case N_MACRO:
            if (n->name && ns_add(s, n->name))
                return SL_ENOMEM;
            break;
        case N_IF:
            if (frame_binds(n->b, nj, s) || frame_binds(n->c, nj, s))
                return SL_ENOMEM;
            break;
        case N_FILTERBLOCK:
            if (nj && frame_binds(n->b, nj, s))
                return SL_ENOMEM;
            break;
        default:
            break;
        }
    }
    return 0;
}

/* A static scope while resolving names: the render's root frame, a for
 * loop's frame (owner), a frame of its own (a for's else; in Jinja2 a set-
 * or filter-block body), or a macro / call-block body (barrier: its frame's
 * parent is where the macro was defined, so nothing beyond it is static). */
typedef struct rscope {
    const jnode *owner; /* a for loop's frame */
    int barrier;
    int root;      /* the render's root frame */
    nameset binds;
    nameset order; /* the root: root_order() */
    const struct rscope *up;
} rscope;

static int resolve_list(P *p, jnode *n, const rscope *sc);
static int resolve_own(P *p, jnode *body, const rscope *sc);

/* The order in which the root frame's first names are bound, where that is
 * certain: the top-level sets, set blocks and macro definitions up to the
 * first statement that may or may not bind something (an if; in Nunjucks a
 * set or filter block with sets inside). */
static int root_order(const jnode *n, int nj, nameset *order)
{
    nameset tmp = {0};
    int rc = 0;

    for (; n && !rc; n = n->next) {
        tmp.n = 0;
        switch (n->kind) {
        case N_TEXT:
        case N_OUTPUT:
        case N_SETATTR:
            continue;
        case N_SET:
        case N_SETBLOCK:
            if (n->kind == N_SETBLOCK && nj && ((rc = frame_binds(n->b, nj, &tmp)) || tmp.n))
                goto out;
            for (const jnode *x = n->targets; x && !rc; x = x->next)
                rc = ns_add(order, x->name);
            continue;
        case N_MACRO:
            rc = ns_add(order, n->name);
            continue;
        case N_FOR:
        case N_CALLBLOCK:
        case N_WITH:
            continue;
        case N_FILTERBLOCK:
            if (nj && ((rc = frame_binds(n->b, nj, &tmp)) || tmp.n))
                goto out;
            continue;
        default:
            goto out;
        }
    }
out:
    free(tmp.v);
    return rc;
}

static void resolve_name(P *p, jnode *n, const rscope *sc)
{
    unsigned d = 0;

    for (; sc && !sc->barrier; sc = sc->up, d++) {
        if (!ns_has(&sc->binds, n->name))
            continue;
        if (d >= 254)
            return;
        n->rdepth = (uint8_t)(d + 1);
        if (sc->root) {
            /* the root frame: a slot where the binding order is certain */
            for (size_t i = 0; i < sc->order.n && i < 254; i++)
                if (sc->order.v[i] == n->name)
                    n->rslot = (uint8_t)(i + 1);
        } else if (sc->owner) {
            /* a for loop's frame: its targets first, in order, then loop */
            unsigned i = 0;
            const jnode *x;
            for (x = sc->owner->targets; x && x->name != n->name; x = x->next)
                i++;
            if (x || n->name == p->t->s_loop) {
                if (!x && sc->owner->targets && sc->owner->targets->next && p->nj)
                    return; /* nunjucks object pairs: only two targets are bound */
                if (i < 254)
                    n->rslot = (uint8_t)(i + 1);
            }
        }
        return;
    }
}

/* Resolve the statements of body in a frame of its own under sc. */
static int resolve_own(P *p, jnode *body, const rscope *sc)
{
    rscope in = {.up = sc};
    int rc;

    if (!body)
        return 0;
    rc = frame_binds(body, p->nj, &in.binds) || resolve_list(p, body, &in) ? SL_ENOMEM : 0;
    free(in.binds.v);
    return rc;
}

/* Resolve the names of an expression or statement n (and its next's) in
 * scope sc. */
static int resolve_list(P *p, jnode *n, const rscope *sc)
{
    for (; n; n = n->next) {
        switch (n->kind) {
        case N_NAME:
            resolve_name(p, n, sc);
            if (n->a && resolve_list(p, n->a, sc)) /* a macro parameter's default */
                return SL_ENOMEM;
            break;
        case N_FOR: {
            rscope in = {.owner = n, .up = sc};
            int rc = 0;
            for (const jnode *x = n->targets; x && !rc; x = x->next)
                rc = ns_add(&in.binds, x->name);
            if (rc || ns_add(&in.binds, p->t->s_loop) || frame_binds(n->b, p->nj, &in.binds) ||
                resolve_list(p, n->a, sc) || resolve_list(p, n->d, &in) ||
                resolve_list(p, n->b, &in) || resolve_own(p, n->c, sc)) {
                free(in.binds.v);
                return SL_ENOMEM;
            }
            free(in.binds.v);
            break;
        }
        case N_SETBLOCK:
        case N_FILTERBLOCK:
            if (p->nj)
                goto generic;
            /* Jinja2: the body has a frame of its own */
            if (resolve_list(p, n->targets, sc) || resolve_list(p, n->d, sc) ||
                resolve_own(p, n->b, sc))
                return SL_ENOMEM;
            break;
        case N_WITH: {
            /* the values in the enclosing scope; the targets and the body's
             * own sets in the with's frame */
            rscope in = {.up = sc};
            int rc = resolve_list(p, n->args, sc);
            for (const jnode *x = n->targets; x && !rc; x = x->next)
                rc = ns_add(&in.binds, x->name);
            if (rc || frame_binds(n->b, p->nj, &in.binds) || resolve_list(p, n->b, &in)) {
                free(in.binds.v);
                return SL_ENOMEM;
            }
            free(in.binds.v);
            break;
        }
        case N_MACRO:
        case N_CALLBLOCK: {
            rscope in = {.barrier = 1, .up = sc};
            if ((n->kind == N_CALLBLOCK && resolve_list(p, n->a, sc)) ||
                resolve_list(p, n->args, &in) || resolve_list(p, n->b, &in))
                return SL_ENOMEM;
            break;
        }
        default:
        generic:
            if (resolve_list(p, n->a, sc) || resolve_list(p, n->b, sc) ||
                resolve_list(p, n->c, sc) || resolve_list(p, n->d, sc) ||
                resolve_list(p, n->args, sc) || resolve_list(p, n->kwargs, sc))
                return SL_ENOMEM;
            break;
        }
    }
    return 0;
}

/* Mark the N_NAME nodes whose name no statement binds (lookup() then goes
 * straight to the context; loop and caller are always bound), and resolve
 * the others to the frame (and slot) that binds them where that is static. */
static int mark_unbound(P *p, sl_jinja *t)
{
    nameset s = {0};
    int rc = 0;

    rscope root = {.root = 1};

    if (ns_add(&s, t->s_loop) || ns_add(&s, t->s_caller) || collect_bound(t->body, &s))
        rc = p_oom(p);
    else
        set_unbound(t->body, &s);
    if (!rc && (frame_binds(t->body, p->nj, &root.binds) || root_order(t->body, p->nj, &root.order) ||
                resolve_list(p, t->body, &root)))
        rc = p_oom(p);
    free(s.v);
    free(root.binds.v);
    free(root.order.v);
    return rc;
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((rc = (x)))                                                                            \
            return rc;                                                                             \
    } while (0)
#define NEW(var, kind, k)                                                                          \
    do {                                                                                           \
        if (!((var) = nnew(p, (kind), (k).line, (k).col)))                                         \
            return p_oom(p);                                                                       \
    } while (0)

/* Call arguments after '(' up to ')': positional into *args, name=value into *kw. */
static int p_args(P *p, jnode **args, jnode **kw)
{
    jnode **ta = args, **tk = kw;
    int rc;

    while (!is_op(p, ")")) {
        jnode *e;
        if (p->cur.t == T_NAME) {
            P save = *p;
            char *nm = tok_name(p);
            if (!nm)
                return p_oom(p);
            TRY(lex(p));
            if (is_op(p, "=")) {
                TRY(lex(p));
                TRY(p_expr(p, 0, &e));
                e->name = nm;
                e->nlen = strlen(nm);
                *tk = e;
                tk = &e->next;
                goto sep;
            }
            *p = save;
        }
        TRY(p_expr(p, 0, &e));
        if (*kw && !p->nj)
            return p_failat(p, e->line, e->col, "positional argument after keyword argument");
        *ta = e;
        ta = &e->next;
    sep:
        if (is_op(p, ","))
            TRY(lex(p));
        else if (!is_op(p, ")")) {
            char b[64];
            return p_failat(p, p->cur.line, p->cur.col, "expected ',' or ')' in arguments, got %s",
                            tok_desc(&p->cur, b, sizeof(b)));
        }
    }
    return lex(p);
}

static int p_primary(P *p, jnode **out)
{
    tok k = p->cur;
    jnode *n = NULL;
    int rc;
    char b[64];

    if (++p->depth > 200)
        return p_failat(p, k.line, k.col, "expression nested too deeply");
    switch (k.t) {
    case T_NAME:
        NEW(n, N_LIT, k);
        if ((k.n == 4 && (!memcmp(k.p, "true", 4) || (!p->nj && !memcmp(k.p, "True", 4)))))
            n->lit = jv_bool(1);
        else if (k.n == 5 && (!memcmp(k.p, "false", 5) || (!p->nj && !memcmp(k.p, "False", 5))))
            n->lit = jv_bool(0);
        else if (k.n == 4 && (!memcmp(k.p, "none", 4) || (!p->nj && !memcmp(k.p, "None", 4))))
            n->lit = jv_none();
        else if (p->nj && k.n == 4 && !memcmp(k.p, "null", 4))
            n->lit = jv_none();
        else {
            n->kind = N_NAME;
            if (!(n->name = tok_name(p)))
                return p_oom(p);
            n->nlen = k.n;
            n->hash = jn_hash(n->name, n->nlen);
            n->kpre = jn_keypre(n->name, n->nlen);
        }
        TRY(lex(p));
        break;
    case T_INT:
    case T_FLOAT:
        NEW(n, N_LIT, k);
        n->lit.t = k.t == T_INT ? JV_INT : JV_FLOAT;
        if (k.t == T_INT)
            n->lit.u.i = k.i;
        else
            n->lit.u.f = k.f;
        TRY(lex(p));
        break;
    case T_STR: {
        sl_buf sb = SL_BUF_INIT;
        NEW(n, N_LIT, k);
        n->lit = jv_str(k.s, k.sn);
        TRY(lex(p));
        /* adjacent string literals concatenate (Jinja2) */
        if (!p->nj && p->cur.t == T_STR) {
            if (sl_buf_put(&sb, k.s, k.sn))
                return p_oom(p);
            while (p->cur.t == T_STR) {
                if (sl_buf_put(&sb, p->cur.s, p->cur.sn)) {
                    sl_buf_free(&sb);
                    return p_oom(p);
                }
                if ((rc = lex(p))) {
                    sl_buf_free(&sb);
                    return rc;
                }
            }
            n->lit = jv_str(jn_strndup(&p->t->ar, sb.ptr, sb.len), sb.len);
            sl_buf_free(&sb);
            if (!n->lit.u.s)
                return p_oom(p);
        }
        break;
    }
    case T_OP:
        if (is_op(p, "(")) {
            TRY(lex(p));
            if (is_op(p, ")")) {
                NEW(n, N_TUPLELIT, k);
                TRY(lex(p));
                break;
            }
            TRY(p_expr(p, 0, &n));
            if (is_op(p, ",")) {
                jnode *t, **tail;
                NEW(t, N_TUPLELIT, k);
                t->args = n;
                tail = &n->next;
                while (is_op(p, ",")) {
                    jnode *e;
                    TRY(lex(p));
                    if (is_op(p, ")"))
                        break;
                    TRY(p_expr(p, 0, &e));
                    *tail = e;
                    tail = &e->next;
                }
                n = t;
            }
            TRY(expect_op(p, ")", "to close '('"));
            break;
        }
        if (is_op(p, "[")) {
            jnode **tail;
            NEW(n, N_LISTLIT, k);
            tail = &n->args;
            TRY(lex(p));
            while (!is_op(p, "]")) {
                jnode *e;
                TRY(p_expr(p, 0, &e));
                *tail = e;
                tail = &e->next;
                if (is_op(p, ","))
                    TRY(lex(p));
                else if (!is_op(p, "]"))
                    return p_failat(p, p->cur.line, p->cur.col,
                                    "expected ',' or ']' in list, got %s",
                                    tok_desc(&p->cur, b, sizeof(b)));
            }
            TRY(lex(p));
            break;
        }
        if (is_op(p, "{")) {
            jnode **tail;
            NEW(n, N_DICTLIT, k);
            tail = &n->args;
            TRY(lex(p));
            while (!is_op(p, "}")) {
                jnode *pair, *key, *val;
                tok kk = p->cur;
                if (p->nj && kk.t == T_NAME) {
                    /* nunjucks: bare names are keys */
                    NEW(key, N_LIT, kk);
                    if (!(key->lit.u.s = tok_name(p)))
                        return p_oom(p);
                    key->lit.t = JV_STR;
                    key->lit.n = kk.n;
                    TRY(lex(p));
                } else {
                    TRY(p_expr(p, 0, &key));
                }
                TRY(expect_op(p, ":", "after a dict key"));
                TRY(p_expr(p, 0, &val));
                NEW(pair, N_LIT, kk);
                pair->a = key;
                pair->b = val;
                *tail = pair;
                tail = &pair->next;
                if (is_op(p, ","))
                    TRY(lex(p));
                else if (!is_op(p, "}"))
                    return p_failat(p, p->cur.line, p->cur.col,
                                    "expected ',' or '}' in dict, got %s",
                                    tok_desc(&p->cur, b, sizeof(b)));
            }
            TRY(lex(p));
            break;
        }
        /* fallthrough */
    default:
        return p_failat(p, k.line, k.col, "expected an expression, got %s",
                        tok_desc(&k, b, sizeof(b)));
    }
    p->depth--;
    *out = n;
    return 0;
}

static int p_postfix(P *p, jnode **io)
{
    int rc;

    for (;;) {
        tok k = p->cur;
        jnode *n;
        if (is_op(p, ".")) {
            TRY(lex(p));
            if (p->cur.t == T_NAME) {
                NEW(n, N_GETATTR, p->cur);
                if (!(n->name = tok_name(p)))
                    return p_oom(p);
                n->nlen = p->cur.n;
                n->op = !p->nj && (!strcmp(n->name, "items") || !strcmp(n->name, "keys") ||
                                   !strcmp(n->name, "values") || !strcmp(n->name, "get"));
                n->hash = jn_hash(n->name, n->nlen);
            n->kpre = jn_keypre(n->name, n->nlen);
            } else if (p->cur.t == T_INT && !p->nj) {
                jnode *idx;
                NEW(n, N_GETITEM, k);
                NEW(idx, N_LIT, p->cur);
                idx->lit = p->cur.t == T_INT ? (jv){.t = JV_INT, .u.i = p->cur.i}
                                             : (jv){.t = JV_FLOAT, .u.f = p->cur.f};
                n->b = idx;
            } else {
                return p_failat(p, p->cur.line, p->cur.col, "expected an attribute name after '.'");
            }
            n->a = *io;
            n->line = (*io)->line;
            n->col = (*io)->col;
            TRY(lex(p));
            *io = n;
        } else if (is_op(p, "[")) {
            jnode *parts[3] = {NULL, NULL, NULL};
            int colons = 0;
            TRY(lex(p));
            for (;;) {
                if (is_op(p, ":")) {
                    if (++colons > 2)
                        return p_failat(p, p->cur.line, p->cur.col, "too many ':' in slice");
                    TRY(lex(p));
                    continue;
                }
                if (is_op(p, "]"))
                    break;
                if (parts[colons])
                    return p_failat(p, p->cur.line, p->cur.col, "expected ']' or ':'");
                TRY(p_expr(p, 0, &parts[colons]));
            }
            TRY(lex(p));
            if (!colons && !parts[0])
                return p_failat(p, k.line, k.col, "expected an index inside '[]'");
            NEW(n, colons ? N_SLICE : N_GETITEM, k);
            n->a = *io;
            n->line = (*io)->line;
            n->col = (*io)->col;
            n->b = parts[0];
            n->c = parts[1];
            n->d = parts[2];
            *io = n;
        } else if (is_op(p, "(")) {
            NEW(n, N_CALL, k);
            n->a = *io;
            TRY(lex(p));
            TRY(p_args(p, &n->args, &n->kwargs));
            *io = n;
        } else {
            return 0;
        }
    }
}

static int p_filter(P *p, jnode *operand, jnode **out)
{
    int rc;
    tok k = p->cur;
    jnode *n;
    sl_buf nm = SL_BUF_INIT;

    if (p->cur.t != T_NAME)
        return p_failat(p, k.line, k.col, "expected a filter name after '|'");
    NEW(n, N_FILTER, k);
    if (!(n->name = tok_name(p)))
        return p_oom(p);
    n->nlen = k.n;
    sl_buf_free(&nm);
    if (!(n->filter = jn_filter_find(n->name, p->nj)))
        return p_failat(p, k.line, k.col, "unknown filter '%s'%s", n->name,
                        p->nj ? " (not a Nunjucks or Backstage filter)"
                              : " (not a Jinja2 or cookiecutter filter)");
    TRY(lex(p));
    if (is_op(p, "(")) {
        TRY(lex(p));
        TRY(p_args(p, &n->args, &n->kwargs));
    }
    n->a = operand;
    if (n->args && !n->kwargs) {
        /* literal arguments only (`replace("-", "_")`, `default("TCP")`):
         * evaluate them once, here; the renderer passes n->lit's list */
        size_t na = 0;
        const jnode *x;
        for (x = n->args; x && x->kind == N_LIT; x = x->next)
            na++;
        if (!x) {
            jlist *l = jn_alloc(&p->t->ar, sizeof(*l));
            if (!l || !(l->v = jn_alloc(&p->t->ar, na * sizeof(jv))))
                return p_oom(p);
            l->n = 0;
            l->cap = na;
            for (x = n->args; x; x = x->next)
                l->v[l->n++] = x->lit;
            n->lit.t = JV_LIST;
            n->lit.u.l = l;
            n->op = 1;
        }
    }
    *out = n;
    return 0;
}

static int p_test(P *p, jnode *operand, jnode **out)
{
    int rc;
    jnode *n;
    tok k;
    int neg = 0;

    TRY(lex(p)); /* 'is' */
    if (is_name(p, "not")) {
        neg = 1;
        TRY(lex(p));
    }
    k = p->cur;
    if (k.t != T_NAME && !(k.t == T_OP && k.n == 2 && (is_op(p, "==") || is_op(p, "!="))))
        return p_failat(p, k.line, k.col, "expected a test name after 'is'");
    NEW(n, N_TEST, k);
    if (!(n->name = tok_name(p)))
        return p_oom(p);
    n->nlen = k.n;
    if (!(n->test = jn_test_find(n->name, p->nj)))
        return p_failat(p, k.line, k.col, "unknown test '%s'", n->name);
    n->op = (uint8_t)neg;
    n->a = operand;
    TRY(lex(p));
    if (is_op(p, "(")) {
        TRY(lex(p));
        TRY(p_args(p, &n->args, &n->kwargs));
    } else if (!p->nj &&
               (p->cur.t == T_NAME || p->cur.t == T_STR || p->cur.t == T_INT ||
                p->cur.t == T_FLOAT || is_op(p, "(") || is_op(p, "[") || is_op(p, "{")) &&
               !is_name(p, "else") && !is_name(p, "or") && !is_name(p, "and") &&
               !is_name(p, "if")) {
        jnode *arg;
        if (is_name(p, "is"))
            return p_failat(p, p->cur.line, p->cur.col, "tests cannot be chained with 'is'");
        TRY(p_primary(p, &arg));
        TRY(p_postfix(p, &arg));
        n->args = arg;
    }
    *out = n;
    return 0;
}

static int p_unary(P *p, int filters, jnode **out)
{
    int rc;
    tok k = p->cur;
    jnode *n;

    if (++p->depth > 200)
        return p_failat(p, k.line, k.col, "expression nested too deeply");
    if (is_op(p, "-") || is_op(p, "+")) {
        NEW(n, N_UNARY, k);
        n->op = is_op(p, "-") ? OP_NEG : OP_POS;
        TRY(lex(p));
        TRY(p_unary(p, 0, &n->a));
    } else {
        TRY(p_primary(p, &n));
    }
    TRY(p_postfix(p, &n));
    if (filters) {
        for (;;) {
            if (is_op(p, "|")) {
                TRY(lex(p));
                TRY(p_filter(p, n, &n));
            } else if (!p->nj && is_name(p, "is")) {
                TRY(p_test(p, n, &n));
            } else if (is_op(p, "(") && !p->nj) {
                jnode *c;
                NEW(c, N_CALL, p->cur);
                c->a = n;
                TRY(lex(p));
                TRY(p_args(p, &c->args, &c->kwargs));
                n = c;
            } else {
                break;
            }
        }
    }
    p->depth--;
    *out = n;
    return 0;
}

static int p_pow(P *p, jnode **out)
{
    int rc;
    jnode *l;

    TRY(p_unary(p, 1, &l));
    while (is_op(p, "**")) {
        jnode *n;
        NEW(n, N_BIN, p->cur);
        n->op = OP_POW;
        TRY(lex(p));
        n->a = l;
        TRY(p_unary(p, 1, &n->b));
        l = n;
    }
    *out = l;
    return 0;
}

static int p_mul(P *p, jnode **out)
{
    int rc;
    jnode *l;

    TRY(p_pow(p, &l));
    for (;;) {
        int op = is_op(p, "*") ? OP_MUL : is_op(p, "/") ? OP_DIV : is_op(p, "//") ? OP_FLOORDIV
                 : is_op(p, "%") ? OP_MOD : 0;
        jnode *n;
        if (!op)
            break;
        NEW(n, N_BIN, p->cur);
        n->op = (uint8_t)op;
        TRY(lex(p));
        n->a = l;
        TRY(p_pow(p, &n->b));
        l = n;
    }
    *out = l;
    return 0;
}

static int p_add(P *p, jnode **out);

/* Jinja2: '~' binds tighter than + and -; Nunjucks: looser. */
static int p_concat(P *p, jnode **out)
{
    int rc;
    jnode *l;

    TRY(p->nj ? p_add(p, &l) : p_mul(p, &l));
    while (is_op(p, "~")) {
        jnode *n;
        NEW(n, N_CONCAT, p->cur);
        TRY(lex(p));
        n->a = l;
        TRY(p->nj ? p_add(p, &n->b) : p_mul(p, &n->b));
        l = n;
    }
    *out = l;
    return 0;
}

static int p_add(P *p, jnode **out)
{
    int rc;
    jnode *l;

    TRY(p->nj ? p_mul(p, &l) : p_concat(p, &l));
    while (is_op(p, "+") || is_op(p, "-")) {
        jnode *n;
        NEW(n, N_BIN, p->cur);
        n->op = is_op(p, "+") ? OP_ADD : OP_SUB;
        TRY(lex(p));
        n->a = l;
        TRY(p->nj ? p_mul(p, &n->b) : p_concat(p, &n->b));
        l = n;
    }
    *out = l;
    return 0;
}

static int cmp_op(P *p)
{
    static const struct {
        const char *s;
        int op;
    } ops[] = {{"==", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT},     {"<=", OP_LE},
               {">", OP_GT},  {">=", OP_GE}, {"===", OP_SEQ}, {"!==", OP_SNE}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (is_op(p, ops[i].s))
            return ops[i].op;
    return 0;
}

static int p_compare(P *p, jnode **out)
{
    int rc;
    jnode *l, *c = NULL, **tail = NULL;

    TRY(p->nj ? p_concat(p, &l) : p_add(p, &l));
    for (;;) {
        int op = cmp_op(p);
        tok k = p->cur;
        jnode *e;
        if (!op && !p->nj) {
            if (is_name(p, "in")) {
                op = OP_IN;
            } else if (is_name(p, "not")) {
                P save = *p;
                TRY(lex(p));
                if (!is_name(p, "in")) {
                    *p = save;
                    break;
                }
                op = OP_NOTIN;
            }
        }
        if (!op)
            break;
        TRY(lex(p));
        if (!c) {
            NEW(c, N_COMPARE, k);
            c->a = l;
            tail = &c->args;
        }
        TRY(p->nj ? p_concat(p, &e) : p_add(p, &e));
        {
            jnode *w;
            NEW(w, N_LIT, k);
            w->op = (uint8_t)op;
            w->a = e;
            *tail = w;
            tail = &w->next;
        }
    }
    *out = c ? c : l;
    return 0;
}

/* Nunjucks: `is` and `in` sit between `not` and the comparisons. */
static int p_nj_is(P *p, jnode **out)
{
    int rc;
    jnode *l;

    TRY(p_compare(p, &l));
    if (is_name(p, "is")) {
        jnode *n, *t;
        int neg = 0;
        tok k;
        TRY(lex(p));
        if (is_name(p, "not")) {
            neg = 1;
            TRY(lex(p));
        }
        k = p->cur;
        TRY(p_compare(p, &t));
        if (t->kind == N_CALL && t->a->kind == N_NAME) {
            NEW(n, N_TEST, k);
            n->name = t->a->name;
            n->args = t->args;
        } else if (t->kind == N_NAME) {
            NEW(n, N_TEST, k);
            n->name = t->name;
        } else if (t->kind == N_LIT && t->lit.t == JV_NONE) {
            NEW(n, N_TEST, k);
            n->name = "null";
        } else {
            return p_failat(p, k.line, k.col, "expected a test name after 'is'");
        }
        if (!(n->test = jn_test_find(n->name, 1)))
            return p_failat(p, k.line, k.col, "unknown test '%s'", n->name);
        n->nlen = strlen(n->name);
        n->op = (uint8_t)neg;
        n->a = l;
        l = n;
    }
    *out = l;
    return 0;
}

static int p_nj_in(P *p, jnode **out)
{
    int rc;
    jnode *l;

    TRY(p_nj_is(p, &l));
    for (;;) {
        int op = 0;
        tok k = p->cur;
        if (is_name(p, "in")) {
            op = OP_IN;
        } else if (is_name(p, "not")) {
            P save = *p;
            TRY(lex(p));
            if (!is_name(p, "in")) {
                *p = save;
                break;
            }
            op = OP_NOTIN;
        }
        if (!op)
            break;
        TRY(lex(p));
        jnode *c, *w;
        NEW(c, N_COMPARE, k);
        NEW(w, N_LIT, k);
        c->a = l;
        c->args = w;
        w->op = (uint8_t)op;
        TRY(p_nj_is(p, &w->a));
        l = c;
    }
    *out = l;
    return 0;
}

static int p_not(P *p, jnode **out)
{
    int rc;

    if (is_name(p, "not")) {
        jnode *n;
        NEW(n, N_NOT, p->cur);
        TRY(lex(p));
        TRY(p_not(p, &n->a));
        if (p->nj) {
            /* nunjucks compiles `not x == y` to JavaScript `!x == y` */
            jnode **slot = &n->a, *t = n->a;
            while ((t->kind == N_COMPARE && t->args->op != OP_IN && t->args->op != OP_NOTIN) ||
                   t->kind == N_BIN || t->kind == N_CONCAT) {
                slot = &t->a;
                t = t->a;
            }
            if (slot != &n->a) {
                jnode *top = n->a;
                n->a = *slot;
                *slot = n;
                *out = top;
                return 0;
            }
        }
        *out = n;
        return 0;
    }
    return p->nj ? p_nj_in(p, out) : p_compare(p, out);
}

static int p_and(P *p, jnode **out)
{
    int rc;
    jnode *l;

    TRY(p_not(p, &l));
    while (is_name(p, "and")) {
        jnode *n;
        NEW(n, N_AND, p->cur);
        TRY(lex(p));
        n->a = l;
        TRY(p_not(p, &n->b));
        l = n;
    }
    *out = l;
    return 0;
}

static int p_or(P *p, jnode **out)
{
    int rc;
    jnode *l;

    TRY(p_and(p, &l));
    while (is_name(p, "or")) {
        jnode *n;
        NEW(n, N_OR, p->cur);
        TRY(lex(p));
        n->a = l;
        TRY(p_and(p, &n->b));
        l = n;
    }
    *out = l;
    return 0;
}

/* An expression; nocond: no inline `if` (for-loop iterables in Jinja2). */
static int p_expr(P *p, int nocond, jnode **out)
{
    int rc;
    jnode *e;

    if (++p->depth > 200)
        return p_failat(p, p->cur.line, p->cur.col, "expression nested too deeply");
    TRY(p_or(p, &e));
    while (!nocond && is_name(p, "if")) {
        jnode *n;
        if (p->nj && e->kind == N_COND)
            break; /* nunjucks: `a if b else c if d` is a syntax error */
        NEW(n, N_COND, p->cur);
        TRY(lex(p));
        n->b = e;
        TRY(p_or(p, &n->a));
        if (is_name(p, "else")) {
            TRY(lex(p));
            TRY(p->nj ? p_or(p, &n->c) : p_expr(p, 0, &n->c));
        }
        e = n;
    }
    p->depth--;
    *out = e;
    return 0;
}

/* ------------------------------------------------------------- statements */

static int p_body(P *p, const char *const *ends, const char *opener, int oline, int ocol,
                  jnode **out, const char **found);

static int tag_is(const P *p, const char *const *names)
{
    for (size_t i = 0; names && names[i]; i++)
        if (is_name(p, names[i]))
            return (int)i + 1;
    return 0;
}

static int p_targets(P *p, jnode **out)
{
    int rc;
    jnode **tail = out;

    for (;;) {
        jnode *n;
        if (p->cur.t != T_NAME)
            return p_failat(p, p->cur.line, p->cur.col, "expected a variable name");
        NEW(n, N_NAME, p->cur);
        if (!(n->name = tok_name(p)))
            return p_oom(p);
        n->nlen = p->cur.n;
        n->hash = jn_hash(n->name, n->nlen);
            n->kpre = jn_keypre(n->name, n->nlen);
        *tail = n;
        tail = &n->next;
        TRY(lex(p));
        if (!is_op(p, ","))
            return 0;
        TRY(lex(p));
    }
}

/* Filter chain of {% filter %} and {% set x | f %}: nodes with a == NULL. */
static int p_filter_chain(P *p, jnode **out)
{
    int rc;
    jnode *chain = NULL;

    for (;;) {
        TRY(p_filter(p, chain, &chain));
        if (!is_op(p, "|"))
            break;
        TRY(lex(p));
    }
    *out = chain;
    return 0;
}

static int p_params(P *p, jnode **out)
{
    int rc;
    jnode **tail = out;

    TRY(expect_op(p, "(", "to start the parameter list"));
    while (!is_op(p, ")")) {
        jnode *n;
        if (p->cur.t != T_NAME)
            return p_failat(p, p->cur.line, p->cur.col, "expected a parameter name");
        NEW(n, N_NAME, p->cur);
        if (!(n->name = tok_name(p)))
            return p_oom(p);
        n->nlen = p->cur.n;
        n->hash = jn_hash(n->name, n->nlen);
            n->kpre = jn_keypre(n->name, n->nlen);
        TRY(lex(p));
        if (is_op(p, "=")) {
            TRY(lex(p));
            TRY(p_expr(p, 0, &n->a));
        }
        *tail = n;
        tail = &n->next;
        if (is_op(p, ","))
            TRY(lex(p));
        else if (!is_op(p, ")"))
            return p_failat(p, p->cur.line, p->cur.col, "expected ',' or ')' in parameters");
    }
    return lex(p);
}

static int p_end_tag(P *p, const char *name)
{
    int rc;
    TRY(lex(p));
    if (p->nj && p->cur.t == T_NAME && !strcmp(name, "endmacro"))
        TRY(lex(p));
    return expect_end(p, name);
}

static int p_raw(P *p, jnode **out)
{
    tok k = p->cur;
    int rc, lstrip;
    size_t i, cstart;
    jnode *n;
    const char *endname = is_name(p, "raw") ? "endraw" : "endverbatim";

    TRY(lex(p));
    TRY(expect_end(p, "raw"));
    lstrip = p->lstrip_next;
    p->lstrip_next = 0;
    cstart = p->pos;
    for (i = p->pos; i + 1 < p->len; i++) {
        size_t j = i + 2, nstart;
        int rstrip = 0, tstrip = 0;
        if (p->s[i] != '{' || p->s[i + 1] != '%')
            continue;
        if (j < p->len && p->s[j] == '-' && !p->nj) {
            rstrip = 1;
            j++;
        }
        while (j < p->len && strchr(" \t\r\n", p->s[j]))
            j++;
        nstart = j;
        if (p->len - j < strlen(endname) || memcmp(p->s + j, endname, strlen(endname)))
            continue;
        j += strlen(endname);
        (void)nstart;
        while (j < p->len && strchr(" \t\r\n", p->s[j]))
            j++;
        if (j < p->len && p->s[j] == '-' && !p->nj) {
            tstrip = 1;
            j++;
        }
        if (p->len - j < 2 || memcmp(p->s + j, "%}", 2))
            continue;
        {
            const char *ts = p->s + cstart;
            size_t tn = i - cstart;
            if (lstrip)
                while (tn && isspace((unsigned char)*ts))
                    ts++, tn--;
            if (rstrip)
                while (tn && isspace((unsigned char)ts[tn - 1]))
                    tn--;
            NEW(n, N_TEXT, k);
            n->name = ts;
            n->nlen = tn;
        }
        p_adv(p, j + 2 - p->pos);
        p->lstrip_next = tstrip;
        *out = n;
        return 0;
    }
    return p_failat(p, k.line, k.col, "unclosed raw block; expected '{%% %s %%}'", endname);
}

/* The statement after `{%` whose name is the current token. */
static int p_stmt(P *p, jnode **out)
{
    tok k = p->cur;

    /* blocks report unclosed at their {% */
    k.line = p->tline;
    k.col = p->tcol;
    jnode *n = NULL;
    const char *found;
    int rc;

    if (is_name(p, "if")) {
        static const char *const j2[] = {"elif", "else", "endif", NULL};
        static const char *const nj[] = {"elif", "elseif", "else", "endif", NULL};
        jnode **slot;
        NEW(n, N_IF, k);
        TRY(lex(p));
        TRY(p_expr(p, 0, &n->a));
        TRY(expect_end(p, "if"));
        TRY(p_body(p, p->nj ? nj : j2, "if", k.line, k.col, &n->b, &found));
        slot = &n->c;
        {
            jnode *cur = n;
            while (strcmp(found, "endif")) {
                if (!strcmp(found, "else")) {
                    TRY(lex(p));
                    TRY(expect_end(p, "else"));
                    static const char *const e[] = {"endif", NULL};
                    TRY(p_body(p, e, "if", k.line, k.col, slot, &found));
                    break;
                }
                jnode *el;
                NEW(el, N_IF, p->cur);
                TRY(lex(p));
                TRY(p_expr(p, 0, &el->a));
                TRY(expect_end(p, "elif"));
                TRY(p_body(p, p->nj ? nj : j2, "if", k.line, k.col, &el->b, &found));
                *slot = el;
                cur = el;
                slot = &cur->c;
            }
        }
        TRY(p_end_tag(p, "endif"));
    } else if (is_name(p, "for")) {
        static const char *const ends[] = {"else", "endfor", NULL};
        static const char *const ends2[] = {"endfor", NULL};
        NEW(n, N_FOR, k);
        TRY(lex(p));
        if (is_op(p, "(")) {
            TRY(lex(p));
            TRY(p_targets(p, &n->targets));
            TRY(expect_op(p, ")", "after the loop variables"));
        } else {
            TRY(p_targets(p, &n->targets));
        }
        if (!is_name(p, "in"))
            return p_failat(p, p->cur.line, p->cur.col, "expected 'in' in for loop");
        TRY(lex(p));
        TRY(p_expr(p, !p->nj, &n->a));
        if (!p->nj && is_name(p, "if")) {
            TRY(lex(p));
            TRY(p_expr(p, 1, &n->d));
        }
        if (is_name(p, "recursive"))
            return p_failat(p, p->cur.line, p->cur.col, "recursive loops are not supported");
        TRY(expect_end(p, "for"));
        TRY(p_body(p, ends, "for", k.line, k.col, &n->b, &found));
        if (!strcmp(found, "else")) {
            TRY(lex(p));
            TRY(expect_end(p, "else"));
            TRY(p_body(p, ends2, "for", k.line, k.col, &n->c, &found));
        }
        TRY(p_end_tag(p, "endfor"));
    } else if (is_name(p, "set")) {
        NEW(n, N_SET, k);
        TRY(lex(p));
        if (p->cur.t != T_NAME)
            return p_failat(p, p->cur.line, p->cur.col, "expected a variable name after 'set'");
        TRY(p_targets(p, &n->targets));
        if (!p->nj && is_op(p, ".") && !n->targets->next) {
            /* {% set ns.attr = value %} */
            n->kind = N_SETATTR;
            n->a = n->targets;
            n->targets = NULL;
            TRY(lex(p));
            if (p->cur.t != T_NAME)
                return p_failat(p, p->cur.line, p->cur.col, "expected an attribute name");
            if (!(n->name = tok_name(p)))
                return p_oom(p);
            TRY(lex(p));
            TRY(expect_op(p, "=", "in set"));
            TRY(p_expr(p, 0, &n->b));
            TRY(expect_end(p, "set"));
        } else if (is_op(p, "=")) {
            TRY(lex(p));
            TRY(p_expr(p, 0, &n->a));
            if (is_op(p, ",") && !p->nj) {
                jnode *t, **tail;
                NEW(t, N_TUPLELIT, p->cur);
                t->args = n->a;
                tail = &n->a->next;
                while (is_op(p, ",")) {
                    jnode *e;
                    TRY(lex(p));
                    TRY(p_expr(p, 0, &e));
                    *tail = e;
                    tail = &e->next;
                }
                n->a = t;
            }
            TRY(expect_end(p, "set"));
        } else {
            static const char *const ends[] = {"endset", NULL};
            n->kind = N_SETBLOCK;
            if (is_op(p, "|") && !p->nj) {
                TRY(lex(p));
                TRY(p_filter_chain(p, &n->d));
            }
            TRY(expect_end(p, "set"));
            TRY(p_body(p, ends, "set", k.line, k.col, &n->b, &found));
            TRY(p_end_tag(p, "endset"));
        }
    } else if (is_name(p, "macro")) {
        static const char *const ends[] = {"endmacro", NULL};
        NEW(n, N_MACRO, k);
        TRY(lex(p));
        if (p->cur.t != T_NAME)
            return p_failat(p, p->cur.line, p->cur.col, "expected a macro name");
        if (!(n->name = tok_name(p)))
            return p_oom(p);
        n->nlen = p->cur.n;
        TRY(lex(p));
        TRY(p_params(p, &n->args));
        TRY(expect_end(p, "macro"));
        TRY(p_body(p, ends, "macro", k.line, k.col, &n->b, &found));
        TRY(p_end_tag(p, "endmacro"));
    } else if (is_name(p, "call")) {
        static const char *const ends[] = {"endcall", NULL};
        NEW(n, N_CALLBLOCK, k);
        TRY(lex(p));
        if (is_op(p, "("))
            TRY(p_params(p, &n->args));
        TRY(p_expr(p, 0, &n->a));
        if (n->a->kind != N_CALL)
            return p_failat(p, n->a->line, n->a->col, "expected a macro call after 'call'");
        TRY(expect_end(p, "call"));
        TRY(p_body(p, ends, "call", k.line, k.col, &n->b, &found));
        TRY(p_end_tag(p, "endcall"));
    } else if (is_name(p, "filter")) {
        static const char *const ends[] = {"endfilter", NULL};
        NEW(n, N_FILTERBLOCK, k);
        TRY(lex(p));
        TRY(p_filter_chain(p, &n->d));
        TRY(expect_end(p, "filter"));
        TRY(p_body(p, ends, "filter", k.line, k.col, &n->b, &found));
        TRY(p_end_tag(p, "endfilter"));
    } else if (!p->nj && is_name(p, "with")) {
        /* {% with a = x, b = y %}: a scope of its own, the values evaluated
         * outside it (Nunjucks has no with: an unknown tag there) */
        static const char *const ends[] = {"endwith", NULL};
        jnode **tt, **vt;
        NEW(n, N_WITH, k);
        tt = &n->targets;
        vt = &n->args;
        TRY(lex(p));
        while (p->cur.t != T_END) {
            jnode *t, *e;
            if (n->targets)
                TRY(expect_op(p, ",", "in with"));
            if (p->cur.t != T_NAME)
                return p_failat(p, p->cur.line, p->cur.col, "expected a variable name in 'with'");
            NEW(t, N_NAME, p->cur);
            if (!(t->name = tok_name(p)))
                return p_oom(p);
            t->nlen = p->cur.n;
            t->hash = jn_hash(t->name, t->nlen);
            t->kpre = jn_keypre(t->name, t->nlen);
            TRY(lex(p));
            TRY(expect_op(p, "=", "in with"));
            TRY(p_expr(p, 0, &e));
            *tt = t;
            tt = &t->next;
            *vt = e;
            vt = &e->next;
        }
        TRY(expect_end(p, "with"));
        TRY(p_body(p, ends, "with", k.line, k.col, &n->b, &found));
        TRY(p_end_tag(p, "endwith"));
    } else if (is_name(p, "raw") || (p->nj && is_name(p, "verbatim"))) {
        TRY(p_raw(p, &n));
    } else if (is_name(p, "include") || is_name(p, "import") || is_name(p, "extends") ||
               is_name(p, "from") || is_name(p, "block")) {
        return p_failat(p, k.line, k.col,
                        "'%.*s' is not supported: templates cannot read other files", (int)k.n,
                        k.p);
    } else {
        char b[64];
        return p_failat(p, k.line, k.col, "unknown tag %s", tok_desc(&k, b, sizeof(b)));
    }
    *out = n;
    return 0;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Statements and text up to a `{% name` with name in ends (then *found is
 * that name and the current token is it) or the end of the template (ends
 * must be NULL then). */
static int p_body(P *p, const char *const *ends, const char *opener, int oline, int ocol,
                  jnode **out, const char **found)
{
    jnode **tail = out;
    int rc;

    *out = NULL;
    for (;;) {
        size_t q = p->pos, tlen;
        int kind = 0;
        const char *ts;
        /* find the next tag opener */
        for (; q < p->len; q++) {
            const char *c = p->s + q;
            if (p->bs && c[0] == '$' && q + 2 < p->len && c[1] == '{' && c[2] == '{') {
                kind = 'v';
                break;
            }
            if (c[0] != '{' || q + 1 >= p->len)
                continue;
            if (c[1] == '%' || c[1] == '#' || (!p->bs && c[1] == '{')) {
                kind = c[1] == '%' ? 'b' : c[1] == '#' ? 'c' : 'v';
                break;
            }
        }
        ts = p->s + p->pos;
        tlen = q - p->pos;
        if (p->lstrip_next) {
            while (tlen && is_ws(*ts))
                ts++, tlen--;
            p->lstrip_next = 0;
        }
        if (kind) {
            size_t olen = (kind == 'v' && p->bs) ? 3 : 2;
            if (q + olen < p->len && p->s[q + olen] == '-')
                while (tlen && is_ws(ts[tlen - 1]))
                    tlen--;
        }
        if (tlen) {
            jnode *tn = nnew(p, N_TEXT, p->line, p->col);
            if (!tn)
                return p_oom(p);
            tn->name = ts;
            tn->nlen = tlen;
            *tail = tn;
            tail = &tn->next;
        }
        p_adv(p, q - p->pos);
        if (!kind) {
            if (ends) {
                return p_failat(p, oline, ocol,
                                "unexpected end of template: '%s' block opened here was never "
                                "closed; expected '{%% end%s %%}'",
                                opener, opener);
            }
            *found = NULL;
            return 0;
        }
        {
            int tline = p->line, tcol = p->col;
            size_t olen = (kind == 'v' && p->bs) ? 3 : 2;
            p->tline = tline;
            p->tcol = tcol;
            jnode *n = NULL;
            p_adv(p, olen);
            if (p->pos < p->len && p->s[p->pos] == '-')
                p_adv(p, 1);
            if (kind == 'c') {
                const char *e = NULL;
                for (size_t i = p->pos; i + 1 < p->len; i++)
                    if (p->s[i] == '#' && p->s[i + 1] == '}') {
                        e = p->s + i;
                        break;
                    }
                if (!e)
                    return p_failat(p, tline, tcol, "unclosed comment; expected '#}'");
                p->lstrip_next = e > p->s + p->pos && e[-1] == '-';
                p_adv(p, (size_t)(e - (p->s + p->pos)) + 2);
                continue;
            }
            p->tag = kind == 'v' ? TAG_VAR : TAG_BLOCK;
            p->bal = 0;
            p->depth = 0;
            TRY(lex(p));
            if (kind == 'v') {
                NEW(n, N_OUTPUT, p->cur);
                n->line = p_line(p, tline);
                n->col = p_col(p, tline, tcol);
                if (p->cur.t == T_END)
                    return p_failat(p, tline, tcol, "empty expression in '%s'",
                                    p->bs ? "${{ }}" : "{{ }}");
                TRY(p_expr(p, 0, &n->a));
                TRY(expect_end(p, "variable"));
            } else {
                if (p->cur.t != T_NAME) {
                    char b[64];
                    return p_failat(p, p->cur.line, p->cur.col, "expected a tag name, got %s",
                                    tok_desc(&p->cur, b, sizeof(b)));
                }
                if (tag_is(p, ends)) {
                    *found = ends[tag_is(p, ends) - 1];
                    return 0;
                }
                {
                    static const char *const stray[] = {"endif", "endfor", "else", "elif",
                                                        "elseif", "endset", "endmacro",
                                                        "endcall", "endfilter", "endraw", "endwith",
                                                        NULL};
                    if (tag_is(p, stray)) {
                        if (ends)
                            return p_failat(p, p->cur.line, p->cur.col,
                                            "unexpected '%.*s'; the '%s' block opened at line "
                                            "%d expects '{%% end%s %%}'",
                                            (int)p->cur.n, p->cur.p, opener, p_line(p, oline),
                                            opener);
                        return p_failat(p, p->cur.line, p->cur.col,
                                        "unexpected '%.*s' outside of a block", (int)p->cur.n,
                                        p->cur.p);
                    }
                }
                TRY(p_stmt(p, &n));
            }
            if (n) {
                *tail = n;
                tail = &n->next;
            }
        }
    }
}

/* ----------------------------------------------------------------- public */

int sl_jinja_parse(const char *src, size_t len, const sl_jinja_opts *o, sl_jinja **out,
                   sl_error *err)
{
    sl_jinja *t = calloc(1, sizeof(*t));
    P p;
    const char *found;
    int rc = 0;

    *out = NULL;
    if (!t)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (o)
        t->o = *o;
    t->nunjucks = t->o.dialect == SL_JINJA_NUNJUCKS;
    t->ar.max = (size_t)256 << 20;
    if (t->o.file && !(t->file = strdup(t->o.file))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    t->o.file = t->file;
    if (!(t->src = malloc(len + 1))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (t->nunjucks) {
        memcpy(t->src, src, len);
        t->len = len;
    } else {
        /* Jinja2 reads \r\n and \r as \n and drops one trailing newline */
        size_t j = 0;
        for (size_t i = 0; i < len; i++) {
            if (src[i] == '\r') {
                t->src[j++] = '\n';
                if (i + 1 < len && src[i + 1] == '\n')
                    i++;
            } else {
                t->src[j++] = src[i];
            }
        }
        if (!t->o.keep_trailing_newline && j && t->src[j - 1] == '\n')
            j--;
        t->len = j;
    }
    t->src[t->len] = 0;
    memset(&p, 0, sizeof(p));
    p.t = t;
    p.s = t->src;
    p.len = t->len;
    p.line = 1;
    p.col = 1;
    p.err = err;
    p.nj = t->nunjucks;
    p.bs = t->o.backstage_delims;
    if (!(t->s_loop = intern(&p, "loop", 4)) || !(t->s_caller = intern(&p, "caller", 6)))
        rc = p_oom(&p);
    else
        rc = p_body(&p, NULL, NULL, 1, 1, &t->body, &found);
    if (!rc)
        rc = mark_unbound(&p, t);
    free(p.itab);
out:
    if (rc) {
        sl_jinja_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void sl_jinja_free(sl_jinja *t)
{
    if (!t)
        return;
    jn_arena_free(&t->ar);
    free(t->src);
    free(t->file);
    free(t);
}
