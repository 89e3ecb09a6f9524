"""A student's files, loaded and called as the course's train.py does. Only the worker process imports this:
the student's code never runs in the process that reports."""
import importlib.machinery
import importlib.util
import inspect
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

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
    the assignment's root (`from part1.dataset import ...`). Meanwhile the student's part1 and part2 folders are
    the packages of those names, and every module of the package's own that the student's files would provide is
    out of sight (the rest, part1.fast say, stays, for the package's models that a test wraps as a student's);
    afterwards the student's modules are out of the way again."""
    root = Path(root)
    hidden = {name: module for name, module in sys.modules.items()
              if name.split(".")[0] in OURS and provided(root, name)}
    for name in hidden:
        del sys.modules[name]
    for name in OURS:  # the student's part1 and part2, also without __init__.py (a package of ours would win)
        if (root / name).is_dir():
            sys.modules[name] = package_of(name, root / name)
    sys.path[:0] = [str(folder), str(root)]
    try:
        yield
    finally:
        del sys.path[:2]
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] in OURS and (name in hidden or students(module, root)):
                del sys.modules[name]
        sys.modules.update(hidden)


def provided(root, name):
    """Whether the student's folder `root` holds the module or package `name`."""
    path = Path(root, *name.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def students(module, root):
    """Whether `module` was loaded from the student's folder `root`."""
    places = [getattr(module, "__file__", None), *list(getattr(module, "__path__", []) or [])]
    return any(place and inside(place, root) for place in places)


def package_of(name, folder):
    """The package `name` whose modules are the files of `folder`: its __init__.py run, where it has one."""
    init = folder / "__init__.py"
    if not init.is_file():
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(folder)]
        return importlib.util.module_from_spec(spec)
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def open_model(kind, request, root):
    """The student's class of the request's file, held as `kind` (a Student class), and how it was constructed;
    a StudentError when it does not load."""
    student = kind(load_class(request["file"], request["class"], root), request["class"], request["seed"])
    return student, student.constructible()


def parameters_of(cls):
    """The constructor's named parameters (inspect.Parameter), without *args and **kwargs."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def construct(cls, values, orders):
    """cls(...) as the course's train.py builds it: when every required parameter has a name the course uses, each
    gets its value by keyword; otherwise the values of orders[number of required parameters] go by position, where
    the parameters named as the course's stand in their places."""
    named = parameters_of(cls)
    required = [p.name for p in named if p.default is p.empty]
    if all(name in values for name in required):
        return cls(**{p.name: values[p.name] for p in named if p.name in values})
    order = orders.get(len(required))
    if order is None or any(name in values and name != course for name, course in zip(required, order)):
        unknown = [name for name in required if name not in values]
        raise StudentError(f"the constructor needs {', '.join(unknown)}, which the course's train.py does not "
                           f"pass; it passes {', '.join(max(orders.values(), key=len))}")
    return cls(*(values[name] for name in order))
