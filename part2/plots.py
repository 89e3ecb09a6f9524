"""The training figure of part 2: accuracy and loss over steps (the report's Figure 4)."""
import csv

from common.figures import finish_figure, panels


def plot_training(metrics_path, path=None):
    """Two panels, accuracy and loss against the step: training rows as lines, validation as markers; the Figure
    (None without rows), saved as PNG at `path` when given."""
    with open(metrics_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None
    steps = [int(r["step"]) for r in rows]
    val = [r for r in rows if r["val_loss"]]
    fig, (ax_acc, ax_loss) = panels(2, 5.5, 4.2)
    for ax, key in ((ax_acc, "accuracy"), (ax_loss, "loss")):
        ax.plot(steps, [float(r[key]) for r in rows], linewidth=0.8, label="training batch")
        if val:
            ax.plot([int(r["step"]) for r in val], [float(r["val_" + key]) for r in val], "o-",
                    label="validation (held-out 5%)")
        ax.set_xlabel("training step")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    return finish_figure(fig, "Character LSTM: accuracy and loss over training", path)
