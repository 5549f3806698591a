"""A text corpus for SeqGAN: one sequence per line, tokens, a vocabulary,
and every line as T token ids.

The conventions, stated once:
- ``END`` (id 0, written ``<eos>``) ends every line shorter than T and
  fills it up to T: one end id for all padding, as Texygen pads. G_theta
  reads id 0 as its start input too (the original code's start token 0),
  as if a line had just ended.
- ``UNK`` (id 1, ``<unk>``) stands for a test token that the training file
  lacks. The training data never hold it; NLL-test is taken over the test
  lines without it, and in BLEU it matches nothing.
- ids 2, 3, ... are the training file's tokens, the most frequent first
  (ties in code-point order).
- Decoding stops at the first END: what G writes after it is dropped.
- T is the longest line of the corpus (training and test) in tokens,
  unless set (``seq_len``); then a longer line is refused, naming its file
  and line.
- Without a test file every ``hold_out_every``-th line of the training file
  (lines 10, 20, 30, ... by default) is held out as the test set.

Tokenizers: ``words`` splits on whitespace (the Chinese poems come with a
space between characters); ``chars`` takes every character, spaces too;
``coco`` is the COCO benchmark's protocol (Texygen): lower-case, then
punctuation split off as NLTK's word tokenizer (``nltk.word_tokenize``)
does on these captions, with the standard library's ``re`` only.
"""
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..run.config import TOKENIZERS

END, UNK = 0, 1
SPECIALS = ("<eos>", "<unk>")


class CorpusError(ValueError):
    """A corpus file that cannot be used; the message names the file (and the line)."""


# ------------------------------------------------------------ tokenizers
# NLTK's word tokenizer: the rules of nltk 3.10's NLTKWordTokenizer, in its
# order (the Treebank rules with Unicode quotes and dashes). Texygen's
# nltk.word_tokenize splits sentences first; no caption needs that.
STARTING_QUOTES = [(re.compile(r"([«“‘„]|[`]+)"), r" \1 "), (re.compile(r'^"'), "``"),
                   (re.compile(r"(``)"), r" \1 "), (re.compile(r'([ \(\[{<])("|\'{2})'), r"\1 `` "),
                   (re.compile(r"(?i)(?<!\w)(')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)"), r"\1 ")]
PUNCTUATION = [(re.compile(r'([^\.])(\.)([\]\)}>"\'»”’ ]*)\s*$'), r"\1 \2 \3 "),
               (re.compile(r"([:,])([^\d])"), r" \1 \2"), (re.compile(r"([:,])$"), r" \1 "),
               (re.compile(r"\.{2,}"), r" \g<0> "), (re.compile(r"[;@#$%&]"), r" \g<0> "),
               (re.compile("[\u2012-\u2015]"), r" \g<0> "),
               (re.compile(r'([^\.])(\.)([\]\)}>"\']*)\s*$'), r"\1 \2\3 "),
               (re.compile(r"[?!]"), r" \g<0> "), (re.compile(r"([^'])' "), r"\1 ' "),
               (re.compile(r"[*]"), r" \g<0> ")]
