/* test_plan.c: sl_normalize, sl_plan_build and sl_plan_apply against an
 * in-memory target. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sl_doc.h"
#include "sl_obj.h"
#include "sl_plan.h"
#include "sl_test.h"

/* ---- an in-memory target: live objects by identity, one inventory ---- */

typedef struct fake_entry {
    sl_objid id;
    cJSON *obj;
} fake_entry;

typedef struct fake {
    fake_entry v[64];
    size_t n;
    sl_objset *inv;
    const char *fail_apply;  /* metadata.name whose apply fails */
    const char *fail_remove; /* metadata.name whose delete fails */
    int gets, raws, applies, removes, dry_runs;
    char order[512]; /* names applied (and -names removed), in order */
} fake;

static fake *fake_of(sl_target *t)
{
    return t->priv;
}

static fake_entry *fake_find(fake *f, const sl_objid *id)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].obj && sl_objid_same(&f->v[i].id, id))
            return &f->v[i];
    return NULL;
}

/* Store obj (taken) as live. */
static void fake_put(fake *f, cJSON *obj)
{
    sl_objid id;
    fake_entry *e;

    SL_CHECK(obj != NULL);
    SL_CHECK_INT(sl_objid_from_json(obj, NULL, &id, NULL), 0);
    e = fake_find(f, &id);
    if (e) {
        sl_objid_clear(&id);
        cJSON_Delete(e->obj);
        e->obj = obj;
        return;
    }
    SL_CHECK(f->n < 64);
    f->v[f->n].id = id;
    f->v[f->n++].obj = obj;
}

static int fake_get(sl_target *t, const sl_objid *id, cJSON **live, sl_error *err)
{
    fake *f = fake_of(t);
    fake_entry *e = fake_find(f, id);

    f->gets++;
    *live = e ? cJSON_Duplicate(e->obj, 1) : NULL;
    return 0;
}

/* Stored bytes: the YAML of what was stored, as a directory target keeps it. */
static int fake_get_raw(sl_target *t, const sl_objid *id, sl_buf *out, sl_error *err)
{
    fake *f = fake_of(t);
    fake_entry *e = fake_find(f, id);

    f->raws++;
    if (!e)
        return sl_error_set(err, SL_ENOTFOUND, "not found");
    return sl_yaml_write(out, e->obj);
}

/* The server defaults spec.replicas to 1. */
static int fake_dry_run(sl_target *t, const cJSON *obj, cJSON **result, sl_error *err)
{
    cJSON *r = cJSON_Duplicate(obj, 1), *spec;

    fake_of(t)->dry_runs++;
    spec = cJSON_GetObjectItemCaseSensitive(r, "spec");
    if (cJSON_IsObject(spec) && !cJSON_GetObjectItemCaseSensitive(spec, "replicas"))
        cJSON_AddNumberToObject(spec, "replicas", 1);
    *result = r;
    return 0;
}

static int fake_apply(sl_target *t, const cJSON *obj, const sl_apply_opts *o, cJSON **result,
                      sl_error *err)
{
    fake *f = fake_of(t);
    const char *name = sl_doc_str(sl_doc_path(obj, "metadata"), "name");

    f->applies++;
    if (name && strlen(f->order) + strlen(name) + 2 < sizeof(f->order))
        strcat(strcat(f->order, name), " ");
    if (f->fail_apply && name && !strcmp(name, f->fail_apply))
        return sl_error_set(err, SL_ECONFLICT, "admission webhook denied the request");
    fake_put(f, cJSON_Duplicate(obj, 1));
    if (result)
        *result = NULL;
    return 0;
}

static int fake_remove(sl_target *t, const sl_objid *id, sl_error *err)
{
    fake *f = fake_of(t);
    fake_entry *e = fake_find(f, id);

    f->removes++;
    if (strlen(f->order) + strlen(id->name) + 3 < sizeof(f->order))
        strcat(strcat(strcat(f->order, "-"), id->name), " ");
    if (f->fail_remove && !strcmp(id->name, f->fail_remove))
        return sl_error_set(err, SL_EIO, "connection reset");
    if (e) {
        cJSON_Delete(e->obj);
        e->obj = NULL;
    }
    return 0;
}

