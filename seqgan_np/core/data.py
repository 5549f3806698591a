"""Shuffled mini-batches, as the original: whole batches only, so an epoch
over n rows takes n // batch_size steps and the last partial batch is left out."""


def shuffled_batches(n, batch_size, rng):
    """Row indices of one epoch over n rows: a list of (batch_size,) arrays."""
    order = rng.permutation(n)
    return [order[s:s + batch_size] for s in range(0, n - batch_size + 1, batch_size)]
