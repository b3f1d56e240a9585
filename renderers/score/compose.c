/* compose.c: Score workloads to one docker compose project, following
 * score-compose's conventions: one service per container named
 * <workload>-<container>, the first container of a workload owns the
 * network namespace (hostname <workload>, published ports) and the others
 * join it (network_mode: service:...), files become inline configs, resource
 * volumes named volumes. The project is returned wrapped as an object of
 * kind ComposeProject (spec = the compose file) so targets can store it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "score_int.h"

static int keys_sorted(const cJSON *obj, const char ***out, size_t *n)
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

/* Secret references have no meaning in compose: they become ${VAR}
 * interpolations (SECRET_<NAME>_<KEY>, upper case, non-alnum as _) that the
 * operator supplies through the environment or an .env file. */
static int compose_value(const score_wl *w, const cJSON *node, const char *s, int expand,
                         sl_buf *out, sl_error *err)
{
    score_subst sc = {cJSON_GetObjectItemCaseSensitive(w->spec, "metadata"), w->outputs, NULL};
    sl_buf v = SL_BUF_INIT;
    sl_strv parts = SL_STRV_INIT;
    score_secret_ref *refs = NULL;
    size_t nrefs = 0;
    int rc;

    if (!expand)
        rc = sl_buf_puts(&v, s);
    else if ((rc = score_subst_str(&sc, s, &v, err)))
        score_err_at(err, w->pm, node);
    if (!rc && !(rc = score_secret_split(v.ptr ? v.ptr : "", &parts, &refs, &nrefs, err))) {
        for (size_t i = 0; i < parts.n; i++) {
            if (i > 0) {
                sl_buf_puts(out, "${SECRET_");
                for (const char *p = refs[i - 1].name; *p; p++)
                    sl_buf_putc(out, (char)((*p >= 'a' && *p <= 'z')   ? *p - 32
                                            : ((*p >= 'A' && *p <= 'Z') ||
                                               (*p >= '0' && *p <= '9')) ? *p
                                                                         : '_'));
                sl_buf_putc(out, '_');
                for (const char *p = refs[i - 1].key; *p; p++)
                    sl_buf_putc(out, (char)((*p >= 'a' && *p <= 'z')   ? *p - 32
                                            : ((*p >= 'A' && *p <= 'Z') ||
                                               (*p >= '0' && *p <= '9')) ? *p
                                                                         : '_'));
                sl_buf_putc(out, '}');
            }
            /* compose interpolates $ itself: keep literal dollars literal */
            for (const char *p = parts.v[i]; *p; p++)
                if (*p == '$')
                    sl_buf_puts(out, "$$");
                else
                    sl_buf_putc(out, *p);
        }
        rc = sl_buf_puts(out, "");
    }
    sl_buf_free(&v);
    sl_strv_free(&parts);
    score_secret_refs_free(refs, nrefs);
    return rc;
}

/* Decode standard base64 into out; fails unless the bytes are text (no
 * NUL, valid UTF-8 is not checked beyond that). */
static int b64_decode_text(const char *in, sl_buf *out)
{
    unsigned v = 0;
    int bits = 0;

    for (const char *p = in; *p && *p != '='; p++) {
        const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *q = strchr(a, *p);
        if (*p == '\n' || *p == '\r' || *p == ' ')
            continue;
        if (!q)
            return -1;
        v = (v << 6) | (unsigned)(q - a);
        bits += 6;
        if (bits >= 8) {
            char c = (char)((v >> (bits - 8)) & 0xff);
            bits -= 8;
            if (!c || sl_buf_putc(out, c))
                return -1;
        }
    }
    return sl_buf_puts(out, "");
}