static int fake_inventory(sl_target *t, const char *app, sl_objset *out, sl_error *err)
{
    fake *f = fake_of(t);
    int rc = 0;

    for (size_t i = 0; f->inv && i < f->inv->n && !rc; i++)
        rc = sl_objset_add_id(out, &f->inv->v[i].id, err);
    return rc;
}

static int fake_set_inventory(sl_target *t, const char *app, const sl_objset *ids, sl_error *err)
{
    fake *f = fake_of(t);

    sl_objset_free(f->inv);
    f->inv = NULL;
    SL_CHECK_INT(sl_objset_new(&f->inv), 0);
    for (size_t i = 0; i < ids->n; i++)
        SL_CHECK_INT(sl_objset_add_id(f->inv, &ids->v[i].id, err), 0);
    return 0;
}

static const sl_applier_ops fake_ops = {
    .kind = "fake",
    .get = fake_get,
    .apply = fake_apply,
    .remove = fake_remove,
    .inventory = fake_inventory,
    .set_inventory = fake_set_inventory,
};

static const sl_applier_ops fake_raw_ops = {
    .kind = "fake-raw",
    .get = fake_get,
    .get_raw = fake_get_raw,
    .apply = fake_apply,
    .remove = fake_remove,
    .inventory = fake_inventory,
    .set_inventory = fake_set_inventory,
};

static const sl_applier_ops fake_dry_ops = {
    .kind = "fake-dry",
    .get = fake_get,
    .dry_run = fake_dry_run,
    .apply = fake_apply,
    .remove = fake_remove,
    .inventory = fake_inventory,
    .set_inventory = fake_set_inventory,
};

static void fake_init(fake *f, sl_target *t, const sl_applier_ops *ops)
{
    memset(f, 0, sizeof(*f));
    t->ops = ops;
    t->name = "fake";
    t->priv = f;
}

static void fake_free(fake *f)
{
    for (size_t i = 0; i < f->n; i++) {
        sl_objid_clear(&f->v[i].id);
        cJSON_Delete(f->v[i].obj);
    }
    sl_objset_free(f->inv);
}

static int fake_has(fake *f, const char *api, const char *kind, const char *ns, const char *name)
{
    sl_objid id;
    char grp[64] = "", *slash;
    const char *ver = api;
    int r;

    if ((slash = strchr(api, '/'))) {
        snprintf(grp, sizeof(grp), "%.*s", (int)(slash - api), api);
        ver = slash + 1;
    }
    sl_objid_make(&id, grp, ver, kind, ns, name);
    r = fake_find(f, &id) != NULL;
    sl_objid_clear(&id);
    return r;
}

static int inv_has(fake *f, const char *kind, const char *name)
{
    for (size_t i = 0; f->inv && i < f->inv->n; i++)
        if (!strcmp(f->inv->v[i].id.kind, kind) && !strcmp(f->inv->v[i].id.name, name))
            return 1;
    return 0;
}

/* ---- fixtures ---- */

static cJSON *cm(const char *name, const char *value)
{
    char buf[512];

    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
             "\"namespace\":\"shop\"},\"data\":{\"k\":\"%s\"}}",
             name, value);
    return cJSON_Parse(buf);
}

static cJSON *deploy(const char *name, int replicas)
{
    char buf[512];

    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"%s\","
             "\"namespace\":\"shop\"},\"spec\":{\"replicas\":%d,\"template\":{}}}",
             name, replicas);
    return cJSON_Parse(buf);
}

static sl_objset *set_of(cJSON *const *objs, size_t n)
{
    sl_objset *s = NULL;
    sl_error err;

    SL_CHECK_INT(sl_objset_new(&s), 0);
    for (size_t i = 0; i < n; i++)
        SL_CHECK_INT(sl_objset_add(s, objs[i], "test.yaml", (int)i + 1, 1, &err), 0);
    return s;
}

static void add_inv(fake *f, const char *group, const char *ver, const char *kind, const char *name)
{
    sl_objid id;

    if (!f->inv)
        SL_CHECK_INT(sl_objset_new(&f->inv), 0);
    sl_objid_make(&id, group, ver, kind, "shop", name);
    SL_CHECK_INT(sl_objset_add_id(f->inv, &id, NULL), 0);
    sl_objid_clear(&id);
}

