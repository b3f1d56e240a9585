/* sl_pipeline.h: one pass of the reconcile pipeline over selected apps:
 * fetch sources, expand apps, render, plan, apply. Shared by the CLI and
 * the daemon. */
#ifndef SL_PIPELINE_H
#define SL_PIPELINE_H

#include <stdio.h>
#include "sl_app.h"
#include "sl_plan.h"

/* A source replaced by a local folder (sluice diff --local). */
typedef struct sl_local_override {
    const char *source; /* NULL = the source of the selected apps */
    const char *dir;
} sl_local_override;

/* The result of rendering one app. */
typedef struct sl_rendered {
    sl_app *app;        /* owned */
    sl_objset *objects; /* owned; NULL when the render failed */
    sl_error err;       /* when objects is NULL */
    sl_strv notes;      /* the renderer's notices (sl_render_note) */
    sl_strv events;     /* the renderer's event notices (sl_render_event) */
    char revision[128];
} sl_rendered;

typedef struct sl_pipeline {
    sl_config *cfg;                 /* borrowed */
    const sl_local_override *local; /* NULL or an array ended by a NULL dir */
    size_t nlocal;
    /* per-source state, index-aligned with cfg->sources */
    sl_snapshot **snaps;
    sl_revision *revs;
    int *fetched; /* 0 not yet, 1 ok, <0 the error code */
    sl_error *fetch_err;
    sl_rendered *apps;
    size_t napps;
    size_t capapps;
    /* Optional, index-aligned with cfg->sources: a revision to render
     * instead of fetching (id[0] == '\0' means fetch). Borrowed. */
    const sl_revision *pinned;
} sl_pipeline;

int sl_pipeline_init(sl_pipeline *p, sl_config *cfg, const sl_local_override *local, size_t nlocal,
                     sl_error *err);
void sl_pipeline_fini(sl_pipeline *p);

/* Expand every spec and render the apps whose names are in select (all
 * when nselect is 0; an unknown name is an error). Suspended apps are
 * skipped unless named. Each app's outcome is in p->apps; returns 0 when
 * every selected app rendered, else the first failure's code (err filled
 * for errors that are not per app, such as an unknown app name). */
int sl_pipeline_render(sl_pipeline *p, char *const *select, size_t nselect, sl_error *err);

/* Expand and render one spec (cfg->specs[spec]), appending its apps to
 * p->apps (suspended specs too: the caller decides). Returns 0 when every
 * app rendered. */
int sl_pipeline_render_spec(sl_pipeline *p, size_t spec, sl_error *err);

/* The revision a source was rendered at (after a render), or NULL. */
const sl_revision *sl_pipeline_revision(const sl_pipeline *p, const sl_source *src);

#endif
