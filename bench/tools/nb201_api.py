"""nb201_api.py: what the NAS-Bench-201 / NATS-Bench (topology) API returns,
computed from the raw per-architecture records of the official files, and
the CSV + import spec that `wsnas table import --spec` turns into a table.

Standard library only.  Shared by nats_to_wsnas.py (NATS-Bench "simple"
directory) and nb201_pth_to_wsnas.py (NAS-Bench-201 .pth).

A record is one architecture at one hp ("12" or "200"): the state dict of the
API's ArchResults,
    {"arch_index": i, "arch_str": s, "dataset_seed": {dataset: [seed, ..]},
     "all_results": {(dataset, seed): ResultsCount state}, ...}
where a ResultsCount state holds per-epoch dicts train_acc1es / train_losses /
train_times (epoch -> value) and eval_acc1es / eval_losses / eval_times
("<set>@<epoch>" -> value), eval_names, epochs, params, flop and latency.

Every value written is the API's
    get_more_info(i, dataset, hp=hp, is_random=False)[key]
(the mean over the trials, after the last epoch) or its
    get_cost_info(i, dataset, hp=hp)[key],
reproduced operation for operation (same sums, same order).  METRICS maps
each key to a wsnas metric name; README.md ("Importing the official NB201 /
NATS-Bench files") has the table with the splits.
"""
import argparse
import json
import math
import os
import sys

from stubpickle import ConvertError

DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
HPS = ("12", "200")
ARCH_COUNT = 15625

# get_more_info key -> (wsnas metric stem, unit); the metric is "<stem>_<hp>".
METRICS = (
    ("train-accuracy", "train_acc", "%"),
    ("train-loss", "train_loss", "nats"),
    ("train-all-time", "train_seconds", "s"),
    ("train-per-time", "train_epoch_seconds", "s"),
    ("valid-accuracy", "valid_acc", "%"),
    ("valid-loss", "valid_loss", "nats"),
    ("valid-all-time", "valid_seconds", "s"),
    ("valid-per-time", "valid_epoch_seconds", "s"),
    ("test-accuracy", "test_acc", "%"),
    ("test-loss", "test_loss", "nats"),
    ("test-all-time", "test_seconds", "s"),
    ("test-per-time", "test_epoch_seconds", "s"),
    ("valtest-accuracy", "valtest_acc", "%"),
    ("valtest-loss", "valtest_loss", "nats"),
    ("valtest-all-time", "valtest_seconds", "s"),
    ("valtest-per-time", "valtest_epoch_seconds", "s"),
)
# get_cost_info key -> (metric stem, unit, better)
COSTS = (
    ("flops", "flops", "MFLOPs", "lower"),
    ("params", "params", "M", "lower"),
    ("latency", "latency", "s", "lower"),
)

# Which evaluation set each prefix is, per dataset (get_more_info's choices).
SETS = {
    "cifar10-valid": {"train": "train", "valid": "x-valid", "test": "ori-test"},
    "cifar10": {"train": "train", "test": "ori-test"},
    "cifar100": {"train": "train", "valid": "x-valid", "test": "x-test", "valtest": "ori-test"},
    "ImageNet16-120": {"train": "train", "valid": "x-valid", "test": "x-test",
                       "valtest": "ori-test"},
}
SPLIT_TEXT = {
    ("cifar10-valid", "train"): "the 25k train half of the CIFAR-10 training set (trained on it)",
    ("cifar10-valid", "x-valid"): "the 25k valid half of the CIFAR-10 training set",
    ("cifar10-valid", "ori-test"): "the 10k CIFAR-10 test set, by a network trained on the 25k "
                                   "train half only (not cifar10's test figure)",
    ("cifar10", "train"): "CIFAR-10 train+valid (50k, trained on it)",
    ("cifar10", "ori-test"): "the 10k CIFAR-10 test set",
    ("cifar100", "train"): "the 50k CIFAR-100 training set (trained on it)",
    ("cifar100", "x-valid"): "the x-valid half (5k) of the CIFAR-100 test set",
    ("cifar100", "x-test"): "the x-test half (5k) of the CIFAR-100 test set",
    ("cifar100", "ori-test"): "the whole 10k CIFAR-100 test set (x-valid + x-test)",
    ("ImageNet16-120", "train"): "the 151.7k ImageNet16-120 training images (trained on them)",
    ("ImageNet16-120", "x-valid"): "the x-valid half (3k) of the ImageNet16-120 test set",
    ("ImageNet16-120", "x-test"): "the x-test half (3k) of the ImageNet16-120 test set",
    ("ImageNet16-120", "ori-test"): "the whole 6k ImageNet16-120 test set (x-valid + x-test)",
}
QUANTITY_TEXT = {"acc": "top-1 accuracy (%)", "loss": "mean cross-entropy loss (nats)",
                 "seconds": "time of all epochs (s)", "epoch_seconds": "time per epoch (s)"}


