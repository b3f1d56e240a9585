/* status.c: `sluice status [-c FILE] [--api URL] [-o text|json] [APP]`.
 *
 * Asks the daemon (GET <api>/api/v1/apps[/<name>], 2 s timeout) and prints
 * what it says; when it does not answer, reads the last recorded state
 * from <stateDir>/state.db read-only and says so on stderr. Both origins
 * are brought to one shape (the API's: name, source, revision, result,
 * lastError, objects{created,updated,pruned,unchanged}, lastRun, ...) so
 * the table and the JSON output look the same either way. */
#include <curl/curl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sl_app.h"
#include "sl_buf.h"
#include "sl_state.h"
#include "sl_status.h"

enum { ST_EXIT_OK = 0, ST_EXIT_FAILED = 1, ST_EXIT_ERROR = 2 };

#define ST_TIMEOUT_MS 2000L
#define ST_MAX_RESPONSE ((size_t)16 << 20)
#define ST_ERROR_WIDTH 60
#define ST_REV_WIDTH 12
#define ST_HISTORY 10

static const char *const status_usage =
    "usage: sluice status [-c FILE] [--api URL] [-o text|json] [APP]\n"
    "\n"
    "Show the last reconcile of every app (or of APP): result, revision, when,\n"
    "what changed and the error. Asks the running daemon on the config's listen\n"
    "address; when it does not answer, shows the last state recorded in\n"
    "<stateDir>/state.db (and says so on stderr).\n"
    "Exit status: 0 every app's last reconcile succeeded, 1 one failed, 2 error.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   configuration file (default: $SLUICE_CONFIG, else\n"
    "                      ./sluice.yaml, else /etc/sluice/sluice.yaml)\n"
    "      --api URL       the daemon's base URL (default: http://<listen>)\n"
    "  -o, --output text|json  output format (default text)\n"
    "  -h, --help          this help\n";

typedef struct status_opts {
    const char *config;
    int config_given; /* -c or $SLUICE_CONFIG */
    const char *api;
    int json;
    const char *app;
} status_opts;

static void status_print_error(const sl_error *err)
{
    char buf[2048];

    fprintf(stderr, "error: %s\n", sl_error_format(err, buf, sizeof(buf)));
}

/* Returns 0 to go on, -1 after --help, ST_EXIT_ERROR on a bad option. */
static int status_parse(int argc, char **argv, status_opts *o)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"api", required_argument, NULL, 'A'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *env = getenv("SLUICE_CONFIG");
    int ch;

    memset(o, 0, sizeof(*o));
    if (env && *env) {
        o->config = env;
        o->config_given = 1;
    } else if (access("sluice.yaml", F_OK) && !access("/etc/sluice/sluice.yaml", F_OK)) {
        o->config = "/etc/sluice/sluice.yaml";
    } else {
        o->config = "sluice.yaml";
    }
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o->config = optarg;
            o->config_given = 1;
            break;
        case 'A':
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0) {
                fprintf(stderr, "error: --api must be an http:// or https:// URL\n");
                return ST_EXIT_ERROR;
            }
            o->api = optarg;
            break;
        case 'o':
            if (!strcmp(optarg, "json"))
                o->json = 1;
            else if (strcmp(optarg, "text") != 0) {
                fprintf(stderr, "error: status -o must be text or json\n");
                return ST_EXIT_ERROR;
            }
            break;
        case 'h':
            fputs(status_usage, stdout);
            return -1;
        default:
            fprintf(stderr, "error: unknown or incomplete option \"%s\"\n\n", argv[optind - 1]);
            fputs(status_usage, stderr);
            return ST_EXIT_ERROR;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "error: status takes at most one APP\n");
        return ST_EXIT_ERROR;
    }
    if (optind < argc)
        o->app = argv[optind];
    return 0;
}

static int status_load(const char *file, sl_config **cfg, int quiet)
{
    sl_diags diags = {0};
    int rc = sl_config_load(file, cfg, &diags);

    for (size_t i = 0; i < diags.n && !quiet; i++)
        status_print_error(&diags.v[i]);
    if (rc && !diags.n && !quiet)
        fprintf(stderr, "error: %s: %s\n", file, sl_strerror(rc));
    sl_diags_free(&diags);
    return rc;
}

