/* webhook.c: GitHub webhook deliveries: X-Hub-Signature-256 verification
 * (HMAC-SHA256, constant-time compare), push payload parsing and matching a
 * push to a source's git URL and ref. Pure functions, no I/O. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sl_webhook.h"

#define SL_WEBHOOK_SIG_PREFIX "sha256="

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Verify "sha256=<64 hex>" against HMAC-SHA256(secret, body). The decoded
 * signature and the computed MAC are compared with CRYPTO_memcmp, so the
 * time taken does not depend on where they differ. */
int sl_webhook_verify(const char *secret, size_t secret_len, const char *body, size_t len,
                      const char *signature_header, sl_error *err)
{
    unsigned char want[32], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    const char *hex;
    int rc = 0;

    if (!secret || !secret_len)
        return sl_error_set(err, SL_EREFUSED, "no webhook secret configured");
    if (!signature_header || !*signature_header)
        return sl_error_set(err, SL_EREFUSED, "missing X-Hub-Signature-256 header");
    if (strncmp(signature_header, SL_WEBHOOK_SIG_PREFIX, sizeof(SL_WEBHOOK_SIG_PREFIX) - 1))
        return sl_error_set(err, SL_EREFUSED, "malformed X-Hub-Signature-256 header");
    hex = signature_header + sizeof(SL_WEBHOOK_SIG_PREFIX) - 1;
    if (strlen(hex) != 2 * sizeof(want))
        return sl_error_set(err, SL_EREFUSED, "malformed X-Hub-Signature-256 header");
    for (size_t i = 0; i < sizeof(want); i++) {
        int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return sl_error_set(err, SL_EREFUSED, "malformed X-Hub-Signature-256 header");
        want[i] = (unsigned char)(hi << 4 | lo);
    }
    if (secret_len > 0x7fffffff ||
        !HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)(body ? body : ""), len,
              mac, &maclen) ||
        maclen != sizeof(want)) {
        rc = sl_error_set(err, SL_EREFUSED, "cannot compute the webhook signature");
        goto out;
    }
    if (CRYPTO_memcmp(mac, want, sizeof(want)) != 0)
        rc = sl_error_set(err, SL_EREFUSED, "webhook signature does not match");
out:
    OPENSSL_cleanse(mac, sizeof(mac));
    return rc;
}

/* Copy a header value into a fixed field; SL_EINVAL when it does not fit
 * or holds control characters. */
static int copy_field(char *dst, size_t n, const char *src, const char *what, sl_error *err)
{
    size_t l = strlen(src);

    if (l >= n)
        return sl_error_set(err, SL_EINVAL, "%s is too long (%zu bytes, at most %zu)", what, l,
                            n - 1);
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
            return sl_error_set(err, SL_EINVAL, "%s holds a control character", what);
    memcpy(dst, src, l + 1);
    return 0;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Parse an ISO 8601 / RFC 3339 time as GitHub writes it
 * ("2019-05-15T15:19:25Z", "2019-05-15T11:19:25-04:00", optional fraction)
 * into unix seconds. 0 when it does not parse. */
static int64_t parse_time(const char *s)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    const char *p;
    int64_t t;

    if (strlen(s) < 19 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return 0;
    p = s + 19;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return 0;
        p += 6;
    } else
        return 0;
    if (*p)
        return 0;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = (int64_t)timegm(&tm);
    if (t == -1)
        return 0;
    return t - (int64_t)sign * (oh * 3600 + om * 60);
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The push-specific part of sl_webhook_parse: repository URLs, ref, after,
 * deleted, head_commit.timestamp. */
static int parse_push(const cJSON *root, sl_webhook_event *out, sl_error *err)
{
    static const char *const url_keys[] = {"clone_url", "ssh_url", "git_url", "html_url"};
    const cJSON *repo, *head, *del;
    const char *s;
    int rc;

    if (!cJSON_IsObject(root))
        return sl_error_set(err, SL_EINVAL, "push payload is not a JSON object");
    repo = cJSON_GetObjectItemCaseSensitive(root, "repository");
    if (!cJSON_IsObject(repo))
        return sl_error_set(err, SL_EINVAL, "push payload has no \"repository\" object");
    for (size_t i = 0; i < sizeof(url_keys) / sizeof(url_keys[0]); i++) {
        s = json_str(repo, url_keys[i]);
        if (!s || !*s || strlen(s) >= sizeof(out->urls[0]) || out->nurls >= SL_WEBHOOK_MAX_URLS)
            continue;
        memcpy(out->urls[out->nurls++], s, strlen(s) + 1);
    }
    if (!out->nurls)
        return sl_error_set(err, SL_EINVAL,
                            "push payload has no repository clone_url, ssh_url or html_url");
    if (!(s = json_str(root, "ref")) || !*s)
        return sl_error_set(err, SL_EINVAL, "push payload has no \"ref\"");
    if ((rc = copy_field(out->ref, sizeof(out->ref), s, "push ref", err)))
        return rc;
    if ((s = json_str(root, "after")) &&
        (rc = copy_field(out->after, sizeof(out->after), s, "push \"after\"", err)))
        return rc;
    del = cJSON_GetObjectItemCaseSensitive(root, "deleted");
    out->deleted = cJSON_IsTrue(del);
    head = cJSON_GetObjectItemCaseSensitive(root, "head_commit");
    if (cJSON_IsObject(head) && (s = json_str(head, "timestamp")))
        out->commit_time = parse_time(s);
    return 0;
}

/* Fill out from the headers and, for push, the body. Other events do not
 * look at the body at all (nothing in them is needed). */
int sl_webhook_parse(const char *event, const char *delivery, const char *body, size_t len,
                     sl_webhook_event *out, sl_error *err)
{
    cJSON *root = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!event || !*event)
        return sl_error_set(err, SL_EINVAL, "missing X-GitHub-Event header");
    if ((rc = copy_field(out->event, sizeof(out->event), event, "X-GitHub-Event", err)))
        goto out;
    if (delivery &&
        (rc = copy_field(out->delivery, sizeof(out->delivery), delivery, "X-GitHub-Delivery", err)))
        goto out;
    if (strcmp(out->event, "push"))
        goto out;
    if (!body || !len) {
        rc = sl_error_set(err, SL_EINVAL, "push delivery has an empty body");
        goto out;
    }
    root = cJSON_ParseWithLength(body, len);
    if (!root) {
        rc = sl_error_set(err, SL_EINVAL, "push payload is not valid JSON");
        goto out;
    }
    rc = parse_push(root, out, err);
out:
    cJSON_Delete(root);
    if (rc) {
        char keep[sizeof(out->event)];
        memcpy(keep, out->event, sizeof(keep));
        memset(out, 0, sizeof(*out));
        memcpy(out->event, keep, sizeof(keep));
    }
    return rc;
}

