/* discovery.c: REST mapping (group/version/kind -> resource, scope) from
 * the API server's discovery documents, one request per group-version,
 * cached for the target's life. */
#include <stdlib.h>
#include <string.h>

#include "kube.h"
#include "sl_doc.h"

typedef struct disc_gv {
    char *gv;         /* "v1" or "apps/v1" */
    cJSON *resources; /* APIResourceList.resources, or NULL when the gv is not served */
    int refreshed;    /* re-read once after a miss */
} disc_gv;

struct kube_disc {
    disc_gv *v;
    size_t n, cap;
};

int kube_disc_new(kube_disc **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : SL_ENOMEM;
}

void kube_disc_free(kube_disc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].gv);
        cJSON_Delete(d->v[i].resources);
    }
    free(d->v);
    free(d);
}

void kube_disc_forget(kube_disc *d, const char *group)
{
    size_t gl = strlen(group);

    for (size_t i = 0; d && i < d->n; i++)
        if (!strncmp(d->v[i].gv, group, gl) && d->v[i].gv[gl] == '/') {
            cJSON_Delete(d->v[i].resources);
            d->v[i].resources = NULL;
            d->v[i].refreshed = -1; /* read again on next use */
        }
}

/* Read the discovery document of gv into e. A 404 leaves resources NULL. */
static int disc_fetch(kube_client *c, disc_gv *e, sl_error *err)
{
    sl_buf p = SL_BUF_INIT;
    kube_req r;
    cJSON *doc = NULL;
    int rc;

    if (strchr(e->gv, '/'))
        rc = sl_buf_printf(&p, "/apis/%s", e->gv);
    else
        rc = sl_buf_printf(&p, "/api/%s", e->gv);
    if (rc)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    kube_req_init(&r, "GET", sl_buf_detach(&p), NULL, NULL, 0);
    if (!r.path) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    kube_client_do(c, &r);
    cJSON_Delete(e->resources);
    e->resources = NULL;
    if (r.rc == 0 && r.status == 404)
        goto out;
    if (r.rc || r.status != 200) {
        rc = kube_req_error(&r, "reading API discovery", err);
        goto out;
    }
    doc = cJSON_ParseWithLength(r.resp.ptr, r.resp.len);
    if (!doc || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "resources"))) {
        rc = sl_error_set(err, SL_EINVAL, "API discovery %s: not an APIResourceList", r.path);
        goto out;
    }
    e->resources = cJSON_DetachItemFromObjectCaseSensitive(doc, "resources");
out:
    cJSON_Delete(doc);
    kube_req_clear(&r);
    return rc;
}

static disc_gv *disc_entry(kube_disc *d, const char *gv)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->v[i].gv, gv))
            return &d->v[i];
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        disc_gv *v = realloc(d->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        d->v = v;
        d->cap = cap;
    }
    memset(&d->v[d->n], 0, sizeof(d->v[0]));
    if (!(d->v[d->n].gv = strdup(gv)))
        return NULL;
    d->v[d->n].refreshed = -1;
    return &d->v[d->n++];
}

static int disc_lookup(const disc_gv *e, const char *kind, kube_resource *out)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, e->resources)
    {
        const char *k = sl_doc_str(it, "kind"), *name = sl_doc_str(it, "name");
        if (!k || !name || strcmp(k, kind) || strchr(name, '/'))
            continue; /* subresources (deployments/scale) share the kind */
        out->name = (char *)name;
        out->namespaced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "namespaced"));
        return 0;
    }
    return SL_ENOTFOUND;
}

/* Contract: out->name is borrowed from the cache (valid until the next
 * refresh of that group-version). */
int kube_disc_resolve(kube_disc *d, kube_client *c, const char *group, const char *version,
                      const char *kind, kube_resource *out, sl_error *err)
{
    char gv[512];
    disc_gv *e;
    int rc;

    memset(out, 0, sizeof(*out));
    if (group[0])
        snprintf(gv, sizeof(gv), "%s/%s", group, version);
    else
        snprintf(gv, sizeof(gv), "%s", version);
    if (!(e = disc_entry(d, gv)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (e->refreshed < 0) {
        if ((rc = disc_fetch(c, e, err)))
            return rc;
        e->refreshed = 0;
    }
    if (e->resources && !disc_lookup(e, kind, out))
        return 0;
    if (!e->refreshed) {
        /* One refresh: a CRD may have been established since. */
        e->refreshed = 1;
        if ((rc = disc_fetch(c, e, err)))
            return rc;
        if (e->resources && !disc_lookup(e, kind, out))
            return 0;
    }
    if (!e->resources)
        return sl_error_set(err, SL_ENOTFOUND,
                            "the API server does not serve %s (kind %s): is its "
                            "CustomResourceDefinition installed?",
                            gv, kind);
    return sl_error_set(err, SL_ENOTFOUND,
                        "the API server has no kind %s in %s: is its CustomResourceDefinition "
                        "installed?",
                        kind, gv);
}

int kube_path(sl_buf *out, const char *group, const char *version, const kube_resource *res,
              const char *ns, const char *name)
{
    int rc;

    if (group[0])
        rc = sl_buf_printf(out, "/apis/%s/%s", group, version);
    else
        rc = sl_buf_printf(out, "/api/%s", version);
    if (!rc && res->namespaced && ns && ns[0])
        rc = sl_buf_printf(out, "/namespaces/%s", ns);
    if (!rc)
        rc = sl_buf_printf(out, "/%s", res->name);
    if (!rc && name)
        rc = sl_buf_printf(out, "/%s", name);
    return rc;
}
