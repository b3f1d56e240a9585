/* sl_snapshot.h: a read-only view of a tree at a revision. Renderers read
 * sources only through this interface; no renderer touches the filesystem. */
#ifndef SL_SNAPSHOT_H
#define SL_SNAPSHOT_H

#include <stdint.h>
#include "sl_buf.h"
#include "sl_error.h"

typedef struct sl_snapshot sl_snapshot;

/* Back-end operations. Paths given to them are already normalised by the
 * sl_snapshot_* wrappers: relative, '/'-separated, no "." or ".." segment,
 * no leading or trailing '/', "" for the root. */
typedef struct sl_snapshot_ops {
    /* Append the file's bytes to out. SL_ENOTFOUND when missing, SL_EINVAL
     * when path is a directory, SL_ECONFINE when path is (or passes through)
     * a symlink leaving the root, SL_ELIMIT past max bytes. */
    int (*read)(sl_snapshot *s, const char *path, size_t max, sl_buf *out, sl_error *err);
    /* Append the entries of a directory, names only, in any order (the
     * sl_snapshot_list wrapper sorts them bytewise); sub-directories carry
     * a trailing '/'. Symlinks are listed as files
     * (git) or resolved within the root (dir); never followed out. */
    int (*list)(sl_snapshot *s, const char *dir, sl_strv *out, sl_error *err);
    void (*free)(sl_snapshot *s);
    /* Optional (NULL = SL_EUNSUPPORTED): when the file at path last
     * changed, in unix seconds. git: the committer time of the newest
     * commit on the first-parent chain of the snapshot's commit whose
     * entry for path differs from its parent's (when the change landed on
     * the branch); dir: the file's mtime. SL_ENOTFOUND when missing. */
    int (*mtime)(sl_snapshot *s, const char *path, int64_t *out, sl_error *err);
} sl_snapshot_ops;

/* Base of every snapshot; back ends embed it as their first member. */
struct sl_snapshot {
    const sl_snapshot_ops *ops;
    char *source;   /* source name, e.g. "catalog" (owned) */
    char *revision; /* commit id or "local" (owned) */
};

/* Normalise a user-supplied relative path into out (same rules as above).
 * Absolute paths, ".." segments and NUL bytes are SL_ECONFINE. */
int sl_path_normalize(const char *path, sl_buf *out, sl_error *err);

int sl_snapshot_read(sl_snapshot *s, const char *path, size_t max, sl_buf *out, sl_error *err);
int sl_snapshot_list(sl_snapshot *s, const char *dir, sl_strv *out, sl_error *err);
/* Every file below dir (recursive), as paths relative to the snapshot
 * root, in sorted path order. */
int sl_snapshot_walk(sl_snapshot *s, const char *dir, sl_strv *out, sl_error *err);
/* Paths (files and directories, no trailing '/') matching a glob whose
 * segments use fnmatch syntax ("services/(star)/score.yaml"), sorted. */
int sl_snapshot_glob(sl_snapshot *s, const char *pattern, sl_strv *out, sl_error *err);
/* 1 if path is a directory, 0 if a file, SL_ENOTFOUND if neither. */
int sl_snapshot_isdir(sl_snapshot *s, const char *path, sl_error *err);
/* When path last changed (see sl_snapshot_ops.mtime): SL_EUNSUPPORTED when
 * the back end cannot tell. */
int sl_snapshot_mtime(sl_snapshot *s, const char *path, int64_t *out, sl_error *err);
void sl_snapshot_free(sl_snapshot *s);

/* Helper for back ends: set the base fields. */
int sl_snapshot_init(sl_snapshot *s, const sl_snapshot_ops *ops, const char *source,
                     const char *revision);
/* Helper for back ends: free the base fields (not s itself). */
void sl_snapshot_fini(sl_snapshot *s);

#endif
