"""Welch's and the paired t-test and the incomplete beta function against SciPy's."""
import math

import numpy as np
import pytest

from gradcheck import record
from seqgan_np.experiments.stats import betainc, mean_sd, paired_t_test, welch_t_test


def welch_cases(rng):
    """(a, b) pairs: small samples (2, 3, 5), unequal sizes and variances,
    and differences that drive p from about 1 down to below 1e-10."""
    cases = []
    for na, nb in [(2, 2), (2, 3), (3, 5), (5, 2), (5, 5), (10, 30), (40, 7), (200, 150)]:
        for shift, sd_b in [(0.0, 1.0), (0.3, 4.0), (2.0, 0.1), (6.0, 1.0)]:
            cases.append((rng.normal(0, 1, na), rng.normal(shift, sd_b, nb)))
    cases.append((rng.normal(0, 1, 30), rng.normal(3, 1, 30)))  # p near 1e-20
    return cases


def test_welch_t_test_equals_scipy(rng):
    stats = pytest.importorskip("scipy.stats")
    worst, smallest = {"t": 0.0, "dof": 0.0, "p": 0.0}, 1.0
    for a, b in welch_cases(rng):
        t, dof, p = welch_t_test(a, b)
        ref = stats.ttest_ind(a, b, equal_var=False)
        for name, ours, theirs in [("t", t, ref.statistic), ("dof", dof, ref.df),
                                   ("p", p, ref.pvalue)]:
            worst[name] = max(worst[name], abs(ours - theirs) / abs(theirs))
        smallest = min(smallest, p)
    record("Welch's t-test against scipy", worst)
    assert smallest < 1e-10
    assert max(worst.values()) < 1e-9, worst


def test_betainc_equals_scipy():
    special = pytest.importorskip("scipy.special")
    worst = 0.0
    for a in [0.05, 0.5, 1.0, 2.5, 10.0, 75.0, 1000.0]:
        for b in [0.5, 1.0, 3.0, 20.0, 300.0]:
            for x in np.linspace(0, 1, 41):
                expected = special.betainc(a, b, x)
                ours = betainc(a, b, x)
                # SciPy gives 0 for I_0.475(1000, 20) = 2.4e-289: relative above 1e-250
                worst = max(worst, abs(ours - expected) / max(expected, 1e-250))
    record("betainc against scipy", {"betainc": worst})
    assert worst < 1e-9


def test_mean_sd():
    assert mean_sd([1.0, 2.0, 4.0]) == pytest.approx((7 / 3, math.sqrt(7 / 3)), rel=1e-15)
    mean, sd = mean_sd([5])
    assert mean == 5.0 and math.isnan(sd)


def test_samples_without_spread():
    assert welch_t_test([1.0, 1.0], [1.0, 1.0, 1.0])[2] == 1.0
    t, dof, p = welch_t_test([1.0, 1.0], [2.0, 2.0])
    assert t == -math.inf and math.isnan(dof) and p == 0.0
    assert welch_t_test([1.0, 1.0], [2.0, 3.0])[2] > 0  # one sample's spread is enough


@pytest.mark.parametrize("a, b, message", [
    ([1.0], [1.0, 2.0], r"a: expected a 1-D sample of at least 2 values, got shape \(1,\)"),
    ([1.0, 2.0], [[1.0, 2.0]], r"b: expected a 1-D sample of at least 2 values, got shape \(1, 2\)"),
    ([1.0, np.nan], [1.0, 2.0], r"a: 1 of 2 entries are not finite"),
])
def test_welch_refuses_bad_samples(a, b, message):
    with pytest.raises(ValueError, match=message):
        welch_t_test(a, b)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"values: expected a 1-D sample of at least 1 values"):
        mean_sd([])
    with pytest.raises(ValueError, match=r"betainc: expected a > 0, b > 0 and 0 <= x <= 1"):
        betainc(1.0, 2.0, 1.5)


def test_paired_t_test_equals_scipy(rng):
    scipy_stats = pytest.importorskip("scipy.stats")
    for n in (2, 3, 5, 20):
        a = rng.normal(size=n)
        b = a + rng.normal(0.3, 0.5, size=n)
        t, dof, p = paired_t_test(a, b)
        ref = scipy_stats.ttest_rel(a, b)
        assert t == pytest.approx(ref.statistic, rel=1e-10) and dof == n - 1
        assert p == pytest.approx(ref.pvalue, rel=1e-9)
    assert paired_t_test([1.0, 2.0], [1.0, 2.0])[2] == 1.0
    assert paired_t_test([2.0, 3.0], [1.0, 2.0])[2] == 0.0
    with pytest.raises(ValueError, match="equal lengths"):
        paired_t_test([1.0, 2.0, 3.0], [1.0, 2.0])
