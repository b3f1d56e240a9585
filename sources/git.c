/* git.c: the `git` source on libgit2 (1.5, Debian bookworm's).
 *
 * Every source keeps a bare cache at <stateDir>/sources/<name>.git; each
 * fetch maps every branch of the remote to refs/remotes/origin/ and every
 * tag to refs/tags/ (stale refs pruned). There is never a work tree:
 * snapshots read blobs straight from the object database, one tree entry at
 * a time, so memory stays proportional to what a renderer reads.
 *
 * Secrets: the token (tokenFile) is read at each fetch, handed to libgit2
 * only through the credentials callback, and wiped afterwards; it is never
 * part of the URL (so never in the cache's config) and every message that
 * leaves this file is scrubbed of it. URLs carrying a password are refused
 * at open. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_source.h"

#define GS_TOKEN_MAX 65536
#define GS_KNOWN_HOSTS_MAX ((size_t)4 << 20)
#define GS_AUTH_ATTEMPTS 2
#define GS_LIST_BRANCHES 5

enum { GS_FILE, GS_HTTP, GS_SSH };

typedef struct git_source {
    char *url;             /* as configured; never holds a password */
    char *url_safe;        /* for messages: user info removed */
    char *authority;       /* scheme://host[:port] for http(s), to bind the token */
    char *ref;             /* NULL: the remote's default branch */
    char *token_file;      /* http(s) token, read at each fetch */
    char *username;        /* http(s) basic-auth user; NULL: the URL's, else x-access-token */
    char *ssh_key;         /* private key file */
    char *ssh_known_hosts; /* NULL: ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts */
    char *host;            /* ssh host, for known_hosts */
    int port;              /* ssh port */
    int scheme;
    pthread_mutex_t lock; /* one fetch at a time per source */
    int lock_ok;
} git_source;

/* State of one fetch, the payload of libgit2's callbacks. */
typedef struct git_auth {
    const git_source *gs;
    char *token;
    int attempts;
    int cert_rejected;
    char cert_msg[1400];
} git_auth;

typedef struct git_snapshot {
    sl_snapshot base;
    git_repository *repo;
    git_tree *root;
    git_oid commit; /* the snapshot's commit */
} git_snapshot;

/* How far back gs_snap_mtime looks on the first-parent chain. */
#define GS_MTIME_MAX_COMMITS 100000

/* ---- libgit2 setup and error translation ---- */

static pthread_once_t gs_once = PTHREAD_ONCE_INIT;
static int gs_init_rc;

static void gs_init_once(void)
{
    gs_init_rc = git_libgit2_init();
    if (gs_init_rc < 0)
        return;
    /* Snapshots read many blobs through the same few trees: keep trees of
     * any usual size in libgit2's object cache (its default limit, 4 KiB,
     * makes every lookup of a file in a big folder re-read and re-inflate
     * that folder's tree). Objects in the cache came through a fetch that
     * already checked them, so reads skip re-hashing every object, as git
     * itself does. */
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, (int)GIT_OBJECT_TREE, (size_t)1 << 20);
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

static int gs_init(sl_error *err)
{
    pthread_once(&gs_once, gs_init_once);
    if (gs_init_rc < 0)
        return sl_error_set(err, SL_EGIT, "cannot initialise libgit2");
    return 0;
}

/* Copy src into dst (size n), replacing every occurrence of secret with
 * "***". */
static void gs_scrub(char *dst, size_t n, const char *src, const char *secret)
{
    size_t sl = secret ? strlen(secret) : 0, o = 0;

    if (!n)
        return;
    while (*src && o + 1 < n) {
        if (sl && !strncmp(src, secret, sl)) {
            for (const char *r = "***"; *r && o + 1 < n; r++)
                dst[o++] = *r;
            src += sl;
        } else {
            dst[o++] = *src++;
        }
    }
    dst[o] = '\0';
}

/* Fill err with code, "<what>: <libgit2's last message>", the token
 * scrubbed. */
static int gs_error(sl_error *err, int code, const char *secret, const char *what)
{
    const git_error *e = git_error_last();
    char msg[SL_ERROR_MSG_MAX], clean[SL_ERROR_MSG_MAX];

    snprintf(msg, sizeof(msg), "%s: %s", what, e && e->message ? e->message : "unknown error");
    gs_scrub(clean, sizeof(clean), msg, secret);
    return sl_error_set(err, code, "%s", clean);
}

/* ---- URL handling ---- */

/* Parse url into gs (scheme, url_safe, authority, host, port). Problems go
 * to *why (static text). */
static int gs_parse_url(git_source *gs, const char *url, const char **why)
{
    const char *auth, *end, *at, *colon, *p;
    char *hostport = NULL;
    int rc = SL_EINVAL;

    *why = NULL;
    if (!strncmp(url, "file://", 7)) {
        if (url[7] != '/') {
            *why = "file:// URLs need an absolute path, e.g. file:///srv/git/repo.git";
            goto out;
        }
        gs->scheme = GS_FILE;
        gs->url_safe = strdup(url);
        rc = gs->url_safe ? 0 : SL_ENOMEM;
        goto out;
    }
    if (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8) || !strncmp(url, "ssh://", 6)) {
        gs->scheme = url[0] == 's' ? GS_SSH : GS_HTTP;
        auth = strstr(url, "://") + 3;
        end = auth + strcspn(auth, "/?#");
        if (end == auth) {
            *why = "the URL has no host";
            goto out;
        }
        at = memrchr(auth, '@', (size_t)(end - auth));
        if (at && memchr(auth, ':', (size_t)(at - auth))) {
            *why = "credentials in the URL are not allowed; use tokenFile or sshKeyFile";
            goto out;
        }
        p = at ? at + 1 : auth;
        if (asprintf(&gs->url_safe, "%.*s%s", (int)(auth - url), url, p) < 0 ||
            asprintf(&gs->authority, "%.*s%.*s", (int)(auth - url), url, (int)(end - p), p) < 0) {
            rc = SL_ENOMEM;
            goto out;
        }
        if (!(hostport = strndup(p, (size_t)(end - p)))) {
            rc = SL_ENOMEM;
            goto out;
        }
        gs->port = gs->scheme == GS_SSH ? 22 : 0;
        if (hostport[0] == '[') { /* [v6]:port */
            char *close = strchr(hostport, ']');
            if (!close) {
                *why = "malformed IPv6 host in URL";
                goto out;
            }
            *close = '\0';
            if (close[1] == ':')
                gs->port = atoi(close + 2);
            gs->host = strdup(hostport + 1);
        } else {
            colon = strrchr(hostport, ':');
            if (colon) {
                gs->port = atoi(colon + 1);
                gs->host = strndup(hostport, (size_t)(colon - hostport));
            } else {
                gs->host = strdup(hostport);
            }
        }
        rc = gs->host ? 0 : SL_ENOMEM;
        goto out;
    }
    if (strstr(url, "://")) {
        *why = "unsupported URL scheme (use https://, http://, ssh://, user@host:path or file://)";
        goto out;
    }
    /* scp-like [user@]host:path; anything else is a plain path. */
    colon = strchr(url, ':');
    if (url[0] == '/' || url[0] == '.' || !colon || colon == url ||
        memchr(url, '/', (size_t)(colon - url))) {
        *why = "plain paths are not supported; use a file:// URL, e.g. file:///srv/git/repo.git";
        goto out;
    }
    at = memchr(url, '@', (size_t)(colon - url));
    if (at && memchr(url, ':', (size_t)(at - url))) {
        *why = "credentials in the URL are not allowed";
        goto out;
    }
    gs->scheme = GS_SSH;
    gs->port = 22;
    p = at ? at + 1 : url;
    gs->host = strndup(p, (size_t)(colon - p));
    gs->url_safe = strdup(url);
    rc = gs->host && gs->url_safe ? 0 : SL_ENOMEM;
