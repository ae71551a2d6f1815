/* oneshot_net.c: one-shot accuracy of architectures with the shared
 * supernet weights (methods.md §3.2): the path of each architecture is
 * fixed (WS_MIX_SINGLE) and its top-1 accuracy measured on a fixed held-out
 * set, with BatchNorm in one of three modes.  The network's BN buffers are
 * restored after every architecture, so scores do not depend on order. */
#include <stdlib.h>
#include <string.h>

#include "wsnas/eval.h"
#include "wsnas/supernet.h"


int ws_oneshot_parse_bn(const char *s, int *mode, ws_error *err)
{
    if (!strcmp(s, "batch")) *mode = WS_BN_BATCH;
    else if (!strcmp(s, "running")) *mode = WS_BN_RUNNING;
    else if (!strcmp(s, "recalibrate")) *mode = WS_BN_RECALIBRATE;
    else
        return ws_error_set(err, WS_EINVAL,
                            "BN mode '%s': expected batch, running or recalibrate", s);
    return 0;
}

/* Top-1 hits of one architecture over the held-out images. */
static long count_correct(ws_net *net, const ws_mix *mix, const float *x, const int *y, int n,
                          int batch, int train, size_t img)
{
    long hits = 0;
    for (int i = 0; i < n; i += batch) {
        int B = n - i < batch ? n - i : batch;
        int c = 0;
        ws_net_forward(net, x + (size_t)i * img, y + i, B, mix, train, &c);
        hits += c;
    }
    return hits;
}

int ws_oneshot_score(ws_net *net, const ws_space *sp, const int *archs, int n_archs,
                     const float *x, const int *y, int n_images, int batch, int bn_mode,
                     const float *cx, const int *cy, int n_calib, double *acc, ws_error *err)
{
    const ws_net_config *cfg = ws_net_get_config(net);
    if (batch < 1 || batch > cfg->max_batch)
        return ws_error_set(err, WS_ERANGE, "one-shot batch %d: expected 1..%d (the network's "
                            "max_batch)", batch, cfg->max_batch);
    if (n_images < 1) return ws_error_set(err, WS_EINVAL, "one-shot: no held-out images");
    if (bn_mode == WS_BN_RECALIBRATE && (!cx || !cy || n_calib < 1))
        return ws_error_set(err, WS_EINVAL, "one-shot: recalibration needs calibration images");
    size_t img = (size_t)cfg->in_channels * (size_t)cfg->in_size * (size_t)cfg->in_size;
    size_t nbuf = 0;
    float *buf = ws_net_buffers(net, &nbuf);
    float *saved = malloc((nbuf ? nbuf : 1) * sizeof *saved);
    if (!saved) return ws_error_set(err, WS_ENOMEM, "one-shot: out of memory");
    memcpy(saved, buf, nbuf * sizeof *buf);
    for (int a = 0; a < n_archs; a++) {
        ws_mix mix;
        memset(&mix, 0, sizeof mix);
        mix.mode = WS_MIX_SINGLE;
        ws_arch ar = ws_space_arch(sp, archs[a]);
        for (int e = 0; e < WS_EDGES; e++) {
            mix.sel[e] = ar.op[e];
            mix.edge_scale[e] = 1.0f;
        }
        long hits;
        if (bn_mode == WS_BN_BATCH) {
            /* batch statistics everywhere: train-mode forwards (they move the
             * running statistics, restored below) */
            hits = count_correct(net, &mix, x, y, n_images, batch, 1, img);
        } else {
            if (bn_mode == WS_BN_RECALIBRATE)
                count_correct(net, &mix, cx, cy, n_calib, batch, 1, img);
            hits = count_correct(net, &mix, x, y, n_images, batch, 0, img);
        }
        acc[a] = 100.0 * (double)hits / (double)n_images;
        memcpy(buf, saved, nbuf * sizeof *buf);
    }
    free(saved);
    return 0;
}
