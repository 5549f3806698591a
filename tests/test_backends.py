"""Every public path on a device backend gives the numbers of the NumPy backend.

Two device backends run these tests:
- ``standin``: tests/standin/cupy, NumPy underneath but as strict as CuPy
  (no implicit conversion to NumPy, no NumPy arrays mixed into device
  arithmetic or indexing). It runs in every ``make test``. Its arithmetic is
  NumPy's, so its results must EQUAL the NumPy backend's.
- ``gpu`` (marked ``gpu``; ``make test-gpu``): the real CuPy on a GPU, which
  skips with the reason where CuPy or a GPU is missing. float32 on another
  device rounds differently, so there the tolerances are: relative 1e-4
  (absolute 1e-6 of the largest entry) on losses, gradients, log-probs,
  probabilities and parameters, and at least 99% of sampled tokens equal.
"""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import reference_file
from seqgan_np import fast
from seqgan_np.backend import get_xp, to_numpy
from seqgan_np.core.discriminator import Discriminator, DiscriminatorConfig
from seqgan_np.core.lm import LanguageModel
from seqgan_np.core.metrics import nll_oracle, nll_test
from seqgan_np.core.optim import Adam
from seqgan_np.core.oracle import load_oracle, make_oracle
from seqgan_np.core.rollout import rollout_Q
from seqgan_np.core.seqgan import make_seqgan, train_seqgan
from seqgan_np.experiments.table1 import run_table1
from seqgan_np.fast import FastAdam, FastDiscriminator, FastLanguageModel
from seqgan_np.run.bench import SMALL, run_bench
from seqgan_np.run.code import CODES
from seqgan_np.run.config import make_config
from seqgan_np.run.oracle_experiment import ORACLE_EXPERIMENT
from seqgan_np.run.runner import Run, Streams

STANDIN = Path(__file__).parent / "standin"
V, E, H, T = 40, 8, 8, 8
D_CFG = DiscriminatorConfig(vocab_size=V, seq_len=T, emb_dim=8, filter_sizes=(1, 3, 8),
                            num_filters=(4, 5, 3))
TINY = dict(vocab_size=30, seq_len=6, emb_dim=8, hidden_dim=8, d_emb_dim=8,
            filter_sizes=(1, 2, 3), num_filters=(4, 4, 4), n_train=256, n_test=128,
            n_eval=128, n_eval_disc=64, batch_size=16, pretrain_g_epochs=2,
            pretrain_d_rounds=1, d_negatives=64, adv_epochs=2, rollouts=2, eval_every=1,
            checkpoint_every=1, n_final_samples=5)


def load_standin():
    spec = importlib.util.spec_from_file_location("cupy", STANDIN / "cupy" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["standin", pytest.param("gpu", marks=pytest.mark.gpu)])
def device(request, monkeypatch):
    """The device backend (get_xp("cupy")) and how closely it must match NumPy."""
    if request.param == "standin":
        monkeypatch.setitem(sys.modules, "cupy", load_standin())
        exact = True
    else:
        cupy = pytest.importorskip("cupy", reason="CuPy is not installed (pip install 'seqgan-np[gpu-cuda12]' or [gpu-cuda13])")
        try:
            n_gpus = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # no driver
            pytest.skip(f"no GPU is visible: {e}")
        if n_gpus == 0:
            pytest.skip("no GPU is visible")
        exact = False
    return SimpleNamespace(xp=get_xp("cupy"), exact=exact)


def same(device, mine, numpy_result):
    """A device result (any nesting of dicts and arrays) against NumPy's."""
    if isinstance(numpy_result, dict):
        assert mine.keys() == numpy_result.keys()
        for k in numpy_result:
            same(device, mine[k], numpy_result[k])
        return
    a, b = to_numpy(mine) if not np.isscalar(mine) else mine, numpy_result
    if device.exact:
        np.testing.assert_array_equal(a, b)
    elif np.issubdtype(np.asarray(b).dtype, np.integer):
        assert np.mean(np.asarray(a) == b) >= 0.99
    else:
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6 * float(np.abs(b).max(initial=0)))


