"""The paper's Figure 2: NLL-oracle against epoch, for both branches."""
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
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=120))
