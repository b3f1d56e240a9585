/* fields.c: field paths, fieldsV1, managed fields and the server-side apply
 * merge of the Kubernetes API test server (the structured-merge-diff rules
 * the API server applies, for the schema subset in list_kind()). */
#include "ks.h"

#include <stdlib.h>
#include <string.h>

/* ---- JSON equality ------------------------------------------------------ */

/* Deep equality of two JSON values. Linear when object members are in the
 * same order (the common case: one side is a copy of the other); a member
 * out of order is looked up. (cJSON_Compare checks objects both ways at
 * every level, which doubles the work per level of nesting.) */
int ks_json_equal(const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;
    int na = 0, nb = 0;

    if (a == b)
        return 1;
    if (!a || !b || (a->type & 0xFF) != (b->type & 0xFF))
        return 0;
    switch (a->type & 0xFF) {
    case cJSON_False:
    case cJSON_True:
    case cJSON_NULL:
        return 1;
    case cJSON_Number:
        return a->valuedouble == b->valuedouble;
    case cJSON_String:
    case cJSON_Raw:
        return a->valuestring && b->valuestring && !strcmp(a->valuestring, b->valuestring);
    case cJSON_Array:
        for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
            if (!ks_json_equal(x, y))
                return 0;
        return !x && !y;
    case cJSON_Object:
        for (x = a->child; x; x = x->next)
            na++;
        for (y = b->child; y; y = y->next)
            nb++;
        if (na != nb)
            return 0;
        for (x = a->child, y = b->child; x; x = x->next, y = y ? y->next : NULL) {
            const cJSON *other = (y && !strcmp(x->string, y->string))
                                     ? y
                                     : cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!other || !ks_json_equal(x, other))
                return 0;
        }
        return 1;
    default:
        return 0;
    }
}

/* ---- field sets ------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void ks_fset_norm(sl_strv *s)
{
    size_t i, j = 0;

    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof(char *), cmp_str);
    for (i = 1; i < s->n; i++) {
        if (!strcmp(s->v[i], s->v[j]))
            free(s->v[i]);
        else
            s->v[++j] = s->v[i];
    }
    s->n = j + 1;
}

int ks_fset_has(const sl_strv *s, const char *path)
{
    size_t lo = 0, hi = s->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->v[mid], path);
        if (!c)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int ks_fset_minus(const sl_strv *a, const sl_strv *b, sl_strv *out)
{
    for (size_t i = 0; i < a->n; i++)
        if (!ks_fset_has(b, a->v[i]) && sl_strv_push(out, a->v[i]))
            return SL_ENOMEM;
    ks_fset_norm(out);
    return 0;
}

/* ---- schema ---------------------------------------------------------- */

const ks_schema ks_schema_builtin = {1, NULL}, ks_schema_custom = {0, NULL};

enum { LIST_ATOMIC, LIST_SET, LIST_MAP };

/* The OpenAPI schema node of the field at path below root, or NULL: f:
 * segments follow properties (or additionalProperties), list items follow
 * items. */
static const cJSON *schema_at(const cJSON *root, const char *path)
{
    const cJSON *node = root;
    const char *p = path;
    char name[256];

    while (node && *p) {
        const char *e = strchr(p, KS_SEP);
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 2 && !strncmp(p, "f:", 2)) {
            const cJSON *props = cJSON_GetObjectItemCaseSensitive(node, "properties"), *ap;
            if (n - 2 >= sizeof(name))
                return NULL;
            memcpy(name, p + 2, n - 2);
            name[n - 2] = '\0';
            ap = cJSON_GetObjectItemCaseSensitive(node, "additionalProperties");
            node = cJSON_GetObjectItemCaseSensitive(props, name);
            if (!node && cJSON_IsObject(ap))
                node = ap;
        } else {
            node = cJSON_GetObjectItemCaseSensitive(node, "items");
        }
        p = e ? e + 1 : p + n;
    }
    return node;
}

/* A custom resource's list type from its CRD schema. The keys point into
 * the schema (alive while the kind is, under the server's lock). */
static int custom_list_kind(const cJSON *root, const char *path, const char *const **keys)
{
    static _Thread_local const char *kv[9];
    const cJSON *node = root ? schema_at(root, path) : NULL, *k;
    const char *lt = sl_doc_str(node, "x-kubernetes-list-type");
    size_t n = 0;

    if (!lt || !strcmp(lt, "atomic"))
        return LIST_ATOMIC;
    if (!strcmp(lt, "set"))
        return LIST_SET;
    if (strcmp(lt, "map"))
        return LIST_ATOMIC;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(node, "x-kubernetes-list-map-keys"))
    {
        if (cJSON_IsString(k) && n < 8)
            kv[n++] = k->valuestring;
    }
    if (!n)
        return LIST_ATOMIC;
    kv[n] = NULL;
    *keys = kv;
    return LIST_MAP;
}

/* The last segment of path (after the last KS_SEP), or path. */
static const char *last_seg(const char *path, size_t len, size_t *seglen)
{
    size_t i = len;

    while (i > 0 && path[i - 1] != KS_SEP)
        i--;
    *seglen = len - i;
    return path + i;
}

static int seg_is(const char *seg, size_t n, const char *want)
{
    return strlen(want) == n && !memcmp(seg, want, n);
}

/* How the list at path (its own path, ending in its field segment) merges:
 * atomic, set of scalars, or map keyed by *keys (NULL-terminated). */
static int list_kind(const char *path, const ks_schema *sch, const char *const **keys)
{
    static const char *const k_name[] = {"name", NULL};
    static const char *const k_cport[] = {"containerPort", "protocol", NULL};
    static const char *const k_sport[] = {"port", "protocol", NULL};
    static const char *const k_mount[] = {"mountPath", NULL};
    static const char *const k_dev[] = {"devicePath", NULL};
    static const char *const k_ip[] = {"ip", NULL};
    static const char *const k_type[] = {"type", NULL};
    static const char *const k_uid[] = {"uid", NULL};
    static const char *const k_topo[] = {"topologyKey", "whenUnsatisfiable", NULL};
    static const struct {
        const char *field;
        const char *const *keys;
    } named[] = {
        {"f:containers", k_name},
        {"f:initContainers", k_name},
        {"f:ephemeralContainers", k_name},
        {"f:env", k_name},
        {"f:volumes", k_name},
        {"f:imagePullSecrets", k_name},
        {"f:volumeMounts", k_mount},
        {"f:volumeDevices", k_dev},
        {"f:hostAliases", k_ip},
        {"f:conditions", k_type},
        {"f:topologySpreadConstraints", k_topo},
        {"f:resourceClaims", k_name},
        {"f:schedulingGates", k_name},
    };
    size_t len = strlen(path), n, pn;
    const char *seg = last_seg(path, len, &n), *parent;

    *keys = NULL;
    if (!strcmp(path, "f:metadata\x1f"
                      "f:finalizers"))
        return LIST_SET;
    if (!strcmp(path, "f:metadata\x1f"
                      "f:ownerReferences")) {
        *keys = k_uid;
        return LIST_MAP;
    }
    if (!sch->builtin)
        return custom_list_kind(sch->openapi, path, keys);
    if (seg_is(seg, n, "f:ports")) {
        if (!strcmp(path, "f:spec\x1f"
                          "f:ports")) {
            *keys = k_sport;
            return LIST_MAP;
        }
        /* container ports: .../f:containers/k:{...}/f:ports */
        if (seg == path)
            return LIST_ATOMIC;
        parent = last_seg(path, (size_t)(seg - path) - 1, &pn);
        if (pn > 2 && !memcmp(parent, "k:", 2) && parent > path) {
            const char *gp = last_seg(path, (size_t)(parent - path) - 1, &pn);
            if (seg_is(gp, pn, "f:containers") || seg_is(gp, pn, "f:initContainers") ||
                seg_is(gp, pn, "f:ephemeralContainers")) {
                *keys = k_cport;
                return LIST_MAP;
            }
        }
        return LIST_ATOMIC;
    }
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
        if (seg_is(seg, n, named[i].field)) {
            *keys = named[i].keys;
            return LIST_MAP;
        }
    return LIST_ATOMIC;
}

