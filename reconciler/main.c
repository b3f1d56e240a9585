/* main.c: the sluice binary. Everything lives in cli.c; main only hands over. */
#include "sl_cli.h"

int main(int argc, char **argv)
{
    return sl_cli_main(argc, argv);
}