static sl_plan *build(sl_objset *d, sl_target *t, int prune, int allow_empty, int expect_rc,
                      sl_error *err)
{
    sl_plan_opts o = {.prune = prune, .allow_empty = allow_empty};
    sl_plan *p = (sl_plan *)1;

    sl_error_clear(err);
    SL_CHECK_INT(sl_plan_build("shop", "fake", "abc123", d, t, &o, &p, err), expect_rc);
    if (expect_rc)
        SL_CHECK(p == NULL);
    return p;
}

/* ---- tests ---- */

static void test_action_names(void)
{
    SL_CHECK_STR(sl_action_name(SL_ACT_UNCHANGED), "unchanged");
    SL_CHECK_STR(sl_action_name(SL_ACT_CREATE), "create");
    SL_CHECK_STR(sl_action_name(SL_ACT_UPDATE), "update");
    SL_CHECK_STR(sl_action_name(SL_ACT_PRUNE), "prune");
}

static void test_normalize(void)
{
    cJSON *o =
        cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"status\":{\"x\":1},"
                    "\"metadata\":{\"name\":\"a\",\"managedFields\":[{}],\"resourceVersion\":\"7\","
                    "\"uid\":\"u\",\"generation\":3,\"creationTimestamp\":\"2024-01-01T00:00:00Z\","
                    "\"selfLink\":\"/x\",\"labels\":{},\"annotations\":{"
                    "\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\",\"keep\":\"me\"}},"
                    "\"data\":{\"status\":\"stays\"}}");
    char *s;

    sl_normalize(o);
    s = cJSON_PrintUnformatted(o);
    SL_CHECK_STR(s, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\","
                    "\"annotations\":{\"keep\":\"me\"}},\"data\":{\"status\":\"stays\"}}");
    free(s);
    cJSON_Delete(o);
    /* An annotation map left empty goes. */
    o = cJSON_Parse("{\"metadata\":{\"name\":\"a\",\"annotations\":{"
                    "\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"}}}");
    sl_normalize(o);
    s = cJSON_PrintUnformatted(o);
    SL_CHECK_STR(s, "{\"metadata\":{\"name\":\"a\"}}");
    free(s);
    cJSON_Delete(o);
    sl_normalize(NULL);
}

static void plan_basic(const sl_applier_ops *ops)
{
    fake f;
    sl_target t;
    sl_error err;
    cJSON *objs[3];
    sl_objset *d;
    sl_plan *p;

    fake_init(&f, &t, ops);
    fake_put(&f, cm("same", "1"));
    fake_put(&f, deploy("orders", 2));
    objs[0] = cm("same", "1");
    objs[1] = deploy("orders", 3);
    objs[2] = cm("new", "x");
    d = set_of(objs, 3);
    p = build(d, &t, 1, 0, 0, &err);
    SL_CHECK(p != NULL);
    if (p) {
        SL_CHECK_INT(p->n, 3);
        SL_CHECK_INT(p->v[0].action, SL_ACT_UNCHANGED);
        SL_CHECK_INT(p->v[1].action, SL_ACT_UPDATE);
        SL_CHECK_INT(p->v[2].action, SL_ACT_CREATE);
        SL_CHECK_STR(p->v[1].id.name, "orders");
        SL_CHECK(p->v[1].desired == &d->v[1]);
        SL_CHECK_INT(sl_doc_path(p->v[1].live, "spec.replicas")->valueint, 2);
        SL_CHECK_INT(sl_doc_path(p->v[1].want, "spec.replicas")->valueint, 3);
        SL_CHECK(p->v[2].live == NULL && p->v[2].want != NULL);
        SL_CHECK(p->v[0].want == NULL && p->v[0].live == NULL);
        SL_CHECK_INT(p->counts[SL_ACT_UNCHANGED], 1);
        SL_CHECK_INT(p->counts[SL_ACT_UPDATE], 1);
        SL_CHECK_INT(p->counts[SL_ACT_CREATE], 1);
        SL_CHECK_INT(p->counts[SL_ACT_PRUNE], 0);
        SL_CHECK_STR(p->app, "shop");
        SL_CHECK_STR(p->revision, "abc123");
    }
    sl_plan_free(p);
    sl_objset_free(d);
    fake_free(&f);
}

static void test_create_update_unchanged(void)
{
    plan_basic(&fake_ops);
}

static void test_create_update_unchanged_raw(void)
{
    plan_basic(&fake_raw_ops);
}

