"""The ablations' tables and figures from the seeds' results: per study
study-NAME.md (the rows' final figures, mean ± sd over the seeds that ran
them; the differences with Welch's p-values; the study's own table) and
study-NAME.csv (every seed's figures), and study-NAME.png."""
import csv
import io
import math
from pathlib import Path

import numpy as np

from ..run.checkpoint import write_text
from ..run.plots import plot_panels
from .ablations import phase_of
from .studies import ROWS, SPREAD_BATCH, SPREAD_REPEATS, SWEEP, SWEPT
from .stats import fmt_mean_sd, mean_sd, paired_t_test, spread, welch_t_test

NAMES = {"nll_oracle": "NLL-oracle", "nll_test": "NLL-test", "entropy_rate": "entropy rate",
         "distinct_4": "distinct-4", "d_accuracy": "D accuracy"}
LABELS = {**{r: row.label for r, row in ROWS.items()},
          "pretrained": "pre-trained G (the shared start)"}


def start_epoch(cfg, row):
    return cfg.pretrain_g_epochs if ROWS[row].start is None else ROWS[row].start


def curve(res, row, cfg):
    """A seed's evaluations of ``row`` from its start: the shared start's
    (the pre-trained G's last) row first where the row does not evaluate it."""
    rows = [r for r in res["rows"] if r["branch"] == row]
    first = start_epoch(cfg, row)
    if rows and rows[0]["epoch"] > first:
        rows = [r for r in res["rows"] if r["branch"] == "pretrain" and r["epoch"] == first] + rows
    return rows


def last_rows(results, row):
    """seed -> the last evaluation of ``row``, for each seed that ran it."""
    out = {}
    for res in results:
        rows = [r for r in res["rows"] if r["branch"] == row]
        if rows:
            out[res["seed"]] = rows[-1]
    return out


def per_seed(results, row, k):
    """seed -> the ``k`` figure of ``row``'s last evaluation, where it has one."""
    return {seed: r[k] for seed, r in last_rows(results, row).items() if r[k] is not None}


def figures(results, row):
    """Per figure: the per-seed values, their mean and sd."""
    out = {"seeds": list(last_rows(results, row))}
    for k in NAMES:
        values = list(per_seed(results, row, k).values())
        out[k] = (values, *(mean_sd(values) if values else (None, None)))
    return out


def ran(study, results):
    """The study's rows that some seed ran."""
    return [row for row in study.rows if last_rows(results, row)]


def compare(results, a, b):
    """Per figure: (the mean difference a - b over the seeds that ran both,
    Welch's p, the paired p); a p is None with fewer than 2 seeds."""
    out = {}
    for k in ("nll_oracle", "nll_test", "entropy_rate"):
        va, vb = per_seed(results, a, k), per_seed(results, b, k)
        both = sorted(set(va) & set(vb))
        pa, pb = [va[s] for s in both], [vb[s] for s in both]
        diff = float(np.mean(np.subtract(pa, pb))) if both else None
        welch = welch_t_test(list(va.values()), list(vb.values()))[2] \
            if len(va) > 1 and len(vb) > 1 else None
        paired = paired_t_test(pa, pb)[2] if len(both) > 1 else None
        out[k] = (diff, welch, paired)
    return out


def _num(v, spec):
    return "" if v is None else format(v, spec)


