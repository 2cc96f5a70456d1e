"""The 自我诊改报告 (zhengai.selfreport, zhengai report) on the sample: Markdown, xlsx read back with
openpyxl, and a PDF printed by Debian's Chromium whose text (pdftotext) holds a gap's message and
its owner's name."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from zhengai import selfreport
from zhengai.cli import app
from zhengai.store import OxigraphStore

GAP = "2025/ZY-1.1.1-02/510202"  # red: 65 % below the C line of 70 %; owned by 专业带头人 曾思远


def test_the_major_levels_report_names_each_gap_and_its_owner(
    sample_2025: OxigraphStore, tmp_path: Path
) -> None:
    made = selfreport.build(sample_2025, 2025, level="专业")
    assert made.items and all(i.row.level == "专业" for i in made.items)
    text = selfreport.markdown(made)
    item = next(i for i in made.items if i.row.id == GAP)
    assert item.row.message_zh in text and "曾思远" in text
    assert "## 层面 × 体系 Heatmap" in text and "## 螺旋 Spiral" in text
    unit = selfreport.build(sample_2025, 2025, unit="信息工程学院")
    assert unit.items and {i.row.id for i in unit.items} < {
        i.row.id for i in selfreport.build(sample_2025, 2025).items
    }


def test_the_xlsx_report_has_a_frozen_header_colours_and_no_formulas(
    sample_2025: OxigraphStore, tmp_path: Path
) -> None:
    made = selfreport.build(sample_2025, 2025, level="专业")
    first = made.items[0]
    made.items[0] = dataclasses.replace(
        first, row=dataclasses.replace(first.row, message_zh='=HYPERLINK("http://x")')
    )
    out = tmp_path / "report.xlsx"
    selfreport.write(made, "xlsx", out)
    book = load_workbook(out)
    gaps = book["问题 gaps"]
    assert gaps.freeze_panes == "A2" and gaps.cell(1, 1).value == "问题编号"
    ids = [gaps.cell(r, 1).value for r in range(2, gaps.max_row + 1)]
    assert GAP in ids and len(ids) == len(made.items)
    messages = [gaps.cell(r, 9).value for r in range(2, gaps.max_row + 1)]
    assert '\'=HYPERLINK("http://x")' in messages
    red = ids.index(GAP) + 2
    assert gaps.cell(red, 2).fill.fgColor.rgb.endswith("F8D0CC")


@pytest.mark.slow
@pytest.mark.skipif(not selfreport.CHROMIUM.exists() or not shutil.which("pdftotext"),
                    reason="Debian's chromium and poppler-utils are not installed (make test installs them)")  # fmt: skip
def test_the_pdf_report_holds_the_gaps_message_and_its_owners_name(
    sample_2025: OxigraphStore, tmp_path: Path
) -> None:
    made = selfreport.build(sample_2025, 2025, level="专业")
    out = tmp_path / "专业.pdf"
    selfreport.write(made, "pdf", out)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub(r"\s+", "", text)  # a table cell wraps its text over lines
    assert out.read_bytes().startswith(b"%PDF")
    assert "自我诊改报告" in text and "曾思远" in text and "ZY-1.1.1-02" in text


def test_the_command_writes_each_format_and_explains_what_is_wrong(tmp_path: Path) -> None:
    from conftest import load_sample

    from zhengai import diagnosis

    store_path = tmp_path / "store"
    with OxigraphStore(store_path) as store:
        load_sample(store)
        diagnosis.diagnose(store, 2025)
    runner = CliRunner()
    shown = runner.invoke(app, ["--store", str(store_path), "report", "--level", "专业"])
    assert shown.exit_code == 0 and GAP in shown.output
    written = runner.invoke(
        app, ["--store", str(store_path), "report", "-f", "xlsx", "--out", str(tmp_path / "r.xlsx")]
    )
    assert written.exit_code == 0 and (tmp_path / "r.xlsx").exists()
    bad = runner.invoke(
        app, ["--store", str(store_path), "report", "-f", "docx", "--out", str(tmp_path / "r.docx")]
    )
    assert bad.exit_code != 0 and "unknown format" in bad.output
    unknown = runner.invoke(app, ["--store", str(store_path), "report", "--level", "系部"])
    assert unknown.exit_code != 0 and "unknown level" in unknown.output
