/* test_hcl.c: the HCL engine's syntax, numbers, values, conversions and
 * expression evaluation (renderers/module/hcl.h). Functions are covered in
 * test_hcl_funcs.c. */
#include <stdlib.h>
#include <string.h>

#include "sl_test.h"
#include "hcl_eval_helper.h"

static sl_hcl_file *parse(const char *src, sl_hcl_diags *d, int *rc)
{
    sl_hcl_file *f = NULL;
    *rc = sl_hcl_parse("t.tf", src, strlen(src), NULL, &f, d);
    return f;
}

static void test_body_structure(void)
{
    sl_hcl_diags d = {0};
    int rc;
    sl_hcl_file *f = parse("# hash\n// slash\n/* block\n comment */\nvariable \"env\" {\n"
                           "  type = string\n}\nmodule m { source = \"./m\" }\n"
                           "a b \"c\" d {}\nx = 1\n",
                           &d, &rc);
    const sl_hcl_block *b;

    SL_CHECK_INT(rc, 0);
    SL_CHECK_INT(d.n, 0);
    SL_CHECK_INT(f->body->nblocks, 3);
    SL_CHECK_INT(f->body->nattrs, 1);
    b = &f->body->blocks[0];
    SL_CHECK_STR(b->type, "variable");
    SL_CHECK_INT(b->nlabels, 1);
    SL_CHECK_STR(b->labels[0], "env");
    SL_CHECK_INT(sl_hcl_file_range(f, b->type_range).start.line, 5);
    SL_CHECK_INT(sl_hcl_file_range(f, b->label_ranges[0]).start.col, 10);
    SL_CHECK_INT(sl_hcl_file_range(f, b->label_ranges[0]).end.col, 15);
    SL_CHECK_STR(sl_hcl_expr_keyword(sl_hcl_body_attr(b->body, "type")->expr), "string");
    SL_CHECK_STR(f->body->blocks[1].labels[0], "m"); /* bare label */
    SL_CHECK(sl_hcl_body_attr(f->body->blocks[1].body, "source") != NULL);
    SL_CHECK_INT(f->body->blocks[2].nlabels, 3);
    SL_CHECK_STR(f->body->blocks[2].labels[1], "c");
    /* Attribute ranges: name and whole. */
    SL_CHECK_INT(sl_hcl_file_range(f, f->body->attrs[0].name_range).start.line, 10);
    SL_CHECK_INT(sl_hcl_file_range(f, f->body->attrs[0].range).end.col, 6);
    SL_CHECK_INT(f->body->attrs[0].expr->range.start, strlen("# hash\n// slash\n/* block\n "
                                                                  "comment */\nvariable \"env\" "
                                                                  "{\n  type = string\n}\nmodule "
                                                                  "m { source = \"./m\" }\na b "
                                                                  "\"c\" d {}\nx = "));
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);
}

