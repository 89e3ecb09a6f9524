"""Checks of user input shared by the command lines and the Python API: a bad value is a UserError (a ValueError)
that names it and says what is allowed."""
import math
import numbers
import os


class UserError(ValueError):
    """A mistake the user can fix (bad option, missing device, unwritable folder); a command reports it in one line,
    code gets a ValueError."""


def is_number(value):
    """Whether value is a real number (an int, a float, NumPy's; True and False are not)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


SEED_LIMIT = 2 ** 63  # torch.manual_seed's largest seed is 2**64 - 1; a round bound below it


def check_at_least(lowest, **values):
    """A UserError naming the first option (--name) whose value, or a value of whose list, is below `lowest` or
    not a number (NaN); None values are not given."""
    for name, value in values.items():
        for v in value if isinstance(value, (tuple, list)) else [value]:
            if v is not None and not v >= lowest:
                raise UserError(f"--{name} must be {'at least ' + str(lowest) if lowest else '0 or more'}, got {v}")


def check_whole(lowest, **values):
    """A UserError naming the first value (--name) that is not a whole number of at least `lowest` (None neither)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lowest:
            raise UserError(f"--{name} must be a whole number of at least {lowest}, got {value!r}")


def check_finite(required=False, **values):
    """A UserError naming the first option (--name) whose value is NaN, infinite or not a number; None values are
    not given, unless `required`."""
    for name, value in values.items():
        if (value is not None or required) and not (is_number(value) and math.isfinite(value)):
            raise UserError(f"--{name} must be a finite number, got {value}")


def check_seeds(name, seeds):
    """A UserError when a seed of the option --name is negative, too large or repeated."""
    seeds = [seeds] if isinstance(seeds, numbers.Integral) else list(seeds or [])
    for seed in seeds:
        if not 0 <= seed < SEED_LIMIT:
            raise UserError(f"--{name} must be from 0 to 2**63 - 1, got {seed}")
    check_distinct(name, seeds)


def check_distinct(name, values):
    """A UserError naming the values that the option --name lists more than once."""
    values = list(values or [])
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise UserError(f"--{name}: {' '.join(map(str, repeated))} given more than once")


def cores():
    """The CPU cores this process may use (sched_getaffinity, where it exists, knows of CPU limits)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def check_threads(**values):
    """A UserError naming the first thread-count option (--name) above this machine's cores; 0 or None: not given."""
    for name, value in values.items():
        if value and value > cores():
            raise UserError(f"--{name} {value} is more than the {cores()} CPU cores here, which would only slow "
                            f"every thread down; give at most {cores()}")


def check_positive(**values):
    """A UserError naming the first option (--name) whose value is not a positive, finite number."""
    for name, value in values.items():
        if value is not None and not (is_number(value) and 0 < value < float("inf")):
            raise UserError(f"--{name} must be positive, got {value}")


def check_fraction(**values):
    """A UserError naming the first value (name) that is not a number from 0 to less than 1."""
    for name, value in values.items():
        if not (is_number(value) and 0 <= value < 1):
            raise UserError(f"{name} must be a number from 0 to less than 1, got {value!r}")
