/* cmd_table.c: `wsnas table` (placeholder until the table module lands). */
#include <stdio.h>

#include "cli.h"

int ws_cmd_table(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "wsnas table: not implemented yet\n");
    return 1;
}
