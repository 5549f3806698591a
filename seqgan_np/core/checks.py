"""Input checks shared by every model: each failure is a ValueError that
names the argument (or the file and key) and what is wrong with it.

The checks run where data enters the library (a model's constructor, a
public method), not inside the loops. They work on NumPy and device arrays
alike and bring nothing to the host implicitly: a device array's verdict
comes back through an explicit ``bool`` or ``int`` (one synchronisation)."""
from numbers import Integral

import numpy as np

from ..backend import array_module


def is_positive_int(value):
    """An integer (Python's or NumPy's, not a bool) of at least 1."""
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= 1


def check_positive_int(value, name):
    if not is_positive_int(value):
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")


def is_array(values):
    """An array of any backend (NumPy's, CuPy's), not a list or a number."""
    return hasattr(values, "dtype") and hasattr(values, "shape")


def as_array(values, name):
    """``values`` as an array: an array of any backend as it is; anything
    else (a list, a tuple, nested lists of numbers) through np.asarray on
    the host. Never np.asarray on a device array: CuPy refuses it."""
    if is_array(values):
        return values
    try:
        return np.asarray(values)
    except (ValueError, TypeError) as e:  # ragged nested lists
        raise ValueError(f"{name}: not an array: {e}") from None


def check_finite(array, name):
    """Every entry of ``array`` (any backend) finite: no NaN, no inf."""
    xp = array_module(array)
    finite = xp.isfinite(array)
    if not bool(finite.all()):
        raise ValueError(f"{name}: {array.size - int(finite.sum())} of {array.size} entries "
                         f"are not finite (NaN or inf)")


def check_tokens(tokens, vocab_size, seq_len=None, name="tokens"):
    """Token ids: a 2-D integer array (n, T) of at least one row, with every
    id in [0, vocab_size). Lists (nested: one per row) are accepted.
    Returns the tokens as an array (of the backend they came in)."""
    tokens = as_array(tokens, name)
    if tokens.ndim != 2:
        raise ValueError(f"{name}: expected shape (n, T), got {tuple(tokens.shape)}")
    if tokens.shape[0] == 0:
        raise ValueError(f"{name}: no rows (shape {tuple(tokens.shape)})")
    if seq_len is not None and tokens.shape[1] != seq_len:
        raise ValueError(f"{name}: expected sequences of length {seq_len}, "
                         f"got shape {tuple(tokens.shape)}")
    if not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(f"{name}: token ids must be integers, got dtype {tokens.dtype}")
    if tokens.size:
        lo, hi = int(tokens.min()), int(tokens.max())
        if lo < 0 or hi >= vocab_size:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{name}: token id {bad} is out of range [0, {vocab_size})")
    return tokens


def check_float_array(array, shape, name):
    """A floating-point array (of any backend) of exactly ``shape``."""
    if not is_array(array):
        raise ValueError(f"{name}: expected a floating-point array, got {type(array).__name__}")
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"{name}: expected a floating-point array, got dtype {array.dtype}")
    if tuple(array.shape) != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)}, got {tuple(array.shape)}")


def check_keys(params, keys, source):
    """``params`` must be a dict holding exactly ``keys``. ``source`` (a file
    name or a model name) starts the message."""
    if not isinstance(params, dict):
        raise ValueError(f"{source}: expected a dict of parameters, got {type(params).__name__}")
    missing = [k for k in keys if k not in params]
    extra = [k for k in params if k not in keys]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected {', '.join(map(str, extra))}"] if extra else [])
        raise ValueError(f"{source}: wrong parameter keys: {'; '.join(parts)}")


def check_params(params, shapes, source):
    """``params`` must hold exactly the keys of ``shapes``, each a float array
    of that shape with every entry finite. ``source`` (a file name or a
    model name) starts the message."""
    check_keys(params, shapes, source)
    for key, shape in shapes.items():
        check_float_array(params[key], shape, f"{source}: parameter {key!r}")
        check_finite(params[key], f"{source}: parameter {key!r}")
