# Solutions of the exercises of tutorials/04_rollout_and_policy_gradient.ipynb.
# Each section "# %% exN" replaces the TODO cell of that exercise when tutorials/execute.py runs the notebook.

# %% ex1
def q_one_prefix(beta, score, tokens, b, t, N, u):
    # Q(Y_1..t-1, y_t) of sequence b of tokens (B, T), eq. (4), from the uniforms u (T, (T - 1) N B)
    B = tokens.shape[0]
    completions = np.stack([mc_one(beta, tokens[b, :t], u[:, ((t - 1) * N + n) * B + b])
                            for n in range(N)])  # (N, T): MC^beta(Y_1..t; N), eq. (3)
    return float(np.mean(score(completions)))  # the mean of D over the N completions

# %% ex2
def exact_pg_gradient(model, q):
    # sum over the 27 sequences of G(Y) sum_t q[Y, t] grad log G(y_t | Y_1..t-1): {name: array}
    p = np.exp(model.log_prob(ALL))  # (27,) G_theta(Y)
    _, grads = model.pg_loss_and_grads(ALL, p[:, None] * q)  # gradient of -sum_Y sum_t G(Y) q log G(y_t | ...)
    return {k: -g for k, g in grads.items()}

# %% ex3
my_slope = -1.0  # Q is the mean of N independent scores: Var(Q) = sigma^2 / N

# %% ex4
still_unbiased = True  # E[D(Y) | Y_1..t] = Q(Y_1..t-1, y_t), and step t's score depends on Y_1..t only
