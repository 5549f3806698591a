"""Stateless layers: each ``*_forward`` returns ``(out, cache)`` and each
``*_backward(dout, cache)`` returns the gradients in the order of the
forward's array arguments (CS231n style).

Shape legend: B batch, T length, V vocab, E embedding, K filter width,
L = T - K + 1 window positions, F filters, D features, R rows of a flat batch.

Forward functions take the array module ``xp`` and never write in place, so
that the very same code runs under ``autograd.numpy``: the tests compare the
hand-written backward passes with autograd's gradient of these forwards.
Backward passes may work in place; they take ``xp`` from the cache.

The paper's models are built from these: G_theta's embedding, affine output
layer and softmax cross-entropy (eqs. (1)-(2): -log G_theta(y_t | Y_1..t-1)),
and D_phi's convolution with max over time, highway layer and dropout. Their
fast twins (the fused output layer, the convolution by im2col) are in
``seqgan_np/fast/layers.py``.
"""
import numpy as np


def sigmoid(a, xp=np):
    """Logistic function, written with tanh so that it never overflows."""
    return 0.5 * (xp.tanh(0.5 * a) + 1.0)


# ---------------------------------------------------------------- embedding

def embedding_forward(tokens, W, xp=np):
    """Row lookup. tokens (...) int, W (V, E) -> (..., E)."""
    out = W[tokens]  # (..., E)
    return out, (tokens, W.shape, xp)


def embedding_backward(dout, cache):
    """Backward pass of ``embedding_forward``: every occurrence of a token
    adds its upstream gradient to its row.

    Inputs: dout (..., E) upstream gradient; cache from ``embedding_forward``.
    Returns: dW (V, E) (the token ids have no gradient).
    """
    tokens, W_shape, xp = cache
    dW = xp.zeros(W_shape, dtype=dout.dtype)  # (V, E)
    xp.add.at(dW, tokens.ravel(), dout.reshape(-1, W_shape[1]))
    return dW


# ------------------------------------------------------------------- affine

def affine_forward(x, W, b, xp=np):
    """x (..., D) @ W (D, M) + b (M,) -> (..., M)."""
    out = x @ W + b  # (..., M)
    return out, (x, W)


def affine_backward(dout, cache):
    """Backward pass of ``affine_forward``.

    Inputs: dout (..., M) upstream gradient; cache from ``affine_forward``.
    Returns: dx (..., D), dW (D, M), db (M,), in the order of the forward's arguments.
    """
    x, W = cache
    dx = dout @ W.T  # (..., D)
    x2 = x.reshape(-1, x.shape[-1])  # (R, D)
    d2 = dout.reshape(-1, dout.shape[-1])  # (R, M)
    return dx, x2.T @ d2, d2.sum(axis=0)


# ------------------------------------------- log-softmax and cross-entropy

def logsumexp(logits, xp=np):
    """Row-wise log sum exp of logits (R, V) -> (R,), shifted by the row max."""
    m = logits.max(axis=1)  # (R,)
    return m + xp.log(xp.exp(logits - m[:, None]).sum(axis=1))


def softmax_cross_entropy_forward(logits, targets, weights, xp=np):
    """Weighted cross-entropy  loss = -sum_r w_r log softmax(logits_r)[y_r].

    One function serves both generator losses: the MLE loss has w_r = 1/(B*T);
    the policy-gradient loss has w_r = Q_r (the rewards, summed, as the
    original code). logits (R, V), targets (R,) int, weights (R,) -> scalar.
    """
    lse = logsumexp(logits, xp)  # (R,)
    picked = logits[xp.arange(logits.shape[0]), targets]  # (R,)
    loss = xp.sum(weights * (lse - picked))
    return loss, (logits, lse, targets, weights, xp)


def softmax_cross_entropy_backward(dloss, cache):
    """Backward pass of ``softmax_cross_entropy_forward``:
    dlogits = w * (softmax(logits) - onehot(y)), without any one-hot array.

    Inputs: dloss scalar upstream gradient of the loss; cache from
    ``softmax_cross_entropy_forward``.
    Returns: dlogits (R, V) (targets and weights are not differentiated).
    """
    logits, lse, targets, weights, xp = cache
    w = weights * dloss  # (R,)
    dlogits = xp.exp(logits - lse[:, None])  # (R, V) softmax
    dlogits *= w[:, None]
    dlogits[xp.arange(logits.shape[0]), targets] -= w
    return dlogits


def softmax_output_loss_and_grads(h, W, b, targets, weights, xp=np):
    """The output layer and its weighted cross-entropy, layer by layer:
    affine_forward -> softmax_cross_entropy_forward ->
    softmax_cross_entropy_backward -> affine_backward.

    h (R, H), W (H, V), b (V,), targets (R,), weights (R,)
    -> loss, dh (R, H), dW (H, V), db (V,). The language model's loss goes
    through these layers; this composition is what the fused fast twin
    equals.
    """
    logits, cache_affine = affine_forward(h, W, b, xp)  # (R, V)
    loss, cache_ce = softmax_cross_entropy_forward(logits, targets, weights, xp)
    dlogits = softmax_cross_entropy_backward(1.0, cache_ce)  # (R, V)
    dh, dW, db = affine_backward(dlogits, cache_affine)  # (R, H), (H, V), (V,)
    return loss, dh, dW, db


