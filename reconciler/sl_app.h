/* sl_app.h: the loaded configuration (sources, targets, app specs) and the
 * apps it generates. */
#ifndef SL_APP_H
#define SL_APP_H

#include <cjson/cJSON.h>
#include "sl_config.h"
#include "sl_doc.h"
#include "sl_render.h"
#include "sl_source.h"
#include "sl_target.h"

typedef struct sl_limits {
    sl_doc_limits doc;    /* limits.maxFileSize, maxNodes, maxDepth */
    size_t max_app_bytes; /* limits.maxAppSize, default 256 MiB */
} sl_limits;

/* One entry of apps: as written; with `each:` it generates one app per match. */
typedef struct sl_appspec {
    char *name;        /* may hold {{ var }} holes when each is set */
    char *each;        /* glob over the source's tree, or NULL */
    sl_source *source; /* borrowed from the config */
    sl_target *target; /* borrowed from the config */
    const sl_renderer_ops *renderer;
    cJSON *render_opts; /* the renderer's options node (owned copy) or NULL */
    void *opts;         /* configured options for a spec without each */
    char *namespace;    /* default namespace for namespaced objects, or NULL */
    int prune;          /* default false */
    double max_prune_share; /* prune.maxShare, default 0 = no limit */
    size_t max_prune_count; /* prune.maxCount, default 0 = no limit */
    int allow_empty;    /* default false */
    int suspend;        /* default false */
    int self_heal;      /* default true */
    sl_pos pos;         /* where the spec starts */
} sl_appspec;

/* A concrete app, ready to render. */
struct sl_app {
    char *name;
    const sl_appspec *spec;
    sl_source *source; /* borrowed */
    sl_target *target; /* borrowed */
    char *path;        /* the generator match if a folder, else its folder ("" for plain apps) */
    cJSON *vars;       /* generator variables (path, base, dir, dirpath) or NULL */
    const sl_renderer_ops *renderer;
    void *opts; /* owned when owns_opts */
    int owns_opts;
    const char *namespace;
    int prune;
    double max_prune_share;
    size_t max_prune_count;
    int allow_empty;
};

typedef struct sl_config {
    char *file;      /* as given */
    char *base_dir;  /* directory of file */
    char *state_dir; /* absolute */
    char *listen;    /* host:port or NULL */
    sl_limits limits;
    /* daemon: */
    int concurrency;       /* apps reconciled at once, default 4 */
    double drift_interval; /* seconds between live-state re-checks, default 300 */
    double backoff_max;    /* cap of the failure backoff, seconds, default 300 */
    int history_keep;      /* reconcile records kept per app, default 1000 */
    /* webhook: */
    size_t webhook_max_body; /* default 1 MiB */
    double webhook_rate;     /* deliveries per second per source, default 10 */
    sl_source *sources;
    size_t nsources;
    sl_target *targets;
    size_t ntargets;
    sl_appspec *specs;
    size_t nspecs;
    cJSON *root;
    sl_posmap *pm;
} sl_config;

/* Load and check sluice.yaml. Every problem found is added to diags with
 * its position; the return value is 0 only when diags stayed empty. On
 * success *out is the caller's. ${NAME} and ${NAME:-default} in string
 * values expand from the environment ($${ escapes); an unset variable
 * without a default is an error. */
int sl_config_load(const char *file, sl_config **out, sl_diags *diags);
/* As sl_config_load, from text already in memory (file names it). */
int sl_config_parse(const char *file, const char *text, size_t len, sl_config **out,
                    sl_diags *diags);
void sl_config_free(sl_config *cfg);

sl_source *sl_config_source(const sl_config *cfg, const char *name);
sl_target *sl_config_target(const sl_config *cfg, const char *name);

/* A list of apps. */
typedef struct sl_appv {
    sl_app **v;
    size_t n, cap;
} sl_appv;

/* Expand spec into apps using snap (the spec's source at the revision being
 * rendered): one app for a plain spec, one per sorted glob match for each:.
 * Names and renderer option strings have their {{ path }} (the match),
 * {{ base }} (its last segment), {{ dir }} and {{ dirpath }} (the folder
 * holding the match) holes filled. Appended to out (caller's). */
int sl_app_expand(const sl_config *cfg, const sl_appspec *spec, sl_snapshot *snap, sl_appv *out,
                  sl_error *err);
void sl_app_free(sl_app *app);
void sl_appv_free(sl_appv *av);

/* Substitute {{ var }} holes from vars (a cJSON object of strings) into an
 * owned string. An unknown variable is SL_EINVAL. */
int sl_app_subst(const char *tmpl, const cJSON *vars, char **out, sl_error *err);

#endif
