"""Gradient checks, for the tests and for readers who want to check a
backward pass themselves (float64 throughout; ``autograd`` is needed only
by ``check_against_autograd``, and imported there).

    rel_error(a, b) = max over entries of |a - b| / max(1e-8, |a| + |b|)

The house tolerances: below 1e-7 against autograd, below 1e-6 against
centred finite differences with step 1e-5.
"""
import numpy as np

FD_STEP = 1e-5
AUTOGRAD_TOL = 1e-7
FD_TOL = 1e-6


def rel_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def check_against_autograd(f, args, grads, argnames):
    """rel_error of the hand-written ``grads`` against autograd's gradient
    of scalar f(*args), for each of ``argnames`` (positions in args, or keys
    of the parameter dict args[0]). Returns {argname: error}."""
    import autograd
    errors = {}
    for name, mine in zip(argnames, grads):
        if isinstance(name, str):  # a key of the parameter dict args[0]
            g = autograd.grad(lambda params: f(params, *args[1:]))(args[0])[name]
        else:
            g = autograd.grad(f, name)(*args)
        errors[name] = rel_error(mine, g)
    return errors


def finite_difference_errors(f, x, grad, rng, n_entries=12, h=FD_STEP):
    """Centred differences of scalar f() with respect to array x (changed in
    place and restored): at ``n_entries`` random entries, and along one random
    direction. Returns the worst relative error of each.

    A centred difference carries a rounding error of about eps |f| / h
    (~1e-11 |f| here), so an entry is drawn among those whose gradient is at
    least 1e-5 max(1, |f|): there that noise is far below the tolerance. The
    random direction involves every entry."""
    flat = x.reshape(-1)
    g = np.asarray(grad).reshape(-1)
    resolvable = np.flatnonzero(np.abs(g) >= 1e-5 * max(1.0, abs(f())))
    if not resolvable.size:
        raise ValueError("no gradient entry is large enough to check by differences")
    worst_entry = 0.0
    for i in rng.choice(resolvable, size=min(n_entries, resolvable.size), replace=False):
        old = flat[i]
        flat[i] = old + h
        fp = f()
        flat[i] = old - h
        fm = f()
        flat[i] = old
        worst_entry = max(worst_entry, rel_error((fp - fm) / (2 * h), g[i]))
    d = rng.standard_normal(x.shape)
    x += h * d
    fp = f()
    x -= 2 * h * d
    fm = f()
    x += h * d
    along = rel_error((fp - fm) / (2 * h), float(np.sum(np.asarray(grad) * d)))
    return worst_entry, along
