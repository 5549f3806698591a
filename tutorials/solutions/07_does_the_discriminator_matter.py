# Solutions of the exercises of 07_does_the_discriminator_matter.ipynb.
# Each section "# %% exN" replaces the TODO cell of exercise N when tutorials/execute.py runs the notebook.

# %% ex1
def expected_pg(model, q):
    # sum over the 27 sequences Y of G(Y) sum_t q[Y, t] grad log G(y_t | Y_1..t-1): {name: array like model.params[name]}
    p = np.exp(model.log_prob(ALL))  # (27,) G(Y)
    _, grads = model.pg_loss_and_grads(ALL, p[:, None] * q)  # the gradient of -sum_Y sum_t G(Y) q log G(y_t | ...)
    return {k: -g for k, g in grads.items()}

# %% ex2
def leave_one_out(Q):
    # Q (B, T), B >= 2 -> (B, T): each row minus the mean of the other rows' entries
    B, T = Q.shape
    others = (Q.sum() - Q.sum(axis=1, keepdims=True)) / ((B - 1) * T)  # (B, 1): the mean of the other rows
    return Q - others

# %% ex3
# Q is the mean of N independent completions' scores: Var = sigma^2 / N, so 8 completions divide the variance by 8.
predicted_var_Q_8 = var_Q_1 / 8

# %% ex4
def change_probability(V, tau):
    # P(y_t != y*_t) under q(y | y*; tau) with the Hamming payoff, vocabulary V
    w = (V - 1) * math.exp(-1.0 / tau)  # the V - 1 other tokens, each of weight e^(-1/tau); y*_t has weight 1
    return w / (1.0 + w)
