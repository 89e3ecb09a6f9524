"""A student's part 1 training script in the course's shape: its options, a DataLoader of palindromes, and each
step backward, clipping, step."""
import argparse

import torch
from torch.utils.data import DataLoader

from part1.dataset import PalindromeDataset
from part1.lstm import LSTM
from part1.vanilla_rnn import VanillaRNN


def train(config):
    model_class = VanillaRNN if config.model_type == 'RNN' else LSTM
    model = model_class(config.input_length, config.input_dim, config.num_hidden, config.num_classes, config.device)
    loader = DataLoader(PalindromeDataset(config.input_length + 1), config.batch_size, num_workers=1)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.learning_rate)
    for step, (inputs, targets) in enumerate(loader):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(inputs.to(config.device)), targets.to(config.device))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=config.max_norm)
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step}, loss {loss.item():.3f}")
        if step + 1 == config.train_steps:
            break


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument('--model_type', type=str, default="RNN")
    parser.add_argument('--input_length', type=int, default=10)
    parser.add_argument('--input_dim', type=int, default=1)
    parser.add_argument('--num_classes', type=int, default=10)
    parser.add_argument('--num_hidden', type=int, default=128)
    parser.add_argument('--batch_size', type=int, default=128)
    parser.add_argument('--learning_rate', type=float, default=0.001)
    parser.add_argument('--train_steps', type=int, default=10000)
    parser.add_argument('--max_norm', type=float, default=10.0)
    parser.add_argument('--device', type=str, default="cuda:0")
    train(parser.parse_args())
