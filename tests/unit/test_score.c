/* test_score.c: the score renderer: placeholders, secret references,
 * provisioners (cmd:// with a real child process), state, golden files per
 * feature (tests/golden/score/<case>/ -> expected.yaml; SL_UPDATE_GOLDEN=1
 * rewrites them) and every upstream workload under shared/conformance/score. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../renderers/score/score_int.h"
#include "sl_app.h"
#include "sl_plan.h"
#include "sl_source.h"
#include "sl_test.h"

static sl_snapshot *g_snap, *g_fixtures;

/* The app's own source is the folder being rendered; "fixtures" is
 * tests/fixtures/score. */
static int ctx_snapshot(sl_render_ctx *ctx, const char *source, sl_snapshot **out, sl_error *err)
{
    (void)ctx;
    if (source && !strcmp(source, "fixtures")) {
        if (!g_fixtures) {
            char p[1024];
            const char *src = getenv("SL_SRC_DIR");
            snprintf(p, sizeof(p), "%s/tests/fixtures/score", src ? src : ".");
            if (sl_dir_snapshot_open(p, "fixtures", &g_fixtures, err))
                return err->code;
        }
        *out = g_fixtures;
        return 0;
    }
    if (source && *source)
        return sl_error_set(err, SL_ENOTFOUND, "no source %s", source);
    *out = g_snap;
    return 0;
}

/* Render app_path of folder root with options (YAML, may be NULL) and
 * state under state_dir (may be NULL) into one YAML stream. */
static int render(const char *root, const char *app_path, const char *opts_yaml,
                  const char *state_dir, sl_buf *out, sl_error *err)
{
    const sl_renderer_ops *ops = sl_renderer_lookup("score");
    sl_app app;
    sl_render_ctx ctx;
    sl_objset *set = NULL;
    sl_docv opts = {0};
    sl_diags d = {0};
    sl_confctx c = {.file = "opts", .diags = &d};
    int rc;

    SL_CHECK(ops != NULL);
    memset(&app, 0, sizeof(app));
    memset(&ctx, 0, sizeof(ctx));
    sl_error_clear(err);
    ctx.snapshot = ctx_snapshot;
    ctx.state_dir = state_dir;
    SL_CHECK_INT(sl_dir_snapshot_open(root, "src", &g_snap, err), 0);
    if (opts_yaml)
        SL_CHECK_INT(sl_yaml_parse("opts", opts_yaml, strlen(opts_yaml), NULL, NULL, &opts, err),
                     0);
    SL_CHECK_INT(ops->configure(opts.n ? opts.v[0] : NULL, &c, &app.opts), 0);
    SL_CHECK_INT(d.n, 0);
    app.name = "test";
    app.renderer = ops;
    app.path = (char *)app_path;
    sl_objset_new(&set);
    rc = ops->render(&app, &ctx, set, err);
    for (size_t i = 0; rc == 0 && i < set->n; i++) {
        cJSON *copy = cJSON_Duplicate(set->v[i].json, 1);
        sl_normalize(copy);
        SL_CHECK(copy != NULL);
        cJSON_Delete(copy);
        sl_buf_printf(out, "---\n");
        sl_yaml_write(out, set->v[i].json);
    }
    sl_objset_free(set);
    ops->free_opts(app.opts);
    sl_docv_free(&opts);
    sl_diags_free(&d);
    sl_snapshot_free(g_snap);
    g_snap = NULL;
    sl_snapshot_free(g_fixtures);
    g_fixtures = NULL;
    return rc;
}

static const char *src_dir(void)
{
    const char *s = getenv("SL_SRC_DIR");
    return s ? s : ".";
}

/* ---- placeholders -------------------------------------------------------- */

