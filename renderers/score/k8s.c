/* k8s.c: a Score workload to Kubernetes objects, following score-k8s's
 * ConvertWorkload: a Deployment (or a StatefulSet with its headless
 * Service), a Service for service.ports, files as ConfigMaps (or Secret
 * volumes for secret-only content) collapsed into projected volumes per
 * directory, resource volumes, probes, resources, and score-k8s's labels
 * and annotations. Maps are walked in key order, so output is stable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "score_int.h"

#define LBL_NAME "app.kubernetes.io/name"
#define LBL_INSTANCE "app.kubernetes.io/instance"
#define LBL_MANAGED "app.kubernetes.io/managed-by"

/* Sorted keys of an object (borrowed strings). */
static int sorted_keys(const cJSON *obj, const char ***out, size_t *n)
{
    const cJSON *it;
    size_t k = 0;
    const char **v;

    *out = NULL;
    *n = 0;
    cJSON_ArrayForEach(it, obj) k++;
    if (!k)
        return 0;
    if (!(v = calloc(k, sizeof(*v))))
        return SL_ENOMEM;
    k = 0;
    cJSON_ArrayForEach(it, obj) v[k++] = it->string;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            const char *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    *out = v;
    *n = k;
    return 0;
}

const char *score_k8s_service_name(const cJSON *spec)
{
    const cJSON *ann = sl_doc_path(spec, "metadata.annotations");
    const char *s = sl_doc_str(ann, SCORE_ANN_PREFIX "service-name");

    return s ? s : sl_doc_str(cJSON_GetObjectItemCaseSensitive(spec, "metadata"), "name");
}

static cJSON *labels(const score_wl *w)
{
    cJSON *l = cJSON_CreateObject();
    char inst[512];

    snprintf(inst, sizeof(inst), "%s%s", w->name, w->instance_suffix ? w->instance_suffix : "");
    cJSON_AddStringToObject(l, LBL_INSTANCE, inst);
    cJSON_AddStringToObject(l, LBL_MANAGED, "score-k8s");
    cJSON_AddStringToObject(l, LBL_NAME, w->name);
    return l;
}

static cJSON *selector(const score_wl *w)
{
    cJSON *s = cJSON_CreateObject();
    char inst[512];

    snprintf(inst, sizeof(inst), "%s%s", w->name, w->instance_suffix ? w->instance_suffix : "");
    cJSON_AddStringToObject(s, LBL_INSTANCE, inst);
    return s;
}

static cJSON *meta(const char *name, const score_wl *w, int with_labels)
{
    cJSON *m = cJSON_CreateObject(), *a;

    cJSON_AddStringToObject(m, "name", name);
    if (with_labels) {
        a = cJSON_AddObjectToObject(m, "annotations");
        cJSON_AddStringToObject(a, SCORE_ANN_PREFIX "workload-name", w->name);
        cJSON_AddItemToObject(m, "labels", labels(w));
    }
    return m;
}

static cJSON *object(const char *api, const char *kind, cJSON *metadata)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "apiVersion", api);
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON_AddItemToObject(o, "metadata", metadata);
    return o;
}

static int werr(sl_error *err, const score_wl *w, const cJSON *node, const char *ctx)
{
    score_err_at(err, w->pm, node);
    return sl_error_prefix(err, "%s", ctx);
}

static int subst(const score_wl *w, const cJSON *node, const char *s, sl_buf *out,
                 const char *ctx, sl_error *err)
{
    score_subst sc = {cJSON_GetObjectItemCaseSensitive(w->spec, "metadata"), w->outputs, NULL};
    int rc = score_subst_str(&sc, s, out, err);

    return rc ? werr(err, w, node, ctx) : 0;
}

static cJSON *secret_key_ref(const char *name, const char *key)
{
    cJSON *vf = cJSON_CreateObject(), *r = cJSON_AddObjectToObject(vf, "secretKeyRef");

    cJSON_AddStringToObject(r, "key", key);
    cJSON_AddStringToObject(r, "name", name);
    return vf;
}

/* "__ref_" + an FNV-128a digest of name+key, as score-k8s names the helper
 * variables of mixed secret/plain values. */
