"""Fast twin of ``core/discriminator.py``: ``FastDiscriminator`` gives the
numbers of ``Discriminator`` up to rounding, with

- the convolution as one matrix product over the windows (im2col,
  ``fast.layers.conv_maxpool_forward``) in training and scoring;
- scoring in chunks of rows on threads;
- D fixed, as in the rollout: completions scored from per-token tables,

      conv_K(x)_s = sum_k E[y_{s+k}] W_K[k] = sum_k tables[K][k][y_{s+k}],

  the convolution of one-hot tokens' embeddings as sums of table rows, with
  no multiplication, and the windows inside a completion's prefix taken from
  its source sequence, once per source (``p_real_of_completions``).

Shape legend: B batch, T length, V vocab, E embedding, K filter width,
L = T - K + 1 window positions, F filters of one width, C = 2 classes,
R rows of a flat batch (r of them in one chunk).
"""
import numpy as np

from ..backend import to_numpy
from ..core.checks import as_array, check_positive_int
from ..core.discriminator import REAL, Discriminator, disc_forward, disc_head_forward, softmax
from .layers import conv_maxpool_forward
from .threads import for_each_chunk


class FastDiscriminator(Discriminator):
    """Twin of ``Discriminator``; ``chunk_rows`` rows are scored at once."""

    conv = staticmethod(conv_maxpool_forward)  # im2col: the same responses, one product

    def __init__(self, cfg, params, xp=np, chunk_rows=256):
        super().__init__(cfg, params, xp)
        check_positive_int(chunk_rows, "discriminator: chunk_rows")
        self.chunk_rows = chunk_rows

    def predict_proba(self, tokens):
        """Rows in chunks on threads (``for_each_chunk``), which also bounds
        the memory of the windows."""
        xp = self.xp
        tokens = self.checked(tokens)
        out = xp.empty((tokens.shape[0], 2), dtype=self.params["W_out"].dtype)  # (R, C)

        def chunk(rows):
            logits, _ = disc_forward(self.params, tokens[rows], self.cfg.filter_sizes,
                                     None, xp, self.conv)  # (r, C)
            out[rows] = softmax(logits, xp)

        for_each_chunk(xp, tokens.shape[0], self.chunk_rows, chunk)
        return out

    def p_real_of_completions(self, tokens, completions, source, prefix_len):
        """``p_real(completions)`` (R,) of completions (R, T) whose row r keeps
        the first ``prefix_len[r]`` tokens of tokens[source[r]] (tokens
        (B, T)), with less work because D is fixed meanwhile:
        - each convolution sums rows of per-token tables (``conv_tables``);
        - windows inside a row's prefix are those of its source sequence, so
          their running max is taken once per source; a chunk computes only
          the windows that reach past its shortest prefix (the first window
          computed is per chunk, not per row);
        - rows in chunks on threads.
        Rows sorted by prefix length share the most work within a chunk.
        ``source`` and ``prefix_len`` are (R,) host int arrays."""
        xp, cfg, params = self.xp, self.cfg, self.params
        tokens, completions = self.checked(tokens), self.checked(completions, "completions")
        source, prefix_len = check_completions(tokens, completions, source, prefix_len, xp)
        source_xp, T = xp.asarray(source), tokens.shape[1]
        tables = conv_tables(params, cfg.filter_sizes, xp)  # {K: (K, V, F)}
        # best[K][b, s]: max response of source b's windows 0..s
        best = {K: running_max(window_responses(tables[K], tokens), xp)
                for K in cfg.filter_sizes}  # {K: (B, L, F)}
        out = xp.empty(len(source), dtype=params["W_out"].dtype)  # (R,)

        def chunk(rows):
            # a full-length prefix still computes the last window
            shortest = min(int(prefix_len[rows].min()), T - 1)
            pooled = []
            for K in cfg.filter_sizes:
                first = max(0, shortest - K + 1)  # windows before lie in every row's prefix
                m = window_responses(tables[K], completions[rows], first).max(axis=1)  # (r, F)
                if first > 0:
                    m = xp.maximum(m, best[K][source_xp[rows], first - 1])  # (r, F)
                pooled.append(xp.maximum(m + params[f"conv_b_{K}"], 0.0))  # as conv_maxpool_forward
            logits, _ = disc_head_forward(params, pooled, None, xp)  # (r, C)
            out[rows] = softmax(logits, xp)[:, REAL]

        for_each_chunk(xp, len(source), self.chunk_rows, chunk)
        return out


def check_completions(tokens, completions, source, prefix_len, xp=np):
    """Check that completions (R, T) keep their prefixes: ``source`` and
    ``prefix_len`` (R,) integers in [0, B) and [0, T], and row r equal to
    tokens[source[r]] (tokens (B, T)) in its first prefix_len[r] tokens.
    Returns source and prefix_len as host arrays (lists are accepted)."""
    source, prefix_len = to_numpy(as_array(source, "source")), \
        to_numpy(as_array(prefix_len, "prefix_len"))
    R, (B, T) = completions.shape[0], tokens.shape

    def in_range(values, stop):  # (R,) integers in [0, stop); R >= 1 (checked)
        return values.shape == (R,) and np.issubdtype(values.dtype, np.integer) \
            and values.min() >= 0 and values.max() < stop

    if not (in_range(source, B) and in_range(prefix_len, T + 1)):
        raise ValueError(f"completions: source and prefix_len must be ({R},) integers "
                         f"in [0, {B}) and [0, {T}]")
    in_prefix = xp.asarray(np.arange(T) < prefix_len[:, None])  # (R, T)
    if bool((completions != tokens[xp.asarray(source)])[in_prefix].any()):
        raise ValueError("completions: a row differs from its source sequence inside its prefix")
    return source, prefix_len


def conv_tables(params, filter_sizes, xp=np):
    """Per-token tables of every filter bank: tables[K][k] = embedding @ W_K[k],
    (K, V, F) for width K. The convolution of a window of embeddings is then
    a sum of table rows, with no multiplication:
        conv_K(x)_s = sum_k E[y_{s+k}] W_K[k] = sum_k tables[K][k][y_{s+k}]."""
    return {K: params["embedding"] @ params[f"conv_W_{K}"] for K in filter_sizes}  # (V,E)@(K,E,F)


def window_responses(table, tokens, first=0):
    """The responses ``core.layers.conv_responses(embedding[tokens], W)``
    of one width, from its table: embedding[y] @ W[k] = tables[k][y] (the
    one-hot identity), so each window is a sum of table rows with no
    multiplication; only the windows first..L-1 are computed.
    table (K, V, F) (``conv_tables``), tokens (R, T) -> (R, L - first, F)."""
    K = table.shape[0]
    L = tokens.shape[1] - K + 1
    z = table[0][tokens[:, first:L]]  # (R, L - first, F)
    for k in range(1, K):
        z += table[k][tokens[:, first + k:L + k]]
    return z


def running_max(z, xp=np):
    """Running max along axis 1: out[:, s] = max(z[:, :s + 1]). z (R, L, F)."""
    out = z.copy()
    for s in range(1, z.shape[1]):
        xp.maximum(out[:, s - 1], out[:, s], out=out[:, s])
    return out
