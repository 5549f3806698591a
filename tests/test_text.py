"""SeqGAN on text: the corpus (tokenizers, vocabulary, padding), BLEU and
self-BLEU of sequences of any length (plain = fast, hand-computed cases,
NLTK where installed), a tiny text run end to end, resumed, and sampled."""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from seqgan_np import cli
from seqgan_np.core import metrics as plain
from seqgan_np.experiments.corpus import (END, UNK, Vocabulary, coco_tokens, cut_at_end,
                                          load_corpus, tokenize)
from seqgan_np.experiments.text import FIGURES, TEXT_EXPERIMENT, text_config
from seqgan_np.fast import metrics as fast
from seqgan_np.run.checkpoint import load_checkpoint
from seqgan_np.run.runner import CHECKPOINT, Run
from seqgan_np.run.sampling import sample_run

DATA = Path(__file__).resolve().parents[1] / "data"
TINY_TEXT = dict(emb_dim=8, hidden_dim=8, d_emb_dim=8, filter_sizes=(1, 2, 3),
                 num_filters=(4, 4, 4), batch_size=16, pretrain_g_epochs=2, pretrain_d_rounds=1,
                 d_negatives=64, adv_epochs=2, rollouts=2, eval_every=1, checkpoint_every=1,
                 n_final_samples=5, n_eval=32, n_eval_disc=16)