/* With get_raw, an object whose stored bytes equal its rendering is
 * unchanged without reading the live object at all. */
static void test_raw_fast_path(void)
{
    fake f;
    sl_target t;
    sl_error err;
    cJSON *objs[2];
    sl_objset *d;
    sl_plan *p;

    fake_init(&f, &t, &fake_raw_ops);
    fake_put(&f, cm("a", "1"));
    fake_put(&f, cm("b", "1"));
    objs[0] = cm("a", "1");
    objs[1] = cm("b", "2");
    d = set_of(objs, 2);
    p = build(d, &t, 0, 0, 0, &err);
    SL_CHECK(p && p->n == 2);
    if (p && p->n == 2) {
        SL_CHECK_INT(p->v[0].action, SL_ACT_UNCHANGED);
        SL_CHECK_INT(p->v[1].action, SL_ACT_UPDATE);
    }
    SL_CHECK_INT(f.raws, 2);
    SL_CHECK_INT(f.gets, 1); /* only b */
    sl_plan_free(p);
    sl_objset_free(d);
    fake_free(&f);
}

/* What the server adds does not count as a change. */
static void test_server_fields_ignored(void)
{
    const sl_applier_ops *ops[] = {&fake_ops, &fake_raw_ops};

    for (size_t k = 0; k < 2; k++) {
        fake f;
        sl_target t;
        sl_error err;
        cJSON *live = deploy("orders", 2), *objs[1];
        cJSON *meta = cJSON_GetObjectItemCaseSensitive(live, "metadata"), *ann;
        sl_objset *d;
        sl_plan *p;

        cJSON_AddItemToObject(live, "status", cJSON_Parse("{\"readyReplicas\":2}"));
        cJSON_AddItemToObject(meta, "managedFields", cJSON_Parse("[{\"manager\":\"kubectl\"}]"));
        cJSON_AddStringToObject(meta, "resourceVersion", "12345");
        cJSON_AddStringToObject(meta, "uid", "6b0d3b8e-0000-4000-8000-000000000000");
        cJSON_AddNumberToObject(meta, "generation", 4);
        cJSON_AddStringToObject(meta, "creationTimestamp", "2024-05-01T10:00:00Z");
        ann = cJSON_AddObjectToObject(meta, "annotations");
        cJSON_AddStringToObject(ann, "kubectl.kubernetes.io/last-applied-configuration", "{}");
        fake_init(&f, &t, ops[k]);
        fake_put(&f, live);
        objs[0] = deploy("orders", 2);
        d = set_of(objs, 1);
        p = build(d, &t, 0, 0, 0, &err);
        SL_CHECK(p && p->n == 1 && p->v[0].action == SL_ACT_UNCHANGED);
        sl_plan_free(p);
        sl_objset_free(d);
        fake_free(&f);
    }
}

/* With a dry run, the target's defaults are on both sides of the compare. */
static void test_dry_run_defaults(void)
{
    fake f;
    sl_target t;
    sl_error err;
    cJSON *objs[1],
        *live = cJSON_Parse(
            "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\","
            "\"namespace\":\"shop\"},\"spec\":{\"template\":{},\"replicas\":1}}");
    sl_objset *d;
    sl_plan *p;

    objs[0] = cJSON_Parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
                          "{\"name\":\"web\",\"namespace\":\"shop\"},\"spec\":{\"template\":{}}}");
    d = set_of(objs, 1);
    /* Without a dry run the default looks like a change... */
    fake_init(&f, &t, &fake_ops);
    fake_put(&f, cJSON_Duplicate(live, 1));
    p = build(d, &t, 0, 0, 0, &err);
    SL_CHECK(p && p->v[0].action == SL_ACT_UPDATE);
    sl_plan_free(p);
    fake_free(&f);
    /* ...with one it is not. */
    fake_init(&f, &t, &fake_dry_ops);
    fake_put(&f, live);
    p = build(d, &t, 0, 0, 0, &err);
    SL_CHECK(p && p->v[0].action == SL_ACT_UNCHANGED);
    SL_CHECK_INT(f.dry_runs, 1);
    sl_plan_free(p);
    fake_free(&f);
    sl_objset_free(d);
}

