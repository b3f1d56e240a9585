/* test_webhook.c: X-Hub-Signature-256 verification (GitHub's documented
 * test vector), parsing every GitHub payload in the conformance data
 * ($SL_SHARED_DIR/conformance/github-webhooks) and matching pushes to
 * sources by URL (clone, scp-like ssh and html forms) and ref. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/hmac.h>

#include "sl_buf.h"
#include "sl_test.h"
#include "sl_webhook.h"

#define GH_SECRET "It's a Secret to Everybody"
#define GH_BODY "Hello, World!"
#define GH_SIG "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

static char *conf_path(const char *rel)
{
    char *p;

    if (asprintf(&p, "%s/conformance/github-webhooks/%s", sl_test_shared_dir(), rel) < 0)
        return NULL;
    return p;
}

static int read_payload(const char *rel, sl_buf *b)
{
    char *p = conf_path(rel);
    sl_error err;
    int rc = sl_file_read(p, 0, b, &err);

    if (rc)
        fprintf(stderr, "cannot read %s: %s\n", p, err.msg);
    free(p);
    return rc;
}

/* "sha256=<hex>" of body under secret, computed here with OpenSSL. */
static void sign(const char *secret, const char *body, size_t len, char *out, size_t n)
{
    unsigned char mac[32];
    unsigned int ml = 0;
    size_t off;

    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &ml);
    off = (size_t)snprintf(out, n, "sha256=");
    for (unsigned i = 0; i < ml && off + 3 <= n; i++)
        off += (size_t)snprintf(out + off, n - off, "%02x", mac[i]);
}

