"""Monte Carlo rollout: the action values Q of the paper's equation (4).

Shape legend: B batch, T length, N rollouts, P = T - 1 prefixes, R = P N B rows.

For a sequence Y_1..T from G_theta and every step t:

    Q(Y_1..t-1, y_t) = 1/N sum_n D_phi(Y_1..t ++ MC^beta_n(Y_1..t))   t < T
    Q(Y_1..T-1, y_T) = D_phi(Y_1..T)                                  t = T

where MC^beta_n completes the prefix Y_1..t by sampling from the rollout
policy G_beta. All B x N x (T-1) completions advance together as one batch:
row r holds prefix length t, rollout n and sequence b, ordered by t, so that
the rows still to be extended at position p are a leading block. The rows
are independent, so they go in chunks (on threads, see ``for_each_chunk``).
D_phi is fixed meanwhile, which lets it score the completions from per-token
tables (``Discriminator.predict_real_of_completions``).
"""
import numpy as np

from .backend import for_each_chunk


def rollout_rewards(tokens, beta, discriminator, n_rollouts, rng):
    """Q (B, T) for tokens (B, T), completing with ``beta`` (a LanguageModel)
    and scoring with D(real) of ``discriminator``. ``rng`` is a host generator."""
    xp = beta.xp
    tokens = beta.checked(tokens)
    B, T = tokens.shape
    P, N = T - 1, n_rollouts
    R = P * N * B
    u = rng.random((T, R))  # one uniform per position and row, drawn up front (host)
    # G_beta's state after reading the prefix Y_1..t, for t = 1..T-1, computed
    # once per sequence; its N rollouts all draw y_t+1 from that one softmax.
    hs, cs = beta.states(tokens)  # (B, T, H): hs[:, t] has read y_1..y_t
    hs, cs = hs[:, 1:].transpose(1, 0, 2), cs[:, 1:].transpose(1, 0, 2)  # (P, B, H)
    row = np.arange(R)
    t_of_row = row // (N * B) + 1  # prefix length of each row
    u_first = u[t_of_row, row].reshape(P, N, B).transpose(1, 0, 2)  # (N, P, B)
    first = beta.draw(hs.reshape(P * B, -1), xp.asarray(u_first.reshape(N, P * B)))  # (N, P B)

    def per_row(a):  # (P, B, ...) -> (R, ...): row (t, n, b) gets a[t, b]
        return xp.broadcast_to(a[:, None], (P, N) + a.shape[1:]).reshape((R,) + a.shape[2:])

    h, c = per_row(hs), per_row(cs)  # (R, H)
    seqs = xp.tile(tokens, (P * N, 1))  # (R, T) the given prefix, completed below
    seqs[xp.arange(R), xp.asarray(t_of_row)] = first.reshape(N, P, B).transpose(1, 0, 2).reshape(R)
    table, u = beta.input_table(), xp.asarray(u)

    def chunk(rows):  # the rows are independent: complete them chunk by chunk
        for p in range(2, T):  # position to draw; rows with prefix length t < p draw it
            a = slice(rows.start, min(rows.stop, (p - 1) * N * B))
            if a.start < a.stop:
                h[a], c[a] = beta.step(table, seqs[a, p - 1], h[a], c[a])
                seqs[a, p] = beta.draw(h[a], u[p, a])

    for_each_chunk(xp, R, beta.chunk_rows, chunk)
    d_real = discriminator.predict_real_of_completions(
        tokens, seqs, source=row % B, prefix_len=t_of_row)  # (R,)
    q = d_real.reshape(P, N, B).mean(axis=1).T  # (B, P) average over rollouts
    q_last = discriminator.predict_proba(tokens)[:, 1]  # (B,) the whole sequence
    return xp.concatenate([q, q_last[:, None]], axis=1)  # (B, T)


def update_rollout_policy(beta_params, theta_params, rate):
    """beta <- rate * beta + (1 - rate) * theta, in place; rate 0 gives beta = theta."""
    for k, b in beta_params.items():
        b *= rate
        b += (1.0 - rate) * theta_params[k]
