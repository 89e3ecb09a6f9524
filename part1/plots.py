"""Figures of the part 1 sweep."""
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_accuracy_vs_length(rows, path, title):
    """Two panels: test accuracy (mean ± std over seeds) and steps trained, against the input length."""
    fig, (ax_acc, ax_steps) = plt.subplots(1, 2, figsize=(11, 4.2))
    for model_type, marker in (("RNN", "o"), ("LSTM", "s")):
        mine = [r for r in rows if r["model_type"] == model_type]
        if not mine:
            continue
        lengths = [r["input_length"] for r in mine]
        ax_acc.errorbar(lengths, [r["accuracy_mean"] for r in mine], yerr=[r["accuracy_std"] for r in mine],
                        marker=marker, capsize=4, label=model_type)
        ax_steps.plot(lengths, [r["steps_mean"] for r in mine], marker=marker, label=model_type)
    ax_acc.axhline(0.1, color="grey", linestyle=":", label="chance (0.1)")
    ax_acc.set_ylim(0, 1.05)
    ax_acc.set_ylabel("test accuracy (mean ± std over seeds)")
    ax_steps.set_ylabel("training steps until stop (mean)")
    for ax in (ax_acc, ax_steps):
        ax.set_xlabel("input length (palindrome length = input length + 1)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)


def save_figure(fig, path):
    """Save as PNG through a temporary file, so an interrupted save never leaves half an image."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    finally:
        plt.close(fig)
