/* tf_eval.c: evaluating a loaded module with input values: variables
 * (conversion as Terraform converts, nullable, defaults, sensitive,
 * validation), locals, module calls and kubernetes_manifest resources with
 * count/for_each, outputs; nodes run in the dependency order computed at
 * load time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf.h"

/* One module instance being evaluated. */
typedef struct tf_inst {
    tf_env *env;
    const tf_module *m;
    const sl_hcl_value **vals; /* per node */
    const sl_hcl_value *path;  /* path.module / path.root / path.cwd */
    const char *addr;          /* "" or "module.x[\"k\"]." */
    sl_hcl_range call_range;   /* where this instance was called from */
    tf_result *res;
} tf_inst;

void tf_result_fini(tf_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nmanifests; i++)
        cJSON_Delete(r->manifests[i].json);
    free(r->manifests);
    memset(r, 0, sizeof(*r));
}

static int tf_oom(tf_env *env)
{
    sl_hcl_diag_error(env->diags, NULL, "Out of memory", "evaluating a module");
    return SL_ENOMEM;
}

/* 1 if v or anything in it is marked sensitive. */
static int tf_has_sensitive(const sl_hcl_value *v)
{
    if (!v)
        return 0;
    if (v->flags & SL_HCL_SENSITIVE)
        return 1;
    if (v->is_null)
        return 0;
    switch (v->kind) {
    case SL_HCL_LIST:
    case SL_HCL_SET:
    case SL_HCL_TUPLE:
    case SL_HCL_MAP:
    case SL_HCL_OBJECT:
        for (size_t i = 0; i < v->u.c.n; i++)
            if (tf_has_sensitive(v->u.c.v[i]))
                return 1;
        return 0;
    default:
        return 0;
    }
}

/* An object value from parallel arrays (copied into the arena). */
static const sl_hcl_value *tf_object(sl_hcl_arena *a, size_t n, const char *const *keys,
                                     const sl_hcl_value *const *vals)
{
    const char **k = sl_hcl_alloc(a, (n + 1) * sizeof(*k));
    const sl_hcl_value **v = sl_hcl_alloc(a, (n + 1) * sizeof(*v));

    if (!k || !v)
        return NULL;
    if (n) {
        memcpy(k, keys, n * sizeof(*k));
        memcpy(v, vals, n * sizeof(*v));
    }
    return sl_hcl_object(a, n, k, v);
}

/* The root variables an expression of node i may see: var/local/module/
 * kubernetes_manifest objects holding just the node's dependencies (and
 * the variable itself for a validation), path and terraform; plus `extra`
 * (each or count) when not NULL. */
static const sl_hcl_value *tf_scope(tf_inst *in, size_t i, const char *extra_name,
                                    const sl_hcl_value *extra)
{
    static const char *const roots[] = {"var", "local", "module", "kubernetes_manifest"};
    const tf_node *n = &in->m->nodes[i];
    sl_hcl_arena *a = in->env->arena;
    const char *keys[8];
    const sl_hcl_value *vals[8];
    size_t nk = 0;
    const char **mk = sl_hcl_alloc(a, (n->ndeps + 2) * sizeof(*mk));
    const sl_hcl_value **mv = sl_hcl_alloc(a, (n->ndeps + 2) * sizeof(*mv));

    if (!mk || !mv)
        return NULL;
    for (int kind = TF_VAR; kind <= TF_RESOURCE; kind++) {
        size_t cnt = 0;
        for (size_t d = 0; d < n->ndeps; d++) {
            const tf_node *dn = &in->m->nodes[n->deps[d]];
            if ((int)dn->kind == kind) {
                mk[cnt] = dn->name;
                mv[cnt++] = in->vals[n->deps[d]];
            }
        }
        if (kind == TF_VAR && n->kind == TF_VAR) {
            mk[cnt] = n->name;
            mv[cnt++] = in->vals[i];
        }
        if (!cnt)
            continue;
        keys[nk] = roots[kind];
        if (!(vals[nk++] = tf_object(a, cnt, mk, mv)))
            return NULL;
    }
    keys[nk] = "path";
    vals[nk++] = in->path;
    {
        const char *tk[] = {"workspace"};
        const sl_hcl_value *tv[] = {sl_hcl_string_cstr(a, "default")};
        keys[nk] = "terraform";
        if (!tv[0] || !(vals[nk++] = tf_object(a, 1, tk, tv)))
            return NULL;
    }
    if (extra_name) {
        keys[nk] = extra_name;
        vals[nk++] = extra;
    }
    return tf_object(a, nk, keys, vals);
}

