/* sl_scaffold.h: `sluice scaffold`: run a Backstage software template
 * (scaffolder.backstage.io/v1beta3) or a cookiecutter skeleton offline. The
 * implementation lives in renderers/template/scaffold.c. */
#ifndef SL_SCAFFOLD_H
#define SL_SCAFFOLD_H

#include <stdio.h>

/* Run `sluice scaffold ...` (argv[0] is "scaffold"); returns the process
 * exit code: 0 done, 2 error (nothing written locally). */
int sl_scaffold_main(int argc, char **argv);

/* Print the usage text of `sluice scaffold` to f. */
void sl_scaffold_usage(FILE *f);

#endif
