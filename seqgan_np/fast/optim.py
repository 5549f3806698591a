"""Fast twin of ``core/optim.py``'s Adam: the update in place, in
cache-sized pieces on threads."""
import math
from dataclasses import dataclass

from ..backend import array_module
from ..core.optim import Adam, clip_by_global_norm
from .threads import for_each_chunk

CHUNK = 1 << 18  # entries updated together: small enough to stay in cache


@dataclass(frozen=True)
class FastAdam(Adam):
    """Twin of ``Adam``, the same hyper-parameters."""

    def step(self, params, grads, state):
        """Twin of ``Adam.step``: TensorFlow's form of Adam,
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
            for_each_chunk(xp, param.size, CHUNK,
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
