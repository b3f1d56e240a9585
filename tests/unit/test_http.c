/* test_http.c: the real HTTP server on 127.0.0.1:0, configured from a
 * sluice.yaml written to a temp dir, driven with libcurl (and a raw socket
 * where curl would hide what the server did). Fake daemon hooks record
 * which sources were triggered. Push bodies are the GitHub conformance
 * payloads from $SL_SHARED_DIR/conformance/github-webhooks. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/hmac.h>

#include "sl_http.h"
#include "sl_test.h"

#define SECRET_A "It's a Secret to Everybody"
#define SECRET_B "another secret, for hello-b"
#define TOKEN "generic-token-0123456789"
#define MAX_TRIG 256

typedef struct srv {
    char *dir;
    sl_config *cfg;
    sl_metrics *m;
    sl_http *h;
    int port;
    pthread_mutex_t lock;
    int nt;
    char trig[MAX_TRIG][64];
    char ref[MAX_TRIG][256];
    int has_ev[MAX_TRIG];
    int ready;
} srv;

typedef struct resp {
    long code;
    char body[16384];
    size_t len;
    char ctype[128];
    double secs;
    CURLcode cc;
} resp;

/* ---- fake daemon ---- */

static void fake_trigger(void *ctx, const char *name, const char *why, const sl_webhook_event *ev)
{
    srv *s = ctx;

    pthread_mutex_lock(&s->lock);
    if (s->nt < MAX_TRIG) {
        snprintf(s->trig[s->nt], sizeof(s->trig[0]), "%s", name);
        snprintf(s->ref[s->nt], sizeof(s->ref[0]), "%s", ev ? ev->ref : "");
        s->has_ev[s->nt] = ev != NULL;
        s->nt++;
    }
    pthread_mutex_unlock(&s->lock);
    (void)why;
}

static int fake_status(void *ctx, const char *app, sl_buf *out)
{
    (void)ctx;
    if (!app)
        return sl_buf_puts(out, "{\"apps\":[{\"name\":\"web\",\"revision\":\"abc\"}]}");
    if (!strcmp(app, "web"))
        return sl_buf_puts(out, "{\"name\":\"web\",\"revision\":\"abc\"}");
    return SL_ENOTFOUND;
}

static int fake_ready(void *ctx)
{
    srv *s = ctx;
    int r;

    pthread_mutex_lock(&s->lock);
    r = s->ready;
    pthread_mutex_unlock(&s->lock);
    return r;
}

