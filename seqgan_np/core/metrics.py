"""Evaluation metrics: NLL in nats per token (lower is better); sentence
BLEU in [0, 1] (higher is better), the reward of the PG-BLEU baseline.

NLL-oracle, the paper's measure of the synthetic experiment (section
"Synthetic Data Experiments"), is the oracle's mean per-token negative
log-likelihood of G_theta's samples,

    NLL-oracle = -E_{Y ~ G_theta}[ sum_t log G_oracle(y_t | Y_1..t-1) ] / T,

and NLL-test is G_theta's of held-out oracle sequences (how much of the
real data G covers). ``fast/metrics.py`` holds BLEU's vectorised twin.
"""
import math
from collections import Counter

import numpy as np

from ..backend import to_numpy
from .checks import check_tokens


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


def entropy_rate(model, n, rng):
    """G's entropy rate, estimated: the per-token NLL of n of its own samples
    under itself, -E_{Y ~ G}[log G(Y)] / T (nats per token). A sharper G has
    a lower one; a collapsed G (a few sequences) one near 0."""
    return mean_nll(model, model.sample(n, rng))


def distinct_n(tokens, n):
    """The share of distinct n-grams among all n-grams of ``tokens`` (m, T)
    (host ids): 1 when no n-gram repeats, near 0 when a few are repeated
    over and over (mode collapse)."""
    tokens = np.asarray(tokens)
    grams = [tuple(row[i:i + n]) for row in tokens.tolist() for i in range(len(row) - n + 1)]
    return len(set(grams)) / max(1, len(grams))


def self_bleu(tokens, max_n=4, eps=0.1):
    """Self-BLEU (Zhu et al. 2018, Texygen): the mean BLEU of each sequence of
    ``tokens`` (m, T) against all the others as references, never itself;
    high when the samples resemble one another (low diversity). The
    sequences may have different lengths (lists of ids)."""
    tokens = [[int(y) for y in row] for row in tokens]
    return float(np.mean([sentence_bleu(row, tokens[:i] + tokens[i + 1:], max_n, eps)
                          for i, row in enumerate(tokens)]))


def nll_and_error(model, tokens):
    """``mean_nll`` and its standard error as an estimate from these n rows:
    the sd of the per-sequence NLL per token over sqrt(n) (nan for n = 1)."""
    per_seq = -model.log_prob(tokens) / model.seq_len  # (n,) float64
    n = len(per_seq)
    se = per_seq.std(ddof=1) / math.sqrt(n) if n > 1 else float("nan")
    return float(per_seq.mean()), float(se)


def ngram_counts(sequence, n):
    """How often each n-gram (a tuple of n ids) occurs in ``sequence``."""
    return Counter(tuple(sequence[i:i + n]) for i in range(len(sequence) - n + 1))


def modified_precision(hypothesis, references, n):
    """BLEU's p_n as (numerator, denominator): each n-gram of the hypothesis
    counts at most as often as it occurs in one single reference (its clip)."""
    counts = ngram_counts(hypothesis, n)
    clip = Counter()
    for reference in references:
        clip |= ngram_counts(reference, n)  # | keeps the larger count
    numerator = sum(min(count, clip[gram]) for gram, count in counts.items())
    return numerator, max(1, sum(counts.values()))  # NLTK: at least 1, for n > length


def sentence_bleu(hypothesis, references, max_n=4, eps=0.1):
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
    precisions = [modified_precision(hypothesis, references, n) for n in range(1, max_n + 1)]
    if precisions[0][0] == 0:
        return 0.0
    log_p = [math.log((num if num > 0 else eps) / den) for num, den in precisions]
    c = len(hypothesis)
    r = min((len(reference) for reference in references), key=lambda r: (abs(r - c), r))
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return bp * math.exp(math.fsum(log_p) / max_n)


def bleu(hypotheses, references, max_n=4, eps=0.1):
    """`sentence_bleu` of each hypothesis against all the references -> (B,) float64."""
    return np.array([sentence_bleu(h, references, max_n, eps) for h in hypotheses])


class BleuScore:
    """BLEU of each sequence against ``references`` (m, T) as a scoring
    function, completions (R, T) -> rewards (R,) ``xp`` arrays in ``dtype``:
    the rollout's reward of PG-BLEU in D_phi's place.
    ``fast.FastBleuScore`` is its twin."""

    def __init__(self, references, vocab_size, max_n=4, eps=0.1, xp=np, dtype=np.float32):
        self.references = check_tokens(references, vocab_size, name="references")
        self.vocab_size, self.max_n, self.eps = vocab_size, max_n, eps
        self.xp, self.dtype = xp, dtype

    def scores(self, hypotheses):
        """BLEU (R,) float64 on the host of hypotheses (R, T) (host arrays)."""
        return bleu(hypotheses, self.references, self.max_n, self.eps)

    def __call__(self, completions):
        hypotheses = check_tokens(to_numpy(completions), self.vocab_size, name="hypotheses")
        return self.xp.asarray(self.scores(hypotheses).astype(self.dtype))
