"""Check a student's files from Python: check_paths(["path/to/assignment_2"]) -> [{file, model, check, status,
message}]; each file is checked in a process of its own (check_assignment.sandbox)."""
from pathlib import Path

from uvadl2019.checks import UserError
from check_assignment.kinds import KINDS
from check_assignment.sandbox import check_file

COURSE_FILES = {file: kind for kind, (file, _, _) in KINDS.items()}  # part1/vanilla_rnn.py: VanillaRNN


def files_of(path):
    """[(file, class, root)] of an assignment folder (or its part1 or part2 folder), or of a single file; a
    UserError when there is none."""
    path = Path(path).resolve()
    if path.is_file():
        in_part = path.parent.name in ("part1", "part2")
        root = path.parent.parent if in_part else path.parent
        place = f"{path.parent.name if in_part else 'part1'}/{path.name}"
        found = [(path, COURSE_FILES[place], root)] if place in COURSE_FILES else \
            [(path, name, root) for name in KINDS if f"class {name}(" in read_text(path)]
    else:
        part = path.name if path.name in ("part1", "part2") else ""  # one part's folder: its files alone
        root = path.parent if part else path
        found = [(root / file, kind, root) for file, kind in COURSE_FILES.items()
                 if file.startswith(part) and (root / file).is_file()] or \
            [(path / Path(file).name, kind, path) for file, kind in COURSE_FILES.items()
             if (path / Path(file).name).is_file() and Path(file).parent.name == "part1"]
    if not found:
        raise UserError(f"none of the course's files ({', '.join(COURSE_FILES)}) at '{path}'; give an assignment "
                        f"folder laid out as the course's, or the files")
    return found


def read_text(path):
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise UserError(f"cannot read '{path}' ({e.strerror})") from None


def check_paths(paths, pool=None, seed=42, time_limit=300, memory_limit=4096, book=None):
    """The results of every student file of `paths` (assignment folders or files), each labelled with its file
    and model; the files checked by `pool` (a concurrent.futures executor), or one after another. book: the text
    that part 2's train.py reads (None: a made-up one)."""
    files = [f for path in paths for f in files_of(path)]
    calls = [(file, cls, root, seed, time_limit, memory_limit, book) for file, cls, root in files]
    outcomes = [run.result() for run in [pool.submit(check_file, *call) for call in calls]] if pool else \
        [check_file(*call) for call in calls]
    return [{"file": str(file.relative_to(root)), "model": cls, **r}
            for (file, cls, root), results in zip(files, outcomes) for r in results]
