/* kubeconfig.c: the connection to an API server, read from kubeconfig
 * files the way kubectl reads them, or from the in-cluster service
 * account. Credentials are kept in kube_conn and never put in messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube.h"
#include "sl_doc.h"

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBE_MAX_FILES 16
#define KUBE_MAX_CONFIG_BYTES ((size_t)4 << 20)

void kube_conn_clear(kube_conn *c)
{
    if (!c)
        return;
    if (c->token)
        memset(c->token, 0, strlen(c->token));
    if (c->password)
        memset(c->password, 0, strlen(c->password));
    if (c->key_data)
        memset(c->key_data, 0, c->key_len);
    free(c->server);
    free(c->ca_file);
    free(c->ca_data);
    free(c->tls_server_name);
    free(c->proxy_url);
    free(c->token);
    free(c->token_file);
    free(c->cert_file);
    free(c->key_file);
    free(c->cert_data);
    free(c->key_data);
    free(c->username);
    free(c->password);
    free(c->context);
    free(c->namespace);
    kube_exec_free(c->exec);
    memset(c, 0, sizeof(*c));
}

static int b64val(int ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+' || ch == '-')
        return 62;
    if (ch == '/' || ch == '_')
        return 63;
    return -1;
}

/* Decode standard or URL base64 (whitespace skipped, padding optional)
 * into an owned NUL-terminated buffer. */
