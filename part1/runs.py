"""The finished runs of a sweep: runs.jsonl, one record per line, keyed by the run's TrainConfig.key()."""
from common.files import append_jsonl, read_jsonl
from part1.config import key_of


class RunStore:
    """The records of runs.jsonl by run key; add() is the only writer of the file."""

    def __init__(self, path):
        self.path = path
        # A corrupt line is a UserError naming it.
        self.done = {key_of(r["config"]): r for r in read_jsonl(path) if isinstance(r.get("config"), dict)}

    def __contains__(self, config):
        return config.key() in self.done

    def add(self, record):
        """Append a finished run's record."""
        append_jsonl(self.path, record)
        self.done[key_of(record["config"])] = record

    def missing(self, configs):
        return [c for c in configs if c not in self]

    def records(self, configs):
        """The records of the finished ones among `configs`, in their order."""
        return [self.done[c.key()] for c in configs if c in self]