static int compose_workload(const score_wl *w, cJSON *services, cJSON *configs, cJSON *volumes,
                            sl_error *err)
{
    const cJSON *containers = cJSON_GetObjectItemCaseSensitive(w->spec, "containers");
    const cJSON *ports = sl_doc_path(w->spec, "service.ports");
    const char **ck = NULL, **k2 = NULL;
    size_t nc = 0, n2 = 0;
    char first[512] = "";
    int rc = 0;

    if ((rc = keys_sorted(containers, &ck, &nc)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < nc; i++) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(containers, ck[i]), *it;
        char sname[512];
        cJSON *svc;
        snprintf(sname, sizeof(sname), "%s-%s", w->name, ck[i]);
        svc = cJSON_AddObjectToObject(services, sname);
        {
            cJSON *ann = cJSON_AddObjectToObject(svc, "annotations");
            cJSON_AddStringToObject(ann, "compose.score.dev/workload-name", w->name);
        }
        cJSON_AddStringToObject(svc, "image", sl_doc_str(c, "image") ? sl_doc_str(c, "image") : "");
        if ((it = cJSON_GetObjectItemCaseSensitive(c, "command")))
            cJSON_AddItemToObject(svc, "entrypoint", cJSON_Duplicate(it, 1));
        if ((it = cJSON_GetObjectItemCaseSensitive(c, "args")))
            cJSON_AddItemToObject(svc, "command", cJSON_Duplicate(it, 1));
        if (i == 0) {
            snprintf(first, sizeof(first), "%s", sname);
            cJSON_AddStringToObject(svc, "hostname", w->name);
            if (ports && ports->child) {
                cJSON *pl = cJSON_AddArrayToObject(svc, "ports");
                const cJSON *p;
                cJSON_ArrayForEach(p, ports)
                {
                    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(p, "targetPort");
                    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(p, "port");
                    const char *proto = sl_doc_str(p, "protocol");
                    cJSON *e = cJSON_CreateObject();
                    cJSON_AddNumberToObject(e, "target",
                                            cJSON_IsNumber(tp) ? tp->valuedouble
                                            : cJSON_IsNumber(pp) ? pp->valuedouble
                                                                 : 0);
                    cJSON_AddStringToObject(e, "protocol",
                                            proto && !strcmp(proto, "UDP") ? "udp" : "tcp");
                    cJSON_AddItemToArray(pl, e);
                }
            }
        } else {
            char nm[600];
            snprintf(nm, sizeof(nm), "service:%s", first);
            cJSON_AddStringToObject(svc, "network_mode", nm);
        }
        if ((it = cJSON_GetObjectItemCaseSensitive(c, "variables")) && it->child) {
            cJSON *env = cJSON_AddObjectToObject(svc, "environment");
            if ((rc = keys_sorted(it, &k2, &n2)))
                break;
            for (size_t j = 0; !rc && j < n2; j++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, k2[j]);
                sl_buf b = SL_BUF_INIT;
                char *num = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
                if (!(rc = compose_value(w, v, num ? num : v->valuestring, 1, &b, err)))
                    cJSON_AddStringToObject(env, k2[j], b.ptr ? b.ptr : "");
                else
                    sl_error_prefix(err, "containers.%s.variables.%s", ck[i], k2[j]);
                free(num);
                sl_buf_free(&b);
            }
            free(k2);
            k2 = NULL;
        }
        if (!rc && (it = cJSON_GetObjectItemCaseSensitive(c, "files")) && it->child) {
            cJSON *cl = cJSON_AddArrayToObject(svc, "configs");
            if ((rc = keys_sorted(it, &k2, &n2)))
                break;
            for (size_t j = 0; !rc && j < n2; j++) {
                const cJSON *f = cJSON_GetObjectItemCaseSensitive(it, k2[j]);
                const char *content = sl_doc_str(f, "content"), *src = sl_doc_str(f, "source");
                sl_buf raw = SL_BUF_INIT, b = SL_BUF_INIT;
                char cname[600];
                int noexpand = 0;
                cJSON *cfg, *ref;
                snprintf(cname, sizeof(cname), "%s-files-%zu", sname, j);
                if (content) {
                    rc = sl_buf_puts(&raw, content);
                } else if (src) {
                    sl_buf path = SL_BUF_INIT, norm = SL_BUF_INIT;
                    sl_buf_printf(&path, "%s%s%s", w->dir, w->dir[0] ? "/" : "", src);
                    if (!(rc = sl_path_normalize(path.ptr, &norm, err)))
                        rc = sl_snapshot_read(w->snap, norm.ptr, w->max_file, &raw, err);
                    if (rc) {
                        sl_error_prefix(err, "containers.%s.files.%s: source", ck[i], k2[j]);
                        score_err_at(err, w->pm, f);
                    }
                    sl_buf_free(&path);
                    sl_buf_free(&norm);
                } else if (sl_doc_str(f, "binaryContent") &&
                           !b64_decode_text(sl_doc_str(f, "binaryContent"), &raw)) {
                    noexpand = 1; /* binary content is never expanded */
                } else {
                    rc = sl_error_set(err, SL_EINVAL,
                                      "containers.%s.files.%s: the compose output can only "
                                      "inline text (binaryContent that is not UTF-8 text)",
                                      ck[i], k2[j]);
                    score_err_at(err, w->pm, f);
                }
                if (!rc)
                    rc = compose_value(
                        w, f, raw.ptr ? raw.ptr : "",
                        !noexpand && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "noExpand")),
                        &b, err);
                if (!rc) {
                    cfg = cJSON_AddObjectToObject(configs, cname);
                    cJSON_AddStringToObject(cfg, "content", b.ptr ? b.ptr : "");
                    ref = cJSON_CreateObject();
                    cJSON_AddStringToObject(ref, "source", cname);
                    cJSON_AddStringToObject(ref, "target", k2[j]);
                    if (sl_doc_str(f, "mode"))
                        cJSON_AddNumberToObject(ref, "mode",
                                                (double)strtol(sl_doc_str(f, "mode"), NULL, 8));
                    cJSON_AddItemToArray(cl, ref);
                }
                sl_buf_free(&raw);
                sl_buf_free(&b);
            }
            free(k2);
            k2 = NULL;
        }
        if (!rc && (it = cJSON_GetObjectItemCaseSensitive(c, "volumes")) && it->child) {
            cJSON *vl = cJSON_AddArrayToObject(svc, "volumes");
            const cJSON *v;
            cJSON_ArrayForEach(v, it)
            {
                score_subst sc = {cJSON_GetObjectItemCaseSensitive(w->spec, "metadata"),
                                  w->outputs, w->uids};
                sl_buf src = SL_BUF_INIT;
                cJSON *m;
                char vname[600];
                if ((rc = score_subst_str(&sc, sl_doc_str(v, "source") ? sl_doc_str(v, "source") : "",
                                          &src, err))) {
                    score_err_at(err, w->pm, v);
                    break;
                }
                /* volume names: the uid with characters compose rejects replaced */
                snprintf(vname, sizeof(vname), "%s", src.ptr ? src.ptr : "");
                for (char *p = vname; *p; p++)
                    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                          *p == '_'))
                        *p = '-';
                if (!cJSON_GetObjectItemCaseSensitive(volumes, vname))
                    cJSON_AddObjectToObject(volumes, vname);
                m = cJSON_CreateObject();
                cJSON_AddStringToObject(m, "type", "volume");
                cJSON_AddStringToObject(m, "source", vname);
                cJSON_AddStringToObject(m, "target", v->string);
                if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "readOnly")))
                    cJSON_AddTrueToObject(m, "read_only");
                cJSON_AddItemToArray(vl, m);
                sl_buf_free(&src);
            }
        }
        if (!rc && (it = cJSON_GetObjectItemCaseSensitive(c, "readinessProbe")) &&
            cJSON_GetObjectItemCaseSensitive(it, "exec")) {
            cJSON *hc = cJSON_AddObjectToObject(svc, "healthcheck"), *t;
            const cJSON *cmd = sl_doc_path(it, "exec.command"), *x;
            t = cJSON_AddArrayToObject(hc, "test");
            cJSON_AddItemToArray(t, cJSON_CreateString("CMD"));
            cJSON_ArrayForEach(x, cmd) cJSON_AddItemToArray(t, cJSON_Duplicate(x, 1));
        }
    }
    free(ck);
    free(k2);
    return rc;
}

