/* test_module.c: the `module` renderer and its Terraform semantics:
 * variables (type conversion as Terraform converts, optional() defaults,
 * nullable, sensitive, validation error_message), locals, module calls
 * with relative sources, count/for_each, outputs, the dependency graph and
 * its cycle errors, kubernetes_manifest resources; EnvironmentRequest files
 * through the example environment module (golden files in
 * tests/golden/module/; SL_UPDATE_GOLDEN=1 rewrites them) and their ttl.
 * Modules are written into a temporary folder read through the dir
 * source. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "sl_app.h"
#include "sl_test.h"

static sl_snapshot *g_mod;  /* the module's source ("platform") */
static sl_snapshot *g_app;  /* the app's own source */
static char *tmp;

static int ctx_snapshot(sl_render_ctx *ctx, const char *source, sl_snapshot **out, sl_error *err)
{
    (void)ctx;
    if (source && *source && strcmp(source, "platform"))
        return sl_error_set(err, SL_ENOTFOUND, "no source %s", source);
    *out = source && *source ? g_mod : g_app;
    return 0;
}

/* A fresh folder under tmp with the files given as name, content pairs
 * (NULL-terminated). Returns the folder (static buffer). */
static const char *tree(const char *name, ...)
{
    static char dir[4200];
    va_list ap;
    const char *f;

    if (!tmp)
        tmp = sl_test_tmpdir();
    snprintf(dir, sizeof(dir), "%s/%s", tmp, name);
    sl_test_sh("rm -rf '%s' && mkdir -p '%s'", dir, dir);
    va_start(ap, name);
    while ((f = va_arg(ap, const char *))) {
        char path[8400];
        const char *content = va_arg(ap, const char *);
        snprintf(path, sizeof(path), "%s/%s", dir, f);
        SL_CHECK_INT(sl_test_write(path, content), 0);
    }
    va_end(ap);
    return dir;
}

typedef struct result {
    int rc;
    sl_error err;
    sl_buf yaml;  /* "--- # file:line" + object, per object */
    sl_strv notes;
    sl_strv events;
    size_t n;
} result;

static void result_free(result *r)
{
    sl_buf_free(&r->yaml);
    sl_strv_free(&r->notes);
    sl_strv_free(&r->events);
}

/* Render with the module renderer: module source root mod_root (source
 * "platform"), the app's source app_root (NULL = the same folder), options
 * as YAML text, the generator match `each` (NULL for a plain app). */
static void render(const char *mod_root, const char *app_root, const char *opts_yaml,
                   const char *each, int64_t now, int prune, result *r)
{
    const sl_renderer_ops *ops = sl_renderer_lookup("module");
    sl_app app;
    sl_appspec spec;
    sl_render_ctx ctx;
    sl_objset *set = NULL;
    sl_docv opts = {0};
    sl_diags d = {0};
    sl_confctx c = {.file = "opts", .diags = &d};
    sl_error err;

    memset(r, 0, sizeof(*r));
    memset(&app, 0, sizeof(app));
    memset(&spec, 0, sizeof(spec));
    memset(&ctx, 0, sizeof(ctx));
    SL_CHECK(ops != NULL);
    if (!ops)
        return;
    ctx.snapshot = ctx_snapshot;
    ctx.notes = &r->notes;
    ctx.events = &r->events;
    ctx.now = now;
    ctx.limits.max_file_bytes = 1 << 20;
    SL_CHECK_INT(sl_dir_snapshot_open(mod_root, "platform", &g_mod, &err), 0);
    SL_CHECK_INT(sl_dir_snapshot_open(app_root ? app_root : mod_root, "app", &g_app, &err), 0);
    SL_CHECK_INT(sl_yaml_parse("opts", opts_yaml, strlen(opts_yaml), NULL, NULL, &opts, &err), 0);
    SL_CHECK_INT(ops->configure(opts.n ? opts.v[0] : NULL, &c, &app.opts), 0);
    SL_CHECK_INT(d.n, 0);
    if (d.n)
        fprintf(stderr, "configure: %s\n", d.v[0].msg);
    spec.pos.file = "sluice.yaml";
    spec.pos.line = 7;
    spec.pos.col = 5;
    app.spec = &spec;
    app.name = "test";
    app.renderer = ops;
    app.prune = prune;
    app.path = (char *)"";
    if (each) {
        app.vars = cJSON_CreateObject();
        cJSON_AddStringToObject(app.vars, "path", each);
    }
    sl_objset_new(&set);
    sl_error_clear(&r->err);
    r->rc = ops->render(&app, &ctx, set, &r->err);
    if (r->rc && getenv("SL_TEST_VERBOSE"))
        fprintf(stderr, "  error: %s:%d:%d: %s\n", r->err.file, r->err.line, r->err.col,
                r->err.msg);
    r->n = set->n;
    for (size_t i = 0; r->rc == 0 && i < set->n; i++) {
        sl_buf_printf(&r->yaml, "--- # %s:%d\n", set->v[i].file, set->v[i].line);
        sl_yaml_write(&r->yaml, set->v[i].json);
    }
    cJSON_Delete(app.vars);
    sl_objset_free(set);
    ops->free_opts(app.opts);
    sl_docv_free(&opts);
    sl_diags_free(&d);
    sl_snapshot_free(g_mod);
    sl_snapshot_free(g_app);
    g_mod = g_app = NULL;
}

