"""``make bench``: time every phase of the oracle experiment at the paper's
sizes (../shared/docs/benchmark.md) on the chosen backend.

Each phase is timed after one warm-up as the median of its repeats, float32
throughout. Human-readable lines go to stdout first; the last line is one
JSON object with the keys of benchmark.md plus a few extra (repeat counts,
the fraction of the GEMM limit reached by the training steps). The library
is used exactly as the experiment uses it; nothing here is a special path.
"""
import json
import os
import statistics
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..backend import backend_name, get_xp, to_numpy
from ..core.discriminator import DiscriminatorConfig
from ..core.metrics import nll_oracle
from ..core.oracle import make_oracle
from ..fast import FastAdam, FastDiscriminator, FastLanguageModel, rollout_Q
from ..fast.threads import keep_freed_memory, n_threads

PHASES = ("gemm", "mle", "pg", "disc", "sample", "nll", "rollout")

@dataclass(frozen=True)
class BenchSizes:
    """The sizes of every phase: the paper's by default (benchmark.md)."""
    V: int = 5000  # vocabulary
    T: int = 20  # length
    B: int = 64  # batch
    E: int = 32  # G's embedding
    H: int = 32  # G's hidden state
    N: int = 16  # rollouts
    n_sample: int = 10000  # sequences sampled and scored (the "10k" keys)
    gemm: int = 2048  # the side of the GEMM that measures the machine
    d_cfg: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)

    @property
    def d_steps_per_epoch(self):  # 312: whole batches of 10,000 real + 10,000 fake (data.py)
        return 2 * self.n_sample // self.B


PAPER = BenchSizes()
# For the tests: every phase in seconds, on any backend.
SMALL = BenchSizes(V=50, T=8, B=8, E=8, H=8, N=2, n_sample=200, gemm=64,
                   d_cfg=DiscriminatorConfig(vocab_size=50, seq_len=8, emb_dim=8,
                                             filter_sizes=(1, 2, 8), num_filters=(4, 4, 4)))
REPEATS = {"gemm": 3, "mle": 30, "pg": 30, "disc": 10, "sample": 3, "nll": 5, "rollout": 3}
QUICK_REPEATS = {"gemm": 3, "mle": 5, "pg": 5, "disc": 3, "sample": 3, "nll": 3, "rollout": 3}


def step_flops(sizes):
    """Multiply-add counts (x2) of one training step's matrix products."""
    V, T, B, E, H, d_cfg = sizes.V, sizes.T, sizes.B, sizes.E, sizes.H, sizes.d_cfg
    rows = B * T
    lstm = 2 * rows * (E + H) * 4 * H  # x W + h U over all steps
    g_step = 3 * (2 * rows * H * V + lstm)  # forward, then two backward products each
    conv = sum(2 * B * (T - K + 1) * K * d_cfg.emb_dim * F
               for K, F in zip(d_cfg.filter_sizes, d_cfg.num_filters))
    D = d_cfg.features
    highway = 2 * B * D * 2 * D
    return {"mle": g_step, "pg": g_step, "disc": 3 * (conv + highway)}


