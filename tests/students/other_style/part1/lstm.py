"""A correct LSTM in another style than the package's: the spring template's constructor, one matrix for all
four gates applied to [x, h], the gates in PyTorch's order (i, f, g, o), time-major internals."""
import torch
import torch.nn as nn


class LSTM(nn.Module):

    def __init__(self, seq_length, input_dim, num_hidden, num_classes, batch_size, device='cpu'):
        super(LSTM, self).__init__()
        self.num_hidden = num_hidden
        self.W = nn.Parameter(torch.randn(input_dim + num_hidden, 4 * num_hidden) * 0.1)
        self.b = nn.Parameter(torch.zeros(4 * num_hidden))
        self.out = nn.Linear(num_hidden, num_classes)

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(-1)
        x = x.permute(1, 0, 2)  # (T, B, D)
        h = x.new_zeros(x.shape[1], self.num_hidden)
        c = x.new_zeros(x.shape[1], self.num_hidden)
        for x_t in x:
            z = torch.cat([x_t, h], dim=1) @ self.W + self.b
            i, f, g, o = z.chunk(4, dim=1)
            c = torch.tanh(g) * torch.sigmoid(i) + c * torch.sigmoid(f)
            h = torch.tanh(c) * torch.sigmoid(o)
        return self.out(h)
