/* textdiff.c: line-based unified diff.
 *
 * The edit script is found the way GNU diff finds it, so that the output is
 * byte for byte what `diff -u` prints:
 *   1. lines are mapped to equivalence classes (a last line without a
 *      newline is never equal to a line with one);
 *   2. the common prefix and suffix are set aside, keeping `context` lines
 *      of each in the analysed region (diff's "horizon");
 *   3. lines of one side that never occur on the other side (and runs of
 *      lines that occur very often) are marked changed up front, which
 *      keeps the search small and the result readable;
 *   4. Myers' O(ND) algorithm, linear-space variant (middle snake, divide
 *      and conquer), runs on what is left; a subproblem whose search goes
 *      past about sqrt(N) edit steps is split at the most promising
 *      diagonal instead of the exact middle;
 *   5. runs of changes slide over equal lines to merge with neighbouring
 *      runs or, failing that, to sit as late as possible;
 *   6. hunks with `context` lines around changes are printed, hunks closer
 *      than 2*context+1 lines apart merged.
 * A global work budget bounds step 4: past it, every subproblem not yet
 * solved is reported as a whole replacement, so a 100k-line input with
 * nothing in common still finishes quickly (with a larger, valid diff). */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl_textdiff.h"

#define TD_MAX_LINES ((size_t)1 << 26)
/* Work allowed in step 4 before falling back, counted as one unit per
 * diagonal visited and four per snake step (a snake step is a cache miss
 * on large inputs): roughly 1.5 s on one core. Two random 30k-line files
 * over a 20-line alphabet need half of it and still match diff exactly. */
#define TD_WORK_BUDGET ((long)500 * 1000 * 1000)

#define TD_RED "\033[31m"
#define TD_GREEN "\033[32m"
#define TD_CYAN "\033[36m"
#define TD_BOLD "\033[1m"
#define TD_RESET "\033[0m"

/* One side of the comparison. */
typedef struct td_side {
    const char *data;
    size_t len;
    long n;         /* lines */
    size_t *off;    /* n+1 line start offsets (off[n] == len) */
    int incomplete; /* last line has no newline */
    long *eq;       /* equivalence class of each line */
    char *chg_mem;  /* changed flags with one sentinel on each side */
    char *chg;      /* chg[lo-1 .. hi] valid, indexed by absolute line */
    long lo, hi;    /* analysed region [lo, hi) */
    long *xv;       /* classes of undiscarded lines */
    long *xidx;     /* absolute line of each undiscarded line */
    long nx;
} td_side;

typedef struct td_task {
    long xoff, xlim, yoff, ylim;
    int minimal;
} td_task;

typedef struct td_ctx {
    td_side s[2];
    long nclass;
    long *fdiag, *bdiag; /* offset so that index -ny-1 .. nx+1 is valid */
    long too_expensive;
    long work;
    int overflow;
} td_ctx;

static int td_split(td_side *s, const char *data, size_t len)
{
    long n = 0;
    size_t i;

    s->data = data;
    s->len = len;
    for (i = 0; i < len; i++)
        if (data[i] == '\n')
            n++;
    s->incomplete = len > 0 && data[len - 1] != '\n';
    if (s->incomplete)
        n++;
    if ((size_t)n > TD_MAX_LINES)
        return SL_ELIMIT;
    s->n = n;
    s->off = malloc(((size_t)n + 1) * sizeof(*s->off));
    s->eq = malloc(((size_t)n + 1) * sizeof(*s->eq));
    if (!s->off || !s->eq)
        return SL_ENOMEM;
    n = 0;
    s->off[0] = 0;
    for (i = 0; i < len; i++)
        if (data[i] == '\n')
            s->off[++n] = i + 1;
    s->off[s->n] = len;
    return 0;
}

/* Length of line i without its newline. */
static size_t td_linelen(const td_side *s, long i)
{
    size_t l = s->off[i + 1] - s->off[i];
    if (!(s->incomplete && i == s->n - 1))
        l--;
    return l;
}

static uint64_t td_hash(const char *p, size_t n, int incomplete)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    h ^= (uint64_t)(incomplete + 1);
    h *= 1099511628211ULL;
    return h;
}

