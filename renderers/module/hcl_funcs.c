/* hcl_funcs.c: the built-in function library (Terraform's functions that
 * modules use). */
#include <stdlib.h>
#include <string.h>

#include "hcl_int.h"

static int fn_upper(sl_hcl_ctx *ctx, const sl_hcl_call *c, const sl_hcl_value **out)
{
    (void)ctx;
    (void)c;
    *out = NULL;
    return SL_EUNSUPPORTED;
}

const sl_hcl_func sl_hcl_builtins[] = {
    {"upper", 1, 1, fn_upper, 0},
    {NULL, 0, 0, NULL, 0},
};
