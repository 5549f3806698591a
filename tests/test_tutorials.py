"""Every tutorial notebook runs top to bottom without an error (each one
checks its own plain code against the library with visible asserts)."""
import sys
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
sys.path.insert(0, str(TUTORIALS))
execute = pytest.importorskip("execute", reason="the tutorials extra (nbclient) is not installed")


@pytest.mark.parametrize("path", execute.NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path):
    execute.execute(path)
