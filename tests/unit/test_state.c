/* test_state.c: the SQLite reconcile history under stateDir. */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_state.h"
#include "sl_test.h"

static sl_run_record rec_make(const char *app, const char *rev, const char *result, int n,
                              double started)
{
    sl_run_record r;

    memset(&r, 0, sizeof(r));
    r.app = app;
    r.source = "catalog";
    r.revision = rev;
    r.result = result;
    r.trigger = "poll";
    r.created = n;
    r.updated = n + 1;
    r.pruned = n + 2;
    r.unchanged = n + 3;
    r.changed = n > 0;
    r.started = started;
    r.duration = 0.25;
    r.commit_time = 1700000000;
    r.error = strcmp(result, "failed") ? NULL : "render: boom";
    return r;
}

static int rec_add(sl_state *st, const char *app, const char *rev, const char *result, int n,
                   double started)
{
    sl_run_record r = rec_make(app, rev, result, n, started);
    sl_error err;

    sl_error_clear(&err);
    if (sl_state_record(st, &r, &err)) {
        fprintf(stderr, "record: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static const char *jstr(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void test_record_latest_history(void)
{
    char *dir = sl_test_tmpdir(), sub[4096];
    sl_state *st = NULL;
    cJSON *latest = NULL, *hist = NULL;
    sl_error err;

    /* stateDir is created when missing. */
    snprintf(sub, sizeof(sub), "%s/var/lib/sluice", dir);
    sl_error_clear(&err);
    SL_CHECK_INT(sl_state_open(sub, &st, &err), 0);
    if (!st)
        goto out;
    SL_CHECK_INT(rec_add(st, "web", "aaaa", "success", 1, 1000.5), 0);
    SL_CHECK_INT(rec_add(st, "api", "bbbb", "success", 0, 1001), 0);
    SL_CHECK_INT(rec_add(st, "web", "cccc", "failed", 2, 1002), 0);
    SL_CHECK_INT(rec_add(st, "api", "dddd", "skipped", 0, 1003), 0);

    SL_CHECK_INT(sl_state_latest(st, &latest, &err), 0);
    SL_CHECK_INT(cJSON_GetArraySize(latest), 2);
    if (cJSON_GetArraySize(latest) == 2) {
        const cJSON *a = cJSON_GetArrayItem(latest, 0), *w = cJSON_GetArrayItem(latest, 1);
        /* sorted by app; the newest of each */
        SL_CHECK_STR(jstr(a, "app"), "api");
        SL_CHECK_STR(jstr(a, "revision"), "dddd");
        SL_CHECK_STR(jstr(a, "result"), "skipped");
        SL_CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(a, "error")));
        SL_CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "changed")));
        SL_CHECK_STR(jstr(w, "app"), "web");
        SL_CHECK_STR(jstr(w, "revision"), "cccc");
        SL_CHECK_STR(jstr(w, "result"), "failed");
        SL_CHECK_STR(jstr(w, "error"), "render: boom");
        SL_CHECK_STR(jstr(w, "source"), "catalog");
        SL_CHECK_STR(jstr(w, "trigger"), "poll");
        SL_CHECK(jnum(w, "created") == 2 && jnum(w, "updated") == 3);
        SL_CHECK(jnum(w, "pruned") == 4 && jnum(w, "unchanged") == 5);
        SL_CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "changed")));
        SL_CHECK(jnum(w, "started") == 1002 && jnum(w, "duration") == 0.25);
        SL_CHECK(jnum(w, "commit_time") == 1700000000);
        SL_CHECK(jnum(w, "id") > jnum(a, "id") - 2);
    }

    SL_CHECK_INT(sl_state_history(st, "web", 10, &hist, &err), 0);
    SL_CHECK_INT(cJSON_GetArraySize(hist), 2);
    SL_CHECK_STR(jstr(cJSON_GetArrayItem(hist, 0), "revision"), "cccc");
    SL_CHECK_STR(jstr(cJSON_GetArrayItem(hist, 1), "revision"), "aaaa");
    SL_CHECK(jnum(cJSON_GetArrayItem(hist, 1), "started") == 1000.5);
    cJSON_Delete(hist);
    hist = NULL;
    SL_CHECK_INT(sl_state_history(st, "web", 1, &hist, &err), 0);
    SL_CHECK_INT(cJSON_GetArraySize(hist), 1);
    cJSON_Delete(hist);
    hist = NULL;
    SL_CHECK_INT(sl_state_history(st, "nope", 10, &hist, &err), 0);
    SL_CHECK_INT(cJSON_GetArraySize(hist), 0);

    /* app and result are required */
    {
        sl_run_record bad = rec_make("web", "x", "success", 0, 1);
        bad.app = NULL;
        SL_CHECK_INT(sl_state_record(st, &bad, &err), SL_EINVAL);
    }
out:
    cJSON_Delete(latest);
    cJSON_Delete(hist);
    sl_state_close(st);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

