/* pipeline.c: fetch, expand, render (shared by CLI and daemon). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_pipeline.h"

int sl_pipeline_init(sl_pipeline *p, sl_config *cfg, const sl_local_override *local, size_t nlocal,
                     sl_error *err)
{
    size_t n = cfg->nsources ? cfg->nsources : 1;

    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    p->threads = 1;
    p->local = local;
    p->nlocal = nlocal;
    p->snaps = calloc(n, sizeof(*p->snaps));
    p->revs = calloc(n, sizeof(*p->revs));
    p->fetched = calloc(n, sizeof(*p->fetched));
    p->fetch_err = calloc(n, sizeof(*p->fetch_err));
    if (!p->snaps || !p->revs || !p->fetched || !p->fetch_err)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < nlocal; i++)
        if (local[i].source && !sl_config_source(cfg, local[i].source))
            return sl_error_set(err, SL_EINVAL, "--local: unknown source \"%s\"", local[i].source);
    return 0;
}

void sl_pipeline_fini(sl_pipeline *p)
{
    if (!p || !p->cfg)
        return;
    for (size_t i = 0; i < p->cfg->nsources && p->snaps; i++)
        sl_snapshot_free(p->snaps[i]);
    for (size_t i = 0; i < p->napps; i++) {
        sl_app_free(p->apps[i].app);
        sl_objset_free(p->apps[i].objects);
        sl_strv_free(&p->apps[i].notes);
        sl_strv_free(&p->apps[i].events);
    }
    free(p->apps);
    free(p->snaps);
    free(p->revs);
    free(p->fetched);
    free(p->fetch_err);
    if (p->lock_) {
        pthread_mutex_destroy(p->lock_);
        free(p->lock_);
    }
    memset(p, 0, sizeof(*p));
}

static const char *pipeline_local_dir(const sl_pipeline *p, const sl_source *src)
{
    for (size_t i = 0; i < p->nlocal; i++)
        if (!p->local[i].source || !strcmp(p->local[i].source, src->name))
            return p->local[i].dir;
    return NULL;
}

/* A snapshot shared by render threads whose back end is not thread-safe
 * (libgit2 objects must not be used by two threads at once): every
 * operation on it takes a lock. */
typedef struct locked_snap {
    sl_snapshot base;
    sl_snapshot *inner;
    pthread_mutex_t mu;
} locked_snap;

