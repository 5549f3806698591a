"""The ablations: their new estimators checked exactly (enumeration of a
vocabulary of 3 and length 3, autograd), plain SGD, the measured step
lengths, and the studies end to end on a tiny configuration, interrupted
and resumed, and from the command line."""
import csv
import json
import math
import subprocess
import sys

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from seqgan_np.core.lm import LanguageModel, lm_loss_forward, shift_right
from seqgan_np.core.optim import SGD, global_norm
from seqgan_np.core.rollout import rollout_Q
from seqgan_np.experiments import ablations
from seqgan_np.experiments.ablation_report import compare
from seqgan_np.experiments.ablations import resume_ablations, run_ablations
from seqgan_np.experiments.baselines import (centred_Q, constant_Q, hamming_change_probability,
                                             raml_loss_and_grads, rollout_spread, sample_hamming,
                                             smoothing_loss_and_grads)
from seqgan_np.experiments.stats import paired_t_test, welch_t_test
from seqgan_np.experiments.studies import ROWS, STUDIES, plan
from seqgan_np.fast.rollout import rollout_Q as fast_rollout_Q
from seqgan_np.run.config import make_config
from test_estimators import ALL, T, V, chi_square_pvalue, tiny_models

TINY = dict(vocab_size=30, seq_len=6, emb_dim=8, hidden_dim=8, d_emb_dim=8,
            filter_sizes=(1, 2, 3), num_filters=(4, 4, 4), n_train=256, n_test=128,
            n_eval=128, n_eval_disc=64, batch_size=16, pretrain_g_epochs=6,
            pretrain_d_rounds=1, d_negatives=64, adv_epochs=3, rollouts=2, eval_every=2,
            checkpoint_every=2, n_final_samples=5)


class Interrupt(Exception):
    pass


def quiet(*args, **kwargs):
    pass


def tiny(**changes):
    return make_config("quick", {**TINY, **changes})


def tiny_lm(seed=0):
    return LanguageModel.random(np.random.default_rng(seed), V, 4, 4, T, std=1.0, dtype=np.float64)


# ------------------------------------------------------------ optimisers
def test_sgd_steps_along_the_clipped_gradient(rng):
    params = {"a": rng.normal(size=(3, 2)), "b": rng.normal(size=4)}
    grads = {"a": rng.normal(size=(3, 2)) * 5, "b": rng.normal(size=4) * 5}
    norm = float(global_norm(grads))
    for clip, scale in ((None, 1.0), (norm * 2, 1.0), (norm / 4, 0.25)):
        p = {k: v.copy() for k, v in params.items()}
        returned = SGD(0.1, clip).step(p, grads)
        assert (returned is None) == (clip is None)
        for k in p:
            np.testing.assert_allclose(p[k], params[k] - 0.1 * scale * grads[k], rtol=1e-12)
    with pytest.raises(ValueError, match="lr"):
        SGD(0.0)


def test_centred_reward_keeps_the_differences_and_gives_a_constant_no_step():
    Q = np.array([[0.2, 0.4], [0.9, 0.5]])
    assert centred_Q(Q).mean() == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(np.diff(centred_Q(Q).ravel()), np.diff(Q.ravel()))
    g = tiny_lm()
    y = g.sample(8, np.random.default_rng(1))
    _, grads = g.pg_loss_and_grads(y, centred_Q(constant_Q(y, dtype=np.float64)))
    assert all(not v.any() for v in grads.values())


# ------------------------------------------------------------------- RAML
def exact_q(y_star, tau):
    """q(y | y*; tau) for all 27 sequences, from its definition."""
    w = np.exp(-(ALL != y_star).sum(axis=1) / tau)
    return w / w.sum()


def test_hamming_sampler_matches_the_exact_payoff_distribution():
    y_star, tau, n = np.array([0, 2, 1]), 0.7, 60000
    y = sample_hamming(np.tile(y_star, (n, 1)), V, tau, np.random.default_rng(3))
    counts = np.bincount(y @ (V ** np.arange(T)[::-1]), minlength=len(ALL))
    p = chi_square_pvalue(counts, exact_q(y_star, tau))
    assert p > 1e-3, f"RAML samples differ from q(y | y*): chi-square p = {p:.2e}"
    changed = (ALL != y_star)[:, 0]  # the first position's marginal
    assert exact_q(y_star, tau)[changed].sum() == pytest.approx(hamming_change_probability(V, tau))


