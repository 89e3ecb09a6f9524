"""The torch back end: each step's elementwise work as PyTorch ops writing into the workspace (`out=`)."""
import sys

import torch


def missing():
    """Why these cells cannot run here: never (PyTorch is all they need)."""
    return None


def make(triton_tiles=None):
    """The cells: this module's functions."""
    return sys.modules[__name__]


def rnn_cell_forward(step, ws):
    """h_t = tanh(z_t), in place: step.h_next holds z_t."""
    step.h_next.tanh_()


def rnn_cell_backward(step, ws, dh):
    """step.dz = dh * (1 - h_t^2), from dL/dh_t (dh)."""
    torch.addcmul(ws.ones, step.h_next, step.h_next, value=-1, out=step.dz).mul_(dh)


def lstm_cell_forward(step, ws):
    """g = tanh, i, f, o = sigmoid (in place in step.z); c_t = g * i + c_{t-1} * f; h_t = tanh(c_t) * o."""
    g, i, f, o = step.gates
    g.tanh_()
    step.sig.sigmoid_()
    torch.mul(g, i, out=step.c_next).addcmul_(step.c, f)
    torch.tanh(step.c_next, out=step.tanh_c)
    torch.mul(step.tanh_c, o, out=step.h_next)
    torch.addcmul(o, step.h_next, step.tanh_c, value=-1, out=step.q)  # o (1 - tanh(c)^2) = o - h tanh(c)


def lstm_cell_backward(step, ws, dh, dc):
    """dL/dz_t into step.dz from dL/dh_t (dh) and dL/dc_t (dc); dc becomes dL/dc_{t-1}."""
    g, i, f, o = step.gates
    dz_g, dz_i, dz_f, dz_o = step.dz_gates
    torch.addcmul(ws.ones, g, g, value=-1, out=ws.deriv_g)
    torch.addcmul(step.sig, step.sig, step.sig, value=-1, out=ws.deriv_sig)
    dc.addcmul_(dh, step.q)
    torch.mul(dc, i, out=dz_g)
    torch.mul(dc, g, out=dz_i)
    torch.mul(dc, step.c, out=dz_f)
    torch.mul(dh, step.tanh_c, out=dz_o)
    step.dz.mul_(ws.deriv)
    dc.mul_(f)
