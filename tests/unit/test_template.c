/* test_template.c: the `template` renderer: the example platform-config's
 * templated default-deny policy and a catalog-driven template, checked
 * against golden files (tests/golden/template/; SL_UPDATE_GOLDEN=1
 * rewrites them), context variables, option checking and positioned
 * errors. */
#include <stdlib.h>

#include "sl_app.h"
#include "sl_source.h"
#include "sl_test.h"

static sl_snapshot *g_own, *g_other;

static int ctx_snapshot(sl_render_ctx *ctx, const char *source, sl_snapshot **out, sl_error *err)
{
    (void)ctx;
    if (source && *source) {
        if (g_other && !strcmp(source, "platform")) {
            *out = g_other;
            return 0;
        }
        return sl_error_set(err, SL_ENOTFOUND, "no source %s", source);
    }
    *out = g_own;
    return 0;
}

/* Render with options (YAML text) against root (the app's source) and
 * other (source "platform", may be NULL); the objects as one YAML stream
 * in out. Option problems go to *diag. */
static int render(const char *root, const char *other, const char *opts_yaml, const char *app_path,
                  cJSON *vars, sl_buf *out, sl_error *err, char *diag, size_t diagn)
{
    const sl_renderer_ops *ops = sl_renderer_lookup("template");
    sl_app app;
    sl_render_ctx ctx;
    sl_objset *set = NULL;
    sl_docv opts = {0};
    sl_diags d = {0};
    sl_confctx c = {.file = "sluice.yaml", .diags = &d};
    int rc;

    SL_CHECK(ops != NULL);
    if (!ops)
        return -1;
    memset(&app, 0, sizeof(app));
    memset(&ctx, 0, sizeof(ctx));
    ctx.snapshot = ctx_snapshot;
    ctx.limits.max_file_bytes = 1 << 20;
    SL_CHECK_INT(sl_dir_snapshot_open(root, "src", &g_own, err), 0);
    if (other)
        SL_CHECK_INT(sl_dir_snapshot_open(other, "platform", &g_other, err), 0);
    SL_CHECK_INT(sl_yaml_parse("sluice.yaml", opts_yaml, strlen(opts_yaml), NULL, NULL, &opts, err),
                 0);
    rc = ops->configure(opts.n ? opts.v[0] : NULL, &c, &app.opts);
    if (diag)
        snprintf(diag, diagn, "%.400s", d.n ? d.v[0].msg : "");
    if (rc || d.n) {
        rc = rc ? rc : SL_EINVAL;
        goto out;
    }
    app.name = "test-app";
    app.renderer = ops;
    app.namespace = "fallback-ns";
    app.path = (char *)(app_path ? app_path : "");
    app.vars = vars;
    sl_objset_new(&set);
    rc = ops->render(&app, &ctx, set, err);
    for (size_t i = 0; rc == 0 && i < set->n; i++) {
        sl_buf_printf(out, "--- # %s:%d\n", set->v[i].file, set->v[i].line);
        sl_yaml_write(out, set->v[i].json);
    }
out:
    sl_objset_free(set);
    ops->free_opts(app.opts);
    sl_docv_free(&opts);
    sl_diags_free(&d);
    sl_snapshot_free(g_own);
    sl_snapshot_free(g_other);
    g_own = g_other = NULL;
    return rc;
}

