"""The shipped generator (pretrained/) and how it is made; part2.paper.summarize, which turns a run into docs/."""
import shutil

import pytest
import torch

from uvadl2019.checks import UserError
from uvadl2019.files import sha256
from part2 import train as part2_train
from part2.dataset import TextDataset
from part2.longrun.checkpoint import MODEL_KEYS, load_model
from part2.longrun.logs import running_mean
from part2.paper import pretrained, summarize
from part2.sample import complete
from tests.helpers import TINY, assert_one_line_error, run_cli

SHIPPED = pretrained.FOLDER / pretrained.NAME


def test_shipped_model_matches_its_checksum_and_loads_with_weights_only():
    assert sha256(SHIPPED) == pretrained.expected_sha256(pretrained.FOLDER)
    state = torch.load(SHIPPED, weights_only=True)
    assert set(state) == MODEL_KEYS  # no optimizer state
    assert all(t.dtype == torch.float32 for t in state["model"].values())
    assert state["config"]["txt_file"] == "book_EN_democracy_in_the_US.txt" and state["config"]["max_norm"] is None
    assert SHIPPED.stat().st_size < 3 * 2 ** 20


def test_shipped_vocabulary_is_the_books(democracy):
    assert torch.load(SHIPPED, weights_only=True)["vocabulary"] == TextDataset(democracy, 30).vocabulary


def test_shipped_model_completes_a_prompt_greedily_the_same_every_time():
    model, vocabulary = pretrained.load_pretrained()
    first = complete(model, vocabulary, "The people ", 60)
    assert first == complete(model, vocabulary, "The people ", 60) and first.startswith("The people ")
    cli = run_cli("-m", "part2.generate", "--prompt", "The people ", "--length", "60", "--device", "cpu")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout == first + "\n"  # what it used is said in one line, beside the text: where the model lies
    assert cli.stderr == f"No --checkpoint: generating with the shipped model in {pretrained.FOLDER}.\n"


