/* test_kube.c: the kubernetes target's parts that need no API server:
 * kubeconfig loading and merging, the ApplySet id (KEP-3659), group-kind
 * lists, health rules, backoff, kind ordering and the mass-prune guard;
 * and the HTTP client's retries, Retry-After and timeouts against a small
 * loopback server. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../appliers/kubernetes/kube.h"
#include "sl_app.h"
#include "sl_plan.h"
#include "sl_test.h"

/* ---- kubeconfig ---- */

static const char *const kc_main =
    "apiVersion: v1\n"
    "kind: Config\n"
    "current-context: dev\n"
    "clusters:\n"
    "- name: dev\n"
    "  cluster:\n"
    "    server: https://10.0.0.1:6443/\n"
    "    certificate-authority: ca.crt\n"
    "    tls-server-name: api.dev\n"
    "    proxy-url: http://proxy:3128\n"
    "- name: prod\n"
    "  cluster:\n"
    "    server: https://prod:6443\n"
    "    certificate-authority-data: LS0tLS1CRUdJTg==\n"
    "    insecure-skip-tls-verify: true\n"
    "users:\n"
    "- name: dev\n"
    "  user: {token: s3cr3t-dev-token}\n"
    "- name: prod\n"
    "  user:\n"
    "    client-certificate-data: Y2VydA==\n"
    "    client-key-data: a2V5\n"
    "- name: plugin\n"
    "  user:\n"
    "    exec: {command: aws, args: [eks, get-token]}\n"
    "contexts:\n"
    "- name: dev\n"
    "  context: {cluster: dev, user: dev, namespace: team-a}\n"
    "- name: prod\n"
    "  context: {cluster: prod, user: prod}\n"
    "- name: eks\n"
    "  context: {cluster: prod, user: plugin}\n";

/* A second file: its dev cluster loses to the first file's (kubectl's
 * first-wins merge), its current-context is ignored, its basic-auth user
 * and context are added. */
static const char *const kc_second = "current-context: prod\n"
                                     "clusters:\n"
                                     "- name: dev\n"
                                     "  cluster: {server: https://wrong:1}\n"
                                     "users:\n"
                                     "- name: basic\n"
                                     "  user: {username: admin, password: pw-xyz}\n"
                                     "contexts:\n"
                                     "- name: basic\n"
                                     "  context: {cluster: dev, user: basic}\n";

static int load2(const char *ctx, int allow_exec, kube_conn *c, sl_error *err)
{
    const char *files[] = {"/etc/kube/main", "/home/u/second"};
    const char *texts[] = {kc_main, kc_second};
    kube_conn_opts o = {NULL, ctx, allow_exec};

    sl_error_clear(err);
    return kube_conn_from_texts(files, texts, 2, &o, c, err);
}

static void test_kubeconfig(void)
{
    kube_conn c;
    sl_error err;

    SL_CHECK_INT(load2(NULL, 0, &c, &err), 0);
    SL_CHECK_STR(c.context, "dev");
    SL_CHECK_STR(c.server, "https://10.0.0.1:6443"); /* trailing slash dropped */
    SL_CHECK_STR(c.ca_file, "/etc/kube/ca.crt");     /* relative to its file */
    SL_CHECK_STR(c.tls_server_name, "api.dev");
    SL_CHECK_STR(c.proxy_url, "http://proxy:3128");
    SL_CHECK_STR(c.token, "s3cr3t-dev-token");
    SL_CHECK_STR(c.namespace, "team-a");
    SL_CHECK(!c.insecure);
    kube_conn_clear(&c);

    SL_CHECK_INT(load2("prod", 0, &c, &err), 0);
    SL_CHECK(c.insecure);
    SL_CHECK_INT(c.ca_len, 10);
    SL_CHECK(c.ca_data && !memcmp(c.ca_data, "-----BEGIN", 10));
    SL_CHECK_STR(c.cert_data, "cert");
    SL_CHECK_STR(c.key_data, "key");
    SL_CHECK(c.token == NULL);
    kube_conn_clear(&c);

    /* The merged second file: its context and user, the first file's cluster. */
    SL_CHECK_INT(load2("basic", 0, &c, &err), 0);
    SL_CHECK_STR(c.server, "https://10.0.0.1:6443");
    SL_CHECK_STR(c.username, "admin");
    SL_CHECK_STR(c.password, "pw-xyz");
    kube_conn_clear(&c);

    /* exec plugins are refused unless allowed. */
    SL_CHECK_INT(load2("eks", 0, &c, &err), SL_EREFUSED);
    SL_CHECK_HAS(err.msg, "exec credential plugin");
    SL_CHECK_HAS(err.msg, "allowExec");
    SL_CHECK_INT(load2("eks", 1, &c, &err), SL_EUNSUPPORTED);

    SL_CHECK_INT(load2("nope", 0, &c, &err), SL_ENOTFOUND);
    SL_CHECK_HAS(err.msg, "no context named \"nope\"");
}

