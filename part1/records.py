"""Finished runs: runs.jsonl, one record per line, keyed by the run's TrainConfig.key(); each run's training loss
per step in curves/, a CSV file named in its record. part1.train appends to it, the sweep reads and appends."""
import csv
import sys
from pathlib import Path

from uvadl2019.files import append_jsonl, read_jsonl, write_csv
from part1.config import MODEL_TYPES, digest_of, key_of

CURVES = "curves"
RECORD_KEYS = ("model_type", "input_length", "seed", "steps", "converged", "test_accuracy", "config")


def check_record(record):
    """What is wrong with the values of a runs.jsonl record, or None."""
    def whole(value):
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    accuracy = record["test_accuracy"]
    valid = {"model_type": record["model_type"] in MODEL_TYPES, "input_length": whole(record["input_length"]),
                "seed": whole(record["seed"]), "steps": whole(record["steps"]),
                "converged": isinstance(record["converged"], bool), "config": isinstance(record["config"], dict),
                "test_accuracy": isinstance(accuracy, (int, float)) and not isinstance(accuracy, bool)
                and 0 <= accuracy <= 1}
    bad = [key for key, fine in valid.items() if not fine]
    if bad:
        return f"has an impossible {bad[0]} ({record[bad[0]]!r})"
    config = record["config"]
    for field in ("model_type", "input_length", "seed"):  # the config is the one source; the fields repeat it
        if config.get(field) != record[field]:
            return f"has {field} {record[field]!r} but its config says {config.get(field)!r}"
    if isinstance(config.get("train_steps"), int) and not 1 <= record["steps"] <= config["train_steps"]:
        return f"ran {record['steps']} steps, which its config's train_steps {config['train_steps']} rules out"
    return None


def curve_name(record):
    """Where, relative to runs.jsonl's folder, the loss curve of a record goes."""
    return (f"{CURVES}/{record['model_type']}_T{record['input_length']}_seed{record['seed']}_"
            f"{digest_of(key_of(record['config']))[:8]}.csv")


def read_records(path):
    """The records of a runs.jsonl ([] when absent), each checked and none a run twice; a bad line is a UserError
    naming it."""
    return read_jsonl(path, RECORD_KEYS, check_record, key=lambda r: key_of(r["config"]))


class RunStore:
    """The records of runs.jsonl by run key; add() is the only writer of the file and of the curves."""

    def __init__(self, path):
        self.path = Path(path)
        self.reload()

    def reload(self):
        """Read runs.jsonl again, with what other processes appended; a corrupt line is a UserError naming it."""
        self.done = {key_of(r["config"]): r for r in read_records(self.path)}

    def __contains__(self, config):
        return config.key() in self.done

    def add(self, record):
        """Append a finished run's record; its "losses" go to the CSV file that the stored record names."""
        record = dict(record)
        losses = record.pop("losses", None)
        if losses is not None:  # written first: a record in runs.jsonl always has its curve
            record["loss_curve"] = curve_name(record)
            (self.path.parent / CURVES).mkdir(exist_ok=True)  # the sweep checked its folder when it started
            write_csv(self.path.parent / record["loss_curve"],
                      [{"step": step, "loss": f"{loss:.6g}"} for step, loss in enumerate(losses, start=1)])
        append_jsonl(self.path, record)
        self.done[key_of(record["config"])] = record
        return record

    def missing(self, configs):
        return [c for c in configs if c not in self]

    def records(self, configs):
        """The records of the finished ones among `configs`, in their order."""
        return [self.done[c.key()] for c in configs if c in self]


def read_losses(folder, record):
    """The training loss of every step of a record stored in `folder`; None when its curve is missing or unreadable."""
    if not record.get("loss_curve"):
        return None
    try:
        with open(Path(folder) / record["loss_curve"], encoding="utf-8", newline="") as f:
            losses = [float(row["loss"]) for row in csv.DictReader(f)]
    except (OSError, KeyError, TypeError, ValueError, csv.Error):
        return None
    if len(losses) != record["steps"]:
        print(f"warning: '{record['loss_curve']}' holds {len(losses)} steps, its record {record['steps']}; its curve "
              f"is left out", file=sys.stderr)
        return None
    return losses
