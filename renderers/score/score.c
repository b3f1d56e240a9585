/* score.c: the `score` renderer. Reads score.dev/v1b1 workloads (one file,
 * or every score*.yaml in a folder), validates them against the official
 * schema, provisions their resources with score-k8s-compatible provisioners
 * (state kept under stateDir), substitutes placeholders and converts them
 * to Kubernetes objects as score-k8s does (or to a compose project). A
 * Backstage catalog-info.yaml beside the workload supplies the namespace and
 * ownership labels. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sl_app.h"
#include "sl_render.h"
#include "score_int.h"

#if defined(__has_include)
#if __has_include("sl_jsonschema.h")
#include "sl_jsonschema.h"
#define SCORE_HAVE_JSONSCHEMA 1
#endif
#endif

extern const char sl_score_schema_json[];

typedef struct score_opts {
    sl_strv provisioners; /* "source:path" or "path" (the app's source) */
    char *path;           /* file or folder; NULL = the app's generator match */
    char *ns;             /* namespace override */
    int compose;          /* output: compose */
    int catalog;          /* read catalog-info.yaml (default true) */
    double timeout;       /* cmd:// provisioner timeout, seconds */
} score_opts;

static void score_free_opts(void *p)
{
    score_opts *o = p;

    if (!o)
        return;
    sl_strv_free(&o->provisioners);
    free(o->path);
    free(o->ns);
    free(o);
}

static int score_configure(const cJSON *node, sl_confctx *c, void **out)
{
    static const char *const keys[] = {"provisioners", "path",    "output", "namespace",
                                       "catalog",      "timeout", NULL};
    score_opts *o = calloc(1, sizeof(*o));
    const char *s = NULL;
    const cJSON *pv, *it;
    int rc = 0;

    if (!o)
        return SL_ENOMEM;
    o->catalog = 1;
    o->timeout = 30;
    *out = o;
    if (!node)
        return 0;
    sl_conf_check_keys(c, node, keys);
    pv = cJSON_GetObjectItemCaseSensitive(node, "provisioners");
    if (cJSON_IsString(pv)) {
        if (sl_strv_push(&o->provisioners, pv->valuestring))
            return SL_ENOMEM;
    } else if (cJSON_IsArray(pv)) {
        cJSON_ArrayForEach(it, pv)
        {
            if (!cJSON_IsString(it) || !*it->valuestring)
                rc = sl_conf_error(c, it, "provisioners entries must be \"source:path\" strings");
            else if (sl_strv_push(&o->provisioners, it->valuestring))
                return SL_ENOMEM;
        }
    } else if (pv && !cJSON_IsNull(pv)) {
        rc = sl_conf_error(c, pv,
                           "provisioners must be a \"source:path\" string or a list of them");
    }
    if (!sl_conf_str(c, node, "path", 0, &s) && s && !(o->path = strdup(s)))
        return SL_ENOMEM;
    s = NULL;
    if (!sl_conf_str(c, node, "namespace", 0, &s) && s && !(o->ns = strdup(s)))
        return SL_ENOMEM;
    s = NULL;
    if (!sl_conf_str(c, node, "output", 0, &s) && s) {
        if (!strcmp(s, "compose"))
            o->compose = 1;
        else if (strcmp(s, "kubernetes"))
            rc = sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(node, "output"),
                               "output must be kubernetes or compose, not \"%s\"", s);
    }
    sl_conf_bool(c, node, "catalog", &o->catalog);
    sl_conf_duration(c, node, "timeout", &o->timeout);
    if (o->timeout <= 0)
        o->timeout = 30;
    return rc;
}

/* ---- one render --------------------------------------------------------- */

typedef struct res_entry {
    char *uid, *type, *cls, *id;
    int shared;      /* explicit id: one resource across workloads */
    size_t src;      /* index of the workload that carries the params */
    const cJSON *decl; /* the declaration in the source workload */
    int done;
    cJSON *outputs;  /* owned */
} res_entry;

typedef struct render_run {
    const sl_app *app;
    sl_render_ctx *ctx;
    const score_opts *o;
    sl_objset *out;
    sl_snapshot *snap;
    score_provs provs;
    score_state st;
    score_wl *wl;
    size_t nwl;
    cJSON **docs; /* parsed workloads (owned) */
    res_entry *res;
    size_t nres;
    cJSON *services;  /* WorkloadServices */
    cJSON *manifests; /* resource manifests, in provisioning order */
    cJSON *catalog;   /* catalog-info.yaml Component or NULL */
    const char *ns;
    sl_strv files;
    /* Positions of the workloads' and catalog's nodes, for errors. Kept
     * out of the output set's map: the objects built from them are new
     * trees, and a map per app would stay allocated with the app's objects. */
    sl_posmap *pm;
} render_run;

