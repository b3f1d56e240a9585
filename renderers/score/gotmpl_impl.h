/* gotmpl_impl.h: internals shared by the template executor (gotmpl.c) and
 * the function library (sprig.c). Not for use outside renderers/score. */
#ifndef SL_GOTMPL_IMPL_H
#define SL_GOTMPL_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "sl_buf.h"

/* A value during execution. Scalars live in the struct; strings point at
 * NUL-terminated bytes owned by the input data or the execution arena;
 * maps and lists are cJSON objects/arrays, borrowed from the input or
 * created by the execution (then marked GT_OWNED and freed with it). */
enum { GT_NIL, GT_BOOL, GT_INT, GT_FLOAT, GT_STR, GT_MAP, GT_LIST };

typedef struct gt_val {
    int k;
    int b;
    int64_t i;
    double f;
    const char *s;
    size_t n;
    cJSON *j;
} gt_val;

/* Extra cJSON type bit on containers created by a template (mutable). */
#define GT_OWNED (1 << 14)

typedef struct gt_ctx gt_ctx;

typedef int (*gt_fn)(gt_ctx *x, gt_val *argv, int argc, gt_val *res);

typedef struct gt_func {
    const char *name;
    gt_fn fn;
    int min, max; /* argument counts; max -1 = variadic */
} gt_func;

/* Find a function by name (Sprig's table, then Go's builtins), NULL if none. */
const gt_func *gt_func_lookup(const char *name, size_t n);
const gt_func *gt_builtin_lookup(const char *name, size_t n);
/* Binary search of a function table sorted by name for the n bytes of
 * name; NULL when absent. */
const gt_func *gt_table_find(const gt_func *tab, size_t ntab, const char *name, size_t n);

/* Arena allocation for the current execution; NULL (and the context marked
 * out of memory) on failure. */
void *gt_alloc(gt_ctx *x, size_t n);
/* A string value holding a copy of s[0..n). */
gt_val gt_mkstr(gt_ctx *x, const char *s, size_t n);
/* A string value taking the contents of b (b is reset). */
gt_val gt_bufstr(gt_ctx *x, sl_buf *b);
gt_val gt_mkint(int64_t i);
gt_val gt_mkfloat(double f);
gt_val gt_mkbool(int b);
gt_val gt_mknil(void);
/* A new empty map or list owned by the execution. */
int gt_newmap(gt_ctx *x, gt_val *out);
int gt_newlist(gt_ctx *x, gt_val *out);
/* Register a cJSON tree created by a function so it is freed with the
 * execution (containers in it become mutable). */
int gt_own(gt_ctx *x, cJSON *j);
/* The value of a cJSON node (borrowed). */
gt_val gt_from_json(const cJSON *j);
/* A new cJSON node for v (containers become references, so v's map or
 * list must outlive the node: true within one execution). NULL on ENOMEM. */
cJSON *gt_to_json(gt_ctx *x, const gt_val *v);
/* A deep copy of v as a standalone cJSON tree. NULL on ENOMEM. */
cJSON *gt_to_json_copy(const gt_val *v);

/* Whether the tree under j is small and shallow enough to walk recursively
 * (a template can build cyclic maps: `set $d "self" $d`). */
#define GT_WALK_MAX_NODES 1000000L
#define GT_WALK_MAX_DEPTH 200
int gt_tree_ok(const cJSON *j);

/* Fail the current function call with a message (returns SL_EINVAL). */
int gt_fail(gt_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forget a failure recorded by gt_fail (for functions that recover). */
void gt_fail_clear(gt_ctx *x);
/* Mark out of memory (returns SL_ENOMEM). */
int gt_nomem(gt_ctx *x);
/* The cap on one string a function builds, and a scratch buffer with it. */
#define GT_MAX_STR ((size_t)64 << 20)
#define GT_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, GT_MAX_STR                                                                     \
    }
/* The cap on list sizes a function may build. */
#define GT_MAX_LIST 100000
/* The cap on values (map entries, list elements) one execution may create. */
#define GT_MAX_NODES 2000000L

/* Go's truthiness. */
int gt_truth(const gt_val *v);
/* Go's type name for messages ("string", "int", "map[string]interface {}"). */
const char *gt_type_name(const gt_val *v);
/* fmt's %v of v into b; nil prints as "<nil>". */
int gt_fmt_v(sl_buf *b, const gt_val *v);
/* fmt.Sprint semantics: strings concatenated; a space between operands
 * when neither is a string. */
int gt_sprint(sl_buf *b, const gt_val *argv, int argc);
/* fmt.Sprintf. */
int gt_sprintf(sl_buf *b, const char *fmt, size_t fn, const gt_val *argv, int argc);
/* Go's strconv.Quote of s. */
int gt_quote(sl_buf *b, const char *s, size_t n);
/* Length of a map/list/string, -1 otherwise. */
long gt_len(const gt_val *v);
/* Element i of a list (borrowed). */
gt_val gt_list_at(const gt_val *v, size_t i);

/* Typed arguments as Go's reflection would convert them: errors name the
 * function's expected type ("wrong type for value; expected string; got int"). */
int gt_arg_str(gt_ctx *x, const gt_val *v, const char **s, size_t *n);
int gt_arg_int(gt_ctx *x, const gt_val *v, int64_t *out);
int gt_arg_list(gt_ctx *x, const gt_val *v);
int gt_arg_map(gt_ctx *x, const gt_val *v);

/* Sprig's lenient conversions (cast.ToString, ToInt64, ToFloat64). */
int gt_cast_str(gt_ctx *x, const gt_val *v, gt_val *out);
int64_t gt_cast_int(const gt_val *v);
double gt_cast_float(const gt_val *v);

/* JSON encoding as Go's encoding/json does (sorted keys, HTML escaping
 * unless raw). indent NULL for compact. */
int gt_json_encode(sl_buf *b, const gt_val *v, const char *indent, int escape_html);

#endif
