/* daemon.c: `sluice run`. One main thread (signals, timers, watchdog),
 * a pool of workers taking keys from an sl_queue (keys 0..nsrc-1 fetch a
 * source, the rest reconcile an app entry of the config), the HTTP server's
 * threads (webhooks, status, metrics) and, with --watch, an inotify thread.
 *
 * Flow: a poll timer, a webhook or an inotify event queues a fetch of a
 * source; a fetch that finds a new revision queues every app entry reading
 * that source (its own, or one its render options name as "source:path"); an app entry renders at the revisions last fetched (pinned,
 * so all its apps see one revision), plans and applies. A reconcile whose
 * inputs (config digest, entry, revisions of every source) hash the same
 * as the last successful one is skipped; a drift timer re-plans anyway
 * and repairs what changed when selfHeal is on. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sl_daemon.h"
#include "sl_http.h"
#include "sl_log.h"
#include "sl_metrics.h"
#include "sl_notify.h"
#include "sl_pipeline.h"
#include "sl_queue.h"
#include "sl_state.h"

#define DAEMON_FETCH_BACKOFF 5.0 /* first retry of a failed fetch, seconds */
#define DAEMON_APP_BACKOFF 2.0   /* first retry of a failed reconcile */
#define DAEMON_TICK 0.25         /* main loop wake-up, seconds */
#define DAEMON_DEBOUNCE 0.2      /* inotify quiet time before a fetch */
#define DAEMON_MAX_WATCHES 8192

typedef struct dsrc {
    sl_revision rev; /* last fetched */
    int have_rev;
    double next_poll;
    double debounce_at; /* inotify: fetch when reached (0 = none) */
    char why[24];       /* reason for the pending fetch */
    char error[1024];   /* last fetch error, "" when the last fetch worked */
} dsrc;

typedef struct dunit {
    char hash[65]; /* inputs of the last successful reconcile */
    int attempted; /* reconciled (or failed) at least once */
    double next_drift;
    char why[24];
} dunit;

typedef struct dwatch {
    int wd;
    size_t src;
} dwatch;

typedef struct daemon {
    sl_daemon_opts opts;
    pthread_mutex_t mu; /* guards src, unit, apps, ready, cfg swaps */
    sl_config *cfg;
    char digest[65];
    dsrc *src;
    dunit *unit;
    size_t nsrc, nunit;
    sl_queue *q;
    pthread_t *workers;
    int nworkers;
    sl_metrics *metrics;
    sl_state *state;
    sl_http *http;
    cJSON *apps; /* name -> status */
    int ready;
    double last_trim;
    /* --watch */
    int ino_fd;
    int ino_pipe[2];
    pthread_t ino_thread;
    int ino_running;
    dwatch *watches;
    size_t nwatches;
} dstate;

/* ---- small helpers ---- */

static double wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void iso_time(double t, char *buf, size_t n)
{
    time_t s = (time_t)t;
    struct tm tm;

    gmtime_r(&s, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
}

/* The score renderer's provisioner state (<stateDir>/score/shared.json and
 * apps/ *.json) is an input of its renders: append each file's name, size and
 * modification time to h, so a reconcile is not skipped once the state
 * changed (the renderer rewrites a file only when its content changes). */
static void render_state_digest(const char *state_dir, sl_buf *h)
{
    char dir[PATH_MAX], p[PATH_MAX + 256];
    struct stat sb;
    sl_strv names = SL_STRV_INIT;
    DIR *dp;
    struct dirent *e;

    if (!state_dir)
        return;
    snprintf(p, sizeof(p), "%s/score/shared.json", state_dir);
    if (stat(p, &sb) == 0)
        sl_buf_printf(h, "|shared:%lld.%ld:%lld", (long long)sb.st_mtim.tv_sec,
                      sb.st_mtim.tv_nsec, (long long)sb.st_size);
    snprintf(dir, sizeof(dir), "%s/score/apps", state_dir);
    if (!(dp = opendir(dir)))
        return;
    while ((e = readdir(dp)))
        if (e->d_name[0] != '.')
            sl_strv_push(&names, e->d_name);
    closedir(dp);
    sl_strv_sort(&names);
    for (size_t i = 0; i < names.n; i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, names.v[i]);
        if (stat(p, &sb) == 0)
            sl_buf_printf(h, "|%s:%lld.%ld:%lld", names.v[i], (long long)sb.st_mtim.tv_sec,
                          sb.st_mtim.tv_nsec, (long long)sb.st_size);
    }
    sl_strv_free(&names);
}

static int config_digest(const char *file, char out[65])
{
    sl_buf b = SL_BUF_INIT;
    sl_error err;
    int rc = sl_file_read(file, 0, &b, &err);

    if (!rc)
        sha256_hex(b.ptr ? b.ptr : "", b.len, out);
    sl_buf_free(&b);
    return rc;
}

static int load_config(const char *file, sl_config **out)
{
    sl_diags diags = {0};
    int rc = sl_config_load(file, out, &diags);
    char buf[2048];

    for (size_t i = 0; i < diags.n; i++)
        sl_log(SL_LOG_ERROR, "config: %s", sl_error_format(&diags.v[i], buf, sizeof(buf)));
    if (rc && !diags.n)
        sl_log(SL_LOG_ERROR, "config: %s: %s", file, sl_strerror(rc));
    sl_diags_free(&diags);
    return rc;
}

static size_t spec_source_index(const dstate *d, size_t u)
{
    return (size_t)(d->cfg->specs[u].source - d->cfg->sources);
}

