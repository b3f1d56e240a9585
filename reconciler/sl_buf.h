/* sl_buf.h: capped growable byte buffer and string vector. */
#ifndef SL_BUF_H
#define SL_BUF_H

#include <stddef.h>
#include "sl_error.h"

#define SL_BUF_DEFAULT_MAX ((size_t)1 << 30)

/* A byte buffer that is always NUL-terminated once it holds anything and
 * never grows past max (SL_ELIMIT). Zero-initialised means empty with the
 * default cap. */
typedef struct sl_buf {
    char *ptr;
    size_t len;
    size_t cap;
    size_t max; /* 0 = SL_BUF_DEFAULT_MAX */
} sl_buf;

#define SL_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

void sl_buf_init(sl_buf *b, size_t max);
int sl_buf_reserve(sl_buf *b, size_t extra);
int sl_buf_put(sl_buf *b, const void *data, size_t n);
int sl_buf_puts(sl_buf *b, const char *s);
int sl_buf_putc(sl_buf *b, char c);
int sl_buf_printf(sl_buf *b, const char *fmt, ...) SL_PRINTF(2, 3);
/* Empty the buffer, keep its memory. */
void sl_buf_reset(sl_buf *b);
/* Hand the memory to the caller (free() it); the buffer is left empty.
 * Never returns NULL unless allocation fails: an empty buffer gives "". */
char *sl_buf_detach(sl_buf *b);
void sl_buf_free(sl_buf *b);

/* A vector of owned strings. Zero-initialised means empty. */
typedef struct sl_strv {
    char **v;
    size_t n, cap;
} sl_strv;

#define SL_STRV_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

int sl_strv_push(sl_strv *sv, const char *s);
int sl_strv_pushn(sl_strv *sv, const char *s, size_t n);
/* Take ownership of s (freed on failure too). */
int sl_strv_take(sl_strv *sv, char *s);
void sl_strv_sort(sl_strv *sv);
int sl_strv_contains(const sl_strv *sv, const char *s);
void sl_strv_free(sl_strv *sv);

/* Read a whole file into b, refusing files larger than max bytes (0 = b's cap). */
int sl_file_read(const char *path, size_t max, sl_buf *b, sl_error *err);

#endif
