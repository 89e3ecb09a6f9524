"""Which of a student's parameters plays which weight of the report's equations.

Every way the parameters' shapes allow is a candidate: a matrix stored as the report writes it or transposed,
one matrix per gate or the gates stacked in one, the input and hidden weights side by side in one matrix, one
bias per gate or two (as nn.Linear and nn.LSTMCell have), in any gate order, or where the assignment's names
(W_gx, b_o, ...) say which gate a parameter is. A role no parameter fills (a missing bias) is zero.
"""
import itertools
import re
from dataclasses import dataclass

import torch

from check_assignment.equations import GATES

MAX_PLANS = 1 << 16  # readings of the parameters' shapes tried at most; more means a model this checker cannot map


@dataclass(frozen=True)
class Piece:
    """A block of a student's parameter: `rows` and `cols` of it, or of its transpose."""
    param: int
    transposed: bool = False
    rows: tuple = (None, None)
    cols: tuple = (None, None)
    flat: bool = False  # a bias: the parameter flattened (a column or row vector stored as a matrix)

    def take(self, tensors):
        t = tensors[self.param]
        if self.flat:
            return t.reshape(-1)[slice(*self.rows)]
        t = t.T if self.transposed else t
        return t[slice(*self.rows), slice(*self.cols)]


def prod(values):
    result = 1
    for v in values:
        result *= v
    return result


