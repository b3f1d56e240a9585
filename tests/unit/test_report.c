/* test_report.c: sl_report_write (text, JSON, markdown) and sl_mask_secrets. */
#include <stdlib.h>
#include <string.h>

#include "sl_doc.h"
#include "sl_obj.h"
#include "sl_plan.h"
#include "sl_test.h"

/* Base64 values of the test Secret: they must never be printed. */
#define OLD_PW "c3VwZXJzZWNyZXQtb2xk"   /* supersecret-old */
#define NEW_PW "c3VwZXJzZWNyZXQtbmV3"   /* supersecret-new */
#define SAME_USER "YWRtaW4tdXNlcg=="    /* admin-user */
#define ONLY_NEW "bmV3LWtleS12YWx1ZQ==" /* new-key-value */
#define STRDATA "plain-text-token-42"

static void add_item(sl_plan *p, sl_action a, const char *group, const char *ver, const char *kind,
                     const char *ns, const char *name, const char *live, const char *want)
{
    sl_plan_item *it;

    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->v = realloc(p->v, p->cap * sizeof(*p->v));
    }
    it = &p->v[p->n++];
    memset(it, 0, sizeof(*it));
    it->action = a;
    SL_CHECK_INT(sl_objid_make(&it->id, group, ver, kind, ns, name), 0);
    it->live = live ? cJSON_Parse(live) : NULL;
    it->want = want ? cJSON_Parse(want) : NULL;
    SL_CHECK(!live || it->live);
    SL_CHECK(!want || it->want);
    p->counts[a]++;
}

static sl_plan *new_plan(const char *app, const char *target, const char *rev)
{
    sl_plan *p = calloc(1, sizeof(*p));

    p->app = strdup(app);
    p->target = strdup(target);
    p->revision = strdup(rev);
    return p;
}

#define DEPLOY(r)                                                                                  \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"orders\","       \
    "\"namespace\":\"shop\"},\"spec\":{\"replicas\":" #r ",\"template\":{\"spec\":{"               \
    "\"containers\":[{\"name\":\"app\",\"image\":\"orders:1.2\"}]}}}}"
#define CM(n, v)                                                                                   \
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" n "\","              \
    "\"namespace\":\"shop\"},\"data\":{\"k\":\"" v "\"}}"
#define SECRET(pw, extra)                                                                          \
    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"db\","                    \
    "\"namespace\":\"shop\"},\"type\":\"Opaque\",\"data\":{\"password\":\"" pw "\","               \
    "\"username\":\"" SAME_USER "\"" extra "}}"

/* Two apps: shop (create, update, prune, unchanged) and billing (a Secret
 * update). */
static void make_plans(sl_plan **plans)
{
    sl_plan *p = new_plan("shop", "staging", "abc123");

    add_item(p, SL_ACT_UNCHANGED, "", "v1", "ConfigMap", "shop", "same", NULL, NULL);
    add_item(p, SL_ACT_UPDATE, "apps", "v1", "Deployment", "shop", "orders", DEPLOY(2), DEPLOY(3));
    add_item(p, SL_ACT_CREATE, "", "v1", "ConfigMap", "shop", "fresh", NULL, CM("fresh", "hello"));
    add_item(p, SL_ACT_PRUNE, "", "v1", "ConfigMap", "shop", "stale", CM("stale", "bye"), NULL);
    plans[0] = p;
    p = new_plan("billing", "staging", "def456");
    add_item(p, SL_ACT_UPDATE, "", "v1", "Secret", "shop", "db", SECRET(OLD_PW, ""),
             SECRET(NEW_PW, ",\"apikey\":\"" ONLY_NEW "\""));
    add_item(p, SL_ACT_UNCHANGED, "", "v1", "ConfigMap", "shop", "x", NULL, NULL);
    plans[1] = p;
}

