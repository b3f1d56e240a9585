/* ks.h: the Kubernetes API test server's internal interfaces.
 *
 *   fields.c  field paths, fieldsV1, managed fields, server-side apply merge
 *   store.c   kinds (built-in and CRD-registered), objects, defaulting, status
 *   main.c    HTTP (libmicrohttpd), routing, auth, faults, request log
 *
 * Test-only code: it serves sluice's tests and kubectl, nothing else. */
#ifndef KS_H
#define KS_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "sl_buf.h"
#include "sl_doc.h"
#include "sl_error.h"

/* ---- fields.c -------------------------------------------------------- */

/* A field path is a string of fieldsV1 segments ("f:spec", "k:{\"name\":\"web\"}",
 * "v:\"x\"", "i:0") joined by KS_SEP. A field set is an sl_strv of paths,
 * sorted and unique (ks_fset_norm). A path whose last segment is a list item
 * (k:, v:, i:) stands for the item itself ("." in fieldsV1). */
#define KS_SEP '\x1f'

/* Which schema rules apply to an object: built-in kinds know their
 * associative lists (containers by name, ports by containerPort+protocol,
 * ...); custom resources know metadata's and what their CRD's
 * openAPIV3Schema says (x-kubernetes-list-type map/set with
 * x-kubernetes-list-map-keys); every other list is atomic. */
typedef struct ks_schema {
    int builtin;
    const cJSON *openapi; /* custom: the version's openAPIV3Schema, may be NULL */
} ks_schema;
extern const ks_schema ks_schema_builtin, ks_schema_custom;
#define KS_SCHEMA_BUILTIN (&ks_schema_builtin)
#define KS_SCHEMA_CUSTOM (&ks_schema_custom)

/* Deep JSON equality, linear in the size of the values. */
int ks_json_equal(const cJSON *a, const cJSON *b);

/* Sort and deduplicate. */
void ks_fset_norm(sl_strv *s);
int ks_fset_has(const sl_strv *s, const char *path);
/* out = a - b (both normalised; out is appended to, then normalised). */
int ks_fset_minus(const sl_strv *a, const sl_strv *b, sl_strv *out);

/* The set of fields obj sets (leaves, atomic lists, list items), without
 * apiVersion, kind, status (when strip_status) and server-owned metadata
 * (name, namespace, uid, resourceVersion, generation, creationTimestamp,
 * managedFields, ...). */
int ks_fields_of(const cJSON *obj, const ks_schema *sch, int strip_status, sl_strv *out);
/* The value at path in obj (borrowed), NULL when absent. */
const cJSON *ks_fields_get(const cJSON *obj, const char *path);
/* Remove the field or list item at path from obj; absent is fine. */
void ks_fields_remove(cJSON *obj, const char *path);
/* fieldsV1 JSON of a set (caller frees); NULL on ENOMEM. */
cJSON *ks_fields_to_v1(const sl_strv *set);
/* Parse fieldsV1 into paths (appended to out, normalised). */
int ks_fields_from_v1(const cJSON *v1, sl_strv *out);
/* Human form as the API server prints it: .spec.containers[name="web"].image */
int ks_fields_pretty(const char *path, sl_buf *out);

/* Default the list keys the applied configuration leaves out (ports'
 * protocol), as the API server does before it computes the set. */
void ks_fields_default_keys(cJSON *obj, const ks_schema *sch);

/* One request's identity for managed fields. */
typedef struct ks_manage {
    const char *manager;     /* fieldManager */
    const char *api_version; /* apiVersion recorded in the entry */
    const char *now;         /* RFC 3339 time */
    const ks_schema *schema;
    int strip_status; /* the kind has a status subresource: main resource ignores status */
    int force;
} ks_manage;

/* Server-side apply of config onto live (NULL: the object does not exist
 * yet). On success *out is the new object (caller's), with
 * metadata.managedFields updated; the caller adds server-owned metadata and
 * defaults. On a conflict returns SL_ECONFLICT and *conflict is a Status
 * object (409, reason Conflict, one cause per field) for the caller. */
