/* test_scaffold.c: the pieces of `sluice scaffold` below the template
 * engine: path confinement, symlink checks, globbing, binary detection, the
 * in-memory tree and its all-or-nothing write, skeleton reading, the root
 * Location edit and repoUrl parsing. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_test.h"
#include "../../renderers/template/scaffold_int.h"

static void test_path_join(void)
{
    sl_buf b = SL_BUF_INIT;
    sl_error err;

    SL_CHECK_INT(sc_path_join("", "a/./b//c/", "x", &b, &err), 0);
    SL_CHECK_STR(b.ptr, "a/b/c");
    SL_CHECK_INT(sc_path_join("app", "src/index.js", "x", &b, &err), 0);
    SL_CHECK_STR(b.ptr, "app/src/index.js");
    SL_CHECK_INT(sc_path_join("", "./", "x", &b, &err), 0);
    SL_CHECK_STR(b.ptr, "");
    /* climbing inside the root is fine, out of it is not */
    SL_CHECK_INT(sc_path_join("a/b", "../c", "x", &b, &err), 0);
    SL_CHECK_STR(b.ptr, "a/c");
    SL_CHECK_INT(sc_path_join("a", "../../etc/passwd", "skel/f", &b, &err), SL_ECONFINE);
    SL_CHECK_HAS(err.msg, "skel/f");
    SL_CHECK_HAS(err.msg, "leaves the output folder");
    SL_CHECK_INT(sc_path_join("", "/etc/passwd", "skel/g", &b, &err), SL_ECONFINE);
    SL_CHECK_HAS(err.msg, "absolute");
    SL_CHECK_INT(sc_path_join("", "..", "x", &b, &err), SL_ECONFINE);
    sl_buf_free(&b);
}

static void test_link_inside(void)
{
    SL_CHECK_INT(sc_link_inside("a/link", "target"), 1);
    SL_CHECK_INT(sc_link_inside("a/link", "../b/target"), 1);
    SL_CHECK_INT(sc_link_inside("a/link", "../../target"), 0);
    SL_CHECK_INT(sc_link_inside("link", "../x"), 0);
    SL_CHECK_INT(sc_link_inside("link", "/etc/passwd"), 0);
    SL_CHECK_INT(sc_link_inside("a/b/link", "./../../x"), 1);
    SL_CHECK_INT(sc_link_inside("a/b/link", "c/../../../../x"), 0);
    SL_CHECK_INT(sc_link_inside("link", ""), 0);
}

static void test_glob(void)
{
    SL_CHECK_INT(sc_glob_match(".github/workflows/*", ".github/workflows/ci.yaml", 0), 1);
    SL_CHECK_INT(sc_glob_match("./.github/workflows/*", ".github/workflows/ci.yaml", 0), 1);
    SL_CHECK_INT(sc_glob_match(".github/*", ".github/workflows/ci.yaml", 0), 0);
    SL_CHECK_INT(sc_glob_match(".github/**", ".github/workflows/ci.yaml", 0), 1);
    SL_CHECK_INT(sc_glob_match("**/*.png", "a/b/c.png", 0), 1);
    SL_CHECK_INT(sc_glob_match("**/*.png", "c.png", 0), 1);
    SL_CHECK_INT(sc_glob_match("*.png", "a/c.png", 0), 0);
    SL_CHECK_INT(sc_glob_match("static", "static", 0), 1);
    SL_CHECK_INT(sc_glob_match("static", "static/x", 0), 0);
    /* Python's fnmatch (cookiecutter): '*' crosses '/' */
    SL_CHECK_INT(sc_glob_match("*.png", "a/c.png", 1), 1);
    SL_CHECK_INT(sc_glob_match(".github/workflows/*", ".github/workflows/ci.yaml", 1), 1);
}

static void test_binary(void)
{
    SL_CHECK_INT(sc_is_binary("hello\n", 6), 0);
    SL_CHECK_INT(sc_is_binary("caf\xc3\xa9 \xe2\x82\xac\n", 10), 0);
    SL_CHECK_INT(sc_is_binary("a\0b", 3), 1);
    SL_CHECK_INT(sc_is_binary("\x89PNG\r\n", 6), 1);
    SL_CHECK_INT(sc_is_binary("\xc3", 1), 1);
}

