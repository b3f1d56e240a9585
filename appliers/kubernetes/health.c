/* health.c: is a live object ready? Rules in the spirit of kstatus:
 * workloads rolled out, Jobs complete, PVCs bound, CRDs established,
 * anything else with a Ready condition by that condition. */
#include <stdio.h>
#include <string.h>

#include "kube.h"
#include "sl_doc.h"

static double h_num(const cJSON *obj, const char *path, double dflt)
{
    const cJSON *n = sl_doc_path(obj, path);

    return cJSON_IsNumber(n) ? n->valuedouble : dflt;
}

/* The condition of type t in status.conditions, or NULL. */
static const cJSON *h_cond(const cJSON *obj, const char *t)
{
    const cJSON *conds = sl_doc_path(obj, "status.conditions"), *c;

    cJSON_ArrayForEach(c, conds)
    {
        const char *ty = sl_doc_str(c, "type");
        if (ty && !strcmp(ty, t))
            return c;
    }
    return NULL;
}

static int h_cond_true(const cJSON *c)
{
    const char *s = c ? sl_doc_str(c, "status") : NULL;

    return s && !strcmp(s, "True");
}

/* Generation observed? Sets why when not. */
static int h_observed(const cJSON *live, char *why, size_t n)
{
    double gen = h_num(live, "metadata.generation", 0);
    double obs = h_num(live, "status.observedGeneration", -1);

    if (gen > 0 && obs < gen) {
        snprintf(why, n, "the controller has not yet seen generation %.0f (observed %.0f)", gen,
                 obs < 0 ? 0 : obs);
        return 0;
    }
    return 1;
}

static int h_deployment(const cJSON *live, int sts, char *why, size_t n)
{
    double want = h_num(live, "spec.replicas", 1);
    double updated = h_num(live, "status.updatedReplicas", 0);
    double ready = h_num(live, "status.readyReplicas", 0);
    double avail = h_num(live, "status.availableReplicas", sts ? ready : 0);
    double total = h_num(live, "status.replicas", 0);
    const cJSON *prog = h_cond(live, "Progressing");
    const char *reason = prog ? sl_doc_str(prog, "reason") : NULL;

    if (reason && !strcmp(reason, "ProgressDeadlineExceeded")) {
        snprintf(why, n, "rollout failed: progress deadline exceeded");
        return SL_HEALTH_FAILED;
    }
    if (!h_observed(live, why, n))
        return SL_HEALTH_PROGRESSING;
    if (updated < want) {
        snprintf(why, n, "%.0f of %.0f replicas updated", updated, want);
        return SL_HEALTH_PROGRESSING;
    }
    if (total > updated) {
        snprintf(why, n, "%.0f old replicas pending termination", total - updated);
        return SL_HEALTH_PROGRESSING;
    }
    if (avail < want) {
        snprintf(why, n, "%.0f of %.0f updated replicas available", avail, want);
        return SL_HEALTH_PROGRESSING;
    }
    return SL_HEALTH_READY;
}

static int h_daemonset(const cJSON *live, char *why, size_t n)
{
    double want = h_num(live, "status.desiredNumberScheduled", -1);
    double updated = h_num(live, "status.updatedNumberScheduled", 0);
    double avail = h_num(live, "status.numberAvailable", 0);

    if (!h_observed(live, why, n))
        return SL_HEALTH_PROGRESSING;
    if (want < 0) {
        snprintf(why, n, "no status yet");
        return SL_HEALTH_PROGRESSING;
    }
    if (updated < want) {
        snprintf(why, n, "%.0f of %.0f pods updated", updated, want);
        return SL_HEALTH_PROGRESSING;
    }
    if (avail < want) {
        snprintf(why, n, "%.0f of %.0f updated pods available", avail, want);
        return SL_HEALTH_PROGRESSING;
    }
    return SL_HEALTH_READY;
}

static int h_job(const cJSON *live, char *why, size_t n)
{
    const cJSON *failed = h_cond(live, "Failed");

    if (h_cond_true(h_cond(live, "Complete")))
        return SL_HEALTH_READY;
    if (h_cond_true(failed)) {
        const char *m = sl_doc_str(failed, "message");
        snprintf(why, n, "job failed%s%s", m ? ": " : "", m ? m : "");
        return SL_HEALTH_FAILED;
    }
    snprintf(why, n, "job not complete (%.0f succeeded, %.0f active)",
             h_num(live, "status.succeeded", 0), h_num(live, "status.active", 0));
    return SL_HEALTH_PROGRESSING;
}

int kube_health(const cJSON *live, char *why, size_t n)
{
    const char *kind = sl_doc_str(live, "kind"), *api = sl_doc_str(live, "apiVersion");
    const cJSON *ready;

    why[0] = '\0';
    if (!kind || !api)
        return SL_HEALTH_READY;
    if (!strcmp(api, "apps/v1") && (!strcmp(kind, "Deployment") || !strcmp(kind, "StatefulSet")))
        return h_deployment(live, !strcmp(kind, "StatefulSet"), why, n);
    if (!strcmp(api, "apps/v1") && !strcmp(kind, "DaemonSet"))
        return h_daemonset(live, why, n);
    if (!strcmp(api, "batch/v1") && !strcmp(kind, "Job"))
        return h_job(live, why, n);
    if (!strcmp(api, "v1") && !strcmp(kind, "PersistentVolumeClaim")) {
        const char *phase = sl_doc_str(sl_doc_path(live, "status"), "phase");
        if (phase && !strcmp(phase, "Bound"))
            return SL_HEALTH_READY;
        if (phase && !strcmp(phase, "Lost")) {
            snprintf(why, n, "claim lost its volume");
            return SL_HEALTH_FAILED;
        }
        snprintf(why, n, "claim not bound (phase %s)", phase ? phase : "unknown");
        return SL_HEALTH_PROGRESSING;
    }
    if (!strncmp(api, "apiextensions.k8s.io/", 21) && !strcmp(kind, "CustomResourceDefinition")) {
        if (h_cond_true(h_cond(live, "Established")))
            return SL_HEALTH_READY;
        snprintf(why, n, "not established yet");
        return SL_HEALTH_PROGRESSING;
    }
    if ((ready = h_cond(live, "Ready"))) {
        const char *m = sl_doc_str(ready, "message"), *r = sl_doc_str(ready, "reason");
        if (h_cond_true(ready))
            return SL_HEALTH_READY;
        if (!h_observed(live, why, n))
            return SL_HEALTH_PROGRESSING;
        snprintf(why, n, "Ready is %s%s%s%s%s", sl_doc_str(ready, "status") ? sl_doc_str(ready, "status") : "?",
                 r ? " (" : "", r ? r : "", r ? ")" : "", m ? "" : "");
        if (m)
            snprintf(why + strlen(why), n - strlen(why), ": %s", m);
        return SL_HEALTH_PROGRESSING;
    }
    return SL_HEALTH_READY;
}
