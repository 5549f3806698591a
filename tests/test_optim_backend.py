"""Adam, global-norm clipping, the rollout-policy update and the backend switch."""
import numpy as np
import pytest

import seqgan_np.fast.optim
from seqgan_np.backend import get_xp, to_numpy
from seqgan_np.core.optim import Adam, clip_by_global_norm, global_norm
from seqgan_np.core.rollout import update_rollout_policy
from seqgan_np.fast import FastAdam

ADAMS = [FastAdam, Adam]  # the fast twin and the plain core (Kingma & Ba)


def test_clip_by_global_norm(rng):
    grads = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    before = global_norm(grads)
    direction = {k: g / before for k, g in grads.items()}
    assert clip_by_global_norm(grads, before / 2) == pytest.approx(before)
    assert global_norm(grads) == pytest.approx(before / 2)
    for k in grads:  # same direction, shorter
        np.testing.assert_allclose(grads[k] / global_norm(grads), direction[k])
    small = {"a": np.full(2, 0.1)}
    clip_by_global_norm(small, 5.0)
    np.testing.assert_array_equal(small["a"], [0.1, 0.1])  # under the limit: unchanged


@pytest.mark.parametrize("adam", ADAMS)
def test_adam_first_step_and_state(rng, adam):
    """Adam's first step moves every entry by lr against its gradient's sign."""
    params = {"w": rng.standard_normal(6)}
    start = params["w"].copy()
    grads = {"w": rng.standard_normal(6)}
    opt = adam(lr=0.01)
    state = opt.init(params, np)
    opt.step(params, {"w": grads["w"].copy()}, state)
    np.testing.assert_allclose(params["w"] - start, -0.01 * np.sign(grads["w"]), rtol=1e-6)
    assert state.t == 1
    np.testing.assert_allclose(state.m["w"], 0.1 * grads["w"])
    np.testing.assert_allclose(state.v["w"], 0.001 * grads["w"] ** 2)


@pytest.mark.parametrize("adam", ADAMS)
def test_adam_minimises_a_quadratic(rng, adam):
    params = {"w": rng.standard_normal(4)}
    opt = adam(lr=0.1, clip_norm=1.0)
    state = opt.init(params, np)
    for _ in range(300):
        opt.step(params, {"w": 2 * params["w"]}, state)
    assert np.abs(params["w"]).max() < 1e-2


def test_rollout_policy_update(rng):
    theta = {"w": rng.standard_normal(3)}
    beta = {"w": rng.standard_normal(3)}
    old = beta["w"].copy()
    update_rollout_policy(beta, theta, 0.8)
    np.testing.assert_allclose(beta["w"], 0.8 * old + 0.2 * theta["w"])
    update_rollout_policy(beta, theta, 0.0)
    np.testing.assert_array_equal(beta["w"], theta["w"])


def test_backend_switch(monkeypatch):
    assert get_xp("numpy") is np and get_xp(" NumPy ") is np
    monkeypatch.setenv("SEQGAN_BACKEND", "numpy")
    assert get_xp() is np
    monkeypatch.setenv("SEQGAN_BACKEND", "torch")
    with pytest.raises(ValueError, match=r"unknown backend 'torch'.*SEQGAN_BACKEND"):
        get_xp()
    a = np.arange(3)
    assert to_numpy(a) is a


def test_cupy_fails_at_once_without_cupy_or_gpu():
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="CuPy is not installed.*cupy-cuda12x or cupy-cuda13x"):
            get_xp("cupy")
        return
    try:
        get_xp("cupy")
    except RuntimeError as e:
        assert "no GPU is visible" in str(e)
    else:
        pytest.skip("CuPy and a GPU are present: nothing to refuse")


def test_adam_in_pieces_equals_adam_at_once(rng, monkeypatch):
    """The cache-sized pieces change nothing: the same steps as one piece."""
    params = {"a": rng.standard_normal((37, 5)), "b": rng.standard_normal(3)}
    runs = []
    for chunk in (7, 1 << 16):
        monkeypatch.setattr(seqgan_np.fast.optim, "CHUNK", chunk)  # the entries of one piece
        p = {k: v.copy() for k, v in params.items()}
        opt = FastAdam(lr=0.05, clip_norm=1.0)
        state = opt.init(p, np)
        for i in range(5):
            opt.step(p, {k: np.sin(v * (i + 1)) for k, v in p.items()}, state)
        runs.append(p)
    for k in params:
        np.testing.assert_array_equal(runs[0][k], runs[1][k])


def test_adam_refuses_a_non_contiguous_parameter():
    p = {"w": np.zeros((4, 4))[:, ::2]}
    opt = FastAdam(lr=0.1)  # the twin that updates flat views in place (the plain Adam needs none)
    with pytest.raises(ValueError, match="parameter 'w' must be contiguous"):
        opt.step(p, {"w": np.ones((4, 2))}, opt.init(p, np))
