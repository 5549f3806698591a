"""Evaluation metrics: NLL in nats per token (lower is better); sentence
BLEU in [0, 1] (higher is better), the reward of the PG-BLEU baseline."""
import math
from collections import Counter
from typing import NamedTuple

import numpy as np

from .checks import check_positive_int, check_tokens


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


def nll_and_error(model, tokens):
    """``mean_nll`` and its standard error as an estimate from these n rows:
    the sd of the per-sequence NLL per token over sqrt(n) (nan for n = 1)."""
    per_seq = -model.log_prob(tokens) / model.seq_len  # (n,) float64
    n = len(per_seq)
    se = per_seq.std(ddof=1) / math.sqrt(n) if n > 1 else float("nan")
    return float(per_seq.mean()), float(se)


def ngram_counts_plain(sequence, n):
    """How often each n-gram (a tuple of n ids) occurs in ``sequence``."""
    return Counter(tuple(sequence[i:i + n]) for i in range(len(sequence) - n + 1))


def modified_precision_plain(hypothesis, references, n):
    """BLEU's p_n as (numerator, denominator): each n-gram of the hypothesis
    counts at most as often as it occurs in one single reference (its clip)."""
    counts = ngram_counts_plain(hypothesis, n)
    clip = Counter()
    for reference in references:
        clip |= ngram_counts_plain(reference, n)  # | keeps the larger count
    numerator = sum(min(count, clip[gram]) for gram, count in counts.items())
    return numerator, max(1, sum(counts.values()))  # NLTK: at least 1, for n > length


def sentence_bleu_plain(hypothesis, references, max_n=4, eps=0.1):
    """Sentence BLEU of one hypothesis (a sequence of token ids) against
    ``references`` (a list of such), as NLTK's ``sentence_bleu`` with uniform
    weights and ``SmoothingFunction(epsilon=eps).method1`` computes it:

        BLEU = BP * exp(sum_{n=1..max_n} log(p_n) / max_n),
        BP = 1 if c > r else exp(1 - r / c),

    c the hypothesis length, r the reference length closest to c (ties: the
    shorter). Smoothing (method1) is our choice: a p_n without any clipped
    match becomes eps / denominator instead of 0, so that a sequence without
    4-gram matches still gets a graded reward. Without a single unigram match
    BLEU is 0, smoothing or not (NLTK's rule)."""
    hypothesis = [int(y) for y in hypothesis]
    references = [[int(y) for y in reference] for reference in references]
    precisions = [modified_precision_plain(hypothesis, references, n) for n in range(1, max_n + 1)]
    if precisions[0][0] == 0:
        return 0.0
    log_p = [math.log((num if num > 0 else eps) / den) for num, den in precisions]
    c = len(hypothesis)
    r = min((len(reference) for reference in references), key=lambda r: (abs(r - c), r))
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return bp * math.exp(math.fsum(log_p) / max_n)


def bleu_plain(hypotheses, references, max_n=4, eps=0.1):
    """`sentence_bleu_plain` of each hypothesis against all the references -> (B,)."""
    return np.array([sentence_bleu_plain(h, references, max_n, eps) for h in hypotheses])


def bleu(hypotheses, refs, eps=0.1):
    """Fast twin of `bleu_plain`: all hypotheses (B, T) at once, against
    the references as a table made once by `bleu_references`. The
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
