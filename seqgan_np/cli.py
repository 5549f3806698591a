"""Command line: ``python -m seqgan_np oracle-experiment ...`` and ``... bench``."""
import argparse
import signal
import sys
from dataclasses import fields

from .backend import BACKENDS, keep_freed_memory
from .config import PRESETS, ConfigError, ExperimentConfig, make_config
from .runfolder import check_new_run, default_folder

BENCH_PHASES = ("gemm", "mle", "pg", "disc", "sample", "nll", "rollout")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _settings_help():
    """One line per setting: its value in 'paper', and where another preset differs."""
    lines = []
    for f in fields(ExperimentConfig):
        if f.name == "preset":
            continue
        paper = getattr(PRESETS["paper"], f.name)
        other = [f"{n}: {getattr(c, f.name)}" for n, c in PRESETS.items()
                 if getattr(c, f.name) != paper and n != "paper"]
        lines.append(f"  {f.name:20s} {paper}" + (f"  ({'; '.join(other)})" if other else ""))
    return "\n".join(lines)


def build_parser():
    parser = _Parser(prog="python -m seqgan_np",
                     description="SeqGAN in NumPy: the synthetic oracle experiment.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ex = sub.add_parser(
        "oracle-experiment", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="run the paper's synthetic experiment (SeqGAN vs MLE on NLL-oracle)",
        description="Run Algorithm 1 on the synthetic oracle task: MLE pre-training, "
                    "discriminator pre-training, adversarial training, and the MLE branch "
                    "for comparison. Writes config.json, evaluations.csv, nll_oracle.png, "
                    "samples_*.txt, results.json and checkpoint.npz into the run folder.",
        epilog="settings for --set FIELD=VALUE (tuples as comma-separated integers),\n"
               "with their values in 'paper' (and where another preset differs):\n"
               + _settings_help())
    ex.add_argument("--preset", metavar="NAME",
                    help=f"schedule: {', '.join(PRESETS)} (default: standard). paper = the "
                         "original code's schedule; standard = paper sizes, lighter schedule "
                         "(about 15 min on 2 cores); quick = the whole pipeline in under a minute, "
                         "too small to show the effect")
    ex.add_argument("--oracle-params", metavar="FILE",
                    help="the original oracle (.npz, or the original .pkl); default: a "
                         "built-in oracle with N(0,1) weights made from the seed")
    ex.add_argument("--seed", type=int, metavar="N", help="root random seed (default 0)")
    ex.add_argument("--out", metavar="DIR",
                    help="run folder (default: runs/PRESET-seedN-YYYYmmdd-HHMMSS)")
    ex.add_argument("--resume", metavar="DIR",
                    help="go on with the run saved in DIR (its settings come from its checkpoint)")
    ex.add_argument("--overwrite", action="store_true",
                    help="let --out replace a run already in that folder (its files are removed first)")
    ex.add_argument("--backend", choices=BACKENDS,
                    help="array library: numpy (default) or cupy (needs CuPy and a GPU)")
    ex.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                    help="override one setting of the preset (repeatable); list below")
    bench = sub.add_parser(
        "bench", help="time every phase of the experiment at the paper's sizes",
        description="Time each phase of the oracle experiment at the paper's sizes "
                    "(../shared/docs/benchmark.md): human-readable lines, then one JSON "
                    "object on the last line.")
    bench.add_argument("--backend", choices=BACKENDS, help="numpy (default) or cupy")
    bench.add_argument("--quick", action="store_true", help="3 to 5 repeats per phase")
    bench.add_argument("--phases", default=",".join(BENCH_PHASES), metavar="LIST",
                       help=f"comma-separated subset of {','.join(BENCH_PHASES)}")
    return parser


def bench(args):
    from .bench import main as bench_main
    phases = tuple(p for p in args.phases.split(",") if p)
    unknown = [p for p in phases if p not in BENCH_PHASES]
    if unknown:
        raise ConfigError(f"unknown bench phase {unknown[0]!r}: choose from {','.join(BENCH_PHASES)}")
    return bench_main(args.backend, args.quick, phases)


def oracle_experiment(args, folder):
    """Run or resume; ``folder`` (a list) receives the run folder as soon as
    it is known, for the message of an interruption."""
    from .experiment import OracleExperiment, summary_table  # imports matplotlib
    if args.resume:
        given = [o for o in ("preset", "oracle_params", "seed", "out", "backend")
                 if getattr(args, o) is not None] + (["overwrite"] if args.overwrite else [])
        if given or args.overrides:
            raise ConfigError("--resume takes every setting from the checkpoint; "
                              f"drop {', '.join('--' + g.replace('_', '-') for g in given) or '--set'}")
        exp = OracleExperiment.resume(args.resume)
    else:
        overrides = {k: v for k, v in (("oracle_params", args.oracle_params), ("seed", args.seed),
                                       ("backend", args.backend)) if v is not None}
        cfg = make_config(args.preset or "standard", list(args.overrides) + [f"{k}={v}" for k, v in overrides.items()])
        if args.out:
            check_new_run(args.out, args.overwrite)  # before any work
        exp = OracleExperiment(cfg, args.out or default_folder(cfg.preset, cfg.seed), overwrite=args.overwrite)
    folder.append(exp.out)
    print(f"run folder: {exp.out}", file=sys.stderr)
    res = exp.run()
    print(summary_table(res))
    print(f"outputs in {exp.out}/")
    return 0


def _terminate(signum, frame):
    raise KeyboardInterrupt  # SIGTERM ends a run as Ctrl-C does: the lock is released


def _error(message):
    print(f"python -m seqgan_np: error: {message}", file=sys.stderr)
    return 2


def main(argv=None):
    args = build_parser().parse_args(argv)
    keep_freed_memory()
    folder = []  # the run folder, once known
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.command == "bench":
            return bench(args)
        return oracle_experiment(args, folder)
    except (ConfigError, ValueError, RuntimeError) as e:  # FolderError, NonFiniteError too
        return _error(e)
    except OSError as e:  # permissions, a full disk, a path of the wrong kind
        where = f"{e.filename}: " if e.filename else ""
        return _error(f"{where}{e.strerror or e}" + (f" (in {folder[0]})" if folder else ""))
    except MemoryError:
        return _error("out of memory: choose smaller sizes (vocab_size, n_train, d_negatives, ...)")
    except KeyboardInterrupt:
        resume = f"--resume {folder[0]}" if folder else "--resume RUN_FOLDER"
        print(f"\ninterrupted: go on with {resume} (from the last checkpoint)", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
