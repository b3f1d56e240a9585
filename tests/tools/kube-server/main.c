/* kube-server: a test-only Kubernetes API server for sluice's tests and for
 * Debian's kubectl. Single process, in memory, libmicrohttpd thread pool.
 *
 * Usage:
 *   kube-server [--listen 127.0.0.1:0] [--port-file F] [--tls-cert F --tls-key F]
 *               [--token T]... [--delay-ready MS] [--fault SPEC]... [--log F]
 *               [--threads N]
 *
 *   --listen ADDR:PORT   address to listen on (default 127.0.0.1:0, a free port)
 *   --port-file F        write the port (one line) to F once listening
 *   --tls-cert/--tls-key serve HTTPS with this PEM certificate and key
 *   --token T            an accepted bearer token (repeatable); with none, no
 *                        authentication. Anything else gets 401 Unauthorized.
 *   --client-ca F        (with TLS) ask for a client certificate; one signed by
 *                        the PEM CA in F authenticates the request like a token
 *   --delay-ready MS     Deployments/StatefulSets/DaemonSets roll out, Jobs
 *                        complete, PVCs bind and CRDs become Established (their
 *                        kinds served) MS milliseconds after a change (default 0)
 *   --fault SPEC         fault injection (repeatable; first matching wins):
 *       status=CODE,path=SUB[,method=M][,count=N][,retry-after=S]
 *           answer CODE with a Status body, N times (default: forever), for
 *           requests whose "path?query" contains SUB (and method M)
 *       hang,path=SUB[,method=M][,count=N]
 *           accept the request and never answer it
 *       exit-after=N
 *           answer N requests, then exit(0) (the next request finds the
 *           server gone; a request in flight gets its connection closed)
 *   --log F              append one line per request: METHOD PATH?QUERY STATUS
 *                        (STATUS "hang" for a hung request)
 *   --threads N          worker threads (default 4)
 *
 * Prints "kube-server listening on http(s)://127.0.0.1:PORT" on stdout when
 * ready. SIGTERM/SIGINT stop it. See docs/development.md. */
#include "ks.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KS_MAX_BODY ((size_t)64 << 20)

enum { F_STATUS, F_HANG };

typedef struct fault {
    int kind;
    int code;
    char *path;
    char *method;
    long count; /* < 0: forever */
    long retry_after;
} fault;

static struct {
    sl_strv tokens;
    int client_ca;
    fault *faults;
    size_t nfaults;
    long exit_after; /* 0: never */
    FILE *log;
} g;

static pthread_mutex_t g_fault_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static long g_completed;
static volatile int g_exiting; /* exit-after reached: answer nothing more */
static long g_hung;

typedef struct conn_ctx {
    char *uri; /* raw path?query */
    sl_buf body;
    int started;
    int too_big;
} conn_ctx;

/* ---- options --------------------------------------------------------------- */

static int parse_fault(const char *spec, sl_error *err)
{
    fault f;
    char *copy = strdup(spec), *save = NULL;
    fault *v;

    memset(&f, 0, sizeof(f));
    f.count = -1;
    f.retry_after = -1;
    if (!copy)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        const char *val = eq ? eq + 1 : "";
        if (eq)
            *eq = '\0';
        if (!strcmp(t, "status") && eq) {
            f.kind = F_STATUS;
            f.code = atoi(val);
            if (f.code < 100 || f.code > 599)
                goto bad;
        } else if (!strcmp(t, "hang") && !eq) {
            f.kind = F_HANG;
        } else if (!strcmp(t, "exit-after") && eq) {
            g.exit_after = atol(val);
            if (g.exit_after <= 0)
                goto bad;
            free(copy);
            return 0;
        } else if (!strcmp(t, "path") && eq) {
            free(f.path);
            f.path = strdup(val);
        } else if (!strcmp(t, "method") && eq) {
            free(f.method);
            f.method = strdup(val);
        } else if (!strcmp(t, "count") && eq) {
            f.count = atol(val);
        } else if (!strcmp(t, "retry-after") && eq) {
            f.retry_after = atol(val);
        } else {
            goto bad;
        }
    }
    if (!f.path)
        f.path = strdup("");
    if (!(v = realloc(g.faults, (g.nfaults + 1) * sizeof(*v))))
        goto bad;
    g.faults = v;
    g.faults[g.nfaults++] = f;
    free(copy);
    return 0;
