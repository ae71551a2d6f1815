"""stubpickle.py: a restricted unpickler for the official benchmark files
(ImageNet16 batches, NATS-Bench archives) that needs neither numpy nor torch.

The official pickles refer to a few numpy globals (ndarray, dtype, scalar);
they are rebuilt here from their pickled state with `struct`.  Every other
global is refused (ConvertError), so no code named by a pickle is ever run:
only the (module, name) pairs of ALLOWED and of the `extra` argument load.
"""
import builtins
import codecs
import collections
import pickle
import struct


class ConvertError(Exception):
    """A bad input file: the message names the file and what was expected."""


class DType:
    """numpy.dtype(obj, align, copy); only the type string and byte order matter."""

    def __init__(self, obj="u1", align=False, copy=True):
        self.obj = obj if isinstance(obj, str) else str(obj)
        self.byteorder = "<"

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) > 1 and state[1] in ("<", ">", "|", "="):
            self.byteorder = "<" if state[1] in ("|", "=") else state[1]

    def struct_code(self):
        codes = {"u1": "B", "i1": "b", "u2": "H", "i2": "h", "u4": "I", "i4": "i",
                 "u8": "Q", "i8": "q", "f4": "f", "f8": "d", "b1": "?"}
        key = self.obj.lstrip("<>|=")
        if key not in codes:
            raise ConvertError("unsupported array dtype %r" % self.obj)
        return codes[key]


class Array:
    """A numpy.ndarray rebuilt from its pickled state: shape, dtype, raw bytes."""

    def __init__(self, *args):
        self.shape, self.dtype, self.raw, self.fortran = (0,), DType(), b"", False

    def __setstate__(self, state):
        if len(state) == 5:
            _, shape, dtype, fortran, raw = state
        elif len(state) == 4:
            shape, dtype, fortran, raw = state
        else:
            raise ConvertError("unexpected ndarray state of length %d" % len(state))
        if isinstance(raw, str):  # Python 2 pickle read with encoding='latin1'
            raw = raw.encode("latin1")
        if isinstance(raw, list):
            raise ConvertError("object arrays are not supported")
        self.shape, self.dtype, self.fortran, self.raw = tuple(shape), dtype, fortran, bytes(raw)

    def values(self):
        code = self.dtype.struct_code()
        n = len(self.raw) // struct.calcsize(code)
        return list(struct.unpack(self.dtype.byteorder + str(n) + code, self.raw))


def _reconstruct(cls, shape, typecode):
    return Array()


def _frombuffer(buf, dtype, shape, order):
    a = Array()
    a.shape, a.dtype, a.raw = tuple(shape), dtype, bytes(buf)
    return a


def _scalar(dtype, raw=None):
    """numpy.core.multiarray.scalar(dtype, bytes) -> a Python int/float/bool."""
    if isinstance(raw, str):
        raw = raw.encode("latin1")
    if not isinstance(dtype, DType) or not isinstance(raw, bytes):
        raise ConvertError("malformed numpy scalar")
    a = Array()
    a.dtype, a.raw = dtype, raw
    vals = a.values()
    if len(vals) != 1:
        raise ConvertError("numpy scalar of %d bytes for dtype %s" % (len(raw), dtype.obj))
    return vals[0]


NUMPY = {"_reconstruct": _reconstruct, "ndarray": Array, "dtype": DType,
         "scalar": _scalar, "_frombuffer": _frombuffer}
ALLOWED = {
    ("_codecs", "encode"): codecs.encode,  # bytes in Python 3 protocol-2 pickles
    ("collections", "OrderedDict"): collections.OrderedDict,
}
for _name in ("list", "dict", "tuple", "int", "float", "set", "frozenset"):
    ALLOWED[("builtins", _name)] = ALLOWED[("__builtin__", _name)] = getattr(builtins, _name)


class StubUnpickler(pickle.Unpickler):
    """pickle.Unpickler that resolves only numpy stand-ins and ALLOWED."""

    def find_class(self, module, name):
        if module.split(".")[0] == "numpy" and name in NUMPY:
            return NUMPY[name]
        if (module, name) in ALLOWED:
            return ALLOWED[(module, name)]
        raise ConvertError("unexpected object %s.%s in the pickle (refused)" % (module, name))


def load(fileobj, what, encoding="ASCII"):
    """Unpickles one object from fileobj; any failure is a ConvertError naming `what`."""
    try:
        return StubUnpickler(fileobj, encoding=encoding).load()
    except ConvertError as e:
        raise ConvertError("%s: %s" % (what, e))
    except Exception as e:  # truncated, not a pickle, bad compression
        raise ConvertError("%s: cannot unpickle: %s" % (what, e))
