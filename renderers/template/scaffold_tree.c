/* scaffold_tree.c: the in-memory output tree of `sluice scaffold`, path
 * confinement, skeleton reading, globbing and the all-or-nothing write. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scaffold_int.h"

/* ---- the tree ---- */

static int sc_entry_cmp(const void *a, const void *b)
{
    return strcmp(((const sc_entry *)a)->path, ((const sc_entry *)b)->path);
}

void sc_tree_sort(sc_tree *t)
{
    if (t->n > 1)
        qsort(t->v, t->n, sizeof(*t->v), sc_entry_cmp);
}

const sc_entry *sc_tree_get(const sc_tree *t, const char *path)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i].path, path))
            return &t->v[i];
    return NULL;
}

/* Add an entry (see scaffold_int.h). A file under a path that is a file
 * already, or a file where a folder is, is an error. */
int sc_tree_add(sc_tree *t, const char *path, sc_kind kind, unsigned mode, const char *data,
                size_t len, int replace, sl_error *err)
{
    sc_entry *e = NULL;
    char *p = NULL, *d = NULL;

    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->v[i].path, path))
            continue;
        if (t->v[i].kind == SC_DIR && kind == SC_DIR)
            return 1;
        if ((t->v[i].kind == SC_DIR) != (kind == SC_DIR))
            return sl_error_set(err, SL_EINVAL, "%s is both a file and a folder", path);
        if (!replace)
            return 1;
        e = &t->v[i];
        break;
    }
    if (t->bytes + len > SC_MAX_TREE_BYTES)
        return sl_error_set(err, SL_ELIMIT, "the output is over %zu bytes", SC_MAX_TREE_BYTES);
    if (!e && t->n >= SC_MAX_ENTRIES)
        return sl_error_set(err, SL_ELIMIT, "the output has over %d entries", SC_MAX_ENTRIES);
    if (!(d = malloc(len + 1)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (len)
        memcpy(d, data, len);
    d[len] = '\0';
    if (e) {
        t->bytes -= e->len;
        free(e->data);
    } else {
        if (t->n == t->cap) {
            size_t nc = t->cap ? t->cap * 2 : 64;
            sc_entry *nv = realloc(t->v, nc * sizeof(*nv));
            if (!nv) {
                free(d);
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            }
            t->v = nv;
            t->cap = nc;
        }
        if (!(p = strdup(path))) {
            free(d);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        e = &t->v[t->n++];
        e->path = p;
    }
    e->kind = kind;
    e->mode = mode & 07777;
    e->data = d;
    e->len = len;
    t->bytes += len;
    return 0;
}

void sc_tree_free(sc_tree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].path);
        free(t->v[i].data);
    }
    free(t->v);
    memset(t, 0, sizeof(*t));
}

/* ---- paths ---- */

/* Append one segment (n bytes) to out, resolving "." and "..". Climbing
 * above the root is SL_ECONFINE. */
static int sc_seg_push(sl_buf *out, const char *s, size_t n, const char *what, sl_error *err)
{
    if (n == 0 || (n == 1 && s[0] == '.'))
        return 0;
    if (n == 2 && s[0] == '.' && s[1] == '.') {
        char *slash;
        if (out->len == 0)
            return sl_error_set(err, SL_ECONFINE,
                                "%s: the rendered path leaves the output folder (\"..\")", what);
        slash = memrchr(out->ptr, '/', out->len);
        out->len = slash ? (size_t)(slash - out->ptr) : 0;
        out->ptr[out->len] = '\0';
        return 0;
    }
    if (out->len && sl_buf_putc(out, '/'))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (sl_buf_put(out, s, n))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    return 0;
}

int sc_path_join(const char *base, const char *rel, const char *what, sl_buf *out, sl_error *err)
{
    const char *p, *q;
    int rc;

    sl_buf_reset(out);
    if (sl_buf_puts(out, ""))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    if (rel[0] == '/')
        return sl_error_set(err, SL_ECONFINE,
                            "%s: the rendered path \"%s\" is absolute; it must stay in the "
                            "output folder",
                            what, rel);
    for (p = base ? base : ""; *p; p = *q ? q + 1 : q) {
        q = p + strcspn(p, "/");
        if ((rc = sc_seg_push(out, p, (size_t)(q - p), what, err)))
            return rc;
    }
    for (p = rel; *p; p = *q ? q + 1 : q) {
        q = p + strcspn(p, "/");
        if ((rc = sc_seg_push(out, p, (size_t)(q - p), what, err)))
            return rc;
    }
    /* Climbing out of base (into a sibling step's folder) is allowed; out of
     * the root is not, and was refused above. */
    return 0;
}

