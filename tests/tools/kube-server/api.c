/* api.c: the resource verbs of the Kubernetes API test server: get, list
 * (label and field selectors), create, replace, patch (merge, strategic,
 * JSON, server-side apply), delete and deletecollection, the status
 * subresource and dryRun=All. Errors are Status objects as the API server
 * writes them. */
#include "ks.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Status objects ------------------------------------------------------ */

cJSON *ks_status(int code, const char *reason, const char *message, const char *group,
                 const char *kind_plural, const char *name)
{
    cJSON *st = cJSON_CreateObject(), *d;

    if (!st)
        return NULL;
    cJSON_AddStringToObject(st, "kind", "Status");
    cJSON_AddStringToObject(st, "apiVersion", "v1");
    cJSON_AddObjectToObject(st, "metadata");
    cJSON_AddStringToObject(st, "status", code < 300 ? "Success" : "Failure");
    if (message)
        cJSON_AddStringToObject(st, "message", message);
    if (reason)
        cJSON_AddStringToObject(st, "reason", reason);
    if (name || kind_plural) {
        d = cJSON_AddObjectToObject(st, "details");
        if (name)
            cJSON_AddStringToObject(d, "name", name);
        if (group && *group)
            cJSON_AddStringToObject(d, "group", group);
        if (kind_plural)
            cJSON_AddStringToObject(d, "kind", kind_plural);
    }
    cJSON_AddNumberToObject(st, "code", code);
    return st;
}

static void fail(ks_resp *out, int code, const char *reason, const ks_kind *k, const char *name,
                 const char *fmt, ...) SL_PRINTF(6, 7);

static void fail(ks_resp *out, int code, const char *reason, const ks_kind *k, const char *name,
                 const char *fmt, ...)
{
    char msg[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cJSON_Delete(out->body);
    out->code = code;
    out->body = ks_status(code, reason, msg, k ? k->group : NULL, k ? k->plural : NULL, name);
}

/* "configmaps" or "widgets.example.com" as messages name a resource. */
static const char *resource_name(const ks_kind *k, char *buf, size_t n)
{
    if (*k->group)
        snprintf(buf, n, "%s.%s", k->plural, k->group);
    else
        snprintf(buf, n, "%s", k->plural);
    return buf;
}

static void not_found(ks_resp *out, const ks_kind *k, const char *name)
{
    char rn[300];
    fail(out, 404, "NotFound", k, name, "%s \"%s\" not found", resource_name(k, rn, sizeof(rn)),
         name);
}

static void ns_not_found(ks_resp *out, const char *ns)
{
    cJSON_Delete(out->body);
    out->code = 404;
    {
        char msg[512];
        snprintf(msg, sizeof(msg), "namespaces \"%s\" not found", ns);
        out->body = ks_status(404, "NotFound", msg, NULL, "namespaces", ns);
    }
}

/* ---- label selectors ----------------------------------------------------- */

enum { SEL_EQ, SEL_NEQ, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_NOTEXISTS };

typedef struct sel_req {
    int op;
    char *key;
    sl_strv values;
} sel_req;

struct ks_selector {
    sel_req *v;
    size_t n;
};

void ks_selector_free(ks_selector *sel)
{
    if (!sel)
        return;
    for (size_t i = 0; i < sel->n; i++) {
        free(sel->v[i].key);
        sl_strv_free(&sel->v[i].values);
    }
    free(sel->v);
    free(sel);
}

static char *trim_dup(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return strndup(s, n);
}

static int valid_label_part(const char *s, int allow_empty)
{
    if (!*s)
        return allow_empty;
    if (strlen(s) > 316)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.' || *s == '/'))
            return 0;
    return 1;
}

/* Parse one requirement (trimmed). */
static int parse_req(const char *t, sel_req *r, sl_error *err)
{
    const char *p;

    memset(r, 0, sizeof(*r));
    if (*t == '!') {
        r->op = SEL_NOTEXISTS;
        r->key = trim_dup(t + 1, strlen(t + 1));
    } else if ((p = strstr(t, " notin ")) || (p = strstr(t, " in "))) {
        const char *open = strchr(p, '('), *close = strrchr(p, ')');
        int notin = !strncmp(p, " notin ", 7);
        r->op = notin ? SEL_NOTIN : SEL_IN;
        r->key = trim_dup(t, (size_t)(p - t));
        if (!open || !close || close < open)
            goto bad;
        for (const char *v = open + 1; v <= close;) {
            const char *e = memchr(v, ',', (size_t)(close - v));
            char *val;
            if (!e)
                e = close;
            val = trim_dup(v, (size_t)(e - v));
            if (!val || !valid_label_part(val, 1)) {
                free(val);
                goto bad;
            }
            sl_strv_take(&r->values, val);
            v = e + 1;
        }
    } else if ((p = strstr(t, "!="))) {
        r->op = SEL_NEQ;
        r->key = trim_dup(t, (size_t)(p - t));
        sl_strv_take(&r->values, trim_dup(p + 2, strlen(p + 2)));
    } else if ((p = strchr(t, '='))) {
        size_t skip = p[1] == '=' ? 2 : 1;
        r->op = SEL_EQ;
        r->key = trim_dup(t, (size_t)(p - t));
        sl_strv_take(&r->values, trim_dup(p + skip, strlen(p + skip)));
    } else {
        r->op = SEL_EXISTS;
        r->key = strdup(t);
    }
    if (!r->key || !valid_label_part(r->key, 0))
        goto bad;
    for (size_t i = 0; i < r->values.n; i++)
        if (!valid_label_part(r->values.v[i], 1))
            goto bad;
    return 0;
bad:
    free(r->key);
    sl_strv_free(&r->values);
    memset(r, 0, sizeof(*r));
    return sl_error_set(err, SL_EINVAL, "unable to parse requirement: \"%s\"", t);
}

int ks_selector_parse(const char *s, ks_selector **out, sl_error *err)
{
    ks_selector *sel = calloc(1, sizeof(*sel));
    size_t cap = 0;
    int depth = 0;
    const char *start = s;

    *out = NULL;
    if (!sel)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    for (const char *p = s;; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')')
            depth--;
        if ((*p == ',' && depth == 0) || !*p) {
            char *t = trim_dup(start, (size_t)(p - start));
            int rc;
            if (!t) {
                ks_selector_free(sel);
                return sl_error_set(err, SL_ENOMEM, "out of memory");
            }
            if (*t) {
                if (sel->n == cap) {
                    size_t nc = cap ? cap * 2 : 4;
                    sel_req *v = realloc(sel->v, nc * sizeof(*v));
                    if (!v) {
                        free(t);
                        ks_selector_free(sel);
                        return sl_error_set(err, SL_ENOMEM, "out of memory");
                    }
                    sel->v = v;
                    cap = nc;
                }
                rc = parse_req(t, &sel->v[sel->n], err);
                if (rc) {
                    free(t);
                    ks_selector_free(sel);
                    return rc;
                }
                sel->n++;
            }
            free(t);
            if (!*p)
                break;
            start = p + 1;
        }
    }
    *out = sel;
    return 0;
}