static int ntrig(srv *s)
{
    int n;

    pthread_mutex_lock(&s->lock);
    n = s->nt;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static int triggered(srv *s, const char *name)
{
    int n = 0;

    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->nt; i++)
        n += !strcmp(s->trig[i], name);
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void reset_trig(srv *s)
{
    pthread_mutex_lock(&s->lock);
    s->nt = 0;
    pthread_mutex_unlock(&s->lock);
}

/* ---- server setup ---- */

static int write_file(const char *dir, const char *name, const char *content)
{
    char path[4200];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return sl_test_write(path, content);
}

#define CONFIG_FMT                                                                                 \
    "stateDir: state\n"                                                                            \
    "listen: 127.0.0.1:0\n"                                                                        \
    "webhook: { maxBodySize: 64Ki, rateLimit: %s }\n"                                              \
    "sources:\n"                                                                                   \
    "  hello:\n"                                                                                   \
    "    git: https://github.com/Codertocat/Hello-World.git\n"                                     \
    "    ref: master\n"                                                                            \
    "    webhook: { github: { secretFile: secret-a } }\n"                                          \
    "  hello-ssh:\n" /* the same secret, another file; no ref: any branch */                       \
    "    git: git@github.com:Codertocat/Hello-World.git\n"                                         \
    "    webhook: { github: { secretFile: secret-a-copy } }\n"                                     \
    "  hello-b:\n" /* same repo and branch, its own secret */                                      \
    "    git: https://github.com/Codertocat/Hello-World.git\n"                                     \
    "    ref: master\n"                                                                            \
    "    webhook: { github: { secretFile: secret-b } }\n"                                          \
    "  hello-dev:\n" /* another branch */                                                          \
    "    git: https://github.com/Codertocat/Hello-World.git\n"                                     \
    "    ref: dev\n"                                                                               \
    "    webhook: { github: { secretFile: secret-a } }\n"                                          \
    "  other:\n" /* another repository */                                                          \
    "    git: file://%s/other.git\n"                                                               \
    "    ref: master\n"                                                                            \
    "    webhook: { github: { secretFile: secret-a } }\n"                                          \
    "  plain: { git: \"file://%s/plain.git\" }\n"                                                  \
    "  gen:\n"                                                                                     \
    "    git: file://%s/gen.git\n"                                                                 \
    "    webhook: { generic: { tokenFile: token } }\n"                                             \
    "targets:\n"                                                                                   \
    "  out: { directory: out }\n"                                                                  \
    "apps:\n"                                                                                      \
    "  - { name: web, source: plain, target: out, render: manifests }\n"

static int load_config(srv *s, const char *rate, sl_config **out)
{
    char *text = NULL, path[4200];
    sl_diags d = {0};
    int rc;

    if (asprintf(&text, CONFIG_FMT, rate, s->dir, s->dir, s->dir) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/sluice.yaml", s->dir);
    sl_test_write(path, text);
    rc = sl_config_parse(path, text, strlen(text), out, &d);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "  config: %s\n", d.v[i].msg);
    sl_diags_free(&d);
    free(text);
    return rc;
}

/* Remembered delivery ids; small so that eviction is tested, raised
 * where a test must not depend on eviction timing. */
static size_t g_dedupe = 64;

static int start(srv *s, const char *rate)
{
    sl_http_opts o;
    sl_http_hooks hk = {s, fake_trigger, fake_status, fake_ready};
    sl_error err;

    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->dir = sl_test_tmpdir();
    /* files end with a newline, as `echo secret > file` writes them */
    write_file(s->dir, "secret-a", SECRET_A "\n");
    write_file(s->dir, "secret-a-copy", "  " SECRET_A "\r\n");
    write_file(s->dir, "secret-b", SECRET_B "\n");
    write_file(s->dir, "token", TOKEN "\n");
    if (load_config(s, rate, &s->cfg))
        return -1;
    if (sl_metrics_new(&s->m))
        return -1;
    memset(&o, 0, sizeof(o));
    o.listen = s->cfg->listen;
    o.metrics = s->m;
    o.dedupe = g_dedupe;
    if (sl_http_start(&o, s->cfg, &hk, &s->h, &err)) {
        fprintf(stderr, "  start: %s\n", err.msg);
        return -1;
    }
    s->port = sl_http_port(s->h);
    return s->port > 0 ? 0 : -1;
}

static void stop(srv *s)
{
    sl_http_stop(s->h);
    sl_metrics_free(s->m);
    sl_config_free(s->cfg);
    sl_test_sh("rm -rf '%s'", s->dir);
    free(s->dir);
    pthread_mutex_destroy(&s->lock);
}

/* ---- clients ---- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    size_t k = sz * n;

    if (r->len + k >= sizeof(r->body))
        k = sizeof(r->body) - 1 - r->len;
    memcpy(r->body + r->len, p, k);
    r->len += k;
    r->body[r->len] = '\0';
    return sz * n;
}

/* A streaming body of zeros: `total` bytes (or endless when 0), counting
 * what curl actually pulled. */
typedef struct stream {
    size_t total, sent;
} stream;

static size_t on_read(char *buf, size_t sz, size_t n, void *ud)
{
    stream *st = ud;
    size_t k = sz * n;

    if (st->total && st->total - st->sent < k)
        k = st->total - st->sent;
    if (st->sent > ((size_t)64 << 20)) /* a safety stop for the chunked case */
        return 0;
    memset(buf, '0', k);
    st->sent += k;
    return k;
}

static void request(CURL *c, srv *s, const char *method, const char *path, const char *body,
                    size_t len, struct curl_slist *hdrs, resp *r)
{
    char url[512];
    char *ct = NULL;
    double t0 = now();

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (strcmp(method, body ? "POST" : "GET"))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    r->cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
    r->secs = now() - t0;
}

static void get(srv *s, const char *path, resp *r)
{
    CURL *c = curl_easy_init();

    request(c, s, "GET", path, NULL, 0, NULL, r);
    curl_easy_cleanup(c);
}

static void hmac_hex(const char *secret, const char *body, size_t len, char *out, size_t n)
{
    unsigned char mac[32];
    unsigned int ml = 0;
    size_t off;

    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &ml);
    off = (size_t)snprintf(out, n, "X-Hub-Signature-256: sha256=");
    for (unsigned i = 0; i < ml && off + 3 <= n; i++)
        off += (size_t)snprintf(out + off, n - off, "%02x", mac[i]);
}