def test_damaged_or_missing_shipped_model_is_one_line_naming_it_and_the_fix(tmp_path, monkeypatch):
    copy = tmp_path / "pretrained"
    shutil.copytree(pretrained.FOLDER, copy)
    data = bytearray((copy / pretrained.NAME).read_bytes())
    data[len(data) // 2] ^= 1  # one bit: torch might still load it, the checksum does not
    (copy / pretrained.NAME).write_bytes(bytes(data))
    monkeypatch.setattr(pretrained, "FOLDER", copy)
    with pytest.raises(UserError, match="democracy_lstm.pt' does not match its sha256.*--checkpoint"):
        pretrained.load_pretrained()
    (copy / pretrained.NAME).unlink()
    with pytest.raises(UserError, match="democracy_lstm.pt' is missing.*--checkpoint.*start2.py"):
        pretrained.load_pretrained()


def test_generate_without_the_shipped_model_says_so_in_one_line(tmp_path):
    (tmp_path / "pretrained").mkdir()
    script = ("import sys; from pathlib import Path; from part2 import generate; from part2.paper import pretrained; "
              "from uvadl2019.cli import run_main; pretrained.FOLDER = Path(sys.argv[1]); "
              "run_main(lambda: generate.main(['--prompt', 'The ']), 'part2.generate')")
    result = run_cli("-c", script, tmp_path / "pretrained")
    assert_one_line_error(result, "is missing", "git checkout pretrained/", "--checkpoint")


def test_export_keeps_the_model_and_drops_the_training_state(book, tmp_path):
    part2_train.main(["--txt_file", str(book), "--out_dir", str(tmp_path / "run"), *TINY, "--train_steps", "10"])
    result = run_cli("-m", "part2.paper.pretrained", tmp_path / "run" / "checkpoint.pt", "--folder",
                     tmp_path / "shipped")
    assert result.returncode == 0, result.stderr
    state = torch.load(tmp_path / "shipped" / pretrained.NAME, weights_only=True)
    assert set(state) == MODEL_KEYS and state["step"] == 10 and state["config"]["txt_file"] == "book.txt"
    assert "out_dir" not in state["config"]
    shipped, vocabulary = pretrained.load_pretrained(folder=tmp_path / "shipped")
    trained, _ = load_model(tmp_path / "run" / "checkpoint.pt")
    x = torch.tensor([[1, 2, 3, 4]])
    assert torch.equal(shipped(x)[0], trained(x)[0])


@pytest.fixture
def tiny_run(book, tmp_path):
    """The checkpoint of a ten-step part 2 run."""
    part2_train.main(["--txt_file", str(book), "--out_dir", str(tmp_path / "run"), *TINY, "--train_steps", "10"])
    return tmp_path / "run" / "checkpoint.pt"


@pytest.mark.parametrize("edit, fragment", [
    (lambda s: s["model"]["linear.bias"].fill_(float("nan")), "NaN or infinite"),
    (lambda s: s["config"].update(lstm_num_hidden=32), "do not fit"),
])
def test_export_ships_only_what_loads(tiny_run, tmp_path, edit, fragment):
    state = torch.load(tiny_run, weights_only=True)
    edit(state)
    torch.save(state, tiny_run)
    result = run_cli("-m", "part2.paper.pretrained", tiny_run, "--folder", tmp_path / "shipped")
    assert_one_line_error(result, fragment)
    assert not (tmp_path / "shipped").exists()


def test_export_replaces_the_shipped_model_only_when_its_folder_is_named(tiny_run):
    before = SHIPPED.read_bytes()
    assert_one_line_error(run_cli("-m", "part2.paper.pretrained", tiny_run), "required: --folder")
    assert SHIPPED.read_bytes() == before


@pytest.mark.parametrize("line", ["{digest}  {name}", "{DIGEST}  {name}", "{digest} *{name}", "{DIGEST} *{name}\r"])
def test_sha256sum_text_and_binary_lines_in_either_case_are_read(tmp_path, line):
    copy = tmp_path / "pretrained"
    shutil.copytree(pretrained.FOLDER, copy)
    digest = sha256(copy / pretrained.NAME)
    (copy / pretrained.SUMS).write_text(line.format(digest=digest, DIGEST=digest.upper(), name=pretrained.NAME) + "\n")
    model, _ = pretrained.load_pretrained(folder=copy)
    (copy / pretrained.SUMS).write_text(line.format(digest="0" * 64, DIGEST="0" * 64, name=pretrained.NAME) + "\n")
    with pytest.raises(UserError, match="does not match its sha256"):
        pretrained.load_pretrained(folder=copy)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_the_shipped_model_on_a_missing_gpu_is_a_missing_gpu_not_a_damaged_model():
    with pytest.raises(UserError, match="no CUDA device is available"):
        pretrained.load_pretrained(device="cuda")


def test_running_mean_by_hand():
    assert running_mean([1.0, 2.0, 3.0, 4.0], 2) == [1.5, 2.5, 3.5]
    assert running_mean([1.0, 2.0], 3) == []


def test_summarize_writes_the_figure_the_csv_and_the_tables(book, tmp_path):
    part2_train.main(["--txt_file", str(book), "--out_dir", str(tmp_path / "run"), *TINY, "--train_steps", "1000",
                      "--print_every", "100", "--sample_every", "100", "--eval_every", "500",
                      "--checkpoint_every", "500"])
    result = run_cli("-m", "part2.paper.summarize", tmp_path / "run", "--docs", tmp_path / "docs", "--prompt", "the ")
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    csv_rows = (tmp_path / "docs" / "part2_paper_metrics.csv").read_text().splitlines()
    assert csv_rows == [rows[0], next(r for r in rows if r.startswith("1000,"))]  # every 1000 steps
    losses = [float(r.split(",")[1]) for r in rows[1:]]
    assert f"step 1,000, training batch: loss {losses[-1]:.3f}" in result.stdout
    assert f"mean over the last 1,000 steps: loss {sum(losses) / len(losses):.3f}" in result.stdout  # all of them
    assert "validation at step 1,000" in result.stdout
    tables = (tmp_path / "docs" / "part2_samples.md").read_text(encoding="utf-8")
    samples = summarize.read_samples(tmp_path / "run" / "samples_over_training.txt", summarize.TABLE_STEPS)
    assert sorted(samples) == [300, 1000]  # of the report's steps, those the run reached
    for step, lines in samples.items():
        for mode, length, text in lines:
            assert f"| {step:,} | {length} | {summarize.cell(text)} |" in tables
    assert "## τ = 2" in tables and "| beam search, width 5 | `the " in tables
    assert (tmp_path / "docs" / "part2_training.png").read_bytes()[:4] == b"\x89PNG"


def test_summarize_interrupted_while_writing_leaves_docs_as_they_were(book, tmp_path, monkeypatch):
    part2_train.main(["--txt_file", str(book), "--out_dir", str(tmp_path / "run"), *TINY, "--train_steps", "20"])
    docs = tmp_path / "docs"
    docs.mkdir()
    names = ("part2_training.png", "part2_paper_metrics.csv", "part2_samples.md")
    for name in names:
        (docs / name).write_text("earlier")

    def interrupted(*args):
        raise KeyboardInterrupt  # Ctrl-C after the figure was written

    monkeypatch.setattr(summarize, "write_csv", interrupted)
    with pytest.raises(KeyboardInterrupt):
        summarize.summarize(tmp_path / "run", docs, "the ")
    assert sorted(p.name for p in docs.iterdir()) == sorted(names)  # no temporaries left either
    assert all((docs / name).read_text() == "earlier" for name in names)


def test_summarize_with_a_prompt_the_book_lacks_says_so_once_and_writes_nothing(book, tmp_path):
    part2_train.main(["--txt_file", str(book), "--out_dir", str(tmp_path / "run"), *TINY, "--train_steps", "20"])
    result = run_cli("-m", "part2.paper.summarize", tmp_path / "run", "--docs", tmp_path / "docs", "--prompt", "Zürich")
    assert_one_line_error(result, "--prompt 'Zürich': characters not in the book's vocabulary")
    assert result.stderr.count(";") == 1  # the fix is said once
    assert not (tmp_path / "docs").exists()
