/* sl_webhook.h: GitHub (and generic) webhook deliveries: signature check,
 * parsing, and matching a push to configured sources. Pure functions, no
 * I/O: the HTTP layer calls them. */
#ifndef SL_WEBHOOK_H
#define SL_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include "sl_error.h"

#define SL_WEBHOOK_MAX_URLS 4

typedef struct sl_webhook_event {
    char event[64];     /* X-GitHub-Event: push, ping, create, delete, ... */
    char delivery[128]; /* X-GitHub-Delivery (a GUID) */
    /* push: the repository's clone_url, ssh_url, git_url, html_url */
    char urls[SL_WEBHOOK_MAX_URLS][512];
    size_t nurls;
    char ref[256];       /* push: "refs/heads/main" or "refs/tags/v1" */
    char after[64];      /* push: the new head commit id */
    int deleted;         /* push: the ref was deleted */
    int64_t commit_time; /* push: head_commit.timestamp as unix seconds, 0 if absent */
} sl_webhook_event;

/* Check X-Hub-Signature-256 ("sha256=<hex>") over the raw body with HMAC-
 * SHA256 and a constant-time compare. SL_EREFUSED when missing, malformed
 * or wrong (the message never contains the secret or the expected value). */
int sl_webhook_verify(const char *secret, size_t secret_len, const char *body, size_t len,
                      const char *signature_header, sl_error *err);

/* Parse a delivery whose signature was verified. event and delivery are
 * the header values (delivery may be NULL). Only push needs a body shape;
 * other events just fill event/delivery. Malformed JSON is SL_EINVAL. */
int sl_webhook_parse(const char *event, const char *delivery, const char *body, size_t len,
                     sl_webhook_event *out, sl_error *err);

/* 1 when a push event concerns a source with this git URL and ref: URLs
 * compare after normalisation (scheme, user info, trailing ".git" and "/"
 * dropped, host lower-cased, scp-like "git@host:org/repo" = "host/org/repo");
 * ref may be a branch name, a tag name, a full ref, or NULL/"" (any ref). A
 * commit id ref never matches a push (pinned sources do not move). */
int sl_webhook_matches(const sl_webhook_event *ev, const char *source_url, const char *source_ref);

/* Normalise a git URL for comparison into out (see above). */
void sl_webhook_url_key(const char *url, char *out, size_t n);

#endif
