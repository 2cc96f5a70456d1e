"""What is due in a period: the frequency of an indicator, and a level that reported nothing.

Hand-made changes to the sample, with the answers worked out by hand:

* every 2025 value of ZY-1.2.1-03 (调研企业数量) is removed. Due every year, it is then missing for
  each of the four majors, which all report at the 专业 level in 2025; with 监测时间及频率 「5年」
  it was last reported in 2024, so it is not due until 2029, and nothing is missing;
* every 2025 teacher-level (JS-) value is removed: the 教师 level reported nothing, although 12
  teachers exist. The diagnosis says so, one line per teacher indicator due (never per teacher):
  the ten yearly ones, and JS-1.2.4-01 (3年, but never reported before 2025); the other 3年 and
  5年 ones (JS-1.1.1-01, JS-1.1.5-01, JS-1.2.1/2/3/5-01) were reported in 2024 and are not due.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MATRIX, SAMPLE
from openpyxl import load_workbook

from zhengai import diagnosis, frequency
from zhengai.loading import batch_order, load_file
from zhengai.store import OxigraphStore

MAJORS = {"460301", "510202", "510203", "530701"}


def _college(folder: Path, survey_frequency: str | None) -> OxigraphStore:
    catalogue = load_workbook(SAMPLE / "监测指标.xlsx")
    if survey_frequency:
        sheet = catalogue["专业"]
        head = next(r for r in sheet.iter_rows() if any(c.value == "编码" for c in r))
        column = max(c.column for c in head if c.value is not None) + 1
        sheet.cell(row=head[0].row, column=column, value="监测时间及频率")
        for row in sheet.iter_rows(min_row=head[0].row + 1):
            if row[0].value == "ZY-1.2.1-03":
                sheet.cell(row=row[0].row, column=column, value=survey_frequency)
    catalogue.save(folder / "监测指标.xlsx")
    observations = load_workbook(SAMPLE / "状态数据.xlsx")
    sheet = observations.active
    for number in range(sheet.max_row, 1, -1):
        code, year = str(sheet.cell(number, 1).value), str(sheet.cell(number, 3).value)
        if year.startswith("2025") and (code == "ZY-1.2.1-03" or code.startswith("JS-")):  # 2025, 2025-2026
            sheet.delete_rows(number)
    observations.save(folder / "状态数据.xlsx")
    files = [MATRIX, folder / "监测指标.xlsx", folder / "状态数据.xlsx",
             *(SAMPLE / n for n in ("组织.xlsx", "对象.xlsx", "年度目标.xlsx"))]  # fmt: skip
    store = OxigraphStore(folder / "store")
    for file, kind in batch_order(files, None):
        load_file(store, file, kind)
    return store


@pytest.mark.parametrize(
    ("text", "every"),
    [("每年", 1), ("每学年", 1), ("每学期", 1), ("3年", 3), ("每三年", 3), ("五年一次", 5), (None, 1),
     ("2025年起每年", 1)],
)  # fmt: skip
def test_frequency_words(text: str | None, every: int) -> None:
    assert frequency.every_years(text) == every


def test_a_yearly_indicator_with_no_2025_values_is_missing_for_every_major(tmp_path: Path) -> None:
    with _college(tmp_path, None) as store:
        run = diagnosis.diagnose(store, 2025)
    missing = {g.subject_code for g in run.gaps if g.code == "ZY-1.2.1-03"}
    assert missing == MAJORS
    assert "ZY-1.2.1-03" not in run.not_due


def test_a_five_yearly_indicator_reported_in_2024_is_not_due_in_2025(tmp_path: Path) -> None:
    with _college(tmp_path, "5年") as store:
        diagnosis.diagnose(store, 2024)  # 460301 red (C), 510203 yellow (B) on ZY-1.2.1-03
        run = diagnosis.diagnose(store, 2025)
    assert [g.id for g in run.gaps if g.code == "ZY-1.2.1-03"] == []
    assert "ZY-1.2.1-03" in run.not_due
    # not due is not closed: the 2024 gaps are neither closed by data nor carried as open
    assert [g.id for g in run.closed if g.code == "ZY-1.2.1-03"] == []
    assert any(g.code == "ZY-1.2.1-01" for g in run.closed)  # a yearly indicator's gaps do close


def test_a_level_that_reported_nothing_is_summarised_per_indicator(tmp_path: Path) -> None:
    with _college(tmp_path, None) as store:
        run = diagnosis.diagnose(store, 2025)
    yearly = [
        "JS-1.1.2-01",
        "JS-1.1.3-01",
        "JS-1.1.4-01",
        "JS-1.2.4-01",
        *(f"JS-1.3.{n}-01" for n in range(1, 8)),
    ]
    assert sorted(p.zh.split("指标 ")[1].split("「")[0] for p in run.silent) == yearly
    assert all("教师层面 2025 学年没有任何数据：12 个对象都缺少指标 JS-" in p.zh for p in run.silent)
    assert sorted(c for c in run.not_due if c.startswith("JS-")) == [
        "JS-1.1.1-01",
        "JS-1.1.5-01",
        *(f"JS-1.2.{n}-01" for n in (1, 2, 3, 5)),
    ]
    first = next(p for p in run.silent if "JS-1.1.2-01" in p.zh)
    assert "数据提供：" in first.zh and "the 教师 level reported nothing" in first.en
    assert not [g for g in run.gaps if g.level == "教师"]  # nothing per teacher


def test_a_school_wide_total_is_due_once_for_the_school(loaded_store: OxigraphStore) -> None:
    """The sample's student indicators are ratios over 全校 totals (统计数据分母 全校学生数, …), all
    but XS-2.3.10-01 (其他), which has no denominator. Worked out by hand from the sample's files:

    * the school reported every 全校 total in 2025 except XS-2.3.6-01 (有专升本意愿学生占比): that
      is its missing-data gap, the only one on a 全校 indicator;
    * 机电2301 has no 2025 value of XS-2.1.3.2-01 (a 全校 total): no gap, it is not due per class;
    * 网络2301 has no 2025 value of XS-2.3.10-01, due for every class that reports: a gap;
    * the school reported student-level totals, but it is no class: XS-2.3.10-01 is not due for it.
    """
    run = diagnosis.diagnose(loaded_store, 2025)
    student = {(g.code, g.subject_code) for g in run.gaps if g.code.startswith("XS-")}
    assert student == {("XS-2.3.6-01", "10999"), ("XS-2.3.10-01", "网络2301")}
    school_wide = sorted(s.indicator.code for s in run_standards(loaded_store) if s.indicator.school_wide)
    assert (
        len(school_wide) == 28
        and "XS-2.3.10-01" not in school_wide
        and all(c.startswith("XS-") for c in school_wide)
    )


def run_standards(store: OxigraphStore) -> list:
    from zhengai.standards import compile_period

    return [s for s in compile_period(store, 2025).standards if s.subject is None]
