"""Table 1: the baselines' estimators, and the table end to end on a tiny
configuration, interrupted and resumed."""
import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from seqgan_np.core.lm import LanguageModel, lm_loss_forward, shift_right
from seqgan_np.core.metrics import BleuScore, bleu
from seqgan_np.core.rollout import rollout_Q
from seqgan_np.experiments.baselines import (constant_Q, sample_unigram, scheduled_inputs,
                                             ss_loss_and_grads, ss_probability, tempered)
from seqgan_np.experiments.stats import welch_t_test
from seqgan_np.experiments.table1 import (LABELS, ROWS, TABLE1_SEED, best_alpha, matched_alpha,
                                          resume_table1, run_table1)
from seqgan_np.fast import FastAdam, FastBleuScore, FastLanguageModel
from seqgan_np.fast.rollout import rollout_Q as fast_rollout_Q
from seqgan_np.run.checkpoint import load_checkpoint, save_checkpoint
from seqgan_np.run.config import make_config
from seqgan_np.run.oracle_experiment import ORACLE_EXPERIMENT
from seqgan_np.run.runner import CHECKPOINT, Run
from test_models import check_params_grads, tiny_lm

TINY = dict(vocab_size=30, seq_len=6, emb_dim=8, hidden_dim=8, d_emb_dim=8,
            filter_sizes=(1, 2, 3), num_filters=(4, 4, 4), n_train=256, n_test=128,
            n_eval=128, n_eval_disc=64, batch_size=16, pretrain_g_epochs=4,
            pretrain_d_rounds=1, d_negatives=64, adv_epochs=3, rollouts=2, eval_every=2,
            checkpoint_every=2, n_final_samples=5, n_final_eval=300)


def quiet(*args, **kwargs):
    pass


def tiny(**changes):
    return make_config("quick", {**TINY, **changes})


# ------------------------------------------------------ scheduled sampling
def test_scheduled_sampling_loss_and_gradients(rng):
    m = tiny_lm(rng)
    tokens = rng.integers(0, 7, size=(40, 6))
    inputs = scheduled_inputs(m, tokens, 0.5, np.random.default_rng(3))
    loss, grads = ss_loss_and_grads(m, tokens, 0.5, np.random.default_rng(3))  # the same inputs
    fed = inputs[:, 1:] != tokens[:, :-1]  # steps that read the model's own draw instead of y
    assert 0 < fed.mean() < 0.5  # half the inputs are draws, some of them equal to y by chance
    w = np.full(tokens.shape, 1.0 / tokens.size)
    assert loss == pytest.approx(lm_loss_forward(m.params, tokens, w, 0, np, inputs)[0], rel=1e-12)
    check_params_grads("scheduled sampling loss (given the mixed inputs)",
                       lambda p, xp: lm_loss_forward(p, tokens, w, 0, xp, inputs)[0],
                       m.params, grads, rng)


def test_scheduled_inputs_at_probability_0_and_1(rng):
    m = tiny_lm(rng)
    tokens = rng.integers(0, 7, size=(9, 6))
    np.testing.assert_array_equal(scheduled_inputs(m, tokens, 0.0, rng), shift_right(tokens, 0))
    # prob 1: every input is the model's draw, from the uniforms sample() would use
    inputs = scheduled_inputs(m, tokens, 1.0, np.random.default_rng(5))
    same_uniforms = np.random.default_rng(5)
    same_uniforms.random((6, 9))  # the coins
    np.testing.assert_array_equal(inputs[:, 1:], m.sample(9, same_uniforms)[:, :-1])
    assert ss_loss_and_grads(m, tokens, 0.0, rng)[0] == pytest.approx(
        m.mle_loss_and_grads(tokens)[0], rel=1e-12)


def test_the_schedule_rises_linearly_to_its_maximum():
    probs = [ss_probability(e, 4, 0.25) for e in range(1, 5)]
    assert probs == pytest.approx([0.0625, 0.125, 0.1875, 0.25])


# --------------------------------------------------------------- rewards
def test_bleu_reward_in_the_rollout_plain_equals_fast(rng):
    beta = tiny_lm(rng)
    plain_beta = LanguageModel(beta.params, beta.seq_len, name="plain beta")  # the same G_beta,
    fast_beta = FastLanguageModel(beta.params, beta.seq_len, name="fast beta")  # plain and fast
    references = rng.integers(0, 7, size=(30, 6))
    Y = rng.integers(0, 7, size=(5, 6))
    plain = rollout_Q(Y, plain_beta, BleuScore(references, 7), 3, np.random.default_rng(2))
    fast = fast_rollout_Q(Y, fast_beta, FastBleuScore(references, 7), 3, np.random.default_rng(2))
    np.testing.assert_array_equal(plain, fast)
    np.testing.assert_allclose(fast[:, -1], bleu(Y, references), rtol=1e-6)  # float32
    assert ((0 <= fast) & (fast <= 1)).all() and fast.std() > 0


