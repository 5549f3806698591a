"""The LSTM language model. One class serves as the oracle, as the generator
G_theta and as the rollout policy G_beta: they differ only in parameters.

Shape legend: B batch, T length, V vocab, E embedding, H hidden, R rows.

A sequence y_1..y_T is generated left to right: the input at step 1 is the
start token, at step t > 1 the previous token y_{t-1}; the LSTM state after
reading input t gives logits = h_t W_out + b_out for y_t, so
G_theta(y_t | Y_1..t-1) = softmax(logits_t)[y_t].
"""
import functools
from numbers import Integral
from types import SimpleNamespace

import numpy as np

from .backend import blas_single_threaded, for_each_chunk, to_numpy
from .checks import (as_array, check_finite, check_float_array, check_params,
                     check_positive_int, check_tokens)
from .layers import (affine_backward, affine_forward, append_ones, embedding_backward,
                     embedding_forward, exp_shifted_inplace, logsumexp, logsumexp_inplace, row_sums,
                     softmax_cross_entropy_backward, softmax_cross_entropy_forward,
                     softmax_output_loss_and_grads, stack_bias)
from .lstm import lstm_backward, lstm_cell, lstm_forward, lstm_step_forward


def lm_param_shapes(vocab_size, emb_dim, hidden_dim):
    V, E, H = vocab_size, emb_dim, hidden_dim
    return {"embedding": (V, E), "W": (E, 4 * H), "U": (H, 4 * H), "b": (4 * H,),
            "W_out": (H, V), "b_out": (V,)}


def init_lm_params(rng, vocab_size, emb_dim, hidden_dim, std, xp=np, dtype=np.float32):
    """Every weight and bias N(0, std^2), as the original (std 1 for the
    oracle, 0.1 for the generator), drawn from the host generator ``rng``."""
    shapes = lm_param_shapes(vocab_size, emb_dim, hidden_dim)
    return {k: xp.asarray((std * rng.standard_normal(s)).astype(dtype))
            for k, s in shapes.items()}


def shift_right(tokens, start_token, xp=np):
    """Inputs of each step: the start token, then y_1..y_{T-1}. (B, T) -> (B, T)."""
    start = xp.full((tokens.shape[0], 1), start_token, dtype=tokens.dtype)
    return xp.concatenate([start, tokens[:, :-1]], axis=1)


def _trunk_forward(params, inputs, xp):
    """Embedding and LSTM over the step inputs (B, T): hs (B, T, H) and the cache."""
    x, cache_emb = embedding_forward(inputs, params["embedding"], xp)  # (B, T, E)
    h0 = xp.zeros((inputs.shape[0], params["U"].shape[0]), dtype=x.dtype)  # (B, H)
    hs, cache_lstm = lstm_forward(x, h0, h0, params["W"], params["U"], params["b"], xp)  # (B, T, H)
    return hs, SimpleNamespace(emb=cache_emb, lstm=cache_lstm)


def _trunk_backward(dhs, cache):
    """Backward pass of ``_trunk_forward``.

    Inputs: dhs (B, T, H) upstream gradient; cache from ``_trunk_forward``.
    Returns: the gradients of embedding, W, U and b, as a dict."""
    dx, _, _, dW, dU, db = lstm_backward(dhs, cache.lstm)  # h0 = c0 = 0 are not learnt
    return {"embedding": embedding_backward(dx, cache.emb), "W": dW, "U": dU, "b": db}


def lm_loss_forward(params, tokens, weights, start_token=0, xp=np, inputs=None):
    """loss = -sum_{b,t} weights[b,t] * log G(y_bt | Y_b,1..t-1).

    tokens (B, T) int, weights (B, T). With weights = 1/(B T) this is the MLE
    loss (mean NLL per token); with weights = Q it is the policy-gradient
    loss of equation (8). Layer by layer: the tests check it against autograd.
    The inputs (B, T) of the steps are the start token and y_1..y_T-1
    (teacher forcing) unless given: scheduled sampling gives its own.
    """
    B, T = tokens.shape
    inputs = shift_right(tokens, start_token, xp) if inputs is None else inputs
    hs, cache_trunk = _trunk_forward(params, inputs, xp)  # (B, T, H)
    logits, cache_out = affine_forward(hs, params["W_out"], params["b_out"], xp)  # (B, T, V)
    loss, cache_ce = softmax_cross_entropy_forward(
        logits.reshape(B * T, -1), tokens.reshape(-1), weights.reshape(-1), xp)
    return loss, SimpleNamespace(trunk=cache_trunk, out=cache_out, ce=cache_ce,
                                 logits_shape=logits.shape)