/* Append v (a scalar) as JSON to b: a fast path for plain strings and
 * integers, cJSON's printer for the rest. */
static int put_scalar(sl_buf *b, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        const unsigned char *p = (const unsigned char *)v->valuestring;
        for (; *p; p++)
            if (*p < 0x20 || *p == '"' || *p == '\\' || *p >= 0x7f)
                break;
        if (!*p)
            return sl_buf_printf(b, "\"%s\"", v->valuestring);
    } else if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble &&
               v->valuedouble > -1e15 && v->valuedouble < 1e15) {
        return sl_buf_printf(b, "%lld", (long long)v->valuedouble);
    }
    {
        char *json = cJSON_PrintUnformatted(v);
        int rc = json ? sl_buf_puts(b, json) : SL_ENOMEM;
        free(json);
        return rc;
    }
}

/* Are all of keys present in item as scalars? */
static int has_keys(const cJSON *item, const char *const *keys)
{
    if (!cJSON_IsObject(item))
        return 0;
    for (size_t i = 0; keys[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, keys[i]);
        if (!v || cJSON_IsObject(v) || cJSON_IsArray(v) || cJSON_IsNull(v))
            return 0;
    }
    return 1;
}

/* The key segment ("k:{...}") of item for keys, or NULL when a key is
 * missing or not a scalar. Caller frees. */
static char *item_key(const cJSON *item, const char *const *keys)
{
    sl_buf b = SL_BUF_INIT;
    int rc = 0;

    if (!has_keys(item, keys))
        return NULL;
    rc = sl_buf_puts(&b, "k:{");
    for (size_t i = 0; keys[i] && !rc; i++) {
        rc = sl_buf_printf(&b, "%s\"%s\":", i ? "," : "", keys[i]);
        if (!rc)
            rc = put_scalar(&b, cJSON_GetObjectItemCaseSensitive(item, keys[i]));
    }
    if (!rc)
        rc = sl_buf_putc(&b, '}');
    if (rc) {
        sl_buf_free(&b);
        return NULL;
    }
    return sl_buf_detach(&b);
}

/* Does every item of arr carry the keys? (Otherwise the list is treated as atomic.) */
static int keyed_ok(const cJSON *arr, const char *const *keys)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, arr)
    {
        if (!has_keys(it, keys))
            return 0;
    }
    return 1;
}

/* ---- walking objects ------------------------------------------------- */

static int push_path(sl_strv *out, const sl_buf *path)
{
    return sl_strv_pushn(out, path->ptr, path->len) ? SL_ENOMEM : 0;
}

/* Append a segment (prefix + text) to path; returns the old length. */
static size_t path_add(sl_buf *path, const char *prefix, const char *text, int *rc)
{
    size_t old = path->len;

    if ((old && sl_buf_putc(path, KS_SEP)) || sl_buf_puts(path, prefix) || sl_buf_puts(path, text))
        *rc = SL_ENOMEM;
    return old;
}

static void path_cut(sl_buf *path, size_t len)
{
    path->len = len;
    if (path->ptr)
        path->ptr[len] = '\0';
}

static int walk(const cJSON *node, sl_buf *path, const ks_schema *sch, sl_strv *out);

static int walk_members(const cJSON *obj, sl_buf *path, const ks_schema *sch, sl_strv *out)
{
    const cJSON *c;
    int rc = 0;

    cJSON_ArrayForEach(c, obj)
    {
        size_t old;
        if (cJSON_IsNull(c))
            continue;
        old = path_add(path, "f:", c->string, &rc);
        if (!rc)
            rc = walk(c, path, sch, out);
        path_cut(path, old);
        if (rc)
            return rc;
    }
    return 0;
}

static int walk(const cJSON *node, sl_buf *path, const ks_schema *sch, sl_strv *out)
{
    const char *const *keys;
    const cJSON *it;
    int rc = 0;

    if (cJSON_IsObject(node)) {
        if (!node->child)
            return push_path(out, path);
        return walk_members(node, path, sch, out);
    }
    if (!cJSON_IsArray(node))
        return push_path(out, path);
    switch (list_kind(path->ptr, sch, &keys)) {
    case LIST_SET:
        cJSON_ArrayForEach(it, node)
        {
            char *json = cJSON_PrintUnformatted(it);
            size_t old;
            if (!json)
                return SL_ENOMEM;
            old = path_add(path, "v:", json, &rc);
            free(json);
            if (!rc)
                rc = push_path(out, path);
            path_cut(path, old);
            if (rc)
                return rc;
        }
        return 0;
    case LIST_MAP:
        if (!keyed_ok(node, keys))
            return push_path(out, path);
        cJSON_ArrayForEach(it, node)
        {
            char *k = item_key(it, keys);
            size_t old;
            if (!k)
                return SL_ENOMEM;
            old = path_add(path, "", k, &rc);
            free(k);
            if (!rc)
                rc = push_path(out, path);
            if (!rc)
                rc = walk_members(it, path, sch, out);
            path_cut(path, old);
            if (rc)
                return rc;
        }
        return 0;
    default:
        return push_path(out, path);
    }
}

static const char *const meta_stripped[] = {"name",
                                            "namespace",
                                            "uid",
                                            "resourceVersion",
                                            "generation",
                                            "creationTimestamp",
                                            "managedFields",
                                            "selfLink",
                                            "deletionTimestamp",
                                            "deletionGracePeriodSeconds",
                                            "clusterName",
                                            NULL};

static int meta_is_stripped(const char *k)
{
    for (size_t i = 0; meta_stripped[i]; i++)
        if (!strcmp(k, meta_stripped[i]))
            return 1;
    return 0;
}

