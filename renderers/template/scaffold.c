/* scaffold.c: `sluice scaffold`: the command line, and Backstage software
 * templates (scaffolder.backstage.io/v1beta3) run offline: parameters
 * validated against their JSON schema, then the steps fetch:template,
 * fetch:plain, fetch:plain:file, publish:git, publish:github,
 * catalog:register and debug:log, in order, over an in-memory workspace.
 * Nothing is written locally before every step has succeeded. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jinja.h"
#include "scaffold_int.h"
#include "sl_doc.h"
#include "sl_jsonschema.h"
#include "sl_scaffold.h"

enum { SC_EXIT_OK = 0, SC_EXIT_ERROR = 2 };

#define SC_GIT_HEX 41

static const char *const sc_usage =
    "usage: sluice scaffold TEMPLATE [-o DIR] [options]\n"
    "\n"
    "Run a Backstage software template (a template.yaml of kind Template, or a\n"
    "folder holding one) or a cookiecutter skeleton (a folder holding\n"
    "cookiecutter.json) without a Backstage server. Answers come from --values\n"
    "and --set; there are no prompts. Every file is rendered in memory first: an\n"
    "error anywhere (template syntax, an undefined variable, an answer the\n"
    "parameter schema refuses, a path leaving the output folder) writes nothing.\n"
    "\n"
    "options:\n"
    "  -o, --output DIR        write the result here (Backstage: the workspace; it must\n"
    "                          not exist or be empty. cookiecutter: the folder that gets\n"
    "                          the rendered project folder, default .)\n"
    "  -f, --values FILE       answers (YAML or JSON mapping)\n"
    "      --set KEY=VALUE     one answer (repeatable; dotted keys nest; user.ref=...\n"
    "                          sets the Backstage user context)\n"
    "      --token-file FILE   token for http(s) git remotes (publish:*, catalog:register)\n"
    "      --catalog DIR|URL   the catalog repository catalog:register commits into\n"
    "                          (a local checkout, or a git URL that is cloned and pushed)\n"
    "      --github-url-base URL\n"
    "                          where publish:github pushes (default https://HOST from\n"
    "                          repoUrl; $SLUICE_GITHUB_URL_BASE also sets it)\n"
    "      --allow-hooks       run cookiecutter hooks (hooks/pre_gen_project.*,\n"
    "                          post_gen_project.*); they are skipped by default\n"
    "      --no-input          accepted for cookiecutter compatibility (never prompts)\n"
    "  -q, --quiet             print only errors and the output links\n"
    "  -h, --help              this help\n"
    "\n"
    "Exit status: 0 done, 2 error.\n";

void sl_scaffold_usage(FILE *f)
{
    fputs(sc_usage, f);
}

/* ---- shared helpers ---- */

static void sc_print_error(const sl_error *err)
{
    char buf[2048];

    sl_error_format(err, buf, sizeof(buf));
    fprintf(stderr, "error: %s\n", buf);
}

/* Set a dotted key ("a.b.c") in obj to v (taken), creating objects. */
static int sc_set_dotted(cJSON *obj, const char *key, cJSON *v, sl_error *err)
{
    const char *dot;
    char seg[256];

    while ((dot = strchr(key, '.'))) {
        size_t n = (size_t)(dot - key);
        cJSON *child;
        if (!n || n >= sizeof(seg)) {
            cJSON_Delete(v);
            return sl_error_set(err, SL_EINVAL, "--set: bad key \"%s\"", key);
        }
        memcpy(seg, key, n);
        seg[n] = '\0';
        child = cJSON_GetObjectItemCaseSensitive(obj, seg);
        if (!cJSON_IsObject(child)) {
            cJSON_DeleteItemFromObjectCaseSensitive(obj, seg);
            if (!(child = cJSON_AddObjectToObject(obj, seg))) {
                cJSON_Delete(v);
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            }
        }
        obj = child;
        key = dot + 1;
    }
    if (!*key) {
        cJSON_Delete(v);
        return sl_error_set(err, SL_EINVAL, "--set: empty key");
    }
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v);
    else
        cJSON_AddItemToObject(obj, key, v);
    return 0;
}

/* A --set value typed as a plain YAML scalar reads (8080 a number, true a
 * bool), unless as_string. *out is the caller's. */
static int sc_scalar(const char *s, int as_string, cJSON **out, sl_error *err)
{
    sl_docv dv = {0};
    int rc;

    *out = NULL;
    if (!as_string && *s && !strchr(s, '\n') && sl_yaml_plain_kind(s, strlen(s)) != SL_YAML_STR &&
        sl_yaml_plain_kind(s, strlen(s)) != SL_YAML_TIMESTAMP) {
        if ((rc = sl_yaml_parse("--set", s, strlen(s), NULL, NULL, &dv, err)))
            return rc;
        if (dv.n == 1 && dv.v[0]) {
            *out = dv.v[0];
            dv.v[0] = NULL;
        }
        sl_docv_free(&dv);
        if (*out)
            return 0;
    }
    if (!(*out = cJSON_CreateString(s)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    return 0;
}

/* ---- the Backstage run ---- */

typedef struct bs_run {
    const sc_run_opts *o;
    char *dir; /* the template file's folder */
    sl_posmap *pm;
    sl_docv docs;
    const cJSON *tmpl; /* the Template document (borrowed from docs) */
    cJSON *ctx;        /* parameters, steps, user, secrets, templateInfo */
    sc_tree ws;        /* the workspace */
    char *token;
    int published;
} bs_run;

static void bs_pos(const bs_run *r, const cJSON *node, sl_pos *p)
{
    if (sl_posmap_get(r->pm, node, p) || !p->file || !*p->file) {
        p->file = r->o->template_file;
        p->line = 0;
        p->col = 0;
    }
}

static int bs_errat(const bs_run *r, sl_error *err, int code, const cJSON *node, const char *fmt,
                    ...) SL_PRINTF(5, 6);
static int bs_errat(const bs_run *r, sl_error *err, int code, const cJSON *node, const char *fmt,
                    ...)
{
    char msg[SL_ERROR_MSG_MAX];
    va_list ap;
    sl_pos p;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    bs_pos(r, node, &p);
    return sl_error_setpos(err, code, p.file, p.line, p.col, "%s", msg);
}

/* An error that came out of rendering a string: keep the engine's position
 * if it has one, else point at node. */
static int bs_fixpos(const bs_run *r, sl_error *err, const cJSON *node)
{
    sl_pos p;

    if (!err->file[0] || !err->line) {
        bs_pos(r, node, &p);
        snprintf(err->file, sizeof(err->file), "%s", p.file);
        err->line = p.line;
        err->col = p.col;
    }
    return err->code;
}

/* The engine options for a string found at node in the template file. */
static void bs_jopts(const bs_run *r, const cJSON *node, sl_jinja_opts *jo)
{
    sl_pos p;

    memset(jo, 0, sizeof(*jo));
    jo->dialect = SL_JINJA_NUNJUCKS;
    jo->backstage_delims = 1;
    jo->keep_trailing_newline = 1;
    bs_pos(r, node, &p);
    jo->file = p.file;
    jo->line = p.line ? p.line : 1;
    jo->col = p.col ? p.col : 1;
}

/* Render node (step input, output, an `if`) as Backstage does: every string
 * value through the engine, a lone ${{ expr }} keeping its type. Keys are
 * not rendered. *out is the caller's. */
static int bs_render_value(const bs_run *r, const cJSON *node, cJSON **out, sl_error *err)
{
    cJSON *res = NULL, *c;
    const cJSON *it;
    sl_jinja_opts jo;
    int rc = 0;

    *out = NULL;
    if (cJSON_IsString(node)) {
        bs_jopts(r, node, &jo);
        if ((rc = sl_jinja_eval_value(node->valuestring, strlen(node->valuestring), &jo, r->ctx,
                                      out, err)))
            bs_fixpos(r, err, node);
        return rc;
    }
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) {
        if (!(*out = cJSON_Duplicate(node, 1)))
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        return 0;
    }
    res = cJSON_IsObject(node) ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!res)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    cJSON_ArrayForEach(it, node)
    {
        if ((rc = bs_render_value(r, it, &c, err)))
            goto out;
        if (cJSON_IsObject(node))
            cJSON_AddItemToObject(res, it->string, c);
        else
            cJSON_AddItemToArray(res, c);
    }
    *out = res;
    res = NULL;
out:
    cJSON_Delete(res);
    return rc;
}

