/* test_kube_fields.c: the Kubernetes API test server's field-level logic
 * (field sets, fieldsV1, server-side apply merge, conflicts, ownership
 * transfer, patches, label selectors) and its API handlers, in process. The
 * server's sources are compiled in: they are a test tool, not part of
 * sluice_core. */
#include "../tools/kube-server/fields.c"
#include "../tools/kube-server/store.c"
#include "../tools/kube-server/api.c"
#include "../tools/kube-server/proto.c"

#include "sl_test.h"

static cJSON *J(const char *s)
{
    cJSON *j = cJSON_Parse(s);
    if (!j)
        fprintf(stderr, "bad test JSON: %s\n", s);
    return j;
}

/* The fieldsV1 of manager m in obj, printed, or "" when absent. */
static char *fields_of_manager(const cJSON *obj, const char *m, const char *op)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, sl_doc_path(obj, "metadata.managedFields"))
    {
        if (!strcmp(sl_doc_str(e, "manager"), m) && !strcmp(sl_doc_str(e, "operation"), op))
            return cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "fieldsV1"));
    }
    return strdup("");
}

static ks_manage mgr(const char *name, int force)
{
    ks_manage m;
    memset(&m, 0, sizeof(m));
    m.manager = name;
    m.api_version = "v1";
    m.now = "2026-01-01T00:00:00Z";
    m.schema = KS_SCHEMA_BUILTIN;
    m.force = force;
    return m;
}

static const char *DEPLOY =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\","
    "\"namespace\":\"shop\",\"uid\":\"u\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"replicas\":2,"
    "\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\","
    "\"args\":[\"a\",\"b\"],\"ports\":[{\"containerPort\":80}],\"env\":[{\"name\":\"A\","
    "\"value\":\"1\"}]}]}}},\"status\":{\"replicas\":2}}";

static void test_fields_of_deployment(void)
{
    cJSON *d = J(DEPLOY);
    sl_strv s = SL_STRV_INIT;
    sl_buf pretty = SL_BUF_INIT;

    ks_fields_default_keys(d, KS_SCHEMA_BUILTIN);
    SL_CHECK_INT(ks_fields_of(d, KS_SCHEMA_BUILTIN, 1, &s), 0);
    SL_CHECK(ks_fset_has(&s, "f:metadata\x1f"
                             "f:labels\x1f"
                             "f:app"));
    SL_CHECK(!ks_fset_has(&s, "f:metadata\x1f"
                              "f:name"));
    SL_CHECK(!ks_fset_has(&s, "f:metadata\x1f"
                              "f:uid"));
    SL_CHECK(!ks_fset_has(&s, "f:apiVersion"));
    SL_CHECK(!ks_fset_has(&s, "f:status\x1f"
                              "f:replicas"));
    SL_CHECK(ks_fset_has(&s, "f:spec\x1f"
                             "f:template\x1f"
                             "f:spec\x1f"
                             "f:containers\x1f"
                             "k:{\"name\":\"web\"}"));
    /* args is atomic: the list is one leaf */
    SL_CHECK(ks_fset_has(&s, "f:spec\x1f"
                             "f:template\x1f"
                             "f:spec\x1f"
                             "f:containers\x1f"
                             "k:{\"name\":\"web\"}\x1f"
                             "f:args"));
    /* ports keyed by containerPort+protocol, protocol defaulted */
    SL_CHECK(ks_fset_has(&s, "f:spec\x1f"
                             "f:template\x1f"
                             "f:spec\x1f"
                             "f:containers\x1f"
                             "k:{\"name\":\"web\"}\x1f"
                             "f:ports\x1f"
                             "k:{\"containerPort\":80,\"protocol\":\"TCP\"}"));
    SL_CHECK_INT(ks_fields_pretty("f:spec\x1f"
                                  "f:template\x1f"
                                  "f:spec\x1f"
                                  "f:containers\x1f"
                                  "k:{\"name\":\"web\"}\x1f"
                                  "f:image",
                                  &pretty),
                 0);
    SL_CHECK_STR(pretty.ptr, ".spec.template.spec.containers[name=\"web\"].image");
    /* the value behind a path */
    SL_CHECK_STR(cJSON_GetStringValue(ks_fields_get(d, "f:spec\x1f"
                                                       "f:template\x1f"
                                                       "f:spec\x1f"
                                                       "f:containers\x1f"
                                                       "k:{\"name\":\"web\"}\x1f"
                                                       "f:env\x1f"
                                                       "k:{\"name\":\"A\"}\x1f"
                                                       "f:value")),
                 "1");
    sl_buf_free(&pretty);
    sl_strv_free(&s);
    cJSON_Delete(d);
}

