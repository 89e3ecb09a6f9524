"""The checker's results: a line per check and model, and for a folder of submissions a JSON line per checked
submission (keyed by its name and the digest of its files) and a CSV row per submission."""
import hashlib
from pathlib import Path

from uvadl2019.files import append_jsonl, read_jsonl, write_csv
from check_assignment.kinds import KINDS, check_names


def lines_of(results):
    """'FAIL  LSTM  equations  ...': a line per result, in columns as wide as their widest entry."""
    model = max((len(r["model"]) for r in results), default=0)
    check = max((len(r["check"]) for r in results), default=0)
    return [f"{r['status'].upper():<4}  {r['model']:<{model}}  {r['check']:<{check}}  {r['message']}" for r in results]


def digest_of(folder):
    """A digest of the Python files under `folder`: a submission changed when it changes."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.py")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


class SubmissionStore:
    """checks.jsonl: the results of each checked submission; the last line of a submission counts."""

    def __init__(self, path):
        self.path = Path(path)
        self.records = {r["submission"]: r for r in read_jsonl(self.path, ("submission", "digest", "results"))}

    def has(self, name, digest):
        return name in self.records and self.records[name]["digest"] == digest

    def add(self, name, digest, results):
        record = {"submission": name, "digest": digest, "results": results}
        append_jsonl(self.path, record)
        self.records[name] = record

    def latest(self, names):
        return [self.records[name] for name in names if name in self.records]


def write_table(records, path):
    """A CSV row per submission: its counts, the status of each check of each model, and its first failure."""
    rows = []
    for record in records:
        results = record["results"]
        row = {"submission": record["submission"],
               **{status: sum(r["status"] == status for r in results) for status in ("fail", "warn", "pass")}}
        for model in KINDS:
            for check in check_names(model):
                row[f"{model}: {check}"] = next((r["status"] for r in results
                                                 if r["model"] == model and r["check"] == check), "")
        failures = [f"{r['model']} {r['check']}: {r['message']}".strip() for r in results if r["status"] == "fail"]
        row["first failure"] = failures[0] if failures else ""
        rows.append(row)
    if rows:
        write_csv(path, rows)
