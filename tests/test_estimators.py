"""The stochastic parts, checked exactly by enumerating a tiny model
(vocabulary 3, length 3: all 27 sequences): the sampler's distribution, the
rollout's Q estimates and the REINFORCE gradient of J(theta), on the models
that run (FastLanguageModel, FastDiscriminator, fast.rollout_Q); and the
fast draw (fast.lm.sample_categorical) against the plain inverse CDF
(core.lm.sample_categorical)."""
import itertools

import autograd
import autograd.numpy as anp
import numpy as np
from scipy import stats

from gradcheck import record
from seqgan_np.core.discriminator import DiscriminatorConfig, REAL
from seqgan_np.core.layers import logsumexp
from seqgan_np.core import lm as plain_lm
from seqgan_np.core.lm import lm_loss_forward
from seqgan_np.fast import FastDiscriminator, FastLanguageModel, rollout_Q
from seqgan_np.fast import lm as fast_lm
from seqgan_np.fast.layers import logsumexp_inplace

V, T = 3, 3
ALL = np.array(list(itertools.product(range(V), repeat=T)))  # (27, 3) every sequence
TINY_D = DiscriminatorConfig(vocab_size=V, seq_len=T, emb_dim=3,
                             filter_sizes=(1, 2, 3), num_filters=(2, 2, 2))


def tiny_models(seed=0):
    rng = np.random.default_rng(seed)
    g = FastLanguageModel.random(rng, V, 4, 4, T, std=1.0, dtype=np.float64)
    d = FastDiscriminator.random(TINY_D, rng, dtype=np.float64)
    # A freshly initialised D scores every sequence near 0.5; sharpen it so
    # that its scores spread over (0, 1) and a biased estimator stands out.
    d.params["W_out"] *= 100.0
    return g, d


def exact_q(g, d):
    """Q(Y_1..t-1, y_t) for all 27 sequences by enumeration: (27, T)."""
    lp = g.token_log_probs(ALL)  # (27, T) log G(y_t | Y_<t)
    d_real = d.predict_proba(ALL)[:, REAL]  # (27,)
    q = np.empty((len(ALL), T))
    for t in range(1, T + 1):  # prefix length
        # probability of each sequence's completion given its own prefix
        p_completion = np.exp(lp[:, t:].sum(axis=1))  # (27,)
        for b, y in enumerate(ALL):
            same = (ALL[:, :t] == y[:t]).all(axis=1)
            q[b, t - 1] = np.sum(p_completion[same] * d_real[same])
    return q


def chi_square_pvalue(counts, probs):
    return stats.chisquare(counts, probs * counts.sum()).pvalue


def test_sampler_first_token_matches_softmax():
    rng = np.random.default_rng(7)
    g = FastLanguageModel.random(rng, 6, 4, 4, 2, std=1.0, dtype=np.float64)
    first = g.sample(30000, rng)[:, 0]
    logits = g.states(np.zeros((1, 2), dtype=np.int64))[0][0, 0] @ g.params["W_out"] + g.params["b_out"]
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    p = chi_square_pvalue(np.bincount(first, minlength=6), probs)
    assert p > 1e-3, f"first tokens differ from the softmax: chi-square p = {p:.2e}"


def test_sampler_sequences_match_enumerated_probabilities():
    g, _ = tiny_models()
    rng = np.random.default_rng(8)
    y = g.sample(40000, rng)
    counts = np.bincount(y @ (V ** np.arange(T)[::-1]), minlength=len(ALL))  # sequence index
    probs = np.exp(g.log_prob(ALL))
    assert abs(probs.sum() - 1.0) < 1e-12  # log_prob enumerates a distribution
    p = chi_square_pvalue(counts, probs)
    assert p > 1e-3, f"sequence frequencies differ from G(Y): chi-square p = {p:.2e}"


