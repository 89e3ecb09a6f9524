"""The fast path: whole-sequence recurrences with a hand-written backward through time.

Same maths as the autograd loops in vanilla_rnn.py and lstm.py, arranged for speed:
- states are kept feature-major, (features, B), so each gate is a contiguous block of rows;
- each step is one matmul of the stacked weights W = [W_h | W_x | b] with the stacked column [h; x; 1], so the
  input projection and the bias cost nothing extra, and the weight gradient is one matmul per step (on the CPU,
  while dz_t is in cache) or one batched matmul after the loop (on CUDA, where launches are what costs);
- elementwise work writes into preallocated buffers (`out=`), and every buffer is reused from one training
  step to the next (a Workspace): fresh 26 MB allocations each step cost more in page faults than the
  arithmetic they hold. On the CPU with float32, the products of each step are compiled loops where a C++
  compiler is at hand (cpp_cells.py); on CUDA with float32, each step of either model is one Triton kernel
  forward and one backward, its matmul included (triton_cells.py).
Both autograd Functions return only the last hidden state h_T, which is all the classifier reads.
"""
from typing import NamedTuple

import torch

ROW_ALIGN = 16  # the stacked column is padded to a multiple of 16 rows: odd sizes slow the CPU matmul by ~25%


class RNNStep(NamedTuple):
    """Views of one step t into a Workspace."""
    hx: torch.Tensor  # (k, B) the stacked column [h_{t-1}; x_t; 1; 0]
    hx_t: torch.Tensor  # (B, k) its transpose, for the weight gradient
    h_next: torch.Tensor  # (n, B) h_t, the first n rows of the next column
    dz: torch.Tensor  # (n, B) dL/dz_t


class LSTMStep(NamedTuple):
    """Views of one step t into a Workspace; z holds the pre-activations, then the activations g, i, f, o."""
    hx: torch.Tensor
    hx_t: torch.Tensor
    h_next: torch.Tensor
    dz: torch.Tensor  # (4n, B)
    dz_gates: tuple  # its four (n, B) blocks
    z: torch.Tensor  # (4n, B)
    gates: tuple  # g, i, f, o: (n, B) blocks of z
    sig: torch.Tensor  # (3n, B) the block of i, f, o
    c: torch.Tensor  # (n, B) c_{t-1}
    c_next: torch.Tensor  # (n, B) c_t
    tanh_c: torch.Tensor  # (n, B) tanh(c_t)
    q: torch.Tensor  # (n, B) o * (1 - tanh(c_t)^2) = dh_t/dc_t


def defers_weight_gradient(x):
    """On CUDA the weight gradient waits for the end of the loop: one launch instead of T."""
    return x.is_cuda


