/* applyset.c: ApplySet (KEP-3659) helpers: the parent's id, the
 * contains-group-kinds annotation, and the take-over check. */
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "kube.h"
#include "sl_doc.h"

void kube_applyset_id(const char *name, const char *ns, const char *kind, const char *group,
                      char *out, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char md[SHA256_DIGEST_LENGTH];
    char b64[48];
    size_t o = 0;
    char in[1200];
    int len = snprintf(in, sizeof(in), "%s.%s.%s.%s", name, ns, kind, group);

    if (len < 0 || (size_t)len >= sizeof(in))
        len = (int)sizeof(in) - 1;
    SHA256((const unsigned char *)in, (size_t)len, md);
    /* base64url without padding: 32 bytes -> 43 characters. */
    for (size_t i = 0; i < sizeof(md); i += 3) {
        unsigned v = (unsigned)md[i] << 16;
        size_t left = sizeof(md) - i;
        if (left > 1)
            v |= (unsigned)md[i + 1] << 8;
        if (left > 2)
            v |= md[i + 2];
        b64[o++] = tbl[(v >> 18) & 63];
        b64[o++] = tbl[(v >> 12) & 63];
        if (left > 1)
            b64[o++] = tbl[(v >> 6) & 63];
        if (left > 2)
            b64[o++] = tbl[v & 63];
    }
    b64[o] = '\0';
    snprintf(out, n, "applyset-%s-v1", b64);
}

int kube_gk_str(const char *group, const char *kind, sl_buf *out)
{
    return group[0] ? sl_buf_printf(out, "%s.%s", kind, group) : sl_buf_puts(out, kind);
}

int kube_gks_parse(const char *value, sl_strv *out)
{
    const char *p = value;

    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        if (len) {
            char tmp[512];
            snprintf(tmp, sizeof(tmp), "%.*s", (int)len, p);
            if (!sl_strv_contains(out, tmp) && sl_strv_push(out, tmp))
                return SL_ENOMEM;
        }
        p = comma ? comma + 1 : NULL;
    }
    sl_strv_sort(out);
    return 0;
}

int kube_strv_join(const sl_strv *sv, sl_buf *out)
{
    for (size_t i = 0; i < sv->n; i++)
        if (sl_buf_printf(out, "%s%s", i ? "," : "", sv->v[i]))
            return SL_ENOMEM;
    if (!out->ptr && sl_buf_puts(out, ""))
        return SL_ENOMEM;
    return 0;
}

/* Contract: see kube.h. */
int kube_applyset_check_parent(const cJSON *parent, const char *id, sl_error *err)
{
    const cJSON *labels = sl_doc_path(parent, "metadata.labels");
    const cJSON *ann = sl_doc_path(parent, "metadata.annotations");
    const char *have = cJSON_IsObject(labels) ? sl_doc_str(labels, KUBE_LABEL_ID) : NULL;
    const char *tool = cJSON_IsObject(ann) ? sl_doc_str(ann, KUBE_ANN_TOOLING) : NULL;
    const char *name = sl_doc_str(sl_doc_path(parent, "metadata"), "name");

    if (have && strcmp(have, id))
        return sl_error_set(err, SL_EREFUSED,
                            "ApplySet parent %s has id %s but its name, namespace and kind give "
                            "%s; refusing to take it over",
                            name ? name : "?", have, id);
    if (tool && strncmp(tool, "sluice/", 7))
        return sl_error_set(err, SL_EREFUSED,
                            "ApplySet parent %s belongs to another tool (%s: %s); refusing to "
                            "take it over",
                            name ? name : "?", KUBE_ANN_TOOLING, tool);
    return 0;
}
