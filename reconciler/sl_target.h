/* sl_target.h: appliers hold live state (directory, kubernetes, git). One
 * file per kind under appliers/, registered in registry.c. */
#ifndef SL_TARGET_H
#define SL_TARGET_H

#include <cjson/cJSON.h>
#include "sl_buf.h"
#include "sl_config.h"
#include "sl_obj.h"

typedef struct sl_target sl_target;

typedef struct sl_apply_opts {
    const char *app;           /* the app the object belongs to */
    const char *field_manager; /* "sluice" unless configured */
    int force;                 /* take over conflicting fields */
    int confirm_prune;         /* lift the plan's mass-prune guard (--confirm-prune) */
} sl_apply_opts;

/* Health of a live object, in the kstatus spirit. */
enum { SL_HEALTH_READY = 0, SL_HEALTH_PROGRESSING, SL_HEALTH_FAILED, SL_HEALTH_MISSING };

typedef struct sl_health {
    int state;     /* SL_HEALTH_* */
    char why[512]; /* what is not ready yet, "" when ready */
} sl_health;

const char *sl_health_name(int state); /* "ready", "progressing", "failed", "missing" */

typedef struct sl_applier_ops {
    const char *kind; /* the config key that selects it: "directory", "kubernetes" */
    /* Read options from the target's config map; report problems into c. No I/O. */
    int (*open)(sl_target *t, const cJSON *node, sl_confctx *c);
    /* The live object: *live (caller's) or NULL when it does not exist (returns 0). */
    int (*get)(sl_target *t, const sl_objid *id, cJSON **live, sl_error *err);
    /* Optional fast path: the stored bytes of the object as sl_yaml_write
     * wrote them, for a byte compare that skips parsing. SL_ENOTFOUND when
     * absent. NULL when the target cannot offer it. */
    int (*get_raw)(sl_target *t, const sl_objid *id, sl_buf *out, sl_error *err);
    /* Optional: what applying obj would leave live (server-side dry run),
     * *result caller's. NULL means "obj as given". */
    int (*dry_run)(sl_target *t, const cJSON *obj, cJSON **result, sl_error *err);
    /* Create or update obj. *result (caller's, may be NULL to ignore) is the live object after. */
    int (*apply)(sl_target *t, const cJSON *obj, const sl_apply_opts *o, cJSON **result,
                 sl_error *err);
    /* Delete; an object already gone is success. */
    int (*remove)(sl_target *t, const sl_objid *id, sl_error *err);
    /* The identities this target records as belonging to app (identity-only
     * entries appended to out). An app never applied gives an empty set. */
    int (*inventory)(sl_target *t, const char *app, sl_objset *out, sl_error *err);
    /* Record the identities that now belong to app. */
    int (*set_inventory)(sl_target *t, const char *app, const sl_objset *ids, sl_error *err);
    /* Optional: called once with the desired set before planning, so a
     * target can fetch live objects and dry runs in parallel and learn
     * which kinds the set itself defines (CRDs). NULL to skip. */
    int (*prepare)(sl_target *t, const char *app, const sl_objset *desired, sl_error *err);
    /* Optional: apply several objects that may go at once (same ordering
     * rank); results[i] is 0 or the error code of objs[i], with errs[i]
     * filled. Returns 0 unless the batch could not run at all. NULL means
     * the plan applies one by one. */
    int (*apply_batch)(sl_target *t, const cJSON *const *objs, size_t n, const sl_apply_opts *o,
                       int *results, sl_error *errs, sl_error *err);
    /* Optional: the health of a live object (SL_HEALTH_MISSING when it does
     * not exist). NULL means every existing object is ready. */
    int (*health)(sl_target *t, const sl_objid *id, sl_health *out, sl_error *err);
    void (*close)(sl_target *t);
} sl_applier_ops;

struct sl_target {
    const sl_applier_ops *ops;
    char *name;
    void *priv;
};

const sl_applier_ops *sl_applier_lookup(const char *kind);
extern const sl_applier_ops *const sl_applier_registry[];

#endif
