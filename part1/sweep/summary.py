"""A sweep's results: test accuracy's mean and std per model and input length, as a CSV file, a printed and a
Markdown table, and figures of accuracy and loss."""
import math

from uvadl2019.files import atomic_write_text, write_csv
from part1.config import MODEL_TYPES
from part1.records import CURVES, read_losses
from part1.sweep.figures import plot_accuracy_vs_length, plot_loss_curves


def summarize(records):
    """One row per (model, input length): runs, mean and std of test accuracy over seeds, mean steps. The std is
    the population one (ddof=0), as the report's np.std."""
    groups = {}
    for r in sorted(records, key=lambda r: r["seed"]):  # the same rows whatever order the runs finished in
        groups.setdefault((r["model_type"], r["input_length"]), []).append(r)
    rows = []
    for (model_type, length), runs in sorted(groups.items()):
        accuracies = [r["test_accuracy"] for r in runs]
        mean = sum(accuracies) / len(accuracies)
        var = sum((a - mean) ** 2 for a in accuracies) / len(accuracies)
        rows.append({"model_type": model_type, "input_length": length, "runs": len(runs),
                     "seeds": " ".join(str(r["seed"]) for r in runs),
                     "accuracy_mean": mean, "accuracy_std": math.sqrt(var),
                     "steps_mean": sum(r["steps"] for r in runs) / len(runs),
                     "converged": sum(bool(r["converged"]) for r in runs)})
    return rows


def markdown_table(rows, reference=None):
    """The README's table of summarize()'s rows: a column per input length, a row per model, each followed by
    the report's where `reference` ({(model, input length): (mean, std)}) has it."""
    lengths = sorted({r["input_length"] for r in rows})
    cells = {(r["model_type"], r["input_length"]): (r["accuracy_mean"], r["accuracy_std"]) for r in rows}
    lines = ["| input length | " + " | ".join(map(str, lengths)) + " |", "|---" * (len(lengths) + 1) + "|"]
    for model_type in MODEL_TYPES:
        for label, values in ((model_type, cells), (f"{model_type}, report", reference or {})):
            if any((model_type, length) in values for length in lengths):
                lines.append(f"| {label} | " + " | ".join(
                    f"{values[model_type, n][0]:.4f} ± {values[model_type, n][1]:.4f}"
                    if (model_type, n) in values else "" for n in lengths) + " |")
    return "\n".join(lines) + "\n"


def write_summary(records, out_dir, preset_name, reference=None, kept=True):
    """Write the summary CSV, the README's table and the figures of a sweep's records and print the table;
    reference: the report's {(model, input length): (mean, std)}, beside ours; kept: say where the files are."""
    rows = summarize(records)
    summary_path = out_dir / f"{preset_name}_summary.csv"
    figure_path = out_dir / f"{preset_name}_accuracy.png"
    write_csv(summary_path, rows)
    table_path = out_dir / f"{preset_name}_table.md"
    atomic_write_text(table_path, markdown_table(rows, reference))
    seeds = sorted({r["seed"] for r in records})
    title = f"Palindromes, {preset_name} preset, {len(seeds)} seed(s): {' '.join(map(str, seeds))}"
    plot_accuracy_vs_length(rows, title, reference, figure_path)
    loss_path = plot_losses(records, out_dir, out_dir / f"{preset_name}_loss.png",
                            f"Palindromes, {preset_name} preset: training loss")
    print(f"{'model':>5} {'input length':>12} {'runs':>4} {'accuracy':>17} {'steps':>7}"
          + (f" {'report':>17}" if reference else ""))
    for r in rows:
        line = (f"{r['model_type']:>5} {r['input_length']:>12} {r['runs']:>4} "
                f"{r['accuracy_mean']:>8.4f} ± {r['accuracy_std']:.4f} {r['steps_mean']:>7.0f}")
        if reference and (r["model_type"], r["input_length"]) in reference:
            mean, std = reference[r["model_type"], r["input_length"]]
            line += f" {mean:>8.4f} ± {std:.4f}"
        print(line)
    if kept:
        print(f"Wrote {summary_path}, {table_path.name}, {figure_path}" + (f" and {loss_path}" if loss_path else "")
              + f"; every run is in {out_dir / 'runs.jsonl'}, its loss curve in {out_dir / CURVES}")
    return rows


def plot_losses(records, out_dir, path, title):
    """Draw the loss curves of the records that have one on disk; the figure's path, or None when none has."""
    curves, missing = {}, 0
    for r in sorted(records, key=lambda r: r["seed"]):
        losses = read_losses(out_dir, r)
        if losses is None:
            missing += 1
        else:
            curves.setdefault((r["model_type"], r["input_length"]), []).append((r["seed"], losses))
    if missing:
        print(f"{missing} of {len(records)} runs have no loss curve in {out_dir / CURVES}; drawing the others")
    if not curves:
        return None
    plot_loss_curves(curves, title, path)
    return path
