/* obj.c: object identity and manifest sets. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_obj.h"

int sl_objid_make(sl_objid *out, const char *group, const char *version, const char *kind,
                  const char *ns, const char *name)
{
    const char *parts[5] = {group ? group : "", version ? version : "", kind ? kind : "",
                            ns ? ns : "", name ? name : ""};
    size_t lens[5], total = 0;
    char *p;

    for (int i = 0; i < 5; i++)
        total += (lens[i] = strlen(parts[i])) + 1;
    p = malloc(total);
    if (!p)
        return SL_ENOMEM;
    out->mem_ = p;
    for (int i = 0; i < 5; i++) {
        memcpy(p, parts[i], lens[i] + 1);
        parts[i] = p;
        p += lens[i] + 1;
    }
    out->group = parts[0];
    out->version = parts[1];
    out->kind = parts[2];
    out->ns = parts[3];
    out->name = parts[4];
    return 0;
}

int sl_objid_copy(sl_objid *out, const sl_objid *in)
{
    return sl_objid_make(out, in->group, in->version, in->kind, in->ns, in->name);
}

void sl_objid_clear(sl_objid *id)
{
    if (!id)
        return;
    free(id->mem_);
    memset(id, 0, sizeof(*id));
}

static int objid_fail(const cJSON *node, const sl_posmap *pm, sl_error *err, const char *what)
{
    sl_pos pos;

    sl_posmap_get(pm, node, &pos);
    return sl_error_setpos(err, SL_EINVAL, pos.file, pos.line, pos.col, "%s", what);
}

int sl_objid_from_json(const cJSON *obj, const sl_posmap *pm, sl_objid *out, sl_error *err)
{
    const cJSON *api, *kind, *meta, *name, *ns;
    char group[256];
    const char *version, *slash;

    if (!cJSON_IsObject(obj))
        return objid_fail(obj, pm, err, "expected a Kubernetes object (a mapping)");
    api = cJSON_GetObjectItemCaseSensitive(obj, "apiVersion");
    kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");
    meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    if (!cJSON_IsString(api) || !api->valuestring[0])
        return objid_fail(api ? api : obj, pm, err, "object has no apiVersion (a string)");
    if (!cJSON_IsString(kind) || !kind->valuestring[0])
        return objid_fail(kind ? kind : obj, pm, err, "object has no kind (a string)");
    if (!cJSON_IsObject(meta))
        return objid_fail(meta ? meta : obj, pm, err, "object has no metadata mapping");
    name = cJSON_GetObjectItemCaseSensitive(meta, "name");
    if (!cJSON_IsString(name) || !name->valuestring[0])
        return objid_fail(name ? name : meta, pm, err, "object has no metadata.name (a string)");
    ns = cJSON_GetObjectItemCaseSensitive(meta, "namespace");
    if (ns && !cJSON_IsNull(ns) && !cJSON_IsString(ns))
        return objid_fail(ns, pm, err, "metadata.namespace must be a string");
    slash = strchr(api->valuestring, '/');
    if (slash) {
        size_t gl = (size_t)(slash - api->valuestring);
        if (gl == 0 || gl >= sizeof(group) || !slash[1] || strchr(slash + 1, '/'))
            return objid_fail(api, pm, err, "apiVersion must be \"group/version\" or \"version\"");
        memcpy(group, api->valuestring, gl);
        group[gl] = '\0';
        version = slash + 1;
    } else {
        group[0] = '\0';
        version = api->valuestring;
    }
    if (sl_objid_make(out, group, version, kind->valuestring,
                      cJSON_IsString(ns) ? ns->valuestring : "", name->valuestring))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    return 0;
}

int sl_objid_cmp(const sl_objid *a, const sl_objid *b)
{
    int c;

    if ((c = strcmp(a->group, b->group)) || (c = strcmp(a->kind, b->kind)) ||
        (c = strcmp(a->ns, b->ns)) || (c = strcmp(a->name, b->name)))
        return c;
    return strcmp(a->version, b->version);
}

int sl_objid_same(const sl_objid *a, const sl_objid *b)
{
    return !strcmp(a->name, b->name) && !strcmp(a->kind, b->kind) && !strcmp(a->ns, b->ns) &&
           !strcmp(a->group, b->group);
}

const char *sl_objid_apiversion(const sl_objid *id, char *buf, size_t n)
{
    if (id->group[0])
        snprintf(buf, n, "%s/%s", id->group, id->version);
    else
        snprintf(buf, n, "%s", id->version);
    return buf;
}

const char *sl_objid_str(const sl_objid *id, char *buf, size_t n)
{
    char api[300];

    sl_objid_apiversion(id, api, sizeof(api));
    if (id->ns[0])
        snprintf(buf, n, "%s %s %s/%s", api, id->kind, id->ns, id->name);
    else
        snprintf(buf, n, "%s %s %s", api, id->kind, id->name);
    return buf;
}

int sl_kind_cluster_scoped(const char *group, const char *kind)
{
    static const struct {
        const char *group, *kind;
    } known[] = {
        {"", "Namespace"},
        {"", "Node"},
        {"", "PersistentVolume"},
        {"", "ComponentStatus"},
        {"rbac.authorization.k8s.io", "ClusterRole"},
        {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
        {"apiextensions.k8s.io", "CustomResourceDefinition"},
        {"apiregistration.k8s.io", "APIService"},
        {"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
        {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
        {"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"},
        {"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"},
        {"storage.k8s.io", "StorageClass"},
        {"storage.k8s.io", "CSIDriver"},
        {"storage.k8s.io", "CSINode"},
        {"storage.k8s.io", "VolumeAttachment"},
        {"scheduling.k8s.io", "PriorityClass"},
        {"node.k8s.io", "RuntimeClass"},
        {"networking.k8s.io", "IngressClass"},
        {"certificates.k8s.io", "CertificateSigningRequest"},
        {"flowcontrol.apiserver.k8s.io", "FlowSchema"},
        {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"},
        {"kyverno.io", "ClusterPolicy"},
        {"templates.gatekeeper.sh", "ConstraintTemplate"},
        {"apiextensions.crossplane.io", "CompositeResourceDefinition"},
        {"apiextensions.crossplane.io", "Composition"},
        {"pkg.crossplane.io", "Provider"},
        {"pkg.crossplane.io", "Configuration"},
        {"gateway.networking.k8s.io", "GatewayClass"},
    };

    /* Every Gatekeeper constraint kind lives in constraints.gatekeeper.sh and is cluster-scoped. */
    if (!strcmp(group, "constraints.gatekeeper.sh"))
        return 1;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (!strcmp(known[i].group, group) && !strcmp(known[i].kind, kind))
            return 1;
    return 0;
}

