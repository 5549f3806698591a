"""Table 1 of the SeqGAN paper over several seeds, with two controls.

For each seed (a run folder of its own, seed-N/): one draw of the oracle's
data, one MLE pre-training of G_theta and one pre-training of D_phi, shared
by every method; then each method for adv_epochs epochs from that start.
The phases after the oracle experiment's own (``run/oracle_experiment.py``):

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

The MLE and SeqGAN rows are the oracle experiment's MLE branch and
adversarial phase, with the same random streams: a seed's SeqGAN and MLE numbers are those of
``oracle-experiment`` with that seed. ``run_table1`` runs the seeds in turn
(a finished seed is kept, an interrupted one resumed) and writes table1.md,
table1.csv, curves.png and frontier.png.
"""
import csv
import io
import json
from pathlib import Path

import numpy as np

from ..backend import backend_name, to_numpy
from ..core.metrics import mean_nll, nll_and_error, nll_oracle, nll_test
from ..core.rollout import update_rollout_policy
from ..core.seqgan import Phase, copy_params, g_steps, mle_epoch
from ..run import oracle_experiment as oracle
from ..run.checkpoint import write_text
from ..run.plots import plot_frontier, plot_method_curves
from ..run.runner import Branch, Recipe
from .baselines import constant_Q, sample_unigram, ss_loss_and_grads, ss_probability, tempered
from .seeds import SEED_RESULTS, resume_study, run_seeds, start_study
from .stats import fmt_mean_sd, mean_sd, spread, welch_t_test

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


def build(run):
    """The oracle experiment's models and phases, then the other methods'
    copies of G (each with its Adam state) and their phases."""
    phases = oracle.build(run)
    cfg, sg, xp = run.cfg, run.sg, run.xp
    G_ss, G_bleu, G_bleu_beta = (sg.G.copy(name) for name in ("G_ss", "G_bleu", "G_bleu_beta"))
    states = {name: sg.g_opt.init(sg.G.params, xp) for name in ("G_ss", "G_bleu")}
    run.models.update(G_ss=G_ss, G_bleu=G_bleu, G_bleu_beta=G_bleu_beta)
    G_const, constant = constant_branch(run)
    run.opt_state.update(states)
    run.methods = {"mle": run.G_mle, "ss": G_ss, "pg_bleu": G_bleu, "seqgan": sg.G,
                   "constant": G_const}
    start, S, units = cfg.pretrain_g_epochs, run.data["train"], cfg.adv_epochs
    run.branches.update(ss_branch=Branch("ss", G_ss, start),
                        bleu_branch=Branch("pg_bleu", G_bleu, start))
    bleu = []  # the BLEU reward, made from the training data when PG-BLEU first needs it

    def make_valid():  # held-out data that chooses the temperature
        run.data["valid"][...] = to_numpy(run.oracle.sample(cfg.n_test, run.rng["valid"]))

    def share_start():  # every method starts from the pre-trained G
        for model in (G_ss, G_bleu, G_const):
            copy_params(model.params, sg.G.params)
        oracle.copy_state(states["G_ss"], sg.mle_state)  # SS goes on with MLE

    def ss_epoch():
        """One MLE epoch whose inputs are G's own samples with the schedule's probability."""
        rng, prob = run.rng["ss"], ss_probability(run.done["ss_branch"] + 1, units, cfg.ss_max_prob)
        mle_epoch(G_ss, sg.g_opt, states["G_ss"], S, cfg.batch_size, rng,
                  lambda y: ss_loss_and_grads(G_ss, y, prob, rng), run.finite)

    def bleu_epoch():
        """SeqGAN's g-steps and rollout-policy update with BLEU as the reward; no D."""
        bleu[:] = bleu or [run.code.bleu(S, cfg.vocab_size, xp=xp, dtype=run.dtype)]
        g_steps(G_bleu, sg.g_opt, states["G_bleu"],
                lambda Y: sg.rollout_Q(Y, G_bleu_beta, bleu[0], cfg.rollouts, run.rng["bleu_rollout"]),
                cfg, run.rng["bleu"], run.finite)
        update_rollout_policy(G_bleu_beta.params, G_bleu.params, cfg.rollout_update_rate)

    at = {phase.name: i for i, phase in enumerate(phases)}  # the oracle experiment's, by name
    phases[at["data"]] = oracle.then(phases[at["data"]], step=make_valid)
    phases[at["mle_branch"]] = oracle.then(phases[at["mle_branch"]], start=share_start)
    return phases + [
        Phase("ss_branch", units, ss_epoch),
        Phase("bleu_branch", units, bleu_epoch,
              start=lambda: copy_params(G_bleu_beta.params, G_bleu.params)),
        constant,
        Phase("temperature", len(TEMPERATURES), lambda: temperature_unit(run)),
        Phase("final", len(ROWS), lambda: final_unit(run))]


