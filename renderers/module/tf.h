/* tf.h: Terraform module semantics on the HCL engine (folder-internal to
 * renderers/module). A module is a folder of .tf files in a snapshot;
 * loading parses them, reads the declarations (variable, locals, module,
 * resource "kubernetes_manifest", output), builds the dependency graph of
 * their references and orders it (a cycle is an error naming its members).
 * Evaluating a module with input values runs the graph in that order:
 * variables are converted to their type constraints and validated, locals
 * and outputs evaluated, module calls expanded (count/for_each) and
 * evaluated recursively, and every kubernetes_manifest instance yields one
 * manifest. */
#ifndef SL_TF_H
#define SL_TF_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "hcl.h"
#include "sl_snapshot.h"

/* Caps. */
#define TF_MAX_FILES 256           /* .tf files per module folder */
#define TF_MAX_DEPTH 16            /* nesting of module calls */
#define TF_MAX_INSTANCES 10000     /* count / for_each instances per block */
#define TF_MAX_MANIFESTS 100000    /* manifests per evaluation */
#define TF_MAX_FILE_BYTES ((size_t)4 << 20)

typedef enum tf_kind { TF_VAR, TF_LOCAL, TF_MODULE, TF_RESOURCE, TF_OUTPUT } tf_kind;

typedef struct tf_module tf_module;

/* One validation block of a variable. */
typedef struct tf_validation {
    const sl_hcl_expr *condition;
    const sl_hcl_expr *error_message;
    sl_hcl_range range;
} tf_validation;

/* A reference from an expression to another node of the same module. */
typedef struct tf_ref {
    size_t node;
} tf_ref;

/* One graph node: a declaration. */
typedef struct tf_node {
    tf_kind kind;
    const char *name;   /* variable/local/module/output name, resource name */
    const char *label;  /* "var.x", "local.y", "module.z", "kubernetes_manifest.n", "output.o" */
    sl_hcl_range range; /* the declaration (block header or local attribute) */
    const sl_hcl_file *file; /* the file that declares it (its expressions' ranges) */
    size_t *deps;       /* nodes this one references (deduplicated) */
    size_t ndeps;
    /* TF_VAR */
    const sl_hcl_type *type; /* the constraint; &sl_hcl_t_dynamic for any */
    const sl_hcl_value *def; /* converted default, NULL when required */
    int nullable;
    int sensitive;
    tf_validation *validations;
    size_t nvalidations;
    /* TF_LOCAL, TF_OUTPUT: the value expression; TF_RESOURCE: manifest */
    const sl_hcl_expr *expr;
    /* TF_MODULE, TF_RESOURCE */
    const sl_hcl_expr *count;
    const sl_hcl_expr *for_each;
    const sl_hcl_block *block;
    /* TF_MODULE */
    const char *source;  /* the module folder in the snapshot */
    tf_module *child;    /* borrowed from the cache */
    /* TF_OUTPUT */
    int out_sensitive;
} tf_node;

struct tf_module {
    char *dir;             /* folder in the snapshot ("" for the root) */
    sl_hcl_file **files;   /* owned */
    size_t nfiles;
    sl_hcl_arena *arena;   /* declarations (types, defaults, node tables) */
    tf_node *nodes;
    size_t nnodes;
    size_t *order;         /* evaluation order (dependencies first) */
    size_t nvars;          /* nodes[0..nvars) are the variables */
    int failed;            /* loading failed (kept: diagnostics point into its files) */
};

/* Parsed modules of one snapshot, each loaded once. */
typedef struct tf_cache {
    sl_snapshot *snap; /* borrowed */
    tf_module **mods;
    size_t n, cap;
    sl_hcl_limits limits;
} tf_cache;

void tf_cache_init(tf_cache *c, sl_snapshot *snap);
void tf_cache_fini(tf_cache *c);
/* Load the module in folder dir (normalised, in c's snapshot), and every
 * module it calls. *out is borrowed from the cache. Problems go to diags
 * (SL_EINVAL); a missing folder is SL_ENOTFOUND with a diagnostic. depth
 * counts the calls above (0 for a root module). */
int tf_cache_load(tf_cache *c, const char *dir, int depth, tf_module **out, sl_hcl_diags *diags);

/* The index of variable name in m, or -1. */
long tf_module_var(const tf_module *m, const char *name);

/* One input variable value with where it was set (for errors). */
typedef struct tf_input {
    const char *name;
    const sl_hcl_value *value;
    sl_hcl_range range;
} tf_input;

/* One manifest a module emitted. */
typedef struct tf_manifest {
    cJSON *json;        /* owned */
    sl_hcl_range range; /* the resource block */
    const char *addr;   /* "module.database[\"orders\"].kubernetes_manifest.claim" (arena) */
} tf_manifest;

typedef struct tf_result {
    const sl_hcl_value *outputs; /* object of output values */
    tf_manifest *manifests;      /* owned, in evaluation order */
    size_t nmanifests, cap;
} tf_result;

void tf_result_fini(tf_result *r);

/* Evaluation context of one root evaluation. */
typedef struct tf_env {
    tf_cache *cache;
    sl_hcl_arena *arena; /* values of this evaluation */
    sl_hcl_diags *diags;
    const sl_hcl_fs *fs; /* file functions, confined to the snapshot */
    /* Where a problem with an input is reported when the input has no range
     * (a required variable that was not given). */
    sl_hcl_range call_range;
} tf_env;

/* Evaluate m with inputs (each name must be a variable of m; unknown
 * names, missing required variables, failed conversions and validations
 * are errors). Manifests are appended to res; res->outputs is set. */
int tf_module_eval(tf_env *env, const tf_module *m, const tf_input *inputs, size_t ninputs,
                   const char *addr_prefix, tf_result *res);

/* The JSON of a manifest value: null object attributes are dropped, a
 * value marked sensitive is refused outside a Secret. */
int tf_manifest_json(tf_env *env, const sl_hcl_value *v, const sl_hcl_range *range, cJSON **out);

#endif
