"""The LSTM language model. One class serves as the oracle, as the generator
G_theta and as the rollout policy G_beta: they differ only in parameters.

Shape legend: B batch, T length, V vocab, E embedding, H hidden, R rows.

A sequence y_1..y_T is generated left to right: the input at step 1 is the
start token, at step t > 1 the previous token y_{t-1}; the LSTM state after
reading input t gives logits = h_t W_out + b_out for y_t, so

    G_theta(y_t | Y_1..t-1) = softmax(logits_t)[y_t]

The paper's losses of G_theta are both one weighted sum over tokens:
MLE, the mean of -log G_theta(y_t | Y_1..t-1) over batch and time, and the
policy gradient of eqs. (6)-(8), -sum_t Q(Y_1..t-1, y_t) log G_theta(y_t |
Y_1..t-1) summed over the batch, as the original code. Everything here runs
step by step, as written; ``fast/lm.py`` holds the twin that runs.
"""
from numbers import Integral
from types import SimpleNamespace

import numpy as np

from ..backend import to_numpy
from .checks import (as_array, check_finite, check_float_array, check_params,
                     check_positive_int, check_tokens)
from .layers import (affine_backward, affine_forward, embedding_backward, embedding_forward,
                     logsumexp, softmax_cross_entropy_backward, softmax_cross_entropy_forward)
from .lstm import lstm_backward, lstm_forward, lstm_step_forward


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


def lm_loss_forward(params, tokens, weights, start_token=0, xp=np, inputs=None):
    """loss = -sum_{b,t} weights[b,t] * log G(y_bt | Y_b,1..t-1).

    tokens (B, T) int, weights (B, T). With weights = 1/(B T) this is the MLE
    loss (mean NLL per token); with weights = Q it is the policy-gradient
    loss whose gradient is eq. (8). Layer by layer, step by step: the tests
    check it against autograd. The inputs (B, T) of the steps are the start
    token and y_1..y_T-1 (teacher forcing) unless given: scheduled sampling
    gives its own.
    """
    B, T = tokens.shape
    inputs = shift_right(tokens, start_token, xp) if inputs is None else inputs
    x, cache_emb = embedding_forward(inputs, params["embedding"], xp)  # (B, T, E)
    h0 = xp.zeros((B, params["U"].shape[0]), dtype=x.dtype)  # (B, H)
    hs, cache_lstm = lstm_forward(x, h0, h0, params["W"], params["U"], params["b"], xp)  # (B, T, H)
    logits, cache_out = affine_forward(hs, params["W_out"], params["b_out"], xp)  # (B, T, V)
    loss, cache_ce = softmax_cross_entropy_forward(
        logits.reshape(B * T, -1), tokens.reshape(-1), weights.reshape(-1), xp)
    return loss, SimpleNamespace(emb=cache_emb, lstm=cache_lstm, out=cache_out, ce=cache_ce,
                                 logits_shape=logits.shape)


def lm_loss_backward(cache):
    """Backward pass of ``lm_loss_forward``.

    Inputs: cache from ``lm_loss_forward`` (the loss is the output: dloss = 1).
    Returns: the gradient of every parameter, as a dict keyed like params."""
    dlogits = softmax_cross_entropy_backward(1.0, cache.ce).reshape(cache.logits_shape)  # (B, T, V)
    dhs, dW_out, db_out = affine_backward(dlogits, cache.out)  # (B, T, H)
    dx, _, _, dW, dU, db = lstm_backward(dhs, cache.lstm)  # h0 = c0 = 0 are not learnt
    return {"embedding": embedding_backward(dx, cache.emb), "W": dW, "U": dU, "b": db,
            "W_out": dW_out, "b_out": db_out}


def lm_loss_and_grads(params, tokens, weights, start_token=0, xp=np, inputs=None):
    """The loss of ``lm_loss_forward`` and its gradients (``lm_loss_backward``)."""
    loss, cache = lm_loss_forward(params, tokens, weights, start_token, xp, inputs)
    return loss, lm_loss_backward(cache)


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
    """Draw row r's token from softmax(logits_r) by inverse CDF: the first
    token whose cumulative probability exceeds the uniform u_r.
    logits (R, V), u (R,) in [0, 1) -> (R,) int.

    The softmax is left unnormalised: comparing the cumulative sum with
    u_r times its total is the same test without a division."""
    p = xp.exp(logits - logits.max(axis=1, keepdims=True))  # (R, V) unnormalised
    cdf = xp.cumsum(p, axis=1)  # (R, V)
    return first_above(cdf, u.astype(cdf.dtype) * cdf[:, -1], xp)


