/* test_manifests.c: the manifests renderer, checked against golden files
 * (tests/golden/manifests/). Set SL_UPDATE_GOLDEN=1 to rewrite them after
 * an intended change, then review the diff. */
#include <stdlib.h>

#include "sl_app.h"
#include "sl_test.h"

static sl_snapshot *g_snap;

static int ctx_snapshot(sl_render_ctx *ctx, const char *source, sl_snapshot **out, sl_error *err)
{
    (void)ctx;
    if (source && *source)
        return sl_error_set(err, SL_ENOTFOUND, "no source %s", source);
    *out = g_snap;
    return 0;
}

/* Render folder root with options (YAML text, may be NULL) into one YAML
 * stream; returns the render's status, the stream in out. */
static int render(const char *root, const char *opts_yaml, const char *ns, const char *app_path,
                  sl_buf *out, sl_error *err)
{
    const sl_renderer_ops *ops = sl_renderer_lookup("manifests");
    sl_app app;
    sl_render_ctx ctx;
    sl_objset *set = NULL;
    sl_docv opts = {0};
    sl_diags d = {0};
    sl_confctx c = {.file = "opts", .diags = &d};
    int rc;

    memset(&app, 0, sizeof(app));
    memset(&ctx, 0, sizeof(ctx));
    ctx.snapshot = ctx_snapshot;
    SL_CHECK_INT(sl_dir_snapshot_open(root, "src", &g_snap, err), 0);
    if (opts_yaml)
        SL_CHECK_INT(sl_yaml_parse("opts", opts_yaml, strlen(opts_yaml), NULL, NULL, &opts, err),
                     0);
    SL_CHECK_INT(ops->configure(opts.n ? opts.v[0] : NULL, &c, &app.opts), 0);
    SL_CHECK_INT(d.n, 0);
    app.name = "test";
    app.renderer = ops;
    app.namespace = ns;
    app.path = (char *)(app_path ? app_path : "");
    sl_objset_new(&set);
    rc = ops->render(&app, &ctx, set, err);
    for (size_t i = 0; rc == 0 && i < set->n; i++) {
        sl_buf_printf(out, "--- # %s:%d\n", set->v[i].file, set->v[i].line);
        sl_yaml_write(out, set->v[i].json);
    }
    sl_objset_free(set);
    ops->free_opts(app.opts);
    sl_docv_free(&opts);
    sl_diags_free(&d);
    sl_snapshot_free(g_snap);
    g_snap = NULL;
    return rc;
}

static void check_golden(const char *name, const sl_buf *got)
{
    char path[1024];
    sl_buf want = SL_BUF_INIT;
    sl_error err;
    const char *src = getenv("SL_SRC_DIR");

    snprintf(path, sizeof(path), "%s/tests/golden/manifests/%s", src ? src : ".", name);
    if (getenv("SL_UPDATE_GOLDEN")) {
        sl_test_write(path, got->ptr ? got->ptr : "");
        return;
    }
    SL_CHECK_INT(sl_file_read(path, 0, &want, &err), 0);
    if (!want.ptr || !got->ptr || strcmp(want.ptr, got->ptr)) {
        fprintf(stderr, "golden %s differs; got:\n%s\n", name, got->ptr ? got->ptr : "");
        SL_CHECK(0);
    }
    sl_buf_free(&want);
}

static void test_golden_platform_config(void)
{
    char root[1024];
    sl_buf out = SL_BUF_INIT;
    sl_error err;
    const char *src = getenv("SL_SRC_DIR");

    /* The plain-manifest folders of the platform repo; environments/,
     * modules/, provisioners/ and templates/ belong to other renderers. */
    snprintf(root, sizeof(root), "%s/examples/platform-config", src ? src : ".");
    SL_CHECK_INT(render(root,
                        "exclude: [environments, modules, provisioners, templates]\n",
                        NULL, NULL, &out, &err),
                 0);
    check_golden("platform-config.yaml", &out);
    sl_buf_free(&out);
}

static void test_golden_inventory_service(void)
{
    char root[1024];
    sl_buf out = SL_BUF_INIT;
    sl_error err;
    const char *src = getenv("SL_SRC_DIR");

    snprintf(root, sizeof(root), "%s/examples/catalog", src ? src : ".");
    SL_CHECK_INT(render(root, NULL, NULL, "services/inventory-service/k8s", &out, &err), 0);
    check_golden("inventory-service.yaml", &out);
    sl_buf_free(&out);
}

