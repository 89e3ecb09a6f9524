"""The --device option, and CPU threads."""
from contextlib import contextmanager

import torch

from common.cli import UserError


def resolve_device(name):
    """'auto' is CUDA when present, else CPU; a CUDA device that is not there is a UserError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"unknown device '{name}'; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        count = torch.cuda.device_count()
        if count == 0:
            raise UserError(f"device '{name}' asked for, but no CUDA device is available; use --device cpu")
        if device.index is not None and device.index >= count:
            raise UserError(f"device '{name}' does not exist ({count} CUDA device(s)); "
                            f"use --device cuda:0 to cuda:{count - 1}")
    elif device.type != "cpu":
        raise UserError(f"device type '{device.type}' is not supported; use auto, cpu, cuda or cuda:N")
    return device


@contextmanager
def torch_threads(n):
    """Run the block with n CPU threads for PyTorch's operations (0: leave the setting), then restore it.

    The thread count can change the last bits of matmul results, so runs that must match use the same n.
    """
    before = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
