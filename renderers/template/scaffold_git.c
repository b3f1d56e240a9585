/* scaffold_git.c: git for `sluice scaffold` through libgit2: publish a
 * rendered tree as the first commit of a new remote branch, and commit
 * files into a catalog repository (a local checkout or a remote URL).
 * The token is handed to libgit2 only through the credentials callback and
 * only for the remote's own server; it never reaches an error message. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <git2.h>

#include "scaffold_int.h"

static pthread_once_t sg_once = PTHREAD_ONCE_INIT;
static int sg_init_rc;

static void sg_init_once(void)
{
    sg_init_rc = git_libgit2_init();
}

static int sg_init(sl_error *err)
{
    pthread_once(&sg_once, sg_init_once);
    if (sg_init_rc < 0)
        return sl_error_set(err, SL_EGIT, "cannot initialise libgit2");
    return 0;
}

/* Fill err with "<what>: <libgit2's message>", the token replaced by ***. */
static int sg_error(sl_error *err, int code, const char *token, const char *what)
{
    const git_error *e = git_error_last();
    char msg[SL_ERROR_MSG_MAX];
    char *hit;

    snprintf(msg, sizeof(msg), "%s: %s", what, e && e->message ? e->message : "unknown error");
    if (token && *token)
        while ((hit = strstr(msg, token))) {
            size_t tl = strlen(token);
            memmove(hit + 3, hit + tl, strlen(hit + tl) + 1);
            memcpy(hit, "***", 3);
        }
    return sl_error_set(err, code, "%s", msg);
}

/* A URL that carries user info ("https://user:pw@host") would put a secret
 * in the config and in logs: refused, as the git source refuses it. */
static int sg_check_url(const char *url, sl_error *err)
{
    const char *sep = strstr(url, "://"), *end, *at;

    if (!*url)
        return sl_error_set(err, SL_EINVAL, "empty remote URL");
    if (!sep)
        return 0;
    end = sep + 3 + strcspn(sep + 3, "/?#");
    at = memchr(sep + 3, '@', (size_t)(end - sep - 3));
    if (at && (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)))
        return sl_error_set(err, SL_EINVAL,
                            "credentials in the remote URL are not allowed; use --token-file");
    return 0;
}

typedef struct sg_auth {
    const char *url; /* the configured remote */
    const char *token;
    int attempts;
    char rejected[512]; /* a push status from the server */
} sg_auth;

/* Same scheme://host[:port] as the configured remote (user info ignored). */
static int sg_same_server(const char *a, const char *b)
{
    const char *sa = strstr(a, "://"), *sb = strstr(b, "://"), *ha, *hb, *ea, *eb, *at;

    if (!sa || !sb || (sa - a) != (sb - b) || strncasecmp(a, b, (size_t)(sa - a)))
        return 0;
    ha = sa + 3;
    hb = sb + 3;
    ea = ha + strcspn(ha, "/?#");
    eb = hb + strcspn(hb, "/?#");
    if ((at = memchr(ha, '@', (size_t)(ea - ha))))
        ha = at + 1;
    if ((at = memchr(hb, '@', (size_t)(eb - hb))))
        hb = at + 1;
    return (ea - ha) == (eb - hb) && !strncasecmp(ha, hb, (size_t)(ea - ha));
}

static int sg_cred_cb(git_credential **out, const char *url, const char *user_from_url,
                      unsigned int allowed, void *payload)
{
    sg_auth *a = payload;

    if (++a->attempts > 3) {
        git_error_set_str(GIT_ERROR_NET, "authentication failed (check --token-file)");
        return GIT_EAUTH;
    }
    if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) || !a->token)
        return GIT_PASSTHROUGH;
    if (!sg_same_server(url, a->url)) {
        git_error_set_str(GIT_ERROR_NET, "refusing to send the token to a different server");
        return GIT_EAUTH;
    }
    return git_credential_userpass_plaintext_new(
        out, user_from_url && *user_from_url ? user_from_url : "x-access-token", a->token);
}

