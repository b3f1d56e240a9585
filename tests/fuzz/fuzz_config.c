/* fuzz_config.c: sluice.yaml loading (YAML, env expansion, every checker). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_config *cfg = NULL;
    sl_diags d = {0};

    if (size > 65536)
        return 0;
    if (sl_config_parse("fuzz.yaml", (const char *)data, size, &cfg, &d) == 0 && d.n)
        abort(); /* success with problems reported is a contract violation */
    for (size_t i = 0; i < d.n; i++)
        if (d.v[i].msg[0] == '\0')
            abort(); /* every problem says what is wrong */
    sl_config_free(cfg);
    sl_diags_free(&d);
    return 0;
}
