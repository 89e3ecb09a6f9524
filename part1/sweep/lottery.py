"""How often a model learns: python -m part1.sweep.lottery RUNS_DIR.

At input lengths 100 and 150 a run either learns or stays at chance, and the report's four seeds show one draw of
that lottery. Per model and input length of a sweep's records: the runs that learned, were partial or stayed at
chance, the learned share's 95 % Wilson interval, Fisher's exact test of the learned count against the report's
(read off its mean), and the steps at which the convergence rule stopped the runs. Writes lottery_summary.csv,
lottery_table.md and lottery.png beside runs.jsonl.
"""
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist, median

from uvadl2019.checks import UserError
from uvadl2019.cli import Config, option, parse_into, run_main
from uvadl2019.files import atomic_write_text, ensure_writable_dir, write_csv
from part1.config import MODEL_TYPES, NOT_RUN_DEFINING
from part1.presets import REPORT_ACCURACY
from part1.records import read_records
from part1.sweep.figures import plot_lottery

LEARNED, CHANCE = 0.99, 0.2  # test accuracy: learned at or above LEARNED, at chance at or below CHANCE, else partial
REPORT_SEEDS = 4  # the report's seeds per model and input length (42-45)
Z_95 = NormalDist().inv_cdf(0.975)


def outcome(accuracy):
    """'learned', 'partial' or 'chance', by a run's test accuracy."""
    return "learned" if accuracy >= LEARNED else "chance" if accuracy <= CHANCE else "partial"


def report_learned(mean, seeds=REPORT_SEEDS):
    """How many of the report's `seeds` runs learned, read off their mean accuracy: runs at 1 or at chance (0.1)
    average 0.1 + 0.9 k / seeds."""
    return min(seeds, max(0, round((mean - 0.1) / 0.9 * seeds)))


def wilson_interval(k, n, z=Z_95):
    """The Wilson score interval of a proportion of k successes in n trials (95 % for the default z)."""
    p, z2 = k / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def fisher_exact(k1, n1, k2, n2):
    """The two-sided p-value of Fisher's exact test that k1 successes of n1 and k2 of n2 share one rate: given
    the margins, the probability of every table no more likely than the observed one, in exact fractions."""
    successes, total = k1 + k2, n1 + n2

    def probability(x):  # of x successes in the first group: hypergeometric
        return Fraction(math.comb(successes, x) * math.comb(total - successes, n1 - x), math.comb(total, n1))

    observed = probability(k1)
    tables = range(max(0, successes - n2), min(successes, n1) + 1)
    return float(sum(p for p in map(probability, tables) if p <= observed))


def cells_of(records):
    """{(model, input length): its records by seed}; a UserError where one cell's runs differ in more than the
    seed, since their counts would then mix two experiments."""
    cells = {}
    for r in sorted(records, key=lambda r: (MODEL_TYPES.index(r["model_type"]), r["input_length"], r["seed"])):
        cells.setdefault((r["model_type"], r["input_length"]), []).append(r)
    for (model_type, length), runs in cells.items():
        first = settings_of(runs[0])
        for r in runs[1:]:
            differ = sorted(k for k in first.keys() | settings_of(r).keys() if settings_of(r).get(k) != first.get(k))
            if differ:
                raise UserError(f"the {model_type} runs at input length {length} differ in {differ[0]} (seeds "
                                f"{runs[0]['seed']} and {r['seed']}); give the folder of one sweep")
    return cells


def settings_of(record):
    """What defined a record's run, but its seed."""
    return {k: v for k, v in record["config"].items() if k not in NOT_RUN_DEFINING and k != "seed"}


def steps_of(runs):
    """The median, least and most steps of `runs`; None each when there are none."""
    steps = [r["steps"] for r in runs]
    if not steps:
        return None, None, None
    middle = median(steps)
    return int(middle) if middle == int(middle) else middle, min(steps), max(steps)