static void test_signature_vector(void)
{
    sl_error err;
    char upper[128], tampered[128];

    sl_error_clear(&err);
    SL_CHECK_INT(
        sl_webhook_verify(GH_SECRET, strlen(GH_SECRET), GH_BODY, strlen(GH_BODY), GH_SIG, &err), 0);
    /* hex digits in upper case are the same signature */
    snprintf(upper, sizeof(upper), "sha256=%s", &GH_SIG[7]);
    for (char *p = upper + 7; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    SL_CHECK_INT(
        sl_webhook_verify(GH_SECRET, strlen(GH_SECRET), GH_BODY, strlen(GH_BODY), upper, &err), 0);
    /* our own signer agrees with GitHub's vector */
    sign(GH_SECRET, GH_BODY, strlen(GH_BODY), upper, sizeof(upper));
    SL_CHECK_STR(upper, GH_SIG);

    /* one changed byte in the body, the secret or the signature: refused */
    SL_CHECK_INT(sl_webhook_verify(GH_SECRET, strlen(GH_SECRET), "Hello, World?", 13, GH_SIG, &err),
                 SL_EREFUSED);
    SL_CHECK(!strstr(err.msg, GH_SECRET));
    SL_CHECK(!strstr(err.msg, &GH_SIG[7]));
    SL_CHECK_INT(sl_webhook_verify("It's a secret to Everybody", 26, GH_BODY, 13, GH_SIG, &err),
                 SL_EREFUSED);
    snprintf(tampered, sizeof(tampered), "%s", GH_SIG);
    tampered[strlen(tampered) - 1] = '6';
    SL_CHECK_INT(sl_webhook_verify(GH_SECRET, strlen(GH_SECRET), GH_BODY, 13, tampered, &err),
                 SL_EREFUSED);
    /* missing, malformed, the legacy sha1 header value, truncated */
    SL_CHECK_INT(sl_webhook_verify(GH_SECRET, strlen(GH_SECRET), GH_BODY, 13, NULL, &err),
                 SL_EREFUSED);
    SL_CHECK_HAS(err.msg, "missing");
    SL_CHECK_INT(sl_webhook_verify(GH_SECRET, strlen(GH_SECRET), GH_BODY, 13, "", &err),
                 SL_EREFUSED);
    SL_CHECK_INT(sl_webhook_verify(GH_SECRET, strlen(GH_SECRET), GH_BODY, 13, &GH_SIG[7], &err),
                 SL_EREFUSED);
    SL_CHECK_INT(sl_webhook_verify(GH_SECRET, strlen(GH_SECRET), GH_BODY, 13,
                                   "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", &err),
                 SL_EREFUSED);
    snprintf(tampered, sizeof(tampered), "%.*s", (int)strlen(GH_SIG) - 2, GH_SIG);
    SL_CHECK_INT(sl_webhook_verify(GH_SECRET, strlen(GH_SECRET), GH_BODY, 13, tampered, &err),
                 SL_EREFUSED);
    snprintf(tampered, sizeof(tampered), "%sz", GH_SIG);
    SL_CHECK_INT(sl_webhook_verify(GH_SECRET, strlen(GH_SECRET), GH_BODY, 13, tampered, &err),
                 SL_EREFUSED);
    snprintf(tampered, sizeof(tampered), "%s", GH_SIG);
    tampered[10] = 'g';
    SL_CHECK_INT(sl_webhook_verify(GH_SECRET, strlen(GH_SECRET), GH_BODY, 13, tampered, &err),
                 SL_EREFUSED);
    /* no secret is never an open door */
    SL_CHECK_INT(sl_webhook_verify("", 0, GH_BODY, 13, GH_SIG, &err), SL_EREFUSED);
    SL_CHECK_INT(sl_webhook_verify(NULL, 0, GH_BODY, 13, GH_SIG, &err), SL_EREFUSED);
    /* an empty body verifies when signed */
    sign("s3cret", "", 0, upper, sizeof(upper));
    SL_CHECK_INT(sl_webhook_verify("s3cret", 6, "", 0, upper, &err), 0);
}

/* Every push payload: parse it, check the fields against the JSON as read
 * by cJSON here, and sign/verify it. */
static void test_parse_push_payloads(void)
{
    static const char *const files[] = {"push/payload.json",
                                        "push/1.payload.json",
                                        "push/with-installation.payload.json",
                                        "push/with-new-branch.payload.json",
                                        "push/with-no-username-committer.payload.json",
                                        "push/with-organization.payload.json"};

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        sl_buf b = SL_BUF_INIT;
        sl_webhook_event ev;
        sl_error err;
        cJSON *root, *repo, *head;
        char sig[128];

        if (read_payload(files[i], &b)) {
            SL_CHECK(!"conformance payload missing");
            continue;
        }
        sign("per-source secret", b.ptr, b.len, sig, sizeof(sig));
        SL_CHECK_INT(sl_webhook_verify("per-source secret", 17, b.ptr, b.len, sig, &err), 0);
        SL_CHECK_INT(sl_webhook_verify("another secret", 14, b.ptr, b.len, sig, &err), SL_EREFUSED);

        SL_CHECK_INT(sl_webhook_parse("push", "72d3162e-cc78-11e3-81ab-4c9367dc0958", b.ptr, b.len,
                                      &ev, &err),
                     0);
        root = cJSON_ParseWithLength(b.ptr, b.len);
        SL_CHECK(root != NULL);
        repo = cJSON_GetObjectItem(root, "repository");
        head = cJSON_GetObjectItem(root, "head_commit");
        SL_CHECK_STR(ev.event, "push");
        SL_CHECK_STR(ev.delivery, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        SL_CHECK_STR(ev.ref, cJSON_GetStringValue(cJSON_GetObjectItem(root, "ref")));
        SL_CHECK_STR(ev.after, cJSON_GetStringValue(cJSON_GetObjectItem(root, "after")));
        SL_CHECK_INT(ev.deleted, cJSON_IsTrue(cJSON_GetObjectItem(root, "deleted")));
        SL_CHECK_INT(ev.nurls, 4);
        SL_CHECK_STR(ev.urls[0], cJSON_GetStringValue(cJSON_GetObjectItem(repo, "clone_url")));
        SL_CHECK_STR(ev.urls[1], cJSON_GetStringValue(cJSON_GetObjectItem(repo, "ssh_url")));
        SL_CHECK_STR(ev.urls[3], cJSON_GetStringValue(cJSON_GetObjectItem(repo, "html_url")));
        if (cJSON_IsObject(head)) {
            /* head_commit.timestamp, read here with strptime/timegm */
            struct tm tm;
            const char *ts = cJSON_GetStringValue(cJSON_GetObjectItem(head, "timestamp"));
            memset(&tm, 0, sizeof(tm));
            SL_CHECK(ts && strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm));
            SL_CHECK_INT(ev.commit_time, (long long)timegm(&tm));
            SL_CHECK(ev.commit_time > 1500000000);
        } else
            SL_CHECK_INT(ev.commit_time, 0);
        cJSON_Delete(root);
        sl_buf_free(&b);
    }
}