static void test_prune(void)
{
    fake f;
    sl_target t;
    sl_error err;
    cJSON *objs[1], *keep = cm("keep", "1");
    sl_objset *d;
    sl_plan *p;

    fake_init(&f, &t, &fake_ops);
    fake_put(&f, cm("a", "1"));
    fake_put(&f, cm("zold", "1"));
    fake_put(&f, deploy("bold", 1));
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(keep, "metadata"), "annotations",
                          cJSON_Parse("{\"sluice.dev/prune\":\"disabled\"}"));
    fake_put(&f, keep);
    add_inv(&f, "", "v1", "ConfigMap", "zold");
    add_inv(&f, "", "v1", "ConfigMap", "a");
    add_inv(&f, "", "v1", "ConfigMap", "keep");
    add_inv(&f, "", "v1", "ConfigMap", "gone"); /* in the inventory, not live */
    add_inv(&f, "apps", "v1", "Deployment", "bold");
    objs[0] = cm("a", "1");
    d = set_of(objs, 1);

    p = build(d, &t, 0, 0, 0, &err);
    SL_CHECK(p && p->n == 1 && p->counts[SL_ACT_PRUNE] == 0);
    sl_plan_free(p);

    p = build(d, &t, 1, 0, 0, &err);
    SL_CHECK(p && p->n == 3);
    if (p && p->n == 3) {
        SL_CHECK_INT(p->v[0].action, SL_ACT_UNCHANGED);
        /* prunes in identity order: group "" before "apps" */
        SL_CHECK_INT(p->v[1].action, SL_ACT_PRUNE);
        SL_CHECK_STR(p->v[1].id.name, "zold");
        SL_CHECK_INT(p->v[2].action, SL_ACT_PRUNE);
        SL_CHECK_STR(p->v[2].id.name, "bold");
        SL_CHECK(p->v[1].live != NULL && p->v[1].want == NULL && p->v[1].desired == NULL);
        SL_CHECK_INT(p->counts[SL_ACT_PRUNE], 2);
    }
    /* Apply: both pruned, the opted-out object stays live, inventory = desired. */
    sl_error_clear(&err);
    SL_CHECK_INT(sl_plan_apply(p, d, &t, NULL, &err), 0);
    SL_CHECK(!fake_has(&f, "v1", "ConfigMap", "shop", "zold"));
    SL_CHECK(!fake_has(&f, "apps/v1", "Deployment", "shop", "bold"));
    SL_CHECK(fake_has(&f, "v1", "ConfigMap", "shop", "keep"));
    SL_CHECK(f.inv && f.inv->n == 1 && inv_has(&f, "ConfigMap", "a"));
    sl_plan_free(p);
    sl_objset_free(d);
    fake_free(&f);
}

static void test_empty_render_guard(void)
{
    fake f;
    sl_target t;
    sl_error err;
    sl_objset *d = set_of(NULL, 0);
    sl_plan *p;

    fake_init(&f, &t, &fake_ops);
    /* Nothing to prune: an empty render is fine. */
    p = build(d, &t, 1, 0, 0, &err);
    SL_CHECK(p && p->n == 0);
    sl_plan_free(p);

    fake_put(&f, cm("a", "1"));
    fake_put(&f, cm("b", "1"));
    add_inv(&f, "", "v1", "ConfigMap", "a");
    add_inv(&f, "", "v1", "ConfigMap", "b");
    p = build(d, &t, 1, 0, SL_EREFUSED, &err);
    SL_CHECK_INT(err.code, SL_EREFUSED);
    SL_CHECK_HAS(err.msg, "rendered no objects; refusing to prune 2 objects");
    SL_CHECK_HAS(err.msg, "allowEmpty: true");
    sl_plan_free(p);

    p = build(d, &t, 1, 1, 0, &err);
    SL_CHECK(p && p->counts[SL_ACT_PRUNE] == 2);
    sl_plan_free(p);
    sl_objset_free(d);
    fake_free(&f);
}

/* Applies go in kind order (Namespaces, RBAC, config, Services,
 * workloads, the rest), prunes in reverse; the mass-prune guard stops a
 * plan before anything is applied unless confirmed. */
