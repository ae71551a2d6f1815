#!/usr/bin/env python3
"""make_nb201_api_fixture.py: writes small benchmark files in the official
NATS-Bench / NAS-Bench-201 structure, and the values the API would return for
them, for the converter test in tests/test_table.c (run there; nothing is
committed).

  make_nb201_api_fixture.py OUT --format nats   OUT/NATS-tss-v1_0-3ffb9-simple/
        meta.pickle.pbz2 + <index:06d>.pickle.pbz2 (bz2 pickles, protocol 4)
  make_nb201_api_fixture.py OUT --format nats-file   OUT/NATS-tss-v1_0-3ffb9.pickle.pbz2
        (the same data as one benchmark file, as the API's fast_mode=False reads)
  make_nb201_api_fixture.py OUT --format pth    OUT/NAS-Bench-201-v1_1-096897.pth
        (torch.save; needs python3-torch)
  make_nb201_api_fixture.py OUT --format evil   OUT/evil/ : a NATS directory
        whose arch 0 pickle names os.system (the converter must refuse it)

Both write OUT/expected.csv: bench,metric,index,value ("nan" = absent) for the
fixture architectures (every other value of theirs must be NaN), computed here from the per-trial lists generated
(mean over the trials in dataset_seed order, sums over epochs in order), i.e.
what get_more_info(i, ds, hp, is_random=False) / get_cost_info return.

The structure (what the official readers expect) is that of ArchResults /
ResultsCount state dicts, as NATS-Bench's nats_bench/api_utils.py and
NAS-Bench-201's nas_201_api/api_utils.py read them.
"""
import argparse
import bz2
import collections
import itertools
import os
import pickle
import random
import struct
import sys
import types

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
DATASETS = ["cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"]
EVAL_SETS = {"cifar10-valid": ["x-valid", "ori-test"], "cifar10": ["ori-test"],
             "cifar100": ["ori-test", "x-valid", "x-test"],
             "ImageNet16-120": ["ori-test", "x-valid", "x-test"]}
# prefix -> set, per dataset (get_more_info)
PREFIX_SET = {"cifar10-valid": {"valid": "x-valid", "test": "ori-test"},
              "cifar10": {"test": "ori-test"},
              "cifar100": {"valid": "x-valid", "test": "x-test", "valtest": "ori-test"},
              "ImageNet16-120": {"valid": "x-valid", "test": "x-test", "valtest": "ori-test"}}


def canonical_archs():
    """The official enumeration: edges 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 (last
    fastest), then random.seed(88); random.shuffle."""
    archs = []
    for o in itertools.product(OPS, repeat=6):
        archs.append("|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|" % o)
    random.seed(88)
    random.shuffle(archs)
    assert archs[0] == ("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|"
                        "skip_connect~1|skip_connect~2|")
    assert archs[9] == "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
    return archs


# ---- numpy float64 scalars as the official pickles hold them -------------------
def numpy_float64():
    """Returns f(x) -> an object pickled as numpy.core.multiarray.scalar(dtype('f8'), bytes):
    numpy's own float64 when numpy is importable, else stand-ins registered under
    numpy's names (same pickle opcodes)."""
    try:
        import numpy
        return numpy.float64
    except ImportError:
        pass
    np_mod = types.ModuleType("numpy")
    core = types.ModuleType("numpy.core")
    multi = types.ModuleType("numpy.core.multiarray")

    class dtype:  # noqa: N801 (numpy's name)
        def __init__(self, *a):
            pass

        def __reduce__(self):
            return (dtype, ("f8", False, True), (3, "<", None, None, None, -1, -1, 0))

        def __setstate__(self, s):
            pass

    def scalar(dt, raw):
        return struct.unpack("<d", raw)[0]

    dtype.__module__, dtype.__qualname__ = "numpy", "dtype"
    scalar.__module__, scalar.__qualname__ = "numpy.core.multiarray", "scalar"
    np_mod.dtype, np_mod.core, core.multiarray, multi.scalar = dtype, core, multi, scalar
    sys.modules.update({"numpy": np_mod, "numpy.core": core, "numpy.core.multiarray": multi})

    class F64(float):
        def __reduce__(self):
            return (scalar, (dtype(), struct.pack("<d", float(self))))

    return F64


