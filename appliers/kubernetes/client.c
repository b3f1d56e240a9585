/* client.c: HTTP to the API server with libcurl. One multi handle holds
 * the connection cache (connections are reused; HTTP/2 is used where the
 * server offers it over TLS, with multiplexing), requests run with bounded
 * parallelism, and 429, 5xx and connection failures are retried with
 * exponential backoff and jitter, honouring Retry-After. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kube.h"

#define KUBE_MAX_RESPONSE ((size_t)256 << 20)

struct kube_client {
    const kube_conn *conn; /* borrowed */
    kube_client_opts o;
    char *base;                    /* URL prefix */
    struct curl_slist *connect_to; /* tls-server-name: connect to the real host */
    char *auth_header;             /* "Authorization: Bearer ..." (secret) */
    unsigned auth_gen;             /* exec credential generation of auth_header */
    sl_error exec_err;             /* why the last exec plugin run failed */
    CURLM *multi;
    CURL **pool;
    size_t npool, cappool;
    size_t nreq;
    double last_start;
    unsigned rng;
};

static double kube_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int kube_retryable(long status)
{
    return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static int kube_curl_retryable(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_COULDNT_RESOLVE_HOST:
        return 1;
    default:
        return 0;
    }
}

double kube_backoff(const kube_client_opts *o, int attempt, double retry_after, double rnd)
{
    double base = o->backoff_base > 0 ? o->backoff_base : 0.2;
    double max = o->backoff_max > 0 ? o->backoff_max : 10;
    double d;

    if (retry_after >= 0)
        return retry_after < 60 ? retry_after : 60;
    d = base * pow(2, attempt > 0 ? attempt - 1 : 0);
    if (d > max)
        d = max;
    return d * (0.5 + 0.5 * rnd);
}

void kube_req_init(kube_req *r, const char *method, char *path, const char *ctype, char *body,
                   size_t body_len)
{
    memset(r, 0, sizeof(*r));
    r->method = method;
    r->path = path;
    r->ctype = ctype;
    r->body = body;
    r->body_len = body_len;
    sl_buf_init(&r->resp, KUBE_MAX_RESPONSE);
}

void kube_req_clear(kube_req *r)
{
    if (!r)
        return;
    free(r->path);
    free(r->body);
    sl_buf_free(&r->resp);
    curl_slist_free_all(r->hdrs_);
    memset(r, 0, sizeof(*r));
}

static void kube_auth_drop(kube_client *c)
{
    if (c->auth_header) {
        memset(c->auth_header, 0, strlen(c->auth_header));
        free(c->auth_header);
        c->auth_header = NULL;
    }
}

/* (Re)build the Authorization header from the static token or the exec
 * plugin's cached one (running the plugin when needed, or always with
 * force). */
static int kube_auth(kube_client *c, int force, sl_error *err)
{
    const kube_conn *k = c->conn;
    const char *tok = k->token;
    sl_buf b = SL_BUF_INIT;
    int rc;

    if (k->exec && !(tok && *tok)) {
        if ((rc = kube_exec_get(k->exec, k, force, err)))
            return rc;
        if (c->auth_header && c->auth_gen == kube_exec_gen(k->exec))
            return 0;
        tok = kube_exec_token(k->exec);
        c->auth_gen = kube_exec_gen(k->exec);
    } else if (c->auth_header) {
        return 0;
    }
    kube_auth_drop(c);
    if (tok && *tok) {
        sl_buf_init(&b, 1 << 20);
        if (sl_buf_printf(&b, "Authorization: Bearer %s", tok)) {
            sl_buf_free(&b);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        c->auth_header = sl_buf_detach(&b);
    }
    return 0;
}

/* Contract: c is borrowed by the client and must outlive it. The bearer
 * token is read here (tokenFile is re-read so a rotated token is picked
 * up by the next client). */
int kube_client_new(const kube_conn *conn, const kube_client_opts *o, kube_client **out,
                    sl_error *err)
{
    static int global_init;
    kube_client *c;
    sl_buf b = SL_BUF_INIT;
    int rc = 0;

    *out = NULL;
    if (!global_init) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_init = 1;
    }
    if (!(c = calloc(1, sizeof(*c))))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    c->conn = conn;
    c->o = *o;
    if (c->o.parallelism <= 0)
        c->o.parallelism = 8;
    if (c->o.retries < 0)
        c->o.retries = 0;
    if (c->o.timeout <= 0)
        c->o.timeout = 30;
    c->rng = (unsigned)time(NULL) ^ (unsigned)(size_t)c;
    if (conn->tls_server_name && *conn->tls_server_name && !strncmp(conn->server, "https://", 8)) {
        /* Verify (and send SNI for) tls-server-name while connecting to the
         * server's own address: the URL names tls-server-name, and
         * CONNECT_TO maps it to the real host and port. */
        const char *hp = conn->server + 8, *colon = strrchr(hp, ':');
        const char *port = colon && !strchr(colon, ']') ? colon + 1 : "443";
        size_t hl = colon && !strchr(colon, ']') ? (size_t)(colon - hp) : strlen(hp);
        if ((rc = sl_buf_printf(&b, "%s:%s:%.*s:%s", conn->tls_server_name, port, (int)hl, hp,
                                port)) ||
            !(c->connect_to = curl_slist_append(NULL, b.ptr)))
            goto nomem;
        sl_buf_reset(&b);
        if ((rc = sl_buf_printf(&b, "https://%s:%s", conn->tls_server_name, port)))
            goto nomem;
        c->base = sl_buf_detach(&b);
    } else {
        c->base = strdup(conn->server);
    }
    if (!c->base)
        goto nomem;
    if ((rc = kube_auth(c, 0, err))) {
        sl_buf_free(&b);
        kube_client_free(c);
        return rc;
    }
    if (!(c->multi = curl_multi_init()))
        goto nomem;
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->o.parallelism);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->o.parallelism + 2);
    sl_buf_free(&b);
    *out = c;
    return 0;