def write_study(study, results, cfg, out):
    """study-NAME.md, .csv and .png; returns the rows' figures."""
    table = {row: figures(results, row) for row in ran(study, results)}
    seeds = [res["seed"] for res in results]
    oracle = Path(cfg.oracle_params).name if cfg.oracle_params else "built-in"
    md = [f"# {study.title}", "",
          f"Preset '{cfg.preset}', seeds {', '.join(map(str, seeds))}, {oracle} oracle, "
          f"{results[0]['backend']} backend. Every row trains G for {cfg.adv_epochs} epochs from its "
          f"start. {spread(len(seeds))} (the 'seeds' column counts the seeds that ran the row). Each "
          f"figure is the row's last evaluation: NLL-oracle, entropy rate (the per-token NLL of G's own samples "
          f"under G) and distinct-4 of {cfg.n_eval:,} samples, NLL-test of the {cfg.n_test:,} "
          f"held-out sequences, D's accuracy on {cfg.n_eval_disc:,} held-out real and as many "
          f"generated sequences. p: two-sided t-tests over seeds (blank with fewer than two).", "",
          "| row | seeds | " + " | ".join(NAMES.values()) + " | per seed (NLL-oracle) |",
          "|---|---|" + "---|" * len(NAMES) + "---|"]
    for row, f in table.items():
        md.append(f"| {LABELS[row]} | {len(f['seeds'])} | "
                  + " | ".join(fmt_mean_sd(f[k][1], f[k][2], ".3f" if k != "distinct_4" else ".4f")
                               for k in NAMES)
                  + f" | {' '.join(f'{v:.3f}' for v in f['nll_oracle'][0])} |")
    if study.pairs:
        md += ["", "Differences: the mean of a - b over the seeds that ran both rows; "
                   "p (Welch) treats the rows' seeds as independent samples, p (paired) "
                   "tests the per-seed differences (a seed's rows share its data and start).", "",
               "| difference | Δ NLL-oracle | p (Welch) | p (paired) | Δ NLL-test | p (Welch) | "
               "p (paired) | Δ entropy rate | p (Welch) | p (paired) |",
               "|---|---|---|---|---|---|---|---|---|---|"]
        for a, b in study.pairs:
            c = compare(results, a, b)
            md.append(f"| {LABELS[a]} − {LABELS[b]} | " + " | ".join(
                f"{_num(c[k][0], '+.3f')} | {_num(c[k][1], '.2g')} | {_num(c[k][2], '.2g')}"
                for k in ("nll_oracle", "nll_test", "entropy_rate")) + " |")
    md += EXTRA[study.name](results, cfg, study) if study.name in EXTRA else []
    seconds = [sum(v for k, v in res["seconds"].items()) for res in results]
    md += ["", f"Seconds per seed (every phase of the seed's run, shared by the studies): "
               f"{', '.join(f'{s:,.0f}' for s in seconds)}."]
    write_text(out / f"study-{study.name}.md", "\n".join(md) + "\n")
    _write_csv(table, results, out / f"study-{study.name}.csv")
    PLOTS[study.name](results, cfg, study, out / f"study-{study.name}.png")
    return table


def _write_csv(table, results, path):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["row", "seed"] + list(NAMES))
    for row in table:
        for seed, r in last_rows(results, row).items():
            w.writerow([row, seed] + ["" if r[k] is None else r[k] for k in NAMES])
    write_text(path, buf.getvalue())


# ------------------------------------------------------- each study's extra
def _optimiser_extra(results, cfg, study):
    md = ["", "Optimiser steps of the policy-gradient rows, mean over their steps and seeds "
              f"(Adam at lr {cfg.g_lr:g}; SGD's rate per seed is its Adam twin's mean step "
              "length over its mean clipped gradient norm, measured along the twin):", "",
          "| row | optimiser | learning rate (per seed) | mean step length | mean clipped gradient norm |",
          "|---|---|---|---|---|"]
    for row in ran(study, results):
        if ROWS[row].kind not in ("seqgan", "constant"):
            continue
        steps = np.array([s for res in results for s in res["steps"].get(phase_of(row), [])])
        rates = [res["sgd_lr"][row] for res in results if row in res["sgd_lr"]]
        lr = " ".join(f"{r:.3g}" for r in rates) if ROWS[row].sgd else f"{cfg.g_lr:g}"
        md.append(f"| {LABELS[row]} | {'SGD' if ROWS[row].sgd else 'Adam'} | {lr} | "
                  f"{steps[:, 0].mean():.4g} | {steps[:, 1].mean():.4g} |" if len(steps) else
                  f"| {LABELS[row]} | | | | |")
    return md


