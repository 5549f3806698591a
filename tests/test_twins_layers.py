"""Plain = fast for the layers, the LSTM and Adam, in float64 from the same
inputs (core.layers, core.lstm and core.optim.Adam against their twins in
fast.layers, fast.lstm and fast.FastAdam); and the plain LSTM and
convolution against autograd and finite differences (their backward passes
are checked like every layer's)."""
import numpy as np
import pytest

from gradcheck import rel_error, record
from test_layers import check_layer
from seqgan_np.core import layers as L
from seqgan_np.core import lstm as plain_lstm
from seqgan_np.core.lstm import lstm_step_backward, lstm_step_forward
from seqgan_np.core.optim import Adam, global_norm
from seqgan_np.fast import FastAdam
from seqgan_np.fast import layers as fast_layers
from seqgan_np.fast import lstm as fast_lstm
from seqgan_np.fast import optim as fast_optim

B, T, E, H = 3, 6, 4, 5


def lstm_args(rng):
    """x, h0, c0, W, U, b at scales that keep the gates away from saturation."""
    return [rng.standard_normal((B, T, E)), 0.5 * rng.standard_normal((B, H)),
            0.5 * rng.standard_normal((B, H)), 0.5 * rng.standard_normal((E, 4 * H)),
            0.5 * rng.standard_normal((H, 4 * H)), 0.5 * rng.standard_normal(4 * H)]


def test_lstm_plain_equals_fast(rng):
    """Rounding only: x W + b in one product, and dW, dU, db summed over
    steps inside one product instead of step by step."""
    args = lstm_args(rng)
    hs_plain, cache_plain = plain_lstm.lstm_forward(*args)
    hs_fast, cache_fast = fast_lstm.lstm_forward(*args)
    dhs = rng.standard_normal(hs_fast.shape)  # (B, T, H)
    names = ["dx", "dh0", "dc0", "dW", "dU", "db"]
    errors = {"hs": rel_error(hs_fast, hs_plain)}
    for name, fast, plain in zip(names, fast_lstm.lstm_backward(dhs, cache_fast),
                                 plain_lstm.lstm_backward(dhs, cache_plain)):
        errors[name] = rel_error(fast, plain)
    record("plain = fast: LSTM over a sequence", errors)
    assert max(errors.values()) < 1e-12, errors


def test_lstm_step_gradients(rng):
    x, h, c, W, U, b = lstm_args(rng)
    x = x[:, 0].copy()  # (B, E) contiguous: finite differences change it in place

    def step_forward(x, h, c, W, U, b, xp=np):
        """h_new and c_new side by side, so that the probe loss reaches both."""
        h_new, c_new, cache = lstm_step_forward(x, h, c, W, U, b, xp)
        return xp.concatenate([h_new, c_new], axis=1), cache  # (B, 2H)

    def step_backward(dout, cache):
        dh, dc = np.split(dout, 2, axis=1)  # (B, H) each
        return lstm_step_backward(dh, dc, cache)

    check_layer("LSTM one step", step_forward, step_backward, [x, h, c, W, U, b], [], rng)


def test_lstm_plain_gradients(rng):
    check_layer("LSTM over a sequence, step by step (plain)", plain_lstm.lstm_forward,
                plain_lstm.lstm_backward, lstm_args(rng), [], rng)


@pytest.mark.parametrize("K", [1, 3, 8])  # 8: one window as wide as the sequence
def test_conv_maxpool_plain_equals_fast(rng, K):
    """Rounding only (to 1e-12, not exactly): each window's sum over k and e
    is added in another order. The windows in the two caches are equal."""
    x, W, b = rng.standard_normal((3, 8, 4)), rng.standard_normal((K, 4, 5)), rng.standard_normal(5)
    out_plain, cache_plain = L.conv_maxpool_forward(x, W, b)
    out_fast, cache_fast = fast_layers.conv_maxpool_forward(x, W, b)
    np.testing.assert_array_equal(cache_plain[0], cache_fast[0])
    dout = rng.standard_normal(out_fast.shape)  # (B, F)
    errors = {"out": rel_error(out_fast, out_plain)}
    for name, fast, plain in zip(["dx", "dW", "db"], L.conv_maxpool_backward(dout, cache_fast),
                                 L.conv_maxpool_backward(dout, cache_plain)):
        errors[name] = rel_error(fast, plain)
    record("plain = fast: conv over time + max pool", errors)
    assert (out_fast > 0).any() and max(errors.values()) < 1e-12, errors


