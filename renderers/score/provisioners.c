/* provisioners.c: score-k8s provisioner files (a YAML list of template://
 * and cmd:// provisioners), matching by type/class/id, and running them:
 * template stages through the Go-template engine, commands through
 * fork/exec with score-k8s's JSON protocol on stdin/stdout, a timeout and
 * an output cap. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/sha.h>

#include "gotmpl.h"
#include "score_int.h"

extern const char sl_score_default_provisioners[];

enum { ST_INIT, ST_STATE, ST_SHARED, ST_OUTPUTS, ST_MANIFESTS, ST_N };
static const char *const stage_names[ST_N] = {"init", "state", "shared", "outputs", "manifests"};

struct score_prov {
    char *uri, *type, *cls, *id; /* cls/id NULL: any */
    char *file;                  /* where it was defined */
    int line, col;
    int is_cmd;
    /* template:// */
    char *src[ST_N];
    int sline[ST_N], scol[ST_N];
    sl_gotmpl *tmpl[ST_N]; /* parsed on first use */
    int parsed[ST_N];
    /* cmd:// */
    char *bin; /* resolved executable */
    sl_strv args;
};

static void prov_free(score_prov *p)
{
    if (!p)
        return;
    free(p->uri);
    free(p->type);
    free(p->cls);
    free(p->id);
    free(p->file);
    for (int i = 0; i < ST_N; i++) {
        free(p->src[i]);
        sl_gotmpl_free(p->tmpl[i]);
    }
    free(p->bin);
    sl_strv_free(&p->args);
    free(p);
}

void score_provs_free(score_provs *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->n; i++)
        prov_free(ps->v[i]);
    free(ps->v);
    free(ps->bin_dir);
    memset(ps, 0, sizeof(*ps));
}

const char *score_prov_uri(const score_prov *p)
{
    return p->uri;
}

const score_prov *score_provs_match(const score_provs *ps, const char *type, const char *cls,
                                    const char *id)
{
    for (size_t i = 0; i < ps->n; i++) {
        const score_prov *p = ps->v[i];
        if (strcmp(p->type, type) || (p->cls && strcmp(p->cls, cls)) ||
            (p->id && strcmp(p->id, id)))
            continue;
        return p;
    }
    return ps->defaults ? score_provs_match(ps->defaults, type, cls, id) : NULL;
}

/* Where a block scalar's text starts: the line after its '|' or '>'. */
static void scalar_start(const char *data, size_t len, int line, int col, int *oline, int *ocol)
{
    size_t off = 0;
    int l = 1;

    *oline = line;
    *ocol = col;
    while (off < len && l < line)
        if (data[off++] == '\n')
            l++;
    off += (size_t)(col > 0 ? col - 1 : 0);
    if (off >= len || (data[off] != '|' && data[off] != '>'))
        return;
    while (off < len && data[off] != '\n')
        off++;
    if (off >= len)
        return;
    off++;
    *oline = line + 1;
    *ocol = 1;
    while (off < len && data[off] == ' ') {
        off++;
        (*ocol)++;
    }
}

/* Write a script from the snapshot to the private bin folder (named by its
 * content digest) and return its path. */