static void test_order_lists_namespace_exclude(void)
{
    char *dir = sl_test_tmpdir(), p[1024];
    sl_buf out = SL_BUF_INIT;
    sl_error err;

    snprintf(p, sizeof(p), "%s/b/list.yaml", dir);
    sl_test_write(p, "apiVersion: v1\nkind: List\nitems:\n"
                     "- {apiVersion: v1, kind: ConfigMap, metadata: {name: l1}}\n"
                     "- {apiVersion: v1, kind: Namespace, metadata: {name: l2}}\n");
    snprintf(p, sizeof(p), "%s/a.json", dir);
    sl_test_write(p,
                  "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"j\"}}");
    snprintf(p, sizeof(p), "%s/a.yml", dir);
    sl_test_write(p, "---\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: "
                     "keep}\n---\n");
    snprintf(p, sizeof(p), "%s/README.md", dir);
    sl_test_write(p, "not yaml: [");
    snprintf(p, sizeof(p), "%s/b/skip-test.yaml", dir);
    sl_test_write(p, "not: [valid");
    snprintf(p, sizeof(p), "%s/b/deep/x.yaml", dir);
    sl_test_write(p, "{apiVersion: v1, kind: ConfigMap, metadata: {name: deep}}");

    SL_CHECK_INT(render(dir, "exclude: ['*-test.yaml']", "team", NULL, &out, &err), 0);
    /* sorted path order: a.json, a.yml, b/deep/x.yaml, b/list.yaml */
    const char *j = strstr(out.ptr, "name: j"), *s = strstr(out.ptr, "name: s"),
               *deep = strstr(out.ptr, "name: deep"), *l1 = strstr(out.ptr, "name: l1");
    SL_CHECK(j && s && deep && l1 && j < s && s < deep && deep < l1);
    SL_CHECK_HAS(out.ptr, "namespace: keep");
    SL_CHECK_HAS(out.ptr, "--- # b/list.yaml:5\n");
    /* the namespace goes on namespaced objects only */
    SL_CHECK_HAS(out.ptr, "kind: Namespace\nmetadata:\n  name: l2\n");
    SL_CHECK_HAS(out.ptr, "metadata:\n  name: l1\n  namespace: team\n");
    sl_buf_reset(&out);

    SL_CHECK_INT(render(dir, "{exclude: ['*-test.yaml'], recurse: false}", NULL, NULL, &out, &err),
                 0);
    SL_CHECK(!strstr(out.ptr, "name: deep") && !strstr(out.ptr, "name: l1"));
    sl_buf_reset(&out);

    /* a pattern that matches a folder keeps everything below it out */
    SL_CHECK_INT(render(dir, "exclude: ['*-test.yaml', 'b/de*']", NULL, NULL, &out, &err), 0);
    SL_CHECK(!strstr(out.ptr, "name: deep") && strstr(out.ptr, "name: l1"));
    sl_buf_reset(&out);
    SL_CHECK_INT(render(dir, "exclude: ['b']", NULL, NULL, &out, &err), 0);
    SL_CHECK(!strstr(out.ptr, "name: deep") && !strstr(out.ptr, "name: l1") &&
             strstr(out.ptr, "name: j"));
    sl_buf_reset(&out);

    /* without the exclude, the broken file fails the render with its position */
    SL_CHECK(render(dir, NULL, NULL, NULL, &out, &err) != 0);
    SL_CHECK_STR(err.file, "b/skip-test.yaml");
    SL_CHECK(err.line >= 1 && err.col > 0);
    sl_buf_free(&out);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

static void test_bad_documents(void)
{
    char *dir = sl_test_tmpdir(), p[1024];
    sl_buf out = SL_BUF_INIT;
    sl_error err;

    snprintf(p, sizeof(p), "%s/x.yaml", dir);
    sl_test_write(p,
                  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- just\n- a list\n");
    SL_CHECK_INT(render(dir, NULL, NULL, NULL, &out, &err), SL_EINVAL);
    SL_CHECK_STR(err.file, "x.yaml");
    SL_CHECK_INT(err.line, 5);
    SL_CHECK_HAS(err.msg, "expected a Kubernetes object");
    sl_test_write(p, "apiVersion: v1\nkind: List\nitems: {a: b}\n");
    SL_CHECK_INT(render(dir, NULL, NULL, NULL, &out, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "items");
    SL_CHECK_INT(render(dir, "path: nope", NULL, NULL, &out, &err), SL_ENOTFOUND);
    SL_CHECK_HAS(err.msg, "nope");
    sl_buf_free(&out);
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_golden_platform_config),
             SL_TEST_ENTRY(test_golden_inventory_service),
             SL_TEST_ENTRY(test_order_lists_namespace_exclude), SL_TEST_ENTRY(test_bad_documents))
