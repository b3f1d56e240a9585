/* state.c: provisioner state under <stateDir>/score/: one JSON file per app
 * (its workloads' instance suffixes and resource states) and one shared file
 * (the shared state map and resources with an explicit id), so generated
 * passwords and host names survive reconciles. Each app's file has its own
 * lock (apps/<app>.lock), so unrelated apps render at the same time; the
 * shared file is read without a lock (it is replaced atomically) and its
 * lock (.lock) is taken, and the file read again, only by an app whose
 * provisioners may change it (score_state_lock_shared), held until close. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "score_int.h"

#define STATE_MAX_BYTES ((size_t)64 << 20)

int score_random_hex(char *out, size_t n)
{
    unsigned char b[64];

    if (n > sizeof(b) || getrandom(b, n, 0) != (ssize_t)n)
        return SL_EIO;
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    return 0;
}

int score_random_uuid(char out[37])
{
    unsigned char b[16];

    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        return SL_EIO;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return 0;
}

int score_patch_map(cJSON *dst, const cJSON *patch)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, patch)
    {
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(dst, it->string);
        if (cJSON_IsNull(it)) {
            cJSON_DeleteItemFromObjectCaseSensitive(dst, it->string);
        } else if (cJSON_IsObject(it) && cJSON_IsObject(cur)) {
            if (score_patch_map(cur, it))
                return SL_ENOMEM;
        } else {
            cJSON *copy = cJSON_Duplicate(it, 1);
            if (!copy)
                return SL_ENOMEM;
            if (cur)
                cJSON_ReplaceItemViaPointer(dst, cur, copy);
            else
                cJSON_AddItemToObject(dst, it->string, copy);
        }
    }
    return 0;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);

    if (n >= sizeof(tmp))
        return -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

/* Read a JSON object file; a missing file gives a fresh object with the
 * given sub-objects. */
static int load_json(const char *path, const char *k1, const char *k2, cJSON **out,
                     char **before, sl_error *err)
{
    sl_buf b = SL_BUF_INIT;
    sl_error e;
    cJSON *j = NULL;
    int rc = sl_file_read(path, STATE_MAX_BYTES, &b, &e);

    *out = NULL;
    *before = NULL;
    if (rc == SL_ENOTFOUND) {
        rc = 0;
    } else if (rc) {
        *err = e;
        goto out;
    } else if (!(j = cJSON_ParseWithLength(b.ptr ? b.ptr : "", b.len)) || !cJSON_IsObject(j)) {
        rc = sl_error_setpos(err, SL_EINVAL, path, 0, 0,
                             "provisioner state is not a JSON object; move it away to start "
                             "afresh (generated passwords will change)");
        goto out;
    } else {
        *before = strndup(b.ptr, b.len);
    }
    if (!j)
        j = cJSON_CreateObject();
    if (!j)
        goto nomem;
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, k1))) {
        cJSON_DeleteItemFromObjectCaseSensitive(j, k1);
        if (!cJSON_AddObjectToObject(j, k1))
            goto nomem;
    }
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, k2))) {
        cJSON_DeleteItemFromObjectCaseSensitive(j, k2);
        if (!cJSON_AddObjectToObject(j, k2))
            goto nomem;
    }
    *out = j;
    j = NULL;
    goto out;
nomem:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
    cJSON_Delete(j);
    sl_buf_free(&b);
    return rc;
}

int score_state_open(const char *state_dir, const char *app, score_state *st, sl_error *err)
{
    char *lock = NULL, *apps = NULL, *shared = NULL;
    int rc = 0;

    memset(st, 0, sizeof(*st));
    st->lock_fd = -1;
    st->shared_fd = -1;
    if (state_dir && *state_dir) {
        sl_buf safe = SL_BUF_INIT;
        /* app names come from folder names: keep them to one path segment */
        for (const char *p = app; *p; p++)
            sl_buf_putc(&safe, (*p == '/' || (*p == '.' && p == app)) ? '_' : *p);
        if (asprintf(&st->dir, "%s/score", state_dir) < 0 ||
            asprintf(&apps, "%s/apps", st->dir) < 0 || asprintf(&lock, "%s/%s.lock", apps, safe.ptr ? safe.ptr : "_") < 0 ||
            asprintf(&st->app_file, "%s/%s.json", apps, safe.ptr ? safe.ptr : "_") < 0) {
            sl_buf_free(&safe);
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        sl_buf_free(&safe);
        if (mkdirs(apps)) {
            rc = sl_error_set(err, SL_EIO, "cannot create %s: %s", apps, strerror(errno));
            goto out;
        }
        if ((st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
            flock(st->lock_fd, LOCK_EX)) {
            rc = sl_error_set(err, SL_EIO, "cannot lock %s: %s", lock, strerror(errno));
            goto out;
        }
        if (asprintf(&shared, "%s/shared.json", st->dir) < 0) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = load_json(st->app_file, "workloads", "resources", &st->app, &st->app_before,
                            err)) ||
            (rc = load_json(shared, "shared", "resources", &st->shared, &st->shared_before,
                            err)))
            goto out;
    } else {
        if ((rc = load_json("", "workloads", "resources", &st->app, &st->app_before, err)) ||
            (rc = load_json("", "shared", "resources", &st->shared, &st->shared_before, err)))
            goto out;
    }
out:
    free(lock);
    free(apps);
    free(shared);
    if (rc)
        score_state_close(st);
    return rc;
}

