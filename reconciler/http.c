/* http.c: the daemon's HTTP endpoints (libmicrohttpd, epoll thread pool).
 *
 *   POST /hooks/github            GitHub deliveries, X-Hub-Signature-256
 *   POST /hooks/generic/<source>  Authorization: Bearer <token>
 *   GET  /healthz /readyz /metrics /api/v1/apps[/<name>]
 *
 * Webhook secrets and tokens live in an immutable, reference-counted
 * snapshot (hk_conf) that sl_http_reload swaps; a request holds a reference
 * for its duration. Per-source token buckets and the delivery-id ring have
 * their own locks. Nothing here logs; secrets and tokens never leave this
 * file (generic tokens are kept only as their SHA-256). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "sl_http.h"

#define HK_DEFAULT_MAX_BODY ((size_t)1 << 20)
#define HK_DEFAULT_RATE 10.0
#define HK_DEFAULT_DEDUPE 4096
#define HK_MAX_DEDUPE ((size_t)1 << 20)
#define HK_SECRET_FILE_MAX 65536
#define HK_THREADS 2
#define HK_CONN_LIMIT 256
#define HK_CONN_TIMEOUT 10 /* seconds */
/* A body without Content-Length that runs over the cap is discarded up to
 * this much more (to answer 413), then the connection is closed. */
#define HK_DRAIN_MAX(cap) ((cap) > ((size_t)1 << 20) ? (cap) : ((size_t)1 << 20))

#define HK_JSON "application/json"
#define HK_TEXT "text/plain; charset=utf-8"
#define HK_PROM "text/plain; version=0.0.4; charset=utf-8"

/* One source as the endpoints see it. */
typedef struct hk_source {
    char *name;
    char *url; /* for matching pushes; NULL when the source has none */
    char *ref;
    unsigned char *secret; /* webhook.github secret, NULL when not configured */
    size_t secret_len;
    size_t same_secret;          /* index of the first source with this secret */
    unsigned char token_sha[32]; /* SHA-256 of the webhook.generic token */
    int has_token;
    double tokens, last; /* token bucket (under sl_http.rate_lock) */
} hk_source;

/* A configuration snapshot: immutable once published, freed with its last
 * reference. */
typedef struct hk_conf {
    hk_source *v;
    size_t n;
    size_t max_body;
    double rate;
    int refs; /* under sl_http.conf_lock */
} hk_conf;

/* Remembered delivery ids: a ring of the last n ids plus hash chains. */
typedef struct hk_dedupe {
    pthread_mutex_t lock;
    size_t n, head, used, nb;
    char (*ids)[128];
    uint64_t *hash;
    size_t *next;    /* chain link per slot, SIZE_MAX ends */
    size_t *buckets; /* first slot per bucket, SIZE_MAX empty */
} hk_dedupe;

struct sl_http {
    struct MHD_Daemon *d;
    int port;
    sl_http_hooks hooks;
    sl_metrics *metrics;
    size_t opt_max_body;
    double opt_rate;
    pthread_mutex_t conf_lock;
    hk_conf *conf;
    pthread_mutex_t rate_lock;
    hk_dedupe dd;
};

enum { RT_NONE, RT_GITHUB, RT_GENERIC };

/* Per-request state for the webhook routes. */
typedef struct hk_req {
    int route;
    hk_conf *conf; /* referenced */
    sl_buf body;
    int too_large;  /* 1: refused by Content-Length, 2: went over the cap while reading */
    size_t drained; /* bytes discarded after going over the cap */
} hk_req;

/* ---- configuration snapshots ---- */

static void conf_free(hk_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].url);
        free(c->v[i].ref);
        if (c->v[i].secret) {
            OPENSSL_cleanse(c->v[i].secret, c->v[i].secret_len);
            free(c->v[i].secret);
        }
        OPENSSL_cleanse(c->v[i].token_sha, sizeof(c->v[i].token_sha));
    }
    free(c->v);
    free(c);
}

static hk_conf *conf_get(sl_http *h)
{
    hk_conf *c;

    pthread_mutex_lock(&h->conf_lock);
    c = h->conf;
    c->refs++;
    pthread_mutex_unlock(&h->conf_lock);
    return c;
}

