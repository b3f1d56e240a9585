/* manifests.c: the `manifests` renderer: every .yaml, .yml and .json file
 * under a path of the source, in sorted path order. */
#include <fnmatch.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_app.h"
#include "sl_render.h"

typedef struct manifests_opts {
    char *path;      /* NULL = the app's generator dir (or the root) */
    int recurse;     /* default true */
    sl_strv exclude; /* globs over paths relative to path, and over base names */
} manifests_opts;

static void manifests_free_opts(void *p)
{
    manifests_opts *o = p;

    if (!o)
        return;
    free(o->path);
    sl_strv_free(&o->exclude);
    free(o);
}

static int manifests_configure(const cJSON *node, sl_confctx *c, void **out)
{
    static const char *const keys[] = {"path", "recurse", "exclude", NULL};
    manifests_opts *o = calloc(1, sizeof(*o));
    const char *path = NULL;
    const cJSON *ex, *it;
    int rc = 0;

    if (!o)
        return SL_ENOMEM;
    o->recurse = 1;
    if (node) {
        sl_conf_check_keys(c, node, keys);
        sl_conf_str(c, node, "path", 0, &path);
        sl_conf_bool(c, node, "recurse", &o->recurse);
        ex = cJSON_GetObjectItemCaseSensitive(node, "exclude");
        if (ex && !cJSON_IsArray(ex))
            rc = sl_conf_error(c, ex, "exclude must be a list of glob patterns");
        if (!cJSON_IsArray(ex))
            ex = NULL;
        cJSON_ArrayForEach(it, ex)
        {
            if (!cJSON_IsString(it))
                rc = sl_conf_error(c, it, "exclude entries must be strings");
            else if (sl_strv_push(&o->exclude, it->valuestring))
                rc = SL_ENOMEM;
        }
    }
    if (path) {
        sl_buf norm = SL_BUF_INIT;
        sl_error err;
        if (strstr(path, "{{"))
            o->path = strdup(path); /* a generator hole, checked once filled */
        else if (sl_path_normalize(path, &norm, &err))
            rc = sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(node, "path"), "path: %s",
                               err.msg);
        else
            o->path = sl_buf_detach(&norm);
        sl_buf_free(&norm);
    }
    *out = o;
    return rc;
}

/* A file is excluded when a pattern matches its path, its base name, or
 * one of the folders it is in, as in .gitignore: "templates" keeps
 * everything below templates/ out. */
static int manifests_excluded(const manifests_opts *o, const char *rel)
{
    const char *base = strrchr(rel, '/');
    char prefix[4096];

    base = base ? base + 1 : rel;
    for (size_t i = 0; i < o->exclude.n; i++) {
        if (!fnmatch(o->exclude.v[i], rel, FNM_PATHNAME) || !fnmatch(o->exclude.v[i], base, 0))
            return 1;
        for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
            size_t n = (size_t)(s - rel);
            if (n >= sizeof(prefix))
                break;
            memcpy(prefix, rel, n);
            prefix[n] = 0;
            if (!fnmatch(o->exclude.v[i], prefix, FNM_PATHNAME))
                return 1;
        }
    }
    return 0;
}

static int manifests_wanted(const char *file)
{
    size_t n = strlen(file);

    return (n > 5 && !strcmp(file + n - 5, ".yaml")) || (n > 4 && !strcmp(file + n - 4, ".yml")) ||
           (n > 5 && !strcmp(file + n - 5, ".json"));
}

/* Files are read in batches; the parsing of a batch is shared between the
 * calling thread and one helper thread (each with its own position table,
 * merged afterwards), and the documents are added in path order, so the
 * result and the first error reported are those of a sequential run. */
#define MF_BATCH 256
#define MF_PARALLEL_MIN ((size_t)64 << 10) /* bytes in a batch worth a thread */

typedef struct mf_job {
    const char *path;
    sl_buf data;
    sl_docv docs;
    sl_error err;
    int rc;
} mf_job;

typedef struct mf_half {
    mf_job *jobs;
    size_t n;
    size_t first; /* parse jobs first, first + 2, ... */
    const sl_doc_limits *limits;
    sl_posmap *pm;
} mf_half;

static void *mf_parse(void *arg)
{
    mf_half *h = arg;

    for (size_t i = h->first; i < h->n; i += 2) {
        mf_job *j = &h->jobs[i];
        sl_error_clear(&j->err);
        j->rc = sl_doc_parse(j->path, j->data.ptr ? j->data.ptr : "", j->data.len, h->limits,
                             h->pm, &j->docs, &j->err);
        sl_buf_free(&j->data);
    }
    return NULL;
}

