"""Planted bug (interface): the model works with column vectors and returns p as (num_classes, batch)."""
import torch
import torch.nn as nn


class VanillaRNN(nn.Module):

    def __init__(self, seq_length, input_dim, num_hidden, num_classes, device='cpu'):
        super().__init__()
        self.W_hx = nn.Parameter(nn.init.xavier_normal_(torch.empty(num_hidden, input_dim)))
        self.W_hh = nn.Parameter(nn.init.xavier_normal_(torch.empty(num_hidden, num_hidden)))
        self.b_h = nn.Parameter(torch.zeros(num_hidden, 1))
        self.W_ph = nn.Parameter(nn.init.xavier_normal_(torch.empty(num_classes, num_hidden)))
        self.b_p = nn.Parameter(torch.zeros(num_classes, 1))

    def forward(self, x):
        h = torch.zeros(self.W_hh.shape[0], x.shape[0], dtype=x.dtype)
        for t in range(x.shape[1]):
            h = torch.tanh(self.W_hx @ x[:, t].T + self.W_hh @ h + self.b_h)
        return self.W_ph @ h + self.b_p
