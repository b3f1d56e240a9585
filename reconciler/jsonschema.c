/* jsonschema.c: a JSON Schema (2020-12 subset) validator over cJSON trees.
 *
 * The schema is copied and walked once at compile time: every "pattern" and
 * every patternProperties key is compiled with PCRE2 and every $ref is
 * resolved, so validation never fails for reasons of the schema. Validation
 * walks schema and instance together; applicators that only need a yes/no
 * (anyOf, oneOf, not, if, contains) run the same walk with reporting off. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_buf.h"
#include "sl_jsonschema.h"

#define SL_JS_MAX_DEPTH 128 /* $ref chains and nesting */

typedef struct js_regex {
    const cJSON *node; /* the schema node whose pattern this is */
    pcre2_code *code;
} js_regex;

typedef struct js_ref {
    const cJSON *node;   /* the "$ref" string node */
    const cJSON *target; /* the schema it points at */
    char *target_path;   /* JSON pointer of the target, for messages */
} js_ref;

struct sl_jsonschema {
    cJSON *root;
    char *file;
    js_regex *re;
    size_t nre, capre;
    js_ref *refs;
    size_t nrefs, caprefs;
};

/* One validation run. */
typedef struct js_run {
    const sl_jsonschema *s;
    const sl_posmap *pm;
    const char *file;
    sl_diags *d;
    int depth;
    int oom;
} js_run;

/* The path of a node, as a small stack of segments. */
typedef struct js_path {
    const struct js_path *up;
    const char *key; /* member name, or NULL for an index */
    int index;
    const cJSON *node; /* the instance node at this level (for positions) */
} js_path;

/* ---- compile --------------------------------------------------------- */

static int add_regex(sl_jsonschema *s, const cJSON *node, const char *pat, const char *spath,
                     sl_error *err)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code;

    code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                         PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_MATCH_UNSET_BACKREF, &ec, &eo, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        return sl_error_set(err, SL_EINVAL, "%s: %s: bad pattern \"%s\" at offset %zu: %s",
                            s->file, spath, pat, (size_t)eo, (const char *)msg);
    }
    if (s->nre == s->capre) {
        size_t nc = s->capre ? s->capre * 2 : 16;
        js_regex *nv = realloc(s->re, nc * sizeof(*nv));
        if (!nv) {
            pcre2_code_free(code);
            return sl_error_set(err, SL_ENOMEM, "out of memory");
        }
        s->re = nv;
        s->capre = nc;
    }
    s->re[s->nre].node = node;
    s->re[s->nre].code = code;
    s->nre++;
    return 0;
}

static const pcre2_code *find_regex(const sl_jsonschema *s, const cJSON *node)
{
    for (size_t i = 0; i < s->nre; i++)
        if (s->re[i].node == node)
            return s->re[i].code;
    return NULL;
}

/* Resolve a local JSON pointer ("#", "#/a/b~1c") against the root. */
static const cJSON *resolve_pointer(const cJSON *root, const char *ref)
{
    const cJSON *cur = root;
    const char *p;
    char seg[256];

    if (ref[0] != '#')
        return NULL;
    p = ref + 1;
    while (*p) {
        size_t n = 0;
        if (*p != '/')
            return NULL;
        p++;
        while (*p && *p != '/') {
            char c = *p++;
            if (c == '~' && *p == '0') {
                c = '~';
                p++;
            } else if (c == '~' && *p == '1') {
                c = '/';
                p++;
            }
            if (n + 1 >= sizeof(seg))
                return NULL;
            seg[n++] = c;
        }
        seg[n] = 0;
        if (cJSON_IsArray(cur)) {
            char *end;
            long i = strtol(seg, &end, 10);
            if (*end || end == seg)
                return NULL;
            cur = cJSON_GetArrayItem(cur, (int)i);
        } else if (cJSON_IsObject(cur)) {
            cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
        } else {
            return NULL;
        }
        if (!cur)
            return NULL;
    }
    return cur;
}