int ks_selector_match(const ks_selector *sel, const cJSON *labels)
{
    for (size_t i = 0; sel && i < sel->n; i++) {
        const sel_req *r = &sel->v[i];
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(labels, r->key);
        const char *v = cJSON_IsString(l) ? l->valuestring : NULL;
        int in = v && sl_strv_contains(&r->values, v);
        switch (r->op) {
        case SEL_EQ:
        case SEL_IN:
            if (!in)
                return 0;
            break;
        case SEL_NEQ:
        case SEL_NOTIN:
            if (in)
                return 0;
            break;
        case SEL_EXISTS:
            if (!l)
                return 0;
            break;
        default:
            if (l)
                return 0;
        }
    }
    return 1;
}

/* ---- helpers -------------------------------------------------------------- */

static const char *gv_str(const ks_kind *k, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s", k->group, *k->group ? "/" : "", k->version);
    return buf;
}

/* A copy of a stored object as the request's version shows it. */
static cJSON *present(const ks_kind *k, const cJSON *obj)
{
    cJSON *c = cJSON_Duplicate(obj, 1);
    char gv[300];

    if (c && k->crd) {
        cJSON_DeleteItemFromObjectCaseSensitive(c, "apiVersion");
        cJSON_AddStringToObject(c, "apiVersion", gv_str(k, gv, sizeof(gv)));
    }
    return c;
}

static int is_dry_run(const ks_req *r, ks_resp *out)
{
    if (!r->dry_run || !*r->dry_run)
        return 0;
    if (strcmp(r->dry_run, "All")) {
        fail(out, 400, "BadRequest", NULL, NULL, "Invalid dry run value: %s; only All is supported",
             r->dry_run);
        return -1;
    }
    return 1;
}

static const char *manager_of(const ks_req *r, char *buf, size_t n)
{
    if (r->field_manager && *r->field_manager)
        return r->field_manager;
    if (r->user_agent && *r->user_agent) {
        size_t l = strcspn(r->user_agent, "/");
        if (l >= n)
            l = n - 1;
        memcpy(buf, r->user_agent, l);
        buf[l] = '\0';
        return buf;
    }
    return "unknown";
}

/* A request body parsed outside the global lock. */
struct ks_body {
    int done; /* parsed */
    int rc;
    cJSON *doc; /* until a handler takes it */
    sl_error err;
};

static int parse_body_now(const ks_req *r, cJSON **out, sl_error *err);

/* The request's body as JSON (the caller's): taken from the pre-parsed body
 * when there is one. Errors name the position in the body. */
static int parse_body(const ks_req *r, cJSON **out, sl_error *err)
{
    if (r->pre_ && r->pre_->done) {
        *out = r->pre_->doc;
        r->pre_->doc = NULL;
        if (r->pre_->rc && err)
            *err = r->pre_->err;
        return r->pre_->rc;
    }
    return parse_body_now(r, out, err);
}

static int parse_body_now(const ks_req *r, cJSON **out, sl_error *err)
{
    sl_docv dv = {0};
    int rc;

    *out = NULL;
    if (!r->body || !r->body_len)
        return sl_error_set(err, SL_EINVAL, "the request has no body");
    {
        size_t i = 0;
        while (i < r->body_len && (r->body[i] == ' ' || r->body[i] == '\n' || r->body[i] == '\r' ||
                                   r->body[i] == '\t'))
            i++;
        if (i < r->body_len && (r->body[i] == '{' || r->body[i] == '[')) {
            const char *end = NULL;
            *out = cJSON_ParseWithLengthOpts(r->body, r->body_len, &end, 0);
            if (*out)
                return 0;
            {
                int line, col;
                size_t off = end ? (size_t)(end - r->body) : 0;
                sl_doc_offset_pos(r->body, r->body_len, off, &line, &col);
                return sl_error_setpos(err, SL_EINVAL, "body", line, col,
                                       "invalid JSON: expected a value");
            }
        }
    }
    rc = sl_yaml_parse("body", r->body, r->body_len, NULL, NULL, &dv, err);
    if (rc) {
        sl_docv_free(&dv); /* the parser may keep its array on error */
        return rc;
    }
    if (dv.n != 1) {
        size_t n = dv.n;
        sl_docv_free(&dv);
        return sl_error_set(err, SL_EINVAL, "expected one YAML document, found %zu", n);
    }
    *out = dv.v[0];
    dv.v[0] = NULL;
    sl_docv_free(&dv);
    return 0;
}

static void bad_body(ks_resp *out, const sl_error *err)
{
    char buf[SL_ERROR_MSG_MAX + 600];
    fail(out, 400, "BadRequest", NULL, NULL, "error decoding the request body: %s",
         sl_error_format(err, buf, sizeof(buf)));
}

/* Check apiVersion/kind/name/namespace of a body against the URL; fills
 * in the namespace. Returns 0 or answers out. */
static int check_body(const ks_req *r, const ks_kind *k, cJSON *obj, const char *want_name,
                      ks_resp *out)
{
    const char *av = sl_doc_str(obj, "apiVersion"), *kind = sl_doc_str(obj, "kind"), *name, *ns;
    cJSON *meta;
    char gv[300];

    if (!cJSON_IsObject(obj)) {
        fail(out, 400, "BadRequest", NULL, NULL, "the request body is not an object");
        return -1;
    }
    if (!av || !kind) {
        fail(out, 400, "BadRequest", NULL, NULL, "Object 'Kind' is missing in '%.200s'",
             r->body ? r->body : "");
        return -1;
    }
    gv_str(k, gv, sizeof(gv));
    if (strcmp(kind, k->kind) || strcmp(av, gv)) {
        fail(out, 400, "BadRequest", NULL, NULL,
             "the API version in the data (%s) does not match the expected API version (%s) or "
             "kind %s does not match %s",
             av, gv, kind, k->kind);
        return -1;
    }
    meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    if (!meta) {
        meta = cJSON_AddObjectToObject(obj, "metadata");
    }
    if (!cJSON_IsObject(meta)) {
        fail(out, 400, "BadRequest", NULL, NULL, "metadata must be an object");
        return -1;
    }
    name = sl_doc_str(meta, "name");
    if (want_name && name && strcmp(name, want_name)) {
        fail(out, 400, "BadRequest", k, want_name,
             "the name of the object (%s) does not match the name on the URL (%s)", name,
             want_name);
        return -1;
    }
    if (want_name && !name)
        cJSON_AddStringToObject(meta, "name", want_name);
    ns = sl_doc_str(meta, "namespace");
    if (k->namespaced) {
        if (ns && r->ns && strcmp(ns, r->ns)) {
            fail(out, 400, "BadRequest", NULL, NULL,
                 "the namespace of the provided object does not match the namespace sent on the "
                 "request");
            return -1;
        }
        if (!ns && r->ns)
            cJSON_AddStringToObject(meta, "namespace", r->ns);
    } else if (ns) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
    }
    return 0;
}

