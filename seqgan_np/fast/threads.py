"""Execution machinery of the fast twins, nothing of the paper's math:
threads for independent chunks of rows, OpenBLAS's thread count, and glibc's
malloc settings.

On the NumPy backend chunks of rows run on a pool of ``n_threads()`` threads
(NumPy releases the GIL in its loops and BLAS calls) while BLAS is made
single-threaded, so that the two kinds of threads do not fight over the
cores and the numbers do not depend on the thread count.
"""
import contextlib
import ctypes
import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

THREADS_VAR = "SEQGAN_THREADS"  # threads for chunked NumPy work (default: all cores)
_pools = {}  # thread count -> executor, made on first use


def n_threads():
    """Threads for chunked NumPy work: $SEQGAN_THREADS, by default the cores
    this process may use."""
    value = os.environ.get(THREADS_VAR, "")
    try:
        return max(1, int(value)) if value else len(os.sched_getaffinity(0))
    except ValueError:
        raise ValueError(f"{THREADS_VAR}={value!r}: expected a positive integer") from None
    except AttributeError:  # no sched_getaffinity (macOS, Windows)
        return os.cpu_count() or 1


@functools.lru_cache(maxsize=None)
def _openblas_threads_api():
    """(get, set) for the thread count of the OpenBLAS that NumPy loaded, or
    None where there is none we can find (another BLAS, not Linux)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps
                            if "openblas" in line.lower() and ".so" in line})
    except OSError:
        return None
    names = [(f"{p}_get_num_threads{s}", f"{p}_set_num_threads{s}")
             for p in ("scipy_openblas", "openblas") for s in ("64_", "")]
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get, set_ in names:
            if hasattr(lib, get) and hasattr(lib, set_):
                return getattr(lib, get), getattr(lib, set_)
    return None


@contextlib.contextmanager
def blas_single_threaded(xp=np):
    """BLAS runs on the calling thread only inside the block (restored after),
    leaving the cores to ``for_each_chunk``'s threads, and whatever
    $SEQGAN_THREADS is, so that the numbers do not depend on it. Does
    nothing on CuPy, or where NumPy's OpenBLAS cannot be found."""
    api = _openblas_threads_api() if xp is np else None
    if api is None:
        yield
        return
    get, set_ = api
    before = get()
    set_(1)
    try:
        yield
    finally:
        set_(before)


def for_each_chunk(xp, n, size, fn):
    """Call ``fn(rows)`` for consecutive slices of ``size`` rows covering
    range(n). The chunks must be independent (each writes only its own rows).

    On the NumPy backend the chunks run on a pool of ``n_threads()`` threads
    (NumPy releases the GIL inside its loops and BLAS calls), with BLAS made
    single-threaded meanwhile so that the two kinds of threads do not fight
    over the cores. Where NumPy's BLAS is not an OpenBLAS whose thread count
    can be set, and always on CuPy, the chunks run in order on one thread.
    Results do not depend on the order in which chunks finish."""
    chunks = [slice(s, min(s + size, n)) for s in range(0, n, size)]
    threads = n_threads() if xp is np and _openblas_threads_api() else 1
    if len(chunks) == 1:  # BLAS as it is, whatever the thread count
        fn(chunks[0])
        return
    with blas_single_threaded(xp):  # for one thread too: the same numbers as for several
        if threads == 1:
            for rows in chunks:
                fn(rows)
            return
        if threads not in _pools:
            _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="seqgan-np")

        def every(i):  # thread i takes chunks i, i + threads, ...: balanced, one task each
            for rows in chunks[i::threads]:
                fn(rows)

        for done in [_pools[threads].submit(every, i) for i in range(threads)]:
            done.result()  # re-raises a chunk's exception


def keep_freed_memory():
    """Ask glibc's malloc to keep freed blocks instead of returning them to
    the kernel (the runtime form of GLIBC_TUNABLES=glibc.malloc.mmap_threshold=
    1000000000:glibc.malloc.trim_threshold=1000000000). The hot loops free and
    reallocate arrays of tens of MB every step; without this each one is
    page-faulted in again, which costs more than the arithmetic. Returns
    whether the setting took (False off glibc)."""
    import ctypes.util
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 30)) and \
            bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False
