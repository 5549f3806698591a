"""Run folders that are never overwritten, shared or mixed without a word.

- A new run refuses a folder that already holds a run, unless asked to
  overwrite it (then the old run's files are removed first, so that none of
  them is left beside the new run's).
- A lock file (``.lock``, holding the process id) keeps a second process out
  of a folder in use. It is removed when the run ends, however it ends; a
  lock left by a process that no longer exists (killed with SIGKILL) is
  taken over.
- Default folder names are made unique by creating the folder, atomically.
- Temporary files of an interrupted atomic write are removed when a run
  resumes in the folder.
"""
import contextlib
import os
import time
from pathlib import Path

RUN_FILES = ("config.json", "evaluations.csv", "nll_oracle.png", "samples_seqgan.txt",
             "samples_mle.txt", "results.json", "checkpoint.npz")
LOCK = ".lock"


class FolderError(ValueError):
    """A run folder that cannot be used; the message says what to do."""


def default_folder(preset, seed, root="runs"):
    """A new, empty folder root/PRESET-seedN-DATE-TIME (with -2, -3, ... on a clash)."""
    base = Path(root) / f"{preset}-seed{seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    Path(root).mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        folder = base if n == 1 else base.with_name(f"{base.name}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise FolderError(f"{base}: could not find a free folder name")


def _refuse_a_file(folder):
    if folder.exists() and not folder.is_dir():
        raise FolderError(f"--out {folder} is a file, not a folder")


def make_folder(folder):
    """Create ``folder`` (and its parents) where it is missing; refuse a file."""
    _refuse_a_file(Path(folder))
    Path(folder).mkdir(parents=True, exist_ok=True)


def check_new_run(folder, overwrite=False, files=RUN_FILES):
    """Refuse a folder that is a file or holds another run, judged by its
    ``files`` (unless ``overwrite``: then remove them)."""
    folder = Path(folder)
    _refuse_a_file(folder)
    held = [name for name in files if (folder / name).exists()]
    if held and not overwrite:
        raise FolderError(f"{folder} already holds a run ({', '.join(held)}): go on with it with "
                          f"--resume {folder}, choose another --out, or pass --overwrite to replace it")
    for name in held:
        (folder / name).unlink()


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


@contextlib.contextmanager
def locked(folder):
    """Hold ``folder``'s lock inside the block; refuse it if a live process holds it."""
    path = Path(folder) / LOCK
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            try:
                pid = int(path.read_text() or "0")
            except (OSError, ValueError):
                pid = 0
            if pid and _alive(pid) and pid != os.getpid():
                raise FolderError(f"{folder} is in use by process {pid} (its lock file {path}); "
                                  f"wait for it, or choose another folder") from None
            path.unlink(missing_ok=True)  # left by a process that is gone: take it over
    else:
        raise FolderError(f"{folder}: could not take the lock file {path}")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        yield
    finally:
        path.unlink(missing_ok=True)


def remove_leftovers(folder):
    """Remove temporary files of interrupted atomic writes (``.NAME.*.tmp``)."""
    for tmp in Path(folder).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
