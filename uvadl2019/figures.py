"""Figures built with matplotlib's object API, never pyplot's global state, and saved atomically as PNG.

Nothing here selects a matplotlib backend, so importing the package leaves a notebook's inline plotting alone.
"""
from matplotlib.figure import Figure

from uvadl2019.files import replaced_atomically


def panels(count, width, height, rows=1):
    """A Figure of `rows` rows of `count` panels side by side, each width x height inches; returns (figure, list
    of axes, row by row)."""
    fig = Figure(figsize=(width * count, height * rows))
    return fig, list(fig.subplots(rows, count, squeeze=False).flat)


def finish_figure(fig, title, path=None):
    """Give the figure its title and layout, save it as PNG when `path` is given, and return it."""
    fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        # Through a temporary file, so that an interrupted save never leaves half an image.
        with replaced_atomically(path) as tmp:
            fig.savefig(tmp, dpi=120, format="png")
    return fig