def raml_objective(y_star, tau):
    """E_{y ~ q(.|y*)}[-log G(y)] / T, summed over all 27 sequences."""
    q = exact_q(y_star, tau)

    def objective(params):
        return sum(q[i] * lm_loss_forward(params, ALL[i:i + 1], anp.full((1, T), 1.0 / T), 0, anp)[0]
                   for i in range(len(ALL)))
    return objective


def max_z(draw, exact, K):
    """The largest |mean - exact| / standard error over every entry of K
    draws of a gradient estimate (``draw()``: a dict like ``exact``)."""
    est = {k: [] for k in exact}
    for _ in range(K):
        for k, v in draw().items():
            est[k].append(v)
    return max(float(np.max(np.abs(np.mean(e, axis=0) - exact[k])
                            / (np.std(e, axis=0, ddof=1) / np.sqrt(K) + 1e-300)))
               for k, e in est.items())


def test_raml_gradient_is_the_exact_expectation_by_enumeration():
    g, y_star, tau = tiny_lm(2), np.array([1, 1, 0]), 0.8
    exact = autograd.grad(raml_objective(y_star, tau))(g.params)
    q = exact_q(y_star, tau)
    summed = {k: sum(q[i] * g.mle_loss_and_grads(ALL[i:i + 1])[1][k] for i in range(len(ALL)))
              for k in g.params}  # the library's gradient of each sequence, weighted by q
    for k in g.params:
        np.testing.assert_allclose(summed[k], exact[k], rtol=1e-10, atol=1e-13)
    rng, B = np.random.default_rng(4), 64
    z = max_z(lambda: raml_loss_and_grads(g, np.tile(y_star, (B, 1)), tau, rng)[1], exact, 300)
    assert z < 5, z


def test_label_smoothing_gradient_is_the_smoothed_loss_gradient_in_expectation():
    g, eps = tiny_lm(3), 0.3
    tokens = np.array([[0, 2, 1], [2, 2, 0]])
    u = np.array([0.5, 0.3, 0.2])
    B = len(tokens)
    inputs = shift_right(tokens, 0)
    w = np.full((B, T), 1.0 / (B * T))

    def smoothed(params):  # -1/(BT) sum sum_k [(1 - eps) 1{k = y} + eps u_k] log G(k | true prefix)
        loss = (1 - eps) * lm_loss_forward(params, tokens, w, 0, anp)[0]
        for k in range(V):
            loss = loss + eps * u[k] * lm_loss_forward(params, np.full_like(tokens, k), w, 0, anp,
                                                       inputs)[0]
        return loss

    exact = autograd.grad(smoothed)(g.params)
    rng = np.random.default_rng(5)
    z = max_z(lambda: smoothing_loss_and_grads(g, tokens, u, eps, rng)[1], exact, 3000)
    assert z < 5, z


# --------------------------------------------------------- rollout spread
def exact_single_rollout_variance(g, d, Y):
    """Var of one completion's D(real) given each prefix Y[b, :t], by
    enumeration: E[D^2] - E[D]^2 over the completions. (B, T - 1)."""
    lp = g.token_log_probs(ALL)  # (27, T)
    d_real = d.p_real(ALL)  # (27,)
    var = np.empty((len(Y), T - 1))
    for b, y in enumerate(Y):
        for t in range(1, T):
            same = (ALL[:, :t] == y[:t]).all(axis=1)
            p = np.exp(lp[same][:, t:].sum(axis=1))  # the completions' probabilities
            var[b, t - 1] = p @ d_real[same] ** 2 - (p @ d_real[same]) ** 2
    return var


@pytest.mark.parametrize("rollout", [rollout_Q, fast_rollout_Q], ids=["plain", "fast"])
def test_rollout_spread_falls_as_one_over_n_as_enumeration_says(rollout):
    g, d = tiny_models(4)
    Y = g.sample(6, np.random.default_rng(6))
    exact = exact_single_rollout_variance(g, d, Y).mean()
    R = 3000
    for N in (1, 4):
        var_Q, var_grad = rollout_spread(g, g, d.p_real, Y, N, R, np.random.default_rng(7 + N), rollout)
        assert var_grad > 0
        # the sample variance of R draws has a relative sd of about sqrt(2 / R) per entry
        assert var_Q == pytest.approx(exact / N, rel=0.1), (N, var_Q, exact / N)


