"""part1's compiled C++ cells against the PyTorch ops they replace, and the fallback where they cannot be built.

Where a C++ compiler and ninja are at hand the cells must build; elsewhere these tests skip.
"""
import shutil
import subprocess
import sys

import pytest
import torch
from torch.utils import cpp_extension

from uvadl2019.checks import UserError
from part1.fast import backend, cells_cpp, cells_torch
from part1.fast.workspace import LSTMWorkspace, RNNWorkspace
from part1.lstm import LSTM
from part1.vanilla_rnn import VanillaRNN
from tests.helpers import assert_fast_equals_reference

SIZES = [(7, 5), (64, 128)]  # (hidden, batch): fewer elements than one thread's share, and several shares


@pytest.fixture(scope="module")
def cells():
    if not (shutil.which("c++") or shutil.which("g++")) or not cpp_extension.is_ninja_available():
        pytest.skip("no C++ compiler or ninja here")
    cells = cells_cpp.load()
    assert cells is not None, "the C++ cells did not build (see the line on stderr)"
    return cells


def twin_lstm_workspaces(n, B):
    """Two LSTM workspaces of one step with the same random pre-activations, states and weights."""
    torch.manual_seed(0)
    pair = [LSTMWorkspace(1, B, n, 3, torch.empty(0)) for _ in range(2)]
    for name in ["W", "h_x_1", "z", "c"]:
        data = torch.randn_like(getattr(pair[0], name))
        for ws in pair:
            getattr(ws, name).copy_(data)
    return pair


