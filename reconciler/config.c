/* config.c: loading and checking sluice.yaml. */
#include <ctype.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sl_app.h"

#define SL_CONFIG_MAX_BYTES ((size_t)4 << 20)

/* Expand ${NAME} and ${NAME:-default} from the environment in every
 * string of the tree (mapping keys excluded); "$${" stands for a literal
 * "${". */
static int config_expand_env(sl_confctx *c, cJSON *node)
{
    cJSON *it;
    int rc = 0;

    if (cJSON_IsString(node) && strstr(node->valuestring, "${")) {
        sl_buf b = SL_BUF_INIT;
        const char *s = node->valuestring;
        while (*s) {
            if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
                sl_buf_puts(&b, "${");
                s += 3;
            } else if (s[0] == '$' && s[1] == '{') {
                const char *end = strchr(s + 2, '}');
                char name[256];
                const char *val;
                size_t n = end ? (size_t)(end - s - 2) : 0;
                if (!end || n == 0 || n >= sizeof(name)) {
                    rc = sl_conf_error(c, node, "unterminated or empty ${...} in \"%s\"",
                                       node->valuestring);
                    break;
                }
                memcpy(name, s + 2, n);
                name[n] = '\0';
                /* ${NAME:-default}: the default when NAME is unset or empty. */
                char *dflt = strstr(name, ":-");
                if (dflt) {
                    *dflt = '\0';
                    dflt += 2;
                }
                val = getenv(name);
                if ((!val || !*val) && dflt)
                    val = dflt;
                if (!val) {
                    rc = sl_conf_error(c, node, "environment variable %s is not set", name);
                    break;
                }
                sl_buf_puts(&b, val);
                s = end + 1;
            } else {
                sl_buf_putc(&b, *s++);
            }
        }
        if (!rc) {
            char *v = sl_buf_detach(&b);
            if (v) {
                cJSON_free(node->valuestring);
                node->valuestring = v; /* cJSON frees with free() by default hooks */
            }
        }
        sl_buf_free(&b);
        return rc;
    }
    cJSON_ArrayForEach(it, node)
    {
        if (config_expand_env(c, it))
            rc = SL_EINVAL;
    }
    return rc;
}

static int config_limits(sl_confctx *c, const cJSON *node, sl_limits *l)
{
    static const char *const keys[] = {"maxFileSize", "maxAppSize", "maxNodes", "maxDepth", NULL};
    size_t nodes = 0, depth = 0;

    l->doc.max_file_bytes = SL_DOC_DEFAULT_MAX_FILE_BYTES;
    l->doc.max_nodes = SL_DOC_DEFAULT_MAX_NODES;
    l->doc.max_depth = SL_DOC_DEFAULT_MAX_DEPTH;
    l->max_app_bytes = (size_t)256 << 20;
    if (!node)
        return 0;
    if (!cJSON_IsObject(node))
        return sl_conf_error(c, node, "limits must be a mapping");
    sl_conf_check_keys(c, node, keys);
    sl_conf_size(c, node, "maxFileSize", &l->doc.max_file_bytes);
    sl_conf_size(c, node, "maxAppSize", &l->max_app_bytes);
    sl_conf_size(c, node, "maxNodes", &nodes);
    sl_conf_size(c, node, "maxDepth", &depth);
    if (nodes)
        l->doc.max_nodes = nodes;
    if (depth) {
        if (depth > 100000)
            return sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(node, "maxDepth"),
                                 "maxDepth must be at most 100000");
        l->doc.max_depth = (int)depth;
    }
    return 0;
}

/* daemon: { concurrency, driftInterval, backoffMax, historyKeep } and
 * webhook: { maxBodySize, rateLimit } */
