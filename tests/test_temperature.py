"""The report's Figure 5: softmax(tau * x) of one Gaussian draw."""
import math

import pytest
import torch

from part2.sample import tempered_softmax
from part2.temperature import gaussian_logits
from tests.helpers import assert_one_line_error, run_cli


def test_tempered_softmax_by_hand():
    x = torch.tensor([0.0, math.log(3.0)])
    assert tempered_softmax(x, 1.0).tolist() == pytest.approx([0.25, 0.75])
    assert tempered_softmax(x, 2.0).tolist() == pytest.approx([0.1, 0.9])  # weights 1 and 3^2
    assert tempered_softmax(x, 0.5).tolist() == pytest.approx([1 / (1 + 3 ** 0.5), 3 ** 0.5 / (1 + 3 ** 0.5)])


def test_larger_tau_sharpens_the_same_draw():
    x = gaussian_logits(10, seed=42)
    assert torch.equal(x, gaussian_logits(10, seed=42)) and not torch.equal(x, gaussian_logits(10, seed=43))
    peaks = [tempered_softmax(x, tau).max().item() for tau in (0.5, 1.0, 2.0)]
    assert peaks[0] < peaks[1] < peaks[2]
    assert all(tempered_softmax(x, tau).argmax() == x.argmax() for tau in (0.5, 1.0, 2.0))


def test_command_writes_the_figure(tmp_path):
    result = run_cli("-m", "part2.temperature", "--out_dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "temperature.png").read_bytes()[:4] == b"\x89PNG"
    assert "tau = 2: largest probability" in result.stdout


@pytest.mark.parametrize("args, fragment", [
    (["--taus", "1", "-1"], "--taus must be positive"),
    (["--num_classes", "1"], "--num_classes must be between 2 and 100"),
])
def test_bad_values_give_one_line_and_write_nothing(args, fragment, tmp_path):
    assert_one_line_error(run_cli("-m", "part2.temperature", *args, "--out_dir", tmp_path / "out"), fragment)
    assert not (tmp_path / "out").exists()


def test_a_huge_tau_gives_the_one_hot_limit_not_nan():
    x = torch.tensor([1.0, 3.0, 2.0], dtype=torch.float64)
    assert tempered_softmax(x, 1e308).tolist() == [0.0, 1.0, 0.0]
