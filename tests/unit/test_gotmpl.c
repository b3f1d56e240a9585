/* test_gotmpl.c: the Go text/template + Sprig engine (renderers/score/gotmpl.h):
 * syntax, Go's printing rules, each function (happy path and error), and
 * errors with file:line:col. Expected outputs are what Go's text/template
 * with Sprig prints for the same template and data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    R("{{ 1.5 }} {{ 1e6 }} {{ 100000.0 }} {{ 0.00001 }} {{ 0x1F }} {{ 0o17 }} {{ 1_000 }} {{ 'a' "
      "}}",
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
    R("{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ eq .x nil }} {{ eq .missing \"s\" "
      "}}",
      "{\"x\":null}", "true true true true false");
    R("{{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }}", NULL,
      "true true true false");
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
    R("{{ printf \"%s|%q|%v|%10s|%-4s|%.2s\" \"a\" \"b\\n\" \"c\" \"right\" \"l\" \"trunc\" }}",
      NULL, "a|\"b\\n\"|c|     right|l   |tr");
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
    /* a block scalar: later lines keep the file's indentation */
    {
        sl_gotmpl *t = NULL;
        const char *src = "a: 1\nb: {{ nope }}\n";
        SL_CHECK_INT(sl_gotmpl_parse_ex("p.yaml", 7, 5, 4, src, strlen(src), &t, &g_err),
                     SL_EINVAL);
        SL_CHECK_INT(g_err.line, 8);
        SL_CHECK_INT(g_err.col, 11);
        SL_CHECK(t == NULL);
    }
    R("{{ -9223372036854775807 }} {{ 0 }} {{ -1 }}", NULL, "-9223372036854775807 0 -1");
    /* exec errors carry the action position inside the YAML file */
    SL_CHECK_STR(render_at("a: 1\nb: {{ fail \"boom\" }}", "{}", 20, 5),
                 "ERR: template.yaml:21:7: template: executing \"template.yaml\" at "
                 "<fail \"boom\">: error calling fail: boom");
    SL_CHECK_STR(render_at("x: {{ .a | upper }}", "{}", 3, 9),
                 "ERR: template.yaml:3:20: template: executing \"template.yaml\" at <upper>: "
                 "error calling upper: invalid value; expected string");
}

static void test_sprig_strings(void)
{
    R("{{ trim \"  a b \\n\" }}|{{ trimAll \"$\" \"$$5$\" }}|{{ trimPrefix \"-\" \"-x-\" }}|"
      "{{ trimSuffix \"-\" \"-x-\" }}",
      NULL, "a b|5|x-|-x");
    R("{{ upper \"abc\" }} {{ lower \"ABC\" }} {{ title \"hello wide-world\" }} "
      "{{ untitle \"Hello World\" }} {{ swapcase \"aB\" }}",
      NULL, "ABC abc Hello Wide-World hello world Ab");
    R("{{ repeat 3 \"ab\" }} {{ substr 1 3 \"hello\" }} {{ substr 2 99 \"hello\" }} "
      "{{ substr -1 2 \"hello\" }}",
      NULL, "ababab el llo he");
    R("{{ nospace \" a b\\tc \" }} {{ trunc 3 \"hello\" }} {{ trunc -2 \"hello\" }} "
      "{{ trunc 10 \"hi\" }}",
      NULL, "abc hel lo hi");
    R("{{ abbrev 5 \"hello world\" }} {{ abbrev 20 \"short\" }} {{ initials \"Ada Byron king\" }}",
      NULL, "he... short ABk");
    R("{{ contains \"ell\" \"hello\" }} {{ hasPrefix \"he\" \"hello\" }} {{ hasSuffix \"x\" "
      "\"hello\" }}",
      NULL, "true true false");
    R("{{ quote \"a\\\"b\" 5 }} {{ squote \"x\" }} {{ .p | quote }} {{ quote .missing }}|",
      "{\"p\":5432}", "\"a\\\"b\" \"5\" 'x' \"5432\" |");
    R("{{ cat \"a\" 1 .missing \"b\" }}", "{}", "a 1 b");
    R("{{ indent 2 \"a\\nb\" }}|{{ nindent 4 \"x\" }}", NULL, "  a\n  b|\n    x");
    R("{{ replace \"-\" \"_\" \"a-b-c\" }} {{ plural \"one\" \"many\" 1 }} {{ plural \"one\" "
      "\"many\" 2 }}",
      NULL, "a_b_c one many");
    R("{{ snakecase \"FirstName\" }} {{ snakecase \"HTTPServer\" }} {{ kebabcase \"fooBar baz\" }} "
      "{{ camelcase \"http_server\" }}",
      NULL, "first_name http_server foo-bar-baz HttpServer");
    R("{{ wrap 5 \"aaa bbb ccc\" }}", NULL, "aaa\nbbb\nccc");
    R("{{ splitList \",\" \"a,b,,c\" }} {{ (split \"$\" \"foo$bar\")._1 }} {{ join \"-\" .l }}",
      "{\"l\":[\"x\",1,true]}", "[a b  c] bar x-1-true");
    R("{{ toString 5 }}{{ toString 1.5 }}{{ toString .l }} {{ toStrings .l }} {{ printf \"%T\" "
      "(toString 5) }}",
      "{\"l\":[1,\"a\"]}", "51.5[1 a] [1 a] string");
    RERR("{{ repeat \"x\" \"y\" }}", NULL, "wrong type for value; expected int; got string");
    R("{{ repeat 2.0 \"ab\" }}", NULL, "abab");
    RERR("{{ repeat 2.5 \"ab\" }}", NULL, "wrong type for value; expected int; got float64");
    RERR("{{ repeat 1000 (repeat 100000 \"x\") }}", NULL,
         "error calling repeat: repeat: result larger than 64 MiB");
    RERR("{{ $s := repeat 60000000 \"x\" }}{{ print $s $s }}", NULL,
         "error calling print: result larger than 64 MiB");
    RERR("{{ substr 9 10 \"abc\" }}", NULL, "error calling substr: slice bounds out of range");
    RERR("{{ trim 5 }}", NULL,
         "error calling trim: wrong type for value; expected string; got int");
}