static void test_order_and_guard(void)
{
    static const char *const docs[] = {
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\","
        "\"namespace\":\"shop\"}}",
        "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w\","
        "\"namespace\":\"shop\"}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cfg\","
        "\"namespace\":\"shop\"}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"svc\","
        "\"namespace\":\"shop\"}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"sa\","
        "\"namespace\":\"shop\"}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"shop\"}}",
    };
    fake f;
    sl_target t;
    sl_error err;
    cJSON *objs[6];
    sl_objset *d;
    sl_plan *p;
    sl_apply_opts ao = {.app = "app", .field_manager = "sluice"};

    fake_init(&f, &t, &fake_ops);
    for (size_t i = 0; i < 6; i++)
        objs[i] = cJSON_Parse(docs[i]);
    fake_put(&f, cJSON_Parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                             "\"metadata\":{\"name\":\"old-dep\",\"namespace\":\"shop\"}}"));
    fake_put(&f, cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                             "\"metadata\":{\"name\":\"old-cm\",\"namespace\":\"shop\"}}"));
    add_inv(&f, "apps", "v1", "Deployment", "old-dep");
    add_inv(&f, "", "v1", "ConfigMap", "old-cm");
    d = set_of(objs, 6);
    p = build(d, &t, 1, 0, 0, &err);
    SL_CHECK(p && p->counts[SL_ACT_CREATE] == 6 && p->counts[SL_ACT_PRUNE] == 2);
    if (!p)
        goto out;
    /* The report keeps render order. */
    SL_CHECK_STR(p->v[0].id.name, "web");
    /* The guard: 2 prunes of 2 live objects is 100%. */
    p->max_prune_share = 0.5;
    sl_error_clear(&err);
    SL_CHECK_INT(sl_plan_apply(p, d, &t, &ao, &err), SL_EREFUSED);
    SL_CHECK_HAS(err.msg, "mass-prune guard");
    SL_CHECK_HAS(err.msg, "apps/v1 Deployment shop/old-dep");
    SL_CHECK_INT(f.applies, 0);
    SL_CHECK_INT(f.removes, 0);
    ao.confirm_prune = 1;
    SL_CHECK_INT(sl_plan_apply(p, d, &t, &ao, &err), 0);
    SL_CHECK_STR(f.order, "shop sa cfg svc web w -old-dep -old-cm ");
    sl_plan_free(p);
out:
    sl_objset_free(d);
    fake_free(&f);
}

/* One create fails: nothing is pruned, the inventory only gains what was
 * applied. */
static void test_failed_apply_prunes_nothing(void)
{
    fake f;
    sl_target t;
    sl_error err;
    cJSON *objs[3];
    sl_objset *d;
    sl_plan *p;
    int rc;

    fake_init(&f, &t, &fake_ops);
    fake_put(&f, cm("old", "1"));
    add_inv(&f, "", "v1", "ConfigMap", "old");
    objs[0] = cm("first", "1");
    objs[1] = cm("bad", "1");
    objs[2] = cm("third", "1");
    d = set_of(objs, 3);
    p = build(d, &t, 1, 0, 0, &err);
    SL_CHECK(p && p->counts[SL_ACT_CREATE] == 3 && p->counts[SL_ACT_PRUNE] == 1);
    f.fail_apply = "bad";
    sl_error_clear(&err);
    rc = sl_plan_apply(p, d, &t, NULL, &err);
    SL_CHECK_INT(rc, SL_ECONFLICT);
    SL_CHECK_HAS(err.msg, "v1 ConfigMap shop/bad");
    SL_CHECK_HAS(err.msg, "admission webhook denied");
    SL_CHECK(fake_has(&f, "v1", "ConfigMap", "shop", "first"));
    SL_CHECK(!fake_has(&f, "v1", "ConfigMap", "shop", "third")); /* stopped */
    SL_CHECK(fake_has(&f, "v1", "ConfigMap", "shop", "old"));    /* not pruned */
    SL_CHECK_INT(f.removes, 0);
    SL_CHECK(inv_has(&f, "ConfigMap", "old"));
    SL_CHECK(inv_has(&f, "ConfigMap", "first"));
    SL_CHECK(!inv_has(&f, "ConfigMap", "bad"));
    SL_CHECK(!inv_has(&f, "ConfigMap", "third"));
    sl_plan_free(p);
    sl_objset_free(d);
    fake_free(&f);
}

/* A delete that fails keeps the object in the inventory; the next plan
 * prunes it again. */
