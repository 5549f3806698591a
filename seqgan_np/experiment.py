"""Algorithm 1 of the SeqGAN paper end to end, on the synthetic oracle task.

Phases, in order (each a loop of units: epochs, or discriminator rounds):

  data        sample the real data from the oracle: n_train training and
              n_test held-out sequences; measure the oracle's entropy floor
              and the unigram "Random" baseline
  pretrain_g  pre-train G_theta by MLE on the training data
  mle_branch  from the pre-trained G_theta, go on with plain MLE for
              adv_epochs epochs: the MLE curve of the paper's Figure 2
  pretrain_d  pre-train D_phi: rounds of fresh negatives, d_epochs epochs each
  adversarial per epoch: g_steps policy-gradient steps on Q from Monte Carlo
              rollouts of G_beta; beta <- r beta + (1 - r) theta; d_steps
              discriminator rounds

The runner owns the loops, the evaluations, the progress lines (stderr), the
output files and the checkpoints; the library modules only compute. To read
Algorithm 1 alone, without this machinery, see ``minimal.train_seqgan``.
A checkpoint is written after every phase and every ``checkpoint_every``
units, holding parameters, optimiser states, generator states and counters,
so that a resumed run ends with exactly the numbers of an uninterrupted one.
"""
import copy
import csv
import io
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from .backend import backend_name, get_xp, to_numpy
from .baselines import sample_unigram
from .checkpoint import load_checkpoint, save_checkpoint, write_text
from .checks import check_tokens
from .config import config_from_dict, config_to_dict
from .data import shuffled_batches
from .discriminator import FAKE, REAL, Discriminator
from .lm import LanguageModel
from .metrics import nll_oracle, nll_test
from .optim import Adam
from .oracle import load_oracle, make_oracle
from .plots import plot_learning_curves
from .rollout import rollout_rewards, update_rollout_policy
from .runfolder import check_new_run, locked, make_folder, remove_leftovers

PHASES = ("data", "pretrain_g", "mle_branch", "pretrain_d", "adversarial")
STREAMS = ("init", "data", "pretrain_g", "mle_branch", "d_train", "adversarial",
           "rollout", "eval")  # one random stream per purpose
CSV_FIELDS = ("branch", "epoch", "nll_oracle", "nll_test", "d_accuracy", "d_loss",
              "mean_reward", "seconds")
CHECKPOINT = "checkpoint.npz"


class Progress:
    """Progress lines with an ETA on stderr, at most one per ``interval`` s."""

    def __init__(self, stream=sys.stderr, interval=5.0):
        self.stream, self.interval, self.last = stream, interval, 0.0

    def __call__(self, phase, done, total, started, note="", force=False):
        now = time.perf_counter()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        elapsed = now - started
        eta = elapsed / done * (total - done) if done > 0 else float("nan")
        print(f"[{phase}] {done:.1f}/{total} elapsed {_clock(elapsed)} ETA {_clock(eta)} {note}",
              file=self.stream, flush=True)


def _clock(seconds):
    if seconds != seconds:  # nan: no estimate yet
        return "--:--"
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


class NonFiniteError(ValueError):
    """A loss, gradient norm, reward or evaluation that is not a finite number."""


