/* exec.c: exec credential plugins (client.authentication.k8s.io/v1 and
 * v1beta1 ExecCredential), run the way kubectl runs them: argv from
 * command + args, env entries added to sluice's environment,
 * KUBERNETES_EXEC_INFO set, stdin not a terminal, a timeout. The
 * credential (token or client certificate + key) is cached until its
 * expirationTimestamp. Neither the plugin's output nor its credential is
 * ever put in a message; of its stderr only a short last line is. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kube.h"

#define KUBE_EXEC_MAX_OUT ((size_t)1 << 20)
#define KUBE_EXEC_MAX_ERR ((size_t)16 << 10)
#define KUBE_EXEC_MAX_ARGS 64
#define KUBE_EXEC_TIMEOUT_MS 30000

extern char **environ;

struct kube_exec {
    char *api_version;
    char **argv; /* NULL-terminated, owned */
    char **env;  /* "NAME=value", NULL-terminated, owned */
    char *hint;  /* installHint */
    char *user;  /* kubeconfig user name, for messages */
    int timeout_ms;
    /* cache */
    int have;
    time_t expiry; /* 0 = never expires */
    char *token, *cert, *key;
    size_t cert_len, key_len;
    unsigned gen;
    unsigned runs;
};

static void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

static void kube_exec_forget(kube_exec *x)
{
    if (x->token) {
        memset(x->token, 0, strlen(x->token));
        free(x->token);
    }
    if (x->key) {
        memset(x->key, 0, x->key_len);
        free(x->key);
    }
    free(x->cert);
    x->token = x->cert = x->key = NULL;
    x->cert_len = x->key_len = 0;
    x->have = 0;
    x->expiry = 0;
}

void kube_exec_free(kube_exec *x)
{
    if (!x)
        return;
    kube_exec_forget(x);
    free(x->api_version);
    strv_free(x->argv);
    strv_free(x->env);
    free(x->hint);
    free(x->user);
    free(x);
}

/* Contract: exec is a kubeconfig user's exec stanza from file (for
 * messages; a command with a '/' that is relative resolves against dir,
 * as kubectl does). On success *out is owned by the caller. */
int kube_exec_new(const cJSON *exec, const char *file, const char *dir, const char *user,
                  kube_exec **out, sl_error *err)
{
    kube_exec *x = NULL;
    const char *cmd = sl_doc_str(exec, "command"), *av = sl_doc_str(exec, "apiVersion");
    const char *mode = sl_doc_str(exec, "interactiveMode");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(exec, "args");
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(exec, "env"), *it;
    size_t n = 0;
    int rc = 0;

    *out = NULL;
    if (!cJSON_IsObject(exec))
        return sl_error_set(err, SL_EINVAL, "%s: user \"%s\": exec must be a mapping", file, user);
    if (!cmd || !*cmd)
        return sl_error_set(err, SL_EINVAL, "%s: user \"%s\": exec needs a command", file, user);
    if (!av || (strcmp(av, "client.authentication.k8s.io/v1") &&
                strcmp(av, "client.authentication.k8s.io/v1beta1")))
        return sl_error_set(err, SL_EUNSUPPORTED,
                            "%s: user \"%s\": exec apiVersion must be "
                            "client.authentication.k8s.io/v1 or v1beta1, not \"%s\"",
                            file, user, av ? av : "(none)");
    if (mode && !strcmp(mode, "Always"))
        return sl_error_set(err, SL_EUNSUPPORTED,
                            "%s: user \"%s\": exec interactiveMode Always needs a terminal, "
                            "and sluice runs plugins without one (use Never or IfAvailable)",
                            file, user);
    if (args && !cJSON_IsArray(args))
        return sl_error_set(err, SL_EINVAL, "%s: user \"%s\": exec args must be a list", file,
                            user);
    if (env && !cJSON_IsArray(env))
        return sl_error_set(err, SL_EINVAL, "%s: user \"%s\": exec env must be a list", file,
                            user);
    if (cJSON_GetArraySize(args) > KUBE_EXEC_MAX_ARGS || cJSON_GetArraySize(env) > KUBE_EXEC_MAX_ARGS)
        return sl_error_set(err, SL_ELIMIT, "%s: user \"%s\": more than %d exec args or env entries",
                            file, user, KUBE_EXEC_MAX_ARGS);
    if (!(x = calloc(1, sizeof(*x))) ||
        !(x->argv = calloc((size_t)cJSON_GetArraySize(args) + 2, sizeof(char *))) ||
        !(x->env = calloc((size_t)cJSON_GetArraySize(env) + 1, sizeof(char *))) ||
        !(x->api_version = strdup(av)) || !(x->user = strdup(user)))
        goto nomem;
    x->timeout_ms = KUBE_EXEC_TIMEOUT_MS;
    if (sl_doc_str(exec, "installHint") && !(x->hint = strdup(sl_doc_str(exec, "installHint"))))
        goto nomem;
    if (strchr(cmd, '/') && cmd[0] != '/' && dir && *dir) {
        size_t l = strlen(dir) + strlen(cmd) + 2;
        if (!(x->argv[0] = malloc(l)))
            goto nomem;
        snprintf(x->argv[0], l, "%s/%s", dir, cmd);
    } else if (!(x->argv[0] = strdup(cmd))) {
        goto nomem;
    }
    n = 1;
    cJSON_ArrayForEach(it, args)
    {
        if (!cJSON_IsString(it)) {
            rc = sl_error_set(err, SL_EINVAL, "%s: user \"%s\": exec args must be strings", file,
                              user);
            goto fail;
        }
        if (!(x->argv[n++] = strdup(it->valuestring)))
            goto nomem;
    }
    n = 0;
    cJSON_ArrayForEach(it, env)
    {
        const char *nm = sl_doc_str(it, "name"), *v = sl_doc_str(it, "value");
        size_t l;
        if (!nm || !*nm || strchr(nm, '=') || !v) {
            rc = sl_error_set(err, SL_EINVAL,
                              "%s: user \"%s\": exec env entries need a name (without '=') "
                              "and a value",
                              file, user);
            goto fail;
        }
        l = strlen(nm) + strlen(v) + 2;
        if (!(x->env[n] = malloc(l)))
            goto nomem;
        snprintf(x->env[n++], l, "%s=%s", nm, v);
    }
    *out = x;
    return 0;
nomem:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
fail:
    kube_exec_free(x);
    return rc;
}

