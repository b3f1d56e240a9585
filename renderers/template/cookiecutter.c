/* cookiecutter.c: plain cookiecutter skeletons for `sluice scaffold`, as
 * Debian's cookiecutter (1.7) renders them with --no-input: cookiecutter.json
 * defaults (choice lists take their first entry, values may be templates
 * over earlier values, `_` variables stay raw), overrides from --values and
 * KEY=VALUE, `_copy_without_render`, `{{ cookiecutter.x }}` in names and
 * contents (Jinja2, trailing newline kept). Hooks run only with
 * --allow-hooks. The project is rendered in memory and written all at once. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jinja.h"
#include "scaffold_int.h"

/* Python's str() of a JSON scalar, as cookiecutter renders non-string
 * defaults ("8080", "True", "1.5"). */
static int cc_py_str(const cJSON *v, sl_buf *out)
{
    sl_buf_reset(out);
    if (cJSON_IsTrue(v))
        return sl_buf_puts(out, "True");
    if (cJSON_IsFalse(v))
        return sl_buf_puts(out, "False");
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (isfinite(d) && d == floor(d) && fabs(d) < 1e16)
            return sl_buf_printf(out, "%lld", (long long)d);
        for (int prec = 1; prec <= 17; prec++) {
            char tmp[64];
            snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
            if (strtod(tmp, NULL) == d) {
                sl_buf_puts(out, tmp);
                if (!strpbrk(tmp, ".e"))
                    sl_buf_puts(out, ".0");
                return 0;
            }
        }
    }
    return sl_buf_puts(out, "");
}

typedef struct cc_run {
    const sc_run_opts *o;
    sl_jinja_opts vars_jo; /* for cookiecutter.json values: trailing newline dropped */
    sl_jinja_opts files_jo;
    cJSON *dict; /* context["cookiecutter"], being built */
    cJSON *ctx;  /* {"cookiecutter": dict} */
} cc_run;

/* render_variable(): strings rendered with {cookiecutter: dict so far},
 * other scalars through str() first, lists and dicts recursively. *out is
 * the caller's. */
static int cc_render_var(cc_run *r, const char *key, const cJSON *raw, cJSON **out, sl_error *err)
{
    sl_buf s = SL_BUF_INIT, res = SL_BUF_INIT;
    const cJSON *it;
    cJSON *c = NULL;
    int rc = 0;

    *out = NULL;
    if (cJSON_IsNull(raw)) {
        *out = cJSON_CreateNull();
        goto done;
    }
    if (cJSON_IsObject(raw) || cJSON_IsArray(raw)) {
        cJSON *o = cJSON_IsObject(raw) ? cJSON_CreateObject() : cJSON_CreateArray();
        if (!o)
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        cJSON_ArrayForEach(it, raw)
        {
            if ((rc = cc_render_var(r, key, it, &c, err))) {
                cJSON_Delete(o);
                return rc;
            }
            if (cJSON_IsObject(raw)) {
                cJSON *kj = cJSON_CreateString(it->string);
                cJSON *kr = NULL;
                if (!kj || (rc = cc_render_var(r, key, kj, &kr, err))) {
                    cJSON_Delete(kj);
                    cJSON_Delete(c);
                    cJSON_Delete(o);
                    return rc ? rc : sl_error_set(err, SL_ENOMEM, "out of memory");
                }
                cJSON_Delete(kj);
                cJSON_AddItemToObject(o, kr->valuestring, c);
                cJSON_Delete(kr);
            } else {
                cJSON_AddItemToArray(o, c);
            }
        }
        *out = o;
        return 0;
    }
    if (cJSON_IsString(raw)) {
        rc = sl_buf_puts(&s, raw->valuestring);
    } else {
        rc = cc_py_str(raw, &s);
    }
    if (rc || sl_buf_puts(&s, "")) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = sc_render_text(s.ptr, s.len, &r->vars_jo, r->ctx, &res, err))) {
        sl_error_prefix(err, "cookiecutter.json: variable \"%s\"", key);
        goto done;
    }
    *out = cJSON_CreateString(res.ptr ? res.ptr : "");
