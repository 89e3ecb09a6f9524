"""The report's closed-form gradients (question 1.1), written out step by step to be checked against autograd."""
import torch


def grad_W_ph(logits, target, h_T):
    """dL/dW_ph = (y_hat - y) h_T^T for one example: L cross-entropy, y_hat = softmax(p), y one-hot."""
    y = torch.zeros_like(logits)
    y[target] = 1.0
    return torch.outer(torch.softmax(logits, dim=0) - y, h_T)


def grad_W_hh_bptt(rnn, x, target):
    """dL/dW_hh of a VanillaRNN for one example x (T, d) by backpropagation through time.

    Forward: h_t = tanh(W_hx x_t + W_hh h_{t-1} + b_h), h_0 = 0, p = W_ph h_T + b_p.
    Backward: delta_T = dL/dh_T = W_ph^T (y_hat - y); for t = T, ..., 1: a_t = delta_t * (1 - h_t^2),
    dL/dW_hh += a_t h_{t-1}^T and delta_{t-1} = W_hh^T a_t.
    """
    with torch.no_grad():
        h = [torch.zeros(rnn.num_hidden, dtype=x.dtype)]
        for x_t in x:
            h.append(torch.tanh(rnn.W_hx @ x_t + rnn.W_hh @ h[-1] + rnn.b_h))
        y_hat = torch.softmax(rnn.W_ph @ h[-1] + rnn.b_p, dim=0)
        y_hat[target] -= 1.0
        delta = rnn.W_ph.t() @ y_hat
        grad = torch.zeros_like(rnn.W_hh)
        for t in range(len(x), 0, -1):
            a = delta * (1 - h[t] ** 2)  # through tanh
            grad += torch.outer(a, h[t - 1])
            delta = rnn.W_hh.t() @ a
    return grad
