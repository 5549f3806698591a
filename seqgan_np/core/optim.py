"""Adam with optional global-norm gradient clipping, and plain SGD beside it.

The hyper-parameters (``Adam``, immutable) are kept apart from the state
(``AdamState``: the moment estimates and the step count), so that the state
can be saved in a checkpoint and restored. Both G_theta (lr 0.01, clipped
to global norm 5) and D_phi (lr 1e-4) are trained with Adam, as in the
original code. ``fast.FastAdam`` is the twin that runs: TensorFlow's form,
in place, in cache-sized pieces.
"""
from dataclasses import dataclass, field
import math

from ..backend import array_module


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

    def __post_init__(self):
        def bad(name, why):
            raise ValueError(f"Adam: {name}={getattr(self, name)!r}: {why}")

        for name in ("lr", "eps") + (("clip_norm",) if self.clip_norm is not None else ()):
            if not 0.0 < getattr(self, name) < math.inf:  # NaN fails too
                bad(name, "must be a finite positive number")
        for name in ("beta1", "beta2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                bad(name, "must be in [0, 1)")

    def init(self, params, xp):
        return AdamState(m={k: xp.zeros_like(p) for k, p in params.items()},
                         v={k: xp.zeros_like(p) for k, p in params.items()})

    def step(self, params, grads, state):
        """Adam as in Kingma & Ba (2015), Algorithm 1, one parameter at a time,
        after scaling the gradients to global norm at most ``clip_norm``.

        Updates ``params`` and ``state`` (m, v, t) in place and leaves
        ``grads`` unchanged. Returns the gradient norm before clipping (None
        when there is no clipping).

        The paper adds eps to sqrt(v_hat); TensorFlow (the original code, and
        the fast twin) adds it to the uncorrected sqrt(v). That is the paper's
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


@dataclass(frozen=True)
class SGD:
    """Plain stochastic gradient descent, theta <- theta - lr * g, after the
    same global-norm clip as Adam. It keeps no moments, so it has no state
    (``init`` gives None). Adam divides each coordinate by its running RMS,
    which makes every step about lr * sqrt(number of parameters) long
    whatever the gradient; SGD's step is lr times the (clipped) gradient:
    the ablations compare the two (experiments/ablations.py)."""
    lr: float
    clip_norm: float | None = None

    def __post_init__(self):
        for name in ("lr",) + (("clip_norm",) if self.clip_norm is not None else ()):
            if not 0.0 < getattr(self, name) < math.inf:
                raise ValueError(f"SGD: {name}={getattr(self, name)!r}: must be a finite positive number")

    def init(self, params, xp):
        return None

    def step(self, params, grads, state=None):
        """Updates ``params`` in place; returns the gradient norm before
        clipping (None when there is no clipping), as ``Adam.step``."""
        norm = global_norm(grads) if self.clip_norm else None
        scale = self.clip_norm / norm if norm is not None and norm > self.clip_norm else 1.0
        for k, param in params.items():
            param -= (self.lr * scale) * grads[k]  # in place: the models hold it
        return norm