int ks_apply(const cJSON *live, const cJSON *config, const ks_manage *m, cJSON **out,
             cJSON **conflict, sl_error *err);

/* Record an update (create, replace, patch) by m->manager: the fields that
 * differ between old (NULL for create) and obj become the manager's and stop
 * being anyone else's; removed fields leave every set. Rewrites
 * obj.metadata.managedFields. */
int ks_update_managed(const cJSON *old, cJSON *obj, const ks_manage *m, sl_error *err);

/* ---- patches (fields.c) ---------------------------------------------- */

/* RFC 7386 merge patch of patch onto *doc (in place; *doc may be replaced). */
int ks_merge_patch(cJSON **doc, const cJSON *patch);
/* Strategic merge patch, the subset kubectl sends: merge patch, with
 * associative lists (by the schema's keys) merged by key and $patch:
 * delete/replace and $retainKeys/$setElementOrder directives honoured or
 * dropped. */
int ks_strategic_patch(cJSON **doc, const cJSON *patch, const ks_schema *sch);
/* RFC 6902 JSON patch (add, remove, replace, move, copy, test). */
int ks_json_patch(cJSON **doc, const cJSON *ops, sl_error *err);

/* ---- store.c ---------------------------------------------------------- */

/* A served resource: built in, or registered by a CustomResourceDefinition. */
typedef struct ks_kind {
    char *group, *version, *kind, *plural, *singular, *list_kind;
    char *short_names; /* comma-separated, may be "" */
    char *crd;         /* owning CRD's name, NULL for built-ins */
    int namespaced;
    int status_sub;   /* has a status subresource */
    int generation;   /* tracks metadata.generation */
    int storage;      /* the storage version (CRDs) */
    double served_at; /* CRD kinds: served (Established) from this time */
    cJSON *openapi;   /* CRD kinds: the version's openAPIV3Schema (owned) */
    ks_schema schema; /* CRD kinds: list types from openapi */
} ks_kind;

/* One stored object. */
typedef struct ks_entry {
    char *key;       /* group \x1f plural \x1f namespace \x1f name */
    cJSON *obj;      /* stored with the storage apiVersion */
    double ready_at; /* status becomes ready at this time (0: nothing pending) */
    struct ks_entry *next;
} ks_entry;

/* Store-wide settings (set before serving). */
extern double ks_delay_ready; /* seconds */

/* The global lock: every store function below requires it held. */
void ks_lock(void);
void ks_unlock(void);

int ks_store_init(void);
/* Free every kind, object and event (for leak-checked tests). */
void ks_store_free(void);
double ks_now(void);
/* RFC 3339 UTC ("2026-01-02T03:04:05Z") into buf (>= 32 bytes). */
const char *ks_time_str(double t, char *buf, size_t n);
/* The next resourceVersion (monotonic). */
unsigned long long ks_next_rv(void);
unsigned long long ks_current_rv(void);

/* A served kind by URL parts (NULL when not served, incl. CRD kinds that
 * are not Established yet). */
const ks_kind *ks_kind_by_plural(const char *group, const char *version, const char *plural);
const ks_kind *ks_kind_by_kind(const char *group, const char *version, const char *kind);
/* Is version served by group at all (for 404 vs discovery)? */
int ks_group_version_served(const char *group, const char *version);

/* Discovery documents (caller frees). */
cJSON *ks_discovery_api(void);
cJSON *ks_discovery_groups(void);
cJSON *ks_discovery_group(const char *group);
cJSON *ks_discovery_resources(const char *group, const char *version);
/* OpenAPI v3: the path index and one group/version's document. */
cJSON *ks_openapi_v3_index(void);
cJSON *ks_openapi_v3_gv(const char *group, const char *version);

/* Objects. Keys are built with ks_key. */
char *ks_key(const ks_kind *k, const char *ns, const char *name);
ks_entry *ks_get(const char *key);
/* Store obj under key (taking it), replacing any previous object. */
int ks_put(const char *key, cJSON *obj, ks_entry **out);
void ks_del(const char *key);
/* Call fn for every entry of kind k (ns NULL: every namespace). */
void ks_each(const ks_kind *k, const char *ns, void (*fn)(ks_entry *, void *), void *arg);
/* Delete every object in namespace ns. */
void ks_del_namespace(const char *ns);

