"""A correct text model in another style: one-hot time-major input (the course's DataLoader batches stacked
along dim 0), two nn.LSTMCell layers with dropout between them, and no state returned."""
import torch
import torch.nn as nn


class TextGenerationModel(nn.Module):

    def __init__(self, batch_size, seq_length, vocabulary_size, lstm_num_hidden=256, lstm_num_layers=2,
                 device='cuda:0', dropout_keep_prob=1.0):
        super().__init__()
        self.layers = nn.ModuleList([nn.LSTMCell(vocabulary_size if k == 0 else lstm_num_hidden, lstm_num_hidden)
                                     for k in range(lstm_num_layers)])
        self.dropout = nn.Dropout(1.0 - dropout_keep_prob)
        self.to_vocabulary = nn.Linear(lstm_num_hidden, vocabulary_size)

    def forward(self, x):
        states = [None] * len(self.layers)
        outputs = []
        for x_t in x:  # x: (T, B, vocabulary_size)
            for k, cell in enumerate(self.layers):
                states[k] = cell(x_t if k == 0 else self.dropout(x_t), states[k])
                x_t = states[k][0]
            outputs.append(self.to_vocabulary(x_t))
        return torch.stack(outputs)
