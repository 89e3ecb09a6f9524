"""Command-line plumbing: user mistakes become one line on stderr and exit code 2, never a traceback; Ctrl-C and
SIGTERM end a command in one line (run_main), or wait for the end of a training step (stop_requests)."""
import argparse
import os
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import asdict, field, fields, replace

from uvadl2019 import __version__
from uvadl2019.checks import UserError, check_distinct
from uvadl2019.files import WRITE_ERRORS, write_failure


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports bad options in one line instead of usage plus error."""

    def error(self, message):
        raise UserError(f"{message} (see --help)")


def run_main(main, prog, interrupted="nothing was written"):
    """Call main(); report a UserError, or Ctrl-C or SIGTERM (a scheduler's, timeout's) with what is left, in
    one line; exit non-zero.

    What is left after an interruption: the KeyboardInterrupt's message where main() gave one, else `interrupted`.
    """
    signals = []

    def terminate(signum, frame):  # SIGTERM ends the command as Ctrl-C does: with what is kept, in one line
        signals.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show "±" gets "\xb1", not a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        main()
        sys.stdout.flush()  # a full disk or a closed pipe behind stdout shows here, not at exit
    except BrokenPipeError:  # the reader stopped reading (| head): end at once and quietly, as command-line tools do
        flush_or_drop_stdout()
        sys.exit(128 + signal.SIGPIPE)
    except OSError as e:
        if e.errno not in WRITE_ERRORS:
            raise
        print(f"{prog}: error: {write_failure(e, interrupted)}", file=sys.stderr)
        flush_or_drop_stdout()
        sys.exit(1)
    except UserError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt as e:
        print(f"{prog}: {'terminated' if signals else 'interrupted'}; {str(e) or interrupted}", file=sys.stderr)
        sys.exit(128 + (signals[0] if signals else signal.SIGINT))
    finally:
        signal.signal(signal.SIGTERM, previous)


def flush_or_drop_stdout():
    """Flush stdout; where it cannot be written (a closed pipe, a full disk), drop what it holds, so that Python's
    own flush at exit reports nothing more."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # no file descriptor (a notebook's or a test's stdout)
            pass


@contextmanager
def stop_requests(deferred=True):
    """While training: Ctrl-C and SIGTERM only ask the loop to stop, at the end of the step, so that the step
    reached can be checkpointed; yields the list of the signals received. deferred False (several processes, or
    not the main thread): they act at once, as usual."""
    received = []
    if not deferred or threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = {signum: signal.signal(signum, lambda signum, frame: received.append(signum))
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop_now(signum, left):
    """Act on the signal `signum` received during training as its own handler would, saying what is `left`."""
    try:
        signal.raise_signal(signum)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(left) from None
    raise KeyboardInterrupt(left)  # a signal whose handler returned


class Config:
    """What the command-line configs (frozen dataclasses of option() fields) share: constructing one checks it
    (check_options(), then the config's own check()), replace() and to_dict()."""

    def __post_init__(self):
        self.check_options()
        self.check()

    def check(self):
        """The config's own checks beyond check_options(): a UserError naming the option."""

    def check_options(self):
        """For configs made in code too: a UserError naming the first option whose value is not one of its
        choices, is empty text, or lists a value twice."""
        for f in fields(self):
            value, meta, name = getattr(self, f.name), f.metadata, flag_of(f)
            values = [] if value is None else list(value) if meta.get("nargs") else [value]
            if meta.get("choices") and any(v not in meta["choices"] for v in values):
                raise UserError(f"{name}: unknown value {value!r}; use {', '.join(map(str, meta['choices']))}")
            if "" in values and f.name not in EMPTY_ALLOWED:
                raise UserError(f"{name} is empty; give a value (see --help)")
            if meta.get("nargs"):
                check_distinct(name.lstrip("-"), values)

    def replace(self, **changes):
        """A copy with `changes` applied (and checked)."""
        return replace(self, **changes)

    def to_dict(self):
        return asdict(self)


EMPTY_ALLOWED = ("prompt",)  # text options where "" means something (part2.generate: a random first character)


def flag_of(f):
    """The option of the dataclass field f as the command line spells it: --name, or a positional's name."""
    return f.metadata.get("flag", f"--{f.name}")


def option(default, help, **argparse_options):
    """A dataclass field that is also a command-line option: its help, and argparse's type, choices or flag."""
    return field(default=default, metadata={"help": help, **argparse_options})


def option_like(config_class, name):
    """The option `name` of another command's config class, for a command that shares it (same default, help)."""
    f = next(f for f in fields(config_class) if f.name == name)
    return field(default=f.default, metadata=f.metadata)


def add_options(parser, config_class, exclude=()):
    """An option --NAME for every field of the dataclass config_class not in `exclude`, with its default."""
    for f in fields(config_class):
        if f.name in exclude:
            continue
        meta = dict(f.metadata)
        flag = meta.pop("flag", flag_of(f))
        where = {"dest": f.name} if flag.startswith("-") else {}  # a positional argument is named by its flag
        if f.type is bool:
            parser.add_argument(flag, **where, action="store_true", **meta)
        else:
            parser.add_argument(flag, **where, type=meta.pop("type", f.type), default=f.default, **meta)


def max_norm_value(text):
    """--max_norm: a positive number, or "off" (None) for no clipping."""
    if text == "off":
        return None
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number or 'off', got '{text}'")
    return value


def parse_into(config_class, argv, prog, description):
    """A config_class made from the command line `argv` (None: sys.argv), one option per field; a bad value is
    a UserError."""
    parser = ArgumentParser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_options(parser, config_class)
    return config_class(**vars(parser.parse_args(argv)))