static void test_trim(void)
{
    char *dir = sl_test_tmpdir();
    sl_state *st = NULL;
    cJSON *hist = NULL, *latest = NULL;
    sl_error err;
    char rev[32];

    sl_error_clear(&err);
    SL_CHECK_INT(sl_state_open(dir, &st, &err), 0);
    if (!st)
        goto out;
    for (int i = 0; i < 10; i++) {
        snprintf(rev, sizeof(rev), "web-%d", i);
        SL_CHECK_INT(rec_add(st, "web", rev, "success", i, 2000 + i), 0);
        if (i < 2) {
            snprintf(rev, sizeof(rev), "api-%d", i);
            SL_CHECK_INT(rec_add(st, "api", rev, "success", i, 2000 + i), 0);
        }
    }
    SL_CHECK_INT(sl_state_trim(st, 3, &err), 0);
    SL_CHECK_INT(sl_state_history(st, "web", 0, &hist, &err), 0);
    SL_CHECK_INT(cJSON_GetArraySize(hist), 3);
    SL_CHECK_STR(jstr(cJSON_GetArrayItem(hist, 0), "revision"), "web-9");
    SL_CHECK_STR(jstr(cJSON_GetArrayItem(hist, 2), "revision"), "web-7");
    cJSON_Delete(hist);
    hist = NULL;
    /* an app with fewer records than keep keeps them all */
    SL_CHECK_INT(sl_state_history(st, "api", 0, &hist, &err), 0);
    SL_CHECK_INT(cJSON_GetArraySize(hist), 2);
    SL_CHECK_INT(sl_state_latest(st, &latest, &err), 0);
    SL_CHECK_INT(cJSON_GetArraySize(latest), 2);
    SL_CHECK_INT(sl_state_trim(st, 0, &err), SL_EINVAL);
    /* recording after a trim still works and is the latest */
    SL_CHECK_INT(rec_add(st, "web", "web-10", "success", 0, 3000), 0);
    cJSON_Delete(hist);
    hist = NULL;
    SL_CHECK_INT(sl_state_history(st, "web", 0, &hist, &err), 0);
    SL_CHECK_INT(cJSON_GetArraySize(hist), 4);
    SL_CHECK_STR(jstr(cJSON_GetArrayItem(hist, 0), "revision"), "web-10");
out:
    cJSON_Delete(hist);
    cJSON_Delete(latest);
    sl_state_close(st);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

static void test_reopen_keeps_data(void)
{
    char *dir = sl_test_tmpdir(), path[4096];
    sl_state *st = NULL;
    cJSON *latest = NULL;
    sl_error err;

    sl_error_clear(&err);
    SL_CHECK_INT(sl_state_open(dir, &st, &err), 0);
    SL_CHECK_INT(rec_add(st, "web", "1111", "success", 1, 10), 0);
    sl_state_close(st);
    st = NULL;
    /* a clean close checkpoints the WAL into the main file */
    snprintf(path, sizeof(path), "%s/state.db", dir);
    SL_CHECK(access(path, F_OK) == 0);

    /* read-only after the writer is gone (no -wal, no -shm left) */
    SL_CHECK_INT(sl_state_open_ro(dir, &st, &err), 0);
    if (st) {
        SL_CHECK_INT(sl_state_latest(st, &latest, &err), 0);
        SL_CHECK_INT(cJSON_GetArraySize(latest), 1);
        SL_CHECK_STR(jstr(cJSON_GetArrayItem(latest, 0), "revision"), "1111");
        /* a read-only handle refuses writes */
        SL_CHECK_INT(rec_add(st, "web", "2222", "success", 1, 11), -1);
        SL_CHECK_INT(sl_state_trim(st, 1, &err), SL_EINVAL);
        cJSON_Delete(latest);
        latest = NULL;
    }
    sl_state_close(st);
    st = NULL;

    /* reopen read-write: the schema is not migrated twice, data stays */
    SL_CHECK_INT(sl_state_open(dir, &st, &err), 0);
    SL_CHECK_INT(rec_add(st, "web", "3333", "success", 1, 12), 0);
    SL_CHECK_INT(sl_state_latest(st, &latest, &err), 0);
    SL_CHECK_STR(jstr(cJSON_GetArrayItem(latest, 0), "revision"), "3333");
    sl_state_close(st);
    SL_CHECK_INT(
        sl_test_sh("test \"$(sqlite3 '%s/state.db' 'SELECT count(*) FROM runs')\" = 2", dir), 0);
    SL_CHECK_INT(sl_test_sh("test \"$(sqlite3 '%s/state.db' 'PRAGMA journal_mode')\" = wal", dir),
                 0);
    cJSON_Delete(latest);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

/* The daemon holds a writer open while `sluice status` reads. */
static void test_writer_and_reader(void)
{
    char *dir = sl_test_tmpdir();
    sl_state *w = NULL, *r = NULL;
    cJSON *latest = NULL;
    sl_error err;

    sl_error_clear(&err);
    SL_CHECK_INT(sl_state_open(dir, &w, &err), 0);
    SL_CHECK_INT(rec_add(w, "web", "aaaa", "success", 1, 10), 0);
    SL_CHECK_INT(sl_state_open_ro(dir, &r, &err), 0);
    if (!w || !r)
        goto out;
    SL_CHECK_INT(sl_state_latest(r, &latest, &err), 0);
    SL_CHECK_STR(jstr(cJSON_GetArrayItem(latest, 0), "revision"), "aaaa");
    cJSON_Delete(latest);
    latest = NULL;
    /* the reader sees the writer's next commit */
    SL_CHECK_INT(rec_add(w, "web", "bbbb", "failed", 1, 11), 0);
    SL_CHECK_INT(sl_state_trim(w, 1, &err), 0);
    SL_CHECK_INT(sl_state_latest(r, &latest, &err), 0);
    SL_CHECK_INT(cJSON_GetArraySize(latest), 1);
    SL_CHECK_STR(jstr(cJSON_GetArrayItem(latest, 0), "revision"), "bbbb");
    SL_CHECK_STR(jstr(cJSON_GetArrayItem(latest, 0), "result"), "failed");
    /* a second writer (a restarted daemon overlapping the old one) works too */
    {
        sl_state *w2 = NULL;
        SL_CHECK_INT(sl_state_open(dir, &w2, &err), 0);
        SL_CHECK_INT(rec_add(w2, "api", "cccc", "success", 0, 12), 0);
        sl_state_close(w2);
    }
    cJSON_Delete(latest);
    latest = NULL;
    SL_CHECK_INT(sl_state_latest(r, &latest, &err), 0);
    SL_CHECK_INT(cJSON_GetArraySize(latest), 2);
out:
    cJSON_Delete(latest);
    sl_state_close(r);
    sl_state_close(w);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

static void test_missing_and_corrupt(void)
{
    char *dir = sl_test_tmpdir(), path[4096], sub[4096];
    sl_state *st = NULL;
    sl_error err;

    sl_error_clear(&err);
    /* no state file: read-only open says so and creates nothing */
    SL_CHECK_INT(sl_state_open_ro(dir, &st, &err), SL_ENOTFOUND);
    SL_CHECK(st == NULL);
    SL_CHECK_HAS(err.msg, "state.db");
    snprintf(path, sizeof(path), "%s/state.db", dir);
    SL_CHECK(access(path, F_OK) != 0);
    snprintf(sub, sizeof(sub), "%s/nowhere", dir);
    SL_CHECK_INT(sl_state_open_ro(sub, &st, &err), SL_ENOTFOUND);

    /* a file that is not a database */
    SL_CHECK_INT(sl_test_write(path, "this is not a sqlite database, just some text that is "
                                     "long enough to fill a header page of a database "
                                     "file...................................................."),
                 0);
    sl_error_clear(&err);
    SL_CHECK(sl_state_open(dir, &st, &err) < 0);
    SL_CHECK(st == NULL);
    SL_CHECK_HAS(err.msg, path);
    SL_CHECK_HAS(err.msg, "not a database");
    SL_CHECK_HAS(err.msg, "move it aside");
    sl_error_clear(&err);
    SL_CHECK(sl_state_open_ro(dir, &st, &err) < 0);
    SL_CHECK(st == NULL);
    SL_CHECK_HAS(err.msg, "not a database");
    /* the file is left alone for the operator to inspect */
    SL_CHECK_INT(sl_test_sh("grep -q 'not a sqlite database' '%s'", path), 0);

    /* a state file from a newer sluice is refused, not rewritten */
    unlink(path);
    SL_CHECK_INT(sl_test_sh("sqlite3 '%s' 'CREATE TABLE schema_version (version INTEGER);"
                            " INSERT INTO schema_version VALUES (99)'",
                            path),
                 0);
    sl_error_clear(&err);
    SL_CHECK_INT(sl_state_open(dir, &st, &err), SL_EUNSUPPORTED);
    SL_CHECK_HAS(err.msg, "schema version 99");
    SL_CHECK_INT(sl_state_open_ro(dir, &st, &err), SL_EUNSUPPORTED);

    /* stateDir that cannot be created */
    snprintf(sub, sizeof(sub), "%s/state.db/sub", dir);
    sl_error_clear(&err);
    SL_CHECK(sl_state_open(sub, &st, &err) < 0);
    SL_CHECK_HAS(err.msg, "stateDir");
    sl_state_close(NULL);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_record_latest_history), SL_TEST_ENTRY(test_trim),
             SL_TEST_ENTRY(test_reopen_keeps_data), SL_TEST_ENTRY(test_writer_and_reader),
             SL_TEST_ENTRY(test_missing_and_corrupt))