def on(xp, model):
    """A copy of a model (a language model or discriminator, plain or fast)
    of the same class, with its parameters on ``xp``."""
    params = {k: xp.asarray(to_numpy(v)) for k, v in model.params.items()}
    if isinstance(model, FastDiscriminator):
        return FastDiscriminator(model.cfg, params, xp=xp, chunk_rows=model.chunk_rows)
    if isinstance(model, Discriminator):
        return Discriminator(model.cfg, params, xp=xp)
    if isinstance(model, FastLanguageModel):
        return FastLanguageModel(params, model.seq_len, model.start_token, xp, model.name,
                                 model.chunk_rows)
    return LanguageModel(params, model.seq_len, model.start_token, xp, model.name)


def plain(model):
    """The plain core twin of a fast model, with the same parameters."""
    if isinstance(model, Discriminator):
        return Discriminator(model.cfg, model.params, xp=model.xp)
    return LanguageModel(model.params, model.seq_len, model.start_token, model.xp, model.name)


def models(chunk_rows=16):
    """The fast twins G and D (``plain`` gives their plain core twins)."""
    rng = np.random.default_rng(0)
    g = FastLanguageModel.random(rng, V, E, H, T, std=0.5, chunk_rows=chunk_rows)
    d = FastDiscriminator.random(D_CFG, rng, chunk_rows=chunk_rows)
    return g, d


def test_the_standin_is_as_strict_as_cupy(monkeypatch):
    cp = load_standin()
    a = cp.asarray(np.arange(6.0).reshape(2, 3))
    for implicit in (lambda: np.asarray(a), lambda: np.exp(a), lambda: np.concatenate([a, a]),
                     lambda: a + np.ones(3), lambda: np.ones(3) * a, lambda: a[np.array([0])],
                     lambda: cp.maximum(a, np.zeros(3))):
        with pytest.raises(TypeError):
            implicit()
    assert isinstance(a.sum(), cp.ndarray) and a.sum().shape == ()  # 0-d, as CuPy
    flags = cp.asarray(np.array([True, False]))
    assert (~flags).get().tolist() == [False, True] and flags.get().tolist() == [True, False]
    assert float(a.sum()) == 15.0 and a.get().sum() == 15.0
    host = np.zeros(2)
    b = cp.asarray(host)
    host[0] = 1.0
    assert float(b[0]) == 0.0  # a device copy, not a view of the host array
    monkeypatch.setitem(sys.modules, "cupy", cp)
    np.testing.assert_array_equal(to_numpy(a), np.arange(6.0).reshape(2, 3))
    assert get_xp("cupy") is cp


def test_language_model(device):
    g, _ = models()
    gp = plain(g)
    gd, gpd = on(device.xp, g), on(device.xp, gp)
    y = g.sample(50, np.random.default_rng(1))
    same(device, gd.sample(50, np.random.default_rng(1)), y)
    same(device, gpd.sample(50, np.random.default_rng(1)), gp.sample(50, np.random.default_rng(1)))
    same(device, gd.log_prob(y), g.log_prob(y))
    same(device, gpd.log_prob(y), gp.log_prob(y))
    same(device, gd.token_log_probs(y), g.token_log_probs(y))
    same(device, gpd.token_log_probs(y), gp.token_log_probs(y))
    q = np.random.default_rng(2).random(y.shape).astype(np.float32)
    for mine, host in ((gd, g), (gpd, gp)):  # the fast twin, then the plain core
        for (loss_d, grads_d), (loss, grads) in (
                (mine.mle_loss_and_grads(y), host.mle_loss_and_grads(y)),
                (mine.pg_loss_and_grads(y, device.xp.asarray(q)), host.pg_loss_and_grads(y, q))):
            same(device, loss_d, loss)
            same(device, grads_d, grads)


def test_oracles(device):
    same(device, make_oracle(3, V, E, H, T, xp=device.xp).params, make_oracle(3, V, E, H, T).params)
    for name in ("seqgan_oracle_params.npz", "target_params_py3.pkl"):
        path = reference_file(name)
        same(device, load_oracle(path, xp=device.xp).params, load_oracle(path).params)


