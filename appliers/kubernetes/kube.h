/* kube.h: internals of the `kubernetes` target, shared by the files of
 * appliers/kubernetes/ only (kubeconfig, HTTP client, discovery, ApplySet,
 * health). Nothing outside this folder includes it except unit tests. */
#ifndef SL_KUBE_H
#define SL_KUBE_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "sl_buf.h"
#include "sl_doc.h"
#include "sl_error.h"
#include "sl_obj.h"
#include "sl_target.h"

/* ---- connection (kubeconfig.c) ---- */

typedef struct kube_exec kube_exec;

/* Everything needed to reach one API server as one user. Secrets (token,
 * password, key data) are owned here and never printed. */
typedef struct kube_conn {
    char *server;          /* https://host:port, no trailing slash */
    char *ca_file;         /* certificate-authority */
    char *ca_data;         /* certificate-authority-data, decoded PEM */
    size_t ca_len;
    int insecure;          /* insecure-skip-tls-verify */
    char *tls_server_name; /* tls-server-name */
    char *proxy_url;       /* proxy-url */
    char *token;           /* bearer token (token, or read from tokenFile) */
    char *token_file;      /* re-read on every client start */
    char *cert_file, *key_file;
    char *cert_data, *key_data; /* decoded PEM */
    size_t cert_len, key_len;
    char *username, *password;
    char *context;   /* the context used */
    char *namespace; /* the context's namespace, or NULL */
    kube_exec *exec;       /* exec credential plugin and its cached credential, or NULL */
    int exec_cluster_info; /* exec.provideClusterInfo */
} kube_conn;

/* Options for picking a connection. */
typedef struct kube_conn_opts {
    const char *kubeconfig; /* a path list (':'-separated like KUBECONFIG); NULL = $KUBECONFIG
                               or ~/.kube/config */
    const char *context;    /* NULL = current-context */
    int allow_exec;         /* exec credential plugins may run (they are refused otherwise) */
} kube_conn_opts;

/* Load the connection the way kubectl does: the files of the path list are
 * merged (the first file to set a map entry or current-context wins), then
 * the context is resolved to a cluster and user. With no kubeconfig given
 * and KUBERNETES_SERVICE_HOST set, the in-cluster service account is used.
 * Errors name the file and what is missing, never a credential. */
int kube_conn_load(const kube_conn_opts *o, kube_conn *out, sl_error *err);
/* As kube_conn_load from kubeconfig texts already in memory (files[i] names
 * texts[i] in errors; relative paths resolve against its folder). */
int kube_conn_from_texts(const char *const *files, const char *const *texts, size_t n,
                         const kube_conn_opts *o, kube_conn *out, sl_error *err);
/* In-cluster config from KUBERNETES_SERVICE_HOST/PORT and the service
 * account folder sa_dir (NULL = /var/run/secrets/kubernetes.io/serviceaccount). */
int kube_conn_incluster(const char *sa_dir, kube_conn *out, sl_error *err);
void kube_conn_clear(kube_conn *c);

/* ---- exec credential plugins (exec.c) ---- */

/* Parse a user's exec stanza (file and user name messages; dir resolves a
 * relative command path with a '/'). */
int kube_exec_new(const cJSON *exec, const char *file, const char *dir, const char *user,
                  kube_exec **out, sl_error *err);
void kube_exec_free(kube_exec *x);
/* Make sure x holds a credential: run the plugin when none is cached, the
 * cached one expires within 10 s, or force is set. conn gives the cluster
 * info for KUBERNETES_EXEC_INFO when provideClusterInfo is set (may be
 * NULL). Errors name the plugin and its exit status, never its output. */
int kube_exec_get(kube_exec *x, const kube_conn *conn, int force, sl_error *err);
/* Check a plugin's output (len bytes at out) and take its credential into
 * the cache; on a validation error the cache is left as it was. */
int kube_exec_take(kube_exec *x, const char *out, size_t len, sl_error *err);
/* The cached bearer token, or NULL (borrowed). */
const char *kube_exec_token(const kube_exec *x);
/* The cached client certificate and key (PEM, borrowed); 0 when none. */
int kube_exec_cert(const kube_exec *x, const char **cert, size_t *cert_len, const char **key,
                   size_t *key_len);
/* How long a plugin may run before it and its process group are killed
 * (default 30 s). */
void kube_exec_set_timeout(kube_exec *x, int ms);
/* Bumped whenever a new credential is taken; how often the plugin ran. */
unsigned kube_exec_gen(const kube_exec *x);
unsigned kube_exec_runs(const kube_exec *x);

/* ---- HTTP (client.c) ---- */

typedef struct kube_req {
    const char *method;  /* GET, PATCH, DELETE, PUT, POST */
    char *path;          /* absolute path with query, owned */
    const char *ctype;   /* body's content type, or NULL */
    char *body;          /* owned, may be NULL */
    size_t body_len;
    /* results */
    long status;       /* HTTP status of the last attempt, 0 on transport failure */
    sl_buf resp;       /* body of the last attempt */
    int rc;            /* 0 when an HTTP answer arrived; SL_ENET/... otherwise */
    sl_error err;      /* transport error of the last attempt */
    int attempts;
    /* private */
    double not_before_;
    size_t send_off_;
    double retry_after_;
    int state_;
    int reauthed_;      /* re-ran the exec plugin after a 401 */
    unsigned exec_gen_; /* credential generation this attempt used */
    char errbuf_[CURL_ERROR_SIZE];
    CURL *easy_;
    struct curl_slist *hdrs_;
} kube_req;

