"""The synthetic oracle experiment: Algorithm 1 (``core/seqgan.py``) with
the data it needs and the MLE branch to compare against, as phases:

  data        sample the real data from the oracle: n_train training and
              n_test held-out sequences; measure the oracle's entropy floor
              and the unigram "Random" baseline
  pretrain_g  pre-train G_theta by MLE on the training data (line 2)
  mle_branch  from the pre-trained G_theta, go on with plain MLE for
              adv_epochs epochs: the MLE curve of the paper's Figure 2
  pretrain_d  pre-train D_phi: rounds of fresh negatives (lines 4-5)
  adversarial beta <- theta, then per epoch g_steps policy-gradient steps
              on Q from Monte Carlo rollouts of G_beta, the rollout-policy
              update and d_steps discriminator rounds (lines 6-19)

``ORACLE_EXPERIMENT`` is the recipe the runner (``run/runner.py``) runs;
``build`` is reused by Table 1, which adds its methods as more phases.
"""
import csv
import io
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..backend import backend_name, to_numpy
from ..core.discriminator import REAL
from ..core.metrics import nll_oracle, nll_test
from ..core.oracle import load_oracle, make_oracle
from ..core.seqgan import Phase, algorithm_1, copy_params, make_seqgan, mle_epoch
from ..experiments.baselines import sample_unigram
from .checkpoint import write_text
from .plots import plot_learning_curves
from .runner import Branch, Recipe, finite_number


def oracle_of(run):
    """The oracle of the settings: the file's, or the built-in one of the seed."""
    cfg, xp = run.cfg, run.xp
    if cfg.oracle_params:
        oracle = load_oracle(cfg.oracle_params, cfg.seq_len, xp, run.dtype, run.code.model)
        if oracle.vocab_size != cfg.vocab_size:
            raise ValueError(f"{cfg.oracle_params}: the oracle's vocabulary is "
                             f"{oracle.vocab_size}, the setting vocab_size={cfg.vocab_size}")
        return oracle
    return make_oracle(cfg.seed, cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len, xp,
                       run.dtype, run.code.model)


def then(phase, start=None, step=None):
    """``phase`` with ``start()`` added to its start and ``step()`` to its step."""
    def started():
        if phase.start:
            phase.start()
        start()

    def stepped():
        phase.step()
        step()

    return replace(phase, start=started if start else phase.start, step=stepped if step else phase.step)


def build(run):
    """The oracle (the file's or the built-in one), then ``seqgan_phases``
    with the oracle's data phase."""
    run.oracle = run.oracle or oracle_of(run)
    run.models["oracle"] = run.oracle
    return seqgan_phases(run, Phase("data", 1, lambda: make_data(run)))


def seqgan_phases(run, data):
    """G_theta, G_beta, D_phi (Algorithm 1's line 1) and G_mle, their Adam
    states and the phases: ``data`` (which fills run.data), then Algorithm
    1's loops and the MLE branch. Models and states are registered by the
    names the checkpoint keeps them under; the text experiment reuses it."""
    cfg, xp, code = run.cfg, run.xp, run.code
    sg = make_seqgan(cfg, run.rng["init"], xp, run.dtype, code.model, code.discriminator,
                     code.adam, code.rollout)
    G_mle = sg.G.copy("G_mle")  # the MLE branch, from the pre-trained G
    mle_state = sg.g_opt.init(G_mle.params, xp)
    run.sg, run.G_mle = sg, G_mle
    run.models.update(G=sg.G, G_mle=G_mle, G_beta=sg.beta, D=sg.D)
    run.opt_state.update(G=sg.mle_state, G_pg=sg.pg_state, G_mle=mle_state, D=sg.d_state)
    S, start = run.data["train"], cfg.pretrain_g_epochs
    run.branches.update(pretrain_g=Branch("pretrain", sg.G),
                        mle_branch=Branch("mle", G_mle, start),
                        adversarial=Branch("seqgan", sg.G, start, D=sg.D))
    pretrain_g, pretrain_d, adversarial = algorithm_1(sg, S, cfg, run.rng, run.finite)

    def branch_off():  # both branches start from the pre-trained G, Adam state and all
        copy_params(G_mle.params, sg.G.params)
        copy_state(mle_state, sg.mle_state)

    return [data,
            then(pretrain_g, start=lambda: run.recipe.evaluate(run, "pretrain", 0, sg.G)),  # the untrained G
            Phase("mle_branch", cfg.adv_epochs,
                  lambda: mle_epoch(G_mle, sg.g_opt, mle_state, S, cfg.batch_size,
                                    run.rng["mle_branch"], check=run.finite), start=branch_off),
            pretrain_d,
            then(adversarial, start=lambda: run.recipe.evaluate(run, "seqgan", start, sg.G, sg.D))]


def copy_state(dst, src):
    """An Adam state dst <- src, in place."""
    copy_params(dst.m, src.m)
    copy_params(dst.v, src.v)
    dst.t = src.t


