"""The sweep's figures: accuracy against input length, and loss curves."""
from uvadl2019.figures import finish_figure, panels

CURVE_POINTS = 500  # at most this many points per loss curve: means over blocks of steps


def plot_accuracy_vs_length(rows, title, report=None, path=None):
    """Two panels: test accuracy (mean ± std over seeds) and steps trained, against the input length; the Figure,
    saved as PNG at `path` when given.

    report: {(model, input length): (mean, std)}, drawn as hollow markers beside ours, labelled "report".
    """
    fig, (ax_acc, ax_steps) = panels(2, 5.5, 4.2)
    for model_type, marker, color in (("RNN", "o", "C0"), ("LSTM", "s", "C1")):
        mine = [r for r in rows if r["model_type"] == model_type]
        if not mine:
            continue
        lengths = [r["input_length"] for r in mine]
        ax_acc.errorbar(lengths, [r["accuracy_mean"] for r in mine], yerr=[r["accuracy_std"] for r in mine],
                        marker=marker, color=color, capsize=4, label=model_type)
        ax_steps.plot(lengths, [r["steps_mean"] for r in mine], marker=marker, color=color, label=model_type)
        theirs = [(length, report[model_type, length][0]) for length in lengths
                  if report and (model_type, length) in report]
        if theirs:
            ax_acc.plot(*zip(*theirs), marker=marker, markersize=11, markerfacecolor="none", linestyle="none",
                        color=color, label=f"{model_type}, report")
    ax_acc.axhline(0.1, color="grey", linestyle=":", label="chance (0.1)")
    ax_acc.set_ylim(0, 1.05)
    ax_acc.set_ylabel("test accuracy (mean ± std over seeds)")
    ax_steps.set_ylabel("training steps until stop (mean)")
    for ax in (ax_acc, ax_steps):
        ax.set_xlabel("input length (palindrome length = input length + 1)")
        ax.grid(alpha=0.3)
        ax.legend()
    return finish_figure(fig, title, path)


def block_means(values, points=CURVE_POINTS):
    """(x, y): the means of `values` over consecutive blocks, at most `points` of them, x the block's last step."""
    size = max(1, -(-len(values) // points))
    starts = range(0, len(values), size)
    return ([min(s + size, len(values)) for s in starts],
            [sum(values[s:s + size]) / len(values[s:s + size]) for s in starts])


def plot_loss_curves(curves, title, path=None):
    """A panel per (model, input length), models in rows: the training loss against the step (means over blocks
    of steps), a line per seed, log scale; the Figure, saved as PNG at `path` when given.

    curves: {(model, input length): [(seed, losses)]}.
    """
    models = sorted({m for m, _ in curves}, key=("RNN", "LSTM").index)
    lengths = sorted({n for _, n in curves})
    fig, axes = panels(len(lengths), 3.2, 2.6, rows=len(models))
    for ax, (model, length) in zip(axes, [(m, n) for m in models for n in lengths]):
        for seed, losses in curves.get((model, length), []):
            ax.plot(*block_means(losses), linewidth=1, label=f"seed {seed}")
        ax.axhline(2.302585, color="grey", linestyle=":", linewidth=1, label="chance (ln 10)")
        ax.set_yscale("log")
        ax.set_title(f"{model}, input length {length}", fontsize=10)
        ax.set_xlabel("training step")
        ax.set_ylabel("training loss")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    return finish_figure(fig, title, path)