static void ref_var_name(const char *name, const char *key, char out[40])
{
    /* Go's fnv.New128 (FNV-1): multiply by the prime 2^88 + 0x13b, then xor */
    unsigned __int128 h = ((unsigned __int128)0x6c62272e07bb0142ULL << 64) | 0x62b821756295c58dULL;
    const unsigned __int128 prime = ((unsigned __int128)1 << 88) | 0x13b;
    unsigned char b[16];
    static const char *a64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 6;

    for (const char *p = name; *p; p++)
        h = (h * prime) ^ (unsigned char)*p;
    for (const char *p = key; *p; p++)
        h = (h * prime) ^ (unsigned char)*p;
    for (int i = 0; i < 16; i++)
        b[i] = (unsigned char)(h >> (8 * (15 - i)));
    memcpy(out, "__ref_", 6);
    for (int i = 0; i < 16; i += 3) {
        unsigned v = (unsigned)b[i] << 16 | (i + 1 < 16 ? (unsigned)b[i + 1] << 8 : 0) |
                     (i + 2 < 16 ? b[i + 2] : 0);
        int nch = i + 2 < 16 ? 4 : i + 1 < 16 ? 3 : 2;
        for (int c = 0; c < nch; c++) {
            char ch = a64[(v >> (18 - 6 * c)) & 63];
            out[o++] = (ch == '-' || ch == '_') ? '0' : ch;
        }
    }
    out[o] = '\0';
}

static int env_has(const cJSON *env, const char *name)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, env) if (!strcmp(sl_doc_str(e, "name"), name)) return 1;
    return 0;
}

/* One variable: plain, one secretKeyRef, or helper refs plus $(refs). */
static int convert_variable(const score_wl *w, const char *cname, const cJSON *v, cJSON *env,
                            sl_error *err)
{
    sl_buf val = SL_BUF_INIT;
    sl_strv parts = SL_STRV_INIT;
    score_secret_ref *refs = NULL;
    size_t nrefs = 0;
    char ctx[512], *num = NULL;
    const char *s;
    cJSON *e;
    int rc;

    snprintf(ctx, sizeof(ctx), "containers.%s.variables.%s", cname, v->string);
    if (cJSON_IsString(v))
        s = v->valuestring;
    else if (!(s = num = cJSON_PrintUnformatted(v)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if ((rc = subst(w, v, s, &val, ctx, err)))
        goto out;
    if ((rc = score_secret_split(val.ptr ? val.ptr : "", &parts, &refs, &nrefs, err))) {
        werr(err, w, v, ctx);
        goto out;
    }
    if (nrefs == 0) {
        if (!env_has(env, v->string)) {
            e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "name", v->string);
            cJSON_AddStringToObject(e, "value", val.ptr ? val.ptr : "");
            cJSON_AddItemToArray(env, e);
        }
    } else if (nrefs == 1 && !parts.v[0][0] && !parts.v[1][0]) {
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", v->string);
        cJSON_AddItemToObject(e, "valueFrom", secret_key_ref(refs[0].name, refs[0].key));
        cJSON_AddItemToArray(env, e);
    } else {
        sl_buf joined = SL_BUF_INIT;
        for (size_t i = 0; i < nrefs; i++) {
            char rn[40];
            ref_var_name(refs[i].name, refs[i].key, rn);
            if (!env_has(env, rn)) {
                e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "name", rn);
                cJSON_AddItemToObject(e, "valueFrom", secret_key_ref(refs[i].name, refs[i].key));
                cJSON_AddItemToArray(env, e);
            }
        }
        for (size_t i = 0; i < parts.n; i++) {
            if (i > 0) {
                char rn[40];
                ref_var_name(refs[i - 1].name, refs[i - 1].key, rn);
                sl_buf_printf(&joined, "$(%s)", rn);
            }
            sl_buf_puts(&joined, parts.v[i]);
        }
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", v->string);
        cJSON_AddStringToObject(e, "value", joined.ptr ? joined.ptr : "");
        cJSON_AddItemToArray(env, e);
        sl_buf_free(&joined);
    }
out:
    free(num);
    sl_buf_free(&val);
    sl_strv_free(&parts);
    score_secret_refs_free(refs, nrefs);
    return rc;
}

static char *dirname_of(const char *p)
{
    const char *s = strrchr(p, '/');

    if (!s)
        return strdup(".");
    if (s == p)
        return strdup("/");
    return strndup(p, (size_t)(s - p));
}

static const char *basename_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Parse "0644"/"644" as octal. (score-k8s parses the digits as decimal,
 * which gives modes the API server rejects; see docs/renderers/score.md.) */
static int file_mode(const cJSON *f, int *mode)
{
    const char *m = sl_doc_str(f, "mode");
    char *end;
    long v;

    if (!m)
        return 0;
    v = strtol(m, &end, 8);
    if (!*m || *end)
        return -1;
    *mode = (int)v;
    return 1;
}

static int b64_encode(const unsigned char *in, size_t n, sl_buf *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int rc = 0;

    for (size_t i = 0; !rc && i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        char q[4] = {a[(v >> 18) & 63], a[(v >> 12) & 63], i + 1 < n ? a[(v >> 6) & 63] : '=',
                     i + 2 < n ? a[v & 63] : '='};
        rc = sl_buf_put(out, q, 4);
    }
    return rc ? rc : sl_buf_puts(out, "");
}