int ks_fields_of(const cJSON *obj, const ks_schema *sch, int strip_status, sl_strv *out)
{
    sl_buf path = SL_BUF_INIT;
    const cJSON *c, *m;
    int rc = 0;

    if (!cJSON_IsObject(obj))
        return 0;
    if (sl_buf_reserve(&path, 256))
        return SL_ENOMEM;
    cJSON_ArrayForEach(c, obj)
    {
        size_t old;
        if (cJSON_IsNull(c) || !strcmp(c->string, "apiVersion") || !strcmp(c->string, "kind") ||
            (strip_status && !strcmp(c->string, "status")))
            continue;
        old = path_add(&path, "f:", c->string, &rc);
        if (rc)
            goto out;
        if (!strcmp(c->string, "metadata") && cJSON_IsObject(c)) {
            cJSON_ArrayForEach(m, c)
            {
                size_t o2;
                if (cJSON_IsNull(m) || meta_is_stripped(m->string))
                    continue;
                o2 = path_add(&path, "f:", m->string, &rc);
                if (!rc)
                    rc = walk(m, &path, sch, out);
                path_cut(&path, o2);
                if (rc)
                    goto out;
            }
        } else if ((rc = walk(c, &path, sch, out))) {
            goto out;
        }
        path_cut(&path, old);
    }
    ks_fset_norm(out);
out:
    sl_buf_free(&path);
    return rc;
}

/* Split path into segments (pointers into a copy); caller frees *mem. */
static int split(const char *path, char **mem, char ***segs, size_t *n)
{
    size_t cnt = 1;
    char *p;

    *segs = NULL;
    *n = 0;
    if (!(*mem = strdup(path)))
        return SL_ENOMEM;
    for (p = *mem; *p; p++)
        cnt += *p == KS_SEP;
    if (!(*segs = calloc(cnt, sizeof(char *)))) {
        free(*mem);
        *mem = NULL;
        return SL_ENOMEM;
    }
    (*segs)[(*n)++] = *mem;
    for (p = *mem; *p; p++)
        if (*p == KS_SEP) {
            *p = '\0';
            (*segs)[(*n)++] = p + 1;
        }
    return 0;
}

/* The index of the item of arr that seg ("k:", "v:", "i:") names, or -1. */
static int find_item(const cJSON *arr, const char *seg)
{
    cJSON *want;
    const cJSON *it;
    int i = 0, found = -1;

    if (!cJSON_IsArray(arr))
        return -1;
    if (!strncmp(seg, "i:", 2)) {
        int idx = atoi(seg + 2);
        return idx >= 0 && idx < cJSON_GetArraySize(arr) ? idx : -1;
    }
    if (!(want = cJSON_Parse(seg + 2)))
        return -1;
    cJSON_ArrayForEach(it, arr)
    {
        int match = 1;
        if (seg[0] == 'v') {
            match = ks_json_equal(it, want);
        } else {
            const cJSON *k;
            if (!cJSON_IsObject(it))
                match = 0;
            cJSON_ArrayForEach(k, want)
            {
                if (!match)
                    break;
                match = ks_json_equal(cJSON_GetObjectItemCaseSensitive(it, k->string), k);
            }
        }
        if (match) {
            found = i;
            break;
        }
        i++;
    }
    cJSON_Delete(want);
    return found;
}

static cJSON *step(const cJSON *cur, const char *seg)
{
    if (!cur)
        return NULL;
    if (!strncmp(seg, "f:", 2))
        return cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, seg + 2) : NULL;
    {
        int i = find_item(cur, seg);
        return i < 0 ? NULL : cJSON_GetArrayItem(cur, i);
    }
}

const cJSON *ks_fields_get(const cJSON *obj, const char *path)
{
    char *mem, **segs;
    size_t n;
    const cJSON *cur = obj;

    if (split(path, &mem, &segs, &n))
        return NULL;
    for (size_t i = 0; i < n && cur; i++)
        cur = step(cur, segs[i]);
    free(segs);
    free(mem);
    return cur;
}

void ks_fields_remove(cJSON *obj, const char *path)
{
    char *mem, **segs;
    size_t n;
    cJSON *cur = obj;

    if (split(path, &mem, &segs, &n))
        return;
    for (size_t i = 0; i + 1 < n && cur; i++)
        cur = step(cur, segs[i]);
    if (cur) {
        const char *last = segs[n - 1];
        if (!strncmp(last, "f:", 2)) {
            if (cJSON_IsObject(cur))
                cJSON_DeleteItemFromObjectCaseSensitive(cur, last + 2);
        } else {
            int i = find_item(cur, last);
            if (i >= 0)
                cJSON_DeleteItemFromArray(cur, i);
        }
    }
    free(segs);
    free(mem);
}

cJSON *ks_fields_to_v1(const sl_strv *set)
{
    cJSON *root = cJSON_CreateObject();

    if (!root)
        return NULL;
    for (size_t i = 0; i < set->n; i++) {
        char *mem, **segs;
        size_t n;
        cJSON *cur = root;
        if (split(set->v[i], &mem, &segs, &n))
            goto fail;
        for (size_t j = 0; j < n && cur; j++) {
            cJSON *next = cJSON_GetObjectItemCaseSensitive(cur, segs[j]);
            if (!next) {
                next = cJSON_CreateObject();
                if (!next || !cJSON_AddItemToObject(cur, segs[j], next)) {
                    cJSON_Delete(next);
                    next = NULL;
                }
            }
            cur = next;
        }
        free(segs);
        free(mem);
        if (!cur)
            goto fail;
    }
    /* A member that also has children carries "." (first, as the server writes it). */
    for (size_t i = 0; i < set->n; i++) {
        char *mem, **segs;
        size_t n;
        cJSON *cur = root, *dot;
        if (split(set->v[i], &mem, &segs, &n))
            goto fail;
        for (size_t j = 0; j < n && cur; j++)
            cur = cJSON_GetObjectItemCaseSensitive(cur, segs[j]);
        free(segs);
        free(mem);
        if (!cur || !cur->child || !strcmp(cur->child->string, "."))
            continue;
        if (!(dot = cJSON_CreateObject()) || !(dot->string = strdup("."))) {
            cJSON_Delete(dot);
            goto fail;
        }
        cJSON_InsertItemInArray(cur, 0, dot);
    }
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}

static int from_v1(const cJSON *node, sl_buf *path, sl_strv *out)
{
    const cJSON *c;
    int rc = 0;

    cJSON_ArrayForEach(c, node)
    {
        size_t old;
        if (!c->string)
            continue;
        if (!strcmp(c->string, ".")) {
            if (path->len && push_path(out, path))
                return SL_ENOMEM;
            continue;
        }
        old = path_add(path, "", c->string, &rc);
        if (!rc)
            rc = (cJSON_IsObject(c) && c->child) ? from_v1(c, path, out) : push_path(out, path);
        path_cut(path, old);
        if (rc)
            return rc;
    }
    return 0;
}

int ks_fields_from_v1(const cJSON *v1, sl_strv *out)
{
    sl_buf path = SL_BUF_INIT;
    int rc;

    if (!cJSON_IsObject(v1))
        return 0;
    if (sl_buf_reserve(&path, 128))
        return SL_ENOMEM;
    rc = from_v1(v1, &path, out);
    sl_buf_free(&path);
    ks_fset_norm(out);
    return rc;
}