def _mean(xs):
    return sum(xs) / len(xs)


class Unavailable(Exception):
    """The API would raise or return None here (the value is written as NaN)."""


def _need(d, key, what):
    if not isinstance(d, dict) or key not in d:
        raise Unavailable("%s: no %r" % (what, key))
    return d[key]


def _train(rc, what):
    """ResultsCount.get_train(None): the last epoch's loss, accuracy, summed time."""
    last = _epochs(rc, what) - 1
    times = rc.get("train_times")
    all_time = None if times is None else sum([_need(times, i, what) for i in range(last + 1)])
    return {"iepoch": last, "loss": _need(rc.get("train_losses"), last, what),
            "accuracy": _need(rc.get("train_acc1es"), last, what), "all_time": all_time}


def _eval(rc, setname, what):
    """ResultsCount.get_eval(setname, None)."""
    last = _epochs(rc, what) - 1
    times = rc.get("eval_times")
    key = "%s@%d" % (setname, last)
    if isinstance(times, dict) and len(times):
        _need(times, key, what)
        all_time = sum([_need(times, "%s@%d" % (setname, i), what) for i in range(last + 1)])
    else:
        all_time = None
    return {"iepoch": last, "loss": _need(rc.get("eval_losses"), key, what),
            "accuracy": _need(rc.get("eval_acc1es"), key, what), "all_time": all_time}


def _epochs(rc, what):
    e = _need(rc, "epochs", what)
    if not isinstance(e, int) or e < 1:
        raise ConvertError("%s: epochs = %r, expected a positive integer" % (what, e))
    return e


def _trials(rec, dataset, what):
    seeds = _need(_need(rec, "dataset_seed", what), dataset, what)
    results = _need(rec, "all_results", what)
    if not isinstance(seeds, (list, tuple)) or not seeds:
        raise ConvertError("%s: dataset_seed[%r] = %r, expected a list of seeds"
                           % (what, dataset, seeds))
    out = []
    for s in seeds:
        if (dataset, s) not in results:
            raise ConvertError("%s: all_results has no (%r, %r) although dataset_seed lists it"
                               % (what, dataset, s))
        out.append(results[(dataset, s)])
    return out


def _metrics(rec, dataset, setname, what):
    """ArchResults.get_metrics(dataset, setname, None, is_random=False)."""
    infos = {}
    for rc in _trials(rec, dataset, what):
        info = _train(rc, what) if setname == "train" else _eval(rc, setname, what)
        for k, v in info.items():
            infos.setdefault(k, []).append(v)
    return {k: (_mean(v) if len(v) and v[0] is not None else None) for k, v in infos.items()}


def more_info(rec, dataset, what):
    """get_more_info(i, dataset, hp, is_random=False) without the comment;
    raises Unavailable where the API raises (no trial of this dataset)."""
    train = _metrics(rec, dataset, "train", what)
    total = train["iepoch"] + 1
    out = {}
    blocks = [("train", train)]
    for prefix in ("valid", "test", "valtest"):
        setname = SETS[dataset].get(prefix)
        if setname is None:
            continue
        if dataset == "cifar10-valid" and prefix == "valid":  # not in a try in the API
            blocks.append((prefix, _metrics(rec, dataset, setname, what)))
            continue
        try:
            blocks.append((prefix, _metrics(rec, dataset, setname, what)))
        except Unavailable:
            pass  # the API's try/except: the keys are absent
    for prefix, info in blocks:
        out[prefix + "-loss"] = info["loss"]
        out[prefix + "-accuracy"] = info["accuracy"]
        at = info["all_time"]
        out[prefix + "-per-time"] = at / total if at is not None else None
        out[prefix + "-all-time"] = at
    return out


def cost_info(rec, dataset, what, legacy_fix):
    """get_cost_info(i, dataset, hp): flops, params, latency.  legacy_fix:
    NATS-Bench's fix_legacy_issue (trials that disagree -> the seed-888 one)."""
    seeds = list(_need(_need(rec, "dataset_seed", what), dataset, what))
    trials = _trials(rec, dataset, what)
    flops = [_need(rc, "flop", what) for rc in trials]
    params = [_need(rc, "params", what) for rc in trials]

    def fix(raw):
        xs = ["%.5f" % x for x in raw]
        if legacy_fix and len(xs) > 1 and len(set(xs)) > 1:
            if 888 not in seeds:
                raise ConvertError("%s: trials disagree on flops/params and there is no seed 888"
                                   % what)
            return [raw[seeds.index(888)]]
        return raw

    lat = []
    for rc in trials:
        v = rc.get("latency")
        v = -1.0 if v is None else sum(v) / len(v)
        if v > 0:
            lat.append(v)
    return {"flops": _mean(fix(flops)), "params": _mean(fix(params)),
            "latency": _mean(lat) if lat else None}