static int is_score_file(const char *name)
{
    size_t n = strlen(name);

    return n > 5 && !strcmp(name + n - 5, ".yaml") && name[n - 1] != '/' &&
           (!strncmp(name, "score", 5) || (n > 11 && !strcmp(name + n - 11, ".score.yaml")));
}

/* The score files of the app: its path (option or generator match) is a
 * file, or a folder whose score*.yaml files are one project. */
static int find_files(render_run *r, sl_error *err)
{
    sl_buf norm = SL_BUF_INIT;
    sl_strv names = SL_STRV_INIT;
    /* the generator's match (services/x/score.yaml), not its folder: a
     * folder may hold other score files that are separate apps */
    const char *match = r->app->vars ? sl_doc_str(r->app->vars, "path") : NULL;
    const char *path = r->o->path ? r->o->path : match ? match : r->app->path;
    int rc;

    if (!path || !*path) {
        rc = sl_error_set(err, SL_EINVAL,
                          "score: no workload: give the app each: services/*/score.yaml (or a "
                          "folder), or render: { score: { path: ... } }");
        goto out;
    }
    if ((rc = sl_path_normalize(path, &norm, err)))
        goto out;
    rc = sl_snapshot_isdir(r->snap, norm.ptr, err);
    if (rc < 0) {
        sl_error_set(err, rc, "score: \"%s\" does not exist in source %s at %s", norm.ptr,
                     r->snap->source, r->snap->revision);
        goto out;
    }
    if (rc == 0) {
        rc = sl_strv_push(&r->files, norm.ptr);
        goto out;
    }
    if ((rc = sl_snapshot_list(r->snap, norm.ptr, &names, err)))
        goto out;
    for (size_t i = 0; !rc && i < names.n; i++)
        if (is_score_file(names.v[i])) {
            char *full;
            if (asprintf(&full, "%s%s%s", norm.ptr, norm.ptr[0] ? "/" : "", names.v[i]) < 0)
                rc = SL_ENOMEM;
            else
                rc = sl_strv_take(&r->files, full);
        }
    if (!rc && !r->files.n)
        rc = sl_error_set(err, SL_ENOTFOUND, "score: no score*.yaml file in folder \"%s\"",
                          norm.ptr);
out:
    sl_buf_free(&norm);
    sl_strv_free(&names);
    return rc;
}

/* Provisioner files: config entries first (in order), then the defaults. */
static int load_provisioners(render_run *r, sl_error *err)
{
    int rc = 0;

    r->provs.timeout = r->o->timeout;
    r->provs.max_output = (size_t)4 << 20;
    if (r->ctx->state_dir && *r->ctx->state_dir &&
        asprintf(&r->provs.bin_dir, "%s/score/bin", r->ctx->state_dir) < 0)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (r->provs.bin_dir)
        mkdir(r->provs.bin_dir, 0700); /* state_open made <stateDir>/score */
    for (size_t i = 0; !rc && i < r->o->provisioners.n; i++) {
        const char *ent = r->o->provisioners.v[i], *colon = strchr(ent, ':');
        char *src = colon ? strndup(ent, (size_t)(colon - ent)) : NULL;
        const char *path = colon ? colon + 1 : ent;
        sl_snapshot *snap = NULL;
        sl_strv files = SL_STRV_INIT;
        sl_buf norm = SL_BUF_INIT;

        if ((rc = r->ctx->snapshot(r->ctx, src, &snap, err)) ||
            (rc = sl_path_normalize(path, &norm, err))) {
            sl_error_prefix(err, "score provisioners \"%s\"", ent);
        } else if ((rc = sl_snapshot_isdir(snap, norm.ptr, err)) < 0) {
            sl_error_set(err, rc, "score provisioners \"%s\": no such file or folder in source %s",
                         ent, snap->source);
        } else if (rc == 1) {
            sl_strv names = SL_STRV_INIT;
            rc = sl_snapshot_list(snap, norm.ptr, &names, err);
            for (size_t j = 0; !rc && j < names.n; j++) {
                size_t n = strlen(names.v[j]);
                char *full;
                if (n <= 18 || strcmp(names.v[j] + n - 18, ".provisioners.yaml"))
                    continue;
                if (asprintf(&full, "%s%s%s", norm.ptr, norm.ptr[0] ? "/" : "", names.v[j]) < 0)
                    rc = SL_ENOMEM;
                else
                    rc = sl_strv_take(&files, full);
            }
            sl_strv_free(&names);
        } else {
            rc = sl_strv_push(&files, norm.ptr);
        }
        for (size_t j = 0; !rc && j < files.n; j++) {
            sl_buf data = SL_BUF_INIT;
            if (!(rc = sl_snapshot_read(snap, files.v[j], r->ctx->limits.max_file_bytes
                                                              ? r->ctx->limits.max_file_bytes
                                                              : SL_DOC_DEFAULT_MAX_FILE_BYTES,
                                        &data, err)))
                rc = score_provs_load(&r->provs, files.v[j], data.ptr ? data.ptr : "", data.len,
                                      snap, err);
            sl_buf_free(&data);
        }
        free(src);
        sl_strv_free(&files);
        sl_buf_free(&norm);
    }
    if (!rc)
        rc = score_provs_load_defaults(&r->provs, err);
    return rc;
}

