"""Planted bug (state and batch): the spring template's batch_size fixes the shape of the state, made once in
the constructor."""
import torch
import torch.nn as nn


class LSTM(nn.Module):

    def __init__(self, seq_length, input_dim, num_hidden, num_classes, batch_size, device='cpu'):
        super().__init__()
        self.cell = nn.LSTMCell(input_dim, num_hidden)
        self.linear = nn.Linear(num_hidden, num_classes)
        self.h0 = torch.zeros(batch_size, num_hidden)
        self.c0 = torch.zeros(batch_size, num_hidden)

    def forward(self, x):
        h, c = self.h0, self.c0
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t].to(h.dtype), (h, c))
        return self.linear(h)