static void test_fieldsv1_roundtrip(void)
{
    cJSON *d = J(DEPLOY), *v1;
    sl_strv s = SL_STRV_INIT, back = SL_STRV_INIT;
    char *txt;

    ks_fields_default_keys(d, KS_SCHEMA_BUILTIN);
    ks_fields_of(d, KS_SCHEMA_BUILTIN, 1, &s);
    v1 = ks_fields_to_v1(&s);
    SL_CHECK(v1 != NULL);
    txt = cJSON_PrintUnformatted(v1);
    /* a list item that is owned itself carries "." first */
    SL_CHECK_HAS(txt, "\"k:{\\\"name\\\":\\\"web\\\"}\":{\".\":{},\"f:args\":{}");
    SL_CHECK_HAS(txt, "\"f:metadata\":{\"f:labels\":{\"f:app\":{}}}");
    SL_CHECK_INT(ks_fields_from_v1(v1, &back), 0);
    SL_CHECK_INT(back.n, s.n);
    for (size_t i = 0; i < s.n && i < back.n; i++)
        SL_CHECK_STR(back.v[i], s.v[i]);
    free(txt);
    cJSON_Delete(v1);
    sl_strv_free(&s);
    sl_strv_free(&back);
    cJSON_Delete(d);
}

static void test_apply_create_and_noop(void)
{
    cJSON *cfg = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
                   "\"data\":{\"a\":\"1\",\"b\":\"2\"}}");
    cJSON *live = NULL, *again = NULL, *conflict = NULL;
    ks_manage m = mgr("kubectl", 0);
    sl_error err;
    char *f;

    SL_CHECK_INT(ks_apply(NULL, cfg, &m, &live, &conflict, &err), 0);
    f = fields_of_manager(live, "kubectl", "Apply");
    SL_CHECK_STR(f, "{\"f:data\":{\"f:a\":{},\"f:b\":{}}}");
    free(f);
    /* the same apply later changes nothing, not even the entry's time */
    m.now = "2026-02-02T00:00:00Z";
    SL_CHECK_INT(ks_apply(live, cfg, &m, &again, &conflict, &err), 0);
    SL_CHECK(cJSON_Compare(live, again, 1));
    cJSON_Delete(cfg);
    cJSON_Delete(live);
    cJSON_Delete(again);
}