/* Does node hold a string naming source name as "name:..." (how render
 * options point into another source: provisioners, module sources,
 * template files)? */
static int opts_name_source(const cJSON *node, const char *name, size_t n)
{
    const cJSON *c;

    if (cJSON_IsString(node))
        return !strncmp(node->valuestring, name, n) && node->valuestring[n] == ':';
    cJSON_ArrayForEach(c, node)
    {
        if (opts_name_source(c, name, n))
            return 1;
    }
    return 0;
}

/* Whether app entry u reads source i: its own source, or one its render
 * options refer to, so that a push to the platform repo re-renders the
 * apps that use its provisioners, modules or templates. */
static int spec_reads_source(const dstate *d, size_t u, size_t i)
{
    const char *name = d->cfg->sources[i].name;

    if (spec_source_index(d, u) == i)
        return 1;
    return d->cfg->specs[u].render_opts &&
           opts_name_source(d->cfg->specs[u].render_opts, name, strlen(name));
}

/* ---- app status (under d->mu) ---- */

static cJSON *app_status(dstate *d, const char *name)
{
    cJSON *st = cJSON_GetObjectItemCaseSensitive(d->apps, name);

    if (!st) {
        st = cJSON_CreateObject();
        cJSON_AddItemToObject(d->apps, name, st);
        cJSON_AddStringToObject(st, "name", name);
    }
    return st;
}

static void status_set_str(cJSON *st, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(st, key);
    if (v)
        cJSON_AddStringToObject(st, key, v);
    else
        cJSON_AddNullToObject(st, key);
}

static void status_set_num(cJSON *st, const char *key, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(st, key);
    cJSON_AddNumberToObject(st, key, v);
}

static void status_set_bool(cJSON *st, const char *key, int v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(st, key);
    cJSON_AddBoolToObject(st, key, v);
}

/* ---- fetch ---- */

/* Fetch source i; queue its apps when the revision moved. 0 ok, 1 failed. */
static int daemon_fetch(dstate *d, size_t i)
{
    sl_source *src = &d->cfg->sources[i];
    sl_revision rev;
    sl_error err;
    char why[24], buf[1024];
    int rc;

    sl_error_clear(&err);
    pthread_mutex_lock(&d->mu);
    snprintf(why, sizeof(why), "%s", d->src[i].why[0] ? d->src[i].why : "poll");
    pthread_mutex_unlock(&d->mu);

    rc = sl_source_fetch(src, &rev, &err);
    sl_metrics_inc(d->metrics, "sluice_source_fetches_total", 1, "source", src->name, "result",
                   rc ? "failure" : "success", NULL);
    pthread_mutex_lock(&d->mu);
    if (rc) {
        sl_error_format(&err, buf, sizeof(buf));
        sl_metrics_inc(d->metrics, "sluice_source_fetch_errors_total", 1, "source", src->name,
                       NULL);
        if (strcmp(d->src[i].error, buf))
            sl_log(SL_LOG_WARN, "source %s: fetch failed (%s): %s", src->name, why, buf);
        snprintf(d->src[i].error, sizeof(d->src[i].error), "%s", buf);
        /* Apps of this source keep their last applied state; they report the error. */
        for (size_t u = 0; u < d->nunit; u++) {
            if (spec_source_index(d, u) != i)
                continue;
            d->unit[u].attempted = 1;
        }
        for (cJSON *st = d->apps->child; st; st = st->next) {
            const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "source"));
            if (s && !strcmp(s, src->name))
                status_set_str(st, "sourceError", buf);
        }
    } else {
        int moved = !d->src[i].have_rev || strcmp(d->src[i].rev.id, rev.id);
        if (d->src[i].error[0])
            sl_log(SL_LOG_INFO, "source %s: fetching works again", src->name);
        d->src[i].error[0] = '\0';
        for (cJSON *st = d->apps->child; st; st = st->next) {
            const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "source"));
            if (s && !strcmp(s, src->name))
                status_set_str(st, "sourceError", NULL);
        }
        if (moved) {
            sl_log(SL_LOG_INFO, "source %s: revision %.12s (%s)", src->name, rev.id, why);
            d->src[i].rev = rev;
            d->src[i].have_rev = 1;
        }
        for (size_t u = 0; u < d->nunit; u++) {
            if (!spec_reads_source(d, u, i))
                continue;
            /* Apps never tried yet run now even when nothing moved, and so
             * do module apps (their output depends on the clock: ttl). */
            const sl_renderer_ops *ro = d->cfg->specs[u].renderer;
            if (moved || !d->unit[u].attempted || (ro && !strcmp(ro->kind, "module"))) {
                snprintf(d->unit[u].why, sizeof(d->unit[u].why), "%s", why);
                sl_queue_add(d->q, d->nsrc + u, 0);
            }
        }
    }
    d->src[i].why[0] = '\0';
    pthread_mutex_unlock(&d->mu);
    return rc != 0;
}

/* ---- reconcile ---- */