/* Each syntax error names its position and what was expected. */
static void test_syntax_errors(void)
{
    static const struct {
        const char *src;
        const char *summary;
        int line, col;
    } cases[] = {
        {"a = \"x\", b = 1\n", "Unexpected comma after argument", 1, 8},
        {"a = \n", "Invalid expression", 1, 5},
        {"a {\n", "Unclosed configuration block", 1, 3},
        {"\"a\" = 1\n", "Invalid argument name", 1, 1},
        {"a = [1, 2\nb = 1\n", "Missing item separator", 2, 1},
        {"a = f(1 2)\n", "Missing argument separator", 1, 9},
        {"a = {x = 1 y = 2}\n", "Missing attribute separator", 1, 12},
        {"a = x ? 1\n", "Missing false expression in conditional", 1, 10},
        {"a = (1 + 2\n", "Unbalanced parentheses", 2, 1}, /* newlines are ignored in parens */
        {"a = \"${x y}\"\n", "Extra characters after interpolation expression", 1, 10},
        {"a = \"%{ iff x }\"\n", "Invalid template control keyword", 1, 9},
        {"a = \"%{ if x }y\"\n", "Unexpected end of template", 1, 16},
        {"a = [for x in y: x if]\n", "Invalid expression", 1, 22},
        {"a = [for x y]\n", "Invalid 'for' expression", 1, 12},
        {"a = {for x in y: x}\n", "Invalid 'for' expression", 1, 18},
        {"a = [for x in y: x => x]\n", "Invalid 'for' expression", 1, 18},
        {"a = x.0.1\n", "Invalid legacy index syntax", 1, 7},
        {"a = x.\"y\"\n", "Invalid attribute name", 1, 7},
        {"a = 1 & 2\n", "Unsupported operator", 1, 7},
        {"a = @\n", "Invalid character", 1, 5},
        {"a = \"x\ny\"\n", "Invalid multi-line string", 1, 7},
        {"a = <<EOT\nnever closed\n", "Unterminated template string", 3, 1},
        {"b { c {} }\n", "Argument definition required", 1, 5},
        {"b { x = 1\n}\n", "Invalid single-argument block definition", 1, 10},
        {"b = 1\nb = 2\n", "Attribute redefined", 2, 1},
        {"b \"x\" = 1\n", "Invalid block definition", 1, 7},
        {"a = \"\\q\"\n", "Invalid escape sequence", 1, 6},
        {"/* open\n", "Unterminated comment", 1, 1},
        {"a = f(x...,y)\n", "Missing closing parenthesis", 1, 8},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_hcl_diags d = {0};
        int rc;
        sl_hcl_file *f = parse(cases[i].src, &d, &rc);
        SL_CHECK_INT(rc, SL_EINVAL);
        if (!d.n) {
            fprintf(stderr, "case %zu (%s): no diagnostic\n", i, cases[i].src);
            SL_CHECK(d.n > 0);
        } else {
            if (strcmp(d.v[0].summary, cases[i].summary) || d.v[0].subject.start.line != cases[i].line ||
                d.v[0].subject.start.col != cases[i].col)
                fprintf(stderr, "case %zu (%s): got \"%s\" at %d:%d\n", i, cases[i].src,
                        d.v[0].summary, d.v[0].subject.start.line, d.v[0].subject.start.col);
            SL_CHECK_STR(d.v[0].summary, cases[i].summary);
            SL_CHECK_INT(d.v[0].subject.start.line, cases[i].line);
            SL_CHECK_INT(d.v[0].subject.start.col, cases[i].col);
            SL_CHECK(d.v[0].detail[0] != 0);
        }
        sl_hcl_file_free(f);
        sl_hcl_diags_free(&d);
    }
}

static void test_diag_format_and_error(void)
{
    sl_hcl_diags d = {0};
    sl_buf b = SL_BUF_INIT;
    sl_error err;
    int rc;
    sl_hcl_file *f = parse("ok = 1\nbad = \"a\", 2\n", &d, &rc);

    SL_CHECK_INT(rc, SL_EINVAL);
    SL_CHECK_INT(sl_hcl_diags_format(&d, &b), 0);
    SL_CHECK_HAS(b.ptr, "Error: Unexpected comma after argument\n\n  on t.tf line 2:\n"
                        "   2: bad = \"a\", 2\n               ^\n\nArgument definitions");
    sl_error_clear(&err);
    SL_CHECK_INT(sl_hcl_diags_to_error(&d, &err), SL_EINVAL);
    SL_CHECK_STR(err.file, "t.tf");
    SL_CHECK_INT(err.line, 2);
    SL_CHECK_INT(err.col, 10);
    SL_CHECK_HAS(err.msg, "Unexpected comma after argument: ");
    sl_buf_free(&b);
    sl_hcl_file_free(f);
    /* The diagnostics outlive the file: its name is still there (the
     * module renderer converts them after freeing its trees). */
    sl_error_clear(&err);
    SL_CHECK_INT(sl_hcl_diags_to_error(&d, &err), SL_EINVAL);
    SL_CHECK_STR(err.file, "t.tf");
    SL_CHECK_INT(err.line, 2);
    sl_hcl_diags_free(&d);
}

/* Interned literals: equal texts share one value, evaluation still sees
 * each literal (and the tree's ranges stay per node). */
