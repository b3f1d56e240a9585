/* hcl_num.c: arbitrary-precision decimal numbers for HCL (value = digits *
 * 10^exp). Exact add, subtract, multiply, compare; division rounded to
 * SL_HCL_NUM_DIGITS significant digits (half even) when not exact. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcl_int.h"

#define NUM_MAX_DIGITS 20000

/* Digits as values 0..9 in a malloc'd scratch array. */
typedef struct mag {
    unsigned char *d;
    size_t n;
} mag;

static void mag_free(mag *m)
{
    free(m->d);
    m->d = NULL;
    m->n = 0;
}

/* Digits of x followed by `zeros` zeros. */
static int mag_of(const sl_hcl_num *x, size_t zeros, mag *out)
{
    size_t n = x->nd + zeros;

    out->n = n;
    if (n > NUM_MAX_DIGITS)
        return SL_ELIMIT;
    out->d = calloc(n ? n : 1, 1);
    if (!out->d)
        return SL_ENOMEM;
    for (size_t i = 0; i < x->nd; i++)
        out->d[i] = (unsigned char)(x->d[i] - '0');
    return 0;
}

static void mag_trim(mag *m)
{
    size_t i = 0;

    while (i < m->n && m->d[i] == 0)
        i++;
    if (i) {
        memmove(m->d, m->d + i, m->n - i);
        m->n -= i;
    }
}

static int mag_cmp(const mag *a, const mag *b)
{
    size_t ia = 0, ib = 0;

    while (ia < a->n && a->d[ia] == 0)
        ia++;
    while (ib < b->n && b->d[ib] == 0)
        ib++;
    if (a->n - ia != b->n - ib)
        return a->n - ia < b->n - ib ? -1 : 1;
    for (; ia < a->n; ia++, ib++)
        if (a->d[ia] != b->d[ib])
            return a->d[ia] < b->d[ib] ? -1 : 1;
    return 0;
}

static int mag_add(const mag *a, const mag *b, mag *out)
{
    size_t n = (a->n > b->n ? a->n : b->n) + 1;
    int carry = 0;

    out->d = calloc(n, 1);
    if (!out->d)
        return SL_ENOMEM;
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        int s = carry;
        if (i < a->n)
            s += a->d[a->n - 1 - i];
        if (i < b->n)
            s += b->d[b->n - 1 - i];
        out->d[n - 1 - i] = (unsigned char)(s % 10);
        carry = s / 10;
    }
    mag_trim(out);
    return 0;
}

/* a - b with a >= b. */
static int mag_sub(const mag *a, const mag *b, mag *out)
{
    size_t n = a->n;
    int borrow = 0;

    out->d = calloc(n ? n : 1, 1);
    if (!out->d)
        return SL_ENOMEM;
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        int s = a->d[n - 1 - i] - borrow;
        if (i < b->n)
            s -= b->d[b->n - 1 - i];
        borrow = s < 0;
        if (s < 0)
            s += 10;
        out->d[n - 1 - i] = (unsigned char)s;
    }
    mag_trim(out);
    return 0;
}

static int mag_mul(const mag *a, const mag *b, mag *out)
{
    size_t n = a->n + b->n;
    unsigned *acc;

    if (n > NUM_MAX_DIGITS)
        return SL_ELIMIT;
    acc = calloc(n ? n : 1, sizeof(*acc));
    out->d = calloc(n ? n : 1, 1);
    if (!acc || !out->d) {
        free(acc);
        free(out->d);
        out->d = NULL;
        return SL_ENOMEM;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (!a->d[i])
            continue;
        for (size_t j = 0; j < b->n; j++)
            acc[i + j + 1] += (unsigned)a->d[i] * b->d[j];
        /* Keep accumulators small. */
        if ((i & 63) == 63)
            for (size_t k = n - 1; k > 0; k--) {
                acc[k - 1] += acc[k] / 10;
                acc[k] %= 10;
            }
    }
    for (size_t k = n - 1; k > 0; k--) {
        acc[k - 1] += acc[k] / 10;
        acc[k] %= 10;
    }
    for (size_t k = 0; k < n; k++)
        out->d[k] = (unsigned char)acc[k];
    out->n = n;
    free(acc);
    mag_trim(out);
    return 0;
}

