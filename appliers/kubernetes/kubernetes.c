/* kubernetes.c: the `kubernetes` target. Server-side apply (PATCH
 * application/apply-patch+yaml with a field manager), server dry runs for
 * diff, and an ApplySet (KEP-3659) per app as its inventory: a Secret
 * parent named sluice-<app> in the inventory namespace, every member
 * labelled applyset.kubernetes.io/part-of=<id>. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/sha.h>

#include "kube.h"
#include "sl_doc.h"
#include "sl_plan.h"
#include "sl_target.h"

#define KT_DEFAULT_INV_NS "sluice-system"
#define KT_CRD_GROUP "apiextensions.k8s.io"
#define KT_TOOLING "sluice/v" SL_VERSION

/* A prefetched live object or dry run, keyed by "group/kind/ns/name". */
typedef struct kt_cache_ent {
    char *key;
    int have_live; /* a GET answered */
    cJSON *live;   /* NULL when absent */
    cJSON *dry;    /* dry-run result or NULL */
} kt_cache_ent;

typedef struct kube_target {
    /* configuration */
    char *kubeconfig, *context, *field_manager, *inv_ns;
    int force, allow_exec;
    double crd_timeout;
    kube_client_opts copts;
    /* connection, made on first use */
    int connected;
    kube_conn conn;
    kube_client *client;
    kube_disc *disc;
    /* ApplySet of the current app */
    char *app;
    char id[96];
    int parent_loaded, parent_exists;
    sl_strv parent_gks; /* contains-group-kinds as live */
    sl_strv parent_nss; /* additional-namespaces as live */
    sl_strv crd_gks;    /* "Kind.group" defined by CRDs of the desired set */
    kt_cache_ent *cache;
    size_t ncache, capcache;
    sl_objset *inv; /* the app's members as last listed; NULL after any change */
} kube_target;

/* ---- configuration ---- */

static int kt_open(sl_target *t, const cJSON *node, sl_confctx *c)
{
    static const char *const keys[] = {"kubeconfig",  "context",  "fieldManager",
                                       "force",       "parallelism", "timeout",
                                       "retries",     "allowExec", "qps",
                                       "inventoryNamespace", NULL};
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(node, "kubernetes");
    const char *kc = NULL, *ctx = NULL, *fm = NULL, *ns = NULL;
    kube_target *k;
    int rc = 0;

    if (!(k = calloc(1, sizeof(*k))))
        return SL_ENOMEM;
    t->priv = k;
    k->copts.parallelism = 8;
    k->copts.retries = 5;
    k->copts.timeout = 30;
    k->crd_timeout = 60;
    if (m && !cJSON_IsNull(m) && !cJSON_IsObject(m))
        return sl_conf_error(c, m, "kubernetes must be a mapping such as { kubeconfig: PATH }");
    if (cJSON_IsObject(m)) {
        const cJSON *v;
        rc |= sl_conf_check_keys(c, m, keys);
        rc |= sl_conf_str(c, m, "kubeconfig", 0, &kc);
        rc |= sl_conf_str(c, m, "context", 0, &ctx);
        rc |= sl_conf_str(c, m, "fieldManager", 0, &fm);
        rc |= sl_conf_str(c, m, "inventoryNamespace", 0, &ns);
        rc |= sl_conf_bool(c, m, "force", &k->force);
        rc |= sl_conf_bool(c, m, "allowExec", &k->allow_exec);
        rc |= sl_conf_duration(c, m, "timeout", &k->copts.timeout);
        if ((v = cJSON_GetObjectItemCaseSensitive(m, "parallelism"))) {
            if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 256)
                rc |= sl_conf_error(c, v, "parallelism must be a number from 1 to 256");
            else
                k->copts.parallelism = (int)v->valuedouble;
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(m, "retries"))) {
            if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 100)
                rc |= sl_conf_error(c, v, "retries must be a number from 0 to 100");
            else
                k->copts.retries = (int)v->valuedouble;
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(m, "qps"))) {
            if (!cJSON_IsNumber(v) || v->valuedouble < 0)
                rc |= sl_conf_error(c, v, "qps must be a number >= 0 (0 = no limit)");
            else
                k->copts.qps = v->valuedouble;
        }
        if (k->copts.timeout <= 0)
            rc |= sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(m, "timeout"),
                                "timeout must be more than 0");
        if (fm) {
            for (const char *p = fm; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("-_.:", *p)) {
                    rc |= sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(m, "fieldManager"),
                                        "fieldManager may hold only letters, digits and - _ . :");
                    break;
                }
            if (!*fm || strlen(fm) > 128)
                rc |= sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(m, "fieldManager"),
                                    "fieldManager must be 1 to 128 characters");
        }
    }
    if ((kc && !(k->kubeconfig = sl_conf_path(c, kc))) || (ctx && !(k->context = strdup(ctx))) ||
        !(k->field_manager = strdup(fm ? fm : "sluice")) ||
        !(k->inv_ns = strdup(ns ? ns : KT_DEFAULT_INV_NS)))
        return SL_ENOMEM;
    return rc ? SL_EINVAL : 0;
}

static void kt_cache_clear(kube_target *k)
{
    sl_objset_free(k->inv);
    k->inv = NULL;
    for (size_t i = 0; i < k->ncache; i++) {
        free(k->cache[i].key);
        cJSON_Delete(k->cache[i].live);
        cJSON_Delete(k->cache[i].dry);
    }
    k->ncache = 0;
}

static void kt_close(sl_target *t)
{
    kube_target *k = t->priv;

    if (!k)
        return;
    kt_cache_clear(k);
    free(k->cache);
    kube_client_free(k->client);
    kube_disc_free(k->disc);
    kube_conn_clear(&k->conn);
    sl_strv_free(&k->parent_gks);
    sl_strv_free(&k->parent_nss);
    sl_strv_free(&k->crd_gks);
    free(k->kubeconfig);
    free(k->context);
    free(k->field_manager);
    free(k->inv_ns);
    free(k->app);
    free(k);
    t->priv = NULL;
}

/* Connect on first use. SLUICE_KUBECONFIG / SLUICE_KUBE_CONTEXT (set by
 * the CLI's --kubeconfig / --context) override the target's settings. */