def constant_branch(run):
    """The control: SeqGAN's g-steps with Q = 1/2 everywhere and no D (a
    rollout would estimate exactly that) on G_const, a copy of G_theta with
    an Adam state of its own; the caller sets it to the pre-trained G.
    Returns G_const and its phase."""
    cfg, sg, xp = run.cfg, run.sg, run.xp
    G_const, state = sg.G.copy("G_const"), sg.g_opt.init(sg.G.params, xp)
    run.models["G_const"], run.opt_state["G_const"] = G_const, state
    run.branches["constant_branch"] = Branch("constant", G_const, cfg.pretrain_g_epochs)

    def epoch():
        g_steps(G_const, sg.g_opt, state, lambda Y: constant_Q(Y, xp, run.dtype), cfg,
                run.rng["constant"], run.finite)

    return G_const, Phase("constant_branch", cfg.adv_epochs, epoch)


def temperature_unit(run):
    """The MLE generator at the next temperature of the sweep: NLL on the
    validation data, NLL-test and NLL-oracle."""
    alpha = TEMPERATURES[run.done["temperature"]]
    model = tempered(run.G_mle, alpha)
    samples = model.sample(run.cfg.n_eval, run.rng["final"])  # (n_eval, T)
    run.record["sweep"].append({
        "alpha": alpha,
        "nll_valid": run.finite("NLL-valid", mean_nll(model, run.data["valid"])),
        "nll_test": run.finite("NLL-test", nll_test(model, run.data["test"])),
        "nll_oracle": run.finite("NLL-oracle", nll_oracle(run.oracle, samples))})


def best_alpha(sweep):
    """The temperature of least NLL on the validation data (not NLL-oracle)."""
    return min(sweep, key=lambda s: s["nll_valid"])["alpha"]


def matched_alpha(sweep, target):
    """The temperature at which the MLE generator's NLL on the validation
    data equals ``target`` (SeqGAN's): linear between the two temperatures
    of the sweep up to ``best_alpha`` (where that NLL falls) that enclose it,
    the nearest end where none do. Compares the two at equal coverage of the
    real data, the frontier's question, without using NLL-oracle."""
    falling = [(s["alpha"], s["nll_valid"]) for s in sweep if s["alpha"] <= best_alpha(sweep)]
    for (a0, n0), (a1, n1) in zip(falling, falling[1:]):
        if n1 <= target <= n0:
            return a0 + (a1 - a0) * (n0 - target) / (n0 - n1)
    return falling[0][0] if target > falling[0][1] else falling[-1][0]