def test_constant_reward_step_is_the_policy_gradient_step_with_half(tmp_path):
    run = Run(TABLE1_SEED, tiny(), tmp_path, quiet)
    G_const = run.models["G_const"]
    params = {k: v.copy() for k, v in G_const.params.items()}
    rng = np.random.default_rng()
    rng.bit_generator.state = run.rng["constant"].bit_generator.state
    next(p for p in run.phases if p.name == "constant_branch").step()
    model = G_const.with_params({k: v.copy() for k, v in params.items()}, "by hand")
    opt = FastAdam(run.cfg.g_lr, clip_norm=run.cfg.g_clip)
    state = opt.init(model.params, np)
    Y = model.sample(run.cfg.batch_size, rng)
    Q = constant_Q(Y, np)
    np.testing.assert_array_equal(Q, np.full(Y.shape, 0.5))
    opt.step(model.params, model.pg_loss_and_grads(Y, Q)[1], state)
    for k in params:
        np.testing.assert_array_equal(G_const.params[k], model.params[k], err_msg=k)
        assert not np.array_equal(params[k], model.params[k]), k  # the step moved it


# ------------------------------------------------- temperature and Random
def test_tempered_model_divides_the_logits(rng):
    m = tiny_lm(rng)
    h = rng.standard_normal((4, 5))
    np.testing.assert_allclose(tempered(m, 0.7).logits(h), m.logits(h) / 0.7)
    tokens = rng.integers(0, 7, size=(4, 6))
    np.testing.assert_allclose(tempered(m, 1.0).log_prob(tokens), m.log_prob(tokens))
    assert m.params["W_out"] is not tempered(m, 0.5).params["W_out"]  # m itself is unchanged


def test_random_row_draws_the_unigram_frequencies(rng):
    train = rng.choice(5, size=(400, 10), p=[0.5, 0.2, 0.2, 0.1, 0.0])
    freq = np.bincount(train.ravel(), minlength=5) / train.size
    drawn = sample_unigram(train, 5, 20000, rng)
    assert drawn.shape == (20000, 10) and not (drawn == 4).any()
    se = np.sqrt(freq * (1 - freq) / drawn.size)
    assert (np.abs(np.bincount(drawn.ravel(), minlength=5) / drawn.size - freq) < 5 * se + 1e-12).all()


# -------------------------------------------------------- the whole table
class Interrupt(Exception):
    pass


def _seed_results(out, seed):
    res = json.loads((out / f"seed-{seed}" / "results.json").read_text())
    for r in res["rows"]:
        r.pop("seconds")
    return {k: res[k] for k in ("finals", "sweep", "best_alpha", "rows", "baselines")}


def test_table_end_to_end_and_resumed(tmp_path):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    run_table1(tiny(), 2, whole, progress=quiet)
    calls = []

    def stop(phase, done, *args, **kwargs):  # the second seed's PG-BLEU, before its checkpoint
        calls.append(phase)
        if phase == "bleu_branch" and calls.count(phase) == TINY["adv_epochs"] + 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        run_table1(tiny(), 2, cut, progress=stop)
    assert (cut / "seed-0" / "results.json").exists() and not (cut / "seed-1" / "results.json").exists()
    resume_table1(cut, progress=quiet)
    for seed in (0, 1):
        assert _seed_results(cut, seed) == _seed_results(whole, seed)
    assert (cut / "table1.csv").read_text() == (whole / "table1.csv").read_text()

    rows = {r["row"]: r for r in csv.DictReader((whole / "table1.csv").open())}
    assert list(rows) == ["random", "pretrained", *ROWS[1:]]
    start = [r for r in _seed_results(whole, 1)["rows"] if r["branch"] == "pretrain"][-1]
    assert float(rows["pretrained"]["nll_test_seed1"]) == start["nll_test"]
    for row in ("mle", "constant", "mle_tempered", "mle_matched"):  # SeqGAN's Welch tests
        for k in ("nll_oracle", "nll_test"):
            per_seed = [[float(rows[r][f"{k}_seed{s}"]) for s in (0, 1)] for r in ("seqgan", row)]
            assert float(rows[row][f"p_{k}"]) == pytest.approx(welch_t_test(*per_seed)[2], rel=1e-9)
    assert rows["random"]["nll_test_mean"] == ""  # a unigram sampler has no NLL-test here
    md = (whole / "table1.md").read_text()
    assert all(label in md for label in LABELS.values())
    assert (whole / "curves.png").stat().st_size > 0 and (whole / "frontier.png").stat().st_size > 0

    # The shared start and the SeqGAN and MLE rows are oracle-experiment's with that seed.
    run = Run(ORACLE_EXPERIMENT, tiny(seed=1), tmp_path / "alone", quiet)
    run.run()
    alone = [{k: v for k, v in r.items() if k != "seconds"} for r in run.rows]
    assert [r for r in _seed_results(whole, 1)["rows"]
            if r["branch"] in ("pretrain", "mle", "seqgan")] == alone