TEXT_SETS = [a for k, v in TINY_TEXT.items()
             for a in ("--set", f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}")]


def write_corpus(path, n=200, seed=0):
    """n captions of a tiny grammar, one per line: 2 to 8 words and a full stop."""
    rng = np.random.default_rng(seed)
    nouns, verbs = ["cat", "dog", "man", "bus", "kite"], ["sits", "runs", "stands", "flies"]
    lines = []
    for _ in range(n):
        words = ["a", rng.choice(nouns), rng.choice(verbs)]
        words += [rng.choice(["on", "near"]), "the", rng.choice(nouns)][:rng.integers(0, 4)]
        lines.append(" ".join(words) + " .")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


def quiet(*args, **kwargs):
    pass


# --------------------------------------------------------------- corpus
@pytest.mark.parametrize("line, tokens", [
    ("A man's dog, running.", ["a", "man", "'s", "dog", ",", "running", "."]),
    ('He said "hi" -- twice!', ["he", "said", "``", "hi", "''", "--", "twice", "!"]),
    ("two people on skis going through the woods..",
     ["two", "people", "on", "skis", "going", "through", "the", "woods", ".."]),
    ("a cake (chocolate) that can't be cut: 3,000 pieces",
     ["a", "cake", "(", "chocolate", ")", "that", "ca", "n't", "be", "cut", ":", "3,000", "pieces"]),
    ("the letters 'mt' on it", ["the", "letters", "'", "mt", "'", "on", "it"]),
])
def test_coco_tokens_split_punctuation_as_nltk(line, tokens):
    assert coco_tokens(line) == tokens


def test_coco_tokens_equal_nltk_on_the_shipped_captions():
    nltk = pytest.importorskip("nltk", reason="NLTK is not installed (pip install nltk to compare)")
    tokenizer = nltk.tokenize.NLTKWordTokenizer()
    for name in ("image_coco.txt", "test_coco.txt"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            assert coco_tokens(line) == tokenizer.tokenize(line.lower()), (name, line)


def test_words_and_chars():
    assert tokenize("秦 川 雄", "words") == ["秦", "川", "雄"]
    assert tokenize("ab c", "chars") == ["a", "b", " ", "c"]


def test_corpus_pads_with_the_end_token_and_decodes_back(tmp_path):
    train = write_corpus(tmp_path / "train.txt", 50)
    test = tmp_path / "test.txt"
    test.write_text("a cat sits .\na zebra sits on the cat .\n", encoding="utf-8")
    corpus = load_corpus(train, test)
    lines = train.read_text().splitlines()
    T = max(len(line.split()) for line in lines)
    assert corpus.seq_len == T and corpus.train.shape == (50, T)
    assert corpus.vocabulary.tokens[:2] == ["<eos>", "<unk>"]
    for row, line in zip(corpus.train, lines):
        n = len(line.split())
        assert (row[n:] == END).all() and (row[:n] > UNK).all()  # END after the line, nothing before
    assert corpus.text(corpus.train) == lines  # the round trip
    assert corpus.test[1].tolist()[:2] == [corpus.vocabulary.index["a"], UNK]  # zebra: unknown
    assert corpus.text(corpus.test) == ["a cat sits .", "a <unk> sits on the cat ."]
    counts = {t: sum(line.split().count(t) for line in lines) for t in corpus.vocabulary.tokens[2:]}
    assert list(counts.values()) == sorted(counts.values(), reverse=True)  # most frequent first


def test_hold_out_every_tenth_line_and_the_length_of_both_sets(tmp_path):
    path = tmp_path / "c.txt"
    lines = [f"w{i} " * (1 + i % 4) for i in range(1, 31)]
    lines[9] = "x " * 12  # line 10, held out, the longest
    path.write_text("\n".join(line.strip() for line in lines) + "\n", encoding="utf-8")
    corpus = load_corpus(path)
    assert len(corpus.train) == 27 and len(corpus.test) == 3
    assert corpus.seq_len == 12  # the longest line of either set
    assert corpus.text(corpus.test)[0] == "<unk> " * 11 + "<unk>"  # x is not a training token


def test_decode_stops_at_the_first_end():
    vocab = Vocabulary(["<eos>", "<unk>", "a", "b"])
    assert vocab.decode([2, 3, 0, 2, 2]) == ["a", "b"]
    assert cut_at_end(np.array([[2, 0, 3], [3, 3, 3], [0, 2, 2]])) == [[2], [3, 3, 3], []]


# ---------------------------------------------------------------- BLEU
def ragged(rng, m, V, lo, hi):
    return [rng.integers(0, V, rng.integers(lo, hi + 1)).tolist() for _ in range(m)]


@pytest.mark.parametrize("seed", range(6))
def test_fast_bleu_and_self_bleu_equal_the_plain_ones_on_any_lengths(seed):
    rng = np.random.default_rng(seed)
    V = int(rng.integers(2, 7))
    hyps, refs = ragged(rng, 15, V, 0, 9), ragged(rng, 10, V, 1, 11)
    for n in (1, 2, 3, 4, 5):
        np.testing.assert_allclose(fast.bleu(hyps, refs, n), plain.bleu(hyps, refs, n),
                                   rtol=1e-12, atol=1e-15)
        assert fast.self_bleu(hyps, n) == pytest.approx(plain.self_bleu(hyps, n), rel=1e-12,
                                                        abs=1e-15)


def test_bleu_by_hand():
    # p1 = 3/4, p2 = 2/3 (a b, b c of a b c e); c = r = 4: BLEU-2 = sqrt(1/2)
    assert plain.bleu([[1, 2, 3, 4]], [[1, 2, 3, 5]], 2)[0] == pytest.approx(math.sqrt(0.5))
    assert fast.bleu([[1, 2, 3, 4]], [[1, 2, 3, 5]], 2)[0] == pytest.approx(math.sqrt(0.5))
    # a short hypothesis: r = 5 (closest), c = 2, BP = exp(1 - 5/2); p1 = p2 = 1
    short = fast.bleu([[1, 2]], [[1, 2, 3, 4, 5], [9, 9, 9, 9, 9, 9, 9, 9]], 2)[0]
    assert short == pytest.approx(math.exp(1 - 5 / 2))
    assert fast.bleu([[]], [[1, 2]], 2)[0] == 0.0  # an empty sample scores 0


def test_self_bleu_of_identical_samples_is_one_and_a_sample_is_never_its_own_reference():
    same = [[1, 2, 3, 4, 5, 6]] * 4
    for n in (2, 3, 4, 5):
        assert fast.self_bleu(same, n) == pytest.approx(1.0)
        assert plain.self_bleu(same, n) == pytest.approx(1.0)
    apart = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15]]
    assert fast.self_bleu(apart, 2) == 0.0 == plain.self_bleu(apart, 2)  # itself would give 1
    # one sample unlike two identical ones: (1 + 1 + 0) / 3
    mixed = [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]
    assert fast.self_bleu(mixed, 4) == pytest.approx(2 / 3)


def test_bleu_equals_nltk_on_sequences_of_any_length():
    nltk = pytest.importorskip("nltk", reason="NLTK is not installed (pip install nltk to compare)")
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    rng = np.random.default_rng(3)
    hyps, refs = ragged(rng, 20, 5, 1, 9), ragged(rng, 8, 5, 1, 11)
    for n in (2, 3, 4, 5):
        ours = fast.bleu(hyps, refs, n)
        theirs = [sentence_bleu(refs, h, (1 / n,) * n, SmoothingFunction().method1) for h in hyps]
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert nltk  # used


# ------------------------------------------------------------ a tiny run
def tiny_text(tmp_path, **changes):
    overrides = [f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
                 for k, v in {**TINY_TEXT, **changes}.items()]
    train = write_corpus(tmp_path / "train.txt", 240)
    return text_config("quick", overrides + [f"train_file={train}"])


class Interrupt(Exception):
    pass