static int valid_name(const char *n)
{
    size_t l = strlen(n);
    if (!l || l > 253)
        return 0;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
            return 0;
    return n[0] != '-' && n[0] != '.' && n[l - 1] != '-' && n[l - 1] != '.';
}

static void set_str(cJSON *o, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddStringToObject(o, key, v);
}

static void set_num(cJSON *o, const char *key, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddNumberToObject(o, key, v);
}

/* Server-owned metadata of a new object. */
static void init_meta(const ks_kind *k, cJSON *obj, int dry)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    char buf[64];
    unsigned long long n = dry ? ks_current_rv() : ks_next_rv();

    snprintf(buf, sizeof(buf), "%08llx-%04x-4%03x-8%03x-%012llx", n * 2654435761ULL & 0xffffffffULL,
             (unsigned)(n & 0xffff), (unsigned)(n >> 16 & 0xfff), (unsigned)(n >> 4 & 0xfff), n);
    set_str(meta, "uid", buf);
    set_str(meta, "creationTimestamp", ks_time_str(ks_now(), buf, sizeof(buf)));
    if (k->generation)
        set_num(meta, "generation", 1);
    else
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "generation");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionTimestamp");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "selfLink");
}

static void set_rv(cJSON *obj, unsigned long long rv)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%llu", rv);
    set_str(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion", buf);
}

/* Do old and new differ outside metadata and status? */
static int spec_changed(const cJSON *old, const cJSON *nw)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, nw)
    {
        if (!strcmp(c->string, "metadata") || !strcmp(c->string, "status"))
            continue;
        if (!ks_json_equal(c, cJSON_GetObjectItemCaseSensitive(old, c->string)))
            return 1;
    }
    cJSON_ArrayForEach(c, old)
    {
        if (strcmp(c->string, "metadata") && strcmp(c->string, "status") &&
            !cJSON_GetObjectItemCaseSensitive(nw, c->string))
            return 1;
    }
    return 0;
}

/* Terminating namespaces: gone once empty or after KS_NS_GRACE seconds,
 * with whatever they still hold. */
#define KS_NS_GRACE 0.5
static sl_strv g_term;
static double g_term_at[256];

static int ns_terminating(const char *ns)
{
    return sl_strv_contains(&g_term, ns);
}

static void finalize_namespaces(void)
{
    const ks_kind *nk;

    if (!g_term.n)
        return;
    nk = ks_kind_by_plural("", "v1", "namespaces");
    for (size_t i = 0; i < g_term.n;) {
        const char *ns = g_term.v[i];
        if (ks_now() >= g_term_at[i] || ks_namespace_empty(ns)) {
            char *key = ks_key(nk, NULL, ns);
            ks_del_namespace(ns);
            if (key)
                ks_del(key);
            free(key);
            free(g_term.v[i]);
            g_term.v[i] = g_term.v[g_term.n - 1];
            g_term_at[i] = g_term_at[g_term.n - 1];
            g_term.n--;
        } else {
            i++;
        }
    }
}

/* 1: exists and is active, 0: missing, -1: terminating. */
static int namespace_exists(const char *ns)
{
    const ks_kind *nk = ks_kind_by_plural("", "v1", "namespaces");
    char *key = ks_key(nk, NULL, ns);
    int ok = key && ks_get(key) != NULL;
    free(key);
    return ok && ns_terminating(ns) ? -1 : ok;
}

/* Answer out when objects cannot be created in ns; 0 when they can. */
static int check_namespace(const char *ns, ks_resp *out)
{
    int st = namespace_exists(ns);

    if (st > 0)
        return 0;
    if (!st) {
        ns_not_found(out, ns);
    } else {
        char msg[512];
        snprintf(msg, sizeof(msg),
                 "unable to create new content in namespace %s because it is being terminated", ns);
        cJSON_Delete(out->body);
        out->code = 403;
        out->body = ks_status(403, "Forbidden", msg, NULL, "namespaces", ns);
    }
    return -1;
}

static ks_manage manage_for(const ks_req *r, const ks_kind *k, const char *manager, char *gv,
                            size_t gvn, char *now, size_t nown)
{
    ks_manage m;

    memset(&m, 0, sizeof(m));
    m.manager = manager;
    m.api_version = gv_str(k, gv, gvn);
    m.now = ks_time_str(ks_now(), now, nown);
    m.schema = k->crd ? &k->schema : KS_SCHEMA_BUILTIN;
    m.strip_status = k->status_sub;
    m.force = r->force && !strcmp(r->force, "true");
    return m;
}

/* Store nw as the new state of key (old may be NULL); answers out with code. */
static void commit(const ks_req *r, const ks_kind *k, const char *key, const cJSON *old, cJSON *nw,
                   int dry, int code, ks_resp *out)
{
    ks_entry *e;
    cJSON *oldcopy = NULL;

    if (old && k->generation && spec_changed(old, nw)) {
        const cJSON *g = sl_doc_path(old, "metadata.generation");
        set_num(cJSON_GetObjectItemCaseSensitive(nw, "metadata"), "generation",
                (cJSON_IsNumber(g) ? g->valuedouble : 1) + 1);
    }
    if (old && ks_json_equal(old, nw)) {
        /* nothing changed: no new resourceVersion */
        out->code = code;
        out->body = present(k, old);
        cJSON_Delete(nw);
        return;
    }
    if (dry) {
        out->code = code;
        out->body = present(k, nw);
        cJSON_Delete(nw);
        return;
    }
    set_rv(nw, ks_next_rv());
    if (old && !(oldcopy = cJSON_Duplicate(old, 1))) {
        cJSON_Delete(nw);
        fail(out, 500, "InternalError", NULL, NULL, "out of memory");
        return;
    }
    if (ks_put(key, nw, &e)) {
        cJSON_Delete(oldcopy);
        fail(out, 500, "InternalError", NULL, NULL, "out of memory");
        return;
    }
    ks_status_init(k, e, oldcopy);
    ks_event_add(oldcopy ? "MODIFIED" : "ADDED", e->key, e->obj);
    cJSON_Delete(oldcopy);
    if (!k->crd && !strcmp(k->kind, "CustomResourceDefinition"))
        ks_crd_changed(sl_doc_str(sl_doc_path(e->obj, "metadata"), "name"), e->obj);
    out->code = code;
    out->body = present(k, e->obj);
}

