/* fuzz_placeholders.c: Score placeholder substitution, reference splitting
 * and secret-reference decoding on arbitrary bytes. Substitution must either
 * succeed or fail with a message naming the reference; text without '$'
 * must come back unchanged; references found must be resource names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../renderers/score/score_int.h"

static void must(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *md_json = "{\"name\":\"w\",\"annotations\":{\"a.b\":\"x\"},\"l\":[1,{\"k\":null}]}";
    static const char *out_json = "{\"db\":{\"host\":\"h\",\"port\":5432,\"n\":{\"x\":[true]}},"
                                  "\"v\":{\"s\":\"\\u00e9$${x}\"}}";
    cJSON *md = cJSON_Parse(md_json), *outs = cJSON_Parse(out_json), *uids = cJSON_CreateObject();
    char *s = malloc(size + 1);
    sl_buf out = SL_BUF_INIT;
    sl_strv names = SL_STRV_INIT, parts = SL_STRV_INIT;
    score_secret_ref *refs = NULL;
    size_t nrefs = 0;
    sl_error err;
    int rc;

    if (!s || !md || !outs || !uids)
        goto done;
    memcpy(s, data, size);
    s[size] = '\0';
    cJSON_AddStringToObject(uids, "db", "postgres.default#w.db");
    for (int mode = 0; mode < 2; mode++) {
        score_subst sc = {md, outs, mode ? uids : NULL};
        sl_error_clear(&err);
        sl_buf_reset(&out);
        out.max = 1 << 20;
        rc = score_subst_str(&sc, s, &out, &err);
        if (rc)
            must(err.msg[0] != '\0');
        else if (!strchr(s, '$'))
            must(out.len == strlen(s) && !memcmp(out.ptr ? out.ptr : "", s, out.len));
    }
    must(score_subst_resource_refs(s, &names) == 0);
    for (size_t i = 0; i < names.n; i++)
        must(strstr(s, "resources.") != NULL);
    must(score_ref_split(s, strlen(s), &parts) == 0 && parts.n >= 1);
    sl_strv_free(&parts);
    if (score_secret_split(s, &parts, &refs, &nrefs, &err) == 0)
        must(parts.n == nrefs + 1);
    score_secret_refs_free(refs, nrefs);
done:
    sl_strv_free(&names);
    sl_strv_free(&parts);
    sl_buf_free(&out);
    free(s);
    cJSON_Delete(md);
    cJSON_Delete(outs);
    cJSON_Delete(uids);
    return 0;
}
