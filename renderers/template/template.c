/* template.c: the `template` renderer. Manifest files written as Jinja2 (or
 * Nunjucks) templates are rendered with values from the app's config, the
 * app itself and the Backstage catalog-info.yaml beside the app's entry,
 * then read as manifests. One templated policy can so be stamped into
 * every team namespace.
 *
 *   render:
 *     template:
 *       files: GLOB                  # or a list; "source:GLOB" reads another source
 *       values: { namespaces: [a, b] }
 *       dialect: jinja2              # or nunjucks
 *       delimiters: jinja             # or backstage: ${{ }} variables
 *       keepTrailingNewline: false
 *       catalog: true                # read catalog-info.yaml beside the app's entry
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja.h"
#include "sl_app.h"
#include "sl_render.h"

typedef struct tmpl_glob {
    char *source; /* NULL = the app's source */
    char *pattern;
} tmpl_glob;

typedef struct template_opts {
    tmpl_glob *files;
    size_t nfiles;
    cJSON *values; /* owned object */
    int nunjucks;
    int backstage;
    int keep_nl;
    int catalog;
} template_opts;

static void template_free_opts(void *p)
{
    template_opts *o = p;

    if (!o)
        return;
    for (size_t i = 0; i < o->nfiles; i++) {
        free(o->files[i].source);
        free(o->files[i].pattern);
    }
    free(o->files);
    cJSON_Delete(o->values);
    free(o);
}

/* "source:pattern" or "pattern"; a source name has no '/' or '*'. */
static int add_glob(template_opts *o, const char *s)
{
    const char *colon = strchr(s, ':');
    tmpl_glob *g;
    tmpl_glob *nv = realloc(o->files, (o->nfiles + 1) * sizeof(*nv));

    if (!nv)
        return SL_ENOMEM;
    o->files = nv;
    g = &o->files[o->nfiles];
    memset(g, 0, sizeof(*g));
    if (colon && colon > s && strcspn(s, "/*?[") > (size_t)(colon - s)) {
        if (!(g->source = strndup(s, (size_t)(colon - s))))
            return SL_ENOMEM;
        s = colon + 1;
    }
    if (!(g->pattern = strdup(s))) {
        free(g->source);
        return SL_ENOMEM;
    }
    o->nfiles++;
    return 0;
}

static int template_configure(const cJSON *node, sl_confctx *c, void **out)
{
    static const char *const keys[] = {"files",   "values",  "dialect", "delimiters",
                                       "keepTrailingNewline", "catalog", NULL};
    template_opts *o = calloc(1, sizeof(*o));
    const cJSON *files, *values, *it;
    const char *dialect = NULL, *delims = NULL;
    int rc = 0;

    if (!o)
        return SL_ENOMEM;
    *out = o;
    o->catalog = 1;
    if (!node || !cJSON_IsObject(node))
        return sl_conf_error(c, node, "template needs options: { files: <glob or list>, values: "
                                      "{...} }");
    sl_conf_check_keys(c, node, keys);
    files = cJSON_GetObjectItemCaseSensitive(node, "files");
    if (cJSON_IsString(files)) {
        if (add_glob(o, files->valuestring))
            return SL_ENOMEM;
    } else if (cJSON_IsArray(files) && cJSON_GetArraySize(files) > 0) {
        cJSON_ArrayForEach(it, files)
        {
            if (!cJSON_IsString(it) || !it->valuestring[0])
                rc = sl_conf_error(c, it, "files entries must be non-empty glob strings");
            else if (add_glob(o, it->valuestring))
                return SL_ENOMEM;
        }
    } else {
        rc = sl_conf_error(c, files ? files : node,
                           "files is required: a glob (\"network/*.yaml.j2\") or a list of globs");
    }
    for (size_t i = 0; i < o->nfiles; i++) {
        if (!strstr(o->files[i].pattern, "{{")) {
            sl_buf norm = SL_BUF_INIT;
            sl_error err;
            if (sl_path_normalize(o->files[i].pattern, &norm, &err))
                rc = sl_conf_error(c, files, "files: %s", err.msg);
            sl_buf_free(&norm);
        }
    }
    values = cJSON_GetObjectItemCaseSensitive(node, "values");
    if (values && !cJSON_IsObject(values))
        rc = sl_conf_error(c, values, "values must be a map of names to values");
    else if (values && cJSON_GetObjectItemCaseSensitive(values, "app"))
        rc = sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(values, "app"),
                           "values: \"app\" is reserved (it holds the app's name, namespace "
                           "and path)");
    if (!(o->values = values ? cJSON_Duplicate(values, 1) : cJSON_CreateObject()))
        return SL_ENOMEM;
    sl_conf_str(c, node, "dialect", 0, &dialect);
    if (dialect && !strcmp(dialect, "nunjucks"))
        o->nunjucks = 1;
    else if (dialect && strcmp(dialect, "jinja2"))
        rc = sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(node, "dialect"),
                           "dialect must be jinja2 or nunjucks, not \"%s\"", dialect);
    sl_conf_str(c, node, "delimiters", 0, &delims);
    if (delims && !strcmp(delims, "backstage"))
        o->backstage = 1;
    else if (delims && strcmp(delims, "jinja"))
        rc = sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(node, "delimiters"),
                           "delimiters must be jinja ({{ }}) or backstage (${{ }}), not \"%s\"",
                           delims);
    sl_conf_bool(c, node, "keepTrailingNewline", &o->keep_nl);
    sl_conf_bool(c, node, "catalog", &o->catalog);
    return rc;
}