static void test_failed_delete_stays_in_inventory(void)
{
    fake f;
    sl_target t;
    sl_error err;
    cJSON *objs[1];
    sl_objset *d;
    sl_plan *p;

    fake_init(&f, &t, &fake_ops);
    fake_put(&f, cm("stuck", "1"));
    fake_put(&f, cm("old", "1"));
    add_inv(&f, "", "v1", "ConfigMap", "stuck");
    add_inv(&f, "", "v1", "ConfigMap", "old");
    objs[0] = cm("app", "1");
    d = set_of(objs, 1);
    p = build(d, &t, 1, 0, 0, &err);
    SL_CHECK(p && p->counts[SL_ACT_PRUNE] == 2);
    f.fail_remove = "stuck";
    sl_error_clear(&err);
    SL_CHECK_INT(sl_plan_apply(p, d, &t, NULL, &err), SL_EIO);
    SL_CHECK_HAS(err.msg, "shop/stuck");
    SL_CHECK(fake_has(&f, "v1", "ConfigMap", "shop", "app"));
    SL_CHECK(!fake_has(&f, "v1", "ConfigMap", "shop", "old"));
    SL_CHECK(inv_has(&f, "ConfigMap", "app"));
    SL_CHECK(inv_has(&f, "ConfigMap", "stuck"));
    SL_CHECK(!inv_has(&f, "ConfigMap", "old"));
    sl_plan_free(p);
    /* Retried next time. */
    f.fail_remove = NULL;
    p = build(d, &t, 1, 0, 0, &err);
    SL_CHECK(p && p->n == 2 && p->v[1].action == SL_ACT_PRUNE && !strcmp(p->v[1].id.name, "stuck"));
    SL_CHECK(p && p->v[0].action == SL_ACT_UNCHANGED);
    sl_error_clear(&err);
    SL_CHECK_INT(sl_plan_apply(p, d, &t, NULL, &err), 0);
    SL_CHECK(!fake_has(&f, "v1", "ConfigMap", "shop", "stuck"));
    SL_CHECK(!inv_has(&f, "ConfigMap", "stuck"));
    sl_plan_free(p);
    sl_objset_free(d);
    fake_free(&f);
}

/* Apply then plan again: nothing left to do. */
static void test_apply_converges(void)
{
    const sl_applier_ops *ops[] = {&fake_ops, &fake_raw_ops};

    for (size_t k = 0; k < 2; k++) {
        fake f;
        sl_target t;
        sl_error err;
        cJSON *objs[3];
        sl_objset *d;
        sl_plan *p;

        fake_init(&f, &t, ops[k]);
        fake_put(&f, deploy("orders", 1));
        objs[0] = cm("a", "1");
        objs[1] = deploy("orders", 5);
        objs[2] = cm("b", "2");
        d = set_of(objs, 3);
        p = build(d, &t, 1, 0, 0, &err);
        SL_CHECK_INT(sl_plan_apply(p, d, &t, NULL, &err), 0);
        SL_CHECK_INT(f.applies, 3);
        sl_plan_free(p);
        p = build(d, &t, 1, 0, 0, &err);
        SL_CHECK(p && p->counts[SL_ACT_UNCHANGED] == 3 && p->n == 3);
        SL_CHECK(inv_has(&f, "ConfigMap", "a") && inv_has(&f, "Deployment", "orders"));
        f.applies = 0;
        SL_CHECK_INT(sl_plan_apply(p, d, &t, NULL, &err), 0);
        SL_CHECK_INT(f.applies, 0);
        sl_plan_free(p);
        sl_objset_free(d);
        fake_free(&f);
    }
}

/* A read error names the object; no plan is returned. */
static int fail_get(sl_target *t, const sl_objid *id, cJSON **live, sl_error *err)
{
    *live = NULL;
    return sl_error_set(err, SL_ENET, "connection refused");
}

static void test_get_error(void)
{
    sl_applier_ops ops = fake_ops;
    fake f;
    sl_target t;
    sl_error err;
    cJSON *objs[1];
    sl_objset *d;

    ops.get = fail_get;
    fake_init(&f, &t, &ops);
    objs[0] = deploy("orders", 1);
    d = set_of(objs, 1);
    build(d, &t, 1, 0, SL_ENET, &err);
    SL_CHECK_HAS(err.msg, "apps/v1 Deployment shop/orders");
    SL_CHECK_HAS(err.msg, "connection refused");
    sl_objset_free(d);
    fake_free(&f);
}

