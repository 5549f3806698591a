"""Plain = fast for the discriminator, in float64 from the same inputs: the
forward in one piece (core Discriminator.predict_proba) and in chunks on
threads (FastDiscriminator.predict_proba), a convolution as a loop over
windows (core.layers.conv_responses) and as sums of per-token table rows
(fast.discriminator.window_responses), and the rollout's scoring of
completions (FastDiscriminator.p_real_of_completions against the plain
D.p_real); and D's settings refused with clear messages, by
DiscriminatorConfig and, under the experiment's names, by make_config."""
import re

import numpy as np
import pytest

from gradcheck import rel_error, record
from seqgan_np.core.discriminator import REAL, Discriminator, DiscriminatorConfig
from seqgan_np.core.layers import conv_responses
from seqgan_np.fast import FastDiscriminator
from seqgan_np.fast.discriminator import check_completions, conv_tables, window_responses
from seqgan_np.run.config import ConfigError, make_config

V, T = 7, 6
TINY_D = DiscriminatorConfig(vocab_size=V, seq_len=T, emb_dim=4,
                             filter_sizes=(1, 2, 3, 6), num_filters=(3, 4, 2, 3))


def spread_d(rng, chunk_rows=256):
    """A float64 D whose outputs are spread out, so that a wrong feature shows:
    the plain Discriminator and its FastDiscriminator twin on the same params."""
    d = FastDiscriminator.random(TINY_D, rng, dtype=np.float64, chunk_rows=chunk_rows)
    d.params["W_out"] *= 10
    return Discriminator(TINY_D, d.params), d


# rows one by one, chunks that do not divide the 30 rows, one chunk
@pytest.mark.parametrize("chunk_rows", [1, 4, 7, 1000])
def test_predict_proba_plain_equals_fast(rng, chunk_rows):
    """Discriminator.predict_proba = FastDiscriminator.predict_proba.
    Rounding only (matrix products over fewer rows): rel_error < 1e-12."""
    d_plain, d_fast = spread_d(rng, chunk_rows)
    tokens = rng.integers(0, V, size=(30, T))
    plain, fast = d_plain.predict_proba(tokens), d_fast.predict_proba(tokens)
    assert plain[:, REAL].std() > 0.05  # the rows differ
    errors = {f"chunks of {chunk_rows}": rel_error(fast, plain)}
    record("plain = fast: D's probabilities, in chunks on threads", errors)
    assert max(errors.values()) < 1e-12, errors


@pytest.mark.parametrize("K", [1, 2, 3, T])  # T: one window, the whole sequence
def test_window_responses_plain_equals_fast(rng, K):
    """core.layers.conv_responses(embedding[tokens], W) = window_responses.
    Rounding only (the product E @ W[k] made once for the whole vocabulary,
    then its rows summed): rel_error < 1e-12; ``first`` keeps the last windows."""
    embedding, W = rng.standard_normal((V, 4)), rng.standard_normal((K, 4, 3))
    tokens = rng.integers(0, V, size=(9, T))
    plain = conv_responses(embedding[tokens], W)  # (R, L, F)
    table = conv_tables({"embedding": embedding, f"conv_W_{K}": W}, (K,))[K]  # (K, V, F)
    assert plain.shape == (9, T - K + 1, 3)
    errors = {f"K={K}": rel_error(window_responses(table, tokens), plain),
              f"K={K}, from the last window": rel_error(window_responses(table, tokens, T - K),
                                                        plain[:, T - K:])}
    record("plain = fast: convolution by per-token tables", errors)
    assert max(errors.values()) < 1e-12, errors


def completions_of(tokens, R, rng, low=1):
    """R completions of random rows of tokens (B, T), prefixes of [low, T]
    tokens, mostly sorted by length as the rollout sends them."""
    source = rng.integers(0, len(tokens), size=R)
    prefix_len = np.sort(rng.integers(low, T + 1, size=R))
    prefix_len[::7] = rng.integers(low, T + 1, size=len(prefix_len[::7]))  # some out of order
    completions = rng.integers(0, V, size=(R, T))
    keep = np.arange(T) < prefix_len[:, None]  # (R, T) the prefix
    completions[keep] = tokens[source][keep]
    return completions, source, prefix_len


