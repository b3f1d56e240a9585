/* fuzz_jinja.c: the template engine on arbitrary templates. The first byte
 * picks the dialect, the delimiters and the trailing-newline mode; the
 * rest is the template, rendered against a fixed context. Parsing and
 * rendering must either succeed or fail with a positioned message, never
 * crash or leak; sl_jinja_eval_value must agree on failure/success of the
 * parse. Output is capped. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../renderers/template/jinja.h"

static void must(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char ctx_json[] =
        "{\"name\":\"svc\",\"n\":3,\"f\":2.5,\"on\":true,\"nil\":null,\"tags\":[\"a\",\"B\",\"a\"],"
        "\"env\":{\"K\":\"v\",\"N\":1},\"owners\":[{\"name\":\"x\",\"age\":3},{\"name\":\"y\","
        "\"age\":1}],\"repo\":\"github.com?owner=o&repo=r\",\"ref\":\"group:default/t\"}";
    sl_jinja_opts o = {0};
    sl_jinja *t = NULL;
    sl_buf out;
    sl_error err;
    cJSON *ctx, *v = NULL;
    int rc;

    if (size < 1)
        return 0;
    o.dialect = (data[0] & 1) ? SL_JINJA_NUNJUCKS : SL_JINJA_JINJA2;
    o.backstage_delims = (data[0] & 2) != 0;
    o.keep_trailing_newline = (data[0] & 4) != 0;
    o.file = "fuzz.j2";
    o.line = 1 + (data[0] >> 4);
    o.col = 1;
    ctx = cJSON_Parse(ctx_json);
    sl_buf_init(&out, (size_t)1 << 20);
    sl_error_clear(&err);
    rc = sl_jinja_parse((const char *)data + 1, size - 1, &o, &t, &err);
    if (rc) {
        must(t == NULL && err.code == rc && err.msg[0] && err.line >= o.line);
    } else {
        rc = sl_jinja_render(t, ctx, &out, &err);
        if (rc)
            must(err.code == rc && err.msg[0]);
    }
    sl_jinja_free(t);
    sl_buf_free(&out);
    sl_error_clear(&err);
    if (sl_jinja_eval_value((const char *)data + 1, size - 1, &o, ctx, &v, &err) == 0)
        must(v != NULL);
    else
        must(v == NULL && err.msg[0]);
    cJSON_Delete(v);
    cJSON_Delete(ctx);
    return 0;
}
