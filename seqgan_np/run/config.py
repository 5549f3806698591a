"""Experiment settings: one dataclass holding every setting of the original
code (design.md section 2), named presets, and command-line overrides.

Presets:
  paper     the original code's schedule exactly (rollout-policy update rate
            0: the original's rollouts effectively used the current theta)
  standard  the paper's oracle, model and data sizes with a lighter schedule
            that runs in about 15 minutes on 2 cores
  quick     a small demonstration of the whole pipeline in under a minute
            (too small to show the paper's effect)
  ablations standard's oracle, model, data and pre-training with a lighter
            adversarial schedule (10 epochs, 1,000 negatives per D round,
            5,000 evaluation samples and held-out sequences), so that the
            ablations' many branches fit in about 2 hours on 2 cores
"""
import math
import os
from dataclasses import asdict, dataclass, fields, replace

from ..backend import BACKENDS
from ..core.discriminator import DiscriminatorConfig, DiscriminatorConfigError

_D = DiscriminatorConfig()  # the original discriminator's settings
# D_phi's settings: the experiment's name -> DiscriminatorConfig's (which checks them)
D_SETTINGS = {"vocab_size": "vocab_size", "seq_len": "seq_len", "d_emb_dim": "emb_dim",
              "filter_sizes": "filter_sizes", "num_filters": "num_filters",
              "d_dropout_keep": "dropout_keep", "d_l2": "l2_reg"}


CODES = ("fast", "plain")
DTYPES = ("float32", "float64")
ADDED_LATER = ("code", "dtype", "train_file", "test_file", "tokenizer",
               "hold_out_every")  # settings that checkpoints of older versions lack
TOKENIZERS = ("words", "chars", "coco")  # experiments/corpus.py's


class ConfigError(ValueError):
    """A bad preset, setting name or value; the message names it."""


@dataclass(frozen=True)
class ExperimentConfig:
    preset: str = "paper"
    seed: int = 0
    backend: str = "numpy"
    oracle_params: str = ""  # "" = the built-in oracle made from the seed
    code: str = "fast"  # "plain": run the core's plain code instead of its fast twins (run/code.py)
    dtype: str = "float32"  # of every model's parameters: "float64" for checks
    # sizes (the paper's synthetic experiment)
    vocab_size: int = 5000
    seq_len: int = 20
    emb_dim: int = 32
    hidden_dim: int = 32
    n_train: int = 10000  # oracle sequences: the real data
    n_test: int = 10000  # held-out oracle sequences for NLL-test
    batch_size: int = 64
    # generator G_theta
    g_init_std: float = 0.1
    g_lr: float = 0.01
    g_clip: float = 5.0
    # discriminator D_phi (the original's, as defined in discriminator.py)
    d_emb_dim: int = _D.emb_dim
    filter_sizes: tuple = _D.filter_sizes
    num_filters: tuple = _D.num_filters
    d_dropout_keep: float = _D.dropout_keep
    d_l2: float = _D.l2_reg
    d_lr: float = 1e-4
    # schedule (Algorithm 1)
    pretrain_g_epochs: int = 120  # MLE epochs over the training data
    pretrain_d_rounds: int = 50  # rounds of fresh negatives before adversarial training
    d_negatives: int = 10000  # fresh generator samples per discriminator round
    d_epochs: int = 3  # k: epochs over each round's real + fake data
    adv_epochs: int = 200  # adversarial epochs; the MLE branch runs as many MLE epochs
    g_steps: int = 1  # policy-gradient steps per adversarial epoch
    rollouts: int = 16  # N: Monte Carlo completions per prefix
    rollout_update_rate: float = 0.0  # beta <- r beta + (1 - r) theta; 0: beta = theta
    d_steps: int = 5  # discriminator rounds per adversarial epoch
    # evaluation and checkpoints
    eval_every: int = 5  # epochs between evaluations
    n_eval: int = 10000  # generator samples for NLL-oracle
    n_eval_disc: int = 2000  # real and fake sequences for D's accuracy and loss
    checkpoint_every: int = 5  # epochs (or D rounds) between checkpoints
    n_final_samples: int = 100  # sequences written out at the end
    # table1 only (python -m seqgan_np table1): its baselines and final figures
    ss_max_prob: float = 0.25  # scheduled sampling's last epoch feeds G's own sample with this probability
    n_final_eval: int = 50000  # generator samples for each row's final NLL-oracle
    # text only (python -m seqgan_np text): the corpus; vocab_size, seq_len,
    # n_train and n_test are the corpus's (seq_len may be set)
    train_file: str = ""
    test_file: str = ""  # "": every hold_out_every-th line of train_file is the test set
    tokenizer: str = "words"  # words (whitespace), chars, coco (lower-case, nltk's punctuation split)
    hold_out_every: int = 10

    def discriminator(self):
        """D_phi's settings as a DiscriminatorConfig (which checks them)."""
        return DiscriminatorConfig(**{d: getattr(self, e) for e, d in D_SETTINGS.items()})