done:
    if (!rc && !*out)
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    sl_buf_free(&s);
    sl_buf_free(&res);
    return rc;
}

/* Where the value of top-level key starts in the cookiecutter.json text
 * (just inside its opening quote, or at its first character), so errors in a
 * templated value point into the file. Without a match, 1:1. */
static void cc_value_pos(const char *text, size_t len, const char *key, int *line, int *col)
{
    size_t kl = strlen(key);
    const char *p = text, *end = text + len;

    *line = *col = 1;
    while (p && p < end && (p = memchr(p, '"', (size_t)(end - p)))) {
        const char *q = p + 1;
        if ((size_t)(end - q) > kl && !memcmp(q, key, kl) && q[kl] == '"') {
            q += kl + 1;
            while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
                q++;
            if (q < end && *q == ':') {
                q++;
                while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
                    q++;
                if (q < end && *q == '[') /* a choice list: its first entry */
                    while (++q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
                        ;
                if (q < end && *q == '"')
                    q++;
                sl_doc_offset_pos(text, len, (size_t)(q - text), line, col);
                return;
            }
        }
        p++;
    }
}

/* apply_overwrites_to_context(): only keys the skeleton declares; for a
 * choice list the answer moves to the front when it is one of the choices. */
static void cc_overwrite(cJSON *defaults, const char *key, const cJSON *v)
{
    cJSON *cur = cJSON_GetObjectItemCaseSensitive(defaults, key), *it;
    int i = 0;

    if (!cur)
        return;
    if (cJSON_IsArray(cur)) {
        cJSON_ArrayForEach(it, cur)
        {
            if (cJSON_Compare(it, v, 1)) {
                cJSON *d = cJSON_DetachItemFromArray(cur, i);
                cJSON_InsertItemInArray(cur, 0, d);
                return;
            }
            i++;
        }
        return;
    }
    cJSON_ReplaceItemInObjectCaseSensitive(defaults, key, cJSON_Duplicate(v, 1));
}

/* The project folder: the first entry of the repo folder whose name has
 * "cookiecutter", "{{" and "}}" (sorted, where cookiecutter takes the
 * directory listing order). *out is the caller's. */
static int cc_find_template(const char *dir, char **out, sl_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    sl_strv names = SL_STRV_INIT;
    int rc = 0;

    *out = NULL;
    if (!d)
        return sl_error_setpos(err, SL_EIO, dir, 0, 0, "cannot list the folder");
    while ((de = readdir(d)))
        if (strstr(de->d_name, "cookiecutter") && strstr(de->d_name, "{{") &&
            strstr(de->d_name, "}}") && sl_strv_push(&names, de->d_name))
            rc = SL_ENOMEM;
    closedir(d);
    sl_strv_sort(&names);
    if (rc)
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    else if (!names.n)
        rc = sl_error_setpos(err, SL_ENOTFOUND, dir, 0, 0,
                             "no project folder: expected one named like "
                             "{{cookiecutter.project_slug}}");
    else if (!(*out = strdup(names.v[0])))
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    sl_strv_free(&names);
    return rc;
}

/* The hook script hooks/<name>.* of the skeleton, or NULL. */
static char *cc_find_hook(const char *repo, const char *name)
{
    char *dir = NULL, *res = NULL;
    DIR *d;
    struct dirent *de;
    sl_strv hits = SL_STRV_INIT;
    size_t nl = strlen(name);

    if (asprintf(&dir, "%s/hooks", repo) < 0)
        return NULL;
    if ((d = opendir(dir))) {
        while ((de = readdir(d)))
            if (!strncmp(de->d_name, name, nl) && (de->d_name[nl] == '.' || !de->d_name[nl]) &&
                de->d_name[strlen(de->d_name) - 1] != '~')
                sl_strv_push(&hits, de->d_name);
        closedir(d);
    }
    sl_strv_sort(&hits);
    if (hits.n && asprintf(&res, "%s/%s", dir, hits.v[0]) < 0)
        res = NULL;
    sl_strv_free(&hits);
    free(dir);
    return res;
}

/* Render a hook script with the context and run it in cwd. */
static int cc_hook(cc_run *r, const char *path, const char *cwd, sl_error *err)
{
    sl_buf src = SL_BUF_INIT, body = SL_BUF_INIT;
    const char *base = strrchr(path, '/'), *tmpd = getenv("TMPDIR");
    const char *dot = strrchr(path, '.');
    char *tmp = NULL;
    FILE *f;
    int rc, fd;

    base = base ? base + 1 : path;
    if ((rc = sl_file_read(path, SC_MAX_FILE_BYTES, &src, err)))
        goto out;
    r->files_jo.file = path;
    if ((rc = sc_render_text(src.ptr ? src.ptr : "", src.len, &r->files_jo, r->ctx, &body, err)))
        goto out;
    if (asprintf(&tmp, "%s/sluice-hook.XXXXXX%s", tmpd && *tmpd ? tmpd : "/tmp",
                 dot && dot > base ? dot : "") < 0) {
        tmp = NULL;
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((fd = mkstemps(tmp, dot && dot > base ? (int)strlen(dot) : 0)) < 0 ||
        !(f = fdopen(fd, "w"))) {
        rc = sl_error_set(err, SL_EIO, "hook %s: cannot write a temporary file", base);
        free(tmp);
        tmp = NULL;
        goto out;
    }
    fwrite(body.ptr ? body.ptr : "", 1, body.len, f);
    fclose(f);
    if (!r->o->quiet)
        fprintf(stderr, "running hook %s\n", base);
    rc = sc_hook_run(tmp, base, cwd, err);
out:
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    sl_buf_free(&src);
    sl_buf_free(&body);
    return rc;
}

/* 1 if rel matches a _copy_without_render pattern (Python fnmatch: '*'
 * crosses '/'). */
static int cc_copy_only(const cJSON *dict, const char *rel)
{
    const cJSON *pats = cJSON_GetObjectItemCaseSensitive(dict, "_copy_without_render"), *it;

    cJSON_ArrayForEach(it, pats) if (cJSON_IsString(it) &&
                                     sc_glob_match(it->valuestring, rel, 1)) return 1;
    return 0;
}

/* Render a skeleton path (relative to the project folder) into out, checked
 * to stay inside; what names the source. */
static int cc_render_path(cc_run *r, const char *rel, const char *what, sl_buf *out, sl_error *err)
{
    sl_buf tmp = SL_BUF_INIT;
    int rc;

    r->files_jo.file = what;
    if ((rc = sc_render_text(rel, strlen(rel), &r->files_jo, r->ctx, &tmp, err)))
        goto out;
    if (tmp.ptr[0] == '/') {
        rc = sl_error_setpos(err, SL_ECONFINE, what, 0, 0,
                             "the name renders to the absolute path \"%s\"; refused (it must "
                             "stay in the output folder)",
                             tmp.ptr);
        goto out;
    }
    for (const char *p = tmp.ptr; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            rc = sl_error_setpos(err, SL_ECONFINE, what, 0, 0,
                                 "the name renders to \"%s\", which has a \"..\" segment; "
                                 "refused (it must stay in the output folder)",
                                 tmp.ptr);
            goto out;
        }
        p += n;
        if (*p)
            p++;
    }
    rc = sc_path_join("", tmp.ptr, what, out, err);
out:
    sl_buf_free(&tmp);
    return rc;
}

int sc_cookiecutter_run(const sc_run_opts *o, sl_error *err)
{
    cc_run r;
    sl_buf data = SL_BUF_INIT, path = SL_BUF_INIT, body = SL_BUF_INIT, proj = SL_BUF_INIT;
    sl_docv dv = {0};
    cJSON *defaults = NULL, *v;
    const cJSON *it;
    char *tdir_name = NULL, *tdir = NULL, *outdir = NULL, *display = NULL, *pre = NULL,
         *post = NULL;
    sc_tree skel = {0}, out = {0};
    sl_strv copied = SL_STRV_INIT;
    int rc;

    memset(&r, 0, sizeof(r));
    r.o = o;
    r.vars_jo.dialect = SL_JINJA_JINJA2;
    r.vars_jo.keep_trailing_newline = 0;
    r.vars_jo.file = o->template_file;
    r.vars_jo.line = 1;
    r.vars_jo.col = 1;
    r.files_jo = r.vars_jo;
    r.files_jo.keep_trailing_newline = 1;
    if ((rc = sl_file_read(o->template_file, 1 << 20, &data, err)) ||
        (rc = sl_json_parse(o->template_file, data.ptr ? data.ptr : "", data.len, NULL, NULL, &dv,
                            err)))
        goto out;
    if (dv.n != 1 || !cJSON_IsObject(dv.v[0])) {
        rc = sl_error_setpos(err, SL_EINVAL, o->template_file, 1, 1,
                             "expected a JSON object of variables");
        goto out;
    }
    defaults = dv.v[0];
    dv.v[0] = NULL;
    /* default_context (--values), then extra_context (KEY=VALUE, strings) */
    cJSON_ArrayForEach(it, o->values) cc_overwrite(defaults, it->string, it);
    for (size_t i = 0; i < o->sets.n; i++) {
        const char *eq = strchr(o->sets.v[i], '=');
        char *key = eq ? strndup(o->sets.v[i], (size_t)(eq - o->sets.v[i])) : NULL;
        cJSON *s = eq ? cJSON_CreateString(eq + 1) : NULL;
        if (!eq) {
            rc = sl_error_set(err, SL_EINVAL, "--set %s: expected KEY=VALUE", o->sets.v[i]);
            free(key);
            goto out;
        }
        if (key && s)
            cc_overwrite(defaults, key, s);
        cJSON_Delete(s);
        free(key);
    }
    if (!(r.ctx = cJSON_CreateObject()) ||
        !(r.dict = cJSON_AddObjectToObject(r.ctx, "cookiecutter"))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    /* First pass: plain values and choices; second: dicts. */
    for (int pass = 0; pass < 2; pass++) {
        cJSON_ArrayForEach(it, defaults)
        {
            if (pass == 0 && it->string[0] == '_') {
                cJSON_AddItemToObject(r.dict, it->string, cJSON_Duplicate(it, 1));
                continue;
            }
            if (it->string[0] == '_' || (pass == 0) == cJSON_IsObject(it))
                continue;
            cc_value_pos(data.ptr, data.len, it->string, &r.vars_jo.line, &r.vars_jo.col);
            if (cJSON_IsArray(it)) {
                if (!cJSON_GetArraySize(it)) {
                    rc = sl_error_setpos(err, SL_EINVAL, o->template_file, 0, 0,
                                         "variable \"%s\": an empty choice list", it->string);
                    goto out;
                }
                rc = cc_render_var(&r, it->string, it->child, &v, err);
            } else {
                rc = cc_render_var(&r, it->string, it, &v, err);
            }
            if (rc)
                goto out;
            cJSON_AddItemToObject(r.dict, it->string, v);
        }
    }
    if (!cJSON_AddStringToObject(r.dict, "_template", o->template_arg)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    /* The project folder name. */
    if ((rc = cc_find_template(o->template_dir, &tdir_name, err)))
        goto out;
    if (asprintf(&tdir, "%s/%s", o->template_dir, tdir_name) < 0) {
        tdir = NULL;
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = cc_render_path(&r, tdir_name, tdir, &proj, err)))
        goto out;
    if (!proj.ptr[0]) {
        rc = sl_error_setpos(err, SL_EINVAL, tdir, 0, 0, "the project folder name renders empty");
        goto out;
    }
    if (asprintf(&outdir, "%s/%s", o->outdir ? o->outdir : ".", proj.ptr) < 0) {
        outdir = NULL;
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    {
        struct stat st;
        if (lstat(outdir, &st) == 0) {
            rc = sl_error_setpos(err, SL_EREFUSED, outdir, 0, 0,
                                 "the project folder already exists; refusing to write into it");
            goto out;
        }
    }
    /* Every entry, in walk order (sorted), into memory. */
    if ((rc = sc_skel_read(tdir, &skel, err)))
        goto out;
    for (size_t i = 0; i < skel.n; i++) {
        const sc_entry *e = &skel.v[i];
        int under = 0;

        for (size_t k = 0; k < copied.n && !under; k++) {
            size_t n = strlen(copied.v[k]);
            under = !strncmp(e->path, copied.v[k], n) && e->path[n] == '/';
        }
        free(display);
        if (asprintf(&display, "%s/%s", tdir, e->path) < 0) {
            display = NULL;
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        if (under) {
            /* inside a copied folder: names and contents as they are */
            rc = sc_tree_add(&out, e->path, e->kind, e->mode, e->data, e->len, 1, err);
        } else if (e->kind == SC_DIR && cc_copy_only(r.dict, e->path)) {
            if (sl_strv_push(&copied, e->path)) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out;
            }
            rc = sc_tree_add(&out, e->path, SC_DIR, e->mode, "", 0, 1, err);
        } else {
            if ((rc = cc_render_path(&r, e->path, display, &path, err)))
                goto out;
            /* A name that renders empty is skipped (cookiecutter finds a
             * folder there and moves on). */
            if (!path.ptr[0])
                continue;
            if (e->kind == SC_LINK && !sc_link_inside(path.ptr, e->data)) {
                rc = sl_error_setpos(err, SL_ECONFINE, display, 0, 0,
                                     "symlink to \"%s\" would point out of the output folder; "
                                     "refused",
                                     e->data);
                goto out;
            }
            if (e->kind == SC_FILE && !cc_copy_only(r.dict, e->path) &&
                !sc_is_binary(e->data, e->len)) {
                r.files_jo.file = display;
                if ((rc = sc_render_text(e->data, e->len, &r.files_jo, r.ctx, &body, err)))
                    goto out;
                rc = sc_tree_add(&out, path.ptr, SC_FILE, e->mode, body.ptr, body.len, 1, err);
            } else {
                rc = sc_tree_add(&out, path.ptr, e->kind, e->mode, e->data, e->len, 1, err);
            }
        }
        if (rc < 0)
            goto out;
        rc = 0;
    }
    sc_tree_sort(&out);
    pre = cc_find_hook(o->template_dir, "pre_gen_project");
    post = cc_find_hook(o->template_dir, "post_gen_project");
    if ((pre || post) && !o->allow_hooks)
        fprintf(stderr, "warning: the skeleton has hooks (%s%s%s); not run without --allow-hooks\n",
                pre ? "pre_gen_project" : "", pre && post ? ", " : "",
                post ? "post_gen_project" : "");
    if (pre && o->allow_hooks) {
        /* pre_gen_project runs in the (empty) project folder. */
        if (sc_mkdir_p(outdir, err) || mkdir(outdir, 0755)) {
            rc = sl_error_setpos(err, SL_EIO, outdir, 0, 0, "cannot create the project folder");
            goto out;
        }
        if ((rc = cc_hook(&r, pre, outdir, err))) {
            sc_rmtree(outdir);
            goto out;
        }
    }
    if ((rc = sc_tree_write(&out, outdir, err)))
        goto out;
    if (post && o->allow_hooks && (rc = cc_hook(&r, post, outdir, err)))
        goto out;
    if (!o->quiet)
        printf("%s\n", outdir);
out:
    sl_docv_free(&dv);
    cJSON_Delete(defaults);
    cJSON_Delete(r.ctx);
    sl_buf_free(&data);
    sl_buf_free(&path);
    sl_buf_free(&body);
    sl_buf_free(&proj);
    free(tdir_name);
    free(tdir);
    free(outdir);
    free(display);
    free(pre);
    free(post);
    sc_tree_free(&skel);
    sc_tree_free(&out);
    sl_strv_free(&copied);
    return rc;
}