/* The daemon's base URL from listen ("host:port", "[v6]:port", ":port"):
 * a wildcard host is reached on loopback. NULL when listen is unset, has
 * port 0 or cannot be read. Owned by the caller. */
static char *status_listen_url(const char *listen)
{
    const char *colon, *port, *host;
    size_t hlen;
    char *url = NULL;

    if (!listen || !*listen)
        return NULL;
    colon = strrchr(listen, ':');
    if (!colon || !colon[1] || !strcmp(colon + 1, "0"))
        return NULL;
    port = colon + 1;
    host = listen;
    hlen = (size_t)(colon - listen);
    if ((hlen == 0) || (hlen == 1 && host[0] == '*') || (hlen == 7 && !strncmp(host, "0.0.0.0", 7)))
        host = "127.0.0.1", hlen = 9;
    else if ((hlen == 4 && !strncmp(host, "[::]", 4)) || (hlen == 2 && !strncmp(host, "::", 2)))
        host = "[::1]", hlen = 5;
    if (asprintf(&url, "http://%.*s:%s", (int)hlen, host, port) < 0)
        return NULL;
    return url;
}

static size_t status_write_cb(char *data, size_t size, size_t n, void *ud)
{
    sl_buf *b = ud;

    if (sl_buf_put(b, data, size * n))
        return 0; /* over the cap: curl stops with a write error */
    return size * n;
}

/* GET url into body. *status is the HTTP status (0 when nothing
 * answered). why gets a short reason on failure. */
static int status_get(const char *url, sl_buf *body, long *status, char *why, size_t whylen)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = NULL;
    CURLcode cc;
    int rc = 0;

    *status = 0;
    if (!c) {
        snprintf(why, whylen, "cannot initialise libcurl");
        return SL_ENOMEM;
    }
    hdr = curl_slist_append(hdr, "Accept: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ST_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ST_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "sluice-status/" SL_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, status_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(why, whylen, "%s", curl_easy_strerror(cc));
        rc = SL_ENET;
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
out:
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return rc;
}

/* Ask the daemon. 0 with *apps (a JSON array, caller's) on success;
 * SL_ENOTFOUND when it answered that APP does not exist; SL_ENET (with
 * why) when it is not reachable or not usable, so the caller falls back. */
static int status_from_api(const char *base, const char *app, cJSON **apps, char *why,
                           size_t whylen)
{
    sl_buf url = SL_BUF_INIT, body = SL_BUF_INIT;
    cJSON *doc = NULL, *arr = NULL;
    size_t blen = strlen(base);
    long http = 0;
    int rc;

    *apps = NULL;
    sl_buf_init(&body, ST_MAX_RESPONSE);
    while (blen && base[blen - 1] == '/')
        blen--;
    rc = sl_buf_put(&url, base, blen) || sl_buf_puts(&url, "/api/v1/apps") ? SL_ENOMEM : 0;
    if (!rc && app) {
        char *esc = curl_easy_escape(NULL, app, 0);
        rc = !esc || sl_buf_putc(&url, '/') || sl_buf_puts(&url, esc) ? SL_ENOMEM : 0;
        curl_free(esc);
    }
    if (rc) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if ((rc = status_get(url.ptr, &body, &http, why, whylen)))
        goto out;
    if (app && http == 404) {
        rc = SL_ENOTFOUND;
        goto out;
    }
    if (http != 200) {
        snprintf(why, whylen, "GET %s answered HTTP %ld", url.ptr, http);
        rc = SL_ENET;
        goto out;
    }
    doc = cJSON_ParseWithLength(body.ptr ? body.ptr : "", body.len);
    if (!doc) {
        snprintf(why, whylen, "GET %s answered with something that is not JSON", url.ptr);
        rc = SL_ENET;
        goto out;
    }
    /* {"apps":[...]}, a bare array, or (for one app) the app object. */
    if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "apps")))
        arr = cJSON_DetachItemFromObjectCaseSensitive(doc, "apps");
    else if (cJSON_IsArray(doc)) {
        arr = doc;
        doc = NULL;
    } else if (cJSON_IsObject(doc) &&
               cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "app"))) {
        arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, cJSON_DetachItemFromObjectCaseSensitive(doc, "app"));
    } else if (cJSON_IsObject(doc) &&
               cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "name"))) {
        arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, doc);
        doc = NULL;
    }
    if (!arr) {
        snprintf(why, whylen, "GET %s answered JSON without an apps list", url.ptr);
        rc = SL_ENET;
        goto out;
    }
    *apps = arr;