static void test_sprig_random(void)
{
    const char *o = render("{{ randAlphaNum 16 }}", NULL);
    SL_CHECK_INT(strlen(o), 16);
    for (const char *p = o; *p; p++)
        SL_CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'));
    char first[32];
    snprintf(first, sizeof(first), "%s", o);
    SL_CHECK(strcmp(first, render("{{ randAlphaNum 16 }}", NULL)) != 0);
    o = render("{{ randAlpha 8 }}", NULL);
    SL_CHECK_INT(strlen(o), 8);
    for (const char *p = o; *p; p++)
        SL_CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'));
    o = render("{{ randNumeric 5 }}", NULL);
    SL_CHECK_INT(strlen(o), 5);
    for (const char *p = o; *p; p++)
        SL_CHECK(*p >= '0' && *p <= '9');
    o = render("{{ randAscii 20 }}", NULL);
    SL_CHECK_INT(strlen(o), 20);
    for (const char *p = o; *p; p++)
        SL_CHECK(*p >= 32 && *p <= 126);
    o = render("{{ uuidv4 }}", NULL);
    SL_CHECK_INT(strlen(o), 36);
    SL_CHECK(o[8] == '-' && o[13] == '-' && o[14] == '4' && o[18] == '-' && o[23] == '-');
    SL_CHECK(strchr("89ab", o[19]) != NULL);
    o = render("{{ randBytes 12 | b64dec | len }}", NULL);
    SL_CHECK_STR(o, "12");
    RERR("{{ randAlpha -1 }}", NULL, "error calling randAlpha: count must be non-negative");
}

