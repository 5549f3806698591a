"""What the library does with bad input: one table of cases, each a call,
the error it must raise (None: it must work) and the words its one-line
message must contain. Every refusal is raised where the input enters
(a model's constructor, a public method, a file reader), before any work.

The command line's and the runner's cases are in test_failures_cli.py."""
import io
import pickle
import sys
import zipfile
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest

from seqgan_np import fast
from seqgan_np.core.discriminator import Discriminator, DiscriminatorConfig
from seqgan_np.core.lm import LanguageModel
from seqgan_np.core.metrics import nll_oracle, nll_test
from seqgan_np.core.optim import Adam
from seqgan_np.core.oracle import GATES, ORIGINAL_KEYS, load_oracle
from seqgan_np.core.rollout import rollout_Q, update_rollout_policy
from seqgan_np.fast import FastDiscriminator, FastLanguageModel
from test_backends import load_standin

V, E, H, T = 7, 3, 3, 4
CFG = dict(vocab_size=V, seq_len=T, emb_dim=3, filter_sizes=(1, 2), num_filters=(2, 2))
GOOD = np.array([[1, 2, 3, 4], [0, 6, 5, 1]])  # (B, T) tokens
LABELS = np.array([1, 0])
NONE = np.zeros((0, T), np.int64)  # no rows
COMPLETIONS = np.array([[1, 2, 0, 0], [0, 6, 5, 2]])  # keep prefixes 2 and 3 of GOOD
SOURCE, PREFIX = np.array([0, 1]), np.array([2, 3])


@pytest.fixture
def lib(tmp_path, monkeypatch):
    """Small models (the fast twins g, d and their plain core twins
    g_plain, d_plain with the same parameters; host and stand-in device) and
    a folder for bad files."""
    standin = load_standin()
    monkeypatch.setitem(sys.modules, "cupy", standin)
    rng = np.random.default_rng(0)
    g = FastLanguageModel.random(rng, V, E, H, T, name="generator")
    d = FastDiscriminator.random(DiscriminatorConfig(**CFG), rng)
    g_plain = LanguageModel(g.params, T, name="generator")
    d_plain = Discriminator(d.cfg, d.params)
    g_dev = FastLanguageModel({k: standin.asarray(v) for k, v in g.params.items()}, T,
                              xp=standin, name="generator")
    return SimpleNamespace(g=g, d=d, g_plain=g_plain, d_plain=d_plain, g_dev=g_dev, dev=standin,
                           tmp=tmp_path)


def same(a, b):
    """Results (arrays, numbers, or tuples and dicts of them) exactly equal: True."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        return all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return all(same(x, y) for x, y in zip(a, b, strict=True))
    np.testing.assert_array_equal(a, b)
    return True


def seeded(seed=3):
    return np.random.default_rng(seed)


# ------------------------------------------------------------- bad files

def gate_arrays(**changes):
    """The original's per-gate arrays of a small oracle, with ``changes``."""
    rs = np.random.default_rng(1)
    arrays = {"embedding": rs.standard_normal((10, 4)), "W_out": rs.standard_normal((3, 10)),
              "b_out": rs.standard_normal(10)}
    for g in GATES:
        arrays.update({f"W_{g}": rs.standard_normal((4, 3)), f"U_{g}": rs.standard_normal((3, 3)),
                       f"b_{g}": rs.standard_normal(3)})
    arrays = {k: v.astype(np.float32) for k, v in arrays.items()}
    for key, change in changes.items():
        arrays[key] = change(arrays[key].copy())
    return arrays


def with_entry(value):
    def change(array):
        array.flat[0] = value
        return array
    return change


def npz(lib, name="bad.npz", **changes):
    path = lib.tmp / name
    np.savez(path, **gate_arrays(**changes))
    return path


def pkl(lib, name="bad.pkl", arrays=None, **changes):
    """The original's format: a pickled list of the 15 arrays, in order."""
    path = lib.tmp / name
    arrays = gate_arrays(**changes) if arrays is None else arrays
    path.write_bytes(pickle.dumps([arrays[k] for k in ORIGINAL_KEYS], protocol=3))
    return path


