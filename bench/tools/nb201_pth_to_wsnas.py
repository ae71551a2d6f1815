#!/usr/bin/env python3
"""nb201_pth_to_wsnas.py: convert a NAS-Bench-201 release file
(NAS-Bench-201-v1_1-096897.pth or NAS-Bench-201-v1_0-e61699.pth) into a CSV
and an import spec for `wsnas table import`.

Needs PyTorch only to read the file (Debian's python3-torch; torch.load with
map_location='cpu', as NASBench201API does).  The file is trusted: torch.load
runs the pickle.

Input: the dict NASBench201API reads:
  {"meta_archs": [15625 strings], "evaluated_indexes": [...],
   "arch2infos": {index: {"less": ArchResults state (hp 12),
                          "full": ArchResults state (hp 200)}}}
Output: OUT.csv and OUT.json, as nats_to_wsnas.py (same columns; nb201_api.py).

Usage:
  nb201_pth_to_wsnas.py FILE.pth -o OUT [--allow-missing] [--release NAME]
  build/wsnas table import --spec OUT.json OUT.csv -o build/nb201.h5
v1.0's 12-epoch results cover cifar10-valid only; its other hp=12 columns are NaN.
"""
import os
import sys

import nb201_api
from stubpickle import ConvertError

TOOL = "bench/tools/nb201_pth_to_wsnas.py"


def load_pth(path):
    try:
        import torch
    except ImportError:
        raise ConvertError("PyTorch is needed to read %s (apt-get install python3-torch)" % path)
    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=False)
        except TypeError:  # torch < 1.13 has no weights_only
            return torch.load(path, map_location="cpu")
    except Exception as e:  # a damaged or foreign file
        raise ConvertError("%s: cannot load with torch.load: %s" % (path, e))


def convert(path, out, allow_missing, release):
    data = load_pth(path)
    if not isinstance(data, dict):
        raise ConvertError("%s: expected a dict, got %s" % (path, type(data).__name__))
    for key in ("meta_archs", "arch2infos", "evaluated_indexes"):
        if key not in data:
            raise ConvertError("%s: no key %r (not a NAS-Bench-201 release file)" % (path, key))
    archs = data["meta_archs"]
    nb201_api.check_meta_archs(archs, path)
    infos = data["arch2infos"]
    if not isinstance(infos, dict):
        raise ConvertError("%s: arch2infos: expected a dict" % path)
    rows, missing = {}, []
    for i in range(nb201_api.ARCH_COUNT):
        entry = infos.get(i)
        if entry is None:
            missing.append(i)
            continue
        what = "%s: arch2infos[%d]" % (path, i)
        if not isinstance(entry, dict) or "less" not in entry or "full" not in entry:
            raise ConvertError("%s: expected a dict with 'less' (hp 12) and 'full' (hp 200)"
                               % what)
        records = {"12": entry["less"], "200": entry["full"]}
        for hp, rec in records.items():
            nb201_api.check_record(rec, i, archs[i], "%s: hp %s" % (what, hp))
        rows[i] = nb201_api.arch_values(records, what, legacy_fix=False)
    extra = sorted(k for k in infos if not (isinstance(k, int) and 0 <= k < nb201_api.ARCH_COUNT))
    if extra:
        raise ConvertError("%s: arch2infos has key %r, expected indices 0..%d"
                           % (path, extra[0], nb201_api.ARCH_COUNT - 1))
    nb201_api.check_rows(path, rows, missing, "architectures in arch2infos", allow_missing)
    ncols = nb201_api.write_outputs(out, archs, rows, release, os.path.basename(path), TOOL,
                                    bool(missing))
    return len(rows), ncols


if __name__ == "__main__":
    sys.exit(nb201_api.main(
        sys.argv[1:], TOOL, "NAS-Bench-201 .pth release -> CSV + spec for wsnas table import",
        "NAS-Bench-201-v1_1-096897.pth (or v1_0-e61699)", convert,
        lambda base: base.rsplit(".pth", 1)[0]))
