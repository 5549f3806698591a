"""The runner: a list of phases (Algorithm 1's loops from ``core/seqgan.py``
and a study's own) run in order in a run folder, with evaluations after
units, progress lines, checkpoints and resume around them.

A study is a ``Recipe``: ``build(run)`` makes the models, optimiser states,
data arrays and the phases; ``evaluate`` makes one evaluation row;
``write_outputs`` the files at the end. A checkpoint, written after every
phase and every ``checkpoint_every`` units, holds every model, Adam state,
data array, random state and counter by name, so that a resumed run ends
with exactly the numbers of an uninterrupted one.
"""
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..backend import get_xp, to_numpy
from ..core.checks import check_tokens
from .checkpoint import load_checkpoint, save_checkpoint, write_text
from .code import CODES
from .config import config_from_dict, config_to_dict
from .progress import Progress
from .runfolder import check_new_run, locked, make_folder, remove_leftovers

CHECKPOINT = "checkpoint.npz"
# Streams were once a list, found by position; these keep their positions
# (and so their seeds). Any other name gets a key made of its letters.
ROW_FIELDS = ("branch", "epoch", "nll_oracle", "nll_test", "d_accuracy", "d_loss",
              "mean_reward", "seconds")  # an evaluation row
FIRST_STREAMS = ("init", "data", "pretrain_g", "mle_branch", "d_train", "adversarial", "rollout",
                 "eval", "valid", "ss", "bleu", "bleu_rollout", "constant", "final")


LABELS = {"nll_oracle": "NLL-oracle", "nll_test": "NLL-test"}


class NonFiniteError(ValueError):
    """A loss, gradient norm, reward or evaluation that is not a finite number."""


class Streams(dict):
    """One random generator per purpose, found by name, made on first use
    from the root seed and the name alone."""

    def __init__(self, seed):
        super().__init__()
        self.seed = seed

    def __missing__(self, name):
        key = (FIRST_STREAMS.index(name),) if name in FIRST_STREAMS else tuple(name.encode())
        self[name] = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))
        return self[name]


@dataclass
class Branch:
    """The evaluations along a phase: rows named ``name``, of ``model``, at
    epoch ``first + unit``; with a discriminator ``D``, the rows add its
    accuracy, loss and reward."""
    name: str
    model: object
    first: int = 0
    D: object = None


@dataclass
class Recipe:
    name: str
    build: Callable  # (run) -> list of Phase; fills run.models, run.opt_state, run.data
    evaluate: Callable  # (run, branch name, epoch, model, D or None) -> appends to run.rows
    write_outputs: Callable  # (run) -> results dict
    data_rows: Callable  # (cfg) -> {data name: rows}
    check_record: Callable = lambda meta, run: None  # raises ValueError on a malformed record
    record: dict = field(default_factory=dict)  # JSON state beyond the rows: each key with an empty value of its type
    row_fields: tuple = ROW_FIELDS  # the keys of an evaluation row
    headline: str = "nll_oracle"  # the row's figure the progress line shows (never None)