/* Parse an RFC 3339 time ("2026-01-02T03:04:05Z", fraction and offset
 * allowed) to a time_t; -1 when it is not one. */
static time_t kube_rfc3339(const char *s)
{
    struct tm tm;
    const char *p;
    time_t t;

    memset(&tm, 0, sizeof(tm));
    if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
        return -1;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    t = timegm(&tm);
    if (*p == 'Z' || *p == 'z')
        return p[1] ? -1 : t;
    if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int h = atoi(p + 1), m = atoi(p + 4), off = h * 3600 + m * 60;
        return *p == '+' ? t - off : t + off;
    }
    return -1;
}

/* The last non-empty line of the plugin's stderr, cut to a short length
 * for an error message. */
static void kube_last_line(const sl_buf *b, char *out, size_t n)
{
    size_t end = b->len, start;

    out[0] = '\0';
    while (end && (b->ptr[end - 1] == '\n' || b->ptr[end - 1] == '\r' || b->ptr[end - 1] == ' '))
        end--;
    start = end;
    while (start && b->ptr[start - 1] != '\n')
        start--;
    if (end > start)
        snprintf(out, n, ": %.*s%s", (int)(end - start > 160 ? 160 : end - start), b->ptr + start,
                 end - start > 160 ? "..." : "");
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
}

/* Run the plugin: fill outb with stdout and errb with (the start of)
 * stderr. Returns 0 when it exited 0. */
