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


OUTCOME_STYLE = {"learned": ("C2", "o"), "partial": ("C1", "D"), "chance": ("C3", "v")}  # colour, marker


def plot_lottery(ours, report, thresholds, title, path=None):
    """A panel per model, one above the other: every run's test accuracy at each input length, spread sideways and
    styled by its outcome, with the report's runs beside them (hollow); the Figure, saved as PNG at `path` when given.

    ours, report: {(model, input length): [(accuracy, outcome)]}, outcome a key of OUTCOME_STYLE;
    thresholds: the accuracies that divide the outcomes, drawn as dotted lines.
    """
    models = [m for m in ("RNN", "LSTM") if any(model == m for model, _ in ours)]
    lengths = sorted({n for _, n in ours})
    fig, axes = panels(1, 4.4 + 1.3 * len(lengths), 3.4, rows=len(models))
    for ax, model in zip(axes, models):
        for i, length in enumerate(lengths):
            for runs, centre, width, filled in ((ours.get((model, length), []), i - 0.17, 0.3, True),
                                                (report.get((model, length), []), i + 0.27, 0.12, False)):
                for j, (accuracy, outcome) in enumerate(runs):
                    color, marker = OUTCOME_STYLE[outcome]
                    x = centre + width * (j / (len(runs) - 1) - 0.5 if len(runs) > 1 else 0)
                    ax.plot(x, accuracy, marker=marker, color=color, markersize=6, linestyle="none",
                            markerfacecolor=color if filled else "none")
                if runs:
                    learned = sum(outcome == "learned" for _, outcome in runs)
                    ax.text(centre, 1.07, f"{learned}/{len(runs)}", ha="center", fontsize=9)
        for threshold in thresholds:
            ax.axhline(threshold, color="grey", linestyle=":", linewidth=1)
        ax.set_xticks(range(len(lengths)), [f"\ninput length {n}" for n in lengths])
        ax.set_xticks([i + d for i in range(len(lengths)) for d in (-0.17, 0.27)],
                      ["ours", "report"] * len(lengths), minor=True, fontsize=8)
        ax.tick_params(axis="x", which="major", length=0)
        ax.set_xlim(-0.6, len(lengths) - 0.4)
        ax.set_ylim(-0.03, 1.13)
        ax.set_ylabel("test accuracy")
        ax.set_title(model)
        ax.grid(alpha=0.3, axis="y")
    for outcome, (color, marker) in OUTCOME_STYLE.items():
        axes[0].plot([], [], marker=marker, color=color, linestyle="none", label=outcome)
    axes[0].plot([], [], marker="o", color="grey", markerfacecolor="none", linestyle="none",
                 label="report (read off its mean)")
    axes[0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return finish_figure(fig, title, path)