def final_unit(run):
    """One row of the table on n_final_eval samples, with standard errors."""
    cfg, rng, sweep = run.cfg, run.rng["final"], run.record["sweep"]
    row = ROWS[run.done["final"]]
    figures = {}
    if row == "random":
        samples = sample_unigram(run.data["train"], cfg.vocab_size, cfg.n_final_eval, rng)
    else:
        model = run.methods.get(row)
        if model is None:  # a tempered MLE
            figures["alpha"] = best_alpha(sweep) if row == "mle_tempered" else \
                matched_alpha(sweep, mean_nll(run.sg.G, run.data["valid"]))
            model = tempered(run.G_mle, figures["alpha"])
        samples = model.sample(cfg.n_final_eval, rng)
        figures["nll_test"], figures["nll_test_se"] = nll_and_error(model, run.data["test"])
    figures["nll_oracle"], figures["nll_oracle_se"] = nll_and_error(run.oracle, samples)
    for k, v in figures.items():
        run.finite(f"{row}'s {k}", v)
    run.record["finals"][row] = figures


def check_record(meta, run):
    oracle.check_baselines(meta, run)
    sweep, finals = meta["sweep"], meta["finals"]
    if not (isinstance(sweep, list) and len(sweep) == meta["done"]["temperature"]
            and all(isinstance(s, dict) and set(s) == {"alpha", "nll_valid", "nll_test",
                                                       "nll_oracle"} for s in sweep)):
        raise ValueError("sweep: expected one entry per temperature done")
    if not (isinstance(finals, dict) and list(finals) == list(ROWS[:meta["done"]["final"]])):
        raise ValueError("finals: expected one entry per table row done, in order")


def write_outputs(run):
    sweep = run.record["sweep"]
    res = {"seed": run.cfg.seed, "backend": backend_name(run.xp), "code": run.cfg.code,
           "finals": run.record["finals"], "sweep": sweep, "best_alpha": best_alpha(sweep),
           "rows": run.rows, "baselines": run.record["baselines"],
           "seconds": {k: round(v, 1) for k, v in run.seconds.items()}}
    write_text(run.out / SEED_RESULTS, json.dumps(res, indent=2, allow_nan=False))
    return res


TABLE1_SEED = Recipe("table1-seed", build, oracle.evaluate, write_outputs,
                     lambda cfg: {**oracle.data_rows(cfg), "valid": cfg.n_test}, check_record,
                     record={"baselines": {}, "sweep": [], "finals": {}})


# ------------------------------------------------------------------ the table
def run_table1(cfg, n_seeds, out, overwrite=False, progress=None):
    """Table 1 over seeds cfg.seed .. cfg.seed + n_seeds - 1 in the folder
    ``out``: one TABLE1_SEED run per seed, then the table and figures."""
    return start_study(out, "table1.json", TABLE_FILES, overwrite, cfg, {"seeds": n_seeds},
                       lambda: _run_seeds(cfg, n_seeds, out, overwrite, progress))


def resume_table1(out, progress=None):
    """Go on with the table in ``out``: finished seeds are kept, the
    interrupted one resumed from its checkpoint, the others started."""
    return resume_study(out, "table1.json", ("seeds",),
                        lambda cfg, state: _run_seeds(cfg, state["seeds"], out, False, progress))


def _run_seeds(cfg, n_seeds, out, overwrite, progress):
    results = run_seeds(lambda seed: TABLE1_SEED, cfg, n_seeds, out, overwrite, progress, "table1")
    return write_table(results, cfg, Path(out))


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
          f"{spread(len(seeds))}; final figures on {cfg.n_final_eval:,} samples "
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
        md.append(f"| {e['label']} | {fmt_mean_sd(e['nll_oracle_mean'], e['nll_oracle_sd'])} | "
                  f"{_number(e['nll_oracle_se'], '.4f')} | {p_oracle} | "
                  f"{fmt_mean_sd(e['nll_test_mean'], e['nll_test_sd'])} | {p_test} | {paper} | "
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
        along = [[row for row in res["rows"] if row["branch"] == method and row["epoch"] > start]
                 for res in results]  # per seed: the method's evaluations after the start
        per_seed = [[_start(res)["nll_oracle"]] + [row["nll_oracle"] for row in rows]
                    for res, rows in zip(results, along)]
        epochs = [start] + [row["epoch"] for row in along[0]]
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
