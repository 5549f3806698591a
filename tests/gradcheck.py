"""Gradient-check helpers shared by the tests (float64 throughout).

rel_error(a, b) = max over entries of |a - b| / max(1e-8, |a| + |b|).
"""
import numpy as np

FD_STEP = 1e-5
AUTOGRAD_TOL = 1e-7
FD_TOL = 1e-6


def rel_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def worst(errors):
    """The largest error of a dict of named errors, with its name."""
    name = max(errors, key=errors.get)
    return name, errors[name]


def check_against_autograd(f, args, grads, argnames):
    """autograd's gradient of scalar f(*args) in each of ``argnames``
    (positions or dict keys of args[0]) against the hand-written ``grads``."""
    import autograd
    errors = {}
    for name, mine in zip(argnames, grads):
        if isinstance(name, str):  # a key of the parameter dict args[0]
            g = autograd.grad(lambda p: f(p, *args[1:]))(args[0])[name]
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
    assert resolvable.size, "no gradient entry is large enough to check by differences"
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


# Worst errors per test family, printed at the end of the run (conftest.py).
REPORT = {}


def record(family, errors):
    """Keep the worst of ``errors`` (name -> error) under ``family``; return them."""
    name, err = worst(errors)
    if err >= REPORT.get(family, ("", -1.0))[1]:
        REPORT[family] = (name, err)
    return errors
