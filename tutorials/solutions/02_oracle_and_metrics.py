# Solutions of the exercises of 02_oracle_and_metrics.ipynb: each section replaces the exercise cell of
# the same name when tutorials/execute.py runs the notebook.

# %% ex1  predict the effect of alpha = 0.7
# Sharpening keeps G's likeliest tokens, which after MLE the oracle likes too: NLL-oracle falls.
# The held-out sequences also use tokens G now gives less probability to: NLL-test rises.
guess = {"NLL-oracle": "lower", "NLL-test": "higher"}

# %% ex2  NLL-oracle and NLL-test from log_prob
def my_nll_oracle(oracle, samples):
    # NLL-oracle (per token) of a generator's samples (n, T)
    return float(-oracle.log_prob(samples).mean() / oracle.seq_len)  # the ORACLE scores G's samples


def my_nll_test(generator, held_out):
    # NLL-test (per token) of held-out oracle sequences (n, T)
    return float(-generator.log_prob(held_out).mean() / generator.seq_len)  # G scores the oracle's

# %% ex3  distinct-n
def my_distinct_n(tokens, n):
    # the share of distinct n-grams among all n-grams of the rows of tokens (m, T)
    grams = [tuple(row[i:i + n]) for row in np.asarray(tokens).tolist() for i in range(len(row) - n + 1)]
    return len(set(grams)) / len(grams)

# %% ex4  the entropy floor, exactly
import itertools


def exact_entropy_rate(model):
    # -sum over every sequence Y of p(Y) log p(Y), divided by T
    every = np.array(list(itertools.product(range(model.vocab_size), repeat=model.seq_len)))  # (V^T, T)
    log_p = model.log_prob(every)  # (V^T,) log G(Y)
    assert abs(np.exp(log_p).sum() - 1) < 1e-5  # the probabilities of all sequences sum to 1
    return float(-(np.exp(log_p) * log_p).sum() / model.seq_len)
