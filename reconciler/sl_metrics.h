/* sl_metrics.h: Prometheus metrics (counters, gauges, histograms with
 * labels), thread-safe, written in the text exposition format. */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include "sl_buf.h"

typedef struct sl_metrics sl_metrics;

int sl_metrics_new(sl_metrics **out);
void sl_metrics_free(sl_metrics *m);

/* Label pairs are given as NULL-terminated varargs of (name, value)
 * strings: sl_metrics_inc(m, "sluice_reconciles_total", 1, "app", "web",
 * "result", "success", NULL). Values are escaped as the format requires.
 * The metric must be one of the families declared in metrics.c (an unknown
 * name is ignored and counted in sluice_metrics_errors_total). */
void sl_metrics_inc(sl_metrics *m, const char *name, double v, ...);
void sl_metrics_set(sl_metrics *m, const char *name, double v, ...);
void sl_metrics_observe(sl_metrics *m, const char *name, double v, ...);
/* Drop every series of a family whose label `label` equals value (for info
 * metrics that replace their previous series, e.g. the applied revision). */
void sl_metrics_clear(sl_metrics *m, const char *name, const char *label, const char *value);

/* Append the whole registry in the Prometheus text format (version 0.0.4),
 * families in a fixed order, series sorted, with # HELP and # TYPE lines. */
int sl_metrics_write(sl_metrics *m, sl_buf *out);

#endif
