"""Helpers shared by the tests: running the commands as a user would, and the models against references."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch
from torch import nn

from part1.config import TrainConfig
from part1.lstm import LSTM
from part1.vanilla_rnn import VanillaRNN

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args, timeout=300):
    """Run `python ARGS...` from the repository root; return the CompletedProcess."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=env)


def assert_one_line_error(result, *fragments):
    """A user mistake: non-zero exit, one line on stderr that names the problem, no traceback."""
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


SHARED_DATA = REPO.parent / "shared" / "data"
# A part 2 model small enough to train in seconds, and how often it reports.
TINY = ["--seq_length", "8", "--lstm_num_hidden", "16", "--batch_size", "8", "--print_every", "5",
        "--sample_every", "10", "--eval_every", "10", "--checkpoint_every", "10"]


B, T, D, N, C = 8, 12, 10, 16, 10  # batch, steps, input dim, hidden, classes


def reference_rnn(model):
    """nn.RNN plus a linear head holding the model's weights."""
    rnn = nn.RNN(D, N, nonlinearity="tanh", batch_first=True)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(model.W_hx)
        rnn.weight_hh_l0.copy_(model.W_hh)
        rnn.bias_ih_l0.copy_(model.b_h)
        rnn.bias_hh_l0.zero_()
    return rnn


def reference_lstm(model):
    """nn.LSTM holding the model's weights (PyTorch orders the gates i, f, g, o)."""
    lstm = nn.LSTM(D, N, batch_first=True)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.cat([model.W_ix, model.W_fx, model.W_gx, model.W_ox]))
        lstm.weight_hh_l0.copy_(torch.cat([model.W_ih, model.W_fh, model.W_gh, model.W_oh]))
        lstm.bias_ih_l0.copy_(torch.cat([model.b_i, model.b_f, model.b_g, model.b_o]))
        lstm.bias_hh_l0.zero_()
    return lstm


def head(model):
    linear = nn.Linear(N, C)
    with torch.no_grad():
        linear.weight.copy_(model.W_ph)
        linear.bias.copy_(model.b_p)
    return linear


def randomise_biases(model):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("b_"):
                p.uniform_(-0.5, 0.5)


def check_against_pytorch(kind, impl, device="cpu", batch=B, steps=T):
    """Logits and every gradient of the model equal those of nn.RNN / nn.LSTM and nn.Linear with its weights."""
    torch.manual_seed(0)
    model = VanillaRNN(steps, D, N, C, impl=impl) if kind == "RNN" else LSTM(steps, D, N, C, impl=impl)
    randomise_biases(model)
    reference = reference_rnn(model) if kind == "RNN" else reference_lstm(model)
    linear = head(model)
    model, reference, linear = model.to(device), reference.to(device), linear.to(device)
    x = torch.randn(batch, steps, D, device=device)
    y = torch.randint(0, C, (batch,), device=device)

    logits = model(x)
    output, _ = reference(x)
    ref_logits = linear(output[:, -1])
    assert (logits - ref_logits).abs().max() < 1e-5

    nn.functional.cross_entropy(logits, y).backward()
    nn.functional.cross_entropy(ref_logits, y).backward()
    assert (model.W_ph.grad - linear.weight.grad).abs().max() < 1e-5
    assert (model.b_p.grad - linear.bias.grad).abs().max() < 1e-5
    if kind == "RNN":
        grads = [(model.W_hx.grad, reference.weight_ih_l0.grad), (model.W_hh.grad, reference.weight_hh_l0.grad),
                 (model.b_h.grad, reference.bias_ih_l0.grad)]
    else:
        rows = {g: slice(k * N, (k + 1) * N) for k, g in enumerate("ifgo")}
        grads = []
        for g in "gifo":
            grads += [(getattr(model, f"W_{g}x").grad, reference.weight_ih_l0.grad[rows[g]]),
                      (getattr(model, f"W_{g}h").grad, reference.weight_hh_l0.grad[rows[g]]),
                      (getattr(model, f"b_{g}").grad, reference.bias_ih_l0.grad[rows[g]])]
    for grad, ref_grad in grads:
        assert (grad - ref_grad).abs().max() < 1e-5


def assert_fast_equals_reference(cls, steps=T, batch=B, hidden=N, input_dim=D, device="cpu", impl="fast"):
    """Logits and the gradients of every parameter and of the input agree between `impl` and "reference"."""
    torch.manual_seed(0)
    fast = cls(steps, input_dim, hidden, C, device=device, impl=impl)
    reference = cls(steps, input_dim, hidden, C, device=device, impl="reference")
    reference.load_state_dict(fast.state_dict())
    x = torch.randn(batch, steps, input_dim, device=device)
    y = torch.randint(0, C, (batch,), device=device)
    x_fast, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    logits = fast(x_fast)
    ref_logits = reference(x_ref)
    assert torch.allclose(logits, ref_logits, atol=1e-6)
    nn.functional.cross_entropy(logits, y).backward()
    nn.functional.cross_entropy(ref_logits, y).backward()
    assert torch.allclose(x_fast.grad, x_ref.grad, atol=1e-6)
    for (name, p), q in zip(fast.named_parameters(), reference.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-6), name



def quick_config(model_type, **overrides):
    """A run that learns input length 5 in a few hundred steps."""
    settings = dict(model_type=model_type, input_length=5, input_dim=10, train_steps=300, eval_size=1024,
                    print_every=0, seed=3)
    return TrainConfig(**{**settings, **overrides})


def without_timing(record):
    return {k: v for k, v in record.items() if k not in ("wall_seconds", "seeds_together")}


def slurm_node_idle():
    """Whether a SLURM cluster answers here with an idle node (.ci/slurm-up starts one)."""
    if shutil.which("sinfo") is None:
        return False
    try:
        states = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=10).stdout
    except subprocess.TimeoutExpired:
        return False
    return "idle" in states
