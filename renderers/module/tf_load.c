/* tf_load.c: loading a Terraform-style module folder: parse its .tf files,
 * read the declarations into graph nodes, resolve the references between
 * them and order the graph (a cycle is an error naming its members). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf.h"

void tf_cache_init(tf_cache *c, sl_snapshot *snap)
{
    memset(c, 0, sizeof(*c));
    c->snap = snap;
}

static void tf_module_free(tf_module *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nfiles; i++)
        sl_hcl_file_free(m->files[i]);
    free(m->files);
    free(m->nodes);
    sl_hcl_arena_free(m->arena);
    free(m->dir);
    free(m);
}

void tf_cache_fini(tf_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        tf_module_free(c->mods[i]);
    free(c->mods);
    memset(c, 0, sizeof(*c));
}

long tf_module_var(const tf_module *m, const char *name)
{
    for (size_t i = 0; i < m->nvars; i++)
        if (!strcmp(m->nodes[i].name, name))
            return (long)i;
    return -1;
}

/* ---- declarations ---- */

typedef struct tf_loader {
    tf_cache *cache;
    tf_module *m;
    sl_hcl_diags *diags;
    const sl_hcl_file *f; /* the file whose declarations are being read */
    int depth;
    size_t cap;
} tf_loader;

static int tf_push_node(tf_loader *L, tf_kind kind, const char *name, sl_hcl_span span,
                        tf_node **out)
{
    sl_hcl_range range = sl_hcl_file_range(L->f, span);
    tf_module *m = L->m;
    const char *prefix = kind == TF_VAR      ? "var."
                         : kind == TF_LOCAL  ? "local."
                         : kind == TF_MODULE ? "module."
                         : kind == TF_OUTPUT ? "output."
                                             : "kubernetes_manifest.";
    size_t n;
    char *label;

    for (size_t i = 0; i < m->nnodes; i++)
        if (m->nodes[i].kind == kind && !strcmp(m->nodes[i].name, name)) {
            static const char *const what[] = {"variable", "local value", "module call",
                                               "resource", "output"};
            return sl_hcl_diag_error(L->diags, &range, "Duplicate declaration",
                                     "A %s named \"%s\" was already declared at %s:%d,%d. "
                                     "Names must be unique within a module.",
                                     what[kind], name, m->nodes[i].range.file,
                                     m->nodes[i].range.start.line, m->nodes[i].range.start.col);
        }
    if (m->nnodes == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 16;
        tf_node *v = realloc(m->nodes, cap * sizeof(*v));
        if (!v)
            return SL_ENOMEM;
        m->nodes = v;
        L->cap = cap;
    }
    n = strlen(prefix) + strlen(name) + 1;
    if (!(label = sl_hcl_alloc(m->arena, n)))
        return SL_ENOMEM;
    snprintf(label, n, "%s%s", prefix, name);
    *out = &m->nodes[m->nnodes++];
    memset(*out, 0, sizeof(**out));
    (*out)->kind = kind;
    (*out)->name = name;
    (*out)->label = label;
    (*out)->range = range;
    (*out)->file = L->f;
    return 0;
}

/* A constant expression (no references): literal values, or anything the
 * engine can evaluate without variables. */
static int tf_const(tf_loader *L, const sl_hcl_expr *e, const char *what,
                    const sl_hcl_value **out)
{
    sl_hcl_ctx ctx;

    memset(&ctx, 0, sizeof(ctx));
    ctx.arena = L->m->arena;
    ctx.file = L->f;
    ctx.diags = L->diags;
    if (sl_hcl_expr_const(e, out))
        return 0;
    if (sl_hcl_eval(&ctx, e, out))
        return sl_hcl_diag_error_at(L->diags, L->f, e->range, "Invalid value",
                                 "The %s must be a constant value.", what);
    return 0;
}

static int tf_const_bool(tf_loader *L, const sl_hcl_attr *a, int *out)
{
    const sl_hcl_value *v;
    int rc;

    if ((rc = tf_const(L, a->expr, a->name, &v)))
        return rc;
    if (v->kind != SL_HCL_BOOL || v->is_null)
        return sl_hcl_diag_error_at(L->diags, L->f, a->expr->range, "Invalid value",
                                 "\"%s\" must be true or false.", a->name);
    *out = v->u.b;
    return 0;
}

