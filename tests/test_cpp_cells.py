"""part1's compiled C++ cells against the PyTorch ops they replace, and the fallback where they cannot be built.

Where a C++ compiler and ninja are at hand the cells must build; elsewhere these tests skip.
"""
import os
import shutil

import pytest
import torch
from torch.utils import cpp_extension

from part1 import bptt, cpp_cells
from part1.bptt import Workspace, lstm_cell_backward, lstm_cell_forward
from part1.lstm import LSTM
from part1.vanilla_rnn import VanillaRNN
from tests.test_models import assert_fast_equals_reference

SIZES = [(7, 5), (64, 128)]  # (hidden, batch): fewer elements than one thread's share, and several shares


@pytest.fixture(scope="module")
def cells():
    if not cpp_cells.enabled:
        pytest.skip(f"{cpp_cells.ENV}=0")
    if not (shutil.which("c++") or shutil.which("g++")) or not cpp_extension.is_ninja_available():
        pytest.skip("no C++ compiler or ninja here")
    module = cpp_cells.load()
    assert module is not None, "the C++ cells did not build (see the line on stderr)"
    return module


def twin_lstm_workspaces(n, B):
    """Two LSTM workspaces of one step with the same random pre-activations, states and weights."""
    torch.manual_seed(0)
    pair = [Workspace(1, B, n, 3, 4, torch.empty(0)) for _ in range(2)]
    for name in ["W", "hx", "z", "c"]:
        data = torch.randn_like(getattr(pair[0], name))
        for ws in pair:
            getattr(ws, name).copy_(data)
    return pair


@pytest.mark.parametrize("n, B", SIZES)
def test_lstm_cells_compute_what_the_pytorch_ops_compute(cells, n, B):
    eager, compiled = twin_lstm_workspaces(n, B)
    lstm_cell_forward(eager.steps[0])
    lstm_cell_forward(compiled.steps[0], cells)
    for name in ["z", "c", "tanh_c", "q", "hx"]:
        torch.testing.assert_close(getattr(compiled, name), getattr(eager, name), rtol=1e-6, atol=1e-7, msg=name)
    gh, gc = torch.randn(n, B), torch.randn(n, B)
    gc_eager, gc_compiled = gc.clone(), gc.clone()
    lstm_cell_backward(eager.steps[0], eager, gh, gc_eager)
    lstm_cell_backward(compiled.steps[0], compiled, gh, gc_compiled, cells)
    torch.testing.assert_close(compiled.dz, eager.dz, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(gc_compiled, gc_eager, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("n, B", SIZES)
def test_rnn_cell_backward_computes_dh_times_one_minus_h_squared(cells, n, B):
    h, gh, dz = torch.rand(n, B) * 2 - 1, torch.randn(n, B), torch.empty(n, B)
    cells.rnn_cell_backward(h, gh, dz)
    torch.testing.assert_close(dz, gh * (1 - h * h), rtol=1e-6, atol=1e-7)


def test_cells_refuse_tensors_of_the_wrong_kind(cells):
    z, c, c_next, tanh_c, h, q = torch.zeros(4 * 6, 5), *(torch.zeros(6, 5) for _ in range(5))
    cells.lstm_cell_forward(z, c, c_next, tanh_c, h, q)
    for bad in [torch.zeros(6, 4), torch.zeros(6, 5, dtype=torch.float64), torch.zeros(5, 6).t()]:
        with pytest.raises(RuntimeError, match="c_next must be a contiguous float32 CPU tensor of 30 elements"):
            cells.lstm_cell_forward(z, c, bad, tanh_c, h, q)
    with pytest.raises(RuntimeError, match=r"z must be \(4n, B\) for c of \(n, B\)"):
        cells.lstm_cell_forward(torch.zeros(4 * 5, 6), c, c_next, tanh_c, h, q)


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
@pytest.mark.parametrize("hidden, batch", SIZES)
@pytest.mark.parametrize("with_cells", [True, False])
def test_fast_path_equals_the_reference_with_and_without_the_cells(cls, hidden, batch, with_cells, cells,
                                                                   monkeypatch):
    monkeypatch.setattr(cpp_cells, "enabled", with_cells)
    assert (bptt.compiled_cells(torch.empty(0)) is not None) == with_cells
    assert_fast_equals_reference(cls, steps=5, batch=batch, hidden=hidden)


def test_a_failed_build_falls_back_to_pytorch_ops_with_one_line(monkeypatch, capsys, tmp_path):
    def fail(*args, **kwargs):
        raise RuntimeError("Error building extension 'part1_cells'\n[compiler output]")
    monkeypatch.setenv(cpp_cells.ENV, "1")
    monkeypatch.setattr(cpp_cells, "enabled", True)
    monkeypatch.setattr(cpp_cells, "_tried", False)
    monkeypatch.setattr(cpp_cells, "_module", None)
    monkeypatch.setattr(cpp_cells, "build_directory", lambda: tmp_path)
    monkeypatch.setattr(cpp_extension, "load", fail)
    assert cpp_cells.load() is None
    assert cpp_cells.load() is None  # tried once per process
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith("part1: the C++ cells could not be built (Error building extension 'part1_cells')")
    assert sum("could not be built" in line for line in lines) == 1
    assert os.environ[cpp_cells.ENV] == "0"  # so that a sweep's worker processes skip the build
    assert_fast_equals_reference(LSTM)