static int sg_push_ref_cb(const char *refname, const char *status, void *data)
{
    sg_auth *a = data;

    if (status && !a->rejected[0])
        snprintf(a->rejected, sizeof(a->rejected), "%s: %s", refname, status);
    return 0;
}

static void sg_callbacks(git_remote_callbacks *cb, sg_auth *a)
{
    git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
    cb->credentials = sg_cred_cb;
    cb->push_update_reference = sg_push_ref_cb;
    cb->payload = a;
}

/* Remove a temporary folder recursively (best effort). */
static void sg_rmtree(const char *path)
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
                sg_rmtree(c);
            else
                unlink(c);
            free(c);
        }
        closedir(d);
    }
    rmdir(path);
}

static char *sg_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *p = NULL;

    if (asprintf(&p, "%s/sluice-scaffold-git.XXXXXX", base && *base ? base : "/tmp") < 0)
        return NULL;
    if (!mkdtemp(p)) {
        free(p);
        return NULL;
    }
    return p;
}

/* Push refspec to url. Refused updates are errors naming the server's
 * reason. */
static int sg_push(git_repository *repo, const char *url, const char *refspec, sg_auth *a,
                   sl_error *err)
{
    git_remote *remote = NULL;
    git_push_options po;
    char *specs[1] = {(char *)refspec};
    git_strarray arr = {specs, 1};
    int rc = 0;

    if (git_remote_create_anonymous(&remote, repo, url)) {
        rc = sg_error(err, SL_EGIT, a->token, "remote");
        goto out;
    }
    git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
    sg_callbacks(&po.callbacks, a);
    if (git_remote_push(remote, &arr, &po)) {
        rc = sg_error(err, SL_ENET, a->token, "push");
        goto out;
    }
    if (a->rejected[0])
        rc = sl_error_set(err, SL_ECONFLICT, "push refused: %s", a->rejected);
out:
    git_remote_free(remote);
    return rc;
}

static int sg_signature(const sc_git_opts *o, git_signature **sig, sl_error *err)
{
    if (git_signature_now(sig, o->author_name ? o->author_name : "sluice scaffold",
                          o->author_email ? o->author_email : "scaffold@sluice.invalid"))
        return sg_error(err, SL_EGIT, NULL, "signature");
    return 0;
}

/* Write the entries of t below subdir as blobs and trees into repo's object
 * database and commit them (no parent, no ref updated). */
static int sg_build_commit(git_repository *repo, const sc_tree *t, const char *subdir,
                           const sc_git_opts *o, git_oid *commit_id, sl_error *err)
{
    size_t sl = subdir ? strlen(subdir) : 0, nfiles = 0;
    git_index *idx = NULL;
    git_signature *sig = NULL;
    git_tree *tree = NULL;
    git_oid tree_id;
    int rc = 0;

    if (git_index_new(&idx)) {
        rc = sg_error(err, SL_EGIT, NULL, "index");
        goto out;
    }
    for (size_t i = 0; i < t->n; i++) {
        const sc_entry *e = &t->v[i];
        const char *p = e->path;
        git_index_entry ie;

        if (e->kind == SC_DIR)
            continue;
        if (sl) {
            if (strncmp(p, subdir, sl) || p[sl] != '/')
                continue;
            p += sl + 1;
        }
        memset(&ie, 0, sizeof(ie));
        ie.path = p;
        ie.mode = e->kind == SC_LINK      ? GIT_FILEMODE_LINK
                  : (e->mode & 0111) != 0 ? GIT_FILEMODE_BLOB_EXECUTABLE
                                          : GIT_FILEMODE_BLOB;
        if (git_blob_create_from_buffer(&ie.id, repo, e->data, e->len) || git_index_add(idx, &ie)) {
            rc = sg_error(err, SL_EGIT, NULL, p);
            goto out;
        }
        nfiles++;
    }
    if (!nfiles) {
        rc = sl_error_set(err, SL_EINVAL, "nothing to publish: no files under \"%s\"",
                          sl ? subdir : ".");
        goto out;
    }
    if (git_index_write_tree_to(&tree_id, idx, repo) || git_tree_lookup(&tree, repo, &tree_id)) {
        rc = sg_error(err, SL_EGIT, NULL, "write tree");
        goto out;
    }
    if ((rc = sg_signature(o, &sig, err)))
        goto out;
    if (git_commit_create(commit_id, repo, NULL, sig, sig, NULL,
                          o->message && *o->message ? o->message : "initial commit", tree, 0, NULL))
        rc = sg_error(err, SL_EGIT, NULL, "commit");
out:
    git_tree_free(tree);
    git_signature_free(sig);
    git_index_free(idx);
    return rc;
}