/* ---- verbs ----------------------------------------------------------------- */

static void do_get(const ks_req *r, const ks_kind *k, const char *key, ks_resp *out)
{
    ks_entry *e = ks_get(key);

    if (!e) {
        not_found(out, k, r->name);
        return;
    }
    ks_status_refresh(k, e);
    out->code = 200;
    out->body = present(k, e->obj);
}

typedef struct list_ctx {
    const ks_kind *k;
    const ks_selector *sel;
    const char *name_eq, *name_ne, *ns_eq;
    ks_entry **v;
    size_t n, cap;
    int oom;
} list_ctx;

static void list_one(ks_entry *e, void *arg)
{
    list_ctx *c = arg;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(e->obj, "metadata");
    const char *name = sl_doc_str(meta, "name"), *ns = sl_doc_str(meta, "namespace");

    if ((c->name_eq && strcmp(name, c->name_eq)) || (c->name_ne && !strcmp(name, c->name_ne)) ||
        (c->ns_eq && strcmp(ns ? ns : "", c->ns_eq)) ||
        !ks_selector_match(c->sel, cJSON_GetObjectItemCaseSensitive(meta, "labels")))
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        ks_entry **v = realloc(c->v, cap * sizeof(*v));
        if (!v) {
            c->oom = 1;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = e;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp((*(ks_entry *const *)a)->key, (*(ks_entry *const *)b)->key);
}

/* Parse a field selector (metadata.name, metadata.namespace with =, ==, !=). */
static int parse_fields(const char *s, list_ctx *c, char **mem, ks_resp *out)
{
    char *save = NULL;

    if (!(*mem = strdup(s)))
        return -1;
    for (char *t = strtok_r(*mem, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *op = strstr(t, "!="), *val;
        int ne = op != NULL;
        if (!op)
            op = strchr(t, '=');
        if (!op) {
            fail(out, 400, "BadRequest", NULL, NULL,
                 "invalid selector: '%s'; can't understand '%s'", s, t);
            return -1;
        }
        *op = '\0';
        val = op + (ne ? 2 : (op[1] == '=' ? 2 : 1));
        if (!strcmp(t, "metadata.name")) {
            if (ne)
                c->name_ne = val;
            else
                c->name_eq = val;
        } else if (!strcmp(t, "metadata.namespace") && !ne) {
            c->ns_eq = val;
        } else {
            fail(out, 400, "BadRequest", NULL, NULL, "field label not supported: %s", t);
            return -1;
        }
    }
    return 0;
}

static void do_list(const ks_req *r, const ks_kind *k, ks_resp *out)
{
    list_ctx c;
    ks_selector *sel = NULL;
    sl_error err;
    char *fmem = NULL, gv[300], rv[32];
    cJSON *list, *items, *meta;

    memset(&c, 0, sizeof(c));
    sl_error_clear(&err);
    c.k = k;
    if (r->label_selector && *r->label_selector &&
        ks_selector_parse(r->label_selector, &sel, &err)) {
        fail(out, 400, "BadRequest", NULL, NULL, "%s", err.msg);
        return;
    }
    c.sel = sel;
    if (r->field_selector && *r->field_selector && parse_fields(r->field_selector, &c, &fmem, out))
        goto out;
    if (c.name_eq && (r->ns || !k->namespaced)) {
        char *key = ks_key(k, r->ns, c.name_eq);
        ks_entry *e = key ? ks_get(key) : NULL;
        free(key);
        if (e)
            list_one(e, &c);
    } else {
        ks_each(k, r->ns, list_one, &c);
    }
    if (c.oom) {
        fail(out, 500, "InternalError", NULL, NULL, "out of memory");
        goto out;
    }
    if (c.n > 1)
        qsort(c.v, c.n, sizeof(*c.v), entry_cmp);
    list = cJSON_CreateObject();
    cJSON_AddStringToObject(list, "kind", k->list_kind);
    cJSON_AddStringToObject(list, "apiVersion", gv_str(k, gv, sizeof(gv)));
    meta = cJSON_AddObjectToObject(list, "metadata");
    items = cJSON_AddArrayToObject(list, "items");
    for (size_t i = 0; i < c.n; i++) {
        ks_status_refresh(k, c.v[i]);
        cJSON_AddItemToArray(items, present(k, c.v[i]->obj));
    }
    snprintf(rv, sizeof(rv), "%llu", ks_current_rv());
    cJSON_AddStringToObject(meta, "resourceVersion", rv);
    out->code = 200;
    out->body = list;
out:
    free(c.v);
    free(fmem);
    ks_selector_free(sel);
}

static void do_create(const ks_req *r, const ks_kind *k, ks_resp *out)
{
    cJSON *obj = NULL;
    sl_error err;
    const char *name, *gen;
    char *key = NULL, mgr[128], gv[300], now[40];
    int dry = is_dry_run(r, out);
    ks_manage m;

    sl_error_clear(&err);
    if (dry < 0)
        return;
    if (parse_body(r, &obj, &err)) {
        bad_body(out, &err);
        return;
    }
    if (check_body(r, k, obj, NULL, out))
        goto out;
    name = sl_doc_str(sl_doc_path(obj, "metadata"), "name");
    gen = sl_doc_str(sl_doc_path(obj, "metadata"), "generateName");
    if (!name && gen) {
        char buf[300];
        snprintf(buf, sizeof(buf), "%s%05llx", gen, ks_next_rv() * 7919 % 0xfffff);
        cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "name", buf);
        name = sl_doc_str(sl_doc_path(obj, "metadata"), "name");
    }
    if (!name || !valid_name(name)) {
        char rn[300];
        fail(out, 422, "Invalid", k, name, "%s \"%s\" is invalid: metadata.name: %s",
             resource_name(k, rn, sizeof(rn)), name ? name : "",
             name ? "Invalid value: a lowercase RFC 1123 subdomain must consist "
                    "of lower case alphanumeric characters, '-' or '.'"
                  : "Required value: name or generateName is required");
        goto out;
    }
    if (k->namespaced && !r->ns) {
        fail(out, 400, "BadRequest", NULL, NULL, "the namespace is missing from the URL");
        goto out;
    }
    if (k->namespaced && check_namespace(r->ns, out))
        goto out;
    if (!(key = ks_key(k, r->ns, name)))
        goto oom;
    if (ks_get(key)) {
        char rn[300];
        fail(out, 409, "AlreadyExists", k, name, "%s \"%s\" already exists",
             resource_name(k, rn, sizeof(rn)), name);
        goto out;
    }
    init_meta(k, obj, dry);
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                            "managedFields");
    if (k->status_sub)
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
    ks_default(k, obj);
    m = manage_for(r, k, manager_of(r, mgr, sizeof(mgr)), gv, sizeof(gv), now, sizeof(now));
    if (ks_update_managed(NULL, obj, &m, &err))
        goto oom;
    commit(r, k, key, NULL, obj, dry, 201, out);
    obj = NULL;
    goto out;
oom:
    fail(out, 500, "InternalError", NULL, NULL, "out of memory");
out:
    free(key);
    cJSON_Delete(obj);
}