PRESETS = {
    "paper": ExperimentConfig(preset="paper"),
    "standard": ExperimentConfig(
        preset="standard", pretrain_g_epochs=30, pretrain_d_rounds=10, d_negatives=5000,
        d_epochs=1, adv_epochs=25, d_steps=1, eval_every=5),
    "quick": ExperimentConfig(
        preset="quick", vocab_size=500, n_train=2000, n_test=1000, n_eval=2000,
        n_eval_disc=500, d_emb_dim=32, filter_sizes=(1, 2, 3, 4, 5, 10, 20),
        num_filters=(20, 40, 40, 40, 40, 20, 20), pretrain_g_epochs=20,
        pretrain_d_rounds=3, d_negatives=2000, d_epochs=1, adv_epochs=15, rollouts=8,
        d_steps=1, eval_every=5),
    "ablations": ExperimentConfig(
        preset="ablations", n_test=5000, n_eval=5000, n_eval_disc=1000, pretrain_g_epochs=30,
        pretrain_d_rounds=10, d_negatives=1000, d_epochs=1, adv_epochs=10, d_steps=1,
        eval_every=5),
}


def _parse(field, text):
    """A command-line string as the type of ``field``'s default."""
    kind = type(field.default)
    try:
        if kind is tuple:
            return tuple(int(v) for v in text.split(",") if v.strip())
        return kind(text)
    except ValueError:
        what = "comma-separated integers" if kind is tuple else kind.__name__
        raise ConfigError(f"setting {field.name}={text!r}: expected {what}") from None


def make_config(preset="standard", overrides=(), presets=PRESETS, check=True):
    """The named preset of ``presets`` with ``overrides`` ("field=value"
    strings, or a dict) applied, checked (unless ``check`` is false: the
    text experiment checks once the corpus has set its sizes)."""
    if preset not in presets:
        raise ConfigError(f"unknown preset {preset!r}: choose one of {', '.join(presets)}")
    by_name = {f.name: f for f in fields(ExperimentConfig)}
    changes = {}
    items = overrides.items() if isinstance(overrides, dict) else \
        (o.split("=", 1) if "=" in o else (o, None) for o in overrides)
    for name, value in items:
        if name not in by_name or name == "preset":
            raise ConfigError(f"unknown setting {name!r}: see 'python -m seqgan_np "
                              f"oracle-experiment --help' for the list")
        if value is None:
            raise ConfigError(f"setting {name!r}: expected {name}=VALUE")
        changes[name] = _parse(by_name[name], value) if isinstance(value, str) else value
    cfg = replace(presets[preset], **changes)
    return check_config(cfg) if check else cfg


def _of_its_type(f, value):
    """Whether ``value`` has the type of field ``f``'s default (an int is a float too)."""
    kind = type(f.default)
    if kind is tuple:
        return isinstance(value, tuple) and all(isinstance(v, int) and not isinstance(v, bool)
                                                for v in value)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def memory_needed(cfg):
    """Bytes of the largest arrays a run holds at once (a lower bound): the
    parameters of the oracle, G_theta, the MLE branch and G_beta with the
    Adam moments of three of them, D_phi with its moments and its per-token
    tables in the rollout, the data, and the rollout's completions."""
    V, E, H, T = cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len
    g = V * E + (E + H + 1) * 4 * H + (H + 1) * V  # one language model
    d_cfg = cfg.discriminator()
    D = d_cfg.features
    d = V * d_cfg.emb_dim + sum(K * d_cfg.emb_dim * F + F for K, F in
                                zip(d_cfg.filter_sizes, d_cfg.num_filters)) + 2 * D * D + 5 * D
    tables = sum(K * V * F for K, F in zip(d_cfg.filter_sizes, d_cfg.num_filters))
    floats = 4 * g + 3 * 2 * g + 3 * d + tables  # models, moments, D and its tables
    rollout_rows = (T - 1) * cfg.rollouts * cfg.batch_size
    ints = (cfg.n_train + cfg.n_test + cfg.n_eval + 2 * cfg.d_negatives + rollout_rows) * T
    return (4 if cfg.dtype == "float32" else 8) * floats + 8 * ints


