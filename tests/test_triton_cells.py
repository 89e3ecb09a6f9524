"""The fused Triton LSTM cell against the eager cell, buffer for buffer: on CUDA, or in Triton's CPU interpreter.

Skipped where Triton is not installed (it comes with PyTorch's CUDA builds, not with the CPU build).
"""
import os

import pytest
import torch

if not torch.cuda.is_available():
    os.environ["TRITON_INTERPRET"] = "1"  # must be set before Triton is imported
pytest.importorskip("triton")

from part1 import triton_cells  # noqa: E402
from part1.bptt import Workspace, lstm_cell_backward, lstm_cell_forward  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
T, B, n, d = 3, 5, 7, 2  # odd sizes: the kernels' masks must cover partial blocks


def random_workspace(seed):
    torch.manual_seed(seed)
    ws = Workspace(T, B, n, d, 4, torch.empty(0, device=DEVICE))
    for buffer in (ws.z, ws.c, ws.tanh_c, ws.q, ws.hx):
        buffer.copy_(torch.randn_like(buffer) * 2)
    return ws


def test_forward_and_backward_match_the_eager_cell():
    eager, fused = random_workspace(0), random_workspace(0)
    for t in range(T):
        lstm_cell_forward(eager.steps[t], eager)
        triton_cells.lstm_cell_forward(fused.steps[t], fused)
    for name in ("z", "c", "tanh_c", "q", "hx"):
        assert torch.allclose(getattr(fused, name), getattr(eager, name), atol=1e-6), name

    torch.manual_seed(1)
    gh, gc = torch.randn(n, B, device=DEVICE), torch.randn(n, B, device=DEVICE)
    gh_fused, gc_fused = gh.clone(), gc.clone()
    step, fused_step = eager.steps[-1], fused.steps[-1]
    lstm_cell_backward(step, eager, gh, gc)
    triton_cells.lstm_cell_backward(fused_step, fused, gh_fused, gc_fused)
    assert torch.allclose(fused_step.dz, step.dz, atol=1e-6)
    assert torch.allclose(gc_fused, gc, atol=1e-6)
    assert torch.equal(gh_fused, gh)  # read only