static int subst(const char *in, sl_buf *out, sl_error *err)
{
    static const char *md_json =
        "{\"name\":\"web\",\"annotations\":{\"my.key\":\"dotted\",\"n\":\"x\"},"
        "\"list\":[\"a\",{\"b\":1}]}";
    static const char *out_json =
        "{\"db\":{\"host\":\"pg\",\"port\":5432,\"nested\":{\"k\":true},\"a.b\":\"esc\"}}";
    cJSON *md = cJSON_Parse(md_json), *outs = cJSON_Parse(out_json);
    score_subst sc = {md, outs, NULL};
    int rc;

    sl_buf_reset(out);
    sl_error_clear(err);
    rc = score_subst_str(&sc, in, out, err);
    cJSON_Delete(md);
    cJSON_Delete(outs);
    return rc;
}

static void test_placeholders(void)
{
    sl_buf b = SL_BUF_INIT;
    sl_error err;

    SL_CHECK_INT(subst("${metadata.name}-svc", &b, &err), 0);
    SL_CHECK_STR(b.ptr, "web-svc");
    /* $$ is one $, also before a brace: $$$${x} -> $${x} */
    SL_CHECK_INT(subst("$$$${x}", &b, &err), 0);
    SL_CHECK_STR(b.ptr, "$${x}");
    SL_CHECK_INT(subst("a$$b $5 ${ unterminated ${a b} $", &b, &err), 0);
    SL_CHECK_STR(b.ptr, "a$b $5 ${ unterminated ${a b} $");
    /* escaped dots in keys */
    SL_CHECK_INT(subst("${metadata.annotations.my\\.key}", &b, &err), 0);
    SL_CHECK_STR(b.ptr, "dotted");
    SL_CHECK_INT(subst("${resources.db.a\\.b}", &b, &err), 0);
    SL_CHECK_STR(b.ptr, "esc");
    /* non-strings are JSON-encoded; arrays are indexed */
    SL_CHECK_INT(subst("${resources.db.host}:${resources.db.port}", &b, &err), 0);
    SL_CHECK_STR(b.ptr, "pg:5432");
    SL_CHECK_INT(subst("${resources.db.nested}|${metadata.list.1.b}|${metadata.list}", &b, &err),
                 0);
    SL_CHECK_STR(b.ptr, "{\"k\":true}|1|[\"a\",{\"b\":1}]");
    /* errors */
    SL_CHECK_INT(subst("x ${foo.bar}", &b, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "invalid ref 'foo.bar': unknown reference root, use $$ to escape");
    SL_CHECK_INT(subst("${resources.cache.host}", &b, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "no known resource 'cache'");
    SL_CHECK_INT(subst("${resources.db}", &b, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "an output key is required");
    SL_CHECK_INT(subst("${resources.db.user}", &b, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "key 'user' not found");
    SL_CHECK_INT(subst("${metadata}", &b, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "requires at least a metadata key");
    SL_CHECK_INT(subst("${metadata.list.7}", &b, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "index '7' out of range");
    sl_buf_free(&b);
}

static void test_ref_split_and_refs(void)
{
    sl_strv v = SL_STRV_INIT;

    SL_CHECK_INT(score_ref_split("a.b\\.c.d", 8, &v), 0);
    SL_CHECK_INT(v.n, 3);
    SL_CHECK_STR(v.v[1], "b.c");
    sl_strv_free(&v);
    SL_CHECK_INT(score_subst_resource_refs("${resources.dns.host}/$${resources.no.x}"
                                           "${resources.db.port}${resources.dns.x}",
                                           &v),
                 0);
    SL_CHECK_INT(v.n, 2);
    SL_CHECK_STR(v.v[0], "dns");
    SL_CHECK_STR(v.v[1], "db");
    sl_strv_free(&v);
}

static void test_secret_refs(void)
{
    sl_strv parts = SL_STRV_INIT;
    score_secret_ref *refs = NULL;
    size_t n = 0;
    sl_error err;
    sl_buf path = SL_BUF_INIT;
    cJSON *tree;

    SL_CHECK_INT(score_secret_split("postgres://u:" SCORE_SECRET_PREFIX "pg-db_password" SCORE_SECRET_SUFFIX
                                    "@host",
                                    &parts, &refs, &n, &err),
                 0);
    SL_CHECK_INT(n, 1);
    SL_CHECK_STR(refs[0].name, "pg-db");
    SL_CHECK_STR(refs[0].key, "password");
    SL_CHECK_STR(parts.v[0], "postgres://u:");
    SL_CHECK_STR(parts.v[1], "@host");
    score_secret_refs_free(refs, n);
    sl_strv_free(&parts);
    SL_CHECK_INT(score_secret_split(SCORE_SECRET_PREFIX "nokey" SCORE_SECRET_SUFFIX, &parts,
                                    &refs, &n, &err),
                 SL_EINVAL);
    SL_CHECK_HAS(err.msg, "expected <secret name>_<key>");
    sl_strv_free(&parts);
    tree = cJSON_Parse("{\"a\":[1,{\"b\":\"x" SCORE_SECRET_PREFIX "s_k" SCORE_SECRET_SUFFIX "\"}]}");
    SL_CHECK(score_secret_find(tree, &path));
    SL_CHECK_STR(path.ptr, ".a.1.b");
    cJSON_Delete(tree);
    sl_buf_free(&path);
}

static void test_patch_map(void)
{
    cJSON *dst = cJSON_Parse("{\"a\":{\"x\":1,\"y\":2},\"b\":3,\"c\":4}");
    cJSON *patch = cJSON_Parse("{\"a\":{\"y\":null,\"z\":5},\"b\":null,\"d\":[1]}");
    char *s;

    SL_CHECK_INT(score_patch_map(dst, patch), 0);
    s = cJSON_PrintUnformatted(dst);
    SL_CHECK_STR(s, "{\"a\":{\"x\":1,\"z\":5},\"c\":4,\"d\":[1]}");
    free(s);
    cJSON_Delete(dst);
    cJSON_Delete(patch);
}

/* ---- state ---------------------------------------------------------------- */

static void test_state_persists(void)
{
    char *dir = sl_test_tmpdir();
    score_state st;
    sl_error err;
    char guid[64], suffix[64];
    cJSON *r;

    SL_CHECK_INT(score_state_open(dir, "orders/x", &st, &err), 0);
    r = score_state_resource(&st, "postgres.default#orders.db", 0);
    SL_CHECK(r && sl_doc_str(r, "guid") && strlen(sl_doc_str(r, "guid")) == 36);
    snprintf(guid, sizeof(guid), "%s", sl_doc_str(r, "guid"));
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(r, "state"), "password", "s3cret");
    snprintf(suffix, sizeof(suffix), "%s",
             sl_doc_str(score_state_workload(&st, "orders"), "instanceSuffix"));
    SL_CHECK_INT(strlen(suffix), 11);
    cJSON_AddStringToObject(score_state_shared(&st), "k", "v");
    SL_CHECK(score_state_resource(&st, "s3.default#bucket", 1) != NULL);
    SL_CHECK_INT(score_state_save(&st, &err), 0);
    score_state_close(&st);

    SL_CHECK_INT(score_state_open(dir, "orders/x", &st, &err), 0);
    r = score_state_resource(&st, "postgres.default#orders.db", 0);
    SL_CHECK_STR(sl_doc_str(r, "guid"), guid);
    SL_CHECK_STR(sl_doc_path(r, "state.password")->valuestring, "s3cret");
    SL_CHECK_STR(sl_doc_str(score_state_workload(&st, "orders"), "instanceSuffix"), suffix);
    SL_CHECK_STR(sl_doc_str(score_state_shared(&st), "k"), "v");
    score_state_close(&st);
    /* the app name stays one file name */
    {
        char p[1024];
        struct stat sb;
        snprintf(p, sizeof(p), "%s/score/apps/orders_x.json", dir);
        SL_CHECK_INT(stat(p, &sb), 0);
        snprintf(p, sizeof(p), "%s/score/shared.json", dir);
        SL_CHECK_INT(stat(p, &sb), 0);
    }
    /* a corrupt state file is an error that says what to do, not a reset */
    {
        char p[1024];
        snprintf(p, sizeof(p), "%s/score/apps/bad.json", dir);
        sl_test_write(p, "{not json");
        SL_CHECK_INT(score_state_open(dir, "bad", &st, &err), SL_EINVAL);
        SL_CHECK_HAS(err.msg, "not a JSON object");
    }
    sl_test_sh("rm -rf '%s'", dir);
    free(dir);
}

/* ---- provisioners -------------------------------------------------------- */

static void test_provisioner_files(void)
{
    score_provs ps;
    sl_error err;
    const char *good = "- uri: template://a/x\n  type: t\n  class: c\n  outputs: 'k: v'\n"
                       "- uri: template://a/any\n  type: t\n"
                       "- uri: cmd://sh\n  type: u\n  id: only\n  args: [-c, 'true']\n";

    memset(&ps, 0, sizeof(ps));
    SL_CHECK_INT(score_provs_load(&ps, "p.yaml", good, strlen(good), NULL, &err), 0);
    SL_CHECK_INT(ps.n, 3);
    SL_CHECK_STR(score_prov_uri(score_provs_match(&ps, "t", "c", "w.r")), "template://a/x");
    SL_CHECK_STR(score_prov_uri(score_provs_match(&ps, "t", "default", "w.r")),
                 "template://a/any");
    SL_CHECK(score_provs_match(&ps, "u", "default", "w.r") == NULL);
    SL_CHECK_STR(score_prov_uri(score_provs_match(&ps, "u", "default", "only")), "cmd://sh");
    SL_CHECK_INT(score_provs_load_defaults(&ps, &err), 0);
    {
        static const char *const types[] = {"service-port", "volume", "dns",     "route",
                                            "postgres",     "mysql",  "redis",   "amqp",
                                            "mongodb",      "s3",     "kafka-topic"};
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            SL_CHECK(score_provs_match(&ps, types[i], "default", "w.r") != NULL);
    }
    score_provs_free(&ps);

    memset(&ps, 0, sizeof(ps));
    SL_CHECK_INT(score_provs_load(&ps, "p.yaml", "- uri: template://a\n  type: t\n  oops: 1\n",
                                  38, NULL, &err),
                 SL_EINVAL);
    SL_CHECK_HAS(err.msg, "unknown provisioner field 'oops'");
    SL_CHECK_INT(err.line, 3);
    SL_CHECK_INT(score_provs_load(&ps, "p.yaml", "- uri: http://x\n  type: t\n", 26, NULL, &err),
                 SL_EINVAL);
    SL_CHECK_HAS(err.msg, "expected template:// or cmd://");
    SL_CHECK_INT(score_provs_load(&ps, "p.yaml", "- type: t\n", 10, NULL, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "uri not set");
    SL_CHECK_INT(score_provs_load(&ps, "p.yaml", "- uri: cmd://no-such-binary-xyz\n  type: t\n",
                                  42, NULL, &err),
                 SL_EINVAL);
    SL_CHECK_HAS(err.msg, "failed to find 'no-such-binary-xyz' on path");
    score_provs_free(&ps);
}

/* Run a cmd:// provisioner given as a shell script. */
static int run_sh(const char *script, double timeout, score_prov_io *io, sl_error *err)
{
    score_provs ps;
    cJSON *arr = cJSON_CreateArray(), *p = cJSON_CreateObject(), *args;
    char *yaml;
    int rc;

    memset(&ps, 0, sizeof(ps));
    ps.timeout = timeout;
    ps.max_output = 1 << 16;
    cJSON_AddStringToObject(p, "uri", "cmd://sh");
    cJSON_AddStringToObject(p, "type", "t");
    args = cJSON_AddArrayToObject(p, "args");
    cJSON_AddItemToArray(args, cJSON_CreateString("-c"));
    cJSON_AddItemToArray(args, cJSON_CreateString(script));
    cJSON_AddItemToArray(arr, p);
    yaml = cJSON_PrintUnformatted(arr); /* JSON is YAML */
    rc = score_provs_load(&ps, "p.yaml", yaml, strlen(yaml), NULL, err);
    if (!rc) {
        memset(io, 0, sizeof(*io));
        io->guid = "g";
        io->uid = "t.default#w.r";
        io->type = "t";
        io->cls = "default";
        io->id = "w.r";
        io->source_workload = "w";
        io->shared = cJSON_CreateObject();
        rc = score_prov_run(&ps, ps.v[0], io, err);
        cJSON_Delete(io->shared);
    }
    free(yaml);
    cJSON_Delete(arr);
    score_provs_free(&ps);
    return rc;
}

static void test_cmd_provisioner(void)
{
    score_prov_io io;
    sl_error err;

    /* the protocol: JSON in on stdin, JSON out */
    SL_CHECK_INT(run_sh("in=$(cat); case \"$in\" in *'\"resource_uid\":\"t.default#w.r\"'*) ;; "
                        "*) exit 3;; esac; echo '{\"resource_outputs\":{\"k\":\"v\"},"
                        "\"resource_state\":{\"n\":1},\"manifests\":[]}'",
                        30, &io, &err),
                 0);
    SL_CHECK_STR(sl_doc_str(io.outputs, "k"), "v");
    SL_CHECK_INT(cJSON_GetObjectItemCaseSensitive(io.new_state, "n")->valueint, 1);
    score_prov_io_fini(&io);
    /* failures say what went wrong */
    SL_CHECK_INT(run_sh("echo boom >&2; exit 4", 30, &io, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "exited with status 4: boom");
    SL_CHECK_HAS(err.msg, "resource 't.default#w.r': provisioner cmd://sh");
    SL_CHECK_INT(run_sh("cat >/dev/null; echo not json", 30, &io, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "failed to decode output from cmd provisioner");
    SL_CHECK_HAS(err.msg, "not json");
    SL_CHECK_INT(run_sh("echo '{\"bogus\":1}'", 30, &io, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "unknown field \"bogus\"");
    SL_CHECK_INT(run_sh("echo '{\"manifests\":[{\"kind\":\"X\"}]}'", 30, &io, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "manifests.0: expected a Kubernetes object");
    SL_CHECK_INT(run_sh("sleep 30", 0.5, &io, &err), SL_ELIMIT);
    SL_CHECK_HAS(err.msg, "timed out after 0.5s");
    SL_CHECK_INT(run_sh("yes", 30, &io, &err), SL_ELIMIT);
    SL_CHECK_HAS(err.msg, "printed more than 65536 bytes");
    /* a command that never reads its input does not take us down (SIGPIPE) */
    SL_CHECK_INT(run_sh("echo '{}'", 30, &io, &err), 0);
    score_prov_io_fini(&io);
}

/* template:// stages: data, state carried over, shared patches,
 * encodeSecretRef, and errors at their position in the provisioners file. */
static void test_template_provisioner(void)
{
    const char *yaml =
        "- uri: template://t/x\n"
        "  type: thing\n"
        "  init: |\n"
        "    fresh: {{ .Params.size | default 3 }}\n"
        "  state: |\n"
        "    count: {{ add 1 (dig \"count\" 0 .State) }}\n"
        "    note: encodeSecretRef stays text\n"
        "  shared: |\n"
        "    seen: {{ .SourceWorkload }}\n"
        "    drop: null\n"
        "  outputs: |\n"
        "    size: {{ .Init.fresh }}\n"
        "    count: {{ .State.count }}\n"
        "    secret: {{ encodeSecretRef \"s-1\" \"key\" }}\n"
        "    host: {{ (index .WorkloadServices \"w\").ServiceName }}\n"
        "  manifests: |\n"
        "    - {apiVersion: v1, kind: ConfigMap, metadata: {name: {{ .Id }}}}\n"
        "- uri: template://t/broken\n"
        "  type: broken\n"
        "  outputs: |\n"
        "    a: 1\n"
        "    b: {{ if }}\n";
    score_provs ps;
    score_prov_io io;
    sl_error err;
    cJSON *params = cJSON_Parse("{\"size\": 5}"), *state = cJSON_Parse("{\"count\": 41}");
    cJSON *services = cJSON_Parse("{\"w\": {\"ServiceName\": \"w-svc\", \"Ports\": {}}}");
    cJSON *shared = cJSON_Parse("{\"drop\": 1, \"keep\": 2}");
    char *sh;

    memset(&ps, 0, sizeof(ps));
    SL_CHECK_INT(score_provs_load(&ps, "p.yaml", yaml, strlen(yaml), NULL, &err), 0);
    memset(&io, 0, sizeof(io));
    io.guid = "g";
    io.uid = "thing.default#w.r";
    io.type = "thing";
    io.cls = "default";
    io.id = "w.r";
    io.source_workload = "w";
    io.params = params;
    io.state = state;
    io.workload_services = services;
    io.shared = shared;
    SL_CHECK_INT(score_prov_run(&ps, score_provs_match(&ps, "thing", "default", "w.r"), &io, &err),
                 0);
    SL_CHECK_INT(cJSON_GetObjectItemCaseSensitive(io.outputs, "size")->valueint, 5);
    SL_CHECK_INT(cJSON_GetObjectItemCaseSensitive(io.outputs, "count")->valueint, 42);
    SL_CHECK_STR(sl_doc_str(io.outputs, "secret"),
                 SCORE_SECRET_PREFIX "s-1_key" SCORE_SECRET_SUFFIX);
    SL_CHECK_STR(sl_doc_str(io.outputs, "host"), "w-svc");
    SL_CHECK_STR(sl_doc_str(io.new_state, "note"), "encodeSecretRef stays text");
    SL_CHECK_STR(sl_doc_path(io.manifests->child, "metadata.name")->valuestring, "w.r");
    sh = cJSON_PrintUnformatted(shared);
    SL_CHECK_STR(sh, "{\"keep\":2,\"seen\":\"w\"}");
    free(sh);
    score_prov_io_fini(&io);
    /* the error points into the provisioners file */
    SL_CHECK(score_prov_run(&ps, score_provs_match(&ps, "broken", "default", "w.r"), &io, &err) <
             0);
    SL_CHECK_STR(err.file, "p.yaml");
    SL_CHECK_INT(err.line, 22);
    SL_CHECK_HAS(err.msg, "resource 'thing.default#w.r': provisioner template://t/broken");
    SL_CHECK_HAS(err.msg, "outputs template failed");
    score_provs_free(&ps);
    cJSON_Delete(params);
    cJSON_Delete(state);
    cJSON_Delete(services);
    cJSON_Delete(shared);
}

/* ---- golden files --------------------------------------------------------- */

static void check_golden(const char *dir, const sl_buf *got)
{
    char path[2048];
    sl_buf want = SL_BUF_INIT;
    sl_error err;

    snprintf(path, sizeof(path), "%s/expected.yaml", dir);
    if (getenv("SL_UPDATE_GOLDEN")) {
        sl_test_write(path, got->ptr ? got->ptr : "");
        return;
    }
    SL_CHECK_INT(sl_file_read(path, 0, &want, &err), 0);
    if (!want.ptr || !got->ptr || strcmp(want.ptr, got->ptr)) {
        fprintf(stderr, "golden %s differs; got:\n%s\n", path, got->ptr ? got->ptr : "");
        SL_CHECK(0);
    }
    sl_buf_free(&want);
}

/* Each tests/golden/score/<case>/ holds score*.yaml (the app's folder),
 * optional opts.yaml (renderer options), state.json and shared.json
 * (provisioner state to start from, so output is deterministic) and expected.yaml, or
 * expected-error.txt (lines that must all be in the error message, the
 * first with its position). */
static void test_golden(void)
{
    char root[1100];
    DIR *d;
    struct dirent *e;
    int cases = 0;

    snprintf(root, sizeof(root), "%s/tests/golden/score", src_dir());
    SL_CHECK((d = opendir(root)) != NULL);
    while (d && (e = readdir(d))) {
        char cdir[1400], p[1700];
        sl_buf opts = SL_BUF_INIT, out = SL_BUF_INIT, want_err = SL_BUF_INIT;
        sl_error err;
        char *state;
        int rc;

        if (e->d_name[0] == '.')
            continue;
        state = sl_test_tmpdir();
        cases++;
        snprintf(cdir, sizeof(cdir), "%s/%s", root, e->d_name);
        snprintf(p, sizeof(p), "%s/opts.yaml", cdir);
        sl_file_read(p, 0, &opts, &err);
        snprintf(p, sizeof(p), "%s/state.json", cdir);
        if (access(p, R_OK) == 0)
            sl_test_sh("mkdir -p '%s/score/apps' && cp '%s' '%s/score/apps/test.json'", state, p,
                       state);
        snprintf(p, sizeof(p), "%s/shared.json", cdir);
        if (access(p, R_OK) == 0)
            sl_test_sh("mkdir -p '%s/score' && cp '%s' '%s/score/shared.json'", state, p, state);
        rc = render(cdir, ".", opts.ptr, state, &out, &err);
        snprintf(p, sizeof(p), "%s/expected-error.txt", cdir);
        if (sl_file_read(p, 0, &want_err, &err) == 0) {
            char buf[2048];
            if (rc == 0)
                fprintf(stderr, "case %s: rendered, expected an error\n", e->d_name);
            SL_CHECK(rc != 0);
            sl_error_format(&err, buf, sizeof(buf));
            /* every line of the file is part of the message */
            for (char *line = strtok(want_err.ptr, "\n"); line; line = strtok(NULL, "\n"))
                SL_CHECK_HAS(buf, line);
        } else {
            if (rc) {
                char buf[2048];
                fprintf(stderr, "case %s: %s\n", e->d_name, sl_error_format(&err, buf, sizeof(buf)));
            }
            SL_CHECK_INT(rc, 0);
            check_golden(cdir, &out);
        }
        sl_test_sh("rm -rf '%s'", state);
        free(state);
        sl_buf_free(&opts);
        sl_buf_free(&out);
        sl_buf_free(&want_err);
    }
    if (d)
        closedir(d);
    SL_CHECK(cases >= 5);
}

/* Rendering twice with the same state gives the same bytes; state carries
 * the instance suffix and provisioner state. */
static void test_state_stable_across_renders(void)
{
    char dir[1024];
    char *state = sl_test_tmpdir();
    sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
    sl_error err;

    snprintf(dir, sizeof(dir), "%s/tests/golden/score/secrets", src_dir());
    SL_CHECK_INT(render(dir, ".", "provisioners: [provisioners/]", state, &a, &err), 0);
    SL_CHECK_INT(render(dir, ".", "provisioners: [provisioners/]", state, &b, &err), 0);
    SL_CHECK(a.ptr && b.ptr && !strcmp(a.ptr, b.ptr));
    sl_test_sh("rm -rf '%s'", state);
    free(state);
    sl_buf_free(&a);
    sl_buf_free(&b);
}

/* ---- conformance: every upstream workload -------------------------------- */

/* Workloads that must fail, and why. Both spec samples mount volumes by a
 * plain name ("source: volume-name"), which score-k8s resolves as a
 * resource uid that does not exist; sluice does the same. */
static const struct {
    const char *path, *why;
} expected_failures[] = {
    {"spec/samples/score-deprecated-files-and-volumes.yaml",
     "containers.main.volumes./mnt/vol: source: resource 'some-volume' does not exist"},
    {"spec/samples/score-full.yaml", "source: resource 'volume-name' does not exist"},
    {NULL, NULL},
};

static void collect(const char *dir, sl_strv *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        char p[4096];
        size_t n = strlen(e->d_name);
        struct stat sb;
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (stat(p, &sb))
            continue;
        if (S_ISDIR(sb.st_mode))
            collect(p, out);
        else if (n > 5 && !strcmp(e->d_name + n - 5, ".yaml") &&
                 (!strncmp(e->d_name, "score", 5) || strstr(p, "/spec/samples/")))
            sl_strv_push(out, p);
    }
    if (d)
        closedir(d);
}

/* Render one upstream workload (or a compose example's folder, whose
 * workloads refer to each other) and check the outcome. */
static void conformance_one(const char *base, const char *file, const char *path,
                            const char *app_path, const char *opts, size_t *ok,
                            size_t *failed_as_expected)
{
    const char *rel = file + strlen(base) + 1, *why = NULL;
    char *state = sl_test_tmpdir();
    sl_buf out = SL_BUF_INIT;
    sl_error err;
    char buf[2048];
    int rc;

    for (size_t k = 0; expected_failures[k].path; k++)
        if (!strcmp(expected_failures[k].path, rel))
            why = expected_failures[k].why;
    rc = render(path, app_path, opts, state, &out, &err);
    sl_error_format(&err, buf, sizeof(buf));
    if (why) {
        if (rc == 0 || !strstr(buf, why)) {
            fprintf(stderr, "%s: expected failure \"%s\", got: %s\n", rel, why,
                    rc ? buf : "success");
            SL_CHECK(0);
        } else {
            (*failed_as_expected)++;
        }
    } else if (rc) {
        fprintf(stderr, "%s (%s): %s\n", rel, opts, buf);
        SL_CHECK_INT(rc, 0);
    } else {
        SL_CHECK_HAS(out.ptr, strstr(opts, "compose") ? "kind: ComposeProject" : "kind: Deployment");
        (*ok)++;
    }
    sl_test_sh("rm -rf '%s'", state);
    free(state);
    sl_buf_free(&out);
}

static void test_conformance(void)
{
    static const char *k8s = "provisioners: [fixtures:conformance.provisioners.yaml]";
    static const char *compose =
        "{provisioners: [fixtures:conformance.provisioners.yaml], output: compose}";
    char base[1024];
    sl_strv files = SL_STRV_INIT;
    size_t ok = 0, failed_as_expected = 0;

    snprintf(base, sizeof(base), "%s/conformance/score", sl_test_shared_dir());
    collect(base, &files);
    sl_strv_sort(&files);
    SL_CHECK(files.n >= 50);
    for (size_t i = 0; i < files.n; i++) {
        char *dir = strdup(files.v[i]), *slash = strrchr(dir, '/');
        *slash = '\0';
        if (strstr(files.v[i], "/compose-examples/")) {
            /* once per folder: the folder's workloads form one project */
            if (i > 0 && !strncmp(files.v[i - 1], dir, strlen(dir)) &&
                files.v[i - 1][strlen(dir)] == '/') {
                free(dir);
                continue;
            }
            conformance_one(base, dir, dir, ".", k8s, &ok, &failed_as_expected);
            conformance_one(base, dir, dir, ".", compose, &ok, &failed_as_expected);
        } else {
            conformance_one(base, files.v[i], dir, slash + 1, k8s, &ok, &failed_as_expected);
        }
        free(dir);
    }
    fprintf(stderr, "conformance: %zu rendered, %zu failed as expected\n", ok,
            failed_as_expected);
    SL_CHECK_INT(failed_as_expected, 2);
    sl_strv_free(&files);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_placeholders), SL_TEST_ENTRY(test_ref_split_and_refs),
             SL_TEST_ENTRY(test_secret_refs), SL_TEST_ENTRY(test_patch_map),
             SL_TEST_ENTRY(test_state_persists), SL_TEST_ENTRY(test_provisioner_files),
             SL_TEST_ENTRY(test_cmd_provisioner), SL_TEST_ENTRY(test_template_provisioner),
             SL_TEST_ENTRY(test_golden),
             SL_TEST_ENTRY(test_state_stable_across_renders), SL_TEST_ENTRY(test_conformance))
