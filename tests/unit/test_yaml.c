/* test_yaml.c: YAML/JSON reading (resolution, positions, anchors, limits,
 * errors) and the YAML writer (exact layout, quoting, round trips). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sl_doc.h"
#include "sl_test.h"

/* Parse YAML text; returns rc. */
static int parse(const char *text, const sl_doc_limits *lim, sl_posmap *pm, sl_docv *dv,
                 sl_error *err)
{
    sl_error_clear(err);
    return sl_yaml_parse("in.yaml", text, strlen(text), lim, pm, dv, err);
}

/* Parse one YAML document and return it as compact JSON (caller frees), or
 * NULL (error printed) when it fails or has not exactly one document. */
static char *y2j(const char *text)
{
    sl_docv dv = {0};
    sl_error err;
    char *s = NULL, eb[2048];

    if (parse(text, NULL, NULL, &dv, &err)) {
        fprintf(stderr, "parse failed: %s\n", sl_error_format(&err, eb, sizeof(eb)));
        return NULL;
    }
    if (dv.n == 1)
        s = cJSON_PrintUnformatted(dv.v[0]);
    else
        fprintf(stderr, "expected 1 document, got %zu\n", dv.n);
    sl_docv_free(&dv);
    return s;
}

#define CHECK_Y2J(yaml, json)                                                                      \
    do {                                                                                           \
        char *got_ = y2j(yaml);                                                                    \
        SL_CHECK_STR(got_, json);                                                                  \
        free(got_);                                                                                \
    } while (0)

/* "v: <plain>" reads as {"v": <json>} */
static void test_resolution_table(void)
{
    static const struct {
        const char *plain, *json;
    } t[] = {
        /* null */
        {"~", "null"},
        {"null", "null"},
        {"Null", "null"},
        {"NULL", "null"},
        {"", "null"},
        {"nULL", "\"nULL\""},
        /* bool: YAML 1.1 words */
        {"y", "true"},
        {"Y", "true"},
        {"yes", "true"},
        {"Yes", "true"},
        {"YES", "true"},
        {"on", "true"},
        {"On", "true"},
        {"ON", "true"},
        {"true", "true"},
        {"True", "true"},
        {"TRUE", "true"},
        {"n", "false"},
        {"N", "false"},
        {"no", "false"},
        {"No", "false"},
        {"NO", "false"},
        {"off", "false"},
        {"Off", "false"},
        {"OFF", "false"},
        {"false", "false"},
        {"False", "false"},
        {"FALSE", "false"},
        {"yES", "\"yES\""},
        {"tRUE", "\"tRUE\""},
        /* int: Go ParseInt(base 0) with '_' removed */
        {"0", "0"},
        {"-0", "0"},
        {"12", "12"},
        {"+12", "12"},
        {"-3", "-3"},
        {"0x1F", "31"},
        {"0X1f", "31"},
        {"-0x10", "-16"},
        {"0o17", "15"},
        {"0755", "493"},
        {"0b101", "5"},
        {"-0b11", "-3"},
        {"0b-101", "-5"},
        {"1_000", "1000"},
        {"1__0", "10"},
        {"0x_1F", "31"},
        {"08", "8"},
        {"0b", "\"0b\""},
        {"0x", "\"0x\""},
        {"0b102", "\"0b102\""},
        {"4294967296", "4294967296"},
        {"-9223372036854775808", "-9.2233720368547758e+18"},
        /* float */
        {"1.5", "1.5"},
        {"1e3", "1000"},
        {"1E3", "1000"},
        {".5", "0.5"},
        {"+.5", "0.5"},
        {"-1.5e-3", "-0.0015"},
        {"1.", "1"},
        {"1_0.5", "10.5"},
        {".5_0", "0.5"},
        {"1e", "\"1e\""},
        {"1e400", "\"1e400\""},
        {"._5", "\"._5\""},
        {"1.2.3", "\"1.2.3\""},
        {"+", "\"+\""},
        {"-1-", "\"-1-\""},
        {".", "\".\""},
        {"nan", "\"nan\""},
        {"inf", "\"inf\""},
        {"+.nan", "\"+.nan\""},
        /* timestamps and base 60 stay strings */
        {"2001-12-14", "\"2001-12-14\""},
        {"2001-12-14t21:59:43.10-05:00", "\"2001-12-14t21:59:43.10-05:00\""},
        {"1:20", "\"1:20\""},
        /* text */
        {"abc", "\"abc\""},
        {"-x", "\"-x\""},
        {"12 monkeys", "\"12 monkeys\""},
        {"nginx:1.25", "\"nginx:1.25\""},
        {"100m", "\"100m\""},
        {"512Mi", "\"512Mi\""},
        {"<<", "\"<<\""},
    };
    char yaml[128], json[128];

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        snprintf(yaml, sizeof(yaml), "v: %s\n", t[i].plain);
        snprintf(json, sizeof(json), "{\"v\":%s}", t[i].json);
        char *got = y2j(yaml);
        if (!got || strcmp(got, json))
            fprintf(stderr, "  plain scalar [%s]\n", t[i].plain);
        SL_CHECK_STR(got, json);
        free(got);
    }
    /* the writer's view of the same table */
    SL_CHECK_INT(sl_yaml_plain_kind("yes", 3), SL_YAML_BOOL);
    SL_CHECK_INT(sl_yaml_plain_kind("0o17", 4), SL_YAML_INT);
    SL_CHECK_INT(sl_yaml_plain_kind(".5", 2), SL_YAML_FLOAT);
    SL_CHECK_INT(sl_yaml_plain_kind("", 0), SL_YAML_NULL);
    SL_CHECK_INT(sl_yaml_plain_kind("-.Inf", 5), SL_YAML_NONFINITE);
    SL_CHECK_INT(sl_yaml_plain_kind("2001-12-14", 10), SL_YAML_TIMESTAMP);
    SL_CHECK_INT(sl_yaml_plain_kind("2001-02-30", 10), SL_YAML_STR);
    SL_CHECK_INT(sl_yaml_plain_kind("web", 3), SL_YAML_STR);
}

static void test_quoted_and_block_scalars(void)
{
    CHECK_Y2J("a: 'yes'\nb: \"0755\"\nc: ''\nd: \"\"\ne: 'it''s'\nf: \"t\\tx\\u00e9\"\n",
              "{\"a\":\"yes\",\"b\":\"0755\",\"c\":\"\",\"d\":\"\",\"e\":\"it's\","
              "\"f\":\"t\\tx\xc3\xa9\"}");
    CHECK_Y2J("a: |\n  12\n  yes\nb: >\n  folded\n  text\nc: |-\n  true\nd: |+\n  x\n\n",
              "{\"a\":\"12\\nyes\\n\",\"b\":\"folded text\\n\",\"c\":\"true\",\"d\":\"x\\n\\n\"}");
    /* plain multi-line scalars fold and then resolve */
    CHECK_Y2J("a: 12\n  34\n", "{\"a\":\"12 34\"}");
}

