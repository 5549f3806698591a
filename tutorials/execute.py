"""Run the tutorial notebooks top to bottom, with the exercises solved.

    python tutorials/execute.py              # run each in memory; fail on the first error
    python tutorials/execute.py --in-place   # run each and save it with its fresh outputs
    python tutorials/execute.py 03           # only the notebooks whose names contain 03

Each notebook runs in a fresh kernel with the tutorials folder as its
working folder (the project root is ``..`` from there). The tests call
``execute`` (tests/test_tutorials.py).

Exercises: a code cell whose metadata holds ``"exercise": "NAME"`` is a
TODO cell for the reader. Here it runs with the solution instead, the
section ``# %% NAME`` of ``solutions/<notebook name>.py``, so that the
check cells after it run and a broken solution fails the suite. The saved
notebook keeps the reader's TODO source and no output under it: no answer
shows before the reader tries.
"""
import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOKS = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = HERE / "solutions"
TIMEOUT_S = 300  # per cell


def solutions_of(path):
    """{exercise name: solution source} from solutions/<notebook name>.py."""
    file = SOLUTIONS / f"{path.stem}.py"
    if not file.exists():
        return {}
    parts = re.split(r"^# %% (\S+)[^\n]*\n", file.read_text(), flags=re.M)
    return {name: source.strip() + "\n" for name, source in zip(parts[1::2], parts[2::2])}


def check_of(nb, i):
    """The check of exercise cell i: the next code cell."""
    return next(c for c in nb.cells[i + 1:] if c.cell_type == "code")


def execute(path, in_place=False):
    """Execute notebook ``path`` with its exercises solved; raise on the
    first failing cell or on an exercise without a solution. Returns seconds."""
    nb = nbformat.read(path, as_version=4)
    solutions, todo = solutions_of(path), {}
    for i, cell in enumerate(nb.cells):
        name = cell.metadata.get("exercise")
        if name:
            if name not in solutions:
                raise KeyError(f"{path.name}: exercise {name!r} has no solution in "
                               f"{SOLUTIONS / (path.stem + '.py')}")
            todo[i], cell.source = cell.source, solutions[name]
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    seconds = time.perf_counter() - t0
    for i, source in todo.items():  # back to the reader's TODO, with no answer under it
        nb.cells[i].source = source
        for cell in (nb.cells[i], check_of(nb, i)):
            cell.outputs, cell.execution_count = [], None
    if in_place:
        nbformat.write(nb, path)
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-place", action="store_true", help="save the fresh outputs")
    parser.add_argument("names", nargs="*", help="run only notebooks whose names contain one of these")
    args = parser.parse_args(argv)
    chosen = [p for p in NOTEBOOKS if not args.names or any(n in p.name for n in args.names)]
    if not chosen:
        print(f"no notebook matches {args.names} in {HERE}", file=sys.stderr)
        return 2
    for path in chosen:
        print(f"{path.name}: {execute(path, args.in_place):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
