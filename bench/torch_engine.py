#!/usr/bin/python3
"""torch_engine.py: the PyTorch side of bench/bench_engine.c: the same NB201
supernet (the functional network of tests/gen_supernet_fixtures.py: convs
without bias, affine=False cell BN with batch statistics) and the same steps:
  weight step          zero grad, forward, backward, clip 5, Nesterov SGD,
                       FULL softmax(alpha) mix
  DARTS-1st iteration  plus an architecture step on another batch with Adam
  GDAS iteration       single-path weight step with the hard straight-through
                       weights h = onehot - p.detach() + p, p = softmax(alpha /
                       tau), then a single-path architecture step (new sample)
  RS-WS step           single-path weight step on a uniform architecture
The single-path rows run only the selected op per edge (none: nothing; GDAS
adds the other ops' h as one scalar), AutoDL's search_cells.forward_gdas /
forward_urs in their cheapest form, and draw the same op sequence as
bench_engine (PCG32 seed 13, stream 0 GDAS / 1 RS-WS); they report the mean
over the steps, the other rows the median.  Also images/s, GFLOP/s, peak RSS.

Usage: /usr/bin/python3 bench/torch_engine.py [--threads T] [--steps S]
       [--config all|both|NAME[,NAME...]] [--channels-last] [--full-arch-backward]
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

# name: (C, N, Cin, S), as bench_engine.c's table, in its order
CONFIGS = {"small": (8, 1, 1, 16), "c4s16": (4, 5, 3, 16), "c8s16": (8, 5, 3, 16),
           "c16s16": (16, 5, 3, 16), "full": (16, 5, 3, 32)}
SEQ_SEED, GDAS_TAU = 13, 10.0


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


class FastNet(G.Net):
    """G.Net with single-path cells in their cheapest form: only the selected
    op of each edge runs; `none` adds nothing; GDAS's other h add as one scalar."""

    def cell(self, k, x, mix, train):
        if mix["mode"] not in ("single", "hard_st"):
            return super().cell(k, x, mix, train)
        nodes = [x]
        for i in (1, 2, 3):
            s, scal = None, None
            for e in range(6):
                if G.EDGE_DST[e] != i:
                    continue
                o = mix["sel"][e]
                if mix["mode"] == "hard_st":
                    h = mix["w"][e]
                    rest = h.sum() - h[o]
                    scal = rest if scal is None else scal + rest
                if o == G.NONE:
                    continue
                t = self.op(k, e, o, nodes[G.EDGE_SRC[e]], train)
                if mix["mode"] == "hard_st":
                    t = mix["w"][e, o] * t
                s = t if s is None else s + t
            if s is None:
                s = torch.zeros_like(x)
            if scal is not None:
                s = s + scal
            nodes.append(s)
        return nodes[3]


def draw_sel(r):
    return [r.bounded(5) for _ in range(6)]


def run(name, C, N, cin, S, steps, channels_last, full_arch_backward):
    B, K = 64, 10
    G.C, G.N, G.CIN, G.S, G.K, G.B = C, N, cin, S, K, B
    gen = torch.Generator().manual_seed(1)
    P0 = G.init_params(gen, C)
    net = FastNet(P0, 0, 0, None, C=C)
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

    def weight_step(mix):
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net.forward(x, mix, True), y).backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()

    def arch_step(mix):
        aopt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net.forward(xv, mix, True), yv)
        if full_arch_backward:  # AutoDL's form: weight gradients computed, then unused
            loss.backward()
        else:  # the gradient of alpha alone, as wsnas computes it
            (alpha.grad,) = torch.autograd.grad(loss, [alpha])
        aopt.step()

    def gdas_mix(r, grad):
        sel = draw_sel(r)
        p = F.softmax(alpha / GDAS_TAU, dim=1)
        if not grad:
            p = p.detach()
        h = F.one_hot(torch.tensor(sel), 5).float() - p.detach() + p
        return {"mode": "hard_st", "w": h, "scale": ones, "sel": sel}

    tw, td, tg, tr = [], [], [], []
    for it in range(-2, steps):
        t0 = time.perf_counter()
        weight_step({"mode": "full", "w": F.softmax(alpha, dim=1).detach(), "scale": ones,
                     "sel": [1] * 6})
        t1 = time.perf_counter()
        arch_step({"mode": "full", "w": F.softmax(alpha, dim=1), "scale": ones, "sel": [1] * 6})
        t2 = time.perf_counter()
        if it >= 0:
            tw.append(t1 - t0)
            td.append(t2 - t0)
    rg, rr = G.Pcg32(SEQ_SEED, 0), G.Pcg32(SEQ_SEED, 1)
    for it in range(-2, steps):
        t0 = time.perf_counter()
        weight_step(gdas_mix(rg, False))
        arch_step(gdas_mix(rg, True))
        t1 = time.perf_counter()
        weight_step({"mode": "single", "w": None, "scale": ones, "sel": draw_sel(rr)})
        t2 = time.perf_counter()
        if it >= 0:
            tg.append(t1 - t0)
            tr.append(t2 - t1)
    mw, md = statistics.median(tw), statistics.median(td)
    fl = 3 * flops_per_image(C, N, cin, S, K) * 2 * B
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name:6s} C={C} N={N} B={B} {cin}x{S}x{S}  weight step {mw:.4f} s  "
          f"({B / mw:.0f} img/s, {fl / mw * 1e-9:.1f} GFLOP/s)  DARTS-1st iteration {md:.4f} s  "
          f"GDAS iteration {statistics.mean(tg):.4f} s  RS-WS step {statistics.mean(tr):.4f} s  "
          f"peak RSS {rss:.0f} MB", flush=True)


def parse_configs(s):
    if s == "all":
        return list(CONFIGS)
    if s == "both":
        s = "small,full"
    names = s.split(",")
    for n in names:
        if n not in CONFIGS:
            sys.exit(f"torch_engine: --config '{n}': expected all, both or a list of "
                     f"{' '.join(CONFIGS)}")
    return [n for n in CONFIGS if n in names]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--config", default="both")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--full-arch-backward", action="store_true",
                    help="architecture step with loss.backward() (AutoDL; weight gradients "
                         "computed and unused) instead of autograd.grad on alpha alone")
    a = ap.parse_args()
    names = parse_configs(a.config)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}: {torch.get_num_threads()} threads, median of {a.steps} "
          f"steps (single-path rows: mean of {a.steps} sampled steps), "
          f"{'channels_last' if a.channels_last else 'contiguous'}, architecture step "
          f"{'loss.backward()' if a.full_arch_backward else 'autograd.grad(alpha)'}", flush=True)
    for n in names:
        run(n, *CONFIGS[n], a.steps, a.channels_last, a.full_arch_backward)


if __name__ == "__main__":
    main()