class OracleExperiment:
    """One run of the synthetic experiment in the folder ``out_dir``.

    A new run refuses a folder that holds another run unless ``overwrite``;
    ``resume`` goes on with the run saved in a folder (see runfolder.py).
    A subclass adds phases (``PHASES``, ``units``, ``steps``), random
    streams, models, branches of evaluations and checkpointed state
    (``extra_meta``), as ``table1.Table1Seed`` does."""

    PHASES, STREAMS = PHASES, STREAMS
    BRANCHES = ("pretrain", "mle", "seqgan")  # the evaluation rows' branch names

    def __init__(self, cfg, out_dir, progress=None, overwrite=False, oracle=None):
        self.cfg, self.out, self.overwrite = cfg, Path(out_dir), overwrite
        self.resumed = False
        self.xp = xp = get_xp(cfg.backend)
        self.progress = progress or Progress()
        # spawn keys are positions: streams appended by a subclass leave these unchanged
        seeds = np.random.SeedSequence(cfg.seed).spawn(len(self.STREAMS))
        self.rng = {name: np.random.default_rng(s) for name, s in zip(self.STREAMS, seeds)}
        self.unit = ("set-up", 0)  # (phase, unit) in progress: named when a number is not finite
        if oracle is not None:  # a resumed run: the checkpoint's oracle
            self.oracle = oracle
        elif cfg.oracle_params:
            self.oracle = load_oracle(cfg.oracle_params, cfg.seq_len, xp=xp)
            if self.oracle.vocab_size != cfg.vocab_size:
                raise ValueError(f"{cfg.oracle_params}: the oracle's vocabulary is "
                                 f"{self.oracle.vocab_size}, the setting vocab_size={cfg.vocab_size}")
        else:
            self.oracle = make_oracle(cfg.seed, cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim,
                                      cfg.seq_len, xp=xp)
        init = self.rng["init"]
        self.G = LanguageModel.random(init, cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim,
                                      cfg.seq_len, cfg.g_init_std, xp=xp, name="G_theta")
        self.G_mle = self._copy_model(self.G, "G_mle")  # the MLE branch, from the pre-trained G
        self.beta = self._copy_model(self.G, "G_beta")  # the rollout policy
        self.d_cfg = cfg.discriminator()
        self.D = Discriminator.random(self.d_cfg, init, xp=xp)
        self.g_opt = Adam(cfg.g_lr, clip_norm=cfg.g_clip)
        self.d_opt = Adam(cfg.d_lr)
        # As the original, the MLE and policy-gradient updates of G_theta have
        # optimisers of their own: the adversarial phase starts with fresh
        # moments, not those of the (much smaller) MLE gradients.
        self.opt_state = {"G": self.g_opt.init(self.G.params, xp),
                          "G_pg": self.g_opt.init(self.G.params, xp),
                          "G_mle": self.g_opt.init(self.G_mle.params, xp),
                          "D": self.d_opt.init(self.D.params, xp)}
        self.train = self.test = None  # the real data, made in the data phase
        self.done = {phase: 0 for phase in self.PHASES}  # units finished per phase
        self.seconds = {phase: 0.0 for phase in self.PHASES}
        self.rows = []  # evaluations, in order
        self.baselines = {}  # oracle entropy and the unigram "Random" row

    @staticmethod
    def _copy_model(m, name):
        return LanguageModel({k: v.copy() for k, v in m.params.items()}, m.seq_len,
                             m.start_token, m.xp, m.chunk_rows, name)

    # ------------------------------------------------------------ schedule
    def units(self, phase):
        cfg = self.cfg
        return {"data": 1, "pretrain_g": cfg.pretrain_g_epochs, "mle_branch": cfg.adv_epochs,
                "pretrain_d": cfg.pretrain_d_rounds, "adversarial": cfg.adv_epochs}[phase]

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
            return self._run()

    def steps(self):
        """Each phase's unit of work."""
        return {"data": self.make_data, "pretrain_g": self.mle_epoch_of_g,
                "mle_branch": self.mle_epoch_of_branch, "pretrain_d": self.discriminator_round,
                "adversarial": self.adversarial_epoch}

    def branch(self, phase):
        """(branch name, model, first epoch, with D) of the evaluations made
        along ``phase``; None for a phase without them."""
        return {"pretrain_g": ("pretrain", self.G, 0, False),
                "mle_branch": ("mle", self.G_mle, self.cfg.pretrain_g_epochs, False),
                "adversarial": ("seqgan", self.G, self.cfg.pretrain_g_epochs, True)}.get(phase)

    def _run(self):
        write_text(self.out / "config.json", json.dumps(config_to_dict(self.cfg), indent=2))
        step = self.steps()
        for phase in self.PHASES:
            total = self.units(phase)
            started = time.perf_counter() - self.seconds[phase]
            if self.done[phase] == 0:
                self.start_phase(phase)
                self.seconds[phase] = time.perf_counter() - started
            while self.done[phase] < total:
                t0, n_rows = time.perf_counter(), len(self.rows)
                self.unit = (phase, self.done[phase] + 1)
                step[phase]()
                self.done[phase] += 1
                self.after_unit(phase, self.done[phase], total)
                self.seconds[phase] += time.perf_counter() - t0
                finished = self.done[phase] == total
                note = self.note(self.rows[-1]) if len(self.rows) > n_rows else ""
                self.progress(phase, self.done[phase], total, started, note, force=finished)
                if finished or self.done[phase] % self.cfg.checkpoint_every == 0:
                    self.save()
        return self.write_outputs()

    def start_phase(self, phase):
        """Set-up at a phase's first unit (never repeated on resume)."""
        self.unit = (phase, 0)
        if phase == "pretrain_g":
            self.evaluate("pretrain", 0, self.G)  # the untrained generator
        elif phase == "mle_branch":  # both branches start from the pre-trained G
            self._assign(self.G_mle.params, self.G.params)
            self.opt_state["G_mle"] = copy.deepcopy(self.opt_state["G"])
        elif phase == "adversarial":  # Algorithm 1 starts with beta <- theta
            self._assign(self.beta.params, self.G.params)
            self.evaluate("seqgan", self.cfg.pretrain_g_epochs, self.G, with_d=True)

    def after_unit(self, phase, done, total):
        """Evaluate every eval_every epochs and at a branch's last epoch."""
        branch = self.branch(phase)
        if branch and (done % self.cfg.eval_every == 0 or done == total):
            name, model, offset, with_d = branch
            self.evaluate(name, offset + done, model, with_d=with_d)

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

    @staticmethod
    def note(row):
        return f"| {row['branch']} epoch {row['epoch']}: NLL-oracle {row['nll_oracle']:.3f}"

    # -------------------------------------------------------------- phases
    def make_data(self):
        cfg, rng = self.cfg, self.rng["data"]
        self.train = to_numpy(self.oracle.sample(cfg.n_train, rng))  # (n_train, T)
        self.test = to_numpy(self.oracle.sample(cfg.n_test, rng))  # (n_test, T)
        # The entropy floor: the oracle's NLL of its own (held-out) samples.
        self.baselines["oracle_entropy"] = self.finite("the oracle's entropy",
                                                       nll_oracle(self.oracle, self.test))
        unigram = sample_unigram(self.train, cfg.vocab_size, cfg.n_eval, self.rng["eval"])
        self.baselines["random_unigram"] = self.finite("the unigram baseline",
                                                       nll_oracle(self.oracle, unigram))

    def _mle_epoch(self, model, state, rng, loss_and_grads=None):
        """One pass over the training data in shuffled batches, with the MLE
        loss or another loss of the batch (scheduled sampling's)."""
        loss_and_grads = loss_and_grads or model.mle_loss_and_grads
        for idx in shuffled_batches(len(self.train), self.cfg.batch_size, rng):
            # host batches: checked on the host, then uploaded (no device sync for the checks)
            loss, grads = loss_and_grads(self.train[idx])  # (B, T)
            self.finite("the MLE loss", loss)
            self.finite("the MLE gradient norm", self.g_opt.step(model.params, grads, state))

    def mle_epoch_of_g(self):
        self._mle_epoch(self.G, self.opt_state["G"], self.rng["pretrain_g"])

    def mle_epoch_of_branch(self):
        self._mle_epoch(self.G_mle, self.opt_state["G_mle"], self.rng["mle_branch"])

    def discriminator_round(self):
        """Fresh negatives from G_theta against as many real sequences, then
        d_epochs epochs of D steps over them (the original's d-step)."""
        cfg, rng = self.cfg, self.rng["d_train"]
        n = cfg.d_negatives
        fake = to_numpy(self.G.sample(n, rng))  # (n, T)
        real = self.train if n >= len(self.train) else \
            self.train[rng.choice(len(self.train), n, replace=False)]
        tokens = np.concatenate([real, fake])  # (2n, T)
        labels = np.concatenate([np.full(len(real), REAL), np.full(n, FAKE)])
        for _ in range(cfg.d_epochs):
            for idx in shuffled_batches(len(tokens), cfg.batch_size, rng):
                loss, grads = self.D.loss_and_grads(tokens[idx], labels[idx], rng)  # host batches
                self.finite("the discriminator's loss", loss)
                self.d_opt.step(self.D.params, grads, self.opt_state["D"])

    def adversarial_epoch(self):
        """Algorithm 1, one epoch: g-steps, the rollout-policy update, d-steps.
        The paper updates beta after the d-steps, the original code before
        them, as here: the d-steps do not change theta, so both orders give
        the same beta."""
        cfg = self.cfg
        self.pg_steps(self.G, self.opt_state["G_pg"], self.rng["adversarial"],
                      lambda Y: rollout_rewards(Y, self.beta, self.D, cfg.rollouts,
                                                self.rng["rollout"]))
        update_rollout_policy(self.beta.params, self.G.params, cfg.rollout_update_rate)
        for _ in range(cfg.d_steps):
            self.discriminator_round()

    def pg_steps(self, model, state, rng, rewards):
        """g_steps policy-gradient steps of ``model``: a batch Y from it, Q =
        rewards(Y) (B, T), the REINFORCE step of equation (8)."""
        for _ in range(self.cfg.g_steps):
            Y = model.sample(self.cfg.batch_size, rng)  # (B, T)
            Q = self.finite("the rewards Q", rewards(Y))  # (B, T)
            loss, grads = model.pg_loss_and_grads(Y, Q)  # REINFORCE, eq. (8)
            self.finite("the policy-gradient loss", loss)
            self.finite("the policy-gradient norm", self.g_opt.step(model.params, grads, state))

    # ----------------------------------------------------------- evaluation
    def evaluate(self, branch, epoch, model, with_d=False):
        """NLL-oracle of n_eval samples, NLL-test of the held-out data and,
        with_d, D's accuracy and loss on real vs generated sequences and the
        mean reward D(real) of generated ones."""
        cfg, t0 = self.cfg, time.perf_counter()
        samples = model.sample(cfg.n_eval, self.rng["eval"])  # (n_eval, T)
        row = {"branch": branch, "epoch": epoch,
               "nll_oracle": self.finite("NLL-oracle", nll_oracle(self.oracle, samples)),
               "nll_test": self.finite("NLL-test", nll_test(model, self.test)),
               "d_accuracy": None, "d_loss": None, "mean_reward": None}
        if with_d:
            n, sure = cfg.n_eval_disc, 1e-12  # float32 rounds a sure D to 0 or 1: keep the logs finite
            p_real, p_fake = (np.clip(to_numpy(self.D.predict_proba(x))[:, REAL].astype(np.float64),
                                      sure, 1.0 - sure) for x in (self.test[:n], samples[:n]))
            row["d_accuracy"] = float(((p_real > 0.5).mean() + (p_fake < 0.5).mean()) / 2)
            row["d_loss"] = float(-(np.log(p_real).mean() + np.log1p(-p_fake).mean()) / 2)
            row["mean_reward"] = self.finite("the mean reward", float(p_fake.mean()))
        row["seconds"] = round(time.perf_counter() - t0, 3)
        self.rows.append(row)

    # -------------------------------------------------------- checkpointing
    def _models(self):
        return {"oracle": self.oracle, "G": self.G, "G_mle": self.G_mle,
                "G_beta": self.beta, "D": self.D}

    def _assign(self, dst, src):
        """Copy arrays (host or device) into the parameters ``dst`` in place."""
        for k in dst:
            dst[k][...] = self.xp.asarray(src[k])

    def _arrays(self):
        """Every array a checkpoint holds, by name, on the host."""
        arrays = {}
        for name, m in self._models().items():
            arrays.update({f"{name}/{k}": to_numpy(v) for k, v in m.params.items()})
        for name, st in self.opt_state.items():
            arrays.update({f"{name}.adam_m/{k}": to_numpy(v) for k, v in st.m.items()})
            arrays.update({f"{name}.adam_v/{k}": to_numpy(v) for k, v in st.v.items()})
        arrays.update(self.data())
        return arrays

    def data(self):
        """The real data by checkpoint name (none before the data phase)."""
        return {} if self.train is None else {"data/train": self.train, "data/test": self.test}

    def data_rows(self):
        """The number of sequences of each array of ``data``."""
        return {"data/train": self.cfg.n_train, "data/test": self.cfg.n_test}

    def set_data(self, arrays):
        self.train, self.test = arrays["data/train"], arrays["data/test"]

    def extra_meta(self):
        """A subclass's state beyond the runner's own, by attribute name:
        saved in the checkpoint's meta, restored by name on resume."""
        return {}

    def check_extra_meta(self, meta):
        """Raise ValueError where ``meta``'s entries of ``extra_meta`` are malformed."""

    def save(self):
        arrays = self._arrays()
        meta = {"config": config_to_dict(self.cfg), "done": self.done, "seconds": self.seconds,
                "rows": self.rows, "baselines": self.baselines,
                "adam_t": {name: st.t for name, st in self.opt_state.items()},
                "rng": {k: r.bit_generator.state for k, r in self.rng.items()},
                **self.extra_meta()}
        save_checkpoint(self.out / CHECKPOINT, arrays, meta)

    @classmethod
    def resume(cls, out_dir, progress=None):
        """The experiment saved in ``out_dir``, ready to go on with ``run()``.
        Everything comes from the checkpoint (the oracle too), so it resumes
        from any working folder; a checkpoint that does not hold what a run
        of its own settings needs is refused as corrupt, naming it."""
        path = Path(out_dir) / CHECKPOINT
        arrays, meta = load_checkpoint(path)

        def corrupt(why):
            return ValueError(f"checkpoint {path} is corrupt: {why}; it cannot be resumed")

        try:
            cfg = config_from_dict(meta.get("config"), str(path))
            xp = get_xp(cfg.backend)
            oracle = LanguageModel({k[len("oracle/"):]: xp.asarray(v) for k, v in arrays.items()
                                    if k.startswith("oracle/")}, cfg.seq_len, xp=xp,
                                   name="oracle")  # checked like any model
            if oracle.vocab_size != cfg.vocab_size:
                raise ValueError(f"the oracle's vocabulary is {oracle.vocab_size}, "
                                 f"the setting vocab_size={cfg.vocab_size}")
        except ValueError as e:
            raise corrupt(e) from None
        exp = cls(cfg, out_dir, progress, oracle=oracle)
        exp.resumed = True
        expected = {k: (v.shape, v.dtype) for k, v in exp._arrays().items()}
        if "data/train" in arrays:  # the data phase is done: the real data
            expected.update({k: ((n, cfg.seq_len), arrays["data/train"].dtype)
                             for k, n in exp.data_rows().items()})
        for key, (shape, dtype) in expected.items():
            got = arrays.get(key)
            if got is None or got.shape != shape or got.dtype != dtype:
                raise corrupt(f"array {key!r} is missing or has the wrong shape or dtype")
        try:
            meta = check_meta(meta, exp, "data/train" in arrays)
            if "data/train" in arrays:
                for key in exp.data_rows():
                    check_tokens(arrays[key], cfg.vocab_size, cfg.seq_len, key)
            exp._restore(arrays, meta)
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            raise corrupt(e) from None
        return exp

    def _restore(self, arrays, meta):
        """Parameters, optimiser states, data, random states and counters."""
        for name, m in self._models().items():
            self._assign(m.params, {k: arrays[f"{name}/{k}"] for k in m.params})
        for name, st in self.opt_state.items():
            self._assign(st.m, {k: arrays[f"{name}.adam_m/{k}"] for k in st.m})
            self._assign(st.v, {k: arrays[f"{name}.adam_v/{k}"] for k in st.v})
            st.t = meta["adam_t"][name]
        if "data/train" in arrays:
            self.set_data(arrays)
        for k, state in meta["rng"].items():
            self.rng[k].bit_generator.state = state
        self.done, self.seconds = meta["done"], meta["seconds"]
        self.rows, self.baselines = meta["rows"], meta["baselines"]
        for k in self.extra_meta():
            setattr(self, k, meta[k])

    # --------------------------------------------------------------- outputs
    def final(self, branch):
        return [r for r in self.rows if r["branch"] == branch][-1]

    def results(self):
        cfg = self.cfg
        seconds = {k: round(v, 1) for k, v in self.seconds.items()}
        seconds["total"] = round(sum(self.seconds.values()), 1)
        return {
            "preset": cfg.preset, "seed": cfg.seed, "backend": backend_name(self.xp),
            "oracle": cfg.oracle_params or f"built-in (make_oracle seed {cfg.seed})",
            "nll_oracle": {"pretrained": self.final("pretrain")["nll_oracle"],
                           "mle": self.final("mle")["nll_oracle"],
                           "seqgan": self.final("seqgan")["nll_oracle"],
                           "oracle_entropy": self.baselines["oracle_entropy"],
                           "random_unigram": self.baselines["random_unigram"]},
            "nll_test": {"pretrained": self.final("pretrain")["nll_test"],
                         "mle": self.final("mle")["nll_test"],
                         "seqgan": self.final("seqgan")["nll_test"]},
            "epochs": {"pretrain": cfg.pretrain_g_epochs, "adversarial": cfg.adv_epochs},
            "seconds": seconds,
        }

    def write_outputs(self):
        out, cfg = self.out, self.cfg
        buf = io.StringIO()
        w = csv.DictWriter(buf, CSV_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows({k: ("" if r[k] is None else r[k]) for k in CSV_FIELDS} for r in self.rows)
        write_text(out / "evaluations.csv", buf.getvalue())
        for name, model in (("seqgan", self.G), ("mle", self.G_mle)):
            y = to_numpy(model.sample(cfg.n_final_samples, self.rng["eval"]))
            write_text(out / f"samples_{name}.txt", "\n".join(" ".join(map(str, s)) for s in y) + "\n")
        res = self.results()
        plot_learning_curves(self.rows, cfg.pretrain_g_epochs, res["nll_oracle"]["oracle_entropy"],
                             out / "nll_oracle.png",
                             f"SeqGAN vs MLE: preset '{cfg.preset}', "
                             f"{Path(cfg.oracle_params).name if cfg.oracle_params else 'built-in'} oracle")
        write_text(out / "results.json", json.dumps(res, indent=2, allow_nan=False))
        return res


def check_meta(meta, exp, has_data):
    """The checkpoint's counters, times, rows, baselines, Adam steps and
    random states, checked for their keys, types and ranges (a ValueError
    that says what is wrong); returns them."""
    def expect(ok, why):
        if not ok:
            raise ValueError(why)

    def finite_number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    def count(v, most=math.inf):  # an int (not a bool) in [0, most]
        return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= most

    keys = {"config", "done", "seconds", "rows", "baselines", "adam_t", "rng", *exp.extra_meta()}
    expect(isinstance(meta, dict) and keys <= meta.keys(), f"meta lacks {sorted(keys - set(meta))}")
    done, seconds = meta["done"], meta["seconds"]
    expect(isinstance(done, dict) and set(done) == set(exp.PHASES), "done: expected one count per phase")
    for phase in exp.PHASES:
        n = done[phase]
        expect(count(n, exp.units(phase)),
               f"done[{phase!r}]={n!r}: not a count in [0, {exp.units(phase)}]")
    expect((done["data"] == 1) == has_data, "the data phase and the data arrays disagree")
    expect(isinstance(seconds, dict) and set(seconds) == set(exp.PHASES)
           and all(finite_number(v) and v >= 0 for v in seconds.values()),
           "seconds: expected a non-negative number per phase")
    rows = meta["rows"]
    expect(isinstance(rows, list), "rows: expected a list")
    for row in rows:
        expect(isinstance(row, dict) and set(row) == set(CSV_FIELDS)
               and row["branch"] in exp.BRANCHES
               and count(row["epoch"])
               and all(finite_number(row[k]) for k in ("nll_oracle", "nll_test", "seconds"))
               and all(row[k] is None or finite_number(row[k])
                       for k in ("d_accuracy", "d_loss", "mean_reward")),
               f"an evaluation row is malformed: {str(row)[:200]}")
    baselines = meta["baselines"]
    expect(isinstance(baselines, dict) and all(finite_number(v) for v in baselines.values())
           and (not has_data or set(baselines) == {"oracle_entropy", "random_unigram"}),
           "baselines: expected the oracle's entropy and the unigram row")
    adam_t = meta["adam_t"]
    expect(isinstance(adam_t, dict) and set(adam_t) == set(exp.opt_state)
           and all(count(t) for t in adam_t.values()),
           "adam_t: expected a non-negative step count per optimiser")
    expect(isinstance(meta["rng"], dict) and set(meta["rng"]) == set(exp.STREAMS),
           "rng: expected one generator state per stream")
    exp.check_extra_meta(meta)
    return meta


def summary_table(res):
    """The final figures as a short text table."""
    n, t = res["nll_oracle"], res["nll_test"]
    lines = [f"{'':24s}{'NLL-oracle':>12s}{'NLL-test':>12s}",
             f"{'oracle (entropy floor)':24s}{n['oracle_entropy']:12.3f}",
             f"{'random (unigram)':24s}{n['random_unigram']:12.3f}",
             f"{'pre-trained G (MLE)':24s}{n['pretrained']:12.3f}{t['pretrained']:12.3f}"]
    ep = res["epochs"]["adversarial"]
    lines += [f"{f'MLE (+{ep} epochs)':24s}{n['mle']:12.3f}{t['mle']:12.3f}",
              f"{f'SeqGAN (+{ep} epochs)':24s}{n['seqgan']:12.3f}{t['seqgan']:12.3f}",
              "seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in res["seconds"].items())]
    return "\n".join(lines)
