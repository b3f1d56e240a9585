/* test_snapshot_mtime.c: sl_snapshot_mtime, when a file last changed: for
 * the git source the committer time of the commit that brought the file's
 * current content onto the branch (real repositories made with git, with
 * commits at controlled dates via GIT_COMMITTER_DATE, a merge, a file
 * changed and changed back), for the dir source the file's mtime. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "sl_source.h"
#include "sl_test.h"

static char *tmp;

static void env_setup(void)
{
    char home[4200];

    if (tmp)
        return;
    tmp = sl_test_tmpdir();
    snprintf(home, sizeof(home), "%s/home", tmp);
    mkdir(home, 0700);
    setenv("HOME", home, 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    setenv("GIT_AUTHOR_NAME", "Test", 1);
    setenv("GIT_AUTHOR_EMAIL", "test@example.com", 1);
    setenv("GIT_COMMITTER_NAME", "Test", 1);
    setenv("GIT_COMMITTER_EMAIL", "test@example.com", 1);
}

/* Fetch the git source at tmp/remote.git (ref main) and snapshot it. */
static sl_snapshot *git_snap(sl_source *src, const char *state)
{
    char json[8400];
    sl_diags d = {0};
    sl_confctx c = {"sluice.yaml", tmp, NULL, &d};
    sl_revision rev;
    sl_snapshot *s = NULL;
    sl_error err;
    cJSON *node;

    snprintf(json, sizeof(json), "{\"git\": \"file://%s/remote.git\", \"ref\": \"main\"}", tmp);
    memset(src, 0, sizeof(*src));
    src->ops = sl_source_lookup("git");
    src->name = "platform";
    src->state_dir = (char *)state;
    node = cJSON_Parse(json);
    SL_CHECK_INT(src->ops->open(src, node, &c), 0);
    cJSON_Delete(node);
    sl_diags_free(&d);
    SL_CHECK_INT(sl_source_fetch(src, &rev, &err), 0);
    SL_CHECK_INT(sl_source_snapshot(src, &rev, &s, &err), 0);
    return s;
}

static void test_git(void)
{
    char state[4300];
    sl_source src;
    sl_snapshot *s;
    sl_error err;
    int64_t t = -1;

    env_setup();
    snprintf(state, sizeof(state), "%s/state", tmp);
    /* a.yaml at day 1, b.yaml at day 2; a.yaml changed on a branch at day 3
     * and merged at day 5; c.yaml changed at day 4 and changed back at day
     * 6 (same content as at day 4's parent, a new landing all the same);
     * untouched.yaml only at day 1; a last commit at day 7 touches none of
     * them. */
    SL_CHECK_INT(
        sl_test_sh(
            "set -e; cd '%s'; git init -q --bare -b main remote.git; git init -q -b main w; cd w;"
            "c() { GIT_AUTHOR_DATE=\"@$1 +0000\" GIT_COMMITTER_DATE=\"@$1 +0000\" git commit -q "
            "-m \"$2\"; };"
            "mkdir env; echo one > env/a.yaml; echo u > env/untouched.yaml; echo c0 > c.yaml;"
            "git add -A; c 86400 one;"
            "echo b > env/b.yaml; git add -A; c 172800 two;"
            "git checkout -q -b feature; echo two > env/a.yaml; git add -A; c 259200 feat;"
            "git checkout -q main; echo c1 > c.yaml; git add -A; c 345600 c1;"
            "GIT_AUTHOR_DATE='@432000 +0000' GIT_COMMITTER_DATE='@432000 +0000' "
            "git merge -q --no-ff -m merge feature;"
            "echo c0 > c.yaml; git add -A; c 518400 back;"
            "echo x > other.txt; git add -A; c 604800 other;"
            "git remote add origin '%s/remote.git'; git push -q origin main",
            tmp, tmp),
        0);
    s = git_snap(&src, state);
    SL_CHECK(s != NULL);
    if (!s)
        return;
    SL_CHECK_INT(sl_snapshot_mtime(s, "env/untouched.yaml", &t, &err), 0);
    SL_CHECK_INT(t, 86400);
    SL_CHECK_INT(sl_snapshot_mtime(s, "env/b.yaml", &t, &err), 0);
    SL_CHECK_INT(t, 172800);
    /* landed with the merge commit, not the branch commit */
    SL_CHECK_INT(sl_snapshot_mtime(s, "./env//a.yaml", &t, &err), 0);
    SL_CHECK_INT(t, 432000);
    SL_CHECK_INT(sl_snapshot_mtime(s, "c.yaml", &t, &err), 0);
    SL_CHECK_INT(t, 518400);
    SL_CHECK_INT(sl_snapshot_mtime(s, "other.txt", &t, &err), 0);
    SL_CHECK_INT(t, 604800);
    SL_CHECK_INT(sl_snapshot_mtime(s, "env/missing.yaml", &t, &err), SL_ENOTFOUND);
    SL_CHECK_HAS(err.msg, "env/missing.yaml");
    SL_CHECK_INT(sl_snapshot_mtime(s, "../outside", &t, &err), SL_ECONFINE);
    sl_snapshot_free(s);
    src.ops->close(&src);
}

static void test_dir(void)
{
    char root[4300], file[4400];
    struct timeval tv[2] = {{1700000000, 0}, {1700000000, 0}};
    sl_snapshot *s = NULL;
    sl_error err;
    int64_t t = -1;

    env_setup();
    snprintf(root, sizeof(root), "%s/dir", tmp);
    snprintf(file, sizeof(file), "%s/env/req.yaml", root);
    SL_CHECK_INT(sl_test_write(file, "kind: EnvironmentRequest\n"), 0);
    SL_CHECK_INT(utimes(file, tv), 0);
    SL_CHECK_INT(sl_dir_snapshot_open(root, "local", &s, &err), 0);
    if (!s)
        return;
    SL_CHECK_INT(sl_snapshot_mtime(s, "env/req.yaml", &t, &err), 0);
    SL_CHECK_INT(t, 1700000000);
    SL_CHECK_INT(sl_snapshot_mtime(s, "env/nope.yaml", &t, &err), SL_ENOTFOUND);
    SL_CHECK_INT(sl_snapshot_mtime(s, "/etc/passwd", &t, &err), SL_ECONFINE);
    sl_snapshot_free(s);
}

static void test_cleanup(void)
{
    if (tmp)
        sl_test_sh("rm -rf '%s'", tmp);
    free(tmp);
    tmp = NULL;
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_git), SL_TEST_ENTRY(test_dir), SL_TEST_ENTRY(test_cleanup))
