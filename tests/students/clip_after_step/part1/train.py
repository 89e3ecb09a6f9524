"""Planted bug (step order): the gradient is clipped after optimizer.step(), which has used it unclipped.
The model and the data are written here, so that the file stands alone."""
import argparse

import torch
import torch.nn as nn


class RNN(nn.Module):

    def __init__(self, num_hidden):
        super().__init__()
        self.rnn = nn.RNN(10, num_hidden, batch_first=True)
        self.out = nn.Linear(num_hidden, 10)

    def forward(self, x):
        return self.out(self.rnn(x)[0][:, -1])


def palindromes(batch_size, length):
    left = torch.randint(0, 10, (batch_size, (length + 2) // 2))
    digits = torch.cat([left, left.flip(1)[:, (length + 1) % 2:]], dim=1)
    return nn.functional.one_hot(digits[:, :-1], 10).float(), digits[:, -1]


def train(config):
    model = RNN(config.num_hidden)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.learning_rate)
    for step in range(config.train_steps):
        inputs, targets = palindromes(config.batch_size, config.input_length)
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=config.max_norm)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument('--input_length', type=int, default=10)
    parser.add_argument('--num_hidden', type=int, default=128)
    parser.add_argument('--batch_size', type=int, default=128)
    parser.add_argument('--learning_rate', type=float, default=0.001)
    parser.add_argument('--train_steps', type=int, default=10000)
    parser.add_argument('--max_norm', type=float, default=10.0)
    parser.add_argument('--device', type=str, default="cuda:0")
    train(parser.parse_args())