/* The local bare repository a file:// URL or a path names, or NULL (then
 * the remote is pushed to like any other). */
static git_repository *sg_local_bare(const char *url)
{
    git_repository *repo = NULL;
    const char *path = url;

    if (!strncmp(url, "file://", 7))
        path = url + 7;
    else if (strstr(url, "://") || strchr(url, '@'))
        return NULL;
    if (git_repository_open_ext(&repo, path,
                                GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL))
        return NULL;
    if (!git_repository_is_bare(repo)) {
        git_repository_free(repo);
        return NULL;
    }
    return repo;
}

int sc_git_publish(const sc_tree *t, const char *subdir, const sc_git_opts *o, char *commit,
                   sl_error *err)
{
    const char *branch = o->branch && *o->branch ? o->branch : "main";
    char *tmp = NULL, ref[300], spec[700];
    git_repository *repo = NULL;
    git_remote *remote = NULL;
    git_reference *existing = NULL, *created = NULL;
    git_oid commit_id;
    sg_auth a = {.url = o->url, .token = o->token};
    git_remote_callbacks cb;
    const git_remote_head **heads;
    size_t nheads;
    int rc;

    commit[0] = '\0';
    if ((rc = sg_init(err)) || (rc = sg_check_url(o->url, err)))
        return rc;
    snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
    if (!git_reference_is_valid_name(ref))
        return sl_error_set(err, SL_EINVAL, "invalid branch name \"%s\"", branch);
    /* A local bare repository: write the objects straight into it and
     * create the branch only if it does not exist (what a push would do,
     * without a temporary repository and a transport). */
    if ((repo = sg_local_bare(o->url))) {
        if (git_reference_lookup(&existing, repo, ref) == 0) {
            rc = sl_error_set(err, SL_EREFUSED,
                              "%s already has a branch %s; refusing to overwrite it", o->url,
                              branch);
            goto out;
        }
        if ((rc = sg_build_commit(repo, t, subdir, o, &commit_id, err)))
            goto out;
        if (git_reference_create(&created, repo, ref, &commit_id, 0, "sluice scaffold")) {
            rc = sg_error(err, SL_EREFUSED, NULL, o->url);
            goto out;
        }
        git_oid_tostr(commit, GIT_OID_HEXSZ + 1, &commit_id);
        goto out;
    }
    if (!(tmp = sg_tmpdir()))
        return sl_error_set(err, SL_EIO, "cannot create a temporary folder: %s", strerror(errno));
    if (git_repository_init(&repo, tmp, 1)) {
        rc = sg_error(err, SL_EGIT, NULL, "git init");
        goto out;
    }
    if ((rc = sg_build_commit(repo, t, subdir, o, &commit_id, err)))
        goto out;
    if (git_reference_create(&created, repo, ref, &commit_id, 1, "sluice scaffold")) {
        rc = sg_error(err, SL_EGIT, NULL, "branch");
        goto out;
    }
    /* The branch must be new on the remote: scaffolding never overwrites. */
    if (git_remote_create_anonymous(&remote, repo, o->url)) {
        rc = sg_error(err, SL_EGIT, a.token, "remote");
        goto out;
    }
    sg_callbacks(&cb, &a);
    if (git_remote_connect(remote, GIT_DIRECTION_PUSH, &cb, NULL, NULL) ||
        git_remote_ls(&heads, &nheads, remote)) {
        rc = sg_error(err, SL_ENET, a.token, o->url);
        goto out;
    }
    for (size_t i = 0; i < nheads; i++)
        if (!strcmp(heads[i]->name, ref)) {
            rc = sl_error_set(err, SL_EREFUSED,
                              "%s already has a branch %s; refusing to overwrite it", o->url,
                              branch);
            goto out;
        }
    git_remote_disconnect(remote);
    a.attempts = 0;
    snprintf(spec, sizeof(spec), "%s:%s", ref, ref);
    if ((rc = sg_push(repo, o->url, spec, &a, err)))
        goto out;
    git_oid_tostr(commit, GIT_OID_HEXSZ + 1, &commit_id);
out:
    git_reference_free(existing);
    git_reference_free(created);
    git_remote_free(remote);
    git_repository_free(repo);
    if (tmp) {
        sg_rmtree(tmp);
        free(tmp);
    }
    return rc;
}

