"""Vanilla RNN from scratch: h_t = tanh(W_hx x_t + W_hh h_{t-1} + b_h), p = W_ph h_T + b_p."""
import torch

from part1.fast.sequence import RNNSequence, stack_weights
from part1.recurrent import Recurrent, project_inputs, time_major, weight_parameter, zeros_parameter


class VanillaRNN(Recurrent):
    """One-layer tanh RNN that classifies a sequence from its last hidden state.

    init: "xavier_normal" (the report's code) or "uniform" (PyTorch's RNN scheme); biases start at zero.
    impl: "fast" trains through part1.fast's hand-written backward; "reference" is the plain autograd loop.
    triton_tiles: {"RNN": Tile} for the Triton kernels (None: the tuned tile).
    """

    def __init__(self, seq_length, input_dim, num_hidden, num_classes, device="cpu", impl="fast",
                 init="xavier_normal", triton_tiles=None):
        super().__init__(seq_length, input_dim, num_hidden, num_classes, impl, init, triton_tiles)
        n = num_hidden
        self.W_hx = weight_parameter(n, input_dim, init, n, device)
        self.W_hh = weight_parameter(n, n, init, n, device)
        self.b_h = zeros_parameter(n, device=device)
        self.W_ph = weight_parameter(num_classes, n, init, n, device)
        self.b_p = zeros_parameter(num_classes, device=device)

    def forward(self, x, keep_hidden=False):
        """Logits (B, num_classes) of the last step; with keep_hidden also [h_1, ..., h_T], each retaining its grad."""
        x = time_major(x, self.input_dim, self.W_ph.dtype)  # (T, B, d)
        cells = self.fast_cells(x, keep_hidden)
        if cells is None:
            h, hidden = self.reference_loop(x, keep_hidden)
        else:  # the same, with part1.fast's hand-written backward
            W = stack_weights(self.W_hh, self.W_hx, self.b_h)
            h, hidden = RNNSequence.apply(x, W, self._workspaces, cells), []
        return self.read_out(h, hidden, keep_hidden)

    def reference_loop(self, x, keep_hidden):
        """h_T (B, n) through the plain autograd loop over time; with keep_hidden also [h_1, ..., h_T]."""
        x_proj = project_inputs(x, self.W_hx, self.b_h)  # (T, B, n)
        W_hh_t = self.W_hh.t()
        h = x.new_zeros(x.size(1), self.num_hidden)
        hidden = []
        for x_t in x_proj.unbind(0):  # unbind, not x_proj[t]: its backward is one stack, not T scatters
            h = torch.tanh(torch.addmm(x_t, h, W_hh_t))
            if keep_hidden:
                h.retain_grad()
                hidden.append(h)
        return h, hidden

    def extra_repr(self):
        return (f"input_dim={self.input_dim}, num_hidden={self.num_hidden}, num_classes={self.num_classes}, "
                f"init={self.init}, impl={self.impl}")
