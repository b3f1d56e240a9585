/* test_snapshot.c: path normalisation and the snapshot wrappers (walk,
 * glob, isdir, read cap), over a small in-memory back end that records
 * what the wrappers hand it. */
#include <stdlib.h>
#include <string.h>

#include "sl_snapshot.h"
#include "sl_test.h"

/* An in-memory tree: a list of file paths with their content. */
typedef struct mem_file {
    const char *path;
    const char *data;
} mem_file;

typedef struct mem_snapshot {
    sl_snapshot base;
    const mem_file *files;
    size_t nfiles;
    int calls;       /* back-end calls seen */
    size_t last_max; /* max passed to read */
    char last_path[256];
} mem_snapshot;

static int mem_read(sl_snapshot *s, const char *path, size_t max, sl_buf *out, sl_error *err)
{
    mem_snapshot *m = (mem_snapshot *)s;

    m->calls++;
    m->last_max = max;
    snprintf(m->last_path, sizeof(m->last_path), "%s", path);
    for (size_t i = 0; i < m->nfiles; i++)
        if (!strcmp(m->files[i].path, path)) {
            if (strlen(m->files[i].data) > max)
                return sl_error_set(err, SL_ELIMIT, "too big");
            return sl_buf_puts(out, m->files[i].data);
        }
    return sl_error_set(err, SL_ENOTFOUND, "%s not found", path);
}

/* Entries of dir derived from the file paths. */
static int mem_list(sl_snapshot *s, const char *dir, sl_strv *out, sl_error *err)
{
    mem_snapshot *m = (mem_snapshot *)s;
    sl_strv names = SL_STRV_INIT;
    size_t dl = strlen(dir);
    int found = dl == 0;

    m->calls++;
    snprintf(m->last_path, sizeof(m->last_path), "%s", dir);
    for (size_t i = 0; i < m->nfiles; i++) {
        const char *p = m->files[i].path, *rest, *slash;
        char name[256];
        if (!strcmp(p, dir)) {
            sl_strv_free(&names);
            return sl_error_set(err, SL_EINVAL, "%s is not a directory", dir);
        }
        if (dl && (strncmp(p, dir, dl) || p[dl] != '/'))
            continue;
        found = 1;
        rest = dl ? p + dl + 1 : p;
        slash = strchr(rest, '/');
        if (slash)
            snprintf(name, sizeof(name), "%.*s/", (int)(slash - rest), rest);
        else
            snprintf(name, sizeof(name), "%s", rest);
        if (!sl_strv_contains(&names, name))
            sl_strv_push(&names, name);
    }
    if (!found) {
        sl_strv_free(&names);
        return sl_error_set(err, SL_ENOTFOUND, "%s not found", dir);
    }
    sl_strv_sort(&names);
    for (size_t i = 0; i < names.n; i++)
        sl_strv_push(out, names.v[i]);
    sl_strv_free(&names);
    return 0;
}

static void mem_free(sl_snapshot *s)
{
    sl_snapshot_fini(s);
}

static const sl_snapshot_ops mem_ops = {.read = mem_read, .list = mem_list, .free = mem_free};

static const mem_file tree[] = {
    {"a-b", "dash"},
    {"a/x", "ax"},
    {"a/y/z.yaml", "deep"},
    {"a.txt", "dot"},
    {"a0", "zero"},
    {"services/api/score.yaml", "api"},
    {"services/api/catalog-info.yaml", "apicat"},
    {"services/web/score.yaml", "web"},
    {"services/.hidden/score.yaml", "hidden"},
    {"services/batch/README.md", "no score"},
    {"services/notes.txt", "a file, not a service dir"},
};

static void mem_init(mem_snapshot *m)
{
    memset(m, 0, sizeof(*m));
    SL_CHECK_INT(sl_snapshot_init(&m->base, &mem_ops, "catalog", "abc123"), 0);
    m->files = tree;
    m->nfiles = sizeof(tree) / sizeof(tree[0]);
}

static void check_norm(const char *in, const char *want)
{
    sl_buf b = SL_BUF_INIT;
    sl_error err;

    sl_error_clear(&err);
    SL_CHECK_INT(sl_path_normalize(in, &b, &err), 0);
    SL_CHECK_STR(b.ptr, want);
    sl_buf_free(&b);
}

