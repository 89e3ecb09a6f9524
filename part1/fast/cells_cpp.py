"""The cpp back end: each step's elementwise work on the CPU in one call per cell (csrc/cells.cpp), one pass over
memory each instead of one PyTorch op each, with tanh and sigmoid of its own (within 1.5 and 2.5 ulp; PyTorch's tanh
costs about six times its sigmoid on the CPU).

Compiled with PyTorch's C++ extension tools on first use (about 30 s; ninja and a C++ compiler needed), then
loaded from PyTorch's extension cache. On Linux with GCC each cell is shared out over PyTorch's threads, elsewhere
it runs on one. Where it cannot be built, build() says why and load() returns None; impl="fast" then uses the
torch back end, which computes the same to rounding, and impl="torch" never tries the build.
"""
import functools
import hashlib
import os
import subprocess
import sys
from pathlib import Path

NAME = "part1_cells"
SOURCE = Path(__file__).resolve().parent / "csrc" / "cells.cpp"
# MSVC on Windows; gcc or clang elsewhere, allowed to vectorise the activations' selects (no trap handlers are
# ever installed) but not to fuse a multiply and an add, which would round differently from CPU to CPU.
FLAGS = ["/O2"] if sys.platform == "win32" else ["-O3", "-fno-trapping-math", "-ffp-contract=off"]

class CppCells:
    """The compiled module behind the same calls as part1.fast.cells_torch."""

    def __init__(self, module):
        self.module = module

    def rnn_cell_forward(self, step, ws):
        self.module.rnn_cell_forward(step.h_next)

    def rnn_cell_backward(self, step, ws, dh):
        self.module.rnn_cell_backward(step.h_next, dh, step.dz)

    def lstm_cell_forward(self, step, ws):
        self.module.lstm_cell_forward(step.z, step.c, step.c_next, step.tanh_c, step.h_next, step.q)

    def lstm_cell_backward(self, step, ws, dh, dc):
        self.module.lstm_cell_backward(step.z, step.c, step.tanh_c, step.q, dh, dc, step.dz)


@functools.cache
def build():
    """(the compiled cells, None), built on first use, or (None, why they cannot be built); tried once per process
    (build.cache_clear() forgets the attempt)."""
    module, why = _build()
    return (None if module is None else CppCells(module)), why


def load():
    """The compiled cells, or None where they cannot be built."""
    return build()[0]


def missing():
    """Why the cells cannot be built here (no compiler, say), or None."""
    return build()[1]


def make(triton_tiles=None):
    """The compiled cells (built on first use)."""
    return load()


def openmp_flags():
    """Compile and link flags that let at::parallel_for share a cell out over PyTorch's threads (in code compiled
    without OpenMP it runs the cell whole). Only with GCC on Linux, where PyTorch runs on GNU OpenMP: linked to the
    runtime PyTorch has loaded (its wheel's own copy where it ships one), so that the cells and the matmuls share
    one pool of threads. ([], []) elsewhere."""
    import torch
    from torch.utils import cpp_extension
    if not (sys.platform.startswith("linux") and torch.backends.openmp.is_available()):
        return [], []
    try:
        macros = subprocess.run([cpp_extension.get_cxx_compiler(), "-dM", "-E", "-x", "c++", os.devnull],
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return [], []
    if "__GNUC__" not in macros or "__clang__" in macros:  # clang's OpenMP calls another runtime
        return [], []
    lib = Path(torch.__file__).resolve().parent / "lib"
    bundled = sorted(lib.glob("libgomp*.so*"))
    return ["-fopenmp"], ([f"-L{lib}", f"-l:{bundled[0].name}"] if bundled else ["-fopenmp"])


def build_directory(flags):
    """Where the compiled module is cached: a folder per Python and PyTorch version (whose ABIs it depends on)
    and per source and compile flags, so that two checkouts or versions of cells.cpp never rebuild each other's."""
    import torch
    from torch.utils import cpp_extension
    root = os.environ.get("TORCH_EXTENSIONS_DIR") or cpp_extension.get_default_build_root()  # PyTorch's own setting
    digest = hashlib.sha256(SOURCE.read_bytes() + " ".join(flags).encode()).hexdigest()[:12]
    return Path(root) / (
        f"{NAME}-py{sys.version_info.major}{sys.version_info.minor}-torch{torch.__version__}-{digest}")


def needs_compiling(directory):
    """Whether the build cached in `directory` is missing, or out of date as ninja (the one on PATH, which
    PyTorch runs) sees it."""
    if not any(path.suffix in (".so", ".pyd") for path in directory.glob(f"{NAME}*")):
        return True
    try:
        dry_run = subprocess.run(["ninja", "-n", "-C", str(directory)], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):  # no ninja: PyTorch will say so
        return False
    return "no work to do" not in dry_run.stdout


def _build():
    from torch.utils import cpp_extension
    compile_openmp, link_openmp = openmp_flags()
    directory = build_directory(FLAGS + compile_openmp)
    if needs_compiling(directory):
        print("part1: compiling the C++ cells (first use only, about 30 s)", file=sys.stderr, flush=True)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        return cpp_extension.load(NAME, [str(SOURCE)], extra_cflags=FLAGS + compile_openmp,
                                  extra_ldflags=link_openmp, build_directory=str(directory)), None
    except (OSError, RuntimeError, ImportError, subprocess.SubprocessError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        reason = reason if len(reason) <= 160 else reason[:157] + "..."  # a failed compile quotes its whole command
        return None, f"the C++ cells could not be built: {reason}"