static int tf_eval_in(tf_inst *in, const sl_hcl_file *f, const sl_hcl_value *scope,
                      const sl_hcl_expr *e, const sl_hcl_value **out)
{
    sl_hcl_ctx ctx;

    memset(&ctx, 0, sizeof(ctx));
    ctx.arena = in->env->arena;
    ctx.file = f;
    ctx.vars = scope;
    ctx.fs = in->env->fs;
    ctx.diags = in->env->diags;
    return sl_hcl_eval(&ctx, e, out);
}

/* ---- variables ---- */

static const tf_input *tf_find_input(const tf_input *inputs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(inputs[i].name, name))
            return &inputs[i];
    return NULL;
}

static int tf_eval_var(tf_inst *in, size_t i, const tf_input *inputs, size_t ninputs)
{
    const tf_node *n = &in->m->nodes[i];
    tf_env *env = in->env;
    const tf_input *input = tf_find_input(inputs, ninputs, n->name);
    const sl_hcl_value *v = NULL;
    sl_hcl_range where = input ? input->range : in->call_range;
    int rc = 0;

    if (input && !input->value->is_null) {
        sl_buf why = SL_BUF_INIT;
        if (sl_hcl_convert(env->arena, input->value, n->type, &v, &why)) {
            sl_buf t = SL_BUF_INIT;
            sl_hcl_type_format(n->type, &t);
            rc = sl_hcl_diag_error(env->diags, &input->range, "Invalid value for input variable",
                                   "The given value is not suitable for var.%s declared at "
                                   "%s:%d,%d: %s (the type is %s).",
                                   n->name, n->range.file, n->range.start.line,
                                   n->range.start.col, why.ptr ? why.ptr : "wrong type",
                                   t.ptr ? t.ptr : "?");
            sl_buf_free(&t);
        }
        sl_buf_free(&why);
        if (rc)
            return rc;
    } else if (input && n->nullable) {
        v = sl_hcl_null(env->arena, n->type);
    } else if (n->def) {
        v = n->def;
        if (!input)
            where = n->range;
    } else if (input) {
        return sl_hcl_diag_error(env->diags, &input->range, "Invalid value for input variable",
                                 "The given value is null, but var.%s (%s:%d) does not accept "
                                 "null (nullable = false) and has no default.",
                                 n->name, n->range.file, n->range.start.line);
    } else {
        return sl_hcl_diag_error(env->diags, &in->call_range, "Missing required argument",
                                 "The input variable \"%s\" is required (declared at %s:%d, "
                                 "without a default), but no value was given.",
                                 n->name, n->range.file, n->range.start.line);
    }
    if (!v)
        return tf_oom(env);
    if (n->sensitive && !(v = sl_hcl_mark(env->arena, v, SL_HCL_SENSITIVE)))
        return tf_oom(env);
    in->vals[i] = v;
    for (size_t k = 0; k < n->nvalidations; k++) {
        const tf_validation *val = &n->validations[k];
        const sl_hcl_value *scope = tf_scope(in, i, NULL, NULL), *ok, *msg;
        if (!scope)
            return tf_oom(env);
        if ((rc = tf_eval_in(in, n->file, scope, val->condition, &ok)))
            return rc;
        if (ok->kind != SL_HCL_BOOL || ok->is_null)
            return sl_hcl_diag_error_at(env->diags, n->file, val->condition->range,
                                     "Invalid validation condition",
                                     "The condition of a validation rule must give true or "
                                     "false.");
        if (ok->u.b)
            continue;
        if ((rc = tf_eval_in(in, n->file, scope, val->error_message, &msg)))
            return rc;
        if (tf_has_sensitive(msg))
            return sl_hcl_diag_error(env->diags, &where, "Invalid value for variable",
                                     "The error message of the validation rule at %s:%d,%d "
                                     "refers to a sensitive value, so it is not shown.",
                                     val->range.file, val->range.start.line,
                                     val->range.start.col);
        if (msg->kind != SL_HCL_STRING || msg->is_null)
            return sl_hcl_diag_error_at(env->diags, n->file, val->error_message->range,
                                     "Invalid error message", "The error_message of a "
                                     "validation rule must be a string.");
        return sl_hcl_diag_error(env->diags, &where, "Invalid value for variable",
                                 "%s\n\nThis was checked by the validation rule at %s:%d,%d.",
                                 msg->u.str.s, val->range.file, val->range.start.line,
                                 val->range.start.col);
    }
    return 0;
}