# ---- the columns ---------------------------------------------------------------

def _column_spec(bench, metric, hp, api, split, unit, description, better=None):
    spec = {"to": "%s/%s" % (bench, metric), "epochs": hp, "unit": unit, "api": api,
            "description": description}
    if split:
        spec["split"] = split
    if better:
        spec["better"] = better
    return spec


def columns():
    """[(column name, spec dict, getter)], getter(values of one arch) -> value."""
    cols = []
    for hp in HPS:
        for ds in DATASETS:
            api = "get_more_info(i, '%s', hp='%s', is_random=False)" % (ds, hp)
            for key, stem, unit in METRICS:
                prefix = key.split("-")[0]
                setname = SETS[ds].get(prefix)
                if setname is None:
                    continue
                qty = stem[len(prefix) + 1:]
                desc = "%s on %s, after %s epochs, mean over the trials" % (
                    QUANTITY_TEXT[qty], SPLIT_TEXT[(ds, setname)], hp)
                if qty in ("seconds", "epoch_seconds"):
                    desc += " (the benchmark's recorded, partly estimated, GPU times)"
                metric = "%s_%s" % (stem, hp)
                cols.append(("%s/%s" % (ds, metric),
                             _column_spec(ds, metric, hp, "%s['%s']" % (api, key), setname, unit,
                                          desc),
                             (hp, ds, key)))
            cost_api = "get_cost_info(i, '%s', hp='%s')" % (ds, hp)
            for key, stem, unit, better in COSTS:
                metric = "%s_%s" % (stem, hp)
                desc = {"flops": "multiply-adds of one forward pass (millions)",
                        "params": "parameters (millions)",
                        "latency": "forward latency of a batch, as measured by the benchmark (s)"
                        }[key]
                cols.append(("%s/%s" % (ds, metric),
                             _column_spec(ds, metric, hp, "%s['%s']" % (cost_api, key), None,
                                          unit, desc, better),
                             (hp, ds, "cost:" + key)))
            cols.append(("%s/seeds_%s" % (ds, hp),
                         _column_spec(ds, "seeds_%s" % hp, hp,
                                      "len(get_dataset_seeds) of query_meta_info_by_index(i, "
                                      "hp='%s') for '%s'" % (hp, ds), None, "count",
                                      "number of trials (seeds) the means average", "higher"),
                         (hp, ds, "seeds")))
        # The API's convention for cifar10 'valid' (remap_dataset_set_names):
        # the cifar10-valid run's x-valid figure, a different training run.
        for key, stem, unit in METRICS:
            if not key.startswith("valid-"):
                continue
            metric = "%s_%s" % (stem, hp)
            cols.append(("cifar10/%s" % metric,
                         _column_spec("cifar10", metric, hp,
                                      "get_more_info(i, 'cifar10-valid', hp='%s', "
                                      "is_random=False)['%s']" % (hp, key), "x-valid", unit,
                                      "as cifar10-valid/%s: the NB201 API's convention for the "
                                      "cifar10 'valid' figure (remap_dataset_set_names), from "
                                      "a different training run than cifar10's test figures"
                                      % metric),
                         (hp, "cifar10-valid", key)))
    return cols


def arch_values(records, what, legacy_fix):
    """{(hp, dataset, key): value or None} for one architecture; records =
    {hp: ArchResults state} (an absent hp gives no values)."""
    vals = {}
    for hp in HPS:
        rec = records.get(hp)
        if rec is None:
            continue
        for ds in DATASETS:
            w = "%s: hp %s, %s" % (what, hp, ds)
            if ds not in (rec.get("dataset_seed") or {}):
                continue  # e.g. NB201 v1.0's hp=12 has cifar10-valid only
            try:
                info = more_info(rec, ds, w)
                vals.update({(hp, ds, k): v for k, v in info.items()})
                for k, v in cost_info(rec, ds, w, legacy_fix).items():
                    vals[(hp, ds, "cost:" + k)] = v
                vals[(hp, ds, "seeds")] = len(rec["dataset_seed"][ds])
            except Unavailable as e:
                raise ConvertError("%s: the API would fail: %s" % (w, e))
    return vals


