/* app.c: turning app specs into concrete apps (the each: generator). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_app.h"

int sl_app_subst(const char *tmpl, const cJSON *vars, char **out, sl_error *err)
{
    sl_buf b = SL_BUF_INIT;
    const char *s = tmpl;
    int rc = 0;

    *out = NULL;
    while (*s) {
        const char *open = strstr(s, "{{"), *close, *a, *z;
        char name[64];
        const cJSON *v;
        if (!open) {
            rc = sl_buf_puts(&b, s);
            break;
        }
        if ((rc = sl_buf_put(&b, s, (size_t)(open - s))))
            break;
        close = strstr(open + 2, "}}");
        if (!close) {
            rc = sl_error_set(err, SL_EINVAL, "unterminated \"{{\" in \"%s\"", tmpl);
            break;
        }
        for (a = open + 2; a < close && isspace((unsigned char)*a); a++)
            ;
        for (z = close; z > a && isspace((unsigned char)z[-1]); z--)
            ;
        if (z == a || (size_t)(z - a) >= sizeof(name)) {
            rc = sl_error_set(err, SL_EINVAL, "empty or overlong variable in \"%s\"", tmpl);
            break;
        }
        memcpy(name, a, (size_t)(z - a));
        name[z - a] = '\0';
        v = vars ? cJSON_GetObjectItemCaseSensitive(vars, name) : NULL;
        if (!cJSON_IsString(v)) {
            rc = sl_error_set(err, SL_EINVAL,
                              "unknown variable \"%s\" in \"%s\" (known: path, base, dir, "
                              "dirpath%s)",
                              name, tmpl, vars ? "" : "; only apps with each: have variables");
            break;
        }
        if ((rc = sl_buf_puts(&b, v->valuestring)))
            break;
        s = close + 2;
    }
    if (rc) {
        if (rc == SL_ENOMEM || rc == SL_ELIMIT)
            sl_error_set(err, rc, "out of memory");
        sl_buf_free(&b);
        return rc;
    }
    *out = sl_buf_detach(&b);
    return *out ? 0 : sl_error_set(err, SL_ENOMEM, "out of memory");
}

/* Substitute holes in every string of node, in place. */
static int app_subst_tree(cJSON *node, const cJSON *vars, const sl_posmap *pm, sl_error *err)
{
    cJSON *it;

    if (cJSON_IsString(node) && strstr(node->valuestring, "{{")) {
        char *v;
        int rc = sl_app_subst(node->valuestring, vars, &v, err);
        if (rc) {
            sl_pos pos;
            if (sl_posmap_get(pm, node, &pos) == 0) {
                snprintf(err->file, sizeof(err->file), "%s", pos.file);
                err->line = pos.line;
                err->col = pos.col;
            }
            return rc;
        }
        cJSON_free(node->valuestring);
        node->valuestring = v;
        return 0;
    }
    cJSON_ArrayForEach(it, node)
    {
        int rc = app_subst_tree(it, vars, pm, err);
        if (rc)
            return rc;
    }
    return 0;
}

void sl_app_free(sl_app *app)
{
    if (!app)
        return;
    if (app->owns_opts && app->opts)
        app->renderer->free_opts(app->opts);
    free(app->name);
    free(app->path);
    cJSON_Delete(app->vars);
    free(app);
}

void sl_appv_free(sl_appv *av)
{
    if (!av)
        return;
    for (size_t i = 0; i < av->n; i++)
        sl_app_free(av->v[i]);
    free(av->v);
    av->v = NULL;
    av->n = av->cap = 0;
}

static int appv_push(sl_appv *av, sl_app *app)
{
    if (av->n == av->cap) {
        size_t cap = av->cap ? av->cap * 2 : 8;
        sl_app **v = realloc(av->v, cap * sizeof(*v));
        if (!v)
            return SL_ENOMEM;
        av->v = v;
        av->cap = cap;
    }
    av->v[av->n++] = app;
    return 0;
}

/* Variables for one generator match: path (the match), base (its last
 * segment), stem (base without its last extension, as Python's
 * PurePath.stem: "a.yaml" -> "a", ".env" -> ".env"), dir and dirpath (the
 * folder holding the match). The app's
 * path, where renderers look by default, is the match itself when it is a
 * folder, else the folder holding it. */
