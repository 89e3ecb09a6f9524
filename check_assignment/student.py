"""A student's files, loaded and called as the course's train.py does. Only the worker process imports this:
the student's code never runs in the process that reports."""
import importlib.util
import inspect
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

# Where each class lives in a folder laid out as the course's.
COURSE_FILES = {"VanillaRNN": "part1/vanilla_rnn.py", "LSTM": "part1/lstm.py"}
# The constructors' arguments of the 2019 templates, in their order: fall's five, and spring's, with batch_size.
FALL = ("seq_length", "input_dim", "num_hidden", "num_classes", "device")
SPRING = ("seq_length", "input_dim", "num_hidden", "num_classes", "batch_size", "device")
OURS = ("part1", "part2", "part3")  # the package's own packages, which a student's `import part1...` must not find


class StudentError(Exception):
    """What went wrong in the student's code, in one line naming the file and line."""


def where(error, root):
    """'file:line: Type: message' of an exception, at the deepest frame in the student's folder `root`."""
    if isinstance(error, SyntaxError) and error.filename:
        return f"{shown(error.filename, root)}:{error.lineno}: SyntaxError: {error.msg}"
    frames = traceback.extract_tb(error.__traceback__)
    mine = [f for f in frames if inside(f.filename, root)] or frames[-1:]
    place = f"{shown(mine[-1].filename, root)}:{mine[-1].lineno}: " if mine else ""
    message = str(error).strip().splitlines()
    return f"{place}{type(error).__name__}{': ' + message[0] if message else ''}"


def inside(filename, root):
    try:
        Path(filename).resolve().relative_to(root)
        return True
    except ValueError:
        return False


def shown(filename, root):
    path = Path(filename).resolve()
    return str(path.relative_to(root)) if inside(path, root) else str(path)


@contextmanager
def student_imports(folder, root):
    """Import as the course's code does: the file's folder first on sys.path (`from dataset import ...`), then
    the assignment's root (`from part1.dataset import ...`); the package's own part1, part2 and part3 are out of
    sight meanwhile, and the student's modules of those names out of the way afterwards."""
    hidden = {name: module for name, module in sys.modules.items() if name.split(".")[0] in OURS}
    for name in hidden:
        del sys.modules[name]
    sys.path[:0] = [str(folder), str(root)]
    try:
        yield
    finally:
        del sys.path[:2]
        for name in [n for n in sys.modules if n.split(".")[0] in OURS]:
            del sys.modules[name]
        sys.modules.update(hidden)


def load_class(path, class_name, root):
    """The class `class_name` from the student's file `path`; a StudentError naming the file and line when the
    file does not import or lacks the class."""
    path, root = Path(path).resolve(), Path(root).resolve()
    spec = importlib.util.spec_from_file_location(f"student_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    with student_imports(path.parent, root):
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as e:
            raise StudentError(f"does not import: {where(e, root)}") from None
    if not isinstance(getattr(module, class_name, None), type):
        raise StudentError(f"{shown(path, root)} has no class {class_name}")
    return getattr(module, class_name)


def construct(cls, values):
    """cls(...) as the course's train.py builds it: when every required parameter has a name the course uses, each
    gets its value by keyword; otherwise the fall template's five or the spring template's six values go by
    position, where the parameters named as the course's stand in its places. Returns (model, template)."""
    try:
        parameters = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    named = [p for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    required = [p.name for p in named if p.default is p.empty]
    if all(name in values for name in required):
        template = "spring" if any(p.name == "batch_size" for p in named) else "fall"
        return cls(**{p.name: values[p.name] for p in named if p.name in values}), template
    order = {len(FALL): FALL, len(SPRING): SPRING}.get(len(required))
    if order is None or any(name in values and name != course for name, course in zip(required, order)):
        unknown = [name for name in required if name not in values]
        raise StudentError(f"the constructor needs {', '.join(unknown)}, which the course's train.py does not "
                           f"pass; it passes {', '.join(FALL)} (spring 2019: batch_size before device)")
    return cls(*(values[name] for name in order)), "spring" if order is SPRING else "fall"
