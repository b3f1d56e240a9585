/* placeholders.c: ${metadata.*} and ${resources.NAME.KEY} substitution as
 * the Score reference implementation (score-go framework) does it, and
 * score-k8s's secret reference markers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "score_int.h"

static int ref_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_' || c == '[' || c == ']' || c == '\\';
}

int score_ref_split(const char *ref, size_t len, sl_strv *out)
{
    sl_buf part = SL_BUF_INIT;
    int rc = 0;

    for (size_t i = 0; !rc && i <= len; i++) {
        if (i == len || ref[i] == '.') {
            rc = sl_strv_pushn(out, part.ptr ? part.ptr : "", part.len);
            sl_buf_reset(&part);
        } else if (ref[i] == '\\' && i + 1 < len && ref[i + 1] == '.') {
            rc = sl_buf_putc(&part, '.');
            i++;
        } else {
            rc = sl_buf_putc(&part, ref[i]);
        }
    }
    sl_buf_free(&part);
    return rc;
}

/* Walk node by the keys in parts[from..n): objects by key, arrays by index. */
static const cJSON *find_nested(const cJSON *node, char **parts, size_t from, size_t n,
                                sl_buf *why)
{
    for (size_t i = from; i < n; i++) {
        if (cJSON_IsObject(node)) {
            const cJSON *next = cJSON_GetObjectItemCaseSensitive(node, parts[i]);
            if (!next) {
                sl_buf_printf(why, "key '%s' not found", parts[i]);
                return NULL;
            }
            node = next;
        } else if (cJSON_IsArray(node)) {
            char *end;
            long idx = strtol(parts[i], &end, 10);
            if (!parts[i][0] || *end || idx < 0 || idx >= cJSON_GetArraySize(node)) {
                sl_buf_printf(why, "index '%s' out of range", parts[i]);
                return NULL;
            }
            node = cJSON_GetArrayItem(node, (int)idx);
        } else {
            sl_buf_printf(why, "cannot lookup key '%s', context is not a map", parts[i]);
            return NULL;
        }
    }
    return node;
}

/* Resolve one reference into out. */
static int resolve_ref(const score_subst *sc, const char *ref, size_t len, sl_buf *out,
                       sl_error *err)
{
    sl_strv parts = SL_STRV_INIT;
    sl_buf why = SL_BUF_INIT;
    const cJSON *v = NULL;
    int rc;

    if ((rc = score_ref_split(ref, len, &parts)))
        goto out;
    if (!strcmp(parts.v[0], "metadata")) {
        if (parts.n < 2) {
            rc = sl_error_set(err, SL_EINVAL,
                              "invalid ref '%.*s': requires at least a metadata key to lookup",
                              (int)len, ref);
            goto out;
        }
        v = find_nested(sc->metadata, parts.v, 1, parts.n, &why);
    } else if (!strcmp(parts.v[0], "resources")) {
        const cJSON *res;
        if (parts.n < 2) {
            rc = sl_error_set(err, SL_EINVAL,
                              "invalid ref '%.*s': requires at least a resource name to lookup",
                              (int)len, ref);
            goto out;
        }
        if (sc->uids && parts.n == 2) {
            const char *uid = sl_doc_str(sc->uids, parts.v[1]);
            if (!uid) {
                rc = sl_error_set(err, SL_EINVAL, "resource '%s' does not exist", parts.v[1]);
                goto out;
            }
            rc = sl_buf_puts(out, uid);
            goto out;
        }
        res = sc->outputs ? cJSON_GetObjectItemCaseSensitive(sc->outputs, parts.v[1]) : NULL;
        if (!res) {
            rc = sl_error_set(err, SL_EINVAL, "invalid ref '%.*s': no known resource '%s'",
                              (int)len, ref, parts.v[1]);
            goto out;
        }
        if (parts.n == 2) {
            rc = sl_error_set(err, SL_EINVAL, "invalid ref '%.*s': an output key is required",
                              (int)len, ref);
            goto out;
        }
        v = find_nested(res, parts.v, 2, parts.n, &why);
    } else {
        rc = sl_error_set(err, SL_EINVAL,
                          "invalid ref '%.*s': unknown reference root, use $$ to escape the "
                          "substitution",
                          (int)len, ref);
        goto out;
    }
    if (!v) {
        rc = sl_error_set(err, SL_EINVAL, "invalid ref '%.*s': %s", (int)len, ref,
                          why.ptr ? why.ptr : "not found");
        goto out;
    }
    if (cJSON_IsString(v)) {
        rc = sl_buf_puts(out, v->valuestring);
    } else {
        char *s = cJSON_PrintUnformatted(v);
        rc = s ? sl_buf_puts(out, s) : SL_ENOMEM;
        free(s);
    }
out:
    if (rc == SL_ENOMEM)
        sl_error_set(err, rc, "out of memory");
    sl_strv_free(&parts);
    sl_buf_free(&why);
    return rc;
}

