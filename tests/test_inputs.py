"""Bad input gives a ValueError that names what is wrong."""
import numpy as np
import pytest

from seqgan_np.core.discriminator import Discriminator, DiscriminatorConfig
from seqgan_np.core.lm import LanguageModel
from seqgan_np.fast import FastDiscriminator, FastLanguageModel

CFG = DiscriminatorConfig(vocab_size=7, seq_len=4, emb_dim=3, filter_sizes=(1, 2), num_filters=(2, 2))
CLASSES = {"fast": (FastLanguageModel, FastDiscriminator), "plain": (LanguageModel, Discriminator)}


@pytest.fixture(params=sorted(CLASSES))
def code(request):
    """The fast twins or the plain core classes: both check their input."""
    return request.param


@pytest.fixture
def g(rng, code):
    return CLASSES[code][0].random(rng, 7, 3, 3, 4)


@pytest.fixture
def d(rng, code):
    return CLASSES[code][1].random(CFG, rng)


GOOD = np.array([[1, 2, 3, 4], [0, 6, 5, 1]])
BAD_TOKENS = [
    (GOOD + 3, r"token id 9 is out of range \[0, 7\)"),
    (GOOD - 2, r"token id -2 is out of range"),
    (GOOD.astype(np.float32), r"token ids must be integers, got dtype float32"),
    (GOOD[0], r"expected shape \(n, T\), got \(4,\)"),
    (GOOD[:, :3], r"expected sequences of length 4, got shape \(2, 3\)"),
]


@pytest.mark.parametrize("tokens, message", BAD_TOKENS)
def test_bad_tokens(g, d, tokens, message):
    for call in (g.log_prob, g.mle_loss_and_grads, d.predict_proba,
                 lambda x: g.pg_loss_and_grads(x, np.ones(x.shape)),
                 lambda x: d.loss_and_grads(x, np.ones(len(x), int), np.random.default_rng(0))):
        with pytest.raises(ValueError, match="tokens: " + message):
            call(tokens)


def test_bad_rewards(g):
    with pytest.raises(ValueError, match=r"Q: expected shape \(2, 4\), got \(2, 3\)"):
        g.pg_loss_and_grads(GOOD, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Q: expected a floating-point array, got dtype int64"):
        g.pg_loss_and_grads(GOOD, np.ones((2, 4), dtype=np.int64))


def test_bad_labels(d, rng):
    for labels in (np.array([1, 2]), np.array([1.0, 0.0]), np.array([1, 0, 1])):
        with pytest.raises(ValueError, match=r"labels: expected \(2,\) integers in \{0, 1\}"):
            d.loss_and_grads(GOOD, labels, rng)


@pytest.mark.parametrize("model", [FastLanguageModel, LanguageModel])
def test_bad_model_parameters(rng, model):
    params = model.random(rng, 7, 3, 3, 4).params
    with pytest.raises(ValueError, match=r"generator: parameter 'U'.*expected shape \(3, 12\)"):
        model({**params, "U": np.zeros((3, 8), np.float32)}, 4, name="generator")
    with pytest.raises(ValueError, match=r"generator: wrong parameter keys: missing b_out"):
        model({k: v for k, v in params.items() if k != "b_out"}, 4, name="generator")
    with pytest.raises(ValueError, match=r"discriminator: filter_sizes=\(5,\): filter width 5 "
                                         r"is not an integer in \[1, seq_len=4\]"):
        DiscriminatorConfig(vocab_size=7, seq_len=4, filter_sizes=(5,), num_filters=(2,))


def test_bad_completions(rng):
    """The fast rollout's scorer refuses completions that do not keep their prefix."""
    d = FastDiscriminator.random(CFG, rng)
    source, prefix_len = np.array([0, 1]), np.array([2, 3])
    good = np.array([[1, 2, 0, 0], [0, 6, 5, 2]])
    assert d.p_real_of_completions(GOOD, good, source, prefix_len).shape == (2,)
    with pytest.raises(ValueError, match="completions: a row differs from its source sequence"):
        d.p_real_of_completions(GOOD, (good + np.array([[0], [1]])) % 7, source, prefix_len)
    with pytest.raises(ValueError, match=r"completions: source and prefix_len must be \(2,\) integers"):
        d.p_real_of_completions(GOOD, good, np.array([0, 2]), prefix_len)
    with pytest.raises(ValueError, match=r"completions: source and prefix_len must be \(2,\) integers"):
        d.p_real_of_completions(GOOD, good, source, np.array([2, 5]))
