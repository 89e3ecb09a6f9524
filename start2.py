"""Train the two-layer character LSTM on "Democracy in America" (or another book) and sample from it.

python start2.py                 # quick preset: a visibly learning model in minutes on a CPU
python start2.py --preset paper  # the report's run: 1,000,000 steps
(python -m part2.paper.start is the same command, also where the package is pip-installed)
"""
from uvadl2019.cli import run_main
from part2.paper.start import main as start_main


def main(argv=None):
    start_main(argv, prog="start2.py")


if __name__ == "__main__":
    run_main(main, "start2.py")
