"""Generated bad input for every option of every command, and generated damage to the files that --replot and
--resume read: exit code 2, one line on stderr that names the option, no traceback, nothing made or lost."""
import json
import math
import shutil
import string
from dataclasses import fields

import pytest

from uvadl2019 import __version__
from uvadl2019.cli import flag_of, run_main
import start1
import start2
from check_assignment import __main__ as check_assignment
from part1 import grads_over_time, train as part1_train
from part1.config import TrainConfig
from part1.sweep import lottery
from part1.sweep.config import SweepConfig
from part2 import generate, temperature, train as part2_train
from part2.config import TextTrainConfig
from part2.longrun.logs import METRICS, SAMPLES
from part2.paper import books, pretrained, start, summarize
from part3 import karate
from tests.helpers import REPO

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

BOOK = str(REPO / "README.md")
TINY_TEXT = ["--seq_length", "8", "--lstm_num_hidden", "16", "--batch_size", "8", "--train_steps", "2"]
SWEEP = ["--models", "RNN", "--lengths", "2", "--seeds", "1", "--steps", "2", "--jobs", "1"]
# Each command: its entry point, its config class, and arguments that make any run it starts a short one (its
# positional argument, where it has one, last).
COMMANDS = {
    "part1.train": (part1_train.main, TrainConfig, ["--train_steps", "2", "--eval_size", "64", "--print_every", "0"]),
    "start1.py": (start1.main, SweepConfig, SWEEP),
    "part1.sweep.lottery": (lottery.main, lottery.LotteryConfig, ["{tmp}"]),
    "grads_over_time": (grads_over_time.main, grads_over_time.GradsConfig,
                        ["--input_length", "5", "--batch_size", "4", "--num_hidden", "8"]),
    "part2.train": (part2_train.main, TextTrainConfig, ["--txt_file", BOOK, *TINY_TEXT]),
    "start2.py": (start2.main, start.Start2Config, ["--txt_file", BOOK, "--train_steps", "2"]),
    "part2.generate": (generate.main, generate.GenerateConfig, ["--length", "5"]),
    "part2.temperature": (temperature.main, temperature.TemperatureConfig, []),
    "part2.paper.summarize": (summarize.main, summarize.SummarizeConfig, ["--docs", "{tmp}/docs", "{run}"]),
    "part2.paper.pretrained": (pretrained.main, pretrained.ExportConfig,
                               ["--folder", "{tmp}/out", "{run}/checkpoint.pt"]),
    "part3.karate": (karate.main, karate.KarateConfig, ["--epochs", "2"]),
    "part2.paper.books": (books.main, books.DownloadConfig, ["--dir", "{tmp}/books", books.DEFAULT_BOOK]),
    "check_assignment": (check_assignment.main, check_assignment.CheckConfig,
                         [str(REPO / "tests" / "students" / "package_fall" / "part1" / "lstm.py")]),
}
OUTPUT_FOLDERS = ("out_dir", "summary_path", "tensorboard", "folder", "docs", "dir")
INPUT_FILES = ("txt_file", "checkpoint", "run_dir", "runs_dir")
FREE_TEXT = ("prompt",)  # any text is a prompt
# A huge value of these is allowed (or checked against memory).
UNBOUNDED = ("print_every", "sample_every", "eval_every", "checkpoint_every", "train_steps", "steps", "jobs",
             "slurm_time", "slurm_array_limit", "slurm_gpus", "epochs", "length", "trained_steps", "min_steps",
             "learning_rate_step", "num_classes", "num_samples")
LETTERS = st.text(string.ascii_letters + string.punctuation.replace("-", ""), min_size=1, max_size=6)


def options():
    """(command, field) for every option with a value (flags cannot be wrong) of every command."""
    return [(command, f) for command, (_, config, _) in COMMANDS.items() for f in fields(config)
            if f.type is not bool and f.name not in FREE_TEXT]


def bad_values(f):
    """A strategy for values that the option of field f must refuse: lists of argv words."""
    name, meta = f.name, f.metadata
    if meta.get("nargs"):  # a value given twice
        value = str((f.default or meta.get("choices") or ["1"])[0])
        return st.just([value, value])
    if name in OUTPUT_FOLDERS:
        return st.sampled_from(["", "{tmp}/afile", "{tmp}/afile/sub", "/dev/null", "/proc/nowhere"]).map(lambda v: [v])
    if name in INPUT_FILES:
        return st.sampled_from(["", "{tmp}/adir", "{tmp}/missing", "/dev/null", "/dev/zero"]).map(lambda v: [v])
    if meta.get("choices"):
        return LETTERS.filter(lambda v: v not in map(str, meta["choices"])).map(lambda v: [v])
    if name == "device":
        return st.sampled_from(["", "tpu", "cuda:x", "cpu:0:1", "mps:7"]).map(lambda v: [v])
    if f.type is int:
        huge = [] if name in UNBOUNDED else [st.integers(min_value=2 ** 63, max_value=2 ** 80)]
        return st.one_of(st.integers(max_value=-1), LETTERS, st.sampled_from(["", "nan", "1.5", "1e3"]),
                         *huge).map(lambda v: [str(v)])
    if f.type is float:
        return st.one_of(st.sampled_from(["", "nan", "inf", "-inf"]), LETTERS).map(lambda v: [v])
    return st.just([""])


