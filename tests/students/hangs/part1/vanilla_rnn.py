"""Misbehaving (sandbox): forward never returns."""
import torch
import torch.nn as nn


class VanillaRNN(nn.Module):

    def __init__(self, seq_length, input_dim, num_hidden, num_classes, device='cpu'):
        super().__init__()
        self.W_hx = nn.Parameter(nn.init.xavier_normal_(torch.empty(num_hidden, input_dim)))
        self.W_hh = nn.Parameter(nn.init.xavier_normal_(torch.empty(num_hidden, num_hidden)))
        self.b_h = nn.Parameter(torch.zeros(num_hidden))
        self.W_ph = nn.Parameter(nn.init.xavier_normal_(torch.empty(num_classes, num_hidden)))
        self.b_p = nn.Parameter(torch.zeros(num_classes))

    def forward(self, x):
        while True:
            pass
        h = x.new_zeros(x.shape[0], self.W_hh.shape[0])
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ self.W_hx.t() + h @ self.W_hh.t() + self.b_h)
        return h @ self.W_ph.t() + self.b_p
