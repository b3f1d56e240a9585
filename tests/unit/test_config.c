/* test_config.c: loading sluice.yaml, positions of problems, the each: generator. */
#include <stdlib.h>

#include "sl_app.h"
#include "sl_test.h"

static char *write_config(const char *dir, const char *body)
{
    char *path;

    if (asprintf(&path, "%s/sluice.yaml", dir) < 0)
        return NULL;
    sl_test_write(path, body);
    return path;
}

static int has_diag(const sl_diags *d, int line, const char *needle)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].line == line && strstr(d->v[i].msg, needle))
            return 1;
    return 0;
}

static void dump_diags(const sl_diags *d)
{
    char buf[2048];
    for (size_t i = 0; i < d->n; i++)
        fprintf(stderr, "  diag: %s\n", sl_error_format(&d->v[i], buf, sizeof(buf)));
}

static void test_valid_config(void)
{
    char *dir = sl_test_tmpdir(), *file;
    sl_config *cfg = NULL;
    sl_diags d = {0};

    setenv("SL_TEST_OUT", "rendered", 1);
    file = write_config(dir, "stateDir: state\n"
                             "limits: { maxFileSize: 1Mi, maxAppSize: 10Mi, maxDepth: 50 }\n"
                             "sources:\n"
                             "  local: { dir: ./tree, interval: 30s }\n"
                             "targets:\n"
                             "  out: { directory: \"./${SL_TEST_OUT}\" }\n"
                             "apps:\n"
                             "  - name: one\n"
                             "    source: local\n"
                             "    target: out\n"
                             "    render: manifests\n"
                             "  - name: \"{{ dir }}\"\n"
                             "    source: local\n"
                             "    target: out\n"
                             "    each: services/*/k8s\n"
                             "    render: { manifests: { exclude: [\"*.json\"] } }\n"
                             "    prune: true\n");
    SL_CHECK_INT(sl_config_load(file, &cfg, &d), 0);
    dump_diags(&d);
    if (cfg) {
        SL_CHECK_INT(cfg->nsources, 1);
        SL_CHECK_INT(cfg->ntargets, 1);
        SL_CHECK_INT(cfg->nspecs, 2);
        SL_CHECK_INT(cfg->limits.doc.max_file_bytes, 1 << 20);
        SL_CHECK_INT(cfg->limits.max_app_bytes, 10 << 20);
        SL_CHECK_INT(cfg->limits.doc.max_depth, 50);
        SL_CHECK(cfg->sources[0].interval == 30);
        SL_CHECK(cfg->state_dir[0] == '/');
        SL_CHECK(cfg->specs[1].prune);
        SL_CHECK(!cfg->specs[0].prune);
        SL_CHECK(cfg->specs[0].self_heal);
    }
    sl_config_free(cfg);
    sl_diags_free(&d);
    sl_test_sh("rm -rf '%s'", dir);
    free(file);
    free(dir);
}

static void test_every_problem_reported(void)
{
    char *dir = sl_test_tmpdir(), *file;
    sl_config *cfg = NULL;
    sl_diags d = {0};

    unsetenv("SL_TEST_UNSET");
    file = write_config(dir, "stateDir: state\n"                            /* 1 */
                             "bogus: 1\n"                                   /* 2 */
                             "sources:\n"                                   /* 3 */
                             "  a: { dir: ./x, interval: soon }\n"          /* 4 */
                             "  b: { nothing: here }\n"                     /* 5 */
                             "targets:\n"                                   /* 6 */
                             "  out: { directory: \"${SL_TEST_UNSET}\" }\n" /* 7 */
                             "apps:\n"                                      /* 8 */
                             "  - name: x\n"                                /* 9 */
                             "    source: nope\n"                           /* 10 */
                             "    target: out\n"                            /* 11 */
                             "    render: manifests\n"                      /* 12 */
                             "    prune: maybe\n"                           /* 13 */
                             "  - name: \"{{ dir }}\"\n"                    /* 14 */
                             "    source: a\n"                              /* 15 */
                             "    target: out\n"                            /* 16 */
                             "    render: { manifests: { path: ../up } }\n" /* 17 */
                             "  - name: x\n"                                /* 18 */
                             "    source: a\n"                              /* 19 */
                             "    target: out\n"                            /* 20 */
                             "    render: { helm: {} }\n");                 /* 21 */
    SL_CHECK(sl_config_load(file, &cfg, &d) != 0);
    SL_CHECK(cfg == NULL);
    SL_CHECK(has_diag(&d, 2, "unknown field \"bogus\""));
    SL_CHECK(has_diag(&d, 4, "duration"));
    SL_CHECK(has_diag(&d, 5, "needs a kind"));
    SL_CHECK(has_diag(&d, 7, "SL_TEST_UNSET"));
    SL_CHECK(has_diag(&d, 10, "unknown source \"nope\""));
    SL_CHECK(has_diag(&d, 13, "true or false"));
    SL_CHECK(has_diag(&d, 14, "needs a name with a hole") || has_diag(&d, 14, "each"));
    SL_CHECK(has_diag(&d, 17, "path"));
    SL_CHECK(has_diag(&d, 18, "defined twice"));
    SL_CHECK(has_diag(&d, 21, "unknown renderer \"helm\""));
    for (size_t i = 0; i < d.n; i++)
        SL_CHECK(d.v[i].file[0] && d.v[i].line > 0 && d.v[i].col > 0);
    if (sl_test_failures_)
        dump_diags(&d);
    sl_diags_free(&d);
    sl_test_sh("rm -rf '%s'", dir);
    free(file);
    free(dir);
}