/* JavaScript truthiness, as Backstage tests `if:`. */
static int bs_truthy(const cJSON *v)
{
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
        return 0;
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    if (cJSON_IsString(v))
        return v->valuestring[0] != '\0';
    return 1;
}

/* Input accessors: a borrowed string or NULL; type errors point at the
 * template node. */
static int bs_in_str(const bs_run *r, const cJSON *in, const cJSON *src, const char *key,
                     int required, const char **out, sl_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    const cJSON *at = src ? cJSON_GetObjectItemCaseSensitive(src, key) : NULL;

    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return bs_errat(r, err, SL_EINVAL, at ? at : src, "input.%s is required", key);
        return 0;
    }
    if (!cJSON_IsString(v))
        return bs_errat(r, err, SL_EINVAL, at ? at : src, "input.%s must be a string", key);
    *out = v->valuestring;
    return 0;
}

static int bs_in_bool(const cJSON *in, const char *key, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);

    if (!v)
        return def;
    if (cJSON_IsString(v))
        return !strcmp(v->valuestring, "true");
    return bs_truthy(v);
}

/* Resolve a skeleton url (relative to the template's folder). *out is the
 * caller's. */
static int bs_local_url(const bs_run *r, const cJSON *at, const char *url, char **out,
                        sl_error *err)
{
    *out = NULL;
    if (strstr(url, "://"))
        return bs_errat(r, err, SL_EUNSUPPORTED, at,
                        "url \"%s\": only paths relative to the template are supported offline",
                        url);
    if (url[0] == '/')
        return bs_errat(r, err, SL_EINVAL, at, "url \"%s\" must be relative to the template", url);
    if (asprintf(out, "%s/%s", r->dir, url) < 0) {
        *out = NULL;
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    return 0;
}

/* The workspace path of targetPath ("" for the root). */
static int bs_target(const bs_run *r, const cJSON *in, const cJSON *src, sl_buf *out, sl_error *err)
{
    const char *tp;
    int rc;

    if ((rc = bs_in_str(r, in, src, "targetPath", 0, &tp, err)))
        return rc;
    if ((rc = sc_path_join("", tp ? tp : "./", "input.targetPath", out, err)))
        return bs_fixpos(r, err, cJSON_GetObjectItemCaseSensitive(src, "targetPath"));
    return 0;
}

/* Strings of an array input (patterns). */
static int bs_in_strv(const bs_run *r, const cJSON *in, const cJSON *src, const char *key,
                      sl_strv *out, sl_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key), *it;

    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsArray(v))
        return bs_errat(r, err, SL_EINVAL, cJSON_GetObjectItemCaseSensitive(src, key),
                        "input.%s must be a list of glob patterns", key);
    cJSON_ArrayForEach(it, v)
    {
        if (!cJSON_IsString(it))
            return bs_errat(r, err, SL_EINVAL, cJSON_GetObjectItemCaseSensitive(src, key),
                            "input.%s must be a list of strings", key);
        if (sl_strv_push(out, it->valuestring))
            return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    return 0;
}

/* Render a string (a file's contents or a path) to out with the given
 * engine options. */
int sc_render_text(const char *src, size_t len, const sl_jinja_opts *jo, const cJSON *ctx,
                   sl_buf *out, sl_error *err)
{
    sl_jinja *t = NULL;
    int rc;

    sl_buf_reset(out);
    if (!out->max)
        out->max = SC_MAX_FILE_BYTES;
    if (!(rc = sl_jinja_parse(src, len, jo, &t, err)))
        rc = sl_jinja_render(t, ctx, out, err);
    sl_jinja_free(t);
    if (!rc && sl_buf_puts(out, ""))
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    return rc;
}

/* 1 if any segment of path is "..". */
static int sc_has_dotdot(const char *path)
{
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return 1;
        p += n;
        if (*p)
            p++;
    }
    return 0;
}

/* 1 if path equals prefix or lies below it. */
static int sc_under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

