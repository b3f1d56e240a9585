/* dir.c: the `dir` source, a local directory read in place, and
 * sl_dir_snapshot_open (also used by `sluice diff --local DIR`).
 *
 * Confinement. Symlinks that stay inside the root must work (a platform
 * repo checked out with relative links is normal), so plain O_NOFOLLOW
 * walking is not enough: it would need a user-space reimplementation of
 * symlink resolution. Instead every path is resolved with realpath(3), i.e.
 * by the kernel's own rules, and the result must be the canonical root or
 * lie below it; the resolved path is then opened with O_NOFOLLOW, so the
 * final component cannot be swapped for a link after the check. The
 * remaining window (an intermediate directory replaced by a symlink between
 * realpath and open) needs someone writing the tree while sluice reads it;
 * a `dir` source is operator-owned, and a pull-request checkout is content,
 * not a concurrent writer, so static links (the real attack: a PR adding
 * `x -> /etc/shadow`) are always caught. */
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_source.h"

typedef struct dir_snapshot {
    sl_snapshot base;
    char *root; /* canonical (realpath) root */
    size_t rootlen;
} dir_snapshot;

typedef struct dir_source {
    char *path; /* as configured, resolved against the config file's directory */
} dir_source;

/* 1 if real (canonical) is root or below it. */
static int dir_within(const dir_snapshot *ds, const char *real)
{
    if (ds->rootlen == 1 && ds->root[0] == '/')
        return 1;
    return !strncmp(real, ds->root, ds->rootlen) &&
           (real[ds->rootlen] == '\0' || real[ds->rootlen] == '/');
}

/* Resolve path (normalised, "" = root) to a canonical path inside the root.
 * *out is the caller's. SL_ENOTFOUND when missing, SL_ECONFINE when the
 * resolution leaves the root. */
