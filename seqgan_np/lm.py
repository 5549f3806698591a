"""The LSTM language model. One class serves as the oracle, as the generator
G_theta and as the rollout policy G_beta: they differ only in parameters.

Shape legend: B batch, T length, V vocab, E embedding, H hidden, N rows.

A sequence y_1..y_T is generated left to right: the input at step 1 is the
start token, at step t > 1 the previous token y_{t-1}; the LSTM state after
reading input t gives logits = h_t W_out + b_out for y_t, so
G_theta(y_t | Y_1..t-1) = softmax(logits_t)[y_t].
"""
import functools

import numpy as np

from .backend import blas_single_threaded, for_each_chunk, to_numpy
from .checks import check_float_array, check_params, check_tokens
from .layers import (affine_backward, affine_forward, append_ones, embedding_backward,
                     embedding_forward, exp_normalise_inplace, exp_shifted_inplace, row_sums,
                     softmax_cross_entropy_backward, softmax_cross_entropy_forward,
                     softmax_output_loss_and_grads, stack_bias)
from .lstm import lstm_backward, lstm_cell, lstm_forward


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


def _trunk_forward(params, tokens, start_token, xp):
    """Embedding and LSTM over the step inputs: hs (B, T, H) and the caches."""
    x, c_emb = embedding_forward(shift_right(tokens, start_token, xp),
                                 params["embedding"], xp)  # (B, T, E)
    h0 = xp.zeros((tokens.shape[0], params["U"].shape[0]), dtype=x.dtype)  # (B, H)
    hs, c_lstm = lstm_forward(x, h0, h0, params["W"], params["U"], params["b"], xp)  # (B, T, H)
    return hs, (c_emb, c_lstm)


def _trunk_backward(dhs, cache):
    """Gradients of the embedding and LSTM parameters given dhs (B, T, H)."""
    c_emb, c_lstm = cache
    dx, _, _, dW, dU, db = lstm_backward(dhs, c_lstm)  # h0 = c0 = 0 are not learnt
    return {"embedding": embedding_backward(dx, c_emb), "W": dW, "U": dU, "b": db}


def lm_loss_forward(params, tokens, weights, start_token=0, xp=np):
    """loss = -sum_{b,t} weights[b,t] * log G(y_bt | Y_b,1..t-1).

    tokens (B, T) int, weights (B, T). With weights = 1/(B T) this is the MLE
    loss (mean NLL per token); with weights = Q it is the policy-gradient loss.
    The plain, layer-by-layer version: the tests check it against autograd.
    """
    B, T = tokens.shape
    hs, c_trunk = _trunk_forward(params, tokens, start_token, xp)  # (B, T, H)
    logits, c_out = affine_forward(hs, params["W_out"], params["b_out"], xp)  # (B, T, V)
    loss, c_ce = softmax_cross_entropy_forward(
        logits.reshape(B * T, -1), tokens.reshape(-1), weights.reshape(-1), xp)
    return loss, (c_trunk, c_out, c_ce, logits.shape)


def lm_loss_backward(cache):
    """Gradients of lm_loss_forward's loss with respect to every parameter."""
    c_trunk, c_out, c_ce, logits_shape = cache
    dlogits = softmax_cross_entropy_backward(1.0, c_ce).reshape(logits_shape)  # (B, T, V)
    dhs, dW_out, db_out = affine_backward(dlogits, c_out)  # (B, T, H)
    return {**_trunk_backward(dhs, c_trunk), "W_out": dW_out, "b_out": db_out}


def lm_loss_and_grads(params, tokens, weights, start_token=0, xp=np):
    """The same loss and gradients as lm_loss_forward + lm_loss_backward,
    with the 5000-way output layer done by the fused, chunked fast path."""
    hs, c_trunk = _trunk_forward(params, tokens, start_token, xp)  # (B, T, H)
    loss, dh, dW_out, db_out = softmax_output_loss_and_grads(
        hs.reshape(-1, hs.shape[2]), params["W_out"], params["b_out"],
        tokens.reshape(-1), weights.reshape(-1), xp)
    return loss, {**_trunk_backward(dh.reshape(hs.shape), c_trunk), "W_out": dW_out, "b_out": db_out}


def first_above(cdf, threshold, xp=np):
    """Inverse CDF: per row, the first index whose cumulative mass exceeds
    the threshold. cdf (..., V) non-decreasing, threshold (...) in [0, total]
    -> (...) int. The threshold is kept below the row total, where float32
    rounding of u * total can put it, so that an index always exists; the
    index found then has cdf > threshold >= the cdf before it, so it never
    has zero probability."""
    below_total = xp.minimum(threshold, xp.nextafter(cdf[..., -1], 0))  # (...)
    return (cdf <= below_total[..., None]).sum(axis=-1)


def sample_categorical(logits, u, xp=np):
    """Draw row n's token from softmax(logits_n) by inverse CDF, given
    uniforms u (N,) in [0, 1). logits (N, V) -> (N,) int. The plain version:
    ``sample_from_unnormalised`` is the fast one the models use."""
    p = xp.exp(logits - logits.max(axis=1, keepdims=True))  # (N, V) unnormalised
    cdf = xp.cumsum(p, axis=1)  # (N, V)
    return first_above(cdf, u.astype(cdf.dtype) * cdf[:, -1], xp)


@functools.lru_cache(maxsize=None)
def block_size(V):
    """The divisor of V nearest sqrt(V): the block of the two-level draw."""
    return min((d for d in range(1, V + 1) if V % d == 0), key=lambda d: abs(d - V ** 0.5))


