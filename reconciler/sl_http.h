/* sl_http.h: the daemon's HTTP endpoints on `listen` (libmicrohttpd):
 * POST /hooks/github, POST /hooks/generic/<source>, GET /healthz, /readyz,
 * /metrics, /api/v1/apps, /api/v1/apps/<name>. */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include <stddef.h>
#include "sl_app.h"
#include "sl_buf.h"
#include "sl_metrics.h"
#include "sl_webhook.h"

typedef struct sl_http sl_http;

/* What the endpoints call back into (the daemon). Called from the HTTP
 * server's threads; must be thread-safe and must not block for long. */
typedef struct sl_http_hooks {
    void *ctx;
    /* A verified delivery asks for source `name` to be fetched now. ev is
     * NULL for the generic hook. */
    void (*trigger_source)(void *ctx, const char *name, const char *why,
                           const sl_webhook_event *ev);
    /* Append the JSON status of every app (app NULL: {"apps":[...]}) or of
     * one app; SL_ENOTFOUND when there is no such app. */
    int (*status)(void *ctx, const char *app, sl_buf *out);
    /* 1 once the first full reconcile is done. */
    int (*ready)(void *ctx);
} sl_http_hooks;

typedef struct sl_http_opts {
    const char *listen;     /* "host:port"; port 0 picks a free one (see sl_http_port) */
    size_t max_body;        /* webhook body cap, default 1 MiB; larger gets 413 unread */
    double rate_per_source; /* accepted deliveries per second per source, default 10 (burst 20) */
    size_t dedupe;          /* remembered X-GitHub-Delivery ids, default 4096 */
    sl_metrics *metrics;    /* may be NULL */
} sl_http_opts;

/* Start serving. Webhook secrets and tokens are read from the files named
 * in cfg (sources.<name>.webhook.github.secretFile / .generic.tokenFile)
 * now and on sl_http_reload; a source with a webhook but an unreadable or
 * empty secret is an error. *out is the caller's. */
int sl_http_start(const sl_http_opts *opts, const sl_config *cfg, const sl_http_hooks *hooks,
                  sl_http **out, sl_error *err);
/* Swap in a new configuration (SIGHUP); on error the old one stays. */
int sl_http_reload(sl_http *h, const sl_config *cfg, sl_error *err);
/* The bound TCP port. */
int sl_http_port(const sl_http *h);
/* Stop serving and free; accepts NULL. */
void sl_http_stop(sl_http *h);

#endif