/* ---- count and for_each ---- */

typedef struct tf_instances {
    int mode;                    /* 0 single, 1 count, 2 for_each */
    size_t n;
    const char **keys;           /* for_each keys */
    const sl_hcl_value **values; /* for_each values */
} tf_instances;

static int tf_expand(tf_inst *in, size_t i, tf_instances *out)
{
    const tf_node *n = &in->m->nodes[i];
    tf_env *env = in->env;
    const sl_hcl_value *scope, *v;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!n->count && !n->for_each) {
        out->n = 1;
        return 0;
    }
    if (!(scope = tf_scope(in, i, NULL, NULL)))
        return tf_oom(env);
    if (n->count) {
        int64_t c;
        if ((rc = tf_eval_in(in, n->file, scope, n->count, &v)))
            return rc;
        if (v->is_null || v->kind != SL_HCL_NUMBER || sl_hcl_num_to_i64(&v->u.num, &c) || c < 0)
            return sl_hcl_diag_error_at(env->diags, n->file, n->count->range, "Invalid count argument",
                                     "The given \"count\" argument value is unsuitable: it must "
                                     "be a whole number, zero or more.");
        if (c > TF_MAX_INSTANCES)
            return sl_hcl_diag_error_at(env->diags, n->file, n->count->range, "Invalid count argument",
                                     "count is %lld; at most %d instances are allowed.",
                                     (long long)c, TF_MAX_INSTANCES);
        out->mode = 1;
        out->n = (size_t)c;
        return 0;
    }
    if ((rc = tf_eval_in(in, n->file, scope, n->for_each, &v)))
        return rc;
    if (v->is_null)
        return sl_hcl_diag_error_at(env->diags, n->file, n->for_each->range, "Invalid for_each argument",
                                 "The given \"for_each\" argument value is null. A map, or set "
                                 "of strings is allowed.");
    if (tf_has_sensitive(v))
        return sl_hcl_diag_error_at(env->diags, n->file, n->for_each->range, "Invalid for_each argument",
                                 "Sensitive values, or values derived from sensitive values, "
                                 "cannot be used as for_each arguments: the keys would be "
                                 "shown in addresses.");
    out->mode = 2;
    if (v->kind == SL_HCL_MAP || v->kind == SL_HCL_OBJECT) {
        out->n = v->u.c.n;
        out->keys = (const char **)v->u.c.keys;
        out->values = (const sl_hcl_value **)v->u.c.v;
    } else if (v->kind == SL_HCL_SET) {
        out->n = v->u.c.n;
        out->keys = sl_hcl_alloc(env->arena, (out->n + 1) * sizeof(char *));
        out->values = (const sl_hcl_value **)v->u.c.v;
        if (!out->keys)
            return tf_oom(env);
        for (size_t k = 0; k < out->n; k++) {
            const sl_hcl_value *e = v->u.c.v[k];
            if (e->kind != SL_HCL_STRING || e->is_null)
                return sl_hcl_diag_error_at(env->diags, n->file, n->for_each->range,
                                         "Invalid for_each argument",
                                         "The given \"for_each\" argument value is unsuitable: "
                                         "a set must hold strings (use toset() on a list of "
                                         "strings).");
            out->keys[k] = e->u.str.s;
        }
    } else {
        sl_buf t = SL_BUF_INIT;
        sl_hcl_type_format(v->type, &t);
        rc = sl_hcl_diag_error_at(env->diags, n->file, n->for_each->range, "Invalid for_each argument",
                               "The given \"for_each\" argument value is unsuitable: the "
                               "\"for_each\" argument must be a map, or set of strings, and you "
                               "have provided a value of type %s.",
                               t.ptr ? t.ptr : "?");
        sl_buf_free(&t);
        return rc;
    }
    if (out->n > TF_MAX_INSTANCES)
        return sl_hcl_diag_error_at(env->diags, n->file, n->for_each->range, "Invalid for_each argument",
                                 "%zu instances; at most %d are allowed.", out->n,
                                 TF_MAX_INSTANCES);
    return 0;
}

