/* sl_status.h: `sluice status`: the last reconcile of every app, read from
 * the running daemon's API or, when it does not answer, from the state
 * file under stateDir. */
#ifndef SL_STATUS_H
#define SL_STATUS_H

/* argv[0] is "status". Returns the process exit code: 0 when every app's
 * last reconcile succeeded (or was skipped), 1 when any failed, 2 on error
 * (no config, no daemon and no state file, bad options). */
int sl_status_main(int argc, char **argv);

#endif
