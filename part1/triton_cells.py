"""Fused LSTM cell for CUDA, in Triton: one kernel per step forward and one backward, instead of about ten.

Imported only on CUDA (part1.bptt.fused_cells); PyTorch's CUDA builds bring Triton with them. Each kernel reads
and writes the feature-major (n, B) blocks of part1.bptt.Workspace; the gate blocks of z are `size` = n * B
elements apart, in the order g, i, f, o.
"""
import triton
import triton.language as tl

BLOCK = 1024


@triton.jit
def _tanh(x):
    # sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|}): no overflow for any x
    e = tl.exp(-2.0 * tl.abs(x))
    t = (1.0 - e) / (1.0 + e)
    return tl.where(x >= 0, t, -t)


@triton.jit
def _forward_kernel(z, c_prev, c_next, tanh_c, q, h, size, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < size
    g = _tanh(tl.load(z + offs, mask=m))
    i = tl.sigmoid(tl.load(z + size + offs, mask=m))
    f = tl.sigmoid(tl.load(z + 2 * size + offs, mask=m))
    o = tl.sigmoid(tl.load(z + 3 * size + offs, mask=m))
    c = g * i + tl.load(c_prev + offs, mask=m) * f
    tc = _tanh(c)
    tl.store(z + offs, g, mask=m)
    tl.store(z + size + offs, i, mask=m)
    tl.store(z + 2 * size + offs, f, mask=m)
    tl.store(z + 3 * size + offs, o, mask=m)
    tl.store(c_next + offs, c, mask=m)
    tl.store(tanh_c + offs, tc, mask=m)
    tl.store(q + offs, o * (1.0 - tc * tc), mask=m)
    tl.store(h + offs, tc * o, mask=m)


@triton.jit
def _backward_kernel(z, c_prev, tanh_c, q, gh, gc, dz, size, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < size
    g = tl.load(z + offs, mask=m)
    i = tl.load(z + size + offs, mask=m)
    f = tl.load(z + 2 * size + offs, mask=m)
    o = tl.load(z + 3 * size + offs, mask=m)
    dh = tl.load(gh + offs, mask=m)
    dc = tl.load(gc + offs, mask=m) + dh * tl.load(q + offs, mask=m)
    tl.store(dz + offs, dc * i * (1.0 - g * g), mask=m)
    tl.store(dz + size + offs, dc * g * i * (1.0 - i), mask=m)
    tl.store(dz + 2 * size + offs, dc * tl.load(c_prev + offs, mask=m) * f * (1.0 - f), mask=m)
    tl.store(dz + 3 * size + offs, dh * tl.load(tanh_c + offs, mask=m) * o * (1.0 - o), mask=m)
    tl.store(gc + offs, dc * f, mask=m)


def lstm_cell_forward(step, ws):
    """Activations into step.z in place; c_t, tanh(c_t), q_t and h_t into their blocks."""
    size = step.c.numel()
    _forward_kernel[(triton.cdiv(size, BLOCK),)](step.z, step.c, step.c_next, step.tanh_c, step.q, step.h_next,
                                                 size, BLOCK=BLOCK)


def lstm_cell_backward(step, ws, gh, gc):
    """dL/dz_t into step.dz from dL/dh_t (gh) and dL/dc_t (gc); gc becomes dL/dc_{t-1}."""
    size = gh.numel()
    _backward_kernel[(triton.cdiv(size, BLOCK),)](step.z, step.c, step.tanh_c, step.q, gh, gc, step.dz,
                                                  size, BLOCK=BLOCK)