static void test_parse_other_events(void)
{
    static const struct {
        const char *file, *event;
    } files[] = {{"ping/payload.json", "ping"},
                 {"ping/with-app_id.payload.json", "ping"},
                 {"ping/with-organization.payload.json", "ping"},
                 {"create/payload.json", "create"},
                 {"create/with-description.payload.json", "create"},
                 {"create/with-installation.payload.json", "create"},
                 {"create/with-organization.payload.json", "create"},
                 {"delete/payload.json", "delete"},
                 {"delete/with-installation.payload.json", "delete"},
                 {"delete/with-organization.payload.json", "delete"}};

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        sl_buf b = SL_BUF_INIT;
        sl_webhook_event ev;
        sl_error err;
        cJSON *root;

        if (read_payload(files[i].file, &b)) {
            SL_CHECK(!"conformance payload missing");
            continue;
        }
        root = cJSON_ParseWithLength(b.ptr, b.len);
        SL_CHECK(cJSON_IsObject(root)); /* the data is what GitHub sends */
        SL_CHECK_INT(sl_webhook_parse(files[i].event, "d-1", b.ptr, b.len, &ev, &err), 0);
        SL_CHECK_STR(ev.event, files[i].event);
        SL_CHECK_STR(ev.delivery, "d-1");
        /* only pushes move sources: a create of the same repo matches nothing */
        SL_CHECK(!sl_webhook_matches(&ev, "https://github.com/Codertocat/Hello-World.git", NULL));
        /* the same body labelled "push" parses only when it has a push's ref */
        if (!cJSON_IsString(cJSON_GetObjectItem(root, "ref")))
            SL_CHECK_INT(sl_webhook_parse("push", "d-1", b.ptr, b.len, &ev, &err), SL_EINVAL);
        cJSON_Delete(root);
        sl_buf_free(&b);
    }
}

