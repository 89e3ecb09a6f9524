"""The from-scratch VanillaRNN and LSTM against PyTorch's nn.RNN / nn.LSTM, gradcheck and the report's formulas.

Every check of the maths runs on the fast path (part1.fast), with the device's fastest cells and with the torch
cells, and on the reference loop.
"""
import pytest
import torch
from torch import nn

from part1.fast import workspace
from part1.lstm import LSTM
from part1.vanilla_rnn import VanillaRNN
from tests.helpers import B, C, D, N, T, assert_fast_equals_reference, check_against_pytorch, randomise_biases

IMPLS = ["fast", "torch", "reference"]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_matches_pytorch_layer_logits_and_gradients(kind, impl):
    check_against_pytorch(kind, impl)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_gradcheck_float64(cls, impl):
    torch.manual_seed(0)
    model = cls(4, 3, 5, 4, impl=impl).double()
    randomise_biases(model)
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    names = [name for name, _ in model.named_parameters()]

    def logits(x, *params):
        return torch.func.functional_call(model, dict(zip(names, params)), (x,))

    assert torch.autograd.gradcheck(logits, (x, *model.parameters()))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_every_parameter_gets_a_nonzero_gradient(cls, impl):
    torch.manual_seed(0)
    model = cls(T, D, N, C, impl=impl)
    x = torch.nn.functional.one_hot(torch.randint(0, 10, (B, T)), D).float()
    nn.functional.cross_entropy(model(x), torch.randint(0, C, (B,))).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("d, n, c", [(1, 128, 10), (10, 128, 10), (3, 7, 5)])
def test_parameter_counts_follow_the_report(d, n, c):
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(VanillaRNN(5, d, n, c)) == d * n + n * n + n + n * c + c
    assert count(LSTM(5, d, n, c)) == 4 * (d * n + n * n + n) + n * c + c


def test_parameter_names_and_shapes_follow_the_report():
    d, n, c = 10, 6, 4
    rnn, lstm = VanillaRNN(5, d, n, c), LSTM(5, d, n, c)
    assert {k: tuple(v.shape) for k, v in rnn.named_parameters()} == {
        "W_hx": (n, d), "W_hh": (n, n), "b_h": (n,), "W_ph": (c, n), "b_p": (c,)}
    expected = {"W_ph": (c, n), "b_p": (c,)}
    for g in "gifo":
        expected.update({f"W_{g}x": (n, d), f"W_{g}h": (n, n), f"b_{g}": (n,)})
    assert {k: tuple(v.shape) for k, v in lstm.named_parameters()} == expected


def test_forget_bias_is_an_argument():
    assert torch.all(LSTM(5, 1, 8, 10).b_f == 1.0)
    model = LSTM(5, 1, 8, 10, forget_bias=2.0)
    assert torch.all(model.b_f == 2.0) and torch.all(model.b_i == 0.0)


def weight_matrices(model):
    return {name: p for name, p in model.named_parameters() if name.startswith("W_")}


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_xavier_normal_is_the_default_initialisation(cls):
    """Every weight matrix, W_ph included, has std sqrt(2 / (fan_in + fan_out)) and mean 0; biases are zero."""
    torch.manual_seed(0)
    d, n, c = 10, 512, 10
    model = cls(5, d, n, c)
    assert model.init == "xavier_normal"
    for name, W in weight_matrices(model).items():
        rows, cols = W.shape
        expected = (2 / (rows + cols)) ** 0.5
        assert W.std().item() == pytest.approx(expected, rel=0.04), name
        assert abs(W.mean().item()) < 0.1 * expected, name
    for name, b in model.named_parameters():
        if name.startswith("b_") and name != "b_f":
            assert torch.all(b == 0), name
    # The point of it: W_hh's spectral radius near 1, where the uniform draw's is near 0.58.
    W_hh = model.W_hh if cls is VanillaRNN else model.W_fh
    assert 0.9 < torch.linalg.eigvals(W_hh).abs().max().item() < 1.1


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_uniform_initialisation_keeps_pytorchs_rnn_bounds(cls):
    torch.manual_seed(0)
    n = 512
    model = cls(5, 10, n, 10, init="uniform")
    bound = n ** -0.5
    for name, W in weight_matrices(model).items():
        assert W.abs().max().item() <= bound, name
        assert W.abs().max().item() > 0.99 * bound, name  # the whole interval is used
        assert W.std().item() == pytest.approx(bound / 3 ** 0.5, rel=0.04), name


