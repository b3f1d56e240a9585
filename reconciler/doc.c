/* doc.c: the node -> position table (sl_posmap), document vectors, deep copy
 * with positions, small accessors and the by-extension parse dispatcher. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl_doc.h"

/* A position packs into 64 bits: file index (20 bits), line (26 bits) and
 * column (18 bits). Values that do not fit saturate at the field maximum,
 * so a 16-byte entry holds node key and position with no per-entry malloc. */
#define PM_FILE_BITS 20
#define PM_LINE_BITS 26
#define PM_COL_BITS 18
#define PM_FILE_MAX ((1u << PM_FILE_BITS) - 1)
#define PM_LINE_MAX ((1u << PM_LINE_BITS) - 1)
#define PM_COL_MAX ((1u << PM_COL_BITS) - 1)

typedef struct pm_slot {
    const cJSON *node; /* NULL = empty */
    uint64_t pos;
} pm_slot;

struct sl_posmap {
    pm_slot *slots;
    size_t cap; /* power of two, 0 before the first set */
    size_t n;
    /* interned file names: index -> string, plus an open-addressing index */
    char **files;
    size_t nfiles, files_cap;
    uint32_t *fidx; /* slot holds file index + 1; 0 = empty */
    size_t fidx_cap;
    uint32_t last_file; /* index + 1 of the most recently interned name */
};

/* Nodes are allocated mostly in address order, so the hash keeps the
 * nodes of one 4 KiB stretch of heap in one 256-slot window (the low 8 bits
 * of addr/16 pass through) and scatters the windows: inserts and lookups
 * in tree order touch the table almost sequentially, while the scattering
 * keeps the load even. */
