"""python -m part1.sweep: the sweep of start1.py, for a pip-installed package (same options)."""
from uvadl2019.cli import parse_into, run_main
from part1.sweep.config import SweepConfig
from part1.sweep.run import main as sweep

DESCRIPTION = "Sweep the vanilla RNN and the LSTM over palindrome input lengths and seeds; save results and figures."
KEPT = "finished runs are kept; run the same command again to train the rest"


def main(argv=None, prog="python -m part1.sweep"):
    sweep(parse_into(SweepConfig, argv, prog, DESCRIPTION))


if __name__ == "__main__":
    run_main(main, "python -m part1.sweep", KEPT)
