"""The same seed gives identical samples, rewards and gradients (the models
that run: FastLanguageModel, FastDiscriminator, fast.rollout_Q)."""
import numpy as np

from seqgan_np.core.discriminator import DiscriminatorConfig
from seqgan_np.fast import FastDiscriminator, FastLanguageModel, rollout_Q

CFG = DiscriminatorConfig(vocab_size=50, seq_len=8, emb_dim=8, filter_sizes=(1, 3, 8), num_filters=(4, 4, 4))


def run(seed):
    rng = np.random.default_rng(seed)
    g = FastLanguageModel.random(rng, 50, 8, 8, 8)
    d = FastDiscriminator.random(CFG, rng)
    y = g.sample(32, rng)
    q = rollout_Q(y, g, d.p_real, 4, rng)
    _, g_mle = g.mle_loss_and_grads(y)
    _, g_pg = g.pg_loss_and_grads(y, q)
    _, g_d = d.loss_and_grads(y, np.arange(32) % 2, rng)
    return y, q, g_mle, g_pg, g_d


def test_same_seed_same_numbers():
    a, b, c = run(5), run(5), run(6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    for ga, gb in zip(a[2:], b[2:]):
        for k in ga:
            np.testing.assert_array_equal(ga[k], gb[k], err_msg=k)
    assert not np.array_equal(a[0], c[0])


def test_float32_stays_float32():
    """The hot path keeps float32: no gradient or score is promoted to float64."""
    rng = np.random.default_rng(0)
    g = FastLanguageModel.random(rng, 50, 8, 8, 8)
    d = FastDiscriminator.random(CFG, rng)
    y = g.sample(16, rng)
    q = rollout_Q(y, g, d.p_real, 2, rng)
    grads = [g.mle_loss_and_grads(y)[1], g.pg_loss_and_grads(y, q)[1],
             d.loss_and_grads(y, np.arange(16) % 2, rng)[1]]
    promoted = [k for gr in grads for k, v in gr.items() if v.dtype != np.float32]
    assert not promoted, promoted
    assert q.dtype == np.float32 and d.predict_proba(y).dtype == np.float32


def test_threads_change_nothing(monkeypatch):
    """Chunks run on threads (NumPy backend) give the numbers of one thread:
    samples, log-probabilities, D's outputs, rollout Q, G's gradients."""
    def numbers():
        rng = np.random.default_rng(3)
        g = FastLanguageModel.random(rng, 50, 8, 8, 8, chunk_rows=16)
        d = FastDiscriminator.random(CFG, rng, chunk_rows=16)
        y = g.sample(100, rng)
        loss, grads = g.mle_loss_and_grads(y)  # 800 rows: several chunks of the output layer
        return (y, g.token_log_probs(y), d.predict_proba(y), rollout_Q(y[:8], g, d.p_real, 4, rng),
                np.array(loss), *grads.values())

    monkeypatch.setenv("SEQGAN_THREADS", "1")
    one = numbers()
    monkeypatch.setenv("SEQGAN_THREADS", "3")
    for a, b in zip(one, numbers()):
        np.testing.assert_array_equal(a, b)


def test_threads_change_nothing_at_the_papers_sizes(monkeypatch):
    """At V = 5000 and H = 32 OpenBLAS splits the products over its own
    threads where it may: with one thread of ours it must not either, or G's
    gradients differ in their last bits between 1 and 2 threads."""
    def grads():
        rng = np.random.default_rng(0)
        g = FastLanguageModel.random(rng, 5000, 32, 32, 20)
        return g.mle_loss_and_grads(g.sample(64, rng))[1]

    monkeypatch.setenv("SEQGAN_THREADS", "1")
    one = grads()
    monkeypatch.setenv("SEQGAN_THREADS", "2")
    for k, v in grads().items():
        np.testing.assert_array_equal(one[k], v, err_msg=k)