static cJSON *app_vars(sl_snapshot *snap, const char *match, char **path_out)
{
    cJSON *vars = cJSON_CreateObject();
    const char *slash = strrchr(match, '/');
    char *dirpath = slash ? strndup(match, (size_t)(slash - match)) : strdup("");
    const char *dir, *base = slash ? slash + 1 : match, *dot = strrchr(base, '.');
    char *stem = NULL;
    int isdir = sl_snapshot_isdir(snap, match, NULL) == 1;

    if (!vars || !dirpath)
        goto fail;
    stem = dot && dot != base ? strndup(base, (size_t)(dot - base)) : strdup(base);
    if (!stem)
        goto fail;
    dir = strrchr(dirpath, '/');
    dir = dir ? dir + 1 : dirpath;
    if (!cJSON_AddStringToObject(vars, "path", match) ||
        !cJSON_AddStringToObject(vars, "base", base) ||
        !cJSON_AddStringToObject(vars, "stem", stem) ||
        !cJSON_AddStringToObject(vars, "dirpath", dirpath) ||
        !cJSON_AddStringToObject(vars, "dir", dir))
        goto fail;
    free(stem);
    stem = NULL;
    if (isdir) {
        free(dirpath);
        dirpath = strdup(match);
        if (!dirpath)
            goto fail;
    }
    *path_out = dirpath;
    return vars;
fail:
    cJSON_Delete(vars);
    free(dirpath);
    free(stem);
    return NULL;
}

int sl_app_expand(const sl_config *cfg, const sl_appspec *spec, sl_snapshot *snap, sl_appv *out,
                  sl_error *err)
{
    sl_strv matches = SL_STRV_INIT;
    sl_app *app = NULL;
    cJSON *opts = NULL;
    int rc = 0;

    (void)cfg;
    if (!spec->each) {
        app = calloc(1, sizeof(*app));
        if (!app || !(app->name = strdup(spec->name)) || !(app->path = strdup(""))) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        app->spec = spec;
        app->source = spec->source;
        app->target = spec->target;
        app->renderer = spec->renderer;
        app->opts = spec->opts;
        app->namespace = spec->namespace;
        app->prune = spec->prune;
        app->max_prune_share = spec->max_prune_share;
        app->max_prune_count = spec->max_prune_count;
        app->allow_empty = spec->allow_empty;
        if ((rc = appv_push(out, app)))
            goto out;
        return 0;
    }
    if ((rc = sl_snapshot_glob(snap, spec->each, &matches, err)))
        goto out;
    for (size_t i = 0; i < matches.n; i++) {
        sl_diags diags = {0};
        sl_confctx c = {.file = spec->pos.file, .pm = NULL, .diags = &diags};
        app = calloc(1, sizeof(*app));
        if (!app || !(app->vars = app_vars(snap, matches.v[i], &app->path))) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        app->spec = spec;
        app->source = spec->source;
        app->target = spec->target;
        app->renderer = spec->renderer;
        app->namespace = spec->namespace;
        app->prune = spec->prune;
        app->max_prune_share = spec->max_prune_share;
        app->max_prune_count = spec->max_prune_count;
        app->allow_empty = spec->allow_empty;
        if ((rc = sl_app_subst(spec->name, app->vars, &app->name, err))) {
            sl_error_prefix(err, "app at %s:%d", spec->pos.file, spec->pos.line);
            goto out;
        }
        for (size_t j = 0; j < out->n; j++)
            if (!strcmp(out->v[j]->name, app->name)) {
                rc =
                    sl_error_setpos(err, SL_EDUP, spec->pos.file, spec->pos.line, spec->pos.col,
                                    "two apps are named \"%s\" (from %s)", app->name, matches.v[i]);
                goto out;
            }
        if (spec->render_opts) {
            opts = cJSON_Duplicate(spec->render_opts, 1);
            if (!opts) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out;
            }
            if ((rc = app_subst_tree(opts, app->vars, NULL, err)))
                goto out;
        }
        c.file = spec->pos.file;
        rc = spec->renderer->configure(opts, &c, &app->opts);
        if (rc || diags.n) {
            rc = sl_error_setpos(err, SL_EINVAL, diags.n ? diags.v[0].file : spec->pos.file,
                                 diags.n ? diags.v[0].line : spec->pos.line,
                                 diags.n ? diags.v[0].col : spec->pos.col, "app \"%s\": %s",
                                 app->name, diags.n ? diags.v[0].msg : "bad renderer options");
            sl_diags_free(&diags);
            goto out;
        }
        app->owns_opts = 1;
        cJSON_Delete(opts);
        opts = NULL;
        if ((rc = appv_push(out, app)))
            goto out;
        app = NULL;
    }
out:
    cJSON_Delete(opts);
    sl_app_free(app);
    sl_strv_free(&matches);
    return rc;
}
