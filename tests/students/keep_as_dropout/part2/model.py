"""Planted bug (two layers and dropout): the keep probability is handed to nn.LSTM as its dropout, the probability
of dropping, so at the course's keep probability 1.0 everything between the layers is dropped."""
import torch.nn as nn


class TextGenerationModel(nn.Module):

    def __init__(self, batch_size, seq_length, vocabulary_size, lstm_num_hidden=256, lstm_num_layers=2,
                 device='cuda:0', dropout_keep_prob=1.0):
        super().__init__()
        self.embed = nn.Embedding(vocabulary_size, lstm_num_hidden)
        self.lstm = nn.LSTM(lstm_num_hidden, lstm_num_hidden, lstm_num_layers, batch_first=True,
                            dropout=dropout_keep_prob)
        self.out = nn.Linear(lstm_num_hidden, vocabulary_size)

    def forward(self, x, state=None):
        y, state = self.lstm(self.embed(x), state)
        return self.out(y), state
