"""Train the two-layer character LSTM on "Democracy in America" (or another book) and sample from it.

python start2.py                 # quick preset: a visibly learning model in minutes on a CPU
python start2.py --preset paper  # the report's run: 1,000,000 steps
(python -m part2.paper.start is the same command, also where the package is pip-installed)
"""
from dataclasses import dataclass
from pathlib import Path

from uvadl2019.cli import Config, option, parse_into, run_main
from uvadl2019.device import DEVICE_HELP
from part2 import train
from part2.config import TextTrainConfig
from part2.paper.books import DEFAULT_BOOK, fetch

PRESETS = {  # start2.py's runs, as changes to part2.config's defaults (the report's model, batch and schedule)
    "quick": dict(train_steps=12000, print_every=100, sample_every=1000),
    # The report's code parsed --max_norm but never clipped part 2's gradients.
    "paper": dict(dropout_keep_prob=0.85, max_norm=None, print_every=100, eval_every=5000, checkpoint_every=5000),
}



@dataclass(frozen=True)
class Start2Config(Config):
    """The command line of start2.py (and python -m part2.paper.start): a preset of TextTrainConfig, and what may
    change."""
    preset: str = option("quick", "quick: 12,000 steps (default); paper: the report's 1,000,000 steps with dropout "
                                  "keep 0.85 and no clipping", choices=tuple(PRESETS))
    txt_file: str = option(None, f"book to train on (default: {DEFAULT_BOOK}, downloaded if missing where "
                                 "python -m part2.paper.books puts it)", type=str)
    train_steps: int = option(None, "override the preset's number of steps", type=int)
    device: str = option(TextTrainConfig.device, DEVICE_HELP)
    seed: int = option(TextTrainConfig.seed, f"seed (default: {TextTrainConfig.seed})")
    out_dir: str = option(None, "folder of checkpoint, samples and metrics (default: results/part2/PRESET)", type=str)
    resume: bool = option(False, "continue the run in --out_dir")
    tensorboard: str = option(None, "also write TensorBoard scalars and samples into DIR", type=str, metavar="DIR")
    dry_run: bool = option(False, "3 steps into a temporary folder", flag="--dry-run")
    quiet: bool = option(False, "no progress bar (progress lines instead)")

    def train_config(self):
        """The TextTrainConfig of this command (the book fetched first when none is given)."""
        preset = dict(PRESETS[self.preset])
        if self.train_steps is not None:
            preset["train_steps"] = self.train_steps
        txt_file = str(self.txt_file or fetch(DEFAULT_BOOK, option="--txt_file"))
        return TextTrainConfig(**preset, txt_file=txt_file, device=self.device, seed=self.seed,
                               out_dir=self.out_dir or str(Path("results", "part2", self.preset)),
                               resume=self.resume, tensorboard=self.tensorboard, dry_run=self.dry_run,
                               quiet=self.quiet)


def main(argv=None, prog="python -m part2.paper.start"):
    config = parse_into(Start2Config, argv, prog, __doc__.splitlines()[0])
    train.main(config=config.train_config())


if __name__ == "__main__":
    run_main(main, "python -m part2.paper.start")
