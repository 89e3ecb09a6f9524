"""Sweep the vanilla RNN and the LSTM over palindrome input lengths and seeds; save results and figures.

python start1.py                 # quick preset: minutes on a CPU
python start1.py --preset paper  # the report's experiment
"""
from pathlib import Path

from common.cli import ArgumentParser, add_options, run_main
from part1 import sweep


def main(argv=None):
    parser = ArgumentParser(prog="start1.py", description=__doc__.splitlines()[0])
    add_options(parser, sweep.SweepConfig)
    sweep.main(sweep.SweepConfig(**vars(parser.parse_args(argv))))


if __name__ == "__main__":
    run_main(main, Path(__file__).name)