static char *report(sl_plan **plans, size_t n, sl_outfmt fmt, int color)
{
    sl_buf out = SL_BUF_INIT;

    SL_CHECK_INT(sl_report_write(&out, plans, n, fmt, color), 0);
    return sl_buf_detach(&out);
}

/* True when some line of s starts with prefix and contains needle (the YAML
 * writer may quote a masked value either way). */
static int has_line(const char *s, const char *prefix, const char *needle)
{
    for (const char *l = s; l && *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        if (!strncmp(l, prefix, strlen(prefix))) {
            char *line = strndup(l, n);
            int hit = strstr(line, needle) != NULL;
            free(line);
            if (hit)
                return 1;
        }
        l = e ? e + 1 : NULL;
    }
    return 0;
}

static void check_no_secret(const char *s)
{
    SL_CHECK(!strstr(s, OLD_PW));
    SL_CHECK(!strstr(s, NEW_PW));
    SL_CHECK(!strstr(s, SAME_USER));
    SL_CHECK(!strstr(s, ONLY_NEW));
}

static void test_text(void)
{
    sl_plan *plans[2];
    char *s, *last;

    make_plans(plans);
    s = report(plans, 2, SL_OUT_TEXT, 0);
    /* the summary over all plans is the last line */
    last = strrchr(s, '\n');
    SL_CHECK(last && last[1] == '\0');
    *last = '\0';
    last = strrchr(s, '\n');
    SL_CHECK_STR(last ? last + 1 : s, "1 to create, 2 to update, 1 to prune, 2 unchanged");
    SL_CHECK_HAS(s, "--- live/apps/v1 Deployment shop/orders\n"
                    "+++ desired/apps/v1 Deployment shop/orders\n");
    SL_CHECK_HAS(s, "-  replicas: 2\n+  replicas: 3\n");
    SL_CHECK_HAS(s,
                 "--- live/v1 ConfigMap shop/fresh\n+++ desired/v1 ConfigMap shop/fresh\n@@ -0,0 ");
    SL_CHECK_HAS(s, "+  k: hello\n");
    SL_CHECK_HAS(s,
                 "--- live/v1 ConfigMap shop/stale\n+++ desired/v1 ConfigMap shop/stale\n@@ -1,");
    SL_CHECK_HAS(s, "-  k: bye\n");
    SL_CHECK(!strstr(s, "shop/same")); /* unchanged objects are not shown */
    SL_CHECK(!strchr(s, '\033'));
    /* the Secret: keys visible, values masked */
    SL_CHECK(has_line(s, "-  password: ", "*** (before)"));
    SL_CHECK(has_line(s, "+  password: ", "*** (after)"));
    SL_CHECK(has_line(s, "+  apikey: ", "***"));
    SL_CHECK(has_line(s, "   username: ", "***"));
    check_no_secret(s);
    free(s);

    s = report(plans, 2, SL_OUT_TEXT, 1);
    SL_CHECK_HAS(s, "\033[31m-  replicas: 2\033[0m\n");
    SL_CHECK_HAS(s, "\033[32m+  replicas: 3\033[0m\n");
    SL_CHECK_HAS(s, "\033[36m@@ ");
    SL_CHECK_HAS(s, "1 to create, 2 to update, 1 to prune, 2 unchanged\n");
    check_no_secret(s);
    free(s);

    /* No plans: just the summary. */
    s = report(NULL, 0, SL_OUT_TEXT, 0);
    SL_CHECK_STR(s, "0 to create, 0 to update, 0 to prune, 0 unchanged\n");
    free(s);
    sl_plan_free(plans[0]);
    sl_plan_free(plans[1]);
}

static double num(const cJSON *o, const char *path)
{
    const cJSON *n = sl_doc_path(o, path);
    return cJSON_IsNumber(n) ? n->valuedouble : -1;
}

