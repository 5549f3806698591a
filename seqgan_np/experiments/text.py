"""SeqGAN on text: the paper's Chinese poems, the COCO captions benchmark
or a corpus of one's own, measured as the field measures text GANs.

The phases are the oracle experiment's (``run/oracle_experiment.py``) with
a corpus as the real data S, then two more:

  data             the corpus as ids (``corpus.py``); the BLEU and
                   self-BLEU of real training lines, for reference
  pretrain_g, mle_branch, pretrain_d, adversarial: Algorithm 1 and the MLE
                   branch, as on the oracle task
  constant_branch  the policy gradient with Q = 1/2 and no D (Table 1's
                   control), from the pre-trained G
  temperature      the MLE branch's final G sampled from softmax(logits /
                   alpha) for each alpha of TEMPERATURES: BLEU against
                   self-BLEU, quality against diversity

The protocol of every evaluation (``figures``), on n_eval samples of G:
  BLEU-n       NLTK's sentence BLEU with uniform weights over 1..n-grams and
               SmoothingFunction().method1 (epsilon 0.1), of each sample cut
               at its first end token, against every line of the test set as
               references (all of them, not Texygen's first 500); the mean
               over the samples. A test token outside the vocabulary
               matches nothing.
  self-BLEU-n  the same of each sample against the other samples, never itself
  NLL-test     G's per-token NLL of the test lines without <unk>, over all
               T positions, end tokens included (Texygen's convention)
  entropy rate G's per-token NLL of its own samples
  D            with D_phi: its accuracy and loss, test lines against samples
A branch's final figures are its last evaluation.
"""
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..backend import backend_name, to_numpy
from ..core.metrics import mean_nll
from ..core.seqgan import Phase, copy_params
from ..run import oracle_experiment as oracle
from ..run.checkpoint import write_text
from ..run.config import PRESETS as ORACLE_PRESETS
from ..run.config import ConfigError, check_config, make_config
from ..run.plots import plot_panels
from ..run.runner import Recipe
from .baselines import tempered
from .corpus import UNK, CorpusError, Vocabulary, as_text, cut_at_end, in_vocabulary, load_corpus
from .seeds import resume_study, run_seeds, start_study
from .stats import fmt_mean_sd, mean_sd, paired_t_test, spread, welch_t_test
from .table1 import constant_branch

DATA = Path(__file__).resolve().parents[2] / "data"  # the corpora shipped with the project
ORDERS = (2, 3, 4, 5)  # BLEU-n and self-BLEU-n
FIGURES = ("nll_test", "entropy_rate", *(f"bleu_{n}" for n in ORDERS),
           *(f"self_bleu_{n}" for n in ORDERS))
ROW_FIELDS = ("branch", "epoch", *FIGURES, "d_accuracy", "d_loss", "mean_reward", "seconds")
TEMPERATURES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5)
METHODS = {"pretrain": "pre-trained G", "mle": "MLE", "seqgan": "SeqGAN",
           "constant": "constant Q = 1/2 (no D)"}
COLOURS = {"pretrain": "tab:gray", "mle": "tab:blue", "seqgan": "tab:red",
           "constant": "tab:purple", "real": "tab:green"}
SET_BY_CORPUS = ("vocab_size", "n_train", "n_test")

_STANDARD = ORACLE_PRESETS["standard"]
PRESETS = {
    # standard's schedule (the paper's: 120 MLE epochs, 50 D rounds of 3
    # epochs, 200 adversarial epochs of 5 D rounds) on the paper's corpus
    "poems": replace(_STANDARD, preset="poems", train_file=str(DATA / "shi.txt"),
                     tokenizer="words", n_eval=1000, n_eval_disc=500, adv_epochs=20),
    "coco": replace(_STANDARD, preset="coco", train_file=str(DATA / "image_coco.txt"),
                    test_file=str(DATA / "test_coco.txt"), tokenizer="coco", n_eval=1000,
                    n_eval_disc=500, adv_epochs=15, d_negatives=3000),
    # a small model and schedule for a small corpus of one's own (--train)
    "quick": replace(ORACLE_PRESETS["quick"], preset="quick", emb_dim=32, hidden_dim=32,
                     filter_sizes=(1, 2, 3, 4, 5), num_filters=(20, 40, 40, 40, 20),
                     pretrain_g_epochs=10, pretrain_d_rounds=2, d_negatives=500,
                     adv_epochs=5, rollouts=4, n_eval=200, n_eval_disc=100),
}