static int locked_read(sl_snapshot *s, const char *path, size_t max, sl_buf *out, sl_error *err)
{
    locked_snap *l = (locked_snap *)s;
    int rc;

    pthread_mutex_lock(&l->mu);
    rc = l->inner->ops->read(l->inner, path, max, out, err);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static int locked_list(sl_snapshot *s, const char *dir, sl_strv *out, sl_error *err)
{
    locked_snap *l = (locked_snap *)s;
    int rc;

    pthread_mutex_lock(&l->mu);
    rc = l->inner->ops->list(l->inner, dir, out, err);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static int locked_mtime(sl_snapshot *s, const char *path, int64_t *out, sl_error *err)
{
    locked_snap *l = (locked_snap *)s;
    int rc;

    pthread_mutex_lock(&l->mu);
    rc = sl_snapshot_mtime(l->inner, path, out, err);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static void locked_free(sl_snapshot *s)
{
    locked_snap *l = (locked_snap *)s;

    sl_snapshot_free(l->inner);
    pthread_mutex_destroy(&l->mu);
    sl_snapshot_fini(&l->base);
    free(l);
}

static const sl_snapshot_ops locked_ops = {
    .read = locked_read,
    .list = locked_list,
    .free = locked_free,
    .mtime = locked_mtime,
};

/* Wrap *snap in a locked_snap (on failure *snap is left as it was). */
static int pipeline_lock_snapshot(sl_snapshot **snap)
{
    locked_snap *l = calloc(1, sizeof(*l));

    if (!l)
        return SL_ENOMEM;
    if (pthread_mutex_init(&l->mu, NULL)) {
        free(l);
        return SL_ENOMEM;
    }
    if (sl_snapshot_init(&l->base, &locked_ops, (*snap)->source, (*snap)->revision)) {
        pthread_mutex_destroy(&l->mu);
        free(l);
        return SL_ENOMEM;
    }
    l->inner = *snap;
    *snap = &l->base;
    return 0;
}

/* The snapshot of a source, fetched once per pipeline. Borrowed. */
static int pipeline_snapshot(sl_pipeline *p, sl_source *src, sl_snapshot **out, sl_error *err)
{
    size_t i = (size_t)(src - p->cfg->sources);
    const char *local;
    int rc = 0;

    if (p->fetched[i] == 1) {
        *out = p->snaps[i];
        return 0;
    }
    if (p->fetched[i] < 0) {
        *err = p->fetch_err[i];
        return p->fetched[i];
    }
    if ((local = pipeline_local_dir(p, src))) {
        rc = sl_dir_snapshot_open(local, src->name, &p->snaps[i], err);
        snprintf(p->revs[i].id, sizeof(p->revs[i].id), "local");
    } else {
        if (p->pinned && p->pinned[i].id[0])
            p->revs[i] = p->pinned[i];
        else
            rc = sl_source_fetch(src, &p->revs[i], err);
        if (!rc)
            rc = sl_source_snapshot(src, &p->revs[i], &p->snaps[i], err);
    }
    /* dir snapshots are thread-safe (plain file reads); others are not */
    if (!rc && p->threads > 1 && !local && strcmp(src->ops->kind, "dir") &&
        (rc = pipeline_lock_snapshot(&p->snaps[i])))
        sl_error_set(err, rc, "out of memory");
    if (rc) {
        sl_error_prefix(err, "source %s", src->name);
        p->fetched[i] = rc;
        p->fetch_err[i] = *err;
        return rc;
    }
    p->fetched[i] = 1;
    *out = p->snaps[i];
    return 0;
}

typedef struct render_priv {
    sl_pipeline *p;
    const sl_app *app;
} render_priv;

static int render_ctx_snapshot(sl_render_ctx *ctx, const char *source, sl_snapshot **out,
                               sl_error *err)
{
    render_priv *rp = ctx->priv;
    sl_source *src = rp->app->source;

    int rc;

    if (source && *source && !(src = sl_config_source(rp->p->cfg, source)))
        return sl_error_set(err, SL_EINVAL, "unknown source \"%s\"", source);
    if (rp->p->lock_)
        pthread_mutex_lock(rp->p->lock_);
    rc = pipeline_snapshot(rp->p, src, out, err);
    if (rp->p->lock_)
        pthread_mutex_unlock(rp->p->lock_);
    return rc;
}

static int name_selected(char *const *select, size_t n, const char *name, int *used)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(select[i], name)) {
            used[i] = 1;
            return 1;
        }
    return 0;
}

static int pipeline_push(sl_pipeline *p, sl_app *app, size_t *cap)
{
    if (p->napps == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        sl_rendered *v = realloc(p->apps, ncap * sizeof(*v));
        if (!v)
            return SL_ENOMEM;
        p->apps = v;
        *cap = ncap;
    }
    memset(&p->apps[p->napps], 0, sizeof(p->apps[0]));
    p->apps[p->napps++].app = app;
    return 0;
}

/* Hand one app to the emit callback (if any) and free its objects. */
static void pipeline_emit(sl_pipeline *p, sl_rendered *r)
{
    if (!p->emit)
        return;
    p->emit(p, r, p->emit_ud);
    if (r->objects) {
        sl_objset_free(r->objects);
        r->objects = NULL;
        r->streamed = 1;
    }
}

/* Render one app into r (r->objects NULL and r->err set on failure). */
static int pipeline_render_one(sl_pipeline *p, sl_rendered *r)
{
    sl_app *app = r->app;
    sl_render_ctx ctx;
    render_priv rp = {p, app};
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.limits = p->cfg->limits.doc;
    ctx.state_dir = p->cfg->state_dir;
    ctx.snapshot = render_ctx_snapshot;
    ctx.priv = &rp;
    ctx.notes = &r->notes;
    ctx.events = &r->events;
    if ((rc = sl_objset_new(&r->objects))) {
        sl_error_set(&r->err, rc, "out of memory");
    } else {
        r->objects->max_bytes = p->cfg->limits.max_app_bytes;
        rc = app->renderer->render(app, &ctx, r->objects, &r->err);
    }
    if (rc) {
        sl_objset_free(r->objects);
        r->objects = NULL;
    }
    return rc;
}

/* Apps rendered ahead of the one being emitted, at most (per thread). */
#define PIPELINE_WINDOW 8

typedef struct render_range {
    sl_pipeline *p;
    size_t from, to;
    size_t claim;   /* next app to render */
    size_t emitted; /* apps before this one were emitted */
    size_t window;
    int *rcs;
    char *done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} render_range;

static void *pipeline_worker(void *arg)
{
    render_range *rr = arg;

    pthread_mutex_lock(&rr->mu);
    for (;;) {
        size_t j;
        int rc;
        while (rr->claim < rr->to && rr->claim >= rr->emitted + rr->window)
            pthread_cond_wait(&rr->cv, &rr->mu);
        if (rr->claim >= rr->to)
            break;
        j = rr->claim++;
        pthread_mutex_unlock(&rr->mu);
        rc = pipeline_render_one(rr->p, &rr->p->apps[j]);
        pthread_mutex_lock(&rr->mu);
        rr->rcs[j - rr->from] = rc;
        rr->done[j - rr->from] = 1;
        pthread_cond_broadcast(&rr->cv);
    }
    pthread_mutex_unlock(&rr->mu);
    return NULL;
}

/* Render p->apps[from..to) and emit them in order: on p->threads threads
 * when more than one, each at most a bounded window ahead of the emitter.
 * Returns the first failure's code (0 when all rendered). */
static int pipeline_render_range(sl_pipeline *p, size_t from, size_t to, sl_error *err)
{
    size_t n = to - from, nthr = p->threads > 1 ? (size_t)p->threads : 1;
    pthread_t tids[64];
    size_t started = 0;
    render_range rr;
    int first = 0;

    if (nthr > n)
        nthr = n;
    if (nthr > 1 && !p->lock_) {
        pthread_mutex_t *m = malloc(sizeof(*m));
        if (!m || pthread_mutex_init(m, NULL)) {
            free(m);
            nthr = 1;
        } else {
            p->lock_ = m;
        }
    }
    if (nthr <= 1) {
        for (size_t j = from; j < to; j++) {
            int rc = pipeline_render_one(p, &p->apps[j]);
            if (rc && !first)
                first = rc;
            pipeline_emit(p, &p->apps[j]);
        }
        return first;
    }
    memset(&rr, 0, sizeof(rr));
    rr.p = p;
    rr.from = from;
    rr.to = to;
    rr.claim = rr.emitted = from;
    rr.window = p->emit ? PIPELINE_WINDOW * nthr : n;
    rr.rcs = calloc(n, sizeof(*rr.rcs));
    rr.done = calloc(n, 1);
    if (!rr.rcs || !rr.done) {
        free(rr.rcs);
        free(rr.done);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&rr.mu, NULL);
    pthread_cond_init(&rr.cv, NULL);
    for (size_t t = 0; t < nthr; t++)
        if (pthread_create(&tids[started], NULL, pipeline_worker, &rr) == 0)
            started++;
    if (!started) { /* no thread could start: render here, all at once */
        rr.window = n;
        pipeline_worker(&rr);
    }
    for (size_t j = from; j < to; j++) {
        pthread_mutex_lock(&rr.mu);
        while (!rr.done[j - from])
            pthread_cond_wait(&rr.cv, &rr.mu);
        pthread_mutex_unlock(&rr.mu);
        if (rr.rcs[j - from] && !first)
            first = rr.rcs[j - from];
        pipeline_emit(p, &p->apps[j]);
        pthread_mutex_lock(&rr.mu);
        rr.emitted = j + 1;
        pthread_cond_broadcast(&rr.cv);
        pthread_mutex_unlock(&rr.mu);
    }
    for (size_t t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    pthread_cond_destroy(&rr.cv);
    pthread_mutex_destroy(&rr.mu);
    free(rr.rcs);
    free(rr.done);
    return first;
}

/* Render one spec; apps not selected (when select is given) are dropped,
 * and so are suspended ones when nothing is selected and skip_suspended. */
static int pipeline_spec(sl_pipeline *p, size_t si, char *const *select, size_t nselect, int *used,
                         int skip_suspended, sl_error *err)
{
    sl_config *cfg = p->cfg;
    sl_appspec *spec = &cfg->specs[si];
    sl_appv av = {0};
    sl_snapshot *snap = NULL;
    sl_error e;
    size_t base;
    int rc;

    sl_error_clear(&e);
    if ((rc = pipeline_snapshot(p, spec->source, &snap, &e)) ||
        (rc = sl_app_expand(cfg, spec, snap, &av, &e))) {
        /* The spec itself failed: report it as one failed app. */
        sl_app *app = calloc(1, sizeof(*app));
        sl_appv_free(&av);
        if (!app || !(app->name = strdup(spec->name)) || pipeline_push(p, app, &p->capapps)) {
            sl_app_free(app);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        app->spec = spec;
        app->renderer = spec->renderer;
        app->target = spec->target;
        app->source = spec->source;
        p->apps[p->napps - 1].err = e;
        pipeline_emit(p, &p->apps[p->napps - 1]);
        return rc;
    }
    base = p->napps;
    for (size_t j = 0; j < av.n; j++) {
        sl_app *app = av.v[j];
        av.v[j] = NULL;
        if (nselect ? !name_selected(select, nselect, app->name, used)
                    : (skip_suspended && spec->suspend)) {
            sl_app_free(app);
            continue;
        }
        if (pipeline_push(p, app, &p->capapps)) {
            sl_app_free(app);
            sl_appv_free(&av);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        snprintf(p->apps[p->napps - 1].revision, sizeof(p->apps[0].revision), "%s",
                 p->revs[spec->source - cfg->sources].id);
    }
    sl_appv_free(&av);
    return pipeline_render_range(p, base, p->napps, err);
}

int sl_pipeline_render_spec(sl_pipeline *p, size_t spec, sl_error *err)
{
    if (spec >= p->cfg->nspecs)
        return sl_error_set(err, SL_EINVAL, "no such app spec");
    return pipeline_spec(p, spec, NULL, 0, NULL, 0, err);
}

const sl_revision *sl_pipeline_revision(const sl_pipeline *p, const sl_source *src)
{
    size_t i = (size_t)(src - p->cfg->sources);

    return i < p->cfg->nsources && p->fetched[i] == 1 ? &p->revs[i] : NULL;
}

int sl_pipeline_render(sl_pipeline *p, char *const *select, size_t nselect, sl_error *err)
{
    sl_config *cfg = p->cfg;
    int *used = calloc(nselect + 1, sizeof(*used));
    int rc = 0, first = 0;

    if (!used)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < cfg->nspecs; i++) {
        sl_appspec *spec = &cfg->specs[i];
        /* A plain app that is not selected needs no fetch at all. */
        if (!spec->each && nselect && !name_selected(select, nselect, spec->name, used))
            continue;
        rc = pipeline_spec(p, i, select, nselect, used, 1, err);
        if (rc == SL_ENOMEM)
            goto out;
        if (rc && !first)
            first = rc;
    }
    for (size_t i = 0; i < nselect; i++)
        if (!used[i]) {
            rc = sl_error_set(err, SL_ENOTFOUND, "no app named \"%s\" in %s", select[i], cfg->file);
            goto out;
        }
    rc = first;
out:
    free(used);
    return rc;
}
