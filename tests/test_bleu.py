"""Sentence BLEU (the PG-BLEU reward): the plain version against NLTK's
published figures and hand-made cases; the fast twin equal to the plain."""
import numpy as np
import pytest

from gradcheck import record
from seqgan_np.core.metrics import bleu, modified_precision, sentence_bleu
from seqgan_np.fast.metrics import bleu_from_table, bleu_references

# The examples of NLTK's documentation (nltk/translate/bleu_score.py, the
# docstrings of sentence_bleu, corpus_bleu, modified_precision and
# brevity_penalty; github.com/nltk/nltk at f2a92bd, January 2024). Words
# become ids, case-sensitive ("Party" and "party" differ, as in NLTK).
HYP1 = ("It is a guide to action which ensures that the military always obeys the commands of the "
        "party").split()
HYP2 = "It is to insure the troops forever hearing the activity guidebook that party direct".split()
REF1 = ("It is a guide to action that ensures that the military will forever heed Party "
        "commands").split()
REF2 = ("It is the guiding principle which guarantees the military forces always being under the "
        "command of the Party").split()
REF3 = ("It is the practical guide for the army always to heed the directions of the "
        "party").split()
CORPUS_HYP = "he read the book because he was interested in world history".split()
CORPUS_REF = "he was interested in world history because he read the book".split()


def ids(*sentences):
    """The sentences as lists of ids, one id per distinct word."""
    vocab = {}
    return [[vocab.setdefault(word, len(vocab)) for word in s] for s in sentences]


def published(value, figure):
    """NLTK prints ``figure`` as the first digits of ``value`` ("0.5045...")."""
    return f"{value:.16f}".startswith(figure)


def test_plain_matches_nltk_sentence_bleu_figures():
    hyp1, hyp2, *refs = ids(HYP1, HYP2, REF1, REF2, REF3)
    assert published(sentence_bleu(hyp1, refs), "0.5045")  # BLEU-4
    assert published(sentence_bleu(hyp2, refs), "0.0370")  # method1: no 3-, 4-gram match
    # BLEU-2, -3, -5 with uniform weights; hyp1 matches up to 6-grams, so
    # these unsmoothed figures hold with method1 too (it only touches zeros).
    for max_n, figure in [(2, "0.7453"), (3, "0.6240"), (5, "0.3920")]:
        assert published(sentence_bleu(hyp1, refs, max_n=max_n), figure)


def test_plain_and_fast_match_nltk_average_of_two_sentences():
    """corpus_bleu's docstring: (sentence_bleu(hyp1) + sentence_bleu(hyp2)) / 2
    = 0.6223...; hyp2 and its one reference have the same length (11), so
    the fast twin can score it too."""
    hyp1, corpus_hyp, corpus_ref, *refs = ids(HYP1, CORPUS_HYP, CORPUS_REF, REF1, REF2, REF3)
    second = bleu_from_table(np.array([corpus_hyp]),
                             bleu_references(np.array([corpus_ref]), 64))[0]
    assert second == pytest.approx(sentence_bleu(corpus_hyp, [corpus_ref]), rel=1e-12)
    assert published((sentence_bleu(hyp1, refs) + second) / 2, "0.6223")


def test_modified_precision_matches_nltk_figures():
    the_hyp, cat1, cat2 = ids("the the the the the the the".split(), "the cat is on the mat".split(),
                              "there is a cat on the mat".split())
    num, den = modified_precision(the_hyp, [cat1, cat2], 1)
    assert published(num / den, "0.2857")
    hyp1, hyp2, *refs = ids(HYP1, HYP2, REF1, REF2, REF3)
    for hyp, n, figure in [(hyp1, 1, "0.9444"), (hyp2, 1, "0.5714"),
                           (hyp1, 2, "0.5882352941176471"), (hyp2, 2, "0.0769")]:
        num, den = modified_precision(hyp, refs, n)
        assert published(num / den, figure)


@pytest.mark.parametrize("ref_lengths, hyp_length, figure", [
    ((28, 28), 12, "0.2635971381157267"),  # shorter than every reference
    ((13, 2), 12, "0.9200"),  # the closest reference (13) is longer
    ((13, 11), 12, "1.0"),  # a tie: the shorter reference (11), so no penalty
    ((11, 8), 7, "0.8668"),  # mteval-v13a.pl's example
    ((11, 8, 6, 7), 7, "1.0"),
])
def test_brevity_penalty_matches_nltk_figures(ref_lengths, hyp_length, figure):
    """brevity_penalty's docstring, with sequences of one repeated word: every
    n-gram matches, all p_n = 1, so BLEU is the brevity penalty itself."""
    refs = [[0] * r for r in ref_lengths]
    assert published(sentence_bleu([0] * hyp_length, refs), figure)


HAND_REFS = [[0, 1, 0, 1, 2, 3, 2, 3], [0, 1, 0, 1, 0, 1, 4, 4]]
HAND_CASES = [
    ([0, 1, 0, 1, 2, 3, 2, 3], 1.0),  # a reference itself
    ([5, 6, 7, 5, 6, 7, 5, 6], 0.0),  # no shared unigram: 0, smoothing or not (NLTK)
    # 0, 2, 3 match once each (5 is in no reference): p_1 = 3/8; no bigram
    # matches, so method1 gives p_2, p_3, p_4 = 0.1/7, 0.1/6, 0.1/5.
    ([0, 5, 2, 5, 3, 5, 5, 5], (3 / 8 * 0.1 / 7 * 0.1 / 6 * 0.1 / 5) ** 0.25),
    # Repeated n-grams clipped by their largest count in ONE reference:
    # 0 and 1: 3 each (HAND_REFS[1]) -> 6/8; (0,1): 3, (1,0): 2 -> 5/7;
    # (0,1,0), (1,0,1): 2 each -> 4/6; (0,1,0,1): 2, (1,0,1,0): 1 -> 3/5.
    ([0, 1, 0, 1, 0, 1, 0, 1], (6 / 8 * 5 / 7 * 4 / 6 * 3 / 5) ** 0.25),
]