def readings(shape, D, H, C, G):
    """How a parameter of `shape` can enter the equations: (kind, transposed, blocks) for kinds x, h, xh (input
    then hidden columns), hx, bias, readout and readout bias."""
    found = []
    size = prod(shape)
    if len(shape) == 1 or (len(shape) == 2 and 1 in shape):  # a vector, or a column or row stored as a matrix
        found += [("bias", False, size // H) for _ in [0] if size in (H, G * H)]
        found += [("readout bias", False, 1) for _ in [0] if size == C]
    if len(shape) != 2:
        return found
    for transposed in (False, True):
        rows, cols = shape[::-1] if transposed else shape
        if rows in (H, G * H):
            kinds = {D: ["x"], H: ["h"], D + H: ["xh", "hx"]}
            found += [(kind, transposed, rows // H) for size, names in kinds.items() if cols == size for kind in names]
        if (rows, cols) == (C, H):
            found.append(("readout", transposed, 1))
    return list(dict.fromkeys(found))


def gate_hint(name):
    """The gate letter in an assignment-style name (W_gx, W_ih, b_f, Wfx, ...), or None."""
    last = name.split(".")[-1].lower()
    match = re.fullmatch(r"w_?([gifo])_?[xh]|w_?[xh]_?([gifo])|b_?([gifo])", last)
    return next((letter for letter in match.groups() if letter), None) if match else None


def plans(shapes, D, H, C, G):
    """Every consistent reading of all parameters: a tuple of one reading per parameter, with G input and G hidden
    blocks in one orientation each, one read-out and at most one read-out bias."""
    options = [readings(shape, D, H, C, G) for shape in shapes]
    if any(not o for o in options) or prod(len(o) for o in options) > MAX_PLANS:
        return []
    found = []
    for plan in itertools.product(*options):
        kinds = [kind for kind, _, _ in plan]
        x_flags = {t for kind, t, _ in plan if kind in ("x", "xh", "hx")}
        h_flags = {t for kind, t, _ in plan if kind == "h"}
        if (sum(k for kind, _, k in plan if kind in ("x", "xh", "hx")) == G
                and sum(k for kind, _, k in plan if kind in ("h", "xh", "hx")) == G
                and kinds.count("readout") == 1 and kinds.count("readout bias") <= 1
                and len(x_flags) <= 1 and len(h_flags) <= 1):
            found.append(plan)
    return found


def blocks(plan, D, H):
    """The plan's input, hidden and bias blocks, each a list of Pieces in the parameters' order, and its read-out
    and read-out bias Pieces (None where absent)."""
    x, h, bias, readout, readout_bias = [], [], [], None, None
    for index, (kind, transposed, k) in enumerate(plan):
        for j in range(k):
            rows = (j * H, (j + 1) * H) if k > 1 else (None, None)
            if kind == "x":
                x.append(Piece(index, transposed, rows))
            elif kind == "h":
                h.append(Piece(index, transposed, rows))
            elif kind in ("xh", "hx"):
                x_cols, h_cols = ((0, D), (D, D + H)) if kind == "xh" else ((H, H + D), (0, H))
                x.append(Piece(index, transposed, rows, x_cols))
                h.append(Piece(index, transposed, rows, h_cols))
            elif kind == "bias":
                bias.append(Piece(index, rows=rows, flat=True))
        if kind == "readout":
            readout = Piece(index, transposed)
        elif kind == "readout bias":
            readout_bias = Piece(index, flat=True)
    return x, h, bias, readout, readout_bias


def bias_slots(bias, G):
    """Ways to give each bias block a gate slot: [[(slot, Piece)]]. G blocks: one per slot, in order; 2G: two per
    slot (as nn.Linear's or nn.LSTMCell's pairs), taken in two halves or alternately; fewer: every choice of the
    slots they fill, in order (the rest are missing)."""
    n = len(bias)
    if n == 2 * G:
        return [[(s % G, p) for s, p in enumerate(bias)], [(s // 2, p) for s, p in enumerate(bias)]]
    if n <= G:
        return [list(zip(slots, bias)) for slots in itertools.combinations(range(G), n)]
    return []


def candidates(names, shapes, D, H, C, G):
    """Every candidate mapping {role: (Piece, ...)} (summed; () is zero). Where every gate-wise block comes from
    a parameter with an assignment-style name that covers each gate once, the names fix the gate order."""
    hinted = [gate_hint(name) for name in names]
    for plan in plans(shapes, D, H, C, G):
        x, h, bias, readout, readout_bias = blocks(plan, D, H)
        for slotted in bias_slots(bias, G):
            named = named_mapping(x, h, slotted, hinted, readout, readout_bias) if G > 1 else None
            if named:
                yield named
                continue
            for order in itertools.permutations(range(G)):
                yield mapping(x, h, slotted, order, readout, readout_bias, G)


def mapping(x, h, slotted, order, readout, readout_bias, G):
    """The roles with slot s played by gate order[s]."""
    roles = {"W_ph": (readout,), "b_p": (readout_bias,) if readout_bias else ()}
    for slot, gate in enumerate(GATES[i] for i in order) if G > 1 else [(0, None)]:
        x_role, h_role, b_role = ("W_hx", "W_hh", "b_h") if G == 1 else (f"W_{gate}x", f"W_{gate}h", f"b_{gate}")
        roles[x_role], roles[h_role] = (x[slot],), (h[slot],)
        roles[b_role] = tuple(p for s, p in slotted if s == slot)
    return roles


def named_mapping(x, h, slotted, hinted, readout, readout_bias):
    """The roles by the gates the parameters' names give; None unless the names cover each gate once."""
    by_gate = {}
    for kind, pieces in (("x", x), ("h", h)):
        for p in pieces:
            by_gate.setdefault((hinted[p.param], kind), []).append(p)
    wanted = {(g, k) for g in GATES for k in ("x", "h")}
    if set(by_gate) != wanted or any(len(v) != 1 for v in by_gate.values()) \
            or any(not hinted[p.param] for _, p in slotted):
        return None
    roles = {"W_ph": (readout,), "b_p": (readout_bias,) if readout_bias else ()}
    for gate in GATES:
        roles[f"W_{gate}x"], roles[f"W_{gate}h"] = tuple(by_gate[gate, "x"]), tuple(by_gate[gate, "h"])
        roles[f"b_{gate}"] = tuple(p for _, p in slotted if hinted[p.param] == gate)
    return roles


def build(roles, tensors, shapes_of_roles):
    """The report's weights {role: tensor} from the student's `tensors` by `roles`; a missing role is zero."""
    return {role: sum(p.take(tensors) for p in pieces) if pieces
            else torch.zeros(shapes_of_roles[role], dtype=tensors[0].dtype, device=tensors[0].device)
            for role, pieces in roles.items()}


def describe(roles, names):
    """'W.T -> W_ix W_ih ...; b -> b_i ...': which roles each parameter fills, in the parameters' order; '' when
    every role is a parameter of its own name."""
    filled = {}
    for role, pieces in roles.items():
        for p in pieces:
            filled.setdefault((p.param, p.transposed), []).append(role)
    if all(len(r) == 1 and names[param].split(".")[-1] == r[0] and not t for (param, t), r in filled.items()):
        return ""
    return "; ".join(f"{names[param]}{'.T' if t else ''} -> {' '.join(r)}" for (param, t), r in sorted(filled.items()))
