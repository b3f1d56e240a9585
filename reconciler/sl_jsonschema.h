/* sl_jsonschema.h: JSON Schema validation of cJSON documents, reporting each
 * violation at the instance node's source position. Used by the Score
 * renderer (score-v1b1.json) and by `sluice scaffold` (template parameters). */
#ifndef SL_JSONSCHEMA_H
#define SL_JSONSCHEMA_H

#include <cjson/cJSON.h>
#include "sl_doc.h"
#include "sl_error.h"

typedef struct sl_jsonschema sl_jsonschema;

/* Compile a JSON Schema (draft 2020-12; keywords: type, enum, const,
 * properties, required, additionalProperties, patternProperties,
 * propertyNames, minProperties, maxProperties, dependentRequired, items,
 * prefixItems, minItems, maxItems, uniqueItems, contains, minLength,
 * maxLength, pattern, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
 * multipleOf, allOf, anyOf, oneOf, not, if/then/else, $ref to local JSON
 * pointers ("#", "#/$defs/x", "#/definitions/x"); format and annotations are
 * ignored). Patterns are ECMA-262 regular expressions run by PCRE2. The
 * schema is copied. file names the schema in errors (a bad pattern or an
 * unresolvable $ref fails here). *out is the caller's. */
int sl_jsonschema_compile(const cJSON *schema, const char *file, sl_jsonschema **out,
                          sl_error *err);

/* Validate inst. Every violation is added to d at the instance node's
 * position from pm (pm may be NULL, or lack the node: then the nearest
 * positioned ancestor's, else file:1:1) with the message
 * "<instance path>: <what is wrong> (schema: <keyword> at <schema path>)".
 * The instance path is "." for the root, else ".a.b[2]". Returns 0 when
 * valid, SL_EINVAL when there were violations, SL_ENOMEM. */
int sl_jsonschema_validate(const sl_jsonschema *s, const cJSON *inst, const sl_posmap *pm,
                           const char *file, sl_diags *d);

/* Fill in "default" values of the schema's object properties into inst,
 * recursively, never overwriting a value that is present. Only follows
 * properties (and $ref/allOf to them), not anyOf/oneOf branches. */
int sl_jsonschema_apply_defaults(const sl_jsonschema *s, cJSON *inst);

void sl_jsonschema_free(sl_jsonschema *s);

#endif
