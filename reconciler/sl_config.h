/* sl_config.h: sluice.yaml, parsed and checked with positions. */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "sl_doc.h"
#include "sl_error.h"

/* Context for reading one configuration file: where its nodes came from
 * and where problems go. Back ends use the sl_conf_* readers so that every
 * problem is reported with its position, and all problems are collected. */
typedef struct sl_confctx {
    const char *file;
    const char *base_dir; /* directory of the config file; relative paths resolve here */
    sl_posmap *pm;
    sl_diags *diags;
} sl_confctx;

/* Record a problem at node's position. Always returns SL_EINVAL. */
int sl_conf_error(sl_confctx *c, const cJSON *node, const char *fmt, ...) SL_PRINTF(3, 4);
/* Report every key of map that is not in the NULL-terminated list allowed. */
int sl_conf_check_keys(sl_confctx *c, const cJSON *map, const char *const *allowed);
/* Optional string: *out borrowed, NULL when absent. Wrong type is reported. */
int sl_conf_str(sl_confctx *c, const cJSON *map, const char *key, int required, const char **out);
/* Optional bool. */
int sl_conf_bool(sl_confctx *c, const cJSON *map, const char *key, int *out);
/* Duration "30s", "5m", "1h", "1h30m" or a number of seconds. */
int sl_conf_duration(sl_confctx *c, const cJSON *map, const char *key, double *out_seconds);
/* Size "512Ki", "8Mi", "1Gi", "1000" (bytes). */
int sl_conf_size(sl_confctx *c, const cJSON *map, const char *key, size_t *out);
/* Resolve a path relative to base_dir into an owned string. */
char *sl_conf_path(const sl_confctx *c, const char *path);

/* Parse helpers used by the readers above, exposed for tests. */
int sl_parse_duration(const char *s, double *out_seconds);
int sl_parse_size(const char *s, size_t *out);

#endif
