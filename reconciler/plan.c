/* plan.c: desired vs live -> create / update / prune / unchanged, and
 * carrying a plan out against a target. */
#include <stdlib.h>
#include <string.h>

#include "sl_doc.h"
#include "sl_plan.h"

#define PLAN_ANN_LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"
#define PLAN_ANN_PRUNE "sluice.dev/prune"
#define PLAN_ANN_HASH "sluice.dev/applied-hash"

const char *sl_action_name(sl_action a)
{
    switch (a) {
    case SL_ACT_UNCHANGED:
        return "unchanged";
    case SL_ACT_CREATE:
        return "create";
    case SL_ACT_UPDATE:
        return "update";
    case SL_ACT_PRUNE:
        return "prune";
    default:
        return "unknown";
    }
}

const char *sl_health_name(int state)
{
    switch (state) {
    case SL_HEALTH_READY:
        return "ready";
    case SL_HEALTH_PROGRESSING:
        return "progressing";
    case SL_HEALTH_FAILED:
        return "failed";
    case SL_HEALTH_MISSING:
        return "missing";
    default:
        return "unknown";
    }
}

int sl_kind_rank(const char *group, const char *kind)
{
    static const char *const rbac[] = {"ServiceAccount", "Role",       "ClusterRole",
                                       "RoleBinding",    "ClusterRoleBinding", "ResourceQuota",
                                       "LimitRange",     "PriorityClass", "StorageClass",
                                       "PodSecurityPolicy", "NetworkPolicy", NULL};
    static const char *const config[] = {"ConfigMap", "Secret", "PersistentVolume",
                                         "PersistentVolumeClaim", NULL};
    static const char *const workloads[] = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                                            "Job",        "CronJob",     "Pod",
                                            "ReplicationController", NULL};
    static const char *const builtin[] = {"", "apps", "batch", "rbac.authorization.k8s.io",
                                          "policy", "networking.k8s.io", "storage.k8s.io",
                                          "scheduling.k8s.io", NULL};
    int known = 0;

    if (!group || !kind)
        return 5;
    if ((!*group && !strcmp(kind, "Namespace")) ||
        (!strcmp(group, "apiextensions.k8s.io") && !strcmp(kind, "CustomResourceDefinition")))
        return 0;
    for (size_t i = 0; builtin[i]; i++)
        known |= !strcmp(group, builtin[i]);
    if (!known)
        return 5;
    for (size_t i = 0; rbac[i]; i++)
        if (!strcmp(kind, rbac[i]))
            return 1;
    for (size_t i = 0; config[i]; i++)
        if (!strcmp(kind, config[i]))
            return 2;
    if (!*group && (!strcmp(kind, "Service") || !strcmp(kind, "Endpoints")))
        return 3;
    for (size_t i = 0; workloads[i]; i++)
        if (!strcmp(kind, workloads[i]))
            return 4;
    return 5;
}

static const char *const plan_server_fields[] = {
    "managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink",
};

static int plan_map_empty(const cJSON *m)
{
    return cJSON_IsNull(m) || (cJSON_IsObject(m) && !m->child);
}

/* True when sl_normalize would change obj (so the common case of a clean
 * rendered object needs no copy). */
static int plan_needs_normalize(const cJSON *obj)
{
    const cJSON *meta, *m;

    if (!cJSON_IsObject(obj))
        return 0;
    if (cJSON_GetObjectItemCaseSensitive(obj, "status"))
        return 1;
    meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    if (!cJSON_IsObject(meta))
        return 0;
    for (size_t i = 0; i < sizeof(plan_server_fields) / sizeof(plan_server_fields[0]); i++)
        if (cJSON_GetObjectItemCaseSensitive(meta, plan_server_fields[i]))
            return 1;
    m = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    if (m && (plan_map_empty(m) || cJSON_GetObjectItemCaseSensitive(m, PLAN_ANN_LAST_APPLIED) ||
              cJSON_GetObjectItemCaseSensitive(m, PLAN_ANN_HASH)))
        return 1;
    m = cJSON_GetObjectItemCaseSensitive(meta, "labels");
    return m && plan_map_empty(m);
}

