/* test_status.c: `sluice status` against a fake daemon API (a tiny HTTP
 * server thread) and against the state file when nothing answers. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sl_state.h"
#include "sl_status.h"
#include "sl_test.h"

/* --- a one-shot HTTP server ------------------------------------------ */

typedef struct fake_api {
    int fd;
    int port;
    int status;       /* HTTP status to answer */
    const char *body; /* response body */
    char path[512];   /* request path received */
    int requests;
    pthread_t thread;
} fake_api;

static void *fake_api_run(void *arg)
{
    fake_api *f = arg;

    for (;;) {
        char req[4096], resp[8192];
        size_t len = 0;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        while (len < sizeof(req) - 1) {
            ssize_t n = read(c, req + len, sizeof(req) - 1 - len);
            if (n <= 0)
                break;
            len += (size_t)n;
            req[len] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        req[len] = '\0';
        sscanf(req, "GET %511s", f->path);
        f->requests++;
        snprintf(resp, sizeof(resp),
                 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n%s",
                 f->status, strlen(f->body), f->body);
        if (write(c, resp, strlen(resp)) < 0)
            perror("write");
        close(c);
    }
}

static int fake_api_start(fake_api *f, int status, const char *body)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    memset(f, 0, sizeof(*f));
    f->status = status;
    f->body = body;
    f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(f->fd, 8) ||
        getsockname(f->fd, (struct sockaddr *)&sa, &len))
        return -1;
    f->port = ntohs(sa.sin_port);
    return pthread_create(&f->thread, NULL, fake_api_run, f);
}

static void fake_api_stop(fake_api *f)
{
    shutdown(f->fd, SHUT_RDWR);
    close(f->fd);
    pthread_join(f->thread, NULL);
}

/* A loopback port with nothing listening. */
static int closed_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    getsockname(fd, (struct sockaddr *)&sa, &len);
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* --- running the command, capturing its output ------------------------ */

static char g_out[65536], g_err[65536];

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;

    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Run sl_status_main with the NULL-terminated arguments; stdout and stderr
 * land in g_out and g_err. Returns the exit code. */
static int run_status(const char *dir, ...)
{
    char *argv[16], po[4096], pe[4096];
    va_list ap;
    int argc = 0, so, se, code;

    argv[argc++] = "status";
    va_start(ap, dir);
    for (char *a; argc < 15 && (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    snprintf(po, sizeof(po), "%s/.out", dir);
    snprintf(pe, sizeof(pe), "%s/.err", dir);
    fflush(stdout);
    fflush(stderr);
    so = dup(1);
    se = dup(2);
    int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fo, 1);
    dup2(fe, 2);
    close(fo);
    close(fe);
    code = sl_status_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    slurp(po, g_out, sizeof(g_out));
    slurp(pe, g_err, sizeof(g_err));
    return code;
}

static char *write_config(const char *dir, const char *listen)
{
    char path[4096], text[8192];
    char *p;

    snprintf(text, sizeof(text),
             "stateDir: %s/state\n"
             "%s%s%s"
             "sources:\n"
             "  catalog: { git: \"file://%s/repo.git\", ref: main }\n"
             "targets:\n"
             "  out: { directory: %s/out }\n"
             "apps:\n"
             "  - name: web\n"
             "    source: catalog\n"
             "    target: out\n"
             "    render: manifests\n",
             dir, listen ? "listen: \"" : "", listen ? listen : "", listen ? "\"\n" : "", dir, dir);
    snprintf(path, sizeof(path), "%s/sluice.yaml", dir);
    if (sl_test_write(path, text))
        return NULL;
    p = strdup(path);
    return p;
}

static void record(const char *state_dir, const char *app, const char *rev, const char *result,
                   int created, double started, const char *error)
{
    sl_state *st = NULL;
    sl_error err;
    sl_run_record r;

    memset(&r, 0, sizeof(r));
    r.app = app;
    r.source = "catalog";
    r.revision = rev;
    r.result = result;
    r.trigger = "poll";
    r.created = created;
    r.updated = 2;
    r.pruned = 1;
    r.started = started;
    r.duration = 1.5;
    r.error = error;
    sl_error_clear(&err);
    SL_CHECK_INT(sl_state_open(state_dir, &st, &err), 0);
    SL_CHECK_INT(sl_state_record(st, &r, &err), 0);
    sl_state_close(st);
}

/* The line of the table that starts with app. */
static const char *row(const char *app)
{
    static char line[1024];
    size_t n = strlen(app);

    for (const char *p = g_out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (!strncmp(p, app, n) && p[n] == ' ') {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len >= sizeof(line))
                len = sizeof(line) - 1;
            memcpy(line, p, len);
            line[len] = '\0';
            return line;
        }
    }
    return "";
}

/* --- tests ------------------------------------------------------------ */

