"""Why SeqGAN works here: six studies of what its result depends on, each
against controls, over seeds.

For each seed (a run folder of its own, seed-N/): the oracle experiment's
phases (the data, MLE pre-training of G_theta, the MLE branch, D_phi's
pre-training and SeqGAN itself: the ``mle`` and ``seqgan`` rows), then one
phase per further row, each from a start the rows share. A row trains its
G for adv_epochs epochs in one slot (G, G_beta, D and their Adam states,
reset at the row's start), so a run holds one working copy whatever the
number of rows; its evaluations (every eval_every epochs) add G's entropy
rate and distinct-4 to the oracle experiment's figures.

  optimiser      SeqGAN and the constant reward Q = 1/2 with Adam and with
                 plain SGD (its rate matched to Adam's mean step norm), and
                 SeqGAN with Q minus its batch mean
  rollouts       the spread of Q and of the policy gradient against N at
                 the pre-trained G and D (the first seed), and SeqGAN with
                 N = 1 and 4 beside the setting's N
  pretraining    SeqGAN, MLE and the constant reward from G pre-trained for
                 0 and 5 epochs (a D pre-trained against each) beside the
                 shared start's (pretrain_g_epochs)
  discriminator  SeqGAN with D's learning rate x 10 and with the original
                 code's strategy (g-steps, d-steps, k) = (1, 5, 3) (the
                 first seed: its cost) beside the setting's, and the
                 constant reward (which no D changes)
  raml           RAML with the Hamming payoff at three temperatures tau, and
                 label smoothing towards the unigram distribution, beside MLE
  frontier       temperature sweeps of the pre-trained, the MLE and the
                 SeqGAN generator; every row's final G as a point, with its
                 entropy rate and distinct-4

The rows and studies are defined in ``studies.py``. ``run_ablations`` runs
the seeds in turn (resumable as Table 1) and writes per study
study-NAME.md, .csv and .png into one folder (``ablation_report.py``).
"""
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..backend import backend_name, to_numpy
from ..core.metrics import distinct_n, mean_nll, nll_oracle, nll_test
from ..core.optim import SGD, global_norm
from ..core.seqgan import Phase, adversarial_epoch, copy_params, d_round, g_steps, mle_epoch
from ..run import oracle_experiment as oracle
from ..run.checkpoint import write_text
from ..run.runner import ROW_FIELDS, Branch, Recipe, Streams
from .baselines import (centred_Q, constant_Q, raml_loss_and_grads, rollout_spread,
                        smoothing_loss_and_grads, tempered, unigram_frequencies)
from .seeds import SEED_RESULTS, resume_study, run_seeds, start_study
from .studies import (EARLY, NS, ROWS, SMOOTHING, SPREAD_BATCH, SPREAD_REPEATS, STUDIES, SWEEP,
                      SWEPT, plan)

FIELDS = ROW_FIELDS + ("entropy_rate", "distinct_4")  # an evaluation row here


# ------------------------------------------------------------------ a seed
class MeasuredSteps:
    """An optimiser that records, in the phases named in the run's
    record["steps"] (a dict: phase -> list), each step's length
    ||theta_new - theta_old|| and its clipped gradient norm; in the other
    phases its steps are the optimiser's, untouched."""

    def __init__(self, opt, run):
        self.opt, self.run = opt, run

    def init(self, params, xp):
        return self.opt.init(params, xp)

    def step(self, params, grads, state):
        phase, steps = self.run.unit[0], self.run.record["steps"]  # (the record is replaced on resume)
        if phase not in steps:
            return self.opt.step(params, grads, state)
        before = {k: v.copy() for k, v in params.items()}
        returned = self.opt.step(params, grads, state)
        length = math.sqrt(sum(float(((params[k] - before[k]) ** 2).sum()) for k in params))
        norm = float(global_norm(grads)) if returned is None else float(returned)  # (no clipping)
        steps[phase].append([length, min(norm, self.opt.clip_norm or math.inf)])
        return returned


