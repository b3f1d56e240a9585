/* scaffold_int.h: what the files of `sluice scaffold` share (folder-internal,
 * not a core header): the in-memory tree every step renders into, the
 * confinement checks, skeleton reading, globbing and git publishing. */
#ifndef SL_SCAFFOLD_INT_H
#define SL_SCAFFOLD_INT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "sl_buf.h"
#include "sl_doc.h"
#include "sl_error.h"

/* Caps for one scaffold run. */
#define SC_MAX_ENTRIES 20000                 /* files + folders in one tree */
#define SC_MAX_FILE_BYTES ((size_t)16 << 20) /* one skeleton or rendered file */
#define SC_MAX_TREE_BYTES ((size_t)256 << 20)

typedef enum { SC_FILE = 0, SC_DIR = 1, SC_LINK = 2 } sc_kind;

/* One entry of a tree. path is relative, '/'-separated, normalised (no
 * ".", "..", empty segment, leading or trailing '/'). data holds a file's
 * bytes or a symlink's target (NUL-terminated, len bytes). */
typedef struct sc_entry {
    char *path;
    sc_kind kind;
    unsigned mode; /* permission bits (0644, 0755, ...) */
    char *data;
    size_t len;
} sc_entry;

/* A tree of files, kept in memory until everything has rendered, so that an
 * error anywhere writes nothing. Zero-initialised means empty. */
typedef struct sc_tree {
    sc_entry *v;
    size_t n, cap;
    size_t bytes;
} sc_tree;

/* Add (a copy of) an entry; the parent folders are implied. An existing
 * entry with the same path is replaced when replace is set, else kept (the
 * call returns 1 then). path must already be checked with sc_path_join. */
int sc_tree_add(sc_tree *t, const char *path, sc_kind kind, unsigned mode, const char *data,
                size_t len, int replace, sl_error *err);
/* The entry at path, or NULL. Borrowed. */
const sc_entry *sc_tree_get(const sc_tree *t, const char *path);
/* Sort entries by path (bytewise). */
void sc_tree_sort(sc_tree *t);
void sc_tree_free(sc_tree *t);

/* Write every entry of t below dir, all or nothing: the tree is written into
 * a fresh folder beside dir, then renamed onto dir. dir must not exist or be
 * an empty folder (SL_EREFUSED otherwise). Symlinks are re-checked not to
 * leave dir. */
int sc_tree_write(const sc_tree *t, const char *dir, sl_error *err);

/* 1 if dir does not exist, 0 if it is an empty folder, SL_EREFUSED (err
 * filled) if it holds anything or is not a folder. */
int sc_dir_fresh(const char *dir, sl_error *err);

/* Create the parent folders of path (everything before its last '/'). */
int sc_mkdir_p(const char *path, sl_error *err);
/* Remove a folder recursively, never following symlinks (best effort). */
void sc_rmtree(const char *path);

/* Join base (already normalised, "" for the root) and a rendered relative
 * path rel into out, normalised. An absolute rel, a ".." segment that would
 * climb above the root, or a NUL byte is SL_ECONFINE; the message names
 * what (the source path the name was rendered from). "." segments and
 * repeated '/' are dropped. */
int sc_path_join(const char *base, const char *rel, const char *what, sl_buf *out, sl_error *err);

/* 1 if a symlink at path (relative to a root) with this target stays inside
 * the root, 0 if it points out (absolute target or too many ".."). */
int sc_link_inside(const char *path, const char *target);

/* Read every entry below root (a skeleton folder) into out, paths relative
 * to root, sorted; folders included (also empty ones). Symlinks are kept as
 * links; one pointing out of root is SL_ECONFINE naming it. Files over
 * SC_MAX_FILE_BYTES are SL_ELIMIT. */
int sc_skel_read(const char *root, sc_tree *out, sl_error *err);

/* Glob match of a '/'-separated path: '*', '?' and '[...]' stay inside one
 * segment, a "**" segment matches any number of segments, dot files match.
 * With slash_star, '*' also crosses '/' (Python's fnmatch, as cookiecutter
 * matches). */