def _spread_rows(results):
    return next((res["spread"] for res in results if res["spread"]), [])


def _rollouts_extra(results, cfg, study):
    spread_rows = _spread_rows(results)
    if not spread_rows:
        return []
    md = ["", f"The spread of the estimates at the pre-trained G and D (seed {results[0]['seed']}): "
              f"one batch of {SPREAD_BATCH} sequences, {SPREAD_REPEATS} independent rollouts per N. "
              "var Q: the variance over repeats of each Q entry the rollout estimates, averaged; "
              "var grad: the trace of the policy gradient's covariance over repeats. Independent "
              "completions make both fall as 1/N, so N × var stays level:", "",
          "| N | var Q | N × var Q | var grad | N × var grad |", "|---|---|---|---|---|"]
    for s in spread_rows:
        md.append(f"| {s['N']} | {s['var_Q']:.3g} | {s['N'] * s['var_Q']:.3g} | {s['var_grad']:.3g} | "
                  f"{s['N'] * s['var_grad']:.3g} |")
    return md


def sweep_means(results, name):
    """The frontier sweep of generator ``name``, mean over seeds: (k, 4)
    alpha, NLL-test, NLL-oracle, entropy rate."""
    per_seed = [[[s["alpha"], s["nll_test"], s["nll_oracle"], s["entropy_rate"]]
                 for s in res["sweeps"] if s["model"] == name] for res in results]
    return np.array(per_seed).mean(axis=0)


def below_frontier(res, row, x):
    """How far ``row``'s final NLL-oracle lies below the pre-trained G's
    temperature curve of this seed, at the row's own ``x`` (NLL-test or the
    entropy rate), linear between the sweep's points: the curve's NLL-oracle
    there minus the row's; None where x is outside the sweep."""
    rows = [r for r in res["rows"] if r["branch"] == row]
    sweep = sorted((s[x], s["nll_oracle"]) for s in res["sweeps"] if s["model"] == "pretrained")
    if not rows or not sweep or not sweep[0][0] <= rows[-1][x] <= sweep[-1][0]:
        return None
    xs, ys = np.array(sweep).T
    return float(np.interp(rows[-1][x], xs, ys) - rows[-1]["nll_oracle"])


def _frontier_extra(results, cfg, study):
    md = ["", "Below the fair frontier: per seed, the pre-trained G's temperature curve (its "
              "NLL-oracle, linear between the sweep's temperatures) at the row's own NLL-test, and "
              "at its own entropy rate, minus the row's NLL-oracle; mean ± sd over seeds, and the "
              "paired t-test of zero. Above 0: better samples than a temperature gives the "
              "pre-trained G at the same coverage of the real data (or the same narrowness); "
              "blank where the row lies outside the sweep.", "",
          "| row | below, at equal NLL-test | p | below, at equal entropy rate | p |",
          "|---|---|---|---|---|"]
    for row in ran(study, results):
        cells = []
        for x in ("nll_test", "entropy_rate"):
            gaps = [g for g in (below_frontier(res, row, x) for res in results) if g is not None]
            mean, sd = mean_sd(gaps) if gaps else (None, None)
            p = paired_t_test(gaps, [0.0] * len(gaps))[2] if len(gaps) > 1 else None
            cells += [fmt_mean_sd(mean, sd), _num(p, ".2g")]
        md.append(f"| {LABELS[row]} | " + " | ".join(cells) + " |")
    md += ["", f"The temperature sweeps (mean over seeds; {cfg.n_eval:,} samples each):", "",
          "| generator | alpha | NLL-test | NLL-oracle | entropy rate |", "|---|---|---|---|---|"]
    for name in SWEPT:
        for alpha, t, o, h in sweep_means(results, name):
            md.append(f"| {LABELS[name]} | {alpha:g} | {t:.3f} | {o:.3f} | {h:.3f} |")
    return md


EXTRA = {"optimiser": _optimiser_extra, "rollouts": _rollouts_extra, "frontier": _frontier_extra}


