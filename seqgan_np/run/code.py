"""The one switch between the plain code and its fast twins (the setting
``code``, the flag ``--plain``): which classes and which rollout a run
builds. Everything else is the same code on both paths."""
from types import SimpleNamespace

from .. import fast
from ..core.discriminator import Discriminator
from ..core.lm import LanguageModel
from ..core.metrics import BleuScore, bleu, self_bleu
from ..core.optim import Adam
from ..core.rollout import rollout_Q

CODES = {
    "plain": SimpleNamespace(model=LanguageModel, discriminator=Discriminator, adam=Adam,
                             rollout=rollout_Q, bleu=BleuScore, sentence_bleus=bleu,
                             self_bleu=self_bleu),
    "fast": SimpleNamespace(model=fast.FastLanguageModel, discriminator=fast.FastDiscriminator,
                            adam=fast.FastAdam, rollout=fast.rollout_Q, bleu=fast.FastBleuScore,
                            sentence_bleus=fast.metrics.bleu, self_bleu=fast.metrics.self_bleu),
}