out:
    free(hostport);
    return rc;
}

/* ---- known_hosts ---- */

/* Decode base64 text (n bytes) into a new buffer. */
static unsigned char *gs_b64(const char *in, size_t n, size_t *outlen)
{
    unsigned char *out;
    int len;
    size_t pad = 0;

    if (!n || n % 4 || n > GS_KNOWN_HOSTS_MAX)
        return NULL;
    if (!(out = malloc(n / 4 * 3 + 1)))
        return NULL;
    len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
    if (len < 0) {
        free(out);
        return NULL;
    }
    while (pad < 2 && in[n - 1 - pad] == '=')
        pad++;
    *outlen = (size_t)len - pad;
    return out;
}

/* OpenSSH host patterns: '*' and '?' only, case-insensitive ('[' is a
 * literal, as in "[host]:port"). */
static int gs_wildcard(const char *pat, const char *s)
{
    for (; *pat; pat++, s++) {
        if (*pat == '*') {
            while (pat[1] == '*')
                pat++;
            for (const char *t = s;; t++) {
                if (gs_wildcard(pat + 1, t))
                    return 1;
                if (!*t)
                    return 0;
            }
        }
        if (!*s || (*pat != '?' && tolower((unsigned char)*pat) != tolower((unsigned char)*s)))
            return 0;
    }
    return *s == '\0';
}

/* Does one host pattern of a known_hosts line match name? Hashed entries
 * are |1|base64(salt)|base64(hmac-sha1(salt, name)). */
static int gs_kh_pattern(const char *pat, const char *name)
{
    if (!strncmp(pat, "|1|", 3)) {
        const char *salt = pat + 3, *bar = strchr(salt, '|');
        unsigned char *s = NULL, *h = NULL, mac[EVP_MAX_MD_SIZE];
        size_t sl = 0, hl = 0;
        unsigned int ml = 0;
        int ok = 0;
        if (!bar)
            return 0;
        s = gs_b64(salt, (size_t)(bar - salt), &sl);
        h = gs_b64(bar + 1, strlen(bar + 1), &hl);
        if (s && h &&
            HMAC(EVP_sha1(), s, (int)sl, (const unsigned char *)name, strlen(name), mac, &ml) &&
            ml == hl && !memcmp(mac, h, hl))
            ok = 1;
        free(s);
        free(h);
        return ok;
    }
    return gs_wildcard(pat, name);
}

/* 1 if the comma-separated host list matches name (negations honoured). */
static int gs_kh_hosts(char *list, const char *name)
{
    int match = 0;

    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (tok[0] == '!') {
            if (gs_kh_pattern(tok + 1, name))
                return 0;
        } else if (gs_kh_pattern(tok, name)) {
            match = 1;
        }
    }
    return match;
}

enum { KH_UNKNOWN = 0, KH_OK = 1, KH_MISMATCH = -1, KH_REVOKED = -2 };

/* Look the host key up in one known_hosts file. key is the raw public key
 * blob; when only its SHA-256 is known, key is NULL and sha256 is set. */