static int kt_connect(sl_target *t, sl_error *err)
{
    kube_target *k = t->priv;
    kube_conn_opts o;
    const char *ekc = getenv("SLUICE_KUBECONFIG"), *ectx = getenv("SLUICE_KUBE_CONTEXT");
    int rc;

    if (k->connected)
        return 0;
    memset(&o, 0, sizeof(o));
    o.kubeconfig = ekc && *ekc ? ekc : k->kubeconfig;
    o.context = ectx && *ectx ? ectx : k->context;
    o.allow_exec = k->allow_exec;
    if ((rc = kube_conn_load(&o, &k->conn, err)) ||
        (rc = kube_client_new(&k->conn, &k->copts, &k->client, err))) {
        sl_error_prefix(err, "target %s", t->name);
        kube_conn_clear(&k->conn);
        return rc;
    }
    if (kube_disc_new(&k->disc))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    k->connected = 1;
    return 0;
}

/* ---- the prefetch cache ---- */

static int kt_key(const sl_objid *id, char *buf, size_t n)
{
    return snprintf(buf, n, "%s/%s/%s/%s", id->group, id->kind, id->ns, id->name) < (int)n ? 0
                                                                                           : -1;
}

static kt_cache_ent *kt_cache_find(kube_target *k, const sl_objid *id)
{
    char key[1024];

    if (kt_key(id, key, sizeof(key)))
        return NULL;
    for (size_t i = 0; i < k->ncache; i++)
        if (!strcmp(k->cache[i].key, key))
            return &k->cache[i];
    return NULL;
}

static kt_cache_ent *kt_cache_add(kube_target *k, const sl_objid *id)
{
    char key[1024];
    kt_cache_ent *e = kt_cache_find(k, id);

    if (e)
        return e;
    if (kt_key(id, key, sizeof(key)))
        return NULL;
    if (k->ncache == k->capcache) {
        size_t cap = k->capcache ? k->capcache * 2 : 64;
        kt_cache_ent *v = realloc(k->cache, cap * sizeof(*v));
        if (!v)
            return NULL;
        k->cache = v;
        k->capcache = cap;
    }
    e = &k->cache[k->ncache];
    memset(e, 0, sizeof(*e));
    if (!(e->key = strdup(key)))
        return NULL;
    k->ncache++;
    return e;
}

/* ---- REST mapping ---- */

static int kt_gk_in(const sl_strv *sv, const char *group, const char *kind)
{
    sl_buf b = SL_BUF_INIT;
    int in;

    if (kube_gk_str(group, kind, &b))
        return 0;
    in = sl_strv_contains(sv, b.ptr);
    sl_buf_free(&b);
    return in;
}

/* Resolve id's kind and build its URL path (name included when with_name). */
static int kt_objpath(kube_target *k, const sl_objid *id, int with_name, sl_buf *path,
                      kube_resource *res, sl_error *err)
{
    char buf[600];
    int rc;

    if ((rc = kube_disc_resolve(k->disc, k->client, id->group, id->version, id->kind, res, err)))
        return rc;
    if (res->namespaced && !id->ns[0])
        return sl_error_set(err, SL_EINVAL,
                            "%s is namespaced but has no metadata.namespace (set namespace: on "
                            "the app or in the manifest)",
                            sl_objid_str(id, buf, sizeof(buf)));
    if (kube_path(path, id->group, id->version, res, res->namespaced ? id->ns : "",
                  with_name ? id->name : NULL))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    return 0;
}

/* ---- object I/O ---- */

static int kt_parse_body(const kube_req *r, cJSON **out, sl_error *err)
{
    *out = cJSON_ParseWithLength(r->resp.ptr ? r->resp.ptr : "", r->resp.len);
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return sl_error_set(err, SL_EINVAL, "the API server answered %s with something that is "
                                            "not a JSON object",
                            r->path);
    }
    return 0;
}

