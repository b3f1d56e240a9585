/* module.c: the `module` renderer. Renders a Terraform-style module (HCL,
 * see tf.h and hcl.h) into manifests, either called directly with
 * variables from sluice.yaml or once per EnvironmentRequest file:
 *
 *   render: { module: { source: platform:modules/environment } }          # app with each:
 *   render: { module: { source: modules/environment, requests: "environments/(glob)" } }
 *   render: { module: { source: modules/app, variables: { replicas: 2 } } }
 *
 * A request's spec feeds the module's variables (its metadata.name feeds
 * `name` when the module declares it); errors point at the request file's
 * nodes. spec.ttl (e.g. "7d") is honoured: once the request's age, counted
 * from the commit that last touched the file, passes its ttl the request
 * renders nothing (so the plan prunes its objects) and a notice says so;
 * before that a notice says when it will expire. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sl_app.h"
#include "sl_render.h"
#include "tf.h"

#define MODULE_REQ_API "platform.myorg.io/v1alpha1"
#define MODULE_REQ_KIND "EnvironmentRequest"

typedef struct module_opts {
    char *source;     /* source name, NULL = the app's */
    char *path;       /* the module folder */
    char *requests;   /* glob of request files in the app's source, or NULL */
    cJSON *variables; /* inputs of a direct call (or defaults for requests), or NULL */
} module_opts;

static void module_free_opts(void *p)
{
    module_opts *o = p;

    if (!o)
        return;
    free(o->source);
    free(o->path);
    free(o->requests);
    cJSON_Delete(o->variables);
    free(o);
}

/* source: "[SOURCE:]PATH". */
static int module_configure(const cJSON *node, sl_confctx *c, void **out)
{
    static const char *const keys[] = {"source", "requests", "variables", NULL};
    module_opts *o = calloc(1, sizeof(*o));
    const char *src = NULL, *req = NULL, *colon;
    const cJSON *vars;
    int rc = 0;

    *out = o;
    if (!o)
        return SL_ENOMEM;
    if (!node || !cJSON_IsObject(node))
        return sl_conf_error(c, node, "module needs options: { source: [SOURCE:]PATH }");
    sl_conf_check_keys(c, node, keys);
    if (sl_conf_str(c, node, "source", 1, &src) || !src)
        rc = SL_EINVAL;
    if (sl_conf_str(c, node, "requests", 0, &req))
        rc = SL_EINVAL;
    vars = cJSON_GetObjectItemCaseSensitive(node, "variables");
    if (vars && !cJSON_IsObject(vars))
        rc = sl_conf_error(c, vars, "variables must be a mapping of variable names to values");
    else if (vars && !(o->variables = cJSON_Duplicate(vars, 1)))
        return SL_ENOMEM;
    if (req && !(o->requests = strdup(req)))
        return SL_ENOMEM;
    if (!src)
        return rc;
    colon = strchr(src, ':');
    if (colon && memchr(src, '/', (size_t)(colon - src)) == NULL) {
        if (colon == src)
            rc = sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(node, "source"),
                               "source: empty source name before ':'");
        else if (!(o->source = strndup(src, (size_t)(colon - src))))
            return SL_ENOMEM;
        src = colon + 1;
    }
    if (strstr(src, "{{")) {
        o->path = strdup(src); /* a generator hole, checked once filled */
    } else {
        sl_buf norm = SL_BUF_INIT;
        sl_error err;
        if (sl_path_normalize(src, &norm, &err))
            rc = sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(node, "source"),
                               "source: %s", err.msg);
        else
            o->path = sl_buf_detach(&norm);
        sl_buf_free(&norm);
    }
    return rc;
}

/* ---- durations ---- */

/* "30d", "36h", "1h30m", "2w", "90s": a sequence of <number><unit>. */
static int module_parse_ttl(const char *s, int64_t *out)
{
    int64_t total = 0;

    if (!*s)
        return -1;
    while (*s) {
        char *end;
        long long n = strtoll(s, &end, 10);
        int64_t unit;
        if (end == s || n < 0 || n > 100000000LL)
            return -1;
        switch (*end) {
        case 'w':
            unit = 7 * 86400;
            break;
        case 'd':
            unit = 86400;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'm':
            unit = 60;
            break;
        case 's':
            unit = 1;
            break;
        default:
            return -1;
        }
        total += (int64_t)n * unit;
        s = end + 1;
    }
    *out = total;
    return 0;
}

