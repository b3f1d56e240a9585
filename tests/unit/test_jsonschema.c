/* test_jsonschema.c: the JSON Schema validator against the official Score
 * schema and its sample workloads, and every keyword's error message and
 * position. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_buf.h"
#include "sl_doc.h"
#include "sl_jsonschema.h"
#include "sl_test.h"

static sl_jsonschema *load_score_schema(void)
{
    char path[1024];
    sl_buf b = SL_BUF_INIT;
    sl_error err;
    sl_jsonschema *s = NULL;
    cJSON *j;

    snprintf(path, sizeof(path), "%s/conformance/score/spec/score-v1b1.json",
             sl_test_shared_dir());
    SL_CHECK_INT(sl_file_read(path, 1 << 20, &b, &err), 0);
    j = cJSON_Parse(b.ptr);
    SL_CHECK(j != NULL);
    SL_CHECK_INT(sl_jsonschema_compile(j, "score-v1b1.json", &s, &err), 0);
    cJSON_Delete(j);
    sl_buf_free(&b);
    return s;
}

/* Validate YAML text; returns the diags (caller frees) and the rc. */
static int check_yaml(const sl_jsonschema *s, const char *file, const char *yaml, sl_diags *d)
{
    sl_posmap *pm = NULL;
    sl_docv dv = {0};
    sl_error err;
    int rc;

    sl_posmap_new(&pm);
    rc = sl_yaml_parse(file, yaml, strlen(yaml), NULL, pm, &dv, &err);
    SL_CHECK_INT(rc, 0);
    if (rc == 0 && dv.n == 1)
        rc = sl_jsonschema_validate(s, dv.v[0], pm, file, d);
    sl_docv_free(&dv);
    sl_posmap_free(pm);
    return rc;
}

static int is_workload_file(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && !strcmp(name + n - 5, ".yaml") && strstr(name, "score") &&
           !strstr(name, "provisioners");
}

static int validate_tree(const sl_jsonschema *s, const char *dir, int *files)
{
    DIR *dh = opendir(dir);
    struct dirent *de;
    int bad = 0;

    if (!dh)
        return 0;
    while ((de = readdir(dh))) {
        char path[2048];
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (de->d_type == DT_DIR) {
            bad += validate_tree(s, path, files);
        } else if (is_workload_file(de->d_name)) {
            sl_buf b = SL_BUF_INIT;
            sl_diags d = {0};
            sl_error err;
            SL_CHECK_INT(sl_file_read(path, 1 << 20, &b, &err), 0);
            if (check_yaml(s, path, b.ptr ? b.ptr : "", &d) != 0) {
                bad++;
                for (size_t i = 0; i < d.n; i++)
                    fprintf(stderr, "%s:%d:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].col,
                            d.v[i].msg);
            }
            (*files)++;
            sl_diags_free(&d);
            sl_buf_free(&b);
        }
    }
    closedir(dh);
    return bad;
}

/* Every upstream sample and example workload is valid. */
static void test_score_samples_valid(void)
{
    sl_jsonschema *s = load_score_schema();
    char dir[1024];
    int files = 0;

    snprintf(dir, sizeof(dir), "%s/conformance/score", sl_test_shared_dir());
    SL_CHECK_INT(validate_tree(s, dir, &files), 0);
    SL_CHECK(files >= 30);
    sl_jsonschema_free(s);
}

static void test_score_violations(void)
{
    sl_jsonschema *s = load_score_schema();
    sl_diags d = {0};
    const char *y = "apiVersion: score.dev/v1b1\n"
                    "metadata:\n"
                    "  name: Bad_Name\n"
                    "containers:\n"
                    "  main:\n"
                    "    image: nginx\n"
                    "    colour: red\n"
                    "service:\n"
                    "  ports:\n"
                    "    www:\n"
                    "      port: \"eighty\"\n";

    SL_CHECK_INT(check_yaml(s, "score.yaml", y, &d), SL_EINVAL);
    SL_CHECK(d.n >= 3);
    {
        int name = 0, colour = 0, port = 0;
        for (size_t i = 0; i < d.n; i++) {
            const sl_error *e = &d.v[i];
            if (strstr(e->msg, ".metadata.name") && strstr(e->msg, "pattern")) {
                name = 1;
                SL_CHECK_INT(e->line, 3);
                SL_CHECK_INT(e->col, 9);
            }
            if (strstr(e->msg, "\"colour\" is not allowed")) {
                colour = 1;
                SL_CHECK_INT(e->line, 7);
                SL_CHECK_HAS(e->msg, "additionalProperties");
            }
            if (strstr(e->msg, ".service.ports.www.port: expected")) {
                port = 1;
                SL_CHECK_INT(e->line, 11);
                SL_CHECK_HAS(e->msg, "(schema: type at #/");
            }
        }
        SL_CHECK(name && colour && port);
    }
    sl_diags_free(&d);

    /* a missing required property is reported at the object that lacks it */
    SL_CHECK_INT(check_yaml(s, "score.yaml", "apiVersion: score.dev/v1b1\nmetadata:\n  name: a\n", &d),
                 SL_EINVAL);
    SL_CHECK(d.n >= 1);
    if (d.n) {
        SL_CHECK_HAS(d.v[0].msg, "missing required property \"containers\"");
        SL_CHECK_STR(d.v[0].file, "score.yaml");
    }
    sl_diags_free(&d);
    sl_jsonschema_free(s);
}

