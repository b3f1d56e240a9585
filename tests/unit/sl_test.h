/* sl_test.h: a minimal unit-test harness. Each test file defines
 * SL_TESTS (a list of test functions); failures print file:line and the
 * failed expression; the run ends with "N passed, N failed". */
#ifndef SL_TEST_H
#define SL_TEST_H

#include <stdio.h>
#include <string.h>

extern int sl_test_failures_;

#define SL_CHECK(expr)                                                                             \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);               \
            sl_test_failures_++;                                                                   \
        }                                                                                          \
    } while (0)

#define SL_CHECK_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a,    \
                    a_, #b, b_);                                                                   \
            sl_test_failures_++;                                                                   \
        }                                                                                          \
    } while (0)

#define SL_CHECK_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_)) {                                                        \
            fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,      \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                       \
            sl_test_failures_++;                                                                   \
        }                                                                                          \
    } while (0)

/* Substring check. */
#define SL_CHECK_HAS(hay, needle)                                                                  \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_)) {                                                              \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,         \
                    h_ ? h_ : "(null)", n_);                                                       \
            sl_test_failures_++;                                                                   \
        }                                                                                          \
    } while (0)

typedef struct sl_test_case {
    const char *name;
    void (*fn)(void);
} sl_test_case;

/* Each test file ends with:
 *   SL_TEST_MAIN(test_a, test_b, ...)
 */
int sl_test_run(const sl_test_case *cases, size_t n);
#define SL_TEST_ENTRY(fn)                                                                          \
    {                                                                                              \
#fn, fn                                                                                    \
    }
#define SL_TEST_MAIN(...)                                                                          \
    int main(void)                                                                                 \
    {                                                                                              \
        static const sl_test_case cases_[] = {__VA_ARGS__};                                        \
        return sl_test_run(cases_, sizeof(cases_) / sizeof(cases_[0]));                            \
    }

/* A fresh temporary directory (mkdtemp under $TMPDIR or /tmp); caller frees. */
char *sl_test_tmpdir(void);
/* Run a shell command (for building git fixtures); returns its exit status. */
int sl_test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write a file, creating parent directories. Returns 0 on success. */
int sl_test_write(const char *path, const char *content);
/* $SL_SHARED_DIR (../shared by default, relative to the source dir). */
const char *sl_test_shared_dir(void);

#endif
