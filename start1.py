"""Sweep the vanilla RNN and the LSTM over palindrome input lengths and seeds; save results and figures.

python start1.py                 # quick preset: minutes on a CPU
python start1.py --preset paper  # the report's experiment
(python -m part1.sweep is the same command, also where the package is pip-installed)
"""
from uvadl2019.cli import run_main
from part1.sweep.__main__ import KEPT, main as sweep_main


def main(argv=None):
    sweep_main(argv, prog="start1.py")


if __name__ == "__main__":
    run_main(main, "start1.py", KEPT)
