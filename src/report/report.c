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


ws_report_options ws_report_options_default(void)
{
    return (ws_report_options){.results_dir = "results", .plots_dir = "plots"};
}

/* ---- outputs committed together (outset: internal.h) -------------------- */

/* Registers dir/name and returns its .tmp path (or NULL when full). */
const char *out_add(outset *o, const char *dir, const char *name)
{
    if (o->n == MAX_OUT) return NULL;
    snprintf(o->dst[o->n], PATH_MAX_, "%s/%s", dir, name);
    snprintf(o->tmp[o->n], PATH_MAX_, "%s/%s.tmp", dir, name);
    return o->tmp[o->n++];
}

FILE *out_open(outset *o, const char *dir, const char *name, ws_error *err)
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

int out_close(FILE *f, outset *o, ws_error *err)
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
FILE *plot_file(plotter *p, const char *name, ws_error *err)
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
int run_gnuplot(plotter *p, const char *script, ws_error *err)
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

/* One colour per method, the same in every plot (Okabe-Ito, then Tol's). */
static const char *method_colour(int m)
{
    static const char *const c[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                    "#56B4E9", "#000000", "#999933", "#882255", "#44AA99"};
    return c[m % (int)WS_ARRAY_LEN(c)];
}

void gp_header(FILE *g, const char *png_tmp, const char *title, const char *xl,
                      const char *yl)
{
    fprintf(g,
            "set terminal pngcairo size 1000,620 font 'DejaVu Sans,12' noenhanced\n"
            "set output '%s'\nset title \"%s\"\nset xlabel \"%s\"\nset ylabel \"%s\"\n"
            "set grid lc rgb '#dddddd'\nset key outside right top\nset border 3\n"
            "set xtics nomirror\nset ytics nomirror\n",
            png_tmp, title, xl, yl);
}

/* y range [lo, hi] widened by 8 % of its span on each side (at least `pad`). */
static void gp_yrange(FILE *g, double lo, double hi, double pad)
{
    double p = 0.08 * (hi - lo);
    if (p < pad) p = pad;
    fprintf(g, "set yrange [%.10g:%.10g]\n", lo - p, hi + p);
}

/* What the plots read: the runs grouped by method, the plotted column. */
typedef struct plot_ctx {
    plotter *pl;
    outset *os;
    const char *dir;
    const ws_rundir *runs;
    int n_runs;
    const methods *M;
    const int *epochs;
    int n_ep;
    const double *tcol; /* the plotted metric (NULL without a table) */
    const ws_eval_column *col;
    double oracle; /* NaN: no optimum */
    const double *rc_vals;
    double lnk[64]; /* per method: the entropy ceiling ln K */
    int k[64];      /* K = ops the method chooses among */
    double lo_e, hi_e, lo_a, hi_a; /* ranges of mean -/+ std over the epochs */
} plot_ctx;

/* K, the ops a run's architecture weights spread over: 5, or 4 when its
 * config excludes none; the entropy's maximum is ln K. */
static int run_ops(const ws_rundir *r)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(r->config, "exclude_none");
    return cJSON_IsTrue(x) ? WS_OP_COUNT - 1 : WS_OP_COUNT;
}

/* The ceiling of each method (its runs share one config). */
static void plot_ceilings(plot_ctx *c)
{
    for (int r = 0; r < c->n_runs; r++) c->k[c->M->of_run[r]] = run_ops(&c->runs[r]);
    for (int m = 0; m < c->M->n; m++) c->lnk[m] = log((double)c->k[m]);
}

/* Per method m%d.dat: epoch, entropy / ln K (mean, std), plotted accuracy
 * (mean, std), runs; and the ranges of mean -/+ std. */