out:
    cJSON_Delete(doc);
    sl_buf_free(&url);
    sl_buf_free(&body);
    return rc;
}

static void status_rfc3339(double t, char *buf, size_t n)
{
    time_t s = (time_t)t;
    struct tm tm;

    if (t <= 0 || !gmtime_r(&s, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, n, "-");
}

/* A state record (sl_state_latest's shape) in the API's shape. */
static cJSON *status_record_to_app(const cJSON *r)
{
    static const char *const counts[] = {"created", "updated", "pruned", "unchanged"};
    cJSON *o = cJSON_CreateObject(), *objs;
    const cJSON *v;
    char ts[64];

    if (!o)
        return NULL;
    cJSON_AddItemToObject(o, "name",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "app"), 1));
    cJSON_AddItemToObject(o, "source",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "source"), 1));
    cJSON_AddItemToObject(o, "revision",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "revision"), 1));
    cJSON_AddItemToObject(o, "result",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "result"), 1));
    cJSON_AddItemToObject(o, "lastError",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "error"), 1));
    objs = cJSON_AddObjectToObject(o, "objects");
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
        if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(r, counts[i])))
            cJSON_AddNumberToObject(objs, counts[i], v->valuedouble);
    v = cJSON_GetObjectItemCaseSensitive(r, "started");
    status_rfc3339(cJSON_IsNumber(v) ? v->valuedouble : 0, ts, sizeof(ts));
    cJSON_AddStringToObject(o, "lastRun", ts);
    if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(r, "duration")))
        cJSON_AddNumberToObject(o, "duration", v->valuedouble);
    cJSON_AddItemToObject(o, "trigger",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "trigger"), 1));
    return o;
}

/* Read the last recorded state. *apps (caller's) in the API's shape; with
 * app set, *history gets its last runs. */
static int status_from_state(const char *state_dir, const char *app, cJSON **apps, cJSON **history,
                             sl_error *err)
{
    sl_state *st = NULL;
    cJSON *latest = NULL, *arr = NULL, *r;
    int rc;

    *apps = NULL;
    if ((rc = sl_state_open_ro(state_dir, &st, err)))
        goto out;
    if ((rc = sl_state_latest(st, &latest, err)))
        goto out;
    if (!(arr = cJSON_CreateArray())) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    cJSON_ArrayForEach(r, latest)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "app"));
        if (app && (!name || strcmp(name, app) != 0))
            continue;
        cJSON_AddItemToArray(arr, status_record_to_app(r));
    }
    if (app && cJSON_GetArraySize(arr) == 0) {
        rc = sl_error_set(err, SL_ENOTFOUND, "app %s: no reconcile recorded in %s/state.db", app,
                          state_dir);
        goto out;
    }
    if (app && history && (rc = sl_state_history(st, app, ST_HISTORY, history, err)))
        goto out;
    *apps = arr;
    arr = NULL;
out:
    cJSON_Delete(arr);
    cJSON_Delete(latest);
    sl_state_close(st);
    return rc;
}

/* "2024-05-01T12:00:00Z", "...T12:00:00.123+02:00" or a number (unix
 * seconds) into unix seconds; 0 when unknown. */
