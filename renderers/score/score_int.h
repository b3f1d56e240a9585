/* score_int.h: internals of the score renderer (renderers/score/), shared by
 * its files only: placeholders, provisioners, provisioner state, and the
 * Kubernetes and compose converters. Nothing outside this folder includes it. */
#ifndef SL_SCORE_INT_H
#define SL_SCORE_INT_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "sl_buf.h"
#include "sl_doc.h"
#include "sl_error.h"
#include "sl_obj.h"
#include "sl_snapshot.h"

/* The markers score-k8s wraps secret references in: 🔐💬<name>_<key>💬🔐 */
#define SCORE_SECRET_PREFIX "\xF0\x9F\x94\x90\xF0\x9F\x92\xAC"
#define SCORE_SECRET_SUFFIX "\xF0\x9F\x92\xAC\xF0\x9F\x94\x90"
#define SCORE_SECRET_MARK_LEN 8

#define SCORE_ANN_PREFIX "k8s.score.dev/"

/* ---- placeholders.c ---------------------------------------------------- */

/* What ${...} placeholders resolve against. */
typedef struct score_subst {
    const cJSON *metadata; /* the workload's metadata (${metadata.*}) */
    const cJSON *outputs;  /* resource name -> outputs object (${resources.NAME.KEY}) */
    /* Volume-source mode: ${resources.NAME} (no key) gives the resource's uid
     * from uids (resource name -> uid string), as score-k8s resolves volume
     * sources. NULL otherwise. */
    const cJSON *uids;
} score_subst;

/* Substitute placeholders in s as score-go's framework.SubstituteString
 * does: "$$" gives "$", "${REF}" (REF of [A-Za-z0-9._\-[]\\]) is resolved,
 * anything else is copied. Appended to out. An unresolvable reference is
 * SL_EINVAL with "invalid ref 'REF': <why>" (no position: the caller adds
 * the node's). */
int score_subst_str(const score_subst *sc, const char *s, sl_buf *out, sl_error *err);

/* Split a reference at unescaped dots ("a.b\.c" -> "a", "b.c"). */
int score_ref_split(const char *ref, size_t len, sl_strv *out);

/* Every resource name referenced as ${resources.NAME...} in s, added to names
 * (no duplicates). */
int score_subst_resource_refs(const char *s, sl_strv *names);

/* Substitute in every string of a tree in place (keys are left alone).
 * Errors carry the position of the string node from pm when known. */
int score_subst_tree(const score_subst *sc, cJSON *node, const sl_posmap *pm, sl_error *err);

/* Set err's position to node's (from pm) unless it has one. Returns err->code. */
int score_err_at(sl_error *err, const sl_posmap *pm, const cJSON *node);

/* A secret reference found in a string. */
typedef struct score_secret_ref {
    char *name;
    char *key;
} score_secret_ref;

/* Split s at secret references: parts (n refs + 1 strings, owned) and refs
 * (owned). A marker that does not decode is SL_EINVAL. */
int score_secret_split(const char *s, sl_strv *parts, score_secret_ref **refs, size_t *nrefs,
                       sl_error *err);
void score_secret_refs_free(score_secret_ref *refs, size_t n);
/* True when any string in the tree holds a secret marker; path filled. */
int score_secret_find(const cJSON *node, sl_buf *path);

/* ---- state.c ------------------------------------------------------------ */

/* Provisioner state of one app (its workloads' resources) and the shared
 * state of every app, persisted as JSON under <stateDir>/score/. While open,
 * the app's own lock serialises renders of the same app; the shared lock is
 * taken only by score_state_lock_shared. */
typedef struct score_state {
    char *dir;       /* <stateDir>/score, or NULL: in memory only */
    char *app_file;  /* <dir>/apps/<app>.json */
    int lock_fd;     /* the app's lock; -1 when not locked */
    int shared_fd;   /* the shared lock; -1 when not taken */
    cJSON *app;      /* {"workloads": {}, "resources": {}} */
    cJSON *shared;   /* {"shared": {}, "resources": {}} */
    char *app_before;    /* serialisations as read, to skip unchanged writes */
    char *shared_before;
} score_state;

/* Open (and lock) the state of app under state_dir (NULL or "": in memory). */
int score_state_open(const char *state_dir, const char *app, score_state *st, sl_error *err);
/* The state record of resource uid (created empty when new); borrowed. Shared
 * resources (with an explicit id) live in the shared file. */
