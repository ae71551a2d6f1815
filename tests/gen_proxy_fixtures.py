#!/usr/bin/python3
"""gen_proxy_fixtures.py: PyTorch reference values of the zero-cost proxies of
src/proxy/ (include/wsnas/proxy.h) on a tiny NB201 network, written as a WSFX
fixture (tests/wsfx.py) read by tests/test_proxy.c.

The network is gen_supernet_fixtures.py's functional NB201 network (C=4, N=1,
3x8x8 input, 10 classes) in float64, standalone with dead edges pruned, with
weights rounded to float32 (so the C side, which stores float, holds exactly
the same numbers).  Each proxy is computed as its reference implementation
does, with autograd:
  synflow    |params|, BN bypassed everywhere, one all-ones image, R = sum
             of logits, sum |w dR/dw|   (zero-cost-nas synflow.py, bn=False)
  snip       sum |w dL/dw|               (snip.py: grad of a ones mask)
  grad_norm  sum over layers ||dL/dW||   (grad_norm.py)
  fisher     conv/linear outputs a with a.retain_grad(): fan_in * 0.5
             mean_n (sum_hw a a.grad)^2 summed over channels (fisher.py)
  grasp      -sum w (H g) by double backward (grasp.py, T=1)
  jacob_cov  d(sum logits)/dx, corrcoef, eigenvalues (jacob_cov.py)
  naswot     ReLU-input codes, K = c c^T + (1-c)(1-c)^T, slogdet
             (nas-without-training score_networks.py, hook_logdet)
  params     numel of every parameter of the unpruned standalone network
  flops      conv and linear multiply-adds of one image
on a gradient batch of 8 images and a naswot batch of 6 (random normal).

A second fixture, proxy_grasp.wsfx, holds grasp alone on a larger network
(C=8, N=2, 3x16x16, 16 images, 3 architectures) where central differences of
dL/dw with free ReLUs cross kinks at every relative step tried (2e-6: off by
factors 1.7 to 53; measured with tests/grasp_check.py's central()), so it
checks that src/proxy/grasp.c freezes the ReLU masks: "shape" (C, N, S),
"x_grad", "y_grad", "p:<name>", "arch<i>", "grasp<i>".

Written: "x_grad", "y_grad", "x_naswot", "y_naswot", "p:<name>" for every
supernet parameter, and per architecture i: "arch<i>" (6 op codes) and
"score<i>" (one value per proxy in enum order; NaN where undefined).
Run: /usr/bin/python3 tests/gen_proxy_fixtures.py (writes tests/fixtures/proxy.wsfx
and tests/fixtures/proxy_grasp.wsfx).
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_supernet_fixtures as gs  # noqa: E402
import wsfx  # noqa: E402

torch.set_default_dtype(torch.float64)
C, N, S, K = gs.C, gs.N, gs.S, gs.K
NONE, SKIP, C1, C3, POOL = range(5)
BG, BNW = 8, 6
ARCHS = [
    [C3, C3, C3, C3, C3, C3],        # every edge a 3x3 convolution
    [C3, C1, POOL, SKIP, C1, NONE],  # node 2 a dead end (edges 2<-0, 2<-1 pruned)
    [NONE, POOL, C3, C1, SKIP, C3],  # node 1 unreachable (edges 2<-1, 3<-1 pruned)
    [C1, POOL, SKIP, POOL, C3, C1],  # mixed, all live
    [C3, NONE, NONE, NONE, NONE, SKIP],  # disconnected: output independent of x
]
REAL = {n: getattr(F, n) for n in ("relu", "conv2d", "linear")}


class Patch:
    """Wraps F.relu / F.conv2d / F.linear (used by gs.Net) to record."""

    def __init__(self, relu=None, conv=None):
        self.relu, self.conv = relu, conv

    def __enter__(self):
        if self.relu:
            F.relu = lambda x, *a, **k: (self.relu(x), REAL["relu"](x, *a, **k))[1]
        if self.conv:
            def conv(x, w, *a, **k):
                y = REAL["conv2d"](x, w, *a, **k)
                self.conv(y, int(np.prod(w.shape[1:])))
                return y

            def lin(x, w, *a, **k):
                y = REAL["linear"](x, w, *a, **k)
                self.conv(y, int(w.shape[1]))
                return y
            F.conv2d, F.linear = conv, lin
        return self

    def __exit__(self, *exc):
        for n, f in REAL.items():
            setattr(F, n, f)


def weights(net):
    return [(n, p) for n, p in net.P.items() if n.endswith(".weight") and ".bn" not in n]


def grad_proxies(P0, arch, x, y):
    acts = []

    def keep(a, fan):
        a.retain_grad()
        acts.append((a, fan))
    net = gs.Net(P0, True, True, arch)
    with Patch(conv=keep):
        logits = net.forward(x, None, True)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    ws = [(p, p.grad if p.grad is not None else torch.zeros_like(p)) for _, p in weights(net)]
    snip = sum(float((p * g).abs().sum()) for p, g in ws)
    gnorm = sum(float(g.norm()) for _, g in ws)
    fisher = 0.0
    for a, fan in acts:
        if a.grad is None:
            continue
        g = (a * a.grad).sum((2, 3)) if a.dim() == 4 else a * a.grad
        fisher += fan * float((0.5 * (g ** 2).mean(0)).sum())
    return snip, gnorm, fisher


def grasp(P0, arch, x, y, c=C):
    net = gs.Net(P0, True, True, arch, C=c)
    ws = [p for _, p in weights(net)]
    g = torch.autograd.grad(F.cross_entropy(net.forward(x, None, True), y), ws, allow_unused=True)
    gf = torch.autograd.grad(F.cross_entropy(net.forward(x, None, True), y), ws, create_graph=True,
                             allow_unused=True)
    z = sum((gi.detach() * fi).sum() for gi, fi in zip(g, gf) if gi is not None)
    if not torch.is_tensor(z) or not z.requires_grad:
        return 0.0
    hg = torch.autograd.grad(z, ws, allow_unused=True)
    return -sum(float((w.detach() * h).sum()) for w, h in zip(ws, hg) if h is not None)


def jacob_cov(P0, arch, x):
    net = gs.Net(P0, True, True, arch)
    xx = x.clone().requires_grad_(True)
    out = net.forward(xx, None, True)
    out.backward(torch.ones_like(out))
    if xx.grad is None:  # the output does not depend on the input
        return math.nan
    J = xx.grad.reshape(x.shape[0], -1).numpy()
    if np.any(J.std(axis=1) == 0):
        return math.nan
    v = np.linalg.eigvalsh(np.corrcoef(J))
    return float(-np.sum(np.log(v + 1e-5) + 1.0 / (v + 1e-5)))


def naswot(P0, arch, x):
    Km = np.zeros((x.shape[0], x.shape[0]))

    def code(inp):
        c = (inp.detach().reshape(inp.shape[0], -1) > 0).double().numpy()
        Km[:] += c @ c.T + (1 - c) @ (1 - c).T
    net = gs.Net(P0, True, True, arch)
    with Patch(relu=code):
        net.forward(x, None, True)
    sign, ld = np.linalg.slogdet(Km)
    return float(ld) if sign != 0 else math.nan


class NoBN(gs.Net):
    def bn(self, x, prefix, train):
        return x


def synflow(P0, arch):
    net = NoBN({n: p.abs() for n, p in P0.items()}, True, True, arch)
    out = net.forward(torch.ones(1, 3, S, S), None, True)
    out.sum().backward()
    return sum(float((p * p.grad).abs().sum()) for _, p in weights(net) if p.grad is not None)


def cost(arch):
    params = macs = 0
    for name, shape in gs.param_shapes(True).items():
        if name.startswith("cells."):
            e, kk = int(name.split(".")[3]), 1 if "1x1" in name else 3
            if arch[e] != (C1 if kk == 1 else C3):
                continue
        params += int(np.prod(shape))
        if name.endswith(".weight") and ".bn" not in name and len(shape) == 4:
            stage = 0 if name.startswith("stem") else (
                int(name.split(".")[1]) + 1 if name.startswith("red") else int(name.split(".")[1]) // N)
            side = S >> stage
            macs += int(np.prod(shape)) * side * side
        elif name == "head.fc.weight":
            macs += int(np.prod(shape)) + shape[0]
    return params, macs


GRASP_C, GRASP_N, GRASP_S, GRASP_B = 8, 2, 16, 16
GRASP_ARCHS = [[C3] * 6, [C3, C1, POOL, SKIP, C1, C3], [C1, POOL, SKIP, POOL, C3, C1]]


def grasp_fixture():
    """proxy_grasp.wsfx: grasp by double backward on the larger network."""
    n_saved = gs.N
    gs.N = GRASP_N  # gs.param_shapes and gs.Net.forward read the module's N
    try:
        gen = torch.Generator().manual_seed(15)
        P0 = {n: p.float().double() for n, p in gs.init_params(gen, GRASP_C).items()}
        x = torch.randn(GRASP_B, 3, GRASP_S, GRASP_S, generator=gen).float().double()
        y = torch.randint(0, K, (GRASP_B,), generator=gen)
        out = {"shape": torch.tensor([GRASP_C, GRASP_N, GRASP_S], dtype=torch.float64),
               "x_grad": x, "y_grad": y.double()}
        out.update({"p:" + n: p for n, p in P0.items()})
        for i, arch in enumerate(GRASP_ARCHS):
            v = grasp(P0, arch, x, y, GRASP_C)
            out[f"arch{i}"] = torch.tensor(arch, dtype=torch.float64)
            out[f"grasp{i}"] = torch.tensor([v])
            print("grasp", i, arch, f"{v:.9g}")
    finally:
        gs.N = n_saved
    path = os.path.join(gs.OUT, "proxy_grasp.wsfx")
    wsfx.write(path, out)
    print(path, os.path.getsize(path), "bytes")


def main():
    gen = torch.Generator().manual_seed(15)
    P0 = {n: p.float().double() for n, p in gs.init_params(gen).items()}
    xg = torch.randn(BG, 3, S, S, generator=gen).float().double()
    yg = torch.randint(0, K, (BG,), generator=gen)
    xn = torch.randn(BNW, 3, S, S, generator=gen).float().double()
    yn = torch.randint(0, K, (BNW,), generator=gen)
    out = {"x_grad": xg, "y_grad": yg.double(), "x_naswot": xn, "y_naswot": yn.double()}
    out.update({"p:" + n: p for n, p in P0.items()})
    for i, arch in enumerate(ARCHS):
        sn, gn, fi = grad_proxies(P0, arch, xg, yg)
        params, macs = cost(arch)
        s = [synflow(P0, arch), sn, gn, fi, grasp(P0, arch, xg, yg), jacob_cov(P0, arch, xg),
             naswot(P0, arch, xn), params, macs]
        out[f"arch{i}"] = torch.tensor(arch, dtype=torch.float64)
        out[f"score{i}"] = torch.tensor(s)
        print(i, arch, " ".join(f"{v:.6g}" for v in s))
    path = os.path.join(gs.OUT, "proxy.wsfx")
    wsfx.write(path, out)
    print(path, os.path.getsize(path), "bytes")
    grasp_fixture()


if __name__ == "__main__":
    main()