static void test_json(void)
{
    sl_plan *plans[2];
    cJSON *root, *apps, *a0, *changes, *c;
    char *s;

    make_plans(plans);
    s = report(plans, 2, SL_OUT_JSON, 1);
    SL_CHECK(!strchr(s, '\033')); /* never colour in JSON */
    check_no_secret(s);
    root = cJSON_Parse(s);
    SL_CHECK(root != NULL);
    apps = cJSON_GetObjectItemCaseSensitive(root, "apps");
    SL_CHECK_INT(cJSON_GetArraySize(apps), 2);
    a0 = cJSON_GetArrayItem(apps, 0);
    SL_CHECK_STR(sl_doc_str(a0, "app"), "shop");
    SL_CHECK_STR(sl_doc_str(a0, "target"), "staging");
    SL_CHECK_STR(sl_doc_str(a0, "revision"), "abc123");
    SL_CHECK(num(a0, "summary.create") == 1 && num(a0, "summary.update") == 1 &&
             num(a0, "summary.prune") == 1 && num(a0, "summary.unchanged") == 1);
    SL_CHECK(num(root, "summary.create") == 1 && num(root, "summary.update") == 2 &&
             num(root, "summary.prune") == 1 && num(root, "summary.unchanged") == 2);
    changes = cJSON_GetObjectItemCaseSensitive(a0, "changes");
    SL_CHECK_INT(cJSON_GetArraySize(changes), 3);
    c = cJSON_GetArrayItem(changes, 0);
    SL_CHECK_STR(sl_doc_str(c, "action"), "update");
    SL_CHECK_STR(sl_doc_str(c, "apiVersion"), "apps/v1");
    SL_CHECK_STR(sl_doc_str(c, "kind"), "Deployment");
    SL_CHECK_STR(sl_doc_str(c, "namespace"), "shop");
    SL_CHECK_STR(sl_doc_str(c, "name"), "orders");
    SL_CHECK_HAS(sl_doc_str(c, "diff"), "-  replicas: 2\n+  replicas: 3\n");
    SL_CHECK_STR(sl_doc_str(cJSON_GetArrayItem(changes, 1), "action"), "create");
    SL_CHECK_STR(sl_doc_str(cJSON_GetArrayItem(changes, 2), "action"), "prune");
    c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(apps, 1), "changes"),
                           0);
    SL_CHECK_STR(sl_doc_str(c, "kind"), "Secret");
    SL_CHECK_HAS(sl_doc_str(c, "diff"), "*** (after)");
    cJSON_Delete(root);
    free(s);
    sl_plan_free(plans[0]);
    sl_plan_free(plans[1]);
}

static void test_markdown(void)
{
    sl_plan *plans[2];
    char *s;
    const char *d;

    make_plans(plans);
    s = report(plans, 2, SL_OUT_MARKDOWN, 1);
    SL_CHECK(!strchr(s, '\033'));
    check_no_secret(s);
    SL_CHECK(!strncmp(s, "### ", 4));
    SL_CHECK_HAS(s, "1 to create, 2 to update, 1 to prune, 2 unchanged");
    SL_CHECK_HAS(s, "| app | target | revision | create | update | prune | unchanged |\n");
    SL_CHECK_HAS(s, "| shop | staging | abc123 | 1 | 1 | 1 | 1 |\n");
    SL_CHECK_HAS(s, "| billing | staging | def456 | 0 | 1 | 0 | 1 |\n");
    d = strstr(s, "<details><summary>`update` apps/v1 Deployment shop/orders</summary>\n\n"
                  "```diff\n--- live/apps/v1 Deployment shop/orders\n");
    SL_CHECK(d != NULL);
    if (d) {
        const char *end = strstr(d, "</details>");
        SL_CHECK(end != NULL);
        SL_CHECK(end && strstr(d, "-  replicas: 2\n") < end);
        SL_CHECK(end && strstr(d, "\n```\n\n</details>") + 6 == end);
    }
    SL_CHECK_HAS(s, "<details><summary>`create` v1 ConfigMap shop/fresh</summary>");
    SL_CHECK_HAS(s, "<details><summary>`prune` v1 ConfigMap shop/stale</summary>");
    SL_CHECK_HAS(s, "<details><summary>`update` v1 Secret shop/db</summary>");
    /* one <details> per change, each closed */
    {
        int open = 0, closed = 0;
        for (const char *p = strstr(s, "<details>"); p; p = strstr(p + 1, "<details>"))
            open++;
        for (const char *p = strstr(s, "</details>"); p; p = strstr(p + 1, "</details>"))
            closed++;
        SL_CHECK_INT(open, 4);
        SL_CHECK_INT(closed, 4);
    }
    free(s);
    sl_plan_free(plans[0]);
    sl_plan_free(plans[1]);
}