static void test_from_daemon(void)
{
    char *dir = sl_test_tmpdir(), listen[64], body[2048], *cfg;
    fake_api f;
    time_t now = time(NULL);
    char ts[64];
    struct tm tm;

    gmtime_r(&(time_t){now - 180}, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(body, sizeof(body),
             "{\"apps\":[{\"name\":\"web\",\"source\":\"catalog\","
             "\"revision\":\"0123456789abcdef0123456789abcdef01234567\",\"result\":\"success\","
             "\"lastError\":null,\"objects\":{\"created\":1,\"updated\":2,\"pruned\":0},"
             "\"lastRun\":\"%s\",\"health\":\"Healthy\","
             "\"sourceError\":\"cannot fetch file:///gone\"},"
             "{\"name\":\"orders\",\"revision\":\"fedcba9876543210\",\"result\":\"failed\","
             "\"lastError\":\"render: score.yaml:3:5: unknown resource type \\\"postgres\\\" and "
             "a great deal more text that goes past the column\",\"lastRun\":%ld}]}",
             ts, (long)now - 7200);
    SL_CHECK_INT(fake_api_start(&f, 200, body), 0);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", f.port);
    cfg = write_config(dir, listen);

    SL_CHECK_INT(run_status(dir, "-c", cfg, NULL), 1); /* one app failed */
    SL_CHECK_STR(f.path, "/api/v1/apps");
    SL_CHECK_HAS(g_out, "APP");
    SL_CHECK_HAS(g_out, "LAST RUN");
    SL_CHECK_HAS(row("web"), "success");
    SL_CHECK_HAS(row("web"), "0123456789ab ");
    SL_CHECK(!strstr(g_out, "0123456789abc"));
    SL_CHECK_HAS(row("web"), "3m ago");
    SL_CHECK_HAS(row("web"), "+1 ~2 -0");
    SL_CHECK_HAS(row("web"), "source: cannot fetch file:///gone");
    SL_CHECK_HAS(row("orders"), "failed");
    SL_CHECK_HAS(row("orders"), "2h ago");
    SL_CHECK_HAS(row("orders"), "unknown resource type \"postgres\"");
    SL_CHECK_HAS(row("orders"), "...");
    SL_CHECK(!strstr(g_out, "past the column"));
    SL_CHECK(!strstr(g_err, "not reachable"));

    /* -o json: the daemon's objects, with where they came from */
    SL_CHECK_INT(run_status(dir, "-c", cfg, "-o", "json", NULL), 1);
    {
        cJSON *doc = cJSON_Parse(g_out);
        SL_CHECK(doc != NULL);
        SL_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "origin")), "daemon");
        SL_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "apps")), 2);
        SL_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
                         cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "apps"), 0), "health")),
                     "Healthy");
        cJSON_Delete(doc);
    }
    fake_api_stop(&f);

    /* one app: /api/v1/apps/<name>, the name escaped */
    SL_CHECK_INT(fake_api_start(&f, 200,
                                "{\"name\":\"web\",\"result\":\"success\",\"revision\":\"abc\","
                                "\"objects\":{\"created\":0,\"updated\":0,\"pruned\":0}}"),
                 0);
    snprintf(listen, sizeof(listen), "0.0.0.0:%d", f.port); /* wildcard: asked on loopback */
    free(cfg);
    cfg = write_config(dir, listen);
    SL_CHECK_INT(run_status(dir, "-c", cfg, "web", NULL), 0);
    SL_CHECK_STR(f.path, "/api/v1/apps/web");
    SL_CHECK_HAS(row("web"), "success");
    SL_CHECK_INT(run_status(dir, "-c", cfg, "a b", NULL), 0);
    SL_CHECK_STR(f.path, "/api/v1/apps/a%20b");
    fake_api_stop(&f);

    /* the daemon says there is no such app */
    SL_CHECK_INT(fake_api_start(&f, 404, "{\"error\":\"no such app\"}"), 0);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", f.port);
    free(cfg);
    cfg = write_config(dir, listen);
    SL_CHECK_INT(run_status(dir, "-c", cfg, "nope", NULL), 2);
    SL_CHECK_HAS(g_err, "nope");
    SL_CHECK_HAS(g_err, "no such app");
    fake_api_stop(&f);

    /* --api overrides listen, and needs no config */
    SL_CHECK_INT(fake_api_start(&f, 200, "{\"apps\":[{\"name\":\"x\",\"result\":\"success\"}]}"),
                 0);
    {
        char api[64], cwd[4096];
        snprintf(api, sizeof(api), "http://127.0.0.1:%d/", f.port);
        SL_CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
        SL_CHECK_INT(chdir(dir), 0);
        unlink("sluice.yaml");
        unsetenv("SLUICE_CONFIG");
        SL_CHECK_INT(run_status(dir, "--api", api, NULL), 0);
        SL_CHECK_STR(f.path, "/api/v1/apps");
        SL_CHECK_HAS(row("x"), "success");
        SL_CHECK_INT(chdir(cwd), 0);
    }
    fake_api_stop(&f);
    free(cfg);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

