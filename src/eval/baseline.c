/* baseline.c: table-only random search and regularised evolution (the
 * non-weight-sharing rows of the NB201 paper, after AutoDL's R_EA.py and
 * RANDOM.py): every "training" is a table lookup of the search metric; the
 * budget counts architectures and, optionally, simulated training seconds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wsnas/eval.h"
#include "wsnas/rng.h"

ws_baseline_config ws_baseline_config_default(void)
{
    return (ws_baseline_config){
        .method = WS_BASELINE_RS, .budget_archs = 100, .budget_seconds = 0.0,
        .population = 10, .sample_size = 3};
}

int ws_baseline_parse_method(const char *s, int *method, ws_error *err)
{
    if (!strcmp(s, "rs")) {
        *method = WS_BASELINE_RS;
        return 0;
    }
    if (!strcmp(s, "rea")) {
        *method = WS_BASELINE_REA;
        return 0;
    }
    return ws_error_set(err, WS_EINVAL, "unknown baseline '%s': expected rs or rea", s);
}

const char *ws_baseline_method_name(int method)
{
    return method == WS_BASELINE_REA ? "rea" : "rs";
}

/* Query state shared by both methods: budget accounting and the best so far. */
typedef struct query_state {
    const ws_baseline_config *cfg;
    const double *score, *cost;
    int higher;
    ws_baseline_result *res;
} query_state;

/* Queries architecture `idx` if the budget allows: returns 1 and its score
 * in *s, or 0 when the budget is exhausted (the run then stops). */
static int query(query_state *q, int idx, double *s)
{
    if (q->res->evaluated >= q->cfg->budget_archs) return 0;
    if (q->cost) {
        double c = q->cost[idx];
        if (q->res->seconds_used + c > q->cfg->budget_seconds) return 0;
        q->res->seconds_used += c;
    }
    q->res->evaluated++;
    *s = q->score[idx];
    if (!isnan(*s)) {
        int better = isnan(q->res->best_score) ||
                     (q->higher ? *s > q->res->best_score : *s < q->res->best_score);
        if (better) {
            q->res->best_score = *s;
            q->res->best_index = idx;
        }
    }
    return 1;
}

/* a is better than b (NaN is worst). */
static int better(double a, double b, int higher)
{
    if (isnan(a)) return 0;
    if (isnan(b)) return 1;
    return higher ? a > b : a < b;
}

static int run_rea(query_state *q, const ws_space *sp, ws_pcg32 *rng, ws_error *err)
{
    int P = q->cfg->population;
    int *pop = malloc((size_t)P * sizeof *pop);
    double *pop_s = malloc((size_t)P * sizeof *pop_s);
    if (!pop || !pop_s) {
        free(pop);
        free(pop_s);
        return ws_error_set(err, WS_ENOMEM, "rea: out of memory");
    }
    int n = 0, head = 0; /* ring buffer: head = oldest */
    while (n < P) {
        int idx = (int)ws_pcg32_bounded(rng, WS_ARCH_COUNT);
        double s;
        if (!query(q, idx, &s)) goto done;
        pop[n] = idx;
        pop_s[n] = s;
        n++;
    }
    for (;;) {
        int parent = -1;
        for (int k = 0; k < q->cfg->sample_size; k++) {
            int j = (int)ws_pcg32_bounded(rng, (uint32_t)P);
            if (parent < 0 || better(pop_s[j], pop_s[parent], q->higher)) parent = j;
        }
        ws_arch a = ws_space_arch(sp, pop[parent]);
        int e = (int)ws_pcg32_bounded(rng, WS_EDGES);
        int op = (int)ws_pcg32_bounded(rng, WS_OP_COUNT - 1);
        if (op >= a.op[e]) op++; /* a different op, uniformly */
        a.op[e] = (uint8_t)op;
        int child = ws_space_index(sp, &a);
        double s;
        if (!query(q, child, &s)) break;
        pop[head] = child; /* replaces the oldest */
        pop_s[head] = s;
        head = (head + 1) % P;
    }
done:
    free(pop);
    free(pop_s);
    return 0;
}

int ws_baseline_run(const ws_baseline_config *cfg, const ws_space *sp, const double *score,
                    int higher_better, const double *cost, uint64_t seed,
                    ws_baseline_result *res, ws_error *err)
{
    if (cfg->method != WS_BASELINE_RS && cfg->method != WS_BASELINE_REA)
        return ws_error_set(err, WS_EINVAL, "baseline: unknown method %d", cfg->method);
    if (cfg->budget_archs < 1)
        return ws_error_set(err, WS_ERANGE, "baseline: budget of %d architectures: expected >= 1",
                            cfg->budget_archs);
    if (!(cfg->budget_seconds >= 0.0) || !isfinite(cfg->budget_seconds))
        return ws_error_set(err, WS_ERANGE, "baseline: time budget %g: expected >= 0 seconds",
                            cfg->budget_seconds);
    if (cfg->budget_seconds > 0.0 && !cost)
        return ws_error_set(err, WS_EINVAL,
                            "baseline: a time budget needs training times, and none were given");
    if (cfg->budget_seconds == 0.0) cost = NULL;
    if (cfg->method == WS_BASELINE_REA && (cfg->population < 1 || cfg->sample_size < 1))
        return ws_error_set(err, WS_ERANGE,
                            "rea: population %d, sample size %d: expected both >= 1",
                            cfg->population, cfg->sample_size);
    if (cost)
        for (int i = 0; i < WS_ARCH_COUNT; i++)
            if (!(cost[i] >= 0.0) || !isfinite(cost[i]))
                return ws_error_set(err, WS_EINVAL,
                                    "baseline: training time of architecture %d is %g: expected "
                                    "a finite number >= 0",
                                    i, cost[i]);
    *res = (ws_baseline_result){.best_index = -1, .best_score = NAN};
    query_state q = {.cfg = cfg, .score = score, .cost = cost, .higher = higher_better,
                     .res = res};
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, seed, WS_STREAM_BASELINE);
    int rc = 0;
    if (cfg->method == WS_BASELINE_RS) {
        double s;
        while (query(&q, (int)ws_pcg32_bounded(&rng, WS_ARCH_COUNT), &s)) {
        }
    } else {
        rc = run_rea(&q, sp, &rng, err);
    }
    if (!rc && res->best_index < 0)
        return ws_error_set(err, WS_ENOTFOUND,
                            "baseline: no architecture with a search score within the budget "
                            "(%d queried)",
                            res->evaluated);
    return rc;
}