static int plot_series(plot_ctx *c, ws_error *err)
{
    double *be = malloc((size_t)c->n_runs * sizeof *be), *ba = malloc((size_t)c->n_runs * sizeof *ba);
    int rc = 0;
    c->lo_e = c->lo_a = INFINITY, c->hi_e = c->hi_a = -INFINITY;
    if (!be || !ba) rc = ws_error_set(err, WS_ENOMEM, "report: out of memory");
    for (int m = 0; m < c->M->n && !rc; m++) {
        char name[32];
        snprintf(name, sizeof name, "m%d.dat", m);
        FILE *f = plot_file(c->pl, name, err);
        if (!f) {
            rc = err->code;
            break;
        }
        fprintf(f, "# epoch entropy/lnK_mean entropy/lnK_std acc_mean acc_std runs\n");
        for (int k = 0; k < c->n_ep; k++) {
            size_t cnt = 0;
            for (int r = 0; r < c->n_runs; r++) {
                int pos = c->M->of_run[r] == m ? epoch_pos(&c->runs[r], c->epochs[k]) : -1;
                if (pos < 0) continue;
                be[cnt] = c->runs[r].entropy[pos] / c->lnk[m];
                ba[cnt] = c->tcol ? c->tcol[c->runs[r].arch[pos]] : 0.0;
                cnt++;
            }
            if (!cnt) continue;
            double me, se, ma, sa;
            ws_stats_mean_std(be, cnt, &me, &se);
            ws_stats_mean_std(ba, cnt, &ma, &sa);
            c->lo_e = fmin(c->lo_e, me - se), c->hi_e = fmax(c->hi_e, me + se);
            c->lo_a = fmin(c->lo_a, ma - sa), c->hi_a = fmax(c->hi_a, ma + sa);
            fprintf(f, "%d %.10g %.10g %.10g %.10g %zu\n", c->epochs[k], me, se, ma, sa, cnt);
        }
        if (fclose(f) != 0) rc = ws_error_set(err, WS_EIO, "%s: write failed", name);
    }
    free(be);
    free(ba);
    return rc;
}

/* Opens the script `name`.gp for plots/`name`.png. */
static FILE *plot_begin(plot_ctx *c, const char *name, const char *title, const char *xl,
                        const char *yl, ws_error *err)
{
    char gp[80], png[80];
    snprintf(gp, sizeof gp, "%s.gp", name);
    snprintf(png, sizeof png, "%s.png", name);
    FILE *g = plot_file(c->pl, gp, err);
    if (!g) return NULL;
    const char *tmp = out_add(c->os, c->dir, png);
    if (!tmp) {
        fclose(g);
        ws_error_set(err, WS_ESTATE, "report: too many outputs");
        return NULL;
    }
    gp_header(g, tmp, title, xl, yl);
    return g;
}

static int plot_end(plot_ctx *c, FILE *g, ws_error *err)
{
    if (fclose(g) != 0) return ws_error_set(err, WS_EIO, "report: cannot write a plot script");
    return run_gnuplot(c->pl, c->pl->files[c->pl->n_files - 1], err);
}

/* The x axis over the epochs: every epoch ticked when there are few. */
static void plot_epoch_axis(const plot_ctx *c, FILE *g)
{
    if (c->epochs[c->n_ep - 1] - c->epochs[0] <= 20) fprintf(g, "set xtics 1\n");
    fprintf(g, "set xrange [%d:%d]\n", c->epochs[0], c->epochs[c->n_ep - 1]);
}

