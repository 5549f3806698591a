"""Files written so that nothing already written is lost: each goes to a
temporary file beside its target and is renamed over it only when complete.

A checkpoint is one ``.npz`` holding named arrays plus a JSON document
(``meta``) for everything that is not an array (counters, random generator
states, evaluation rows). It is read with ``allow_pickle=False``.
"""
import json
import os
import tempfile
from pathlib import Path

import numpy as np

FORMAT = "seqgan-np checkpoint 1"


def atomic_write(path, write):
    """Call ``write(file)`` on a temporary file, then rename it to ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_text(path, text):
    atomic_write(path, lambda f: f.write(text.encode()))


def save_checkpoint(path, arrays, meta):
    """arrays: name -> host numpy array; meta: a JSON-serialisable dict."""
    payload = dict(arrays)
    payload["meta"] = np.array(json.dumps({"format": FORMAT, **meta}, allow_nan=False))
    atomic_write(path, lambda f: np.savez(f, **payload))


def load_checkpoint(path):
    """(arrays, meta) of a checkpoint; a missing, truncated or corrupt file
    raises an error that names it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    if not path.is_file():
        raise ValueError(f"checkpoint {path} is not a file")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        meta = json.loads(str(arrays.pop("meta")))
    except PermissionError:  # not damaged, unreadable: the caller says so
        raise
    except Exception as e:  # noqa: BLE001 -- whatever a damaged file makes the readers raise
        # (zip's CRC and header checks, NumPy's header parser, JSON, memory for a
        # damaged size): all mean the same to the user
        raise ValueError(f"checkpoint {path} is truncated or corrupt "
                         f"({type(e).__name__}: {str(e)[:200]}); it cannot be resumed") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"checkpoint {path} is corrupt or not a {FORMAT!r} file")
    return arrays, meta
