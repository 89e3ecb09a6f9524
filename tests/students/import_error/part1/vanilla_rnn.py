"""Planted bug (loads): torch.nn is used but never imported."""
import torch


class VanillaRNN(nn.Module):

    def __init__(self, seq_length, input_dim, num_hidden, num_classes, device='cpu'):
        super().__init__()