static void test_apply_conflict_and_force(void)
{
    cJSON *c1 = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
                  "\"data\":{\"a\":\"1\",\"b\":\"2\"}}");
    cJSON *c2 = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
                  "\"data\":{\"a\":\"X\",\"b\":\"Y\",\"c\":\"3\"}}");
    cJSON *c3 = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
                  "\"data\":{\"a\":\"X\"}}");
    cJSON *live = NULL, *res = NULL, *conflict = NULL;
    ks_manage a = mgr("alice", 0), b = mgr("bob", 0);
    sl_error err;
    char *f;

    ks_apply(NULL, c1, &a, &live, &conflict, &err);
    SL_CHECK_INT(ks_apply(live, c2, &b, &res, &conflict, &err), SL_ECONFLICT);
    SL_CHECK(res == NULL);
    SL_CHECK(conflict != NULL);
    SL_CHECK_STR(sl_doc_str(conflict, "message"),
                 "Apply failed with 2 conflicts: conflicts with \"alice\":\n- .data.a\n- .data.b");
    SL_CHECK_INT(cJSON_GetArraySize(sl_doc_path(conflict, "details.causes")), 2);
    SL_CHECK_STR(
        sl_doc_str(cJSON_GetArrayItem(sl_doc_path(conflict, "details.causes"), 0), "field"),
        ".data.a");
    SL_CHECK_INT(sl_doc_path(conflict, "code")->valueint, 409);
    cJSON_Delete(conflict);
    conflict = NULL;
    SL_CHECK_INT(ks_apply(live, c3, &b, &res, &conflict, &err), SL_ECONFLICT);
    SL_CHECK_STR(sl_doc_str(conflict, "message"),
                 "Apply failed with 1 conflict: conflict with \"alice\": .data.a");
    cJSON_Delete(conflict);
    conflict = NULL;
    /* the same value is shared ownership, not a conflict */
    {
        cJSON *same = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                        "\"c\"},\"data\":{\"b\":\"2\"}}");
        SL_CHECK_INT(ks_apply(live, same, &b, &res, &conflict, &err), 0);
        f = fields_of_manager(res, "bob", "Apply");
        SL_CHECK_STR(f, "{\"f:data\":{\"f:b\":{}}}");
        free(f);
        cJSON_Delete(same);
        cJSON_Delete(res);
        res = NULL;
    }
    /* force takes the field over */
    b.force = 1;
    SL_CHECK_INT(ks_apply(live, c3, &b, &res, &conflict, &err), 0);
    SL_CHECK_STR(sl_doc_str(sl_doc_path(res, "data"), "a"), "X");
    f = fields_of_manager(res, "alice", "Apply");
    SL_CHECK_STR(f, "{\"f:data\":{\"f:b\":{}}}");
    free(f);
    f = fields_of_manager(res, "bob", "Apply");
    SL_CHECK_STR(f, "{\"f:data\":{\"f:a\":{}}}");
    free(f);
    cJSON_Delete(c1);
    cJSON_Delete(c2);
    cJSON_Delete(c3);
    cJSON_Delete(live);
    cJSON_Delete(res);
}

static void test_apply_removes_dropped_fields(void)
{
    cJSON *c1 = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
                  "\"labels\":{\"x\":\"1\",\"y\":\"2\"}},\"data\":{\"a\":\"1\",\"b\":\"2\"}}");
    cJSON *c2 = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
                  "\"data\":{\"a\":\"1\"}}");
    cJSON *shared = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
                      "\"labels\":{\"y\":\"2\"}}}");
    cJSON *live = NULL, *withb = NULL, *res = NULL, *conflict = NULL;
    ks_manage a = mgr("alice", 0), b = mgr("bob", 0);
    sl_error err;

    ks_apply(NULL, c1, &a, &live, &conflict, &err);
    /* bob co-owns label y */
    SL_CHECK_INT(ks_apply(live, shared, &b, &withb, &conflict, &err), 0);
    SL_CHECK_INT(ks_apply(withb, c2, &a, &res, &conflict, &err), 0);
    SL_CHECK(sl_doc_path(res, "data.b") == NULL);
    SL_CHECK(sl_doc_path(res, "metadata.labels.x") == NULL);
    SL_CHECK_STR(sl_doc_str(sl_doc_path(res, "metadata.labels"), "y"), "2");
    SL_CHECK_STR(sl_doc_str(sl_doc_path(res, "data"), "a"), "1");
    cJSON_Delete(c1);
    cJSON_Delete(c2);
    cJSON_Delete(shared);
    cJSON_Delete(live);
    cJSON_Delete(withb);
    cJSON_Delete(res);
}