class Run:
    """One run of ``recipe`` with settings ``cfg`` in the folder ``out``.
    A new run refuses a folder that holds another run unless ``overwrite``;
    ``Run.resume`` goes on with the run saved in a folder (see runfolder.py)."""

    def __init__(self, recipe, cfg, out, progress=None, overwrite=False, oracle=None):
        self.recipe, self.cfg, self.out, self.overwrite = recipe, cfg, Path(out), overwrite
        self.resumed, self.unit = False, ("set-up", 0)  # (phase, unit): named when a number is not finite
        self.xp, self.code, self.dtype = get_xp(cfg.backend), CODES[cfg.code], np.dtype(cfg.dtype)
        self.progress = progress or Progress()
        self.rng = Streams(cfg.seed)
        self.oracle = oracle
        self.models, self.opt_state, self.rows, self.branches = {}, {}, [], {}
        self.data = {k: np.zeros((n, cfg.seq_len), dtype=np.int64)
                     for k, n in recipe.data_rows(cfg).items()}  # filled by the data phase
        self.record = {k: type(v)() for k, v in recipe.record.items()}
        self.phases = recipe.build(self)
        self.done = {p.name: 0 for p in self.phases}  # units finished per phase
        self.seconds = {p.name: 0.0 for p in self.phases}

    def run(self):
        """Run (or go on with) every phase, then write the outputs. The
        folder is locked meanwhile; a number that is not finite stops the
        run at once (NonFiniteError), leaving the last good checkpoint."""
        make_folder(self.out)
        with locked(self.out):
            if self.resumed:
                remove_leftovers(self.out)
            else:
                check_new_run(self.out, self.overwrite)
            write_text(self.out / "config.json", json.dumps(config_to_dict(self.cfg), indent=2))
            for phase in self.phases:
                self._run_phase(phase)
            return self.recipe.write_outputs(self)

    def _run_phase(self, phase):
        name, total = phase.name, phase.units
        started = time.perf_counter() - self.seconds[name]
        if self.done[name] == 0:
            self.unit = (name, 0)
            if phase.start:
                phase.start()  # set-up at the first unit, never repeated on resume
            self.seconds[name] = time.perf_counter() - started
        while self.done[name] < total:
            t0, n_rows = time.perf_counter(), len(self.rows)
            self.unit = (name, self.done[name] + 1)
            phase.step()
            self.done[name] += 1
            branch, done = self.branches.get(name), self.done[name]
            if branch and (done % self.cfg.eval_every == 0 or done == total):
                self.recipe.evaluate(self, branch.name, branch.first + done, branch.model,
                                     branch.D)
            self.seconds[name] += time.perf_counter() - t0
            row = self.rows[-1] if len(self.rows) > n_rows else None
            key = self.recipe.headline
            note = f"| {row['branch']} epoch {row['epoch']}: {LABELS.get(key, key)} {row[key]:.3f}" \
                if row else ""
            self.progress(name, done, total, started, note, force=done == total)
            if done == total or done % self.cfg.checkpoint_every == 0:
                self.save()

    def finite(self, quantity, value):
        """``value`` (a float or an array), or NonFiniteError naming the phase,
        the unit and the quantity."""
        ok = math.isfinite(value) if isinstance(value, float) else bool(self.xp.isfinite(value).all())
        if not ok:
            phase, unit = self.unit
            what = {"data": "step", "pretrain_d": "round"}.get(phase, "epoch")
            kept = (f"its last good checkpoint stays in {self.out / CHECKPOINT}"
                    if (self.out / CHECKPOINT).exists() else "no checkpoint had been written yet")
            raise NonFiniteError(f"phase {phase}, {what} {unit}: {quantity} is not finite; "
                                 f"the run stops here and {kept}")
        return value

    # -------------------------------------------------------- checkpointing
    def arrays(self):
        """Every array a checkpoint holds, by name, on the host."""
        arrays = {}
        for name, m in self.models.items():
            arrays.update({f"{name}/{k}": to_numpy(v) for k, v in m.params.items()})
        for name, st in self.opt_state.items():
            arrays.update({f"{name}.adam_m/{k}": to_numpy(v) for k, v in st.m.items()})
            arrays.update({f"{name}.adam_v/{k}": to_numpy(v) for k, v in st.v.items()})
        if self.done.get("data"):  # the real data, once made
            arrays.update({f"data/{k}": v for k, v in self.data.items()})
        return arrays

    def save(self):
        meta = {"config": config_to_dict(self.cfg), "recipe": self.recipe.name, "done": self.done,
                "seconds": self.seconds, "rows": self.rows,
                "adam_t": {name: st.t for name, st in self.opt_state.items()},
                "rng": {k: r.bit_generator.state for k, r in self.rng.items()}, **self.record}
        save_checkpoint(self.out / CHECKPOINT, self.arrays(), meta)

    @classmethod
    def resume(cls, recipe, out, progress=None):
        """The run saved in ``out``, ready to go on with ``run()``.
        Everything comes from the checkpoint (the oracle too), so it resumes
        from any working folder; a checkpoint that does not hold what a run
        of its own settings needs is refused as corrupt, naming it."""
        path = Path(out) / CHECKPOINT
        arrays, meta = load_checkpoint(path)

        def corrupt(why):
            return ValueError(f"checkpoint {path} is corrupt: {why}; it cannot be resumed")

        try:
            cfg = config_from_dict(meta.get("config"), str(path))
            if meta.get("recipe", recipe.name) != recipe.name:
                raise ValueError(f"it holds a run of {meta['recipe']!r}, not of {recipe.name!r}")
            xp = get_xp(cfg.backend)
            oracle = arrays.get("oracle/embedding") is not None and CODES[cfg.code].model(
                {k[len("oracle/"):]: xp.asarray(v) for k, v in arrays.items()
                 if k.startswith("oracle/")}, cfg.seq_len, xp=xp, name="oracle")  # checked like any model
            if oracle and oracle.vocab_size != cfg.vocab_size:
                raise ValueError(f"the oracle's vocabulary is {oracle.vocab_size}, "
                                 f"the setting vocab_size={cfg.vocab_size}")
        except ValueError as e:
            raise corrupt(e) from None
        run = cls(recipe, cfg, out, progress, oracle=oracle or None)  # text runs have none
        run.resumed = True
        has_data = "data/train" in arrays
        run.done["data"] = int(has_data)  # for the arrays expected
        expected = {k: (v.shape, v.dtype) for k, v in run.arrays().items()}
        for key, (shape, dtype) in expected.items():
            got = arrays.get(key)
            if got is None or got.shape != shape or got.dtype != dtype:
                raise corrupt(f"array {key!r} is missing or has the wrong shape or dtype")
        try:
            meta = check_meta(meta, run, has_data)
            for k in run.data if has_data else ():
                check_tokens(arrays[f"data/{k}"], cfg.vocab_size, cfg.seq_len, f"data/{k}")
            run._restore(arrays, meta)
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            raise corrupt(e) from None
        return run

    def _restore(self, arrays, meta):
        """Parameters, optimiser states, data, random states and counters."""
        xp = self.xp
        for name, m in self.models.items():
            for k in m.params:
                m.params[k][...] = xp.asarray(arrays[f"{name}/{k}"])
        for name, st in self.opt_state.items():
            for k in st.m:
                st.m[k][...] = xp.asarray(arrays[f"{name}.adam_m/{k}"])
                st.v[k][...] = xp.asarray(arrays[f"{name}.adam_v/{k}"])
            st.t = meta["adam_t"][name]
        if self.done["data"]:
            for k, v in self.data.items():
                v[...] = arrays[f"data/{k}"]
        for k, state in meta["rng"].items():
            self.rng[k].bit_generator.state = state
        self.done, self.seconds, self.rows = meta["done"], meta["seconds"], meta["rows"]
        self.record.update({k: meta[k] for k in self.record})


