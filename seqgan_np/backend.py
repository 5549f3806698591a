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
        raise RuntimeError("backend 'cupy' asked for, but CuPy is not installed: pip install "
                           "cupy-cuda12x or cupy-cuda13x, the one that matches the CUDA version "
                           "nvidia-smi shows (pip install 'seqgan-np[gpu-cuda12]' or "
                           "'seqgan-np[gpu-cuda13]'; make ... CUDA=12|13)") from e
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


def array_module(array):
    """numpy or cupy, whichever ``array`` belongs to (cupy only if already imported)."""
    if isinstance(array, np.ndarray):
        return np
    return sys.modules[type(array).__module__.split(".")[0]]


def to_numpy(array):
    """Bring an array (NumPy or CuPy) to the host as a NumPy array."""
    if isinstance(array, np.ndarray):
        return array
    get = getattr(array, "get", None)
    return get() if get is not None else np.asarray(array)