static int kube_exec_run(kube_exec *x, const char *info, sl_buf *outb, sl_buf *errb, sl_error *err)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1}, status = 0, rc = 0, timed_out = 0;
    char **envp = NULL;
    size_t ne = 0, k = 0;
    pid_t pid = -1;
    struct timespec t0, t1;
    char line[200];
    char *infoenv = NULL;

    for (char **e = environ; e && *e; e++)
        ne++;
    for (char **e = x->env; *e; e++)
        ne++;
    if (!(envp = calloc(ne + 2, sizeof(char *))) ||
        asprintf(&infoenv, "KUBERNETES_EXEC_INFO=%s", info) < 0) {
        infoenv = NULL;
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    /* The config's env entries win over sluice's own environment. */
    for (char **e = environ; e && *e; e++) {
        int shadowed = !strncmp(*e, "KUBERNETES_EXEC_INFO=", 21);
        for (char **f = x->env; *f && !shadowed; f++) {
            size_t l = (size_t)(strchr(*f, '=') - *f) + 1;
            shadowed = !strncmp(*e, *f, l);
        }
        if (!shadowed)
            envp[k++] = *e;
    }
    for (char **f = x->env; *f; f++)
        envp[k++] = *f;
    envp[k++] = infoenv;
    envp[k] = NULL;
    if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
        rc = sl_error_set(err, SL_EIO, "exec plugin: cannot make a pipe: %s", strerror(errno));
        goto out;
    }
    if ((pid = fork()) < 0) {
        rc = sl_error_set(err, SL_EIO, "exec plugin: cannot fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        int nul = open("/dev/null", O_RDONLY);
        if (nul < 0 || dup2(nul, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
            _exit(126);
        setpgid(0, 0);
        execvpe(x->argv[0], x->argv, envp);
        _exit(errno == ENOENT ? 127 : 126);
    }
    setpgid(pid, pid);
    close(po[1]);
    close(pe[1]);
    po[1] = pe[1] = -1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (po[0] >= 0 || pe[0] >= 0) {
        struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
        long left;
        int pr;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        left = x->timeout_ms - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        pr = poll(fds, 2, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            break;
        for (int i = 0; i < 2; i++) {
            int *fd = i ? &pe[0] : &po[0];
            sl_buf *b = i ? errb : outb;
            char tmp[4096];
            ssize_t r;
            if (*fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            r = read(*fd, tmp, sizeof(tmp));
            if (r <= 0) {
                close(*fd);
                *fd = -1;
                continue;
            }
            if (i == 0 && b->len + (size_t)r > KUBE_EXEC_MAX_OUT) {
                rc = sl_error_set(err, SL_ELIMIT, "exec plugin %s: printed more than %zu bytes",
                                  x->argv[0], KUBE_EXEC_MAX_OUT);
                timed_out = 2;
                break;
            }
            if (i == 1 && b->len + (size_t)r > KUBE_EXEC_MAX_ERR)
                continue; /* keep the start only */
            if (sl_buf_put(b, tmp, (size_t)r)) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                timed_out = 2;
                break;
            }
        }
        if (timed_out)
            break;
    }
    if (timed_out)
        kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out == 1)
        rc = sl_error_set(err, SL_ELIMIT,
                          "exec plugin %s (user \"%s\"): no answer within %.1f s (killed)",
                          x->argv[0], x->user, x->timeout_ms / 1000.0);
    if (rc)
        goto out;
    kube_last_line(errb, line, sizeof(line));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !outb->len)
        rc = sl_error_set(err, SL_ENOTFOUND, "exec plugin %s (user \"%s\") not found%s%s",
                          x->argv[0], x->user, x->hint ? "; " : "", x->hint ? x->hint : "");
    else if (WIFEXITED(status) && WEXITSTATUS(status))
        rc = sl_error_set(err, SL_EREFUSED, "exec plugin %s (user \"%s\") failed with exit status %d%s",
                          x->argv[0], x->user, WEXITSTATUS(status), line);
    else if (WIFSIGNALED(status))
        rc = sl_error_set(err, SL_EREFUSED, "exec plugin %s (user \"%s\") killed by signal %d%s",
                          x->argv[0], x->user, WTERMSIG(status), line);
out:
    if (po[0] >= 0)
        close(po[0]);
    if (po[1] >= 0)
        close(po[1]);
    if (pe[0] >= 0)
        close(pe[0]);
    if (pe[1] >= 0)
        close(pe[1]);
    free(envp);
    free(infoenv);
    return rc;
}

/* Contract: see kube.h. The output is never quoted: it holds the secret. */
int kube_exec_take(kube_exec *x, const char *out, size_t len, sl_error *err)
{
    cJSON *root = len ? cJSON_ParseWithLength(out, len) : NULL;
    const char *kind, *av, *tok, *cert, *key, *exp;
    const cJSON *st;
    time_t expiry = 0;
    int rc = 0;

    if (!cJSON_IsObject(root)) {
        rc = sl_error_set(err, SL_EINVAL,
                          "exec plugin %s (user \"%s\"): its output is not an ExecCredential "
                          "JSON object",
                          x->argv[0], x->user);
        goto out;
    }
    kind = sl_doc_str(root, "kind");
    av = sl_doc_str(root, "apiVersion");
    st = cJSON_GetObjectItemCaseSensitive(root, "status");
    if (!kind || strcmp(kind, "ExecCredential") || !av || strcmp(av, x->api_version)) {
        rc = sl_error_set(err, SL_EINVAL,
                          "exec plugin %s (user \"%s\"): expected kind ExecCredential with "
                          "apiVersion %s",
                          x->argv[0], x->user, x->api_version);
        goto out;
    }
    tok = sl_doc_str(st, "token");
    cert = sl_doc_str(st, "clientCertificateData");
    key = sl_doc_str(st, "clientKeyData");
    exp = sl_doc_str(st, "expirationTimestamp");
    if (!cJSON_IsObject(st) || (!(tok && *tok) && !(cert && *cert && key && *key)) ||
        (!cert != !key)) {
        rc = sl_error_set(err, SL_EINVAL,
                          "exec plugin %s (user \"%s\"): status needs a token, or both "
                          "clientCertificateData and clientKeyData",
                          x->argv[0], x->user);
        goto out;
    }
    if (exp && (expiry = kube_rfc3339(exp)) < 0) {
        rc = sl_error_set(err, SL_EINVAL,
                          "exec plugin %s (user \"%s\"): status.expirationTimestamp is not an "
                          "RFC 3339 time",
                          x->argv[0], x->user);
        goto out;
    }
    kube_exec_forget(x);
    if ((tok && *tok && !(x->token = strdup(tok))) || (cert && !(x->cert = strdup(cert))) ||
        (key && !(x->key = strdup(key)))) {
        kube_exec_forget(x);
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    x->cert_len = x->cert ? strlen(x->cert) : 0;
    x->key_len = x->key ? strlen(x->key) : 0;
    x->expiry = expiry;
    x->have = 1;
    x->gen++;
out:
    if (root) {
        /* scrub the secrets in the parsed tree before freeing it */
        cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "status"), *f;
        cJSON_ArrayForEach(f, s) if (cJSON_IsString(f) && f->valuestring)
            memset(f->valuestring, 0, strlen(f->valuestring));
        cJSON_Delete(root);
    }
    return rc;
}

/* Contract: see kube.h. */
int kube_exec_get(kube_exec *x, const kube_conn *conn, int force, sl_error *err)
{
    sl_buf outb, errb;
    cJSON *info = NULL, *spec, *cl;
    char *infos = NULL;
    int rc;

    if (!force && x->have && (!x->expiry || time(NULL) < x->expiry - 10))
        return 0;
    sl_buf_init(&outb, KUBE_EXEC_MAX_OUT + 4096);
    sl_buf_init(&errb, KUBE_EXEC_MAX_ERR + 4096);
    if (!(info = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(info, "kind", "ExecCredential") ||
        !cJSON_AddStringToObject(info, "apiVersion", x->api_version) ||
        !(spec = cJSON_AddObjectToObject(info, "spec")) ||
        !cJSON_AddBoolToObject(spec, "interactive", 0)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (conn && conn->exec_cluster_info) {
        if (!(cl = cJSON_AddObjectToObject(spec, "cluster")) ||
            !cJSON_AddStringToObject(cl, "server", conn->server) ||
            (conn->tls_server_name && !cJSON_AddStringToObject(cl, "tls-server-name",
                                                               conn->tls_server_name)) ||
            (conn->insecure && !cJSON_AddBoolToObject(cl, "insecure-skip-tls-verify", 1)) ||
            (conn->proxy_url && !cJSON_AddStringToObject(cl, "proxy-url", conn->proxy_url))) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (!(infos = cJSON_PrintUnformatted(info))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    x->runs++;
    if ((rc = kube_exec_run(x, infos, &outb, &errb, err)))
        goto out;
    rc = kube_exec_take(x, outb.ptr, outb.len, err);
out:
    if (outb.ptr)
        memset(outb.ptr, 0, outb.len);
    sl_buf_free(&outb);
    sl_buf_free(&errb);
    cJSON_free(infos);
    cJSON_Delete(info);
    return rc;
}

const char *kube_exec_token(const kube_exec *x)
{
    return x && x->have ? x->token : NULL;
}

int kube_exec_cert(const kube_exec *x, const char **cert, size_t *cert_len, const char **key,
                   size_t *key_len)
{
    if (!x || !x->have || !x->cert)
        return 0;
    *cert = x->cert;
    *cert_len = x->cert_len;
    *key = x->key;
    *key_len = x->key_len;
    return 1;
}

void kube_exec_set_timeout(kube_exec *x, int ms)
{
    if (x && ms > 0)
        x->timeout_ms = ms;
}

unsigned kube_exec_gen(const kube_exec *x)
{
    return x ? x->gen : 0;
}

unsigned kube_exec_runs(const kube_exec *x)
{
    return x ? x->runs : 0;
}