static void test_interned_literals(void)
{
    sl_hcl_diags d = {0};
    int rc;
    sl_hcl_file *f = parse("a = \"v1\"\nb = \"v1\"\nc = 10\nd = 10\ne = var.x\nf = var.y\n", &d, &rc);
    const sl_hcl_value *va, *vb;

    SL_CHECK_INT(rc, 0);
    SL_CHECK(f && f->body->nattrs == 6);
    SL_CHECK_INT(sl_hcl_expr_const(f->body->attrs[0].expr, &va), 1);
    SL_CHECK_INT(sl_hcl_expr_const(f->body->attrs[1].expr, &vb), 1);
    SL_CHECK(va == vb);
    SL_CHECK_STR(va->u.str.s, "v1");
    SL_CHECK(f->body->attrs[2].expr->lit == f->body->attrs[3].expr->lit);
    SL_CHECK(f->body->attrs[4].expr->name == f->body->attrs[5].expr->name);
    SL_CHECK_STR(f->body->attrs[5].expr->steps[0].name, "y");
    SL_CHECK_INT(sl_hcl_file_range(f, f->body->attrs[3].expr->range).start.line, 4);
    SL_CHECK_INT(sl_hcl_file_range(f, f->body->attrs[3].expr->range).start.col, 5);
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);
}

static void test_templates_and_heredocs(void)
{
    CHECK_EVAL("\"a ${1 + 1} b\"", "\"a 2 b\"");
    CHECK_EVAL("\"$${x} %%{y}\"", "\"${x} %{y}\"");
    CHECK_EVAL("\"\\n\\t\\\"\\\\\\u00e9\\U0001F600\"", "\"\\n\\t\\\"\\\\é😀\"");
    CHECK_EVAL("\"%{ if true }yes%{ else }no%{ endif }\"", "\"yes\"");
    CHECK_EVAL("\"%{ if false }yes%{ endif }\"", "\"\"");
    CHECK_EVAL("\"%{ for i, x in [\"a\", \"b\"] }${i}=${x};%{ endfor }\"", "\"0=a;1=b;\"");
    CHECK_EVAL("\"a  ${~ \"b\" ~}  c\"", "\"abc\"");
    CHECK_EVAL("<<EOT\nx ${1}\n  y\nEOT\n", "\"x 1\\n  y\\n\"");
    CHECK_EVAL("<<-EOT\n    x\n      y\n    EOT\n", "\"x\\n  y\\n\"");
    /* Strip markers apply before the flush: the trimmed first line leaves no
     * common indentation (as hclsyntax does). */
    CHECK_EVAL("<<-EOT\n  %{~ for x in [1, 2] ~}\n  ${x}\n  %{~ endfor ~}\n  EOT\n",
               "\"  1\\n  2\\n\"");
    CHECK_EVAL("\"x${[1]}\"", "ERROR: Invalid template interpolation value: Cannot include the "
                               "given value in a string template: string required, but have "
                               "tuple. @1:5");
    CHECK_EVAL_ERR("\"a${null}\"", "The expression result is null");
    /* A lone interpolation keeps the value's type. */
    CHECK_EVAL("\"${[1, 2]}\"", "[1,2]");
}

