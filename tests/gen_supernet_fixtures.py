#!/usr/bin/python3
"""gen_supernet_fixtures.py: PyTorch reference for the whole NB201 network of
src/supernet/ (methods.md 1), written as WSFX fixtures (tests/wsfx.py) read
by tests/test_supernet.c.

A small network (C=4, N=1, 3x8x8 input, 10 classes, batch 4) is written out
functionally with the parameter names of include/wsnas/supernet.h.  One file
holds the deterministic initial weights (supernet_init.wsfx: "x", "labels" and
"p:<name>" for every parameter of the supernet including affine cell BN).
Each mode file holds the loss, the logits, every weight gradient "g:<name>",
the running statistics after the forward "b:<name>", the architecture
gradients "dw" (6x5) and "dscale" (6) where they exist, and for the FULL mode
also the parameters after clip + one Nesterov SGD step "s:<name>" and the
architecture weights after one Adam step "adam_w".  Files that carry their own
"x", "labels" and "p:<name>" (partial channels, and supernet_c8s16.wsfx: C=8
on 16x16 inputs, whose 3x3 convolutions take the Winograd path) also give
"C" and "S" or "pc_k" for the network's shape.  Eval-mode logits after the
step check the running-statistics path.

Run: /usr/bin/python3 tests/gen_supernet_fixtures.py (writes tests/fixtures/).
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsfx  # noqa: E402

torch.set_default_dtype(torch.float32)
torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
C, N, CIN, S, K, B = 4, 1, 3, 8, 10, 4
EDGE_SRC = [0, 0, 1, 0, 1, 2]
EDGE_DST = [1, 2, 2, 3, 3, 3]
NONE, SKIP, C1, C3, POOL = range(5)


def param_shapes(cell_bn_affine, C=C, pc=1):
    sh = {"stem.conv.weight": (C, CIN, 3, 3), "stem.bn.weight": (C,), "stem.bn.bias": (C,)}
    k = 0
    for stage in range(3):
        cs = C << stage
        if stage > 0:
            r, cin = stage - 1, cs // 2
            sh[f"red.{r}.conv_a.weight"] = (cs, cin, 3, 3)
            sh[f"red.{r}.bn_a.weight"] = (cs,)
            sh[f"red.{r}.bn_a.bias"] = (cs,)
            sh[f"red.{r}.conv_b.weight"] = (cs, cs, 3, 3)
            sh[f"red.{r}.bn_b.weight"] = (cs,)
            sh[f"red.{r}.bn_b.bias"] = (cs,)
            sh[f"red.{r}.shortcut.weight"] = (cs, cin, 1, 1)
        for _ in range(N):
            for e in range(6):
                for kk in (1, 3):
                    cc = cs // pc
                    sh[f"cells.{k}.edges.{e}.conv{kk}x{kk}.weight"] = (cc, cc, kk, kk)
                    if cell_bn_affine:
                        sh[f"cells.{k}.edges.{e}.bn{kk}x{kk}.weight"] = (cc,)
                        sh[f"cells.{k}.edges.{e}.bn{kk}x{kk}.bias"] = (cc,)
            k += 1
    sh["head.bn.weight"] = (4 * C,)
    sh["head.bn.bias"] = (4 * C,)
    sh["head.fc.weight"] = (K, 4 * C)
    sh["head.fc.bias"] = (K,)
    return sh


def init_params(gen, C=C, pc=1):
    P = {}
    for name, shape in param_shapes(True, C, pc).items():
        if ".bn" in name:
            base = 1.0 if name.endswith(".weight") else 0.0
            P[name] = base + 0.2 * torch.randn(shape, generator=gen)
        else:
            fan_in = 4 * C if name == "head.fc.bias" else int(torch.tensor(shape[1:]).prod())
            bound = 1.0 / fan_in ** 0.5
            P[name] = (torch.rand(shape, generator=gen) * 2 - 1) * bound
    return P


def live_edges(arch):
    from0 = [True, False, False, False]
    to3 = [False, False, False, True]
    for e in range(6):
        if arch[e] != NONE and from0[EDGE_SRC[e]]:
            from0[EDGE_DST[e]] = True
    for e in reversed(range(6)):
        if arch[e] != NONE and to3[EDGE_DST[e]]:
            to3[EDGE_SRC[e]] = True
    return [arch[e] != NONE and from0[EDGE_SRC[e]] and to3[EDGE_DST[e]] for e in range(6)]


class Pcg32:
    """O'Neill's pcg32 (XSH-RR), seeded as pcg32_srandom_r: src/core/rng.c."""
    M = (1 << 64) - 1

    def __init__(self, initstate, initseq):
        self.state, self.inc = 0, ((initseq << 1) | 1) & self.M
        self.next()
        self.state = (self.state + initstate) & self.M
        self.next()

    def next(self):
        old = self.state
        self.state = (old * 6364136223846793005 + self.inc) & self.M
        xs = (((old >> 18) ^ old) >> 27) & 0xFFFFFFFF
        rot = old >> 59
        return ((xs >> rot) | (xs << ((-rot) & 31))) & 0xFFFFFFFF

    def bounded(self, bound):
        threshold = ((1 << 32) - bound) % bound
        while True:
            r = self.next()
            if r >= threshold:
                return r % bound


class Net:
    def __init__(self, P0, cell_bn_affine, cell_bn_track, standalone=None, C=C, pc=1,
                 pc_seed=None):
        self.affine, self.track, self.arch = cell_bn_affine, cell_bn_track, standalone
        self.C, self.pc, self.pc_seed = C, pc, pc_seed
        self.live = live_edges(standalone) if standalone else [True] * 6
        self.P = {}
        for name in param_shapes(cell_bn_affine, C, pc):
            if standalone and name.startswith("cells."):
                e = int(name.split(".")[3])
                kk = 1 if "1x1" in name else 3
                if not (self.live[e] and standalone[e] == (C1 if kk == 1 else C3)):
                    continue
            self.P[name] = P0[name].clone().requires_grad_(True)
        self.R = {}
        for name in self.P:
            if name.endswith(".bn.weight") or ".bn_" in name and name.endswith(".weight") or (
                    ".bn1x1.weight" in name or ".bn3x3.weight" in name):
                pass
        # buffers: stem/red/head always; cell BN when tracked
        def add_bn(prefix, c):
            self.R[prefix + ".running_mean"] = torch.zeros(c)
            self.R[prefix + ".running_var"] = torch.ones(c)
        add_bn("stem.bn", C)
        k = 0
        for stage in range(3):
            cs = C << stage
            if stage > 0:
                add_bn(f"red.{stage-1}.bn_a", cs)
                add_bn(f"red.{stage-1}.bn_b", cs)
            for _ in range(N):
                for e in range(6):
                    for kk in (1, 3):
                        if self.track and f"cells.{k}.edges.{e}.conv{kk}x{kk}.weight" in self.P:
                            add_bn(f"cells.{k}.edges.{e}.bn{kk}x{kk}", cs // pc)
                k += 1
        add_bn("head.bn", 4 * C)

    def bn(self, x, prefix, train):
        rm = self.R.get(prefix + ".running_mean")
        rv = self.R.get(prefix + ".running_var")
        use_batch = train or rm is None
        return F.batch_norm(x, rm if train or not use_batch else None,
                            rv if train or not use_batch else None,
                            self.P.get(prefix + ".weight"), self.P.get(prefix + ".bias"),
                            training=use_batch, momentum=0.1, eps=1e-5)

    def op(self, k, e, o, x, train):
        if o == NONE:
            return x.mul(0.0)
        if o == SKIP:
            return x
        if o == POOL:
            return F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
        kk = 1 if o == C1 else 3
        y = F.conv2d(F.relu(x), self.P[f"cells.{k}.edges.{e}.conv{kk}x{kk}.weight"], None, 1, kk // 2)
        return self.bn(y, f"cells.{k}.edges.{e}.bn{kk}x{kk}", train)

    def cell(self, k, x, mix, train):
        nodes = [x]
        for i in (1, 2, 3):
            s = 0
            for e in range(6):
                if EDGE_DST[e] != i:
                    continue
                xj = nodes[EDGE_SRC[e]]
                if self.arch is not None:
                    if self.live[e]:
                        s = s + self.op(k, e, self.arch[e], xj, train)
                    continue
                mode = mix["mode"]
                if self.pc > 1:
                    s = s + mix["scale"][e] * self.pc_edge(k, e, xj, mix, train)
                elif mode == "single":
                    s = s + self.op(k, e, mix["sel"][e], xj, train)
                elif mode == "full":
                    t = sum(mix["w"][e, o] * self.op(k, e, o, xj, train) for o in range(1, 5))
                    s = s + mix["scale"][e] * t
                else:  # hard_st
                    kk = mix["sel"][e]
                    t = sum(mix["w"][e, o] * self.op(k, e, o, xj, train) if o == kk
                            else mix["w"][e, o] for o in range(5))
                    s = s + mix["scale"][e] * t
            if not torch.is_tensor(s):
                s = torch.zeros_like(x)
            nodes.append(s)
        return nodes[3]

    def pc_sel(self, k, e, cs, cp):
        if self.pc_seed is None:  # the PC-DARTS code: the first C/K channels
            return list(range(cp))
        r = Pcg32(self.pc_seed, k * 6 + e)
        pos = list(range(cs))
        for i in range(cp):
            j = i + r.bounded(cs - i)
            pos[i], pos[j] = pos[j], pos[i]
        return sorted(pos[:cp])

    def pc_edge(self, k, e, xj, mix, train):
        # PC-DARTS MixedOp: the ops on the selected channels, the rest bypass;
        # the code's form shuffles channels (groups = K) afterwards
        cs = xj.shape[1]
        cp = cs // self.pc
        sel = self.pc_sel(k, e, cs, cp)
        rest = [c for c in range(cs) if c not in sel]
        xs = xj[:, sel]
        t = sum(mix["w"][e, o] * self.op(k, e, o, xs, train) for o in range(1, 5))
        cat = torch.cat([t, xj[:, rest]], dim=1)
        order = torch.tensor(sel + rest)
        ans = cat[:, torch.argsort(order)]
        if self.pc_seed is None:
            b, _, h, w = ans.shape
            ans = ans.view(b, self.pc, cp, h, w).transpose(1, 2).contiguous().view(b, cs, h, w)
        return ans

    def forward(self, x, mix, train):
        h = self.bn(F.conv2d(x, self.P["stem.conv.weight"], None, 1, 1), "stem.bn", train)
        k = 0
        for stage in range(3):
            if stage > 0:
                r = stage - 1
                a = self.bn(F.conv2d(F.relu(h), self.P[f"red.{r}.conv_a.weight"], None, 2, 1),
                            f"red.{r}.bn_a", train)
                b = self.bn(F.conv2d(F.relu(a), self.P[f"red.{r}.conv_b.weight"], None, 1, 1),
                            f"red.{r}.bn_b", train)
                sc = F.conv2d(F.avg_pool2d(h, 2, 2, 0), self.P[f"red.{r}.shortcut.weight"])
                h = b + sc
            for _ in range(N):
                h = self.cell(k, h, mix, train)
                k += 1
        h = F.relu(self.bn(h, "head.bn", train))
        h = F.adaptive_avg_pool2d(h, 1).flatten(1)
        return F.linear(h, self.P["head.fc.weight"], self.P["head.fc.bias"])


def run(tag, P0, x, y, cell_bn_affine, cell_bn_track, mix=None, standalone=None, step=False,
        extra=None, **netkw):
    net = Net(P0, cell_bn_affine, cell_bn_track, standalone, **netkw)
    logits = net.forward(x, mix, True)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    out = {"loss": loss.detach(), "logits": logits.detach()}
    for n, p in net.P.items():
        out["g:" + n] = p.grad.clone() if p.grad is not None else torch.zeros_like(p)
    for n, r in net.R.items():
        out["b:" + n] = r.clone()
    if mix is not None and mix["mode"] != "single":
        out["dw"] = mix["w"].grad
        out["dscale"] = mix["scale"].grad
    if mix is not None:
        out["mix_w"] = mix["w"].detach()
        out["mix_scale"] = mix["scale"].detach()
        out["mix_sel"] = torch.tensor(mix["sel"], dtype=torch.float64)
    if standalone is not None:
        out["arch"] = torch.tensor(standalone, dtype=torch.float64)
    if step:
        params = list(net.P.values())
        norm = torch.nn.utils.clip_grad_norm_(params, 0.05)
        out["clip_norm"] = norm.detach()
        opt = torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
        opt.step()
        for n, p in net.P.items():
            out["s:" + n] = p.detach()
        if mix is not None and mix["mode"] != "single":
            a = mix["w"].detach().clone().requires_grad_(True)
            a.grad = mix["w"].grad.clone()
            aopt = torch.optim.Adam([a], lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
            aopt.step()
            a.grad = mix["w"].grad.clone() * 0.5
            aopt.step()
            out["adam_w"] = a.detach()
        with torch.no_grad():
            out["eval_logits"] = net.forward(x, mix, False)
    if extra:
        out.update(extra)
    path = os.path.join(OUT, f"supernet_{tag}.wsfx")
    wsfx.write(path, out)
    print(path, os.path.getsize(path), "bytes, loss", float(loss))


def main():
    gen = torch.Generator().manual_seed(20261128)
    P0 = init_params(gen)
    x = torch.randn(B, CIN, S, S, generator=gen)
    y = torch.randint(0, K, (B,), generator=gen)
    init = {"x": x, "labels": y.double()}
    for n, p in P0.items():
        init["p:" + n] = p
    wsfx.write(os.path.join(OUT, "supernet_init.wsfx"), init)

    def leaf(t):
        return t.detach().clone().requires_grad_(True)

    alpha = 1e-1 * torch.randn(6, 5, generator=gen)
    scale = leaf(1.0 + 0.3 * torch.rand(6, generator=gen))
    w_full = leaf(F.softmax(alpha * 10, dim=1))
    run("full", P0, x, y, 0, 1, {"mode": "full", "w": w_full, "scale": scale, "sel": [1] * 6},
        step=True)
    run("single", P0, x, y, 0, 0, {"mode": "single", "w": leaf(torch.zeros(6, 5)),
                                   "scale": leaf(torch.ones(6)), "sel": [3, 1, 4, 2, 0, 3]},
        step=True)
    # GDAS: h = onehot(k) - p.detach() + p, numerically one-hot
    g = -torch.log(torch.empty(6, 5).exponential_(generator=gen))
    p = F.softmax((F.log_softmax(alpha, dim=1) + g) / 1.0, dim=1)
    kk = p.argmax(dim=1)
    h = F.one_hot(kk, 5).float() - p + p
    run("hardst", P0, x, y, 0, 1, {"mode": "hard_st", "w": leaf(h),
                                   "scale": leaf(torch.ones(6)), "sel": kk.tolist()})
    run("standalone", P0, x, y, 1, 1, standalone=[0, 3, 2, 1, 4, 2], step=True)

    # partial channels (PC-DARTS), C = 8: the code's form (first C/4 channels,
    # channel shuffle) with K = 4, and the paper's random form with K = 2
    r42 = Pcg32(42, 54)  # the reference vectors of tests/test_rng.c
    assert [r42.next() for _ in range(3)] == [0xa15c02b7, 0x7b47f409, 0xba1d3330]
    CPC = 8
    for tag, pc, seed in (("pc_shuffle", 4, None), ("pc_random", 2, 987654321)):
        Ppc = init_params(gen, CPC, pc)
        xp = torch.randn(B, CIN, S, S, generator=gen)
        yp = torch.randint(0, K, (B,), generator=gen)
        extra = {"x": xp, "labels": yp.double(),
                 "pc_k": torch.tensor([pc], dtype=torch.float64),
                 "pc_seed": torch.tensor([seed or 0], dtype=torch.float64)}  # exact
        for n, p_ in Ppc.items():
            extra["p:" + n] = p_
        a = 1e-1 * torch.randn(6, 5, generator=gen)
        mix = {"mode": "full", "w": leaf(F.softmax(a * 10, dim=1)),
               "scale": leaf(0.5 + torch.rand(6, generator=gen)), "sel": [1] * 6}
        run(tag, Ppc, xp, yp, 0, 1 if seed is None else 0, mix, step=True, extra=extra, C=CPC,
            pc=pc, pc_seed=seed)

    # C = 8 on a 16x16 input: the 3x3 convolutions of stages 1 and 2 (8 and 16
    # channels, 16- and 8-wide planes) take the Winograd path of src/nn
    CW, SW = 8, 16
    Pw = init_params(gen, CW)
    xw = torch.randn(B, CIN, SW, SW, generator=gen)
    yw = torch.randint(0, K, (B,), generator=gen)
    extra = {"x": xw, "labels": yw.double(), "C": torch.tensor([CW], dtype=torch.float64),
             "S": torch.tensor([SW], dtype=torch.float64)}
    for n, p_ in Pw.items():
        extra["p:" + n] = p_
    a = 1e-1 * torch.randn(6, 5, generator=gen)
    mix = {"mode": "full", "w": leaf(F.softmax(a * 10, dim=1)),
           "scale": leaf(0.5 + torch.rand(6, generator=gen)), "sel": [1] * 6}
    run("c8s16", Pw, xw, yw, 0, 1, mix, step=True, extra=extra, C=CW)


if __name__ == "__main__":
    main()
