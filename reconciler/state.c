/* state.c: local state in SQLite: <stateDir>/state.db holds the reconcile
 * history that `sluice status` and the metrics read after a restart.
 *
 * The database runs in WAL mode so that one writer (the daemon) and any
 * number of read-only readers (`sluice status`) work at once. Every
 * statement is prepared once per connection; every write is one
 * transaction. The schema carries its version in schema_version and is
 * migrated forward on sl_state_open; a read-only connection never
 * migrates. SQLite errors are turned into sl_error here, with
 * sqlite3_errmsg and the file name. A connection is guarded by a mutex, so
 * the daemon's worker threads may share one. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_buf.h"
#include "sl_state.h"

#define SL_STATE_FILE "state.db"
#define SL_STATE_BUSY_MS 5000
#define SL_STATE_HISTORY_MAX 100000

/* Migrations: entry i brings a database at version i to version i + 1.
 * Append only; never edit a released entry. */
static const char *const state_migrations[] = {
    /* 0 -> 1: reconcile history. */
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " app TEXT NOT NULL,"
    " source TEXT,"
    " revision TEXT,"
    " result TEXT NOT NULL,"
    " trigger TEXT,"
    " created INTEGER NOT NULL DEFAULT 0,"
    " updated INTEGER NOT NULL DEFAULT 0,"
    " pruned INTEGER NOT NULL DEFAULT 0,"
    " unchanged INTEGER NOT NULL DEFAULT 0,"
    " changed INTEGER NOT NULL DEFAULT 0,"
    " started REAL NOT NULL DEFAULT 0,"
    " duration REAL NOT NULL DEFAULT 0,"
    " commit_time INTEGER NOT NULL DEFAULT 0,"
    " error TEXT);"
    "CREATE INDEX runs_app_id ON runs(app, id);",
};
#define SL_STATE_VERSION ((int)(sizeof(state_migrations) / sizeof(state_migrations[0])))

#define STATE_COLS                                                                                 \
    "id, app, source, revision, result, trigger, created, updated, pruned, unchanged, "            \
    "changed, started, duration, commit_time, error"

enum {
    ST_INSERT,
    ST_LATEST,
    ST_HISTORY,
    ST_APPS,
    ST_CUTOFF,
    ST_DELETE,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_COUNT
};

static const char *const state_sql[ST_COUNT] = {
    [ST_INSERT] = "INSERT INTO runs (app, source, revision, result, trigger, created, updated,"
                  " pruned, unchanged, changed, started, duration, commit_time, error)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [ST_LATEST] = "SELECT " STATE_COLS " FROM runs WHERE id IN"
                  " (SELECT MAX(id) FROM runs GROUP BY app) ORDER BY app",
    [ST_HISTORY] = "SELECT " STATE_COLS " FROM runs WHERE app = ?1 ORDER BY id DESC LIMIT ?2",
    [ST_APPS] = "SELECT DISTINCT app FROM runs ORDER BY app",
    [ST_CUTOFF] = "SELECT id FROM runs WHERE app = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
    [ST_DELETE] = "DELETE FROM runs WHERE app = ?1 AND id <= ?2",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

struct sl_state {
    sqlite3 *db;
    char *path;
    int readonly;
    pthread_mutex_t mu;
    sqlite3_stmt *stmt[ST_COUNT];
};

/* Fill err from the connection's last error. */
static int state_err(sl_state *st, sl_error *err, const char *what)
{
    int ec = st->db ? sqlite3_extended_errcode(st->db) : SQLITE_CANTOPEN;
    int code = SL_EIO;
    const char *msg = st->db ? sqlite3_errmsg(st->db) : "out of memory";
    const char *hint = "";

    switch (ec & 0xff) {
    case SQLITE_NOMEM:
        code = SL_ENOMEM;
        break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        code = SL_EINVAL;
        hint = " (the state file is damaged or not a sluice state file: stop sluice, move it "
               "aside and start again with an empty history)";
        break;
    case SQLITE_FULL:
        hint = " (the filesystem holding stateDir is full)";
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        hint = " (another process holds the state file locked)";
        break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
        hint = st->readonly ? " (read it as root or as the user sluice runs as)"
                            : " (check that stateDir exists and is writable by the user "
                              "sluice runs as)";
        break;
    default:
        break;
    }
    return sl_error_set(err, code, "state %s: %s: %s%s", st->path ? st->path : "", what, msg, hint);
}

/* mkdir -p with mode 0700 for the missing parts. */
static int state_mkdirs(const char *dir, sl_error *err)
{
    char tmp[PATH_MAX];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(tmp))
        return sl_error_set(err, SL_EINVAL, "stateDir \"%s\" is empty or too long", dir);
    memcpy(tmp, dir, n + 1);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, 0700) && errno != EEXIST)
                return sl_error_set(err, SL_EIO, "cannot create stateDir %s: %s", tmp,
                                    strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

static int state_exec(sl_state *st, const char *sql, sl_error *err, const char *what)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return state_err(st, err, what);
    return 0;
}

