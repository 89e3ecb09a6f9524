"""Train the two-layer character LSTM on "Democracy in America" (or another book) and sample from it.

python start2.py                 # quick preset: a visibly learning model in minutes on a CPU
python start2.py --preset paper  # the report's run: 1,000,000 steps
"""
from pathlib import Path

from assets.download import ASSETS, DEFAULT_BOOK, fetch
from common.cli import ArgumentParser, run_main
from common.device import DEVICE_HELP
from part2 import train
from part2.config import PRESETS, TrainConfig


def build_parser():
    p = ArgumentParser(prog="start2.py", description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="quick", choices=list(PRESETS),
                   help="quick: 12,000 steps (default); paper: the report's 1,000,000 steps with dropout keep 0.85 "
                        "and no clipping")
    p.add_argument("--txt_file", help=f"book to train on (default: assets/{DEFAULT_BOOK}, downloaded if missing)")
    p.add_argument("--train_steps", type=int, help="override the preset's number of steps")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument("--seed", type=int, default=42, help="seed (default: 42)")
    p.add_argument("--out_dir", help="folder of checkpoint, samples and metrics (default: results/part2/PRESET)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out_dir")
    p.add_argument("--tensorboard", metavar="DIR", help="also write TensorBoard scalars and samples into DIR")
    p.add_argument("--dry-run", dest="dry_run", action="store_true", help="3 steps into a temporary folder")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    preset = dict(PRESETS[args.preset])
    if args.train_steps is not None:
        preset["train_steps"] = args.train_steps
    config = TrainConfig(**preset, txt_file=str(args.txt_file or fetch(DEFAULT_BOOK, ASSETS)), device=args.device,
                         seed=args.seed, out_dir=args.out_dir or str(Path("results", "part2", args.preset)),
                         resume=args.resume, tensorboard=args.tensorboard, dry_run=args.dry_run)
    train.main(config=config)


if __name__ == "__main__":
    run_main(main, Path(__file__).name)