# ------------------------------------ 1-D convolution with max over time

def conv_responses(x, W, xp=np):
    """The convolution over time as a loop over the window positions s:

        z_s = sum_k x[:, s + k] W[k]                        (B, F)

    x (B, T, E), W (K, E, F) -> z (B, L, F)."""
    K, L = W.shape[0], x.shape[1] - W.shape[0] + 1
    return xp.stack([sum(x[:, s + k] @ W[k] for k in range(K)) for s in range(L)], axis=1)


def windows_of(x, K, xp=np):
    """The L windows of K consecutive rows of x (B, T, E), side by side:
    (B, L, K, E) (im2col)."""
    L = x.shape[1] - K + 1
    return xp.stack([x[:, k:k + L] for k in range(K)], axis=2)


def conv_maxpool_forward(x, W, b, xp=np):
    """relu(max_s z_s + b): one filter width of the discriminator, with the
    convolution z as a loop over windows (``conv_responses``).

    x (B, T, E), W (K, E, F), b (F,) -> (B, F). The bias is the same at every
    position and relu is monotone, so both are applied after the max:
    max_s relu(z_s + b) = relu(max_s z_s + b). The cache holds the windows
    (``windows_of``) that backward multiplies with; the fast twin (im2col)
    leaves the same cache, so that ``conv_maxpool_backward`` serves both.
    """
    z = conv_responses(x, W, xp)  # (B, L, F)
    m = z.max(axis=1)  # (B, F) each filter's strongest response
    out = xp.maximum(m + b, 0.0)  # (B, F)
    return out, (windows_of(x, W.shape[0], xp), W, z, m, out, xp)


def conv_maxpool_backward(dout, cache):
    """Backward pass of ``conv_maxpool_forward`` (and of its fast twin,
    which leaves the same cache).

    Inputs: dout (B, F) upstream gradient; cache from the forward.
    Returns: dx (B, T, E), dW (K, E, F), db (F,), in the order of the forward's arguments.
    """
    windows, W, z, m, out, xp = cache
    B, L, K, E = windows.shape
    F = W.shape[2]
    dm = dout * (out > 0)  # (B, F) backprop through relu
    # The gradient goes to the position of the max, split equally where
    # windows tie (a repeated token or n-gram gives identical responses).
    at_max = z == m[:, None, :]  # (B, L, F)
    dz = at_max * (dm / at_max.sum(axis=1, dtype=dm.dtype))[:, None, :]  # (B, L, F)
    dz2 = dz.reshape(B * L, F)
    dW = (windows.reshape(B * L, K * E).T @ dz2).reshape(K, E, F)
    dwindows = (dz2 @ W.reshape(K * E, F).T).reshape(B, L, K, E)
    dx = xp.zeros((B, L + K - 1, E), dtype=dout.dtype)
    for k in range(K):  # col2im: window slot k came from positions k..k+L-1
        dx[:, k:k + L] += dwindows[:, :, k]
    return dx, dW, dm.sum(axis=0)


# ------------------------------------------------------------------ highway

def highway_forward(x, W, b, xp=np):
    """y = t * relu(x W_H + b_H) + (1 - t) * x,  t = sigmoid(x W_T + b_T).

    x (B, D); W = [W_H | W_T] (D, 2D) and b = [b_H | b_T] (2D,), so that both
    branches come from one matrix product.
    """
    D = x.shape[1]
    a = x @ W + b  # (B, 2D)
    h = xp.maximum(a[:, :D], 0.0)  # (B, D) transform
    t = sigmoid(a[:, D:], xp)  # (B, D) transform gate
    out = t * h + (1.0 - t) * x  # (B, D)
    return out, (x, W, h, t, xp)


def highway_backward(dout, cache):
    """Backward pass of ``highway_forward``.

    Inputs: dout (B, D) upstream gradient; cache from ``highway_forward``.
    Returns: dx (B, D), dW (D, 2D), db (2D,), in the order of the forward's arguments.
    """
    x, W, h, t, xp = cache
    da_h = dout * t * (h > 0)  # (B, D)
    da_t = dout * (h - x) * t * (1.0 - t)  # (B, D)
    da = xp.concatenate([da_h, da_t], axis=1)  # (B, 2D)
    dx = dout * (1.0 - t) + da @ W.T  # the carry path plus both branches
    return dx, x.T @ da, da.sum(axis=0)


# ------------------------------------------------------------------ dropout

def dropout_mask(shape, keep_prob, rng, xp=np, dtype=np.float32):
    """Inverted-dropout mask: 1/keep_prob where kept, 0 where dropped.

    Drawn from the host generator ``rng`` so that runs are reproducible and
    checkpointable on either backend.
    """
    keep = rng.random(shape) < keep_prob
    return xp.asarray((keep / keep_prob).astype(dtype))


def dropout_forward(x, mask):
    """x * mask; the mask from ``dropout_mask`` already holds the 1/keep scale."""
    return x * mask, mask


def dropout_backward(dout, mask):
    """Backward pass of ``dropout_forward``.

    Inputs: dout upstream gradient, shaped as x; mask, the cache from ``dropout_forward``.
    Returns: dx, shaped as x.
    """
    return dout * mask
