"""What a part 2 run logs: metrics.csv (training batch and validation) with its figure, samples_over_training.txt,
sessions.jsonl, and the logs cut back to a checkpoint's step when the run resumes."""
import csv
from datetime import datetime, timezone

from uvadl2019 import evaluation
from uvadl2019.checks import UserError
from uvadl2019.environment import environment
from uvadl2019.figures import finish_figure, panels
from uvadl2019.files import append_jsonl, append_line, atomic_write_text, cut_log, read_utf8
from part2.sample import training_samples

METRICS, SAMPLES, FIGURE = "metrics.csv", "samples_over_training.txt", "training.png"
SESSIONS = "sessions.jsonl"  # beside metrics.csv: each start or resume, and what ran it
METRIC_FIELDS = ["step", "loss", "accuracy", "learning_rate", "val_loss", "val_accuracy"]


def evaluate(model, inputs, targets, device, chunk=512):
    """Mean cross-entropy and accuracy over every character of the held-out windows."""
    return evaluation.evaluate(model, lambda x: model(x.to(device))[0], inputs, targets, chunk)


def metrics_row(run, step, loss, logits, targets, learning_rate, validation=None):
    """Append the step's metrics to metrics.csv (validation: held-out windows to evaluate too); the row."""
    accuracy = (logits.argmax(-1) == targets).float().mean().item()
    row = {"step": step, "loss": loss.item(), "accuracy": accuracy, "learning_rate": learning_rate,
           "val_loss": "", "val_accuracy": ""}
    if validation is not None:
        row["val_loss"], row["val_accuracy"] = evaluate(run.model, *validation, run.device)
    append_line(run.summary_dir / METRICS, ",".join(str(row[k]) for k in METRIC_FIELDS))
    if run.board is not None:
        for key in METRIC_FIELDS[1:]:
            if row[key] != "":
                group, tag = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
                run.board.add_scalar(f"{group}/{tag}", row[key], step)
    return row


def write_samples(path, model, vocabulary, step, generator, lengths):
    """Append the samples of the report's tables 5-7 for this step, drawn with `generator`; the lines written,
    without the header."""
    append_line(path, f"=== step {step} ===")
    lines = [f"[{mode}, {length}] " + text.replace("\n", "\\n")
             for length, mode, text in training_samples(model, vocabulary, generator, lengths)]
    for line in lines:
        append_line(path, line)
    return lines


def metrics_step(line):
    """The step of a metrics.csv row, or None for a line that is not a whole row (damaged, or cut short)."""
    values = next(csv.reader([line]), [])
    if len(values) != len(METRIC_FIELDS):
        return None
    try:
        for value in values[1:4] + [v for v in values[4:] if v]:  # validation is empty where not measured
            float(value)
        return int(values[0])
    except ValueError:
        return None


def samples_step(line):
    """The step of a samples header "=== step N ===", or None for a damaged one."""
    try:
        return int(line.split()[2])
    except (IndexError, ValueError):
        return None


def truncate_logs(out_dir, summary_dir, step):
    """Drop what an interrupted run logged after its last checkpoint (and a last line cut short). What a spreadsheet
    program writes back is read: a byte-order mark, other line ends, quoted fields. A metrics.csv left without its
    header gets it back; one whose header has other fields is a UserError."""
    metrics = summary_dir / METRICS
    header = ",".join(METRIC_FIELDS)
    if metrics.is_file():
        first = read_utf8(metrics, "move it away and run again").partition("\n")[0].strip()
        if first and [field.strip() for field in next(csv.reader([first]))] != METRIC_FIELDS:
            raise UserError(f"'{metrics}' starts with {first[:60]!r}, not the header {header}; restore the header "
                            f"or move the file away, then resume again")
        cut_log(metrics, metrics_step, step, header_lines=1)
    cut_log(out_dir / SAMPLES, lambda line: samples_step(line) if line.startswith("=== step ") else 0, step)
    if not metrics.is_file() or not metrics.stat().st_size:
        atomic_write_text(metrics, header + "\n")


def log_session(summary_dir, step):
    """Append to sessions.jsonl the step this session starts from, when, and what runs it (versions, platform,
    code revision), so that the metrics of a run resumed across machines or code say what made each part."""
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    append_jsonl(summary_dir / SESSIONS, {"step": step, "started": started, **environment()})


def metrics_rows(lines):
    """metrics.csv's lines as rows of numbers, val_* None where not measured; a malformed line is a ValueError."""
    try:
        return [{"step": int(r["step"]), **{k: float(r[k]) if r[k] else None for k in METRIC_FIELDS[1:]}}
                for r in csv.DictReader(lines)]
    except (KeyError, TypeError, csv.Error) as e:
        raise ValueError(f"not the metrics of a part2.train run ({e})") from None


def running_mean(values, window):
    """The mean of the last `window` values at each position from the window-th on (shorter: none)."""
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value)
    return [(sums[i] - sums[i - window]) / window for i in range(window, len(sums))]


def plot_training(rows, path=None, mean_over=None, report_final=None):
    """Accuracy and loss of the training batch against the step, validation as markers; the Figure (None without
    rows), saved as PNG at `path` when given. The report's Figure 4 with mean_over (the batch faint, and its running
    mean over mean_over steps; rows evenly spaced) and report_final ({"step", "accuracy", "loss"}: the report's last
    values, as stars). rows: metrics_rows()."""
    if not rows:
        return None
    steps = [r["step"] for r in rows]
    window = max(1, mean_over // (steps[1] - steps[0] if len(steps) > 1 else 1)) if mean_over else None
    val = [r for r in rows if r["val_loss"] is not None]
    fig, (ax_acc, ax_loss) = panels(2, 6.5, 4.5)
    for ax, key in ((ax_acc, "accuracy"), (ax_loss, "loss")):
        values = [r[key] for r in rows]
        ax.plot(steps, values, linewidth=0.3 if window else 0.8, alpha=0.25 if window else 1.0, color="C0",
                label="training batch")
        if window:
            ax.plot(steps[window - 1:], running_mean(values, window), linewidth=1.5, color="C0",
                    label=f"training batch, mean over {mean_over:,} steps")
        if val:
            ax.plot([r["step"] for r in val], [r["val_" + key] for r in val], "o", markersize=2.5, color="C1",
                    label="validation (held-out 5%)")
        if report_final:
            ax.plot([report_final["step"]], [report_final[key]], "*", markersize=13, color="C3",
                    label=f"report, step {report_final['step']:,}: {report_final[key]:g}")
        ax.set_xlabel("training step")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    if report_final:  # a long run's first few hundred steps start near ln 83 = 4.4
        ax_loss.set_ylim(top=2.5)
        ax_acc.set_ylim(bottom=0.3)
    return finish_figure(fig, "Character LSTM on Democracy in America: training over steps" if report_final
                         else "Character LSTM: accuracy and loss over training", path)


def redraw_figure(summary_dir):
    """Draw training.png anew from metrics.csv, both in summary_dir."""
    rows = metrics_rows((summary_dir / METRICS).read_text(encoding="utf-8").splitlines())
    plot_training(rows, summary_dir / FIGURE)
