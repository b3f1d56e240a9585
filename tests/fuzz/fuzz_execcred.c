/* fuzz_execcred.c: an exec credential plugin's output (ExecCredential
 * JSON) as the kubernetes target reads it: whatever the bytes, it is taken
 * (a token or a certificate + key) or refused with a message that never
 * quotes the output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../appliers/kubernetes/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *stanza = "{\"command\":\"p\",\"apiVersion\":\"client.authentication.k8s.io/v1\"}";
    cJSON *ex = cJSON_Parse(stanza);
    kube_exec *x = NULL;
    sl_error err;
    const char *cert, *key;
    size_t cl, kl;
    int rc;

    sl_error_clear(&err);
    if (!ex || kube_exec_new(ex, "kc", "", "u", &x, &err)) {
        cJSON_Delete(ex);
        return 0;
    }
    rc = kube_exec_take(x, (const char *)data, size, &err);
    if (rc) {
        cJSON *j = cJSON_ParseWithLength((const char *)data, size);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
        const char *secrets[] = {"token", "clientKeyData", "clientCertificateData"};
        if (!err.msg[0] || kube_exec_token(x) || kube_exec_cert(x, &cert, &cl, &key, &kl))
            abort();
        /* a refusal never quotes the credential it was handed */
        for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
            const cJSON *sv = cJSON_GetObjectItemCaseSensitive(st, secrets[i]);
            if (cJSON_IsString(sv) && strlen(sv->valuestring) >= 8 &&
                strstr(err.msg, sv->valuestring))
                abort();
        }
        cJSON_Delete(j);
    } else if (!kube_exec_token(x) && !kube_exec_cert(x, &cert, &cl, &key, &kl)) {
        abort();
    }
    kube_exec_free(x);
    cJSON_Delete(ex);
    return 0;
}