static int dir_resolve(const dir_snapshot *ds, const char *path, char **out, sl_error *err)
{
    char *joined = NULL, *real = NULL;
    int rc = 0;

    *out = NULL;
    if (asprintf(&joined, "%s/%s", ds->root, path) < 0) {
        joined = NULL;
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    real = realpath(joined, NULL);
    if (!real) {
        struct stat st;
        int e = errno;
        if (e == ENOENT || e == ENOTDIR) {
            /* A dangling link with an absolute target outside the root is
             * still an escape attempt: say so rather than "not found". */
            char target[4096];
            ssize_t n;
            if (lstat(joined, &st) == 0 && S_ISLNK(st.st_mode) &&
                (n = readlink(joined, target, sizeof(target) - 1)) > 0) {
                target[n] = '\0';
                if (target[0] == '/' && strncmp(target, ds->root, ds->rootlen) != 0) {
                    rc = sl_error_set(err, SL_ECONFINE,
                                      "\"%s\" is a symlink that leaves the source root", path);
                    goto out;
                }
            }
            rc = sl_error_set(err, SL_ENOTFOUND, "\"%s\" not found", path);
        } else if (e == ELOOP) {
            rc = sl_error_set(err, SL_ELIMIT, "\"%s\": too many levels of symbolic links", path);
        } else {
            rc = sl_error_set(err, SL_EIO, "\"%s\": %s", path, strerror(e));
        }
        goto out;
    }
    if (!dir_within(ds, real)) {
        rc = sl_error_set(err, SL_ECONFINE,
                          "\"%s\" resolves outside the source root (symlinks must stay inside it)",
                          path);
        goto out;
    }
    *out = real;
    real = NULL;
out:
    free(real);
    free(joined);
    return rc;
}

static int dir_read(sl_snapshot *s, const char *path, size_t max, sl_buf *out, sl_error *err)
{
    dir_snapshot *ds = (dir_snapshot *)s;
    char *real = NULL, tmp[65536];
    struct stat st;
    size_t total = 0;
    ssize_t r;
    int fd = -1, rc;

    if ((rc = dir_resolve(ds, path, &real, err)))
        goto out;
    /* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
    fd = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        rc = sl_error_set(err,
                          errno == ENOENT  ? SL_ENOTFOUND
                          : errno == ELOOP ? SL_ECONFINE
                                           : SL_EIO,
                          "\"%s\": %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        rc = sl_error_set(err, SL_EIO, "\"%s\": %s", path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = sl_error_set(err, SL_EINVAL, "\"%s\" is a directory", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = sl_error_set(err, SL_EINVAL, "\"%s\" is not a regular file", path);
        goto out;
    }
    if ((size_t)st.st_size > max) {
        rc = sl_error_set(err, SL_ELIMIT, "\"%s\" is %lld bytes, over the %zu-byte limit", path,
                          (long long)st.st_size, max);
        goto out;
    }
    while ((r = read(fd, tmp, sizeof(tmp))) != 0) {
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            rc = sl_error_set(err, SL_EIO, "\"%s\": %s", path, strerror(errno));
            goto out;
        }
        total += (size_t)r;
        if (total > max) {
            rc = sl_error_set(err, SL_ELIMIT, "\"%s\" is over the %zu-byte limit", path, max);
            goto out;
        }
        if ((rc = sl_buf_put(out, tmp, (size_t)r))) {
            sl_error_set(err, rc, "\"%s\": output buffer full", path);
            goto out;
        }
    }
    if (!out->ptr && (rc = sl_buf_put(out, "", 0)))
        sl_error_set(err, rc, "out of memory");
out:
    if (fd >= 0)
        close(fd);
    free(real);
    return rc;
}

/* Classify one directory entry: 1 directory, 0 file, -1 skip. Symlinks are
 * resolved; one that leaves the root (or dangles) is listed as a file so
 * that reading it reports the problem with its name. */
static int dir_entry_kind(const dir_snapshot *ds, int dfd, const char *dirreal, const char *name)
{
    struct stat st;
    char *joined, *real;
    int kind = -1;

    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -1;
    if (S_ISDIR(st.st_mode))
        return 1;
    if (S_ISREG(st.st_mode))
        return 0;
    if (!S_ISLNK(st.st_mode))
        return -1; /* sockets, FIFOs, devices: never part of a tree */
    if (asprintf(&joined, "%s/%s", dirreal, name) < 0)
        return -1;
    real = realpath(joined, NULL);
    free(joined);
    if (!real || !dir_within(ds, real) || stat(real, &st) != 0)
        kind = 0;
    else if (S_ISDIR(st.st_mode))
        kind = 1;
    else if (S_ISREG(st.st_mode))
        kind = 0;
    free(real);
    return kind;
}

static int dir_list(sl_snapshot *s, const char *path, sl_strv *out, sl_error *err)
{
    dir_snapshot *ds = (dir_snapshot *)s;
    sl_strv names = SL_STRV_INIT;
    sl_buf entry = SL_BUF_INIT;
    char *real = NULL;
    DIR *d = NULL;
    struct dirent *e;
    int rc, fd;

    if ((rc = dir_resolve(ds, path, &real, err)))
        goto out;
    fd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int en = errno;
        rc = sl_error_set(err,
                          en == ENOTDIR  ? SL_EINVAL
                          : en == ENOENT ? SL_ENOTFOUND
                                         : SL_EIO,
                          "\"%s\": %s", path[0] ? path : ".",
                          en == ENOTDIR ? "not a directory" : strerror(en));
        goto out;
    }
    if (!(d = fdopendir(fd))) {
        close(fd);
        rc = sl_error_set(err, SL_EIO, "\"%s\": %s", path, strerror(errno));
        goto out;
    }
    for (;;) {
        int kind;
        errno = 0;
        if (!(e = readdir(d))) {
            if (errno)
                rc = sl_error_set(err, SL_EIO, "\"%s\": %s", path, strerror(errno));
            break;
        }
        /* ".git" is skipped so that a working tree (diff --local) lists the
         * same entries as the git tree it was checked out from. */
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ".git"))
            continue;
        kind = dir_entry_kind(ds, dirfd(d), real, e->d_name);
        if (kind < 0)
            continue;
        if (kind)
            rc = sl_buf_printf(&entry, "%s/", e->d_name);
        else
            rc = sl_buf_puts(&entry, e->d_name);
        if (!rc)
            rc = sl_strv_take(&names, sl_buf_detach(&entry));
        if (rc) {
            sl_error_set(err, rc, "\"%s\": too many entries", path);
            goto out;
        }
    }
    if (rc)
        goto out;
    for (size_t i = 0; i < names.n; i++) {
        rc = sl_strv_take(out, names.v[i]);
        names.v[i] = NULL; /* owned by out now, or freed by sl_strv_take */
        if (rc) {
            sl_error_set(err, rc, "out of memory");
            goto out;
        }
    }
out:
    if (d)
        closedir(d);
    sl_buf_free(&entry);
    sl_strv_free(&names);
    free(real);
    return rc;
}

static void dir_snapshot_free(sl_snapshot *s)
{
    dir_snapshot *ds = (dir_snapshot *)s;

    if (!ds)
        return;
    sl_snapshot_fini(&ds->base);
    free(ds->root);
    free(ds);
}

/* The file's modification time (resolved inside the root like read). */
static int dir_mtime(sl_snapshot *s, const char *path, int64_t *out, sl_error *err)
{
    dir_snapshot *ds = (dir_snapshot *)s;
    char *real = NULL;
    struct stat st;
    int rc;

    if ((rc = dir_resolve(ds, path, &real, err)))
        goto out;
    if (stat(real, &st) != 0) {
        rc = sl_error_set(err, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "\"%s\": %s", path,
                          strerror(errno));
        goto out;
    }
    *out = (int64_t)st.st_mtime;
out:
    free(real);
    return rc;
}

static const sl_snapshot_ops dir_snapshot_ops = {
    .read = dir_read,
    .list = dir_list,
    .free = dir_snapshot_free,
    .mtime = dir_mtime,
};