static void test_sprig_regex(void)
{
    R("{{ regexMatch \"^[a-z]+[0-9]$\" \"abc1\" }} {{ regexMatch \"\\\\d+\" \"x\" }} "
      "{{ regexMatch \"(\" \"x\" }}",
      NULL, "true false false");
    R("{{ regexFindAll \"[0-9]+\" \"a1b22c333\" -1 }} {{ regexFindAll \"[0-9]+\" \"a1b22c333\" 2 "
      "}}",
      NULL, "[1 22 333] [1 22]");
    R("{{ regexFind \"b+\" \"abbbc\" }}|{{ regexFind \"z\" \"abc\" }}|", NULL, "bbb||");
    R("{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }} "
      "{{ regexReplaceAllLiteral \"a(x*)b\" \"-ab-axxb-\" \"${1}\" }}",
      NULL, "-W-xxW- -${1}-${1}-");
    R("{{ regexSplit \"z+\" \"pizza\" -1 }} {{ regexSplit \"z+\" \"pizza\" 1 }} "
      "{{ regexSplit \"\\\\s\" \"a b\" -1 }}",
      NULL, "[pi a] [pizza] [a b]");
    R("{{ mustRegexMatch \"(?i)^ABC$\" \"abc\" }}", NULL, "true");
    /* RE2 syntax: classes, non-greedy, named groups, $ only at the end */
    R("{{ regexFind \"a.*?b\" \"aXbYb\" }} {{ regexReplaceAll \"(?P<k>\\\\w+)=(\\\\d+)\" \"a=1 "
      "b=22\" \"${k}:$2\" }} "
      "{{ regexMatch \"^x$\" \"x\\n\" }} {{ regexFindAll \"\\\\bw\\\\w*\" \"wax two wow\" -1 }}",
      NULL, "aXb a:1 b:22 false [wax wow]");
    /* Go's rules for empty matches */
    R("{{ regexFindAll \"a*\" \"baaab\" -1 }} {{ regexReplaceAll \"a*\" \"baaab\" \"-\" }} "
      "{{ regexSplit \"\" \"abc\" -1 }} {{ regexSplit \",\" \"\" -1 | len }}",
      NULL, "[ aaa ] -b-b- [a b c] 1");
    RERR("{{ mustRegexMatch \"(\" \"x\" }}", NULL,
         "error calling mustRegexMatch: regexp: Compile(()");
    RERR("{{ regexFindAll \"[\" \"x\" 1 }}", NULL, "error calling regexFindAll: regexp");
}

static void test_sprig_lists(void)
{
    R("{{ list 1 \"a\" }} {{ first .l }} {{ rest .l }} {{ last .l }} {{ initial .l }}",
      "{\"l\":[1,2,3]}", "[1 a] 1 [2 3] 3 [1 2]");
    R("{{ append .l 4 }} {{ push .l 5 }} {{ prepend .l 0 }} {{ .l }}", "{\"l\":[1,2]}",
      "[1 2 4] [1 2 5] [0 1 2] [1 2]");
    R("{{ concat .l (list 9) }} {{ reverse .l }} {{ uniq (list 1 1 2 1) }} "
      "{{ without .l 1 }} {{ has 2 .l }} {{ has 7 .l }}",
      "{\"l\":[1,2]}", "[1 2 9] [2 1] [1 2] [2] true false");
    R("{{ compact (list 1 \"\" 0 \"a\" false) }} {{ until 3 }} {{ untilStep 0 10 4 }} "
      "{{ seq 3 }} {{ seq 2 4 }} {{ seq 0 5 10 }}",
      NULL, "[1 a] [0 1 2] [0 4 8] 1 2 3 2 3 4 0 5 10");
    R("{{ sortAlpha (list \"b\" \"C\" \"a\") }} {{ first (list) }}", NULL, "[C a b] <no value>");
    R("{{ $l := list }}{{ range until 3 }}{{ $l = append $l . }}{{ end }}{{ $l }}", NULL,
      "[0 1 2]");
    RERR("{{ first 5 }}", NULL, "error calling first: Cannot find first on type int");
    RERR("{{ until 10000000 }}", NULL, "list longer than 100000 elements");
    RERR("{{ range until 100000 }}{{ $x := until 1000 }}{{ end }}", NULL,
         "the template built more than 2000000 values");
    RERR("{{ $l := until 10000 }}{{ range $l }}{{ range $l }}{{ end }}{{ end }}", NULL,
         "execution took more than 2000000 steps");
}

