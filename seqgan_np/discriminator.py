"""D_phi: the CNN text classifier of the original SeqGAN code.

Shape legend: B batch, T length, V vocab, E embedding, K filter width,
F filters of one width, D = sum of F over widths (1720 in the paper), C = 2.

    x   = embedding[tokens]                              (B, T, E)
    p_K = relu(max_t conv_K(x) + b_K)  for every width K (B, F_K)
    f   = highway([p_1, ..., p_20])                      (B, D)
    f   = dropout(f, keep 0.75) in training              (B, D)
    logits = f W_out + b_out                             (B, 2)
    loss = mean cross-entropy + l2 * (|W_out|^2 + |b_out|^2) / 2

Class 1 is "real": the reward of a sequence is D's softmax probability of
class 1, as in the original.
"""
from dataclasses import dataclass

import numpy as np

from .backend import for_each_chunk
from .checks import check_params, check_tokens
from .layers import (affine_backward, affine_forward, conv_maxpool_backward,
                     conv_maxpool_forward, dropout_backward, dropout_forward,
                     dropout_mask, embedding_backward, embedding_forward,
                     highway_backward, highway_forward, logsumexp,
                     softmax_cross_entropy_backward, softmax_cross_entropy_forward)

REAL, FAKE = 1, 0


@dataclass(frozen=True)
class DiscriminatorConfig:
    vocab_size: int = 5000
    seq_len: int = 20
    emb_dim: int = 64
    filter_sizes: tuple = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20)
    num_filters: tuple = (100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160)
    dropout_keep: float = 0.75
    l2_reg: float = 0.2

    def __post_init__(self):
        if len(self.filter_sizes) != len(self.num_filters):
            raise ValueError("discriminator: filter_sizes and num_filters differ in length")
        if max(self.filter_sizes) > self.seq_len:
            raise ValueError(f"discriminator: filter width {max(self.filter_sizes)} "
                             f"exceeds the sequence length {self.seq_len}")
        if not 0.0 < self.dropout_keep <= 1.0:
            raise ValueError(f"discriminator: dropout_keep must be in (0, 1], got {self.dropout_keep}")

    @property
    def features(self):
        return sum(self.num_filters)


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
    x = rng.standard_normal(shape)
    bad = np.abs(x) > 2.0
    while bad.any():
        x[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(x) > 2.0
    return std * x


def init_disc_params(cfg, rng, xp=np, dtype=np.float32):
    """The original's initialisers: embedding U(-1, 1); convolutions and the
    output layer truncated N(0, 0.1^2) with bias 0.1; highway Glorot-uniform
    with bias 0 (TensorFlow's defaults there)."""
    D = cfg.features
    p = {"embedding": rng.uniform(-1.0, 1.0, (cfg.vocab_size, cfg.emb_dim))}
    for K, F in zip(cfg.filter_sizes, cfg.num_filters):
        p[f"conv_W_{K}"] = _truncated_normal(rng, (K, cfg.emb_dim, F), 0.1)
        p[f"conv_b_{K}"] = np.full(F, 0.1)
    limit = np.sqrt(6.0 / (D + D))
    p["highway_W"] = rng.uniform(-limit, limit, (D, 2 * D))
    p["highway_b"] = np.zeros(2 * D)
    p["W_out"] = _truncated_normal(rng, (D, 2), 0.1)
    p["b_out"] = np.full(2, 0.1)
    return {k: xp.asarray(v.astype(dtype)) for k, v in p.items()}


def disc_forward(params, tokens, filter_sizes, mask=None, xp=np):
    """logits (B, 2) of tokens (B, T); ``mask`` is a dropout mask (B, D), or
    None for evaluation."""
    x, c_emb = embedding_forward(tokens, params["embedding"], xp)  # (B, T, E)
    pooled, c_convs = [], []
    for K in filter_sizes:
        p, c = conv_maxpool_forward(x, params[f"conv_W_{K}"], params[f"conv_b_{K}"], xp)  # (B, F_K)
        pooled.append(p), c_convs.append(c)
    logits, c_head = disc_head_forward(params, pooled, mask, xp)  # (B, 2)
    return logits, (c_emb, c_convs) + c_head


def disc_head_forward(params, pooled, mask=None, xp=np):
    """From the pooled features of every width [(B, F_K)] to the logits (B, 2)."""
    f, c_hw = highway_forward(xp.concatenate(pooled, axis=1),
                              params["highway_W"], params["highway_b"], xp)  # (B, D)
    if mask is not None:
        f, mask = dropout_forward(f, mask)
    logits, c_out = affine_forward(f, params["W_out"], params["b_out"], xp)  # (B, 2)
    return logits, (c_hw, mask, c_out)


def disc_loss_forward(params, tokens, labels, filter_sizes, l2_reg, mask=None, xp=np):
    """Mean cross-entropy of labels (B,) (1 = real) + l2 * (|W_out|^2 + |b_out|^2) / 2."""
    logits, c_fwd = disc_forward(params, tokens, filter_sizes, mask, xp)
    B = tokens.shape[0]
    ce, c_ce = softmax_cross_entropy_forward(
        logits, labels, xp.full(B, 1.0 / B, dtype=logits.dtype), xp)
    l2 = 0.5 * l2_reg * (xp.sum(params["W_out"] ** 2) + xp.sum(params["b_out"] ** 2))
    return ce + l2, (c_fwd, c_ce, l2_reg, params["W_out"], params["b_out"], filter_sizes)


def disc_loss_backward(cache):
    (c_emb, c_convs, c_hw, mask, c_out), c_ce, l2_reg, W_out, b_out, filter_sizes = cache
    grads = {}
    df, dW_out, db_out = affine_backward(softmax_cross_entropy_backward(1.0, c_ce), c_out)
    grads["W_out"] = dW_out + l2_reg * W_out
    grads["b_out"] = db_out + l2_reg * b_out
    if mask is not None:
        df = dropout_backward(df, mask)
    dpooled, grads["highway_W"], grads["highway_b"] = highway_backward(df, c_hw)  # (B, D)
    dx, start = 0.0, 0
    for K, c in zip(filter_sizes, c_convs):
        F = c[1].shape[2]
        dxK, grads[f"conv_W_{K}"], grads[f"conv_b_{K}"] = conv_maxpool_backward(
            dpooled[:, start:start + F], c)
        dx, start = dx + dxK, start + F  # every width reads the same embeddings
    grads["embedding"] = embedding_backward(dx, c_emb)
    return grads


class Discriminator:
    """D_phi with its parameters (``xp`` arrays, updated in place by Adam)."""

    def __init__(self, cfg, params, xp=np, chunk_rows=256):
        check_params(params, disc_param_shapes(cfg), "discriminator")
        self.cfg, self.params, self.xp, self.chunk_rows = cfg, params, xp, chunk_rows

    @classmethod
    def random(cls, cfg, rng, xp=np, dtype=np.float32, **kwargs):
        return cls(cfg, init_disc_params(cfg, rng, xp, dtype), xp, **kwargs)

    def checked(self, tokens):
        """``tokens`` as an ``xp`` array, after checking dtype, shape and ids."""
        check_tokens(tokens, self.cfg.vocab_size, self.cfg.seq_len)
        return self.xp.asarray(tokens)

    def loss_and_grads(self, x, labels, rng=None, mask=None):
        """Training loss and gradients on x (B, T) with labels (B,) in {0, 1}.
        Dropout uses a fresh mask from the host ``rng``, or the given ``mask``."""
        xp, cfg = self.xp, self.cfg
        x = self.checked(x)
        labels = xp.asarray(labels)
        if labels.shape != (x.shape[0],) or not np.issubdtype(labels.dtype, np.integer) \
                or bool(((labels != REAL) & (labels != FAKE)).any()):
            raise ValueError(f"labels: expected ({x.shape[0]},) integers in {{0, 1}}, "
                             f"got shape {tuple(labels.shape)}, dtype {labels.dtype}")
        if mask is None and cfg.dropout_keep < 1.0:
            if rng is None:
                raise ValueError("discriminator: training with dropout needs an rng or a mask")
            mask = dropout_mask((x.shape[0], cfg.features), cfg.dropout_keep, rng, xp,
                                self.params["W_out"].dtype)
        loss, cache = disc_loss_forward(self.params, x, labels, cfg.filter_sizes,
                                        cfg.l2_reg, mask, xp)
        return float(loss), disc_loss_backward(cache)

    def predict_proba(self, x):
        """Softmax probabilities (n, 2) without dropout; column 1 is D(real)."""
        xp = self.xp
        x = self.checked(x)
        out = xp.empty((x.shape[0], 2), dtype=self.params["W_out"].dtype)

        def chunk(rows):
            logits, _ = disc_forward(self.params, x[rows], self.cfg.filter_sizes, None, xp)  # (r, 2)
            out[rows] = softmax(logits, xp)

        for_each_chunk(xp, x.shape[0], self.chunk_rows, chunk)
        return out

    def predict_real_of_completions(self, tokens, completions, source, prefix_len):
        """D(real) (R,) of completions (R, T) where row r keeps the first
        ``prefix_len[r]`` tokens of tokens[source[r]] (tokens (B, T)): the
        numbers of ``predict_proba(completions)[:, REAL]``, with less work,
        because D is fixed meanwhile (the rollout):
        - each convolution sums rows of per-token tables (``conv_tables``);
        - windows inside a row's prefix are those of its source sequence, so
          their max is taken once per source; a row computes only the
          windows that reach past its prefix.
        ``source`` and ``prefix_len`` are (R,) host int arrays; rows sorted by
        prefix length share the most work within a chunk."""
        xp, cfg, params = self.xp, self.cfg, self.params
        tokens, completions = self.checked(tokens), self.checked(completions)
        source, prefix_len = np.asarray(source), np.asarray(prefix_len)
        R, (B, T) = completions.shape[0], tokens.shape

        def in_range(a, stop):  # (R,) integers in [0, stop)
            return a.shape == (R,) and np.issubdtype(a.dtype, np.integer) \
                and (R == 0 or (a.min() >= 0 and a.max() < stop))

        if not (in_range(source, B) and in_range(prefix_len, T + 1)):
            raise ValueError(f"completions: source and prefix_len must be ({R},) integers in [0, {B}) "
                             f"and [0, {T}]")
        source_xp, in_prefix = xp.asarray(source), xp.asarray(np.arange(T) < prefix_len[:, None])
        if bool((completions != tokens[source_xp])[in_prefix].any()):
            raise ValueError("completions: a row differs from its source sequence inside its prefix")
        tables = conv_tables(params, cfg.filter_sizes, xp)
        # best[K][b, s]: max response of source b's windows 0..s, (B, L_K, F_K)
        best = {K: running_max(window_responses(tables[K], tokens, 0), xp) for K in cfg.filter_sizes}
        out = xp.empty(R, dtype=params["W_out"].dtype)

        def chunk(rows):
            pooled = []
            for K in cfg.filter_sizes:
                first = max(0, int(prefix_len[rows].min()) - K + 1)  # windows before lie in every prefix
                m = window_responses(tables[K], completions[rows], first).max(axis=1)  # (r, F)
                if first > 0:
                    m = xp.maximum(m, best[K][source_xp[rows], first - 1])
                pooled.append(xp.maximum(m + params[f"conv_b_{K}"], 0.0))  # as conv_maxpool_forward
            logits, _ = disc_head_forward(params, pooled, None, xp)  # (r, 2)
            out[rows] = softmax(logits, xp)[:, REAL]

        for_each_chunk(xp, R, self.chunk_rows, chunk)
        return out


def softmax(logits, xp=np):
    """Row-wise softmax of logits (n, C)."""
    return xp.exp(logits - logsumexp(logits, xp)[:, None])


# ----------------------------------------- D fixed: scoring by table lookup

def conv_tables(params, filter_sizes, xp=np):
    """Per-token tables of every filter bank: tables[K][k] = embedding @ W_K[k],
    (K, V, F) for width K. The convolution of a window of embeddings is then
    a sum of table rows, with no multiplication:
        conv_K(x)_s = sum_k E[y_{s+k}] W_K[k] = sum_k tables[K][k][y_{s+k}]."""
    return {K: params["embedding"] @ params[f"conv_W_{K}"] for K in filter_sizes}  # (V,E)@(K,E,F)


def window_responses(table, tokens, first=0):
    """conv_K responses of the windows starting at first..L-1, from the
    tables: table (K, V, F), tokens (n, T) -> (n, L - first, F)."""
    K = table.shape[0]
    L = tokens.shape[1] - K + 1
    z = table[0][tokens[:, first:L]]
    for k in range(1, K):
        z += table[k][tokens[:, first + k:L + k]]
    return z


def running_max(z, xp=np):
    """Running max along axis 1: out[:, s] = max(z[:, :s + 1]). z (n, L, F)."""
    out = z.copy()
    for s in range(1, z.shape[1]):
        xp.maximum(out[:, s - 1], out[:, s], out=out[:, s])
    return out