/* POST /hooks/github with event, delivery id and a signature made with
 * secret (NULL: no signature header). */
static void deliver(CURL *c, srv *s, const char *event, const char *delivery, const char *secret,
                    const char *body, size_t len, resp *r)
{
    struct curl_slist *h = NULL;
    char line[256];

    h = curl_slist_append(h, "Content-Type: application/json");
    snprintf(line, sizeof(line), "X-GitHub-Event: %s", event);
    h = curl_slist_append(h, line);
    if (delivery) {
        snprintf(line, sizeof(line), "X-GitHub-Delivery: %s", delivery);
        h = curl_slist_append(h, line);
    }
    if (secret) {
        hmac_hex(secret, body, len, line, sizeof(line));
        h = curl_slist_append(h, line);
    }
    h = curl_slist_append(h, "User-Agent: GitHub-Hookshot/test");
    request(c, s, "POST", "/hooks/github", body, len, h, r);
    curl_slist_free_all(h);
}

static int read_push(const char *name, sl_buf *b)
{
    char path[4200];
    sl_error err;

    snprintf(path, sizeof(path), "%s/conformance/github-webhooks/push/%s", sl_test_shared_dir(),
             name);
    if (sl_file_read(path, 0, b, &err)) {
        fprintf(stderr, "  cannot read %s: %s\n", path, err.msg);
        return -1;
    }
    return 0;
}

static double metric(srv *s, const char *needle)
{
    sl_buf b = SL_BUF_INIT;
    const char *p;
    double v = 0;

    sl_metrics_write(s->m, &b);
    if (b.ptr && (p = strstr(b.ptr, needle)))
        v = strtod(p + strlen(needle), NULL);
    sl_buf_free(&b);
    return v;
}

/* ---- tests ---- */

