"""The fast path's back ends, chosen by name: torch (PyTorch ops), cpp (compiled CPU cells), triton (CUDA kernels).

A model's impl is one of part1.config.IMPLEMENTATIONS; resolve() turns it into the back end that runs on the
model's device and dtype. "fast" picks the fastest there: triton for float32 CUDA tensors, cpp for float32 CPU
tensors, torch otherwise (also where Triton is missing or the C++ cells cannot be built).
"""
import torch

from common.cli import UserError

NATIVE = {"cuda": "triton", "cpu": "cpp"}  # the compiled back end of each device type, float32 only


def available(name):
    """Whether the back end `name` can run here (cpp: built, or buildable on first call; triton: installed)."""
    if name == "cpp":
        from part1.fast import cells_cpp
        return cells_cpp.load() is not None
    if name == "triton":
        try:
            from part1.fast import cells_triton  # noqa: F401
        except ImportError:
            return False
    return True


def resolve(impl, device, dtype=torch.float32):
    """The back end that runs `impl` for tensors of `dtype` on `device`: reference, torch, cpp or triton."""
    if impl in ("reference", "torch"):
        return impl
    native = NATIVE.get(torch.device(device).type) if dtype == torch.float32 else None
    if impl == "fast":
        return native if native and available(native) else "torch"
    if impl != native:
        raise UserError(f"impl '{impl}' runs on float32 {'CUDA' if impl == 'triton' else 'CPU'} tensors only, "
                        f"not on {dtype} {torch.device(device).type} ones; use impl 'fast' or 'torch'")
    if not available(impl):
        why = "the C++ cells could not be built" if impl == "cpp" else "Triton is not installed"
        raise UserError(f"impl '{impl}' is not available here ({why}); use impl 'fast' or 'torch'")
    return impl


def cells(name, triton_tiles=None):
    """The cells of back end `name`; triton_tiles: the Triton tile of each model (None: the tuned ones)."""
    if name == "torch":
        from part1.fast import cells_torch
        return cells_torch
    if name == "cpp":
        from part1.fast import cells_cpp
        return cells_cpp.load()
    if name == "triton":
        from part1.fast.cells_triton import TritonKernels
        return TritonKernels(triton_tiles)
    raise ValueError(f"no cells for back end '{name}'")
