# Solutions of the exercises of 05_oracle_experiment.ipynb.
# Each section "# %% exN" replaces the TODO cell of exercise N when tutorials/execute.py runs the notebook.

# %% ex1
# The expected gradient is zero, but Adam's per-parameter normalisation follows the typical sign of each
# logit's skewed noise: rare tokens' logits fall, frequent ones rise, and the entropy falls.
my_guess = "lower"

# %% ex2
# Adam divides each step by the root of the running squared gradient: scaling every gradient by 0.1 (Q = 0.05
# instead of 1/2) scales m and sqrt(v) alike and leaves the steps as they were (eps aside). So the same change as with Q = 1/2.
my_guess_small_Q = float(dH["Adam, lr 0.01"].mean())

# %% ex3
def welch_p(a, b):
    # a, b: 1-D sequences of at least 2 values -> the two-sided p-value (a float)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    return stats.betainc(dof / 2, 0.5, dof / (dof + t * t))

# %% ex4
def constant_g_step(G, opt, state, rng):
    # one policy-gradient step of G with Q = 1/2 everywhere; returns Q (64, T)
    return g_step(G, opt, state, lambda Y: constant_Q(Y, G.xp, G.dtype), 64, rng)
