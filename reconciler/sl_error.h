/* sl_error.h: error codes and the error record every function fills. */
#ifndef SL_ERROR_H
#define SL_ERROR_H

#include <stddef.h>

/* Return codes: 0 is success, every failure is a negative SL_E* value. */
enum {
    SL_OK = 0,
    SL_EINVAL = -1,     /* bad input: parse or validation error */
    SL_ENOMEM = -2,     /* allocation failed */
    SL_EIO = -3,        /* filesystem or OS error */
    SL_ENOTFOUND = -4,  /* no such file, object, ref, key */
    SL_ELIMIT = -5,     /* a configured cap was hit (size, depth, nodes) */
    SL_ECONFINE = -6,   /* a path would leave its root */
    SL_EDUP = -7,       /* duplicate identity */
    SL_EGIT = -8,       /* libgit2 failure */
    SL_ENET = -9,       /* network failure */
    SL_ECONFLICT = -10, /* the target refused a change */
    SL_EREFUSED = -11,  /* a safety guard refused to act */
    SL_EUNSUPPORTED = -12,
};

#define SL_ERROR_MSG_MAX 1024
#define SL_ERROR_FILE_MAX 512

/* One error: a code, a message and, where known, the input position
 * (1-based line and column; 0 when unknown). */
typedef struct sl_error {
    int code;
    int line;
    int col;
    char file[SL_ERROR_FILE_MAX];
    char msg[SL_ERROR_MSG_MAX];
} sl_error;

#define SL_PRINTF(a, b) __attribute__((format(printf, a, b)))

void sl_error_clear(sl_error *err);

/* Fill err (may be NULL) and return code, so callers can write
 * `return sl_error_set(err, SL_EINVAL, "...")`. */
int sl_error_set(sl_error *err, int code, const char *fmt, ...) SL_PRINTF(3, 4);

/* As sl_error_set, with a source position. file may be NULL. */
int sl_error_setpos(sl_error *err, int code, const char *file, int line, int col, const char *fmt,
                    ...) SL_PRINTF(6, 7);

/* Prepend context to the message ("rendering app x: <old message>"). Returns err->code. */
int sl_error_prefix(sl_error *err, const char *fmt, ...) SL_PRINTF(2, 3);

/* Format as "file:line:col: message" (parts omitted when unknown) into buf.
 * Returns buf. */
const char *sl_error_format(const sl_error *err, char *buf, size_t n);

/* A short name for a code ("invalid input", "limit exceeded", ...). */
const char *sl_strerror(int code);

/* A growable list of errors, for commands that report every problem
 * (validate). */
typedef struct sl_diags {
    sl_error *v;
    size_t n, cap;
} sl_diags;

int sl_diags_add(sl_diags *d, const sl_error *err);
int sl_diags_addpos(sl_diags *d, int code, const char *file, int line, int col, const char *fmt,
                    ...) SL_PRINTF(6, 7);
void sl_diags_free(sl_diags *d);

#endif
