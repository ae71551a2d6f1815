"""wsfx.py: writer for WSFX reference-tensor files read by tests/fixture.c.

Layout (little endian): b"WSFX", uint32 version=1, uint32 count, then per
tensor: uint32 name length, name (utf-8, no NUL), uint32 ndim, int32 dims,
float64 data in row-major order.  Used by the fixture generators in tests/
(run by hand with /usr/bin/python3; CI only reads the committed files)."""
import struct

import numpy as np


def write(path, tensors):
    """tensors: dict name -> array-like (torch tensors are detached to numpy)."""
    items = []
    for name, value in tensors.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().double().numpy()
        items.append((name, np.ascontiguousarray(np.asarray(value, dtype=np.float64))))
    with open(path + ".tmp", "wb") as f:
        f.write(b"WSFX")
        f.write(struct.pack("<II", 1, len(items)))
        for name, arr in items:
            b = name.encode()
            f.write(struct.pack("<I", len(b)))
            f.write(b)
            f.write(struct.pack("<I", arr.ndim))
            f.write(struct.pack("<%di" % arr.ndim, *arr.shape))
            f.write(arr.astype("<f8").tobytes())
    import os
    os.replace(path + ".tmp", path)
