"""python -m check_assignment: student-style files with one planted bug each are caught by the right check and
only by it; the package's own models and a correct file of another style pass; misbehaving code is contained."""
import json
import shutil

import pytest
import torch

from check_assignment.check import files_of
from check_assignment.equations import LSTM_VARIANTS, RNN_VARIANTS, lstm_logits, rnn_logits
from check_assignment.kinds import check_names
from check_assignment.mapping import Piece, build, candidates, gate_hint
from check_assignment.submissions import check_submissions
from part1.lstm import LSTM
from part1.vanilla_rnn import VanillaRNN
from tests.helpers import REPO, assert_one_line_error, run_cli, slurm_node_idle

STUDENTS = REPO / "tests" / "students"
TIME_LIMIT = 40  # seconds per file: the hanging file takes this long, the others a few seconds
# What each planted bug must make fail (or warn), and a phrase of the message; every other check passes or skips.
EXPECTED = {
    "package_fall": {}, "package_spring": {}, "other_style": {},
    "import_error": {("VanillaRNN", "loads", "fail"): "part1/vanilla_rnn.py:5: NameError"},
    "extra_argument": {("LSTM", "loads", "fail"): "needs dropout"},
    "tuple_output": {("VanillaRNN", "interface", "fail"): "returns a tuple"},
    "transposed_output": {("VanillaRNN", "interface", "fail"): "transposed"},
    "data_weights": {("VanillaRNN", "every weight learns", "fail"): "no gradient reaches W_ph"},
    "detached_state": {("LSTM", "every weight learns", "fail"): "no gradient reaches W_gx"},
    "relu": {("VanillaRNN", "equations", "fail"): "ReLU where the report has tanh"},
    "no_tanh_on_c": {("LSTM", "equations", "fail"): "without the tanh on the cell state"},
    "missing_bias": {("LSTM", "equations", "fail"): "no bias b_o"},
    "kept_state": {("VanillaRNN", "state and batch", "fail"): "a second forward"},
    "fixed_batch_state": {("LSTM", "state and batch", "fail"): "a batch of 3"},
    "fixed_dtype": {("VanillaRNN", "state and batch", "fail"): "float64"},
    "small_init": {("VanillaRNN", "initialisation", "warn"): "W_hh starts with std"},
    "constant_init": {("VanillaRNN", "it learns", "fail"): "below 0.99", ("VanillaRNN", "initialisation", "warn"):
                      "starts constant"},
    "keep_as_dropout": {("TextGenerationModel", "two layers and dropout", "fail"): "training-mode logits differ"},
    "one_layer": {("TextGenerationModel", "two layers and dropout", "fail"): "1 LSTM layer(s)"},
    "clip_before_backward": {("train.py (part 1)", "step order", "fail"): "clipping before backward()"},
    "clip_after_step": {("train.py (part 1)", "step order", "fail"): "clipping after optimizer.step()"},
    "never_zeroed": {("train.py (part 2)", "step order", "fail"): "never zeroed"},
    "prints": {("VanillaRNN", "prints", "warn"): "prints"},
    "hangs": {("VanillaRNN", "interface", "fail"): f"hung: no result within the time limit of {TIME_LIMIT} s"},
    "exits": {("VanillaRNN", "interface", "fail"): "exited with code 3"},
    "crashes": {("LSTM", "loads", "fail"): "crashed (SIGSEGV)"},
    "fills_memory": {("VanillaRNN", "loads", "fail"): "ran out of its memory limit of 2048 MB"},
}


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """Every folder of tests/students checked in one run, as a teaching assistant would: {submission: results}."""
    out = tmp_path_factory.mktemp("checks")
    result = run_cli("-m", "check_assignment", "--submissions", STUDENTS, "--out_dir", out, "--json",
                     "--time_limit", TIME_LIMIT, "--memory_limit", 2048, timeout=1200)
    assert result.returncode == 1, result.stderr  # some checks fail
    records = json.loads(result.stdout)
    return {r["submission"]: r["results"] for r in records}, out


def test_every_student_folder_is_a_case():
    assert sorted(p.name for p in STUDENTS.iterdir() if p.is_dir()) == sorted(EXPECTED)


@pytest.mark.parametrize("case", EXPECTED)
def test_each_planted_bug_is_caught_by_its_check_alone(case, checked):
    results = checked[0][case]
    flagged = {(r["model"], r["check"], r["status"]): r["message"] for r in results if r["status"] in ("fail", "warn")}
    assert set(flagged) == set(EXPECTED[case]), flagged
    for key, phrase in EXPECTED[case].items():
        assert phrase in flagged[key]
    for model in {r["model"] for r in results}:  # every check of every model has one result
        assert [r["check"] for r in results if r["model"] == model and r["check"] != "prints"] == list(
            check_names(model))