# ---------------------------------------------------------------- settings
def text_config(preset="poems", overrides=()):
    """The preset with ``overrides`` ("field=value" strings) applied, sized
    by its corpus: vocab_size, seq_len (unless set), n_train and n_test from
    the files; D's filter widths longer than T dropped. Returns the settings
    and the corpus. A CorpusError or ConfigError names the file."""
    names = {o.split("=", 1)[0] for o in overrides}
    for name in SET_BY_CORPUS:
        if name in names:
            raise ConfigError(f"setting {name}: the corpus sets it (its vocabulary and lines)")
    cfg = make_config(preset, overrides, PRESETS, check=False)
    if not cfg.train_file:
        raise ConfigError(f"preset {preset!r} has no corpus: give --train FILE")
    corpus = load_corpus(cfg.train_file, cfg.test_file, cfg.tokenizer,
                         cfg.seq_len if "seq_len" in names else 0, cfg.hold_out_every)
    return sized(cfg, corpus), corpus


def sized(cfg, corpus):
    """``cfg`` with the corpus's sizes, checked; errors name the training file."""
    T, n_train, n_test = corpus.seq_len, len(corpus.train), len(corpus.test)
    if n_train < cfg.batch_size:
        raise CorpusError(f"{cfg.train_file}: {n_train} training lines, fewer than a batch "
                          f"(batch_size={cfg.batch_size}); add lines or lower batch_size")
    if not in_vocabulary(corpus.test).any():
        raise CorpusError(f"{cfg.test_file or cfg.train_file}: every test line holds a token the "
                          f"training lines lack: no line to take NLL-test on")
    widths = [(K, F) for K, F in zip(cfg.filter_sizes, cfg.num_filters) if K <= T]
    cfg = replace(cfg, vocab_size=len(corpus.vocabulary), seq_len=T, n_train=n_train,
                  n_test=n_test, filter_sizes=tuple(K for K, _ in widths),
                  num_filters=tuple(F for _, F in widths),
                  n_eval_disc=min(cfg.n_eval_disc, cfg.n_eval, n_test))
    try:
        return check_config(cfg)
    except ConfigError as e:
        raise ConfigError(f"{cfg.train_file}: {e}") from None


# ----------------------------------------------------------------- phases
def build(run):
    """The oracle experiment's models and phases on the corpus, the
    constant-reward control and the temperature sweep."""
    phases = oracle.seqgan_phases(run, Phase("data", 1, lambda: make_data(run)))
    G_const, constant = constant_branch(run)
    run.methods = {"mle": run.G_mle, "seqgan": run.sg.G, "constant": G_const}  # the final Gs
    at = {phase.name: i for i, phase in enumerate(phases)}
    phases[at["mle_branch"]] = oracle.then(  # the control starts from the pre-trained G too
        phases[at["mle_branch"]], start=lambda: copy_params(G_const.params, run.sg.G.params))
    return phases + [constant, Phase("temperature", len(TEMPERATURES), lambda: temperature_unit(run))]


def make_data(run):
    """The corpus as ids; its vocabulary; real training lines' BLEU and self-BLEU."""
    cfg = run.cfg
    corpus = load_corpus(cfg.train_file, cfg.test_file, cfg.tokenizer, cfg.seq_len,
                         cfg.hold_out_every)
    if (len(corpus.vocabulary), corpus.train.shape, corpus.test.shape) != \
            (cfg.vocab_size, run.data["train"].shape, run.data["test"].shape):
        raise CorpusError(f"{cfg.train_file}: the corpus changed since the run was set up")
    run.data["train"][...], run.data["test"][...] = corpus.train, corpus.test
    run.record["vocabulary"] = corpus.vocabulary.tokens
    real = run.data["train"][run.rng["eval"].choice(cfg.n_train, min(cfg.n_eval, cfg.n_train),
                                                    replace=False)]  # (n_eval, T)
    run.record["real"] = bleu_figures(run, real)


