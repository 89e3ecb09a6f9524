"""--device: the choice among CPU, CUDA and Apple GPUs (MPS), tested on any machine; MPS runs where there is one."""
import dataclasses
import os

import pytest
import torch

from uvadl2019.checks import UserError
from uvadl2019.device import resolve_device
import start1
from part1.fast import backend
from part1.fast.backend import resolve
from part1.sweep.config import SweepConfig
from part1.sweep.executors import choose_executor
from tests.helpers import assert_one_line_error, run_cli

HAS_MPS = torch.backends.mps.is_available()


@pytest.fixture
def mps(monkeypatch):
    """Pretend an Apple GPU is there: what the device choice does with one, on any machine."""
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)


@pytest.fixture
def no_mps(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.mark.parametrize("cuda", [False, True])
def test_auto_is_cuda_when_present_else_cpu_never_mps(monkeypatch, mps, cuda):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert resolve_device("auto") == torch.device("cuda" if cuda else "cpu")


def test_mps_is_opt_in_and_accepted_when_present(mps):
    assert resolve_device("mps") == torch.device("mps")
    assert resolve_device("mps:0") == torch.device("mps")


def test_missing_mps_is_a_user_error_naming_the_fix(no_mps):
    with pytest.raises(UserError, match="no Apple GPU .MPS. is available.*--device cpu"):
        resolve_device("mps")


@pytest.mark.parametrize("name, fragment", [("meta", "not supported"), ("gpu0", "unknown device")])
def test_other_devices_are_refused(name, fragment):
    with pytest.raises(UserError, match=fragment):
        resolve_device(name)


def test_part1_on_mps_runs_pytorch_operations_never_the_compiled_cells():
    assert resolve("fast", "mps") == "torch"
    assert resolve("reference", "mps") == "reference"
    for impl in ("cpp", "triton"):
        with pytest.raises(UserError, match=f"impl '{impl}' runs on float32"):
            resolve(impl, "mps")


def test_a_sweep_on_mps_trains_one_run_at_a_time_and_no_cuda_graph(mps, tmp_path):
    run, seeds_together = choose_executor(SweepConfig(device="mps"), tmp_path, torch.device("mps"))
    assert run.jobs == 1 and not seeds_together


def test_sweep_plans_where_sched_getaffinity_does_not_exist(monkeypatch, tmp_path):
    """macOS and Windows have no os.sched_getaffinity: the sweep counts cores with os.cpu_count()."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    run, _ = choose_executor(SweepConfig(device="cpu", threads_per_run=2), tmp_path, torch.device("cpu"))
    assert run.jobs == 3
    start1.main(["--dry-run", "--device", "cpu", "--lengths", "4"])


def test_grads_over_time_refuses_mps_float64(mps):
    from part1.grads_over_time import main
    with pytest.raises(UserError, match="float64.*--device cpu"):
        main(["--device", "mps"])


@pytest.mark.skipif(HAS_MPS, reason="this machine has an Apple GPU")
@pytest.mark.parametrize("command", [
    ["-m", "part1.train", "--dry-run"],
    ["start1.py", "--dry-run"],
    ["-m", "part1.grads_over_time"],
    ["-m", "part2.train", "--dry-run", "--txt_file", "nothing.txt"],
    ["-m", "part3.karate"],
])
def test_mps_without_an_apple_gpu_gives_one_line(command, tmp_path):
    result = run_cli(*command, "--device", "mps", "--out_dir", tmp_path / "out")
    assert_one_line_error(result, "--device mps", "--device cpu")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not HAS_MPS, reason="needs an Apple GPU (MPS)")
@pytest.mark.parametrize("impl", ["reference", "fast"])
def test_part1_trains_on_mps_as_on_the_cpu(impl):
    from part1.config import TrainConfig
    from part1.train import train
    config = TrainConfig(input_length=5, train_steps=30, eval_size=256, print_every=0, impl=impl)
    on_mps, _ = train(config.replace(device="mps"), progress=False)
    on_cpu, _ = train(config.replace(device="cpu"), progress=False)
    assert on_mps["train_loss"] == pytest.approx(on_cpu["train_loss"], rel=1e-3)


@pytest.mark.skipif(not HAS_MPS, reason="needs an Apple GPU (MPS)")
def test_part3_trains_on_mps_as_on_the_cpu():
    from part3.karate import train_karate
    assert train_karate(device="mps")[0] == pytest.approx(train_karate(device="cpu")[0], abs=0.04)


def test_fast_on_cuda_without_triton_falls_back_to_pytorch_ops_with_one_line(monkeypatch, capsys):
    monkeypatch.setitem(backend.BACKENDS, "triton", dataclasses.replace(backend.BACKENDS["triton"],
                                                                        missing=lambda: "Triton is not installed"))
    backend.say_fallback.cache_clear()
    assert backend.resolve("fast", "cuda") == backend.resolve("fast", "cuda") == "torch"
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["part1: Triton is not installed; using PyTorch ops (--impl torch skips the triton back end)"]
    with pytest.raises(UserError, match=r"impl 'triton' is not available here \(Triton is not installed\)"):
        backend.resolve("triton", "cuda")