def test_rollout_q_converges_to_exact_q():
    g, d = tiny_models()
    rng = np.random.default_rng(9)
    runs = np.stack([rollout_Q(ALL, g, d.p_real, 16, rng) for _ in range(200)])  # (200, 27, T)
    q = exact_q(g, d)
    np.testing.assert_array_equal(runs[:, :, -1], np.broadcast_to(q[:, -1], runs[:, :, -1].shape))
    mean = runs.mean(axis=0)[:, :-1]
    se = runs.std(axis=0, ddof=1)[:, :-1] / np.sqrt(len(runs))
    assert (se > 0).all()
    z = np.abs(mean - q[:, :-1]) / se
    record("enumeration: rollout Q (max |z|)", {"Q": float(z.max())})
    assert z.max() < 5, f"rollout Q is {z.max():.1f} standard errors from the exact Q"


def test_reinforce_gradient_is_unbiased():
    """E[-grad of the summed PG loss / B] = grad of J(theta) = sum_y G(y) D(y)."""
    g, d = tiny_models(1)
    d_real = d.predict_proba(ALL)[:, REAL]
    rows = np.eye(len(ALL))[:, :, None] * np.ones(T)  # (27, 27, T) picks one sequence

    def J(params):
        return sum(anp.exp(-lm_loss_forward(params, ALL, rows[b], 0, anp)[0]) * d_real[b]
                   for b in range(len(ALL)))

    exact = autograd.grad(J)(g.params)
    rng = np.random.default_rng(10)
    B, K = 64, 400
    estimates = {k: [] for k in g.params}
    for _ in range(K):
        y = g.sample(B, rng)
        _, grads = g.pg_loss_and_grads(y, rollout_Q(y, g, d.p_real, 16, rng))
        for k in grads:
            estimates[k].append(-grads[k] / B)
    z = {}
    for k, est in estimates.items():
        est = np.stack(est)  # (K, ...)
        se = est.std(axis=0, ddof=1) / np.sqrt(K)
        assert (se > 0).all(), k
        z[k] = float(np.max(np.abs(est.mean(axis=0) - exact[k]) / se))
    record("enumeration: REINFORCE gradient (max |z|)", z)
    assert max(z.values()) < 5, z


def test_two_level_draw_equals_plain_inverse_cdf():
    """The fast draw (fast.lm.sample_categorical, two levels) picks exactly
    the token of the plain inverse CDF (core.lm.sample_categorical; the same
    arithmetic up to the order of the sums, in float64)."""
    rng = np.random.default_rng(11)
    logits = 2 * rng.standard_normal((3000, 5000))
    u = rng.random(3000)
    z = logits.copy()
    np.testing.assert_allclose(logsumexp_inplace(z), logsumexp(logits), rtol=1e-14)
    np.testing.assert_array_equal(fast_lm.sample_categorical(logits.copy(), u),
                                  plain_lm.sample_categorical(logits, u))


def test_several_draws_per_row_equal_one_draw_at_a_time():
    """u (k, R) draws k tokens from each row: the rollout's N first draws
    from one prefix use this."""
    rng = np.random.default_rng(12)
    logits = 2 * rng.standard_normal((7, 5000))
    u = rng.random((16, 7))
    many = fast_lm.sample_categorical(logits.copy(), u)
    assert many.shape == (16, 7)
    np.testing.assert_array_equal(many, [plain_lm.sample_categorical(logits, row) for row in u])


def test_draw_never_picks_a_zero_probability_token():
    """Underflowed tokens (p = 0 in float32) are never drawn, even with u at
    the top end where float32 rounding puts the threshold at the total, or
    with the threshold exactly at the end of a block (u = 0.5: the next
    block's first tokens have no mass)."""
    logits = np.full((5, 12), -200.0, dtype=np.float32)
    logits[:, [2, 5]] = 0.0  # only tokens 2 and 5 have mass, the last of blocks 0 and 1
    u = np.array([0.0, 0.3, 0.5, 0.7, np.nextafter(1.0, 0.0)])
    for draw in (fast_lm.sample_categorical(logits.copy(), u),
                 plain_lm.sample_categorical(logits, u)):
        np.testing.assert_array_equal(draw, [2, 2, 5, 5, 5])
