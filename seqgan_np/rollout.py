"""Monte Carlo rollout: the action values Q of the paper's equation (4).

Shape legend: B batch, T length, N rollouts, P = T - 1 prefixes, R = P N B rows.

For a sequence Y_1..T from G_theta and every step t:

    Q(Y_1..t-1, y_t) = 1/N sum_n D_phi(Y_1..t ++ MC^beta_n(Y_1..t))   t < T
    Q(Y_1..T-1, y_T) = D_phi(Y_1..T)                                  t = T

where MC^beta_n completes the prefix Y_1..t by sampling from the rollout
policy G_beta. All B x N x (T-1) completions advance together as one batch:
row r holds prefix length t, rollout n and sequence b, ordered by t, so that
the rows still to be extended at position p are a leading block.
"""


def rollout_rewards(tokens, beta, discriminator, n_rollouts, rng):
    """Q (B, T) for tokens (B, T), completing with ``beta`` (a LanguageModel)
    and scoring with D(real) of ``discriminator``. ``rng`` is a host generator."""
    xp = beta.xp
    tokens = beta.checked(tokens)
    B, T = tokens.shape
    P, N = T - 1, n_rollouts
    # State of G_beta before reading y_t, for prefix length t = 1..T-1: it
    # has read the start token and y_1..y_{t-1}. Computed once per sequence.
    hs, cs = beta.states(tokens)  # (B, T, H)

    def per_row(s):  # (B, T, H) -> (R, H): prefix t's state for each of its N x B rows
        s = s[:, :P].transpose(1, 0, 2)[:, None]  # (P, 1, B, H)
        return xp.broadcast_to(s, (P, N, B, s.shape[-1])).reshape(P * N * B, -1)

    h, c = per_row(hs), per_row(cs)  # (R, H)
    seqs = xp.tile(tokens, (P * N, 1))  # (R, T) the given prefix, completed below
    table = beta.input_table()
    for p in range(1, T):  # position to draw; rows with prefix length t <= p draw it
        a = p * N * B
        h[:a], c[:a] = beta.step(table, seqs[:a, p - 1], h[:a], c[:a])
        seqs[:a, p] = beta.draw(h[:a], rng)
    d_real = discriminator.predict_proba(seqs)[:, 1]  # (R,)
    q = d_real.reshape(P, N, B).mean(axis=1).T  # (B, P) average over rollouts
    q_last = discriminator.predict_proba(tokens)[:, 1]  # (B,) the whole sequence
    return xp.concatenate([q, q_last[:, None]], axis=1)  # (B, T)


def update_rollout_policy(beta_params, theta_params, rate):
    """beta <- rate * beta + (1 - rate) * theta, in place; rate 0 gives beta = theta."""
    for k, b in beta_params.items():
        b *= rate
        b += (1.0 - rate) * theta_params[k]
