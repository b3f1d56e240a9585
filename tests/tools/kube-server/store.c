/* store.c: the test server's state: served kinds (built in and registered by
 * CRDs), discovery and OpenAPI documents, the object table (hashed by
 * group/plural/namespace/name), defaulting and simulated status. Every
 * function runs under the global lock (ks_lock). */
#include "ks.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

double ks_delay_ready;
static long g_pending; /* entries whose status is not ready yet */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long g_rv = 1000;
static unsigned g_ip = 1;

void ks_lock(void)
{
    pthread_mutex_lock(&g_lock);
}

void ks_unlock(void)
{
    pthread_mutex_unlock(&g_lock);
}

double ks_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

const char *ks_time_str(double t, char *buf, size_t n)
{
    time_t s = (time_t)t;
    struct tm tm;

    gmtime_r(&s, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

unsigned long long ks_next_rv(void)
{
    return ++g_rv;
}

unsigned long long ks_current_rv(void)
{
    return g_rv;
}

/* ---- kinds ----------------------------------------------------------- */

static ks_kind **g_kinds;
static size_t g_nkinds, g_capkinds;
static unsigned g_kinds_gen; /* bumped when CRDs change the kinds */

static const struct {
    const char *group, *version, *kind, *plural, *shorts;
    int namespaced, status_sub, generation;
} builtin[] = {
    {"", "v1", "Namespace", "namespaces", "ns", 0, 1, 0},
    {"", "v1", "ConfigMap", "configmaps", "cm", 1, 0, 0},
    {"", "v1", "Secret", "secrets", "", 1, 0, 0},
    {"", "v1", "Service", "services", "svc", 1, 1, 0},
    {"", "v1", "ServiceAccount", "serviceaccounts", "sa", 1, 0, 0},
    {"", "v1", "Pod", "pods", "po", 1, 1, 0},
    {"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "pvc", 1, 1, 0},
    {"", "v1", "ResourceQuota", "resourcequotas", "quota", 1, 1, 0},
    {"", "v1", "LimitRange", "limitranges", "limits", 1, 0, 0},
    {"", "v1", "Event", "events", "ev", 1, 0, 0},
    {"apps", "v1", "Deployment", "deployments", "deploy", 1, 1, 1},
    {"apps", "v1", "StatefulSet", "statefulsets", "sts", 1, 1, 1},
    {"apps", "v1", "DaemonSet", "daemonsets", "ds", 1, 1, 1},
    {"apps", "v1", "ReplicaSet", "replicasets", "rs", 1, 1, 1},
    {"batch", "v1", "Job", "jobs", "", 1, 1, 1},
    {"batch", "v1", "CronJob", "cronjobs", "cj", 1, 1, 1},
    {"networking.k8s.io", "v1", "Ingress", "ingresses", "ing", 1, 1, 1},
    {"networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "netpol", 1, 0, 1},
    {"policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "pdb", 1, 1, 1},
    {"autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "hpa", 1, 1, 0},
    {"rbac.authorization.k8s.io", "v1", "Role", "roles", "", 1, 0, 0},
    {"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "", 1, 0, 0},
    {"rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "", 0, 0, 0},
    {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", "", 0, 0, 0},
    {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
     "crd,crds", 0, 1, 1},
};

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return d;
}

static void kind_free(ks_kind *k)
{
    if (!k)
        return;
    free(k->group);
    free(k->version);
    free(k->kind);
    free(k->plural);
    free(k->singular);
    free(k->list_kind);
    free(k->short_names);
    free(k->crd);
    cJSON_Delete(k->openapi);
    free(k);
}

static int kind_add(const char *group, const char *version, const char *kind, const char *plural,
                    const char *singular, const char *shorts, const char *crd, int namespaced,
                    int status_sub, int generation, double served_at)
{
    ks_kind *k = calloc(1, sizeof(*k));
    char lk[256];

    if (!k)
        return SL_ENOMEM;
    snprintf(lk, sizeof(lk), "%sList", kind);
    k->group = strdup(group);
    k->version = strdup(version);
    k->kind = strdup(kind);
    k->plural = strdup(plural);
    k->singular = singular && *singular ? strdup(singular) : lower_dup(kind);
    k->list_kind = strdup(lk);
    k->short_names = strdup(shorts ? shorts : "");
    k->crd = crd ? strdup(crd) : NULL;
    k->namespaced = namespaced;
    k->status_sub = status_sub;
    k->generation = generation;
    k->served_at = served_at;
    if (!k->group || !k->version || !k->kind || !k->plural || !k->singular || !k->list_kind ||
        !k->short_names || (crd && !k->crd))
        goto fail;
    if (g_nkinds == g_capkinds) {
        size_t cap = g_capkinds ? g_capkinds * 2 : 64;
        ks_kind **v = realloc(g_kinds, cap * sizeof(*v));
        if (!v)
            goto fail;
        g_kinds = v;
        g_capkinds = cap;
    }
    g_kinds[g_nkinds++] = k;
    return 0;
fail:
    kind_free(k);
    return SL_ENOMEM;
}

static int served(const ks_kind *k)
{
    return !k->crd || ks_now() >= k->served_at;
}

const ks_kind *ks_kind_by_plural(const char *group, const char *version, const char *plural)
{
    for (size_t i = 0; i < g_nkinds; i++) {
        const ks_kind *k = g_kinds[i];
        if (!strcmp(k->plural, plural) && !strcmp(k->group, group) && !strcmp(k->version, version))
            return served(k) ? k : NULL;
    }
    return NULL;
}

const ks_kind *ks_kind_by_kind(const char *group, const char *version, const char *kind)
{
    for (size_t i = 0; i < g_nkinds; i++) {
        const ks_kind *k = g_kinds[i];
        if (!strcmp(k->kind, kind) && !strcmp(k->group, group) && !strcmp(k->version, version))
            return served(k) ? k : NULL;
    }
    return NULL;
}

int ks_group_version_served(const char *group, const char *version)
{
    for (size_t i = 0; i < g_nkinds; i++)
        if (!strcmp(g_kinds[i]->group, group) && !strcmp(g_kinds[i]->version, version) &&
            served(g_kinds[i]))
            return 1;
    return 0;
}

/* ---- objects --------------------------------------------------------- */

static ks_entry **g_tab;
static size_t g_tabn, g_tabcap;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

char *ks_key(const ks_kind *k, const char *ns, const char *name)
{
    size_t n = strlen(k->group) + strlen(k->plural) + strlen(ns ? ns : "") + strlen(name) + 4;
    char *key = malloc(n);

    if (key)
        snprintf(key, n, "%s\x1f%s\x1f%s\x1f%s", k->group, k->plural, k->namespaced && ns ? ns : "",
                 name);
    return key;
}

ks_entry *ks_get(const char *key)
{
    ks_entry *e;

    if (!g_tabcap)
        return NULL;
    for (e = g_tab[hash_str(key) & (g_tabcap - 1)]; e; e = e->next)
        if (!strcmp(e->key, key))
            return e;
    return NULL;
}

static int grow(void)
{
    size_t cap = g_tabcap ? g_tabcap * 2 : 1024;
    ks_entry **t = calloc(cap, sizeof(*t));

    if (!t)
        return SL_ENOMEM;
    for (size_t i = 0; i < g_tabcap; i++) {
        ks_entry *e = g_tab[i], *next;
        for (; e; e = next) {
            size_t b = hash_str(e->key) & (cap - 1);
            next = e->next;
            e->next = t[b];
            t[b] = e;
        }
    }
    free(g_tab);
    g_tab = t;
    g_tabcap = cap;
    return 0;
}

int ks_put(const char *key, cJSON *obj, ks_entry **out)
{
    ks_entry *e = ks_get(key);
    size_t b;

    if (e) {
        cJSON_Delete(e->obj);
        e->obj = obj;
        if (out)
            *out = e;
        return 0;
    }
    if (g_tabn + 1 > g_tabcap && grow()) {
        cJSON_Delete(obj);
        return SL_ENOMEM;
    }
    if (!(e = calloc(1, sizeof(*e))) || !(e->key = strdup(key))) {
        free(e);
        cJSON_Delete(obj);
        return SL_ENOMEM;
    }
    e->obj = obj;
    b = hash_str(key) & (g_tabcap - 1);
    e->next = g_tab[b];
    g_tab[b] = e;
    g_tabn++;
    if (out)
        *out = e;
    return 0;
}

/* Emit the DELETED event of an entry about to go (with a new resourceVersion). */
static void emit_deleted(ks_entry *e)
{
    char rv[32];

    ks_status_cancel(e);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(e->obj, "metadata");

    snprintf(rv, sizeof(rv), "%llu", ks_next_rv());
    if (cJSON_IsObject(meta)) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
        cJSON_AddStringToObject(meta, "resourceVersion", rv);
    }
    ks_event_add("DELETED", e->key, e->obj);
}

void ks_del(const char *key)
{
    ks_entry **pp, *e;

    if (!g_tabcap)
        return;
    for (pp = &g_tab[hash_str(key) & (g_tabcap - 1)]; (e = *pp); pp = &e->next)
        if (!strcmp(e->key, key)) {
            *pp = e->next;
            emit_deleted(e);
            cJSON_Delete(e->obj);
            free(e->key);
            free(e);
            g_tabn--;
            return;
        }
}

/* Does key belong to group/plural (and namespace ns when given)? */
static int key_matches(const char *key, const char *group, const char *plural, const char *ns)
{
    size_t gl = strlen(group), pl = strlen(plural);

    if (strncmp(key, group, gl) || key[gl] != '\x1f' || strncmp(key + gl + 1, plural, pl) ||
        key[gl + 1 + pl] != '\x1f')
        return 0;
    if (ns) {
        size_t nl = strlen(ns);
        const char *k = key + gl + pl + 2;
        return !strncmp(k, ns, nl) && k[nl] == '\x1f';
    }
    return 1;
}

void ks_each(const ks_kind *k, const char *ns, void (*fn)(ks_entry *, void *), void *arg)
{
    for (size_t i = 0; i < g_tabcap; i++) {
        ks_entry *e = g_tab[i], *next;
        for (; e; e = next) {
            next = e->next;
            if (key_matches(e->key, k->group, k->plural, k->namespaced ? ns : NULL))
                fn(e, arg);
        }
    }
}

void ks_del_namespace(const char *ns)
{
    size_t nl = strlen(ns);

    for (size_t i = 0; i < g_tabcap; i++) {
        ks_entry **pp = &g_tab[i], *e;
        while ((e = *pp)) {
            const char *p = strchr(e->key, '\x1f');
            p = p ? strchr(p + 1, '\x1f') : NULL;
            if (p && !strncmp(p + 1, ns, nl) && p[1 + nl] == '\x1f') {
                *pp = e->next;
                emit_deleted(e);
                cJSON_Delete(e->obj);
                free(e->key);
                free(e);
                g_tabn--;
            } else {
                pp = &e->next;
            }
        }
    }
}

int ks_namespace_empty(const char *ns)
{
    size_t nl = strlen(ns);

    for (size_t i = 0; i < g_tabcap; i++)
        for (ks_entry *e = g_tab[i]; e; e = e->next) {
            const char *p = strchr(e->key, '\x1f');
            p = p ? strchr(p + 1, '\x1f') : NULL;
            if (p && !strncmp(p + 1, ns, nl) && p[1 + nl] == '\x1f')
                return 0;
        }
    return 1;
}

/* ---- watch events -------------------------------------------------------- */

static ks_event g_ev[KS_EVENTS];
static size_t g_ev_head, g_ev_n;
static unsigned long long g_ev_dropped;

void ks_event_add(const char *type, const char *key, const cJSON *obj)
{
    ks_event *e = &g_ev[g_ev_head];
    const char *rv =
        sl_doc_str(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion");
    cJSON *copy = cJSON_Duplicate(obj, 1);
    char *k = strdup(key);

    if (!copy || !k) {
        cJSON_Delete(copy);
        free(k);
        return;
    }
    if (g_ev_n == KS_EVENTS) {
        g_ev_dropped = e->rv;
        free(e->key);
        cJSON_Delete(e->obj);
    } else {
        g_ev_n++;
    }
    e->rv = rv ? strtoull(rv, NULL, 10) : ks_current_rv();
    e->type = type;
    e->key = k;
    e->obj = copy;
    g_ev_head = (g_ev_head + 1) % KS_EVENTS;
}

int ks_events_since(unsigned long long since, void (*fn)(const ks_event *, void *), void *arg)
{
    size_t start = (g_ev_head + KS_EVENTS - g_ev_n) % KS_EVENTS;

    if (g_ev_dropped && since < g_ev_dropped)
        return SL_ELIMIT;
    for (size_t i = 0; i < g_ev_n; i++) {
        const ks_event *e = &g_ev[(start + i) % KS_EVENTS];
        if (e->rv > since)
            fn(e, arg);
    }
    return 0;
}

/* ---- discovery --------------------------------------------------------- */

cJSON *ks_discovery_api(void)
{
    cJSON *d = cJSON_CreateObject(), *v, *a, *s;

    cJSON_AddStringToObject(d, "kind", "APIVersions");
    v = cJSON_AddArrayToObject(d, "versions");
    cJSON_AddItemToArray(v, cJSON_CreateString("v1"));
    a = cJSON_AddArrayToObject(d, "serverAddressByClientCIDRs");
    s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "clientCIDR", "0.0.0.0/0");
    cJSON_AddStringToObject(s, "serverAddress", "127.0.0.1:6443");
    cJSON_AddItemToArray(a, s);
    return d;
}

static cJSON *group_doc(const char *group)
{
    cJSON *g = cJSON_CreateObject(), *vs = NULL, *pref = NULL;
    char gv[300];

    cJSON_AddStringToObject(g, "name", group);
    vs = cJSON_AddArrayToObject(g, "versions");
    for (size_t i = 0; i < g_nkinds; i++) {
        const ks_kind *k = g_kinds[i];
        const cJSON *it;
        int dup = 0;
        if (strcmp(k->group, group) || !served(k))
            continue;
        snprintf(gv, sizeof(gv), "%s/%s", group, k->version);
        cJSON_ArrayForEach(it, vs) dup |= !strcmp(sl_doc_str(it, "groupVersion"), gv);
        if (dup)
            continue;
        {
            cJSON *v = cJSON_CreateObject();
            cJSON_AddStringToObject(v, "groupVersion", gv);
            cJSON_AddStringToObject(v, "version", k->version);
            cJSON_AddItemToArray(vs, v);
            if (!pref || k->storage) {
                cJSON_Delete(pref);
                pref = cJSON_Duplicate(v, 1);
            }
        }
    }
    if (!pref) {
        cJSON_Delete(g);
        return NULL;
    }
    cJSON_AddItemToObject(g, "preferredVersion", pref);
    return g;
}

cJSON *ks_discovery_groups(void)
{
    cJSON *d = cJSON_CreateObject(), *gs;

    cJSON_AddStringToObject(d, "kind", "APIGroupList");
    cJSON_AddStringToObject(d, "apiVersion", "v1");
    gs = cJSON_AddArrayToObject(d, "groups");
    for (size_t i = 0; i < g_nkinds; i++) {
        const ks_kind *k = g_kinds[i];
        const cJSON *it;
        int seen = 0;
        cJSON *g;
        if (!*k->group || !served(k))
            continue;
        cJSON_ArrayForEach(it, gs) seen |= !strcmp(sl_doc_str(it, "name"), k->group);
        if (!seen && (g = group_doc(k->group)))
            cJSON_AddItemToArray(gs, g);
    }
    return d;
}

cJSON *ks_discovery_group(const char *group)
{
    cJSON *g = group_doc(group);

    if (g) {
        cJSON_AddStringToObject(g, "kind", "APIGroup");
        cJSON_AddStringToObject(g, "apiVersion", "v1");
    }
    return g;
}

static void add_verbs(cJSON *r, int with_collection)
{
    static const char *const verbs[] = {"create", "delete", "deletecollection", "get",
                                        "list",   "patch",  "update",           "watch"};
    cJSON *v = cJSON_AddArrayToObject(r, "verbs");

    for (size_t i = 0; i < 8; i++)
        if (with_collection || strcmp(verbs[i], "deletecollection"))
            cJSON_AddItemToArray(v, cJSON_CreateString(verbs[i]));
}

/* Kinds in the "all" category (kubectl get all), as the API server lists them. */
static int in_category_all(const ks_kind *k)
{
    static const char *const kinds[] = {"Pod",         "Service",   "Deployment",
                                        "StatefulSet", "DaemonSet", "ReplicaSet",
                                        "Job",         "CronJob",   "HorizontalPodAutoscaler"};

    if (k->crd)
        return 0;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (!strcmp(k->kind, kinds[i]))
            return 1;
    return 0;
}

cJSON *ks_discovery_resources(const char *group, const char *version)
{
    cJSON *d, *rs;
    char gv[300];

    if (!ks_group_version_served(group, version))
        return NULL;
    d = cJSON_CreateObject();
    snprintf(gv, sizeof(gv), "%s%s%s", group, *group ? "/" : "", version);
    cJSON_AddStringToObject(d, "kind", "APIResourceList");
    cJSON_AddStringToObject(d, "apiVersion", "v1");
    cJSON_AddStringToObject(d, "groupVersion", gv);
    rs = cJSON_AddArrayToObject(d, "resources");
    for (size_t i = 0; i < g_nkinds; i++) {
        const ks_kind *k = g_kinds[i];
        cJSON *r;
        if (strcmp(k->group, group) || strcmp(k->version, version) || !served(k))
            continue;
        r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "name", k->plural);
        cJSON_AddStringToObject(r, "singularName", k->singular);
        cJSON_AddBoolToObject(r, "namespaced", k->namespaced);
        cJSON_AddStringToObject(r, "kind", k->kind);
        add_verbs(r, strcmp(k->plural, "namespaces"));
        if (in_category_all(k)) {
            cJSON *cat = cJSON_AddArrayToObject(r, "categories");
            cJSON_AddItemToArray(cat, cJSON_CreateString("all"));
        }
        if (*k->short_names) {
            cJSON *sn = cJSON_AddArrayToObject(r, "shortNames");
            char *copy = strdup(k->short_names), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                cJSON_AddItemToArray(sn, cJSON_CreateString(t));
            free(copy);
        }
        cJSON_AddItemToArray(rs, r);
        if (k->status_sub) {
            char sub[300];
            cJSON *v;
            snprintf(sub, sizeof(sub), "%s/status", k->plural);
            r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "name", sub);
            cJSON_AddStringToObject(r, "singularName", "");
            cJSON_AddBoolToObject(r, "namespaced", k->namespaced);
            cJSON_AddStringToObject(r, "kind", k->kind);
            v = cJSON_AddArrayToObject(r, "verbs");
            cJSON_AddItemToArray(v, cJSON_CreateString("get"));
            cJSON_AddItemToArray(v, cJSON_CreateString("patch"));
            cJSON_AddItemToArray(v, cJSON_CreateString("update"));
            cJSON_AddItemToArray(rs, r);
        }
    }
    return d;
}

cJSON *ks_openapi_v3_index(void)
{
    cJSON *d = cJSON_CreateObject(), *paths = cJSON_AddObjectToObject(d, "paths");
    unsigned nserved = 0;

    for (size_t i = 0; i < g_nkinds; i++)
        nserved += served(g_kinds[i]);

    for (size_t i = 0; i < g_nkinds; i++) {
        const ks_kind *k = g_kinds[i];
        char p[300], url[400];
        cJSON *e;
        if (!served(k))
            continue;
        if (*k->group)
            snprintf(p, sizeof(p), "apis/%s/%s", k->group, k->version);
        else
            snprintf(p, sizeof(p), "api/%s", k->version);
        if (cJSON_GetObjectItemCaseSensitive(paths, p))
            continue;
        snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%08X%04X", p, g_kinds_gen, nserved);
        e = cJSON_AddObjectToObject(paths, p);
        cJSON_AddStringToObject(e, "serverRelativeURL", url);
    }
    return d;
}

/* One path's PATCH operation with the parameters kubectl looks for. */
static void add_patch_path(cJSON *paths, const ks_kind *k)
{
    static const char *const params[] = {"dryRun", "fieldManager", "fieldValidation", "force"};
    char p[400];
    cJSON *path, *patch, *gvk, *ps, *resp;

    snprintf(p, sizeof(p), "/%s%s/%s/%s%s/{name}", *k->group ? "apis/" : "api", k->group,
             k->version, k->namespaced ? "namespaces/{namespace}/" : "", k->plural);
    if (!*k->group)
        snprintf(p, sizeof(p), "/api/%s/%s%s/{name}", k->version,
                 k->namespaced ? "namespaces/{namespace}/" : "", k->plural);
    path = cJSON_AddObjectToObject(paths, p);
    patch = cJSON_AddObjectToObject(path, "patch");
    cJSON_AddStringToObject(patch, "operationId", "patch");
    gvk = cJSON_AddObjectToObject(patch, "x-kubernetes-group-version-kind");
    cJSON_AddStringToObject(gvk, "group", k->group);
    cJSON_AddStringToObject(gvk, "version", k->version);
    cJSON_AddStringToObject(gvk, "kind", k->kind);
    ps = cJSON_AddArrayToObject(patch, "parameters");
    for (size_t i = 0; i < 4; i++) {
        cJSON *prm = cJSON_CreateObject(), *sch;
        cJSON_AddStringToObject(prm, "name", params[i]);
        cJSON_AddStringToObject(prm, "in", "query");
        sch = cJSON_AddObjectToObject(prm, "schema");
        cJSON_AddStringToObject(sch, "type", i == 3 ? "boolean" : "string");
        cJSON_AddItemToArray(ps, prm);
    }
    resp = cJSON_AddObjectToObject(patch, "responses");
    cJSON_AddObjectToObject(resp, "200");
    cJSON_AddStringToObject(cJSON_GetObjectItem(resp, "200"), "description", "OK");
}

cJSON *ks_openapi_v3_gv(const char *group, const char *version)
{
    cJSON *d, *info, *paths;

    if (!ks_group_version_served(group, version))
        return NULL;
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "openapi", "3.0.0");
    info = cJSON_AddObjectToObject(d, "info");
    cJSON_AddStringToObject(info, "title", "Kubernetes");
    cJSON_AddStringToObject(info, "version", "v1.32.0");
    paths = cJSON_AddObjectToObject(d, "paths");
    for (size_t i = 0; i < g_nkinds; i++)
        if (!strcmp(g_kinds[i]->group, group) && !strcmp(g_kinds[i]->version, version) &&
            served(g_kinds[i]))
            add_patch_path(paths, g_kinds[i]);
    cJSON_AddObjectToObject(d, "components");
    return d;
}

/* ---- defaulting -------------------------------------------------------- */

static cJSON *obj_child(cJSON *o, const char *key)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!c && cJSON_IsObject(o))
        c = cJSON_AddObjectToObject(o, key);
    return cJSON_IsObject(c) ? c : NULL;
}

static void def_str(cJSON *o, const char *key, const char *v)
{
    if (cJSON_IsObject(o) && !cJSON_GetObjectItemCaseSensitive(o, key))
        cJSON_AddStringToObject(o, key, v);
}

static void def_num(cJSON *o, const char *key, double v)
{
    if (cJSON_IsObject(o) && !cJSON_GetObjectItemCaseSensitive(o, key))
        cJSON_AddNumberToObject(o, key, v);
}

static void def_ports(cJSON *ports, int service)
{
    cJSON *p;

    cJSON_ArrayForEach(p, ports)
    {
        def_str(p, "protocol", "TCP");
        if (service && !cJSON_GetObjectItemCaseSensitive(p, "targetPort")) {
            const cJSON *port = cJSON_GetObjectItemCaseSensitive(p, "port");
            if (cJSON_IsNumber(port))
                cJSON_AddNumberToObject(p, "targetPort", port->valuedouble);
        }
    }
}

static void def_container(cJSON *c)
{
    const char *image = sl_doc_str(c, "image");

    if (!cJSON_IsObject(c))
        return;
    def_str(c, "terminationMessagePath", "/dev/termination-log");
    def_str(c, "terminationMessagePolicy", "File");
    if (image) {
        const char *slash = strrchr(image, '/'), *colon = strrchr(image, ':');
        int latest = strchr(image, '@') == NULL &&
                     (!colon || (slash && colon < slash) || !strcmp(colon, ":latest"));
        def_str(c, "imagePullPolicy", latest ? "Always" : "IfNotPresent");
    }
    if (!cJSON_GetObjectItemCaseSensitive(c, "resources"))
        cJSON_AddObjectToObject(c, "resources");
    def_ports(cJSON_GetObjectItemCaseSensitive(c, "ports"), 0);
}

static void def_podspec(cJSON *spec, int job)
{
    static const char *const lists[] = {"containers", "initContainers"};
    cJSON *c;

    if (!cJSON_IsObject(spec))
        return;
    def_str(spec, "restartPolicy", job ? "Never" : "Always");
    def_num(spec, "terminationGracePeriodSeconds", 30);
    def_str(spec, "dnsPolicy", "ClusterFirst");
    def_str(spec, "schedulerName", "default-scheduler");
    if (!cJSON_GetObjectItemCaseSensitive(spec, "securityContext"))
        cJSON_AddObjectToObject(spec, "securityContext");
    for (size_t i = 0; i < 2; i++)
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(spec, lists[i])) def_container(c);
}

static void def_template(cJSON *spec, int job)
{
    cJSON *t = cJSON_GetObjectItemCaseSensitive(spec, "template");

    if (cJSON_IsObject(t))
        def_podspec(cJSON_GetObjectItemCaseSensitive(t, "spec"), job);
}

void ks_default(const ks_kind *k, cJSON *obj)
{
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec"), *meta;
    const char *kind = k->kind;

    if (k->crd)
        return;
    if (!strcmp(kind, "Namespace")) {
        cJSON *labels, *fin;
        meta = obj_child(obj, "metadata");
        labels = obj_child(meta, "labels");
        def_str(labels, "kubernetes.io/metadata.name", sl_doc_str(meta, "name"));
        spec = obj_child(obj, "spec");
        if (spec && !cJSON_GetObjectItemCaseSensitive(spec, "finalizers")) {
            fin = cJSON_AddArrayToObject(spec, "finalizers");
            cJSON_AddItemToArray(fin, cJSON_CreateString("kubernetes"));
        }
        return;
    }
    if (!strcmp(kind, "Secret")) {
        cJSON *sd = cJSON_GetObjectItemCaseSensitive(obj, "stringData"), *c;
        def_str(obj, "type", "Opaque");
        if (cJSON_IsObject(sd)) {
            static const char b64[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            cJSON *data = obj_child(obj, "data");
            cJSON_ArrayForEach(c, sd)
            {
                const unsigned char *s = (const unsigned char *)c->valuestring;
                size_t n = s ? strlen((const char *)s) : 0, o = 0;
                char *enc = malloc(4 * ((n + 2) / 3) + 1);
                if (!cJSON_IsString(c) || !enc || !data) {
                    free(enc);
                    continue;
                }
                for (size_t i = 0; i < n; i += 3) {
                    unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
                                 (i + 2 < n ? s[i + 2] : 0);
                    enc[o++] = b64[v >> 18 & 63];
                    enc[o++] = b64[v >> 12 & 63];
                    enc[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
                    enc[o++] = i + 2 < n ? b64[v & 63] : '=';
                }
                enc[o] = '\0';
                cJSON_DeleteItemFromObjectCaseSensitive(data, c->string);
                cJSON_AddStringToObject(data, c->string, enc);
                free(enc);
            }
            cJSON_DeleteItemFromObjectCaseSensitive(obj, "stringData");
        }
        return;
    }
    if (!cJSON_IsObject(spec))
        return;
    if (!strcmp(kind, "Service")) {
        const char *type;
        def_str(spec, "type", "ClusterIP");
        def_str(spec, "sessionAffinity", "None");
        type = sl_doc_str(spec, "type");
        if (type && strcmp(type, "ExternalName")) {
            if (!cJSON_GetObjectItemCaseSensitive(spec, "clusterIP")) {
                char ip[32];
                unsigned n = g_ip++;
                cJSON *ips;
                snprintf(ip, sizeof(ip), "10.96.%u.%u", (n / 250) % 250, n % 250 + 2);
                cJSON_AddStringToObject(spec, "clusterIP", ip);
                ips = cJSON_AddArrayToObject(spec, "clusterIPs");
                cJSON_AddItemToArray(ips, cJSON_CreateString(ip));
            }
            def_str(spec, "internalTrafficPolicy", "Cluster");
            def_str(spec, "ipFamilyPolicy", "SingleStack");
            if (!cJSON_GetObjectItemCaseSensitive(spec, "ipFamilies")) {
                cJSON *f = cJSON_AddArrayToObject(spec, "ipFamilies");
                cJSON_AddItemToArray(f, cJSON_CreateString("IPv4"));
            }
        }
        def_ports(cJSON_GetObjectItemCaseSensitive(spec, "ports"), 1);
    } else if (!strcmp(kind, "Pod")) {
        def_podspec(spec, 0);
    } else if (!strcmp(kind, "Deployment")) {
        cJSON *st;
        def_num(spec, "replicas", 1);
        def_num(spec, "revisionHistoryLimit", 10);
        def_num(spec, "progressDeadlineSeconds", 600);
        st = obj_child(spec, "strategy");
        def_str(st, "type", "RollingUpdate");
        if (st && !strcmp(sl_doc_str(st, "type") ? sl_doc_str(st, "type") : "", "RollingUpdate")) {
            cJSON *ru = obj_child(st, "rollingUpdate");
            def_str(ru, "maxUnavailable", "25%");
            def_str(ru, "maxSurge", "25%");
        }
        def_template(spec, 0);
    } else if (!strcmp(kind, "StatefulSet")) {
        cJSON *us, *pr;
        def_num(spec, "replicas", 1);
        def_str(spec, "podManagementPolicy", "OrderedReady");
        def_num(spec, "revisionHistoryLimit", 10);
        us = obj_child(spec, "updateStrategy");
        def_str(us, "type", "RollingUpdate");
        if (us && !strcmp(sl_doc_str(us, "type") ? sl_doc_str(us, "type") : "", "RollingUpdate"))
            def_num(obj_child(us, "rollingUpdate"), "partition", 0);
        pr = obj_child(spec, "persistentVolumeClaimRetentionPolicy");
        def_str(pr, "whenDeleted", "Retain");
        def_str(pr, "whenScaled", "Retain");
        def_template(spec, 0);
    } else if (!strcmp(kind, "DaemonSet")) {
        cJSON *us;
        def_num(spec, "revisionHistoryLimit", 10);
        us = obj_child(spec, "updateStrategy");
        def_str(us, "type", "RollingUpdate");
        if (us && !strcmp(sl_doc_str(us, "type") ? sl_doc_str(us, "type") : "", "RollingUpdate")) {
            cJSON *ru = obj_child(us, "rollingUpdate");
            def_num(ru, "maxUnavailable", 1);
            def_num(ru, "maxSurge", 0);
        }
        def_template(spec, 0);
    } else if (!strcmp(kind, "Job")) {
        def_num(spec, "backoffLimit", 6);
        def_num(spec, "completions", 1);
        def_num(spec, "parallelism", 1);
        def_str(spec, "completionMode", "NonIndexed");
        if (!cJSON_GetObjectItemCaseSensitive(spec, "suspend"))
            cJSON_AddFalseToObject(spec, "suspend");
        def_template(spec, 1);
    } else if (!strcmp(kind, "CronJob")) {
        cJSON *jt = cJSON_GetObjectItemCaseSensitive(spec, "jobTemplate");
        def_str(spec, "concurrencyPolicy", "Allow");
        if (!cJSON_GetObjectItemCaseSensitive(spec, "suspend"))
            cJSON_AddFalseToObject(spec, "suspend");
        def_num(spec, "successfulJobsHistoryLimit", 3);
        def_num(spec, "failedJobsHistoryLimit", 1);
        if (cJSON_IsObject(jt))
            def_template(cJSON_GetObjectItemCaseSensitive(jt, "spec"), 1);
    } else if (!strcmp(kind, "PersistentVolumeClaim")) {
        def_str(spec, "volumeMode", "Filesystem");
    } else if (!strcmp(kind, "CustomResourceDefinition")) {
        cJSON *conv = obj_child(spec, "conversion");
        def_str(conv, "strategy", "None");
    }
}

/* ---- simulated status -------------------------------------------------- */

static void add_cond(cJSON *conds, const char *type, const char *status, const char *reason,
                     const char *msg, const char *now, int update_time)
{
    cJSON *c = cJSON_CreateObject();

    cJSON_AddStringToObject(c, "type", type);
    cJSON_AddStringToObject(c, "status", status);
    if (update_time)
        cJSON_AddStringToObject(c, "lastUpdateTime", now);
    cJSON_AddStringToObject(c, "lastTransitionTime", now);
    cJSON_AddStringToObject(c, "reason", reason);
    cJSON_AddStringToObject(c, "message", msg);
    cJSON_AddItemToArray(conds, c);
}

static double num_or(const cJSON *o, const char *path, double dflt)
{
    const cJSON *n = sl_doc_path(o, path);
    return cJSON_IsNumber(n) ? n->valuedouble : dflt;
}

/* Replace obj.status with the simulated status (ready or still rolling out). */
static void make_status(const ks_kind *k, cJSON *obj, int ready)
{
    char now[40], buf[300];
    double gen = num_or(obj, "metadata.generation", 1);
    const char *name = sl_doc_str(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "name");
    cJSON *st, *conds;

    ks_time_str(ks_now(), now, sizeof(now));
    if (!name)
        name = "";
    if (!strcmp(k->kind, "Deployment")) {
        double r = num_or(obj, "spec.replicas", 1);
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
        st = cJSON_AddObjectToObject(obj, "status");
        cJSON_AddNumberToObject(st, "observedGeneration", gen);
        if (r > 0) {
            cJSON_AddNumberToObject(st, "replicas", r);
            cJSON_AddNumberToObject(st, "updatedReplicas", r);
            if (ready) {
                cJSON_AddNumberToObject(st, "readyReplicas", r);
                cJSON_AddNumberToObject(st, "availableReplicas", r);
            } else {
                cJSON_AddNumberToObject(st, "unavailableReplicas", r);
            }
        }
        conds = cJSON_AddArrayToObject(st, "conditions");
        if (ready) {
            add_cond(conds, "Available", "True", "MinimumReplicasAvailable",
                     "Deployment has minimum availability.", now, 1);
            snprintf(buf, sizeof(buf), "ReplicaSet \"%s-5d4c8b7f9\" has successfully progressed.",
                     name);
            add_cond(conds, "Progressing", "True", "NewReplicaSetAvailable", buf, now, 1);
        } else {
            add_cond(conds, "Available", "False", "MinimumReplicasUnavailable",
                     "Deployment does not have minimum availability.", now, 1);
            snprintf(buf, sizeof(buf), "ReplicaSet \"%s-5d4c8b7f9\" is progressing.", name);
            add_cond(conds, "Progressing", "True", "ReplicaSetUpdated", buf, now, 1);
        }
    } else if (!strcmp(k->kind, "StatefulSet")) {
        double r = num_or(obj, "spec.replicas", 1);
        snprintf(buf, sizeof(buf), "%s-7c9d8f6b5", name);
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
        st = cJSON_AddObjectToObject(obj, "status");
        cJSON_AddNumberToObject(st, "observedGeneration", gen);
        cJSON_AddNumberToObject(st, "replicas", r);
        cJSON_AddNumberToObject(st, "readyReplicas", ready ? r : 0);
        cJSON_AddNumberToObject(st, "currentReplicas", ready ? r : 0);
        cJSON_AddNumberToObject(st, "updatedReplicas", ready ? r : 0);
        cJSON_AddNumberToObject(st, "availableReplicas", ready ? r : 0);
        cJSON_AddStringToObject(st, "currentRevision", buf);
        cJSON_AddStringToObject(st, "updateRevision", buf);
        cJSON_AddNumberToObject(st, "collisionCount", 0);
    } else if (!strcmp(k->kind, "DaemonSet")) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
        st = cJSON_AddObjectToObject(obj, "status");
        cJSON_AddNumberToObject(st, "currentNumberScheduled", 1);
        cJSON_AddNumberToObject(st, "desiredNumberScheduled", 1);
        cJSON_AddNumberToObject(st, "numberMisscheduled", 0);
        cJSON_AddNumberToObject(st, "numberReady", ready ? 1 : 0);
        cJSON_AddNumberToObject(st, "observedGeneration", gen);
        cJSON_AddNumberToObject(st, "updatedNumberScheduled", ready ? 1 : 0);
        if (ready)
            cJSON_AddNumberToObject(st, "numberAvailable", 1);
        else
            cJSON_AddNumberToObject(st, "numberUnavailable", 1);
    } else if (!strcmp(k->kind, "Job")) {
        double c = num_or(obj, "spec.completions", 1);
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
        st = cJSON_AddObjectToObject(obj, "status");
        cJSON_AddStringToObject(st, "startTime", now);
        if (ready) {
            cJSON_AddStringToObject(st, "completionTime", now);
            cJSON_AddNumberToObject(st, "succeeded", c);
            conds = cJSON_AddArrayToObject(st, "conditions");
            add_cond(conds, "SuccessCriteriaMet", "True", "CompletionsReached",
                     "Reached expected number of succeeded pods", now, 0);
            add_cond(conds, "Complete", "True", "CompletionsReached",
                     "Reached expected number of succeeded pods", now, 0);
        } else {
            cJSON_AddNumberToObject(st, "active", 1);
            cJSON_AddNumberToObject(st, "ready", 0);
        }
    } else if (!strcmp(k->kind, "PersistentVolumeClaim")) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
        st = cJSON_AddObjectToObject(obj, "status");
        cJSON_AddStringToObject(st, "phase", ready ? "Bound" : "Pending");
        if (ready) {
            const cJSON *am = sl_doc_path(obj, "spec.accessModes");
            const cJSON *req = sl_doc_path(obj, "spec.resources.requests");
            if (am)
                cJSON_AddItemToObject(st, "accessModes", cJSON_Duplicate(am, 1));
            if (req)
                cJSON_AddItemToObject(st, "capacity", cJSON_Duplicate(req, 1));
        }
    } else if (!strcmp(k->kind, "CustomResourceDefinition")) {
        const cJSON *names = sl_doc_path(obj, "spec.names"), *v;
        cJSON *sv;
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
        st = cJSON_AddObjectToObject(obj, "status");
        conds = cJSON_AddArrayToObject(st, "conditions");
        add_cond(conds, "NamesAccepted", "True", "NoConflicts", "no conflicts found", now, 0);
        if (ready)
            add_cond(conds, "Established", "True", "InitialNamesAccepted",
                     "the initial names have been accepted", now, 0);
        else
            add_cond(conds, "Established", "False", "Installing", "the resource is installing", now,
                     0);
        if (names)
            cJSON_AddItemToObject(st, "acceptedNames", cJSON_Duplicate(names, 1));
        sv = cJSON_AddArrayToObject(st, "storedVersions");
        cJSON_ArrayForEach(v, sl_doc_path(obj, "spec.versions"))
        {
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "storage")) &&
                sl_doc_str(v, "name"))
                cJSON_AddItemToArray(sv, cJSON_CreateString(sl_doc_str(v, "name")));
        }
    } else if (!strcmp(k->kind, "Namespace")) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
        st = cJSON_AddObjectToObject(obj, "status");
        cJSON_AddStringToObject(st, "phase", "Active");
    } else if (!strcmp(k->kind, "Pod")) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
        st = cJSON_AddObjectToObject(obj, "status");
        cJSON_AddStringToObject(st, "phase", ready ? "Running" : "Pending");
        conds = cJSON_AddArrayToObject(st, "conditions");
        add_cond(conds, "Ready", ready ? "True" : "False",
                 ready ? "PodReady" : "ContainersNotReady", "", now, 0);
    } else if (!strcmp(k->kind, "Service")) {
        if (!cJSON_GetObjectItemCaseSensitive(obj, "status")) {
            st = cJSON_AddObjectToObject(obj, "status");
            cJSON_AddObjectToObject(st, "loadBalancer");
        }
    }
}

