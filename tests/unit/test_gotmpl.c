/* test_gotmpl.c: the Go text/template + Sprig engine (renderers/score/gotmpl.h):
 * syntax, Go's printing rules, each function (happy path and error), and
 * errors with file:line:col. Expected outputs are what Go's text/template
 * with Sprig prints for the same template and data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../renderers/score/gotmpl.h"
#include "sl_doc.h"
#include "sl_test.h"

static char g_out[65536];
static sl_error g_err;

/* Render src with data (JSON text, NULL for nil) at template.yaml:1:1.
 * Returns the output, or "ERR: file:line:col: message" on failure. */
static const char *render_at(const char *src, const char *json, int line, int col)
{
    sl_gotmpl *t = NULL;
    cJSON *data = NULL;
    sl_buf out = SL_BUF_INIT;
    int rc;

    sl_error_clear(&g_err);
    if (json) {
        data = cJSON_Parse(json);
        if (!data) {
            snprintf(g_out, sizeof(g_out), "BAD TEST JSON");
            return g_out;
        }
    }
    rc = sl_gotmpl_parse("template.yaml", line, col, src, strlen(src), &t, &g_err);
    if (!rc)
        rc = sl_gotmpl_exec(t, data, &out, &g_err);
    if (rc) {
        char buf[2048];
        snprintf(g_out, sizeof(g_out), "ERR: %s", sl_error_format(&g_err, buf, sizeof(buf)));
    } else {
        snprintf(g_out, sizeof(g_out), "%s", out.ptr ? out.ptr : "");
    }
    sl_buf_free(&out);
    sl_gotmpl_free(t);
    cJSON_Delete(data);
    return g_out;
}

static const char *render(const char *src, const char *json)
{
    return render_at(src, json, 1, 1);
}

#define R(src, json, want) SL_CHECK_STR(render(src, json), want)
#define RERR(src, json, want) SL_CHECK_HAS(render(src, json), want)

static void test_text_and_actions(void)
{
    R("hello", NULL, "hello");
    R("", NULL, "");
    R("a{{/* comment */}}b", NULL, "ab");
    R("a  {{- /* c */ -}}  b", NULL, "ab");
    R("x {{- 1 -}} y", NULL, "x1y");
    R("x\n  {{- \"v\" }}\n", NULL, "xv\n");
    R("{{ \"v\" -}}\n\n  end", NULL, "vend");
    R("{{-3}}", NULL, "-3");
    R("{{ .name }}", "{\"name\":\"web\"}", "web");
    R("{{ .a.b.c }}", "{\"a\":{\"b\":{\"c\":42}}}", "42");
    R("{{ . }}", "{\"b\":2,\"a\":1}", "map[a:1 b:2]");
    R("{{ .list }}", "{\"list\":[1,\"x\",true,null,1.5]}", "[1 x true <nil> 1.5]");
    R("{{ .missing }}", "{}", "<no value>");
    R("{{ .missing.deeper }}", "{}", "<no value>");
    R("{{ .n }}", "{\"n\":null}", "<no value>");
    R("{{ .x }}", NULL, "<no value>");
    R("{{ 1.5 }} {{ 1e6 }} {{ 100000.0 }} {{ 0.00001 }} {{ 0x1F }} {{ 0o17 }} {{ 1_000 }} {{ 'a' }}",
      NULL, "1.5 1e+06 100000 1e-05 31 15 1000 97");
    R("{{ true }} {{ false }} {{ \"q\\t\\\"x\\u00e9\" }} {{ `raw\\n` }}", NULL,
      "true false q\t\"x\xc3\xa9 raw\\n");
    R("{{ .f }}", "{\"f\":3.25}", "3.25");
    R("{{ .f }}", "{\"f\":12345678.5}", "1.23456785e+07");
}

