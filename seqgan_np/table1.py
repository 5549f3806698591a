"""Table 1 of the SeqGAN paper over several seeds, with two controls.

For each seed (a run folder of its own, seed-N/): one draw of the oracle's
data, one MLE pre-training of G_theta and one pre-training of D_phi, shared
by every method; then each method for adv_epochs epochs from that start.
The phases after the runner's own (``experiment.PHASES``):

  ss_branch        scheduled sampling (``baselines.ss_loss_and_grads``)
  bleu_branch      PG-BLEU: the policy gradient with BLEU-4 against the
                   training data as the rollout's reward instead of D_phi
  constant_branch  the policy gradient with Q = 1/2 everywhere, no D
  temperature      the MLE generator sampled from softmax(logits / alpha)
                   for each alpha of TEMPERATURES: NLL on held-out
                   validation data (which chooses alpha), NLL-test and
                   NLL-oracle (the frontier of Caccia et al. 2018)
  final            each row of the table on n_final_eval samples, with the
                   standard error of each figure (its evaluation noise)

The MLE and SeqGAN rows are the runner's MLE branch and adversarial phase,
with the same random streams: a seed's SeqGAN and MLE numbers are those of
``oracle-experiment`` with that seed. ``run_table1`` runs the seeds in turn
(a finished seed is kept, an interrupted one resumed) and writes table1.md,
table1.csv, curves.png and frontier.png.
"""
import copy
import csv
import io
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .backend import backend_name, to_numpy
from .baselines import (BleuReward, constant_rewards, sample_unigram, ss_loss_and_grads,
                        ss_probability, tempered)
from .checkpoint import write_text
from .config import config_from_dict, config_to_dict
from .experiment import CHECKPOINT, OracleExperiment, Progress
from .metrics import nll_and_error, nll_oracle, nll_test
from .plots import plot_frontier, plot_method_curves
from .rollout import rollout_rewards, update_rollout_policy
from .runfolder import check_new_run, locked, make_folder
from .stats import mean_sd, welch_t_test