static void test_numbers(void)
{
    sl_hcl_arena *a = NULL;
    sl_hcl_num x, y, r;
    sl_buf b = SL_BUF_INIT;
    int64_t i;

    SL_CHECK_INT(sl_hcl_arena_new(0, &a), 0);
    /* Integers beyond 2^53 stay exact. */
    CHECK_EVAL("9007199254740993 + 2", "9007199254740995");
    CHECK_EVAL("18446744073709551616 * 18446744073709551616",
               "340282366920938463463374607431768211456");
    CHECK_EVAL("0.1 + 0.2", "0.3");
    CHECK_EVAL("1 / 4", "0.25");
    {
        /* Non-terminating quotients: SL_HCL_NUM_DIGITS significant digits, rounded. */
        char *q = hcl_eval_str("2 / 3", NULL, NULL);
        SL_CHECK_INT(strlen(q), 2 + SL_HCL_NUM_DIGITS);
        SL_CHECK(!strncmp(q, "0.666666", 8));
        SL_CHECK(q[strlen(q) - 1] == '7');
        free(q);
    }
    CHECK_EVAL("-7 % 3", "-1");
    CHECK_EVAL("7.5 % 2", "1.5");
    CHECK_EVAL("1e3 + 1.5e-2", "1000.015");
    CHECK_EVAL("-(-3)", "3");
    CHECK_EVAL_ERR("1 / 0", "divide by zero");
    CHECK_EVAL_ERR("1 % 0", "modulo by zero");
    SL_CHECK_INT(sl_hcl_num_parse(a, "-12.500e1", 9, &x), 0);
    SL_CHECK_INT(sl_hcl_num_format(&x, &b), 0);
    SL_CHECK_STR(b.ptr, "-125");
    SL_CHECK_INT(sl_hcl_num_to_i64(&x, &i), 0);
    SL_CHECK_INT(i, -125);
    SL_CHECK(sl_hcl_num_parse(a, "1.", 2, &x) == SL_EINVAL);
    SL_CHECK(sl_hcl_num_parse(a, "abc", 3, &x) == SL_EINVAL);
    SL_CHECK_INT(sl_hcl_num_parse(a, "2.5", 3, &x), 0);
    SL_CHECK_INT(sl_hcl_num_parse(a, "-2.5", 4, &y), 0);
    SL_CHECK_INT(sl_hcl_num_floor(a, &y, &r), 0);
    sl_buf_reset(&b);
    sl_hcl_num_format(&r, &b);
    SL_CHECK_STR(b.ptr, "-3");
    SL_CHECK_INT(sl_hcl_num_ceil(a, &x, &r), 0);
    sl_buf_reset(&b);
    sl_hcl_num_format(&r, &b);
    SL_CHECK_STR(b.ptr, "3");
    SL_CHECK(sl_hcl_num_cmp(&x, &y) > 0);
    SL_CHECK(sl_hcl_num_to_i64(&x, &i) == SL_EINVAL);
    SL_CHECK(sl_hcl_num_to_double(&x) == 2.5);
    SL_CHECK_INT(sl_hcl_num_from_double(a, 0.1, &r), 0);
    sl_buf_reset(&b);
    sl_hcl_num_format(&r, &b);
    SL_CHECK_STR(b.ptr, "0.1");
    sl_buf_free(&b);
    sl_hcl_arena_free(a);
}

static void test_operators(void)
{
    CHECK_EVAL("1 + 2 * 3 - 4 / 2", "5");
    CHECK_EVAL("(1 + 2) * 3", "9");
    CHECK_EVAL("-2 + 5", "3");
    CHECK_EVAL("true || false && false", "true");
    CHECK_EVAL("!true == false", "true");
    CHECK_EVAL("1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3", "true");
    CHECK_EVAL("\"1\" == 1", "false");
    CHECK_EVAL("\"1\" + 1", "2");
    CHECK_EVAL("[1, \"a\"] == [1, \"a\"]", "true");
    CHECK_EVAL("{a = 1} != {a = 2}", "true");
    CHECK_EVAL("null == null", "true");
    CHECK_EVAL("true ? \"a\" : \"b\"", "\"a\"");
    CHECK_EVAL("false ? 1 : 2 + 3", "5");
    CHECK_EVAL("\"true\" ? 1 : 2", "1");
    CHECK_EVAL_ERR("\"x\" + 1", "a number is required");
    CHECK_EVAL_ERR("null ? 1 : 2", "null");
    CHECK_EVAL_ERR("1 ? 1 : 2", "A bool is required");
    CHECK_EVAL_ERR("!1", "A bool is required");
}