static int simulated(const ks_kind *k)
{
    static const char *const kinds[] = {"Deployment",
                                        "StatefulSet",
                                        "DaemonSet",
                                        "Job",
                                        "PersistentVolumeClaim",
                                        "CustomResourceDefinition",
                                        "Pod",
                                        NULL};
    if (k->crd)
        return 0;
    for (size_t i = 0; kinds[i]; i++)
        if (!strcmp(k->kind, kinds[i]))
            return 1;
    return 0;
}

void ks_status_init(const ks_kind *k, ks_entry *e, const cJSON *old)
{
    double gen = num_or(e->obj, "metadata.generation", 1);
    double oldgen = old ? num_or(old, "metadata.generation", 1) : -1;
    int pvc_or_crd =
        !strcmp(k->kind, "PersistentVolumeClaim") || !strcmp(k->kind, "CustomResourceDefinition");

    if (!simulated(k)) {
        if (!k->crd)
            make_status(k, e->obj, 1);
        return;
    }
    /* a PVC binds once and a CRD is established once; workloads roll out per generation */
    if (old && (pvc_or_crd ? 1 : gen == oldgen)) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(old, "status");
        cJSON_DeleteItemFromObjectCaseSensitive(e->obj, "status");
        if (st)
            cJSON_AddItemToObject(e->obj, "status", cJSON_Duplicate(st, 1));
        if (strcmp(k->kind, "Deployment") && strcmp(k->kind, "StatefulSet"))
            return;
        /* a replica count change is a new spec: refresh the counts */
        if (ks_json_equal(sl_doc_path(old, "spec.replicas"), sl_doc_path(e->obj, "spec.replicas")))
            return;
    }
    if (ks_delay_ready > 0) {
        make_status(k, e->obj, 0);
        if (!e->ready_at)
            g_pending++;
        e->ready_at = ks_now() + ks_delay_ready;
    } else {
        make_status(k, e->obj, 1);
        ks_status_cancel(e);
    }
}

