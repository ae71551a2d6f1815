/* cmd_arch.c: `wsnas arch` (placeholder until the space module lands). */
#include <stdio.h>

#include "cli.h"

int ws_cmd_arch(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wsnas arch: not implemented yet\n");
    return 1;
}

int ws_cmd_table(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wsnas table: not implemented yet\n");
    return 1;
}
