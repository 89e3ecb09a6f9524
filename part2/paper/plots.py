"""The report's Figure 4 of a long run: accuracy and loss over steps, running means, the report's last values."""

from uvadl2019.figures import finish_figure, panels


def running_mean(values, window):
    """The mean of the last `window` values at each position from the window-th on (shorter: none)."""
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value)
    return [(sums[i] - sums[i - window]) / window for i in range(window, len(sums))]


def plot_long_run(rows, report_final, mean_over, path=None):
    """Figure 4 of a long run: accuracy and loss of the training batch against the step, raw (faint) and as a
    running mean over `mean_over` steps, validation as markers, and the report's last values (report_final:
    {"step": ..., "accuracy": ..., "loss": ...}) as stars; the Figure, saved as PNG at `path` when given.

    rows: metrics.csv's rows as dicts of numbers (val_* None where not measured), evenly spaced in steps.
    """
    steps = [r["step"] for r in rows]
    spacing = steps[1] - steps[0] if len(steps) > 1 else 1
    window = max(1, mean_over // spacing)
    val = [r for r in rows if r["val_loss"] is not None]
    fig, (ax_acc, ax_loss) = panels(2, 6.5, 4.5)
    for ax, key in ((ax_acc, "accuracy"), (ax_loss, "loss")):
        values = [r[key] for r in rows]
        ax.plot(steps, values, linewidth=0.3, alpha=0.25, color="C0", label="training batch")
        ax.plot(steps[window - 1:], running_mean(values, window), linewidth=1.5, color="C0",
                label=f"training batch, mean over {mean_over:,} steps")
        if val:
            ax.plot([r["step"] for r in val], [r["val_" + key] for r in val], "o", markersize=2.5, color="C1",
                    label="validation (held-out 5%)")
        ax.plot([report_final["step"]], [report_final[key]], "*", markersize=13, color="C3",
                label=f"report, step {report_final['step']:,}: {report_final[key]:g}")
        ax.set_xlabel("training step")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    ax_loss.set_ylim(top=2.5)  # the first few hundred steps start near ln 83 = 4.4
    ax_acc.set_ylim(bottom=0.3)
    return finish_figure(fig, "Character LSTM on Democracy in America: training over steps", path)
