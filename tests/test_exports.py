"""CSV exports neutralise cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import dataclasses
import io

from zhengai import reports


def test_formula_cells_are_neutralised_and_numbers_kept() -> None:
    for text in ('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1"):
        assert reports.safe_cell(text) == "'" + text
    for text in ("-3.5", "+7", "正常文本", "", None):
        assert reports.safe_cell(text) == ("" if text is None else text)


def test_gap_csv_neutralises_every_field() -> None:
    fields = {f.name: "x" for f in dataclasses.fields(reports.GapRow)}
    row = reports.GapRow(**{**fields, "period": 2025, "label": "=1+1", "message_zh": "@cmd"})  # type: ignore[arg-type]
    parsed = next(iter(csv.DictReader(io.StringIO(reports.to_csv([row])))))
    assert "'=1+1" in parsed.values() and "'@cmd" in parsed.values()
