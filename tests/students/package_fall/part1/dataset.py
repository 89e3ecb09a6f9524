"""A student's palindrome dataset, as the course's: palindromes of seq_length digits, the last one the target."""
import numpy as np
import torch.utils.data as data


class PalindromeDataset(data.Dataset):

    def __init__(self, seq_length):
        self.seq_length = seq_length

    def __len__(self):
        return 10 ** 6

    def __getitem__(self, idx):
        left = np.random.randint(0, 10, size=(self.seq_length + 1) // 2).astype(np.float32)
        digits = np.concatenate([left, left[::-1][self.seq_length % 2:]])
        return digits[:-1], int(digits[-1])
