/* hcl.h: the HCL native-syntax engine of the `module` renderer.
 *
 * Three layers, each usable alone:
 *   1. syntax: sl_hcl_parse() turns a .tf/.hcl file into a tree of bodies,
 *      attributes, blocks and expressions (hclsyntax/spec.md of
 *      hashicorp/hcl), every node with its source range; syntax errors are
 *      diagnostics with ranges, as HashiCorp's parser reports them.
 *   2. values: cty-like immutable values (null, bool, number, string, list,
 *      set, map, object, tuple) with type descriptors and Terraform's
 *      conversions. Numbers are arbitrary-precision decimals.
 *   3. evaluation: sl_hcl_eval() evaluates an expression in a context of
 *      variables and functions (the built-in library of hcl_funcs.c).
 *
 * Memory: every tree, value and type lives in an sl_hcl_arena and is freed
 * with it; nothing is freed alone. Values and types are immutable and may be
 * shared between trees of the same arena (or of an arena that outlives the
 * user). A file keeps its own arena; evaluation allocates results in the
 * context's arena.
 *
 * Errors: functions return 0 or a negative SL_E*. Parse and evaluation
 * problems are appended to an sl_hcl_diags (summary, detail, source range)
 * and the call returns SL_EINVAL; sl_hcl_diags_to_error() turns the first
 * error into an sl_error (file:line:col: summary: detail) and
 * sl_hcl_diag_print() prints Terraform-style with the source line and a
 * caret. */
#ifndef SL_HCL_H
#define SL_HCL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include "sl_buf.h"
#include "sl_error.h"

/* ---------------------------------------------------------------- arena */

typedef struct sl_hcl_arena sl_hcl_arena;

/* A bump allocator; max caps the bytes it may hold (0 = 256 MiB). */
int sl_hcl_arena_new(size_t max, sl_hcl_arena **out);
void sl_hcl_arena_free(sl_hcl_arena *a);
/* Zeroed memory, 8-byte aligned; NULL when the cap is hit or malloc fails. */
void *sl_hcl_alloc(sl_hcl_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n). */
char *sl_hcl_strndup(sl_hcl_arena *a, const char *s, size_t n);
size_t sl_hcl_arena_used(const sl_hcl_arena *a);

/* ------------------------------------------------------ ranges and diags */

/* A position: 1-based line and column (columns count UTF-8 characters),
 * 0-based byte offset (files are limited to 4 GiB). */
typedef struct sl_hcl_pos {
    int line;
    int col;
    uint32_t byte;
} sl_hcl_pos;

/* [start, end) in one file, with line and column: what diagnostics carry.
 * file is borrowed (lives as long as the parsed file, or is a literal). */
typedef struct sl_hcl_range {
    const char *file;
    sl_hcl_pos start;
    sl_hcl_pos end;
} sl_hcl_range;

/* [start, end) as byte offsets into a file's source: how the syntax tree
 * stores its ranges (8 bytes instead of a file pointer and two line/column
 * positions; the tree has a node per 13 bytes of source). The file that
 * holds the node turns a span into an sl_hcl_range (sl_hcl_file_range). */
typedef struct sl_hcl_span {
    uint32_t start, end;
} sl_hcl_span;

/* The range covering a and b. */
sl_hcl_range sl_hcl_range_between(sl_hcl_range a, sl_hcl_range b);
/* The span covering a and b. */
static inline sl_hcl_span sl_hcl_span_between(sl_hcl_span a, sl_hcl_span b)
{
    sl_hcl_span r = {a.start < b.start ? a.start : b.start, a.end > b.end ? a.end : b.end};
    return r;
}

enum { SL_HCL_DIAG_ERROR = 1, SL_HCL_DIAG_WARNING = 2 };

typedef struct sl_hcl_diag {
    int severity;
    char *summary; /* owned */
    char *detail;  /* owned, may be "" */
    int has_subject;
    sl_hcl_range subject; /* subject.file is the diagnostic's own copy */
    /* The source text of subject's file if known (borrowed, for printing). */
    const char *src;
    size_t src_len;
} sl_hcl_diag;

typedef struct sl_hcl_diags {
    sl_hcl_diag *v;
    size_t n, cap;
    size_t max; /* 0 = 1000; further diagnostics are dropped */
} sl_hcl_diags;

/* Append an error (subject may be NULL). Returns SL_EINVAL (or SL_ENOMEM),
 * so callers can `return sl_hcl_diag_error(...)`. */
