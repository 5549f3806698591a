"""Algorithm 1 of the SeqGAN paper in one short function, for reading.

``experiment.OracleExperiment`` runs the same schedule for real (with the
MLE branch to compare against, evaluations, progress, checkpoints and
resume); this is the algorithm alone, with plain loops and one random
generator. It takes an ``ExperimentConfig`` for its settings.
"""
import numpy as np

from .backend import get_xp, to_numpy
from .data import shuffled_batches
from .discriminator import FAKE, REAL, Discriminator
from .lm import LanguageModel
from .metrics import nll_oracle
from .optim import Adam
from .oracle import make_oracle
from .rollout import rollout_rewards, update_rollout_policy


def train_seqgan(cfg, oracle=None):
    """Pre-train G_theta by MLE, pre-train D_phi, then the adversarial
    epochs. Returns the curves: NLL-oracle of G untrained and after each MLE
    epoch ("mle") and each adversarial epoch ("seqgan"), and the mean reward
    Q of each policy-gradient step ("mean_reward")."""
    rng, xp = np.random.default_rng(cfg.seed), get_xp(cfg.backend)
    if oracle is None:
        oracle = make_oracle(cfg.seed, cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len, xp=xp)
    G = LanguageModel.random(rng, cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len,
                             cfg.g_init_std, xp=xp, name="G_theta")
    D = Discriminator.random(cfg.discriminator(), rng, xp=xp)  # D_phi
    g_opt, d_opt = Adam(cfg.g_lr, clip_norm=cfg.g_clip), Adam(cfg.d_lr)
    mle_state, pg_state = g_opt.init(G.params, xp), g_opt.init(G.params, xp)  # as the original
    d_state = d_opt.init(D.params, xp)
    S = to_numpy(oracle.sample(cfg.n_train, rng))  # the real data: positive examples (host)

    def train_discriminator():  # one d-step: fresh negatives, k epochs, eq. (5)
        fake = to_numpy(G.sample(cfg.d_negatives, rng))
        real = S[rng.choice(len(S), min(cfg.d_negatives, len(S)), replace=False)]
        tokens = np.concatenate([real, fake])  # (2n, T)
        labels = np.concatenate([np.full(len(real), REAL), np.full(len(fake), FAKE)])
        for _ in range(cfg.d_epochs):
            for idx in shuffled_batches(len(tokens), cfg.batch_size, rng):
                _, grads = D.loss_and_grads(tokens[idx], labels[idx], rng)
                d_opt.step(D.params, grads, d_state)

    curves = {"mle": [nll_oracle(oracle, G.sample(cfg.n_eval, rng))],  # untrained, then per epoch
              "seqgan": [], "mean_reward": []}
    for _ in range(cfg.pretrain_g_epochs):  # pre-train G_theta using MLE on S
        for idx in shuffled_batches(len(S), cfg.batch_size, rng):
            _, grads = G.mle_loss_and_grads(S[idx])
            g_opt.step(G.params, grads, mle_state)
        curves["mle"].append(nll_oracle(oracle, G.sample(cfg.n_eval, rng)))
    for _ in range(cfg.pretrain_d_rounds):  # pre-train D_phi against G_theta's samples
        train_discriminator()
    beta = LanguageModel({k: v.copy() for k, v in G.params.items()}, cfg.seq_len,
                         xp=xp, name="G_beta")  # beta <- theta
    for _ in range(cfg.adv_epochs):
        for _ in range(cfg.g_steps):
            Y = G.sample(cfg.batch_size, rng)  # (B, T) from G_theta
            Q = rollout_rewards(Y, beta, D, cfg.rollouts, rng)  # (B, T) eq. (4)
            _, grads = G.pg_loss_and_grads(Y, Q)  # REINFORCE, eq. (8)
            g_opt.step(G.params, grads, pg_state)
            curves["mean_reward"].append(float(Q.mean()))
        # The paper updates beta after the d-steps, the original code before
        # them: the d-steps do not change theta, so both give the same beta.
        update_rollout_policy(beta.params, G.params, cfg.rollout_update_rate)
        for _ in range(cfg.d_steps):
            train_discriminator()
        curves["seqgan"].append(nll_oracle(oracle, G.sample(cfg.n_eval, rng)))
    return curves