def references(run):
    """The test lines as BLEU's references: ids up to their end token, each
    <unk> replaced by V, an id no sample holds (it matches nothing)."""
    if getattr(run, "references", None) is None:
        run.references = [[run.cfg.vocab_size if y == UNK else y for y in line]
                          for line in cut_at_end(run.data["test"])]
    return run.references


def bleu_figures(run, samples):
    """BLEU-n and self-BLEU-n (n in ORDERS) of ``samples`` (n, T) (host ids)."""
    hypotheses, code = cut_at_end(samples), run.code
    figures = {f"bleu_{n}": float(np.mean(code.sentence_bleus(hypotheses, references(run), n)))
               for n in ORDERS}
    figures.update({f"self_bleu_{n}": code.self_bleu(hypotheses, n) for n in ORDERS})
    return {k: run.finite(k, v) for k, v in figures.items()}


def figures(run, model, rng):
    """``model``'s NLL-test, entropy rate, BLEU and self-BLEU, on n_eval of
    its samples drawn with ``rng``; returns the figures and the samples."""
    samples = to_numpy(model.sample(run.cfg.n_eval, rng))  # (n_eval, T)
    test = run.data["test"]
    known = test[in_vocabulary(test)]  # the test lines NLL-test can score
    return {"nll_test": run.finite("NLL-test", mean_nll(model, known)),
            "entropy_rate": run.finite("the entropy rate", mean_nll(model, samples)),
            **bleu_figures(run, samples)}, samples


def evaluate(run, branch, epoch, model, D=None):
    """One evaluation row (see the module's protocol)."""
    t0 = time.perf_counter()
    values, samples = figures(run, model, run.rng["eval"])
    row = {"branch": branch, "epoch": epoch, **values,
           "d_accuracy": None, "d_loss": None, "mean_reward": None}
    if D is not None:
        row.update(oracle.d_figures(run, D, run.data["test"], samples))
    row["seconds"] = round(time.perf_counter() - t0, 3)
    run.rows.append(row)


def temperature_unit(run):
    """The MLE branch's final G at the next temperature of the sweep."""
    alpha = TEMPERATURES[run.done["temperature"]]
    values, _ = figures(run, tempered(run.G_mle, alpha), run.rng["final"])
    run.record["sweep"].append({"alpha": alpha, **values})


def check_record(meta, run):
    done, vocabulary, real, sweep = (meta["done"], meta["vocabulary"], meta["real"],
                                     meta["sweep"])
    if not (isinstance(vocabulary, list) and all(isinstance(t, str) for t in vocabulary)
            and len(vocabulary) == (run.cfg.vocab_size if done["data"] else 0)):
        raise ValueError("vocabulary: expected one token per id, once the data are made")
    if not (isinstance(real, dict) and (not done["data"] or set(real) == set(FIGURES[2:]))):
        raise ValueError("real: expected the real lines' BLEU and self-BLEU")
    if not (isinstance(sweep, list) and len(sweep) == done["temperature"]
            and all(isinstance(s, dict) and set(s) == {"alpha", *FIGURES} for s in sweep)):
        raise ValueError("sweep: expected one entry per temperature done")


# ---------------------------------------------------------------- outputs
def finals(run):
    """Each method's last evaluation, and the real lines' figures."""
    last = {}
    for row in run.rows:
        last[row["branch"]] = {k: row[k] for k in FIGURES}
    return {**{m: last[m] for m in METHODS if m in last}, "real": dict(run.record["real"])}