int sl_hcl_diag_error(sl_hcl_diags *d, const sl_hcl_range *subject, const char *summary,
                      const char *detail_fmt, ...) SL_PRINTF(4, 5);
/* The same with the subject given as a span of file f (f may be NULL: no
 * subject). */
struct sl_hcl_file;
int sl_hcl_diag_error_at(sl_hcl_diags *d, const struct sl_hcl_file *f, sl_hcl_span subject,
                         const char *summary, const char *detail_fmt, ...) SL_PRINTF(5, 6);
int sl_hcl_diags_has_errors(const sl_hcl_diags *d);
void sl_hcl_diags_free(sl_hcl_diags *d);
/* Move every diagnostic of src to the end of dst (src is left empty). */
int sl_hcl_diags_append(sl_hcl_diags *dst, sl_hcl_diags *src);
/* The first error as an sl_error: code SL_EINVAL, file:line:col of its
 * subject, message "summary: detail". Returns err->code (or 0 when d holds
 * no error). */
int sl_hcl_diags_to_error(const sl_hcl_diags *d, sl_error *err);
/* Terraform-style text:
 *   Error: <summary>
 *
 *     on <file> line N:
 *      N: <source line>
 *   (caret line under the subject)
 *
 *   <detail>
 * src/len give the file text when the diagnostic has none (may be NULL). */
int sl_hcl_diag_format(const sl_hcl_diag *dg, sl_buf *out);
int sl_hcl_diags_format(const sl_hcl_diags *d, sl_buf *out);
void sl_hcl_diags_print(const sl_hcl_diags *d, FILE *f);
/* Give diagnostics about f (by file name) f's source text for printing. */
void sl_hcl_diags_attach_src(sl_hcl_diags *d, const struct sl_hcl_file *f);

/* --------------------------------------------------------------- numbers */

/* Arbitrary-precision decimal: value = (neg ? -1 : 1) * digits * 10^exp,
 * digits without leading or trailing zeros ("" for zero, then neg = 0).
 * Add, subtract, multiply and compare are exact; division and modulo are
 * exact when the result terminates within SL_HCL_NUM_DIGITS significant
 * digits and rounded (half even) to that many otherwise. */
typedef struct sl_hcl_num {
    int neg;
    int32_t exp;
    uint32_t nd;
    const char *d; /* nd ASCII digits */
} sl_hcl_num;

#define SL_HCL_NUM_DIGITS 160
#define SL_HCL_NUM_MAX_EXP 100000

/* Parse decimal text ("12", "-3.5", "1e10", "0x" not accepted); surrounding
 * spaces not accepted. SL_EINVAL when s is not a number. */
int sl_hcl_num_parse(sl_hcl_arena *a, const char *s, size_t n, sl_hcl_num *out);
int sl_hcl_num_from_i64(sl_hcl_arena *a, int64_t v, sl_hcl_num *out);
int sl_hcl_num_from_double(sl_hcl_arena *a, double v, sl_hcl_num *out);
int sl_hcl_num_cmp(const sl_hcl_num *x, const sl_hcl_num *y);
int sl_hcl_num_add(sl_hcl_arena *a, const sl_hcl_num *x, const sl_hcl_num *y, sl_hcl_num *out);
int sl_hcl_num_sub(sl_hcl_arena *a, const sl_hcl_num *x, const sl_hcl_num *y, sl_hcl_num *out);
int sl_hcl_num_mul(sl_hcl_arena *a, const sl_hcl_num *x, const sl_hcl_num *y, sl_hcl_num *out);
/* SL_EINVAL on division by zero. */
int sl_hcl_num_div(sl_hcl_arena *a, const sl_hcl_num *x, const sl_hcl_num *y, sl_hcl_num *out);
/* Remainder with the sign of x (x - y*trunc(x/y)), as cty computes it. */
int sl_hcl_num_mod(sl_hcl_arena *a, const sl_hcl_num *x, const sl_hcl_num *y, sl_hcl_num *out);
/* Round toward -inf (floor), +inf (ceil). */
int sl_hcl_num_floor(sl_hcl_arena *a, const sl_hcl_num *x, sl_hcl_num *out);
int sl_hcl_num_ceil(sl_hcl_arena *a, const sl_hcl_num *x, sl_hcl_num *out);
int sl_hcl_num_is_int(const sl_hcl_num *x);
/* 0 and *out set when x is a whole number within int64; SL_EINVAL otherwise. */
int sl_hcl_num_to_i64(const sl_hcl_num *x, int64_t *out);
double sl_hcl_num_to_double(const sl_hcl_num *x);
/* Plain decimal text without exponent ("-12.5", "1000000"), as cty writes
 * numbers in JSON. Appends to out. */
