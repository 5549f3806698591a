"""What the command line and the runner do when things go wrong: one table
of cases, each the command line, the exit code, the words its one-line
message must contain, and that no earlier output changed; then fault
injection (a write failing half-way, kills during checkpoint writes, byte
flips of a checkpoint, a non-finite number during a run).

The library's own refusals are in test_failures_library.py."""
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import seqgan_np.core.seqgan
from seqgan_np import cli
from seqgan_np.core.lm import LanguageModel
from seqgan_np.fast import FastLanguageModel
from seqgan_np.run import checkpoint
from seqgan_np.run.checkpoint import load_checkpoint, save_checkpoint
from seqgan_np.run.oracle_experiment import ORACLE_EXPERIMENT
from seqgan_np.run.runner import CHECKPOINT, Run
from seqgan_np.run.runfolder import LOCK, default_folder

TINY = dict(vocab_size=30, seq_len=6, emb_dim=8, hidden_dim=8, d_emb_dim=8,
            filter_sizes=(1, 2, 3), num_filters=(4, 4, 4), n_train=256, n_test=128,
            n_eval=128, n_eval_disc=64, batch_size=16, pretrain_g_epochs=2,
            pretrain_d_rounds=1, d_negatives=64, adv_epochs=2, rollouts=2, eval_every=1,
            checkpoint_every=1, n_final_samples=5)
