"""seqgan-np: SeqGAN (Yu et al., AAAI 2017) in NumPy, every gradient written by hand and checked.

  core/         the paper, plain (read it in the order of core/__init__.py)
  fast/         the fast twins of the core, each proved equal to its plain function
  run/          the runner: phases, evaluation, checkpoints, config, plots, bench
  experiments/  studies on the runner: Table 1, its baselines and statistics
"""
from .core.discriminator import Discriminator, DiscriminatorConfig
from .core.lm import LanguageModel
from .core.metrics import nll_oracle, nll_test
from .core.optim import Adam
from .core.oracle import load_oracle, make_oracle
from .core.rollout import rollout_Q
from .core.seqgan import algorithm_1, make_seqgan, train_seqgan
from .fast import FastAdam, FastDiscriminator, FastLanguageModel

__version__ = "0.1.0"
__all__ = ["Adam", "Discriminator", "DiscriminatorConfig", "FastAdam", "FastDiscriminator",
           "FastLanguageModel", "LanguageModel", "algorithm_1", "load_oracle", "make_oracle",
           "make_seqgan", "nll_oracle", "nll_test", "rollout_Q", "train_seqgan"]