int sl_hcl_num_format(const sl_hcl_num *x, sl_buf *out);

/* ------------------------------------------------------ types and values */

typedef enum sl_hcl_kind {
    SL_HCL_DYNAMIC = 0, /* "any": only as a type (and the type of an untyped null) */
    SL_HCL_BOOL,
    SL_HCL_NUMBER,
    SL_HCL_STRING,
    SL_HCL_LIST,
    SL_HCL_SET,
    SL_HCL_MAP,
    SL_HCL_OBJECT,
    SL_HCL_TUPLE,
} sl_hcl_kind;

typedef struct sl_hcl_value sl_hcl_value;
typedef struct sl_hcl_type sl_hcl_type;

/* A type. list/set/map have elem; object has n attributes (names sorted
 * bytewise) and tuple n element types. For type constraints, object
 * attributes may be optional (with an optional default value, Terraform's
 * optional(T, default)). */
struct sl_hcl_type {
    sl_hcl_kind kind;
    const sl_hcl_type *elem;
    size_t n;
    const char *const *names;
    const sl_hcl_type *const *types;
    const unsigned char *optional;     /* NULL or n flags */
    const sl_hcl_value *const *defaults; /* NULL or n entries (NULL = no default) */
};

extern const sl_hcl_type sl_hcl_t_dynamic, sl_hcl_t_bool, sl_hcl_t_number, sl_hcl_t_string;

const sl_hcl_type *sl_hcl_type_list(sl_hcl_arena *a, const sl_hcl_type *elem);
const sl_hcl_type *sl_hcl_type_set(sl_hcl_arena *a, const sl_hcl_type *elem);
const sl_hcl_type *sl_hcl_type_map(sl_hcl_arena *a, const sl_hcl_type *elem);
/* names need not be sorted; they are copied and sorted with their types. */
const sl_hcl_type *sl_hcl_type_object(sl_hcl_arena *a, size_t n, const char *const *names,
                                      const sl_hcl_type *const *types);
const sl_hcl_type *sl_hcl_type_tuple(sl_hcl_arena *a, size_t n, const sl_hcl_type *const *types);
int sl_hcl_type_equal(const sl_hcl_type *x, const sl_hcl_type *y);
/* 1 if the type contains no DYNAMIC. */
int sl_hcl_type_is_concrete(const sl_hcl_type *t);
/* Terraform's spelling: string, list(number), object({a=string}), any,
 * tuple([string, bool]). */
int sl_hcl_type_format(const sl_hcl_type *t, sl_buf *out);
/* Index of attribute name in an object type, or -1. */
long sl_hcl_type_attr(const sl_hcl_type *t, const char *name);

/* A value. kind is never DYNAMIC except for null. Collections: list, set
 * and tuple hold n elements in v (sets: sorted, no duplicates); map and
 * object hold n entries, keys sorted bytewise, values in v. type is the
 * value's full type (for null: its declared type, DYNAMIC when untyped).
 * flags carry marks (SL_HCL_SENSITIVE) that survive operations. */
struct sl_hcl_value {
    sl_hcl_kind kind;
    int is_null;
    unsigned flags;
    const sl_hcl_type *type;
    union {
        int b;
        sl_hcl_num num;
        struct {
            const char *s; /* NUL-terminated, valid UTF-8 */
            size_t len;
        } str;
        struct {
            size_t n;
            const sl_hcl_value *const *v;
            const char *const *keys; /* map/object only */
        } c;
    } u;
};

enum { SL_HCL_SENSITIVE = 1u };

extern const sl_hcl_value sl_hcl_null_dynamic, sl_hcl_true, sl_hcl_false, sl_hcl_empty_string;