/* The two largest units: "3d4h", "2h5m", "45s". */
static void module_fmt_dur(int64_t secs, char *buf, size_t n)
{
    static const struct {
        char u;
        int64_t s;
    } units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

    if (secs < 0)
        secs = -secs;
    for (size_t i = 0; i < 4; i++) {
        if (secs >= units[i].s || i == 3) {
            int64_t a = secs / units[i].s, rest = secs % units[i].s;
            if (i < 3 && rest / units[i + 1].s)
                snprintf(buf, n, "%lld%c%lld%c", (long long)a, units[i].u,
                         (long long)(rest / units[i + 1].s), units[i + 1].u);
            else
                snprintf(buf, n, "%lld%c", (long long)a, units[i].u);
            return;
        }
    }
}

/* ---- one render ---- */

typedef struct module_run {
    const sl_app *app;
    const module_opts *o;
    sl_render_ctx *ctx;
    sl_objset *out;
    sl_snapshot *msnap; /* the module's source */
    sl_snapshot *asnap; /* the app's source (requests) */
    tf_cache cache;
    tf_module *root;
    sl_hcl_diags diags;
    sl_hcl_fs fs;
} module_run;

static int module_fs_read(void *ud, const char *path, size_t max, sl_buf *out, sl_error *err)
{
    return sl_snapshot_read(ud, path, max, out, err);
}

static int module_fs_exists(void *ud, const char *path, sl_error *err)
{
    int rc = sl_snapshot_isdir(ud, path, err);

    return rc == 0 ? 1 : rc == SL_ENOTFOUND || rc == 1 ? 0 : rc;
}

/* A zero-width range at a YAML/JSON node's position (file interned in the
 * set's posmap). */
static sl_hcl_range module_node_range(const module_run *r, const cJSON *node, const char *file)
{
    sl_hcl_range rg;
    sl_pos pos;

    memset(&rg, 0, sizeof(rg));
    if (sl_posmap_get(r->out->pm, node, &pos) == 0) {
        rg.file = pos.file;
        rg.start.line = rg.end.line = pos.line;
        rg.start.col = rg.end.col = pos.col;
    } else {
        rg.file = sl_posmap_intern(r->out->pm, file);
    }
    return rg;
}

/* Where the app is declared in sluice.yaml. */
static sl_hcl_range module_app_range(const module_run *r)
{
    const sl_appspec *sp = r->app->spec;
    sl_hcl_range rg;

    memset(&rg, 0, sizeof(rg));
    rg.file = sl_posmap_intern(r->out->pm, sp && sp->pos.file ? sp->pos.file : "sluice.yaml");
    rg.start.line = rg.end.line = sp ? sp->pos.line : 0;
    rg.start.col = rg.end.col = sp ? sp->pos.col : 0;
    return rg;
}

/* Evaluate the root module with inputs; add its manifests to the output
 * with provenance (file, line, col), or each its resource block when file
 * is NULL. */
static int module_eval(module_run *r, const tf_input *inputs, size_t ninputs,
                       sl_hcl_range call_range, const char *file, int line, int col,
                       sl_error *err)
{
    sl_hcl_arena *arena = NULL;
    tf_result res;
    tf_env env;
    int rc;

    memset(&res, 0, sizeof(res));
    if ((rc = sl_hcl_arena_new(0, &arena)))
        return sl_error_set(err, rc, "out of memory");
    memset(&env, 0, sizeof(env));
    env.cache = &r->cache;
    env.arena = arena;
    env.diags = &r->diags;
    env.fs = &r->fs;
    env.call_range = call_range;
    rc = tf_module_eval(&env, r->root, inputs, ninputs, "", &res);
    /* one document at a time: each manifest has its own provenance (the
     * request, or the resource block for a direct call) */
    for (size_t i = 0; !rc && i < res.nmanifests; i++) {
        const sl_hcl_range *rg = &res.manifests[i].range;
        sl_docv docs = {0};
        sl_pos pos = {file ? file : rg->file, file ? line : rg->start.line,
                      file ? col : rg->start.col};
        if ((rc = sl_docv_push(&docs, res.manifests[i].json, pos)))
            sl_error_set(err, rc, "out of memory");
        else
            res.manifests[i].json = NULL;
        if (!rc)
            rc = sl_render_add_docs(r->app, pos.file, &docs, r->out, err);
        sl_docv_free(&docs);
    }
    tf_result_fini(&res);
    sl_hcl_arena_free(arena);
    return rc;
}