static double status_time(const cJSON *v)
{
    int Y, M, D, h, m, s, n = 0;
    struct tm tm;
    const char *p;
    double t, frac = 0;

    if (cJSON_IsNumber(v))
        return v->valuedouble > 1e11 ? v->valuedouble / 1000 : v->valuedouble;
    if (!cJSON_IsString(v) ||
        sscanf(v->valuestring, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &s, &n) != 6)
        return 0;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    t = (double)timegm(&tm);
    p = v->valuestring + n;
    if (*p == '.') {
        double scale = 0.1;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    if (*p == '+' || *p == '-') {
        int oh = 0, om = 0;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) >= 1)
            t -= (*p == '+' ? 1 : -1) * (oh * 3600.0 + om * 60.0);
    }
    return t + frac;
}

static void status_age(double t, double now, char *buf, size_t n)
{
    double d = now - t;

    if (t <= 0)
        snprintf(buf, n, "never");
    else if (d < 1)
        snprintf(buf, n, "just now");
    else if (d < 60)
        snprintf(buf, n, "%.0fs ago", floor(d));
    else if (d < 3600)
        snprintf(buf, n, "%.0fm ago", floor(d / 60));
    else if (d < 86400 * 2)
        snprintf(buf, n, "%.0fh ago", floor(d / 3600));
    else
        snprintf(buf, n, "%.0fd ago", floor(d / 86400));
}

static const char *status_str(const cJSON *o, const char *a, const char *b)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, a));

    if (!s && b)
        s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, b));
    return s;
}

/* A count from objects.<key> or <key>; -1 when absent. */
static int status_count(const cJSON *o, const char *key)
{
    const cJSON *objs = cJSON_GetObjectItemCaseSensitive(o, "objects");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(objs, key);

    if (!cJSON_IsNumber(v))
        v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valueint : -1;
}

static int status_failed(const char *result)
{
    return result &&
           (!strcmp(result, "failed") || !strcmp(result, "failure") || !strcmp(result, "error"));
}

/* One line of text: control characters become spaces; at most max bytes
 * (cut on a UTF-8 boundary, with "..."); max 0 = no cap. Owned. */
static char *status_clean(const char *s, size_t max)
{
    size_t n = strlen(s), i;
    char *out;

    if (max && n > max) {
        n = max - 3;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    if (!(out = malloc(n + 4)))
        return NULL;
    for (i = 0; i < n; i++)
        out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
    out[n] = '\0';
    if (n < strlen(s))
        memcpy(out + n, "...", 4);
    return out;
}

/* Display width of a UTF-8 string (code points; good enough for names). */
static size_t status_width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

enum { COL_APP, COL_RESULT, COL_REV, COL_RUN, COL_CHANGES, COL_ERROR, NCOL };

static int status_table(const cJSON *apps, sl_buf *out)
{
    static const char *const head[NCOL] = {"APP",      "RESULT",  "REVISION",
                                           "LAST RUN", "CHANGES", "ERROR"};
    size_t n = (size_t)cJSON_GetArraySize(apps), w[NCOL];
    char *(*cells)[NCOL] = calloc(n + 1, sizeof(*cells));
    double now = (double)time(NULL);
    const cJSON *a;
    size_t r = 0;
    int rc = 0;

    if (!cells)
        return SL_ENOMEM;
    for (int c = 0; c < NCOL; c++)
        w[c] = strlen(head[c]);
    cJSON_ArrayForEach(a, apps)
    {
        const char *name = status_str(a, "name", "app"), *res = status_str(a, "result", "status");
        const char *rev = status_str(a, "revision", NULL), *e = status_str(a, "lastError", "error");
        int cr = status_count(a, "created"), up = status_count(a, "updated"),
            pr = status_count(a, "pruned");
        char age[32], ch[64], revs[ST_REV_WIDTH + 1], *srcerr = NULL;

        status_age(status_time(cJSON_GetObjectItemCaseSensitive(a, "lastRun")), now, age,
                   sizeof(age));
        if (cr < 0 && up < 0 && pr < 0)
            snprintf(ch, sizeof(ch), "-");
        else
            snprintf(ch, sizeof(ch), "+%d ~%d -%d", cr < 0 ? 0 : cr, up < 0 ? 0 : up,
                     pr < 0 ? 0 : pr);
        snprintf(revs, sizeof(revs), "%s", rev && *rev ? rev : "-");
        cells[r][COL_APP] = status_clean(name ? name : "?", 0);
        cells[r][COL_RESULT] = status_clean(res ? res : "pending", 0);
        cells[r][COL_REV] = status_clean(revs, 0);
        cells[r][COL_RUN] = strdup(age);
        cells[r][COL_CHANGES] = strdup(ch);
        if (!e || !*e) {
            /* A source that cannot be fetched leaves the app at its last
             * revision: worth seeing even though the app did not fail. */
            const char *se = status_str(a, "sourceError", NULL);
            if (se && *se && asprintf(&srcerr, "source: %s", se) >= 0)
                e = srcerr;
        }
        cells[r][COL_ERROR] = status_clean(e ? e : "", ST_ERROR_WIDTH);
        free(srcerr);
        srcerr = NULL;
        for (int c = 0; c < NCOL; c++) {
            if (!cells[r][c]) {
                rc = SL_ENOMEM;
                goto out;
            }
            if (status_width(cells[r][c]) > w[c])
                w[c] = status_width(cells[r][c]);
        }
        r++;
    }
    for (size_t i = 0; i <= r; i++) {
        sl_buf line = SL_BUF_INIT;
        for (int c = 0; c < NCOL; c++) {
            const char *cell = i == 0 ? head[c] : cells[i - 1][c];
            rc |= sl_buf_puts(&line, cell);
            if (c < NCOL - 1)
                for (size_t k = status_width(cell); k < w[c] + 2; k++)
                    rc |= sl_buf_putc(&line, ' ');
        }
        while (line.len && line.ptr[line.len - 1] == ' ')
            line.ptr[--line.len] = '\0';
        rc |= sl_buf_putc(&line, '\n');
        rc |= sl_buf_put(out, line.ptr, line.len);
        sl_buf_free(&line);
    }
out:
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NCOL; c++)
            free(cells[i][c]);
    free(cells);
    return rc ? SL_ENOMEM : 0;
}

