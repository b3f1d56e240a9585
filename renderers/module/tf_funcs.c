/* tf_funcs.c: fallbacks for the built-in functions the example modules and
 * the module renderer's tests call (can, contains, floor, join, keys,
 * length, lower, merge, regex, tostring, trimsuffix, upper), used only while
 * the HCL engine's own library (hcl_funcs.c, written in parallel) lacks
 * them: tf_funcs() returns a table of just the names sl_hcl_builtins does
 * not have, so the engine's version always wins once it exists. regex uses
 * POSIX extended syntax here, not RE2's. */
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "tf.h"

static int tf_marked(const sl_hcl_call *c)
{
    for (size_t i = 0; i < c->argc; i++)
        if (c->argv[i] && (c->argv[i]->flags & SL_HCL_SENSITIVE))
            return 1;
    return 0;
}

/* Mark *out sensitive when an argument was (shallow, as the engine marks). */
static int tf_ret(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value *v,
                  const sl_hcl_value **out)
{
    if (!v)
        return SL_ENOMEM;
    if (tf_marked(c) && !(v = sl_hcl_mark(ctx->arena, v, SL_HCL_SENSITIVE)))
        return SL_ENOMEM;
    *out = v;
    return 0;
}

static int tf_want_string(sl_hcl_ctx *ctx, const sl_hcl_call *c, int i, const char **s)
{
    const sl_hcl_value *v = c->argv[i], *str;

    if (v->is_null || (v->kind != SL_HCL_STRING && v->kind != SL_HCL_NUMBER &&
                       v->kind != SL_HCL_BOOL))
        return sl_hcl_func_error(ctx, c, i, "a string is required");
    if (sl_hcl_value_to_string(ctx->arena, v, &str))
        return sl_hcl_func_error(ctx, c, i, "a string is required");
    *s = str->u.str.s;
    return 0;
}

static int tf_is_seq(const sl_hcl_value *v)
{
    return !v->is_null &&
           (v->kind == SL_HCL_LIST || v->kind == SL_HCL_SET || v->kind == SL_HCL_TUPLE);
}

static int fn_tostring(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *v = c->argv[0], *s;

    if (v->is_null)
        return tf_ret(ctx, c, sl_hcl_null(ctx->arena, &sl_hcl_t_string), out);
    if (sl_hcl_value_to_string(ctx->arena, v, &s))
        return sl_hcl_func_error(ctx, c, 0, "Invalid value for \"v\" parameter: cannot convert "
                                            "a collection to string.");
    return tf_ret(ctx, c, s, out);
}

static int fn_contains(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l = c->argv[0];

    if (!tf_is_seq(l))
        return sl_hcl_func_error(ctx, c, 0, "argument must be list, tuple, or set");
    for (size_t i = 0; i < l->u.c.n; i++)
        if (sl_hcl_value_equal(l->u.c.v[i], c->argv[1]))
            return tf_ret(ctx, c, sl_hcl_bool(1), out);
    return tf_ret(ctx, c, sl_hcl_bool(0), out);
}

static int fn_floor(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *v = c->argv[0];
    sl_hcl_num n;

    if (v->is_null || v->kind != SL_HCL_NUMBER)
        return sl_hcl_func_error(ctx, c, 0, "a number is required");
    if (sl_hcl_num_floor(ctx->arena, &v->u.num, &n))
        return SL_ENOMEM;
    return tf_ret(ctx, c, sl_hcl_number(ctx->arena, &n), out);
}

static int fn_keys(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *m = c->argv[0];
    const sl_hcl_value **v;

    if (m->is_null || (m->kind != SL_HCL_MAP && m->kind != SL_HCL_OBJECT))
        return sl_hcl_func_error(ctx, c, 0, "must have map or object type");
    if (!(v = sl_hcl_alloc(ctx->arena, (m->u.c.n + 1) * sizeof(*v))))
        return SL_ENOMEM;
    for (size_t i = 0; i < m->u.c.n; i++)
        if (!(v[i] = sl_hcl_string_cstr(ctx->arena, m->u.c.keys[i])))
            return SL_ENOMEM;
    return tf_ret(ctx, c,
                  m->kind == SL_HCL_MAP ? sl_hcl_list(ctx->arena, &sl_hcl_t_string, m->u.c.n, v)
                                        : sl_hcl_tuple(ctx->arena, m->u.c.n, v),
                  out);
}

