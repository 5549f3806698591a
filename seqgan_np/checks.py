"""Input checks shared by every model: each failure is a ValueError that
names the argument (or the file and key) and what is wrong with it."""
import numpy as np


def _dtype_of(array):
    """The dtype of an array of any backend, or of a host array-like. Never
    np.asarray on a device array: CuPy refuses implicit conversion."""
    dtype = getattr(array, "dtype", None)
    return np.dtype(dtype) if dtype is not None else np.asarray(array).dtype


def check_tokens(tokens, vocab_size, seq_len=None, name="tokens"):
    """Token ids: a 2-D integer array (n, T) with every id in [0, vocab_size)."""
    dtype = _dtype_of(tokens)
    if not np.issubdtype(dtype, np.integer):
        raise ValueError(f"{name}: token ids must be integers, got dtype {dtype}")
    if tokens.ndim != 2:
        raise ValueError(f"{name}: expected shape (n, T), got {tuple(tokens.shape)}")
    if seq_len is not None and tokens.shape[1] != seq_len:
        raise ValueError(f"{name}: expected sequences of length {seq_len}, "
                         f"got shape {tuple(tokens.shape)}")
    if tokens.size:
        lo, hi = int(tokens.min()), int(tokens.max())
        if lo < 0 or hi >= vocab_size:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{name}: token id {bad} is out of range [0, {vocab_size})")


def check_float_array(array, shape, name):
    """A floating-point array of exactly ``shape``."""
    dtype = _dtype_of(array)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"{name}: expected a floating-point array, got dtype {dtype}")
    if tuple(array.shape) != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)}, got {tuple(array.shape)}")


def check_params(params, shapes, source):
    """``params`` must hold exactly the keys of ``shapes``, each a float array
    of that shape. ``source`` (a file name or a model name) starts the message."""
    missing = [k for k in shapes if k not in params]
    extra = [k for k in params if k not in shapes]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected {', '.join(extra)}"] if extra else [])
        raise ValueError(f"{source}: wrong parameter keys: {'; '.join(parts)}")
    for key, shape in shapes.items():
        check_float_array(params[key], shape, f"{source}: parameter {key!r}")