static void test_from_state(void)
{
    char *dir = sl_test_tmpdir(), listen[64], state[4096], *cfg;
    double now = (double)time(NULL);

    snprintf(listen, sizeof(listen), "127.0.0.1:%d", closed_port());
    cfg = write_config(dir, listen);
    snprintf(state, sizeof(state), "%s/state", dir);

    /* nothing recorded and no daemon: an error */
    SL_CHECK_INT(run_status(dir, "-c", cfg, NULL), 2);
    SL_CHECK_HAS(g_err, "daemon not reachable at http://127.0.0.1:");
    SL_CHECK_HAS(g_err, "state.db");
    SL_CHECK_HAS(g_err, "error:");

    record(state, "web", "1111111111111111", "success", 3, now - 30, NULL);
    record(state, "api", "2222222222222222", "success", 0, now - 100, NULL);
    SL_CHECK_INT(run_status(dir, "-c", cfg, NULL), 0);
    SL_CHECK_HAS(g_err, "daemon not reachable at");
    SL_CHECK_HAS(g_err, "showing the last recorded state from");
    SL_CHECK_HAS(g_err, state);
    SL_CHECK_HAS(row("web"), "success");
    SL_CHECK_HAS(row("web"), "111111111111");
    /* 30 s before the run, give or take the second that may tick over */
    SL_CHECK(strstr(row("web"), " 30s ago ") || strstr(row("web"), " 31s ago ") ||
             strstr(row("web"), " 32s ago "));
    SL_CHECK_HAS(row("web"), "+3 ~2 -1");
    SL_CHECK_HAS(row("api"), "1m ago");
    /* sorted by app */
    SL_CHECK(strstr(g_out, "api ") < strstr(g_out, "web "));

    /* a failure in the latest run makes the exit status 1 */
    record(state, "web", "3333333333333333", "failed", 0, now - 5,
           "applying Deployment web: the target refused\nsecond line");
    SL_CHECK_INT(run_status(dir, "-c", cfg, NULL), 1);
    SL_CHECK_HAS(row("web"), "failed");
    SL_CHECK_HAS(row("web"), "333333333333");
    SL_CHECK_HAS(row("web"), "the target refused second line");

    /* one app, with its recent runs */
    SL_CHECK_INT(run_status(dir, "-c", cfg, "web", NULL), 1);
    SL_CHECK(!strstr(g_out, "\napi "));
    SL_CHECK_HAS(g_out, "recent runs");
    SL_CHECK_HAS(g_out, "111111111111");
    SL_CHECK_HAS(g_out, "error: applying Deployment web");
    SL_CHECK_INT(run_status(dir, "-c", cfg, "nope", NULL), 2);
    SL_CHECK_HAS(g_err, "nope");

    /* json: the same shape as the API's */
    SL_CHECK_INT(run_status(dir, "-c", cfg, "-o", "json", NULL), 1);
    {
        cJSON *doc = cJSON_Parse(g_out), *apps, *web;
        SL_CHECK(doc != NULL);
        SL_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "origin")), "state");
        SL_CHECK_HAS(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "stateFile")), "state.db");
        apps = cJSON_GetObjectItem(doc, "apps");
        SL_CHECK_INT(cJSON_GetArraySize(apps), 2);
        web = cJSON_GetArrayItem(apps, 1);
        SL_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(web, "name")), "web");
        SL_CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(web, "result")), "failed");
        SL_CHECK_HAS(cJSON_GetStringValue(cJSON_GetObjectItem(web, "lastError")),
                     "the target refused");
        SL_CHECK_HAS(cJSON_GetStringValue(cJSON_GetObjectItem(web, "lastRun")), "T");
        SL_CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(web, "objects"), "updated")->valuedouble ==
                 2);
        cJSON_Delete(doc);
    }

    /* no listen address: straight to the state file */
    free(cfg);
    cfg = write_config(dir, NULL);
    SL_CHECK_INT(run_status(dir, "-c", cfg, NULL), 1);
    SL_CHECK_HAS(g_err, "no listen address");
    SL_CHECK_HAS(row("api"), "success");
    free(cfg);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

static void test_errors(void)
{
    char *dir = sl_test_tmpdir(), path[4096];

    SL_CHECK_INT(run_status(dir, "--help", NULL), 0);
    SL_CHECK_HAS(g_out, "usage: sluice status");
    SL_CHECK_INT(run_status(dir, "-o", "yaml", NULL), 2);
    SL_CHECK_HAS(g_err, "text or json");
    SL_CHECK_INT(run_status(dir, "--api", "ftp://x", NULL), 2);
    SL_CHECK_INT(run_status(dir, "a", "b", NULL), 2);

    snprintf(path, sizeof(path), "%s/missing.yaml", dir);
    SL_CHECK_INT(run_status(dir, "-c", path, NULL), 2);
    SL_CHECK_HAS(g_err, "error: ");
    SL_CHECK_HAS(g_err, "missing.yaml");

    /* config problems are reported with their position */
    snprintf(path, sizeof(path), "%s/bad.yaml", dir);
    sl_test_write(path, "stateDir: /tmp/x\nsources:\n  a: { dir: ./x, interval: soon }\n");
    SL_CHECK_INT(run_status(dir, "-c", path, NULL), 2);
    SL_CHECK_HAS(g_err, "error: ");
    SL_CHECK_HAS(g_err, "bad.yaml:3:");
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_from_daemon), SL_TEST_ENTRY(test_from_state),
             SL_TEST_ENTRY(test_errors))
