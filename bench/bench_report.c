/* bench_report.c: speed of `wsnas report` (ws_report_run) over 100
 * synthetic search runs (5 methods x 20 seeds, 50 epochs, a 6x5 weight
 * matrix per epoch), written by the tests' rb_write_run (the manifest,
 * epochs.csv and arch_weights.csv that wsnas search writes): tidy CSVs
 * alone, then with the four gnuplot plots.
 * With a table (argument 1, or build/nb201.h5 if present) the true
 * accuracies, trajectories and summary are included.  Target: < 1 s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wsnas/report.h"
#include "../tests/robust_util.h"

#define RUNS 100
#define EPOCHS 50

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *table = argc > 1 ? argv[1] : (access("build/nb201.h5", R_OK) == 0 ? "build/nb201.h5" : NULL);
    char base[] = "/tmp/wsnas-bench-report-XXXXXX";
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    static char names[RUNS][200];
    const char *dirs[RUNS];
    const char *methods[5] = {"rs-ws", "darts", "gdas", "gaea-darts", "gaea-gdas"};
    for (int r = 0; r < RUNS; r++) {
        snprintf(names[r], sizeof names[r], "%s/run%03d", base, r);
        char why[300];
        if (rb_write_run(names[r], methods[r % 5], r / 5, "\"epochs\": 50", EPOCHS,
                         (r * 997) % (15625 - EPOCHS), -1, -1, why, sizeof why)) {
            fprintf(stderr, "cannot write %s: %s\n", names[r], why);
            return 1;
        }
        dirs[r] = names[r];
    }
    char res[200], plots[200];
    snprintf(res, sizeof res, "%s/results", base);
    snprintf(plots, sizeof plots, "%s/plots", base);
    printf("wsnas report over %d runs x %d epochs (table: %s), best of 3\n", RUNS, EPOCHS,
           table ? table : "none");
    int fail = 0;
    for (int with_plots = 0; with_plots < 2; with_plots++) {
        double best = 1e9;
        for (int k = 0; k < 3; k++) {
            ws_report_options o = ws_report_options_default();
            o.results_dir = res;
            o.plots_dir = with_plots ? plots : NULL;
            o.table_path = table;
            ws_error err = {0};
            double t0 = now();
            if (ws_report_run(dirs, RUNS, &o, NULL, &err)) {
                fprintf(stderr, "report failed: %s\n", err.msg);
                return 1;
            }
            double dt = now() - t0;
            if (dt < best) best = dt;
        }
        printf("  %-28s %.3f s %s\n", with_plots ? "tidy CSVs + 3-4 gnuplot PNGs:" : "tidy CSVs:",
               best, best < 1.0 ? "(< 1 s: ok)" : "(SLOWER than the 1 s target)");
        fail |= best >= 1.0;
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", base);
    return fail;
}