static void test_kubeconfig_errors(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"clusters: []\n", "no current-context"},
        {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n",
         "no cluster named \"c\""},
        {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
         "clusters: [{name: c, cluster: {server: https://a}}]\n",
         "no user named \"u\""},
        {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
         "clusters: [{name: c, cluster: {server: ftp://a}}]\n",
         "http(s)://"},
        {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
         "clusters: [{name: c, cluster: {server: https://a}}]\n"
         "users: [{name: u, user: {client-certificate-data: Y2VydA==, token: tok-123}}]\n",
         "both a client certificate and a client key"},
        {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
         "clusters: [{name: c, cluster: {server: https://a, certificate-authority-data: '!!'}}]\n",
         "not valid base64"},
        {"key: [unclosed\n", "did not find expected"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *files[] = {"kc.yaml"};
        const char *texts[] = {cases[i].text};
        kube_conn_opts o = {0};
        kube_conn c;
        sl_error err;
        sl_error_clear(&err);
        SL_CHECK(kube_conn_from_texts(files, texts, 1, &o, &c, &err) < 0);
        SL_CHECK_HAS(err.msg[0] ? err.msg : err.file, cases[i].want);
        if (strstr(cases[i].text, "tok-123"))
            SL_CHECK(!strstr(err.msg, "tok-123")); /* never a credential */
        SL_CHECK(c.server == NULL);
    }
}

/* Load a one-user kubeconfig whose user is exec (YAML flow mapping). */
static int exec_conn(const char *exec, int allow, kube_conn *c, sl_error *err)
{
    char text[4096];
    const char *files[] = {"/tmp/kc.yaml"};
    const char *texts[] = {text};
    kube_conn_opts o = {0};

    o.allow_exec = allow;
    snprintf(text, sizeof(text),
             "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
             "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
             "users: [{name: u, user: {exec: %s}}]\n",
             exec);
    sl_error_clear(err);
    return kube_conn_from_texts(files, texts, 1, &o, c, err);
}