/* Deprecated array forms of files and volumes become maps keyed by target. */
static int normalise_lists(cJSON *container, const char *key)
{
    cJSON *list = cJSON_GetObjectItemCaseSensitive(container, key), *map, *it;

    if (!cJSON_IsArray(list))
        return 0;
    if (!(map = cJSON_CreateObject()))
        return SL_ENOMEM;
    while ((it = list->child)) {
        cJSON *t;
        cJSON_DetachItemViaPointer(list, it);
        t = cJSON_DetachItemFromObjectCaseSensitive(it, "target");
        if (cJSON_IsString(t) && !cJSON_GetObjectItemCaseSensitive(map, t->valuestring))
            cJSON_AddItemToObject(map, t->valuestring, it);
        else
            cJSON_Delete(it);
        cJSON_Delete(t);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(container, key, map);
    return 0;
}

#ifdef SCORE_HAVE_JSONSCHEMA
/* The schema, compiled once per process and read-only afterwards. */
static sl_jsonschema *g_schema;
static sl_error g_schema_err;
static int g_schema_rc;
static pthread_once_t g_schema_once = PTHREAD_ONCE_INIT;

static void schema_compile(void)
{
    cJSON *j;

    if (!sl_score_schema_json[0]) {
        g_schema_rc = sl_error_set(&g_schema_err, SL_EUNSUPPORTED,
                                   "the Score schema (shared/conformance/score/spec/"
                                   "score-v1b1.json) was not available when sluice was built");
        return;
    }
    if (!(j = cJSON_Parse(sl_score_schema_json))) {
        g_schema_rc = sl_error_set(&g_schema_err, SL_EINVAL, "the built-in Score schema is not JSON");
        return;
    }
    g_schema_rc = sl_jsonschema_compile(j, "score-v1b1.json", &g_schema, &g_schema_err);
    cJSON_Delete(j);
}
#endif

/* Validate a workload against the official schema; the first violation is
 * returned with its position, the count of others in the message. */
static int validate(render_run *r, const char *file, const cJSON *doc, sl_error *err)
{
#ifdef SCORE_HAVE_JSONSCHEMA
    sl_diags d = {0};
    int rc;

    pthread_once(&g_schema_once, schema_compile);
    if (g_schema_rc) {
        *err = g_schema_err;
        return g_schema_rc;
    }
    if ((rc = sl_jsonschema_validate(g_schema, doc, r->pm, file, &d)) && d.n) {
        *err = d.v[0];
        err->code = SL_EINVAL;
        if (d.n > 1)
            sl_error_prefix(err, "invalid score file (and %zu more problems)", d.n - 1);
        else
            sl_error_prefix(err, "invalid score file");
    } else if (rc) {
        sl_error_setpos(err, SL_EINVAL, file, 1, 1, "invalid score file");
    }
    sl_diags_free(&d);
    return rc;
#else
    (void)r;
    (void)file;
    (void)doc;
    (void)err;
    return 0;
#endif
}

/* Minimal structural checks the converter relies on (the schema covers
 * the rest when it is compiled in). */
static int check_shape(render_run *r, const char *file, const cJSON *doc, sl_error *err)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "containers");
    const char *api = sl_doc_str(doc, "apiVersion");
    sl_pos p = {file, 1, 1};

    sl_posmap_get(r->pm, doc, &p);
    if (!cJSON_IsObject(doc))
        return sl_error_setpos(err, SL_EINVAL, file, p.line, p.col,
                               "expected a Score workload (a mapping)");
    if (!api || strcmp(api, "score.dev/v1b1"))
        return sl_error_setpos(err, SL_EINVAL, file, p.line, p.col,
                               "apiVersion: expected score.dev/v1b1");
    if (!cJSON_IsObject(md) || !sl_doc_str(md, "name"))
        return sl_error_setpos(err, SL_EINVAL, file, p.line, p.col,
                               "metadata.name: a workload name is required");
    if (!cJSON_IsObject(c) || !c->child)
        return sl_error_setpos(err, SL_EINVAL, file, p.line, p.col,
                               "containers: at least one container is required");
    return 0;
}