def results(run):
    cfg = run.cfg
    seconds = {k: round(v, 1) for k, v in run.seconds.items()}
    seconds["total"] = round(sum(run.seconds.values()), 1)
    test, last = run.data["test"], finals(run)
    return {
        "preset": cfg.preset, "seed": cfg.seed, "backend": backend_name(run.xp), "code": cfg.code,
        "corpus": {"train_file": cfg.train_file, "test_file": cfg.test_file or
                   f"every {cfg.hold_out_every}th line of the training file",
                   "tokenizer": cfg.tokenizer, "vocab_size": cfg.vocab_size, "seq_len": cfg.seq_len,
                   "n_train": cfg.n_train, "n_test": cfg.n_test,
                   "n_test_in_vocabulary": int(in_vocabulary(test).sum()),
                   "n_samples": cfg.n_eval},
        "finals": last, "sweep": run.record["sweep"],
        "above_mle_curve": {m: {f"bleu_{n}": above_curve(run.record["sweep"], v, n) for n in ORDERS}
                            for m, v in last.items()},
        "tests": sample_tests(run),
        "epochs": {"pretrain": cfg.pretrain_g_epochs, "adversarial": cfg.adv_epochs},
        "seconds": seconds,
    }


def above_curve(sweep, point, n):
    """How far BLEU-n of ``point`` lies above the MLE generator's
    temperature curve at the point's self-BLEU-n (linear between the sweep's
    points, sorted by self-BLEU-n): > 0, more quality at equal diversity
    than tempering MLE gives; ~ 0, on the curve (narrowing alone); None
    outside the sweep's range."""
    x = np.array([e[f"self_bleu_{n}"] for e in sweep])  # (temperatures,)
    y = np.array([e[f"bleu_{n}"] for e in sweep])
    s, order = point[f"self_bleu_{n}"], np.argsort(x)
    if not x.min() <= s <= x.max():
        return None
    return float(point[f"bleu_{n}"] - np.interp(s, x[order], y[order]))


TESTED = (("seqgan", "mle"), ("constant", "mle"), ("seqgan", "constant"))


def sample_tests(run):
    """Welch's t-test of equal mean sentence BLEU-n (n = 2, 4) between the
    final generators of TESTED, on n_eval fresh samples of each: how sure
    one run's difference is against evaluation noise (not against the
    spread over training seeds, which one run cannot show)."""
    scores = {}
    for method in {m for pair in TESTED for m in pair}:
        ids = to_numpy(run.methods[method].sample(run.cfg.n_eval, run.rng["final"]))  # (n_eval, T)
        scores[method] = {n: run.code.sentence_bleus(cut_at_end(ids), references(run), n) for n in (2, 4)}
    tests = {}
    for a, b in TESTED:
        for n in (2, 4):
            t, dof, p = welch_t_test(scores[a][n], scores[b][n])
            tests[f"{a} - {b}, bleu_{n}"] = {
                "difference": float(scores[a][n].mean() - scores[b][n].mean()), "p": p}
    return tests


def run_text(run, ids):
    """Rows of ids (n, T) as lines of text, by the run's vocabulary."""
    return as_text(Vocabulary(run.record["vocabulary"]), ids, run.cfg.tokenizer)


def write_outputs(run):
    out, cfg = run.out, run.cfg
    oracle.write_evaluations(run)
    for name in ("mle", "seqgan", "constant"):
        ids = to_numpy(run.methods[name].sample(cfg.n_final_samples, run.rng["eval"]))
        write_text(out / f"samples_{name}.txt", "\n".join(run_text(run, ids)) + "\n")
    real = run.data["train"][run.rng["eval"].choice(cfg.n_train, min(cfg.n_final_samples,
                                                                     cfg.n_train), replace=False)]
    write_text(out / "samples_real.txt", "\n".join(run_text(run, real)) + "\n")
    res = results(run)
    plot_curves(run, out / "curves.png")
    plot_text_frontier(res, out / "frontier.png")
    write_text(out / "results.md", summary_table(res) + "\n")
    write_text(out / "results.json", json.dumps(res, indent=2, allow_nan=False))
    return res


TEXT_EXPERIMENT = Recipe("text-experiment", build, evaluate, write_outputs,
                         oracle.data_rows, check_record,
                         record={"vocabulary": [], "real": {}, "sweep": []},
                         row_fields=ROW_FIELDS, headline="nll_test")