static int compile_walk(sl_jsonschema *s, const cJSON *n, sl_buf *spath, sl_error *err, int depth)
{
    size_t mark = spath->len;
    const cJSON *c;
    int rc = 0;

    if (depth > SL_JS_MAX_DEPTH)
        return sl_error_set(err, SL_ELIMIT, "%s: schema nested too deeply", s->file);
    if (cJSON_IsArray(n)) {
        int i = 0;
        cJSON_ArrayForEach(c, n)
        {
            spath->len = mark;
            if ((rc = sl_buf_printf(spath, "/%d", i++)) < 0 ||
                (rc = compile_walk(s, c, spath, err, depth + 1)) < 0)
                goto out;
        }
        goto out;
    }
    if (!cJSON_IsObject(n))
        goto out;
    cJSON_ArrayForEach(c, n)
    {
        spath->len = mark;
        if ((rc = sl_buf_printf(spath, "/%s", c->string)) < 0)
            goto out;
        if (!strcmp(c->string, "pattern") && cJSON_IsString(c)) {
            if ((rc = add_regex(s, c, c->valuestring, spath->ptr, err)) < 0)
                goto out;
        } else if (!strcmp(c->string, "$ref") && cJSON_IsString(c)) {
            const cJSON *t = resolve_pointer(s->root, c->valuestring);
            if (!t) {
                rc = sl_error_set(err, SL_EINVAL, "%s: %s: cannot resolve $ref \"%s\"", s->file,
                                  spath->ptr, c->valuestring);
                goto out;
            }
            if (s->nrefs == s->caprefs) {
                size_t nc = s->caprefs ? s->caprefs * 2 : 16;
                js_ref *nv = realloc(s->refs, nc * sizeof(*nv));
                if (!nv) {
                    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                    goto out;
                }
                s->refs = nv;
                s->caprefs = nc;
            }
            s->refs[s->nrefs].node = c;
            s->refs[s->nrefs].target = t;
            s->refs[s->nrefs].target_path = strdup(c->valuestring);
            if (!s->refs[s->nrefs].target_path) {
                rc = sl_error_set(err, SL_ENOMEM, "out of memory");
                goto out;
            }
            s->nrefs++;
        } else if (!strcmp(c->string, "patternProperties") && cJSON_IsObject(c)) {
            const cJSON *pp;
            cJSON_ArrayForEach(pp, c)
            {
                if ((rc = add_regex(s, pp, pp->string, spath->ptr, err)) < 0)
                    goto out;
            }
            if ((rc = compile_walk(s, c, spath, err, depth + 1)) < 0)
                goto out;
        } else if (!strcmp(c->string, "enum") || !strcmp(c->string, "const") ||
                   !strcmp(c->string, "default") || !strcmp(c->string, "examples")) {
            /* values, not schemas */
        } else if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
            if ((rc = compile_walk(s, c, spath, err, depth + 1)) < 0)
                goto out;
        }
    }
out:
    spath->len = mark;
    if (spath->ptr)
        spath->ptr[mark] = 0;
    return rc;
}

int sl_jsonschema_compile(const cJSON *schema, const char *file, sl_jsonschema **out,
                          sl_error *err)
{
    sl_jsonschema *s = NULL;
    sl_buf spath = SL_BUF_INIT;
    int rc = 0;

    *out = NULL;
    if (!cJSON_IsObject(schema) && !cJSON_IsBool(schema))
        return sl_error_set(err, SL_EINVAL, "%s: a schema must be an object or a boolean",
                            file ? file : "schema");
    s = calloc(1, sizeof(*s));
    if (!s || !(s->root = cJSON_Duplicate(schema, 1)) ||
        !(s->file = strdup(file ? file : "schema"))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = sl_buf_puts(&spath, "#")) < 0 || (rc = compile_walk(s, s->root, &spath, err, 0)) < 0)
        goto out;
    *out = s;
    s = NULL;
out:
    sl_buf_free(&spath);
    sl_jsonschema_free(s);
    return rc;
}

void sl_jsonschema_free(sl_jsonschema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nre; i++)
        pcre2_code_free(s->re[i].code);
    for (size_t i = 0; i < s->nrefs; i++)
        free(s->refs[i].target_path);
    free(s->re);
    free(s->refs);
    cJSON_Delete(s->root);
    free(s->file);
    free(s);
}