nomem:
    sl_buf_free(&b);
    kube_client_free(c);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
}

void kube_client_free(kube_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->npool; i++)
        curl_easy_cleanup(c->pool[i]);
    free(c->pool);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    curl_slist_free_all(c->connect_to);
    kube_auth_drop(c);
    free(c->base);
    free(c);
}

size_t kube_client_requests(const kube_client *c)
{
    return c ? c->nreq : 0;
}

static size_t kube_on_body(char *p, size_t sz, size_t n, void *ud)
{
    kube_req *r = ud;

    if (sl_buf_put(&r->resp, p, sz * n))
        return 0;
    return sz * n;
}

static size_t kube_on_header(char *p, size_t sz, size_t n, void *ud)
{
    kube_req *r = ud;
    size_t len = sz * n;

    if (len > 12 && !strncasecmp(p, "Retry-After:", 12)) {
        char tmp[32];
        size_t k = len - 12 < sizeof(tmp) - 1 ? len - 12 : sizeof(tmp) - 1;
        char *end;
        double v;
        memcpy(tmp, p + 12, k);
        tmp[k] = '\0';
        v = strtod(tmp, &end);
        if (end != tmp && v >= 0)
            r->retry_after_ = v;
    }
    return len;
}

static CURL *kube_easy_get(kube_client *c)
{
    if (c->npool)
        return c->pool[--c->npool];
    return curl_easy_init();
}

static void kube_easy_put(kube_client *c, CURL *e)
{
    if (c->npool == c->cappool) {
        size_t cap = c->cappool ? c->cappool * 2 : 16;
        CURL **v = realloc(c->pool, cap * sizeof(*v));
        if (!v) {
            curl_easy_cleanup(e);
            return;
        }
        c->pool = v;
        c->cappool = cap;
    }
    curl_easy_reset(e);
    c->pool[c->npool++] = e;
}

/* Set up one attempt of r on a fresh or pooled easy handle. */
static int kube_start(kube_client *c, kube_req *r)
{
    const kube_conn *k = c->conn;
    CURL *e = kube_easy_get(c);
    sl_buf url = SL_BUF_INIT;
    char ct[128];
    const char *xcert, *xkey;
    size_t xcert_len, xkey_len;

    if (!e)
        return SL_ENOMEM;
    curl_slist_free_all(r->hdrs_);
    r->hdrs_ = curl_slist_append(NULL, "Accept: application/json");
    if (r->ctype) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", r->ctype);
        r->hdrs_ = curl_slist_append(r->hdrs_, ct);
    }
    if (c->auth_header)
        r->hdrs_ = curl_slist_append(r->hdrs_, c->auth_header);
    r->hdrs_ = curl_slist_append(r->hdrs_, "Expect:");
    if (!r->hdrs_ || sl_buf_printf(&url, "%s%s", c->base, r->path)) {
        sl_buf_free(&url);
        kube_easy_put(c, e);
        return SL_ENOMEM;
    }
    curl_easy_setopt(e, CURLOPT_URL, url.ptr);
    sl_buf_free(&url); /* libcurl copies strings */
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs_);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "sluice/" SL_VERSION);
    if (!strcmp(r->method, "GET")) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
        if (r->body) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        }
    }
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, kube_on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, kube_on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf_);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(c->o.timeout * 1000));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(c->o.timeout < 10 ? c->o.timeout * 1000 : 10000));
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->connect_to)
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
    if (k->proxy_url && *k->proxy_url)
        curl_easy_setopt(e, CURLOPT_PROXY, k->proxy_url);
    if (k->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    }
    if (k->ca_data) {
        struct curl_blob blob = {k->ca_data, k->ca_len, CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
    } else if (k->ca_file) {
        curl_easy_setopt(e, CURLOPT_CAINFO, k->ca_file);
    }
    r->exec_gen_ = kube_exec_gen(k->exec);
    if (!k->cert_data && !k->cert_file && kube_exec_cert(k->exec, &xcert, &xcert_len, &xkey, &xkey_len)) {
        struct curl_blob cb = {(void *)xcert, xcert_len, CURL_BLOB_COPY};
        struct curl_blob kb = {(void *)xkey, xkey_len, CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cb);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &kb);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (k->cert_data) {
        struct curl_blob blob = {k->cert_data, k->cert_len, CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &blob);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (k->cert_file) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, k->cert_file);
    }
    if (k->key_data) {
        struct curl_blob blob = {k->key_data, k->key_len, CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &blob);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (k->key_file) {
        curl_easy_setopt(e, CURLOPT_SSLKEY, k->key_file);
    }
    if (k->username && k->password && !c->auth_header) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, k->username);
        curl_easy_setopt(e, CURLOPT_PASSWORD, k->password);
    }
    r->errbuf_[0] = '\0';
    r->retry_after_ = -1;
    r->status = 0;
    r->rc = 0;
    sl_error_clear(&r->err);
    sl_buf_reset(&r->resp);
    r->easy_ = e;
    r->attempts++;
    c->nreq++;
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        r->easy_ = NULL;
        kube_easy_put(c, e);
        return SL_ENOMEM;
    }
    return 0;
}

