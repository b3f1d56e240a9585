/* hcl_diag.c: the engine's arena, source ranges, diagnostics (with
 * Terraform-style printing) and UTF-8 helpers. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hcl_int.h"

/* Under AddressSanitizer the arena poisons what it has not handed out and
 * leaves a redzone after each allocation, so reading past a node (nodes
 * are allocated only up to their kind's last member) is reported. */
#if defined(__SANITIZE_ADDRESS__)
#define HCL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HCL_ASAN 1
#endif
#endif
#ifdef HCL_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_REDZONE 8
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ARENA_REDZONE 0
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* ---------------------------------------------------------------- arena */

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t size, used;
    size_t ready; /* data[0..ready) is faulted in (mapped chunks) */
    int mapped;   /* from mmap (size + header bytes), else malloc */
    _Alignas(16) unsigned char data[];
} arena_chunk;

struct sl_hcl_arena {
    arena_chunk *head;
    size_t total, max;
};

#define ARENA_CHUNK ((size_t)256 << 10)
#define ARENA_BIG ((size_t)2 << 20)
#define ARENA_BIG_MAX ((size_t)8 << 20)
/* Mapped chunks are faulted in this many bytes ahead of the bump pointer
 * with one madvise(MADV_POPULATE_WRITE) instead of a page fault per 4 KiB
 * page (a fault costs microseconds in a virtual machine; they were a third
 * of the parse's CPU time). At most this much is resident but unused. */
#define ARENA_READY ((size_t)128 << 10)
#define ARENA_PAGE ((uintptr_t)4096)

int sl_hcl_arena_new(size_t max, sl_hcl_arena **out)
{
    sl_hcl_arena *a = calloc(1, sizeof(*a));

    *out = NULL;
    if (!a)
        return SL_ENOMEM;
    a->max = max ? max : (size_t)256 << 20;
    *out = a;
    return 0;
}

static void chunk_free(arena_chunk *c)
{
    ARENA_UNPOISON(c->data, c->size);
    if (c->mapped)
        munmap(c, sizeof(*c) + c->size);
    else
        free(c);
}

void sl_hcl_arena_free(sl_hcl_arena *a)
{
    arena_chunk *c, *next;

    if (!a)
        return;
    for (c = a->head; c; c = next) {
        next = c->next;
        chunk_free(c);
    }
    free(a);
}

/* A zeroed chunk of size bytes: mapped (fresh pages come zeroed and are
 * faulted in ahead of use, see chunk_ready), or from calloc when mmap
 * fails. */
static arena_chunk *chunk_new(size_t size)
{
    arena_chunk *c;
    void *m = mmap(NULL, sizeof(*c) + size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);

    if (m != MAP_FAILED) {
        c = m;
        c->mapped = 1;
        c->size = size;
        ARENA_POISON(c->data, size);
        return c;
    }
    c = calloc(1, sizeof(*c) + size);
    if (c) {
        c->size = size;
        c->ready = size;
        ARENA_POISON(c->data, size);
    }
    return c;
}

/* Fault in c's pages ahead of c->used in one call (kernels without
 * MADV_POPULATE_WRITE fault them one by one on use): as far ahead as the
 * chunk already holds, at least 16 KiB and at most ARENA_READY, so a small
 * arena (an evaluation's) faults in little it does not use. */
static void chunk_ready(arena_chunk *c)
{
#ifdef MADV_POPULATE_WRITE
    uintptr_t base = (uintptr_t)c->data;
    uintptr_t from = (base + c->ready + ARENA_PAGE - 1) & ~(ARENA_PAGE - 1);
    size_t ahead = c->used < ((size_t)16 << 10)  ? (size_t)16 << 10
                   : c->used > ARENA_READY        ? ARENA_READY
                                                  : c->used;
    size_t upto = c->used + ahead < c->size ? c->used + ahead : c->size;
    uintptr_t to = (base + upto) & ~(ARENA_PAGE - 1);

    if (to > from)
        madvise((void *)from, to - from, MADV_POPULATE_WRITE);
    c->ready = upto;
#else
    c->ready = c->size;
#endif
}

/* Bump-allocate n zeroed bytes (chunks are zeroed when made and never
 * reused), 8-aligned. Chunks grow with the arena (256 KiB up to 8 MiB, a
 * quarter of what it holds) so small files stay small and big trees use
 * few chunks; a request bigger than a quarter chunk gets a chunk of its
 * own (placed behind the head so the head keeps its free space). */
