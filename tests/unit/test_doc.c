/* test_doc.c: the position table, deep copies with positions, accessors. */
#include <stdlib.h>
#include <string.h>

#include "sl_doc.h"
#include "sl_test.h"

static void test_posmap_basics(void)
{
    sl_posmap *pm;
    sl_pos p;
    cJSON *a = cJSON_CreateNull(), *b = cJSON_CreateNull();
    const char *f1, *f2;

    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    /* unknown nodes and a NULL map give ENOTFOUND and a zeroed position */
    SL_CHECK_INT(sl_posmap_get(pm, a, &p), SL_ENOTFOUND);
    SL_CHECK_STR(p.file, "");
    SL_CHECK_INT(p.line, 0);
    SL_CHECK_INT(sl_posmap_get(NULL, a, &p), SL_ENOTFOUND);

    /* interning: same text, same pointer, independent of the caller's buffer */
    char name[32];
    strcpy(name, "apps/web.yaml");
    f1 = sl_posmap_intern(pm, name);
    strcpy(name, "other.yaml");
    f2 = sl_posmap_intern(pm, name);
    SL_CHECK_STR(f1, "apps/web.yaml");
    SL_CHECK(f1 == sl_posmap_intern(pm, "apps/web.yaml"));
    SL_CHECK(f1 != f2);

    SL_CHECK_INT(sl_posmap_set(pm, a, "apps/web.yaml", 3, 7), 0);
    SL_CHECK_INT(sl_posmap_set(pm, b, "other.yaml", 1, 1), 0);
    SL_CHECK_INT(sl_posmap_get(pm, a, &p), 0);
    SL_CHECK(p.file == f1);
    SL_CHECK_INT(p.line, 3);
    SL_CHECK_INT(p.col, 7);
    /* overwrite */
    SL_CHECK_INT(sl_posmap_set(pm, a, "other.yaml", 9, 2), 0);
    SL_CHECK_INT(sl_posmap_get(pm, a, &p), 0);
    SL_CHECK(p.file == f2);
    SL_CHECK_INT(p.line, 9);
    /* forget */
    sl_posmap_forget(pm, a);
    SL_CHECK_INT(sl_posmap_get(pm, a, &p), SL_ENOTFOUND);
    SL_CHECK_INT(sl_posmap_get(pm, b, &p), 0);
    sl_posmap_forget(NULL, a);
    sl_posmap_free(pm);
    sl_posmap_free(NULL);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* Many entries, with deletions in between: every lookup stays exact. */
static void test_posmap_many(void)
{
    enum { N = 200000 };
    cJSON **nodes = malloc(N * sizeof(*nodes));
    sl_posmap *pm, *other;
    sl_pos p;
    int bad = 0;

    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    SL_CHECK_INT(sl_posmap_new(&other), 0);
    for (int i = 0; i < N; i++) {
        nodes[i] = cJSON_CreateNull();
        SL_CHECK_INT(sl_posmap_set(i % 2 ? other : pm, nodes[i], i % 3 ? "a.yaml" : "b.yaml", i + 1,
                                   i % 1000 + 1),
                     0);
    }
    /* merge moves the other half in, file names re-interned */
    SL_CHECK_INT(sl_posmap_merge(pm, other), 0);
    sl_posmap_free(other);
    for (int i = 0; i < N; i += 3)
        sl_posmap_forget(pm, nodes[i]);
    for (int i = 0; i < N; i++) {
        int rc = sl_posmap_get(pm, nodes[i], &p);
        if (i % 3 == 0)
            bad += rc != SL_ENOTFOUND;
        else
            bad += rc != 0 || p.line != i + 1 || p.col != i % 1000 + 1 ||
                   strcmp(p.file, i % 3 ? "a.yaml" : "b.yaml");
    }
    SL_CHECK_INT(bad, 0);
    /* huge line and column numbers saturate instead of wrapping */
    SL_CHECK_INT(sl_posmap_set(pm, nodes[0], "a.yaml", 2000000000, 5000000), 0);
    SL_CHECK_INT(sl_posmap_get(pm, nodes[0], &p), 0);
    SL_CHECK(p.line > 60000000);
    SL_CHECK(p.col > 200000);
    for (int i = 0; i < N; i++)
        cJSON_Delete(nodes[i]);
    free(nodes);
    sl_posmap_free(pm);
}

static void test_copy_keeps_positions(void)
{
    const char *text = "a:\n  b: [1, {c: d}]\n";
    sl_posmap *pm;
    sl_docv dv = {0};
    sl_error err;
    cJSON *copy = NULL;
    sl_pos p;

    SL_CHECK_INT(sl_posmap_new(&pm), 0);
    SL_CHECK_INT(sl_yaml_parse("t.yaml", text, strlen(text), NULL, pm, &dv, &err), 0);
    SL_CHECK_INT(dv.n, 1);
    if (dv.n != 1)
        goto out;
    SL_CHECK_INT(sl_doc_copy(sl_doc_path(dv.v[0], "a"), pm, &copy), 0);
    SL_CHECK(copy && cJSON_Compare(copy, sl_doc_path(dv.v[0], "a"), 1));
    SL_CHECK(copy != sl_doc_path(dv.v[0], "a"));
    SL_CHECK_INT(sl_posmap_get(pm, copy, &p), 0);
    SL_CHECK_INT(p.line, 2);
    SL_CHECK_INT(p.col, 3);
    SL_CHECK_INT(sl_posmap_get(pm, sl_doc_path(copy, "b.1.c"), &p), 0);
    SL_CHECK_STR(p.file, "t.yaml");
    SL_CHECK_INT(p.line, 2);
    SL_CHECK_INT(p.col, 14);
    /* the copy lives on after the original is gone */
    sl_posmap_forget(pm, dv.v[0]);
    sl_docv_free(&dv);
    SL_CHECK_INT(sl_posmap_get(pm, sl_doc_path(copy, "b.0"), &p), 0);
    SL_CHECK_INT(p.col, 7);
    /* without a posmap it is a plain deep copy */
    cJSON *c2 = NULL;
    SL_CHECK_INT(sl_doc_copy(copy, NULL, &c2), 0);
    SL_CHECK(cJSON_Compare(c2, copy, 1));
    cJSON *c3 = c2;
    SL_CHECK_INT(sl_doc_copy(NULL, pm, &c3), SL_EINVAL);
    SL_CHECK(c3 == NULL);
    cJSON_Delete(c2);
    cJSON_Delete(copy);
out:
    sl_docv_free(&dv);
    sl_posmap_free(pm);
}

static void test_accessors(void)
{
    cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"web\",\"labels\":{\"a.b\":\"x\"},"
                           "\"n\":3},\"items\":[{\"k\":\"v\"},7]}");

    SL_CHECK_STR(sl_doc_str(sl_doc_path(o, "metadata"), "name"), "web");
    SL_CHECK(sl_doc_str(sl_doc_path(o, "metadata"), "n") == NULL); /* not a string */
    SL_CHECK(sl_doc_str(sl_doc_path(o, "metadata"), "missing") == NULL);
    SL_CHECK(sl_doc_str(NULL, "x") == NULL);
    SL_CHECK_STR(sl_doc_path(o, "metadata.name")->valuestring, "web");
    SL_CHECK(sl_doc_path(o, "metadata.nam") == NULL);
    SL_CHECK(sl_doc_path(o, "metadata.name.x") == NULL);
    SL_CHECK(sl_doc_path(o, "metadata..name") == NULL);
    SL_CHECK(sl_doc_path(o, "metadata.") == NULL);
    SL_CHECK(sl_doc_path(o, "") == o);
    SL_CHECK_STR(sl_doc_path(o, "items.0.k")->valuestring, "v");
    SL_CHECK_INT(sl_doc_path(o, "items.1")->valueint, 7);
    SL_CHECK(sl_doc_path(o, "items.2") == NULL);
    SL_CHECK(sl_doc_path(o, "items.x") == NULL);
    /* keys are case-sensitive */
    SL_CHECK(sl_doc_path(o, "Metadata") == NULL);
    cJSON_Delete(o);
}

static void test_docv(void)
{
    sl_docv dv = {0};
    sl_pos pos = {"f", 1, 2};

    for (int i = 0; i < 100; i++)
        SL_CHECK_INT(sl_docv_push(&dv, cJSON_CreateNumber(i), pos), 0);
    SL_CHECK_INT(dv.n, 100);
    /* a caller may steal a tree */
    cJSON *stolen = dv.v[5];
    dv.v[5] = NULL;
    sl_docv_free(&dv);
    SL_CHECK_INT(dv.n, 0);
    SL_CHECK(dv.v == NULL);
    SL_CHECK_INT(stolen->valueint, 5);
    cJSON_Delete(stolen);
    sl_docv_free(NULL);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_posmap_basics), SL_TEST_ENTRY(test_posmap_many),
             SL_TEST_ENTRY(test_copy_keeps_positions), SL_TEST_ENTRY(test_accessors),
             SL_TEST_ENTRY(test_docv))
