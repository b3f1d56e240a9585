/* proto.c: the protobuf request bodies kubectl's typed commands send
 * (kubectl create namespace / configmap / secret / serviceaccount), decoded
 * into the JSON the rest of the server handles. Only those kinds' fields are
 * known; anything else is refused by the caller with 415. */
#include "ks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pb {
    const unsigned char *p, *end;
} pb;

/* Read a varint; -1 at a truncated or overlong one. */
static int pb_varint(pb *b, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (b->p >= b->end)
            return -1;
        *v |= (uint64_t)(*b->p & 0x7f) << shift;
        if (!(*b->p++ & 0x80))
            return 0;
    }
    return -1;
}

/* Read one field's key; for length-delimited fields *sub is its bytes, for
 * varints *v its value. Other wire types are skipped. 1: a field, 0: end,
 * -1: malformed. */
static int pb_next(pb *b, unsigned *field, unsigned *wt, pb *sub, uint64_t *v)
{
    uint64_t key, n;

    if (b->p >= b->end)
        return 0;
    if (pb_varint(b, &key))
        return -1;
    *field = (unsigned)(key >> 3);
    *wt = (unsigned)(key & 7);
    switch (*wt) {
    case 0:
        return pb_varint(b, v) ? -1 : 1;
    case 1:
        if (b->end - b->p < 8)
            return -1;
        b->p += 8;
        return 1;
    case 5:
        if (b->end - b->p < 4)
            return -1;
        b->p += 4;
        return 1;
    case 2:
        if (pb_varint(b, &n) || n > (uint64_t)(b->end - b->p))
            return -1;
        sub->p = b->p;
        sub->end = b->p + n;
        b->p += n;
        return 1;
    default:
        return -1;
    }
}

static char *pb_str(const pb *s)
{
    return strndup((const char *)s->p, (size_t)(s->end - s->p));
}

static char *b64(const unsigned char *s, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    size_t o = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        out[o++] = t[v >> 18 & 63];
        out[o++] = t[v >> 12 & 63];
        out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

/* A map<string,string|bytes> entry into obj[key] (bytes base64-encoded). */
static int pb_map_entry(pb e, cJSON *obj, int bytes)
{
    unsigned f, wt;
    pb sub;
    uint64_t v;
    char *k = NULL, *val = NULL;
    int r;

    while ((r = pb_next(&e, &f, &wt, &sub, &v)) == 1) {
        if (wt != 2)
            continue;
        if (f == 1) {
            free(k);
            k = pb_str(&sub);
        } else if (f == 2) {
            free(val);
            val = bytes ? b64(sub.p, (size_t)(sub.end - sub.p)) : pb_str(&sub);
        }
    }
    if (r == 0 && k && obj) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, k);
        cJSON_AddStringToObject(obj, k, val ? val : "");
    }
    free(k);
    free(val);
    return r < 0 ? -1 : 0;
}

static cJSON *child(cJSON *o, const char *key)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(o, key);
    return c ? c : cJSON_AddObjectToObject(o, key);
}

static int pb_meta(pb m, cJSON *meta)
{
    unsigned f, wt;
    pb sub;
    uint64_t v;
    int r;

    while ((r = pb_next(&m, &f, &wt, &sub, &v)) == 1) {
        char *s;
        if (wt != 2)
            continue;
        switch (f) {
        case 1:
        case 2:
        case 3:
            if (!(s = pb_str(&sub)))
                return -1;
            cJSON_AddStringToObject(meta,
                                    f == 1   ? "name"
                                    : f == 2 ? "generateName"
                                             : "namespace",
                                    s);
            free(s);
            break;
        case 11:
        case 12:
            if (pb_map_entry(sub, child(meta, f == 11 ? "labels" : "annotations"), 0))
                return -1;
            break;
        case 14: {
            cJSON *fin = cJSON_GetObjectItemCaseSensitive(meta, "finalizers");
            if (!fin)
                fin = cJSON_AddArrayToObject(meta, "finalizers");
            if (!(s = pb_str(&sub)))
                return -1;
            cJSON_AddItemToArray(fin, cJSON_CreateString(s));
            free(s);
            break;
        }
        default:
            break;
        }
    }
    return r < 0 ? -1 : 0;
}