static void test_collections_and_traversals(void)
{
    const char *vars = "{\"var\": {\"list\": [\"a\", \"b\"], \"map\": {\"k\": {\"n\": 1}},"
                       " \"items\": [{\"id\": 1, \"t\": {\"x\": \"p\"}}, {\"id\": 2, \"t\": {\"x\": \"q\"}}],"
                       " \"one\": {\"id\": 9}, \"nothing\": null}}";
    static const struct {
        const char *src, *want;
    } cases[] = {
        {"var.list[1]", "\"b\""},
        {"var.list.0", "\"a\""},
        {"var.map.k.n", "1"},
        {"var.map[\"k\"][\"n\"]", "1"},
        {"var.list[0 + 1]", "\"b\""},
        {"var.list[\"1\"]", "\"b\""},
        {"var.items[*].id", "[1,2]"},
        {"var.items.*.id", "[1,2]"},
        {"var.items[*].t.x", "[\"p\",\"q\"]"},
        {"var.one[*].id", "9"},
        {"var.nothing[*]", "[]"},
        {"{a = 1, \"b\" = 2, (\"c\") = 3, d: 4}", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}"},
        {"{(var.list[0]) = 1}", "{\"a\":1}"},
        {"[for i, v in var.list : \"${i}:${v}\"]", "[\"0:a\",\"1:b\"]"},
        {"{for v in var.list : v => upper(v)}", "{\"a\":\"A\",\"b\":\"B\"}"},
        {"[for k, v in var.map : k]", "[\"k\"]"},
        {"[for x in [1, 2, 3, 4] : x if x % 2 == 0]", "[2,4]"},
        {"{for x in [\"a\", \"b\", \"a\"] : x => 1...}", "{\"a\":[1,1],\"b\":[1]}"},
        {"[for x in toset([\"b\", \"a\"]) : x]", "[\"a\",\"b\"]"},
        {"max([1, 5, 2]...)", "5"},
        {"concat([1], [2])", "[1,2]"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = hcl_eval_str(cases[i].src, vars, NULL);
        if (strcmp(got, cases[i].want))
            fprintf(stderr, "case %s\n", cases[i].src);
        SL_CHECK_STR(got, cases[i].want);
        free(got);
    }
    {
        char *got = hcl_eval_str("var.list[5]", vars, NULL);
        SL_CHECK_HAS(got, "ERROR: Invalid index: The given key does not identify an element in "
                          "this collection value: the collection has 2 elements. @1:9");
        free(got);
        got = hcl_eval_str("var.nope", vars, NULL);
        SL_CHECK_HAS(got, "Unsupported attribute: This object does not have an attribute named "
                          "\"nope\".");
        free(got);
        got = hcl_eval_str("nope.x", vars, NULL);
        SL_CHECK_STR(got, "ERROR: Unknown variable: There is no variable named \"nope\". @1:1");
        free(got);
        got = hcl_eval_str("var.nothing.x", vars, NULL);
        SL_CHECK_HAS(got, "Attempt to get attribute from null value");
        free(got);
        got = hcl_eval_str("{for x in [\"a\", \"a\"] : x => 1}", vars, NULL);
        SL_CHECK_HAS(got, "Duplicate object key");
        free(got);
        got = hcl_eval_str("[for x in null : x]", vars, NULL);
        SL_CHECK_HAS(got, "Iteration over null value");
        free(got);
        got = hcl_eval_str("max(1...)", vars, NULL);
        SL_CHECK_HAS(got, "Invalid expanding argument value");
        free(got);
        got = hcl_eval_str("nosuchfn(1)", vars, NULL);
        SL_CHECK_HAS(got, "Call to unknown function: There is no function named \"nosuchfn\".");
        free(got);
        got = hcl_eval_str("upper()", vars, NULL);
        SL_CHECK_HAS(got, "Not enough function arguments");
        free(got);
        got = hcl_eval_str("upper(\"a\", \"b\")", vars, NULL);
        SL_CHECK_HAS(got, "Too many function arguments");
        free(got);
    }
}

static void test_types_and_conversion(void)
{
    sl_hcl_diags d = {0};
    sl_hcl_file *f = NULL;
    sl_hcl_expr *e;
    sl_hcl_arena *a = NULL;
    const sl_hcl_type *t;
    const sl_hcl_value *v, *out;
    sl_buf why = SL_BUF_INIT, b = SL_BUF_INIT;
    cJSON *j;
    const char *src = "object({name = string, size = optional(number, 10), tags = "
                      "optional(list(string)), nested = map(object({on = bool}))})";

    sl_hcl_arena_new(0, &a);
    SL_CHECK_INT(sl_hcl_parse_expr("type", src, strlen(src), NULL, &f, &e, &d), 0);
    SL_CHECK_INT(sl_hcl_type_from_expr(a, f, e, 1, &t, &d), 0);
    SL_CHECK_INT(sl_hcl_type_format(t, &b), 0);
    SL_CHECK_STR(b.ptr, "object({name=string,nested=map(object({on=bool})),size=optional(number),"
                        "tags=optional(list(string))})");
    /* Conversion applies defaults, converts primitives and drops extras. */
    j = cJSON_Parse("{\"name\": 5, \"nested\": {\"x\": {\"on\": \"true\"}}, \"extra\": 1}");
    SL_CHECK_INT(sl_hcl_value_from_json(a, j, &v), 0);
    cJSON_Delete(j);
    SL_CHECK_INT(sl_hcl_convert(a, v, t, &out, &why), 0);
    sl_buf_reset(&b);
    sl_hcl_value_write_json(out, &b);
    SL_CHECK_STR(b.ptr, "{\"name\":\"5\",\"nested\":{\"x\":{\"on\":true}},\"size\":10,\"tags\":null}");
    /* A missing required attribute and a bad nested value are named. */
    j = cJSON_Parse("{\"nested\": {}}");
    sl_hcl_value_from_json(a, j, &v);
    cJSON_Delete(j);
    SL_CHECK_INT(sl_hcl_convert(a, v, t, &out, &why), SL_EINVAL);
    SL_CHECK_STR(why.ptr, "attribute \"name\" is required");
    j = cJSON_Parse("{\"name\": \"x\", \"nested\": {\"k\": {\"on\": \"maybe\"}}}");
    sl_hcl_value_from_json(a, j, &v);
    cJSON_Delete(j);
    SL_CHECK_INT(sl_hcl_convert(a, v, t, &out, &why), SL_EINVAL);
    SL_CHECK_HAS(why.ptr, "attribute \"nested\": element \"k\": attribute \"on\": a bool is "
                          "required");
    /* Unification: a tuple of number and string becomes list(string). */
    j = cJSON_Parse("[1, \"a\"]");
    sl_hcl_value_from_json(a, j, &v);
    cJSON_Delete(j);
    SL_CHECK_INT(sl_hcl_convert(a, v, sl_hcl_type_list(a, &sl_hcl_t_dynamic), &out, &why), 0);
    sl_buf_reset(&b);
    sl_hcl_type_format(out->type, &b);
    SL_CHECK_STR(b.ptr, "list(string)");
    j = cJSON_Parse("[true, 1]");
    sl_hcl_value_from_json(a, j, &v);
    cJSON_Delete(j);
    SL_CHECK_INT(sl_hcl_convert(a, v, sl_hcl_type_list(a, &sl_hcl_t_dynamic), &out, &why),
                 SL_EINVAL);
    SL_CHECK_STR(why.ptr, "all list elements must have the same type");
    /* Bad type expressions. */
    sl_hcl_file_free(f);
    f = NULL;
    SL_CHECK_INT(sl_hcl_parse_expr("type", "list(strin)", 11, NULL, &f, &e, &d), 0);
    SL_CHECK_INT(sl_hcl_type_from_expr(a, f, e, 1, &t, &d), SL_EINVAL);
    SL_CHECK_HAS(d.v[d.n - 1].detail, "\"strin\" is not a valid type specification");
    sl_hcl_file_free(f);
    f = NULL;
    SL_CHECK_INT(sl_hcl_parse_expr("type", "object({a = optional(string)})", 30, NULL, &f, &e, &d),
                 0);
    SL_CHECK_INT(sl_hcl_type_from_expr(a, f, e, 0, &t, &d), SL_EINVAL);
    sl_hcl_file_free(f);
    sl_buf_free(&why);
    sl_buf_free(&b);
    sl_hcl_diags_free(&d);
    sl_hcl_arena_free(a);
}

static int collect_ref(void *ud, const sl_hcl_expr *trav)
{
    sl_buf *b = ud;
    sl_buf_printf(b, "%s%s", b->len ? " " : "", trav->name);
    for (size_t i = 0; i < trav->nsteps; i++)
        if (!trav->steps[i].is_index)
            sl_buf_printf(b, ".%s", trav->steps[i].name);
    return 0;
}

static void test_refs_and_json(void)
{
    sl_hcl_diags d = {0};
    sl_hcl_file *f = NULL;
    sl_hcl_expr *e;
    sl_buf b = SL_BUF_INIT;
    cJSON *j;
    char *s;
    const char *src = "[for k, v in var.m : \"${k}-${local.prefix}\" if v != module.x.y[0]]";
    int rc;

    SL_CHECK_INT(sl_hcl_parse_expr("r", src, strlen(src), NULL, &f, &e, &d), 0);
    SL_CHECK_INT(sl_hcl_expr_refs(e, collect_ref, &b), 0);
    SL_CHECK_STR(b.ptr, "var.m local.prefix module.x.y");
    sl_hcl_file_free(f);
    f = parse("resource \"k\" \"a\" {\n  n = 1\n  s = \"x${y}\"\n  e = a.b\n}\nresource \"k\" \"b\" {}\n",
              &d, &rc);
    SL_CHECK_INT(rc, 0);
    SL_CHECK_INT(sl_hcl_to_json(f, &j), 0);
    s = cJSON_PrintUnformatted(j);
    SL_CHECK_STR(s, "{\"resource\":{\"k\":{\"a\":[{\"n\":1,\"s\":\"x${y}\",\"e\":\"${a.b}\"}],"
                    "\"b\":[{}]}}}");
    free(s);
    cJSON_Delete(j);
    sl_hcl_file_free(f);
    sl_buf_free(&b);
    sl_hcl_diags_free(&d);
}

static void test_nfc_and_unicode(void)
{
    CHECK_EVAL("\"an\\u0303o\"", "\"año\"");
    CHECK_EVAL("\"\\u1100\\u1161\"", "\"가\"");
    CHECK_EVAL("\"e\\u0301\" == \"\\u00e9\"", "true");
}

static void test_limits(void)
{
    sl_hcl_diags d = {0};
    sl_hcl_limits lim = {0};
    sl_hcl_file *f = NULL;
    sl_buf b = SL_BUF_INIT;
    int rc;

    sl_buf_puts(&b, "a = ");
    for (int i = 0; i < 5000; i++)
        sl_buf_putc(&b, '[');
    lim.max_depth = 100;
    rc = sl_hcl_parse("deep.hcl", b.ptr, b.len, &lim, &f, &d);
    SL_CHECK_INT(rc, SL_EINVAL);
    SL_CHECK(d.n > 0);
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);
    lim.max_bytes = 10;
    f = NULL;
    rc = sl_hcl_parse("big.hcl", b.ptr, b.len, &lim, &f, &d);
    SL_CHECK_INT(rc, SL_ELIMIT);
    SL_CHECK(f == NULL);
    sl_hcl_diags_free(&d);
    sl_buf_free(&b);
    f = NULL;
    rc = sl_hcl_parse("bad.hcl", "a = \"\xff\"\n", 8, NULL, &f, &d);
    SL_CHECK_INT(rc, SL_EINVAL);
    SL_CHECK_STR(d.v[0].summary, "Invalid character encoding");
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);
    /* A traversal's step count is capped (it lives in 18 bits of a node). */
    sl_buf_puts(&b, "a = x");
    for (unsigned i = 0; i <= SL_HCL_MAX_STEPS; i++)
        sl_buf_puts(&b, ".y");
    f = NULL;
    rc = sl_hcl_parse("long.hcl", b.ptr, b.len, NULL, &f, &d);
    SL_CHECK_INT(rc, SL_EINVAL);
    SL_CHECK(d.n == 1 && !strcmp(d.v[0].summary, "Traversal too long"));
    SL_CHECK_INT(d.v[0].subject.start.col, 6 + 2 * (int)SL_HCL_MAX_STEPS);
    SL_CHECK(f && f->body->attrs[0].expr->nsteps == SL_HCL_MAX_STEPS);
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);
    sl_buf_free(&b);
}