static void test_control(void)
{
    R("{{ if .a }}yes{{ else }}no{{ end }}", "{\"a\":1}", "yes");
    R("{{ if .a }}yes{{ else }}no{{ end }}", "{\"a\":0}", "no");
    R("{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}", "{\"b\":\"x\"}", "B");
    R("{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}", "{}", "C");
    R("{{ if .l }}t{{ else }}f{{ end }}{{ if .m }}t{{ else }}f{{ end }}", "{\"l\":[],\"m\":{}}",
      "ff");
    R("{{ with .a }}{{ .b }}{{ end }}", "{\"a\":{\"b\":\"in\"}}", "in");
    R("{{ with .z }}x{{ else }}none{{ end }}", "{}", "none");
    R("{{ with .z }}x{{ else with .y }}{{ . }}{{ end }}", "{\"y\":5}", "5");
    R("{{ range .l }}[{{ . }}]{{ end }}", "{\"l\":[1,2,3]}", "[1][2][3]");
    R("{{ range $i, $v := .l }}{{ $i }}={{ $v }} {{ end }}", "{\"l\":[\"a\",\"b\"]}", "0=a 1=b ");
    R("{{ range $k, $v := . }}{{ $k }}:{{ $v }};{{ end }}", "{\"b\":2,\"a\":1,\"c\":3}",
      "a:1;b:2;c:3;");
    R("{{ range $v := .l }}{{ $v }}{{ end }}", "{\"l\":[7,8]}", "78");
    R("{{ range .l }}x{{ else }}empty{{ end }}", "{\"l\":[]}", "empty");
    R("{{ range .nope }}x{{ else }}empty{{ end }}", "{}", "empty");
    R("{{ range .l }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ end }}", "{\"l\":[1,2,3,4]}",
      "12");
    R("{{ range .l }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ . }}{{ end }}", "{\"l\":[1,2,3]}",
      "13");
    R("{{ range 3 }}{{ . }}{{ end }}", NULL, "012");
    R("{{ range $i, $e := .l }}{{ range $e }}{{ $i }}{{ . }}{{ end }}{{ end }}",
      "{\"l\":[[1],[2,3]]}", "011213");
}

static void test_variables(void)
{
    R("{{ $x := 1 }}{{ $x }}", NULL, "1");
    R("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", NULL, "2");
    R("{{ $x := .a }}{{ with .b }}{{ $x }}-{{ . }}{{ end }}", "{\"a\":\"A\",\"b\":\"B\"}", "A-B");
    R("{{ with .b }}{{ $.a }}{{ end }}", "{\"a\":\"root\",\"b\":1}", "root");
    R("{{ $m := .m }}{{ $m.k }}", "{\"m\":{\"k\":\"v\"}}", "v");
    R("{{ $x := 0 }}{{ range .l }}{{ $x = . }}{{ end }}{{ $x }}", "{\"l\":[1,2,9]}", "9");
    R("{{ if $v := .a }}{{ $v }}{{ end }}", "{\"a\":\"set\"}", "set");
    R("{{ (dict \"a\" (dict \"b\" 5)).a.b }}", NULL, "5");
    R("{{ $d := dict \"k\" \"v\" }}{{ $d.k }}", NULL, "v");
}

static void test_define_template_block(void)
{
    R("{{ define \"T\" }}[{{ . }}]{{ end }}{{ template \"T\" \"x\" }}{{ template \"T\" 2 }}", NULL,
      "[x][2]");
    R("{{ define \"T\" }}{{ .a }}{{ end }}{{ template \"T\" . }}", "{\"a\":\"z\"}", "z");
    R("{{ template \"T\" }}{{ define \"T\" }}{{ . }}{{ end }}", NULL, "<no value>");
    R("{{ block \"B\" .a }}default {{ . }}{{ end }}", "{\"a\":1}", "default 1");
    /* as Go's parser: one source may not define a template twice */
    RERR("{{ define \"B\" }}over{{ end }}{{ block \"B\" . }}default{{ end }}", NULL,
         "template.yaml:1:30: template: multiple definition of template \"B\"");
    R("{{ define \"R\" }}{{ if . }}{{ . }}{{ template \"R\" (sub . 1) }}{{ end }}{{ end }}"
      "{{ template \"R\" 3 }}",
      NULL, "321");
}