/* fetch:template and fetch:plain (plain: nothing rendered). */
static int bs_fetch(bs_run *r, const cJSON *step, const cJSON *src, const cJSON *in, int plain,
                    cJSON **output, sl_error *err)
{
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(in, "values"), *ext_v;
    const char *url, *shown_url;
    char *skel = NULL, *ext = NULL, *display = NULL;
    sc_tree st = {0};
    sl_strv cwt = SL_STRV_INIT, cwr = SL_STRV_INIT, skipped = SL_STRV_INIT;
    sl_buf target = SL_BUF_INIT, rpath = SL_BUF_INIT, out = SL_BUF_INIT, body = SL_BUF_INIT;
    cJSON *fctx = NULL;
    sl_jinja_opts jo;
    int rc, compat = 0, replace, added = 0;

    (void)step;
    *output = NULL;
    if ((rc = bs_in_str(r, in, src, "url", 1, &url, err)) ||
        (rc = bs_local_url(r, cJSON_GetObjectItemCaseSensitive(src, "url"), url, &skel, err)) ||
        (rc = bs_target(r, in, src, &target, err)))
        goto out;
    replace = bs_in_bool(in, "replace", 0);
    if (!plain) {
        compat = bs_in_bool(in, "cookiecutterCompat", 0);
        if ((rc = bs_in_strv(r, in, src, "copyWithoutTemplating", &cwt, err)) ||
            (rc = bs_in_strv(r, in, src, "copyWithoutRender", &cwr, err)))
            goto out;
        ext_v = cJSON_GetObjectItemCaseSensitive(in, "templateFileExtension");
        if (cJSON_IsString(ext_v) && ext_v->valuestring[0]) {
            if (asprintf(&ext, "%s%s", ext_v->valuestring[0] == '.' ? "" : ".",
                         ext_v->valuestring) < 0)
                ext = NULL;
        } else if (bs_truthy(ext_v) && !cJSON_IsString(ext_v)) {
            ext = strdup(".njk");
        }
        if (ext && (cwt.n || cwr.n)) {
            rc = bs_errat(r, err, SL_EINVAL, src,
                          "templateFileExtension cannot be combined with copyWithoutTemplating "
                          "or copyWithoutRender");
            goto out;
        }
        if (values && !cJSON_IsObject(values)) {
            rc = bs_errat(r, err, SL_EINVAL, cJSON_GetObjectItemCaseSensitive(src, "values"),
                          "input.values must be a mapping");
            goto out;
        }
        if (!(fctx = cJSON_CreateObject()) ||
            !cJSON_AddItemToObject(fctx, compat ? "cookiecutter" : "values",
                                   values ? cJSON_Duplicate(values, 1) : cJSON_CreateObject())) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
    }
    if ((rc = sc_skel_read(skel, &st, err)))
        goto out;
    shown_url = url;
    while (shown_url[0] == '.' && shown_url[1] == '/')
        shown_url += 2;
    memset(&jo, 0, sizeof(jo));
    jo.dialect = SL_JINJA_NUNJUCKS;
    jo.backstage_delims = !compat;
    jo.keep_trailing_newline = 1;
    jo.line = 1;
    jo.col = 1;
    for (size_t i = 0; i < st.n; i++) {
        const sc_entry *e = &st.v[i];
        const char *outp = e->path;
        int render_contents = 0, render_name = 0, skip = 0;
        size_t plen = strlen(e->path);

        for (size_t k = 0; k < skipped.n && !skip; k++)
            skip = sc_under(e->path, skipped.v[k]);
        if (skip)
            continue;
        free(display);
        if (asprintf(&display, "%s/%s/%s", r->dir, shown_url, e->path) < 0) {
            display = NULL;
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        if (!plain) {
            if (ext) {
                render_contents = e->kind == SC_FILE && plen > strlen(ext) &&
                                  !strcmp(e->path + plen - strlen(ext), ext);
                render_name = 1;
            } else {
                int cw = 0, cr = 0;
                for (size_t k = 0; k < cwt.n && !cw; k++)
                    cw = sc_glob_match(cwt.v[k], e->path, 0);
                for (size_t k = 0; k < cwr.n && !cr; k++)
                    cr = sc_glob_match(cwr.v[k], e->path, 0);
                render_contents = !cw && !cr;
                render_name = !cr;
            }
        }
        sl_buf_reset(&rpath);
        if (render_name) {
            size_t n = render_contents && ext ? plen - strlen(ext) : plen;
            jo.file = display;
            if ((rc = sc_render_text(e->path, n, &jo, fctx, &rpath, err)))
                goto out;
        } else if (sl_buf_put(&rpath, e->path, plen) || sl_buf_puts(&rpath, "")) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        /* Backstage's conditional files: a name (or a folder's name) that
         * renders empty is skipped, with everything below it. */
        if (rpath.len == 0 || rpath.ptr[rpath.len - 1] == '/' || strstr(rpath.ptr, "//")) {
            if (e->kind == SC_DIR && sl_strv_push(&skipped, e->path)) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out;
            }
            continue;
        }
        if (rpath.ptr[0] == '/') {
            rc = sl_error_setpos(err, SL_ECONFINE, display, 0, 0,
                                 "the name renders to the absolute path \"%s\"; refused (it "
                                 "must stay in the output folder)",
                                 rpath.ptr);
            goto out;
        }
        if (sc_has_dotdot(rpath.ptr)) {
            rc = sl_error_setpos(err, SL_ECONFINE, display, 0, 0,
                                 "the name renders to \"%s\", which has a \"..\" segment; "
                                 "refused (it must stay in the output folder)",
                                 rpath.ptr);
            goto out;
        }
        if ((rc = sc_path_join(target.ptr, rpath.ptr, display, &out, err)))
            goto out;
        outp = out.ptr;
        if (!*outp)
            continue;
        if (e->kind == SC_LINK && !sc_link_inside(outp, e->data)) {
            rc = sl_error_setpos(err, SL_ECONFINE, display, 0, 0,
                                 "symlink to \"%s\" would point out of the output folder at "
                                 "%s; refused",
                                 e->data, outp);
            goto out;
        }
        if (e->kind == SC_FILE && render_contents && !sc_is_binary(e->data, e->len)) {
            jo.file = display;
            if ((rc = sc_render_text(e->data, e->len, &jo, fctx, &body, err)))
                goto out;
            rc = sc_tree_add(&r->ws, outp, SC_FILE, e->mode, body.ptr, body.len, replace, err);
        } else {
            rc = sc_tree_add(&r->ws, outp, e->kind, e->mode, e->data, e->len, replace, err);
        }
        if (rc < 0)
            goto out;
        if (rc == 0 && e->kind == SC_FILE)
            added++;
        rc = 0;
    }
    if (!r->o->quiet)
        fprintf(stderr, "  %d file%s from %s into %s\n", added, added == 1 ? "" : "s", url,
                target.ptr[0] ? target.ptr : ".");
out:
    free(skel);
    free(ext);
    free(display);
    sc_tree_free(&st);
    sl_strv_free(&cwt);
    sl_strv_free(&cwr);
    sl_strv_free(&skipped);
    sl_buf_free(&target);
    sl_buf_free(&rpath);
    sl_buf_free(&out);
    sl_buf_free(&body);
    cJSON_Delete(fctx);
    return rc;
}

/* fetch:plain:file: one file, copied to targetPath. */
static int bs_fetch_file(bs_run *r, const cJSON *src, const cJSON *in, cJSON **output,
                         sl_error *err)
{
    const char *url, *tp;
    char *path = NULL;
    sl_buf data = SL_BUF_INIT, target = SL_BUF_INIT;
    struct stat st;
    int rc;

    *output = NULL;
    if ((rc = bs_in_str(r, in, src, "url", 1, &url, err)) ||
        (rc = bs_in_str(r, in, src, "targetPath", 1, &tp, err)) ||
        (rc = bs_local_url(r, cJSON_GetObjectItemCaseSensitive(src, "url"), url, &path, err)))
        goto out;
    if ((rc = sc_path_join("", tp, "input.targetPath", &target, err))) {
        bs_fixpos(r, err, cJSON_GetObjectItemCaseSensitive(src, "targetPath"));
        goto out;
    }
    if (!target.ptr[0]) {
        rc = bs_errat(r, err, SL_EINVAL, cJSON_GetObjectItemCaseSensitive(src, "targetPath"),
                      "input.targetPath must name a file");
        goto out;
    }
    if ((rc = sl_file_read(path, SC_MAX_FILE_BYTES, &data, err)))
        goto out;
    if (stat(path, &st))
        st.st_mode = 0644;
    rc = sc_tree_add(&r->ws, target.ptr, SC_FILE, st.st_mode, data.ptr ? data.ptr : "", data.len,
                     bs_in_bool(in, "replace", 0), err);
    if (rc > 0)
        rc = 0;
out:
    free(path);
    sl_buf_free(&data);
    sl_buf_free(&target);
    return rc;
}

/* The git options shared by publish:git and publish:github. */
static int bs_git_opts(const bs_run *r, const cJSON *src, const cJSON *in, sc_git_opts *g,
                       sl_buf *subdir, sl_error *err)
{
    const char *sp;
    int rc;

    memset(g, 0, sizeof(*g));
    if ((rc = bs_in_str(r, in, src, "defaultBranch", 0, &g->branch, err)) ||
        (rc = bs_in_str(r, in, src, "gitCommitMessage", 0, &g->message, err)) ||
        (rc = bs_in_str(r, in, src, "gitAuthorName", 0, &g->author_name, err)) ||
        (rc = bs_in_str(r, in, src, "gitAuthorEmail", 0, &g->author_email, err)) ||
        (rc = bs_in_str(r, in, src, "sourcePath", 0, &sp, err)))
        return rc;
    if (!g->branch)
        g->branch = "main";
    if (!g->message)
        g->message = "initial commit";
    if ((rc = sc_path_join("", sp ? sp : "", "input.sourcePath", subdir, err)))
        return bs_fixpos(r, err, cJSON_GetObjectItemCaseSensitive(src, "sourcePath"));
    g->token = r->token;
    return 0;
}

/* Read --token-file once, when a remote wants it. */
static int bs_token(bs_run *r, const char *url, sl_error *err)
{
    if (r->token || !r->o->token_file)
        return 0;
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        return 0;
    return sc_token_read(r->o->token_file, &r->token, err);
}

