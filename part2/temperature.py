"""The report's Figure 5: softmax(tau * x) of one fixed draw of Gaussian logits x, for several tau.

python -m part2.temperature   # tau = 0.5, 1 and 2, one panel each
"""
from dataclasses import dataclass

import torch

from uvadl2019.checks import UserError, check_positive, check_seeds
from uvadl2019.cli import Config, option, parse_into, run_main
from uvadl2019.figures import finish_figure, panels
from uvadl2019.files import ensure_writable_dir
from part2.sample import tempered_softmax


def gaussian_logits(num_classes, seed):
    """One draw of num_classes standard-normal logits from its own generator."""
    return torch.randn(num_classes, generator=torch.Generator().manual_seed(seed))


def plot_temperatures(x, taus, path=None):
    """One bar chart of softmax(tau * x) per tau, each panel with its own y-axis scale; the Figure, saved as PNG
    at `path` when given."""
    fig, axes = panels(len(taus), 4, 3.4)
    classes = range(len(x))
    for ax, tau in zip(axes, taus):
        ax.bar(classes, tempered_softmax(x.double(), tau).tolist(), color="C0")
        ax.set_title(f"τ = {tau:g}")
        ax.set_xlabel("class")
        ax.set_xticks(list(classes))
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("softmax(τ·x)")
    return finish_figure(fig, f"One draw of {len(x)} Gaussian logits x, sharpened or flattened by τ "
                              f"(note each y-axis)", path)


@dataclass(frozen=True)
class TemperatureConfig(Config):
    """What Figure 5 draws. Constructing it checks it."""
    taus: tuple = option((0.5, 1.0, 2.0), "inverse temperatures, one panel each (default: 0.5 1 2)", nargs="+",
                         type=float)
    num_classes: int = option(10, "number of Gaussian logits (default: 10)")
    seed: int = option(42, "seed of the draw (default: 42)")
    out_dir: str = option("results/part2", "folder of temperature.png (default: results/part2)")

    def check(self):
        if not 2 <= self.num_classes <= 100:
            raise UserError(f"--num_classes must be between 2 and 100, got {self.num_classes}")
        for tau in self.taus:
            check_positive(taus=tau)
        check_seeds("seed", self.seed)


def main(argv=None):
    args = parse_into(TemperatureConfig, argv, "python -m part2.temperature", __doc__.splitlines()[0])
    out_dir = ensure_writable_dir(args.out_dir)
    x = gaussian_logits(args.num_classes, args.seed)
    plot_temperatures(x, args.taus, out_dir / "temperature.png")
    for tau in args.taus:
        p = tempered_softmax(x.double(), tau)
        print(f"tau = {tau:g}: largest probability {p.max().item():.3f}, smallest {p.min().item():.3f}")
    print(f"Wrote {out_dir / 'temperature.png'}")


if __name__ == "__main__":
    run_main(main, "part2.temperature")
