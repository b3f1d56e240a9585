/* sl_daemon.h: `sluice run`, the long-running reconciler. */
#ifndef SL_DAEMON_H
#define SL_DAEMON_H

typedef struct sl_daemon_opts {
    const char *config; /* path of sluice.yaml */
    const char *listen; /* overrides the config's listen, or NULL */
    int watch;          /* inotify on dir sources: edits trigger a debounced reconcile */
} sl_daemon_opts;

/* Run until SIGTERM/SIGINT: reconcile every app once, then keep them
 * reconciled (polling, webhooks, inotify, drift checks). SIGHUP reloads the
 * configuration (the old one stays when the new one is invalid). Returns
 * the process exit code: 0 after a clean stop, 2 when it cannot start. */
int sl_daemon_run(const sl_daemon_opts *o);

#endif