/* The tree's byte spans and their line:column (BOM skipped, columns in
 * characters), bare object keys as literals (not references), a quoted
 * string as one literal node, and a source buffer taken over by the file. */
static void test_spans_and_owned_source(void)
{
    const char *src = "\xEF\xBB\xBF" "a = \"h\xC3\xA9llo\"\n"
                      "obj = { name = local.x, (local.k) = 2, \"q\" = 3 }\n"
                      "  b = \"x\" // c\n";
    size_t len = strlen(src);
    char *own = strdup(src);
    sl_hcl_diags d = {0};
    sl_hcl_file *f = NULL;
    const sl_hcl_expr *e, *o;
    sl_hcl_range r;
    sl_hcl_span eof = {(uint32_t)len, (uint32_t)len};
    sl_buf b = SL_BUF_INIT;
    sl_error err;

    SL_CHECK_INT(sl_hcl_parse_owned("s.tf", own, len, NULL, &f, &d), 0);
    SL_CHECK(f && f->src == own);
    e = f->body->attrs[0].expr;
    SL_CHECK_INT(e->kind, SL_HCL_E_LITERAL);
    SL_CHECK_STR(e->lit->u.str.s, "h\xC3\xA9llo");
    SL_CHECK_INT(e->range.start, 7);
    SL_CHECK_INT(e->range.end, 15);
    r = sl_hcl_file_range(f, e->range);
    SL_CHECK_STR(r.file, "s.tf");
    SL_CHECK_INT(r.start.line, 1);
    SL_CHECK_INT(r.start.col, 5);
    SL_CHECK_INT(r.end.col, 12);
    SL_CHECK_INT(r.end.byte, 15);
    o = f->body->attrs[1].expr;
    SL_CHECK_INT(o->kind, SL_HCL_E_OBJECT);
    SL_CHECK_INT(o->nsub, 6);
    SL_CHECK_INT(o->sub[0]->kind, SL_HCL_E_LITERAL);
    SL_CHECK_STR(o->sub[0]->lit->u.str.s, "name");
    SL_CHECK_INT(o->sub[1]->kind, SL_HCL_E_PARENS);
    SL_CHECK_INT(o->sub[2]->kind, SL_HCL_E_LITERAL);
    SL_CHECK_INT(sl_hcl_expr_refs(o, collect_ref, &b), 0);
    SL_CHECK_STR(b.ptr, "local.x local.k");
    r = sl_hcl_file_range(f, f->body->attrs[2].name_range);
    SL_CHECK_INT(r.start.line, 3);
    SL_CHECK_INT(r.start.col, 3);
    r = sl_hcl_file_range(f, eof);
    SL_CHECK_INT(r.start.line, 4);
    SL_CHECK_INT(r.start.col, 1);
    /* A diagnostic at a span names its line and column. */
    SL_CHECK_INT(sl_hcl_diag_error_at(&d, f, o->sub[2]->range, "Bad key", "%s", "q"), SL_EINVAL);
    sl_hcl_file_free(f);
    SL_CHECK_INT(sl_hcl_diags_to_error(&d, &err), SL_EINVAL);
    SL_CHECK_STR(err.file, "s.tf");
    SL_CHECK_INT(err.line, 2);
    SL_CHECK_INT(err.col, 40);
    sl_hcl_diags_free(&d);
    /* Over the size limit: the buffer is freed all the same. */
    {
        sl_hcl_limits lim = {0};
        lim.max_bytes = 4;
        f = NULL;
        SL_CHECK_INT(sl_hcl_parse_owned("big.tf", strdup(src), len, &lim, &f, &d), SL_ELIMIT);
        SL_CHECK(f == NULL);
        sl_hcl_diags_free(&d);
    }
    sl_buf_free(&b);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_body_structure), SL_TEST_ENTRY(test_syntax_errors),
             SL_TEST_ENTRY(test_diag_format_and_error), SL_TEST_ENTRY(test_templates_and_heredocs),
             SL_TEST_ENTRY(test_numbers), SL_TEST_ENTRY(test_operators),
             SL_TEST_ENTRY(test_collections_and_traversals),
             SL_TEST_ENTRY(test_types_and_conversion), SL_TEST_ENTRY(test_refs_and_json),
             SL_TEST_ENTRY(test_nfc_and_unicode), SL_TEST_ENTRY(test_limits),
             SL_TEST_ENTRY(test_interned_literals), SL_TEST_ENTRY(test_spans_and_owned_source))
