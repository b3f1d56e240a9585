/* metrics.c: a small thread-safe Prometheus registry. Every family is
 * declared in one table below (name, type, help, label names, histogram
 * buckets); series are kept sorted by their label values so the exposition
 * is stable. One mutex guards everything: updates are a lookup by binary
 * search and an add. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_metrics.h"

#ifndef SL_VERSION
#define SL_VERSION "unknown"
#endif

#define SL_METRICS_MAX_LABELS 4
#define SL_METRICS_MAX_BUCKETS 20
#define SL_METRICS_MAX_SERIES 10000 /* per family: a bound on label cardinality */
#define SL_METRICS_MAX_VALUE 1024   /* bytes of one label value */

enum { MT_COUNTER, MT_GAUGE, MT_HISTOGRAM };

typedef struct metric_def {
    const char *name;
    int type;
    const char *help;
    const char *labels[SL_METRICS_MAX_LABELS + 1]; /* NULL-terminated */
    const double buckets[SL_METRICS_MAX_BUCKETS];  /* ascending; 0 ends (first may not be 0) */
} metric_def;

/* Bucket sets. Durations of one reconcile: 5 ms to 10 min. Lead time
 * (commit to applied): 10 s to 1 day. */
#define SL_DURATION_BUCKETS                                                                        \
    {                                                                                              \
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600             \
    }
#define SL_LEAD_BUCKETS                                                                            \
    {                                                                                              \
        10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400               \
    }

static const metric_def metric_defs[] = {
    {"sluice_up", MT_GAUGE, "1 while the sluice daemon is running.", {NULL}, {0}},
    {"sluice_build_info",
     MT_GAUGE,
     "Build information; the value is always 1.",
     {"version", NULL},
     {0}},
    {"sluice_reconciles_total",
     MT_COUNTER,
     "Reconciles of an app by result (success, failure, skipped).",
     {"app", "result", NULL},
     {0}},
    {"sluice_reconcile_duration_seconds",
     MT_HISTOGRAM,
     "Wall-clock time of one reconcile of an app (render, diff and apply).",
     {"app", NULL},
     SL_DURATION_BUCKETS},
    {"sluice_source_fetches_total",
     MT_COUNTER,
     "Fetches of a source by result (success, failure).",
     {"source", "result", NULL},
     {0}},
    {"sluice_source_fetch_errors_total",
     MT_COUNTER,
     "Failed fetches of a source.",
     {"source", NULL},
     {0}},
    {"sluice_webhook_deliveries_total",
     MT_COUNTER,
     "Webhook deliveries by source and outcome (accepted, duplicate, ignored, ping, "
     "rate_limited, unauthorized, bad_request, too_large, not_found, method_not_allowed); "
     "source is empty when no source could be attributed.",
     {"source", "result", NULL},
     {0}},
    {"sluice_queue_depth", MT_GAUGE, "Apps and sources waiting in the work queue.", {NULL}, {0}},
    {"sluice_objects_applied_total",
     MT_COUNTER,
     "Objects written to a target by action (create, update).",
     {"app", "action", NULL},
     {0}},
    {"sluice_objects_pruned_total",
     MT_COUNTER,
     "Objects removed from a target by pruning.",
     {"app", NULL},
     {0}},
    {"sluice_drift_detected_total",
     MT_COUNTER,
     "Times live state was found to differ from the last applied state.",
     {"app", NULL},
     {0}},
    {"sluice_app_info",
     MT_GAUGE,
     "The revision last applied to an app; the value is always 1.",
     {"app", "source", "revision", NULL},
     {0}},
    {"sluice_app_last_success_timestamp_seconds",
     MT_GAUGE,
     "Unix time of the app's last successful reconcile.",
     {"app", NULL},
     {0}},
    {"sluice_deployments_total",
     MT_COUNTER,
     "Successful applies that changed something.",
     {"app", NULL},
     {0}},
    {"sluice_lead_time_seconds",
     MT_HISTOGRAM,
     "Time from a commit to its successful apply (lead time for changes).",
     {"app", NULL},
     SL_LEAD_BUCKETS},
    {"sluice_failed_applies_total",
     MT_COUNTER,
     "Applies that failed part way or entirely.",
     {"app", NULL},
     {0}},
    {"sluice_metrics_errors_total",
     MT_COUNTER,
     "Metric updates that were dropped (unknown name, wrong type or labels, too many series).",
     {NULL},
     {0}},
};

