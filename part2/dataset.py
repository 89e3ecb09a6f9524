"""Character windows of a book: inputs at [offset, offset + L) and targets one character later; the vocabulary's
characters to indices and back."""
from pathlib import Path

import torch
import torch.utils.data as data

from uvadl2019.checks import check_fraction, check_whole
from uvadl2019.seeding import DeviceGenerators, derive_seed


def encode(text, vocabulary):
    """Indices of the characters of `text`; a character outside the vocabulary is a ValueError naming it."""
    index = {ch: i for i, ch in enumerate(vocabulary)}
    unknown = sorted(set(text) - set(index))
    if unknown:
        raise ValueError(f"characters not in the book's vocabulary: {''.join(unknown)!r}")
    return [index[ch] for ch in text]


def decode(char_ix, vocabulary):
    return "".join(vocabulary[int(i)] for i in char_ix)


def read_text(filename):
    """The book as a string: UTF-8 without a leading byte-order mark, or ISO-8859-1 when not UTF-8; a file that
    is not text (NUL bytes, or more than 1 % control characters) is a ValueError."""
    raw = Path(filename).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("iso-8859-1")  # the course's calculus book is ISO-8859-1
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    if "\x00" in text or controls > len(text) / 100:
        raise ValueError(f"'{filename}' is not a text file (it holds NUL bytes or control characters); give a "
                         f"plain-text book with --txt_file")
    return text.removeprefix("\ufeff")


class TextDataset(data.Dataset):
    """The course's character dataset, with a sorted vocabulary, a held-out slice and vectorised batches.

    The text is encoded once into a tensor. A `val_fraction` slice from the middle of it is held out for
    validation (none when that slice is shorter than a window). `batch()` draws random training windows from a
    seeded generator; item `idx` depends only on (seed, idx).
    """

    def __init__(self, filename, seq_length, seed=None, val_fraction=0.05):
        check_whole(1, seq_length=seq_length)
        check_fraction(val_fraction=val_fraction)
        text = read_text(filename)
        if not text:
            raise ValueError(f"text file '{filename}' is empty; give a book with --txt_file")
        if len(text) < seq_length + 2:
            raise ValueError(f"text file '{filename}' has {len(text)} characters, fewer than seq_length + 2 = "
                             f"{seq_length + 2}; give a longer text or a smaller --seq_length")
        self._seq_length = seq_length
        self._chars = sorted(set(text))  # sorted: the same indices in every process (the course's set order was not)
        self._data = torch.tensor(encode(text, self._chars), dtype=torch.long)
        # Hold out a slice from the middle: the book's own prose, away from the licence text at its end.
        n_val = int(len(text) * val_fraction)
        start = (len(text) - n_val) // 2
        if n_val < seq_length + 1 or max(start, len(text) - start - n_val) < seq_length + 1:
            start, n_val = len(text), 0
        self._val = self._data[start:start + n_val]
        # Training windows start in [0, start - L) or in [start + n_val, len - L): never inside the held-out slice.
        self._first_starts = max(start - seq_length, 0)
        self._second_offset = start + n_val
        self.num_windows = self._first_starts + max(len(text) - self._second_offset - seq_length, 0)
        self.seed = seed
        self._generators = DeviceGenerators(seed)
        self._data_on = {}  # the encoded book on each device batches were drawn on, copied there once

    def __getitem__(self, idx):
        generator = torch.Generator()
        if self.seed is None:
            generator.seed()
        else:
            generator.manual_seed(derive_seed(self.seed, idx))
        offset = self.window_starts(torch.randint(0, self.num_windows, (1,), generator=generator)).item()
        window = self._data[offset:offset + self._seq_length + 1]
        return window[:-1], window[1:]

    def __len__(self):
        return self._data.numel()

    def batch(self, batch_size, device="cpu"):
        """(inputs, targets), each (B, seq_length) of character indices, from random training windows."""
        generator = self.generator(device)
        offsets = self.window_starts(torch.randint(0, self.num_windows, (batch_size, 1), generator=generator,
                                              device=generator.device))
        if offsets.device not in self._data_on:
            self._data_on[offsets.device] = self._data.to(offsets.device)
        data = self._data_on[offsets.device]
        windows = data[offsets + torch.arange(self._seq_length + 1, device=offsets.device)]  # (B, L + 1)
        return windows[:, :-1], windows[:, 1:]

    def window_starts(self, r):
        """Window starts from uniform draws r in [0, number of training windows)."""
        return torch.where(r < self._first_starts, r, r - self._first_starts + self._second_offset)

    def validation_windows(self):
        """(inputs, targets) of every non-overlapping window of the held-out slice, (N, seq_length) each."""
        L = self._seq_length
        n = (len(self._val) - 1) // L
        windows = self._val[:n * L + 1]
        return windows[:-1].view(n, L), windows[1:].view(n, L)

    def generator(self, device="cpu"):
        """This dataset's random generator on `device`, seeded on first use."""
        return self._generators.get(device)

    def convert_to_string(self, char_ix):
        return decode(char_ix, self.vocabulary)

    def encode(self, text):
        return encode(text, self.vocabulary)

    @property
    def vocab_size(self):
        return len(self._chars)

    @property
    def vocabulary(self):
        """The characters in index order, as one string."""
        return "".join(self._chars)

    @property
    def has_validation(self):
        return len(self._val) > 0
