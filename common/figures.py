"""Matplotlib without a screen, and figures saved atomically as PNG."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common.files import replaced_atomically  # noqa: E402


def save_figure(fig, path):
    """Save as PNG through a temporary file, so an interrupted save never leaves half an image."""
    try:
        with replaced_atomically(path) as tmp:
            fig.savefig(tmp, dpi=120, format="png")
    finally:
        plt.close(fig)
