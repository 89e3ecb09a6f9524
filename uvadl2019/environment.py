"""What produced a result: the package and PyTorch versions, Python, the platform, the CPU and the code's git
revision."""
import functools
import platform
import subprocess
from pathlib import Path

import torch

from uvadl2019 import __version__
from uvadl2019.locations import CHECKOUT


def environment():
    """A dict recorded with part 1's runs and part 2's checkpoints; revision is None where it is not known."""
    return {"version": __version__, "torch": str(torch.__version__),  # str(): weights_only refuses TorchVersion
            "python": platform.python_version(), "platform": platform.platform(), "cpu": cpu(),
            "revision": revision()}


@functools.cache
def cpu():
    """The processor's name and the instruction set PyTorch's kernels use on it: floating-point results, and with
    them a long unclipped training run, may differ in the last bits from one to another."""
    name = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            name = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), name)
    except OSError:  # not Linux
        pass
    return f"{name or 'unknown'}, {torch.backends.cpu.get_cpu_capability()}"


@functools.cache
def revision():
    """The checkout's git commit, "+changes" appended when tracked files differ from it; None for an installed
    package, a copy outside git (or inside another repository), or where git is missing."""
    if CHECKOUT is None:
        return None
    try:
        head, changes = (subprocess.run(["git", "-C", str(CHECKOUT), *args], capture_output=True, text=True,
                                        timeout=30) for args in (["rev-parse", "--show-toplevel", "HEAD"],
                                                                 ["status", "--porcelain", "--untracked-files=no"]))
    except (OSError, subprocess.TimeoutExpired):
        return None
    top, _, commit = head.stdout.strip().partition("\n")
    if head.returncode or changes.returncode or not commit or Path(top).resolve() != CHECKOUT:
        return None
    return commit + ("+changes" if changes.stdout.strip() else "")