def lm_loss_backward(cache):
    """Backward pass of ``lm_loss_forward``.

    Inputs: cache from ``lm_loss_forward`` (the loss is the output: dloss = 1).
    Returns: the gradient of every parameter, as a dict keyed like params."""
    dlogits = softmax_cross_entropy_backward(1.0, cache.ce).reshape(cache.logits_shape)  # (B, T, V)
    dhs, dW_out, db_out = affine_backward(dlogits, cache.out)  # (B, T, H)
    return {**_trunk_backward(dhs, cache.trunk), "W_out": dW_out, "b_out": db_out}


def lm_loss_and_grads_plain(params, tokens, weights, start_token=0, xp=np, inputs=None):
    """The loss of ``lm_loss_forward`` and its gradients (``lm_loss_backward``)."""
    loss, cache = lm_loss_forward(params, tokens, weights, start_token, xp, inputs)
    return loss, lm_loss_backward(cache)


def lm_loss_and_grads(params, tokens, weights, start_token=0, xp=np, inputs=None):
    """Fast twin of ``lm_loss_and_grads_plain``: the 5000-way output layer
    and its cross-entropy go through ``softmax_output_loss_and_grads``
    (fused, in chunks of rows that stay in cache, on threads)."""
    inputs = shift_right(tokens, start_token, xp) if inputs is None else inputs
    hs, cache_trunk = _trunk_forward(params, inputs, xp)  # (B, T, H)
    loss, dh, dW_out, db_out = softmax_output_loss_and_grads(
        hs.reshape(-1, hs.shape[2]), params["W_out"], params["b_out"],
        tokens.reshape(-1), weights.reshape(-1), xp)
    return loss, {**_trunk_backward(dh.reshape(hs.shape), cache_trunk),
                  "W_out": dW_out, "b_out": db_out}


def first_above(cdf, threshold, xp=np):
    """Inverse CDF: per row, the first index whose cumulative mass exceeds
    the threshold. cdf (..., V) non-decreasing, threshold (...) in [0, total]
    -> (...) int. The threshold is kept below the row total, where float32
    rounding of u * total can put it, so that an index always exists; the
    index found then has cdf > threshold >= the cdf before it, so it never
    has zero probability."""
    below_total = xp.minimum(threshold, xp.nextafter(cdf[..., -1], 0))  # (...)
    return (cdf <= below_total[..., None]).sum(axis=-1)


def sample_categorical_plain(logits, u, xp=np):
    """Draw row r's token from softmax(logits_r) by inverse CDF: the first
    token whose cumulative probability exceeds the uniform u_r.
    logits (R, V), u (R,) in [0, 1) -> (R,) int.

    The softmax is left unnormalised: comparing the cumulative sum with
    u_r times its total is the same test without a division."""
    p = xp.exp(logits - logits.max(axis=1, keepdims=True))  # (R, V) unnormalised
    cdf = xp.cumsum(p, axis=1)  # (R, V)
    return first_above(cdf, u.astype(cdf.dtype) * cdf[:, -1], xp)


@functools.lru_cache(maxsize=None)
def block_size(V):
    """The divisor of V nearest sqrt(V): the block of the two-level draw.
    A V without such a divisor (a prime) gets blocks of 1 token: the draw
    is still exact, but then one cumulative sum runs over all V."""
    return min((d for d in range(1, V + 1) if V % d == 0), key=lambda d: abs(d - V ** 0.5))