int ks_fields_pretty(const char *path, sl_buf *out)
{
    char *mem, **segs;
    size_t n;
    int rc = 0;

    if (split(path, &mem, &segs, &n))
        return SL_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *s = segs[i];
        if (!strncmp(s, "f:", 2)) {
            rc = sl_buf_printf(out, ".%s", s + 2);
        } else if (!strncmp(s, "i:", 2)) {
            rc = sl_buf_printf(out, "[%s]", s + 2);
        } else if (!strncmp(s, "v:", 2)) {
            rc = sl_buf_printf(out, "[=%s]", s + 2);
        } else {
            cJSON *k = cJSON_Parse(s + 2), *c;
            int first = 1;
            rc = sl_buf_putc(out, '[');
            cJSON_ArrayForEach(c, k)
            {
                char *v = cJSON_PrintUnformatted(c);
                if (!rc)
                    rc = sl_buf_printf(out, "%s%s=%s", first ? "" : ",", c->string, v ? v : "");
                free(v);
                first = 0;
            }
            cJSON_Delete(k);
            if (!rc)
                rc = sl_buf_putc(out, ']');
        }
    }
    free(segs);
    free(mem);
    return rc ? SL_ENOMEM : 0;
}

/* ---- defaulting of list keys ------------------------------------------ */

static void default_ports(cJSON *ports)
{
    cJSON *p;

    cJSON_ArrayForEach(p, ports)
    {
        if (cJSON_IsObject(p) && !cJSON_GetObjectItemCaseSensitive(p, "protocol"))
            cJSON_AddStringToObject(p, "protocol", "TCP");
    }
}

static void default_keys_pod(cJSON *podspec)
{
    static const char *const lists[] = {"containers", "initContainers", "ephemeralContainers"};
    cJSON *c;

    if (!cJSON_IsObject(podspec))
        return;
    for (size_t i = 0; i < 3; i++)
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(podspec, lists[i]))
        {
            cJSON *ports = cJSON_GetObjectItemCaseSensitive(c, "ports");
            if (cJSON_IsArray(ports))
                default_ports(ports);
        }
}

void ks_fields_default_keys(cJSON *obj, const ks_schema *sch)
{
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
    const char *kind = sl_doc_str(obj, "kind");

    if (!sch->builtin || !cJSON_IsObject(spec) || !kind)
        return;
    if (!strcmp(kind, "Service")) {
        cJSON *ports = cJSON_GetObjectItemCaseSensitive(spec, "ports");
        if (cJSON_IsArray(ports))
            default_ports(ports);
    } else if (!strcmp(kind, "Pod")) {
        default_keys_pod(spec);
    } else if (!strcmp(kind, "CronJob")) {
        const cJSON *t = sl_doc_path(spec, "jobTemplate.spec.template.spec");
        default_keys_pod((cJSON *)t);
    } else {
        const cJSON *t = sl_doc_path(spec, "template.spec");
        default_keys_pod((cJSON *)t);
    }
}

/* ---- merging --------------------------------------------------------- */

static int merge_into(cJSON *dst, const cJSON *src, sl_buf *path, const ks_schema *sch);

/* Merge list src into list dst (the list at path). */
static int merge_list(cJSON *dst, const cJSON *src, sl_buf *path, const ks_schema *sch)
{
    const char *const *keys;
    const cJSON *it;
    int kind = list_kind(path->ptr, sch, &keys), rc = 0;

    if (kind == LIST_MAP && (!keyed_ok(src, keys) || !keyed_ok(dst, keys)))
        kind = LIST_ATOMIC;
    if (kind == LIST_ATOMIC)
        return 1; /* replace */
    cJSON_ArrayForEach(it, src)
    {
        int idx;
        if (kind == LIST_SET) {
            const cJSON *d;
            int have = 0;
            cJSON_ArrayForEach(d, dst) have |= ks_json_equal(d, it);
            if (!have && !cJSON_AddItemToArray(dst, cJSON_Duplicate(it, 1)))
                return SL_ENOMEM;
            continue;
        }
        {
            char *k = item_key(it, keys);
            size_t old;
            if (!k)
                return SL_ENOMEM;
            idx = find_item(dst, k);
            old = path_add(path, "", k, &rc);
            free(k);
            if (!rc) {
                if (idx < 0) {
                    cJSON *copy = cJSON_Duplicate(it, 1);
                    if (!copy || !cJSON_AddItemToArray(dst, copy))
                        rc = SL_ENOMEM;
                } else {
                    rc = merge_into(cJSON_GetArrayItem(dst, idx), it, path, sch);
                }
            }
            path_cut(path, old);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Merge object src into object dst: objects recursively, lists by their
 * kind, anything else replaced. Nulls in src are ignored. */
static int merge_into(cJSON *dst, const cJSON *src, sl_buf *path, const ks_schema *sch)
{
    const cJSON *c;
    int rc = 0;

    cJSON_ArrayForEach(c, src)
    {
        cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, c->string);
        size_t old;
        int replace = 1;
        if (cJSON_IsNull(c))
            continue;
        old = path_add(path, "f:", c->string, &rc);
        if (rc)
            return rc;
        if (d && cJSON_IsObject(d) && cJSON_IsObject(c)) {
            rc = merge_into(d, c, path, sch);
            replace = 0;
        } else if (d && cJSON_IsArray(d) && cJSON_IsArray(c)) {
            rc = merge_list(d, c, path, sch);
            replace = rc == 1;
            if (rc == 1)
                rc = 0;
        }
        path_cut(path, old);
        if (rc)
            return rc;
        if (replace) {
            cJSON *copy = cJSON_Duplicate(c, 1);
            if (!copy)
                return SL_ENOMEM;
            if (d)
                cJSON_ReplaceItemViaPointer(dst, d, copy);
            else
                cJSON_AddItemToObject(dst, c->string, copy);
        }
    }
    return 0;
}

/* ---- managed fields entries ------------------------------------------ */

typedef struct mentry {
    char *manager;
    char *operation;
    char *api_version;
    char *time;
    char *subresource;
    sl_strv set;
} mentry;

typedef struct mlist {
    mentry *v;
    size_t n, cap;
} mlist;

static void mlist_free(mlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].manager);
        free(l->v[i].operation);
        free(l->v[i].api_version);
        free(l->v[i].time);
        free(l->v[i].subresource);
        sl_strv_free(&l->v[i].set);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static char *dupn(const char *s)
{
    return s ? strdup(s) : NULL;
}

static mentry *mlist_add(mlist *l, const char *manager, const char *op, const char *apiv,
                         const char *time, const char *sub)
{
    mentry *e;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        mentry *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    e = &l->v[l->n++];
    memset(e, 0, sizeof(*e));
    e->manager = dupn(manager ? manager : "");
    e->operation = dupn(op ? op : "Update");
    e->api_version = dupn(apiv);
    e->time = dupn(time);
    e->subresource = dupn(sub);
    return e;
}

static int mlist_parse(const cJSON *obj, mlist *l)
{
    const cJSON *mf = sl_doc_path(obj, "metadata.managedFields"), *e;

    cJSON_ArrayForEach(e, mf)
    {
        mentry *m = mlist_add(l, sl_doc_str(e, "manager"), sl_doc_str(e, "operation"),
                              sl_doc_str(e, "apiVersion"), sl_doc_str(e, "time"),
                              sl_doc_str(e, "subresource"));
        if (!m || ks_fields_from_v1(cJSON_GetObjectItemCaseSensitive(e, "fieldsV1"), &m->set))
            return SL_ENOMEM;
    }
    return 0;
}

static mentry *mlist_find(mlist *l, const char *manager, const char *op)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].manager, manager) && !strcmp(l->v[i].operation, op) &&
            !l->v[i].subresource)
            return &l->v[i];
    return NULL;
}