/* exec stanzas: validation, running, caching by expiry, errors. */
static void test_exec(void)
{
    static const struct {
        const char *exec, *want;
    } bad[] = {
        {"{apiVersion: client.authentication.k8s.io/v1}", "exec needs a command"},
        {"{command: x}", "apiVersion must be"},
        {"{command: x, apiVersion: client.authentication.k8s.io/v1alpha1}", "v1alpha1"},
        {"{command: x, apiVersion: client.authentication.k8s.io/v1, interactiveMode: Always}",
         "needs a terminal"},
        {"{command: x, apiVersion: client.authentication.k8s.io/v1, args: x}", "args must be a list"},
        {"{command: x, apiVersion: client.authentication.k8s.io/v1, env: [{name: A}]}",
         "env entries need a name"},
        {"{command: x, apiVersion: client.authentication.k8s.io/v1, args: [{a: 1}]}",
         "args must be strings"},
    };
    static const struct {
        const char *script, *want;
    } fails[] = {
        {"echo 'bad login' >&2; echo secret-out; exit 4", "exit status 4: bad login"},
        {"echo secret-out", "not an ExecCredential"},
        {"echo '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
         "\"status\":{\"token\":\"secret-out\"}}'",
         "expected kind ExecCredential with apiVersion client.authentication.k8s.io/v1"},
        {"echo '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\","
         "\"status\":{\"clientCertificateData\":\"secret-out\"}}'",
         "needs a token, or both"},
        {"echo '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\","
         "\"status\":{\"token\":\"secret-out\",\"expirationTimestamp\":\"tomorrow\"}}'",
         "RFC 3339"},
        {"kill -9 $$", "killed by signal 9"},
    };
    char ex[2048];
    kube_conn c;
    sl_error err;
    const char *cert, *key;
    size_t cl, kl;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        SL_CHECK(exec_conn(bad[i].exec, 1, &c, &err) < 0);
        SL_CHECK_HAS(err.msg, bad[i].want);
    }
    SL_CHECK_INT(exec_conn("{command: x, apiVersion: client.authentication.k8s.io/v1}", 0, &c, &err),
                 SL_EREFUSED);
    SL_CHECK_HAS(err.msg, "allowExec");

    for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
        cJSON *a = cJSON_CreateString(fails[i].script);
        char *q = cJSON_PrintUnformatted(a);
        snprintf(ex, sizeof(ex),
                 "{command: /bin/sh, apiVersion: client.authentication.k8s.io/v1, args: [-c, %s]}", q);
        cJSON_free(q);
        cJSON_Delete(a);
        SL_CHECK_INT(exec_conn(ex, 1, &c, &err), 0);
        SL_CHECK(kube_exec_get(c.exec, &c, 0, &err) < 0);
        SL_CHECK_HAS(err.msg, fails[i].want);
        SL_CHECK(!strstr(err.msg, "secret-out"));
        SL_CHECK(kube_exec_token(c.exec) == NULL);
        kube_conn_clear(&c);
    }

    /* A plugin that does not answer in time is killed with its children. */
    {
        struct timespec t0, t1;
        SL_CHECK_INT(exec_conn("{command: /bin/sh, apiVersion: client.authentication.k8s.io/v1, "
                               "args: [-c, 'sleep 20; echo late']}",
                               1, &c, &err),
                     0);
        kube_exec_set_timeout(c.exec, 300);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        SL_CHECK_INT(kube_exec_get(c.exec, &c, 0, &err), SL_ELIMIT);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        SL_CHECK_HAS(err.msg, "no answer within 0.3 s");
        SL_CHECK(t1.tv_sec - t0.tv_sec < 5);
        kube_conn_clear(&c);
    }

    /* A token valid until 2099 is cached; env entries reach the plugin. */
    SL_CHECK_INT(exec_conn("{command: /bin/sh, apiVersion: client.authentication.k8s.io/v1, "
                           "env: [{name: TOK, value: t-1}], args: [-c, 'printf "
                           "\"{\\\"kind\\\":\\\"ExecCredential\\\",\\\"apiVersion\\\":"
                           "\\\"client.authentication.k8s.io/v1\\\",\\\"status\\\":{\\\"token\\\":"
                           "\\\"$TOK\\\",\\\"expirationTimestamp\\\":\\\"2099-01-01T00:00:00.5Z\\\"}}\"']}",
                           1, &c, &err),
                 0);
    SL_CHECK_INT(kube_exec_get(c.exec, &c, 0, &err), 0);
    SL_CHECK_STR(kube_exec_token(c.exec), "t-1");
    SL_CHECK_INT(kube_exec_get(c.exec, &c, 0, &err), 0);
    SL_CHECK_INT(kube_exec_runs(c.exec), 1);
    SL_CHECK_INT(kube_exec_get(c.exec, &c, 1, &err), 0); /* forced (after a 401) */
    SL_CHECK_INT(kube_exec_runs(c.exec), 2);
    SL_CHECK_INT(kube_exec_gen(c.exec), 2);
    kube_conn_clear(&c);

    /* An expired one (with an offset) is fetched again every time. */
    SL_CHECK_INT(exec_conn("{command: /bin/sh, apiVersion: client.authentication.k8s.io/v1beta1, "
                           "args: [-c, 'printf \"{\\\"kind\\\":\\\"ExecCredential\\\",\\\"apiVersion\\\":"
                           "\\\"client.authentication.k8s.io/v1beta1\\\",\\\"status\\\":{\\\"clientCertificateData\\\":"
                           "\\\"C\\\",\\\"clientKeyData\\\":\\\"K\\\",\\\"expirationTimestamp\\\":"
                           "\\\"2001-01-01T00:00:00+01:00\\\"}}\"']}",
                           1, &c, &err),
                 0);
    SL_CHECK_INT(kube_exec_get(c.exec, &c, 0, &err), 0);
    SL_CHECK_INT(kube_exec_get(c.exec, &c, 0, &err), 0);
    SL_CHECK_INT(kube_exec_runs(c.exec), 2);
    SL_CHECK(kube_exec_token(c.exec) == NULL);
    SL_CHECK_INT(kube_exec_cert(c.exec, &cert, &cl, &key, &kl), 1);
    SL_CHECK_STR(cert, "C");
    SL_CHECK_STR(key, "K");
    kube_conn_clear(&c);
}