/* ---- validate -------------------------------------------------------- */

static void path_render(const js_path *p, sl_buf *b)
{
    const js_path *stack[SL_JS_MAX_DEPTH * 2];
    int n = 0;

    for (; p && n < (int)(sizeof(stack) / sizeof(stack[0])); p = p->up)
        stack[n++] = p;
    if (n <= 1) {
        sl_buf_puts(b, ".");
        return;
    }
    for (int i = n - 2; i >= 0; i--) {
        if (stack[i]->key)
            sl_buf_printf(b, ".%s", stack[i]->key);
        else
            sl_buf_printf(b, "[%d]", stack[i]->index);
    }
}

static void report(js_run *r, const js_path *p, const char *kw, const char *spath, const char *fmt,
                   ...) SL_PRINTF(5, 6);

static void report(js_run *r, const js_path *p, const char *kw, const char *spath, const char *fmt,
                   ...)
{
    sl_buf msg = SL_BUF_INIT;
    char what[512];
    sl_pos pos = {"", 0, 0};
    const js_path *q;
    va_list ap;

    if (!r->d)
        return;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    for (q = p; q; q = q->up)
        if (r->pm && sl_posmap_get(r->pm, q->node, &pos) == 0 && pos.line > 0)
            break;
    if (!q || pos.line <= 0) {
        pos.file = r->file;
        pos.line = 1;
        pos.col = 1;
    }
    path_render(p, &msg);
    sl_buf_printf(&msg, ": %s (schema: %s at %s)", what, kw, spath);
    if (!msg.ptr || sl_diags_addpos(r->d, SL_EINVAL, pos.file && *pos.file ? pos.file : r->file,
                                    pos.line, pos.col, "%s", msg.ptr) < 0)
        r->oom = 1;
    sl_buf_free(&msg);
}

static int validate(js_run *r, const cJSON *sch, const char *spath, const cJSON *inst,
                    const js_path *p);

/* Validate quietly: the number of violations, reporting none. */
static int quiet(js_run *r, const cJSON *sch, const char *spath, const cJSON *inst,
                 const js_path *p)
{
    js_run q = *r;
    int n;

    q.d = NULL;
    n = validate(&q, sch, spath, inst, p);
    r->oom |= q.oom;
    return n;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "boolean";
    if (cJSON_IsNumber(v))
        return v->valuedouble == floor(v->valuedouble) && isfinite(v->valuedouble) ? "integer"
                                                                                   : "number";
    if (cJSON_IsString(v))
        return "string";
    if (cJSON_IsArray(v))
        return "array";
    return "object";
}

static int type_matches(const cJSON *v, const char *t)
{
    const char *have = type_name(v);

    if (!strcmp(t, have))
        return 1;
    return !strcmp(t, "number") && !strcmp(have, "integer");
}

static int json_equal(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
        return a->valuedouble == b->valuedouble;
    return cJSON_Compare(a, b, 1);
}

