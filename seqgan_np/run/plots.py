"""The paper's Figure 2 (NLL-oracle against epoch) for a run and for Table 1's
methods over seeds, Table 1's temperature frontier, and the ablations' panels."""
import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from .checkpoint import atomic_write


def plot_learning_curves(rows, pretrain_epochs, oracle_entropy, path, title=""):
    """rows: evaluation dicts with 'branch', 'epoch' and 'nll_oracle'."""
    fig = Figure(figsize=(7, 4.5))  # not pyplot: no backend chosen, none changed for the caller
    ax = fig.subplots()
    styles = {"pretrain": ("MLE pre-training", "tab:gray"), "mle": ("MLE", "tab:blue"),
              "seqgan": ("SeqGAN", "tab:red")}
    start = [r for r in rows if r["branch"] == "pretrain"][-1:]  # both branches start here
    for branch, (label, colour) in styles.items():
        pts = [r for r in rows if r["branch"] == branch]
        if branch != "pretrain":
            pts = start + pts
        if pts:
            ax.plot([r["epoch"] for r in pts], [r["nll_oracle"] for r in pts],
                    marker="o", ms=3, label=label, color=colour)
    ax.axvline(pretrain_epochs, ls="--", color="k", lw=1, label="end of pre-training")
    # Scale to the trained curves (the untrained point and the floor would
    # flatten them); the floor stays in the legend with its value.
    trained = [r["nll_oracle"] for r in rows if r["epoch"] > 0]
    if trained:
        ax.set_ylim(min(trained) - 0.1, max(trained) + 0.1)
    below = trained and oracle_entropy < min(trained) - 0.1
    ax.axhline(oracle_entropy, ls=":", color="tab:green",
               label=f"oracle entropy {oracle_entropy:.2f}" + (" (below the axis)" if below else ""))
    ax.set_xlabel("epoch")
    ax.set_ylabel("NLL-oracle (nats per token)")
    _finish(fig, ax, title, path)


def plot_method_curves(curves, colours, path, title=""):
    """curves: label -> (epochs, mean, sd) of NLL-oracle over seeds: a line
    with a band of one standard deviation for each method; colours: label -> colour."""
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    for label, (epochs, mean, sd) in curves.items():
        ax.plot(epochs, mean, marker="o", ms=3, label=label, color=colours[label])
        ax.fill_between(epochs, mean - sd, mean + sd, color=colours[label], alpha=0.2)
    ax.set_xlabel("epoch (every method starts from the pre-trained G)")
    ax.set_ylabel("NLL-oracle (nats per token)")
    _finish(fig, ax, title, path)


def plot_frontier(sweep, points, colours, path, title=""):
    """sweep (k, 3): alpha, NLL-test, NLL-oracle of the MLE generator at each
    temperature (a curve); points: label -> (NLL-test, NLL-oracle) of each
    method's final generator (Caccia et al. 2018, "Language GANs falling
    short"); colours: label -> colour."""
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    ax.plot(sweep[:, 1], sweep[:, 2], color="k", marker=".", label="MLE over temperatures alpha")
    for alpha, x, y in sweep:
        ax.annotate(f"{alpha:g}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    for label, (x, y) in points.items():
        ax.plot([x], [y], marker="o", ls="", ms=7, label=label, color=colours[label])
    ax.set_xlabel("NLL-test (nats per token; lower: covers the real data)")
    ax.set_ylabel("NLL-oracle (lower: samples the oracle finds likely)")
    _finish(fig, ax, title, path)


def _finish(fig, ax, title, path):
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=120))


def plot_panels(panels, path, title=""):
    """Side-by-side panels, each a dict with xlabel, ylabel, series (a list
    of (label, x, y, sd or None, style dict): a line, with a band of one sd
    where given and the panel has at most 4 series) and optionally logx,
    logy, ylim (bottom, top). Panels that show the same series share one legend, on the right."""
    shared = len({tuple(s[0] for s in panel["series"]) for panel in panels}) == 1
    fig = Figure(figsize=(5.5 * len(panels) + 3.5 * shared, 4.5))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        ax.set_prop_cycle(color=colormaps["tab20" if len(panel["series"]) > 10 else "tab10"].colors)
        for label, x, y, sd, style in panel["series"]:
            x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
            ax.plot(x, y, label=label, **{"marker": "o", "ms": 3, **style})
            if sd is not None and len(panel["series"]) <= 4:
                sd = np.asarray(sd, dtype=float)
                ax.fill_between(x, y - sd, y + sd, alpha=0.15, color=ax.lines[-1].get_color())
        ax.set_xscale("log" if panel.get("logx") else "linear")
        ax.set_yscale("log" if panel.get("logy") else "linear")
        if panel.get("ylim"):
            ax.set_ylim(*panel["ylim"])
        ax.set_xlabel(panel["xlabel"])
        ax.set_ylabel(panel["ylabel"])
        ax.grid(alpha=0.3)
        if not shared:
            ax.legend(fontsize=7)
    if shared:
        axes[-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle(title)
    fig.tight_layout()
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))