void sl_normalize(cJSON *obj)
{
    cJSON *meta, *m;

    if (!cJSON_IsObject(obj))
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
    meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    if (!cJSON_IsObject(meta))
        return;
    for (size_t i = 0; i < sizeof(plan_server_fields) / sizeof(plan_server_fields[0]); i++)
        cJSON_DeleteItemFromObjectCaseSensitive(meta, plan_server_fields[i]);
    m = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    if (cJSON_IsObject(m)) {
        cJSON_DeleteItemFromObjectCaseSensitive(m, PLAN_ANN_LAST_APPLIED);
        cJSON_DeleteItemFromObjectCaseSensitive(m, PLAN_ANN_HASH);
    }
    if (m && plan_map_empty(m))
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
    m = cJSON_GetObjectItemCaseSensitive(meta, "labels");
    if (m && plan_map_empty(m))
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "labels");
}

void sl_plan_free(sl_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->n; i++) {
        sl_objid_clear(&plan->v[i].id);
        cJSON_Delete(plan->v[i].want);
        cJSON_Delete(plan->v[i].live);
    }
    free(plan->v);
    free(plan->app);
    free(plan->target);
    free(plan->revision);
    free(plan);
}

/* Append an item; want and live pass to the plan (also on failure). */
static int plan_push(sl_plan *p, sl_plan_item *it)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        sl_plan_item *v = realloc(p->v, cap * sizeof(*v));
        if (!v) {
            sl_objid_clear(&it->id);
            cJSON_Delete(it->want);
            cJSON_Delete(it->live);
            return SL_ENOMEM;
        }
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = *it;
    p->counts[it->action]++;
    return 0;
}

static int plan_reserve(sl_plan *p, size_t n)
{
    sl_plan_item *v;

    if (n <= p->cap)
        return 0;
    v = realloc(p->v, n * sizeof(*v));
    if (!v)
        return SL_ENOMEM;
    p->v = v;
    p->cap = n;
    return 0;
}

/* Name the object in err's message: "apps/v1 Deployment shop/orders: ...". */
static int plan_err_obj(sl_error *err, const sl_objid *id, int rc)
{
    char buf[600];

    if (err && !err->code)
        sl_error_set(err, rc, "%s", sl_strerror(rc));
    if (err)
        sl_error_prefix(err, "%s", sl_objid_str(id, buf, sizeof(buf)));
    return rc;
}

static int plan_dup_normalized(const cJSON *in, cJSON **out, sl_error *err)
{
    *out = cJSON_Duplicate(in, 1);
    if (!*out)
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    sl_normalize(*out);
    return 0;
}

/* Plan one desired object. raw and mine are scratch buffers reused across
 * objects so that the unchanged fast path allocates nothing. */
