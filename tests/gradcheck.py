"""The package's gradient checks (seqgan_np.gradcheck), plus the table of
the worst error measured per test family that conftest.py prints."""
from seqgan_np.gradcheck import (AUTOGRAD_TOL, FD_STEP, FD_TOL,  # noqa: F401
                                 check_against_autograd, finite_difference_errors, rel_error)


def worst(errors):
    """The largest error of a dict of named errors, with its name."""
    name = max(errors, key=errors.get)
    return name, errors[name]


# Worst errors per test family, printed at the end of the run (conftest.py).
REPORT = {}


def record(family, errors):
    """Keep the worst of ``errors`` (name -> error) under ``family``; return them."""
    name, err = worst(errors)
    if err >= REPORT.get(family, ("", -1.0))[1]:
        REPORT[family] = (name, err)
    return errors