static void test_pipelines_and_builtins(void)
{
    R("{{ \"abc\" | printf \"%s-%s\" \"x\" }}", NULL, "x-abc");
    R("{{ .a | len }}", "{\"a\":[1,2]}", "2");
    R("{{ len \"héllo\" }} {{ len .m }}", "{\"m\":{\"a\":1}}", "6 1");
    R("{{ index .l 1 }} {{ index .m \"k\" }} {{ index .n \"a\" 0 }}",
      "{\"l\":[5,6],\"m\":{\"k\":\"v\"},\"n\":{\"a\":[9]}}", "6 v 9");
    R("{{ index .m \"nope\" }}", "{\"m\":{}}", "<no value>");
    R("{{ slice .l 1 3 }} {{ slice \"hello\" 1 3 }} {{ slice .l 2 }}", "{\"l\":[1,2,3,4]}",
      "[2 3] el [3 4]");
    R("{{ print 1 2 \"a\" \"b\" 3 }}", NULL, "1 2ab3");
    R("{{ println 1 \"a\" }}", NULL, "1 a\n");
    R("{{ print nil }}{{ print .missing }}", "{}", "<nil><nil>");
    R("{{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 \"\" }} {{ or 0 \"x\" 1 }} {{ not 0 }}", NULL,
      "0 2  x true");
    R("{{ and .a .a.b }}", "{}", "<no value>");
    R("{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ eq .x nil }} {{ eq .missing \"s\" }}",
      "{\"x\":null}", "true true true true false");
    R("{{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }}", NULL, "true true true false");
    R("{{ html \"<a href='x'>&\\\"\" }}", NULL, "&lt;a href=&#39;x&#39;&gt;&amp;&#34;");
    R("{{ js \"it's <b>\\\"x\\\"=\" }}", NULL, "it\\'s \\u003Cb\\u003E\\\"x\\\"\\u003D");
    R("{{ urlquery \"a b&c=d/é\" }}", NULL, "a+b%26c%3Dd%2F%C3%A9");
    RERR("{{ eq 1 \"a\" }}", NULL, "incompatible types for comparison");
    RERR("{{ lt true false }}", NULL, "invalid type for comparison");
    RERR("{{ index .l 5 }}", "{\"l\":[1]}", "index out of range: 5");
    RERR("{{ len 3 }}", NULL, "len of type int");
    RERR("{{ call .f }}", "{}", "error calling call:");
}

static void test_printf(void)
{
    R("{{ printf \"%d|%5d|%-5d|%05d|%x|%X|%o|%b\" 42 42 42 42 255 255 8 5 }}", NULL,
      "42|   42|42   |00042|ff|FF|10|101");
    R("{{ printf \"%s|%q|%v|%10s|%-4s|%.2s\" \"a\" \"b\\n\" \"c\" \"right\" \"l\" \"trunc\" }}", NULL,
      "a|\"b\\n\"|c|     right|l   |tr");
    R("{{ printf \"%t %v %v\" true .m .l }}", "{\"m\":{\"b\":[1,2],\"a\":\"x\"},\"l\":[{\"k\":1}]}",
      "true map[a:x b:[1 2]] [map[k:1]]");
    R("{{ printf \"%f|%.2f|%8.3f|%e|%g|%v\" 3.14159 3.14159 3.14159 1234.5678 0.000012 2.0 }}",
      NULL, "3.141590|3.14|   3.142|1.234568e+03|1.2e-05|2");
    R("{{ printf \"%d %s\" \"x\" 5 }}", NULL, "%!d(string=x) %!s(int=5)");
    R("{{ printf \"%d %d\" 1 }}", NULL, "1 %!d(MISSING)");
    R("{{ printf \"%d\" 1 2 }}", NULL, "1%!(EXTRA int=2)");
    R("{{ printf \"100%%\" }} {{ printf \"%c%c\" 72 105 }} {{ printf \"%x\" \"hi\" }}", NULL,
      "100% Hi 6869");
    R("{{ printf \"%T %T %T %T\" 1 \"s\" .m .l }}", "{\"m\":{},\"l\":[]}",
      "int string map[string]interface {} []interface {}");
    R("{{ printf \"%+d %+.1f\" 5 2.0 }}", NULL, "+5 +2.0");
}

