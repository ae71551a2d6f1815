/* main.c: the `wsnas` binary: git-style dispatch to subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    {"baseline", ws_cmd_baseline, "table-only random search and regularised evolution"},
    {"report", ws_cmd_report, "tidy CSVs, summary table and plots from search runs"},
    {"eval", ws_cmd_eval, "rank disorder: one-shot vs true accuracy of sampled architectures"},
    {"search", ws_cmd_search, "run or resume a weight-sharing search (RS-WS, DARTS, GDAS, GAEA)"},
    {"bench", ws_cmd_bench, "run a suite of searches, evaluations and reports"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: wsnas <command> [options]  (wsnas <command> --help)\n\ncommands:\n");
    for (size_t i = 0; i < WS_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
}

/* libgomp reads OMP_WAIT_POLICY once, at load time.  Its default (spin for a
 * while before sleeping) wastes whole cores when the machine is shared or
 * when BLAS and OpenMP threads alternate, so unless the user chose a policy
 * we re-execute ourselves once with OMP_WAIT_POLICY=passive. */
static void ensure_passive_wait(char **argv)
{
    if (getenv("OMP_WAIT_POLICY")) return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the default policy */
}

int main(int argc, char **argv)
{
    ensure_passive_wait(argv);
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