static int extract_script(score_provs *ps, sl_snapshot *snap, const char *path, char **out,
                          sl_error *err)
{
    sl_buf b = SL_BUF_INIT;
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[17], *dst = NULL, *tmp = NULL;
    const char *base = strrchr(path, '/');
    struct stat sb;
    int rc, fd = -1;

    if ((rc = sl_snapshot_read(snap, path, (size_t)16 << 20, &b, err)))
        goto out;
    if (!ps->bin_dir) {
        char t[] = "/tmp/sluice-score-bin.XXXXXX";
        if (!mkdtemp(t)) {
            rc = sl_error_set(err, SL_EIO, "cannot create a folder for provisioner scripts: %s",
                              strerror(errno));
            goto out;
        }
        if (!(ps->bin_dir = strdup(t))) {
            rc = sl_error_set(err, SL_ENOMEM, "out of memory");
            goto out;
        }
    }
    SHA256((const unsigned char *)(b.ptr ? b.ptr : ""), b.len, md);
    for (int i = 0; i < 8; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    if (asprintf(&dst, "%s/%s-%s", ps->bin_dir, hex, base ? base + 1 : path) < 0 ||
        asprintf(&tmp, "%s.tmp.%d.%lx", dst, (int)getpid(), (unsigned long)pthread_self()) < 0) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (stat(dst, &sb) == 0) {
        *out = dst;
        dst = NULL;
        goto out;
    }
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700)) < 0 ||
        (b.len && write(fd, b.ptr, b.len) != (ssize_t)b.len) || close(fd)) {
        rc = sl_error_set(err, SL_EIO, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
        goto out;
    }
    if (rename(tmp, dst)) {
        rc = sl_error_set(err, SL_EIO, "cannot rename %s: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    *out = dst;
    dst = NULL;
out:
    free(dst);
    free(tmp);
    sl_buf_free(&b);
    return rc;
}

/* Find name on $PATH. */
static char *path_lookup(const char *name)
{
    const char *path = getenv("PATH");
    char *copy, *save = NULL, *dir, *found = NULL;

    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    if (!(copy = strdup(path)))
        return NULL;
    for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *cand;
        if (asprintf(&cand, "%s/%s", *dir ? dir : ".", name) < 0)
            break;
        if (access(cand, X_OK) == 0)
            found = cand;
        else
            free(cand);
    }
    free(copy);
    return found;
}

/* Resolve cmd://HOST/PATH[#fragment] as score-k8s does; HOST "." and ".."
 * are relative to the provisioner file's folder in its snapshot. */
static int cmd_resolve(score_provs *ps, score_prov *p, sl_snapshot *snap, sl_error *err)
{
    const char *rest = p->uri + strlen("cmd://");
    size_t n = strcspn(rest, "#");
    char *u = strndup(rest, n), *slash, *host, *path;
    int rc = 0;

    if (!u)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    slash = strchr(u, '/');
    path = slash ? strdup(slash) : strdup("");
    if (slash)
        *slash = '\0';
    host = u;
    if (!path) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (strchr(u, '?') || strchr(path, '?')) {
        rc = sl_error_setpos(err, SL_EINVAL, p->file, p->line, p->col,
                             "cmd provisioner uri cannot contain query params");
    } else if (strchr(host, '@')) {
        rc = sl_error_setpos(err, SL_EINVAL, p->file, p->line, p->col,
                             "cmd provisioner uri cannot contain user info");
    } else if (strchr(host, ':')) {
        rc = sl_error_setpos(err, SL_EINVAL, p->file, p->line, p->col,
                             "cmd provisioner uri cannot contain a port");
    } else if (!*host) {
        if (!*path)
            rc = sl_error_setpos(err, SL_EINVAL, p->file, p->line, p->col,
                                 "cmd provisioner uri has no command");
        else if (!(p->bin = strdup(path)))
            rc = SL_ENOMEM;
    } else if (!strcmp(host, "~")) {
        const char *home = getenv("HOME");
        if (asprintf(&p->bin, "%s%s", home ? home : "", path) < 0)
            rc = SL_ENOMEM;
    } else if (!strcmp(host, ".") || !strcmp(host, "..")) {
        sl_buf dir = SL_BUF_INIT, rel = SL_BUF_INIT;
        const char *fs = strrchr(p->file, '/');
        if (!snap) {
            rc = sl_error_setpos(err, SL_EINVAL, p->file, p->line, p->col,
                                 "a relative cmd:// provisioner needs a provisioners file in a "
                                 "source");
        } else {
            if (fs)
                sl_buf_put(&dir, p->file, (size_t)(fs - p->file));
            sl_buf_printf(&dir, "/%s%s", host, path);
            if ((rc = sl_path_normalize(dir.ptr, &rel, err)))
                sl_error_prefix(err, "%s:%d:%d: cmd provisioner %s", p->file, p->line, p->col,
                                p->uri);
            else if ((rc = extract_script(ps, snap, rel.ptr, &p->bin, err)))
                sl_error_prefix(err, "%s:%d:%d: cmd provisioner %s", p->file, p->line, p->col,
                                p->uri);
        }
        sl_buf_free(&dir);
        sl_buf_free(&rel);
    } else {
        if (*path)
            rc = sl_error_setpos(err, SL_EINVAL, p->file, p->line, p->col,
                                 "direct command reference cannot contain additional path parts");
        else if (!(p->bin = path_lookup(host)))
            rc = sl_error_setpos(err, SL_EINVAL, p->file, p->line, p->col,
                                 "failed to find '%s' on path", host);
    }
    if (rc == SL_ENOMEM)
        sl_error_set(err, rc, "out of memory");
out:
    free(u);
    free(path);
    return rc;
}

static int str_field(const cJSON *item, const char *key, const sl_posmap *pm, int nullable,
                     char **out, sl_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);

    *out = NULL;
    if (!v || (nullable && cJSON_IsNull(v)))
        return 0;
    if (!cJSON_IsString(v)) {
        sl_error_set(err, SL_EINVAL, "%s must be a string", key);
        return score_err_at(err, pm, v);
    }
    if (!(*out = strdup(v->valuestring)))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    return 0;
}

