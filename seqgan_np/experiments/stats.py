"""Summaries of repeated runs: mean and standard deviation, Welch's t-test
of equal means and the paired t-test (NumPy and the math module only: no
SciPy)."""
import math

import numpy as np

from ..core.checks import check_finite


def checked_sample(values, name, min_size=2):
    """``values`` as a 1-D float64 array of at least ``min_size`` finite values."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size < min_size:
        raise ValueError(f"{name}: expected a 1-D sample of at least {min_size} values, "
                         f"got shape {x.shape}")
    check_finite(x, name)
    return x


def mean_sd(values):
    """(mean, sample standard deviation with ddof = 1) of ``values``, as
    floats; the deviation is nan for a single value (no spread to estimate)."""
    x = checked_sample(values, "values", min_size=1)
    sd = float(x.std(ddof=1)) if x.size > 1 else math.nan
    return float(x.mean()), sd


def fmt_mean_sd(mean, sd, spec=".3f"):
    """"mean ± sd" for a table; the mean alone where there is no spread to
    show (one seed: sd is nan), "" where there is no mean."""
    if mean is None:
        return ""
    return format(mean, spec) if sd is None or math.isnan(sd) else f"{format(mean, spec)} ± {format(sd, spec)}"


def spread(n_seeds):
    """What a table's "mean ± sd" is, for n_seeds seeds."""
    return ("Mean ± standard deviation over seeds" if n_seeds > 1
            else "One seed: each figure is that seed's, with no spread to show")


def welch_t_test(a, b):
    """Welch's t-test of equal means for samples ``a`` and ``b`` (1-D, at
    least 2 values each), their variances not assumed equal:

        v_a = s_a^2 / n_a,   v_b = s_b^2 / n_b   (s^2 with ddof = 1)
        t   = (mean_a - mean_b) / sqrt(v_a + v_b)
        dof = (v_a + v_b)^2 / (v_a^2 / (n_a - 1) + v_b^2 / (n_b - 1))   (Welch-Satterthwaite)
        p   = P(|T_dof| >= |t|) = I_{dof / (dof + t^2)}(dof / 2, 1 / 2)  (two-sided)

    Both samples without spread (v_a = v_b = 0): t and dof are undefined;
    equal means give (nan, nan, 1.0), different means (+-inf, nan, 0.0), a
    difference then being certain. Returns (t, dof, p) as floats."""
    a, b = checked_sample(a, "a"), checked_sample(b, "b")
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff = float(a.mean() - b.mean())
    if va + vb == 0:
        return (math.nan, math.nan, 1.0) if diff == 0 else (math.copysign(math.inf, diff), math.nan, 0.0)
    t = diff / math.sqrt(va + vb)
    dof = float((va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1)))
    return t, dof, betainc(dof / 2, 0.5, dof / (dof + t * t))


def paired_t_test(a, b):
    """The paired t-test of equal means for matched samples ``a`` and ``b``
    (1-D, the same length, at least 2 pairs: here two rows of the same
    seeds, which share each seed's data and start):

        d = a - b,   t = mean(d) / (s_d / sqrt(n)),   dof = n - 1,
        p = P(|T_dof| >= |t|) = I_{dof / (dof + t^2)}(dof / 2, 1 / 2)   (two-sided)

    Differences without spread: (nan, dof, 1.0) if they are all 0, else
    (+-inf, dof, 0.0). Returns (t, dof, p) as floats."""
    a, b = checked_sample(a, "a"), checked_sample(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"paired samples: expected equal lengths, got {a.size} and {b.size}")
    d, dof = a - b, a.size - 1
    se = d.std(ddof=1) / math.sqrt(d.size)
    if se == 0:
        return (math.nan, float(dof), 1.0) if d.mean() == 0 else \
            (math.copysign(math.inf, d.mean()), float(dof), 0.0)
    t = float(d.mean() / se)
    return t, float(dof), betainc(dof / 2, 0.5, dof / (dof + t * t))


def betainc(a, b, x, tol=1e-15, max_terms=10_000):
    """The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b)
    (argument order as scipy.special.betainc), from its continued fraction
    (Numerical Recipes, section 6.4):

        I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * 1 / (1 + d_1 / (1 + d_2 / (1 + ...)))
        d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
        d_{2m}   = m (b - m) x / ((a + 2m - 1)(a + 2m))

    evaluated by the modified Lentz method. The fraction converges fast for
    x < (a + 1) / (a + b + 2); above, I_x(a, b) = 1 - I_{1-x}(b, a)."""
    if not (a > 0 and b > 0 and 0 <= x <= 1):
        raise ValueError(f"betainc: expected a > 0, b > 0 and 0 <= x <= 1, got a={a}, b={b}, x={x}")
    if x in (0, 1):
        return float(x)
    if x > (a + 1) / (a + b + 2):
        return 1.0 - betainc(b, a, 1.0 - x, tol, max_terms)
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - log_beta) / a

    def d(k):  # the k-th partial numerator, k >= 1
        m = k // 2
        if k % 2:
            return -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        return m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))

    # Lentz: f = 1 / (1 + d_1 / (1 + ...)) as a product of ratios C_j D_j of
    # successive convergents; tiny stands in for a zero that would divide.
    tiny = 1e-300
    f, C, D = tiny, tiny, 0.0
    for j in range(1, max_terms):
        numer = 1.0 if j == 1 else d(j - 1)
        D = 1.0 + numer * D
        C = 1.0 + numer / C
        D = 1.0 / (D if D != 0 else tiny)
        C = C if C != 0 else tiny
        f *= C * D
        if abs(C * D - 1.0) < tol:
            return front * f
    raise RuntimeError(f"betainc({a}, {b}, {x}): no convergence in {max_terms} terms")