/* The object message (raw) of a known kind into obj. */
static int pb_object(pb raw, const char *kind, cJSON *obj)
{
    unsigned f, wt;
    pb sub;
    uint64_t v;
    int r, cm = !strcmp(kind, "ConfigMap"), secret = !strcmp(kind, "Secret");

    while ((r = pb_next(&raw, &f, &wt, &sub, &v)) == 1) {
        if (f == 1 && wt == 2) {
            if (pb_meta(sub, child(obj, "metadata")))
                return -1;
        } else if ((cm || secret) && f == 2 && wt == 2) {
            if (pb_map_entry(sub, child(obj, "data"), secret))
                return -1;
        } else if (cm && f == 3 && wt == 2) {
            if (pb_map_entry(sub, child(obj, "binaryData"), 1))
                return -1;
        } else if (secret && f == 3 && wt == 2) {
            char *s = pb_str(&sub);
            if (!s)
                return -1;
            cJSON_AddStringToObject(obj, "type", s);
            free(s);
        } else if (secret && f == 4 && wt == 2) {
            if (pb_map_entry(sub, child(obj, "stringData"), 0))
                return -1;
        } else if (((cm && f == 4) || (secret && f == 5)) && wt == 0) {
            cJSON_AddBoolToObject(obj, "immutable", v != 0);
        }
    }
    return r < 0 ? -1 : 0;
}

int ks_proto_decode(const char *data, size_t len, cJSON **out, sl_error *err)
{
    pb b = {(const unsigned char *)data, (const unsigned char *)data + len}, sub, raw = {0, 0};
    unsigned f, wt;
    uint64_t v;
    char *apiv = NULL, *kind = NULL;
    int r, have_raw = 0, rc = SL_EINVAL;
    cJSON *obj = NULL;

    *out = NULL;
    if (len < 4 || memcmp(data, "k8s\0", 4))
        return sl_error_set(err, SL_EINVAL, "not a Kubernetes protobuf envelope");
    b.p += 4;
    while ((r = pb_next(&b, &f, &wt, &sub, &v)) == 1) {
        if (f == 1 && wt == 2) {
            pb tm = sub;
            unsigned f2, wt2;
            pb s2;
            while (pb_next(&tm, &f2, &wt2, &s2, &v) == 1) {
                if (wt2 != 2)
                    continue;
                if (f2 == 1) {
                    free(apiv);
                    apiv = pb_str(&s2);
                } else if (f2 == 2) {
                    free(kind);
                    kind = pb_str(&s2);
                }
            }
        } else if (f == 2 && wt == 2) {
            raw = sub;
            have_raw = 1;
        }
    }
    if (r < 0 || !apiv || !kind || !have_raw) {
        sl_error_set(err, SL_EINVAL, "malformed protobuf envelope");
        goto out;
    }
    if (strcmp(apiv, "v1") || (strcmp(kind, "Namespace") && strcmp(kind, "ConfigMap") &&
                               strcmp(kind, "Secret") && strcmp(kind, "ServiceAccount"))) {
        rc = sl_error_set(err, SL_EUNSUPPORTED,
                          "protobuf bodies are understood for v1 Namespace, ConfigMap, Secret and "
                          "ServiceAccount only, not %s %s; send JSON",
                          apiv, kind);
        goto out;
    }
    if (!(obj = cJSON_CreateObject())) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    cJSON_AddStringToObject(obj, "apiVersion", apiv);
    cJSON_AddStringToObject(obj, "kind", kind);
    if (pb_object(raw, kind, obj)) {
        sl_error_set(err, SL_EINVAL, "malformed protobuf %s", kind);
        goto out;
    }
    *out = obj;
    obj = NULL;
    rc = 0;
out:
    cJSON_Delete(obj);
    free(apiv);
    free(kind);
    return rc;
}