# wide: an MLE generator that overfits is best on held-out data at alpha well above 1
TEMPERATURES = (0.6, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
METHODS = ("mle", "ss", "pg_bleu", "seqgan", "constant")  # trained from the shared start
ROWS = ("random",) + METHODS + ("mle_tempered", "mle_matched")
LABELS = {"random": "Random (unigram)", "pretrained": "pre-trained G (the shared start)",
          "mle": "MLE", "ss": "SS (scheduled sampling)",
          "pg_bleu": "PG-BLEU", "seqgan": "SeqGAN", "constant": "constant Q = 1/2 (no D)",
          "mle_tempered": "MLE at its best temperature",
          "mle_matched": "MLE tempered to SeqGAN's NLL-valid"}
COLOURS = {"pretrained": "tab:gray", "mle": "tab:blue", "ss": "tab:orange", "pg_bleu": "tab:green",
           "seqgan": "tab:red", "constant": "tab:purple", "mle_tempered": "tab:cyan",
           "mle_matched": "tab:olive"}  # the same in both figures
PAPER = {"random": 10.310, "mle": 9.038, "ss": 8.985, "pg_bleu": 8.946, "seqgan": 8.736}
AGAINST = ("mle", "constant", "mle_tempered", "mle_matched")  # SeqGAN's Welch tests
TABLE_FILES = ("table1.json", "table1.md", "table1.csv", "curves.png", "frontier.png")
SEED_RESULTS = "results.json"


class Table1Seed(OracleExperiment):
    """Every row of Table 1 for one seed, in the folder ``out_dir``."""

    PHASES = OracleExperiment.PHASES + ("ss_branch", "bleu_branch", "constant_branch",
                                        "temperature", "final")
    STREAMS = OracleExperiment.STREAMS + ("valid", "ss", "bleu", "bleu_rollout", "constant",
                                          "final")
    BRANCHES = OracleExperiment.BRANCHES + ("ss", "pg_bleu", "constant")

    def __init__(self, cfg, out_dir, progress=None, overwrite=False, oracle=None):
        super().__init__(cfg, out_dir, progress, overwrite, oracle)
        self.G_ss, self.G_bleu, self.G_bleu_beta, self.G_const = (
            self._copy_model(self.G, name) for name in ("G_ss", "G_bleu", "G_bleu_beta", "G_const"))
        for name in ("G_ss", "G_bleu", "G_const"):
            self.opt_state[name] = self.g_opt.init(self.G.params, self.xp)
        self.valid = None  # held-out data that chooses the temperature
        self.bleu_reward = None  # made from the training data when PG-BLEU starts
        self.sweep = []  # per temperature: alpha, NLL-valid, NLL-test, NLL-oracle
        self.finals = {}  # per row: NLL-oracle and NLL-test with their standard errors

    def _models(self):
        return {**super()._models(), "G_ss": self.G_ss, "G_bleu": self.G_bleu,
                "G_bleu_beta": self.G_bleu_beta, "G_const": self.G_const}

    # ------------------------------------------------------------ schedule
    def units(self, phase):
        extra = {"ss_branch": self.cfg.adv_epochs, "bleu_branch": self.cfg.adv_epochs,
                 "constant_branch": self.cfg.adv_epochs, "temperature": len(TEMPERATURES),
                 "final": len(ROWS)}
        return extra[phase] if phase in extra else super().units(phase)

    def steps(self):
        return {**super().steps(), "ss_branch": self.ss_epoch, "bleu_branch": self.bleu_epoch,
                "constant_branch": self.constant_epoch, "temperature": self.temperature_unit,
                "final": self.final_unit}

    def branch(self, phase):
        start = self.cfg.pretrain_g_epochs
        return {"ss_branch": ("ss", self.G_ss, start, False),
                "bleu_branch": ("pg_bleu", self.G_bleu, start, False),
                "constant_branch": ("constant", self.G_const, start, False),
                }.get(phase) or super().branch(phase)

    def start_phase(self, phase):
        super().start_phase(phase)
        if phase == "mle_branch":  # every method starts from the pre-trained G
            for model in (self.G_ss, self.G_bleu, self.G_const):
                self._assign(model.params, self.G.params)
            self.opt_state["G_ss"] = copy.deepcopy(self.opt_state["G"])  # SS goes on with MLE
        elif phase == "bleu_branch":
            self._assign(self.G_bleu_beta.params, self.G_bleu.params)

    # -------------------------------------------------------------- phases
    def make_data(self):
        super().make_data()
        self.valid = to_numpy(self.oracle.sample(self.cfg.n_test, self.rng["valid"]))  # (n_test, T)

    def data(self):
        return {**super().data(), **({} if self.valid is None else {"data/valid": self.valid})}

    def data_rows(self):
        return {**super().data_rows(), "data/valid": self.cfg.n_test}

    def set_data(self, arrays):
        super().set_data(arrays)
        self.valid = arrays["data/valid"]

    def ss_epoch(self):
        """One MLE epoch whose inputs are G's own samples with the schedule's probability."""
        cfg, rng = self.cfg, self.rng["ss"]
        prob = ss_probability(self.done["ss_branch"] + 1, cfg.adv_epochs, cfg.ss_max_prob)
        self._mle_epoch(self.G_ss, self.opt_state["G_ss"], rng,
                        lambda y: ss_loss_and_grads(self.G_ss, y, prob, rng))

    def bleu_epoch(self):
        """SeqGAN's g-steps and rollout-policy update with BLEU as the reward; no D."""
        cfg = self.cfg
        if self.bleu_reward is None:
            self.bleu_reward = BleuReward(self.train, self.cfg.vocab_size, self.xp)
        self.pg_steps(self.G_bleu, self.opt_state["G_bleu"], self.rng["bleu"],
                      lambda Y: rollout_rewards(Y, self.G_bleu_beta, self.bleu_reward,
                                                cfg.rollouts, self.rng["bleu_rollout"]))
        update_rollout_policy(self.G_bleu_beta.params, self.G_bleu.params, cfg.rollout_update_rate)

    def constant_epoch(self):
        """SeqGAN's g-steps with Q = 1/2 (a rollout would estimate exactly that)."""
        self.pg_steps(self.G_const, self.opt_state["G_const"], self.rng["constant"],
                      lambda Y: constant_rewards(Y, self.xp))

    def temperature_unit(self):
        alpha = TEMPERATURES[self.done["temperature"]]
        model = tempered(self.G_mle, alpha)
        samples = model.sample(self.cfg.n_eval, self.rng["final"])  # (n_eval, T)
        self.sweep.append({"alpha": alpha,
                           "nll_valid": self.finite("NLL-valid", nll_test(model, self.valid)),
                           "nll_test": self.finite("NLL-test", nll_test(model, self.test)),
                           "nll_oracle": self.finite("NLL-oracle", nll_oracle(self.oracle, samples))})

    def best_alpha(self):
        """The temperature of least NLL on the validation data (not NLL-oracle)."""
        return min(self.sweep, key=lambda s: s["nll_valid"])["alpha"]

    def matched_alpha(self):
        """The temperature at which the MLE generator's NLL on the validation
        data equals SeqGAN's: linear between the two temperatures of the sweep
        up to ``best_alpha`` (where that NLL falls) that enclose it, the
        nearest end where none do. Compares the two at equal coverage of the
        real data, the frontier's question, without using NLL-oracle."""
        target = nll_test(self.G, self.valid)
        falling = [(s["alpha"], s["nll_valid"]) for s in self.sweep if s["alpha"] <= self.best_alpha()]
        for (a0, n0), (a1, n1) in zip(falling, falling[1:]):
            if n1 <= target <= n0:
                return a0 + (a1 - a0) * (n0 - target) / (n0 - n1)
        return falling[0][0] if target > falling[0][1] else falling[-1][0]

    def final_unit(self):
        """One row of the table on n_final_eval samples, with standard errors."""
        cfg, rng = self.cfg, self.rng["final"]
        row = ROWS[self.done["final"]]
        fig = {}
        if row == "random":
            samples = sample_unigram(self.train, cfg.vocab_size, cfg.n_final_eval, rng)
        else:
            model = {"mle": self.G_mle, "ss": self.G_ss, "pg_bleu": self.G_bleu,
                     "seqgan": self.G, "constant": self.G_const}.get(row)
            if model is None:  # a tempered MLE
                fig["alpha"] = self.best_alpha() if row == "mle_tempered" else self.matched_alpha()
                model = tempered(self.G_mle, fig["alpha"])
            samples = model.sample(cfg.n_final_eval, rng)
            fig["nll_test"], fig["nll_test_se"] = nll_and_error(model, self.test)
        fig["nll_oracle"], fig["nll_oracle_se"] = nll_and_error(self.oracle, samples)
        for k, v in fig.items():
            self.finite(f"{row}'s {k}", v)
        self.finals[row] = fig

    # -------------------------------------------------- checkpoint and outputs
    def extra_meta(self):
        return {"sweep": self.sweep, "finals": self.finals}

    def check_extra_meta(self, meta):
        sweep, finals = meta["sweep"], meta["finals"]
        if not (isinstance(sweep, list) and len(sweep) == meta["done"]["temperature"]
                and all(isinstance(s, dict) and set(s) == {"alpha", "nll_valid", "nll_test",
                                                           "nll_oracle"} for s in sweep)):
            raise ValueError("sweep: expected one entry per temperature done")
        if not (isinstance(finals, dict) and list(finals) == list(ROWS[:meta["done"]["final"]])):
            raise ValueError("finals: expected one entry per table row done, in order")

    def write_outputs(self):
        res = {"seed": self.cfg.seed, "backend": backend_name(self.xp), "finals": self.finals,
               "sweep": self.sweep, "best_alpha": self.best_alpha(), "rows": self.rows,
               "baselines": self.baselines,
               "seconds": {k: round(v, 1) for k, v in self.seconds.items()}}
        write_text(self.out / SEED_RESULTS, json.dumps(res, indent=2, allow_nan=False))
        return res


# ------------------------------------------------------------------ the table
def run_table1(cfg, n_seeds, out, overwrite=False, progress=None):
    """Table 1 over seeds cfg.seed .. cfg.seed + n_seeds - 1 in the folder
    ``out``: one Table1Seed run per seed, then the table and figures."""
    out = Path(out)
    make_folder(out)
    with locked(out):
        check_new_run(out, overwrite, TABLE_FILES)
        write_text(out / "table1.json", json.dumps({"seeds": n_seeds, "config": config_to_dict(cfg)},
                                                   indent=2))
        return _run_seeds(cfg, n_seeds, out, overwrite, progress)


def resume_table1(out, progress=None):
    """Go on with the table in ``out``: finished seeds are kept, the
    interrupted one resumed from its checkpoint, the others started."""
    out = Path(out)
    path = out / "table1.json"
    try:
        saved = json.loads(path.read_text())
        n_seeds, cfg = saved["seeds"], config_from_dict(saved["config"], str(path))
    except FileNotFoundError:
        raise ValueError(f"{out} holds no table to resume (no table1.json)") from None
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path} is corrupt: {e}") from None
    with locked(out):
        return _run_seeds(cfg, n_seeds, out, False, progress)


