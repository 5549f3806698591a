"""The plain path runs: a whole experiment on the core's plain code (the
setting code=plain, the flag --plain) gives the fast path's numbers, and the
runner's random streams are found by name with the seeds they always had."""
import subprocess
import sys

import numpy as np
import pytest

from seqgan_np.run.config import make_config
from seqgan_np.run.oracle_experiment import ORACLE_EXPERIMENT
from seqgan_np.run.runner import FIRST_STREAMS, Run, Streams

TINY = dict(vocab_size=30, seq_len=6, emb_dim=8, hidden_dim=8, d_emb_dim=8,
            filter_sizes=(1, 2, 3), num_filters=(4, 4, 4), n_train=256, n_test=128,
            n_eval=128, n_eval_disc=64, batch_size=16, pretrain_g_epochs=3,
            pretrain_d_rounds=2, d_negatives=64, adv_epochs=3, rollouts=2, eval_every=1,
            checkpoint_every=10, n_final_samples=5, dtype="float64")
# In float64 the two paths differ by rounding (~1e-16 a step); the same
# uniforms then draw the same tokens, and the figures agree far below any
# difference an experiment could show.
RTOL = 1e-9


def quiet(*args, **kwargs):
    pass


def test_a_tiny_experiment_gives_the_same_numbers_on_both_paths(tmp_path):
    runs = {}
    for code in ("plain", "fast"):
        run = Run(ORACLE_EXPERIMENT, make_config("quick", {**TINY, "code": code}),
                  tmp_path / code, quiet)
        run.run()
        runs[code] = run
    plain, fast = runs["plain"], runs["fast"]
    assert type(plain.sg.G).__name__ == "LanguageModel"
    assert type(fast.sg.G).__name__ == "FastLanguageModel"
    for a, b in zip(plain.rows, fast.rows):
        assert (a["branch"], a["epoch"]) == (b["branch"], b["epoch"])
        for k in ("nll_oracle", "nll_test", "d_accuracy", "d_loss", "mean_reward"):
            if a[k] is not None:
                assert a[k] == pytest.approx(b[k], rel=RTOL), (a["branch"], a["epoch"], k)
    assert len(plain.rows) == len(fast.rows)
    for name, model in plain.models.items():
        for k, v in model.params.items():
            assert v.dtype == np.float64
            np.testing.assert_allclose(v, fast.models[name].params[k], rtol=RTOL, atol=1e-12,
                                       err_msg=f"{name}/{k}")
    for name in ("train", "test"):
        np.testing.assert_array_equal(plain.data[name], fast.data[name])


def test_streams_are_found_by_name_with_their_old_seeds():
    old = np.random.SeedSequence(7).spawn(len(FIRST_STREAMS))  # streams were a list
    streams = Streams(7)
    for name, seed in zip(reversed(FIRST_STREAMS), reversed(old)):  # any order of first use
        np.testing.assert_array_equal(streams[name].random(5), np.random.default_rng(seed).random(5))
    other = Streams(7)["a new study"]  # a new name: a stream of its own
    assert not any(np.array_equal(other.random(3), np.random.default_rng(s).random(3)) for s in old)
    assert np.array_equal(Streams(7)["a new study"].random(3), Streams(7)["a new study"].random(3))


def test_help_names_the_plain_switch():
    for command in ("oracle-experiment", "table1"):
        r = subprocess.run([sys.executable, "-m", "seqgan_np", command, "--help"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "--plain" in r.stdout and "code" in r.stdout