typedef struct kube_client_opts {
    int parallelism;    /* concurrent requests, default 8 */
    int retries;        /* retries after the first attempt, default 5 */
    double timeout;     /* seconds per attempt, default 30 */
    double backoff_base; /* first backoff, seconds (default 0.2) */
    double backoff_max;  /* cap (default 10) */
    double qps;          /* 0 = unlimited */
} kube_client_opts;

typedef struct kube_client kube_client;

int kube_client_new(const kube_conn *conn, const kube_client_opts *o, kube_client **out,
                    sl_error *err);
void kube_client_free(kube_client *c);
/* Run reqs concurrently (at most parallelism at once), retrying 429, 5xx and
 * connection errors with exponential backoff and jitter (Retry-After wins
 * when given). Every request gets its own outcome in rc/status/resp.
 * Returns 0, or SL_ENOMEM when the requests could not be started. */
int kube_client_run(kube_client *c, kube_req *const *reqs, size_t n);
/* One request. Returns r->rc. */
int kube_client_do(kube_client *c, kube_req *r);
/* Requests sent (attempts), for tests and benchmarks. */
size_t kube_client_requests(const kube_client *c);
/* Whether a status code is retried. */
int kube_retryable(long status);
/* The delay before retry number attempt (1-based): base*2^(attempt-1)
 * capped at max, times a jitter factor in [0.5, 1.0) from rnd in [0,1). A
 * Retry-After (seconds, >= 0) replaces it (capped at 60 s). */
double kube_backoff(const kube_client_opts *o, int attempt, double retry_after, double rnd);

void kube_req_init(kube_req *r, const char *method, char *path, const char *ctype, char *body,
                   size_t body_len);
void kube_req_clear(kube_req *r);
/* Turn a finished request that did not end in 2xx into err: the Status
 * object's message, reason and, for 409, every conflicting field with its
 * manager. what names the operation ("applying"). Returns an SL_E* code. */
int kube_req_error(const kube_req *r, const char *what, sl_error *err);

/* ---- discovery (discovery.c) ---- */

typedef struct kube_resource {
    char *name; /* plural resource name */
    int namespaced;
} kube_resource;

typedef struct kube_disc kube_disc;

int kube_disc_new(kube_disc **out);
void kube_disc_free(kube_disc *d);
/* Map group/version/kind to its resource, reading /api/v1 or
 * /apis/<group>/<version> once per group-version. A kind not found
 * refreshes that group-version once (a CRD may have just been
 * established); then SL_ENOTFOUND with a clear message. */
int kube_disc_resolve(kube_disc *d, kube_client *c, const char *group, const char *version,
                      const char *kind, kube_resource *out, sl_error *err);
/* Forget a group's cached versions (after applying a CRD of that group). */
void kube_disc_forget(kube_disc *d, const char *group);

/* Build the URL path of an object (name may be NULL for the collection;
 * ns "" for cluster-scoped or all namespaces). */
int kube_path(sl_buf *out, const char *group, const char *version, const kube_resource *res,
              const char *ns, const char *name);

/* ---- ApplySet (applyset.c) ---- */

#define KUBE_LABEL_PART_OF "applyset.kubernetes.io/part-of"
#define KUBE_LABEL_ID "applyset.kubernetes.io/id"
#define KUBE_ANN_TOOLING "applyset.kubernetes.io/tooling"
#define KUBE_ANN_GKS "applyset.kubernetes.io/contains-group-kinds"
#define KUBE_ANN_NAMESPACES "applyset.kubernetes.io/additional-namespaces"

/* The ApplySet id of a parent (KEP-3659): "applyset-" +
 * base64url-without-padding(sha256("<name>.<namespace>.<kind>.<group>")) +
 * "-v1". out must hold 64 bytes. */
void kube_applyset_id(const char *name, const char *ns, const char *kind, const char *group,
                      char *out, size_t n);
/* "Kind.group" ("Kind" for the core group), the form of contains-group-kinds. */
int kube_gk_str(const char *group, const char *kind, sl_buf *out);
/* Parse a contains-group-kinds value into "Kind.group" strings (sorted, unique). */
int kube_gks_parse(const char *value, sl_strv *out);
/* Join sorted unique strings with ','. */
int kube_strv_join(const sl_strv *sv, sl_buf *out);
/* Check that a parent object found live may be used as sluice's parent
 * with id: its id label must equal id and its tooling must be sluice's
 * (any version). A parent with neither is adopted. SL_EREFUSED otherwise. */
int kube_applyset_check_parent(const cJSON *parent, const char *id, sl_error *err);

/* ---- health (health.c) ---- */

/* kstatus-like status of a live object (one of SL_HEALTH_*): Deployments,
 * StatefulSets and DaemonSets rolled out, Jobs complete, PVCs bound, CRDs
 * established, other objects with a Ready condition by it, everything else
 * ready as soon as it exists. why (n bytes) says what is missing. */
int kube_health(const cJSON *live, char *why, size_t n);

#endif
