"""core/seqgan.py: Algorithm 1 (make_seqgan + train_seqgan) alone, on a tiny configuration."""
import numpy as np

from seqgan_np.backend import to_numpy
from seqgan_np.core.metrics import nll_oracle
from seqgan_np.core.oracle import make_oracle
from seqgan_np.core.seqgan import make_seqgan, train_seqgan
from seqgan_np.run.config import make_config
from seqgan_np.run.runner import Streams

TINY = dict(vocab_size=30, seq_len=6, emb_dim=8, hidden_dim=8, d_emb_dim=8,
            filter_sizes=(1, 2, 3), num_filters=(4, 4, 4), n_train=256, n_eval=500,
            batch_size=16, pretrain_g_epochs=6, pretrain_d_rounds=2, d_negatives=64,
            adv_epochs=5, g_steps=2, rollouts=2)


def curves_of_a_run(cfg):
    """Algorithm 1 with the plain classes from the seed: NLL-oracle of G
    untrained and after each MLE epoch ("mle") and each adversarial epoch
    ("seqgan"), collected by after_unit, and the mean Q of each
    policy-gradient step ("mean_reward"), from the estimator of Q."""
    rng = Streams(cfg.seed)
    oracle = make_oracle(cfg.seed, cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len)
    sg = make_seqgan(cfg, rng["init"])
    S = to_numpy(oracle.sample(cfg.n_train, rng["data"]))  # the real data (host)
    curves = {"mle": [nll_oracle(oracle, sg.G.sample(cfg.n_eval, rng["eval"]))],  # untrained
              "seqgan": [], "mean_reward": []}
    rollout_Q = sg.rollout_Q

    def recorded_Q(*args):  # called once per g-step, for its batch's Q
        Q = rollout_Q(*args)
        curves["mean_reward"].append(float(Q.mean()))
        return Q

    sg.rollout_Q = recorded_Q
    branch = {"pretrain_g": "mle", "adversarial": "seqgan"}

    def after_unit(phase, unit):
        if phase.name in branch:
            samples = sg.G.sample(cfg.n_eval, rng["eval"])
            curves[branch[phase.name]].append(nll_oracle(oracle, samples))

    train_seqgan(sg, S, cfg, rng, after_unit)
    return curves


def test_algorithm_1_trains_and_is_deterministic():
    cfg = make_config("quick", TINY)
    curves = curves_of_a_run(cfg)
    assert len(curves["mle"]) == 1 + cfg.pretrain_g_epochs  # untrained, then each epoch
    assert len(curves["seqgan"]) == cfg.adv_epochs
    assert len(curves["mean_reward"]) == cfg.adv_epochs * cfg.g_steps
    # MLE pre-training lowers NLL-oracle far beyond the evaluation noise.
    assert curves["mle"][-1] < curves["mle"][0] - 0.5, curves["mle"]
    # The rewards are D's probabilities of "real": strictly inside (0, 1).
    assert all(0.0 < q < 1.0 for q in curves["mean_reward"])
    assert all(np.isfinite(curves["seqgan"]))
    assert curves_of_a_run(cfg) == curves  # the same seed gives the same numbers
