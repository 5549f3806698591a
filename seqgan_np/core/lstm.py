"""The LSTM cell of the original SeqGAN code and backpropagation through time.

Shape legend: B batch, T length, E input (embedding), H hidden.

The four gates' weights are stacked in the order [i, f, o, g] (g is the
candidate cell, the original's "c" gate): W (E, 4H), U (H, 4H), b (4H,), so
that one matrix product gives all four pre-activations:

    a = x W + h U + b                                   (B, 4H)
    i = sig(a_i)   f = sig(a_f)   o = sig(a_o)   g = tanh(a_g)
    c' = f * c + i * g
    h' = o * tanh(c')

This is G_theta's recurrent unit (the paper's section "The Generative Model
for Sequences": h_t = g(h_t-1, x_t)). Its fast twin, with the input
products of all steps hoisted out of the loop, is ``fast/lstm.py``.
"""
from types import SimpleNamespace

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


def lstm_cell_backward(dh, dc, c, acts, tanh_c, xp=np):
    """Backward pass of ``lstm_cell``.

    Inputs: dh, dc (B, H) upstream gradients of h' and c'; c (B, H) the cell
    state the step read; acts (B, 4H) and tanh_c (B, H) from ``lstm_cell``.
    Returns: da (B, 4H), dc_prev (B, H), in the order of the cell's arguments.
    """
    H = c.shape[1]
    i, f, o, g = (acts[:, k * H:(k + 1) * H] for k in range(4))
    dc = dc + dh * o * (1.0 - tanh_c ** 2)  # backprop into c' through h' = o tanh(c')
    da = xp.concatenate([dc * g * i * (1.0 - i),  # input gate
                         dc * c * f * (1.0 - f),  # forget gate
                         dh * tanh_c * o * (1.0 - o),  # output gate
                         dc * i * (1.0 - g ** 2)], axis=1)  # (B, 4H) candidate
    return da, dc * f  # backprop into c


def lstm_step_forward(x, h, c, W, U, b, xp=np):
    """One step of the cell: x (B, E), h, c (B, H) -> h_new, c_new (B, H), cache."""
    h_new, c_new, acts, tanh_c = lstm_cell(x @ W + h @ U + b, c, xp)  # (B, H), (B, H)
    cache = SimpleNamespace(x=x, h=h, c=c, W=W, U=U, acts=acts, tanh_c=tanh_c, xp=xp)
    return h_new, c_new, cache


def lstm_step_backward(dh, dc, cache):
    """Backward pass of ``lstm_step_forward``.

    Inputs: dh, dc (B, H) upstream gradients of h_new and c_new; cache from
    ``lstm_step_forward``.
    Returns: dx (B, E), dh_prev, dc_prev (B, H), dW (E, 4H), dU (H, 4H),
    db (4H,), in the order of the forward's arguments.
    """
    da, dc_prev = lstm_cell_backward(dh, dc, cache.c, cache.acts, cache.tanh_c, cache.xp)  # (B, 4H)
    return (da @ cache.W.T, da @ cache.U.T, dc_prev,
            cache.x.T @ da, cache.h.T @ da, da.sum(axis=0))


def lstm_forward(x, h0, c0, W, U, b, xp=np):
    """Run the cell over a whole sequence, one ``lstm_step_forward`` per step.

    x (B, T, E), h0, c0 (B, H) -> hs (B, T, H) and the list of step caches.
    """
    h, c, hs, cache = h0, c0, [], []
    for t in range(x.shape[1]):
        h, c, cache_t = lstm_step_forward(x[:, t], h, c, W, U, b, xp)
        hs.append(h)
        cache.append(cache_t)
    return xp.stack(hs, axis=1), cache  # (B, T, H)


def lstm_backward(dhs, cache):
    """Backward pass of ``lstm_forward``: BPTT, one
    ``lstm_step_backward`` per step from the last to the first.

    Inputs: dhs (B, T, H) upstream gradient of hs; cache from
    ``lstm_forward``.
    Returns: dx (B, T, E), dh0, dc0 (B, H), dW (E, 4H), dU (H, 4H), db (4H,),
    in the order of the forward's arguments.
    """
    dh = dc = cache[0].xp.zeros_like(dhs[:, 0])  # (B, H) nothing flows in from after the end
    dxs, dW, dU, db = [], 0.0, 0.0, 0.0
    for t in reversed(range(dhs.shape[1])):
        # h_t feeds the output at t and step t+1: their gradients add.
        dx, dh, dc, dW_t, dU_t, db_t = lstm_step_backward(dhs[:, t] + dh, dc, cache[t])
        dxs.append(dx)
        dW, dU, db = dW + dW_t, dU + dU_t, db + db_t  # every step uses the same weights
    return cache[0].xp.stack(dxs[::-1], axis=1), dh, dc, dW, dU, db  # dx (B, T, E)