/* ---- the set: a vector plus an open-addressing index over (group, kind, ns, name) ---- */

typedef struct objset_index {
    uint32_t *slots; /* entry index + 1; 0 = empty */
    size_t mask;
} objset_index;

static uint64_t id_hash(const sl_objid *id)
{
    uint64_t h = 1469598103934665603ULL;
    const char *parts[4] = {id->group, id->kind, id->ns, id->name};

    for (int i = 0; i < 4; i++) {
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
    }
    return h;
}

/* (Re)build the index with cap slots (a power of two above 2 * n). */
static int index_build(sl_objset *set, size_t cap)
{
    objset_index *ix = set->index_;
    uint32_t *slots = calloc(cap, sizeof(*slots));

    if (!slots)
        return SL_ENOMEM;
    if (!ix) {
        ix = calloc(1, sizeof(*ix));
        if (!ix) {
            free(slots);
            return SL_ENOMEM;
        }
        set->index_ = ix;
    }
    free(ix->slots);
    ix->slots = slots;
    ix->mask = cap - 1;
    for (size_t i = 0; i < set->n; i++) {
        size_t s = id_hash(&set->v[i].id) & ix->mask;
        while (slots[s])
            s = (s + 1) & ix->mask;
        slots[s] = (uint32_t)(i + 1);
    }
    return 0;
}

static const sl_obj *index_find(const sl_objset *set, const sl_objid *id)
{
    const objset_index *ix = set->index_;

    if (!ix || !ix->slots)
        return NULL;
    for (size_t s = id_hash(id) & ix->mask; ix->slots[s]; s = (s + 1) & ix->mask) {
        const sl_obj *o = &set->v[ix->slots[s] - 1];
        if (sl_objid_same(&o->id, id))
            return o;
    }
    return NULL;
}