static void test_tree(void)
{
    sc_tree t = {0};
    sl_error err;

    SL_CHECK_INT(sc_tree_add(&t, "b.txt", SC_FILE, 0644, "one", 3, 0, &err), 0);
    SL_CHECK_INT(sc_tree_add(&t, "b.txt", SC_FILE, 0644, "two", 3, 0, &err), 1);
    SL_CHECK_STR(sc_tree_get(&t, "b.txt")->data, "one");
    SL_CHECK_INT(sc_tree_add(&t, "b.txt", SC_FILE, 0755, "three", 5, 1, &err), 0);
    SL_CHECK_STR(sc_tree_get(&t, "b.txt")->data, "three");
    SL_CHECK_INT(sc_tree_get(&t, "b.txt")->mode, 0755);
    SL_CHECK_INT(t.bytes, 5);
    SL_CHECK_INT(sc_tree_add(&t, "b.txt", SC_DIR, 0755, "", 0, 1, &err), SL_EINVAL);
    SL_CHECK_INT(sc_tree_add(&t, "a", SC_DIR, 0755, "", 0, 0, &err), 0);
    sc_tree_sort(&t);
    SL_CHECK_STR(t.v[0].path, "a");
    SL_CHECK(sc_tree_get(&t, "nope") == NULL);
    sc_tree_free(&t);
    sc_tree_free(NULL);
}

static void test_write_all_or_nothing(void)
{
    char *tmp = sl_test_tmpdir(), path[1024], buf[64];
    sc_tree t = {0};
    sl_error err;
    struct stat st;
    FILE *f;

    SL_CHECK_INT(sc_tree_add(&t, "dir/x.sh", SC_FILE, 0755, "#!/bin/sh\n", 10, 0, &err), 0);
    SL_CHECK_INT(sc_tree_add(&t, "empty", SC_DIR, 0755, "", 0, 0, &err), 0);
    SL_CHECK_INT(sc_tree_add(&t, "dir/l", SC_LINK, 0777, "x.sh", 4, 0, &err), 0);
    snprintf(path, sizeof(path), "%s/new/out", tmp);
    SL_CHECK_INT(sc_tree_write(&t, path, &err), 0);
    snprintf(path, sizeof(path), "%s/new/out/dir/x.sh", tmp);
    SL_CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0755);
    snprintf(path, sizeof(path), "%s/new/out/empty", tmp);
    SL_CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    snprintf(path, sizeof(path), "%s/new/out/dir/l", tmp);
    SL_CHECK(readlink(path, buf, sizeof(buf)) == 4);
    /* a non-empty folder is refused, and left alone */
    snprintf(path, sizeof(path), "%s/new/out", tmp);
    SL_CHECK_INT(sc_tree_write(&t, path, &err), SL_EREFUSED);
    SL_CHECK_HAS(err.msg, "not empty");
    /* an empty one is filled */
    snprintf(path, sizeof(path), "%s/emptydir", tmp);
    mkdir(path, 0755);
    SL_CHECK_INT(sc_tree_write(&t, path, &err), 0);
    /* a link pointing out fails the write and leaves nothing behind */
    SL_CHECK_INT(sc_tree_add(&t, "zz", SC_LINK, 0777, "../../x", 7, 0, &err), 0);
    snprintf(path, sizeof(path), "%s/linkout", tmp);
    SL_CHECK_INT(sc_tree_write(&t, path, &err), SL_ECONFINE);
    SL_CHECK(stat(path, &st) != 0);
    SL_CHECK_INT(
        sl_test_sh("test -z \"$(ls -A %s | grep -v '^new$' | grep -v '^emptydir$')\"", tmp), 0);
    (void)f;
    sc_tree_free(&t);
    sl_test_sh("rm -rf %s", tmp);
    free(tmp);
}