/* each = {key, value} or count = {index} for instance k. */
static int tf_instance_scope(tf_inst *in, size_t i, const tf_instances *is, size_t k,
                             const sl_hcl_value **scope)
{
    sl_hcl_arena *a = in->env->arena;

    if (is->mode == 0) {
        *scope = tf_scope(in, i, NULL, NULL);
    } else if (is->mode == 1) {
        const char *ck[] = {"index"};
        const sl_hcl_value *cv[] = {sl_hcl_number_i64(a, (int64_t)k)};
        const sl_hcl_value *c = cv[0] ? tf_object(a, 1, ck, cv) : NULL;
        *scope = c ? tf_scope(in, i, "count", c) : NULL;
    } else {
        const char *ek[] = {"key", "value"};
        const sl_hcl_value *ev[] = {sl_hcl_string_cstr(a, is->keys[k]), is->values[k]};
        const sl_hcl_value *e = ev[0] ? tf_object(a, 2, ek, ev) : NULL;
        *scope = e ? tf_scope(in, i, "each", e) : NULL;
    }
    return *scope ? 0 : tf_oom(in->env);
}

/* "prefix" + "module.name" / "kubernetes_manifest.name" + "[0]" / "[\"k\"]". */
static const char *tf_addr(tf_inst *in, const tf_node *n, const tf_instances *is, size_t k)
{
    sl_buf b = SL_BUF_INIT;
    const char *s = NULL;

    if (sl_buf_printf(&b, "%s%s", in->addr, n->label) == 0 &&
        (is->mode == 0 || (is->mode == 1 ? sl_buf_printf(&b, "[%zu]", k)
                                         : sl_buf_printf(&b, "[\"%s\"]", is->keys[k])) == 0))
        s = sl_hcl_strndup(in->env->arena, b.ptr, b.len);
    sl_buf_free(&b);
    return s;
}

/* The value of an expanded block: one instance's value, a tuple for count,
 * an object keyed like for_each. */
static const sl_hcl_value *tf_collect(tf_inst *in, const tf_instances *is,
                                      const sl_hcl_value **vals)
{
    if (is->mode == 0)
        return vals[0];
    if (is->mode == 1)
        return sl_hcl_tuple(in->env->arena, is->n, vals);
    return tf_object(in->env->arena, is->n, is->keys, vals);
}

/* ---- module calls and resources ---- */

static int tf_eval_call(tf_inst *in, size_t i)
{
    const tf_node *n = &in->m->nodes[i];
    tf_env *env = in->env;
    tf_instances is;
    const sl_hcl_value **vals;
    const sl_hcl_body *body = n->block->body;
    tf_input *inputs = NULL;
    int rc;

    if ((rc = tf_expand(in, i, &is)))
        return rc;
    vals = sl_hcl_alloc(env->arena, (is.n + 1) * sizeof(*vals));
    inputs = calloc(body->nattrs + 1, sizeof(*inputs));
    if (!vals || !inputs) {
        free(inputs);
        return tf_oom(env);
    }
    for (size_t k = 0; !rc && k < is.n; k++) {
        const sl_hcl_value *scope;
        const char *addr = tf_addr(in, n, &is, k);
        size_t ninputs = 0;
        tf_result sub;
        char *prefix = NULL;

        if (!addr) {
            rc = tf_oom(env);
            break;
        }
        if ((rc = tf_instance_scope(in, i, &is, k, &scope)))
            break;
        for (size_t j = 0; !rc && j < body->nattrs; j++) {
            const sl_hcl_attr *a = &body->attrs[j];
            const sl_hcl_value *v;
            if (!strcmp(a->name, "source") || !strcmp(a->name, "count") ||
                !strcmp(a->name, "for_each") || !strcmp(a->name, "depends_on"))
                continue;
            if (tf_module_var(n->child, a->name) < 0) {
                rc = sl_hcl_diag_error_at(env->diags, n->file, a->name_range, "Unsupported argument",
                                       "An argument named \"%s\" is not expected here: module "
                                       "%s declares no such variable.",
                                       a->name, n->source);
                break;
            }
            if ((rc = tf_eval_in(in, n->file, scope, a->expr, &v)))
                break;
            inputs[ninputs].name = a->name;
            inputs[ninputs].value = v;
            inputs[ninputs++].range = sl_hcl_file_range(n->file, a->expr->range);
        }
        if (rc)
            break;
        if (asprintf(&prefix, "%s.", addr) < 0) {
            rc = tf_oom(env);
            break;
        }
        memset(&sub, 0, sizeof(sub));
        sub = *in->res; /* manifests accumulate in the caller's result */
        {
            tf_env child_env = *env;
            child_env.call_range = sl_hcl_file_range(n->file, n->block->open_range);
            rc = tf_module_eval(&child_env, n->child, inputs, ninputs, prefix, &sub);
        }
        *in->res = sub;
        vals[k] = sub.outputs;
        free(prefix);
    }
    free(inputs);
    if (rc)
        return rc;
    if (!(in->vals[i] = tf_collect(in, &is, vals)))
        return tf_oom(env);
    return 0;
}