static void test_errors_with_position(void)
{
    RERR("{{ foo }}", NULL, "template.yaml:1:4: template: function \"foo\" not defined");
    SL_CHECK_STR(render_at("line one\n  {{ if .a }}x", NULL, 10, 7),
                 "ERR: template.yaml:11:3: template: unexpected EOF: {{if}} has no {{end}}");
    SL_CHECK_STR(render_at("ab {{ .x", NULL, 4, 9),
                 "ERR: template.yaml:4:12: template: unclosed action");
    RERR("{{ end }}", NULL, "template.yaml:1:1: template: unexpected {{end}}");
    RERR("{{ else }}", NULL, "unexpected {{else}}");
    RERR("{{ $x }}", NULL, "template.yaml:1:4: template: undefined variable \"$x\"");
    RERR("{{ if }}{{ end }}", NULL, "missing value for if");
    RERR("{{ }}", NULL, "missing value for command");
    RERR("{{ \"a\"\"b\" }}", NULL, "missing space?");
    RERR("{{ 1 | }}", NULL, "missing value for command");
    RERR("{{ (1 }}", NULL, "unclosed left paren");
    RERR("{{ \"abc }}", NULL, "unterminated quoted string");
    RERR("{{ break }}", NULL, "{{break}} outside {{range}}");
    RERR("{{ /* x */ }}", NULL, "unexpected");
    RERR("{{/* x */ }}", NULL, "comment ends before closing delimiter");
    RERR("{{/* x ", NULL, "unclosed comment");
    RERR("{{ template \"nope\" }}", NULL, "no such template \"nope\"");
    RERR("{{ define \"a\" }}{{ define \"b\" }}{{ end }}{{ end }}", NULL, "unexpected \"define\"");
    RERR("{{ .a 1 }}", "{\"a\":1}", "a is not a method but has arguments");
    RERR("{{ .a.b }}", "{\"a\":\"s\"}", "can't evaluate field b in type string");
    RERR("{{ .a.b }}", "{\"a\":null}", "nil pointer evaluating interface {}.b");
    RERR("{{ range .s }}{{ end }}", "{\"s\":\"str\"}", "range can't iterate over string");
    RERR("{{ 1 2 }}", NULL, "can't give argument to non-function 1");
    RERR("{{ nil }}", NULL, "nil is not a command");
    RERR("{{ upper 1 2 }}", NULL, "wrong number of args for upper: want 1 got 2");
    RERR("{{ upper 5 }}", NULL, "wrong type for value; expected string; got int");
    /* exec errors carry the action position inside the YAML file */
    SL_CHECK_STR(render_at("a: 1\nb: {{ fail \"boom\" }}", "{}", 20, 5),
                 "ERR: template.yaml:21:7: template: executing \"template.yaml\" at "
                 "<fail \"boom\">: error calling fail: boom");
    SL_CHECK_STR(render_at("x: {{ .a | upper }}", "{}", 3, 9),
                 "ERR: template.yaml:3:20: template: executing \"template.yaml\" at <upper>: "
                 "error calling upper: invalid value; expected string");
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_text_and_actions), SL_TEST_ENTRY(test_control),
             SL_TEST_ENTRY(test_variables), SL_TEST_ENTRY(test_define_template_block),
             SL_TEST_ENTRY(test_pipelines_and_builtins), SL_TEST_ENTRY(test_printf),
             SL_TEST_ENTRY(test_errors_with_position))
