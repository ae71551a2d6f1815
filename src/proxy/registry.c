/* registry.c: the proxies' closed enum name table, checked by
 * _Static_assert, and the one dispatch table (one row per proxy: name,
 * minibatch, score function, reference, definition); the recipe text. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *const ws_proxy_names[WS_PROXY_COUNT] = {
    "synflow", "snip", "grad_norm", "fisher", "grasp", "jacob_cov", "naswot", "params", "flops",
};
_Static_assert(WS_ARRAY_LEN(ws_proxy_names) == WS_PROXY_COUNT, "one name per proxy");

#define ZC "zero-cost-nas (SamsungLabs, Abdelfattah et al. 2021) foresight/pruners/measures/"

static const proxy_row rows[WS_PROXY_COUNT] = {
    {WS_PROXY_SYNFLOW, "synflow", 1, proxy_synflow, ZC "synflow.py (bn=False)",
     "sum over conv/linear weights of |w dR/dw|, R = sum of the logits of the BN-free network "
     "with |w| for every parameter on an all-ones input, double precision"},
    {WS_PROXY_SNIP, "snip", 64, proxy_snip, ZC "snip.py",
     "sum over conv/linear weights of |w dL/dw|, L = mean cross-entropy of one minibatch"},
    {WS_PROXY_GRAD_NORM, "grad_norm", 64, proxy_grad_norm, ZC "grad_norm.py",
     "sum over conv/linear layers of ||dL/dW||_2, L = mean cross-entropy of one minibatch"},
    {WS_PROXY_FISHER, "fisher", 64, proxy_fisher, ZC "fisher.py",
     "sum over conv/linear output channels of fan_in * 0.5 mean_n (sum_hw a dL/da)^2, a = the "
     "layer's output"},
    {WS_PROXY_GRASP, "grasp", 64, proxy_grasp, ZC "grasp.py (T=1)",
     "-sum over conv/linear weights of w (H g), g = dL/dw, H g by central differences of dL/dw "
     "along g with every ReLU's mask frozen at w (as double backward)"},
    {WS_PROXY_JACOB_COV, "jacob_cov", 64, proxy_jacob_cov, ZC "jacob_cov.py",
     "-sum_i log(v_i + 1e-5) + 1/(v_i + 1e-5), v = eigenvalues of corrcoef(J), J = d(sum of "
     "logits)/dx per image"},
    {WS_PROXY_NASWOT, "naswot", 128, proxy_naswot,
     "nas-without-training (BayesWatch, Mellor et al. 2021) score_networks.py, hook_logdet, "
     "--augtype none",
     "log|det K|, K = sum over ReLUs of c c^T + (1-c)(1-c)^T, c = (ReLU input > 0) per image"},
    {WS_PROXY_PARAMS, "params", 0, proxy_params, "wsnas arch (ws_arch_param_count)",
     "trainable parameters of the NB201 network, every edge keeping its op"},
    {WS_PROXY_FLOPS, "flops", 0, proxy_flops, "wsnas arch (ws_arch_flops, AutoDL flop_benchmark)",
     "multiply-adds of one forward pass per image (convolutions and the linear layer)"},
};

const proxy_row *proxy_row_get(int id)
{
    WS_ASSERT(id >= 0 && id < WS_PROXY_COUNT && rows[id].id == id);
    return &rows[id];
}

int ws_proxy_lookup(const char *name, int *id, ws_error *err)
{
    for (int i = 0; i < WS_PROXY_COUNT; i++)
        if (!strcmp(name, ws_proxy_names[i])) {
            *id = i;
            return 0;
        }
    char known[256] = "";
    for (int i = 0; i < WS_PROXY_COUNT; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 ws_proxy_names[i]);
    return ws_error_set(err, WS_EINVAL, "unknown proxy '%s': expected one of %s", name, known);
}

int ws_proxy_batch_size(int id) { return proxy_row_get(id)->batch; }
const char *ws_proxy_reference(int id) { return proxy_row_get(id)->reference; }
const char *ws_proxy_definition(int id) { return proxy_row_get(id)->definition; }

void ws_proxy_recipe_default(ws_proxy_recipe *r)
{
    memset(r, 0, sizeof *r);
    r->C = 16;
    r->N = 5;
    r->in_size = 32;
    r->seed = 1;
    r->n_proxies = WS_PROXY_COUNT;
    for (int i = 0; i < WS_PROXY_COUNT; i++) r->proxies[i] = i;
}

int ws_proxy_recipe_set_proxies(ws_proxy_recipe *r, const char *list, ws_error *err)
{
    int want[WS_PROXY_COUNT] = {0};
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf || !buf[0])
        return ws_error_set(err, WS_EINVAL, "proxy list '%.40s': expected names separated by ','",
                            list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int id;
        int rc = ws_proxy_lookup(t, &id, err);
        if (rc) return rc;
        if (want[id]++) return ws_error_set(err, WS_EINVAL, "proxy '%s' given twice", t);
    }
    r->n_proxies = 0;
    for (int i = 0; i < WS_PROXY_COUNT; i++)
        if (want[i]) r->proxies[r->n_proxies++] = i;
    return 0;
}

int ws_proxy_recipe_format(const ws_proxy_recipe *r, char *buf, size_t n, ws_error *err)
{
    if (r->n_proxies < 1 || r->n_proxies > WS_PROXY_COUNT)
        return ws_error_set(err, WS_EINVAL, "recipe: %d proxies, expected 1..%d", r->n_proxies,
                            WS_PROXY_COUNT);
    size_t len = (size_t)snprintf(buf, n, "dataset=cifar10;split=train;C=%d;N=%d;size=%d;seed=%llu;proxies=",
                                  r->C, r->N, r->in_size, (unsigned long long)r->seed);
    for (int i = 0; i < r->n_proxies && len < n; i++) {
        int id = r->proxies[i];
        if (id < 0 || id >= WS_PROXY_COUNT || (i && id <= r->proxies[i - 1]))
            return ws_error_set(err, WS_EINVAL, "recipe: proxies must be ascending ids");
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? "," : "", ws_proxy_names[id]);
    }
    if (len >= n) return ws_error_set(err, WS_EINVAL, "recipe text longer than %zu bytes", n);
    return 0;
}
