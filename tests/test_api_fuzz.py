"""The Python API as a notebook uses it, given generated arguments: every public constructor and function of part1,
part2 and part3 either works or raises a ValueError or TypeError whose message names the argument; never another
exception, a hang or a crash. Numbers are drawn small, or huge enough that no machine holds what they ask for."""
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from part1.dataset import PalindromeDataset
from part1.lstm import LSTM
from part1.vanilla_rnn import VanillaRNN
from part2.dataset import TextDataset
from part2.model import TextGenerationModel
from part2.sample import complete
from part3.gcn import GCN, GCNLayer, normalize_adjacency

VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 40), st.sampled_from([10 ** 12, 2 ** 63]),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3),
                   st.lists(st.integers(-2, 5), max_size=3))
ADJACENCIES = st.one_of(
    st.lists(st.lists(st.integers(-1, 3), min_size=3, max_size=3), min_size=3, max_size=3).map(torch.tensor),
    st.lists(st.lists(st.booleans(), min_size=2, max_size=2), min_size=2, max_size=2).map(torch.tensor),
    st.lists(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=2, max_size=2),
             min_size=2, max_size=2).map(torch.tensor),
    st.lists(st.integers(0, 2), max_size=4).map(torch.tensor))
MODEL = TextGenerationModel(1, 1, 4, 8, 1)


def book(folder):
    path = folder / "book.txt"
    path.write_text("the people of the state " * 20, encoding="utf-8")
    return path


# Each public callable: a function of (tmp_path, **arguments), and arguments that work.
TARGETS = {
    "VanillaRNN": (lambda tmp, **a: VanillaRNN(**a),
                   {"seq_length": 5, "input_dim": 10, "num_hidden": 8, "num_classes": 10, "init": "xavier_normal",
                    "impl": "fast"}),
    "LSTM": (lambda tmp, **a: LSTM(**a),
             {"seq_length": 5, "input_dim": 1, "num_hidden": 8, "num_classes": 10, "forget_bias": 1.0}),
    "LSTM.forward": (lambda tmp, x: LSTM(5, 1, 8, 10)(x), {"x": torch.tensor([[1, 2, 3]])}),
    "PalindromeDataset": (lambda tmp, **a: PalindromeDataset(**a), {"seq_length": 5, "seed": 1}),
    "PalindromeDataset[idx]": (lambda tmp, idx: PalindromeDataset(5, seed=1)[idx], {"idx": 3}),
    "PalindromeDataset.batch": (lambda tmp, batch_size: PalindromeDataset(5, seed=1).batch(batch_size),
                                {"batch_size": 4}),
    "TextDataset": (lambda tmp, **a: TextDataset(book(tmp), **a), {"seq_length": 8, "seed": 1, "val_fraction": 0.05}),
    "TextGenerationModel": (lambda tmp, **a: TextGenerationModel(1, 1, **a),
                            {"vocabulary_size": 5, "lstm_num_hidden": 8, "lstm_num_layers": 2, "dropout": 0.0}),
    "complete": (lambda tmp, **a: complete(MODEL, "abc ", **a), {"prompt": "ab", "length": 5, "tau": None,
                                                                 "beam_width": None}),
    "GCNLayer": (lambda tmp, **a: GCNLayer(**a), {"in_features": 3, "out_features": 2}),
    "GCN": (lambda tmp, **a: GCN(**a), {"sizes": [3, 4, 2], "dropout": 0.5}),
    "normalize_adjacency": (lambda tmp, **a: normalize_adjacency(**a), {"A": torch.eye(3), "mode": "symmetric"}),
}


@pytest.mark.parametrize("target", TARGETS)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_argument_works_or_is_a_value_or_type_error_naming_it(target, data, tmp_path_factory):
    call, valid = TARGETS[target]
    name = data.draw(st.sampled_from(sorted(valid)), label="argument")
    strategy = ADJACENCIES if name == "A" else VALUES
    value = data.draw(strategy, label=name)
    try:
        result = call(tmp_path_factory.mktemp("api"), **{**valid, name: value})
    except (ValueError, TypeError) as e:
        assert name in str(e), f"{target}({name}={value!r}): {type(e).__name__}: {e}"
        return
    if isinstance(result, torch.Tensor) and result.is_floating_point():
        assert torch.isfinite(result).all() or name == "A"  # what works gives numbers


def test_the_valid_arguments_work(tmp_path):
    for target, (call, valid) in TARGETS.items():
        call(tmp_path, **valid)


def test_integer_and_boolean_adjacency_are_weights():
    A = torch.tensor([[0, 1, 0], [1, 0, 2], [0, 2, 0]])
    assert torch.equal(normalize_adjacency(A), normalize_adjacency(A.float()))
    assert torch.equal(normalize_adjacency(A > 0), normalize_adjacency((A > 0).float()))


def test_integer_and_float64_digits_are_computed_as_the_weights_dtype():
    model = VanillaRNN(5, 1, 8, 10)
    digits = torch.randint(0, 10, (4, 5))
    assert torch.equal(model(digits), model(digits.float()))
    assert torch.equal(model(digits.double()), model(digits.float()))
    assert math.isfinite(model(digits).sum().item())
