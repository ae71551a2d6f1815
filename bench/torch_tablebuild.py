#!/usr/bin/python3
"""torch_tablebuild.py: the PyTorch side of bench_tablebuild: trains the same
standalone NB201 networks (tests/gen_supernet_fixtures.py's functional
network with one fixed cell: dead edges pruned, affine cell BN with running
statistics) with the same recipe: per architecture and seed, ceil(train /
batch) steps per epoch (SGD, Nesterov momentum, weight decay, cosine lr per
epoch), then eval-mode forwards over valid + test images in batches of
max(batch, 256).  Batches are random tensors of the recipe's shape made
before the clock starts (wsnas's times include its data pipeline:
augmentation and batching), so this is PyTorch's best case.

Usage: /usr/bin/python3 bench/torch_tablebuild.py --list FILE [--recipe TEXT]
       [--threads T] [--channels-last]
"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import gen_supernet_fixtures as G  # noqa: E402

FMNIST_RECIPE = ("dataset=fashion-mnist;train=2000;valid=1000;test=1000;subset_seed=1;size=16;"
                 "C=8;N=1;epochs=4;batch=64;lr=0.1;lr_min=0;momentum=0.9;nesterov=1;wd=0.0005;"
                 "augment=1;seeds=1")
CHANNELS = {"fashion-mnist": 1, "mnist": 1, "cifar10": 3}


def parse_recipe(text):
    r = dict(kv.split("=", 1) for kv in FMNIST_RECIPE.split(";"))
    for kv in text.split(";"):
        if "=" not in kv:
            sys.exit(f"torch_tablebuild: recipe item '{kv}': expected KEY=VALUE")
        k, v = kv.split("=", 1)
        if k not in r:
            sys.exit(f"torch_tablebuild: recipe: unknown key '{k}'")
        r[k] = v
    if r["dataset"] not in CHANNELS:
        sys.exit(f"torch_tablebuild: recipe dataset '{r['dataset']}'")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", required=True)
    ap.add_argument("--recipe", default=FMNIST_RECIPE)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--channels-last", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    r = parse_recipe(a.recipe)
    archs = []
    with open(a.list) as f:
        for ln, line in enumerate(f, 1):
            line = line.strip()
            if len(line) != 6 or any(c not in "01234" for c in line):
                sys.exit(f"torch_tablebuild: {a.list}:{ln}: expected six op digits 0-4")
            archs.append([int(c) for c in line])
    C, N, S, B, E = int(r["C"]), int(r["N"]), int(r["size"]), int(r["batch"]), int(r["epochs"])
    cin, K = CHANNELS[r["dataset"]], 10
    lr, lr_min = float(r["lr"]), float(r["lr_min"])
    n_train, n_eval = int(r["train"]), int(r["valid"]) + int(r["test"])
    seeds = r["seeds"].split(",")
    G.C, G.N, G.CIN, G.S, G.K, G.B = C, N, cin, S, K, B
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    gen = torch.Generator().manual_seed(1)
    steps = math.ceil(n_train / B)
    batches = [(torch.randn(min(B, n_train - s * B), cin, S, S, generator=gen).to(memory_format=fmt),
                torch.randint(0, K, (min(B, n_train - s * B),), generator=gen)) for s in range(steps)]
    eb = max(B, 256)
    evals = [torch.randn(min(eb, n_eval - i), cin, S, S, generator=gen).to(memory_format=fmt)
             for i in range(0, n_eval, eb)]

    def train_one(arch):
        net = G.Net(G.init_params(gen, C), 1, 1, arch, C=C)
        for k, p in net.P.items():
            if p.dim() == 4:
                net.P[k] = p.detach().to(memory_format=fmt).requires_grad_(True)
        params = list(net.P.values())
        opt = torch.optim.SGD(params, lr=lr, momentum=float(r["momentum"]),
                              nesterov=r["nesterov"] == "1", weight_decay=float(r["wd"]))
        for e in range(E):
            for g in opt.param_groups:
                g["lr"] = lr_min + (lr - lr_min) * (1 + math.cos(math.pi * e / E)) / 2
            for x, y in batches:
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(net.forward(x, None, True), y).backward()
                opt.step()
        with torch.no_grad():
            for x in evals:
                net.forward(x, None, False).argmax(1)

    t0 = time.perf_counter()
    for arch in archs:
        for _ in seeds:
            train_one(arch)
    dt = (time.perf_counter() - t0) / len(archs)
    print(f"torch {torch.__version__}: {torch.get_num_threads()} thread(s), "
          f"{'channels_last' if a.channels_last else 'contiguous'}, recipe {a.recipe}")
    print(f"tablebuild {len(archs)} classes  {dt:.3f} s per architecture ({len(seeds)} seed(s))  "
          f"{3600 / dt:.0f} architectures per hour", flush=True)


if __name__ == "__main__":
    main()