def sample_from_unnormalised(p, u, xp=np):
    """The same draw as ``sample_categorical``, from unnormalised
    probabilities p (N, V), in two levels so that no cumulative sum runs over
    all V entries: first choose a block of ~sqrt(V) tokens by its mass, then
    a token inside that block by the mass left over. p (N, V), u (N,) ->
    (N,) int; u (k, N) draws k tokens from every row -> (k, N)."""
    N, V = p.shape
    S = block_size(V)
    blocks = p.reshape(N, V // S, S)  # (N, V/S, S)
    block_mass = row_sums(p.reshape(N * V // S, S), xp).reshape(N, V // S)  # (N, V/S)
    block_cdf = xp.cumsum(block_mass, axis=1)  # (N, V/S)
    threshold = u.astype(p.dtype) * block_cdf[:, -1]  # (..., N)
    j = first_above(block_cdf, threshold, xp)  # (..., N) chosen block
    rows = xp.arange(N)  # broadcast against u's leading axes
    before = xp.where(j > 0, block_cdf[rows, j - 1], 0)  # (..., N) mass of the blocks before j
    inner_cdf = xp.cumsum(blocks[rows, j], axis=-1)  # (..., N, S)
    return j * S + first_above(inner_cdf, threshold - before, xp)  # >= 0: before <= threshold


class LanguageModel:
    """An LSTM language model over sequences of ``seq_len`` tokens.

    ``params`` maps the names of ``lm_param_shapes`` to ``xp`` arrays; the
    optimiser updates them in place. ``chunk_rows`` bounds the rows of logits
    held at once (``chunk_rows`` x V floats) when sampling and scoring.
    """

    def __init__(self, params, seq_len, start_token=0, xp=np, chunk_rows=256, name="model"):
        try:
            (V, E), H = params["embedding"].shape, params["U"].shape[0]
        except (KeyError, ValueError, AttributeError, IndexError):
            raise ValueError(f"{name}: parameters need a 2-D 'embedding' and a 'U' "
                             f"to infer the sizes; got keys {sorted(params)}") from None
        check_params(params, lm_param_shapes(V, E, H), name)
        if not 0 <= start_token < V:
            raise ValueError(f"{name}: start token {start_token} is out of range [0, {V})")
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

    def checked(self, tokens):
        """``tokens`` as an ``xp`` array, after checking dtype, shape and ids."""
        check_tokens(tokens, self.vocab_size, self.seq_len)
        return self.xp.asarray(tokens)

    # ------------------------------------------------------------ training
    def loss_and_grads(self, tokens, weights):
        """Weighted NLL and its gradients (see lm_loss_forward)."""
        with blas_single_threaded(self.xp):
            return lm_loss_and_grads(self.params, tokens, weights, self.start_token, self.xp)

    def mle_loss_and_grads(self, tokens):
        """MLE: mean over batch and time of -log G(y_t | Y_1..t-1)."""
        tokens = self.checked(tokens)
        weights = self.xp.full(tokens.shape, 1.0 / tokens.size, dtype=self.dtype)  # (B, T)
        return self.loss_and_grads(tokens, weights)

    def pg_loss_and_grads(self, tokens, rewards):
        """REINFORCE, as the original code: -SUM over batch and time of
        log G(y_t | Y_1..t-1) * Q(Y_1..t-1, y_t). rewards Q (B, T)."""
        tokens = self.checked(tokens)
        check_float_array(rewards, tokens.shape, "rewards")
        return self.loss_and_grads(tokens, self.xp.asarray(rewards, dtype=self.dtype))

    # ------------------------------------------------- step-by-step running
    def input_table(self):
        """x W + b for every token at once: (V, 4H). A step's input term is
        then a row lookup instead of a matrix product."""
        p = self.params
        return p["embedding"] @ p["W"] + p["b"]

    def step(self, table, inputs, h, c):
        """Read one input token per row: inputs (N,), h, c (N, H) -> h, c."""
        h, c, _, _ = lstm_cell(table[inputs] + h @ self.params["U"], c, self.xp)
        return h, c

    def zero_state(self, n):
        z = self.xp.zeros((n, self.hidden_dim), dtype=self.dtype)
        return z, z

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

    def logits(self, h):
        """h (N, H) -> logits (N, V) of the next token."""
        p = self.params  # the bias rides in the product: no second pass over (N, V)
        return append_ones(h, self.xp) @ stack_bias(p["W_out"], p["b_out"], self.xp)

    def draw(self, h, u):
        """Sample the next token of every row from softmax(h W_out + b_out)
        by inverse CDF: h (n, H), uniforms u (n,) in [0, 1) -> (n,) int, or
        u (k, n) for k tokens from every row -> (k, n).
        Callers pass a few hundred rows at a time (``chunk_rows``), so that
        the (n, V) logits stay in cache through the exp and the draw."""
        p = self.logits(h)  # (n, V)
        exp_shifted_inplace(p, self.xp)  # now unnormalised probabilities
        return sample_from_unnormalised(p, u, self.xp)

    # -------------------------------------------------------------- public
    def sample(self, n, rng):
        """n sequences from the model: (n, T) int on the model's backend.
        One uniform per token from the host ``rng``, drawn up front, so that
        the rows can go in independent chunks (see ``for_each_chunk``), each
        chunk through all T steps."""
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

    def token_log_probs(self, tokens):
        """log G(y_t | Y_1..t-1) for every row and step: (n, T) float64 on the host.
        Rows go in independent chunks through all T steps, as in ``sample``."""
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
                out[rows, t] = picked - exp_normalise_inplace(z, xp)

        for_each_chunk(xp, n, self.chunk_rows, chunk)
        return to_numpy(out)

    def log_prob(self, tokens):
        """log G(Y) = sum_t log G(y_t | Y_1..t-1) for each row: (n,) float64 on the host."""
        return self.token_log_probs(tokens).sum(axis=1)