static void check_norm_fails(const char *in, int code)
{
    sl_buf b = SL_BUF_INIT;
    sl_error err;

    sl_error_clear(&err);
    SL_CHECK_INT(sl_path_normalize(in, &b, &err), code);
    SL_CHECK_INT(err.code, code);
    SL_CHECK(err.msg[0] != '\0');
    sl_buf_free(&b);
}

static void test_normalize(void)
{
    check_norm("a/b/c", "a/b/c");
    check_norm("./a//b/./c/", "a/b/c");
    check_norm("", "");
    check_norm(".", "");
    check_norm("./", "");
    check_norm("a/.../b", "a/.../b");
    check_norm("..a/b..", "..a/b..");
    check_norm_fails("/etc/passwd", SL_ECONFINE);
    check_norm_fails("../x", SL_ECONFINE);
    check_norm_fails("a/../../x", SL_ECONFINE);
    check_norm_fails("a/..", SL_ECONFINE);
    check_norm_fails(NULL, SL_EINVAL);
}

static void test_normalize_long(void)
{
    char *p = malloc(5001);
    sl_buf b = SL_BUF_INIT;
    sl_error err;

    memset(p, 'a', 5000);
    p[5000] = '\0';
    SL_CHECK_INT(sl_path_normalize(p, &b, &err), SL_ELIMIT);
    free(p);
    sl_buf_free(&b);
}

static void test_read_wrapper(void)
{
    mem_snapshot m;
    sl_buf b = SL_BUF_INIT;
    sl_error err;

    mem_init(&m);
    SL_CHECK_INT(sl_snapshot_read(&m.base, "./services//api/score.yaml", 0, &b, &err), 0);
    SL_CHECK_STR(b.ptr, "api");
    SL_CHECK_STR(m.last_path, "services/api/score.yaml");
    SL_CHECK_INT(m.last_max, 8 << 20); /* 0 = the 8 MiB default */
    sl_buf_reset(&b);
    SL_CHECK_INT(sl_snapshot_read(&m.base, "a/x", 1, &b, &err), SL_ELIMIT);
    SL_CHECK_INT(m.last_max, 1);
    /* Refused paths never reach the back end. */
    m.calls = 0;
    SL_CHECK_INT(sl_snapshot_read(&m.base, "../secret", 0, &b, &err), SL_ECONFINE);
    SL_CHECK_INT(sl_snapshot_read(&m.base, "/etc/passwd", 0, &b, &err), SL_ECONFINE);
    SL_CHECK_INT(sl_snapshot_list(&m.base, "a/../..", NULL, &err), SL_ECONFINE);
    SL_CHECK_INT(sl_snapshot_read(&m.base, ".", 0, &b, &err), SL_EINVAL);
    SL_CHECK_INT(m.calls, 0);
    SL_CHECK_STR(m.base.source, "catalog");
    SL_CHECK_STR(m.base.revision, "abc123");
    sl_buf_free(&b);
    sl_snapshot_free(&m.base);
    sl_snapshot_free(NULL);
}

static void test_walk_sorted(void)
{
    mem_snapshot m;
    sl_strv v = SL_STRV_INIT;
    sl_error err;

    mem_init(&m);
    SL_CHECK_INT(sl_snapshot_walk(&m.base, "", &v, &err), 0);
    SL_CHECK_INT(v.n, 11);
    /* Full paths in byte order: "a-b" < "a.txt" < "a/x" < "a/y/z.yaml" < "a0". */
    if (v.n == 11) {
        SL_CHECK_STR(v.v[0], "a-b");
        SL_CHECK_STR(v.v[1], "a.txt");
        SL_CHECK_STR(v.v[2], "a/x");
        SL_CHECK_STR(v.v[3], "a/y/z.yaml");
        SL_CHECK_STR(v.v[4], "a0");
        SL_CHECK_STR(v.v[5], "services/.hidden/score.yaml");
        SL_CHECK_STR(v.v[10], "services/web/score.yaml");
    }
    for (size_t i = 1; i < v.n; i++)
        SL_CHECK(strcmp(v.v[i - 1], v.v[i]) < 0);
    sl_strv_free(&v);
    SL_CHECK_INT(sl_snapshot_walk(&m.base, "services/api/", &v, &err), 0);
    SL_CHECK_INT(v.n, 2);
    if (v.n == 2) {
        SL_CHECK_STR(v.v[0], "services/api/catalog-info.yaml");
        SL_CHECK_STR(v.v[1], "services/api/score.yaml");
    }
    sl_strv_free(&v);
    SL_CHECK_INT(sl_snapshot_walk(&m.base, "nope", &v, &err), SL_ENOTFOUND);
    sl_strv_free(&v);
    sl_snapshot_free(&m.base);
}