/* One file: a ConfigMap plus a configMap volume, or a secret volume when the
 * content is exactly one secret reference. */
static int convert_file(const score_wl *w, const char *cname, size_t idx, const char *target,
                        const cJSON *f, cJSON *objs, cJSON *vols, cJSON *mounts, sl_error *err)
{
    sl_buf content = SL_BUF_INIT, raw = SL_BUF_INIT, b64 = SL_BUF_INIT;
    sl_strv parts = SL_STRV_INIT;
    score_secret_ref *refs = NULL;
    size_t nrefs = 0;
    char ctx[600], vname[32], *dir = dirname_of(target);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(f, "content");
    const cJSON *bin = cJSON_GetObjectItemCaseSensitive(f, "binaryContent");
    const char *src = sl_doc_str(f, "source");
    cJSON *vol, *mount, *items, *item;
    int rc = 0, mode = 0, has_mode, binary = 0;

    snprintf(ctx, sizeof(ctx), "containers.%s.files.%s", cname, target);
    snprintf(vname, sizeof(vname), "file-%zu", idx);
    if ((has_mode = file_mode(f, &mode)) < 0) {
        rc = sl_error_set(err, SL_EINVAL, "mode: failed to parse '%s'", sl_doc_str(f, "mode"));
        werr(err, w, cJSON_GetObjectItemCaseSensitive(f, "mode"), ctx);
        goto out;
    }
    if (cJSON_IsString(c)) {
        rc = sl_buf_puts(&raw, c->valuestring);
    } else if (cJSON_IsString(bin)) {
        binary = 1;
        rc = sl_buf_puts(&b64, bin->valuestring);
    } else if (src) {
        sl_buf path = SL_BUF_INIT, norm = SL_BUF_INIT;
        if (src[0] == '/') {
            rc = sl_error_set(err, SL_ECONFINE,
                              "source: absolute path '%s' is outside the source tree", src);
        } else {
            sl_buf_printf(&path, "%s%s%s", w->dir, w->dir[0] ? "/" : "", src);
            if (!(rc = sl_path_normalize(path.ptr, &norm, err)))
                rc = sl_snapshot_read(w->snap, norm.ptr, w->max_file, &raw, err);
            if (rc)
                sl_error_prefix(err, "source: failed to read file '%s'", src);
        }
        sl_buf_free(&path);
        sl_buf_free(&norm);
        if (rc) {
            werr(err, w, cJSON_GetObjectItemCaseSensitive(f, "source"), ctx);
            goto out;
        }
    } else {
        rc = sl_error_set(err, SL_EINVAL, "missing 'content', 'binaryContent' or 'source'");
        werr(err, w, f, ctx);
        goto out;
    }
    if (rc)
        goto nomem;
    if (!binary) {
        const cJSON *ne = cJSON_GetObjectItemCaseSensitive(f, "noExpand");
        if (cJSON_IsTrue(ne)) {
            rc = sl_buf_put(&content, raw.ptr ? raw.ptr : "", raw.len);
        } else if ((rc = subst(w, c ? c : f, raw.ptr ? raw.ptr : "", &content, ctx, err))) {
            goto out;
        }
        if ((rc = score_secret_split(content.ptr ? content.ptr : "", &parts, &refs, &nrefs,
                                     err))) {
            werr(err, w, f, ctx);
            goto out;
        }
    }
    vol = cJSON_CreateObject();
    cJSON_AddStringToObject(vol, "name", vname);
    item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "path", basename_of(target));
    if (has_mode)
        cJSON_AddNumberToObject(item, "mode", mode);
    if (nrefs == 0) {
        char cmname[512];
        cJSON *cm, *data;
        snprintf(cmname, sizeof(cmname), "%s-%s-file-%zu", w->name, cname, idx);
        if (!binary && (rc = b64_encode((const unsigned char *)(content.ptr ? content.ptr : ""),
                                        content.len, &b64)))
            goto nomem;
        cm = object("v1", "ConfigMap", meta(cmname, w, 0));
        data = cJSON_AddObjectToObject(cm, "binaryData");
        cJSON_AddStringToObject(data, "file", b64.ptr ? b64.ptr : "");
        cJSON_AddItemToArray(objs, cm);
        cJSON_AddStringToObject(item, "key", "file");
        items = cJSON_CreateArray();
        cJSON_AddItemToArray(items, item);
        {
            cJSON *cmv = cJSON_AddObjectToObject(vol, "configMap");
            cJSON_AddItemToObject(cmv, "items", items);
            cJSON_AddStringToObject(cmv, "name", cmname);
        }
    } else if (nrefs == 1 && !parts.v[0][0] && !parts.v[1][0]) {
        cJSON *sv = cJSON_AddObjectToObject(vol, "secret");
        cJSON_AddStringToObject(item, "key", refs[0].key);
        items = cJSON_CreateArray();
        cJSON_AddItemToArray(items, item);
        cJSON_AddItemToObject(sv, "items", items);
        cJSON_AddStringToObject(sv, "secretName", refs[0].name);
    } else {
        cJSON_Delete(item);
        cJSON_Delete(vol);
        rc = sl_error_set(err, SL_EINVAL,
                          "content: contained a mix of secret references and raw content (a "
                          "secret may only be mounted as a whole file)");
        werr(err, w, f, ctx);
        goto out;
    }
    cJSON_AddItemToArray(vols, vol);
    mount = cJSON_CreateObject();
    cJSON_AddStringToObject(mount, "mountPath", dir);
    cJSON_AddStringToObject(mount, "name", vname);
    cJSON_AddItemToArray(mounts, mount);
    goto out;
