/* sl_doc.h: the document model. YAML (libyaml) and JSON (cJSON) read into
 * cJSON trees, each node's source position kept in a side table (sl_posmap),
 * and a deterministic YAML writer. */
#ifndef SL_DOC_H
#define SL_DOC_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "sl_buf.h"
#include "sl_error.h"

/* Where a node came from. file is interned in the posmap (valid while the
 * posmap lives). line and col are 1-based. */
typedef struct sl_pos {
    const char *file;
    int line;
    int col;
} sl_pos;

/* Node -> position table, keyed by cJSON node address. One posmap usually
 * serves a whole app or config (every parse of it records into the same map).
 * Nodes must outlive their entries' use; a node copied with sl_doc_copy keeps
 * its position. */
typedef struct sl_posmap sl_posmap;

int sl_posmap_new(sl_posmap **out);
void sl_posmap_free(sl_posmap *pm);
/* Intern a file name; the returned string lives as long as pm. NULL on ENOMEM. */
const char *sl_posmap_intern(sl_posmap *pm, const char *file);
int sl_posmap_set(sl_posmap *pm, const cJSON *node, const char *file, int line, int col);
/* 0 and *out filled when known; SL_ENOTFOUND otherwise (out zeroed, file ""). pm may be NULL. */
int sl_posmap_get(const sl_posmap *pm, const cJSON *node, sl_pos *out);
/* Drop the entries of node and all its descendants (call before freeing a
 * tree whose addresses may be reused while pm lives). pm may be NULL. */
void sl_posmap_forget(sl_posmap *pm, const cJSON *node);
/* Make room for `more` entries beyond the current ones (a hint; sets grow
 * the table anyway). */
int sl_posmap_reserve(sl_posmap *pm, size_t more);
/* Copy every entry of src into dst (file names re-interned in dst). */
int sl_posmap_merge(sl_posmap *dst, const sl_posmap *src);

/* Caps for one parse. Zero fields take the defaults below. */
typedef struct sl_doc_limits {
    size_t max_file_bytes; /* default 8 MiB */
    size_t max_nodes;      /* nodes created per file incl. alias expansion; default 1,000,000 */
    int max_depth;         /* nesting depth; default 200 */
} sl_doc_limits;

#define SL_DOC_DEFAULT_MAX_FILE_BYTES ((size_t)8 << 20)
#define SL_DOC_DEFAULT_MAX_NODES ((size_t)1000000)
#define SL_DOC_DEFAULT_MAX_DEPTH 200

/* The documents of one stream, in order, with the position of each
 * document's root. Owned: sl_docv_free frees the remaining trees. A caller
 * may steal a tree by setting v[i] to NULL. */
typedef struct sl_docv {
    cJSON **v;
    sl_pos *pos;
    size_t n, cap;
} sl_docv;

void sl_docv_free(sl_docv *dv);
/* Append tree (taken on success only) with its root position. */
int sl_docv_push(sl_docv *dv, cJSON *tree, sl_pos pos);

/* Parse a YAML stream (one or more documents) into cJSON trees appended to
 * out. Plain scalars resolve as kubectl's reader resolves them (YAML 1.1,
 * see docs/yaml.md): null/bool (incl. yes/no/on/off)/int (incl. 0x, 0o, 0
 * octal, 0b, 1_000)/float; quoted and block scalars are strings. Anchors and
 * aliases are expanded within limits->max_nodes; merge keys (<<) are
 * supported; a duplicate key is an error. Empty and null documents are
 * skipped. Every node's position is recorded in pm (may be NULL). file
 * names the input in errors. On error nothing is appended to out (an empty
 * out is left holding no memory) and err
 * carries file:line:col. A big multi-document stream may be read on
 * several threads; the result is the same as one pass. */
int sl_yaml_parse(const char *file, const char *data, size_t len, const sl_doc_limits *limits,
                  sl_posmap *pm, sl_docv *out, sl_error *err);

/* What a plain (unquoted, untagged) YAML scalar of n bytes reads as under
 * the rules above: one of SL_YAML_*. A timestamp reads as a string but is
 * told apart (YAML 1.1 readers other than kubectl's make it a date). The
 * writer quotes every string whose kind is not SL_YAML_STR. */
enum {
    SL_YAML_STR,
    SL_YAML_NULL,
    SL_YAML_BOOL,
    SL_YAML_INT,
    SL_YAML_FLOAT,
    SL_YAML_NONFINITE,
    SL_YAML_TIMESTAMP
};
int sl_yaml_plain_kind(const char *s, size_t n);

/* Parse one JSON document with cJSON; an error names file:line:col. Only the
 * root's position is recorded. */
int sl_json_parse(const char *file, const char *data, size_t len, const sl_doc_limits *limits,
                  sl_posmap *pm, sl_docv *out, sl_error *err);

/* Parse by file extension: .json with sl_json_parse, anything else as YAML. */
int sl_doc_parse(const char *file, const char *data, size_t len, const sl_doc_limits *limits,
                 sl_posmap *pm, sl_docv *out, sl_error *err);

/* Write node as block-style YAML, mapping keys in byte order (so the same
 * tree always gives the same bytes), strings quoted only when a plain
 * scalar would read back as something else. Ends with a newline. */
int sl_yaml_write(sl_buf *out, const cJSON *node);

/* Deep copy that also copies position entries (pm may be NULL). *out is the caller's. */
int sl_doc_copy(const cJSON *node, sl_posmap *pm, cJSON **out);

/* Line and column (1-based, columns in characters) of byte offset off in
 * data, for parsers that report errors by offset. */
void sl_doc_offset_pos(const char *data, size_t len, size_t off, int *line, int *col);

/* Small accessors. The returned pointers are borrowed. */
const char *sl_doc_str(const cJSON *obj, const char *key);      /* NULL unless a string */
const cJSON *sl_doc_path(const cJSON *obj, const char *dotted); /* "metadata.name" */

#endif