# ---- the fixture architectures ---------------------------------------------------
# index -> {hp: {dataset: [seeds]}} and special cases
PLAN = {
    0: {"12": {"cifar10-valid": [111, 777], "cifar10": [111], "cifar100": [111],
               "ImageNet16-120": [111]},
        "200": {d: [777, 888, 999] for d in DATASETS}},
    6111: {"12": {"cifar10-valid": [777], "cifar10": [111], "cifar100": [111],
                  "ImageNet16-120": [111]},
           "200": {"cifar10-valid": [777, 888], "cifar10": [777], "cifar100": [999, 777],
                   "ImageNet16-120": [888, 999]}},
    15624: {"12": {"cifar10-valid": [111, 777], "cifar10": [111], "cifar100": [111],
                   "ImageNet16-120": [111]},
            "200": {d: [777, 888, 999] for d in DATASETS}},
    1: {"200": {d: [888] for d in DATASETS}},  # no hp 12 at all
}
NO_ORI_TEST = (6111, "12", "cifar10-valid")  # cifar10-valid evaluated on x-valid only
NO_TRAIN_TIMES = (15624, "200", "cifar100")  # train_times None
NO_LATENCY = (15624, "12", "ImageNet16-120")  # latency None in every trial
FLOPS_DISAGREE = (15624, "200", "cifar10")  # trials disagree: NATS keeps seed 888's


def trial(rng, index, hp, ds, seed, arch, f64):
    E = int(hp)
    key = (index, hp, ds)
    names = list(EVAL_SETS[ds])
    if key == NO_ORI_TEST:
        names.remove("ori-test")
    acc = lambda: rng.uniform(10, 95)  # noqa: E731
    loss = lambda: rng.uniform(0.1, 2.5)  # noqa: E731
    t = {"train": [rng.uniform(1, 30) for _ in range(E)]}
    tr_acc = [acc() for _ in range(E)]
    tr_loss = [loss() for _ in range(E)]
    ev = {n: ([acc() for _ in range(E)], [loss() for _ in range(E)],
              [rng.uniform(0.5, 5) for _ in range(E)]) for n in names}
    flop = 15.64737 + (0.5 * (seed == 888) if key == FLOPS_DISAGREE else 0.0) + index * 1e-3
    params = 0.129306 + index * 1e-4
    latency = None if key == NO_LATENCY else [rng.uniform(0.005, 0.03)]
    rc = {
        "name": ds, "train_acc1es": dict(enumerate(tr_acc)), "train_acc5es": None,
        "train_losses": dict(enumerate(tr_loss)),
        "train_times": None if key == NO_TRAIN_TIMES else collections.OrderedDict(
            enumerate(t["train"])),
        "arch_config": {"channel": 16, "num_cells": 5, "arch_str": arch,
                        "class_num": {"cifar100": 100, "ImageNet16-120": 120}.get(ds, 10)},
        "params": f64(params), "flop": flop, "seed": "%04d" % seed, "epochs": E,
        "latency": latency, "eval_names": names,
        "eval_acc1es": {"%s@%d" % (n, e): ev[n][0][e] for n in names for e in range(E)},
        "eval_losses": {"%s@%d" % (n, e): ev[n][1][e] for n in names for e in range(E)},
        "eval_times": {"%s@%d" % (n, e): ev[n][2][e] for n in names for e in range(E)},
        "net_state_dict": None,
    }
    # what get_more_info reads from this trial: last-epoch values, summed times
    info = {"train": (tr_acc[-1], tr_loss[-1], None if key == NO_TRAIN_TIMES else sum(t["train"]))}
    for n in names:
        info[n] = (ev[n][0][-1], ev[n][1][-1], sum(ev[n][2]))
    return rc, info, (flop, params, -1.0 if latency is None else sum(latency) / len(latency))


def build(fmt, f64):
    archs = canonical_archs()
    rng = random.Random(201)
    files, expected = {}, []
    for index, hps in PLAN.items():
        arch = archs[index]
        per_hp = {}
        for hp, sets in hps.items():
            rec = {"arch_index": index, "arch_str": arch, "all_results": {},
                   "dataset_seed": {}, "clear_net_done": True}
            for ds, seeds in sets.items():
                rec["dataset_seed"][ds] = list(seeds)
                infos, costs = [], []
                for s in seeds:
                    rc, info, cost = trial(rng, index, hp, ds, s, arch, f64)
                    rec["all_results"][(ds, s)] = rc
                    infos.append(info)
                    costs.append(cost)
                expected += expect(index, hp, ds, seeds, infos, costs, fmt)
            per_hp[hp] = rec
        files[index] = per_hp
    return archs, files, expected