bad:
    free(f.path);
    free(f.method);
    free(copy);
    return sl_error_set(err, SL_EINVAL,
                        "bad --fault \"%s\": expected status=CODE,path=SUB[,method=M][,count=N]"
                        "[,retry-after=S], hang,path=SUB[,count=N] or exit-after=N",
                        spec);
}

/* ---- responses --------------------------------------------------------------- */

static void log_line(const char *method, const char *uri, const char *status)
{
    if (!g.log)
        return;
    pthread_mutex_lock(&g_log_lock);
    fprintf(g.log, "%s %s %s\n", method, uri, status);
    fflush(g.log);
    pthread_mutex_unlock(&g_log_lock);
}

static enum MHD_Result send_text(struct MHD_Connection *conn, const char *method, conn_ctx *c,
                                 unsigned code, const char *type, char *text, long retry_after)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    char cs[32];

    if (!text)
        return MHD_NO;
    r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, private");
    if (retry_after >= 0) {
        snprintf(cs, sizeof(cs), "%ld", retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, cs);
    }
    snprintf(cs, sizeof(cs), "%u", code);
    log_line(method, c->uri, cs);
    ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, const char *method, conn_ctx *c,
                                 unsigned code, cJSON *body, long retry_after)
{
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;

    cJSON_Delete(body);
    if (!text)
        text = strdup("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                      "\"message\":\"out of memory\",\"reason\":\"InternalError\",\"code\":500}");
    return send_text(conn, method, c, code, "application/json", text, retry_after);
}

/* A watch: newline-delimited JSON events, streamed (chunked) as they come. */
typedef struct wstream {
    ks_watch *w;
    struct MHD_Connection *conn;
    sl_buf buf;
    size_t off;
    int done;
    double last; /* when something was last written */
} wstream;

/* A watch with nothing to send is parked (its connection suspended, so it
 * holds no worker thread); the pacer thread resumes the parked ones every
 * 20 ms and they poll again. */
static pthread_mutex_t g_park_lock = PTHREAD_MUTEX_INITIALIZER;
static struct MHD_Connection **g_parked;
static size_t g_nparked, g_capparked;
static volatile int g_stopping;

static int park(struct MHD_Connection *conn)
{
    int rc = 0;

    pthread_mutex_lock(&g_park_lock);
    if (g_nparked == g_capparked) {
        size_t cap = g_capparked ? g_capparked * 2 : 64;
        struct MHD_Connection **v = realloc(g_parked, cap * sizeof(*v));
        if (!v)
            rc = -1;
        else {
            g_parked = v;
            g_capparked = cap;
        }
    }
    if (!rc) {
        g_parked[g_nparked++] = conn;
        MHD_suspend_connection(conn);
    }
    pthread_mutex_unlock(&g_park_lock);
    return rc;
}

static void *pacer(void *arg)
{
    struct MHD_Connection **batch = NULL;
    size_t cap = 0;

    for (;;) {
        size_t n;
        usleep(20000);
        pthread_mutex_lock(&g_park_lock);
        n = g_nparked;
        if (n > cap) {
            struct MHD_Connection **v = realloc(batch, n * sizeof(*v));
            if (!v) {
                pthread_mutex_unlock(&g_park_lock);
                continue;
            }
            batch = v;
            cap = n;
        }
        if (n)
            memcpy(batch, g_parked, n * sizeof(*batch));
        g_nparked = 0;
        pthread_mutex_unlock(&g_park_lock);
        for (size_t i = 0; i < n; i++)
            MHD_resume_connection(batch[i]);
    }
    return arg;
}

