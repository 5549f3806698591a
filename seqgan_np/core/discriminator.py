"""D_phi: the CNN text classifier of the original SeqGAN code.

Shape legend: B batch, T length, V vocab, E embedding, K filter width,
L = T - K + 1 window positions, F filters of one width, D = sum of F over
widths (1720 in the paper), C = 2 classes, R rows of a flat batch (r of them
in one chunk).

    x        = embedding[tokens]                                (B, T, E)
    pooled_K = relu(max_s conv_K(x)_s + b_K)  for every width K (B, F)
    f        = highway([pooled_1, ..., pooled_20])              (B, D)
    f        = dropout(f, keep 0.75) in training                (B, D)
    logits   = f W_out + b_out                                  (B, C)
    loss     = mean cross-entropy + l2 * (|W_out|^2 + |b_out|^2) / 2

Class REAL = 1 is "real": the reward of a sequence is D's softmax
probability of class REAL, as in the original. D_phi is trained by
minimising the cross-entropy of eq. (5),

    min_phi  -E_{Y ~ p_data}[log D_phi(Y)] - E_{Y ~ G_theta}[log(1 - D_phi(Y))],

and a 2-way softmax is the paper's sigmoid: softmax(z)[REAL] =
sigmoid(z_REAL - z_FAKE). ``fast/discriminator.py`` holds the twin that runs.
"""
import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from .checks import as_array, check_params, check_tokens, is_positive_int
from .layers import (affine_backward, affine_forward, conv_maxpool_backward,
                     conv_maxpool_forward, dropout_backward, dropout_forward,
                     dropout_mask, embedding_backward, embedding_forward,
                     highway_backward, highway_forward, logsumexp,
                     softmax_cross_entropy_backward, softmax_cross_entropy_forward)

REAL, FAKE = 1, 0


class DiscriminatorConfigError(ValueError):
    """A bad setting of DiscriminatorConfig: ``name`` is the field, ``why``
    the rule its value breaks (so that a caller can name its own setting)."""

    def __init__(self, name, value, why):
        super().__init__(f"discriminator: {name}={value!r}: {why}")
        self.name, self.why = name, why


@dataclass(frozen=True)
class DiscriminatorConfig:
    """D's settings, the original's by default; the one place they are checked."""
    vocab_size: int = 5000
    seq_len: int = 20
    emb_dim: int = 64
    filter_sizes: tuple = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20)
    num_filters: tuple = (100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160)
    dropout_keep: float = 0.75
    l2_reg: float = 0.2

    def __post_init__(self):
        def bad(name, why):
            raise DiscriminatorConfigError(name, getattr(self, name), why)

        for name in ("vocab_size", "seq_len", "emb_dim"):
            if not is_positive_int(getattr(self, name)):
                bad(name, "must be a positive integer")
        if not self.filter_sizes:
            bad("filter_sizes", "needs at least one filter width")
        for K in self.filter_sizes:
            if not (is_positive_int(K) and K <= self.seq_len):
                bad("filter_sizes",
                    f"filter width {K} is not an integer in [1, seq_len={self.seq_len}]")
        if len(set(self.filter_sizes)) != len(self.filter_sizes):
            bad("filter_sizes", "each width may appear once (its parameters are named by it)")
        if len(self.num_filters) != len(self.filter_sizes):
            bad("num_filters", f"needs one count per filter width ({len(self.filter_sizes)})")
        if not all(is_positive_int(F) for F in self.num_filters):
            bad("num_filters", "counts must be positive integers")
        if not 0.0 < self.dropout_keep <= 1.0:
            bad("dropout_keep", "must be in (0, 1]")
        if not 0.0 <= self.l2_reg < math.inf:
            bad("l2_reg", "must be non-negative and finite")

    @property
    def features(self):
        return sum(self.num_filters)  # D


def disc_param_shapes(cfg):
    shapes = {"embedding": (cfg.vocab_size, cfg.emb_dim)}
    for K, F in zip(cfg.filter_sizes, cfg.num_filters):
        shapes[f"conv_W_{K}"] = (K, cfg.emb_dim, F)
        shapes[f"conv_b_{K}"] = (F,)
    D = cfg.features
    shapes.update({"highway_W": (D, 2 * D), "highway_b": (2 * D,),
                   "W_out": (D, 2), "b_out": (2,)})
    return shapes


def _truncated_normal(rng, shape, std):
    """N(0, std^2) redrawn beyond two standard deviations, as TensorFlow's."""
    values = rng.standard_normal(shape)
    bad = np.abs(values) > 2.0
    while bad.any():
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2.0
    return std * values