static int manifests_parse_all(const sl_app *app, sl_render_ctx *ctx, sl_snapshot *snap,
                               const sl_strv *files, sl_objset *out, sl_error *err)
{
    mf_job *jobs = calloc(MF_BATCH, sizeof(*jobs));
    sl_posmap *side = NULL;
    int ncpu = sl_threads();
    int rc = 0;

    if (!jobs)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (size_t base = 0; !rc && base < files->n; base += MF_BATCH) {
        size_t n = files->n - base < MF_BATCH ? files->n - base : MF_BATCH, bytes = 0;
        mf_half mine = {jobs, n, 0, &ctx->limits, out->pm}, other = mine;
        pthread_t tid;
        int threaded = 0;

        for (size_t i = 0; i < n; i++) {
            mf_job *j = &jobs[i];
            memset(j, 0, sizeof(*j));
            j->path = files->v[base + i];
            if ((rc = sl_snapshot_read(snap, j->path, ctx->limits.max_file_bytes, &j->data,
                                       err)) ||
                (rc = sl_objset_account(out, j->data.len, j->path, err))) {
                n = i + 1;
                break;
            }
            bytes += j->data.len;
        }
        if (!rc && ncpu > 1 && n > 1 && bytes >= MF_PARALLEL_MIN &&
            (side || sl_posmap_new(&side) == 0)) {
            other.first = 1;
            other.pm = side;
            mine.first = 0;
            threaded = pthread_create(&tid, NULL, mf_parse, &other) == 0;
        }
        if (!rc) {
            if (threaded) {
                /* even jobs here, odd ones on the helper thread */
                mine.n = n;
                mf_parse(&mine);
                pthread_join(tid, NULL);
                if (sl_posmap_merge(out->pm, side))
                    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                sl_posmap_free(side);
                side = NULL;
            } else {
                for (size_t i = 0; i < n; i++) {
                    mine.first = i;
                    mine.n = i + 1;
                    mf_parse(&mine);
                }
            }
        }
        for (size_t i = 0; i < n; i++) {
            mf_job *j = &jobs[i];
            if (!rc && j->rc) {
                rc = j->rc;
                *err = j->err;
            }
            if (!rc)
                rc = sl_render_add_docs(app, j->path, &j->docs, out, err);
            sl_docv_free(&j->docs);
            sl_buf_free(&j->data);
        }
    }
    sl_posmap_free(side);
    free(jobs);
    return rc;
}

static int manifests_render(const sl_app *app, sl_render_ctx *ctx, sl_objset *out, sl_error *err)
{
    const manifests_opts *o = app->opts;
    sl_snapshot *snap;
    sl_strv files = SL_STRV_INIT;
    sl_buf dir = SL_BUF_INIT;
    int rc;

    if ((rc = ctx->snapshot(ctx, NULL, &snap, err)))
        goto out;
    if ((rc = sl_path_normalize(o->path ? o->path : app->path, &dir, err)))
        goto out;
    if ((rc = sl_snapshot_isdir(snap, dir.ptr, err)) != 1) {
        if (rc >= 0)
            rc = sl_error_set(err, SL_EINVAL, "manifests path \"%s\" is a file, not a folder",
                              dir.ptr);
        else
            sl_error_set(err, rc, "manifests path \"%s\" does not exist in source %s at %s",
                         dir.ptr[0] ? dir.ptr : ".", snap->source, snap->revision);
        goto out;
    }
    if (o->recurse) {
        rc = sl_snapshot_walk(snap, dir.ptr, &files, err);
    } else {
        sl_strv names = SL_STRV_INIT;
        rc = sl_snapshot_list(snap, dir.ptr, &names, err);
        for (size_t i = 0; !rc && i < names.n; i++) {
            size_t n = strlen(names.v[i]);
            char *full;
            if (n && names.v[i][n - 1] == '/')
                continue;
            if (asprintf(&full, "%s%s%s", dir.ptr, dir.ptr[0] ? "/" : "", names.v[i]) < 0)
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            else
                rc = sl_strv_take(&files, full);
        }
        sl_strv_free(&names);
    }
    if (rc)
        goto out;
    {
        size_t nwant = 0;
        for (size_t i = 0; i < files.n; i++) {
            const char *rel = files.v[i] + (dir.len ? dir.len + 1 : 0);
            if (manifests_wanted(files.v[i]) && !manifests_excluded(o, rel))
                files.v[nwant++] = files.v[i];
            else
                free(files.v[i]);
        }
        files.n = nwant;
    }
    rc = manifests_parse_all(app, ctx, snap, &files, out, err);
out:
    sl_strv_free(&files);
    sl_buf_free(&dir);
    return rc;
}

const sl_renderer_ops sl_renderer_manifests = {
    .kind = "manifests",
    .configure = manifests_configure,
    .free_opts = manifests_free_opts,
    .render = manifests_render,
};