/* For one app, text mode: the full error and extra fields under the row,
 * and the recent runs when reading from the state file. */
static int status_detail(const cJSON *a, const cJSON *history, sl_buf *out)
{
    static const char *const extra[] = {"source",  "target",  "health",     "drift",
                                        "trigger", "nextRun", "sourceError"};
    const char *e = status_str(a, "lastError", "error");
    const cJSON *v;
    int rc = 0;

    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        char *text = NULL;
        v = cJSON_GetObjectItemCaseSensitive(a, extra[i]);
        if (!v || cJSON_IsNull(v))
            continue;
        text = cJSON_IsString(v) ? status_clean(v->valuestring, 200) : cJSON_PrintUnformatted(v);
        if (text)
            rc |= sl_buf_printf(out, "%s: %s\n", extra[i], text);
        free(text);
    }
    if (e && *e) {
        char *text = status_clean(e, 0);
        rc |= text ? sl_buf_printf(out, "error: %s\n", text) : SL_ENOMEM;
        free(text);
    }
    if (cJSON_GetArraySize(history) > 0) {
        rc |= sl_buf_puts(out, "\nrecent runs (newest first):\n");
        cJSON_ArrayForEach(v, history)
        {
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(v, "started");
            const cJSON *du = cJSON_GetObjectItemCaseSensitive(v, "duration");
            const char *res = status_str(v, "result", NULL), *rev = status_str(v, "revision", NULL);
            const char *trig = status_str(v, "trigger", NULL), *err = status_str(v, "error", NULL);
            char ts[64], *etext = err ? status_clean(err, ST_ERROR_WIDTH) : NULL;
            status_rfc3339(cJSON_IsNumber(st) ? st->valuedouble : 0, ts, sizeof(ts));
            rc |= sl_buf_printf(out, "  %s  %-8s %.12s  +%d ~%d -%d  %.1fs  %s%s%s\n", ts,
                                res ? res : "?", rev ? rev : "-", status_count(v, "created"),
                                status_count(v, "updated"), status_count(v, "pruned"),
                                cJSON_IsNumber(du) ? du->valuedouble : 0.0, trig ? trig : "",
                                etext ? "  " : "", etext ? etext : "");
            free(etext);
        }
    }
    return rc ? SL_ENOMEM : 0;
}

