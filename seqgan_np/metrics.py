"""Evaluation metrics, in nats per token (lower is better)."""


def mean_nll(model, tokens):
    """Mean per-token negative log-likelihood of ``tokens`` (n, T) under
    ``model`` (which checks them: n >= 1, T = model.seq_len; lists accepted)."""
    return float(-model.log_prob(tokens).mean() / model.seq_len)

def nll_oracle(oracle, tokens):
    """NLL-oracle: how likely the oracle finds the generator's samples ``tokens``."""
    return mean_nll(oracle, tokens)

def nll_test(generator, tokens):
    """NLL-test: how likely the generator finds held-out oracle sequences."""
    return mean_nll(generator, tokens)