/* q = a / b, r = a % b (b nonzero), schoolbook long division. */
static int mag_divmod(const mag *a, const mag *b, mag *q, mag *r)
{
    mag cur = {0};
    int rc = 0;

    q->d = calloc(a->n ? a->n : 1, 1);
    cur.d = calloc(b->n + 2, 1);
    if (!q->d || !cur.d) {
        free(q->d);
        free(cur.d);
        q->d = NULL;
        return SL_ENOMEM;
    }
    q->n = a->n;
    cur.n = 0;
    for (size_t i = 0; i < a->n; i++) {
        int digit = 0;
        /* cur = cur * 10 + a[i] */
        cur.d[cur.n++] = a->d[i];
        mag_trim(&cur);
        while (mag_cmp(&cur, b) >= 0) {
            mag t = {0};
            rc = mag_sub(&cur, b, &t);
            if (rc)
                goto out;
            memcpy(cur.d, t.d, t.n);
            cur.n = t.n;
            mag_free(&t);
            digit++;
        }
        q->d[i] = (unsigned char)digit;
    }
    mag_trim(q);
    *r = cur;
    cur.d = NULL;
out:
    free(cur.d);
    return rc;
}

/* Build a normalised number from a magnitude. */
static int num_make(sl_hcl_arena *a, int neg, const mag *m, long exp, sl_hcl_num *out)
{
    size_t s = 0, e = m->n;
    char *d;

    while (s < e && m->d[s] == 0)
        s++;
    while (e > s && m->d[e - 1] == 0) {
        e--;
        exp++;
    }
    memset(out, 0, sizeof(*out));
    out->d = "";
    if (s == e)
        return 0;
    if (exp > SL_HCL_NUM_MAX_EXP || exp < -SL_HCL_NUM_MAX_EXP ||
        (long)(e - s) + exp > SL_HCL_NUM_MAX_EXP)
        return SL_ELIMIT;
    d = sl_hcl_alloc(a, e - s + 1);
    if (!d)
        return SL_ENOMEM;
    for (size_t i = s; i < e; i++)
        d[i - s] = (char)('0' + m->d[i]);
    out->neg = neg;
    out->exp = (int32_t)exp;
    out->nd = (uint32_t)(e - s);
    out->d = d;
    return 0;
}

/* Round m (with a sticky "more nonzero digits follow" flag) to at most p
 * significant digits, half even; adjusts *exp. */
static int mag_round(mag *m, size_t p, int sticky, long *exp)
{
    size_t drop;
    int up;

    mag_trim(m);
    if (m->n <= p)
        return 0;
    drop = m->n - p;
    {
        int first = m->d[p];
        int rest = sticky;
        for (size_t i = p + 1; i < m->n && !rest; i++)
            rest = m->d[i] != 0;
        if (first > 5 || (first == 5 && rest))
            up = 1;
        else if (first == 5)
            up = m->d[p - 1] & 1;
        else
            up = 0;
    }
    m->n = p;
    *exp += (long)drop;
    if (up) {
        size_t i = p;
        while (i > 0) {
            if (m->d[i - 1] < 9) {
                m->d[i - 1]++;
                break;
            }
            m->d[i - 1] = 0;
            i--;
        }
        if (i == 0) {
            /* 999 -> 1000: one more digit; drop the last zero. */
            memmove(m->d + 1, m->d, p - 1);
            m->d[0] = 1;
            (*exp)++;
        }
    }
    return 0;
}