static ssize_t watch_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    wstream *s = cls;

    if (s->off >= s->buf.len) {
        sl_buf_reset(&s->buf);
        s->off = 0;
        if (s->done || g_stopping)
            return MHD_CONTENT_READER_END_OF_STREAM;
        s->done = ks_watch_poll(s->w, &s->buf);
        if (!s->buf.len) {
            if (s->done)
                return MHD_CONTENT_READER_END_OF_STREAM;
            if (ks_now() - s->last < 1.0) {
                /* nothing yet: wait parked (or, if that fails, here) */
                if (park(s->conn))
                    usleep(20000);
                return 0;
            }
            /* a newline now and then (JSON whitespace between events) lets a
             * closed connection be noticed, so its watch ends */
            if (sl_buf_putc(&s->buf, '\n'))
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        s->last = ks_now();
    }
    {
        size_t n = s->buf.len - s->off;
        if (n > max)
            n = max;
        memcpy(buf, s->buf.ptr + s->off, n);
        s->off += n;
        return (ssize_t)n;
    }
}

static void watch_done(void *cls)
{
    wstream *s = cls;

    ks_watch_free(s->w);
    sl_buf_free(&s->buf);
    free(s);
}

static enum MHD_Result send_watch(struct MHD_Connection *conn, const char *method, conn_ctx *c,
                                  ks_watch *w)
{
    wstream *s = calloc(1, sizeof(*s));
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (!s) {
        ks_watch_free(w);
        return MHD_NO;
    }
    s->w = w;
    s->conn = conn;
    s->last = ks_now();
    sl_buf_init(&s->buf, (size_t)256 << 20);
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, watch_reader, s, watch_done);
    if (!r) {
        watch_done(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, private");
    log_line(method, c->uri, "200");
    ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static const char *reason_for(int code)
{
    switch (code) {
    case 400:
        return "BadRequest";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "NotFound";
    case 405:
        return "MethodNotAllowed";
    case 409:
        return "Conflict";
    case 410:
        return "Expired";
    case 422:
        return "Invalid";
    case 429:
        return "TooManyRequests";
    case 500:
        return "InternalError";
    case 503:
        return "ServiceUnavailable";
    case 504:
        return "Timeout";
    default:
        return code >= 500 ? "InternalError" : "BadRequest";
    }
}

static const char *message_for(int code)
{
    switch (code) {
    case 401:
        return "Unauthorized";
    case 403:
        return "forbidden: the test server was told to refuse this request";
    case 404:
        return "the server could not find the requested resource";
    case 409:
        return "Operation cannot be fulfilled: the object has been modified";
    case 429:
        return "Too many requests, please try again later.";
    case 503:
        return "the server is currently unable to handle the request";
    case 504:
        return "the server was unable to return a response in the time allotted";
    default:
        return code >= 500 ? "an error on the server (\"injected fault\") has prevented the "
                             "request from succeeding"
                           : "the server rejected the request";
    }
}

/* ---- routing -------------------------------------------------------------------- */

static const char *query(struct MHD_Connection *conn, const char *key)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

static char *version_doc(void)
{
    return strdup("{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0-kube-server\","
                  "\"gitCommit\":\"0000000000000000000000000000000000000000\","
                  "\"gitTreeState\":\"clean\",\"buildDate\":\"2025-01-01T00:00:00Z\","
                  "\"goVersion\":\"go1.23\",\"compiler\":\"gc\",\"platform\":\"linux/amd64\"}");
}

/* Split url (after the leading '/') into at most max segments in buf. */
static size_t split_path(const char *url, char *buf, size_t bufn, char **seg, size_t max)
{
    size_t n = 0;
    char *p;

    snprintf(buf, bufn, "%s", url[0] == '/' ? url + 1 : url);
    p = buf;
    while (*p && n < max) {
        char *s = strchr(p, '/');
        seg[n++] = p;
        if (!s)
            break;
        *s = '\0';
        p = s + 1;
    }
    /* drop a trailing empty segment ("/apis/") */
    if (n && !*seg[n - 1])
        n--;
    return n;
}

static enum MHD_Result serve_discovery(struct MHD_Connection *conn, const char *method, conn_ctx *c,
                                       char **seg, size_t n, int *handled)
{
    cJSON *doc = NULL;
    char *text = NULL;

    *handled = 1;
    if (strcmp(method, "GET")) {
        *handled = 0;
        return MHD_YES;
    }
    if (n == 1 && !strcmp(seg[0], "version"))
        return send_text(conn, method, c, 200, "application/json", version_doc(), -1);
    if (n == 1 &&
        (!strcmp(seg[0], "healthz") || !strcmp(seg[0], "readyz") || !strcmp(seg[0], "livez")))
        return send_text(conn, method, c, 200, "text/plain", strdup("ok"), -1);
    ks_lock();
    if (n == 1 && !strcmp(seg[0], "api"))
        doc = ks_discovery_api();
    else if (n == 2 && !strcmp(seg[0], "api"))
        doc = ks_discovery_resources("", seg[1]);
    else if (n == 1 && !strcmp(seg[0], "apis"))
        doc = ks_discovery_groups();
    else if (n == 2 && !strcmp(seg[0], "apis"))
        doc = ks_discovery_group(seg[1]);
    else if (n == 3 && !strcmp(seg[0], "apis"))
        doc = ks_discovery_resources(seg[1], seg[2]);
    else if (n >= 2 && !strcmp(seg[0], "openapi") && !strcmp(seg[1], "v3")) {
        if (n == 2)
            doc = ks_openapi_v3_index();
        else if (n == 4 && !strcmp(seg[2], "api"))
            doc = ks_openapi_v3_gv("", seg[3]);
        else if (n == 5 && !strcmp(seg[2], "apis"))
            doc = ks_openapi_v3_gv(seg[3], seg[4]);
        if (!doc) {
            ks_unlock();
            return send_json(conn, method, c, 404,
                             ks_status(404, "NotFound",
                                       "the server could not find the requested "
                                       "resource",
                                       NULL, NULL, NULL),
                             -1);
        }
    } else if (n == 2 && !strcmp(seg[0], "openapi") && !strcmp(seg[1], "v2")) {
        /* an empty but valid document: kubectl finds no schema for any kind
         * and skips client-side validation */
        const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
        ks_unlock();
        if (accept && strstr(accept, "protobuf")) {
            static const unsigned char pb[] = {
                0x0a, 0x03, '2', '.', '0',  0x12, 0x15, 0x0a, 0x0a, 'K', 'u', 'b', 'e', 'r',  'n',
                'e',  't',  'e', 's', 0x12, 0x07, 'v',  '1',  '.',  '3', '2', '.', '0', 0x42, 0x00};
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(sizeof(pb), (void *)pb, MHD_RESPMEM_PERSISTENT);
            enum MHD_Result ret;
            if (!resp)
                return MHD_NO;
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    "application/octet-stream"); /* as kube-openapi answers */
            log_line(method, c->uri, "200");
            ret = MHD_queue_response(conn, 200, resp);
            MHD_destroy_response(resp);
            return ret;
        }
        return send_text(conn, method, c, 200, "application/json",
                         strdup("{\"swagger\":\"2.0\",\"info\":{\"title\":\"Kubernetes\","
                                "\"version\":\"v1.32.0\"},\"paths\":{},\"definitions\":{}}"),
                         -1);
    } else if (n >= 2 && !strcmp(seg[0], "openapi")) {
        ks_unlock();
        return send_json(conn, method, c, 404,
                         ks_status(404, "NotFound",
                                   "the server could not find the requested "
                                   "resource",
                                   NULL, NULL, NULL),
                         -1);
    } else {
        ks_unlock();
        *handled = 0;
        return MHD_YES;
    }
    ks_unlock();
    if (!doc) {
        return send_json(conn, method, c, 404,
                         ks_status(404, "NotFound",
                                   "the server could not find the requested "
                                   "resource",
                                   NULL, NULL, NULL),
                         -1);
    }
    text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return send_text(conn, method, c, 200, "application/json", text, -1);
}

static int is_namespaced_plural(const char *group, const char *version, const char *plural)
{
    const ks_kind *k;
    int yes;

    ks_lock();
    k = ks_kind_by_plural(group, version, plural);
    yes = k && k->namespaced;
    ks_unlock();
    return yes;
}

static enum MHD_Result serve_resource(struct MHD_Connection *conn, const char *method, conn_ctx *c,
                                      char **seg, size_t n)
{
    ks_req r;
    ks_resp out;
    size_t i;

    memset(&r, 0, sizeof(r));
    r.method = method;
    if (n >= 3 && !strcmp(seg[0], "api")) {
        r.group = "";
        r.version = seg[1];
        i = 2;
    } else if (n >= 4 && !strcmp(seg[0], "apis")) {
        r.group = seg[1];
        r.version = seg[2];
        i = 3;
    } else {
        return send_json(conn, method, c, 404,
                         ks_status(404, "NotFound",
                                   "the server could not find the requested "
                                   "resource",
                                   NULL, NULL, NULL),
                         -1);
    }
    if (n - i >= 3 && !strcmp(seg[i], "namespaces") &&
        is_namespaced_plural(r.group, r.version, seg[i + 2])) {
        r.ns = seg[i + 1];
        i += 2;
    }
    r.plural = seg[i];
    if (n - i >= 2)
        r.name = seg[i + 1];
    if (n - i >= 3)
        r.sub = seg[i + 2];
    if (n - i > 3)
        return send_json(conn, method, c, 404,
                         ks_status(404, "NotFound",
                                   "the server could not find the requested "
                                   "resource",
                                   NULL, NULL, NULL),
                         -1);
    r.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    r.accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
    r.user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
    r.body = c->body.ptr;
    r.body_len = c->body.len;
    r.field_manager = query(conn, "fieldManager");
    r.dry_run = query(conn, "dryRun");
    r.force = query(conn, "force");
    r.label_selector = query(conn, "labelSelector");
    r.field_selector = query(conn, "fieldSelector");
    r.watch = query(conn, "watch");
    r.resource_version = query(conn, "resourceVersion");
    r.timeout_seconds = query(conn, "timeoutSeconds");
    ks_api_handle(&r, &out);
    if (out.watch)
        return send_watch(conn, method, c, out.watch);
    return send_json(conn, method, c, (unsigned)out.code, out.body, -1);
}

/* ---- the handler ------------------------------------------------------------------- */

/* Whether the TLS peer sent a certificate that verifies against
 * --client-ca (MHD loaded it as the session's trust list). */
static int client_cert_ok(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci;
    gnutls_session_t s;
    unsigned status = 1;

    if (!g.client_ca)
        return 0;
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !(s = (gnutls_session_t)ci->tls_session))
        return 0;
    if (!gnutls_certificate_get_peers(s, &(unsigned){0}))
        return 0;
    if (gnutls_certificate_verify_peers2(s, &status) != GNUTLS_E_SUCCESS)
        return 0;
    return status == 0;
}