static int load_workloads(render_run *r, sl_error *err)
{
    int rc = 0;

    if (!(r->wl = calloc(r->files.n, sizeof(*r->wl))) ||
        !(r->docs = calloc(r->files.n, sizeof(*r->docs))))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < r->files.n; i++) {
        const char *file = r->files.v[i];
        sl_buf data = SL_BUF_INIT;
        sl_docv dv = {0};
        score_wl *w = &r->wl[r->nwl];
        cJSON *it;
        const char *slash;

        if ((rc = sl_snapshot_read(r->snap, file, r->ctx->limits.max_file_bytes, &data, err)) ||
            (rc = sl_objset_account(r->out, data.len, file, err)) ||
            (rc = sl_yaml_parse(file, data.ptr ? data.ptr : "", data.len, &r->ctx->limits,
                                r->pm, &dv, err))) {
            sl_buf_free(&data);
            sl_docv_free(&dv);
            break;
        }
        sl_buf_free(&data);
        if (dv.n != 1) {
            rc = sl_error_setpos(err, SL_EINVAL, file, dv.n ? dv.pos[1].line : 1, 1,
                                 "expected exactly one Score workload in the file");
            sl_docv_free(&dv);
            break;
        }
        r->docs[r->nwl] = dv.v[0];
        dv.v[0] = NULL;
        sl_docv_free(&dv);
        if ((rc = validate(r, file, r->docs[r->nwl], err)) ||
            (rc = check_shape(r, file, r->docs[r->nwl], err)))
            break;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r->docs[r->nwl], "containers"))
        {
            if (normalise_lists(it, "files") || normalise_lists(it, "volumes")) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                break;
            }
        }
        w->spec = r->docs[r->nwl];
        w->name = sl_doc_path(w->spec, "metadata.name")->valuestring;
        w->file = file;
        w->pm = r->pm;
        w->snap = r->snap;
        slash = strrchr(file, '/');
        w->dir = slash ? strndup(file, (size_t)(slash - file)) : strdup("");
        w->max_file = r->ctx->limits.max_file_bytes ? r->ctx->limits.max_file_bytes
                                                    : SL_DOC_DEFAULT_MAX_FILE_BYTES;
        w->outputs = cJSON_CreateObject();
        w->uids = cJSON_CreateObject();
        if (!w->dir || !w->outputs || !w->uids)
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        for (size_t j = 0; !rc && j < r->nwl; j++)
            if (!strcmp(r->wl[j].name, w->name))
                rc = sl_error_setpos(err, SL_EDUP, file, 1, 1,
                                     "workload '%s' is also defined in %s", w->name,
                                     r->wl[j].file);
        r->nwl++;
    }
    return rc;
}

/* catalog-info.yaml beside the (first) score file: a Backstage Component. */
static int load_catalog(render_run *r, sl_error *err)
{
    sl_buf path = SL_BUF_INIT, data = SL_BUF_INIT;
    sl_docv dv = {0};
    sl_error e;
    int rc = 0;

    if (!r->o->catalog || !r->nwl)
        return 0;
    sl_buf_printf(&path, "%s%scatalog-info.yaml", r->wl[0].dir, r->wl[0].dir[0] ? "/" : "");
    rc = sl_snapshot_read(r->snap, path.ptr, r->ctx->limits.max_file_bytes, &data, &e);
    if (rc == SL_ENOTFOUND) {
        rc = 0;
        goto out;
    }
    if (rc) {
        *err = e;
        goto out;
    }
    if ((rc = sl_yaml_parse(path.ptr, data.ptr ? data.ptr : "", data.len, &r->ctx->limits,
                            r->pm, &dv, err)))
        goto out;
    for (size_t i = 0; i < dv.n; i++) {
        const char *kind = sl_doc_str(dv.v[i], "kind");
        if (kind && !strcmp(kind, "Component")) {
            r->catalog = dv.v[i];
            dv.v[i] = NULL;
            break;
        }
    }
out:
    sl_docv_free(&dv);
    sl_buf_free(&path);
    sl_buf_free(&data);
    return rc;
}

