/* fuzz_execcred.c: an exec credential plugin's output (ExecCredential
 * JSON) as the kubernetes target reads it: whatever the bytes, it is taken
 * (a token or a certificate + key) or refused with a message that never
 * quotes the output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../appliers/kubernetes/kube.h"

/* A refusal never quotes the credential it was handed: the input again
 * with its token, client key and certificate replaced by a marker must, if
 * still refused, give a message without the marker. */
static void refusal_keeps_secrets(const cJSON *ex, const uint8_t *data, size_t size)
{
    static const char marker[] = "sl-fuzz-secret-marker";
    static const char *secrets[] = {"token", "clientKeyData", "clientCertificateData"};
    cJSON *j = cJSON_ParseWithLength((const char *)data, size);
    cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    kube_exec *y = NULL;
    sl_error err;
    char *text = NULL;
    int n = 0;

    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        cJSON *sv = cJSON_GetObjectItemCaseSensitive(st, secrets[i]);
        if (cJSON_IsString(sv)) {
            cJSON_SetValuestring(sv, marker);
            n++;
        }
    }
    sl_error_clear(&err);
    if (n && (text = cJSON_PrintUnformatted(j)) && !kube_exec_new(ex, "kc", "", "u", &y, &err) &&
        kube_exec_take(y, text, strlen(text), &err) && strstr(err.msg, marker))
        abort();
    kube_exec_free(y);
    free(text);
    cJSON_Delete(j);
}

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
        if (!err.msg[0] || kube_exec_token(x) || kube_exec_cert(x, &cert, &cl, &key, &kl))
            abort();
        refusal_keeps_secrets(ex, data, size);
    } else if (!kube_exec_token(x) && !kube_exec_cert(x, &cert, &cl, &key, &kl)) {
        abort();
    }
    kube_exec_free(x);
    cJSON_Delete(ex);
    return 0;
}
