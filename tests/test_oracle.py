"""The original SeqGAN oracle (from ../shared/reference) and the built-in one."""
import pickle

import numpy as np
import pytest

from conftest import reference_file
from seqgan_np.core.metrics import nll_oracle
from seqgan_np.core.oracle import ORIGINAL_KEYS, load_oracle, make_oracle
from seqgan_np.fast import FastLanguageModel


def test_original_oracle_entropy_rate():
    """Its own samples score 5.75 nats per token (the paper's oracle)."""
    oracle = load_oracle(reference_file("seqgan_oracle_params.npz"), model=FastLanguageModel)
    nll = nll_oracle(oracle, oracle.sample(10000, np.random.default_rng(0)))
    assert abs(nll - 5.75) < 0.05, nll


def test_npz_and_pickle_give_identical_parameters():
    a = load_oracle(reference_file("seqgan_oracle_params.npz"))
    b = load_oracle(reference_file("target_params_py3.pkl"))
    assert a.params.keys() == b.params.keys()
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=k)
    assert (a.vocab_size, a.emb_dim, a.hidden_dim) == (5000, 32, 32)


class _Payload:
    """Unpickling this would run Path(marker).touch()."""
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        from pathlib import Path
        return (Path.touch, (Path(self.marker),))


def test_pickle_naming_another_global_is_refused_unexecuted(tmp_path):
    marker = tmp_path / "executed"
    bad = tmp_path / "evil.pkl"
    bad.write_bytes(pickle.dumps([np.zeros(2)] * 14 + [_Payload(str(marker))]))
    with pytest.raises(ValueError, match=r"evil\.pkl.*pathlib"):
        load_oracle(bad)
    assert not marker.exists()


def test_make_oracle_is_seeded_standard_normal():
    a, b, c = make_oracle(3, 50, 8, 8, 5), make_oracle(3, 50, 8, 8, 5), make_oracle(4, 50, 8, 8, 5)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert not np.array_equal(a.params["W"], c.params["W"])
    flat = np.concatenate([p.ravel() for p in a.params.values()])
    assert abs(flat.std() - 1.0) < 0.05 and abs(flat.mean()) < 0.05


# ------------------------------------------------------------- bad files

def _write_npz(path, **changes):
    arrays = {"embedding": np.zeros((10, 4), np.float32), "W_out": np.zeros((3, 10), np.float32),
              "b_out": np.zeros(10, np.float32)}
    for g in "ifoc":
        arrays.update({f"W_{g}": np.zeros((4, 3), np.float32), f"U_{g}": np.zeros((3, 3), np.float32),
                       f"b_{g}": np.zeros(3, np.float32)})
    arrays.update(changes)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def test_small_npz_loads(tmp_path):
    oracle = load_oracle(_write_npz(tmp_path / "ok.npz"), seq_len=5)
    assert (oracle.vocab_size, oracle.emb_dim, oracle.hidden_dim) == (10, 4, 3)


@pytest.mark.parametrize("change, message", [
    ({"U_f": None}, r"missing U_f"),
    ({"extra": np.zeros(3)}, r"unexpected extra"),
    ({"W_out": np.zeros((3, 9), np.float32)}, r"'W_out'.*expected shape \(3, 10\)"),
    ({"b_i": np.zeros(3, np.int32)}, r"'b_i'.*floating-point.*int32"),
])
def test_bad_npz_names_file_and_key(tmp_path, change, message):
    path = _write_npz(tmp_path / "bad.npz", **change)
    with pytest.raises(ValueError, match=r"bad\.npz.*" + message):
        load_oracle(path)


def test_pickle_of_wrong_length_is_refused(tmp_path):
    path = tmp_path / "short.pkl"
    path.write_bytes(pickle.dumps([np.zeros(3, np.float32)] * 3))
    with pytest.raises(ValueError, match=rf"short\.pkl.*{len(ORIGINAL_KEYS)} arrays"):
        load_oracle(path)


def test_corrupt_and_missing_files(tmp_path):
    path = tmp_path / "corrupt.npz"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"corrupt\.npz"):
        load_oracle(path)
    with pytest.raises(FileNotFoundError, match=r"nowhere\.npz"):
        load_oracle(tmp_path / "nowhere.npz")