/* Length in Unicode code points (JSON Schema counts characters). */
static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static int re_search(const pcre2_code *code, const char *subject)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    int rc;

    if (!md)
        return -1;
    rc = pcre2_match(code, (PCRE2_SPTR)subject, strlen(subject), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

static void short_json(const cJSON *v, char *buf, size_t n)
{
    char *s = cJSON_PrintUnformatted(v);
    if (!s) {
        snprintf(buf, n, "?");
        return;
    }
    if (strlen(s) >= n && n > 4)
        snprintf(buf, n, "%.*s...", (int)(n - 4), s);
    else
        snprintf(buf, n, "%s", s);
    free(s);
}

/* Child schema path: spath + "/" + seg. */
#define SUBPATH(buf, spath, ...)                                                                   \
    do {                                                                                           \
        int l_ = snprintf(buf, sizeof(buf), "%s/", spath);                                         \
        if (l_ > 0 && (size_t)l_ < sizeof(buf))                                                    \
            snprintf(buf + l_, sizeof(buf) - (size_t)l_, __VA_ARGS__);                             \
    } while (0)

static int validate_object(js_run *r, const cJSON *sch, const char *spath, const cJSON *inst,
                           const js_path *p)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(sch, "properties");
    const cJSON *pprops = cJSON_GetObjectItemCaseSensitive(sch, "patternProperties");
    const cJSON *addl = cJSON_GetObjectItemCaseSensitive(sch, "additionalProperties");
    const cJSON *pnames = cJSON_GetObjectItemCaseSensitive(sch, "propertyNames");
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(sch, "required");
    const cJSON *kw, *m;
    char sub[1024];
    int errs = 0, count = 0;

    cJSON_ArrayForEach(m, inst) count++;
    if (cJSON_IsArray(req)) {
        const cJSON *k;
        cJSON_ArrayForEach(k, req)
        {
            if (cJSON_IsString(k) && !cJSON_GetObjectItemCaseSensitive(inst, k->valuestring)) {
                report(r, p, "required", spath, "missing required property \"%s\"",
                       k->valuestring);
                errs++;
            }
        }
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "minProperties")) && cJSON_IsNumber(kw) &&
        count < kw->valuedouble) {
        report(r, p, "minProperties", spath, "has %d properties, at least %g required", count,
               kw->valuedouble);
        errs++;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "maxProperties")) && cJSON_IsNumber(kw) &&
        count > kw->valuedouble) {
        report(r, p, "maxProperties", spath, "has %d properties, at most %g allowed", count,
               kw->valuedouble);
        errs++;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "dependentRequired")) && cJSON_IsObject(kw)) {
        const cJSON *dep;
        cJSON_ArrayForEach(dep, kw)
        {
            const cJSON *k;
            if (!cJSON_GetObjectItemCaseSensitive(inst, dep->string))
                continue;
            cJSON_ArrayForEach(k, dep)
            {
                if (cJSON_IsString(k) && !cJSON_GetObjectItemCaseSensitive(inst, k->valuestring)) {
                    report(r, p, "dependentRequired", spath,
                           "property \"%s\" requires property \"%s\"", dep->string,
                           k->valuestring);
                    errs++;
                }
            }
        }
    }
    cJSON_ArrayForEach(m, inst)
    {
        js_path cp = {p, m->string, 0, m};
        const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
        int matched = ps != NULL;

        if (ps) {
            SUBPATH(sub, spath, "properties/%s", m->string);
            errs += validate(r, ps, sub, m, &cp);
        }
        if (cJSON_IsObject(pprops)) {
            const cJSON *pp;
            cJSON_ArrayForEach(pp, pprops)
            {
                const pcre2_code *code = find_regex(r->s, pp);
                if (code && re_search(code, m->string) == 1) {
                    matched = 1;
                    SUBPATH(sub, spath, "patternProperties/%s", pp->string);
                    errs += validate(r, pp, sub, m, &cp);
                }
            }
        }
        if (!matched && addl) {
            if (cJSON_IsFalse(addl)) {
                report(r, &cp, "additionalProperties", spath, "property \"%s\" is not allowed",
                       m->string);
                errs++;
            } else if (cJSON_IsObject(addl)) {
                SUBPATH(sub, spath, "additionalProperties");
                errs += validate(r, addl, sub, m, &cp);
            }
        }
        if (pnames) {
            cJSON *name = cJSON_CreateString(m->string);
            if (!name) {
                r->oom = 1;
                continue;
            }
            SUBPATH(sub, spath, "propertyNames");
            if (quiet(r, pnames, sub, name, &cp)) {
                report(r, &cp, "propertyNames", sub, "property name \"%s\" is not allowed",
                       m->string);
                errs++;
            }
            cJSON_Delete(name);
        }
    }
    return errs;
}