/* A diff containing ``` must not end the fence early. */
static void test_markdown_fence(void)
{
    sl_plan *p = new_plan("docs", "t", "r");
    char *s;

    add_item(p, SL_ACT_CREATE, "", "v1", "ConfigMap", "shop", "readme", NULL,
             CM("readme", "```bash\\nmake\\n```"));
    s = report(&p, 1, SL_OUT_MARKDOWN, 0);
    SL_CHECK_HAS(s, "````diff\n");
    SL_CHECK_HAS(s, "\n````\n\n</details>");
    free(s);
    sl_plan_free(p);
}

static char *print(const cJSON *o)
{
    return o ? cJSON_PrintUnformatted(o) : NULL;
}

static void test_mask_secrets(void)
{
    cJSON *live = cJSON_Parse(SECRET(OLD_PW, ",\"gone\":\"Z29uZQ==\""));
    cJSON *want = cJSON_Parse(SECRET(NEW_PW, ",\"apikey\":\"" ONLY_NEW "\""));
    cJSON *sd, *cmo;
    char *a, *b;

    cJSON_AddItemToObject(want, "stringData", cJSON_Parse("{\"token\":\"" STRDATA "\"}"));
    sl_mask_secrets(live, want);
    a = print(live);
    b = print(want);
    SL_CHECK_HAS(a, "\"data\":{\"password\":\"*** (before)\",\"username\":\"***\","
                    "\"gone\":\"***\"}");
    SL_CHECK_HAS(b, "\"data\":{\"password\":\"*** (after)\",\"username\":\"***\","
                    "\"apikey\":\"***\"}");
    SL_CHECK_HAS(b, "\"stringData\":{\"token\":\"***\"}");
    SL_CHECK_HAS(a, "\"type\":\"Opaque\""); /* the rest is untouched */
    check_no_secret(a);
    check_no_secret(b);
    SL_CHECK(!strstr(b, STRDATA));
    free(a);
    free(b);
    cJSON_Delete(live);
    cJSON_Delete(want);

    /* One side only (create / prune). */
    want = cJSON_Parse(SECRET(NEW_PW, ""));
    sl_mask_secrets(NULL, want);
    b = print(want);
    SL_CHECK_HAS(b, "\"data\":{\"password\":\"***\",\"username\":\"***\"}");
    free(b);
    cJSON_Delete(want);

    /* data that is not a map is masked whole. */
    want = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"data\":\"" NEW_PW "\"}");
    sl_mask_secrets(want, NULL);
    b = print(want);
    SL_CHECK_HAS(b, "\"data\":\"***\"");
    free(b);
    cJSON_Delete(want);

    /* Not a Secret: untouched. */
    cmo = cJSON_Parse(CM("c", "visible"));
    sd = cJSON_Duplicate(cmo, 1);
    sl_mask_secrets(cmo, NULL);
    SL_CHECK(cJSON_Compare(cmo, sd, 1));
    cJSON_Delete(cmo);
    cJSON_Delete(sd);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_text), SL_TEST_ENTRY(test_json), SL_TEST_ENTRY(test_markdown),
             SL_TEST_ENTRY(test_markdown_fence), SL_TEST_ENTRY(test_mask_secrets))
