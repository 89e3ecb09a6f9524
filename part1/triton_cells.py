"""The fast path's CUDA kernels, in Triton: one launch per step forward and one per step backward, or, with
PART1_LOOP_IN_KERNEL=1, one launch for all steps forward and one for all steps backward; PART1_DOT_PRECISION
chooses how their matmuls multiply (DOT_PRECISION).

Each kernel computes (rows hidden units) x (cols batch columns) tiles of a step: the recurrent matmul for the
tile (in full float32, not TF32, unless DOT_PRECISION says otherwise) and the cell's elementwise work, so a step
costs one launch instead of a cuBLAS matmul plus about ten elementwise kernels. The buffers are those of
part1.bptt.Workspace, feature-major (rows, B); a step's gate blocks (g, i, f, o) are n * B elements apart.

Per-step kernels run one program per tile. The loop-in-kernel variant runs one program per batch tile, which
walks every step and all hidden units itself: batch columns never meet in a recurrence, so no program waits for
another, and the per-step launch and its start-up cost are gone; in exchange only B / cols programs run.
Imported only on CUDA; PyTorch's CUDA builds bring Triton with them.
"""
import os
from typing import NamedTuple

import triton
import triton.language as tl

from common.cli import UserError


class Tile(NamedTuple):
    rows: int  # hidden units
    cols: int  # batch columns
    inner: int  # the matmul's inner chunk
    warps: int


STEP_TILE = Tile(16, 16, 64, 4)  # per-step kernels (benchmarks/tune_triton_tiles.py)
LOOP_TILE = Tile(64, 16, 32, 8)  # loop-in-kernel variant: the tile each program walks its columns in
# Benchmarks and tests switch the next two settings to compare.
LOOP_IN_KERNEL = os.environ.get("PART1_LOOP_IN_KERNEL", "0") == "1"
# The matmuls' float32 products: "ieee", on the float32 units; "tf32x3", each as three TF32 tensor-core products
# (a = a_hi + a_lo, b likewise; a_lo b_lo dropped), which keeps a sum's error at float32's level.
PRECISIONS = ("ieee", "tf32x3")
DOT_PRECISION = os.environ.get("PART1_DOT_PRECISION", "ieee")
if DOT_PRECISION not in PRECISIONS:
    raise UserError(f"PART1_DOT_PRECISION must be one of {', '.join(PRECISIONS)}, not '{DOT_PRECISION}'")


@triton.jit
def _tanh(x):
    # sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|}): no overflow for any x
    e = tl.exp(-2.0 * tl.abs(x))
    t = (1.0 - e) / (1.0 + e)
    return tl.where(x >= 0, t, -t)


@triton.jit
def _rows_times_column(W, hx, rows, cols, row_mask, B, K: tl.constexpr, BJ: tl.constexpr, BB: tl.constexpr,
                       BK: tl.constexpr, PRECISION: tl.constexpr):
    """W[rows, :] @ hx[:, cols] for W (?, K) and hx (K, B), both row-major."""
    acc = tl.zeros((BJ, BB), dtype=tl.float32)
    for k0 in range(0, K, BK):
        ks = k0 + tl.arange(0, BK)
        a = tl.load(W + rows[:, None] * K + ks[None, :], mask=row_mask[:, None] & (ks[None, :] < K), other=0.0)
        b = tl.load(hx + ks[:, None] * B + cols[None, :], mask=(ks[:, None] < K) & (cols[None, :] < B), other=0.0)
        acc += tl.dot(a, b, input_precision=PRECISION)
    return acc


@triton.jit
def _columns_times_dz(W, dz, j, cols, n, B, ROWS: tl.constexpr, K: tl.constexpr, BJ: tl.constexpr,
                      BB: tl.constexpr, BK: tl.constexpr, PRECISION: tl.constexpr):
    """W[:ROWS, j]^T @ dz[:, cols]: dL/dh for a tile, from the next step's dz (ROWS, B)."""
    acc = tl.zeros((BJ, BB), dtype=tl.float32)
    for r0 in range(0, ROWS, BK):
        rs = r0 + tl.arange(0, BK)
        a = tl.load(W + rs[None, :] * K + j[:, None], mask=(j[:, None] < n) & (rs[None, :] < ROWS), other=0.0)
        b = tl.load(dz + rs[:, None] * B + cols[None, :], mask=(rs[:, None] < ROWS) & (cols[None, :] < B), other=0.0)
        acc += tl.dot(a, b, input_precision=PRECISION)
    return acc