int sl_status_main(int argc, char **argv)
{
    status_opts o;
    sl_config *cfg = NULL;
    char *url = NULL, why[512] = "";
    cJSON *apps = NULL, *history = NULL, *doc = NULL, *a;
    sl_buf out = SL_BUF_INIT;
    const char *origin = "daemon";
    int rc, code = ST_EXIT_ERROR, any_failed = 0;

    if ((rc = status_parse(argc, argv, &o)))
        return rc < 0 ? ST_EXIT_OK : rc;
    /* The config names listen and stateDir. With --api and no -c, a
     * missing config is fine: there is just no state file to fall back on. */
    if (status_load(o.config, &cfg, o.api && !o.config_given && access(o.config, F_OK))) {
        if (!o.api || o.config_given || !access(o.config, F_OK))
            goto out;
        sl_config_free(cfg);
        cfg = NULL;
    }
    url = o.api ? strdup(o.api) : status_listen_url(cfg ? cfg->listen : NULL);
    if (url) {
        rc = status_from_api(url, o.app, &apps, why, sizeof(why));
        if (rc == SL_ENOTFOUND) {
            fprintf(stderr, "error: app %s: no such app (daemon at %s)\n", o.app, url);
            goto out;
        }
    } else {
        rc = SL_ENET;
        snprintf(why, sizeof(why), "no listen address in %s", o.config);
    }
    if (rc) {
        sl_error err;
        if (!cfg) {
            fprintf(stderr,
                    "error: daemon not reachable at %s (%s), and no configuration to "
                    "find the state file\n",
                    url ? url : "?", why);
            goto out;
        }
        origin = "state";
        if (url)
            fprintf(stderr,
                    "daemon not reachable at %s (%s); showing the last recorded state "
                    "from %s/state.db\n",
                    url, why, cfg->state_dir);
        else
            fprintf(stderr, "%s; showing the last recorded state from %s/state.db\n", why,
                    cfg->state_dir);
        sl_error_clear(&err);
        if (status_from_state(cfg->state_dir, o.app, &apps, o.app ? &history : NULL, &err)) {
            status_print_error(&err);
            goto out;
        }
    }
    cJSON_ArrayForEach(a, apps) any_failed |= status_failed(status_str(a, "result", "status"));

    if (o.json) {
        char *text;
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "origin", origin);
        if (!strcmp(origin, "daemon"))
            cJSON_AddStringToObject(doc, "url", url);
        else {
            char *f = NULL;
            if (asprintf(&f, "%s/state.db", cfg->state_dir) >= 0)
                cJSON_AddStringToObject(doc, "stateFile", f);
            free(f);
        }
        cJSON_AddItemToObject(doc, "apps", apps);
        apps = NULL;
        if (history) {
            cJSON_AddItemToObject(doc, "history", history);
            history = NULL;
        }
        if (!(text = cJSON_Print(doc)))
            goto out;
        rc = sl_buf_puts(&out, text) || sl_buf_putc(&out, '\n');
        free(text);
        if (rc)
            goto out;
    } else if (cJSON_GetArraySize(apps) == 0) {
        if (sl_buf_puts(&out,
                        strcmp(origin, "daemon") ? "no reconcile recorded yet\n" : "no apps\n"))
            goto out;
    } else {
        if (status_table(apps, &out))
            goto out;
        if (o.app && status_detail(cJSON_GetArrayItem(apps, 0), history, &out))
            goto out;
    }
    fwrite(out.ptr ? out.ptr : "", 1, out.len, stdout);
    if (fflush(stdout))
        goto out;
    code = any_failed ? ST_EXIT_FAILED : ST_EXIT_OK;
out:
    sl_buf_free(&out);
    cJSON_Delete(doc);
    cJSON_Delete(apps);
    cJSON_Delete(history);
    free(url);
    sl_config_free(cfg);
    return code;
}