static int plan_one(sl_plan *p, const sl_obj *o, sl_target *t, sl_buf *raw, sl_buf *mine,
                    sl_error *err)
{
    const sl_applier_ops *ops = t->ops;
    sl_plan_item it;
    cJSON *want = NULL, *live = NULL, *dry = NULL;
    int rc = 0, absent = 0;

    memset(&it, 0, sizeof(it));
    /* The id borrows the desired set's strings (mem_ NULL: nothing to free). */
    it.id = o->id;
    it.id.mem_ = NULL;
    it.desired = o;
    if (plan_needs_normalize(o->json) && (rc = plan_dup_normalized(o->json, &want, err)))
        goto out;
    if (ops->get_raw) {
        sl_buf_reset(raw);
        sl_buf_reset(mine);
        if ((rc = sl_yaml_write(mine, want ? want : o->json))) {
            sl_error_set(err, rc, "cannot render as YAML: %s", sl_strerror(rc));
            goto out;
        }
        rc = ops->get_raw(t, &o->id, raw, err);
        if (rc == 0 && raw->len == mine->len && !memcmp(raw->ptr, mine->ptr, raw->len)) {
            it.action = SL_ACT_UNCHANGED;
            goto push;
        }
        if (rc == SL_ENOTFOUND) {
            sl_error_clear(err);
            absent = 1;
        } else if (rc) {
            goto out;
        }
    }
    if (!want && (rc = plan_dup_normalized(o->json, &want, err)))
        goto out;
    if (!absent && (rc = ops->get(t, &o->id, &live, err)))
        goto out;
    if (!live) {
        it.action = SL_ACT_CREATE;
        it.want = want;
        want = NULL;
        goto push;
    }
    sl_normalize(live);
    if (ops->dry_run) {
        /* Compare with what the target would make of want: its defaults
         * are then on both sides. */
        if ((rc = ops->dry_run(t, want, &dry, err)))
            goto out;
        if (dry) {
            sl_normalize(dry);
            cJSON_Delete(want);
            want = dry;
            dry = NULL;
        }
    }
    if (cJSON_Compare(live, want, 1)) {
        it.action = SL_ACT_UNCHANGED;
        goto push;
    }
    it.action = SL_ACT_UPDATE;
    it.want = want;
    it.live = live;
    want = live = NULL;
push:
    cJSON_Delete(want);
    cJSON_Delete(live);
    rc = plan_push(p, &it);
    if (rc)
        sl_error_set(err, rc, "out of memory");
    return rc;
out:
    cJSON_Delete(want);
    cJSON_Delete(live);
    cJSON_Delete(dry);
    return plan_err_obj(err, &o->id, rc);
}

/* Prunes: by kind rank, then identity (deleted in reverse). */
static int plan_id_cmp(const void *a, const void *b)
{
    const sl_objid *x = &((const sl_plan_item *)a)->id, *y = &((const sl_plan_item *)b)->id;
    int rx = sl_kind_rank(x->group, x->kind), ry = sl_kind_rank(y->group, y->kind);

    if (rx != ry)
        return rx < ry ? -1 : 1;
    return sl_objid_cmp(x, y);
}

/* Plan prunes: inventory entries not desired, still live and not opted
 * out with sluice.dev/prune: disabled. */
static int plan_prunes(sl_plan *p, const sl_objset *desired, sl_target *t, const sl_plan_opts *opts,
                       sl_error *err)
{
    sl_objset *inv = NULL;
    size_t first = p->n, nprune;
    int rc;

    if (!t->ops->inventory)
        return 0;
    if ((rc = sl_objset_new(&inv))) {
        sl_error_set(err, rc, "out of memory");
        goto out;
    }
    if ((rc = t->ops->inventory(t, p->app, inv, err))) {
        sl_error_prefix(err, "reading the inventory of app %s", p->app);
        goto out;
    }
    for (size_t i = 0; i < inv->n; i++) {
        const sl_objid *id = &inv->v[i].id;
        sl_plan_item it;
        const cJSON *ann;
        cJSON *live = NULL;

        if (sl_objset_find(desired, id))
            continue;
        if ((rc = t->ops->get(t, id, &live, err))) {
            plan_err_obj(err, id, rc);
            goto out;
        }
        if (!live)
            continue; /* already gone */
        ann = sl_doc_path(live, "metadata.annotations");
        if (cJSON_IsObject(ann)) {
            const char *v = sl_doc_str(ann, PLAN_ANN_PRUNE);
            if (v && !strcmp(v, "disabled")) {
                cJSON_Delete(live);
                continue;
            }
        }
        sl_normalize(live);
        memset(&it, 0, sizeof(it));
        it.action = SL_ACT_PRUNE;
        it.live = live;
        if ((rc = sl_objid_copy(&it.id, id))) {
            cJSON_Delete(live);
            sl_error_set(err, rc, "out of memory");
            goto out;
        }
        if ((rc = plan_push(p, &it))) {
            sl_error_set(err, rc, "out of memory");
            goto out;
        }
    }
    nprune = p->n - first;
    if (nprune > 1)
        qsort(p->v + first, nprune, sizeof(*p->v), plan_id_cmp);
    if (nprune && desired->n == 0 && !opts->allow_empty) {
        rc = sl_error_set(err, SL_EREFUSED,
                          "rendered no objects; refusing to prune %zu object%s "
                          "(set allowEmpty: true to allow)",
                          nprune, nprune == 1 ? "" : "s");
        goto out;
    }
out:
    sl_objset_free(inv);
    return rc;
}

