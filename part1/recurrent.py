"""Pieces shared by the from-scratch VanillaRNN and LSTM."""
import math

import torch
from torch import nn

IMPLEMENTATIONS = ("fast", "reference")
INITIALISATIONS = ("xavier_normal", "uniform")


def check_init(init):
    if init not in INITIALISATIONS:
        raise ValueError(f"init must be 'xavier_normal' or 'uniform', got {init!r}")
    return init


def check_impl(impl):
    if impl not in IMPLEMENTATIONS:
        raise ValueError(f"impl must be 'fast' or 'reference', got {impl!r}")
    return impl


def use_fast_path(impl, keep_hidden):
    """The fast path trains; the reference loop serves keep_hidden (every h_t's gradient) and no-grad evaluation,
    where the fast path's stored states would only cost memory."""
    return impl == "fast" and not keep_hidden and torch.is_grad_enabled()


def weight_parameter(rows, cols, init, num_hidden, device):
    """A weight matrix (rows, cols).

    init="xavier_normal": N(0, 2 / (rows + cols)), the report's code; W_hh then has a spectral radius near 1.
    init="uniform": U(-1/sqrt(num_hidden), 1/sqrt(num_hidden)), PyTorch's scheme for its RNN layers; W_hh's
    spectral radius is then about 0.58, so a signal from the first digit fades like 0.58^T.
    """
    W = torch.empty(rows, cols, device=device)
    if check_init(init) == "xavier_normal":
        nn.init.xavier_normal_(W)
    else:
        bound = 1.0 / math.sqrt(num_hidden)
        W.uniform_(-bound, bound)
    return nn.Parameter(W)


def zeros_parameter(*shape, device, value=0.0):
    """A bias filled with `value`."""
    return nn.Parameter(torch.full(shape, value, device=device))


def time_major(x, input_dim):
    """(B, T) raw digits or (B, T, input_dim) -> (T, B, input_dim), contiguous for the per-step loop."""
    if x.dim() == 2 and input_dim == 1:
        x = x.unsqueeze(-1)
    if x.dim() != 3 or x.size(-1) != input_dim:
        raise ValueError(f"expected input of shape (B, T, {input_dim})"
                         f"{' or (B, T)' if input_dim == 1 else ''}, got {tuple(x.shape)}")
    return x.transpose(0, 1).contiguous()


def project_inputs(x, W_x, b):
    """The input term W_x x_t + b for every time step in one matmul: (T, B, d) -> (T, B, rows of W_x)."""
    T, B, d = x.shape
    return torch.addmm(b, x.reshape(T * B, d), W_x.t()).view(T, B, -1)
