#!/usr/bin/env python3
"""nats_to_wsnas.py: convert NATS-Bench's topology benchmark (NATS-tss-v1_0-3ffb9,
the successor of NAS-Bench-201) into a CSV and an import spec for
`wsnas table import`.

Standard library only (bz2 + a restricted unpickler, stubpickle.py: the
archive's numpy scalars are rebuilt with struct and no other code named by
a pickle is run).

Input, either form the NATS-Bench API reads:
  * the "simple" directory NATS-tss-v1_0-3ffb9-simple/ (fast_mode=True):
    meta.pickle.pbz2 ({"meta_archs": [15625 strings], ...}) and one
    <index:06d>.pickle.pbz2 per architecture ({"12": ArchResults state,
    "200": ArchResults state});
  * the single benchmark file NATS-tss-v1_0-3ffb9.pickle.pbz2 (fast_mode=False):
    {"meta_archs": [...], "arch2infos": {index: {"12": .., "200": ..}}, ...}.
Output: OUT.csv (index, arch_str, one column per benchmark metric) and
OUT.json (the spec: metric names, splits, units, API calls, descriptions).

Usage:
  nats_to_wsnas.py DIR|FILE -o OUT [--allow-missing] [--release NAME]
  build/wsnas table import --spec OUT.json OUT.csv -o build/nb201.h5
Every value is get_more_info(i, dataset, hp, is_random=False)[key] or
get_cost_info(i, dataset, hp)[key] for hp 12 and 200 (see nb201_api.py).
"""
import bz2
import os
import sys
import time

import nb201_api
from stubpickle import ConvertError, load as stub_load

TOOL = "bench/tools/nats_to_wsnas.py"


def load_pbz2(path):
    try:
        with bz2.open(path, "rb") as f:
            return stub_load(f, path)
    except OSError as e:
        raise ConvertError("%s: cannot read: %s" % (path, e.strerror or e))


def arch_file(d, i):
    """The API's name for architecture i, then its fallback without zero padding."""
    p = os.path.join(d, "%06d.pickle.pbz2" % i)
    return p if os.path.exists(p) else os.path.join(d, "%d.pickle.pbz2" % i)


def load_meta(path):
    meta = load_pbz2(path)
    if not isinstance(meta, dict) or "meta_archs" not in meta:
        raise ConvertError("%s: expected a dict with 'meta_archs'" % path)
    nb201_api.check_meta_archs(meta["meta_archs"], path)
    return meta


def arch_row(data, i, archs, what):
    """The API's values for architecture i from its {hp: ArchResults state}."""
    if not isinstance(data, dict) or not set(data) & set(nb201_api.HPS):
        raise ConvertError("%s: expected a dict keyed by hp ('12', '200')" % what)
    for hp in nb201_api.HPS:
        if hp in data:
            nb201_api.check_record(data[hp], i, archs[i], "%s: hp %s" % (what, hp))
    return nb201_api.arch_values(data, what, legacy_fix=True)


def read_dir(d, progress):
    """(meta_archs, rows, missing) from the simple directory, one file at a time."""
    archs = load_meta(os.path.join(d, "meta.pickle.pbz2"))["meta_archs"]
    rows, missing = {}, []
    t0 = time.time()
    for i in range(nb201_api.ARCH_COUNT):
        path = arch_file(d, i)
        if not os.path.exists(path):
            missing.append("%06d.pickle.pbz2" % i)
            continue
        rows[i] = arch_row(load_pbz2(path), i, archs, path)
        if progress and len(rows) % 500 == 0:
            print("nats_to_wsnas: %d architectures read (%.0f s)" % (len(rows), time.time() - t0),
                  file=sys.stderr)
    return archs, rows, missing, "architecture files"


def read_file(path):
    """(meta_archs, rows, missing) from the single benchmark file."""
    data = load_meta(path)
    infos = data.get("arch2infos")
    if not isinstance(infos, dict):
        raise ConvertError("%s: arch2infos: expected a dict {index: {hp: ArchResults}}" % path)
    archs, rows, missing = data["meta_archs"], {}, []
    for i in range(nb201_api.ARCH_COUNT):
        if i not in infos:
            missing.append(str(i))
            continue
        rows[i] = arch_row(infos[i], i, archs, "%s: arch2infos[%d]" % (path, i))
    return archs, rows, missing, "architectures in arch2infos"


def convert(src, out, allow_missing, release):
    if os.path.isdir(src):
        archs, rows, missing, what = read_dir(src, progress=True)
    else:
        archs, rows, missing, what = read_file(src)
    nb201_api.check_rows(src, rows, missing, what, allow_missing)
    source = os.path.basename(os.path.normpath(src))
    ncols = nb201_api.write_outputs(out, archs, rows, release, source, TOOL, bool(missing))
    return len(rows), ncols


if __name__ == "__main__":
    sys.exit(nb201_api.main(
        sys.argv[1:], TOOL, "NATS-Bench topology benchmark -> CSV + spec for wsnas table import",
        "NATS-tss-v1_0-3ffb9-simple/ or NATS-tss-v1_0-3ffb9.pickle.pbz2", convert,
        lambda base: base.replace("-simple", "").replace(".pickle.pbz2", "")))