def test_the_tempered_row_uses_the_alpha_of_least_validation_nll(tmp_path):
    run_table1(tiny(adv_epochs=1), 1, tmp_path, progress=quiet)
    res = json.loads((tmp_path / "seed-0" / "results.json").read_text())
    best = min(res["sweep"], key=lambda s: s["nll_valid"])
    assert res["best_alpha"] == best["alpha"] == res["finals"]["mle_tempered"]["alpha"]
    assert res["finals"]["mle_tempered"]["nll_test"] == pytest.approx(best["nll_test"], rel=1e-9)
    matched = res["finals"]["mle_matched"]["alpha"]
    assert res["sweep"][0]["alpha"] <= matched <= best["alpha"]
    for row in ROWS:  # every figure with its evaluation noise
        fig = res["finals"][row]
        assert 0 < fig["nll_oracle_se"] < 0.5 * fig["nll_oracle"]
    md = (tmp_path / "table1.md").read_text()  # one seed: no spread, not "± nan"
    assert "One seed" in md and "nan" not in md and "±" not in md


@pytest.mark.parametrize("target, alpha", [(8.5, 1.5), (9.0, 1.0), (9.5, 0.5), (7.9, 2.0)])
def test_matched_temperature_interpolates_the_falling_part_of_the_sweep(target, alpha):
    sweep = [{"alpha": a, "nll_valid": n, "nll_test": n, "nll_oracle": 0.0}
             for a, n in ((0.5, 9.5), (1.0, 9.0), (2.0, 8.0), (3.0, 8.2))]  # least at 2.0
    assert best_alpha(sweep) == 2.0
    # target: SeqGAN's NLL-valid
    assert matched_alpha(sweep, target) == pytest.approx(alpha)  # beyond either end: that end


def test_a_corrupt_table_state_is_refused(tmp_path):
    def stop(phase, done, *args, **kwargs):
        if phase == "final" and done == 3:  # after the checkpoint of 2 rows
            raise Interrupt

    with pytest.raises(Interrupt):
        run_table1(tiny(adv_epochs=1), 1, tmp_path, progress=stop)
    path = tmp_path / "seed-0" / CHECKPOINT
    arrays, meta = load_checkpoint(path)
    meta["finals"] = {"seqgan": meta["finals"]["random"]}  # not the rows done, in order
    save_checkpoint(path, arrays, meta)
    with pytest.raises(ValueError, match="corrupt: finals"):
        resume_table1(tmp_path, progress=quiet)
    with pytest.raises(ValueError, match=r"holds nothing to resume \(no table1.json\)"):
        resume_table1(tmp_path / "seed-0")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "seqgan_np", "table1", *args],
                          capture_output=True, text=True)


def test_command_line_runs_refuses_and_resumes(tmp_path):
    sets = [a for k, v in {**TINY, "adv_epochs": 1}.items()
            for a in ("--set", f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}")]
    r = _cli("--preset", "quick", "--seeds", "2", "--out", str(tmp_path), *sets)
    assert r.returncode == 0, r.stderr
    assert "| SeqGAN |" in r.stdout and "p (oracle)" in r.stdout
    again = _cli("--preset", "quick", "--seeds", "2", "--out", str(tmp_path), *sets)
    assert again.returncode == 2 and "already holds a run" in again.stderr
    resumed = _cli("--resume", str(tmp_path))  # a finished table: printed again, nothing re-run
    assert resumed.returncode == 0 and resumed.stdout == r.stdout
    for args, message in ((("--seeds", "0"), "--seeds 0: expected at least 1"),
                          (("--resume", str(tmp_path), "--seeds", "3"), "drop --seeds")):
        bad = _cli(*args)
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr
