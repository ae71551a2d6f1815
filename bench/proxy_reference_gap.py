#!/usr/bin/python3
"""proxy_reference_gap.py: measures where wsnas's synflow / snip / grad_norm
correlations differ from Abdelfattah et al.'s released figures (zero-cost-nas,
nasbench2_pred.py + notebooks/nasbench201_correlations.ipynb).  Not run in CI.

It scores a random sample of NB201 architectures (every architecture on its
own, as the reference does) with the reference protocol, written here from
its description (PyTorch, CPU):
  * network: NB201 C=16 N=5; cell convs ReLU-conv(bias)-BN(non-affine, batch
    statistics), the reduction blocks' convs ReLU-conv-BN(affine), stem
    conv-BN, head BN-ReLU-GAP-linear; PyTorch's default initialisation, drawn
    afresh for every architecture from one torch.manual_seed;
  * data: for every architecture the next shuffled batch of 64 images of the
    full 50,000-image CIFAR-10 training set, random crop (pad 4) and
    horizontal flip, mean/std normalisation;
  * snip, grad_norm: one cross-entropy backward in train mode (snip = sum
    |w dL/dw| over conv and linear weights, grad_norm = sum of their
    gradients' L2 norms);
  * synflow: every parameter replaced by |p|, double, one all-ones image,
    R = sum of logits, sum |w dR/dw| over conv and linear weights, on the
    reference's "bn=False" copy, which drops the BN of the stem, the cells and
    the head but (its reduction blocks are built with BN whatever use_bn says)
    keeps the reduction blocks' BN in train mode, and keeps the cells' conv
    biases.  Variants switch those two off one at a time: synflow_nored
    (reduction BN bypassed too), synflow_nobias (cell conv biases zero),
    synflow_wsnas (both: wsnas's definition, every BN bypassed, no bias).

At initialisation the cells' conv bias is cancelled by the following
train-mode BN and a BN with gamma 1, beta 0 equals a non-affine one, so for
snip and grad_norm the reference's network and wsnas's (no bias, affine BN)
compute the same function; only the weights, the batch and the truth differ.

Writes a CSV (index, synflow, synflow_nored, synflow_nobias, synflow_wsnas,
snip, grad_norm).  Then `--corr CSV` prints the Spearman rho of every column
against CIFAR-10 test accuracy (nb201_merged.csv's nb201_c10_test: the v1.1
cifar10 run, wsnas's table) and against the reference's truth (NB201 v1.0
cifar10-valid's test accuracy; nats_c10valid_oritest), and, with --proxies
H5, wsnas's own scores over the same architectures.

`--space H5` prints rho and tau-b of every proxy of a wsnas proxy table over
all its scored rows against both truths.

Run: /usr/bin/python3 bench/proxy_reference_gap.py --n 600 --seed 42 -o OUT.csv
     /usr/bin/python3 bench/proxy_reference_gap.py --corr OUT.csv --proxies bench/nb201-cifar10-proxies.h5
     /usr/bin/python3 bench/proxy_reference_gap.py --space bench/nb201-cifar10-proxies.h5
"""
import argparse
import csv
import os
import sys

import numpy as np