# ---------------------------------------------------------- the studies
def _results(out, seed):
    res = json.loads((out / f"seed-{seed}" / "results.json").read_text())
    for r in res["rows"]:
        r.pop("seconds")
    res.pop("seconds")
    return res


def test_studies_end_to_end_and_resumed(tmp_path):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    run_ablations(tiny(), 2, list(STUDIES), whole, progress=quiet)
    calls = []

    def stop(phase, done, *args, **kwargs):  # the second seed, within SeqGAN with SGD
        calls.append(phase)
        if phase == "seqgan_sgd" and calls.count(phase) == TINY["adv_epochs"] + 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        run_ablations(tiny(), 2, list(STUDIES), cut, progress=stop)
    assert not (cut / "seed-1" / "results.json").exists()
    resume_ablations(cut, progress=quiet)
    for seed in (0, 1):
        assert _results(cut, seed) == _results(whole, seed)
    for study in STUDIES:
        assert (cut / f"study-{study}.csv").read_text() == (whole / f"study-{study}.csv").read_text()
        assert (whole / f"study-{study}.png").stat().st_size > 0
        assert "nan" not in (whole / f"study-{study}.md").read_text()

    first, second = _results(whole, 0), _results(whole, 1)
    ran = {r["branch"] for r in second["rows"]}
    assert "seqgan_153" in {r["branch"] for r in first["rows"]} and "seqgan_153" not in ran
    assert len(first["spread"]) == len(ablations.NS) and second["spread"] == []
    assert set(ROWS) - {"seqgan_153"} <= ran
    assert len(second["sweeps"]) == len(ablations.SWEPT) * len(ablations.SWEEP)
    untrained = [r for r in second["rows"] if r["branch"] == "pretrain" and r["epoch"] == 0][0]
    assert untrained["entropy_rate"] == pytest.approx(math.log(TINY["vocab_size"]), abs=0.05)
    for row in ("seqgan_from0", "mle_from0", "constant_from0"):  # they start from the untrained G
        start = [r for r in second["rows"] if r["branch"] == row][0]
        assert start["epoch"] == 0 and start["nll_test"] == untrained["nll_test"]

    # SGD's rate matches its Adam twin's mean step length; its steps are rate x clipped norm
    for row, twin in (("seqgan_sgd", "adversarial"), ("constant_sgd", "constant")):
        lengths, norms = np.array(second["steps"][twin]).T
        lr = second["sgd_lr"][row]
        assert lr == pytest.approx(lengths.mean() / norms.mean(), rel=1e-12)
        own_lengths, own_norms = np.array(second["steps"][row]).T
        np.testing.assert_allclose(own_lengths, lr * own_norms, rtol=1e-4)

    def last(res, row):
        return [r for r in res["rows"] if r["branch"] == row][-1]["nll_oracle"]

    # a difference is over the seeds that ran both rows: the first seed's alone for (1, 5, 3)
    diff, welch, paired = compare([first, second], "seqgan_153", "constant")["nll_oracle"]
    assert diff == pytest.approx(last(first, "seqgan_153") - last(first, "constant"))
    assert welch is None and paired is None
    diff, welch, paired = compare([first, second], "seqgan", "constant")["nll_oracle"]
    pairs = [[last(res, row) for res in (first, second)] for row in ("seqgan", "constant")]
    assert welch == pytest.approx(welch_t_test(*pairs)[2], rel=1e-12)
    assert paired == pytest.approx(paired_t_test(*pairs)[2], rel=1e-12)

    rows = list(csv.DictReader((whole / "study-optimiser.csv").open()))
    assert [r["row"] for r in rows[::2]] == list(STUDIES["optimiser"].rows)
    assert {r["seed"] for r in rows} == {"0", "1"}


def test_one_study_runs_only_its_rows_and_one_seed_shows_no_spread(tmp_path):
    assert plan(("raml",), True) == tuple(r for r in STUDIES["raml"].rows if r != "mle")
    assert "seqgan_153" not in plan(("discriminator",), False)
    run_ablations(tiny(), 1, ["raml"], tmp_path, progress=quiet)
    res = json.loads((tmp_path / "seed-0" / "results.json").read_text())
    assert {r["branch"] for r in res["rows"]} == {"pretrain", "mle", "seqgan", *plan(("raml",), True)}
    md = (tmp_path / "study-raml.md").read_text()
    assert "±" not in md and "nan" not in md and "One seed" in md
    assert sorted(p.name for p in tmp_path.glob("study-*")) == \
        ["study-raml.csv", "study-raml.md", "study-raml.png"]