/* Set input name to the value of a JSON node (replacing an earlier one). */
static int module_input(module_run *r, sl_hcl_arena *a, const char *name, const cJSON *node,
                        const char *file, tf_input **v, size_t *n, size_t *cap)
{
    const sl_hcl_value *val;
    size_t k;

    for (k = 0; k < *n && strcmp((*v)[k].name, name); k++)
        ;
    if (k == *n) {
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            tf_input *nv = realloc(*v, nc * sizeof(*nv));
            if (!nv)
                return SL_ENOMEM;
            *v = nv;
            *cap = nc;
        }
        (*n)++;
    }
    (*v)[k].name = name;
    (*v)[k].range = module_node_range(r, node, file);
    if (sl_hcl_value_from_json(a, node, &val))
        return sl_hcl_diag_error(&r->diags, &(*v)[k].range, "Invalid value",
                                 "The value of \"%s\" cannot be read.", name);
    (*v)[k].value = val;
    return 0;
}

/* Inputs from a JSON mapping (sluice.yaml variables or a request's spec);
 * a key named skip is left out unless the module declares it. */
static int module_inputs(module_run *r, sl_hcl_arena *a, const cJSON *map, const char *file,
                         const char *skip, tf_input **v, size_t *n, size_t *cap)
{
    const cJSON *it;
    int rc;

    cJSON_ArrayForEach(it, map)
    {
        if (skip && !strcmp(it->string, skip) && tf_module_var(r->root, skip) < 0)
            continue;
        if ((rc = module_input(r, a, it->string, it, file, v, n, cap)))
            return rc;
    }
    return 0;
}

/* Inputs from sluice.yaml (variables:): their nodes have no position in
 * the set's posmap, so they point at the app. */
static int module_option_inputs(module_run *r, sl_hcl_arena *a, tf_input **v, size_t *n,
                                size_t *cap)
{
    sl_hcl_range app = module_app_range(r);
    int rc = 0;

    if (r->o->variables)
        rc = module_inputs(r, a, r->o->variables, app.file, NULL, v, n, cap);
    for (size_t i = 0; i < *n; i++)
        if (!(*v)[i].range.start.line)
            (*v)[i].range = app;
    return rc;
}

/* Fill err from the first diagnostic (unless err already says something
 * and there is none). Returns the code to report. */
static int module_diag_error(module_run *r, int rc, sl_error *err)
{
    if (sl_hcl_diags_has_errors(&r->diags))
        return sl_hcl_diags_to_error(&r->diags, err);
    if (err->msg[0])
        return err->code ? err->code : rc;
    return sl_error_set(err, rc ? rc : SL_EINVAL, "module evaluation failed: %s",
                        sl_strerror(rc ? rc : SL_EINVAL));
}

/* A direct call: the options' variables are the inputs. */
static int module_direct(module_run *r, sl_error *err)
{
    sl_hcl_arena *a = NULL;
    tf_input *inputs = NULL;
    size_t n = 0, cap = 0;
    sl_hcl_range call;
    int rc;

    call = module_app_range(r);
    if ((rc = sl_hcl_arena_new(0, &a)))
        return sl_error_set(err, rc, "out of memory");
    if ((rc = module_option_inputs(r, a, &inputs, &n, &cap))) {
        if (rc == SL_ENOMEM)
            sl_error_set(err, rc, "out of memory");
        else
            module_diag_error(r, rc, err);
        goto out;
    }
    rc = module_eval(r, inputs, n, call, NULL, 0, 0, err);
    if (rc && rc != SL_ENOMEM)
        rc = module_diag_error(r, rc, err);
out:
    free(inputs);
    sl_hcl_arena_free(a);
    return rc;
}