/* Number every distinct line (text plus "has a newline") across both sides. */
static int td_classify(td_ctx *c)
{
    size_t total = (size_t)c->s[0].n + (size_t)c->s[1].n, cap = 16;
    long *slot; /* -1 empty, else a (side << 62 | line) reference */
    uint64_t *hv;
    long cls = 0;
    int rc = 0;

    while (cap < total * 2)
        cap <<= 1;
    slot = malloc(cap * sizeof(*slot));
    hv = malloc(cap * sizeof(*hv));
    if (!slot || !hv) {
        rc = SL_ENOMEM;
        goto out;
    }
    memset(slot, 0xff, cap * sizeof(*slot));
    for (int f = 0; f < 2; f++) {
        td_side *s = &c->s[f];
        for (long i = 0; i < s->n; i++) {
            const char *p = s->data + s->off[i];
            size_t l = td_linelen(s, i);
            int inc = s->incomplete && i == s->n - 1;
            uint64_t h = td_hash(p, l, inc);
            size_t k = (size_t)h & (cap - 1);
            for (;; k = (k + 1) & (cap - 1)) {
                if (slot[k] < 0) {
                    slot[k] = ((long)f << 40) | i;
                    hv[k] = h;
                    s->eq[i] = cls++;
                    break;
                }
                if (hv[k] == h) {
                    const td_side *o = &c->s[slot[k] >> 40];
                    long j = slot[k] & (((long)1 << 40) - 1);
                    int oinc = o->incomplete && j == o->n - 1;
                    if (oinc == inc && td_linelen(o, j) == l &&
                        !memcmp(o->data + o->off[j], p, l)) {
                        s->eq[i] = o->eq[j];
                        break;
                    }
                }
            }
        }
    }
    c->nclass = cls;
out:
    free(slot);
    free(hv);
    return rc;
}

/* Mark lines of each side that are poor candidates for matching as
 * changed, and collect the others for the search. */
static int td_discard(td_ctx *c)
{
    long *cnt = calloc((size_t)c->nclass * 2 + 2, sizeof(*cnt));
    char *mark[2] = {NULL, NULL};
    int rc = 0;

    if (!cnt)
        return SL_ENOMEM;
    for (int f = 0; f < 2; f++)
        for (long i = c->s[f].lo; i < c->s[f].hi; i++)
            cnt[f * c->nclass + c->s[f].eq[i]]++;
    for (int f = 0; f < 2; f++) {
        td_side *s = &c->s[f];
        long n = s->hi - s->lo, many = 5, t;
        const long *other = cnt + (1 - f) * c->nclass;
        char *m;

        mark[f] = m = calloc((size_t)n + 1, 1);
        if (!m) {
            rc = SL_ENOMEM;
            goto out;
        }
        for (t = n / 64; (t >>= 2) > 0;)
            many *= 2;
        for (long i = 0; i < n; i++) {
            long k = other[s->eq[s->lo + i]];
            m[i] = k == 0 ? 1 : k > many ? 2 : 0;
        }
    }
    /* A "frequent" line (2) is only dropped inside a run of dropped lines
     * that starts and ends with a line absent from the other side (1), and
     * not at all when such lines make up much of the run. */
    for (int f = 0; f < 2; f++) {
        char *m = mark[f];
        long n = c->s[f].hi - c->s[f].lo;

        for (long i = 0; i < n; i++) {
            long j, len, prov = 0, consec, minimum, t;

            if (m[i] == 2) {
                m[i] = 0;
                continue;
            }
            if (m[i] == 0)
                continue;
            for (j = i; j < n && m[j]; j++)
                if (m[j] == 2)
                    prov++;
            while (j > i && m[j - 1] == 2) {
                m[--j] = 0;
                prov--;
            }
            len = j - i;
            if (prov * 4 > len) {
                while (j > i)
                    if (m[--j] == 2)
                        m[j] = 0;
                continue;
            }
            minimum = 1;
            for (t = len >> 2; (t >>= 2) > 0;)
                minimum <<= 1;
            minimum++;
            for (j = 0, consec = 0; j < len; j++) {
                if (m[i + j] != 2)
                    consec = 0;
                else if (++consec == minimum)
                    j -= consec;
                else if (consec > minimum)
                    m[i + j] = 0;
            }
            for (j = 0, consec = 0; j < len; j++) {
                if (j >= 8 && m[i + j] == 1)
                    break;
                if (m[i + j] == 2) {
                    consec = 0;
                    m[i + j] = 0;
                } else if (m[i + j] == 0) {
                    consec = 0;
                } else if (++consec == 3) {
                    break;
                }
            }
            i += len - 1;
            for (j = 0, consec = 0; j < len; j++) {
                if (j >= 8 && m[i - j] == 1)
                    break;
                if (m[i - j] == 2) {
                    consec = 0;
                    m[i - j] = 0;
                } else if (m[i - j] == 0) {
                    consec = 0;
                } else if (++consec == 3) {
                    break;
                }
            }
        }
    }
    for (int f = 0; f < 2; f++) {
        td_side *s = &c->s[f];
        long n = s->hi - s->lo, k = 0;

        s->xv = malloc(((size_t)n + 1) * sizeof(*s->xv));
        s->xidx = malloc(((size_t)n + 1) * sizeof(*s->xidx));
        if (!s->xv || !s->xidx) {
            rc = SL_ENOMEM;
            goto out;
        }
        for (long i = 0; i < n; i++) {
            if (mark[f][i]) {
                s->chg[s->lo + i] = 1;
            } else {
                s->xv[k] = s->eq[s->lo + i];
                s->xidx[k++] = s->lo + i;
            }
        }
        s->nx = k;
    }
out:
    free(mark[0]);
    free(mark[1]);
    free(cnt);
    return rc;
}

