"""Plain = fast for the language model and the rollout, in float64, from the
same inputs and the same uniforms (core LanguageModel against
FastLanguageModel on the same params, core.lm.lm_loss_and_grads against
fast.lm.lm_loss_and_grads, core.rollout.rollout_Q against fast.rollout_Q):
sampling, scoring, one step, the loss with its fused output layer, and Q of
equation (4)."""
import numpy as np
import pytest

from gradcheck import rel_error, record
from seqgan_np.core import lm as plain_lm
from seqgan_np.core import rollout as plain_rollout
from seqgan_np.core.discriminator import Discriminator, DiscriminatorConfig
from seqgan_np.core.lm import LanguageModel
from seqgan_np.fast import FastDiscriminator, FastLanguageModel
from seqgan_np.fast import lm as fast_lm
from seqgan_np.fast import rollout as fast_rollout

V, E, H, T = 11, 4, 5, 7
TINY_D = DiscriminatorConfig(vocab_size=V, seq_len=T, emb_dim=4,
                             filter_sizes=(1, 2, 3, 7), num_filters=(3, 4, 2, 3))


def tiny_lm(rng, chunk_rows=4):
    """A float64 model with spread-out softmaxes: the plain LanguageModel and
    its FastLanguageModel twin on the same params, the fast one in chunks
    that do not divide the batches below."""
    fast_model = FastLanguageModel.random(rng, V, E, H, T, std=1.0, dtype=np.float64,
                                          chunk_rows=chunk_rows)
    return LanguageModel(fast_model.params, T), fast_model


def test_step_logits_and_draw(rng):
    """FastLanguageModel's stepper, logits and draw against LanguageModel's
    step, logits and draw. Only rounding differs (a table lookup for x W + b,
    the bias inside the product): states and logits to 1e-14; the tokens
    drawn are equal."""
    m_plain, m_fast = tiny_lm(rng)
    inputs = rng.integers(0, V, 9)
    h, c = rng.standard_normal((9, H)), rng.standard_normal((9, H))
    fast, plain = m_fast.stepper()(inputs, h, c), m_plain.step(inputs, h, c)
    errors = {"h": rel_error(fast[0], plain[0]), "c": rel_error(fast[1], plain[1]),
              "logits": rel_error(m_fast.logits(h), m_plain.logits(h))}
    record("plain = fast: LM step and logits", errors)
    assert max(errors.values()) < 1e-14, errors
    u = rng.random(9)
    np.testing.assert_array_equal(m_fast.draw(h, u), m_plain.draw(h, u))


def test_fast_sample_equals_plain_sample(rng):
    """The same uniforms give the same tokens (FastLanguageModel.sample, chunks
    of 4 rows on threads, against LanguageModel.sample, all rows one step at
    a time)."""
    m_plain, m_fast = tiny_lm(rng)
    fast = m_fast.sample(50, np.random.default_rng(5))
    plain = m_plain.sample(50, np.random.default_rng(5))
    assert len(np.unique(fast)) > 5  # the draws spread over the vocabulary
    np.testing.assert_array_equal(fast, plain)


def test_token_log_probs_equal(rng):
    """Rounding only: the log sum exp in place, the bias inside the product."""
    m_plain, m_fast = tiny_lm(rng)
    tokens = rng.integers(0, V, (10, T))
    errors = {"log G(y_t | Y_<t)": rel_error(m_fast.token_log_probs(tokens),
                                            m_plain.token_log_probs(tokens))}
    record("plain = fast: token log-probabilities", errors)
    assert max(errors.values()) < 1e-13, errors


@pytest.mark.parametrize("B", [3, 40])  # one chunk, and several chunks of rows
def test_fused_output_layer_equals_the_plain_layers(rng, B):
    """The fused, chunked output layer (fast.lm.lm_loss_and_grads) against the
    plain layer-by-layer loss and backward (core.lm.lm_loss_and_grads):
    rounding only."""
    m, _ = tiny_lm(rng)
    tokens = rng.integers(0, V, size=(B, T))
    weights = rng.uniform(0, 1, size=tokens.shape)
    plain_loss, plain = plain_lm.lm_loss_and_grads(m.params, tokens, weights, 0, np)
    fast_loss, fast = fast_lm.lm_loss_and_grads(m.params, tokens, weights, 0, np)
    errors = {"loss": rel_error(fast_loss, plain_loss), **{k: rel_error(fast[k], plain[k]) for k in plain}}
    record("plain = fast: LM loss with fused output layer", errors)
    assert max(errors.values()) < 1e-12, errors


@pytest.mark.parametrize("n_rollouts", [1, 3])
def test_fast_rollout_Q_equals_the_plain_double_loop(rng, n_rollouts):
    """Equation (4) as loops over prefixes and rollouts
    (core.rollout.rollout_Q with the plain G_beta and D.p_real) against the
    batched rollout (fast.rollout_Q with FastLanguageModel and
    FastDiscriminator.p_real), from the same uniforms: the completions are
    the same tokens, so Q differs by rounding only (D by tables, means in
    another order)."""
    beta_plain, beta_fast = tiny_lm(rng, chunk_rows=5)
    d_fast = FastDiscriminator.random(TINY_D, rng, dtype=np.float64)
    d_fast.params["W_out"] *= 30  # spread D's scores so that a wrong completion shows
    d_plain = Discriminator(TINY_D, d_fast.params)
    tokens = beta_fast.sample(6, rng)
    fast = fast_rollout.rollout_Q(tokens, beta_fast, d_fast.p_real, n_rollouts,
                                    np.random.default_rng(3))
    plain = plain_rollout.rollout_Q(tokens, beta_plain, d_plain.p_real, n_rollouts,
                                    np.random.default_rng(3))
    assert fast.shape == plain.shape == (6, T) and plain[:, :-1].std() > 0.05
    errors = {"Q": rel_error(fast, plain)}
    record("plain = fast: rollout Q", errors)
    assert errors["Q"] < 1e-12, errors