int sl_hcl_num_parse(sl_hcl_arena *a, const char *s, size_t n, sl_hcl_num *out)
{
    size_t i = 0;
    int neg = 0, rc;
    long exp = 0, e10 = 0;
    mag m = {0};

    memset(out, 0, sizeof(*out));
    out->d = "";
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i >= n || (s[i] < '0' || s[i] > '9'))
        if (!(i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9'))
            return SL_EINVAL;
    m.d = malloc(n + 1);
    if (!m.d)
        return SL_ENOMEM;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        m.d[m.n++] = (unsigned char)(s[i++] - '0');
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') {
            mag_free(&m);
            return SL_EINVAL;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            m.d[m.n++] = (unsigned char)(s[i++] - '0');
            exp--;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= n || s[i] < '0' || s[i] > '9') {
            mag_free(&m);
            return SL_EINVAL;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            e10 = e10 * 10 + (s[i++] - '0');
            if (e10 > 10L * SL_HCL_NUM_MAX_EXP) {
                mag_free(&m);
                return SL_EINVAL;
            }
        }
        exp += eneg ? -e10 : e10;
    }
    if (i != n || m.n > NUM_MAX_DIGITS) {
        mag_free(&m);
        return SL_EINVAL;
    }
    rc = num_make(a, neg, &m, exp, out);
    mag_free(&m);
    return rc ? (rc == SL_ENOMEM ? rc : SL_EINVAL) : 0;
}

int sl_hcl_num_from_i64(sl_hcl_arena *a, int64_t v, sl_hcl_num *out)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return sl_hcl_num_parse(a, buf, (size_t)n, out);
}

int sl_hcl_num_from_double(sl_hcl_arena *a, double v, sl_hcl_num *out)
{
    char buf[64];
    int n = 0;

    if (!isfinite(v))
        return SL_EINVAL;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, sizeof(buf), "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return sl_hcl_num_parse(a, buf, (size_t)n, out);
}

/* Compare magnitudes |x| and |y|. */
static int abs_cmp(const sl_hcl_num *x, const sl_hcl_num *y)
{
    long ox, oy; /* order of magnitude: position of the leading digit */
    size_t n;

    if (!x->nd || !y->nd)
        return (x->nd != 0) - (y->nd != 0);
    ox = (long)x->nd + x->exp;
    oy = (long)y->nd + y->exp;
    if (ox != oy)
        return ox < oy ? -1 : 1;
    n = x->nd < y->nd ? x->nd : y->nd;
    for (size_t i = 0; i < n; i++)
        if (x->d[i] != y->d[i])
            return x->d[i] < y->d[i] ? -1 : 1;
    return (x->nd > y->nd) - (x->nd < y->nd);
}

int sl_hcl_num_cmp(const sl_hcl_num *x, const sl_hcl_num *y)
{
    int sx = x->nd ? (x->neg ? -1 : 1) : 0, sy = y->nd ? (y->neg ? -1 : 1) : 0;

    if (sx != sy)
        return sx < sy ? -1 : 1;
    if (!sx)
        return 0;
    return sx * abs_cmp(x, y);
}

static int add_signed(sl_hcl_arena *a, const sl_hcl_num *x, int yneg, const sl_hcl_num *y,
                      sl_hcl_num *out)
{
    long e;
    mag mx = {0}, my = {0}, r = {0};
    int rc, neg;

    if (!y->nd) {
        *out = *x;
        return 0;
    }
    if (!x->nd) {
        *out = *y;
        out->neg = yneg;
        return 0;
    }
    e = x->exp < y->exp ? x->exp : y->exp;
    if ((long)x->exp - e > NUM_MAX_DIGITS || (long)y->exp - e > NUM_MAX_DIGITS)
        return SL_ELIMIT;
    rc = mag_of(x, (size_t)(x->exp - e), &mx);
    if (!rc)
        rc = mag_of(y, (size_t)(y->exp - e), &my);
    if (rc)
        goto out;
    if (x->neg == yneg) {
        rc = mag_add(&mx, &my, &r);
        neg = x->neg;
    } else if (mag_cmp(&mx, &my) >= 0) {
        rc = mag_sub(&mx, &my, &r);
        neg = x->neg;
    } else {
        rc = mag_sub(&my, &mx, &r);
        neg = yneg;
    }
    if (!rc)
        rc = num_make(a, neg, &r, e, out);
out:
    mag_free(&mx);
    mag_free(&my);
    mag_free(&r);
    return rc;
}