def huge_pickle(lib):
    """A ~170-byte pickle whose array asks for 10^15 entries: numpy's own
    pickle with the shape handed to ``_reconstruct`` patched from (0,).
    (10^15 bytes exceed any address space, so even an overcommitting
    machine refuses them.)"""
    data = pickle.dumps(np.zeros(3, np.float32), protocol=3)
    assert data.count(b"K\x00\x85") == 1  # BININT1 0, TUPLE1: the shape (0,)
    path = lib.tmp / "huge.pkl"
    path.write_bytes(data.replace(b"K\x00\x85", b"\x8a\x07" + (10 ** 15).to_bytes(7, "little")
                                  + b"\x85"))  # LONG1 10^15, TUPLE1
    return path


def huge_npz(lib):
    """A 270-byte .npz whose embedding's header asks for 10^15 entries."""
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (10 ** 15,)})
    path = lib.tmp / "huge.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("embedding.npy", member.getvalue() + b"\0" * 16)
    return path


def flipped_header_npz(lib):
    """An .npz with one byte of an array header flipped."""
    path = npz(lib, "flipped.npz")
    data = bytearray(path.read_bytes())
    data[data.index(b"'shape': (") + 9] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def unreadable(lib):
    """The read of an existing file refused by the operating system (tests
    may run as root, who reads everything, so the refusal is patched in)."""
    path = pkl(lib, "locked.pkl")
    denied = PermissionError(13, "Permission denied", str(path))
    with mock.patch("seqgan_np.core.oracle.open", create=True, side_effect=denied):
        load_oracle(path)


# ------------------------------------------------------------- the table

def lm_with(lib, **changes):
    return LanguageModel({**lib.g.params, **changes}, T, name="generator")


def d_with(lib, **changes):
    return Discriminator(lib.d.cfg, {**lib.d.params, **changes})


def poisoned(model, key, value):
    """A copy of the model's parameter ``key`` with its last entry ``value``."""
    array = model.params[key].copy()
    array.flat[-1] = value
    return array


def bad_rewards(value):
    rewards = np.full(GOOD.shape, 0.5)
    rewards[1, 2] = value
    return rewards