static int validate_array(js_run *r, const cJSON *sch, const char *spath, const cJSON *inst,
                          const js_path *p)
{
    const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(sch, "prefixItems");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(sch, "items");
    const cJSON *kw, *e;
    int n = cJSON_GetArraySize(inst), np = cJSON_IsArray(prefix) ? cJSON_GetArraySize(prefix) : 0;
    int errs = 0, i = 0;
    char sub[1024];

    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "minItems")) && cJSON_IsNumber(kw) &&
        n < kw->valuedouble) {
        report(r, p, "minItems", spath, "has %d items, at least %g required", n, kw->valuedouble);
        errs++;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "maxItems")) && cJSON_IsNumber(kw) &&
        n > kw->valuedouble) {
        report(r, p, "maxItems", spath, "has %d items, at most %g allowed", n, kw->valuedouble);
        errs++;
    }
    cJSON_ArrayForEach(e, inst)
    {
        js_path cp = {p, NULL, i, e};
        if (i < np) {
            SUBPATH(sub, spath, "prefixItems/%d", i);
            errs += validate(r, cJSON_GetArrayItem(prefix, i), sub, e, &cp);
        } else if (items && !cJSON_IsArray(items)) {
            if (cJSON_IsFalse(items)) {
                report(r, &cp, "items", spath, "no items allowed beyond the first %d", np);
                errs++;
            } else {
                SUBPATH(sub, spath, "items");
                errs += validate(r, items, sub, e, &cp);
            }
        }
        i++;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "uniqueItems")) && cJSON_IsTrue(kw)) {
        const cJSON *a, *b;
        int ia = 0;
        for (a = inst->child; a; a = a->next, ia++) {
            for (b = a->next; b; b = b->next) {
                if (json_equal(a, b)) {
                    js_path cp = {p, NULL, ia, a};
                    report(r, &cp, "uniqueItems", spath, "duplicate item");
                    errs++;
                    break;
                }
            }
        }
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "contains"))) {
        int found = 0;
        SUBPATH(sub, spath, "contains");
        i = 0;
        cJSON_ArrayForEach(e, inst)
        {
            js_path cp = {p, NULL, i++, e};
            if (!quiet(r, kw, sub, e, &cp))
                found++;
        }
        if (!found) {
            report(r, p, "contains", spath, "no item matches the \"contains\" schema");
            errs++;
        }
    }
    return errs;
}

static int validate_string(js_run *r, const cJSON *sch, const char *spath, const cJSON *inst,
                           const js_path *p)
{
    const cJSON *kw;
    size_t len = utf8_len(inst->valuestring);
    int errs = 0;

    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "minLength")) && cJSON_IsNumber(kw) &&
        (double)len < kw->valuedouble) {
        report(r, p, "minLength", spath, "is %zu characters long, at least %g required", len,
               kw->valuedouble);
        errs++;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "maxLength")) && cJSON_IsNumber(kw) &&
        (double)len > kw->valuedouble) {
        report(r, p, "maxLength", spath, "is %zu characters long, at most %g allowed", len,
               kw->valuedouble);
        errs++;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "pattern")) && cJSON_IsString(kw)) {
        const pcre2_code *code = find_regex(r->s, kw);
        int m = code ? re_search(code, inst->valuestring) : 1;
        if (m < 0)
            r->oom = 1;
        else if (!m) {
            report(r, p, "pattern", spath, "\"%s\" does not match pattern %s", inst->valuestring,
                   kw->valuestring);
            errs++;
        }
    }
    return errs;
}

static int validate_number(js_run *r, const cJSON *sch, const char *spath, const cJSON *inst,
                           const js_path *p)
{
    const cJSON *kw;
    double v = inst->valuedouble;
    int errs = 0;

    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "minimum")) && cJSON_IsNumber(kw) &&
        v < kw->valuedouble) {
        report(r, p, "minimum", spath, "%g is less than the minimum %g", v, kw->valuedouble);
        errs++;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "maximum")) && cJSON_IsNumber(kw) &&
        v > kw->valuedouble) {
        report(r, p, "maximum", spath, "%g is greater than the maximum %g", v, kw->valuedouble);
        errs++;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "exclusiveMinimum")) && cJSON_IsNumber(kw) &&
        v <= kw->valuedouble) {
        report(r, p, "exclusiveMinimum", spath, "%g is not greater than %g", v, kw->valuedouble);
        errs++;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "exclusiveMaximum")) && cJSON_IsNumber(kw) &&
        v >= kw->valuedouble) {
        report(r, p, "exclusiveMaximum", spath, "%g is not less than %g", v, kw->valuedouble);
        errs++;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "multipleOf")) && cJSON_IsNumber(kw) &&
        kw->valuedouble > 0) {
        double q = v / kw->valuedouble;
        if (fabs(q - round(q)) > 1e-9) {
            report(r, p, "multipleOf", spath, "%g is not a multiple of %g", v, kw->valuedouble);
            errs++;
        }
    }
    return errs;
}

