"""Sizes checked against memory before anything is allocated: one line instead of an allocator's traceback."""
import os

import torch

from uvadl2019.checks import UserError

GIB = 2 ** 30


def memory_of(device):
    """Bytes of memory that `device` has (a GPU's own; else this machine's), or None where it cannot be read."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows)
        return None


def check_fits(device, needed, **sizes):
    """A UserError naming the size options (--name value) when `needed` bytes exceed the device's memory."""
    total = memory_of(device)
    if total is None or needed <= total:
        return
    options = ", ".join(f"--{name} {value}" for name, value in sizes.items())
    need, fix = ("needs", "make it smaller") if len(sizes) == 1 else ("need", "make the largest of them smaller")
    raise UserError(f"{options} {need} about {needed / GIB:,.0f} GiB, more than the {total / GIB:,.0f} GiB of "
                    f"memory of this {device.type.upper()}; {fix}")


SMALL = 256 * 2 ** 20  # bytes any machine these models run on holds


def check_large(device, needed, **sizes):
    """check_fits() for an object a user builds in code, skipped below SMALL: the commands check all they allocate
    at their start, and do not check again what any machine holds."""
    if needed > SMALL:
        check_fits(device, needed, **sizes)