static void test_parse_malformed(void)
{
    sl_webhook_event ev;
    sl_error err;
    char longev[100];

    SL_CHECK_INT(sl_webhook_parse("push", "x", "{\"ref\":", 7, &ev, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "JSON");
    SL_CHECK_INT(sl_webhook_parse("push", "x", "[1,2]", 5, &ev, &err), SL_EINVAL);
    SL_CHECK_INT(sl_webhook_parse("push", "x", "", 0, &ev, &err), SL_EINVAL);
    SL_CHECK_INT(sl_webhook_parse("push", "x", "{\"ref\":\"refs/heads/main\"}", 25, &ev, &err),
                 SL_EINVAL);
    SL_CHECK_HAS(err.msg, "repository");
    {
        const char *noref = "{\"repository\":{\"clone_url\":\"https://h/o/r.git\"}}";
        SL_CHECK_INT(sl_webhook_parse("push", "x", noref, strlen(noref), &ev, &err), SL_EINVAL);
        SL_CHECK_HAS(err.msg, "ref");
    }
    /* the body is only parsed up to its length */
    {
        const char *ok =
            "{\"ref\":\"refs/heads/main\",\"repository\":{\"html_url\":\"https://h/o/r\"}}";
        SL_CHECK_INT(sl_webhook_parse("push", NULL, ok, strlen(ok), &ev, &err), 0);
        SL_CHECK_STR(ev.delivery, "");
        SL_CHECK_INT(ev.nurls, 1);
        SL_CHECK_INT(sl_webhook_parse("push", NULL, ok, strlen(ok) - 1, &ev, &err), SL_EINVAL);
    }
    /* head_commit.timestamp with an offset is the same instant as in UTC */
    {
        const char *a = "{\"ref\":\"refs/heads/main\",\"repository\":{\"clone_url\":\"https://h/o/"
                        "r\"},\"head_commit\":{\"timestamp\":\"2019-05-15T11:19:25-04:00\"}}";
        const char *b = "{\"ref\":\"refs/heads/main\",\"repository\":{\"clone_url\":\"https://h/o/"
                        "r\"},\"head_commit\":{\"timestamp\":\"2019-05-15T15:19:25Z\"}}";
        sl_webhook_event eb;
        SL_CHECK_INT(sl_webhook_parse("push", NULL, a, strlen(a), &ev, &err), 0);
        SL_CHECK_INT(sl_webhook_parse("push", NULL, b, strlen(b), &eb, &err), 0);
        SL_CHECK(ev.commit_time != 0);
        SL_CHECK_INT(ev.commit_time, eb.commit_time);
    }
    /* headers: missing event, oversized event or delivery id */
    SL_CHECK_INT(sl_webhook_parse(NULL, "x", "{}", 2, &ev, &err), SL_EINVAL);
    memset(longev, 'a', sizeof(longev) - 1);
    longev[sizeof(longev) - 1] = '\0';
    SL_CHECK_INT(sl_webhook_parse(longev, "x", "{}", 2, &ev, &err), SL_EINVAL);
    {
        char longid[200];
        memset(longid, '1', sizeof(longid) - 1);
        longid[sizeof(longid) - 1] = '\0';
        SL_CHECK_INT(sl_webhook_parse("ping", longid, "{}", 2, &ev, &err), SL_EINVAL);
    }
    /* an event that is not push ignores its body entirely */
    SL_CHECK_INT(sl_webhook_parse("issues", "x", "not json at all", 15, &ev, &err), 0);
}

/* The push payloads name github.com/Codertocat/Hello-World; a source
 * configured with any of its URL forms matches, another repository or
 * another branch does not. */
static void test_matches_conformance(void)
{
    static const char *const files[] = {"push/payload.json", "push/with-new-branch.payload.json",
                                        "push/with-organization.payload.json"};

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        sl_buf b = SL_BUF_INIT;
        sl_webhook_event ev;
        sl_error err;
        cJSON *root, *repo;
        const char *clone, *ssh, *html, *ref, *shortref;
        char other_ref[300];

        if (read_payload(files[i], &b) || sl_webhook_parse("push", "d", b.ptr, b.len, &ev, &err)) {
            SL_CHECK(!"cannot read push payload");
            sl_buf_free(&b);
            continue;
        }
        root = cJSON_ParseWithLength(b.ptr, b.len);
        repo = cJSON_GetObjectItem(root, "repository");
        clone = cJSON_GetStringValue(cJSON_GetObjectItem(repo, "clone_url"));
        ssh = cJSON_GetStringValue(cJSON_GetObjectItem(repo, "ssh_url"));
        html = cJSON_GetStringValue(cJSON_GetObjectItem(repo, "html_url"));
        ref = cJSON_GetStringValue(cJSON_GetObjectItem(root, "ref"));
        shortref = strrchr(ref, '/') + 1; /* refs/heads/master -> master, refs/tags/x -> x */

        SL_CHECK(sl_webhook_matches(&ev, clone, shortref));
        SL_CHECK(sl_webhook_matches(&ev, ssh, shortref));
        SL_CHECK(sl_webhook_matches(&ev, html, shortref));
        SL_CHECK(sl_webhook_matches(&ev, clone, ref));
        SL_CHECK(sl_webhook_matches(&ev, clone, NULL));
        SL_CHECK(sl_webhook_matches(&ev, clone, ""));
        /* equivalent spellings a user may configure */
        SL_CHECK(sl_webhook_matches(&ev, "https://GitHub.com/Codertocat/Hello-World/", shortref));
        SL_CHECK(sl_webhook_matches(&ev, "ssh://git@github.com:22/Codertocat/Hello-World.git",
                                    shortref));
        SL_CHECK(sl_webhook_matches(&ev, "https://token@github.com/codertocat/hello-world.git",
                                    shortref));
        /* another repository, a prefix of the name, another owner */
        SL_CHECK(
            !sl_webhook_matches(&ev, "https://github.com/Codertocat/Hello-World-2.git", shortref));
        SL_CHECK(!sl_webhook_matches(&ev, "https://github.com/Codertocat/Hello.git", shortref));
        SL_CHECK(!sl_webhook_matches(&ev, "git@github.com:Octocat/Hello-World.git", shortref));
        SL_CHECK(
            !sl_webhook_matches(&ev, "https://gitlab.com/Codertocat/Hello-World.git", shortref));
        SL_CHECK(!sl_webhook_matches(&ev, "file:///srv/git/Hello-World.git", shortref));
        /* another branch, the other ref namespace, a pinned commit */
        SL_CHECK(!sl_webhook_matches(&ev, clone, "main"));
        snprintf(other_ref, sizeof(other_ref), "%s-x", shortref);
        SL_CHECK(!sl_webhook_matches(&ev, clone, other_ref));
        snprintf(other_ref, sizeof(other_ref), "%s%s",
                 strncmp(ref, "refs/tags/", 10) ? "refs/tags/" : "refs/heads/", shortref);
        SL_CHECK(!sl_webhook_matches(&ev, clone, other_ref));
        SL_CHECK(!sl_webhook_matches(&ev, clone, "6113728f27ae82c7b1a177c8d03f9e96e0adf246"));
        SL_CHECK(!sl_webhook_matches(&ev, NULL, shortref));
        cJSON_Delete(root);
        sl_buf_free(&b);
    }
}