static void config_daemon(sl_confctx *c, sl_config *cfg)
{
    static const char *const dkeys[] = {"concurrency", "driftInterval", "backoffMax", "historyKeep",
                                        NULL};
    static const char *const wkeys[] = {"maxBodySize", "rateLimit", NULL};
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(cfg->root, "daemon");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(cfg->root, "webhook");
    const cJSON *v;

    cfg->concurrency = 4;
    cfg->drift_interval = 300;
    cfg->backoff_max = 300;
    cfg->history_keep = 1000;
    cfg->webhook_max_body = (size_t)1 << 20;
    cfg->webhook_rate = 10;
    if (d && !cJSON_IsObject(d))
        sl_conf_error(c, d, "daemon must be a mapping");
    else if (d) {
        sl_conf_check_keys(c, d, dkeys);
        if ((v = cJSON_GetObjectItemCaseSensitive(d, "concurrency"))) {
            if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 64 ||
                v->valuedouble != (int)v->valuedouble)
                sl_conf_error(c, v, "concurrency must be a whole number from 1 to 64");
            else
                cfg->concurrency = (int)v->valuedouble;
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(d, "historyKeep"))) {
            if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1e7)
                sl_conf_error(c, v, "historyKeep must be a number of records (1 or more)");
            else
                cfg->history_keep = (int)v->valuedouble;
        }
        sl_conf_duration(c, d, "driftInterval", &cfg->drift_interval);
        sl_conf_duration(c, d, "backoffMax", &cfg->backoff_max);
    }
    if (w && !cJSON_IsObject(w))
        sl_conf_error(c, w, "webhook must be a mapping");
    else if (w) {
        sl_conf_check_keys(c, w, wkeys);
        sl_conf_size(c, w, "maxBodySize", &cfg->webhook_max_body);
        if ((v = cJSON_GetObjectItemCaseSensitive(w, "rateLimit"))) {
            if (!cJSON_IsNumber(v) || v->valuedouble <= 0)
                sl_conf_error(c, v, "rateLimit must be deliveries per second per source (> 0)");
            else
                cfg->webhook_rate = v->valuedouble;
        }
    }
}

/* Find which registered kind key a source/target map carries. */
static const char *config_kind(sl_confctx *c, const cJSON *node, const char *what,
                               const char *(*lookup)(const char *), const char *known)
{
    const cJSON *it;
    const char *found = NULL;

    cJSON_ArrayForEach(it, node)
    {
        if (lookup(it->string)) {
            if (found) {
                sl_conf_error(c, it, "%s has both \"%s\" and \"%s\"; give exactly one kind", what,
                              found, it->string);
                return NULL;
            }
            found = it->string;
        }
    }
    if (!found)
        sl_conf_error(c, node, "%s needs a kind: one of %s", what, known);
    return found;
}

static const char *source_kind_name(const char *k)
{
    const sl_source_ops *ops = sl_source_lookup(k);
    return ops ? ops->kind : NULL;
}

static const char *applier_kind_name(const char *k)
{
    const sl_applier_ops *ops = sl_applier_lookup(k);
    return ops ? ops->kind : NULL;
}

static void kinds_list(char *buf, size_t n, int which)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0;; i++) {
        const char *k = which == 0 ? (sl_source_registry[i] ? sl_source_registry[i]->kind : NULL)
                        : which == 1
                            ? (sl_applier_registry[i] ? sl_applier_registry[i]->kind : NULL)
                            : (sl_renderer_registry[i] ? sl_renderer_registry[i]->kind : NULL);
        int w;
        if (!k)
            break;
        w = snprintf(buf + off, n - off, "%s%s", i ? ", " : "", k);
        if (w < 0 || (size_t)w >= n - off)
            break;
        off += (size_t)w;
    }
}

static int name_ok(const char *s)
{
    if (!*s || strlen(s) > 253)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return 0;
    return 1;
}

