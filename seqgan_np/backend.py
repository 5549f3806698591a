"""The one place that chooses the array library (``xp``): NumPy or CuPy.

Every other module receives ``xp`` as an argument and never imports CuPy, so
the whole library runs unchanged on either backend. The choice is made once
per run: ``get_xp(name)``, or the ``SEQGAN_BACKEND`` environment variable when
no name is given.
"""
import os
import sys

import numpy as np

BACKENDS = ("numpy", "cupy")
ENV_VAR = "SEQGAN_BACKEND"
THREADS_VAR = "SEQGAN_THREADS"  # threads for chunked NumPy work (default 1)
_pools = {}  # thread count -> executor, made on first use


def get_xp(name=None):
    """Return the array module for backend ``name`` ('numpy' or 'cupy').

    ``None`` reads ``$SEQGAN_BACKEND`` (default 'numpy'). Asking for CuPy where
    it is not installed, or where no GPU is visible, fails at once.
    """
    if name is None:
        name = os.environ.get(ENV_VAR, "numpy") or "numpy"
    name = name.strip().lower()
    if name == "numpy":
        return np
    if name != "cupy":
        raise ValueError(f"unknown backend {name!r} (setting {ENV_VAR} or --backend): "
                         f"choose one of {', '.join(BACKENDS)}")
    try:
        import cupy
    except ImportError as e:
        raise RuntimeError("backend 'cupy' asked for, but CuPy is not installed: "
                           "pip install 'seqgan-np[gpu]' (CuPy for CUDA 12)") from e
    try:
        n_gpus = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDA driver missing or broken
        raise RuntimeError(f"backend 'cupy' asked for, but no GPU is visible: {e}") from e
    if n_gpus == 0:
        raise RuntimeError("backend 'cupy' asked for, but no GPU is visible")
    return cupy


def backend_name(xp):
    """'numpy' or 'cupy' for an array module returned by ``get_xp``."""
    return "numpy" if xp is np else xp.__name__


def array_module(a):
    """numpy or cupy, whichever ``a`` belongs to (cupy only if already imported)."""
    if isinstance(a, np.ndarray):
        return np
    return sys.modules[type(a).__module__.split(".")[0]]


def to_numpy(a):
    """Bring an array (NumPy or CuPy) to the host as a NumPy array."""
    if isinstance(a, np.ndarray):
        return a
    get = getattr(a, "get", None)
    return get() if get is not None else np.asarray(a)


def n_threads():
    """Threads for chunked NumPy work: $SEQGAN_THREADS, default 1. On the
    project's 2-core machine two threads were slower (sampling 10,000
    sequences 5.2 s against 4.5 s): each chunk's matrix product already uses
    BLAS's own threads, and both together oversubscribe the cores."""
    value = os.environ.get(THREADS_VAR, "")
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        raise ValueError(f"{THREADS_VAR}={value!r}: expected a positive integer") from None


def for_each_chunk(xp, n, size, fn):
    """Call ``fn(rows)`` for consecutive slices of ``size`` rows covering
    range(n). The chunks must be independent (each writes only its own rows).

    With $SEQGAN_THREADS above 1 the chunks run on a pool of threads on the
    NumPy backend (NumPy releases the GIL inside its loops and BLAS calls);
    otherwise, and always on CuPy, they run in order. Results do not depend
    on the order in which chunks finish."""
    chunks = [slice(s, min(s + size, n)) for s in range(0, n, size)]
    threads = n_threads() if xp is np else 1
    if threads == 1 or len(chunks) == 1:
        for rows in chunks:
            fn(rows)
        return
    if threads not in _pools:
        from concurrent.futures import ThreadPoolExecutor
        _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="seqgan-np")
    for done in [_pools[threads].submit(fn, rows) for rows in chunks]:
        done.result()  # re-raises a chunk's exception


def keep_freed_memory():
    """Ask glibc's malloc to keep freed blocks instead of returning them to
    the kernel (the runtime form of GLIBC_TUNABLES=glibc.malloc.mmap_threshold=
    1000000000:glibc.malloc.trim_threshold=1000000000). The hot loops free and
    reallocate arrays of tens of MB every step; without this each one is
    page-faulted in again, which costs more than the arithmetic. Returns
    whether the setting took (False off glibc)."""
    import ctypes
    import ctypes.util
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 30)) and \
            bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False