static int token_ok(struct MHD_Connection *conn)
{
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");

    if (!g.tokens.n && !g.client_ca)
        return 1;
    if (client_cert_ok(conn))
        return 1;
    if (!auth || strncasecmp(auth, "Bearer ", 7))
        return 0;
    return sl_strv_contains(&g.tokens, auth + 7);
}

/* The first fault matching this request (count used up), or NULL. */
static const fault *match_fault(const char *method, const char *uri, fault *copy)
{
    const fault *hit = NULL;

    pthread_mutex_lock(&g_fault_lock);
    for (size_t i = 0; i < g.nfaults; i++) {
        fault *f = &g.faults[i];
        if (!f->count || !strstr(uri, f->path) || (f->method && strcasecmp(f->method, method)))
            continue;
        if (f->count > 0)
            f->count--;
        *copy = *f;
        hit = copy;
        break;
    }
    pthread_mutex_unlock(&g_fault_lock);
    return hit;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    conn_ctx *c = *con_cls;
    char buf[2048], *seg[16];
    size_t n;
    fault fc;
    const fault *f;
    enum MHD_Result ret;
    int handled;

    if (!c || g_exiting)
        return MHD_NO;
    if (!c->started) {
        c->started = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!c->too_big && (c->body.len + *upload_size > KS_MAX_BODY ||
                            sl_buf_put(&c->body, upload, *upload_size)))
            c->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if ((f = match_fault(method, c->uri ? c->uri : url, &fc))) {
        if (f->kind == F_HANG) {
            __atomic_add_fetch(&g_hung, 1, __ATOMIC_SEQ_CST);
            log_line(method, c->uri, "hang");
            MHD_suspend_connection(conn);
            return MHD_YES;
        }
        {
            char msg[256];
            snprintf(msg, sizeof(msg), "%s", message_for(f->code));
            return send_json(conn, method, c, (unsigned)f->code,
                             ks_status(f->code, reason_for(f->code), msg, NULL, NULL, NULL),
                             f->retry_after);
        }
    }
    if (!token_ok(conn))
        return send_json(conn, method, c, 401,
                         ks_status(401, "Unauthorized", "Unauthorized", NULL, NULL, NULL), -1);
    if (c->too_big)
        return send_json(conn, method, c, 413,
                         ks_status(413, "RequestEntityTooLarge", "the request body is too large",
                                   NULL, NULL, NULL),
                         -1);
    n = split_path(url, buf, sizeof(buf), seg, 16);
    ret = serve_discovery(conn, method, c, seg, n, &handled);
    if (handled)
        return ret;
    return serve_resource(conn, method, c, seg, n);
}

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
    conn_ctx *c = calloc(1, sizeof(*c));

    if (c) {
        c->uri = strdup(uri);
        sl_buf_init(&c->body, KS_MAX_BODY + 1);
    }
    return c;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode code)
{
    conn_ctx *c = *con_cls;

    if (c) {
        free(c->uri);
        sl_buf_free(&c->body);
        free(c);
        *con_cls = NULL;
    }
    if (code == MHD_REQUEST_TERMINATED_COMPLETED_OK && g.exit_after &&
        __atomic_add_fetch(&g_completed, 1, __ATOMIC_SEQ_CST) == g.exit_after) {
        /* main goes away at once; until then requests are dropped unanswered */
        g_exiting = 1;
        kill(getpid(), SIGUSR1);
    }
}

