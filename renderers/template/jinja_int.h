/* jinja_int.h: the template engine's internals, shared by jinja.c (lexer,
 * parser), jinja_eval.c (values, rendering) and jinja_filters.c (filters,
 * tests, methods). Not a public header. */
#ifndef SL_JINJA_INT_H
#define SL_JINJA_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "jinja.h"

/* A bump allocator; nothing in it is freed alone. max caps its total. */
typedef struct jn_arena {
    struct achunk *head;
    size_t total, max;
    int overflow;
} jn_arena;

void *jn_alloc(jn_arena *a, size_t n);
char *jn_strndup(jn_arena *a, const char *s, size_t n);
void jn_arena_reset(jn_arena *a);
void jn_arena_free(jn_arena *a);

/* Value types. */
enum {
    JV_UNDEF, /* u.node: where the name was looked up */
    JV_NONE,
    JV_BOOL,
    JV_INT, /* Jinja2 ints; Nunjucks has only JV_FLOAT numbers */
    JV_FLOAT,
    JV_STR,  /* u.s, n bytes (borrowed from the template, ctx or arena) */
    JV_LIST, /* u.l (arena) */
    JV_DICT, /* u.d (arena) */
    JV_JSON, /* u.j: a borrowed cJSON array or object from the context */
    JV_MACRO,
    JV_LOOP,
    JV_FUNC, /* u.fn: a global function (range, dict, namespace, ...) or bound method */
};

/* jv.ns bits */
#define JN_NS 1    /* a Jinja2 namespace() object (attribute assignment allowed) */
#define JN_TUPLE 2 /* a list that is a Python tuple */
#define JN_GROUP 4 /* a Jinja2 groupby (grouper, list) tuple */
#define JN_SAFE 8  /* a string marked safe (escape leaves it) */
#define JN_GEN 16  /* a Jinja2 generator (map, select, ...): no len(), no [i], always true */

typedef struct jv {
    uint8_t t;
    uint8_t ns; /* JN_* bits */
    size_t n;
    union {
        int64_t i;
        double f;
        int b;
        const char *s;
        struct jlist *l;
        struct jdict *d;
        const cJSON *j;
        const struct jnode *node;
        struct jmacro *m;
        struct jloop *loop;
        struct jfunc *fn;
    } u;
} jv;

typedef struct jlist {
    size_t n, cap;
    jv *v;
} jlist;

typedef struct jdict {
    size_t n, cap;
    jv *k;
    jv *v;
} jdict;

typedef struct jloop {
    size_t index0, length;
    struct jlist *last_changed; /* loop.changed(): the previous arguments (NULL: none yet) */
} jloop;

/* Node kinds: statements then expressions. */
enum {
    N_TEXT, /* name/nlen: the text */
    N_OUTPUT, /* a: expression */
    N_IF,     /* a: cond, b: then body, c: else body (an N_IF for elif) */
    N_FOR,    /* targets: names list (N_NAME via next), a: iterable, b: body, c: else, d: filter */
    N_SET,    /* targets, a: value */
    N_SETATTR,/* a: object name node (N_NAME), name: attribute, b: value */
    N_SETBLOCK, /* targets, b: body, d: filter chain (N_FILTER with a == NULL) */
    N_MACRO,  /* name, args: params (N_NAME with a = default), b: body */
    N_CALLBLOCK, /* a: the call expression, args: caller params, b: body */
    N_FILTERBLOCK, /* d: filter chain applied to the body, b: body */
    N_WITH,   /* Jinja2 with: targets (N_NAME), args: their values (parallel), b: body */
    /* expressions */
    N_LIT,    /* lit */
    N_NAME,   /* name */
    N_GETATTR, /* a . name; op 1: name is a Jinja2 dict method (items keys values get) */
    N_GETITEM, /* a [ b ] */
    N_SLICE,   /* a [ b : c : d ] (NULL parts omitted) */
    N_CALL,    /* a ( args ; kwargs ) */
    N_FILTER,  /* a | name ( args ; kwargs ), fn: the filter; op 1: the args are
                * literals, their values in lit.u.l */
    N_TEST,    /* a is [not] name args; op = negated */
    N_BIN,     /* a op b */
    N_UNARY,   /* op a */
    N_AND,
    N_OR,
    N_NOT,
    N_COND,    /* b if a else c */
    N_COMPARE, /* a, then ops in args (op on node, operand in a) */
    N_LISTLIT, /* args */
    N_TUPLELIT,
    N_DICTLIT, /* args: pairs (N_LIT... key in a, value in b) */
    N_CONCAT,  /* a ~ b */
};

