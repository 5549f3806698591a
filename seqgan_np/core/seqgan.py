"""Algorithm 1 of the paper, "Sequence Generative Adversarial Nets with
Policy Gradient": its steps, and their composition. The runner
(``run/``) calls these very functions and adds evaluations, progress and
checkpoints around them; ``train_seqgan`` runs them alone.

    Require: generator policy G_theta; roll-out policy G_beta;
             discriminator D_phi; a sequence dataset S = {X_1:T}
     1 Initialize G_theta, D_phi with random weights theta, phi   make_seqgan
     2 Pre-train G_theta using MLE on S                           mle_epoch
     3 beta <- theta
     4 Generate negative samples using G_theta for training D_phi
     5 Pre-train D_phi via minimizing the cross entropy            d_round
     6 repeat                                                      adversarial_epoch
     7   for g-steps do                                            g_steps, g_step
     8     Generate a sequence Y_1:T = (y_1, ..., y_T) ~ G_theta
     9     for t in 1 : T do
    10       Compute Q(a = y_t; s = Y_1:t-1) by Eq. (4)            rollout_Q
    11     end for
    12     Update generator parameters via policy gradient Eq. (8)
    13   end for
    14   for d-steps do                                            d_round
    15     Use current G_theta to generate negative examples and
           combine with given positive examples S
    16     Train discriminator D_phi for k epochs by Eq. (5)
    17   end for
    18   beta <- theta                                             update_rollout_policy
    19 until SeqGAN converges

``cfg`` is any object with the settings named below (``run.config``'s
ExperimentConfig); ``rng`` maps the name of a purpose to its random
generator ("pretrain_g", "d_train", "adversarial", "rollout"), so that
each purpose draws from a stream of its own. ``check(quantity, value)``
returns the value, or raises where it is not finite: the runner's check
(by default none).
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..backend import to_numpy
from .data import shuffled_batches
from .discriminator import FAKE, REAL, Discriminator
from .lm import LanguageModel
from .optim import Adam
from .rollout import rollout_Q, update_rollout_policy


def unchecked(quantity, value):
    return value


@dataclass
class SeqGAN:
    """What Algorithm 1 trains: G_theta, G_beta and D_phi, their optimisers,
    and the estimator of Q (eq. 4). As the original code, the MLE and the
    policy-gradient updates of G_theta keep Adam states of their own: the
    adversarial steps start with fresh moments."""
    G: LanguageModel  # G_theta, the generator
    beta: LanguageModel  # G_beta, the rollout policy
    D: Discriminator  # D_phi
    g_opt: Adam
    d_opt: Adam
    mle_state: object  # AdamState of G_theta's MLE steps
    pg_state: object  # AdamState of G_theta's policy-gradient steps
    d_state: object  # AdamState of D_phi
    rollout_Q: Callable = rollout_Q


def make_seqgan(cfg, rng, xp=np, dtype=np.float32, model=LanguageModel,
                discriminator=Discriminator, adam=Adam, rollout=rollout_Q):
    """Line 1: G_theta with N(0, g_init_std^2) weights and D_phi with the
    original's initialisers, from ``rng``; G_beta a copy of G_theta. The
    classes (and the rollout) may be the fast twins."""
    G = model.random(rng, cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len,
                     cfg.g_init_std, xp=xp, dtype=dtype, name="G_theta")
    beta = G.copy("G_beta")
    D = discriminator.random(cfg.discriminator(), rng, xp=xp, dtype=dtype)
    g_opt, d_opt = adam(cfg.g_lr, clip_norm=cfg.g_clip), adam(cfg.d_lr)
    return SeqGAN(G, beta, D, g_opt, d_opt, g_opt.init(G.params, xp), g_opt.init(G.params, xp),
                  d_opt.init(D.params, xp), rollout)


def copy_params(dst, src):
    """dst <- src, in place (the models hold the arrays)."""
    for k in dst:
        dst[k][...] = src[k]


def mle_epoch(G, opt, state, S, batch_size, rng, loss_and_grads=None, check=unchecked):
    """Line 2, one epoch: a pass over the real data S (n, T) (host) in
    shuffled batches, each an Adam step on the MLE loss (or on another loss
    of the batch, ``loss_and_grads``: scheduled sampling's)."""
    loss_and_grads = loss_and_grads or G.mle_loss_and_grads
    for idx in shuffled_batches(len(S), batch_size, rng):
        loss, grads = loss_and_grads(S[idx])  # (B, T) host batches: checked on the host
        check("the MLE loss", loss)
        check("the MLE gradient norm", opt.step(G.params, grads, state))


def d_round(sg, S, cfg, rng, check=unchecked):
    """Lines 4-5 and 15-16, one d-step: d_negatives fresh samples of
    G_theta against as many real sequences of S (all of S where it has no
    more), then d_epochs (k) epochs of Adam steps on eq. (5)."""
    n = cfg.d_negatives
    fake = to_numpy(sg.G.sample(n, rng))  # (n, T)
    real = S if n >= len(S) else S[rng.choice(len(S), n, replace=False)]
    tokens = np.concatenate([real, fake])  # (2n, T)
    labels = np.concatenate([np.full(len(real), REAL), np.full(n, FAKE)])
    for _ in range(cfg.d_epochs):
        for idx in shuffled_batches(len(tokens), cfg.batch_size, rng):
            loss, grads = sg.D.loss_and_grads(tokens[idx], labels[idx], rng)  # host batches
            check("the discriminator's loss", loss)
            sg.d_opt.step(sg.D.params, grads, sg.d_state)


def g_step(G, opt, state, Q_of, batch_size, rng, check=unchecked):
    """Lines 8-12: a batch Y (B, T) from G_theta, its action values
    Q = Q_of(Y) (B, T), and the REINFORCE step of eq. (8). Returns Q."""
    Y = G.sample(batch_size, rng)  # (B, T)
    Q = check("the rewards Q", Q_of(Y))  # (B, T)
    loss, grads = G.pg_loss_and_grads(Y, Q)
    check("the policy-gradient loss", loss)
    check("the policy-gradient norm", opt.step(G.params, grads, state))
    return Q


def g_steps(G, opt, state, Q_of, cfg, rng, check=unchecked):
    """Lines 7-13: ``cfg.g_steps`` of ``g_step``."""
    for _ in range(cfg.g_steps):
        g_step(G, opt, state, Q_of, cfg.batch_size, rng, check)


def adversarial_epoch(sg, S, cfg, rng, check=unchecked):
    """Lines 7-18, once: g_steps policy-gradient steps with Q from the
    rollout of G_beta scored by D_phi, the rollout-policy update, d_steps
    d-steps. The paper updates beta after the d-steps, the original code
    before them, as here: the d-steps do not change theta, so both orders
    give the same beta."""
    def Q_of(Y):  # eq. (4)
        return sg.rollout_Q(Y, sg.beta, sg.D.p_real, cfg.rollouts, rng["rollout"])

    g_steps(sg.G, sg.g_opt, sg.pg_state, Q_of, cfg, rng["adversarial"], check)
    update_rollout_policy(sg.beta.params, sg.G.params, cfg.rollout_update_rate)
    for _ in range(cfg.d_steps):
        d_round(sg, S, cfg, rng["d_train"], check)


@dataclass
class Phase:
    """A loop of Algorithm 1: ``units`` calls of ``step`` (an epoch or a
    round), after ``start`` (set-up before the first)."""
    name: str
    units: int
    step: Callable[[], None]
    start: Callable[[], None] = None


def algorithm_1(sg, S, cfg, rng, check=unchecked):
    """Algorithm 1 as its three loops: pre-training G_theta (line 2),
    pre-training D_phi (lines 4-5), adversarial training (lines 6-19, which
    start with beta <- theta, line 3)."""
    return [
        Phase("pretrain_g", cfg.pretrain_g_epochs,
              lambda: mle_epoch(sg.G, sg.g_opt, sg.mle_state, S, cfg.batch_size,
                                rng["pretrain_g"], check=check)),
        Phase("pretrain_d", cfg.pretrain_d_rounds, lambda: d_round(sg, S, cfg, rng["d_train"], check)),
        Phase("adversarial", cfg.adv_epochs, lambda: adversarial_epoch(sg, S, cfg, rng, check),
              start=lambda: copy_params(sg.beta.params, sg.G.params)),
    ]


def run_phases(phases, after_unit=None):
    """Each phase's start, then its units; ``after_unit(phase, unit)`` after each."""
    for phase in phases:
        if phase.start:
            phase.start()
        for unit in range(1, phase.units + 1):
            phase.step()
            if after_unit:
                after_unit(phase, unit)


def train_seqgan(sg, S, cfg, rng, after_unit=None):
    """Algorithm 1 from start to end on the real data S (n, T)."""
    run_phases(algorithm_1(sg, S, cfg, rng), after_unit)