static void test_apply_keyed_lists(void)
{
    cJSON *a1 = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
                  "\"w\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\","
                  "\"image\":\"nginx\"}]}}}}");
    cJSON *b1 = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
                  "\"w\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"proxy\","
                  "\"image\":\"envoy\"}]}}}}");
    cJSON *a2 = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
                  "\"w\"},\"spec\":{\"replicas\":3}}");
    cJSON *l1 = NULL, *l2 = NULL, *l3 = NULL, *conflict = NULL;
    ks_manage a = mgr("alice", 0), b = mgr("bob", 0);
    const cJSON *cs;
    sl_error err;

    ks_apply(NULL, a1, &a, &l1, &conflict, &err);
    SL_CHECK_INT(ks_apply(l1, b1, &b, &l2, &conflict, &err), 0);
    cs = sl_doc_path(l2, "spec.template.spec.containers");
    SL_CHECK_INT(cJSON_GetArraySize(cs), 2);
    /* alice drops her container: only bob's stays */
    SL_CHECK_INT(ks_apply(l2, a2, &a, &l3, &conflict, &err), 0);
    cs = sl_doc_path(l3, "spec.template.spec.containers");
    SL_CHECK_INT(cJSON_GetArraySize(cs), 1);
    SL_CHECK_STR(sl_doc_str(cJSON_GetArrayItem(cs, 0), "name"), "proxy");
    SL_CHECK_INT(sl_doc_path(l3, "spec.replicas")->valueint, 3);
    cJSON_Delete(a1);
    cJSON_Delete(b1);
    cJSON_Delete(a2);
    cJSON_Delete(l1);
    cJSON_Delete(l2);
    cJSON_Delete(l3);
}

static void test_custom_list_types(void)
{
    cJSON *oas = J("{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
                   "\"properties\":{\"routes\":{\"type\":\"array\",\"x-kubernetes-list-type\":"
                   "\"map\",\"x-kubernetes-list-map-keys\":[\"host\",\"port\"],\"items\":{"
                   "\"type\":\"object\"}},\"tags\":{\"type\":\"array\","
                   "\"x-kubernetes-list-type\":\"set\"},\"args\":{\"type\":\"array\"}}}}}");
    ks_schema sch = {0, oas};
    cJSON *a1 = J("{\"apiVersion\":\"ex.com/v1\",\"kind\":\"Gw\",\"metadata\":{\"name\":\"g\"},"
                  "\"spec\":{\"routes\":[{\"host\":\"a\",\"port\":80,\"to\":\"x\"}],"
                  "\"tags\":[\"t1\"],\"args\":[\"-v\"]}}");
    cJSON *b1 = J("{\"apiVersion\":\"ex.com/v1\",\"kind\":\"Gw\",\"metadata\":{\"name\":\"g\"},"
                  "\"spec\":{\"routes\":[{\"host\":\"b\",\"port\":80,\"to\":\"y\"}],"
                  "\"tags\":[\"t2\"]}}");
    cJSON *l1 = NULL, *l2 = NULL, *conflict = NULL;
    ks_manage a = mgr("alice", 0), b = mgr("bob", 0);
    sl_error err;
    char *f;

    a.schema = b.schema = &sch;
    SL_CHECK_INT(ks_apply(NULL, a1, &a, &l1, &conflict, &err), 0);
    f = fields_of_manager(l1, "alice", "Apply");
    SL_CHECK_HAS(f, "\"k:{\\\"host\\\":\\\"a\\\",\\\"port\\\":80}\":{\".\":{}");
    SL_CHECK_HAS(f, "\"f:tags\":{\"v:\\\"t1\\\"\":{}}");
    SL_CHECK_HAS(f, "\"f:args\":{}");
    free(f);
    /* bob's route and tag join alice's: map and set lists merge */
    SL_CHECK_INT(ks_apply(l1, b1, &b, &l2, &conflict, &err), 0);
    SL_CHECK_INT(cJSON_GetArraySize(sl_doc_path(l2, "spec.routes")), 2);
    SL_CHECK_INT(cJSON_GetArraySize(sl_doc_path(l2, "spec.tags")), 2);
    SL_CHECK_INT(cJSON_GetArraySize(sl_doc_path(l2, "spec.args")), 1);
    /* without a schema the same lists are atomic: bob's apply conflicts */
    cJSON_Delete(l2);
    l2 = NULL;
    a.schema = b.schema = KS_SCHEMA_CUSTOM;
    cJSON_Delete(l1);
    l1 = NULL;
    ks_apply(NULL, a1, &a, &l1, &conflict, &err);
    SL_CHECK_INT(ks_apply(l1, b1, &b, &l2, &conflict, &err), SL_ECONFLICT);
    SL_CHECK_HAS(sl_doc_str(conflict, "message"), "- .spec.routes");
    cJSON_Delete(conflict);
    cJSON_Delete(oas);
    cJSON_Delete(a1);
    cJSON_Delete(b1);
    cJSON_Delete(l1);
    cJSON_Delete(l2);
}

