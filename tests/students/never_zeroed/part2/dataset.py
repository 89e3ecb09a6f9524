"""A student's character dataset, as the course's: random windows of the book, the targets one later."""
import random

import torch.utils.data as data


class TextDataset(data.Dataset):

    def __init__(self, filename, seq_length):
        self._text = open(filename, 'r', encoding='utf-8').read()
        self._chars = sorted(set(self._text))
        self._char_to_ix = {ch: i for i, ch in enumerate(self._chars)}
        self._seq_length = seq_length

    def __getitem__(self, item):
        offset = random.randint(0, len(self._text) - self._seq_length - 2)
        inputs = [self._char_to_ix[ch] for ch in self._text[offset:offset + self._seq_length]]
        targets = [self._char_to_ix[ch] for ch in self._text[offset + 1:offset + self._seq_length + 1]]
        return inputs, targets

    def __len__(self):
        return len(self._text)

    @property
    def vocab_size(self):
        return len(self._chars)
