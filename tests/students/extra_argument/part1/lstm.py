"""Planted bug (loads): the constructor asks for an argument the course's train.py never passes."""
import torch.nn as nn


class LSTM(nn.Module):

    def __init__(self, seq_length, input_dim, num_hidden, num_classes, device, dropout):
        super().__init__()
        self.cell = nn.LSTMCell(input_dim, num_hidden)
        self.out = nn.Linear(num_hidden, num_classes)

    def forward(self, x):
        h = c = None
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], None if h is None else (h, c))
        return self.out(h)