static void test_skel_read(void)
{
    char *tmp = sl_test_tmpdir(), path[1024];
    sc_tree t = {0};
    sl_error err;

    snprintf(path, sizeof(path), "%s/skel/a/b.txt", tmp);
    SL_CHECK_INT(sl_test_write(path, "hello"), 0);
    SL_CHECK_INT(sl_test_sh("mkdir -p %s/skel/empty && ln -s a/b.txt %s/skel/in", tmp, tmp), 0);
    snprintf(path, sizeof(path), "%s/skel", tmp);
    SL_CHECK_INT(sc_skel_read(path, &t, &err), 0);
    SL_CHECK_INT(t.n, 4);
    SL_CHECK_STR(t.v[0].path, "a");
    SL_CHECK_INT(t.v[0].kind, SC_DIR);
    SL_CHECK_STR(t.v[1].path, "a/b.txt");
    SL_CHECK_STR(t.v[1].data, "hello");
    SL_CHECK_STR(t.v[2].path, "empty");
    SL_CHECK_STR(t.v[3].path, "in");
    SL_CHECK_INT(t.v[3].kind, SC_LINK);
    sc_tree_free(&t);
    SL_CHECK_INT(sl_test_sh("ln -s ../../outside %s/skel/a/out", tmp), 0);
    SL_CHECK_INT(sc_skel_read(path, &t, &err), SL_ECONFINE);
    SL_CHECK_HAS(err.file, "skel/a/out");
    SL_CHECK_HAS(err.msg, "points out of the skeleton");
    sc_tree_free(&t);
    SL_CHECK_INT(sc_skel_read("/nonexistent/skel", &t, &err), SL_ENOTFOUND);
    sl_test_sh("rm -rf %s", tmp);
    free(tmp);
}

static void test_location_append(void)
{
    char *out = NULL;
    const char *root =
        "# root\nkind: Location\nspec:\n  targets:\n    - ./services/a/catalog-info.yaml  # a\n"
        "    - \"./services/b/catalog-info.yaml\"\n# tail\nother: 1\n";

    SL_CHECK_INT(sc_location_append(root, "services/c/catalog-info.yaml", &out), 0);
    SL_CHECK_STR(
        out,
        "# root\nkind: Location\nspec:\n  targets:\n    - ./services/a/catalog-info.yaml  # a\n"
        "    - \"./services/b/catalog-info.yaml\"\n    - ./services/c/catalog-info.yaml\n"
        "# tail\nother: 1\n");
    free(out);
    out = NULL;
    SL_CHECK_INT(sc_location_append(root, "services/b/catalog-info.yaml", &out), 0);
    SL_CHECK(out == NULL);
    SL_CHECK_INT(sc_location_append("spec:\n  targets:\n    - ./services/*/catalog-info.yaml\n",
                                    "services/x/catalog-info.yaml", &out),
                 0);
    SL_CHECK(out == NULL);
    SL_CHECK_INT(sc_location_append("kind: Component\n", "services/x/catalog-info.yaml", &out), 0);
    SL_CHECK(out == NULL);
}

static void test_repo_url(void)
{
    char *h, *o, *r;

    SL_CHECK_INT(sc_parse_repo_url("github.com?owner=myorg&repo=svc", &h, &o, &r), 0);
    SL_CHECK_STR(h, "github.com");
    SL_CHECK_STR(o, "myorg");
    SL_CHECK_STR(r, "svc");
    free(h);
    free(o);
    free(r);
    SL_CHECK_INT(sc_parse_repo_url("ghe.example.com?repo=svc&organization=team", &h, &o, &r), 0);
    SL_CHECK_STR(o, "team");
    free(h);
    free(o);
    free(r);
    SL_CHECK_INT(sc_parse_repo_url("github.com?owner=myorg", &h, &o, &r), -1);
    SL_CHECK_INT(sc_parse_repo_url("github.com?owner=..&repo=x", &h, &o, &r), -1);
    SL_CHECK_INT(sc_parse_repo_url("github.com?owner=a/b&repo=x", &h, &o, &r), -1);
    SL_CHECK_INT(sc_parse_repo_url("?owner=a&repo=x", &h, &o, &r), -1);
    SL_CHECK(h == NULL && o == NULL && r == NULL);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_path_join), SL_TEST_ENTRY(test_link_inside),
             SL_TEST_ENTRY(test_glob), SL_TEST_ENTRY(test_binary), SL_TEST_ENTRY(test_tree),
             SL_TEST_ENTRY(test_write_all_or_nothing), SL_TEST_ENTRY(test_skel_read),
             SL_TEST_ENTRY(test_location_append), SL_TEST_ENTRY(test_repo_url))
