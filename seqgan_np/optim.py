"""Adam with optional global-norm gradient clipping.

The hyper-parameters (``Adam``, immutable) are kept apart from the state
(``AdamState``: the moment estimates and the step count), so that the state
can be saved in a checkpoint and restored.
"""
from dataclasses import dataclass, field
import math

from .backend import array_module, for_each_chunk
from .checks import check_positive_int


def global_norm(grads):
    """sqrt of the sum of squares of every gradient entry, summed in float64:
    a 0-d array on the gradients' device (no wait for the host on a GPU)."""
    xp = array_module(next(iter(grads.values())))
    return xp.sqrt(sum((g * g).sum().astype(xp.float64) for g in grads.values()))


def clip_by_global_norm(grads, max_norm):
    """Scale all gradients by max_norm / max(norm, max_norm), in place, as
    TensorFlow's clip_by_global_norm. Returns the norm before clipping (0-d).
    The scale stays on the device: under the limit it is exactly 1."""
    norm = global_norm(grads)
    scale = max_norm / array_module(norm).maximum(norm, max_norm)  # 0-d, float64
    for g in grads.values():
        g *= scale.astype(g.dtype)
    return norm


@dataclass
class AdamState:
    m: dict = field(default_factory=dict)  # first moments, one per parameter
    v: dict = field(default_factory=dict)  # second moments
    t: int = 0  # steps taken


@dataclass(frozen=True)
class Adam:
    lr: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    clip_norm: float | None = None  # global-norm clip, None for none
    chunk: int = 1 << 18  # entries updated together: small enough to stay in cache

    def __post_init__(self):
        def bad(name, why):
            raise ValueError(f"Adam: {name}={getattr(self, name)!r}: {why}")

        for name in ("lr", "eps") + (("clip_norm",) if self.clip_norm is not None else ()):
            if not 0.0 < getattr(self, name) < math.inf:  # NaN fails too
                bad(name, "must be a finite positive number")
        for name in ("beta1", "beta2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                bad(name, "must be in [0, 1)")
        check_positive_int(self.chunk, "Adam: chunk")

    def init(self, params, xp):
        return AdamState(m={k: xp.zeros_like(p) for k, p in params.items()},
                         v={k: xp.zeros_like(p) for k, p in params.items()})

    def step_plain(self, params, grads, state):
        """Adam as in Kingma & Ba (2015), Algorithm 1, one parameter at a time,
        after scaling the gradients to global norm at most ``clip_norm``.

        Updates ``params`` and ``state`` (m, v, t) in place and leaves
        ``grads`` unchanged. Returns the gradient norm before clipping (None
        when there is no clipping).

        The paper adds eps to sqrt(v_hat); TensorFlow (the original code, and
        ``step``) adds it to the uncorrected sqrt(v). That is the paper's
        update with eps_hat = eps / sqrt(1 - b2^t), which is used here, so
        that both compute the same numbers up to rounding.
        """
        norm = global_norm(grads) if self.clip_norm else None
        scale = self.clip_norm / norm if norm is not None and norm > self.clip_norm else 1.0
        state.t += 1
        b1, b2, t = self.beta1, self.beta2, state.t
        eps_hat = self.eps / math.sqrt(1.0 - b2 ** t)
        for k, param in params.items():
            xp = array_module(param)
            g = scale * grads[k]  # clipped gradient, a new array
            m, v = state.m[k], state.v[k]
            m[...] = b1 * m + (1.0 - b1) * g  # first moment (mean)
            v[...] = b2 * v + (1.0 - b2) * g ** 2  # second moment (uncentred variance)
            m_hat = m / (1.0 - b1 ** t)  # bias corrections: m and v start at 0
            v_hat = v / (1.0 - b2 ** t)
            param -= self.lr * m_hat / (xp.sqrt(v_hat) + eps_hat)  # in place: the models hold it
        return norm

    def step(self, params, grads, state):
        """Fast twin of ``step_plain``: TensorFlow's form of Adam,
        p -= lr_t m / (sqrt(v) + eps) with lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)
        (the bias corrections folded into the step size), in place, in
        cache-sized pieces on threads. It overwrites ``grads``: they are
        clipped in place and then used as workspace. Updates ``params`` and
        ``state`` in place; returns the gradient norm before clipping (None
        when there is no clipping)."""
        norm = clip_by_global_norm(grads, self.clip_norm) if self.clip_norm else None
        state.t += 1
        lr_t = self.lr * math.sqrt(1.0 - self.beta2 ** state.t) / (1.0 - self.beta1 ** state.t)
        for k, param in params.items():
            if not param.flags.c_contiguous:
                raise ValueError(f"Adam: parameter {k!r} must be contiguous to be updated in place")
            flat = [array.reshape(-1) for array in (param, grads[k], state.m[k], state.v[k])]  # views
            xp = array_module(param)
            # The update is a dozen passes; done piece by piece, each piece
            # stays in cache and every array is read from memory once.
            for_each_chunk(xp, param.size, self.chunk,
                           lambda rows: self._update(*(array[rows] for array in flat), lr_t, xp))
        return norm

    def _update(self, param, g, m, v, lr_t, xp):
        """In place, with g as workspace: m <- b1 m + (1 - b1) g,
        v <- b2 v + (1 - b2) g^2, param <- param - lr_t m / (sqrt(v) + eps)."""
        m -= g  # b1 m + (1 - b1) g, written as g + b1 (m - g)
        m *= self.beta1
        m += g
        xp.multiply(g, g, out=g)
        v -= g
        v *= self.beta2
        v += g
        xp.sqrt(v, out=g)
        g += self.eps
        xp.divide(m, g, out=g)
        g *= lr_t
        param -= g