/* Write l into obj.metadata.managedFields (entries with empty sets dropped). */
static int mlist_write(const mlist *l, cJSON *obj)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *arr;

    if (!cJSON_IsObject(meta))
        return 0;
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
    if (!(arr = cJSON_AddArrayToObject(meta, "managedFields")))
        return SL_ENOMEM;
    for (size_t i = 0; i < l->n; i++) {
        const mentry *m = &l->v[i];
        cJSON *e, *v1;
        if (!m->set.n)
            continue;
        if (!(e = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, e))
            return SL_ENOMEM;
        cJSON_AddStringToObject(e, "manager", m->manager);
        cJSON_AddStringToObject(e, "operation", m->operation);
        if (m->api_version)
            cJSON_AddStringToObject(e, "apiVersion", m->api_version);
        if (m->time)
            cJSON_AddStringToObject(e, "time", m->time);
        cJSON_AddStringToObject(e, "fieldsType", "FieldsV1");
        if (!(v1 = ks_fields_to_v1(&m->set)))
            return SL_ENOMEM;
        cJSON_AddItemToObject(e, "fieldsV1", v1);
        if (m->subresource)
            cJSON_AddStringToObject(e, "subresource", m->subresource);
    }
    if (!arr->child)
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
    return 0;
}

/* Values at path in a and b are the same (list items: both present). */
static int same_at(const cJSON *a, const cJSON *b, const char *path)
{
    const cJSON *x = ks_fields_get(a, path), *y = ks_fields_get(b, path);
    size_t n;
    const char *seg = last_seg(path, strlen(path), &n);

    if (!x || !y)
        return !x && !y;
    if (seg[0] == 'k' || seg[0] == 'v' || seg[0] == 'i')
        return 1;
    return ks_json_equal(x, y);
}

static int set_replace(sl_strv *dst, sl_strv *src)
{
    sl_strv_free(dst);
    *dst = *src;
    memset(src, 0, sizeof(*src));
    return 0;
}

static int set_equal(const sl_strv *a, const sl_strv *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]))
            return 0;
    return 1;
}

static int strip_config(cJSON *c, int strip_status)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(c, "metadata");
    static const char *const drop[] = {"uid",
                                       "resourceVersion",
                                       "generation",
                                       "creationTimestamp",
                                       "managedFields",
                                       "selfLink",
                                       "deletionTimestamp",
                                       "deletionGracePeriodSeconds",
                                       NULL};

    if (strip_status)
        cJSON_DeleteItemFromObjectCaseSensitive(c, "status");
    if (cJSON_IsObject(meta))
        for (size_t i = 0; drop[i]; i++)
            cJSON_DeleteItemFromObjectCaseSensitive(meta, drop[i]);
    return 0;
}

/* How the API server names a manager in conflict messages. */
static int print_manager(const mentry *e, sl_buf *b)
{
    int rc = sl_buf_printf(b, "\"%s\"", e->manager);
    if (!rc && e->subresource)
        rc = sl_buf_printf(b, " with subresource \"%s\"", e->subresource);
    if (!rc && !strcmp(e->operation, "Update"))
        rc = e->time ? sl_buf_printf(b, " using %s at %s", e->api_version ? e->api_version : "",
                                     e->time)
                     : sl_buf_printf(b, " using %s", e->api_version ? e->api_version : "");
    return rc;
}

typedef struct fconflict {
    size_t entry;
    const char *path;
} fconflict;

static int conflict_cmp(const void *a, const void *b)
{
    const fconflict *x = a, *y = b;
    return x->entry != y->entry ? (x->entry < y->entry ? -1 : 1) : strcmp(x->path, y->path);
}