static void record_run(dstate *d, const sl_rendered *r, const char *source, const char *why,
                       const sl_plan *plan, int changed, int drift, const char *error,
                       double started, double duration, int64_t commit_time)
{
    sl_run_record rec;
    sl_error err;
    char buf[2048];

    memset(&rec, 0, sizeof(rec));
    rec.app = r->app->name;
    rec.source = source;
    rec.revision = r->revision;
    rec.result = error ? "failed" : "success";
    rec.trigger = why;
    if (plan) {
        rec.created = (int)plan->counts[SL_ACT_CREATE];
        rec.updated = (int)plan->counts[SL_ACT_UPDATE];
        rec.pruned = (int)plan->counts[SL_ACT_PRUNE];
        rec.unchanged = (int)plan->counts[SL_ACT_UNCHANGED];
    }
    rec.changed = changed;
    rec.started = started;
    rec.duration = duration;
    rec.commit_time = commit_time;
    rec.error = error;
    if (d->state && sl_state_record(d->state, &rec, &err))
        sl_log(SL_LOG_WARN, "state: cannot record the run of %s: %s", rec.app,
               sl_error_format(&err, buf, sizeof(buf)));

    pthread_mutex_lock(&d->mu);
    {
        cJSON *st = app_status(d, r->app->name), *objs;
        char when[32];
        status_set_str(st, "spec", r->app->spec ? r->app->spec->name : r->app->name);
        status_set_str(st, "source", source);
        status_set_str(st, "target", r->app->target ? r->app->target->name : NULL);
        status_set_str(st, "revision", r->revision[0] ? r->revision : NULL);
        status_set_str(st, "result", rec.result);
        status_set_str(st, "trigger", why);
        status_set_str(st, "lastError", error);
        iso_time(started, when, sizeof(when));
        status_set_str(st, "lastRun", when);
        status_set_num(st, "lastDurationSeconds", duration);
        if (plan) {
            cJSON_DeleteItemFromObjectCaseSensitive(st, "objects");
            objs = cJSON_AddObjectToObject(st, "objects");
            cJSON_AddNumberToObject(objs, "total",
                                    (double)(plan->counts[SL_ACT_CREATE] +
                                             plan->counts[SL_ACT_UPDATE] +
                                             plan->counts[SL_ACT_UNCHANGED]));
            cJSON_AddNumberToObject(objs, "created", rec.created);
            cJSON_AddNumberToObject(objs, "updated", rec.updated);
            cJSON_AddNumberToObject(objs, "pruned", rec.pruned);
            cJSON_AddNumberToObject(objs, "unchanged", rec.unchanged);
            status_set_bool(st, "drift", drift);
        }
        if (!error) {
            status_set_str(st, "lastSuccess", when);
            if (changed)
                status_set_str(st, "lastApplied", when);
        }
        status_set_str(st, "health", "Unknown");
    }
    pthread_mutex_unlock(&d->mu);
}

