/* test_source_dir.c: the `dir` source and sl_dir_snapshot_open on a real
 * temporary tree: read, list, walk, glob, confinement of paths and
 * symlinks, config options. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_source.h"
#include "sl_test.h"

static char *tmp; /* the temp dir holding root/ and outside/ */
static char root[4096];

static void setup(void)
{
    char p[4200];

    if (tmp)
        return;
    tmp = sl_test_tmpdir();
    snprintf(root, sizeof(root), "%s/root", tmp);
#define W(rel, content)                                                                            \
    do {                                                                                           \
        snprintf(p, sizeof(p), "%s/%s", tmp, rel);                                                 \
        SL_CHECK_INT(sl_test_write(p, content), 0);                                                \
    } while (0)
    W("root/services/api/score.yaml", "apiVersion: score.dev/v1b1\n");
    W("root/services/web/score.yaml", "web\n");
    W("root/services/web/catalog-info.yaml", "catalog\n");
    W("root/README.md", "readme\n");
    W("root/.git/config", "[core]\n");
    W("root/shared/base.yaml", "base\n");
    W("outside/secret.txt", "top secret\n");
#undef W
    SL_CHECK_INT(sl_test_sh("cd '%s' && ln -s ../../shared/base.yaml services/api/base.yaml && "
                            "ln -s shared linked && ln -s ../outside/secret.txt escape && "
                            "ln -s %s/outside escdir && ln -s /nonexistent/abs dangling && "
                            "ln -s missing-inside broken && mkfifo services/fifo",
                            root, tmp),
                 0);
}

static sl_snapshot *open_root(void)
{
    sl_snapshot *s = NULL;
    sl_error err;

    setup();
    SL_CHECK_INT(sl_dir_snapshot_open(root, "local-src", &s, &err), 0);
    return s;
}

static void test_read(void)
{
    sl_snapshot *s = open_root();
    sl_buf b = SL_BUF_INIT;
    sl_error err;

    if (!s)
        return;
    SL_CHECK_STR(s->source, "local-src");
    SL_CHECK_STR(s->revision, "local");
    SL_CHECK_INT(sl_snapshot_read(s, "services/api/score.yaml", 0, &b, &err), 0);
    SL_CHECK_STR(b.ptr, "apiVersion: score.dev/v1b1\n");
    sl_buf_reset(&b);
    SL_CHECK_INT(sl_snapshot_read(s, "services/missing.yaml", 0, &b, &err), SL_ENOTFOUND);
    SL_CHECK_HAS(err.msg, "services/missing.yaml");
    SL_CHECK_INT(sl_snapshot_read(s, "services", 0, &b, &err), SL_EINVAL);
    SL_CHECK_INT(sl_snapshot_read(s, "README.md", 3, &b, &err), SL_ELIMIT);
    /* A FIFO is not a file: refused at once rather than blocking. */
    SL_CHECK_INT(sl_snapshot_read(s, "services/fifo", 0, &b, &err), SL_EINVAL);
    sl_buf_free(&b);
    sl_snapshot_free(s);
}

static void test_list(void)
{
    sl_snapshot *s = open_root();
    sl_strv v = SL_STRV_INIT;
    sl_error err;

    if (!s)
        return;
    SL_CHECK_INT(sl_snapshot_list(s, "", &v, &err), 0);
    /* Sorted; .git skipped; a link to a folder inside is a folder; links
     * that leave the root or dangle are listed as files. */
    SL_CHECK_INT(v.n, 8);
    if (v.n == 8) {
        SL_CHECK_STR(v.v[0], "README.md");
        SL_CHECK_STR(v.v[1], "broken");
        SL_CHECK_STR(v.v[2], "dangling");
        SL_CHECK_STR(v.v[3], "escape");
        SL_CHECK_STR(v.v[4], "escdir");
        SL_CHECK_STR(v.v[5], "linked/");
        SL_CHECK_STR(v.v[6], "services/");
        SL_CHECK_STR(v.v[7], "shared/");
    }
    sl_strv_free(&v);
    /* The FIFO is not listed. */
    SL_CHECK_INT(sl_snapshot_list(s, "services", &v, &err), 0);
    SL_CHECK_INT(v.n, 2);
    SL_CHECK(!sl_strv_contains(&v, "fifo"));
    sl_strv_free(&v);
    SL_CHECK_INT(sl_snapshot_list(s, "README.md", &v, &err), SL_EINVAL);
    SL_CHECK_INT(sl_snapshot_list(s, "nope", &v, &err), SL_ENOTFOUND);
    sl_strv_free(&v);
    sl_snapshot_free(s);
}