typedef struct td_part {
    long xmid, ymid;
    int lo_minimal, hi_minimal;
} td_part;

/* Find the midpoint of the shortest edit script of x[xoff,xlim) vs
 * y[yoff,ylim), searching forward from the start and backward from the end
 * until the two meet. Unless minimal, give up after too_expensive rounds
 * and split at the diagonal that got furthest. Returns 1 when the work
 * budget ran out (part is then unset). */
static int td_diag(td_ctx *c, long xoff, long xlim, long yoff, long ylim, int minimal,
                   td_part *part)
{
    const long *x = c->s[0].xv, *y = c->s[1].xv;
    long *fd = c->fdiag, *bd = c->bdiag;
    const long dmin = xoff - ylim, dmax = xlim - yoff;
    const long fmid = xoff - yoff, bmid = xlim - ylim;
    long fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
    const int odd = (fmid - bmid) & 1;

    fd[fmid] = xoff;
    bd[bmid] = xlim;
    for (long round = 1;; round++) {
        long d;

        if (fmin > dmin)
            fd[--fmin - 1] = -1;
        else
            ++fmin;
        if (fmax < dmax)
            fd[++fmax + 1] = -1;
        else
            --fmax;
        for (d = fmax; d >= fmin; d -= 2) {
            long lo = fd[d - 1], hi = fd[d + 1];
            long x0 = lo < hi ? hi : lo + 1, px = x0, py = x0 - d;

            while (px < xlim && py < ylim && x[px] == y[py]) {
                px++;
                py++;
            }
            c->work += 1 + 4 * (px - x0);
            fd[d] = px;
            if (odd && bmin <= d && d <= bmax && bd[d] <= px) {
                part->xmid = px;
                part->ymid = py;
                part->lo_minimal = part->hi_minimal = 1;
                return 0;
            }
        }
        if (bmin > dmin)
            bd[--bmin - 1] = LONG_MAX;
        else
            ++bmin;
        if (bmax < dmax)
            bd[++bmax + 1] = LONG_MAX;
        else
            --bmax;
        for (d = bmax; d >= bmin; d -= 2) {
            long lo = bd[d - 1], hi = bd[d + 1];
            long x0 = lo < hi ? lo : hi - 1, px = x0, py = x0 - d;

            while (xoff < px && yoff < py && x[px - 1] == y[py - 1]) {
                px--;
                py--;
            }
            c->work += 1 + 4 * (x0 - px);
            bd[d] = px;
            if (!odd && fmin <= d && d <= fmax && px <= fd[d]) {
                part->xmid = px;
                part->ymid = py;
                part->lo_minimal = part->hi_minimal = 1;
                return 0;
            }
        }
        if (c->work > TD_WORK_BUDGET)
            return 1;
        if (minimal || round < c->too_expensive)
            continue;
        {
            long fxy = -1, fx = xoff, bxy = LONG_MAX, bx = xlim;

            for (d = fmax; d >= fmin; d -= 2) {
                long px = fd[d] < xlim ? fd[d] : xlim, py = px - d;
                if (py > ylim) {
                    px = ylim + d;
                    py = ylim;
                }
                if (px + py > fxy) {
                    fxy = px + py;
                    fx = px;
                }
            }
            for (d = bmax; d >= bmin; d -= 2) {
                long px = bd[d] > xoff ? bd[d] : xoff, py = px - d;
                if (py < yoff) {
                    px = yoff + d;
                    py = yoff;
                }
                if (px + py < bxy) {
                    bxy = px + py;
                    bx = px;
                }
            }
            if ((xlim + ylim) - bxy < fxy - (xoff + yoff)) {
                part->xmid = fx;
                part->ymid = fxy - fx;
                part->lo_minimal = 1;
                part->hi_minimal = 0;
            } else {
                part->xmid = bx;
                part->ymid = bxy - bx;
                part->lo_minimal = 0;
                part->hi_minimal = 1;
            }
            return 0;
        }
    }
}