static int gs_kh_file(const char *file, const char *name, const unsigned char *key, size_t keylen,
                      const unsigned char *sha256)
{
    sl_buf data = SL_BUF_INIT;
    sl_error e;
    char *line, *save = NULL;
    int result = KH_UNKNOWN;

    if (sl_file_read(file, GS_KNOWN_HOSTS_MAX, &data, &e) || !data.ptr)
        goto out;
    for (line = strtok_r(data.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[4], *sp = NULL;
        int nf = 0, revoked = 0, same;
        unsigned char *blob, digest[SHA256_DIGEST_LENGTH];
        size_t bl = 0;

        while (isspace((unsigned char)*line))
            line++;
        if (!*line || *line == '#')
            continue;
        for (char *t = strtok_r(line, " \t\r", &sp); t && nf < 4; t = strtok_r(NULL, " \t\r", &sp))
            f[nf++] = t;
        if (nf >= 1 && f[0][0] == '@') {
            if (strcmp(f[0], "@revoked"))
                continue; /* @cert-authority: certificates are not supported */
            revoked = 1;
            memmove(f, f + 1, sizeof(f[0]) * 3);
            nf--;
        }
        if (nf < 3 || !gs_kh_hosts(f[0], name))
            continue;
        if (!(blob = gs_b64(f[2], strlen(f[2]), &bl)))
            continue;
        if (key)
            same = bl == keylen && !memcmp(blob, key, bl);
        else
            same = SHA256(blob, bl, digest) && !memcmp(digest, sha256, sizeof(digest));
        free(blob);
        if (same && revoked) {
            result = KH_REVOKED;
            goto out;
        }
        if (same)
            result = KH_OK;
        else if (!revoked && result == KH_UNKNOWN)
            result = KH_MISMATCH;
    }
out:
    sl_buf_free(&data);
    return result;
}

/* libgit2's certificate check: for ssh, verify the host key against
 * sshKnownHostsFile (or the user's and the system's known_hosts when it is
 * not set). Unknown or changed keys are refused; there is no
 * trust-on-first-use. Other certificates keep libgit2's own verdict. */
static int gs_cert_cb(git_cert *cert, int valid, const char *host, void *payload)
{
    git_auth *a = payload;
    const git_source *gs = a->gs;
    const git_cert_hostkey *hk;
    const unsigned char *key = NULL, *sha = NULL;
    size_t keylen = 0;
    char name[300], home_kh[4096];
    const char *files[3] = {NULL, NULL, NULL}, *home = getenv("HOME");
    int result = KH_UNKNOWN;

    (void)host;
    if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
        return valid ? 0 : GIT_PASSTHROUGH;
    hk = (const git_cert_hostkey *)cert;
    if (hk->type & GIT_CERT_SSH_RAW) {
        key = (const unsigned char *)hk->hostkey;
        keylen = hk->hostkey_len;
    } else if (hk->type & GIT_CERT_SSH_SHA256) {
        sha = hk->hash_sha256;
    } else {
        snprintf(a->cert_msg, sizeof(a->cert_msg), "cannot verify the host key of %s", gs->host);
        a->cert_rejected = 1;
        return GIT_ECERTIFICATE;
    }
    if (gs->port == 22)
        snprintf(name, sizeof(name), "%s", gs->host);
    else
        snprintf(name, sizeof(name), "[%s]:%d", gs->host, gs->port);
    if (gs->ssh_known_hosts) {
        files[0] = gs->ssh_known_hosts;
    } else {
        if (home && *home) {
            snprintf(home_kh, sizeof(home_kh), "%s/.ssh/known_hosts", home);
            files[0] = home_kh;
        }
        files[files[0] ? 1 : 0] = "/etc/ssh/ssh_known_hosts";
    }
    for (int i = 0; files[i] && result != KH_OK && result != KH_REVOKED; i++) {
        int r = gs_kh_file(files[i], name, key, keylen, sha);
        if (r != KH_UNKNOWN)
            result = r;
    }
    if (result == KH_OK)
        return 0;
    a->cert_rejected = 1;
    if (result == KH_REVOKED)
        snprintf(a->cert_msg, sizeof(a->cert_msg), "the host key of %s is revoked", name);
    else if (result == KH_MISMATCH)
        snprintf(a->cert_msg, sizeof(a->cert_msg),
                 "the host key of %s does not match the known hosts file%s%s (possible "
                 "man-in-the-middle)",
                 name, gs->ssh_known_hosts ? " " : "",
                 gs->ssh_known_hosts ? gs->ssh_known_hosts : "");
    else
        snprintf(a->cert_msg, sizeof(a->cert_msg),
                 "host %s is not in %s; add its key (ssh-keyscan) and set sshKnownHostsFile", name,
                 gs->ssh_known_hosts ? gs->ssh_known_hosts
                                     : "~/.ssh/known_hosts or /etc/ssh/ssh_known_hosts");
    git_error_set_str(GIT_ERROR_SSH, a->cert_msg);
    return GIT_ECERTIFICATE;
}

/* ---- credentials ---- */

/* 1 if url (as libgit2 reports it, maybe with user info) is on the
 * server authority ("scheme://host[:port]"). */
static int gs_same_server(const char *url, const char *authority)
{
    const char *sep = strstr(url, "://"), *host, *end, *at;
    size_t sl, hl;

    if (!sep)
        return 0;
    sl = (size_t)(sep + 3 - url);
    if (strncmp(url, authority, sl))
        return 0;
    host = sep + 3;
    end = host + strcspn(host, "/?#");
    at = memrchr(host, '@', (size_t)(end - host));
    if (at)
        host = at + 1;
    hl = (size_t)(end - host);
    return strlen(authority + sl) == hl && !strncasecmp(authority + sl, host, hl);
}

static int gs_cred_cb(git_credential **out, const char *url, const char *user_from_url,
                      unsigned int allowed, void *payload)
{
    git_auth *a = payload;
    const git_source *gs = a->gs;
    const char *user;

    if (++a->attempts > GS_AUTH_ATTEMPTS) {
        git_error_set_str(GIT_ERROR_NET, "authentication failed");
        return GIT_EAUTH;
    }
    if (gs->scheme == GS_SSH) {
        user = user_from_url && *user_from_url ? user_from_url : "git";
        if (allowed & GIT_CREDENTIAL_USERNAME)
            return git_credential_username_new(out, user);
        if ((allowed & GIT_CREDENTIAL_SSH_KEY) && gs->ssh_key) {
            char *pub = NULL;
            int rc;
            if (asprintf(&pub, "%s.pub", gs->ssh_key) < 0)
                return -1;
            rc = git_credential_ssh_key_new(out, user, access(pub, R_OK) == 0 ? pub : NULL,
                                            gs->ssh_key, NULL);
            free(pub);
            return rc;
        }
        if ((allowed & GIT_CREDENTIAL_SSH_KEY) && getenv("SSH_AUTH_SOCK"))
            return git_credential_ssh_key_from_agent(out, user);
        return GIT_PASSTHROUGH;
    }
    if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) || !a->token)
        return GIT_PASSTHROUGH;
    /* The token is only for the configured server, never for a host a
     * redirect pointed at. */
    if (gs->authority && !gs_same_server(url, gs->authority)) {
        git_error_set_str(GIT_ERROR_NET, "refusing to send the token to a different server");
        return GIT_EAUTH;
    }
    user = gs->username                      ? gs->username
           : user_from_url && *user_from_url ? user_from_url
                                             : "x-access-token";
    return git_credential_userpass_plaintext_new(out, user, a->token);
}

/* Read tokenFile: whitespace around the token is dropped. *out is the
 * caller's (wipe it). */
