"""Progress bars that suit where they run: widgets in a notebook, a redrawn line on a terminal, and none in logs
(SLURM, nohup, CI), where the commands print plain lines instead."""
import importlib.util
import sys
from datetime import datetime

from tqdm import tqdm as text_tqdm


def in_notebook():
    """Whether this runs in a Jupyter kernel."""
    return "ipykernel" in sys.modules


def bars_shown(quiet=False):
    """Whether a progress bar would be drawn: not with --quiet, and only on a terminal or in a notebook. tqdm's
    own environment settings apply on top (TQDM_DISABLE=1: none)."""
    return not quiet and (in_notebook() or sys.stderr.isatty())


def progress(iterable=None, quiet=False, **options):
    """A tqdm bar over `iterable` (options as tqdm's), drawn only where bars_shown(quiet); in a notebook with
    ipywidgets a widget, elsewhere text, so that no notebook warns of a missing widget library."""
    if not bars_shown(quiet):
        options["disable"] = True  # given only here, so that TQDM_DISABLE and the like still apply otherwise
    kind = text_tqdm
    if in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm as kind
    return kind(iterable, **options)


def progress_line(step, train_steps, batch_size, examples_per_second, accuracy, loss):
    """The course's training progress line."""
    return ("[{}] Train Step {:04d}/{:04d}, Batch Size = {}, Examples/Sec = {:.2f}, "
            "Accuracy = {:.2f}, Loss = {:.3f}".format(datetime.now().strftime("%Y-%m-%d %H:%M"), step,
                                                      train_steps, batch_size, examples_per_second,
                                                      accuracy, loss))


def show_step(bar, step, train_steps, batch_size, step_seconds, accuracy, loss):
    """A step's accuracy and loss: in the bar where one is drawn, else as the course's progress line."""
    if bar.disable:
        bar.write(progress_line(step, train_steps, batch_size, batch_size / step_seconds, accuracy, loss))
    else:
        bar.set_postfix(loss=f"{loss:.3f}", accuracy=f"{accuracy:.2f}")
