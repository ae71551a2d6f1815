#!/usr/bin/python3
"""grasp_check.py: how far central differences of dL/dw (H g for grasp; the
old src/proxy/grasp.c: float32, free ReLUs, relative step 2e-6; the current
one: the ReLU masks frozen at w, step 1e-5) are from the reference
definition (zero-cost-nas measures/grasp.py: -sum w (H g), H g by double
backward, T=1, train-mode BN) on the full-size NB201 network (C=16, N=5,
32x32, 10 classes; the first BATCH images of CIFAR-10's data_batch_1, no
augmentation, NB201's normalisation), in PyTorch.  A measurement, not a fixture: not run in CI.

Per architecture it prints the exact score in float64 and float32 (double
backward, as the reference) and the central-difference estimate in float32
(wsnas's old method; both sides' sum w0 . dL/dw(w0 +- h g) in double, h = step
||w|| / ||g||) and in float64, for several steps; and the same estimate
with every ReLU's mask frozen at w0 (fz32, grasp.c's method now: then dL/dw
is smooth in w, and its difference quotient tends to what double backward
computes, which takes ReLU'' = 0).  The network is
gen_supernet_fixtures.py's functional NB201 network (the same one the
committed fixtures check wsnas against), standalone with dead edges pruned,
PyTorch's default initialisation (conv/linear U(+-1/sqrt(fan_in)), BN 1/0).

Run: nice -n 10 /usr/bin/python3 tests/grasp_check.py [N_ARCHS] [SEED] [BATCH (64)]
  (WSNAS_SHARED: the CIFAR-10 binaries under $WSNAS_SHARED/cifar10;
   GRASP_TABLE: an NB201 table .h5 for the test accuracies, optional)
"""
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_supernet_fixtures as gs  # noqa: E402

gs.N = 5  # the table's network: 5 cells per stage
C, BATCH = 16, 64
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
STEPS = [1e-4, 1e-5, 2e-6, 1e-7]
FROZEN_STEPS = [1e-3, 1e-4, 1e-5]
torch.set_num_threads(1)


def archs_table(root):
    """Row i = official NB201 index i: its 6 op codes (the committed table's /archs/ops)."""
    import h5py
    with h5py.File(os.path.join(root, "bench", "nb201-cifar10-proxies.h5"), "r") as f:
        return f["archs/ops"][:].astype(int)


def arch_str(ops):
    e = [f"{OPS[o]}~{s}" for o, s in zip(ops, gs.EDGE_SRC)]
    return f"|{e[0]}|+|{e[1]}|{e[2]}|+|{e[3]}|{e[4]}|{e[5]}|"


def cifar_batch(shared, n):
    raw = np.fromfile(os.path.join(shared, "cifar10", "data_batch_1.bin"), dtype=np.uint8)
    raw = raw.reshape(-1, 3073)[:n]
    y = torch.tensor(raw[:, 0].astype(np.int64))
    x = torch.tensor(raw[:, 1:].reshape(n, 3, 32, 32).astype(np.float64) / 255.0)
    mean = torch.tensor([125.3, 123.0, 113.9]).view(1, 3, 1, 1) / 255.0
    std = torch.tensor([63.0, 62.1, 66.7]).view(1, 3, 1, 1) / 255.0
    return (x - mean) / std, y


def init_params(gen):
    P = {}
    for name, shape in gs.param_shapes(True, C).items():
        if ".bn" in name:
            P[name] = torch.full(shape, 1.0 if name.endswith(".weight") else 0.0)
        else:
            fan_in = 4 * C if name == "head.fc.bias" else int(np.prod(shape[1:]))
            b = 1.0 / math.sqrt(fan_in)
            P[name] = (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1) * b
    return P


def weights(net):
    return [p for n, p in net.P.items() if n.endswith(".weight") and ".bn" not in n]


def make(P0, arch, dtype):
    net = gs.Net({k: v.to(dtype) for k, v in P0.items()}, True, True, arch, C=C)
    net.R = {k: v.to(dtype) for k, v in net.R.items()}
    return net


def exact(P0, arch, x, y, dtype):
    net = make(P0, arch, dtype)
    ws = weights(net)
    x = x.to(dtype)
    g = torch.autograd.grad(F.cross_entropy(net.forward(x, None, True), y), ws, allow_unused=True)
    gf = torch.autograd.grad(F.cross_entropy(net.forward(x, None, True), y), ws,
                             create_graph=True, allow_unused=True)
    z = sum((gi.detach() * fi).sum() for gi, fi in zip(g, gf) if gi is not None)
    hg = torch.autograd.grad(z, ws, allow_unused=True)
    return -sum(float((w.detach().double() * h.double()).sum())
                for w, h in zip(ws, hg) if h is not None)