int sc_link_inside(const char *path, const char *target)
{
    int depth = 0;
    const char *p, *q;

    if (!*target || target[0] == '/')
        return 0;
    /* The link's folder depth. */
    for (p = path; (q = strchr(p, '/')); p = q + 1)
        depth++;
    for (p = target; *p; p = *q ? q + 1 : q) {
        size_t n;
        q = p + strcspn(p, "/");
        n = (size_t)(q - p);
        if (n == 0 || (n == 1 && p[0] == '.'))
            continue;
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return 0;
        } else {
            depth++;
        }
    }
    return 1;
}

/* ---- reading a skeleton ---- */

static int sc_skel_walk(const char *root, const char *rel, sc_tree *out, sl_error *err)
{
    char *dpath = NULL;
    DIR *d = NULL;
    struct dirent *de;
    sl_strv names = SL_STRV_INIT;
    sl_buf child = SL_BUF_INIT, full = SL_BUF_INIT, data = SL_BUF_INIT;
    int rc = 0;

    if (asprintf(&dpath, "%s%s%s", root, *rel ? "/" : "", rel) < 0) {
        dpath = NULL;
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (!(d = opendir(dpath))) {
        rc = sl_error_setpos(err, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, dpath, 0, 0, "%s",
                             strerror(errno));
        goto out;
    }
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (sl_strv_push(&names, de->d_name)) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
    }
    sl_strv_sort(&names);
    for (size_t i = 0; i < names.n; i++) {
        struct stat st;

        sl_buf_reset(&child);
        sl_buf_reset(&full);
        if (sl_buf_printf(&child, "%s%s%s", rel, *rel ? "/" : "", names.v[i]) ||
            sl_buf_printf(&full, "%s/%s", root, child.ptr)) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        if (lstat(full.ptr, &st)) {
            rc = sl_error_setpos(err, SL_EIO, full.ptr, 0, 0, "%s", strerror(errno));
            goto out;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlink(full.ptr, target, sizeof(target) - 1);
            if (n < 0) {
                rc = sl_error_setpos(err, SL_EIO, full.ptr, 0, 0, "%s", strerror(errno));
                goto out;
            }
            target[n] = '\0';
            if (!sc_link_inside(child.ptr, target)) {
                rc = sl_error_setpos(err, SL_ECONFINE, full.ptr, 0, 0,
                                     "symlink to \"%s\" points out of the skeleton; refused",
                                     target);
                goto out;
            }
            if ((rc = sc_tree_add(out, child.ptr, SC_LINK, 0777, target, (size_t)n, 1, err)) < 0)
                goto out;
        } else if (S_ISDIR(st.st_mode)) {
            if ((rc = sc_tree_add(out, child.ptr, SC_DIR, st.st_mode, "", 0, 1, err)) < 0)
                goto out;
            if ((rc = sc_skel_walk(root, child.ptr, out, err)))
                goto out;
        } else if (S_ISREG(st.st_mode)) {
            sl_buf_reset(&data);
            if ((rc = sl_file_read(full.ptr, SC_MAX_FILE_BYTES, &data, err)))
                goto out;
            if ((rc = sc_tree_add(out, child.ptr, SC_FILE, st.st_mode, data.ptr ? data.ptr : "",
                                  data.len, 1, err)) < 0)
                goto out;
        } else {
            rc = sl_error_setpos(err, SL_EUNSUPPORTED, full.ptr, 0, 0,
                                 "not a file, folder or symlink");
            goto out;
        }
        rc = 0;
    }
out:
    if (d)
        closedir(d);
    free(dpath);
    sl_strv_free(&names);
    sl_buf_free(&child);
    sl_buf_free(&full);
    sl_buf_free(&data);
    return rc;
}