/* Reconcile app entry u. 0 ok (or nothing to do), 1 failed. */
static int daemon_reconcile(dstate *d, size_t u)
{
    sl_config *cfg = d->cfg;
    sl_appspec *spec = &cfg->specs[u];
    size_t si = spec_source_index(d, u);
    sl_revision *pinned = NULL;
    sl_pipeline p;
    sl_error err;
    sl_buf h = SL_BUF_INIT;
    char hash[65], why[24], buf[2048];
    int failed = 0, drift, rc;
    double t0 = sl_now(), started = wall_now();

    memset(&p, 0, sizeof(p));
    sl_error_clear(&err);
    if (spec->suspend) {
        pthread_mutex_lock(&d->mu);
        d->unit[u].attempted = 1;
        pthread_mutex_unlock(&d->mu);
        return 0;
    }
    pinned = calloc(d->nsrc + 1, sizeof(*pinned));
    if (!pinned)
        return 1;
    pthread_mutex_lock(&d->mu);
    snprintf(why, sizeof(why), "%s", d->unit[u].why[0] ? d->unit[u].why : "poll");
    d->unit[u].why[0] = '\0';
    if (!d->src[si].have_rev) {
        d->unit[u].attempted = 1;
        pthread_mutex_unlock(&d->mu);
        free(pinned);
        return 0; /* nothing fetched yet; the fetch will queue us */
    }
    sl_buf_puts(&h, d->digest);
    sl_buf_printf(&h, "|%zu", u);
    for (size_t i = 0; i < d->nsrc; i++) {
        if (d->src[i].have_rev)
            pinned[i] = d->src[i].rev;
        sl_buf_printf(&h, "|%s", pinned[i].id);
    }
    pthread_mutex_unlock(&d->mu);
    if (spec->renderer && !strcmp(spec->renderer->kind, "score"))
        render_state_digest(cfg->state_dir, &h);
    /* A module app's output also depends on the clock (a request's ttl):
     * the time joins its inputs, so each poll re-renders it even without a
     * new commit and an expiry is acted on within one poll interval. */
    if (spec->renderer && !strcmp(spec->renderer->kind, "module"))
        sl_buf_printf(&h, "|t%lld", (long long)sl_render_now(NULL));
    sha256_hex(h.ptr, h.len, hash);
    sl_buf_free(&h);
    drift = !strcmp(why, "drift");

    pthread_mutex_lock(&d->mu);
    if (!drift && !strcmp(hash, d->unit[u].hash)) {
        d->unit[u].attempted = 1;
        /* Count the skip for every app this entry generated last time. */
        for (cJSON *st = d->apps->child; st; st = st->next) {
            const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "spec"));
            if (s && !strcmp(s, spec->name))
                sl_metrics_inc(d->metrics, "sluice_reconciles_total", 1, "app", st->string,
                               "result", "skipped", NULL);
        }
        pthread_mutex_unlock(&d->mu);
        free(pinned);
        return 0;
    }
    pthread_mutex_unlock(&d->mu);

    if ((rc = sl_pipeline_init(&p, cfg, NULL, 0, &err))) {
        failed = 1;
        goto out;
    }
    p.pinned = pinned;
    if (sl_pipeline_render_spec(&p, u, &err) == SL_ENOMEM) {
        failed = 1;
        goto out;
    }
    for (size_t a = 0; a < p.napps; a++) {
        sl_rendered *r = &p.apps[a];
        sl_plan *plan = NULL;
        sl_plan_opts po = {.prune = r->app->prune,
                           .allow_empty = r->app->allow_empty,
                           .max_prune_share = r->app->max_prune_share,
                           .max_prune_count = r->app->max_prune_count};
        sl_apply_opts ao = {.app = r->app->name, .field_manager = "sluice"};
        const sl_revision *rev = sl_pipeline_revision(&p, spec->source);
        double a0 = sl_now();
        size_t changes;
        int changed = 0, drifted = 0;
        const char *error = NULL;

        for (size_t k = 0; k < r->events.n; k++)
            sl_log(SL_LOG_WARN, "app %s: %s", r->app->name, r->events.v[k]);
        for (size_t k = 0; k < r->notes.n; k++)
            sl_log(SL_LOG_DEBUG, "app %s: %s", r->app->name, r->notes.v[k]);
        if (!r->objects) {
            error = sl_error_format(&r->err, buf, sizeof(buf));
        } else if (sl_plan_build(r->app->name, r->app->target->name, r->revision, r->objects,
                                 r->app->target, &po, &plan, &err)) {
            error = sl_error_format(&err, buf, sizeof(buf));
        } else {
            changes = plan->counts[SL_ACT_CREATE] + plan->counts[SL_ACT_UPDATE] +
                      plan->counts[SL_ACT_PRUNE];
            if (changes && drift) {
                drifted = 1;
                sl_metrics_inc(d->metrics, "sluice_drift_detected_total", 1, "app", r->app->name,
                               NULL);
                sl_log(SL_LOG_WARN, "app %s: live state drifted (%zu objects)%s", r->app->name,
                       changes, spec->self_heal ? "; repairing" : "; selfHeal is off");
            }
            if (changes && (!drift || spec->self_heal)) {
                if (sl_plan_apply(plan, r->objects, r->app->target, &ao, &err)) {
                    error = sl_error_format(&err, buf, sizeof(buf));
                    sl_metrics_inc(d->metrics, "sluice_failed_applies_total", 1, "app",
                                   r->app->name, NULL);
                } else {
                    changed = 1;
                    drifted = 0;
                    sl_metrics_inc(d->metrics, "sluice_objects_applied_total",
                                   (double)plan->counts[SL_ACT_CREATE], "app", r->app->name,
                                   "action", "create", NULL);
                    sl_metrics_inc(d->metrics, "sluice_objects_applied_total",
                                   (double)plan->counts[SL_ACT_UPDATE], "app", r->app->name,
                                   "action", "update", NULL);
                    sl_metrics_inc(d->metrics, "sluice_objects_pruned_total",
                                   (double)plan->counts[SL_ACT_PRUNE], "app", r->app->name, NULL);
                    sl_metrics_inc(d->metrics, "sluice_deployments_total", 1, "app", r->app->name,
                                   NULL);
                    if (rev && rev->time > 0)
                        sl_metrics_observe(d->metrics, "sluice_lead_time_seconds",
                                           wall_now() - (double)rev->time, "app", r->app->name,
                                           NULL);
                    sl_log(SL_LOG_INFO,
                           "app %s: applied %.12s (%s): %zu created, %zu updated, %zu pruned",
                           r->app->name, r->revision, why, plan->counts[SL_ACT_CREATE],
                           plan->counts[SL_ACT_UPDATE], plan->counts[SL_ACT_PRUNE]);
                }
            }
        }
        if (error) {
            failed = 1;
            sl_log(SL_LOG_ERROR, "app %s: %s", r->app->name, error);
        } else {
            sl_metrics_clear(d->metrics, "sluice_app_info", "app", r->app->name);
            sl_metrics_set(d->metrics, "sluice_app_info", 1, "app", r->app->name, "source",
                           spec->source->name, "revision", r->revision, NULL);
            sl_metrics_set(d->metrics, "sluice_app_last_success_timestamp_seconds", wall_now(),
                           "app", r->app->name, NULL);
        }
        sl_metrics_inc(d->metrics, "sluice_reconciles_total", 1, "app", r->app->name, "result",
                       error ? "failure" : "success", NULL);
        sl_metrics_observe(d->metrics, "sluice_reconcile_duration_seconds", sl_now() - a0, "app",
                           r->app->name, NULL);
        record_run(d, r, spec->source->name, why, plan, changed, drifted, error, started,
                   sl_now() - a0, rev ? rev->time : 0);
        sl_plan_free(plan);
    }
    /* Generated apps that this entry no longer produces leave the status. */
    pthread_mutex_lock(&d->mu);
    for (cJSON *st = d->apps->child, *next; st; st = next) {
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "spec"));
        int seen = 0;
        next = st->next;
        if (!s || strcmp(s, spec->name) || !spec->each)
            continue;
        for (size_t a = 0; a < p.napps && !seen; a++)
            seen = !strcmp(p.apps[a].app->name, st->string);
        if (!seen) {
            sl_log(SL_LOG_WARN, "app %s: no longer generated by %s; its objects are left in place",
                   st->string, spec->name);
            cJSON_Delete(cJSON_DetachItemViaPointer(d->apps, st));
        }
    }
    pthread_mutex_unlock(&d->mu);