class FrozenRelu:
    """F.relu replaced: the first forward records every ReLU's mask (input > 0),
    later forwards reuse them in call order, so dL/dw is smooth in w."""

    def __init__(self):
        self.masks, self.k, self.real, self.recording = [], 0, F.relu, True

    def __call__(self, x, *a, **k):
        if self.recording:
            self.masks.append((x > 0).detach())
            return self.real(x)
        m = self.masks[self.k]
        self.k += 1
        return x * m.to(x.dtype)

    def replay(self):
        self.recording, self.k = False, 0


def central(P0, arch, x, y, dtype, steps, frozen=False):
    """-(S(+h) - S(-h)) / 2h, S(t) = sum w0 . dL/dw(w0 + t g), h = step ||w|| / ||g||:
    with free ReLUs (wsnas's old estimate) or, frozen=True, every ReLU's mask
    held at its value at w0 (what src/proxy/grasp.c now does)."""
    fr = FrozenRelu() if frozen else None
    if fr:
        F.relu = fr
    try:
        net = make(P0, arch, dtype)
        ws = weights(net)
        xx = x.to(dtype)
        g = torch.autograd.grad(F.cross_entropy(net.forward(xx, None, True), y), ws,
                                allow_unused=True)
        g = [gi if gi is not None else torch.zeros_like(w) for gi, w in zip(g, ws)]
        w0 = [w.detach().clone() for w in ws]
        ww = sum(float((w.double() ** 2).sum()) for w in w0)
        gg = sum(float((gi.double() ** 2).sum()) for gi in g)
        out = []
        for step in steps:
            h = step * math.sqrt(ww / gg)
            side = []
            for t in (h, -h):
                with torch.no_grad():
                    for w, a, gi in zip(ws, w0, g):
                        w.copy_((a.double() + t * gi.double()).to(dtype))
                if fr:
                    fr.replay()
                gr = torch.autograd.grad(F.cross_entropy(net.forward(xx, None, True), y), ws,
                                         allow_unused=True)
                side.append(sum(float((a.double() * gi.double()).sum())
                                for a, gi in zip(w0, gr) if gi is not None))
            out.append(-(side[0] - side[1]) / (2 * h))
        return out
    finally:
        if fr:
            F.relu = fr.real


def spearman(a, b):
    from scipy.stats import spearmanr
    return spearmanr(a, b).correlation


def main():
    n_archs = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else BATCH
    shared = os.environ.get("WSNAS_SHARED", "/work/shared")
    x, y = cifar_batch(shared, batch)
    P0 = init_params(torch.Generator().manual_seed(seed))
    rng = np.random.default_rng(seed)
    ops = archs_table(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    idx = sorted(rng.choice(15625, n_archs, replace=False).tolist())
    acc = None
    table = os.environ.get("GRASP_TABLE")
    if table:
        import h5py
        acc = h5py.File(table, "r")["benchmarks/cifar10/test_acc_200"][:]
    rows = []
    print("index  exact64  exact32  " + "  ".join(f"cd32@{s:g}" for s in STEPS) +
          "  cd64@2e-6  " + "  ".join(f"fz32@{s:g}" for s in FROZEN_STEPS) + "  acc", flush=True)
    for i in idx:
        arch = [int(o) for o in ops[i]]
        if not any(gs.live_edges(arch)):
            continue
        t0 = time.time()
        e64 = exact(P0, arch, x, y, torch.float64)
        e32 = exact(P0, arch, x, y, torch.float32)
        c32 = central(P0, arch, x, y, torch.float32, STEPS)
        c64 = central(P0, arch, x, y, torch.float64, [2e-6])[0]
        fz = central(P0, arch, x, y, torch.float32, FROZEN_STEPS, frozen=True)
        a = float(acc[i]) if acc is not None else float("nan")
        rows.append([e64, e32] + c32 + [c64] + fz + [a])
        print(f"{i:5d} {e64:+.4e} {e32:+.4e} " + " ".join(f"{v:+.4e}" for v in c32) +
              f" {c64:+.4e} " + " ".join(f"{v:+.4e}" for v in fz) +
              f" {a:.2f}  ({time.time() - t0:.1f} s) {arch_str(arch)}", flush=True)
    R = np.array(rows)
    e64 = R[:, 0]
    print(f"\n{len(R)} architectures; relative error against exact64 (median, max):")
    names = (["exact32"] + [f"cd32@{s:g}" for s in STEPS] + ["cd64@2e-6"] +
             [f"fz32@{s:g}" for s in FROZEN_STEPS])
    for k, name in enumerate(names, start=1):
        rel = np.abs(R[:, k] - e64) / np.maximum(np.abs(e64), 1e-30)
        print(f"  {name:10s} {np.median(rel):.3g} {rel.max():.3g}  spearman vs exact64 "
              f"{spearman(R[:, k], e64):+.3f}  sign flips {int(np.sum(np.sign(R[:, k]) != np.sign(e64)))}")
    if acc is not None:
        print("spearman against cifar10 test_acc_200 over these architectures: exact64 %+.3f, "
              "cd32@2e-6 %+.3f" % (spearman(e64, R[:, -1]),
                                   spearman(R[:, 2 + STEPS.index(2e-6)], R[:, -1])))


if __name__ == "__main__":
    main()