/* sources.<name>.webhook: { github: { secretFile }, generic: { tokenFile } } */
static void config_source_webhook(sl_confctx *c, const cJSON *node, sl_source *src)
{
    static const char *const keys[] = {"github", "generic", NULL};
    static const char *const gh_keys[] = {"secretFile", NULL};
    static const char *const gen_keys[] = {"tokenFile", NULL};
    const cJSON *gh, *gen;
    const char *f;

    if (!node)
        return;
    if (!cJSON_IsObject(node)) {
        sl_conf_error(c, node, "webhook must be a mapping such as { github: { secretFile: F } }");
        return;
    }
    sl_conf_check_keys(c, node, keys);
    gh = cJSON_GetObjectItemCaseSensitive(node, "github");
    gen = cJSON_GetObjectItemCaseSensitive(node, "generic");
    if (!gh && !gen)
        sl_conf_error(c, node, "webhook needs github: or generic:");
    if (gh) {
        /* A webhook without a secret would let anyone trigger fetches: an error. */
        if (!cJSON_IsObject(gh))
            sl_conf_error(c, gh, "webhook.github must be a mapping { secretFile: F }");
        else if (!sl_conf_check_keys(c, gh, gh_keys) && !sl_conf_str(c, gh, "secretFile", 1, &f))
            src->webhook_secret_file = sl_conf_path(c, f);
    }
    if (gen) {
        if (!cJSON_IsObject(gen))
            sl_conf_error(c, gen, "webhook.generic must be a mapping { tokenFile: F }");
        else if (!sl_conf_check_keys(c, gen, gen_keys) && !sl_conf_str(c, gen, "tokenFile", 1, &f))
            src->webhook_token_file = sl_conf_path(c, f);
    }
}

/* Check one entry of sources: or targets: (what = "source"/"target") and
 * return the kind it names, or NULL after reporting why not. */
static const char *config_entry_kind(sl_confctx *c, const cJSON *it, const char *what,
                                     const char *example, const char *(*lookup)(const char *),
                                     const char *known)
{
    if (!name_ok(it->string)) {
        sl_conf_error(c, it, "%s name \"%s\" may hold only letters, digits, - _ .", what,
                      it->string);
        return NULL;
    }
    if (!cJSON_IsObject(it)) {
        sl_conf_error(c, it, "%s \"%s\" must be a mapping such as %s", what, it->string,
                      example);
        return NULL;
    }
    return config_kind(c, it, what, lookup, known);
}

/* Check that a sources:/targets: section is a mapping and allocate room for
 * its entries (*out zeroed, one spare; NULL when there is no section or it
 * is not a mapping). Returns the number of entries. */
static size_t config_section(sl_confctx *c, const cJSON *node, const char *what, size_t size,
                             void **out)
{
    *out = NULL;
    if (!node)
        return 0;
    if (!cJSON_IsObject(node)) {
        sl_conf_error(c, node, "%ss must be a mapping of name to %s", what, what);
        return 0;
    }
    *out = calloc((size_t)cJSON_GetArraySize(node) + 1, size);
    return *out ? (size_t)cJSON_GetArraySize(node) : 0;
}

static void config_sources(sl_config *cfg, sl_confctx *c, const cJSON *node)
{
    const cJSON *it;
    char known[256];
    void *mem;

    config_section(c, node, "source", sizeof(*cfg->sources), &mem);
    if (!(cfg->sources = mem))
        return;
    kinds_list(known, sizeof(known), 0);
    cJSON_ArrayForEach(it, node)
    {
        sl_source *src = &cfg->sources[cfg->nsources];
        const char *kind = config_entry_kind(c, it, "source", "{ git: URL }", source_kind_name,
                                             known);
        if (!kind)
            continue;
        src->ops = sl_source_lookup(kind);
        src->name = strdup(it->string);
        src->state_dir = strdup(cfg->state_dir);
        src->interval = 60;
        sl_conf_duration(c, it, "interval", &src->interval);
        config_source_webhook(c, cJSON_GetObjectItemCaseSensitive(it, "webhook"), src);
        cfg->nsources++;
        src->ops->open(src, it, c); /* reports its own problems */
    }
}

