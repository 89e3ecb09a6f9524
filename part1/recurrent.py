"""Pieces shared by the from-scratch VanillaRNN and LSTM."""
import math

import torch
from torch import nn

from uvadl2019.checks import check_whole
from uvadl2019.memory import check_large
from part1.fast import backend as backends
from part1.fast.backend import IMPLEMENTATIONS
from part1.fast.workspace import WorkspacePool

INITIALISATIONS = ("xavier_normal", "uniform")


def check_init(init):
    if init not in INITIALISATIONS:
        raise ValueError(f"init must be one of {', '.join(INITIALISATIONS)}, got {init!r}")
    return init


def check_impl(impl):
    if impl not in IMPLEMENTATIONS:
        raise ValueError(f"impl must be one of {', '.join(IMPLEMENTATIONS)}, got {impl!r}")
    return impl


class Recurrent(nn.Module):
    """What VanillaRNN and LSTM share: the course's interface and the choice between fast path and reference loop.

    impl: "fast" (the device's native back end) or a back end of part1.fast.backend.BACKENDS: "reference" is the
    plain autograd loop, the others train through part1.fast's hand-written backward. triton_tiles: the Triton
    tile per model type (None: the tuned ones).
    """

    def __init__(self, seq_length, input_dim, num_hidden, num_classes, impl, init, triton_tiles=None):
        super().__init__()
        sizes = {"seq_length": seq_length, "input_dim": input_dim, "num_hidden": num_hidden, "num_classes": num_classes}
        check_whole(1, **sizes)
        gates = 4  # the LSTM's; the RNN's one gate needs less
        check_large(torch.device("cpu"), gates * num_hidden * (num_hidden + input_dim + num_classes) * 4 * 4,
                   num_hidden=num_hidden, input_dim=input_dim, num_classes=num_classes)  # weights, grads, RMSprop
        self.seq_length = seq_length  # the course's interface; forward accepts any length
        self.input_dim = input_dim
        self.num_hidden = num_hidden
        self.num_classes = num_classes
        self.impl = check_impl(impl)
        self.init = check_init(init)
        self.triton_tiles = triton_tiles
        self._workspaces = WorkspacePool()

    @property
    def backend(self):
        """The back end (a name in part1.fast.backend.BACKENDS) that trains this model where its parameters are."""
        W = self.W_ph
        return backends.resolve(self.impl, W.device, W.dtype)

    def read_out(self, h, hidden, keep_hidden):
        """The logits p = W_ph h_T + b_p (B, num_classes) of the last state h; with keep_hidden also [h_1, ..., h_T]."""
        logits = torch.addmm(self.b_p, h, self.W_ph.t())
        return (logits, hidden) if keep_hidden else logits

    def fast_cells(self, x, keep_hidden):
        """The cells of the fast path for x, or None for the reference loop. The reference loop also serves
        keep_hidden (every h_t's gradient) and no-grad evaluation, where stored states would only cost memory."""
        if self.impl == "reference" or keep_hidden or not torch.is_grad_enabled():
            return None
        return backends.cells(backends.resolve(self.impl, x.device, x.dtype), self.triton_tiles)


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
    return nn.Parameter(torch.full(shape, float(value), device=device))


def time_major(x, input_dim, dtype):
    """(B, T) raw digits or (B, T, input_dim) -> (T, B, input_dim) in the weights' dtype, contiguous for the per-step
    loop; integer digits and inputs of another dtype are converted."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a tensor of digits, got {type(x).__name__}")
    if x.dim() == 2 and input_dim == 1:
        x = x.unsqueeze(-1)
    if x.dim() != 3 or x.size(-1) != input_dim or 0 in x.shape:
        raise ValueError(f"x must be of shape (B, T, {input_dim}){' or (B, T)' if input_dim == 1 else ''} with B and "
                         f"T at least 1, got {tuple(x.shape)}")
    return x.transpose(0, 1).to(dtype).contiguous()


def project_inputs(x, W_x, b):
    """The input term W_x x_t + b for every time step in one matmul: (T, B, d) -> (T, B, rows of W_x)."""
    T, B, d = x.shape
    return torch.addmm(b, x.reshape(T * B, d), W_x.t()).view(T, B, -1)
