/* main.c: the `wsnas` binary: git-style dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct ws_command {
    const char *name;
    ws_cmd_fn fn;
    const char *help;
};

/* One line per subcommand; each helper module adds its own. */
static const struct ws_command commands[] = {
    {"arch", ws_cmd_arch, "describe an architecture (string or index)"},
    {"table", ws_cmd_table, "import, inspect and query tabular benchmarks"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: wsnas <command> [options]  (wsnas <command> --help)\n\ncommands:\n");
    for (size_t i = 0; i < WS_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < WS_ARRAY_LEN(commands); i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "wsnas: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
