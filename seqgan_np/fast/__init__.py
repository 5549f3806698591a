"""The fast twins of the core: the same numbers up to rounding, faster.

Each twin has its plain function's name (a class: Fast + its name) and
signature, says which core function it equals, and a test proves it in
float64 from the same uniforms. Nothing in ``core/`` imports this package.

  fast.lstm           lstm_forward, lstm_backward: input products hoisted
  fast.layers         the output layer fused with its cross-entropy (chunks
                      on threads); the convolution by im2col
  fast.lm             FastLanguageModel: input tables, chunked sampling and
                      scoring on threads, the two-level draw
  fast.discriminator  FastDiscriminator: im2col, chunks, and completions
                      scored from per-token tables while D is fixed
  fast.rollout        rollout_Q: all P N B completions as one batch
  fast.optim          FastAdam: in place, in cache-sized pieces
  fast.metrics        FastBleuScore, bleu, self_bleu: BLEU of many sequences at once
  fast.threads        the machinery: threads, BLAS, malloc
"""
from .discriminator import FastDiscriminator
from .lm import FastLanguageModel
from .metrics import FastBleuScore
from .optim import FastAdam
from .rollout import rollout_Q

__all__ = ["FastAdam", "FastBleuScore", "FastDiscriminator", "FastLanguageModel", "rollout_Q"]
