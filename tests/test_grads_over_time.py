"""Question 1.7 (gradient magnitude over time) and the closed-form gradients of question 1.1."""
import csv
import math

import pytest
import torch

from part1.derivations import grad_W_hh_bptt, grad_W_ph
from part1.grads_over_time import GradsConfig, collect, gradient_norms
from part1.lstm import LSTM, lstm_cell
from part1.vanilla_rnn import VanillaRNN
from tests.helpers import assert_one_line_error, run_cli


def small_config(**overrides):
    return GradsConfig(**{**dict(input_length=30, batch_size=32, num_hidden=32, seed=0), **overrides})


def curves(rows):
    out = {}
    for r in rows:
        out.setdefault((r["model"], r["forget_bias"], r["trained_steps"]), []).append(r["norm"])
    return out


def test_one_positive_finite_norm_per_step_and_the_gradients_fall_back_in_time():
    rows = collect(small_config(), torch.device("cpu"))
    by_curve = curves(rows)
    assert set(by_curve) == {("RNN", "", 0), ("LSTM", 1.0, 0), ("LSTM", 2.0, 0)}
    for norms in by_curve.values():
        assert len(norms) == 30
        assert all(math.isfinite(n) and n > 0 for n in norms)
    assert by_curve["RNN", "", 0][-1] < 0.5 * by_curve["RNN", "", 0][0]
    assert by_curve["LSTM", 1.0, 0][-1] < 0.1 * by_curve["LSTM", 1.0, 0][0]
    # A larger forget bias keeps more of the LSTM's gradient alive (Figure 3b against 3a).
    assert by_curve["LSTM", 2.0, 0][-1] > 10 * by_curve["LSTM", 1.0, 0][-1]


def test_the_uniform_draw_makes_the_rnn_gradient_vanish():
    """W_hh's spectral radius near 0.58 against near 1: 30 steps back, the RNN's gradient has all but vanished."""
    uniform = curves(collect(small_config(init="uniform"), torch.device("cpu")))["RNN", "", 0]
    xavier = curves(collect(small_config(), torch.device("cpu")))["RNN", "", 0]
    assert uniform[-1] < 1e-3 * uniform[0]
    assert xavier[-1] > 1e3 * uniform[-1]


def test_same_seed_same_norms_and_trained_curves_are_added():
    first = collect(small_config(input_length=8, trained_steps=3), torch.device("cpu"))
    second = collect(small_config(input_length=8, trained_steps=3), torch.device("cpu"))
    assert first == second
    assert {r["trained_steps"] for r in first} == {0, 3}
    assert first != collect(small_config(input_length=8, seed=1, trained_steps=3), torch.device("cpu"))


def test_gradient_norms_are_those_of_the_batch_mean_per_example_gradient():
    torch.manual_seed(0)
    model = VanillaRNN(5, 3, 4, 10)
    x, y = torch.randn(6, 5, 3), torch.randint(0, 10, (6,))
    norms = gradient_norms(model, x, y, loss="sum")
    h_last = torch.zeros(6, 4)
    for t in range(5):
        h_last = torch.tanh(x[:, t] @ model.W_hx.T + h_last @ model.W_hh.T + model.b_h)
    # dl_b/dh_T = W_ph^T (y_hat_b - y_b), averaged over the batch.
    y_hat = torch.softmax(h_last @ model.W_ph.T + model.b_p, dim=1) - torch.nn.functional.one_hot(y, 10)
    expected = (y_hat @ model.W_ph).mean(0).norm().item()
    assert norms[0] == pytest.approx(expected, rel=1e-5)
    assert len(norms) == 5
    # The report's convention: the batch-mean loss, whose gradient is then averaged again: 1/B of the above.
    report = gradient_norms(model, x, y, loss="mean")
    assert report == pytest.approx([n / 6 for n in norms], rel=1e-5)


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_closed_form_grad_W_ph_equals_autograd(cls):
    torch.manual_seed(1)
    model = cls(6, 3, 5, 10).double()
    x, target = torch.randn(1, 6, 3, dtype=torch.float64), 7
    logits, hidden = model(x, keep_hidden=True)
    torch.nn.functional.cross_entropy(logits, torch.tensor([target])).backward()
    expected = grad_W_ph(logits[0].detach(), target, hidden[-1][0].detach())
    assert torch.allclose(model.W_ph.grad, expected, atol=1e-12)


def test_bptt_recursion_for_grad_W_hh_equals_autograd():
    torch.manual_seed(2)
    model = VanillaRNN(5, 3, 6, 10).double()
    with torch.no_grad():
        model.b_h.uniform_(-0.5, 0.5)
    x, target = torch.randn(5, 3, dtype=torch.float64), 4
    torch.nn.functional.cross_entropy(model(x[None]), torch.tensor([target])).backward()
    assert torch.allclose(grad_W_hh_bptt(model, x, target), model.W_hh.grad, atol=1e-12)


def test_lstm_cell_state_path_is_the_forget_gate_and_identity_when_f_is_1_and_i_is_0():
    torch.manual_seed(3)
    n = 5
    z = torch.randn(1, 4 * n, dtype=torch.float64)
    c = torch.randn(1, n, dtype=torch.float64)

    def jacobian(z):  # dc_t / dc_{t-1} with the gates' pre-activations z held fixed
        return torch.autograd.functional.jacobian(lambda c: lstm_cell(z, c)[1], c)[0, :, 0, :]

    f = torch.sigmoid(z[0, 2 * n:3 * n])
    assert torch.allclose(jacobian(z), torch.diag(f), atol=1e-12)
    saturated = z.clone()
    saturated[0, n:2 * n] = -60.0  # i = 0
    saturated[0, 2 * n:3 * n] = 60.0  # f = 1
    assert torch.equal(jacobian(saturated), torch.eye(n, dtype=torch.float64))
    assert torch.equal(lstm_cell(saturated, c)[1], c)  # c_t = c_{t-1}: the state, and its gradient, pass unchanged


def test_command_writes_png_and_csv(tmp_path):
    result = run_cli("-m", "part1.grads_over_time", "--input_length", "6", "--batch_size", "8",
                     "--num_hidden", "8", "--trained_steps", "2", "--out_dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "grads_over_time.png").read_bytes()[:4] == b"\x89PNG"
    with open(tmp_path / "grads_over_time.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["model", "forget_bias", "trained_steps", "step", "norm"]
    assert len(rows) == 6 * 3 * 2  # steps x (RNN, LSTM fb 1, LSTM fb 2) x (untrained, trained)


def test_bad_input_length_gives_one_line(tmp_path):
    result = run_cli("-m", "part1.grads_over_time", "--input_length", "0", "--out_dir", tmp_path)
    assert_one_line_error(result, "--input_length must be at least 1")
