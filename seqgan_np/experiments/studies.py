"""What the ablations run: their rows (one way of training G from a start)
and their studies (rows in a table, and the differences tested). The
machinery that runs them is ``ablations.py``; the report ``ablation_report.py``."""
from dataclasses import dataclass

EARLY = (0, 5)  # the pre-training study's other starts: G's MLE epochs
TAUS = (0.08, 0.09, 0.1)  # RAML: 1.8 %, 6.9 % and 18.5 % of tokens changed at V = 5000
SMOOTHING = 0.1  # label smoothing's eps
D_LR_FACTOR = 10.0  # the discriminator study's stronger D
STRATEGY = (1, 5, 3)  # the original code's (g-steps, d-steps, k)
NS = (1, 2, 4, 8, 16, 32)  # the rollout study's N
SPREAD_BATCH, SPREAD_REPEATS = 16, 8  # its fixed batch and repeats per N
SWEEP = (0.8, 0.9, 1.0, 1.1, 1.2, 1.35, 1.5, 2.0)  # the frontier's temperatures
SWEPT = ("pretrained", "mle", "seqgan")  # the generators swept


@dataclass(frozen=True)
class Row:
    """One row of the studies: G trained for adv_epochs epochs by ``kind``
    ("seqgan", "constant", "mle", "raml", "smooth") from G pre-trained for
    ``start`` epochs (None: the shared start, pretrain_g_epochs)."""
    name: str
    label: str
    kind: str
    start: int = None
    sgd: bool = False  # plain SGD, its rate matched to its Adam twin's mean step norm
    twin: str = None  # the Adam row whose steps the SGD rate matches
    centred: bool = False  # Q minus its batch mean
    rollouts: int = None  # N; None: the setting's
    strategy: tuple = None  # (g-steps, d-steps, k); None: the settings'
    d_lr_factor: float = 1.0
    tau: float = None  # RAML's temperature
    first_seed: bool = False  # run for the first seed only (its cost)


def _rows():
    rows = [Row("mle", "MLE", "mle"), Row("seqgan", "SeqGAN", "seqgan"),
            Row("constant", "constant Q = 1/2 (no D)", "constant"),
            Row("seqgan_sgd", "SeqGAN, SGD", "seqgan", sgd=True, twin="seqgan"),
            Row("constant_sgd", "constant Q = 1/2, SGD", "constant", sgd=True, twin="constant"),
            Row("seqgan_centred", "SeqGAN, Q minus its batch mean", "seqgan", centred=True),
            Row("seqgan_n1", "SeqGAN, N = 1", "seqgan", rollouts=1),
            Row("seqgan_n4", "SeqGAN, N = 4", "seqgan", rollouts=4)]
    for e in EARLY:
        rows += [Row(f"seqgan_from{e}", f"SeqGAN from {e} MLE epochs", "seqgan", start=e),
                 Row(f"mle_from{e}", f"MLE from {e} MLE epochs", "mle", start=e),
                 Row(f"constant_from{e}", f"constant Q from {e} MLE epochs", "constant", start=e)]
    rows += [Row("seqgan_dlr10", f"SeqGAN, D's learning rate x {D_LR_FACTOR:g}", "seqgan",
                 d_lr_factor=D_LR_FACTOR),
             Row("seqgan_153", "SeqGAN, (g, d, k) = (%d, %d, %d)" % STRATEGY, "seqgan",
                 strategy=STRATEGY, first_seed=True)]
    rows += [Row(f"raml_{tau:g}", f"RAML, Hamming, tau = {tau:g}", "raml", tau=tau) for tau in TAUS]
    return {r.name: r for r in rows + [Row("smooth", f"label smoothing (unigram, eps = {SMOOTHING:g})",
                                           "smooth")]}


ROWS = _rows()
REFERENCES = ("mle", "seqgan")  # the oracle experiment's own phases


@dataclass(frozen=True)
class Study:
    name: str
    title: str
    rows: tuple  # its rows, in the table's order
    pairs: tuple  # (row, row) differences with Welch's p-values


def _from(e):
    return ("seqgan", "mle", "constant") if e is None else \
        (f"seqgan_from{e}", f"mle_from{e}", f"constant_from{e}")


STUDIES = {s.name: s for s in (
    Study("optimiser", "The optimiser: Adam's sharpening against D's reward",
          ("mle", "seqgan", "constant", "seqgan_sgd", "constant_sgd", "seqgan_centred"),
          (("seqgan", "constant"), ("seqgan_sgd", "constant_sgd"), ("seqgan_centred", "seqgan"),
           ("seqgan_centred", "mle"), ("seqgan_sgd", "mle"))),
    Study("rollouts", "The number of rollouts N", ("seqgan_n1", "seqgan_n4", "seqgan"),
          (("seqgan_n1", "seqgan"), ("seqgan_n4", "seqgan"))),
    Study("pretraining", "Pre-training: SeqGAN from G pre-trained for 0, 5 and all epochs",
          sum((_from(e) for e in EARLY + (None,)), ()),
          sum((((a, b), (a, c)) for a, b, c in (_from(e) for e in EARLY + (None,))), ())),
    Study("discriminator", "The discriminator's strength and the training strategy",
          ("seqgan", "seqgan_dlr10", "seqgan_153", "constant"),
          (("seqgan", "constant"), ("seqgan_dlr10", "constant"), ("seqgan_153", "constant"),
           ("seqgan_dlr10", "seqgan"))),
    Study("raml", "RAML and label smoothing beside MLE",
          ("mle",) + tuple(f"raml_{t:g}" for t in TAUS) + ("smooth",),
          tuple((f"raml_{t:g}", "mle") for t in TAUS) + (("smooth", "mle"),)),
    Study("frontier", "The fair frontier: every method's final G against tempered generators",
          tuple(ROWS), ()),
)}


def plan(studies, first_seed):
    """The rows a seed runs for ``studies`` (names), in the order of ROWS
    (so that a row's SGD twin runs before it); the first seed runs all."""
    wanted = {r for s in studies for r in STUDIES[s].rows}
    return tuple(r for r, row in ROWS.items() if r in wanted and r not in REFERENCES
                 and (first_seed or not row.first_seed))
