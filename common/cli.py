"""Command-line plumbing: user mistakes become one line on stderr and exit code 2, never a traceback."""
import argparse
import sys
from datetime import datetime


class UserError(Exception):
    """A mistake the user can fix (bad option, missing device, unwritable folder); reported in one line."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports bad options in one line instead of usage plus error."""

    def error(self, message):
        raise UserError(f"{message} (see --help)")


def run_main(main, prog):
    """Call main(); report a UserError or Ctrl-C in one line and exit non-zero."""
    try:
        main()
    except UserError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; finished results are kept, run the same command again to resume",
              file=sys.stderr)
        sys.exit(130)


def progress_line(step, train_steps, batch_size, examples_per_second, accuracy, loss):
    """The course's training progress line."""
    return ("[{}] Train Step {:04d}/{:04d}, Batch Size = {}, Examples/Sec = {:.2f}, "
            "Accuracy = {:.2f}, Loss = {:.3f}".format(datetime.now().strftime("%Y-%m-%d %H:%M"), step,
                                                      train_steps, batch_size, examples_per_second,
                                                      accuracy, loss))