/* Catalog labels for the workload's objects. */
static cJSON *catalog_labels(const render_run *r)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(r->catalog, "metadata");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(r->catalog, "spec");
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
    const char *name = sl_doc_str(md, "name"), *kid = sl_doc_str(ann, "backstage.io/kubernetes-id");
    const char *owner = sl_doc_str(spec, "owner"), *sys = sl_doc_str(spec, "system");
    const char *life = sl_doc_str(spec, "lifecycle");
    cJSON *l;

    if (!r->catalog || !(l = cJSON_CreateObject()))
        return NULL;
    if (name)
        cJSON_AddStringToObject(l, "backstage.io/component", name);
    if (kid || name)
        cJSON_AddStringToObject(l, "backstage.io/kubernetes-id", kid ? kid : name);
    if (owner) {
        /* "group:default/team-x" -> "team-x" */
        const char *o = strrchr(owner, '/') ? strrchr(owner, '/') + 1
                        : strchr(owner, ':') ? strchr(owner, ':') + 1
                                             : owner;
        cJSON_AddStringToObject(l, "team", o);
    }
    if (sys)
        cJSON_AddStringToObject(l, "system", strchr(sys, ':') ? strchr(sys, ':') + 1 : sys);
    if (life)
        cJSON_AddStringToObject(l, "lifecycle", life);
    return l;
}