def build(run, rows, spread_study, sweeps):
    """The oracle experiment's models and phases, then the snapshots the
    rows start from, the slot they train in, and their phases."""
    phases = oracle.build(run)
    cfg, sg, xp, code = run.cfg, run.sg, run.xp, run.code
    S, adam = run.data["train"], sg.g_opt
    G_pre, pre_state = sg.G.copy("G_pre"), adam.init(sg.G.params, xp)  # the shared start
    D_pre = code.discriminator.random(cfg.discriminator(), run.rng["ablation_init"], xp, run.dtype)
    D_pre_state = sg.d_opt.init(D_pre.params, xp)
    early = {e: (sg.G.copy(f"G_from{e}"), adam.init(sg.G.params, xp)) for e in EARLY}
    slot = replace(sg, G=sg.G.copy("G_row"), beta=sg.G.copy("G_row_beta"),
                   D=code.discriminator.random(cfg.discriminator(), run.rng["ablation_init"], xp,
                                               run.dtype),
                   mle_state=adam.init(sg.G.params, xp), d_state=sg.d_opt.init(D_pre.params, xp))
    slot.pg_state = slot.mle_state  # one Adam state for G in the slot, whatever its loss
    run.models.update(G_pre=G_pre, D_pre=D_pre, G_row=slot.G, G_row_beta=slot.beta, D_row=slot.D,
                      **{f"G_from{e}": G for e, (G, _) in early.items()})
    run.opt_state.update(G_pre=pre_state, D_pre=D_pre_state, G_row=slot.mle_state,
                         D_row=slot.d_state, **{f"G_from{e}": st for e, (_, st) in early.items()})
    run.record["steps"].update({r: [] for r in ("adversarial",) + tuple(
        r for r in rows if ROWS[r].kind in ("seqgan", "constant"))})  # the policy-gradient phases
    sg.g_opt = MeasuredSteps(adam, run)  # SeqGAN's own steps are measured too
    unigram = []

    def snapshot_early():  # G and its MLE state at the start (unit 0) or after epoch unit
        for e, (G, state) in early.items():
            if e == run.unit[1]:
                copy_params(G.params, sg.G.params)
                oracle.copy_state(state, sg.mle_state)

    def snapshot_g():
        copy_params(G_pre.params, sg.G.params)
        oracle.copy_state(pre_state, sg.mle_state)

    def snapshot_d():
        copy_params(D_pre.params, sg.D.params)
        oracle.copy_state(D_pre_state, sg.d_state)

    at = {phase.name: i for i, phase in enumerate(phases)}
    phases[at["pretrain_g"]] = oracle.then(phases[at["pretrain_g"]], start=snapshot_early,
                                           step=snapshot_early)
    phases[at["mle_branch"]] = oracle.then(phases[at["mle_branch"]], start=snapshot_g)
    phases[at["adversarial"]] = oracle.then(phases[at["adversarial"]], start=snapshot_d)
    for name in rows:
        phases += row_phases(run, ROWS[name], slot, adam, S, unigram,
                             (G_pre, pre_state) if ROWS[name].start is None else early[ROWS[name].start],
                             (D_pre, D_pre_state))
    if spread_study:
        phases.append(Phase("spread", len(NS), lambda: spread_unit(run, G_pre, D_pre)))
    if sweeps:
        swept = {"pretrained": G_pre, "mle": run.G_mle, "seqgan": sg.G}
        phases.append(Phase("sweeps", len(SWEPT) * len(SWEEP), lambda: sweep_unit(run, swept)))
    return phases


def zero_state(state):
    for k in state.m:
        state.m[k][...] = 0
        state.v[k][...] = 0
    state.t = 0