# rows one by one, chunks straddling prefix lengths, one chunk
@pytest.mark.parametrize("chunk_rows", [1, 4, 1000])
def test_p_real_of_completions_plain_equals_fast(rng, chunk_rows):
    """The rollout's fast D (FastDiscriminator.p_real_of_completions:
    per-token tables, prefix windows shared with the source sequence, first
    window per chunk) against the plain forward of every completion
    (Discriminator.p_real); prefixes from 0 (no prefix) to T (the sequence
    itself). Rounding only: rel_error < 1e-12."""
    d_plain, d_fast = spread_d(rng, chunk_rows)
    tokens = rng.integers(0, V, size=(5, T))
    completions, source, prefix_len = completions_of(tokens, 60, rng, low=0)
    check_completions(tokens, completions, source, prefix_len)  # they keep their prefixes
    plain = d_plain.p_real(completions)
    fast = d_fast.p_real_of_completions(tokens, completions, source, prefix_len)
    assert plain.std() > 0.05  # the scores differ between completions
    assert rel_error(plain, d_fast.predict_proba(completions)[:, REAL]) < 1e-12
    errors = {f"chunks of {chunk_rows}": rel_error(fast, plain)}
    record("plain = fast: D(real) of completions by per-token tables", errors)
    assert max(errors.values()) < 1e-12, errors


def test_check_completions_refuses_bad_prefixes(rng):
    tokens = rng.integers(0, V, size=(3, T))
    completions, source, prefix_len = completions_of(tokens, 8, rng)
    out = check_completions(tokens, completions, list(source), list(prefix_len))
    assert all(isinstance(a, np.ndarray) for a in out)  # host arrays
    shape = r"completions: source and prefix_len must be \(8,\) integers in \[0, 3\) and \[0, 6\]"
    for bad_source, bad_prefix_len in [(source + 3, prefix_len), (source - 3, prefix_len),
                                       (source[:7], prefix_len), (source * 1.0, prefix_len),
                                       (source, prefix_len + 7), (source, -prefix_len)]:
        with pytest.raises(ValueError, match=shape):
            check_completions(tokens, completions, bad_source, bad_prefix_len)
    changed = completions.copy()
    changed[-1, 0] = (changed[-1, 0] + 1) % V  # the last row has the longest prefix
    with pytest.raises(ValueError, match="completions: a row differs from its source sequence "
                                         "inside its prefix"):
        check_completions(tokens, changed, source, prefix_len)
    _, d = spread_d(rng)  # both the check and the fast scoring refuse
    for score in (check_completions, d.p_real_of_completions):
        with pytest.raises(ValueError, match="completions: a row differs"):
            score(tokens, changed, source, prefix_len)


# (DiscriminatorConfig's setting, value, the experiment's setting, message)
BAD_SETTINGS = [
    ("emb_dim", 0, "d_emb_dim", "must be a positive integer"),
    ("filter_sizes", (), "filter_sizes", "needs at least one filter width"),
    ("filter_sizes", (1, 2, 7), "filter_sizes",
     r"filter width 7 is not an integer in \[1, seq_len=6\]"),
    ("filter_sizes", (1, 0, 3), "filter_sizes", r"filter width 0 is not an integer in \[1, "),
    ("filter_sizes", (1, 2, 2), "filter_sizes", "each width may appear once"),
    ("num_filters", (4, 4), "num_filters", r"needs one count per filter width \(3\)"),
    ("num_filters", (4, 0, 4), "num_filters", "counts must be positive integers"),
    ("dropout_keep", 0.0, "d_dropout_keep", r"must be in \(0, 1\]"),
    ("dropout_keep", 1.5, "d_dropout_keep", r"must be in \(0, 1\]"),
    ("l2_reg", -0.1, "d_l2", "must be non-negative"),
]
GOOD = dict(vocab_size=V, seq_len=T, emb_dim=4, filter_sizes=(1, 2, 3), num_filters=(4, 4, 4))
EXPERIMENT = dict(vocab_size=30, seq_len=T, d_emb_dim=4, filter_sizes=(1, 2, 3),
                  num_filters=(4, 4, 4))


@pytest.mark.parametrize("name, value, setting, message", BAD_SETTINGS)
def test_bad_discriminator_settings(name, value, setting, message):
    """DiscriminatorConfig refuses the value, naming its field; make_config
    reports the same rule as a ConfigError naming the experiment's setting."""
    shown = re.escape(repr(value))
    with pytest.raises(ValueError, match=rf"^discriminator: {name}={shown}: {message}"):
        DiscriminatorConfig(**{**GOOD, name: value})
    with pytest.raises(ConfigError, match=rf"^setting {setting}={shown}: {message}"):
        make_config("quick", {**EXPERIMENT, setting: value})


def test_experiment_builds_its_discriminator_settings():
    """The experiment's flat settings map onto DiscriminatorConfig; an L2
    weight of 0 is allowed, as by DiscriminatorConfig."""
    cfg = make_config("quick", {**EXPERIMENT, "d_dropout_keep": 0.5, "d_l2": 0.0})
    assert cfg.discriminator() == DiscriminatorConfig(**{**GOOD, "vocab_size": 30},
                                                      dropout_keep=0.5, l2_reg=0.0)
    assert make_config("paper").discriminator() == DiscriminatorConfig()