enum { REQ_PENDING = 0, REQ_ACTIVE, REQ_DONE };

/* One attempt finished: decide between done and another try. */
static void kube_finish(kube_client *c, kube_req *r, CURLcode res, double now)
{
    int retry;
    long status = 0;

    curl_easy_getinfo(r->easy_, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(c->multi, r->easy_);
    kube_easy_put(c, r->easy_);
    r->easy_ = NULL;
    if (res != CURLE_OK) {
        r->status = 0;
        r->rc = SL_ENET;
        sl_error_set(&r->err, SL_ENET, "cannot reach the API server %s: %s", c->conn->server,
                     r->errbuf_[0] ? r->errbuf_ : curl_easy_strerror(res));
        retry = kube_curl_retryable(res);
    } else {
        r->status = status;
        retry = kube_retryable(status);
        if (status == 401 && c->conn->exec && !(c->conn->token && *c->conn->token) &&
            !r->reauthed_) {
            /* The credential may have been revoked or rotated early: run
             * the plugin again (once per credential generation) and retry
             * this request once with what it prints. */
            r->reauthed_ = 1;
            if (r->exec_gen_ != kube_exec_gen(c->conn->exec) || !kube_auth(c, 1, &c->exec_err)) {
                r->not_before_ = now;
                r->state_ = REQ_PENDING;
                return;
            }
            r->rc = SL_EREFUSED;
            r->err = c->exec_err;
        }
    }
    if (retry && r->attempts <= c->o.retries) {
        double rnd = (double)(rand_r(&c->rng) % 10000) / 10000.0;
        r->not_before_ = now + kube_backoff(&c->o, r->attempts, r->retry_after_, rnd);
        r->state_ = REQ_PENDING;
        return;
    }
    r->state_ = REQ_DONE;
}

/* Contract: every request ends REQ_DONE with its own outcome; the caller
 * keeps ownership of reqs. */
int kube_client_run(kube_client *c, kube_req *const *reqs, size_t n)
{
    size_t done = 0, active = 0;
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        reqs[i]->state_ = REQ_PENDING;
        reqs[i]->not_before_ = 0;
        reqs[i]->attempts = 0;
        reqs[i]->reauthed_ = 0;
    }
    if (c->conn->exec && kube_auth(c, 0, &c->exec_err)) {
        /* The cached credential expired and the plugin failed: every
         * request fails with its error. */
        for (size_t i = 0; i < n; i++) {
            reqs[i]->rc = SL_EREFUSED;
            reqs[i]->status = 0;
            reqs[i]->err = c->exec_err;
            reqs[i]->state_ = REQ_DONE;
        }
        return 0;
    }
    while (done < n) {
        double now = kube_now(), next = -1;
        int running = 0, left;
        CURLMsg *m;
        long wait_ms;

        for (size_t i = 0; i < n && active < (size_t)c->o.parallelism; i++) {
            kube_req *r = reqs[i];
            if (r->state_ != REQ_PENDING)
                continue;
            if (r->not_before_ > now) {
                if (next < 0 || r->not_before_ < next)
                    next = r->not_before_;
                continue;
            }
            if (c->o.qps > 0 && now < c->last_start + 1.0 / c->o.qps) {
                double t = c->last_start + 1.0 / c->o.qps;
                if (next < 0 || t < next)
                    next = t;
                break;
            }
            if (kube_start(c, r)) {
                r->rc = sl_error_set(&r->err, SL_ENOMEM, "out of memory");
                r->state_ = REQ_DONE;
                done++;
                rc = SL_ENOMEM;
                continue;
            }
            c->last_start = now;
            r->state_ = REQ_ACTIVE;
            active++;
        }
        if (done == n)
            break;
        curl_multi_perform(c->multi, &running);
        while ((m = curl_multi_info_read(c->multi, &left))) {
            kube_req *r = NULL;
            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            if (!r)
                continue;
            kube_finish(c, r, m->data.result, kube_now());
            active--;
            if (r->state_ == REQ_DONE)
                done++;
        }
        if (done == n)
            break;
        now = kube_now();
        wait_ms = 1000;
        for (size_t i = 0; i < n; i++)
            if (reqs[i]->state_ == REQ_PENDING) {
                double t = reqs[i]->not_before_;
                long ms = t > now ? (long)((t - now) * 1000) + 1 : 0;
                if (ms < wait_ms)
                    wait_ms = ms;
                if (active >= (size_t)c->o.parallelism)
                    break;
            }
        if (active) {
            if (wait_ms > 0 || active >= (size_t)c->o.parallelism)
                curl_multi_poll(c->multi, NULL, 0, wait_ms > 0 ? (int)wait_ms : 1000, NULL);
        } else if (wait_ms > 0) {
            struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        (void)next;
    }
    return rc;
}

int kube_client_do(kube_client *c, kube_req *r)
{
    kube_req *one[1] = {r};

    kube_client_run(c, one, 1);
    return r->rc;
}

/* Contract: see kube.h. The message quotes the server's Status message
 * (the server never echoes credentials there) and adds the attempt count
 * when retries ran out. */
int kube_req_error(const kube_req *r, const char *what, sl_error *err)
{
    cJSON *st = NULL;
    const char *msg = NULL, *reason = NULL;
    sl_buf b = SL_BUF_INIT;
    int code;

    if (r->rc) {
        if (err) {
            *err = r->err;
            if (r->attempts > 1)
                sl_error_prefix(err, "%s (after %d attempts)", what, r->attempts);
            else
                sl_error_prefix(err, "%s", what);
        }
        return r->rc;
    }
    if (r->resp.len)
        st = cJSON_ParseWithLength(r->resp.ptr, r->resp.len);
    if (cJSON_IsObject(st)) {
        msg = sl_doc_str(st, "message");
        reason = sl_doc_str(st, "reason");
    }
    switch (r->status) {
    case 401:
        code = SL_EREFUSED;
        sl_buf_printf(&b, "unauthorized (401): the API server rejected the credentials "
                          "(expired or wrong token?)");
        break;
    case 403:
        code = SL_EREFUSED;
        sl_buf_printf(&b, "forbidden (403): %s", msg ? msg : "permission denied");
        break;
    case 404:
        code = SL_ENOTFOUND;
        sl_buf_printf(&b, "not found (404): %s", msg ? msg : "no such resource");
        break;
    case 409: {
        const cJSON *causes = sl_doc_path(st, "details.causes"), *cz;
        int nc = 0;
        code = SL_ECONFLICT;
        sl_buf_printf(&b, "conflict (409)");
        cJSON_ArrayForEach(cz, causes)
        {
            const char *f = sl_doc_str(cz, "field"), *m = sl_doc_str(cz, "message");
            sl_buf_printf(&b, "%s field %s: %s", nc++ ? ";" : ":", f ? f : "?", m ? m : "conflict");
        }
        if (!nc)
            sl_buf_printf(&b, ": %s", msg ? msg : "the object changed");
        if (nc)
            sl_buf_printf(&b, " (another field manager owns these fields: change them there, "
                              "remove them from git, or set force: true on the target to take "
                              "them over)");
        break;
    }
    case 400:
    case 422:
        code = SL_EINVAL;
        sl_buf_printf(&b, "rejected (%ld %s): %s", r->status, reason ? reason : "Invalid",
                      msg ? msg : "invalid object");
        break;
    default:
        code = SL_ENET;
        sl_buf_printf(&b, "API server error %ld%s%s%s%s", r->status, reason ? " " : "",
                      reason ? reason : "", msg ? ": " : "", msg ? msg : "");
        if (r->attempts > 1)
            sl_buf_printf(&b, " (after %d attempts)", r->attempts);
        break;
    }
    sl_error_set(err, code, "%s: %s", what, b.ptr ? b.ptr : "error");
    sl_buf_free(&b);
    cJSON_Delete(st);
    return code;
}
