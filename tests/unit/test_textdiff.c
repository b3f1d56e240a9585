/* test_textdiff.c: sl_textdiff_unified against GNU diff -u. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sl_buf.h"
#include "sl_test.h"
#include "sl_textdiff.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return n ? (uint32_t)(rng_state % n) : 0;
}

static char *diff_of(const char *a, const char *b, int context, int color)
{
    sl_buf out = SL_BUF_INIT;
    int rc = sl_textdiff_unified(a, strlen(a), b, strlen(b), "a", "b", context, color, &out);
    SL_CHECK_INT(rc, 0);
    return sl_buf_detach(&out);
}

/* Rebuild b by applying the unified diff d to a, checking every context and
 * deleted line against a. NULL when d does not fit a. */
static char *apply_udiff(const char *a, const char *d)
{
    sl_buf out = SL_BUF_INIT;
    const char *ap = a, *p = d;
    long aline = 1;
    int ok = 1;

    /* headers */
    for (int i = 0; i < 2 && *p; i++) {
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
    while (*p && ok) {
        long l0, s0 = 1;
        const char *nl = strchr(p, '\n');
        if (strncmp(p, "@@ -", 4) || !nl) {
            ok = 0;
            break;
        }
        l0 = strtol(p + 4, (char **)&p, 10);
        if (*p == ',')
            s0 = strtol(p + 1, NULL, 10);
        if (s0 == 0)
            l0++;
        /* copy untouched lines before the hunk */
        while (aline < l0 && *ap) {
            const char *e = strchr(ap, '\n');
            size_t n = e ? (size_t)(e - ap) + 1 : strlen(ap);
            sl_buf_put(&out, ap, n);
            ap += n;
            aline++;
        }
        p = nl + 1;
        while (*p && (*p == ' ' || *p == '-' || *p == '+')) {
            const char *e = strchr(p, '\n');
            size_t tl = e ? (size_t)(e - p) - 1 : strlen(p) - 1;
            const char *next = e ? e + 1 : p + strlen(p);
            int nonl = !strncmp(next, "\\ No newline at end of file\n", 28);
            size_t full = tl + (nonl ? 0 : 1);
            if (*p != '+') {
                if (strncmp(ap, p + 1, tl) || (nonl ? ap[tl] != '\0' : ap[tl] != '\n')) {
                    ok = 0;
                    break;
                }
                ap += full;
                aline++;
            }
            if (*p != '-') {
                sl_buf_put(&out, p + 1, tl);
                if (!nonl)
                    sl_buf_putc(&out, '\n');
            }
            p = nonl ? next + 28 : next;
        }
    }
    sl_buf_puts(&out, ap);
    if (!ok) {
        sl_buf_free(&out);
        return NULL;
    }
    return sl_buf_detach(&out);
}

static void test_identical_gives_nothing(void)
{
    sl_buf out = SL_BUF_INIT;

    SL_CHECK_INT(sl_textdiff_unified("a\nb\n", 4, "a\nb\n", 4, "x", "y", 3, 0, &out), 0);
    SL_CHECK_INT(out.len, 0);
    SL_CHECK_INT(sl_textdiff_unified("", 0, "", 0, "x", "y", 3, 1, &out), 0);
    SL_CHECK_INT(out.len, 0);
    SL_CHECK_INT(sl_textdiff_unified(NULL, 0, NULL, 0, "x", "y", 3, 1, &out), 0);
    SL_CHECK_INT(out.len, 0);
    sl_buf_free(&out);
}

static void test_basic_hunk(void)
{
    const char *a = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"1\"\n"
                    "  b: \"2\"\n  c: \"3\"\n  d: \"4\"\n  e: \"5\"\n";
    const char *b = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"1\"\n"
                    "  b: \"22\"\n  c: \"3\"\n  d: \"4\"\n  e: \"5\"\n  f: \"6\"\n";
    char *d = diff_of(a, b, 3, 0);

    SL_CHECK_STR(d, "--- a\n+++ b\n@@ -4,7 +4,8 @@\n   name: x\n data:\n   a: \"1\"\n"
                    "-  b: \"2\"\n+  b: \"22\"\n   c: \"3\"\n   d: \"4\"\n   e: \"5\"\n"
                    "+  f: \"6\"\n");
    free(d);
    /* Creation and deletion against empty text. */
    d = diff_of("", "x\ny\n", 3, 0);
    SL_CHECK_STR(d, "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n");
    free(d);
    d = diff_of("x\n", "", 3, 0);
    SL_CHECK_STR(d, "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n");
    free(d);
}

static void test_separate_and_merged_hunks(void)
{
    sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
    char *d;

    for (int i = 1; i <= 30; i++) {
        sl_buf_printf(&a, "line %d\n", i);
        sl_buf_printf(&b, i == 3 || i == 25 || i == 10 ? "LINE %d\n" : "line %d\n", i);
    }
    d = diff_of(a.ptr, b.ptr, 3, 0);
    /* 3 and 10 are 6 lines apart: one hunk; 25 is far: a second one. */
    SL_CHECK_HAS(d, "@@ -1,13 +1,13 @@\n");
    SL_CHECK_HAS(d, "@@ -22,7 +22,7 @@\n");
    {
        int hunks = 0;
        for (const char *p = strstr(d, "\n@@ "); p; p = strstr(p + 1, "\n@@ "))
            hunks++;
        SL_CHECK_INT(hunks, 2);
    }
    free(d);
    sl_buf_free(&a);
    sl_buf_free(&b);
}

static void test_missing_newline(void)
{
    char *d = diff_of("a\nb", "a\nb\n", 3, 0);

    SL_CHECK_STR(d, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
    free(d);
    d = diff_of("a\nb\n", "a\nc", 3, 0);
    SL_CHECK_STR(d, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n");
    free(d);
    d = diff_of("x\nsame", "y\nsame", 3, 0);
    SL_CHECK_STR(d, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n-x\n+y\n same\n\\ No newline at end of file\n");
    free(d);
}

static void test_color(void)
{
    char *plain = diff_of("a\nb\nc\n", "a\nB\nc\n", 3, 0);
    char *col = diff_of("a\nb\nc\n", "a\nB\nc\n", 3, 1);
    sl_buf stripped = SL_BUF_INIT;

    SL_CHECK(!strchr(plain, '\033'));
    SL_CHECK_HAS(col, "\033[31m-b\033[0m\n");
    SL_CHECK_HAS(col, "\033[32m+B\033[0m\n");
    SL_CHECK_HAS(col, "\033[36m@@ -1,3 +1,3 @@\033[0m\n");
    SL_CHECK_HAS(col, "\033[1m--- a\033[0m\n");
    SL_CHECK_HAS(col, "\033[1m+++ b\033[0m\n");
    /* Without the escapes it is the plain diff. */
    for (const char *p = col; *p;) {
        if (*p == '\033') {
            p = strchr(p, 'm') + 1;
            continue;
        }
        sl_buf_putc(&stripped, *p++);
    }
    SL_CHECK_STR(stripped.ptr, plain);
    sl_buf_free(&stripped);
    free(plain);
    free(col);
}

static void gen_lines(sl_buf *b, int n, int alpha, int yamlish)
{
    for (int i = 0; i < n; i++) {
        if (yamlish)
            sl_buf_printf(b, "%*skey%u: value%u\n", (int)rnd(3) * 2, "", rnd((uint32_t)alpha),
                          rnd(3));
        else
            sl_buf_printf(b, "%c\n", 'a' + (int)rnd((uint32_t)alpha));
    }
}

/* Mutate a into b: deletions, insertions and replacements of lines. */
static void mutate(const char *a, sl_buf *b, int alpha, int edits)
{
    int n = 0;
    for (const char *p = a; *p; p++)
        n += *p == '\n';
    for (const char *p = a; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = (size_t)(e - p) + 1;
        uint32_t r = rnd((uint32_t)(n + 1));
        if ((int)r < edits) {
            switch (rnd(3)) {
            case 0:
                break; /* delete */
            case 1:
                sl_buf_printf(b, "%c\n", 'a' + (int)rnd((uint32_t)alpha));
                sl_buf_put(b, p, len);
                break;
            default:
                sl_buf_printf(b, "%c\n", 'a' + (int)rnd((uint32_t)alpha));
                break;
            }
        } else {
            sl_buf_put(b, p, len);
        }
        p += len;
    }
    if (rnd(4) == 0)
        sl_buf_printf(b, "%c\n", 'a' + (int)rnd((uint32_t)alpha));
}

/* Many random pairs: our bytes must be diff -U<n>'s bytes, and applying our
 * diff to a must give b. */
static void test_random_against_gnu_diff(void)
{
    char *dir = sl_test_tmpdir();
    char pa[512], pb[512], po[512];
    int mismatches = 0, cases = 0;

    SL_CHECK(dir != NULL);
    if (!dir)
        return;
    snprintf(pa, sizeof(pa), "%s/a", dir);
    snprintf(pb, sizeof(pb), "%s/b", dir);
    snprintf(po, sizeof(po), "%s/out", dir);
    for (int it = 0; it < 400; it++) {
        sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT, ours = SL_BUF_INIT, gnu = SL_BUF_INIT;
        int alpha = (int[]){2, 3, 5, 8, 16, 26}[rnd(6)];
        int n = (int)rnd(it < 300 ? 40 : 400), ctx = (int[]){3, 3, 3, 0, 1, 2, 5}[rnd(7)];
        int yamlish = rnd(4) == 0;
        char *back;

        gen_lines(&a, n, alpha, yamlish);
        sl_buf_put(&a, "", 0);
        if (rnd(3) == 0)
            gen_lines(&b, (int)rnd((uint32_t)n + 5), alpha, yamlish);
        else
            mutate(a.ptr, &b, alpha, 1 + (int)rnd((uint32_t)n / 3 + 2));
        sl_buf_put(&b, "", 0);
        /* Sometimes drop the final newline of one or both sides. */
        if (a.len && rnd(5) == 0)
            a.ptr[--a.len] = '\0';
        if (b.len && rnd(5) == 0)
            b.ptr[--b.len] = '\0';
        sl_test_write(pa, a.ptr);
        sl_test_write(pb, b.ptr);
        sl_test_sh("diff -U%d --label a --label b '%s' '%s' > '%s'", ctx, pa, pb, po);
        SL_CHECK_INT(sl_file_read(po, 0, &gnu, NULL), 0);
        SL_CHECK_INT(sl_textdiff_unified(a.ptr, a.len, b.ptr, b.len, "a", "b", ctx, 0, &ours), 0);
        sl_buf_put(&ours, "", 0);
        cases++;
        if (ours.len != gnu.len || memcmp(ours.ptr, gnu.ptr, ours.len)) {
            if (!mismatches)
                fprintf(stderr,
                        "case %d differs from diff -U%d:\n--a--\n%s\n--b--\n%s\n"
                        "--diff--\n%s\n--ours--\n%s\n",
                        it, ctx, a.ptr, b.ptr, gnu.ptr, ours.ptr);
            mismatches++;
        }
        back = apply_udiff(a.ptr, ours.ptr);
        SL_CHECK(back && !strcmp(back, b.ptr));
        free(back);
        sl_buf_free(&a);
        sl_buf_free(&b);
        sl_buf_free(&ours);
        sl_buf_free(&gnu);
    }
    SL_CHECK_INT(mismatches, 0);
    SL_CHECK_INT(cases, 400);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}


/* Large inputs with little in common must take the fallback (a quadratic
 * diff would run into the ctest timeout) and still give a diff that turns a
 * into b. Speed itself is measured in bench/, not here. */
static void test_large_inputs_fall_back(void)
{
    static const int alphas[] = {2, 1000, 1000000};

    for (size_t k = 0; k < sizeof(alphas) / sizeof(alphas[0]); k++) {
        sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT, out = SL_BUF_INIT;
        char *back;

#ifdef SL_SANITIZED
        const int lines = 30000;
#else
        const int lines = 100000;
#endif
        for (int i = 0; i < lines; i++) {
            sl_buf_printf(&a, "l%u\n", rnd((uint32_t)alphas[k]));
            sl_buf_printf(&b, "l%u\n", rnd((uint32_t)alphas[k]));
        }
        SL_CHECK_INT(sl_textdiff_unified(a.ptr, a.len, b.ptr, b.len, "a", "b", 3, 0, &out), 0);
        SL_CHECK(out.len > 0);
        back = apply_udiff(a.ptr, out.ptr);
        SL_CHECK(back && !strcmp(back, b.ptr));
        free(back);
        sl_buf_free(&a);
        sl_buf_free(&b);
        sl_buf_free(&out);
    }
}

static void test_output_cap(void)
{
    sl_buf out;

    sl_buf_init(&out, 16);
    SL_CHECK_INT(sl_textdiff_unified("a\nb\nc\n", 6, "x\ny\nz\n", 6, "a", "b", 3, 0, &out),
                 SL_ELIMIT);
    sl_buf_free(&out);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_identical_gives_nothing), SL_TEST_ENTRY(test_basic_hunk),
             SL_TEST_ENTRY(test_separate_and_merged_hunks), SL_TEST_ENTRY(test_missing_newline),
             SL_TEST_ENTRY(test_color), SL_TEST_ENTRY(test_random_against_gnu_diff),
             SL_TEST_ENTRY(test_large_inputs_fall_back), SL_TEST_ENTRY(test_output_cap))