/* Finish an update of live into nw (replace or non-apply patch). */
static void finish_update(const ks_req *r, const ks_kind *k, const char *key, ks_entry *e,
                          cJSON *nw, int dry, ks_resp *out)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(nw, "metadata");
    const cJSON *old = e->obj, *omd = cJSON_GetObjectItemCaseSensitive(old, "metadata");
    const char *rv = sl_doc_str(meta, "resourceVersion");
    static const char *const keep[] = {"uid", "creationTimestamp", "generation", "resourceVersion",
                                       NULL};
    char mgr[128], gv[300], now[40], rn[300];
    sl_error err;
    ks_manage m;

    sl_error_clear(&err);
    if (rv && *rv && strcmp(rv, sl_doc_str(omd, "resourceVersion"))) {
        fail(out, 409, "Conflict", k, r->name,
             "Operation cannot be fulfilled on %s \"%s\": the object has been modified; please "
             "apply your changes to the latest version and try again",
             resource_name(k, rn, sizeof(rn)), r->name);
        cJSON_Delete(nw);
        return;
    }
    for (size_t i = 0; keep[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(omd, keep[i]);
        cJSON_DeleteItemFromObjectCaseSensitive(meta, keep[i]);
        if (v)
            cJSON_AddItemToObject(meta, keep[i], cJSON_Duplicate(v, 1));
    }
    if (k->status_sub) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(old, "status");
        cJSON_DeleteItemFromObjectCaseSensitive(nw, "status");
        if (st)
            cJSON_AddItemToObject(nw, "status", cJSON_Duplicate(st, 1));
    }
    ks_default(k, nw);
    m = manage_for(r, k, manager_of(r, mgr, sizeof(mgr)), gv, sizeof(gv), now, sizeof(now));
    if (ks_update_managed(old, nw, &m, &err)) {
        cJSON_Delete(nw);
        fail(out, 500, "InternalError", NULL, NULL, "%s", err.msg);
        return;
    }
    commit(r, k, key, old, nw, dry, 200, out);
}

static void do_replace(const ks_req *r, const ks_kind *k, const char *key, ks_resp *out)
{
    cJSON *obj = NULL;
    sl_error err;
    ks_entry *e = ks_get(key);
    int dry = is_dry_run(r, out);

    sl_error_clear(&err);
    if (dry < 0)
        return;
    if (!e) {
        not_found(out, k, r->name);
        return;
    }
    if (parse_body(r, &obj, &err)) {
        bad_body(out, &err);
        return;
    }
    if (check_body(r, k, obj, r->name, out)) {
        cJSON_Delete(obj);
        return;
    }
    ks_status_refresh(k, e);
    finish_update(r, k, key, e, obj, dry, out);
}

static void do_apply(const ks_req *r, const ks_kind *k, const char *key, ks_resp *out)
{
    cJSON *cfg = NULL, *res = NULL, *conflict = NULL;
    ks_entry *e = ks_get(key);
    sl_error err;
    char gv[300], now[40];
    int dry = is_dry_run(r, out), rc;
    ks_manage m;

    sl_error_clear(&err);
    if (dry < 0)
        return;
    if (!r->field_manager || !*r->field_manager) {
        fail(out, 422, "Invalid", NULL, NULL,
             "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is "
             "required for apply patch");
        return;
    }
    if (r->force && strcmp(r->force, "true") && strcmp(r->force, "false")) {
        fail(out, 400, "BadRequest", NULL, NULL, "invalid force value \"%s\"", r->force);
        return;
    }
    if (parse_body(r, &cfg, &err)) {
        bad_body(out, &err);
        return;
    }
    if (check_body(r, k, cfg, r->name, out))
        goto out;
    if (!e && k->namespaced && check_namespace(r->ns, out))
        goto out;
    if (e)
        ks_status_refresh(k, e);
    m = manage_for(r, k, r->field_manager, gv, sizeof(gv), now, sizeof(now));
    rc = ks_apply(e ? e->obj : NULL, cfg, &m, &res, &conflict, &err);
    if (rc == SL_ECONFLICT) {
        out->code = 409;
        out->body = conflict;
        conflict = NULL;
        goto out;
    }
    if (rc) {
        fail(out, 500, "InternalError", NULL, NULL, "%s", err.msg);
        goto out;
    }
    if (!e) {
        if (!valid_name(r->name)) {
            char rn[300];
            fail(out, 422, "Invalid", k, r->name,
                 "%s \"%s\" is invalid: metadata.name: Invalid value: \"%s\": a lowercase RFC "
                 "1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'",
                 resource_name(k, rn, sizeof(rn)), r->name, r->name);
            goto out;
        }
        init_meta(k, res, dry);
        if (k->status_sub)
            cJSON_DeleteItemFromObjectCaseSensitive(res, "status");
        ks_default(k, res);
        commit(r, k, key, NULL, res, dry, 201, out);
        res = NULL;
        goto out;
    }
    ks_default(k, res);
    commit(r, k, key, e->obj, res, dry, 200, out);
    res = NULL;
out:
    cJSON_Delete(cfg);
    cJSON_Delete(res);
    cJSON_Delete(conflict);
}

static int ct_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    return ct && !strncmp(ct, want, n) && (!ct[n] || ct[n] == ';' || ct[n] == ' ');
}