int sl_hcl_num_add(sl_hcl_arena *a, const sl_hcl_num *x, const sl_hcl_num *y, sl_hcl_num *out)
{
    return add_signed(a, x, y->neg, y, out);
}

int sl_hcl_num_sub(sl_hcl_arena *a, const sl_hcl_num *x, const sl_hcl_num *y, sl_hcl_num *out)
{
    return add_signed(a, x, !y->neg, y, out);
}

int sl_hcl_num_mul(sl_hcl_arena *a, const sl_hcl_num *x, const sl_hcl_num *y, sl_hcl_num *out)
{
    mag mx = {0}, my = {0}, r = {0};
    int rc;

    if (!x->nd || !y->nd) {
        memset(out, 0, sizeof(*out));
        out->d = "";
        return 0;
    }
    rc = mag_of(x, 0, &mx);
    if (!rc)
        rc = mag_of(y, 0, &my);
    if (!rc)
        rc = mag_mul(&mx, &my, &r);
    if (!rc)
        rc = num_make(a, x->neg != y->neg, &r, (long)x->exp + y->exp, out);
    mag_free(&mx);
    mag_free(&my);
    mag_free(&r);
    return rc;
}

int sl_hcl_num_div(sl_hcl_arena *a, const sl_hcl_num *x, const sl_hcl_num *y, sl_hcl_num *out)
{
    mag mx = {0}, my = {0}, q = {0}, r = {0};
    long k, exp;
    int rc;

    if (!y->nd)
        return SL_EINVAL;
    if (!x->nd) {
        memset(out, 0, sizeof(*out));
        out->d = "";
        return 0;
    }
    /* Scale x so the quotient has at least DIGITS + 2 digits. */
    k = (long)SL_HCL_NUM_DIGITS + 2 + (long)y->nd - (long)x->nd;
    if (k < 0)
        k = 0;
    rc = mag_of(x, (size_t)k, &mx);
    if (!rc)
        rc = mag_of(y, 0, &my);
    if (!rc)
        rc = mag_divmod(&mx, &my, &q, &r);
    if (rc)
        goto out;
    mag_trim(&r);
    exp = (long)x->exp - y->exp - k;
    mag_round(&q, SL_HCL_NUM_DIGITS, r.n > 0, &exp);
    rc = num_make(a, x->neg != y->neg, &q, exp, out);
out:
    mag_free(&mx);
    mag_free(&my);
    mag_free(&q);
    mag_free(&r);
    return rc;
}

/* Integer part of |x| / |y| (exact). */
static int trunc_div(sl_hcl_arena *a, const sl_hcl_num *x, const sl_hcl_num *y, sl_hcl_num *out)
{
    mag mx = {0}, my = {0}, q = {0}, r = {0};
    int rc;
    long d = (long)x->exp - y->exp;

    if (d > NUM_MAX_DIGITS || d < -NUM_MAX_DIGITS)
        return SL_ELIMIT;
    rc = mag_of(x, d > 0 ? (size_t)d : 0, &mx);
    if (!rc)
        rc = mag_of(y, d < 0 ? (size_t)-d : 0, &my);
    if (!rc)
        rc = mag_divmod(&mx, &my, &q, &r);
    if (!rc)
        rc = num_make(a, x->neg != y->neg, &q, 0, out);
    mag_free(&mx);
    mag_free(&my);
    mag_free(&q);
    mag_free(&r);
    return rc;
}

int sl_hcl_num_mod(sl_hcl_arena *a, const sl_hcl_num *x, const sl_hcl_num *y, sl_hcl_num *out)
{
    sl_hcl_num q, p;
    int rc;

    if (!y->nd)
        return SL_EINVAL;
    rc = trunc_div(a, x, y, &q);
    if (!rc)
        rc = sl_hcl_num_mul(a, y, &q, &p);
    if (!rc)
        rc = sl_hcl_num_sub(a, x, &p, out);
    return rc;
}