SHARED = os.environ.get("WSNAS_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def parse_arch(s):
    """'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' -> {(src, dst): op}"""
    edges = {}
    for dst, node in enumerate(s.split("+"), start=1):
        for tok in node.strip("|").split("|"):
            op, src = tok.split("~")
            edges[(int(src), dst)] = op
    return edges


def load_merged():
    rows = {}
    with open(os.path.join(SHARED, "nb201", "nb201_merged.csv")) as f:
        for r in csv.DictReader(f):
            rows[int(r["index"])] = r
    return rows


def load_cifar_train():
    xs, ys = [], []
    for k in range(1, 6):
        raw = np.fromfile(os.path.join(SHARED, "cifar10", f"data_batch_{k}.bin"), dtype=np.uint8)
        raw = raw.reshape(-1, 3073)
        ys.append(raw[:, 0].astype(np.int64))
        xs.append(raw[:, 1:].reshape(-1, 3, 32, 32))
    return np.concatenate(xs), np.concatenate(ys)


class Batches:
    """Shuffled batches of the 50k training images, crop (pad 4) + flip."""

    def __init__(self, x, y, n, rng):
        self.x, self.y, self.n, self.rng = x, y, n, rng
        self.mean = np.array([0.4914, 0.4822, 0.4465], np.float32).reshape(1, 3, 1, 1)
        self.std = np.array([0.2023, 0.1994, 0.2010], np.float32).reshape(1, 3, 1, 1)
        self.order, self.at = rng.permutation(len(y)), 0

    def next(self):
        if self.at + self.n > len(self.order):
            self.order, self.at = self.rng.permutation(len(self.y)), 0
        idx = self.order[self.at:self.at + self.n]
        self.at += self.n
        img = self.x[idx].astype(np.float32) / 255.0
        pad = np.pad(img, ((0, 0), (0, 0), (4, 4), (4, 4)))
        out = np.empty_like(img)
        for i in range(self.n):
            oy, ox = self.rng.integers(0, 9, 2)
            c = pad[i, :, oy:oy + 32, ox:ox + 32]
            out[i] = c[:, :, ::-1] if self.rng.random() < 0.5 else c
        return (out - self.mean) / self.std, self.y[idx]


def build(torch, arch, C=16, N=5, classes=10):
    """The reference's NB201 network as plain modules; returns (net, flags)."""
    nn = torch.nn
    edges = parse_arch(arch)

    class Flags:
        bn_cells = True   # cells' and stem/head BN (off in synflow's copy)
        bn_red = True     # reduction blocks' BN
        bias = True       # cells' conv biases

    fl = Flags()

    def bn_apply(bn, x, on):
        return bn(x) if on else x

    class ConvOp(nn.Module):
        def __init__(self, c, k):
            super().__init__()
            self.conv = nn.Conv2d(c, c, k, padding=k // 2, bias=True)
            self.bn = nn.BatchNorm2d(c, affine=False, track_running_stats=False)

        def forward(self, x):
            y = nn.functional.conv2d(torch.relu(x), self.conv.weight,
                                     self.conv.bias if fl.bias else None, padding=self.conv.padding)
            return bn_apply(self.bn, y, fl.bn_cells)

    class Cell(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.ops = nn.ModuleDict()
            for (s, d), op in edges.items():
                if op in ("nor_conv_1x1", "nor_conv_3x3"):
                    self.ops[f"{s}{d}"] = ConvOp(c, 1 if op == "nor_conv_1x1" else 3)

        def forward(self, x):
            nodes = [x]
            for d in range(1, 4):
                acc = None
                for s in range(d):
                    op = edges[(s, d)]
                    if op == "none":
                        v = nodes[s] * 0.0
                    elif op == "skip_connect":
                        v = nodes[s]
                    elif op == "avg_pool_3x3":
                        v = nn.functional.avg_pool2d(nodes[s], 3, 1, 1, count_include_pad=False)
                    else:
                        v = self.ops[f"{s}{d}"](nodes[s])
                    acc = v if acc is None else acc + v
                nodes.append(acc)
            return nodes[3]

    class Red(nn.Module):
        def __init__(self, ci, co):
            super().__init__()
            self.a = nn.Conv2d(ci, co, 3, stride=2, padding=1, bias=False)
            self.abn = nn.BatchNorm2d(co)
            self.b = nn.Conv2d(co, co, 3, padding=1, bias=False)
            self.bbn = nn.BatchNorm2d(co)
            self.sc = nn.Conv2d(ci, co, 1, bias=False)

        def forward(self, x):
            y = bn_apply(self.abn, self.a(torch.relu(x)), fl.bn_red)
            y = bn_apply(self.bbn, self.b(torch.relu(y)), fl.bn_red)
            return y + self.sc(nn.functional.avg_pool2d(x, 2, 2))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, C, 3, padding=1, bias=False)
            self.stem_bn = nn.BatchNorm2d(C)
            layers = []
            for st in range(3):
                if st:
                    layers.append(Red(C << (st - 1), C << st))
                layers += [Cell(C << st) for _ in range(N)]
            self.body = nn.Sequential(*layers)
            self.head_bn = nn.BatchNorm2d(4 * C)
            self.fc = nn.Linear(4 * C, classes)

        def forward(self, x):
            x = self.body(bn_apply(self.stem_bn, self.stem(x), fl.bn_cells))
            x = torch.relu(bn_apply(self.head_bn, x, fl.bn_cells))
            return self.fc(x.mean((2, 3)))

    net = Net()
    net.train()
    return net, fl


def weights(torch, net):
    return [m.weight for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]


def grad_scores(torch, net, x, y):
    net.zero_grad()
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    snip = sum(float((w * w.grad).abs().sum()) for w in weights(torch, net) if w.grad is not None)
    gn = sum(float(w.grad.norm()) for w in weights(torch, net) if w.grad is not None)
    return snip, gn


def synflow(torch, net, fl, bn_red, bias):
    import copy
    n = copy.deepcopy(net).double()
    with torch.no_grad():
        for p in n.parameters():
            p.abs_()
    fl.bn_cells, fl.bn_red, fl.bias = False, bn_red, bias  # the copy's forward reads fl too
    n.zero_grad()
    n(torch.ones(1, 3, 32, 32, dtype=torch.float64)).sum().backward()
    s = sum(float((w * w.grad).abs().sum()) for w in weights(torch, n) if w.grad is not None)
    fl.bn_cells, fl.bn_red, fl.bias = True, True, True
    return s


def score(args):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rows = load_merged()
    rng = np.random.default_rng(args.seed)
    sample = sorted(rng.choice(15625, args.n, replace=False).tolist())
    x, y = load_cifar_train()
    batches = Batches(x, y, 64, rng)
    done = set()
    if os.path.exists(args.o):
        with open(args.o) as f:
            done = {int(r["index"]) for r in csv.DictReader(f)}
    new = not done
    with open(args.o, "a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["index", "synflow", "synflow_nored", "synflow_nobias", "synflow_wsnas",
                        "snip", "grad_norm"])
        for k, i in enumerate(sample):
            net, fl = build(torch, rows[i]["arch_str"])  # draws weights every time (RNG order)
            bx, by = batches.next()
            if i in done:
                continue
            sf = [synflow(torch, net, fl, bn_red, bias)
                  for bn_red, bias in ((True, True), (False, True), (True, False), (False, False))]
            sn, gn = grad_scores(torch, net, torch.from_numpy(bx), torch.from_numpy(by))
            w.writerow([i] + [repr(v) for v in sf] + [repr(sn), repr(gn)])
            f.flush()
            if (k + 1) % 50 == 0:
                print(f"{k + 1}/{len(sample)}", file=sys.stderr, flush=True)


def corr(args):
    from scipy import stats
    rows = load_merged()
    with open(args.corr) as f:
        data = list(csv.DictReader(f))
    idx = np.array([int(r["index"]) for r in data])
    truths = {"C10 test (v1.1 cifar10)": "nb201_c10_test",
              "C10-valid ori-test (reference's)": "nats_c10valid_oritest"}
    cols = [c for c in data[0] if c != "index"]
    table = {c: np.array([float(r[c]) for r in data]) for c in cols}
    if args.proxies:
        import h5py
        b = h5py.File(args.proxies, "r")["benchmarks/cifar10-proxies"]
        for p in ("synflow", "snip", "grad_norm"):
            table["wsnas " + p] = b[p][:][idx]
    keep = np.all([np.isfinite(v) for v in table.values()], axis=0)  # the same rows for all
    print(f"{keep.sum()} of {len(idx)} architectures of the sample (--seed {args.seed}) "
          f"scored by every column; Spearman rho against:")
    print(f"{'score':<22}" + "".join(f"{t:>34}" for t in truths))
    for c, v in table.items():
        line = f"{c:<22}"
        for col in truths.values():
            acc = np.array([float(rows[i][col]) for i in idx])
            line += f"{stats.spearmanr(v[keep], acc[keep]).correlation:>34.4f}"
        print(line)
    if args.proxies:
        print("Spearman rho between the reference protocol's scores and wsnas's:")
        for p in ("synflow", "snip", "grad_norm"):
            r = stats.spearmanr(table[p][keep], table["wsnas " + p][keep]).correlation
            print(f"{p:<22}{r:>34.4f}")


def space(args):
    """Every proxy of a wsnas proxy table over all scored rows against both truths."""
    import h5py
    from scipy import stats
    rows = load_merged()
    truth = {k: np.array([float(rows[i][c]) for i in range(15625)])
             for k, c in (("C10 test", "nb201_c10_test"), ("C10-valid ori-test", "nats_c10valid_oritest"))}
    print(f"{'benchmark/proxy':<28}" + "".join(f"{t + ' rho':>24}{'tau-b':>8}{'n':>7}" for t in truth))
    b = h5py.File(args.space, "r")["benchmarks"]
    for bench in sorted(b):
        for p in sorted(b[bench]):
            if p == "filled":
                continue
            v = b[bench][p][:].astype(float)
            line = f"{bench + '/' + p:<28}"
            for acc in truth.values():
                k = np.isfinite(v) & np.isfinite(acc)
                rho = stats.spearmanr(v[k], acc[k]).correlation
                tau = stats.kendalltau(v[k], acc[k]).correlation  # tau-b
                line += f"{rho:>24.4f}{tau:>8.4f}{k.sum():>7}"
            print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("-o", default="proxy_reference_gap.csv")
    ap.add_argument("--corr")
    ap.add_argument("--proxies")
    ap.add_argument("--space", metavar="H5", help="a wsnas proxy table: all its rows, both truths")
    args = ap.parse_args()
    space(args) if args.space else corr(args) if args.corr else score(args)


if __name__ == "__main__":
    main()
