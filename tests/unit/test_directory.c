/* test_directory.c: the directory target. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_doc.h"
#include "sl_target.h"
#include "sl_test.h"

static sl_target *open_target(const char *root)
{
    static sl_target t;
    sl_diags d = {0};
    sl_confctx c = {.file = "test", .diags = &d};
    cJSON *node = cJSON_CreateObject();

    memset(&t, 0, sizeof(t));
    t.ops = sl_applier_lookup("directory");
    t.name = "out";
    cJSON_AddStringToObject(node, "directory", root);
    SL_CHECK(t.ops != NULL);
    SL_CHECK_INT(t.ops->open(&t, node, &c), 0);
    SL_CHECK_INT(d.n, 0);
    sl_diags_free(&d);
    cJSON_Delete(node);
    return &t;
}

static void test_apply_get_remove(void)
{
    char *root = sl_test_tmpdir(), path[1024];
    sl_target *t = open_target(root);
    sl_error err;
    sl_objid id;
    cJSON *obj = cJSON_Parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                             "\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"},"
                             "\"spec\":{\"replicas\":2}}");
    cJSON *live = NULL;
    sl_buf raw = SL_BUF_INIT, want = SL_BUF_INIT;

    sl_objid_make(&id, "apps", "v1", "Deployment", "shop", "web");
    SL_CHECK_INT(t->ops->get(t, &id, &live, &err), 0);
    SL_CHECK(live == NULL);
    SL_CHECK_INT(t->ops->get_raw(t, &id, &raw, &err), SL_ENOTFOUND);
    SL_CHECK_INT(t->ops->apply(t, obj, NULL, NULL, &err), 0);
    snprintf(path, sizeof(path), "%s/shop/Deployment.apps/web.yaml", root);
    SL_CHECK(access(path, F_OK) == 0);
    SL_CHECK_INT(t->ops->get(t, &id, &live, &err), 0);
    SL_CHECK(live && cJSON_Compare(live, obj, 1));
    cJSON_Delete(live);
    SL_CHECK_INT(t->ops->get_raw(t, &id, &raw, &err), 0);
    sl_yaml_write(&want, obj);
    SL_CHECK_STR(raw.ptr, want.ptr);
    SL_CHECK_INT(t->ops->remove(t, &id, &err), 0);
    SL_CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof(path), "%s/shop", root);
    SL_CHECK(access(path, F_OK) != 0);             /* empty folders go too */
    SL_CHECK_INT(t->ops->remove(t, &id, &err), 0); /* already gone is fine */
    sl_objid_clear(&id);
    sl_buf_free(&raw);
    sl_buf_free(&want);
    cJSON_Delete(obj);
    t->ops->close(t);
    sl_test_sh("rm -rf '%s'", root);
    free(root);
}

static void test_inventory_roundtrip(void)
{
    char *root = sl_test_tmpdir();
    sl_target *t = open_target(root);
    sl_objset *a, *b;
    sl_objid id;
    sl_error err;

    sl_objset_new(&a);
    sl_objset_new(&b);
    SL_CHECK_INT(t->ops->inventory(t, "app", b, &err), 0);
    SL_CHECK_INT(b->n, 0);
    sl_objid_make(&id, "", "v1", "Namespace", "", "shop");
    sl_objset_add_id(a, &id, &err);
    sl_objid_clear(&id);
    sl_objid_make(&id, "apps", "v1", "Deployment", "shop", "web");
    sl_objset_add_id(a, &id, &err);
    SL_CHECK_INT(t->ops->set_inventory(t, "app", a, &err), 0);
    SL_CHECK_INT(t->ops->inventory(t, "app", b, &err), 0);
    SL_CHECK_INT(b->n, 2);
    SL_CHECK(sl_objset_find(b, &id) != NULL);
    SL_CHECK_INT(t->ops->set_inventory(t, "../escape", a, &err), SL_ECONFINE);
    sl_objid_clear(&id);
    sl_objset_free(a);
    sl_objset_free(b);
    t->ops->close(t);
    sl_test_sh("rm -rf '%s'", root);
    free(root);
}

static void test_confinement(void)
{
    char *root = sl_test_tmpdir(), *outside = sl_test_tmpdir();
    sl_target *t = open_target(root);
    sl_error err;
    cJSON *evil = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                              "\"metadata\":{\"name\":\"../../etc\",\"namespace\":\"x\"}}");
    cJSON *dotted = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                                "\"metadata\":{\"name\":\"a\",\"namespace\":\"..\"}}");
    cJSON *ok = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                            "\"metadata\":{\"name\":\"a\",\"namespace\":\"linked\"}}");

    SL_CHECK_INT(t->ops->apply(t, evil, NULL, NULL, &err), SL_ECONFINE);
    SL_CHECK_INT(t->ops->apply(t, dotted, NULL, NULL, &err), SL_ECONFINE);
    /* A symlinked folder inside the root is not followed out of it. */
    sl_test_sh("ln -s '%s' '%s/linked'", outside, root);
    SL_CHECK_INT(t->ops->apply(t, ok, NULL, NULL, &err), SL_ECONFINE);
    SL_CHECK_INT(sl_test_sh("test -z \"$(ls -A '%s')\"", outside), 0);
    cJSON_Delete(evil);
    cJSON_Delete(dotted);
    cJSON_Delete(ok);
    t->ops->close(t);
    sl_test_sh("rm -rf '%s' '%s'", root, outside);
    free(root);
    free(outside);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_apply_get_remove), SL_TEST_ENTRY(test_inventory_roundtrip),
             SL_TEST_ENTRY(test_confinement))
