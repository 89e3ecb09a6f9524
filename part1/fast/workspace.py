"""The fast path's buffers: made once per (T, B, n, d) shape and reused from one training step to the next.

States are kept feature-major, (features, B), so each gate is a contiguous block of rows. Step t multiplies the
stacked weights W = [W_h | W_x | b] with the stacked column [h_{t-1}; x_t; 1] (`h_x_1`), so the input projection
and the bias cost nothing extra. Fresh 26 MB allocations each step would cost more in page faults than the
arithmetic they hold.
"""
from typing import NamedTuple

ROW_ALIGN = 16  # the stacked column is padded to a multiple of 16 rows: odd sizes slow the CPU matmul by ~25%


class RNNStep(NamedTuple):
    """Views of one step t into a workspace."""
    h_x_1: object  # (k, B) the stacked column [h_{t-1}; x_t; 1; 0]
    h_x_1_t: object  # (B, k) its transpose, for the weight gradient
    h_next: object  # (n, B) h_t, the first n rows of the next column
    dz: object  # (rows, B) dL/dz_t
    z: object  # h_next again: z_t = W [h_{t-1}; x_t; 1] is written there, then tanh'd in place


class LSTMStep(NamedTuple):
    """Views of one step t into an LSTM workspace; z holds the pre-activations, then the activations g, i, f, o."""
    h_x_1: object
    h_x_1_t: object
    h_next: object
    dz: object  # (4n, B)
    dz_gates: tuple  # its four (n, B) blocks
    z: object  # (4n, B)
    gates: tuple  # g, i, f, o: (n, B) blocks of z
    sig: object  # (3n, B) the block of i, f, o
    c: object  # (n, B) c_{t-1}
    c_next: object  # (n, B) c_t
    tanh_c: object  # (n, B) tanh(c_t)
    q: object  # (n, B) o * (1 - tanh(c_t)^2) = dh_t/dc_t


def defers_weight_gradient(x):
    """On CUDA the weight gradient waits for the end of the loop: one launch instead of T."""
    return x.is_cuda


class RNNWorkspace:
    """The buffers of the RNN's recurrence for one (T, B, n, d) shape, and the per-step views into them."""
    GATES = 1
    SAVED = ("h_x_1",)  # what backward needs from forward

    def __init__(self, T, B, n, d, like):
        k = -(-(n + d + 1) // ROW_ALIGN) * ROW_ALIGN
        rows = self.GATES * n
        self.deferred = defers_weight_gradient(like)  # then every step's dz is kept
        self.W = like.new_zeros(rows, k)  # [W_h | W_x | b | 0]
        self.W_h_t, self.W_x_t = self.W[:, :n].t(), self.W[:, n:n + d].t()
        self.h_x_1 = like.new_zeros(T + 1, k, B)
        self.h_x_1[:, n + d] = 1
        self.dz = like.new_empty(T if self.deferred else 1, rows, B)
        self.ones = like.new_ones(n, B)
        columns = self.h_x_1.unbind(0)
        self.steps = [self.step_views(t, n, h_x_1=columns[t], h_x_1_t=columns[t].t(), h_next=columns[t + 1][:n],
                                      dz=self.dz[t if self.deferred else 0]) for t in range(T)]

    def step_views(self, t, n, **views):
        return RNNStep(**views, z=views["h_next"])


class LSTMWorkspace(RNNWorkspace):
    """The RNN's buffers and, per step, the gates, the cell state c_t, tanh(c_t) and q_t."""
    GATES = 4
    SAVED = ("h_x_1", "z", "c", "tanh_c", "q")

    def __init__(self, T, B, n, d, like):
        self.z = like.new_empty(T, 4 * n, B)
        self.c = like.new_zeros(T + 1, n, B)
        self.tanh_c = like.new_empty(T, n, B)
        self.q = like.new_empty(T, n, B)
        self.deriv = like.new_empty(4 * n, B)  # activation derivatives (torch cells): 1 - g^2, s (1 - s) for i, f, o
        self.deriv_g, self.deriv_sig = self.deriv[:n], self.deriv[n:]
        super().__init__(T, B, n, d, like)

    def step_views(self, t, n, **views):
        return LSTMStep(**views, dz_gates=views["dz"].split(n), z=self.z[t], gates=self.z[t].split(n),
                        sig=self.z[t, n:], c=self.c[t], c_next=self.c[t + 1], tanh_c=self.tanh_c[t], q=self.q[t])


class WorkspacePool:
    """Workspaces lent to a forward pass and handed back by its backward, so no two live graphs share one."""

    def __init__(self):
        self._free = {}

    def take(self, key, make):
        return self._free.pop(key, None) or make()

    def give(self, key, workspace):
        self._free[key] = workspace
