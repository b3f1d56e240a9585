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
} sl_apply_opts;

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
