"""Fast twin of ``core/rollout.py``'s ``rollout_Q``: Q of equation (4)
with all P N B completions as one flat batch.

Shape legend: B batch, T length, N rollouts, P = T - 1 prefixes, R = P N B
rows of the flat batch.
"""
import numpy as np

from ..core.rollout import checked_rollout, rollout_uniforms
from .discriminator import FastDiscriminator
from .threads import for_each_chunk


def rollout_Q(tokens, beta, score, n_rollouts, rng):
    """Fast twin of ``core.rollout.rollout_Q`` (the same uniforms, the same
    Q): all P N B completions advance together as one flat batch, with less
    work (``beta`` a ``FastLanguageModel``):
    - G_beta's state after each prefix is computed once per sequence
      (``beta.states``), and the N rollouts of a prefix draw their first
      token from that one softmax;
    - row r = ((t - 1) N + n) B + b holds prefix length t, rollout n and
      sequence b, ordered by t, so the rows that still draw at position s
      (those with t < s) are a leading block;
    - the rows are independent, so they go in chunks on threads
      (``for_each_chunk``), each chunk through all positions;
    - where ``score`` is a fast D's ``p_real``, D is fixed meanwhile, so it
      scores the completions from per-token tables
      (``FastDiscriminator.p_real_of_completions``)."""
    xp = beta.xp
    tokens = checked_rollout(tokens, beta, n_rollouts)
    B, T = tokens.shape
    P, N = T - 1, n_rollouts
    R = P * N * B
    u = rollout_uniforms(rng, B, T, N)  # (T, R) host: the index arithmetic below stays on the host
    row = np.arange(R)
    t_of_row, b_of_row = row // (N * B) + 1, row % B  # prefix length and sequence of each row
    hs, cs = beta.states(tokens)  # (B, T, H): hs[:, s] has read y_1..y_s
    hs, cs = hs[:, 1:].transpose(1, 0, 2), cs[:, 1:].transpose(1, 0, 2)  # (P, B, H) after prefix t
    # The first drawn token (position t) of every row: N draws from each prefix's softmax.
    u_first = u[t_of_row, row].reshape(P, N, B).transpose(1, 0, 2)  # (N, P, B)
    first = beta.draw(hs.reshape(P * B, -1), xp.asarray(u_first.reshape(N, P * B)))  # (N, P B)

    def per_row(per_prefix):  # (P, B, ...) -> (R, ...): row (t, n, b) gets per_prefix[t - 1, b]
        shape = per_prefix.shape
        return xp.broadcast_to(per_prefix[:, None], (P, N) + shape[1:]).reshape((R,) + shape[2:])

    h, c = per_row(hs), per_row(cs)  # (R, H)
    seqs = xp.tile(tokens, (P * N, 1))  # (R, T) the given prefix, completed below
    seqs[xp.arange(R), xp.asarray(t_of_row)] = first.reshape(N, P, B).transpose(1, 0, 2).reshape(R)
    step, u = beta.stepper(), xp.asarray(u)

    def chunk(rows):  # complete these rows through every position
        for s in range(2, T):  # position to draw; rows with prefix length t < s draw it
            active = slice(rows.start, min(rows.stop, (s - 1) * N * B))
            if active.start < active.stop:
                h[active], c[active] = step(seqs[active, s - 1], h[active], c[active])
                seqs[active, s] = beta.draw(h[active], u[s, active])

    for_each_chunk(xp, R, beta.chunk_rows, chunk)
    rewards = score_completions(score, tokens, seqs, source=b_of_row, prefix_len=t_of_row)  # (R,)
    Q = rewards.reshape(P, N, B).mean(axis=1).T  # (B, P) the Monte Carlo mean
    Q_last = score(tokens)  # (B,) the whole sequence
    return xp.concatenate([Q, Q_last[:, None]], axis=1)  # (B, T)


def score_completions(score, tokens, completions, source, prefix_len):
    """score(completions) (R,); where ``score`` is a FastDiscriminator's
    ``p_real``, by its per-token tables, sharing each source's prefix."""
    D = getattr(score, "__self__", None)
    if isinstance(D, FastDiscriminator) and score == D.p_real:
        return D.p_real_of_completions(tokens, completions, source, prefix_len)
    return score(completions)