#define NDEFS (sizeof(metric_defs) / sizeof(metric_defs[0]))

typedef struct series {
    char *key;                /* label values joined with '\x01' (sort key) */
    char **vals;              /* label values, one per declared label */
    double value;             /* counter/gauge; histogram: sum */
    unsigned long long count; /* histogram */
    unsigned long long *bins; /* histogram: per-bucket (not cumulative) counts, nb+1 with +Inf */
} series;

typedef struct family {
    const metric_def *def;
    size_t nlabels, nbuckets;
    series *v;
    size_t n, cap;
} family;

struct sl_metrics {
    pthread_mutex_t lock;
    family fams[NDEFS];
    double errors; /* sluice_metrics_errors_total */
};

static void series_free(series *s, size_t nlabels)
{
    free(s->key);
    if (s->vals)
        for (size_t i = 0; i < nlabels; i++)
            free(s->vals[i]);
    free(s->vals);
    free(s->bins);
}

static family *family_find(sl_metrics *m, const char *name)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (!strcmp(metric_defs[i].name, name))
            return &m->fams[i];
    return NULL;
}

/* Map the (name, value) varargs onto the family's declared label order.
 * Labels left out are "". 0 ok, -1 when a name is unknown, repeated, or a
 * value is too long. */
static int labels_collect(const family *f, va_list ap, const char **vals)
{
    const char *k, *v;

    for (size_t i = 0; i < f->nlabels; i++)
        vals[i] = NULL;
    while ((k = va_arg(ap, const char *))) {
        size_t i;
        v = va_arg(ap, const char *);
        for (i = 0; i < f->nlabels; i++)
            if (!strcmp(f->def->labels[i], k))
                break;
        if (i == f->nlabels || vals[i] || !v || strlen(v) > SL_METRICS_MAX_VALUE ||
            strchr(v, '\x01'))
            return -1;
        vals[i] = v;
    }
    for (size_t i = 0; i < f->nlabels; i++)
        if (!vals[i])
            vals[i] = "";
    return 0;
}

/* Compare a series key with label values without building a key. */
static int key_cmp(const char *key, const char **vals, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(vals[i]);
        int c = strncmp(key, vals[i], l);
        if (c)
            return c;
        key += l;
        /* the key continues with '\x01' (next value) or ends */
        if (i + 1 < n) {
            if (*key != '\x01')
                return (unsigned char)*key < 1 ? -1 : 1;
            key++;
        } else if (*key)
            return 1;
    }
    return 0;
}

/* Find the series for vals, creating it when create is set. NULL when it
 * does not exist (or cannot be made). Called with the lock held. */
static series *series_get(family *f, const char **vals, int create)
{
    size_t lo = 0, hi = f->n, klen = 0;
    series s;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = key_cmp(f->v[mid].key, vals, f->nlabels);
        if (!c)
            return &f->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!create || f->n >= SL_METRICS_MAX_SERIES)
        return NULL;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        series *nv = realloc(f->v, cap * sizeof(*nv));
        if (!nv)
            return NULL;
        f->v = nv;
        f->cap = cap;
    }
    memset(&s, 0, sizeof(s));
    for (size_t i = 0; i < f->nlabels; i++)
        klen += strlen(vals[i]) + 1;
    s.key = malloc(klen + 1);
    s.vals = calloc(f->nlabels ? f->nlabels : 1, sizeof(char *));
    if (f->def->type == MT_HISTOGRAM)
        s.bins = calloc(f->nbuckets + 1, sizeof(*s.bins));
    if (!s.key || !s.vals || (f->def->type == MT_HISTOGRAM && !s.bins))
        goto fail;
    s.key[0] = '\0';
    for (size_t i = 0, off = 0; i < f->nlabels; i++) {
        size_t l = strlen(vals[i]);
        if (i)
            s.key[off++] = '\x01';
        memcpy(s.key + off, vals[i], l);
        off += l;
        s.key[off] = '\0';
        if (!(s.vals[i] = strdup(vals[i])))
            goto fail;
    }
    memmove(&f->v[lo + 1], &f->v[lo], (f->n - lo) * sizeof(*f->v));
    f->v[lo] = s;
    f->n++;
    return &f->v[lo];