# ----------------------------------------------------------- tables, figures
# Published figures beside ours (their protocols differ: see docs/text.md).
PUBLISHED = {
    "poems": ("the SeqGAN paper, Table 3 (BLEU-2 only)",
              {"mle": {"bleu_2": 0.6670}, "seqgan": {"bleu_2": 0.7389}, "real": {"bleu_2": 0.746}}),
    "coco": ("Texygen's benchmark (Zhu et al. 2018), COCO test set",
             {"mle": dict(zip(FIGURES[2:], (.731, .497, .305, .189, .916, .769, .583, .408))),
              "seqgan": dict(zip(FIGURES[2:], (.745, .498, .294, .180, .950, .840, .670, .489)))}),
}
LABELS = {**METHODS, "real": "real lines (training file)"}


def summary_table(res):
    """The final figures as a markdown table, with published ones beneath."""
    head = ("NLL-test", "entropy", *(f"BLEU-{n}" for n in ORDERS),
            *(f"self-BLEU-{n}" for n in ORDERS))
    lines = [f"| {res['preset']} (seed {res['seed']}) | " + " | ".join(head) + " |",
             "|---" * (len(head) + 1) + "|"]
    for method, values in res["finals"].items():
        cells = [f"{values[k]:.3f}" if k in values else "" for k in FIGURES]
        lines.append(f"| {LABELS[method]} | " + " | ".join(cells) + " |")
    source, published = PUBLISHED.get(res["preset"], (None, {}))
    for method, values in published.items():
        cells = [f"{values[k]:.3f}" if k in values else "" for k in FIGURES]
        lines.append(f"| {LABELS[method]}, {source} | " + " | ".join(cells) + " |")
    gaps = res["above_mle_curve"]
    lines += ["", "BLEU-n minus the MLE generator's temperature curve at the same self-BLEU-n "
                  "(> 0: above the curve; '' outside the sweep's range):", "",
              "| | " + " | ".join(f"BLEU-{n}" for n in ORDERS) + " |", "|---" * (len(ORDERS) + 1) + "|"]
    for method, values in gaps.items():
        cells = ["" if values[f"bleu_{n}"] is None else f"{values[f'bleu_{n}']:+.3f}" for n in ORDERS]
        lines.append(f"| {LABELS[method]} | " + " | ".join(cells) + " |")
    lines += ["", f"Differences of mean sentence BLEU on {res['corpus']['n_samples']:,} fresh samples "
                  "of each final G, with Welch's p (evaluation noise only: one training seed):", "",
              "| difference | mean | p |", "|---|---|---|"]
    for name, test in res["tests"].items():
        pair, n = name.split(", ")
        a, b = pair.split(" - ")
        lines.append(f"| {LABELS[a]} - {LABELS[b]}, BLEU-{n[-1]} | {test['difference']:+.4f} | "
                     f"{test['p']:.2g} |")
    return "\n".join(lines)


def plot_curves(run, path):
    """NLL-test (from epoch 1: the untrained G's is above the axis), BLEU-4
    and self-BLEU-4 against epoch for every branch."""
    start = [r for r in run.rows if r["branch"] == "pretrain"][-1:]
    panels = []
    for key, label in (("nll_test", "NLL-test (nats per token)"), ("bleu_4", "BLEU-4"),
                       ("self_bleu_4", "self-BLEU-4 (lower: more diverse)")):
        series = []
        for method, name in METHODS.items():
            rows = [r for r in run.rows if r["branch"] == method]
            rows = rows if method == "pretrain" else start + rows
            series.append((name, [r["epoch"] for r in rows], [r[key] for r in rows], None,
                           {"color": COLOURS[method]}))
        trained = [r[key] for r in run.rows if r["epoch"] > 0]
        margin = 0.05 * (max(trained) - min(trained)) + 1e-3
        panels.append({"xlabel": "epoch", "ylabel": label, "series": series,
                       "ylim": (min(trained) - margin, max(trained) + margin) if key == "nll_test"
                       else None})  # the untrained G's NLL-test would flatten the curves
    plot_panels(panels, path, f"SeqGAN on text: preset '{run.cfg.preset}', seed {run.cfg.seed}")