def _run_seeds(cfg, n_seeds, out, overwrite, progress):
    progress, started, results = progress or Progress(), time.perf_counter(), []
    for seed in range(cfg.seed, cfg.seed + n_seeds):
        folder = out / f"seed-{seed}"
        progress("table1", seed - cfg.seed, n_seeds, started, f"| seed {seed} in {folder}", force=True)
        if not overwrite and (folder / SEED_RESULTS).exists():
            results.append(json.loads((folder / SEED_RESULTS).read_text()))
            continue
        if not overwrite and (folder / CHECKPOINT).exists():
            run = Table1Seed.resume(folder, progress)
        else:
            run = Table1Seed(replace(cfg, seed=seed), folder, progress, overwrite=overwrite)
        results.append(run.run())
    return write_table(results, cfg, out)


def summarise(results):
    """Per row: the per-seed figures, their mean and sd, the mean evaluation
    noise (standard error) and SeqGAN's Welch tests. The shared start (the
    pre-trained G's last evaluation, n_eval samples) comes second, for
    reference: every method moved from there."""
    start = [_start(res) for res in results]
    per_row = {row: [res["finals"][row] for res in results] for row in ROWS}
    per_row = {"random": per_row.pop("random"), "pretrained": start, **per_row}
    table = {}
    for row, figs in per_row.items():
        entry = {"label": LABELS[row], "paper": PAPER.get(row)}
        for k in ("nll_oracle", "nll_test"):
            values = [f[k] for f in figs if k in f]
            entry[k] = values
            entry[f"{k}_mean"], entry[f"{k}_sd"] = mean_sd(values) if values else (None, None)
            errors = [f[f"{k}_se"] for f in figs if f"{k}_se" in f]
            entry[f"{k}_se"] = float(np.mean(errors)) if errors else None
        table[row] = entry
    for row in AGAINST:
        for k in ("nll_oracle", "nll_test"):
            p = welch_t_test(table["seqgan"][k], table[row][k])[2] if len(results) > 1 else None
            table[row][f"p_{k}"] = p
    return table