/* entropy.png: entropy / ln K per method, 1 = uniform over the K ops. */
static int plot_entropy(plot_ctx *c, ws_error *err)
{
    int k4 = 0, k5 = 0;
    for (int m = 0; m < c->M->n; m++) k4 |= c->k[m] == 4, k5 |= c->k[m] == 5;
    char title[300];
    snprintf(title, sizeof title,
             "Architecture entropy / its maximum ln K (mean over seeds, band ±1 std)\\nK = "
             "ops per edge:%s%s",
             k5 ? " 5 (ln 5 = 1.609)" : "",
             k4 ? (k5 ? ", 4 with 'none' excluded (ln 4 = 1.386)"
                      : " 4, 'none' excluded (ln 4 = 1.386)")
                : "");
    FILE *g = plot_begin(c, "entropy", title, "search epoch",
                         "mean edge entropy / ln K  (1 = uniform)", err);
    if (!g) return err->code;
    plot_epoch_axis(c, g);
    gp_yrange(g, c->lo_e, fmax(c->hi_e, 1.0), 1e-4);
    fprintf(g, "set style fill transparent solid 0.15 noborder\nplot 1 with lines dt 2 lw 1.5 "
               "lc rgb '#777777' title 'uniform (1)'");
    for (int m = 0; m < c->M->n; m++)
        fprintf(g,
                ", '%s/m%d.dat' using 1:($2-$3):($2+$3) with filledcurves lc rgb '%s' notitle"
                ", '' using 1:2 with linespoints lw 2 pt %d ps 1.1 dt %d lc rgb '%s' "
                "title '%s (K = %d)'",
                c->pl->tmpdir, m, method_colour(m), 4 + m % 10, 1 + m % 5, method_colour(m),
                c->M->name[m], c->k[m]);
    fprintf(g, "\n");
    return plot_end(c, g, err);
}

/* trajectory.png: the plotted accuracy of each epoch's derived architecture,
 * one panel per method on a common y range. */
static int plot_trajectory(plot_ctx *c, ws_error *err)
{
    FILE *g = plot_file(c->pl, "trajectory.gp", err);
    if (!g) return err->code;
    const char *png = out_add(c->os, c->dir, "trajectory.png");
    if (!png) {
        fclose(g);
        return ws_error_set(err, WS_ESTATE, "report: too many outputs");
    }
    int cols = c->M->n < 4 ? c->M->n : 4, rows = (c->M->n + cols - 1) / cols;
    fprintf(g,
            "set terminal pngcairo size %d,%d font 'DejaVu Sans,11' noenhanced\nset output '%s'\n"
            "set grid lc rgb '#dddddd'\nset border 3\nset xtics nomirror\nset ytics nomirror\n"
            "set style fill transparent solid 0.2 noborder\nunset key\n",
            cols * 300 + 100 < 820 ? 820 : cols * 300 + 100, rows * 280 + 90, png);
    plot_epoch_axis(c, g);
    double hi = isnan(c->oracle) ? c->hi_a : fmax(c->hi_a, c->oracle);
    gp_yrange(g, c->lo_a, hi, 0.5);
    fprintf(g,
            "set multiplot layout %d,%d title \"True accuracy of the architecture derived after "
            "each epoch: %s/%s (%%) from the table\\nmean over seeds, band ±1 std (ddof=0)%s\"\n"
            "set xlabel 'search epoch'\n",
            rows, cols, c->col->bench, c->col->metric,
            isnan(c->oracle) ? "" : "; dashed: the best in the table");
    for (int m = 0; m < c->M->n; m++) {
        fprintf(g, "set title '%s'\nset ylabel '%s'\nplot ", c->M->name[m], m % cols ? "" : "accuracy (%)");
        if (!isnan(c->oracle))
            fprintf(g, "%.10g with lines dt 2 lw 1.5 lc rgb 'black', ", c->oracle);
        fprintf(g,
                "'%s/m%d.dat' using 1:($4-$5):($4+$5) with filledcurves lc rgb '%s', '' using 1:4 "
                "with linespoints lw 2 pt 7 ps 0.8 lc rgb '%s'\n",
                c->pl->tmpdir, m, method_colour(m), method_colour(m));
    }
    fprintf(g, "unset multiplot\n");
    return plot_end(c, g, err);
}

