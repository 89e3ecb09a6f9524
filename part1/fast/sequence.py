"""The fast path's autograd Functions: whole-sequence recurrences with a hand-written backward through time.

Same maths as the autograd loops in vanilla_rnn.py and lstm.py, arranged for speed (workspace.py): each step is
one matmul of the stacked weights W = [W_h | W_x | b] with the stacked column [h_{t-1}; x_t; 1], and the weight
gradient is one matmul per step (on the CPU, while dz_t is in cache) or one batched matmul after the loop (on
CUDA, where launches are what costs). The per-step elementwise work is the back end's (backend.py): PyTorch ops
or compiled C++ cells inside the loop here, or Triton kernels that run the whole loop, matmul included.
Both Functions return only the last hidden state h_T, which is all the classifier reads.
"""
import torch

from part1.fast.workspace import LSTMWorkspace, RNNWorkspace


def stack_weights(W_h, W_x, b):
    """[W_h | W_x | b]: (rows, n + d + 1)."""
    return torch.cat([W_h, W_x, b.unsqueeze(1)], dim=1)


class _Sequence(torch.autograd.Function):
    """What both recurrences share. A subclass names its WORKSPACE and, in step_cells, the torch or cpp back end's
    per-step cells (forward, backward) that the loops here call; the triton back end runs whole loops of its own
    (cells.forward, cells.backward)."""
    WORKSPACE = RNNWorkspace

    @classmethod
    def forward(cls, ctx, x, W, pool, cells):
        ws = cls.prepare(ctx, x, W, pool, cells)
        if cls.fused(cells):
            cells.forward(ws)
        else:
            cls.forward_loop(cells, ws)
        # Saving the buffers too makes autograd refuse a retained graph's backward after a later forward reused them.
        ctx.save_for_backward(*(getattr(ws, name) for name in cls.WORKSPACE.SAVED))
        return ws.steps[-1].h_next.t().contiguous()

    @classmethod
    def backward(cls, ctx, grad_h):
        ws = ctx.ws
        h_x_1 = ctx.saved_tensors[0]  # raises if a later forward has overwritten the saved buffers
        dh = grad_h.t().contiguous()  # dL/dh_t, (n, B)
        if cls.fused(ctx.cells):
            ctx.cells.backward(ws, dh)
            dW, dx = None, None  # deferred: made in gradients() from every dz_t
        else:
            dW = None if ws.deferred else torch.zeros_like(ws.W)  # deferred: made in gradients()
            dx = [] if ctx.needs_input_grad[0] else None  # dL/dx_t, backwards
            cls.backward_loop(ctx.cells, ws, dh, dW, dx)
        return cls.gradients(ctx, ws, h_x_1, dW, dx)

    @classmethod
    def forward_loop(cls, cells, ws):
        cell_forward, _ = cls.step_cells(cells)
        for step in ws.steps:
            torch.mm(ws.W, step.h_x_1, out=step.z)  # z_t = W [h_{t-1}; x_t; 1]
            cell_forward(step, ws)

    @classmethod
    def backward_loop(cls, cells, ws, dh, dW, dx):
        _, cell_backward = cls.step_cells(cells)
        carried = cls.carried(dh)  # what else the cells carry from step to step backwards
        for step in reversed(ws.steps):
            cell_backward(step, ws, dh, *carried)  # from dL/dh_t (dh): step.dz
            cls.through_weights(ws, step, dh, dW, dx)

    @staticmethod
    def carried(dh):
        return ()

    @staticmethod
    def fused(cells):
        """Whether the cells run whole loops (the triton back end) rather than one step at a time."""
        return getattr(cells, "FUSED", False)

    @classmethod
    def prepare(cls, ctx, x, W, pool, cells):
        """Take a workspace for x's shape and load the inputs and the padded weights into it."""
        T, B, d = x.shape
        n = W.size(0) // cls.WORKSPACE.GATES
        key = (T, B, n, d, cls.WORKSPACE, x.dtype, x.device)
        ws = pool.take(key, lambda: cls.WORKSPACE(T, B, n, d, x))
        ws.h_x_1[:T, n:n + d] = x.transpose(1, 2)
        ws.W[:, :W.size(1)] = W
        ctx.pool, ctx.key, ctx.ws, ctx.width, ctx.cells = pool, key, ws, W.size(1), cells
        return ws

    @staticmethod
    def through_weights(ws, step, dh, dW, dx):
        """Once step.dz is known: add its weight gradient to dW and its dL/dx_t to dx (when wanted), and
        write dL/dh_{t-1} into dh."""
        if not ws.deferred:
            dW.addmm_(step.dz, step.h_x_1_t)
            if dx is not None:
                dx.append(ws.W_x_t @ step.dz)
        if step is not ws.steps[0]:  # dL/dh_0 is never used: h_0 = 0 is no parameter
            torch.mm(ws.W_h_t, step.dz, out=dh)

    @staticmethod
    def gradients(ctx, ws, h_x_1, dW, dx):
        """Hand the workspace back and return the gradients of (x, W, pool, cells)."""
        if ws.deferred:  # sum over t of dz_t [h_{t-1}; x_t; 1]^T, after the loop, as one batched matmul
            dW = torch.bmm(ws.dz, h_x_1[:-1].transpose(1, 2)).sum(0)
        dx_all = None
        if ctx.needs_input_grad[0]:  # dL/dx_t = W_x^T dz_t, (T, d, B) -> (T, B, d)
            dx_all = (torch.matmul(ws.W_x_t, ws.dz) if ws.deferred else torch.stack(dx[::-1])).transpose(1, 2)
        ctx.pool.give(ctx.key, ws)
        return dx_all, dW[:, :ctx.width], None, None


class RNNSequence(_Sequence):
    """h_T of h_t = tanh(W_hh h_{t-1} + W_hx x_t + b_h), h_0 = 0, from x (T, B, d) and W = [W_hh | W_hx | b_h]."""
    WORKSPACE = RNNWorkspace

    @staticmethod
    def step_cells(cells):
        return cells.rnn_cell_forward, cells.rnn_cell_backward


class LSTMSequence(_Sequence):
    """h_T of the report's LSTM from x (T, B, d) and W = [W_h | W_x | b], rows stacked in gate order g, i, f, o."""
    WORKSPACE = LSTMWorkspace

    @staticmethod
    def step_cells(cells):
        return cells.lstm_cell_forward, cells.lstm_cell_backward

    @staticmethod
    def carried(dh):
        return (torch.zeros_like(dh),)  # dL/dc_t
