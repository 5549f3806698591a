"""Run the tutorial notebooks top to bottom.

    python tutorials/execute.py              # run each in memory; fail on the first error
    python tutorials/execute.py --in-place   # run each and save it with its fresh outputs
    python tutorials/execute.py 03           # only the notebooks whose names contain 03

Each notebook runs in a fresh kernel with the tutorials folder as its
working folder (the project root is ``..`` from there, and the shared
reference files, where present, ``../../shared/reference``). The tests call
``execute`` (tests/test_tutorials.py).
"""
import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOKS = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
TIMEOUT_S = 300  # per cell


def execute(path, in_place=False):
    """Execute notebook ``path``; raise on the first failing cell. Returns seconds."""
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    seconds = time.perf_counter() - t0
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
