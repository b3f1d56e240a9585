/* buf.c: sl_buf, sl_strv and whole-file reads. */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_buf.h"

void sl_buf_init(sl_buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

int sl_buf_reserve(sl_buf *b, size_t extra)
{
    size_t max = b->max ? b->max : SL_BUF_DEFAULT_MAX;
    size_t need, cap;
    char *p;

    if (extra > max || b->len > max - extra)
        return SL_ELIMIT;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > max + 1)
        cap = max + 1;
    p = realloc(b->ptr, cap);
    if (!p)
        return SL_ENOMEM;
    b->ptr = p;
    b->cap = cap;
    return 0;
}

int sl_buf_put(sl_buf *b, const void *data, size_t n)
{
    int rc = sl_buf_reserve(b, n);

    if (rc)
        return rc;
    if (n)
        memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return 0;
}

int sl_buf_puts(sl_buf *b, const char *s)
{
    return sl_buf_put(b, s, strlen(s));
}

int sl_buf_putc(sl_buf *b, char c)
{
    return sl_buf_put(b, &c, 1);
}

int sl_buf_printf(sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SL_EINVAL;
    if ((rc = sl_buf_reserve(b, (size_t)n)))
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void sl_buf_reset(sl_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

char *sl_buf_detach(sl_buf *b)
{
    char *p = b->ptr;

    if (!p)
        p = calloc(1, 1);
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

void sl_buf_free(sl_buf *b)
{
    if (!b)
        return;
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

int sl_strv_take(sl_strv *sv, char *s)
{
    if (!s)
        return SL_ENOMEM;
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 16;
        char **v = realloc(sv->v, cap * sizeof(*v));
        if (!v) {
            free(s);
            return SL_ENOMEM;
        }
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->n++] = s;
    return 0;
}

int sl_strv_push(sl_strv *sv, const char *s)
{
    return sl_strv_take(sv, strdup(s));
}

int sl_strv_pushn(sl_strv *sv, const char *s, size_t n)
{
    return sl_strv_take(sv, strndup(s, n));
}

static int strv_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void sl_strv_sort(sl_strv *sv)
{
    if (sv->n > 1)
        qsort(sv->v, sv->n, sizeof(*sv->v), strv_cmp);
}

int sl_strv_contains(const sl_strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (!strcmp(sv->v[i], s))
            return 1;
    return 0;
}

void sl_strv_free(sl_strv *sv)
{
    if (!sv)
        return;
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

int sl_file_read(const char *path, size_t max, sl_buf *b, sl_error *err)
{
    struct stat st;
    int fd, rc = 0;
    char tmp[65536];
    ssize_t r;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sl_error_setpos(err, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, path, 0, 0, "%s",
                               strerror(errno));
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            rc = sl_error_setpos(err, SL_EINVAL, path, 0, 0, "is a directory");
            goto out;
        }
        if (max && (size_t)st.st_size > max) {
            rc = sl_error_setpos(err, SL_ELIMIT, path, 0, 0,
                                 "file is %lld bytes, over the %zu-byte limit",
                                 (long long)st.st_size, max);
            goto out;
        }
        if ((rc = sl_buf_reserve(b, (size_t)st.st_size)))
            goto out;
    }
    while ((r = read(fd, tmp, sizeof(tmp))) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = sl_error_setpos(err, SL_EIO, path, 0, 0, "%s", strerror(errno));
            goto out;
        }
        if (max && b->len + (size_t)r > max) {
            rc =
                sl_error_setpos(err, SL_ELIMIT, path, 0, 0, "file is over the %zu-byte limit", max);
            goto out;
        }
        if ((rc = sl_buf_put(b, tmp, (size_t)r)))
            goto out;
    }
    if (!b->ptr)
        rc = sl_buf_put(b, "", 0);
out:
    close(fd);
    return rc;
}
