/* cli.c: the command line. */
#include <stdio.h>
#include <string.h>

#include "sl_cli.h"

int sl_cli_main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "version")) {
        printf("sluice %s\n", SL_VERSION);
        return 0;
    }
    fprintf(stderr, "usage: sluice render|diff|apply|validate|version\n");
    return 2;
}