static void test_url_key(void)
{
    static const struct {
        const char *a, *b;
        int same;
    } cases[] = {
        {"https://github.com/org/repo.git", "git@github.com:org/repo.git", 1},
        {"https://github.com/org/repo.git", "git://github.com/org/repo", 1},
        {"https://github.com/org/repo", "ssh://git@github.com/org/repo.git/", 1},
        {"https://user:pw@github.com/org/repo", "https://github.com/org/repo", 1},
        {"https://github.com/Org/Repo", "https://github.com/org/repo", 1},
        {"https://git.example.com/Org/Repo", "https://git.example.com/org/repo", 0},
        {"https://GIT.example.com/Org/Repo", "git@git.example.com:Org/Repo.git", 1},
        {"https://git.example.com:8443/a/b", "ssh://git@git.example.com:2222/a/b.git", 1},
        {"https://github.com/org/repo", "https://github.com/org/repo2", 0},
        {"https://github.com/org/repo", "https://github.com/org2/repo", 0},
        {"https://github.com/org/repo", "https://example.com/org/repo", 0},
        {"file:///srv/git/repo.git", "/srv/git/repo", 1},
        {"https://[::1]:8080/a/b", "https://[::1]/a/b.git", 1},
    };
    char ka[512], kb[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_webhook_url_key(cases[i].a, ka, sizeof(ka));
        sl_webhook_url_key(cases[i].b, kb, sizeof(kb));
        if ((strcmp(ka, kb) == 0) != cases[i].same)
            fprintf(stderr, "  %s -> %s vs %s -> %s\n", cases[i].a, ka, cases[i].b, kb);
        SL_CHECK_INT(!strcmp(ka, kb), cases[i].same);
    }
    sl_webhook_url_key("git@github.com:Codertocat/Hello-World.git", ka, sizeof(ka));
    SL_CHECK_STR(ka, "github.com/codertocat/hello-world");
    /* a small output buffer truncates, never overflows */
    sl_webhook_url_key("https://github.com/Codertocat/Hello-World.git", ka, 8);
    SL_CHECK_INT(strlen(ka), 7);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_signature_vector), SL_TEST_ENTRY(test_parse_push_payloads),
             SL_TEST_ENTRY(test_parse_other_events), SL_TEST_ENTRY(test_parse_malformed),
             SL_TEST_ENTRY(test_matches_conformance), SL_TEST_ENTRY(test_url_key))