void ks_status_cancel(ks_entry *e)
{
    if (e->ready_at) {
        e->ready_at = 0;
        g_pending--;
    }
}

long ks_status_pending(void)
{
    return g_pending;
}

void ks_status_refresh(const ks_kind *k, ks_entry *e)
{
    char rv[32];
    cJSON *meta;

    if (!e->ready_at || ks_now() < e->ready_at)
        return;
    ks_status_cancel(e);
    make_status(k, e->obj, 1);
    meta = cJSON_GetObjectItemCaseSensitive(e->obj, "metadata");
    snprintf(rv, sizeof(rv), "%llu", ks_next_rv());
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
    cJSON_AddStringToObject(meta, "resourceVersion", rv);
    ks_event_add("MODIFIED", e->key, e->obj);
}

/* ---- CRDs -------------------------------------------------------------- */

static void unregister_crd(const char *name)
{
    size_t j = 0;

    for (size_t i = 0; i < g_nkinds; i++) {
        if (g_kinds[i]->crd && !strcmp(g_kinds[i]->crd, name))
            kind_free(g_kinds[i]);
        else
            g_kinds[j++] = g_kinds[i];
    }
    g_nkinds = j;
}

int ks_crd_changed(const char *name, const cJSON *obj)
{
    const char *group, *plural, *kind, *singular, *scope;
    const cJSON *names, *v, *sn;
    double served_at = 0;
    int rc = 0;

    /* keep the time it became served when the CRD is updated */
    for (size_t i = 0; i < g_nkinds; i++)
        if (g_kinds[i]->crd && !strcmp(g_kinds[i]->crd, name)) {
            served_at = g_kinds[i]->served_at;
            break;
        }
    unregister_crd(name);
    g_kinds_gen++;
    if (!obj) {
        return 0;
    }
    if (!served_at)
        served_at = ks_now() + ks_delay_ready;
    group = sl_doc_str(sl_doc_path(obj, "spec"), "group");
    names = sl_doc_path(obj, "spec.names");
    plural = sl_doc_str(names, "plural");
    kind = sl_doc_str(names, "kind");
    singular = sl_doc_str(names, "singular");
    scope = sl_doc_str(sl_doc_path(obj, "spec"), "scope");
    if (!group || !plural || !kind)
        return 0;
    {
        sl_buf shorts = SL_BUF_INIT;
        cJSON_ArrayForEach(sn, cJSON_GetObjectItemCaseSensitive(names, "shortNames"))
        {
            if (cJSON_IsString(sn))
                sl_buf_printf(&shorts, "%s%s", shorts.len ? "," : "", sn->valuestring);
        }
        cJSON_ArrayForEach(v, sl_doc_path(obj, "spec.versions"))
        {
            const char *ver = sl_doc_str(v, "name");
            const cJSON *sub = sl_doc_path(v, "subresources.status");
            if (!ver || cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(v, "served")))
                continue;
            rc = kind_add(group, ver, kind, plural, singular, shorts.ptr ? shorts.ptr : "", name,
                          !scope || strcmp(scope, "Cluster"), sub != NULL, 1, served_at);
            if (rc)
                break;
            {
                ks_kind *nk = g_kinds[g_nkinds - 1];
                const cJSON *oas = sl_doc_path(v, "schema.openAPIV3Schema");
                nk->storage = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "storage"));
                nk->openapi = oas ? cJSON_Duplicate(oas, 1) : NULL;
                nk->schema.builtin = 0;
                nk->schema.openapi = nk->openapi;
            }
        }
        sl_buf_free(&shorts);
    }
    return rc;
}