def _start(res):
    """A seed's shared start: the pre-trained G's last evaluation row."""
    return [r for r in res["rows"] if r["branch"] == "pretrain"][-1]


def _fmt(mean, sd):
    return "" if mean is None else f"{mean:.3f} ± {sd:.3f}"


def _number(value, spec):
    return "" if value is None else format(value, spec)


def write_table(results, cfg, out):
    """table1.md, table1.csv, curves.png and frontier.png from the seeds' results."""
    table, seeds = summarise(results), [r["seed"] for r in results]
    alphas = {row: ", ".join(f"{r['finals'][row]['alpha']:.3g}" for r in results)
              for row in ("mle_tempered", "mle_matched")}
    oracle = Path(cfg.oracle_params).name if cfg.oracle_params else "built-in"
    md = [f"# Table 1: preset '{cfg.preset}', seeds {', '.join(map(str, seeds))}, {oracle} oracle",
          "",
          f"Mean ± standard deviation over seeds; final figures on {cfg.n_final_eval:,} samples "
          f"(NLL-oracle) and the {cfg.n_test:,} held-out sequences (NLL-test). 'noise' is the "
          "mean standard error of one evaluation. The pre-trained G's figures are its evaluation "
          f"at the end of pre-training ({cfg.n_eval:,} samples). p: Welch's t-test of SeqGAN against the row "
          "(two-sided). Temperatures alpha per seed: best on NLL-valid "
          f"{alphas['mle_tempered']}; matched to SeqGAN's NLL-valid {alphas['mle_matched']}.",
          "",
          "| row | NLL-oracle | noise | p (oracle) | NLL-test | p (test) | paper | per seed (NLL-oracle) |",
          "|---|---|---|---|---|---|---|---|"]
    for e in table.values():
        p_oracle, p_test, paper = (_number(e.get(k), f) for k, f in
                                   (("p_nll_oracle", ".2g"), ("p_nll_test", ".2g"), ("paper", ".3f")))
        md.append(f"| {e['label']} | {_fmt(e['nll_oracle_mean'], e['nll_oracle_sd'])} | "
                  f"{_number(e['nll_oracle_se'], '.4f')} | {p_oracle} | "
                  f"{_fmt(e['nll_test_mean'], e['nll_test_sd'])} | {p_test} | {paper} | "
                  f"{' '.join(f'{v:.3f}' for v in e['nll_oracle'])} |")
    write_text(out / "table1.md", "\n".join(md) + "\n")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["row", "paper", "nll_oracle_mean", "nll_oracle_sd", "nll_oracle_se",
                "p_nll_oracle", "nll_test_mean", "nll_test_sd", "nll_test_se", "p_nll_test"]
               + [f"nll_oracle_seed{s}" for s in seeds] + [f"nll_test_seed{s}" for s in seeds])
    for row, e in table.items():
        tests = e["nll_test"] or [None] * len(seeds)
        values = [row, e["paper"], e["nll_oracle_mean"], e["nll_oracle_sd"], e["nll_oracle_se"],
                  e.get("p_nll_oracle"), e["nll_test_mean"], e["nll_test_sd"], e["nll_test_se"],
                  e.get("p_nll_test")] + e["nll_oracle"] + tests
        w.writerow(["" if v is None else v for v in values])
    write_text(out / "table1.csv", buf.getvalue())
    _write_figures(results, cfg, table, out)
    return table