def check_record(rec, index, arch_str, what):
    if not isinstance(rec, dict):
        raise ConvertError("%s: expected a dict (ArchResults state), got %s"
                           % (what, type(rec).__name__))
    for key in ("arch_index", "arch_str", "all_results", "dataset_seed"):
        if key not in rec:
            raise ConvertError("%s: no key %r (not an ArchResults state)" % (what, key))
    if rec["arch_index"] != index or rec["arch_str"] != arch_str:
        raise ConvertError("%s: holds architecture %r (%r), expected index %d (%r)"
                           % (what, rec["arch_index"], rec["arch_str"], index, arch_str))


def check_meta_archs(archs, what):
    if not isinstance(archs, (list, tuple)) or len(archs) != ARCH_COUNT:
        raise ConvertError("%s: meta_archs: expected a list of %d architecture strings"
                           % (what, ARCH_COUNT))
    seen = set()
    for i, a in enumerate(archs):
        if not isinstance(a, str) or a in seen:
            raise ConvertError("%s: meta_archs[%d] = %r: expected a new architecture string"
                               % (what, i, a))
        seen.add(a)


# ---- output ---------------------------------------------------------------------

def _fmt(v):
    if v is None:
        return ""
    v = float(v)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        raise ConvertError("infinite value")
    return repr(v)


def _write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_outputs(out, meta_archs, rows, release, source, tool, allow_missing):
    """Writes OUT.csv (index, arch_str, one column per metric) and OUT.json
    (the spec for `wsnas table import --spec OUT.json OUT.csv`).  rows:
    {index: arch_values(..)}."""
    cols = columns()
    lines = ["index,arch_str," + ",".join(name for name, _, _ in cols)]
    for i in sorted(rows):
        vals = rows[i]
        cells = []
        for name, _, getter in cols:
            try:
                cells.append(_fmt(vals.get(getter)))
            except ConvertError as e:
                raise ConvertError("index %d, %s: %s" % (i, name, e))
        lines.append("%d,%s,%s" % (i, meta_archs[i], ",".join(cells)))
    used = {spec["to"].split("/")[0] for _, spec, _ in cols}
    bench_text = {
        "cifar10-valid": "trained on the 25k train half of CIFAR-10's training set",
        "cifar10": "trained on CIFAR-10 train+valid (50k); valid_* from the cifar10-valid runs",
        "cifar100": "trained on the CIFAR-100 training set",
        "ImageNet16-120": "trained on the ImageNet16-120 training set (16x16, 120 classes)",
    }
    spec = {
        "arch_column": "arch_str",
        "allow_missing": bool(allow_missing),
        "columns": {name: s for name, s, _ in cols},
        "benchmarks": {b: {"release": release, "converted_by": tool, "official_source": source,
                           "description": "%s %s: %s" % (release, b, bench_text[b])}
                       for b in DATASETS if b in used},
    }
    _write_atomic(out + ".csv", "\n".join(lines) + "\n")
    _write_atomic(out + ".json", json.dumps(spec, indent=1, sort_keys=True) + "\n")
    return len(cols)


def check_rows(src, rows, missing, what, allow_missing):
    """The converters' common end checks: missing architectures, none at all."""
    if missing and not allow_missing:
        raise ConvertError("%s: %d of %d %s missing (first: %s); --allow-missing keeps them "
                           "as NaN" % (src, len(missing), ARCH_COUNT, what, missing[0]))
    if not rows:
        raise ConvertError("%s: no architecture" % src)


def main(argv, tool, description, src_help, convert, default_release):
    """The converters' command line: SRC -o OUT [--allow-missing] [--release]."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("src", help=src_help)
    ap.add_argument("-o", "--out", required=True, help="output prefix: writes OUT.csv, OUT.json")
    ap.add_argument("--allow-missing", action="store_true",
                    help="absent architectures become NaN rows (default: an error)")
    ap.add_argument("--release", default=None,
                    help="release name stored with the table (default: from SRC's name)")
    a = ap.parse_args(argv)
    name = os.path.basename(tool).rsplit(".py", 1)[0]
    if not os.path.exists(a.src):
        print("%s: %s: no such file or directory" % (name, a.src), file=sys.stderr)
        return 1
    release = a.release or default_release(os.path.basename(os.path.normpath(a.src)))
    try:
        n, ncols = convert(a.src, a.out, a.allow_missing, release)
    except (ConvertError, OSError) as e:
        print("%s: %s" % (name, e), file=sys.stderr)
        return 1
    print("%s.csv, %s.json: %d architectures, %d metrics; next: wsnas table import --spec "
          "%s.json %s.csv -o TABLE.h5" % (a.out, a.out, n, ncols, a.out, a.out))
    return 0
