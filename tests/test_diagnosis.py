"""Diagnosis on the sample college: exactly the gaps the sample was built to contain, with
severities and Chinese messages; targets override the catalogue; the run is stored with its
report, shapes and PROV; the fast path and pyshacl agree."""

from __future__ import annotations

import csv
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SAMPLE
from rdflib import Graph, Literal
from rdflib.namespace import PROV, RDF

from zhengai import diagnosis
from zhengai.errors import DiagnosisError
from zhengai.loading import load_file
from zhengai.namespaces import SH, ZG, graph
from zhengai.reports import gap_rows
from zhengai.standards import compile_period, shapes_graph
from zhengai.store import OxigraphStore

SEVERITY = {"Violation": "red", "Warning": "yellow", "Info": "missing"}


def expected_gaps(year: int) -> set[tuple[str, str, str, str]]:
    """(indicator, subject, severity, grade) the generator planted for ``year``."""
    with (SAMPLE / "expected_gaps.csv").open(encoding="utf-8") as fh:
        return {
            (r["指标"], r["对象"], SEVERITY[r["严重程度"]], r["档次"])
            for r in csv.DictReader(fh)
            if int(r["学年"]) == year
        }


def found(store: OxigraphStore, run: diagnosis.Run) -> set[tuple[str, str, str, str]]:
    return {
        (r.indicator, r.subject, r.severity, r.grade)
        for r in gap_rows(store, run.graph)
        if r.severity != "closed"
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[OxigraphStore, diagnosis.Run, diagnosis.Run]:
    from conftest import load_sample

    store = OxigraphStore(tmp_path_factory.mktemp("diag") / "store")
    load_sample(store)
    first = diagnosis.diagnose(store, 2024)
    second = diagnosis.diagnose(store, 2025)
    return store, first, second


def test_finds_exactly_the_planted_gaps_of_each_period(runs) -> None:
    store, first, second = runs
    assert found(store, first) == expected_gaps(2024)
    assert found(store, second) == expected_gaps(2025)
    assert len(second.gaps) == len(expected_gaps(2025)) > 40


def test_messages_say_subject_period_value_and_standard_in_chinese_and_english(runs) -> None:
    store, _, second = runs
    rows = {r.id: r for r in gap_rows(store, second.graph)}
    graded = [r for r in rows.values() if r.grade in ("B", "C")]
    assert graded
    for r in graded:
        assert re.fullmatch(
            rf"{r.level} {re.escape(r.subject)} 2025 学年「.+」为 [\d.]+(%|个)?，低于 .+（(红|黄)色预警）",
            r.message_zh,
        ), r.message_zh
        assert "2025" in r.message_en and "warning" in r.message_en
    red = rows["2025/ZY-1.1.1-02/510202"]
    assert (
        red.message_zh
        == "专业 510202 2025 学年「专业年度建设目标」为 65%，低于 C 档线 70%，为 C 档（红色预警）"
    )
    assert red.value == "65%" and red.threshold == "70%"
    unmet = next(r for r in rows.values() if r.grade == "unmet" and r.level == "学校")
    assert unmet.message_zh.endswith("为「无」，应为「有」（红色预警）")
    missing = next(r for r in rows.values() if r.severity == "missing")
    assert "缺少状态数据" in missing.message_zh and missing.value == ""


def test_the_run_is_stored_with_report_gaps_shapes_and_prov(runs) -> None:
    store, first, second = runs
    g = store.graph(second.graph)
    report = next(g.subjects(RDF.type, SH.ValidationReport))
    results = list(g.objects(report, SH.result))
    assert len(results) == len(second.gaps)
    assert all((result, RDF.type, ZG.Gap) in g for result in results)  # an open gap is its result
    assert (report, SH.conforms, Literal(False)) in g
    for result in results:
        assert len(list(g.objects(result, SH.resultMessage))) == 2
        assert g.value(result, SH.sourceShape) is not None and g.value(result, SH.focusNode) is not None
    used = set(g.objects(second.iri, PROV.used))
    assert {graph("observations/2025"), graph("targets/2025"), second.shapes_graph} <= used
    assert graph("observations/2024") not in used
    shapes = store.graph(second.shapes_graph)
    assert len(list(shapes.subjects(RDF.type, SH.NodeShape))) == 94 + 3  # 3 subject targets in 2025
    assert (second.iri, ZG.previousRun, first.iri) in g


def _previous_severity(previous: Graph, gap: diagnosis.Gap) -> object:
    return previous.value(gap.previous, SH.resultSeverity) if gap.previous else None


def test_spiral_marks_new_persisting_and_closed(runs) -> None:
    store, first, second = runs
    previous = store.graph(first.graph)
    before = {(i, s) for i, s, _, _ in expected_gaps(2024)}
    after = {(i, s) for i, s, _, _ in expected_gaps(2025)}
    statuses = Counter(g.status for g in second.gaps)
    assert statuses == {"new": len(after - before), "persisting": len(after & before)}
    assert {(g.code, g.subject_code) for g in second.closed} == before - after
    for gap in second.gaps:
        if gap.status == "persisting":
            if SH.Info in (gap.severity, _previous_severity(previous, gap)):
                assert gap.trend is None  # missing data has nothing to compare
            else:
                assert gap.trend in ("improved", "worsened", "unchanged")
            if gap.severity == SH.Violation and gap.threshold is not None:
                assert gap.suggested_target == gap.threshold


def test_fast_path_and_pyshacl_agree_on_the_sample(runs) -> None:
    store, _, _ = runs
    for period in (2024, 2025):
        compiled = compile_period(store, period)
        shapes = shapes_graph(compiled.standards)
        name = graph(f"diagnosis/equivalence-{period}/shapes")
        store.add_graphs({name: shapes})
        fast = {r.key for r in diagnosis.validate_fast(store, period, name)}
        reference = {r.key for r in diagnosis.validate_pyshacl(store, period, name, shapes)}
        store.drop_graph(name)
        assert fast == reference and len(fast) > 30


def test_pyshacl_engine_stores_the_same_gaps(loaded_store: OxigraphStore) -> None:
    run = diagnosis.diagnose(loaded_store, 2025, engine="pyshacl")
    assert found(loaded_store, run) == expected_gaps(2025)


def test_level_filter(loaded_store: OxigraphStore) -> None:
    run = diagnosis.diagnose(loaded_store, 2025, level="专业")
    assert found(loaded_store, run) == {g for g in expected_gaps(2025) if g[0].startswith("ZY-")}


def _target_file(write_xlsx, rows: list[list[object]]) -> Path:
    return write_xlsx("目标.xlsx", {"年度目标": [["指标", "对象", "学年", "目标值", "底线值"], *rows]})


def test_targets_override_catalogue_lines(loaded_store: OxigraphStore, write_xlsx) -> None:
    # ZY-1.2.1-02 for 460301 in 2025 is grade A by the catalogue (≥ 90%).
    with (SAMPLE / "expected_observations.csv").open(encoding="utf-8") as fh:
        grade = {(r["指标"], r["对象"], r["学年"]): r["预期档次"] for r in csv.DictReader(fh)}
    assert grade[("ZY-1.2.1-02", "460301", "2025")] == "A"
    assert grade[("ZY-1.2.1-02", "510203", "2025")] == "A"
    baseline = diagnosis.diagnose(loaded_store, 2025)
    assert not any(g.code == "ZY-1.2.1-02" and g.subject_code in ("460301", "510203") for g in baseline.gaps)

    path = _target_file(
        write_xlsx,
        [
            ["ZY-1.2.1-02", "460301", 2025, "99%", "98%"],  # a bottom line above the value: red
            ["ZY-1.2.1-02", "510203", 2025, "99%", "50%"],  # a target above the value: yellow
        ],
    )
    load_file(loaded_store, path, "targets")
    run = diagnosis.diagnose(loaded_store, 2025)
    gaps = {(g.code, g.subject_code): g for g in run.gaps}
    red, yellow = gaps[("ZY-1.2.1-02", "460301")], gaps[("ZY-1.2.1-02", "510203")]
    assert (red.severity, red.threshold) == (SH.Violation, Decimal("0.98"))
    assert red.message_zh.endswith("低于 2025 学年底线值 98%（红色预警）")
    assert (yellow.severity, yellow.threshold) == (SH.Warning, Decimal("0.99"))
    assert yellow.message_zh.endswith("低于 2025 学年目标值 99%（黄色预警）")
    assert red.message_en.endswith("below the 2025 bottom line 98% (red warning)")
    assert yellow.message_en.endswith("below the 2025 target 99% (yellow warning)")


def test_a_target_for_every_subject_relaxes_the_catalogue(loaded_store: OxigraphStore, write_xlsx) -> None:
    before = [g for g in diagnosis.diagnose(loaded_store, 2025).gaps if g.code == "ZY-1.1.1-02"]
    assert {g.severity for g in before} >= {SH.Violation}
    load_file(loaded_store, _target_file(write_xlsx, [["ZY-1.1.1-02", None, 2025, "60%", "50%"]]), "targets")
    after = [g for g in diagnosis.diagnose(loaded_store, 2025).gaps if g.code == "ZY-1.1.1-02"]
    assert all(g.severity == SH.Info for g in after)  # 65% is above both: only missing data remains


def test_unknown_period_and_level_are_clear_errors(sample_store: OxigraphStore) -> None:
    with pytest.raises(DiagnosisError, match="没有 2019 学年的状态数据"):
        diagnosis.diagnose(sample_store, 2019)
    with pytest.raises(DiagnosisError, match="未知层面"):
        diagnosis.diagnose(sample_store, 2025, level="院系")
    with pytest.raises(DiagnosisError, match="engine"):
        diagnosis.diagnose(sample_store, 2025, engine="rudof")


def test_fast_path_refuses_shapes_it_does_not_understand() -> None:
    g = Graph()
    g.parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix zg: <https://w3id.org/zhengai/ont#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:c> ; sh:property <urn:p> .
        <urn:p> a sh:PropertyShape ; sh:path zg:value ; sh:pattern "^a" ; sh:severity sh:Violation .
        """,
        format="turtle",
    )
    assert diagnosis.unsupported_forms(g) == ["urn:p: http://www.w3.org/ns/shacl#pattern"]


def test_hand_made_college_in_another_layout(store: OxigraphStore, write_xlsx, tmp_path: Path) -> None:
    """A catalogue whose grade lines sit in the cell beside a bare A/B/C, a 层面 column instead of
    one sheet per level, and observations as a CSV with other header names."""
    catalogue = write_xlsx(
        "指标.xlsx",
        {
            "指标": [
                ["编码", "层面", "一级指标", "二级指标", "监测点", "诊断标准", "档次线", "数据来源"],
                [
                    "M-01",
                    "专业",
                    "决策指挥",
                    "专业调研",
                    "企业满意度",
                    "A/B/C",
                    "A：80%以上\nB：60%-80%\nC：60%以下",
                    "教务处",
                ],
                ["M-02", "专业", "决策指挥", "专业规划", "专业规划文本", "有/无", None, "教务处"],
            ]
        },
    )
    subjects = write_xlsx(
        "对象.xlsx", {"专业": [["专业代码", "专业名称"], ["111111", "甲专业"], ["222222", "乙专业"]]}
    )
    csv_path = tmp_path / "状态.csv"
    csv_path.write_text(
        "指标编码,对象,学年,值\nM-01,111111,2025,55%\nM-01,222222,2025,0.7\nM-02,111111,2025,有\n",
        encoding="utf-8-sig",
    )
    for path, kind in ((catalogue, "catalogue"), (subjects, "subjects"), (csv_path, "observations")):
        load_file(store, path, kind)
    run = diagnosis.diagnose(store, 2025)
    gaps = {(g.code, g.subject_code): g for g in run.gaps}
    assert set(gaps) == {("M-01", "111111"), ("M-01", "222222"), ("M-02", "222222")}
    assert (
        gaps[("M-01", "111111")].message_zh
        == "专业 111111 2025 学年「企业满意度」为 55%，低于 C 档线 60%，为 C 档（红色预警）"
    )
    assert gaps[("M-01", "222222")].severity == SH.Warning
    assert gaps[("M-02", "222222")].severity == SH.Info  # 乙专业 reported at the level but not M-02
