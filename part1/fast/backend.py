"""The fast path's back ends, in one table (BACKENDS): what each runs on, whether it can run here, its cells.

reference is the plain autograd loop. torch (PyTorch ops, cells_torch.py) and cpp (compiled CPU cells,
cells_cpp.py) give StepCells, which sequence.py's loops call once per time step; triton (CUDA kernels,
cells_triton.py) gives FusedLoops, which run whole loops. A model's impl is "fast" or a name in BACKENDS; resolve()
turns it into the back end that runs on the model's device and dtype: "fast" is the back end native there (cpp for
float32 CPU tensors, triton for float32 CUDA ones), or torch, with one line saying why, where that cannot run.
A new back end is a module with its cells and one line in BACKENDS.
"""
import functools
import importlib
import sys
from dataclasses import dataclass
from typing import Callable, Protocol

import torch

from uvadl2019.checks import UserError


class StepCells(Protocol):
    """One time step's elementwise work, in place in the workspace's step buffers."""

    def rnn_cell_forward(self, step, ws): ...

    def rnn_cell_backward(self, step, ws, dh): ...

    def lstm_cell_forward(self, step, ws): ...

    def lstm_cell_backward(self, step, ws, dh, dc): ...


class FusedLoops(Protocol):
    """Whole forward and backward loops over a workspace, matmuls included."""
    FUSED = True

    def forward(self, ws): ...

    def backward(self, ws, dh): ...


def cells_module(name):
    """missing() and make(triton_tiles) of the cells module `name`, which says what it needs and builds its cells;
    imported on first call (Triton's module needs Triton)."""
    def missing():
        try:
            module = importlib.import_module(name)
        except ImportError as e:
            return f"{e.name or name} is not installed"
        return module.missing()

    def make(triton_tiles):
        return importlib.import_module(name).make(triton_tiles)
    return dict(missing=missing, make=make)


@dataclass(frozen=True)
class Backend:
    """A back end: the device type and dtype it runs on (None: any); missing() says why it cannot run here (None:
    it can); make(triton_tiles) gives its cells (None: the reference loop, which has none)."""
    name: str
    device_type: str = None
    dtype: torch.dtype = None
    missing: Callable = lambda: None
    make: Callable = None

    def runs_on(self, device_type, dtype):
        return self.device_type in (None, device_type) and self.dtype in (None, dtype)


BACKENDS = {b.name: b for b in (
    Backend("reference"),
    Backend("torch", **cells_module("part1.fast.cells_torch")),
    Backend("cpp", "cpu", torch.float32, **cells_module("part1.fast.cells_cpp")),
    Backend("triton", "cuda", torch.float32, **cells_module("part1.fast.cells_triton")),
)}
IMPLEMENTATIONS = ("fast", *BACKENDS)
DEVICE_NAMES = {"cpu": "CPU", "cuda": "CUDA"}


@functools.cache
def say_fallback(name, why):
    """One line, once per process, when "fast" cannot use back end `name`."""
    print(f"part1: {why}; using PyTorch ops (--impl torch skips the {name} back end)", file=sys.stderr, flush=True)


def resolve(impl, device, dtype=torch.float32):
    """The back end that runs `impl` for tensors of `dtype` on `device`: a name in BACKENDS."""
    device_type = torch.device(device).type
    if impl == "fast":
        native = next((b for b in BACKENDS.values() if b.device_type == device_type and b.dtype == dtype), None)
        why = native.missing() if native else None
        if why:
            say_fallback(native.name, why)
        return "torch" if native is None or why else native.name
    backend = BACKENDS[impl]
    if not backend.runs_on(device_type, dtype):
        raise UserError(f"impl '{impl}' runs on {str(backend.dtype).removeprefix('torch.')} "
                        f"{DEVICE_NAMES[backend.device_type]} tensors only, not on {dtype} {device_type} ones; use "
                        f"impl 'fast' or 'torch'")
    why = backend.missing()
    if why:
        raise UserError(f"impl '{impl}' is not available here ({why}); use impl 'fast' or 'torch'")
    return impl


def cells(name, triton_tiles=None):
    """The cells of back end `name` (StepCells or FusedLoops); triton_tiles: the Triton tile of each model (None:
    the tuned ones)."""
    make = BACKENDS[name].make
    if make is None:
        raise ValueError(f"no cells for back end '{name}'")
    return make(triton_tiles)