static int load_one(score_provs *ps, const char *file, const char *data, size_t len,
                    const cJSON *item, const sl_posmap *pm, sl_snapshot *snap, sl_error *err)
{
    static const char *const keys[] = {"uri",    "type",      "class",   "id",
                                       "description", "init", "state",   "shared",
                                       "outputs", "manifests", "supported_params",
                                       "expected_outputs", "args", NULL};
    score_prov *p = calloc(1, sizeof(*p));
    const cJSON *it;
    sl_pos pos;
    int rc = 0;

    if (!p || !(p->file = strdup(file)))
        goto nomem;
    if (sl_posmap_get(pm, item, &pos) == 0) {
        p->line = pos.line;
        p->col = pos.col;
    }
    if (!cJSON_IsObject(item)) {
        rc = sl_error_setpos(err, SL_EINVAL, file, p->line, p->col,
                             "expected a provisioner (a mapping with uri and type)");
        goto out;
    }
    cJSON_ArrayForEach(it, item)
    {
        size_t k = 0;
        while (keys[k] && strcmp(keys[k], it->string))
            k++;
        if (!keys[k]) {
            sl_error_set(err, SL_EINVAL,
                         "unknown provisioner field '%s' (expected uri, type, class, id, "
                         "description, init, state, shared, outputs, manifests, "
                         "supported_params, expected_outputs or args)",
                         it->string);
            rc = score_err_at(err, pm, it);
            goto out;
        }
    }
    if ((rc = str_field(item, "uri", pm, 0, &p->uri, err)) ||
        (rc = str_field(item, "type", pm, 0, &p->type, err)) ||
        (rc = str_field(item, "class", pm, 1, &p->cls, err)) ||
        (rc = str_field(item, "id", pm, 1, &p->id, err)))
        goto out;
    if (!p->uri || !*p->uri) {
        rc = sl_error_setpos(err, SL_EINVAL, file, p->line, p->col, "provisioner: uri not set");
        goto out;
    }
    if (!p->type || !*p->type) {
        rc = sl_error_setpos(err, SL_EINVAL, file, p->line, p->col, "provisioner: type not set");
        goto out;
    }
    if (!strncmp(p->uri, "template://", 11)) {
        for (int s = 0; s < ST_N; s++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, stage_names[s]);
            if ((rc = str_field(item, stage_names[s], pm, 1, &p->src[s], err)))
                goto out;
            if (v && sl_posmap_get(pm, v, &pos) == 0)
                scalar_start(data, len, pos.line, pos.col, &p->sline[s], &p->scol[s]);
        }
        if (cJSON_GetObjectItemCaseSensitive(item, "args")) {
            rc = sl_error_setpos(err, SL_EINVAL, file, p->line, p->col,
                                 "template provisioner %s: args are for cmd:// provisioners",
                                 p->uri);
            goto out;
        }
    } else if (!strncmp(p->uri, "cmd://", 6)) {
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(item, "args");
        p->is_cmd = 1;
        for (int s = 0; s < ST_N; s++)
            if (cJSON_GetObjectItemCaseSensitive(item, stage_names[s])) {
                rc = sl_error_setpos(err, SL_EINVAL, file, p->line, p->col,
                                     "cmd provisioner %s: '%s' is for template:// provisioners",
                                     p->uri, stage_names[s]);
                goto out;
            }
        if (args && !cJSON_IsArray(args) && !cJSON_IsNull(args)) {
            sl_error_set(err, SL_EINVAL, "args must be a list of strings");
            rc = score_err_at(err, pm, args);
            goto out;
        }
        if (!cJSON_IsArray(args))
            args = NULL;
        cJSON_ArrayForEach(it, args)
        {
            if (!cJSON_IsString(it)) {
                sl_error_set(err, SL_EINVAL, "args must be a list of strings");
                rc = score_err_at(err, pm, it);
                goto out;
            }
            if (sl_strv_push(&p->args, it->valuestring))
                goto nomem;
        }
        if ((rc = cmd_resolve(ps, p, snap, err)))
            goto out;
    } else {
        rc = sl_error_setpos(err, SL_EINVAL, file, p->line, p->col,
                             "unsupported provisioner uri '%s' (expected template:// or cmd://)",
                             p->uri);
        goto out;
    }
    if (ps->n == ps->cap) {
        size_t ncap = ps->cap ? ps->cap * 2 : 16;
        score_prov **nv = realloc(ps->v, ncap * sizeof(*nv));
        if (!nv)
            goto nomem;
        ps->v = nv;
        ps->cap = ncap;
    }
    ps->v[ps->n++] = p;
    return 0;
