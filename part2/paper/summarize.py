"""Figure 4 and Tables 5-7 from a paper run: python -m part2.paper.summarize RUN_DIR [--docs docs].

Writes part2_training.png, part2_paper_metrics.csv (every 1000 steps) and part2_samples.md (the samples at the
report's steps, and one prompt completed by the run's last model), and prints the numbers the README quotes.
"""
from dataclasses import dataclass
from pathlib import Path

from uvadl2019.checks import UserError
from uvadl2019.cli import Config, option, parse_into, run_main
from uvadl2019.files import atomic_write_text, ensure_writable_dir, read_utf8, replaced_together, write_csv
from part2.longrun.checkpoint import CHECKPOINT, MODEL_KEYS, load_checkpoint, model_from_state
from part2.longrun.logs import METRIC_FIELDS, METRICS, SAMPLES, metrics_rows, plot_training
from part2.sample import complete

REPORT_FINAL = {"step": 1_000_000, "loss": 1.058, "accuracy": 0.68}  # the report's last training batch
TABLE_STEPS = (300, 1000, 5000, 300_000, 1_000_000)  # the report's Tables 5-7
CSV_EVERY = 1000
MEAN_OVER = 10_000  # the figure's running mean
LAST = 50_000  # the README's mean over the last steps
COMPLETION_LENGTH, BEAM_WIDTH = 120, 5


NOT_A_RUN = "give the --out_dir of a part2.train run as run_dir"


def read_metrics(path):
    """metrics.csv's rows as dicts of numbers, val_* None where not measured."""
    lines = read_utf8(path, NOT_A_RUN).splitlines()
    try:
        rows = metrics_rows(lines)
    except ValueError:
        raise UserError(f"'{path}' is not the metrics.csv of a part2.train run; {NOT_A_RUN}") from None
    if not rows:
        raise UserError(f"'{path}' holds no rows yet; let the run train for a while, then give its run_dir again")
    return rows


def read_samples(path, steps):
    """{step: [(mode, length, text)]} of samples_over_training.txt, for those of `steps` it holds."""
    samples, step = {}, None
    lines = read_utf8(path, NOT_A_RUN).splitlines()
    try:
        for line in lines:
            if line.startswith("=== step "):
                step = int(line.split()[2])
                if step in steps:
                    samples[step] = []
            elif step in samples:
                label, text = line[1:].split("] ", 1)
                mode, length = label.split(", ")
                samples[step].append((mode, int(length), text))
    except (IndexError, ValueError):
        raise UserError(f"'{path}' is not the samples file of a part2.train run; {NOT_A_RUN}") from None
    return samples


def summary(rows):
    """The numbers the README quotes: the last row, means over the last LAST steps (all, in a shorter run), the last
    validation."""
    last = rows[-1]
    recent = [r for r in rows if r["step"] > last["step"] - LAST]
    validated = [r for r in rows if r["val_loss"] is not None]
    return {"step": last["step"], "loss": last["loss"], "accuracy": last["accuracy"],
            "mean_over": min(LAST, last["step"]), "mean_loss": sum(r["loss"] for r in recent) / len(recent),
            "mean_accuracy": sum(r["accuracy"] for r in recent) / len(recent),
            "val_step": validated[-1]["step"] if validated else None,
            "val_loss": validated[-1]["val_loss"] if validated else None,
            "val_accuracy": validated[-1]["val_accuracy"] if validated else None}


def cell(text):
    """A sample as a Markdown table cell: a code span, its pipes escaped and line breaks shown as \\n."""
    return "`" + text.replace("|", "\\|").replace("\n", "\\n") + "`"