# ------------------------------------------------------------------ figures
def curves(results, cfg, rows, key):
    """One series per row: ``key`` against epoch, mean and sd over seeds."""
    series = []
    for row in rows:
        per_seed = [curve(res, row, cfg) for res in results]
        per_seed = [c for c in per_seed if c]
        epochs = [r["epoch"] for r in per_seed[0]]
        values = np.array([[np.nan if r[key] is None else r[key] for r in c] for c in per_seed])
        sd = values.std(axis=0, ddof=1) if len(values) > 1 else None
        series.append((LABELS[row], epochs, values.mean(axis=0), sd, {}))
    return series


def _title(study, results, cfg):
    return f"{study.title}: preset '{cfg.preset}', {len(results)} seed{'s' * (len(results) > 1)}"


def _epoch_panels(keys):
    def plot(results, cfg, study, path):
        panels = [{"xlabel": "epoch (G's pre-training epochs, then the row's)",
                   "ylabel": NAMES[k], "series": curves(results, cfg, [r for r in ran(study, results) if k !=
                                                                        "d_accuracy" or ROWS[r].kind == "seqgan"], k)}
                  for k in keys]
        plot_panels(panels, path, _title(study, results, cfg))
    return plot


def _rollouts_plot(results, cfg, study, path):
    spread_rows = _spread_rows(results)
    panels = []
    if spread_rows:
        N = np.array([s["N"] for s in spread_rows], dtype=float)
        series = [(f"{label} / its value at N = 1", N, v / v[0], None, {}) for label, v in
                  (("var Q", np.array([s["var_Q"] for s in spread_rows])),
                   ("var grad", np.array([s["var_grad"] for s in spread_rows])))]
        series.append(("1/N", N, 1 / N, None, {"ls": "--", "marker": "", "color": "k"}))
        panels.append({"xlabel": "N (completions per prefix)", "ylabel": "variance relative to N = 1",
                       "series": series, "logx": True, "logy": True})
    rows = [r for r in ("seqgan_n1", "seqgan_n4", "seqgan") if r in ran(study, results)]
    Ns = [ROWS[r].rollouts or cfg.rollouts for r in rows]
    f = [figures(results, r)["nll_oracle"] for r in rows]
    panels.append({"xlabel": "N", "ylabel": "final NLL-oracle",
                   "series": [("SeqGAN", Ns, [m for _, m, _ in f],
                               [0 if (s is None or math.isnan(s)) else s for _, _, s in f], {})],
                   "logx": True})
    plot_panels(panels, path, _title(study, results, cfg))


def _frontier_plot(results, cfg, study, path):
    panels = []
    for x, y in (("nll_test", "nll_oracle"), ("nll_oracle", "entropy_rate")):
        col = {"alpha": 0, "nll_test": 1, "nll_oracle": 2, "entropy_rate": 3}
        series = [(f"{LABELS[name]} over alpha {SWEEP[0]:g}..{SWEEP[-1]:g}",
                   sweep_means(results, name)[:, col[x]], sweep_means(results, name)[:, col[y]],
                   None, {"marker": ".", "lw": 1}) for name in SWEPT]
        for row in ran(study, results):
            f = figures(results, row)
            if f[x][1] is not None:
                series.append((LABELS[row], [f[x][1]], [f[y][1]], None, {"ls": "", "ms": 6}))
        panels.append({"xlabel": NAMES[x], "ylabel": NAMES[y], "series": series})
    plot_panels(panels, path, _title(study, results, cfg))


PLOTS = {"optimiser": _epoch_panels(("nll_oracle", "entropy_rate")),
         "rollouts": _rollouts_plot,
         "pretraining": _epoch_panels(("nll_oracle", "entropy_rate")),
         "discriminator": _epoch_panels(("nll_oracle", "d_accuracy")),
         "raml": _epoch_panels(("nll_oracle", "nll_test")),
         "frontier": _frontier_plot}
