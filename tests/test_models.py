"""Gradients of the model losses (MLE, policy gradient, discriminator with L2
and a fixed dropout mask) of the models that run (FastLanguageModel,
FastDiscriminator) against autograd of the plain forwards (core.lm.lm_loss_forward,
core.discriminator.disc_loss_forward) and finite differences, float64."""
import autograd.numpy as anp
import numpy as np
import pytest

from gradcheck import (AUTOGRAD_TOL, FD_TOL, check_against_autograd,
                       finite_difference_errors, record)
from seqgan_np.core.discriminator import DiscriminatorConfig, disc_loss_forward
from seqgan_np.core.layers import dropout_mask
from seqgan_np.core.lm import lm_loss_forward
from seqgan_np.fast import FastDiscriminator, FastLanguageModel

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
    return FastLanguageModel.random(rng, V, E, H, T, std=0.5, dtype=np.float64)


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
    d = FastDiscriminator.random(TINY_D, rng, dtype=np.float64)
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
    d = FastDiscriminator.random(TINY_D, rng, dtype=np.float64)
    tokens, labels = rng.integers(0, 7, size=(5, 6)), np.array([1, 0, 1, 1, 0])
    loss, _ = d.loss_and_grads(tokens, labels, mask=np.ones((5, TINY_D.features)))
    p = d.predict_proba(tokens)
    ce = -np.mean(np.log(p[np.arange(5), labels]))
    l2 = 0.1 * (np.sum(d.params["W_out"] ** 2) + np.sum(d.params["b_out"] ** 2))
    assert loss == pytest.approx(ce + l2, rel=1e-12)


def test_token_log_probs_equal_the_plain_layers(rng, B=10):
    """Scoring step by step (FastLanguageModel.token_log_probs: chunks of
    rows, the bias folded into the output product) gives the
    log-probabilities of the plain whole-sequence layers
    (core.lm.lm_loss_forward): their weighted loss is -sum(weights * log G),
    in float64."""
    m = tiny_lm(rng, V=7, T=9)
    m.chunk_rows = 3  # chunks that do not divide the batch
    tokens = rng.integers(0, 7, size=(B, 9))
    weights = rng.uniform(0, 1, size=tokens.shape)
    loss, _ = lm_loss_forward(m.params, tokens, weights, 0, np)
    assert -np.sum(weights * m.token_log_probs(tokens)) == pytest.approx(float(loss), rel=1e-13)

