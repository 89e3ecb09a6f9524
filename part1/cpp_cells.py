"""The fast path's per-step elementwise work on the CPU in one call per cell (part1/csrc/cells.cpp): the products
as compiled loops, one pass over memory each instead of one PyTorch op each; tanh and sigmoid stay PyTorch's.

Compiled with PyTorch's C++ extension tools on first use (about 30 s; ninja and a C++ compiler needed), then
loaded from PyTorch's extension cache. Where it cannot be built, load() says why in one line and returns None,
and the fast path uses PyTorch ops, which compute the same. PART1_CPP_CELLS=0 skips the build.
"""
import os
import subprocess
import sys
from pathlib import Path

NAME = "part1_cells"
SOURCE = Path(__file__).resolve().parent / "csrc" / "cells.cpp"
FLAGS = ["-O3"]
ENV = "PART1_CPP_CELLS"

enabled = os.environ.get(ENV, "1") != "0"  # benchmarks switch it to compare
_module = None
_tried = False


def load():
    """The compiled module, or None where it is switched off or cannot be built."""
    global _module, _tried
    if not enabled:
        return None
    if not _tried:
        _tried = True
        _module = _build()
    return _module


def build_directory():
    """Where the compiled module is cached: one folder per Python and PyTorch version, whose ABIs it depends on."""
    import torch
    from torch.utils import cpp_extension
    root = os.environ.get("TORCH_EXTENSIONS_DIR") or cpp_extension.get_default_build_root()
    return Path(root) / f"{NAME}-py{sys.version_info.major}{sys.version_info.minor}-torch{torch.__version__}"


def _build():
    from torch.utils import cpp_extension
    directory = build_directory()
    if not any(path.suffix in (".so", ".pyd") for path in directory.glob(f"{NAME}*")):
        print("part1: compiling the C++ cells (first use only, about 30 s)", file=sys.stderr, flush=True)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        return cpp_extension.load(NAME, [str(SOURCE)], extra_cflags=FLAGS, build_directory=str(directory))
    except (OSError, RuntimeError, ImportError, subprocess.SubprocessError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        reason = reason if len(reason) <= 160 else reason[:157] + "..."  # a failed compile quotes its whole command
        print(f"part1: the C++ cells could not be built ({reason}); using PyTorch ops "
              f"(set {ENV}=0 to skip the build)", file=sys.stderr, flush=True)
        os.environ[ENV] = "0"  # worker processes started from here do not try again
        return None