static void test_update_takes_ownership(void)
{
    cJSON *c1 = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
                  "\"data\":{\"a\":\"1\",\"b\":\"2\"}}");
    cJSON *live = NULL, *nw, *conflict = NULL, *res = NULL;
    ks_manage a = mgr("kubectl", 0), e = mgr("kubectl-edit", 0);
    sl_error err;
    char *f;

    ks_apply(NULL, c1, &a, &live, &conflict, &err);
    nw = cJSON_Duplicate(live, 1);
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(nw, "data"), "a",
                                           cJSON_CreateString("edited"));
    SL_CHECK_INT(ks_update_managed(live, nw, &e, &err), 0);
    f = fields_of_manager(nw, "kubectl-edit", "Update");
    SL_CHECK_STR(f, "{\"f:data\":{\"f:a\":{}}}");
    free(f);
    f = fields_of_manager(nw, "kubectl", "Apply");
    SL_CHECK_STR(f, "{\"f:data\":{\"f:b\":{}}}");
    free(f);
    /* kubectl re-applying a=1 now conflicts with the editor (an Update manager) */
    SL_CHECK_INT(ks_apply(nw, c1, &a, &res, &conflict, &err), SL_ECONFLICT);
    SL_CHECK_HAS(sl_doc_str(conflict, "message"),
                 "conflict with \"kubectl-edit\" using v1 at 2026-01-01T00:00:00Z: .data.a");
    cJSON_Delete(conflict);
    cJSON_Delete(c1);
    cJSON_Delete(live);
    cJSON_Delete(nw);
}

static void test_patches(void)
{
    cJSON *doc = J("{\"a\":{\"b\":1,\"c\":2},\"l\":[1,2],\"spec\":{\"containers\":[{\"name\":"
                   "\"web\",\"image\":\"x\"},{\"name\":\"side\",\"image\":\"y\"}]}}");
    cJSON *mp = J("{\"a\":{\"b\":null,\"d\":3},\"l\":[3]}");
    cJSON *sp = J("{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"z\"},{\"name\":"
                  "\"side\",\"$patch\":\"delete\"}]}}");
    cJSON *jp = J("[{\"op\":\"add\",\"path\":\"/a/e\",\"value\":5},{\"op\":\"remove\",\"path\":"
                  "\"/l/0\"},{\"op\":\"test\",\"path\":\"/a/d\",\"value\":3},{\"op\":\"replace\","
                  "\"path\":\"/a/c\",\"value\":\"r\"}]");
    cJSON *bad = J("[{\"op\":\"test\",\"path\":\"/a/d\",\"value\":4}]");
    sl_error err;

    SL_CHECK_INT(ks_merge_patch(&doc, mp), 0);
    SL_CHECK(sl_doc_path(doc, "a.b") == NULL);
    SL_CHECK_INT(sl_doc_path(doc, "a.d")->valueint, 3);
    SL_CHECK_INT(cJSON_GetArraySize(sl_doc_path(doc, "l")), 1);
    /* strategic: containers merge by name, $patch: delete removes one */
    SL_CHECK_INT(ks_strategic_patch(&doc, sp, KS_SCHEMA_BUILTIN), 0);
    SL_CHECK_INT(cJSON_GetArraySize(sl_doc_path(doc, "spec.containers")), 1);
    SL_CHECK_STR(sl_doc_str(cJSON_GetArrayItem(sl_doc_path(doc, "spec.containers"), 0), "image"),
                 "z");
    SL_CHECK_INT(ks_json_patch(&doc, jp, &err), 0);
    SL_CHECK_INT(sl_doc_path(doc, "a.e")->valueint, 5);
    SL_CHECK_STR(sl_doc_str(sl_doc_path(doc, "a"), "c"), "r");
    SL_CHECK_INT(cJSON_GetArraySize(sl_doc_path(doc, "l")), 0);
    SL_CHECK_INT(ks_json_patch(&doc, bad, &err), SL_ECONFLICT);
    cJSON_Delete(doc);
    cJSON_Delete(mp);
    cJSON_Delete(sp);
    cJSON_Delete(jp);
    cJSON_Delete(bad);
}