static int kt_get_uncached(sl_target *t, const sl_objid *id, cJSON **live, sl_error *err)
{
    kube_target *k = t->priv;
    sl_buf path = SL_BUF_INIT;
    kube_resource res;
    kube_req r;
    int rc;

    *live = NULL;
    memset(&r, 0, sizeof(r));
    rc = kt_objpath(k, id, 1, &path, &res, err);
    if (rc == SL_ENOTFOUND && kt_gk_in(&k->crd_gks, id->group, id->kind)) {
        /* Its CRD is in this run: not created yet. */
        sl_error_clear(err);
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    kube_req_init(&r, "GET", sl_buf_detach(&path), NULL, NULL, 0);
    kube_client_do(k->client, &r);
    if (r.rc == 0 && r.status == 404)
        goto out;
    if (r.rc || r.status != 200) {
        rc = kube_req_error(&r, "reading", err);
        goto out;
    }
    rc = kt_parse_body(&r, live, err);
out:
    kube_req_clear(&r);
    sl_buf_free(&path);
    return rc;
}

static int kt_get(sl_target *t, const sl_objid *id, cJSON **live, sl_error *err)
{
    kube_target *k = t->priv;
    kt_cache_ent *e;
    int rc;

    *live = NULL;
    if ((rc = kt_connect(t, err)))
        return rc;
    if ((e = kt_cache_find(k, id)) && e->have_live) {
        if (e->live && !(*live = cJSON_Duplicate(e->live, 1)))
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        return 0;
    }
    return kt_get_uncached(t, id, live, err);
}

#define KT_ANN_HASH "sluice.dev/applied-hash"

/* The body of an apply: obj with the ApplySet label and, as annotation
 * sluice.dev/applied-hash, a hash of the rest of the body, as JSON (valid
 * YAML). *hash (33 bytes, may be NULL) receives the hash. */
static int kt_apply_body_hash(kube_target *k, const cJSON *obj, char **out, char *hash,
                              sl_error *err)
{
    cJSON *copy = cJSON_Duplicate(obj, 1), *meta, *labels, *ann;
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[33], *plain;

    *out = NULL;
    if (!copy)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    meta = cJSON_GetObjectItemCaseSensitive(copy, "metadata");
    if (k->app && cJSON_IsObject(meta)) {
        labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
        if (!cJSON_IsObject(labels)) {
            cJSON_DeleteItemFromObjectCaseSensitive(meta, "labels");
            labels = cJSON_AddObjectToObject(meta, "labels");
        }
        cJSON_DeleteItemFromObjectCaseSensitive(labels, KUBE_LABEL_PART_OF);
        cJSON_AddStringToObject(labels, KUBE_LABEL_PART_OF, k->id);
    }
    if (cJSON_IsObject(meta)) {
        ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
        if (cJSON_IsObject(ann))
            cJSON_DeleteItemFromObjectCaseSensitive(ann, KT_ANN_HASH);
        if (!(plain = cJSON_PrintUnformatted(copy))) {
            cJSON_Delete(copy);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        SHA256((const unsigned char *)plain, strlen(plain), md);
        free(plain);
        for (int i = 0; i < 16; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        if (hash)
            memcpy(hash, hex, 33);
        if (!cJSON_IsObject(ann)) {
            cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
            ann = cJSON_AddObjectToObject(meta, "annotations");
        }
        cJSON_AddStringToObject(ann, KT_ANN_HASH, hex);
    }
    *out = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    return *out ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
}

static int kt_apply_body(kube_target *k, const cJSON *obj, char **out, sl_error *err)
{
    return kt_apply_body_hash(k, obj, out, NULL, err);
}

/* Is every field of want present with the same value in live? (Lists:
 * same length, element by element; a null in want matches an absent
 * field.) */
static int kt_subset(const cJSON *want, const cJSON *live)
{
    if (cJSON_IsObject(want)) {
        const cJSON *w;
        if (!cJSON_IsObject(live))
            return 0;
        for (w = want->child; w; w = w->next) {
            const cJSON *l = cJSON_GetObjectItemCaseSensitive(live, w->string);
            if (cJSON_IsNull(w) && !l)
                continue;
            if (!l || !kt_subset(w, l))
                return 0;
        }
        return 1;
    }
    if (cJSON_IsArray(want)) {
        const cJSON *w, *l;
        if (!cJSON_IsArray(live) || cJSON_GetArraySize(want) != cJSON_GetArraySize(live))
            return 0;
        for (w = want->child, l = live->child; w && l; w = w->next, l = l->next)
            if (!kt_subset(w, l))
                return 0;
        return 1;
    }
    return cJSON_Compare(want, live, 1);
}

/* A Secret's stringData is stored as base64 data: rewrite it that way
 * so that it compares with the live object. In place. */
static void kt_secret_stringdata(cJSON *obj)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *kind = sl_doc_str(obj, "kind");
    cJSON *sd = cJSON_GetObjectItemCaseSensitive(obj, "stringData"), *data, *it;

    if (!kind || strcmp(kind, "Secret") || !cJSON_IsObject(sd))
        return;
    data = cJSON_GetObjectItemCaseSensitive(obj, "data");
    if (!cJSON_IsObject(data)) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "data");
        data = cJSON_AddObjectToObject(obj, "data");
    }
    cJSON_ArrayForEach(it, sd)
    {
        const unsigned char *in = (const unsigned char *)(cJSON_IsString(it) ? it->valuestring : "");
        size_t n = strlen((const char *)in), o = 0;
        char *b = malloc(n / 3 * 4 + 8);
        if (!b)
            return;
        for (size_t i = 0; i < n; i += 3) {
            unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                         (i + 2 < n ? in[i + 2] : 0);
            b[o++] = tbl[(v >> 18) & 63];
            b[o++] = tbl[(v >> 12) & 63];
            b[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
            b[o++] = i + 2 < n ? tbl[v & 63] : '=';
        }
        b[o] = '\0';
        cJSON_DeleteItemFromObjectCaseSensitive(data, it->string);
        cJSON_AddStringToObject(data, it->string, b);
        free(b);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(obj, "stringData");
}

/* The no-op fast path of a diff: live was written by sluice from exactly
 * this body (its applied-hash matches) and still holds every value of it,
 * so a server-side apply would change nothing. */
static int kt_unchanged(kube_target *k, const cJSON *want, const cJSON *live)
{
    const cJSON *ann = sl_doc_path(live, "metadata.annotations");
    const char *have = cJSON_IsObject(ann) ? sl_doc_str(ann, KT_ANN_HASH) : NULL;
    char hash[33], *body = NULL;
    cJSON *sent;
    int same;

    if (!have || kt_apply_body_hash(k, want, &body, hash, NULL))
        return 0;
    same = !strcmp(have, hash) && (sent = cJSON_Parse(body)) != NULL;
    if (same)
        kt_secret_stringdata(sent);
    if (same) {
        same = kt_subset(sent, live);
        cJSON_Delete(sent);
    }
    free(body);
    return same;
}

/* Build the PATCH request of obj (dry: dryRun=All). */
static int kt_apply_req(sl_target *t, const cJSON *obj, int dry, int force, kube_req *r,
                        sl_objid *id, sl_error *err)
{
    kube_target *k = t->priv;
    sl_buf path = SL_BUF_INIT;
    kube_resource res;
    char *body = NULL;
    int rc;

    memset(r, 0, sizeof(*r));
    if ((rc = sl_objid_from_json(obj, NULL, id, err)) ||
        (rc = kt_objpath(k, id, 1, &path, &res, err)))
        goto out;
    if (sl_buf_printf(&path, "?fieldManager=%s&force=%s%s", k->field_manager,
                      force || k->force ? "true" : "false", dry ? "&dryRun=All" : "")) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = kt_apply_body(k, obj, &body, err)))
        goto out;
    kube_req_init(r, "PATCH", sl_buf_detach(&path), "application/apply-patch+yaml", body,
                  strlen(body));
out:
    sl_buf_free(&path);
    return rc;
}

/* Contract: the dry run takes conflicting fields over (force), so a diff
 * shows what git wants even where another manager owns a field; the real
 * apply then reports the conflict unless force is configured. */