static void test_walk_glob(void)
{
    sl_snapshot *s = open_root();
    sl_strv v = SL_STRV_INIT;
    sl_error err;

    if (!s)
        return;
    SL_CHECK_INT(sl_snapshot_walk(s, "services", &v, &err), 0);
    SL_CHECK_INT(v.n, 4);
    if (v.n == 4) {
        SL_CHECK_STR(v.v[0], "services/api/base.yaml");
        SL_CHECK_STR(v.v[1], "services/api/score.yaml");
        SL_CHECK_STR(v.v[2], "services/web/catalog-info.yaml");
        SL_CHECK_STR(v.v[3], "services/web/score.yaml");
    }
    sl_strv_free(&v);
    SL_CHECK_INT(sl_snapshot_glob(s, "services/*/score.yaml", &v, &err), 0);
    SL_CHECK_INT(v.n, 2);
    if (v.n == 2) {
        SL_CHECK_STR(v.v[0], "services/api/score.yaml");
        SL_CHECK_STR(v.v[1], "services/web/score.yaml");
    }
    sl_strv_free(&v);
    SL_CHECK_INT(sl_snapshot_isdir(s, "linked", &err), 1);
    SL_CHECK_INT(sl_snapshot_isdir(s, "README.md", &err), 0);
    sl_snapshot_free(s);
}

static void test_confinement(void)
{
    sl_snapshot *s = open_root();
    sl_buf b = SL_BUF_INIT;
    sl_strv v = SL_STRV_INIT;
    sl_error err;

    if (!s)
        return;
    SL_CHECK_INT(sl_snapshot_read(s, "../outside/secret.txt", 0, &b, &err), SL_ECONFINE);
    SL_CHECK_INT(sl_snapshot_read(s, "services/../../outside/secret.txt", 0, &b, &err),
                 SL_ECONFINE);
    SL_CHECK_INT(sl_snapshot_read(s, "/etc/passwd", 0, &b, &err), SL_ECONFINE);
    /* Symlinks inside the root work, for files and folders. */
    SL_CHECK_INT(sl_snapshot_read(s, "services/api/base.yaml", 0, &b, &err), 0);
    SL_CHECK_STR(b.ptr, "base\n");
    sl_buf_reset(&b);
    SL_CHECK_INT(sl_snapshot_read(s, "linked/base.yaml", 0, &b, &err), 0);
    SL_CHECK_STR(b.ptr, "base\n");
    sl_buf_reset(&b);
    /* Symlinks leaving the root are refused, naming the path. */
    SL_CHECK_INT(sl_snapshot_read(s, "escape", 0, &b, &err), SL_ECONFINE);
    SL_CHECK_HAS(err.msg, "escape");
    SL_CHECK(!b.ptr || !strstr(b.ptr, "secret"));
    SL_CHECK_INT(sl_snapshot_read(s, "escdir/secret.txt", 0, &b, &err), SL_ECONFINE);
    SL_CHECK_HAS(err.msg, "escdir/secret.txt");
    SL_CHECK_INT(sl_snapshot_list(s, "escdir", &v, &err), SL_ECONFINE);
    SL_CHECK_INT(v.n, 0);
    SL_CHECK_INT(sl_snapshot_read(s, "dangling", 0, &b, &err), SL_ECONFINE);
    SL_CHECK_INT(sl_snapshot_read(s, "broken", 0, &b, &err), SL_ENOTFOUND);
    SL_CHECK(!b.ptr || !b.len);
    /* walk reaches the escaping link and reports it instead of reading it. */
    SL_CHECK_INT(sl_snapshot_walk(s, "", &v, &err), 0);
    SL_CHECK(sl_strv_contains(&v, "escape"));
    SL_CHECK(!sl_strv_contains(&v, "escdir/secret.txt"));
    SL_CHECK(!sl_strv_contains(&v, ".git/config"));
    sl_strv_free(&v);
    sl_buf_free(&b);
    sl_snapshot_free(s);
}

static void test_symlink_loop(void)
{
    char *t = sl_test_tmpdir(), p[4200];
    sl_snapshot *s = NULL;
    sl_strv v = SL_STRV_INIT;
    sl_error err;

    snprintf(p, sizeof(p), "%s/a/file", t);
    SL_CHECK_INT(sl_test_write(p, "x"), 0);
    SL_CHECK_INT(sl_test_sh("ln -s . '%s/a/self'", t), 0);
    SL_CHECK_INT(sl_dir_snapshot_open(t, "loop", &s, &err), 0);
    if (s) {
        SL_CHECK_INT(sl_snapshot_walk(s, "", &v, &err), SL_ELIMIT);
        sl_snapshot_free(s);
    }
    sl_strv_free(&v);
    sl_test_sh("rm -rf '%s'", t);
    free(t);
}

