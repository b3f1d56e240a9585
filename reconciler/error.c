/* error.c: sl_error and sl_diags. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_error.h"

void sl_error_clear(sl_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

__attribute__((format(printf, 6, 0))) static void error_vset(sl_error *err, int code,
                                                             const char *file, int line, int col,
                                                             const char *fmt, va_list ap)
{
    err->code = code;
    err->line = line;
    err->col = col;
    err->file[0] = '\0';
    if (file)
        snprintf(err->file, sizeof(err->file), "%s", file);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int sl_error_set(sl_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    va_start(ap, fmt);
    error_vset(err, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return code;
}

int sl_error_setpos(sl_error *err, int code, const char *file, int line, int col, const char *fmt,
                    ...)
{
    va_list ap;

    if (!err)
        return code;
    va_start(ap, fmt);
    error_vset(err, code, file, line, col, fmt, ap);
    va_end(ap);
    return code;
}

int sl_error_prefix(sl_error *err, const char *fmt, ...)
{
    char head[SL_ERROR_MSG_MAX], old[SL_ERROR_MSG_MAX];
    va_list ap;

    if (!err)
        return SL_EINVAL;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    size_t hn = strlen(head);
    if (hn > sizeof(err->msg) - 3)
        hn = sizeof(err->msg) - 3;
    memcpy(err->msg, head, hn);
    memcpy(err->msg + hn, ": ", 2);
    size_t room = sizeof(err->msg) - hn - 2;
    size_t on = strnlen(old, sizeof(old));
    if (on >= room)
        on = room - 1;
    memcpy(err->msg + hn + 2, old, on);
    err->msg[hn + 2 + on] = '\0';
    return err->code;
}

const char *sl_error_format(const sl_error *err, char *buf, size_t n)
{
    if (!err || !n)
        return "";
    if (err->file[0] && err->line > 0 && err->col > 0)
        snprintf(buf, n, "%s:%d:%d: %s", err->file, err->line, err->col, err->msg);
    else if (err->file[0] && err->line > 0)
        snprintf(buf, n, "%s:%d: %s", err->file, err->line, err->msg);
    else if (err->file[0])
        snprintf(buf, n, "%s: %s", err->file, err->msg);
    else
        snprintf(buf, n, "%s", err->msg[0] ? err->msg : sl_strerror(err->code));
    return buf;
}

const char *sl_strerror(int code)
{
    switch (code) {
    case SL_OK:
        return "ok";
    case SL_EINVAL:
        return "invalid input";
    case SL_ENOMEM:
        return "out of memory";
    case SL_EIO:
        return "i/o error";
    case SL_ENOTFOUND:
        return "not found";
    case SL_ELIMIT:
        return "limit exceeded";
    case SL_ECONFINE:
        return "path escapes its root";
    case SL_EDUP:
        return "duplicate";
    case SL_EGIT:
        return "git error";
    case SL_ENET:
        return "network error";
    case SL_ECONFLICT:
        return "conflict";
    case SL_EREFUSED:
        return "refused";
    case SL_EUNSUPPORTED:
        return "unsupported";
    default:
        return "error";
    }
}

int sl_diags_add(sl_diags *d, const sl_error *err)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        sl_error *v = realloc(d->v, cap * sizeof(*v));
        if (!v)
            return SL_ENOMEM;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = *err;
    return 0;
}

int sl_diags_addpos(sl_diags *d, int code, const char *file, int line, int col, const char *fmt,
                    ...)
{
    sl_error e;
    va_list ap;

    va_start(ap, fmt);
    error_vset(&e, code, file, line, col, fmt, ap);
    va_end(ap);
    return sl_diags_add(d, &e);
}

void sl_diags_free(sl_diags *d)
{
    if (!d)
        return;
    free(d->v);
    d->v = NULL;
    d->n = d->cap = 0;
}