static int kt_dry_run(sl_target *t, const cJSON *obj, cJSON **result, sl_error *err)
{
    kube_target *k = t->priv;
    sl_objid id = {0};
    kube_req r;
    kt_cache_ent *e;
    int rc;

    *result = NULL;
    memset(&r, 0, sizeof(r));
    if ((rc = kt_connect(t, err)))
        return rc;
    if ((rc = sl_objid_from_json(obj, NULL, &id, err)))
        return rc;
    if ((e = kt_cache_find(k, &id)) && e->dry) {
        *result = cJSON_Duplicate(e->dry, 1);
        rc = *result ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    sl_objid_clear(&id);
    if ((rc = kt_apply_req(t, obj, 1, 1, &r, &id, err)))
        goto out;
    kube_client_do(k->client, &r);
    if (r.rc || r.status < 200 || r.status > 299) {
        rc = kube_req_error(&r, "server dry run", err);
        goto out;
    }
    rc = kt_parse_body(&r, result, err);
out:
    sl_objid_clear(&id);
    kube_req_clear(&r);
    return rc;
}

/* ---- the ApplySet parent ---- */

static const kube_resource kt_secret_res = {"secrets", 1};

static int kt_parent_path(kube_target *k, sl_buf *p, const char *query)
{
    char name[300];

    snprintf(name, sizeof(name), "sluice-%s", k->app);
    if (kube_path(p, "", "v1", &kt_secret_res, k->inv_ns, name))
        return SL_ENOMEM;
    return query ? sl_buf_puts(p, query) : 0;
}

/* Select app: compute its ApplySet id and forget the previous app's state. */
static int kt_select_app(kube_target *k, const char *app, sl_error *err)
{
    char name[300];

    if (k->app && !strcmp(k->app, app))
        return 0;
    free(k->app);
    if (!(k->app = strdup(app)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    snprintf(name, sizeof(name), "sluice-%s", app);
    kube_applyset_id(name, k->inv_ns, "Secret", "", k->id, sizeof(k->id));
    k->parent_loaded = 0;
    k->parent_exists = 0;
    kt_cache_clear(k);
    sl_strv_free(&k->parent_gks);
    sl_strv_free(&k->parent_nss);
    return 0;
}

/* Read the parent (once per app): its group-kinds and namespaces. */
static int kt_parent_load(sl_target *t, sl_error *err)
{
    kube_target *k = t->priv;
    sl_buf p = SL_BUF_INIT;
    cJSON *parent = NULL;
    kube_req r;
    int rc = 0;

    if (k->parent_loaded)
        return 0;
    memset(&r, 0, sizeof(r));
    if (kt_parent_path(k, &p, NULL)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    kube_req_init(&r, "GET", sl_buf_detach(&p), NULL, NULL, 0);
    kube_client_do(k->client, &r);
    if (r.rc == 0 && r.status == 404) {
        k->parent_loaded = 1;
        goto out;
    }
    if (r.rc || r.status != 200) {
        rc = kube_req_error(&r, "reading the ApplySet parent", err);
        goto out;
    }
    if ((rc = kt_parse_body(&r, &parent, err)) ||
        (rc = kube_applyset_check_parent(parent, k->id, err)))
        goto out;
    {
        const cJSON *ann = sl_doc_path(parent, "metadata.annotations");
        const char *gks = cJSON_IsObject(ann) ? sl_doc_str(ann, KUBE_ANN_GKS) : NULL;
        const char *nss = cJSON_IsObject(ann) ? sl_doc_str(ann, KUBE_ANN_NAMESPACES) : NULL;
        if (kube_gks_parse(gks, &k->parent_gks) || kube_gks_parse(nss, &k->parent_nss)) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
    }
    k->parent_exists = 1;
    k->parent_loaded = 1;
out:
    if (rc)
        sl_error_prefix(err, "ApplySet of app %s (Secret %s/sluice-%s)", k->app, k->inv_ns,
                        k->app);
    cJSON_Delete(parent);
    kube_req_clear(&r);
    sl_buf_free(&p);
    return rc;
}

/* Server-side apply of a small object sluice owns outright (force). */
static int kt_apply_own(kube_target *k, const char *path, cJSON *obj, const char *what,
                        sl_error *err)
{
    sl_buf p = SL_BUF_INIT;
    char *body = cJSON_PrintUnformatted(obj);
    kube_req r;
    int rc = 0;

    memset(&r, 0, sizeof(r));
    if (!body || sl_buf_printf(&p, "%s?fieldManager=%s&force=true", path, k->field_manager)) {
        free(body);
        sl_buf_free(&p);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    kube_req_init(&r, "PATCH", sl_buf_detach(&p), "application/apply-patch+yaml", body,
                  strlen(body));
    kube_client_do(k->client, &r);
    if (r.rc || r.status < 200 || r.status > 299)
        rc = kube_req_error(&r, what, err);
    kube_req_clear(&r);
    return rc;
}

/* Write the parent with group-kinds gks and namespaces nss (sorted). */
static int kt_parent_write(sl_target *t, const sl_strv *gks, const sl_strv *nss, sl_error *err)
{
    kube_target *k = t->priv;
    cJSON *obj = cJSON_CreateObject(), *meta, *labels, *ann;
    sl_buf p = SL_BUF_INIT, v = SL_BUF_INIT;
    char name[300];
    int rc = 0;

    snprintf(name, sizeof(name), "sluice-%s", k->app);
    if (!k->parent_exists) {
        /* The inventory namespace may not exist yet. */
        cJSON *ns = cJSON_CreateObject();
        sl_buf np = SL_BUF_INIT;
        kube_resource nsres = {"namespaces", 0};
        cJSON_AddStringToObject(ns, "apiVersion", "v1");
        cJSON_AddStringToObject(ns, "kind", "Namespace");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(ns, "metadata"), "name", k->inv_ns);
        if (kube_path(&np, "", "v1", &nsres, "", k->inv_ns))
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        else
            rc = kt_apply_own(k, np.ptr, ns, "creating the inventory namespace", err);
        cJSON_Delete(ns);
        sl_buf_free(&np);
        if (rc)
            goto out;
    }
    cJSON_AddStringToObject(obj, "apiVersion", "v1");
    cJSON_AddStringToObject(obj, "kind", "Secret");
    meta = cJSON_AddObjectToObject(obj, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(meta, "namespace", k->inv_ns);
    labels = cJSON_AddObjectToObject(meta, "labels");
    cJSON_AddStringToObject(labels, KUBE_LABEL_ID, k->id);
    ann = cJSON_AddObjectToObject(meta, "annotations");
    cJSON_AddStringToObject(ann, KUBE_ANN_TOOLING, KT_TOOLING);
    if (kube_strv_join(gks, &v)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    cJSON_AddStringToObject(ann, KUBE_ANN_GKS, v.ptr);
    sl_buf_reset(&v);
    if (kube_strv_join(nss, &v)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (nss->n)
        cJSON_AddStringToObject(ann, KUBE_ANN_NAMESPACES, v.ptr);
    cJSON_AddStringToObject(ann, "sluice.dev/app", k->app);
    cJSON_AddStringToObject(obj, "type", "Opaque");
    if (kt_parent_path(k, &p, NULL)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = kt_apply_own(k, p.ptr, obj, "writing the ApplySet parent", err)))
        goto out;
    k->parent_exists = 1;
    sl_strv_free(&k->parent_gks);
    sl_strv_free(&k->parent_nss);
    for (size_t i = 0; i < gks->n; i++)
        if (sl_strv_push(&k->parent_gks, gks->v[i]))
            rc = SL_ENOMEM;
    for (size_t i = 0; i < nss->n; i++)
        if (sl_strv_push(&k->parent_nss, nss->v[i]))
            rc = SL_ENOMEM;
    if (rc)
        sl_error_set(err, rc, "out of memory");
out:
    cJSON_Delete(obj);
    sl_buf_free(&p);
    sl_buf_free(&v);
    return rc;
}

/* Before members of these identities are applied, make the parent list a
 * superset of their group-kinds and namespaces (KEP-3659: the parent is
 * widened before members are written, narrowed after pruning). */
static int kt_parent_widen(sl_target *t, const sl_objid *const *ids, size_t n, sl_error *err)
{
    kube_target *k = t->priv;
    sl_strv gks = SL_STRV_INIT, nss = SL_STRV_INIT;
    sl_buf b = SL_BUF_INIT;
    int rc, changed = !k->parent_exists;

    if ((rc = kt_parent_load(t, err)))
        return rc;
    changed = !k->parent_exists;
    for (size_t i = 0; i < k->parent_gks.n; i++)
        sl_strv_push(&gks, k->parent_gks.v[i]);
    for (size_t i = 0; i < k->parent_nss.n; i++)
        sl_strv_push(&nss, k->parent_nss.v[i]);
    for (size_t i = 0; i < n; i++) {
        sl_buf_reset(&b);
        if (kube_gk_str(ids[i]->group, ids[i]->kind, &b)) {
            rc = SL_ENOMEM;
            break;
        }
        if (!sl_strv_contains(&gks, b.ptr)) {
            sl_strv_push(&gks, b.ptr);
            changed = 1;
        }
        if (ids[i]->ns[0] && strcmp(ids[i]->ns, k->inv_ns) && !sl_strv_contains(&nss, ids[i]->ns)) {
            sl_strv_push(&nss, ids[i]->ns);
            changed = 1;
        }
    }
    if (rc)
        sl_error_set(err, rc, "out of memory");
    else if (changed) {
        sl_strv_sort(&gks);
        sl_strv_sort(&nss);
        rc = kt_parent_write(t, &gks, &nss, err);
        if (rc)
            sl_error_prefix(err, "ApplySet of app %s", k->app);
    }
    sl_strv_free(&gks);
    sl_strv_free(&nss);
    sl_buf_free(&b);
    return rc;
}

/* ---- apply ---- */

static int kt_is_crd(const sl_objid *id)
{
    return !strcmp(id->group, KT_CRD_GROUP) && !strcmp(id->kind, "CustomResourceDefinition");
}

static double kt_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait until the CRD applied as obj is Established, then forget its
 * group's discovery so its kinds resolve. */
static int kt_crd_wait(sl_target *t, const cJSON *obj, const sl_objid *id, sl_error *err)
{
    kube_target *k = t->priv;
    double deadline = kt_now() + k->crd_timeout;
    const char *group = sl_doc_str(sl_doc_path(obj, "spec"), "group");
    char why[256] = "";
    int rc;

    for (;;) {
        cJSON *live = NULL;
        int st;
        if ((rc = kt_get_uncached(t, id, &live, err)))
            return rc;
        st = live ? kube_health(live, why, sizeof(why)) : SL_HEALTH_PROGRESSING;
        cJSON_Delete(live);
        if (st == SL_HEALTH_READY)
            break;
        if (kt_now() > deadline)
            return sl_error_set(err, SL_ENET,
                                "CustomResourceDefinition %s not established after %.0fs (%s)",
                                id->name, k->crd_timeout, why[0] ? why : "missing");
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (group)
        kube_disc_forget(k->disc, group);
    return 0;
}

static int kt_apply_batch(sl_target *t, const cJSON *const *objs, size_t n, const sl_apply_opts *o,
                          int *results, sl_error *errs, sl_error *err);

static int kt_apply(sl_target *t, const cJSON *obj, const sl_apply_opts *o, cJSON **result,
                    sl_error *err)
{
    kube_target *k = t->priv;
    sl_objid id = {0};
    kube_req r;
    int rc;

    if (result)
        *result = NULL;
    memset(&r, 0, sizeof(r));
    if ((rc = kt_connect(t, err)))
        return rc;
    kt_cache_clear(k);
    if (o && o->app && (rc = kt_select_app(k, o->app, err)))
        return rc;
    if ((rc = sl_objid_from_json(obj, NULL, &id, err)))
        return rc;
    if (k->app) {
        const sl_objid *ids[1] = {&id};
        if ((rc = kt_parent_widen(t, ids, 1, err)))
            goto out;
    }
    sl_objid_clear(&id);
    if ((rc = kt_apply_req(t, obj, 0, o && o->force, &r, &id, err)))
        goto out;
    kube_client_do(k->client, &r);
    if (r.rc || r.status < 200 || r.status > 299) {
        rc = kube_req_error(&r, "server-side apply", err);
        goto out;
    }
    if (result && (rc = kt_parse_body(&r, result, err)))
        goto out;
    if (kt_is_crd(&id))
        rc = kt_crd_wait(t, obj, &id, err);
out:
    sl_objid_clear(&id);
    kube_req_clear(&r);
    return rc;
}

/* Contract: see sl_target.h. The objects go out concurrently (the plan
 * only batches objects of one ordering rank); CRDs among them are waited
 * for afterwards. */
static int kt_apply_batch(sl_target *t, const cJSON *const *objs, size_t n, const sl_apply_opts *o,
                          int *results, sl_error *errs, sl_error *err)
{
    kube_target *k = t->priv;
    kube_req *reqs = NULL, **rp = NULL;
    sl_objid *ids = NULL;
    const sl_objid **idp = NULL;
    int rc;

    if ((rc = kt_connect(t, err)))
        return rc;
    kt_cache_clear(k);
    if (o && o->app && (rc = kt_select_app(k, o->app, err)))
        return rc;
    reqs = calloc(n + 1, sizeof(*reqs));
    rp = calloc(n + 1, sizeof(*rp));
    ids = calloc(n + 1, sizeof(*ids));
    idp = calloc(n + 1, sizeof(*idp));
    if (!reqs || !rp || !ids || !idp) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        results[i] = sl_objid_from_json(objs[i], NULL, &ids[i], &errs[i]);
        idp[i] = &ids[i];
    }
    if (k->app && (rc = kt_parent_widen(t, idp, n, err)))
        goto out;
    {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            sl_objid tmp = {0};
            if (results[i])
                continue;
            results[i] = kt_apply_req(t, objs[i], 0, o && o->force, &reqs[i], &tmp, &errs[i]);
            sl_objid_clear(&tmp);
            if (!results[i])
                rp[m++] = &reqs[i];
        }
        if ((rc = kube_client_run(k->client, rp, m))) {
            sl_error_set(err, rc, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (results[i])
            continue;
        if (reqs[i].rc || reqs[i].status < 200 || reqs[i].status > 299) {
            results[i] = kube_req_error(&reqs[i], "server-side apply", &errs[i]);
            continue;
        }
        if (kt_is_crd(&ids[i]))
            results[i] = kt_crd_wait(t, objs[i], &ids[i], &errs[i]);
    }
out:
    for (size_t i = 0; ids && i < n; i++)
        sl_objid_clear(&ids[i]);
    for (size_t i = 0; reqs && i < n; i++)
        kube_req_clear(&reqs[i]);
    free(reqs);
    free(rp);
    free(ids);
    free(idp);
    return rc;
}

static int kt_remove(sl_target *t, const sl_objid *id, sl_error *err)
{
    kube_target *k = t->priv;
    sl_buf path = SL_BUF_INIT;
    kube_resource res;
    kube_req r;
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = kt_connect(t, err)))
        return rc;
    kt_cache_clear(k);
    if ((rc = kt_objpath(k, id, 1, &path, &res, err)))
        goto out;
    if (sl_buf_puts(&path, "?propagationPolicy=Background")) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    kube_req_init(&r, "DELETE", sl_buf_detach(&path), NULL, NULL, 0);
    kube_client_do(k->client, &r);
    if (r.rc == 0 && (r.status == 404 || (r.status >= 200 && r.status <= 299)))
        goto out;
    rc = kube_req_error(&r, "deleting", err);
out:
    kube_req_clear(&r);
    sl_buf_free(&path);
    return rc;
}

/* ---- inventory ---- */

/* Preferred version of a group, from /apis (read once). */
static int kt_group_version(sl_target *t, const char *group, char *out, size_t n, sl_error *err)
{
    kube_target *k = t->priv;
    kube_req r;
    cJSON *doc = NULL;
    const cJSON *g;
    int rc = SL_ENOTFOUND;

    if (!group[0]) {
        snprintf(out, n, "v1");
        return 0;
    }
    kube_req_init(&r, "GET", strdup("/apis"), NULL, NULL, 0);
    if (!r.path)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    kube_client_do(k->client, &r);
    if (r.rc || r.status != 200) {
        rc = kube_req_error(&r, "reading API groups", err);
        goto out;
    }
    doc = cJSON_ParseWithLength(r.resp.ptr, r.resp.len);
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(doc, "groups"))
    {
        const char *name = sl_doc_str(g, "name");
        const char *v = sl_doc_str(sl_doc_path(g, "preferredVersion"), "version");
        if (name && v && !strcmp(name, group)) {
            snprintf(out, n, "%s", v);
            rc = 0;
            break;
        }
    }
out:
    cJSON_Delete(doc);
    kube_req_clear(&r);
    return rc;
}

static int kt_inventory(sl_target *t, const char *app, sl_objset *out, sl_error *err)
{
    kube_target *k = t->priv;
    sl_buf path = SL_BUF_INIT;
    cJSON *list = NULL;
    int rc;

    if ((rc = kt_connect(t, err)) || (rc = kt_select_app(k, app, err)) ||
        (rc = kt_parent_load(t, err)))
        return rc;
    if (k->inv) {
        /* Listed since the last change: the same answer. */
        for (size_t i = 0; i < k->inv->n && !rc; i++)
            if (!sl_objset_find(out, &k->inv->v[i].id))
                rc = sl_objset_add_id(out, &k->inv->v[i].id, err);
        return rc;
    }
    for (size_t i = 0; i < k->parent_gks.n; i++) {
        const char *gk = k->parent_gks.v[i], *dot = strchr(gk, '.');
        char kind[256], group[256], version[64];
        kube_resource res;
        kube_req r;
        const cJSON *it;
        snprintf(kind, sizeof(kind), "%.*s", dot ? (int)(dot - gk) : (int)strlen(gk), gk);
        snprintf(group, sizeof(group), "%s", dot ? dot + 1 : "");
        rc = kt_group_version(t, group, version, sizeof(version), err);
        if (rc == SL_ENOTFOUND)
            continue; /* the group is gone (CRD deleted): nothing of it is left */
        if (rc)
            goto out;
        rc = kube_disc_resolve(k->disc, k->client, group, version, kind, &res, err);
        if (rc == SL_ENOTFOUND) {
            sl_error_clear(err);
            rc = 0;
            continue;
        }
        if (rc)
            goto out;
        sl_buf_reset(&path);
        if (kube_path(&path, group, version, &res, "", NULL) ||
            sl_buf_printf(&path, "?labelSelector=%s%%3D%s", KUBE_LABEL_PART_OF, k->id)) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        kube_req_init(&r, "GET", sl_buf_detach(&path), NULL, NULL, 0);
        kube_client_do(k->client, &r);
        if (r.rc || r.status != 200) {
            rc = kube_req_error(&r, "listing ApplySet members", err);
            kube_req_clear(&r);
            goto out;
        }
        list = cJSON_ParseWithLength(r.resp.ptr, r.resp.len);
        kube_req_clear(&r);
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list, "items"))
        {
            const cJSON *meta = cJSON_GetObjectItemCaseSensitive(it, "metadata");
            const char *name = sl_doc_str(meta, "name"), *ns = sl_doc_str(meta, "namespace");
            sl_objid id;
            kt_cache_ent *e;
            if (!name)
                continue;
            if (sl_objid_make(&id, group, version, kind, res.namespaced && ns ? ns : "", name)) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out;
            }
            if (!sl_objset_find(out, &id))
                rc = sl_objset_add_id(out, &id, err);
            /* Keep the item: planning a prune reads it next. */
            if (!rc && (e = kt_cache_add(k, &id)) && !e->have_live) {
                cJSON *copy = cJSON_Duplicate(it, 1);
                if (copy) {
                    cJSON_DeleteItemFromObjectCaseSensitive(copy, "apiVersion");
                    cJSON_DeleteItemFromObjectCaseSensitive(copy, "kind");
                    cJSON_AddStringToObject(copy, "apiVersion", version);
                    if (group[0]) {
                        char av[400];
                        snprintf(av, sizeof(av), "%s/%s", group, version);
                        cJSON_ReplaceItemInObjectCaseSensitive(copy, "apiVersion",
                                                               cJSON_CreateString(av));
                    }
                    cJSON_AddStringToObject(copy, "kind", kind);
                    e->live = copy;
                    e->have_live = 1;
                }
            }
            sl_objid_clear(&id);
            if (rc)
                goto out;
        }
        cJSON_Delete(list);
        list = NULL;
    }
    /* Remember the answer until something changes. */
    if (!sl_objset_new(&k->inv))
        for (size_t i = 0; i < out->n; i++)
            if (sl_objset_add_id(k->inv, &out->v[i].id, NULL)) {
                sl_objset_free(k->inv);
                k->inv = NULL;
                break;
            }
out:
    cJSON_Delete(list);
    sl_buf_free(&path);
    return rc;
}

/* Narrow the parent to what the app now holds. */
static int kt_set_inventory(sl_target *t, const char *app, const sl_objset *ids, sl_error *err)
{
    kube_target *k = t->priv;
    sl_strv gks = SL_STRV_INIT, nss = SL_STRV_INIT;
    sl_buf b = SL_BUF_INIT;
    int rc;

    if ((rc = kt_connect(t, err)) || (rc = kt_select_app(k, app, err)) ||
        (rc = kt_parent_load(t, err)))
        return rc;
    kt_cache_clear(k);
    for (size_t i = 0; i < ids->n && !rc; i++) {
        const sl_objid *id = &ids->v[i].id;
        sl_buf_reset(&b);
        if (kube_gk_str(id->group, id->kind, &b) ||
            (!sl_strv_contains(&gks, b.ptr) && sl_strv_push(&gks, b.ptr)) ||
            (id->ns[0] && strcmp(id->ns, k->inv_ns) && !sl_strv_contains(&nss, id->ns) &&
             sl_strv_push(&nss, id->ns)))
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    sl_strv_sort(&gks);
    sl_strv_sort(&nss);
    if (!rc) {
        int same = k->parent_exists && gks.n == k->parent_gks.n && nss.n == k->parent_nss.n;
        for (size_t i = 0; same && i < gks.n; i++)
            same = !strcmp(gks.v[i], k->parent_gks.v[i]);
        for (size_t i = 0; same && i < nss.n; i++)
            same = !strcmp(nss.v[i], k->parent_nss.v[i]);
        if (!same && (k->parent_exists || ids->n))
            rc = kt_parent_write(t, &gks, &nss, err);
    }
    sl_strv_free(&gks);
    sl_strv_free(&nss);
    sl_buf_free(&b);
    return rc;
}

/* ---- prepare: prefetch live objects and dry runs in parallel ---- */

#define KT_LIST_MIN 4 /* objects of one collection that make a list worth it */

/* Cache the items of a list answer for group/version/kind; *ok set when
 * it parsed. */
static int kt_cache_list(kube_target *k, const kube_req *r, const sl_objid *like, int *ok)
{
    cJSON *list = cJSON_ParseWithLength(r->resp.ptr ? r->resp.ptr : "", r->resp.len);
    const cJSON *it;
    char av[400];

    *ok = 0;
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(list, "items"))) {
        cJSON_Delete(list);
        return 0;
    }
    sl_objid_apiversion(like, av, sizeof(av));
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list, "items"))
    {
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(it, "metadata");
        const char *name = sl_doc_str(meta, "name");
        sl_objid id;
        kt_cache_ent *e;
        cJSON *copy;
        if (!name)
            continue;
        if (sl_objid_make(&id, like->group, like->version, like->kind, like->ns, name))
            goto nomem;
        e = kt_cache_add(k, &id);
        sl_objid_clear(&id);
        if (!e)
            goto nomem;
        if (e->have_live)
            continue;
        if (!(copy = cJSON_Duplicate(it, 1)))
            goto nomem;
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "apiVersion");
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "kind");
        cJSON_AddStringToObject(copy, "apiVersion", av);
        cJSON_AddStringToObject(copy, "kind", like->kind);
        e->live = copy;
        e->have_live = 1;
    }
    cJSON_Delete(list);
    *ok = 1;
    return 0;