def test_the_package_folder_holds_every_file_the_checker_knows(checked):
    assert {r["model"] for r in checked[0]["package_fall"]} == {
        "VanillaRNN", "LSTM", "TextGenerationModel", "train.py (part 1)", "train.py (part 2)"}


def test_a_correct_file_of_another_style_is_mapped_by_shape(checked):
    equations = {r["model"]: r["message"] for r in checked[0]["other_style"] if r["check"] == "equations"}
    assert "W.T -> W_ix W_ih W_fx W_fh W_gx W_gh W_ox W_oh; b -> b_i b_f b_g b_o" in equations["LSTM"]
    assert "x_to_h.bias -> b_h; h_to_h.weight -> W_hh; h_to_h.bias -> b_h" in equations["VanillaRNN"]
    templates = {r["model"]: r["message"] for r in checked[0]["other_style"] if r["check"] == "loads"}
    assert "spring" in templates["LSTM"] and "fall" in templates["VanillaRNN"]


def test_the_csv_has_a_row_per_submission_and_the_student_folders_stay_untouched(checked):
    rows = (checked[1] / "checks.csv").read_text().splitlines()
    assert rows[0].startswith("submission,fail,warn,pass,VanillaRNN: loads,")
    assert sorted(row.split(",")[0] for row in rows[1:]) == sorted(EXPECTED)
    assert not list(STUDENTS.rglob("__pycache__")) and not list(STUDENTS.rglob("*.pyc"))


def test_a_rerun_skips_what_is_unchanged_and_checks_what_changed(tmp_path):
    for case in ("relu", "tuple_output"):
        shutil.copytree(STUDENTS / case, tmp_path / "in" / case)
    args = ["-m", "check_assignment", "--submissions", tmp_path / "in", "--out_dir", tmp_path / "out"]
    assert run_cli(*args).returncode == 1
    first = (tmp_path / "out" / "checks.csv").read_text()
    again = run_cli(*args)
    assert "2 of 2 submissions checked before, unchanged; skipping them" in again.stderr
    assert (tmp_path / "out" / "checks.csv").read_text() == first
    rnn = tmp_path / "in" / "relu" / "part1" / "vanilla_rnn.py"
    rnn.write_text(rnn.read_text().replace("torch.relu(", "torch.tanh("))  # fixed
    fixed = run_cli(*args)
    assert "1 of 2 submissions checked before" in fixed.stderr
    assert (tmp_path / "out" / "checks.csv").read_text().count("relu,0,0,7,") == 1


def test_one_assignment_prints_a_line_per_check_and_exits_zero_when_all_pass():
    result = run_cli("-m", "check_assignment", STUDENTS / "package_fall" / "part1" / "lstm.py")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    checks = check_names("LSTM")
    assert [line.split()[0] for line in lines] == ["PASS"] * len(checks)
    assert lines[3].split()[2] == "equations" and "by the assignment names" in lines[3]
    assert result.stderr.strip() == f"{len(checks)} pass"


@pytest.mark.parametrize("args, fragments", [
    ([], ["PATHS", "--submissions"]),
    (["README.md"], ["none of the course's files", "part1/vanilla_rnn.py"]),
    (["--submissions", "README.md"], ["--submissions", "not a folder"]),
    (["tests", "--time_limit", "0"], ["--time_limit must be at least 1"]),
])
def test_bad_input_is_one_line(args, fragments):
    assert_one_line_error(run_cli("-m", "check_assignment", *args), *fragments)


def random_weights(roles, D, H, C, generator):
    return {role: torch.randn((C,) if role == "b_p" else (C, H) if role == "W_ph" else (H,) if role[0] == "b"
                              else (H, D) if role.endswith("x") else (H, H), generator=generator, dtype=torch.float64)
            / 3 for role in roles}


@pytest.mark.parametrize("model_class, equations, variants", [(VanillaRNN, rnn_logits, RNN_VARIANTS),
                                                              (LSTM, lstm_logits, LSTM_VARIANTS)])
