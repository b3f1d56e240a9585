/* snapshot.c: path normalisation, the sl_snapshot_* wrappers (read, list,
 * walk, glob, isdir) and the thin sl_source_* wrappers. Back ends only ever
 * see normalised paths. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_snapshot.h"
#include "sl_source.h"

#define SL_PATH_MAX 4096
#define SL_SNAPSHOT_DEFAULT_READ_MAX ((size_t)8 << 20)
/* Caps for the recursive helpers: a symlink loop inside a `dir` root (a -> .)
 * would otherwise make walk and glob run forever. */
#define SL_WALK_MAX_DEPTH 64
#define SL_WALK_MAX_ENTRIES ((size_t)1000000)

/* Normalise path into out (reset first): '/'-separated, no empty or "."
 * segment, no leading or trailing '/', "" for the root. Absolute paths and
 * ".." segments are SL_ECONFINE; NULL is SL_EINVAL; longer than 4096 bytes
 * is SL_ELIMIT. */
int sl_path_normalize(const char *path, sl_buf *out, sl_error *err)
{
    const char *p, *seg;
    size_t n;
    int rc;

    if (!path)
        return sl_error_set(err, SL_EINVAL, "path is missing");
    sl_buf_reset(out);
    if (path[0] == '/')
        return sl_error_set(err, SL_ECONFINE, "\"%s\": absolute paths are not allowed", path);
    if (strlen(path) > SL_PATH_MAX)
        return sl_error_set(err, SL_ELIMIT, "path is longer than %d bytes", SL_PATH_MAX);
    for (p = path; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        seg = p;
        while (*p && *p != '/')
            p++;
        n = (size_t)(p - seg);
        if (n == 1 && seg[0] == '.')
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.')
            return sl_error_set(err, SL_ECONFINE, "\"%s\": \"..\" is not allowed in paths", path);
        if (out->len && (rc = sl_buf_putc(out, '/')))
            return sl_error_set(err, rc, "out of memory");
        if ((rc = sl_buf_put(out, seg, n)))
            return sl_error_set(err, rc, "out of memory");
    }
    if (!out->ptr && (rc = sl_buf_put(out, "", 0)))
        return sl_error_set(err, rc, "out of memory");
    return 0;
}

static int snapshot_check(const sl_snapshot *s, sl_error *err)
{
    if (!s || !s->ops)
        return sl_error_set(err, SL_EINVAL, "no snapshot");
    return 0;
}

int sl_snapshot_read(sl_snapshot *s, const char *path, size_t max, sl_buf *out, sl_error *err)
{
    sl_buf norm = SL_BUF_INIT;
    int rc;

    if ((rc = snapshot_check(s, err)) || (rc = sl_path_normalize(path, &norm, err)))
        goto out;
    if (!norm.len) {
        rc = sl_error_set(err, SL_EINVAL, "cannot read the root directory as a file");
        goto out;
    }
    rc = s->ops->read(s, norm.ptr, max ? max : SL_SNAPSHOT_DEFAULT_READ_MAX, out, err);
out:
    sl_buf_free(&norm);
    return rc;
}

/* Back ends append in any order; every listing callers see is bytewise
 * sorted, so results never depend on the filesystem or on git. */
static int snapshot_list_sorted(sl_snapshot *s, const char *dir, sl_strv *out, sl_error *err)
{
    size_t first = out->n;
    int rc = s->ops->list(s, dir, out, err);

    if (!rc && out->n - first > 1) {
        sl_strv tail = {out->v + first, out->n - first, out->n - first};
        sl_strv_sort(&tail);
    }
    return rc;
}

int sl_snapshot_list(sl_snapshot *s, const char *dir, sl_strv *out, sl_error *err)
{
    sl_buf norm = SL_BUF_INIT;
    int rc;

    if ((rc = snapshot_check(s, err)) || (rc = sl_path_normalize(dir, &norm, err)))
        goto out;
    rc = snapshot_list_sorted(s, norm.ptr, out, err);
out:
    sl_buf_free(&norm);
    return rc;
}

/* Depth-first walk below dir (normalised, "" for the root), appending every
 * file's full path to out. *count bounds the total work. */
