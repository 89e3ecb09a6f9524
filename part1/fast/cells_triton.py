"""The fast path's CUDA kernels, in Triton: one launch per step forward and one per step backward.

Each kernel computes a (rows hidden units) x (cols batch columns) tile of one step: the recurrent matmul for that
tile (in full float32, not TF32) and the cell's elementwise work, so a step costs one launch instead of a
cuBLAS matmul plus about ten elementwise kernels. The buffers are those of part1.fast.workspace, feature-major
(rows, B); a step's gate blocks (g, i, f, o) are n * B elements apart. Imported only on CUDA; PyTorch's CUDA
builds bring Triton with them. TritonKernels(tiles) runs them with other tiles.
"""
from typing import NamedTuple

import triton
import triton.language as tl


class Tile(NamedTuple):
    rows: int  # hidden units
    cols: int  # batch columns
    inner: int  # the matmul's inner chunk
    warps: int


TILE = {"RNN": Tile(16, 16, 64, 4), "LSTM": Tile(16, 16, 64, 2)}  # the best of benchmarks/tune_triton_tiles.py


@triton.jit
def _tanh(x):
    # sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|}): no overflow for any x
    e = tl.exp(-2.0 * tl.abs(x))
    t = (1.0 - e) / (1.0 + e)
    return tl.where(x >= 0, t, -t)


@triton.jit
def _chunk_dot(W, rows, ks, mask, x, K: tl.constexpr):
    """W[rows, ks] @ x, one chunk of the inner dimension, for W (?, K) row-major."""
    a = tl.load(W + rows[:, None] * K + ks[None, :], mask=mask, other=0.0)
    return tl.dot(a, x, input_precision="ieee")


@triton.jit
def _rows_times_column(W, h_x_1, rows, cols, row_mask, B, K: tl.constexpr, BJ: tl.constexpr, BB: tl.constexpr,
                       BK: tl.constexpr):
    """W[rows, :] @ h_x_1[:, cols] for W (?, K) and h_x_1 (K, B), both row-major."""
    acc = tl.zeros((BJ, BB), dtype=tl.float32)
    for k0 in range(0, K, BK):
        ks = k0 + tl.arange(0, BK)
        x = tl.load(h_x_1 + ks[:, None] * B + cols[None, :], mask=(ks[:, None] < K) & (cols[None, :] < B), other=0.0)
        acc += _chunk_dot(W, rows, ks, row_mask[:, None] & (ks[None, :] < K), x, K)
    return acc


@triton.jit
def _columns_times_dz(W, dz, j, cols, n, B, ROWS: tl.constexpr, K: tl.constexpr, BJ: tl.constexpr,
                      BB: tl.constexpr, BK: tl.constexpr):
    """W[:ROWS, j]^T @ dz[:, cols]: dL/dh for a tile, from the next step's dz (ROWS, B)."""
    acc = tl.zeros((BJ, BB), dtype=tl.float32)
    for r0 in range(0, ROWS, BK):
        rs = r0 + tl.arange(0, BK)
        a = tl.load(W + rs[None, :] * K + j[:, None], mask=(j[:, None] < n) & (rs[None, :] < ROWS), other=0.0)
        b = tl.load(dz + rs[:, None] * B + cols[None, :], mask=(rs[:, None] < ROWS) & (cols[None, :] < B), other=0.0)
        acc += tl.dot(a, b, input_precision="ieee")
    return acc


@triton.jit
def _rnn_forward(W, h_x_1, h, n, B, K: tl.constexpr, BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr):
    j = tl.program_id(0) * BJ + tl.arange(0, BJ)
    b = tl.program_id(1) * BB + tl.arange(0, BB)
    m = (j[:, None] < n) & (b[None, :] < B)
    z = _rows_times_column(W, h_x_1, j, b, j < n, B, K, BJ, BB, BK)
    tl.store(h + j[:, None] * B + b[None, :], _tanh(z), mask=m)