def test_the_equations_are_the_packages_models_and_every_variant_differs(model_class, equations, variants):
    model = model_class(6, 10, 8, 10, impl="reference").double()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64) / 2)
    x = torch.nn.functional.one_hot(torch.randint(0, 10, (4, 6), generator=generator), 10).double()
    weights = dict(model.named_parameters())
    logits = equations(x.transpose(0, 1), weights)
    assert torch.allclose(logits, model(x), rtol=1e-12, atol=1e-12)
    for variant in variants:
        assert not torch.allclose(equations(x.transpose(0, 1), weights, variant), logits, atol=1e-6), variant


def test_an_lstm_cell_is_mapped_whatever_its_gate_order():
    cell, out = torch.nn.LSTMCell(3, 5).double(), torch.nn.Linear(5, 10).double()
    names = ["cell.weight_ih", "cell.weight_hh", "cell.bias_ih", "cell.bias_hh", "out.weight", "out.bias"]
    tensors = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh, out.weight, out.bias]
    x = torch.randn(4, 2, 3, dtype=torch.float64)
    h = c = torch.zeros(2, 5, dtype=torch.float64)
    for x_t in x:
        h, c = cell(x_t, (h, c))
    expected = out(h)
    shapes = [tuple(t.shape) for t in tensors]
    matches = [m for m in candidates(names, shapes, 3, 5, 10, 4)
               if torch.allclose(lstm_logits(x, build(m, tensors, {})), expected)]
    assert matches  # PyTorch's i, f, g, o found among the orders
    assert matches[0]["W_gx"] == (Piece(0, rows=(10, 15)),)  # g is PyTorch's third gate
    assert matches[0]["b_g"] == (Piece(2, rows=(10, 15), flat=True), Piece(3, rows=(10, 15), flat=True))


def test_gate_hints_read_the_assignments_names():
    assert [gate_hint(n) for n in ("W_gx", "lstm.W_oh", "b_f", "Wix", "W_xg", "weight", "W_ph")] == [
        "g", "o", "f", "i", "g", None, None]


def test_submissions_go_out_as_submitit_jobs_and_a_rerun_submits_nothing(tmp_path):
    pytest.importorskip("submitit")
    for case in ("relu", "tuple_output"):
        shutil.copytree(STUDENTS / case, tmp_path / "in" / case)
    (tmp_path / "out").mkdir()
    limits = dict(seed=42, time_limit=TIME_LIMIT, memory_limit=2048)
    local = dict(cluster="local", poll_seconds=0.5)  # submitit's local executor: the code path of SLURM's
    records = check_submissions(tmp_path / "in", tmp_path / "out", None, limits, local, quiet=True)
    assert [r["submission"] for r in records] == ["relu", "tuple_output"]
    assert [(r["model"], r["check"]) for r in records[0]["results"] if r["status"] == "fail"] == [
        ("VanillaRNN", "equations")]
    jobs = {p.name for p in (tmp_path / "out" / "jobs").iterdir()}
    said = []
    assert check_submissions(tmp_path / "in", tmp_path / "out", None, limits, local, say=said.append) == records
    assert said == ["2 of 2 submissions checked before, unchanged; skipping them"]
    assert {p.name for p in (tmp_path / "out" / "jobs").iterdir()} == jobs


def test_a_part_folder_is_checked_alone_and_a_single_file_by_its_place():
    def kinds(path):
        return [kind for _, kind, _ in files_of(path)]
    assert kinds(STUDENTS / "package_fall") == [
        "VanillaRNN", "LSTM", "TextGenerationModel", "train.py (part 1)", "train.py (part 2)"]
    assert kinds(STUDENTS / "package_fall" / "part1") == ["VanillaRNN", "LSTM", "train.py (part 1)"]
    assert kinds(STUDENTS / "package_fall" / "part2" / "train.py") == ["train.py (part 2)"]
    assert kinds(STUDENTS / "other_style" / "part2" / "model.py") == ["TextGenerationModel"]


@pytest.mark.skipif(not slurm_node_idle(), reason="no SLURM cluster with an idle node here (.ci/slurm-up starts "
                                                  "one); the submitit local-executor test runs the same code path")
def test_submissions_on_slurm(tmp_path):
    shutil.copytree(STUDENTS / "relu", tmp_path / "in" / "relu")
    (tmp_path / "out").mkdir()
    slurm = dict(cluster="slurm", timeout_min=5, poll_seconds=2)
    (record,) = check_submissions(tmp_path / "in", tmp_path / "out", None, dict(seed=42, time_limit=TIME_LIMIT,
                                                                                   memory_limit=2048), slurm)
    assert record["submission"] == "relu"
    assert [(r["check"], r["status"]) for r in record["results"] if r["status"] != "pass"] == [("equations", "fail")]
