"""Command-line plumbing: user mistakes become one line on stderr and exit code 2, never a traceback."""
import argparse
import sys
from dataclasses import field, fields
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


def option(default, help, **argparse_options):
    """A dataclass field that is also a command-line option: its help, and argparse's type, choices or flag."""
    return field(default=default, metadata={"help": help, **argparse_options})


def add_options(parser, config_class, exclude=()):
    """An option --NAME for every field of the dataclass config_class not in `exclude`, with its default."""
    for f in fields(config_class):
        if f.name in exclude:
            continue
        meta = dict(f.metadata)
        flag = meta.pop("flag", f"--{f.name}")
        if f.type is bool:
            parser.add_argument(flag, dest=f.name, action="store_true", **meta)
        else:
            parser.add_argument(flag, dest=f.name, type=meta.pop("type", f.type), default=f.default, **meta)


def check_at_least(lowest, **values):
    """A UserError naming the first option (--name) whose value is below `lowest`; None values are not given."""
    for name, value in values.items():
        if value is not None and value < lowest:
            raise UserError(f"--{name} must be {'at least ' + str(lowest) if lowest else '0 or more'}, got {value}")


def check_positive(**values):
    """A UserError naming the first option (--name) whose value is not a positive, finite number."""
    for name, value in values.items():
        if value is not None and not 0 < value < float("inf"):
            raise UserError(f"--{name} must be positive, got {value}")


def parse_into(config_class, argv, prog, description):
    """A config_class made from the command line `argv` (None: sys.argv), one option per field; a bad value is
    a UserError."""
    parser = ArgumentParser(prog=prog, description=description)
    add_options(parser, config_class)
    return config_class(**vars(parser.parse_args(argv)))