static void td_mark_x(td_ctx *c, long from, long to)
{
    for (long i = from; i < to; i++)
        c->s[0].chg[c->s[0].xidx[i]] = 1;
}

static void td_mark_y(td_ctx *c, long from, long to)
{
    for (long i = from; i < to; i++)
        c->s[1].chg[c->s[1].xidx[i]] = 1;
}

/* Divide and conquer over the undiscarded lines, with an explicit stack.
 * The order subproblems are solved in does not matter: each only marks
 * its own lines. */
static int td_compare(td_ctx *c)
{
    long nx = c->s[0].nx, ny = c->s[1].nx, diags = nx + ny + 3, te = 1;
    long *mem = malloc(((size_t)diags * 2 + 2) * sizeof(*mem));
    td_task *stk = NULL;
    size_t sn = 0, scap = 64;
    int rc = 0;

    stk = malloc(scap * sizeof(*stk));
    if (!mem || !stk) {
        rc = SL_ENOMEM;
        goto out;
    }
    c->fdiag = mem + ny + 1;
    c->bdiag = mem + diags + 1 + ny + 1;
    for (long t = diags; t != 0; t >>= 2)
        te <<= 1;
    c->too_expensive = te > 4096 ? te : 4096;
    stk[sn++] = (td_task){0, nx, 0, ny, 0};
    while (sn) {
        td_task k = stk[--sn];
        const long *x = c->s[0].xv, *y = c->s[1].xv;
        td_part p;

        while (k.xoff < k.xlim && k.yoff < k.ylim && x[k.xoff] == y[k.yoff]) {
            k.xoff++;
            k.yoff++;
        }
        while (k.xoff < k.xlim && k.yoff < k.ylim && x[k.xlim - 1] == y[k.ylim - 1]) {
            k.xlim--;
            k.ylim--;
        }
        if (k.xoff == k.xlim) {
            td_mark_y(c, k.yoff, k.ylim);
            continue;
        }
        if (k.yoff == k.ylim) {
            td_mark_x(c, k.xoff, k.xlim);
            continue;
        }
        if (c->overflow || td_diag(c, k.xoff, k.xlim, k.yoff, k.ylim, k.minimal, &p)) {
            /* Out of budget: replace this part whole. */
            c->overflow = 1;
            td_mark_x(c, k.xoff, k.xlim);
            td_mark_y(c, k.yoff, k.ylim);
            continue;
        }
        if (sn + 2 > scap) {
            td_task *ns = realloc(stk, scap * 2 * sizeof(*stk));
            if (!ns) {
                rc = SL_ENOMEM;
                goto out;
            }
            stk = ns;
            scap *= 2;
        }
        stk[sn++] = (td_task){p.xmid, k.xlim, p.ymid, k.ylim, p.hi_minimal};
        stk[sn++] = (td_task){k.xoff, p.xmid, k.yoff, p.ymid, p.lo_minimal};
    }
out:
    free(mem);
    free(stk);
    return rc;
}

/* Slide each run of changed lines over equal neighbours: first back and
 * forth to merge with other runs, then as far down as it goes, then back up
 * to line up with a run of changes on the other side if it passed one. */