nomem:
    cJSON_Delete(list);
    return SL_ENOMEM;
}

/* List the collections that hold at least KT_LIST_MIN desired objects not
 * cached yet; every desired object of a listed collection is then cached
 * (live, or absent when the list lacks it). */
static int kt_prefetch_lists(sl_target *t, const sl_objset *desired, sl_error *err)
{
    kube_target *k = t->priv;
    size_t n = desired->n, m = 0;
    char **coll = calloc(n + 1, sizeof(*coll));
    kube_req *reqs = calloc(n + 1, sizeof(*reqs));
    kube_req **rp = calloc(n + 1, sizeof(*rp));
    size_t *owner = calloc(n + 1, sizeof(*owner)); /* request index -> first object */
    int rc = 0;

    if (!coll || !reqs || !rp || !owner) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const sl_objid *id = &desired->v[i].id;
        kt_cache_ent *e = kt_cache_find(k, id);
        sl_buf p = SL_BUF_INIT;
        kube_resource res;
        sl_error e2;
        if ((e && e->have_live) || kt_objpath(k, id, 0, &p, &res, &e2)) {
            sl_buf_free(&p);
            continue;
        }
        coll[i] = sl_buf_detach(&p);
    }
    for (size_t i = 0; i < n; i++) {
        size_t count = 0;
        int seen = 0;
        if (!coll[i])
            continue;
        for (size_t j = 0; j < i && !seen; j++)
            seen = coll[j] && !strcmp(coll[j], coll[i]);
        if (seen)
            continue;
        for (size_t j = i; j < n; j++)
            count += coll[j] && !strcmp(coll[j], coll[i]);
        if (count < KT_LIST_MIN)
            continue;
        kube_req_init(&reqs[m], "GET", strdup(coll[i]), NULL, NULL, 0);
        if (!reqs[m].path) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        owner[m] = i;
        rp[m] = &reqs[m];
        m++;
    }
    if (m && (rc = kube_client_run(k->client, rp, m))) {
        sl_error_set(err, rc, "out of memory");
        goto out;
    }
    for (size_t r = 0; r < m; r++) {
        const char *c = coll[owner[r]];
        int ok = 0;
        if (reqs[r].rc || reqs[r].status != 200)
            continue; /* the GETs find out */
        if ((rc = kt_cache_list(k, &reqs[r], &desired->v[owner[r]].id, &ok))) {
            sl_error_set(err, rc, "out of memory");
            goto out;
        }
        for (size_t j = owner[r]; ok && j < n; j++) {
            kt_cache_ent *e;
            if (!coll[j] || strcmp(coll[j], c))
                continue;
            if (!(e = kt_cache_add(k, &desired->v[j].id))) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out;
            }
            e->have_live = 1; /* absent unless the list had it */
        }
    }