static int add_uid_entry(render_run *r, size_t wi, const cJSON *decl, sl_error *err)
{
    const char *type = sl_doc_str(decl, "type"), *cls = sl_doc_str(decl, "class");
    const char *id = sl_doc_str(decl, "id");
    char *uid = NULL;
    res_entry *e;

    if (!type) {
        sl_error_set(err, SL_EINVAL, "resources.%s: type is required", decl->string);
        return score_err_at(err, r->pm, decl);
    }
    if (!cls)
        cls = "default";
    if (asprintf(&uid, "%s.%s#%s%s%s", type, cls, id ? "" : r->wl[wi].name, id ? "" : ".",
                 id ? id : decl->string) < 0)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    cJSON_AddStringToObject(r->wl[wi].uids, decl->string, uid);
    for (size_t i = 0; i < r->nres; i++)
        if (!strcmp(r->res[i].uid, uid)) {
            /* the same shared resource: the first workload with params carries them */
            if (!cJSON_GetObjectItemCaseSensitive(r->res[i].decl, "params") &&
                cJSON_GetObjectItemCaseSensitive(decl, "params")) {
                r->res[i].src = wi;
                r->res[i].decl = decl;
            }
            free(uid);
            return 0;
        }
    if (!(e = realloc(r->res, (r->nres + 1) * sizeof(*e)))) {
        free(uid);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    r->res = e;
    e = &r->res[r->nres++];
    memset(e, 0, sizeof(*e));
    e->uid = uid;
    e->type = strdup(type);
    e->cls = strdup(cls);
    e->id = id ? strdup(id) : NULL;
    if (!e->id && asprintf(&e->id, "%s.%s", r->wl[wi].name, decl->string) < 0)
        e->id = NULL;
    e->shared = id != NULL;
    e->src = wi;
    e->decl = decl;
    if (!e->type || !e->cls || !e->id)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    return 0;
}

static int cmp_res(const void *a, const void *b)
{
    return strcmp(((const res_entry *)a)->uid, ((const res_entry *)b)->uid);
}

/* WorkloadServices as score-k8s builds them: per workload its service name
 * and ports by name and by port number. */
static int build_services(render_run *r)
{
    if (!(r->services = cJSON_CreateObject()))
        return SL_ENOMEM;
    for (size_t i = 0; i < r->nwl; i++) {
        cJSON *ns = cJSON_AddObjectToObject(r->services, r->wl[i].name), *ports;
        const cJSON *sp = sl_doc_path(r->wl[i].spec, "service.ports"), *it;
        cJSON_AddStringToObject(ns, "ServiceName", score_k8s_service_name(r->wl[i].spec));
        ports = cJSON_AddObjectToObject(ns, "Ports");
        for (int pass = 0; pass < 2; pass++)
            cJSON_ArrayForEach(it, sp)
            {
                const cJSON *port = cJSON_GetObjectItemCaseSensitive(it, "port");
                const cJSON *tp = cJSON_GetObjectItemCaseSensitive(it, "targetPort");
                const char *proto = sl_doc_str(it, "protocol");
                char num[32];
                cJSON *p;
                snprintf(num, sizeof(num), "%d", cJSON_IsNumber(port) ? port->valueint : 0);
                if (pass && cJSON_GetObjectItemCaseSensitive(ports, num))
                    continue;
                p = cJSON_AddObjectToObject(ports, pass ? num : it->string);
                cJSON_AddStringToObject(p, "Name", it->string);
                cJSON_AddNumberToObject(p, "Port", cJSON_IsNumber(port) ? port->valuedouble : 0);
                cJSON_AddNumberToObject(p, "TargetPort",
                                        cJSON_IsNumber(tp) ? tp->valuedouble
                                        : cJSON_IsNumber(port) ? port->valuedouble
                                                               : 0);
                cJSON_AddStringToObject(p, "Protocol", proto ? proto : "TCP");
            }
    }
    return 0;
}

/* Can e be provisioned now: every resource its params reference (in the
 * source workload) is provisioned? */
static int ready(const render_run *r, const res_entry *e, sl_strv *deps)
{
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(e->decl, "params");
    const score_wl *w = &r->wl[e->src];
    char *text;

    if (!params)
        return 1;
    if (!(text = cJSON_PrintUnformatted(params)))
        return 0;
    score_subst_resource_refs(text, deps);
    free(text);
    for (size_t i = 0; i < deps->n; i++)
        if (!cJSON_GetObjectItemCaseSensitive(w->outputs, deps->v[i]) &&
            cJSON_GetObjectItemCaseSensitive(w->uids, deps->v[i]))
            return 0;
    return 1;
}

static int provision_one(render_run *r, res_entry *e, sl_error *err)
{
    const score_wl *w = &r->wl[e->src];
    const score_prov *p = score_provs_match(&r->provs, e->type, e->cls, e->id);
    cJSON *rec = score_state_resource(&r->st, e->uid, e->shared);
    cJSON *params = NULL, *m, *next;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(e->decl, "metadata");
    score_prov_io io;
    const char *prev;
    int rc = 0;

    memset(&io, 0, sizeof(io));
    if (!rec)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (!p) {
        sl_error_set(err, SL_EINVAL,
                     "resource '%s' is not supported by any provisioner. Please implement a "
                     "custom resource provisioner to support this resource type.",
                     e->uid);
        return score_err_at(err, r->pm, e->decl);
    }
    prev = sl_doc_str(rec, "provisioner");
    if (prev && strcmp(prev, score_prov_uri(p))) {
        sl_error_set(err, SL_EINVAL,
                     "resource '%s' was previously provisioned by a different provisioner (%s, "
                     "now %s); remove its entry from the state to re-provision it",
                     e->uid, prev, score_prov_uri(p));
        return score_err_at(err, r->pm, e->decl);
    }
    if (cJSON_GetObjectItemCaseSensitive(e->decl, "params")) {
        score_subst sc = {cJSON_GetObjectItemCaseSensitive(w->spec, "metadata"), w->outputs, NULL};
        if ((rc = sl_doc_copy(cJSON_GetObjectItemCaseSensitive(e->decl, "params"), r->pm,
                              &params)))
            return sl_error_set(err, rc, "out of memory");
        if ((rc = score_subst_tree(&sc, params, r->pm, err))) {
            sl_error_prefix(err, "failed to substitute params for resource '%s'", e->uid);
            goto out;
        }
    }
    io.guid = sl_doc_str(rec, "guid");
    io.uid = e->uid;
    io.type = e->type;
    io.cls = e->cls;
    io.id = e->id;
    io.source_workload = w->name;
    io.ns = r->ns;
    io.params = params;
    io.metadata = meta;
    io.workload_metadata = cJSON_GetObjectItemCaseSensitive(w->spec, "metadata");
    io.workload_services = r->services;
    io.state = cJSON_GetObjectItemCaseSensitive(rec, "state");
    io.shared = score_state_shared(&r->st);
    if ((rc = score_prov_run(&r->provs, p, &io, err))) {
        score_err_at(err, r->pm, e->decl);
        goto out;
    }
    cJSON_ReplaceItemInObjectCaseSensitive(rec, "state", io.new_state);
    io.new_state = NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "provisioner");
    cJSON_AddStringToObject(rec, "provisioner", score_prov_uri(p));
    for (m = io.manifests ? io.manifests->child : NULL; m; m = next) {
        sl_buf path = SL_BUF_INIT;
        next = m->next;
        if (score_secret_find(m, &path)) {
            rc = sl_error_set(err, SL_EINVAL,
                              "resource '%s': unresolved secret reference in manifest at %s "
                              "(secret references belong in outputs)",
                              e->uid, path.ptr ? path.ptr : "");
            sl_buf_free(&path);
            score_err_at(err, r->pm, e->decl);
            goto out;
        }
        sl_buf_free(&path);
        cJSON_AddItemToArray(r->manifests, cJSON_DetachItemViaPointer(io.manifests, m));
    }
    e->outputs = io.outputs;
    io.outputs = NULL;
    e->done = 1;
    /* every workload that declared this resource sees its outputs */
    for (size_t i = 0; i < r->nwl; i++) {
        const cJSON *u;
        cJSON_ArrayForEach(u, r->wl[i].uids) if (!strcmp(u->valuestring, e->uid))
            cJSON_AddItemToObject(r->wl[i].outputs, u->string, cJSON_Duplicate(e->outputs, 1));
    }
out:
    cJSON_Delete(params);
    score_prov_io_fini(&io);
    return rc;
}