@triton.jit
def _rnn_backward(W, dz_next, dh_last, h, dz, n, B, FIRST: tl.constexpr, ROWS: tl.constexpr, K: tl.constexpr,
                  BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr):
    j = tl.program_id(0) * BJ + tl.arange(0, BJ)
    b = tl.program_id(1) * BB + tl.arange(0, BB)
    m = (j[:, None] < n) & (b[None, :] < B)
    off = j[:, None] * B + b[None, :]
    if FIRST:  # dL/dh_T comes from the classifier
        dh = tl.load(dh_last + off, mask=m, other=0.0)
    else:
        dh = _columns_times_dz(W, dz_next, j, b, n, B, ROWS, K, BJ, BB, BK)
    ht = tl.load(h + off, mask=m, other=0.0)
    tl.store(dz + off, dh * (1.0 - ht * ht), mask=m)


@triton.jit
def _lstm_forward(W, h_x_1, z, c_prev, c_next, tanh_c, q, h, n, B, K: tl.constexpr, BJ: tl.constexpr,
                  BB: tl.constexpr, BK: tl.constexpr):
    j = tl.program_id(0) * BJ + tl.arange(0, BJ)
    b = tl.program_id(1) * BB + tl.arange(0, BB)
    m = (j[:, None] < n) & (b[None, :] < B)
    off = j[:, None] * B + b[None, :]
    size = n * B
    # the four gates' matmuls in one walk over K: each chunk of h_x_1 is loaded once and feeds four independent dots
    zg = tl.zeros((BJ, BB), dtype=tl.float32)
    zi = tl.zeros((BJ, BB), dtype=tl.float32)
    zf = tl.zeros((BJ, BB), dtype=tl.float32)
    zo = tl.zeros((BJ, BB), dtype=tl.float32)
    for k0 in range(0, K, BK):
        ks = k0 + tl.arange(0, BK)
        x = tl.load(h_x_1 + ks[:, None] * B + b[None, :], mask=(ks[:, None] < K) & (b[None, :] < B), other=0.0)
        wm = (j[:, None] < n) & (ks[None, :] < K)
        zg += _chunk_dot(W, j, ks, wm, x, K)
        zi += _chunk_dot(W, n + j, ks, wm, x, K)
        zf += _chunk_dot(W, 2 * n + j, ks, wm, x, K)
        zo += _chunk_dot(W, 3 * n + j, ks, wm, x, K)
    g = _tanh(zg)
    i = tl.sigmoid(zi)
    f = tl.sigmoid(zf)
    o = tl.sigmoid(zo)
    c = g * i + tl.load(c_prev + off, mask=m, other=0.0) * f
    tc = _tanh(c)
    tl.store(z + off, g, mask=m)
    tl.store(z + size + off, i, mask=m)
    tl.store(z + 2 * size + off, f, mask=m)
    tl.store(z + 3 * size + off, o, mask=m)
    tl.store(c_next + off, c, mask=m)
    tl.store(tanh_c + off, tc, mask=m)
    tl.store(q + off, o * (1.0 - tc * tc), mask=m)
    tl.store(h + off, tc * o, mask=m)


@triton.jit
def _lstm_backward(W, dz_next, dh_last, z, c_prev, tanh_c, q, dc_carry, dz, n, B, FIRST: tl.constexpr,
                   ROWS: tl.constexpr, K: tl.constexpr, BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr):
    j = tl.program_id(0) * BJ + tl.arange(0, BJ)
    b = tl.program_id(1) * BB + tl.arange(0, BB)
    m = (j[:, None] < n) & (b[None, :] < B)
    off = j[:, None] * B + b[None, :]
    size = n * B
    if FIRST:  # dL/dh_T comes from the classifier
        dh = tl.load(dh_last + off, mask=m, other=0.0)
    else:
        dh = _columns_times_dz(W, dz_next, j, b, n, B, ROWS, K, BJ, BB, BK)
    g = tl.load(z + off, mask=m, other=0.0)
    i = tl.load(z + size + off, mask=m, other=0.0)
    f = tl.load(z + 2 * size + off, mask=m, other=0.0)
    o = tl.load(z + 3 * size + off, mask=m, other=0.0)
    dc = tl.load(dc_carry + off, mask=m, other=0.0) + dh * tl.load(q + off, mask=m, other=0.0)
    tl.store(dz + off, dc * i * (1.0 - g * g), mask=m)
    tl.store(dz + size + off, dc * g * i * (1.0 - i), mask=m)
    tl.store(dz + 2 * size + off, dc * tl.load(c_prev + off, mask=m, other=0.0) * f * (1.0 - f), mask=m)
    tl.store(dz + 3 * size + off, dh * tl.load(tanh_c + off, mask=m, other=0.0) * o * (1.0 - o), mask=m)
    tl.store(dc_carry + off, dc * f, mask=m)