static void td_shift(td_ctx *c)
{
    for (int f = 0; f < 2; f++) {
        td_side *s = &c->s[f], *o = &c->s[1 - f];
        char *chg = s->chg;
        const char *och = o->chg;
        const long *eq = s->eq;
        long i = s->lo, j = o->lo, end = s->hi;

        for (;;) {
            long start, runlen, corr;

            while (i < end && !chg[i]) {
                while (och[j++])
                    ;
                i++;
            }
            if (i == end)
                break;
            start = i;
            while (chg[++i])
                ;
            while (och[j])
                j++;
            do {
                runlen = i - start;
                while (start > s->lo && eq[start - 1] == eq[i - 1]) {
                    chg[--start] = 1;
                    chg[--i] = 0;
                    while (chg[start - 1])
                        start--;
                    while (och[--j])
                        ;
                }
                corr = och[j - 1] ? i : end;
                while (i != end && eq[start] == eq[i]) {
                    chg[start++] = 0;
                    chg[i++] = 1;
                    while (chg[i])
                        i++;
                    while (och[++j])
                        corr = i;
                }
            } while (runlen != i - start);
            while (corr < i) {
                chg[--start] = 1;
                chg[--i] = 0;
                while (och[--j])
                    ;
            }
        }
    }
}

/* One change: lines [l0, l0+del) of a replaced by [l1, l1+ins) of b. */
typedef struct td_change {
    long l0, l1, del, ins;
} td_change;

static int td_put_line(sl_buf *out, const td_side *s, long i, char tag, const char *color)
{
    size_t l = td_linelen(s, i);
    int rc;

    if (color && (rc = sl_buf_puts(out, color)))
        return rc;
    if ((rc = sl_buf_putc(out, tag)) || (rc = sl_buf_put(out, s->data + s->off[i], l)))
        return rc;
    if (color && (rc = sl_buf_puts(out, TD_RESET)))
        return rc;
    if ((rc = sl_buf_putc(out, '\n')))
        return rc;
    if (s->incomplete && i == s->n - 1)
        rc = sl_buf_puts(out, "\\ No newline at end of file\n");
    return rc;
}

/* "l" for one line, "l,n" otherwise; an empty range names the line before it. */
static int td_put_range(sl_buf *out, long from, long to)
{
    if (to - from == 1)
        return sl_buf_printf(out, "%ld", from + 1);
    if (to == from)
        return sl_buf_printf(out, "%ld,0", from);
    return sl_buf_printf(out, "%ld,%ld", from + 1, to - from);
}

static int td_print(const td_ctx *c, const td_change *ch, size_t nch, const char *la,
                    const char *lb, int context, int color, sl_buf *out)
{
    const td_side *a = &c->s[0], *b = &c->s[1];
    int rc;

    if (!nch)
        return 0;
    if (color) {
        if ((rc = sl_buf_printf(out, TD_BOLD "--- %s" TD_RESET "\n" TD_BOLD "+++ %s" TD_RESET "\n",
                                la, lb)))
            return rc;
    } else if ((rc = sl_buf_printf(out, "--- %s\n+++ %s\n", la, lb))) {
        return rc;
    }
    for (size_t h = 0; h < nch;) {
        size_t e = h;
        long a0, a1, b0, b1, i0, i1;

        /* Merge while the gap to the next change is at most 2*context. */
        while (e + 1 < nch && ch[e + 1].l0 - (ch[e].l0 + ch[e].del) <= 2L * context)
            e++;
        a0 = ch[h].l0 - context > 0 ? ch[h].l0 - context : 0;
        b0 = ch[h].l1 - (ch[h].l0 - a0);
        a1 = ch[e].l0 + ch[e].del + context;
        if (a1 > a->n)
            a1 = a->n;
        b1 = ch[e].l1 + ch[e].ins + (a1 - (ch[e].l0 + ch[e].del));
        if (b1 > b->n) {
            /* Same number of trailing context lines on both sides. */
            a1 -= b1 - b->n;
            b1 = b->n;
        }
        if (color && (rc = sl_buf_puts(out, TD_CYAN)))
            return rc;
        if ((rc = sl_buf_puts(out, "@@ -")) || (rc = td_put_range(out, a0, a1)) ||
            (rc = sl_buf_puts(out, " +")) || (rc = td_put_range(out, b0, b1)) ||
            (rc = sl_buf_puts(out, " @@")))
            return rc;
        if ((rc = sl_buf_puts(out, color ? TD_RESET "\n" : "\n")))
            return rc;
        i0 = a0;
        i1 = b0;
        for (size_t k = h; k <= e; k++) {
            for (; i0 < ch[k].l0; i0++, i1++)
                if ((rc = td_put_line(out, a, i0, ' ', NULL)))
                    return rc;
            for (long d = 0; d < ch[k].del; d++, i0++)
                if ((rc = td_put_line(out, a, i0, '-', color ? TD_RED : NULL)))
                    return rc;
            for (long d = 0; d < ch[k].ins; d++, i1++)
                if ((rc = td_put_line(out, b, i1, '+', color ? TD_GREEN : NULL)))
                    return rc;
        }
        for (; i0 < a1; i0++, i1++)
            if ((rc = td_put_line(out, a, i0, ' ', NULL)))
                return rc;
        h = e + 1;
    }
    return 0;
}

