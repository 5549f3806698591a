"""Fast twin of ``core.metrics.BleuScore``: BLEU of many hypotheses at once
against a table of the references' n-grams made once.

Shape legend: B hypotheses, T length, m references, L n-grams per row,
G_n distinct n-grams of order n.
"""
from typing import NamedTuple

import numpy as np

from ..core.checks import check_positive_int, check_tokens
from ..core.metrics import BleuScore


class FastBleuScore(BleuScore):
    """Twin of ``BleuScore``: the references become a table of n-gram keys."""

    def __init__(self, references, vocab_size, max_n=4, eps=0.1, xp=np, dtype=np.float32):
        super().__init__(references, vocab_size, max_n, eps, xp, dtype)
        self.table = bleu_references(self.references, vocab_size, max_n)

    def scores(self, hypotheses):
        return bleu_from_table(hypotheses, self.table, self.eps)


def bleu_from_table(hypotheses, refs, eps=0.1):
    """``core.metrics.bleu`` of all hypotheses (B, T) at once, against the
    references as a table made once by `bleu_references`. The
    hypotheses must have the references' length T (checked), so the closest
    reference length is c itself and BP = 1. Within a hypothesis, the count
    of each position's n-gram comes from a (B, L, L) comparison of keys;
    each distinct n-gram adds its clipped count once, at its first position.
    -> (B,) float64."""
    hyps = check_tokens(hypotheses, refs.vocab_size, refs.seq_len, "hypotheses")
    log_p = np.zeros(hyps.shape[0])
    for n, (keys, clip) in enumerate(zip(refs.keys, refs.clips), start=1):
        grams = ngram_keys(hyps, n, refs.vocab_size)  # (B, L)
        L = grams.shape[1]
        same = grams[:, :, None] == grams[:, None, :]  # (B, L, L)
        count = same.sum(axis=2)  # (B, L) occurrences of position j's n-gram
        first = ~(same & np.tri(L, k=-1, dtype=bool)).any(axis=2)  # (B, L) none equal before j
        at = np.minimum(np.searchsorted(keys, grams), len(keys) - 1)
        ref_count = np.where(keys[at] == grams, clip[at], 0)  # (B, L) 0: in no reference
        numerator = (np.minimum(count, ref_count) * first).sum(axis=1)  # (B,)
        if n == 1:
            scored = numerator > 0  # NLTK: no unigram match, BLEU 0
        log_p += np.log(np.where(numerator > 0, numerator, eps) / max(1, L))
    return np.where(scored, np.exp(log_p / refs.max_n), 0.0)


class BleuReferences(NamedTuple):
    """The references as `bleu` reads them: for each order n = 1..max_n, the
    sorted distinct n-gram keys and each one's largest count in one reference."""
    keys: list  # [n - 1]: (G_n,) int64, sorted
    clips: list  # [n - 1]: (G_n,) int64
    vocab_size: int
    seq_len: int
    max_n: int


def bleu_references(references, vocab_size, max_n=4):
    """The table of `bleu` from references (m, T) of ids in [0, vocab_size)."""
    check_positive_int(vocab_size, "vocab_size")
    check_positive_int(max_n, "max_n")
    if vocab_size ** max_n > np.iinfo(np.int64).max:
        raise ValueError(f"vocab_size ** max_n = {vocab_size} ** {max_n} does not fit in int64: "
                         f"{max_n}-gram keys would collide")
    refs = check_tokens(references, vocab_size, name="references")
    rows = np.arange(refs.shape[0])[:, None]  # (m, 1)
    keys, clips = [], []
    for n in range(1, max_n + 1):
        grams = ngram_keys(refs, n, vocab_size)  # (m, L)
        pairs = np.stack([grams.ravel(), np.broadcast_to(rows, grams.shape).ravel()], axis=1)
        pairs, count = np.unique(pairs, axis=0, return_counts=True)  # sorted by key, then row
        key, start = np.unique(pairs[:, 0], return_index=True)  # each key's run of rows
        keys.append(key)
        clips.append(np.maximum.reduceat(count, start))
    return BleuReferences(keys, clips, vocab_size, refs.shape[1], max_n)


def ngram_keys(tokens, n, vocab_size):
    """Each n-gram of ``tokens`` (m, T) as one int64, its ids the digits in
    base V: key_j = sum_k y_{j+k} V^(n-1-k) -> (m, L), L = max(0, T - n + 1)."""
    L = max(0, tokens.shape[1] - n + 1)
    keys = np.zeros((tokens.shape[0], L), dtype=np.int64)
    for k in range(n):
        keys = keys * vocab_size + tokens[:, k:k + L]
    return keys