/* One EnvironmentRequest file. */
static int module_request(module_run *r, const char *file, sl_error *err)
{
    sl_buf data = SL_BUF_INIT;
    sl_docv docs = {0};
    sl_hcl_arena *a = NULL;
    tf_input *inputs = NULL;
    size_t n = 0, cap = 0;
    const cJSON *doc, *spec, *meta, *ttl;
    const char *api, *kind, *name;
    sl_hcl_range call;
    sl_pos pos;
    int rc;

    rc = sl_snapshot_read(r->asnap, file, r->ctx->limits.max_file_bytes, &data, err);
    if (rc == SL_EINVAL && sl_snapshot_isdir(r->asnap, file, NULL) == 1) {
        rc = 0; /* a folder the requests glob matched: not a request */
        sl_error_clear(err);
        goto out;
    }
    if (rc || (rc = sl_objset_account(r->out, data.len, file, err)) ||
        (rc = sl_doc_parse(file, data.ptr ? data.ptr : "", data.len, &r->ctx->limits, r->out->pm,
                           &docs, err)))
        goto out;
    if (docs.n != 1 || !cJSON_IsObject(docs.v[0])) {
        rc = sl_error_setpos(err, SL_EINVAL, file, docs.n ? docs.pos[0].line : 1,
                             docs.n ? docs.pos[0].col : 1,
                             "expected one %s object (apiVersion %s) in the file, found %zu "
                             "document%s",
                             MODULE_REQ_KIND, MODULE_REQ_API, docs.n, docs.n == 1 ? "" : "s");
        goto out;
    }
    doc = docs.v[0];
    pos = docs.pos[0];
    api = sl_doc_str(doc, "apiVersion");
    kind = sl_doc_str(doc, "kind");
    meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
    name = sl_doc_str(meta, "name");
    spec = cJSON_GetObjectItemCaseSensitive(doc, "spec");
    if (!api || strcmp(api, MODULE_REQ_API) || !kind || strcmp(kind, MODULE_REQ_KIND)) {
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(doc, api && !strcmp(api, MODULE_REQ_API)
                                                                    ? "kind"
                                                                    : "apiVersion");
        sl_pos p = pos;
        sl_posmap_get(r->out->pm, at, &p);
        rc = sl_error_setpos(err, SL_EINVAL, file, p.line, p.col,
                             "expected apiVersion %s and kind %s, found %s %s", MODULE_REQ_API,
                             MODULE_REQ_KIND, api ? api : "(none)", kind ? kind : "(none)");
        goto out;
    }
    if (!name || !cJSON_IsObject(spec)) {
        sl_pos p = pos;
        sl_posmap_get(r->out->pm, spec ? spec : meta, &p);
        rc = sl_error_setpos(err, SL_EINVAL, file, p.line, p.col, "%s",
                             !name ? "the request needs metadata.name (a string)"
                                   : "the request needs a spec mapping");
        goto out;
    }
    /* ttl */
    if ((ttl = cJSON_GetObjectItemCaseSensitive(spec, "ttl")) && !cJSON_IsNull(ttl)) {
        int64_t secs, when = 0, now = sl_render_now(r->ctx), left;
        char left_s[32], ttl_s[32], date[32];
        time_t tw;
        struct tm tm;
        sl_error e2;
        sl_posmap_get(r->out->pm, ttl, &pos);
        if (!cJSON_IsString(ttl) || module_parse_ttl(ttl->valuestring, &secs)) {
            rc = sl_error_setpos(err, SL_EINVAL, file, pos.line, pos.col,
                                 "spec.ttl: expected a duration such as 7d, 36h, 2w or 1h30m");
            goto out;
        }
        sl_error_clear(&e2);
        rc = sl_snapshot_mtime(r->asnap, file, &when, &e2);
        if (rc) {
            sl_render_note(r->ctx,
                           "environment %s (%s): ttl %s not checked: %s; the environment is kept",
                           name, file, ttl->valuestring, e2.msg);
            rc = 0;
        } else {
            tw = (time_t)when;
            gmtime_r(&tw, &tm);
            strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
            module_fmt_dur(secs, ttl_s, sizeof(ttl_s));
            left = when + secs - now;
            module_fmt_dur(left, left_s, sizeof(left_s));
            if (left <= 0) {
                sl_render_event(r->ctx,
                                "environment %s (%s) expired %s ago (ttl %s from %s): not "
                                "rendered, %s",
                                name, file, left_s, ttl->valuestring, date,
                                r->app->prune ? "so its objects are pruned"
                                              : "but prune is off for this app, so its objects "
                                                "stay on the target until deleted by hand");
                goto out;
            }
            sl_render_note(r->ctx, "environment %s (%s) expires in %s (ttl %s from %s)", name,
                           file, left_s, ttl->valuestring, date);
        }
    }
    if ((rc = sl_hcl_arena_new(0, &a))) {
        sl_error_set(err, rc, "out of memory");
        goto out;
    }
    /* variables from the options are defaults; the request's spec wins */
    rc = module_option_inputs(r, a, &inputs, &n, &cap);
    if (!rc && tf_module_var(r->root, "name") >= 0 &&
        !cJSON_GetObjectItemCaseSensitive(spec, "name"))
        rc = module_input(r, a, "name", cJSON_GetObjectItemCaseSensitive(meta, "name"), file,
                          &inputs, &n, &cap);
    if (!rc)
        rc = module_inputs(r, a, spec, file, "ttl", &inputs, &n, &cap);
    if (rc) {
        if (rc == SL_ENOMEM)
            sl_error_set(err, rc, "out of memory");
        else
            module_diag_error(r, rc, err);
        goto out;
    }
    call = module_node_range(r, spec, file);
    rc = module_eval(r, inputs, n, call, file, docs.pos[0].line, docs.pos[0].col, err);
    if (rc && rc != SL_ENOMEM)
        rc = module_diag_error(r, rc, err);
out:
    for (size_t i = 0; i < docs.n; i++)
        if (docs.v[i])
            sl_posmap_forget(r->out->pm, docs.v[i]);
    sl_docv_free(&docs);
    free(inputs);
    sl_hcl_arena_free(a);
    sl_buf_free(&data);
    return rc;
}