const sl_hcl_value *sl_hcl_null(sl_hcl_arena *a, const sl_hcl_type *t);
const sl_hcl_value *sl_hcl_bool(int b);
const sl_hcl_value *sl_hcl_number(sl_hcl_arena *a, const sl_hcl_num *n);
const sl_hcl_value *sl_hcl_number_i64(sl_hcl_arena *a, int64_t v);
const sl_hcl_value *sl_hcl_number_double(sl_hcl_arena *a, double v);
/* Copies s[0..n); NULL if s is not valid UTF-8 or allocation fails. */
const sl_hcl_value *sl_hcl_string(sl_hcl_arena *a, const char *s, size_t n);
const sl_hcl_value *sl_hcl_string_cstr(sl_hcl_arena *a, const char *s);
/* Takes an array of n values allocated in a (not copied). */
const sl_hcl_value *sl_hcl_tuple(sl_hcl_arena *a, size_t n, const sl_hcl_value **v);
/* List of elements that must all have elem type (use sl_hcl_convert first);
 * elem is the element type of an empty list. */
const sl_hcl_value *sl_hcl_list(sl_hcl_arena *a, const sl_hcl_type *elem, size_t n,
                                const sl_hcl_value **v);
/* Sorts and removes duplicates (v is reordered in place). */
const sl_hcl_value *sl_hcl_set(sl_hcl_arena *a, const sl_hcl_type *elem, size_t n,
                               const sl_hcl_value **v);
/* keys/v: n entries in any order, keys copied; a duplicate key keeps the
 * last value. */
const sl_hcl_value *sl_hcl_object(sl_hcl_arena *a, size_t n, const char **keys,
                                  const sl_hcl_value **v);
const sl_hcl_value *sl_hcl_map(sl_hcl_arena *a, const sl_hcl_type *elem, size_t n,
                               const char **keys, const sl_hcl_value **v);
/* A copy of v with extra flags. */
const sl_hcl_value *sl_hcl_mark(sl_hcl_arena *a, const sl_hcl_value *v, unsigned flags);

/* Member lookups (borrowed; NULL when missing). */
const sl_hcl_value *sl_hcl_value_attr(const sl_hcl_value *v, const char *key);
/* Deep equality as cty's Equals (type and value); numbers by value. */
int sl_hcl_value_equal(const sl_hcl_value *x, const sl_hcl_value *y);
/* Total order used to sort sets (by type kind, then value). */
int sl_hcl_value_cmp(const sl_hcl_value *x, const sl_hcl_value *y);
/* 1 if v or anything inside it is null. */
int sl_hcl_value_has_null(const sl_hcl_value *v);

/* Convert v to type t as Terraform (cty/convert) does: number<->string,
 * bool<->string, tuple->list/set, object->map, list<->set, object->object
 * with optional attributes (defaults applied) and unify element types for
 * DYNAMIC. On failure appends nothing and returns SL_EINVAL with a message
 * like "a number is required" or "attribute \"x\" is required" in why
 * (may be NULL). */
int sl_hcl_convert(sl_hcl_arena *a, const sl_hcl_value *v, const sl_hcl_type *t,
                   const sl_hcl_value **out, sl_buf *why);
/* A string form for templates and errors (numbers as text, bools as
 * true/false); SL_EINVAL for null and collections. */
int sl_hcl_value_to_string(sl_hcl_arena *a, const sl_hcl_value *v, const sl_hcl_value **out);

/* JSON: numbers are written exactly (cJSON numbers are doubles, so big or
 * long numbers are written as raw JSON text via cJSON_CreateRaw).
 * sl_hcl_value_from_json maps objects to object values, arrays to tuples. */
int sl_hcl_value_to_json(const sl_hcl_value *v, cJSON **out);
int sl_hcl_value_from_json(sl_hcl_arena *a, const cJSON *j, const sl_hcl_value **out);
/* Compact JSON text, exact numbers, keys sorted (jsonencode). */
int sl_hcl_value_write_json(const sl_hcl_value *v, sl_buf *out);
/* HCL-ish debug text: {a = 1, b = ["x"]}. */
int sl_hcl_value_format(const sl_hcl_value *v, sl_buf *out);

/* ---------------------------------------------------------------- syntax */

