/* jinja.c: the template engine (skeleton: text without tags renders as is). */
#include <stdlib.h>
#include <string.h>

#include "jinja.h"

struct sl_jinja {
    char *src;
    size_t len;
    sl_jinja_opts o;
};

int sl_jinja_parse(const char *src, size_t len, const sl_jinja_opts *o, sl_jinja **out,
                   sl_error *err)
{
    sl_jinja *t = calloc(1, sizeof(*t));

    *out = NULL;
    if (!t || !(t->src = malloc(len + 1))) {
        free(t);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    memcpy(t->src, src, len);
    t->src[len] = 0;
    t->len = len;
    if (o)
        t->o = *o;
    *out = t;
    return 0;
}

int sl_jinja_render(const sl_jinja *t, const cJSON *ctx, sl_buf *out, sl_error *err)
{
    (void)ctx;
    if (strstr(t->src, "{{") || strstr(t->src, "{%"))
        return sl_error_set(err, SL_EUNSUPPORTED, "template engine not implemented yet");
    if (sl_buf_put(out, t->src, t->len))
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    return 0;
}

void sl_jinja_free(sl_jinja *t)
{
    if (!t)
        return;
    free(t->src);
    free(t);
}

int sl_jinja_eval_value(const char *src, size_t len, const sl_jinja_opts *o, const cJSON *ctx,
                        cJSON **out, sl_error *err)
{
    sl_jinja *t = NULL;
    sl_buf b = SL_BUF_INIT;
    int rc;

    *out = NULL;
    if ((rc = sl_jinja_parse(src, len, o, &t, err)) || (rc = sl_jinja_render(t, ctx, &b, err)))
        goto out;
    if (!(*out = cJSON_CreateString(b.ptr ? b.ptr : "")))
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
out:
    sl_buf_free(&b);
    sl_jinja_free(t);
    return rc;
}