static void test_sprig_dicts(void)
{
    R("{{ dict \"b\" 2 \"a\" 1 }} {{ get (dict \"a\" 1) \"a\" }} {{ get (dict) \"x\" }}|", NULL,
      "map[a:1 b:2] 1 |");
    R("{{ $d := dict }}{{ $_ := set $d \"k\" \"v\" }}{{ $d }} {{ unset $d \"k\" }} "
      "{{ hasKey $d \"k\" }}",
      NULL, "map[k:v] map[] false");
    R("{{ pluck \"a\" (dict \"a\" 1) (dict \"b\" 2) (dict \"a\" 3) }} {{ keys (dict \"a\" 1) }} "
      "{{ values (dict \"a\" 1) }}",
      NULL, "[1 3] [a] [1]");
    R("{{ pick . \"a\" \"c\" }} {{ omit . \"a\" }}", "{\"a\":1,\"b\":2,\"c\":3}",
      "map[a:1 c:3] map[b:2 c:3]");
    R("{{ $d := dict \"a\" 1 \"n\" (dict \"x\" 1) }}{{ merge $d (dict \"a\" 2 \"b\" 3 \"n\" (dict "
      "\"y\" 2)) }}",
      NULL, "map[a:1 b:3 n:map[x:1 y:2]]");
    R("{{ $d := dict \"a\" 1 }}{{ mergeOverwrite $d (dict \"a\" 2 \"b\" 3) }}", NULL,
      "map[a:2 b:3]");
    R("{{ $c := deepCopy . }}{{ $_ := set $c \"z\" 1 }}{{ $c }} {{ . }}", "{\"a\":{\"b\":1}}",
      "map[a:map[b:1] z:1] map[a:map[b:1]]");
    R("{{ dig \"a\" \"b\" \"def\" . }} {{ dig \"a\" \"x\" \"def\" . }} {{ dig \"q\" \"d\" .State "
      "}}",
      "{\"a\":{\"b\":\"found\"},\"State\":{}}", "found def d");
    R("{{ dict \"odd\" }}", NULL, "map[odd:]");
    /* a map that holds itself (Go would overflow its stack) */
    RERR("{{ $d := dict \"a\" 1 }}{{ $_ := set $d \"x\" $d }}{{ $_ := set $d \"y\" $d }}{{ $d }}",
         NULL, "nested deeper than 200 levels");
    RERR("{{ $d := dict \"a\" 1 }}{{ $_ := set $d \"x\" $d }}{{ deepCopy $d }}", NULL,
         "error calling deepCopy: value nested too deep or too large (cyclic?)");
    R("{{ $d := dict \"a\" 1 }}{{ $_ := set $d \"x\" $d }}{{ toJson $d }}|", NULL, "|");
    RERR("{{ set . \"k\" 1 }}", "{}",
         "error calling set: set: cannot modify the template's input data");
    RERR("{{ get 1 \"a\" }}", NULL, "expected map[string]interface {}; got int");
}

static void test_sprig_defaults(void)
{
    R("{{ default \"d\" .x }} {{ default \"d\" \"\" }} {{ default \"d\" \"set\" }} {{ .missing | "
      "default 5 }} "
      "{{ default 0 .State.n | add 1 }}",
      "{\"x\":null,\"State\":{}}", "d d set 5 1");
    R("{{ empty 0 }} {{ empty \"\" }} {{ empty .m }} {{ empty (list 1) }} {{ empty false }}",
      "{\"m\":{}}", "true true true false true");
    R("{{ coalesce 0 \"\" \"first\" \"second\" }} {{ coalesce 0 }}", NULL, "first <no value>");
    R("{{ ternary \"y\" \"n\" true }} {{ true | ternary \"y\" \"n\" }} {{ false | ternary 1 2 }}",
      NULL, "y y 2");
    R("{{ all 1 \"a\" }} {{ all 1 0 }} {{ any 0 \"\" }} {{ any 0 1 }}", NULL,
      "true false false true");
    R("{{ required \"need x\" .x }}", "{\"x\":\"ok\"}", "ok");
    RERR("{{ required \"need x\" .x }}", "{}", "error calling required: need x");
    RERR("{{ fail \"stop here\" }}", NULL, "error calling fail: stop here");
    RERR("{{ ternary 1 2 \"x\" }}", NULL, "expected bool; got string");
}

static void test_sprig_conversions(void)
{
    R("{{ atoi \"42\" }} {{ atoi \"x\" }} {{ int \"7\" }} {{ int 3.9 }} {{ int64 \"0x10\" }} "
      "{{ float64 \"1.5\" }} {{ float64 2 }}",
      NULL, "42 0 7 3 16 1.5 2");
    R("{{ toJson . }}", "{\"b\":[1,2.5,\"<x>\"],\"a\":{\"t\":true,\"n\":null}}",
      "{\"a\":{\"n\":null,\"t\":true},\"b\":[1,2.5,\"\\u003cx\\u003e\"]}");
    R("{{ toRawJson \"<&>\" }} {{ mustToJson (list) }} {{ toJson \"a\\nb\" }}", NULL,
      "\"<&>\" [] \"a\\nb\"");
    R("{{ toPrettyJson . }}", "{\"a\":[1],\"b\":{}}", "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}");
    R("{{ (fromJson \"{\\\"a\\\":[1,2]}\").a }} {{ fromJson \"bad\" }}", NULL, "[1 2] <no value>");
    R("{{ toYaml . }}", "{\"b\":[1,\"two\"],\"a\":{\"x\":\"yes\"}}",
      "a:\n  x: \"yes\"\nb:\n- 1\n- two");
    R("{{ (fromYaml \"a: 1\\nb: [x, z]\").b }}", NULL, "[x z]");
    R("{{ toYaml .s | indent 2 }}", "{\"s\":{\"k\":\"v\"}}", "  k: v");
    RERR("{{ mustFromJson \"{\" }}", NULL, "error calling mustFromJson: invalid JSON");
    RERR("{{ fromYaml \"a: [\" }}", NULL, "error calling fromYaml:");
    RERR("{{ atoi 5 }}", NULL, "expected string; got int");
}

