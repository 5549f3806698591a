"""Plain = fast for the language model and the rollout, in float64, from the
same inputs and the same uniforms: sampling, scoring, one step, the loss
with its fused output layer, and Q of equation (4)."""
import numpy as np
import pytest

from gradcheck import rel_error, record
from seqgan_np.discriminator import Discriminator, DiscriminatorConfig
from seqgan_np.lm import LanguageModel, lm_loss_and_grads, lm_loss_and_grads_plain
from seqgan_np.rollout import rollout_rewards, rollout_rewards_plain

V, E, H, T = 11, 4, 5, 7
TINY_D = DiscriminatorConfig(vocab_size=V, seq_len=T, emb_dim=4,
                             filter_sizes=(1, 2, 3, 7), num_filters=(3, 4, 2, 3))


def tiny_lm(rng, chunk_rows=4):
    """A float64 model with spread-out softmaxes, in chunks that do not
    divide the batches below."""
    return LanguageModel.random(rng, V, E, H, T, std=1.0, dtype=np.float64, chunk_rows=chunk_rows)


def test_step_logits_and_draw(rng):
    """Only rounding differs (a table lookup for x W + b, the bias inside
    the product): states and logits to 1e-14; the tokens drawn are equal."""
    m = tiny_lm(rng)
    inputs = rng.integers(0, V, 9)
    h, c = rng.standard_normal((9, H)), rng.standard_normal((9, H))
    fast, plain = m.step(m.input_table(), inputs, h, c), m.step_plain(inputs, h, c)
    errors = {"h": rel_error(fast[0], plain[0]), "c": rel_error(fast[1], plain[1]),
              "logits": rel_error(m.logits(h), m.logits_plain(h))}
    record("plain = fast: LM step and logits", errors)
    assert max(errors.values()) < 1e-14, errors
    u = rng.random(9)
    np.testing.assert_array_equal(m.draw(h, u), m.draw_plain(h, u))


def test_sample_equals_sample_plain(rng):
    """The same uniforms give the same tokens (chunks of 4 rows on threads
    against all rows one step at a time)."""
    m = tiny_lm(rng)
    fast = m.sample(50, np.random.default_rng(5))
    plain = m.sample_plain(50, np.random.default_rng(5))
    assert len(np.unique(fast)) > 5  # the draws spread over the vocabulary
    np.testing.assert_array_equal(fast, plain)


def test_token_log_probs_equal(rng):
    """Rounding only: the log sum exp in place, the bias inside the product."""
    m = tiny_lm(rng)
    tokens = rng.integers(0, V, (10, T))
    errors = {"log G(y_t | Y_<t)": rel_error(m.token_log_probs(tokens), m.token_log_probs_plain(tokens))}
    record("plain = fast: token log-probabilities", errors)
    assert max(errors.values()) < 1e-13, errors


@pytest.mark.parametrize("B", [3, 40])  # one chunk, and several chunks of rows
def test_fused_output_layer_equals_the_plain_layers(rng, B):
    """The fused, chunked output layer against the plain layer-by-layer
    loss and backward: rounding only."""
    m = tiny_lm(rng)
    tokens = rng.integers(0, V, size=(B, T))
    weights = rng.uniform(0, 1, size=tokens.shape)
    plain_loss, plain = lm_loss_and_grads_plain(m.params, tokens, weights, 0, np)
    fast_loss, fast = lm_loss_and_grads(m.params, tokens, weights, 0, np)
    errors = {"loss": rel_error(fast_loss, plain_loss), **{k: rel_error(fast[k], plain[k]) for k in plain}}
    record("plain = fast: LM loss with fused output layer", errors)
    assert max(errors.values()) < 1e-12, errors


@pytest.mark.parametrize("n_rollouts", [1, 3])
def test_rollout_rewards_equal_the_plain_double_loop(rng, n_rollouts):
    """Equation (4) as loops over prefixes and rollouts against the batched
    rollout, from the same uniforms: the completions are the same tokens, so
    Q differs by rounding only (D by tables, means in another order)."""
    beta = tiny_lm(rng, chunk_rows=5)
    d = Discriminator.random(TINY_D, rng, dtype=np.float64)
    d.params["W_out"] *= 30  # spread D's scores so that a wrong completion shows
    tokens = beta.sample(6, rng)
    fast = rollout_rewards(tokens, beta, d, n_rollouts, np.random.default_rng(3))
    plain = rollout_rewards_plain(tokens, beta, d, n_rollouts, np.random.default_rng(3))
    assert fast.shape == plain.shape == (6, T) and plain[:, :-1].std() > 0.05
    errors = {"Q": rel_error(fast, plain)}
    record("plain = fast: rollout Q", errors)
    assert errors["Q"] < 1e-12, errors