typedef enum sl_hcl_expr_kind {
    SL_HCL_E_LITERAL,        /* lit (also a quoted string without escapes or
                              * interpolation: its range includes the quotes) */
    SL_HCL_E_TEMPLATE,       /* parts (literal strings, interpolations, directives) */
    SL_HCL_E_TEMPLATE_WRAP,  /* "${x}": sub[0], keeps x's type */
    SL_HCL_E_TEMPLATE_JOIN,  /* %{for}: sub[0] is a FOR building a tuple of strings */
    SL_HCL_E_SCOPE_TRAV,     /* root name + steps: var.x[0].y */
    SL_HCL_E_REL_TRAV,       /* sub[0] + steps */
    SL_HCL_E_FUNCALL,        /* name, args in sub, expand_final */
    SL_HCL_E_CONDITIONAL,    /* sub[0] ? sub[1] : sub[2] */
    SL_HCL_E_BINARY,         /* sub[0] op sub[1] */
    SL_HCL_E_UNARY,          /* op sub[0] */
    SL_HCL_E_TUPLE,          /* [sub...] */
    SL_HCL_E_OBJECT,         /* {sub[i] = sub[n + i]}, n = nsub / 2: a bare identifier
                              * key is a string LITERAL, a parenthesised one a PARENS */
    SL_HCL_E_FOR,            /* for k, v in sub[0]: key_expr => sub[1] if cond ... */
    SL_HCL_E_INDEX,          /* sub[0][sub[1]] (non-literal key) */
    SL_HCL_E_SPLAT,          /* sub[0][*] each=sub[1] over item (ANON) */
    SL_HCL_E_ANON,           /* the current splat item */
    SL_HCL_E_PARENS,         /* (sub[0]) */
    SL_HCL_E_INVALID,        /* placeholder left after a syntax error */
} sl_hcl_expr_kind;

typedef enum sl_hcl_op {
    SL_HCL_OP_NONE,
    SL_HCL_OP_OR,
    SL_HCL_OP_AND,
    SL_HCL_OP_EQ,
    SL_HCL_OP_NE,
    SL_HCL_OP_LT,
    SL_HCL_OP_LE,
    SL_HCL_OP_GT,
    SL_HCL_OP_GE,
    SL_HCL_OP_ADD,
    SL_HCL_OP_SUB,
    SL_HCL_OP_MUL,
    SL_HCL_OP_DIV,
    SL_HCL_OP_MOD,
    SL_HCL_OP_NOT, /* unary ! */
    SL_HCL_OP_NEG, /* unary - */
} sl_hcl_op;

/* One step of a traversal: .name, [key] (literal key) or legacy .0. */
typedef struct sl_hcl_step {
    union {                     /* read the one is_index selects */
        const char *name;           /* attribute name */
        const sl_hcl_value *key;    /* index key (number or string) */
    };
    sl_hcl_span range;
    int is_index;               /* 0: attribute `name` */
} sl_hcl_step;

typedef struct sl_hcl_expr sl_hcl_expr;
/* The most steps a traversal may have (a parse error beyond). */
#define SL_HCL_MAX_STEPS ((1u << 18) - 1)
/* A FOR expression's extra parts (allocated with the node). */
typedef struct sl_hcl_for_parts {
    const char *val_var;
    sl_hcl_expr *key;  /* object form key expr, else NULL */
    sl_hcl_expr *cond; /* if ..., else NULL */
} sl_hcl_for_parts;

/* An expression node. The parser's tree has about one node per 13 bytes of
 * source, so nodes are compact and sized by kind: kind-specific members
 * share storage (anonymous unions) and a node is allocated only up to the
 * last member its kind uses (24 bytes for a literal or an operator, 32 for
 * a splat, 40 for a call or a traversal). Read only the members of the
 * node's kind, and never copy a node by value. */
struct sl_hcl_expr {
    sl_hcl_expr_kind kind : 5;
    sl_hcl_op op : 5;               /* BINARY, UNARY */
    unsigned expand_final : 1;      /* FUNCALL f(x...) */
    unsigned attr_only : 1;         /* SPLAT written .* */
    unsigned for_group : 1;         /* FOR: ... grouping */
    unsigned for_object : 1;        /* FOR: {for ...} */
    unsigned nsteps : 18;           /* SCOPE_TRAV, REL_TRAV: steps (SL_HCL_MAX_STEPS) */
    uint32_t nsub;
    sl_hcl_span range;
    union {
        sl_hcl_expr **sub;       /* every kind but LITERAL (nsub entries) */
        const sl_hcl_value *lit; /* LITERAL (nsub is 0) */
    };
    /* From here on only for SCOPE_TRAV, REL_TRAV, FUNCALL, FOR, INDEX,
     * SPLAT, UNARY. */
    union {
        const char *name;        /* SCOPE_TRAV root, FUNCALL name */
        const char *key_var;     /* FOR: NULL when absent */
        sl_hcl_expr *splat_item; /* SPLAT: the ANON node inside sub[1] */
    };
    union {
        sl_hcl_step *steps;         /* SCOPE_TRAV, REL_TRAV: nsteps of them */
        /* FOR: for key_var, val_var in sub[0] : forp->key => sub[1] if forp->cond */
        const sl_hcl_for_parts *forp;
        /* FUNCALL name, INDEX brackets, UNARY symbol. */
        sl_hcl_span name_range;
    };
};

