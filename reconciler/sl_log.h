/* sl_log.h: leveled logging to stderr in a journald-friendly form: under
 * systemd (JOURNAL_STREAM set) each line carries a <N> priority prefix that
 * journald turns into the entry's priority; elsewhere a timestamp and the
 * level name. Never pass secrets. */
#ifndef SL_LOG_H
#define SL_LOG_H

#include "sl_error.h"

typedef enum sl_log_level {
    SL_LOG_ERROR = 3,
    SL_LOG_WARN = 4,
    SL_LOG_INFO = 6,
    SL_LOG_DEBUG = 7,
} sl_log_level;

/* Lines above this level are dropped (default SL_LOG_INFO; SLUICE_LOG=debug). */
void sl_log_set_level(sl_log_level level);
void sl_log(sl_log_level level, const char *fmt, ...) SL_PRINTF(2, 3);

#endif