static int kube_b64dec(const char *in, char **out, size_t *outlen)
{
    size_t n = strlen(in), o = 0;
    unsigned acc = 0;
    int bits = 0;
    char *buf = malloc(n / 4 * 3 + 4);

    *out = NULL;
    if (!buf)
        return SL_ENOMEM;
    for (const char *p = in; *p; p++) {
        int v;
        if (*p == '=' || *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
            continue;
        if ((v = b64val((unsigned char)*p)) < 0) {
            free(buf);
            return SL_EINVAL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    buf[o] = '\0';
    *out = buf;
    *outlen = o;
    return 0;
}

/* One parsed file of the path list. */
typedef struct kc_file {
    const char *name;
    char dir[1024];
    cJSON *root;
} kc_file;

/* The first entry named name in list key across files (kubectl's merge:
 * the first file that defines a name wins); *from is the file. */
static const cJSON *kc_find(const kc_file *files, size_t n, const char *key, const char *name,
                            const char *inner, const kc_file **from)
{
    for (size_t i = 0; i < n; i++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(files[i].root, key), *it;
        cJSON_ArrayForEach(it, list)
        {
            const char *nm = sl_doc_str(it, "name");
            if (nm && !strcmp(nm, name)) {
                *from = &files[i];
                return cJSON_GetObjectItemCaseSensitive(it, inner);
            }
        }
    }
    return NULL;
}

/* An owned copy of a path from a kubeconfig: relative paths resolve
 * against the folder of the file that holds them. */
static char *kc_path(const kc_file *f, const char *p)
{
    char buf[4096];

    if (!p)
        return NULL;
    if (p[0] == '/' || !f->dir[0])
        return strdup(p);
    snprintf(buf, sizeof(buf), "%s/%s", f->dir, p);
    return strdup(buf);
}

static int kc_dup(const cJSON *m, const char *key, char **out)
{
    const char *s = sl_doc_str(m, key);

    *out = NULL;
    if (s && !(*out = strdup(s)))
        return SL_ENOMEM;
    return 0;
}

static int kc_data(const kc_file *f, const cJSON *m, const char *key, char **out, size_t *len,
                   sl_error *err)
{
    const char *s = sl_doc_str(m, key);

    *out = NULL;
    *len = 0;
    if (!s)
        return 0;
    if (kube_b64dec(s, out, len))
        return sl_error_set(err, SL_EINVAL, "%s: %s is not valid base64", f->name, key);
    return 0;
}

/* Read a token file into an owned string without its trailing newline. */
static int kc_read_token(const char *path, char **out, sl_error *err)
{
    sl_buf b = SL_BUF_INIT;
    int rc;

    *out = NULL;
    if ((rc = sl_file_read(path, 1 << 20, &b, err))) {
        sl_error_prefix(err, "reading the token file");
        return rc;
    }
    while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r' ||
                     b.ptr[b.len - 1] == ' '))
        b.ptr[--b.len] = '\0';
    *out = sl_buf_detach(&b);
    return *out ? 0 : SL_ENOMEM;
}

/* Resolve the selected context of the merged files into out. */
static int kc_resolve(const kc_file *files, size_t n, const kube_conn_opts *o, kube_conn *out,
                      sl_error *err)
{
    const kc_file *cf = NULL, *clf = NULL, *uf = NULL;
    const cJSON *ctx, *cluster, *user = NULL;
    const char *ctxname = o->context, *cname, *uname, *s;
    const cJSON *b;
    int rc;

    for (size_t i = 0; !ctxname && i < n; i++) {
        s = sl_doc_str(files[i].root, "current-context");
        if (s && *s)
            ctxname = s;
    }
    if (!ctxname)
        return sl_error_set(err, SL_EINVAL,
                            "%s: no current-context set and no context given (use --context)",
                            files[0].name);
    ctx = kc_find(files, n, "contexts", ctxname, "context", &cf);
    if (!cJSON_IsObject(ctx))
        return sl_error_set(err, SL_ENOTFOUND, "kubeconfig: no context named \"%s\"", ctxname);
    cname = sl_doc_str(ctx, "cluster");
    uname = sl_doc_str(ctx, "user");
    if (!cname)
        return sl_error_set(err, SL_EINVAL, "%s: context \"%s\" names no cluster", cf->name,
                            ctxname);
    cluster = kc_find(files, n, "clusters", cname, "cluster", &clf);
    if (!cJSON_IsObject(cluster))
        return sl_error_set(err, SL_ENOTFOUND, "kubeconfig: context \"%s\": no cluster named \"%s\"",
                            ctxname, cname);
    if (uname && *uname) {
        user = kc_find(files, n, "users", uname, "user", &uf);
        if (!user)
            return sl_error_set(err, SL_ENOTFOUND,
                                "kubeconfig: context \"%s\": no user named \"%s\"", ctxname, uname);
    }
    if (!(out->context = strdup(ctxname)) || kc_dup(ctx, "namespace", &out->namespace) ||
        kc_dup(cluster, "server", &out->server) ||
        kc_dup(cluster, "tls-server-name", &out->tls_server_name) ||
        kc_dup(cluster, "proxy-url", &out->proxy_url))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (!out->server || !*out->server)
        return sl_error_set(err, SL_EINVAL, "%s: cluster \"%s\" has no server", clf->name, cname);
    if (strncmp(out->server, "https://", 8) && strncmp(out->server, "http://", 7))
        return sl_error_set(err, SL_EINVAL, "%s: cluster \"%s\": server must be an http(s):// URL",
                            clf->name, cname);
    while (strlen(out->server) > 8 && out->server[strlen(out->server) - 1] == '/')
        out->server[strlen(out->server) - 1] = '\0';
    b = cJSON_GetObjectItemCaseSensitive(cluster, "insecure-skip-tls-verify");
    out->insecure = cJSON_IsTrue(b);
    if ((s = sl_doc_str(cluster, "certificate-authority")) && !(out->ca_file = kc_path(clf, s)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if ((rc = kc_data(clf, cluster, "certificate-authority-data", &out->ca_data, &out->ca_len,
                      err)))
        return rc;
    if (!user)
        return 0;
    if (cJSON_GetObjectItemCaseSensitive(user, "exec") && !o->allow_exec)
        return sl_error_set(err, SL_EREFUSED,
                            "%s: user \"%s\" uses an exec credential plugin, which runs a "
                            "program; refused (set allowExec: true on the target to allow it)",
                            uf->name, uname);
    if ((b = cJSON_GetObjectItemCaseSensitive(user, "exec"))) {
        if ((rc = kube_exec_new(b, uf->name, uf->dir, uname, &out->exec, err)))
            return rc;
        out->exec_cluster_info = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "provideClusterInfo"));
    }
    if (cJSON_GetObjectItemCaseSensitive(user, "auth-provider"))
        return sl_error_set(err, SL_EUNSUPPORTED,
                            "%s: user \"%s\": auth-provider plugins are not supported", uf->name,
                            uname);
    if (kc_dup(user, "token", &out->token) || kc_dup(user, "username", &out->username) ||
        kc_dup(user, "password", &out->password))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if ((s = sl_doc_str(user, "tokenFile")) && !(out->token_file = kc_path(uf, s)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (!out->token && out->token_file && (rc = kc_read_token(out->token_file, &out->token, err)))
        return rc;
    if ((s = sl_doc_str(user, "client-certificate")) && !(out->cert_file = kc_path(uf, s)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if ((s = sl_doc_str(user, "client-key")) && !(out->key_file = kc_path(uf, s)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if ((rc = kc_data(uf, user, "client-certificate-data", &out->cert_data, &out->cert_len, err)) ||
        (rc = kc_data(uf, user, "client-key-data", &out->key_data, &out->key_len, err)))
        return rc;
    if ((out->cert_file || out->cert_data) != (out->key_file || out->key_data))
        return sl_error_set(err, SL_EINVAL,
                            "%s: user \"%s\" needs both a client certificate and a client key",
                            uf->name, uname);
    return 0;
}

/* Contract: files[i]/texts[i] are kubeconfig documents in path-list order.
 * On success out is filled (caller clears it with kube_conn_clear); on
 * failure out is cleared and err names the file and the problem. */
int kube_conn_from_texts(const char *const *files, const char *const *texts, size_t n,
                         const kube_conn_opts *o, kube_conn *out, sl_error *err)
{
    kc_file kf[KUBE_MAX_FILES];
    size_t nf = 0;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    memset(kf, 0, sizeof(kf));
    if (n > KUBE_MAX_FILES)
        return sl_error_set(err, SL_ELIMIT, "more than %d kubeconfig files", KUBE_MAX_FILES);
    for (size_t i = 0; i < n; i++) {
        sl_docv dv = {0};
        const char *slash = strrchr(files[i], '/');
        if ((rc = sl_yaml_parse(files[i], texts[i], strlen(texts[i]), NULL, NULL, &dv, err)))
            goto out;
        kf[nf].name = files[i];
        if (slash)
            snprintf(kf[nf].dir, sizeof(kf[nf].dir), "%.*s", (int)(slash - files[i]), files[i]);
        kf[nf].root = dv.n ? dv.v[0] : NULL;
        if (dv.n)
            dv.v[0] = NULL;
        sl_docv_free(&dv);
        if (kf[nf].root && !cJSON_IsObject(kf[nf].root)) {
            rc = sl_error_set(err, SL_EINVAL, "%s: a kubeconfig must be a mapping", files[i]);
            cJSON_Delete(kf[nf].root);
            goto out;
        }
        if (kf[nf].root)
            nf++;
    }
    if (!nf) {
        rc = sl_error_set(err, SL_EINVAL, "kubeconfig %s is empty", n ? files[0] : "(none)");
        goto out;
    }
    rc = kc_resolve(kf, nf, o, out, err);
out:
    for (size_t i = 0; i < nf; i++)
        cJSON_Delete(kf[i].root);
    if (rc)
        kube_conn_clear(out);
    return rc;
}

int kube_conn_incluster(const char *sa_dir, kube_conn *out, sl_error *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    char buf[1200];
    int rc;

    memset(out, 0, sizeof(*out));
    if (!sa_dir)
        sa_dir = KUBE_SA_DIR;
    if (!host || !*host)
        return sl_error_set(err, SL_EINVAL, "KUBERNETES_SERVICE_HOST is not set");
    if (strchr(host, ':'))
        snprintf(buf, sizeof(buf), "https://[%s]:%s", host, port && *port ? port : "443");
    else
        snprintf(buf, sizeof(buf), "https://%s:%s", host, port && *port ? port : "443");
    if (!(out->server = strdup(buf)) || !(out->context = strdup("in-cluster")))
        goto nomem;
    snprintf(buf, sizeof(buf), "%s/token", sa_dir);
    if (!(out->token_file = strdup(buf)))
        goto nomem;
    if ((rc = kc_read_token(buf, &out->token, err))) {
        kube_conn_clear(out);
        return rc;
    }
    snprintf(buf, sizeof(buf), "%s/ca.crt", sa_dir);
    if (!(out->ca_file = strdup(buf)))
        goto nomem;
    snprintf(buf, sizeof(buf), "%s/namespace", sa_dir);
    if (access(buf, R_OK) == 0) {
        sl_error e;
        kc_read_token(buf, &out->namespace, &e);
    }
    return 0;
nomem:
    kube_conn_clear(out);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
}

/* Contract: as kube_conn_from_texts, reading the files of the path list
 * (missing files are skipped as kubectl does, but at least one must
 * exist). */
int kube_conn_load(const kube_conn_opts *o, kube_conn *out, sl_error *err)
{
    const char *list = o->kubeconfig;
    char *copy = NULL, *save = NULL, *tok;
    char *names[KUBE_MAX_FILES];
    const char *texts[KUBE_MAX_FILES];
    sl_buf bufs[KUBE_MAX_FILES];
    char home[4096];
    size_t n = 0;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    memset(bufs, 0, sizeof(bufs));
    if (!list || !*list) {
        const char *env = getenv("KUBECONFIG");
        if (env && *env) {
            list = env;
        } else {
            const char *h = getenv("HOME");
            const char *host = getenv("KUBERNETES_SERVICE_HOST");
            snprintf(home, sizeof(home), "%s/.kube/config", h ? h : "");
            if (host && *host && access(home, R_OK) != 0)
                return kube_conn_incluster(NULL, out, err);
            list = home;
        }
    }
    if (!(copy = strdup(list)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
        if (!*tok || access(tok, F_OK) != 0)
            continue;
        if (n == KUBE_MAX_FILES) {
            rc = sl_error_set(err, SL_ELIMIT, "more than %d kubeconfig files", KUBE_MAX_FILES);
            goto out;
        }
        sl_buf_init(&bufs[n], KUBE_MAX_CONFIG_BYTES);
        if ((rc = sl_file_read(tok, KUBE_MAX_CONFIG_BYTES, &bufs[n], err)))
            goto out;
        names[n] = tok;
        texts[n] = bufs[n].ptr ? bufs[n].ptr : "";
        n++;
    }
    if (!n) {
        rc = sl_error_set(err, SL_ENOTFOUND, "no kubeconfig file found (looked for %s)", list);
        goto out;
    }
    rc = kube_conn_from_texts((const char *const *)names, texts, n, o, out, err);
out:
    for (size_t i = 0; i < KUBE_MAX_FILES; i++)
        sl_buf_free(&bufs[i]);
    free(copy);
    return rc;
}