nomem:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
    prov_free(p);
    return rc;
}

int score_provs_load(score_provs *ps, const char *file, const char *data, size_t len,
                     sl_snapshot *snap, sl_error *err)
{
    sl_posmap *pm = NULL;
    sl_docv dv = {0};
    const cJSON *it;
    int rc;

    if ((rc = sl_posmap_new(&pm)))
        return sl_error_set(err, rc, "out of memory");
    if ((rc = sl_yaml_parse(file, data, len, NULL, pm, &dv, err)))
        goto out;
    for (size_t d = 0; !rc && d < dv.n; d++) {
        if (!cJSON_IsArray(dv.v[d])) {
            rc = sl_error_setpos(err, SL_EINVAL, file, dv.pos[d].line, dv.pos[d].col,
                                 "expected a list of provisioners");
            goto out;
        }
        cJSON_ArrayForEach(it, dv.v[d])
        {
            if ((rc = load_one(ps, file, data, len, it, pm, snap, err)))
                goto out;
        }
    }
out:
    sl_docv_free(&dv);
    sl_posmap_free(pm);
    return rc;
}

/* The built-in provisioners are parsed once per process, every template
 * stage included, and then only read (by any number of renders at once). */
static score_provs g_defaults;
static sl_error g_defaults_err;
static int g_defaults_rc;
static pthread_once_t g_defaults_once = PTHREAD_ONCE_INIT;

static int parse_stage(score_prov *p, int s, sl_error *err);

static void defaults_init(void)
{
    g_defaults_rc = score_provs_load(&g_defaults, "(default provisioners)",
                                     sl_score_default_provisioners,
                                     strlen(sl_score_default_provisioners), NULL,
                                     &g_defaults_err);
    for (size_t i = 0; !g_defaults_rc && i < g_defaults.n; i++)
        for (int s = 0; !g_defaults_rc && s < ST_N; s++)
            g_defaults_rc = parse_stage(g_defaults.v[i], s, &g_defaults_err);
}

int score_provs_load_defaults(score_provs *ps, sl_error *err)
{
    pthread_once(&g_defaults_once, defaults_init);
    if (g_defaults_rc) {
        *err = g_defaults_err;
        return g_defaults_rc;
    }
    ps->defaults = &g_defaults;
    return 0;
}

void score_prov_io_fini(score_prov_io *io)
{
    cJSON_Delete(io->new_state);
    cJSON_Delete(io->outputs);
    cJSON_Delete(io->manifests);
    io->new_state = io->outputs = io->manifests = NULL;
}

/* score-k8s adds encodeSecretRef(name, key) to the template functions; it is
 * spelled here with printf, which gives the same marker string. Only the
 * identifier inside actions ({{ ... }}) is rewritten, not template text. */
