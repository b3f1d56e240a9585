/* render.c: helpers shared by renderers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sl_app.h"
#include "sl_render.h"

static int render_vnote(sl_strv *to, const char *fmt, va_list ap) SL_PRINTF(2, 0);
static int render_vnote(sl_strv *to, const char *fmt, va_list ap)
{
    char *s = NULL;

    if (!to)
        return 0;
    if (vasprintf(&s, fmt, ap) < 0)
        return SL_ENOMEM;
    return sl_strv_take(to, s);
}

int sl_render_note(sl_render_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = render_vnote(ctx ? ctx->notes : NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int sl_render_event(sl_render_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = render_vnote(ctx ? ctx->events : NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int64_t sl_render_now(const sl_render_ctx *ctx)
{
    const char *e;
    char *end;
    long long v;

    if (ctx && ctx->now)
        return ctx->now;
    e = getenv("SLUICE_NOW");
    if (e && *e) {
        v = strtoll(e, &end, 10);
        if (!*end && v > 0)
            return (int64_t)v;
    }
    return (int64_t)time(NULL);
}

int sl_threads(void)
{
    const char *e = getenv("SLUICE_THREADS");
    long n;

    if (e && *e) {
        n = strtol(e, NULL, 10);
        return n < 1 ? 1 : n > 64 ? 64 : (int)n;
    }
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 2 ? 2 : 1;
}

/* Add one document (an object or a List of objects) to out. Takes doc. */
static int render_add_doc(const sl_app *app, cJSON *doc, const char *file, const sl_pos *pos,
                          sl_objset *out, sl_error *err)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
    const char *api = sl_doc_str(doc, "apiVersion");
    sl_pos p;

    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return sl_error_setpos(err, SL_EINVAL, file, pos->line, pos->col,
                               "expected a Kubernetes object (a mapping with apiVersion, kind, "
                               "metadata)");
    }
    /* kind: List (and typed lists such as ConfigMapList, as kubectl prints them) expand to their
     * items. */
    if (cJSON_IsString(kind) && api && !strcmp(api, "v1") && strlen(kind->valuestring) >= 4 &&
        !strcmp(kind->valuestring + strlen(kind->valuestring) - 4, "List")) {
        cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(doc, "items");
        cJSON *it;
        int rc = 0;
        if (items && !cJSON_IsArray(items) && !cJSON_IsNull(items)) {
            sl_posmap_get(out->pm, items, &p);
            cJSON_Delete(items);
            cJSON_Delete(doc);
            return sl_error_setpos(err, SL_EINVAL, file, p.line, p.col,
                                   "items of a List must be a sequence");
        }
        cJSON_Delete(doc);
        while (!rc && items && (it = items->child)) {
            cJSON_DetachItemViaPointer(items, it);
            if (sl_posmap_get(out->pm, it, &p))
                p = *pos;
            rc = render_add_doc(app, it, file, &p, out, err);
        }
        cJSON_Delete(items);
        return rc;
    }
    if (app && app->namespace && app->namespace[0]) {
        cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
        const char *group_end = api ? strchr(api, '/') : NULL;
        char group[256] = "";
        if (group_end && (size_t)(group_end - api) < sizeof(group)) {
            memcpy(group, api, (size_t)(group_end - api));
            group[group_end - api] = '\0';
        }
        if (cJSON_IsObject(meta) && !cJSON_GetObjectItemCaseSensitive(meta, "namespace") &&
            cJSON_IsString(kind) && !sl_kind_cluster_scoped(group, kind->valuestring))
            cJSON_AddStringToObject(meta, "namespace", app->namespace);
    }
    return sl_objset_add(out, doc, file, pos->line, pos->col, err);
}

int sl_render_add_docs(const sl_app *app, const char *file, sl_docv *docs, sl_objset *out,
                       sl_error *err)
{
    int rc = 0;

    for (size_t i = 0; i < docs->n; i++) {
        cJSON *doc = docs->v[i];
        docs->v[i] = NULL;
        if (cJSON_IsNull(doc)) {
            cJSON_Delete(doc);
            continue;
        }
        if ((rc = render_add_doc(app, doc, file, &docs->pos[i], out, err)))
            break;
    }
    return rc;
}

int sl_render_add_manifests(const sl_app *app, sl_render_ctx *ctx, const char *file,
                            const char *data, size_t len, sl_objset *out, sl_error *err)
{
    sl_docv docs = {0};
    int rc;

    if ((rc = sl_objset_account(out, len, file, err)))
        return rc;
    if (!(rc = sl_doc_parse(file, data, len, &ctx->limits, out->pm, &docs, err)))
        rc = sl_render_add_docs(app, file, &docs, out, err);
    sl_docv_free(&docs);
    return rc;
}