static void test_github_push(void)
{
    srv s;
    sl_buf push = SL_BUF_INIT;
    CURL *c = curl_easy_init();
    resp r;

    if (start(&s, "100") || read_push("with-new-branch.payload.json", &push)) {
        SL_CHECK(!"server did not start");
        return;
    }
    /* signed with hello's secret: hello (master) and hello-ssh (same secret,
     * any branch) only, not hello-b (other secret), hello-dev (other branch)
     * or other (other repository) */
    deliver(c, &s, "push", "d-1", SECRET_A, push.ptr, push.len, &r);
    SL_CHECK_INT(r.code, 202);
    SL_CHECK_HAS(r.ctype, "application/json");
    SL_CHECK_HAS(r.body, "\"hello\"");
    SL_CHECK_INT(triggered(&s, "hello"), 1);
    SL_CHECK_INT(triggered(&s, "hello-ssh"), 1);
    SL_CHECK_INT(ntrig(&s), 2);
    SL_CHECK_STR(s.ref[0], "refs/heads/master");
    SL_CHECK(s.has_ev[0]);
    SL_CHECK(r.secs < 5.0); /* answered at once: the fetch does not block the hook */

    /* the same push signed with hello-b's secret reaches hello-b only */
    reset_trig(&s);
    deliver(c, &s, "push", "d-2", SECRET_B, push.ptr, push.len, &r);
    SL_CHECK_INT(r.code, 202);
    SL_CHECK_INT(triggered(&s, "hello-b"), 1);
    SL_CHECK_INT(ntrig(&s), 1);

    /* a duplicate delivery id triggers nothing */
    reset_trig(&s);
    deliver(c, &s, "push", "d-1", SECRET_A, push.ptr, push.len, &r);
    SL_CHECK_INT(r.code, 200);
    SL_CHECK_HAS(r.body, "duplicate");
    SL_CHECK_INT(ntrig(&s), 0);

    /* wrong and missing signatures: 401, nothing triggered, nothing revealed */
    deliver(c, &s, "push", "d-3", "not the secret", push.ptr, push.len, &r);
    SL_CHECK_INT(r.code, 401);
    SL_CHECK(!strstr(r.body, SECRET_A) && !strstr(r.body, "sha256"));
    deliver(c, &s, "push", "d-4", NULL, push.ptr, push.len, &r);
    SL_CHECK_INT(r.code, 401);
    /* a valid signature over another body */
    {
        char line[256];
        struct curl_slist *h = NULL;
        hmac_hex(SECRET_A, "{}", 2, line, sizeof(line));
        h = curl_slist_append(h, line);
        h = curl_slist_append(h, "X-GitHub-Event: push");
        request(c, &s, "POST", "/hooks/github", push.ptr, push.len, h, &r);
        SL_CHECK_INT(r.code, 401);
        curl_slist_free_all(h);
    }
    SL_CHECK_INT(ntrig(&s), 0);

    /* ping: answered; other events: accepted, ignored */
    deliver(c, &s, "ping", "d-5", SECRET_A, "{\"zen\":\"x\"}", 11, &r);
    SL_CHECK_INT(r.code, 200);
    deliver(c, &s, "create", "d-6", SECRET_A, "{\"ref\":\"x\"}", 11, &r);
    SL_CHECK_INT(r.code, 202);
    SL_CHECK_HAS(r.body, "ignored");
    deliver(c, &s, "no_such_event", "d-7", SECRET_A, "{}", 2, &r);
    SL_CHECK_INT(r.code, 202);
    SL_CHECK_INT(ntrig(&s), 0);

    /* malformed JSON with a valid signature: 400 */
    deliver(c, &s, "push", "d-8", SECRET_A, "{\"ref\": [", 9, &r);
    SL_CHECK_INT(r.code, 400);
    SL_CHECK_INT(ntrig(&s), 0);
    /* a signed push of another branch: accepted, ignored */
    {
        cJSON *j = cJSON_Parse(push.ptr);
        char *other;
        cJSON_ReplaceItemInObject(j, "ref", cJSON_CreateString("refs/heads/feature"));
        other = cJSON_PrintUnformatted(j);
        deliver(c, &s, "push", "d-9", SECRET_B, other, strlen(other), &r);
        SL_CHECK_INT(r.code, 202);
        SL_CHECK_HAS(r.body, "ignored");
        SL_CHECK_INT(ntrig(&s), 0);
        /* hello-ssh follows every branch */
        deliver(c, &s, "push", "d-10", SECRET_A, other, strlen(other), &r);
        SL_CHECK_INT(r.code, 202);
        SL_CHECK_INT(triggered(&s, "hello-ssh"), 1);
        SL_CHECK_INT(ntrig(&s), 1);
        free(other);
        cJSON_Delete(j);
    }

    /* methods and paths */
    request(c, &s, "GET", "/hooks/github", NULL, 0, NULL, &r);
    SL_CHECK_INT(r.code, 405);
    request(c, &s, "POST", "/hooks/gitlab", "{}", 2, NULL, &r);
    SL_CHECK_INT(r.code, 404);
    request(c, &s, "GET", "/nope", NULL, 0, NULL, &r);
    SL_CHECK_INT(r.code, 404);
    request(c, &s, "POST", "/healthz", "x", 1, NULL, &r);
    SL_CHECK_INT(r.code, 405);

    /* every outcome is counted */
    SL_CHECK(metric(&s, "sluice_webhook_deliveries_total{source=\"hello\",result=\"accepted\"} ") ==
             1);
    SL_CHECK(
        metric(&s, "sluice_webhook_deliveries_total{source=\"hello\",result=\"duplicate\"} ") == 1);
    SL_CHECK(metric(&s, "sluice_webhook_deliveries_total{source=\"\",result=\"unauthorized\"} ") ==
             3);
    SL_CHECK(
        metric(&s, "sluice_webhook_deliveries_total{source=\"hello\",result=\"bad_request\"} ") ==
        1);
    SL_CHECK(metric(&s, "sluice_webhook_deliveries_total{source=\"hello\",result=\"ping\"} ") == 1);
    SL_CHECK(
        metric(&s, "sluice_webhook_deliveries_total{source=\"\",result=\"method_not_allowed\"} ") ==
        1);
    SL_CHECK(
        metric(&s, "sluice_webhook_deliveries_total{source=\"hello-b\",result=\"accepted\"} ") ==
        1);
    {
        sl_buf b = SL_BUF_INIT;
        sl_metrics_write(s.m, &b);
        SL_CHECK(b.ptr && !strstr(b.ptr, SECRET_A) && !strstr(b.ptr, SECRET_B));
        sl_buf_free(&b);
    }
    curl_easy_cleanup(c);
    sl_buf_free(&push);
    stop(&s);
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return sz * n;
}

