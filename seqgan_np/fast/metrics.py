"""Fast twins of ``core.metrics``' BLEU: ``BleuScore`` (many hypotheses of
length T at once against a table of the references' n-grams made once),
``bleu`` and ``self_bleu`` (sequences of any lengths, as text gives).

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


def bleu_from_table(hypotheses, refs, eps=0.1, lengths=None):
    """``core.metrics.bleu`` of all hypotheses (B, W) at once, against the
    references as a table made once by `bleu_references`. Hypothesis b is
    its first ``lengths[b]`` ids (default: all W, which must then be the
    references' T, checked). Within a hypothesis, the count of each
    position's n-gram comes from a (B, L, L) comparison of keys; each
    distinct n-gram adds its clipped count once, at its first position.
    -> (B,) float64."""
    hyps = check_tokens(hypotheses, refs.vocab_size, None if lengths is not None else refs.seq_len,
                        "hypotheses")
    c = np.full(len(hyps), hyps.shape[1]) if lengths is None else np.asarray(lengths)  # (B,)
    log_p = np.zeros(hyps.shape[0])
    for n, (keys, clip) in enumerate(zip(refs.keys, refs.clips), start=1):
        grams = ngram_keys(hyps, n, refs.vocab_size, c)  # (B, L), -1 - j past the end
        L = grams.shape[1]
        same = grams[:, :, None] == grams[:, None, :]  # (B, L, L)
        count = same.sum(axis=2)  # (B, L) occurrences of position j's n-gram
        first = ~(same & np.tri(L, k=-1, dtype=bool)).any(axis=2)  # (B, L) none equal before j
        at = np.minimum(np.searchsorted(keys, grams), max(0, len(keys) - 1))
        ref_count = np.where(keys[at] == grams, clip[at], 0) if len(keys) else 0 * grams  # (B, L)
        numerator = (np.minimum(count, ref_count) * first).sum(axis=1)  # (B,)
        if n == 1:
            scored = numerator > 0  # NLTK: no unigram match, BLEU 0
        log_p += np.log(np.where(numerator > 0, numerator, eps) / np.maximum(1, c - n + 1))
    return np.where(scored, brevity_penalty(c, refs.lengths) * np.exp(log_p / refs.max_n), 0.0)


def brevity_penalty(c, lengths):
    """BP of hypotheses of lengths c (B,) against references of the sorted
    distinct ``lengths``: the closest reference length r (ties: the
    shorter), 1 if c > r else exp(1 - r / c)."""
    r = lengths[np.abs(lengths[None, :] - c[:, None]).argmin(axis=1)]  # (B,): the first, shorter, of ties
    with np.errstate(divide="ignore"):
        return np.where(c > r, 1.0, np.exp(1 - r / np.maximum(c, 1)))


class BleuReferences(NamedTuple):
    """The references as `bleu` reads them: for each order n = 1..max_n, the
    sorted distinct n-gram keys and each one's largest count in one
    reference; the references' distinct lengths, sorted."""
    keys: list  # [n - 1]: (G_n,) int64, sorted
    clips: list  # [n - 1]: (G_n,) int64
    vocab_size: int
    seq_len: int
    max_n: int
    lengths: np.ndarray  # (distinct lengths,) int64, sorted


def bleu_references(references, vocab_size, max_n=4, lengths=None):
    """The table of `bleu` from references (m, W) of ids in [0, vocab_size),
    reference i its first ``lengths[i]`` ids (default: all)."""
    check_positive_int(vocab_size, "vocab_size")
    check_positive_int(max_n, "max_n")
    if vocab_size ** max_n > np.iinfo(np.int64).max:
        raise ValueError(f"vocab_size ** max_n = {vocab_size} ** {max_n} does not fit in int64: "
                         f"{max_n}-gram keys would collide")
    refs = check_tokens(references, vocab_size, name="references")
    lengths = np.full(len(refs), refs.shape[1]) if lengths is None else np.asarray(lengths)
    rows = np.arange(refs.shape[0])[:, None]  # (m, 1)
    keys, clips = [], []
    for n in range(1, max_n + 1):
        grams = ngram_keys(refs, n, vocab_size, lengths)  # (m, L)
        inside = grams >= 0
        pairs = np.stack([grams[inside], np.broadcast_to(rows, grams.shape)[inside]], axis=1)
        pairs, count = np.unique(pairs, axis=0, return_counts=True)  # sorted by key, then row
        key, start = np.unique(pairs[:, 0], return_index=True)  # each key's run of rows
        keys.append(key)
        clips.append(np.maximum.reduceat(count, start) if len(count) else count)
    return BleuReferences(keys, clips, vocab_size, refs.shape[1], max_n, np.unique(lengths))


def ngram_keys(tokens, n, vocab_size, lengths=None):
    """Each n-gram of ``tokens`` (m, W) as one int64, its ids the digits in
    base V: key_j = sum_k y_{j+k} V^(n-1-k) -> (m, L), L = max(0, W - n + 1).
    An n-gram past a row's length (``lengths``) gets the key -1 - j: no
    other n-gram's."""
    L = max(0, tokens.shape[1] - n + 1)
    keys = np.zeros((tokens.shape[0], L), dtype=np.int64)
    for k in range(n):
        keys = keys * vocab_size + tokens[:, k:k + L]
    if lengths is None:
        return keys
    past = np.arange(L)[None, :] + n > np.asarray(lengths)[:, None]  # (m, L)
    return np.where(past, -1 - np.arange(L)[None, :], keys)


# ------------------------------------------------ sequences of any length
def padded(sequences):
    """Sequences of ids (lists of any lengths) as one array (m, W), 0 past
    each end, and their lengths (m,)."""
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    out = np.zeros((len(sequences), max(1, lengths.max(initial=0))), dtype=np.int64)
    for i, s in enumerate(sequences):
        out[i, :len(s)] = s
    return out, lengths


def bleu(hypotheses, references, max_n=4, eps=0.1):
    """Twin of ``core.metrics.bleu``: sequences of any lengths, one table of
    the references' n-grams for all hypotheses -> (B,) float64."""
    (hyps, c), (refs, r) = padded(hypotheses), padded(references)
    table = bleu_references(refs, int(max(hyps.max(), refs.max())) + 1, max_n, r)
    return bleu_from_table(hyps, table, eps, c)


def self_bleu(tokens, max_n=4, eps=0.1):
    """Twin of ``core.metrics.self_bleu``: each sequence against all the
    others at once. An n-gram's clip without sequence i is its largest
    count in one sequence, or the second largest where i holds the largest."""
    seqs, c = padded(tokens)
    V, m = int(seqs.max()) + 1, len(seqs)
    log_p, rows = np.zeros(m), np.arange(m)
    for n in range(1, max_n + 1):
        grams = ngram_keys(seqs, n, V, c)  # (m, L)
        L = grams.shape[1]
        same = grams[:, :, None] == grams[:, None, :]  # (m, L, L)
        count = same.sum(axis=2)  # (m, L)
        first = ~(same & np.tri(L, k=-1, dtype=bool)).any(axis=2) & (grams >= 0)  # (m, L)
        key, row, k = grams[first], np.broadcast_to(rows[:, None], grams.shape)[first], count[first]
        order = np.lexsort((-k, key))  # by key, then the largest count first
        key, row, k = key[order], row[order], k[order]
        head = np.ones(len(key), dtype=bool)
        head[1:] = key[1:] != key[:-1]  # the largest count of each key
        start = np.flatnonzero(head)
        run = np.cumsum(head) - 1  # each entry's key number
        top_row, top = row[start], k[start]
        second = np.zeros(len(start), dtype=np.int64)
        has_second = np.r_[~head[1:], False][start]  # a key held by two or more sequences
        second[has_second] = k[start[has_second] + 1]
        clip = np.where(top_row[run] == row, second[run], top[run])  # without the sequence itself
        numerator = np.bincount(row, np.minimum(k, clip), minlength=m)  # (m,)
        if n == 1:
            scored = numerator > 0
        log_p += np.log(np.where(numerator > 0, numerator, eps) / np.maximum(1, c - n + 1))
    bp = np.array([brevity_penalty(c[i:i + 1], np.unique(np.delete(c, i)))[0] for i in rows])
    return float(np.mean(np.where(scored, bp * np.exp(log_p / max_n), 0.0)))