int sl_objset_new(sl_objset **out)
{
    sl_objset *set = calloc(1, sizeof(*set));

    if (!set)
        return SL_ENOMEM;
    if (sl_posmap_new(&set->pm)) {
        free(set);
        return SL_ENOMEM;
    }
    *out = set;
    return 0;
}

void sl_objset_free(sl_objset *set)
{
    objset_index *ix;

    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++) {
        sl_objid_clear(&set->v[i].id);
        cJSON_Delete(set->v[i].json);
    }
    free(set->v);
    ix = set->index_;
    if (ix)
        free(ix->slots);
    free(ix);
    sl_posmap_free(set->pm);
    free(set);
}

const sl_obj *sl_objset_find(const sl_objset *set, const sl_objid *id)
{
    return index_find(set, id);
}

/* Append an entry whose id is already built (ownership of id and json taken). */
static int objset_push(sl_objset *set, sl_objid *id, cJSON *json, const char *file, int line,
                       int col, sl_error *err)
{
    objset_index *ix = set->index_;
    const sl_obj *prev;
    sl_obj *o;
    int rc = 0;

    if ((prev = index_find(set, id))) {
        char idbuf[600];
        rc = sl_error_setpos(err, SL_EDUP, file, line, col,
                             "duplicate object %s: also defined at %s:%d:%d",
                             sl_objid_str(id, idbuf, sizeof(idbuf)), prev->file ? prev->file : "?",
                             prev->line, prev->col);
        goto out;
    }
    if (set->n >= UINT32_MAX - 1) {
        rc = sl_error_set(err, SL_ELIMIT, "too many objects");
        goto out;
    }
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        sl_obj *v = realloc(set->v, cap * sizeof(*v));
        if (!v) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        set->v = v;
        set->cap = cap;
    }
    if (!ix || !ix->slots || (set->n + 1) * 2 > ix->mask + 1) {
        if ((rc = index_build(set, ix && ix->slots ? (ix->mask + 1) * 2 : 64))) {
            sl_error_set(err, rc, "out of memory");
            goto out;
        }
        ix = set->index_;
    }
    o = &set->v[set->n];
    o->id = *id;
    o->json = json;
    o->file = file ? sl_posmap_intern(set->pm, file) : NULL;
    o->line = line;
    o->col = col;
    {
        size_t s = id_hash(id) & ix->mask;
        while (ix->slots[s])
            s = (s + 1) & ix->mask;
        ix->slots[s] = (uint32_t)(set->n + 1);
    }
    set->n++;
    return 0;
out:
    sl_objid_clear(id);
    cJSON_Delete(json);
    return rc;
}

int sl_objset_add(sl_objset *set, cJSON *obj, const char *file, int line, int col, sl_error *err)
{
    sl_objid id;
    int rc;

    if ((rc = sl_objid_from_json(obj, set->pm, &id, err))) {
        cJSON_Delete(obj);
        return rc;
    }
    return objset_push(set, &id, obj, file, line, col, err);
}

int sl_objset_add_id(sl_objset *set, const sl_objid *id, sl_error *err)
{
    sl_objid copy;

    if (sl_objid_copy(&copy, id))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    return objset_push(set, &copy, NULL, NULL, 0, 0, err);
}

int sl_objset_account(sl_objset *set, size_t n, const char *file, sl_error *err)
{
    set->bytes += n;
    if (set->max_bytes && set->bytes > set->max_bytes)
        return sl_error_setpos(err, SL_ELIMIT, file, 0, 0,
                               "app input exceeds the per-app size limit of %zu bytes "
                               "(limits.maxAppSize)",
                               set->max_bytes);
    return 0;
}

static int obj_cmp(const void *a, const void *b)
{
    return sl_objid_cmp(&((const sl_obj *)a)->id, &((const sl_obj *)b)->id);
}

int sl_objset_sort(sl_objset *set)
{
    const objset_index *ix = set->index_;

    if (set->n < 2)
        return 0;
    qsort(set->v, set->n, sizeof(*set->v), obj_cmp);
    return index_build(set, ix->mask + 1);
}