/* ---- init -------------------------------------------------------------- */

static int add_namespace(const char *name)
{
    const ks_kind *k = ks_kind_by_plural("", "v1", "namespaces");
    cJSON *o = cJSON_CreateObject(), *meta;
    char *key = ks_key(k, NULL, name), now[40], rv[32], uid[64];
    ks_entry *e;
    int rc;

    if (!o || !key) {
        cJSON_Delete(o);
        free(key);
        return SL_ENOMEM;
    }
    cJSON_AddStringToObject(o, "apiVersion", "v1");
    cJSON_AddStringToObject(o, "kind", "Namespace");
    meta = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    snprintf(uid, sizeof(uid), "00000000-0000-4000-8000-%012llu", ks_next_rv());
    cJSON_AddStringToObject(meta, "uid", uid);
    snprintf(rv, sizeof(rv), "%llu", ks_current_rv());
    cJSON_AddStringToObject(meta, "resourceVersion", rv);
    cJSON_AddStringToObject(meta, "creationTimestamp", ks_time_str(ks_now(), now, sizeof(now)));
    ks_default(k, o);
    rc = ks_put(key, o, &e);
    if (!rc)
        ks_status_init(k, e, NULL);
    free(key);
    return rc;
}

void ks_store_free(void)
{
    for (size_t i = 0; i < g_nkinds; i++)
        kind_free(g_kinds[i]);
    free(g_kinds);
    g_kinds = NULL;
    g_nkinds = g_capkinds = 0;
    for (size_t i = 0; i < g_tabcap; i++) {
        ks_entry *e = g_tab[i], *next;
        for (; e; e = next) {
            next = e->next;
            cJSON_Delete(e->obj);
            free(e->key);
            free(e);
        }
    }
    free(g_tab);
    g_tab = NULL;
    g_tabn = g_tabcap = 0;
    for (size_t i = 0; i < KS_EVENTS; i++) {
        free(g_ev[i].key);
        cJSON_Delete(g_ev[i].obj);
        memset(&g_ev[i], 0, sizeof(g_ev[i]));
    }
    g_ev_head = g_ev_n = 0;
    g_ev_dropped = 0;
    g_pending = 0;
}

int ks_store_init(void)
{
    int rc = 0;

    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]) && !rc; i++)
        rc = kind_add(builtin[i].group, builtin[i].version, builtin[i].kind, builtin[i].plural,
                      NULL, builtin[i].shorts, NULL, builtin[i].namespaced, builtin[i].status_sub,
                      builtin[i].generation, 0);
    if (!rc)
        rc = add_namespace("default");
    if (!rc)
        rc = add_namespace("kube-system");
    if (!rc)
        rc = add_namespace("kube-public");
    return rc;
}
