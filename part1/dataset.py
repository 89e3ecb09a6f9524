"""Palindromes of digits: the inputs are all digits but the last, the target is the last digit."""
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torch.utils.data as data

from uvadl2019.checks import check_seeds, check_whole
from uvadl2019.memory import check_large
from uvadl2019.seeding import DeviceGenerators, derive_seed

TRAIN_STREAM, TEST_STREAM = 0, 1


class PalindromeDataset(data.Dataset):
    """Random palindromes of `seq_length` digits, as in the course, with its own seeded randomness.

    Item `idx` depends only on (seed, idx), so DataLoader workers neither share nor repeat a random state.
    `batch()` draws a whole batch as tensors in one vectorised call, from a torch generator per device.
    """

    def __init__(self, seq_length, seed=None, one_hot=False):
        check_whole(2, seq_length=seq_length)  # one input digit and the target
        if seed is not None:
            check_whole(0, seed=seed)
            check_seeds("seed", seed)
            seed = int(seed)  # NumPy's integers too
        self.seq_length = seq_length
        self.seed = seed
        self.one_hot = one_hot
        self._generators = DeviceGenerators(seed)

    def __len__(self):
        # Effectively infinite: 10 ** ceil(seq_length / 2) distinct palindromes.
        return sys.maxsize

    def __getitem__(self, idx):
        check_whole(0, idx=idx)  # every index is a palindrome of its own; none counts from the end
        rng = np.random.default_rng(None if self.seed is None else [self.seed, idx])
        full_palindrome = self.generate_palindrome(rng)
        inputs = full_palindrome[:-1]
        if self.one_hot:
            inputs = np.eye(10, dtype=np.float32)[inputs.astype(np.int64)]
        return inputs, int(full_palindrome[-1])

    def generate_palindrome(self, rng):
        """One palindrome as float32 digits: ceil(seq_length / 2) random digits, mirrored."""
        left = rng.integers(0, 10, size=math.ceil(self.seq_length / 2)).astype(np.float32)
        right = np.flip(left, 0) if self.seq_length % 2 == 0 else np.flip(left[:-1], 0)
        return np.concatenate((left, right))

    def batch(self, batch_size, device="cpu"):
        """(inputs, targets): inputs (B, seq_length-1) float digits, or (B, seq_length-1, 10) one-hot;
        targets (B,) long."""
        check_whole(1, batch_size=batch_size)
        check_large(torch.device(device), batch_size * self.seq_length * (10 if self.one_hot else 1) * 4 * 3,
                   batch_size=batch_size)
        generator = self._generators.get(device)
        left = torch.randint(0, 10, (batch_size, math.ceil(self.seq_length / 2)),
                             generator=generator, device=generator.device)
        right = left.flip(1) if self.seq_length % 2 == 0 else left[:, :-1].flip(1)
        digits = torch.cat([left, right], dim=1)  # (B, seq_length)
        inputs, targets = digits[:, :-1], digits[:, -1]
        inputs = F.one_hot(inputs, 10).float() if self.one_hot else inputs.float()
        return inputs, targets


def train_and_test_data(input_length, seed, test_size=8192, one_hot=False, device="cpu"):
    """The training dataset and a fixed held-out test set (inputs, targets) of `test_size` fresh palindromes.

    `input_length` counts the input digits, so palindromes have input_length + 1 digits. Training and test
    draw from different seeds derived from `seed`.
    """
    seq_length = input_length + 1
    train = PalindromeDataset(seq_length, seed=derive_seed(seed, TRAIN_STREAM), one_hot=one_hot)
    test = PalindromeDataset(seq_length, seed=derive_seed(seed, TEST_STREAM), one_hot=one_hot)
    return train, test.batch(test_size, device)