def mean(xs):
    return sum(xs) / len(xs)


def expect(index, hp, ds, seeds, infos, costs, fmt):
    E = int(hp)
    out = []

    def put(bench, metric, v):
        out.append((bench, metric, index, v))

    blocks = [("train", "train")] + sorted(PREFIX_SET[ds].items())
    for prefix, setname in blocks:
        have = all(setname in i for i in infos)
        for j, qty in enumerate(("acc", "loss")):
            v = mean([i[setname][j] for i in infos]) if have else None
            put(ds, "%s_%s_%s" % (prefix, qty, hp), v)
            if ds == "cifar10-valid" and prefix == "valid":
                put("cifar10", "%s_%s_%s" % (prefix, qty, hp), v)
        times = [i[setname][2] for i in infos] if have else [None]
        at = mean(times) if times[0] is not None else None
        put(ds, "%s_seconds_%s" % (prefix, hp), at)
        put(ds, "%s_epoch_seconds_%s" % (prefix, hp), at / E if at is not None else None)
        if ds == "cifar10-valid" and prefix == "valid":
            put("cifar10", "%s_seconds_%s" % (prefix, hp), at)
            put("cifar10", "%s_epoch_seconds_%s" % (prefix, hp), at / E if at is not None else None)
    flops = [c[0] for c in costs]
    params = [c[1] for c in costs]
    if fmt != "pth" and len(set("%.5f" % x for x in flops)) > 1:
        flops = [flops[seeds.index(888)]]
    if fmt != "pth" and len(set("%.5f" % x for x in params)) > 1:
        params = [params[seeds.index(888)]]
    lat = [c[2] for c in costs if c[2] > 0]
    put(ds, "flops_%s" % hp, mean(flops))
    put(ds, "params_%s" % hp, mean(params))
    put(ds, "latency_%s" % hp, mean(lat) if lat else None)
    put(ds, "seeds_%s" % hp, float(len(seeds)))
    return out


def write_pbz2(path, obj):
    with bz2.open(path, "wb") as f:
        pickle.dump(obj, f, protocol=4)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--format", choices=("nats", "nats-file", "pth", "evil"), required=True)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    if a.format == "pth":
        import torch
        f64 = __import__("numpy").float64
    else:
        f64 = numpy_float64()
    archs, files, expected = build(a.format, f64)
    if a.format == "pth":
        data = {"meta_archs": archs, "evaluated_indexes": sorted(files),
                "arch2infos": {i: {"less": r.get("12", empty_record(i, archs[i])),
                                   "full": r["200"]} for i, r in files.items()}}
        torch.save(data, os.path.join(a.out, "NAS-Bench-201-v1_1-096897.pth"))
        # arch 1 has no hp 12: an ArchResults without trials -> NaN, as for NATS
    elif a.format == "nats-file":
        write_pbz2(os.path.join(a.out, "NATS-tss-v1_0-3ffb9.pickle.pbz2"),
                   {"meta_archs": archs, "arch2infos": files, "evaluated_indexes": set(files)})
    else:
        d = os.path.join(a.out, "evil" if a.format == "evil" else "NATS-tss-v1_0-3ffb9-simple")
        os.makedirs(d, exist_ok=True)
        write_pbz2(os.path.join(d, "meta.pickle.pbz2"),
                   {"meta_archs": archs, "total_archs": len(archs), "arch2infos": None,
                    "evaluated_indexes": set()})
        for i, r in files.items():
            write_pbz2(os.path.join(d, "%06d.pickle.pbz2" % i), r)
        if a.format == "evil":
            mark = os.path.join(a.out, "EXECUTED")

            class Evil:
                def __reduce__(self):
                    return (os.system, ("touch '%s'" % mark,))

            write_pbz2(os.path.join(d, "000000.pickle.pbz2"), {"12": Evil()})
    with open(os.path.join(a.out, "expected.csv"), "w") as f:
        f.write("bench,metric,index,value\n")
        for b, m, i, v in expected:
            f.write("%s,%s,%d,%s\n" % (b, m, i, "nan" if v is None else repr(float(v))))
    return 0


def empty_record(i, arch):
    return {"arch_index": i, "arch_str": arch, "all_results": {}, "dataset_seed": {},
            "clear_net_done": True}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
