"""Files written atomically (temporary file, then rename), JSON lines, and writable output folders."""
import csv
import io
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from common.cli import UserError


def ensure_writable_dir(path, option="--out_dir"):
    """Create `path` if needed and prove that files can be written there; else a UserError naming `option`."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise UserError(f"cannot write to output folder '{path}' ({e.strerror}); "
                        f"choose another with {option}") from None
    return path


@contextmanager
def replaced_atomically(path):
    """Yield a temporary path beside `path` to write; on success it replaces `path`, on failure it is removed.

    Readers see either the old or the new file, never a part of one.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def atomic_write_text(path, text):
    """Write `text` to `path` atomically."""
    with replaced_atomically(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def read_jsonl(path):
    """All records of a JSON-lines file ([] when absent); a corrupt line is a UserError naming it."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            raise UserError(f"line {number} of '{path}' is not a JSON record; "
                            f"delete or repair that line and run again (the other lines are kept)")
        records.append(record)
    return records


def append_jsonl(path, record):
    """Append one record as a JSON line; the file is replaced atomically, so no line is ever half written."""
    path = Path(path)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    atomic_write_text(path, old + json.dumps(record, sort_keys=True) + "\n")


def append_line(path, line):
    """Append one line to a log and flush it; keep_lines() repairs a log cut short by an interruption."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()


def keep_lines(path, keep):
    """Rewrite the log at `path` atomically with its lines up to the first for which keep(line) is False."""
    path = Path(path)
    if not path.exists():
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not keep(line):
            break
        kept.append(line + "\n")
    atomic_write_text(path, "".join(kept))


def write_csv(path, rows):
    """Write dicts with the same keys as a CSV file with a header, atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())
