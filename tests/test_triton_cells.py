"""The fast path with its Triton kernels against the reference loop: on CUDA, or in Triton's CPU interpreter.

Skipped where Triton is not installed (it comes with PyTorch's CUDA builds, not with the CPU build).
"""
import importlib
import os

import pytest
import torch

if not torch.cuda.is_available():
    os.environ["TRITON_INTERPRET"] = "1"  # must be set before Triton is imported
pytest.importorskip("triton")

from common.cli import UserError  # noqa: E402
from part1 import bptt, triton_cells  # noqa: E402
from part1.lstm import LSTM  # noqa: E402
from part1.vanilla_rnn import VanillaRNN  # noqa: E402
from tests.test_models import assert_fast_equals_reference  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


VARIANTS = {  # name: (loop in kernel, the loop's tile, the matmuls' precision)
    "per step": (False, triton_cells.LOOP_TILE, "ieee"),
    "loop": (True, triton_cells.LOOP_TILE, "ieee"),
    "loop, small tile": (True, triton_cells.Tile(16, 16, 16, 2), "ieee"),  # several hidden tiles per step
    "per step, tf32x3": (False, triton_cells.LOOP_TILE, "tf32x3"),  # the interpreter multiplies in float32
    "loop, tf32x3": (True, triton_cells.LOOP_TILE, "tf32x3"),
}


@pytest.fixture(params=list(VARIANTS))
def kernels_everywhere(request, monkeypatch):
    """The kernels on any device (the interpreter runs them on CPU tensors), with the CUDA arrangement."""
    monkeypatch.setattr(bptt, "fused_kernels", lambda x: triton_cells)
    monkeypatch.setattr(bptt, "defers_weight_gradient", lambda x: True)
    loop, tile, precision = VARIANTS[request.param]
    monkeypatch.setattr(triton_cells, "LOOP_IN_KERNEL", loop)
    monkeypatch.setattr(triton_cells, "LOOP_TILE", tile)
    monkeypatch.setattr(triton_cells, "DOT_PRECISION", precision)


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
@pytest.mark.parametrize("hidden, batch, steps", [
    (7, 5, 4), (20, 40, 4),  # partial tiles, and more than one tile each way
    (7, 5, 1)])  # the backward's first step is its last
def test_kernels_match_the_reference_loop(cls, hidden, batch, steps, kernels_everywhere):
    assert_fast_equals_reference(cls, steps=steps, batch=batch, hidden=hidden, input_dim=3, device=DEVICE)


def test_unknown_precision_is_refused(monkeypatch):
    monkeypatch.setenv("PART1_DOT_PRECISION", "tf32")
    with pytest.raises(UserError, match="PART1_DOT_PRECISION must be one of ieee, tf32x3, not 'tf32'"):
        importlib.reload(triton_cells)
    monkeypatch.delenv("PART1_DOT_PRECISION")
    importlib.reload(triton_cells)
    assert triton_cells.DOT_PRECISION == "ieee"