/* Write data at root/rel, creating folders; no path component may be a
 * symlink (a checkout could point one out of the repository) and the file
 * must not exist yet. */
static int sg_write_under(const char *root, const sc_entry *e, int replace, sl_error *err)
{
    char path[4096];
    size_t rl = strlen(root);
    struct stat st;
    int fd;
    size_t off = 0;

    if (rl + 1 + strlen(e->path) + 1 > sizeof(path))
        return sl_error_set(err, SL_ELIMIT, "path too long: %s", e->path);
    memcpy(path, root, rl);
    path[rl] = '/';
    memcpy(path + rl + 1, e->path, strlen(e->path) + 1);
    for (char *p = path + rl + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (lstat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                *p = '/';
                return sl_error_set(err, SL_ECONFINE, "%s: a parent is not a folder", e->path);
            }
        } else if (mkdir(path, 0755)) {
            int en = errno;
            *p = '/';
            return sl_error_setpos(err, SL_EIO, path, 0, 0, "%s", strerror(en));
        }
        *p = '/';
    }
    if (e->kind == SC_DIR)
        return mkdir(path, 0755) && errno != EEXIST
                   ? sl_error_setpos(err, SL_EIO, path, 0, 0, "%s", strerror(errno))
                   : 0;
    if (!replace && lstat(path, &st) == 0)
        return sl_error_set(err, SL_EDUP, "%s already exists in the catalog", e->path);
    fd = open(path, O_WRONLY | O_CREAT | (replace ? O_TRUNC : O_EXCL) | O_NOFOLLOW | O_CLOEXEC,
              (e->mode & 0111) ? 0755 : 0644);
    if (fd < 0)
        return sl_error_setpos(err, SL_EIO, path, 0, 0, "%s", strerror(errno));
    while (off < e->len) {
        ssize_t w = write(fd, e->data + off, e->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            close(fd);
            return sl_error_setpos(err, SL_EIO, path, 0, 0, "%s", strerror(errno));
        }
        off += (size_t)w;
    }
    if (close(fd))
        return sl_error_setpos(err, SL_EIO, path, 0, 0, "%s", strerror(errno));
    return 0;
}

