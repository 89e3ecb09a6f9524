"""part2 model and generation: greedy, tau sampling, completion and beam search."""
import math

import pytest
import torch

from part2.model import TextGenerationModel
from part2.sample import beam_search, complete, generate, log_probability, pick_next, training_samples
from tests.helpers import run_cli

V = 12
VOCABULARY = "abcdefghijk "


@pytest.fixture
def model():
    torch.manual_seed(0)
    model = TextGenerationModel(4, 10, V, lstm_num_hidden=16, lstm_num_layers=2)
    with torch.no_grad():  # sharper predictions than at initialisation, so that paths differ
        model.linear.weight.mul_(8)
    return model


def test_shapes(model):
    logits, (h, c) = model(torch.randint(0, V, (3, 7)))
    assert logits.shape == (3, 7, V)
    assert h.shape == c.shape == (2, 3, 16)


def test_greedy_is_deterministic_and_the_argmax_path(model):
    prompt = torch.tensor([[1, 2, 3], [4, 5, 6]])
    generated = generate(model, prompt, 15)
    assert torch.equal(generated, generate(model, prompt, 15))
    # The argmax path computed the slow way: re-reading the whole text at every step, no carried state.
    text = prompt
    for _ in range(15):
        logits, _ = model(text)
        text = torch.cat([text, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert torch.equal(generated, text[:, 3:])


def test_tau_draws_from_softmax_of_tau_times_logits():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]]).expand(40000, 4)
    generator = torch.Generator().manual_seed(0)
    entropies = []
    for tau in (0.5, 1.0, 2.0):
        counts = torch.bincount(pick_next(logits, tau, generator), minlength=4).float()
        expected = torch.softmax(tau * logits[0], dim=0)
        assert torch.allclose(counts / counts.sum(), expected, atol=0.01)
        entropies.append(-(expected * expected.log()).sum().item())
    assert entropies[0] > entropies[1] > entropies[2]  # larger tau: lower entropy, greedier
    assert torch.equal(pick_next(logits[:3], math.inf, generator), torch.zeros(3, dtype=torch.long))


def test_per_row_tau_mixes_greedy_and_sampled_rows():
    logits = torch.tensor([[0.0, 5.0, 0.0]] * 2 + [[0.0, 0.0, 0.0]] * 2000)
    tau = torch.tensor([math.inf] * 2 + [1.0] * 2000)
    picked = pick_next(logits, tau, torch.Generator().manual_seed(1))
    assert picked[:2].tolist() == [1, 1]
    assert set(picked[2:].tolist()) == {0, 1, 2}


def test_a_finite_tau_too_large_for_tau_times_logits_takes_the_greedy_limit():
    logits = torch.tensor([[1.0, 3.0, 2.0], [4.0, -1.0, 0.0]])  # tau * logits overflows float32 at tau = 1e38
    picked = pick_next(logits, 1e38, torch.Generator().manual_seed(0))
    assert picked.tolist() == [1, 0]


def test_beam_width_1_is_greedy_and_wider_beams_score_at_least_as_high(model):
    prompt = torch.tensor([3, 1, 4, 1, 5])
    greedy = generate(model, prompt[None], 12)[0]
    beam1, score1 = beam_search(model, prompt, 12, beam_width=1)
    assert torch.equal(beam1, greedy)
    assert score1 == pytest.approx(log_probability(model, prompt, greedy), abs=1e-4)
    best, score = beam_search(model, prompt, 12, beam_width=5)
    assert score == pytest.approx(log_probability(model, prompt, best), abs=1e-4)
    assert score >= log_probability(model, prompt, greedy) - 1e-5


def test_completion_starts_with_the_prompt_and_runs_past_the_training_length(model):
    for options in ({}, {"tau": 1.0, "generator": torch.Generator().manual_seed(0)}, {"beam_width": 3}):
        text = complete(model, VOCABULARY, "abc abc", 40, **options)
        assert text.startswith("abc abc") and len(text) == 47 and set(text) <= set(VOCABULARY)
    with pytest.raises(ValueError, match="'rz'"):  # every unknown character named, once
        complete(model, VOCABULARY, "zebra zebra", 5)


