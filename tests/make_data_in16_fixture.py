"""make_data_in16_fixture.py: writes a tiny fake ImageNet16 release
(tests/fixtures/data_in16/{train_data_batch_1,train_data_batch_2,val_data})
and the expected converter output, built with numpy exactly as AutoDL's
ImageNet16 class does (vstack, reshape(-1,3,16,16), keep 1 <= L <= 120,
target L - 1), written in the wsnas image layout.

Run by hand: /usr/bin/python3 tests/make_data_in16_fixture.py
test_data.c runs bench/tools/imagenet16_to_wsnas.py on the pickles and
compares its output with the expected files byte for byte."""
import os
import pickle
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "data_in16")


class Py2StyleArray:
    """Pickles like a Python 2 numpy array read with encoding='latin1':
    the raw data arrives as a str."""

    def __init__(self, arr):
        self.arr = arr

    def __reduce__(self):
        f, args, state = self.arr.__reduce__()
        state = list(state)
        state[-1] = state[-1].decode("latin1")
        return (f, args, tuple(state))


def batch(rng, n):
    data = rng.integers(0, 256, size=(n, 768), dtype=np.uint8)
    labels = rng.integers(1, 241, size=n)  # about half beyond 120
    labels[:3] = [1, 120, 121]
    return data, [int(x) for x in labels]


def write_expected(path, parts):
    data = np.vstack([d for d, _ in parts]).reshape(-1, 3, 16, 16)
    targets = sum((l for _, l in parts), [])
    keep = [(img, lab - 1) for img, lab in zip(data, targets) if 1 <= lab <= 120]
    with open(path, "wb") as f:
        f.write(b"WSNASIMG" + struct.pack("<6I", 1, len(keep), 120, 3, 16, 16))
        for img, t in keep:
            f.write(bytes([t]) + img.tobytes())
    return len(keep)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(16120)
    b1, b2, val = batch(rng, 24), batch(rng, 17), batch(rng, 19)
    with open(os.path.join(OUT, "train_data_batch_1"), "wb") as f:
        pickle.dump({"data": b1[0], "labels": b1[1], "mean": b1[0].mean(0)}, f, protocol=2)
    with open(os.path.join(OUT, "train_data_batch_2"), "wb") as f:  # labels as an int64 array
        pickle.dump({"data": b2[0], "labels": np.array(b2[1], dtype=np.int64)}, f, protocol=2)
    with open(os.path.join(OUT, "val_data"), "wb") as f:  # Python 2 style raw data
        pickle.dump({"data": Py2StyleArray(val[0]), "labels": val[1]}, f, protocol=2)
    # numpy itself reads them back as AutoDL would.
    for name, ref in (("train_data_batch_1", b1), ("train_data_batch_2", b2), ("val_data", val)):
        with open(os.path.join(OUT, name), "rb") as f:
            e = pickle.load(f, encoding="latin1")
        assert np.array_equal(e["data"], ref[0]) and list(e["labels"]) == ref[1], name
    n_tr = write_expected(os.path.join(OUT, "expected-train.wsimg"), [b1, b2])
    n_te = write_expected(os.path.join(OUT, "expected-test.wsimg"), [val])
    print("train %d of %d kept, test %d of %d" % (n_tr, 41, n_te, 19))


if __name__ == "__main__":
    main()
