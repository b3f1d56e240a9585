/* sl_source.h: where trees come from (git, dir). One file per kind under
 * sources/, registered in registry.c. */
#ifndef SL_SOURCE_H
#define SL_SOURCE_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "sl_config.h"
#include "sl_snapshot.h"

/* A fetched revision. */
typedef struct sl_revision {
    char id[128];  /* commit id (hex) for git; "local" or a content hash for dir */
    char ref[256]; /* what was asked for: branch, tag, commit id; "" for dir */
    int64_t time;  /* commit time (unix seconds), 0 when unknown */
} sl_revision;

typedef struct sl_source sl_source;

typedef struct sl_source_ops {
    const char *kind; /* the config key that selects it: "git", "dir" */
    /* Read this kind's options from the source's config map (node), report
     * every problem into c, and prepare src->priv. No network and no
     * filesystem writes here: `sluice validate` calls only this. */
    int (*open)(sl_source *src, const cJSON *node, sl_confctx *c);
    /* Bring the source up to date (clone/fetch) and resolve the configured
     * ref to a revision. */
    int (*fetch)(sl_source *src, sl_revision *out, sl_error *err);
    /* A read-only view of rev. *out belongs to the caller. */
    int (*snapshot)(sl_source *src, const sl_revision *rev, sl_snapshot **out, sl_error *err);
    /* Free priv. Must accept a source whose open failed. */
    void (*close)(sl_source *src);
} sl_source_ops;

struct sl_source {
    const sl_source_ops *ops;
    char *name;      /* key under sources: */
    char *state_dir; /* the config's stateDir (absolute) */
    double interval; /* poll interval in seconds */
    void *priv;
    /* Set by the back end's open (borrowed from priv) so that webhooks can
     * be matched: the git URL and ref, or the folder for dir; NULL if none. */
    const char *url;
    const char *ref;
    /* sources.<name>.webhook, read by the config loader (owned; NULL when unset). */
    char *webhook_secret_file; /* webhook.github.secretFile */
    char *webhook_token_file;  /* webhook.generic.tokenFile */
};

const sl_source_ops *sl_source_lookup(const char *kind);
/* The registry, NULL-terminated. */
extern const sl_source_ops *const sl_source_registry[];

int sl_source_fetch(sl_source *src, sl_revision *out, sl_error *err);
int sl_source_snapshot(sl_source *src, const sl_revision *rev, sl_snapshot **out, sl_error *err);

/* Open a local directory as a snapshot (the `dir` source, also used by
 * `sluice diff --local DIR`). *out belongs to the caller. */
int sl_dir_snapshot_open(const char *root, const char *source_name, sl_snapshot **out,
                         sl_error *err);

#endif
