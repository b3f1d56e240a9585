/* test_jinja.c: the template engine's API: error positions (also for
 * templates embedded in YAML at an offset), undefined variables in both
 * dialects, Backstage value rendering, the file-access guard and repeated
 * rendering. Output conformance is checked against the real engines by
 * tests/integration/test_template_engines.sh. */
#include <stdlib.h>

#include "../../renderers/template/jinja.h"
#include "sl_test.h"

/* Render src with ctx (JSON text); returns the status, output in *out
 * (malloc'd) or the formatted error in *msg. */
static int render(const char *src, const char *ctx_json, const sl_jinja_opts *o, char **out,
                  char *msg, size_t msgn)
{
    sl_jinja *t = NULL;
    sl_buf b = SL_BUF_INIT;
    sl_error err;
    cJSON *ctx = cJSON_Parse(ctx_json ? ctx_json : "{}");
    int rc;

    sl_error_clear(&err);
    *out = NULL;
    msg[0] = 0;
    rc = sl_jinja_parse(src, strlen(src), o, &t, &err);
    if (!rc)
        rc = sl_jinja_render(t, ctx, &b, &err);
    if (rc)
        sl_error_format(&err, msg, msgn);
    else
        *out = sl_buf_detach(&b);
    sl_buf_free(&b);
    sl_jinja_free(t);
    cJSON_Delete(ctx);
    return rc;
}

static void test_basic_render(void)
{
    sl_jinja_opts o = {.file = "t.j2"};
    char *out, msg[1024];

    SL_CHECK_INT(render("ns: {{ namespace }}\n{% for p in ports %}- {{ p }}\n{% endfor %}",
                        "{\"namespace\":\"team-a\",\"ports\":[80,443]}", &o, &out, msg,
                        sizeof(msg)),
                 0);
    SL_CHECK_STR(out, "ns: team-a\n- 80\n- 443\n");
    free(out);
    /* Jinja2 drops one trailing newline unless told to keep it */
    SL_CHECK_INT(render("x\n", NULL, &o, &out, msg, sizeof(msg)), 0);
    SL_CHECK_STR(out, "x");
    free(out);
    o.keep_trailing_newline = 1;
    SL_CHECK_INT(render("x\n", NULL, &o, &out, msg, sizeof(msg)), 0);
    SL_CHECK_STR(out, "x\n");
    free(out);
}

static void test_error_positions(void)
{
    sl_jinja_opts o = {.file = "net.yaml.j2"};
    char *out, msg[1024];

    /* unclosed block: points at the opening tag */
    SL_CHECK_INT(render("a\n  {% if x %}\nb\n", "{\"x\":1}", &o, &out, msg, sizeof(msg)),
                 SL_EINVAL);
    SL_CHECK_HAS(msg, "net.yaml.j2:2:3: ");
    SL_CHECK_HAS(msg, "endif");
    /* unclosed variable tag */
    SL_CHECK_INT(render("line\n{{ name ", "{}", &o, &out, msg, sizeof(msg)), SL_EINVAL);
    SL_CHECK_HAS(msg, "net.yaml.j2:2:");
    /* unknown filter: at the filter name */
    SL_CHECK_INT(render("x\nyy {{ name | frob }}", "{\"name\":1}", &o, &out, msg, sizeof(msg)),
                 SL_EINVAL);
    SL_CHECK_HAS(msg, "net.yaml.j2:2:14: unknown filter 'frob'");
    /* undefined variable: at the name */
    SL_CHECK_INT(render("a: 1\nb: {{ cfg.missing }}\n", "{\"cfg\":{}}", &o, &out, msg,
                        sizeof(msg)),
                 SL_EINVAL);
    SL_CHECK_HAS(msg, "net.yaml.j2:2:7: 'cfg.missing' is undefined");
    SL_CHECK_INT(render("{{ nope }}", "{}", &o, &out, msg, sizeof(msg)), SL_EINVAL);
    SL_CHECK_HAS(msg, "net.yaml.j2:1:4: 'nope' is undefined");
    /* Nunjucks only fails when an undefined value is printed */
    o.dialect = SL_JINJA_NUNJUCKS;
    SL_CHECK_INT(render("{% if nope %}x{% endif %}ok", "{}", &o, &out, msg, sizeof(msg)), 0);
    SL_CHECK_STR(out, "ok");
    free(out);
    SL_CHECK_INT(render("\n  {{ nope.deeper }}", "{}", &o, &out, msg, sizeof(msg)), SL_EINVAL);
    SL_CHECK_HAS(msg, "net.yaml.j2:2:");
    SL_CHECK_HAS(msg, "null or undefined");
}

static void test_offset_in_yaml(void)
{
    /* a template string that starts at line 10, column 12 of a YAML file */
    sl_jinja_opts o = {.file = "template.yaml", .line = 10, .col = 12};
    char *out, msg[1024];

    SL_CHECK_INT(render("x-{{ bad }}", "{}", &o, &out, msg, sizeof(msg)), SL_EINVAL);
    SL_CHECK_HAS(msg, "template.yaml:10:17: ");
    SL_CHECK_INT(render("a\nb {{ bad }}", "{}", &o, &out, msg, sizeof(msg)), SL_EINVAL);
    SL_CHECK_HAS(msg, "template.yaml:11:6: ");
}

