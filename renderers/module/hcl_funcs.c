/* hcl_funcs.c: the built-in function library: Terraform's numeric, string,
 * collection, encoding, hash, network, type-conversion and file functions
 * that modules use. Each checks its arguments and reports errors through
 * sl_hcl_func_error (naming the call and the bad argument's range). */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <openssl/evp.h>

#include "hcl_int.h"
#include "sl_doc.h"

/* ------------------------------------------------------------- helpers */

#define A (ctx->arena)
#define ARG(i) (c->argv[i])
#define FAIL(i, ...) return sl_hcl_func_error(ctx, c, (i), __VA_ARGS__)
#define NOMEM(x)                                                                                  \
    do {                                                                                          \
        if (!(x))                                                                                 \
            return SL_ENOMEM;                                                                     \
    } while (0)

static unsigned args_flags(const sl_hcl_call *c)
{
    unsigned f = 0;
    for (size_t i = 0; i < c->argc; i++)
        f |= c->argv[i]->flags;
    return f;
}

/* Set *out = v marked with the arguments' marks. */
static int ret(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value *v,
               const sl_hcl_value **out)
{
    unsigned f = args_flags(c);

    if (!v)
        return SL_ENOMEM;
    *out = f ? sl_hcl_mark(A, v, f) : v;
    return *out ? 0 : SL_ENOMEM;
}

static int ret_str(sl_hcl_ctx *ctx, const sl_hcl_call *c, const char *s, size_t n,
                   const sl_hcl_value **out)
{
    const sl_hcl_value *v = sl_hcl_string(A, s ? s : "", s ? n : 0);
    if (!v)
        return sl_hcl_func_error(ctx, c, -1, "the result is not valid UTF-8");
    return ret(ctx, c, v, out);
}

static int ret_buf(sl_hcl_ctx *ctx, const sl_hcl_call *c, sl_buf *b, const sl_hcl_value **out)
{
    int rc = ret_str(ctx, c, b->ptr, b->len, out);
    sl_buf_free(b);
    return rc;
}

static const char *type_word(const sl_hcl_value *v)
{
    if (v->is_null)
        return "null";
    switch (v->kind) {
    case SL_HCL_BOOL: return "bool";
    case SL_HCL_NUMBER: return "number";
    case SL_HCL_STRING: return "string";
    case SL_HCL_LIST: return "list";
    case SL_HCL_SET: return "set";
    case SL_HCL_MAP: return "map";
    case SL_HCL_OBJECT: return "object";
    case SL_HCL_TUPLE: return "tuple";
    default: return "dynamic";
    }
}

static int arg_str(sl_hcl_ctx *ctx, const sl_hcl_call *c, size_t i, const char **s, size_t *n)
{
    const sl_hcl_value *v = ARG(i), *sv;

    if (v->is_null)
        FAIL((int)i, "argument %zu must not be null", i + 1);
    if (sl_hcl_value_to_string(A, v, &sv))
        FAIL((int)i, "argument %zu: string required, but have %s", i + 1, type_word(v));
    *s = sv->u.str.s;
    if (n)
        *n = sv->u.str.len;
    return 0;
}

static int arg_num(sl_hcl_ctx *ctx, const sl_hcl_call *c, size_t i, sl_hcl_num *n)
{
    const sl_hcl_value *v = ARG(i), *nv;

    if (v->is_null)
        FAIL((int)i, "argument %zu must not be null", i + 1);
    if (sl_hcl_convert(A, v, &sl_hcl_t_number, &nv, NULL))
        FAIL((int)i, "argument %zu: a number is required, but have %s", i + 1, type_word(v));
    *n = nv->u.num;
    return 0;
}

static int arg_int(sl_hcl_ctx *ctx, const sl_hcl_call *c, size_t i, int64_t *out)
{
    sl_hcl_num n;
    int rc = arg_num(ctx, c, i, &n);

    if (rc)
        return rc;
    if (sl_hcl_num_to_i64(&n, out))
        FAIL((int)i, "argument %zu: a whole number is required", i + 1);
    return 0;
}

/* A list, set or tuple argument. */
static int arg_seq(sl_hcl_ctx *ctx, const sl_hcl_call *c, size_t i, const sl_hcl_value **v)
{
    *v = ARG(i);
    if ((*v)->is_null)
        FAIL((int)i, "argument %zu must not be null", i + 1);
    if ((*v)->kind != SL_HCL_LIST && (*v)->kind != SL_HCL_SET && (*v)->kind != SL_HCL_TUPLE)
        FAIL((int)i, "argument %zu: a list, set or tuple is required, but have %s", i + 1,
             type_word(*v));
    return 0;
}

static int arg_mapish(sl_hcl_ctx *ctx, const sl_hcl_call *c, size_t i, const sl_hcl_value **v)
{
    *v = ARG(i);
    if ((*v)->is_null)
        FAIL((int)i, "argument %zu must not be null", i + 1);
    if ((*v)->kind != SL_HCL_MAP && (*v)->kind != SL_HCL_OBJECT)
        FAIL((int)i, "argument %zu: a map or object is required, but have %s", i + 1,
             type_word(*v));
    return 0;
}

/* A list value from n elements: a list when they share a type (or after
 * unification), else a tuple. */
static const sl_hcl_value *make_list(sl_hcl_ctx *ctx, size_t n, const sl_hcl_value **v,
                                     const sl_hcl_type *empty_elem)
{
    const sl_hcl_value *tup, *l;

    if (!n)
        return sl_hcl_list(A, empty_elem ? empty_elem : &sl_hcl_t_dynamic, 0, NULL);
    tup = sl_hcl_tuple(A, n, v);
    if (!tup)
        return NULL;
    if (!sl_hcl_convert(A, tup, sl_hcl_type_list(A, &sl_hcl_t_dynamic), &l, NULL))
        return l;
    return tup;
}

static const sl_hcl_value **vals_alloc(sl_hcl_ctx *ctx, size_t n)
{
    return sl_hcl_alloc(A, (n ? n : 1) * sizeof(const sl_hcl_value *));
}

static const sl_hcl_value *num_val(sl_hcl_ctx *ctx, const sl_hcl_num *n)
{
    return sl_hcl_number(A, n);
}

/* ------------------------------------------------------------- numeric */

static int fn_abs(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    sl_hcl_num n;
    int rc = arg_num(ctx, c, 0, &n);
    if (rc)
        return rc;
    n.neg = 0;
    return ret(ctx, c, num_val(ctx, &n), out);
}

static int fn_ceil_floor(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    sl_hcl_num n, r;
    int rc = arg_num(ctx, c, 0, &n);
    if (rc)
        return rc;
    rc = c->name[0] == 'c' ? sl_hcl_num_ceil(A, &n, &r) : sl_hcl_num_floor(A, &n, &r);
    if (rc)
        return rc;
    return ret(ctx, c, num_val(ctx, &r), out);
}

static int fn_minmax(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    sl_hcl_num best, n;
    int want = !strcmp(c->name, "max") ? 1 : -1, rc;

    rc = arg_num(ctx, c, 0, &best);
    for (size_t i = 1; !rc && i < c->argc; i++) {
        rc = arg_num(ctx, c, i, &n);
        if (!rc && sl_hcl_num_cmp(&n, &best) * want > 0)
            best = n;
    }
    if (rc)
        return rc;
    return ret(ctx, c, num_val(ctx, &best), out);
}

static int fn_parseint(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s;
    size_t n, i = 0;
    int64_t base;
    int rc = arg_str(ctx, c, 0, &s, &n), neg = 0;
    sl_hcl_num acc, b, d;

    if (!rc)
        rc = arg_int(ctx, c, 1, &base);
    if (rc)
        return rc;
    if (base < 2 || base > 62)
        FAIL(1, "base must be a whole number between 2 and 62 inclusive");
    if (n && (s[0] == '-' || s[0] == '+'))
        neg = s[i++] == '-';
    if (i >= n)
        FAIL(0, "cannot parse \"%s\" as a base %lld integer", s, (long long)base);
    sl_hcl_num_from_i64(A, 0, &acc);
    sl_hcl_num_from_i64(A, base, &b);
    for (; i < n; i++) {
        int dv;
        char ch = s[i];
        if (ch >= '0' && ch <= '9')
            dv = ch - '0';
        else if (ch >= 'a' && ch <= 'z')
            dv = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'Z')
            dv = base <= 36 ? ch - 'A' + 10 : ch - 'A' + 36;
        else
            dv = 99;
        if (dv >= base)
            FAIL(0, "cannot parse \"%s\" as a base %lld integer", s, (long long)base);
        if (sl_hcl_num_mul(A, &acc, &b, &acc) || sl_hcl_num_from_i64(A, dv, &d) ||
            sl_hcl_num_add(A, &acc, &d, &acc))
            return SL_ENOMEM;
    }
    if (neg && acc.nd)
        acc.neg = 1;
    return ret(ctx, c, num_val(ctx, &acc), out);
}

static int fn_pow(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    sl_hcl_num x, y;
    int64_t e;
    int rc = arg_num(ctx, c, 0, &x);

    if (!rc)
        rc = arg_num(ctx, c, 1, &y);
    if (rc)
        return rc;
    /* Exact for small whole exponents; float64 otherwise (as Terraform). */
    if (!sl_hcl_num_to_i64(&y, &e) && e >= 0 && e <= 1024) {
        sl_hcl_num r;
        sl_hcl_num_from_i64(A, 1, &r);
        for (int64_t k = 0; k < e; k++)
            if ((rc = sl_hcl_num_mul(A, &r, &x, &r)))
                FAIL(-1, "the result is too large");
        return ret(ctx, c, num_val(ctx, &r), out);
    }
    {
        double d = pow(sl_hcl_num_to_double(&x), sl_hcl_num_to_double(&y));
        const sl_hcl_value *v = sl_hcl_number_double(A, d);
        if (!v)
            FAIL(-1, "the result is not a finite number");
        return ret(ctx, c, v, out);
    }
}

static int fn_signum(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    sl_hcl_num n;
    int rc = arg_num(ctx, c, 0, &n);
    if (rc)
        return rc;
    return ret(ctx, c, sl_hcl_number_i64(A, !n.nd ? 0 : n.neg ? -1 : 1), out);
}

/* -------------------------------------------------------------- strings */

static int fn_chomp(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s;
    size_t n;
    int rc = arg_str(ctx, c, 0, &s, &n);
    if (rc)
        return rc;
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return ret_str(ctx, c, s, n, out);
}

/* Unicode-aware case mapping for the common alphabets (ASCII, Latin-1,
 * Latin Extended-A, Greek, Cyrillic). */
static uint32_t case_map(uint32_t cp, int up)
{
    if (up) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) ||
            (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) || (cp >= 0x430 && cp <= 0x44F))
            return cp - 0x20;
        if (cp >= 0x450 && cp <= 0x45F)
            return cp - 0x50;
        if (cp >= 0x100 && cp <= 0x17F && (cp & 1) && cp != 0x131 && cp != 0x149 &&
            cp != 0x17F && !(cp >= 0x138 && cp <= 0x148))
            return cp - 1;
        if (cp >= 0x139 && cp <= 0x148 && !(cp & 1))
            return cp - 1;
        return cp;
    }
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
        (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) || (cp >= 0x410 && cp <= 0x42F))
        return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 0x50;
    if (cp >= 0x100 && cp <= 0x17F && !(cp & 1) && cp != 0x130 && cp != 0x138 &&
        !(cp >= 0x139 && cp <= 0x148))
        return cp + 1;
    if (cp >= 0x139 && cp <= 0x148 && (cp & 1))
        return cp + 1;
    return cp;
}

static int is_letter(uint32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_' || cp == '\'' || (cp >= 0xC0 && cp != 0xD7 && cp != 0xF7 && !hcl_is_unicode_space(cp));
}

