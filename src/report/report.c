/* report.c: `wsnas report`: aggregates checked run directories into tidy
 * CSV files, the summary table and gnuplot plots.  Every output goes to a
 * NAME.tmp file first; all are renamed only when every one succeeded. */
#include "wsnas/report.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "published.h"
#include "rundir.h"
#include "wsnas/eval.h"
#include "wsnas/stats.h"
#include "wsnas/table.h"

extern char **environ;

#define MAX_OUT 24
#define PATH_MAX_ 1200

ws_report_options ws_report_options_default(void)
{
    return (ws_report_options){.results_dir = "results", .plots_dir = "plots"};
}

/* ---- outputs committed together ----------------------------------------- */
typedef struct outset {
    int n;
    char tmp[MAX_OUT][PATH_MAX_];
    char dst[MAX_OUT][PATH_MAX_];
} outset;

static int ensure_dir(const char *dir, ws_error *err)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
        return ws_error_set(err, WS_EIO, "%s: exists and is not a directory", dir);
    }
    return ws_error_set(err, WS_EIO, "%s: cannot create directory: %s", dir, strerror(errno));
}

/* Registers dir/name and returns its .tmp path (or NULL when full). */
static const char *out_add(outset *o, const char *dir, const char *name)
{
    if (o->n == MAX_OUT) return NULL;
    snprintf(o->dst[o->n], PATH_MAX_, "%s/%s", dir, name);
    snprintf(o->tmp[o->n], PATH_MAX_, "%s/%s.tmp", dir, name);
    return o->tmp[o->n++];
}

static FILE *out_open(outset *o, const char *dir, const char *name, ws_error *err)
{
    const char *tmp = out_add(o, dir, name);
    if (!tmp) {
        ws_error_set(err, WS_ESTATE, "report: too many outputs");
        return NULL;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) ws_error_set(err, WS_EIO, "%s: cannot open for writing: %s", tmp, strerror(errno));
    return f;
}

static int out_close(FILE *f, outset *o, ws_error *err)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return ws_error_set(err, WS_EIO, "%s: write failed", o->tmp[o->n - 1]);
    return 0;
}

static void out_abort(outset *o)
{
    for (int i = 0; i < o->n; i++) remove(o->tmp[i]);
}

/* Every output is complete before the first rename (each ws_file_commit
 * fsyncs its file, renames it and fsyncs the directory). */
static int out_commit(outset *o, ws_error *err)
{
    for (int i = 0; i < o->n; i++)
        if (ws_file_commit(o->tmp[i], o->dst[i], err)) {
            out_abort(o);
            return err ? err->code : WS_EIO;
        }
    return 0;
}

/* ---- aggregation helpers ------------------------------------------------ */
typedef struct methods {
    int n;
    char name[64][WS_RUNDIR_NAME_MAX];
    int *of_run; /* method of each run */
} methods;

static int collect_methods(const ws_rundir *runs, int n, methods *m, ws_error *err)
{
    m->n = 0;
    m->of_run = malloc((size_t)n * sizeof *m->of_run);
    if (!m->of_run) return ws_error_set(err, WS_ENOMEM, "report: out of memory");
    for (int r = 0; r < n; r++) {
        int k = 0;
        while (k < m->n && strcmp(m->name[k], runs[r].method)) k++;
        if (k == m->n) {
            if (m->n == 64)
                return ws_error_set(err, WS_ERANGE, "report: more than 64 methods");
            snprintf(m->name[k], WS_RUNDIR_NAME_MAX, "%s", runs[r].method);
            m->n++;
        }
        m->of_run[r] = k;
    }
    return 0;
}

