"""The check of a student's train.py: run for a few steps with small settings, the order of backward(), gradient
clipping, optimizer.step() and zero_grad() in each step is observed while it runs, not parsed from the source."""
import contextlib
import io
import runpy
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

from check_assignment.student import StudentError, shown, student_imports, where

STEPS = 4  # optimizer steps observed before the run is stopped
BOOK_TEXT = "the people of the united states rule themselves, and the states rule the people. " * 200
# The course's options, small: a step of milliseconds. Where a train.py refuses one, only --device is given.
SMALL = {"part1": ["--input_length", "5", "--num_hidden", "16", "--batch_size", "8", "--train_steps", "20"],
         "part2": ["--batch_size", "8", "--seq_length", "10", "--lstm_num_hidden", "16", "--train_steps", "20"]}


class EnoughSteps(BaseException):
    """Raised from the optimizer's step hook once STEPS steps are seen: ends the student's loop (not an Exception,
    so that a student's `except Exception` lets it through)."""


@dataclass
class LoopStudent:
    """A student's train.py and how to run it."""
    path: Path
    root: Path
    part: str  # part1 or part2
    seed: int
    book: str = None  # the text part 2's train.py reads; None: BOOK_TEXT
    form = "script"  # the worker's sign that the file loaded

    @classmethod
    def open(cls, request, root):
        path = Path(request["file"]).resolve()
        try:
            compile(path.read_bytes(), str(path), "exec")
        except SyntaxError as e:
            raise StudentError(f"does not compile: {where(e, root)}") from None
        part = path.parent.name if path.parent.name in SMALL else "part1"
        return cls(path, root, part, request["seed"], request.get("book")), \
            f"{shown(path, root)} compiles"

    def run(self, events, options):
        """Run train.py as `python train.py OPTIONS` in the current folder until STEPS steps; what it wrote to stderr
        and the exit code it asked for (None: stopped after its steps, or it ended by itself)."""
        argv, err = sys.argv, io.StringIO()
        sys.argv = [str(self.path), "--device", "cpu", *options]
        torch.manual_seed(self.seed)
        try:
            with student_imports(self.path.parent, self.root), observed(events), \
                    contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                runpy.run_path(str(self.path), run_name="__main__")
        except EnoughSteps:
            pass
        except SystemExit as e:
            return err.getvalue(), e.code
        finally:
            sys.argv = argv
        return err.getvalue(), None


def recorders(events):
    """The stand-ins that record ('backward' | 'clip' | 'zero_grad' | 'step', detail) in `events`: [(owner, name,
    replacement)] for torch's functions, and the optimizer step's pre- and post-hook, which stops the loop with
    EnoughSteps after STEPS steps. A backward() that finds the gradients of the optimized parameters still non-zero
    from the last step is recorded as ('backward', 'accumulates')."""
    optimized = []
    originals = {"backward": torch.Tensor.backward, "clip_grad_norm_": torch.nn.utils.clip_grad_norm_,
                 "clip_grad_norm": torch.nn.utils.clip_grad_norm, "clip_grad_value_": torch.nn.utils.clip_grad_value_,
                 "optimizer zero_grad": torch.optim.Optimizer.zero_grad, "module zero_grad": torch.nn.Module.zero_grad}

    def recorded(name, kind):
        def call(*args, **kwargs):
            stale = kind == "backward" and any(p.grad is not None and p.grad.any() for p in optimized)
            events.append((kind, "accumulates" if stale else name))
            return originals[name](*args, **kwargs)
        return call

    def before_step(optimizer, args, kwargs):
        optimized[:] = [p for group in optimizer.param_groups for p in group["params"]]
        events.append(("step", ""))

    def after_step(optimizer, args, kwargs):
        if sum(kind == "step" for kind, _ in events) >= STEPS:
            raise EnoughSteps

    patches = [(torch.Tensor, "backward", recorded("backward", "backward")),
               (torch.optim.Optimizer, "zero_grad", recorded("optimizer zero_grad", "zero_grad")),
               (torch.nn.Module, "zero_grad", recorded("module zero_grad", "zero_grad"))]
    patches += [(module, name, recorded(name, "clip")) for module in (torch.nn.utils, torch.nn.utils.clip_grad)
                for name in ("clip_grad_norm_", "clip_grad_norm", "clip_grad_value_")]
    return patches, before_step, after_step


@contextlib.contextmanager
def observed(events):
    """Record the training loop's events in `events` while the block runs (recorders()); stop it after STEPS
    optimizer steps."""
    patches, before_step, after_step = recorders(events)
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    hooks = [register_optimizer_step_pre_hook(before_step), register_optimizer_step_post_hook(after_step)]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
        for hook in hooks:
            hook.remove()


def problems_of(events):
    """What is wrong with the order of a training loop's events, each step from the one before it."""
    problems = []
    steps = [i for i, (kind, _) in enumerate(events) if kind == "step"]
    for start, end in zip([-1, *steps], steps):
        segment = [kind for kind, _ in events[start + 1:end]]
        details = [detail for _, detail in events[start + 1:end]]
        if "backward" not in segment:
            problems.append("optimizer.step() without a backward() before it")
            continue
        last_backward = len(segment) - 1 - segment[::-1].index("backward")
        for i, kind in enumerate(segment[:last_backward]):
            if kind == "clip":
                after_step = start >= 0 and "zero_grad" in segment[i:last_backward]
                problems.append("gradient clipping after optimizer.step(): the step has used the unclipped gradients"
                                if after_step else "gradient clipping before backward(): it clips the last step's "
                                                   "gradients, or none, never this step's")
        if "zero_grad" in segment[last_backward:]:
            problems.append("zero_grad() between backward() and optimizer.step(): the step sees no gradient")
        if "accumulates" in details:
            problems.append("the gradients are never zeroed: each backward() adds to the last step's (call "
                            "optimizer.zero_grad() before backward())")
    return list(dict.fromkeys(problems))


def check_step_order(student):
    """Each step: backward(), then clipping (if any), then optimizer.step(); the gradients zeroed between steps."""
    book = student.book
    if book is None:
        book = Path("book.txt").resolve()  # in the worker's temporary folder
        book.write_text(BOOK_TEXT, encoding="utf-8")
    extra = ["--txt_file", str(book)] if student.part == "part2" else []
    events = []
    err, code = student.run(events, [*extra, *SMALL[student.part]])
    if code is not None and not events:  # refused the small settings: the defaults, but for --device
        events = []
        err, code = student.run(events, extra)
    steps = sum(kind == "step" for kind, _ in events)
    if steps < 2:
        said = [line for line in err.splitlines() if line.strip()][-1:]
        return "fail", (f"train.py stopped after {steps} optimizer step(s)" + (f" with exit code {code}" if code
                        else "") + (f": {said[0].strip()}" if said else "") +
                        f" (run as: train.py --device cpu {' '.join(extra + SMALL[student.part])})")
    problems = problems_of(events)
    if problems:
        return "fail", "; ".join(problems)
    clipped = any(kind == "clip" for kind, _ in events)
    return "pass", (f"{steps} steps of backward(), {'clipping, ' if clipped else ''}step(), gradients zeroed "
                    "between them")


CHECKS = {"step order": check_step_order}