static int fn_case(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s;
    size_t n, i = 0;
    sl_buf b = SL_BUF_INIT;
    int rc = arg_str(ctx, c, 0, &s, &n), mode = c->name[0]; /* u, l, t */
    int prev_letter = 0;

    if (rc)
        return rc;
    while (i < n && !rc) {
        uint32_t cp;
        char enc[4];
        i += (size_t)hcl_utf8_decode(s + i, n - i, &cp);
        if (mode == 'u')
            cp = case_map(cp, 1);
        else if (mode == 'l')
            cp = case_map(cp, 0);
        else {
            if (!prev_letter)
                cp = case_map(cp, 1);
            prev_letter = is_letter(cp);
        }
        rc = sl_buf_put(&b, enc, (size_t)hcl_utf8_encode(cp, enc));
    }
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

/* Write v as Terraform's format %v does. */
static int fmt_value(const sl_hcl_value *v, sl_buf *b)
{
    if (v->is_null)
        return sl_buf_puts(b, "null");
    if (v->kind == SL_HCL_STRING)
        return sl_buf_put(b, v->u.str.s, v->u.str.len);
    return sl_hcl_value_write_json(v, b);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* Terraform's format(): Go-style verbs over HCL values; the numeric verbs
 * are delegated to printf with a spec built from the parsed flags. */
static int do_format(sl_hcl_ctx *ctx, const sl_hcl_call *c, const char *f, size_t fn,
                     const sl_hcl_value *const *args, size_t nargs, sl_buf *b)
{
    size_t ai = 0, used = 0;
    int any_explicit = 0;

    for (size_t i = 0; i < fn; i++) {
        char flags[8] = "", spec[64];
        size_t nf = 0;
        int width = -1, prec = -1, explicit_idx = 0, rc;
        const sl_hcl_value *v;
        char verb;
        if (f[i] != '%') {
            if (sl_buf_putc(b, f[i]))
                return SL_ENOMEM;
            continue;
        }
        if (++i >= fn)
            FAIL(0, "format string ends with an incomplete verb");
        if (f[i] == '%') {
            if (sl_buf_putc(b, '%'))
                return SL_ENOMEM;
            continue;
        }
        while (i < fn && strchr("+- #0", f[i]) && nf < sizeof(flags) - 1)
            flags[nf++] = f[i++];
        if (i < fn && f[i] == '[') {
            size_t k = 0;
            i++;
            while (i < fn && isdigit((unsigned char)f[i]))
                k = k * 10 + (size_t)(f[i++] - '0');
            if (i >= fn || f[i] != ']' || k == 0)
                FAIL(0, "invalid argument index in format string");
            i++;
            ai = k - 1;
            explicit_idx = 1;
            any_explicit = 1;
        }
        (void)explicit_idx;
        if (i < fn && isdigit((unsigned char)f[i])) {
            width = 0;
            while (i < fn && isdigit((unsigned char)f[i]))
                width = width * 10 + (f[i++] - '0');
        }
        if (i < fn && f[i] == '.') {
            prec = 0;
            i++;
            while (i < fn && isdigit((unsigned char)f[i]))
                prec = prec * 10 + (f[i++] - '0');
        }
        if (i >= fn)
            FAIL(0, "format string ends with an incomplete verb");
        verb = f[i];
        if (ai >= nargs)
            FAIL(0, "not enough arguments for \"%%%c\" at %zu", verb, i);
        v = args[ai++];
        if (ai > used)
            used = ai;
        if (v->is_null && verb != 'v')
            FAIL(-1, "unsupported value for \"%%%c\" at %zu: null value cannot be formatted",
                 verb, i);
        switch (verb) {
        case 'v':
        case 's':
        case 'q': {
            sl_buf t = SL_BUF_INIT;
            const sl_hcl_value *sv = v;
            if (verb == 's' && sl_hcl_value_to_string(A, v, &sv))
                FAIL(-1, "unsupported value for \"%%s\" at %zu: string required", i);
            if (verb == 'q') {
                if (sl_hcl_value_to_string(A, v, &sv))
                    FAIL(-1, "unsupported value for \"%%q\" at %zu: string required", i);
                rc = sl_hcl_value_write_json(sv, &t);
            } else if (verb == 'v' && strchr(flags, '#')) {
                rc = sl_hcl_value_write_json(v, &t);
            } else {
                rc = fmt_value(sv, &t);
            }
            if (!rc && prec >= 0 && t.len > (size_t)prec)
                t.len = (size_t)prec;
            if (!rc) {
                int pad = width > (int)t.len ? width - (int)t.len : 0;
                int left = strchr(flags, '-') != NULL;
                for (int k = 0; !rc && !left && k < pad; k++)
                    rc = sl_buf_putc(b, ' ');
                if (!rc && t.len)
                    rc = sl_buf_put(b, t.ptr, t.len);
                for (int k = 0; !rc && left && k < pad; k++)
                    rc = sl_buf_putc(b, ' ');
            }
            sl_buf_free(&t);
            if (rc)
                return rc;
            break;
        }
        case 't': {
            const sl_hcl_value *bv;
            if (sl_hcl_convert(A, v, &sl_hcl_t_bool, &bv, NULL))
                FAIL(-1, "unsupported value for \"%%t\" at %zu: bool required", i);
            if (sl_buf_puts(b, bv->u.b ? "true" : "false"))
                return SL_ENOMEM;
            break;
        }
        case 'd':
        case 'b':
        case 'o':
        case 'x':
        case 'X':
        case 'e':
        case 'E':
        case 'f':
        case 'g':
        case 'G': {
            const sl_hcl_value *nv;
            int64_t iv;
            if (sl_hcl_convert(A, v, &sl_hcl_t_number, &nv, NULL))
                FAIL(-1, "unsupported value for \"%%%c\" at %zu: number required", verb, i);
            if (strchr("dboxX", verb)) {
                if (sl_hcl_num_to_i64(&nv->u.num, &iv))
                    FAIL(-1, "unsupported value for \"%%%c\" at %zu: an integer is required",
                         verb, i);
                if (verb == 'd' && width < 0 && !nf) {
                    if (sl_hcl_num_format(&nv->u.num, b))
                        return SL_ENOMEM;
                    break;
                }
                if (verb == 'b') {
                    char bits[80];
                    int k = 0;
                    uint64_t u = iv < 0 ? (uint64_t)0 - (uint64_t)iv : (uint64_t)iv;
                    do {
                        bits[k++] = (char)('0' + (u & 1));
                        u >>= 1;
                    } while (u && k < 70);
                    if (iv < 0 && sl_buf_putc(b, '-'))
                        return SL_ENOMEM;
                    while (k)
                        if (sl_buf_putc(b, bits[--k]))
                            return SL_ENOMEM;
                    break;
                }
                snprintf(spec, sizeof(spec), "%%%s%s%s%s%s%s%c", flags, width >= 0 ? "*" : "",
                         "", "", "", "ll", verb);
                if (width >= 0)
                    rc = sl_buf_printf(b, spec, width, (long long)iv);
                else
                    rc = sl_buf_printf(b, spec, (long long)iv);
            } else {
                double d = sl_hcl_num_to_double(&nv->u.num);
                snprintf(spec, sizeof(spec), "%%%s%s%s%c", flags, width >= 0 ? "*" : "",
                         prec >= 0 ? ".*" : "", verb);
                if (width >= 0 && prec >= 0)
                    rc = sl_buf_printf(b, spec, width, prec, d);
                else if (width >= 0)
                    rc = sl_buf_printf(b, spec, width, d);
                else if (prec >= 0)
                    rc = sl_buf_printf(b, spec, prec, d);
                else
                    rc = sl_buf_printf(b, spec, d);
            }
            if (rc)
                return rc;
            break;
        }
        default:
            FAIL(0, "unrecognized format verb '%c' at %zu", verb, i);
        }
    }
    if (!any_explicit && used < nargs)
        FAIL(-1, "too many arguments; only %zu used by format string", used);
    return 0;
}

#pragma GCC diagnostic pop

static int fn_format(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *f;
    size_t fn;
    sl_buf b = SL_BUF_INIT;
    int rc = arg_str(ctx, c, 0, &f, &fn);

    if (!rc)
        rc = do_format(ctx, c, f, fn, c->argv + 1, c->argc - 1, &b);
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

static int fn_formatlist(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *f;
    size_t fn, n = (size_t)-1;
    const sl_hcl_value **args, **res;
    int rc = arg_str(ctx, c, 0, &f, &fn);

    if (rc)
        return rc;
    for (size_t i = 1; i < c->argc; i++) {
        const sl_hcl_value *v = ARG(i);
        if (!v->is_null && (v->kind == SL_HCL_LIST || v->kind == SL_HCL_TUPLE ||
                            v->kind == SL_HCL_SET)) {
            if (n != (size_t)-1 && n != v->u.c.n)
                FAIL((int)i, "argument %zu has length %zu, which is inconsistent with argument "
                             "of length %zu",
                     i + 1, v->u.c.n, n);
            n = v->u.c.n;
        }
    }
    if (n == (size_t)-1)
        n = 1;
    args = calloc(c->argc + 1, sizeof(*args));
    res = vals_alloc(ctx, n);
    NOMEM(args && res);
    for (size_t k = 0; k < n; k++) {
        sl_buf b = SL_BUF_INIT;
        for (size_t i = 1; i < c->argc; i++) {
            const sl_hcl_value *v = ARG(i);
            args[i - 1] = (!v->is_null && (v->kind == SL_HCL_LIST || v->kind == SL_HCL_TUPLE ||
                                           v->kind == SL_HCL_SET))
                              ? v->u.c.v[k]
                              : v;
        }
        rc = do_format(ctx, c, f, fn, args, c->argc - 1, &b);
        if (!rc && !(res[k] = sl_hcl_string(A, b.ptr ? b.ptr : "", b.len)))
            rc = SL_ENOMEM;
        sl_buf_free(&b);
        if (rc) {
            free(args);
            return rc;
        }
    }
    free(args);
    return ret(ctx, c, sl_hcl_list(A, &sl_hcl_t_string, n, res), out);
}

static int fn_indent(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    int64_t spaces;
    const char *s;
    size_t n;
    sl_buf b = SL_BUF_INIT;
    int rc = arg_int(ctx, c, 0, &spaces);

    if (!rc)
        rc = arg_str(ctx, c, 1, &s, &n);
    if (rc)
        return rc;
    if (spaces < 0 || spaces > 1000)
        FAIL(0, "the number of spaces must be between 0 and 1000");
    for (size_t i = 0; !rc && i < n; i++) {
        rc = sl_buf_putc(&b, s[i]);
        if (s[i] == '\n')
            for (int64_t k = 0; !rc && k < spaces; k++)
                rc = sl_buf_putc(&b, ' ');
    }
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

static int fn_join(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *sep;
    size_t sn;
    sl_buf b = SL_BUF_INIT;
    int rc = arg_str(ctx, c, 0, &sep, &sn), first = 1;

    for (size_t i = 1; !rc && i < c->argc; i++) {
        const sl_hcl_value *l;
        rc = arg_seq(ctx, c, i, &l);
        for (size_t k = 0; !rc && k < l->u.c.n; k++) {
            const sl_hcl_value *s;
            if (l->u.c.v[k]->is_null) {
                rc = sl_hcl_func_error(ctx, c, (int)i, "element %zu is null", k);
                break;
            }
            if (sl_hcl_value_to_string(A, l->u.c.v[k], &s)) {
                rc = sl_hcl_func_error(ctx, c, (int)i, "element %zu: string required", k);
                break;
            }
            if (!first)
                rc = sl_buf_put(&b, sep, sn);
            first = 0;
            if (!rc)
                rc = sl_buf_put(&b, s->u.str.s, s->u.str.len);
        }
    }
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

/* ------------------------------------------------------------- regexes */

/* A compiled pattern (PCRE2, which accepts RE2's syntax: \\d \\w \\s, (?:...),
 * (?P<name>...), (?i), lazy quantifiers, \\b, \\pL). groups maps match
 * groups to capture indexes (identity with PCRE2); names[capture] is the
 * capture's name or NULL. */
typedef struct re2x {
    pcre2_code *code;
    pcre2_match_data *md;
    int ncap;
    int ngroups;
    int groups[64];
    char *names[64];
} re2x;

static void re2x_free(re2x *r)
{
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->code);
    for (int i = 0; i < 64; i++)
        free(r->names[i]);
}

static int re2x_compile(const char *pat, re2x *r, char *err, size_t errn)
{
    int ecode;
    PCRE2_SIZE eoff;
    uint32_t cc = 0, nn = 0, esize = 0;
    PCRE2_SPTR table = NULL;

    memset(r, 0, sizeof(*r));
    r->code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ecode, &eoff,
                            NULL);
    if (!r->code) {
        PCRE2_UCHAR msg[200];
        pcre2_get_error_message(ecode, msg, sizeof(msg));
        snprintf(err, errn, "%s at offset %zu", (const char *)msg, (size_t)eoff);
        return -1;
    }
    pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &cc);
    if (cc > 63) {
        snprintf(err, errn, "too many capture groups");
        return -1;
    }
    r->ncap = r->ngroups = (int)cc;
    for (int g = 0; g < (int)cc; g++)
        r->groups[g] = g;
    pcre2_pattern_info(r->code, PCRE2_INFO_NAMECOUNT, &nn);
    pcre2_pattern_info(r->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
    pcre2_pattern_info(r->code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < nn && table; i++) {
        const unsigned char *e = (const unsigned char *)table + i * esize;
        int g = (e[0] << 8 | e[1]) - 1;
        if (g >= 0 && g < 64 && !r->names[g])
            r->names[g] = strdup((const char *)e + 2);
    }
    r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
    if (!r->md) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    return 0;
}

/* Match at or after byte off of s[0..len); 0 with m[0..ngroups] relative to
 * s + off (rm_so -1 for unset groups), or REG_NOMATCH. */
static int re_exec(re2x *r, const char *s, size_t len, size_t off, regmatch_t *m)
{
    int rc;
    PCRE2_SIZE *ov;

    if (off > len)
        return REG_NOMATCH;
    rc = pcre2_match(r->code, (PCRE2_SPTR)s, len, off, 0, r->md, NULL);
    if (rc < 0)
        return REG_NOMATCH;
    ov = pcre2_get_ovector_pointer(r->md);
    for (int g = 0; g <= r->ngroups; g++) {
        if (g >= rc || ov[2 * g] == PCRE2_UNSET) {
            m[g].rm_so = m[g].rm_eo = -1;
        } else {
            m[g].rm_so = (regoff_t)(ov[2 * g] - off);
            m[g].rm_eo = (regoff_t)(ov[2 * g + 1] - off);
        }
    }
    return 0;
}

/* The value regex() returns for one match. */
static const sl_hcl_value *match_value(sl_hcl_ctx *ctx, const re2x *r, const char *s,
                                       const regmatch_t *m)
{
    const sl_hcl_value **vals;
    int named = 0;

    if (!r->ncap)
        return sl_hcl_string(A, s + m[0].rm_so, (size_t)(m[0].rm_eo - m[0].rm_so));
    vals = vals_alloc(ctx, (size_t)r->ncap);
    if (!vals)
        return NULL;
    for (int g = 0; g < r->ngroups; g++) {
        int cap = r->groups[g];
        const regmatch_t *gm = &m[g + 1];
        if (cap < 0)
            continue;
        if (gm->rm_so < 0)
            vals[cap] = sl_hcl_null(A, &sl_hcl_t_string);
        else
            vals[cap] = sl_hcl_string(A, s + gm->rm_so, (size_t)(gm->rm_eo - gm->rm_so));
        if (!vals[cap])
            return NULL;
        if (r->names[cap])
            named = 1;
    }
    if (named) {
        const char **keys = sl_hcl_alloc(A, (size_t)r->ncap * sizeof(*keys));
        size_t k = 0;
        const sl_hcl_value **nv = vals_alloc(ctx, (size_t)r->ncap);
        if (!keys || !nv)
            return NULL;
        for (int i = 0; i < r->ncap; i++)
            if (r->names[i]) {
                keys[k] = r->names[i];
                nv[k++] = vals[i];
            }
        return sl_hcl_object(A, k, keys, nv);
    }
    return sl_hcl_list(A, &sl_hcl_t_string, (size_t)r->ncap, vals);
}

static int fn_regex(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *pat, *s;
    re2x r;
    char err[256];
    regmatch_t m[65];
    int all = !strcmp(c->name, "regexall"), rc = arg_str(ctx, c, 0, &pat, NULL);
    const sl_hcl_value **res = NULL;
    size_t nres = 0, cap = 0, off = 0, len;

    if (!rc)
        rc = arg_str(ctx, c, 1, &s, &len);
    if (rc)
        return rc;
    if (re2x_compile(pat, &r, err, sizeof(err))) {
        re2x_free(&r);
        FAIL(0, "invalid regular expression pattern: %s", err);
    }
    for (;;) {
        const sl_hcl_value *v;
        int e = re_exec(&r, s, len, off, m);
        if (e)
            break;
        for (int g = 0; g <= r.ngroups; g++)
            if (m[g].rm_so >= 0) {
                m[g].rm_so += (regoff_t)off;
                m[g].rm_eo += (regoff_t)off;
            }
        v = match_value(ctx, &r, s, m);
        if (!v) {
            free(res);
            re2x_free(&r);
            return SL_ENOMEM;
        }
        if (!all) {
            re2x_free(&r);
            return ret(ctx, c, v, out);
        }
        if (nres == cap) {
            const sl_hcl_value **t;
            cap = cap ? cap * 2 : 8;
            t = realloc(res, cap * sizeof(*t));
            if (!t) {
                free(res);
                re2x_free(&r);
                return SL_ENOMEM;
            }
            res = t;
        }
        res[nres++] = v;
        off = (size_t)m[0].rm_eo + (m[0].rm_eo == m[0].rm_so ? 1 : 0);
        if (nres > 100000)
            break;
    }
    re2x_free(&r);
    if (!all)
        FAIL(1, "pattern did not match any part of the given string");
    {
        const sl_hcl_value **v = vals_alloc(ctx, nres), *l;
        if (!v) {
            free(res);
            return SL_ENOMEM;
        }
        if (nres)
            memcpy(v, res, nres * sizeof(*v));
        free(res);
        l = make_list(ctx, nres, v, nres ? NULL : &sl_hcl_t_dynamic);
        return ret(ctx, c, l, out);
    }
}

static int fn_replace(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s, *sub, *rep;
    size_t sn, subn, repn;
    sl_buf b = SL_BUF_INIT;
    int rc = arg_str(ctx, c, 0, &s, &sn);

    if (!rc)
        rc = arg_str(ctx, c, 1, &sub, &subn);
    if (!rc)
        rc = arg_str(ctx, c, 2, &rep, &repn);
    if (rc)
        return rc;
    if (subn >= 2 && sub[0] == '/' && sub[subn - 1] == '/') {
        char *pat = strndup(sub + 1, subn - 2), err[256];
        re2x r;
        regmatch_t m[65];
        size_t off = 0;
        if (!pat)
            return SL_ENOMEM;
        if (re2x_compile(pat, &r, err, sizeof(err))) {
            free(pat);
            re2x_free(&r);
            FAIL(1, "invalid regular expression pattern: %s", err);
        }
        free(pat);
        while (!rc && off <= sn &&
               !re_exec(&r, s, sn, off, m)) {
            rc = sl_buf_put(&b, s + off, (size_t)m[0].rm_so);
            /* Expand $1, ${1}, ${name} in rep. */
            for (size_t k = 0; !rc && k < repn; k++) {
                if (rep[k] == '$' && k + 1 < repn) {
                    size_t ks = k + 1, ke;
                    int brace = rep[ks] == '{';
                    char name[64];
                    int cap = -1;
                    if (brace)
                        ks++;
                    ke = ks;
                    while (ke < repn && (isalnum((unsigned char)rep[ke]) || rep[ke] == '_'))
                        ke++;
                    if (ke > ks && ke - ks < sizeof(name) && (!brace || (ke < repn && rep[ke] == '}'))) {
                        memcpy(name, rep + ks, ke - ks);
                        name[ke - ks] = 0;
                        if (isdigit((unsigned char)name[0]))
                            cap = atoi(name) - 1;
                        else
                            for (int q = 0; q < r.ncap; q++)
                                if (r.names[q] && !strcmp(r.names[q], name))
                                    cap = q;
                        if (!strcmp(name, "0"))
                            rc = sl_buf_put(&b, s + off + m[0].rm_so,
                                            (size_t)(m[0].rm_eo - m[0].rm_so));
                        for (int g = 0; !rc && g < r.ngroups; g++)
                            if (r.groups[g] == cap && cap >= 0 && m[g + 1].rm_so >= 0)
                                rc = sl_buf_put(&b, s + off + m[g + 1].rm_so,
                                                (size_t)(m[g + 1].rm_eo - m[g + 1].rm_so));
                        k = brace ? ke : ke - 1;
                        continue;
                    }
                }
                rc = sl_buf_putc(&b, rep[k]);
            }
            if (m[0].rm_eo == m[0].rm_so) {
                if (off + (size_t)m[0].rm_eo < sn && !rc)
                    rc = sl_buf_putc(&b, s[off + (size_t)m[0].rm_eo]);
                off += (size_t)m[0].rm_eo + 1;
            } else {
                off += (size_t)m[0].rm_eo;
            }
        }
        if (!rc && off < sn)
            rc = sl_buf_put(&b, s + off, sn - off);
        re2x_free(&r);
    } else if (!subn) {
        rc = sl_buf_put(&b, s, sn);
    } else {
        size_t i = 0;
        while (!rc && i < sn) {
            if (i + subn <= sn && !memcmp(s + i, sub, subn)) {
                rc = sl_buf_put(&b, rep, repn);
                i += subn;
            } else {
                rc = sl_buf_putc(&b, s[i++]);
            }
        }
    }
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

static int fn_split(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *sep, *s;
    size_t sepn, sn, n = 0, cap = 8, start = 0;
    const sl_hcl_value **v;
    int rc = arg_str(ctx, c, 0, &sep, &sepn);

    if (!rc)
        rc = arg_str(ctx, c, 1, &s, &sn);
    if (rc)
        return rc;
    v = malloc(cap * sizeof(*v));
    NOMEM(v);
    for (size_t i = 0; i <= sn; i++) {
        int at_sep = sepn ? (i + sepn <= sn && !memcmp(s + i, sep, sepn)) : 0;
        if (!sepn) {
            /* Split into characters. */
            if (i == sn)
                break;
            uint32_t cp;
            int l = hcl_utf8_decode(s + i, sn - i, &cp);
            if (n == cap) {
                cap *= 2;
                const sl_hcl_value **t = realloc(v, cap * sizeof(*t));
                if (!t) {
                    free(v);
                    return SL_ENOMEM;
                }
                v = t;
            }
            v[n++] = sl_hcl_string(A, s + i, (size_t)l);
            i += (size_t)l - 1;
            continue;
        }
        if (at_sep || i == sn) {
            if (n == cap) {
                cap *= 2;
                const sl_hcl_value **t = realloc(v, cap * sizeof(*t));
                if (!t) {
                    free(v);
                    return SL_ENOMEM;
                }
                v = t;
            }
            v[n++] = sl_hcl_string(A, s + start, i - start);
            if (i == sn)
                break;
            i += sepn - 1;
            start = i + 1;
        }
    }
    {
        const sl_hcl_value **av = vals_alloc(ctx, n);
        if (!av) {
            free(v);
            return SL_ENOMEM;
        }
        if (n)
            memcpy(av, v, n * sizeof(*av));
        free(v);
        for (size_t i = 0; i < n; i++)
            NOMEM(av[i]);
        return ret(ctx, c, sl_hcl_list(A, &sl_hcl_t_string, n, av), out);
    }
}

/* Code point boundaries of s (count in *n, offsets in a malloc'd array). */
static size_t *char_offsets(const char *s, size_t len, size_t *n)
{
    size_t *o = malloc((len + 1) * sizeof(*o)), i = 0, k = 0;

    if (!o)
        return NULL;
    while (i < len) {
        uint32_t cp;
        o[k++] = i;
        i += (size_t)hcl_utf8_decode(s + i, len - i, &cp);
    }
    o[k] = len;
    *n = k;
    return o;
}

static int fn_strrev(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s;
    size_t n, nc;
    size_t *o;
    sl_buf b = SL_BUF_INIT;
    int rc = arg_str(ctx, c, 0, &s, &n);

    if (rc)
        return rc;
    o = char_offsets(s, n, &nc);
    NOMEM(o);
    /* Reverse by characters, keeping combining marks after their base. */
    for (size_t k = nc; !rc && k > 0;) {
        size_t end = k, start = k - 1;
        while (start > 0) {
            uint32_t cp;
            hcl_utf8_decode(s + o[start], o[start + 1] - o[start], &cp);
            if (!((cp >= 0x300 && cp <= 0x36F) || cp == 0x200D || (cp >= 0xFE00 && cp <= 0xFE0F) ||
                  (cp >= 0x1F3FB && cp <= 0x1F3FF)))
                break;
            start--;
        }
        rc = sl_buf_put(&b, s + o[start], o[end] - o[start]);
        k = start;
    }
    free(o);
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

static int fn_substr(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s;
    size_t n, nc, *o;
    int64_t off, len;
    int rc = arg_str(ctx, c, 0, &s, &n);

    if (!rc)
        rc = arg_int(ctx, c, 1, &off);
    if (!rc)
        rc = arg_int(ctx, c, 2, &len);
    if (rc)
        return rc;
    o = char_offsets(s, n, &nc);
    NOMEM(o);
    if (off < 0)
        off += (int64_t)nc;
    if (off < 0)
        off = 0;
    if (off > (int64_t)nc) {
        free(o);
        FAIL(1, "offset must be no greater than the string length");
    }
    if (len < 0 || off + len > (int64_t)nc)
        len = (int64_t)nc - off;
    rc = ret_str(ctx, c, s + o[off], o[off + len] - o[off], out);
    free(o);
    return rc;
}

static int in_cutset(const char *cut, size_t cn, uint32_t cp)
{
    size_t i = 0;
    while (i < cn) {
        uint32_t k;
        i += (size_t)hcl_utf8_decode(cut + i, cn - i, &k);
        if (k == cp)
            return 1;
    }
    return 0;
}

static int fn_trim(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s, *cut = NULL;
    size_t n, cn = 0, st = 0, en, nc, *o;
    int space = !strcmp(c->name, "trimspace");
    int rc = arg_str(ctx, c, 0, &s, &n);

    if (!rc && !space)
        rc = arg_str(ctx, c, 1, &cut, &cn);
    if (rc)
        return rc;
    o = char_offsets(s, n, &nc);
    NOMEM(o);
    en = nc;
    while (st < en) {
        uint32_t cp;
        hcl_utf8_decode(s + o[st], o[st + 1] - o[st], &cp);
        if (space ? !hcl_is_unicode_space(cp) : !in_cutset(cut, cn, cp))
            break;
        st++;
    }
    while (en > st) {
        uint32_t cp;
        hcl_utf8_decode(s + o[en - 1], o[en] - o[en - 1], &cp);
        if (space ? !hcl_is_unicode_space(cp) : !in_cutset(cut, cn, cp))
            break;
        en--;
    }
    rc = ret_str(ctx, c, s + o[st], o[en] - o[st], out);
    free(o);
    return rc;
}

static int fn_trimfix(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s, *p;
    size_t n, pn;
    int prefix = !strcmp(c->name, "trimprefix");
    int rc = arg_str(ctx, c, 0, &s, &n);

    if (!rc)
        rc = arg_str(ctx, c, 1, &p, &pn);
    if (rc)
        return rc;
    if (pn <= n && prefix && !memcmp(s, p, pn))
        return ret_str(ctx, c, s + pn, n - pn, out);
    if (pn <= n && !prefix && !memcmp(s + n - pn, p, pn))
        return ret_str(ctx, c, s, n - pn, out);
    return ret_str(ctx, c, s, n, out);
}

static int fn_startsends(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s, *p;
    size_t n, pn;
    int rc = arg_str(ctx, c, 0, &s, &n);

    if (!rc)
        rc = arg_str(ctx, c, 1, &p, &pn);
    if (rc)
        return rc;
    if (pn > n)
        return ret(ctx, c, &sl_hcl_false, out);
    return ret(ctx, c,
               sl_hcl_bool(c->name[0] == 's' ? !memcmp(s, p, pn) : !memcmp(s + n - pn, p, pn)),
               out);
}

/* ---------------------------------------------------------- collections */

static int fn_alltrue(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l;
    int all = c->name[0] == 'a' && c->name[1] == 'l', acc = all;
    int rc = arg_seq(ctx, c, 0, &l);

    for (size_t i = 0; !rc && i < l->u.c.n; i++) {
        const sl_hcl_value *b;
        if (l->u.c.v[i]->is_null || sl_hcl_convert(A, l->u.c.v[i], &sl_hcl_t_bool, &b, NULL))
            FAIL(0, "element %zu: a bool is required", i);
        acc = all ? (acc && b->u.b) : (acc || b->u.b);
    }
    if (rc)
        return rc;
    return ret(ctx, c, sl_hcl_bool(acc), out);
}

static int fn_chunklist(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l, **chunks;
    int64_t size;
    size_t n;
    int rc = arg_seq(ctx, c, 0, &l);

    if (!rc)
        rc = arg_int(ctx, c, 1, &size);
    if (rc)
        return rc;
    if (size < 0)
        FAIL(1, "the size argument must be positive");
    if (size == 0)
        size = (int64_t)(l->u.c.n ? l->u.c.n : 1);
    n = (l->u.c.n + (size_t)size - 1) / (size_t)size;
    chunks = vals_alloc(ctx, n);
    NOMEM(chunks);
    for (size_t k = 0; k < n; k++) {
        size_t from = k * (size_t)size, m = l->u.c.n - from < (size_t)size ? l->u.c.n - from
                                                                           : (size_t)size;
        const sl_hcl_value **v = vals_alloc(ctx, m);
        NOMEM(v);
        memcpy(v, l->u.c.v + from, m * sizeof(*v));
        chunks[k] = make_list(ctx, m, v, NULL);
        NOMEM(chunks[k]);
    }
    return ret(ctx, c, make_list(ctx, n, chunks, sl_hcl_type_list(A, &sl_hcl_t_dynamic)), out);
}

static int fn_coalesce(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    for (size_t i = 0; i < c->argc; i++) {
        const sl_hcl_value *v = ARG(i);
        if (v->is_null || (v->kind == SL_HCL_STRING && !v->u.str.len))
            continue;
        return ret(ctx, c, v, out);
    }
    FAIL(-1, "no non-null, non-empty-string arguments");
}

static int fn_coalescelist(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    for (size_t i = 0; i < c->argc; i++) {
        const sl_hcl_value *v;
        int rc = arg_seq(ctx, c, i, &v);
        if (rc)
            return rc;
        if (v->u.c.n)
            return ret(ctx, c, v, out);
    }
    FAIL(-1, "no non-null arguments");
}

static int fn_compact(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l, **v;
    size_t n = 0;
    int rc = arg_seq(ctx, c, 0, &l);

    if (rc)
        return rc;
    v = vals_alloc(ctx, l->u.c.n);
    NOMEM(v);
    for (size_t i = 0; i < l->u.c.n; i++) {
        const sl_hcl_value *e = l->u.c.v[i], *s;
        if (e->is_null)
            continue;
        if (sl_hcl_value_to_string(A, e, &s))
            FAIL(0, "element %zu: string required", i);
        if (s->u.str.len)
            v[n++] = s;
    }
    return ret(ctx, c, sl_hcl_list(A, &sl_hcl_t_string, n, v), out);
}

static int fn_concat(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    size_t total = 0, k = 0;
    const sl_hcl_value **v;

    for (size_t i = 0; i < c->argc; i++) {
        const sl_hcl_value *l;
        int rc = arg_seq(ctx, c, i, &l);
        if (rc)
            return rc;
        total += l->u.c.n;
    }
    v = vals_alloc(ctx, total);
    NOMEM(v);
    for (size_t i = 0; i < c->argc; i++)
        for (size_t j = 0; j < ARG(i)->u.c.n; j++)
            v[k++] = ARG(i)->u.c.v[j];
    return ret(ctx, c, make_list(ctx, total, v, c->argc ? ARG(0)->type->elem : NULL), out);
}

static int fn_contains(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l;
    int rc = arg_seq(ctx, c, 0, &l);

    if (rc)
        return rc;
    for (size_t i = 0; i < l->u.c.n; i++) {
        const sl_hcl_value *conv = ARG(1);
        if (!sl_hcl_value_equal(l->u.c.v[i], ARG(1)) && !ARG(1)->is_null &&
            !sl_hcl_convert(A, ARG(1), l->u.c.v[i]->type, &conv, NULL) &&
            sl_hcl_value_equal(l->u.c.v[i], conv))
            return ret(ctx, c, &sl_hcl_true, out);
        if (sl_hcl_value_equal(l->u.c.v[i], ARG(1)))
            return ret(ctx, c, &sl_hcl_true, out);
    }
    return ret(ctx, c, &sl_hcl_false, out);
}

static int fn_distinct(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l, **v;
    size_t n = 0;
    int rc = arg_seq(ctx, c, 0, &l);

    if (rc)
        return rc;
    v = vals_alloc(ctx, l->u.c.n);
    NOMEM(v);
    for (size_t i = 0; i < l->u.c.n; i++) {
        size_t j;
        for (j = 0; j < n; j++)
            if (sl_hcl_value_equal(v[j], l->u.c.v[i]))
                break;
        if (j == n)
            v[n++] = l->u.c.v[i];
    }
    return ret(ctx, c, make_list(ctx, n, v, l->type->elem), out);
}

static int fn_element(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l;
    int64_t i;
    int rc = arg_seq(ctx, c, 0, &l);

    if (!rc)
        rc = arg_int(ctx, c, 1, &i);
    if (rc)
        return rc;
    if (l->kind == SL_HCL_SET)
        FAIL(0, "cannot use element function with a set");
    if (!l->u.c.n)
        FAIL(0, "cannot use element function with an empty list");
    if (i < 0)
        FAIL(1, "cannot use element function with a negative index");
    return ret(ctx, c, l->u.c.v[(size_t)i % l->u.c.n], out);
}

static int flatten_into(sl_hcl_ctx *ctx, const sl_hcl_value *l, const sl_hcl_value ***v,
                        size_t *n, size_t *cap, int depth)
{
    if (depth > 100)
        return SL_ELIMIT;
    for (size_t i = 0; i < l->u.c.n; i++) {
        const sl_hcl_value *e = l->u.c.v[i];
        if (!e->is_null && (e->kind == SL_HCL_LIST || e->kind == SL_HCL_SET ||
                            e->kind == SL_HCL_TUPLE)) {
            int rc = flatten_into(ctx, e, v, n, cap, depth + 1);
            if (rc)
                return rc;
            continue;
        }
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            const sl_hcl_value **t = realloc(*v, nc * sizeof(*t));
            if (!t)
                return SL_ENOMEM;
            *v = t;
            *cap = nc;
        }
        (*v)[(*n)++] = e;
    }
    return 0;
}

static int fn_flatten(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l, **v = NULL, **av;
    size_t n = 0, cap = 0;
    int rc = arg_seq(ctx, c, 0, &l);

    if (!rc)
        rc = flatten_into(ctx, l, &v, &n, &cap, 0);
    if (rc) {
        free(v);
        return rc;
    }
    av = vals_alloc(ctx, n);
    if (!av) {
        free(v);
        return SL_ENOMEM;
    }
    if (n)
        memcpy(av, v, n * sizeof(*av));
    free(v);
    return ret(ctx, c, make_list(ctx, n, av, NULL), out);
}

static int fn_index(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l;
    int rc = arg_seq(ctx, c, 0, &l);

    if (rc)
        return rc;
    if (l->kind == SL_HCL_SET)
        FAIL(0, "argument must be a list or tuple");
    for (size_t i = 0; i < l->u.c.n; i++)
        if (sl_hcl_value_equal(l->u.c.v[i], ARG(1)))
            return ret(ctx, c, sl_hcl_number_i64(A, (int64_t)i), out);
    FAIL(1, "item not found");
}

static int fn_keys_values(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *m, **v;
    int keys = c->name[0] == 'k';
    int rc = arg_mapish(ctx, c, 0, &m);

    if (rc)
        return rc;
    v = vals_alloc(ctx, m->u.c.n);
    NOMEM(v);
    for (size_t i = 0; i < m->u.c.n; i++) {
        v[i] = keys ? sl_hcl_string_cstr(A, m->u.c.keys[i]) : m->u.c.v[i];
        NOMEM(v[i]);
    }
    if (keys)
        return ret(ctx, c, sl_hcl_list(A, &sl_hcl_t_string, m->u.c.n, v), out);
    if (m->kind == SL_HCL_MAP)
        return ret(ctx, c, sl_hcl_list(A, m->type->elem, m->u.c.n, v), out);
    return ret(ctx, c, sl_hcl_tuple(A, m->u.c.n, v), out);
}

static int fn_length(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *v = ARG(0);
    size_t n = 0;

    if (v->is_null)
        FAIL(0, "argument must not be null");
    if (v->kind == SL_HCL_STRING) {
        size_t i = 0;
        while (i < v->u.str.len) {
            uint32_t cp;
            i += (size_t)hcl_utf8_decode(v->u.str.s + i, v->u.str.len - i, &cp);
            /* Combining marks and joiners belong to the previous character. */
            if (!((cp >= 0x300 && cp <= 0x36F) || cp == 0x200D ||
                  (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0x1F3FB && cp <= 0x1F3FF)))
                n++;
            else if (cp == 0x200D && i < v->u.str.len) {
                i += (size_t)hcl_utf8_decode(v->u.str.s + i, v->u.str.len - i, &cp);
            }
        }
    } else if (v->kind >= SL_HCL_LIST) {
        n = v->u.c.n;
    } else {
        FAIL(0, "argument must be a string, a collection type, or a structural type");
    }
    return ret(ctx, c, sl_hcl_number_i64(A, (int64_t)n), out);
}

static int fn_lookup(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *m, *v;
    const char *k;
    int rc = arg_mapish(ctx, c, 0, &m);

    if (!rc)
        rc = arg_str(ctx, c, 1, &k, NULL);
    if (rc)
        return rc;
    v = sl_hcl_value_attr(m, k);
    if (v)
        return ret(ctx, c, v, out);
    if (c->argc > 2)
        return ret(ctx, c, ARG(2), out);
    FAIL(1, "the given key \"%s\" does not exist in the map", k);
}

static int fn_matchkeys(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *vals, *keys, *search, **v;
    size_t n = 0;
    int rc = arg_seq(ctx, c, 0, &vals);

    if (!rc)
        rc = arg_seq(ctx, c, 1, &keys);
    if (!rc)
        rc = arg_seq(ctx, c, 2, &search);
    if (rc)
        return rc;
    if (vals->u.c.n != keys->u.c.n)
        FAIL(-1, "length of keys and values should be equal");
    v = vals_alloc(ctx, vals->u.c.n);
    NOMEM(v);
    for (size_t i = 0; i < keys->u.c.n; i++)
        for (size_t j = 0; j < search->u.c.n; j++)
            if (sl_hcl_value_equal(keys->u.c.v[i], search->u.c.v[j])) {
                v[n++] = vals->u.c.v[i];
                break;
            }
    return ret(ctx, c, make_list(ctx, n, v, vals->type->elem), out);
}

static int fn_merge(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    size_t total = 0, k = 0;
    const char **keys;
    const sl_hcl_value **v;
    int all_maps = 1;

    for (size_t i = 0; i < c->argc; i++) {
        const sl_hcl_value *m = ARG(i);
        if (m->is_null)
            continue;
        if (m->kind != SL_HCL_MAP && m->kind != SL_HCL_OBJECT)
            FAIL((int)i, "arguments must be maps or objects, got %s", type_word(m));
        if (m->kind != SL_HCL_MAP)
            all_maps = 0;
        total += m->u.c.n;
    }
    keys = malloc((total + 1) * sizeof(*keys));
    v = vals_alloc(ctx, total);
    if (!keys || !v) {
        free(keys);
        return SL_ENOMEM;
    }
    for (size_t i = 0; i < c->argc; i++)
        if (!ARG(i)->is_null)
            for (size_t j = 0; j < ARG(i)->u.c.n; j++) {
                keys[k] = ARG(i)->u.c.keys[j];
                v[k++] = ARG(i)->u.c.v[j];
            }
    {
        const sl_hcl_value *r = sl_hcl_object(A, k, keys, v);
        free(keys);
        NOMEM(r);
        if (all_maps) {
            const sl_hcl_value *mv;
            if (!sl_hcl_convert(A, r, sl_hcl_type_map(A, &sl_hcl_t_dynamic), &mv, NULL))
                r = mv;
        }
        return ret(ctx, c, r, out);
    }
}

static int fn_one(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l;
    int rc = arg_seq(ctx, c, 0, &l);

    if (rc)
        return rc;
    if (l->u.c.n == 0)
        return ret(ctx, c, sl_hcl_null(A, l->type->elem), out);
    if (l->u.c.n > 1)
        FAIL(0, "must be a list, set, or tuple value with either zero or one elements");
    return ret(ctx, c, l->u.c.v[0], out);
}

static int fn_range(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    sl_hcl_num start, limit, step, cur;
    const sl_hcl_value **v = NULL;
    size_t n = 0;
    int rc;

    sl_hcl_num_from_i64(A, 0, &start);
    sl_hcl_num_from_i64(A, 1, &step);
    if (c->argc == 1) {
        rc = arg_num(ctx, c, 0, &limit);
    } else {
        rc = arg_num(ctx, c, 0, &start);
        if (!rc)
            rc = arg_num(ctx, c, 1, &limit);
        if (!rc && c->argc > 2)
            rc = arg_num(ctx, c, 2, &step);
    }
    if (rc)
        return rc;
    if (!step.nd)
        FAIL(2, "step must not be zero");
    if (sl_hcl_num_cmp(&limit, &start) < 0 && !step.neg && c->argc < 3)
        step.neg = 1;
    if ((sl_hcl_num_cmp(&limit, &start) > 0 && step.neg) ||
        (sl_hcl_num_cmp(&limit, &start) < 0 && !step.neg))
        FAIL(-1, "step must be %s when start is %s than limit", step.neg ? "positive" : "negative",
             step.neg ? "less" : "greater");
    v = vals_alloc(ctx, 1025);
    NOMEM(v);
    cur = start;
    while (step.neg ? sl_hcl_num_cmp(&cur, &limit) > 0 : sl_hcl_num_cmp(&cur, &limit) < 0) {
        if (n >= 1024)
            FAIL(-1, "more than 1024 values were generated; either decrease the difference "
                     "between start and limit or use a larger step value");
        v[n] = num_val(ctx, &cur);
        NOMEM(v[n]);
        n++;
        if (sl_hcl_num_add(A, &cur, &step, &cur))
            return SL_ENOMEM;
    }
    return ret(ctx, c, sl_hcl_list(A, &sl_hcl_t_number, n, v), out);
}

static int fn_reverse(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l, **v;
    int rc = arg_seq(ctx, c, 0, &l);

    if (rc)
        return rc;
    if (l->kind == SL_HCL_SET)
        FAIL(0, "can only reverse list or tuple values, not set");
    v = vals_alloc(ctx, l->u.c.n);
    NOMEM(v);
    for (size_t i = 0; i < l->u.c.n; i++)
        v[i] = l->u.c.v[l->u.c.n - 1 - i];
    if (l->kind == SL_HCL_TUPLE)
        return ret(ctx, c, sl_hcl_tuple(A, l->u.c.n, v), out);
    return ret(ctx, c, sl_hcl_list(A, l->type->elem, l->u.c.n, v), out);
}

static int to_set(sl_hcl_ctx *ctx, const sl_hcl_call *c, size_t i, const sl_hcl_value **s)
{
    const sl_hcl_value *l;
    int rc = arg_seq(ctx, c, i, &l);

    if (rc)
        return rc;
    if (sl_hcl_convert(A, l, sl_hcl_type_set(A, &sl_hcl_t_dynamic), s, NULL))
        FAIL((int)i, "all elements must have the same type");
    return 0;
}

static int set_has(const sl_hcl_value *s, const sl_hcl_value *v)
{
    for (size_t i = 0; i < s->u.c.n; i++)
        if (sl_hcl_value_equal(s->u.c.v[i], v))
            return 1;
    return 0;
}

static int fn_setops(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value **sets = calloc(c->argc + 1, sizeof(*sets)), **v;
    size_t total = 0, n = 0;
    char op = c->name[3]; /* setINtersection setSUbtract setUNion */
    int rc = 0;
    const sl_hcl_type *elem = &sl_hcl_t_dynamic;

    NOMEM(sets);
    for (size_t i = 0; !rc && i < c->argc; i++) {
        rc = to_set(ctx, c, i, &sets[i]);
        if (!rc) {
            total += sets[i]->u.c.n;
            if (sets[i]->u.c.n)
                elem = sets[i]->type->elem;
        }
    }
    if (rc) {
        free(sets);
        return rc;
    }
    v = vals_alloc(ctx, total);
    if (!v) {
        free(sets);
        return SL_ENOMEM;
    }
    if (op == 'u') {
        for (size_t i = 0; i < c->argc; i++)
            for (size_t j = 0; j < sets[i]->u.c.n; j++)
                v[n++] = sets[i]->u.c.v[j];
    } else if (op == 'i') {
        for (size_t j = 0; j < sets[0]->u.c.n; j++) {
            int all = 1;
            for (size_t i = 1; i < c->argc && all; i++)
                all = set_has(sets[i], sets[0]->u.c.v[j]);
            if (all)
                v[n++] = sets[0]->u.c.v[j];
        }
    } else {
        for (size_t j = 0; j < sets[0]->u.c.n; j++)
            if (!set_has(sets[1], sets[0]->u.c.v[j]))
                v[n++] = sets[0]->u.c.v[j];
    }
    free(sets);
    {
        const sl_hcl_value *tup = sl_hcl_tuple(A, n, v), *r;
        NOMEM(tup);
        if (sl_hcl_convert(A, tup, sl_hcl_type_set(A, n ? &sl_hcl_t_dynamic : elem), &r, NULL))
            FAIL(-1, "all elements must have the same type");
        return ret(ctx, c, r, out);
    }
}

static int fn_setproduct(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    size_t total = 1;
    const sl_hcl_value **res;
    int any_list = 0;

    for (size_t i = 0; i < c->argc; i++) {
        const sl_hcl_value *l;
        int rc = arg_seq(ctx, c, i, &l);
        if (rc)
            return rc;
        if (l->kind != SL_HCL_SET)
            any_list = 1;
        total *= l->u.c.n;
        if (total > 100000)
            FAIL(-1, "the product has too many elements");
    }
    res = vals_alloc(ctx, total);
    NOMEM(res);
    for (size_t k = 0; k < total; k++) {
        const sl_hcl_value **t = vals_alloc(ctx, c->argc);
        size_t rem = k;
        NOMEM(t);
        for (size_t i = c->argc; i > 0; i--) {
            const sl_hcl_value *l = ARG(i - 1);
            t[i - 1] = l->u.c.v[rem % l->u.c.n];
            rem /= l->u.c.n;
        }
        res[k] = make_list(ctx, c->argc, t, NULL);
        NOMEM(res[k]);
    }
    if (!any_list) {
        const sl_hcl_value *tup = sl_hcl_tuple(A, total, res), *r;
        NOMEM(tup);
        if (!sl_hcl_convert(A, tup, sl_hcl_type_set(A, &sl_hcl_t_dynamic), &r, NULL))
            return ret(ctx, c, r, out);
    }
    return ret(ctx, c, make_list(ctx, total, res, NULL), out);
}

static int fn_slice(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l, **v;
    int64_t s, e;
    int rc = arg_seq(ctx, c, 0, &l);

    if (!rc)
        rc = arg_int(ctx, c, 1, &s);
    if (!rc)
        rc = arg_int(ctx, c, 2, &e);
    if (rc)
        return rc;
    if (l->kind == SL_HCL_SET)
        FAIL(0, "cannot slice a set, because its elements do not have indices");
    if (s < 0)
        FAIL(1, "start index must be greater than or equal to zero");
    if (e > (int64_t)l->u.c.n)
        FAIL(2, "end index must not be greater than the length of the list");
    if (s > e)
        FAIL(1, "start index must not be greater than end index");
    v = vals_alloc(ctx, (size_t)(e - s));
    NOMEM(v);
    if (e > s)
        memcpy(v, l->u.c.v + s, (size_t)(e - s) * sizeof(*v));
    if (l->kind == SL_HCL_TUPLE)
        return ret(ctx, c, sl_hcl_tuple(A, (size_t)(e - s), v), out);
    return ret(ctx, c, sl_hcl_list(A, l->type->elem, (size_t)(e - s), v), out);
}

static int str_cmp_q(const void *a, const void *b)
{
    const sl_hcl_value *x = *(const sl_hcl_value *const *)a, *y = *(const sl_hcl_value *const *)b;
    return strcmp(x->u.str.s, y->u.str.s);
}

static int fn_sort(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l, **v;
    int rc = arg_seq(ctx, c, 0, &l);

    if (rc)
        return rc;
    v = vals_alloc(ctx, l->u.c.n);
    NOMEM(v);
    for (size_t i = 0; i < l->u.c.n; i++) {
        if (l->u.c.v[i]->is_null)
            FAIL(0, "given list element %zu is null; a null value cannot be used in the "
                    "sort function",
                 i);
        if (sl_hcl_value_to_string(A, l->u.c.v[i], &v[i]))
            FAIL(0, "element %zu: string required", i);
    }
    qsort(v, l->u.c.n, sizeof(*v), str_cmp_q);
    return ret(ctx, c, sl_hcl_list(A, &sl_hcl_t_string, l->u.c.n, v), out);
}

static int fn_sum(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *l;
    sl_hcl_num acc;
    int rc = arg_seq(ctx, c, 0, &l);

    if (rc)
        return rc;
    if (!l->u.c.n)
        FAIL(0, "cannot sum an empty list");
    sl_hcl_num_from_i64(A, 0, &acc);
    for (size_t i = 0; i < l->u.c.n; i++) {
        const sl_hcl_value *n;
        if (l->u.c.v[i]->is_null ||
            sl_hcl_convert(A, l->u.c.v[i], &sl_hcl_t_number, &n, NULL))
            FAIL(0, "element %zu: a number is required", i);
        if (sl_hcl_num_add(A, &acc, &n->u.num, &acc))
            return SL_ENOMEM;
    }
    return ret(ctx, c, num_val(ctx, &acc), out);
}

static int fn_transpose(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *m;
    const char **keys;
    const sl_hcl_value ***lists;
    size_t *counts, nk = 0, cap = 0;
    int rc = arg_mapish(ctx, c, 0, &m);

    if (rc)
        return rc;
    for (size_t i = 0; i < m->u.c.n; i++) {
        const sl_hcl_value *l = m->u.c.v[i];
        if (l->is_null || l->kind < SL_HCL_LIST || l->kind == SL_HCL_MAP ||
            l->kind == SL_HCL_OBJECT)
            FAIL(0, "input must be a map of lists of strings");
        cap += l->u.c.n;
    }
    keys = calloc(cap + 1, sizeof(*keys));
    lists = calloc(cap + 1, sizeof(*lists));
    counts = calloc(cap + 1, sizeof(*counts));
    if (!keys || !lists || !counts) {
        rc = SL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < m->u.c.n; i++) {
        const sl_hcl_value *l = m->u.c.v[i];
        for (size_t j = 0; j < l->u.c.n; j++) {
            const sl_hcl_value *s;
            size_t k;
            if (l->u.c.v[j]->is_null || sl_hcl_value_to_string(A, l->u.c.v[j], &s)) {
                rc = sl_hcl_func_error(ctx, c, 0, "input must be a map of lists of strings");
                goto out;
            }
            for (k = 0; k < nk; k++)
                if (!strcmp(keys[k], s->u.str.s))
                    break;
            if (k == nk) {
                keys[nk] = s->u.str.s;
                lists[nk] = vals_alloc(ctx, m->u.c.n);
                if (!lists[nk]) {
                    rc = SL_ENOMEM;
                    goto out;
                }
                nk++;
            }
            lists[k][counts[k]++] = sl_hcl_string_cstr(A, m->u.c.keys[i]);
        }
    }
    {
        const sl_hcl_value **vals = vals_alloc(ctx, nk);
        if (!vals) {
            rc = SL_ENOMEM;
            goto out;
        }
        for (size_t k = 0; k < nk; k++)
            vals[k] = sl_hcl_list(A, &sl_hcl_t_string, counts[k], lists[k]);
        rc = ret(ctx, c, sl_hcl_map(A, sl_hcl_type_list(A, &sl_hcl_t_string), nk, keys, vals),
                 out);
    }
out:
    free(keys);
    free(lists);
    free(counts);
    return rc;
}

static int fn_zipmap(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_value *k, *v;
    const char **keys;
    int rc = arg_seq(ctx, c, 0, &k);

    if (!rc)
        rc = arg_seq(ctx, c, 1, &v);
    if (rc)
        return rc;
    if (k->u.c.n != v->u.c.n)
        FAIL(-1, "number of keys (%zu) does not match number of values (%zu)", k->u.c.n,
             v->u.c.n);
    keys = sl_hcl_alloc(A, (k->u.c.n + 1) * sizeof(*keys));
    NOMEM(keys);
    for (size_t i = 0; i < k->u.c.n; i++) {
        const sl_hcl_value *s;
        if (k->u.c.v[i]->is_null || sl_hcl_value_to_string(A, k->u.c.v[i], &s))
            FAIL(0, "key %zu: string required", i);
        keys[i] = s->u.str.s;
    }
    {
        const sl_hcl_value *o = sl_hcl_object(A, k->u.c.n, keys, (const sl_hcl_value **)v->u.c.v);
        NOMEM(o);
        if (v->kind == SL_HCL_LIST) {
            const sl_hcl_value *mv;
            if (!sl_hcl_convert(A, o, sl_hcl_type_map(A, v->type->elem), &mv, NULL))
                o = mv;
        }
        return ret(ctx, c, o, out);
    }
}

/* ------------------------------------------------------------- encoding */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int fn_base64encode(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const unsigned char *s;
    size_t n;
    sl_buf b = SL_BUF_INIT;
    int rc = arg_str(ctx, c, 0, (const char **)&s, &n);

    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63], i + 1 < n ? b64[v >> 6 & 63] : '=',
                     i + 2 < n ? b64[v & 63] : '='};
        rc = sl_buf_put(&b, q, 4);
    }
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

static int fn_base64decode(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s;
    size_t n, k = 0;
    sl_buf b = SL_BUF_INIT;
    unsigned acc = 0;
    int rc = arg_str(ctx, c, 0, &s, &n), pad = 0;

    if (rc)
        return rc;
    if (n % 4)
        FAIL(0, "failed to decode base64 data: the length is not a multiple of 4");
    for (size_t i = 0; !rc && i < n; i++) {
        const char *p = strchr(b64, s[i]);
        if (s[i] == '=' && i >= n - 2) {
            pad++;
            acc <<= 6;
        } else if (!p || !s[i] || pad) {
            sl_buf_free(&b);
            FAIL(0, "failed to decode base64 data: illegal character at offset %zu", i);
        } else {
            acc = acc << 6 | (unsigned)(p - b64);
        }
        if (++k == 4) {
            char o[3] = {(char)(acc >> 16), (char)(acc >> 8 & 255), (char)(acc & 255)};
            rc = sl_buf_put(&b, o, (size_t)(3 - pad));
            k = 0;
            acc = 0;
        }
    }
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    if (!hcl_utf8_valid(b.ptr ? b.ptr : "", b.len)) {
        sl_buf_free(&b);
        FAIL(0, "the result of decoding the provided string is not valid UTF-8");
    }
    return ret_buf(ctx, c, &b, out);
}

static int fn_jsonencode(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    sl_buf b = SL_BUF_INIT;
    int rc = sl_hcl_value_write_json(ARG(0), &b);

    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

static int fn_jsondecode(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s;
    size_t n;
    cJSON *j;
    const sl_hcl_value *v;
    int rc = arg_str(ctx, c, 0, &s, &n);

    if (rc)
        return rc;
    j = cJSON_ParseWithLength(s, n);
    if (!j)
        FAIL(0, "invalid JSON near offset %ld",
             cJSON_GetErrorPtr() ? (long)(cJSON_GetErrorPtr() - s) : 0L);
    rc = sl_hcl_value_from_json(A, j, &v);
    cJSON_Delete(j);
    if (rc)
        FAIL(0, "the JSON value cannot be represented");
    return ret(ctx, c, v, out);
}

static int fn_yamldecode(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out);
static int fn_yamlencode(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out);

static int fn_urlencode(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const unsigned char *s;
    size_t n;
    sl_buf b = SL_BUF_INIT;
    int rc = arg_str(ctx, c, 0, (const char **)&s, &n);

    for (size_t i = 0; !rc && i < n; i++) {
        if (isalnum(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.' || s[i] == '~')
            rc = sl_buf_putc(&b, (char)s[i]);
        else if (s[i] == ' ')
            rc = sl_buf_putc(&b, '+');
        else
            rc = sl_buf_printf(&b, "%%%02X", s[i]);
    }
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

/* One CSV record from s at *i; fields appended to fv (malloc'd strings). */
static int csv_record(const char *s, size_t n, size_t *i, sl_strv *fv, int *bad)
{
    sl_buf f = SL_BUF_INIT;
    int rc = 0;

    for (;;) {
        sl_buf_reset(&f);
        if (*i < n && s[*i] == '"') {
            (*i)++;
            for (;;) {
                if (*i >= n) {
                    *bad = 1;
                    break;
                }
                if (s[*i] == '"') {
                    if (*i + 1 < n && s[*i + 1] == '"') {
                        rc = sl_buf_putc(&f, '"');
                        *i += 2;
                        continue;
                    }
                    (*i)++;
                    break;
                }
                rc = sl_buf_putc(&f, s[(*i)++]);
            }
        } else {
            while (*i < n && s[*i] != ',' && s[*i] != '\n' && s[*i] != '\r') {
                if (s[*i] == '"')
                    *bad = 1;
                rc = sl_buf_putc(&f, s[(*i)++]);
            }
        }
        if (rc || sl_strv_pushn(fv, f.ptr ? f.ptr : "", f.len)) {
            rc = SL_ENOMEM;
            break;
        }
        if (*i < n && s[*i] == ',') {
            (*i)++;
            continue;
        }
        if (*i < n && s[*i] == '\r')
            (*i)++;
        if (*i < n && s[*i] == '\n')
            (*i)++;
        break;
    }
    sl_buf_free(&f);
    return rc;
}

static int fn_csvdecode(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s;
    size_t n, i = 0, nrows = 0, cap = 16, line = 1;
    sl_strv head = SL_STRV_INIT;
    const sl_hcl_value **rows;
    int rc = arg_str(ctx, c, 0, &s, &n), bad = 0;

    if (rc)
        return rc;
    if (!n)
        FAIL(0, "missing header line");
    rc = csv_record(s, n, &i, &head, &bad);
    if (rc || bad) {
        sl_strv_free(&head);
        if (rc)
            return rc;
        FAIL(0, "parse error on line 1: bare or unterminated quote in field");
    }
    rows = malloc(cap * sizeof(*rows));
    if (!rows) {
        sl_strv_free(&head);
        return SL_ENOMEM;
    }
    while (!rc && i < n) {
        sl_strv f = SL_STRV_INIT;
        const sl_hcl_value **vals;
        line++;
        rc = csv_record(s, n, &i, &f, &bad);
        if (!rc && (bad || f.n != head.n)) {
            rc = bad ? sl_hcl_func_error(ctx, c, 0, "parse error on line %zu: bare or "
                                                    "unterminated quote in field",
                                         line)
                     : sl_hcl_func_error(ctx, c, 0, "record on line %zu: wrong number of fields",
                                         line);
        }
        if (!rc) {
            vals = vals_alloc(ctx, f.n);
            if (!vals)
                rc = SL_ENOMEM;
            for (size_t k = 0; !rc && k < f.n; k++)
                if (!(vals[k] = sl_hcl_string_cstr(A, f.v[k])))
                    rc = sl_hcl_func_error(ctx, c, 0, "line %zu: invalid UTF-8", line);
            if (!rc) {
                if (nrows == cap) {
                    const sl_hcl_value **t = realloc(rows, (cap *= 2) * sizeof(*t));
                    if (!t)
                        rc = SL_ENOMEM;
                    else
                        rows = t;
                }
                if (!rc && !(rows[nrows++] = sl_hcl_object(A, head.n, (const char **)head.v,
                                                           vals)))
                    rc = SL_ENOMEM;
            }
        }
        sl_strv_free(&f);
    }
    if (!rc) {
        const sl_hcl_value **av = vals_alloc(ctx, nrows);
        const sl_hcl_type **ts = malloc((head.n + 1) * sizeof(*ts));
        if (!av || !ts)
            rc = SL_ENOMEM;
        else {
            for (size_t k = 0; k < head.n; k++)
                ts[k] = &sl_hcl_t_string;
            if (nrows)
                memcpy(av, rows, nrows * sizeof(*av));
            rc = ret(ctx, c,
                     sl_hcl_list(A, sl_hcl_type_object(A, head.n, (const char *const *)head.v, ts),
                                 nrows, av),
                     out);
        }
        free(ts);
    }
    free(rows);
    sl_strv_free(&head);
    return rc;
}

/* ---------------------------------------------------------------- rest */

static int fn_yamldecode(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s;
    size_t n;
    sl_docv dv = {0};
    sl_error err;
    const sl_hcl_value *v = &sl_hcl_null_dynamic;
    int rc = arg_str(ctx, c, 0, &s, &n);

    if (rc)
        return rc;
    sl_error_clear(&err);
    if (sl_yaml_parse("yamldecode", s, n, NULL, NULL, &dv, &err)) {
        sl_docv_free(&dv);
        FAIL(0, "on line %d, column %d: %s", err.line, err.col, err.msg);
    }
    if (dv.n > 1) {
        sl_docv_free(&dv);
        FAIL(0, "unexpected extra content after value");
    }
    if (dv.n == 1)
        rc = sl_hcl_value_from_json(A, dv.v[0], &v);
    sl_docv_free(&dv);
    if (rc)
        FAIL(0, "the YAML value cannot be represented");
    return ret(ctx, c, v, out);
}

static int fn_yamlencode(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    cJSON *j;
    sl_buf b = SL_BUF_INIT;
    int rc = sl_hcl_value_to_json(ARG(0), &j);

    if (rc)
        return rc;
    rc = sl_yaml_write(&b, j);
    cJSON_Delete(j);
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

/* --------------------------------------------------------------- hashes */

static int digest(const char *name, const void *data, size_t n, unsigned char *md,
                  unsigned *mdn)
{
    const EVP_MD *alg = !strcmp(name, "md5")      ? EVP_md5()
                        : !strcmp(name, "sha1")   ? EVP_sha1()
                        : !strcmp(name, "sha256") ? EVP_sha256()
                                                  : EVP_sha512();
    return EVP_Digest(data, n, md, mdn, alg, NULL) == 1 ? 0 : SL_EIO;
}

static int fn_hash(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *s;
    size_t n;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdn = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    int rc = arg_str(ctx, c, 0, &s, &n);

    if (rc)
        return rc;
    if (digest(c->name, s, n, md, &mdn))
        FAIL(-1, "hashing failed");
    for (unsigned i = 0; i < mdn; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return ret_str(ctx, c, hex, 2 * mdn, out);
}

static int parse_uuid(const char *s, unsigned char u[16])
{
    size_t k = 0;

    for (size_t i = 0; s[i] && k < 32; i++) {
        int v;
        if (s[i] == '-')
            continue;
        v = isdigit((unsigned char)s[i]) ? s[i] - '0'
            : (s[i] >= 'a' && s[i] <= 'f') ? s[i] - 'a' + 10
            : (s[i] >= 'A' && s[i] <= 'F') ? s[i] - 'A' + 10 : -1;
        if (v < 0)
            return -1;
        if (k % 2 == 0)
            u[k / 2] = (unsigned char)(v << 4);
        else
            u[k / 2] |= (unsigned char)v;
        k++;
    }
    return k == 32 ? 0 : -1;
}

static int fn_uuidv5(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *ns, *name;
    size_t nn;
    unsigned char u[16], md[EVP_MAX_MD_SIZE], *buf;
    unsigned mdn;
    char str[37];
    int rc = arg_str(ctx, c, 0, &ns, NULL);

    if (!rc)
        rc = arg_str(ctx, c, 1, &name, &nn);
    if (rc)
        return rc;
    if (!strcmp(ns, "dns"))
        ns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
    else if (!strcmp(ns, "url"))
        ns = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";
    else if (!strcmp(ns, "oid"))
        ns = "6ba7b812-9dad-11d1-80b4-00c04fd430c8";
    else if (!strcmp(ns, "x500"))
        ns = "6ba7b814-9dad-11d1-80b4-00c04fd430c8";
    if (parse_uuid(ns, u))
        FAIL(0, "uuidv5() doesn't support namespace %s", ns);
    buf = malloc(16 + nn);
    NOMEM(buf);
    memcpy(buf, u, 16);
    memcpy(buf + 16, name, nn);
    rc = digest("sha1", buf, 16 + nn, md, &mdn);
    free(buf);
    if (rc)
        FAIL(-1, "hashing failed");
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    snprintf(str, sizeof(str),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", md[0], md[1],
             md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10], md[11], md[12],
             md[13], md[14], md[15]);
    return ret_str(ctx, c, str, 36, out);
}

/* -------------------------------------------------------------- network */

__extension__ typedef unsigned __int128 u128;

typedef struct cidr {
    int v6;
    int bits;   /* 32 or 128 */
    int plen;   /* prefix length */
    u128 addr;  /* network address (host bits cleared) */
} cidr;

static u128 mask_of(int bits, int plen)
{
    u128 all = bits == 128 ? ~(u128)0 : (((u128)1 << 32) - 1);
    if (plen == 0)
        return 0;
    return all & ~(((u128)1 << (bits - plen)) - 1) & all;
}

static int parse_cidr(const char *s, cidr *out)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    unsigned char a[16];
    char *end;
    long pl;

    if (!slash || (size_t)(slash - s) >= sizeof(buf))
        return -1;
    memcpy(buf, s, (size_t)(slash - s));
    buf[slash - s] = 0;
    pl = strtol(slash + 1, &end, 10);
    if (*end || end == slash + 1)
        return -1;
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, a) == 1) {
        out->bits = 32;
        for (int i = 0; i < 4; i++)
            out->addr = out->addr << 8 | a[i];
    } else if (inet_pton(AF_INET6, buf, a) == 1) {
        out->v6 = 1;
        out->bits = 128;
        for (int i = 0; i < 16; i++)
            out->addr = out->addr << 8 | a[i];
    } else {
        return -1;
    }
    if (pl < 0 || pl > out->bits)
        return -1;
    out->plen = (int)pl;
    out->addr &= mask_of(out->bits, out->plen);
    return 0;
}

static void fmt_addr(const cidr *c, u128 addr, char *out, size_t n)
{
    unsigned char a[16];

    if (!c->v6) {
        for (int i = 3; i >= 0; i--) {
            a[i] = (unsigned char)(addr & 255);
            addr >>= 8;
        }
        inet_ntop(AF_INET, a, out, (socklen_t)n);
    } else {
        for (int i = 15; i >= 0; i--) {
            a[i] = (unsigned char)(addr & 255);
            addr >>= 8;
        }
        inet_ntop(AF_INET6, a, out, (socklen_t)n);
    }
}

static int arg_cidr(sl_hcl_ctx *ctx, const sl_hcl_call *c, size_t i, cidr *out)
{
    const char *s;
    int rc = arg_str(ctx, c, i, &s, NULL);

    if (rc)
        return rc;
    if (parse_cidr(s, out))
        FAIL((int)i, "invalid CIDR address: %s", s);
    return 0;
}

static int fn_cidrhost(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    cidr p;
    int64_t h;
    int hb;
    u128 max, hv;
    char buf[64];
    int rc = arg_cidr(ctx, c, 0, &p);

    if (!rc)
        rc = arg_int(ctx, c, 1, &h);
    if (rc)
        return rc;
    hb = p.bits - p.plen;
    max = hb >= 128 ? ~(u128)0 : ((u128)1 << hb) - 1;
    if (h < 0) {
        u128 mag = (u128)(-(h + 1)); /* -1 is the last address */
        if (mag > max)
            FAIL(1, "prefix of %d does not accommodate a host numbered %lld", p.plen,
                 (long long)h);
        hv = max - mag;
    } else {
        hv = (u128)h;
        if (hv > max)
            FAIL(1, "prefix of %d does not accommodate a host numbered %lld", p.plen,
                 (long long)h);
    }
    fmt_addr(&p, p.addr | hv, buf, sizeof(buf));
    return ret_str(ctx, c, buf, strlen(buf), out);
}

static int fn_cidrnetmask(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    cidr p;
    char buf[64];
    int rc = arg_cidr(ctx, c, 0, &p);

    if (rc)
        return rc;
    if (p.v6)
        FAIL(0, "IPv6 addresses cannot have a netmask: %s", ARG(0)->u.str.s);
    fmt_addr(&p, mask_of(32, p.plen), buf, sizeof(buf));
    return ret_str(ctx, c, buf, strlen(buf), out);
}

static int subnet(sl_hcl_ctx *ctx, const sl_hcl_call *c, const cidr *p, int64_t newbits,
                  u128 num, cidr *out)
{
    if (newbits < 0 || p->plen + newbits > p->bits)
        FAIL(1, "insufficient address space to extend prefix of %d by %lld", p->plen,
             (long long)newbits);
    if (newbits < 128 && num >> newbits)
        FAIL(2, "prefix extension of %lld does not accommodate a subnet numbered %llu",
             (long long)newbits, (unsigned long long)num);
    *out = *p;
    out->plen = p->plen + (int)newbits;
    if (out->plen < out->bits)
        out->addr = p->addr | (num << (out->bits - out->plen));
    else
        out->addr = p->addr | num;
    return 0;
}

static int fmt_cidr(const cidr *p, char *buf, size_t n)
{
    char a[64];
    fmt_addr(p, p->addr, a, sizeof(a));
    return snprintf(buf, n, "%s/%d", a, p->plen);
}

static int fn_cidrsubnet(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    cidr p, s = {0};
    int64_t nb, num;
    char buf[80];
    int rc = arg_cidr(ctx, c, 0, &p);

    if (!rc)
        rc = arg_int(ctx, c, 1, &nb);
    if (!rc)
        rc = arg_int(ctx, c, 2, &num);
    if (rc)
        return rc;
    if (num < 0)
        FAIL(2, "netnum must not be negative");
    rc = subnet(ctx, c, &p, nb, (u128)num, &s);
    if (rc)
        return rc;
    fmt_cidr(&s, buf, sizeof(buf));
    return ret_str(ctx, c, buf, strlen(buf), out);
}

static int fn_cidrsubnets(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    cidr p;
    const sl_hcl_value **v;
    u128 next, end;
    int rc = arg_cidr(ctx, c, 0, &p);

    if (rc)
        return rc;
    v = vals_alloc(ctx, c->argc);
    NOMEM(v);
    next = p.addr;
    end = p.addr + (p.bits - p.plen >= 128 ? ~(u128)0 : ((u128)1 << (p.bits - p.plen)) - 1);
    for (size_t i = 1; i < c->argc; i++) {
        int64_t nb;
        cidr s = {0};
        u128 size;
        char buf[80];
        rc = arg_int(ctx, c, i, &nb);
        if (rc)
            return rc;
        if (nb < 1 || p.plen + nb > p.bits)
            FAIL((int)i, "would extend prefix to %lld bits, which is too long for this address "
                         "type",
                 (long long)(p.plen + nb));
        s = p;
        s.plen = p.plen + (int)nb;
        size = s.plen == s.bits ? 1 : (u128)1 << (s.bits - s.plen);
        /* Align up to the new prefix's boundary. */
        next = (next + size - 1) & ~(size - 1);
        if (next < p.addr || next + (size - 1) > end || next + (size - 1) < next)
            FAIL((int)i, "not enough remaining address space for a subnet with a prefix of %d "
                         "bits after %s",
                 s.plen, i > 1 ? v[i - 2]->u.str.s : "the start");
        s.addr = next;
        fmt_cidr(&s, buf, sizeof(buf));
        v[i - 1] = sl_hcl_string_cstr(A, buf);
        NOMEM(v[i - 1]);
        next += size;
    }
    return ret(ctx, c, sl_hcl_list(A, &sl_hcl_t_string, c->argc - 1, v), out);
}

/* ------------------------------------------------------- types and files */

/* Evaluate expression i of a raw call with diagnostics kept apart. */
static int raw_eval(sl_hcl_ctx *ctx, const sl_hcl_call *c, size_t i, sl_hcl_diags *local,
                    const sl_hcl_value **out)
{
    sl_hcl_ctx child = *ctx;

    child.diags = local;
    return sl_hcl_eval(&child, c->args[i], out);
}

static int fn_can(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    sl_hcl_diags local = {0};
    const sl_hcl_value *v;
    int rc = raw_eval(ctx, c, 0, &local, &v);

    sl_hcl_diags_free(&local);
    if (rc == SL_ENOMEM)
        return rc;
    *out = sl_hcl_bool(rc == 0);
    return 0;
}

static int fn_try(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    sl_hcl_diags local = {0};
    int rc = SL_EINVAL;

    for (size_t i = 0; i < c->argc; i++) {
        rc = raw_eval(ctx, c, i, &local, out);
        if (rc != SL_EINVAL)
            break;
    }
    if (rc == SL_EINVAL) {
        char first[600] = "";
        if (local.n)
            snprintf(first, sizeof(first), " (the first failed with: %s: %s)", local.v[0].summary,
                     local.v[0].detail);
        sl_hcl_diags_free(&local);
        FAIL(-1, "no expression succeeded%s", first);
    }
    sl_hcl_diags_free(&local);
    return rc;
}

static int fn_convert(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const sl_hcl_type *t;
    sl_buf why = SL_BUF_INIT;
    int rc;

    switch (c->name[2]) {
    case 'b': t = &sl_hcl_t_bool; break;
    case 'n': t = &sl_hcl_t_number; break;
    case 's': t = c->name[3] == 't' ? &sl_hcl_t_string : sl_hcl_type_set(A, &sl_hcl_t_dynamic);
        break;
    case 'l': t = sl_hcl_type_list(A, &sl_hcl_t_dynamic); break;
    default: t = sl_hcl_type_map(A, &sl_hcl_t_dynamic); break;
    }
    NOMEM(t);
    rc = sl_hcl_convert(A, ARG(0), t, out, &why);
    if (rc == SL_EINVAL) {
        sl_buf tb = SL_BUF_INIT;
        sl_hcl_type_format(ARG(0)->type, &tb);
        rc = sl_hcl_func_error(ctx, c, 0, "cannot convert %s to %s: %s", tb.ptr ? tb.ptr : "",
                               c->name + 2, why.ptr ? why.ptr : "");
        sl_buf_free(&tb);
    }
    sl_buf_free(&why);
    return rc;
}

static int fn_type(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    sl_buf b = SL_BUF_INIT;
    int rc = sl_hcl_type_format(ARG(0)->type, &b);

    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

#define FILE_MAX ((size_t)4 << 20)

static int read_confined(sl_hcl_ctx *ctx, const sl_hcl_call *c, const char *path, sl_buf *b)
{
    sl_error err;
    int rc;

    if (!ctx->fs || !ctx->fs->read)
        FAIL(0, "no files can be read here");
    sl_error_clear(&err);
    rc = ctx->fs->read(ctx->fs->ud, path, FILE_MAX, b, &err);
    if (rc == SL_ENOMEM)
        return rc;
    if (rc == SL_ENOTFOUND)
        FAIL(0, "no file exists at \"%s\"", path);
    if (rc == SL_ECONFINE)
        FAIL(0, "\"%s\" is outside the module's repository", path);
    if (rc)
        FAIL(0, "cannot read \"%s\": %s", path, err.msg);
    if (!hcl_utf8_valid(b->ptr ? b->ptr : "", b->len))
        FAIL(0, "contents of \"%s\" are not valid UTF-8", path);
    return 0;
}

static int fn_file(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *p;
    sl_buf b = SL_BUF_INIT;
    int rc = arg_str(ctx, c, 0, &p, NULL);

    if (!rc)
        rc = read_confined(ctx, c, p, &b);
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    return ret_buf(ctx, c, &b, out);
}

static int fn_fileexists(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *p;
    sl_error err;
    int rc = arg_str(ctx, c, 0, &p, NULL);

    if (rc)
        return rc;
    if (!ctx->fs || !ctx->fs->exists)
        FAIL(0, "no files can be checked here");
    sl_error_clear(&err);
    rc = ctx->fs->exists(ctx->fs->ud, p, &err);
    if (rc == SL_ECONFINE)
        FAIL(0, "\"%s\" is outside the module's repository", p);
    if (rc < 0)
        FAIL(0, "cannot check \"%s\": %s", p, err.msg);
    return ret(ctx, c, sl_hcl_bool(rc > 0), out);
}

static int fn_templatefile(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    const char *p;
    sl_buf b = SL_BUF_INIT;
    sl_hcl_file *f = NULL;
    sl_hcl_expr *e;
    sl_hcl_diags local = {0};
    const sl_hcl_value *vars = ARG(1), *v;
    sl_hcl_ctx tctx;
    int rc = arg_str(ctx, c, 0, &p, NULL);

    if (rc)
        return rc;
    if (vars->is_null || (vars->kind != SL_HCL_MAP && vars->kind != SL_HCL_OBJECT))
        FAIL(1, "invalid vars value: must be a map");
    for (size_t i = 0; i < vars->u.c.n; i++) {
        const char *k = vars->u.c.keys[i];
        if (!k[0] || isdigit((unsigned char)k[0]) || strchr(k, '.') || strchr(k, ' '))
            FAIL(1, "invalid template variable name \"%s\": must start with a letter, followed "
                    "by zero or more letters, digits, and underscores",
                 k);
    }
    rc = read_confined(ctx, c, p, &b);
    if (rc) {
        sl_buf_free(&b);
        return rc;
    }
    rc = sl_hcl_parse_template(p, b.ptr ? b.ptr : "", b.len, NULL, &f, &e, &local);
    sl_buf_free(&b);
    if (!rc) {
        memset(&tctx, 0, sizeof(tctx));
        tctx.arena = ctx->arena;
        tctx.vars = vars;
        tctx.funcs = ctx->funcs;
        tctx.fs = ctx->fs;
        tctx.file = f;
        tctx.diags = &local;
        tctx.depth = ctx->depth + 8;
        rc = sl_hcl_eval(&tctx, e, &v);
    }
    if (rc == SL_EINVAL && local.n) {
        const sl_hcl_diag *d = &local.v[0];
        rc = sl_hcl_func_error(ctx, c, 0, "%s:%d,%d: %s; %s", p, d->subject.start.line,
                               d->subject.start.col, d->summary, d->detail);
    } else if (!rc) {
        rc = ret(ctx, c, v, out);
    }
    sl_hcl_diags_free(&local);
    sl_hcl_file_free(f);
    return rc;
}

const sl_hcl_func sl_hcl_builtins[] = {
    {"abs", 1, 1, fn_abs, 0},
    {"ceil", 1, 1, fn_ceil_floor, 0},
    {"floor", 1, 1, fn_ceil_floor, 0},
    {"max", 1, -1, fn_minmax, 0},
    {"min", 1, -1, fn_minmax, 0},
    {"parseint", 2, 2, fn_parseint, 0},
    {"pow", 2, 2, fn_pow, 0},
    {"signum", 1, 1, fn_signum, 0},
    {"chomp", 1, 1, fn_chomp, 0},
    {"format", 1, -1, fn_format, 0},
    {"formatlist", 1, -1, fn_formatlist, 0},
    {"indent", 2, 2, fn_indent, 0},
    {"join", 2, -1, fn_join, 0},
    {"lower", 1, 1, fn_case, 0},
    {"upper", 1, 1, fn_case, 0},
    {"title", 1, 1, fn_case, 0},
    {"regex", 2, 2, fn_regex, 0},
    {"regexall", 2, 2, fn_regex, 0},
    {"replace", 3, 3, fn_replace, 0},
    {"split", 2, 2, fn_split, 0},
    {"strrev", 1, 1, fn_strrev, 0},
    {"substr", 3, 3, fn_substr, 0},
    {"trim", 2, 2, fn_trim, 0},
    {"trimspace", 1, 1, fn_trim, 0},
    {"trimprefix", 2, 2, fn_trimfix, 0},
    {"trimsuffix", 2, 2, fn_trimfix, 0},
    {"startswith", 2, 2, fn_startsends, 0},
    {"endswith", 2, 2, fn_startsends, 0},
    {"alltrue", 1, 1, fn_alltrue, 0},
    {"anytrue", 1, 1, fn_alltrue, 0},
    {"chunklist", 2, 2, fn_chunklist, 0},
    {"coalesce", 1, -1, fn_coalesce, 0},
    {"coalescelist", 1, -1, fn_coalescelist, 0},
    {"compact", 1, 1, fn_compact, 0},
    {"concat", 1, -1, fn_concat, 0},
    {"contains", 2, 2, fn_contains, 0},
    {"distinct", 1, 1, fn_distinct, 0},
    {"element", 2, 2, fn_element, 0},
    {"flatten", 1, 1, fn_flatten, 0},
    {"index", 2, 2, fn_index, 0},
    {"keys", 1, 1, fn_keys_values, 0},
    {"values", 1, 1, fn_keys_values, 0},
    {"length", 1, 1, fn_length, 0},
    {"lookup", 2, 3, fn_lookup, 0},
    {"matchkeys", 3, 3, fn_matchkeys, 0},
    {"merge", 0, -1, fn_merge, 0},
    {"one", 1, 1, fn_one, 0},
    {"range", 1, 3, fn_range, 0},
    {"reverse", 1, 1, fn_reverse, 0},
    {"setintersection", 1, -1, fn_setops, 0},
    {"setsubtract", 2, 2, fn_setops, 0},
    {"setunion", 1, -1, fn_setops, 0},
    {"setproduct", 1, -1, fn_setproduct, 0},
    {"slice", 3, 3, fn_slice, 0},
    {"sort", 1, 1, fn_sort, 0},
    {"sum", 1, 1, fn_sum, 0},
    {"transpose", 1, 1, fn_transpose, 0},
    {"zipmap", 2, 2, fn_zipmap, 0},
    {"base64encode", 1, 1, fn_base64encode, 0},
    {"base64decode", 1, 1, fn_base64decode, 0},
    {"jsonencode", 1, 1, fn_jsonencode, 0},
    {"jsondecode", 1, 1, fn_jsondecode, 0},
    {"yamlencode", 1, 1, fn_yamlencode, 0},
    {"yamldecode", 1, 1, fn_yamldecode, 0},
    {"urlencode", 1, 1, fn_urlencode, 0},
    {"csvdecode", 1, 1, fn_csvdecode, 0},
    {"md5", 1, 1, fn_hash, 0},
    {"sha1", 1, 1, fn_hash, 0},
    {"sha256", 1, 1, fn_hash, 0},
    {"sha512", 1, 1, fn_hash, 0},
    {"uuidv5", 2, 2, fn_uuidv5, 0},
    {"cidrhost", 2, 2, fn_cidrhost, 0},
    {"cidrnetmask", 1, 1, fn_cidrnetmask, 0},
    {"cidrsubnet", 3, 3, fn_cidrsubnet, 0},
    {"cidrsubnets", 1, -1, fn_cidrsubnets, 0},
    {"can", 1, 1, fn_can, 1},
    {"try", 1, -1, fn_try, 1},
    {"tobool", 1, 1, fn_convert, 0},
    {"tonumber", 1, 1, fn_convert, 0},
    {"tostring", 1, 1, fn_convert, 0},
    {"tolist", 1, 1, fn_convert, 0},
    {"toset", 1, 1, fn_convert, 0},
    {"tomap", 1, 1, fn_convert, 0},
    {"type", 1, 1, fn_type, 0},
    {"file", 1, 1, fn_file, 0},
    {"fileexists", 1, 1, fn_fileexists, 0},
    {"templatefile", 2, 2, fn_templatefile, 0},
    {NULL, 0, 0, NULL, 0},
};