/* Sorted distinct epochs over all runs. */
static int distinct_epochs(const ws_rundir *runs, int n, int **out, int *n_out)
{
    size_t total = 0;
    for (int r = 0; r < n; r++) total += (size_t)runs[r].n_epochs;
    int *e = malloc((total ? total : 1) * sizeof *e);
    if (!e) return -1;
    size_t k = 0;
    for (int r = 0; r < n; r++)
        for (int i = 0; i < runs[r].n_epochs; i++) e[k++] = runs[r].epoch[i];
    /* insertion into a sorted unique prefix (epochs are few) */
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        int v = e[i];
        size_t j = 0;
        while (j < m && e[j] < v) j++;
        if (j < m && e[j] == v) continue;
        memmove(e + j + 1, e + j, (m - j) * sizeof *e);
        e[j] = v;
        m++;
    }
    *out = e;
    *n_out = (int)m;
    return 0;
}

/* Position of `epoch` in a run (epochs increase), or -1. */
static int epoch_pos(const ws_rundir *r, int epoch)
{
    int lo = 0, hi = r->n_epochs - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (r->epoch[mid] == epoch) return mid;
        if (r->epoch[mid] < epoch)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* ---- plots ---------------------------------------------------------------- */
typedef struct plotter {
    const char *gnuplot;
    char tmpdir[512];
    int n_files;
    char files[64][PATH_MAX_];
} plotter;

static FILE *plot_file(plotter *p, const char *name, ws_error *err)
{
    if (p->n_files == 64) {
        ws_error_set(err, WS_ESTATE, "report: too many plot files");
        return NULL;
    }
    char *path = p->files[p->n_files++];
    snprintf(path, PATH_MAX_, "%.512s/%.64s", p->tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f) ws_error_set(err, WS_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
    return f;
}

static void plot_cleanup(plotter *p)
{
    for (int i = 0; i < p->n_files; i++) remove(p->files[i]);
    if (p->tmpdir[0]) rmdir(p->tmpdir);
}

/* Runs gnuplot on `script`, output and errors to a log in the temp dir. */
static int run_gnuplot(plotter *p, const char *script, ws_error *err)
{
    char log[PATH_MAX_];
    snprintf(log, sizeof log, "%.512s/gnuplot.log", p->tmpdir);
    int have = 0;
    for (int i = 0; i < p->n_files; i++) have |= !strcmp(p->files[i], log);
    if (!have && p->n_files < 64) snprintf(p->files[p->n_files++], PATH_MAX_, "%s", log);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char prog[256], scr[PATH_MAX_];
    snprintf(prog, sizeof prog, "%s", p->gnuplot);
    snprintf(scr, sizeof scr, "%s", script);
    char *argv[] = {prog, scr, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, p->gnuplot, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return ws_error_set(err, WS_EIO, "cannot run '%s': %s (install gnuplot-nox, or use "
                            "--no-plots)", p->gnuplot, strerror(rc));
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char line[400] = "";
        FILE *f = fopen(log, "r");
        if (f) {
            while (fgets(line, sizeof line, f))
                if (strstr(line, "rror") || strstr(line, "line")) break;
            fclose(f);
        }
        line[strcspn(line, "\n")] = '\0';
        return ws_error_set(err, WS_EIO, "%s failed on %s%s%s", p->gnuplot, script,
                            line[0] ? ": " : "", line);
    }
    return 0;
}

static void gp_header(FILE *g, const char *png_tmp, const char *title, const char *xl,
                      const char *yl)
{
    fprintf(g,
            "set terminal pngcairo size 900,600 font 'DejaVu Sans,11' noenhanced\n"
            "set output '%s'\nset title \"%s\"\nset xlabel \"%s\"\nset ylabel \"%s\"\n"
            "set grid\nset key outside right top\n",
            png_tmp, title, xl, yl);
}

/* ---- the report ------------------------------------------------------------ */
int ws_report_run(const char *const *dirs, int n_dirs, const ws_report_options *opt, FILE *out,
                  ws_error *err)
{
    if (n_dirs < 1) return ws_error_set(err, WS_EINVAL, "report: no run directories given");
    for (int i = 0; i < n_dirs; i++)
        for (const char *q = dirs[i]; *q; q++)
            if (*q == '\'' || *q == '"' || *q == ',')
                return ws_error_set(err, WS_EINVAL,
                                    "%s: run directory names with quotes or commas are not "
                                    "supported",
                                    dirs[i]);
    int rc = 0;
    ws_table *t = NULL;
    ws_space *own_sp = NULL;
    const ws_space *sp = NULL;
    ws_rundir *runs = calloc((size_t)n_dirs, sizeof *runs);
    methods M = {0};
    ws_eval_summary *sum = NULL;
    ws_eval_column cols[64];
    int n_cols = 0, plot_col = -1;
    int *epochs = NULL, n_ep = 0;
    outset *os = calloc(1, sizeof *os);
    plotter *pl = calloc(1, sizeof *pl);
    double *rc_vals = NULL; /* rank correlations per run: n, tau, rho, r, P@K.. */
    ws_published *pub = NULL;
    double *search_s = NULL; /* per method: mean search seconds */
    char machine[96] = "";
    if (!runs || !os || !pl) {
        rc = ws_error_set(err, WS_ENOMEM, "report: out of memory");
        goto done;
    }
    /* 1. read and check everything */
    if (opt->table_path) {
        if ((rc = ws_table_open(opt->table_path, &t, err))) goto done;
        sp = ws_table_space(t);
        n_cols = ws_eval_default_columns(t, cols, 64);
        if (n_cols > 64) n_cols = 64;
        for (int c = 0; c < n_cols && opt->plot_metric; c++) {
            size_t lb = strlen(cols[c].bench);
            if (!strncmp(opt->plot_metric, cols[c].bench, lb) && opt->plot_metric[lb] == '/' &&
                !strcmp(opt->plot_metric + lb + 1, cols[c].metric))
                plot_col = c;
        }
        if (opt->plot_metric && plot_col < 0) {
            rc = ws_error_set(err, WS_ENOTFOUND,
                              "--plot-metric %s: not a summary column of %s (expected "
                              "BENCH/METRIC, see wsnas table info)",
                              opt->plot_metric, opt->table_path);
            goto done;
        }
        for (int c = 0; c < n_cols && plot_col < 0; c++)
            if (!strcmp(cols[c].bench, "cifar10") && !strcmp(cols[c].metric, "test_acc_200"))
                plot_col = c;
        if (plot_col < 0) plot_col = 0;
    } else {
        own_sp = ws_space_alloc();
        if (!own_sp) {
            rc = ws_error_set(err, WS_ENOMEM, "report: out of memory");
            goto done;
        }
        sp = own_sp;
    }
    for (int i = 0; i < n_dirs; i++)
        if ((rc = ws_rundir_load(dirs[i], sp, &runs[i], err))) goto done;
    if ((rc = ws_rundir_check_set(runs, n_dirs, err))) goto done;
    if ((rc = collect_methods(runs, n_dirs, &M, err))) goto done;
    if (distinct_epochs(runs, n_dirs, &epochs, &n_ep)) {
        rc = ws_error_set(err, WS_ENOMEM, "report: out of memory");
        goto done;
    }
    if (t) {
        ws_eval_run *er = calloc((size_t)n_dirs, sizeof *er);
        if (!er) {
            rc = ws_error_set(err, WS_ENOMEM, "report: out of memory");
            goto done;
        }
        for (int r = 0; r < n_dirs; r++) {
            snprintf(er[r].method, sizeof er[r].method, "%s", runs[r].method);
            er[r].seed = runs[r].seed;
            er[r].arch_index = runs[r].final_arch;
        }
        rc = ws_eval_summarize(t, cols, n_cols, er, n_dirs, &sum, err);
        free(er);
        if (rc) goto done;
        /* every epoch's architecture must have a value too */
        for (int r = 0; r < n_dirs && !rc; r++)
            for (int i = 0; i < runs[r].n_epochs && !rc; i++)
                for (int c = 0; c < n_cols && !rc; c++) {
                    double v;
                    rc = ws_table_get(t, cols[c].bench, cols[c].metric, runs[r].arch[i], &v, err);
                    if (rc)
                        ws_error_prefix(err, "%s/epochs.csv:%d", runs[r].dir, i + 2);
                }
        if (rc) goto done;
    }
    rc_vals = calloc((size_t)n_dirs * (4 + WS_STATS_TOPK_COUNT), sizeof *rc_vals);
    if (!rc_vals) {
        rc = ws_error_set(err, WS_ENOMEM, "report: out of memory");
        goto done;
    }
    for (int r = 0; r < n_dirs; r++) {
        const ws_rundir *R = &runs[r];
        if (!R->pairs) continue;
        double *v = rc_vals + (size_t)r * (4 + WS_STATS_TOPK_COUNT);
        v[0] = (double)R->n_pairs;
        if ((rc = ws_stats_kendall_tau_b(R->pair_oneshot, R->pair_true, R->n_pairs, &v[1], err)) ||
            (rc = ws_stats_spearman(R->pair_oneshot, R->pair_true, R->n_pairs, &v[2], err)) ||
            (rc = ws_stats_pearson(R->pair_oneshot, R->pair_true, R->n_pairs, &v[3], err))) {
            ws_error_prefix(err, "%s/eval_pairs.csv", R->dir);
            goto done;
        }
        for (int k = 0; k < WS_STATS_TOPK_COUNT; k++)
            if ((rc = ws_stats_top_k_overlap(R->pair_oneshot, R->pair_true, R->n_pairs,
                                             ws_stats_topk_fracs[k], &v[4 + k], NULL, err)))
                goto done;
    }
    if (opt->published) {
        if (!sum) {
            rc = ws_error_set(err, WS_EINVAL, "--published %s needs --table", opt->published);
            goto done;
        }
        if ((rc = ws_published_load(opt->published, &pub, err))) goto done;
        search_s = calloc((size_t)sum->n_methods, sizeof *search_s);
        if (!search_s) {
            rc = ws_error_set(err, WS_ENOMEM, "report: out of memory");
            goto done;
        }
        ws_published_search_seconds(runs, n_dirs, sum, search_s, machine, sizeof machine);
    }
    int any_pairs = 0, any_weights = runs[0].weights != NULL;
    for (int r = 0; r < n_dirs; r++) any_pairs |= runs[r].pairs != NULL;

    /* 2. tidy CSVs */
    if (opt->results_dir) {
        const char *D = opt->results_dir;
        if ((rc = ensure_dir(D, err))) goto done;
        FILE *f = out_open(os, D, "runs.csv", err);
        if (!f) goto fail;
        fprintf(f, "method,seed,dataset,epochs,arch_index,arch,dir\n");
        for (int r = 0; r < n_dirs; r++) {
            char s[WS_ARCH_STR_MAX];
            ws_arch a = ws_space_arch(sp, runs[r].final_arch);
            ws_arch_format(&a, s);
            fprintf(f, "%s,%llu,%s,%d,%d,%s,%s\n", runs[r].method,
                    (unsigned long long)runs[r].seed, runs[r].dataset, runs[r].n_epochs,
                    runs[r].final_arch, s, runs[r].dir);
        }
        if ((rc = out_close(f, os, err))) goto fail;
        /* pass-through of the logs with method and seed in front */
        for (int which = 0; which < 2; which++) {
            if (which == 1 && !any_weights) break;
            f = out_open(os, D, which ? "arch_weights.csv" : "epochs.csv", err);
            if (!f) goto fail;
            const ws_csv *h = which ? runs[0].weights : runs[0].epochs;
            fprintf(f, "method,seed");
            for (int j = 0; j < h->n_cols; j++) fprintf(f, ",%s", h->header[j]);
            fprintf(f, "\n");
            for (int r = 0; r < n_dirs; r++) {
                const ws_csv *c = which ? runs[r].weights : runs[r].epochs;
                for (size_t i = 0; i < c->n_rows; i++) {
                    fprintf(f, "%s,%llu", runs[r].method, (unsigned long long)runs[r].seed);
                    for (int j = 0; j < c->n_cols; j++) fprintf(f, ",%s", ws_csv_cell(c, i, j));
                    fprintf(f, "\n");
                }
            }
            if ((rc = out_close(f, os, err))) goto fail;
        }
        f = out_open(os, D, "entropy.csv", err);
        if (!f) goto fail;
        fprintf(f, "method,seed,epoch,entropy\n");
        for (int r = 0; r < n_dirs; r++)
            for (int i = 0; i < runs[r].n_epochs; i++)
                fprintf(f, "%s,%llu,%d,%.17g\n", runs[r].method, (unsigned long long)runs[r].seed,
                        runs[r].epoch[i], runs[r].entropy[i]);
        if ((rc = out_close(f, os, err))) goto fail;
        if (t) {
            f = out_open(os, D, "trajectory.csv", err);
            if (!f) goto fail;
            fprintf(f, "method,seed,epoch,arch_index,benchmark,metric,value\n");
            for (int r = 0; r < n_dirs; r++)
                for (int i = 0; i < runs[r].n_epochs; i++)
                    for (int c = 0; c < n_cols; c++)
                        fprintf(f, "%s,%llu,%d,%d,%s,%s,%.17g\n", runs[r].method,
                                (unsigned long long)runs[r].seed, runs[r].epoch[i],
                                runs[r].arch[i], cols[c].bench, cols[c].metric,
                                ws_table_column(t, cols[c].bench,
                                                cols[c].metric)[runs[r].arch[i]]);
            if ((rc = out_close(f, os, err))) goto fail;
            f = out_open(os, D, "final.csv", err);
            if (!f) goto fail;
            fprintf(f, "method,seed,arch_index,benchmark,metric,value\n");
            for (int r = 0; r < n_dirs; r++)
                for (int c = 0; c < n_cols; c++)
                    fprintf(f, "%s,%llu,%d,%s,%s,%.17g\n", runs[r].method,
                            (unsigned long long)runs[r].seed, runs[r].final_arch, cols[c].bench,
                            cols[c].metric,
                            ws_table_column(t, cols[c].bench, cols[c].metric)[runs[r].final_arch]);
            if ((rc = out_close(f, os, err))) goto fail;
            f = out_open(os, D, "summary.csv", err);
            if (!f) goto fail;
            fprintf(f, "method,benchmark,metric,label,runs,mean,std_ddof0,oracle,oracle_index,"
                       "regret\n");
            for (int m = 0; m < sum->n_methods; m++)
                for (int c = 0; c < n_cols; c++) {
                    size_t at = (size_t)m * (size_t)n_cols + (size_t)c;
                    fprintf(f, "%s,%s,%s,%s,%d,%.17g,%.17g,", sum->method[m], cols[c].bench,
                            cols[c].metric, cols[c].label, sum->n_runs[m], sum->mean[at],
                            sum->std[at]);
                    if (isnan(sum->oracle[c])) /* a time or cost: no optimum */
                        fprintf(f, ",,\n");
                    else
                        fprintf(f, "%.17g,%d,%.17g\n", sum->oracle[c], sum->oracle_index[c],
                                sum->regret[at]);
                }
            if ((rc = out_close(f, os, err))) goto fail;
        }
        if (any_pairs) {
            f = out_open(os, D, "oneshot.csv", err);
            if (!f) goto fail;
            fprintf(f, "method,seed,arch_index,oneshot,true\n");
            for (int r = 0; r < n_dirs; r++)
                for (size_t i = 0; i < runs[r].n_pairs; i++)
                    fprintf(f, "%s,%llu,%d,%.17g,%.17g\n", runs[r].method,
                            (unsigned long long)runs[r].seed, runs[r].pair_arch[i],
                            runs[r].pair_oneshot[i], runs[r].pair_true[i]);
            if ((rc = out_close(f, os, err))) goto fail;
            f = out_open(os, D, "rank_corr.csv", err);
            if (!f) goto fail;
            fprintf(f, "method,seed,n,kendall_tau_b,spearman_rho,pearson_r,p_at_1,p_at_5,"
                       "p_at_10,p_at_50\n");
            for (int r = 0; r < n_dirs; r++) {
                if (!runs[r].pairs) continue;
                const double *v = rc_vals + (size_t)r * (4 + WS_STATS_TOPK_COUNT);
                fprintf(f, "%s,%llu,%.0f", runs[r].method, (unsigned long long)runs[r].seed,
                        v[0]);
                for (int k = 1; k < 4 + WS_STATS_TOPK_COUNT; k++) fprintf(f, ",%.17g", v[k]);
                fprintf(f, "\n");
            }
            if ((rc = out_close(f, os, err))) goto fail;
        }
        if (pub) {
            if (!(f = out_open(os, D, "nb201_table.csv", err))) goto fail;
            ws_published_write_csv(pub, sum, search_s, f);
            if ((rc = out_close(f, os, err))) goto fail;
            if (!(f = out_open(os, D, "nb201_table.md", err))) goto fail;
            ws_published_write_md(pub, sum, search_s, machine, f);
            if ((rc = out_close(f, os, err))) goto fail;
        }
    }

    /* 3. plots */
    if (opt->plots_dir) {
        const char *P = opt->plots_dir;
        if ((rc = ensure_dir(P, err))) goto fail;
        pl->gnuplot = opt->gnuplot ? opt->gnuplot : "gnuplot";
        const char *td = getenv("TMPDIR");
        if (td && strlen(td) > 400) td = NULL;
        snprintf(pl->tmpdir, sizeof pl->tmpdir, "%.400s/wsnas-report-XXXXXX",
                 td && td[0] ? td : "/tmp");
        if (!mkdtemp(pl->tmpdir)) {
            rc = ws_error_set(err, WS_EIO, "%s: cannot create a temporary directory: %s",
                              pl->tmpdir, strerror(errno));
            pl->tmpdir[0] = '\0';
            goto fail;
        }
        /* per method, per epoch: mean and std of entropy and of true accuracy */
        const double *tcol = t ? ws_table_column(t, cols[plot_col].bench, cols[plot_col].metric)
                               : NULL;
        double *buf_e = malloc((size_t)n_dirs * sizeof *buf_e);
        double *buf_a = malloc((size_t)n_dirs * sizeof *buf_a);
        if (!buf_e || !buf_a) {
            free(buf_e);
            free(buf_a);
            rc = ws_error_set(err, WS_ENOMEM, "report: out of memory");
            goto fail;
        }
        for (int m = 0; m < M.n && !rc; m++) {
            char name[32];
            snprintf(name, sizeof name, "m%d.dat", m);
            FILE *f = plot_file(pl, name, err);
            if (!f) {
                rc = err->code;
                break;
            }
            fprintf(f, "# epoch entropy_mean entropy_std acc_mean acc_std runs\n");
            for (int k = 0; k < n_ep; k++) {
                size_t cnt = 0;
                for (int r = 0; r < n_dirs; r++) {
                    if (M.of_run[r] != m) continue;
                    int pos = epoch_pos(&runs[r], epochs[k]);
                    if (pos < 0) continue;
                    buf_e[cnt] = runs[r].entropy[pos];
                    buf_a[cnt] = tcol ? tcol[runs[r].arch[pos]] : 0.0;
                    cnt++;
                }
                if (!cnt) continue;
                double me, se, ma, sa;
                ws_stats_mean_std(buf_e, cnt, &me, &se);
                ws_stats_mean_std(buf_a, cnt, &ma, &sa);
                fprintf(f, "%d %.10g %.10g %.10g %.10g %zu\n", epochs[k], me, se, ma, sa, cnt);
            }
            if (fclose(f) != 0) rc = ws_error_set(err, WS_EIO, "%s: write failed", name);
        }
        free(buf_e);
        free(buf_a);
        if (rc) goto fail;
        /* entropy.png */
        FILE *g = plot_file(pl, "entropy.gp", err);
        if (!g) goto fail;
        const char *png = out_add(os, P, "entropy.png");
        gp_header(g, png, "Entropy of the architecture weights (mean over seeds, ±1 std)",
                  "epoch", "mean edge entropy (nats)");
        if (epochs[n_ep - 1] - epochs[0] <= 20) fprintf(g, "set xtics 1\n");
        fprintf(g, "set yrange [0:*]\nplot log(5) with lines dt 2 lw 2 lc rgb '#777777' title 'uniform "
                   "over 5 ops (ln 5)'");
        for (int m = 0; m < M.n; m++)
            fprintf(g, ", '%s/m%d.dat' using 1:2:3 with yerrorlines title '%s'", pl->tmpdir, m,
                    M.name[m]);
        fprintf(g, "\n");
        fclose(g);
        if ((rc = run_gnuplot(pl, pl->files[pl->n_files - 1], err))) goto fail;
        if (t) {
            const char *lab = cols[plot_col].label;
            double orc = sum->oracle[plot_col];
            g = plot_file(pl, "trajectory.gp", err);
            if (!g) goto fail;
            png = out_add(os, P, "trajectory.png");
            char title[256];
            snprintf(title, sizeof title,
                     "True accuracy of the derived architecture (%s/%s; mean over seeds, ±1 std)",
                     cols[plot_col].bench, cols[plot_col].metric);
            char yl[160];
            snprintf(yl, sizeof yl, "%s accuracy (%%)", lab);
            gp_header(g, png, title, "epoch", yl);
            if (epochs[n_ep - 1] - epochs[0] <= 20) fprintf(g, "set xtics 1\n");
            fprintf(g, "plot %.10g with lines dt 2 lw 2 lc rgb 'black' title 'optimum (%.2f)'",
                    orc, orc);
            for (int m = 0; m < M.n; m++)
                fprintf(g, ", '%s/m%d.dat' using 1:4:5 with yerrorlines title '%s'", pl->tmpdir,
                        m, M.name[m]);
            fprintf(g, "\n");
            fclose(g);
            if ((rc = run_gnuplot(pl, pl->files[pl->n_files - 1], err))) goto fail;
            /* final.png: bars with error bars */
            FILE *f = plot_file(pl, "final.dat", err);
            if (!f) goto fail;
            fprintf(f, "# x mean std runs method\n");
            for (int m = 0; m < sum->n_methods; m++) {
                size_t at = (size_t)m * (size_t)n_cols + (size_t)plot_col;
                fprintf(f, "%d %.10g %.10g %d \"%s\"\n", m, sum->mean[at], sum->std[at],
                        sum->n_runs[m], sum->method[m]);
            }
            fclose(f);
            g = plot_file(pl, "final.gp", err);
            if (!g) goto fail;
            png = out_add(os, P, "final.png");
            snprintf(title, sizeof title,
                     "Final architecture: %s accuracy per method (mean ± std over seeds)", lab);
            gp_header(g, png, title, "method", yl);
            fprintf(g,
                    "set style fill solid 0.5 border -1\nset boxwidth 0.6\nset xrange [-0.7:%f]\n"
                    "set yrange [0:100]\nplot '%s/final.dat' using 1:2:xtic(5) with boxes "
                    "notitle, '' using 1:2:3 with yerrorbars lc rgb 'black' pt 0 notitle, "
                    "%.10g with lines dt 2 lw 2 lc rgb 'black' title 'optimum (%.2f)'\n",
                    sum->n_methods - 0.3, pl->tmpdir, orc, orc);
            fclose(g);
            if ((rc = run_gnuplot(pl, pl->files[pl->n_files - 1], err))) goto fail;
        }
        if (any_pairs) {
            FILE *f = plot_file(pl, "pairs.dat", err);
            if (!f) goto fail;
            size_t total = 0;
            for (int r = 0; r < n_dirs; r++) total += runs[r].n_pairs;
            double *xs = malloc((total ? total : 1) * sizeof *xs);
            double *ys = malloc((total ? total : 1) * sizeof *ys);
            if (!xs || !ys) {
                free(xs);
                free(ys);
                fclose(f);
                rc = ws_error_set(err, WS_ENOMEM, "report: out of memory");
                goto fail;
            }
            size_t k = 0;
            for (int r = 0; r < n_dirs; r++)
                for (size_t i = 0; i < runs[r].n_pairs; i++) {
                    xs[k] = runs[r].pair_oneshot[i];
                    ys[k] = runs[r].pair_true[i];
                    fprintf(f, "%.10g %.10g\n", xs[k], ys[k]);
                    k++;
                }
            fclose(f);
            double tau = NAN, rho = NAN;
            rc = ws_stats_kendall_tau_b(xs, ys, total, &tau, err);
            if (!rc) rc = ws_stats_spearman(xs, ys, total, &rho, err);
            free(xs);
            free(ys);
            if (rc) goto fail;
            g = plot_file(pl, "oneshot.gp", err);
            if (!g) goto fail;
            png = out_add(os, P, "oneshot.png");
            char title[256];
            snprintf(title, sizeof title,
                     "One-shot vs true accuracy: Kendall tau-b = %.3f, Spearman rho = %.3f "
                     "(n = %zu)",
                     tau, rho, total);
            gp_header(g, png, title, "one-shot accuracy with shared weights (%)",
                      "true accuracy from the table (%)");
            fprintf(g, "plot '%s/pairs.dat' using 1:2 with points pt 7 ps 0.6 notitle\n",
                    pl->tmpdir);
            fclose(g);
            if ((rc = run_gnuplot(pl, pl->files[pl->n_files - 1], err))) goto fail;
        }
    }
    if ((rc = out_commit(os, err))) goto done;

    /* 4. the printed summary */
    if (out) {
        fprintf(out, "%d runs, %d methods, dataset '%s'\n", n_dirs, M.n, runs[0].dataset);
        if (sum) {
            ws_eval_summary_print(sum, out);
        } else {
            fprintf(out, "%-16s %8s %7s %6s  %s\n", "method", "seed", "epochs", "arch", "entropy");
            for (int r = 0; r < n_dirs; r++)
                fprintf(out, "%-16s %8llu %7d %6d  %.4f\n", runs[r].method,
                        (unsigned long long)runs[r].seed, runs[r].n_epochs, runs[r].final_arch,
                        runs[r].entropy[runs[r].n_epochs - 1]);
        }
        if (pub) {
            fprintf(out, "\n");
            ws_published_write_md(pub, sum, search_s, machine, out);
            fprintf(out, "\n");
        }
        for (int r = 0; r < n_dirs; r++) {
            if (!runs[r].pairs) continue;
            const double *v = rc_vals + (size_t)r * (4 + WS_STATS_TOPK_COUNT);
            fprintf(out, "rank correlation %s seed %llu: n %.0f  tau-b %.4f  rho %.4f  r %.4f  "
                         "P@1%% %.2f P@5%% %.2f P@10%% %.2f P@50%% %.2f\n",
                    runs[r].method, (unsigned long long)runs[r].seed, v[0], v[1], v[2], v[3],
                    v[4], v[5], v[6], v[7]);
        }
    }
    goto done;
fail:
    if (!rc) rc = err->code ? err->code : WS_EIO;
    out_abort(os);
done:
    if (pl) plot_cleanup(pl);
    free(pl);
    free(os);
    free(rc_vals);
    free(search_s);
    ws_published_free(pub);
    free(epochs);
    free(M.of_run);
    ws_eval_summary_free(sum);
    if (runs)
        for (int i = 0; i < n_dirs; i++) ws_rundir_clear(&runs[i]);
    free(runs);
    ws_space_free(own_sp);
    ws_table_close(t);
    return rc;
}
