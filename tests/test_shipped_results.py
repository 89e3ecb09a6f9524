"""The sweep records shipped in docs/part1_<preset>/ reproduce their summary, their table and the README's table."""
import pytest

from uvadl2019.files import read_jsonl, write_csv
from part1.presets import REPORT_ACCURACY
from part1.records import RECORD_KEYS, check_record
from part1.sweep.summary import markdown_table, summarize
from tests.helpers import REPO

SHIPPED = sorted((REPO / "docs").glob("part1_*/runs.jsonl"))


def test_the_quick_presets_records_are_shipped():
    assert REPO / "docs" / "part1_quick" / "runs.jsonl" in SHIPPED


@pytest.mark.parametrize("runs", SHIPPED, ids=[p.parent.name for p in SHIPPED])
def test_shipped_records_reproduce_the_summary_and_the_readme_table(runs, tmp_path):
    preset = runs.parent.name.removeprefix("part1_")
    records = read_jsonl(runs, RECORD_KEYS, check_record)
    assert all(r["environment"]["torch"] and r["environment"]["revision"] for r in records)
    rows = summarize(records)
    write_csv(tmp_path / "summary.csv", rows)
    assert (tmp_path / "summary.csv").read_text() == (runs.parent / f"{preset}_summary.csv").read_text()
    table = markdown_table(rows, REPORT_ACCURACY if preset == "paper" else None)
    assert table == (runs.parent / f"{preset}_table.md").read_text(encoding="utf-8")
    assert table in (REPO / "README.md").read_text(encoding="utf-8")