static cJSON *child_object(cJSON *parent, const char *key)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(parent, key);

    if (cJSON_IsObject(c))
        return c;
    cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
    return cJSON_AddObjectToObject(parent, key);
}

cJSON *score_state_resource(score_state *st, const char *uid, int shared)
{
    cJSON *res = cJSON_GetObjectItemCaseSensitive(shared ? st->shared : st->app, "resources");
    cJSON *r = child_object(res, uid);
    char guid[37];

    if (r && !sl_doc_str(r, "guid")) {
        if (score_random_uuid(guid) || !cJSON_AddStringToObject(r, "guid", guid))
            return NULL;
    }
    if (r && !child_object(r, "state"))
        return NULL;
    return r;
}

cJSON *score_state_workload(score_state *st, const char *name)
{
    cJSON *w = child_object(cJSON_GetObjectItemCaseSensitive(st->app, "workloads"), name);
    char hex[11], suffix[12];

    if (w && !sl_doc_str(w, "instanceSuffix")) {
        if (score_random_hex(hex, 5))
            return NULL;
        snprintf(suffix, sizeof(suffix), "-%s", hex);
        if (!cJSON_AddStringToObject(w, "instanceSuffix", suffix))
            return NULL;
    }
    return w;
}

cJSON *score_state_shared(score_state *st)
{
    return child_object(st->shared, "shared");
}

static int write_atomic(const char *path, const char *text, sl_error *err)
{
    char *tmp = NULL;
    FILE *f;
    int rc = 0, fd;

    if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    /* provisioner state holds generated passwords: owner-only */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        rc = sl_error_set(err, SL_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fputs(text, f) == EOF || fputc('\n', f) == EOF || fflush(f) || fsync(fileno(f))) {
        rc = sl_error_set(err, SL_EIO, "cannot write %s: %s", tmp, strerror(errno));
        fclose(f);
        unlink(tmp);
        goto out;
    }
    fclose(f);
    if (rename(tmp, path)) {
        rc = sl_error_set(err, SL_EIO, "cannot rename %s: %s", tmp, strerror(errno));
        unlink(tmp);
    }
out:
    free(tmp);
    return rc;
}

/* Compare the serialisation with what was read (ignoring the trailing newline). */
static int same_text(const char *before, const char *now)
{
    size_t n;

    if (!before)
        return 0;
    n = strlen(before);
    while (n && (before[n - 1] == '\n'))
        n--;
    return strlen(now) == n && !memcmp(before, now, n);
}

int score_state_lock_shared(score_state *st, sl_error *err)
{
    char *lock = NULL, *shared = NULL;
    int rc = 0;

    if (!st->dir || st->shared_fd >= 0)
        return 0;
    if (asprintf(&lock, "%s/.lock", st->dir) < 0 ||
        asprintf(&shared, "%s/shared.json", st->dir) < 0) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((st->shared_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
        flock(st->shared_fd, LOCK_EX)) {
        rc = sl_error_set(err, SL_EIO, "cannot lock %s: %s", lock, strerror(errno));
        goto out;
    }
    /* another render may have changed it since it was read */
    cJSON_Delete(st->shared);
    free(st->shared_before);
    st->shared = NULL;
    st->shared_before = NULL;
    rc = load_json(shared, "shared", "resources", &st->shared, &st->shared_before, err);
out:
    free(lock);
    free(shared);
    return rc;
}

int score_state_save(score_state *st, sl_error *err)
{
    char *a = NULL, *s = NULL, *shared = NULL;
    int rc = 0;

    if (!st->dir)
        return 0;
    if (!(a = cJSON_Print(st->app)) || !(s = cJSON_Print(st->shared)) ||
        asprintf(&shared, "%s/shared.json", st->dir) < 0) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (!same_text(st->app_before, a) && (rc = write_atomic(st->app_file, a, err)))
        goto out;
    /* only a render holding the shared lock writes the shared file */
    if (st->shared_fd >= 0 && !same_text(st->shared_before, s))
        rc = write_atomic(shared, s, err);
out:
    free(a);
    free(s);
    free(shared);
    return rc;
}

void score_state_close(score_state *st)
{
    if (!st)
        return;
    if (st->lock_fd >= 0) {
        flock(st->lock_fd, LOCK_UN);
        close(st->lock_fd);
    }
    if (st->shared_fd >= 0) {
        flock(st->shared_fd, LOCK_UN);
        close(st->shared_fd);
    }
    cJSON_Delete(st->app);
    cJSON_Delete(st->shared);
    free(st->dir);
    free(st->app_file);
    free(st->app_before);
    free(st->shared_before);
    memset(st, 0, sizeof(*st));
    st->lock_fd = -1;
    st->shared_fd = -1;
}