def test_discriminator(device):
    g, d = models(chunk_rows=7)
    dp = plain(d)
    dd, dpd = on(device.xp, d), on(device.xp, dp)
    y = g.sample(20, np.random.default_rng(1))
    labels = np.arange(20) % 2
    for mine, host in ((dd, d), (dpd, dp)):  # the fast twin (im2col), then the plain core
        loss_d, grads_d = mine.loss_and_grads(device.xp.asarray(y), device.xp.asarray(labels),
                                              np.random.default_rng(3))
        loss, grads = host.loss_and_grads(y, labels, np.random.default_rng(3))
        same(device, loss_d, loss)
        same(device, grads_d, grads)
        same(device, mine.predict_proba(y), host.predict_proba(y))
        same(device, mine.p_real(y), host.p_real(y))
    source, prefix_len = np.arange(20) % 4, np.sort(np.arange(20) % T)
    completions = y.copy()
    keep = np.arange(T) < prefix_len[:, None]
    completions[keep] = y[:4][source][keep]
    same(device, dd.p_real_of_completions(y[:4], completions, source, prefix_len),
         d.p_real_of_completions(y[:4], completions, source, prefix_len))
    same(device, dpd.p_real(completions), dp.p_real(completions))  # the plain value of the same


def test_rollout(device):
    g, d = models(chunk_rows=10)
    gp, dp = plain(g), plain(d)
    gd, dd = on(device.xp, g), on(device.xp, d)
    gpd, dpd = on(device.xp, gp), on(device.xp, dp)
    y = g.sample(6, np.random.default_rng(1))
    same(device, fast.rollout_Q(y, gd, dd.p_real, 3, np.random.default_rng(4)),
         fast.rollout_Q(y, g, d.p_real, 3, np.random.default_rng(4)))
    same(device, rollout_Q(y, gpd, dpd.p_real, 3, np.random.default_rng(4)),
         rollout_Q(y, gp, dp.p_real, 3, np.random.default_rng(4)))


def test_adam_and_metrics(device):
    g, _ = models()
    y = g.sample(40, np.random.default_rng(1))
    for model in (FastLanguageModel, LanguageModel):
        oracle = make_oracle(5, V, E, H, T, model=model)
        same(device, nll_oracle(on(device.xp, oracle), y), nll_oracle(oracle, y))
    for model in (g, plain(g)):
        same(device, nll_test(on(device.xp, model), y), nll_test(model, y))
    for opt in (FastAdam(0.01, clip_norm=1.0), Adam(0.01, clip_norm=1.0)):
        host = {k: v.copy() for k, v in g.params.items()}
        dev = {k: device.xp.asarray(v) for k, v in g.params.items()}
        s_host, s_dev = opt.init(host, np), opt.init(dev, device.xp)
        for i in range(3):
            grads = {k: np.sin(v * (i + 1)) for k, v in host.items()}
            norm_dev = opt.step(dev, {k: device.xp.asarray(v) for k, v in grads.items()}, s_dev)
            same(device, norm_dev, opt.step(host, grads, s_host))
        same(device, dev, host)
        same(device, s_dev.m, s_host.m)


def minimal_algorithm(cfg):
    """Algorithm 1 alone (core/seqgan.py's train_seqgan) on the built-in
    oracle's data, with the classes of cfg.code: the trained G_theta, G_beta
    and D_phi, and G_theta's NLL-oracle after it."""
    xp, code, rng = get_xp(cfg.backend), CODES[cfg.code], Streams(cfg.seed)
    oracle = make_oracle(cfg.seed, cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len,
                         xp=xp, model=code.model)
    S = to_numpy(oracle.sample(cfg.n_train, rng["data"]))  # the real data (host)
    sg = make_seqgan(cfg, rng["init"], xp, np.float32, code.model, code.discriminator, code.adam,
                     code.rollout)
    train_seqgan(sg, S, cfg, rng)
    return {"G": sg.G.params, "beta": sg.beta.params, "D": sg.D.params,
            "nll_oracle": nll_oracle(oracle, sg.G.sample(cfg.n_eval, rng["eval"]))}


