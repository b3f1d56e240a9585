/* hcl_nfc.c: Unicode NFC normalisation of string values (cty normalises
 * every string it holds, so HCL strings compare after NFC). */
#include <stdlib.h>
#include <string.h>

#include "hcl_int.h"
#include "hcl_nfc_tables.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define SBASE 0xAC00
#define LBASE 0x1100
#define VBASE 0x1161
#define TBASE 0x11A7
#define LCOUNT 19
#define VCOUNT 21
#define TCOUNT 28
#define NCOUNT (VCOUNT * TCOUNT)
#define SCOUNT (LCOUNT * NCOUNT)

static int ccc_of(uint32_t cp)
{
    size_t lo = 0, hi = NELEM(nfc_ccc);

    if (cp < 0x300)
        return 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (nfc_ccc[mid][0] == cp)
            return (int)nfc_ccc[mid][1];
        if (nfc_ccc[mid][0] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static const uint32_t *decomp_of(uint32_t cp)
{
    size_t lo = 0, hi = NELEM(nfc_decomp);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (nfc_decomp[mid][0] == cp)
            return nfc_decomp[mid];
        if (nfc_decomp[mid][0] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static uint32_t compose(uint32_t a, uint32_t b)
{
    size_t lo = 0, hi = NELEM(nfc_comp);

    if (a >= LBASE && a < LBASE + LCOUNT && b >= VBASE && b < VBASE + VCOUNT)
        return SBASE + ((a - LBASE) * VCOUNT + (b - VBASE)) * TCOUNT;
    if (a >= SBASE && a < SBASE + SCOUNT && (a - SBASE) % TCOUNT == 0 && b > TBASE &&
        b < TBASE + TCOUNT)
        return a + (b - TBASE);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (nfc_comp[mid][0] == a && nfc_comp[mid][1] == b)
            return nfc_comp[mid][2];
        if (nfc_comp[mid][0] < a || (nfc_comp[mid][0] == a && nfc_comp[mid][1] < b))
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

typedef struct cpv {
    uint32_t *v;
    size_t n, cap;
} cpv;

static int cpv_push(cpv *c, uint32_t cp)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        uint32_t *v = realloc(c->v, cap * sizeof(*v));
        if (!v)
            return SL_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = cp;
    return 0;
}

static int decompose(cpv *c, uint32_t cp, int depth)
{
    const uint32_t *d;

    if (cp >= SBASE && cp < SBASE + SCOUNT) {
        uint32_t s = cp - SBASE, t = s % TCOUNT;
        int rc = cpv_push(c, LBASE + s / NCOUNT);
        if (!rc)
            rc = cpv_push(c, VBASE + (s % NCOUNT) / TCOUNT);
        if (!rc && t)
            rc = cpv_push(c, TBASE + t);
        return rc;
    }
    d = depth < 8 ? decomp_of(cp) : NULL;
    if (!d)
        return cpv_push(c, cp);
    {
        int rc = decompose(c, d[1], depth + 1);
        if (!rc && d[2])
            rc = decompose(c, d[2], depth + 1);
        return rc;
    }
}

/* 1 if s needs no normalisation (every code point below U+0300). */
static int quick_nfc(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xCC) /* lead bytes of U+0300 and above */
            return 0;
    }
    return 1;
}

/* NFC of s[0..n) into a malloc'd string (*out, *outn); *out NULL when s is
 * already normalised (a quick check). */
int hcl_nfc(const char *s, size_t n, char **out, size_t *outn)
{
    cpv c = {0};
    size_t i = 0;
    int rc = 0;
    char *r;
    size_t w = 0;

    *out = NULL;
    if (quick_nfc(s, n))
        return 0;
    while (i < n && !rc) {
        uint32_t cp;
        i += (size_t)hcl_utf8_decode(s + i, n - i, &cp);
        rc = decompose(&c, cp, 0);
    }
    if (rc)
        goto out;
    /* Canonical ordering: bubble non-starters by combining class. */
    for (size_t k = 1; k < c.n; k++) {
        size_t j = k;
        int cc = ccc_of(c.v[j]);
        if (!cc)
            continue;
        while (j > 0) {
            int pc = ccc_of(c.v[j - 1]);
            if (pc <= cc || !pc)
                break;
            uint32_t t = c.v[j];
            c.v[j] = c.v[j - 1];
            c.v[j - 1] = t;
            j--;
        }
    }
    /* Canonical composition. */
    if (c.n) {
        size_t starter = 0, wn = 1;
        int last_cc = ccc_of(c.v[0]) ? 256 : 0;
        if (last_cc)
            starter = (size_t)-1;
        for (size_t k = 1; k < c.n; k++) {
            uint32_t cp = c.v[k];
            int cc = ccc_of(cp);
            uint32_t comp = 0;
            if (starter != (size_t)-1 && (last_cc < cc || (last_cc == 0 && wn - 1 == starter)))
                comp = compose(c.v[starter], cp);
            if (comp && (last_cc < cc || (last_cc == 0 && wn - 1 == starter))) {
                c.v[starter] = comp;
                continue;
            }
            if (cc == 0) {
                starter = wn;
                last_cc = 0;
            } else {
                last_cc = cc;
            }
            c.v[wn++] = cp;
        }
        c.n = wn;
    }
    r = malloc(c.n * 4 + 1);
    if (!r) {
        rc = SL_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < c.n; k++)
        w += (size_t)hcl_utf8_encode(c.v[k], r + w);
    r[w] = 0;
    *out = r;
    *outn = w;
out:
    free(c.v);
    return rc;
}