int sc_skel_read(const char *root, sc_tree *out, sl_error *err)
{
    struct stat st;

    if (stat(root, &st))
        return sl_error_setpos(err, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, root, 0, 0, "%s",
                               strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return sl_error_setpos(err, SL_EINVAL, root, 0, 0, "not a folder");
    return sc_skel_walk(root, "", out, err);
}

/* ---- globs ---- */

int sc_glob_match(const char *pattern, const char *path, int slash_star)
{
    const char *ps, *pe, *ss, *se;
    char pseg[1024], sseg[1024];

    if (slash_star)
        return fnmatch(pattern, path, 0) == 0;
    /* Strip a leading "./" the way globby does. */
    while (pattern[0] == '.' && pattern[1] == '/')
        pattern += 2;
    if (!*pattern)
        return !*path;
    ps = pattern;
    pe = ps + strcspn(ps, "/");
    if ((size_t)(pe - ps) >= sizeof(pseg))
        return 0;
    memcpy(pseg, ps, (size_t)(pe - ps));
    pseg[pe - ps] = '\0';
    if (!strcmp(pseg, "**")) {
        const char *rest = *pe ? pe + 1 : pe;
        /* Zero segments, or one more and try again. */
        if (sc_glob_match(rest, path, 0))
            return 1;
        if (!*path)
            return 0;
        se = path + strcspn(path, "/");
        return sc_glob_match(pattern, *se ? se + 1 : se, 0);
    }
    if (!*path)
        return 0;
    ss = path;
    se = ss + strcspn(ss, "/");
    if ((size_t)(se - ss) >= sizeof(sseg))
        return 0;
    memcpy(sseg, ss, (size_t)(se - ss));
    sseg[se - ss] = '\0';
    if (fnmatch(pseg, sseg, 0))
        return 0;
    if (!*pe)
        return !*se || 0;
    return sc_glob_match(pe + 1, *se ? se + 1 : se, 0);
}

/* ---- binary detection ---- */

int sc_is_binary(const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t n = len < 8192 ? len : 8192, i = 0;

    while (i < n) {
        unsigned c = s[i];
        size_t k;
        if (c == 0)
            return 1;
        if (c < 0x80) {
            i++;
            continue;
        }
        k = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
        if (k == 9)
            return 1;
        if (i + k >= n && n < len)
            return 0; /* cut by the 8 KiB window */
        for (size_t j = 1; j <= k; j++)
            if (i + j >= len || (s[i + j] & 0xC0) != 0x80)
                return 1;
        i += k + 1;
    }
    return 0;
}

/* ---- tokens ---- */

int sc_token_read(const char *file, char **out, sl_error *err)
{
    sl_buf b = SL_BUF_INIT;
    size_t s = 0, e;
    int rc;

    *out = NULL;
    if ((rc = sl_file_read(file, 64 * 1024, &b, err))) {
        sl_error_prefix(err, "token file");
        goto out;
    }
    e = b.len;
    while (s < e && isspace((unsigned char)b.ptr[s]))
        s++;
    while (e > s && isspace((unsigned char)b.ptr[e - 1]))
        e--;
    if (e == s) {
        rc = sl_error_set(err, SL_EINVAL, "token file %s is empty", file);
        goto out;
    }
    if (!(*out = strndup(b.ptr + s, e - s)))
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
    if (b.ptr)
        explicit_bzero(b.ptr, b.cap);
    sl_buf_free(&b);
    return rc;
}

void sc_token_free(char *tok)
{
    if (!tok)
        return;
    explicit_bzero(tok, strlen(tok));
    free(tok);
}

/* ---- writing ---- */

/* Remove a folder we created, recursively (best effort). */
void sc_rmtree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;

    if (d) {
        while ((de = readdir(d))) {
            char *c;
            struct stat st;
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            if (asprintf(&c, "%s/%s", path, de->d_name) < 0)
                continue;
            if (!lstat(c, &st) && S_ISDIR(st.st_mode))
                sc_rmtree(c);
            else
                unlink(c);
            free(c);
        }
        closedir(d);
    }
    rmdir(path);
}

/* mkdir -p of rel's parent folders below root. */
static int sc_mkparents(const char *root, const char *rel, sl_error *err)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "%s/%s", root, rel);
    size_t rl = strlen(root);

    if (n < 0 || (size_t)n >= sizeof(buf))
        return sl_error_set(err, SL_ELIMIT, "path too long: %s", rel);
    for (char *p = buf + rl + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (mkdir(buf, 0755) && errno != EEXIST) {
            int e = errno;
            *p = '/';
            return sl_error_setpos(err, SL_EIO, buf, 0, 0, "%s", strerror(e));
        }
        *p = '/';
    }
    return 0;
}

static int sc_write_file(const char *path, const char *data, size_t len, unsigned mode,
                         sl_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    size_t off = 0;

    if (fd < 0)
        return sl_error_setpos(err, SL_EIO, path, 0, 0, "%s", strerror(errno));
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return sl_error_setpos(err, SL_EIO, path, 0, 0, "%s", strerror(errno));
        }
        off += (size_t)w;
    }
    if (fchmod(fd, mode & 0777) || close(fd))
        return sl_error_setpos(err, SL_EIO, path, 0, 0, "%s", strerror(errno));
    return 0;
}

/* Create the parent folders of path (mkdir -p of everything before its last
 * '/'). */
int sc_mkdir_p(const char *path, sl_error *err)
{
    char buf[4096];
    size_t n = strlen(path);

    if (n >= sizeof(buf))
        return sl_error_set(err, SL_ELIMIT, "path too long: %s", path);
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (mkdir(buf, 0755) && errno != EEXIST) {
            int e = errno;
            return sl_error_setpos(err, SL_EIO, buf, 0, 0, "%s", strerror(e));
        }
        *p = '/';
    }
    return 0;
}

