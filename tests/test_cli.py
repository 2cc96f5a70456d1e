"""The command line end to end: load, stats, query, export, import."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SAMPLE_FILES
from typer.testing import CliRunner

from zhengai.cli import app

runner = CliRunner()


def zg(store: Path, *args: str):
    return runner.invoke(app, ["--store", str(store), *args])


def test_load_stats_query_export_import(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = zg(store, "load", *map(str, SAMPLE_FILES))
    assert result.exit_code == 0, result.output
    for name in ("监测指标.xlsx", "组织.xlsx", "对象.xlsx", "状态数据.xlsx", "年度目标.xlsx", "matrix.csv"):
        assert f"✓ {name}" in result.output
    # files are loaded in dependency order whatever order they were given in
    assert result.output.index("监测指标.xlsx") < result.output.index("状态数据.xlsx")

    stats = zg(store, "stats")
    assert stats.exit_code == 0
    assert (
        "observations/2025" in stats.output and "zg:Indicator" in stats.output and "组织.xlsx" in stats.output
    )

    q = zg(store, "query", "indicators_per_level", "--format", "json")
    assert q.exit_code == 0
    q_levels = q.output
    per_level = {r["levelName"]: int(r["indicators"]) for r in json.loads(q.output)}
    assert per_level == {"学校": 16, "专业": 20, "课程": 12, "教师": 17, "学生": 29}

    q = zg(store, "query", "indicator_by_code", "--param", "code=ZY-1.2.1-01", "--format", "csv")
    assert (
        q.exit_code == 0
        and "企业需求岗位与专业培养岗位的吻合度" in q.output
        and "质量" not in q.output.splitlines()[0]
    )

    custom = tmp_path / "mine.rq"
    custom.write_text(
        "# count posts\nPREFIX org: <http://www.w3.org/ns/org#>\nSELECT (COUNT(?p) AS ?n) WHERE { GRAPH ?g { ?p a org:Post } }\n"
    )
    q = zg(store, "query", str(custom), "-f", "csv")
    assert q.output.splitlines() == ["n", "38"]

    compacted = zg(store, "compact")
    assert compacted.exit_code == 0 and "compacted" in compacted.output, compacted.output
    assert zg(store, "query", "indicators_per_level", "--format", "json").output == q_levels  # nothing lost

    backup = tmp_path / "backup.trig"
    assert zg(store, "export", str(backup)).exit_code == 0
    other = tmp_path / "other"
    restored = zg(other, "import", str(backup))
    assert restored.exit_code == 0, restored.output
    again = zg(other, "query", "indicators_per_level", "--format", "json")
    assert {r["levelName"]: int(r["indicators"]) for r in json.loads(again.output)} == per_level


def test_store_from_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ZHENGAI_STORE", str(tmp_path / "env-store"))
    assert runner.invoke(app, ["load", str(SAMPLE_FILES[0])]).exit_code == 0
    assert (tmp_path / "env-store").exists()


def test_global_options_after_the_command(tmp_path: Path) -> None:
    store = tmp_path / "after"
    loaded = runner.invoke(app, ["load", str(SAMPLE_FILES[0]), "--store", str(store)])
    assert loaded.exit_code == 0, loaded.output
    assert store.exists() and not (tmp_path / ".zhengai").exists()
    stats = runner.invoke(app, ["stats", f"--store={store}", "--college", "10999"])
    assert stats.exit_code == 0, stats.output
    # after "--" a word is an argument, whatever it looks like
    assert runner.invoke(app, ["--store", str(store), "query", "--", "--store"]).exit_code == 2


def test_query_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    for args in (
        ["query", "nope"],
        ["query", "unit_posts", "-p", "bogus=1"],
        ["query", "unit_posts", "-p", "novalue"],
    ):
        result = zg(tmp_path / "s", *args)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output


def test_query_list_and_version(tmp_path: Path) -> None:
    listing = zg(tmp_path / "s", "query", "--list")
    assert "unit_posts" in listing.output and "unit:string" in listing.output
    assert "zhengai 0.1.0" in runner.invoke(app, ["--version"]).output


def test_period_flag_supplies_the_year(tmp_path: Path, write_xlsx) -> None:
    store = tmp_path / "store"
    assert zg(store, "load", *map(str, SAMPLE_FILES)).exit_code == 0
    path = write_xlsx("无学年.xlsx", {"状态数据": [["指标", "对象", "值"], ["ZY-1.2.1-01", "510203", "91%"]]})
    assert zg(store, "load", str(path), "--kind", "observations").exit_code == 2  # no 学年, no --period
    ok = zg(store, "load", str(path), "--kind", "observations", "--period", "2027")
    assert ok.exit_code == 0 and "observations/2027" in ok.output