static void check_golden(const char *name, const sl_buf *got)
{
    char path[1024];
    sl_buf want = SL_BUF_INIT;
    sl_error err;
    const char *src = getenv("SL_SRC_DIR");

    snprintf(path, sizeof(path), "%s/tests/golden/template/%s", src ? src : ".", name);
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

/* The example: one template, one policy per team namespace. */
static void test_golden_default_deny(void)
{
    char root[1024];
    sl_buf out = SL_BUF_INIT;
    sl_error err;
    const char *src = getenv("SL_SRC_DIR");

    snprintf(root, sizeof(root), "%s/examples/platform-config", src ? src : ".");
    SL_CHECK_INT(render(root, NULL,
                        "files: network/templates/*.yaml.j2\n"
                        "values: { namespaces: [orders, inventory, payments] }\n",
                        NULL, NULL, &out, &err, NULL, 0),
                 0);
    SL_CHECK_HAS(out.ptr, "namespace: payments");
    check_golden("default-deny.yaml", &out);
    sl_buf_free(&out);
}

/* A per-service template from the platform source, filled from the
 * catalog-info.yaml beside the app's entry in the catalog source. */
static void test_golden_catalog_context(void)
{
    char *dir = sl_test_tmpdir(), cat[1024], plat[1024], p[1200];
    sl_buf out = SL_BUF_INIT;
    sl_error err;
    cJSON *vars = cJSON_CreateObject();

    snprintf(cat, sizeof(cat), "%s/catalog", dir);
    snprintf(plat, sizeof(plat), "%s/platform", dir);
    snprintf(p, sizeof(p), "%s/services/orders/catalog-info.yaml", cat);
    sl_test_write(p, "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                     "  name: orders\n  annotations:\n"
                     "    backstage.io/kubernetes-namespace: shop\n"
                     "spec:\n  owner: team-checkout\n  lifecycle: production\n");
    snprintf(p, sizeof(p), "%s/tmpl/quota.yaml.j2", plat);
    sl_test_write(p, "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n"
                     "  name: {{ catalog.metadata.name }}-quota\n"
                     "  namespace: {{ namespace }}\n"
                     "  labels:\n    owner: {{ catalog.spec.owner }}\n"
                     "    app: {{ app.name }}\n    dir: {{ app.dir }}\n"
                     "spec:\n  hard:\n"
                     "    pods: \"{{ pods[catalog.spec.lifecycle] | default(10) }}\"\n");
    snprintf(p, sizeof(p), "%s/tmpl/README.md", plat);
    sl_test_write(p, "not a template: not matched by the glob\n");
    cJSON_AddStringToObject(vars, "path", "services/orders/catalog-info.yaml");
    cJSON_AddStringToObject(vars, "dir", "orders");
    SL_CHECK_INT(render(cat, plat,
                        "files: [\"platform:tmpl/*.j2\"]\n"
                        "values: { pods: { production: 50, experimental: 5 } }\n",
                        "services/orders", vars, &out, &err, NULL, 0),
                 0);
    SL_CHECK_HAS(out.ptr, "namespace: shop");
    SL_CHECK_HAS(out.ptr, "pods: \"50\"");
    check_golden("catalog-context.yaml", &out);
    sl_buf_free(&out);
    cJSON_Delete(vars);
    free(dir);
}

static void test_nunjucks_backstage(void)
{
    char *dir = sl_test_tmpdir(), p[1200];
    sl_buf out = SL_BUF_INIT;
    sl_error err;

    snprintf(p, sizeof(p), "%s/cm.yaml", dir);
    sl_test_write(p, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${{ name }}\n"
                     "data:\n  raw: \"{{ kept }}\"\n  tags: \"${{ tags | join(',') }}\"\n");
    SL_CHECK_INT(render(dir, NULL,
                        "files: cm.yaml\ndialect: nunjucks\ndelimiters: backstage\n"
                        "values: { name: web, tags: [a, b] }\n",
                        NULL, NULL, &out, &err, NULL, 0),
                 0);
    SL_CHECK_HAS(out.ptr, "name: web");
    SL_CHECK_HAS(out.ptr, "raw: '{{ kept }}'");
    SL_CHECK_HAS(out.ptr, "tags: a,b");
    sl_buf_free(&out);
    free(dir);
}

static void test_errors(void)
{
    char *dir = sl_test_tmpdir(), p[1200], diag[512], msg[1024];
    sl_buf out = SL_BUF_INIT;
    sl_error err;

    snprintf(p, sizeof(p), "%s/t/bad.yaml.j2", dir);
    sl_test_write(p, "kind: ConfigMap\nmetadata:\n  name: {{ nme }}\n");
    sl_error_clear(&err);
    SL_CHECK_INT(render(dir, NULL, "files: t/*.j2\nvalues: { name: x }\n", NULL, NULL, &out, &err,
                        diag, sizeof(diag)),
                 SL_EINVAL);
    sl_error_format(&err, msg, sizeof(msg));
    SL_CHECK_HAS(msg, "t/bad.yaml.j2:3:12: 'nme' is undefined");
    /* rendered output that is not YAML: positioned in the file */
    snprintf(p, sizeof(p), "%s/u/list.yaml.j2", dir);
    sl_test_write(p, "- {{ name }}\n");
    sl_error_clear(&err);
    SL_CHECK(render(dir, NULL, "files: u/list.yaml.j2\nvalues: { name: x }\n", NULL, NULL, &out,
                    &err, diag, sizeof(diag)) != 0);
    SL_CHECK_HAS(err.file, "u/list.yaml.j2");
    /* a glob matching nothing */
    sl_error_clear(&err);
    SL_CHECK_INT(render(dir, NULL, "files: nothing/*.j2\n", NULL, NULL, &out, &err, diag,
                        sizeof(diag)),
                 SL_ENOTFOUND);
    SL_CHECK_HAS(err.msg, "match nothing");
    /* option checking */
    SL_CHECK_INT(render(dir, NULL, "values: {}\n", NULL, NULL, &out, &err, diag, sizeof(diag)),
                 SL_EINVAL);
    SL_CHECK_HAS(diag, "files is required");
    SL_CHECK_INT(render(dir, NULL, "files: x\ndialect: django\n", NULL, NULL, &out, &err, diag,
                        sizeof(diag)),
                 SL_EINVAL);
    SL_CHECK_HAS(diag, "dialect must be jinja2 or nunjucks");
    SL_CHECK_INT(render(dir, NULL, "files: x\nvalues: { app: 1 }\n", NULL, NULL, &out, &err, diag,
                        sizeof(diag)),
                 SL_EINVAL);
    SL_CHECK_HAS(diag, "reserved");
    SL_CHECK_INT(render(dir, NULL, "files: ../etc/*\n", NULL, NULL, &out, &err, diag,
                        sizeof(diag)),
                 SL_EINVAL);
    sl_buf_free(&out);
    free(dir);
}

/* One ConfigMap per team from a service list: groupby, dictsort, with,
 * loop.cycle, format, select and wordwrap in a manifest template (the
 * output is what Python Jinja2 renders from the same template). */
static void test_golden_grouped(void)
{
    char *dir = sl_test_tmpdir(), p[1200];
    sl_buf out = SL_BUF_INIT;
    sl_error err;

    snprintf(p, sizeof(p), "%s/teams/configmaps.yaml.j2", dir);
    sl_test_write(p,
                     "{%- for team, svcs in services | groupby('team') %}\n"
                     "---\n"
                     "apiVersion: v1\n"
                     "kind: ConfigMap\n"
                     "metadata:\n"
                     "  name: {{ team | lower }}-services\n"
                     "  namespace: {{ namespace }}\n"
                     "  labels:\n"
                     "    shard: {{ loop.cycle('a', 'b') }}\n"
                     "data:\n"
                     "{%- for svc in svcs | sort(attribute='name') %}\n"
                     "{%- with port = svc.port | default(8080) %}\n"
                     "  {{ svc.name }}: {{ '%s:%05d' | format(svc.name, port) | tojson }}\n"
                     "{%- endwith %}\n"
                     "{%- endfor %}\n"
                     "{%- for k, v in labels | dictsort %}\n"
                     "  label-{{ k }}: {{ v | string | tojson }}\n"
                     "{%- endfor %}\n"
                     "  summary: {{ svcs | map(attribute='name') | select('ne', 'legacy') | join(', ') | wordwrap(20) | tojson }}\n"
                     "{%- endfor %}\n");
    SL_CHECK_INT(render(dir, NULL,
                        "files: teams/*.j2\n"
                        "values:\n"
                        "  services:\n"
                        "    - { name: orders, team: Shop, port: 80 }\n"
                        "    - { name: cart, team: shop }\n"
                        "    - { name: legacy, team: Ops, port: 9 }\n"
                        "    - { name: billing, team: payments, port: 443 }\n"
                        "    - { name: ledger, team: payments }\n"
                        "  labels: { tier: 1, Env: prod, area: eu }\n",
                        NULL, NULL, &out, &err, NULL, 0),
                 0);
    /* grouped case-insensitively under the first item's spelling, sorted */
    SL_CHECK_HAS(out.ptr, "name: shop-services");
    SL_CHECK_HAS(out.ptr, "cart: cart:08080");
    check_golden("grouped.yaml", &out);
    sl_buf_free(&out);
    free(dir);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_golden_default_deny), SL_TEST_ENTRY(test_golden_catalog_context),
             SL_TEST_ENTRY(test_golden_grouped),
             SL_TEST_ENTRY(test_nunjucks_backstage), SL_TEST_ENTRY(test_errors))