static void test_body_cap(void)
{
    srv s;
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    stream st;
    long code = 0;
    double t0;
    char url[256];

    if (start(&s, "100")) {
        SL_CHECK(!"server did not start");
        return;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hooks/github", s.port);
    h = curl_slist_append(h, "X-GitHub-Event: push");
    h = curl_slist_append(h, "X-Hub-Signature-256: sha256=00");

    /* 30 MB announced by Content-Length: 413 before the body is read */
    memset(&st, 0, sizeof(st));
    st.total = (size_t)30 << 20;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)st.total);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &st);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    t0 = now();
    curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    SL_CHECK_INT(code, 413);
    SL_CHECK(now() - t0 < 3.0);
    SL_CHECK(st.sent < ((size_t)2 << 20));
    curl_easy_cleanup(c);

    /* the same with a raw socket that never sends the body */
    {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a;
        struct timeval tv = {5, 0};
        char req[512], buf[512] = "";
        ssize_t n;
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)s.port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        SL_CHECK_INT(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        snprintf(req, sizeof(req),
                 "POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\n"
                 "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
                 30 << 20);
        SL_CHECK(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
        n = read(fd, buf, sizeof(buf) - 1);
        if (n > 0)
            buf[n] = '\0';
        SL_CHECK(!strncmp(buf, "HTTP/1.1 413", 12));
        close(fd);
    }

    /* chunked, no length: nothing kept past the cap; a short overrun gets
     * its 413, an endless one has its connection closed */
    h = curl_slist_append(h, "Transfer-Encoding: chunked");
    for (int big = 0; big < 2; big++) {
        CURLcode cc;
        c = curl_easy_init();
        memset(&st, 0, sizeof(st));
        st.total = big ? 0 : 200 << 10;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &st);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
        t0 = now();
        code = 0;
        cc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (getenv("SL_TEST_VERBOSE"))
            fprintf(stderr, "  chunked %s: curl %d, code %ld, %zu bytes pulled\n",
                    big ? "endless" : "200 KiB", cc, code, st.sent);
        if (!big)
            SL_CHECK_INT(code, 413);
        else
            SL_CHECK(code == 413 || cc != CURLE_OK);
        SL_CHECK(now() - t0 < 3.0);
        SL_CHECK(st.sent < ((size_t)16 << 20));
        curl_easy_cleanup(c);
    }
    curl_slist_free_all(h);

    SL_CHECK_INT(ntrig(&s), 0);
    SL_CHECK(metric(&s, "sluice_webhook_deliveries_total{source=\"\",result=\"too_large\"} ") == 4);
    /* the server still answers */
    {
        resp r;
        get(&s, "/healthz", &r);
        SL_CHECK_INT(r.code, 200);
    }
    stop(&s);
}