/* The first document of catalog-info.yaml in the app's folder, or NULL. */
static int read_catalog(const sl_app *app, sl_render_ctx *ctx, sl_snapshot *snap, cJSON **out,
                        sl_error *err)
{
    sl_buf path = SL_BUF_INIT, data = SL_BUF_INIT;
    sl_docv dv = {0};
    int rc;

    *out = NULL;
    sl_buf_printf(&path, "%s%scatalog-info.yaml", app->path, app->path[0] ? "/" : "");
    if (!path.ptr) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    rc = sl_snapshot_read(snap, path.ptr, ctx->limits.max_file_bytes, &data, err);
    if (rc == SL_ENOTFOUND || rc == SL_EINVAL) {
        rc = 0;
        goto out;
    }
    if (rc || (rc = sl_doc_parse(path.ptr, data.ptr ? data.ptr : "", data.len, &ctx->limits, NULL,
                                 &dv, err)))
        goto out;
    if (dv.n) {
        *out = dv.v[0];
        dv.v[0] = NULL;
    }
out:
    sl_docv_free(&dv);
    sl_buf_free(&path);
    sl_buf_free(&data);
    return rc;
}

/* values + app + catalog (+ namespace when it can be told). */
static int build_context(const sl_app *app, const template_opts *o, cJSON *catalog, cJSON **out,
                         sl_error *err)
{
    cJSON *c = cJSON_Duplicate(o->values, 1), *a = cJSON_CreateObject(), *it;
    const char *ns = NULL;

    if (!c || !a)
        goto oom;
    if (!cJSON_AddStringToObject(a, "name", app->name) ||
        !cJSON_AddStringToObject(a, "path", app->path))
        goto oom;
    if (app->namespace && !cJSON_AddStringToObject(a, "namespace", app->namespace))
        goto oom;
    cJSON_ArrayForEach(it, app->vars)
    {
        cJSON *dup;
        if (cJSON_GetObjectItemCaseSensitive(a, it->string))
            continue;
        if (!(dup = cJSON_Duplicate(it, 1)))
            goto oom;
        cJSON_AddItemToObject(a, it->string, dup);
    }
    cJSON_AddItemToObject(c, "app", a);
    a = NULL;
    if (catalog) {
        const cJSON *ann = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(catalog, "metadata"), "annotations");
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(ann, "backstage.io/kubernetes-namespace");
        if (cJSON_IsString(k))
            ns = k->valuestring;
        if (!cJSON_GetObjectItemCaseSensitive(c, "catalog")) {
            cJSON *dup = cJSON_Duplicate(catalog, 1);
            if (!dup)
                goto oom;
            cJSON_AddItemToObject(c, "catalog", dup);
        }
    }
    if (!ns)
        ns = app->namespace;
    if (ns && !cJSON_GetObjectItemCaseSensitive(c, "namespace") &&
        !cJSON_AddStringToObject(c, "namespace", ns))
        goto oom;
    *out = c;
    return 0;