typedef struct sl_hcl_body sl_hcl_body;

typedef struct sl_hcl_attr {
    const char *name;
    sl_hcl_expr *expr;
    sl_hcl_span range;
    sl_hcl_span name_range;
} sl_hcl_attr;

typedef struct sl_hcl_block {
    const char *type;
    size_t nlabels;
    const char **labels;
    sl_hcl_span *label_ranges;
    sl_hcl_body *body;
    sl_hcl_span type_range;
    sl_hcl_span open_range, close_range;
} sl_hcl_block;

/* Attributes and blocks in source order. */
struct sl_hcl_body {
    size_t nattrs;
    sl_hcl_attr *attrs;
    size_t nblocks;
    sl_hcl_block *blocks;
    sl_hcl_span range;
    sl_hcl_span end_range; /* zero-width, at the closing brace (for "missing" errors) */
};

/* A parsed file. Ranges in its tree are spans of src; sl_hcl_file_range
 * gives their lines and columns (from a table of line starts built on the
 * first call: a file is not safe for concurrent first use). */
typedef struct sl_hcl_file {
    sl_hcl_arena *arena; /* owns everything below */
    const char *name;
    const char *src; /* the source, NUL-terminated (the arena's copy or taken over) */
    size_t len;
    sl_hcl_body *body;
    char *owned_src;     /* internal: a taken-over source buffer (freed with the file) */
    uint32_t *lines;     /* internal: byte offset of each line's start, built lazily */
    size_t nlines;
} sl_hcl_file;

/* The line:column range of span s of f (columns count UTF-8 characters, as
 * the scanner does). */
sl_hcl_range sl_hcl_file_range(const sl_hcl_file *f, sl_hcl_span s);

typedef struct sl_hcl_limits {
    size_t max_bytes; /* default 64 MiB; at most 4 GiB - 1 */
    int max_depth;    /* nesting of blocks and expressions; default 256 */
    size_t max_arena; /* default 1 GiB */
} sl_hcl_limits;

/* Parse a configuration file. *out is set whenever parsing got far enough
 * to allocate the file (also on syntax errors: a partial tree, for tools);
 * free it with sl_hcl_file_free. Returns 0, SL_EINVAL when diags got an
 * error, SL_ELIMIT, SL_ENOMEM. */
int sl_hcl_parse(const char *filename, const char *src, size_t len, const sl_hcl_limits *lim,
                 sl_hcl_file **out, sl_hcl_diags *diags);
/* Parse a standalone expression (as `hcl.ParseExpression`), e.g. a type
 * constraint or a CLI value. */
int sl_hcl_parse_expr(const char *filename, const char *src, size_t len,
                      const sl_hcl_limits *lim, sl_hcl_file **file_out, sl_hcl_expr **out,
                      sl_hcl_diags *diags);
/* Parse a standalone template (the text of a templatefile). */
int sl_hcl_parse_template(const char *filename, const char *src, size_t len,
                          const sl_hcl_limits *lim, sl_hcl_file **file_out, sl_hcl_expr **out,
                          sl_hcl_diags *diags);
/* sl_hcl_parse taking over src, a malloc'd buffer of len bytes followed by
 * a NUL (an sl_buf's ptr): the file keeps it as its source instead of a
 * copy and frees it (also when parsing fails). */
int sl_hcl_parse_owned(const char *filename, char *src, size_t len, const sl_hcl_limits *lim,
                       sl_hcl_file **out, sl_hcl_diags *diags);
void sl_hcl_file_free(sl_hcl_file *f);

/* Body helpers (borrowed results). */
const sl_hcl_attr *sl_hcl_body_attr(const sl_hcl_body *b, const char *name);
/* The keyword of a bare identifier expression (`string`, `any`), else NULL. */
const char *sl_hcl_expr_keyword(const sl_hcl_expr *e);
/* 1 when e is a literal or a template with no interpolation: *out = its value. */
int sl_hcl_expr_const(const sl_hcl_expr *e, const sl_hcl_value **out);