static int gs_read_token(const git_source *gs, char **out, sl_error *err)
{
    sl_buf b = SL_BUF_INIT;
    size_t s = 0, e;
    int rc;

    *out = NULL;
    if ((rc = sl_file_read(gs->token_file, GS_TOKEN_MAX, &b, err))) {
        sl_error_prefix(err, "tokenFile");
        goto out;
    }
    e = b.len;
    while (s < e && isspace((unsigned char)b.ptr[s]))
        s++;
    while (e > s && isspace((unsigned char)b.ptr[e - 1]))
        e--;
    if (e == s) {
        rc = sl_error_set(err, SL_EINVAL, "tokenFile %s is empty", gs->token_file);
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

/* ---- the cache ---- */

static int gs_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* mkdir -p with mode 0700 for new directories. */
static int gs_mkdirs(const char *path, sl_error *err)
{
    char *p = strdup(path);
    int rc = 0;

    if (!p)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || !*s) {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0700) != 0 && errno != EEXIST) {
                rc = sl_error_set(err, SL_EIO, "cannot create %s: %s", p, strerror(errno));
                break;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    return rc;
}

static char *gs_cache_path(const sl_source *src)
{
    char *p;

    if (asprintf(&p, "%s/sources/%s.git", src->state_dir, src->name) < 0)
        return NULL;
    return p;
}

/* Open the bare cache, creating it on first use (in a temporary directory
 * renamed into place, so a crash never leaves half a cache). *out is the
 * caller's. */
static int gs_cache_open(const sl_source *src, git_repository **out, sl_error *err)
{
    git_repository *repo = NULL;
    char *cache = NULL, *tmp = NULL, *dir = NULL;
    struct stat st;
    int rc = 0;

    *out = NULL;
    if (!(cache = gs_cache_path(src)) || asprintf(&dir, "%s/sources", src->state_dir) < 0) {
        dir = NULL;
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (stat(cache, &st) != 0) {
        if ((rc = gs_mkdirs(dir, err)))
            goto out;
        if (asprintf(&tmp, "%s.tmp.%ld", cache, (long)getpid()) < 0) {
            tmp = NULL;
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        nftw(tmp, gs_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
        if (git_repository_init(&repo, tmp, 1) < 0) {
            rc = gs_error(err, SL_EGIT, NULL, "creating the cache");
            goto out;
        }
        git_repository_free(repo);
        repo = NULL;
        if (rename(tmp, cache) != 0) {
            rc = sl_error_set(err, SL_EIO, "cannot create %s: %s", cache, strerror(errno));
            goto out;
        }
        free(tmp);
        tmp = NULL;
    }
    if (git_repository_open_bare(&repo, cache) < 0) {
        rc = gs_error(err, SL_EGIT, NULL, "opening the cache");
        sl_error_prefix(err, "%s (delete it to start over)", cache);
        goto out;
    }
    *out = repo;
    repo = NULL;
out:
    if (tmp)
        nftw(tmp, gs_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    git_repository_free(repo);
    free(tmp);
    free(dir);
    free(cache);
    return rc;
}

/* Fetch every branch (into refs/remotes/origin/) and tag (into refs/tags/)
 * of the remote, pruning refs the remote no longer has. When
 * default_branch is not NULL it receives the remote's HEAD branch name
 * ("main"), "" when the remote does not say.
 *
 * The remote is an in-memory one (no name, no config entry, insteadOf
 * rewrites skipped) with the refspecs passed to the fetch: with Debian's
 * libgit2 1.5.1 (PCRE2 regex backend) every lookup of a named remote leaks
 * its regex match data, some 300 KiB per fetch, which a daemon polling
 * every minute cannot afford. A side benefit: the cache's config never
 * holds the URL. */
static int gs_fetch_remote(git_repository *repo, const git_source *gs, git_auth *auth,
                           char *default_branch, size_t dbn, sl_error *err)
{
    static char heads[] = "+refs/heads/*:refs/remotes/origin/*";
    static char tags[] = "+refs/tags/*:refs/tags/*";
    char *specs[] = {heads, tags};
    git_strarray refspecs = {specs, 2};
    git_remote_create_options copts;
    git_fetch_options opts;
    git_remote *remote = NULL;
    git_buf head = {0};
    char what[1200];
    int rc = 0, grc;

    git_remote_create_options_init(&copts, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    copts.repository = repo;
    copts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if (git_remote_create_with_opts(&remote, gs->url, &copts) < 0) {
        rc = gs_error(err, SL_EGIT, NULL, "setting up the remote");
        goto out;
    }
    git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
    opts.callbacks.credentials = gs_cred_cb;
    if (gs->scheme == GS_SSH)
        opts.callbacks.certificate_check = gs_cert_cb;
    opts.callbacks.payload = auth;
    opts.prune = GIT_FETCH_PRUNE;
    opts.update_fetchhead = 0;
    opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
    grc = git_remote_fetch(remote, &refspecs, &opts, "sluice: fetch");
    if (grc < 0) {
        snprintf(what, sizeof(what), "cannot fetch %s", gs->url_safe);
        if (auth->cert_rejected)
            rc = sl_error_set(err, SL_ENET, "%s: %s", what, auth->cert_msg);
        else if (grc == GIT_EAUTH || auth->attempts > GS_AUTH_ATTEMPTS)
            rc = sl_error_set(err, SL_ENET, "%s: authentication failed%s", what,
                              gs->scheme == GS_SSH
                                  ? (gs->ssh_key ? " (check sshKeyFile)" : " (set sshKeyFile)")
                              : gs->token_file ? " (check tokenFile)"
                                               : " (the server wants credentials: set tokenFile)");
        else
            rc = gs_error(err, SL_ENET, auth->token, what);
        goto out;
    }
    if (default_branch) {
        default_branch[0] = '\0';
        if (git_remote_default_branch(&head, remote) == 0 && head.ptr &&
            !strncmp(head.ptr, "refs/heads/", 11))
            snprintf(default_branch, dbn, "%s", head.ptr + 11);
    }
out:
    git_buf_dispose(&head);
    git_remote_free(remote);
    return rc;
}

static int gs_is_hex(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);

    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Peel the reference called name to a commit id. 1 found, 0 no such ref. */
static int gs_peel_ref(git_repository *repo, const char *name, git_oid *out)
{
    git_reference *r = NULL;
    git_object *obj = NULL;
    int valid = 0, found = 0;

    if (git_reference_name_is_valid(&valid, name) < 0 || !valid)
        return 0;
    if (git_reference_lookup(&r, repo, name) == 0 &&
        git_reference_peel(&obj, r, GIT_OBJECT_COMMIT) == 0) {
        git_oid_cpy(out, git_object_id(obj));
        found = 1;
    }
    git_object_free(obj);
    git_reference_free(r);
    return found;
}

/* Look up a full object id and peel it to a commit (a tag object's id
 * works too). 1 found, 0 not in the cache. */
static int gs_peel_id(git_repository *repo, const char *hex, git_oid *out)
{
    git_object *obj = NULL, *peeled = NULL;
    git_oid oid;
    int found = 0;

    if (git_oid_fromstr(&oid, hex) == 0 &&
        git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY) == 0 &&
        git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0) {
        git_oid_cpy(out, git_object_id(peeled));
        found = 1;
    }
    git_object_free(peeled);
    git_object_free(obj);
    return found;
}

/* A few branch names of origin, for "not found" messages. */
static void gs_branches(git_repository *repo, char *buf, size_t n)
{
    git_branch_iterator *it = NULL;
    git_reference *r = NULL;
    git_branch_t type;
    size_t o = 0, count = 0;

    buf[0] = '\0';
    if (git_branch_iterator_new(&it, repo, GIT_BRANCH_REMOTE) < 0)
        return;
    while (git_branch_next(&r, &type, it) == 0) {
        const char *name = NULL;
        if (git_branch_name(&name, r) == 0 && !strncmp(name, "origin/", 7) &&
            strcmp(name, "origin/HEAD")) {
            if (count++ < GS_LIST_BRANCHES) {
                int w = snprintf(buf + o, n - o, "%s%s", o ? ", " : "", name + 7);
                if (w > 0 && (size_t)w < n - o)
                    o += (size_t)w;
            } else if (count == GS_LIST_BRANCHES + 1) {
                int w = snprintf(buf + o, n - o, ", ...");
                if (w > 0 && (size_t)w < n - o)
                    o += (size_t)w;
            }
        }
        git_reference_free(r);
        r = NULL;
    }
    git_branch_iterator_free(it);
}

/* Resolve ref in the cache: a full commit id, origin's branch, a tag
 * (peeled), then an abbreviated commit id. */
static int gs_resolve(git_repository *repo, const git_source *gs, const char *ref, git_oid *out,
                      sl_error *err)
{
    char name[600], branches[512];
    git_object *obj = NULL, *peeled = NULL;
    git_oid oid;
    int rc = 0;

    if (gs_is_hex(ref, GIT_OID_HEXSZ, GIT_OID_HEXSZ)) {
        if (gs_peel_id(repo, ref, out))
            return 0;
        return sl_error_set(err, SL_ENOTFOUND,
                            "commit %s not found in %s (it must be reachable from a branch or "
                            "tag)",
                            ref, gs->url_safe);
    }
    if (!strncmp(ref, "refs/heads/", 11))
        snprintf(name, sizeof(name), "refs/remotes/origin/%s", ref + 11);
    else if (!strncmp(ref, "refs/tags/", 10))
        snprintf(name, sizeof(name), "%s", ref);
    else
        snprintf(name, sizeof(name), "refs/remotes/origin/%s", ref);
    if (gs_peel_ref(repo, name, out))
        return 0;
    snprintf(name, sizeof(name), "refs/tags/%s", ref);
    if (strncmp(ref, "refs/", 5) && gs_peel_ref(repo, name, out))
        return 0;
    if (gs_is_hex(ref, 4, GIT_OID_HEXSZ - 1) && git_oid_fromstrn(&oid, ref, strlen(ref)) == 0) {
        int grc = git_object_lookup_prefix(&obj, repo, &oid, strlen(ref), GIT_OBJECT_ANY);
        if (grc == GIT_EAMBIGUOUS) {
            rc = sl_error_set(err, SL_EINVAL, "ref \"%s\" is an ambiguous commit id in %s", ref,
                              gs->url_safe);
            goto out;
        }
        if (grc == 0 && git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0) {
            git_oid_cpy(out, git_object_id(peeled));
            goto out;
        }
    }
    gs_branches(repo, branches, sizeof(branches));
    rc = sl_error_set(err, SL_ENOTFOUND, "ref \"%s\" not found in %s (branches: %s)", ref,
                      gs->url_safe, branches[0] ? branches : "none");
out:
    git_object_free(peeled);
    git_object_free(obj);
    return rc;
}

/* ---- the source ---- */

static int git_open(sl_source *src, const cJSON *node, sl_confctx *c)
{
    static const char *const allowed[] = {
        "git",      "ref",        "interval",          "webhook", "tokenFile",
        "username", "sshKeyFile", "sshKnownHostsFile", NULL};
    git_source *gs;
    const char *url = NULL, *ref = NULL, *token = NULL, *user = NULL, *key = NULL, *kh = NULL;
    const char *why;
    int rc = 0, prc;

    if (!(gs = calloc(1, sizeof(*gs))))
        return SL_ENOMEM;
    src->priv = gs;
    if (pthread_mutex_init(&gs->lock, NULL) == 0)
        gs->lock_ok = 1;
    rc |= sl_conf_check_keys(c, node, allowed);
    rc |= sl_conf_str(c, node, "git", 1, &url);
    rc |= sl_conf_str(c, node, "ref", 0, &ref);
    rc |= sl_conf_str(c, node, "tokenFile", 0, &token);
    rc |= sl_conf_str(c, node, "username", 0, &user);
    rc |= sl_conf_str(c, node, "sshKeyFile", 0, &key);
    rc |= sl_conf_str(c, node, "sshKnownHostsFile", 0, &kh);
    if (src->name && (!src->name[0] || strchr(src->name, '/') || src->name[0] == '.'))
        rc |= sl_conf_error(c, node,
                            "source name \"%s\" cannot name a cache directory (no '/', no "
                            "leading '.')",
                            src->name);
    if (url) {
        if ((prc = gs_parse_url(gs, url, &why)) == SL_ENOMEM)
            return SL_ENOMEM;
        if (prc)
            rc |= sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(node, "git"), "git: %s", why);
        else if (!(gs->url = strdup(url)))
            return SL_ENOMEM;
    }
    if (ref && !*ref)
        rc |= sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(node, "ref"),
                            "ref must not be empty (leave it out for the default branch)");
    if (ref && *ref) {
        char full[600];
        int valid = 0;
        snprintf(full, sizeof(full), "refs/tags/%s", ref);
        if (gs_init(NULL) == 0 && !gs_is_hex(ref, 4, GIT_OID_HEXSZ) &&
            (git_reference_name_is_valid(&valid, strncmp(ref, "refs/", 5) ? full : ref) < 0 ||
             !valid))
            rc |= sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(node, "ref"),
                                "ref \"%s\" is not a valid branch, tag or commit id", ref);
        if (!(gs->ref = strdup(ref)))
            return SL_ENOMEM;
    }
    if (token) {
        if (url && gs->url && gs->scheme != GS_HTTP)
            rc |= sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(node, "tokenFile"),
                                "tokenFile applies to http(s) URLs only");
        if (!(gs->token_file = sl_conf_path(c, token)))
            return SL_ENOMEM;
    }
    if (user && *user && !(gs->username = strdup(user)))
        return SL_ENOMEM;
    if (key || kh) {
        if (url && gs->url && gs->scheme != GS_SSH)
            rc |= sl_conf_error(
                c, cJSON_GetObjectItemCaseSensitive(node, key ? "sshKeyFile" : "sshKnownHostsFile"),
                "%s applies to ssh URLs only", key ? "sshKeyFile" : "sshKnownHostsFile");
        if (key && !(gs->ssh_key = sl_conf_path(c, key)))
            return SL_ENOMEM;
        if (kh && !(gs->ssh_known_hosts = sl_conf_path(c, kh)))
            return SL_ENOMEM;
    }
    src->url = gs->url;
    src->ref = gs->ref;
    return rc ? SL_EINVAL : 0;
}

/* ---- keeping the cache compact ---- */

/* Every fetch that brings objects adds a pack to the cache; libgit2 never
 * merges them, and every open and lookup scans them all, so a daemon that
 * fetched a few thousand pushes gets slower with each one. Past this many
 * packs the cache is repacked into one (as `git gc` does past
 * gc.autoPackLimit). */
#define GS_MAX_PACKS 32

static int gs_is_pack_file(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);

    return !strncmp(name, "pack-", 5) && n > 5 + k && !strcmp(name + n - k, suffix);
}