def sample_categorical(logits, u, xp=np):
    """Fast twin of ``sample_categorical_plain``: the same token, found in
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


class LanguageModel:
    """An LSTM language model over sequences of ``seq_len`` tokens.

    ``params`` maps the names of ``lm_param_shapes`` to ``xp`` arrays; the
    optimiser updates them in place. ``chunk_rows`` bounds the rows of logits
    held at once (``chunk_rows`` x V floats) when sampling and scoring.
    Where a method takes ``tokens`` (n, T), a list of n rows of ints is
    accepted too; every input is checked where it enters (``checks.py``).
    """

    def __init__(self, params, seq_len, start_token=0, xp=np, chunk_rows=256, name="model"):
        if not isinstance(params, dict):
            raise ValueError(f"{name}: expected a dict of parameters, got {type(params).__name__}")
        try:
            (V, E), H = params["embedding"].shape, params["U"].shape[0]
        except (KeyError, ValueError, AttributeError, IndexError):
            raise ValueError(f"{name}: parameters need a 2-D 'embedding' and a 'U' "
                             f"to infer the sizes; got keys {sorted(map(str, params))}") from None
        if min(V, E, H) < 1:
            raise ValueError(f"{name}: empty parameters: vocabulary {V}, embedding {E}, "
                             f"hidden {H} must each be at least 1")
        check_params(params, lm_param_shapes(V, E, H), name)  # finite too: once, here
        check_positive_int(seq_len, f"{name}: seq_len")
        check_positive_int(chunk_rows, f"{name}: chunk_rows")
        if not (isinstance(start_token, Integral) and 0 <= start_token < V):
            raise ValueError(f"{name}: start token {start_token!r} is out of range [0, {V})")
        self.params, self.seq_len, self.start_token = params, seq_len, start_token
        self.xp, self.chunk_rows, self.name = xp, chunk_rows, name
        self.vocab_size, self.emb_dim, self.hidden_dim = V, E, H

    @classmethod
    def random(cls, rng, vocab_size, emb_dim, hidden_dim, seq_len, std=0.1,
               xp=np, dtype=np.float32, **kwargs):
        return cls(init_lm_params(rng, vocab_size, emb_dim, hidden_dim, std, xp, dtype),
                   seq_len, xp=xp, **kwargs)

    @property
    def dtype(self):
        return self.params["W"].dtype

    def checked(self, tokens, name="tokens"):
        """``tokens`` (an array or nested lists) as an ``xp`` array, after
        checking dtype, shape (at least one row) and ids."""
        return self.xp.asarray(check_tokens(tokens, self.vocab_size, self.seq_len, name))

    # ------------------------------------------------------------ training
    def loss_and_grads(self, tokens, weights, inputs=None):
        """Weighted NLL and its gradients (see lm_loss_forward)."""
        with blas_single_threaded(self.xp):
            return lm_loss_and_grads(self.params, tokens, weights, self.start_token, self.xp,
                                     inputs)

    def mle_loss_and_grads(self, tokens, inputs=None):
        """MLE: mean over batch and time of -log G(y_t | Y_1..t-1); with
        ``inputs`` (B, T), the steps read those instead of the true prefix."""
        tokens = self.checked(tokens)
        inputs = None if inputs is None else self.checked(inputs, "inputs")
        weights = self.xp.full(tokens.shape, 1.0 / tokens.size, dtype=self.dtype)  # (B, T)
        return self.loss_and_grads(tokens, weights, inputs)

    def pg_loss_and_grads(self, tokens, rewards):
        """REINFORCE, as the original code: -SUM over batch and time of
        log G(y_t | Y_1..t-1) * Q(Y_1..t-1, y_t). rewards Q (B, T), finite."""
        tokens = self.checked(tokens)
        rewards = as_array(rewards, "rewards")
        check_float_array(rewards, tokens.shape, "rewards")
        check_finite(rewards, "rewards")  # a NaN here would reach every parameter in one step
        return self.loss_and_grads(tokens, self.xp.asarray(rewards, dtype=self.dtype))

    # ------------------------------------------------- step-by-step running
    def zero_state(self, n):
        z = self.xp.zeros((n, self.hidden_dim), dtype=self.dtype)
        return z, z

    def step_plain(self, inputs, h, c):
        """Read one input token per row: inputs (R,), h, c (R, H) -> h, c."""
        params = self.params
        x = params["embedding"][inputs]  # (R, E)
        h, c, _ = lstm_step_forward(x, h, c, params["W"], params["U"], params["b"], self.xp)
        return h, c

    def input_table(self):
        """x W + b for every token at once: (V, 4H), for ``step``."""
        params = self.params
        return params["embedding"] @ params["W"] + params["b"]

    def step(self, table, inputs, h, c):
        """Fast twin of ``step_plain``: x W + b is a row of ``input_table()``
        (made once per call of the caller), so a step's input term is a
        lookup instead of a matrix product."""
        h, c, _, _ = lstm_cell(table[inputs] + h @ self.params["U"], c, self.xp)
        return h, c

    def states(self, tokens):
        """LSTM states after reading each step's input: hs, cs (B, T, H).
        hs[:, t] gives the logits of y_{t+1} (0-based position t)."""
        table = self.input_table()
        inputs = shift_right(tokens, self.start_token, self.xp)  # (B, T)
        h, c = self.zero_state(tokens.shape[0])
        hs, cs = [], []
        for t in range(tokens.shape[1]):
            h, c = self.step(table, inputs[:, t], h, c)
            hs.append(h), cs.append(c)
        return self.xp.stack(hs, axis=1), self.xp.stack(cs, axis=1)

    def logits_plain(self, h):
        """h (R, H) -> logits (R, V) of the next token."""
        return h @ self.params["W_out"] + self.params["b_out"]

    def logits(self, h):
        """Fast twin of ``logits_plain``: the bias rides in the product as a
        row of W_out read by a constant 1 (no second pass over (R, V))."""
        params = self.params
        return append_ones(h, self.xp) @ stack_bias(params["W_out"], params["b_out"], self.xp)

    def draw_plain(self, h, u):
        """The next token of every row from softmax(h W_out + b_out), by
        inverse CDF: h (R, H), uniforms u (R,) in [0, 1) -> (R,) int."""
        return sample_categorical_plain(self.logits_plain(h), u, self.xp)

    def draw(self, h, u):
        """Fast twin of ``draw_plain`` (``logits``, ``sample_categorical``);
        u (k, R) draws k tokens from every row -> (k, R). Callers pass a few
        hundred rows at a time (``chunk_rows``), so that the (R, V) logits
        stay in cache through the exp and the draw."""
        return sample_categorical(self.logits(h), u, self.xp)

    # -------------------------------------------------------------- public
    def sample_plain(self, n, rng):
        """n sequences from the model, one step at a time for all rows:
        (n, T) int. One uniform per token from the host ``rng``: u[t, r]
        draws token t of row r."""
        check_positive_int(n, "n")
        xp = self.xp
        u = xp.asarray(rng.random((self.seq_len, n)))  # (T, n)
        y = xp.full(n, self.start_token, dtype=xp.int64)  # the first input
        h, c = self.zero_state(n)
        tokens = []
        for t in range(self.seq_len):
            h, c = self.step_plain(y, h, c)
            y = self.draw_plain(h, u[t])  # (n,) y_t, the next step's input
            tokens.append(y)
        return xp.stack(tokens, axis=1)

    def sample(self, n, rng):
        """Fast twin of ``sample_plain`` (the same uniforms, the same tokens):
        the rows go in independent chunks (``for_each_chunk``, on threads),
        each chunk through all T steps, with ``step`` and ``draw``."""
        check_positive_int(n, "n")
        xp, T = self.xp, self.seq_len
        u = xp.asarray(rng.random((T, n)))  # (T, n)
        tokens = xp.empty((n, T), dtype=xp.int64)
        table = self.input_table()

        def chunk(rows):
            y = xp.full(rows.stop - rows.start, self.start_token, dtype=xp.int64)
            h, c = self.zero_state(y.shape[0])
            for t in range(T):
                h, c = self.step(table, y, h, c)
                y = tokens[rows, t] = self.draw(h, u[t, rows])

        for_each_chunk(xp, n, self.chunk_rows, chunk)
        return tokens

    def token_log_probs_plain(self, tokens):
        """log G(y_t | Y_1..t-1) for every row and step: (n, T) float64 on the host."""
        xp = self.xp
        tokens = self.checked(tokens)
        inputs = shift_right(tokens, self.start_token, xp)  # (n, T)
        h, c = self.zero_state(tokens.shape[0])
        rows = xp.arange(tokens.shape[0])
        out = []
        for t in range(tokens.shape[1]):
            h, c = self.step_plain(inputs[:, t], h, c)
            z = self.logits_plain(h)  # (n, V)
            out.append(z[rows, tokens[:, t]] - logsumexp(z, xp))  # log softmax of y_t
        return to_numpy(xp.stack(out, axis=1)).astype(np.float64)

    def token_log_probs(self, tokens):
        """Fast twin of ``token_log_probs_plain``: the rows go in independent
        chunks through all T steps, as in ``sample``; the log sum exp
        overwrites the logits in place (``logsumexp_inplace``)."""
        xp = self.xp
        tokens = self.checked(tokens)
        n, T = tokens.shape
        inputs = shift_right(tokens, self.start_token, xp)  # (n, T)
        out = xp.empty((n, T), dtype=xp.float64)
        table = self.input_table()

        def chunk(rows):
            h, c = self.zero_state(rows.stop - rows.start)
            picked_rows = xp.arange(rows.stop - rows.start)
            for t in range(T):
                h, c = self.step(table, inputs[rows, t], h, c)
                z = self.logits(h)  # (r, V)
                picked = z[picked_rows, tokens[rows, t]]  # (r,) copies, before z is overwritten
                out[rows, t] = picked - logsumexp_inplace(z, xp)

        for_each_chunk(xp, n, self.chunk_rows, chunk)
        return to_numpy(out)

    def log_prob(self, tokens):
        """log G(Y) = sum_t log G(y_t | Y_1..t-1) for each row: (n,) float64 on the host."""
        return self.token_log_probs(tokens).sum(axis=1)