static void test_no_file_access(void)
{
    sl_jinja_opts o = {.file = "t"};
    char *out, msg[1024];
    static const char *const srcs[] = {"{% include '/etc/passwd' %}", "{% extends 'base' %}",
                                       "{% import 'm' as m %}", "{% from 'm' import x %}"};

    for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
        SL_CHECK_INT(render(srcs[i], "{}", &o, &out, msg, sizeof(msg)), SL_EINVAL);
        SL_CHECK_HAS(msg, "cannot read other files");
    }
}

static void test_eval_value(void)
{
    sl_jinja_opts o = {.dialect = SL_JINJA_NUNJUCKS, .backstage_delims = 1, .file = "tpl"};
    cJSON *ctx = cJSON_Parse("{\"parameters\":{\"replicas\":3,\"tags\":[\"a\",\"b\"],"
                             "\"on\":true,\"name\":\"svc\",\"repoUrl\":\"github.com?owner=o&repo=r\"}}");
    cJSON *v = NULL;
    sl_error err;
    char *s;

    SL_CHECK_INT(sl_jinja_eval_value("${{ parameters.replicas }}", 26, &o, ctx, &v, &err), 0);
    SL_CHECK(cJSON_IsNumber(v) && v->valuedouble == 3);
    cJSON_Delete(v);
    SL_CHECK_INT(sl_jinja_eval_value("${{parameters.tags}}", 20, &o, ctx, &v, &err), 0);
    s = cJSON_PrintUnformatted(v);
    SL_CHECK_STR(s, "[\"a\",\"b\"]");
    free(s);
    cJSON_Delete(v);
    /* text around the expression: the rendered string, as in Backstage */
    SL_CHECK_INT(sl_jinja_eval_value(" ${{ parameters.tags }} ", 24, &o, ctx, &v, &err), 0);
    SL_CHECK(cJSON_IsString(v) && !strcmp(v->valuestring, " a,b "));
    cJSON_Delete(v);
    SL_CHECK_INT(sl_jinja_eval_value("${{ parameters.on }}", 20, &o, ctx, &v, &err), 0);
    SL_CHECK(cJSON_IsTrue(v));
    cJSON_Delete(v);
    SL_CHECK_INT(sl_jinja_eval_value("${{ parameters.repoUrl | parseRepoUrl }}", 40, &o, ctx, &v,
                                     &err),
                 0);
    s = cJSON_PrintUnformatted(v);
    SL_CHECK_HAS(s, "\"owner\":\"o\"");
    free(s);
    cJSON_Delete(v);
    /* more than one expression: the rendered string */
    {
        const char *two = "${{ parameters.name }}-${{ parameters.replicas }}";
        SL_CHECK_INT(sl_jinja_eval_value(two, strlen(two), &o, ctx, &v, &err), 0);
    }
    SL_CHECK(cJSON_IsString(v) && !strcmp(v->valuestring, "svc-3"));
    cJSON_Delete(v);
    SL_CHECK_INT(sl_jinja_eval_value("${{ parameters.nope }}", 22, &o, ctx, &v, &err), SL_EINVAL);
    SL_CHECK(v == NULL);
    cJSON_Delete(ctx);
}

static void test_render_n_and_limits(void)
{
    sl_jinja_opts o = {.file = "t"};
    sl_jinja *t = NULL;
    sl_buf b = SL_BUF_INIT;
    sl_error err;
    cJSON *ctx = cJSON_Parse("{\"n\":3}");

    SL_CHECK_INT(sl_jinja_parse("{% for i in range(n) %}{{ i }}{% endfor %}", 42, &o, &t, &err),
                 0);
    SL_CHECK_INT(sl_jinja_render_n(t, ctx, &b, 1000, &err), 0);
    SL_CHECK_STR(b.ptr, "012");
    sl_jinja_free(t);
    sl_buf_free(&b);
    /* a huge range is refused, not allocated */
    t = NULL;
    SL_CHECK_INT(sl_jinja_parse("{% for i in range(100000000) %}{% endfor %}", 43, &o, &t, &err), 0);
    SL_CHECK_INT(sl_jinja_render(t, ctx, &b, &err), SL_ELIMIT);
    sl_jinja_free(t);
    sl_buf_free(&b);
    /* recursion is bounded */
    t = NULL;
    SL_CHECK_INT(sl_jinja_parse("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", 47, &o, &t,
                                &err),
                 0);
    SL_CHECK_INT(sl_jinja_render(t, ctx, &b, &err), SL_ELIMIT);
    sl_jinja_free(t);
    sl_buf_free(&b);
    cJSON_Delete(ctx);
    sl_jinja_free(NULL);
}

/* {% with %} has a frame of its own: names set before it (resolved by the
 * parser to root-frame slots) are read through it, its targets and sets do
 * not leak, and loop state (loop.changed) and cycler objects start afresh
 * on every render of a parsed template. */