def check_meta(meta, run, has_data):
    """The checkpoint's counters, times, rows, Adam steps and random states,
    checked for their keys, types and ranges (a ValueError that says what is
    wrong), then the recipe's record; returns them."""
    def expect(ok, why):
        if not ok:
            raise ValueError(why)

    keys = {"config", "done", "seconds", "rows", "adam_t", "rng", *run.record}
    expect(isinstance(meta, dict) and keys <= meta.keys(), f"meta lacks {sorted(keys - set(meta))}")
    done, seconds, phases = meta["done"], meta["seconds"], {p.name: p.units for p in run.phases}
    expect(isinstance(done, dict) and set(done) == set(phases), "done: expected one count per phase")
    for phase, units in phases.items():
        expect(count(done[phase], units), f"done[{phase!r}]={done[phase]!r}: not a count in [0, {units}]")
    expect((done["data"] == 1) == has_data, "the data phase and the data arrays disagree")
    expect(isinstance(seconds, dict) and set(seconds) == set(phases)
           and all(finite_number(v) and v >= 0 for v in seconds.values()),
           "seconds: expected a non-negative number per phase")
    rows, branches = meta["rows"], {b.name for b in run.branches.values()}
    required = (run.recipe.headline, "nll_test", "seconds")
    expect(isinstance(rows, list), "rows: expected a list")
    for row in rows:
        expect(isinstance(row, dict) and set(row) == set(run.recipe.row_fields)
               and row["branch"] in branches and count(row["epoch"])
               and all(finite_number(row[k]) for k in required)
               and all(row[k] is None or finite_number(row[k]) for k in row
                       if k not in ("branch", "epoch", *required)),
               f"an evaluation row is malformed: {str(row)[:200]}")
    adam_t = meta["adam_t"]
    expect(isinstance(adam_t, dict) and set(adam_t) == set(run.opt_state)
           and all(count(t) for t in adam_t.values()),
           "adam_t: expected a non-negative step count per optimiser")
    expect(isinstance(meta["rng"], dict) and all(isinstance(k, str) and isinstance(v, dict)
                                                 for k, v in meta["rng"].items()),
           "rng: expected a generator state per stream name")
    run.recipe.check_record(meta, run)
    return meta


def finite_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def count(v, most=math.inf):
    """An int (not a bool) in [0, most]."""
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= most