def samples_markdown(samples, prompt, completed, last_step):
    """part2_samples.md: one table per sampling mode (a row per step and length), then the completions."""
    modes = list(dict.fromkeys(mode for rows in samples.values() for mode, _, _ in rows))
    out = ["# Samples of the paper run (the report's Tables 5-7)", "",
           "Written by `python -m part2.paper.summarize` from `samples_over_training.txt` of `python start2.py "
           "--preset paper`. Each sample starts from a random character; greedy takes the most likely character, τ "
           "samples from softmax(τ · logits) (larger τ is greedier). Line breaks are shown as `\\n`.", ""]
    for mode in modes:
        out += [f"## {mode.replace('tau=', 'τ = ')}", "", "| step | length | sample |", "|---:|---:|---|"]
        for step, rows in sorted(samples.items()):
            out += [f"| {step:,} | {length} | {cell(text)} |" for m, length, text in rows if m == mode]
        out.append("")
    out += [f"## The prompt \"{prompt}\" completed by the model at step {last_step:,}", "",
            "| decoding | completion |", "|---|---|"]
    out += [f"| {name} | {cell(text)} |" for name, text in completed]
    return "\n".join(out) + "\n"


def completions(model, vocabulary, prompt):
    """[(decoding, text)]: `prompt` completed greedily and by beam search; a character the book lacks is a
    UserError (complete's)."""
    return [("greedy", complete(model, vocabulary, prompt, COMPLETION_LENGTH)),
            (f"beam search, width {BEAM_WIDTH}", complete(model, vocabulary, prompt, COMPLETION_LENGTH,
                                                          beam_width=BEAM_WIDTH))]


def summarize(run_dir, docs, prompt):
    """Write the three files into `docs` from the run in `run_dir`; return summary()."""
    run_dir = Path(run_dir)
    rows = read_metrics(run_dir / METRICS)
    state = load_checkpoint(run_dir / CHECKPOINT, keys=MODEL_KEYS, option="run_dir")
    model, vocabulary = model_from_state(state, run_dir / CHECKPOINT, option="run_dir")
    completed = completions(model, vocabulary, prompt)  # all read and checked before anything is written
    samples = read_samples(run_dir / SAMPLES, TABLE_STEPS)
    docs = ensure_writable_dir(docs, "--docs")
    names = ("part2_training.png", "part2_paper_metrics.csv", "part2_samples.md")
    with replaced_together(*(docs / name for name in names)) as (figure, metrics, samples_md):  # all or none
        plot_training(rows, figure, MEAN_OVER, REPORT_FINAL)
        write_csv(metrics, [{k: "" if r[k] is None else r[k] for k in METRIC_FIELDS}
                            for r in rows if r["step"] % CSV_EVERY == 0], METRIC_FIELDS)
        atomic_write_text(samples_md, samples_markdown(samples, prompt, completed, state["step"]))
    return summary(rows)


@dataclass(frozen=True)
class SummarizeConfig(Config):
    """Which run to summarise, and where."""
    run_dir: str = option(None, "--out_dir of the run (python start2.py --preset paper --out_dir RUN_DIR)",
                          flag="run_dir", type=str)
    docs: str = option("docs", "where to write the figure, the CSV and the samples (default: docs)")
    prompt: str = option("The people ", "the prompt the last model completes (default: 'The people ')")

    def check(self):
        if not self.prompt:
            raise UserError("--prompt must be at least one character of the book, got ''")


def main(argv=None):
    args = parse_into(SummarizeConfig, argv, "python -m part2.paper.summarize", __doc__.splitlines()[0])
    s = summarize(args.run_dir, args.docs, args.prompt)
    print(f"step {s['step']:,}, training batch: loss {s['loss']:.3f}, accuracy {s['accuracy']:.3f} "
          f"(report: {REPORT_FINAL['loss']}, {REPORT_FINAL['accuracy']})")
    print(f"mean over the last {s['mean_over']:,} steps: loss {s['mean_loss']:.3f}, accuracy {s['mean_accuracy']:.3f}")
    if s["val_step"] is not None:
        print(f"validation at step {s['val_step']:,}: loss {s['val_loss']:.3f}, accuracy {s['val_accuracy']:.3f}")


if __name__ == "__main__":
    run_main(main, "part2.paper.summarize")
