"""Planted bug (equations): the output gate has no bias b_o."""
import torch
import torch.nn as nn


def weight(rows, cols):
    return nn.Parameter(nn.init.xavier_normal_(torch.empty(rows, cols)))


class LSTM(nn.Module):

    def __init__(self, seq_length, input_dim, num_hidden, num_classes, device='cpu'):
        super().__init__()
        n, d = num_hidden, input_dim
        self.W_gx, self.W_gh, self.b_g = weight(n, d), weight(n, n), nn.Parameter(torch.zeros(n))
        self.W_ix, self.W_ih, self.b_i = weight(n, d), weight(n, n), nn.Parameter(torch.zeros(n))
        self.W_fx, self.W_fh, self.b_f = weight(n, d), weight(n, n), nn.Parameter(torch.ones(n))
        self.W_ox, self.W_oh = weight(n, d), weight(n, n)
        self.W_ph, self.b_p = weight(num_classes, n), nn.Parameter(torch.zeros(num_classes))

    def forward(self, x):
        h = c = x.new_zeros(x.shape[0], self.W_gh.shape[0])
        for t in range(x.shape[1]):
            x_t = x[:, t]
            g = torch.tanh(x_t @ self.W_gx.T + h @ self.W_gh.T + self.b_g)
            i = torch.sigmoid(x_t @ self.W_ix.T + h @ self.W_ih.T + self.b_i)
            f = torch.sigmoid(x_t @ self.W_fx.T + h @ self.W_fh.T + self.b_f)
            o = torch.sigmoid(x_t @ self.W_ox.T + h @ self.W_oh.T)
            c = g * i + c * f
            h = torch.tanh(c) * o
        return h @ self.W_ph.T + self.b_p
