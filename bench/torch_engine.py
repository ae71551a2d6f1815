#!/usr/bin/python3
"""torch_engine.py: the PyTorch side of bench/bench_engine.c: the same NB201
supernet (the functional network of tests/gen_supernet_fixtures.py: convs
without bias, affine=False cell BN with batch statistics, FULL softmax mix),
median seconds per weight step (zero grad, forward, backward, clip 5,
Nesterov SGD) and per first-order DARTS iteration (plus an architecture step
on another batch with Adam), images/s, GFLOP/s, peak RSS.

Usage: /usr/bin/python3 bench/torch_engine.py [--threads T] [--steps S]
       [--config full|small|both] [--channels-last]
"""
import argparse
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import gen_supernet_fixtures as G  # noqa: E402


def flops_per_image(C, N, cin, S, K):
    """Forward multiply-adds of the supernet (every op on every edge), as ws_arch_flops."""
    total = cin * C * 9 * S * S
    for stage in range(3):
        cs, hs = C << stage, S >> stage
        if stage > 0:
            cin_r = cs // 2
            total += cin_r * cs * 9 * hs * hs + cs * cs * 9 * hs * hs + cin_r * cs * hs * hs
        total += N * 6 * (cs * cs * hs * hs + cs * cs * 9 * hs * hs)
    return total + 4 * C * K + K


def run(name, C, N, cin, S, steps, channels_last, full_arch_backward):
    B, K = 64, 10
    G.C, G.N, G.CIN, G.S, G.K, G.B = C, N, cin, S, K, B
    gen = torch.Generator().manual_seed(1)
    P0 = G.init_params(gen, C)
    net = G.Net(P0, 0, 0, None, C=C)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    if channels_last:
        for k, p in net.P.items():
            if p.dim() == 4:
                net.P[k] = p.detach().to(memory_format=fmt).requires_grad_(True)
    x = torch.randn(B, cin, S, S, generator=gen).to(memory_format=fmt)
    xv = torch.randn(B, cin, S, S, generator=gen).to(memory_format=fmt)
    y = torch.randint(0, K, (B,), generator=gen)
    yv = torch.randint(0, K, (B,), generator=gen)
    alpha = (1e-3 * torch.randn(6, 5, generator=gen)).requires_grad_(True)
    params = list(net.P.values())
    opt = torch.optim.SGD(params, lr=0.025, momentum=0.9, nesterov=True, weight_decay=5e-4)
    aopt = torch.optim.Adam([alpha], lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    ones = torch.ones(6)
    tw, td = [], []
    for it in range(-2, steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        mix = {"mode": "full", "w": F.softmax(alpha, dim=1).detach(), "scale": ones, "sel": [1] * 6}
        F.cross_entropy(net.forward(x, mix, True), y).backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        t1 = time.perf_counter()
        aopt.zero_grad(set_to_none=True)
        mix = {"mode": "full", "w": F.softmax(alpha, dim=1), "scale": ones, "sel": [1] * 6}
        loss = F.cross_entropy(net.forward(xv, mix, True), yv)
        if full_arch_backward:  # AutoDL's form: weight gradients computed, then unused
            loss.backward()
        else:  # the gradient of alpha alone, as wsnas computes it
            (alpha.grad,) = torch.autograd.grad(loss, [alpha])
        aopt.step()
        t2 = time.perf_counter()
        if it >= 0:
            tw.append(t1 - t0)
            td.append(t2 - t0)
    mw, md = statistics.median(tw), statistics.median(td)
    fl = 3 * flops_per_image(C, N, cin, S, K) * 2 * B
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name:5s} C={C} N={N} B={B} {cin}x{S}x{S}  weight step {mw:.4f} s  "
          f"({B / mw:.0f} img/s, {fl / mw * 1e-9:.1f} GFLOP/s)  DARTS-1st iteration {md:.4f} s  "
          f"peak RSS {rss:.0f} MB", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--config", choices=["full", "small", "both"], default="both")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--full-arch-backward", action="store_true",
                    help="architecture step with loss.backward() (AutoDL; weight gradients "
                         "computed and unused) instead of autograd.grad on alpha alone")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}: {torch.get_num_threads()} threads, median of {a.steps} "
          f"steps, {'channels_last' if a.channels_last else 'contiguous'}, architecture step "
          f"{'loss.backward()' if a.full_arch_backward else 'autograd.grad(alpha)'}", flush=True)
    if a.config != "full":
        run("small", 8, 1, 1, 16, a.steps, a.channels_last, a.full_arch_backward)
    if a.config != "small":
        run("full", 16, 5, 3, 32, a.steps, a.channels_last, a.full_arch_backward)


if __name__ == "__main__":
    main()
