/* jinja.h: a Jinja2 / Nunjucks template engine, for the `template` renderer
 * and for `sluice scaffold` (Backstage templates, cookiecutter skeletons).
 * Templates cannot read files or run anything: include/import/extends are
 * errors. Undefined variables are errors with their position. */
#ifndef SL_JINJA_H
#define SL_JINJA_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "sl_buf.h"
#include "sl_error.h"

typedef enum {
    SL_JINJA_JINJA2 = 0,   /* Jinja2 semantics (cookiecutter): output byte-equal to Python jinja2 */
    SL_JINJA_NUNJUCKS = 1, /* Nunjucks semantics (Backstage): byte-equal to nunjucks */
} sl_jinja_dialect;

typedef struct sl_jinja_opts {
    sl_jinja_dialect dialect;
    int backstage_delims;      /* variables are ${{ expr }} instead of {{ expr }} (Backstage) */
    int keep_trailing_newline; /* Jinja2 default: 0 (strip one trailing \n); cookiecutter uses 1 */
    const char *file;          /* for positions in errors */
    int line, col;             /* position of src[0] in file (1-based), for strings inside YAML */
} sl_jinja_opts;

typedef struct sl_jinja sl_jinja; /* a parsed template */

/* Parse src (len bytes) into *out (the caller's, free with sl_jinja_free).
 * o may be NULL (Jinja2, {{ }}, trailing newline stripped). Syntax errors
 * name file:line:col and what was expected. */
int sl_jinja_parse(const char *src, size_t len, const sl_jinja_opts *o, sl_jinja **out,
                   sl_error *err);
/* Render with ctx (an object; borrowed). Undefined variables are errors with position. */
int sl_jinja_render(const sl_jinja *t, const cJSON *ctx, sl_buf *out, sl_error *err);
/* Render times times into out (emptied before each render), reusing one
 * scratch arena: what a benchmark or a scaffold of many files wants. */
int sl_jinja_render_n(const sl_jinja *t, const cJSON *ctx, sl_buf *out, size_t times,
                      sl_error *err);
void sl_jinja_free(sl_jinja *t);

/* A context prepared for many renders: its objects' keys indexed once (as
 * a Python caller builds its dict once). ctx (an object) is borrowed: it
 * must outlive the result and not change. *out is the caller's. */
typedef struct sl_jinja_ctx sl_jinja_ctx;
int sl_jinja_ctx_new(const cJSON *ctx, sl_jinja_ctx **out, sl_error *err);
void sl_jinja_ctx_free(sl_jinja_ctx *c);
/* sl_jinja_render() with a prepared context. */
int sl_jinja_render_ctx(const sl_jinja *t, const sl_jinja_ctx *c, sl_buf *out, sl_error *err);
/* Backstage step-input rendering: if src is exactly one `${{ expr }}` and nothing else (as
 * Backstage's isSingleTemplateString decides; spaces inside the braces are fine, text around
 * is not), *out is the expression's value with its JSON type (number, bool, object, array);
 * otherwise the rendered string. An undefined value is an error. *out is the caller's. */
int sl_jinja_eval_value(const char *src, size_t len, const sl_jinja_opts *o, const cJSON *ctx,
                        cJSON **out, sl_error *err);

#endif
