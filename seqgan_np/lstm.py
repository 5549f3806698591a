"""The LSTM cell of the original SeqGAN code and backpropagation through time.

Shape legend: B batch, T length, E input (embedding), H hidden.

The four gates' weights are stacked in the order [i, f, o, g] (g is the
candidate cell, the original's "c" gate): W (E, 4H), U (H, 4H), b (4H,), so
that one matrix product gives all four pre-activations:

    a = x W + h U + b                                   (B, 4H)
    i = sig(a_i)   f = sig(a_f)   o = sig(a_o)   g = tanh(a_g)
    c' = f * c + i * g
    h' = o * tanh(c')
"""
import numpy as np

from .layers import sigmoid


def lstm_cell(a, c, xp=np):
    """One step given the pre-activations a = x W + h U + b (B, 4H).

    Returns the new (h, c) and the gate activations [i, f, o, g] (B, 4H) and
    tanh(c') (B, H) that backward needs.
    """
    H = c.shape[1]
    ifo = sigmoid(a[:, :3 * H], xp)  # (B, 3H) input, forget, output gates
    g = xp.tanh(a[:, 3 * H:])  # (B, H) candidate
    i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]
    c_new = f * c + i * g  # (B, H)
    tanh_c = xp.tanh(c_new)  # (B, H)
    h_new = o * tanh_c  # (B, H)
    return h_new, c_new, xp.concatenate([ifo, g], axis=1), tanh_c


def lstm_forward(x, h0, c0, W, U, b, xp=np):
    """Run the cell over a whole sequence. x (B, T, E) -> hs (B, T, H).

    x W + b is one product for all steps; only h U is done step by step.
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
    """BPTT. dhs (B, T, H) -> dx (B, T, E), dh0, dc0 (B, H), dW, dU, db."""
    x, W, U, hs, cs, acts, tanh_cs, xp = cache
    B, T, H = dhs.shape
    da = xp.empty((B, T, 4 * H), dtype=dhs.dtype)  # pre-activation grads
    dh_next = xp.zeros((B, H), dtype=dhs.dtype)
    dc_next = xp.zeros((B, H), dtype=dhs.dtype)
    for t in reversed(range(T)):
        i, f, o, g = (acts[:, t, k * H:(k + 1) * H] for k in range(4))
        tanh_c = tanh_cs[:, t]
        dh = dhs[:, t] + dh_next  # from the output at t and from step t+1
        dc = dc_next + dh * o * (1.0 - tanh_c ** 2)  # backprop into c_t
        da[:, t, 0 * H:1 * H] = dc * g * i * (1.0 - i)  # input gate
        da[:, t, 1 * H:2 * H] = dc * cs[:, t] * f * (1.0 - f)  # forget gate, c_{t-1}
        da[:, t, 2 * H:3 * H] = dh * tanh_c * o * (1.0 - o)  # output gate
        da[:, t, 3 * H:4 * H] = dc * i * (1.0 - g ** 2)  # candidate
        dh_next = da[:, t] @ U.T  # backprop into h_{t-1}
        dc_next = dc * f  # backprop into c_{t-1}
    da2 = da.reshape(B * T, 4 * H)
    dW = x.reshape(B * T, -1).T @ da2  # (E, 4H)
    dU = hs[:, :-1].reshape(B * T, H).T @ da2  # (H, 4H) h_{t-1} for every t
    dx = da @ W.T  # (B, T, E)
    return dx, dh_next, dc_next, dW, dU, da2.sum(axis=0)
