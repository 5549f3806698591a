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
"""
import numpy as np


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