class LanguageModel:
    """An LSTM language model over sequences of ``seq_len`` tokens.

    ``params`` maps the names of ``lm_param_shapes`` to ``xp`` arrays; the
    optimiser updates them in place. Where a method takes ``tokens`` (n, T),
    a list of n rows of ints is accepted too; every input is checked where it
    enters (``checks.py``). ``fast.FastLanguageModel`` is its twin, method
    for method.
    """

    def __init__(self, params, seq_len, start_token=0, xp=np, name="model"):
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
        if not (isinstance(start_token, Integral) and 0 <= start_token < V):
            raise ValueError(f"{name}: start token {start_token!r} is out of range [0, {V})")
        self.params, self.seq_len, self.start_token = params, seq_len, start_token
        self.xp, self.name = xp, name
        self.vocab_size, self.emb_dim, self.hidden_dim = V, E, H

    @classmethod
    def random(cls, rng, vocab_size, emb_dim, hidden_dim, seq_len, std=0.1,
               xp=np, dtype=np.float32, **kwargs):
        return cls(init_lm_params(rng, vocab_size, emb_dim, hidden_dim, std, xp, dtype),
                   seq_len, xp=xp, **kwargs)

    def with_params(self, params, name):
        """A model of the same kind and settings with other parameters."""
        return type(self)(params, self.seq_len, self.start_token, self.xp, name)

    def copy(self, name):
        """A model with copies of these parameters (G_beta <- G_theta, a branch)."""
        return self.with_params({k: v.copy() for k, v in self.params.items()}, name)

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
        return lm_loss_and_grads(self.params, tokens, weights, self.start_token, self.xp, inputs)

    def mle_loss_and_grads(self, tokens, inputs=None):
        """MLE: mean over batch and time of -log G(y_t | Y_1..t-1); with
        ``inputs`` (B, T), the steps read those instead of the true prefix."""
        tokens = self.checked(tokens)
        inputs = None if inputs is None else self.checked(inputs, "inputs")
        weights = self.xp.full(tokens.shape, 1.0 / tokens.size, dtype=self.dtype)  # (B, T)
        return self.loss_and_grads(tokens, weights, inputs)

    def pg_loss_and_grads(self, tokens, Q):
        """REINFORCE, as the original code: -SUM over batch and time of
        Q(Y_1..t-1, y_t) log G(y_t | Y_1..t-1); its gradient is eq. (8).
        Q (B, T) finite: the action values of eq. (4)."""
        tokens = self.checked(tokens)
        Q = as_array(Q, "Q")
        check_float_array(Q, tokens.shape, "Q")
        check_finite(Q, "Q")  # a NaN here would reach every parameter in one step
        return self.loss_and_grads(tokens, self.xp.asarray(Q, dtype=self.dtype))

    # ------------------------------------------------- step-by-step running
    def zero_state(self, n):
        z = self.xp.zeros((n, self.hidden_dim), dtype=self.dtype)
        return z, z

    def step(self, inputs, h, c):
        """Read one input token per row: inputs (R,), h, c (R, H) -> h, c."""
        params = self.params
        x = params["embedding"][inputs]  # (R, E)
        h, c, _ = lstm_step_forward(x, h, c, params["W"], params["U"], params["b"], self.xp)
        return h, c

    def stepper(self):
        """``step`` for the current parameters, for a loop over steps (the
        fast twin prepares a table once here)."""
        return self.step

    def logits(self, h):
        """h (R, H) -> logits (R, V) of the next token."""
        return h @ self.params["W_out"] + self.params["b_out"]

    def draw(self, h, u):
        """The next token of every row from softmax(h W_out + b_out), by
        inverse CDF: h (R, H), uniforms u (R,) in [0, 1) -> (R,) int."""
        return sample_categorical(self.logits(h), u, self.xp)

    # -------------------------------------------------------------- public
    def sample(self, n, rng):
        """n sequences from the model, one step at a time for all rows:
        (n, T) int. One uniform per token from the host ``rng``: u[t, r]
        draws token t of row r."""
        check_positive_int(n, "n")
        xp = self.xp
        u = xp.asarray(rng.random((self.seq_len, n)))  # (T, n)
        y = xp.full(n, self.start_token, dtype=xp.int64)  # the first input
        h, c = self.zero_state(n)
        step, tokens = self.stepper(), []
        for t in range(self.seq_len):
            h, c = step(y, h, c)
            y = self.draw(h, u[t])  # (n,) y_t, the next step's input
            tokens.append(y)
        return xp.stack(tokens, axis=1)

    def token_log_probs(self, tokens):
        """log G(y_t | Y_1..t-1) for every row and step: (n, T) float64 on the host."""
        xp = self.xp
        tokens = self.checked(tokens)
        inputs = shift_right(tokens, self.start_token, xp)  # (n, T)
        h, c = self.zero_state(tokens.shape[0])
        rows = xp.arange(tokens.shape[0])
        out = []
        for t in range(tokens.shape[1]):
            h, c = self.step(inputs[:, t], h, c)
            z = self.logits(h)  # (n, V)
            out.append(z[rows, tokens[:, t]] - logsumexp(z, xp))  # log softmax of y_t
        return to_numpy(xp.stack(out, axis=1)).astype(np.float64)

    def log_prob(self, tokens):
        """log G(Y) = sum_t log G(y_t | Y_1..t-1) for each row: (n,) float64 on the host."""
        return self.token_log_probs(tokens).sum(axis=1)
