"""A study over seeds: one run folder per seed (seed-N/) under a study
folder that holds the study's settings (a JSON file) and its tables. Table
1 and the ablations both run this way: a finished seed is kept, an
interrupted one resumed from its checkpoint, the others started."""
import json
import time
from dataclasses import replace
from pathlib import Path

from ..run.checkpoint import write_text
from ..run.config import config_from_dict, config_to_dict
from ..run.progress import Progress
from ..run.runfolder import check_new_run, locked, make_folder
from ..run.runner import CHECKPOINT, Run

SEED_RESULTS = "results.json"  # in each seed's folder, once the seed is done


def start_study(out, state_file, files, overwrite, cfg, state, go):
    """In the folder ``out``, made and locked (one that holds another
    study's ``files`` is refused unless ``overwrite``): save the settings
    and ``state`` in ``state_file``, then return ``go()``."""
    out = Path(out)
    make_folder(out)
    with locked(out):
        check_new_run(out, overwrite, files)
        write_text(out / state_file, json.dumps({**state, "config": config_to_dict(cfg)}, indent=2))
        return go()


def resume_study(out, state_file, keys, go):
    """``go(cfg, state)`` with the settings and the ``keys`` of the state
    saved in ``out``/``state_file`` (a ValueError names a missing or
    corrupt file), in the locked folder."""
    path = Path(out) / state_file
    try:
        saved = json.loads(path.read_text())
        cfg, state = config_from_dict(saved["config"], str(path)), {k: saved[k] for k in keys}
    except FileNotFoundError:
        raise ValueError(f"{out} holds nothing to resume (no {state_file})") from None
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path} is corrupt: {e}") from None
    with locked(out):
        return go(cfg, state)


def run_seeds(recipe_of, cfg, n_seeds, out, overwrite, progress, name):
    """Seeds cfg.seed .. cfg.seed + n_seeds - 1, each a run of the recipe
    ``recipe_of(seed)`` in out/seed-N; returns their results in order."""
    progress, started, results = progress or Progress(), time.perf_counter(), []
    for seed in range(cfg.seed, cfg.seed + n_seeds):
        folder, recipe = Path(out) / f"seed-{seed}", recipe_of(seed)
        progress(name, seed - cfg.seed, n_seeds, started, f"| seed {seed} in {folder}", force=True)
        if not overwrite and (folder / SEED_RESULTS).exists():
            results.append(json.loads((folder / SEED_RESULTS).read_text()))
            continue
        if not overwrite and (folder / CHECKPOINT).exists():
            run = Run.resume(recipe, folder, progress)
        else:
            run = Run(recipe, replace(cfg, seed=seed), folder, progress, overwrite=overwrite)
        results.append(run.run())
    return results
