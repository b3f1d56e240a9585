/* log.c: leveled, line-atomic logging to stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sl_log.h"

static int log_level = -1;

void sl_log_set_level(sl_log_level level)
{
    log_level = (int)level;
}

static int log_current_level(void)
{
    if (log_level < 0) {
        const char *e = getenv("SLUICE_LOG");
        log_level = SL_LOG_INFO;
        if (e && !strcmp(e, "debug"))
            log_level = SL_LOG_DEBUG;
        else if (e && !strcmp(e, "warn"))
            log_level = SL_LOG_WARN;
        else if (e && !strcmp(e, "error"))
            log_level = SL_LOG_ERROR;
    }
    return log_level;
}

void sl_log(sl_log_level level, const char *fmt, ...)
{
    char line[4096];
    size_t off = 0;
    va_list ap;
    int n;

    if ((int)level > log_current_level())
        return;
    if (getenv("JOURNAL_STREAM")) {
        n = snprintf(line, sizeof(line), "<%d>", (int)level);
    } else {
        struct timespec ts;
        struct tm tm;
        const char *name = level <= SL_LOG_ERROR  ? "ERROR"
                           : level == SL_LOG_WARN ? "WARN"
                           : level == SL_LOG_INFO ? "INFO"
                                                  : "DEBUG";
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, name);
    }
    if (n > 0)
        off = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    va_start(ap, fmt);
    n = vsnprintf(line + off, sizeof(line) - off - 1, fmt, ap);
    va_end(ap);
    if (n > 0)
        off += (size_t)n < sizeof(line) - off - 1 ? (size_t)n : sizeof(line) - off - 2;
    /* One line per call: newlines inside become spaces so entries stay whole. */
    for (size_t i = 0; i < off; i++)
        if (line[i] == '\n')
            line[i] = ' ';
    line[off++] = '\n';
    fwrite(line, 1, off, stderr);
}