static void test_rate_limit(void)
{
    srv s;
    sl_buf push = SL_BUF_INIT;
    CURL *c = curl_easy_init();
    resp r;
    int ok = 0, limited = 0, other = 0;
    double t0;
    char id[32];

    /* 2 per second, burst 4 */
    if (start(&s, "2") || read_push("with-new-branch.payload.json", &push)) {
        SL_CHECK(!"server did not start");
        return;
    }
    t0 = now();
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof(id), "burst-%d", i);
        deliver(c, &s, "push", id, SECRET_B, push.ptr, push.len, &r);
        if (r.code == 202)
            ok++;
        else if (r.code == 429)
            limited++;
        else
            other++;
    }
    SL_CHECK_INT(other, 0);
    SL_CHECK(ok >= 4);
    SL_CHECK(ok <= 4 + (int)((now() - t0) * 2) + 1);
    SL_CHECK(limited >= 20 - ok);
    SL_CHECK_INT(triggered(&s, "hello-b"), ok);
    SL_CHECK(
        metric(&s,
               "sluice_webhook_deliveries_total{source=\"hello-b\",result=\"rate_limited\"} ") ==
        limited);
    /* a rate-limited delivery is not remembered: GitHub's redelivery goes through */
    usleep(1100 * 1000);
    deliver(c, &s, "push", "burst-19", SECRET_B, push.ptr, push.len, &r);
    SL_CHECK_INT(r.code, 202);
    /* other sources have their own buckets */
    deliver(c, &s, "push", "other-1", SECRET_A, push.ptr, push.len, &r);
    SL_CHECK_INT(r.code, 202);
    SL_CHECK_INT(triggered(&s, "hello"), 1);
    curl_easy_cleanup(c);
    sl_buf_free(&push);
    stop(&s);
}

static void generic(CURL *c, srv *s, const char *source, const char *auth, resp *r)
{
    struct curl_slist *h = NULL;
    char path[256];

    if (auth)
        h = curl_slist_append(h, auth);
    snprintf(path, sizeof(path), "/hooks/generic/%s", source);
    request(c, s, "POST", path, "", 0, h, r);
    curl_slist_free_all(h);
}

static void test_generic(void)
{
    srv s;
    CURL *c = curl_easy_init();
    resp r;

    if (start(&s, "100")) {
        SL_CHECK(!"server did not start");
        return;
    }
    generic(c, &s, "gen", "Authorization: Bearer " TOKEN, &r);
    SL_CHECK_INT(r.code, 202);
    SL_CHECK_INT(triggered(&s, "gen"), 1);
    SL_CHECK(!s.has_ev[0]);
    generic(c, &s, "gen", "Authorization: Bearer " TOKEN "x", &r);
    SL_CHECK_INT(r.code, 401);
    generic(c, &s, "gen", "Authorization: Bearer generic-token", &r);
    SL_CHECK_INT(r.code, 401);
    generic(c, &s, "gen", "Authorization: Basic Z2VuOnRva2Vu", &r);
    SL_CHECK_INT(r.code, 401);
    generic(c, &s, "gen", NULL, &r);
    SL_CHECK_INT(r.code, 401);
    SL_CHECK(!strstr(r.body, TOKEN));
    /* unknown source and a source without a generic token look alike */
    generic(c, &s, "nope", "Authorization: Bearer " TOKEN, &r);
    SL_CHECK_INT(r.code, 404);
    generic(c, &s, "hello", "Authorization: Bearer " TOKEN, &r);
    SL_CHECK_INT(r.code, 404);
    request(c, &s, "GET", "/hooks/generic/gen", NULL, 0, NULL, &r);
    SL_CHECK_INT(r.code, 405);
    SL_CHECK_INT(ntrig(&s), 1);
    SL_CHECK(
        metric(&s, "sluice_webhook_deliveries_total{source=\"gen\",result=\"unauthorized\"} ") ==
        4);
    SL_CHECK(metric(&s, "sluice_webhook_deliveries_total{source=\"\",result=\"not_found\"} ") == 2);
    curl_easy_cleanup(c);
    stop(&s);
}

