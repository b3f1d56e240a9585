/* test_obj.c: object identity and manifest sets. */
#include <stdlib.h>

#include "sl_obj.h"
#include "sl_test.h"

static cJSON *obj(const char *json)
{
    return cJSON_Parse(json);
}

static void test_identity(void)
{
    sl_objid id;
    sl_error err;
    char buf[256];
    cJSON *o = obj("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                   "\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"}}");

    SL_CHECK_INT(sl_objid_from_json(o, NULL, &id, &err), 0);
    SL_CHECK_STR(id.group, "apps");
    SL_CHECK_STR(id.version, "v1");
    SL_CHECK_STR(id.kind, "Deployment");
    SL_CHECK_STR(id.ns, "shop");
    SL_CHECK_STR(id.name, "web");
    SL_CHECK_STR(sl_objid_str(&id, buf, sizeof(buf)), "apps/v1 Deployment shop/web");
    SL_CHECK_STR(sl_objid_apiversion(&id, buf, sizeof(buf)), "apps/v1");
    sl_objid_clear(&id);
    cJSON_Delete(o);

    o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"shop\"}}");
    SL_CHECK_INT(sl_objid_from_json(o, NULL, &id, &err), 0);
    SL_CHECK_STR(id.group, "");
    SL_CHECK_STR(id.ns, "");
    SL_CHECK_STR(sl_objid_str(&id, buf, sizeof(buf)), "v1 Namespace shop");
    sl_objid_clear(&id);
    cJSON_Delete(o);
}

static void test_identity_errors(void)
{
    static const char *const bad[] = {
        "[]",
        "{\"kind\":\"X\",\"metadata\":{\"name\":\"a\"}}",
        "{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\"}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"X\"}",
        "{\"apiVersion\":\"v1\",\"kind\":\"X\",\"metadata\":{}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"X\",\"metadata\":{\"name\":3}}",
        "{\"apiVersion\":\"a/b/c\",\"kind\":\"X\",\"metadata\":{\"name\":\"a\"}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"X\",\"metadata\":{\"name\":\"a\",\"namespace\":[]}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sl_objid id = {0};
        sl_error err;
        cJSON *o = obj(bad[i]);
        sl_error_clear(&err);
        SL_CHECK_INT(sl_objid_from_json(o, NULL, &id, &err), SL_EINVAL);
        SL_CHECK(err.msg[0] != '\0');
        cJSON_Delete(o);
    }
}

static void test_same_ignores_version(void)
{
    sl_objid a, b, c;

    sl_objid_make(&a, "autoscaling", "v1", "HorizontalPodAutoscaler", "ns", "x");
    sl_objid_make(&b, "autoscaling", "v2", "HorizontalPodAutoscaler", "ns", "x");
    sl_objid_make(&c, "autoscaling", "v2", "HorizontalPodAutoscaler", "other", "x");
    SL_CHECK(sl_objid_same(&a, &b));
    SL_CHECK(!sl_objid_same(&a, &c));
    SL_CHECK(sl_objid_cmp(&a, &b) < 0);
    sl_objid_clear(&a);
    sl_objid_clear(&b);
    sl_objid_clear(&c);
}

static void test_set_duplicates(void)
{
    sl_objset *set;
    sl_error err;
    const char *cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                     "\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}}";

    SL_CHECK_INT(sl_objset_new(&set), 0);
    SL_CHECK_INT(sl_objset_add(set, obj(cm), "one.yaml", 3, 1, &err), 0);
    SL_CHECK_INT(sl_objset_add(set, obj(cm), "two.yaml", 10, 1, &err), SL_EDUP);
    SL_CHECK_HAS(err.msg, "one.yaml:3:1");
    SL_CHECK_STR(err.file, "two.yaml");
    SL_CHECK_INT(err.line, 10);
    SL_CHECK_INT(set->n, 1);
    sl_objset_free(set);
}

static void test_set_many_and_sort(void)
{
    sl_objset *set;
    sl_error err;
    char json[256];
    int ok = 1;

    SL_CHECK_INT(sl_objset_new(&set), 0);
    for (int i = 999; i >= 0; i--) {
        snprintf(json, sizeof(json),
                 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-%04d\","
                 "\"namespace\":\"n\"}}",
                 i);
        if (sl_objset_add(set, obj(json), "f.yaml", i + 1, 1, &err))
            ok = 0;
    }
    SL_CHECK(ok);
    SL_CHECK_INT(set->n, 1000);
    SL_CHECK_INT(sl_objset_sort(set), 0);
    SL_CHECK_STR(set->v[0].id.name, "cm-0000");
    SL_CHECK_STR(set->v[999].id.name, "cm-0999");
    {
        sl_objid id;
        const sl_obj *found;
        sl_objid_make(&id, "", "v1", "ConfigMap", "n", "cm-0500");
        found = sl_objset_find(set, &id);
        SL_CHECK(found && found->line == 501);
        sl_objid_clear(&id);
    }
    sl_objset_free(set);
    sl_objset_free(NULL);
}

static void test_app_size_cap(void)
{
    sl_objset *set;
    sl_error err;

    sl_objset_new(&set);
    set->max_bytes = 100;
    SL_CHECK_INT(sl_objset_account(set, 60, "a.yaml", &err), 0);
    SL_CHECK_INT(sl_objset_account(set, 60, "b.yaml", &err), SL_ELIMIT);
    SL_CHECK_HAS(err.msg, "maxAppSize");
    sl_objset_free(set);
}

static void test_cluster_scoped(void)
{
    SL_CHECK(sl_kind_cluster_scoped("", "Namespace"));
    SL_CHECK(sl_kind_cluster_scoped("rbac.authorization.k8s.io", "ClusterRole"));
    SL_CHECK(sl_kind_cluster_scoped("constraints.gatekeeper.sh", "K8sRequiredLabels"));
    SL_CHECK(!sl_kind_cluster_scoped("apps", "Deployment"));
    SL_CHECK(!sl_kind_cluster_scoped("", "ConfigMap"));
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_identity), SL_TEST_ENTRY(test_identity_errors),
             SL_TEST_ENTRY(test_same_ignores_version), SL_TEST_ENTRY(test_set_duplicates),
             SL_TEST_ENTRY(test_set_many_and_sort), SL_TEST_ENTRY(test_app_size_cap),
             SL_TEST_ENTRY(test_cluster_scoped))