/* KUBECONFIG with several files, token files, in-cluster config. */
static void test_kubeconfig_files(void)
{
    char *dir = sl_test_tmpdir(), path[1024], list[2200];
    kube_conn c;
    kube_conn_opts o = {0};
    sl_error err;

    snprintf(path, sizeof(path), "%s/a/config", dir);
    sl_test_write(path, "current-context: x\n"
                        "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                        "users: [{name: u, user: {tokenFile: tok}}]\n");
    snprintf(path, sizeof(path), "%s/a/tok", dir);
    sl_test_write(path, "file-token-value\n");
    snprintf(path, sizeof(path), "%s/b/config", dir);
    sl_test_write(path, "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\n");
    snprintf(list, sizeof(list), "%s/a/config:%s/missing:%s/b/config", dir, dir, dir);
    o.kubeconfig = list;
    sl_error_clear(&err);
    SL_CHECK_INT(kube_conn_load(&o, &c, &err), 0);
    SL_CHECK_STR(c.token, "file-token-value");
    SL_CHECK_STR(c.server, "http://127.0.0.1:1");
    kube_conn_clear(&c);

    /* In-cluster: service-account folder and KUBERNETES_SERVICE_HOST. */
    snprintf(path, sizeof(path), "%s/sa/token", dir);
    sl_test_write(path, "sa-token\n");
    snprintf(path, sizeof(path), "%s/sa/namespace", dir);
    sl_test_write(path, "ops\n");
    snprintf(path, sizeof(path), "%s/sa", dir);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    SL_CHECK_INT(kube_conn_incluster(path, &c, &err), 0);
    SL_CHECK_STR(c.server, "https://10.96.0.1:443");
    SL_CHECK_STR(c.token, "sa-token");
    SL_CHECK_STR(c.namespace, "ops");
    SL_CHECK_HAS(c.ca_file, "/sa/ca.crt");
    kube_conn_clear(&c);
    unsetenv("KUBERNETES_SERVICE_HOST");
    SL_CHECK_INT(kube_conn_incluster(path, &c, &err), SL_EINVAL);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

/* The target's options are checked with positions, like every config key. */
static void test_target_config(void)
{
    static const char *const bad = "sources: {a: {dir: .}}\n"
                                   "targets:\n"
                                   "  k:\n"
                                   "    kubernetes:\n"
                                   "      parallelism: 0\n"        /* 5 */
                                   "      fieldManager: \"a b\"\n" /* 6 */
                                   "      timeout: soon\n"         /* 7 */
                                   "      bogus: 1\n"              /* 8 */
                                   "apps: [{name: a, source: a, target: k, render: manifests}]\n";
    static const char *const good = "sources: {a: {dir: .}}\n"
                                    "targets: {k: {kubernetes: {kubeconfig: kc, context: c, "
                                    "fieldManager: team-a, force: true, parallelism: 4, "
                                    "timeout: 5s, retries: 0, qps: 50, allowExec: false, "
                                    "inventoryNamespace: ops}}}\n"
                                    "apps: [{name: a, source: a, target: k, render: manifests, "
                                    "prune: {maxShare: 0.25, maxCount: 10}}]\n";
    sl_config *cfg = NULL;
    sl_diags d = {0};
    int lines[4] = {0};

    SL_CHECK(sl_config_parse("/etc/s/sluice.yaml", bad, strlen(bad), &cfg, &d) != 0);
    for (size_t i = 0; i < d.n; i++) {
        if (strstr(d.v[i].msg, "parallelism must be"))
            lines[0] = d.v[i].line;
        if (strstr(d.v[i].msg, "fieldManager may hold"))
            lines[1] = d.v[i].line;
        if (strstr(d.v[i].msg, "duration"))
            lines[2] = d.v[i].line;
        if (strstr(d.v[i].msg, "unknown field \"bogus\""))
            lines[3] = d.v[i].line;
    }
    SL_CHECK_INT(lines[0], 5);
    SL_CHECK_INT(lines[1], 6);
    SL_CHECK_INT(lines[2], 7);
    SL_CHECK_INT(lines[3], 8);
    sl_config_free(cfg);
    sl_diags_free(&d);

    cfg = NULL;
    memset(&d, 0, sizeof(d));
    SL_CHECK_INT(sl_config_parse("/etc/s/sluice.yaml", good, strlen(good), &cfg, &d), 0);
    SL_CHECK_INT(d.n, 0);
    if (cfg) {
        SL_CHECK_STR(cfg->targets[0].ops->kind, "kubernetes");
        SL_CHECK(cfg->specs[0].prune);
        SL_CHECK(cfg->specs[0].max_prune_share == 0.25);
        SL_CHECK_INT(cfg->specs[0].max_prune_count, 10);
    }
    sl_config_free(cfg);
    sl_diags_free(&d);
}

/* ---- ApplySet ---- */

static void test_applyset(void)
{
    char id[96];
    sl_strv sv = SL_STRV_INIT;
    sl_buf b = SL_BUF_INIT;
    cJSON *p;
    sl_error err;

    /* Values from base64.urlsafe_b64encode(sha256("<name>.<ns>.<kind>.<group>")). */
    kube_applyset_id("my-set", "default", "Secret", "", id, sizeof(id));
    SL_CHECK_STR(id, "applyset-kdySOVBWs584aaOTmku9Ul1xDuN7LXBjs-R96jQcisk-v1");
    kube_applyset_id("parent", "", "Namespace", "", id, sizeof(id));
    SL_CHECK_STR(id, "applyset-quJPHNY8tltKDgYhpSTSHr0Pj2CxppxRZe_oSWdnyVQ-v1");

    SL_CHECK_INT(kube_gks_parse("Deployment.apps, ConfigMap,,Namespace,ConfigMap", &sv), 0);
    SL_CHECK_INT(sv.n, 3);
    SL_CHECK_INT(kube_strv_join(&sv, &b), 0);
    SL_CHECK_STR(b.ptr, "ConfigMap,Deployment.apps,Namespace");
    sl_buf_reset(&b);
    kube_gk_str("apps", "Deployment", &b);
    SL_CHECK_STR(b.ptr, "Deployment.apps");
    sl_buf_reset(&b);
    kube_gk_str("", "Secret", &b);
    SL_CHECK_STR(b.ptr, "Secret");

    kube_applyset_id("sluice-web", "sluice-system", "Secret", "", id, sizeof(id));
    p = cJSON_Parse("{\"metadata\":{\"name\":\"sluice-web\"}}");
    SL_CHECK_INT(kube_applyset_check_parent(p, id, &err), 0); /* a bare Secret is adopted */
    cJSON_Delete(p);
    p = cJSON_Parse("{\"metadata\":{\"name\":\"sluice-web\",\"labels\":{"
                    "\"applyset.kubernetes.io/id\":\"applyset-other-v1\"}}}");
    SL_CHECK_INT(kube_applyset_check_parent(p, id, &err), SL_EREFUSED);
    SL_CHECK_HAS(err.msg, "applyset-other-v1");
    cJSON_Delete(p);
    p = cJSON_Parse("{\"metadata\":{\"name\":\"sluice-web\",\"annotations\":{"
                    "\"applyset.kubernetes.io/tooling\":\"kubectl/v1.30\"}}}");
    SL_CHECK_INT(kube_applyset_check_parent(p, id, &err), SL_EREFUSED);
    SL_CHECK_HAS(err.msg, "another tool");
    cJSON_Delete(p);
    p = cJSON_Parse("{\"metadata\":{\"name\":\"sluice-web\",\"annotations\":{"
                    "\"applyset.kubernetes.io/tooling\":\"sluice/v0.0.1\"}}}");
    SL_CHECK_INT(kube_applyset_check_parent(p, id, &err), 0);
    cJSON_Delete(p);
    sl_strv_free(&sv);
    sl_buf_free(&b);
}

/* ---- health ---- */

static int health_of(const char *json, char *why)
{
    cJSON *o = cJSON_Parse(json);
    int st;

    SL_CHECK(o != NULL);
    st = kube_health(o, why, 256);
    cJSON_Delete(o);
    return st;
}

static void test_health(void)
{
    char why[256];

    SL_CHECK_INT(health_of("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                           "\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":3},"
                           "\"status\":{\"observedGeneration\":1}}",
                           why),
                 SL_HEALTH_PROGRESSING);
    SL_CHECK_HAS(why, "generation 2");
    SL_CHECK_INT(health_of("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                           "\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":3},"
                           "\"status\":{\"observedGeneration\":2,\"replicas\":3,"
                           "\"updatedReplicas\":3,\"availableReplicas\":1}}",
                           why),
                 SL_HEALTH_PROGRESSING);
    SL_CHECK_HAS(why, "1 of 3 updated replicas available");
    SL_CHECK_INT(health_of("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                           "\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":3},"
                           "\"status\":{\"observedGeneration\":2,\"replicas\":4,"
                           "\"updatedReplicas\":3,\"availableReplicas\":3}}",
                           why),
                 SL_HEALTH_PROGRESSING);
    SL_CHECK_HAS(why, "old replicas");
    SL_CHECK_INT(health_of("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                           "\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":3},"
                           "\"status\":{\"observedGeneration\":2,\"replicas\":3,"
                           "\"updatedReplicas\":3,\"availableReplicas\":3}}",
                           why),
                 SL_HEALTH_READY);
    SL_CHECK_INT(health_of("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                           "\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,"
                           "\"conditions\":[{\"type\":\"Progressing\",\"status\":\"False\","
                           "\"reason\":\"ProgressDeadlineExceeded\"}]}}",
                           why),
                 SL_HEALTH_FAILED);
    SL_CHECK_INT(health_of("{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{},"
                           "\"status\":{\"desiredNumberScheduled\":2,"
                           "\"updatedNumberScheduled\":2,\"numberAvailable\":1}}",
                           why),
                 SL_HEALTH_PROGRESSING);
    SL_CHECK_INT(health_of("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{"
                           "\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}}",
                           why),
                 SL_HEALTH_READY);
    SL_CHECK_INT(health_of("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{"
                           "\"conditions\":[{\"type\":\"Failed\",\"status\":\"True\","
                           "\"message\":\"BackoffLimitExceeded\"}]}}",
                           why),
                 SL_HEALTH_FAILED);
    SL_CHECK_HAS(why, "BackoffLimitExceeded");
    SL_CHECK_INT(health_of("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
                           "\"status\":{\"phase\":\"Pending\"}}",
                           why),
                 SL_HEALTH_PROGRESSING);
    SL_CHECK_HAS(why, "Pending");
    SL_CHECK_INT(health_of("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
                           "\"status\":{\"phase\":\"Bound\"}}",
                           why),
                 SL_HEALTH_READY);
    SL_CHECK_INT(health_of("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Database\","
                           "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\","
                           "\"reason\":\"Provisioning\",\"message\":\"creating volume\"}]}}",
                           why),
                 SL_HEALTH_PROGRESSING);
    SL_CHECK_HAS(why, "Provisioning");
    SL_CHECK_HAS(why, "creating volume");
    SL_CHECK_INT(health_of("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Database\","
                           "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
                           why),
                 SL_HEALTH_READY);
    SL_CHECK_INT(health_of("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}", why),
                 SL_HEALTH_READY);
}

/* ---- ordering and the guard ---- */

static void test_rank(void)
{
    SL_CHECK_INT(sl_kind_rank("", "Namespace"), 0);
    SL_CHECK_INT(sl_kind_rank("apiextensions.k8s.io", "CustomResourceDefinition"), 0);
    SL_CHECK_INT(sl_kind_rank("", "ServiceAccount"), 1);
    SL_CHECK_INT(sl_kind_rank("rbac.authorization.k8s.io", "ClusterRoleBinding"), 1);
    SL_CHECK_INT(sl_kind_rank("", "ConfigMap"), 2);
    SL_CHECK_INT(sl_kind_rank("", "Secret"), 2);
    SL_CHECK_INT(sl_kind_rank("", "Service"), 3);
    SL_CHECK_INT(sl_kind_rank("apps", "Deployment"), 4);
    SL_CHECK_INT(sl_kind_rank("batch", "Job"), 4);
    SL_CHECK_INT(sl_kind_rank("networking.k8s.io", "Ingress"), 5);
    SL_CHECK_INT(sl_kind_rank("example.com", "Deployment"), 5); /* a CR named like a builtin */
}

static void guard_plan(sl_plan *p, size_t prune, size_t keep)
{
    memset(p, 0, sizeof(*p));
    p->v = calloc(prune + 1, sizeof(*p->v));
    for (size_t i = 0; i < prune; i++) {
        char name[32];
        snprintf(name, sizeof(name), "cm-%zu", i);
        p->v[i].action = SL_ACT_PRUNE;
        sl_objid_make(&p->v[i].id, "", "v1", "ConfigMap", "shop", name);
    }
    p->n = prune;
    p->counts[SL_ACT_PRUNE] = prune;
    p->counts[SL_ACT_UNCHANGED] = keep;
}

static void guard_free(sl_plan *p)
{
    for (size_t i = 0; i < p->n; i++)
        sl_objid_clear(&p->v[i].id);
    free(p->v);
}

static void test_prune_guard(void)
{
    sl_plan p;
    sl_error err;

    guard_plan(&p, 3, 3);
    SL_CHECK_INT(sl_plan_check_prune(&p, &err), 0); /* no limits configured */
    p.max_prune_share = 0.5;
    SL_CHECK_INT(sl_plan_check_prune(&p, &err), 0); /* exactly half is allowed */
    p.max_prune_share = 0.4;
    SL_CHECK_INT(sl_plan_check_prune(&p, &err), SL_EREFUSED);
    SL_CHECK_HAS(err.msg, "would delete 3 of 6");
    SL_CHECK_HAS(err.msg, "v1 ConfigMap shop/cm-2");
    SL_CHECK_HAS(err.msg, "--confirm-prune");
    p.max_prune_share = 0;
    p.max_prune_count = 2;
    SL_CHECK_INT(sl_plan_check_prune(&p, &err), SL_EREFUSED);
    p.max_prune_count = 3;
    SL_CHECK_INT(sl_plan_check_prune(&p, &err), 0);
    guard_free(&p);

    guard_plan(&p, 30, 0);
    p.max_prune_count = 1;
    SL_CHECK_INT(sl_plan_check_prune(&p, &err), SL_EREFUSED);
    SL_CHECK_HAS(err.msg, "and 10 more");
    guard_free(&p);
}

/* ---- backoff ---- */

static void test_backoff(void)
{
    kube_client_opts o = {.backoff_base = 0.2, .backoff_max = 5};

    SL_CHECK(kube_backoff(&o, 1, -1, 0) >= 0.099 && kube_backoff(&o, 1, -1, 0) <= 0.101);
    SL_CHECK(kube_backoff(&o, 1, -1, 0.999) < 0.2);
    SL_CHECK(kube_backoff(&o, 3, -1, 0.999) < 0.8 && kube_backoff(&o, 3, -1, 0) >= 0.4);
    SL_CHECK(kube_backoff(&o, 20, -1, 0.999) <= 5); /* capped */
    SL_CHECK(kube_backoff(&o, 1, 7, 0.5) == 7);     /* Retry-After wins */
    SL_CHECK(kube_backoff(&o, 1, 1000, 0.5) == 60); /* within reason */
    SL_CHECK(kube_retryable(429) && kube_retryable(503) && kube_retryable(500));
    SL_CHECK(!kube_retryable(401) && !kube_retryable(409) && !kube_retryable(404));
}

/* ---- the client against a loopback server ---- */

/* Scripted answers: the n-th request gets script[n] (the last repeats). */
typedef struct step {
    int status;
    const char *retry_after;
    int sleep_ms;
    const char *body;
} step;

static const step *g_script;
static size_t g_nscript;
static volatile size_t g_count;
static char g_auth[256];

static enum MHD_Result on_req(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **ptr)
{
    static int marker;
    struct MHD_Response *r;
    const step *s;
    const char *auth;
    size_t n;
    enum MHD_Result ret;

    if (*ptr != &marker) {
        *ptr = &marker;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    n = __atomic_fetch_add(&g_count, 1, __ATOMIC_SEQ_CST);
    s = &g_script[n < g_nscript ? n : g_nscript - 1];
    auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    snprintf(g_auth, sizeof(g_auth), "%s", auth ? auth : "");
    if (s->sleep_ms)
        usleep((useconds_t)s->sleep_ms * 1000);
    r = MHD_create_response_from_buffer(strlen(s->body ? s->body : "{}"),
                                        (void *)(s->body ? s->body : "{}"),
                                        MHD_RESPMEM_PERSISTENT);
    if (s->retry_after)
        MHD_add_response_header(r, "Retry-After", s->retry_after);
    MHD_add_response_header(r, "Content-Type", "application/json");
    ret = MHD_queue_response(c, (unsigned)s->status, r);
    MHD_destroy_response(r);
    return ret;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run one GET through a fresh client against the script; returns the request. */
static void run_script(const step *script, size_t n, kube_client_opts *o, kube_req *r,
                       double *elapsed)
{
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    char server[64];
    kube_conn conn;
    kube_client *c = NULL;
    sl_error err;
    double t0;

    g_script = script;
    g_nscript = n;
    g_count = 0;
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                         NULL, on_req, NULL, MHD_OPTION_END);
    SL_CHECK(d != NULL);
    if (!d)
        return;
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(server, sizeof(server), "http://127.0.0.1:%u", (unsigned)info->port);
    memset(&conn, 0, sizeof(conn));
    conn.server = server;
    conn.token = "tok-abc";
    SL_CHECK_INT(kube_client_new(&conn, o, &c, &err), 0);
    kube_req_init(r, "GET", strdup("/api/v1/namespaces/x/configmaps/y"), NULL, NULL, 0);
    t0 = now_s();
    kube_client_do(c, r);
    *elapsed = now_s() - t0;
    kube_client_free(c);
    MHD_stop_daemon(d);
}

static void test_client_retries(void)
{
    static const step s429[] = {{429, "1", 0, NULL}, {200, NULL, 0, "{\"ok\":1}"}};
    static const step s500[] = {{500, NULL, 0, NULL}, {502, NULL, 0, NULL},
                                {200, NULL, 0, "{\"ok\":2}"}};
    static const step s503[] = {{503, NULL, 0,
                                 "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
                                 "\"Failure\",\"message\":\"etcd is down\",\"reason\":"
                                 "\"ServiceUnavailable\",\"code\":503}"}};
    static const step s401[] = {{401, NULL, 0, "{\"kind\":\"Status\",\"message\":\"Unauthorized\"}"}};
    static const step s409[] = {
        {409, NULL, 0,
         "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":"
         "\"Conflict\",\"code\":409,\"message\":\"Apply failed with 1 conflict\","
         "\"details\":{\"causes\":[{\"type\":\"FieldManagerConflict\",\"message\":"
         "\"conflict with \\\"other\\\" using v1\",\"field\":\".data.LOG_LEVEL\"}]}}"}};
    static const step shang[] = {{200, NULL, 1500, NULL}, {200, NULL, 0, "{\"ok\":3}"}};
    kube_client_opts o = {.parallelism = 2, .retries = 3, .timeout = 5, .backoff_base = 0.01,
                          .backoff_max = 0.05};
    kube_req r;
    sl_error err;
    double el;

    /* 429 + Retry-After: 1 is waited for. */
    run_script(s429, 2, &o, &r, &el);
    SL_CHECK_INT(r.status, 200);
    SL_CHECK_INT(r.attempts, 2);
    if (el < 0.95)
        fprintf(stderr, "429 retried after %.3fs\n", el);
    SL_CHECK(el >= 0.95);
    SL_CHECK_STR(g_auth, "Bearer tok-abc");
    kube_req_clear(&r);

    /* 5xx twice, then success, with short backoffs. */
    run_script(s500, 3, &o, &r, &el);
    SL_CHECK_INT(r.status, 200);
    SL_CHECK_INT(r.attempts, 3);
    SL_CHECK_HAS(r.resp.ptr, "\"ok\":2");
    SL_CHECK(el < 1);
    kube_req_clear(&r);

    /* Retries run out: the Status message and the attempt count. */
    run_script(s503, 1, &o, &r, &el);
    SL_CHECK_INT(r.attempts, 4);
    SL_CHECK_INT(kube_req_error(&r, "applying", &err), SL_ENET);
    SL_CHECK_HAS(err.msg, "applying: API server error 503 ServiceUnavailable: etcd is down");
    SL_CHECK_HAS(err.msg, "after 4 attempts");
    kube_req_clear(&r);

    /* 401 and 409 are not retried; the conflict names field and manager. */
    run_script(s401, 1, &o, &r, &el);
    SL_CHECK_INT(r.attempts, 1);
    SL_CHECK_INT(kube_req_error(&r, "reading", &err), SL_EREFUSED);
    SL_CHECK_HAS(err.msg, "unauthorized (401)");
    SL_CHECK(!strstr(err.msg, "tok-abc"));
    kube_req_clear(&r);
    run_script(s409, 1, &o, &r, &el);
    SL_CHECK_INT(r.attempts, 1);
    SL_CHECK_INT(kube_req_error(&r, "server-side apply", &err), SL_ECONFLICT);
    SL_CHECK_HAS(err.msg, "field .data.LOG_LEVEL: conflict with \"other\"");
    SL_CHECK_HAS(err.msg, "force: true");
    kube_req_clear(&r);

    /* A hung answer times out and is retried. */
    o.timeout = 0.5;
    run_script(shang, 2, &o, &r, &el);
    SL_CHECK_INT(r.status, 200);
    SL_CHECK_INT(r.attempts, 2);
    kube_req_clear(&r);
    o.retries = 0;
    run_script(shang, 2, &o, &r, &el);
    SL_CHECK_INT(r.rc, SL_ENET);
    SL_CHECK_INT(kube_req_error(&r, "reading", &err), SL_ENET);
    SL_CHECK_HAS(err.msg, "cannot reach the API server");
    kube_req_clear(&r);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_kubeconfig), SL_TEST_ENTRY(test_kubeconfig_errors),
             SL_TEST_ENTRY(test_kubeconfig_files), SL_TEST_ENTRY(test_exec), SL_TEST_ENTRY(test_target_config),
             SL_TEST_ENTRY(test_applyset),
             SL_TEST_ENTRY(test_health), SL_TEST_ENTRY(test_rank), SL_TEST_ENTRY(test_prune_guard),
             SL_TEST_ENTRY(test_backoff), SL_TEST_ENTRY(test_client_retries))