fail:
    series_free(&s, f->nlabels);
    return NULL;
}

enum { OP_INC, OP_SET, OP_OBSERVE };

static void metrics_update(sl_metrics *m, int op, const char *name, double v, va_list ap)
{
    const char *vals[SL_METRICS_MAX_LABELS];
    family *f;
    series *s;
    int ok = 0;

    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    f = name ? family_find(m, name) : NULL;
    if (!f || isnan(v) || labels_collect(f, ap, vals))
        goto out;
    switch (op) {
    case OP_INC:
        if (f->def->type == MT_HISTOGRAM || (f->def->type == MT_COUNTER && v < 0))
            goto out;
        break;
    case OP_SET:
        if (f->def->type != MT_GAUGE)
            goto out;
        break;
    default:
        if (f->def->type != MT_HISTOGRAM)
            goto out;
    }
    if (!(s = series_get(f, vals, 1)))
        goto out;
    if (op == OP_INC)
        s->value += v;
    else if (op == OP_SET)
        s->value = v;
    else {
        size_t b = 0;
        while (b < f->nbuckets && v > f->def->buckets[b])
            b++;
        s->bins[b]++;
        s->count++;
        s->value += v;
    }
    ok = 1;
out:
    if (!ok)
        m->errors += 1;
    pthread_mutex_unlock(&m->lock);
}

void sl_metrics_inc(sl_metrics *m, const char *name, double v, ...)
{
    va_list ap;

    va_start(ap, v);
    metrics_update(m, OP_INC, name, v, ap);
    va_end(ap);
}

void sl_metrics_set(sl_metrics *m, const char *name, double v, ...)
{
    va_list ap;

    va_start(ap, v);
    metrics_update(m, OP_SET, name, v, ap);
    va_end(ap);
}

void sl_metrics_observe(sl_metrics *m, const char *name, double v, ...)
{
    va_list ap;

    va_start(ap, v);
    metrics_update(m, OP_OBSERVE, name, v, ap);
    va_end(ap);
}

void sl_metrics_clear(sl_metrics *m, const char *name, const char *label, const char *value)
{
    family *f;
    size_t li, w = 0;

    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    f = name ? family_find(m, name) : NULL;
    if (!f || !label || !value) {
        m->errors += 1;
        goto out;
    }
    for (li = 0; li < f->nlabels; li++)
        if (!strcmp(f->def->labels[li], label))
            break;
    if (li == f->nlabels) {
        m->errors += 1;
        goto out;
    }
    for (size_t i = 0; i < f->n; i++) {
        if (!strcmp(f->v[i].vals[li], value))
            series_free(&f->v[i], f->nlabels);
        else
            f->v[w++] = f->v[i];
    }
    f->n = w;
out:
    pthread_mutex_unlock(&m->lock);
}

int sl_metrics_new(sl_metrics **out)
{
    sl_metrics *m;

    *out = NULL;
    if (!(m = calloc(1, sizeof(*m))))
        return SL_ENOMEM;
    if (pthread_mutex_init(&m->lock, NULL)) {
        free(m);
        return SL_ENOMEM;
    }
    for (size_t i = 0; i < NDEFS; i++) {
        family *f = &m->fams[i];
        f->def = &metric_defs[i];
        while (f->nlabels < SL_METRICS_MAX_LABELS && f->def->labels[f->nlabels])
            f->nlabels++;
        while (f->nbuckets < SL_METRICS_MAX_BUCKETS && f->def->buckets[f->nbuckets] > 0)
            f->nbuckets++;
    }
    sl_metrics_set(m, "sluice_build_info", 1, "version", SL_VERSION, NULL);
    sl_metrics_set(m, "sluice_up", 1, NULL);
    sl_metrics_set(m, "sluice_queue_depth", 0, NULL);
    *out = m;
    return 0;
}