SETS = [a for k, v in TINY.items()
        for a in ("--set", f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}")]


def quiet(*args, **kwargs):
    pass


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One finished tiny run, made once; tests copy it."""
    folder = tmp_path_factory.mktemp("finished") / "run"
    assert cli.main(["oracle-experiment", "--preset", "quick", "--out", str(folder), *SETS]) == 0
    return folder


def snapshot(folder):
    return {p.name: p.read_bytes() for p in Path(folder).iterdir()} if Path(folder).is_dir() else {}


def check_refused(argv, run, tmp_path, words, capsys):
    """``argv`` exits with 2 and one line holding ``words``; ``run`` is unchanged."""
    before = snapshot(run)
    code, err = run_cli(argv, capsys)
    last = err.strip().splitlines()[-1]
    assert code == 2 and "Traceback" not in err, err
    assert last.startswith("python -m seqgan_np: error: "), err
    for word in words:
        assert word in last, (word, last)
    assert snapshot(run) == before, "an earlier run's outputs changed"  # or the damaged checkpoint
    assert not (tmp_path / "new" / "config.json").exists()  # refused before any work


def run_cli(argv, capsys):
    """main(argv) in this process: (exit code, stderr)."""
    code = cli.main(argv)
    return code, capsys.readouterr().err


# ----------------------------------------------------------------- the table

def oracle_file(tmp_path, fix):
    """An .npz oracle of the built-in kind, per-gate, with ``fix`` applied."""
    from seqgan_np.core.oracle import GATES, make_oracle
    m = make_oracle(0, 30, 8, 8, 6)
    H = 8
    arrays = {"embedding": m.params["embedding"], "W_out": m.params["W_out"], "b_out": m.params["b_out"]}
    for i, g in enumerate(GATES):
        arrays[f"W_{g}"] = m.params["W"][:, i * H:(i + 1) * H]
        arrays[f"U_{g}"] = m.params["U"][:, i * H:(i + 1) * H]
        arrays[f"b_{g}"] = m.params["b"][i * H:(i + 1) * H]
    fix(arrays)
    path = tmp_path / "oracle.npz"
    np.savez(path, **arrays)
    return path


def edit_meta(folder, change):
    arrays, meta = load_checkpoint(folder / CHECKPOINT)
    change(meta)
    meta.pop("format")
    save_checkpoint(folder / CHECKPOINT, arrays, meta)


def nan_entry(arrays):
    arrays["U_i"] = arrays["U_i"].copy()
    arrays["U_i"][0, 0] = np.nan


CASES = {  # id: (make argv from (tmp_path, a copy of the finished run), words)
    "g_lr inf": (lambda t, r: ["--set", "g_lr=inf"], ["g_lr", "finite"]),
    "d_lr nan": (lambda t, r: ["--set", "d_lr=nan"], ["d_lr", "finite"]),
    "d_l2 inf": (lambda t, r: ["--set", "d_l2=inf"], ["d_l2", "finite"]),
    "g_init_std inf": (lambda t, r: ["--set", "g_init_std=inf"], ["g_init_std", "finite"]),
    "oracle with a NaN": (lambda t, r: ["--oracle-params", str(oracle_file(t, nan_entry))],
                          ["oracle.npz", "U_i"]),
    "vocabulary too large for memory": (lambda t, r: ["--set", "vocab_size=100000000000"],
                                        ["GiB of memory", "this machine has"]),
    "batch larger than the data": (lambda t, r: ["--set", "batch_size=1000"],
                                   ["batch_size=1000", "no step"]),
    "too little training data": (lambda t, r: ["--set", "n_train=10", "--set", "batch_size=64"],
                                 ["batch_size=64", "n_train=10"]),
    "length 1": (lambda t, r: ["--set", "seq_len=1", "--set", "filter_sizes=1",
                               "--set", "num_filters=4"], ["seq_len=1", "at least 2"]),
    "--out is a file": (lambda t, r: ["--out", str(r / "results.json")], ["is a file"]),
    "--out holds a finished run": (lambda t, r: ["--out", str(r)],
                                   ["already holds a run", "--resume", "--overwrite"]),
    "oracle path is a folder": (lambda t, r: ["--oracle-params", str(t)], ["directory"]),
    "counter edited too high": (lambda t, r: (edit_meta(r, lambda m: m["done"].update(adversarial=10 ** 6)),
                                              ["--resume", str(r)])[1], ["corrupt", "done"]),
    "counter edited negative": (lambda t, r: (edit_meta(r, lambda m: m["done"].update(pretrain_g=-5)),
                                              ["--resume", str(r)])[1], ["corrupt", "done"]),
    "meta key missing": (lambda t, r: (edit_meta(r, lambda m: m.pop("rows")), ["--resume", str(r)])[1],
                         ["corrupt", "rows"]),
    "meta of the wrong type": (lambda t, r: (edit_meta(r, lambda m: m.update(rows={"a": 1})),
                                             ["--resume", str(r)])[1], ["corrupt", "rows"]),
    "a row malformed": (lambda t, r: (edit_meta(r, lambda m: m["rows"][0].pop("nll_test")),
                                      ["--resume", str(r)])[1], ["corrupt", "row"]),
    "checkpoint header byte flipped": (lambda t, r: (flip(r / CHECKPOINT, b"'shape': (", 9),
                                                     ["--resume", str(r)])[1], ["corrupt", CHECKPOINT]),
    "checkpoint truncated": (lambda t, r: (truncate(r / CHECKPOINT), ["--resume", str(r)])[1],
                             ["truncated or corrupt", CHECKPOINT]),
    "--resume of a folder without a run": (lambda t, r: ["--resume", str(t)], ["no checkpoint at"]),
}


def flip(path, marker, offset):
    data = bytearray(path.read_bytes())
    i = data.index(marker) + offset
    data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path):
    path.write_bytes(path.read_bytes()[:5000])


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_gives_one_line_and_exit_2(case, finished, tmp_path, capsys):
    check_case("oracle-experiment", CASES[case], SETS, finished, tmp_path, capsys)


def check_case(command, case, sets, finished, tmp_path, capsys):
    """A row of a table: its argv (after ``--preset quick`` and ``sets``,
    with a new --out, unless it resumes) is refused with its words, and a
    copy of the ``finished`` run is left as it was."""
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    argv, words = case
    argv = argv(tmp_path, run)
    if "--resume" not in argv:
        argv = ["--preset", "quick", *sets, *argv]
        if "--out" not in argv:
            argv += ["--out", str(tmp_path / "new")]
    check_refused([command, *argv], run, tmp_path, words, capsys)


# ------------------------------------------------- the text experiment's table

def corpus_file(tmp_path, name, data):
    """A corpus file of ``data`` (bytes, or text written as UTF-8)."""
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


GOOD = "".join(f"a {w} sits on the mat .\n" for w in ("cat", "dog", "man", "bus") * 60)
TEXT_CASES = {  # id: (argv from (tmp_path, a copy of a finished text run), words)
    "empty file": (lambda t, r: ["--train", corpus_file(t, "empty.txt", "")],
                   ["empty.txt", "empty"]),
    "only newlines": (lambda t, r: ["--train", corpus_file(t, "nl.txt", "\n\n")],
                      ["nl.txt", "empty"]),
    "not UTF-8": (lambda t, r: ["--train", corpus_file(t, "latin.txt", GOOD.encode() + b"caf\xe9\n")],
                  ["latin.txt, line 241", "not UTF-8"]),
    "a directory": (lambda t, r: ["--train", str(t)], ["is a directory"]),
    "a missing file": (lambda t, r: ["--train", str(t / "nowhere.txt")], ["nowhere.txt", "no such file"]),
    "fewer lines than a batch": (lambda t, r: ["--train", corpus_file(t, "few.txt", "".join(GOOD.splitlines(True)[:13]))],
                                 ["few.txt", "fewer than a batch", "batch_size=16"]),
    "a blank line": (lambda t, r: ["--train", corpus_file(t, "blank.txt", "a b\nc d\n \ne f\n" + GOOD)],
                     ["blank.txt, line 3", "blank line"]),
    "Windows line endings": (lambda t, r: ["--train", corpus_file(t, "crlf.txt", GOOD.replace("\n", "\r\n"))],
                             ["crlf.txt, line 1", "Windows line ending"]),
    "a line longer than the length set": (
        lambda t, r: ["--train", corpus_file(t, "long.txt", GOOD + "a b c d e f g h i\n"), "--set", "seq_len=7"],
        ["long.txt, line 241", "9 tokens", "seq_len=7"]),
    "a test line longer than the length set": (
        lambda t, r: ["--train", corpus_file(t, "ok.txt", GOOD), "--test",
                      corpus_file(t, "test.txt", "a cat\na b c d e f g h i\n"), "--set", "seq_len=7"],
        ["test.txt, line 2", "seq_len=7"]),
    "every test line unknown": (
        lambda t, r: ["--train", corpus_file(t, "ok.txt", GOOD), "--test", corpus_file(t, "zz.txt", "zebra\n")],
        ["zz.txt", "every test line"]),
    "the vocabulary set by hand": (lambda t, r: ["--train", corpus_file(t, "ok.txt", GOOD), "--set",
                                                 "vocab_size=10"], ["vocab_size", "the corpus sets it"]),
    "quick without a corpus": (lambda t, r: [], ["quick", "--train FILE"]),
    "an unknown tokenizer": (lambda t, r: ["--train", corpus_file(t, "ok.txt", GOOD), "--set",
                                           "tokenizer=bytes"], ["tokenizer 'bytes'", "words, chars, coco"]),
    "--out holds a finished run": (lambda t, r: ["--train", corpus_file(t, "ok.txt", GOOD), "--out", str(r)],
                                   ["already holds a run", "--resume"]),
    "--seeds 0": (lambda t, r: ["--train", corpus_file(t, "ok.txt", GOOD), "--seeds", "0"],
                  ["--seeds 0", "at least 1"]),
    "--resume with a corpus": (lambda t, r: ["--resume", str(r), "--train", "x.txt"],
                               ["--resume takes every setting", "--train"]),
    "--resume with a checkpoint edited": (
        lambda t, r: (edit_meta(r, lambda m: m.update(vocabulary=["a"])), ["--resume", str(r)])[1],
        ["corrupt", "vocabulary"]),
}


@pytest.fixture(scope="module")
def text_finished(tmp_path_factory):
    """One finished tiny text run, made once; tests copy it."""
    from test_text import TEXT_SETS
    folder = tmp_path_factory.mktemp("text") / "run"
    train = corpus_file(folder.parent, "train.txt", GOOD)
    assert cli.main(["text", "--preset", "quick", "--train", train, "--out", str(folder),
                     *TEXT_SETS]) == 0
    return folder


@pytest.mark.parametrize("case", TEXT_CASES, ids=list(TEXT_CASES))
def test_bad_text_input_gives_one_line_and_exit_2(case, text_finished, tmp_path, capsys):
    from test_text import TEXT_SETS
    check_case("text", TEXT_CASES[case], TEXT_SETS, text_finished, tmp_path, capsys)


def test_a_vocabulary_too_large_for_memory_names_the_file(text_finished, tmp_path, monkeypatch, capsys):
    from test_text import TEXT_SETS
    import importlib
    check_config = importlib.import_module("seqgan_np.experiments.text").check_config
    monkeypatch.setitem(check_config.__globals__, "physical_memory", lambda: 1024)  # 1 KiB
    argv = ["text", "--preset", "quick", *TEXT_SETS, "--train", corpus_file(tmp_path, "ok.txt", GOOD),
            "--out", str(tmp_path / "new")]
    check_refused(argv, text_finished, tmp_path, ["ok.txt", "GiB of memory", "vocab_size="], capsys)


@pytest.mark.parametrize("argv, words", [
    (lambda r, t: ["sample", str(t)], ["no checkpoint.npz"]),
    (lambda r, t: ["sample", str(r), "--n", "0"], ["--n 0"]),
    (lambda r, t: ["sample", str(r), "--temperature", "0"], ["--temperature 0"]),
])
def test_bad_sample_commands(argv, words, text_finished, tmp_path, capsys):
    check_refused(argv(text_finished, tmp_path), text_finished, tmp_path, words, capsys)


# ------------------------------------------------- operating-system errors

def fail_with(monkeypatch, target, name, err):
    def raise_it(*args, **kwargs):
        raise OSError(err, os.strerror(err), str(args[0]) if args else None)
    monkeypatch.setattr(target, name, raise_it)


@pytest.mark.parametrize("where, err, words", [
    ("mkdir", errno.EACCES, ["Permission denied"]),  # a read-only parent, or runs/ in a read-only folder
    ("lock", errno.EACCES, ["Permission denied"]),  # --resume in a read-only folder
    ("write", errno.ENOSPC, ["No space left on device"]),  # a full disk
])
def test_operating_system_errors_are_one_line(where, err, words, finished, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    before = snapshot(run)
    if where == "mkdir":
        fail_with(monkeypatch, Path, "mkdir", err)
        argv = ["--preset", "quick", *SETS]  # the default folder under runs/
    elif where == "lock":
        fail_with(monkeypatch, os, "open", err)
        argv = ["--resume", str(run)]
    else:  # a new run in an empty folder: its first write meets the full disk
        shutil.rmtree(run)
        run.mkdir()
        real = checkpoint.os.fsync

        def full_disk(fd):
            real(fd)
            raise OSError(err, os.strerror(err))
        monkeypatch.setattr(checkpoint.os, "fsync", full_disk)
        argv = ["--preset", "quick", *SETS, "--out", str(run)]
        before = {}
    code, out = run_cli(["oracle-experiment", *argv], capsys)
    assert code == 2 and "Traceback" not in out, out
    assert all(w in out.strip().splitlines()[-1] for w in words), out
    assert not list(run.glob(".*.tmp"))  # no half-written file left
    if where != "write":
        assert snapshot(run) == before


def test_a_full_disk_keeps_the_last_checkpoint(finished, tmp_path, monkeypatch):
    """A checkpoint write that fails half-way leaves the previous checkpoint whole."""
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    before = (run / CHECKPOINT).read_bytes()
    exp = Run.resume(ORACLE_EXPERIMENT, run, quiet)

    def half_then_full(f, **arrays):
        f.write(b"PK" + b"\0" * 1000)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(checkpoint.np, "savez", half_then_full)
    with pytest.raises(OSError, match="No space left"):
        exp.save()
    assert (run / CHECKPOINT).read_bytes() == before
    assert not list(run.glob(".*.tmp"))


# ------------------------------------------------------------ run folders

def test_a_second_process_is_refused_and_a_stale_lock_taken_over(finished, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (run / LOCK).write_text(str(holder.pid))
        code, err = run_cli(["oracle-experiment", "--resume", str(run)], capsys)
        assert code == 2 and f"in use by process {holder.pid}" in err
    finally:
        holder.kill()
        holder.wait()
    (run / ".checkpoint.npz.abc123.tmp").write_bytes(b"half a checkpoint")  # a killed write
    code, err = run_cli(["oracle-experiment", "--resume", str(run)], capsys)
    assert code == 0, err  # the dead process's lock is taken over
    assert not (run / LOCK).exists() and not list(run.glob(".*.tmp"))


def test_default_folders_never_collide(tmp_path):
    folders = {default_folder("quick", 0, tmp_path) for _ in range(5)}  # the same second
    assert len(folders) == 5 and all(f.is_dir() for f in folders)


def test_overwrite_replaces_a_run_whole(finished, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    sets = [a if a != "adv_epochs=2" else "adv_epochs=1" for a in SETS]
    code, err = run_cli(["oracle-experiment", "--preset", "quick", *sets, "--out", str(run),
                         "--overwrite"], capsys)
    assert code == 0, err
    assert json.loads((run / "results.json").read_text())["epochs"]["adversarial"] == 1
    assert json.loads((run / "config.json").read_text())["adv_epochs"] == 1


def test_resume_from_another_working_folder(tmp_path, monkeypatch, capsys):
    """The checkpoint holds the oracle: a relative --oracle-params path is not needed again."""
    path = oracle_file(tmp_path, lambda arrays: None)
    monkeypatch.chdir(tmp_path)
    argv = ["oracle-experiment", "--preset", "quick", *SETS, "--oracle-params", path.name,
            "--out", "run"]

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(seqgan_np.core.seqgan, "adversarial_epoch", stop)  # looked up at call time
    code, err = run_cli(argv, capsys)
    assert code == 130 and "--resume run " in err  # the message names the folder
    monkeypatch.undo()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, err = run_cli(["oracle-experiment", "--resume", str(tmp_path / "run")], capsys)
    assert code == 0, err
    assert not (tmp_path / "run" / LOCK).exists()


# ------------------------------------------------------ non-finite numbers

def test_a_nan_during_the_run_stops_it_and_keeps_the_last_checkpoint(tmp_path, monkeypatch, capsys):
    # The run's G is a FastLanguageModel, which inherits pg_loss_and_grads from
    # the core LanguageModel: patching the base class reaches it.
    assert "pg_loss_and_grads" not in vars(FastLanguageModel)
    real = LanguageModel.pg_loss_and_grads

    def poisoned(self, tokens, Q):
        loss, grads = real(self, tokens, Q)
        grads["W"][0, 0] = np.nan  # as an overflow would
        return loss, grads

    monkeypatch.setattr(LanguageModel, "pg_loss_and_grads", poisoned)
    run = tmp_path / "run"
    code, err = run_cli(["oracle-experiment", "--preset", "quick", *SETS, "--out", str(run)], capsys)
    last = err.strip().splitlines()[-1]
    assert code == 2 and "phase adversarial, epoch 1" in last and "policy-gradient norm" in last, err
    _, meta = load_checkpoint(run / CHECKPOINT)
    assert meta["done"]["adversarial"] == 0 and meta["done"]["pretrain_d"] == 1  # the last good one
    assert not (run / "results.json").exists() and not (run / LOCK).exists()


# ------------------------------------------------------------ fault injection

def _arrays_of(folder):
    arrays, meta = load_checkpoint(folder / CHECKPOINT)
    for row in meta["rows"]:
        row.pop("seconds")
    return arrays, meta["rows"], meta["done"]


def test_kills_during_checkpoint_writes_then_resume_give_the_uninterrupted_numbers(finished, tmp_path):
    """A child process killed (SIGKILL) at several points, each time resumed:
    the end is the uninterrupted run's, array by array."""
    run = tmp_path / "run"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    argv = [sys.executable, "-m", "seqgan_np", "oracle-experiment"]
    started = [*argv, "--preset", "quick", *SETS, "--out", str(run)]
    rng = np.random.default_rng(0)

    def command():  # resume once a checkpoint exists; before that, start again
        if (run / CHECKPOINT).exists():
            return [*argv, "--resume", str(run)]
        shutil.rmtree(run, ignore_errors=True)
        return started

    for _ in range(4):
        child = subprocess.Popen(command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(1.5, 3.0))  # past the imports, somewhere in the run
        child.send_signal(signal.SIGKILL)  # nothing, if it has finished
        child.wait()
    r = subprocess.run(command(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    a, b = _arrays_of(finished), _arrays_of(run)
    assert a[0].keys() == b[0].keys()
    for k in a[0]:
        np.testing.assert_array_equal(a[0][k], b[0][k], err_msg=k)
    assert a[1:] == b[1:]


def test_random_byte_flips_of_a_checkpoint_are_refused_or_harmless(finished, tmp_path):
    """Each of 300 single-byte flips is refused with a ValueError naming the
    checkpoint, or the run loads exactly as before (a flip in bytes nobody reads)."""
    original = (finished / CHECKPOINT).read_bytes()
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    reference = Run.resume(ORACLE_EXPERIMENT, run, quiet).arrays()
    rng = np.random.default_rng(1)
    refused = 0
    for i in rng.choice(len(original), 300, replace=False):
        data = bytearray(original)
        data[i] ^= 1 << int(rng.integers(8))
        (run / CHECKPOINT).write_bytes(bytes(data))
        try:
            exp = Run.resume(ORACLE_EXPERIMENT, run, quiet)
        except ValueError as e:
            assert str(run / CHECKPOINT) in str(e) and ("corrupt" in str(e)), str(e)
            refused += 1
            continue
        loaded = exp.arrays()
        assert loaded.keys() == reference.keys()
        for k in reference:
            np.testing.assert_array_equal(loaded[k], reference[k], err_msg=f"byte {i}: {k}")
    assert refused > 250  # almost every byte is covered by a check
