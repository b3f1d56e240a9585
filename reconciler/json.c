/* json.c: one JSON document with cJSON, under the same limits as YAML.
 * A bracket-depth prescan enforces limits->max_depth (and keeps cJSON's
 * recursion shallow) before cJSON runs; errors carry file:line:col. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sl_doc.h"

#define J_MAX_DEPTH_CLAMP 1000 /* CJSON_NESTING_LIMIT */

/* Offset of the first bracket nested deeper than max_depth, or len when
 * none. Strings are skipped so brackets inside them do not count. */
static size_t j_depth_scan(const char *s, size_t len, int max_depth)
{
    int depth = 0, in_str = 0;

    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
            continue;
        }
        if (ch == '"')
            in_str = 1;
        else if (ch == '[' || ch == '{') {
            if (++depth > max_depth)
                return i;
        } else if (ch == ']' || ch == '}')
            depth--;
    }
    return len;
}

static int j_keycmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Count nodes, refuse non-finite numbers and duplicate object keys. The
 * tree is at most J_MAX_DEPTH_CLAMP deep, so recursion is bounded. */
static int j_check(const cJSON *node, size_t *count, size_t max_nodes, const char **what,
                   const char **dupkey)
{
    size_t n = 0;
    int rc;

    if (++*count > max_nodes) {
        *what = "nodes";
        return SL_ELIMIT;
    }
    if (cJSON_IsNumber(node) && !isfinite(node->valuedouble)) {
        *what = "number";
        return SL_EINVAL;
    }
    for (const cJSON *c = node->child; c; c = c->next) {
        if ((rc = j_check(c, count, max_nodes, what, dupkey)))
            return rc;
        n++;
    }
    if (cJSON_IsObject(node) && n > 1) {
        const char **keys = malloc(n * sizeof(*keys));
        size_t i = 0;
        if (!keys)
            return SL_ENOMEM;
        for (const cJSON *c = node->child; c; c = c->next)
            keys[i++] = c->string ? c->string : "";
        qsort(keys, n, sizeof(*keys), j_keycmp);
        for (i = 1; i < n; i++)
            if (!strcmp(keys[i - 1], keys[i])) {
                *what = "dup";
                *dupkey = keys[i];
                free(keys);
                return SL_EINVAL;
            }
        free(keys);
    }
    return 0;
}

int sl_json_parse(const char *file, const char *data, size_t len, const sl_doc_limits *limits,
                  sl_posmap *pm, sl_docv *out, sl_error *err)
{
    size_t max_file =
        limits && limits->max_file_bytes ? limits->max_file_bytes : SL_DOC_DEFAULT_MAX_FILE_BYTES;
    size_t max_nodes = limits && limits->max_nodes ? limits->max_nodes : SL_DOC_DEFAULT_MAX_NODES;
    int max_depth = limits && limits->max_depth > 0 ? limits->max_depth : SL_DOC_DEFAULT_MAX_DEPTH;
    size_t start = 0, off, count = 0;
    const char *end = NULL, *what = "", *dupkey = "";
    cJSON *root = NULL;
    int line, col, rc = 0;
    sl_pos pos;

    if (max_depth > J_MAX_DEPTH_CLAMP)
        max_depth = J_MAX_DEPTH_CLAMP;
    if (len > max_file)
        return sl_error_setpos(err, SL_ELIMIT, file, 0, 0,
                               "file is %zu bytes, over the %zu-byte limit (limits.maxFileSize)",
                               len, max_file);
    if (!data)
        data = "";
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
        start = 3; /* UTF-8 byte order mark */
    while (start < len && strchr(" \t\r\n", data[start]))
        start++;
    if (start == len)
        return 0; /* nothing but blanks: no document */
    if ((off = j_depth_scan(data, len, max_depth)) < len) {
        sl_doc_offset_pos(data, len, off, &line, &col);
        return sl_error_setpos(err, SL_ELIMIT, file, line, col,
                               "nesting deeper than %d levels (limits.maxDepth)", max_depth);
    }
    root = cJSON_ParseWithLengthOpts(data + start, len - start, &end, 0);
    if (!root) {
        off = end && end >= data + start && end <= data + len ? (size_t)(end - data) : len;
        if (off + 1 == len) {
            /* cJSON clamps "ran out of input" to the last byte: parse again
             * with a blank appended to tell the two apart */
            char *tmp = malloc(len - start + 2);
            if (tmp) {
                const char *e2 = NULL;
                memcpy(tmp, data + start, len - start);
                tmp[len - start] = ' ';
                tmp[len - start + 1] = '\0';
                cJSON_Delete(cJSON_ParseWithLengthOpts(tmp, len - start + 1, &e2, 0));
                if (e2 && (size_t)(e2 - tmp) >= len - start)
                    off = len;
                free(tmp);
            }
        }
        sl_doc_offset_pos(data, len, off, &line, &col);
        if (off >= len)
            return sl_error_setpos(err, SL_EINVAL, file, line, col,
                                   "invalid JSON: unexpected end of input");
        return sl_error_setpos(err, SL_EINVAL, file, line, col, "invalid JSON: unexpected '%c'",
                               data[off] >= 0x20 && data[off] < 0x7f ? data[off] : '?');
    }
    off = (size_t)(end - data);
    while (off < len && strchr(" \t\r\n", data[off]))
        off++;
    if (off < len) {
        sl_doc_offset_pos(data, len, off, &line, &col);
        rc = sl_error_setpos(err, SL_EINVAL, file, line, col,
                             "invalid JSON: unexpected '%c' after the document",
                             data[off] >= 0x20 && data[off] < 0x7f ? data[off] : '?');
        goto out;
    }
    sl_doc_offset_pos(data, len, start, &line, &col);
    if ((rc = j_check(root, &count, max_nodes, &what, &dupkey))) {
        if (rc == SL_ENOMEM)
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        else if (!strcmp(what, "nodes"))
            rc = sl_error_setpos(err, rc, file, line, col,
                                 "more than %zu nodes in this file (limits.maxNodes)", max_nodes);
        else if (!strcmp(what, "dup"))
            rc = sl_error_setpos(err, rc, file, line, col, "duplicate object key \"%.200s\"",
                                 dupkey);
        else
            rc = sl_error_setpos(err, rc, file, line, col,
                                 "a number is out of range (JSON numbers must be finite)");
        goto out;
    }
    if (cJSON_IsNull(root))
        goto out; /* a null document is skipped, as in YAML */
    pos.file = pm ? sl_posmap_intern(pm, file ? file : "") : (file ? file : "");
    if (!pos.file) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    pos.line = line;
    pos.col = col;
    if (pm && sl_posmap_set(pm, root, pos.file, line, col)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (sl_docv_push(out, root, pos)) {
        sl_posmap_forget(pm, root);
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    root = NULL;
out:
    cJSON_Delete(root);
    return rc;
}