static int module_render(const sl_app *app, sl_render_ctx *ctx, sl_objset *out, sl_error *err)
{
    const module_opts *o = app->opts;
    const char *entry = NULL;
    module_run r;
    sl_strv files = SL_STRV_INIT;
    sl_buf norm = SL_BUF_INIT;
    int rc;

    memset(&r, 0, sizeof(r));
    r.app = app;
    r.o = o;
    r.ctx = ctx;
    r.out = out;
    if ((rc = ctx->snapshot(ctx, o->source, &r.msnap, err)) ||
        (rc = ctx->snapshot(ctx, NULL, &r.asnap, err)))
        goto out;
    if ((rc = sl_path_normalize(o->path, &norm, err)))
        goto out;
    tf_cache_init(&r.cache, r.msnap);
    r.fs.ud = r.msnap;
    r.fs.read = module_fs_read;
    r.fs.exists = module_fs_exists;
    rc = tf_cache_load(&r.cache, norm.ptr, 0, &r.root, &r.diags);
    if (rc == SL_ENOTFOUND) {
        rc = sl_error_set(err, rc, "module %s not found in source %s at %.12s (no .tf files)",
                          norm.ptr[0] ? norm.ptr : ".", r.msnap->source, r.msnap->revision);
        goto out;
    }
    if (rc) {
        if (rc == SL_ENOMEM)
            sl_error_set(err, rc, "out of memory");
        else
            module_diag_error(&r, rc, err);
        goto out;
    }
    if (app->vars && !o->requests) {
        const char *p = sl_doc_str(app->vars, "path");
        if (p && sl_snapshot_isdir(r.asnap, p, NULL) == 0)
            entry = p;
    }
    if (o->requests) {
        if ((rc = sl_snapshot_glob(r.asnap, o->requests, &files, err)))
            goto out;
        for (size_t i = 0; !rc && i < files.n; i++)
            rc = module_request(&r, files.v[i], err);
    } else if (entry) {
        rc = module_request(&r, entry, err);
    } else {
        rc = module_direct(&r, err);
    }
out:
    sl_strv_free(&files);
    sl_buf_free(&norm);
    tf_cache_fini(&r.cache);
    sl_hcl_diags_free(&r.diags);
    return rc;
}

const sl_renderer_ops sl_renderer_module = {
    .kind = "module",
    .configure = module_configure,
    .free_opts = module_free_opts,
    .render = module_render,
};