static void config_targets(sl_config *cfg, sl_confctx *c, const cJSON *node)
{
    const cJSON *it;
    char known[256];
    void *mem;

    config_section(c, node, "target", sizeof(*cfg->targets), &mem);
    if (!(cfg->targets = mem))
        return;
    kinds_list(known, sizeof(known), 1);
    cJSON_ArrayForEach(it, node)
    {
        sl_target *t = &cfg->targets[cfg->ntargets];
        const char *kind = config_entry_kind(c, it, "target", "{ directory: PATH }",
                                             applier_kind_name, known);
        if (!kind)
            continue;
        t->ops = sl_applier_lookup(kind);
        t->name = strdup(it->string);
        cfg->ntargets++;
        t->ops->open(t, it, c);
    }
}

/* render: NAME  or  render: { NAME: {options} } */
static void config_render(sl_confctx *c, const cJSON *node, const cJSON *app, sl_appspec *spec)
{
    const cJSON *opts = NULL;
    const char *kind = NULL;
    char known[256];

    kinds_list(known, sizeof(known), 2);
    if (!node) {
        sl_conf_error(c, app, "app needs render: (one of %s)", known);
        return;
    }
    if (cJSON_IsString(node)) {
        kind = node->valuestring;
    } else if (cJSON_IsObject(node) && cJSON_GetArraySize(node) == 1) {
        kind = node->child->string;
        opts = node->child;
        if (cJSON_IsNull(opts))
            opts = NULL;
        else if (!cJSON_IsObject(opts)) {
            sl_conf_error(c, opts, "options of renderer \"%s\" must be a mapping", kind);
            return;
        }
    } else {
        sl_conf_error(c, node, "render must name exactly one renderer (one of %s)", known);
        return;
    }
    spec->renderer = sl_renderer_lookup(kind);
    if (!spec->renderer) {
        sl_conf_error(c, opts ? opts : node, "unknown renderer \"%s\" (known: %s)", kind, known);
        return;
    }
    if (opts && sl_doc_copy(opts, c->pm, &spec->render_opts))
        return;
    /* With each:, options hold {{ var }} holes; they are configured per
     * generated app. Configure now anyway so that validate reports shape
     * errors; the holes stay as text. */
    spec->renderer->configure(spec->render_opts, c, &spec->opts);
}

/* prune: true | false | { enabled: BOOL, maxShare: 0..1, maxCount: N }. A
 * mapping turns prune on unless enabled: false. The mass-prune guard is
 * off unless maxShare or maxCount is set. */
static void config_prune(sl_confctx *c, const cJSON *app, sl_appspec *spec)
{
    static const char *const keys[] = {"enabled", "maxShare", "maxCount", NULL};
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(app, "prune"), *x;

    if (!v || cJSON_IsBool(v) || cJSON_IsNull(v)) {
        sl_conf_bool(c, app, "prune", &spec->prune);
        return;
    }
    if (!cJSON_IsObject(v)) {
        sl_conf_error(c, v, "field \"prune\" must be true or false, or a mapping "
                            "{ maxShare: 0.5, maxCount: N }");
        return;
    }
    sl_conf_check_keys(c, v, keys);
    spec->prune = 1;
    sl_conf_bool(c, v, "enabled", &spec->prune);
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "maxShare"))) {
        if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 1)
            sl_conf_error(c, x, "prune.maxShare must be a number from 0 to 1 (0 = no limit)");
        else
            spec->max_prune_share = x->valuedouble;
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "maxCount"))) {
        if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble != (double)(long)x->valuedouble)
            sl_conf_error(c, x, "prune.maxCount must be a whole number >= 0 (0 = no limit)");
        else
            spec->max_prune_count = (size_t)x->valuedouble;
    }
}

