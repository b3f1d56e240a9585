/* gotmpl.c: Go text/template lexer, parser and executor. */
#include <stdlib.h>

#include "gotmpl.h"

struct sl_gotmpl {
    int dummy;
};

int sl_gotmpl_parse(const char *file, int line, int col, const char *src, size_t len,
                    sl_gotmpl **out, sl_error *err)
{
    *out = NULL;
    return sl_error_setpos(err, SL_EUNSUPPORTED, file, line, col, "template: not implemented");
}

int sl_gotmpl_exec(const sl_gotmpl *t, const cJSON *data, sl_buf *out, sl_error *err)
{
    return sl_error_set(err, SL_EUNSUPPORTED, "template: not implemented");
}

void sl_gotmpl_free(sl_gotmpl *t)
{
    free(t);
}