static int gs_count_packs(const char *packdir)
{
    DIR *d = opendir(packdir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)))
        n += gs_is_pack_file(e->d_name, ".pack");
    closedir(d);
    return n;
}

/* Add what ref points at: its commit history to walk, and an annotated tag
 * object itself to pb (the walk only brings commits, trees and blobs). */
static int gs_repack_ref(git_repository *repo, git_reference *ref, git_packbuilder *pb,
                         git_revwalk *walk)
{
    git_reference *resolved = NULL;
    git_object *obj = NULL, *peeled = NULL;
    int rc = 0;

    if (git_reference_resolve(&resolved, ref) < 0 || !git_reference_target(resolved))
        goto out; /* a dangling symbolic ref: nothing to keep */
    if (git_object_lookup(&obj, repo, git_reference_target(resolved), GIT_OBJECT_ANY) < 0)
        goto out;
    if (git_object_type(obj) == GIT_OBJECT_TAG &&
        (rc = git_packbuilder_insert(pb, git_object_id(obj), NULL)) < 0)
        goto out;
    if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0)
        rc = git_revwalk_push(walk, git_object_id(peeled));
out:
    git_object_free(peeled);
    git_object_free(obj);
    git_reference_free(resolved);
    return rc;
}

/* Repack the cache into one pack when it holds more than GS_MAX_PACKS.
 * Called with the source's fetch lock held. Best effort: on failure the
 * old packs stay and the next fetch tries again. */