def init_disc_params(cfg, rng, xp=np, dtype=np.float32):
    """The original's initialisers: embedding U(-1, 1); convolutions and the
    output layer truncated N(0, 0.1^2) with bias 0.1; highway Glorot-uniform
    with bias 0 (TensorFlow's defaults there)."""
    D = cfg.features
    params = {"embedding": rng.uniform(-1.0, 1.0, (cfg.vocab_size, cfg.emb_dim))}
    for K, F in zip(cfg.filter_sizes, cfg.num_filters):
        params[f"conv_W_{K}"] = _truncated_normal(rng, (K, cfg.emb_dim, F), 0.1)
        params[f"conv_b_{K}"] = np.full(F, 0.1)
    limit = np.sqrt(6.0 / (D + D))
    params["highway_W"] = rng.uniform(-limit, limit, (D, 2 * D))
    params["highway_b"] = np.zeros(2 * D)
    params["W_out"] = _truncated_normal(rng, (D, 2), 0.1)
    params["b_out"] = np.full(2, 0.1)
    return {k: xp.asarray(v.astype(dtype)) for k, v in params.items()}


def disc_forward(params, tokens, filter_sizes, mask=None, xp=np, conv=conv_maxpool_forward):
    """logits (B, C) of tokens (B, T); ``mask`` is a dropout mask (B, D), or
    None for evaluation; ``conv`` is the layer of each filter width (its
    fast twin may stand in). The cache names its parts: ``embedding``,
    ``convs`` and ``num_filters`` (both by width K), ``head``."""
    x, cache_embedding = embedding_forward(tokens, params["embedding"], xp)  # (B, T, E)
    pooled, cache_convs, num_filters = [], {}, {}
    for K in filter_sizes:
        pooled_K, cache_convs[K] = conv(
            x, params[f"conv_W_{K}"], params[f"conv_b_{K}"], xp)  # (B, F)
        pooled.append(pooled_K)
        num_filters[K] = pooled_K.shape[1]  # F: this width's columns of the features
    logits, cache_head = disc_head_forward(params, pooled, mask, xp)  # (B, C)
    return logits, SimpleNamespace(embedding=cache_embedding, convs=cache_convs,
                                   num_filters=num_filters, head=cache_head)


def disc_head_forward(params, pooled, mask=None, xp=np):
    """From the pooled features of every width [(B, F)] to the logits (B, C).
    The cache names its parts: ``highway``, ``mask`` (None: no dropout), ``out``."""
    f, cache_highway = highway_forward(xp.concatenate(pooled, axis=1),
                                       params["highway_W"], params["highway_b"], xp)  # (B, D)
    if mask is not None:
        f, mask = dropout_forward(f, mask)  # (B, D)
    logits, cache_out = affine_forward(f, params["W_out"], params["b_out"], xp)  # (B, C)
    return logits, SimpleNamespace(highway=cache_highway, mask=mask, out=cache_out)


def disc_loss_forward(params, tokens, labels, filter_sizes, l2_reg, mask=None, xp=np,
                      conv=conv_maxpool_forward):
    """Mean cross-entropy of labels (B,) (REAL or FAKE) + l2 * (|W_out|^2 + |b_out|^2) / 2.
    The cache holds ``disc_forward``'s parts and ``ce``, ``l2_reg``,
    ``W_out``, ``b_out``."""
    logits, cache_disc = disc_forward(params, tokens, filter_sizes, mask, xp, conv)  # (B, C)
    B = tokens.shape[0]
    ce, cache_ce = softmax_cross_entropy_forward(
        logits, labels, xp.full(B, 1.0 / B, dtype=logits.dtype), xp)
    l2 = 0.5 * l2_reg * (xp.sum(params["W_out"] ** 2) + xp.sum(params["b_out"] ** 2))
    return ce + l2, SimpleNamespace(**vars(cache_disc), ce=cache_ce, l2_reg=l2_reg,
                                    W_out=params["W_out"], b_out=params["b_out"])