def row_phases(run, row, slot, adam, S, unigram, G_start, D_start):
    """The row's phase (after its own D pre-training where it starts early
    with a D): reset the slot to the start, then adv_epochs epochs."""
    cfg, xp = run.cfg, run.xp
    g, d, k = row.strategy or (cfg.g_steps, cfg.d_steps, cfg.d_epochs)
    row_cfg = replace(cfg, g_steps=g, d_steps=d, d_epochs=k, rollouts=row.rollouts or cfg.rollouts)
    rng = {purpose: run.rng[f"{row.name}:{purpose}"] for purpose in ("adversarial", "rollout", "d_train")}
    d_opt = replace(slot.d_opt, lr=cfg.d_lr * row.d_lr_factor)
    rollout = (lambda *a: centred_Q(slot.rollout_Q(*a))) if row.centred else slot.rollout_Q
    first = cfg.pretrain_g_epochs if row.start is None else row.start
    early_d = row.kind == "seqgan" and row.start is not None

    def opt():
        return SGD(run.record["sgd_lr"][row.name], cfg.g_clip) if row.sgd else adam

    def reset():
        G, state = G_start
        copy_params(slot.G.params, G.params)
        copy_params(slot.beta.params, G.params)
        if row.kind in ("seqgan", "constant"):
            zero_state(slot.mle_state)  # the policy-gradient steps start with fresh moments
        else:
            oracle.copy_state(slot.mle_state, state)  # MLE goes on with its moments
        if row.kind == "seqgan" and not early_d:
            copy_params(slot.D.params, D_start[0].params)
            oracle.copy_state(slot.d_state, D_start[1])
        if row.sgd:
            run.record["sgd_lr"][row.name] = sgd_rate(run.record["steps"][phase_of(row.twin)])

    def fresh_d():  # a new D, pre-trained against this early G
        reset()
        fresh = run.code.discriminator.random(cfg.discriminator(), run.rng[f"{row.name}:d_init"],
                                              xp, run.dtype)
        copy_params(slot.D.params, fresh.params)
        zero_state(slot.d_state)

    def step():
        view = replace(slot, g_opt=MeasuredSteps(opt(), run), d_opt=d_opt,
                       rollout_Q=rollout)
        if row.kind == "seqgan":
            adversarial_epoch(view, S, row_cfg, rng, run.finite)
        elif row.kind == "constant":
            g_steps(slot.G, view.g_opt, slot.pg_state, lambda Y: constant_Q(Y, xp, run.dtype),
                    row_cfg, rng["adversarial"], run.finite)
        else:
            mle_epoch(slot.G, adam, slot.mle_state, S, cfg.batch_size, rng["adversarial"],
                      mle_loss(run, row, slot.G, unigram, rng["adversarial"]), run.finite)

    D = slot.D if row.kind == "seqgan" else None  # the row's evaluations add D's figures

    def start():
        if not early_d:  # (an early D-row was reset before its D's pre-training)
            reset()
        if row.start is not None:  # where the row's curve begins, with its D's accuracy
            run.recipe.evaluate(run, row.name, first, slot.G, D)

    run.branches[row.name] = Branch(row.name, slot.G, first, D)
    phases = []
    if early_d:
        phases.append(Phase(f"pretrain_d_{row.name}", cfg.pretrain_d_rounds,
                            lambda: d_round(slot, S, cfg, rng["d_train"], run.finite), start=fresh_d))
    return phases + [Phase(row.name, cfg.adv_epochs, step, start)]


def phase_of(row):
    """The phase that trains ``row``: the oracle experiment's for SeqGAN."""
    return {"seqgan": "adversarial", "mle": "mle_branch"}.get(row, row)


def mle_loss(run, row, G, unigram, rng):
    """The loss of an MLE-like row's batch: MLE, RAML's or label smoothing's."""
    if row.kind == "raml":
        return lambda y: raml_loss_and_grads(G, y, row.tau, rng)
    if row.kind == "smooth":
        unigram[:] = unigram or [unigram_frequencies(run.data["train"], run.cfg.vocab_size)]
        return lambda y: smoothing_loss_and_grads(G, y, unigram[0], SMOOTHING, rng)
    return None


def sgd_rate(steps):
    """The SGD rate whose steps match, in mean length, the Adam steps
    recorded in ``steps`` ([length, clipped gradient norm] per step):
    mean length / mean clipped gradient norm."""
    lengths, norms = np.array(steps).T
    return float(lengths.mean() / norms.mean())


def spread_unit(run, G, D):
    """The spread of Q and of the policy gradient at the next N, for one
    fixed batch of the pre-trained G scored by the pre-trained D."""
    N = NS[run.done["spread"]]
    Y = G.sample(SPREAD_BATCH, Streams(run.cfg.seed)["spread_batch"])  # the same batch for every N
    var_Q, var_grad = rollout_spread(G, G, D.p_real, Y, N, SPREAD_REPEATS, run.rng["spread"],
                                     run.code.rollout)
    run.record["spread"].append({"N": N, "var_Q": run.finite("var Q", var_Q),
                                 "var_grad": run.finite("var grad", var_grad)})