nomem:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
    free(dir);
    sl_buf_free(&content);
    sl_buf_free(&raw);
    sl_buf_free(&b64);
    sl_strv_free(&parts);
    score_secret_refs_free(refs, nrefs);
    return rc;
}

/* One resource volume: the resource's outputs hold a Kubernetes volume
 * `source` or a `claimSpec` (StatefulSets only). */
static int convert_volume(const score_wl *w, const char *cname, const char *target,
                          const cJSON *v, int stateful, cJSON *vols, cJSON *mounts, cJSON *claims,
                          sl_error *err)
{
    score_subst sc = {cJSON_GetObjectItemCaseSensitive(w->spec, "metadata"), w->outputs, w->uids};
    const cJSON *srcn = cJSON_GetObjectItemCaseSensitive(v, "source"), *outs = NULL, *it;
    const cJSON *src, *claim;
    sl_buf res = SL_BUF_INIT;
    unsigned char md[SHA256_DIGEST_LENGTH];
    char ctx[600], vname[16];
    cJSON *mount;
    int rc;

    snprintf(ctx, sizeof(ctx), "containers.%s.volumes.%s", cname, target);
    if ((rc = score_subst_str(&sc, sl_doc_str(v, "source") ? sl_doc_str(v, "source") : "", &res,
                              err))) {
        sl_error_prefix(err, "source: failed to resolve placeholder");
        rc = werr(err, w, srcn, ctx);
        goto out;
    }
    SHA256((const unsigned char *)(res.ptr ? res.ptr : ""), res.len, md);
    snprintf(vname, sizeof(vname), "vol-%02x%02x%02x%02x%02x", md[0], md[1], md[2], md[3], md[4]);
    /* the uid names a resource of this workload: find its outputs */
    cJSON_ArrayForEach(it, w->uids) if (cJSON_IsString(it) && res.ptr &&
                                        !strcmp(it->valuestring, res.ptr)) outs =
        cJSON_GetObjectItemCaseSensitive(w->outputs, it->string);
    if (!outs) {
        rc = sl_error_set(err, SL_EINVAL, "source: resource '%s' does not exist",
                          res.ptr ? res.ptr : "");
        werr(err, w, srcn, ctx);
        goto out;
    }
    cJSON_ArrayForEach(it, outs) if (strcmp(it->string, "source") &&
                                     strcmp(it->string, "claimSpec"))
    {
        rc = sl_error_set(err, SL_EINVAL,
                          "failed to convert resource '%s' outputs into a Kubernetes volume: "
                          "unknown field \"%s\"",
                          res.ptr, it->string);
        werr(err, w, srcn, ctx);
        goto out;
    }
    src = cJSON_GetObjectItemCaseSensitive(outs, "source");
    claim = cJSON_GetObjectItemCaseSensitive(outs, "claimSpec");
    if (!src == !claim) {
        rc = sl_error_set(err, SL_EINVAL,
                          "failed to convert resource '%s' outputs into volume: either 'source' "
                          "or 'claimSpec' required",
                          res.ptr);
        werr(err, w, srcn, ctx);
        goto out;
    }
    if (claim) {
        cJSON *c, *m;
        if (!stateful) {
            rc = sl_error_set(err, SL_EINVAL,
                              "volume claims can only be set on stateful sets (annotation " SCORE_ANN_PREFIX "kind: StatefulSet)");
            werr(err, w, srcn, ctx);
            goto out;
        }
        c = cJSON_CreateObject();
        m = cJSON_AddObjectToObject(c, "metadata");
        cJSON_AddStringToObject(m, "name", vname);
        cJSON_AddItemToObject(c, "spec", cJSON_Duplicate(claim, 1));
        cJSON_AddItemToArray(claims, c);
    } else {
        cJSON *vol = cJSON_Duplicate(src, 1);
        if (!cJSON_IsObject(vol)) {
            cJSON_Delete(vol);
            rc = sl_error_set(err, SL_EINVAL, "resource '%s' output 'source' must be a mapping",
                              res.ptr);
            werr(err, w, srcn, ctx);
            goto out;
        }
        cJSON_AddStringToObject(vol, "name", vname);
        cJSON_AddItemToArray(vols, vol);
    }
    mount = cJSON_CreateObject();
    cJSON_AddStringToObject(mount, "mountPath", target);
    cJSON_AddStringToObject(mount, "name", vname);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "readOnly")))
        cJSON_AddTrueToObject(mount, "readOnly");
    if (sl_doc_str(v, "path") && *sl_doc_str(v, "path"))
        cJSON_AddStringToObject(mount, "subPath", sl_doc_str(v, "path"));
    cJSON_AddItemToArray(mounts, mount);