static void gs_maybe_repack(git_repository *repo)
{
    git_packbuilder *pb = NULL;
    git_revwalk *walk = NULL;
    git_reference_iterator *it = NULL;
    git_reference *ref = NULL;
    char packdir[4096], keep[128];
    const char *newname;
    DIR *d = NULL;
    struct dirent *e;
    int npacks;

    snprintf(packdir, sizeof(packdir), "%sobjects/pack", git_repository_path(repo));
    if ((npacks = gs_count_packs(packdir)) <= GS_MAX_PACKS)
        return;
    if (git_packbuilder_new(&pb, repo) < 0 || git_revwalk_new(&walk, repo) < 0 ||
        git_reference_iterator_new(&it, repo) < 0)
        goto out;
    while (git_reference_next(&ref, it) == 0) {
        int rc = gs_repack_ref(repo, ref, pb, walk);
        git_reference_free(ref);
        if (rc < 0)
            goto out;
    }
    if (git_packbuilder_insert_walk(pb, walk) < 0 ||
        git_packbuilder_write(pb, packdir, 0, NULL, NULL) < 0 ||
        !(newname = git_packbuilder_name(pb)))
        goto out;
    /* Drop every other pack (and its index and reverse index). */
    snprintf(keep, sizeof(keep), "pack-%s.", newname);
    if (!(d = opendir(packdir)))
        goto out;
    while ((e = readdir(d))) {
        char path[4096 + 512];
        if (strncmp(e->d_name, keep, strlen(keep)) == 0 ||
            !(gs_is_pack_file(e->d_name, ".pack") || gs_is_pack_file(e->d_name, ".idx") ||
              gs_is_pack_file(e->d_name, ".rev")))
            continue;
        snprintf(path, sizeof(path), "%s/%s", packdir, e->d_name);
        unlink(path);
    }
out:
    if (d)
        closedir(d);
    git_reference_iterator_free(it);
    git_revwalk_free(walk);
    git_packbuilder_free(pb);
    git_error_clear();
}

