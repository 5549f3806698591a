# Solutions of the exercises of 08_seqgan_on_real_text.ipynb.
# Each section "# %% exN" replaces the TODO cell of exercise N when tutorials/execute.py runs the notebook.

# %% ex1
def encode_line(tokens, index, T):
    # tokens (list of str) -> T ids: index[token] or UNK, then END up to T
    ids = [index.get(token, UNK) for token in tokens]
    return ids + [END] * (T - len(ids))

# %% ex2
from collections import Counter


def clipped_precision(h, refs, n):
    # -> (sum over n-grams g of h of min(count in h, largest count in one reference), max(1, number of n-grams of h))
    def grams(seq):
        return Counter(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))
    counts, clip = grams(h), Counter()
    for ref in refs:
        clip |= grams(ref)  # | keeps the larger count of each n-gram
    return sum(min(c, clip[g]) for g, c in counts.items()), max(1, sum(counts.values()))

# %% ex3
def self_bleu_by_hand(samples, N):
    # samples: lists of ids -> the mean of sentence_bleu(sample i, every other sample, N)
    return float(np.mean([sentence_bleu(s, samples[:i] + samples[i + 1:], N) for i, s in enumerate(samples)]))

# %% ex4
# A colder G concentrates on its likeliest phrases, so its samples resemble one another more.
prediction = "higher"