out:
    sl_buf_free(&res);
    return rc;
}

/* score-k8s's collapseVolumeMounts: configMap/secret volumes mounted into
 * the same directory become one projected volume. */
static void collapse(cJSON *vols, cJSON *mounts, int *proj_idx)
{
    cJSON *out_m = cJSON_CreateArray(), *out_v = cJSON_CreateArray(), *m, *next;
    const char **paths = NULL;
    size_t np = 0;

    for (m = mounts->child; m; m = next) {
        cJSON *vol = NULL, *v;
        next = m->next;
        cJSON_ArrayForEach(v, vols) if (!strcmp(sl_doc_str(v, "name"), sl_doc_str(m, "name")))
            vol = v;
        if (vol && (cJSON_GetObjectItemCaseSensitive(vol, "configMap") ||
                    cJSON_GetObjectItemCaseSensitive(vol, "secret"))) {
            const char *mp = sl_doc_str(m, "mountPath");
            size_t i = 0;
            while (i < np && strcmp(paths[i], mp))
                i++;
            if (i == np) {
                const char **nv = realloc(paths, (np + 1) * sizeof(*nv));
                if (!nv)
                    break;
                paths = nv;
                paths[np++] = mp;
            }
        } else {
            cJSON_AddItemToArray(out_m, cJSON_Duplicate(m, 1));
            if (vol)
                cJSON_AddItemToArray(out_v, cJSON_Duplicate(vol, 1));
        }
    }
    for (size_t i = 1; i < np; i++)
        for (size_t j = i; j > 0 && strcmp(paths[j - 1], paths[j]) > 0; j--) {
            const char *t = paths[j];
            paths[j] = paths[j - 1];
            paths[j - 1] = t;
        }
    for (size_t i = 0; i < np; i++) {
        cJSON *grp_m[256], *grp_v[256];
        size_t ng = 0;
        cJSON_ArrayForEach(m, mounts)
        {
            cJSON *v;
            if (strcmp(sl_doc_str(m, "mountPath"), paths[i]) || ng == 256)
                continue;
            cJSON_ArrayForEach(v, vols) if (!strcmp(sl_doc_str(v, "name"), sl_doc_str(m, "name")) &&
                                            (cJSON_GetObjectItemCaseSensitive(v, "configMap") ||
                                             cJSON_GetObjectItemCaseSensitive(v, "secret")))
            {
                grp_m[ng] = m;
                grp_v[ng++] = v;
                break;
            }
        }
        if (ng == 1) {
            cJSON_AddItemToArray(out_v, cJSON_Duplicate(grp_v[0], 1));
            cJSON_AddItemToArray(out_m, cJSON_Duplicate(grp_m[0], 1));
        } else if (ng > 1) {
            cJSON *pv = cJSON_CreateObject(), *srcs, *pm = cJSON_CreateObject();
            char name[32];
            snprintf(name, sizeof(name), "proj-vol-%d", (*proj_idx)++);
            cJSON_AddStringToObject(pv, "name", name);
            srcs = cJSON_AddArrayToObject(cJSON_AddObjectToObject(pv, "projected"), "sources");
            for (size_t g = 0; g < ng; g++) {
                cJSON *cm = cJSON_GetObjectItemCaseSensitive(grp_v[g], "configMap");
                cJSON *sec = cJSON_GetObjectItemCaseSensitive(grp_v[g], "secret");
                cJSON *s = cJSON_CreateObject(), *p;
                if (cm) {
                    cJSON_AddItemToObject(s, "configMap", cJSON_Duplicate(cm, 1));
                } else {
                    p = cJSON_AddObjectToObject(s, "secret");
                    cJSON_AddItemToObject(
                        p, "items",
                        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(sec, "items"), 1));
                    cJSON_AddStringToObject(p, "name", sl_doc_str(sec, "secretName"));
                }
                cJSON_AddItemToArray(srcs, s);
            }
            cJSON_AddStringToObject(pm, "mountPath", paths[i]);
            cJSON_AddStringToObject(pm, "name", name);
            cJSON_AddTrueToObject(pm, "readOnly");
            cJSON_AddItemToArray(out_v, pv);
            cJSON_AddItemToArray(out_m, pm);
        }
    }
    free(paths);
    /* swap contents */
    while (mounts->child)
        cJSON_DeleteItemFromArray(mounts, 0);
    while (vols->child)
        cJSON_DeleteItemFromArray(vols, 0);
    while (out_m->child)
        cJSON_AddItemToArray(mounts, cJSON_DetachItemFromArray(out_m, 0));
    while (out_v->child)
        cJSON_AddItemToArray(vols, cJSON_DetachItemFromArray(out_v, 0));
    cJSON_Delete(out_m);
    cJSON_Delete(out_v);
}