static void test_sprig_encoding_crypto(void)
{
    R("{{ b64enc \"hello\" }} {{ b64dec \"aGVsbG8=\" }} {{ b64enc \"\" }}|{{ b64dec \"!!\" }}",
      NULL, "aGVsbG8= hello |illegal base64 data at input byte 0");
    R("{{ b32enc \"hello\" }} {{ b32dec \"NBSWY3DP\" }} {{ b32enc \"a\" }}", NULL,
      "NBSWY3DP hello ME======");
    R("{{ sha1sum \"abc\" }}", NULL, "a9993e364706816aba3e25717850c26c9cd0d89d");
    R("{{ sha256sum \"abc\" }}", NULL,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    R("{{ adler32sum \"Wikipedia\" }}", NULL, "300286872");
    R("{{ encodeSecretRef \"pg\" \"password\" }}", NULL,
      "\xf0\x9f\x94\x90\xf0\x9f\x92\xacpg_password\xf0\x9f\x92\xac\xf0\x9f\x94\x90");
    RERR("{{ sha256sum 5 }}", NULL, "expected string; got int");
}

static void test_sprig_math_dates(void)
{
    R("{{ add 1 2 3 }} {{ add1 5 }} {{ sub 5 7 }} {{ div 7 2 }} {{ mod 7 3 }} {{ mul 2 3 4 }} "
      "{{ max 1 9 3 }} {{ min 4 2 8 }} {{ add \"2\" 1.9 }}",
      NULL, "6 6 -2 3 1 24 9 2 3");
    R("{{ floor 1.7 }} {{ ceil 1.2 }} {{ round 3.14159 2 }} {{ round 2.5 0 }} {{ round -2.5 0 }} "
      "{{ round 2.45 1 0.4 }}",
      NULL, "1 2 3.14 3 -3 2.5");
    R("{{ date \"2006-01-02 15:04\" 0 }} {{ date \"Jan 2, 2006\" 86400 }}", NULL,
      "1970-01-01 00:00 Jan 2, 1970");
    R("{{ now | date \"2006\" | len }}", NULL, "4");
    RERR("{{ div 1 0 }}", NULL, "error calling div: runtime error: integer divide by zero");
    RERR("{{ date \"2006\" true }}", NULL, "error calling date:");
}

/* A provisioner written for score-k8s (the shapes of its default
 * provisioners: init/state/outputs stages with dig, default, randAlphaNum,
 * encodeSecretRef, b64enc, index and fail). */
static void test_provisioner_shapes(void)
{
    const char *data = "{\"Guid\":\"3F2504E0-4F89\",\"SourceWorkload\":\"orders\",\"Uid\":"
                       "\"postgres.default#orders.db\","
                       "\"Params\":{\"port\":\"web\"},\"Init\":{\"randomPassword\":\"pw1\"},"
                       "\"State\":{\"password\":\"keep\"},\"Shared\":{},"
                       "\"WorkloadServices\":{\"orders\":{\"ServiceName\":\"orders\",\"Ports\":{"
                       "\"web\":{\"TargetPort\":8080}}}}}";
    R("service: pg-{{ .SourceWorkload }}-{{ substr 0 8 .Guid | lower }}\n"
      "password: {{ dig \"password\" .Init.randomPassword .State | quote }}\n"
      "counter: {{ default 0 .State.counter | add 1 }}\n",
      data, "service: pg-orders-3f2504e0\npassword: \"keep\"\ncounter: 1\n");
    R("{{ $w := index .WorkloadServices .SourceWorkload }}"
      "{{ $p := (index $w.Ports .Params.port) }}"
      "{{ if not $p }}{{ fail \"unknown service port\" }}{{ end }}"
      "hostname: {{ $w.ServiceName | quote }}\nport: {{ $p.TargetPort }}",
      data, "hostname: \"orders\"\nport: 8080");
    RERR("{{ $p := index (index .WorkloadServices .SourceWorkload).Ports \"nope\" }}"
         "{{ if not $p }}{{ fail \"params.port is not a named service port\" }}{{ end }}",
         data, "error calling fail: params.port is not a named service port");
    /* community provisioner idioms: last of splitList, a short-circuit or
     * over a missing workload, ranging over a map of ports, ne on a
     * missing key */
    R("name: {{ splitList \".\" \"svc.orders\" | last }}", data, "name: orders");
    RERR("{{ $w := index .WorkloadServices \"nope\" }}"
         "{{ if or (not $w) (not $w.ServiceName) }}{{ fail \"unknown workload\" }}{{ end }}",
         data, "error calling fail: unknown workload");
    R("{{- range $k, $port := (index .WorkloadServices .SourceWorkload).Ports }}\n"
      "- port: {{ $port.TargetPort }} # {{ $k }}\n{{- end }}",
      data, "\n- port: 8080 # web");
    R("{{ if ne .Namespace \"\" }}namespace: {{ .Namespace }}{{ end }}", data,
      "namespace: <no value>");
    R("password: {{ encodeSecretRef (printf \"secret-%s\" .SourceWorkload) \"password\" }}\n"
      "data: {{ .State.password | b64enc }}",
      data,
      "password: "
      "\xf0\x9f\x94\x90\xf0\x9f\x92\xacsecret-orders_"
      "password\xf0\x9f\x92\xac\xf0\x9f\x94\x90\ndata: a2VlcA==");
}

/* The renderer's budget: 1,000 workloads x 3 resources through the stages
 * of a postgres-style provisioner in well under a second (parse once, exec
 * many). Timed only in optimised builds. */
static void test_exec_throughput(void)
{
    static const char *const stages[] = {
        "randomDatabase: db-{{ randAlpha 8 }}\nrandomUsername: user-{{ randAlpha 8 }}\n"
        "randomPassword: {{ randAlphaNum 16 | quote }}\n",
        "service: pg-{{ .SourceWorkload }}-{{ substr 0 8 .Guid | lower }}\n"
        "database: {{ dig \"database\" .Init.randomDatabase .State | quote }}\n"
        "username: {{ dig \"username\" .Init.randomUsername .State | quote }}\n"
        "password: {{ dig \"password\" .Init.randomPassword .State | quote }}\n",
        "host: {{ .State.service }}\nport: 5432\nname: {{ .State.database }}\n"
        "username: {{ .State.username }}\npassword: {{ encodeSecretRef .State.service \"password\" "
        "}}\n",
        "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: {{ .State.service }}\n"
        "    annotations:\n      k8s.score.dev/source-workload: {{ .SourceWorkload }}\n"
        "      k8s.score.dev/resource-uid: {{ .Uid }}\n      k8s.score.dev/resource-guid: {{ .Guid "
        "}}\n"
        "    labels:\n      app.kubernetes.io/managed-by: score-k8s\n"
        "      app.kubernetes.io/name: {{ .State.service }}\n"
        "      app.kubernetes.io/instance: {{ .State.service }}\n"
        "  data:\n    password: {{ .State.password | b64enc }}\n"
        "- apiVersion: apps/v1\n  kind: StatefulSet\n  metadata:\n    name: {{ .State.service }}\n"
        "  spec:\n    serviceName: {{ .State.service }}\n    template:\n      spec:\n"
        "        containers:\n        - name: pg\n          env:\n"
        "          - name: POSTGRES_USER\n            value: {{ .State.username | quote }}\n"
        "          - name: POSTGRES_DB\n            value: {{ .State.database | quote }}\n"
        "{{- range $k, $v := .Params }}\n          - name: {{ $k | upper }}\n"
        "            value: {{ $v | toString | quote }}\n{{- end }}\n",
    };
    enum { NST = sizeof(stages) / sizeof(stages[0]) };
    sl_gotmpl *t[NST];
    sl_error err;
    sl_buf out = SL_BUF_INIT;
    struct timespec a, b;
    cJSON *data = cJSON_Parse("{\"SourceWorkload\":\"orders\",\"Guid\":\"3F2504E0-4F89-11D3\","
                              "\"Uid\":\"postgres.default#orders.db\","
                              "\"Params\":{\"a\":1,\"b\":\"x\"},\"Init\":{\"randomDatabase\":\"db-"
                              "x\",\"randomUsername\":\"u\","
                              "\"randomPassword\":\"p\"},\"State\":{\"service\":\"pg-orders-"
                              "3f2504e0\",\"database\":\"d\","
                              "\"username\":\"u\",\"password\":\"p\"}}");
    int rc = 0;

    for (int i = 0; i < NST; i++)
        SL_CHECK_INT(sl_gotmpl_parse("p.yaml", 1, 1, stages[i], strlen(stages[i]), &t[i], &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int r = 0; r < 3000 && !rc; r++)
        for (int i = 0; i < NST && !rc; i++) {
            sl_buf_reset(&out);
            rc = sl_gotmpl_exec(t[i], data, &out, &err);
        }
    clock_gettime(CLOCK_MONOTONIC, &b);
    SL_CHECK_INT(rc, 0);
    SL_CHECK_HAS(out.ptr, "value: \"x\"");
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    fprintf(stderr, "gotmpl: 3000 resources x %d stages in %.3f s\n", NST, secs);
    /* the time is printed; bench/score.sh holds the speed goal */
    for (int i = 0; i < NST; i++)
        sl_gotmpl_free(t[i]);
    sl_buf_free(&out);
    cJSON_Delete(data);
}

/* Every template:// provisioner of the score renderer's default
 * provisioners file runs through its stages the way score-k8s runs them
 * (init, state, shared, outputs, manifests, each stage's YAML output fed to
 * the next as .Init/.State/.Shared), and every stage's output is YAML of
 * the expected shape. */
static void test_default_provisioners(void)
{
    const char *src = getenv("SL_SRC_DIR");
    char path[4096];
    sl_buf file = SL_BUF_INIT;
    sl_docv dv = {0};
    sl_posmap *pm = NULL;
    sl_error err;
    static const char *const stages[] = {"init", "state", "shared", "outputs", "manifests"};
    int ran = 0;

    snprintf(path, sizeof(path), "%s/renderers/score/default.provisioners.yaml", src ? src : ".");
    if (sl_file_read(path, 0, &file, &err)) {
        fprintf(stderr, "skipped: %s not found\n", path);
        return;
    }
    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    SL_CHECK_INT(sl_yaml_parse(path, file.ptr, file.len, NULL, pm, &dv, &err), 0);
    SL_CHECK(dv.n == 1 && cJSON_IsArray(dv.v[0]));
    cJSON *p, *all = dv.n ? dv.v[0] : NULL;
    cJSON_ArrayForEach(p, all)
    {
        const char *uri = sl_doc_str(p, "uri");
        if (!uri || strncmp(uri, "template://", 11))
            continue;
        cJSON *ctx = cJSON_Parse(
            "{\"Type\":\"t\",\"Class\":\"default\",\"Id\":\"orders.db\",\"Uid\":\"t.default#orders."
            "db\","
            "\"Guid\":\"3F2504E0-4F89-11D3-9A0C-0305E82C3301\",\"SourceWorkload\":\"orders\","
            "\"Params\":{\"workload\":\"orders\",\"port\":\"web\",\"host\":\"orders.example.com\","
            "\"path\":\"/api\"},\"Metadata\":{\"name\":\"orders\"},"
            "\"WorkloadServices\":{\"orders\":{\"ServiceName\":\"orders\",\"Ports\":{\"web\":"
            "{\"Name\":\"web\",\"Port\":80,\"TargetPort\":8080}}}},"
            "\"Init\":{},\"State\":{},\"Shared\":{}}");
        cJSON_ReplaceItemInObjectCaseSensitive(ctx, "Type",
                                               cJSON_CreateString(sl_doc_str(p, "type")));
        for (size_t s = 0; s < sizeof(stages) / sizeof(stages[0]); s++) {
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(p, stages[s]);
            sl_gotmpl *t = NULL;
            sl_buf out = SL_BUF_INIT;
            sl_docv res = {0};
            sl_pos pos;
            char eb[2048];
            if (!cJSON_IsString(st))
                continue;
            sl_posmap_get(pm, st, &pos);
            int rc = sl_gotmpl_parse(path, pos.line + 1, 5, st->valuestring,
                                     strlen(st->valuestring), &t, &err);
            if (!rc)
                rc = sl_gotmpl_exec(t, ctx, &out, &err);
            if (rc)
                fprintf(stderr, "%s %s: %s\n", uri, stages[s],
                        sl_error_format(&err, eb, sizeof(eb)));
            SL_CHECK_INT(rc, 0);
            if (!rc) {
                rc = sl_yaml_parse("stage.yaml", out.ptr ? out.ptr : "", out.len, NULL, NULL, &res,
                                   &err);
                if (rc)
                    fprintf(stderr, "%s %s: output is not YAML: %s\n%s\n", uri, stages[s],
                            sl_error_format(&err, eb, sizeof(eb)), out.ptr);
                SL_CHECK_INT(rc, 0);
                cJSON *v = res.n ? res.v[0] : NULL;
                if (s == 4) {
                    SL_CHECK(cJSON_IsArray(v));
                    const cJSON *o;
                    cJSON_ArrayForEach(o, v)
                    {
                        SL_CHECK(sl_doc_str(o, "apiVersion") && sl_doc_str(o, "kind"));
                        SL_CHECK(sl_doc_path(o, "metadata.name") != NULL);
                    }
                } else if (v) {
                    SL_CHECK(cJSON_IsObject(v));
                }
                if (s < 3 && cJSON_IsObject(v)) {
                    static const char *const keys[] = {"Init", "State", "Shared"};
                    res.v[0] = NULL;
                    cJSON_ReplaceItemInObjectCaseSensitive(ctx, keys[s], v);
                }
                if (s == 3)
                    SL_CHECK(cJSON_IsObject(v) && v->child);
                ran++;
            }
            sl_docv_free(&res);
            sl_buf_free(&out);
            sl_gotmpl_free(t);
        }
        cJSON_Delete(ctx);
    }
    SL_CHECK(ran >= 20);
    sl_docv_free(&dv);
    sl_posmap_free(pm);
    sl_buf_free(&file);
}

static void test_sprig_types_and_aliases(void)
{
    R("{{ typeOf 1 }}|{{ typeOf 1.5 }}|{{ typeOf \"s\" }}|{{ typeOf .m }}|{{ typeOf .l }}|{{ "
      "typeOf .n }}|"
      "{{ kindOf .m }}|{{ kindOf .l }}|{{ kindIs \"map\" .m }}|{{ typeIs \"string\" 1 }}",
      "{\"m\":{},\"l\":[],\"n\":null}",
      "int|float64|string|map[string]interface {}|[]interface {}|<nil>|map|slice|true|false");
    R("{{ sha512sum \"abc\" | trunc 16 }} {{ regexQuoteMeta \"a.b*c\" }} {{ title \"don't stop\" "
      "}}",
      NULL, "ddaf35a193617aba a\\.b\\*c Don'T Stop");
    R("{{ sortAlpha (list \"b\" nil \"a\") }} {{ tuple 1 2 }} {{ mustFirst (list 3) }} {{ biggest "
      "1 5 2 }}",
      NULL, "[a b] [1 2] 3 5");
    R("{{ $d := dict \"a\" 1 }}{{ merge $d (dict \"a\" nil \"b\" nil \"c\" 2) }}", NULL,
      "map[a:1 c:2]");
    R("{{ $d := dict \"a\" 1 }}{{ mergeOverwrite $d (dict \"a\" 0 \"b\" (list)) }}", NULL,
      "map[a:0 b:[]]");
    R("{{ mustToPrettyJson (list 1) }} {{ mustToRawJson \"<\" }}", NULL, "[\n  1\n] \"<\"");
    RERR("{{ b64enc 5 }}", NULL,
         "error calling b64enc: wrong type for value; expected string; got int");
    RERR("{{ append 5 1 }}", NULL, "error calling append: Cannot push on type int");
    RERR("{{ concat (list 1) \"x\" }}", NULL,
         "error calling concat: Cannot concat type string as list");
    RERR("{{ mustPush .missing 1 }}", "{}", "Cannot push on type invalid");
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_text_and_actions), SL_TEST_ENTRY(test_control),
             SL_TEST_ENTRY(test_variables), SL_TEST_ENTRY(test_define_template_block),
             SL_TEST_ENTRY(test_pipelines_and_builtins), SL_TEST_ENTRY(test_printf),
             SL_TEST_ENTRY(test_errors_with_position), SL_TEST_ENTRY(test_sprig_strings),
             SL_TEST_ENTRY(test_sprig_random), SL_TEST_ENTRY(test_sprig_regex),
             SL_TEST_ENTRY(test_sprig_lists), SL_TEST_ENTRY(test_sprig_dicts),
             SL_TEST_ENTRY(test_sprig_defaults), SL_TEST_ENTRY(test_sprig_conversions),
             SL_TEST_ENTRY(test_sprig_encoding_crypto), SL_TEST_ENTRY(test_sprig_math_dates),
             SL_TEST_ENTRY(test_provisioner_shapes), SL_TEST_ENTRY(test_exec_throughput),
             SL_TEST_ENTRY(test_default_provisioners), SL_TEST_ENTRY(test_sprig_types_and_aliases))
