/* gotmpl.h: Go text/template + Sprig, as score-k8s provisioners use them.
 * See docs/renderers/gotmpl.md for the supported language and functions. */
#ifndef SL_GOTMPL_H
#define SL_GOTMPL_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "sl_buf.h"
#include "sl_error.h"

/* A parsed template (with its define'd templates). Immutable after parse:
 * one template may be executed by several threads at once. */
typedef struct sl_gotmpl sl_gotmpl;

/* Parse src. file/line/col give the position of src[0] (templates live
 * inside YAML files), so errors read "file:line:col: template: ...: <what
 * was expected>". *out is the caller's. */
int sl_gotmpl_parse(const char *file, int line, int col, const char *src, size_t len,
                    sl_gotmpl **out, sl_error *err);

/* As sl_gotmpl_parse, for a template taken from a YAML block scalar (| or >)
 * whose lines were indented by `indent` columns in the file: positions on
 * the lines after the first get `indent` added to their column. For a block
 * scalar starting on line L with indentation I, pass line L, col I + 1,
 * indent I. */
int sl_gotmpl_parse_ex(const char *file, int line, int col, int indent, const char *src, size_t len,
                       sl_gotmpl **out, sl_error *err);

/* Execute with dot = data (borrowed cJSON; objects behave as Go
 * map[string]interface{}, arrays as []interface{}, integral numbers print
 * as Go ints, others as %v of float64, missing map keys give "<no value>"
 * like Go's default missingkey=default). Output appended to out. On error
 * out may hold partial output (as Go's Execute leaves it). */
int sl_gotmpl_exec(const sl_gotmpl *t, const cJSON *data, sl_buf *out, sl_error *err);

void sl_gotmpl_free(sl_gotmpl *t);

#endif