static int provision_all(render_run *r, sl_error *err)
{
    int rc = 0;

    for (size_t i = 0; i < r->nwl; i++) {
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r->wl[i].spec, "resources"))
        {
            if ((rc = add_uid_entry(r, i, it, err)))
                return rc;
        }
    }
    if (r->nres > 1)
        qsort(r->res, r->nres, sizeof(*r->res), cmp_res);
    if ((rc = build_services(r)) || !(r->manifests = cJSON_CreateArray()))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t left = r->nres; left > 0;) {
        size_t before = left;
        for (size_t i = 0; i < r->nres; i++) {
            sl_strv deps = SL_STRV_INIT;
            int ok;
            if (r->res[i].done)
                continue;
            ok = ready(r, &r->res[i], &deps);
            sl_strv_free(&deps);
            if (!ok)
                continue;
            if ((rc = provision_one(r, &r->res[i], err)))
                return rc;
            left--;
            break; /* restart in uid order: a dependency may now be ready */
        }
        if (left == before) {
            for (size_t i = 0; i < r->nres; i++)
                if (!r->res[i].done) {
                    sl_error_set(err, SL_EINVAL,
                                 "resource '%s': its params reference resources that form a "
                                 "cycle",
                                 r->res[i].uid);
                    return score_err_at(err, r->pm, r->res[i].decl);
                }
        }
    }
    return 0;
}

static int is_workload_kind(const char *kind)
{
    return !strcmp(kind, "Deployment") || !strcmp(kind, "StatefulSet");
}

/* Add objects (an array, consumed) to the set with namespace and labels. */
static int add_objects(render_run *r, cJSON *objs, const score_wl *w, const cJSON *extra_labels,
                       sl_error *err)
{
    sl_app app = *r->app;
    sl_docv dv = {0};
    sl_pos pos = {w->file, 1, 1};
    cJSON *o;
    int rc = 0;

    app.namespace = r->ns;
    sl_posmap_get(r->pm, w->spec, &pos);
    while (!rc && (o = objs->child)) {
        cJSON_DetachItemViaPointer(objs, o);
        if (extra_labels) {
            const char *kind = sl_doc_str(o, "kind");
            cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata"), *l;
            const cJSON *it;
            cJSON *targets[2] = {NULL, NULL};
            if (cJSON_IsObject(md)) {
                if (!(l = cJSON_GetObjectItemCaseSensitive(md, "labels")))
                    l = cJSON_AddObjectToObject(md, "labels");
                targets[0] = l;
            }
            if (kind && is_workload_kind(kind)) {
                cJSON *tm = (cJSON *)sl_doc_path(o, "spec.template.metadata");
                if (tm && !(l = cJSON_GetObjectItemCaseSensitive(tm, "labels")))
                    l = cJSON_AddObjectToObject(tm, "labels");
                targets[1] = tm ? l : NULL;
            }
            for (int t = 0; t < 2; t++) {
                if (!targets[t])
                    continue;
                cJSON_ArrayForEach(it, extra_labels)
                {
                    if (!cJSON_GetObjectItemCaseSensitive(targets[t], it->string))
                        cJSON_AddItemToObject(targets[t], it->string, cJSON_Duplicate(it, 1));
                }
            }
        }
        {
            /* a later manifest with the same identity replaces an earlier one */
            sl_objid id;
            sl_error e2;
            if (sl_objid_from_json(o, NULL, &id, &e2) == 0) {
                const char *ns = id.ns;
                sl_objid probe_id;
                if (!*ns && r->ns && !sl_kind_cluster_scoped(id.group, id.kind))
                    ns = r->ns;
                if (!sl_objid_make(&probe_id, id.group, id.version, id.kind, ns, id.name)) {
                    const sl_obj *prev = sl_objset_find(r->out, &probe_id);
                    if (prev) {
                        sl_objid_clear(&probe_id);
                        sl_objid_clear(&id);
                        cJSON_Delete(o);
                        continue;
                    }
                    sl_objid_clear(&probe_id);
                }
                sl_objid_clear(&id);
            }
        }
        if ((rc = sl_docv_push(&dv, o, pos))) {
            cJSON_Delete(o);
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            break;
        }
        rc = sl_render_add_docs(&app, w->file, &dv, r->out, err);
        sl_docv_free(&dv);
        memset(&dv, 0, sizeof(dv));
    }
    sl_docv_free(&dv);
    return rc;
}