static void config_apps(sl_config *cfg, sl_confctx *c, const cJSON *node)
{
    static const char *const keys[] = {"name",     "source",    "target",     "each",
                                       "render",   "prune",     "allowEmpty", "suspend",
                                       "selfHeal", "namespace", NULL};
    const cJSON *app;
    size_t i = 0;

    if (!node)
        return;
    if (!cJSON_IsArray(node)) {
        sl_conf_error(c, node, "apps must be a list");
        return;
    }
    cfg->specs = calloc((size_t)cJSON_GetArraySize(node) + 1, sizeof(*cfg->specs));
    if (!cfg->specs)
        return;
    cJSON_ArrayForEach(app, node)
    {
        sl_appspec *spec = &cfg->specs[i];
        const char *name, *source, *target, *each, *ns;
        if (!cJSON_IsObject(app)) {
            sl_conf_error(c, app, "each app must be a mapping");
            continue;
        }
        cfg->nspecs = ++i;
        sl_posmap_get(c->pm, app, &spec->pos);
        sl_conf_check_keys(c, app, keys);
        sl_conf_str(c, app, "name", 1, &name);
        sl_conf_str(c, app, "source", 1, &source);
        sl_conf_str(c, app, "target", 1, &target);
        sl_conf_str(c, app, "each", 0, &each);
        sl_conf_str(c, app, "namespace", 0, &ns);
        spec->self_heal = 1;
        config_prune(c, app, spec);
        sl_conf_bool(c, app, "allowEmpty", &spec->allow_empty);
        sl_conf_bool(c, app, "suspend", &spec->suspend);
        sl_conf_bool(c, app, "selfHeal", &spec->self_heal);
        spec->name = name ? strdup(name) : NULL;
        spec->each = each ? strdup(each) : NULL;
        spec->namespace = ns ? strdup(ns) : NULL;
        if (name && !each && strstr(name, "{{"))
            sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(app, "name"),
                          "app name \"%s\" has a {{ }} hole but the app has no each: "
                          "generator to fill it",
                          name);
        else if (name && !each && !name_ok(name))
            sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(app, "name"),
                          "app name \"%s\" may hold only letters, digits, - _ .", name);
        if (name && each && !strstr(name, "{{"))
            sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(app, "name"),
                          "an app with each: needs a name with a hole such as \"{{ dir }}\", "
                          "or every generated app would have the same name");
        if (source && !(spec->source = sl_config_source(cfg, source)))
            sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(app, "source"),
                          "unknown source \"%s\"", source);
        if (target && !(spec->target = sl_config_target(cfg, target)))
            sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(app, "target"),
                          "unknown target \"%s\"", target);
        config_render(c, cJSON_GetObjectItemCaseSensitive(app, "render"), app, spec);
        for (size_t j = 0; j + 1 < i && name && !each; j++)
            if (cfg->specs[j].name && !cfg->specs[j].each && !strcmp(cfg->specs[j].name, name))
                sl_conf_error(c, cJSON_GetObjectItemCaseSensitive(app, "name"),
                              "app \"%s\" is defined twice (first at line %d)", name,
                              cfg->specs[j].pos.line);
    }
}

int sl_config_load(const char *file, sl_config **out, sl_diags *diags)
{
    sl_buf data = SL_BUF_INIT;
    sl_error err;
    int rc;

    sl_error_clear(&err);
    *out = NULL;
    if ((rc = sl_file_read(file, SL_CONFIG_MAX_BYTES, &data, &err))) {
        sl_diags_add(diags, &err);
        return rc;
    }
    rc = sl_config_parse(file, data.ptr, data.len, out, diags);
    sl_buf_free(&data);
    return rc;
}