/* final.png: per method the seeds' values (small) and mean ± std (large). */
static int plot_final(plot_ctx *c, ws_error *err)
{
    FILE *f = plot_file(c->pl, "final.dat", err), *fs = f ? plot_file(c->pl, "seeds.dat", err) : NULL;
    double *v = malloc((size_t)c->n_runs * sizeof *v);
    double lo = INFINITY, hi = isnan(c->oracle) ? -INFINITY : c->oracle;
    int rc = !f || !fs ? err->code : !v ? ws_error_set(err, WS_ENOMEM, "report: out of memory") : 0;
    for (int m = 0; m < c->M->n && !rc; m++) {
        long colour = strtol(method_colour(m) + 1, NULL, 16);
        size_t cnt = 0;
        for (int r = 0; r < c->n_runs; r++)
            if (c->M->of_run[r] == m) v[cnt++] = c->tcol[c->runs[r].final_arch];
        double mean, sd;
        ws_stats_mean_std(v, cnt, &mean, &sd);
        fprintf(f, "%d %.10g %.10g \"%s\" %ld\n", m, mean, sd, c->M->name[m], colour);
        for (size_t i = 0; i < cnt; i++) {
            fprintf(fs, "%d %.10g %ld\n", m, v[i], colour);
            lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
        }
        lo = fmin(lo, mean - sd), hi = fmax(hi, mean + sd);
    }
    free(v);
    if (fs && fclose(fs) != 0 && !rc) rc = ws_error_set(err, WS_EIO, "report: cannot write seeds.dat");
    if (f && fclose(f) != 0 && !rc) rc = ws_error_set(err, WS_EIO, "report: cannot write final.dat");
    if (rc) return rc;
    char title[600], yl[300];
    snprintf(title, sizeof title,
             "%s/%s of the final architecture per method\\n(filled: mean ± std over seeds, "
             "ddof=0; open: each seed)",
             c->col->bench, c->col->metric);
    snprintf(yl, sizeof yl, "%s/%s (%%)", c->col->bench, c->col->metric);
    FILE *g = plot_begin(c, "final", title, "", yl, err);
    if (!g) return err->code;
    gp_yrange(g, lo, hi, 0.5);
    fprintf(g, "set xrange [-0.6:%f]\nset xtics rotate by 30 right\nset bmargin 6\nplot ",
            c->M->n - 0.4);
    if (!isnan(c->oracle))
        fprintf(g, "%.10g with lines dt 2 lw 1.5 lc rgb 'black' title 'best in table (%.2f)', ",
                c->oracle, c->oracle);
    fprintf(g,
            "'%s/seeds.dat' using 1:2:3 with points pt 6 ps 1.3 lc rgb variable title 'one seed', "
            "'%s/final.dat' using 1:2:3:5:xtic(4) with yerrorbars pt 7 ps 2 lw 2 lc rgb variable "
            "title 'mean ± std'\n",
            c->pl->tmpdir, c->pl->tmpdir);
    return plot_end(c, g, err);
}

/* oneshot.png: one-shot vs true accuracy, one colour per method, each
 * method's Kendall tau-b (mean ± std over its runs) in the legend. */