/* Does namespace ns hold any object? */
int ks_namespace_empty(const char *ns);

/* The watch event log: a ring of the last KS_EVENTS changes. */
#define KS_EVENTS 8192
typedef struct ks_event {
    unsigned long long rv;
    const char *type; /* "ADDED", "MODIFIED", "DELETED" */
    char *key;
    cJSON *obj;
} ks_event;
/* Record a change (obj is copied; its metadata.resourceVersion is the event's). */
void ks_event_add(const char *type, const char *key, const cJSON *obj);
/* Call fn for every event newer than rv since; SL_ELIMIT when events newer
 * than since have already left the ring (the watcher must re-list). */
int ks_events_since(unsigned long long since, void (*fn)(const ks_event *, void *), void *arg);

/* Server-side processing of a stored object: defaults, generation,
 * simulated status, CRD registration. old may be NULL. */
void ks_default(const ks_kind *k, cJSON *obj);
void ks_status_init(const ks_kind *k, ks_entry *e, const cJSON *old);
/* Make a pending status ready when its time has come (bumps resourceVersion). */
void ks_status_refresh(const ks_kind *k, ks_entry *e);
/* Forget a pending status (a client wrote one). */
void ks_status_cancel(ks_entry *e);
/* How many statuses are pending. */
long ks_status_pending(void);
/* A CRD was stored (obj) or deleted (obj NULL, name given). */
int ks_crd_changed(const char *name, const cJSON *obj);

/* ---- api.c -------------------------------------------------------------- */

/* One resource request, parsed from the URL by main.c. */
typedef struct ks_req {
    const char *method;
    const char *group, *version, *plural;
    const char *ns;   /* NULL: cluster-scoped path (or every namespace for lists) */
    const char *name; /* NULL: the collection */
    const char *sub;  /* subresource ("status") or NULL */
    const char *content_type;
    const char *accept;
    const char *body;
    size_t body_len;
    /* query parameters (NULL when absent) */
    const char *field_manager, *dry_run, *force, *label_selector, *field_selector, *watch;
    const char *resource_version, *timeout_seconds;
    const char *user_agent;
    struct ks_body *pre_; /* the body parsed before taking the lock (api.c) */
} ks_req;

typedef struct ks_watch ks_watch;

/* A response: status code and JSON body (caller frees), or a watch stream
 * (code 200, body NULL, watch set: the caller streams it). */
typedef struct ks_resp {
    int code;
    cJSON *body;
    ks_watch *watch;
} ks_resp;

/* Append the watch's next events (newline-delimited JSON) to out. Returns 1
 * when the stream is over (timeout, or an ERROR event was written), 0 when
 * it goes on (out may be empty: nothing new yet). Takes the global lock. */
int ks_watch_poll(ks_watch *w, sl_buf *out);
void ks_watch_free(ks_watch *w);

/* A Status object (kind Status, status Failure) for an error. kind_plural,
 * group and name fill details when given. */
cJSON *ks_status(int code, const char *reason, const char *message, const char *group,
                 const char *kind_plural, const char *name);
/* Serve one resource request (takes the global lock). */
void ks_api_handle(const ks_req *r, ks_resp *out);

/* ---- proto.c ------------------------------------------------------------ */

/* Decode a protobuf request body ("k8s\0" envelope) of a v1 Namespace,
 * ConfigMap, Secret or ServiceAccount into JSON (*out is the caller's).
 * SL_EUNSUPPORTED for other kinds, SL_EINVAL for malformed input. */
int ks_proto_decode(const char *data, size_t len, cJSON **out, sl_error *err);

/* ---- selectors (api.c) ------------------------------------------------ */

typedef struct ks_selector ks_selector;
/* Parse a label selector ("a=b,c!=d,e in (f,g),h,!i"); an error names the
 * requirement that does not parse. */
int ks_selector_parse(const char *s, ks_selector **out, sl_error *err);
int ks_selector_match(const ks_selector *sel, const cJSON *labels);
void ks_selector_free(ks_selector *sel);

#endif
