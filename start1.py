"""Sweep the vanilla RNN and the LSTM over palindrome input lengths and seeds; save results and figures.

python start1.py                 # quick preset: minutes on a CPU
python start1.py --preset paper  # the report's experiment
"""
from pathlib import Path

from common.cli import parse_into, run_main
from part1.sweep.config import SweepConfig
from part1.sweep.run import main as sweep


def main(argv=None):
    sweep(parse_into(SweepConfig, argv, "start1.py", __doc__.splitlines()[0]))


if __name__ == "__main__":
    run_main(main, Path(__file__).name, "finished runs are kept; run the same command again to train the rest")
