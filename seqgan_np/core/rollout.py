"""Monte Carlo rollout: the action values Q of the paper's equation (4).

Shape legend: B batch, T length, N rollouts, P = T - 1 prefixes, R = P N B
rows of the fast twin's flat batch.

For a sequence Y_1..T from G_theta and every step t:

    Q(Y_1..t-1, y_t) = 1/N sum_n D_phi(MC^beta_n(Y_1..t))   t < T
    Q(Y_1..T-1, y_T) = D_phi(Y_1..T)                         t = T

where MC^beta_n(Y_1..t) keeps the prefix Y_1..t and completes it to length T
by sampling from the rollout policy G_beta (equation (3)).

``rollout_Q`` computes this as written: one prefix length and one rollout
at a time. D_phi enters as a scoring function, completions (R, T) -> one
reward per row (R,): ``Discriminator.p_real``, or in its place BLEU or a
constant (the baselines). ``fast.rollout_Q``, its twin, gives the same
numbers from the same uniforms with all P N B completions as one batch.
After each g-step the rollout policy follows G_theta:
beta <- r beta + (1 - r) theta (``update_rollout_policy``; r = 0 is the
paper's beta <- theta).
"""
from .checks import check_positive_int


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


def complete(beta, prefix, u):
    """MC^beta(Y_1..t), equation (3): keep the prefix (B, t), then sample
    the tokens at positions t..T-1 from G_beta, uniforms u (T, B) -> (B, T)."""
    B, t = prefix.shape
    y = beta.xp.full(B, beta.start_token, dtype=prefix.dtype)  # the first input
    h, c = beta.zero_state(B)
    step, seq = beta.stepper(), []
    for s in range(beta.seq_len):
        h, c = step(y, h, c)  # has read the inputs up to y_s
        y = prefix[:, s] if s < t else beta.draw(h, u[s])  # (B,) token at position s
        seq.append(y)
    return beta.xp.stack(seq, axis=1)


def rollout_Q(tokens, beta, score, n_rollouts, rng):
    """Q (B, T) of equation (4) for tokens Y (B, T): for each prefix length t
    and each rollout n, complete the prefix with G_beta (``beta``, a
    LanguageModel) and score it: ``score`` maps completions (B, T) to one
    reward per row (B,), D_phi(Y) for SeqGAN (``Discriminator.p_real``)."""
    xp = beta.xp
    tokens = checked_rollout(tokens, beta, n_rollouts)
    B, T = tokens.shape
    N = n_rollouts
    u = xp.asarray(rollout_uniforms(rng, B, T, N))  # (T, P N B)
    Q = []
    for t in range(1, T):  # prefix Y_1..t
        rewards = []
        for n in range(N):
            first = ((t - 1) * N + n) * B  # this rollout's first column of u
            completion = complete(beta, tokens[:, :t], u[:, first:first + B])  # (B, T)
            rewards.append(score(completion))  # (B,)
        Q.append(sum(rewards) / N)  # (B,) the Monte Carlo mean
    Q.append(score(tokens))  # t = T: the sequence itself
    return xp.stack(Q, axis=1)  # (B, T)


def update_rollout_policy(beta_params, theta_params, rate):
    """beta <- rate * beta + (1 - rate) * theta, in place; rate 0 gives beta = theta
    (Algorithm 1's last line)."""
    if not 0.0 <= rate <= 1.0:  # NaN fails too
        raise ValueError(f"rate: expected a number in [0, 1], got {rate!r}")
    for k, b in beta_params.items():
        b *= rate
        b += (1.0 - rate) * theta_params[k]