BRACKETS = (re.compile(r"[\]\[\(\)\{\}<>]"), r" \g<0> ")
DASHES = (re.compile(r"--"), r" -- ")
ENDING_QUOTES = [(re.compile(r"([»”’])"), r" \1 "), (re.compile(r"''"), " '' "),
                 (re.compile(r'"'), " '' "), (re.compile(r"\s+"), " "),
                 (re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 "),
                 (re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 ")]
CONTRACTIONS = [re.compile(p, re.IGNORECASE) for p in (
    r"\b(can)(not)\b", r"\b(d)('ye)\b", r"\b(gim)(me)\b", r"\b(gon)(na)\b", r"\b(got)(ta)\b",
    r"\b(lem)(me)\b", r"\b(more)('n)\b", r"\b(wan)(na)(?=\s)", r" ('t)(is)\b", r" ('t)(was)\b")]


def coco_tokens(line):
    """The COCO protocol: ``line`` lower-cased and split as nltk.word_tokenize."""
    text = line.lower()
    for pattern, replacement in STARTING_QUOTES + PUNCTUATION + [BRACKETS, DASHES]:
        text = pattern.sub(replacement, text)
    text = f" {text} "
    for pattern, replacement in ENDING_QUOTES:
        text = pattern.sub(replacement, text)
    for pattern in CONTRACTIONS:
        text = pattern.sub(r" \1 \2 ", text)
    return text.split()


def tokenize(line, tokenizer):
    """One line as a list of tokens (strings)."""
    if tokenizer == "words":
        return line.split()
    if tokenizer == "chars":
        return list(line)
    return coco_tokens(line)


def detokenize(tokens, tokenizer):
    """Tokens back to one line of text (``chars`` joins without spaces)."""
    return ("" if tokenizer == "chars" else " ").join(tokens)


# ------------------------------------------------------------ vocabulary
@dataclass
class Vocabulary:
    """Tokens by id: ``tokens[i]`` is id i's token (``SPECIALS`` first)."""
    tokens: list

    def __post_init__(self):
        self.index = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def of(cls, lines):
        """The vocabulary of tokenized ``lines``: the specials, then every
        token, the most frequent first (ties in code-point order)."""
        counts = Counter(t for line in lines for t in line)
        return cls(list(SPECIALS) + sorted(counts, key=lambda t: (-counts[t], t)))

    def __len__(self):
        return len(self.tokens)

    def encode(self, lines, seq_len):
        """Tokenized ``lines`` as ids (n, T), each line followed by END up
        to T; a token outside the vocabulary becomes UNK."""
        ids = np.full((len(lines), seq_len), END, dtype=np.int64)  # (n, T)
        for i, line in enumerate(lines):
            ids[i, :len(line)] = [self.index.get(t, UNK) for t in line]
        return ids

    def decode(self, ids):
        """One row of ids as its tokens, up to the first END."""
        ids = [int(y) for y in ids]
        return [self.tokens[y] for y in ids[:ids.index(END) if END in ids else len(ids)]]


def in_vocabulary(ids):
    """Which rows of ids (n, T) hold no UNK -> (n,) bool: the lines NLL-test can score."""
    return (np.asarray(ids) != UNK).all(axis=1)


def cut_at_end(ids):
    """Rows of ids (n, T) as lists of ids up to their first END (n lists):
    the sequences BLEU compares."""
    return [row[:row.index(END)] if END in row else row for row in np.asarray(ids).tolist()]


# ------------------------------------------------------------------- files
def read_lines(path):
    """The lines of a UTF-8 text file, one sequence each. Refused, with
    the file's name (and the line's number): a missing file, a directory,
    an empty file, bytes that are not UTF-8, Windows line endings (\\r\\n)
    and blank lines."""
    path = Path(path)
    if path.is_dir():
        raise CorpusError(f"{path}: is a directory, not a text file (one sequence per line)")
    if not path.exists():
        raise CorpusError(f"{path}: no such file")
    data = path.read_bytes()
    if not data.strip():
        raise CorpusError(f"{path}: the file is empty: expected one sequence per line")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise CorpusError(f"{path}, line {line}: not UTF-8 "
                          f"(byte {data[e.start]:#04x}); save the file as UTF-8") from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    for number, line in enumerate(lines, start=1):
        if line.endswith("\r"):
            raise CorpusError(f"{path}, line {number}: Windows line ending (\\r\\n); "
                              f"convert the file to \\n line endings (dos2unix)")
        if not line.strip():
            raise CorpusError(f"{path}, line {number}: blank line; remove it "
                              f"(one sequence per line)")
    return lines


def tokenized(path, lines, tokenizer, seq_len, numbers):
    """Each line's tokens; a line longer than ``seq_len`` is refused, naming
    its number in the file (``numbers``: the lines' numbers there)."""
    out = [tokenize(line, tokenizer) for line in lines]
    for number, tokens in zip(numbers, out):
        if seq_len and len(tokens) > seq_len:
            raise CorpusError(f"{path}, line {number}: {len(tokens)} tokens, longer than the "
                              f"length set (seq_len={seq_len}); raise seq_len or shorten the line")
    return out


@dataclass
class Corpus:
    """A training and a test set as ids (n, T) and their vocabulary."""
    vocabulary: Vocabulary
    train: np.ndarray  # (n_train, T) ids, END-padded
    test: np.ndarray  # (n_test, T) ids, UNK where the training file lacks a token
    tokenizer: str

    @property
    def seq_len(self):
        return self.train.shape[1]

    def text(self, ids):
        """Rows of ids (n, T) as lines of text."""
        return as_text(self.vocabulary, ids, self.tokenizer)


def as_text(vocabulary, ids, tokenizer):
    """Rows of ids (n, T) as lines of text, each up to its first END."""
    return [detokenize(vocabulary.decode(row), tokenizer) for row in np.asarray(ids)]


def load_corpus(train_file, test_file="", tokenizer="words", seq_len=0, hold_out_every=10):
    """The corpus of ``train_file`` (and ``test_file``; without one, every
    ``hold_out_every``-th training line is the test set): vocabulary from
    the training lines, T = ``seq_len`` or the longest line of either set."""
    if tokenizer not in TOKENIZERS:
        raise CorpusError(f"tokenizer {tokenizer!r}: choose one of {', '.join(TOKENIZERS)}")
    lines = read_lines(train_file)
    numbers = range(1, len(lines) + 1)
    if test_file:
        train_numbers, test_lines = numbers, read_lines(test_file)
        test_numbers, test_source = range(1, len(test_lines) + 1), test_file
    else:
        train_numbers = [n for n in numbers if n % hold_out_every]
        test_numbers = [n for n in numbers if n % hold_out_every == 0]
        if not test_numbers:
            raise CorpusError(f"{train_file}: {len(lines)} lines, none held out as a test set "
                              f"(every {hold_out_every}th line): give --test FILE or more lines")
        test_lines, test_source = [lines[n - 1] for n in test_numbers], train_file
    train = tokenized(train_file, [lines[n - 1] for n in train_numbers], tokenizer, seq_len,
                      train_numbers)
    test = tokenized(test_source, test_lines, tokenizer, seq_len, test_numbers)
    T = seq_len or max(map(len, train + test))
    vocabulary = Vocabulary.of(train)
    return Corpus(vocabulary, vocabulary.encode(train, T), vocabulary.encode(test, T), tokenizer)