static void conf_put(sl_http *h, hk_conf *c)
{
    int last;

    if (!c)
        return;
    pthread_mutex_lock(&h->conf_lock);
    last = --c->refs == 0;
    pthread_mutex_unlock(&h->conf_lock);
    if (last)
        conf_free(c);
}

/* Read a secret or token file: the content with surrounding whitespace
 * trimmed, in a malloc'd buffer (*out, *len). Empty is an error. Messages
 * name the file, never its content. */
static int read_secret(const char *what, const char *src, const char *path, unsigned char **out,
                       size_t *len, sl_error *err)
{
    sl_buf b = SL_BUF_INIT;
    size_t s = 0, e;
    int rc;

    *out = NULL;
    *len = 0;
    if ((rc = sl_file_read(path, HK_SECRET_FILE_MAX, &b, err))) {
        sl_error_prefix(err, "source \"%s\": cannot read the webhook %s file", src, what);
        goto out;
    }
    e = b.len;
    while (s < e && strchr(" \t\r\n", b.ptr[s]))
        s++;
    while (e > s && strchr(" \t\r\n", b.ptr[e - 1]))
        e--;
    if (e == s) {
        rc = sl_error_setpos(err, SL_EINVAL, path, 0, 0,
                             "source \"%s\": the webhook %s file is empty", src, what);
        goto out;
    }
    if (!(*out = malloc(e - s))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(*out, b.ptr + s, e - s);
    *len = e - s;
out:
    if (b.ptr)
        OPENSSL_cleanse(b.ptr, b.cap);
    sl_buf_free(&b);
    return rc;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Build a snapshot from cfg: every source with a github secret or a generic
 * token, with the files read now. The body cap and rate come from opts when
 * set there at start-up; on a reload (reload set) the new config's values
 * win, so that editing webhook.maxBodySize or rateLimit and sending SIGHUP
 * takes effect. */
static int conf_build(const sl_http *h, const sl_config *cfg, int reload, hk_conf **out,
                      sl_error *err)
{
    hk_conf *c;
    int rc = 0;

    *out = NULL;
    if (!(c = calloc(1, sizeof(*c))) ||
        !(c->v = calloc(cfg->nsources ? cfg->nsources : 1, sizeof(*c->v)))) {
        free(c);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    c->refs = 1;
    if (reload) {
        c->max_body = cfg->webhook_max_body ? cfg->webhook_max_body
                      : h->opt_max_body     ? h->opt_max_body
                                            : HK_DEFAULT_MAX_BODY;
        c->rate = cfg->webhook_rate > 0 ? cfg->webhook_rate
                  : h->opt_rate > 0     ? h->opt_rate
                                        : HK_DEFAULT_RATE;
    } else {
        c->max_body = h->opt_max_body         ? h->opt_max_body
                      : cfg->webhook_max_body ? cfg->webhook_max_body
                                              : HK_DEFAULT_MAX_BODY;
        c->rate = h->opt_rate > 0         ? h->opt_rate
                  : cfg->webhook_rate > 0 ? cfg->webhook_rate
                                          : HK_DEFAULT_RATE;
    }
    for (size_t i = 0; i < cfg->nsources; i++) {
        const sl_source *src = &cfg->sources[i];
        hk_source *s = &c->v[c->n];
        if (!src->name || (!src->webhook_secret_file && !src->webhook_token_file))
            continue;
        c->n++;
        s->name = strdup(src->name);
        s->url = dup_or_null(src->url);
        s->ref = dup_or_null(src->ref);
        if (!s->name || (src->url && !s->url) || (src->ref && !s->ref)) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        if (src->webhook_secret_file &&
            (rc = read_secret("github secret", src->name, src->webhook_secret_file, &s->secret,
                              &s->secret_len, err)))
            goto out;
        if (src->webhook_token_file) {
            unsigned char *tok;
            size_t tlen;
            if ((rc = read_secret("generic token", src->name, src->webhook_token_file, &tok, &tlen,
                                  err)))
                goto out;
            SHA256(tok, tlen, s->token_sha);
            OPENSSL_cleanse(tok, tlen);
            free(tok);
            s->has_token = 1;
        }
        s->tokens = 2 * c->rate;
        s->same_secret = c->n - 1;
        for (size_t j = 0; s->secret && j + 1 < c->n; j++)
            if (c->v[j].secret && c->v[j].secret_len == s->secret_len &&
                !memcmp(c->v[j].secret, s->secret, s->secret_len)) {
                s->same_secret = j;
                break;
            }
    }
out:
    if (rc) {
        conf_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* ---- delivery ids ---- */

static uint64_t hash_id(const char *s)
{
    uint64_t x = 1469598103934665603ULL;

    for (; *s; s++)
        x = (x ^ (unsigned char)*s) * 1099511628211ULL;
    return x;
}

static int dedupe_init(hk_dedupe *dd, size_t n)
{
    memset(dd, 0, sizeof(*dd));
    dd->n = n ? (n > HK_MAX_DEDUPE ? HK_MAX_DEDUPE : n) : HK_DEFAULT_DEDUPE;
    dd->nb = 16;
    while (dd->nb < dd->n)
        dd->nb *= 2;
    dd->ids = calloc(dd->n, sizeof(*dd->ids));
    dd->hash = calloc(dd->n, sizeof(*dd->hash));
    dd->next = malloc(dd->n * sizeof(*dd->next));
    dd->buckets = malloc(dd->nb * sizeof(*dd->buckets));
    if (!dd->ids || !dd->hash || !dd->next || !dd->buckets || pthread_mutex_init(&dd->lock, NULL))
        return SL_ENOMEM;
    for (size_t i = 0; i < dd->nb; i++)
        dd->buckets[i] = SIZE_MAX;
    return 0;
}

static void dedupe_free(hk_dedupe *dd)
{
    free(dd->ids);
    free(dd->hash);
    free(dd->next);
    free(dd->buckets);
}

/* 1 when id is remembered. Called with dd->lock held. */
static int dedupe_has(const hk_dedupe *dd, const char *id, uint64_t x)
{
    for (size_t i = dd->buckets[x & (dd->nb - 1)]; i != SIZE_MAX; i = dd->next[i])
        if (dd->hash[i] == x && !strcmp(dd->ids[i], id))
            return 1;
    return 0;
}

static int dedupe_seen(hk_dedupe *dd, const char *id)
{
    int r;

    pthread_mutex_lock(&dd->lock);
    r = dedupe_has(dd, id, hash_id(id));
    pthread_mutex_unlock(&dd->lock);
    return r;
}

/* Remember id, forgetting the oldest when full. 1 when it was already
 * there (a concurrent duplicate), 0 when added. */
static int dedupe_add(hk_dedupe *dd, const char *id)
{
    uint64_t x = hash_id(id);
    size_t slot, *pp;

    pthread_mutex_lock(&dd->lock);
    if (dedupe_has(dd, id, x)) {
        pthread_mutex_unlock(&dd->lock);
        return 1;
    }
    slot = dd->head;
    if (dd->used == dd->n) {
        /* unlink the oldest id from its chain */
        for (pp = &dd->buckets[dd->hash[slot] & (dd->nb - 1)]; *pp != SIZE_MAX; pp = &dd->next[*pp])
            if (*pp == slot) {
                *pp = dd->next[slot];
                break;
            }
    } else
        dd->used++;
    snprintf(dd->ids[slot], sizeof(dd->ids[slot]), "%s", id);
    dd->hash[slot] = x;
    dd->next[slot] = dd->buckets[x & (dd->nb - 1)];
    dd->buckets[x & (dd->nb - 1)] = slot;
    dd->head = (slot + 1) % dd->n;
    pthread_mutex_unlock(&dd->lock);
    return 0;
}

/* ---- rate limiting ---- */

static double now_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Take one token from the source's bucket (rate per second, burst 2x). */
static int rate_take(sl_http *h, const hk_conf *c, hk_source *s)
{
    double t = now_mono(), burst = 2 * c->rate;
    int ok;

    pthread_mutex_lock(&h->rate_lock);
    if (s->last > 0)
        s->tokens += (t - s->last) * c->rate;
    if (s->tokens > burst)
        s->tokens = burst;
    s->last = t;
    ok = s->tokens >= 1;
    if (ok)
        s->tokens -= 1;
    pthread_mutex_unlock(&h->rate_lock);
    return ok;
}

/* ---- responses ---- */

static void count(sl_http *h, const char *source, const char *result)
{
    if (h->metrics)
        sl_metrics_inc(h->metrics, "sluice_webhook_deliveries_total", 1, "source",
                       source ? source : "", "result", result, NULL);
}

/* reply() flags */
#define HK_CLOSE 1      /* close the connection after the reply (body left unread) */
#define HK_ALLOW_POST 2 /* a 405 on a hook: Allow: POST */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
                             const char *body, size_t len, int flags)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
                                (flags & HK_ALLOW_POST) ? "POST" : "GET, HEAD");
    if (status == MHD_HTTP_TOO_MANY_REQUESTS)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (flags & HK_CLOSE)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_jsonf(struct MHD_Connection *conn, unsigned int status,
                                   const char *json, int flags)
{
    return reply(conn, status, HK_JSON, json, strlen(json), flags);
}

static enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned int status,
                                  const char *json)
{
    return reply_jsonf(conn, status, json, 0);
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status,
                                  const char *text)
{
    return reply(conn, status, HK_TEXT, text, strlen(text), 0);
}

/* Append s as a JSON string. */
static int put_json_str(sl_buf *b, const char *s)
{
    int rc = sl_buf_putc(b, '"');

    for (; *s && !rc; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            rc = sl_buf_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            rc = sl_buf_printf(b, "\\u%04x", ch);
        else
            rc = sl_buf_putc(b, (char)ch);
    }
    return rc ? rc : sl_buf_putc(b, '"');
}

/* ---- the GitHub hook ---- */

static const char *header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* Verify, parse, match, dedupe, rate-limit and trigger one GitHub delivery
 * whose body is complete. Signatures are checked before anything else
 * looks at the body. */
static enum MHD_Result github_hook(sl_http *h, struct MHD_Connection *conn, hk_req *r)
{
    hk_conf *c = r->conf;
    const char *sig = header(conn, "X-Hub-Signature-256");
    const char *event = header(conn, "X-GitHub-Event");
    const char *delivery = header(conn, "X-GitHub-Delivery");
    const char *body = r->body.ptr ? r->body.ptr : "";
    unsigned char stackv[64], *ok = stackv; /* per source: 1 verified, 2 matched, 3 to trigger */
    size_t nverified = 0, nmatched = 0, ntrigger = 0;
    sl_webhook_event ev;
    sl_error err;
    sl_buf out = SL_BUF_INIT;
    enum MHD_Result ret;
    const char *result = NULL;

    sl_error_clear(&err);
    if (c->n > sizeof(stackv) && !(ok = calloc(c->n, 1)))
        return reply_json(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "{\"error\":\"out of memory\"}\n");
    memset(ok, 0, c->n);
    for (size_t i = 0; i < c->n; i++) {
        const hk_source *s = &c->v[i];
        if (!s->secret)
            continue;
        if (s->same_secret != i)
            ok[i] = ok[s->same_secret];
        else
            ok[i] = sl_webhook_verify((const char *)s->secret, s->secret_len, body, r->body.len,
                                      sig, NULL) == 0;
        nverified += ok[i];
    }
    if (!nverified) {
        count(h, "", "unauthorized");
        ret = reply_json(conn, MHD_HTTP_UNAUTHORIZED,
                         "{\"error\":\"invalid or missing signature\"}\n");
        goto out;
    }
    if (sl_webhook_parse(event, delivery, body, r->body.len, &ev, &err)) {
        result = "bad_request";
        sl_buf_puts(&out, "{\"error\":");
        put_json_str(&out, err.msg);
        sl_buf_puts(&out, "}\n");
        ret = out.ptr ? reply(conn, MHD_HTTP_BAD_REQUEST, HK_JSON, out.ptr, out.len, 0)
                      : reply_json(conn, MHD_HTTP_BAD_REQUEST, "{\"error\":\"bad request\"}\n");
        goto count_verified;
    }
    if (!strcmp(ev.event, "ping")) {
        result = "ping";
        ret = reply_json(conn, MHD_HTTP_OK, "{\"result\":\"pong\"}\n");
        goto count_verified;
    }
    if (strcmp(ev.event, "push")) {
        result = "ignored";
        ret = reply_json(conn, MHD_HTTP_ACCEPTED, "{\"result\":\"ignored\"}\n");
        goto count_verified;
    }
    for (size_t i = 0; i < c->n; i++)
        if (ok[i] && sl_webhook_matches(&ev, c->v[i].url, c->v[i].ref)) {
            ok[i] = 2;
            nmatched++;
        }
    if (!nmatched) {
        result = "ignored";
        ret = reply_json(conn, MHD_HTTP_ACCEPTED, "{\"result\":\"ignored\"}\n");
        goto count_verified;
    }
    if (ev.delivery[0] && dedupe_seen(&h->dd, ev.delivery)) {
        for (size_t i = 0; i < c->n; i++)
            if (ok[i] == 2)
                count(h, c->v[i].name, "duplicate");
        ret = reply_json(conn, MHD_HTTP_OK, "{\"result\":\"duplicate\"}\n");
        goto out;
    }
    for (size_t i = 0; i < c->n; i++)
        if (ok[i] == 2 && rate_take(h, c, &c->v[i])) {
            ok[i] = 3;
            ntrigger++;
        }
    if (!ntrigger) {
        for (size_t i = 0; i < c->n; i++)
            if (ok[i] == 2)
                count(h, c->v[i].name, "rate_limited");
        ret = reply_json(conn, MHD_HTTP_TOO_MANY_REQUESTS, "{\"error\":\"rate limited\"}\n");
        goto out;
    }
    if (ev.delivery[0] && dedupe_add(&h->dd, ev.delivery)) {
        for (size_t i = 0; i < c->n; i++)
            if (ok[i] >= 2)
                count(h, c->v[i].name, "duplicate");
        ret = reply_json(conn, MHD_HTTP_OK, "{\"result\":\"duplicate\"}\n");
        goto out;
    }
    sl_buf_puts(&out, "{\"result\":\"accepted\",\"triggered\":[");
    for (size_t i = 0, k = 0; i < c->n; i++) {
        if (ok[i] == 3) {
            if (h->hooks.trigger_source)
                h->hooks.trigger_source(h->hooks.ctx, c->v[i].name, "webhook", &ev);
            count(h, c->v[i].name, "accepted");
            if (k++)
                sl_buf_putc(&out, ',');
            put_json_str(&out, c->v[i].name);
        } else if (ok[i] == 2)
            count(h, c->v[i].name, "rate_limited");
    }
    if (sl_buf_puts(&out, "]}\n"))
        ret = reply_json(conn, MHD_HTTP_ACCEPTED, "{\"result\":\"accepted\"}\n");
    else
        ret = reply(conn, MHD_HTTP_ACCEPTED, HK_JSON, out.ptr, out.len, 0);
    goto out;
count_verified:
    for (size_t i = 0; i < c->n; i++)
        if (ok[i])
            count(h, c->v[i].name, result);
out:
    if (ok != stackv)
        free(ok);
    sl_buf_free(&out);
    return ret;
}

/* ---- the generic hook ---- */

static enum MHD_Result generic_hook(sl_http *h, struct MHD_Connection *conn, hk_req *r,
                                    const char *name)
{
    hk_conf *c = r->conf;
    hk_source *s = NULL;
    const char *auth = header(conn, MHD_HTTP_HEADER_AUTHORIZATION);
    unsigned char got[32];
    size_t tl;

    for (size_t i = 0; i < c->n && *name; i++)
        if (c->v[i].has_token && !strcmp(c->v[i].name, name)) {
            s = &c->v[i];
            break;
        }
    if (!s) {
        /* an unknown source and one without a token look the same */
        count(h, "", "not_found");
        return reply_json(conn, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}\n");
    }
    if (!auth || strncasecmp(auth, "Bearer ", 7)) {
        count(h, s->name, "unauthorized");
        return reply_json(conn, MHD_HTTP_UNAUTHORIZED,
                          "{\"error\":\"invalid or missing token\"}\n");
    }
    auth += 7;
    while (*auth == ' ' || *auth == '\t')
        auth++;
    tl = strlen(auth);
    while (tl && (auth[tl - 1] == ' ' || auth[tl - 1] == '\t'))
        tl--;
    SHA256((const unsigned char *)auth, tl, got);
    if (!tl || CRYPTO_memcmp(got, s->token_sha, sizeof(got))) {
        OPENSSL_cleanse(got, sizeof(got));
        count(h, s->name, "unauthorized");
        return reply_json(conn, MHD_HTTP_UNAUTHORIZED,
                          "{\"error\":\"invalid or missing token\"}\n");
    }
    OPENSSL_cleanse(got, sizeof(got));
    if (!rate_take(h, c, s)) {
        count(h, s->name, "rate_limited");
        return reply_json(conn, MHD_HTTP_TOO_MANY_REQUESTS, "{\"error\":\"rate limited\"}\n");
    }
    if (h->hooks.trigger_source)
        h->hooks.trigger_source(h->hooks.ctx, s->name, "generic webhook", NULL);
    count(h, s->name, "accepted");
    return reply_json(conn, MHD_HTTP_ACCEPTED, "{\"result\":\"accepted\"}\n");
}

/* ---- GET endpoints ---- */

static enum MHD_Result get_route(sl_http *h, struct MHD_Connection *conn, const char *url)
{
    sl_buf b = SL_BUF_INIT;
    enum MHD_Result ret;
    int rc;

    if (!strcmp(url, "/healthz"))
        return reply_text(conn, MHD_HTTP_OK, "ok\n");
    if (!strcmp(url, "/readyz")) {
        if (h->hooks.ready && h->hooks.ready(h->hooks.ctx))
            return reply_text(conn, MHD_HTTP_OK, "ready\n");
        return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n");
    }
    if (!strcmp(url, "/metrics")) {
        rc = h->metrics ? sl_metrics_write(h->metrics, &b) : 0;
        if (rc)
            ret = reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot write metrics\n");
        else
            ret = reply(conn, MHD_HTTP_OK, HK_PROM, b.ptr ? b.ptr : "", b.len, 0);
        sl_buf_free(&b);
        return ret;
    }
    if (!strcmp(url, "/api/v1/apps") || !strcmp(url, "/api/v1/apps/") ||
        !strncmp(url, "/api/v1/apps/", 13)) {
        const char *name = url[12] == '/' && url[13] ? url + 13 : NULL;
        if (!h->hooks.status)
            return reply_json(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "{\"error\":\"no status\"}\n");
        rc = h->hooks.status(h->hooks.ctx, name, &b);
        if (rc == SL_ENOTFOUND)
            ret = reply_json(conn, MHD_HTTP_NOT_FOUND, "{\"error\":\"no such app\"}\n");
        else if (rc)
            ret = reply_json(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "{\"error\":\"cannot read status\"}\n");
        else
            ret = reply(conn, MHD_HTTP_OK, HK_JSON, b.ptr ? b.ptr : "{}", b.ptr ? b.len : 2, 0);
        sl_buf_free(&b);
        return ret;
    }
    return reply_json(conn, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}\n");
}

static int is_get_route(const char *url)
{
    return !strcmp(url, "/healthz") || !strcmp(url, "/readyz") || !strcmp(url, "/metrics") ||
           !strcmp(url, "/api/v1/apps") || !strncmp(url, "/api/v1/apps/", 13);
}

/* ---- the request handler ---- */

/* Content-Length as a number; -1 when absent, -2 when not a number. */
static long long content_length(struct MHD_Connection *conn)
{
    const char *v = header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
    long long n = 0;

    if (!v)
        return -1;
    if (!*v)
        return -2;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > (LLONG_MAX - 9) / 10)
            return -2;
        n = n * 10 + (*v - '0');
    }
    return n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    sl_http *h = cls;
    hk_req *r = *con_cls;
    long long cl;

    if (!r) {
        int route = !strcmp(url, "/hooks/github")                     ? RT_GITHUB
                    : !strncmp(url, "/hooks/generic/", 15) && url[15] ? RT_GENERIC
                                                                      : RT_NONE;
        if (route == RT_NONE) {
            if (!strncmp(url, "/hooks/", 7) || !strcmp(url, "/hooks")) {
                count(h, "", "not_found");
                return reply_json(conn, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}\n");
            }
            if (!is_get_route(url))
                return reply_json(conn, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}\n");
            if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
                return reply_jsonf(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                   "{\"error\":\"method not allowed\"}\n", 0);
            return get_route(h, conn, url);
        }
        if (strcmp(method, MHD_HTTP_METHOD_POST)) {
            count(h, "", "method_not_allowed");
            return reply_jsonf(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                               "{\"error\":\"method not allowed\"}\n", HK_ALLOW_POST | HK_CLOSE);
        }
        if (!(r = calloc(1, sizeof(*r))))
            return MHD_NO;
        r->route = route;
        r->conf = conf_get(h);
        sl_buf_init(&r->body, r->conf->max_body);
        *con_cls = r;
        cl = content_length(conn);
        if (cl == -2) {
            count(h, "", "bad_request");
            return reply_jsonf(conn, MHD_HTTP_BAD_REQUEST, "{\"error\":\"bad Content-Length\"}\n",
                               HK_CLOSE);
        }
        if (cl >= 0 && (unsigned long long)cl > r->conf->max_body) {
            /* refused before a byte of the body is read */
            r->too_large = 1;
            count(h, "", "too_large");
            return reply_jsonf(conn, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"body too large\"}\n",
                               HK_CLOSE);
        }
        /* reserve what was announced, but not much before it arrives */
        if (cl > 0 && sl_buf_reserve(&r->body, (size_t)(cl < 65536 ? cl : 65536)))
            return MHD_NO;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_large == 2) {
            /* Over the cap without a Content-Length (chunked). Nothing
             * more is kept; libmicrohttpd 0.9.75 cannot answer in the
             * middle of an upload, so a short overrun is drained to give
             * the client its 413 and a long one closes the connection. */
            r->drained += n;
            return r->drained > HK_DRAIN_MAX(r->conf->max_body) ? MHD_NO : MHD_YES;
        }
        if (r->too_large)
            return MHD_NO;
        if (sl_buf_put(&r->body, upload_data, n)) {
            r->too_large = 2;
            r->drained = n;
            sl_buf_free(&r->body);
            count(h, "", "too_large");
        }
        return MHD_YES;
    }
    if (r->too_large == 2)
        return reply_jsonf(conn, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"body too large\"}\n",
                           HK_CLOSE);
    if (r->too_large)
        return MHD_YES;
    if (r->route == RT_GITHUB)
        return github_hook(h, conn, r);
    return generic_hook(h, conn, r, url + 15);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    sl_http *h = cls;
    hk_req *r = *con_cls;

    if (!r)
        return;
    conf_put(h, r->conf);
    sl_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