static sl_jsonschema *compile_str(const char *json)
{
    cJSON *j = cJSON_Parse(json);
    sl_jsonschema *s = NULL;
    sl_error err;

    SL_CHECK(j != NULL);
    if (sl_jsonschema_compile(j, "t.json", &s, &err) != 0)
        fprintf(stderr, "compile: %s\n", err.msg);
    cJSON_Delete(j);
    return s;
}

/* One instance against one schema: the first message, or "" when valid. */
static const char *first_msg(const char *schema, const char *inst)
{
    static char msg[SL_ERROR_MSG_MAX];
    sl_jsonschema *s = compile_str(schema);
    cJSON *i = cJSON_Parse(inst);
    sl_diags d = {0};

    msg[0] = 0;
    if (s && i && sl_jsonschema_validate(s, i, NULL, "i.json", &d) != 0 && d.n)
        snprintf(msg, sizeof(msg), "%s", d.v[0].msg);
    sl_diags_free(&d);
    cJSON_Delete(i);
    sl_jsonschema_free(s);
    return msg;
}

static void test_keywords(void)
{
    SL_CHECK_STR(first_msg("{\"type\":\"integer\"}", "3"), "");
    SL_CHECK_HAS(first_msg("{\"type\":\"integer\"}", "3.5"), "expected integer, got number");
    SL_CHECK_STR(first_msg("{\"type\":\"number\"}", "3"), "");
    SL_CHECK_HAS(first_msg("{\"type\":[\"string\",\"null\"]}", "1"), "expected string or null");
    SL_CHECK_HAS(first_msg("{\"enum\":[\"a\",\"b\"]}", "\"c\""), "\"c\" is not one of [\"a\",\"b\"]");
    SL_CHECK_HAS(first_msg("{\"const\":1}", "2"), "must be 1");
    SL_CHECK_HAS(first_msg("{\"minLength\":2}", "\"\xc3\xa9\""), "at least 2");
    SL_CHECK_STR(first_msg("{\"maxLength\":1}", "\"\xc3\xa9\""), "");
    SL_CHECK_HAS(first_msg("{\"pattern\":\"^\\\\d+$\"}", "\"12a\""), "does not match pattern");
    SL_CHECK_STR(first_msg("{\"pattern\":\"\\\\d\"}", "\"a1\""), ""); /* unanchored search */
    SL_CHECK_HAS(first_msg("{\"minimum\":1,\"maximum\":3}", "4"), "greater than the maximum 3");
    SL_CHECK_HAS(first_msg("{\"exclusiveMinimum\":1}", "1"), "not greater than 1");
    SL_CHECK_HAS(first_msg("{\"multipleOf\":0.5}", "1.25"), "not a multiple of 0.5");
    SL_CHECK_STR(first_msg("{\"multipleOf\":0.1}", "0.3"), "");
    SL_CHECK_HAS(first_msg("{\"items\":{\"type\":\"string\"}}", "[\"a\",1]"), "[1]: expected string");
    SL_CHECK_HAS(first_msg("{\"prefixItems\":[{\"type\":\"string\"}],\"items\":false}", "[\"a\",1]"),
                 "no items allowed beyond the first 1");
    SL_CHECK_HAS(first_msg("{\"uniqueItems\":true}", "[1,2,1.0]"), "duplicate item");
    SL_CHECK_HAS(first_msg("{\"minItems\":2}", "[1]"), "at least 2 required");
    SL_CHECK_HAS(first_msg("{\"contains\":{\"const\":3}}", "[1,2]"), "no item matches");
    SL_CHECK_HAS(first_msg("{\"required\":[\"a\"]}", "{}"), ".: missing required property \"a\"");
    SL_CHECK_HAS(first_msg("{\"properties\":{\"a\":{\"type\":\"string\"}},\"additionalProperties\":false}",
                           "{\"a\":\"x\",\"b\":1}"),
                 ".b: property \"b\" is not allowed (schema: additionalProperties at #)");
    SL_CHECK_STR(first_msg("{\"patternProperties\":{\"^x-\":{}},\"additionalProperties\":false}",
                           "{\"x-a\":1}"),
                 "");
    SL_CHECK_HAS(first_msg("{\"propertyNames\":{\"maxLength\":2}}", "{\"abc\":1}"),
                 "property name \"abc\" is not allowed");
    SL_CHECK_HAS(first_msg("{\"minProperties\":1}", "{}"), "at least 1 required");
    SL_CHECK_HAS(first_msg("{\"dependentRequired\":{\"a\":[\"b\"]}}", "{\"a\":1}"),
                 "property \"a\" requires property \"b\"");
    SL_CHECK_HAS(first_msg("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"boolean\"}]}", "1"),
                 "matches none of the 2 allowed forms (schema: anyOf at #)");
    SL_CHECK_HAS(first_msg("{\"oneOf\":[{\"type\":\"number\"},{\"type\":\"integer\"}]}", "1"),
                 "matches 2 of the allowed forms");
    SL_CHECK_STR(first_msg("{\"oneOf\":[{\"type\":\"number\"},{\"type\":\"string\"}]}", "1"), "");
    SL_CHECK_HAS(first_msg("{\"not\":{\"type\":\"string\"}}", "\"a\""), "must not match");
    SL_CHECK_HAS(first_msg("{\"allOf\":[{\"minimum\":2}]}", "1"), "(schema: minimum at #/allOf/0)");
    SL_CHECK_HAS(first_msg("{\"if\":{\"properties\":{\"k\":{\"const\":\"a\"}}},"
                           "\"then\":{\"required\":[\"x\"]},\"else\":{\"required\":[\"y\"]}}",
                           "{\"k\":\"b\"}"),
                 "missing required property \"y\"");
    SL_CHECK_HAS(first_msg("{\"$defs\":{\"p\":{\"type\":\"integer\"}},\"properties\":{\"a\":{\"$ref\":\"#/$defs/p\"}}}",
                           "{\"a\":\"x\"}"),
                 ".a: expected integer, got string (schema: type at #/$defs/p)");
    SL_CHECK_HAS(first_msg("false", "1"), ".: no value is allowed here (schema: false at #)");
    SL_CHECK_STR(first_msg("true", "1"), "");
}

