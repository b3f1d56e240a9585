/* fuzz_kube.c: the Kubernetes API test server's parsers on arbitrary bytes:
 * the input is a server-side apply body (YAML or JSON) applied twice by two
 * managers onto a ConfigMap and a Deployment, a merge, strategic and JSON
 * patch, a protobuf create, a fieldsV1 document, and (its first line) a
 * label selector. The
 * server must answer every request with a Status or an object and never
 * crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/kube-server/fields.c"
#include "../tools/kube-server/store.c"
#include "../tools/kube-server/api.c"
#include "../tools/kube-server/proto.c"

static void must(int ok)
{
    if (!ok)
        abort();
}

static void one(const char *method, const char *group, const char *plural, const char *name,
                const char *ct, const char *body, size_t len, const char *manager,
                const char *force)
{
    ks_req r;
    ks_resp out;

    memset(&r, 0, sizeof(r));
    r.method = method;
    r.group = group;
    r.version = "v1";
    r.ns = "default";
    r.plural = plural;
    r.name = name;
    r.content_type = ct;
    r.body = body;
    r.body_len = len;
    r.field_manager = manager;
    r.force = force;
    ks_api_handle(&r, &out);
    must(out.code >= 200 && out.code < 600 && out.body != NULL && out.watch == NULL);
    if (out.code >= 400)
        must(sl_doc_str(out.body, "kind") && !strcmp(sl_doc_str(out.body, "kind"), "Status"));
    cJSON_Delete(out.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    static const char *const types[] = {
        "application/apply-patch+yaml", "application/merge-patch+json",
        "application/strategic-merge-patch+json", "application/json-patch+json"};
    static const char cm[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
                             "\"name\":\"x\",\"labels\":{\"a\":\"b\"}},\"data\":{\"k\":\"v\"}}";
    ks_selector *sel = NULL;
    sl_error err;
    cJSON *j;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    must(ks_store_init() == 0);
    one("PATCH", "", "configmaps", "x", types[0], cm, strlen(cm), "seed", NULL);
    for (size_t i = 0; i < 4; i++) {
        one("PATCH", "", "configmaps", "x", types[i], s, size, "fuzz", NULL);
        one("PATCH", "", "configmaps", "x", types[i], s, size, "other", "true");
        one("PATCH", "apps", "deployments", "x", types[i], s, size, "fuzz", NULL);
    }
    one("POST", "", "configmaps", NULL, "application/json", s, size, NULL, NULL);
    one("POST", "", "configmaps", NULL, "application/vnd.kubernetes.protobuf", s, size, NULL, NULL);
    one("PUT", "", "configmaps", "x", "application/json", s, size, NULL, NULL);
    one("GET", "", "configmaps", NULL, NULL, NULL, 0, NULL, NULL);
    if ((j = cJSON_ParseWithLength(s, size))) {
        sl_strv set = SL_STRV_INIT;
        cJSON *back;
        must(ks_fields_from_v1(j, &set) == 0);
        back = ks_fields_to_v1(&set);
        must(back != NULL);
        cJSON_Delete(back);
        sl_strv_free(&set);
        cJSON_Delete(j);
    }
    {
        char *nl = strchr(s, '\n');
        if (nl)
            *nl = '\0';
        if (ks_selector_parse(s, &sel, &err) == 0) {
            cJSON *labels = cJSON_Parse("{\"a\":\"b\"}");
            (void)ks_selector_match(sel, labels);
            cJSON_Delete(labels);
            ks_selector_free(sel);
        }
    }
    ks_store_free();
    free(s);
    return 0;
}
