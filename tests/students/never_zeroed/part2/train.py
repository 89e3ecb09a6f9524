"""Planted bug (step order): the gradients are never zeroed, so every backward() adds to the last step's."""
import argparse

import torch
from torch.utils.data import DataLoader

from part2.dataset import TextDataset
from part2.model import TextGenerationModel


def train(config):
    dataset = TextDataset(config.txt_file, config.seq_length)
    loader = DataLoader(dataset, config.batch_size)
    model = TextGenerationModel(config.batch_size, config.seq_length, dataset.vocab_size, config.lstm_num_hidden,
                                config.lstm_num_layers, config.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    step = 0
    while step < config.train_steps:
        for inputs, targets in loader:
            inputs, targets = torch.stack(inputs, dim=1), torch.stack(targets, dim=1)
            logits, _ = model(inputs)
            loss = torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=config.max_norm)
            optimizer.step()
            step += 1
            if step == config.train_steps:
                break


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument('--txt_file', type=str, required=True)
    parser.add_argument('--seq_length', type=int, default=30)
    parser.add_argument('--lstm_num_hidden', type=int, default=128)
    parser.add_argument('--lstm_num_layers', type=int, default=2)
    parser.add_argument('--device', type=str, default="cuda:0")
    parser.add_argument('--batch_size', type=int, default=64)
    parser.add_argument('--learning_rate', type=float, default=2e-3)
    parser.add_argument('--train_steps', type=int, default=1000000)
    parser.add_argument('--max_norm', type=float, default=5.0)
    train(parser.parse_args())
