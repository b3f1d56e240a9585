/* fuzz_yaml.c: sl_yaml_parse on arbitrary bytes under small limits; every
 * document that parses must survive sl_yaml_write and read back as the
 * same tree, and sl_doc_copy must give an equal tree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl_doc.h"

static void must(int ok)
{
    if (!ok)
        abort();
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
    rc = sl_yaml_parse("fuzz.yaml", (const char *)data, size, &lim, pm, &dv, &err);
    if (rc) {
        must(dv.n == 0 && err.code == rc && err.msg[0]);
        goto out;
    }
    for (size_t i = 0; i < dv.n; i++) {
        sl_buf b = SL_BUF_INIT;
        sl_docv back = {0};
        cJSON *copy = NULL;
        sl_pos pos;

        must(sl_posmap_get(pm, dv.v[i], &pos) == 0 && pos.line >= 1 && pos.col >= 1);
        must(sl_doc_copy(dv.v[i], pm, &copy) == 0 && cJSON_Compare(dv.v[i], copy, 1));
        cJSON_Delete(copy);
        must(sl_yaml_write(&b, dv.v[i]) == 0);
        must(b.len > 0 && b.ptr[b.len - 1] == '\n');
        must(sl_yaml_parse("back.yaml", b.ptr, b.len, NULL, NULL, &back, &err) == 0);
        must(back.n == 1 && cJSON_Compare(dv.v[i], back.v[0], 1));
        sl_docv_free(&back);
        sl_buf_free(&b);
    }
out:
    sl_docv_free(&dv);
    sl_posmap_free(pm);
    return 0;
}
