#!/usr/bin/python3
"""torch_score.py: the PyTorch side of `bench_eval --config`: one-shot scoring
of NB201 architectures with a supernet's shared weights, BN in batch mode,
256 images in one batch: for each architecture one forward of the single
path (torch.no_grad, train-mode BN), top-1 hits counted.  The network is
torch_engine.py's FastNet (tests/gen_supernet_fixtures.py's functional
supernet; only the selected op of each edge runs) and, as wsnas does, edges
that cannot change the output (ops out of all-zero nodes, or into nodes that
do not reach node 3) are skipped.  Architectures come from the file
`bench_eval --list` writes (six op digits a line), so both score the same
classes; random weights and images (the time does not depend on them).

Usage: /usr/bin/python3 bench/torch_score.py --config full|c16s16|c8s16|c4s16
       --list FILE [--threads T] [--channels-last]
"""
import argparse
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_engine as E  # noqa: E402

G = E.G


class ScoreNet(E.FastNet):
    """FastNet whose single-path cells skip the edges marked dead in mix["live"]."""

    def cell(self, k, x, mix, train):
        live = mix.get("live")
        if live is None:
            return super().cell(k, x, mix, train)
        nodes = [x]
        for i in (1, 2, 3):
            s = None
            for e in range(6):
                if G.EDGE_DST[e] != i or not live[e]:
                    continue
                t = self.op(k, e, mix["sel"][e], nodes[G.EDGE_SRC[e]], train)
                s = t if s is None else s + t
            nodes.append(torch.zeros_like(x) if s is None else s)
        return nodes[3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True, choices=["full", "c16s16", "c8s16", "c4s16"])
    ap.add_argument("--list", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    archs = []
    with open(a.list) as f:
        for ln, line in enumerate(f, 1):
            line = line.strip()
            if len(line) != 6 or any(c not in "01234" for c in line):
                sys.exit(f"torch_score: {a.list}:{ln}: expected six op digits 0-4, got '{line}'")
            archs.append([int(c) for c in line])
    if not archs:
        sys.exit(f"torch_score: {a.list}: no architectures")
    C, N, cin, S = E.CONFIGS[a.config]
    B, K = 256, 10
    G.C, G.N, G.CIN, G.S, G.K, G.B = C, N, cin, S, K, B
    gen = torch.Generator().manual_seed(1)
    net = ScoreNet(G.init_params(gen, C), 0, 1, None, C=C)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    for k, p in net.P.items():
        net.P[k] = p.detach().to(memory_format=fmt) if p.dim() == 4 else p.detach()
    x = torch.randn(B, cin, S, S, generator=gen).to(memory_format=fmt)
    y = torch.randint(0, K, (B,), generator=gen)
    ones = torch.ones(6)

    def score(arch):
        # with batch statistics an op of an all-zero node is zero: skip it too
        mix = {"mode": "single", "w": None, "scale": ones, "sel": arch,
               "live": G.live_edges(arch)}
        return int((net.forward(x, mix, True).argmax(1) == y).sum())

    with torch.no_grad():
        score(archs[0])  # warm-up
        t0 = time.perf_counter()
        for arch in archs:
            score(arch)
        dt = time.perf_counter() - t0
    n = len(archs)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"torch {torch.__version__}: {torch.get_num_threads()} threads, "
          f"{'channels_last' if a.channels_last else 'contiguous'}, no_grad")
    print(f"{a.config:6s} C={C} N={N} 3x{S}x{S}  scoring {n} classes (256 images, BN batch) "
          f"{dt:.2f} s  {dt / n:.4f} s per class  all 6466 classes {dt / n * 6466 / 60:.1f} min  "
          f"peak RSS {rss:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