def run_command(command, argv, tmp, capsys):
    """Run the command in-process from `tmp`; (exit code, stderr)."""
    main = COMMANDS[command][0]
    try:
        run_main(lambda: main(argv), command)
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, capsys.readouterr().err


def assert_one_line(code, error, *fragments):
    lines = [line for line in error.splitlines() if line.strip()]
    assert code == 2 and "Traceback" not in error and len(lines) == 1, error
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def listing(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def finished_text_run(tmp_path_factory):
    """The folder of a finished two-step part 2 run, with samples."""
    folder = tmp_path_factory.mktemp("text") / "run"
    part2_train.main(["--txt_file", BOOK, *TINY_TEXT, "--sample_every", "1", "--print_every", "1",
                      "--checkpoint_every", "1", "--device", "cpu", "--out_dir", str(folder)])
    return folder


@pytest.mark.parametrize("command, f", options(), ids=[f"{c} {f.name}" for c, f in options()])
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_bad_option_value_is_one_line_naming_the_option(command, f, data, finished_text_run, tmp_path_factory,
                                                              monkeypatch, capsys):
    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "afile").write_text("a file, not a folder")
    (tmp / "adir").mkdir()
    monkeypatch.chdir(tmp)  # default output folders (results/...) would appear here
    values = data.draw(bad_values(f), label="value")
    flag = flag_of(f)
    base = COMMANDS[command][2]
    if flag.startswith("-"):
        argv = [*base, flag, *values]
    else:  # the positional argument: replaces the base's
        argv = [*base[:-1], *values]
    argv = [a.replace("{tmp}", str(tmp)).replace("{run}", str(finished_text_run)) for a in argv]
    before = listing(tmp)
    code, error = run_command(command, [*argv, *(["--device", "cpu"] if has_device(command, f) else [])], tmp,
                              capsys)
    assert_one_line(code, error, flag)
    assert listing(tmp) == before


def has_device(command, f):
    """Whether to pin the command to the CPU (it has --device, and --device is not the option under test)."""
    return f.name != "device" and "device" in {g.name for g in fields(COMMANDS[command][1])}


# --- damaged files: runs.jsonl for --replot, metrics and samples for --resume ---------------------------------

JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
                        st.floats(), st.text(max_size=5), st.lists(st.integers(), max_size=2),
                        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory):
    """The folder of a finished two-step sweep."""
    folder = tmp_path_factory.mktemp("sweep")
    start1.main([*SWEEP, "--device", "cpu", "--out_dir", str(folder)])
    return folder


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(key=st.sampled_from(["model_type", "input_length", "seed", "steps", "converged", "test_accuracy",
                            "config", "loss_curve"]), value=JSON_VALUES)
def test_a_record_with_any_value_replots_or_is_one_line(key, value, finished_sweep, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("replot")
    shutil.copytree(finished_sweep, folder, dirs_exist_ok=True)
    record = json.loads((folder / "runs.jsonl").read_text())
    record[key] = value
    (folder / "runs.jsonl").write_text(json.dumps(record) + "\n")
    code, error = run_command("start1.py", [*SWEEP, "--device", "cpu", "--out_dir", str(folder), "--replot"],
                              folder, capsys)
    if code == 2:
        assert_one_line(code, error, "runs.jsonl")
    else:  # accepted: then every number in the summary is a number
        assert code == 0, error
        rows = (folder / "quick_summary.csv").read_text().splitlines()[1:]
        assert rows and all(math.isfinite(float(x)) for row in rows for x in row.split(",")[2:] if x)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from([METRICS, SAMPLES]), damage=st.binary(max_size=200),
       at=st.integers(min_value=0, max_value=400))
def test_damaged_logs_resume_or_are_one_line(name, damage, at, finished_text_run, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("resume") / "run"
    shutil.copytree(finished_text_run, folder)
    log = (folder / name).read_bytes()
    (folder / name).write_bytes(log[:at] + damage + log[at + len(damage):])
    code, error = run_command("part2.train", ["--txt_file", BOOK, *TINY_TEXT, "--device", "cpu", "--out_dir",
                                              str(folder), "--resume", "--train_steps", "3"], folder, capsys)
    if code == 2:
        assert_one_line(code, error, name)
    else:
        assert code == 0, error


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_says_its_version(command, capsys):
    with pytest.raises(SystemExit) as exit:
        COMMANDS[command][0](["--version"])
    assert exit.value.code == 0 and capsys.readouterr().out.split() == [*command_name(command), __version__]


def command_name(command):
    """How argparse names the command in its messages (prog)."""
    return ["start1.py"] if command == "start1.py" else ["start2.py"] if command == "start2.py" else \
        ["python", "-m", command.replace("grads_over_time", "part1.grads_over_time")]