/* Contract: on success *out is a new plan (caller frees with
 * sl_plan_free) that borrows desired's objects and identities, so desired
 * must outlive it. On failure *out is NULL and err says why, naming the
 * object when one is at fault. */
int sl_plan_build(const char *app, const char *target, const char *revision,
                  const sl_objset *desired, sl_target *t, const sl_plan_opts *o, sl_plan **out,
                  sl_error *err)
{
    static const sl_plan_opts defaults = {0};
    sl_buf raw = SL_BUF_INIT, mine = SL_BUF_INIT;
    sl_plan *p = NULL;
    int rc = 0;

    *out = NULL;
    if (!o)
        o = &defaults;
    if (!t || !t->ops || !t->ops->get) {
        rc = sl_error_set(err, SL_EINVAL, "target %s cannot be read", target ? target : "?");
        goto out;
    }
    p = calloc(1, sizeof(*p));
    if (!p || !(p->app = strdup(app ? app : "")) || !(p->target = strdup(target ? target : "")) ||
        !(p->revision = strdup(revision ? revision : "")) ||
        plan_reserve(p, desired ? desired->n : 0)) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    p->prune = o->prune;
    p->max_prune_share = o->max_prune_share;
    p->max_prune_count = o->max_prune_count;
    if (t->ops->prepare && desired && (rc = t->ops->prepare(t, p->app, desired, err)))
        goto out;
    for (size_t i = 0; desired && i < desired->n; i++)
        if ((rc = plan_one(p, &desired->v[i], t, &raw, &mine, err)))
            goto out;
    if (o->prune) {
        static const sl_objset empty = {0};
        if ((rc = plan_prunes(p, desired ? desired : &empty, t, o, err)))
            goto out;
    }
    *out = p;
    p = NULL;
out:
    sl_plan_free(p);
    sl_buf_free(&raw);
    sl_buf_free(&mine);
    return rc;
}

/* Record inv as the app's inventory (targets without one skip it). */
static int plan_set_inventory(const sl_plan *plan, sl_target *t, const sl_objset *inv,
                              sl_error *err)
{
    int rc;

    if (!t->ops->set_inventory)
        return 0;
    if ((rc = t->ops->set_inventory(t, plan->app, inv, err)))
        sl_error_prefix(err, "recording the inventory of app %s", plan->app);
    return rc;
}

static int plan_add_id(sl_objset *set, const sl_objid *id, sl_error *err)
{
    if (sl_objset_find(set, id))
        return 0;
    return sl_objset_add_id(set, id, err);
}

/* After a failed apply: keep the old inventory and add what was applied
 * (applied[i] set), so nothing created is orphaned. Errors here go to a
 * scratch record; the caller reports the apply error. */
static void plan_keep_applied(const sl_plan *plan, sl_target *t, const char *applied)
{
    sl_objset *inv = NULL;
    sl_error e;
    int changed = 0;

    sl_error_clear(&e);
    if (!t->ops->inventory || !t->ops->set_inventory || sl_objset_new(&inv))
        goto out;
    if (t->ops->inventory(t, plan->app, inv, &e))
        goto out;
    for (size_t i = 0; i < plan->n; i++) {
        const sl_plan_item *it = &plan->v[i];
        if (!applied[i])
            continue;
        if (sl_objset_find(inv, &it->id))
            continue;
        if (sl_objset_add_id(inv, &it->id, &e))
            goto out;
        changed = 1;
    }
    if (changed)
        t->ops->set_inventory(t, plan->app, inv, &e);
out:
    sl_objset_free(inv);
}