int sl_hcl_num_is_int(const sl_hcl_num *x)
{
    return x->exp >= 0;
}

static int num_round(sl_hcl_arena *a, const sl_hcl_num *x, int up, sl_hcl_num *out)
{
    mag m = {0};
    size_t keep;
    int frac = 0, rc;

    if (x->exp >= 0 || !x->nd) {
        *out = *x;
        return 0;
    }
    if ((long)x->nd + x->exp <= 0) {
        keep = 0;
        frac = 1;
    } else {
        keep = (size_t)((long)x->nd + x->exp);
        frac = 1; /* normalised: the dropped digits end with a nonzero */
    }
    rc = mag_of(x, 0, &m);
    if (rc)
        return rc;
    m.n = keep;
    if (frac && ((up && !x->neg) || (!up && x->neg))) {
        mag one = {(unsigned char[]){1}, 1}, r = {0};
        rc = mag_add(&m, &one, &r);
        mag_free(&m);
        if (rc)
            return rc;
        m = r;
    }
    rc = num_make(a, x->neg, &m, 0, out);
    mag_free(&m);
    return rc;
}

int sl_hcl_num_floor(sl_hcl_arena *a, const sl_hcl_num *x, sl_hcl_num *out)
{
    return num_round(a, x, 0, out);
}

int sl_hcl_num_ceil(sl_hcl_arena *a, const sl_hcl_num *x, sl_hcl_num *out)
{
    return num_round(a, x, 1, out);
}

int sl_hcl_num_to_i64(const sl_hcl_num *x, int64_t *out)
{
    unsigned long long v = 0;

    *out = 0;
    if (!x->nd)
        return 0;
    if (x->exp < 0 || (long)x->nd + x->exp > 19)
        return SL_EINVAL;
    for (size_t i = 0; i < (size_t)x->nd + (size_t)x->exp; i++) {
        unsigned digit = i < x->nd ? (unsigned)(x->d[i] - '0') : 0;
        if (v > (1844674407370955161ULL))
            return SL_EINVAL;
        v = v * 10 + digit;
    }
    if (x->neg ? v > 9223372036854775808ULL : v > 9223372036854775807ULL)
        return SL_EINVAL;
    *out = x->neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

double sl_hcl_num_to_double(const sl_hcl_num *x)
{
    char buf[64];
    char *s;
    double v;
    size_t n = x->nd;

    if (!n)
        return 0;
    if (n > 40)
        n = 40;
    s = malloc(n + 32);
    if (!s)
        return NAN;
    snprintf(s, n + 32, "%s%.*se%ld", x->neg ? "-" : "", (int)n, x->d,
             (long)x->exp + (long)(x->nd - n));
    (void)buf;
    errno = 0;
    v = strtod(s, NULL);
    free(s);
    return v;
}

int sl_hcl_num_format(const sl_hcl_num *x, sl_buf *out)
{
    int rc = 0;
    long point;

    if (!x->nd)
        return sl_buf_putc(out, '0');
    if (x->neg)
        rc = sl_buf_putc(out, '-');
    point = (long)x->nd + x->exp; /* digits before the decimal point */
    if (rc)
        return rc;
    if (x->exp >= 0) {
        rc = sl_buf_put(out, x->d, x->nd);
        for (long i = 0; !rc && i < x->exp; i++)
            rc = sl_buf_putc(out, '0');
    } else if (point > 0) {
        rc = sl_buf_put(out, x->d, (size_t)point);
        if (!rc)
            rc = sl_buf_putc(out, '.');
        if (!rc)
            rc = sl_buf_put(out, x->d + point, x->nd - (size_t)point);
    } else {
        rc = sl_buf_puts(out, "0.");
        for (long i = 0; !rc && i < -point; i++)
            rc = sl_buf_putc(out, '0');
        if (!rc)
            rc = sl_buf_put(out, x->d, x->nd);
    }
    return rc;
}
