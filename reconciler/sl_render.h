/* sl_render.h: renderers turn snapshots and app options into manifest sets.
 * One file per kind under renderers/, registered in registry.c. */
#ifndef SL_RENDER_H
#define SL_RENDER_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "sl_buf.h"
#include "sl_config.h"
#include "sl_doc.h"
#include "sl_obj.h"
#include "sl_snapshot.h"

typedef struct sl_app sl_app;
typedef struct sl_render_ctx sl_render_ctx;

/* What a renderer may use while rendering. */
struct sl_render_ctx {
    sl_doc_limits limits; /* per-file caps */
    /* The config's stateDir (absolute), for renderers that keep state
     * between renders (the score renderer's provisioner state); NULL when
     * there is none (tests). Borrowed. */
    const char *state_dir;
    /* The snapshot of a named source (NULL or "" = the app's own source).
     * Borrowed: valid for the whole render. */
    int (*snapshot)(sl_render_ctx *ctx, const char *source, sl_snapshot **out, sl_error *err);
    /* Notices about this render for the user (one line each, no secrets),
     * e.g. when an environment request expires: `diff` prints them, the
     * daemon logs them. NULL when nobody listens. */
    sl_strv *notes;
    /* Notices of events that changed the output and deserve a log line
     * at every occurrence (an environment expired and is pruned): printed
     * like notes, logged by the daemon as warnings (notes only at debug
     * level). NULL when nobody listens. */
    sl_strv *events;
    /* The time renderers compare dates against (unix seconds; 0 = now),
     * so that tests and `diff` can pin it ($SLUICE_NOW). */
    int64_t now;
    void *priv;
};

typedef struct sl_renderer_ops {
    const char *kind; /* the key under render: "manifests", "score", ... */
    /* Check and keep the options map (node, may be NULL when the renderer
     * was given as a bare name); report problems into c. *out is freed with
     * free_opts. No I/O. */
    int (*configure)(const cJSON *node, sl_confctx *c, void **out);
    void (*free_opts)(void *opts);
    /* Render app into out (an empty set the caller owns). Objects must be
     * added in a deterministic order. */
    int (*render)(const sl_app *app, sl_render_ctx *ctx, sl_objset *out, sl_error *err);
} sl_renderer_ops;

const sl_renderer_ops *sl_renderer_lookup(const char *kind);
extern const sl_renderer_ops *const sl_renderer_registry[];

/* Parse one file's bytes (YAML or JSON by extension) and add every object
 * to out: multi-document streams, `kind: List` items expanded, empty
 * documents skipped, a non-object document an error with position. The
 * app's default namespace is set on namespaced objects that lack one. */
int sl_render_add_manifests(const sl_app *app, sl_render_ctx *ctx, const char *file,
                            const char *data, size_t len, sl_objset *out, sl_error *err);

/* Append a notice to ctx->notes (ignored when ctx->notes is NULL). */
int sl_render_note(sl_render_ctx *ctx, const char *fmt, ...) SL_PRINTF(2, 3);
/* Append an event notice to ctx->events (ignored when it is NULL). */
int sl_render_event(sl_render_ctx *ctx, const char *fmt, ...) SL_PRINTF(2, 3);

/* The render's clock: ctx->now when set, else $SLUICE_NOW (unix seconds)
 * when set, else time(NULL). */
int64_t sl_render_now(const sl_render_ctx *ctx);

/* How many threads CPU-bound work may use: $SLUICE_THREADS when set (1
 * turns parallelism off), else the online CPUs, at most 2. */
int sl_threads(void);

/* The second half of sl_render_add_manifests, for renderers that parse on
 * their own (in parallel): add the parsed documents of one file in order,
 * taking them out of docs (positions must already be in out->pm). */
int sl_render_add_docs(const sl_app *app, const char *file, sl_docv *docs, sl_objset *out,
                       sl_error *err);

#endif
