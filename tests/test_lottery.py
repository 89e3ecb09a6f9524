"""part1.sweep.lottery: outcomes, the Wilson interval and Fisher's test against published values, the report's
counts read off its means, and the command."""
import json

import pytest

from uvadl2019.checks import UserError
from part1.presets import REPORT_ACCURACY
from part1.sweep.lottery import (
    CHANCE,
    LEARNED,
    fisher_exact,
    lottery_rows,
    markdown_table,
    outcome,
    report_learned,
    wilson_interval,
)
from tests.helpers import assert_one_line_error, run_cli


def record(seed, accuracy, steps, model_type="RNN", length=100, **config):
    return {"model_type": model_type, "input_length": length, "seed": seed, "test_accuracy": accuracy,
            "steps": steps, "converged": steps < 10000,
            "config": {"model_type": model_type, "input_length": length, "seed": seed, "min_steps": 6500,
                       "learning_rate": 1e-4, "out_dir": f"somewhere/{seed}", **config}}


def test_outcome_thresholds():
    assert (LEARNED, CHANCE) == (0.99, 0.2)
    assert [outcome(a) for a in (1.0, 0.99, 0.9899, 0.5, 0.2001, 0.2, 0.1, 0.0)] == [
        "learned", "learned", "partial", "partial", "partial", "chance", "chance", "chance"]


@pytest.mark.parametrize("k, n, low, high", [  # Newcombe (1998), Statistics in Medicine 17, Table I, method 3
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)])
def test_wilson_interval_matches_newcombes_table(k, n, low, high):
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_is_symmetric_and_closed_form_at_the_ends():
    z2 = 1.959963984540054 ** 2
    assert wilson_interval(0, 16) == pytest.approx((0.0, z2 / (16 + z2)))
    low, high = wilson_interval(5, 16)
    assert wilson_interval(11, 16) == pytest.approx((1 - high, 1 - low))


def test_fisher_exact_by_hand():
    # The lady tasting tea, 3 of 4 against 1 of 4: tables x = 0..4 have probabilities 1, 16, 36, 16, 1 (/70);
    # those no more likely than x = 3 sum to 34/70.
    assert fisher_exact(3, 4, 1, 4) == pytest.approx(34 / 70, rel=1e-15)
    # 0 of 16 against 4 of 4: the only table that unlikely is the observed one, 1 / C(20, 4).
    assert fisher_exact(0, 16, 4, 4) == pytest.approx(1 / 4845, rel=1e-15)
    assert fisher_exact(4, 16, 1, 4) == 1.0  # the same proportion
    assert fisher_exact(2, 16, 3, 4) == fisher_exact(3, 4, 2, 16)  # the groups' order does not matter


def test_the_reports_counts_fit_its_means_and_stds():
    counts = {cell: report_learned(REPORT_ACCURACY[cell][0]) for cell in
              [("RNN", 100), ("RNN", 150), ("LSTM", 100), ("LSTM", 150)]}
    assert counts == {("RNN", 100): 1, ("RNN", 150): 0, ("LSTM", 100): 3, ("LSTM", 150): 1}
    for cell, k in counts.items():  # runs at 1 and at 0.1: population std 0.9 sqrt(k (4 - k)) / 4
        assert REPORT_ACCURACY[cell][1] == pytest.approx(0.9 * (k * (4 - k)) ** 0.5 / 4, abs=0.005)
    assert report_learned(REPORT_ACCURACY["RNN", 50][0]) == 4


def test_rows_count_outcomes_name_partial_runs_and_split_the_steps():
    records = [record(42, 0.1, 7000), record(43, 1.0, 10000), record(44, 0.7067, 10000), record(45, 0.995, 8000),
               record(46, 0.098, 6600)]
    (row,) = lottery_rows(records)
    assert (row["runs"], row["learned"], row["partial"], row["chance"]) == (5, 2, 1, 2)
    assert row["partial_runs"] == "44: 0.7067"
    assert (row["report_learned"], row["report_runs"]) == (1, 4)
    assert row["p_value"] == round(fisher_exact(2, 5, 1, 4), 4)
    assert (row["learned_low"], row["learned_high"]) == tuple(round(x, 4) for x in wilson_interval(2, 5))
    assert (row["steps_learned_median"], row["steps_learned_min"], row["steps_learned_max"]) == (9000, 8000, 10000)
    assert (row["steps_other_median"], row["steps_other_min"], row["steps_other_max"]) == (7000, 6600, 10000)
    assert row["min_steps"] == 6500
    table = markdown_table([row]).splitlines()
    assert table[2] == ("| RNN | 100 | 2 of 5 | 0.12–0.77 | 1 (44: 0.7067) | 2 | 1 of 4 | "
                        f"{row['p_value']:.3f} | 9000 (8000–10000) | 7000 (6600–10000) | 6500 |")


def test_runs_of_other_settings_in_one_cell_are_refused():
    with pytest.raises(UserError, match="learning_rate"):
        lottery_rows([record(42, 1.0, 7000), record(43, 1.0, 7000, learning_rate=1e-3)])


def test_the_command_writes_summary_table_and_figure(tmp_path):
    records = [record(s, a, 7000, model_type=m, length=n) for m in ("RNN", "LSTM") for n in (100, 150)
               for s, a in [(42, 1.0), (43, 0.1), (44, 0.5)]]
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    result = run_cli("-m", "part1.sweep.lottery", tmp_path, "--figure", tmp_path / "fig" / "lottery.png")
    assert result.returncode == 0, result.stderr
    table = (tmp_path / "lottery_table.md").read_text(encoding="utf-8")
    assert table in result.stdout and len(table.splitlines()) == 2 + 4
    csv = (tmp_path / "lottery_summary.csv").read_text().splitlines()
    assert csv[0].startswith("model_type,input_length,runs,learned,partial,chance,") and len(csv) == 5
    assert (tmp_path / "fig" / "lottery.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_folder_without_records_is_one_line(tmp_path):
    assert_one_line_error(run_cli("-m", "part1.sweep.lottery", tmp_path), "runs_dir", "runs.jsonl")
    assert not list(tmp_path.iterdir())