int sl_plan_check_prune(const sl_plan *plan, sl_error *err)
{
    size_t nprune = plan->counts[SL_ACT_PRUNE];
    size_t nlive = nprune + plan->counts[SL_ACT_UNCHANGED] + plan->counts[SL_ACT_UPDATE];
    double share = nlive ? (double)nprune / (double)nlive : 0;
    sl_buf b = SL_BUF_INIT;
    size_t shown = 0;
    char idbuf[600];

    if (!nprune)
        return 0;
    if (!(plan->max_prune_count && nprune > plan->max_prune_count) &&
        !(plan->max_prune_share > 0 && share > plan->max_prune_share + 1e-9))
        return 0;
    for (size_t i = 0; i < plan->n; i++) {
        if (plan->v[i].action != SL_ACT_PRUNE)
            continue;
        if (shown++ == 20) {
            sl_buf_printf(&b, "\n  ... and %zu more", nprune - 20);
            break;
        }
        sl_buf_printf(&b, "\n  %s", sl_objid_str(&plan->v[i].id, idbuf, sizeof(idbuf)));
    }
    sl_error_set(err, SL_EREFUSED,
                 "mass-prune guard: this run would delete %zu of %zu live objects (%.0f%%; "
                 "limits: %s%.0f%%%s%zu); nothing applied. Re-run with --confirm-prune if this "
                 "is intended, or raise prune.maxShare / prune.maxCount. It would delete:%s",
                 nprune, nlive, share * 100, "share ",
                 plan->max_prune_share > 0 ? plan->max_prune_share * 100 : 100.0, ", count ",
                 plan->max_prune_count, b.ptr ? b.ptr : "");
    sl_buf_free(&b);
    return SL_EREFUSED;
}

static int plan_rank_of(const sl_plan_item *it)
{
    return sl_kind_rank(it->id.group, it->id.kind);
}

/* Apply the creates and updates of rank r; applied[i] is set for each one
 * that succeeded. On failure err names the first object that failed. */
static int plan_apply_rank(const sl_plan *plan, sl_target *t, const sl_apply_opts *o, int r,
                           char *applied, sl_error *err)
{
    const cJSON **objs = NULL;
    size_t *idx = NULL, n = 0;
    int *res = NULL, rc = 0;
    sl_error *errs = NULL;

    for (size_t i = 0; i < plan->n; i++) {
        const sl_plan_item *it = &plan->v[i];
        if ((it->action == SL_ACT_CREATE || it->action == SL_ACT_UPDATE) && plan_rank_of(it) == r)
            n++;
    }
    if (!n)
        return 0;
    objs = calloc(n, sizeof(*objs));
    idx = calloc(n, sizeof(*idx));
    res = calloc(n, sizeof(*res));
    errs = calloc(n, sizeof(*errs));
    if (!objs || !idx || !res || !errs) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    n = 0;
    for (size_t i = 0; i < plan->n; i++) {
        const sl_plan_item *it = &plan->v[i];
        cJSON *obj = NULL;
        if ((it->action != SL_ACT_CREATE && it->action != SL_ACT_UPDATE) || plan_rank_of(it) != r)
            continue;
        if (!it->desired || !it->desired->json) {
            rc = sl_error_set(err, SL_EINVAL, "no desired object");
        } else if (!(rc = plan_dup_normalized(it->desired->json, &obj, err))) {
            idx[n] = i;
            objs[n++] = obj;
            continue;
        }
        plan_err_obj(err, &it->id, rc);
        goto out;
    }
    if (t->ops->apply_batch) {
        if ((rc = t->ops->apply_batch(t, objs, n, o, res, errs, err)))
            goto out;
    } else {
        /* One by one, stopping at the first failure (1 = not run). */
        for (size_t j = 0; j < n; j++)
            res[j] = 1;
        for (size_t j = 0; j < n; j++) {
            sl_error_clear(&errs[j]);
            if ((res[j] = t->ops->apply(t, objs[j], o, NULL, &errs[j])))
                break;
        }
    }
    for (size_t j = 0; j < n; j++) {
        if (!res[j]) {
            applied[idx[j]] = 1;
            continue;
        }
        if (res[j] == 1)
            continue;
        if (!rc) {
            rc = res[j];
            if (err)
                *err = errs[j];
            plan_err_obj(err, &plan->v[idx[j]].id, rc);
        }
    }
out:
    for (size_t j = 0; objs && j < n; j++)
        cJSON_Delete((cJSON *)objs[j]);
    free(objs);
    free(idx);
    free(res);
    free(errs);
    return rc;
}

