"""Bad input: a clear zh/en error naming file, sheet, row and column; exit 2, no traceback; store unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLE, load_sample
from typer.testing import CliRunner

from zhengai import write_log
from zhengai.cli import app
from zhengai.store import OxigraphStore

runner = CliRunner()


@pytest.fixture
def sample_path(tmp_path: Path) -> Path:
    """A store directory with the sample loaded, closed so the CLI can open it."""
    path = tmp_path / "store"
    store = OxigraphStore(path)
    load_sample(store)
    store.close()
    return path


def snapshot(path: Path) -> set[tuple]:
    store = OxigraphStore(path)
    try:
        return write_log.data_quads(store.quads())
    finally:
        store.close()


def run_load(store: Path, *args: str) -> str:
    before = snapshot(store)
    result = runner.invoke(app, ["--store", str(store), "load", *args])
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert snapshot(store) == before, "the store changed after a failed load"
    with OxigraphStore(store) as s:  # the refused attempt is in the write log
        assert [(e.action, e.outcome) for e in write_log.entries(s, limit=1)] == [("load", "error")]
    return output


def assert_names(output: str, file: str, sheet: str | None, row: int | None, column: str | None) -> None:
    assert f"文件「{file}」" in output and f"file '{file}'" in output
    if sheet:
        assert f"工作表「{sheet}」" in output and f"sheet '{sheet}'" in output
    if row is not None:
        assert f"第 {row} 行" in output and f"row {row}" in output
    if column:
        assert f"列「{column}」" in output and f"column '{column}'" in output


CATALOGUE_HEADER = ["编码", "一级指标", "二级指标", "三级指标", "质控点", "诊断标准", "数据来源"]
CATALOGUE_ROW = ["ZY-9.1.1-01", "1 决策指挥", "9.1其他", "9.1.1其他", "新的质控点", "有/无", "诊改平台"]


def test_missing_required_column(sample_path: Path, write_xlsx) -> None:
    path = write_xlsx(
        "缺列.xlsx",
        {"专业": [CATALOGUE_HEADER[:1] + CATALOGUE_HEADER[2:], CATALOGUE_ROW[:1] + CATALOGUE_ROW[2:]]},
    )
    out = run_load(sample_path, str(path), "--kind", "catalogue")
    assert_names(out, "缺列.xlsx", "专业", 1, "一级指标")
    assert "缺少必需的列" in out and "missing required column" in out


def test_value_of_the_wrong_type(sample_path: Path, write_xlsx) -> None:
    path = write_xlsx(
        "类型.xlsx", {"状态数据": [["指标", "对象", "学年", "值"], ["ZY-1.2.1-01", "510203", 2025, "很好"]]}
    )
    out = run_load(sample_path, str(path))
    assert_names(out, "类型.xlsx", "状态数据", 2, "值")
    assert "「很好」" in out and "'很好'" in out


def test_wrong_type_in_the_org_workbook(sample_path: Path, write_xlsx, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(SAMPLE / "组织.xlsx")
    wb["岗位"]["C5"] = "两个"  # 本岗位编制数
    path = tmp_path / "组织-坏.xlsx"
    wb.save(path)
    out = run_load(sample_path, str(path))
    assert_names(out, "组织-坏.xlsx", "岗位", 5, "本岗位编制数")


def test_observation_for_unknown_indicator(sample_path: Path, write_xlsx) -> None:
    path = write_xlsx(
        "指标.xlsx",
        {
            "状态数据": [
                ["指标", "对象", "学年", "值"],
                ["ZY-1.2.1-01", "510203", 2025, "80%"],
                ["NO-SUCH", "510203", 2025, "80%"],
            ]
        },
    )
    out = run_load(sample_path, str(path))
    assert_names(out, "指标.xlsx", "状态数据", 3, "指标")
    assert "未知指标「NO-SUCH」" in out and "unknown indicator 'NO-SUCH'" in out


def test_observation_for_unknown_subject(sample_path: Path, write_xlsx) -> None:
    path = write_xlsx(
        "对象.xlsx",
        {"状态数据": [["指标", "对象", "学年", "值"], ["ZY-1.2.1-01", "999999", "2025-2026", "80%"]]},
    )
    out = run_load(sample_path, str(path))
    assert_names(out, "对象.xlsx", "状态数据", 2, "对象")
    assert "未知对象「999999」" in out and "unknown subject '999999'" in out


def test_duplicate_indicator_codes(sample_path: Path, write_xlsx) -> None:
    second = ["ZY-9.1.1-01", "1 决策指挥", "9.1其他", "9.1.1其他", "另一个质控点", "有/无", "诊改平台"]
    path = write_xlsx("重复.xlsx", {"专业": [CATALOGUE_HEADER, CATALOGUE_ROW, second]})
    out = run_load(sample_path, str(path), "--kind", "catalogue")
    assert_names(out, "重复.xlsx", "专业", 3, "编码")
    assert "重复" in out and "duplicate indicator code 'ZY-9.1.1-01'" in out


def test_code_already_used_by_another_level(sample_path: Path, write_xlsx) -> None:
    row = ["XX-1.1.1-01", *CATALOGUE_ROW[1:]]
    path = write_xlsx("跨层面.xlsx", {"专业": [CATALOGUE_HEADER, row]})
    out = run_load(sample_path, str(path), "--kind", "catalogue")
    assert_names(out, "跨层面.xlsx", "专业", 2, "编码")


def test_empty_sheet(sample_path: Path, write_xlsx) -> None:
    path = write_xlsx("空表.xlsx", {"专业": [CATALOGUE_HEADER, CATALOGUE_ROW], "学校": []})
    out = run_load(sample_path, str(path), "--kind", "catalogue")
    assert_names(out, "空表.xlsx", "学校", None, None)
    assert "工作表是空的" in out and "the sheet is empty" in out


def test_header_without_rows(sample_path: Path, write_xlsx) -> None:
    path = write_xlsx("只有表头.xlsx", {"专业": [CATALOGUE_HEADER]})
    out = run_load(sample_path, str(path), "--kind", "catalogue")
    assert_names(out, "只有表头.xlsx", "专业", 1, None)


def test_text_file_renamed_xlsx(sample_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "假的.xlsx"
    path.write_text("指标,对象,学年,值\nZY-1,510203,2025,80%\n", encoding="utf-8")
    out = run_load(sample_path, str(path))
    assert_names(out, "假的.xlsx", None, None, None)
    assert "不是有效的 Excel 工作簿" in out and "not a valid Excel workbook" in out


def test_truncated_xlsx(sample_path: Path, tmp_path: Path) -> None:
    data = (SAMPLE / "监测指标.xlsx").read_bytes()
    path = tmp_path / "截断.xlsx"
    path.write_bytes(data[: len(data) // 2])
    out = run_load(sample_path, str(path))
    assert_names(out, "截断.xlsx", None, None, None)
    assert "not a valid Excel workbook" in out


def test_every_error_of_a_file_is_reported_at_once(sample_path: Path, write_xlsx) -> None:
    rows = [
        ["指标", "对象", "学年", "值"],
        ["NO-1", "510203", 2025, "1"],
        ["ZY-1.2.1-01", "x", 2025, "1"],
        ["ZY-1.2.1-01", "510203", "明年", "1"],
    ]
    out = run_load(sample_path, str(write_xlsx("多处.xlsx", {"状态数据": rows})))
    assert "3 处错误" in out and "3 error(s)" in out


def test_a_bad_file_does_not_stop_the_good_ones(sample_path: Path, write_xlsx, tmp_path: Path) -> None:
    bad = tmp_path / "坏.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    good = write_xlsx(
        "好.xlsx", {"状态数据": [["指标", "对象", "学年", "值"], ["ZY-1.2.1-01", "510203", 2026, "88%"]]}
    )
    result = runner.invoke(app, ["--store", str(sample_path), "load", str(bad), str(good)])
    assert result.exit_code == 2
    assert "✓ 好.xlsx" in result.output and "✗ 坏.xlsx" in result.output
    store = OxigraphStore(sample_path)
    assert any(str(g).endswith("observations/2026") for g in store.named_graphs())
    store.close()