static int bs_publish_out(const char *remote, const char *contents, const char *commit,
                          cJSON **output, sl_error *err)
{
    cJSON *o = cJSON_CreateObject();

    if (!o || !cJSON_AddStringToObject(o, "remoteUrl", remote) ||
        !cJSON_AddStringToObject(o, "repoContentsUrl", contents) ||
        !cJSON_AddStringToObject(o, "commitHash", commit)) {
        cJSON_Delete(o);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    *output = o;
    return 0;
}

/* publish:git: sluice's own action: the workspace (or sourcePath in it) as
 * the first commit of defaultBranch, pushed to remoteUrl. */
static int bs_publish_git(bs_run *r, const cJSON *src, const cJSON *in, cJSON **output,
                          sl_error *err)
{
    const char *url;
    char commit[SC_GIT_HEX], *contents = NULL;
    sl_buf sub = SL_BUF_INIT;
    sc_git_opts g;
    int rc;

    *output = NULL;
    if ((rc = bs_in_str(r, in, src, "remoteUrl", 1, &url, err)) ||
        (rc = bs_git_opts(r, src, in, &g, &sub, err)) || (rc = bs_token(r, url, err)))
        goto out;
    g.url = url;
    g.token = r->token;
    if ((rc = sc_git_publish(&r->ws, sub.ptr, &g, commit, err))) {
        sl_error_prefix(err, "publish:git");
        goto out;
    }
    if (asprintf(&contents, "%s/blob/%s", url, g.branch) < 0) {
        contents = NULL;
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (!r->o->quiet)
        fprintf(stderr, "  pushed %s to %s (%.12s)\n", g.branch, url, commit);
    r->published = 1;
    rc = bs_publish_out(url, contents, commit, output, err);
out:
    free(contents);
    sl_buf_free(&sub);
    return rc;
}

/* Parse "github.com?owner=o&repo=r" (Backstage's repoUrl). Returns 0 and
 * fills host, owner, repo (each the caller's). */
int sc_parse_repo_url(const char *s, char **host, char **owner, char **repo)
{
    const char *q = strchr(s, '?'), *p;

    *host = *owner = *repo = NULL;
    if (!q || q == s)
        return -1;
    *host = strndup(s, (size_t)(q - s));
    for (p = q + 1; *p;) {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        if (eq) {
            size_t kl = (size_t)(eq - p), vl = n - kl - 1;
            if (kl == 5 && !strncmp(p, "owner", 5) && !*owner)
                *owner = strndup(eq + 1, vl);
            else if (kl == 12 && !strncmp(p, "organization", 12) && !*owner)
                *owner = strndup(eq + 1, vl);
            else if (kl == 4 && !strncmp(p, "repo", 4) && !*repo)
                *repo = strndup(eq + 1, vl);
        }
        p += n;
        if (*p)
            p++;
    }
    if (!*host || !*owner || !*repo || !**owner || !**repo || strchr(*owner, '/') ||
        strchr(*repo, '/') || !strcmp(*repo, "..") || !strcmp(*owner, "..")) {
        free(*host);
        free(*owner);
        free(*repo);
        *host = *owner = *repo = NULL;
        return -1;
    }
    return 0;
}

/* publish:github: the remote is built from repoUrl; the repository must
 * exist (sluice pushes, it does not call the GitHub API to create it). */
static int bs_publish_github(bs_run *r, const cJSON *src, const cJSON *in, cJSON **output,
                             sl_error *err)
{
    const char *repo_url, *base = r->o->github_base;
    char *host = NULL, *owner = NULL, *repo = NULL, *remote = NULL, *html = NULL, *contents = NULL,
         commit[SC_GIT_HEX];
    sl_buf sub = SL_BUF_INIT;
    sc_git_opts g;
    int rc;

    *output = NULL;
    if ((rc = bs_in_str(r, in, src, "repoUrl", 1, &repo_url, err)) ||
        (rc = bs_git_opts(r, src, in, &g, &sub, err)))
        goto out;
    if (sc_parse_repo_url(repo_url, &host, &owner, &repo)) {
        rc = bs_errat(r, err, SL_EINVAL, cJSON_GetObjectItemCaseSensitive(src, "repoUrl"),
                      "input.repoUrl \"%s\" is not HOST?owner=OWNER&repo=REPO", repo_url);
        goto out;
    }
    if (!base || !*base)
        base = getenv("SLUICE_GITHUB_URL_BASE");
    if (asprintf(&html, "https://%s/%s/%s", host, owner, repo) < 0 ||
        asprintf(&remote, "%s/%s/%s.git", base && *base ? base : html, base && *base ? owner : "",
                 base && *base ? repo : "") < 0 ||
        asprintf(&contents, "%s/blob/%s", html, g.branch) < 0) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (!(base && *base)) {
        /* remote = html + ".git" */
        free(remote);
        if (asprintf(&remote, "%s.git", html) < 0) {
            remote = NULL;
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
    }
    if ((rc = bs_token(r, remote, err)))
        goto out;
    g.url = remote;
    g.token = r->token;
    if ((rc = sc_git_publish(&r->ws, sub.ptr, &g, commit, err))) {
        sl_error_prefix(err, "publish:github");
        goto out;
    }
    if (!r->o->quiet)
        fprintf(stderr, "  pushed %s to %s (%.12s)\n", g.branch, remote, commit);
    r->published = 1;
    rc = bs_publish_out(html, contents, commit, output, err);
out:
    free(host);
    free(owner);
    free(repo);
    free(remote);
    free(html);
    free(contents);
    sl_buf_free(&sub);
    return rc;
}

/* In the catalog's root catalog-info.yaml (a Location), append
 * "./<entry>" to spec.targets unless a target already matches it. Done on
 * the text, so comments and layout stay. *out is the new text or NULL when
 * nothing changes (caller's). */
int sc_location_append(const char *text, const char *entry, char **out)
{
    const char *p, *tl = NULL, *last_item = NULL, *line;
    size_t indent = 0;
    sl_buf b = SL_BUF_INIT;

    *out = NULL;
    for (line = text; *line; line = p) {
        const char *s = line;
        p = strchr(line, '\n');
        p = p ? p + 1 : line + strlen(line);
        while (s < p && *s == ' ')
            s++;
        if (!tl) {
            if (!strncmp(s, "targets:", 8))
                tl = line;
            continue;
        }
        if (s < p && *s == '-') {
            const char *v = s + 1, *ve;
            char pat[512];
            while (v < p && *v == ' ')
                v++;
            ve = p;
            while (ve > v && (ve[-1] == '\n' || ve[-1] == ' ' || ve[-1] == '\r'))
                ve--;
            if ((*v == '"' || *v == '\'') && ve - v >= 2 && ve[-1] == *v) {
                v++;
                ve--;
            }
            if ((size_t)(ve - v) < sizeof(pat)) {
                memcpy(pat, v, (size_t)(ve - v));
                pat[ve - v] = '\0';
                if (sc_glob_match(pat, entry, 0))
                    return 0; /* already covered */
            }
            last_item = line;
            indent = (size_t)(s - line);
            continue;
        }
        if (s < p && *s != '\n' && *s != '#')
            break; /* the list ended */
    }
    if (!last_item)
        return 0;
    p = strchr(last_item, '\n');
    p = p ? p + 1 : last_item + strlen(last_item);
    if (sl_buf_put(&b, text, (size_t)(p - text)) || (p[-1] != '\n' && sl_buf_putc(&b, '\n')))
        goto nomem;
    for (size_t i = 0; i < indent; i++)
        if (sl_buf_putc(&b, ' '))
            goto nomem;
    if (sl_buf_printf(&b, "- ./%s\n", entry) || sl_buf_puts(&b, p))
        goto nomem;
    *out = sl_buf_detach(&b);
    return *out ? 0 : SL_ENOMEM;
nomem:
    sl_buf_free(&b);
    return SL_ENOMEM;
}

/* sc_git_opts.prepare for catalog:register: the root catalog-info.yaml of
 * the checkout gets the new entry (arg) appended to its targets. */
static int bs_catalog_prepare(const char *root, void *arg, sc_tree *edits, sl_error *err)
{
    sl_buf rt = SL_BUF_INIT, rp = SL_BUF_INIT;
    sl_error ignore;
    char *new_root = NULL;
    int rc = 0;

    if (sl_buf_printf(&rp, "%s/catalog-info.yaml", root)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (sl_file_read(rp.ptr, 1 << 20, &rt, &ignore) || !rt.ptr)
        goto out; /* no root Location: nothing to append to */
    if (sc_location_append(rt.ptr, arg, &new_root)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (new_root && (rc = sc_tree_add(edits, "catalog-info.yaml", SC_FILE, 0644, new_root,
                                      strlen(new_root), 1, err)) > 0)
        rc = 0;
out:
    free(new_root);
    sl_buf_free(&rt);
    sl_buf_free(&rp);
    return rc;
}

/* catalog:register: add the new component to the catalog repository
 * (--catalog): <catalogPath>/catalog-info.yaml (the workspace's entity file
 * when there is one, else a Location pointing at catalogInfoUrl), the
 * workspace paths named in `copy`, and the root Location's targets; then
 * commit (and push, for a URL). */
static int bs_catalog_register(bs_run *r, const cJSON *src, const cJSON *in, cJSON **output,
                               sl_error *err)
{
    const char *info_url, *contents, *info_path, *cat_path, *sp, *name = NULL;
    const cJSON *copy = cJSON_GetObjectItemCaseSensitive(in, "copy"), *it;
    char *url = NULL, *ref = NULL, commit[SC_GIT_HEX];
    sl_buf ws_info = SL_BUF_INIT, dest = SL_BUF_INIT, from = SL_BUF_INIT, tmp = SL_BUF_INIT;
    sl_docv dv = {0};
    sc_tree files = {0};
    const sc_entry *e;
    sc_git_opts g;
    sl_error perr;
    int rc;

    *output = NULL;
    if ((rc = bs_in_str(r, in, src, "catalogInfoUrl", 0, &info_url, err)) ||
        (rc = bs_in_str(r, in, src, "repoContentsUrl", 0, &contents, err)) ||
        (rc = bs_in_str(r, in, src, "catalogInfoPath", 0, &info_path, err)) ||
        (rc = bs_in_str(r, in, src, "catalogPath", 0, &cat_path, err)) ||
        (rc = bs_in_str(r, in, src, "sourcePath", 0, &sp, err)))
        goto out;
    if (!info_path)
        info_path = "/catalog-info.yaml";
    if (!info_url && !contents) {
        rc = bs_errat(r, err, SL_EINVAL, src,
                      "input.catalogInfoUrl or input.repoContentsUrl "
                      "is required");
        goto out;
    }
    if (!info_url) {
        if (asprintf(&url, "%s%s%s", contents, info_path[0] == '/' ? "" : "/", info_path) < 0) {
            url = NULL;
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        info_url = url;
    }
    if (!r->o->catalog) {
        if (bs_in_bool(in, "optional", 0)) {
            if (!r->o->quiet)
                fprintf(stderr, "  no --catalog given; skipped (optional)\n");
            goto out;
        }
        rc = bs_errat(r, err, SL_EINVAL, src, "catalog:register needs --catalog DIR|URL");
        goto out;
    }
    /* The component's own catalog-info.yaml from the workspace. */
    if ((rc = sc_path_join(sp ? sp : "", info_path[0] == '/' ? info_path + 1 : info_path,
                           "input.catalogInfoPath", &ws_info, err)))
        goto out;
    e = sc_tree_get(&r->ws, ws_info.ptr);
    if (e && e->kind == SC_FILE) {
        if (sl_yaml_parse(ws_info.ptr, e->data, e->len, NULL, NULL, &dv, &perr) == 0 && dv.n &&
            cJSON_IsObject(dv.v[0]))
            name = sl_doc_str(cJSON_GetObjectItemCaseSensitive(dv.v[0], "metadata"), "name");
    }
    if (!cat_path) {
        if (!name) {
            rc = bs_errat(r, err, SL_EINVAL, src,
                          "cannot tell the component's name (no %s with metadata.name in the "
                          "workspace): set input.catalogPath",
                          ws_info.ptr);
            goto out;
        }
        sl_buf_reset(&tmp);
        if (sl_buf_printf(&tmp, "services/%s", name)) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        cat_path = tmp.ptr;
    }
    if ((rc = sc_path_join("", cat_path, "input.catalogPath", &dest, err)) ||
        (dest.ptr[0] == '\0' &&
         (rc = bs_errat(r, err, SL_EINVAL, cJSON_GetObjectItemCaseSensitive(src, "catalogPath"),
                        "input.catalogPath must name a folder"))))
        goto out;
    sl_buf_reset(&from);
    if (sl_buf_printf(&from, "%s/catalog-info.yaml", dest.ptr)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (e && e->kind == SC_FILE && name) {
        rc = sc_tree_add(&files, from.ptr, SC_FILE, 0644, e->data, e->len, 0, err);
    } else {
        sl_buf loc = SL_BUF_INIT;
        const char *base = strrchr(dest.ptr, '/');
        if (sl_buf_printf(&loc,
                          "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n"
                          "  name: %s\nspec:\n  type: url\n  target: %s\n",
                          base ? base + 1 : dest.ptr, info_url))
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        else
            rc = sc_tree_add(&files, from.ptr, SC_FILE, 0644, loc.ptr, loc.len, 0, err);
        sl_buf_free(&loc);
    }
    if (rc < 0)
        goto out;
    /* copy: { workspace path: path under catalogPath } */
    if (copy && !cJSON_IsObject(copy)) {
        rc = bs_errat(r, err, SL_EINVAL, cJSON_GetObjectItemCaseSensitive(src, "copy"),
                      "input.copy must map workspace paths to catalog paths");
        goto out;
    }
    cJSON_ArrayForEach(it, copy)
    {
        sl_buf wsp = SL_BUF_INIT, to = SL_BUF_INIT, one = SL_BUF_INIT;
        size_t found = 0;
        if (!cJSON_IsString(it)) {
            rc = bs_errat(r, err, SL_EINVAL, cJSON_GetObjectItemCaseSensitive(src, "copy"),
                          "input.copy.%s must be a path", it->string);
            goto out;
        }
        if ((rc = sc_path_join(sp ? sp : "", it->string, "input.copy", &wsp, err)) ||
            (rc = sc_path_join(dest.ptr, it->valuestring, "input.copy", &to, err)) ||
            (!sc_under(to.ptr, dest.ptr) &&
             (rc = sl_error_set(err, SL_ECONFINE, "input.copy.%s: \"%s\" leaves catalogPath",
                                it->string, it->valuestring)))) {
            sl_buf_free(&wsp);
            sl_buf_free(&to);
            goto out;
        }
        for (size_t i = 0; i < r->ws.n && rc >= 0; i++) {
            const sc_entry *w = &r->ws.v[i];
            if (!sc_under(w->path, wsp.ptr) || w->kind == SC_DIR)
                continue;
            sl_buf_reset(&one);
            if (sl_buf_printf(&one, "%s%s", to.ptr, w->path + strlen(wsp.ptr)))
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            else
                rc = sc_tree_add(&files, one.ptr, w->kind, w->mode, w->data, w->len, 1, err);
            found++;
        }
        if (rc >= 0 && !found)
            rc = bs_errat(r, err, SL_ENOTFOUND, cJSON_GetObjectItemCaseSensitive(src, "copy"),
                          "input.copy: nothing at \"%s\" in the workspace", wsp.ptr);
        sl_buf_free(&wsp);
        sl_buf_free(&to);
        sl_buf_free(&one);
        if (rc < 0)
            goto out;
        rc = 0;
    }
    memset(&g, 0, sizeof(g));
    if (asprintf(&ref, "Register %s", dest.ptr) < 0) {
        ref = NULL;
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    g.message = ref;
    if ((rc = bs_token(r, r->o->catalog, err)))
        goto out;
    g.token = r->token;
    g.prepare = bs_catalog_prepare;
    g.prepare_arg = from.ptr;
    if ((rc = sc_git_commit_files(r->o->catalog, &files, &g, commit, err))) {
        sl_error_prefix(err, "catalog:register");
        goto out;
    }
    if (!r->o->quiet)
        fprintf(stderr, "  registered %s in %s (%.12s)\n", from.ptr, r->o->catalog, commit);
    {
        cJSON *o = cJSON_CreateObject();
        char *er = NULL;
        if (!o || asprintf(&er, "component:default/%s", name ? name : "unknown") < 0 ||
            !cJSON_AddStringToObject(o, "entityRef", er) ||
            !cJSON_AddStringToObject(o, "catalogInfoUrl", info_url) ||
            !cJSON_AddStringToObject(o, "catalogPath", from.ptr)) {
            cJSON_Delete(o);
            free(er);
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        free(er);
        *output = o;
    }
out:
    free(url);
    free(ref);
    sl_buf_free(&ws_info);
    sl_buf_free(&dest);
    sl_buf_free(&from);
    sl_buf_free(&tmp);
    sl_docv_free(&dv);
    sc_tree_free(&files);
    return rc;
}

/* debug:log: print message; listWorkspace lists the workspace. */
static int bs_debug_log(bs_run *r, const char *id, const cJSON *in, sl_error *err)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(in, "message");
    char *s;

    (void)err;
    if (cJSON_IsString(m)) {
        printf("[%s] %s\n", id, m->valuestring);
    } else if (m) {
        if ((s = cJSON_PrintUnformatted(m))) {
            printf("[%s] %s\n", id, s);
            free(s);
        }
    }
    if (bs_in_bool(in, "listWorkspace", 0)) {
        sc_tree_sort(&r->ws);
        for (size_t i = 0; i < r->ws.n; i++)
            if (r->ws.v[i].kind != SC_DIR)
                printf("[%s] %s\n", id, r->ws.v[i].path);
    }
    return 0;
}

static const char *const bs_actions[] = {
    "fetch:template", "fetch:plain",      "fetch:plain:file", "publish:git",
    "publish:github", "catalog:register", "debug:log",        NULL,
};

/* Merge spec.parameters (one schema or a list of form pages) into one
 * schema: {"allOf": pages}, each page an object schema. *out is the
 * caller's. */
static int bs_param_schema(const bs_run *r, const cJSON *params, cJSON **out, sl_error *err)
{
    cJSON *s = cJSON_CreateObject(), *all;
    const cJSON *it;

    *out = NULL;
    if (!s || !cJSON_AddStringToObject(s, "type", "object") ||
        !(all = cJSON_AddArrayToObject(s, "allOf"))) {
        cJSON_Delete(s);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    if (cJSON_IsObject(params)) {
        cJSON_AddItemToArray(all, cJSON_Duplicate(params, 1));
    } else if (cJSON_IsArray(params)) {
        cJSON_ArrayForEach(it, params)
        {
            if (!cJSON_IsObject(it)) {
                cJSON_Delete(s);
                return bs_errat(r, err, SL_EINVAL, it,
                                "spec.parameters: each page must be a "
                                "mapping (a JSON schema)");
            }
            cJSON_AddItemToArray(all, cJSON_Duplicate(it, 1));
        }
    } else if (params && !cJSON_IsNull(params)) {
        cJSON_Delete(s);
        return bs_errat(r, err, SL_EINVAL, params,
                        "spec.parameters must be a schema or a list of schemas");
    }
    *out = s;
    return 0;
}

/* The declared type of a top-level parameter (first page declaring it). */
static const char *bs_param_type(const cJSON *params, const char *key)
{
    const cJSON *pages = params, *it;
    char top[256];
    size_t n = strcspn(key, ".");

    if (n >= sizeof(top))
        return NULL;
    memcpy(top, key, n);
    top[n] = '\0';
    if (key[n])
        return NULL;
    if (cJSON_IsObject(params))
        return sl_doc_str(cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(params, "properties"), top),
                          "type");
    cJSON_ArrayForEach(it, pages)
    {
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(it, "properties");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(props, top);
        if (p)
            return sl_doc_str(p, "type");
    }
    return NULL;
}

/* Answers: --values, then --set over them; parameters validated, defaults
 * filled. Every violation is printed. */
static int bs_answers(bs_run *r, const cJSON *spec, sl_error *err)
{
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(spec, "parameters");
    cJSON *schema = NULL, *answers = NULL, *user, *v;
    sl_jsonschema *js = NULL;
    sl_diags d = {0};
    int rc;

    if (r->o->values) {
        if ((rc = sl_doc_copy(r->o->values, r->o->values_pm, &answers)))
            return sl_error_set(err, rc, "out of memory");
    } else {
        answers = cJSON_CreateObject();
    }
    user = cJSON_CreateObject();
    if (!answers || !user) {
        cJSON_Delete(answers);
        cJSON_Delete(user);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->o->sets.n; i++) {
        const char *kv = r->o->sets.v[i], *eq = strchr(kv, '=');
        char key[512];
        int is_user;
        if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
            rc = sl_error_set(err, SL_EINVAL, "--set %s: expected KEY=VALUE", kv);
            goto out;
        }
        memcpy(key, kv, (size_t)(eq - kv));
        key[eq - kv] = '\0';
        is_user = !strncmp(key, "user.", 5);
        if ((rc = sc_scalar(eq + 1, is_user || !strcmp(bs_param_type(params, key) ?: "", "string"),
                            &v, err)) ||
            (rc = sc_set_dotted(is_user ? user : answers, is_user ? key + 5 : key, v, err)))
            goto out;
    }
    if ((rc = bs_param_schema(r, params, &schema, err)) ||
        (rc = sl_jsonschema_compile(schema, r->o->template_file, &js, err)))
        goto out;
    if ((rc = sl_jsonschema_apply_defaults(js, answers)))
        goto out;
    rc = sl_jsonschema_validate(js, answers, r->o->values_pm,
                                r->o->values_file ? r->o->values_file : "--set", &d);
    if (rc == SL_EINVAL) {
        for (size_t i = 0; i < d.n; i++) {
            char buf[2048], *m = d.v[i].msg;
            /* ".name: ..." reads better as "parameters.name: ..." */
            if (m[0] == '.' && m[1] == ':')
                m++;
            snprintf(buf, sizeof(buf), "parameters%s", m);
            memcpy(d.v[i].msg, buf, sizeof(d.v[i].msg) - 1);
            d.v[i].msg[sizeof(d.v[i].msg) - 1] = '\0';
            if (!strcmp(d.v[i].file, "--set"))
                d.v[i].line = d.v[i].col = 0;
            sc_print_error(&d.v[i]);
        }
        rc = sl_error_set(err, SL_EINVAL, "%zu answer%s refused by the template's parameters", d.n,
                          d.n == 1 ? "" : "s");
        goto out;
    }
    if (rc)
        goto out;
    cJSON_AddItemToObject(r->ctx, "parameters", answers);
    answers = NULL;
    if (!cJSON_GetObjectItemCaseSensitive(user, "ref"))
        cJSON_AddStringToObject(user, "ref", "user:default/guest");
    if (!cJSON_GetObjectItemCaseSensitive(user, "entity")) {
        cJSON *ent = cJSON_AddObjectToObject(user, "entity"), *md;
        const char *ref = sl_doc_str(user, "ref"), *slash = ref ? strrchr(ref, '/') : NULL;
        if (ent && (md = cJSON_AddObjectToObject(ent, "metadata")))
            cJSON_AddStringToObject(md, "name", slash ? slash + 1 : ref ? ref : "guest");
    }
    cJSON_AddItemToObject(r->ctx, "user", user);
    user = NULL;
out:
    sl_diags_free(&d);
    sl_jsonschema_free(js);
    cJSON_Delete(schema);
    if (answers)
        sl_posmap_forget(r->o->values_pm, answers);
    cJSON_Delete(answers);
    cJSON_Delete(user);
    return rc;
}

/* Print spec.output: links ("title: url"), text entries. */
static int bs_output(bs_run *r, const cJSON *spec, sl_error *err)
{
    const cJSON *outspec = cJSON_GetObjectItemCaseSensitive(spec, "output"), *it;
    cJSON *o = NULL;
    int rc;

    if (!outspec)
        return 0;
    if ((rc = bs_render_value(r, outspec, &o, err)))
        return rc;
    it = cJSON_GetObjectItemCaseSensitive(o, "links");
    if (cJSON_IsArray(it) && cJSON_GetArraySize(it) > 0) {
        const cJSON *l;
        printf("links:\n");
        cJSON_ArrayForEach(l, it)
        {
            const char *title = sl_doc_str(l, "title"), *url = sl_doc_str(l, "url"),
                       *ent = sl_doc_str(l, "entityRef");
            printf("  %s: %s\n",
                   title ? title
                         : (url   ? url
                            : ent ? ent
                                  : "link"),
                   url   ? url
                   : ent ? ent
                         : "");
        }
    }
    it = cJSON_GetObjectItemCaseSensitive(o, "text");
    if (cJSON_IsArray(it)) {
        const cJSON *t;
        cJSON_ArrayForEach(t, it)
        {
            const char *title = sl_doc_str(t, "title"), *content = sl_doc_str(t, "content");
            if (title)
                printf("%s\n", title);
            if (content)
                printf("%s\n", content);
        }
    }
    cJSON_Delete(o);
    return 0;
}

static int bs_run_template(const sc_run_opts *o, sl_error *err)
{
    bs_run r;
    sl_buf data = SL_BUF_INIT;
    const cJSON *spec, *steps, *step, *api, *kind;
    cJSON *steps_ctx;
    int rc, publishes = 0;
    char *slash;

    memset(&r, 0, sizeof(r));
    r.o = o;
    if (!(r.dir = strdup(o->template_file)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    slash = strrchr(r.dir, '/');
    if (slash)
        *slash = '\0';
    else
        strcpy(r.dir, ".");
    if ((rc = sl_posmap_new(&r.pm)))
        goto out;
    if ((rc = sl_file_read(o->template_file, 8 << 20, &data, err)) ||
        (rc = sl_yaml_parse(o->template_file, data.ptr ? data.ptr : "", data.len, NULL, r.pm,
                            &r.docs, err)))
        goto out;
    for (size_t i = 0; i < r.docs.n; i++)
        if (cJSON_IsObject(r.docs.v[i]) &&
            !strcmp(sl_doc_str(r.docs.v[i], "kind") ?: "", "Template")) {
            r.tmpl = r.docs.v[i];
            break;
        }
    if (!r.tmpl) {
        rc = sl_error_setpos(err, SL_EINVAL, o->template_file, 1, 1,
                             "no document of kind Template (expected a Backstage software "
                             "template, apiVersion scaffolder.backstage.io/v1beta3)");
        goto out;
    }
    api = cJSON_GetObjectItemCaseSensitive(r.tmpl, "apiVersion");
    kind = cJSON_GetObjectItemCaseSensitive(r.tmpl, "kind");
    if (!cJSON_IsString(api) || strcmp(api->valuestring, "scaffolder.backstage.io/v1beta3")) {
        rc = bs_errat(&r, err, SL_EINVAL, api ? api : kind,
                      "apiVersion must be scaffolder.backstage.io/v1beta3 (the only version "
                      "sluice runs)");
        goto out;
    }
    spec = cJSON_GetObjectItemCaseSensitive(r.tmpl, "spec");
    if (!cJSON_IsObject(spec)) {
        rc = bs_errat(&r, err, SL_EINVAL, r.tmpl, "spec must be a mapping");
        goto out;
    }
    steps = cJSON_GetObjectItemCaseSensitive(spec, "steps");
    if (steps && !cJSON_IsArray(steps)) {
        rc = bs_errat(&r, err, SL_EINVAL, steps, "spec.steps must be a list");
        goto out;
    }
    /* Check every step before running any. */
    cJSON_ArrayForEach(step, steps)
    {
        const cJSON *action = cJSON_GetObjectItemCaseSensitive(step, "action");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(step, "id");
        size_t k;
        if (!cJSON_IsObject(step)) {
            rc = bs_errat(&r, err, SL_EINVAL, step, "a step must be a mapping");
            goto out;
        }
        if (!cJSON_IsString(action)) {
            rc = bs_errat(&r, err, SL_EINVAL, step, "step needs an action");
            goto out;
        }
        if (id && !cJSON_IsString(id)) {
            rc = bs_errat(&r, err, SL_EINVAL, id, "step id must be a string");
            goto out;
        }
        for (k = 0; bs_actions[k] && strcmp(bs_actions[k], action->valuestring); k++)
            ;
        if (!bs_actions[k]) {
            rc = bs_errat(&r, err, SL_EUNSUPPORTED, action,
                          "unknown action \"%s\" (sluice runs fetch:template, fetch:plain, "
                          "fetch:plain:file, publish:git, publish:github, catalog:register, "
                          "debug:log)",
                          action->valuestring);
            goto out;
        }
        if (!strncmp(action->valuestring, "publish:", 8))
            publishes++;
    }
    if (!o->outdir && !publishes) {
        rc = sl_error_set(err, SL_EINVAL,
                          "the template publishes nothing: give -o DIR to write the result");
        goto out;
    }
    if (o->outdir && (rc = sc_dir_fresh(o->outdir, err)) < 0)
        goto out;
    if (!(r.ctx = cJSON_CreateObject())) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = bs_answers(&r, spec, err)))
        goto out;
    {
        const char *tname =
            sl_doc_str(cJSON_GetObjectItemCaseSensitive(r.tmpl, "metadata"), "name");
        cJSON *ti = cJSON_AddObjectToObject(r.ctx, "templateInfo");
        char *ref = NULL, *base = NULL;
        char abs[4096];
        if (!realpath(r.dir, abs))
            snprintf(abs, sizeof(abs), "%s", r.dir);
        if (!ti || asprintf(&ref, "template:default/%s", tname ? tname : "unnamed") < 0 ||
            asprintf(&base, "file://%s/", abs) < 0 ||
            !cJSON_AddStringToObject(ti, "entityRef", ref) ||
            !cJSON_AddStringToObject(ti, "baseUrl", base) ||
            !cJSON_AddObjectToObject(r.ctx, "secrets")) {
            free(ref);
            free(base);
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        free(ref);
        free(base);
    }
    if (!(steps_ctx = cJSON_AddObjectToObject(r.ctx, "steps"))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    cJSON_ArrayForEach(step, steps)
    {
        const char *action = sl_doc_str(step, "action"), *id = sl_doc_str(step, "id"),
                   *name = sl_doc_str(step, "name");
        const cJSON *in_src = cJSON_GetObjectItemCaseSensitive(step, "input");
        const cJSON *cond = cJSON_GetObjectItemCaseSensitive(step, "if");
        cJSON *in = NULL, *output = NULL, *sc;
        char idbuf[32];

        if (!id) {
            snprintf(idbuf, sizeof(idbuf), "step%d", (int)cJSON_GetArraySize(steps_ctx) + 1);
            id = idbuf;
        }
        if (cond) {
            cJSON *cv = NULL;
            int truth;
            if ((rc = bs_render_value(&r, cond, &cv, err)))
                goto out;
            truth = bs_truthy(cv);
            cJSON_Delete(cv);
            if (!truth) {
                if (!o->quiet)
                    fprintf(stderr, "step %s (%s): skipped (if)\n", id, action);
                continue;
            }
        }
        if (!o->quiet)
            fprintf(stderr, "step %s (%s)%s%s\n", id, action, name ? ": " : "", name ? name : "");
        if (in_src && !cJSON_IsObject(in_src)) {
            rc = bs_errat(&r, err, SL_EINVAL, in_src, "step input must be a mapping");
            goto out;
        }
        if (in_src && (rc = bs_render_value(&r, in_src, &in, err)))
            goto out;
        if (!in && !(in = cJSON_CreateObject())) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        if (!strcmp(action, "fetch:template"))
            rc = bs_fetch(&r, step, in_src, in, 0, &output, err);
        else if (!strcmp(action, "fetch:plain"))
            rc = bs_fetch(&r, step, in_src, in, 1, &output, err);
        else if (!strcmp(action, "fetch:plain:file"))
            rc = bs_fetch_file(&r, in_src, in, &output, err);
        else if (!strcmp(action, "publish:git"))
            rc = bs_publish_git(&r, in_src ? in_src : step, in, &output, err);
        else if (!strcmp(action, "publish:github"))
            rc = bs_publish_github(&r, in_src ? in_src : step, in, &output, err);
        else if (!strcmp(action, "catalog:register"))
            rc = bs_catalog_register(&r, in_src ? in_src : step, in, &output, err);
        else
            rc = bs_debug_log(&r, id, in, err);
        cJSON_Delete(in);
        if (rc) {
            cJSON_Delete(output);
            sl_error_prefix(err, "step %s (%s)", id, action);
            goto out;
        }
        if (!(sc = cJSON_AddObjectToObject(steps_ctx, id))) {
            cJSON_Delete(output);
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        cJSON_AddItemToObject(sc, "output", output ? output : cJSON_CreateObject());
    }
    sc_tree_sort(&r.ws);
    if (o->outdir) {
        if ((rc = sc_tree_write(&r.ws, o->outdir, err)))
            goto out;
        if (!o->quiet)
            fprintf(stderr, "wrote %s\n", o->outdir);
    }
    rc = bs_output(&r, spec, err);
out:
    if (r.docs.v)
        for (size_t i = 0; i < r.docs.n; i++)
            sl_posmap_forget(r.pm, r.docs.v[i]);
    sl_docv_free(&r.docs);
    sl_posmap_free(r.pm);
    cJSON_Delete(r.ctx);
    sc_tree_free(&r.ws);
    sc_token_free(r.token);
    sl_buf_free(&data);
    free(r.dir);
    return rc;
}

/* ---- the command line ---- */

/* Read --values FILE (a YAML or JSON mapping). *out is the caller's; node
 * positions go into pm. */
static int sc_read_values(const char *file, sl_posmap *pm, cJSON **out, sl_error *err)
{
    sl_buf b = SL_BUF_INIT;
    sl_docv dv = {0};
    int rc;

    *out = NULL;
    if ((rc = sl_file_read(file, 8 << 20, &b, err)) ||
        (rc = sl_doc_parse(file, b.ptr ? b.ptr : "", b.len, NULL, pm, &dv, err)))
        goto out;
    if (dv.n == 0) {
        rc = 0;
        *out = cJSON_CreateObject();
    } else if (dv.n > 1 || !cJSON_IsObject(dv.v[0])) {
        rc = sl_error_setpos(err, SL_EINVAL, file, dv.pos[0].line, dv.pos[0].col,
                             "expected one mapping of answers");
    } else {
        *out = dv.v[0];
        dv.v[0] = NULL;
    }
out:
    sl_docv_free(&dv);
    sl_buf_free(&b);
    return rc;
}

int sl_scaffold_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"values", required_argument, NULL, 'f'},
        {"set", required_argument, NULL, 's'},
        {"token-file", required_argument, NULL, 't'},
        {"catalog", required_argument, NULL, 'C'},
        {"github-url-base", required_argument, NULL, 'G'},
        {"allow-hooks", no_argument, NULL, 'H'},
        {"no-input", no_argument, NULL, 'N'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    sc_run_opts o;
    const char *values_file = NULL;
    char *tfile = NULL, *tdir = NULL;
    sl_posmap *vpm = NULL;
    sl_error err;
    struct stat st;
    int ch, rc = 0;

    memset(&o, 0, sizeof(o));
    sl_error_clear(&err);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:f:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            o.outdir = optarg;
            break;
        case 'f':
            values_file = optarg;
            break;
        case 's':
            if (sl_strv_push(&o.sets, optarg)) {
                rc = SL_ENOMEM;
                goto out;
            }
            break;
        case 't':
            o.token_file = optarg;
            break;
        case 'C':
            o.catalog = optarg;
            break;
        case 'G':
            o.github_base = optarg;
            break;
        case 'H':
            o.allow_hooks = 1;
            break;
        case 'N':
            break;
        case 'q':
            o.quiet = 1;
            break;
        case 'h':
            fputs(sc_usage, stdout);
            sl_strv_free(&o.sets);
            return SC_EXIT_OK;
        default:
            fputs(sc_usage, stderr);
            sl_strv_free(&o.sets);
            return SC_EXIT_ERROR;
        }
    }
    /* cookiecutter-style trailing key=value arguments are answers too */
    if (optind >= argc) {
        fputs(sc_usage, stderr);
        sl_strv_free(&o.sets);
        return SC_EXIT_ERROR;
    }
    o.template_arg = argv[optind];
    for (int i = optind + 1; i < argc; i++) {
        if (!strchr(argv[i], '=')) {
            rc = sl_error_set(&err, SL_EINVAL, "unexpected argument \"%s\" (answers are KEY=VALUE)",
                              argv[i]);
            goto out;
        }
        if (sl_strv_push(&o.sets, argv[i])) {
            rc = SL_ENOMEM;
            goto out;
        }
    }
    if (stat(o.template_arg, &st)) {
        rc = sl_error_setpos(&err, SL_ENOTFOUND, o.template_arg, 0, 0, "%s", strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        tdir = strdup(o.template_arg);
        if (!tdir) {
            rc = SL_ENOMEM;
            goto out;
        }
        while (strlen(tdir) > 1 && tdir[strlen(tdir) - 1] == '/')
            tdir[strlen(tdir) - 1] = '\0';
        if (asprintf(&tfile, "%s/template.yaml", tdir) < 0) {
            tfile = NULL;
            rc = SL_ENOMEM;
            goto out;
        }
        if (access(tfile, R_OK)) {
            free(tfile);
            tfile = NULL;
            if (asprintf(&tfile, "%s/cookiecutter.json", tdir) < 0) {
                tfile = NULL;
                rc = SL_ENOMEM;
                goto out;
            }
            if (access(tfile, R_OK)) {
                rc = sl_error_setpos(&err, SL_ENOTFOUND, o.template_arg, 0, 0,
                                     "neither template.yaml (Backstage) nor cookiecutter.json "
                                     "(cookiecutter) in this folder");
                goto out;
            }
            o.template_dir = tdir;
            o.template_file = tfile;
            if (values_file) {
                if ((rc = sl_posmap_new(&vpm)) ||
                    (rc = sc_read_values(values_file, vpm, &o.values, &err)))
                    goto out;
            }
            o.values_pm = vpm;
            o.values_file = values_file;
            rc = sc_cookiecutter_run(&o, &err);
            goto out;
        }
    } else {
        if (!(tfile = strdup(o.template_arg))) {
            rc = SL_ENOMEM;
            goto out;
        }
    }
    o.template_file = tfile;
    o.template_dir = tdir;
    if (values_file) {
        if ((rc = sl_posmap_new(&vpm)) || (rc = sc_read_values(values_file, vpm, &o.values, &err)))
            goto out;
    }
    o.values_pm = vpm;
    o.values_file = values_file;
    rc = bs_run_template(&o, &err);
out:
    if (rc) {
        if (rc == SL_ENOMEM && !err.msg[0])
            sl_error_set(&err, SL_ENOMEM, "out of memory");
        sc_print_error(&err);
    }
    if (vpm && o.values)
        sl_posmap_forget(vpm, o.values);
    cJSON_Delete(o.values);
    sl_posmap_free(vpm);
    sl_strv_free(&o.sets);
    free(tfile);
    free(tdir);
    return rc ? SC_EXIT_ERROR : SC_EXIT_OK;
}