static const js_ref *find_ref(const sl_jsonschema *s, const cJSON *node)
{
    for (size_t i = 0; i < s->nrefs; i++)
        if (s->refs[i].node == node)
            return &s->refs[i];
    return NULL;
}

/* The core walk: the number of violations of inst against sch (reported
 * through r unless r->d is NULL). */
static int validate(js_run *r, const cJSON *sch, const char *spath, const cJSON *inst,
                    const js_path *p)
{
    const cJSON *kw;
    char sub[1024];
    int errs = 0;

    if (cJSON_IsTrue(sch) || !sch)
        return 0;
    if (cJSON_IsFalse(sch)) {
        report(r, p, "false", spath, "no value is allowed here");
        return 1;
    }
    if (!cJSON_IsObject(sch))
        return 0;
    if (r->depth > SL_JS_MAX_DEPTH) {
        report(r, p, "$ref", spath, "schema recursion too deep");
        return 1;
    }
    r->depth++;

    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "$ref")) && cJSON_IsString(kw)) {
        const js_ref *ref = find_ref(r->s, kw);
        if (ref)
            errs += validate(r, ref->target, ref->target_path, inst, p);
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "type"))) {
        int ok = 0;
        char want[256] = "";
        if (cJSON_IsString(kw)) {
            ok = type_matches(inst, kw->valuestring);
            snprintf(want, sizeof(want), "%s", kw->valuestring);
        } else if (cJSON_IsArray(kw)) {
            const cJSON *t;
            size_t wl = 0;
            cJSON_ArrayForEach(t, kw)
            {
                if (!cJSON_IsString(t))
                    continue;
                ok |= type_matches(inst, t->valuestring);
                wl += (size_t)snprintf(want + wl, wl < sizeof(want) ? sizeof(want) - wl : 0,
                                       "%s%s", wl ? " or " : "", t->valuestring);
                if (wl >= sizeof(want))
                    wl = sizeof(want) - 1;
            }
        } else {
            ok = 1;
        }
        if (!ok) {
            const char *have = type_name(inst);
            report(r, p, "type", spath, "expected %s, got %s", want,
                   !strcmp(have, "integer") ? "number" : have);
            r->depth--;
            return errs + 1; /* the other keywords would only repeat it */
        }
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "enum")) && cJSON_IsArray(kw)) {
        const cJSON *e;
        int found = 0;
        cJSON_ArrayForEach(e, kw) found |= json_equal(e, inst);
        if (!found) {
            char have[128], allowed[256];
            short_json(inst, have, sizeof(have));
            short_json(kw, allowed, sizeof(allowed));
            report(r, p, "enum", spath, "%s is not one of %s", have, allowed);
            errs++;
        }
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "const")) && !json_equal(kw, inst)) {
        char want[128];
        short_json(kw, want, sizeof(want));
        report(r, p, "const", spath, "must be %s", want);
        errs++;
    }
    if (cJSON_IsObject(inst))
        errs += validate_object(r, sch, spath, inst, p);
    else if (cJSON_IsArray(inst))
        errs += validate_array(r, sch, spath, inst, p);
    else if (cJSON_IsString(inst))
        errs += validate_string(r, sch, spath, inst, p);
    else if (cJSON_IsNumber(inst))
        errs += validate_number(r, sch, spath, inst, p);

    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "allOf")) && cJSON_IsArray(kw)) {
        const cJSON *e;
        int i = 0;
        cJSON_ArrayForEach(e, kw)
        {
            SUBPATH(sub, spath, "allOf/%d", i++);
            errs += validate(r, e, sub, inst, p);
        }
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "anyOf")) && cJSON_IsArray(kw)) {
        const cJSON *e;
        int i = 0, ok = 0;
        cJSON_ArrayForEach(e, kw)
        {
            SUBPATH(sub, spath, "anyOf/%d", i++);
            if (!quiet(r, e, sub, inst, p)) {
                ok = 1;
                break;
            }
        }
        if (!ok) {
            report(r, p, "anyOf", spath, "matches none of the %d allowed forms", i);
            errs++;
        }
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "oneOf")) && cJSON_IsArray(kw)) {
        const cJSON *e;
        int i = 0, ok = 0, last = -1, nalt = cJSON_GetArraySize(kw);
        cJSON_ArrayForEach(e, kw)
        {
            SUBPATH(sub, spath, "oneOf/%d", i);
            if (!quiet(r, e, sub, inst, p)) {
                ok++;
                last = i;
            }
            i++;
        }
        if (ok == 0) {
            report(r, p, "oneOf", spath, "matches none of the %d allowed forms", nalt);
            errs++;
        } else if (ok > 1) {
            report(r, p, "oneOf", spath, "matches %d of the allowed forms, exactly one required",
                   ok);
            errs++;
        }
        (void)last;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "not"))) {
        SUBPATH(sub, spath, "not");
        if (!quiet(r, kw, sub, inst, p)) {
            report(r, p, "not", spath, "matches a schema it must not match");
            errs++;
        }
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "if"))) {
        const cJSON *branch;
        const char *name;
        SUBPATH(sub, spath, "if");
        if (!quiet(r, kw, sub, inst, p)) {
            branch = cJSON_GetObjectItemCaseSensitive(sch, "then");
            name = "then";
        } else {
            branch = cJSON_GetObjectItemCaseSensitive(sch, "else");
            name = "else";
        }
        if (branch) {
            SUBPATH(sub, spath, "%s", name);
            errs += validate(r, branch, sub, inst, p);
        }
    }
    r->depth--;
    return errs;
}

