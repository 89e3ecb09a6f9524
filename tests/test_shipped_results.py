"""The sweep records shipped in docs/: each preset's reproduce their summary, their table and the README's table;
the lottery's (docs/part1_lottery/) are runs of the paper preset's settings and, all in, reproduce theirs too."""
import pytest

from uvadl2019.files import write_csv
from part1.config import key_of
from part1.presets import REPORT_ACCURACY, plan
from part1.records import read_records
from part1.sweep import lottery
from part1.sweep.summary import markdown_table, summarize
from tests.helpers import REPO

PRESETS = {preset: REPO / "docs" / f"part1_{preset}" / "runs.jsonl" for preset in ("quick", "paper")}
LOTTERY = REPO / "docs" / "part1_lottery"
LOTTERY_PLAN = plan("paper", lengths=[100, 150], seeds=range(42, 58))  # sixteen seeds of the two longest lengths


@pytest.mark.parametrize("preset", PRESETS)
def test_shipped_records_reproduce_the_summary_and_the_readme_table(preset, tmp_path):
    runs = PRESETS[preset]
    records = read_records(runs)
    assert records and all(r["environment"]["torch"] and r["environment"]["revision"] for r in records)
    rows = summarize(records)
    write_csv(tmp_path / "summary.csv", rows)
    assert (tmp_path / "summary.csv").read_text() == (runs.parent / f"{preset}_summary.csv").read_text()
    table = markdown_table(rows, REPORT_ACCURACY if preset == "paper" else None)
    assert table == (runs.parent / f"{preset}_table.md").read_text(encoding="utf-8")
    assert table in (REPO / "README.md").read_text(encoding="utf-8")


def lottery_records():
    return read_records(LOTTERY / "runs.jsonl")


def test_the_lottery_records_are_runs_of_the_paper_presets_settings():
    planned = {c.key() for c in LOTTERY_PLAN}
    keys = [key_of(r["config"]) for r in lottery_records()]
    assert keys and set(keys) <= planned and len(set(keys)) == len(keys)


def test_the_finished_lottery_reproduces_its_summary_figure_table_and_the_readme(tmp_path):
    records = lottery_records()
    if len(records) < len(LOTTERY_PLAN):
        pytest.skip(f"{len(records)} of {len(LOTTERY_PLAN)} lottery runs recorded; the summary ships with the last")
    rows = lottery.write_lottery(records, tmp_path)
    assert (tmp_path / "lottery_summary.csv").read_text() == (LOTTERY / "lottery_summary.csv").read_text()
    table = lottery.markdown_table(rows)
    assert table == (LOTTERY / "lottery_table.md").read_text(encoding="utf-8")
    assert table in (REPO / "README.md").read_text(encoding="utf-8")
    assert (REPO / "docs" / "lottery.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
