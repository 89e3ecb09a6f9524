"""The --device option, and CPU threads."""
from contextlib import contextmanager

import torch

from uvadl2019.checks import UserError

DEVICE_HELP = ("auto (CUDA when present, else CPU), cpu, cuda, cuda:N, or mps for Apple GPUs, opt-in: small "
               "LSTMs often run faster on the CPU (default: auto)")


def resolve_device(name):
    """'auto' is CUDA when present, else CPU; a CUDA or MPS device that is not there is a UserError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"--device {name}: unknown device; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        count = torch.cuda.device_count()
        if count == 0:
            raise UserError(f"--device {name}: no CUDA device is available; use --device cpu")
        if device.index is not None and device.index >= count:
            raise UserError(f"--device {name}: no such device ({count} CUDA device(s)); "
                            f"use --device cuda:0 to cuda:{count - 1}")
    elif device.type == "mps":
        if not torch.backends.mps.is_available():
            raise UserError(f"--device {name}: no Apple GPU (MPS) is available here; it needs Apple silicon, macOS "
                            f"12.3 or later and a PyTorch built for it; use --device cpu")
        device = torch.device("mps")  # there is only one
    elif device.type != "cpu":
        raise UserError(f"--device {name}: device type '{device.type}' is not supported; use auto, cpu, cuda, "
                        f"cuda:N or mps")
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