class Workspace:
    """The buffers of one (T, B, n, d) shape, and the per-step views into them, made once."""

    def __init__(self, T, B, n, d, gates, like):
        k = -(-(n + d + 1) // ROW_ALIGN) * ROW_ALIGN
        rows = gates * n
        self.deferred = defers_weight_gradient(like)  # then every step's dz is kept
        self.W = like.new_zeros(rows, k)  # [W_h | W_x | b | 0]
        self.W_h_t, self.W_x_t = self.W[:, :n].t(), self.W[:, n:n + d].t()
        self.hx = like.new_zeros(T + 1, k, B)
        self.hx[:, n + d] = 1
        self.dz = like.new_empty(T if self.deferred else 1, rows, B)
        self.ones = like.new_ones(n, B)
        cols = self.hx.unbind(0)
        base = [dict(hx=cols[t], hx_t=cols[t].t(), h_next=cols[t + 1][:n], dz=self.dz[t if self.deferred else 0])
                for t in range(T)]
        if gates == 1:
            self.steps = [RNNStep(**b) for b in base]
            return
        self.z = like.new_empty(T, rows, B)
        self.c = like.new_zeros(T + 1, n, B)
        self.tanh_c = like.new_empty(T, n, B)
        self.q = like.new_empty(T, n, B)
        self.deriv = like.new_empty(rows, B)  # activation derivatives (eager cell): 1 - g^2, s (1 - s) for i, f, o
        self.deriv_g, self.deriv_sig = self.deriv[:n], self.deriv[n:]
        self.steps = [LSTMStep(**b, dz_gates=b["dz"].split(n), z=self.z[t], gates=self.z[t].split(n),
                               sig=self.z[t, n:], c=self.c[t], c_next=self.c[t + 1], tanh_c=self.tanh_c[t],
                               q=self.q[t]) for t, b in enumerate(base)]


class WorkspacePool:
    """Workspaces lent to a forward pass and handed back by its backward, so no two live graphs share one."""

    def __init__(self):
        self._free = {}

    def take(self, key, make):
        return self._free.pop(key, None) or make()

    def give(self, key, workspace):
        self._free[key] = workspace


def stack_weights(W_h, W_x, b):
    """[W_h | W_x | b]: (rows, n + d + 1)."""
    return torch.cat([W_h, W_x, b.unsqueeze(1)], dim=1)


def lstm_cell_forward(step, cells=None):
    """g = tanh, i, f, o = sigmoid (in place in step.z); c_t = g * i + c_{t-1} * f; h_t = tanh(c_t) * o.
    With cells (part1.cpp_cells), the same in one call, its products as compiled loops."""
    if cells:
        return cells.lstm_cell_forward(step.z, step.c, step.c_next, step.tanh_c, step.h_next, step.q)
    g, i, f, o = step.gates
    g.tanh_()
    step.sig.sigmoid_()
    torch.mul(g, i, out=step.c_next).addcmul_(step.c, f)
    torch.tanh(step.c_next, out=step.tanh_c)
    torch.mul(step.tanh_c, o, out=step.h_next)
    torch.addcmul(o, step.h_next, step.tanh_c, value=-1, out=step.q)  # o (1 - tanh(c)^2) = o - h tanh(c)


def lstm_cell_backward(step, ws, gh, gc, cells=None):
    """dL/dz_t into step.dz from dL/dh_t (gh) and dL/dc_t (gc); gc becomes dL/dc_{t-1}."""
    if cells:
        return cells.lstm_cell_backward(step.z, step.c, step.tanh_c, step.q, gh, gc, step.dz)
    g, i, f, o = step.gates
    dz_g, dz_i, dz_f, dz_o = step.dz_gates
    torch.addcmul(ws.ones, g, g, value=-1, out=ws.deriv_g)
    torch.addcmul(step.sig, step.sig, step.sig, value=-1, out=ws.deriv_sig)
    gc.addcmul_(gh, step.q)
    torch.mul(gc, i, out=dz_g)
    torch.mul(gc, g, out=dz_i)
    torch.mul(gc, step.c, out=dz_f)
    torch.mul(gh, step.tanh_c, out=dz_o)
    step.dz.mul_(ws.deriv)
    gc.mul_(f)


def fused_kernels(x):
    """part1.triton_cells for float32 CUDA tensors where Triton is installed; None: the eager loop."""
    if not (x.is_cuda and x.dtype == torch.float32):
        return None
    try:
        from part1 import triton_cells
    except ImportError:  # a CUDA build without Triton: the eager loop works there too
        return None
    return triton_cells


def compiled_cells(x):
    """part1.cpp_cells' compiled module for float32 CPU tensors where it could be built; None: PyTorch ops."""
    if x.is_cuda or x.dtype != torch.float32:
        return None
    from part1 import cpp_cells
    return cpp_cells.load()


class _Sequence(torch.autograd.Function):
    """What both recurrences share; a subclass gives GATES, the SAVED buffers and its forward_steps and
    backward_steps, each either launching part1.triton_cells' kernels (ctx.kernels) or an eager loop, whose
    cells are part1.cpp_cells' compiled ones where ctx.cells is set."""
    GATES = 1
    SAVED = ()

    @classmethod
    def forward(cls, ctx, x, W, pool):
        ws = cls.prepare(ctx, x, W, pool)
        cls.forward_steps(ctx, ws)
        # Saving the buffers too makes autograd refuse a retained graph's backward after a later forward reused them.
        ctx.save_for_backward(*(getattr(ws, name) for name in cls.SAVED))
        return ws.steps[-1].h_next.t().contiguous()

    @classmethod
    def backward(cls, ctx, grad_h):
        ws = cls.workspace(ctx)
        gh = grad_h.t().contiguous()  # dL/dh_t, (n, B)
        gW = None if ws.deferred else torch.zeros_like(ws.W)  # deferred: made in finish() from every dz_t
        gx = []  # the eager loop's dL/dx_t on the CPU
        cls.backward_steps(ctx, ws, gh, gW, gx)
        return cls.finish(ctx, gW, gx)

    @classmethod
    def prepare(cls, ctx, x, W, pool):
        """Take a workspace for x's shape and load the inputs and the padded weights into it."""
        T, B, d = x.shape
        n = W.size(0) // cls.GATES
        key = (T, B, n, d, cls.GATES, x.dtype, x.device)
        ws = pool.take(key, lambda: Workspace(T, B, n, d, cls.GATES, x))
        ws.hx[:T, n:n + d] = x.transpose(1, 2)
        ws.W[:, :W.size(1)] = W
        ctx.pool, ctx.key, ctx.ws, ctx.width = pool, key, ws, W.size(1)
        ctx.kernels = fused_kernels(x)
        ctx.cells = compiled_cells(x)
        return ws

    @staticmethod
    def workspace(ctx):
        """The forward's workspace. Unpacking the saved buffers raises if a later forward has overwritten them."""
        ctx.hx = ctx.saved_tensors[0]
        return ctx.ws

    @staticmethod
    def backward_step(ctx, step, gh, gW, gx):
        """Eager loop, once step.dz is known: the weight gradient (CPU), dL/dx_t (CPU), and dL/dh_{t-1} into gh."""
        ws = ctx.ws
        if not ws.deferred:
            gW.addmm_(step.dz, step.hx_t)
            if ctx.needs_input_grad[0]:
                gx.append(ws.W_x_t @ step.dz)
        if step is not ws.steps[0]:  # dL/dh_0 is never used: h_0 = 0 is no parameter
            torch.mm(ws.W_h_t, step.dz, out=gh)

    @staticmethod
    def finish(ctx, gW, gx):
        """Hand the workspace back and return the gradients of (x, W, pool)."""
        ws = ctx.ws
        if ws.deferred:  # sum over t of dz_t [h_{t-1}; x_t; 1]^T, after the loop, as one batched matmul
            gW = torch.bmm(ws.dz, ctx.hx[:-1].transpose(1, 2)).sum(0)
        gx_all = None
        if ctx.needs_input_grad[0]:  # dL/dx_t = W_x^T dz_t, (T, d, B) -> (T, B, d)
            gx_all = (torch.matmul(ws.W_x_t, ws.dz) if ws.deferred else torch.stack(gx[::-1])).transpose(1, 2)
        ctx.pool.give(ctx.key, ws)
        return gx_all, gW[:, :ctx.width], None


class RNNSequence(_Sequence):
    """h_T of h_t = tanh(W_hh h_{t-1} + W_hx x_t + b_h), h_0 = 0, from x (T, B, d) and W = [W_hh | W_hx | b_h]."""
    GATES = 1
    SAVED = ("hx",)

    @staticmethod
    def forward_steps(ctx, ws):
        if ctx.kernels:
            return ctx.kernels.rnn_forward(ws)
        for step in ws.steps:
            torch.mm(ws.W, step.hx, out=step.h_next).tanh_()

    @classmethod
    def backward_steps(cls, ctx, ws, gh, gW, gx):
        if ctx.kernels:
            return ctx.kernels.rnn_backward(ws, gh)
        for step in reversed(ws.steps):
            h = step.h_next
            if ctx.cells:
                ctx.cells.rnn_cell_backward(h, gh, step.dz)
            else:
                torch.addcmul(ws.ones, h, h, value=-1, out=step.dz).mul_(gh)  # dz = dh * (1 - h^2)
            cls.backward_step(ctx, step, gh, gW, gx)


class LSTMSequence(_Sequence):
    """h_T of the report's LSTM from x (T, B, d) and W = [W_h | W_x | b], rows stacked in gate order g, i, f, o."""
    GATES = 4
    SAVED = ("hx", "z", "c", "tanh_c", "q")

    @staticmethod
    def forward_steps(ctx, ws):
        if ctx.kernels:
            return ctx.kernels.lstm_forward(ws)
        for step in ws.steps:
            torch.mm(ws.W, step.hx, out=step.z)
            lstm_cell_forward(step, ctx.cells)

    @classmethod
    def backward_steps(cls, ctx, ws, gh, gW, gx):
        if ctx.kernels:
            return ctx.kernels.lstm_backward(ws, gh)
        gc = torch.zeros_like(gh)  # dL/dc_t
        for step in reversed(ws.steps):
            lstm_cell_backward(step, ws, gh, gc, ctx.cells)
            cls.backward_step(ctx, step, gh, gW, gx)