out:
    if (failed && err.msg[0] && p.napps == 0)
        sl_log(SL_LOG_ERROR, "app %s: %s", spec->name, sl_error_format(&err, buf, sizeof(buf)));
    sl_pipeline_fini(&p);
    free(pinned);
    pthread_mutex_lock(&d->mu);
    if (!failed)
        memcpy(d->unit[u].hash, hash, sizeof(hash));
    d->unit[u].attempted = 1;
    d->unit[u].next_drift = sl_now() + cfg->drift_interval;
    pthread_mutex_unlock(&d->mu);
    (void)t0;
    return failed;
}

/* ---- workers ---- */

static void daemon_check_ready(dstate *d)
{
    int ready = 1;

    pthread_mutex_lock(&d->mu);
    if (!d->ready) {
        for (size_t u = 0; u < d->nunit; u++)
            if (!d->unit[u].attempted)
                ready = 0;
        for (size_t i = 0; i < d->nsrc; i++)
            if (sl_queue_due(d->q, i) && !d->src[i].have_rev && !d->src[i].error[0])
                ready = 0;
        if (ready) {
            d->ready = 1;
            sl_log(SL_LOG_INFO, "first reconcile of %zu app entries done; ready", d->nunit);
            sl_notify("READY=1\nSTATUS=ready");
        }
    }
    pthread_mutex_unlock(&d->mu);
}

static void *daemon_worker(void *arg)
{
    dstate *d = arg;
    long k;

    while ((k = sl_queue_take(d->q)) >= 0) {
        int fetch = (size_t)k < d->nsrc;
        int failed = fetch ? daemon_fetch(d, (size_t)k) : daemon_reconcile(d, (size_t)k - d->nsrc);
        double wait =
            sl_queue_done(d->q, (size_t)k, failed,
                          fetch ? DAEMON_FETCH_BACKOFF : DAEMON_APP_BACKOFF, d->cfg->backoff_max);
        if (failed && !fetch)
            sl_log(SL_LOG_INFO, "app %s: retrying in %.0fs", d->cfg->specs[k - d->nsrc].name, wait);
        daemon_check_ready(d);
    }
    return NULL;
}

/* ---- HTTP hooks ---- */

static void hook_trigger(void *ctx, const char *name, const char *why, const sl_webhook_event *ev)
{
    dstate *d = ctx;

    (void)ev;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->nsrc; i++)
        if (!strcmp(d->cfg->sources[i].name, name)) {
            snprintf(d->src[i].why, sizeof(d->src[i].why), "%s", why ? why : "webhook");
            sl_queue_add(d->q, i, 0);
        }
    pthread_mutex_unlock(&d->mu);
}

static int hook_status(void *ctx, const char *app, sl_buf *out)
{
    dstate *d = ctx;
    cJSON *doc = NULL;
    char *text;
    int rc = 0;

    pthread_mutex_lock(&d->mu);
    if (app) {
        cJSON *st = cJSON_GetObjectItemCaseSensitive(d->apps, app);
        if (!st)
            rc = SL_ENOTFOUND;
        else
            doc = cJSON_Duplicate(st, 1);
    } else {
        cJSON *arr, *srcs;
        doc = cJSON_CreateObject();
        arr = cJSON_AddArrayToObject(doc, "apps");
        for (cJSON *st = d->apps->child; st; st = st->next)
            cJSON_AddItemToArray(arr, cJSON_Duplicate(st, 1));
        srcs = cJSON_AddArrayToObject(doc, "sources");
        for (size_t i = 0; i < d->nsrc; i++) {
            cJSON *s = cJSON_CreateObject();
            cJSON_AddStringToObject(s, "name", d->cfg->sources[i].name);
            if (d->src[i].have_rev)
                cJSON_AddStringToObject(s, "revision", d->src[i].rev.id);
            else
                cJSON_AddNullToObject(s, "revision");
            if (d->src[i].error[0])
                cJSON_AddStringToObject(s, "error", d->src[i].error);
            else
                cJSON_AddNullToObject(s, "error");
            cJSON_AddItemToArray(srcs, s);
        }
        cJSON_AddBoolToObject(doc, "ready", d->ready);
    }
    /* nextRun: the drift check or a pending retry of each app's entry. */
    if (doc) {
        cJSON *list = app ? NULL : cJSON_GetObjectItemCaseSensitive(doc, "apps");
        cJSON *one = app ? doc : NULL;
        for (cJSON *st = one ? one : (list ? list->child : NULL); st; st = one ? NULL : st->next) {
            const char *spec = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "spec"));
            for (size_t u = 0; spec && u < d->nunit; u++) {
                double due, next;
                char when[32];
                if (strcmp(d->cfg->specs[u].name, spec))
                    continue;
                due = sl_queue_due(d->q, d->nsrc + u);
                next = due ? due : d->unit[u].next_drift;
                iso_time(wall_now() + (next > sl_now() ? next - sl_now() : 0), when, sizeof(when));
                cJSON_AddStringToObject(st, "nextRun", when);
                cJSON_AddNumberToObject(st, "failures", sl_queue_failures(d->q, d->nsrc + u));
                break;
            }
        }
    }
    pthread_mutex_unlock(&d->mu);
    if (rc)
        return rc;
    text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!text)
        return SL_ENOMEM;
    rc = sl_buf_puts(out, text);
    free(text);
    return rc;
}

static int hook_ready(void *ctx)
{
    dstate *d = ctx;
    int r;

    pthread_mutex_lock(&d->mu);
    r = d->ready;
    pthread_mutex_unlock(&d->mu);
    return r;
}

/* ---- inotify (--watch) ---- */