static void test_endpoints(void)
{
    srv s;
    resp r;
    cJSON *j;

    if (start(&s, "100")) {
        SL_CHECK(!"server did not start");
        return;
    }
    get(&s, "/healthz", &r);
    SL_CHECK_INT(r.code, 200);
    SL_CHECK_STR(r.body, "ok\n");
    get(&s, "/readyz", &r);
    SL_CHECK_INT(r.code, 503);
    pthread_mutex_lock(&s.lock);
    s.ready = 1;
    pthread_mutex_unlock(&s.lock);
    get(&s, "/readyz", &r);
    SL_CHECK_INT(r.code, 200);

    sl_metrics_inc(s.m, "sluice_reconciles_total", 1, "app", "web", "result", "success", NULL);
    get(&s, "/metrics", &r);
    SL_CHECK_INT(r.code, 200);
    SL_CHECK_HAS(r.ctype, "text/plain; version=0.0.4");
    SL_CHECK_HAS(r.body, "# TYPE sluice_reconciles_total counter\n");
    SL_CHECK_HAS(r.body, "sluice_reconciles_total{app=\"web\",result=\"success\"} 1\n");
    SL_CHECK_HAS(r.body, "sluice_up 1\n");

    get(&s, "/api/v1/apps", &r);
    SL_CHECK_INT(r.code, 200);
    SL_CHECK_HAS(r.ctype, "application/json");
    j = cJSON_Parse(r.body);
    SL_CHECK(cJSON_IsArray(cJSON_GetObjectItem(j, "apps")));
    cJSON_Delete(j);
    get(&s, "/api/v1/apps/web", &r);
    SL_CHECK_INT(r.code, 200);
    j = cJSON_Parse(r.body);
    SL_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "name")), "web");
    cJSON_Delete(j);
    get(&s, "/api/v1/apps/nope", &r);
    SL_CHECK_INT(r.code, 404);
    SL_CHECK_HAS(r.ctype, "application/json");
    stop(&s);
}

static void test_reload(void)
{
    srv s;
    sl_buf push = SL_BUF_INIT;
    CURL *c = curl_easy_init();
    sl_config *cfg2 = NULL;
    sl_error err;
    resp r;

    if (start(&s, "100") || read_push("with-new-branch.payload.json", &push)) {
        SL_CHECK(!"server did not start");
        return;
    }
    /* rotate hello-b's secret */
    write_file(s.dir, "secret-b", "rotated\n");
    SL_CHECK_INT(load_config(&s, "100", &cfg2), 0);
    SL_CHECK_INT(sl_http_reload(s.h, cfg2, &err), 0);
    sl_config_free(s.cfg);
    s.cfg = cfg2;
    deliver(c, &s, "push", "r-1", SECRET_B, push.ptr, push.len, &r);
    SL_CHECK_INT(r.code, 401);
    deliver(c, &s, "push", "r-2", "rotated", push.ptr, push.len, &r);
    SL_CHECK_INT(r.code, 202);
    SL_CHECK_INT(triggered(&s, "hello-b"), 1);

    /* an unreadable secret: the reload fails, names the file, keeps the old config */
    write_file(s.dir, "token", "\n");
    cfg2 = NULL;
    SL_CHECK_INT(load_config(&s, "100", &cfg2), 0);
    SL_CHECK(sl_http_reload(s.h, cfg2, &err) != 0);
    SL_CHECK_HAS(err.msg, "gen");
    SL_CHECK_HAS(err.msg, "empty");
    sl_config_free(cfg2);
    generic(c, &s, "gen", "Authorization: Bearer " TOKEN, &r);
    SL_CHECK_INT(r.code, 202);

    /* a reload applies the new webhook.rateLimit (1/s, burst 2) */
    write_file(s.dir, "token", TOKEN "\n");
    cfg2 = NULL;
    SL_CHECK_INT(load_config(&s, "1", &cfg2), 0);
    SL_CHECK_INT(sl_http_reload(s.h, cfg2, &err), 0);
    sl_config_free(cfg2);
    {
        int limited = 0;
        char id[32];
        for (int i = 0; i < 6; i++) {
            snprintf(id, sizeof(id), "rl-%d", i);
            deliver(c, &s, "push", id, "rotated", push.ptr, push.len, &r);
            limited += r.code == 429;
        }
        SL_CHECK(limited >= 3);
    }
    curl_easy_cleanup(c);
    sl_buf_free(&push);
    stop(&s);
}

static void test_start_errors(void)
{
    srv s;
    sl_http *h = NULL;
    sl_http_opts o;
    sl_error err;

    if (start(&s, "100")) {
        SL_CHECK(!"server did not start");
        return;
    }
    memset(&o, 0, sizeof(o));
    /* the port is taken */
    {
        char listen[64];
        snprintf(listen, sizeof(listen), "127.0.0.1:%d", s.port);
        o.listen = listen;
        SL_CHECK(sl_http_start(&o, s.cfg, NULL, &h, &err) != 0);
        SL_CHECK(h == NULL);
        SL_CHECK_HAS(err.msg, listen);
    }
    o.listen = "no-port";
    SL_CHECK_INT(sl_http_start(&o, s.cfg, NULL, &h, &err), SL_EINVAL);
    /* a missing secret file is an error that names the file, never a content */
    write_file(s.dir, "secret-b", "");
    o.listen = "127.0.0.1:0";
    SL_CHECK(sl_http_start(&o, s.cfg, NULL, &h, &err) != 0);
    SL_CHECK_HAS(err.msg, "hello-b");
    sl_http_stop(NULL);
    stop(&s);
}