static void do_patch(const ks_req *r, const ks_kind *k, const char *key, ks_resp *out)
{
    const char *ct = r->content_type;
    cJSON *patch = NULL, *doc = NULL;
    ks_entry *e;
    sl_error err;
    int dry, rc = 0;

    sl_error_clear(&err);
    if (ct_is(ct, "application/apply-patch+yaml") || ct_is(ct, "application/apply-patch+json") ||
        ct_is(ct, "application/apply-patch+cbor")) {
        if (r->sub) {
            fail(out, 415, "UnsupportedMediaType", NULL, NULL,
                 "server-side apply of a subresource is not supported by this test server");
            return;
        }
        do_apply(r, k, key, out);
        return;
    }
    if ((dry = is_dry_run(r, out)) < 0)
        return;
    if (!ct_is(ct, "application/merge-patch+json") &&
        !ct_is(ct, "application/strategic-merge-patch+json") &&
        !ct_is(ct, "application/json-patch+json")) {
        fail(out, 415, "UnsupportedMediaType", NULL, NULL,
             "the body of the request was in an unknown format - accepted media types include: "
             "application/json-patch+json, application/merge-patch+json, "
             "application/apply-patch+yaml, application/strategic-merge-patch+json");
        return;
    }
    if (!(e = ks_get(key))) {
        not_found(out, k, r->name);
        return;
    }
    if (parse_body(r, &patch, &err)) {
        bad_body(out, &err);
        return;
    }
    ks_status_refresh(k, e);
    if (!(doc = cJSON_Duplicate(e->obj, 1)))
        goto oom;
    if (ct_is(ct, "application/json-patch+json"))
        rc = ks_json_patch(&doc, patch, &err);
    else if (ct_is(ct, "application/merge-patch+json"))
        rc = ks_merge_patch(&doc, patch);
    else if (k->crd) {
        fail(out, 415, "UnsupportedMediaType", NULL, NULL,
             "strategic merge patch is not supported for custom resources; use a merge patch");
        goto out;
    } else
        rc = ks_strategic_patch(&doc, patch, KS_SCHEMA_BUILTIN);
    if (rc == SL_ENOMEM)
        goto oom;
    if (rc) {
        fail(out, rc == SL_ECONFLICT ? 409 : 422, rc == SL_ECONFLICT ? "Conflict" : "Invalid", NULL,
             NULL, "the server rejected our request due to an error in our request: %s", err.msg);
        goto out;
    }
    if (r->sub) {
        /* the status subresource: only status changes */
        cJSON *nw = cJSON_Duplicate(e->obj, 1);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "status");
        if (!nw)
            goto oom;
        cJSON_DeleteItemFromObjectCaseSensitive(nw, "status");
        if (st)
            cJSON_AddItemToObject(nw, "status", cJSON_Duplicate(st, 1));
        ks_status_cancel(e);
        commit(r, k, key, e->obj, nw, dry, 200, out);
        goto out;
    }
    /* the patch may not rename or move the object */
    {
        const cJSON *om = cJSON_GetObjectItemCaseSensitive(e->obj, "metadata");
        cJSON *nm = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
        if (!cJSON_IsObject(nm) || !ks_json_equal(cJSON_GetObjectItemCaseSensitive(om, "name"),
                                                  cJSON_GetObjectItemCaseSensitive(nm, "name"))) {
            fail(out, 422, "Invalid", k, r->name,
                 "metadata.name: Invalid value: field is immutable");
            goto out;
        }
        set_str(doc, "apiVersion", sl_doc_str(e->obj, "apiVersion"));
        set_str(doc, "kind", sl_doc_str(e->obj, "kind"));
        if (k->status_sub) {
            /* the main resource ignores status: keep it, and a status patch keeps going */
        }
        /* a patch never carries a resourceVersion precondition unless it sets one */
        {
            const char *prv = sl_doc_str(sl_doc_path(patch, "metadata"), "resourceVersion");
            if (!prv || ct_is(ct, "application/json-patch+json"))
                set_str(nm, "resourceVersion", sl_doc_str(om, "resourceVersion"));
        }
    }
    finish_update(r, k, key, e, doc, dry, out);
    doc = NULL;
    goto out;
oom:
    fail(out, 500, "InternalError", NULL, NULL, "out of memory");
out:
    cJSON_Delete(patch);
    cJSON_Delete(doc);
}