def sweep_unit(run, swept):
    """The next generator at the next temperature: NLL-test, NLL-oracle and
    entropy rate of its n_eval samples."""
    i = run.done["sweeps"]
    name, alpha = SWEPT[i // len(SWEEP)], SWEEP[i % len(SWEEP)]
    model = tempered(swept[name], alpha)
    samples = model.sample(run.cfg.n_eval, run.rng["sweeps"])
    run.record["sweeps"].append({
        "model": name, "alpha": alpha,
        "nll_test": run.finite("NLL-test", nll_test(model, run.data["test"])),
        "nll_oracle": run.finite("NLL-oracle", nll_oracle(run.oracle, samples)),
        "entropy_rate": run.finite("the entropy rate", mean_nll(model, samples))})


def evaluate(run, branch, epoch, model, D=None):
    """The oracle experiment's evaluation, with G's entropy rate (the
    per-token NLL of its own samples under itself) and distinct-4 of the
    same samples."""
    samples = oracle.evaluate(run, branch, epoch, model, D)
    row = run.rows[-1]
    row["entropy_rate"] = run.finite("the entropy rate", mean_nll(model, samples))
    row["distinct_4"] = distinct_n(to_numpy(samples), 4)


def check_record(meta, run):
    oracle.check_baselines(meta, run)
    if not (isinstance(meta["steps"], dict) and isinstance(meta["sgd_lr"], dict)
            and isinstance(meta["spread"], list) and isinstance(meta["sweeps"], list)):
        raise ValueError("steps, sgd_lr, spread or sweeps: malformed")
    if len(meta["sweeps"]) != meta["done"].get("sweeps", 0) or \
            len(meta["spread"]) != meta["done"].get("spread", 0):
        raise ValueError("sweeps or spread: expected one entry per unit done")


def write_outputs(run):
    res = {"seed": run.cfg.seed, "backend": backend_name(run.xp), "code": run.cfg.code,
           "rows": run.rows, **{k: run.record[k] for k in ("baselines", "steps", "sgd_lr", "spread",
                                                        "sweeps")},
           "seconds": {k: round(v, 1) for k, v in run.seconds.items()}}
    write_text(run.out / SEED_RESULTS, json.dumps(res, indent=2, allow_nan=False))
    return res


def ablation_seed(rows, spread_study, sweeps):
    """The recipe of one seed's run of ``rows``."""
    return Recipe("ablations-seed", lambda run: build(run, rows, spread_study, sweeps),
                  evaluate, write_outputs, oracle.data_rows, check_record,
                  record={"baselines": {}, "steps": {}, "sgd_lr": {}, "spread": [], "sweeps": []},
                  row_fields=FIELDS)


# --------------------------------------------------------------- the study
STATE = "ablations.json"


def check_studies(studies):
    unknown = [s for s in studies if s not in STUDIES]
    if unknown or not studies:
        raise ValueError(f"unknown study {unknown[0]!r}: choose from {', '.join(STUDIES)}" if unknown
                         else f"no study chosen: choose from {', '.join(STUDIES)}")
    return tuple(s for s in STUDIES if s in studies)


def output_files(studies):
    return (STATE,) + tuple(f"study-{s}.{ext}" for s in studies for ext in ("md", "csv", "png"))


def run_ablations(cfg, n_seeds, studies, out, overwrite=False, progress=None):
    """The ``studies`` over seeds cfg.seed .. cfg.seed + n_seeds - 1 in the
    folder ``out``, then each study's table and figure."""
    studies = check_studies(studies)
    if "pretraining" in studies and cfg.pretrain_g_epochs <= max(EARLY):
        raise ValueError(f"setting pretrain_g_epochs={cfg.pretrain_g_epochs}: the pretraining study "
                         f"starts G also from {', '.join(map(str, EARLY))} epochs, so it needs more")
    return start_study(out, STATE, output_files(studies), overwrite, cfg,
                       {"seeds": n_seeds, "studies": list(studies)},
                       lambda: _run(cfg, n_seeds, studies, out, overwrite, progress))


def resume_ablations(out, progress=None):
    """Go on with the studies in ``out`` (finished seeds kept, the
    interrupted one resumed, the others started)."""
    def go(cfg, state):
        return _run(cfg, state["seeds"], check_studies(state["studies"]), out, False, progress)
    return resume_study(out, STATE, ("seeds", "studies"), go)


def _run(cfg, n_seeds, studies, out, overwrite, progress):
    def recipe_of(seed):
        return ablation_seed(plan(studies, seed == cfg.seed), "rollouts" in studies and seed == cfg.seed,
                             "frontier" in studies)
    results = run_seeds(recipe_of, cfg, n_seeds, out, overwrite, progress, "ablations")
    from .ablation_report import write_study  # matplotlib
    return {s: write_study(STUDIES[s], results, cfg, Path(out)) for s in studies}
