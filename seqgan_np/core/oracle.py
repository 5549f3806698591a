"""The oracle: an LSTM language model with N(0, 1) weights that plays the
"real" data distribution of the synthetic experiment.

``make_oracle`` builds one from a seed; ``load_oracle`` reads the original
SeqGAN oracle, either as an ``.npz`` with one array per gate or as the
original ``target_params_py3.pkl`` (a pickled list of the same 15 arrays).
The pickle goes through an unpickler that permits numpy's array
reconstruction and nothing else, so a file naming any other global is refused
before anything in it runs.

The original file is ``save/target_params_py3.pkl`` of the authors'
repository (github.com/LantaoYu/SeqGAN); ``load_oracle`` reads it as it is.
"""
import errno
import pickle
from pathlib import Path

import numpy as np

from .checks import check_keys, check_params
from .lm import LanguageModel, init_lm_params

# The original's per-gate arrays, in the pickle's order.
ORIGINAL_KEYS = ("embedding", "W_i", "U_i", "b_i", "W_f", "U_f", "b_f",
                 "W_o", "U_o", "b_o", "W_c", "U_c", "b_c", "W_out", "b_out")
GATES = ("i", "f", "o", "c")  # stacked in this order; "c" is the candidate g

# Globals a pickle of plain numpy arrays needs (numpy 1.x and 2.x spellings).
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
}


def make_oracle(seed, vocab_size=5000, emb_dim=32, hidden_dim=32, seq_len=20,
                xp=np, dtype=np.float32, model=LanguageModel, **kwargs):
    """An oracle with every weight N(0, 1), as the original, from ``seed``:
    a ``model`` (the class: LanguageModel or its fast twin)."""
    params = init_lm_params(np.random.default_rng(seed), vocab_size, emb_dim, hidden_dim,
                            1.0, xp, dtype)
    return model(params, seq_len, xp=xp, name="oracle", **kwargs)


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")


def _too_large(path, e):
    """The error for a file that asks for more memory than there is."""
    return ValueError(f"{path}: asks for an array too large for memory "
                      f"({str(e) or 'size unknown'}); is it an oracle parameters file?")


def _read_pickle(path):
    with open(path, "rb") as f:  # an unreadable file: the OSError names it
        try:
            arrays = _ArraysOnlyUnpickler(f, encoding="latin1").load()
        except MemoryError as e:  # an array header asking for 10^12 entries
            raise _too_large(path, e) from None
        except Exception as e:  # noqa: BLE001 -- a refused global, or whatever a damaged pickle raises
            raise ValueError(f"{path}: refused or unreadable pickle: {e}") from None
    if not isinstance(arrays, (list, tuple)) or len(arrays) != len(ORIGINAL_KEYS):
        raise ValueError(f"{path}: expected a list of {len(ORIGINAL_KEYS)} arrays "
                         f"({', '.join(ORIGINAL_KEYS)})")
    return dict(zip(ORIGINAL_KEYS, arrays))


def _read_npz(path):
    with open(path, "rb") as f:  # an unreadable file: the OSError names it
        try:
            with np.load(f, allow_pickle=False) as npz:
                return {k: npz[k] for k in npz.files}
        except MemoryError as e:  # a header asking for more than there is
            raise _too_large(path, e) from None
        except Exception as e:  # noqa: BLE001 -- zip's checks, NumPy's header parser, ...
            raise ValueError(f"{path}: not a readable .npz file "
                             f"({type(e).__name__}: {str(e)[:200]})") from None


def _dims(arrays, key, axes, source):
    """The shape of arrays[key], which must be an array with len(axes) axes."""
    array = arrays[key]
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{source}: parameter {key!r}: expected an array, "
                         f"got {type(array).__name__}")
    if array.ndim != len(axes):
        raise ValueError(f"{source}: parameter {key!r}: expected a {len(axes)}-D array "
                         f"({', '.join(axes)}), got shape {array.shape}")
    return array.shape


def stack_gates(arrays, source):
    """Per-gate arrays (the original's layout) -> LanguageModel parameters.
    Every array is checked (keys, type, shape, finite) before any is used;
    the sizes come from ``embedding`` (V, E) and ``U_i`` (H, H)."""
    check_keys(arrays, ORIGINAL_KEYS, source)
    (V, E), (H, _) = _dims(arrays, "embedding", "VE", source), _dims(arrays, "U_i", "HH", source)
    shapes = {"embedding": (V, E), "W_out": (H, V), "b_out": (V,)}
    for g in GATES:
        shapes.update({f"W_{g}": (E, H), f"U_{g}": (H, H), f"b_{g}": (H,)})
    check_params(arrays, shapes, source)
    return {"embedding": arrays["embedding"],
            "W": np.concatenate([arrays[f"W_{g}"] for g in GATES], axis=1),  # (E, 4H)
            "U": np.concatenate([arrays[f"U_{g}"] for g in GATES], axis=1),  # (H, 4H)
            "b": np.concatenate([arrays[f"b_{g}"] for g in GATES]),  # (4H,)
            "W_out": arrays["W_out"], "b_out": arrays["b_out"]}


def _read_original(path):
    """The arrays of an oracle file (.npz or the original .pkl), as read (unchecked)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, not an oracle parameters "
                                "file (.npz or .pkl)", str(path))
    if not path.is_file():
        raise FileNotFoundError(f"oracle parameters file not found: {path}")
    return _read_pickle(path) if path.suffix == ".pkl" else _read_npz(path)


def original_arrays(path):
    """The 15 per-gate arrays of an oracle file (.npz or the original .pkl),
    checked (keys, shapes, finite entries): ``np.savez(out, **original_arrays(pkl))``
    converts the original pickle to an .npz."""
    arrays = _read_original(path)
    stack_gates(arrays, str(path))  # checks every array
    return {k: arrays[k] for k in ORIGINAL_KEYS}


def load_oracle(path, seq_len=20, xp=np, dtype=np.float32, model=LanguageModel, **kwargs):
    """The original oracle from ``path`` (.npz or the original .pkl), as a
    ``model`` (the class: LanguageModel or its fast twin)."""
    params = stack_gates(_read_original(path), str(path))
    params = {k: xp.asarray(np.asarray(v, dtype=dtype)) for k, v in params.items()}
    return model(params, seq_len, xp=xp, name="oracle", **kwargs)
