/* sl_plan.h: desired vs live -> create / update / prune / unchanged, and
 * carrying a plan out against a target. */
#ifndef SL_PLAN_H
#define SL_PLAN_H

#include <stdio.h>
#include <cjson/cJSON.h>
#include "sl_buf.h"
#include "sl_obj.h"
#include "sl_target.h"

typedef enum sl_action {
    SL_ACT_UNCHANGED = 0,
    SL_ACT_CREATE,
    SL_ACT_UPDATE,
    SL_ACT_PRUNE,
    SL_ACT__COUNT
} sl_action;

const char *sl_action_name(sl_action a); /* "unchanged", "create", "update", "prune" */

typedef struct sl_plan_item {
    sl_action action;
    sl_objid id;
    const sl_obj *desired; /* borrowed from the desired set; NULL for prune */
    cJSON *want;           /* normalised desired, or the normalised dry-run result when the
                              target has dry_run (owned); NULL for prune and unchanged */
    cJSON *live;           /* normalised live (owned); NULL for create and unchanged */
} sl_plan_item;

typedef struct sl_plan {
    char *app;
    char *target;
    char *revision;
    sl_plan_item *v;
    size_t n, cap;
    size_t counts[SL_ACT__COUNT];
    int prune; /* built with prune on */
    /* The mass-prune guard (0 = no limit): sl_plan_apply refuses a plan
     * that prunes more than this share of the app's live objects or more
     * than this many, unless the apply options confirm it. */
    double max_prune_share;
    size_t max_prune_count;
} sl_plan;

typedef struct sl_plan_opts {
    int prune;       /* plan prunes of inventory objects no longer desired */
    int allow_empty; /* an empty desired set may prune everything */
    double max_prune_share; /* mass-prune guard, see sl_plan */
    size_t max_prune_count;
} sl_plan_opts;

/* Apply order of a kind: 0 Namespaces and CRDs, 1 RBAC, ServiceAccounts
 * and policies, 2 ConfigMaps, Secrets and storage, 3 Services, 4
 * workloads, 5 everything else (Ingresses, custom resources, webhooks).
 * Deletes go in reverse. */
int sl_kind_rank(const char *group, const char *kind);

/* The mass-prune guard: SL_EREFUSED with a message naming the objects
 * when plan would prune more than its limits allow, else 0. */
int sl_plan_check_prune(const sl_plan *plan, sl_error *err);

/* Remove what the server owns: status, metadata.managedFields,
 * resourceVersion, uid, generation, creationTimestamp, selfLink, the
 * kubectl last-applied-configuration annotation, sluice's own
 * sluice.dev/applied-hash annotation (and annotations/labels
 * maps left empty). In place. */
void sl_normalize(cJSON *obj);

/* Compare desired with what t holds and plan. Items are in desired order
 * followed by prunes in identity order. *out belongs to the caller. */
int sl_plan_build(const char *app, const char *target, const char *revision,
                  const sl_objset *desired, sl_target *t, const sl_plan_opts *o, sl_plan **out,
                  sl_error *err);

/* Carry out plan: check the mass-prune guard (unless o->confirm_prune),
 * apply creates and updates in kind order (sl_kind_rank; objects of one
 * rank at once when the target has apply_batch), and only if all of them
 * succeeded, prune (in reverse kind order) and record the new inventory.
 * A failed prune keeps the object in the inventory so it is retried. */
int sl_plan_apply(const sl_plan *plan, const sl_objset *desired, sl_target *t,
                  const sl_apply_opts *o, sl_error *err);

void sl_plan_free(sl_plan *plan);

/* Output formats of diff/apply reports. */
typedef enum sl_outfmt { SL_OUT_TEXT = 0, SL_OUT_JSON, SL_OUT_MARKDOWN } sl_outfmt;

/* Write a report of plans: for text, a unified diff per changed object
 * (colour when color != 0) then the summary line
 * "N to create, M to update, K to prune, U unchanged"; for JSON, the plans
 * as an object; for markdown, a summary table and collapsible per-object
 * diffs. Secret data/stringData values are masked in every format. */
int sl_report_write(sl_buf *out, sl_plan *const *plans, size_t nplans, sl_outfmt fmt, int color);

/* Mask the values under data/stringData of Secret objects, kubectl-style:
 * values equal on both sides become "***", differing values
 * "*** (before)" / "*** (after)". Either side may be NULL. In place. */
void sl_mask_secrets(cJSON *live, cJSON *want);

#endif
