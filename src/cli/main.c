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

/* libgomp reads its wait policy once, at load time.  Its default (spin about
 * 300,000 times before sleeping) wastes whole cores when the machine is
 * shared; OMP_WAIT_POLICY=passive (sleep at once) costs a futex wake-up per
 * parallel region, 15% of a full-configuration step and 2.5x a small one at
 * 2 threads.  A short spin (GOMP_SPINCOUNT=1000) is within 3% of the fastest
 * on free cores and loses 10-40% when two 2-thread jobs share 2 cores
 * (README, "The CPU engine").  Unless the user chose (OMP_WAIT_POLICY or
 * GOMP_SPINCOUNT set), we re-execute ourselves once with the short spin. */
static void ensure_short_spin(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    if (setenv("GOMP_SPINCOUNT", "1000", 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the default policy */
}

int main(int argc, char **argv)
{
    ensure_short_spin(argv);
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
