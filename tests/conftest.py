import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

SHARED_REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def reference_file(name):
    """A file of ../shared/reference, or a skip that says why."""
    path = SHARED_REFERENCE / name
    if not path.is_file():
        pytest.skip(f"reference file {path} is absent (../shared beside the project holds it)")
    return path


def pytest_terminal_summary(terminalreporter):
    from gradcheck import REPORT
    if REPORT:
        terminalreporter.section("worst measured errors per test family")
        for family, (name, err) in sorted(REPORT.items()):
            terminalreporter.write_line(f"{family:<44} {err:9.2e}  ({name})")