static void test_compile_errors(void)
{
    cJSON *j = cJSON_Parse("{\"properties\":{\"a\":{\"$ref\":\"#/$defs/nope\"}}}");
    sl_jsonschema *s = NULL;
    sl_error err;

    SL_CHECK_INT(sl_jsonschema_compile(j, "t.json", &s, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "cannot resolve $ref \"#/$defs/nope\"");
    cJSON_Delete(j);
    j = cJSON_Parse("{\"pattern\":\"(\"}");
    SL_CHECK_INT(sl_jsonschema_compile(j, "t.json", &s, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "t.json: #/pattern: bad pattern \"(\"");
    SL_CHECK(s == NULL);
    cJSON_Delete(j);
    sl_jsonschema_free(NULL);
}

static void test_defaults(void)
{
    sl_jsonschema *s = compile_str("{\"properties\":{\"port\":{\"type\":\"integer\",\"default\":8080},"
                                   "\"name\":{\"default\":\"x\"},"
                                   "\"db\":{\"type\":\"object\",\"default\":{},"
                                   "\"properties\":{\"size\":{\"default\":\"small\"}}}}}");
    cJSON *i = cJSON_Parse("{\"name\":\"given\"}");
    char *out;

    SL_CHECK_INT(sl_jsonschema_apply_defaults(s, i), 0);
    out = cJSON_PrintUnformatted(i);
    SL_CHECK_STR(out, "{\"name\":\"given\",\"port\":8080,\"db\":{\"size\":\"small\"}}");
    free(out);
    cJSON_Delete(i);
    sl_jsonschema_free(s);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_score_samples_valid), SL_TEST_ENTRY(test_score_violations),
             SL_TEST_ENTRY(test_keywords), SL_TEST_ENTRY(test_compile_errors),
             SL_TEST_ENTRY(test_defaults))
