"""A stand-in for CuPy, built on NumPy, that is as strict as CuPy: the CPU
test suite runs every public path of seqgan-np on it (no GPU needed).

Like CuPy's arrays, its ``ndarray``:
- refuses implicit conversion to NumPy (``np.asarray(a)``, ``np.exp(a)``,
  ``np.concatenate([a])`` raise TypeError); only ``a.get()`` or
  ``asnumpy(a)`` bring it to the host;
- refuses arithmetic, comparison and indexing with NumPy arrays (NumPy
  scalars and Python numbers are fine, as on CuPy);
- gives 0-d arrays, not scalars, from reductions and element indexing;
- is a copy of the host data made by ``asarray`` (a later change of the
  host array does not reach it).
It covers the subset of CuPy that seqgan-np uses, nothing more. Loaded as
``cupy`` by tests/test_backends.py (``sys.modules``) or by putting this
folder first on PYTHONPATH for a subprocess.
"""
import numpy as np

__version__ = "stand-in"
IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly.")


def _unwrap(value):
    """The NumPy data behind stand-in arrays (also inside tuples and lists);
    a NumPy array is refused, as CuPy refuses it."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, np.ndarray):
        raise TypeError(f"Unsupported type {type(value)} (a NumPy array mixed with device arrays)")
    if isinstance(value, (tuple, list)):
        return type(value)(_unwrap(v) for v in value)
    return value


def _wrap(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return ndarray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    return value


def _call(fn, args, kwargs):
    """fn on unwrapped arguments; an ``out=`` stand-in is written and returned."""
    out = kwargs.get("out")
    result = fn(*_unwrap(list(args)), **{k: _unwrap(v) for k, v in kwargs.items()})
    return out if isinstance(out, ndarray) else _wrap(result)


class ndarray:
    __array_ufunc__ = None  # NumPy's ufuncs and binary operators defer to us, and we refuse

    def __init__(self, data):
        self._a = data

    def __array__(self, *args, **kwargs):
        raise TypeError(IMPLICIT)

    def __array_function__(self, *args, **kwargs):
        raise TypeError(IMPLICIT)

    def get(self):
        return self._a.copy()

    # attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def __repr__(self):
        return f"standin_cupy.{self._a!r}"

    # conversions a device array allows (they synchronise on CuPy)
    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __bool__(self):
        return bool(self._a)

    def __getitem__(self, index):
        return _wrap(self._a[_unwrap(index)])

    def __setitem__(self, index, value):
        self._a[_unwrap(index)] = _unwrap(value)


def _method(name):
    def method(self, *args, **kwargs):
        return _call(getattr(np.ndarray, name), (self,) + args, kwargs)
    method.__name__ = name
    return method


for _name in ("reshape", "transpose", "ravel", "copy", "astype", "sum", "max", "min", "mean",
              "std", "any", "all", "argmax", "cumsum", "fill"):
    setattr(ndarray, _name, _method(_name))


def _operator(name):
    numpy_op = getattr(np.ndarray, name)

    def op(self, *args):
        result = numpy_op(self._a, *_unwrap(list(args)))
        if name.startswith("__i") and name != "__invert__":  # in place: the same array, changed
            return self
        return _wrap(result)
    op.__name__ = name
    return op


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
              "and", "or", "xor"):
    for _form in ("__{}__", "__r{}__", "__i{}__"):
        setattr(ndarray, _form.format(_name), _operator(_form.format(_name)))
for _name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__",
              "__neg__", "__pos__", "__abs__", "__invert__"):
    setattr(ndarray, _name, _operator(_name))


def asarray(a, dtype=None):
    """A device copy of host data (a stand-in array is returned as it is)."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    return ndarray(np.array(a, dtype=dtype))


array = asarray


def asnumpy(a):
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


def _function(fn):
    def f(*args, **kwargs):
        return _call(fn, args, kwargs)
    f.__name__ = fn.__name__
    return f


for _name in ("zeros", "zeros_like", "empty", "empty_like", "full", "ones", "arange",
              "concatenate", "stack", "tile", "broadcast_to", "exp", "log", "log1p", "tanh",
              "sqrt", "maximum", "minimum", "where", "cumsum", "nextafter", "multiply",
              "divide", "matmul", "sum", "abs", "isfinite"):
    globals()[_name] = _function(getattr(np, _name))


class _Add:
    """cupy.add, with ``add.at`` (an unbuffered scatter-add)."""
    __call__ = staticmethod(_function(np.add))

    @staticmethod
    def at(a, indices, values):
        np.add.at(_unwrap(a), _unwrap(indices), _unwrap(values))


add = _Add()
float32, float64, int64, int32, bool_ = np.float32, np.float64, np.int64, np.int32, np.bool_


class _Null:
    @staticmethod
    def synchronize():
        pass


class cuda:  # noqa: N801 (CuPy's name)
    class runtime:  # noqa: N801
        @staticmethod
        def getDeviceCount():  # noqa: N802
            return 1

    class Stream:  # noqa: N801
        null = _Null()
