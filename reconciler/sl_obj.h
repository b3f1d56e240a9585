/* sl_obj.h: object identity and manifest sets. */
#ifndef SL_OBJ_H
#define SL_OBJ_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "sl_buf.h"
#include "sl_doc.h"
#include "sl_error.h"

/* Identity of a Kubernetes object. All strings point into one owned block;
 * group is "" for the core group, ns is "" for cluster-scoped objects. */
typedef struct sl_objid {
    const char *group;
    const char *version;
    const char *kind;
    const char *ns;
    const char *name;
    char *mem_;
} sl_objid;

/* Build an identity from an object's apiVersion, kind, metadata.namespace
 * and metadata.name. Missing or non-string fields are an error (position
 * from pm when known). */
int sl_objid_from_json(const cJSON *obj, const sl_posmap *pm, sl_objid *out, sl_error *err);
int sl_objid_make(sl_objid *out, const char *group, const char *version, const char *kind,
                  const char *ns, const char *name);
int sl_objid_copy(sl_objid *out, const sl_objid *in);
void sl_objid_clear(sl_objid *id);
/* Order: group, kind, namespace, name, then version. */
int sl_objid_cmp(const sl_objid *a, const sl_objid *b);
/* Same object for Kubernetes: group, kind, namespace and name equal (every
 * version of a group serves the same object). */
int sl_objid_same(const sl_objid *a, const sl_objid *b);
/* Human form: "apps/v1 Deployment shop/orders", "v1 Namespace shop". */
const char *sl_objid_str(const sl_objid *id, char *buf, size_t n);
/* apiVersion as written: "apps/v1" or "v1". */
const char *sl_objid_apiversion(const sl_objid *id, char *buf, size_t n);
/* True for kinds known to be cluster-scoped (Namespace, ClusterRole, CRDs, ...). */
int sl_kind_cluster_scoped(const char *group, const char *kind);

/* One object in a set, with its provenance. */
typedef struct sl_obj {
    sl_objid id;
    cJSON *json;      /* owned by the set */
    const char *file; /* interned in the set's posmap */
    int line;
    int col;
} sl_obj;

/* An ordered set of objects with unique identities (sl_objid_same). */
typedef struct sl_objset {
    sl_obj *v;
    size_t n, cap;
    sl_posmap *pm;    /* positions of every node of every object */
    size_t bytes;     /* input bytes accounted with sl_objset_account */
    size_t max_bytes; /* 0 = unlimited */
    void *index_;     /* private hash index */
} sl_objset;

int sl_objset_new(sl_objset **out);
void sl_objset_free(sl_objset *set);
/* Add obj (ownership passes to the set, also on failure). The identity is
 * read from obj. A second object with the same identity is SL_EDUP naming
 * both places. */
int sl_objset_add(sl_objset *set, cJSON *obj, const char *file, int line, int col, sl_error *err);
/* Add an identity-only entry (json NULL), as inventories hold. */
int sl_objset_add_id(sl_objset *set, const sl_objid *id, sl_error *err);
const sl_obj *sl_objset_find(const sl_objset *set, const sl_objid *id);
/* Count n input bytes against max_bytes (the per-app size cap). */
int sl_objset_account(sl_objset *set, size_t n, const char *file, sl_error *err);
/* Sort by sl_objid_cmp (and rebuild the index: SL_ENOMEM possible). */
int sl_objset_sort(sl_objset *set);

#endif
