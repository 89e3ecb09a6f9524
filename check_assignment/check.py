"""Check a student's files from Python: check_paths(["path/to/assignment_2"]) -> [{file, model, check, status,
message}]; each file is checked in a process of its own (check_assignment.sandbox)."""
from pathlib import Path

from uvadl2019.cli import UserError
from check_assignment.sandbox import check_file

MODEL_FILES = {"vanilla_rnn.py": "VanillaRNN", "lstm.py": "LSTM"}


def files_of(path):
    """[(file, class, root)] of an assignment folder, its part1 folder, or a single file; a UserError when there
    is none."""
    path = Path(path).resolve()
    if path.is_file():
        root = path.parent.parent if path.parent.name == "part1" else path.parent
        found = [(path, MODEL_FILES[path.name], root)] if path.name in MODEL_FILES else \
            [(path, name, root) for name in MODEL_FILES.values() if f"class {name}(" in read_text(path)]
    else:
        part1 = path / "part1" if (path / "part1").is_dir() else path
        root = part1.parent
        found = [(part1 / name, cls, root) for name, cls in MODEL_FILES.items() if (part1 / name).is_file()]
    if not found:
        raise UserError(f"no {' or '.join(MODEL_FILES)} (nor a file with class VanillaRNN or LSTM) at '{path}'; "
                        f"give an assignment folder laid out as the course's, or the files")
    return found


def read_text(path):
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise UserError(f"cannot read '{path}' ({e.strerror})") from None


def check_paths(paths, pool=None, seed=42, time_limit=300, memory_limit=4096):
    """The results of every student file of `paths` (assignment folders or files), each labelled with its file
    and model; the files checked by `pool` (a concurrent.futures executor), or one after another."""
    files = [f for path in paths for f in files_of(path)]
    calls = [(file, cls, root, seed, time_limit, memory_limit) for file, cls, root in files]
    outcomes = [run.result() for run in [pool.submit(check_file, *call) for call in calls]] if pool else \
        [check_file(*call) for call in calls]
    return [{"file": str(file.relative_to(root)), "model": cls, **r}
            for (file, cls, root), results in zip(files, outcomes) for r in results]
