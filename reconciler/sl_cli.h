/* sl_cli.h: the command line (render, diff, apply, validate, version). */
#ifndef SL_CLI_H
#define SL_CLI_H

/* Run the CLI; returns the process exit code. */
int sl_cli_main(int argc, char **argv);

#endif