def lottery_rows(records, report=REPORT_ACCURACY):
    """One row per (model, input length): the outcome counts, the learned share's Wilson interval, the partial
    runs (seed: accuracy), the report's learned count and Fisher's p against it, and the stopping steps of the
    learned runs and of the others beside the rule's minimum."""
    rows = []
    for (model_type, length), runs in cells_of(records).items():
        by_outcome = {name: [r for r in runs if outcome(r["test_accuracy"]) == name]
                      for name in ("learned", "partial", "chance")}
        learned, n = len(by_outcome["learned"]), len(runs)
        theirs = report_learned(report[model_type, length][0]) if (model_type, length) in report else None
        low, high = wilson_interval(learned, n)
        learned_steps = steps_of(by_outcome["learned"])
        other_steps = steps_of(by_outcome["partial"] + by_outcome["chance"])
        rows.append({
            "model_type": model_type, "input_length": length, "runs": n, "learned": learned,
            "partial": len(by_outcome["partial"]), "chance": len(by_outcome["chance"]),
            "learned_low": round(low, 4), "learned_high": round(high, 4),
            "partial_runs": ", ".join(f"{r['seed']}: {r['test_accuracy']:.4f}" for r in by_outcome["partial"]),
            "report_learned": theirs, "report_runs": None if theirs is None else REPORT_SEEDS,
            "p_value": None if theirs is None else round(fisher_exact(learned, n, theirs, REPORT_SEEDS), 4),
            "min_steps": runs[0]["config"].get("min_steps"),
            **dict(zip(("steps_learned_median", "steps_learned_min", "steps_learned_max"), learned_steps)),
            **dict(zip(("steps_other_median", "steps_other_min", "steps_other_max"), other_steps))})
    return rows


def steps_text(row, which):
    """'median (least-most)' of the learned or other runs' steps, or '–' when there are none."""
    middle, least, most = (row[f"steps_{which}_{k}"] for k in ("median", "min", "max"))
    return "–" if middle is None else f"{middle:g}" if least == most else f"{middle:g} ({least}–{most})"


def markdown_table(rows):
    """The README's table of lottery_rows()."""
    header = ("model", "input length", "learned", "95 % interval", "partial (seed: accuracy)", "chance", "report",
              "p", "steps, learned", "steps, others", "rule from step")
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for r in rows:
        partial = f"{r['partial']} ({r['partial_runs']})" if r["partial"] else "0"
        report = "" if r["report_learned"] is None else f"{r['report_learned']} of {r['report_runs']}"
        p = "" if r["p_value"] is None else f"{r['p_value']:.3f}"
        cells = (r["model_type"], r["input_length"], f"{r['learned']} of {r['runs']}",
                 f"{r['learned_low']:.2f}–{r['learned_high']:.2f}", partial, r["chance"], report, p,
                 steps_text(r, "learned"), steps_text(r, "other"), r["min_steps"] or "never")
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines) + "\n"


def write_lottery(records, out_dir, figure=None):
    """Write lottery_summary.csv, lottery_table.md and the figure (default out_dir/lottery.png); the rows."""
    rows = lottery_rows(records)
    write_csv(out_dir / "lottery_summary.csv", [{k: "" if v is None else v for k, v in r.items()} for r in rows])
    atomic_write_text(out_dir / "lottery_table.md", markdown_table(rows))
    ours = {cell: [(r["test_accuracy"], outcome(r["test_accuracy"])) for r in runs]
            for cell, runs in cells_of(records).items()}
    theirs = {(r["model_type"], r["input_length"]): [(1.0, "learned")] * r["report_learned"]
              + [(0.1, "chance")] * (r["report_runs"] - r["report_learned"]) for r in rows if r["report_runs"]}
    title = (f"Palindromes: each run's test accuracy\n(learned ≥ {LEARNED}, chance ≤ {CHANCE}, partial between; "
             f"above each column: runs learned)")
    plot_lottery(ours, theirs, (LEARNED, CHANCE), title, figure or out_dir / "lottery.png")
    return rows


@dataclass(frozen=True)
class LotteryConfig(Config):
    """Which sweep to count, and where its figure goes."""
    runs_dir: str = option(None, "folder of a sweep's runs.jsonl (start1.py --out_dir); the summary and table go "
                                 "there too", flag="runs_dir", type=str)
    figure: str = option(None, "where to save the figure (default: RUNS_DIR/lottery.png)", type=str)


def main(argv=None):
    config = parse_into(LotteryConfig, argv, "python -m part1.sweep.lottery", __doc__.splitlines()[0])
    runs_dir = Path(config.runs_dir)
    records = read_records(runs_dir / "runs.jsonl")
    if not records:
        raise UserError(f"no runs.jsonl with records in '{runs_dir}'; give as runs_dir the --out_dir of a "
                        f"start1.py sweep")
    if config.figure:
        ensure_writable_dir(Path(config.figure).parent, "--figure")
    rows = write_lottery(records, ensure_writable_dir(runs_dir, "runs_dir"), config.figure and Path(config.figure))
    print(markdown_table(rows), end="")
    print(f"Wrote {runs_dir / 'lottery_summary.csv'}, lottery_table.md and {config.figure or runs_dir / 'lottery.png'}")


if __name__ == "__main__":
    run_main(main, "python -m part1.sweep.lottery")