static void test_glob(void)
{
    mem_snapshot m;
    sl_strv v = SL_STRV_INIT;
    sl_error err;

    mem_init(&m);
    SL_CHECK_INT(sl_snapshot_glob(&m.base, "services/*/score.yaml", &v, &err), 0);
    /* ".hidden" is not matched by "*" (FNM_PERIOD); batch has no score. */
    SL_CHECK_INT(v.n, 2);
    if (v.n == 2) {
        SL_CHECK_STR(v.v[0], "services/api/score.yaml");
        SL_CHECK_STR(v.v[1], "services/web/score.yaml");
    }
    sl_strv_free(&v);
    /* Directories match too, without a trailing '/'; files as well. */
    SL_CHECK_INT(sl_snapshot_glob(&m.base, "services/*", &v, &err), 0);
    SL_CHECK_INT(v.n, 4);
    if (v.n == 4) {
        SL_CHECK_STR(v.v[0], "services/api");
        SL_CHECK_STR(v.v[1], "services/batch");
        SL_CHECK_STR(v.v[2], "services/notes.txt");
        SL_CHECK_STR(v.v[3], "services/web");
    }
    sl_strv_free(&v);
    SL_CHECK_INT(sl_snapshot_glob(&m.base, "services/.*/score.yaml", &v, &err), 0);
    SL_CHECK_INT(v.n, 1);
    sl_strv_free(&v);
    SL_CHECK_INT(sl_snapshot_glob(&m.base, "services/[aw]?[ib]/*.yaml", &v, &err), 0);
    SL_CHECK_INT(v.n, 3);
    sl_strv_free(&v);
    /* A file in the middle of a pattern, or a missing folder: no match. */
    SL_CHECK_INT(sl_snapshot_glob(&m.base, "services/notes.txt/*", &v, &err), 0);
    SL_CHECK_INT(sl_snapshot_glob(&m.base, "missing/*/x", &v, &err), 0);
    SL_CHECK_INT(v.n, 0);
    SL_CHECK_INT(sl_snapshot_glob(&m.base, "../*", &v, &err), SL_ECONFINE);
    SL_CHECK_INT(sl_snapshot_glob(&m.base, "", &v, &err), SL_EINVAL);
    sl_strv_free(&v);
    sl_snapshot_free(&m.base);
}

static void test_isdir(void)
{
    mem_snapshot m;
    sl_error err;

    mem_init(&m);
    SL_CHECK_INT(sl_snapshot_isdir(&m.base, "", &err), 1);
    SL_CHECK_INT(sl_snapshot_isdir(&m.base, "services", &err), 1);
    SL_CHECK_INT(sl_snapshot_isdir(&m.base, "services/api/", &err), 1);
    SL_CHECK_INT(sl_snapshot_isdir(&m.base, "services/api/score.yaml", &err), 0);
    SL_CHECK_INT(sl_snapshot_isdir(&m.base, "a", &err), 1);
    SL_CHECK_INT(sl_snapshot_isdir(&m.base, "a-b", &err), 0);
    SL_CHECK_INT(sl_snapshot_isdir(&m.base, "services/ap", &err), SL_ENOTFOUND);
    SL_CHECK_HAS(err.msg, "services/ap");
    SL_CHECK_INT(sl_snapshot_isdir(&m.base, "missing/x", &err), SL_ENOTFOUND);
    SL_CHECK_INT(sl_snapshot_isdir(&m.base, "a-b/x", &err), SL_ENOTFOUND);
    SL_CHECK_INT(sl_snapshot_isdir(&m.base, "../a", &err), SL_ECONFINE);
    sl_snapshot_free(&m.base);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_normalize), SL_TEST_ENTRY(test_normalize_long),
             SL_TEST_ENTRY(test_read_wrapper), SL_TEST_ENTRY(test_walk_sorted),
             SL_TEST_ENTRY(test_glob), SL_TEST_ENTRY(test_isdir))
