"""Palindrome data: the course's semantics, seeding and the vectorised batch path."""
import re

import numpy as np
import pytest
import torch

from part1.dataset import PalindromeDataset, train_and_test_data


def is_palindrome(digits):
    return list(digits) == list(digits)[::-1]


@pytest.mark.parametrize("seq_length", [2, 3, 6, 7, 11])
def test_item_is_palindrome_with_course_semantics(seq_length):
    dataset = PalindromeDataset(seq_length, seed=0)
    for idx in range(20):
        inputs, target = dataset[idx]
        assert inputs.dtype == np.float32 and inputs.shape == (seq_length - 1,)
        assert isinstance(target, int)
        assert is_palindrome(list(inputs) + [target])
        assert target == inputs[0]


@pytest.mark.parametrize("seq_length", [6, 7])
def test_half_of_the_digits_are_free(seq_length):
    # ceil(L/2) random digits: the left half varies freely, the rest is its mirror.
    dataset = PalindromeDataset(seq_length, seed=1)
    inputs, targets = dataset.batch(4096)
    half = -(-seq_length // 2)
    full = torch.cat([inputs.long(), targets[:, None]], dim=1)
    assert torch.equal(full, full.flip(1))
    # Distinct left halves match what 4096 uniform draws from 10**half give (birthday collisions included).
    k = 10 ** half
    expected = k * (1 - (1 - 1 / k) ** 4096)
    assert abs(len(torch.unique(full[:, :half], dim=0)) - expected) < 0.03 * expected
    assert set(full.unique().tolist()) == set(range(10))


def test_batch_shapes_and_dtypes():
    inputs, targets = PalindromeDataset(11, seed=0).batch(5)
    assert inputs.shape == (5, 10) and inputs.dtype == torch.float32
    assert targets.shape == (5,) and targets.dtype == torch.int64
    one_hot, targets = PalindromeDataset(11, seed=0, one_hot=True).batch(5)
    assert one_hot.shape == (5, 10, 10) and one_hot.dtype == torch.float32
    assert torch.equal(one_hot.sum(-1), torch.ones(5, 10))
    assert torch.equal(one_hot[:, 0].argmax(-1), targets)


def test_one_hot_item_matches_digits():
    digits, target = PalindromeDataset(7, seed=3)[5]
    one_hot, target2 = PalindromeDataset(7, seed=3, one_hot=True)[5]
    assert one_hot.shape == (6, 10) and target == target2
    assert np.array_equal(one_hot.argmax(-1), digits.astype(np.int64))


def test_seeding_is_reproducible_and_seeds_differ():
    a, b, c = (PalindromeDataset(9, seed=s) for s in (7, 7, 8))
    assert np.array_equal(a[3][0], b[3][0])
    xa, xb, xc = a.batch(64)[0], b.batch(64)[0], c.batch(64)[0]
    assert torch.equal(xa, xb) and not torch.equal(xa, xc)
    assert not torch.equal(a.batch(64)[0], xa)  # the generator moves on


def test_numpy_seed_is_the_same_seed_and_bad_seeds_are_named():
    assert torch.equal(PalindromeDataset(9, seed=np.int64(7)).batch(8)[0], PalindromeDataset(9, seed=7).batch(8)[0])
    for seed, message in ((-1, "--seed must be a whole number of at least 0, got -1"),
                          (2.5, "--seed must be a whole number of at least 0, got 2.5"),
                          ("3", "--seed must be a whole number of at least 0, got '3'"),
                          (2 ** 63, "--seed must be from 0 to 2**63 - 1, got 9223372036854775808")):
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            PalindromeDataset(9, seed=seed)


def test_items_do_not_depend_on_access_order():
    # What a DataLoader worker sees for index i is the same whichever worker asks and when.
    dataset = PalindromeDataset(9, seed=5)
    forward = [dataset[i][0] for i in range(10)]
    backward = [dataset[i][0] for i in reversed(range(10))][::-1]
    assert all(np.array_equal(x, y) for x, y in zip(forward, backward))
    assert not np.array_equal(forward[0], forward[1])


def test_dataloader_workers_do_not_repeat_items():
    loader = torch.utils.data.DataLoader(PalindromeDataset(21, seed=2), batch_size=8, num_workers=2)
    batches = [inputs for inputs, _ in zip(loader, range(4))]
    rows = torch.cat([b[0] for b in batches])
    assert len(torch.unique(rows, dim=0)) == len(rows)


def test_test_set_is_fixed_and_differs_from_training():
    train1, (x1, y1) = train_and_test_data(10, seed=42, test_size=256)
    train2, (x2, y2) = train_and_test_data(10, seed=42, test_size=256)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert x1.shape == (256, 10)  # input_length digits; the palindrome has one more
    assert not torch.equal(train1.batch(256)[0], x1)


def test_too_short_palindrome_is_rejected():
    with pytest.raises(ValueError, match="at least 2"):
        PalindromeDataset(1)