/* 10,000 unchanged objects through the raw fast path: no live reads. */
static int big_get_raw(sl_target *t, const sl_objid *id, sl_buf *out, sl_error *err)
{
    const sl_objset *stored = t->priv;
    const sl_obj *o = sl_objset_find(stored, id);

    if (!o)
        return SL_ENOTFOUND;
    return sl_yaml_write(out, o->json);
}

static int big_gets;

static int big_get(sl_target *t, const sl_objid *id, cJSON **live, sl_error *err)
{
    big_gets++;
    *live = NULL;
    return 0;
}

static void test_noop_10000_objects(void)
{
    sl_applier_ops ops = {.kind = "big", .get = big_get, .get_raw = big_get_raw};
    sl_objset *d = NULL, *stored = NULL;
    sl_target t = {&ops, "big", NULL};
    sl_error err;
    sl_plan *p = NULL;
    struct timespec t0, t1;

    SL_CHECK_INT(sl_objset_new(&d), 0);
    SL_CHECK_INT(sl_objset_new(&stored), 0);
    for (int i = 0; i < 10000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "cm-%05d", i);
        SL_CHECK_INT(sl_objset_add(d, cm(name, "v"), "x.yaml", i + 1, 1, &err), 0);
        SL_CHECK_INT(sl_objset_add(stored, cm(name, "v"), "y.yaml", i + 1, 1, &err), 0);
    }
    big_gets = 0;
    t.priv = stored;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    p = build(d, &t, 0, 0, 0, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    SL_CHECK(p && p->counts[SL_ACT_UNCHANGED] == 10000);
    SL_CHECK_INT(big_gets, 0);
    SL_CHECK((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 < 5.0);
    sl_plan_free(p);
    sl_objset_free(d);
    sl_objset_free(stored);
}

/* Without prune, objects that left the app stay live and stay in the
 * inventory, so turning prune on later deletes them. */
static void test_no_prune_keeps_inventory(void)
{
    fake f;
    sl_target t;
    sl_error err;
    cJSON *objs[1];
    sl_objset *d;
    sl_plan *p;

    fake_init(&f, &t, &fake_ops);
    fake_put(&f, cm("old", "1"));
    add_inv(&f, "", "v1", "ConfigMap", "old");
    objs[0] = cm("new", "1");
    d = set_of(objs, 1);
    p = build(d, &t, 0, 0, 0, &err);
    SL_CHECK_INT(sl_plan_apply(p, d, &t, NULL, &err), 0);
    SL_CHECK(fake_has(&f, "v1", "ConfigMap", "shop", "old"));
    SL_CHECK(inv_has(&f, "ConfigMap", "old"));
    SL_CHECK(inv_has(&f, "ConfigMap", "new"));
    sl_plan_free(p);
    p = build(d, &t, 1, 0, 0, &err);
    SL_CHECK(p && p->counts[SL_ACT_PRUNE] == 1);
    SL_CHECK_INT(sl_plan_apply(p, d, &t, NULL, &err), 0);
    SL_CHECK(!fake_has(&f, "v1", "ConfigMap", "shop", "old"));
    SL_CHECK(!inv_has(&f, "ConfigMap", "old"));
    sl_plan_free(p);
    sl_objset_free(d);
    fake_free(&f);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_action_names), SL_TEST_ENTRY(test_normalize),
             SL_TEST_ENTRY(test_create_update_unchanged),
             SL_TEST_ENTRY(test_create_update_unchanged_raw), SL_TEST_ENTRY(test_raw_fast_path),
             SL_TEST_ENTRY(test_server_fields_ignored), SL_TEST_ENTRY(test_dry_run_defaults),
             SL_TEST_ENTRY(test_prune), SL_TEST_ENTRY(test_no_prune_keeps_inventory),
             SL_TEST_ENTRY(test_empty_render_guard),
             SL_TEST_ENTRY(test_failed_apply_prunes_nothing), SL_TEST_ENTRY(test_order_and_guard),
             SL_TEST_ENTRY(test_failed_delete_stays_in_inventory),
             SL_TEST_ENTRY(test_apply_converges), SL_TEST_ENTRY(test_get_error),
             SL_TEST_ENTRY(test_noop_10000_objects))