static cJSON *probe(const cJSON *p)
{
    const cJSON *hg = cJSON_GetObjectItemCaseSensitive(p, "httpGet");
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(p, "exec");
    cJSON *o = cJSON_CreateObject();

    if (hg) {
        cJSON *h = cJSON_AddObjectToObject(o, "httpGet"), *hh;
        const cJSON *it;
        if (sl_doc_str(hg, "host"))
            cJSON_AddStringToObject(h, "host", sl_doc_str(hg, "host"));
        if ((it = cJSON_GetObjectItemCaseSensitive(hg, "httpHeaders")) && cJSON_GetArraySize(it)) {
            const cJSON *x;
            hh = cJSON_AddArrayToObject(h, "httpHeaders");
            cJSON_ArrayForEach(x, it)
            {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "name", sl_doc_str(x, "name") ? sl_doc_str(x, "name") : "");
                cJSON_AddStringToObject(e, "value",
                                        sl_doc_str(x, "value") ? sl_doc_str(x, "value") : "");
                cJSON_AddItemToArray(hh, e);
            }
        }
        cJSON_AddStringToObject(h, "path", sl_doc_str(hg, "path") ? sl_doc_str(hg, "path") : "");
        it = cJSON_GetObjectItemCaseSensitive(hg, "port");
        cJSON_AddNumberToObject(h, "port", cJSON_IsNumber(it) ? it->valuedouble : 0);
        if (sl_doc_str(hg, "scheme"))
            cJSON_AddStringToObject(h, "scheme", sl_doc_str(hg, "scheme"));
    } else if (ex) {
        cJSON *e = cJSON_AddObjectToObject(o, "exec");
        cJSON_AddItemToObject(e, "command",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(ex, "command"), 1));
    } else {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *resource_list(const cJSON *r)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(r, "cpu");
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(r, "memory");

    if (cpu)
        cJSON_AddItemToObject(o, "cpu", cJSON_Duplicate(cpu, 1));
    if (mem)
        cJSON_AddItemToObject(o, "memory", cJSON_Duplicate(mem, 1));
    return o;
}