def timed(fn, repeats, sync):
    """Median seconds of ``repeats`` calls after one warm-up call."""
    fn()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_bench(backend=None, quick=False, phases=(), seed=0, report=print, sizes=PAPER):
    """Time ``phases``; returns the result dict (also reported line by line)."""
    V, T, B, E, H, N, n = sizes.V, sizes.T, sizes.B, sizes.E, sizes.H, sizes.N, sizes.n_sample
    keep_freed_memory()
    xp = get_xp(backend)
    sync = (lambda: xp.cuda.Stream.null.synchronize()) if xp is not np else (lambda: None)
    reps = QUICK_REPEATS if quick else REPEATS
    rng = np.random.default_rng(seed)
    G = FastLanguageModel.random(rng, V, E, H, T, xp=xp, name="G_theta")
    oracle = make_oracle(seed, V, E, H, T, xp=xp, model=FastLanguageModel)
    D = FastDiscriminator.random(sizes.d_cfg, rng, xp=xp)
    g_opt, d_opt = FastAdam(0.01, clip_norm=5.0), FastAdam(1e-4)
    g_state, d_state = g_opt.init(G.params, xp), d_opt.init(D.params, xp)
    Y = G.sample(B, rng)  # (B, T)
    Q = xp.asarray(rng.random((B, T)), dtype=G.dtype)  # rewards in [0, 1)
    x_d = xp.asarray(rng.integers(0, V, (B, T)))
    labels = xp.asarray(np.arange(B) % 2)
    flops = step_flops(sizes)
    res = {"backend": backend_name(xp), "dtype": "float32",
           "threads": n_threads(),
           "glibc_tunables": os.environ.get("GLIBC_TUNABLES", ""), "repeats": {}}
    if sizes != PAPER:
        res["sizes"] = {k: v for k, v in asdict(sizes).items() if k != "d_cfg"}

    def record(key, seconds, phase, scale, unit):
        res[key] = round(seconds * scale, 3 if scale == 1 else 2)
        res["repeats"][key] = reps[phase]
        report(f"{key:22s} {res[key]:10.3f} {unit}  (median of {reps[phase]})")

    if "gemm" in phases:
        A = xp.asarray(rng.standard_normal((sizes.gemm, sizes.gemm)), dtype=xp.float32)
        s = timed(lambda: A @ A, reps["gemm"], sync)
        res["gemm_gflops"] = round(2 * sizes.gemm ** 3 / s / 1e9, 1)
        res["repeats"]["gemm_gflops"] = reps["gemm"]
        report(f"{'gemm_gflops':22s} {res['gemm_gflops']:10.1f} GFLOP/s (float32 {sizes.gemm}^3)")
    steps = {"mle": lambda: g_opt.step(G.params, G.mle_loss_and_grads(Y)[1], g_state),
             "pg": lambda: g_opt.step(G.params, G.pg_loss_and_grads(Y, Q)[1], g_state),
             "disc": lambda: d_opt.step(D.params, D.loss_and_grads(x_d, labels, rng)[1], d_state)}
    for phase, fn in steps.items():
        if phase in phases:
            record(f"{phase}_step_ms", timed(fn, reps[phase], sync), phase, 1000, "ms")
            if "gemm_gflops" in res:
                frac = flops[phase] / (res[f"{phase}_step_ms"] / 1000) / (res["gemm_gflops"] * 1e9)
                res[f"{phase}_gemm_fraction"] = round(frac, 3)
                report(f"{'':22s} {frac:10.1%} of the GEMM limit ({flops[phase] / 1e9:.2f} GFLOP)")
    if "sample" in phases:
        record("sample_64_ms", timed(lambda: G.sample(B, rng), reps["sample"], sync), "sample", 1000, "ms")
        record("sample_10k_s", timed(lambda: G.sample(n, rng), reps["sample"], sync), "sample", 1, "s")
    if "nll" in phases:
        Y10k = oracle.sample(n, rng)
        record("nll_oracle_10k_s", timed(lambda: nll_oracle(oracle, Y10k), reps["nll"], sync),
               "nll", 1, "s")
    if "rollout" in phases:
        q = to_numpy(rollout_Q(Y, G, D.p_real, N, rng))
        checks = q.shape == (B, T) and (0 <= q).all() and (q <= 1).all()
        res["checks_passed"] = bool(checks)
        record("rollout_batch_s", timed(lambda: rollout_Q(Y, G, D.p_real, N, rng), reps["rollout"], sync),
               "rollout", 1, "s")
    need = ("sample_64_ms", "rollout_batch_s", "pg_step_ms", "sample_10k_s", "disc_step_ms")
    if all(k in res for k in need):
        res["adv_epoch_paper_s"] = round(
            res["sample_64_ms"] / 1000 + res["rollout_batch_s"] + res["pg_step_ms"] / 1000
            + 5 * (res["sample_10k_s"] + 3 * sizes.d_steps_per_epoch * res["disc_step_ms"] / 1000), 1)
        report(f"{'adv_epoch_paper_s':22s} {res['adv_epoch_paper_s']:10.1f} s  (derived)")
    return res


def main(backend=None, quick=False, phases=PHASES):
    t0 = time.perf_counter()
    res = run_bench(backend, quick, phases)
    res["total_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(res))
    return 0 if res.get("checks_passed", True) else 1
