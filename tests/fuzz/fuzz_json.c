/* fuzz_json.c: sl_json_parse on arbitrary bytes under small limits; a
 * document that parses and holds only valid UTF-8 must survive
 * sl_yaml_write and read back through the YAML reader as the same tree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl_doc.h"

static void must(int ok)
{
    if (!ok)
        abort();
}

static int utf8_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    while (*u) {
        size_t n = *u < 0x80         ? 1
                   : (*u >> 5) == 6  ? 2
                   : (*u >> 4) == 14 ? 3
                   : (*u >> 3) == 30 ? 4
                                     : 0;
        if (!n || (n == 2 && *u < 0xc2))
            return 0;
        for (size_t i = 1; i < n; i++)
            if ((u[i] & 0xc0) != 0x80)
                return 0;
        if (n == 3) {
            unsigned cp =
                (unsigned)(u[0] & 0x0f) << 12 | (unsigned)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
            if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        }
        if (n == 4) {
            unsigned cp = (unsigned)(u[0] & 0x07) << 18 | (unsigned)(u[1] & 0x3f) << 12 |
                          (unsigned)(u[2] & 0x3f) << 6 | (u[3] & 0x3f);
            if (cp < 0x10000 || cp > 0x10ffff)
                return 0;
        }
        u += n;
    }
    return 1;
}

static int tree_utf8_ok(const cJSON *n)
{
    if (n->string && !utf8_ok(n->string))
        return 0;
    if (cJSON_IsString(n) && !utf8_ok(n->valuestring))
        return 0;
    for (const cJSON *c = n->child; c; c = c->next)
        if (!tree_utf8_ok(c))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_doc_limits lim = {(size_t)1 << 20, 20000, 64};
    sl_posmap *pm = NULL;
    sl_docv dv = {0};
    sl_error err;
    int rc;

    if (sl_posmap_new(&pm))
        return 0;
    sl_error_clear(&err);
    rc = sl_json_parse("fuzz.json", (const char *)data, size, &lim, pm, &dv, &err);
    if (rc) {
        must(dv.n == 0 && err.code == rc && err.msg[0]);
        goto out;
    }
    must(dv.n <= 1);
    if (dv.n == 1) {
        sl_buf b = SL_BUF_INIT;
        sl_docv back = {0};
        sl_pos pos;

        must(sl_posmap_get(pm, dv.v[0], &pos) == 0 && pos.line >= 1);
        must(sl_yaml_write(&b, dv.v[0]) == 0);
        if (tree_utf8_ok(dv.v[0])) {
            must(sl_yaml_parse("back.yaml", b.ptr, b.len, NULL, NULL, &back, &err) == 0);
            must(back.n == 1 && cJSON_Compare(dv.v[0], back.v[0], 1));
        }
        sl_docv_free(&back);
        sl_buf_free(&b);
    }
out:
    sl_docv_free(&dv);
    sl_posmap_free(pm);
    return 0;
}