/* Every variable reference in e (SCOPE_TRAV nodes, outside the names bound
 * by for expressions), in source order, each as the traversal node. */
typedef int (*sl_hcl_ref_fn)(void *ud, const sl_hcl_expr *trav);
int sl_hcl_expr_refs(const sl_hcl_expr *e, sl_hcl_ref_fn fn, void *ud);

/* A type constraint expression: string, number, bool, any, list(T), set(T),
 * map(T), object({name = T, ...}), tuple([T, ...]); with allow_optional
 * also optional(T) and optional(T, default) inside object(). */
int sl_hcl_type_from_expr(sl_hcl_arena *a, const sl_hcl_file *f, const sl_hcl_expr *e,
                          int allow_optional, const sl_hcl_type **out, sl_hcl_diags *diags);

/* hcl2json's JSON for a file: blocks nested by type and labels into arrays of
 * bodies, literal values as JSON values, other expressions as "${source}"
 * strings (see docs/renderers/hcl.md). */
int sl_hcl_to_json(const sl_hcl_file *f, cJSON **out);

/* ------------------------------------------------------------ evaluation */

/* Files for file(), fileexists(), templatefile(): paths are relative to the
 * module's directory and confined to its repository by the implementation
 * (e.g. an sl_snapshot). read appends the file's bytes to out (SL_ENOTFOUND,
 * SL_ECONFINE, SL_ELIMIT as sl_snapshot_read); exists returns 1/0 or < 0. */
typedef struct sl_hcl_fs {
    void *ud;
    int (*read)(void *ud, const char *path, size_t max, sl_buf *out, sl_error *err);
    int (*exists)(void *ud, const char *path, sl_error *err);
} sl_hcl_fs;

typedef struct sl_hcl_ctx sl_hcl_ctx;

/* A call's arguments (already evaluated, ... expanded). */
typedef struct sl_hcl_call {
    const char *name;
    size_t argc;
    const sl_hcl_value *const *argv;
    const sl_hcl_expr *const *args; /* the argument expressions, for ranges; may be shorter */
    const sl_hcl_expr *expr;        /* the call */
} sl_hcl_call;

/* A function. Returns 0 with *out, or SL_EINVAL after adding a diagnostic
 * (sl_hcl_func_error). raw functions (can, try) get unevaluated args. */
typedef struct sl_hcl_func {
    const char *name;
    int min_args, max_args; /* max -1 = variadic */
    int (*fn)(sl_hcl_ctx *ctx, const sl_hcl_call *call, const sl_hcl_value **out);
    int raw;
} sl_hcl_func;

/* Evaluation context. Variables are looked up in vars (an object value),
 * then in parent. funcs: NULL-terminated extra table searched before the
 * built-ins. */
struct sl_hcl_ctx {
    sl_hcl_arena *arena;          /* results */
    const sl_hcl_file *file;      /* the file of the evaluated expressions (their ranges) */
    const sl_hcl_value *vars;     /* object of root names, may be NULL */
    const sl_hcl_ctx *parent;
    const sl_hcl_func *funcs;     /* extra functions (array ended by name NULL), may be NULL */
    const sl_hcl_fs *fs;          /* may be NULL: file functions fail */
    sl_hcl_diags *diags;          /* where errors go (required) */
    int depth;                    /* recursion guard */
    const sl_hcl_value *splat;    /* internal: current splat item */
};

/* Evaluate e (an expression of ctx->file). Returns 0 with *out (allocated
 * in ctx->arena), or SL_EINVAL with at least one diagnostic in ctx->diags
 * naming e's range. */
int sl_hcl_eval(sl_hcl_ctx *ctx, const sl_hcl_expr *e, const sl_hcl_value **out);
/* A child context with more variables (each key of vars): for/each/count. */
void sl_hcl_ctx_child(const sl_hcl_ctx *parent, const sl_hcl_value *vars, sl_hcl_ctx *out);
/* Report an error for a call (subject: argument i's range, or the call if
 * i < 0). Returns SL_EINVAL. */
int sl_hcl_func_error(sl_hcl_ctx *ctx, const sl_hcl_call *call, int i, const char *fmt, ...)
    SL_PRINTF(4, 5);
/* The built-in function table (NULL-terminated by name) and lookup. */
extern const sl_hcl_func sl_hcl_builtins[];
const sl_hcl_func *sl_hcl_func_lookup(const sl_hcl_ctx *ctx, const char *name);

#endif
