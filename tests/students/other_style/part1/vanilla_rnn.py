"""A correct vanilla RNN with nn.Linear layers (two biases on the hidden state) and the fall template's
constructor with device as a keyword."""
import torch
import torch.nn as nn


class VanillaRNN(nn.Module):

    def __init__(self, seq_length, input_dim, num_hidden, num_classes, device='cpu'):
        super().__init__()
        self.input_dim = input_dim
        self.x_to_h = nn.Linear(input_dim, num_hidden)
        self.h_to_h = nn.Linear(num_hidden, num_hidden)
        self.h_to_p = nn.Linear(num_hidden, num_classes)

    def forward(self, x):
        x = x.reshape(x.shape[0], x.shape[1], self.input_dim)
        h = torch.zeros(x.shape[0], self.h_to_h.in_features, dtype=x.dtype, device=x.device)
        for t in range(x.shape[1]):
            h = torch.tanh(self.x_to_h(x[:, t]) + self.h_to_h(h))
        return self.h_to_p(h)