/* ---- listening ---- */

/* Parse "host:port" ("[v6]:port", ":port" or "*:port" for every address)
 * and open a listening, non-blocking socket. */
static int listen_socket(const char *listen_on, int *fd_out, int *port_out, sl_error *err)
{
    char host[256], port[16];
    const char *colon;
    struct addrinfo hints, *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int fd = -1, one = 1, rc = 0, g;
    size_t hl;

    *fd_out = -1;
    if (!listen_on || !(colon = strrchr(listen_on, ':')) || !colon[1] ||
        strlen(colon + 1) >= sizeof(port))
        return sl_error_set(err, SL_EINVAL, "listen \"%s\" must be host:port",
                            listen_on ? listen_on : "");
    hl = (size_t)(colon - listen_on);
    if (hl >= sizeof(host))
        return sl_error_set(err, SL_EINVAL, "listen \"%s\": host name too long", listen_on);
    memcpy(host, listen_on, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    snprintf(port, sizeof(port), "%s", colon + 1);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if ((g = getaddrinfo(*host && strcmp(host, "*") ? host : NULL, port, &hints, &ai)))
        return sl_error_set(err, SL_EINVAL, "listen \"%s\": %s", listen_on, gai_strerror(g));
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128) ||
        getsockname(fd, (struct sockaddr *)&ss, &sl)) {
        rc = sl_error_set(err, SL_EIO, "cannot listen on %s: %s", listen_on, strerror(errno));
        goto out;
    }
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return rc;
}