/* Drop null members of objects (Terraform leaves unset attributes out of
 * a manifest). */
static void tf_json_drop_nulls(cJSON *j)
{
    cJSON *it = j ? j->child : NULL;

    while (it) {
        cJSON *next = it->next;
        if (cJSON_IsObject(j) && cJSON_IsNull(it))
            cJSON_Delete(cJSON_DetachItemViaPointer(j, it));
        else
            tf_json_drop_nulls(it);
        it = next;
    }
}

int tf_manifest_json(tf_env *env, const sl_hcl_value *v, const sl_hcl_range *range, cJSON **out)
{
    const sl_hcl_value *kind;
    cJSON *j = NULL;

    *out = NULL;
    if (v->is_null || (v->kind != SL_HCL_OBJECT && v->kind != SL_HCL_MAP))
        return sl_hcl_diag_error(env->diags, range, "Invalid manifest",
                                 "The manifest must be an object with apiVersion, kind and "
                                 "metadata.");
    kind = sl_hcl_value_attr(v, "kind");
    if (tf_has_sensitive(v) &&
        !(kind && kind->kind == SL_HCL_STRING && !kind->is_null && !strcmp(kind->u.str.s, "Secret")))
        return sl_hcl_diag_error(env->diags, range, "Sensitive value in a manifest",
                                 "This manifest holds a sensitive value (from a sensitive "
                                 "variable or output). Only a Secret may hold one: sluice masks "
                                 "Secret data in diffs but shows every other kind.");
    if (sl_hcl_value_to_json(v, &j) || !j)
        return tf_oom(env);
    tf_json_drop_nulls(j);
    *out = j;
    return 0;
}

static int tf_push_manifest(tf_inst *in, cJSON *j, sl_hcl_range range, const char *addr)
{
    tf_result *r = in->res;

    if (r->nmanifests >= TF_MAX_MANIFESTS) {
        cJSON_Delete(j);
        return sl_hcl_diag_error(in->env->diags, &range, "Too many manifests",
                                 "A module evaluation may emit at most %d manifests.",
                                 TF_MAX_MANIFESTS);
    }
    if (r->nmanifests == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        tf_manifest *v = realloc(r->manifests, cap * sizeof(*v));
        if (!v) {
            cJSON_Delete(j);
            return tf_oom(in->env);
        }
        r->manifests = v;
        r->cap = cap;
    }
    r->manifests[r->nmanifests].json = j;
    r->manifests[r->nmanifests].range = range;
    r->manifests[r->nmanifests++].addr = addr;
    return 0;
}

static int tf_eval_resource(tf_inst *in, size_t i)
{
    const tf_node *n = &in->m->nodes[i];
    tf_env *env = in->env;
    tf_instances is;
    const sl_hcl_value **vals;
    int rc;

    if ((rc = tf_expand(in, i, &is)))
        return rc;
    if (!(vals = sl_hcl_alloc(env->arena, (is.n + 1) * sizeof(*vals))))
        return tf_oom(env);
    for (size_t k = 0; k < is.n; k++) {
        const sl_hcl_value *scope, *v;
        const char *addr = tf_addr(in, n, &is, k);
        const char *keys[] = {"manifest", "object"};
        const sl_hcl_value *pair[2];
        cJSON *j;
        if (!addr)
            return tf_oom(env);
        if ((rc = tf_instance_scope(in, i, &is, k, &scope)) ||
            (rc = tf_eval_in(in, n->file, scope, n->expr, &v)))
            return rc;
        if ((rc = tf_manifest_json(env, v, &n->range, &j)) ||
            (rc = tf_push_manifest(in, j, n->range, addr)))
            return rc;
        pair[0] = pair[1] = v;
        if (!(vals[k] = tf_object(env->arena, 2, keys, pair)))
            return tf_oom(env);
    }
    if (!(in->vals[i] = tf_collect(in, &is, vals)))
        return tf_oom(env);
    return 0;
}

