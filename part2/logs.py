"""What a part 2 run logs: metrics.csv (training batch and validation), samples_over_training.txt, and both cut
back to a checkpoint's step when the run resumes."""
from common.evaluation import evaluate as common_evaluate
from common.files import append_line, keep_lines
from part2.sample import training_samples

METRICS, SAMPLES, FIGURE = "metrics.csv", "samples_over_training.txt", "training.png"
METRIC_FIELDS = ["step", "loss", "accuracy", "learning_rate", "val_loss", "val_accuracy"]


def evaluate(model, inputs, targets, device, chunk=512):
    """Mean cross-entropy and accuracy over every character of the held-out windows."""
    return common_evaluate(model, lambda x: model(x.to(device))[0], inputs, targets, chunk)


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


def step_of_metrics_line(line):
    try:
        return int(line.split(",")[0]) if line.count(",") == len(METRIC_FIELDS) - 1 else None
    except ValueError:
        return None


def truncate_logs(out_dir, summary_dir, step):
    """Drop what an interrupted run logged after its last checkpoint (and any line it cut short)."""
    keep_lines(summary_dir / METRICS, lambda line: line.startswith("step,")
               or (step_of_metrics_line(line) is not None and step_of_metrics_line(line) <= step))
    keep_lines(out_dir / SAMPLES, lambda line: not line.startswith("=== step ")
               or int(line.split()[2]) <= step)