/* Binary and comparison operators. */
enum {
    OP_ADD = 1, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN, OP_NEG, OP_POS,
    OP_SEQ, OP_SNE, /* nunjucks === and !== */
};

struct jn_render;
typedef struct jn_filter jn_filter;
typedef struct jn_test jn_test;

typedef struct jnode {
    uint8_t kind;
    uint8_t op;
    uint8_t recursive;
    uint8_t unbound; /* N_NAME: no statement of the template binds the name (set, for,
                      * macro, call block), so only the context can hold it */
    /* N_NAME resolved by the parser: the frame rdepth-1 levels up binds it,
     * in slot rslot-1 (0: search that frame); 0: search every frame. */
    uint8_t rdepth, rslot;
    int line, col;
    uint32_t hash; /* N_NAME, N_GETATTR: jn_hash(name) */
    uint64_t kpre; /* N_NAME, N_GETATTR: jn_keypre(name) */
    struct jnode *a, *b, *c, *d;
    struct jnode *args;    /* positional arguments / list items / params (linked by next) */
    struct jnode *kwargs;  /* keyword arguments: N_* value with name set (linked by next) */
    struct jnode *targets; /* assignment targets (N_NAME, linked by next) */
    struct jnode *next;
    const char *name;
    size_t nlen;
    jv lit;
    const jn_filter *filter;
    const jn_test *test;
} jnode;

struct sl_jinja {
    sl_jinja_opts o;
    char *file;
    char *src; /* owned copy (newlines normalised in Jinja2 mode) */
    size_t len;
    jnode *body;
    jn_arena ar;
    int nunjucks;
    const char *s_loop, *s_caller; /* interned "loop" and "caller" */
};

/* Filters and tests: fn gets the value, positional args and keyword args
 * already evaluated (kw names parallel to kwv). Errors go through
 * jn_fail(). */
typedef int (*jn_filter_fn)(struct jn_render *r, const jnode *site, const jv *v, int argc,
                            const jv *argv, int kwc, const char *const *kwn, const jv *kwv,
                            jv *out);

#define JN_J2 1
#define JN_NJ 2
struct jn_filter {
    const char *name;
    int dialects;
    jn_filter_fn fn;
    int lazy_undef; /* accepts undefined input (default, d, pick) */
};

typedef int (*jn_test_fn)(struct jn_render *r, const jnode *site, const jv *v, int argc,
                          const jv *argv, int *out);
struct jn_test {
    const char *name;
    int dialects;
    jn_test_fn fn;
    int lazy_undef; /* defined / undefined */
};

const jn_filter *jn_filter_find(const char *name, int nunjucks);
const jn_test *jn_test_find(const char *name, int nunjucks);

/* A scope: a list of variables, searched innermost first. */
typedef struct jvar {
    const char *name;
    jv v;
} jvar;

typedef struct jframe {
    struct jframe *parent;
    jvar *v;
    size_t n, cap;
    int isolate; /* nunjucks: writes do not resolve past this frame */
} jframe;

typedef struct jmacro {
    const jnode *def;
    jframe *scope;
    const jnode *caller_body; /* for caller(): the call block */
    jframe *caller_scope;
} jmacro;

typedef int (*jn_func_fn)(struct jn_render *r, const jnode *site, struct jfunc *self, int argc,
                          const jv *argv, int kwc, const char *const *kwn, const jv *kwv,
                          jv *out);
typedef struct jfunc {
    jn_func_fn fn;
    const char *name;
    jv u_self; /* bound object for methods */
} jfunc;

/* The hash of a key (names are hashed at parse time with the same). */
static inline uint32_t jn_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The first 8 bytes of a key, zero-padded: with the length, the whole key
 * when it is not longer. */
static inline uint64_t jn_keypre(const char *s, size_t n)
{
    uint64_t v = 0;
    memcpy(&v, s, n < 8 ? n : 8);
    return v;
}

/* One key of one JSON object of the context (jinja_eval.c's index). */
typedef struct jn_kent {
    const cJSON *parent; /* NULL: empty slot */
    const cJSON *child;
    uint64_t kpre; /* jn_keypre(key) */
    uint32_t klen;
    jv v; /* child's value, as Jinja2 reads it (a whole number is JV_INT) */
} jn_kent;

/* sl_jinja_ctx: every key of every object of a context in one open-addressed
 * table keyed by (object, key), so member access does not walk cJSON's
 * linked lists. */
struct sl_jinja_ctx {
    const cJSON *root; /* an object, or NULL */
    jn_kent *tab;
    size_t mask, n;
};

