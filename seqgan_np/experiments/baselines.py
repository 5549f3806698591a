"""The baselines and controls of Table 1, each a small piece beside SeqGAN.

Shape legend: B batch, T length, V vocab, n rows.

  Random          tokens drawn from the training data's unigram frequencies
  SS              scheduled sampling (Bengio et al. 2015): MLE whose step
                  inputs are, with a probability that rises each epoch, G's
                  own samples instead of the true previous tokens
  PG-BLEU         the policy gradient with BLEU-4 against real sequences as
                  the rollout's reward instead of D_phi(Y) (``core.metrics.BleuScore``)
  constant Q      the policy gradient with Q = 1/2 everywhere and no D: what
                  the policy gradient does to G without any signal
  tempered MLE    the MLE generator sampled from softmax(logits / alpha)

and the ablations' (``ablations.py``):

  centred Q       SeqGAN's Q minus its batch mean: a baseline that removes
                  what Q has in common over the batch
  RAML            (Norouzi et al. 2016) MLE on samples of the exponentiated
                  payoff distribution q(y | y*; tau) ~ exp(r(y, y*) / tau),
                  here with the Hamming payoff, sampled exactly
  label smoothing MLE towards (1 - eps) onehot(y_t) + eps u, u the unigram
                  frequencies, by sampling the targets
  rollout spread  the variance of Q's Monte Carlo estimate and of the
                  policy gradient over repeated rollouts of one batch
"""
import math

import numpy as np

from ..backend import to_numpy
from ..core.lm import shift_right
from ..core.rollout import rollout_Q


def sample_unigram(train, vocab_size, n, rng):
    """n sequences of i.i.d. tokens from the unigram frequencies of ``train``
    (host arrays): the paper's "Random" row. -> (n, T) on the host."""
    freq = np.bincount(train.ravel(), minlength=vocab_size) / train.size  # (V,)
    return rng.choice(vocab_size, size=(n, train.shape[1]), p=freq)


# ------------------------------------------------------ scheduled sampling
def ss_probability(epoch, epochs, max_prob):
    """The schedule: the probability of feeding G's own sample rises linearly
    from max_prob / epochs at the first epoch to max_prob at the last."""
    return max_prob * epoch / epochs


def scheduled_inputs(model, tokens, prob, rng):
    """The step inputs of scheduled sampling for true tokens (B, T): the
    start token, then for each later step, with probability ``prob``, the
    model's own draw of the previous position given the inputs so far, else
    the true previous token. -> (B, T). The draws are inputs, not actions:
    no gradient flows through them."""
    xp, (B, T) = model.xp, tokens.shape
    own, u = rng.random((T, B)) < prob, rng.random((T, B))  # (T, B) host: u[s] draws position s
    inputs = xp.empty_like(tokens)
    inputs[:, 0] = model.start_token
    h, c = model.zero_state(B)
    step = model.stepper()
    for s in range(1, T):  # inputs[:, s] stands for the token at position s - 1
        h, c = step(inputs[:, s - 1], h, c)  # has read inputs[:, :s]
        drawn = model.draw(h, xp.asarray(u[s - 1]))  # (B,) the model's draw of position s - 1
        inputs[:, s] = xp.where(xp.asarray(own[s]), drawn, tokens[:, s - 1])
    return inputs


def ss_loss_and_grads(model, tokens, prob, rng):
    """Scheduled sampling's loss: the MLE loss of the true tokens (B, T) with
    the steps reading ``scheduled_inputs``; prob 0 is plain MLE."""
    tokens = model.checked(tokens)
    return model.mle_loss_and_grads(tokens, scheduled_inputs(model, tokens, prob, rng))


# --------------------------------------------------------------- rewards
def constant_Q(tokens, xp=np, dtype=np.float32):
    """Q = 1/2 for every token of every sequence (B, T): the reward of a D
    that cannot tell real from generated, without a D."""
    return xp.full(tokens.shape, 0.5, dtype=dtype)


# ------------------------------------------------------------ temperature
def tempered(model, alpha):
    """``model`` sampled and scored with softmax(logits / alpha): the same
    LanguageModel with W_out and b_out divided by alpha (alpha < 1 sharpens)."""
    params = dict(model.params, W_out=model.params["W_out"] / alpha,
                  b_out=model.params["b_out"] / alpha)
    return model.with_params(params, f"{model.name} at temperature {alpha}")


def centred_Q(Q):
    """Q (B, T) minus its mean over the whole batch: the policy gradient of
    eq. (8) with the baseline b = mean(Q), so that a constant Q gives no
    step. A baseline that does not depend on the sequence keeps eq. (8)'s
    expectation (E[grad log G(y)] = 0); the batch mean includes each
    sequence's own Q, which shrinks the expected gradient by (B - 1) / B
    for a reward of the whole sequence (tutorial 07 checks it)."""
    return Q - Q.mean()


