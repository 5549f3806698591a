"""The oracle experiment end to end on a tiny configuration (seconds)."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from seqgan_np.run.checkpoint import load_checkpoint
from seqgan_np.run.config import PRESETS, make_config
from seqgan_np.run.oracle_experiment import ORACLE_EXPERIMENT
from seqgan_np.run.runner import CHECKPOINT, Run

TINY = dict(vocab_size=30, seq_len=6, emb_dim=8, hidden_dim=8, d_emb_dim=8,
            filter_sizes=(1, 2, 3), num_filters=(4, 4, 4), n_train=256, n_test=128,
            n_eval=128, n_eval_disc=64, batch_size=16, pretrain_g_epochs=6,
            pretrain_d_rounds=2, d_negatives=64, adv_epochs=4, rollouts=2, eval_every=2,
            checkpoint_every=2, n_final_samples=5)


def quiet(*args, **kwargs):
    pass


def tiny(**changes):
    return make_config("quick", {**TINY, **changes})


def test_end_to_end(tmp_path):
    res = Run(ORACLE_EXPERIMENT, tiny(), tmp_path, quiet).run()
    for name in ("config.json", "evaluations.csv", "nll_oracle.png", "samples_seqgan.txt",
                 "samples_mle.txt", "results.json", CHECKPOINT):
        assert (tmp_path / name).stat().st_size > 0, name
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved == json.loads(json.dumps(res))
    assert {"preset", "seed", "oracle", "nll_oracle", "nll_test", "seconds"} <= saved.keys()
    assert set(saved["nll_oracle"]) == {"pretrained", "mle", "seqgan", "oracle_entropy",
                                        "random_unigram"}
    assert set(saved["nll_test"]) >= {"mle", "seqgan"}
    assert set(saved["seconds"]) == {"total", "data", "pretrain_g", "mle_branch", "pretrain_d",
                                     "adversarial"}
    numbers = [*saved["nll_oracle"].values(), *saved["nll_test"].values(), *saved["seconds"].values()]
    assert all(isinstance(v, float) and math.isfinite(v) for v in numbers)
    rows = (tmp_path / "evaluations.csv").read_text().splitlines()
    assert rows[0].startswith("branch,epoch,nll_oracle,nll_test")
    untrained = float(rows[1].split(",")[2])  # pretrain, epoch 0
    assert rows[1].startswith("pretrain,0,")
    assert saved["nll_oracle"]["pretrained"] < untrained  # MLE pre-training helps
    assert saved["nll_oracle"]["oracle_entropy"] < saved["nll_oracle"]["pretrained"]
    samples = np.loadtxt(tmp_path / "samples_seqgan.txt", dtype=int)
    assert samples.shape == (5, 6) and samples.min() >= 0 and samples.max() < 30


def _everything(out):
    arrays, meta = load_checkpoint(out / CHECKPOINT)
    for r in meta["rows"]:
        r.pop("seconds")  # wall-clock time differs between runs
    return arrays, meta["rows"], meta["baselines"], meta["done"], meta["rng"]


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("phase, unit", [("pretrain_g", 3), ("adversarial", 3), ("mle_branch", 2)])
def test_resume_gives_the_numbers_of_an_uninterrupted_run(tmp_path, phase, unit):
    whole = tmp_path / "whole"
    Run(ORACLE_EXPERIMENT, tiny(), whole, quiet).run()

    def stop_at(p, done, *args, **kwargs):  # called after each unit, before its checkpoint
        if (p, done) == (phase, unit):
            raise Interrupt

    cut = tmp_path / "cut"
    with pytest.raises(Interrupt):
        Run(ORACLE_EXPERIMENT, tiny(), cut, stop_at).run()
    assert load_checkpoint(cut / CHECKPOINT)[1]["done"][phase] < unit  # an earlier checkpoint
    Run.resume(ORACLE_EXPERIMENT, cut, quiet).run()
    a, b = _everything(whole), _everything(cut)
    assert a[0].keys() == b[0].keys()
    for k in a[0]:
        np.testing.assert_array_equal(a[0][k], b[0][k], err_msg=k)
    assert a[1:] == b[1:]
    assert _csv_without_seconds(whole) == _csv_without_seconds(cut)


def _csv_without_seconds(out):
    return [line.rsplit(",", 1)[0] for line in (out / "evaluations.csv").read_text().splitlines()]


def test_truncated_or_corrupt_checkpoint_is_refused(tmp_path):
    Run(ORACLE_EXPERIMENT, tiny(adv_epochs=1, pretrain_g_epochs=1), tmp_path, quiet).run()
    path = tmp_path / CHECKPOINT
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match=r"checkpoint .*checkpoint\.npz is truncated or corrupt"):
        Run.resume(ORACLE_EXPERIMENT, tmp_path, quiet)
    path.write_bytes(b"\0" * 1000)
    with pytest.raises(ValueError, match=r"truncated or corrupt"):
        Run.resume(ORACLE_EXPERIMENT, tmp_path, quiet)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        Run.resume(ORACLE_EXPERIMENT, tmp_path / "nowhere", quiet)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "seqgan_np", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["--preset", "nope"], "unknown preset 'nope'"),
    (["--set", "rolouts=3"], "unknown setting 'rolouts'"),
    (["--set", "rollouts=many"], "setting rollouts='many': expected int"),
    (["--set", "rollout_update_rate=2"], "must be in [0, 1]"),
    (["--seed", "x"], "argument --seed: invalid int value"),
    (["--oracle-params", "missing.npz"], "oracle parameters file not found: missing.npz"),
    (["--resume", "no-such-run"], "no checkpoint at no-such-run"),
    (["--resume", "somewhere", "--seed", "1"], "--resume takes every setting from the saved run"),
    (["--resume", "somewhere", "--plain"], "--resume takes every setting from the saved run"),
    (["--backend", "torch"], "invalid choice: 'torch'"),
])
def test_bad_command_line(args, message):
    r = cli("oracle-experiment", *args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and message in r.stderr, r.stderr


def test_cli_runs_and_resumes_a_finished_run(tmp_path):
    sets = []
    for k, v in TINY.items():
        sets += ["--set", f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}"]
    r = cli("oracle-experiment", "--preset", "quick", "--out", str(tmp_path), *sets)
    assert r.returncode == 0, r.stderr
    assert "SeqGAN" in r.stdout and "[adversarial]" in r.stderr
    again = cli("oracle-experiment", "--resume", str(tmp_path))  # nothing left to run
    assert again.returncode == 0 and again.stdout == r.stdout


def test_paper_preset_is_the_original_schedule():
    p = PRESETS["paper"]
    assert (p.vocab_size, p.seq_len, p.emb_dim, p.hidden_dim, p.batch_size) == (5000, 20, 32, 32, 64)
    assert (p.g_lr, p.g_clip, p.g_init_std, p.d_lr, p.d_l2, p.d_dropout_keep) == (0.01, 5.0, 0.1, 1e-4, 0.2, 0.75)
    assert (p.pretrain_g_epochs, p.pretrain_d_rounds, p.d_negatives, p.d_epochs) == (120, 50, 10000, 3)
    assert (p.adv_epochs, p.g_steps, p.rollouts, p.d_steps, p.rollout_update_rate) == (200, 1, 16, 5, 0.0)
    assert sum(p.num_filters) == 1720 and p.filter_sizes[-2:] == (15, 20)


def test_bench_prints_json_last(tmp_path):
    r = cli("bench", "--quick", "--phases", "gemm,mle,pg")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["backend"] == "numpy" and res["dtype"] == "float32"
    for key in ("gemm_gflops", "mle_step_ms", "pg_step_ms", "mle_gemm_fraction"):
        assert isinstance(res[key], float) and res[key] > 0, key
    bad = cli("bench", "--phases", "mle,warp")
    assert bad.returncode == 2 and "unknown bench phase 'warp'" in bad.stderr


def test_a_refused_run_leaves_no_empty_default_folder(tmp_path):
    r = subprocess.run([sys.executable, "-m", "seqgan_np", "oracle-experiment", "--preset", "quick",
                        "--oracle-params", "missing.npz"], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert r.returncode == 2 and "missing.npz" in r.stderr
    assert not list((tmp_path / "runs").glob("*"))  # the default folder made for it is gone
