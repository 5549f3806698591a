"""Experiment settings: one dataclass holding every setting of the original
code (design.md section 2), named presets, and command-line overrides.

Presets:
  paper     the original code's schedule exactly (rollout-policy update rate
            0: the original's rollouts effectively used the current theta)
  standard  the paper's oracle, model and data sizes with a lighter schedule
            that runs in about 15 minutes on 2 cores
  quick     a small demonstration of the whole pipeline in under a minute
            (too small to show the paper's effect)
"""
from dataclasses import asdict, dataclass, fields, replace

from .backend import BACKENDS
from .discriminator import DiscriminatorConfig, DiscriminatorConfigError

_D = DiscriminatorConfig()  # the original discriminator's settings
# D_phi's settings: the experiment's name -> DiscriminatorConfig's (which checks them)
D_SETTINGS = {"vocab_size": "vocab_size", "seq_len": "seq_len", "d_emb_dim": "emb_dim",
              "filter_sizes": "filter_sizes", "num_filters": "num_filters",
              "d_dropout_keep": "dropout_keep", "d_l2": "l2_reg"}


class ConfigError(ValueError):
    """A bad preset, setting name or value; the message names it."""


@dataclass(frozen=True)
class ExperimentConfig:
    preset: str = "paper"
    seed: int = 0
    backend: str = "numpy"
    oracle_params: str = ""  # "" = the built-in oracle made from the seed
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


def make_config(preset="standard", overrides=()):
    """The named preset with ``overrides`` ("field=value" strings, or a dict) applied."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")
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
    return check_config(replace(PRESETS[preset], **changes))


def check_config(cfg):
    """Raise ConfigError naming the first setting with a bad value."""
    def bad(name, why):
        raise ConfigError(f"setting {name}={getattr(cfg, name)!r}: {why}")

    for f in fields(cfg):
        if f.name in D_SETTINGS:
            continue  # checked below, by DiscriminatorConfig
        value = getattr(cfg, f.name)
        if isinstance(value, int) and f.name != "seed" and value < 1:
            bad(f.name, "must be a positive integer")
        if isinstance(value, float) and not value > 0 and f.name != "rollout_update_rate":
            bad(f.name, "must be positive")
    if cfg.seed < 0:
        bad("seed", "must be a non-negative integer")
    if cfg.backend not in BACKENDS:
        bad("backend", f"choose one of {', '.join(BACKENDS)}")
    if not 0.0 <= cfg.rollout_update_rate <= 1.0:
        bad("rollout_update_rate", "must be in [0, 1]")
    try:
        cfg.discriminator()
    except DiscriminatorConfigError as e:
        bad(next(name for name, d in D_SETTINGS.items() if d == e.name), e.why)
    if cfg.n_eval_disc > min(cfg.n_eval, cfg.n_test):
        bad("n_eval_disc", f"must not exceed n_eval and n_test ({min(cfg.n_eval, cfg.n_test)})")
    return cfg


def config_to_dict(cfg):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}


def config_from_dict(d, source):
    """Rebuild a config saved by ``config_to_dict`` (from a checkpoint)."""
    names = {f.name for f in fields(ExperimentConfig)}
    unknown = set(d) - names
    if unknown:
        raise ConfigError(f"{source}: unknown settings {', '.join(sorted(unknown))}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
    return check_config(ExperimentConfig(**values))