static size_t pm_hash(const cJSON *node)
{
    uint64_t a = (uint64_t)(uintptr_t)node >> 4;
    uint64_t hi = ((a >> 8) + 1) * 0x9E3779B97F4A7C15ULL;
    return (size_t)((a & 0xff) | ((hi >> 20) << 8));
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int sl_posmap_new(sl_posmap **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : SL_ENOMEM;
}

static int pm_grow_to(sl_posmap *pm, size_t want);

int sl_posmap_reserve(sl_posmap *pm, size_t more)
{
    if (!pm || (pm->n + more) / 3 * 4 < pm->cap)
        return 0;
    return pm_grow_to(pm, pm->n + more);
}

void sl_posmap_free(sl_posmap *pm)
{
    if (!pm)
        return;
    for (size_t i = 0; i < pm->nfiles; i++)
        free(pm->files[i]);
    free(pm->files);
    free(pm->fidx);
    free(pm->slots);
    free(pm);
}

static int pm_fidx_grow(sl_posmap *pm)
{
    size_t cap = pm->fidx_cap ? pm->fidx_cap * 2 : 64;
    uint32_t *idx = calloc(cap, sizeof(*idx));

    if (!idx)
        return SL_ENOMEM;
    for (size_t i = 0; i < pm->nfiles; i++) {
        size_t j = (size_t)str_hash(pm->files[i]) & (cap - 1);
        while (idx[j])
            j = (j + 1) & (cap - 1);
        idx[j] = (uint32_t)(i + 1);
    }
    free(pm->fidx);
    pm->fidx = idx;
    pm->fidx_cap = cap;
    return 0;
}

/* Index + 1 of file in pm->files, adding it when new; 0 on ENOMEM or when
 * the table is full (PM_FILE_MAX names). */
static uint32_t pm_file_index(sl_posmap *pm, const char *file)
{
    size_t j;

    if (!file)
        file = "";
    if (pm->last_file &&
        (pm->files[pm->last_file - 1] == file || !strcmp(pm->files[pm->last_file - 1], file)))
        return pm->last_file;
    if ((pm->nfiles + 1) * 2 > pm->fidx_cap && pm_fidx_grow(pm))
        return 0;
    j = (size_t)str_hash(file) & (pm->fidx_cap - 1);
    while (pm->fidx[j]) {
        if (!strcmp(pm->files[pm->fidx[j] - 1], file))
            return pm->last_file = pm->fidx[j];
        j = (j + 1) & (pm->fidx_cap - 1);
    }
    if (pm->nfiles >= PM_FILE_MAX)
        return 0;
    if (pm->nfiles == pm->files_cap) {
        size_t cap = pm->files_cap ? pm->files_cap * 2 : 16;
        char **v = realloc(pm->files, cap * sizeof(*v));
        if (!v)
            return 0;
        pm->files = v;
        pm->files_cap = cap;
    }
    if (!(pm->files[pm->nfiles] = strdup(file)))
        return 0;
    pm->nfiles++;
    pm->fidx[j] = (uint32_t)pm->nfiles;
    return pm->last_file = (uint32_t)pm->nfiles;
}

const char *sl_posmap_intern(sl_posmap *pm, const char *file)
{
    uint32_t i;

    if (!pm)
        return NULL;
    i = pm_file_index(pm, file);
    return i ? pm->files[i - 1] : NULL;
}

/* Grow the table to hold at least want entries (doubling when want is 0). */
static int pm_grow_to(sl_posmap *pm, size_t want)
{
    size_t cap = pm->cap ? pm->cap * 2 : 1024;
    pm_slot *slots;

    while (want && cap / 4 * 3 < want)
        cap *= 2;
    if (!(slots = calloc(cap, sizeof(*slots))))
        return SL_ENOMEM;

    for (size_t i = 0; i < pm->cap; i++) {
        if (!pm->slots[i].node)
            continue;
        size_t j = pm_hash(pm->slots[i].node) & (cap - 1);
        while (slots[j].node)
            j = (j + 1) & (cap - 1);
        slots[j] = pm->slots[i];
    }
    free(pm->slots);
    pm->slots = slots;
    pm->cap = cap;
    return 0;
}

static uint64_t pm_pack(uint32_t fi, int line, int col)
{
    uint64_t l = line < 0 ? 0 : (uint64_t)line, c = col < 0 ? 0 : (uint64_t)col;

    if (l > PM_LINE_MAX)
        l = PM_LINE_MAX;
    if (c > PM_COL_MAX)
        c = PM_COL_MAX;
    return ((uint64_t)fi << (PM_LINE_BITS + PM_COL_BITS)) | (l << PM_COL_BITS) | c;
}

/* Store a packed position for node (insert or overwrite). */
static int pm_put(sl_posmap *pm, const cJSON *node, uint64_t pos)
{
    size_t j;

    /* keep the load factor under 3/4 */
    if ((pm->n + 1) * 4 > pm->cap * 3 && pm_grow_to(pm, 0))
        return SL_ENOMEM;
    j = pm_hash(node) & (pm->cap - 1);
    while (pm->slots[j].node && pm->slots[j].node != node)
        j = (j + 1) & (pm->cap - 1);
    if (!pm->slots[j].node) {
        pm->slots[j].node = node;
        pm->n++;
    }
    pm->slots[j].pos = pos;
    return 0;
}

int sl_posmap_set(sl_posmap *pm, const cJSON *node, const char *file, int line, int col)
{
    uint32_t fi;

    if (!pm || !node)
        return 0;
    if (!(fi = pm_file_index(pm, file)))
        return SL_ENOMEM;
    return pm_put(pm, node, pm_pack(fi, line, col));
}

static const pm_slot *pm_find(const sl_posmap *pm, const cJSON *node)
{
    size_t j;

    if (!pm || !pm->cap || !node)
        return NULL;
    j = pm_hash(node) & (pm->cap - 1);
    while (pm->slots[j].node) {
        if (pm->slots[j].node == node)
            return &pm->slots[j];
        j = (j + 1) & (pm->cap - 1);
    }
    return NULL;
}

int sl_posmap_get(const sl_posmap *pm, const cJSON *node, sl_pos *out)
{
    const pm_slot *s = pm_find(pm, node);
    uint32_t fi;

    out->file = "";
    out->line = out->col = 0;
    if (!s)
        return SL_ENOTFOUND;
    fi = (uint32_t)(s->pos >> (PM_LINE_BITS + PM_COL_BITS));
    out->file = fi ? pm->files[fi - 1] : "";
    out->line = (int)((s->pos >> PM_COL_BITS) & PM_LINE_MAX);
    out->col = (int)(s->pos & PM_COL_MAX);
    return 0;
}

/* Remove one entry (backward-shift deletion keeps linear probing exact). */
static void pm_del(sl_posmap *pm, const cJSON *node)
{
    size_t mask, i, j;
    pm_slot *s = (pm_slot *)pm_find(pm, node);

    if (!s)
        return;
    mask = pm->cap - 1;
    i = (size_t)(s - pm->slots);
    j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!pm->slots[j].node)
            break;
        size_t home = pm_hash(pm->slots[j].node) & mask;
        /* move slot j back into the hole at i unless its home lies in (i, j] */
        if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
            pm->slots[i] = pm->slots[j];
            i = j;
        }
    }
    pm->slots[i].node = NULL;
    pm->slots[i].pos = 0;
    pm->n--;
}

int sl_posmap_merge(sl_posmap *dst, const sl_posmap *src)
{
    uint32_t *map = NULL;
    int rc = 0;

    if (!dst || !src || !src->n)
        return 0;
    if (sl_posmap_reserve(dst, src->n) || !(map = calloc(src->nfiles + 1, sizeof(*map))))
        return SL_ENOMEM;
    for (size_t i = 0; i < src->nfiles; i++)
        if (!(map[i + 1] = pm_file_index(dst, src->files[i]))) {
            rc = SL_ENOMEM;
            goto out;
        }
    for (size_t i = 0; i < src->cap; i++) {
        const pm_slot *s = &src->slots[i];
        uint64_t fi, rest;
        if (!s->node)
            continue;
        fi = s->pos >> (PM_LINE_BITS + PM_COL_BITS);
        rest = s->pos & (((uint64_t)1 << (PM_LINE_BITS + PM_COL_BITS)) - 1);
        if ((rc = pm_put(dst, s->node, ((uint64_t)map[fi] << (PM_LINE_BITS + PM_COL_BITS)) | rest)))
            goto out;
    }
out:
    free(map);
    return rc;
}