def plot_text_frontier(res, path):
    """BLEU-n against self-BLEU-n (n = 2 and 4): the MLE generator over
    temperatures as a line, each method's final G and the real lines as points."""
    panels = []
    for n in (2, 4):
        b, s = f"bleu_{n}", f"self_bleu_{n}"
        alphas = [e["alpha"] for e in res["sweep"]]
        series = [(f"MLE at temperatures {min(alphas):g} to {max(alphas):g} (right: colder)",
                   [e[s] for e in res["sweep"]], [e[b] for e in res["sweep"]], None,
                   {"color": "k", "marker": "."})]
        series += [(LABELS[m], [v[s]], [v[b]], None, {"color": COLOURS[m], "ls": "", "ms": 8})
                   for m, v in res["finals"].items()]
        panels.append({"xlabel": f"self-BLEU-{n} (lower: more diverse)",
                       "ylabel": f"BLEU-{n} against the test set (higher: closer to real)",
                       "series": series})
    plot_panels(panels, path, f"Quality against diversity: preset '{res['preset']}', "
                              f"seed {res['seed']}")


# ------------------------------------------------------------ over seeds
SEEDS_STATE = "text.json"
SEEDS_FILES = (SEEDS_STATE, "text.md")
SEED_FIGURES = ("nll_test", "entropy_rate", "bleu_2", "bleu_4", "self_bleu_2", "self_bleu_4")


def run_text_seeds(cfg, n_seeds, out, overwrite=False, progress=None):
    """The text experiment for seeds cfg.seed .. cfg.seed + n_seeds - 1, a
    run folder each (out/seed-N), then text.md: the figures over seeds."""
    return start_study(out, SEEDS_STATE, SEEDS_FILES, overwrite, cfg, {"seeds": n_seeds},
                       lambda: _run_seeds(cfg, n_seeds, out, overwrite, progress))


def resume_text_seeds(out, progress=None):
    """Go on with the seeds in ``out`` (finished ones kept, the interrupted
    one resumed, the others started)."""
    return resume_study(out, SEEDS_STATE, ("seeds",),
                        lambda cfg, state: _run_seeds(cfg, state["seeds"], out, False, progress))


def _run_seeds(cfg, n_seeds, out, overwrite, progress):
    results = run_seeds(lambda seed: TEXT_EXPERIMENT, cfg, n_seeds, out, overwrite, progress, "text")
    table = seeds_table(results)
    write_text(Path(out) / "text.md", table + "\n")
    return table


def seeds_table(results):
    """Each method's final figures and BLEU above the MLE curve as mean ± sd
    over the seeds, and paired t-tests over the seeds of TESTED's differences."""
    seeds = [r["seed"] for r in results]

    def values(method, key):
        return [r["above_mle_curve"][method][key[6:]] if key.startswith("above_") else
                r["finals"][method].get(key) for r in results]

    keys = SEED_FIGURES + ("above_bleu_2", "above_bleu_4")
    head = ("NLL-test", "entropy", "BLEU-2", "BLEU-4", "self-BLEU-2", "self-BLEU-4",
            "BLEU-2 above the MLE curve", "BLEU-4 above the MLE curve")
    lines = [f"# {results[0]['preset']}: seeds {', '.join(map(str, seeds))}", "",
             f"{spread(len(seeds))}; each seed's figures are its run's last evaluations "
             f"({results[0]['corpus']['n_samples']:,} samples).", "",
             "| | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
    for method in results[0]["finals"]:
        cells = []
        for key in keys:
            v = values(method, key)
            cells.append("" if None in v else fmt_mean_sd(*mean_sd(v), ".3f"))
        lines.append(f"| {LABELS[method]} | " + " | ".join(cells) + " |")
    lines += ["", "Differences over the seeds (a - b, mean ± sd) with the paired t-test's p "
                  "(two-sided; none with one seed):", "",
              "| a - b | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
    for a, b in TESTED:
        cells = []
        for key in keys:
            va, vb = values(a, key), values(b, key)
            if None in va + vb:
                cells.append("")
                continue
            d = [x - y for x, y in zip(va, vb)]
            p = paired_t_test(va, vb)[2] if len(d) > 1 else None
            cells.append(fmt_mean_sd(*mean_sd(d), ".3f") + ("" if p is None else f" (p {p:.2g})"))
        lines.append(f"| {LABELS[a]} - {LABELS[b]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
