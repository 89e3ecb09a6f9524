"""The report's Figure 5: softmax(tau * x) of one fixed draw of Gaussian logits x, for several tau.

python -m part2.temperature   # tau = 0.5, 1 and 2, one panel each
"""
import torch

from common.cli import ArgumentParser, UserError, check_positive, check_seeds, run_main
from common.figures import finish_figure, panels
from common.files import ensure_writable_dir


def gaussian_logits(num_classes, seed):
    """One draw of num_classes standard-normal logits from its own generator."""
    return torch.randn(num_classes, generator=torch.Generator().manual_seed(seed))


def tempered_softmax(x, tau):
    """softmax(tau * x): tau is an inverse temperature, as in the report (larger tau, sharper distribution)."""
    return torch.softmax(tau * x, dim=-1)


def plot_temperatures(x, taus, path=None):
    """One bar chart of softmax(tau * x) per tau, each panel with its own y-axis scale; the Figure, saved as PNG
    at `path` when given."""
    fig, axes = panels(len(taus), 4, 3.4)
    classes = range(len(x))
    for ax, tau in zip(axes, taus):
        ax.bar(classes, tempered_softmax(x, tau).tolist(), color="C0")
        ax.set_title(f"τ = {tau:g}")
        ax.set_xlabel("class")
        ax.set_xticks(list(classes))
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("softmax(τ·x)")
    return finish_figure(fig, f"One draw of {len(x)} Gaussian logits x, sharpened or flattened by τ "
                              f"(note each y-axis)", path)


def build_parser():
    p = ArgumentParser(prog="python -m part2.temperature", description=__doc__.splitlines()[0])
    p.add_argument("--taus", type=float, nargs="+", default=[0.5, 1.0, 2.0],
                   help="inverse temperatures, one panel each (default: 0.5 1 2)")
    p.add_argument("--num_classes", type=int, default=10, help="number of Gaussian logits (default: 10)")
    p.add_argument("--seed", type=int, default=42, help="seed of the draw (default: 42)")
    p.add_argument("--out_dir", default="results/part2", help="folder of temperature.png (default: results/part2)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not 2 <= args.num_classes <= 100:
        raise UserError(f"--num_classes must be between 2 and 100, got {args.num_classes}")
    for tau in args.taus:
        check_positive(taus=tau)
    check_seeds("seed", args.seed)
    out_dir = ensure_writable_dir(args.out_dir)
    x = gaussian_logits(args.num_classes, args.seed)
    plot_temperatures(x, args.taus, out_dir / "temperature.png")
    for tau in args.taus:
        p = tempered_softmax(x, tau)
        print(f"tau = {tau:g}: largest probability {p.max().item():.3f}, smallest {p.min().item():.3f}")
    print(f"Wrote {out_dir / 'temperature.png'}")


if __name__ == "__main__":
    run_main(main, "part2.temperature")