static void do_status_replace(const ks_req *r, const ks_kind *k, const char *key, ks_resp *out)
{
    cJSON *obj = NULL, *nw;
    sl_error err;
    ks_entry *e = ks_get(key);
    int dry = is_dry_run(r, out);
    const cJSON *st;

    sl_error_clear(&err);
    if (dry < 0)
        return;
    if (!e) {
        not_found(out, k, r->name);
        return;
    }
    if (parse_body(r, &obj, &err)) {
        bad_body(out, &err);
        return;
    }
    if (!(nw = cJSON_Duplicate(e->obj, 1))) {
        cJSON_Delete(obj);
        fail(out, 500, "InternalError", NULL, NULL, "out of memory");
        return;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(nw, "status");
    if ((st = cJSON_GetObjectItemCaseSensitive(obj, "status")))
        cJSON_AddItemToObject(nw, "status", cJSON_Duplicate(st, 1));
    cJSON_Delete(obj);
    ks_status_cancel(e);
    commit(r, k, key, e->obj, nw, dry, 200, out);
}

typedef struct keys_ctx {
    sl_strv keys;
} keys_ctx;

static void collect_key(ks_entry *e, void *arg)
{
    sl_strv_push(&((keys_ctx *)arg)->keys, e->key);
}

/* Delete what depends on the object at e: a namespace's content, a CRD's
 * custom resources and kinds. */
static void delete_dependents(const ks_kind *k, ks_entry *e)
{
    const char *name = sl_doc_str(cJSON_GetObjectItemCaseSensitive(e->obj, "metadata"), "name");

    if (!k->crd && !strcmp(k->kind, "Namespace")) {
        ks_del_namespace(name);
    } else if (!k->crd && !strcmp(k->kind, "CustomResourceDefinition")) {
        ks_kind tmp;
        keys_ctx c;
        memset(&tmp, 0, sizeof(tmp));
        memset(&c, 0, sizeof(c));
        tmp.group = (char *)sl_doc_str(sl_doc_path(e->obj, "spec"), "group");
        tmp.plural = (char *)sl_doc_str(sl_doc_path(e->obj, "spec.names"), "plural");
        if (tmp.group && tmp.plural) {
            ks_each(&tmp, NULL, collect_key, &c);
            for (size_t i = 0; i < c.keys.n; i++)
                ks_del(c.keys.v[i]);
        }
        sl_strv_free(&c.keys);
        ks_crd_changed(name, NULL);
    }
}

static void do_delete(const ks_req *r, const ks_kind *k, const char *key, ks_resp *out)
{
    ks_entry *e = ks_get(key);
    int dry = is_dry_run(r, out);
    cJSON *st, *d;
    char uid[128];

    if (dry < 0)
        return;
    if (!e) {
        not_found(out, k, r->name);
        return;
    }
    if (r->body && r->body_len) {
        cJSON *opts = cJSON_ParseWithLength(r->body, r->body_len);
        const char *pp = sl_doc_str(opts, "propagationPolicy");
        const char *prv = sl_doc_str(sl_doc_path(opts, "preconditions"), "resourceVersion");
        const char *puid = sl_doc_str(sl_doc_path(opts, "preconditions"), "uid");
        const cJSON *dr = cJSON_GetObjectItemCaseSensitive(opts, "dryRun");
        const cJSON *omd = cJSON_GetObjectItemCaseSensitive(e->obj, "metadata");
        int bad = 0;
        char rn[300];
        if (pp && strcmp(pp, "Orphan") && strcmp(pp, "Background") && strcmp(pp, "Foreground")) {
            fail(out, 422, "Invalid", k, r->name, "propagationPolicy: Unsupported value: \"%s\"",
                 pp);
            bad = 1;
        } else if ((prv && strcmp(prv, sl_doc_str(omd, "resourceVersion"))) ||
                   (puid && strcmp(puid, sl_doc_str(omd, "uid")))) {
            fail(out, 409, "Conflict", k, r->name,
                 "Operation cannot be fulfilled on %s \"%s\": the precondition was not met",
                 resource_name(k, rn, sizeof(rn)), r->name);
            bad = 1;
        }
        if (cJSON_IsArray(dr) && cJSON_GetArraySize(dr) > 0)
            dry = 1;
        cJSON_Delete(opts);
        if (bad)
            return;
    }
    snprintf(uid, sizeof(uid), "%s",
             sl_doc_str(sl_doc_path(e->obj, "metadata"), "uid")
                 ? sl_doc_str(sl_doc_path(e->obj, "metadata"), "uid")
                 : "");
    if (!k->crd && !strcmp(k->kind, "Namespace")) {
        /* a namespace with content terminates (its content goes when it is
         * empty or after a grace period); it answers with itself */
        const char *ns = r->name;
        cJSON *nw;
        if (dry || ks_namespace_empty(ns) || ns_terminating(ns)) {
            out->code = 200;
            out->body = present(k, e->obj);
            if (!dry && !ns_terminating(ns))
                ks_del(key);
            return;
        }
        if (g_term.n >= sizeof(g_term_at) / sizeof(g_term_at[0]) || sl_strv_push(&g_term, ns)) {
            fail(out, 500, "InternalError", NULL, NULL, "too many terminating namespaces");
            return;
        }
        g_term_at[g_term.n - 1] = ks_now() + KS_NS_GRACE;
        if (!(nw = cJSON_Duplicate(e->obj, 1))) {
            fail(out, 500, "InternalError", NULL, NULL, "out of memory");
            return;
        }
        {
            char now[40];
            cJSON *meta = cJSON_GetObjectItemCaseSensitive(nw, "metadata");
            cJSON *stt = cJSON_GetObjectItemCaseSensitive(nw, "status");
            set_str(meta, "deletionTimestamp", ks_time_str(ks_now(), now, sizeof(now)));
            if (stt)
                set_str(stt, "phase", "Terminating");
        }
        commit(r, k, key, e->obj, nw, 0, 200, out);
        return;
    }
    if (!dry) {
        delete_dependents(k, e);
        ks_del(key);
        finalize_namespaces();
    }
    st = ks_status(200, NULL, NULL, k->group, k->plural, r->name);
    d = cJSON_GetObjectItemCaseSensitive(st, "details");
    cJSON_AddStringToObject(d, "uid", uid);
    out->code = 200;
    out->body = st;
}

static void do_delete_collection(const ks_req *r, const ks_kind *k, ks_resp *out)
{
    ks_resp lst = {0, NULL, NULL};
    const cJSON *it;
    int dry = is_dry_run(r, out);

    if (dry < 0)
        return;
    do_list(r, k, &lst);
    if (lst.code != 200) {
        *out = lst;
        return;
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(lst.body, "items"))
    {
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
        char *key = ks_key(k, sl_doc_str(md, "namespace"), sl_doc_str(md, "name"));
        ks_entry *e = key ? ks_get(key) : NULL;
        if (e && !dry) {
            delete_dependents(k, e);
            ks_del(key);
        }
        free(key);
    }
    *out = lst;
}

/* ---- watch -------------------------------------------------------------------- */

struct ks_watch {
    char *group, *plural, *ns, *version;
    int namespaced, crd;
    ks_selector *sel;
    char *fmem;
    list_ctx fields; /* name_eq / name_ne / ns_eq point into fmem */
    unsigned long long since;
    double deadline;
    int started;
    sl_buf *out; /* during a poll */
    int oom;
};

void ks_watch_free(ks_watch *w)
{
    if (!w)
        return;
    free(w->group);
    free(w->plural);
    free(w->ns);
    free(w->version);
    free(w->fmem);
    ks_selector_free(w->sel);
    free(w);
}

/* Does the event's object belong to this watch? */
static int watch_wants(const ks_watch *w, const char *key, const cJSON *obj)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const char *name = sl_doc_str(meta, "name"), *ns = sl_doc_str(meta, "namespace");
    size_t gl = strlen(w->group), pl = strlen(w->plural);

    if (strncmp(key, w->group, gl) || key[gl] != '\x1f' || strncmp(key + gl + 1, w->plural, pl) ||
        key[gl + 1 + pl] != '\x1f')
        return 0;
    if (w->ns && w->namespaced && strcmp(ns ? ns : "", w->ns))
        return 0;
    if (!name || (w->fields.name_eq && strcmp(name, w->fields.name_eq)) ||
        (w->fields.name_ne && !strcmp(name, w->fields.name_ne)) ||
        (w->fields.ns_eq && strcmp(ns ? ns : "", w->fields.ns_eq)))
        return 0;
    return ks_selector_match(w->sel, cJSON_GetObjectItemCaseSensitive(meta, "labels"));
}

static void watch_write(ks_watch *w, const char *type, const cJSON *obj)
{
    cJSON *ev = cJSON_CreateObject(), *copy = cJSON_Duplicate(obj, 1);
    char *text;

    if (!ev || !copy) {
        cJSON_Delete(ev);
        cJSON_Delete(copy);
        w->oom = 1;
        return;
    }
    if (w->crd) {
        char gv[300];
        snprintf(gv, sizeof(gv), "%s/%s", w->group, w->version);
        set_str(copy, "apiVersion", gv);
    }
    cJSON_AddStringToObject(ev, "type", type);
    cJSON_AddItemToObject(ev, "object", copy);
    text = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    if (!text || sl_buf_puts(w->out, text) || sl_buf_putc(w->out, '\n'))
        w->oom = 1;
    free(text);
}