def make_data(run):
    cfg, rng, oracle = run.cfg, run.rng["data"], run.oracle
    run.data["train"][...] = to_numpy(oracle.sample(cfg.n_train, rng))  # (n_train, T)
    run.data["test"][...] = to_numpy(oracle.sample(cfg.n_test, rng))  # (n_test, T)
    # The entropy floor: the oracle's NLL of its own (held-out) samples.
    baselines = run.record["baselines"]
    baselines["oracle_entropy"] = run.finite("the oracle's entropy",
                                             nll_oracle(oracle, run.data["test"]))
    unigram = sample_unigram(run.data["train"], cfg.vocab_size, cfg.n_eval, run.rng["eval"])
    baselines["random_unigram"] = run.finite("the unigram baseline", nll_oracle(oracle, unigram))


def evaluate(run, branch, epoch, model, D=None):
    """NLL-oracle of n_eval samples, NLL-test of the held-out data and,
    with a discriminator D, its accuracy and loss on real vs generated
    sequences and the mean reward D(real) of generated ones. Appends the
    row; returns the samples (n_eval, T)."""
    cfg, t0, test = run.cfg, time.perf_counter(), run.data["test"]
    samples = model.sample(cfg.n_eval, run.rng["eval"])  # (n_eval, T)
    row = {"branch": branch, "epoch": epoch,
           "nll_oracle": run.finite("NLL-oracle", nll_oracle(run.oracle, samples)),
           "nll_test": run.finite("NLL-test", nll_test(model, test)),
           "d_accuracy": None, "d_loss": None, "mean_reward": None}
    if D is not None:
        row.update(d_figures(run, D, test, samples))
    row["seconds"] = round(time.perf_counter() - t0, 3)
    run.rows.append(row)
    return samples


def d_figures(run, D, real, samples):
    """D's accuracy and loss on n_eval_disc real sequences against as many
    generated ones, and the mean reward D(real) of the generated ones."""
    n, sure = run.cfg.n_eval_disc, 1e-12  # float32 rounds a sure D to 0 or 1: keep the logs finite
    p_real, p_fake = (np.clip(to_numpy(D.predict_proba(x))[:, REAL].astype(np.float64),
                              sure, 1.0 - sure) for x in (real[:n], samples[:n]))
    return {"d_accuracy": float(((p_real > 0.5).mean() + (p_fake < 0.5).mean()) / 2),
            "d_loss": float(-(np.log(p_real).mean() + np.log1p(-p_fake).mean()) / 2),
            "mean_reward": run.finite("the mean reward", float(p_fake.mean()))}


def check_baselines(meta, run):
    baselines = meta["baselines"]
    if not (isinstance(baselines, dict) and all(finite_number(v) for v in baselines.values())
            and (not meta["done"]["data"] or set(baselines) == {"oracle_entropy", "random_unigram"})):
        raise ValueError("baselines: expected the oracle's entropy and the unigram row")


# --------------------------------------------------------------- outputs
def final(run, branch, key):
    """The last evaluation of ``branch``: its ``key`` figure."""
    return [r for r in run.rows if r["branch"] == branch][-1][key]


def results(run):
    cfg = run.cfg
    seconds = {k: round(v, 1) for k, v in run.seconds.items()}
    seconds["total"] = round(sum(run.seconds.values()), 1)
    figures = {k: {"pretrained": final(run, "pretrain", k), "mle": final(run, "mle", k),
                   "seqgan": final(run, "seqgan", k)} for k in ("nll_oracle", "nll_test")}
    return {
        "preset": cfg.preset, "seed": cfg.seed, "backend": backend_name(run.xp), "code": cfg.code,
        "oracle": cfg.oracle_params or f"built-in (make_oracle seed {cfg.seed})",
        "nll_oracle": {**figures["nll_oracle"], **run.record["baselines"]},
        "nll_test": figures["nll_test"],
        "epochs": {"pretrain": cfg.pretrain_g_epochs, "adversarial": cfg.adv_epochs},
        "seconds": seconds,
    }


def write_evaluations(run):
    """evaluations.csv: one line per evaluation row, the recipe's fields."""
    fields, buf = run.recipe.row_fields, io.StringIO()
    w = csv.DictWriter(buf, fields, lineterminator="\n")
    w.writeheader()
    w.writerows({k: ("" if r[k] is None else r[k]) for k in fields} for r in run.rows)
    write_text(run.out / "evaluations.csv", buf.getvalue())


def write_outputs(run):
    out, cfg = run.out, run.cfg
    write_evaluations(run)
    for name, model in (("seqgan", run.sg.G), ("mle", run.G_mle)):
        y = to_numpy(model.sample(cfg.n_final_samples, run.rng["eval"]))
        write_text(out / f"samples_{name}.txt", "\n".join(" ".join(map(str, s)) for s in y) + "\n")
    res = results(run)
    plot_learning_curves(run.rows, cfg.pretrain_g_epochs, res["nll_oracle"]["oracle_entropy"],
                         out / "nll_oracle.png",
                         f"SeqGAN vs MLE: preset '{cfg.preset}', "
                         f"{Path(cfg.oracle_params).name if cfg.oracle_params else 'built-in'} oracle")
    write_text(out / "results.json", json.dumps(res, indent=2, allow_nan=False))
    return res


def data_rows(cfg):
    return {"train": cfg.n_train, "test": cfg.n_test}


ORACLE_EXPERIMENT = Recipe("oracle-experiment", build, evaluate, write_outputs, data_rows,
                           check_baselines, record={"baselines": {}})


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