/* The schema version, 0 for a database without the table. */
static int state_version(sl_state *st, int *out, sl_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc, ret = 0;

    *out = 0;
    rc = sqlite3_prepare_v2(st->db,
                            "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                            " AND name = 'schema_version'",
                            -1, &s, NULL);
    if (rc != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
        ret = state_err(st, err, "reading the schema");
        goto out;
    }
    if (sqlite3_column_int(s, 0) == 0)
        goto out;
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT MAX(version) FROM schema_version", -1, &s, NULL) !=
            SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        ret = state_err(st, err, "reading the schema version");
        goto out;
    }
    *out = sqlite3_column_int(s, 0);
out:
    sqlite3_finalize(s);
    return ret;
}

/* Bring the schema to SL_STATE_VERSION in one transaction. A database
 * from a newer sluice is refused rather than guessed at. */
static int state_migrate(sl_state *st, sl_error *err)
{
    int version, rc;

    if ((rc = state_exec(st, "BEGIN IMMEDIATE", err, "starting the migration")))
        return rc;
    if ((rc = state_version(st, &version, err)))
        goto out;
    if (version > SL_STATE_VERSION) {
        rc = sl_error_set(err, SL_EUNSUPPORTED,
                          "state %s: schema version %d is newer than this sluice supports (%d); "
                          "run the newer sluice or move the file aside",
                          st->path, version, SL_STATE_VERSION);
        goto out;
    }
    if (version == 0 &&
        (rc = state_exec(st, "CREATE TABLE schema_version (version INTEGER NOT NULL)", err,
                         "creating the schema")))
        goto out;
    for (int v = version; v < SL_STATE_VERSION; v++) {
        char sql[96];
        if ((rc = state_exec(st, state_migrations[v], err, "migrating the schema")))
            goto out;
        snprintf(sql, sizeof(sql),
                 "DELETE FROM schema_version; INSERT INTO schema_version "
                 "VALUES (%d)",
                 v + 1);
        if ((rc = state_exec(st, sql, err, "migrating the schema")))
            goto out;
    }
    rc = state_exec(st, "COMMIT", err, "committing the migration");
out:
    if (rc)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int state_prepare(sl_state *st, sl_error *err)
{
    for (int i = 0; i < ST_COUNT; i++) {
        int writes = i == ST_INSERT || i == ST_CUTOFF || i == ST_DELETE || i == ST_BEGIN ||
                     i == ST_COMMIT || i == ST_ROLLBACK;
        if (st->readonly && writes)
            continue;
        if (sqlite3_prepare_v3(st->db, state_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                               NULL) != SQLITE_OK)
            return state_err(st, err, "preparing a statement");
    }
    return 0;
}

/* A reader that may not create state.db-shm (a user who can read the file
 * but not write stateDir, with no writer running) cannot open a WAL
 * database normally. When no WAL content is pending (no -wal file, or an
 * empty one) the main file alone is the whole truth, so reopen it as
 * immutable. Returns 0 when reopened. */
static int state_ro_fallback(sl_state *st)
{
    char wal[PATH_MAX + 8];
    struct stat sb;
    sl_buf uri = SL_BUF_INIT;
    int rc = -1;

    snprintf(wal, sizeof(wal), "%s-wal", st->path);
    if (stat(wal, &sb) == 0 && sb.st_size > 0)
        return -1;
    if (sl_buf_puts(&uri, "file:"))
        goto out;
    for (const char *p = st->path; *p; p++) {
        if ((*p == '?' || *p == '#' || *p == '%') ? sl_buf_printf(&uri, "%%%02X", *p)
                                                  : sl_buf_putc(&uri, *p))
            goto out;
    }
    if (sl_buf_puts(&uri, "?immutable=1"))
        goto out;
    sqlite3_close(st->db);
    st->db = NULL;
    if (sqlite3_open_v2(uri.ptr, &st->db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        goto out;
    sqlite3_extended_result_codes(st->db, 1);
    rc = sqlite3_exec(st->db, "PRAGMA query_only = 1", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
out:
    sl_buf_free(&uri);
    return rc;
}

/* Open the database file at dir/state.db; ro selects a read-only
 * connection that never creates or migrates anything. */
static int state_open(const char *dir, int ro, sl_state **out, sl_error *err)
{
    sl_state *st;
    int rc = 0, version = 0;
    int flags = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

    *out = NULL;
    if (!dir || !*dir)
        return sl_error_set(err, SL_EINVAL, "no stateDir configured");
    if (!(st = calloc(1, sizeof(*st))))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    pthread_mutex_init(&st->mu, NULL);
    st->readonly = ro;
    if (asprintf(&st->path, "%s/%s", dir, SL_STATE_FILE) < 0) {
        st->path = NULL;
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (ro) {
        if (access(st->path, F_OK)) {
            rc = sl_error_set(err, errno == ENOENT ? SL_ENOTFOUND : SL_EIO,
                              "no state file at %s: %s", st->path, strerror(errno));
            goto out;
        }
    } else if ((rc = state_mkdirs(dir, err))) {
        goto out;
    }
    if (sqlite3_open_v2(st->path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = state_err(st, err, "opening");
        goto out;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, SL_STATE_BUSY_MS);
    if (ro) {
        if ((rc = state_exec(st, "PRAGMA query_only = 1", err, "opening")))
            goto out;
        rc = state_version(st, &version, err);
        if (rc == SL_EIO && state_ro_fallback(st) == 0) {
            sl_error_clear(err);
            rc = state_version(st, &version, err);
        }
        if (rc)
            goto out;
        if (version == 0) {
            rc = sl_error_set(err, SL_ENOTFOUND, "state %s: no reconcile recorded yet", st->path);
            goto out;
        }
        if (version != SL_STATE_VERSION) {
            rc = sl_error_set(err, SL_EUNSUPPORTED,
                              "state %s: schema version %d, this sluice reads version %d; %s",
                              st->path, version, SL_STATE_VERSION,
                              version < SL_STATE_VERSION
                                  ? "start the daemon once to upgrade the file"
                                  : "use the sluice that wrote it");
            goto out;
        }
    } else {
        /* journal_mode is the first statement that reads the file: a file
         * that is not a database fails here, with sqlite's message. */
        if ((rc = state_exec(st, "PRAGMA journal_mode = WAL", err, "opening")))
            goto out;
        if ((rc = state_exec(st, "PRAGMA synchronous = NORMAL", err, "opening")))
            goto out;
        if ((rc = state_migrate(st, err)))
            goto out;
    }
    rc = state_prepare(st, err);
out:
    if (rc) {
        sl_state_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

int sl_state_open(const char *state_dir, sl_state **out, sl_error *err)
{
    return state_open(state_dir, 0, out, err);
}

int sl_state_open_ro(const char *state_dir, sl_state **out, sl_error *err)
{
    return state_open(state_dir, 1, out, err);
}

void sl_state_close(sl_state *st)
{
    if (!st)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->mu);
    free(st->path);
    free(st);
}

/* Run a statement that returns no rows. */
static int state_step_done(sl_state *st, sqlite3_stmt *s, sl_error *err, const char *what)
{
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return state_err(st, err, what);
    return 0;
}

static int state_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

int sl_state_record(sl_state *st, const sl_run_record *rec, sl_error *err)
{
    sqlite3_stmt *s;
    int rc = 0, in_tx = 0;

    if (!st || !rec || !rec->app || !*rec->app || !rec->result)
        return sl_error_set(err, SL_EINVAL, "state record: app and result are required");
    if (st->readonly)
        return sl_error_set(err, SL_EINVAL, "state %s: opened read-only", st->path);
    pthread_mutex_lock(&st->mu);
    s = st->stmt[ST_INSERT];
    if ((rc = state_step_done(st, st->stmt[ST_BEGIN], err, "recording a reconcile")))
        goto out;
    in_tx = 1;
    if (state_bind_text(s, 1, rec->app) || state_bind_text(s, 2, rec->source) ||
        state_bind_text(s, 3, rec->revision) || state_bind_text(s, 4, rec->result) ||
        state_bind_text(s, 5, rec->trigger) || sqlite3_bind_int(s, 6, rec->created) ||
        sqlite3_bind_int(s, 7, rec->updated) || sqlite3_bind_int(s, 8, rec->pruned) ||
        sqlite3_bind_int(s, 9, rec->unchanged) || sqlite3_bind_int(s, 10, rec->changed != 0) ||
        sqlite3_bind_double(s, 11, rec->started) || sqlite3_bind_double(s, 12, rec->duration) ||
        sqlite3_bind_int64(s, 13, rec->commit_time) || state_bind_text(s, 14, rec->error)) {
        rc = state_err(st, err, "recording a reconcile");
        goto out;
    }
    if ((rc = state_step_done(st, s, err, "recording a reconcile")))
        goto out;
    rc = state_step_done(st, st->stmt[ST_COMMIT], err, "recording a reconcile");
    in_tx = rc != 0;
out:
    if (s)
        sqlite3_clear_bindings(s);
    if (in_tx)
        state_step_done(st, st->stmt[ST_ROLLBACK], NULL, "rolling back");
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static void state_add_text(cJSON *o, const char *key, sqlite3_stmt *s, int col)
{
    const unsigned char *v = sqlite3_column_text(s, col);

    if (v)
        cJSON_AddStringToObject(o, key, (const char *)v);
    else
        cJSON_AddNullToObject(o, key);
}

/* Append the current row of s (STATE_COLS) to arr. */
static int state_row_json(sqlite3_stmt *s, cJSON *arr)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return SL_ENOMEM;
    cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(s, 0));
    state_add_text(o, "app", s, 1);
    state_add_text(o, "source", s, 2);
    state_add_text(o, "revision", s, 3);
    state_add_text(o, "result", s, 4);
    state_add_text(o, "trigger", s, 5);
    cJSON_AddNumberToObject(o, "created", sqlite3_column_int(s, 6));
    cJSON_AddNumberToObject(o, "updated", sqlite3_column_int(s, 7));
    cJSON_AddNumberToObject(o, "pruned", sqlite3_column_int(s, 8));
    cJSON_AddNumberToObject(o, "unchanged", sqlite3_column_int(s, 9));
    cJSON_AddBoolToObject(o, "changed", sqlite3_column_int(s, 10) != 0);
    cJSON_AddNumberToObject(o, "started", sqlite3_column_double(s, 11));
    cJSON_AddNumberToObject(o, "duration", sqlite3_column_double(s, 12));
    cJSON_AddNumberToObject(o, "commit_time", (double)sqlite3_column_int64(s, 13));
    state_add_text(o, "error", s, 14);
    if (!cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        return SL_ENOMEM;
    }
    return 0;
}

/* Step s to the end, collecting its rows into a new array. The caller
 * holds the lock and resets s. */
static int state_collect(sl_state *st, sqlite3_stmt *s, cJSON **out, sl_error *err,
                         const char *what)
{
    cJSON *arr = cJSON_CreateArray();
    int rc = 0, step;

    *out = NULL;
    if (!arr)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if ((rc = state_row_json(s, arr))) {
            rc = sl_error_set(err, rc, "out of memory");
            goto out;
        }
    }
    if (step != SQLITE_DONE)
        rc = state_err(st, err, what);
out:
    if (rc)
        cJSON_Delete(arr);
    else
        *out = arr;
    return rc;
}

int sl_state_latest(sl_state *st, cJSON **out, sl_error *err)
{
    int rc;

    *out = NULL;
    if (!st)
        return sl_error_set(err, SL_EINVAL, "state is not open");
    pthread_mutex_lock(&st->mu);
    rc = state_collect(st, st->stmt[ST_LATEST], out, err, "reading the latest reconciles");
    sqlite3_reset(st->stmt[ST_LATEST]);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int sl_state_history(sl_state *st, const char *app, int limit, cJSON **out, sl_error *err)
{
    sqlite3_stmt *s;
    int rc;

    *out = NULL;
    if (!st || !app)
        return sl_error_set(err, SL_EINVAL, "state history: no app given");
    if (limit <= 0 || limit > SL_STATE_HISTORY_MAX)
        limit = SL_STATE_HISTORY_MAX;
    pthread_mutex_lock(&st->mu);
    s = st->stmt[ST_HISTORY];
    if (sqlite3_bind_text(s, 1, app, -1, SQLITE_STATIC) || sqlite3_bind_int(s, 2, limit))
        rc = state_err(st, err, "reading the history");
    else
        rc = state_collect(st, s, out, err, "reading the history");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* Keep the newest `keep` records of every app, in one transaction: for
 * each app find the id just past the ones kept and delete from there
 * down. Cost grows with apps * keep, not with the square of the table. */
int sl_state_trim(sl_state *st, int keep, sl_error *err)
{
    sl_strv apps = SL_STRV_INIT;
    sqlite3_stmt *s;
    int rc = 0, step, in_tx = 0;

    if (!st)
        return sl_error_set(err, SL_EINVAL, "state is not open");
    if (keep < 1)
        return sl_error_set(err, SL_EINVAL, "state trim: keep must be at least 1, not %d", keep);
    if (st->readonly)
        return sl_error_set(err, SL_EINVAL, "state %s: opened read-only", st->path);
    pthread_mutex_lock(&st->mu);
    if ((rc = state_step_done(st, st->stmt[ST_BEGIN], err, "trimming the history")))
        goto out;
    in_tx = 1;
    s = st->stmt[ST_APPS];
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (sl_strv_push(&apps, (const char *)sqlite3_column_text(s, 0))) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            break;
        }
    }
    sqlite3_reset(s);
    if (rc)
        goto out;
    if (step != SQLITE_DONE) {
        rc = state_err(st, err, "trimming the history");
        goto out;
    }
    for (size_t i = 0; i < apps.n; i++) {
        sqlite3_int64 cutoff;
        s = st->stmt[ST_CUTOFF];
        sqlite3_bind_text(s, 1, apps.v[i], -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, keep);
        step = sqlite3_step(s);
        cutoff = step == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            rc = state_err(st, err, "trimming the history");
            goto out;
        }
        if (step == SQLITE_DONE)
            continue; /* no more than keep records */
        s = st->stmt[ST_DELETE];
        sqlite3_bind_text(s, 1, apps.v[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, cutoff);
        rc = state_step_done(st, s, err, "trimming the history");
        sqlite3_clear_bindings(s);
        if (rc)
            goto out;
    }
    rc = state_step_done(st, st->stmt[ST_COMMIT], err, "trimming the history");
    in_tx = rc != 0;
out:
    if (in_tx)
        state_step_done(st, st->stmt[ST_ROLLBACK], NULL, "rolling back");
    pthread_mutex_unlock(&st->mu);
    sl_strv_free(&apps);
    return rc;
}