@pytest.mark.parametrize("hypothesis, expected", HAND_CASES)
def test_hand_made_cases(hypothesis, expected):
    refs = bleu_references(np.array(HAND_REFS), 8)
    assert sentence_bleu(hypothesis, HAND_REFS) == pytest.approx(expected, rel=1e-12)
    assert bleu_from_table(np.array([hypothesis]), refs)[0] == pytest.approx(expected, rel=1e-12)


def related_hypotheses(rng, refs, B, V):
    """Hypotheses that share n-grams with the references: half are a copy of
    one reference with a few ids changed, half are two references spliced."""
    m, T = refs.shape
    hyps = refs[rng.integers(0, m, B)].copy()
    mutate = rng.random((B, T)) < 0.2
    hyps[mutate] = rng.integers(0, V, mutate.sum())
    cut = rng.integers(0, T + 1, B)
    other = refs[rng.integers(0, m, B)]
    splice = (np.arange(T) >= cut[:, None]) & (np.arange(B) % 2 == 1)[:, None]
    return np.where(splice, other, hyps)


def test_fast_equals_plain_on_random_cases(rng):
    """Small vocabularies, so that matches and repeated n-grams abound; short
    lengths too (T < 4: no 4-grams at all, NLTK's denominator of 1)."""
    worst = 0.0
    for _ in range(200):
        V, T, m = int(rng.integers(4, 7)), int(rng.integers(2, 13)), int(rng.integers(1, 31))
        refs = rng.integers(0, V, (m, T))
        hyps = np.concatenate([related_hypotheses(rng, refs, 12, V), rng.integers(0, V, (4, T))])
        max_n = int(rng.integers(1, 6))
        plain = bleu(hyps, refs, max_n=max_n)
        fast = bleu_from_table(hyps, bleu_references(refs, V, max_n=max_n))
        worst = max(worst, np.abs(fast - plain).max())
    record("plain = fast: sentence BLEU", {"bleu": worst})
    assert worst < 1e-12


def test_fast_equals_plain_at_paper_vocabulary(rng):
    """V = 5000, T = 20: the n-gram keys use the whole int64 range of V^4."""
    V, T = 5000, 20
    refs = rng.integers(0, 50, (300, T))  # few distinct ids: many shared n-grams
    refs[::7] = rng.integers(0, V, (len(refs[::7]), T))
    hyps = related_hypotheses(rng, refs, 20, V)
    fast = bleu_from_table(hyps, bleu_references(refs, V))
    assert np.abs(fast - bleu(hyps, refs)).max() < 1e-12
    assert 0 < fast.min() and fast.max() <= 1.0


def test_plain_equals_nltk_on_random_cases(rng):
    """Where NLTK is installed: its sentence_bleu with method1, any lengths."""
    nltk_bleu = pytest.importorskip("nltk.translate.bleu_score")
    method1 = nltk_bleu.SmoothingFunction().method1
    for _ in range(100):
        V = int(rng.integers(3, 7))
        refs = [list(rng.integers(0, V, rng.integers(1, 12))) for _ in range(rng.integers(1, 6))]
        hyp = list(rng.integers(0, V, rng.integers(1, 12)))
        expected = nltk_bleu.sentence_bleu(refs, hyp, smoothing_function=method1)
        assert sentence_bleu(hyp, refs) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_fast_refuses_bad_input():
    refs = bleu_references(np.zeros((3, 6), dtype=np.int64), 10)
    with pytest.raises(ValueError, match="hypotheses: expected sequences of length 6"):
        bleu_from_table(np.zeros((2, 5), dtype=np.int64), refs)
    with pytest.raises(ValueError, match=r"hypotheses: token id 10 is out of range \[0, 10\)"):
        bleu_from_table(np.full((2, 6), 10), refs)
    with pytest.raises(ValueError, match=r"65536 \*\* 4 does not fit in int64"):
        bleu_references(np.zeros((3, 6), dtype=np.int64), 2 ** 16)
    top = np.full((1, 6), 2 ** 15 - 1)  # 2^15: keys up to 2^60 - 1, near int64's end
    assert bleu_from_table(top, bleu_references(top, 2 ** 15))[0] == 1.0


def test_diversity_measures_on_hand_made_samples():
    from seqgan_np.core.metrics import distinct_n, self_bleu
    same = np.array([[1, 2, 3, 4]] * 3)
    apart = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
    assert distinct_n(apart, 2) == 1.0
    assert distinct_n(same, 2) == pytest.approx(3 / 9)  # 3 distinct bigrams among 9
    assert self_bleu(same) == pytest.approx(1.0)  # each row is its references
    assert self_bleu(apart) == 0.0  # no unigram in common: BLEU 0 (NLTK's rule)


def test_entropy_rate_of_a_uniform_model_is_log_V():
    from seqgan_np.core.lm import LanguageModel
    from seqgan_np.core.metrics import entropy_rate
    rng = np.random.default_rng(0)
    G = LanguageModel.random(rng, 7, 3, 3, 5, std=0.1)
    for k in ("W_out", "b_out"):
        G.params[k][...] = 0.0  # every next token equally likely
    assert entropy_rate(G, 20, rng) == pytest.approx(np.log(7), rel=1e-6)