int score_subst_str(const score_subst *sc, const char *s, sl_buf *out, sl_error *err)
{
    int rc = 0;

    while (!rc && *s) {
        const char *d = strchr(s, '$');
        if (!d)
            return sl_buf_puts(out, s);
        if ((rc = sl_buf_put(out, s, (size_t)(d - s))))
            break;
        if (d[1] == '$') {
            rc = sl_buf_putc(out, '$');
            s = d + 2;
        } else if (d[1] == '{') {
            const char *e = d + 2;
            while (ref_char(*e))
                e++;
            if (*e == '}' && e > d + 2) {
                rc = resolve_ref(sc, d + 2, (size_t)(e - d - 2), out, err);
                s = e + 1;
            } else {
                rc = sl_buf_putc(out, '$');
                s = d + 1;
            }
        } else {
            rc = sl_buf_putc(out, '$');
            s = d + 1;
        }
    }
    if (rc == SL_ENOMEM || rc == SL_ELIMIT)
        sl_error_set(err, rc, "substitution result too large");
    return rc;
}

int score_subst_resource_refs(const char *s, sl_strv *names)
{
    int rc = 0;

    while (!rc && (s = strchr(s, '$'))) {
        if (s[1] == '$') {
            s += 2;
        } else if (s[1] == '{') {
            const char *e = s + 2;
            while (ref_char(*e))
                e++;
            if (*e == '}') {
                sl_strv parts = SL_STRV_INIT;
                rc = score_ref_split(s + 2, (size_t)(e - s - 2), &parts);
                if (!rc && parts.n >= 2 && !strcmp(parts.v[0], "resources") &&
                    !sl_strv_contains(names, parts.v[1]))
                    rc = sl_strv_push(names, parts.v[1]);
                sl_strv_free(&parts);
                s = e + 1;
            } else {
                s++;
            }
        } else {
            s++;
        }
    }
    return rc;
}

int score_err_at(sl_error *err, const sl_posmap *pm, const cJSON *node)
{
    sl_pos p;

    if (err && !err->line && sl_posmap_get(pm, node, &p) == 0) {
        snprintf(err->file, sizeof(err->file), "%s", p.file);
        err->line = p.line;
        err->col = p.col;
    }
    return err ? err->code : SL_EINVAL;
}

int score_subst_tree(const score_subst *sc, cJSON *node, const sl_posmap *pm, sl_error *err)
{
    cJSON *it;
    int rc = 0;

    if (cJSON_IsString(node) && strchr(node->valuestring, '$')) {
        sl_buf b = SL_BUF_INIT;
        if ((rc = score_subst_str(sc, node->valuestring, &b, err)))
            score_err_at(err, pm, node);
        else if (!cJSON_SetValuestring(node, b.ptr ? b.ptr : ""))
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        sl_buf_free(&b);
        return rc;
    }
    for (it = node ? node->child : NULL; !rc && it; it = it->next)
        rc = score_subst_tree(sc, it, pm, err);
    return rc;
}

void score_secret_refs_free(score_secret_ref *refs, size_t n)
{
    for (size_t i = 0; refs && i < n; i++) {
        free(refs[i].name);
        free(refs[i].key);
    }
    free(refs);
}

int score_secret_split(const char *s, sl_strv *parts, score_secret_ref **refs, size_t *nrefs,
                       sl_error *err)
{
    score_secret_ref *v = NULL;
    size_t n = 0;
    int rc = 0;

    *refs = NULL;
    *nrefs = 0;
    for (;;) {
        const char *p = strstr(s, SCORE_SECRET_PREFIX), *e, *us;
        score_secret_ref *nv;
        if (!p || !(e = strstr(p + SCORE_SECRET_MARK_LEN, SCORE_SECRET_SUFFIX))) {
            rc = sl_strv_push(parts, s);
            break;
        }
        if ((rc = sl_strv_pushn(parts, s, (size_t)(p - s))))
            break;
        p += SCORE_SECRET_MARK_LEN;
        us = memchr(p, '_', (size_t)(e - p));
        if (!us || us == p || us + 1 == e) {
            rc = sl_error_set(err, SL_EINVAL,
                              "invalid secret reference '%.*s': expected <secret name>_<key>",
                              (int)(e - p), p);
            break;
        }
        if (!(nv = realloc(v, (n + 1) * sizeof(*v)))) {
            rc = SL_ENOMEM;
            break;
        }
        v = nv;
        v[n].name = strndup(p, (size_t)(us - p));
        v[n].key = strndup(us + 1, (size_t)(e - us - 1));
        n++;
        if (!v[n - 1].name || !v[n - 1].key) {
            rc = SL_ENOMEM;
            break;
        }
        s = e + SCORE_SECRET_MARK_LEN;
    }
    if (rc) {
        if (rc == SL_ENOMEM)
            sl_error_set(err, rc, "out of memory");
        score_secret_refs_free(v, n);
        return rc;
    }
    *refs = v;
    *nrefs = n;
    return 0;
}

int score_secret_find(const cJSON *node, sl_buf *path)
{
    const cJSON *it;
    size_t mark = path->len;
    int i = 0;

    if (cJSON_IsString(node)) {
        const char *p = strstr(node->valuestring, SCORE_SECRET_PREFIX);
        return p && strstr(p, SCORE_SECRET_SUFFIX);
    }
    for (it = node ? node->child : NULL; it; it = it->next, i++) {
        if (it->string)
            sl_buf_printf(path, ".%s", it->string);
        else
            sl_buf_printf(path, ".%d", i);
        if (score_secret_find(it, path))
            return 1;
        path->len = mark;
        if (path->ptr)
            path->ptr[mark] = '\0';
    }
    return 0;
}