void sl_metrics_free(sl_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < NDEFS; i++) {
        for (size_t j = 0; j < m->fams[i].n; j++)
            series_free(&m->fams[i].v[j], m->fams[i].nlabels);
        free(m->fams[i].v);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* The shortest decimal that reads back as v; +Inf, -Inf, NaN as the
 * format spells them. */
static void fmt_double(char *buf, size_t n, double v)
{
    if (isnan(v)) {
        snprintf(buf, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, n, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int put_escaped(sl_buf *out, const char *s, int quote)
{
    int rc = 0;

    for (; *s && !rc; s++) {
        if (*s == '\\')
            rc = sl_buf_puts(out, "\\\\");
        else if (*s == '\n')
            rc = sl_buf_puts(out, "\\n");
        else if (*s == '"' && quote)
            rc = sl_buf_puts(out, "\\\"");
        else
            rc = sl_buf_putc(out, *s);
    }
    return rc;
}

/* {a="x",b="y"[,le="..."]}, or nothing when there are no labels. */
static int put_labels(sl_buf *out, const family *f, const series *s, const char *le)
{
    int rc = 0, any = 0;

    for (size_t i = 0; i < f->nlabels && !rc; i++) {
        rc = sl_buf_printf(out, "%s%s=\"", any ? "," : "{", f->def->labels[i]);
        if (!rc)
            rc = put_escaped(out, s->vals[i], 1);
        if (!rc)
            rc = sl_buf_putc(out, '"');
        any = 1;
    }
    if (!rc && le) {
        rc = sl_buf_printf(out, "%sle=\"%s\"", any ? "," : "{", le);
        any = 1;
    }
    if (!rc && any)
        rc = sl_buf_putc(out, '}');
    return rc;
}

static int write_family(sl_buf *out, const family *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    const char *name = f->def->name;
    char num[64], le[64];
    int rc;

    if ((rc = sl_buf_printf(out, "# HELP %s ", name)) || (rc = put_escaped(out, f->def->help, 0)) ||
        (rc = sl_buf_printf(out, "\n# TYPE %s %s\n", name, types[f->def->type])))
        return rc;
    for (size_t i = 0; i < f->n; i++) {
        const series *s = &f->v[i];
        if (f->def->type != MT_HISTOGRAM) {
            fmt_double(num, sizeof(num), s->value);
            if ((rc = sl_buf_puts(out, name)) || (rc = put_labels(out, f, s, NULL)) ||
                (rc = sl_buf_printf(out, " %s\n", num)))
                return rc;
            continue;
        }
        unsigned long long cum = 0;
        for (size_t b = 0; b <= f->nbuckets; b++) {
            cum += s->bins[b];
            if (b < f->nbuckets)
                fmt_double(le, sizeof(le), f->def->buckets[b]);
            else
                snprintf(le, sizeof(le), "+Inf");
            if ((rc = sl_buf_printf(out, "%s_bucket", name)) || (rc = put_labels(out, f, s, le)) ||
                (rc = sl_buf_printf(out, " %llu\n", cum)))
                return rc;
        }
        fmt_double(num, sizeof(num), s->value);
        if ((rc = sl_buf_printf(out, "%s_sum", name)) || (rc = put_labels(out, f, s, NULL)) ||
            (rc = sl_buf_printf(out, " %s\n", num)) ||
            (rc = sl_buf_printf(out, "%s_count", name)) || (rc = put_labels(out, f, s, NULL)) ||
            (rc = sl_buf_printf(out, " %llu\n", s->count)))
            return rc;
    }
    return 0;
}

/* Families in table order, series in label-value order. The error counter
 * is written from m->errors (it is not a series, so a failing update can
 * always be counted). */
int sl_metrics_write(sl_metrics *m, sl_buf *out)
{
    int rc = 0;

    if (!m || !out)
        return SL_EINVAL;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < NDEFS && !rc; i++) {
        const family *f = &m->fams[i];
        if (!strcmp(f->def->name, "sluice_metrics_errors_total")) {
            char num[64];
            fmt_double(num, sizeof(num), m->errors + (f->n ? f->v[0].value : 0));
            rc = sl_buf_printf(out, "# HELP %s ", f->def->name);
            if (!rc)
                rc = put_escaped(out, f->def->help, 0);
            if (!rc)
                rc = sl_buf_printf(out, "\n# TYPE %s counter\n%s %s\n", f->def->name, f->def->name,
                                   num);
            continue;
        }
        rc = write_family(out, f);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}