def test_forget_bias_with_either_initialisation():
    for init in ("xavier_normal", "uniform"):
        model = LSTM(5, 10, 8, 10, forget_bias=2.0, init=init)
        assert torch.all(model.b_f == 2.0) and torch.all(model.b_g == 0.0), init


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_unknown_initialisation_is_refused(cls):
    with pytest.raises(ValueError, match="init must be"):
        cls(5, 10, 8, 10, init="orthogonal")


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_raw_digits_input_and_any_batch_size(cls):
    model = cls(seq_length=9, input_dim=1, num_hidden=8, num_classes=10)
    digits = torch.randint(0, 10, (3, 9)).float()
    assert torch.equal(model(digits), model(digits.unsqueeze(-1)))
    assert model(torch.zeros(17, 9)).shape == (17, 10)
    with pytest.raises(ValueError, match=r"x must be of shape \(B, T, 1\) or \(B, T\)"):
        model(torch.zeros(3, 9, 2))


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_keep_hidden_returns_every_state_with_its_gradient(cls):
    torch.manual_seed(0)
    model = cls(T, D, N, C)
    x = torch.randn(B, T, D)
    logits, hidden = model(x, keep_hidden=True)
    assert torch.allclose(logits, model(x), atol=1e-6)  # keep_hidden takes the reference loop
    assert len(hidden) == T and all(h.shape == (B, N) for h in hidden)
    logits.sum().backward()
    assert all(h.grad is not None for h in hidden)
    # The last state feeds the head directly: its gradient is the head's weights summed over classes.
    assert torch.allclose(hidden[-1].grad, model.W_ph.sum(0).expand(B, N))


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_state_follows_input_dtype(cls):
    model = cls(4, 3, 5, 4).double()
    assert model(torch.randn(2, 4, 3, dtype=torch.float64)).dtype == torch.float64


def grads_after_backward(model, x, y):
    model.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    return {name: p.grad.clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_fast_path_reuses_its_buffers_safely(cls):
    """Step after step, and with two graphs alive at once, the fast path's gradients equal the reference's."""
    torch.manual_seed(0)
    fast = cls(T, D, N, C)
    reference = cls(T, D, N, C, impl="reference")
    reference.load_state_dict(fast.state_dict())
    batches = [(torch.randn(B, T, D), torch.randint(0, C, (B,))) for _ in range(3)]
    for x, y in batches:  # consecutive steps reuse one workspace
        got, want = grads_after_backward(fast, x, y), grads_after_backward(reference, x, y)
        for name in want:
            assert torch.allclose(got[name], want[name], atol=1e-6), name
    (x1, y1), (x2, y2) = batches[:2]
    fast.zero_grad()
    loss1 = nn.functional.cross_entropy(fast(x1), y1)
    loss2 = nn.functional.cross_entropy(fast(x2), y2)  # a second live graph must not share the first's buffers
    (loss1 + loss2).backward()
    reference.zero_grad()
    (nn.functional.cross_entropy(reference(x1), y1) + nn.functional.cross_entropy(reference(x2), y2)).backward()
    for name, p in reference.named_parameters():
        assert torch.allclose(getattr(fast, name).grad, p.grad, atol=1e-6), name


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_fast_path_with_the_weight_gradient_after_the_loop(cls, monkeypatch):
    """The CUDA arrangement (every dz_t kept, batched matmuls after the loop), checked on the CPU."""
    monkeypatch.setattr(workspace, "defers_weight_gradient", lambda x: True)
    assert_fast_equals_reference(cls)


@pytest.mark.parametrize("cls", [VanillaRNN, LSTM])
def test_fast_path_backward_twice_with_retain_graph(cls):
    torch.manual_seed(0)
    model = cls(T, D, N, C)
    loss = model(torch.randn(B, T, D)).square().sum()
    first = torch.autograd.grad(loss, list(model.parameters()), retain_graph=True)
    second = torch.autograd.grad(loss, list(model.parameters()), retain_graph=True)
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    model(torch.randn(B, T, D)).sum().backward()  # reuses the buffers the retained graph points into
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        torch.autograd.grad(loss, list(model.parameters()))


def test_unknown_impl_is_refused():
    with pytest.raises(ValueError, match="impl must be one of fast, reference, torch, cpp, triton"):
        LSTM(5, 1, 8, 10, impl="cudnn")