@pytest.mark.parametrize("code", ["fast", "plain"])
def test_minimal_algorithm(device, code):
    same(device, minimal_algorithm(make_config("quick", {**TINY, "code": code, "backend": "cupy"})),
         minimal_algorithm(make_config("quick", {**TINY, "code": code})))


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("code", ["fast", "plain"])
def test_oracle_experiment_and_resume(device, tmp_path, code):
    def quiet(*args, **kwargs):
        pass

    def stop(phase, done, *args, **kwargs):
        if (phase, done) == ("adversarial", 1):
            raise Interrupt

    host = Run(ORACLE_EXPERIMENT, make_config("quick", {**TINY, "code": code}), tmp_path / "numpy",
               quiet).run()
    cfg = make_config("quick", {**TINY, "code": code, "backend": "cupy"})
    with pytest.raises(Interrupt):
        Run(ORACLE_EXPERIMENT, cfg, tmp_path / "device", stop).run()
    res = Run.resume(ORACLE_EXPERIMENT, tmp_path / "device", quiet).run()
    assert res["backend"] == "cupy"
    assert res["code"] == host["code"] == code
    for key in ("nll_oracle", "nll_test"):
        same(device, res[key], host[key])


def test_table1(device, tmp_path):
    """Every method of Table 1 (SS, PG-BLEU, the constant reward, the temperature
    sweep, the final figures) on the device, against NumPy."""
    def quiet(*args, **kwargs):
        pass

    cfg = make_config("quick", {**TINY, "n_final_eval": 200})
    host = run_table1(cfg, 2, tmp_path / "numpy", progress=quiet)
    mine = run_table1(replace(cfg, backend="cupy"), 2, tmp_path / "device", progress=quiet)
    for row in host:
        for k in ("nll_oracle", "nll_test"):
            same(device, np.array(mine[row][k]), np.array(host[row][k]))
    seed = json.loads((tmp_path / "device" / "seed-1" / "results.json").read_text())
    assert seed["backend"] == "cupy"


def test_bench_at_small_sizes(device):
    res = run_bench("cupy", quick=True, phases=("gemm", "mle", "pg", "disc", "sample", "nll", "rollout"),
                    report=lambda line: None, sizes=SMALL)
    assert res["backend"] == "cupy" and res["checks_passed"]
    for key in ("mle_step_ms", "pg_step_ms", "disc_step_ms", "sample_10k_s", "nll_oracle_10k_s",
                "rollout_batch_s", "adv_epoch_paper_s"):
        assert res[key] > 0, key


def test_command_line_on_the_standin(tmp_path):
    """The whole command line with --backend cupy, the stand-in first on the path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(STANDIN), os.environ.get("PYTHONPATH", "")])}
    sets = [a for k, v in TINY.items()
            for a in ("--set", f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}")]

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "seqgan_np", *args], capture_output=True,
                              text=True, timeout=120, env=env)

    r = cli("oracle-experiment", "--preset", "quick", "--backend", "cupy", "--out", str(tmp_path), *sets)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "results.json").read_text())["backend"] == "cupy"
    again = cli("oracle-experiment", "--resume", str(tmp_path))
    assert again.returncode == 0 and again.stdout == r.stdout


@pytest.mark.parametrize("code", ["fast", "plain"])
def test_text_experiment_and_resume(device, tmp_path, code):
    """SeqGAN on a tiny corpus (BLEU, self-BLEU, the constant reward, the
    temperature sweep) on the device, interrupted and resumed, against NumPy."""
    from test_text import tiny_text

    from seqgan_np.experiments.text import FIGURES, TEXT_EXPERIMENT

    def quiet(*args, **kwargs):
        pass

    def stop(phase, done, *args, **kwargs):
        if (phase, done) == ("adversarial", 1):
            raise Interrupt

    cfg, _ = tiny_text(tmp_path, code=code)
    host = Run(TEXT_EXPERIMENT, cfg, tmp_path / "numpy", quiet).run()
    with pytest.raises(Interrupt):
        Run(TEXT_EXPERIMENT, replace(cfg, backend="cupy"), tmp_path / "device", stop).run()
    res = Run.resume(TEXT_EXPERIMENT, tmp_path / "device", quiet).run()
    assert res["backend"] == "cupy" and res["code"] == code
    for method in host["finals"]:
        same(device, np.array([res["finals"][method][k] for k in FIGURES if k in host["finals"][method]]),
             np.array([host["finals"][method][k] for k in FIGURES if k in host["finals"][method]]))
    same(device, np.array([[e[k] for k in FIGURES] for e in res["sweep"]]),
         np.array([[e[k] for k in FIGURES] for e in host["sweep"]]))