/* Expand one generated app (name template `name`, glob `each`) over the
 * folder tree of dir into *apps; 0 or the first failing step's status. */
static int expand_generator(const char *dir, const char *tree, const char *name,
                            const char *each, sl_appv *apps)
{
    char *file = NULL, *yaml = NULL;
    sl_config *cfg = NULL;
    sl_diags d = {0};
    sl_snapshot *snap = NULL;
    sl_error err;
    int rc;

    asprintf(&yaml,
             "stateDir: state\nsources:\n  local: { dir: ./tree }\n"
             "targets:\n  out: { directory: ./out }\n"
             "apps:\n  - name: \"%s\"\n    source: local\n    target: out\n"
             "    each: \"%s\"\n    render: manifests\n",
             name, each);
    file = write_config(dir, yaml);
    rc = sl_config_load(file, &cfg, &d);
    dump_diags(&d);
    if (!rc)
        rc = sl_dir_snapshot_open(tree, "local", &snap, &err);
    if (!rc)
        rc = sl_app_expand(cfg, &cfg->specs[0], snap, apps, &err);
    sl_snapshot_free(snap);
    sl_config_free(cfg);
    sl_diags_free(&d);
    free(file);
    free(yaml);
    return rc;
}

static void test_generator(void)
{
    char *dir = sl_test_tmpdir(), *tree;
    sl_appv apps = {0};

    asprintf(&tree, "%s/tree", dir);
    sl_test_sh("mkdir -p '%s/services/orders/k8s' '%s/services/billing/k8s' "
               "'%s/services/empty'",
               tree, tree, tree);
    SL_CHECK_INT(expand_generator(dir, tree, "svc-{{ dir }}", "services/*/k8s", &apps), 0);
    SL_CHECK_INT(apps.n, 2);
    if (apps.n == 2) {
        SL_CHECK_STR(apps.v[0]->name, "svc-billing");
        SL_CHECK_STR(apps.v[0]->path, "services/billing/k8s");
        SL_CHECK_STR(apps.v[1]->name, "svc-orders");
    }
    sl_appv_free(&apps);
    memset(&apps, 0, sizeof(apps));

    /* file matches: {{ stem }} is the file name without its last extension
     * (a file without one keeps its name; dot-files are not matched by *) */
    sl_test_sh("mkdir -p '%s/environments' && touch '%s/environments/commerce-staging.yaml' "
               "'%s/environments/README' '%s/environments/payments.v2.yaml'",
               tree, tree, tree, tree);
    SL_CHECK_INT(expand_generator(dir, tree, "env-{{ stem }}", "environments/*", &apps), 0);
    SL_CHECK_INT(apps.n, 3);
    if (apps.n == 3) {
        SL_CHECK_STR(apps.v[0]->name, "env-README");
        SL_CHECK_STR(apps.v[1]->name, "env-commerce-staging");
        SL_CHECK_STR(apps.v[2]->name, "env-payments.v2");
    }
    sl_appv_free(&apps);
    sl_test_sh("rm -rf '%s'", dir);
    free(tree);
    free(dir);
}

static void test_subst(void)
{
    cJSON *vars = cJSON_Parse("{\"dir\":\"orders\",\"path\":\"services/orders/score.yaml\"}");
    sl_error err;
    char *out = NULL;

    SL_CHECK_INT(sl_app_subst("app-{{dir}}-{{ path }}", vars, &out, &err), 0);
    SL_CHECK_STR(out, "app-orders-services/orders/score.yaml");
    free(out);
    SL_CHECK_INT(sl_app_subst("{{ nope }}", vars, &out, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "unknown variable \"nope\"");
    SL_CHECK_INT(sl_app_subst("{{ dir", vars, &out, &err), SL_EINVAL);
    cJSON_Delete(vars);
}

static void test_durations_sizes(void)
{
    double s;
    size_t n;

    SL_CHECK(sl_parse_duration("1h30m", &s) == 0 && s == 5400);
    SL_CHECK(sl_parse_duration("250ms", &s) == 0 && s == 0.25);
    SL_CHECK(sl_parse_duration("45", &s) == 0 && s == 45);
    SL_CHECK(sl_parse_duration("5 minutes", &s) != 0);
    SL_CHECK(sl_parse_duration("", &s) != 0);
    SL_CHECK(sl_parse_size("8Mi", &n) == 0 && n == 8u << 20);
    SL_CHECK(sl_parse_size("512Ki", &n) == 0 && n == 512u << 10);
    SL_CHECK(sl_parse_size("1000", &n) == 0 && n == 1000);
    SL_CHECK(sl_parse_size("lots", &n) != 0);
    SL_CHECK(sl_parse_size("5Xi", &n) != 0);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_valid_config), SL_TEST_ENTRY(test_every_problem_reported),
             SL_TEST_ENTRY(test_generator), SL_TEST_ENTRY(test_subst),
             SL_TEST_ENTRY(test_durations_sizes))