static int tf_unsupported_attr(tf_loader *L, const sl_hcl_attr *a, const char *in)
{
    return sl_hcl_diag_error_at(L->diags, L->f, a->name_range, "Unsupported argument",
                             "An argument named \"%s\" is not expected in %s.", a->name, in);
}

static int tf_unsupported_block(tf_loader *L, const sl_hcl_block *b, const char *in)
{
    return sl_hcl_diag_error_at(L->diags, L->f, b->type_range, "Unsupported block type",
                             "Blocks of type \"%s\" are not expected in %s.", b->type, in);
}

static int tf_labels(tf_loader *L, const sl_hcl_block *b, size_t want)
{
    if (b->nlabels == want)
        return 0;
    return sl_hcl_diag_error_at(L->diags, L->f, b->type_range,
                             b->nlabels < want ? "Missing name for block" : "Extraneous label",
                             "A \"%s\" block expects %zu label%s (%s).", b->type, want,
                             want == 1 ? "" : "s",
                             !strcmp(b->type, "resource") ? "type and name" : "a name");
}

static int tf_read_variable(tf_loader *L, const sl_hcl_block *b)
{
    tf_node *n;
    const sl_hcl_attr *def = NULL;
    int rc, bad = 0;

    static const char *const reserved[] = {"source",    "version",  "providers", "count",
                                           "for_each",  "lifecycle", "depends_on", "locals",
                                           NULL};

    if ((rc = tf_labels(L, b, 1)))
        return rc;
    for (size_t i = 0; reserved[i]; i++)
        if (!strcmp(b->labels[0], reserved[i]))
            return sl_hcl_diag_error_at(L->diags, L->f, b->label_ranges[0], "Invalid variable name",
                                     "The variable name \"%s\" is reserved: module blocks use "
                                     "it as a meta-argument.",
                                     b->labels[0]);
    if ((rc = tf_push_node(L, TF_VAR, b->labels[0], b->type_range, &n)))
        return rc;
    n->type = &sl_hcl_t_dynamic;
    n->nullable = 1;
    n->block = b;
    for (size_t i = 0; i < b->body->nattrs; i++) {
        const sl_hcl_attr *a = &b->body->attrs[i];
        if (!strcmp(a->name, "type")) {
            if (sl_hcl_type_from_expr(L->m->arena, L->f, a->expr, 1, &n->type, L->diags))
                bad = 1;
        } else if (!strcmp(a->name, "default")) {
            def = a;
        } else if (!strcmp(a->name, "nullable")) {
            bad |= tf_const_bool(L, a, &n->nullable) != 0;
        } else if (!strcmp(a->name, "sensitive")) {
            bad |= tf_const_bool(L, a, &n->sensitive) != 0;
        } else if (strcmp(a->name, "description") && strcmp(a->name, "ephemeral")) {
            bad |= tf_unsupported_attr(L, a, "a variable block") != 0;
        }
    }
    for (size_t i = 0; i < b->body->nblocks; i++) {
        const sl_hcl_block *vb = &b->body->blocks[i];
        tf_validation *v;
        if (strcmp(vb->type, "validation")) {
            bad |= tf_unsupported_block(L, vb, "a variable block") != 0;
            continue;
        }
        if (!n->validations)
            n->validations = sl_hcl_alloc(L->m->arena, b->body->nblocks * sizeof(tf_validation));
        if (!n->validations)
            return SL_ENOMEM;
        v = &n->validations[n->nvalidations++];
        v->range = sl_hcl_file_range(L->f, vb->type_range);
        for (size_t j = 0; j < vb->body->nattrs; j++) {
            const sl_hcl_attr *a = &vb->body->attrs[j];
            if (!strcmp(a->name, "condition"))
                v->condition = a->expr;
            else if (!strcmp(a->name, "error_message"))
                v->error_message = a->expr;
            else
                bad |= tf_unsupported_attr(L, a, "a validation block") != 0;
        }
        if (!v->condition || !v->error_message)
            bad |= sl_hcl_diag_error_at(L->diags, L->f, vb->type_range, "Missing required argument",
                                     "A validation block needs \"condition\" and "
                                     "\"error_message\".") != 0;
    }
    if (def && !bad) {
        const sl_hcl_value *v;
        sl_buf why = SL_BUF_INIT;
        if ((rc = tf_const(L, def->expr, "default", &v))) {
            bad = 1;
        } else if (v->is_null) {
            n->def = sl_hcl_null(L->m->arena, n->type);
            if (!n->def)
                return SL_ENOMEM;
        } else if (sl_hcl_convert(L->m->arena, v, n->type, &n->def, &why)) {
            sl_hcl_diag_error_at(L->diags, L->f, def->expr->range, "Invalid default value for variable",
                              "This default value is not compatible with the variable's type "
                              "constraint: %s.",
                              why.ptr ? why.ptr : "wrong type");
            bad = 1;
        }
        sl_buf_free(&why);
    }
    return bad ? SL_EINVAL : 0;
}