void sl_posmap_forget(sl_posmap *pm, const cJSON *node)
{
    if (!pm || !node || !pm->n)
        return;
    pm_del(pm, node);
    for (const cJSON *c = node->child; c; c = c->next)
        sl_posmap_forget(pm, c);
}

void sl_docv_free(sl_docv *dv)
{
    if (!dv)
        return;
    for (size_t i = 0; i < dv->n; i++)
        cJSON_Delete(dv->v[i]);
    free(dv->v);
    free(dv->pos);
    dv->v = NULL;
    dv->pos = NULL;
    dv->n = dv->cap = 0;
}

int sl_docv_push(sl_docv *dv, cJSON *tree, sl_pos pos)
{
    if (dv->n == dv->cap) {
        size_t cap = dv->cap ? dv->cap * 2 : 8;
        cJSON **v = realloc(dv->v, cap * sizeof(*v));
        if (!v)
            return SL_ENOMEM;
        dv->v = v;
        sl_pos *p = realloc(dv->pos, cap * sizeof(*p));
        if (!p)
            return SL_ENOMEM;
        dv->pos = p;
        dv->cap = cap;
    }
    dv->v[dv->n] = tree;
    dv->pos[dv->n] = pos;
    dv->n++;
    return 0;
}

/* Copy node's position entry (if any) to copy. */
static int doc_copy_pos(sl_posmap *pm, const cJSON *node, const cJSON *copy)
{
    const pm_slot *s = pm_find(pm, node);
    return s ? pm_put(pm, copy, s->pos) : 0;
}

static int doc_copy_rec(const cJSON *node, sl_posmap *pm, cJSON **out)
{
    cJSON *copy = cJSON_Duplicate(node, 0);
    int rc = 0;

    *out = NULL;
    if (!copy)
        return SL_ENOMEM;
    for (const cJSON *c = node->child; c; c = c->next) {
        cJSON *cc;
        if ((rc = doc_copy_rec(c, pm, &cc)))
            goto out;
        cJSON_AddItemToArray(copy, cc); /* links children of objects too */
    }
    if (pm && (rc = doc_copy_pos(pm, node, copy)))
        goto out;
out:
    if (rc) {
        if (pm)
            sl_posmap_forget(pm, copy);
        cJSON_Delete(copy);
        return rc;
    }
    *out = copy;
    return 0;
}

int sl_doc_copy(const cJSON *node, sl_posmap *pm, cJSON **out)
{
    *out = NULL;
    if (!node)
        return SL_EINVAL;
    return doc_copy_rec(node, pm, out);
}

const char *sl_doc_str(const cJSON *obj, const char *key)
{
    const cJSON *v;

    if (!cJSON_IsObject(obj) || !key)
        return NULL;
    v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Walk "a.b.c": each segment is an object key; on an array a segment of
 * decimal digits is an index. */
const cJSON *sl_doc_path(const cJSON *obj, const char *dotted)
{
    const cJSON *cur = obj;
    const char *p = dotted;

    if (!obj || !dotted)
        return NULL;
    if (!*p)
        return obj;
    while (cur) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        const cJSON *next = NULL;

        if (!n)
            return NULL;
        if (cJSON_IsObject(cur)) {
            for (const cJSON *c = cur->child; c; c = c->next)
                if (c->string && strlen(c->string) == n && !memcmp(c->string, p, n)) {
                    next = c;
                    break;
                }
        } else if (cJSON_IsArray(cur) && n > 0 && n < 10 && strspn(p, "0123456789") >= n) {
            next = cJSON_GetArrayItem(cur, atoi(p));
        }
        cur = next;
        if (!dot)
            break;
        p = dot + 1;
    }
    return cur;
}

int sl_doc_parse(const char *file, const char *data, size_t len, const sl_doc_limits *limits,
                 sl_posmap *pm, sl_docv *out, sl_error *err)
{
    size_t n = file ? strlen(file) : 0;

    if (n >= 5 && !strcasecmp(file + n - 5, ".json"))
        return sl_json_parse(file, data, len, limits, pm, out, err);
    return sl_yaml_parse(file, data, len, limits, pm, out, err);
}

void sl_doc_offset_pos(const char *data, size_t len, size_t off, int *line, int *col)
{
    int l = 1, c = 1;

    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xc0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}