def test_a_tiny_text_run_end_to_end_and_resumed(tmp_path):
    cfg, corpus = tiny_text(tmp_path)
    assert (cfg.vocab_size, cfg.seq_len, cfg.n_train, cfg.n_test) == \
        (len(corpus.vocabulary), corpus.seq_len, 216, 24)
    whole = tmp_path / "whole"
    res = Run(TEXT_EXPERIMENT, cfg, whole, quiet).run()
    for name in ("config.json", "evaluations.csv", "curves.png", "frontier.png", "results.md",
                 "results.json", "samples_seqgan.txt", "samples_mle.txt", "samples_constant.txt",
                 "samples_real.txt", CHECKPOINT):
        assert (whole / name).stat().st_size > 0, name
    assert json.loads((whole / "results.json").read_text()) == json.loads(json.dumps(res))
    assert set(res["finals"]) == {"pretrain", "mle", "seqgan", "constant", "real"}
    for method, values in res["finals"].items():
        assert all(0 <= values[k] <= 1 for k in values if "bleu" in k), method
    assert set(res["finals"]["seqgan"]) == set(FIGURES)
    assert len(res["sweep"]) == 9
    words = set(corpus.vocabulary.tokens[2:])
    samples = (whole / "samples_seqgan.txt").read_text().splitlines()
    assert len(samples) == 5 and all(set(line.split()) <= words for line in samples)
    assert (whole / "samples_real.txt").read_text().splitlines()[0] in \
        (tmp_path / "train.txt").read_text().splitlines()
    # MLE on a tiny grammar: the pre-trained G is far closer to the test set than the untrained one
    untrained = next(r for r in load_checkpoint(whole / CHECKPOINT)[1]["rows"] if r["epoch"] == 0)
    assert res["finals"]["pretrain"]["nll_test"] < untrained["nll_test"]

    def stop_at(phase, done, *args, **kwargs):
        if (phase, done) == ("adversarial", 1):
            raise Interrupt

    cut = tmp_path / "cut"
    with pytest.raises(Interrupt):
        Run(TEXT_EXPERIMENT, cfg, cut, stop_at).run()
    Run.resume(TEXT_EXPERIMENT, cut, quiet).run()
    (a, meta_a), (b, meta_b) = load_checkpoint(whole / CHECKPOINT), load_checkpoint(cut / CHECKPOINT)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    for meta in (meta_a, meta_b):
        for row in meta["rows"]:
            row.pop("seconds")
    for k in ("rows", "vocabulary", "real", "sweep", "done", "rng"):
        assert meta_a[k] == meta_b[k], k
    for name in ("samples_seqgan.txt", "samples_real.txt", "results.md"):
        assert (whole / name).read_text() == (cut / name).read_text(), name


def test_the_command_line_runs_a_corpus_and_samples_it(tmp_path, capsys):
    train = write_corpus(tmp_path / "train.txt", 240)
    out = tmp_path / "run"
    assert cli.main(["text", "--preset", "quick", "--train", str(train), "--out", str(out),
                     *TEXT_SETS]) == 0
    printed = capsys.readouterr().out
    assert "| SeqGAN |" in printed and "| MLE |" in printed
    words = set(train.read_text().split())
    for model in ("seqgan", "mle", "constant"):
        lines = sample_run(out, 7, 0.8, 1, model)
        assert len(lines) == 7 and all(set(line.split()) <= words for line in lines)
    assert sample_run(out, 3, 1.0, 5) == sample_run(out, 3, 1.0, 5)  # the seed decides
    assert cli.main(["sample", str(out), "--n", "4", "--seed", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_sampling_an_oracle_run_prints_ids(tmp_path):
    from test_failures_cli import SETS
    out = tmp_path / "oracle"
    assert cli.main(["oracle-experiment", "--preset", "quick", "--out", str(out), *SETS]) == 0
    lines = sample_run(out, 3)
    assert len(lines) == 3 and all(len(line.split()) == 6 for line in lines)


def test_seeds_give_a_table_with_paired_tests_and_resume(tmp_path):
    from seqgan_np.experiments.text import resume_text_seeds, run_text_seeds
    cfg, _ = tiny_text(tmp_path)
    table = run_text_seeds(cfg, 2, tmp_path / "seeds", progress=quiet)
    assert (tmp_path / "seeds" / "seed-0" / "results.json").exists()
    assert (tmp_path / "seeds" / "seed-1" / "results.json").exists()
    lines = table.splitlines()
    assert lines[0] == "# quick: seeds 0, 1"
    seqgan_mle = next(line for line in lines if line.startswith("| SeqGAN - MLE |"))
    assert seqgan_mle.count("(p ") >= 6  # a paired p-value for every figure of both seeds
    finals = [json.loads((tmp_path / "seeds" / f"seed-{s}" / "results.json").read_text())["finals"]
              for s in (0, 1)]
    mean = (finals[0]["seqgan"]["bleu_2"] + finals[1]["seqgan"]["bleu_2"]) / 2
    assert f"{mean:.3f}" in next(line for line in lines if line.startswith("| SeqGAN |"))
    assert resume_text_seeds(tmp_path / "seeds", progress=quiet) == table  # finished seeds are kept