typedef struct jn_render {
    const sl_jinja *t;
    const cJSON *ctx;
    const struct sl_jinja_ctx *kx;
    jn_arena *ar;
    sl_buf *out;
    sl_error *err;
    jframe *frame;
    int nunjucks;
    int depth;
} jn_render;

/* Fail with the site's position. Returns a negative code. */
int jn_fail(jn_render *r, const jnode *site, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int jn_oom(jn_render *r, const jnode *site);

/* Value helpers (jinja_eval.c). */
jv jv_str(const char *s, size_t n);
jv jv_int(jn_render *r, int64_t i);
jv jv_float(double f);
jv jv_bool(int b);
jv jv_none(void);
jv jv_from_json(jn_render *r, const cJSON *j);
int jv_truthy(jn_render *r, const jv *v);
int jv_is_seq(const jv *v);
int jv_is_map(const jv *v);
/* Length of a list/str/dict; -1 if not sized. */
long jv_len(const jv *v);
/* Item i of a sequence (list, JSON array) or string (one byte... UTF-8 aware). */
jv jv_index(jn_render *r, const jv *v, size_t i);
/* Materialise any iterable into a list (arena). */
int jv_to_list(jn_render *r, const jnode *site, const jv *v, jlist **out);
jlist *jl_new(jn_render *r, size_t cap);
/* A list value (ns: its JN_* marks, e.g. JN_GEN for a Jinja2 generator). */
static inline jv jv_list_of(jlist *l, uint8_t ns)
{
    jv o;
    memset(&o, 0, sizeof(o));
    o.t = JV_LIST;
    o.ns = ns;
    o.u.l = l;
    return o;
}
int jl_push(jn_render *r, jlist *l, jv v);
jdict *jd_new(jn_render *r, size_t cap);
int jd_set(jn_render *r, jdict *d, jv k, jv v);
/* Lookup a key in a mapping: 1 found, 0 not. h is jn_hash(k, kn), pre
 * jn_keypre(k, kn). */
int jv_getkey_h(jn_render *r, const jv *m, const char *k, size_t kn, uint32_t h, uint64_t pre,
                jv *out);
static inline int jv_getkey(jn_render *r, const jv *m, const char *k, size_t kn, jv *out)
{
    return jv_getkey_h(r, m, k, kn, jn_hash(k, kn), jn_keypre(k, kn), out);
}
/* Number of entries and the i-th key/value of a mapping. */
size_t jv_map_n(const jv *m);
void jv_map_at(jn_render *r, const jv *m, size_t i, jv *k, jv *v);
/* Append v as the dialect prints it ({{ v }}). */
int jv_print(jn_render *r, const jnode *site, const jv *v, sl_buf *b);
/* v as a string (arena when converted). */
int jv_tostr(jn_render *r, const jnode *site, const jv *v, jv *out);
/* Python repr / JSON serialisation. */
int jv_repr(jn_render *r, const jnode *site, const jv *v, sl_buf *b);
#define JN_JSON_SORT 1  /* sort object keys (Python sort_keys) */
#define JN_JSON_ASCII 2 /* \uXXXX for non-ASCII (Python ensure_ascii) */
#define JN_JSON_HTML 4  /* \u003c for < > & ' (Jinja2 tojson) */
int jv_json(jn_render *r, const jnode *site, const jv *v, sl_buf *b, int indent, int flags,
            int level);
int jv_equal(jn_render *r, const jv *a, const jv *b);
/* Compare for sorting: <0, 0, >0; sets *bad when not comparable. */
int jv_cmp(jn_render *r, const jv *a, const jv *b, int casefold, int *bad);
int jv_num(const jv *v, double *f);
cJSON *jv_to_cjson(jn_render *r, const jv *v);
const char *jv_typename(jn_render *r, const jv *v);
int jn_undef_fail(jn_render *r, const jv *v);
int jn_call_value(jn_render *r, const jnode *site, const jv *fn, int argc, const jv *argv,
                  int kwc, const char *const *kwn, const jv *kwv, jv *out);
/* Format a double as Python repr (py=1) or JS toString (py=0). */
void jn_fmt_double(double d, int py, char *buf, size_t n);
/* Method lookup for attribute access on str/dict/list (jinja_filters.c). */
int jn_method(jn_render *r, const jnode *site, const jv *obj, const char *name, jv *out);
int jn_global(jn_render *r, const char *name, jv *out);
/* JavaScript Number(v). */
double jn_js_number(jn_render *r, const jv *v);

#endif
