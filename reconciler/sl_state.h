/* sl_state.h: local state in SQLite under stateDir: the reconcile history
 * that `sluice status` and the metrics read after a restart. */
#ifndef SL_STATE_H
#define SL_STATE_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "sl_error.h"

typedef struct sl_state sl_state;

/* One reconcile of one app. Strings are borrowed for the call. */
typedef struct sl_run_record {
    const char *app;
    const char *source;   /* source name */
    const char *revision; /* commit id (or "local") rendered */
    const char *result;   /* "success", "failed", "skipped" */
    const char *trigger;  /* "poll", "webhook", "drift", "startup", "manual", "inotify" */
    int created, updated, pruned, unchanged;
    int changed;         /* something was applied */
    double started;      /* unix time, fractional */
    double duration;     /* seconds */
    int64_t commit_time; /* commit time of revision (unix), 0 unknown */
    const char *error;   /* NULL on success; never holds secrets */
} sl_run_record;

/* Open (creating) <state_dir>/state.db with WAL, a busy timeout, and the
 * schema migrated to the current version. Safe to open from several
 * processes (daemon and `sluice status`). *out is the caller's. */
int sl_state_open(const char *state_dir, sl_state **out, sl_error *err);
/* Open read-only; SL_ENOTFOUND when there is no state file. */
int sl_state_open_ro(const char *state_dir, sl_state **out, sl_error *err);
void sl_state_close(sl_state *st);

int sl_state_record(sl_state *st, const sl_run_record *rec, sl_error *err);
/* The latest record of every app, as a JSON array of objects (fields as in
 * sl_run_record, plus "id"), sorted by app. *out is the caller's. */
int sl_state_latest(sl_state *st, cJSON **out, sl_error *err);
/* The last `limit` records of app, newest first. */
int sl_state_history(sl_state *st, const char *app, int limit, cJSON **out, sl_error *err);
/* Keep at most `keep` records per app (oldest dropped). */
int sl_state_trim(sl_state *st, int keep, sl_error *err);

#endif