static void test_tags(void)
{
    CHECK_Y2J("[!!str 12, !!int \"12\", !!float 3, !!float '1e3', !!bool \"yes\", !!null '', "
              "! 12, !foo 12, !foo \"12\", !!binary aGVsbG8=, !!timestamp 2001-12-14, "
              "!<tag:yaml.org,2002:str> 5, !!seq [1], !foo {x: 1}]",
              "[\"12\",12,3,1000,true,null,\"12\",\"12\",\"12\",\"hello\",\"2001-12-14\","
              "\"5\",[1],{\"x\":1}]");
    sl_docv dv = {0};
    sl_error err;
    SL_CHECK_INT(parse("a: !!int 1.5\n", NULL, NULL, &dv, &err), SL_EINVAL);
    SL_CHECK_STR(err.msg, "!!int does not fit this scalar, which reads as a float");
    SL_CHECK_INT(err.line, 1);
    SL_CHECK_INT(err.col, 4);
    SL_CHECK_INT(parse("a: !!bool maybe\n", NULL, NULL, &dv, &err), SL_EINVAL);
    SL_CHECK_INT(parse("a: !!binary '%%%'\n", NULL, NULL, &dv, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "base64");
    SL_CHECK_INT(parse("a: !!timestamp 2001-13-01\n", NULL, NULL, &dv, &err), SL_EINVAL);
    SL_CHECK_INT(dv.n, 0);
}

static void test_nonfinite_and_nul_refused(void)
{
    static const char *bad[] = {"a: .inf\n", "a: -.Inf\n", "a: .NaN\n", "a: +.INF\n",
                                "a: !!float .nan\n"};
    sl_docv dv = {0};
    sl_error err;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        SL_CHECK_INT(parse(bad[i], NULL, NULL, &dv, &err), SL_EINVAL);
        SL_CHECK_HAS(err.msg, "JSON");
        SL_CHECK_INT(err.line, 1);
        SL_CHECK_INT(err.col, 4);
    }
    CHECK_Y2J("a: '.inf'\n", "{\"a\":\".inf\"}");
    SL_CHECK_INT(parse("a: \"x\\0y\"\n", NULL, NULL, &dv, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "NUL");
    SL_CHECK_INT(dv.n, 0);
}

static void test_keys(void)
{
    /* non-string keys become strings the way sigs.k8s.io/yaml makes them */
    CHECK_Y2J(
        "1: a\n0x10: b\n0755: c\nyes: d\nn: e\n1.5: f\n1e6: g\n2.50: h\n'1.0': i\n.inf: j\n"
        "2001-12-14: k\n",
        "{\"1\":\"a\",\"16\":\"b\",\"493\":\"c\",\"true\":\"d\",\"false\":\"e\",\"1.5\":\"f\","
        "\"1e+06\":\"g\",\"2.5\":\"h\",\"1.0\":\"i\",\".inf\":\"j\",\"2001-12-14\":\"k\"}");
    sl_docv dv = {0};
    sl_error err;
    SL_CHECK_INT(parse("a: 1\n~: 2\n", NULL, NULL, &dv, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "null");
    SL_CHECK_INT(err.line, 2);
    SL_CHECK_INT(err.col, 1);
    SL_CHECK_INT(parse("? [a, b]\n: c\n", NULL, NULL, &dv, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "mapping key must be a scalar");
    SL_CHECK_INT(err.line, 1);
    SL_CHECK_INT(err.col, 3);
    SL_CHECK_INT(parse("{a: 1}: x\n", NULL, NULL, &dv, &err), SL_EINVAL);
    SL_CHECK_INT(err.col, 1);
    SL_CHECK_INT(dv.n, 0);
}

static void test_duplicate_keys(void)
{
    sl_docv dv = {0};
    sl_error err;
    char text[8192], *p = text;

    SL_CHECK_INT(parse("metadata:\n  name: a\n  labels: {}\n  name: b\n", NULL, NULL, &dv, &err),
                 SL_EINVAL);
    SL_CHECK_STR(err.file, "in.yaml");
    SL_CHECK_INT(err.line, 4);
    SL_CHECK_INT(err.col, 3);
    SL_CHECK_HAS(err.msg, "duplicate mapping key \"name\"");
    SL_CHECK_HAS(err.msg, "in.yaml:2:3");
    /* keys that only become equal after resolution */
    SL_CHECK_INT(parse("{1: a, 0x1: b}\n", NULL, NULL, &dv, &err), SL_EINVAL);
    SL_CHECK_INT(err.col, 8);
    SL_CHECK_HAS(err.msg, "1:2");
    /* a big mapping (sorted check): the first repeated key in file order */
    for (int i = 0; i < 100; i++)
        p += sprintf(p, "k%d: %d\n", i, i);
    p += sprintf(p, "k77: x\nk5: y\n");
    SL_CHECK_INT(parse(text, NULL, NULL, &dv, &err), SL_EINVAL);
    SL_CHECK_INT(err.line, 101);
    SL_CHECK_HAS(err.msg, "\"k77\" (first defined at in.yaml:78:1)");
    /* same key in different mappings is fine */
    CHECK_Y2J("a: {x: 1}\nb: {x: 2}\n", "{\"a\":{\"x\":1},\"b\":{\"x\":2}}");
    SL_CHECK_INT(dv.n, 0);
}

static void test_multi_document(void)
{
    const char *text = "# leading comment\n"
                       "a: 1\n"
                       "---\n"
                       "---\n"
                       "# only a comment\n"
                       "---\n"
                       "- x\n"
                       "...\n"
                       "--- ~\n"
                       "--- null\n"
                       "---\n"
                       "  b: &x 2\n"
                       "  c: *x\n";
    sl_docv dv = {0};
    sl_error err;
    sl_posmap *pm;

    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    SL_CHECK_INT(parse(text, NULL, pm, &dv, &err), 0);
    SL_CHECK_INT(dv.n, 3);
    if (dv.n == 3) {
        char *s0 = cJSON_PrintUnformatted(dv.v[0]), *s1 = cJSON_PrintUnformatted(dv.v[1]),
             *s2 = cJSON_PrintUnformatted(dv.v[2]);
        SL_CHECK_STR(s0, "{\"a\":1}");
        SL_CHECK_STR(s1, "[\"x\"]");
        SL_CHECK_STR(s2, "{\"b\":2,\"c\":2}");
        free(s0);
        free(s1);
        free(s2);
        SL_CHECK_INT(dv.pos[0].line, 2);
        SL_CHECK_INT(dv.pos[0].col, 1);
        SL_CHECK_INT(dv.pos[1].line, 7);
        SL_CHECK_INT(dv.pos[2].line, 12);
        SL_CHECK_INT(dv.pos[2].col, 3);
        SL_CHECK_STR(dv.pos[2].file, "in.yaml");
    }
    /* anchors do not carry over to the next document */
    sl_docv_free(&dv);
    SL_CHECK_INT(parse("a: &x 1\n---\nb: *x\n", NULL, pm, &dv, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "unknown anchor 'x'");
    SL_CHECK_INT(err.line, 3);
    SL_CHECK_INT(err.col, 4);
    SL_CHECK_INT(dv.n, 0);
    /* an empty stream has no documents */
    SL_CHECK_INT(parse("", NULL, pm, &dv, &err), 0);
    SL_CHECK_INT(parse("# nothing\n\n", NULL, pm, &dv, &err), 0);
    SL_CHECK_INT(dv.n, 0);
    /* on error nothing is appended, even after good documents */
    SL_CHECK_INT(parse("a: 1\n---\nb: [\n", NULL, pm, &dv, &err), SL_EINVAL);
    SL_CHECK_INT(dv.n, 0);
    sl_docv_free(&dv);
    sl_posmap_free(pm);
}

#define check_pos(pm, node, line, col) check_pos_(pm, node, line, col, __LINE__)
static void check_pos_(const sl_posmap *pm, const cJSON *node, int line, int col, int at)
{
    sl_pos p;

    if (sl_posmap_get(pm, node, &p) == 0 && (p.line != line || p.col != col))
        fprintf(stderr, "  position checked at line %d\n", at);
    SL_CHECK(node != NULL);
    SL_CHECK_INT(sl_posmap_get(pm, node, &p), 0);
    SL_CHECK_STR(p.file, "in.yaml");
    SL_CHECK_INT(p.line, line);
    SL_CHECK_INT(p.col, col);
}

static void test_positions(void)
{
    const char *text = "apiVersion: v1\n"                /* 1 */
                       "kind: List\n"                    /* 2 */
                       "items:\n"                        /* 3 */
                       "- metadata:\n"                   /* 4 */
                       "    name: a\n"                   /* 5 */
                       "  spec:\n"                       /* 6 */
                       "    ports: [80, {port: 443}]\n"  /* 7 */
                       "    text: |\n"                   /* 8 */
                       "      hello\n"                   /* 9 */
                       "- \"quoted \\u00e9t\\u00e9\"\n"  /* 10 */
                       "- caf\xc3\xa9: [\xc3\xa9, x]\n"; /* 11: columns count characters */
    sl_docv dv = {0};
    sl_error err;
    sl_posmap *pm;

    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    SL_CHECK_INT(parse(text, NULL, pm, &dv, &err), 0);
    SL_CHECK_INT(dv.n, 1);
    if (dv.n == 1) {
        const cJSON *root = dv.v[0], *items = sl_doc_path(root, "items");
        check_pos(pm, root, 1, 1);
        check_pos(pm, sl_doc_path(root, "apiVersion"), 1, 13);
        check_pos(pm, items, 4, 1);
        check_pos(pm, sl_doc_path(root, "items.0"), 4, 3);
        check_pos(pm, sl_doc_path(root, "items.0.metadata"), 5, 5);
        check_pos(pm, sl_doc_path(root, "items.0.metadata.name"), 5, 11);
        check_pos(pm, sl_doc_path(root, "items.0.spec.ports"), 7, 12);
        check_pos(pm, sl_doc_path(root, "items.0.spec.ports.0"), 7, 13);
        check_pos(pm, sl_doc_path(root, "items.0.spec.ports.1"), 7, 17);
        check_pos(pm, sl_doc_path(root, "items.0.spec.ports.1.port"), 7, 24);
        check_pos(pm, sl_doc_path(root, "items.0.spec.text"), 8, 11);
        check_pos(pm, sl_doc_path(root, "items.1"), 10, 3);
        check_pos(pm, sl_doc_path(root, "items.2"), 11, 3);
        check_pos(pm, sl_doc_path(root, "items.2.caf\xc3\xa9.1"), 11, 13);
        SL_CHECK_INT(dv.pos[0].line, 1);
        SL_CHECK_INT(dv.pos[0].col, 1);
    }
    sl_docv_free(&dv);
    sl_posmap_free(pm);
}

static void test_alias_key_duplicate(void)
{
    const char *text = "base: &base\n"
                       "  image: nginx\n"
                       "  replicas: 1\n"
                       "extra: &extra {replicas: 5, port: 80}\n"
                       "m1:\n"
                       "  <<: *base\n"
                       "  replicas: 3\n"
                       "m2:\n"
                       "  replicas: 4\n"
                       "  <<: [*extra, *base]\n"
                       "m3: {<<: [{a: 1}, {a: 2, b: 2}], b: 9}\n"
                       "list: &l [1, {x: y}]\n"
                       "copy: *l\n"
                       "&k key: v\n"
                       "other: *k\n"
                       "*k : w\n";
    sl_docv dv = {0};
    sl_error err;
    sl_posmap *pm;

    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    /* the last line repeats "key" through the alias */
    SL_CHECK_INT(parse(text, NULL, pm, &dv, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "duplicate mapping key \"key\"");
    SL_CHECK_INT(err.line, 16);
    SL_CHECK_INT(dv.n, 0);
    sl_posmap_free(pm);
}

static void test_anchors_and_merge(void)
{
    const char *text = "base: &base\n"                            /* 1 */
                       "  image: nginx\n"                         /* 2 */
                       "  replicas: 1\n"                          /* 3 */
                       "extra: &extra {replicas: 5, port: 80}\n"  /* 4 */
                       "m1:\n"                                    /* 5 */
                       "  <<: *base\n"                            /* 6 */
                       "  replicas: 3\n"                          /* 7 */
                       "m2:\n"                                    /* 8 */
                       "  replicas: 4\n"                          /* 9 */
                       "  <<: [*extra, *base]\n"                  /* 10 */
                       "m3: {<<: [{a: 1}, {a: 2, b: 2}], b: 9}\n" /* 11 */
                       "m4: {a: 1, <<: {a: 2, c: 3}}\n"           /* 12 */
                       "list: &l [1, {x: z}]\n"                   /* 13 */
                       "copy: *l\n"                               /* 14 */
                       "&k key: v\n"                              /* 15 */
                       "other: *k\n"                              /* 16 */
                       "nested: &n {inner: &i [1]}\n"             /* 17 */
                       "again: *i\n";                             /* 18 */
    sl_docv dv = {0};
    sl_error err;
    sl_posmap *pm;
    char *s;

    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    SL_CHECK_INT(parse(text, NULL, pm, &dv, &err), 0);
    SL_CHECK_INT(dv.n, 1);
    if (dv.n != 1)
        goto out;
    s = cJSON_PrintUnformatted(sl_doc_path(dv.v[0], "m1"));
    SL_CHECK_STR(s, "{\"replicas\":3,\"image\":\"nginx\"}");
    free(s);
    /* explicit keys win; earlier merge sources win over later ones */
    s = cJSON_PrintUnformatted(sl_doc_path(dv.v[0], "m2"));
    SL_CHECK_STR(s, "{\"replicas\":4,\"image\":\"nginx\",\"port\":80}");
    free(s);
    s = cJSON_PrintUnformatted(sl_doc_path(dv.v[0], "m3"));
    SL_CHECK_STR(s, "{\"b\":9,\"a\":1}");
    free(s);
    s = cJSON_PrintUnformatted(sl_doc_path(dv.v[0], "m4"));
    SL_CHECK_STR(s, "{\"a\":1,\"c\":3}");
    free(s);
    s = cJSON_PrintUnformatted(sl_doc_path(dv.v[0], "copy"));
    SL_CHECK_STR(s, "[1,{\"x\":\"z\"}]");
    free(s);
    SL_CHECK_STR(sl_doc_str(dv.v[0], "other"), "key");
    s = cJSON_PrintUnformatted(sl_doc_path(dv.v[0], "again"));
    SL_CHECK_STR(s, "[1]");
    free(s);
    /* copies are deep: distinct nodes; the copy's root sits at the alias,
     * its insides keep the positions of the anchored original */
    SL_CHECK(sl_doc_path(dv.v[0], "copy.1") != sl_doc_path(dv.v[0], "list.1"));
    check_pos(pm, sl_doc_path(dv.v[0], "copy"), 14, 7);
    check_pos(pm, sl_doc_path(dv.v[0], "copy.1.x"), 13, 18);
    check_pos(pm, sl_doc_path(dv.v[0], "m1.image"), 2, 10);
out:
    sl_docv_free(&dv);

    /* merge errors and alias errors */
    SL_CHECK_INT(parse("a: &a [1]\nb:\n  <<: *a\n", NULL, pm, &dv, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "merge key");
    SL_CHECK_INT(err.line, 3);
    SL_CHECK_INT(err.col, 7);
    SL_CHECK_INT(parse("b:\n  <<: 5\n", NULL, pm, &dv, &err), SL_EINVAL);
    SL_CHECK_INT(parse("b:\n  <<: [{a: 1}, 2]\n", NULL, pm, &dv, &err), SL_EINVAL);
    SL_CHECK_INT(parse("a: &a [1, *a]\n", NULL, pm, &dv, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "contains it");
    SL_CHECK_INT(err.col, 11);
    /* a quoted "<<" is an ordinary key */
    CHECK_Y2J("'<<': {a: 1}\n", "{\"<<\":{\"a\":1}}");
    SL_CHECK_INT(dv.n, 0);
    sl_posmap_free(pm);
}

static void test_billion_laughs(void)
{
    const char *text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                       "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    sl_docv dv = {0};
    sl_error err;
    sl_posmap *pm;
    clock_t t0 = clock();

    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    SL_CHECK_INT(parse(text, NULL, pm, &dv, &err), SL_ELIMIT);
    SL_CHECK_HAS(err.msg, "limits.maxNodes");
    SL_CHECK_STR(err.file, "in.yaml");
    SL_CHECK_INT(err.line, 7); /* 9^6 + ... nodes: the g line crosses 1,000,000 */
    SL_CHECK(err.col > 0);
    SL_CHECK_INT(dv.n, 0);
    printf("  billion laughs refused in %.3f s\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
    /* a small budget counts the expansions too */
    sl_doc_limits lim = {0, 21, 0};
    SL_CHECK_INT(parse("a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n", &lim, pm, &dv, &err), SL_ELIMIT);
    SL_CHECK_INT(err.line, 2);
    lim.max_nodes = 22; /* 1 + 5 + 1 + 3 * 5 nodes */
    SL_CHECK_INT(parse("a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n", &lim, pm, &dv, &err), 0);
    SL_CHECK_INT(dv.n, 1);
    sl_docv_free(&dv);

    /* merge keys multiply work without creating nodes: capped as well */
    size_t cap = 64 * 1024;
    char *bomb = malloc(cap), *p = bomb;
    p += sprintf(p, "a: &a {");
    for (int i = 0; i < 1000; i++)
        p += sprintf(p, "%sk%d: %d", i ? ", " : "", i, i);
    p += sprintf(p, "}\nb:\n");
    for (int i = 0; i < 1001; i++)
        p += sprintf(p, "  <<: *a\n");
    SL_CHECK((size_t)(p - bomb) < cap);
    SL_CHECK_INT(parse(bomb, NULL, pm, &dv, &err), SL_ELIMIT);
    SL_CHECK_HAS(err.msg, "merge keys");
    SL_CHECK_INT(err.line, 3);
    SL_CHECK_INT(err.col, 3);
    free(bomb);
    sl_posmap_free(pm);
}

static void test_deep_nesting(void)
{
    size_t depth = 10000;
    char *flow = malloc(depth * 2 + 2), *map = malloc(depth * 5 + 16),
         *block = malloc(depth * 2 + 8);
    sl_docv dv = {0};
    sl_error err;
    sl_doc_limits lim = {0, 0, 50};
    char *p;

    memset(flow, '[', depth);
    memset(flow + depth, ']', depth);
    flow[2 * depth] = '\0';
    SL_CHECK_INT(parse(flow, NULL, NULL, &dv, &err), SL_ELIMIT);
    SL_CHECK_HAS(err.msg, "limits.maxDepth");
    SL_CHECK_INT(err.line, 1);
    SL_CHECK_INT(err.col, SL_DOC_DEFAULT_MAX_DEPTH + 1);
    SL_CHECK_INT(parse(flow, &lim, NULL, &dv, &err), SL_ELIMIT);
    SL_CHECK_INT(err.col, 51);

    p = map;
    for (size_t i = 0; i < depth; i++)
        p += sprintf(p, "{a: ");
    *p++ = '1';
    memset(p, '}', depth);
    p[depth] = '\0';
    SL_CHECK_INT(parse(map, NULL, NULL, &dv, &err), SL_ELIMIT);
    SL_CHECK_INT(err.col, 4 * SL_DOC_DEFAULT_MAX_DEPTH + 1);

    p = block;
    for (size_t i = 0; i < depth; i++)
        p += sprintf(p, "- ");
    strcpy(p, "x\n");
    SL_CHECK_INT(parse(block, NULL, NULL, &dv, &err), SL_ELIMIT);
    SL_CHECK_INT(dv.n, 0);

    /* exactly at the limit is fine */
    flow[50] = '\0';
    memset(flow + 25, ']', 25);
    lim.max_depth = 25;
    SL_CHECK_INT(parse(flow, &lim, NULL, &dv, &err), 0);
    SL_CHECK_INT(dv.n, 1);
    sl_docv_free(&dv);
    /* an alias that would nest too deep */
    SL_CHECK_INT(parse("a: &a [[[1]]]\nb: [[*a]]\n", &(sl_doc_limits){0, 0, 4}, NULL, &dv, &err),
                 SL_ELIMIT);
    SL_CHECK_INT(err.line, 2);
    free(flow);
    free(map);
    free(block);
}

static void test_size_cap(void)
{
    sl_docv dv = {0};
    sl_error err;
    sl_doc_limits lim = {10, 0, 0};

    SL_CHECK_INT(parse("a: 1234567\n", &lim, NULL, &dv, &err), SL_ELIMIT);
    SL_CHECK_HAS(err.msg, "limits.maxFileSize");
    SL_CHECK_STR(err.file, "in.yaml");
    SL_CHECK_INT(sl_json_parse("x.json", "[1,2,3,4,5,6]", 13, &lim, NULL, &dv, &err), SL_ELIMIT);
    lim.max_file_bytes = 11;
    SL_CHECK_INT(parse("a: 1234567\n", &lim, NULL, &dv, &err), 0);
    SL_CHECK_INT(dv.n, 1);
    sl_docv_free(&dv);
}

static void test_malformed_yaml(void)
{
    static const struct {
        const char *text;
        int line, col;
        const char *msg;
    } t[] = {
        {"a: [1, 2\nb: 3\n", 2, 2, "did not find expected ',' or ']'"},
        {"a: b: c\n", 1, 5, "mapping values are not allowed"},
        {"a:\n\tb: 1\n", 2, 1, "cannot start any token"},
        {"a: 'open\n", 2, 1, "unexpected end of stream"},
        {"a:\n  - b\n  c: d\n", 3, 3, "did not find expected '-' indicator"},
        {"key: value\n  bad: indent\n", 2, 6, "mapping values are not allowed"},
        {"a: @x\n", 1, 4, "cannot start any token"},
        {"a: 1\nb: \xff\n", 2, 4, "invalid leading UTF-8 octet"},
        {"- a\n- b\nc: d\n", 3, 1, "did not find expected '-' indicator"},
    };
    sl_docv dv = {0};
    sl_error err;
    char buf[2048];

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        SL_CHECK_INT(parse(t[i].text, NULL, NULL, &dv, &err), SL_EINVAL);
        if (err.line != t[i].line || err.col != t[i].col || !strstr(err.msg, t[i].msg))
            fprintf(stderr, "  case %zu: %s\n", i, sl_error_format(&err, buf, sizeof(buf)));
        SL_CHECK_STR(err.file, "in.yaml");
        SL_CHECK_INT(err.line, t[i].line);
        SL_CHECK_INT(err.col, t[i].col);
        SL_CHECK_HAS(err.msg, t[i].msg);
    }
    /* the context libyaml gives is part of the message */
    parse("a: [1, 2\nb: 3\n", NULL, NULL, &dv, &err);
    SL_CHECK_HAS(err.msg, "while parsing a flow sequence (which started at 1:4)");
    SL_CHECK_STR(sl_error_format(&err, buf, sizeof(buf)),
                 "in.yaml:2:2: did not find expected ',' or ']' while parsing a flow sequence "
                 "(which started at 1:4)");
    SL_CHECK_INT(dv.n, 0);
}

static void test_json(void)
{
    sl_docv dv = {0};
    sl_error err;
    sl_posmap *pm;
    sl_pos p;
    const char *ok = "\n\n  {\"a\": [1, 2.5, {\"b\": null}], \"c\": \"yes\", \"d\": true}\n";

    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    SL_CHECK_INT(sl_doc_parse("x.json", ok, strlen(ok), NULL, pm, &dv, &err), 0);
    SL_CHECK_INT(dv.n, 1);
    if (dv.n == 1) {
        char *s = cJSON_PrintUnformatted(dv.v[0]);
        SL_CHECK_STR(s, "{\"a\":[1,2.5,{\"b\":null}],\"c\":\"yes\",\"d\":true}");
        free(s);
        SL_CHECK_INT(dv.pos[0].line, 3);
        SL_CHECK_INT(dv.pos[0].col, 3);
        SL_CHECK_INT(sl_posmap_get(pm, dv.v[0], &p), 0);
        SL_CHECK_STR(p.file, "x.json");
        SL_CHECK_INT(p.line, 3);
        SL_CHECK_INT(sl_posmap_get(pm, sl_doc_path(dv.v[0], "a"), &p), SL_ENOTFOUND);
    }
    sl_docv_free(&dv);

    static const struct {
        const char *text;
        int code, line, col;
        const char *msg;
    } t[] = {
        {"{\"a\": [1, 2,]}", SL_EINVAL, 1, 13, "unexpected ']'"},
        {"{\n  \"a\": tru\n}", SL_EINVAL, 2, 8, "unexpected"},
        {"{\"a\": [1, 2", SL_EINVAL, 1, 12, "unexpected end of input"},
        {"{\"a\": 1}\n x", SL_EINVAL, 2, 2, "after the document"},
        {"{\"a\": 1, \"a\": 2}", SL_EINVAL, 1, 1, "duplicate object key \"a\""},
        {"[1e999]", SL_EINVAL, 1, 1, "finite"},
        {"[[[[[[1]]]]]]", SL_ELIMIT, 1, 6, "limits.maxDepth"},
        {"[\"[[[[[[[[\", 1]", 0, 0, 0, NULL},
        {"[1, 2, 3, 4, 5, 6, 7, 8, 9]", SL_ELIMIT, 1, 1, "limits.maxNodes"},
    };
    sl_doc_limits lim = {0, 9, 5};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        sl_error_clear(&err);
        SL_CHECK_INT(sl_json_parse("x.json", t[i].text, strlen(t[i].text), &lim, pm, &dv, &err),
                     t[i].code);
        if (!t[i].code)
            continue;
        SL_CHECK_STR(err.file, "x.json");
        SL_CHECK_INT(err.line, t[i].line);
        SL_CHECK_INT(err.col, t[i].col);
        SL_CHECK_HAS(err.msg, t[i].msg);
    }
    SL_CHECK_INT(dv.n, 1); /* only the string-with-brackets case */
    sl_docv_free(&dv);
    /* blank input and null are no document; .JSON is JSON, .yml is YAML */
    SL_CHECK_INT(sl_json_parse("x.json", " \n", 2, NULL, pm, &dv, &err), 0);
    SL_CHECK_INT(sl_json_parse("x.json", "null", 4, NULL, pm, &dv, &err), 0);
    SL_CHECK_INT(dv.n, 0);
    SL_CHECK_INT(sl_doc_parse("X.JSON", "{a: 1}", 6, NULL, pm, &dv, &err), SL_EINVAL);
    SL_CHECK_INT(sl_doc_parse("x.yml", "{a: 1}", 6, NULL, pm, &dv, &err), 0);
    SL_CHECK_INT(dv.n, 1);
    sl_docv_free(&dv);
    sl_posmap_free(pm);
}

/* ---- writer ---- */

static char *write_json(const char *json)
{
    cJSON *j = cJSON_Parse(json);
    sl_buf b = SL_BUF_INIT;
    char *s = NULL;

    if (j && sl_yaml_write(&b, j) == 0)
        s = sl_buf_detach(&b);
    sl_buf_free(&b);
    cJSON_Delete(j);
    return s;
}

static void test_write_deployment(void)
{
    const char *in =
        "{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\","
        "\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\",\"tier\":\"1\"},"
        "\"annotations\":{\"note\":\"a: b\",\"empty\":\"\"}},"
        "\"spec\":{\"replicas\":3,\"paused\":false,\"progressDeadlineSeconds\":null,"
        "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
        "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\","
        "\"args\":[\"--port\",\"8080\"],\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
        "\"resources\":{\"limits\":{\"cpu\":0.5,\"memory\":\"512Mi\"}},"
        "\"env\":[],\"command\":[\"sh\",\"-c\",\"echo hi\\nexit 0\\n\"]}],"
        "\"nodeSelector\":{},\"tolerations\":[[\"a\",\"b\"],[]]}}}}";
    const char *want = "apiVersion: apps/v1\n"
                       "kind: Deployment\n"
                       "metadata:\n"
                       "  annotations:\n"
                       "    empty: \"\"\n"
                       "    note: 'a: b'\n"
                       "  labels:\n"
                       "    app: web\n"
                       "    tier: \"1\"\n"
                       "  name: web\n"
                       "spec:\n"
                       "  paused: false\n"
                       "  progressDeadlineSeconds: null\n"
                       "  replicas: 3\n"
                       "  selector:\n"
                       "    matchLabels:\n"
                       "      app: web\n"
                       "  template:\n"
                       "    metadata:\n"
                       "      labels:\n"
                       "        app: web\n"
                       "    spec:\n"
                       "      containers:\n"
                       "      - args:\n"
                       "        - --port\n"
                       "        - \"8080\"\n"
                       "        command:\n"
                       "        - sh\n"
                       "        - -c\n"
                       "        - |\n"
                       "          echo hi\n"
                       "          exit 0\n"
                       "        env: []\n"
                       "        image: nginx:1.25\n"
                       "        name: web\n"
                       "        ports:\n"
                       "        - containerPort: 8080\n"
                       "          protocol: TCP\n"
                       "        resources:\n"
                       "          limits:\n"
                       "            cpu: 0.5\n"
                       "            memory: 512Mi\n"
                       "      nodeSelector: {}\n"
                       "      tolerations:\n"
                       "      - - a\n"
                       "        - b\n"
                       "      - []\n";
    char *got = write_json(in);

    SL_CHECK_STR(got, want);
    /* and it reads back to the same tree */
    if (got) {
        char *back = y2j(got);
        cJSON *a = cJSON_Parse(in), *b = back ? cJSON_Parse(back) : NULL;
        SL_CHECK(a && b && cJSON_Compare(a, b, 1));
        cJSON_Delete(a);
        cJSON_Delete(b);
        free(back);
    }
    free(got);
}

static void test_write_quoting(void)
{
    static const struct {
        const char *in, *out;
    } t[] = {
        {"yes", "\"yes\""},
        {"0755", "\"0755\""},
        {"1_000", "\"1_000\""},
        {"", "\"\""},
        {" x", "' x'"},
        {"a: b", "'a: b'"},
        {"- x", "'- x'"},
        {"#x", "'#x'"},
        {"null", "\"null\""},
        {"~", "\"~\""},
        {"1e3", "\"1e3\""},
        {"true", "\"true\""},
        {"n", "\"n\""},
        {"Off", "\"Off\""},
        {"0x1F", "\"0x1F\""},
        {".5", "\".5\""},
        {"+12", "\"+12\""},
        {"08", "\"08\""},
        {"1.", "\"1.\""},
        {".nan", "\".nan\""},
        {"2001-12-14", "\"2001-12-14\""},
        {"1:20", "\"1:20\""},
        {"<<", "\"<<\""},
        {"x ", "'x '"},
        {"x:", "'x:'"},
        {"a #b", "'a #b'"},
        {"*", "'*'"},
        {"&a", "'&a'"},
        {"!x", "'!x'"},
        {"%x", "'%x'"},
        {"@x", "'@x'"},
        {"`x", "'`x'"},
        {"|", "'|'"},
        {">", "'>'"},
        {"[x", "'[x'"},
        {"{x", "'{x'"},
        {"'", "''''"},
        {"\"", "'\"'"},
        {"? x", "'? x'"},
        {"---", "'---'"},
        {"...", "'...'"},
        {"-", "'-'"},
        {"tab\there", "\"tab\\there\""},
        {"a\rb", "\"a\\rb\""},
        {"\x01", "\"\\x01\""},
        {"\x7f", "\"\\x7F\""},
        {"\xc2\x85", "\"\\N\""},
        {"\xe2\x80\xa8", "\"\\L\""},
        {"\xef\xbb\xbfx", "\"\\uFEFFx\""},
        {"\xf0\x9f\x98\x80", "\"\\U0001F600\""},
        {"back\\slash \"q\"\t", "\"back\\\\slash \\\"q\\\"\\t\""},
        /* plain */
        {"web", "web"},
        {"-x", "-x"},
        {"?x", "?x"},
        {":x", ":x"},
        {"a#b", "a#b"},
        {"it's", "it's"},
        {"x]", "x]"},
        {"a,b", "a,b"},
        {"nan", "nan"},
        {"..x", "..x"},
        {"nginx:1.25", "nginx:1.25"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"1e400", "1e400"},
        {"http://x/y?a=b#c", "http://x/y?a=b#c"},
    };
    char buf[256];

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        cJSON *s = cJSON_CreateString(t[i].in);
        sl_buf b = SL_BUF_INIT;
        SL_CHECK_INT(sl_yaml_write(&b, s), 0);
        snprintf(buf, sizeof(buf), "%s\n", t[i].out);
        if (!b.ptr || strcmp(b.ptr, buf))
            fprintf(stderr, "  string [%s]\n", t[i].in);
        SL_CHECK_STR(b.ptr, buf);
        /* as a mapping key too; a key with a line break is an explicit key */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, t[i].in, cJSON_CreateNumber(1));
        sl_buf_reset(&b);
        SL_CHECK_INT(sl_yaml_write(&b, o), 0);
        if (strpbrk(t[i].in, "\r") || strstr(t[i].in, "\xc2\x85") ||
            strstr(t[i].in, "\xe2\x80\xa8"))
            snprintf(buf, sizeof(buf), "? %s\n: 1\n", t[i].out);
        else
            snprintf(buf, sizeof(buf), "%s: 1\n", t[i].out);
        SL_CHECK_STR(b.ptr, buf);
        sl_buf_free(&b);
        cJSON_Delete(s);
        cJSON_Delete(o);
    }
}

static void test_write_scalars_and_blocks(void)
{
    static const struct {
        const char *json, *yaml;
    } t[] = {
        {"42", "42\n"},
        {"-0", "0\n"},
        {"0.1", "0.1\n"},
        {"-2.5e-7", "-2.5e-07\n"},
        {"1e21", "1e+21\n"},
        {"9007199254740991", "9007199254740991\n"},
        {"123456789012", "123456789012\n"},
        {"true", "true\n"},
        {"null", "null\n"},
        {"{}", "{}\n"},
        {"[]", "[]\n"},
        {"[[]]", "- []\n"},
        {"[{}]", "- {}\n"},
        {"\"a\\nb\"", "|-\n  a\n  b\n"},
        {"\"a\\n\"", "|\n  a\n"},
        {"\"a\\n\\n\"", "|+\n  a\n\n"},
        {"\"\\n\"", "|2+\n\n"},
        {"\" a\\nb\"", "|2-\n   a\n  b\n"},
        {"\"\\na\"", "|2-\n\n  a\n"},
        {"\"a \\nb\"", "\"a \\nb\"\n"},
        {"\"a\\nb \"", "\"a\\nb \"\n"},
        {"\"a\\n\\tb\"", "\"a\\n\\tb\"\n"},
        {"{\"k\":\"x\\ny\"}", "k: |-\n  x\n  y\n"},
        {"{\"k\\nl\":1}", "? \"k\\nl\"\n: 1\n"},
        {"[\"x\\ny\",{\"a\":\"p\\nq\\n\"}]", "- |-\n  x\n  y\n- a: |\n    p\n    q\n"},
        {"[[1,[2,3]],{\"a\":[]}]", "- - 1\n  - - 2\n    - 3\n- a: []\n"},
    };

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char *got = write_json(t[i].json);
        if (!got || strcmp(got, t[i].yaml))
            fprintf(stderr, "  json %s\n", t[i].json);
        SL_CHECK_STR(got, t[i].yaml);
        free(got);
    }
    /* a long key uses the explicit form and still reads back */
    char key[300], json[400];
    memset(key, 'k', 200);
    key[200] = '\0';
    snprintf(json, sizeof(json), "{\"b\":2,\"%s\":{\"a\":[1]}}", key);
    char *got = write_json(json), *back = got ? y2j(got) : NULL;
    SL_CHECK(got && !strncmp(got, "b: 2\n? kkkk", 11) && strstr(got, "k\n: a:\n  - 1\n"));
    SL_CHECK_STR(back, json);
    free(got);
    free(back);
}

/* ---- property test: random trees survive write + read ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static void rnd_string(char *buf, size_t cap)
{
    static const char *atoms[] = {
        "a",
        "web",
        "0",
        "1",
        "8",
        "07",
        ".",
        "_",
        "+",
        "-",
        "e",
        "E",
        "x",
        "b",
        "o",
        "0x",
        "y",
        "n",
        "yes",
        "No",
        "on",
        "true",
        "null",
        "~",
        "inf",
        ".inf",
        ".NaN",
        ":",
        ": ",
        " #",
        "#",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\t",
        "\r",
        "'",
        "\"",
        "\\",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&",
        "*",
        "!",
        "|",
        ">",
        "%",
        "@",
        "`",
        "?",
        "---",
        "...",
        "<<",
        "2001-12-14",
        "1:20",
        "1e3",
        "\xc3\xa9",
        "\xf0\x9f\x98\x80",
        "\xe2\x80\xa8",
        "\xc2\x85",
        "\x01",
        "\x7f",
        "\xef\xbb\xbf",
        "\xc2\xa0",
        "- ",
        "? ",
        "-- ",
        "\n ",
        " \n",
        "=",
    };
    size_t n = 0, k = rnd(7);

    buf[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        const char *a = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];
        size_t l = strlen(a);
        if (n + l >= cap)
            break;
        memcpy(buf + n, a, l + 1);
        n += l;
    }
}

static cJSON *rnd_tree(int depth)
{
    char s[128];
    int pick = rnd(depth > 4 ? 6 : 9);

    switch (pick) {
    case 0:
        return cJSON_CreateNull();
    case 1:
        return cJSON_CreateBool(rnd(2));
    case 2:
        return cJSON_CreateNumber((double)((int64_t)rnd(2000000) - 1000000));
    case 3: {
        static const double f[] = {0.1,
                                   -2.5e-7,
                                   1e21,
                                   3.14159,
                                   1e-300,
                                   123456.789,
                                   5e15,
                                   -0.5,
                                   9007199254740993.0,
                                   1.7976931348623157e308};
        return cJSON_CreateNumber(f[rnd(10)] * (rnd(2) ? 1 : -1));
    }
    case 4:
    case 5:
        rnd_string(s, sizeof(s));
        return cJSON_CreateString(s);
    case 6: {
        cJSON *a = cJSON_CreateArray();
        for (int i = rnd(4); i > 0; i--)
            cJSON_AddItemToArray(a, rnd_tree(depth + 1));
        return a;
    }
    default: {
        cJSON *o = cJSON_CreateObject();
        for (int i = rnd(5); i > 0; i--) {
            rnd_string(s, sizeof(s));
            if (rnd(20) == 0) { /* an occasional long key */
                memset(s, 'k', 120);
                s[120] = '\0';
            }
            if (!cJSON_GetObjectItemCaseSensitive(o, s))
                cJSON_AddItemToObject(o, s, rnd_tree(depth + 1));
        }
        return o;
    }
    }
}