/* ---- the module ---- */

int tf_module_eval(tf_env *env, const tf_module *m, const tf_input *inputs, size_t ninputs,
                   const char *addr_prefix, tf_result *res)
{
    tf_inst in;
    const char **okeys = NULL;
    const sl_hcl_value **ovals = NULL;
    size_t nout = 0;
    int rc = 0;

    memset(&in, 0, sizeof(in));
    in.env = env;
    in.m = m;
    in.addr = addr_prefix ? addr_prefix : "";
    in.call_range = env->call_range;
    in.res = res;
    for (size_t k = 0; k < ninputs; k++)
        if (tf_module_var(m, inputs[k].name) < 0)
            return sl_hcl_diag_error(env->diags, &inputs[k].range, "Unsupported argument",
                                     "An argument named \"%s\" is not expected here: module %s "
                                     "declares no such variable.",
                                     inputs[k].name, m->dir[0] ? m->dir : ".");
    in.vals = sl_hcl_alloc(env->arena, (m->nnodes + 1) * sizeof(*in.vals));
    okeys = sl_hcl_alloc(env->arena, (m->nnodes + 1) * sizeof(*okeys));
    ovals = sl_hcl_alloc(env->arena, (m->nnodes + 1) * sizeof(*ovals));
    {
        const char *pk[] = {"cwd", "module", "root"};
        const sl_hcl_value *pv[3];
        pv[0] = sl_hcl_string_cstr(env->arena, ".");
        pv[1] = sl_hcl_string_cstr(env->arena, m->dir[0] ? m->dir : ".");
        pv[2] = sl_hcl_string_cstr(env->arena, ".");
        in.path = pv[0] && pv[1] && pv[2] ? tf_object(env->arena, 3, pk, pv) : NULL;
    }
    if (!in.vals || !okeys || !ovals || !in.path)
        return tf_oom(env);
    for (size_t o = 0; !rc && o < m->nnodes; o++) {
        size_t i = m->order[o];
        const tf_node *n = &m->nodes[i];
        const sl_hcl_value *scope, *v;
        switch (n->kind) {
        case TF_VAR:
            rc = tf_eval_var(&in, i, inputs, ninputs);
            break;
        case TF_LOCAL:
            if (!(scope = tf_scope(&in, i, NULL, NULL)))
                rc = tf_oom(env);
            else if (!(rc = tf_eval_in(&in, n->file, scope, n->expr, &v)))
                in.vals[i] = v;
            break;
        case TF_MODULE:
            rc = tf_eval_call(&in, i);
            break;
        case TF_RESOURCE:
            rc = tf_eval_resource(&in, i);
            break;
        case TF_OUTPUT:
            if (!(scope = tf_scope(&in, i, NULL, NULL))) {
                rc = tf_oom(env);
                break;
            }
            if ((rc = tf_eval_in(&in, n->file, scope, n->expr, &v)))
                break;
            if (!n->out_sensitive && tf_has_sensitive(v)) {
                rc = sl_hcl_diag_error_at(env->diags, n->file, n->expr->range,
                                       "Output refers to sensitive values",
                                       "To keep sensitive data from leaking by accident, an "
                                       "output holding sensitive data must be declared with "
                                       "sensitive = true.");
                break;
            }
            if (n->out_sensitive && !(v = sl_hcl_mark(env->arena, v, SL_HCL_SENSITIVE))) {
                rc = tf_oom(env);
                break;
            }
            in.vals[i] = v;
            okeys[nout] = n->name;
            ovals[nout++] = v;
            break;
        }
    }
    if (rc)
        return rc;
    if (!(res->outputs = tf_object(env->arena, nout, okeys, ovals)))
        return tf_oom(env);
    return 0;
}