@triton.jit
def _rnn_forward_tile(W, hx, h, j, b, n, B, K: tl.constexpr, BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr,
                      PRECISION: tl.constexpr):
    m = (j[:, None] < n) & (b[None, :] < B)
    z = _rows_times_column(W, hx, j, b, j < n, B, K, BJ, BB, BK, PRECISION)
    tl.store(h + j[:, None] * B + b[None, :], _tanh(z), mask=m)


@triton.jit
def _rnn_backward_tile(W, dz_next, gh, h, dz, j, b, n, B, FIRST: tl.constexpr, ROWS: tl.constexpr, K: tl.constexpr,
                       BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr, PRECISION: tl.constexpr):
    m = (j[:, None] < n) & (b[None, :] < B)
    off = j[:, None] * B + b[None, :]
    if FIRST:  # dL/dh_T comes from the classifier
        dh = tl.load(gh + off, mask=m, other=0.0)
    else:
        dh = _columns_times_dz(W, dz_next, j, b, n, B, ROWS, K, BJ, BB, BK, PRECISION)
    ht = tl.load(h + off, mask=m, other=0.0)
    tl.store(dz + off, dh * (1.0 - ht * ht), mask=m)


@triton.jit
def _lstm_forward_tile(W, hx, z, c_prev, c_next, tanh_c, q, h, j, b, n, B, K: tl.constexpr, BJ: tl.constexpr,
                       BB: tl.constexpr, BK: tl.constexpr, PRECISION: tl.constexpr):
    m = (j[:, None] < n) & (b[None, :] < B)
    off = j[:, None] * B + b[None, :]
    size = n * B
    g = _tanh(_rows_times_column(W, hx, j, b, j < n, B, K, BJ, BB, BK, PRECISION))
    i = tl.sigmoid(_rows_times_column(W, hx, n + j, b, j < n, B, K, BJ, BB, BK, PRECISION))
    f = tl.sigmoid(_rows_times_column(W, hx, 2 * n + j, b, j < n, B, K, BJ, BB, BK, PRECISION))
    o = tl.sigmoid(_rows_times_column(W, hx, 3 * n + j, b, j < n, B, K, BJ, BB, BK, PRECISION))
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
def _lstm_backward_tile(W, dz_next, gh, z, c_prev, tanh_c, q, gc, dz, j, b, n, B, FIRST: tl.constexpr,
                        ROWS: tl.constexpr, K: tl.constexpr, BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr,
                        PRECISION: tl.constexpr):
    m = (j[:, None] < n) & (b[None, :] < B)
    off = j[:, None] * B + b[None, :]
    size = n * B
    if FIRST:  # dL/dh_T comes from the classifier
        dh = tl.load(gh + off, mask=m, other=0.0)
    else:
        dh = _columns_times_dz(W, dz_next, j, b, n, B, ROWS, K, BJ, BB, BK, PRECISION)
    g = tl.load(z + off, mask=m, other=0.0)
    i = tl.load(z + size + off, mask=m, other=0.0)
    f = tl.load(z + 2 * size + off, mask=m, other=0.0)
    o = tl.load(z + 3 * size + off, mask=m, other=0.0)
    dc = tl.load(gc + off, mask=m, other=0.0) + dh * tl.load(q + off, mask=m, other=0.0)
    tl.store(dz + off, dc * i * (1.0 - g * g), mask=m)
    tl.store(dz + size + off, dc * g * i * (1.0 - i), mask=m)
    tl.store(dz + 2 * size + off, dc * tl.load(c_prev + off, mask=m, other=0.0) * f * (1.0 - f), mask=m)
    tl.store(dz + 3 * size + off, dh * tl.load(tanh_c + off, mask=m, other=0.0) * o * (1.0 - o), mask=m)
    tl.store(gc + off, dc * f, mask=m)


@triton.jit
def _rnn_forward(W, hx, h, n, B, K: tl.constexpr, BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr,
                 PRECISION: tl.constexpr):
    j = tl.program_id(0) * BJ + tl.arange(0, BJ)
    b = tl.program_id(1) * BB + tl.arange(0, BB)
    _rnn_forward_tile(W, hx, h, j, b, n, B, K, BJ, BB, BK, PRECISION)


@triton.jit
def _rnn_backward(W, dz_next, gh, h, dz, n, B, FIRST: tl.constexpr, ROWS: tl.constexpr, K: tl.constexpr,
                  BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr, PRECISION: tl.constexpr):
    j = tl.program_id(0) * BJ + tl.arange(0, BJ)
    b = tl.program_id(1) * BB + tl.arange(0, BB)
    _rnn_backward_tile(W, dz_next, gh, h, dz, j, b, n, B, FIRST, ROWS, K, BJ, BB, BK, PRECISION)


