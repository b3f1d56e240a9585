/* sl_notify.h: the systemd notification protocol (sd_notify), spoken
 * directly over $NOTIFY_SOCKET; a no-op when it is unset. */
#ifndef SL_NOTIFY_H
#define SL_NOTIFY_H

/* Send state (e.g. "READY=1\nSTATUS=reconciling 3 apps"). 0 on success or
 * when not under systemd; negative SL_E* on a send failure. */
int sl_notify(const char *state);
/* The watchdog interval in seconds from $WATCHDOG_USEC (for this pid), or 0. */
double sl_notify_watchdog_interval(void);

#endif
