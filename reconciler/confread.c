/* confread.c: typed readers over a parsed configuration, reporting every
 * problem with its position. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_config.h"

int sl_conf_error(sl_confctx *c, const cJSON *node, const char *fmt, ...)
{
    sl_error e;
    sl_pos pos;
    va_list ap;

    memset(&e, 0, sizeof(e));
    e.code = SL_EINVAL;
    if (node && sl_posmap_get(c->pm, node, &pos) == 0) {
        snprintf(e.file, sizeof(e.file), "%s", pos.file);
        e.line = pos.line;
        e.col = pos.col;
    } else if (c->file) {
        snprintf(e.file, sizeof(e.file), "%s", c->file);
    }
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
    va_end(ap);
    if (c->diags)
        sl_diags_add(c->diags, &e);
    return SL_EINVAL;
}

int sl_conf_check_keys(sl_confctx *c, const cJSON *map, const char *const *allowed)
{
    const cJSON *it;
    int rc = 0;

    if (!cJSON_IsObject(map))
        return 0;
    cJSON_ArrayForEach(it, map)
    {
        size_t i;
        for (i = 0; allowed[i]; i++)
            if (!strcmp(allowed[i], it->string))
                break;
        if (!allowed[i]) {
            char list[512];
            size_t off = 0;
            list[0] = '\0';
            for (i = 0; allowed[i] && off < sizeof(list) - 1; i++) {
                int n = snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", allowed[i]);
                if (n < 0)
                    break;
                off += (size_t)n;
            }
            rc = sl_conf_error(c, it, "unknown field \"%s\" (expected one of: %s)", it->string,
                               list);
        }
    }
    return rc;
}

int sl_conf_str(sl_confctx *c, const cJSON *map, const char *key, int required, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(map, key);

    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return sl_conf_error(c, map, "missing required field \"%s\"", key);
        return 0;
    }
    if (!cJSON_IsString(v))
        return sl_conf_error(c, v, "field \"%s\" must be a string", key);
    if (required && !v->valuestring[0])
        return sl_conf_error(c, v, "field \"%s\" must not be empty", key);
    *out = v->valuestring;
    return 0;
}

int sl_conf_bool(sl_confctx *c, const cJSON *map, const char *key, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(map, key);

    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsBool(v))
        return sl_conf_error(c, v, "field \"%s\" must be true or false", key);
    *out = cJSON_IsTrue(v);
    return 0;
}

int sl_parse_duration(const char *s, double *out_seconds)
{
    double total = 0;
    const char *p = s;

    if (!s || !*s)
        return SL_EINVAL;
    while (*p) {
        char *end;
        double v;
        if (!isdigit((unsigned char)*p) && *p != '.')
            return SL_EINVAL;
        v = strtod(p, &end);
        if (end == p)
            return SL_EINVAL;
        p = end;
        if (!strncmp(p, "ms", 2)) {
            v /= 1000;
            p += 2;
        } else if (*p == 's') {
            p++;
        } else if (*p == 'm') {
            v *= 60;
            p++;
        } else if (*p == 'h') {
            v *= 3600;
            p++;
        } else if (*p == 'd') {
            v *= 86400;
            p++;
        } else if (*p == '\0' && p == end && total == 0) {
            /* bare number: seconds */
        } else {
            return SL_EINVAL;
        }
        total += v;
    }
    if (!isfinite(total) || total < 0)
        return SL_EINVAL;
    *out_seconds = total;
    return 0;
}

int sl_parse_size(const char *s, size_t *out)
{
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {{"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0},
                 {"K", 1e3},     {"M", 1e6},        {"G", 1e9},
                 {"", 1}};
    char *end;
    double v;

    if (!s || !*s || !isdigit((unsigned char)*s))
        return SL_EINVAL;
    v = strtod(s, &end);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (!strcmp(end, units[i].suffix)) {
            v *= units[i].mult;
            if (!isfinite(v) || v < 0 || v > (double)SIZE_MAX / 2)
                return SL_EINVAL;
            *out = (size_t)v;
            return 0;
        }
    }
    return SL_EINVAL;
}

int sl_conf_duration(sl_confctx *c, const cJSON *map, const char *key, double *out_seconds)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(map, key);

    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsNumber(v) && v->valuedouble >= 0) {
        *out_seconds = v->valuedouble;
        return 0;
    }
    if (cJSON_IsString(v) && sl_parse_duration(v->valuestring, out_seconds) == 0)
        return 0;
    return sl_conf_error(c, v, "field \"%s\" must be a duration such as 30s, 5m or 1h", key);
}

int sl_conf_size(sl_confctx *c, const cJSON *map, const char *key, size_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(map, key);

    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 1e15) {
        *out = (size_t)v->valuedouble;
        return 0;
    }
    if (cJSON_IsString(v) && sl_parse_size(v->valuestring, out) == 0 && *out > 0)
        return 0;
    return sl_conf_error(c, v, "field \"%s\" must be a size such as 512Ki, 8Mi or 1Gi", key);
}

char *sl_conf_path(const sl_confctx *c, const char *path)
{
    char *out;

    if (!path)
        return NULL;
    if (path[0] == '/' || !c->base_dir || !c->base_dir[0])
        return strdup(path);
    if (asprintf(&out, "%s/%s", c->base_dir, path) < 0)
        return NULL;
    return out;
}
