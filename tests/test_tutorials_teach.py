"""The notebooks teach as the house style asks: rendered equations, 3-4
exercises each with a solution and no answer showing under the TODO, and
engineering (timings, threads) only in the appendix notebook 06."""
import re
import sys
from pathlib import Path

import nbformat
import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
sys.path.insert(0, str(TUTORIALS))
execute = pytest.importorskip("execute", reason="the tutorials extra (nbclient) is not installed")


@pytest.mark.parametrize("path", execute.NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_are_left_to_the_reader(path):
    nb = nbformat.read(path, as_version=4)
    exercises = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("exercise")]
    assert 3 <= len(exercises) <= 4, f"{path.name}: {len(exercises)} exercises"
    solutions = execute.solutions_of(path)
    for i, cell in enumerate(nb.cells):
        if cell not in exercises:
            continue
        assert cell.metadata["exercise"] in solutions
        assert "TODO" in cell.source and not cell.outputs, cell.source[:80]
        assert not execute.check_of(nb, i).outputs, f"{path.name}: the check shows its answer"
        assert solutions[cell.metadata["exercise"]].strip() != cell.source.strip()


APPENDIX = "06_"  # the engineering appendix: its timings and threads are its subject
TEACHING = [p for p in execute.NOTEBOOKS if not p.name.startswith(APPENDIX)]


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.name)
def test_equations_are_rendered_and_timings_stay_in_the_appendix(path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert markdown.count("$") >= 10, f"{path.name}: no rendered mathematics"
    for word in ("perf_counter", "SEQGAN_THREADS", "blas_single_threaded", "%timeit"):
        assert word not in code, f"{path.name} times or tunes: {word}"
    assert not re.search(r"\.\./\.\./shared|\.\./shared", code), f"{path.name} reads ../shared"