static void test_with_scope_and_state(void)
{
    sl_jinja_opts o = {.file = "w.j2"};
    sl_jinja *t = NULL;
    sl_buf b = SL_BUF_INIT;
    sl_error err;
    cJSON *ctx = cJSON_Parse("{\"xs\":[1,1,2]}");
    char *out, msg[1024];
    static const char state[] = "{% set c = cycler('a', 'b') %}{% for x in xs %}"
                                "{{ loop.changed(x) }}{{ c.next() }},{% endfor %}";

    SL_CHECK_INT(render("{% set a = 1 %}{% set b = 'B' %}{% with a = a + 1 %}{% set c = a * 10 %}"
                        "{{ a }}{{ b }}{{ c }}{% for i in [1] %}{{ a }}{{ c }}{% endfor %}"
                        "{% endwith %}{{ a }}{{ c is defined }}",
                        NULL, &o, &out, msg, sizeof(msg)),
                 0);
    SL_CHECK_STR(out, "2B202201False");
    free(out);
    /* the values are read outside the with: b is the outer (undefined) b */
    SL_CHECK_INT(render("{% with a = 1, b = a %}{{ b }}{% endwith %}", NULL, &o, &out, msg,
                        sizeof(msg)),
                 SL_EINVAL);
    SL_CHECK_HAS(msg, "w.j2:1:");
    SL_CHECK_HAS(msg, "'a' is undefined");
    /* an unclosed with points at its tag; Nunjucks has no with */
    SL_CHECK_INT(render("x\n {% with a = 1 %}", NULL, &o, &out, msg, sizeof(msg)), SL_EINVAL);
    SL_CHECK_HAS(msg, "w.j2:2:2: ");
    SL_CHECK_HAS(msg, "endwith");
    o.dialect = SL_JINJA_NUNJUCKS;
    SL_CHECK_INT(render("{% with a = 1 %}{% endwith %}", NULL, &o, &out, msg, sizeof(msg)),
                 SL_EINVAL);
    SL_CHECK_HAS(msg, "w.j2:1:1: unknown tag 'with'");
    o.dialect = SL_JINJA_JINJA2;
    /* state is per render */
    sl_error_clear(&err);
    SL_CHECK_INT(sl_jinja_parse(state, strlen(state), &o, &t, &err), 0);
    for (int i = 0; i < 2; i++) {
        b.len = 0;
        SL_CHECK_INT(sl_jinja_render(t, ctx, &b, &err), 0);
        SL_CHECK_STR(b.ptr, "Truea,Falseb,Truea,");
    }
    sl_jinja_free(t);
    sl_buf_free(&b);
    cJSON_Delete(ctx);
}

/* Filter errors name the filter's position and what was wrong. */
static void test_filter_errors(void)
{
    sl_jinja_opts o = {.file = "f.j2"};
    char *out, msg[1024];

    SL_CHECK_INT(render("a\n{{ '%s %s' | format('x') }}", NULL, &o, &out, msg, sizeof(msg)),
                 SL_EINVAL);
    SL_CHECK_HAS(msg, "f.j2:2:");
    SL_CHECK_HAS(msg, "not enough arguments for format string");
    SL_CHECK_INT(render("{{ d | dictsort(by='size') }}", "{\"d\":{}}", &o, &out, msg,
                        sizeof(msg)),
                 SL_EINVAL);
    SL_CHECK_HAS(msg, "\"key\" or \"value\"");
    SL_CHECK_INT(render("{{ xs | select('odd') | length }}", "{\"xs\":[1]}", &o, &out, msg,
                        sizeof(msg)),
                 SL_EINVAL);
    SL_CHECK_HAS(msg, "'generator' has no len()");
    SL_CHECK_INT(render("{{ xs | select('nope') | list }}", "{\"xs\":[1]}", &o, &out, msg,
                        sizeof(msg)),
                 SL_EINVAL);
    SL_CHECK_HAS(msg, "no test named 'nope'");
    SL_CHECK_INT(render("{{ 'x' | wordwrap(0) }}", NULL, &o, &out, msg, sizeof(msg)),
                 SL_EINVAL);
    SL_CHECK_HAS(msg, "invalid width");
    /* a huge width or precision is refused, not allocated */
    SL_CHECK_INT(render("{{ '%99999999d' | format(1) }}", NULL, &o, &out, msg, sizeof(msg)),
                 SL_ELIMIT);
    SL_CHECK_INT(render("[{{ 'ab' | format }}] {{ 'é%5.1s|' | format('éa') }}", NULL, &o, &out,
                        msg, sizeof(msg)),
                 0);
    SL_CHECK_STR(out, "[ab] é    é|");
    free(out);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_basic_render), SL_TEST_ENTRY(test_error_positions),
             SL_TEST_ENTRY(test_offset_in_yaml), SL_TEST_ENTRY(test_no_file_access),
             SL_TEST_ENTRY(test_eval_value), SL_TEST_ENTRY(test_render_n_and_limits),
             SL_TEST_ENTRY(test_with_scope_and_state), SL_TEST_ENTRY(test_filter_errors))