/* ---- main ------------------------------------------------------------------------------ */

static int usage(void)
{
    fprintf(stderr, "usage: kube-server [--listen ADDR:PORT] [--port-file F] [--tls-cert F "
                    "--tls-key F] [--token T]... [--delay-ready MS] [--fault SPEC]... [--log F] "
                    "[--threads N]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *listen = "127.0.0.1:0", *port_file = NULL, *cert_file = NULL, *key_file = NULL;
    const char *ca_file = NULL;
    sl_buf cert = SL_BUF_INIT, key = SL_BUF_INIT, ca = SL_BUF_INIT;
    struct sockaddr_in sa;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    unsigned threads = 4, port;
    sl_error err;
    sigset_t sigs;
    int sig;
    char host[64];

    sl_error_clear(&err);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage();
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--listen"))
            listen = v;
        else if (!strcmp(a, "--port-file"))
            port_file = v;
        else if (!strcmp(a, "--tls-cert"))
            cert_file = v;
        else if (!strcmp(a, "--tls-key"))
            key_file = v;
        else if (!strcmp(a, "--token"))
            sl_strv_push(&g.tokens, v);
        else if (!strcmp(a, "--client-ca"))
            ca_file = v;
        else if (!strcmp(a, "--delay-ready"))
            ks_delay_ready = atof(v) / 1000.0;
        else if (!strcmp(a, "--threads"))
            threads = (unsigned)atoi(v);
        else if (!strcmp(a, "--fault")) {
            if (parse_fault(v, &err)) {
                fprintf(stderr, "kube-server: %s\n", err.msg);
                return 2;
            }
        } else if (!strcmp(a, "--log")) {
            if (!(g.log = fopen(v, "a"))) {
                fprintf(stderr, "kube-server: cannot open log %s: %s\n", v, strerror(errno));
                return 2;
            }
        } else
            return usage();
    }
    if (!cert_file != !key_file) {
        fprintf(stderr, "kube-server: --tls-cert and --tls-key go together\n");
        return 2;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    {
        const char *colon = strrchr(listen, ':');
        size_t hl = colon ? (size_t)(colon - listen) : 0;
        if (!colon || hl >= sizeof(host)) {
            fprintf(stderr, "kube-server: --listen wants ADDR:PORT, got \"%s\"\n", listen);
            return 2;
        }
        memcpy(host, listen, hl);
        host[hl] = '\0';
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
            fprintf(stderr, "kube-server: --listen: \"%s\" is not an IPv4 address\n", host);
            return 2;
        }
        sa.sin_port = htons((unsigned short)atoi(colon + 1));
    }
    if (cert_file) {
        if (sl_file_read(cert_file, 1 << 20, &cert, &err) ||
            sl_file_read(key_file, 1 << 20, &key, &err)) {
            fprintf(stderr, "kube-server: %s\n", err.msg);
            return 2;
        }
        flags |= MHD_USE_TLS;
    }
    if (ks_store_init()) {
        fprintf(stderr, "kube-server: out of memory\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (threads < 1)
        threads = 1;
    if (ca_file && !cert_file) {
        fprintf(stderr, "kube-server: --client-ca needs --tls-cert and --tls-key\n");
        return 2;
    }
    if (ca_file && sl_file_read(ca_file, 1 << 20, &ca, &err)) {
        fprintf(stderr, "kube-server: %s\n", err.msg);
        return 2;
    }
    g.client_ca = ca_file != NULL;
    if (ca_file)
        d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                             MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_URI_LOG_CALLBACK,
                             uri_logger, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)256 * 1024,
                             MHD_OPTION_CONNECTION_TIMEOUT, 600u,
                             MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_HTTPS_MEM_CERT,
                             cert.ptr, MHD_OPTION_HTTPS_MEM_KEY, key.ptr,
                             MHD_OPTION_HTTPS_MEM_TRUST, ca.ptr, MHD_OPTION_END);
    else if (cert_file)
        d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                             MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_URI_LOG_CALLBACK,
                             uri_logger, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)256 * 1024,
                             MHD_OPTION_CONNECTION_TIMEOUT, 600u,
                             MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_HTTPS_MEM_CERT,
                             cert.ptr, MHD_OPTION_HTTPS_MEM_KEY, key.ptr, MHD_OPTION_END);
    else
        d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                             MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_URI_LOG_CALLBACK,
                             uri_logger, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)256 * 1024,
                             MHD_OPTION_CONNECTION_TIMEOUT, 600u,
                             MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "kube-server: cannot listen on %s (in use, or a bad certificate/key)\n",
                listen);
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    port = info ? info->port : ntohs(sa.sin_port);
    if (port_file) {
        char tmp[4096];
        FILE *pf;
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        if (!(pf = fopen(tmp, "w")) || fprintf(pf, "%u\n", port) < 0 || fclose(pf) ||
            rename(tmp, port_file)) {
            fprintf(stderr, "kube-server: cannot write %s: %s\n", port_file, strerror(errno));
            return 1;
        }
    }
    {
        pthread_t th;
        if (pthread_create(&th, NULL, pacer, NULL)) {
            fprintf(stderr, "kube-server: cannot start a thread\n");
            return 1;
        }
        pthread_detach(th);
    }
    printf("kube-server listening on %s://%s:%u\n", cert_file ? "https" : "http", host, port);
    fflush(stdout);
    while (sigwait(&sigs, &sig) == 0 && sig != SIGINT && sig != SIGTERM && sig != SIGUSR1)
        ;
    if (sig == SIGUSR1) {
        /* --fault exit-after: the server goes away mid-conversation, as a
         * crashed API server would (no graceful close of open connections) */
        if (g.log)
            fflush(g.log);
        fflush(stdout);
        _exit(0);
    }
    /* parked watches end at their next poll; libmicrohttpd refuses to stop
     * with suspended (hung) connections */
    g_stopping = 1;
    usleep(100000);
    if (!__atomic_load_n(&g_hung, __ATOMIC_SEQ_CST)) {
        pthread_mutex_lock(&g_park_lock);
        if (!g_nparked)
            MHD_stop_daemon(d);
        pthread_mutex_unlock(&g_park_lock);
    }
    if (g.log)
        fclose(g.log);
    sl_buf_free(&cert);
    sl_buf_free(&ca);
    sl_buf_free(&key);
    sl_strv_free(&g.tokens);
    return 0;
}