oom:
    cJSON_Delete(a);
    cJSON_Delete(c);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
}

static int template_render(const sl_app *app, sl_render_ctx *ctx, sl_objset *out, sl_error *err)
{
    const template_opts *o = app->opts;
    sl_snapshot *own, *snap;
    cJSON *catalog = NULL, *context = NULL;
    sl_jinja_ctx *jctx = NULL;
    sl_strv seen = SL_STRV_INIT;
    sl_buf data = SL_BUF_INIT, text = SL_BUF_INIT;
    int rc;

    if ((rc = ctx->snapshot(ctx, NULL, &own, err)))
        goto out;
    if (o->catalog && (rc = read_catalog(app, ctx, own, &catalog, err)))
        goto out;
    if ((rc = build_context(app, o, catalog, &context, err)) ||
        (rc = sl_jinja_ctx_new(context, &jctx, err)))
        goto out;
    for (size_t g = 0; g < o->nfiles; g++) {
        sl_strv matches = SL_STRV_INIT, files = SL_STRV_INIT;
        const tmpl_glob *tg = &o->files[g];
        snap = own;
        if (tg->source && (rc = ctx->snapshot(ctx, tg->source, &snap, err)))
            goto out;
        if ((rc = sl_snapshot_glob(snap, tg->pattern, &matches, err)))
            goto next;
        for (size_t i = 0; !rc && i < matches.n; i++) {
            rc = sl_snapshot_isdir(snap, matches.v[i], err);
            if (rc == 1)
                rc = sl_snapshot_walk(snap, matches.v[i], &files, err);
            else if (rc == 0)
                rc = sl_strv_push(&files, matches.v[i]) ? sl_error_set(err, SL_ENOMEM, "out of memory") : 0;
        }
        if (rc)
            goto next;
        if (!files.n) {
            rc = sl_error_set(err, SL_ENOTFOUND, "template files \"%s\" match nothing in source %s at %s",
                              tg->pattern, snap->source, snap->revision);
            goto next;
        }
        sl_strv_sort(&files);
        for (size_t i = 0; !rc && i < files.n; i++) {
            char key[1024];
            sl_jinja *t = NULL;
            sl_jinja_opts jo = {0};
            snprintf(key, sizeof(key), "%s:%s", snap->source, files.v[i]);
            if (sl_strv_contains(&seen, key))
                continue;
            if (sl_strv_push(&seen, key)) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                break;
            }
            sl_buf_reset(&data);
            sl_buf_reset(&text);
            if ((rc = sl_snapshot_read(snap, files.v[i], ctx->limits.max_file_bytes, &data, err)))
                break;
            jo.dialect = o->nunjucks ? SL_JINJA_NUNJUCKS : SL_JINJA_JINJA2;
            jo.backstage_delims = o->backstage;
            jo.keep_trailing_newline = o->keep_nl;
            jo.file = files.v[i];
            jo.line = jo.col = 1;
            text.max = ctx->limits.max_file_bytes ? ctx->limits.max_file_bytes * 16 : 0;
            if (!(rc = sl_jinja_parse(data.ptr ? data.ptr : "", data.len, &jo, &t, err)))
                rc = sl_jinja_render_ctx(t, jctx, &text, err);
            sl_jinja_free(t);
            if (rc == SL_ELIMIT && text.max)
                sl_error_prefix(err, "rendering %s", files.v[i]);
            if (!rc)
                rc = sl_render_add_manifests(app, ctx, files.v[i], text.ptr ? text.ptr : "",
                                             text.len, out, err);
        }
    next:
        sl_strv_free(&matches);
        sl_strv_free(&files);
        if (rc)
            goto out;
    }
out:
    sl_jinja_ctx_free(jctx);
    cJSON_Delete(catalog);
    cJSON_Delete(context);
    sl_strv_free(&seen);
    sl_buf_free(&data);
    sl_buf_free(&text);
    return rc;
}

const sl_renderer_ops sl_renderer_template = {
    .kind = "template",
    .configure = template_configure,
    .free_opts = template_free_opts,
    .render = template_render,
};
