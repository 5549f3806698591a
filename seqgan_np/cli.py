"""Command line: ``python -m seqgan_np oracle-experiment ...``, ``... table1``,
``... ablations``, ``... text``, ``... sample`` and ``... bench``."""
import argparse
import signal
import sys
from dataclasses import fields
from pathlib import Path

from .backend import BACKENDS
from .experiments.studies import STUDIES
from .fast.threads import keep_freed_memory
from .run.bench import PHASES as BENCH_PHASES
from .run.config import PRESETS, TOKENIZERS, ConfigError, ExperimentConfig, make_config
from .run.runfolder import check_new_run, default_folder
from .run.sampling import SAMPLE_MODELS


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


PRESET_HELP = ("schedule: {names} (default: {preset}). paper = the original code's schedule; "
               "standard = paper sizes, lighter schedule (15 to 30 min on 2 cores); quick = the "
               "whole pipeline in under a minute, too small to show the effect; ablations = "
               "standard's sizes and pre-training, 10 adversarial epochs with 1,000 negatives "
               "per D round")


def add_run_options(p, out_help, resume_help, overwrite_help, preset="standard",
                    preset_help=PRESET_HELP, oracle=True):
    """The options every run subcommand shares."""
    p.add_argument("--preset", metavar="NAME",
                   help=preset_help.format(names=", ".join(PRESETS), preset=preset))
    if oracle:
        p.add_argument("--oracle-params", metavar="FILE",
                       help="the original oracle (.npz, or the original target_params_py3.pkl); "
                            "default: a built-in oracle with N(0,1) weights made from the seed")
    p.add_argument("--seed", type=int, metavar="N", help="root random seed (default 0)")
    p.add_argument("--out", metavar="DIR", help=out_help)
    p.add_argument("--resume", metavar="DIR", help=resume_help)
    p.add_argument("--overwrite", action="store_true", help=overwrite_help)
    p.add_argument("--backend", choices=BACKENDS,
                   help="array library: numpy (default) or cupy (needs CuPy and a GPU)")
    p.add_argument("--plain", action="store_true",
                   help="run the plain code of seqgan_np/core (the paper as written, step by "
                        "step) instead of its fast twins: the same numbers up to rounding, "
                        "slower (oracle-experiment --preset quick took 82 s against 51 s) "
                        "(the setting code=plain)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                   help="override one setting of the preset (repeatable); list below")


def build_parser():
    parser = _Parser(prog="python -m seqgan_np",
                     description="SeqGAN in NumPy: the synthetic oracle experiment.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    epilog = ("settings for --set FIELD=VALUE (tuples as comma-separated integers),\n"
              "with their values in 'paper' (and where another preset differs):\n"
              + _settings_help())
    ex = sub.add_parser(
        "oracle-experiment", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="run the paper's synthetic experiment (SeqGAN vs MLE on NLL-oracle)",
        description="Run Algorithm 1 on the synthetic oracle task: MLE pre-training, "
                    "discriminator pre-training, adversarial training, and the MLE branch "
                    "for comparison. Writes config.json, evaluations.csv, nll_oracle.png, "
                    "samples_*.txt, results.json and checkpoint.npz into the run folder.",
        epilog=epilog)
    add_run_options(ex, "run folder (default: runs/PRESET-seedN-YYYYmmdd-HHMMSS)",
                    "go on with the run saved in DIR (its settings come from its checkpoint)",
                    "let --out replace a run already in that folder (its files are removed first)")
    tb = sub.add_parser(
        "table1", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="the paper's Table 1 over several seeds, with controls and statistics",
        description="For each seed: one data draw, one MLE pre-training and one D "
                    "pre-training shared by every method; then MLE, scheduled sampling, "
                    "PG-BLEU, SeqGAN and the policy gradient with a constant reward for "
                    "adv_epochs epochs each; a temperature sweep of the MLE generator; every "
                    "row's final figures. Writes table1.md, table1.csv, curves.png and "
                    "frontier.png, and a run folder per seed (seed-N/), for the seeds "
                    "--seed, --seed + 1, ... (--seeds of them).",
        epilog=epilog)
    add_run_options(tb, "table folder (default: runs/table1-PRESET-seedN-YYYYmmdd-HHMMSS)",
                    "go on with the table in DIR", "let --out replace a table in that folder")
    tb.add_argument("--seeds", type=int, metavar="N", help="number of seeds (default 5)")
    ab = sub.add_parser(
        "ablations", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="what SeqGAN's result depends on: six studies against controls, over seeds",
        description="For each seed: the oracle experiment's shared start (data, MLE "
                    "pre-training, D pre-training, SeqGAN and the MLE branch), then every row "
                    "the chosen studies need, each trained for adv_epochs epochs from its start: "
                    "optimiser (Adam against SGD, a centred reward), rollouts (N; the spread of "
                    "Q and of the gradient), pretraining (0, 5 and all epochs), discriminator "
                    "(D's learning rate x 10; the original (g, d, k) = (1, 5, 3) on the first "
                    "seed), raml (RAML with the Hamming payoff, label smoothing), frontier "
                    "(temperature sweeps; every row's final G). Writes study-NAME.md, .csv and "
                    ".png per study and a run folder per seed (seed-N/). Default preset: "
                    "ablations (about 2 hours for 3 seeds on 2 cores).",
        epilog=epilog)
    add_run_options(ab, "study folder (default: runs/ablations-PRESET-seedN-YYYYmmdd-HHMMSS)",
                    "go on with the studies in DIR", "let --out replace studies in that folder",
                    preset="ablations")
    ab.add_argument("--seeds", type=int, metavar="N", help="number of seeds (default 3)")
    ab.add_argument("--studies", metavar="LIST",
                    help=f"comma-separated subset of {','.join(STUDIES)} (default: all); one "
                         "study alone runs only the rows it needs")
    tx = sub.add_parser(
        "text", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="SeqGAN on text: the paper's poems, COCO captions or your own corpus",
        description="Run Algorithm 1 on a text corpus (one sequence per line, UTF-8): MLE "
                    "pre-training, D pre-training, SeqGAN, the MLE branch and the constant-"
                    "reward control, then a temperature sweep of the MLE generator. Measures "
                    "BLEU-2..5 against the test set, self-BLEU-2..5, NLL-test and G's entropy "
                    "rate. Writes config.json, evaluations.csv, curves.png, frontier.png, "
                    "samples_*.txt (text), results.md, results.json and checkpoint.npz into "
                    "the run folder. The corpus sets vocab_size, seq_len (unless set), n_train "
                    "and n_test; id 0 is the end token that pads each line, id 1 a test token "
                    "the training file lacks (docs/text.md).",
        epilog=epilog)
    add_run_options(tx, "run folder (default: runs/PRESET-seedN-YYYYmmdd-HHMMSS)",
                    "go on with the run saved in DIR (its settings come from its checkpoint)",
                    "let --out replace a run already in that folder (its files are removed first)",
                    preset="poems", oracle=False, preset_help=(
                        "poems (default; the paper's 16,394 Chinese quatrains, data/shi.txt, "
                        "every 10th line held out), coco (the COCO captions benchmark, "
                        "data/image_coco.txt and data/test_coco.txt, lower-cased with "
                        "punctuation split): standard's schedule with fewer adversarial "
                        "epochs (poems took 38 min on 2 cores; coco 66 min with another run "
                        "sharing them); quick: a small model and schedule for a small corpus "
                        "of your own (--train), under a minute for 1,000 lines"))
    tx.add_argument("--seeds", type=int, metavar="N",
                    help="run seeds --seed .. --seed + N - 1, a run folder each (seed-N/), then "
                         "text.md: the figures over seeds with paired t-tests (default: one run)")
    tx.add_argument("--train", metavar="FILE", help="training corpus, one sequence per line "
                                                     "(the setting train_file)")
    tx.add_argument("--test", metavar="FILE", help="test corpus (default: every 10th line of "
                                                    "--train; the setting test_file)")
    tx.add_argument("--tokenizer", choices=TOKENIZERS,
                    help="words: split on whitespace (default); chars: every character; coco: "
                         "lower-case and split punctuation off as nltk.word_tokenize")
    sm = sub.add_parser(
        "sample", help="sample sequences from a saved run's generator",
        description="Print N sequences of a saved run's generator, one per line: text for a "
                    "text run, token ids for an oracle run.")
    sm.add_argument("run", metavar="RUN_FOLDER", help="a run folder with its checkpoint.npz")
    sm.add_argument("--n", type=int, default=20, metavar="N", help="how many (default 20)")
    sm.add_argument("--temperature", type=float, default=1.0, metavar="ALPHA",
                    help="sample from softmax(logits / ALPHA) (default 1)")
    sm.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    sm.add_argument("--model", default="seqgan", choices=tuple(SAMPLE_MODELS),
                    help="which generator: seqgan (default), mle, constant (text runs)")
    bench = sub.add_parser(
        "bench", help="time every phase of the experiment at the paper's sizes",
        description="Time each phase of the oracle experiment at the paper's sizes "
                    "(../shared/docs/benchmark.md) with the fast code: human-readable lines, "
                    "then one JSON object on the last line.")
    bench.add_argument("--backend", choices=BACKENDS, help="numpy (default) or cupy")
    bench.add_argument("--quick", action="store_true", help="3 to 5 repeats per phase")
    bench.add_argument("--phases", default=",".join(BENCH_PHASES), metavar="LIST",
                       help=f"comma-separated subset of {','.join(BENCH_PHASES)}")
    return parser


def bench(args):
    from .run.bench import main as bench_main
    phases = tuple(p for p in args.phases.split(",") if p)
    unknown = [p for p in phases if p not in BENCH_PHASES]
    if unknown:
        raise ConfigError(f"unknown bench phase {unknown[0]!r}: choose from {','.join(BENCH_PHASES)}")
    return bench_main(args.backend, args.quick, phases)


def _check_resume(args, options):
    """--resume with none of ``options`` (they come from the saved run)."""
    given = [o for o in options if getattr(args, o) is not None] + \
        [flag for flag in ("overwrite", "plain") if getattr(args, flag)]
    if given or args.overrides:
        raise ConfigError("--resume takes every setting from the saved run; "
                          f"drop {', '.join('--' + g.replace('_', '-') for g in given) or '--set'}")


def _config(args):
    """The preset with --set and the options that are settings applied."""
    overrides = {k: v for k, v in (("oracle_params", args.oracle_params), ("seed", args.seed),
                                   ("backend", args.backend),
                                   ("code", "plain" if args.plain else None)) if v is not None}
    return make_config(args.preset or "standard",
                       list(args.overrides) + [f"{k}={v}" for k, v in overrides.items()])


def oracle_experiment(args, folder):
    """Run or resume; ``folder`` (a list) receives the run folder as soon as
    it is known, for the message of an interruption."""
    from .run.oracle_experiment import ORACLE_EXPERIMENT, summary_table  # imports matplotlib
    exp = _new_or_resumed(ORACLE_EXPERIMENT, args, ("preset", "oracle_params", "seed", "out", "backend"),
                          lambda: _config(args))
    folder.append(exp.out)
    print(f"run folder: {exp.out}", file=sys.stderr)
    res = exp.run()
    print(summary_table(res))
    print(f"outputs in {exp.out}/")
    return 0


def _new_or_resumed(recipe, args, options, config):
    """The run of ``recipe``: the one saved in --resume (which takes none of
    ``options``), or a new one with the settings ``config()`` in --out or a
    new default folder (removed again if the run is refused)."""
    from .run.runner import Run
    if args.resume:
        _check_resume(args, options)
        return Run.resume(recipe, args.resume)
    cfg = config()
    if args.out:
        check_new_run(args.out, args.overwrite)  # before any work
    out = args.out or default_folder(cfg.preset, cfg.seed)
    try:
        return Run(recipe, cfg, out, overwrite=args.overwrite)
    except BaseException:
        if not args.out:
            Path(out).rmdir()  # the empty default folder made just now
        raise


def _seeds(args, default):
    seeds = default if args.seeds is None else args.seeds
    if seeds < 1:
        raise ConfigError(f"--seeds {seeds}: expected at least 1")
    return seeds


def ablations(args, folder):
    """Run or resume the ablations; ``folder`` as for ``oracle_experiment``."""
    from .experiments.ablations import check_studies, resume_ablations, run_ablations
    if args.resume:
        _check_resume(args, ("preset", "oracle_params", "seed", "seeds", "studies", "out", "backend"))
        folder.append(args.resume)
        tables = resume_ablations(args.resume)
    else:
        if args.preset is None:
            args.preset = "ablations"
        cfg, seeds = _config(args), _seeds(args, 3)
        studies = check_studies([s for s in args.studies.split(",") if s] if args.studies
                                else list(STUDIES))
        out = args.out or default_folder(f"ablations-{cfg.preset}", cfg.seed)
        folder.append(out)
        tables = run_ablations(cfg, seeds, studies, out, args.overwrite)
    for study in tables:
        print((Path(folder[0]) / f"study-{study}.md").read_text())
    print(f"outputs in {folder[0]}/")
    return 0


def table1(args, folder):
    """Run or resume Table 1; ``folder`` as for ``oracle_experiment``."""
    from .experiments.table1 import resume_table1, run_table1  # imports matplotlib
    if args.resume:
        _check_resume(args, ("preset", "oracle_params", "seed", "seeds", "out", "backend"))
        folder.append(args.resume)
        resume_table1(args.resume)
    else:
        cfg, seeds = _config(args), _seeds(args, 5)
        out = args.out or default_folder(f"table1-{cfg.preset}", cfg.seed)
        folder.append(out)
        run_table1(cfg, seeds, out, args.overwrite)
    print((Path(folder[0]) / "table1.md").read_text())
    print(f"outputs in {folder[0]}/")
    return 0


def text(args, folder):
    """Run or resume the text experiment; ``folder`` as for ``oracle_experiment``."""
    from .experiments.text import SEEDS_STATE, TEXT_EXPERIMENT, text_config  # imports matplotlib

    def config():
        settings = {k: v for k, v in (("train_file", args.train), ("test_file", args.test),
                                      ("tokenizer", args.tokenizer), ("seed", args.seed),
                                      ("backend", args.backend),
                                      ("code", "plain" if args.plain else None)) if v is not None}
        if args.train and args.test is None:
            settings["test_file"] = ""  # a preset's test file belongs to its training file
        return text_config(args.preset or "poems",
                           list(args.overrides) + [f"{k}={v}" for k, v in settings.items()])[0]

    options = ("preset", "seed", "seeds", "out", "backend", "train", "test", "tokenizer")
    if args.seeds is not None or (args.resume and (Path(args.resume) / SEEDS_STATE).exists()):
        return text_seeds(args, folder, options, config)
    exp = _new_or_resumed(TEXT_EXPERIMENT, args, options, config)
    folder.append(exp.out)
    print(f"run folder: {exp.out}", file=sys.stderr)
    exp.run()
    print((Path(exp.out) / "results.md").read_text())
    print(f"outputs in {exp.out}/")
    return 0


def text_seeds(args, folder, options, config):
    """``text --seeds N``: a run folder per seed and the table over them."""
    from .experiments.text import resume_text_seeds, run_text_seeds
    if args.resume:
        _check_resume(args, options)
        folder.append(args.resume)
        table = resume_text_seeds(args.resume)
    else:
        cfg = config()
        out = args.out or default_folder(f"text-{cfg.preset}", cfg.seed)
        folder.append(out)
        table = run_text_seeds(cfg, _seeds(args, 1), out, args.overwrite)
    print(table)
    print(f"outputs in {folder[0]}/")
    return 0


def sample(args):
    from .run.sampling import sample_run
    for line in sample_run(args.run, args.n, args.temperature, args.seed, args.model):
        print(line)
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
        if args.command == "table1":
            return table1(args, folder)
        if args.command == "ablations":
            return ablations(args, folder)
        if args.command == "text":
            return text(args, folder)
        if args.command == "sample":
            return sample(args)
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
