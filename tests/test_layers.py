"""Every layer's backward pass against autograd (float64, < 1e-7) and centred
finite differences (< 1e-6) on random entries and along a random direction.
The layers are core.layers'; the convolution here is the fast twin's forward
(im2col, fast.layers.conv_maxpool_forward) and the LSTM the hoisted fast.lstm,
whose plain twins test_twins_layers checks the same way."""
import autograd.numpy as anp
import numpy as np
import pytest

from gradcheck import (AUTOGRAD_TOL, FD_TOL, check_against_autograd,
                       finite_difference_errors, record)
from seqgan_np.core import layers as L
from seqgan_np.fast.layers import conv_maxpool_forward
from seqgan_np.fast.lstm import lstm_backward, lstm_forward


def check_layer(family, forward, backward, arrays, const, rng):
    """Scalar probe loss = sum(forward(*arrays, *const) * R) for a fixed random
    R; every array argument's gradient is checked both ways."""
    out, _ = forward(*arrays, *const, xp=np)
    R = rng.standard_normal(np.shape(out))

    def loss(*a, xp=anp):
        return xp.sum(forward(*a, *const, xp=xp)[0] * R)

    _, cache = forward(*arrays, *const, xp=np)
    grads = backward(R, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    errors = check_against_autograd(loss, arrays, grads, list(range(len(arrays))))
    record(f"autograd: {family}", errors)
    assert max(errors.values()) < AUTOGRAD_TOL, errors
    fd = {}
    for i, (x, g) in enumerate(zip(arrays, grads)):
        fd[f"entries of arg {i}"], fd[f"direction of arg {i}"] = finite_difference_errors(
            lambda: float(loss(*arrays, xp=np)), x, g, rng)
    record(f"finite differences: {family}", fd)
    assert max(fd.values()) < FD_TOL, fd


def test_affine(rng):
    x, W, b = rng.standard_normal((4, 3, 5)), rng.standard_normal((5, 6)), rng.standard_normal(6)
    check_layer("affine", L.affine_forward, L.affine_backward, [x, W, b], [], rng)


def test_embedding(rng):
    tokens = rng.integers(0, 7, size=(5, 4))
    W = rng.standard_normal((7, 3))

    def forward(W, tokens, xp=np):
        return L.embedding_forward(tokens, W, xp)

    check_layer("embedding", forward, L.embedding_backward, [W], [tokens], rng)


@pytest.mark.parametrize("kind", ["mean (MLE)", "reward-weighted sum (PG)"])
def test_softmax_cross_entropy(rng, kind):
    N, V = 12, 9
    # Unit-scale logits: the gradient entries w * p stay well above the
    # ~1e-11 rounding noise of a centred difference with h = 1e-5.
    logits = rng.standard_normal((N, V))
    targets = rng.integers(0, V, size=N)
    weights = np.full(N, 1.0 / N) if kind.startswith("mean") else rng.uniform(0, 1, N)

    def forward(logits, targets, weights, xp=np):
        return L.softmax_cross_entropy_forward(logits, targets, weights, xp)

    check_layer(f"softmax cross-entropy, {kind}", forward,
                L.softmax_cross_entropy_backward, [logits], [targets, weights], rng)


def test_conv_maxpool(rng):
    # Continuous random inputs: max-over-time ties and relu kinks have
    # probability zero; the fixed seed keeps them away from the FD steps.
    x, W, b = rng.standard_normal((3, 8, 4)), rng.standard_normal((3, 4, 5)), rng.standard_normal(5)
    check_layer("conv over time + max pool", conv_maxpool_forward,
                L.conv_maxpool_backward, [x, W, b], [], rng)


def test_conv_maxpool_full_width(rng):
    """A filter as wide as the sequence (the original's width 20): one window."""
    x, W, b = rng.standard_normal((3, 6, 4)), rng.standard_normal((6, 4, 5)), rng.standard_normal(5)
    check_layer("conv over time + max pool", conv_maxpool_forward,
                L.conv_maxpool_backward, [x, W, b], [], rng)


def test_highway(rng):
    x, W, b = rng.standard_normal((4, 6)), rng.standard_normal((6, 12)), rng.standard_normal(12)
    check_layer("highway", L.highway_forward, L.highway_backward, [x, W, b], [], rng)


def test_dropout_fixed_mask(rng):
    x = rng.standard_normal((5, 7))
    mask = L.dropout_mask(x.shape, 0.75, rng, np, np.float64)

    def forward(x, mask, xp=np):
        return L.dropout_forward(x, mask)

    check_layer("dropout (fixed mask)", forward, L.dropout_backward, [x], [mask], rng)


def test_dropout_mask_keeps_expectation(rng):
    mask = L.dropout_mask((200, 500), 0.75, rng, np, np.float64)
    assert set(np.unique(mask)) == {0.0, 1.0 / 0.75}
    assert abs(mask.mean() - 1.0) < 0.01  # inverted dropout: E[mask] = 1


def test_lstm_over_a_sequence(rng):
    B, T, E, H = 3, 5, 4, 6
    args = [rng.standard_normal((B, T, E)), 0.5 * rng.standard_normal((B, H)),
            0.5 * rng.standard_normal((B, H)), 0.5 * rng.standard_normal((E, 4 * H)),
            0.5 * rng.standard_normal((H, 4 * H)), 0.5 * rng.standard_normal(4 * H)]
    check_layer("LSTM over a whole sequence (BPTT)", lstm_forward, lstm_backward, args, [], rng)


def test_logsumexp_is_stable():
    big = np.array([[1000.0, 1000.0], [-1000.0, -1000.0]])
    np.testing.assert_allclose(L.logsumexp(big), [1000 + np.log(2), -1000 + np.log(2)])


def test_conv_maxpool_tied_windows(rng):
    """A repeated token makes two windows of width 1 respond identically: the
    gradient is split between them, as autograd's max does."""
    x = rng.standard_normal((2, 6, 3))
    x[:, 4] = x[:, 1]  # position 4 repeats position 1
    W, b = rng.standard_normal((1, 3, 4)), rng.standard_normal(4)
    out, cache = conv_maxpool_forward(x, W, b)
    R = rng.standard_normal(out.shape)

    def loss(x, W, b):
        return anp.sum(conv_maxpool_forward(x, W, b, anp)[0] * R)

    errors = check_against_autograd(loss, [x, W, b], L.conv_maxpool_backward(R, cache), [0, 1, 2])
    record("autograd: conv over time + max pool", errors)
    assert max(errors.values()) < AUTOGRAD_TOL, errors
