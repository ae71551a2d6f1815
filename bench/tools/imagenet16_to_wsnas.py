#!/usr/bin/env python3
"""imagenet16_to_wsnas.py: convert the official ImageNet16 pickles to the wsnas
image layout (include/wsnas/data.h) read by ws_dataset_load_imagenet16.

Standard library only: the pickles hold numpy arrays, which stubpickle.py
rebuilds from their pickled state without importing numpy.

Input (the "Downsampled ImageNet 16x16" release used by NAS-Bench-201):
  SRC/train_data_batch_1 .. train_data_batch_10, SRC/val_data
  each a pickle of a dict with 'data' (n x 768 uint8, channel-planar 3x16x16)
  and 'labels' (1-based ImageNet classes 1..1000).
Output:
  OUT/imagenet16-<K>-train.wsimg and OUT/imagenet16-<K>-test.wsimg (K = 120)

Filtering mirrors AutoDL-Projects' ImageNet16 dataset class
(xautodl/datasets/DownsampledImageNet.py, use_num_of_class_only=K): records are
concatenated in file order (train batches 1..10), those with 1 <= label <= K
are kept in order, and the stored label is label - 1.  NB201's
imagenet-16-120-test-split.txt indexes the converted test file (6,000 images
for K = 120); the training file has 151,700 images.

Usage: imagenet16_to_wsnas.py SRC OUT [--classes 120] [--no-md5] [--partial]
  --no-md5   skip the md5 check against the official files
  --partial  accept fewer than 10 training batches (tests)
"""
import argparse
import hashlib
import os
import struct
import sys

from stubpickle import Array, ConvertError, load as stub_load

# md5 of the official files (as listed in AutoDL's ImageNet16 class).
OFFICIAL_MD5 = {
    "train_data_batch_1": "27846dcaa50de8e21a7d1a35f30f0e91",
    "train_data_batch_2": "c7254a054e0e795c69120a5727050e3f",
    "train_data_batch_3": "4333d3df2e5ffb114b05d2ffc19b1e87",
    "train_data_batch_4": "1620cdf193304f4a92677b695d70d10f",
    "train_data_batch_5": "348b3c2fdbb3940c4e9e834affd3b18d",
    "train_data_batch_6": "6e765307c242a1b3d7d5ef9139b48945",
    "train_data_batch_7": "564926d8cbf8fc4818ba23d2faac7564",
    "train_data_batch_8": "f4755871f718ccb653440b9dd0ebac66",
    "train_data_batch_9": "bb6dd660c38c58552125b1a92f86b5d4",
    "train_data_batch_10": "8f03f34ac4b42271a294f91bf480f29b",
    "val_data": "3410e3017fdaefba8d5073aaa65e4bd6",
}
SIDE, CHANNELS = 16, 3
PIXELS = CHANNELS * SIDE * SIDE
MAGIC, VERSION = b"WSNASIMG", 1


# ---- conversion ---------------------------------------------------------------

def md5_of(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_batch(path):
    """(pixels bytes of n*768, labels list) from one pickle."""
    with open(path, "rb") as f:
        entry = stub_load(f, path, encoding="latin1")
    if not isinstance(entry, dict) or "data" not in entry or "labels" not in entry:
        raise ConvertError("%s: expected a dict with 'data' and 'labels'" % path)
    data, labels = entry["data"], entry["labels"]
    if not isinstance(data, Array) or data.dtype.struct_code() != "B":
        raise ConvertError("%s: 'data' is not a uint8 array" % path)
    if data.fortran:
        raise ConvertError("%s: 'data' is Fortran-ordered; expected C order" % path)
    if isinstance(labels, Array):
        labels = labels.values()
    labels = [int(x) for x in labels]
    n = len(labels)
    if len(data.raw) != n * PIXELS:
        raise ConvertError("%s: 'data' has %d bytes, expected %d labels x %d"
                           % (path, len(data.raw), n, PIXELS))
    return data.raw, labels


def convert(paths, classes, out_path):
    kept = bytearray()
    count = 0
    for path in paths:
        raw, labels = load_batch(path)
        for i, lab in enumerate(labels):
            if lab < 1 or lab > 1000:
                raise ConvertError("%s: record %d: label %d, expected 1..1000" % (path, i, lab))
            if lab <= classes:  # AutoDL: keep 1 <= L <= K, target L - 1
                kept.append(lab - 1)
                kept += raw[i * PIXELS:(i + 1) * PIXELS]
                count += 1
    if count == 0:
        raise ConvertError("no record with a label in 1..%d" % classes)
    head = MAGIC + struct.pack("<6I", VERSION, count, classes, CHANNELS, SIDE, SIDE)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(head)
        f.write(kept)
    os.replace(tmp, out_path)
    return count


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--classes", type=int, default=120)
    ap.add_argument("--no-md5", action="store_true")
    ap.add_argument("--partial", action="store_true")
    a = ap.parse_args(argv)
    if not 1 <= a.classes <= 256:
        ap.error("--classes must be in 1..256 (labels are stored in one byte)")
    train = []
    for k in range(1, 11):
        p = os.path.join(a.src, "train_data_batch_%d" % k)
        if os.path.exists(p):
            train.append(p)
        elif not a.partial:
            ap.error("missing %s (use --partial to convert what is there)" % p)
    val = os.path.join(a.src, "val_data")
    if not train or not os.path.exists(val):
        ap.error("need at least one train_data_batch_N and val_data in %s" % a.src)
    try:
        if not a.no_md5:
            for p in train + [val]:
                want = OFFICIAL_MD5[os.path.basename(p)]
                got = md5_of(p)
                if got != want:
                    raise ConvertError("%s: md5 %s, expected the official %s (--no-md5 skips)"
                                       % (p, got, want))
        os.makedirs(a.out, exist_ok=True)
        name = "imagenet16-%d" % a.classes
        for split, paths in (("train", train), ("test", [val])):
            out = os.path.join(a.out, "%s-%s.wsimg" % (name, split))
            n = convert(paths, a.classes, out)
            print("%s: %d images" % (out, n))
    except (ConvertError, OSError) as e:
        print("imagenet16_to_wsnas: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
