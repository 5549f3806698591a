"""Gradients of the model losses (MLE, policy gradient, discriminator with L2
and a fixed dropout mask) against autograd and finite differences, float64."""
import autograd.numpy as anp
import numpy as np
import pytest

from gradcheck import (AUTOGRAD_TOL, FD_TOL, check_against_autograd, rel_error,
                       finite_difference_errors, record)
from seqgan_np.discriminator import (Discriminator, DiscriminatorConfig,
                                     disc_loss_forward)
from seqgan_np.layers import dropout_mask
from seqgan_np.lm import (LanguageModel, lm_loss_and_grads, lm_loss_backward,
                          lm_loss_forward)

TINY_D = DiscriminatorConfig(vocab_size=7, seq_len=6, emb_dim=4,
                             filter_sizes=(1, 2, 3, 6), num_filters=(3, 4, 2, 3))


def check_params_grads(family, loss, params, grads, rng):
    """loss(params_dict, xp) -> scalar; grads: hand-written dict."""
    keys = list(params)
    errors = check_against_autograd(lambda p: loss(p, anp), [params],
                                    [grads[k] for k in keys], keys)
    record(f"autograd: {family}", errors)
    assert max(errors.values()) < AUTOGRAD_TOL, errors
    fd = {}
    for k in keys:
        fd[f"{k} entries"], fd[f"{k} direction"] = finite_difference_errors(
            lambda: float(loss(params, np)), params[k], grads[k], rng)
    record(f"finite differences: {family}", fd)
    assert max(fd.values()) < FD_TOL, fd


def tiny_lm(rng, V=7, E=4, H=5, T=6):
    return LanguageModel.random(rng, V, E, H, T, std=0.5, dtype=np.float64)


def test_mle_loss_gradients(rng):
    m = tiny_lm(rng)
    tokens = rng.integers(0, 7, size=(4, 6))
    loss, grads = m.mle_loss_and_grads(tokens)
    w = np.full(tokens.shape, 1.0 / tokens.size)
    assert loss == pytest.approx(-m.log_prob(tokens).mean() / 6, rel=1e-12)
    check_params_grads("MLE loss (whole language model)",
                       lambda p, xp: lm_loss_forward(p, tokens, w, 0, xp)[0],
                       m.params, grads, rng)


def test_policy_gradient_loss_gradients(rng):
    m = tiny_lm(rng)
    tokens = rng.integers(0, 7, size=(4, 6))
    rewards = rng.uniform(0, 1, size=tokens.shape)
    loss, grads = m.pg_loss_and_grads(tokens, rewards)
    check_params_grads("policy-gradient loss (summed, given Q)",
                       lambda p, xp: lm_loss_forward(p, tokens, rewards, 0, xp)[0],
                       m.params, grads, rng)


def test_discriminator_loss_gradients(rng):
    d = Discriminator.random(TINY_D, rng, dtype=np.float64)
    tokens = rng.integers(0, 7, size=(5, 6))
    labels = np.array([1, 0, 1, 1, 0])
    mask = dropout_mask((5, TINY_D.features), TINY_D.dropout_keep, rng, np, np.float64)
    _, grads = d.loss_and_grads(tokens, labels, mask=mask)
    check_params_grads("discriminator loss (L2, fixed dropout mask)",
                       lambda p, xp: disc_loss_forward(p, tokens, labels, TINY_D.filter_sizes,
                                                       TINY_D.l2_reg, mask, xp)[0],
                       d.params, grads, rng)


def test_discriminator_l2_term_is_counted(rng):
    """The loss is the mean cross-entropy plus 0.2 (|W_out|^2 + |b_out|^2) / 2."""
    d = Discriminator.random(TINY_D, rng, dtype=np.float64)
    tokens, labels = rng.integers(0, 7, size=(5, 6)), np.array([1, 0, 1, 1, 0])
    loss, _ = d.loss_and_grads(tokens, labels, mask=np.ones((5, TINY_D.features)))
    p = d.predict_proba(tokens)
    ce = -np.mean(np.log(p[np.arange(5), labels]))
    l2 = 0.1 * (np.sum(d.params["W_out"] ** 2) + np.sum(d.params["b_out"] ** 2))
    assert loss == pytest.approx(ce + l2, rel=1e-12)


@pytest.mark.parametrize("B", [3, 40])  # one chunk, and several chunks of rows
def test_fused_output_layer_equals_the_plain_layers(rng, B):
    """The fast path (fused, chunked output layer) against the plain
    layer-by-layer loss and backward, in float64."""
    m = tiny_lm(rng, V=7, T=9)
    tokens = rng.integers(0, 7, size=(B, 9))
    weights = rng.uniform(0, 1, size=tokens.shape)
    loss, cache = lm_loss_forward(m.params, tokens, weights, 0, np)
    plain = lm_loss_backward(cache)
    fast_loss, fast = lm_loss_and_grads(m.params, tokens, weights, 0, np)
    assert fast_loss == pytest.approx(float(loss), rel=1e-13)
    errors = {k: rel_error(fast[k], plain[k]) for k in plain}
    record("fast path = plain: LM loss with fused output layer", errors)
    assert max(errors.values()) < 1e-12, errors


def test_token_log_probs_equal_the_plain_layers(rng, B=10):
    """Scoring step by step (chunks of rows, the bias folded into the
    output product) gives the log-probabilities of the plain whole-sequence
    layers: their weighted loss is -sum(weights * log G), in float64."""
    m = tiny_lm(rng, V=7, T=9)
    m.chunk_rows = 3  # chunks that do not divide the batch
    tokens = rng.integers(0, 7, size=(B, 9))
    weights = rng.uniform(0, 1, size=tokens.shape)
    loss, _ = lm_loss_forward(m.params, tokens, weights, 0, np)
    assert -np.sum(weights * m.token_log_probs(tokens)) == pytest.approx(float(loss), rel=1e-13)


@pytest.mark.parametrize("chunk_rows", [4, 1000])  # chunks straddling prefix lengths, and one chunk
def test_scoring_completions_by_tables_equals_predict_proba(rng, chunk_rows):
    """The rollout's fast D (per-token tables, prefix windows shared with the
    source sequence) against the plain forward of every completion, float64."""
    cfg = TINY_D
    d = Discriminator(cfg, Discriminator.random(cfg, rng, dtype=np.float64).params,
                      chunk_rows=chunk_rows)
    d.params["W_out"] *= 10  # spread D's outputs so that a wrong feature shows
    B, R, T = 5, 60, cfg.seq_len
    tokens = rng.integers(0, cfg.vocab_size, size=(B, T))
    source = rng.integers(0, B, size=R)
    prefix_len = np.sort(rng.integers(1, T, size=R))
    prefix_len[::7] = rng.integers(1, T, size=len(prefix_len[::7]))  # some out of order
    completions = rng.integers(0, cfg.vocab_size, size=(R, T))
    keep = np.arange(T) < prefix_len[:, None]  # (R, T) the prefix
    completions[keep] = tokens[source][keep]
    fast = d.predict_real_of_completions(tokens, completions, source, prefix_len)
    plain = d.predict_proba(completions)[:, 1]
    assert plain.std() > 0.05  # the scores differ between completions
    errors = {"D(real) of completions": rel_error(fast, plain)}
    record("fast path = plain: D by per-token tables", errors)
    assert max(errors.values()) < 1e-12, errors