/* Contract: appends the unified diff of a vs b to out (nothing when equal).
 * Returns 0, SL_ENOMEM, or SL_ELIMIT when out's cap or the line cap is hit. */
int sl_textdiff_unified(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
                        const char *label_b, int context, int color, sl_buf *out)
{
    td_ctx c;
    td_change *ch = NULL;
    size_t nch = 0, chcap = 0;
    long pre = 0, suf = 0, h;
    int rc;

    memset(&c, 0, sizeof(c));
    if (context < 0)
        context = 0;
    if (!a)
        alen = 0;
    if (!b)
        blen = 0;
    if (alen == blen && (!alen || !memcmp(a, b, alen)))
        return 0;
    if ((rc = td_split(&c.s[0], a ? a : "", alen)) || (rc = td_split(&c.s[1], b ? b : "", blen)))
        goto out;
    if ((rc = td_classify(&c)))
        goto out;
    /* Common prefix and suffix, then keep `context` lines of each. */
    while (pre < c.s[0].n && pre < c.s[1].n && c.s[0].eq[pre] == c.s[1].eq[pre])
        pre++;
    while (suf < c.s[0].n - pre && suf < c.s[1].n - pre &&
           c.s[0].eq[c.s[0].n - 1 - suf] == c.s[1].eq[c.s[1].n - 1 - suf])
        suf++;
    h = context;
    for (int f = 0; f < 2; f++) {
        td_side *s = &c.s[f];
        s->lo = pre > h ? pre - h : 0;
        s->hi = s->n - (suf > h ? suf - h : 0);
        s->chg_mem = calloc((size_t)(s->hi - s->lo) + 2, 1);
        if (!s->chg_mem) {
            rc = SL_ENOMEM;
            goto out;
        }
        s->chg = s->chg_mem + 1 - s->lo;
    }
    if ((rc = td_discard(&c)) || (rc = td_compare(&c)))
        goto out;
    td_shift(&c);
    /* Collect the changes. */
    for (long i0 = c.s[0].lo, i1 = c.s[1].lo; i0 < c.s[0].hi || i1 < c.s[1].hi; i0++, i1++) {
        if (c.s[0].chg[i0] || c.s[1].chg[i1]) {
            td_change x = {i0, i1, 0, 0};
            while (c.s[0].chg[i0])
                i0++;
            while (c.s[1].chg[i1])
                i1++;
            x.del = i0 - x.l0;
            x.ins = i1 - x.l1;
            if (nch == chcap) {
                size_t nc = chcap ? chcap * 2 : 16;
                td_change *nv = realloc(ch, nc * sizeof(*nv));
                if (!nv) {
                    rc = SL_ENOMEM;
                    goto out;
                }
                ch = nv;
                chcap = nc;
            }
            ch[nch++] = x;
        }
    }
    rc = td_print(&c, ch, nch, label_a ? label_a : "a", label_b ? label_b : "b", context, color,
                  out);
out:
    for (int f = 0; f < 2; f++) {
        free(c.s[f].off);
        free(c.s[f].eq);
        free(c.s[f].chg_mem);
        free(c.s[f].xv);
        free(c.s[f].xidx);
    }
    free(ch);
    return rc;
}
