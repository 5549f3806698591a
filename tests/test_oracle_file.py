"""The original oracle file converts to an .npz that loads to the same oracle."""
import numpy as np

from conftest import reference_file
from seqgan_np.core.oracle import ORIGINAL_KEYS, load_oracle, original_arrays


def test_the_original_pickle_converts_to_an_npz(tmp_path):
    pkl = reference_file("target_params_py3.pkl")
    arrays = original_arrays(pkl)
    assert list(arrays) == list(ORIGINAL_KEYS)
    np.savez(tmp_path / "oracle.npz", **arrays)  # the conversion the README gives
    a, b = load_oracle(pkl), load_oracle(tmp_path / "oracle.npz")
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=k)
