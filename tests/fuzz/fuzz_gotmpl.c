/* fuzz_gotmpl.c: sl_gotmpl_parse on arbitrary bytes, then sl_gotmpl_exec
 * over a provisioner-like context with a 1 MiB output cap. Every failure
 * must carry a message and a position; a parsed template must execute to
 * the same bytes twice when it uses no random or time functions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../renderers/score/gotmpl.h"

static void must(int ok)
{
    if (!ok)
        abort();
}

static const char ctx_json[] =
    "{\"Type\":\"postgres\",\"Class\":\"default\",\"Id\":\"db\",\"Uid\":\"postgres.default#web."
    "db\","
    "\"Guid\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\",\"SourceWorkload\":\"web\","
    "\"Params\":{\"port\":\"http\",\"host\":\"example.com\",\"path\":\"/\",\"n\":3,\"f\":1.5},"
    "\"Init\":{\"randomPassword\":\"abc\"},\"State\":{\"password\":\"keep\",\"count\":2},"
    "\"Shared\":{\"list\":[1,\"two\",null,true,{\"k\":\"v\"}]},"
    "\"WorkloadServices\":{\"web\":{\"ServiceName\":\"web\",\"Ports\":{\"http\":{\"Port\":80,"
    "\"TargetPort\":8080}}}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cJSON *ctx;
    sl_gotmpl *t = NULL;
    sl_buf out, again;
    sl_error err;
    int rc;

    if (!ctx)
        ctx = cJSON_Parse(ctx_json);
    sl_error_clear(&err);
    rc = sl_gotmpl_parse("fuzz.yaml", 3, 5, (const char *)data, size, &t, &err);
    if (rc) {
        must(t == NULL && err.code == rc && err.msg[0] && err.line >= 3 && err.col >= 1);
        return 0;
    }
    sl_buf_init(&out, (size_t)1 << 20);
    sl_buf_init(&again, (size_t)1 << 20);
    rc = sl_gotmpl_exec(t, ctx, &out, &err);
    if (rc) {
        must(err.code == rc && err.msg[0] && err.line >= 3 && err.col >= 1);
    } else if (!memmem(data, size, "rand", 4) && !memmem(data, size, "uuid", 4) &&
               !memmem(data, size, "now", 3)) {
        must(sl_gotmpl_exec(t, ctx, &again, &err) == 0);
        must(out.len == again.len && (!out.len || !memcmp(out.ptr, again.ptr, out.len)));
    }
    sl_buf_free(&out);
    sl_buf_free(&again);
    sl_gotmpl_free(t);
    return 0;
}