int sc_git_commit_files(const char *repo_arg, const sc_tree *files, const sc_git_opts *o,
                        char *commit, sl_error *err)
{
    int remote = strstr(repo_arg, "://") != NULL, rc;
    char *tmp = NULL, refspec[700], rootbuf[4096];
    const char *root = repo_arg, *head_name;
    sc_tree edits = {0};
    git_repository *repo = NULL;
    git_index *idx = NULL;
    git_signature *sig = NULL;
    git_tree *tree = NULL;
    git_reference *head = NULL;
    git_commit *parent = NULL;
    git_oid tree_id, commit_id;
    git_clone_options co;
    sg_auth a = {.url = repo_arg, .token = o->token};

    commit[0] = '\0';
    if ((rc = sg_init(err)))
        return rc;
    if (remote) {
        if ((rc = sg_check_url(repo_arg, err)))
            return rc;
        if (!(tmp = sg_tmpdir()))
            return sl_error_set(err, SL_EIO, "cannot create a temporary folder: %s",
                                strerror(errno));
        git_clone_options_init(&co, GIT_CLONE_OPTIONS_VERSION);
        sg_callbacks(&co.fetch_opts.callbacks, &a);
        if (o->branch && *o->branch)
            co.checkout_branch = o->branch;
        if (git_clone(&repo, repo_arg, tmp, &co)) {
            rc = sg_error(err, SL_ENET, a.token, repo_arg);
            goto out;
        }
        root = tmp;
    } else if (git_repository_open_ext(&repo, repo_arg, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) {
        rc = sg_error(err, SL_EGIT, NULL, repo_arg);
        goto out;
    }
    if (git_repository_is_bare(repo)) {
        rc = sl_error_set(err, SL_EINVAL,
                          "%s is a bare repository: give a checkout, or its URL (file://...)",
                          repo_arg);
        goto out;
    }
    root = git_repository_workdir(repo);
    if (git_repository_index(&idx, repo)) {
        rc = sg_error(err, SL_EGIT, NULL, "index");
        goto out;
    }
    snprintf(rootbuf, sizeof(rootbuf), "%s", root);
    if (strlen(rootbuf) > 1 && rootbuf[strlen(rootbuf) - 1] == '/')
        rootbuf[strlen(rootbuf) - 1] = '\0';
    if (o->prepare && (rc = o->prepare(rootbuf, o->prepare_arg, &edits, err)))
        goto out;
    /* Refuse before writing anything: every new file must be new. */
    for (size_t i = 0; i < files->n; i++) {
        struct stat st;
        char *path = NULL;
        int exists;
        if (asprintf(&path, "%s/%s", rootbuf, files->v[i].path) < 0) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        exists = lstat(path, &st) == 0;
        free(path);
        if (files->v[i].kind != SC_DIR && exists) {
            rc = sl_error_set(err, SL_EDUP, "%s already exists in the catalog", files->v[i].path);
            goto out;
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        const sc_tree *t = pass ? &edits : files;
        for (size_t i = 0; i < t->n; i++) {
            if ((rc = sg_write_under(rootbuf, &t->v[i], pass, err)))
                goto out;
            if (t->v[i].kind != SC_DIR && git_index_add_bypath(idx, t->v[i].path)) {
                rc = sg_error(err, SL_EGIT, NULL, t->v[i].path);
                goto out;
            }
        }
    }
    if (git_index_write(idx) || git_index_write_tree(&tree_id, idx) ||
        git_tree_lookup(&tree, repo, &tree_id)) {
        rc = sg_error(err, SL_EGIT, NULL, "write tree");
        goto out;
    }
    if ((rc = sg_signature(o, &sig, err)))
        goto out;
    if (git_repository_head(&head, repo) == 0) {
        if (git_reference_peel((git_object **)&parent, head, GIT_OBJECT_COMMIT)) {
            rc = sg_error(err, SL_EGIT, NULL, "HEAD");
            goto out;
        }
    }
    if (git_commit_create(&commit_id, repo, "HEAD", sig, sig, NULL,
                          o->message && *o->message ? o->message : "Register a component", tree,
                          parent ? 1 : 0, (const git_commit **)&parent)) {
        rc = sg_error(err, SL_EGIT, NULL, "commit");
        goto out;
    }
    if (remote) {
        git_reference_free(head);
        head = NULL;
        if (git_repository_head(&head, repo)) {
            rc = sg_error(err, SL_EGIT, NULL, "HEAD");
            goto out;
        }
        head_name = git_reference_name(head);
        snprintf(refspec, sizeof(refspec), "%s:%s", head_name, head_name);
        a.attempts = 0;
        if ((rc = sg_push(repo, repo_arg, refspec, &a, err)))
            goto out;
    }
    git_oid_tostr(commit, GIT_OID_HEXSZ + 1, &commit_id);
out:
    git_commit_free(parent);
    git_reference_free(head);
    git_tree_free(tree);
    git_signature_free(sig);
    git_index_free(idx);
    git_repository_free(repo);
    sc_tree_free(&edits);
    if (tmp) {
        sg_rmtree(tmp);
        free(tmp);
    }
    return rc;
}