int sl_jsonschema_validate(const sl_jsonschema *s, const cJSON *inst, const sl_posmap *pm,
                           const char *file, sl_diags *d)
{
    js_run r = {s, pm, file ? file : "", d, 0, 0};
    js_path root = {NULL, NULL, 0, inst};
    int n = validate(&r, s->root, "#", inst, &root);

    if (r.oom)
        return SL_ENOMEM;
    return n ? SL_EINVAL : 0;
}

/* ---- defaults -------------------------------------------------------- */

static int defaults(const sl_jsonschema *s, const cJSON *sch, cJSON *inst, int depth)
{
    const cJSON *kw, *ps;

    if (!cJSON_IsObject(sch) || !cJSON_IsObject(inst) || depth > SL_JS_MAX_DEPTH)
        return 0;
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "$ref")) && cJSON_IsString(kw)) {
        const js_ref *ref = find_ref(s, kw);
        if (ref && defaults(s, ref->target, inst, depth + 1) < 0)
            return SL_ENOMEM;
    }
    if ((kw = cJSON_GetObjectItemCaseSensitive(sch, "allOf")) && cJSON_IsArray(kw)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, kw)
        {
            if (defaults(s, e, inst, depth + 1) < 0)
                return SL_ENOMEM;
        }
    }
    kw = cJSON_GetObjectItemCaseSensitive(sch, "properties");
    if (!cJSON_IsObject(kw))
        return 0;
    cJSON_ArrayForEach(ps, kw)
    {
        cJSON *have = cJSON_GetObjectItemCaseSensitive(inst, ps->string);
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(ps, "default");
        if (!have && def) {
            cJSON *copy = cJSON_Duplicate(def, 1);
            if (!copy || !cJSON_AddItemToObject(inst, ps->string, copy)) {
                cJSON_Delete(copy);
                return SL_ENOMEM;
            }
            have = copy;
        }
        if (have && defaults(s, ps, have, depth + 1) < 0)
            return SL_ENOMEM;
    }
    return 0;
}

int sl_jsonschema_apply_defaults(const sl_jsonschema *s, cJSON *inst)
{
    return defaults(s, s->root, inst, 0);
}