static int git_fetch(sl_source *src, sl_revision *out, sl_error *err)
{
    git_source *gs = src->priv;
    git_repository *repo = NULL;
    git_commit *commit = NULL;
    git_auth auth;
    git_oid oid;
    char defbranch[256] = "";
    const char *ref;
    int rc = 0, locked = 0, pinned;

    memset(&auth, 0, sizeof(auth));
    auth.gs = gs;
    if (!gs || !gs->url) {
        rc = sl_error_set(err, SL_EINVAL, "source is not configured");
        goto out;
    }
    if (!src->state_dir || !src->state_dir[0] || !src->name) {
        rc = sl_error_set(err, SL_EINVAL, "no stateDir for the git cache");
        goto out;
    }
    if ((rc = gs_init(err)))
        goto out;
    if (gs->lock_ok && pthread_mutex_lock(&gs->lock) == 0)
        locked = 1;
    if (gs->token_file && (rc = gs_read_token(gs, &auth.token, err)))
        goto out;
    if ((rc = gs_cache_open(src, &repo, err)))
        goto out;
    /* A full commit id names immutable content: when the cache has it, no
     * network round trip is needed. */
    pinned = gs->ref && gs_is_hex(gs->ref, GIT_OID_HEXSZ, GIT_OID_HEXSZ) &&
             gs_peel_id(repo, gs->ref, &oid);
    if (!pinned &&
        (rc = gs_fetch_remote(repo, gs, &auth, gs->ref ? NULL : defbranch, sizeof(defbranch), err)))
        goto out;
    ref = gs->ref;
    if (!ref) {
        if (!defbranch[0]) {
            rc =
                sl_error_set(err, SL_ENOTFOUND,
                             "%s has no default branch (empty repository?); set ref", gs->url_safe);
            goto out;
        }
        ref = defbranch;
    }
    if ((rc = gs_resolve(repo, gs, ref, &oid, err)))
        goto out;
    if (git_commit_lookup(&commit, repo, &oid) < 0) {
        rc = gs_error(err, SL_EGIT, NULL, "reading the resolved commit");
        goto out;
    }
    memset(out, 0, sizeof(*out));
    git_oid_tostr(out->id, sizeof(out->id), &oid);
    snprintf(out->ref, sizeof(out->ref), "%s", ref);
    out->time = (int64_t)git_commit_time(commit);
    if (!pinned)
        gs_maybe_repack(repo);
out:
    git_commit_free(commit);
    git_repository_free(repo);
    if (auth.token) {
        explicit_bzero(auth.token, strlen(auth.token));
        free(auth.token);
    }
    if (locked)
        pthread_mutex_unlock(&gs->lock);
    return rc;
}

/* ---- snapshots ---- */

/* For a path that was not found: does it pass through a symlink or
 * submodule entry? Returns SL_ECONFINE/SL_ENOTFOUND with a message. */
static int gs_not_found(git_snapshot *gsn, const char *path, sl_error *err)
{
    char *p = strdup(path);
    int rc = SL_ENOTFOUND;

    if (!p)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
        git_tree_entry *e = NULL;
        *s = '\0';
        if (git_tree_entry_bypath(&e, gsn->root, p) == 0) {
            git_filemode_t m = git_tree_entry_filemode(e);
            git_tree_entry_free(e);
            if (m == GIT_FILEMODE_LINK) {
                rc = sl_error_set(err, SL_ECONFINE,
                                  "\"%s\" is a symlink; symlinks in git trees are not followed", p);
                goto out;
            }
            if (m == GIT_FILEMODE_COMMIT) {
                rc = sl_error_set(err, SL_ENOTFOUND,
                                  "\"%s\" is a submodule; submodules are not fetched", p);
                goto out;
            }
        }
        *s = '/';
    }
    sl_error_set(err, SL_ENOTFOUND, "\"%s\" not found at %.12s", path, gsn->base.revision);
out:
    free(p);
    return rc;
}

static int gs_snap_read(sl_snapshot *s, const char *path, size_t max, sl_buf *out, sl_error *err)
{
    git_snapshot *gsn = (git_snapshot *)s;
    git_tree_entry *e = NULL;
    git_odb *odb = NULL;
    git_blob *blob = NULL;
    git_object_t type;
    size_t size = 0;
    int rc = 0;

    if (git_tree_entry_bypath(&e, gsn->root, path) < 0) {
        rc = gs_not_found(gsn, path, err);
        goto out;
    }
    switch (git_tree_entry_filemode(e)) {
    case GIT_FILEMODE_TREE:
        rc = sl_error_set(err, SL_EINVAL, "\"%s\" is a directory", path);
        goto out;
    case GIT_FILEMODE_LINK:
        rc = sl_error_set(err, SL_ECONFINE,
                          "\"%s\" is a symlink; symlinks in git trees are not followed", path);
        goto out;
    case GIT_FILEMODE_COMMIT:
        rc = sl_error_set(err, SL_ENOTFOUND, "\"%s\" is a submodule; submodules are not fetched",
                          path);
        goto out;
    default:
        break;
    }
    /* Check the size from the object header before inflating the blob. */
    if (git_repository_odb(&odb, gsn->repo) < 0 ||
        git_odb_read_header(&size, &type, odb, git_tree_entry_id(e)) < 0) {
        rc = gs_error(err, SL_EGIT, NULL, path);
        goto out;
    }
    if (size > max) {
        rc = sl_error_set(err, SL_ELIMIT, "\"%s\" is %zu bytes, over the %zu-byte limit", path,
                          size, max);
        goto out;
    }
    if (git_blob_lookup(&blob, gsn->repo, git_tree_entry_id(e)) < 0) {
        rc = gs_error(err, SL_EGIT, NULL, path);
        goto out;
    }
    if ((rc = sl_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob))))
        sl_error_set(err, rc, "\"%s\": output buffer full", path);
out:
    git_blob_free(blob);
    git_odb_free(odb);
    git_tree_entry_free(e);
    return rc;
}