static int convert_container(const score_wl *w, const char *cname, const cJSON *c, int stateful,
                             cJSON *objs, cJSON *pod_vols, cJSON *claims, int *proj_idx,
                             cJSON **out, sl_error *err)
{
    cJSON *k = cJSON_CreateObject(), *env, *vols = cJSON_CreateArray(),
          *mounts = cJSON_CreateArray(), *it2;
    const cJSON *it, *vars, *files, *volumes, *res;
    const char **keys = NULL;
    size_t nk = 0;
    int rc = 0;

    cJSON_AddStringToObject(k, "name", cname);
    cJSON_AddStringToObject(k, "image", sl_doc_str(c, "image") ? sl_doc_str(c, "image") : "");
    if ((it = cJSON_GetObjectItemCaseSensitive(c, "command")))
        cJSON_AddItemToObject(k, "command", cJSON_Duplicate(it, 1));
    if ((it = cJSON_GetObjectItemCaseSensitive(c, "args")))
        cJSON_AddItemToObject(k, "args", cJSON_Duplicate(it, 1));
    if ((res = cJSON_GetObjectItemCaseSensitive(c, "resources"))) {
        cJSON *r = cJSON_AddObjectToObject(k, "resources");
        if ((it = cJSON_GetObjectItemCaseSensitive(res, "limits")))
            cJSON_AddItemToObject(r, "limits", resource_list(it));
        if ((it = cJSON_GetObjectItemCaseSensitive(res, "requests")))
            cJSON_AddItemToObject(r, "requests", resource_list(it));
    }
    vars = cJSON_GetObjectItemCaseSensitive(c, "variables");
    if (vars && vars->child) {
        env = cJSON_AddArrayToObject(k, "env");
        if ((rc = sorted_keys(vars, &keys, &nk)))
            goto nomem;
        for (size_t i = 0; !rc && i < nk; i++)
            rc = convert_variable(w, cname, cJSON_GetObjectItemCaseSensitive(vars, keys[i]), env,
                                  err);
        free(keys);
        keys = NULL;
        if (rc)
            goto out;
    }
    volumes = cJSON_GetObjectItemCaseSensitive(c, "volumes");
    if ((rc = sorted_keys(volumes, &keys, &nk)))
        goto nomem;
    for (size_t i = 0; !rc && i < nk; i++)
        rc = convert_volume(w, cname, keys[i], cJSON_GetObjectItemCaseSensitive(volumes, keys[i]),
                            stateful, vols, mounts, claims, err);
    free(keys);
    keys = NULL;
    if (rc)
        goto out;
    files = cJSON_GetObjectItemCaseSensitive(c, "files");
    if ((rc = sorted_keys(files, &keys, &nk)))
        goto nomem;
    for (size_t i = 0; !rc && i < nk; i++)
        rc = convert_file(w, cname, i, keys[i], cJSON_GetObjectItemCaseSensitive(files, keys[i]),
                          objs, vols, mounts, err);
    free(keys);
    keys = NULL;
    if (rc)
        goto out;
    collapse(vols, mounts, proj_idx);
    if (mounts->child)
        cJSON_AddItemToObject(k, "volumeMounts", cJSON_Duplicate(mounts, 1));
    cJSON_ArrayForEach(it2, vols)
    {
        /* a volume shared by several containers is declared once */
        const cJSON *pv;
        int dup = 0;
        cJSON_ArrayForEach(pv, pod_vols) if (!strcmp(sl_doc_str(pv, "name"),
                                                     sl_doc_str(it2, "name"))) dup = 1;
        if (!dup)
            cJSON_AddItemToArray(pod_vols, cJSON_Duplicate(it2, 1));
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(c, "livenessProbe")) && (it2 = probe(it)))
        cJSON_AddItemToObject(k, "livenessProbe", it2);
    if ((it = cJSON_GetObjectItemCaseSensitive(c, "readinessProbe")) && (it2 = probe(it)))
        cJSON_AddItemToObject(k, "readinessProbe", it2);
    goto out;
nomem:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
    cJSON_Delete(vols);
    cJSON_Delete(mounts);
    if (rc) {
        cJSON_Delete(k);
        k = NULL;
    }
    *out = k;
    return rc;
}

