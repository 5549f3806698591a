"""Fast twin of ``core/lm.py``: ``FastLanguageModel`` overrides the methods
of ``LanguageModel`` that carry the work, with their signatures, and gives
the same numbers up to rounding (the same tokens from the same uniforms).

Shape legend: B batch, T length, V vocab, E embedding, H hidden, R rows.

- the loss: the trunk by ``fast.lstm`` and the 5000-way output layer fused
  with its cross-entropy (``fast.layers.softmax_output_loss_and_grads``);
- steps: x W + b is a row of a (V, 4H) table made once per loop;
- sampling and scoring: rows in independent chunks on threads, each chunk
  through all T steps, its (chunk, V) logits overwritten in place;
- the draw: the same inverse CDF in two levels (blocks of ~sqrt(V) tokens).
"""
import functools
from types import SimpleNamespace

import numpy as np

from ..backend import to_numpy
from ..core.checks import check_positive_int
from ..core.layers import embedding_backward, embedding_forward
from ..core.lm import LanguageModel, first_above, shift_right
from ..core.lstm import lstm_cell
from .layers import (append_ones, exp_shifted_inplace, logsumexp_inplace, row_sums,
                     softmax_output_loss_and_grads, stack_bias)
from .lstm import lstm_backward, lstm_forward
from .threads import blas_single_threaded, for_each_chunk


def _trunk_forward(params, inputs, xp):
    """Embedding and LSTM over the step inputs (B, T): hs (B, T, H) and the cache."""
    x, cache_emb = embedding_forward(inputs, params["embedding"], xp)  # (B, T, E)
    h0 = xp.zeros((inputs.shape[0], params["U"].shape[0]), dtype=x.dtype)  # (B, H)
    hs, cache_lstm = lstm_forward(x, h0, h0, params["W"], params["U"], params["b"], xp)  # (B, T, H)
    return hs, SimpleNamespace(emb=cache_emb, lstm=cache_lstm)


def lm_loss_and_grads(params, tokens, weights, start_token=0, xp=np, inputs=None):
    """Fast twin of ``core.lm.lm_loss_and_grads``: the trunk by the hoisted
    LSTM, and the output layer and its cross-entropy fused, in chunks of
    rows that stay in cache, on threads."""
    inputs = shift_right(tokens, start_token, xp) if inputs is None else inputs
    hs, cache = _trunk_forward(params, inputs, xp)  # (B, T, H)
    loss, dh, dW_out, db_out = softmax_output_loss_and_grads(
        hs.reshape(-1, hs.shape[2]), params["W_out"], params["b_out"],
        tokens.reshape(-1), weights.reshape(-1), xp)
    dx, _, _, dW, dU, db = lstm_backward(dh.reshape(hs.shape), cache.lstm)  # h0 = c0 = 0 are not learnt
    return loss, {"embedding": embedding_backward(dx, cache.emb), "W": dW, "U": dU, "b": db,
                  "W_out": dW_out, "b_out": db_out}


@functools.lru_cache(maxsize=None)
def block_size(V):
    """The divisor of V nearest sqrt(V): the block of the two-level draw.
    A V without such a divisor (a prime) gets blocks of 1 token: the draw
    is still exact, but then one cumulative sum runs over all V."""
    return min((d for d in range(1, V + 1) if V % d == 0), key=lambda d: abs(d - V ** 0.5))