void *sl_hcl_alloc(sl_hcl_arena *a, size_t n)
{
    arena_chunk *c = a->head;
    size_t need = ((n + 7) & ~(size_t)7) + ARENA_REDZONE;
    void *p;

    if (need < n)
        return NULL;
    if (!c || c->size - c->used < need) {
        size_t grow = a->total / 4, size;
        if (grow < ARENA_BIG)
            grow = ARENA_CHUNK;
        else
            grow = grow > ARENA_BIG_MAX ? ARENA_BIG_MAX : grow & ~(ARENA_BIG - 1);
        size = need > ARENA_CHUNK / 4 ? need : grow;
        if (a->total + size > a->max)
            return NULL;
        c = chunk_new(size);
        if (!c)
            return NULL;
        a->total += size;
        if (need > ARENA_CHUNK / 4 && a->head) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    p = c->data + c->used;
    c->used += need;
    if (c->used > c->ready)
        chunk_ready(c);
    ARENA_UNPOISON(p, n);
    return p;
}

int hcl_arena_grow(sl_hcl_arena *a, void *p, size_t old, size_t new_size)
{
    arena_chunk *c = a->head;
    size_t was = ((old + 7) & ~(size_t)7) + ARENA_REDZONE;
    size_t now = ((new_size + 7) & ~(size_t)7) + ARENA_REDZONE;

    if (!c || new_size < old || (unsigned char *)p + was != c->data + c->used ||
        c->size - c->used < now - was)
        return 0;
    c->used += now - was;
    if (c->used > c->ready)
        chunk_ready(c);
    ARENA_UNPOISON(p, new_size);
    return 1;
}

char *sl_hcl_strndup(sl_hcl_arena *a, const char *s, size_t n)
{
    char *p = sl_hcl_alloc(a, n + 1);

    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = 0;
    return p;
}

size_t sl_hcl_arena_used(const sl_hcl_arena *a)
{
    return a ? a->total : 0;
}

/* --------------------------------------------------------------- ranges */

sl_hcl_range sl_hcl_range_between(sl_hcl_range a, sl_hcl_range b)
{
    sl_hcl_range r = a;

    if (b.start.byte < r.start.byte)
        r.start = b.start;
    if (b.end.byte > r.end.byte)
        r.end = b.end;
    return r;
}

/* The table of line starts of f, built on first use in f's arena (NULL
 * when out of memory). */
static const uint32_t *file_lines(const sl_hcl_file *cf, size_t *n)
{
    sl_hcl_file *f = (sl_hcl_file *)cf; /* the table is a cache */

    if (!f->lines) {
        size_t k = 1;
        const char *s = f->src, *end = f->src + f->len, *q;
        uint32_t *v;
        for (q = s; (q = memchr(q, '\n', (size_t)(end - q))); q++)
            k++;
        v = sl_hcl_alloc(f->arena, k * sizeof(*v));
        if (!v)
            return NULL;
        k = 0;
        v[k++] = 0;
        for (q = s; (q = memchr(q, '\n', (size_t)(end - q))); q++)
            v[k++] = (uint32_t)(q + 1 - s);
        f->nlines = k;
        f->lines = v;
    }
    *n = f->nlines;
    return f->lines;
}

/* The line and column of byte offset off in f. */
static sl_hcl_pos file_pos(const sl_hcl_file *f, const uint32_t *lines, size_t n, uint32_t off)
{
    sl_hcl_pos p = {1, 1, off};
    size_t lo = 0, hi = n;
    uint32_t i0;

    if (off > f->len)
        off = (uint32_t)f->len;
    while (hi - lo > 1) { /* the last line start <= off */
        size_t mid = lo + (hi - lo) / 2;
        if (lines[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    p.line = (int)lo + 1;
    /* The scanner skips a byte order mark without counting a column. */
    i0 = lines[lo];
    if (!lo && f->len >= 3 && !memcmp(f->src, "\xEF\xBB\xBF", 3) && off >= 3)
        i0 = 3;
    for (uint32_t i = i0; i < off; i++)
        if (((unsigned char)f->src[i] & 0xC0) != 0x80)
            p.col++;
    return p;
}

sl_hcl_range sl_hcl_file_range(const sl_hcl_file *f, sl_hcl_span s)
{
    sl_hcl_range r = {0};
    const uint32_t *lines;
    size_t n;

    if (!f)
        return r;
    r.file = f->name;
    if (!(lines = file_lines(f, &n))) {
        r.start.byte = s.start;
        r.end.byte = s.end;
        return r;
    }
    r.start = file_pos(f, lines, n, s.start);
    r.end = file_pos(f, lines, n, s.end);
    return r;
}

/* ---------------------------------------------------------------- diags */

static int diag_add(sl_hcl_diags *d, int sev, const sl_hcl_range *subject, char *summary,
                    char *detail)
{
    size_t max = d->max ? d->max : 1000;
    sl_hcl_diag *dg;

    if (!summary || !detail) {
        free(summary);
        free(detail);
        return SL_ENOMEM;
    }
    if (d->n >= max) {
        free(summary);
        free(detail);
        return SL_EINVAL;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        sl_hcl_diag *v = realloc(d->v, cap * sizeof(*v));
        if (!v) {
            free(summary);
            free(detail);
            return SL_ENOMEM;
        }
        d->v = v;
        d->cap = cap;
    }
    dg = &d->v[d->n++];
    memset(dg, 0, sizeof(*dg));
    dg->severity = sev;
    dg->summary = summary;
    dg->detail = detail;
    if (subject) {
        dg->has_subject = 1;
        dg->subject = *subject;
        /* The diagnostic owns a copy of the file name, so it stays valid
         * after the parsed file is freed (callers turn diagnostics into
         * errors after freeing their trees). */
        if (subject->file && !(dg->subject.file = strdup(subject->file))) {
            d->n--;
            free(summary);
            free(detail);
            return SL_ENOMEM;
        }
    }
    return SL_EINVAL;
}

/* vasprintf's text, or NULL when it fails. */
static SL_PRINTF(1, 0) char *vfmt(const char *fmt, va_list ap)
{
    char *s = NULL;
    return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

int sl_hcl_diag_error(sl_hcl_diags *d, const sl_hcl_range *subject, const char *summary,
                      const char *detail_fmt, ...)
{
    va_list ap;
    char *detail;

    va_start(ap, detail_fmt);
    detail = vfmt(detail_fmt, ap);
    va_end(ap);
    return diag_add(d, SL_HCL_DIAG_ERROR, subject, strdup(summary), detail);
}

int sl_hcl_diag_error_at(sl_hcl_diags *d, const sl_hcl_file *f, sl_hcl_span subject,
                         const char *summary, const char *detail_fmt, ...)
{
    va_list ap;
    char *detail;
    sl_hcl_range r;

    va_start(ap, detail_fmt);
    detail = vfmt(detail_fmt, ap);
    va_end(ap);
    if (!f)
        return diag_add(d, SL_HCL_DIAG_ERROR, NULL, strdup(summary), detail);
    r = sl_hcl_file_range(f, subject);
    return diag_add(d, SL_HCL_DIAG_ERROR, &r, strdup(summary), detail);
}

int sl_hcl_diags_has_errors(const sl_hcl_diags *d)
{
    for (size_t i = 0; d && i < d->n; i++)
        if (d->v[i].severity == SL_HCL_DIAG_ERROR)
            return 1;
    return 0;
}

void sl_hcl_diags_free(sl_hcl_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].summary);
        free(d->v[i].detail);
        free((char *)d->v[i].subject.file);
    }
    free(d->v);
    d->v = NULL;
    d->n = d->cap = 0;
}

int sl_hcl_diags_append(sl_hcl_diags *dst, sl_hcl_diags *src)
{
    int rc = 0;

    for (size_t i = 0; i < src->n; i++) {
        sl_hcl_diag *s = &src->v[i];
        int r = diag_add(dst, s->severity, s->has_subject ? &s->subject : NULL, s->summary,
                         s->detail);
        if (r == SL_ENOMEM)
            rc = r;
        else if (dst->n && dst->v[dst->n - 1].summary == s->summary) {
            dst->v[dst->n - 1].src = s->src;
            dst->v[dst->n - 1].src_len = s->src_len;
        }
        free((char *)s->subject.file);
        s->summary = s->detail = NULL;
        s->subject.file = NULL;
    }
    free(src->v);
    src->v = NULL;
    src->n = src->cap = 0;
    return rc;
}

int sl_hcl_diags_to_error(const sl_hcl_diags *d, sl_error *err)
{
    for (size_t i = 0; d && i < d->n; i++) {
        const sl_hcl_diag *dg = &d->v[i];
        if (dg->severity != SL_HCL_DIAG_ERROR)
            continue;
        if (dg->has_subject)
            return sl_error_setpos(err, SL_EINVAL, dg->subject.file, dg->subject.start.line,
                                   dg->subject.start.col, "%s%s%s", dg->summary,
                                   dg->detail[0] ? ": " : "", dg->detail);
        return sl_error_set(err, SL_EINVAL, "%s%s%s", dg->summary, dg->detail[0] ? ": " : "",
                            dg->detail);
    }
    return 0;
}

/* Find the text of line `line` (1-based) in src. */
static int find_line(const char *src, size_t len, int line, size_t *start, size_t *end)
{
    size_t i = 0;
    int l = 1;

    while (l < line && i < len) {
        if (src[i] == '\n')
            l++;
        i++;
    }
    if (l != line)
        return -1;
    *start = i;
    while (i < len && src[i] != '\n')
        i++;
    *end = i;
    if (*end > *start && src[*end - 1] == '\r')
        (*end)--;
    return 0;
}

/* Terraform-style rendering of one diagnostic; the caret line marks the
 * subject's columns on its first line. */
int sl_hcl_diag_format(const sl_hcl_diag *dg, sl_buf *out)
{
    int rc = sl_buf_printf(out, "%s: %s\n", dg->severity == SL_HCL_DIAG_WARNING ? "Warning" : "Error",
                           dg->summary);

    if (!rc && dg->has_subject) {
        size_t ls, le;
        rc = sl_buf_printf(out, "\n  on %s line %d:\n", dg->subject.file ? dg->subject.file : "",
                           dg->subject.start.line);
        if (!rc && dg->src &&
            !find_line(dg->src, dg->src_len, dg->subject.start.line, &ls, &le)) {
            char num[32];
            int w = snprintf(num, sizeof(num), "%4d", dg->subject.start.line);
            int c = 1, from = dg->subject.start.col, to;
            rc = sl_buf_printf(out, "%s: %.*s\n", num, (int)(le - ls), dg->src + ls);
            to = dg->subject.end.line == dg->subject.start.line ? dg->subject.end.col : 1 << 30;
            if (!rc)
                rc = sl_buf_printf(out, "%*s  ", w, "");
            for (size_t i = ls; !rc && i < le && c < to; i++) {
                if (((unsigned char)dg->src[i] & 0xC0) == 0x80)
                    continue;
                if (c >= from)
                    rc = sl_buf_putc(out, '^');
                else
                    rc = sl_buf_putc(out, dg->src[i] == '\t' ? '\t' : ' ');
                c++;
            }
            if (!rc && c <= from)
                rc = sl_buf_putc(out, '^');
            if (!rc)
                rc = sl_buf_putc(out, '\n');
        }
    }
    if (!rc && dg->detail && dg->detail[0])
        rc = sl_buf_printf(out, "\n%s\n", dg->detail);
    return rc;
}

int sl_hcl_diags_format(const sl_hcl_diags *d, sl_buf *out)
{
    int rc = 0;

    for (size_t i = 0; !rc && i < d->n; i++) {
        if (i)
            rc = sl_buf_putc(out, '\n');
        if (!rc)
            rc = sl_hcl_diag_format(&d->v[i], out);
    }
    return rc;
}

void sl_hcl_diags_print(const sl_hcl_diags *d, FILE *f)
{
    sl_buf b = SL_BUF_INIT;

    if (!sl_hcl_diags_format(d, &b) && b.len)
        fwrite(b.ptr, 1, b.len, f);
    sl_buf_free(&b);
}

/* ----------------------------------------------------------------- utf8 */

int hcl_utf8_decode(const char *str, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    uint32_t c;
    int len, i;

    if (!n) {
        *cp = 0xFFFD;
        return 1;
    }
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        c = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        c = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if ((size_t)len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = c;
    return len;
}

int hcl_utf8_valid(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint32_t cp;
        int l;
        /* ASCII fast path: 8 bytes at a time. */
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        l = hcl_utf8_decode(s + i, n - i, &cp);
        if (cp == 0xFFFD && l == 1)
            return 0;
        i += (size_t)l;
    }
    return 1;
}

int hcl_utf8_encode(uint32_t cp, char *o)
{
    unsigned char *out = (unsigned char *)o;

    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* unicode.IsSpace of Go. */
int hcl_is_unicode_space(uint32_t c)
{
    switch (c) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
        return 1;
    default:
        return c >= 0x2000 && c <= 0x200A;
    }
}