/* Resolve a module source ("./x", "../x") against dir into a snapshot
 * path (owned). */
static int tf_resolve_source(tf_loader *L, const sl_hcl_attr *a, char **out)
{
    const sl_hcl_value *v;
    sl_buf b = SL_BUF_INIT;
    const char *s, *p;
    char *path;

    *out = NULL;
    if (!sl_hcl_expr_const(a->expr, &v) || v->kind != SL_HCL_STRING || v->is_null)
        return sl_hcl_diag_error_at(L->diags, L->f, a->expr->range, "Invalid module source",
                                 "The module source must be a literal string.");
    s = v->u.str.s;
    if (strncmp(s, "./", 2) && strncmp(s, "../", 3))
        return sl_hcl_diag_error_at(L->diags, L->f, a->expr->range, "Unsupported module source",
                                 "Only local module sources (starting with \"./\" or \"../\") "
                                 "are supported: modules are read from the same repository. "
                                 "\"%s\" would need a registry or a download.",
                                 s);
    if (sl_buf_puts(&b, L->m->dir))
        goto nomem;
    for (p = s; *p;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.')) {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            char *slash = b.len ? strrchr(b.ptr, '/') : NULL;
            if (!b.len) {
                sl_buf_free(&b);
                return sl_hcl_diag_error_at(L->diags, L->f, a->expr->range, "Invalid module source",
                                         "\"%s\" leaves the repository of the module.", s);
            }
            b.len = slash ? (size_t)(slash - b.ptr) : 0;
            b.ptr[b.len] = '\0';
        } else {
            if ((b.len && sl_buf_putc(&b, '/')) || sl_buf_put(&b, p, n))
                goto nomem;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    if (!(path = sl_buf_detach(&b)))
        goto nomem;
    *out = path;
    return 0;
nomem:
    sl_buf_free(&b);
    return SL_ENOMEM;
}

static int tf_read_module(tf_loader *L, const sl_hcl_block *b)
{
    tf_node *n;
    const sl_hcl_attr *src = NULL;
    char *path = NULL;
    int rc, bad = 0;

    if ((rc = tf_labels(L, b, 1)))
        return rc;
    if ((rc = tf_push_node(L, TF_MODULE, b->labels[0], b->type_range, &n)))
        return rc;
    n->block = b;
    for (size_t i = 0; i < b->body->nattrs; i++) {
        const sl_hcl_attr *a = &b->body->attrs[i];
        if (!strcmp(a->name, "source"))
            src = a;
        else if (!strcmp(a->name, "count"))
            n->count = a->expr;
        else if (!strcmp(a->name, "for_each"))
            n->for_each = a->expr;
        else if (!strcmp(a->name, "version") || !strcmp(a->name, "providers"))
            bad |= sl_hcl_diag_error_at(L->diags, L->f, a->name_range, "Unsupported argument",
                                     "\"%s\" applies to registry modules and providers; sluice "
                                     "renders local modules only.",
                                     a->name) != 0;
    }
    for (size_t i = 0; i < b->body->nblocks; i++)
        bad |= tf_unsupported_block(L, &b->body->blocks[i], "a module block") != 0;
    if (n->count && n->for_each)
        bad |= sl_hcl_diag_error_at(L->diags, L->f, n->for_each->range, "Invalid combination of "
                                 "\"count\" and \"for_each\"",
                                 "The \"count\" and \"for_each\" meta-arguments are mutually "
                                 "exclusive, only one should be used.") != 0;
    if (!src)
        return sl_hcl_diag_error_at(L->diags, L->f, b->open_range, "Missing required argument",
                                 "The argument \"source\" is required, but no definition was "
                                 "found.");
    if ((rc = tf_resolve_source(L, src, &path)))
        return rc;
    if (!(n->source = sl_hcl_strndup(L->m->arena, path, strlen(path)))) {
        free(path);
        return SL_ENOMEM;
    }
    free(path);
    if (L->depth + 1 > TF_MAX_DEPTH)
        return sl_hcl_diag_error_at(L->diags, L->f, src->expr->range, "Module calls nested too deeply",
                                 "Module calls are nested deeper than %d levels (does a module "
                                 "call itself?).",
                                 TF_MAX_DEPTH);
    rc = tf_cache_load(L->cache, n->source, L->depth + 1, &n->child, L->diags);
    if (rc == SL_ENOTFOUND)
        sl_hcl_diag_error_at(L->diags, L->f, src->expr->range, "Module not found",
                          "The module folder \"%s\" does not exist in the repository or holds "
                          "no .tf files.",
                          n->source);
    return rc ? rc : bad ? SL_EINVAL : 0;
}

static int tf_read_resource(tf_loader *L, const sl_hcl_block *b)
{
    tf_node *n;
    int rc, bad = 0;

    if ((rc = tf_labels(L, b, 2)))
        return rc;
    if (strcmp(b->labels[0], "kubernetes_manifest"))
        return sl_hcl_diag_error_at(L->diags, L->f, b->label_ranges[0], "Unsupported resource type",
                                 "sluice renders modules into Kubernetes manifests: the only "
                                 "resource type is \"kubernetes_manifest\", not \"%s\".",
                                 b->labels[0]);
    if ((rc = tf_push_node(L, TF_RESOURCE, b->labels[1], b->type_range, &n)))
        return rc;
    n->block = b;
    for (size_t i = 0; i < b->body->nattrs; i++) {
        const sl_hcl_attr *a = &b->body->attrs[i];
        if (!strcmp(a->name, "manifest"))
            n->expr = a->expr;
        else if (!strcmp(a->name, "count"))
            n->count = a->expr;
        else if (!strcmp(a->name, "for_each"))
            n->for_each = a->expr;
        else if (strcmp(a->name, "depends_on") && strcmp(a->name, "computed_fields"))
            bad |= tf_unsupported_attr(L, a, "a kubernetes_manifest resource") != 0;
    }
    for (size_t i = 0; i < b->body->nblocks; i++) {
        const sl_hcl_block *nb = &b->body->blocks[i];
        /* Provider-side behaviour that has no meaning for a renderer. */
        if (strcmp(nb->type, "lifecycle") && strcmp(nb->type, "field_manager") &&
            strcmp(nb->type, "wait") && strcmp(nb->type, "timeouts"))
            bad |= tf_unsupported_block(L, nb, "a kubernetes_manifest resource") != 0;
    }
    if (n->count && n->for_each)
        bad |= sl_hcl_diag_error_at(L->diags, L->f, n->for_each->range, "Invalid combination of "
                                 "\"count\" and \"for_each\"",
                                 "The \"count\" and \"for_each\" meta-arguments are mutually "
                                 "exclusive, only one should be used.") != 0;
    if (!n->expr)
        bad |= sl_hcl_diag_error_at(L->diags, L->f, b->open_range, "Missing required argument",
                                 "The argument \"manifest\" is required, but no definition was "
                                 "found.") != 0;
    return bad ? SL_EINVAL : 0;
}

static int tf_read_output(tf_loader *L, const sl_hcl_block *b)
{
    tf_node *n;
    int rc, bad = 0;

    if ((rc = tf_labels(L, b, 1)))
        return rc;
    if ((rc = tf_push_node(L, TF_OUTPUT, b->labels[0], b->type_range, &n)))
        return rc;
    n->block = b;
    for (size_t i = 0; i < b->body->nattrs; i++) {
        const sl_hcl_attr *a = &b->body->attrs[i];
        if (!strcmp(a->name, "value"))
            n->expr = a->expr;
        else if (!strcmp(a->name, "sensitive"))
            bad |= tf_const_bool(L, a, &n->out_sensitive) != 0;
        else if (strcmp(a->name, "description") && strcmp(a->name, "depends_on") &&
                 strcmp(a->name, "ephemeral"))
            bad |= tf_unsupported_attr(L, a, "an output block") != 0;
    }
    for (size_t i = 0; i < b->body->nblocks; i++)
        bad |= tf_unsupported_block(L, &b->body->blocks[i], "an output block") != 0;
    if (!n->expr)
        bad |= sl_hcl_diag_error_at(L->diags, L->f, b->open_range, "Missing required argument",
                                 "The argument \"value\" is required, but no definition was "
                                 "found.") != 0;
    return bad ? SL_EINVAL : 0;
}

/* Read every top-level declaration: variables first (they are nodes
 * [0, nvars)), then the rest in file order. */
static int tf_read_decls(tf_loader *L)
{
    tf_module *m = L->m;
    int bad = 0, rc;

    for (size_t f = 0; f < m->nfiles; f++) {
        const sl_hcl_body *body = m->files[f]->body;
        L->f = m->files[f];
        for (size_t i = 0; i < body->nblocks; i++)
            if (!strcmp(body->blocks[i].type, "variable") &&
                (rc = tf_read_variable(L, &body->blocks[i]))) {
                if (rc == SL_ENOMEM)
                    return rc;
                bad = 1;
            }
    }
    m->nvars = m->nnodes;
    for (size_t f = 0; f < m->nfiles; f++) {
        const sl_hcl_body *body = m->files[f]->body;
        L->f = m->files[f];
        for (size_t i = 0; i < body->nattrs; i++)
            bad |= sl_hcl_diag_error_at(L->diags, L->f, body->attrs[i].name_range,
                                     "Unsupported argument",
                                     "An argument named \"%s\" is not expected at the top level "
                                     "of a module.",
                                     body->attrs[i].name) != 0;
        for (size_t i = 0; i < body->nblocks; i++) {
            const sl_hcl_block *b = &body->blocks[i];
            rc = 0;
            if (!strcmp(b->type, "variable") || !strcmp(b->type, "terraform") ||
                !strcmp(b->type, "provider") || !strcmp(b->type, "moved") ||
                !strcmp(b->type, "removed") || !strcmp(b->type, "import")) {
                continue; /* read above, or no meaning for a renderer */
            } else if (!strcmp(b->type, "locals")) {
                if (!(rc = tf_labels(L, b, 0)))
                    for (size_t j = 0; !rc && j < b->body->nattrs; j++) {
                        tf_node *n;
                        if (!(rc = tf_push_node(L, TF_LOCAL, b->body->attrs[j].name,
                                                b->body->attrs[j].name_range, &n)))
                            n->expr = b->body->attrs[j].expr;
                    }
                for (size_t j = 0; j < b->body->nblocks; j++)
                    rc = tf_unsupported_block(L, &b->body->blocks[j], "a locals block");
            } else if (!strcmp(b->type, "module")) {
                rc = tf_read_module(L, b);
            } else if (!strcmp(b->type, "resource")) {
                rc = tf_read_resource(L, b);
            } else if (!strcmp(b->type, "output")) {
                rc = tf_read_output(L, b);
            } else if (!strcmp(b->type, "data")) {
                rc = sl_hcl_diag_error_at(L->diags, L->f, b->type_range, "Unsupported block type",
                                       "Data sources read live infrastructure; a module "
                                       "rendered by sluice must be a pure function of its "
                                       "inputs.");
            } else {
                rc = tf_unsupported_block(L, b, "a module");
            }
            if (rc == SL_ENOMEM)
                return rc;
            bad |= rc != 0;
        }
    }
    return bad ? SL_EINVAL : 0;
}

/* ---- references and order ---- */

typedef struct tf_refs_ud {
    tf_loader *L;
    size_t self;
    size_t *deps;
    size_t ndeps, cap;
    int bad;
    int has_count, has_each; /* what the expression's block allows */
} tf_refs_ud;

static long tf_find(const tf_module *m, tf_kind kind, const char *name)
{
    for (size_t i = 0; i < m->nnodes; i++)
        if (m->nodes[i].kind == kind && !strcmp(m->nodes[i].name, name))
            return (long)i;
    return -1;
}

static int tf_ref_cb(void *p, const sl_hcl_expr *trav)
{
    tf_refs_ud *u = p;
    tf_loader *L = u->L;
    const char *root = trav->name;
    const char *attr = trav->nsteps && !trav->steps[0].is_index ? trav->steps[0].name : NULL;
    tf_kind kind;
    long idx;

    if (!strcmp(root, "count")) {
        if (!u->has_count) {
            u->bad = 1;
            sl_hcl_diag_error_at(L->diags, L->f, trav->range, "Reference to \"count\" in non-counted "
                              "context",
                              "The \"count\" object can only be used in \"module\" and "
                              "\"resource\" blocks, and only when the \"count\" argument is "
                              "set.");
        } else if (!attr || strcmp(attr, "index")) {
            u->bad = 1;
            sl_hcl_diag_error_at(L->diags, L->f, trav->range, "Invalid count reference",
                              "The \"count\" object has only the attribute \"index\".");
        }
        return 0;
    }
    if (!strcmp(root, "each")) {
        if (!u->has_each) {
            u->bad = 1;
            sl_hcl_diag_error_at(L->diags, L->f, trav->range, "Reference to \"each\" in context without "
                              "for_each",
                              "The \"each\" object can be used only in \"module\" or "
                              "\"resource\" blocks, and only when the \"for_each\" argument is "
                              "set.");
        } else if (!attr || (strcmp(attr, "key") && strcmp(attr, "value"))) {
            u->bad = 1;
            sl_hcl_diag_error_at(L->diags, L->f, trav->range, "Invalid each reference",
                              "The \"each\" object has the attributes \"key\" and \"value\".");
        }
        return 0;
    }
    if (!strcmp(root, "path") || !strcmp(root, "terraform"))
        return 0;
    if (!strcmp(root, "var"))
        kind = TF_VAR;
    else if (!strcmp(root, "local"))
        kind = TF_LOCAL;
    else if (!strcmp(root, "module"))
        kind = TF_MODULE;
    else if (!strcmp(root, "kubernetes_manifest"))
        kind = TF_RESOURCE;
    else {
        u->bad = 1;
        sl_hcl_diag_error_at(L->diags, L->f, trav->range, "Reference to undeclared resource",
                          "\"%s\" is not a known name here: references start with var., "
                          "local., module., kubernetes_manifest., each., count., path. or "
                          "terraform.",
                          root);
        return 0;
    }
    if (!attr) {
        u->bad = 1;
        sl_hcl_diag_error_at(L->diags, L->f, trav->range, "Invalid reference",
                          "A reference to \"%s\" must be followed by a name, as in %s.name.",
                          root, root);
        return 0;
    }
    idx = tf_find(L->m, kind, attr);
    if (idx < 0) {
        static const char *const what[] = {"input variable", "local value", "module call",
                                           "resource", "output"};
        char summary[64];
        u->bad = 1;
        snprintf(summary, sizeof(summary), "Reference to undeclared %s", what[kind]);
        sl_hcl_diag_error_at(L->diags, L->f, trav->range, summary,
                          "No %s named \"%s\" is declared in this module (%s).", what[kind],
                          attr, L->m->dir[0] ? L->m->dir : ".");
        return 0;
    }
    if ((size_t)idx == u->self) {
        if (kind == TF_VAR)
            return 0; /* a validation reading its own variable */
        u->bad = 1;
        sl_hcl_diag_error_at(L->diags, L->f, trav->range, "Self-referencing value",
                          "Cycle: %s refers to itself.", L->m->nodes[idx].label);
        return 0;
    }
    for (size_t i = 0; i < u->ndeps; i++)
        if (u->deps[i] == (size_t)idx)
            return 0;
    if (u->ndeps == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 8;
        size_t *v = realloc(u->deps, cap * sizeof(*v));
        if (!v)
            return SL_ENOMEM;
        u->deps = v;
        u->cap = cap;
    }
    u->deps[u->ndeps++] = (size_t)idx;
    return 0;
}

/* Every variable reference in e (a bare identifier object key is a string
 * literal in the tree, not a reference). */
static int tf_refs_of(tf_refs_ud *u, const sl_hcl_expr *e)
{
    return e ? sl_hcl_expr_refs(e, tf_ref_cb, u) : 0;
}

static int tf_node_refs(tf_loader *L, size_t i)
{
    tf_node *n = &L->m->nodes[i];
    tf_refs_ud u = {L, i, NULL, 0, 0, 0, 0, 0};
    int rc = 0;

    L->f = n->file;
    switch (n->kind) {
    case TF_VAR:
        for (size_t j = 0; !rc && j < n->nvalidations; j++)
            if (!(rc = tf_refs_of(&u, n->validations[j].condition)))
                rc = tf_refs_of(&u, n->validations[j].error_message);
        break;
    case TF_LOCAL:
        rc = tf_refs_of(&u, n->expr);
        break;
    case TF_OUTPUT:
        for (size_t j = 0; !rc && j < n->block->body->nattrs; j++)
            rc = tf_refs_of(&u, n->block->body->attrs[j].expr);
        break;
    case TF_MODULE:
    case TF_RESOURCE:
        /* count and for_each are evaluated before each/count exist */
        if (!(rc = tf_refs_of(&u, n->count)))
            rc = tf_refs_of(&u, n->for_each);
        u.has_count = n->count != NULL;
        u.has_each = n->for_each != NULL;
        for (size_t j = 0; !rc && j < n->block->body->nattrs; j++) {
            const sl_hcl_attr *a = &n->block->body->attrs[j];
            if (a->expr != n->count && a->expr != n->for_each && strcmp(a->name, "source"))
                rc = tf_refs_of(&u, a->expr);
        }
        break;
    }
    if (rc) {
        free(u.deps);
        return rc;
    }
    if (u.ndeps) {
        n->deps = sl_hcl_alloc(L->m->arena, u.ndeps * sizeof(size_t));
        if (!n->deps) {
            free(u.deps);
            return SL_ENOMEM;
        }
        memcpy(n->deps, u.deps, u.ndeps * sizeof(size_t));
        n->ndeps = u.ndeps;
    }
    free(u.deps);
    return u.bad ? SL_EINVAL : 0;
}

/* Depth-first topological order; on a cycle, report its members in order. */
static int tf_visit(tf_loader *L, size_t i, unsigned char *state, size_t *stack, size_t depth,
                    size_t *norder)
{
    tf_module *m = L->m;

    if (state[i] == 2)
        return 0;
    if (state[i] == 1) {
        sl_buf b = SL_BUF_INIT;
        size_t from = depth;
        while (from > 0 && stack[from - 1] != i)
            from--;
        if (from > 0)
            from--;
        for (size_t k = from; k < depth; k++)
            if ((k > from && sl_buf_puts(&b, ", ")) || sl_buf_puts(&b, m->nodes[stack[k]].label))
                break;
        sl_hcl_diag_error(L->diags, &m->nodes[i].range, "Cycle in module references",
                          "Cycle: %s. These values refer to each other, so none of them can be "
                          "evaluated first.",
                          b.ptr ? b.ptr : m->nodes[i].label);
        sl_buf_free(&b);
        return SL_EINVAL;
    }
    state[i] = 1;
    stack[depth] = i;
    for (size_t k = 0; k < m->nodes[i].ndeps; k++) {
        int rc = tf_visit(L, m->nodes[i].deps[k], state, stack, depth + 1, norder);
        if (rc)
            return rc;
    }
    state[i] = 2;
    m->order[(*norder)++] = i;
    return 0;
}

static int tf_order(tf_loader *L)
{
    tf_module *m = L->m;
    unsigned char *state = calloc(m->nnodes + 1, 1);
    size_t *stack = calloc(m->nnodes + 1, sizeof(size_t)), norder = 0;
    int rc = 0;

    m->order = sl_hcl_alloc(m->arena, (m->nnodes + 1) * sizeof(size_t));
    if (!state || !stack || !m->order) {
        rc = SL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; !rc && i < m->nnodes; i++)
        rc = tf_visit(L, i, state, stack, 0, &norder);
out:
    free(state);
    free(stack);
    return rc;
}

/* ---- loading ---- */

static int tf_is_tf(const char *name)
{
    size_t n = strlen(name);

    return n > 3 && !strcmp(name + n - 3, ".tf");
}

int tf_cache_load(tf_cache *c, const char *dir, int depth, tf_module **out, sl_hcl_diags *diags)
{
    tf_loader L;
    tf_module *m = NULL;
    sl_strv names = SL_STRV_INIT;
    sl_error err;
    int rc = 0, bad = 0;

    *out = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->mods[i]->dir, dir)) {
            if (c->mods[i]->failed)
                return SL_EINVAL; /* reported when it was loaded */
            *out = c->mods[i];
            return 0;
        }
    memset(&L, 0, sizeof(L));
    if (!(m = calloc(1, sizeof(*m))) || !(m->dir = strdup(dir)) ||
        sl_hcl_arena_new(0, &m->arena)) {
        rc = SL_ENOMEM;
        goto out;
    }
    sl_error_clear(&err);
    if ((rc = sl_snapshot_list(c->snap, dir, &names, &err))) {
        if (rc == SL_ENOTFOUND || rc == SL_EINVAL)
            rc = SL_ENOTFOUND;
        else
            sl_hcl_diag_error(diags, NULL, "Cannot read module", "%s: %s", dir, err.msg);
        goto out;
    }
    for (size_t i = 0; i < names.n; i++) {
        sl_buf data = SL_BUF_INIT;
        sl_hcl_file *f = NULL;
        char *path;
        if (!tf_is_tf(names.v[i]))
            continue;
        if (m->nfiles == TF_MAX_FILES) {
            rc = sl_hcl_diag_error(diags, NULL, "Too many files",
                                   "Module %s has more than %d .tf files.", dir, TF_MAX_FILES);
            goto out;
        }
        if (asprintf(&path, "%s%s%s", dir, dir[0] ? "/" : "", names.v[i]) < 0) {
            rc = SL_ENOMEM;
            goto out;
        }
        rc = sl_snapshot_read(c->snap, path, TF_MAX_FILE_BYTES, &data, &err);
        if (!rc) {
            size_t len = data.len;
            char *src = sl_buf_detach(&data);
            rc = src ? sl_hcl_parse_owned(path, src, len, &c->limits, &f, diags) : SL_ENOMEM;
            if (rc == SL_EINVAL)
                bad = 1, rc = 0;
        } else {
            sl_hcl_diag_error(diags, NULL, "Cannot read module file", "%s: %s", path, err.msg);
        }
        sl_buf_free(&data);
        free(path);
        if (f) {
            sl_hcl_file **v = realloc(m->files, (m->nfiles + 1) * sizeof(*v));
            if (!v) {
                sl_hcl_file_free(f);
                rc = SL_ENOMEM;
                goto out;
            }
            m->files = v;
            m->files[m->nfiles++] = f;
        }
        if (rc)
            goto out;
    }
    if (!m->nfiles) {
        rc = SL_ENOTFOUND;
        goto out;
    }
    if (bad) {
        rc = SL_EINVAL;
        goto out;
    }
    L.cache = c;
    L.m = m;
    L.diags = diags;
    L.depth = depth;
    if ((rc = tf_read_decls(&L)))
        goto out;
    for (size_t i = 0; i < m->nnodes; i++) {
        int r = tf_node_refs(&L, i);
        if (r == SL_ENOMEM) {
            rc = r;
            goto out;
        }
        bad |= r != 0;
    }
    if (bad) {
        rc = SL_EINVAL;
        goto out;
    }
    rc = tf_order(&L);
out:
    /* A module that was parsed stays in the cache even when it failed:
     * the diagnostics point into its files. */
    if (m && m->nfiles && rc != SL_ENOTFOUND) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 8;
            tf_module **v = realloc(c->mods, cap * sizeof(*v));
            if (!v) {
                /* cannot keep it: drop the diagnostics that point into it */
                sl_hcl_diags_free(diags);
                sl_hcl_diag_error(diags, NULL, "Out of memory", "loading module %s", dir);
                tf_module_free(m);
                sl_strv_free(&names);
                return SL_ENOMEM;
            }
            c->mods = v;
            c->cap = cap;
        }
        m->failed = rc != 0;
        c->mods[c->n++] = m;
        if (!rc)
            *out = m;
        m = NULL;
    }
    if (rc == SL_ENOMEM)
        sl_hcl_diag_error(diags, NULL, "Out of memory", "loading module %s", dir);
    sl_strv_free(&names);
    tf_module_free(m);
    return rc;
}
