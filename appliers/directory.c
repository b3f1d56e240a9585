/* directory.c: the `directory` target. One YAML file per object under the
 * root: <root>/<namespace>/<Kind>[.<group>]/<name>.yaml, cluster-scoped
 * objects under <root>/_cluster/ (a namespace cannot start with '_').
 * Per-app inventories live in <root>/.sluice/inventory/<app>.json. Every
 * write is atomic (temp file, fsync, rename, fsync of the folder) and no
 * path can leave the root: every component is checked and no symlink
 * below the root is followed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_doc.h"
#include "sl_target.h"

typedef struct dir_target {
    char *root;
} dir_target;

static int dir_open(sl_target *t, const cJSON *node, sl_confctx *c)
{
    static const char *const keys[] = {"directory", NULL};
    dir_target *d;
    const char *path;

    sl_conf_check_keys(c, node, keys);
    if (sl_conf_str(c, node, "directory", 1, &path))
        return SL_EINVAL;
    d = calloc(1, sizeof(*d));
    if (!d || !(d->root = sl_conf_path(c, path))) {
        free(d);
        return SL_ENOMEM;
    }
    t->priv = d;
    return 0;
}

static void dir_close(sl_target *t)
{
    dir_target *d = t->priv;

    if (d)
        free(d->root);
    free(d);
    t->priv = NULL;
}

/* A path component taken from an object: non-empty, no '/', no NUL, not
 * "." or "..", not starting with '.' (reserved for sluice's own files). */
static int dir_component_ok(const char *s)
{
    return s[0] && s[0] != '.' && !strchr(s, '/') && strlen(s) < 254;
}

/* Build the relative folder and file name of an object. */
static int dir_relpath(const sl_objid *id, char *folder, size_t fn, char *file, size_t n,
                       sl_error *err)
{
    char idbuf[600];

    if (!dir_component_ok(id->name) || !dir_component_ok(id->kind) ||
        (id->group[0] && !dir_component_ok(id->group)) || (id->ns[0] && !dir_component_ok(id->ns)))
        return sl_error_set(err, SL_ECONFINE,
                            "object %s has a name, kind, group or namespace that cannot be a "
                            "file name",
                            sl_objid_str(id, idbuf, sizeof(idbuf)));
    snprintf(folder, fn, "%s/%s%s%s", id->ns[0] ? id->ns : "_cluster", id->kind,
             id->group[0] ? "." : "", id->group);
    snprintf(file, n, "%s/%s.yaml", folder, id->name);
    return 0;
}

/* mkdir -p of the root itself (the operator chose it, so symlinks on the
 * way to it are fine). */
static int dir_mkroot(const char *root, sl_error *err)
{
    char path[4096];
    size_t n = strlen(root);

    if (n == 0 || n >= sizeof(path))
        return sl_error_set(err, SL_EINVAL, "bad target folder \"%s\"", root);
    memcpy(path, root, n + 1);
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(path, 0755) && errno != EEXIST)
                return sl_error_set(err, SL_EIO, "cannot create %s: %s", path, strerror(errno));
            *p = saved;
            if (!saved)
                break;
        }
    }
    return 0;
}

/* mkdir -p of rel below root, refusing symlinks on the way. */
static int dir_mkdirs(const dir_target *d, const char *rel, sl_error *err)
{
    char path[4096];
    size_t rootlen = strlen(d->root);
    struct stat st;
    int rc;

    if (snprintf(path, sizeof(path), "%s/%s", d->root, rel) >= (int)sizeof(path))
        return sl_error_set(err, SL_ELIMIT, "path too long");
    if ((rc = dir_mkroot(d->root, err)))
        return rc;
    for (char *p = path + rootlen + 1;; p++) {
        char saved = *p;
        if (saved != '/' && saved != '\0')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) && errno != EEXIST) {
            int e = errno;
            *p = saved;
            return sl_error_set(err, SL_EIO, "cannot create %s: %s", path, strerror(e));
        }
        if (lstat(path, &st) || !S_ISDIR(st.st_mode)) {
            *p = saved;
            return sl_error_set(err, SL_ECONFINE, "%s is not a folder (a symlink?); refusing",
                                path);
        }
        *p = saved;
        if (!saved)
            break;
    }
    return 0;
}

