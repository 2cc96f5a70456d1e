"""zhengai diagnose / spiral / shapes from the command line, on the sample college."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import SAMPLE_FILES
from rdflib import Graph
from rdflib.namespace import RDF
from typer.testing import CliRunner

from zhengai.cli import app
from zhengai.namespaces import SH

runner = CliRunner()


def zg(store: Path, *args: str):
    return runner.invoke(app, ["--store", str(store), *args])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store"
    assert zg(path, "load", *map(str, SAMPLE_FILES)).exit_code == 0
    return path


def test_diagnose_prints_summary_and_gaps(store: Path) -> None:
    first = zg(store, "diagnose", "--period", "2024")
    assert first.exit_code == 0, first.output
    assert "没有更早学年的诊断" in first.output
    result = zg(store, "diagnose", "--limit", "0")  # the latest period by default
    assert result.exit_code == 0, result.output
    assert "2025 学年诊断" in result.output and "红 29" in result.output and "黄 7" in result.output
    assert "层面 × 纵向系统" in result.output and "决策指挥" in result.output
    assert "2025/ZY-1.1.1-02/510202" in result.output
    assert "与 2024 学年比较" in result.output


def test_diagnose_formats(store: Path, tmp_path: Path) -> None:
    out = zg(store, "diagnose", "--period", "2025", "--format", "json")
    data = json.loads(out.stdout)
    assert data["run"]["period"] == 2025 and data["run"]["previous_period"] == 2024
    open_gaps = [g for g in data["gaps"] if g["severity"] != "closed"]
    assert len(open_gaps) == 45
    assert data["summary"]["专业"]["决策指挥"]["red"] >= 1
    rows = list(
        csv.DictReader(io.StringIO(zg(store, "diagnose", "--period", "2025", "--format", "csv").stdout))
    )
    assert {r["severity"] for r in rows} == {"red", "yellow", "missing", "closed"}
    assert all(r["message_zh"] for r in rows)
    md = tmp_path / "gaps.md"
    assert zg(store, "diagnose", "--period", "2025", "--format", "md", "--out", str(md)).exit_code == 0
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# 2025 学年诊断") and "| 层面 |" in text and "2025/ZY-1.1.1-02/510202" in text


def test_fail_on_red_exits_1(store: Path) -> None:
    assert zg(store, "diagnose", "--fail-on", "red", "--format", "csv").exit_code == 1


def test_diagnose_errors_are_clear(store: Path, tmp_path: Path) -> None:
    bad = zg(store, "diagnose", "--period", "2019")
    assert bad.exit_code == 2 and "没有 2019 学年的状态数据" in bad.output and "Traceback" not in bad.output
    assert zg(store, "diagnose", "--format", "xml").exit_code == 2
    empty = zg(tmp_path / "empty", "diagnose")
    assert empty.exit_code == 2 and "请先加载状态数据" in empty.output


def test_spiral(store: Path) -> None:
    result = zg(store, "spiral", "--from", "2024", "--to", "2025")
    assert result.exit_code == 0, result.output
    assert "螺旋 2024 → 2025" in result.output and "关闭率" in result.output
    assert "持续的红色预警" in result.output and "底线" in result.output
    data = json.loads(zg(store, "spiral", "--from", "2024", "--to", "2025", "--format", "json").stdout)
    assert data["persisting"] + data["closed"] == 40  # every 2024 gap is either still open or closed
    assert data["persisting"] + data["new"] == 45
    assert 0 < data["closure_rate"] < 1
    assert all(r["suggested_target"] for r in data["persisting_red"] if "档线" in r["message_zh"])
    assert zg(store, "spiral", "--from", "2025", "--to", "2024").exit_code == 2


def test_shapes_out_writes_readable_turtle_per_level(store: Path, tmp_path: Path) -> None:
    result = zg(store, "shapes", "--out", str(tmp_path / "shapes"))
    assert result.exit_code == 0, result.output
    counts = {}
    for path in sorted((tmp_path / "shapes").glob("*.ttl")):
        g = Graph().parse(path, format="turtle")
        counts[path.stem] = len(set(g.subjects(RDF.type, SH.NodeShape)))
        for ps in g.subjects(RDF.type, SH.PropertyShape):
            assert {m.language for m in g.objects(ps, SH.message)} == {"zh", "en"}
    assert counts == {"school": 16, "major": 20 + 3, "course": 12, "teacher": 17, "student": 29}
    assert "不能机器检查" in result.output