int sc_glob_match(const char *pattern, const char *path, int slash_star);

/* 1 if data looks binary (a NUL byte or invalid UTF-8 in its first 8 KiB):
 * copied as is, never rendered. */
int sc_is_binary(const char *data, size_t len);

/* Read a token file (whitespace around the token dropped). *out is the
 * caller's: wipe and free it with sc_token_free. */
int sc_token_read(const char *file, char **out, sl_error *err);
void sc_token_free(char *tok);

/* In the text of a catalog's root Location, append "- ./<entry>" to
 * spec.targets unless a target glob already covers entry; comments and
 * layout are kept. *out is the new text (caller's), or NULL when nothing
 * changes or there is no targets list. Returns 0 or SL_ENOMEM. */
int sc_location_append(const char *text, const char *entry, char **out);

/* Parse Backstage's repoUrl "HOST?owner=O&repo=R" (organization= is taken
 * for owner). 0 and the three strings (the caller's), or -1 when malformed
 * (a missing part, or a part with '/' or equal to ".."). */
int sc_parse_repo_url(const char *s, char **host, char **owner, char **repo);

/* ---- git (scaffold_git.c) ---- */

typedef struct sc_git_opts {
    const char *url;          /* remote: file://, a path, http(s):// */
    const char *branch;       /* default "main" */
    const char *message;      /* commit message */
    const char *author_name;  /* default "sluice scaffold" */
    const char *author_email; /* default "scaffold@sluice.invalid" */
    const char *token;        /* http(s) token (borrowed), or NULL */
    /* sc_git_commit_files only: called with the checkout's root folder
     * before anything is written; may add entries to *edits: existing files
     * replaced (written and staged like the new ones). */
    int (*prepare)(const char *root, void *arg, sc_tree *edits, sl_error *err);
    void *prepare_arg;
} sc_git_opts;

/* Commit the entries of t below subdir ("" for all, paths made relative to
 * it) as the first commit of o->branch and push it to o->url. The remote
 * branch must not exist yet (an existing one is refused, nothing pushed).
 * commit receives the new commit's hex id (41 bytes). */
int sc_git_publish(const sc_tree *t, const char *subdir, const sc_git_opts *o, char *commit,
                   sl_error *err);

/* Add files to a catalog repository and commit them: repo is a local
 * checkout (work tree) or a remote URL (cloned into a temporary folder,
 * committed, pushed back to o->branch, default the remote's HEAD). Every
 * entry of files is written under the repository root (paths already
 * checked); message and author come from o (o->url is ignored). */
int sc_git_commit_files(const char *repo, const sc_tree *files, const sc_git_opts *o, char *commit,
                        sl_error *err);

/* ---- cookiecutter (cookiecutter.c) ---- */

typedef struct sc_run_opts {
    const char *template_arg; /* as given on the command line */
    const char *template_dir; /* folder holding template.yaml / cookiecutter.json */
    const char *template_file;
    const char *outdir;
    cJSON *values;        /* answers from --values (object, owned by the caller) */
    sl_posmap *values_pm; /* positions of values' nodes (or NULL) */
    const char *values_file;
    sl_strv sets; /* key=value from --set, in order */
    int allow_hooks;
    const char *token_file;
    const char *catalog;
    const char *github_base;
    int quiet;
} sc_run_opts;

struct sl_jinja_opts;
/* Parse and render src (len bytes) with the engine options and context
 * into out (reset first; NUL-terminated). */
int sc_render_text(const char *src, size_t len, const struct sl_jinja_opts *jo, const cJSON *ctx,
                   sl_buf *out, sl_error *err);

/* Run a cookiecutter skeleton (o->template_dir holds cookiecutter.json).
 * Returns 0 or a negative SL_E* with err filled. */
int sc_cookiecutter_run(const sc_run_opts *o, sl_error *err);

/* Run a hook script (already rendered, in a temporary file) with cwd as its
 * working folder: .py through python3, anything else through sh. */
int sc_hook_run(const char *script, const char *name, const char *cwd, sl_error *err);

#endif
