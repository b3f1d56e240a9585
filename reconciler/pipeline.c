/* pipeline.c: fetch, expand, render (shared by CLI and daemon). */
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
    memset(p, 0, sizeof(*p));
}

static const char *pipeline_local_dir(const sl_pipeline *p, const sl_source *src)
{
    for (size_t i = 0; i < p->nlocal; i++)
        if (!p->local[i].source || !strcmp(p->local[i].source, src->name))
            return p->local[i].dir;
    return NULL;
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

    if (source && *source && !(src = sl_config_source(rp->p->cfg, source)))
        return sl_error_set(err, SL_EINVAL, "unknown source \"%s\"", source);
    return pipeline_snapshot(rp->p, src, out, err);
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
    int rc, first = 0;

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
        return rc;
    }
    for (size_t j = 0; j < av.n; j++) {
        sl_app *app = av.v[j];
        sl_rendered *r;
        sl_render_ctx ctx;
        render_priv rp = {p, app};
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
        r = &p->apps[p->napps - 1];
        snprintf(r->revision, sizeof(r->revision), "%s", p->revs[spec->source - cfg->sources].id);
        memset(&ctx, 0, sizeof(ctx));
        ctx.limits = cfg->limits.doc;
        ctx.state_dir = cfg->state_dir;
        ctx.snapshot = render_ctx_snapshot;
        ctx.priv = &rp;
        ctx.notes = &r->notes;
        ctx.events = &r->events;
        if ((rc = sl_objset_new(&r->objects))) {
            sl_error_set(&r->err, rc, "out of memory");
        } else {
            r->objects->max_bytes = cfg->limits.max_app_bytes;
            rc = app->renderer->render(app, &ctx, r->objects, &r->err);
        }
        if (rc) {
            sl_objset_free(r->objects);
            r->objects = NULL;
            if (!first)
                first = rc;
        }
    }
    sl_appv_free(&av);
    return first;
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