/* Render a one-file module (main.tf) called directly with variables (a
 * YAML flow mapping, may be NULL). */
static void render_tf(const char *main_tf, const char *variables, result *r)
{
    char opts[4096];
    const char *dir = tree("direct", "m/main.tf", main_tf, NULL);

    snprintf(opts, sizeof(opts), "source: platform:m\n%s%s\n", variables ? "variables: " : "",
             variables ? variables : "");
    render(dir, NULL, opts, NULL, 0, 1, r);
}

static void check_golden(const char *name, const sl_buf *got)
{
    char path[1024];
    sl_buf want = SL_BUF_INIT;
    sl_error err;
    const char *src = getenv("SL_SRC_DIR");

    snprintf(path, sizeof(path), "%s/tests/golden/module/%s", src ? src : ".", name);
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

#define CM(name, data)                                                                             \
    "resource \"kubernetes_manifest\" \"" name "\" {\n"                                            \
    "  manifest = {\n"                                                                             \
    "    apiVersion = \"v1\"\n"                                                                    \
    "    kind = \"ConfigMap\"\n"                                                                   \
    "    metadata = { name = \"" name "\", namespace = \"ns\" }\n"                                 \
    "    data = " data "\n"                                                                        \
    "  }\n"                                                                                        \
    "}\n"

static void test_direct_call(void)
{
    result r;

    render_tf("variable \"greeting\" {\n  type = string\n}\n"
              "locals {\n  upper = \"${var.greeting}, world\"\n}\n" CM("hello",
                                                                        "{ text = local.upper }"),
              "{ greeting: hi }", &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_INT(r.n, 1);
    SL_CHECK_HAS(r.yaml.ptr, "kind: ConfigMap");
    SL_CHECK_HAS(r.yaml.ptr, "text: hi, world");
    SL_CHECK_HAS(r.yaml.ptr, "--- # m/main.tf:");
    result_free(&r);
}

static void test_type_conversion(void)
{
    static const char tf[] =
        "variable \"num\" {\n  type = number\n}\n"
        "variable \"str\" {\n  type = string\n}\n"
        "variable \"flag\" {\n  type = bool\n}\n"
        "variable \"lst\" {\n  type = list(string)\n}\n"
        "variable \"mp\" {\n  type = map(number)\n}\n"
        "variable \"st\" {\n  type = set(string)\n}\n" CM(
            "c", "{ num = \"n${var.num + 1}\", str = var.str, flag = \"f${!var.flag}\", "
                 "lst = \"%{ for i, x in var.lst }%{ if i > 0 },%{ endif }${x}%{ endfor }\", mp = \"m${var.mp.a * 2}\", "
                 "st = \"%{ for x in var.st }${x};%{ endfor }\" }");
    result r;


    /* strings to numbers and bools, numbers and bools to strings, a tuple
     * of mixed scalars to list(string), a set deduplicated and sorted */
    render_tf(tf, "{ num: \"41\", str: 12, flag: \"true\", lst: [a, 1, true], mp: { a: \"2.5\" }, "
                  "st: [b, a, b] }",
              &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_HAS(r.yaml.ptr, "num: n42");
    SL_CHECK_HAS(r.yaml.ptr, "str: \"12\"");
    SL_CHECK_HAS(r.yaml.ptr, "flag: ffalse");
    SL_CHECK_HAS(r.yaml.ptr, "lst: a,1,true");
    SL_CHECK_HAS(r.yaml.ptr, "mp: m5");
    SL_CHECK_HAS(r.yaml.ptr, "st: a;b;");
    result_free(&r);

    /* a string that is not a number */
    render_tf(tf, "{ num: lots, str: x, flag: true, lst: [], mp: {}, st: [] }", &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "Invalid value for input variable");
    SL_CHECK_HAS(r.err.msg, "var.num");
    SL_CHECK_HAS(r.err.msg, "number");
    SL_CHECK_STR(r.err.file, "sluice.yaml");
    result_free(&r);

    /* a list where a map is wanted */
    render_tf(tf, "{ num: 1, str: x, flag: true, lst: [], mp: [1, 2], st: [] }", &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "var.mp");
    result_free(&r);

    /* "yes" is not a bool for Terraform */
    render_tf(tf, "{ num: 1, str: x, flag: \"yes\", lst: [], mp: {}, st: [] }", &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "var.flag");
    result_free(&r);
}

static void test_optional_defaults(void)
{
    static const char tf[] =
        "variable \"svc\" {\n"
        "  type = object({\n"
        "    name = string\n"
        "    port = optional(number, 8080)\n"
        "    tags = optional(list(string), [])\n"
        "    db   = optional(object({ size = optional(number, 20) }))\n"
        "  })\n"
        "}\n" CM("c", "{ name = var.svc.name, port = \"p${var.svc.port}\", tags = "
                      "\"[%{ for t in var.svc.tags }${t};%{ endfor }]\", db = var.svc.db == null ? "
                      "\"none\" : \"d${var.svc.db.size}\" }");
    result r;


    render_tf(tf, "{ svc: { name: api } }", &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_HAS(r.yaml.ptr, "port: p8080");
    SL_CHECK_HAS(r.yaml.ptr, "tags: '[]'");
    SL_CHECK_HAS(r.yaml.ptr, "db: none");
    result_free(&r);

    render_tf(tf, "{ svc: { name: api, port: 9090, db: {} } }", &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_HAS(r.yaml.ptr, "port: p9090");
    SL_CHECK_HAS(r.yaml.ptr, "db: d20");
    result_free(&r);

    /* attributes the type does not name are dropped, as Terraform drops them */
    render_tf(tf, "{ svc: { name: api, colour: blue } }", &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK(!strstr(r.yaml.ptr ? r.yaml.ptr : "", "blue"));
    result_free(&r);

    /* the required attribute is missing */
    render_tf(tf, "{ svc: { port: 1 } }", &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "var.svc");
    SL_CHECK_HAS(r.err.msg, "name");
    result_free(&r);
}

static void test_nullable(void)
{
    static const char tf[] = "variable \"a\" {\n  type = string\n  default = \"dflt\"\n"
                             "  nullable = false\n}\n"
                             "variable \"b\" {\n  type = string\n  default = \"dflt\"\n}\n" CM(
                                 "c", "{ a = var.a, b = var.b == null ? \"was-null\" : var.b }");
    result r;

    /* null for a non-nullable variable takes the default; a nullable one
     * stays null */
    render_tf(tf, "{ a: null, b: null }", &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_HAS(r.yaml.ptr, "a: dflt");
    SL_CHECK_HAS(r.yaml.ptr, "b: was-null");
    result_free(&r);

    render_tf(tf, NULL, &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_HAS(r.yaml.ptr, "b: dflt");
    result_free(&r);

    /* non-nullable without a default */
    render_tf("variable \"a\" {\n  type = string\n  nullable = false\n}\n" CM("c", "{ a = var.a }"),
              "{ a: null }", &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "null");
    result_free(&r);

    /* required and not given */
    render_tf("variable \"a\" {\n  type = string\n}\n" CM("c", "{ a = var.a }"), NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "\"a\" is required");
    result_free(&r);
}

static void test_validation(void)
{
    static const char tf[] =
        "variable \"size\" {\n  type = number\n"
        "  validation {\n    condition = var.size >= 1 && var.size <= 5\n"
        "    error_message = \"The size must be from 1 to 5, not ${var.size}.\"\n  }\n}\n" CM(
            "c", "{ size = \"${var.size}\" }");
    result r;


    render_tf(tf, "{ size: 3 }", &r);
    SL_CHECK_INT(r.rc, 0);
    result_free(&r);
    render_tf(tf, "{ size: 9 }", &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "Invalid value for variable");
    SL_CHECK_HAS(r.err.msg, "The size must be from 1 to 5, not 9.");
    SL_CHECK_HAS(r.err.msg, "m/main.tf:3");
    result_free(&r);

    /* a condition that is not a bool */
    render_tf("variable \"a\" {\n  validation {\n    condition = \"yes\"\n"
              "    error_message = \"x\"\n  }\n}\n" CM("c", "{}"),
              "{ a: 1 }", &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "condition");
    result_free(&r);
}

static void test_cycle(void)
{
    result r;

    render_tf("locals {\n  a = local.b\n  b = local.c\n  c = local.a\n  d = 1\n}\n" CM(
                  "c", "{ x = tostring(local.a) }"),
              NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "Cycle");
    SL_CHECK_HAS(r.err.msg, "local.a");
    SL_CHECK_HAS(r.err.msg, "local.b");
    SL_CHECK_HAS(r.err.msg, "local.c");
    SL_CHECK(!strstr(r.err.msg, "local.d"));
    SL_CHECK_STR(r.err.file, "m/main.tf");
    result_free(&r);

    /* through a module call and a resource */
    {
        const char *dir = tree("cycle", "m/main.tf",
                               "module \"x\" {\n  source = \"./child\"\n"
                               "  in = kubernetes_manifest.r.manifest.metadata.name\n}\n"
                               "resource \"kubernetes_manifest\" \"r\" {\n  manifest = {\n"
                               "    apiVersion = \"v1\", kind = \"ConfigMap\"\n"
                               "    metadata = { name = module.x.out, namespace = \"n\" }\n  }\n}\n",
                               "m/child/main.tf",
                               "variable \"in\" {}\noutput \"out\" {\n  value = var.in\n}\n",
                               NULL);
        render(dir, NULL, "source: platform:m\n", NULL, 0, 1, &r);
        SL_CHECK_INT(r.rc, SL_EINVAL);
        SL_CHECK_HAS(r.err.msg, "module.x");
        SL_CHECK_HAS(r.err.msg, "kubernetes_manifest.r");
        result_free(&r);
    }
    /* a local referring to itself */
    render_tf("locals {\n  a = local.a\n}\n" CM("c", "{}"), NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "local.a");
    result_free(&r);
}

static void test_count_for_each(void)
{
    result r;


    render_tf("variable \"envs\" {\n  type = map(string)\n}\n"
              "resource \"kubernetes_manifest\" \"counted\" {\n  count = 3\n  manifest = {\n"
              "    apiVersion = \"v1\", kind = \"ConfigMap\"\n"
              "    metadata = { name = \"c-${count.index}\", namespace = \"ns\" }\n  }\n}\n"
              "resource \"kubernetes_manifest\" \"each\" {\n  for_each = var.envs\n"
              "  manifest = {\n    apiVersion = \"v1\", kind = \"ConfigMap\"\n"
              "    metadata = { name = each.key, namespace = \"ns\" }\n"
              "    data = { owner = each.value }\n  }\n}\n"
              "variable \"names\" {\n  type = set(string)\n  default = [\"y\", \"x\", \"y\"]\n}\n"
              "resource \"kubernetes_manifest\" \"set\" {\n  for_each = var.names\n"
              "  manifest = {\n    apiVersion = \"v1\", kind = \"ConfigMap\"\n"
              "    metadata = { name = \"s-${each.value}\", namespace = \"ns\" }\n  }\n}\n"
              "resource \"kubernetes_manifest\" \"none\" {\n  count = 0\n  manifest = {}\n}\n"
              "output \"names\" {\n  value = kubernetes_manifest.counted[*].manifest.metadata.name\n}\n",
              "{ envs: { dev: alice, prod: bob } }", &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_INT(r.n, 7);
    SL_CHECK_HAS(r.yaml.ptr, "name: c-0");
    SL_CHECK_HAS(r.yaml.ptr, "name: c-2");
    SL_CHECK(!strstr(r.yaml.ptr ? r.yaml.ptr : "", "name: c-3"));
    SL_CHECK_HAS(r.yaml.ptr, "name: dev");
    SL_CHECK_HAS(r.yaml.ptr, "owner: bob");
    SL_CHECK_HAS(r.yaml.ptr, "name: s-y");
    result_free(&r);

    /* for_each over a list is refused, as Terraform refuses it */
    render_tf("resource \"kubernetes_manifest\" \"r\" {\n  for_each = [\"a\"]\n"
              "  manifest = {}\n}\n",
              NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "for_each");
    SL_CHECK_HAS(r.err.msg, "map, or set of strings");
    SL_CHECK_INT(r.err.line, 2);
    result_free(&r);

    /* count must be a whole number */
    render_tf("resource \"kubernetes_manifest\" \"r\" {\n  count = 1.5\n  manifest = {}\n}\n",
              NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "count");
    result_free(&r);

    /* each outside for_each */
    render_tf(CM("c", "{ k = each.key }"), NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "each");
    result_free(&r);
}

static void test_module_outputs(void)
{
    const char *dir =
        tree("outputs", "root/main.tf",
             "module \"one\" {\n  source = \"../leaf\"\n  name = \"solo\"\n}\n"
             "module \"many\" {\n  source = \"../leaf\"\n  count = 2\n  name = \"n${count.index}\"\n}\n"
             "module \"keyed\" {\n  source = \"../leaf\"\n  for_each = { a = 1, b = 2 }\n"
             "  name = \"k-${each.key}-${each.value}\"\n}\n"
             "resource \"kubernetes_manifest\" \"summary\" {\n  manifest = {\n"
             "    apiVersion = \"v1\", kind = \"ConfigMap\"\n"
             "    metadata = { name = \"summary\", namespace = \"ns\" }\n"
             "    data = {\n      one = module.one.upper\n"
             "      many = \"%{ for u in module.many[*].upper }${u};%{ endfor }\"\n"
             "      keyed = \"%{ for k, m in module.keyed }${k}=${m.upper};%{ endfor }\"\n"
             "    }\n  }\n}\n",
             "leaf/main.tf",
             "variable \"name\" {\n  type = string\n}\n"
             "resource \"kubernetes_manifest\" \"cm\" {\n  manifest = {\n"
             "    apiVersion = \"v1\", kind = \"ConfigMap\"\n"
             "    metadata = { name = var.name, namespace = \"ns\" }\n  }\n}\n"
             "output \"upper\" {\n  value = \"${var.name}-up\"\n}\n",
             NULL);
    result r;


    render(dir, NULL, "source: platform:root\n", NULL, 0, 1, &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_INT(r.n, 6);
    SL_CHECK_HAS(r.yaml.ptr, "one: solo-up");
    SL_CHECK_HAS(r.yaml.ptr, "many: n0-up;n1-up;");
    SL_CHECK_HAS(r.yaml.ptr, "keyed: a=k-a-1-up;b=k-b-2-up;");
    SL_CHECK_HAS(r.yaml.ptr, "--- # leaf/main.tf:");
    result_free(&r);
}

static void test_errors(void)
{
    result r;

    render_tf("resource \"aws_instance\" \"x\" {\n}\n", NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "kubernetes_manifest");
    result_free(&r);

    render_tf(CM("c", "{ a = var.nope }"), NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "nope");
    SL_CHECK_INT(r.err.line, 6);
    result_free(&r);

    render_tf("data \"x\" \"y\" {\n}\n", NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    result_free(&r);

    render_tf("module \"x\" {\n  source = \"../../../elsewhere\"\n}\n", NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "leaves the repository");
    result_free(&r);

    render_tf("module \"x\" {\n  source = \"hashicorp/consul/aws\"\n}\n", NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "local module");
    result_free(&r);

    render_tf("module \"x\" {\n  source = \"./missing\"\n}\n", NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "m/missing");
    result_free(&r);

    /* an argument the module does not declare, at its position */
    {
        const char *dir = tree("unknown-arg", "m/main.tf",
                               "module \"x\" {\n  source = \"./c\"\n  colour = \"red\"\n}\n",
                               "m/c/main.tf", "variable \"color\" {\n  default = \"blue\"\n}\n",
                               NULL);
        render(dir, NULL, "source: platform:m\n", NULL, 0, 1, &r);
        SL_CHECK_INT(r.rc, SL_EINVAL);
        SL_CHECK_HAS(r.err.msg, "colour");
        SL_CHECK_STR(r.err.file, "m/main.tf");
        SL_CHECK_INT(r.err.line, 3);
        result_free(&r);
    }
    /* a variable the module does not declare, from sluice.yaml */
    render_tf("variable \"a\" {\n  default = 1\n}\n", "{ b: 2 }", &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "\"b\"");
    result_free(&r);

    /* a reserved variable name */
    render_tf("variable \"count\" {\n  default = 1\n}\n", NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "reserved");
    SL_CHECK_INT(r.err.line, 1);
    result_free(&r);

    /* a syntax error, with its position */
    render_tf("locals {\n  a = (1 +\n}\n", NULL, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_STR(r.err.file, "m/main.tf");
    SL_CHECK(r.err.line >= 2);
    result_free(&r);

    /* no module there */
    render(tree("empty", "README", "x", NULL), NULL, "source: platform:nothing\n", NULL, 0, 1, &r);
    SL_CHECK_INT(r.rc, SL_ENOTFOUND);
    SL_CHECK_HAS(r.err.msg, "nothing");
    result_free(&r);
}

static void test_sensitive(void)
{
    static const char secret_tf[] =
        "variable \"password\" {\n  type = string\n  sensitive = true\n}\n"
        "resource \"kubernetes_manifest\" \"s\" {\n  manifest = {\n"
        "    apiVersion = \"v1\", kind = \"Secret\"\n"
        "    metadata = { name = \"db\", namespace = \"ns\" }\n"
        "    stringData = { password = var.password }\n  }\n}\n";
    result r;

    render_tf(secret_tf, "{ password: hunter2 }", &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_HAS(r.yaml.ptr, "password: hunter2");
    result_free(&r);

    /* in a ConfigMap it would show in every diff: refused, value not shown */
    render_tf("variable \"password\" {\n  type = string\n  sensitive = true\n}\n" CM(
                  "c", "{ p = var.password }"),
              "{ password: hunter2 }", &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "sensitive");
    SL_CHECK(!strstr(r.err.msg, "hunter2"));
    result_free(&r);

    /* an output carrying it must say sensitive = true */
    render_tf("variable \"password\" {\n  type = string\n  sensitive = true\n}\n"
              "output \"p\" {\n  value = \"pw=${var.password}\"\n}\n",
              "{ password: hunter2 }", &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "sensitive");
    SL_CHECK(!strstr(r.err.msg, "hunter2"));
    result_free(&r);

    /* a validation message quoting it is not shown */
    render_tf("variable \"password\" {\n  type = string\n  sensitive = true\n"
              "  validation {\n    condition = length(var.password) > 10\n"
              "    error_message = \"too short: ${var.password}\"\n  }\n}\n",
              "{ password: hunter2 }", &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK(!strstr(r.err.msg, "hunter2"));
    result_free(&r);
}

/* ---- environment requests through examples/platform-config ---- */

static const char *examples(void)
{
    static char path[4200];
    const char *src = getenv("SL_SRC_DIR");

    snprintf(path, sizeof(path), "%s/examples/platform-config", src ? src : ".");
    return path;
}

static const char request_fmt[] = "apiVersion: platform.myorg.io/v1alpha1\n"
                                  "kind: EnvironmentRequest\n"
                                  "metadata:\n"
                                  "  name: commerce-%s\n"
                                  "spec:\n"
                                  "  team: commerce\n"
                                  "  tier: %s\n"
                                  "%s"
                                  "  services:\n"
                                  "    - name: orders-service\n"
                                  "      database:\n"
                                  "        storageGB: 20\n"
                                  "    - name: inventory-service\n";

static const char *request_tree(const char *tier, const char *extra)
{
    char text[2048], name[64];

    snprintf(text, sizeof(text), request_fmt, tier, tier, extra ? extra : "");
    snprintf(name, sizeof(name), "environments/commerce-%s.yaml", tier);
    return tree("requests", name, text, NULL);
}

static void test_environment_tiers(void)
{
    static const char *const tiers[] = {"dev", "staging", "prod"};


    for (size_t i = 0; i < 3; i++) {
        char each[128], golden[64];
        result r;
        const char *app = request_tree(tiers[i], NULL);
        snprintf(each, sizeof(each), "environments/commerce-%s.yaml", tiers[i]);
        render(examples(), app, "source: platform:modules/environment\n", each, 0, 1, &r);
        SL_CHECK_INT(r.rc, 0);
        /* one namespace, its policy and quota, one database claim */
        SL_CHECK_INT(r.n, 4);
        snprintf(golden, sizeof(golden), "environment-%s.yaml", tiers[i]);
        if (r.rc == 0)
            check_golden(golden, &r.yaml);
        result_free(&r);
    }
}

static void test_environment_quota_by_tier(void)
{
    result r;


    render(examples(), request_tree("prod", NULL), "source: platform:modules/environment\n",
           "environments/commerce-prod.yaml", 0, 1, &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_HAS(r.yaml.ptr, "name: commerce-prod\n");
    SL_CHECK_HAS(r.yaml.ptr, "requests.cpu: \"16\"");
    SL_CHECK_HAS(r.yaml.ptr, "requests.memory: 32Gi");
    SL_CHECK_HAS(r.yaml.ptr, "kind: PostgreSQLInstance");
    SL_CHECK_HAS(r.yaml.ptr, "name: orders-db");
    SL_CHECK(!strstr(r.yaml.ptr ? r.yaml.ptr : "", "inventory-db"));
    result_free(&r);
    render(examples(), request_tree("dev", NULL), "source: platform:modules/environment\n",
           "environments/commerce-dev.yaml", 0, 1, &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_HAS(r.yaml.ptr, "requests.cpu: \"4\"");
    SL_CHECK_HAS(r.yaml.ptr, "requests.memory: 8Gi");
    result_free(&r);
}

static void test_environment_bad_tier(void)
{
    result r;


    /* the module's error_message, at the request's tier: line 7, col 9 */
    render(examples(), request_tree("qa", NULL), "source: platform:modules/environment\n",
           "environments/commerce-qa.yaml", 0, 1, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_STR(r.err.file, "environments/commerce-qa.yaml");
    SL_CHECK_INT(r.err.line, 7);
    SL_CHECK_INT(r.err.col, 9);
    SL_CHECK_HAS(r.err.msg, "The environment tier must be one of \"dev\", \"staging\" or \"prod\".");
    result_free(&r);

    /* an unknown spec key */
    render(examples(), request_tree("dev", "  colour: blue\n"),
           "source: platform:modules/environment\n", "environments/commerce-dev.yaml", 0, 1, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "colour");
    SL_CHECK_INT(r.err.line, 8);
    result_free(&r);

    /* a wrong kind */
    render(examples(),
           tree("requests", "environments/x.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", NULL),
           "source: platform:modules/environment\n", "environments/x.yaml", 0, 1, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "EnvironmentRequest");
    SL_CHECK_INT(r.err.line, 1);
    result_free(&r);
}

static void test_environment_ttl(void)
{
    char file[4400];
    const char *app = request_tree("dev", "  ttl: 7d\n");
    struct timeval tv[2] = {{1700000000, 0}, {1700000000, 0}};
    result r;


    snprintf(file, sizeof(file), "%s/environments/commerce-dev.yaml", app);
    SL_CHECK_INT(utimes(file, tv), 0);
    /* 2 days 20 hours after the change: 4d4h left */
    render(examples(), app, "source: platform:modules/environment\n",
           "environments/commerce-dev.yaml", 1700000000 + 2 * 86400 + 20 * 3600, 1, &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_INT(r.n, 4);
    SL_CHECK_INT(r.notes.n, 1);
    SL_CHECK_INT(r.events.n, 0);
    if (r.notes.n)
        SL_CHECK_HAS(r.notes.v[0], "expires in 4d4h");
    result_free(&r);
    /* 7 days and 2 hours after: expired 2h ago, nothing rendered */
    render(examples(), app, "source: platform:modules/environment\n",
           "environments/commerce-dev.yaml", 1700000000 + 7 * 86400 + 2 * 3600, 1, &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_INT(r.n, 0);
    SL_CHECK_INT(r.notes.n, 0);
    SL_CHECK_INT(r.events.n, 1);
    if (r.events.n) {
        SL_CHECK_HAS(r.events.v[0], "expired 2h ago");
        SL_CHECK_HAS(r.events.v[0], "pruned");
    }
    result_free(&r);
    /* with prune off the note says the objects stay */
    render(examples(), app, "source: platform:modules/environment\n",
           "environments/commerce-dev.yaml", 1700000000 + 8 * 86400, 0, &r);
    SL_CHECK_INT(r.n, 0);
    SL_CHECK_INT(r.events.n, 1);
    if (r.events.n)
        SL_CHECK_HAS(r.events.v[0], "prune is off");
    result_free(&r);

    /* a bad ttl, at its position */
    render(examples(), request_tree("dev", "  ttl: soon\n"),
           "source: platform:modules/environment\n", "environments/commerce-dev.yaml", 0, 1, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_HAS(r.err.msg, "ttl");
    SL_CHECK_INT(r.err.line, 8);
    result_free(&r);
}

/* requests: a glob, all requests in one app; the seed request as is. */
static void test_requests_glob(void)
{
    result r;


    render(examples(), NULL,
           "source: modules/environment\nrequests: \"environments/*.yaml\"\n", NULL,
           0, 1, &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_INT(r.n, 4);
    SL_CHECK_HAS(r.yaml.ptr, "--- # environments/commerce-staging.yaml:");
    SL_CHECK_HAS(r.yaml.ptr, "name: commerce-staging\n");
    SL_CHECK_HAS(r.yaml.ptr, "platform.myorg.io/ttl: 30d");
    result_free(&r);
}

/* A folder the requests glob matches is not a request; a request file
 * that is not YAML of the right shape is an error at its position. */
static void test_requests_glob_folders(void)
{
    char text[2048];
    const char *app;
    result r;

    snprintf(text, sizeof(text), request_fmt, "dev", "dev", "");
    app = tree("requests-folders", "environments/commerce-dev.yaml", text,
               "environments/archive.yaml/README", "not a request", NULL);
    render(examples(), app,
           "source: platform:modules/environment\nrequests: \"environments/*.yaml\"\n", NULL, 0,
           1, &r);
    SL_CHECK_INT(r.rc, 0);
    SL_CHECK_INT(r.n, 4);
    result_free(&r);

    app = tree("requests-bad", "environments/a.yaml", "apiVersion: [unclosed\n", NULL);
    render(examples(), app,
           "source: platform:modules/environment\nrequests: \"environments/*.yaml\"\n", NULL, 0,
           1, &r);
    SL_CHECK_INT(r.rc, SL_EINVAL);
    SL_CHECK_STR(r.err.file, "environments/a.yaml");
    SL_CHECK(r.err.line >= 1);
    result_free(&r);
}

static void test_configure(void)
{
    const sl_renderer_ops *ops = sl_renderer_lookup("module");
    sl_docv opts = {0};
    sl_diags d = {0};
    sl_confctx c = {.file = "opts", .diags = &d};
    sl_error err;
    void *o = NULL;
    static const char bad[] = "{ requests: 3, variables: [1], colour: x }";

    SL_CHECK(ops != NULL);
    if (!ops)
        return;
    SL_CHECK_INT(sl_yaml_parse("opts", bad, strlen(bad), NULL, NULL, &opts, &err), 0);
    SL_CHECK(ops->configure(opts.v[0], &c, &o) != 0 || d.n > 0);
    SL_CHECK(d.n >= 3); /* no source, unknown key, wrong types */
    ops->free_opts(o);
    sl_docv_free(&opts);
    sl_diags_free(&d);
}

static void test_cleanup(void)
{
    if (tmp)
        sl_test_sh("rm -rf '%s'", tmp);
    free(tmp);
    tmp = NULL;
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_direct_call), SL_TEST_ENTRY(test_type_conversion),
             SL_TEST_ENTRY(test_optional_defaults), SL_TEST_ENTRY(test_nullable),
             SL_TEST_ENTRY(test_validation), SL_TEST_ENTRY(test_cycle),
             SL_TEST_ENTRY(test_count_for_each), SL_TEST_ENTRY(test_module_outputs),
             SL_TEST_ENTRY(test_errors), SL_TEST_ENTRY(test_sensitive),
             SL_TEST_ENTRY(test_environment_tiers), SL_TEST_ENTRY(test_environment_quota_by_tier),
             SL_TEST_ENTRY(test_environment_bad_tier), SL_TEST_ENTRY(test_environment_ttl),
             SL_TEST_ENTRY(test_requests_glob), SL_TEST_ENTRY(test_requests_glob_folders),
             SL_TEST_ENTRY(test_configure),
             SL_TEST_ENTRY(test_cleanup))