static char *rewrite_secret_ref(const char *src)
{
    static const char fn[] = "encodeSecretRef";
    static const char repl[] = "printf \"" SCORE_SECRET_PREFIX "%s_%s" SCORE_SECRET_SUFFIX "\"";
    sl_buf b = SL_BUF_INIT;
    const char *s = src;
    int in_action = 0;

    while (*s) {
        if (!in_action && s[0] == '{' && s[1] == '{') {
            in_action = 1;
            sl_buf_put(&b, s, 2);
            s += 2;
        } else if (in_action && s[0] == '}' && s[1] == '}') {
            in_action = 0;
            sl_buf_put(&b, s, 2);
            s += 2;
        } else if (in_action && !strncmp(s, fn, sizeof(fn) - 1)) {
            char before = s == src ? ' ' : s[-1], after = s[sizeof(fn) - 1];
            int ident = before == '_' || before == '.' || before == '$' ||
                        (before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') ||
                        (before >= '0' && before <= '9') || after == '_' ||
                        (after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z') ||
                        (after >= '0' && after <= '9');
            sl_buf_puts(&b, ident ? fn : repl);
            s += sizeof(fn) - 1;
        } else {
            sl_buf_putc(&b, *s++);
        }
    }
    return sl_buf_detach(&b);
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return 0;
    return 1;
}

/* Parse stage s of p unless done (an absent or blank stage is nothing). */
static int parse_stage(score_prov *p, int s, sl_error *err)
{
    char *src;
    int rc;

    if (p->parsed[s] || !p->src[s] || blank(p->src[s], strlen(p->src[s])))
        return 0;
    if (!(src = rewrite_secret_ref(p->src[s])))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    rc = sl_gotmpl_parse(p->file, p->sline[s], p->scol[s], src, strlen(src), &p->tmpl[s], err);
    free(src);
    if (!rc)
        p->parsed[s] = 1;
    return rc;
}

/* Evaluate one stage and decode its YAML output: *out is an object (or a
 * list for manifests), NULL when the stage is absent or printed nothing. */
static int run_stage(score_prov *p, int s, const cJSON *data, cJSON **out, sl_error *err)
{
    sl_buf b = SL_BUF_INIT;
    sl_docv dv = {0};
    char name[64];
    int rc = 0;

    *out = NULL;
    if (!p->src[s] || blank(p->src[s], strlen(p->src[s])))
        return 0;
    if ((rc = parse_stage(p, s, err)))
        return rc;
    b.max = (size_t)16 << 20;
    if ((rc = sl_gotmpl_exec(p->tmpl[s], data, &b, err)))
        goto out;
    if (blank(b.ptr ? b.ptr : "", b.len))
        goto out;
    snprintf(name, sizeof(name), "%s output", stage_names[s]);
    if ((rc = sl_yaml_parse(name, b.ptr, b.len, NULL, NULL, &dv, err))) {
        sl_error_prefix(err, "failed to decode output");
        goto out;
    }
    if (dv.n != 1 || (s == ST_MANIFESTS ? !cJSON_IsArray(dv.v[0]) : !cJSON_IsObject(dv.v[0]))) {
        rc = sl_error_set(err, SL_EINVAL, "failed to decode output: expected %s, got: %.200s",
                          s == ST_MANIFESTS ? "a list of manifests" : "a mapping", b.ptr);
        goto out;
    }
    *out = dv.v[0];
    dv.v[0] = NULL;
out:
    sl_docv_free(&dv);
    sl_buf_free(&b);
    return rc;
}

static cJSON *ref_or_empty(const cJSON *v, int array)
{
    cJSON *c = v ? cJSON_Duplicate(v, 1) : NULL;
    return c ? c : array ? cJSON_CreateArray() : cJSON_CreateObject();
}

static int run_template(score_prov *p, score_prov_io *io, sl_error *err)
{
    cJSON *data = cJSON_CreateObject(), *init = NULL, *shared_patch = NULL, *tmp;
    int rc = 0;

    if (!data || !cJSON_AddStringToObject(data, "Guid", io->guid) ||
        !cJSON_AddStringToObject(data, "Uid", io->uid) ||
        !cJSON_AddStringToObject(data, "Type", io->type) ||
        !cJSON_AddStringToObject(data, "Class", io->cls) ||
        !cJSON_AddStringToObject(data, "Id", io->id) ||
        !cJSON_AddStringToObject(data, "SourceWorkload", io->source_workload) ||
        !cJSON_AddStringToObject(data, "Namespace", io->ns ? io->ns : ""))
        goto nomem;
    cJSON_AddItemToObject(data, "Params", ref_or_empty(io->params, 0));
    cJSON_AddItemToObject(data, "Metadata", ref_or_empty(io->metadata, 0));
    cJSON_AddItemToObject(data, "WorkloadMetadata", ref_or_empty(io->workload_metadata, 0));
    cJSON_AddItemToObject(data, "WorkloadServices", ref_or_empty(io->workload_services, 0));
    cJSON_AddItemToObject(data, "State", ref_or_empty(io->state, 0));
    cJSON_AddItemToObject(data, "Shared", ref_or_empty(io->shared, 0));
    if ((rc = run_stage(p, ST_INIT, data, &init, err))) {
        sl_error_prefix(err, "init template failed");
        goto out;
    }
    cJSON_AddItemToObject(data, "Init", init ? init : cJSON_CreateObject());
    if ((rc = run_stage(p, ST_STATE, data, &io->new_state, err))) {
        sl_error_prefix(err, "state template failed");
        goto out;
    }
    if (!io->new_state && !(io->new_state = cJSON_CreateObject()))
        goto nomem;
    if (!(tmp = cJSON_Duplicate(io->new_state, 1)))
        goto nomem;
    cJSON_ReplaceItemInObjectCaseSensitive(data, "State", tmp);
    if ((rc = run_stage(p, ST_SHARED, data, &shared_patch, err))) {
        sl_error_prefix(err, "shared template failed");
        goto out;
    }
    if (shared_patch) {
        if (score_patch_map(io->shared, shared_patch) ||
            score_patch_map(cJSON_GetObjectItemCaseSensitive(data, "Shared"), shared_patch))
            goto nomem;
    }
    if ((rc = run_stage(p, ST_OUTPUTS, data, &io->outputs, err))) {
        sl_error_prefix(err, "outputs template failed");
        goto out;
    }
    if ((rc = run_stage(p, ST_MANIFESTS, data, &io->manifests, err))) {
        sl_error_prefix(err, "manifests template failed");
        goto out;
    }
    goto out;
nomem:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
    cJSON_Delete(shared_patch);
    cJSON_Delete(data);
    return rc;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run bin with argv, input on stdin; stdout into out (capped), the tail of
 * stderr into errtxt. *status is the wait status; SL_ELIMIT on timeout or
 * too much output (the process group is killed). */
static int exec_capture(const char *bin, char *const *argv, const char *input, size_t inlen,
                        double timeout, size_t max_out, sl_buf *out, sl_buf *errtxt, int *status,
                        sl_error *err)
{
    int in[2] = {-1, -1}, so[2] = {-1, -1}, se[2] = {-1, -1};
    sigset_t pipe_set, old_set;
    size_t written = 0;
    double deadline = mono_now() + timeout;
    pid_t pid;
    int rc = 0, open_out = 1, open_err = 1, killed = 0;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    if (pipe2(in, O_CLOEXEC) || pipe2(so, O_CLOEXEC) || pipe2(se, O_CLOEXEC)) {
        rc = sl_error_set(err, SL_EIO, "pipe: %s", strerror(errno));
        goto out;
    }
    if ((pid = fork()) < 0) {
        rc = sl_error_set(err, SL_EIO, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setpgid(0, 0);
        dup2(in[0], 0);
        dup2(so[1], 1);
        dup2(se[1], 2);
        execv(bin, argv);
        _exit(127);
    }
    setpgid(pid, pid);
    close(in[0]);
    close(so[1]);
    close(se[1]);
    in[0] = so[1] = se[1] = -1;
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    if (inlen == 0) {
        close(in[1]);
        in[1] = -1;
    }
    while (open_out || open_err) {
        struct pollfd fds[3];
        int nf = 0, ms;
        double left = deadline - mono_now();
        char buf[65536];
        if (left <= 0) {
            killed = 1;
            rc = sl_error_set(err, SL_ELIMIT, "timed out after %gs", timeout);
            break;
        }
        ms = (int)(left * 1000) + 1;
        fds[nf++] = (struct pollfd){open_out ? so[0] : -1, POLLIN, 0};
        fds[nf++] = (struct pollfd){open_err ? se[0] : -1, POLLIN, 0};
        fds[nf++] = (struct pollfd){in[1], POLLOUT, 0};
        if (poll(fds, (nfds_t)nf, ms) < 0) {
            if (errno == EINTR)
                continue;
            rc = sl_error_set(err, SL_EIO, "poll: %s", strerror(errno));
            killed = 1;
            break;
        }
        if (in[1] >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in[1], input + written, inlen - written);
            if (w > 0)
                written += (size_t)w;
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                written = inlen; /* the command closed its stdin: stop feeding it */
            if (written >= inlen) {
                close(in[1]);
                in[1] = -1;
            }
        }
        if (open_out && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = read(so[0], buf, sizeof(buf));
            if (r > 0) {
                if (out->len + (size_t)r > max_out) {
                    killed = 1;
                    rc = sl_error_set(err, SL_ELIMIT, "printed more than %zu bytes", max_out);
                    break;
                }
                sl_buf_put(out, buf, (size_t)r);
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                open_out = 0;
            }
        }
        if (open_err && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = read(se[0], buf, sizeof(buf));
            if (r > 0) {
                if (errtxt->len < 4096)
                    sl_buf_put(errtxt, buf, (size_t)r);
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                open_err = 0;
            }
        }
    }
    if (killed)
        kill(-pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
out:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (so[i] >= 0)
            close(so[i]);
        if (se[i] >= 0)
            close(se[i]);
    }
    {
        /* drop a SIGPIPE raised by writing to a command that exited early */
        struct timespec zero = {0, 0};
        sigset_t pending;
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE))
            sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_set, NULL);
    return rc;
}

/* The first line of a command's stderr, for error messages. */
static void stderr_hint(const sl_buf *e, char *out, size_t n)
{
    size_t len = 0;

    out[0] = '\0';
    if (!e->ptr)
        return;
    while (len < e->len && e->ptr[len] != '\n' && len + 1 < n)
        len++;
    if (len) {
        snprintf(out, n, ": %.*s", (int)len, e->ptr);
    }
}

static int run_cmd(const score_provs *ps, score_prov *p, score_prov_io *io, sl_error *err)
{
    static const char *const out_keys[] = {"resource_state", "resource_outputs", "shared_state",
                                           "manifests", NULL};
    cJSON *in = cJSON_CreateObject(), *res = NULL, *it;
    char **argv = NULL, *input = NULL, hint[512];
    sl_buf out = SL_BUF_INIT, etxt = SL_BUF_INIT;
    int rc = 0, status = 0;

    if (!in || !cJSON_AddStringToObject(in, "resource_guid", io->guid) ||
        !cJSON_AddStringToObject(in, "resource_uid", io->uid) ||
        !cJSON_AddStringToObject(in, "resource_type", io->type) ||
        !cJSON_AddStringToObject(in, "resource_class", io->cls) ||
        !cJSON_AddStringToObject(in, "resource_id", io->id))
        goto nomem;
    cJSON_AddItemToObject(in, "resource_params", ref_or_empty(io->params, 0));
    cJSON_AddItemToObject(in, "resource_metadata", ref_or_empty(io->metadata, 0));
    cJSON_AddStringToObject(in, "source_workload", io->source_workload);
    cJSON_AddItemToObject(in, "workload_services", ref_or_empty(io->workload_services, 0));
    cJSON_AddItemToObject(in, "resource_state", ref_or_empty(io->state, 0));
    cJSON_AddItemToObject(in, "shared_state", ref_or_empty(io->shared, 0));
    cJSON_AddStringToObject(in, "namespace", io->ns ? io->ns : "");
    if (!(input = cJSON_PrintUnformatted(in)))
        goto nomem;
    if (!(argv = calloc(p->args.n + 2, sizeof(*argv))))
        goto nomem;
    argv[0] = p->bin;
    for (size_t i = 0; i < p->args.n; i++)
        argv[i + 1] = !strcmp(p->args.v[i], "<mode>") ? (char *)"provision" : p->args.v[i];
    out.max = ps->max_output + 1;
    if ((rc = exec_capture(p->bin, argv, input, strlen(input), ps->timeout, ps->max_output, &out,
                           &etxt, &status, err)))
        goto out;
    stderr_hint(&etxt, hint, sizeof(hint));
    if (WIFSIGNALED(status)) {
        rc = sl_error_set(err, SL_EINVAL, "%s was killed by signal %d%s", p->bin,
                          WTERMSIG(status), hint);
        goto out;
    }
    if (WEXITSTATUS(status) == 127 && access(p->bin, X_OK)) {
        rc = sl_error_set(err, SL_EINVAL, "cannot execute %s: %s", p->bin, strerror(errno));
        goto out;
    }
    if (WEXITSTATUS(status)) {
        rc = sl_error_set(err, SL_EINVAL, "%s exited with status %d%s", p->bin,
                          WEXITSTATUS(status), hint);
        goto out;
    }
    res = out.ptr ? cJSON_ParseWithLength(out.ptr, out.len) : NULL;
    if (!cJSON_IsObject(res)) {
        rc = sl_error_set(err, SL_EINVAL,
                          "failed to decode output from cmd provisioner: expected a JSON object "
                          "with resource_state, resource_outputs, shared_state, manifests; got "
                          "\"%.80s\"",
                          out.ptr ? out.ptr : "");
        goto out;
    }
    cJSON_ArrayForEach(it, res)
    {
        size_t k = 0;
        while (out_keys[k] && strcmp(out_keys[k], it->string))
            k++;
        if (!out_keys[k]) {
            rc = sl_error_set(err, SL_EINVAL,
                              "failed to decode output from cmd provisioner: unknown field "
                              "\"%s\"",
                              it->string);
            goto out;
        }
        if (cJSON_IsNull(it))
            continue;
        if (k == 3 ? !cJSON_IsArray(it) : !cJSON_IsObject(it)) {
            rc = sl_error_set(err, SL_EINVAL,
                              "failed to decode output from cmd provisioner: %s must be %s",
                              it->string, k == 3 ? "a list" : "an object");
            goto out;
        }
    }
    io->new_state = cJSON_DetachItemFromObjectCaseSensitive(res, "resource_state");
    io->outputs = cJSON_DetachItemFromObjectCaseSensitive(res, "resource_outputs");
    io->manifests = cJSON_DetachItemFromObjectCaseSensitive(res, "manifests");
    if ((it = cJSON_GetObjectItemCaseSensitive(res, "shared_state")) && cJSON_IsObject(it) &&
        score_patch_map(io->shared, it))
        goto nomem;
    if (!cJSON_IsObject(io->new_state)) {
        cJSON_Delete(io->new_state);
        io->new_state = cJSON_CreateObject();
    }
    goto out;
nomem:
    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
    cJSON_Delete(in);
    cJSON_Delete(res);
    free(input);
    free(argv);
    sl_buf_free(&out);
    sl_buf_free(&etxt);
    return rc;
}

int score_prov_run(const score_provs *ps, const score_prov *cp, score_prov_io *io, sl_error *err)
{
    score_prov *p = (score_prov *)cp; /* parsed templates are cached in it */
    int rc = p->is_cmd ? run_cmd(ps, p, io, err) : run_template(p, io, err);

    if (!rc && io->outputs && !cJSON_IsObject(io->outputs))
        rc = sl_error_set(err, SL_EINVAL, "outputs must be a mapping");
    if (!rc && !io->outputs && !(io->outputs = cJSON_CreateObject()))
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    if (!rc && io->manifests) {
        const cJSON *m;
        int i = 0;
        cJSON_ArrayForEach(m, io->manifests)
        {
            if (!cJSON_IsObject(m) || !sl_doc_str(m, "apiVersion") || !sl_doc_str(m, "kind") ||
                !sl_doc_path(m, "metadata.name")) {
                rc = sl_error_set(err, SL_EINVAL,
                                  "manifests.%d: expected a Kubernetes object with apiVersion, "
                                  "kind and metadata.name",
                                  i);
                break;
            }
            i++;
        }
    }
    if (rc) {
        score_prov_io_fini(io);
        sl_error_prefix(err, "resource '%s': provisioner %s (%s:%d)", io->uid, p->uri, p->file,
                        p->line);
    }
    return rc;
}