int score_compose_convert(const score_wl *ws, size_t n, const cJSON *resources_manifests,
                          cJSON **out, sl_error *err)
{
    cJSON *obj = cJSON_CreateObject(), *md, *spec, *services, *configs, *volumes;
    int rc = 0;

    (void)resources_manifests; /* Kubernetes manifests have no compose form */
    *out = NULL;
    if (!obj)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    cJSON_AddStringToObject(obj, "apiVersion", "compose.score.dev/v1");
    cJSON_AddStringToObject(obj, "kind", "ComposeProject");
    md = cJSON_AddObjectToObject(obj, "metadata");
    cJSON_AddStringToObject(md, "name", n ? ws[0].name : "score");
    spec = cJSON_AddObjectToObject(obj, "spec");
    cJSON_AddStringToObject(spec, "name", n ? ws[0].name : "score");
    services = cJSON_AddObjectToObject(spec, "services");
    configs = cJSON_CreateObject();
    volumes = cJSON_CreateObject();
    for (size_t i = 0; !rc && i < n; i++)
        if ((rc = compose_workload(&ws[i], services, configs, volumes, err)))
            sl_error_prefix(err, "workload '%s'", ws[i].name);
    if (configs->child)
        cJSON_AddItemToObject(spec, "configs", configs);
    else
        cJSON_Delete(configs);
    if (volumes->child)
        cJSON_AddItemToObject(spec, "volumes", volumes);
    else
        cJSON_Delete(volumes);
    if (rc) {
        cJSON_Delete(obj);
        return rc;
    }
    *out = obj;
    return 0;
}