@triton.jit
def _lstm_forward(W, hx, z, c_prev, c_next, tanh_c, q, h, n, B, K: tl.constexpr, BJ: tl.constexpr,
                  BB: tl.constexpr, BK: tl.constexpr, PRECISION: tl.constexpr):
    j = tl.program_id(0) * BJ + tl.arange(0, BJ)
    b = tl.program_id(1) * BB + tl.arange(0, BB)
    _lstm_forward_tile(W, hx, z, c_prev, c_next, tanh_c, q, h, j, b, n, B, K, BJ, BB, BK, PRECISION)


@triton.jit
def _lstm_backward(W, dz_next, gh, z, c_prev, tanh_c, q, gc, dz, n, B, FIRST: tl.constexpr, ROWS: tl.constexpr,
                   K: tl.constexpr, BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr, PRECISION: tl.constexpr):
    j = tl.program_id(0) * BJ + tl.arange(0, BJ)
    b = tl.program_id(1) * BB + tl.arange(0, BB)
    _lstm_backward_tile(W, dz_next, gh, z, c_prev, tanh_c, q, gc, dz, j, b, n, B, FIRST, ROWS, K, BJ, BB, BK,
                        PRECISION)


# The loop-in-kernel variant. Each program owns batch columns b. A step's tiles read the previous step's
# results, which other threads of the same program wrote: every step ends with a barrier (__syncthreads, which
# makes the block's global writes visible to all of its threads).

@triton.jit
def _rnn_forward_loop(W, hx, T: tl.constexpr, n: tl.constexpr, B, K: tl.constexpr, BJ: tl.constexpr,
                      BB: tl.constexpr, BK: tl.constexpr, PRECISION: tl.constexpr):
    b = tl.program_id(0) * BB + tl.arange(0, BB)
    for t in range(T):
        for j0 in range(0, n, BJ):
            j = j0 + tl.arange(0, BJ)
            _rnn_forward_tile(W, hx + t * K * B, hx + (t + 1) * K * B, j, b, n, B, K, BJ, BB, BK, PRECISION)
        tl.debug_barrier()


@triton.jit
def _rnn_backward_loop(W, gh, hx, dz, T: tl.constexpr, n: tl.constexpr, B, ROWS: tl.constexpr, K: tl.constexpr,
                       BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr, PRECISION: tl.constexpr):
    b = tl.program_id(0) * BB + tl.arange(0, BB)
    for j0 in range(0, n, BJ):  # step T - 1, from the classifier's gradient
        j = j0 + tl.arange(0, BJ)
        _rnn_backward_tile(W, dz, gh, hx + T * K * B, dz + (T - 1) * ROWS * B, j, b, n, B, True, ROWS, K, BJ, BB,
                           BK, PRECISION)
    tl.debug_barrier()
    for s in range(1, T):
        t = T - 1 - s
        for j0 in range(0, n, BJ):
            j = j0 + tl.arange(0, BJ)
            _rnn_backward_tile(W, dz + (t + 1) * ROWS * B, gh, hx + (t + 1) * K * B, dz + t * ROWS * B, j, b, n, B,
                               False, ROWS, K, BJ, BB, BK, PRECISION)
        tl.debug_barrier()


@triton.jit
def _lstm_forward_loop(W, hx, z, c, tanh_c, q, T: tl.constexpr, n: tl.constexpr, B, K: tl.constexpr,
                       BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr, PRECISION: tl.constexpr):
    b = tl.program_id(0) * BB + tl.arange(0, BB)
    size = n * B
    for t in range(T):
        for j0 in range(0, n, BJ):
            j = j0 + tl.arange(0, BJ)
            _lstm_forward_tile(W, hx + t * K * B, z + t * 4 * size, c + t * size, c + (t + 1) * size,
                               tanh_c + t * size, q + t * size, hx + (t + 1) * K * B, j, b, n, B, K, BJ, BB, BK,
                               PRECISION)
        tl.debug_barrier()


