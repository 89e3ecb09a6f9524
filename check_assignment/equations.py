"""The report's equations as plain functions of named weights, with the common ways students' models depart from
them: the standard against which a student's logits are compared (part1's models are tested equal to these)."""
import torch

GATES = ("g", "i", "f", "o")
RNN_ROLES = ("W_hx", "W_hh", "b_h", "W_ph", "b_p")
LSTM_ROLES = tuple(f"W_{gate}{source}" if source else f"b_{gate}" for gate in GATES for source in ("x", "h", "")) \
    + ("W_ph", "b_p")

# Variants: the name a failure reports, and what it means.
RNN_VARIANTS = {
    "no tanh": "h_t = W_hx x_t + W_hh h_(t-1) + b_h, without the tanh",
    "ReLU": "h_t = ReLU(W_hx x_t + W_hh h_(t-1) + b_h): ReLU where the report has tanh",
    "sigmoid": "h_t = sigmoid(...): a sigmoid where the report has tanh",
    "state not carried": "h_(t-1) is zero at every step: the hidden state is not passed on",
    "first state read out": "p = W_ph h_1 + b_p: the read-out takes the first hidden state, not the last",
    "softmax": "forward returns softmax(p), probabilities, not the logits p that cross_entropy expects",
}
LSTM_VARIANTS = {
    "no tanh on c": "h = c * o, without the tanh on the cell state",
    "previous c in h": "h = tanh(c_(t-1)) * o: h takes the cell state before its update",
    "o inside the tanh": "h = tanh(c * o), the output gate inside the tanh",
    "sigmoid g": "g = sigmoid(...): a sigmoid where the report has tanh",
    "tanh gates": "i, f, o = tanh(...): tanh where the report has a sigmoid",
    "cell state not carried": "c_t = g * i: c_(t-1) is not passed on",
    "hidden state not carried": "h_(t-1) is zero in every gate: the hidden state is not passed on",
    "c read out": "p = W_ph c_T + b_p: the read-out takes the cell state, not h",
    "first state read out": "p = W_ph h_1 + b_p: the read-out takes the first hidden state, not the last",
    "softmax": "forward returns softmax(p), probabilities, not the logits p that cross_entropy expects",
}
ACTIVATION = {"no tanh": lambda a: a, "ReLU": torch.relu, "sigmoid": torch.sigmoid}


def rnn_logits(x, P, variant=None):
    """p = W_ph h_T + b_p with h_t = tanh(W_hx x_t + W_hh h_(t-1) + b_h), h_0 = 0; x (T, B, D) -> (B, C).
    variant: a key of RNN_VARIANTS, or None for the report's equations."""
    h = x.new_zeros(x.size(1), P["W_hh"].size(0))
    states = []
    for x_t in x:
        h_prev = torch.zeros_like(h) if variant == "state not carried" else h
        h = ACTIVATION.get(variant, torch.tanh)(x_t @ P["W_hx"].T + h_prev @ P["W_hh"].T + P["b_h"])
        states.append(h)
    return read_out(states[0] if variant == "first state read out" else h, P, variant)


def lstm_logits(x, P, variant=None):
    """p = W_ph h_T + b_p with the report's gates g, i, f, o, c_t = g * i + c_(t-1) * f, h_t = tanh(c_t) * o and
    h_0 = c_0 = 0; x (T, B, D) -> (B, C). variant: a key of LSTM_VARIANTS, or None for the report's equations."""
    h = c = x.new_zeros(x.size(1), P["W_gh"].size(0))
    states = []
    for x_t in x:
        h_prev = torch.zeros_like(h) if variant == "hidden state not carried" else h
        a = {gate: x_t @ P[f"W_{gate}x"].T + h_prev @ P[f"W_{gate}h"].T + P[f"b_{gate}"] for gate in GATES}
        gate_fn = torch.tanh if variant == "tanh gates" else torch.sigmoid
        g = (torch.sigmoid if variant == "sigmoid g" else torch.tanh)(a["g"])
        i, f, o = gate_fn(a["i"]), gate_fn(a["f"]), gate_fn(a["o"])
        c_prev = c
        c = g * i if variant == "cell state not carried" else g * i + c * f
        h = {"no tanh on c": lambda: c * o, "previous c in h": lambda: torch.tanh(c_prev) * o,
             "o inside the tanh": lambda: torch.tanh(c * o)}.get(variant, lambda: torch.tanh(c) * o)()
        states.append(h)
    last = c if variant == "c read out" else states[0] if variant == "first state read out" else h
    return read_out(last, P, variant)


def read_out(h, P, variant):
    p = h @ P["W_ph"].T + P["b_p"]
    return p.softmax(-1) if variant == "softmax" else p


MODELS = {"VanillaRNN": (rnn_logits, RNN_ROLES, RNN_VARIANTS, 1), "LSTM": (lstm_logits, LSTM_ROLES, LSTM_VARIANTS, 4)}