static void watch_event(const ks_event *e, void *arg)
{
    ks_watch *w = arg;

    if (watch_wants(w, e->key, e->obj))
        watch_write(w, e->type, e->obj);
    if (e->rv > w->since)
        w->since = e->rv;
}

static void watch_initial(ks_entry *e, void *arg)
{
    ks_watch *w = arg;

    if (watch_wants(w, e->key, e->obj))
        watch_write(w, "ADDED", e->obj);
}

static void refresh_one(ks_entry *e, void *arg)
{
    ks_status_refresh(arg, e);
}

int ks_watch_poll(ks_watch *w, sl_buf *out)
{
    const ks_kind *k;
    int done = 0;

    ks_lock();
    w->out = out;
    finalize_namespaces();
    k = ks_kind_by_plural(w->group, w->version, w->plural);
    if (k && ks_status_pending())
        ks_each(k, w->ns, refresh_one, (void *)k);
    if (!w->started) {
        w->started = 1;
        if (!w->since && k) {
            ks_each(k, w->ns, watch_initial, w);
            w->since = ks_current_rv();
        }
    }
    if (ks_events_since(w->since, watch_event, w) == SL_ELIMIT) {
        cJSON *st = ks_status(410, "Expired", "too old resource version", NULL, NULL, NULL);
        watch_write(w, "ERROR", st);
        cJSON_Delete(st);
        done = 1;
    }
    if (!k && !done) {
        /* the kind went away (its CRD was deleted) */
        done = 1;
    }
    w->out = NULL;
    ks_unlock();
    if (w->oom || ks_now() >= w->deadline)
        done = 1;
    return done;
}

static void start_watch(const ks_req *r, const ks_kind *k, ks_resp *out)
{
    ks_watch *w = calloc(1, sizeof(*w));
    sl_error err;
    double timeout = r->timeout_seconds ? atof(r->timeout_seconds) : 300;

    sl_error_clear(&err);
    if (!w || !(w->group = strdup(k->group)) || !(w->plural = strdup(k->plural)) ||
        !(w->version = strdup(k->version)) || (r->ns && !(w->ns = strdup(r->ns)))) {
        ks_watch_free(w);
        fail(out, 500, "InternalError", NULL, NULL, "out of memory");
        return;
    }
    w->namespaced = k->namespaced;
    w->crd = k->crd != NULL;
    if (r->label_selector && *r->label_selector &&
        ks_selector_parse(r->label_selector, &w->sel, &err)) {
        ks_watch_free(w);
        fail(out, 400, "BadRequest", NULL, NULL, "%s", err.msg);
        return;
    }
    if (r->field_selector && *r->field_selector &&
        parse_fields(r->field_selector, &w->fields, &w->fmem, out)) {
        ks_watch_free(w);
        return;
    }
    w->since = r->resource_version ? strtoull(r->resource_version, NULL, 10) : 0;
    if (timeout <= 0 || timeout > 1800)
        timeout = 1800;
    w->deadline = ks_now() + timeout;
    out->code = 200;
    out->watch = w;
}

void ks_api_handle(const ks_req *req, ks_resp *out)
{
    const ks_kind *k;
    char *key = NULL;
    const char *m = req->method;
    struct ks_body pre;
    ks_req rq = *req;
    const ks_req *r = &rq;

    out->code = 0;
    out->body = NULL;
    out->watch = NULL;
    memset(&pre, 0, sizeof(pre));
    sl_error_clear(&pre.err);
    if (r->content_type && !strncmp(r->content_type, "application/vnd.kubernetes.protobuf", 35)) {
        /* kubectl's typed commands (create namespace/configmap/secret/...) */
        pre.rc = ks_proto_decode(req->body ? req->body : "", req->body_len, &pre.doc, &pre.err);
        if (pre.rc) {
            fail(out, 415, "UnsupportedMediaType", NULL, NULL,
                 "the body of the request was in an unknown format - accepted media types "
                 "include: application/json, application/yaml (%s)",
                 pre.err.msg);
            return;
        }
        pre.done = 1;
        rq.pre_ = &pre;
    } else if (req->body && req->body_len && strcmp(m, "DELETE")) {
        pre.rc = parse_body_now(req, &pre.doc, &pre.err);
        pre.done = 1;
        rq.pre_ = &pre;
    }

    ks_lock();
    finalize_namespaces();
    k = ks_kind_by_plural(r->group, r->version, r->plural);
    if (!k || (r->ns && !k->namespaced) || (!r->ns && k->namespaced && r->name) ||
        (r->sub && (strcmp(r->sub, "status") || !k->status_sub || !r->name))) {
        fail(out, 404, "NotFound", NULL, NULL, "the server could not find the requested resource");
        goto out;
    }
    if (r->name && !(key = ks_key(k, r->ns, r->name))) {
        fail(out, 500, "InternalError", NULL, NULL, "out of memory");
        goto out;
    }
    if (!r->name) {
        if (!strcmp(m, "GET")) {
            if (r->watch && (!strcmp(r->watch, "true") || !strcmp(r->watch, "1")))
                start_watch(r, k, out);
            else
                do_list(r, k, out);
        } else if (!strcmp(m, "POST")) {
            if (!r->ns && k->namespaced)
                fail(out, 405, "MethodNotAllowed", NULL, NULL,
                     "create needs a namespace in the URL");
            else
                do_create(r, k, out);
        } else if (!strcmp(m, "DELETE")) {
            do_delete_collection(r, k, out);
        } else {
            fail(out, 405, "MethodNotAllowed", NULL, NULL,
                 "the server does not allow this method "
                 "on the requested resource");
        }
        goto out;
    }
    if (!strcmp(m, "GET"))
        do_get(r, k, key, out);
    else if (!strcmp(m, "PUT"))
        r->sub ? do_status_replace(r, k, key, out) : do_replace(r, k, key, out);
    else if (!strcmp(m, "PATCH"))
        do_patch(r, k, key, out);
    else if (!strcmp(m, "DELETE") && !r->sub)
        do_delete(r, k, key, out);
    else
        fail(out, 405, "MethodNotAllowed", NULL, NULL,
             "the server does not allow this method on the requested resource");
out:
    ks_unlock();
    free(key);
    cJSON_Delete(pre.doc);
    if (!out->body && !out->watch)
        fail(out, 500, "InternalError", NULL, NULL, "out of memory");
}