static void test_open_missing(void)
{
    sl_snapshot *s = NULL;
    sl_error err;

    setup();
    SL_CHECK_INT(sl_dir_snapshot_open("/nonexistent/sluice-dir", "x", &s, &err), SL_ENOTFOUND);
    SL_CHECK(s == NULL);
    SL_CHECK_HAS(err.msg, "/nonexistent/sluice-dir");
    char file[4200];
    snprintf(file, sizeof(file), "%s/README.md", root);
    SL_CHECK_INT(sl_dir_snapshot_open(file, "x", &s, &err), SL_EINVAL);
}

/* Open a dir source from a JSON config node, base_dir = tmp. */
static int open_source(sl_source *src, const char *json, sl_diags *d)
{
    cJSON *node = cJSON_Parse(json);
    sl_confctx c = {"sluice.yaml", tmp, NULL, d};
    int rc;

    memset(src, 0, sizeof(*src));
    src->ops = sl_source_lookup("dir");
    src->name = "local";
    src->state_dir = tmp;
    SL_CHECK(src->ops != NULL);
    if (!src->ops || !node) {
        cJSON_Delete(node);
        return -100;
    }
    rc = src->ops->open(src, node, &c);
    cJSON_Delete(node);
    return rc;
}

static void test_source(void)
{
    sl_source src;
    sl_diags d = {0};
    sl_revision rev;
    sl_snapshot *s = NULL;
    sl_buf b = SL_BUF_INIT;
    sl_error err;

    setup();
    SL_CHECK_INT(
        open_source(&src, "{\"dir\": \"root\", \"interval\": \"1m\", \"webhook\": {}}", &d), 0);
    SL_CHECK_INT(d.n, 0);
    SL_CHECK_INT(sl_source_fetch(&src, &rev, &err), 0);
    SL_CHECK(!strncmp(rev.id, "dir-", 4) && strlen(rev.id) == 24);
    SL_CHECK_STR(rev.ref, "");
    {
        /* The revision is a fingerprint: same tree, same id; an edit changes it. */
        sl_revision again;
        char path[4200];
        SL_CHECK_INT(sl_source_fetch(&src, &again, &err), 0);
        SL_CHECK_STR(again.id, rev.id);
        snprintf(path, sizeof(path), "%s/shared/new.yaml", root);
        sl_test_write(path, "x: 1\n");
        SL_CHECK_INT(sl_source_fetch(&src, &again, &err), 0);
        SL_CHECK(strcmp(again.id, rev.id) != 0);
        unlink(path);
    }
    SL_CHECK_INT(sl_source_snapshot(&src, &rev, &s, &err), 0);
    if (s) {
        SL_CHECK_STR(s->source, "local");
        SL_CHECK_INT(sl_snapshot_read(s, "shared/base.yaml", 0, &b, &err), 0);
        SL_CHECK_STR(b.ptr, "base\n");
        sl_snapshot_free(s);
    }
    src.ops->close(&src);
    SL_CHECK(src.priv == NULL);

    /* Unknown keys and a missing dir are reported; close accepts it. */
    SL_CHECK(open_source(&src, "{\"dir\": \"root\", \"ref\": \"main\"}", &d) != 0);
    SL_CHECK_INT(d.n, 1);
    if (d.n)
        SL_CHECK_HAS(d.v[0].msg, "ref");
    src.ops->close(&src);
    SL_CHECK(open_source(&src, "{\"interval\": \"1m\"}", &d) != 0);
    SL_CHECK_INT(d.n, 2);
    src.ops->close(&src);

    /* A directory that does not exist: open is fine (no filesystem access
     * needed for validate), fetch says what is missing. */
    SL_CHECK_INT(open_source(&src, "{\"dir\": \"not-there\"}", &d), 0);
    SL_CHECK_INT(sl_source_fetch(&src, &rev, &err), SL_ENOTFOUND);
    SL_CHECK_HAS(err.msg, "not-there");
    SL_CHECK_HAS(err.msg, "local");
    src.ops->close(&src);
    sl_diags_free(&d);
    sl_buf_free(&b);
}

static void test_cleanup(void)
{
    if (tmp) {
        SL_CHECK_INT(sl_test_sh("rm -rf '%s'", tmp), 0);
        free(tmp);
        tmp = NULL;
    }
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_read), SL_TEST_ENTRY(test_list), SL_TEST_ENTRY(test_walk_glob),
             SL_TEST_ENTRY(test_confinement), SL_TEST_ENTRY(test_symlink_loop),
             SL_TEST_ENTRY(test_open_missing), SL_TEST_ENTRY(test_source),
             SL_TEST_ENTRY(test_cleanup))