/* Exact equality: same types, same doubles bit for bit, same key sets. */
static int tree_eq(const cJSON *a, const cJSON *b)
{
    if ((a->type & 0xff) != (b->type & 0xff))
        return 0;
    switch (a->type & 0xff) {
    case cJSON_Number:
        return a->valuedouble == b->valuedouble;
    case cJSON_String:
        return !strcmp(a->valuestring, b->valuestring);
    case cJSON_Array:
        for (a = a->child, b = b->child; a && b; a = a->next, b = b->next)
            if (!tree_eq(a, b))
                return 0;
        return !a && !b;
    case cJSON_Object:
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return 0;
        for (const cJSON *c = a->child; c; c = c->next) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(b, c->string);
            if (!d || !tree_eq(c, d))
                return 0;
        }
        return 1;
    default:
        return 1;
    }
}

static void test_write_roundtrip_property(void)
{
    int failures = 0;

    for (int i = 0; i < 3000; i++) {
        cJSON *t = rnd_tree(0);
        sl_buf b = SL_BUF_INIT, b2 = SL_BUF_INIT;
        sl_docv dv = {0};
        sl_error err;
        int rc = sl_yaml_write(&b, t);

        SL_CHECK_INT(rc, 0);
        if (!rc && (rc = sl_yaml_parse("rt.yaml", b.ptr, b.len, NULL, NULL, &dv, &err)) != 0) {
            char eb[2048];
            if (failures++ < 3)
                fprintf(stderr, "  reparse failed: %s\n---\n%s---\n",
                        sl_error_format(&err, eb, sizeof(eb)), b.ptr);
        }
        if (!rc) {
            /* a null tree reads as no document */
            int same = cJSON_IsNull(t) ? dv.n == 0 : dv.n == 1 && tree_eq(t, dv.v[0]);
            if (!same && failures++ < 3) {
                char *j = cJSON_PrintUnformatted(t);
                char *k = dv.n ? cJSON_PrintUnformatted(dv.v[0]) : NULL;
                fprintf(stderr, "  round trip differs for\n%s\nread back as\n%s\n---\n%s---\n", j,
                        k ? k : "(nothing)", b.ptr);
                free(j);
                free(k);
            }
            SL_CHECK(same);
            /* writing is deterministic and the output is a fixed point */
            if (dv.n == 1) {
                SL_CHECK_INT(sl_yaml_write(&b2, dv.v[0]), 0);
                SL_CHECK(b2.ptr && !strcmp(b.ptr, b2.ptr));
            }
        }
        SL_CHECK(rc == 0);
        SL_CHECK(b.len > 0 && b.ptr[b.len - 1] == '\n');
        sl_docv_free(&dv);
        sl_buf_free(&b);
        sl_buf_free(&b2);
        cJSON_Delete(t);
    }
}