@pytest.mark.parametrize("n, B", SIZES)
def test_lstm_cells_compute_what_the_pytorch_ops_compute(cells, n, B):
    eager, compiled = twin_lstm_workspaces(n, B)
    cells_torch.lstm_cell_forward(eager.steps[0], eager)
    cells.lstm_cell_forward(compiled.steps[0], compiled)
    for name in ["z", "c", "tanh_c", "h_x_1"]:
        torch.testing.assert_close(getattr(compiled, name), getattr(eager, name), rtol=1e-6, atol=1e-7, msg=name)
    # q = o - h tanh(c) cancels where tanh(c)^2 is near 1: its error is a few ulp of o (at most 1), not of q
    torch.testing.assert_close(compiled.q, eager.q, rtol=0, atol=3e-7)
    for name in ["z", "c", "tanh_c", "q"]:  # the backward cells from the same state: they round alike
        getattr(compiled, name).copy_(getattr(eager, name))
    dh, dc = torch.randn(n, B), torch.randn(n, B)
    dc_eager, dc_compiled = dc.clone(), dc.clone()
    cells_torch.lstm_cell_backward(eager.steps[0], eager, dh, dc_eager)
    cells.lstm_cell_backward(compiled.steps[0], compiled, dh, dc_compiled)
    torch.testing.assert_close(compiled.dz, eager.dz, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(dc_compiled, dc_eager, rtol=1e-6, atol=1e-7)


def ulp(x):
    """The spacing of float32 numbers at x (float64 in, float64 out), for normal numbers."""
    _, exponent = torch.frexp(x.float())
    return torch.ldexp(torch.ones_like(x), exponent.double() - 24)


@pytest.mark.parametrize("name, ulps", [("tanh", 2), ("sigmoid", 2.5)])  # PyTorch's: 0.5 and 2.5
def test_activations_are_within_a_few_ulp_of_the_exact_values(cells, name, ulps):
    x = torch.cat([torch.linspace(-30, 30, 1_200_001), torch.tensor([0.0, -0.0, 1e-30, -1e-30, 1e-5, 100.0, -100.0])])
    exact = getattr(torch, name)(x.double())
    y = getattr(cells.module, name)(x).double()
    normal = exact.abs() >= torch.finfo(torch.float32).tiny
    assert ((y - exact).abs()[normal] <= ulps * ulp(exact[normal])).all()
    assert ((y - exact).abs()[~normal] <= torch.finfo(torch.float32).tiny).all()  # 0 and sigmoid's tail
    assert torch.equal(y.abs() <= 1, torch.ones_like(y, dtype=torch.bool))


def test_activations_at_infinity_and_nan(cells):
    x = torch.tensor([float("inf"), -float("inf"), float("nan")])
    torch.testing.assert_close(cells.module.tanh(x), torch.tensor([1.0, -1.0, float("nan")]), equal_nan=True)
    sigmoid = cells.module.sigmoid(x)
    assert sigmoid[0] == 1 and 0 <= sigmoid[1] <= torch.finfo(torch.float32).tiny and sigmoid[2].isnan()


def test_rnn_cell_forward_is_tanh_in_place(cells):
    ws = RNNWorkspace(1, 5, 7, 3, torch.empty(0))
    step = ws.steps[0]
    z = torch.randn(7, 5) * 3
    step.h_next.copy_(z)
    cells.rnn_cell_forward(step, ws)
    torch.testing.assert_close(step.h_next, torch.tanh(z), rtol=2.4e-7, atol=0)


@pytest.mark.parametrize("n, B", SIZES)
def test_rnn_cell_backward_computes_dh_times_one_minus_h_squared(cells, n, B):
    ws = RNNWorkspace(1, B, n, 3, torch.empty(0))
    step = ws.steps[0]
    step.h_next.copy_(torch.rand(n, B) * 2 - 1)
    dh = torch.randn(n, B)
    cells.rnn_cell_backward(step, ws, dh)
    torch.testing.assert_close(step.dz, dh * (1 - step.h_next ** 2), rtol=1e-6, atol=1e-7)


@pytest.fixture
def threads():
    """torch.set_num_threads, put back afterwards."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def test_on_linux_with_gcc_a_cell_is_shared_out_over_pytorchs_threads(cells, threads):
    if not sys.platform.startswith("linux"):
        pytest.skip("the cells use OpenMP on Linux only")
    compiler = subprocess.run([cpp_extension.get_cxx_compiler(), "--version"], capture_output=True, text=True).stdout
    if "clang" in compiler:
        pytest.skip("the cells use OpenMP with GCC only")
    assert cells_cpp.openmp_flags()[0] == ["-fopenmp"]
    threads(2)
    assert cells.module.threads_for(64 * 128) == 2
    assert cells.module.threads_for(4096) == 1  # one grain: not worth a hand-off
    threads(1)
    assert cells.module.threads_for(64 * 128) == 1
    # ... on PyTorch's own OpenMP runtime: two would each keep a pool of threads spinning for the cores
    runtimes = {line.split()[-1] for line in open("/proc/self/maps") if "libgomp" in line or "libomp" in line}
    assert len(runtimes) == 1, runtimes


def test_cells_compute_the_same_bits_on_one_thread_and_on_two(cells, threads):
    results = []
    for count in (1, 2):
        threads(count)
        ws, _ = twin_lstm_workspaces(64, 128)  # 8192 elements a gate: two threads' shares
        dh, dc = torch.ones(64, 128), torch.full((64, 128), 0.5)
        cells.lstm_cell_forward(ws.steps[0], ws)
        cells.lstm_cell_backward(ws.steps[0], ws, dh, dc)
        rnn = RNNWorkspace(1, 128, 64, 3, torch.empty(0))
        rnn.steps[0].h_next.copy_(ws.z[0, :64])
        cells.rnn_cell_forward(rnn.steps[0], rnn)
        cells.rnn_cell_backward(rnn.steps[0], rnn, dh)
        results.append([ws.z, ws.c, ws.tanh_c, ws.q, ws.h_x_1, ws.dz, dc, rnn.h_x_1, rnn.dz])
    for one, two in zip(*results):
        assert torch.equal(one, two)


def test_cells_refuse_tensors_of_the_wrong_kind(cells):
    z, c, c_next, tanh_c, h, q = torch.zeros(4 * 6, 5), *(torch.zeros(6, 5) for _ in range(5))
    cells.module.lstm_cell_forward(z, c, c_next, tanh_c, h, q)
    for bad in [torch.zeros(6, 4), torch.zeros(6, 5, dtype=torch.float64), torch.zeros(5, 6).t()]:
        with pytest.raises(RuntimeError, match="c_next must be a contiguous float32 CPU tensor of 30 elements"):
            cells.module.lstm_cell_forward(z, c, bad, tanh_c, h, q)
    with pytest.raises(RuntimeError, match=r"z must be \(4n, B\) for c of \(n, B\)"):
        cells.module.lstm_cell_forward(torch.zeros(4 * 5, 6), c, c_next, tanh_c, h, q)


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
@pytest.mark.parametrize("hidden, batch", SIZES)
@pytest.mark.parametrize("impl", ["fast", "cpp", "torch"])
def test_fast_path_equals_the_reference_with_each_cpu_back_end(cls, hidden, batch, impl, cells):
    assert backend.resolve(impl, "cpu") == ("torch" if impl == "torch" else "cpp")
    assert_fast_equals_reference(cls, steps=5, batch=batch, hidden=hidden, impl=impl)


def test_a_failed_build_falls_back_to_pytorch_ops_with_one_line(monkeypatch, capsys, tmp_path, request):
    def fail(*args, **kwargs):
        raise RuntimeError("Error building extension 'part1_cells'\n[compiler output]")
    cells_cpp.build.cache_clear()
    backend.say_fallback.cache_clear()
    request.addfinalizer(cells_cpp.build.cache_clear)  # the next test loads the real cells again
    monkeypatch.setattr(cells_cpp, "build_directory", lambda flags: tmp_path)
    monkeypatch.setattr(cpp_extension, "load", fail)
    assert cells_cpp.load() is None
    assert backend.resolve("fast", "cpu") == backend.resolve("fast", "cpu") == "torch"  # built once, said once
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith("part1: the C++ cells could not be built: Error building extension 'part1_cells'")
    assert "--impl torch skips the cpp back end" in lines[-1]
    assert sum("could not be built" in line for line in lines) == 1
    with pytest.raises(UserError, match="impl 'cpp' is not available here"):
        backend.resolve("cpp", "cpu")
    assert_fast_equals_reference(LSTM)