static void watch_add_tree(dstate *d, const char *dir, size_t src, int depth)
{
    struct dirent **names = NULL;
    int n, wd;

    if (depth > 32 || d->nwatches >= DAEMON_MAX_WATCHES)
        return;
    wd = inotify_add_watch(d->ino_fd, dir,
                           IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO |
                               IN_CLOSE_WRITE | IN_ATTRIB | IN_ONLYDIR | IN_DONT_FOLLOW);
    if (wd < 0)
        return;
    {
        dwatch *w = realloc(d->watches, (d->nwatches + 1) * sizeof(*w));
        if (!w)
            return;
        d->watches = w;
        d->watches[d->nwatches].wd = wd;
        d->watches[d->nwatches].src = src;
        d->nwatches++;
    }
    n = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        struct stat st;
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..") &&
            strcmp(names[i]->d_name, ".git")) {
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                watch_add_tree(d, path, src, depth + 1);
        }
        free(names[i]);
    }
    free(names);
}

static void *watch_thread(void *arg)
{
    dstate *d = arg;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

    for (;;) {
        struct pollfd fds[2] = {{d->ino_fd, POLLIN, 0}, {d->ino_pipe[0], POLLIN, 0}};
        ssize_t len;
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if (fds[1].revents)
            break;
        if (!(fds[0].revents & POLLIN))
            continue;
        len = read(d->ino_fd, buf, sizeof(buf));
        if (len <= 0)
            continue;
        pthread_mutex_lock(&d->mu);
        for (char *p = buf; p < buf + len;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            for (size_t i = 0; i < d->nwatches; i++)
                if (d->watches[i].wd == ev->wd) {
                    d->src[d->watches[i].src].debounce_at = sl_now() + DAEMON_DEBOUNCE;
                    break;
                }
            p += sizeof(*ev) + ev->len;
        }
        pthread_mutex_unlock(&d->mu);
    }
    return NULL;
}

/* Watch every dir source (re-done on reload). New sub-folders are picked
 * up at the next reload or restart; a change anywhere in a watched folder
 * triggers a fetch of its source, whose fingerprint sees the rest. */
static void watch_start(dstate *d)
{
    if (!d->opts.watch)
        return;
    d->ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (d->ino_fd < 0 || pipe(d->ino_pipe)) {
        sl_log(SL_LOG_WARN, "--watch: inotify unavailable: %s", strerror(errno));
        return;
    }
    for (size_t i = 0; i < d->nsrc; i++) {
        sl_source *s = &d->cfg->sources[i];
        if (strcmp(s->ops->kind, "dir") || !s->url)
            continue;
        watch_add_tree(d, s->url, i, 0);
    }
    sl_log(SL_LOG_INFO, "--watch: %zu folders watched", d->nwatches);
    if (pthread_create(&d->ino_thread, NULL, watch_thread, d) == 0)
        d->ino_running = 1;
}

static void watch_stop(dstate *d)
{
    if (d->ino_running) {
        ssize_t w = write(d->ino_pipe[1], "x", 1);
        (void)w;
        pthread_join(d->ino_thread, NULL);
        d->ino_running = 0;
    }
    if (d->ino_fd > 0)
        close(d->ino_fd);
    if (d->ino_pipe[0] > 0) {
        close(d->ino_pipe[0]);
        close(d->ino_pipe[1]);
    }
    d->ino_fd = d->ino_pipe[0] = d->ino_pipe[1] = -1;
    free(d->watches);
    d->watches = NULL;
    d->nwatches = 0;
}

/* ---- setup and teardown of one configuration generation ---- */

static int daemon_start_workers(dstate *d)
{
    size_t keys = d->nsrc + d->nunit;

    if (sl_queue_new(keys, &d->q))
        return SL_ENOMEM;
    d->nworkers = d->cfg->concurrency;
    d->workers = calloc((size_t)d->nworkers, sizeof(*d->workers));
    if (!d->workers)
        return SL_ENOMEM;
    for (int i = 0; i < d->nworkers; i++)
        if (pthread_create(&d->workers[i], NULL, daemon_worker, d)) {
            d->nworkers = i;
            return SL_ENOMEM;
        }
    return 0;
}

static void daemon_stop_workers(dstate *d)
{
    if (d->q)
        sl_queue_stop(d->q);
    for (int i = 0; i < d->nworkers; i++)
        pthread_join(d->workers[i], NULL);
    free(d->workers);
    d->workers = NULL;
    d->nworkers = 0;
    sl_queue_free(d->q);
    d->q = NULL;
}

/* Install cfg (taking it): per-source and per-entry state, keeping the
 * revisions already fetched for sources of the same name. Under d->mu. */
static int daemon_install(dstate *d, sl_config *cfg, const char *digest)
{
    dsrc *src = calloc(cfg->nsources + 1, sizeof(*src));
    dunit *unit = calloc(cfg->nspecs + 1, sizeof(*unit));
    double now = sl_now();

    if (!src || !unit) {
        free(src);
        free(unit);
        return SL_ENOMEM;
    }
    for (size_t i = 0; i < cfg->nsources; i++) {
        /* Spread the first polls over the interval's first tenth (jitter). */
        src[i].next_poll = now + cfg->sources[i].interval * (1.0 + 0.1 * rand() / RAND_MAX);
        snprintf(src[i].why, sizeof(src[i].why), "startup");
        for (size_t j = 0; d->cfg && j < d->nsrc; j++)
            if (!strcmp(d->cfg->sources[j].name, cfg->sources[i].name)) {
                src[i].rev = d->src[j].rev;
                src[i].have_rev = d->src[j].have_rev;
            }
    }
    for (size_t u = 0; u < cfg->nspecs; u++)
        unit[u].next_drift = now + cfg->drift_interval;
    free(d->src);
    free(d->unit);
    sl_config_free(d->cfg);
    d->cfg = cfg;
    d->src = src;
    d->unit = unit;
    d->nsrc = cfg->nsources;
    d->nunit = cfg->nspecs;
    memcpy(d->digest, digest, 65);
    return 0;
}