def disc_loss_backward(cache):
    """Backward pass of ``disc_loss_forward``.

    Inputs: cache from ``disc_loss_forward`` (the loss is a scalar: its
    upstream gradient is 1).
    Returns: grads, a dict with the gradient of the loss for every key of
    ``params``: embedding (V, E), conv_W_K (K, E, F), conv_b_K (F,),
    highway_W (D, 2D), highway_b (2D,), W_out (D, C), b_out (C,).
    """
    head, grads = cache.head, {}
    dlogits = softmax_cross_entropy_backward(1.0, cache.ce)  # (B, C)
    df, dW_out, db_out = affine_backward(dlogits, head.out)  # (B, D)
    grads["W_out"] = dW_out + cache.l2_reg * cache.W_out
    grads["b_out"] = db_out + cache.l2_reg * cache.b_out
    if head.mask is not None:
        df = dropout_backward(df, head.mask)  # (B, D)
    dpooled, grads["highway_W"], grads["highway_b"] = highway_backward(df, head.highway)  # (B, D)
    dx, start = 0.0, 0
    for K, cache_K in cache.convs.items():
        F = cache.num_filters[K]
        dx_K, grads[f"conv_W_{K}"], grads[f"conv_b_{K}"] = conv_maxpool_backward(
            dpooled[:, start:start + F], cache_K)  # (B, T, E)
        dx, start = dx + dx_K, start + F  # every width reads the same embeddings
    grads["embedding"] = embedding_backward(dx, cache.embedding)
    return grads


def softmax(logits, xp=np):
    """Row-wise softmax of logits (R, C)."""
    return xp.exp(logits - logsumexp(logits, xp)[:, None])


class Discriminator:
    """D_phi with its parameters (``xp`` arrays, updated in place by Adam).
    Where a method takes ``tokens`` (R, T) or ``labels`` (R,), lists of ints
    are accepted too. ``fast.FastDiscriminator`` is its twin."""

    conv = staticmethod(conv_maxpool_forward)  # the layer of each filter width

    def __init__(self, cfg, params, xp=np):
        if not isinstance(cfg, DiscriminatorConfig):
            raise ValueError(f"discriminator: cfg must be a DiscriminatorConfig, "
                             f"got {type(cfg).__name__}")
        check_params(params, disc_param_shapes(cfg), "discriminator")  # finite too: once, here
        self.cfg, self.params, self.xp = cfg, params, xp

    @classmethod
    def random(cls, cfg, rng, xp=np, dtype=np.float32, **kwargs):
        return cls(cfg, init_disc_params(cfg, rng, xp, dtype), xp, **kwargs)

    def checked(self, tokens, name="tokens"):
        """``tokens`` (an array or nested lists) as an ``xp`` array, after
        checking dtype, shape (at least one row) and ids."""
        return self.xp.asarray(check_tokens(tokens, self.cfg.vocab_size, self.cfg.seq_len, name))

    def loss_and_grads(self, tokens, labels, rng=None, mask=None):
        """Training loss and gradients on tokens (B, T) with labels (B,) in
        {FAKE, REAL}. Dropout uses a fresh mask from the host ``rng``, or the
        given ``mask`` (B, D)."""
        xp, cfg = self.xp, self.cfg
        tokens = self.checked(tokens)
        labels = as_array(labels, "labels")  # checked where it is: host labels need no device sync
        B = tokens.shape[0]
        if labels.shape != (B,) or not np.issubdtype(labels.dtype, np.integer) \
                or bool(((labels != REAL) & (labels != FAKE)).any()):
            raise ValueError(f"labels: expected ({B},) integers in {{0, 1}}, "
                             f"got shape {tuple(labels.shape)}, dtype {labels.dtype}")
        labels = xp.asarray(labels)
        if mask is None and cfg.dropout_keep < 1.0:
            if rng is None:
                raise ValueError("discriminator: training with dropout needs an rng or a mask")
            mask = dropout_mask((B, cfg.features), cfg.dropout_keep, rng, xp,
                                self.params["W_out"].dtype)  # (B, D)
        loss, cache = disc_loss_forward(self.params, tokens, labels, cfg.filter_sizes,
                                        cfg.l2_reg, mask, xp, self.conv)
        return float(loss), disc_loss_backward(cache)

    def predict_proba(self, tokens):
        """Softmax probabilities (R, C) of tokens (R, T) without dropout, all
        rows in one forward; column REAL is D_phi(Y), the probability that Y
        is real."""
        logits, _ = disc_forward(self.params, self.checked(tokens), self.cfg.filter_sizes,
                                 None, self.xp, self.conv)  # (R, C)
        return softmax(logits, self.xp)

    def p_real(self, tokens):
        """D_phi(Y) (R,) of every row of tokens (R, T): the reward of a whole
        sequence, and the scoring function the rollout takes for Q (eq. 4)."""
        return self.predict_proba(tokens)[:, REAL]
