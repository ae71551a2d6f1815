#!/usr/bin/python3
"""h5_replace_metric.py: replaces one metric of one benchmark of a wsnas table
(e.g. grasp of cifar10-proxies-sample in bench/nb201-cifar10-proxies.h5) by
the same metric from another table scored over the same rows, leaving every
other dataset bit-identical: the values are written into the existing
dataset, so its deflate + Fletcher-32 filter pipeline stays, and no repack
(which would rewrite, and by default drop the checksums of, everything).

The metric's attributes are taken from the source (its definition may have
changed); the benchmark's filled masks must be equal.  Checks afterwards,
reading back: the metric equals the source's values bit for bit, and every
other dataset's stored chunks (compressed bytes and filter masks) and
attributes equal the base's.  Writes OUT via OUT.tmp, fsync and rename.

Run: /usr/bin/python3 bench/tools/h5_replace_metric.py BASE.h5 SRC.h5 BENCH METRIC OUT.h5
"""
import os
import shutil
import sys

import h5py
import numpy as np


def chunks(ds):
    """Every stored chunk of ds: (offset, filter mask, bytes)."""
    out = []
    for i in range(ds.id.get_num_chunks()):
        info = ds.id.get_chunk_info(i)
        mask, data = ds.id.read_direct_chunk(info.chunk_offset)
        out.append((info.chunk_offset, mask, bytes(data)))
    return out


def datasets(f):
    names = []
    f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    return names


def attr_equal(a, b, k):
    """Attribute k of the attribute managers a and b: same stored type and value."""
    return (a.get_id(k).get_type() == b.get_id(k).get_type() and
            np.array_equal(np.asarray(a[k]), np.asarray(b[k])))


def same_attrs(a, b):
    """Same names, stored types and values."""
    return sorted(a.keys()) == sorted(b.keys()) and all(attr_equal(a, b, k) for k in a.keys())


def copy_attr(src, dst, name):
    """Attribute name of src onto dst with src's stored type (wsnas writes
    null-terminated UTF-8 strings; h5py's default would be another type)."""
    key = name.encode()
    a = h5py.h5a.open(src.id, key)
    tid = a.get_type()
    buf = np.empty(a.shape, dtype=a.dtype)
    a.read(buf, mtype=tid)
    if h5py.h5a.exists(dst.id, key):
        h5py.h5a.delete(dst.id, key)
    h5py.h5a.create(dst.id, key, tid, a.get_space()).write(buf, mtype=tid)


def fail(msg):
    sys.stderr.write(f"h5_replace_metric: {msg}\n")
    sys.exit(1)


def main():
    if len(sys.argv) != 6:
        fail("usage: h5_replace_metric.py BASE.h5 SRC.h5 BENCH METRIC OUT.h5")
    base, src, bench, metric, out = sys.argv[1:]
    path, filled = f"benchmarks/{bench}/{metric}", f"benchmarks/{bench}/filled"
    with h5py.File(src, "r") as s, h5py.File(base, "r") as b:
        for f, name in ((s, src), (b, base)):
            if path not in f or filled not in f:
                fail(f"{name}: no /{path} or /{filled}")
        if not np.array_equal(s[filled][:], b[filled][:]):
            fail(f"{src}: /{filled} differs from {base}'s (not the same rows)")
        if not np.array_equal(s["archs/ops"][:], b["archs/ops"][:]):
            fail(f"{src}: /archs/ops differs from {base}'s")
        values = s[path][:]
        if sorted(s[path].attrs.keys()) != sorted(b[path].attrs.keys()):
            fail(f"{src}: /{path} has other attribute names than {base}'s")
        if values.shape != b[path].shape or values.dtype != b[path].dtype:
            fail(f"{src}: /{path} is {values.shape} {values.dtype}, "
                 f"{base}'s {b[path].shape} {b[path].dtype}")
    tmp = out + ".tmp"
    shutil.copyfile(base, tmp)
    with h5py.File(tmp, "r+") as t, h5py.File(src, "r") as s:
        ds = t[path]
        ds[...] = values
        for k in s[path].attrs.keys():  # only those that differ are rewritten
            if not attr_equal(s[path].attrs, ds.attrs, k):
                copy_attr(s[path], ds, k)
    with h5py.File(tmp, "r") as t, h5py.File(base, "r") as b, h5py.File(src, "r") as s:
        if datasets(t) != datasets(b):
            fail("dataset list changed")
        if t[path][:].view(np.uint64).tolist() != values.view(np.uint64).tolist():
            fail(f"/{path}: read back differs from {src}")
        if not same_attrs(t[path].attrs, s[path].attrs):
            fail(f"/{path}: attributes differ from {src}'s")
        if t[path].fletcher32 != b[path].fletcher32 or t[path].compression != b[path].compression:
            fail(f"/{path}: filters changed")
        for n in datasets(b):
            if n != path and (chunks(t[n]) != chunks(b[n]) or not same_attrs(t[n].attrs, b[n].attrs)):
                fail(f"/{n}: stored chunks or attributes changed")
        n_other = len(datasets(b)) - 1
        groups = []
        b.visititems(lambda n, o: groups.append(n) if isinstance(o, h5py.Group) else None)
        for n in groups + ["/"]:
            if not same_attrs(t[n].attrs, b[n].attrs):
                fail(f"/{n}: group attributes changed")
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, out)
    print(f"{out}: /{path} replaced from {src}; {n_other} other datasets' "
          "chunks and all other attributes unchanged")


if __name__ == "__main__":
    main()