static int plot_oneshot(plot_ctx *c, const char *truth, ws_error *err)
{
    size_t total = 0;
    for (int m = 0; m < c->M->n; m++) {
        char name[32];
        snprintf(name, sizeof name, "p%d.dat", m);
        FILE *f = plot_file(c->pl, name, err);
        if (!f) return err->code;
        for (int r = 0; r < c->n_runs; r++) {
            if (c->M->of_run[r] != m) continue;
            for (size_t i = 0; i < c->runs[r].n_pairs; i++, total++)
                fprintf(f, "%.10g %.10g\n", c->runs[r].pair_oneshot[i], c->runs[r].pair_true[i]);
        }
        if (fclose(f) != 0) return ws_error_set(err, WS_EIO, "report: cannot write %s", name);
    }
    char title[600], yl[300];
    snprintf(title, sizeof title,
             "One-shot vs true accuracy of the sampled architectures (%zu pairs)\\nlegend: "
             "Kendall tau-b per method, mean ± std over its runs",
             total);
    snprintf(yl, sizeof yl, "true accuracy: %s (%%)", truth);
    FILE *g = plot_begin(c, "oneshot", title,
                         "one-shot accuracy with the supernet's shared weights (%)", yl, err);
    if (!g) return err->code;
    fprintf(g, "set key below horizontal maxcols 2 samplen 1\nplot ");
    int first = 1;
    for (int m = 0; m < c->M->n; m++) {
        double tau[256];
        size_t k = 0;
        for (int r = 0; r < c->n_runs && k < 256; r++)
            if (c->M->of_run[r] == m && c->runs[r].pairs)
                tau[k++] = c->rc_vals[(size_t)r * (4 + WS_STATS_TOPK_COUNT) + 1];
        if (!k) continue;
        double mt, st;
        ws_stats_mean_std(tau, k, &mt, &st);
        fprintf(g, "%s'%s/p%d.dat' using 1:2 with points pt 7 ps 0.7 lc rgb '%s' title "
                   "'%s: tau-b %.3f ± %.3f (%zu run%s)'",
                first ? "" : ", ", c->pl->tmpdir, m, method_colour(m), c->M->name[m], mt, st, k,
                k > 1 ? "s" : "");
        first = 0;
    }
    fprintf(g, "\n");
    return plot_end(c, g, err);
}

/* The truth metric the runs' eval_pairs.csv name (column "truth"), or a
 * generic label for older files. */
static const char *pairs_truth(const ws_rundir *runs, int n)
{
    for (int r = 0; r < n; r++) {
        const ws_csv *c = runs[r].pairs;
        int col = c ? ws_csv_col(c, "truth") : -1;
        if (col >= 0 && c->n_rows) return ws_csv_cell(c, 0, col);
    }
    return "the table";
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
    ws_report_proxy *px = NULL;
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
    if (opt->proxy_path && (rc = ws_report_proxy_load(opt, &px, err))) goto done;
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
        if ((rc = ws_dir_make(D, err))) goto done;
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
        fprintf(f, "method,seed,epoch,entropy,entropy_max\n");
        for (int r = 0; r < n_dirs; r++)
            for (int i = 0; i < runs[r].n_epochs; i++)
                fprintf(f, "%s,%llu,%d,%.17g,%.17g\n", runs[r].method,
                        (unsigned long long)runs[r].seed, runs[r].epoch[i], runs[r].entropy[i],
                        log((double)run_ops(&runs[r])));
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
        if ((rc = ws_dir_make(P, err))) goto fail;
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
        plot_ctx pc = {.pl = pl, .os = os, .dir = P, .runs = runs, .n_runs = n_dirs, .M = &M,
                       .epochs = epochs, .n_ep = n_ep, .rc_vals = rc_vals, .oracle = NAN};
        if (t) {
            pc.col = &cols[plot_col];
            pc.tcol = ws_table_column(t, pc.col->bench, pc.col->metric);
            pc.oracle = sum->oracle[plot_col];
        }
        plot_ceilings(&pc);
        if ((rc = plot_series(&pc, err)) || (rc = plot_entropy(&pc, err))) goto fail;
        if (t && ((rc = plot_trajectory(&pc, err)) || (rc = plot_final(&pc, err)))) goto fail;
        if (any_pairs && (rc = plot_oneshot(&pc, pairs_truth(runs, n_dirs), err))) goto fail;
    }
    if (px && (rc = ws_report_proxy_outputs(px, runs, n_dirs, t, t ? cols[plot_col].bench : NULL,
                                            t ? cols[plot_col].metric : NULL, opt, os, pl, err)))
        goto fail;
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
        if (px) ws_report_proxy_print(px, out);
    }
    goto done;
fail:
    if (!rc) rc = err->code ? err->code : WS_EIO;
    out_abort(os);
done:
    ws_report_proxy_free(px);
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
