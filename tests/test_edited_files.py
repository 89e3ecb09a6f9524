"""Files edited by hand or by other programs: part 2's logs saved by a spreadsheet program, and checkpoints whose
contents were changed, resume exactly or are refused in one line; nothing the run did not write is dropped."""
import pytest
import torch

from uvadl2019.checks import UserError
from part2 import train as part2_train
from part2.longrun.checkpoint import load_model
from part2.longrun.logs import METRICS, SAMPLES
from part2.model import TextGenerationModel
from tests.helpers import TINY


def train(book, out_dir, steps, *extra):
    """A tiny part 2 run of `steps` steps with a row, samples and a checkpoint at every step."""
    part2_train.main(["--txt_file", str(book), *TINY, "--print_every", "1", "--eval_every", "1", "--sample_every",
                      "1", "--checkpoint_every", "1", "--train_steps", str(steps), "--device", "cpu", "--quiet",
                      "--out_dir", str(out_dir), *extra])


@pytest.fixture
def run(book, tmp_path):
    """The folder of a finished two-step run."""
    train(book, tmp_path / "run", 2)
    return tmp_path / "run"


def test_a_log_saved_by_a_spreadsheet_program_resumes_with_every_row(run, book):
    metrics = run / METRICS
    rows = metrics.read_text(encoding="utf-8").splitlines()
    metrics.write_bytes(("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8"))  # a byte-order mark, CRLF
    train(book, run, 3, "--resume")
    resumed = metrics.read_text(encoding="utf-8").splitlines()
    assert resumed[:3] == rows and [line.split(",")[0] for line in resumed[1:]] == ["1", "2", "3"]


def test_a_header_with_other_fields_is_refused_and_the_log_left_as_it_was(run, book):
    metrics = run / METRICS
    edited = metrics.read_bytes().replace(b"step,loss", b"Step,Loss", 1)
    metrics.write_bytes(edited)
    with pytest.raises(UserError, match="metrics.csv' starts with 'Step,Loss"):
        train(book, run, 3, "--resume")
    assert metrics.read_bytes() == edited


@pytest.mark.parametrize("name, line", [(METRICS, 2), (SAMPLES, None)])
def test_a_damaged_line_before_the_last_is_named_not_dropped(run, book, name, line):
    log = run / name
    lines = log.read_text(encoding="utf-8").splitlines()
    if name == SAMPLES:  # a step header that the run could not have written
        line = lines.index("=== step 2 ===") + 1
        lines[line - 1] = "=== step two ==="
    else:
        lines[line - 1] = "1,2.4,not a number,0.002,,"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=f"line {line} of .*{name}"):
        train(book, run, 3, "--resume")


def test_a_last_line_cut_short_is_dropped_and_the_run_resumes(run, book):
    metrics = run / METRICS
    whole = metrics.read_text(encoding="utf-8")
    metrics.write_text(whole + "3,2.1", encoding="utf-8")  # a kill in the middle of an append
    train(book, run, 3, "--resume")
    assert metrics.read_text(encoding="utf-8").startswith(whole)
    assert [line.split(",")[0] for line in metrics.read_text(encoding="utf-8").splitlines()[1:]] == ["1", "2", "3"]


@pytest.mark.parametrize("step, fragment", [(-5, "step -5"), (0, "step 0"), ("20", "step '20'"), (2.0, "step 2.0")])
def test_a_checkpoint_with_an_impossible_step_is_refused_and_the_logs_kept(run, book, step, fragment):
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    state["step"] = step
    torch.save(state, run / "checkpoint.pt")
    before = (run / METRICS).read_bytes(), (run / SAMPLES).read_bytes()
    with pytest.raises(UserError, match=fragment):
        train(book, run, 3, "--resume")
    assert ((run / METRICS).read_bytes(), (run / SAMPLES).read_bytes()) == before


def edit_checkpoint(run, edit):
    """Load the run's checkpoint, apply edit(state) and save it back."""
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    edit(state)
    torch.save(state, run / "checkpoint.pt")


@pytest.mark.parametrize("edit, fragment", [
    (lambda s: s["model"].update({"linear.bias": torch.zeros(3)}), "'linear.bias' is not a torch.float32 tensor"),
    (lambda s: s["model"].pop("linear.bias"), "its weights are not the model's"),
    (lambda s: s["optimizer"].update(state={}), "its Adam state is empty or incomplete"),
    (lambda s: s["optimizer"]["state"][0].update(exp_avg=torch.zeros(2)), "parameter 0 is not Adam's moments"),
    (lambda s: s.update(rng=[]), "its random states are missing"),
    (lambda s: s.update(step=10 ** 12), "its learning-rate schedule is not at step 1000000000000"),
    (lambda s: s["scheduler"].update(last_epoch=7), "its learning-rate schedule is not at step 2"),
])
def test_an_edited_checkpoint_is_refused_in_one_line_before_anything_is_loaded(run, book, edit, fragment):
    edit_checkpoint(run, edit)
    with pytest.raises(UserError, match=fragment) as error:
        train(book, run, 3, "--resume")
    assert "edited or damaged" in str(error.value) and "\n" not in str(error.value)


def test_resuming_past_train_steps_says_where_the_checkpoint_is(run, book, capsys):
    capsys.readouterr()
    train(book, run, 1, "--resume")
    out = capsys.readouterr().out
    assert "Nothing to do: the checkpoint in" in out and "is at step 2, --train_steps is 1." in out
    assert "already trained" not in out


@pytest.mark.parametrize("vocabulary, hidden, layers", [(5, 16, 1), (83, 8, 3)])
def test_the_shapes_known_without_building_are_the_models(vocabulary, hidden, layers):
    model = TextGenerationModel(1, 1, vocabulary, hidden, layers)
    assert TextGenerationModel.parameter_shapes(vocabulary, hidden, layers) == \
        {name: tuple(w.shape) for name, w in model.state_dict().items()}


@pytest.mark.parametrize("edit, fragment", [
    (lambda s: s["config"].update(lstm_num_layers=10 ** 9), "do not fit its vocabulary"),  # built, this would hang
    (lambda s: s["config"].update(lstm_num_hidden=200000), "do not fit its vocabulary"),
    (lambda s: s["config"].update(lstm_num_layers="2"), "no model settings"),
    (lambda s: s.update(vocabulary=list(range(len(s["vocabulary"])))), "not a string of distinct characters"),
    (lambda s: s.update(vocabulary="a" * len(s["vocabulary"])), "not a string of distinct characters"),
    (lambda s: s.update(vocabulary=s["vocabulary"][:-1]), "do not fit its vocabulary"),
])
def test_a_checkpoint_whose_settings_do_not_fit_its_weights_is_refused_before_building(run, edit, fragment):
    edit_checkpoint(run, edit)
    with pytest.raises(UserError, match=fragment):
        load_model(run / "checkpoint.pt")