def missing():
    """Why the kernels cannot run here: never, once this module imports (it needs Triton)."""
    return None


def make(tiles=None):
    """The kernels, with a Tile per model type (None: the tuned ones)."""
    return TritonKernels(tiles)


class TritonKernels:
    """The triton back end: whole forward and backward loops, one kernel launch per step, with a tile per model."""
    FUSED = True  # runs whole loops, not one step at a time

    def __init__(self, tiles=None):
        self.tiles = dict(TILE if tiles is None else tiles)

    def forward(self, ws):
        """The forward loop of the workspace's model (an LSTM's has four gates)."""
        (self.lstm_forward if ws.GATES == 4 else self.rnn_forward)(ws)

    def backward(self, ws, dh):
        """The backward loop of the workspace's model, from dh = dL/dh_T."""
        (self.lstm_backward if ws.GATES == 4 else self.rnn_backward)(ws, dh)

    def launch(self, model_type, n, B, K):
        """The grid and the tile arguments of a step's kernel."""
        t = self.tiles[model_type]
        grid = (triton.cdiv(n, t.rows), triton.cdiv(B, t.cols))
        return grid, dict(K=K, BJ=t.rows, BB=t.cols, BK=t.inner, num_warps=t.warps)

    def rnn_forward(self, ws):
        """Every step's h_t into the workspace's stacked columns."""
        n, B = ws.steps[0].h_next.shape
        grid, tile = self.launch("RNN", n, B, ws.W.size(1))
        for s in ws.steps:
            _rnn_forward[grid](ws.W, s.h_x_1, s.h_next, n, B, **tile)

    def rnn_backward(self, ws, dh):
        """Every step's dz_t into ws.dz, from dh = dL/dh_T (n, B)."""
        n, B = dh.shape
        grid, tile = self.launch("RNN", n, B, ws.W.size(1))
        later = None
        for s in reversed(ws.steps):
            _rnn_backward[grid](ws.W, dh if later is None else later.dz, dh, s.h_next, s.dz, n, B,
                                FIRST=later is None, ROWS=n, **tile)
            later = s

    def lstm_forward(self, ws):
        """Every step's activations, c_t, tanh(c_t), q_t and h_t into the workspace."""
        n, B = ws.steps[0].c.shape
        grid, tile = self.launch("LSTM", n, B, ws.W.size(1))
        for s in ws.steps:
            _lstm_forward[grid](ws.W, s.h_x_1, s.z, s.c, s.c_next, s.tanh_c, s.q, s.h_next, n, B, **tile)

    def lstm_backward(self, ws, dh):
        """Every step's dz_t into ws.dz, from dh = dL/dh_T (n, B)."""
        n, B = dh.shape
        grid, tile = self.launch("LSTM", n, B, ws.W.size(1))
        dc = dh.new_zeros(n, B)  # dL/dc_t, carried down the steps
        later = None
        for s in reversed(ws.steps):
            _lstm_backward[grid](ws.W, dh if later is None else later.dz, dh, s.z, s.c, s.tanh_c, s.q, dc, s.dz,
                                 n, B, FIRST=later is None, ROWS=4 * n, **tile)
            later = s
