# Solutions of the exercises of 03_discriminator.ipynb. tutorials/execute.py runs the
# notebook with each section below in place of the TODO cell of the same name, so the
# names it uses (np, REAL, FAKE) are the notebook's.

# %% ex1 the highway layer
def my_highway(f, W, b):
    """f (B, d), W (d, 2d) = [W_H | W_T], b (2d,) = [b_H | b_T] -> g (B, d)."""
    d = f.shape[1]
    tau = 1.0 / (1.0 + np.exp(-(f @ W[:, d:] + b[d:])))  # the transform gate
    return tau * np.maximum(f @ W[:, :d] + b[:d], 0.0) + (1.0 - tau) * f


# %% ex2 the two-class softmax is a sigmoid of the logit difference
def p_real_from_logits(z):
    """z (R, 2) logits, columns FAKE = 0 and REAL = 1 -> (R,) sigmoid(z_REAL - z_FAKE)."""
    gap = z[:, REAL] - z[:, FAKE]
    return 1.0 / (1.0 + np.exp(-gap))


# %% ex3 the per-token tables and the responses from them
def my_tables(embedding, W):
    """embedding (V, E), W (K, E, F) -> tables (K, V, F)."""
    return np.stack([embedding @ W[k] for k in range(W.shape[0])])  # tables[k] = E W[k]


def my_window_responses(tables, tokens):
    """tables (K, V, F), tokens (R, T) int -> responses (R, L, F), L = T - K + 1, by lookups and sums."""
    K, T = tables.shape[0], tokens.shape[1]
    L = T - K + 1
    z = tables[0][tokens[:, 0:L]]  # (R, L, F): slot 0 of every window
    for k in range(1, K):
        z = z + tables[k][tokens[:, k:k + L]]  # slot k of window s is token s + k
    return z


# %% ex4 a perfect generator: D_phi can do no better than chance on held-out data
my_guess = 0.5