def _write_figures(results, cfg, table, out):
    start = cfg.pretrain_g_epochs
    curves = {}
    for method in METHODS:  # each branch from the pre-trained G's last evaluation
        per_seed = [[_start(r)["nll_oracle"]]
                    + [r_["nll_oracle"] for r_ in r["rows"] if r_["branch"] == method
                       and r_["epoch"] > start] for r in results]
        epochs = [start] + [r_["epoch"] for r_ in results[0]["rows"]
                            if r_["branch"] == method and r_["epoch"] > start]
        values = np.array(per_seed)  # (seeds, evaluations)
        curves[LABELS[method]] = (epochs, values.mean(axis=0), values.std(axis=0, ddof=1)
                                  if len(results) > 1 else np.zeros(len(epochs)))
    title = f"preset '{cfg.preset}', {len(results)} seed{'s' * (len(results) > 1)}"
    colours = {LABELS[row]: c for row, c in COLOURS.items()}
    plot_method_curves(curves, colours, out / "curves.png", f"NLL-oracle against epoch: {title}")
    sweep = np.array([[[s["alpha"], s["nll_test"], s["nll_oracle"]] for s in r["sweep"]]
                      for r in results]).mean(axis=0)  # (temperatures, 3)
    points = {e["label"]: (e["nll_test_mean"], e["nll_oracle_mean"])
              for row, e in table.items() if row != "random"}  # Random has no NLL-test
    plot_frontier(sweep, points, colours, out / "frontier.png", f"NLL-oracle against NLL-test: {title}")