/* The 409 Status for conflicts (grouped per manager, managers sorted). */
static cJSON *conflict_status(const mlist *l, fconflict *cv, size_t n)
{
    sl_buf msg = SL_BUF_INIT, field = SL_BUF_INIT, who = SL_BUF_INIT;
    cJSON *st = cJSON_CreateObject(), *details, *causes;
    size_t *order = calloc(l->n, sizeof(size_t)), no = 0;

    if (!st || !order)
        goto fail;
    /* managers in name order */
    for (size_t i = 0; i < l->n; i++)
        order[no++] = i;
    for (size_t i = 1; i < no; i++)
        for (size_t j = i; j > 0 && strcmp(l->v[order[j - 1]].manager, l->v[order[j]].manager) > 0;
             j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    qsort(cv, n, sizeof(*cv), conflict_cmp);
    cJSON_AddStringToObject(st, "kind", "Status");
    cJSON_AddStringToObject(st, "apiVersion", "v1");
    cJSON_AddObjectToObject(st, "metadata");
    cJSON_AddStringToObject(st, "status", "Failure");
    details = cJSON_CreateObject();
    causes = cJSON_AddArrayToObject(details, "causes");
    if (n == 1) {
        sl_buf_reset(&who);
        print_manager(&l->v[cv[0].entry], &who);
        ks_fields_pretty(cv[0].path, &field);
        sl_buf_printf(&msg, "Apply failed with 1 conflict: conflict with %s: %s", who.ptr,
                      field.ptr);
    } else {
        sl_buf_printf(&msg, "Apply failed with %zu conflicts: ", n);
        for (size_t o = 0, first = 1; o < no; o++) {
            int head = 0;
            for (size_t i = 0; i < n; i++) {
                if (cv[i].entry != order[o])
                    continue;
                if (!head) {
                    sl_buf_reset(&who);
                    print_manager(&l->v[order[o]], &who);
                    sl_buf_printf(&msg, "%sconflicts with %s:", first ? "" : "\n", who.ptr);
                    head = 1;
                    first = 0;
                }
                sl_buf_reset(&field);
                ks_fields_pretty(cv[i].path, &field);
                sl_buf_printf(&msg, "\n- %s", field.ptr);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        cJSON *c = cJSON_CreateObject();
        sl_buf_reset(&who);
        sl_buf_puts(&who, "conflict with ");
        print_manager(&l->v[cv[i].entry], &who);
        sl_buf_reset(&field);
        ks_fields_pretty(cv[i].path, &field);
        cJSON_AddStringToObject(c, "reason", "FieldManagerConflict");
        cJSON_AddStringToObject(c, "message", who.ptr);
        cJSON_AddStringToObject(c, "field", field.ptr);
        cJSON_AddItemToArray(causes, c);
    }
    cJSON_AddStringToObject(st, "message", msg.ptr ? msg.ptr : "");
    cJSON_AddStringToObject(st, "reason", "Conflict");
    cJSON_AddItemToObject(st, "details", details);
    cJSON_AddNumberToObject(st, "code", 409);
    free(order);
    sl_buf_free(&msg);
    sl_buf_free(&field);
    sl_buf_free(&who);
    return st;
fail:
    free(order);
    cJSON_Delete(st);
    return NULL;
}

int ks_apply(const cJSON *live, const cJSON *config, const ks_manage *m, cJSON **out,
             cJSON **conflict_out, sl_error *err)
{
    cJSON *cfg = NULL, *merged = NULL;
    sl_strv newset = SL_STRV_INIT, others = SL_STRV_INIT, removed = SL_STRV_INIT;
    sl_buf path = SL_BUF_INIT;
    mlist l = {0};
    fconflict *cv = NULL;
    size_t ncv = 0, capcv = 0;
    mentry *me;
    int rc = SL_ENOMEM, dirty;

    *out = NULL;
    *conflict_out = NULL;
    if (!(cfg = cJSON_Duplicate(config, 1)))
        goto out;
    strip_config(cfg, m->strip_status);
    ks_fields_default_keys(cfg, m->schema);
    if (ks_fields_of(cfg, m->schema, m->strip_status, &newset))
        goto out;
    if (live && mlist_parse(live, &l))
        goto out;
    if (sl_buf_reserve(&path, 256))
        goto out;
    if (live) {
        if (!(merged = cJSON_Duplicate(live, 1)))
            goto out;
        if (m->strip_status)
            cJSON_DeleteItemFromObjectCaseSensitive(cfg, "status");
        if ((rc = merge_into(merged, cfg, &path, m->schema)))
            goto out;
        rc = SL_ENOMEM;
    } else if (!(merged = cJSON_Duplicate(cfg, 1))) {
        goto out;
    }
    /* conflicts: fields another manager owns whose value this apply changes */
    for (size_t i = 0; live && i < l.n; i++) {
        mentry *e = &l.v[i];
        if (!strcmp(e->manager, m->manager) && !strcmp(e->operation, "Apply") && !e->subresource)
            continue;
        for (size_t j = 0; j < newset.n; j++) {
            if (!ks_fset_has(&e->set, newset.v[j]) || same_at(live, merged, newset.v[j]))
                continue;
            if (ncv == capcv) {
                size_t cap = capcv ? capcv * 2 : 8;
                fconflict *v = realloc(cv, cap * sizeof(*v));
                if (!v)
                    goto out;
                cv = v;
                capcv = cap;
            }
            cv[ncv].entry = i;
            cv[ncv++].path = newset.v[j];
        }
    }
    if (ncv && !m->force) {
        if (!(*conflict_out = conflict_status(&l, cv, ncv)))
            goto out;
        rc =
            sl_error_set(err, SL_ECONFLICT, "%s",
                         sl_doc_str(*conflict_out, "message") ? sl_doc_str(*conflict_out, "message")
                                                              : "conflict");
        goto out;
    }
    /* force: the conflicting fields leave their other owners */
    for (size_t i = 0; i < ncv; i++) {
        sl_strv *s = &l.v[cv[i].entry].set;
        for (size_t j = 0; j < s->n; j++)
            if (!strcmp(s->v[j], cv[i].path)) {
                free(s->v[j]);
                memmove(&s->v[j], &s->v[j + 1], (s->n - j - 1) * sizeof(char *));
                s->n--;
                break;
            }
    }
    /* fields this manager applied before and no longer applies, owned by no
     * one else, are removed */
    me = mlist_find(&l, m->manager, "Apply");
    for (size_t i = 0; i < l.n; i++)
        if (&l.v[i] != me)
            for (size_t j = 0; j < l.v[i].set.n; j++)
                if (sl_strv_push(&others, l.v[i].set.v[j]))
                    goto out;
    ks_fset_norm(&others);
    if (me) {
        sl_strv tmp = SL_STRV_INIT;
        if (ks_fset_minus(&me->set, &newset, &tmp) || ks_fset_minus(&tmp, &others, &removed)) {
            sl_strv_free(&tmp);
            goto out;
        }
        sl_strv_free(&tmp);
        /* parents first: a list item goes before its key fields would be */
        for (size_t i = 0; i < removed.n; i++)
            ks_fields_remove(merged, removed.v[i]);
    }
    dirty = !me || ncv > 0;
    if (!me && !(me = mlist_add(&l, m->manager, "Apply", m->api_version, m->now, NULL)))
        goto out;
    if (!set_equal(&me->set, &newset) || !me->api_version ||
        strcmp(me->api_version, m->api_version)) {
        free(me->time);
        free(me->api_version);
        me->time = dupn(m->now);
        me->api_version = dupn(m->api_version);
        dirty = 1;
    }
    set_replace(&me->set, &newset);
    /* unchanged entries keep the JSON the object already carries */
    if ((dirty || !live) && mlist_write(&l, merged))
        goto out;
    *out = merged;
    merged = NULL;
    rc = 0;
out:
    if (rc == SL_ENOMEM)
        sl_error_set(err, rc, "out of memory");
    free(cv);
    cJSON_Delete(cfg);
    cJSON_Delete(merged);
    sl_strv_free(&newset);
    sl_strv_free(&others);
    sl_strv_free(&removed);
    sl_buf_free(&path);
    mlist_free(&l);
    return rc;
}

int ks_update_managed(const cJSON *old, cJSON *obj, const ks_manage *m, sl_error *err)
{
    sl_strv now = SL_STRV_INIT, before = SL_STRV_INIT, changed = SL_STRV_INIT,
            removed = SL_STRV_INIT;
    mlist l = {0};
    mentry *me;
    const cJSON *mf = sl_doc_path(obj, "metadata.managedFields");
    int rc = SL_ENOMEM;

    if (ks_fields_of(obj, m->schema, m->strip_status, &now) ||
        (old && ks_fields_of(old, m->schema, m->strip_status, &before)))
        goto out;
    for (size_t i = 0; i < now.n; i++)
        if ((!old || !same_at(old, obj, now.v[i])) && sl_strv_push(&changed, now.v[i]))
            goto out;
    ks_fset_norm(&changed);
    if (ks_fset_minus(&before, &now, &removed))
        goto out;
    if (mlist_parse(cJSON_IsArray(mf) ? obj : old, &l))
        goto out;
    if (!changed.n && !removed.n) {
        rc = mlist_write(&l, obj);
        goto out;
    }
    for (size_t i = 0; i < l.n; i++) {
        sl_strv a = SL_STRV_INIT, b = SL_STRV_INIT;
        if (!strcmp(l.v[i].manager, m->manager) && !strcmp(l.v[i].operation, "Update") &&
            !l.v[i].subresource)
            continue;
        if (ks_fset_minus(&l.v[i].set, &changed, &a) || ks_fset_minus(&a, &removed, &b)) {
            sl_strv_free(&a);
            sl_strv_free(&b);
            goto out;
        }
        sl_strv_free(&a);
        set_replace(&l.v[i].set, &b);
    }
    if (!(me = mlist_find(&l, m->manager, "Update")) &&
        !(me = mlist_add(&l, m->manager, "Update", m->api_version, m->now, NULL)))
        goto out;
    {
        sl_strv u = SL_STRV_INIT;
        for (size_t i = 0; i < me->set.n; i++)
            if (sl_strv_push(&u, me->set.v[i]))
                goto out;
        for (size_t i = 0; i < changed.n; i++)
            if (sl_strv_push(&u, changed.v[i]))
                goto out;
        ks_fset_norm(&u);
        sl_strv_free(&me->set);
        if (ks_fset_minus(&u, &removed, &me->set)) {
            sl_strv_free(&u);
            goto out;
        }
        sl_strv_free(&u);
    }
    free(me->time);
    free(me->api_version);
    me->time = dupn(m->now);
    me->api_version = dupn(m->api_version);
    rc = mlist_write(&l, obj);
out:
    if (rc == SL_ENOMEM)
        sl_error_set(err, rc, "out of memory");
    sl_strv_free(&now);
    sl_strv_free(&before);
    sl_strv_free(&changed);
    sl_strv_free(&removed);
    mlist_free(&l);
    return rc;
}

/* ---- patches ----------------------------------------------------------- */

int ks_merge_patch(cJSON **doc, const cJSON *patch)
{
    const cJSON *c;

    if (!cJSON_IsObject(patch)) {
        cJSON *copy = cJSON_Duplicate(patch, 1);
        if (!copy)
            return SL_ENOMEM;
        cJSON_Delete(*doc);
        *doc = copy;
        return 0;
    }
    if (!cJSON_IsObject(*doc)) {
        cJSON_Delete(*doc);
        if (!(*doc = cJSON_CreateObject()))
            return SL_ENOMEM;
    }
    cJSON_ArrayForEach(c, patch)
    {
        cJSON *d = cJSON_GetObjectItemCaseSensitive(*doc, c->string);
        if (cJSON_IsNull(c)) {
            cJSON_DeleteItemFromObjectCaseSensitive(*doc, c->string);
            continue;
        }
        if (d) {
            cJSON *det = cJSON_DetachItemViaPointer(*doc, d);
            int rc = ks_merge_patch(&det, c);
            cJSON_AddItemToObject(*doc, c->string, det);
            if (rc)
                return rc;
        } else {
            cJSON *n = NULL;
            int rc = ks_merge_patch(&n, c);
            if (rc) {
                cJSON_Delete(n);
                return rc;
            }
            cJSON_AddItemToObject(*doc, c->string, n);
        }
    }
    return 0;
}

static int smp(cJSON **doc, const cJSON *patch, sl_buf *path, const ks_schema *sch);

static int smp_list(cJSON *dst, const cJSON *src, sl_buf *path, const ks_schema *sch)
{
    const char *const *keys;
    const cJSON *it;
    int kind = list_kind(path->ptr, sch, &keys), rc = 0;

    if (kind != LIST_MAP)
        return 1;
    cJSON_ArrayForEach(it, src)
    {
        const char *directive = sl_doc_str(it, "$patch");
        char *k = item_key(it, keys);
        int idx;
        size_t old;
        if (!k)
            return 1;
        idx = find_item(dst, k);
        old = path_add(path, "", k, &rc);
        free(k);
        if (!rc) {
            if (directive && !strcmp(directive, "delete")) {
                if (idx >= 0)
                    cJSON_DeleteItemFromArray(dst, idx);
            } else if (idx < 0) {
                cJSON *n = NULL;
                rc = smp(&n, it, path, sch);
                if (!rc)
                    cJSON_AddItemToArray(dst, n);
                else
                    cJSON_Delete(n);
            } else {
                cJSON *d = cJSON_DetachItemFromArray(dst, idx);
                rc = smp(&d, it, path, sch);
                cJSON_InsertItemInArray(dst, idx, d);
            }
        }
        path_cut(path, old);
        if (rc)
            return rc;
    }
    return 0;
}

static int smp(cJSON **doc, const cJSON *patch, sl_buf *path, const ks_schema *sch)
{
    const cJSON *c;
    int rc = 0;

    if (!cJSON_IsObject(patch) || !cJSON_IsObject(*doc)) {
        cJSON *copy;
        if (cJSON_IsObject(patch)) {
            cJSON_Delete(*doc);
            if (!(*doc = cJSON_CreateObject()))
                return SL_ENOMEM;
            return smp(doc, patch, path, sch);
        }
        if (!(copy = cJSON_Duplicate(patch, 1)))
            return SL_ENOMEM;
        cJSON_Delete(*doc);
        *doc = copy;
        return 0;
    }
    {
        const char *directive = sl_doc_str(patch, "$patch");
        if (directive && !strcmp(directive, "replace")) {
            cJSON *copy = cJSON_Duplicate(patch, 1);
            if (!copy)
                return SL_ENOMEM;
            cJSON_DeleteItemFromObjectCaseSensitive(copy, "$patch");
            cJSON_Delete(*doc);
            *doc = copy;
            return 0;
        }
    }
    cJSON_ArrayForEach(c, patch)
    {
        cJSON *d;
        size_t old;
        if (c->string[0] == '$' || !strncmp(c->string, "$setElementOrder/", 17))
            continue;
        if (!strncmp(c->string, "$deleteFromPrimitiveList/", 25)) {
            cJSON *lst = cJSON_GetObjectItemCaseSensitive(*doc, c->string + 25);
            const cJSON *v;
            cJSON_ArrayForEach(v, c)
            {
                int i = 0;
                cJSON *x;
                cJSON_ArrayForEach(x, lst)
                {
                    if (ks_json_equal(x, v)) {
                        cJSON_DeleteItemFromArray(lst, i);
                        break;
                    }
                    i++;
                }
            }
            continue;
        }
        if (cJSON_IsNull(c)) {
            cJSON_DeleteItemFromObjectCaseSensitive(*doc, c->string);
            continue;
        }
        d = cJSON_GetObjectItemCaseSensitive(*doc, c->string);
        old = path_add(path, "f:", c->string, &rc);
        if (rc)
            return rc;
        if (d && cJSON_IsArray(d) && cJSON_IsArray(c)) {
            rc = smp_list(d, c, path, sch);
            if (rc == 1) {
                cJSON *copy = cJSON_Duplicate(c, 1);
                rc = copy ? 0 : SL_ENOMEM;
                if (copy)
                    cJSON_ReplaceItemViaPointer(*doc, d, copy);
            }
        } else if (d) {
            cJSON *det = cJSON_DetachItemViaPointer(*doc, d);
            rc = smp(&det, c, path, sch);
            cJSON_AddItemToObject(*doc, c->string, det);
        } else {
            cJSON *n = NULL;
            rc = smp(&n, c, path, sch);
            if (!rc)
                cJSON_AddItemToObject(*doc, c->string, n);
            else
                cJSON_Delete(n);
        }
        path_cut(path, old);
        if (rc)
            return rc;
    }
    return 0;
}

int ks_strategic_patch(cJSON **doc, const cJSON *patch, const ks_schema *sch)
{
    sl_buf path = SL_BUF_INIT;
    int rc;

    if (sl_buf_reserve(&path, 128))
        return SL_ENOMEM;
    rc = smp(doc, patch, &path, sch);
    sl_buf_free(&path);
    return rc;
}

/* Resolve a JSON pointer's parent and last token. *tok is malloc'ed
 * (unescaped). Returns the parent node or NULL. */
static cJSON *pointer_parent(cJSON *doc, const char *ptr, char **tok)
{
    cJSON *cur = doc;
    const char *p = ptr;

    *tok = NULL;
    if (*p != '/')
        return NULL;
    for (;;) {
        const char *e = strchr(p + 1, '/');
        size_t n = e ? (size_t)(e - p - 1) : strlen(p + 1);
        char *t = malloc(n + 1), *w = t;
        if (!t)
            return NULL;
        for (size_t i = 0; i < n; i++) {
            char ch = p[1 + i];
            if (ch == '~' && i + 1 < n && (p[2 + i] == '0' || p[2 + i] == '1')) {
                *w++ = p[2 + i] == '0' ? '~' : '/';
                i++;
            } else {
                *w++ = ch;
            }
        }
        *w = '\0';
        if (!e) {
            *tok = t;
            return cur;
        }
        if (cJSON_IsArray(cur)) {
            char *end;
            long idx = strtol(t, &end, 10);
            cur = (*end || idx < 0) ? NULL : cJSON_GetArrayItem(cur, (int)idx);
        } else {
            cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, t) : NULL;
        }
        free(t);
        if (!cur)
            return NULL;
        p = e;
    }
}

static cJSON *pointer_get(cJSON *doc, const char *ptr)
{
    char *tok;
    cJSON *parent, *r = NULL;

    if (!*ptr)
        return doc;
    if (!(parent = pointer_parent(doc, ptr, &tok)))
        return NULL;
    if (cJSON_IsArray(parent)) {
        char *end;
        long idx = strtol(tok, &end, 10);
        r = (*end || idx < 0) ? NULL : cJSON_GetArrayItem(parent, (int)idx);
    } else if (cJSON_IsObject(parent)) {
        r = cJSON_GetObjectItemCaseSensitive(parent, tok);
    }
    free(tok);
    return r;
}

static int pointer_remove(cJSON *doc, const char *ptr, cJSON **taken)
{
    char *tok;
    cJSON *parent = pointer_parent(doc, ptr, &tok), *it = NULL;

    if (!parent)
        return SL_ENOTFOUND;
    if (cJSON_IsArray(parent)) {
        char *end;
        long idx = strtol(tok, &end, 10);
        if (!*end && idx >= 0 && idx < cJSON_GetArraySize(parent))
            it = cJSON_DetachItemFromArray(parent, (int)idx);
    } else if (cJSON_IsObject(parent)) {
        it = cJSON_DetachItemFromObjectCaseSensitive(parent, tok);
    }
    free(tok);
    if (!it)
        return SL_ENOTFOUND;
    if (taken)
        *taken = it;
    else
        cJSON_Delete(it);
    return 0;
}

static int pointer_add(cJSON *doc, const char *ptr, cJSON *val, int replace)
{
    char *tok;
    cJSON *parent = pointer_parent(doc, ptr, &tok);
    int rc = SL_ENOTFOUND;

    if (!parent)
        return rc;
    if (cJSON_IsArray(parent)) {
        char *end;
        long idx = !strcmp(tok, "-") ? cJSON_GetArraySize(parent) : strtol(tok, &end, 10);
        if (strcmp(tok, "-") && *end)
            idx = -1;
        if (idx >= 0 && idx <= cJSON_GetArraySize(parent)) {
            if (replace && idx < cJSON_GetArraySize(parent))
                cJSON_ReplaceItemInArray(parent, (int)idx, val);
            else if (idx == cJSON_GetArraySize(parent))
                cJSON_AddItemToArray(parent, val);
            else
                cJSON_InsertItemInArray(parent, (int)idx, val);
            rc = 0;
        }
    } else if (cJSON_IsObject(parent)) {
        if (cJSON_GetObjectItemCaseSensitive(parent, tok))
            cJSON_ReplaceItemInObjectCaseSensitive(parent, tok, val);
        else
            cJSON_AddItemToObject(parent, tok, val);
        rc = 0;
    }
    free(tok);
    return rc;
}

int ks_json_patch(cJSON **doc, const cJSON *ops, sl_error *err)
{
    const cJSON *op;

    if (!cJSON_IsArray(ops))
        return sl_error_set(err, SL_EINVAL, "a JSON patch must be an array of operations");
    cJSON_ArrayForEach(op, ops)
    {
        const char *o = sl_doc_str(op, "op"), *path = sl_doc_str(op, "path"),
                   *from = sl_doc_str(op, "from");
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
        cJSON *v = NULL;
        int rc = 0;
        if (!o || !path)
            return sl_error_set(err, SL_EINVAL, "JSON patch operation needs op and path");
        if (!strcmp(o, "add") || !strcmp(o, "replace")) {
            if (!value || !(v = cJSON_Duplicate(value, 1)))
                return sl_error_set(err, SL_EINVAL, "%s at %s needs a value", o, path);
            if (!*path) {
                cJSON_Delete(*doc);
                *doc = v;
                continue;
            }
            if (!strcmp(o, "replace") && !pointer_get(*doc, path))
                rc = SL_ENOTFOUND;
            else
                rc = pointer_add(*doc, path, v, !strcmp(o, "replace"));
        } else if (!strcmp(o, "remove")) {
            rc = pointer_remove(*doc, path, NULL);
        } else if (!strcmp(o, "test")) {
            const cJSON *cur = pointer_get(*doc, path);
            if (!cur || !value || !ks_json_equal(cur, value))
                return sl_error_set(err, SL_ECONFLICT, "test operation at %s failed", path);
        } else if (!strcmp(o, "move") || !strcmp(o, "copy")) {
            cJSON *src = from ? pointer_get(*doc, from) : NULL;
            if (!src)
                return sl_error_set(err, SL_EINVAL, "%s: no value at from %s", o,
                                    from ? from : "(missing)");
            if (!strcmp(o, "copy")) {
                if (!(v = cJSON_Duplicate(src, 1)))
                    return sl_error_set(err, SL_ENOMEM, "out of memory");
            } else if (pointer_remove(*doc, from, &v)) {
                return sl_error_set(err, SL_EINVAL, "move: cannot remove %s", from);
            }
            rc = pointer_add(*doc, path, v, 0);
        } else {
            return sl_error_set(err, SL_EINVAL, "unknown JSON patch operation \"%s\"", o);
        }
        if (rc) {
            cJSON_Delete(v);
            return sl_error_set(err, SL_EINVAL, "%s: path %s does not exist", o, path);
        }
    }
    return 0;
}
