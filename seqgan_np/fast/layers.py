"""Fast twins of layers in ``core/layers.py``, and the in-place pieces they
are made of. Each names the plain function it equals; the tests prove it.

Shape legend: R rows of a flat batch, V vocab, H hidden, B batch, T length,
E embedding, K filter width, L = T - K + 1 window positions, F filters.
"""
import numpy as np

from ..core.layers import windows_of
from .threads import for_each_chunk


def exp_shifted_inplace(logits, xp=np):
    """Overwrite logits (R, V) with exp(logits - rowmax), the unnormalised
    probabilities, and return the row max (R,). The hot paths (sampling,
    scoring, the fused output layer) use this: no (R, V) temporary is
    allocated."""
    m = logits.max(axis=1, keepdims=True)  # (R, 1)
    logits -= m
    xp.exp(logits, out=logits)  # (R, V)
    return m[:, 0]


def logsumexp_inplace(logits, xp=np):
    """Row-wise log sum exp (R,) of logits (R, V), which are overwritten with
    exp(logits - rowmax) on the way (as ``exp_shifted_inplace``)."""
    m = exp_shifted_inplace(logits, xp)
    return m + xp.log(row_sums(logits, xp))


def row_sums(a, xp=np):
    """a (R, M) -> (R,): the sums as a matrix-vector product, which BLAS
    streams several times faster than ``a.sum(axis=1)``."""
    return a @ xp.ones(a.shape[1], dtype=a.dtype)


def append_ones(x, xp=np):
    """x (R, D) -> [x 1] (R, D+1): with ``stack_bias``, [x 1] @ [W; b] = x W + b
    in one matrix product, with no separate pass to add the bias."""
    return xp.concatenate([x, xp.ones((x.shape[0], 1), dtype=x.dtype)], axis=1)


def stack_bias(W, b, xp=np):
    """W (D, M), b (M,) -> [W; b] (D+1, M), the partner of ``append_ones``."""
    return xp.concatenate([W, b[None]], axis=0)


def softmax_output_loss_and_grads(h, W, b, targets, weights, xp=np, chunk=256):
    """Fast twin of ``core.layers.softmax_output_loss_and_grads``: the layers
    fused, computed chunk by chunk of rows (on threads) so that each chunk's
    (chunk, V) logits stay in cache between the forward and the backward
    pass, and overwritten in place instead of copied.

    h (R, H), W (H, V), b (V,), targets (R,), weights (R,)
    -> loss, dh (R, H), dW (H, V), db (V,)

    The bias rides in the matrix products as one more row of W read by a
    constant input 1: [h 1] @ [W; b] gives the logits, and [h 1]^T @ dlogits
    gives [dW; db], with no separate pass for either.
    """
    R, H = h.shape
    h1, Wb = append_ones(h, xp), stack_bias(W, b, xp)  # (R, H+1), (H+1, V)
    dh = xp.empty_like(h)
    shares = {}  # chunk start -> (loss, [dW; db]) of its rows

    def one_chunk(rows):
        z = h1[rows] @ Wb  # (n, V) logits
        ar, y, w = xp.arange(z.shape[0]), targets[rows], weights[rows]
        picked = z[ar, y]  # (n,) copies, before z is overwritten
        m = exp_shifted_inplace(z, xp)  # z now exp(logits - m)
        sums = row_sums(z, xp)  # (n,)
        loss = xp.sum(w * (m + xp.log(sums) - picked))  # log sum exp - picked logit
        z *= (w / sums)[:, None]  # w * softmax
        z[ar, y] -= w  # dlogits = w * (softmax - onehot(y))
        xp.matmul(z, W.T, out=dh[rows])
        shares[rows.start] = (loss, h1[rows].T @ z)

    for_each_chunk(xp, R, chunk, one_chunk)
    loss, dWb = 0.0, xp.zeros_like(Wb)
    for start in sorted(shares):  # in chunk order: the sums do not depend on the threads
        loss += float(shares[start][0])
        dWb += shares[start][1]
    return loss, dh, dWb[:H], dWb[H]


def conv_maxpool_forward(x, W, b, xp=np):
    """Fast twin of ``core.layers.conv_maxpool_forward``: the windows side by side
    (im2col) so the convolution is one matrix product.

    x (B, T, E), W (K, E, F), b (F,) -> (B, F). The bias and relu come after
    the max, as in the plain version.
    """
    B, T, E = x.shape
    K, _, F = W.shape
    L = T - K + 1
    windows = windows_of(x, K, xp)  # (B, L, K, E)
    z = (windows.reshape(B * L, K * E) @ W.reshape(K * E, F)).reshape(B, L, F)
    m = z.max(axis=1)  # (B, F) each filter's strongest response
    out = xp.maximum(m + b, 0.0)  # (B, F)
    return out, (windows, W, z, m, out, xp)