def test_conv_maxpool_plain_gradients(rng):
    """conv_maxpool_backward on the plain forward's cache (core.layers.conv_maxpool_forward)."""
    x, W, b = rng.standard_normal((3, 8, 4)), rng.standard_normal((3, 4, 5)), rng.standard_normal(5)
    check_layer("conv over time + max pool (plain)", L.conv_maxpool_forward,
                L.conv_maxpool_backward, [x, W, b], [], rng)


@pytest.mark.parametrize("chunk", [7, 256])  # 40 rows: six chunks and a rest, or one chunk
def test_softmax_output_plain_equals_fast(rng, chunk):
    """Rounding only: fused, in chunks, the bias inside the products."""
    R, V = 40, 13
    h, W, b = rng.standard_normal((R, H)), rng.standard_normal((H, V)), rng.standard_normal(V)
    targets, weights = rng.integers(0, V, R), rng.uniform(0, 1, R)
    plain = L.softmax_output_loss_and_grads(h, W, b, targets, weights)
    fast = fast_layers.softmax_output_loss_and_grads(h, W, b, targets, weights, chunk=chunk)
    errors = {name: rel_error(f, p) for name, f, p in zip(["loss", "dh", "dW", "db"], fast, plain)}
    record("plain = fast: output layer and cross-entropy", errors)
    assert max(errors.values()) < 1e-12, errors


@pytest.mark.parametrize("clip_norm", [1.0, None])
def test_adam_plain_equals_fast(rng, clip_norm, monkeypatch):
    """Rounding only: TensorFlow's form of the update (FastAdam.step) against
    the paper's with eps_hat (Adam.step). Adam.step leaves the gradients
    alone; FastAdam.step overwrites them.
    Entries stay away from 0 (|params| >= 1 at the start, moved by at most
    5 lr; each gradient entry keeps its sign), so that no sum cancels and a
    relative error of 1e-12 is rounding alone."""
    def away_from_zero(shape):
        return signs[shape] * rng.uniform(1.0, 3.0, shape)

    signs = {s: rng.choice([-1.0, 1.0], s) for s in [(37, 5), (3,)]}
    start = {"a": away_from_zero((37, 5)), "b": away_from_zero((3,))}
    monkeypatch.setattr(fast_optim, "CHUNK", 7)  # FastAdam's pieces: they do not divide 185
    opt, fast_opt = Adam(lr=0.05, clip_norm=clip_norm), FastAdam(lr=0.05, clip_norm=clip_norm)
    p_plain, p_fast = ({k: v.copy() for k, v in start.items()} for _ in range(2))
    s_plain, s_fast = opt.init(p_plain, np), fast_opt.init(p_fast, np)
    for _ in range(5):
        grads = {k: away_from_zero(v.shape) for k, v in start.items()}
        assert global_norm(grads) > 1.0  # so that clipping, where set, is active
        g_plain, g_fast = ({k: g.copy() for k, g in grads.items()} for _ in range(2))
        norm_plain = opt.step(p_plain, g_plain, s_plain)
        norm_fast = fast_opt.step(p_fast, g_fast, s_fast)
        assert norm_plain == norm_fast and (norm_plain is None) == (clip_norm is None)
        for k in grads:
            np.testing.assert_array_equal(g_plain[k], grads[k])  # unchanged
            assert not np.array_equal(g_fast[k], grads[k])  # overwritten (workspace)
    assert s_plain.t == s_fast.t == 5
    errors = {}
    for k in start:
        assert rel_error(p_plain[k], start[k]) > 1e-3  # the parameters did move
        errors[f"{k}"] = rel_error(p_fast[k], p_plain[k])
        errors[f"m of {k}"] = rel_error(s_fast.m[k], s_plain.m[k])
        errors[f"v of {k}"] = rel_error(s_fast.v[k], s_plain.v[k])
    record("plain = fast: Adam", errors)
    assert max(errors.values()) < 1e-12, errors