int score_k8s_convert(const score_wl *w, cJSON *out, sl_error *err)
{
    const cJSON *spec = w->spec, *md = cJSON_GetObjectItemCaseSensitive(spec, "metadata");
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
    const cJSON *containers = cJSON_GetObjectItemCaseSensitive(spec, "containers");
    const cJSON *ports = sl_doc_path(spec, "service.ports"), *it;
    const char *kind = sl_doc_str(ann, SCORE_ANN_PREFIX "kind");
    cJSON *objs = cJSON_CreateArray(), *ks = cJSON_CreateArray(), *vols = cJSON_CreateArray();
    cJSON *claims = cJSON_CreateArray(), *podann, *wl, *tmpl, *pspec, *wspec;
    const char **keys = NULL;
    size_t nk = 0;
    int rc = 0, proj = 0, stateful;

    if (!kind)
        kind = "Deployment";
    if (strcmp(kind, "Deployment") && strcmp(kind, "StatefulSet")) {
        rc = sl_error_set(err, SL_EINVAL,
                          "metadata: annotations: " SCORE_ANN_PREFIX
                          "kind: unsupported workload kind '%s' (expected Deployment or "
                          "StatefulSet)",
                          kind);
        score_err_at(err, w->pm, cJSON_GetObjectItemCaseSensitive(ann, SCORE_ANN_PREFIX "kind"));
        goto out;
    }
    stateful = !strcmp(kind, "StatefulSet");
    if ((rc = sorted_keys(containers, &keys, &nk)))
        goto nomem;
    for (size_t i = 0; i < nk; i++) {
        cJSON *k;
        if ((rc = convert_container(w, keys[i], cJSON_GetObjectItemCaseSensitive(containers, keys[i]),
                                    stateful, objs, vols, claims, &proj, &k, err))) {
            sl_error_prefix(err, "workload '%s'", w->name);
            goto out;
        }
        cJSON_AddItemToArray(ks, k);
    }
    free(keys);
    keys = NULL;
    /* pod annotations: the workload's, minus k8s.score.dev/ ones, plus the name */
    podann = cJSON_CreateObject();
    cJSON_ArrayForEach(it, ann) if (cJSON_IsString(it) &&
                                    strncmp(it->string, SCORE_ANN_PREFIX, strlen(SCORE_ANN_PREFIX)))
        cJSON_AddStringToObject(podann, it->string, it->valuestring);
    cJSON_AddStringToObject(podann, SCORE_ANN_PREFIX "workload-name", w->name);
    if (ports && ports->child) {
        cJSON *svc = object("v1", "Service", meta(score_k8s_service_name(spec), w, 1));
        cJSON *ss = cJSON_AddObjectToObject(svc, "spec"), *pl;
        pl = cJSON_AddArrayToObject(ss, "ports");
        if ((rc = sorted_keys(ports, &keys, &nk)))
            goto nomem;
        for (size_t i = 0; i < nk; i++) {
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(ports, keys[i]);
            const cJSON *port = cJSON_GetObjectItemCaseSensitive(p, "port");
            const cJSON *tp = cJSON_GetObjectItemCaseSensitive(p, "targetPort");
            const char *proto = sl_doc_str(p, "protocol");
            cJSON *e = cJSON_CreateObject();
            char up[8] = "TCP";
            if (proto && *proto) {
                size_t j = 0;
                for (; proto[j] && j < sizeof(up) - 1; j++)
                    up[j] = (char)(proto[j] >= 'a' && proto[j] <= 'z' ? proto[j] - 32 : proto[j]);
                up[j] = '\0';
            }
            cJSON_AddStringToObject(e, "name", keys[i]);
            cJSON_AddNumberToObject(e, "port", cJSON_IsNumber(port) ? port->valuedouble : 0);
            cJSON_AddStringToObject(e, "protocol", up);
            cJSON_AddNumberToObject(e, "targetPort",
                                    cJSON_IsNumber(tp) && tp->valuedouble > 0
                                        ? tp->valuedouble
                                        : (cJSON_IsNumber(port) ? port->valuedouble : 0));
            cJSON_AddItemToArray(pl, e);
        }
        free(keys);
        keys = NULL;
        cJSON_AddItemToObject(ss, "selector", selector(w));
        cJSON_AddItemToArray(objs, svc);
    }
    if (stateful) {
        char hs[512];
        cJSON *svc, *ss, *pl, *p;
        snprintf(hs, sizeof(hs), "%s-headless-svc", w->name);
        svc = object("v1", "Service", meta(hs, w, 1));
        ss = cJSON_AddObjectToObject(svc, "spec");
        cJSON_AddStringToObject(ss, "clusterIP", "None");
        pl = cJSON_AddArrayToObject(ss, "ports");
        p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "name", "default");
        cJSON_AddNumberToObject(p, "port", 99);
        cJSON_AddNumberToObject(p, "targetPort", 99);
        cJSON_AddItemToArray(pl, p);
        cJSON_AddItemToObject(ss, "selector", selector(w));
        cJSON_AddItemToArray(objs, svc);
    }
    wl = object("apps/v1", kind, meta(w->name, w, 1));
    wspec = cJSON_AddObjectToObject(wl, "spec");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(wspec, "selector"), "matchLabels", selector(w));
    if (stateful) {
        char hs[512];
        snprintf(hs, sizeof(hs), "%s-headless-svc", w->name);
        cJSON_AddStringToObject(wspec, "serviceName", hs);
    }
    tmpl = cJSON_AddObjectToObject(wspec, "template");
    {
        cJSON *tm = cJSON_AddObjectToObject(tmpl, "metadata");
        cJSON_AddItemToObject(tm, "annotations", podann);
        cJSON_AddItemToObject(tm, "labels", labels(w));
    }
    pspec = cJSON_AddObjectToObject(tmpl, "spec");
    cJSON_AddItemToObject(pspec, "containers", ks);
    ks = NULL;
    if (vols->child) {
        cJSON_AddItemToObject(pspec, "volumes", vols);
        vols = NULL;
    }
    if (stateful && claims->child) {
        cJSON_AddItemToObject(wspec, "volumeClaimTemplates", claims);
        claims = NULL;
    }
    cJSON_AddItemToArray(objs, wl);
    while (objs->child)
        cJSON_AddItemToArray(out, cJSON_DetachItemFromArray(objs, 0));
    goto out;
nomem:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
    free(keys);
    cJSON_Delete(objs);
    cJSON_Delete(ks);
    cJSON_Delete(vols);
    cJSON_Delete(claims);
    return rc;
}