out:
    for (size_t i = 0; coll && i < n; i++)
        free(coll[i]);
    for (size_t r = 0; reqs && r < m; r++)
        kube_req_clear(&reqs[r]);
    free(coll);
    free(reqs);
    free(rp);
    free(owner);
    return rc;
}

static int kt_prepare(sl_target *t, const char *app, const sl_objset *desired, sl_error *err)
{
    kube_target *k = t->priv;
    kube_req *reqs = NULL, **rp = NULL;
    size_t n = desired->n, m = 0;
    int rc;

    if ((rc = kt_connect(t, err)) || (rc = kt_select_app(k, app, err)))
        return rc;
    kt_cache_clear(k);
    sl_strv_free(&k->crd_gks);
    for (size_t i = 0; i < n; i++) {
        const sl_obj *o = &desired->v[i];
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o->json, "spec");
        const char *g = sl_doc_str(spec, "group");
        const char *kind = sl_doc_str(sl_doc_path(o->json, "spec.names"), "kind");
        sl_buf b = SL_BUF_INIT;
        if (!kt_is_crd(&o->id) || !g || !kind)
            continue;
        if (kube_gk_str(g, kind, &b) || sl_strv_push(&k->crd_gks, b.ptr))
            rc = SL_ENOMEM;
        sl_buf_free(&b);
        if (rc)
            return sl_error_set(err, rc, "out of memory");
    }
    reqs = calloc(n + 1, sizeof(*reqs));
    rp = calloc(n + 1, sizeof(*rp));
    if (!reqs || !rp) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    /* Round 0: list the ApplySet's members (one request per group-kind);
     * they land in the cache. */
    {
        sl_objset *inv = NULL;
        if ((rc = sl_objset_new(&inv))) {
            sl_error_set(err, rc, "out of memory");
            goto out;
        }
        rc = kt_inventory(t, app, inv, err);
        sl_objset_free(inv);
        if (rc)
            goto out;
    }
    /* Round 0.5: where several objects share a collection (kind and
     * namespace), one list replaces their GETs. */
    if ((rc = kt_prefetch_lists(t, desired, err)))
        goto out;
    /* Round 1: GET every other object whose kind resolves. */
    for (size_t i = 0; i < n; i++) {
        sl_buf path = SL_BUF_INIT;
        kube_resource res;
        sl_error e;
        kt_cache_ent *ce = kt_cache_find(k, &desired->v[i].id);
        if (ce && ce->have_live)
            continue;
        sl_error_clear(&e);
        if ((rc = kt_objpath(k, &desired->v[i].id, 1, &path, &res, &e))) {
            sl_buf_free(&path);
            if (rc != SL_ENOTFOUND && rc != SL_EINVAL) {
                /* The server refused or cannot be reached: stop here. */
                if (err)
                    *err = e;
                goto out;
            }
            rc = 0;
            continue; /* planning reports it */
        }
        kube_req_init(&reqs[i], "GET", sl_buf_detach(&path), NULL, NULL, 0);
        if (reqs[i].path)
            rp[m++] = &reqs[i];
    }
    if ((rc = kube_client_run(k->client, rp, m))) {
        sl_error_set(err, rc, "out of memory");
        goto out;
    }
    m = 0;
    for (size_t i = 0; i < n; i++) {
        kube_req *r = &reqs[i];
        kt_cache_ent *e = kt_cache_find(k, &desired->v[i].id);
        const cJSON *live;
        if (!e || !e->have_live) {
            cJSON *got = NULL;
            sl_error e2;
            if (!r->path || r->rc || (r->status != 200 && r->status != 404))
                continue; /* planning asks again and reports */
            if (r->status == 200 && kt_parse_body(r, &got, &e2))
                continue;
            if (!(e = kt_cache_add(k, &desired->v[i].id))) {
                cJSON_Delete(got);
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out;
            }
            e->have_live = 1;
            e->live = got;
        }
        live = e->live;
        kube_req_clear(r);
        /* Round 2: the dry run of every object that exists, unless it
         * provably would not change. */
        if (live) {
            cJSON *want = cJSON_Duplicate(desired->v[i].json, 1);
            sl_objid tmp = {0};
            sl_error e3;
            if (!want) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out;
            }
            sl_normalize(want);
            if (kt_unchanged(k, want, live)) {
                e->dry = cJSON_Duplicate(live, 1);
            } else if (!kt_apply_req(t, want, 1, 1, r, &tmp, &e3)) {
                rp[m++] = r;
            }
            sl_objid_clear(&tmp);
            cJSON_Delete(want);
        }
    }
    if ((rc = kube_client_run(k->client, rp, m))) {
        sl_error_set(err, rc, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        kube_req *r = &reqs[i];
        kt_cache_ent *e;
        cJSON *dry = NULL;
        sl_error e2;
        if (!r->path || !r->method || strcmp(r->method, "PATCH") || r->rc || r->status < 200 ||
            r->status > 299)
            continue;
        if (kt_parse_body(r, &dry, &e2))
            continue;
        if ((e = kt_cache_find(k, &desired->v[i].id)))
            e->dry = dry;
        else
            cJSON_Delete(dry);
    }
out:
    for (size_t i = 0; reqs && i < n; i++)
        kube_req_clear(&reqs[i]);
    free(reqs);
    free(rp);
    return rc;
}

/* ---- health ---- */

static int kt_health(sl_target *t, const sl_objid *id, sl_health *out, sl_error *err)
{
    cJSON *live = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = kt_connect(t, err)))
        return rc;
    kt_cache_clear(t->priv);
    if ((rc = kt_get_uncached(t, id, &live, err)))
        return rc;
    if (!live) {
        out->state = SL_HEALTH_MISSING;
        snprintf(out->why, sizeof(out->why), "does not exist");
        return 0;
    }
    out->state = kube_health(live, out->why, sizeof(out->why));
    cJSON_Delete(live);
    return 0;
}

const sl_applier_ops sl_applier_kubernetes = {
    .kind = "kubernetes",
    .open = kt_open,
    .get = kt_get,
    .dry_run = kt_dry_run,
    .apply = kt_apply,
    .remove = kt_remove,
    .inventory = kt_inventory,
    .set_inventory = kt_set_inventory,
    .prepare = kt_prepare,
    .apply_batch = kt_apply_batch,
    .health = kt_health,
    .close = kt_close,
};