def physical_memory():
    """This machine's memory in bytes, or None where it cannot be read."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_config(cfg):
    """Raise ConfigError naming the first setting with a bad value, or
    settings that cannot train (a batch larger than the data) or cannot fit
    in this machine's memory, before any work is done."""
    def bad(name, why):
        raise ConfigError(f"setting {name}={getattr(cfg, name)!r}: {why}")

    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if not _of_its_type(f, value):
            bad(f.name, f"expected {'a tuple of integers' if type(f.default) is tuple else type(f.default).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            bad(f.name, "must be a finite number")
        if f.name in D_SETTINGS:
            continue  # checked below, by DiscriminatorConfig
        if isinstance(value, int) and f.name != "seed" and value < 1:
            bad(f.name, "must be a positive integer")
        if isinstance(value, float) and not value > 0 and f.name not in ("rollout_update_rate",
                                                                         "ss_max_prob"):
            bad(f.name, "must be positive")
    if cfg.seed < 0:
        bad("seed", "must be a non-negative integer")
    if cfg.backend not in BACKENDS:
        bad("backend", f"choose one of {', '.join(BACKENDS)}")
    for name, choices in (("code", CODES), ("dtype", DTYPES), ("tokenizer", TOKENIZERS)):
        if getattr(cfg, name) not in choices:
            bad(name, f"choose one of {', '.join(choices)}")
    for name in ("rollout_update_rate", "ss_max_prob"):
        if not 0.0 <= getattr(cfg, name) <= 1.0:
            bad(name, "must be in [0, 1]")
    try:
        cfg.discriminator()
    except DiscriminatorConfigError as e:
        bad(next(name for name, d in D_SETTINGS.items() if d == e.name), e.why)
    if cfg.n_eval_disc > min(cfg.n_eval, cfg.n_test):
        bad("n_eval_disc", f"must not exceed n_eval and n_test ({min(cfg.n_eval, cfg.n_test)})")
    if cfg.seq_len < 2:
        bad("seq_len", "must be at least 2: the rollout needs a prefix to complete")
    if cfg.batch_size > cfg.n_train:
        bad("batch_size", f"exceeds n_train={cfg.n_train}: an MLE epoch would take no step "
                          f"(only whole batches are used)")
    if cfg.batch_size > 2 * min(cfg.d_negatives, cfg.n_train):
        bad("batch_size", f"exceeds the {2 * min(cfg.d_negatives, cfg.n_train)} sequences of a "
                          f"discriminator round (d_negatives={cfg.d_negatives}): it would take no step")
    need, have = memory_needed(cfg), physical_memory()
    if have and need > have:
        raise ConfigError(f"these settings need at least {need / 2 ** 30:,.1f} GiB of memory "
                          f"(vocab_size={cfg.vocab_size}, ...); this machine has {have / 2 ** 30:,.1f} GiB")
    return cfg


def config_to_dict(cfg):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}


def config_from_dict(d, source):
    """Rebuild a config saved by ``config_to_dict`` (from a checkpoint)."""
    if not isinstance(d, dict):
        raise ConfigError(f"{source}: the saved settings are not a mapping (corrupt)")
    names = {f.name for f in fields(ExperimentConfig)}
    unknown, missing = set(d) - names, names - set(d) - set(ADDED_LATER)
    if unknown or missing:
        raise ConfigError(f"{source}: {'unknown' if unknown else 'missing'} settings "
                          f"{', '.join(sorted(unknown or missing))} (corrupt)")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
    try:
        return check_config(ExperimentConfig(**values))
    except ConfigError as e:
        raise ConfigError(f"{source}: {e} (corrupt)") from None