static int walk_rec(sl_snapshot *s, const char *dir, int depth, size_t *count, sl_strv *out,
                    sl_error *err)
{
    sl_strv names = SL_STRV_INIT;
    char *full = NULL;
    int rc;

    if (depth > SL_WALK_MAX_DEPTH) {
        rc = sl_error_set(err, SL_ELIMIT,
                          "\"%s\": directories nested deeper than %d levels (symlink loop?)", dir,
                          SL_WALK_MAX_DEPTH);
        goto out;
    }
    if ((rc = snapshot_list_sorted(s, dir, &names, err)))
        goto out;
    for (size_t i = 0; i < names.n; i++) {
        size_t len = strlen(names.v[i]);
        int isdir = len && names.v[i][len - 1] == '/';

        if (++*count > SL_WALK_MAX_ENTRIES) {
            rc = sl_error_set(err, SL_ELIMIT, "more than %zu entries below \"%s\"",
                              SL_WALK_MAX_ENTRIES, dir);
            goto out;
        }
        if (asprintf(&full, "%s%s%.*s", dir, dir[0] ? "/" : "", (int)(len - (size_t)isdir),
                     names.v[i]) < 0) {
            full = NULL;
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        if (isdir) {
            rc = walk_rec(s, full, depth + 1, count, out, err);
            free(full);
        } else {
            rc = sl_strv_take(out, full);
            if (rc)
                sl_error_set(err, rc, "out of memory");
        }
        full = NULL;
        if (rc)
            goto out;
    }
out:
    sl_strv_free(&names);
    return rc;
}

/* Move every string of from to the end of to; from is left empty. */
static int strv_move(sl_strv *to, sl_strv *from, sl_error *err)
{
    for (size_t i = 0; i < from->n; i++) {
        int rc = sl_strv_take(to, from->v[i]);
        from->v[i] = NULL;
        if (rc) {
            for (size_t j = i + 1; j < from->n; j++)
                free(from->v[j]);
            from->n = 0;
            return sl_error_set(err, rc, "out of memory");
        }
    }
    from->n = 0;
    return 0;
}

int sl_snapshot_walk(sl_snapshot *s, const char *dir, sl_strv *out, sl_error *err)
{
    sl_buf norm = SL_BUF_INIT;
    sl_strv found = SL_STRV_INIT;
    size_t count = 0;
    int rc;

    if ((rc = snapshot_check(s, err)) || (rc = sl_path_normalize(dir, &norm, err)))
        goto out;
    if ((rc = walk_rec(s, norm.ptr, 0, &count, &found, err)))
        goto out;
    sl_strv_sort(&found);
    rc = strv_move(out, &found, err);
out:
    sl_strv_free(&found);
    sl_buf_free(&norm);
    return rc;
}

/* Match segment idx.. of segs below dir ("" for the root). Directories that
 * do not exist, or are files, simply give no match. */
static int glob_rec(sl_snapshot *s, const char *dir, char **segs, size_t nseg, size_t idx,
                    size_t *count, sl_strv *out, sl_error *err)
{
    sl_strv names = SL_STRV_INIT;
    char *full = NULL;
    int last = idx + 1 == nseg;
    int rc;

    rc = snapshot_list_sorted(s, dir, &names, err);
    if (rc == SL_ENOTFOUND || rc == SL_EINVAL) {
        sl_error_clear(err);
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    for (size_t i = 0; i < names.n; i++) {
        size_t len = strlen(names.v[i]);
        int isdir = len && names.v[i][len - 1] == '/';
        char *name = names.v[i];

        if (++*count > SL_WALK_MAX_ENTRIES) {
            rc = sl_error_set(err, SL_ELIMIT, "glob visited more than %zu entries",
                              SL_WALK_MAX_ENTRIES);
            goto out;
        }
        if (isdir)
            name[len - 1] = '\0';
        if ((!last && !isdir) || fnmatch(segs[idx], name, FNM_PERIOD) != 0)
            continue;
        if (asprintf(&full, "%s%s%s", dir, dir[0] ? "/" : "", name) < 0) {
            full = NULL;
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        if (last) {
            rc = sl_strv_take(out, full);
            if (rc)
                sl_error_set(err, rc, "out of memory");
        } else {
            rc = glob_rec(s, full, segs, nseg, idx + 1, count, out, err);
            free(full);
        }
        full = NULL;
        if (rc)
            goto out;
    }
out:
    sl_strv_free(&names);
    return rc;
}

/* Expand pattern (normalised like a path; each segment an fnmatch pattern
 * with FNM_PERIOD, so "*" does not match dot files) against the snapshot.
 * Appends matching files and directories, without trailing '/', sorted. */
int sl_snapshot_glob(sl_snapshot *s, const char *pattern, sl_strv *out, sl_error *err)
{
    sl_buf norm = SL_BUF_INIT;
    sl_strv segs = SL_STRV_INIT, found = SL_STRV_INIT;
    size_t count = 0;
    int rc;

    if ((rc = snapshot_check(s, err)) || (rc = sl_path_normalize(pattern, &norm, err)))
        goto out;
    if (!norm.len) {
        rc = sl_error_set(err, SL_EINVAL, "empty glob pattern");
        goto out;
    }
    for (char *p = norm.ptr, *slash;; p = slash + 1) {
        slash = strchr(p, '/');
        if ((rc = slash ? sl_strv_pushn(&segs, p, (size_t)(slash - p)) : sl_strv_push(&segs, p))) {
            sl_error_set(err, rc, "out of memory");
            goto out;
        }
        if (!slash)
            break;
    }
    if ((rc = glob_rec(s, "", segs.v, segs.n, 0, &count, &found, err)))
        goto out;
    sl_strv_sort(&found);
    rc = strv_move(out, &found, err);
out:
    sl_strv_free(&found);
    sl_strv_free(&segs);
    sl_buf_free(&norm);
    return rc;
}

int sl_snapshot_isdir(sl_snapshot *s, const char *path, sl_error *err)
{
    sl_buf norm = SL_BUF_INIT;
    sl_strv names = SL_STRV_INIT;
    char *parent = NULL, *base;
    int rc;

    if ((rc = snapshot_check(s, err)) || (rc = sl_path_normalize(path, &norm, err)))
        goto out;
    if (!norm.len) {
        rc = 1;
        goto out;
    }
    if (!(parent = strdup(norm.ptr))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    base = strrchr(parent, '/');
    if (base)
        *base++ = '\0';
    else {
        base = norm.ptr;
        parent[0] = '\0';
    }
    rc = snapshot_list_sorted(s, parent, &names, err);
    if (rc == SL_ENOTFOUND || rc == SL_EINVAL) {
        rc = sl_error_set(err, SL_ENOTFOUND, "\"%s\" not found", norm.ptr);
        goto out;
    }
    if (rc)
        goto out;
    rc = SL_ENOTFOUND;
    for (size_t i = 0; i < names.n && rc == SL_ENOTFOUND; i++) {
        size_t bl = strlen(base);
        if (strncmp(names.v[i], base, bl))
            continue;
        if (names.v[i][bl] == '\0')
            rc = 0;
        else if (names.v[i][bl] == '/' && names.v[i][bl + 1] == '\0')
            rc = 1;
    }
    if (rc == SL_ENOTFOUND)
        sl_error_set(err, SL_ENOTFOUND, "\"%s\" not found", norm.ptr);
out:
    free(parent);
    sl_strv_free(&names);
    sl_buf_free(&norm);
    return rc;
}

int sl_snapshot_mtime(sl_snapshot *s, const char *path, int64_t *out, sl_error *err)
{
    sl_buf norm = SL_BUF_INIT;
    int rc;

    *out = 0;
    if ((rc = snapshot_check(s, err)) || (rc = sl_path_normalize(path, &norm, err)))
        goto out;
    if (!s->ops->mtime) {
        rc = sl_error_set(err, SL_EUNSUPPORTED, "source %s cannot tell when \"%s\" changed",
                          s->source, norm.ptr);
        goto out;
    }
    rc = s->ops->mtime(s, norm.ptr, out, err);
out:
    sl_buf_free(&norm);
    return rc;
}

void sl_snapshot_free(sl_snapshot *s)
{
    if (s && s->ops && s->ops->free)
        s->ops->free(s);
}

int sl_snapshot_init(sl_snapshot *s, const sl_snapshot_ops *ops, const char *source,
                     const char *revision)
{
    s->ops = ops;
    s->source = strdup(source ? source : "");
    s->revision = strdup(revision ? revision : "");
    if (!s->source || !s->revision) {
        sl_snapshot_fini(s);
        return SL_ENOMEM;
    }
    return 0;
}

void sl_snapshot_fini(sl_snapshot *s)
{
    if (!s)
        return;
    free(s->source);
    free(s->revision);
    s->source = s->revision = NULL;
}

int sl_source_fetch(sl_source *src, sl_revision *out, sl_error *err)
{
    int rc;

    if (!src || !src->ops || !src->ops->fetch)
        return sl_error_set(err, SL_EINVAL, "source is not open");
    memset(out, 0, sizeof(*out));
    rc = src->ops->fetch(src, out, err);
    if (rc)
        sl_error_prefix(err, "source \"%s\"", src->name ? src->name : "");
    return rc;
}

int sl_source_snapshot(sl_source *src, const sl_revision *rev, sl_snapshot **out, sl_error *err)
{
    int rc;

    *out = NULL;
    if (!src || !src->ops || !src->ops->snapshot)
        return sl_error_set(err, SL_EINVAL, "source is not open");
    rc = src->ops->snapshot(src, rev, out, err);
    if (rc) {
        sl_error_prefix(err, "source \"%s\"", src->name ? src->name : "");
        *out = NULL;
    }
    return rc;
}