int sl_http_start(const sl_http_opts *opts, const sl_config *cfg, const sl_http_hooks *hooks,
                  sl_http **out, sl_error *err)
{
    sl_http *h = NULL;
    int fd = -1, rc = 0, locks = 0;

    *out = NULL;
    if (!opts || !cfg)
        return sl_error_set(err, SL_EINVAL, "sl_http_start needs options and a configuration");
    if (!(h = calloc(1, sizeof(*h)))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (hooks)
        h->hooks = *hooks;
    h->metrics = opts->metrics;
    h->opt_max_body = opts->max_body;
    h->opt_rate = opts->rate_per_source;
    if (pthread_mutex_init(&h->conf_lock, NULL) || pthread_mutex_init(&h->rate_lock, NULL) ||
        dedupe_init(&h->dd, opts->dedupe)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    locks = 1;
    if ((rc = conf_build(h, cfg, 0, &h->conf, err)))
        goto out;
    if ((rc = listen_socket(opts->listen ? opts->listen : cfg->listen, &fd, &h->port, err)))
        goto out;
    h->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_TURBO, 0, NULL,
                            NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, fd,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HK_THREADS,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HK_CONN_LIMIT,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HK_CONN_TIMEOUT,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
    if (!h->d) {
        rc = sl_error_set(err, SL_EIO, "cannot start the HTTP server on %s",
                          opts->listen ? opts->listen : cfg->listen);
        goto out;
    }
    fd = -1; /* the daemon owns it now */
out:
    if (fd >= 0)
        close(fd);
    if (rc) {
        if (h) {
            conf_free(h->conf);
            dedupe_free(&h->dd);
            if (locks) {
                pthread_mutex_destroy(&h->conf_lock);
                pthread_mutex_destroy(&h->rate_lock);
                pthread_mutex_destroy(&h->dd.lock);
            }
            free(h);
        }
        return rc;
    }
    *out = h;
    return 0;
}

/* Build the new snapshot first (reading every file); only when that
 * succeeds does it replace the old one. Token buckets carry over by
 * source name. */
int sl_http_reload(sl_http *h, const sl_config *cfg, sl_error *err)
{
    hk_conf *c, *old;
    int rc;

    if (!h || !cfg)
        return sl_error_set(err, SL_EINVAL, "sl_http_reload needs a server and a configuration");
    if ((rc = conf_build(h, cfg, 1, &c, err)))
        return rc;
    pthread_mutex_lock(&h->conf_lock);
    old = h->conf;
    pthread_mutex_lock(&h->rate_lock);
    for (size_t i = 0; i < c->n; i++)
        for (size_t j = 0; j < old->n; j++)
            if (!strcmp(c->v[i].name, old->v[j].name)) {
                c->v[i].tokens = fmin(old->v[j].tokens, 2 * c->rate);
                c->v[i].last = old->v[j].last;
                break;
            }
    pthread_mutex_unlock(&h->rate_lock);
    h->conf = c;
    pthread_mutex_unlock(&h->conf_lock);
    conf_put(h, old);
    return 0;
}

int sl_http_port(const sl_http *h)
{
    return h ? h->port : -1;
}

void sl_http_stop(sl_http *h)
{
    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    conf_put(h, h->conf);
    dedupe_free(&h->dd);
    pthread_mutex_destroy(&h->conf_lock);
    pthread_mutex_destroy(&h->rate_lock);
    pthread_mutex_destroy(&h->dd.lock);
    free(h);
}
