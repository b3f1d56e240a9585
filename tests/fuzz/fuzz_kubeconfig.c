/* fuzz_kubeconfig.c: kubeconfig loading (YAML, merge, context resolution,
 * base64 data) for the kubernetes target. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../appliers/kubernetes/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *files[] = {"/k/config"};
    const char *texts[1];
    kube_conn_opts o = {0};
    kube_conn c;
    sl_error err;
    char *text;

    if (size > 65536)
        return 0;
    if (!(text = malloc(size + 1)))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    texts[0] = text;
    sl_error_clear(&err);
    if (kube_conn_from_texts(files, texts, 1, &o, &c, &err) == 0) {
        if (!c.server || !c.context)
            abort(); /* success means a server and a context */
        kube_conn_clear(&c);
    } else if (!err.msg[0] || c.server) {
        abort(); /* a failure says why and leaves nothing behind */
    }
    free(text);
    return 0;
}