def test_the_pretraining_study_needs_more_pretraining_than_its_early_starts(tmp_path):
    with pytest.raises(ValueError, match="pretrain_g_epochs=5"):
        run_ablations(tiny(pretrain_g_epochs=5), 1, ["pretraining"], tmp_path, progress=quiet)
    with pytest.raises(ValueError, match="unknown study 'optimizer'"):
        run_ablations(tiny(), 1, ["optimizer"], tmp_path, progress=quiet)


def _cli(*args):
    settings = [f"--set={k}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
                for k, v in TINY.items()]
    return subprocess.run([sys.executable, "-m", "seqgan_np", "ablations", *args, *settings],
                          capture_output=True, text=True)


def test_command_line_runs_refuses_and_resumes(tmp_path):
    out = tmp_path / "studies"
    done = _cli("--preset", "quick", "--seeds", "1", "--studies", "rollouts", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "The number of rollouts N" in done.stdout
    again = _cli("--preset", "quick", "--seeds", "1", "--studies", "rollouts", "--out", str(out))
    assert again.returncode == 2 and str(out) in again.stderr
    bad = _cli("--preset", "quick", "--studies", "rollouts,optimizer", "--out", str(tmp_path / "b"))
    assert bad.returncode == 2 and "unknown study 'optimizer'" in bad.stderr
    assert not (tmp_path / "b").exists()
    resumed = subprocess.run([sys.executable, "-m", "seqgan_np", "ablations", "--resume", str(out)],
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "study-rollouts.md").read_text() in resumed.stdout


BAD = {  # id: (argv after "ablations", words of the one-line message)
    "no seeds": (["--seeds", "0"], ["--seeds 0", "at least 1"]),
    "an unknown study": (["--studies", "raml,optimizer"], ["unknown study 'optimizer'", "choose from"]),
    "too little pre-training": (["--studies", "pretraining", "--set", "pretrain_g_epochs=5"],
                                ["pretrain_g_epochs=5", "pretraining study"]),
    "--resume with --studies": (["--resume", "x", "--studies", "raml"], ["--resume", "--studies"]),
    "--resume of a folder without studies": (["--resume", "{tmp}"], ["nothing to resume",
                                                                     "ablations.json"]),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_gives_one_line_and_exit_2(case, tmp_path, capsys):
    from seqgan_np.cli import main
    argv, words = BAD[case]
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "--resume" not in argv:
        argv += ["--preset", "quick", "--out", str(tmp_path / "new")]
    code = main(["ablations", *argv])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2 and err.startswith("python -m seqgan_np: error: "), err
    for word in words:
        assert word in err, (word, err)
    assert not (tmp_path / "new").exists()  # refused before any work


def test_below_the_frontier_interpolates_the_pre_trained_sweep():
    from seqgan_np.experiments.ablation_report import below_frontier
    sweep = [{"model": "pretrained", "alpha": a, "nll_test": t, "nll_oracle": o, "entropy_rate": h}
             for a, t, o, h in ((0.9, 9.0, 8.0, 5.0), (1.0, 8.5, 9.0, 6.0), (1.1, 8.0, 9.5, 7.0))]
    sweep.append({"model": "mle", "alpha": 1.0, "nll_test": 8.7, "nll_oracle": 0.0, "entropy_rate": 6.0})
    row = {"branch": "seqgan", "epoch": 40, "nll_test": 8.75, "nll_oracle": 8.3, "entropy_rate": 6.5}
    res = {"rows": [dict(row, epoch=35, nll_oracle=99.0), row], "sweeps": sweep}
    assert below_frontier(res, "seqgan", "nll_test") == pytest.approx(8.5 - 8.3)  # halfway: 8.5
    assert below_frontier(res, "seqgan", "entropy_rate") == pytest.approx(9.25 - 8.3)
    assert below_frontier(dict(res, rows=[dict(row, nll_test=9.5)]), "seqgan", "nll_test") is None
    assert below_frontier(res, "mle", "nll_test") is None  # a row not run
