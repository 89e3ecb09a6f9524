"""The fast path with its Triton kernels against the reference loop: on CUDA, or in Triton's CPU interpreter.

Skipped where Triton is not installed (it comes with PyTorch's CUDA builds, not with the CPU build).
"""
import os

import pytest
import torch

if not torch.cuda.is_available():
    os.environ["TRITON_INTERPRET"] = "1"  # must be set before Triton is imported
pytest.importorskip("triton")

from part1.fast import backend, workspace  # noqa: E402
from part1.lstm import LSTM  # noqa: E402
from part1.vanilla_rnn import VanillaRNN  # noqa: E402
from tests.helpers import assert_fast_equals_reference  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


@pytest.fixture
def kernels_everywhere(monkeypatch):
    """The kernels on any device (the interpreter runs them on CPU tensors), with the CUDA arrangement."""
    monkeypatch.setattr(backend, "resolve", lambda impl, device, dtype: "triton")
    monkeypatch.setattr(workspace, "defers_weight_gradient", lambda x: True)


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
@pytest.mark.parametrize("hidden, batch, steps", [
    (7, 5, 4), (20, 40, 4),  # partial tiles, and more than one tile each way
    (7, 5, 1)])  # the backward's first step is its last
def test_kernels_match_the_reference_loop(cls, hidden, batch, steps, kernels_everywhere):
    assert_fast_equals_reference(cls, steps=steps, batch=batch, hidden=hidden, input_dim=3, device=DEVICE)