/* Append s[0..n) to out at *off, truncating at the end of out. */
static void put(char *out, size_t n, size_t *off, const char *s, size_t len, int lower)
{
    for (size_t i = 0; i < len && *off + 1 < n; i++)
        out[(*off)++] = lower ? (char)tolower((unsigned char)s[i]) : s[i];
    out[*off < n ? *off : n - 1] = '\0';
}

/* Normalise a git URL to "host/path": the scheme, user info and port are
 * dropped, the host lower-cased, the scp-like form "user@host:path" read as
 * host and path, leading and trailing "/" and one trailing ".git" removed.
 * github.com paths are case-insensitive, so they are lower-cased too. */
void sl_webhook_url_key(const char *url, char *out, size_t n)
{
    const char *host = NULL, *host_end = NULL, *path, *path_end, *p, *at;
    size_t off = 0;
    int gh;

    if (!out || !n)
        return;
    out[0] = '\0';
    if (!url)
        return;
    if ((p = strstr(url, "://")) && p > url && !memchr(url, '/', (size_t)(p - url))) {
        host = p + 3;
        host_end = host + strcspn(host, "/");
        path = host_end;
        at = memrchr(host, '@', (size_t)(host_end - host));
        if (at)
            host = at + 1;
        /* Drop a port; keep an IPv6 literal whole. */
        if (*host == '[') {
            const char *rb = memchr(host, ']', (size_t)(host_end - host));
            if (rb)
                host_end = rb + 1;
        } else if ((p = memchr(host, ':', (size_t)(host_end - host))))
            host_end = p;
    } else {
        const char *colon = strchr(url, ':');
        const char *slash = strchr(url, '/');
        if (colon && colon != url && (!slash || colon < slash) && url[0] != '.') {
            /* scp-like: [user@]host:path */
            host = url;
            host_end = colon;
            at = memrchr(host, '@', (size_t)(host_end - host));
            if (at)
                host = at + 1;
            path = colon + 1;
        } else
            path = url;
    }
    while (*path == '/')
        path++;
    path_end = path + strlen(path);
    while (path_end > path && path_end[-1] == '/')
        path_end--;
    if (path_end - path >= 4 && !strncmp(path_end - 4, ".git", 4))
        path_end -= 4;
    while (path_end > path && path_end[-1] == '/')
        path_end--;
    gh = host && host_end - host == 10 && !strncasecmp(host, "github.com", 10);
    if (host)
        put(out, n, &off, host, (size_t)(host_end - host), 1);
    put(out, n, &off, "/", 1, 0);
    put(out, n, &off, path, (size_t)(path_end - path), gh);
}

static int is_commit_id(const char *s)
{
    size_t l = strlen(s);

    if (l != 40 && l != 64)
        return 0;
    for (size_t i = 0; i < l; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* 1 when ev's ref is what source_ref names: a full ref compares exactly, a
 * short name matches refs/heads/<name> or refs/tags/<name>. */
static int ref_matches(const char *ev_ref, const char *source_ref)
{
    if (!source_ref || !*source_ref)
        return 1;
    if (is_commit_id(source_ref))
        return 0;
    if (!strcmp(ev_ref, source_ref))
        return 1;
    if (!strncmp(source_ref, "refs/", 5))
        return !strcmp(ev_ref, source_ref);
    if (!strncmp(ev_ref, "refs/heads/", 11) && !strcmp(ev_ref + 11, source_ref))
        return 1;
    if (!strncmp(ev_ref, "refs/tags/", 10) && !strcmp(ev_ref + 10, source_ref))
        return 1;
    return 0;
}

int sl_webhook_matches(const sl_webhook_event *ev, const char *source_url, const char *source_ref)
{
    char want[2048], have[sizeof(ev->urls[0]) + 8];

    if (!ev || !source_url || !*source_url || strcmp(ev->event, "push") || !ev->ref[0])
        return 0;
    if (!ref_matches(ev->ref, source_ref))
        return 0;
    sl_webhook_url_key(source_url, want, sizeof(want));
    if (strlen(want) >= sizeof(have) - 1)
        return 0;
    for (size_t i = 0; i < ev->nurls && i < SL_WEBHOOK_MAX_URLS; i++) {
        sl_webhook_url_key(ev->urls[i], have, sizeof(have));
        if (!strcmp(want, have))
            return 1;
    }
    return 0;
}