/* Contract: checks the mass-prune guard first (nothing is applied when it
 * trips, unless o->confirm_prune). Applies the plan's creates and updates
 * rank by rank (the normalised desired object, as sl_plan_build compared
 * it); after a rank with a failure stops, prunes nothing, adds the
 * identities applied so far to the inventory and returns the error naming
 * the object. Otherwise deletes the prunes in reverse order and records
 * the inventory as every desired identity plus the prunes that failed
 * (retried next time) and, when the plan was built without prune, the old
 * entries; returns the first prune error, if any. */
int sl_plan_apply(const sl_plan *plan, const sl_objset *desired, sl_target *t,
                  const sl_apply_opts *o, sl_error *err)
{
    sl_apply_opts defaults = {.app = plan ? plan->app : NULL, .field_manager = "sluice"};
    sl_objset *inv = NULL;
    char *failed = NULL, *applied = NULL;
    sl_error first;
    int rc = 0, prune_rc = 0;

    sl_error_clear(&first);
    if (!plan)
        return 0;
    if (!o)
        o = &defaults;
    if (!t || !t->ops || !t->ops->apply) {
        rc = sl_error_set(err, SL_EINVAL, "target %s cannot apply", plan->target);
        goto out;
    }
    if (!o->confirm_prune && (rc = sl_plan_check_prune(plan, err)))
        goto out;
    if (!(applied = calloc(plan->n + 1, 1))) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (int r = 0; r <= 5; r++)
        if ((rc = plan_apply_rank(plan, t, o, r, applied, err))) {
            plan_keep_applied(plan, t, applied);
            goto out;
        }
    failed = calloc(plan->n + 1, 1);
    if (!failed) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = plan->n; i-- > 0;) {
        const sl_plan_item *it = &plan->v[i];
        sl_error e;
        int r;

        if (it->action != SL_ACT_PRUNE)
            continue;
        sl_error_clear(&e);
        r = t->ops->remove ? t->ops->remove(t, &it->id, &e)
                           : sl_error_set(&e, SL_EUNSUPPORTED, "target cannot delete");
        if (r) {
            failed[i] = 1;
            if (!prune_rc) {
                prune_rc = r;
                first = e;
                plan_err_obj(&first, &it->id, r);
                sl_error_prefix(&first, "pruning");
            }
        }
    }
    if ((rc = sl_objset_new(&inv))) {
        sl_error_set(err, rc, "out of memory");
        goto out;
    }
    for (size_t i = 0; desired && i < desired->n; i++)
        if ((rc = plan_add_id(inv, &desired->v[i].id, err)))
            goto out;
    for (size_t i = 0; i < plan->n; i++)
        if (failed[i] && (rc = plan_add_id(inv, &plan->v[i].id, err)))
            goto out;
    /* Without prune, objects that left the app stay in its inventory (as
     * Argo CD keeps showing them as "requires pruning"), so that turning
     * prune on later deletes them. */
    if (!plan->prune && t->ops->inventory) {
        sl_objset *old = NULL;
        if ((rc = sl_objset_new(&old))) {
            sl_error_set(err, rc, "out of memory");
            goto out;
        }
        rc = t->ops->inventory(t, plan->app, old, err);
        for (size_t i = 0; !rc && i < old->n; i++)
            rc = plan_add_id(inv, &old->v[i].id, err);
        sl_objset_free(old);
        if (rc)
            goto out;
    }
    if ((rc = plan_set_inventory(plan, t, inv, err)))
        goto out;
    if (prune_rc) {
        if (err)
            *err = first;
        rc = prune_rc;
    }
out:
    free(failed);
    free(applied);
    sl_objset_free(inv);
    return rc;
}
