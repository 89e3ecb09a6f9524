"""part2's TextDataset: the course's windows, a sorted vocabulary, the text read right, a held-out slice from the
middle."""
import random

import pytest
import torch

from part2.dataset import TextDataset


def random_text(alphabet, n, seed):
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


def write(tmp_path, text, name="book.txt", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_vocabulary_is_sorted_and_deterministic(tmp_path):
    path = write(tmp_path, "the quick brown fox jumps over the lazy dog\nTHE END." * 20)
    a, b = TextDataset(path, 10), TextDataset(path, 10)
    assert a.vocabulary == "".join(sorted(set(path.read_text()))) == b.vocabulary
    assert a.vocab_size == len(a.vocabulary)
    assert a.convert_to_string(a.encode("lazy dog")) == "lazy dog"


def test_windows_and_targets_are_aligned(tmp_path):
    text = random_text("abcdefgh \n", 5000, 0)
    dataset = TextDataset(write(tmp_path, text), 12, seed=0)
    inputs, targets = dataset.batch(32)
    assert inputs.shape == targets.shape == (32, 12) and inputs.dtype == torch.long
    assert torch.equal(inputs[:, 1:], targets[:, :-1])
    for x, y in zip(inputs, targets):
        assert dataset.convert_to_string(x) + dataset.convert_to_string(y[-1:]) in text
    x, y = dataset[7]
    assert torch.equal(x[1:], y[:-1]) and torch.equal(dataset[7][0], x)  # an item depends on (seed, idx) only


def test_batches_are_seeded(tmp_path):
    path = write(tmp_path, random_text("abcdef", 3000, 1))
    first, again, other = (TextDataset(path, 8, seed=s).batch(16)[0] for s in (3, 3, 4))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_training_never_sees_the_held_out_middle(tmp_path):
    head, middle, tail = random_text("ab", 4750, 2), random_text("xy", 500, 3), random_text("ab", 4750, 4)
    dataset = TextDataset(write(tmp_path, head + middle + tail), 10, seed=0)  # 5% held out from the middle
    inputs, targets = dataset.batch(8192)
    seen = dataset.convert_to_string(torch.cat([inputs, targets]).flatten())
    assert set(seen) == {"a", "b"}
    # The first and the last window of the text are both reachable.
    assert dataset.window_starts(torch.tensor([0, dataset.num_windows - 1])).tolist() == [0, 10000 - 11]
    assert all(dataset.convert_to_string(dataset[i][0]) in head + tail for i in range(50))
    val_inputs, val_targets = dataset.validation_windows()
    assert val_inputs.shape == (49, 10)  # non-overlapping windows of the 500 held-out characters
    assert dataset.convert_to_string(val_inputs.flatten()) == middle[:490]
    assert torch.equal(val_inputs.flatten()[1:], val_targets.flatten()[:-1])


def test_byte_order_mark_is_removed_and_latin1_is_read(tmp_path):
    with_bom = TextDataset(write(tmp_path, "\ufeffabc abc abc abc"), 4)
    assert "\ufeff" not in with_bom.vocabulary and with_bom.vocab_size == 4
    latin1 = TextDataset(write(tmp_path, "café crème brûlée " * 3, "l.tex", "iso-8859-1"), 4)
    assert {"é", "è", "û"} <= set(latin1.vocabulary)


def test_empty_short_and_missing_files_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        TextDataset(write(tmp_path, ""), 5)
    with pytest.raises(ValueError, match="fewer than seq_length \\+ 2"):
        TextDataset(write(tmp_path, "abcdef"), 5)
    TextDataset(write(tmp_path, "abcdefg"), 5)  # exactly seq_length + 2 is enough
    with pytest.raises(FileNotFoundError):
        TextDataset(tmp_path / "nope.txt", 5)


def test_the_course_book(democracy):
    dataset = TextDataset(democracy, 30)
    # 83 symbols: the report's run read bytes and counted the 3 bytes of the byte-order mark as well.
    assert dataset.vocab_size == 83
    assert dataset.vocabulary.startswith("\n !\"") and dataset.vocabulary.endswith("xyz")
    assert dataset.convert_to_string(dataset.validation_windows()[0][0])  # a held-out slice exists


@pytest.mark.parametrize("options, fragment", [
    ({"seq_length": 0}, "--seq_length must be a whole number of at least 1, got 0"),
    ({"seq_length": 2.5}, "--seq_length must be a whole number of at least 1, got 2.5"),
    ({"seq_length": 5, "val_fraction": 1.0}, "val_fraction must be a number from 0 to less than 1, got 1.0"),
    ({"seq_length": 5, "val_fraction": float("nan")}, "val_fraction must be a number from 0 to less than 1, got nan"),
])
def test_bad_arguments_are_a_value_error_naming_them(tmp_path, options, fragment):
    with pytest.raises(ValueError, match=fragment):
        TextDataset(write(tmp_path, "abc " * 100), **options)
