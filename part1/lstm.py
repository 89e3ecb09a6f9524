"""LSTM from scratch with the report's gates g, i, f, o and a linear read-out p = W_ph h_T + b_p."""
import torch

from uvadl2019.checks import check_finite
from part1.fast.sequence import LSTMSequence, stack_weights
from part1.recurrent import Recurrent, project_inputs, time_major, weight_parameter, zeros_parameter


def lstm_cell(z, c):
    """One step from the stacked pre-activations z (B, 4n) of the gates g, i, f, o and the cell state c (B, n)."""
    n = c.size(1)
    g = torch.tanh(z[:, :n])
    i, f, o = torch.sigmoid(z[:, n:]).chunk(3, dim=1)
    c = g * i + c * f
    h = torch.tanh(c) * o
    return h, c


class LSTM(Recurrent):
    """One-layer LSTM that classifies a sequence from its last hidden state.

    g = tanh(W_gx x + W_gh h + b_g), i = sigmoid(W_ix x + W_ih h + b_i), f = sigmoid(W_fx x + W_fh h + b_f),
    o = sigmoid(W_ox x + W_oh h + b_o), c = g * i + c * f, h = tanh(c) * o.
    init: "xavier_normal" (the report's code) or "uniform" (PyTorch's RNN scheme); biases start at zero, b_f at
    forget_bias.
    impl: "fast" trains through part1.fast's hand-written backward; "reference" is the plain autograd loop.
    triton_tiles: {"LSTM": Tile} for the Triton kernels (None: the tuned tile).
    """

    def __init__(self, seq_length, input_dim, num_hidden, num_classes, device="cpu", forget_bias=1.0, impl="fast",
                 init="xavier_normal", triton_tiles=None):
        super().__init__(seq_length, input_dim, num_hidden, num_classes, impl, init, triton_tiles)
        check_finite(required=True, forget_bias=forget_bias)
        if abs(forget_bias) > torch.finfo(torch.float32).max:
            raise ValueError(f"--forget_bias must be within float32's range, got {forget_bias}")
        self.forget_bias = forget_bias
        n, d = num_hidden, input_dim
        self.W_gx = weight_parameter(n, d, init, n, device)  # g: the candidate cell input
        self.W_gh = weight_parameter(n, n, init, n, device)
        self.b_g = zeros_parameter(n, device=device)
        self.W_ix = weight_parameter(n, d, init, n, device)  # i: the input gate
        self.W_ih = weight_parameter(n, n, init, n, device)
        self.b_i = zeros_parameter(n, device=device)
        self.W_fx = weight_parameter(n, d, init, n, device)  # f: the forget gate
        self.W_fh = weight_parameter(n, n, init, n, device)
        # A forget bias near 1 keeps the cell state, and its gradient, alive early in training.
        self.b_f = zeros_parameter(n, device=device, value=forget_bias)
        self.W_ox = weight_parameter(n, d, init, n, device)  # o: the output gate
        self.W_oh = weight_parameter(n, n, init, n, device)
        self.b_o = zeros_parameter(n, device=device)
        self.W_ph = weight_parameter(num_classes, n, init, n, device)
        self.b_p = zeros_parameter(num_classes, device=device)

    def forward(self, x, keep_hidden=False):
        """Logits (B, num_classes) of the last step; with keep_hidden also [h_1, ..., h_T], each retaining its grad."""
        x = time_major(x, self.input_dim, self.W_ph.dtype)  # (T, B, d)
        # The four gates stacked once per call: one matmul for all inputs, then one per step.
        W_x = torch.cat([self.W_gx, self.W_ix, self.W_fx, self.W_ox])  # (4n, d)
        W_h = torch.cat([self.W_gh, self.W_ih, self.W_fh, self.W_oh])  # (4n, n)
        b = torch.cat([self.b_g, self.b_i, self.b_f, self.b_o])  # (4n,)
        cells = self.fast_cells(x, keep_hidden)
        if cells is None:
            h, hidden = self.reference_loop(x, W_x, W_h, b, keep_hidden)
        else:  # the same, with part1.fast's hand-written backward
            h, hidden = LSTMSequence.apply(x, stack_weights(W_h, W_x, b), self._workspaces, cells), []
        return self.read_out(h, hidden, keep_hidden)

    def reference_loop(self, x, W_x, W_h, b, keep_hidden):
        """h_T (B, n) through the plain autograd loop over time; with keep_hidden also [h_1, ..., h_T]."""
        B, n = x.size(1), self.num_hidden
        W_h_t = W_h.t()  # (n, 4n)
        x_proj = project_inputs(x, W_x, b)  # (T, B, 4n)
        h = x.new_zeros(B, n)
        c = x.new_zeros(B, n)
        hidden = []
        for x_t in x_proj.unbind(0):  # unbind, not x_proj[t]: its backward is one stack, not T scatters
            h, c = lstm_cell(torch.addmm(x_t, h, W_h_t), c)
            if keep_hidden:
                h.retain_grad()
                hidden.append(h)
        return h, hidden

    def extra_repr(self):
        return (f"input_dim={self.input_dim}, num_hidden={self.num_hidden}, "
                f"num_classes={self.num_classes}, forget_bias={self.forget_bias}, init={self.init}, "
                f"impl={self.impl}")