/* 1 if dir is missing, 0 if an empty folder; SL_EREFUSED otherwise. */
int sc_dir_fresh(const char *dir, sl_error *err)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    int empty = 1;

    if (lstat(dir, &st))
        return errno == ENOENT ? 1 : sl_error_setpos(err, SL_EIO, dir, 0, 0, "%s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return sl_error_setpos(err, SL_EREFUSED, dir, 0, 0, "exists and is not a folder");
    if (!(d = opendir(dir)))
        return sl_error_setpos(err, SL_EIO, dir, 0, 0, "%s", strerror(errno));
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            empty = 0;
    closedir(d);
    if (!empty)
        return sl_error_setpos(err, SL_EREFUSED, dir, 0, 0,
                               "the output folder exists and is not empty; refusing to write "
                               "into it");
    return 0;
}

int sc_tree_write(const sc_tree *t, const char *dir, sl_error *err)
{
    char *tmp = NULL, *parent = NULL, *slash;
    sl_buf p = SL_BUF_INIT;
    int rc, fresh;

    if ((fresh = sc_dir_fresh(dir, err)) < 0)
        return fresh;
    /* A sibling of dir, on the same filesystem, so rename is atomic. */
    if (!(parent = strdup(dir)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    while (strlen(parent) > 1 && parent[strlen(parent) - 1] == '/')
        parent[strlen(parent) - 1] = '\0';
    slash = strrchr(parent, '/');
    if (asprintf(&tmp, "%s%s.sluice-scaffold.XXXXXX", slash ? "" : "./", parent) < 0) {
        tmp = NULL;
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = sc_mkdir_p(tmp, err)))
        goto out;
    if (!mkdtemp(tmp)) {
        rc = sl_error_setpos(err, SL_EIO, dir, 0, 0, "cannot create a folder beside it: %s",
                             strerror(errno));
        free(tmp);
        tmp = NULL;
        goto out;
    }
    for (size_t i = 0; i < t->n; i++) {
        const sc_entry *e = &t->v[i];
        sl_buf_reset(&p);
        if (sl_buf_printf(&p, "%s/%s", tmp, e->path)) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = sc_mkparents(tmp, e->path, err)))
            goto out;
        if (e->kind == SC_DIR) {
            if (mkdir(p.ptr, 0755) && errno != EEXIST) {
                rc = sl_error_setpos(err, SL_EIO, p.ptr, 0, 0, "%s", strerror(errno));
                goto out;
            }
            /* Keep the skeleton's folder mode, but never lock ourselves out. */
            chmod(p.ptr, (e->mode & 0777) | 0700);
        } else if (e->kind == SC_LINK) {
            if (!sc_link_inside(e->path, e->data)) {
                rc = sl_error_set(err, SL_ECONFINE,
                                  "%s: symlink to \"%s\" points out of the "
                                  "output folder; refused",
                                  e->path, e->data);
                goto out;
            }
            if (symlink(e->data, p.ptr)) {
                rc = sl_error_setpos(err, SL_EIO, p.ptr, 0, 0, "%s", strerror(errno));
                goto out;
            }
        } else if ((rc = sc_write_file(p.ptr, e->data, e->len, e->mode ? e->mode : 0644, err))) {
            goto out;
        }
    }
    if (fresh == 0 && rmdir(dir)) {
        rc = sl_error_setpos(err, SL_EIO, dir, 0, 0, "%s", strerror(errno));
        goto out;
    }
    if (rename(tmp, dir)) {
        rc = sl_error_setpos(err, SL_EIO, dir, 0, 0, "%s", strerror(errno));
        if (fresh == 0)
            mkdir(dir, 0755);
        goto out;
    }
    {
        mode_t um = umask(0);
        umask(um);
        chmod(dir, 0777 & ~um); /* mkdtemp made it 0700 */
    }
    free(tmp);
    tmp = NULL;
out:
    if (tmp) {
        sc_rmtree(tmp);
        free(tmp);
    }
    free(parent);
    sl_buf_free(&p);
    return rc;
}

/* ---- hooks ---- */

int sc_hook_run(const char *script, const char *name, const char *cwd, sl_error *err)
{
    const char *dot = strrchr(name, '.');
    int py = dot && !strcmp(dot, ".py"), status = 0;
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0)
        return sl_error_set(err, SL_EIO, "hook %s: fork: %s", name, strerror(errno));
    if (pid == 0) {
        if (chdir(cwd))
            _exit(127);
        if (py)
            execlp("python3", "python3", script, (char *)NULL);
        else
            execl("/bin/sh", "sh", script, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return sl_error_set(err, SL_EIO, "hook %s: wait: %s", name, strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        return sl_error_set(err, SL_EREFUSED, "hook %s failed (exit status %d)", name,
                            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}