static void test_selectors(void)
{
    cJSON *labels = J("{\"app\":\"web\",\"tier\":\"front\"}");
    ks_selector *s = NULL;
    sl_error err;
    static const struct {
        const char *sel;
        int match;
    } cases[] = {
        {"app=web", 1},
        {"app==web", 1},
        {"app!=web", 0},
        {"app in (web, db)", 1},
        {"app notin (web)", 0},
        {"tier", 1},
        {"!tier", 0},
        {"!gone", 1},
        {"app=web,tier=back", 0},
        {"app in (db),tier", 0},
        {"", 1},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s = NULL;
        SL_CHECK_INT(ks_selector_parse(cases[i].sel, &s, &err), 0);
        if (ks_selector_match(s, labels) != cases[i].match)
            fprintf(stderr, "selector \"%s\" should%s match\n", cases[i].sel,
                    cases[i].match ? "" : " not"),
                sl_test_failures_++;
        ks_selector_free(s);
    }
    SL_CHECK_INT(ks_selector_parse("app in (web", &s, &err), SL_EINVAL);
    SL_CHECK_HAS(err.msg, "unable to parse requirement");
    SL_CHECK_INT(ks_selector_parse("a b=c", &s, &err), SL_EINVAL);
    cJSON_Delete(labels);
}

static void test_protobuf_bodies(void)
{
    /* a ConfigMap as kubectl's typed client sends it: the "k8s\0" envelope,
     * TypeMeta, and the object (metadata with a label, data, binaryData) */
    static const unsigned char pbcm[] = {
        0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0f, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x09, 0x43, 0x6f,
        0x6e, 0x66, 0x69, 0x67, 0x4d, 0x61, 0x70, 0x12, 0x2f, 0x0a, 0x19, 0x0a, 0x02, 0x70,
        0x62, 0x1a, 0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x5a, 0x0a, 0x0a, 0x03,
        0x61, 0x70, 0x70, 0x12, 0x03, 0x77, 0x65, 0x62, 0x12, 0x06, 0x0a, 0x01, 0x6b, 0x12,
        0x01, 0x76, 0x1a, 0x0a, 0x0a, 0x03, 0x62, 0x69, 0x6e, 0x12, 0x03, 0x00, 0x01, 0xff};
    cJSON *o = NULL;
    sl_error err;

    SL_CHECK_INT(ks_proto_decode((const char *)pbcm, sizeof(pbcm), &o, &err), 0);
    SL_CHECK_STR(sl_doc_str(o, "kind"), "ConfigMap");
    SL_CHECK_STR(sl_doc_str(sl_doc_path(o, "metadata"), "name"), "pb");
    SL_CHECK_STR(sl_doc_str(sl_doc_path(o, "metadata.labels"), "app"), "web");
    SL_CHECK_STR(sl_doc_str(sl_doc_path(o, "data"), "k"), "v");
    SL_CHECK_STR(sl_doc_str(sl_doc_path(o, "binaryData"), "bin"), "AAH/");
    cJSON_Delete(o);
    o = NULL;
    /* truncated, and a kind it does not know */
    SL_CHECK_INT(ks_proto_decode((const char *)pbcm, 20, &o, &err), SL_EINVAL);
    SL_CHECK(o == NULL);
    {
        static const char dep[] = "k8s\0\x0a\x15\x0a\x07"
                                  "apps/v1\x12\x0a"
                                  "Deployment\x12\x00";
        SL_CHECK_INT(ks_proto_decode(dep, sizeof(dep) - 1, &o, &err), SL_EUNSUPPORTED);
        SL_CHECK_HAS(err.msg, "not apps/v1 Deployment");
    }
}