/* Write data to root/rel atomically. */
static int dir_write_atomic(const dir_target *d, const char *rel, const char *data, size_t len,
                            sl_error *err)
{
    char path[4096], tmp[4200], folder[4096];
    char *slash;
    int fd = -1, rc = 0;
    size_t off = 0;

    snprintf(path, sizeof(path), "%s/%s", d->root, rel);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return sl_error_set(err, SL_EIO, "cannot write %s: %s", tmp, strerror(errno));
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = sl_error_set(err, SL_EIO, "cannot write %s: %s", tmp, strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd)) {
        rc = sl_error_set(err, SL_EIO, "fsync %s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path)) {
        rc = sl_error_set(err, SL_EIO, "rename to %s: %s", path, strerror(errno));
        goto out;
    }
    snprintf(folder, sizeof(folder), "%s", path);
    if ((slash = strrchr(folder, '/'))) {
        *slash = '\0';
        int dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
out:
    if (fd >= 0)
        close(fd);
    if (rc)
        unlink(tmp);
    return rc;
}

/* Read root/rel; SL_ENOTFOUND when absent. Symlinks are not followed. */
static int dir_read(const dir_target *d, const char *rel, sl_buf *out, sl_error *err)
{
    char path[4096];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", d->root, rel);
    if (lstat(path, &st))
        return errno == ENOENT || errno == ENOTDIR
                   ? SL_ENOTFOUND
                   : sl_error_set(err, SL_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return sl_error_set(err, SL_ECONFINE, "%s is not a regular file; refusing", path);
    return sl_file_read(path, 0, out, err);
}

static int dir_get_raw(sl_target *t, const sl_objid *id, sl_buf *out, sl_error *err)
{
    char folder[2048], rel[2400];
    int rc;

    if ((rc = dir_relpath(id, folder, sizeof(folder), rel, sizeof(rel), err)))
        return rc;
    return dir_read(t->priv, rel, out, err);
}

static int dir_get(sl_target *t, const sl_objid *id, cJSON **live, sl_error *err)
{
    sl_buf data = SL_BUF_INIT;
    sl_docv docs = {0};
    char folder[2048], rel[2400];
    int rc;

    *live = NULL;
    if ((rc = dir_relpath(id, folder, sizeof(folder), rel, sizeof(rel), err)))
        return rc;
    rc = dir_read(t->priv, rel, &data, err);
    if (rc == SL_ENOTFOUND) {
        rc = 0;
        goto out;
    }
    if (rc || (rc = sl_yaml_parse(rel, data.ptr, data.len, NULL, NULL, &docs, err)))
        goto out;
    if (docs.n != 1) {
        rc = sl_error_set(err, SL_EINVAL, "%s/%s: expected one object",
                          ((dir_target *)t->priv)->root, rel);
        goto out;
    }
    *live = docs.v[0];
    docs.v[0] = NULL;
out:
    sl_docv_free(&docs);
    sl_buf_free(&data);
    return rc;
}

static int dir_apply(sl_target *t, const cJSON *obj, const sl_apply_opts *o, cJSON **result,
                     sl_error *err)
{
    sl_objid id = {0};
    sl_buf y = SL_BUF_INIT;
    char folder[2048], rel[2400];
    int rc;

    (void)o;
    if (result)
        *result = NULL;
    if ((rc = sl_objid_from_json(obj, NULL, &id, err)) ||
        (rc = dir_relpath(&id, folder, sizeof(folder), rel, sizeof(rel), err)) ||
        (rc = dir_mkdirs(t->priv, folder, err)))
        goto out;
    if ((rc = sl_yaml_write(&y, obj))) {
        sl_error_set(err, rc, "cannot render object as YAML");
        goto out;
    }
    if ((rc = dir_write_atomic(t->priv, rel, y.ptr, y.len, err)))
        goto out;
    if (result && !(*result = cJSON_Duplicate(obj, 1)))
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
    sl_objid_clear(&id);
    sl_buf_free(&y);
    return rc;
}

static int dir_remove(sl_target *t, const sl_objid *id, sl_error *err)
{
    const dir_target *d = t->priv;
    char folder[2048], rel[2400], path[4096];
    int rc;

    if ((rc = dir_relpath(id, folder, sizeof(folder), rel, sizeof(rel), err)))
        return rc;
    snprintf(path, sizeof(path), "%s/%s", d->root, rel);
    if (unlink(path) && errno != ENOENT)
        return sl_error_set(err, SL_EIO, "cannot delete %s: %s", path, strerror(errno));
    /* Drop folders left empty (kind, then namespace); failures are fine. */
    snprintf(path, sizeof(path), "%s/%s", d->root, folder);
    if (rmdir(path) == 0) {
        char *slash = strrchr(path, '/');
        if (slash && slash > path + strlen(d->root)) {
            *slash = '\0';
            rmdir(path);
        }
    }
    return 0;
}

static int dir_inventory_rel(const char *app, char *rel, size_t n, sl_error *err)
{
    if (!dir_component_ok(app))
        return sl_error_set(err, SL_ECONFINE, "app name \"%s\" cannot be a file name", app);
    snprintf(rel, n, ".sluice/inventory/%s.json", app);
    return 0;
}

static int dir_inventory(sl_target *t, const char *app, sl_objset *out, sl_error *err)
{
    sl_buf data = SL_BUF_INIT;
    cJSON *root = NULL, *objs, *it;
    char rel[600];
    int rc;

    if ((rc = dir_inventory_rel(app, rel, sizeof(rel), err)))
        return rc;
    rc = dir_read(t->priv, rel, &data, err);
    if (rc == SL_ENOTFOUND) {
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    root = cJSON_ParseWithLength(data.ptr, data.len);
    objs = cJSON_GetObjectItemCaseSensitive(root, "objects");
    if (!cJSON_IsArray(objs)) {
        rc = sl_error_set(err, SL_EINVAL, "%s/%s: not a sluice inventory",
                          ((dir_target *)t->priv)->root, rel);
        goto out;
    }
    cJSON_ArrayForEach(it, objs)
    {
        sl_objid id;
        if (sl_objid_make(&id, sl_doc_str(it, "group"), sl_doc_str(it, "version"),
                          sl_doc_str(it, "kind"), sl_doc_str(it, "namespace"),
                          sl_doc_str(it, "name"))) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        rc = sl_objset_add_id(out, &id, err);
        sl_objid_clear(&id);
        if (rc)
            goto out;
    }
out:
    cJSON_Delete(root);
    sl_buf_free(&data);
    return rc;
}

static int dir_set_inventory(sl_target *t, const char *app, const sl_objset *ids, sl_error *err)
{
    cJSON *root = cJSON_CreateObject(), *objs;
    char rel[600], *text = NULL;
    int rc;

    if ((rc = dir_inventory_rel(app, rel, sizeof(rel), err)))
        goto out;
    objs = cJSON_AddArrayToObject(root, "objects");
    cJSON_AddStringToObject(root, "app", app);
    if (!objs) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ids->n; i++) {
        const sl_objid *id = &ids->v[i].id;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(objs, o);
        cJSON_AddStringToObject(o, "group", id->group);
        cJSON_AddStringToObject(o, "version", id->version);
        cJSON_AddStringToObject(o, "kind", id->kind);
        cJSON_AddStringToObject(o, "namespace", id->ns);
        cJSON_AddStringToObject(o, "name", id->name);
    }
    if (!(text = cJSON_Print(root))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = dir_mkdirs(t->priv, ".sluice/inventory", err)))
        goto out;
    rc = dir_write_atomic(t->priv, rel, text, strlen(text), err);
out:
    free(text);
    cJSON_Delete(root);
    return rc;
}

const sl_applier_ops sl_applier_directory = {
    .kind = "directory",
    .open = dir_open,
    .get = dir_get,
    .get_raw = dir_get_raw,
    .apply = dir_apply,
    .remove = dir_remove,
    .inventory = dir_inventory,
    .set_inventory = dir_set_inventory,
    .close = dir_close,
};
