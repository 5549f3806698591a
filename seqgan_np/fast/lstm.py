"""Fast twins of ``core/lstm.py``'s forward and backward over a sequence:
the same arithmetic per step, with every product that does not depend on
the recurrence (x W + b, and dx, dW, dU, db) done once for all steps.

Shape legend: B batch, T length, E input (embedding), H hidden.
"""
import numpy as np

from ..core.lstm import lstm_cell, lstm_cell_backward


def lstm_forward(x, h0, c0, W, U, b, xp=np):
    """Fast twin of ``core.lstm.lstm_forward``: x W + b is one product for all
    steps, hoisted out of the loop; only h U is done step by step.

    x (B, T, E), h0, c0 (B, H) -> hs (B, T, H) and the cache.
    """
    B, T, _ = x.shape
    xW = x @ W + b  # (B, T, 4H)
    h, c = h0, c0
    hs, cs, acts, tanh_cs = [h0], [c0], [], []
    for t in range(T):
        h, c, act, tanh_c = lstm_cell(xW[:, t] + h @ U, c, xp)
        hs.append(h), cs.append(c), acts.append(act), tanh_cs.append(tanh_c)
    hs = xp.stack(hs, axis=1)  # (B, T+1, H) with h0 in front
    cache = (x, W, U, hs, xp.stack(cs, axis=1), xp.stack(acts, axis=1),
             xp.stack(tanh_cs, axis=1), xp)
    return hs[:, 1:], cache


def lstm_backward(dhs, cache):
    """Fast twin of ``core.lstm.lstm_backward``: dx, dW, dU and db are each one
    matrix product (or sum) over all steps after the loop; only the
    recurrence through h and c is done step by step.

    Inputs: dhs (B, T, H) upstream gradient of hs; cache from ``lstm_forward``.
    Returns: dx (B, T, E), dh0, dc0 (B, H), dW (E, 4H), dU (H, 4H), db (4H,),
    in the order of the forward's arguments.
    """
    x, W, U, hs, cs, acts, tanh_cs, xp = cache
    B, T, H = dhs.shape
    da = xp.empty((B, T, 4 * H), dtype=dhs.dtype)  # pre-activation grads
    dh_next = xp.zeros((B, H), dtype=dhs.dtype)
    dc_next = xp.zeros((B, H), dtype=dhs.dtype)
    for t in reversed(range(T)):
        dh = dhs[:, t] + dh_next  # from the output at t and from step t+1
        da[:, t], dc_next = lstm_cell_backward(dh, dc_next, cs[:, t], acts[:, t], tanh_cs[:, t], xp)
        dh_next = da[:, t] @ U.T  # backprop into h_{t-1}
    da2 = da.reshape(B * T, 4 * H)
    dW = x.reshape(B * T, -1).T @ da2  # (E, 4H)
    dU = hs[:, :-1].reshape(B * T, H).T @ da2  # (H, 4H) h_{t-1} for every t
    dx = da @ W.T  # (B, T, E)
    return dx, dh_next, dc_next, dW, dU, da2.sum(axis=0)