@triton.jit
def _lstm_backward_loop(W, gh, z, c, tanh_c, q, gc, dz, T: tl.constexpr, n: tl.constexpr, B, ROWS: tl.constexpr,
                        K: tl.constexpr, BJ: tl.constexpr, BB: tl.constexpr, BK: tl.constexpr, PRECISION: tl.constexpr):
    b = tl.program_id(0) * BB + tl.arange(0, BB)
    size = n * B
    last = T - 1
    for j0 in range(0, n, BJ):  # step T - 1, from the classifier's gradient
        j = j0 + tl.arange(0, BJ)
        _lstm_backward_tile(W, dz, gh, z + last * ROWS * B, c + last * size, tanh_c + last * size, q + last * size,
                            gc, dz + last * ROWS * B, j, b, n, B, True, ROWS, K, BJ, BB, BK, PRECISION)
    tl.debug_barrier()
    for s in range(1, T):
        t = T - 1 - s
        for j0 in range(0, n, BJ):
            j = j0 + tl.arange(0, BJ)
            _lstm_backward_tile(W, dz + (t + 1) * ROWS * B, gh, z + t * ROWS * B, c + t * size, tanh_c + t * size,
                                q + t * size, gc, dz + t * ROWS * B, j, b, n, B, False, ROWS, K, BJ, BB, BK, PRECISION)
        tl.debug_barrier()


def variant():
    """Which kernels run, for a run's record: "per step" or "loop in kernel", and the matmuls' precision."""
    return f"{'loop in kernel' if LOOP_IN_KERNEL else 'per step'}, {DOT_PRECISION}"


def _loops_in_kernel(ws):
    """Whether this workspace takes the loop-in-kernel variant: when switched on, and while its offsets fit int32."""
    return LOOP_IN_KERNEL and max(ws.hx.numel(), ws.dz.numel()) < 2 ** 31


def _launch(n, B, K, loop):
    """The grid and the tile arguments of a kernel: one program per tile, or (loop) per batch tile."""
    tile = LOOP_TILE if loop else STEP_TILE
    grid = (triton.cdiv(B, tile.cols),) if loop else (triton.cdiv(n, tile.rows), triton.cdiv(B, tile.cols))
    return grid, dict(K=K, BJ=tile.rows, BB=tile.cols, BK=tile.inner, PRECISION=DOT_PRECISION, num_warps=tile.warps)


def rnn_forward(ws):
    """Every step's h_t into the workspace's stacked columns."""
    n, B = ws.steps[0].h_next.shape
    loop = _loops_in_kernel(ws)
    grid, tile = _launch(n, B, ws.W.size(1), loop)
    if loop:
        return _rnn_forward_loop[grid](ws.W, ws.hx, len(ws.steps), n, B, **tile)
    for s in ws.steps:
        _rnn_forward[grid](ws.W, s.hx, s.h_next, n, B, **tile)


def rnn_backward(ws, gh):
    """Every step's dz_t into ws.dz, from gh = dL/dh_T (n, B)."""
    n, B = gh.shape
    loop = _loops_in_kernel(ws)
    grid, tile = _launch(n, B, ws.W.size(1), loop)
    if loop:
        return _rnn_backward_loop[grid](ws.W, gh, ws.hx, ws.dz, len(ws.steps), n, B, ROWS=n, **tile)
    later = None
    for s in reversed(ws.steps):
        _rnn_backward[grid](ws.W, gh if later is None else later.dz, gh, s.h_next, s.dz, n, B,
                            FIRST=later is None, ROWS=n, **tile)
        later = s


def lstm_forward(ws):
    """Every step's activations, c_t, tanh(c_t), q_t and h_t into the workspace."""
    n, B = ws.steps[0].c.shape
    loop = _loops_in_kernel(ws)
    grid, tile = _launch(n, B, ws.W.size(1), loop)
    if loop:
        return _lstm_forward_loop[grid](ws.W, ws.hx, ws.z, ws.c, ws.tanh_c, ws.q, len(ws.steps), n, B, **tile)
    for s in ws.steps:
        _lstm_forward[grid](ws.W, s.hx, s.z, s.c, s.c_next, s.tanh_c, s.q, s.h_next, n, B, **tile)


def lstm_backward(ws, gh):
    """Every step's dz_t into ws.dz, from gh = dL/dh_T (n, B)."""
    n, B = gh.shape
    loop = _loops_in_kernel(ws)
    grid, tile = _launch(n, B, ws.W.size(1), loop)
    gc = gh.new_zeros(n, B)  # dL/dc_t, carried down the steps
    if loop:
        return _lstm_backward_loop[grid](ws.W, gh, ws.z, ws.c, ws.tanh_c, ws.q, gc, ws.dz, len(ws.steps), n, B,
                                         ROWS=4 * n, **tile)
    later = None
    for s in reversed(ws.steps):
        _lstm_backward[grid](ws.W, gh if later is None else later.dz, gh, s.z, s.c, s.tanh_c, s.q, gc, s.dz, n, B,
                             FIRST=later is None, ROWS=4 * n, **tile)
        later = s