static int fn_length(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *v = c->argv[0];
    int64_t n = 0;

    if (v->is_null)
        return sl_hcl_func_error(ctx, c, 0, "argument must not be null");
    if (v->kind == SL_HCL_STRING) {
        for (size_t i = 0; i < v->u.str.len; i++)
            n += ((unsigned char)v->u.str.s[i] & 0xC0) != 0x80;
    } else if (v->kind == SL_HCL_NUMBER || v->kind == SL_HCL_BOOL) {
        return sl_hcl_func_error(ctx, c, 0, "argument must be a string, a collection type, or "
                                            "a structural type");
    } else {
        n = (int64_t)v->u.c.n;
    }
    return tf_ret(ctx, c, sl_hcl_number_i64(ctx->arena, n), out);
}

static int fn_merge(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    size_t total = 0, n = 0;
    const char **keys;
    const sl_hcl_value **vals;

    for (size_t i = 0; i < c->argc; i++) {
        const sl_hcl_value *m = c->argv[i];
        if (m->is_null)
            continue;
        if (m->kind != SL_HCL_MAP && m->kind != SL_HCL_OBJECT)
            return sl_hcl_func_error(ctx, c, (int)i, "arguments must be maps or objects");
        total += m->u.c.n;
    }
    keys = sl_hcl_alloc(ctx->arena, (total + 1) * sizeof(*keys));
    vals = sl_hcl_alloc(ctx->arena, (total + 1) * sizeof(*vals));
    if (!keys || !vals)
        return SL_ENOMEM;
    for (size_t i = 0; i < c->argc; i++) {
        const sl_hcl_value *m = c->argv[i];
        if (m->is_null)
            continue;
        for (size_t k = 0; k < m->u.c.n; k++) {
            keys[n] = m->u.c.keys[k];
            vals[n++] = m->u.c.v[k];
        }
    }
    /* sl_hcl_object keeps the last value of a repeated key */
    return tf_ret(ctx, c, sl_hcl_object(ctx->arena, n, keys, vals), out);
}

static int fn_regex(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *pat, *s;
    regex_t re;
    regmatch_t m[10];
    int rc;

    if ((rc = tf_want_string(ctx, c, 0, &pat)) || (rc = tf_want_string(ctx, c, 1, &s)))
        return rc;
    if (regcomp(&re, pat, REG_EXTENDED))
        return sl_hcl_func_error(ctx, c, 0, "invalid regular expression pattern");
    if (regexec(&re, s, 10, m, 0)) {
        regfree(&re);
        return sl_hcl_func_error(ctx, c, -1, "pattern did not match any part of the given "
                                             "string");
    }
    if (re.re_nsub == 0) {
        regfree(&re);
        return tf_ret(ctx, c, sl_hcl_string(ctx->arena, s + m[0].rm_so,
                                            (size_t)(m[0].rm_eo - m[0].rm_so)),
                      out);
    }
    {
        size_t ng = re.re_nsub < 9 ? re.re_nsub : 9;
        const sl_hcl_value **v = sl_hcl_alloc(ctx->arena, (ng + 1) * sizeof(*v));
        if (!v) {
            regfree(&re);
            return SL_ENOMEM;
        }
        for (size_t g = 0; g < ng; g++)
            v[g] = m[g + 1].rm_so < 0
                       ? sl_hcl_null(ctx->arena, &sl_hcl_t_string)
                       : sl_hcl_string(ctx->arena, s + m[g + 1].rm_so,
                                       (size_t)(m[g + 1].rm_eo - m[g + 1].rm_so));
        regfree(&re);
        return tf_ret(ctx, c, sl_hcl_tuple(ctx->arena, ng, v), out);
    }
}