static void test_write_limits(void)
{
    cJSON *deep = cJSON_CreateArray(), *cur = deep;
    sl_buf b = SL_BUF_INIT;

    /* an output cap is honoured and leaves nothing behind */
    sl_buf_init(&b, 8);
    cJSON *o = cJSON_Parse("{\"aaaaaaaa\":\"bbbbbbbbbbbbbb\"}");
    SL_CHECK_INT(sl_yaml_write(&b, o), SL_ELIMIT);
    SL_CHECK_INT(b.len, 0);
    cJSON_Delete(o);
    sl_buf_free(&b);
    /* a raw node cannot be written */
    cJSON *raw = cJSON_CreateRaw("{x}");
    SL_CHECK_INT(sl_yaml_write(&b, raw), SL_EINVAL);
    cJSON_Delete(raw);
    for (int i = 0; i < 200; i++) {
        cJSON *n = cJSON_CreateArray();
        cJSON_AddItemToArray(cur, n);
        cur = n;
    }
    sl_buf_init(&b, 0);
    SL_CHECK_INT(sl_yaml_write(&b, deep), 0);
    sl_buf_free(&b);
    cJSON_Delete(deep);
}

/* A big multi-document stream is read in chunks on several cores: the
 * result must be exactly what one pass gives. */
static void test_big_stream(void)
{
    size_t ndocs = 16000, cap = ndocs * 400;
    char *text = malloc(cap), *p = text;
    sl_docv dv = {0};
    sl_error err;
    sl_posmap *pm;
    int line = 1;

    for (size_t i = 0; i < ndocs; i++) {
        p += sprintf(p,
                     "---\n"                                          /* line +0 */
                     "apiVersion: v1\n"                               /* +1 */
                     "kind: ConfigMap\n"                              /* +2 */
                     "metadata:\n"                                    /* +3 */
                     "  name: cm-%zu\n"                               /* +4 */
                     "  labels: &l {app: x, num: '%zu'}\n"            /* +5 */
                     "data:\n"                                        /* +6 */
                     "  a: yes\n"                                     /* +7 */
                     "  b: 0x%zx\n"                                   /* +8 */
                     "  c: |\n"                                       /* +9 */
                     "    text with words words words words\n"        /* +10 */
                     "  d: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\n" /* +11 */
                     "  e: {<<: *l, z: \"%zu\"}\n",                   /* +12 */
                     i, i, i, i);
    }
    SL_CHECK((size_t)(p - text) < cap);
    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    SL_CHECK_INT(sl_yaml_parse("big.yaml", text, (size_t)(p - text), NULL, pm, &dv, &err), 0);
    SL_CHECK_INT(dv.n, ndocs);
    for (size_t i = 0; i < dv.n; i++, line += 13) {
        char want[32];
        sl_pos pos;
        const cJSON *b = sl_doc_path(dv.v[i], "data.b");
        snprintf(want, sizeof(want), "cm-%zu", i);
        if (strcmp(sl_doc_str(sl_doc_path(dv.v[i], "metadata"), "name"), want) || !b ||
            b->valuedouble != (double)i || dv.pos[i].line != line + 1) {
            SL_CHECK(0);
            fprintf(stderr, "  document %zu wrong\n", i);
            break;
        }
        SL_CHECK_INT(sl_posmap_get(pm, b, &pos), 0);
        SL_CHECK_INT(pos.line, line + 8);
        SL_CHECK_INT(pos.col, 6);
        SL_CHECK_STR(pos.file, "big.yaml");
        SL_CHECK(dv.pos[i].file == pos.file);
        SL_CHECK_STR(sl_doc_str(sl_doc_path(dv.v[i], "data.e"), "num"), want + 3);
    }
    line = 1 + 13 * (int)ndocs; /* the line after the stream */
    sl_docv_free(&dv);

    /* an error late in the stream reports the same position one pass would */
    size_t bad = (size_t)(p - text) - 30;
    char saved = text[bad];
    text[bad] = '@';
    SL_CHECK_INT(sl_yaml_parse("big.yaml", text, (size_t)(p - text), NULL, pm, &dv, &err),
                 SL_EINVAL);
    SL_CHECK_INT(err.line, line - 2);
    SL_CHECK_HAS(err.msg, "cannot start any token");
    SL_CHECK_INT(dv.n, 0);
    text[bad] = saved;

    /* the node budget covers the whole file, whichever core counted */
    size_t total = 0;
    SL_CHECK_INT(sl_yaml_parse("big.yaml", text, (size_t)(p - text), NULL, NULL, &dv, &err), 0);
    for (size_t i = 0; i < dv.n; i++) {
        size_t stack_n = 0;
        const cJSON *stack[64];
        stack[stack_n++] = dv.v[i];
        while (stack_n) {
            const cJSON *n = stack[--stack_n];
            total++;
            for (const cJSON *c = n->child; c; c = c->next)
                stack[stack_n++] = c;
        }
    }
    sl_docv_free(&dv);
    sl_doc_limits lim = {0, total, 0};
    SL_CHECK_INT(sl_yaml_parse("big.yaml", text, (size_t)(p - text), &lim, NULL, &dv, &err), 0);
    SL_CHECK_INT(dv.n, ndocs);
    sl_docv_free(&dv);
    lim.max_nodes = total - 1;
    SL_CHECK_INT(sl_yaml_parse("big.yaml", text, (size_t)(p - text), &lim, NULL, &dv, &err),
                 SL_ELIMIT);
    SL_CHECK_INT(err.line, line - 1); /* the merge that ends the last document */
    SL_CHECK_INT(dv.n, 0);
    sl_docv_free(&dv);
    sl_posmap_free(pm);
    free(text);
}