static void run_fini(render_run *r)
{
    for (size_t i = 0; i < r->nwl; i++) {
        free((char *)r->wl[i].dir);
        cJSON_Delete(r->wl[i].outputs);
        cJSON_Delete(r->wl[i].uids);
    }
    for (size_t i = 0; r->docs && i < r->files.n; i++) {
        sl_posmap_forget(r->pm, r->docs[i]);
        cJSON_Delete(r->docs[i]);
    }
    for (size_t i = 0; i < r->nres; i++) {
        free(r->res[i].uid);
        free(r->res[i].type);
        free(r->res[i].cls);
        free(r->res[i].id);
        cJSON_Delete(r->res[i].outputs);
    }
    if (r->catalog)
        sl_posmap_forget(r->pm, r->catalog);
    cJSON_Delete(r->catalog);
    free(r->res);
    free(r->wl);
    free(r->docs);
    cJSON_Delete(r->services);
    cJSON_Delete(r->manifests);
    score_provs_free(&r->provs);
    score_state_close(&r->st);
    sl_strv_free(&r->files);
    sl_posmap_free(r->pm);
}

static int score_render(const sl_app *app, sl_render_ctx *ctx, sl_objset *out, sl_error *err)
{
    render_run r;
    cJSON *objs = NULL;
    int rc;

    memset(&r, 0, sizeof(r));
    r.st.lock_fd = -1;
    r.app = app;
    r.ctx = ctx;
    r.o = app->opts;
    r.out = out;
    if (sl_posmap_new(&r.pm)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = ctx->snapshot(ctx, NULL, &r.snap, err)) || (rc = find_files(&r, err)) ||
        (rc = load_workloads(&r, err)) || (rc = load_catalog(&r, err)))
        goto out;
    r.ns = r.o->ns;
    if (!r.ns && r.catalog)
        r.ns = sl_doc_str(sl_doc_path(r.catalog, "metadata.annotations"),
                          "backstage.io/kubernetes-namespace");
    if (!r.ns)
        r.ns = app->namespace;
    if ((rc = score_state_open(ctx->state_dir, app->name ? app->name : "app", &r.st, err)) ||
        (rc = load_provisioners(&r, err)))
        goto out;
    for (size_t i = 0; i < r.nwl; i++) {
        const cJSON *rec = score_state_workload(&r.st, r.wl[i].name);
        if (!rec) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        r.wl[i].instance_suffix = sl_doc_str(rec, "instanceSuffix");
    }
    if ((rc = provision_all(&r, err)))
        goto out;
    if (!(objs = cJSON_CreateArray())) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (r.o->compose) {
        cJSON *project = NULL;
        if ((rc = score_compose_convert(r.wl, r.nwl, r.manifests, &project, err)))
            goto out;
        cJSON_AddItemToArray(objs, project);
        rc = add_objects(&r, objs, &r.wl[0], NULL, err);
    } else {
        /* catalog labels go on every object of the app: the resources'
         * workloads belong to the component's team as much as its own */
        cJSON *cl = catalog_labels(&r);
        rc = add_objects(&r, r.manifests, &r.wl[0], cl, err);
        for (size_t i = 0; !rc && i < r.nwl; i++) {
            if ((rc = score_k8s_convert(&r.wl[i], objs, err)))
                break;
            rc = add_objects(&r, objs, &r.wl[i], cl, err);
        }
        cJSON_Delete(cl);
    }
    if (rc)
        goto out;
    /* only a render that succeeded keeps its provisioner state */
    rc = score_state_save(&r.st, err);
out:
    if (rc && !err->file[0] && r.files.n)
        sl_error_prefix(err, "%s", r.files.v[0]);
    cJSON_Delete(objs);
    run_fini(&r);
    return rc;
}

const sl_renderer_ops sl_renderer_score = {
    .kind = "score",
    .configure = score_configure,
    .free_opts = score_free_opts,
    .render = score_render,
};