typedef struct worker_arg {
    srv *s;
    const sl_buf *push;
    int codes[600];
} worker_arg;

static void *sender(void *ud)
{
    worker_arg *a = ud;
    CURL *c = curl_easy_init();
    resp r;
    char id[32];

    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof(id), "same-%d", i);
        deliver(c, a->s, "push", id, SECRET_B, a->push->ptr, a->push->len, &r);
        if (r.code >= 0 && r.code < 600)
            a->codes[r.code]++;
    }
    curl_easy_cleanup(c);
    return NULL;
}

/* Four clients send the same 100 delivery ids at once while the config is
 * reloaded: each id triggers exactly once, the rest are duplicates. */
static void test_concurrent(void)
{
    srv s;
    sl_buf push = SL_BUF_INIT;
    worker_arg a[4];
    pthread_t t[4];
    int accepted = 0, dup = 0;

    /* 100 ids from 4 threads that may drift apart: the ring must hold them
     * all, or an evicted id would rightly be accepted again. */
    g_dedupe = 4096;
    if (start(&s, "1000000") || read_push("with-new-branch.payload.json", &push)) {
        g_dedupe = 64;
        SL_CHECK(!"server did not start");
        return;
    }
    g_dedupe = 64;
    for (int i = 0; i < 4; i++) {
        memset(&a[i], 0, sizeof(a[i]));
        a[i].s = &s;
        a[i].push = &push;
        pthread_create(&t[i], NULL, sender, &a[i]);
    }
    for (int i = 0; i < 20; i++) {
        sl_config *cfg2 = NULL;
        sl_error err;
        if (load_config(&s, "1000000", &cfg2) == 0) {
            SL_CHECK_INT(sl_http_reload(s.h, cfg2, &err), 0);
            sl_config_free(cfg2);
        }
        usleep(2000);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        accepted += a[i].codes[202];
        dup += a[i].codes[200];
    }
    SL_CHECK_INT(accepted, 100);
    SL_CHECK_INT(dup, 300);
    SL_CHECK_INT(triggered(&s, "hello-b"), 100);
    sl_buf_free(&push);
    stop(&s);
}

/* Not a benchmark: a sanity bound that catches per-request stalls (Nagle,
 * delayed ACK, lock convoys) on the verified-delivery path. */
static void test_throughput(void)
{
    srv s;
    sl_buf push = SL_BUF_INIT;
    CURL *c = curl_easy_init();
    resp r;
    double t0, secs;
    int n = 1000, ok = 0;
    char id[32];

    if (start(&s, "1000000") || read_push("with-new-branch.payload.json", &push)) {
        SL_CHECK(!"server did not start");
        return;
    }
    t0 = now();
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "tp-%d", i);
        deliver(c, &s, "push", id, SECRET_B, push.ptr, push.len, &r);
        ok += r.code == 202;
    }
    secs = now() - t0;
    fprintf(stderr, "  %d signed deliveries in %.3f s over one keep-alive connection: %.0f/s\n", n,
            secs, n / secs);
    SL_CHECK_INT(ok, n); /* the rate is printed; bench/daemon.sh holds the goal */
    curl_easy_cleanup(c);
    sl_buf_free(&push);
    stop(&s);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_github_push), SL_TEST_ENTRY(test_body_cap),
             SL_TEST_ENTRY(test_rate_limit), SL_TEST_ENTRY(test_generic),
             SL_TEST_ENTRY(test_endpoints), SL_TEST_ENTRY(test_reload),
             SL_TEST_ENTRY(test_start_errors), SL_TEST_ENTRY(test_concurrent),
             SL_TEST_ENTRY(test_throughput))