/* Canonicalise root and check that it is a directory. *out is the caller's. */
static int dir_root(const char *root, char **out, sl_error *err)
{
    struct stat st;
    char *real;

    *out = NULL;
    if (!root || !root[0])
        return sl_error_set(err, SL_EINVAL, "no directory given");
    if (!(real = realpath(root, NULL)))
        return sl_error_set(err, errno == ENOENT || errno == ENOTDIR ? SL_ENOTFOUND : SL_EIO,
                            "directory %s: %s", root, strerror(errno));
    if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(real);
        return sl_error_set(err, SL_EINVAL, "%s is not a directory", root);
    }
    *out = real;
    return 0;
}

int sl_dir_snapshot_open(const char *root, const char *source_name, sl_snapshot **out,
                         sl_error *err)
{
    dir_snapshot *ds = NULL;
    int rc;

    *out = NULL;
    if (!(ds = calloc(1, sizeof(*ds)))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = dir_root(root, &ds->root, err)))
        goto out;
    ds->rootlen = strlen(ds->root);
    if ((rc = sl_snapshot_init(&ds->base, &dir_snapshot_ops, source_name, "local"))) {
        sl_error_set(err, rc, "out of memory");
        goto out;
    }
    *out = &ds->base;
    ds = NULL;
out:
    if (ds) {
        free(ds->root);
        free(ds);
    }
    return rc;
}

/* ---- the source ---- */

static int dir_open(sl_source *src, const cJSON *node, sl_confctx *c)
{
    static const char *const allowed[] = {"dir", "interval", "webhook", NULL};
    dir_source *ds;
    const char *path = NULL;
    int rc;

    if (!(ds = calloc(1, sizeof(*ds))))
        return SL_ENOMEM;
    src->priv = ds;
    rc = sl_conf_check_keys(c, node, allowed);
    if (sl_conf_str(c, node, "dir", 1, &path))
        return SL_EINVAL;
    if (!(ds->path = sl_conf_path(c, path)))
        return SL_ENOMEM;
    src->url = ds->path;
    return rc;
}

/* Fold the names, sizes, modes and modification times of every entry
 * below dir (sorted, .git skipped, symlinks not followed) into h. */
static int dir_fp_walk(EVP_MD_CTX *h, const char *dir, int depth, size_t *count, sl_error *err)
{
    struct dirent **names = NULL;
    int n, rc = 0;

    if (depth > 64)
        return sl_error_set(err, SL_ELIMIT, "%s: folders nested deeper than 64", dir);
    n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return sl_error_set(err, SL_EIO, "cannot list %s: %s", dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char path[4096];
        struct stat st;
        if (rc || !strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, ".git"))
            continue;
        if (++*count > 1000000) {
            rc = sl_error_set(err, SL_ELIMIT, "%s: more than 1,000,000 entries", dir);
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (lstat(path, &st))
            continue; /* vanished while we looked: the next fetch sees it */
        char rec[128];
        int len = snprintf(rec, sizeof(rec), "|%o|%lld|%lld.%09ld|", (unsigned)st.st_mode,
                           (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        EVP_DigestUpdate(h, path, strlen(path));
        EVP_DigestUpdate(h, rec, (size_t)len);
        if (S_ISDIR(st.st_mode))
            rc = dir_fp_walk(h, path, depth + 1, count, err);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* A revision id for a folder: "dir-" and a hash of its entries' metadata,
 * so that a poll sees edits without reading every file. */
static int dir_fingerprint(const char *root, char *out, size_t n, sl_error *err)
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t count = 0;
    int rc;

    if (!h || !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(h);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    rc = dir_fp_walk(h, root, 0, &count, err);
    EVP_DigestFinal_ex(h, md, &mdlen);
    EVP_MD_CTX_free(h);
    if (rc)
        return rc;
    snprintf(out, n, "dir-");
    for (unsigned int i = 0; i < 10 && 4 + 2 * i + 2 < n; i++)
        snprintf(out + 4 + 2 * i, n - 4 - 2 * i, "%02x", md[i]);
    return 0;
}

static int dir_fetch(sl_source *src, sl_revision *out, sl_error *err)
{
    dir_source *ds = src->priv;
    char *real = NULL;
    int rc;

    if (!ds || !ds->path)
        return sl_error_set(err, SL_EINVAL, "source is not configured");
    if ((rc = dir_root(ds->path, &real, err)))
        return rc;
    memset(out, 0, sizeof(*out));
    rc = dir_fingerprint(real, out->id, sizeof(out->id), err);
    free(real);
    return rc;
}

static int dir_source_snapshot(sl_source *src, const sl_revision *rev, sl_snapshot **out,
                               sl_error *err)
{
    dir_source *ds = src->priv;

    (void)rev;
    *out = NULL;
    if (!ds || !ds->path)
        return sl_error_set(err, SL_EINVAL, "source is not configured");
    return sl_dir_snapshot_open(ds->path, src->name, out, err);
}

static void dir_close(sl_source *src)
{
    dir_source *ds = src ? src->priv : NULL;

    if (!ds)
        return;
    free(ds->path);
    free(ds);
    src->priv = NULL;
}

const sl_source_ops sl_source_dir = {
    .kind = "dir",
    .open = dir_open,
    .fetch = dir_fetch,
    .snapshot = dir_source_snapshot,
    .close = dir_close,
};
