/* cmd_bench.c: `wsnas bench SUITE.json`: runs a suite of searches,
 * evaluations and the report (src/bench), with a progress display; under
 * mpirun the runs are split across ranks. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "wsnas/bench.h"
#include "wsnas/par.h"

static void bench_usage(FILE *f)
{
    fprintf(f, "usage: wsnas bench SUITE.json [options]\n"
               "Runs every (dataset, method, seed) of the suite: `wsnas search`, then\n"
               "`wsnas eval` against the suite's table, in a pool of subprocesses; then\n"
               "`wsnas report` over all runs (results/ CSVs, plots/).  Finished runs are\n"
               "skipped, so an interrupted suite continues where it stopped.  Under\n"
               "`mpirun -np K` rank r runs the runs i with i %% K == r; rank 0 reports.\n"
               "Suite format: include/wsnas/bench.h.\n\n"
               "options:\n"
               "  -j, --jobs N     parallel subprocesses (default: the suite's \"jobs\")\n"
               "  --dry-run        check the suite (as before every run: table, configs,\n"
               "                   placeholders, directories), print the commands, run nothing\n"
               "  --no-report      skip `wsnas report`\n"
               "  --report-finished  only `wsnas report` over the runs finished so far (a\n"
               "                   suite committed part-way); prints how many of all\n"
               "  --runs-dir DIR   keep the runs under DIR instead of the suite's runs_dir\n"
               "                   (default: $WSNAS_RUNS_DIR if set), e.g. outside the work tree\n"
               "  --wsnas PATH     the binary run for search/eval/report (default: this one)\n"
               "  -h, --help       this help\n");
}

typedef struct view {
    int tty, rank, size;
} view;

static void on_event(void *ctx, const ws_suite *s, const ws_bench_event *e)
{
    view *v = ctx;
    const ws_suite_run *r = e->run >= 0 ? ws_suite_run_at(s, e->run) : NULL;
    static const char *const kinds[] = {"start", "done", "FAILED", "skip (done before)", "report",
                                        "train"};
    char rank[32] = "";
    if (v->size > 1) snprintf(rank, sizeof rank, "[rank %d/%d] ", v->rank, v->size);
    double eta = e->done > 0 && e->done < e->total
                     ? e->elapsed / e->done * (e->total - e->done)
                     : 0;
    if (r)
        fprintf(stderr, "%s[%3d/%d done, %d running, %d failed, %5.0f s, ETA %4.0f s] %-6s %s %s seed %u%s%s\n",
                rank, e->done, e->total, e->running, e->failed, e->elapsed, eta, e->step,
                kinds[e->kind], r->label, (unsigned)r->seed,
                e->kind == WS_BENCH_FAIL ? ": see " : "", e->kind == WS_BENCH_FAIL ? r->log : "");
    else if (e->kind == WS_BENCH_TRAIN)
        fprintf(stderr, "%s[%5.0f s] training the derived architectures the table lacks\n", rank,
                e->elapsed);
    else
        fprintf(stderr, "%s[%5.0f s] report written\n", rank, e->elapsed);
    fflush(stderr);
}

int ws_cmd_bench(int argc, char **argv)
{
    static const struct option opts[] = {
        {"jobs", required_argument, NULL, 'j'},
        {"dry-run", no_argument, NULL, 'n'},
        {"no-report", no_argument, NULL, 'R'},
        {"wsnas", required_argument, NULL, 'w'},
        {"runs-dir", required_argument, NULL, 'D'},
        {"report-finished", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long jobs = 0;
    const char *wsnas = NULL, *runs_dir = getenv("WSNAS_RUNS_DIR");
    int dry = 0, no_report = 0, finished = 0, c;
    optind = 1;
    while ((c = ws_cli_getopt(argc, argv, "j:h", opts)) != -1) {
        switch (c) {
        case 'j':
            if (ws_cli_parse_long("--jobs", optarg, 1, 64, &jobs)) return 2;
            break;
        case 'n': dry = 1; break;
        case 'R': no_report = 1; break;
        case 'w': wsnas = optarg; break;
        case 'D': runs_dir = optarg; break;
        case 'F': finished = 1; break;
        case 'h': bench_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (argc - optind != 1)
        return ws_cli_usage_error("expected one SUITE.json, got %d arguments", argc - optind);
    ws_error err = {0};
    ws_suite *s = NULL;
    if (ws_suite_load(argv[optind], &s, &err)) return ws_cli_fail("bench", &err);
    if (runs_dir && runs_dir[0] && ws_suite_relocate(s, runs_dir, &err)) {
        ws_suite_free(s);
        return ws_cli_fail("bench", &err);
    }
    /* the whole suite before the first job (and under --dry-run) */
    if (ws_suite_check(s, &err)) {
        ws_suite_free(s);
        return ws_cli_fail("bench", &err);
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        ws_suite_free(s);
        ws_error_set(&err, WS_EIO, "cannot find the wsnas binary (/proc/self/exe)");
        return ws_cli_fail("bench", &err);
    }
    self[n] = '\0';
    if (wsnas) snprintf(self, sizeof self, "%s", wsnas);
    if (dry) {
        fprintf(stderr,
                "wsnas bench: suite '%s' checked: table, %d run configs, arguments, "
                "directories\n",
                ws_suite_name(s), ws_suite_run_count(s));
        for (int i = 0; i <= ws_suite_run_count(s); i++) { /* as if nothing ran yet */
            for (int st = 0; st < 2; st++) {
                if ((i == ws_suite_run_count(s) || !ws_suite_eval(s)) && st) break;
                const char *step = i == ws_suite_run_count(s) ? "report" : st ? "eval" : "search";
                char **av = ws_bench_argv(s, self, step, i, &err);
                if (!av) {
                    ws_suite_free(s);
                    return ws_cli_fail("bench", &err);
                }
                for (char **p = av; *p; p++) printf("%s%s", p == av ? "" : " ", *p);
                printf("\n");
                ws_bench_argv_free(av);
            }
        }
        ws_suite_free(s);
        return 0;
    }
    if (finished) {
        ws_bench_opts o = {.wsnas = self};
        int n_done = 0;
        int frc = ws_bench_report_finished(s, &o, &n_done, &err);
        if (!frc)
            printf("wsnas bench: suite '%s': report over %d of %d runs finished\n",
                   ws_suite_name(s), n_done, ws_suite_run_count(s));
        ws_suite_free(s);
        return frc ? ws_cli_fail("bench", &err) : 0;
    }
    int rc = ws_par_init(&err);
    view v = {isatty(2), ws_par_rank(), ws_par_size()};
    int failed = 0;
    if (!rc) {
        if (v.rank == 0)
            fprintf(stderr, "wsnas bench: suite '%s': %d runs, %ld jobs%s\n", ws_suite_name(s),
                    ws_suite_run_count(s), jobs ? jobs : (long)ws_suite_jobs(s),
                    v.size > 1 ? " per rank" : "");
        ws_bench_opts o = {.wsnas = self, .jobs = (int)jobs, .rank = v.rank, .size = v.size,
                           .no_report = no_report, .event = on_event, .event_ctx = &v};
        rc = ws_bench_run(s, &o, &failed, &err);
    }
    ws_suite_free(s);
    ws_par_finalize();
    if (rc) return ws_cli_fail("bench", &err);
    if (failed) {
        fprintf(stderr, "wsnas bench: %d run%s failed (logs named above); run again to retry them\n",
                failed, failed == 1 ? "" : "s");
        return 1;
    }
    return 0;
}