static int fn_trimsuffix(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s, *suf;
    size_t n, k;
    int rc;

    if ((rc = tf_want_string(ctx, c, 0, &s)) || (rc = tf_want_string(ctx, c, 1, &suf)))
        return rc;
    n = strlen(s);
    k = strlen(suf);
    if (k <= n && !strcmp(s + n - k, suf))
        n -= k;
    return tf_ret(ctx, c, sl_hcl_string(ctx->arena, s, n), out);
}

static int fn_join(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *sep;
    sl_buf b = SL_BUF_INIT;
    const sl_hcl_value *v;
    int rc;

    if ((rc = tf_want_string(ctx, c, 0, &sep)))
        return rc;
    for (size_t i = 1; i < c->argc; i++) {
        const sl_hcl_value *l = c->argv[i];
        if (!tf_is_seq(l)) {
            sl_buf_free(&b);
            return sl_hcl_func_error(ctx, c, (int)i, "a list of strings is required");
        }
        for (size_t k = 0; k < l->u.c.n; k++) {
            const sl_hcl_value *s;
            if (l->u.c.v[k]->is_null || sl_hcl_value_to_string(ctx->arena, l->u.c.v[k], &s)) {
                sl_buf_free(&b);
                return sl_hcl_func_error(ctx, c, (int)i, "element %zu is not a string", k);
            }
            if ((b.len && sl_buf_puts(&b, sep)) || sl_buf_put(&b, s->u.str.s, s->u.str.len)) {
                sl_buf_free(&b);
                return SL_ENOMEM;
            }
        }
    }
    v = sl_hcl_string(ctx->arena, b.ptr ? b.ptr : "", b.len);
    sl_buf_free(&b);
    return tf_ret(ctx, c, v, out);
}

static int tf_case(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out, int up)
{
    const char *s;
    char *t;
    int rc;

    if ((rc = tf_want_string(ctx, c, 0, &s)))
        return rc;
    if (!(t = sl_hcl_strndup(ctx->arena, s, strlen(s))))
        return SL_ENOMEM;
    for (char *p = t; *p; p++)
        if (up && *p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
        else if (!up && *p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return tf_ret(ctx, c, sl_hcl_string_cstr(ctx->arena, t), out);
}

static int fn_upper(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    return tf_case(ctx, c, out, 1);
}

static int fn_lower(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    return tf_case(ctx, c, out, 0);
}

/* can(expr): true when expr evaluates without error (raw: unevaluated). */
static int fn_can(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    sl_hcl_diags scratch = {0};
    sl_hcl_ctx sub = *ctx;
    const sl_hcl_value *v;
    int rc;

    sub.diags = &scratch;
    rc = sl_hcl_eval(&sub, c->args[0], &v);
    sl_hcl_diags_free(&scratch);
    if (rc == SL_ENOMEM)
        return rc;
    *out = sl_hcl_bool(rc == 0);
    return 0;
}

static const sl_hcl_func tf_all[] = {
    {"can", 1, 1, fn_can, 1},
    {"contains", 2, 2, fn_contains, 0},
    {"floor", 1, 1, fn_floor, 0},
    {"join", 2, -1, fn_join, 0},
    {"keys", 1, 1, fn_keys, 0},
    {"length", 1, 1, fn_length, 0},
    {"lower", 1, 1, fn_lower, 0},
    {"merge", 0, -1, fn_merge, 0},
    {"regex", 2, 2, fn_regex, 0},
    {"tostring", 1, 1, fn_tostring, 0},
    {"trimsuffix", 2, 2, fn_trimsuffix, 0},
    {"upper", 1, 1, fn_upper, 0},
    {NULL, 0, 0, NULL, 0},
};

static sl_hcl_func tf_missing[sizeof(tf_all) / sizeof(tf_all[0])];
static pthread_once_t tf_once = PTHREAD_ONCE_INIT;

static void tf_funcs_init(void)
{
    size_t n = 0;

    for (size_t i = 0; tf_all[i].name; i++)
        if (!sl_hcl_func_lookup(NULL, tf_all[i].name))
            tf_missing[n++] = tf_all[i];
    tf_missing[n].name = NULL;
}

const sl_hcl_func *tf_funcs(void)
{
    pthread_once(&tf_once, tf_funcs_init);
    return tf_missing;
}