static void daemon_queue_all_fetches(dstate *d, const char *why)
{
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->nsrc; i++) {
        snprintf(d->src[i].why, sizeof(d->src[i].why), "%s", why);
        sl_queue_add(d->q, i, 0);
    }
    pthread_mutex_unlock(&d->mu);
}

/* SIGHUP: load the file again; keep running on the old one if it is bad. */
static void daemon_reload(dstate *d)
{
    sl_config *cfg = NULL;
    char digest[65];
    sl_error err;
    char buf[2048];

    sl_log(SL_LOG_INFO, "reloading %s", d->opts.config);
    if (load_config(d->opts.config, &cfg) || config_digest(d->opts.config, digest)) {
        sl_log(SL_LOG_ERROR, "reload failed; still running on the previous configuration");
        sl_config_free(cfg);
        sl_notify("STATUS=reload failed; running on the previous configuration");
        return;
    }
    sl_notify("RELOADING=1\nSTATUS=reloading");
    watch_stop(d);
    daemon_stop_workers(d); /* the reconciles in flight finish first */
    pthread_mutex_lock(&d->mu);
    daemon_install(d, cfg, digest);
    pthread_mutex_unlock(&d->mu);
    if (daemon_start_workers(d))
        sl_log(SL_LOG_ERROR, "reload: cannot start workers");
    if (d->http && sl_http_reload(d->http, d->cfg, &err))
        sl_log(SL_LOG_ERROR, "reload: webhooks keep their previous secrets: %s",
               sl_error_format(&err, buf, sizeof(buf)));
    watch_start(d);
    daemon_queue_all_fetches(d, "reload");
    sl_log(SL_LOG_INFO, "reloaded: %zu sources, %zu app entries", d->nsrc, d->nunit);
    sl_notify("READY=1\nSTATUS=reloaded");
}

/* Restore the last recorded state of every app into the status map. */
static void daemon_restore(dstate *d)
{
    cJSON *latest = NULL, *rec;
    sl_error err;

    if (!d->state || sl_state_latest(d->state, &latest, &err))
        return;
    cJSON_ArrayForEach(rec, latest)
    {
        const char *app = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "app"));
        const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "source"));
        const char *revn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "revision"));
        const char *res = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "result"));
        const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "error"));
        cJSON *st;
        if (!app)
            continue;
        st = app_status(d, app);
        status_set_str(st, "source", src);
        status_set_str(st, "revision", revn);
        status_set_str(st, "result", res);
        status_set_str(st, "lastError", e);
        status_set_bool(st, "restored", 1);
        {
            const cJSON *started = cJSON_GetObjectItemCaseSensitive(rec, "started");
            cJSON *objs;
            char when[32];
            if (cJSON_IsNumber(started)) {
                iso_time(started->valuedouble, when, sizeof(when));
                status_set_str(st, "lastRun", when);
            }
            cJSON_DeleteItemFromObjectCaseSensitive(st, "objects");
            objs = cJSON_AddObjectToObject(st, "objects");
            static const char *const keys[] = {"created", "updated", "pruned", "unchanged"};
            double total = 0;
            for (size_t k = 0; k < 4; k++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, keys[k]);
                double n = cJSON_IsNumber(v) ? v->valuedouble : 0;
                cJSON_AddNumberToObject(objs, keys[k], n);
                if (k != 2)
                    total += n;
            }
            cJSON_AddNumberToObject(objs, "total", total);
        }
        if (res && !strcmp(res, "success") && revn && src)
            sl_metrics_set(d->metrics, "sluice_app_info", 1, "app", app, "source", src, "revision",
                           revn, NULL);
    }
    cJSON_Delete(latest);
}

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0750);
            *p = '/';
        }
    return mkdir(tmp, 0750) && errno != EEXIST ? -1 : 0;
}

