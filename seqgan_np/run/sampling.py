"""Sequences from a saved run's generator: ``python -m seqgan_np sample``."""
import math
from pathlib import Path

import numpy as np

from ..experiments.baselines import tempered
from ..experiments.corpus import Vocabulary, as_text
from .checkpoint import load_checkpoint
from .code import CODES
from .config import config_from_dict
from .runner import CHECKPOINT

SAMPLE_MODELS = {"seqgan": "G", "mle": "G_mle", "constant": "G_const"}  # their checkpoint names


def sample_run(folder, n=20, temperature=1.0, seed=0, model="seqgan"):
    """``n`` samples of the run's ``model`` generator at ``temperature``, as
    lines: text where the run has a vocabulary (a text run), ids otherwise."""
    if n < 1:
        raise ValueError(f"--n {n}: expected at least 1")
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"--temperature {temperature}: expected a positive number")
    path = Path(folder) / CHECKPOINT
    if not path.is_file():
        raise ValueError(f"{folder}: no {CHECKPOINT} (not a run folder, or a run not started)")
    arrays, meta = load_checkpoint(path)
    cfg = config_from_dict(meta.get("config"), str(path))
    prefix = SAMPLE_MODELS[model] + "/"
    params = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
    if not params:
        raise ValueError(f"{path} holds no {model} generator ({prefix[:-1]})")
    G = CODES["fast"].model(params, cfg.seq_len, name=f"{model} of {folder}")
    ids = (G if temperature == 1.0 else tempered(G, temperature)).sample(n, np.random.default_rng(seed))
    tokens = meta.get("vocabulary")
    if not tokens:
        return [" ".join(map(str, row)) for row in ids.tolist()]
    return as_text(Vocabulary(tokens), ids, cfg.tokenizer)
