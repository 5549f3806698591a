"""minimal.train_seqgan, Algorithm 1 in one function, on a tiny configuration."""
import numpy as np

from seqgan_np.config import make_config
from seqgan_np.minimal import train_seqgan

TINY = dict(vocab_size=30, seq_len=6, emb_dim=8, hidden_dim=8, d_emb_dim=8,
            filter_sizes=(1, 2, 3), num_filters=(4, 4, 4), n_train=256, n_eval=500,
            batch_size=16, pretrain_g_epochs=6, pretrain_d_rounds=2, d_negatives=64,
            adv_epochs=5, g_steps=2, rollouts=2)


def test_minimal_algorithm_trains_and_is_deterministic():
    cfg = make_config("quick", TINY)
    curves = train_seqgan(cfg)
    assert len(curves["mle"]) == 1 + cfg.pretrain_g_epochs  # untrained, then each epoch
    assert len(curves["seqgan"]) == cfg.adv_epochs
    assert len(curves["mean_reward"]) == cfg.adv_epochs * cfg.g_steps
    # MLE pre-training lowers NLL-oracle far beyond the evaluation noise.
    assert curves["mle"][-1] < curves["mle"][0] - 0.5, curves["mle"]
    # The rewards are D's probabilities of "real": strictly inside (0, 1).
    assert all(0.0 < q < 1.0 for q in curves["mean_reward"])
    assert all(np.isfinite(curves["seqgan"]))
    assert train_seqgan(cfg) == curves  # the same seed gives the same numbers