def sample_categorical(logits, u, xp=np):
    """Fast twin of ``core.lm.sample_categorical``: the same token, found in
    two levels so that no cumulative sum runs over all V entries: first a
    block of S ~ sqrt(V) tokens by its mass (``block_size``), then the token
    inside that block by the mass left over. ``logits`` (R, V) are its
    workspace: they are overwritten. u (R,) -> (R,) int; u (k, R) draws k
    tokens from every row -> (k, R)."""
    R, V = logits.shape
    exp_shifted_inplace(logits, xp)  # (R, V) unnormalised probabilities
    S = block_size(V)
    blocks = logits.reshape(R, V // S, S)  # (R, V/S, S)
    block_mass = row_sums(logits.reshape(R * V // S, S), xp).reshape(R, V // S)  # (R, V/S)
    block_cdf = xp.cumsum(block_mass, axis=1)  # (R, V/S)
    threshold = u.astype(logits.dtype) * block_cdf[:, -1]  # (..., R)
    j = first_above(block_cdf, threshold, xp)  # (..., R) chosen block
    rows = xp.arange(R)  # broadcast against u's leading axes
    before = xp.where(j > 0, block_cdf[rows, j - 1], 0)  # (..., R) mass of the blocks before j
    inner_cdf = xp.cumsum(blocks[rows, j], axis=-1)  # (..., R, S)
    return j * S + first_above(inner_cdf, threshold - before, xp)  # >= 0: before <= threshold


class FastLanguageModel(LanguageModel):
    """Twin of ``LanguageModel``. ``chunk_rows`` bounds the rows of logits
    held at once (``chunk_rows`` x V floats) when sampling and scoring."""

    def __init__(self, params, seq_len, start_token=0, xp=np, name="model", chunk_rows=256):
        super().__init__(params, seq_len, start_token, xp, name)
        check_positive_int(chunk_rows, f"{name}: chunk_rows")
        self.chunk_rows = chunk_rows

    def with_params(self, params, name):
        return type(self)(params, self.seq_len, self.start_token, self.xp, name, self.chunk_rows)

    def loss_and_grads(self, tokens, weights, inputs=None):
        with blas_single_threaded(self.xp):  # the same numbers for any thread count
            return lm_loss_and_grads(self.params, tokens, weights, self.start_token, self.xp,
                                     inputs)

    def stepper(self):
        """Twin of ``LanguageModel.step`` for a loop: x W + b is a row of a
        (V, 4H) table made here, once, so a step's input term is a lookup."""
        params, xp = self.params, self.xp
        table = params["embedding"] @ params["W"] + params["b"]  # (V, 4H)

        def step(inputs, h, c):
            h, c, _, _ = lstm_cell(table[inputs] + h @ params["U"], c, xp)
            return h, c

        return step

    def logits(self, h):
        """The bias rides in the product as a row of W_out read by a constant
        1 (no second pass over (R, V))."""
        params = self.params
        return append_ones(h, self.xp) @ stack_bias(params["W_out"], params["b_out"], self.xp)

    def draw(self, h, u):
        """u (k, R) draws k tokens from every row -> (k, R). Callers pass a
        few hundred rows at a time (``chunk_rows``), so that the (R, V)
        logits stay in cache through the exp and the draw."""
        return sample_categorical(self.logits(h), u, self.xp)

    def states(self, tokens):
        """LSTM states after reading each step's input: hs, cs (B, T, H).
        hs[:, t] gives the logits of y_{t+1} (0-based position t)."""
        step = self.stepper()
        inputs = shift_right(tokens, self.start_token, self.xp)  # (B, T)
        h, c = self.zero_state(tokens.shape[0])
        hs, cs = [], []
        for t in range(tokens.shape[1]):
            h, c = step(inputs[:, t], h, c)
            hs.append(h), cs.append(c)
        return self.xp.stack(hs, axis=1), self.xp.stack(cs, axis=1)

    def sample(self, n, rng):
        """The same uniforms, the same tokens: the rows go in independent
        chunks (``for_each_chunk``, on threads), each through all T steps."""
        check_positive_int(n, "n")
        xp, T = self.xp, self.seq_len
        u = xp.asarray(rng.random((T, n)))  # (T, n)
        tokens = xp.empty((n, T), dtype=xp.int64)
        step = self.stepper()

        def chunk(rows):
            y = xp.full(rows.stop - rows.start, self.start_token, dtype=xp.int64)
            h, c = self.zero_state(y.shape[0])
            for t in range(T):
                h, c = step(y, h, c)
                y = tokens[rows, t] = self.draw(h, u[t, rows])

        for_each_chunk(xp, n, self.chunk_rows, chunk)
        return tokens

    def token_log_probs(self, tokens):
        """The rows in independent chunks through all T steps, as in
        ``sample``; the log sum exp overwrites the logits in place."""
        xp = self.xp
        tokens = self.checked(tokens)
        n, T = tokens.shape
        inputs = shift_right(tokens, self.start_token, xp)  # (n, T)
        out = xp.empty((n, T), dtype=xp.float64)
        step = self.stepper()

        def chunk(rows):
            h, c = self.zero_state(rows.stop - rows.start)
            picked_rows = xp.arange(rows.stop - rows.start)
            for t in range(T):
                h, c = step(inputs[rows, t], h, c)
                z = self.logits(h)  # (r, V)
                picked = z[picked_rows, tokens[rows, t]]  # (r,) copies, before z is overwritten
                out[rows, t] = picked - logsumexp_inplace(z, xp)

        for_each_chunk(xp, n, self.chunk_rows, chunk)
        return to_numpy(out)