NAN, INF = float("nan"), float("inf")
CASES = [  # (id, call(lib), the error or None for "works", words of its message)
    # --- oracle files: every entry finite, shapes inferred robustly, one line naming file and key
    ("oracle npz with a NaN", lambda lib: load_oracle(npz(lib, U_i=with_entry(NAN))),
     ValueError, ["bad.npz", "'U_i'", "1 of 9 entries are not finite"]),
    ("oracle npz with an inf", lambda lib: load_oracle(npz(lib, b_out=with_entry(-INF))),
     ValueError, ["bad.npz", "'b_out'", "not finite"]),
    ("oracle pkl with a NaN", lambda lib: load_oracle(pkl(lib, W_f=with_entry(NAN))),
     ValueError, ["bad.pkl", "'W_f'", "not finite"]),
    ("oracle pkl with an inf", lambda lib: load_oracle(pkl(lib, embedding=with_entry(INF))),
     ValueError, ["bad.pkl", "'embedding'", "not finite"]),
    ("oracle with a 1-D embedding", lambda lib: load_oracle(npz(lib, embedding=np.ravel)),
     ValueError, ["bad.npz", "'embedding'", "expected a 2-D array (V, E), got shape (40,)"]),
    ("oracle with a 0-d U_i", lambda lib: load_oracle(npz(lib, U_i=lambda a: a[0, 0])),
     ValueError, ["bad.npz", "'U_i'", "expected a 2-D array (H, H), got shape ()"]),
    ("oracle pickle of nested lists",
     lambda lib: load_oracle(pkl(lib, arrays={k: v.tolist() for k, v in gate_arrays().items()})),
     ValueError, ["bad.pkl", "'embedding'", "expected an array, got list"]),
    ("oracle pickle with one list entry", lambda lib: load_oracle(pkl(lib, b_c=np.ndarray.tolist)),
     ValueError, ["bad.pkl", "'b_c'", "expected a floating-point array, got list"]),
    ("oracle pickle asking for 10^15 entries", lambda lib: load_oracle(huge_pickle(lib)),
     ValueError, ["huge.pkl", "too large for memory", "(1000000000000000,)"]),
    ("oracle npz asking for 10^15 entries", lambda lib: load_oracle(huge_npz(lib)),
     ValueError, ["huge.npz", "too large for memory", "(1000000000000000,)"]),
    ("oracle npz with a flipped header byte", lambda lib: load_oracle(flipped_header_npz(lib)),
     ValueError, ["flipped.npz", "not a readable .npz file"]),
    ("oracle path is a directory", lambda lib: load_oracle(lib.tmp),
     IsADirectoryError, ["is a directory", "not an oracle parameters file"]),
    ("oracle file unreadable", unreadable, PermissionError, ["locked.pkl", "Permission denied"]),
    ("oracle npz works", lambda lib: load_oracle(npz(lib, "good.npz"), seq_len=T).vocab_size == 10,
     None, []),
    ("oracle npz and pkl agree",
     lambda lib: same(load_oracle(npz(lib, "good.npz")).params,
                      load_oracle(pkl(lib, "good.pkl")).params),
     None, []),
    # --- model parameters: finite, checked once, at construction
    ("NaN parameter in a language model", lambda lib: lm_with(lib, W=poisoned(lib.g, "W", NAN)),
     ValueError, ["generator", "'W'", "1 of 36 entries are not finite"]),
    ("inf parameter in a language model",
     lambda lib: lm_with(lib, b_out=poisoned(lib.g, "b_out", INF)),
     ValueError, ["generator", "'b_out'", "not finite"]),
    ("NaN parameter in the discriminator",
     lambda lib: d_with(lib, highway_W=poisoned(lib.d, "highway_W", NAN)),
     ValueError, ["discriminator", "'highway_W'", "not finite"]),
    ("NaN parameter on the device",
     lambda lib: FastLanguageModel({**lib.g_dev.params,
                                    "U": lib.dev.asarray(poisoned(lib.g, "U", NAN))},
                                   T, xp=lib.dev, name="generator"),
     ValueError, ["generator", "'U'", "1 of 36 entries are not finite"]),
    ("a list as a parameter", lambda lib: lm_with(lib, b=lib.g.params["b"].tolist()),
     ValueError, ["generator", "'b'", "expected a floating-point array, got list"]),
    ("a 1-D embedding in a model",
     lambda lib: lm_with(lib, embedding=lib.g.params["embedding"].ravel()),
     ValueError, ["generator", "2-D 'embedding'"]),
    ("hidden size 0", lambda lib: LanguageModel.random(seeded(), V, E, 0, T),
     ValueError, ["empty parameters", "hidden 0"]),
    ("seq_len 0", lambda lib: LanguageModel(lib.g.params, 0, name="generator"),
     ValueError, ["generator: seq_len", "positive integer", "got 0"]),
    ("chunk_rows 0", lambda lib: FastDiscriminator(lib.d.cfg, lib.d.params, chunk_rows=0),
     ValueError, ["chunk_rows", "positive integer"]),
    ("a filter count of 0", lambda lib: DiscriminatorConfig(**{**CFG, "num_filters": (0, 2)}),
     ValueError, ["num_filters", "positive integers"]),
    ("no filter widths",
     lambda lib: DiscriminatorConfig(**{**CFG, "filter_sizes": (), "num_filters": ()}),
     ValueError, ["filter_sizes", "at least one"]),
    ("l2_reg inf", lambda lib: DiscriminatorConfig(**CFG, l2_reg=INF),
     ValueError, ["l2_reg", "finite"]),
    ("Adam with lr inf", lambda lib: Adam(INF), ValueError, ["Adam: lr=inf", "finite"]),
    ("Adam with lr NaN", lambda lib: Adam(NAN, clip_norm=1.0), ValueError, ["Adam: lr=nan"]),
    ("rollout update rate NaN", lambda lib: update_rollout_policy(lib.g.params, lib.g.params, NAN),
     ValueError, ["rate", "[0, 1]"]),
    # --- rewards Q: finite, array-likes accepted
    ("NaN rewards", lambda lib: lib.g.pg_loss_and_grads(GOOD, bad_rewards(NAN)),
     ValueError, ["Q", "1 of 8 entries are not finite"]),
    ("inf rewards", lambda lib: lib.g.pg_loss_and_grads(GOOD, bad_rewards(INF)),
     ValueError, ["Q", "not finite"]),
    ("NaN rewards on the device",
     lambda lib: lib.g_dev.pg_loss_and_grads(lib.dev.asarray(GOOD),
                                             lib.dev.asarray(bad_rewards(NAN))),
     ValueError, ["Q", "1 of 8 entries are not finite"]),
    ("rewards as lists work",
     lambda lib: same(lib.g.pg_loss_and_grads(GOOD.tolist(), bad_rewards(0.5).tolist()),
                      lib.g.pg_loss_and_grads(GOOD, bad_rewards(0.5))), None, []),
    # --- tokens as lists: the same result as the array
    ("list tokens: log_prob", lambda lib: same(lib.g.log_prob(GOOD.tolist()), lib.g.log_prob(GOOD)),
     None, []),
    ("list tokens: token_log_probs, plain",
     lambda lib: same(lib.g_plain.token_log_probs(GOOD.tolist()),
                      lib.g_plain.token_log_probs(GOOD)),
     None, []),
    ("list tokens: MLE loss",
     lambda lib: same(lib.g.mle_loss_and_grads(GOOD.tolist()), lib.g.mle_loss_and_grads(GOOD)),
     None, []),
    ("list tokens: NLL-oracle and NLL-test",
     lambda lib: same((nll_oracle(lib.g, GOOD.tolist()), nll_test(lib.g, tuple(map(tuple, GOOD)))),
                      (nll_oracle(lib.g, GOOD), nll_test(lib.g, GOOD))), None, []),
    ("list tokens: D's probabilities",
     lambda lib: same((lib.d.predict_proba(GOOD.tolist()),
                       lib.d_plain.predict_proba(GOOD.tolist())),
                      (lib.d.predict_proba(GOOD), lib.d_plain.predict_proba(GOOD))), None, []),
    ("list tokens and labels: D loss",
     lambda lib: same(lib.d.loss_and_grads(GOOD.tolist(), LABELS.tolist(), seeded()),
                      lib.d.loss_and_grads(GOOD, LABELS, seeded())), None, []),
    ("lists: D(real) of completions",
     lambda lib: same(lib.d.p_real_of_completions(GOOD.tolist(), COMPLETIONS.tolist(),
                                                  SOURCE.tolist(), PREFIX.tolist()),
                      lib.d.p_real_of_completions(GOOD, COMPLETIONS, SOURCE, PREFIX)),
     None, []),
    ("list tokens: rollout (both twins)",
     lambda lib: same((fast.rollout_Q(GOOD.tolist(), lib.g, lib.d.p_real, 2, seeded()),
                       rollout_Q(GOOD.tolist(), lib.g_plain, lib.d_plain.p_real, 2, seeded())),
                      (fast.rollout_Q(GOOD, lib.g, lib.d.p_real, 2, seeded()),
                       rollout_Q(GOOD, lib.g_plain, lib.d_plain.p_real, 2, seeded()))), None, []),
    ("list tokens on the device",
     lambda lib: same(lib.g_dev.log_prob(GOOD.tolist()), lib.g.log_prob(GOOD)), None, []),
    ("ragged token lists", lambda lib: lib.g.log_prob([[1, 2, 3, 4], [1, 2]]),
     ValueError, ["tokens: not an array", "inhomogeneous"]),
    ("an empty token list", lambda lib: lib.g.log_prob([]),
     ValueError, ["tokens: expected shape (n, T), got (0,)"]),
    # --- no rows, no rollouts, no samples
    ("no rows: MLE loss", lambda lib: lib.g.mle_loss_and_grads(NONE),
     ValueError, ["tokens: no rows (shape (0, 4))"]),
    ("no rows: PG loss", lambda lib: lib.g.pg_loss_and_grads(NONE, np.zeros((0, T))),
     ValueError, ["tokens: no rows"]),
    ("no rows: log_prob", lambda lib: lib.g.log_prob(NONE), ValueError, ["tokens: no rows"]),
    ("no rows: token_log_probs, plain", lambda lib: lib.g_plain.token_log_probs(NONE),
     ValueError, ["tokens: no rows"]),
    ("no rows: NLL-oracle", lambda lib: nll_oracle(lib.g, NONE), ValueError, ["tokens: no rows"]),
    ("no rows: NLL-test", lambda lib: nll_test(lib.g, NONE), ValueError, ["tokens: no rows"]),
    ("no rows: D loss", lambda lib: lib.d.loss_and_grads(NONE, np.zeros(0, int), seeded()),
     ValueError, ["tokens: no rows"]),
    ("no rows: D's probabilities", lambda lib: lib.d.predict_proba(NONE),
     ValueError, ["tokens: no rows"]),
    ("no rows: D's probabilities, plain", lambda lib: lib.d_plain.predict_proba(NONE),
     ValueError, ["tokens: no rows"]),
    ("no rows: D(real) of completions",
     lambda lib: lib.d.p_real_of_completions(GOOD, NONE, [], []),
     ValueError, ["completions: no rows"]),
    ("no rows: rollout", lambda lib: fast.rollout_Q(NONE, lib.g, lib.d.p_real, 2, seeded()),
     ValueError, ["tokens: no rows"]),
    ("no rows: rollout, plain",
     lambda lib: rollout_Q(NONE, lib.g_plain, lib.d_plain.p_real, 2, seeded()),
     ValueError, ["tokens: no rows"]),
    ("no rows on the device", lambda lib: lib.g_dev.mle_loss_and_grads(lib.dev.asarray(NONE)),
     ValueError, ["tokens: no rows"]),
    ("0 rollouts", lambda lib: fast.rollout_Q(GOOD, lib.g, lib.d.p_real, 0, seeded()),
     ValueError, ["n_rollouts", "positive integer", "got 0"]),
    ("0 rollouts, plain",
     lambda lib: rollout_Q(GOOD, lib.g_plain, lib.d_plain.p_real, 0, seeded()),
     ValueError, ["n_rollouts", "positive integer"]),
    ("-1 rollouts", lambda lib: fast.rollout_Q(GOOD, lib.g, lib.d.p_real, -1, seeded()),
     ValueError, ["n_rollouts", "got -1"]),
    ("sequences of 1 token: rollout",
     lambda lib: fast.rollout_Q(GOOD[:, :1], FastLanguageModel(lib.g.params, 1), lib.d.p_real, 2,
                                seeded()),
     ValueError, ["tokens", "at least 2 tokens", "(2, 1)"]),
    ("sample(0)", lambda lib: lib.g.sample(0, seeded()),
     ValueError, ["n: expected a positive integer, got 0"]),
    ("sample(-3), plain", lambda lib: lib.g_plain.sample(-3, seeded()),
     ValueError, ["n:", "got -3"]),
    ("sample(2.5)", lambda lib: lib.g.sample(2.5, seeded()), ValueError, ["n:", "got 2.5"]),
    ("sample(1) works", lambda lib: lib.g.sample(1, seeded()).shape == (1, T), None, []),
]


@pytest.mark.parametrize("call, error, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_library_refuses_bad_input_in_one_line(lib, call, error, words):
    if error is None:
        assert call(lib)  # works (the row compares with the result of arrays)
        return
    with pytest.raises(error) as caught:
        call(lib)
    message = str(caught.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, (word, message)