int sl_daemon_run(const sl_daemon_opts *o)
{
    dstate d;
    sl_config *cfg = NULL;
    char digest[65];
    sl_error err;
    char buf[2048];
    sigset_t set;
    double next_watchdog = 0, watchdog = sl_notify_watchdog_interval();
    double next_status = 0;
    int code = 2;

    memset(&d, 0, sizeof(d));
    d.opts = *o;
    d.ino_fd = d.ino_pipe[0] = d.ino_pipe[1] = -1;
    pthread_mutex_init(&d.mu, NULL);
    srand((unsigned int)time(NULL) ^ (unsigned int)getpid());
    sl_error_clear(&err);

    if (load_config(o->config, &cfg) || config_digest(o->config, digest)) {
        sl_config_free(cfg);
        return 2;
    }
    /* Signals are taken synchronously by the main loop only. */
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!(d.apps = cJSON_CreateObject()) || sl_metrics_new(&d.metrics))
        goto out;
    sl_metrics_set(d.metrics, "sluice_up", 1, NULL);
    sl_metrics_set(d.metrics, "sluice_build_info", 1, "version", SL_VERSION, NULL);
    if (mkdir_p(cfg->state_dir)) {
        sl_log(SL_LOG_ERROR, "cannot create stateDir %s: %s", cfg->state_dir, strerror(errno));
        sl_config_free(cfg);
        goto out;
    }
    if (sl_state_open(cfg->state_dir, &d.state, &err)) {
        sl_log(SL_LOG_ERROR, "state: %s", sl_error_format(&err, buf, sizeof(buf)));
        sl_config_free(cfg);
        goto out;
    }
    daemon_install(&d, cfg, digest);
    daemon_restore(&d);
    if (daemon_start_workers(&d))
        goto out;
    if (o->listen || d.cfg->listen) {
        sl_http_opts ho = {.listen = o->listen ? o->listen : d.cfg->listen,
                           .max_body = d.cfg->webhook_max_body,
                           .rate_per_source = d.cfg->webhook_rate,
                           .metrics = d.metrics};
        sl_http_hooks hooks = {
            .ctx = &d, .trigger_source = hook_trigger, .status = hook_status, .ready = hook_ready};
        if (sl_http_start(&ho, d.cfg, &hooks, &d.http, &err)) {
            sl_log(SL_LOG_ERROR, "http: %s", sl_error_format(&err, buf, sizeof(buf)));
            goto out;
        }
        sl_log(SL_LOG_INFO, "listening on %s (port %d)", ho.listen, sl_http_port(d.http));
    }
    watch_start(&d);
    sl_log(SL_LOG_INFO, "sluice %s running: %zu sources, %zu app entries, %d workers", SL_VERSION,
           d.nsrc, d.nunit, d.nworkers);
    sl_notify("STATUS=first reconcile");
    daemon_queue_all_fetches(&d, "startup");

    for (;;) {
        double wait = DAEMON_TICK, now;
        struct timespec ts;
        int sig;

        /* Wake in time for a pending inotify debounce. */
        pthread_mutex_lock(&d.mu);
        now = sl_now();
        for (size_t i = 0; i < d.nsrc; i++)
            if (d.src[i].debounce_at && d.src[i].debounce_at - now < wait)
                wait = d.src[i].debounce_at - now;
        pthread_mutex_unlock(&d.mu);
        if (wait < 0.005)
            wait = 0.005;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(wait * 1e9);
        sig = sigtimedwait(&set, NULL, &ts);
        now = sl_now();

        if (sig == SIGTERM || sig == SIGINT) {
            sl_log(SL_LOG_INFO, "%s: stopping after the work in flight",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
            sl_notify("STOPPING=1\nSTATUS=stopping");
            break;
        }
        if (sig == SIGHUP)
            daemon_reload(&d);
        pthread_mutex_lock(&d.mu);
        for (size_t i = 0; i < d.nsrc; i++) {
            if (now >= d.src[i].next_poll) {
                d.src[i].next_poll =
                    now + d.cfg->sources[i].interval * (1.0 + 0.1 * (double)rand() / RAND_MAX);
                if (!d.src[i].why[0])
                    snprintf(d.src[i].why, sizeof(d.src[i].why), "poll");
                sl_queue_add(d.q, i, 0);
            }
            if (d.src[i].debounce_at && now >= d.src[i].debounce_at) {
                d.src[i].debounce_at = 0;
                snprintf(d.src[i].why, sizeof(d.src[i].why), "inotify");
                sl_queue_add(d.q, i, 0);
            }
        }
        for (size_t u = 0; u < d.nunit; u++)
            if (d.unit[u].attempted && now >= d.unit[u].next_drift) {
                d.unit[u].next_drift = now + d.cfg->drift_interval;
                if (!d.unit[u].why[0])
                    snprintf(d.unit[u].why, sizeof(d.unit[u].why), "drift");
                sl_queue_add(d.q, d.nsrc + u, 0);
            }
        pthread_mutex_unlock(&d.mu);
        sl_metrics_set(d.metrics, "sluice_queue_depth", (double)sl_queue_depth(d.q), NULL);
        if (watchdog > 0 && now >= next_watchdog) {
            sl_notify("WATCHDOG=1");
            next_watchdog = now + watchdog / 2;
        }
        if (now >= next_status) {
            char line[256];
            size_t failing = 0;
            pthread_mutex_lock(&d.mu);
            for (cJSON *st = d.apps->child; st; st = st->next) {
                const char *r =
                    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "result"));
                failing += r && !strcmp(r, "failed");
            }
            snprintf(line, sizeof(line), "STATUS=%s: %d apps, %zu failing, queue %zu",
                     d.ready ? "ready" : "first reconcile", cJSON_GetArraySize(d.apps), failing,
                     sl_queue_depth(d.q));
            pthread_mutex_unlock(&d.mu);
            sl_notify(line);
            next_status = now + 10;
        }
        if (now - d.last_trim > 3600) {
            d.last_trim = now;
            if (sl_state_trim(d.state, d.cfg->history_keep, &err))
                sl_log(SL_LOG_WARN, "state: %s", sl_error_format(&err, buf, sizeof(buf)));
        }
    }
    code = 0;
out:
    /* Stop taking triggers, let the reconciles in flight finish (an apply
     * and its prune are one job, so no app is left half-pruned). */
    sl_http_stop(d.http);
    watch_stop(&d);
    daemon_stop_workers(&d);
    sl_state_close(d.state);
    sl_metrics_free(d.metrics);
    cJSON_Delete(d.apps);
    free(d.src);
    free(d.unit);
    sl_config_free(d.cfg);
    pthread_mutex_destroy(&d.mu);
    if (code == 0)
        sl_log(SL_LOG_INFO, "stopped");
    return code;
}
