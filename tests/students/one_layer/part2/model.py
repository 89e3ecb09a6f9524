"""Planted bug (two layers and dropout): one LSTM layer, whatever lstm_num_layers says."""
import torch.nn as nn


class TextGenerationModel(nn.Module):

    def __init__(self, batch_size, seq_length, vocabulary_size, lstm_num_hidden=256, lstm_num_layers=2,
                 device='cuda:0', dropout_keep_prob=1.0):
        super().__init__()
        self.embed = nn.Embedding(vocabulary_size, lstm_num_hidden)
        self.lstm = nn.LSTM(lstm_num_hidden, lstm_num_hidden, 1, batch_first=True)
        self.out = nn.Linear(lstm_num_hidden, vocabulary_size)

    def forward(self, x, state=None):
        y, state = self.lstm(self.embed(x), state)
        return self.out(y), state
