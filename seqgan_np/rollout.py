"""Monte Carlo rollout: the action values Q of the paper's equation (4).

Shape legend: B batch, T length, N rollouts, P = T - 1 prefixes, R = P N B
rows of the fast twin's flat batch.

For a sequence Y_1..T from G_theta and every step t:

    Q(Y_1..t-1, y_t) = 1/N sum_n D_phi(MC^beta_n(Y_1..t))   t < T
    Q(Y_1..T-1, y_T) = D_phi(Y_1..T)                         t = T

where MC^beta_n(Y_1..t) keeps the prefix Y_1..t and completes it to length T
by sampling from the rollout policy G_beta (equation (3)).

``rollout_rewards_plain`` computes this as written: one prefix length and
one rollout at a time. ``rollout_rewards``, its fast twin, gives the same
numbers from the same uniforms with all P N B completions as one batch.
"""
import numpy as np

from .backend import for_each_chunk
from .checks import check_positive_int
from .discriminator import REAL


def rollout_uniforms(rng, B, T, N):
    """The uniforms of one rollout, shared by both twins: u[s, r] draws the
    token at position s of completion r = ((t - 1) N + n) B + b, the n-th
    rollout of sequence b's prefix of length t. (T, P N B) from the host ``rng``."""
    return rng.random((T, (T - 1) * N * B))


def checked_rollout(tokens, beta, n_rollouts):
    """The checks both twins make: ``tokens`` (an array or nested lists) as
    ``beta``'s array, of at least 2 tokens per row, and n_rollouts >= 1."""
    tokens = beta.checked(tokens)
    check_positive_int(n_rollouts, "n_rollouts")
    if tokens.shape[1] < 2:
        raise ValueError(f"tokens: the rollout needs sequences of at least 2 tokens "
                         f"(a prefix to complete), got shape {tuple(tokens.shape)}")
    return tokens


def complete_plain(beta, prefix, u):
    """MC^beta(Y_1..t), equation (3): keep the prefix (B, t), then sample
    the tokens at positions t..T-1 from G_beta, uniforms u (T, B) -> (B, T)."""
    B, t = prefix.shape
    y = beta.xp.full(B, beta.start_token, dtype=prefix.dtype)  # the first input
    h, c = beta.zero_state(B)
    seq = []
    for s in range(beta.seq_len):
        h, c = beta.step_plain(y, h, c)  # has read the inputs up to y_s
        y = prefix[:, s] if s < t else beta.draw_plain(h, u[s])  # (B,) token at position s
        seq.append(y)
    return beta.xp.stack(seq, axis=1)


def rollout_rewards_plain(tokens, beta, discriminator, n_rollouts, rng):
    """Q (B, T) of equation (4) for tokens Y (B, T): for each prefix length t
    and each rollout n, complete the prefix with G_beta (``beta``, a
    LanguageModel) and score it with D(real) of ``discriminator``."""
    xp = beta.xp
    tokens = checked_rollout(tokens, beta, n_rollouts)
    B, T = tokens.shape
    N = n_rollouts
    u = xp.asarray(rollout_uniforms(rng, B, T, N))  # (T, P N B)
    Q = []
    for t in range(1, T):  # prefix Y_1..t
        d_real = []
        for n in range(N):
            r = ((t - 1) * N + n) * B  # this rollout's first column of u
            completion = complete_plain(beta, tokens[:, :t], u[:, r:r + B])  # (B, T)
            d_real.append(discriminator.predict_proba_plain(completion)[:, REAL])  # (B,)
        Q.append(sum(d_real) / N)  # (B,) the Monte Carlo mean
    Q.append(discriminator.predict_proba_plain(tokens)[:, REAL])  # t = T: the sequence itself
    return xp.stack(Q, axis=1)  # (B, T)


def rollout_rewards(tokens, beta, discriminator, n_rollouts, rng):
    """Fast twin of ``rollout_rewards_plain`` (the same uniforms, the same Q):
    all P N B completions advance together as one flat batch, with less work:
    - G_beta's state after each prefix is computed once per sequence
      (``beta.states``), and the N rollouts of a prefix draw their first
      token from that one softmax;
    - row r = ((t - 1) N + n) B + b holds prefix length t, rollout n and
      sequence b, ordered by t, so the rows that still draw at position s
      (those with t < s) are a leading block;
    - the rows are independent, so they go in chunks on threads
      (``for_each_chunk``), each chunk through all positions;
    - D is fixed meanwhile, so it scores the completions from per-token
      tables (``Discriminator.predict_real_of_completions``)."""
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
    table, u = beta.input_table(), xp.asarray(u)

    def chunk(rows):  # complete these rows through every position
        for s in range(2, T):  # position to draw; rows with prefix length t < s draw it
            active = slice(rows.start, min(rows.stop, (s - 1) * N * B))
            if active.start < active.stop:
                h[active], c[active] = beta.step(table, seqs[active, s - 1], h[active], c[active])
                seqs[active, s] = beta.draw(h[active], u[s, active])

    for_each_chunk(xp, R, beta.chunk_rows, chunk)
    d_real = discriminator.predict_real_of_completions(
        tokens, seqs, source=b_of_row, prefix_len=t_of_row)  # (R,)
    Q = d_real.reshape(P, N, B).mean(axis=1).T  # (B, P) the Monte Carlo mean
    Q_last = discriminator.predict_proba(tokens)[:, REAL]  # (B,) the whole sequence
    return xp.concatenate([Q, Q_last[:, None]], axis=1)  # (B, T)


def update_rollout_policy(beta_params, theta_params, rate):
    """beta <- rate * beta + (1 - rate) * theta, in place; rate 0 gives beta = theta."""
    if not 0.0 <= rate <= 1.0:  # NaN fails too
        raise ValueError(f"rate: expected a number in [0, 1], got {rate!r}")
    for k, b in beta_params.items():
        b *= rate
        b += (1.0 - rate) * theta_params[k]