/* Not a pass/fail check: prints parse and write speed on ~20 MB. */
static void test_speed_report(void)
{
    size_t ndocs = 10000, cap = ndocs * 2300;
    char *text = malloc(cap), *p = text;
    sl_docv dv = {0};
    sl_error err;
    sl_posmap *pm;
    sl_doc_limits lim = {(size_t)64 << 20, 5000000, 0};
    struct timespec t0, t1, t2;

    for (size_t i = 0; i < ndocs; i++) {
        p +=
            sprintf(p,
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: service-%zu\n"
                    "  namespace: team-%zu\n  labels:\n    app.kubernetes.io/name: service-%zu\n"
                    "    app.kubernetes.io/part-of: platform\n    tier: backend\n"
                    "  annotations:\n    description: This is the description of service %zu\n"
                    "spec:\n  replicas: %zu\n  revisionHistoryLimit: 10\n  selector:\n"
                    "    matchLabels:\n      app.kubernetes.io/name: service-%zu\n"
                    "  strategy:\n    type: RollingUpdate\n"
                    "    rollingUpdate: {maxSurge: 25%%, maxUnavailable: 0}\n"
                    "  template:\n    metadata:\n      labels:\n"
                    "        app.kubernetes.io/name: service-%zu\n        tier: backend\n"
                    "    spec:\n      serviceAccountName: service-%zu\n"
                    "      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n"
                    "      containers:\n      - name: app\n"
                    "        image: registry.example.com/team/service-%zu:1.%zu.3\n"
                    "        imagePullPolicy: IfNotPresent\n"
                    "        args: [\"--port=8080\", \"--log-level=info\", --metrics]\n"
                    "        ports:\n        - name: http\n          containerPort: 8080\n"
                    "          protocol: TCP\n        - name: metrics\n"
                    "          containerPort: 9090\n          protocol: TCP\n"
                    "        env:\n        - name: SERVICE_NAME\n          value: service-%zu\n"
                    "        - name: DATABASE_URL\n          valueFrom:\n"
                    "            secretKeyRef: {name: db-%zu, key: url}\n"
                    "        - name: FEATURE_FLAG\n          value: \"true\"\n"
                    "        resources:\n          requests: {cpu: 100m, memory: 128Mi}\n"
                    "          limits: {cpu: \"1\", memory: 512Mi}\n"
                    "        readinessProbe:\n          httpGet: {path: /healthz, port: http}\n"
                    "          initialDelaySeconds: 5\n          periodSeconds: 10\n"
                    "        livenessProbe:\n          httpGet: {path: /healthz, port: http}\n"
                    "          failureThreshold: 3\n        volumeMounts:\n        - name: config\n"
                    "          mountPath: /etc/service\n          readOnly: true\n"
                    "      volumes:\n      - name: config\n        configMap:\n"
                    "          name: service-%zu-config\n---\n",
                    i, i % 37, i, i, i % 5 + 1, i, i, i, i, i % 100, i, i, i);
    }
    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    SL_CHECK_INT(sl_yaml_parse("bench.yaml", text, (size_t)(p - text), &lim, pm, &dv, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sl_buf out = SL_BUF_INIT;
    for (size_t i = 0; i < dv.n; i++)
        sl_yaml_write(&out, dv.v[i]);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    printf("  %zu documents, %.1f MB: parse %.3f s, write %.3f s (%.1f MB)\n", dv.n,
           (double)(p - text) / 1e6,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9,
           (double)out.len / 1e6);
    SL_CHECK_INT(dv.n, ndocs);
    sl_buf_free(&out);
    sl_docv_free(&dv);
    sl_posmap_free(pm);
    free(text);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_resolution_table), SL_TEST_ENTRY(test_quoted_and_block_scalars),
             SL_TEST_ENTRY(test_tags), SL_TEST_ENTRY(test_nonfinite_and_nul_refused),
             SL_TEST_ENTRY(test_keys), SL_TEST_ENTRY(test_duplicate_keys),
             SL_TEST_ENTRY(test_multi_document), SL_TEST_ENTRY(test_positions),
             SL_TEST_ENTRY(test_alias_key_duplicate), SL_TEST_ENTRY(test_anchors_and_merge),
             SL_TEST_ENTRY(test_billion_laughs), SL_TEST_ENTRY(test_deep_nesting),
             SL_TEST_ENTRY(test_size_cap), SL_TEST_ENTRY(test_malformed_yaml),
             SL_TEST_ENTRY(test_json), SL_TEST_ENTRY(test_write_deployment),
             SL_TEST_ENTRY(test_write_quoting), SL_TEST_ENTRY(test_write_scalars_and_blocks),
             SL_TEST_ENTRY(test_write_roundtrip_property), SL_TEST_ENTRY(test_write_limits),
             SL_TEST_ENTRY(test_big_stream), SL_TEST_ENTRY(test_speed_report))