/* A request through the handlers, as main.c would make it. */
static ks_resp call(const char *method, const char *group, const char *version, const char *ns,
                    const char *plural, const char *name, const char *ct, const char *body,
                    const char *manager, const char *dry)
{
    ks_req r;
    ks_resp out;

    memset(&r, 0, sizeof(r));
    r.method = method;
    r.group = group;
    r.version = version;
    r.ns = ns;
    r.plural = plural;
    r.name = name;
    r.content_type = ct;
    r.body = body;
    r.body_len = body ? strlen(body) : 0;
    r.field_manager = manager;
    r.dry_run = dry;
    ks_api_handle(&r, &out);
    return out;
}

static void test_api_in_process(void)
{
    static const char *cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                            "\"c\",\"namespace\":\"default\"},\"data\":{\"a\":\"1\"}}";
    ks_resp r;
    char rv[32];

    SL_CHECK_INT(ks_store_init(), 0);
    r = call("PATCH", "", "v1", "default", "configmaps", "c", "application/apply-patch+yaml", cm,
             "test", NULL);
    SL_CHECK_INT(r.code, 201);
    snprintf(rv, sizeof(rv), "%s", sl_doc_str(sl_doc_path(r.body, "metadata"), "resourceVersion"));
    cJSON_Delete(r.body);
    /* the same apply again: 200 and the same resourceVersion */
    r = call("PATCH", "", "v1", "default", "configmaps", "c", "application/apply-patch+yaml", cm,
             "test", NULL);
    SL_CHECK_INT(r.code, 200);
    SL_CHECK_STR(sl_doc_str(sl_doc_path(r.body, "metadata"), "resourceVersion"), rv);
    cJSON_Delete(r.body);
    /* dryRun=All of a change answers the change and stores nothing */
    r = call("PATCH", "", "v1", "default", "configmaps", "c", "application/merge-patch+json",
             "{\"data\":{\"a\":\"2\"}}", NULL, "All");
    SL_CHECK_INT(r.code, 200);
    SL_CHECK_STR(sl_doc_str(sl_doc_path(r.body, "data"), "a"), "2");
    cJSON_Delete(r.body);
    r = call("GET", "", "v1", "default", "configmaps", "c", NULL, NULL, NULL, NULL);
    SL_CHECK_STR(sl_doc_str(sl_doc_path(r.body, "data"), "a"), "1");
    cJSON_Delete(r.body);
    /* a missing namespace, a missing object, an unknown kind */
    r = call("PATCH", "", "v1", "nowhere", "configmaps", "c", "application/apply-patch+yaml",
             "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"}}", "test",
             NULL);
    SL_CHECK_INT(r.code, 404);
    SL_CHECK_STR(sl_doc_str(r.body, "message"), "namespaces \"nowhere\" not found");
    SL_CHECK_STR(sl_doc_str(r.body, "kind"), "Status");
    cJSON_Delete(r.body);
    r = call("GET", "", "v1", "default", "configmaps", "nope", NULL, NULL, NULL, NULL);
    SL_CHECK_INT(r.code, 404);
    SL_CHECK_STR(sl_doc_str(r.body, "reason"), "NotFound");
    cJSON_Delete(r.body);
    r = call("GET", "example.com", "v1", "default", "widgets", NULL, NULL, NULL, NULL, NULL);
    SL_CHECK_INT(r.code, 404);
    cJSON_Delete(r.body);
    /* a body that does not parse names its position */
    r = call("PATCH", "", "v1", "default", "configmaps", "c", "application/apply-patch+yaml",
             "kind: [", "test", NULL);
    SL_CHECK_INT(r.code, 400);
    SL_CHECK_HAS(sl_doc_str(r.body, "message"), "error decoding the request body: body:2:1: ");
    cJSON_Delete(r.body);
    /* apply needs a field manager */
    r = call("PATCH", "", "v1", "default", "configmaps", "c", "application/apply-patch+yaml", cm,
             NULL, NULL);
    SL_CHECK_INT(r.code, 422);
    cJSON_Delete(r.body);
    /* delete, then it is gone */
    r = call("DELETE", "", "v1", "default", "configmaps", "c", NULL, NULL, NULL, NULL);
    SL_CHECK_INT(r.code, 200);
    SL_CHECK_STR(sl_doc_str(r.body, "status"), "Success");
    cJSON_Delete(r.body);
    r = call("GET", "", "v1", "default", "configmaps", "c", NULL, NULL, NULL, NULL);
    SL_CHECK_INT(r.code, 404);
    cJSON_Delete(r.body);
    /* a CRD registers its kind with the list types of its schema */
    r = call("PATCH", "apiextensions.k8s.io", "v1", NULL, "customresourcedefinitions", "gws.ex.com",
             "application/apply-patch+yaml",
             "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
             "metadata: {name: gws.ex.com}\nspec:\n  group: ex.com\n  scope: Namespaced\n"
             "  names: {plural: gws, kind: Gw}\n  versions:\n  - name: v1\n    served: true\n"
             "    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n"
             "        properties:\n          spec:\n            type: object\n"
             "            properties:\n              routes:\n                type: array\n"
             "                x-kubernetes-list-type: map\n"
             "                x-kubernetes-list-map-keys: [host]\n",
             "test", NULL);
    SL_CHECK_INT(r.code, 201);
    cJSON_Delete(r.body);
    r = call("PATCH", "ex.com", "v1", "default", "gws", "g", "application/apply-patch+yaml",
             "{\"apiVersion\":\"ex.com/v1\",\"kind\":\"Gw\",\"metadata\":{\"name\":\"g\"},"
             "\"spec\":{\"routes\":[{\"host\":\"a\"}]}}",
             "alice", NULL);
    SL_CHECK_INT(r.code, 201);
    cJSON_Delete(r.body);
    r = call("PATCH", "ex.com", "v1", "default", "gws", "g", "application/apply-patch+yaml",
             "{\"apiVersion\":\"ex.com/v1\",\"kind\":\"Gw\",\"metadata\":{\"name\":\"g\"},"
             "\"spec\":{\"routes\":[{\"host\":\"b\"}]}}",
             "bob", NULL);
    SL_CHECK_INT(r.code, 200);
    SL_CHECK_INT(cJSON_GetArraySize(sl_doc_path(r.body, "spec.routes")), 2);
    cJSON_Delete(r.body);
    ks_store_free();
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_fields_of_deployment), SL_TEST_ENTRY(test_fieldsv1_roundtrip),
             SL_TEST_ENTRY(test_apply_create_and_noop),
             SL_TEST_ENTRY(test_apply_conflict_and_force),
             SL_TEST_ENTRY(test_apply_removes_dropped_fields),
             SL_TEST_ENTRY(test_apply_keyed_lists), SL_TEST_ENTRY(test_custom_list_types),
             SL_TEST_ENTRY(test_update_takes_ownership), SL_TEST_ENTRY(test_patches),
             SL_TEST_ENTRY(test_selectors), SL_TEST_ENTRY(test_protobuf_bodies),
             SL_TEST_ENTRY(test_api_in_process))
