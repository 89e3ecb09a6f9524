"""The config objects: defaults equal to the command line's, checks with one-line messages, the run key."""
import pytest

from uvadl2019.checks import UserError, check_at_least, check_positive
from part1.config import TrainConfig, parse_config
from part1.sweep.config import SweepConfig
from part2.config import TextTrainConfig, parse_config as parse_text_config
from part2.paper.start import Start2Config


def test_checks_name_the_option_and_skip_values_not_given():
    check_at_least(1, steps=None, jobs=1)
    with pytest.raises(UserError, match=r"^--jobs must be at least 1, got 0$"):
        check_at_least(1, steps=3, jobs=0)
    with pytest.raises(UserError, match=r"^--print_every must be 0 or more, got -1$"):
        check_at_least(0, print_every=-1)
    check_positive(tau=None, lr=1e-9)
    for bad in (0, -1, float("inf"), float("nan")):
        with pytest.raises(UserError, match="--lr must be positive"):
            check_positive(lr=bad)


def test_command_line_defaults_are_the_configs_defaults():
    assert parse_config([]) == TrainConfig()
    assert parse_text_config(["--txt_file", "book.txt"]) == TextTrainConfig(txt_file="book.txt")
    assert parse_config(["--max_norm", "off", "--dry-run"]) == TrainConfig(max_norm=None, dry_run=True)


def test_configs_made_in_code_are_checked_too():
    with pytest.raises(UserError, match="--input_length must be at least 1"):
        TrainConfig(input_length=0)
    with pytest.raises(UserError, match="--impl: unknown value 'cudnn'"):
        TrainConfig(impl="cudnn")
    with pytest.raises(UserError, match="--dropout_keep_prob must be in"):
        TextTrainConfig(txt_file="book.txt", dropout_keep_prob=0)
    with pytest.raises(UserError, match="--models: unknown value"):
        SweepConfig(models=("RNN", "GRU"))
    with pytest.raises(UserError, match="--num_hidden must be at least 1"):
        TrainConfig().replace(num_hidden=0)


def test_run_key_ignores_where_and_how_a_run_is_reported():
    config = TrainConfig()
    assert config.replace(device="cpu", out_dir="x", print_every=0, dry_run=True).key() == config.key()
    assert config.replace(seed=1).key() != config.key()
    assert config.replace(num_threads=1).key() != config.key()  # thread counts change the last bits


def test_start2_paper_preset_is_the_reports_run():
    paper = Start2Config(preset="paper", txt_file="book.txt").train_config()
    assert (paper.train_steps, paper.lstm_num_layers, paper.lstm_num_hidden, paper.batch_size, paper.seq_length,
            paper.learning_rate, paper.dropout_keep_prob, paper.max_norm) == (
        1_000_000, 2, 128, 64, 30, 2e-3, 0.85, None)
    assert Start2Config(txt_file="book.txt").train_config().max_norm == 5.0  # the quick preset clips
    assert Start2Config(train_steps=7, txt_file="book.txt").train_config().train_steps == 7