@pytest.mark.parametrize("options", [{}, {"tau": 1.0}, {"beam_width": 3}])
def test_length_zero_returns_the_prompt_alone(model, options):
    assert complete(model, VOCABULARY, "abc", 0, **options) == "abc"


def test_training_samples_cover_every_length_and_mode(model):
    samples = training_samples(model, VOCABULARY, torch.Generator().manual_seed(0))
    assert [(length, mode) for length, mode, _ in samples[:4]] == [
        (15, "greedy"), (15, "tau=0.5"), (15, "tau=1"), (15, "tau=2")]
    assert len(samples) == 16 and all(len(text) == length for length, _, text in samples)


def test_generation_leaves_training_mode_alone(model):
    model.train()
    generate(model, torch.tensor([[1]]), 3)
    beam_search(model, torch.tensor([1]), 3, 2)
    assert model.training


def test_a_tau_so_large_that_tau_times_logits_overflows_takes_the_greedy_limit():
    logits = torch.tensor([[1e3, 2e3, -5.0], [0.1, 0.3, 0.2]])  # 2e3 * 1e38 overflows; 0.3 * 1e38 does not
    picked = pick_next(logits, tau=1e38, generator=torch.Generator().manual_seed(0))
    assert picked.tolist() == [1, 1]


def test_num_samples_draws_that_many_texts_one_after_another_from_one_stream(capsys):
    from part2 import generate
    outputs = []
    for n in (1, 3):
        generate.main(["--num_samples", str(n), "--length", "40", "--tau", "1", "--prompt", "The people ",
                       "--device", "cpu"])
        outputs.append(capsys.readouterr().out)
    assert outputs[1].startswith(outputs[0]) and outputs[1].count("The people ") >= 3 and outputs[1] != outputs[0] * 3


@pytest.mark.parametrize("options, fragment", [
    ({"prompt": ""}, "--prompt must be at least one character"),
    ({"prompt": "", "beam_width": 3}, "--prompt must be at least one character"),
    ({"beam_width": 0}, "--beam_width must be a whole number of at least 1, got 0"),
    ({"beam_width": -2}, "--beam_width must be a whole number of at least 1, got -2"),
    ({"beam_width": 2.5}, "--beam_width must be a whole number of at least 1, got 2.5"),
    ({"tau": -1.0}, "--tau must be a positive number"),
    ({"tau": math.nan}, "--tau must be a positive number"),
    ({"tau": "1"}, "--tau must be a positive number"),
    ({"length": -1}, "--length must be a whole number of at least 0, got -1"),
    ({"length": 2.5}, "--length must be a whole number of at least 0, got 2.5"),
])
def test_completion_refuses_bad_arguments_by_name_as_a_value_error(model, options, fragment):
    arguments = {"prompt": "abc", "length": 5, **options}
    with pytest.raises(ValueError, match=fragment):
        complete(model, VOCABULARY, arguments.pop("prompt"), arguments.pop("length"), **arguments)


def test_an_infinite_tau_completes_greedily(model):
    assert complete(model, VOCABULARY, "abc", 12, tau=math.inf, generator=torch.Generator().manual_seed(0)) == \
        complete(model, VOCABULARY, "abc", 12)


@pytest.mark.parametrize("prompt", [torch.zeros(2, 0, dtype=torch.long), torch.tensor([1, 2])])
def test_generate_refuses_a_prompt_that_is_not_rows_of_characters(model, prompt):
    with pytest.raises(ValueError, match="prompt must be .B, P. character indices"):
        generate(model, prompt, 5)


def test_a_beam_wider_than_the_continuations_fits_in_memory():
    """--beam_width 10**9 for one character keeps one beam per character of the vocabulary, not 10**9."""
    result = run_cli("-m", "part2.generate", "--beam_width", "1000000000", "--length", "1", "--prompt", "The ",
                     "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) == len("The ") + 2  # one character and the line's end