static int gs_snap_list(sl_snapshot *s, const char *path, sl_strv *out, sl_error *err)
{
    git_snapshot *gsn = (git_snapshot *)s;
    git_tree_entry *e = NULL;
    git_tree *tree = NULL;
    const git_tree *t = gsn->root;
    sl_strv names = SL_STRV_INIT;
    int rc = 0;

    if (path[0]) {
        if (git_tree_entry_bypath(&e, gsn->root, path) < 0) {
            rc = gs_not_found(gsn, path, err);
            goto out;
        }
        if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
            rc = sl_error_set(err, SL_ECONFINE,
                              "\"%s\" is a symlink; symlinks in git trees are not followed", path);
            goto out;
        }
        if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
            rc = sl_error_set(err, SL_EINVAL, "\"%s\" is not a directory", path);
            goto out;
        }
        if (git_tree_lookup(&tree, gsn->repo, git_tree_entry_id(e)) < 0) {
            rc = gs_error(err, SL_EGIT, NULL, path);
            goto out;
        }
        t = tree;
    }
    for (size_t i = 0, n = git_tree_entrycount(t); i < n; i++) {
        const git_tree_entry *te = git_tree_entry_byindex(t, i);
        git_filemode_t m = git_tree_entry_filemode(te);
        const char *name = git_tree_entry_name(te);

        if (m == GIT_FILEMODE_COMMIT)
            continue; /* submodules are not part of the snapshot */
        if (m == GIT_FILEMODE_TREE) {
            char *d = NULL;
            rc = asprintf(&d, "%s/", name) < 0 ? SL_ENOMEM : sl_strv_take(&names, d);
        } else {
            rc = sl_strv_push(&names, name);
        }
        if (rc) {
            sl_error_set(err, rc, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < names.n; i++) {
        rc = sl_strv_take(out, names.v[i]);
        names.v[i] = NULL; /* owned by out now, or freed by sl_strv_take */
        if (rc) {
            sl_error_set(err, rc, "out of memory");
            goto out;
        }
    }
out:
    sl_strv_free(&names);
    git_tree_free(tree);
    git_tree_entry_free(e);
    return rc;
}

static void gs_snap_free(sl_snapshot *s)
{
    git_snapshot *gsn = (git_snapshot *)s;

    if (!gsn)
        return;
    git_tree_free(gsn->root);
    git_repository_free(gsn->repo);
    sl_snapshot_fini(&gsn->base);
    free(gsn);
}

/* The id of path's entry in commit c's tree; 0 when present, 1 when absent. */
static int gs_entry_id(git_commit *c, const char *path, git_oid *out)
{
    git_tree *tree = NULL;
    git_tree_entry *e = NULL;
    int rc = 1;

    if (git_commit_tree(&tree, c) == 0 && git_tree_entry_bypath(&e, tree, path) == 0) {
        git_oid_cpy(out, git_tree_entry_id(e));
        rc = 0;
    }
    git_tree_entry_free(e);
    git_tree_free(tree);
    return rc;
}

/* The committer time of the newest commit on the first-parent chain from
 * the snapshot's commit whose entry for path differs from its first
 * parent's: when the current content of path landed on the branch (a merge
 * counts as the landing). Past GS_MTIME_MAX_COMMITS the oldest commit
 * looked at is taken. */
static int gs_snap_mtime(sl_snapshot *s, const char *path, int64_t *out, sl_error *err)
{
    git_snapshot *gsn = (git_snapshot *)s;
    git_commit *c = NULL, *parent = NULL;
    git_oid want, have;
    int rc = 0;

    if (git_commit_lookup(&c, gsn->repo, &gsn->commit) < 0) {
        rc = gs_error(err, SL_EGIT, NULL, "reading the snapshot's commit");
        goto out;
    }
    if (gs_entry_id(c, path, &want)) {
        rc = gs_not_found(gsn, path, err);
        goto out;
    }
    for (size_t n = 0; n < GS_MTIME_MAX_COMMITS; n++) {
        if (git_commit_parentcount(c) == 0 || git_commit_parent(&parent, c, 0) < 0)
            break;
        if (gs_entry_id(parent, path, &have) || !git_oid_equal(&have, &want))
            break;
        git_commit_free(c);
        c = parent;
        parent = NULL;
    }
    *out = (int64_t)git_commit_time(c);
out:
    git_commit_free(parent);
    git_commit_free(c);
    return rc;
}

static const sl_snapshot_ops gs_snapshot_ops = {
    .read = gs_snap_read,
    .list = gs_snap_list,
    .free = gs_snap_free,
    .mtime = gs_snap_mtime,
};

/* Each snapshot opens its own handle on the cache, so snapshots can be
 * used from other threads and outlive later fetches (objects are never
 * deleted from the cache; pruning only drops refs). Only the root tree is
 * loaded here. */
static int git_snapshot_open(sl_source *src, const sl_revision *rev, sl_snapshot **out,
                             sl_error *err)
{
    git_snapshot *gsn = NULL;
    git_commit *commit = NULL;
    char *cache = NULL;
    git_oid oid;
    int rc = 0;

    *out = NULL;
    if (!rev || !gs_is_hex(rev->id, GIT_OID_HEXSZ, GIT_OID_HEXSZ)) {
        rc = sl_error_set(err, SL_EINVAL, "snapshot needs a fetched commit id");
        goto out;
    }
    if ((rc = gs_init(err)))
        goto out;
    if (!(gsn = calloc(1, sizeof(*gsn))) || !(cache = gs_cache_path(src))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = sl_snapshot_init(&gsn->base, &gs_snapshot_ops, src->name, rev->id))) {
        sl_error_set(err, rc, "out of memory");
        goto out;
    }
    if (git_repository_open_bare(&gsn->repo, cache) < 0) {
        rc = gs_error(err, SL_EGIT, NULL, "opening the cache (fetch first)");
        goto out;
    }
    git_oid_fromstr(&oid, rev->id);
    git_oid_cpy(&gsn->commit, &oid);
    if (git_commit_lookup(&commit, gsn->repo, &oid) < 0) {
        rc = sl_error_set(err, SL_ENOTFOUND, "commit %s is not in the cache of source \"%s\"",
                          rev->id, src->name);
        goto out;
    }
    if (git_commit_tree(&gsn->root, commit) < 0) {
        rc = gs_error(err, SL_EGIT, NULL, "reading the commit's tree");
        goto out;
    }
    *out = &gsn->base;
    gsn = NULL;
out:
    git_commit_free(commit);
    if (gsn)
        gs_snap_free(&gsn->base);
    free(cache);
    return rc;
}

static void git_close(sl_source *src)
{
    git_source *gs = src ? src->priv : NULL;

    if (!gs)
        return;
    if (gs->lock_ok)
        pthread_mutex_destroy(&gs->lock);
    free(gs->url);
    free(gs->url_safe);
    free(gs->authority);
    free(gs->ref);
    free(gs->token_file);
    free(gs->username);
    free(gs->ssh_key);
    free(gs->ssh_known_hosts);
    free(gs->host);
    free(gs);
    src->priv = NULL;
}

const sl_source_ops sl_source_git = {
    .kind = "git",
    .open = git_open,
    .fetch = git_fetch,
    .snapshot = git_snapshot_open,
    .close = git_close,
};