int sl_config_parse(const char *file, const char *text, size_t len, sl_config **out,
                    sl_diags *diags)
{
    static const char *const keys[] = {"stateDir", "listen", "limits",  "sources", "targets",
                                       "apps",     "daemon", "webhook", NULL};
    sl_config *cfg = NULL;
    sl_docv docs = {0};
    sl_error err;
    sl_confctx c;
    char *tmp = NULL;
    const char *state;
    size_t before = diags->n;
    int rc = 0;

    sl_error_clear(&err);
    *out = NULL;
    cfg = calloc(1, sizeof(*cfg));
    if (!cfg || sl_posmap_new(&cfg->pm)) {
        rc = SL_ENOMEM;
        goto out;
    }
    cfg->file = strdup(file);
    tmp = strdup(file);
    cfg->base_dir = strdup(dirname(tmp));
    memset(&c, 0, sizeof(c));
    c.file = file;
    c.base_dir = cfg->base_dir;
    c.pm = cfg->pm;
    c.diags = diags;

    if ((rc = sl_yaml_parse(file, text, len, NULL, cfg->pm, &docs, &err))) {
        sl_diags_add(diags, &err);
        goto out;
    }
    if (docs.n != 1 || !cJSON_IsObject(docs.v[0])) {
        sl_diags_addpos(diags, SL_EINVAL, file, 1, 1,
                        "expected one YAML document holding a mapping (stateDir, sources, "
                        "targets, apps)");
        rc = SL_EINVAL;
        goto out;
    }
    cfg->root = docs.v[0];
    docs.v[0] = NULL;
    config_expand_env(&c, cfg->root);
    sl_conf_check_keys(&c, cfg->root, keys);

    sl_conf_str(&c, cfg->root, "stateDir", 0, &state);
    {
        char *p = sl_conf_path(&c, state ? state : "/var/lib/sluice");
        char abs[PATH_MAX];
        if (p && p[0] != '/' && getcwd(abs, sizeof(abs))) {
            char *joined;
            if (asprintf(&joined, "%s/%s", abs, p) >= 0) {
                free(p);
                p = joined;
            }
        }
        cfg->state_dir = p;
    }
    {
        const char *listen;
        sl_conf_str(&c, cfg->root, "listen", 0, &listen);
        cfg->listen = listen ? strdup(listen) : NULL;
    }
    config_limits(&c, cJSON_GetObjectItemCaseSensitive(cfg->root, "limits"), &cfg->limits);
    config_daemon(&c, cfg);
    config_sources(cfg, &c, cJSON_GetObjectItemCaseSensitive(cfg->root, "sources"));
    config_targets(cfg, &c, cJSON_GetObjectItemCaseSensitive(cfg->root, "targets"));
    config_apps(cfg, &c, cJSON_GetObjectItemCaseSensitive(cfg->root, "apps"));
    if (!cJSON_GetObjectItemCaseSensitive(cfg->root, "apps"))
        sl_conf_error(&c, cfg->root, "missing required field \"apps\"");
    if (diags->n > before)
        rc = SL_EINVAL;
out:
    free(tmp);
    sl_docv_free(&docs);
    if (rc) {
        sl_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

void sl_config_free(sl_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->nspecs; i++) {
        sl_appspec *s = &cfg->specs[i];
        if (s->renderer && s->opts)
            s->renderer->free_opts(s->opts);
        cJSON_Delete(s->render_opts);
        free(s->name);
        free(s->each);
        free(s->namespace);
    }
    free(cfg->specs);
    for (size_t i = 0; i < cfg->nsources; i++) {
        sl_source *s = &cfg->sources[i];
        if (s->ops && s->ops->close)
            s->ops->close(s);
        free(s->name);
        free(s->state_dir);
        free(s->webhook_secret_file);
        free(s->webhook_token_file);
    }
    free(cfg->sources);
    for (size_t i = 0; i < cfg->ntargets; i++) {
        sl_target *t = &cfg->targets[i];
        if (t->ops && t->ops->close)
            t->ops->close(t);
        free(t->name);
    }
    free(cfg->targets);
    cJSON_Delete(cfg->root);
    sl_posmap_free(cfg->pm);
    free(cfg->file);
    free(cfg->base_dir);
    free(cfg->state_dir);
    free(cfg->listen);
    free(cfg);
}

sl_source *sl_config_source(const sl_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nsources; i++)
        if (cfg->sources[i].name && !strcmp(cfg->sources[i].name, name))
            return &cfg->sources[i];
    return NULL;
}

sl_target *sl_config_target(const sl_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->ntargets; i++)
        if (cfg->targets[i].name && !strcmp(cfg->targets[i].name, name))
            return &cfg->targets[i];
    return NULL;
}
