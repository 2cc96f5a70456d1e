"""``zhengai criteria`` and the count ``zhengai load`` prints for a catalogue."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SAMPLE
from typer.testing import CliRunner

from zhengai.cli import app

runner = CliRunner()
CATALOGUE = SAMPLE / "监测指标.xlsx"


def zg(store: Path, *args: str):
    return runner.invoke(app, ["--store", str(store), *args])


def test_load_prints_the_machine_checkable_count(tmp_path: Path) -> None:
    result = zg(tmp_path / "s", "load", str(CATALOGUE))
    assert result.exit_code == 0, result.output
    # the seed's teacher and student tables have no 诊断标准 column: 46 rows are missing data only
    assert "48 / 94 条诊断标准可机器检查；其余见 `zhengai criteria`" in result.output
    assert "48 / 94 criteria machine-checkable" in result.output


def test_criteria_reads_a_workbook_without_loading_it(tmp_path: Path) -> None:
    store = tmp_path / "s"
    result = zg(store, "criteria", str(CATALOGUE), "--level", "专业", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["summary"]["checkable"] == data["summary"]["total"] == 20
    by_code = {r["code"]: r for r in data["rows"]}
    assert by_code["ZY-1.1.1-02"]["reading_zh"].startswith(
        "A ≥ 90%，B ≥ 70% 且 < 90%（黄色预警），C < 70%（红色预警）"
    )
    assert by_code["ZY-1.2.1-04"]["reading_zh"] == "是/否判断：「是」为红色预警"
    assert by_code["ZY-1.1.1-02"]["sheet"] == "专业" and by_code["ZY-1.1.1-02"]["row"] == 4
    assert not store.exists() or not any(store.iterdir())  # read, not loaded


def test_criteria_says_why_not_and_what_would_help(tmp_path: Path, write_xlsx) -> None:
    path = write_xlsx(
        "指标.xlsx",
        {
            "专业": [
                ["编码", "一级指标", "观测点", "评价标准"],
                ["Q-1", "质量生成", "就业率", "不低于90%"],
                ["Q-2", "质量生成", "就业率走势", "就业率连续两年低于60%"],
                ["Q-3", "质量生成", "专业定位", "定位准确、特色鲜明"],
            ]
        },
    )
    store = tmp_path / "s"
    assert zg(store, "load", str(path)).exit_code == 0
    result = zg(store, "criteria", "--unreadable", "--format", "json")
    data = json.loads(result.output)
    assert data["summary"]["zh"].startswith("1 / 3 条诊断标准可机器检查")
    assert data["not_checkable_by_category"] == {"over years": 1, "descriptive": 1}
    rows = {r["code"]: r for r in data["rows"]}
    assert set(rows) == {"Q-2", "Q-3"}
    assert "预警规则表" in rows["Q-2"]["hint_zh"] and "warning rule" in rows["Q-2"]["hint_en"]
    assert "写出数值线" in rows["Q-3"]["hint_zh"]
    table = zg(store, "criteria")
    assert table.exit_code == 0 and "不低于 90%（低于为红色预警）" in table.output
    md = zg(store, "criteria", "--format", "md")
    assert md.output.startswith("# 诊断标准的读法") and "| Q-1 | 就业率 | 不低于90% |" in md.output


def test_criteria_errors_are_clear(tmp_path: Path) -> None:
    empty = zg(tmp_path / "s", "criteria")
    assert empty.exit_code == 2 and "没有已加载的指标表" in empty.output
    bad = zg(tmp_path / "s", "criteria", "--level", "部门")
    assert bad.exit_code == 2 and "未知层面" in bad.output