# ------------------------------------------------------------------ RAML
def hamming_change_probability(vocab_size, tau):
    """P(y_t != y*_t) under q(y | y*; tau) with the Hamming payoff
    r(y, y*) = -#{t: y_t != y*_t}. q factorises over positions,

        q(y | y*; tau) = prod_t exp(-[y_t != y*_t] / tau) / Z,   Z = (1 + (V - 1) e^(-1/tau))^T,

    so each position keeps y*_t with probability 1 / (1 + (V - 1) e^(-1/tau))
    and otherwise takes one of the V - 1 other tokens, each equally likely."""
    w = (vocab_size - 1) * math.exp(-1.0 / tau)
    return w / (1.0 + w)


def sample_hamming(y_star, vocab_size, tau, rng):
    """One y ~ q(y | y*; tau) per row of y_star (B, T) (host ids), exactly:
    position by position, a change with hamming_change_probability, to a
    token drawn uniformly from the V - 1 others. -> (B, T) on the host."""
    y_star = np.asarray(y_star)
    change = rng.random(y_star.shape) < hamming_change_probability(vocab_size, tau)  # (B, T)
    other = (y_star + rng.integers(1, vocab_size, y_star.shape)) % vocab_size  # never y*_t
    return np.where(change, other, y_star)


def raml_loss_and_grads(model, y_star, tau, rng):
    """RAML's loss on real sequences y_star (B, T): the MLE loss of samples
    y ~ q(y | y*; tau), teacher-forced on y itself. Its gradient is, in
    expectation, grad of E_{y ~ q}[-log G(y)] / T (the tests check it by
    enumeration)."""
    return model.mle_loss_and_grads(sample_hamming(to_numpy(y_star), model.vocab_size, tau, rng))


def smoothed_targets(tokens, unigram, eps, rng):
    """Each target of tokens (B, T) (host ids) replaced, with probability
    eps, by a draw from ``unigram`` (V,) (which may draw the same token):
    a draw of (1 - eps) onehot(y_t) + eps u at every position. -> (B, T)."""
    tokens = np.asarray(tokens)
    swap = rng.random(tokens.shape) < eps  # (B, T)
    drawn = rng.choice(len(unigram), size=tokens.shape, p=unigram)  # (B, T)
    return np.where(swap, drawn, tokens)


def smoothing_loss_and_grads(model, tokens, unigram, eps, rng):
    """Label smoothing towards the unigram distribution, by sampling: the
    MLE loss of ``smoothed_targets`` with the steps reading the true tokens
    (B, T). In expectation its gradient is the smoothed loss's,
    grad of -1/(BT) sum_{b,t} sum_k [(1 - eps) 1{k = y_bt} + eps u_k] log G(k | Y_b,<t)."""
    tokens = to_numpy(tokens)
    inputs = shift_right(tokens, model.start_token)  # the true prefix
    return model.mle_loss_and_grads(smoothed_targets(tokens, unigram, eps, rng), inputs)


def unigram_frequencies(train, vocab_size):
    """The training data's token frequencies (V,), float64, summing to 1."""
    return np.bincount(np.asarray(train).ravel(), minlength=vocab_size) / np.asarray(train).size


# --------------------------------------------------------- rollout spread
def rollout_spread(G, beta, score, Y, N, repeats, rng, rollout=rollout_Q):
    """How much Q's Monte Carlo estimate (eq. 4) and the policy gradient
    (eq. 8) vary for one fixed batch Y (B, T): ``repeats`` independent
    rollouts of N completions each. Returns (var_Q, var_grad):

      var_Q     the variance over repeats of each entry Q[b, t], averaged
                over the B (T - 1) entries a rollout estimates (the last,
                D(Y) itself, is exact)
      var_grad  the trace of the gradient's covariance over repeats: the
                variance of every parameter entry of grad_theta of the
                policy-gradient loss, summed

    Both fall as 1/N for independent completions."""
    Qs, grads = [], []
    for _ in range(repeats):
        Q = rollout(Y, beta, score, N, rng)  # (B, T)
        _, g = G.pg_loss_and_grads(Y, Q)
        Qs.append(to_numpy(Q).astype(np.float64))
        grads.append(np.concatenate([to_numpy(v).astype(np.float64).ravel() for v in g.values()]))
    Qs, grads = np.stack(Qs), np.stack(grads)  # (R, B, T), (R, P)
    return float(Qs[:, :, :-1].var(axis=0, ddof=1).mean()), float(grads.var(axis=0, ddof=1).sum())