cJSON *score_state_resource(score_state *st, const char *uid, int shared);
/* The record of workload name (created with a random instance suffix when new). */
cJSON *score_state_workload(score_state *st, const char *name);
/* The shared state map (borrowed). */
cJSON *score_state_shared(score_state *st);
/* Take the shared lock (held until close) and read the shared file again:
 * for apps whose provisioners may change shared state. Without it the
 * shared state is read-only (never written back). */
int score_state_lock_shared(score_state *st, sl_error *err);
/* Write what changed (atomically: temp file + rename). */
int score_state_save(score_state *st, sl_error *err);
/* Unlock and free. Accepts a zeroed struct. */
void score_state_close(score_state *st);
/* n random bytes as lowercase hex into out (2n+1 bytes). */
int score_random_hex(char *out, size_t n);
/* A random UUID v4 string (37 bytes). */
int score_random_uuid(char out[37]);
/* Merge patch into dst as score-k8s's PatchMap: null deletes, objects merge. */
int score_patch_map(cJSON *dst, const cJSON *patch);

/* ---- provisioners.c ----------------------------------------------------- */

typedef struct score_prov score_prov;
typedef struct score_provs score_provs;
struct score_provs {
    score_prov **v;
    size_t n, cap;
    char *bin_dir;  /* where cmd:// scripts from snapshots are written (stateDir or tmp) */
    double timeout; /* seconds a cmd:// provisioner may run (default 30) */
    size_t max_output; /* bytes of stdout accepted (default 4 MiB) */
    const score_provs *defaults; /* matched after v (shared, read-only) */
};

/* Parse a provisioners file (a YAML list in score-k8s's format) and append
 * its entries. snap/dir locate cmd://./relative scripts (may be NULL). */
int score_provs_load(score_provs *ps, const char *file, const char *data, size_t len,
                     sl_snapshot *snap, sl_error *err);
/* Add the compiled-in defaults (renderers/score/default.provisioners.yaml),
 * parsed once per process and shared read-only, matched after ps's own. */
int score_provs_load_defaults(score_provs *ps, sl_error *err);
/* The first provisioner matching type/class/id, or NULL. */
/* Whether p may change shared state (a shared template, or cmd://). */
int score_prov_uses_shared(const score_prov *p);
const score_prov *score_provs_match(const score_provs *ps, const char *type, const char *cls,
                                    const char *id);
const char *score_prov_uri(const score_prov *p);
void score_provs_free(score_provs *ps);

/* What a provisioner gets and gives back. */
typedef struct score_prov_io {
    /* in */
    const char *guid, *uid, *type, *cls, *id, *source_workload, *ns;
    const cJSON *params, *metadata, *workload_metadata, *workload_services;
    const cJSON *state;  /* previous resource state */
    cJSON *shared;       /* shared state: patched in place */
    /* out (owned) */
    cJSON *new_state, *outputs, *manifests;
} score_prov_io;

/* Run provisioner p. On error err names the resource and provisioner. */
int score_prov_run(const score_provs *ps, const score_prov *p, score_prov_io *io,
                   sl_error *err);
void score_prov_io_fini(score_prov_io *io);

/* ---- k8s.c / compose.c -------------------------------------------------- */

/* One workload being converted. */
typedef struct score_wl {
    const char *name;
    const char *file;    /* the score file in the snapshot */
    cJSON *spec;         /* normalised spec (files/volumes as maps) */
    const sl_posmap *pm;
    const char *instance_suffix;
    cJSON *outputs;      /* resource name -> outputs */
    cJSON *uids;         /* resource name -> uid */
    sl_snapshot *snap;   /* for files[].source */
    const char *dir;     /* folder of file in snap */
    size_t max_file;     /* cap for files[].source */
} score_wl;

/* Convert w to Kubernetes objects appended to out (a JSON array), as
 * score-k8s's ConvertWorkload does. */
int score_k8s_convert(const score_wl *w, cJSON *out, sl_error *err);
/* The name of the Service of a workload (the k8s.score.dev/service-name
 * annotation or the workload name). */
const char *score_k8s_service_name(const cJSON *spec);

/* Convert every workload into one docker compose project (services, volumes). */
int score_compose_convert(const score_wl *ws, size_t n, const cJSON *resources_manifests,
                          cJSON **out, sl_error *err);

#endif
