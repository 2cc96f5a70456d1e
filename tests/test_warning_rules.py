"""Warning rules over indicators and years (专业预警) on the sample college: one of each kind is
planted (data/sample/预警规则.csv); expected_warnings.csv lists what they must find in 2025, worked
out by hand from the planted indicator gaps."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import SAMPLE, load_sample
from rdflib.namespace import SH

from zhengai import diagnosis, ownership, query_registry
from zhengai.errors import InputError
from zhengai.loading import load_file
from zhengai.namespaces import ZG
from zhengai.store import OxigraphStore

RULES = SAMPLE / "预警规则.csv"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[OxigraphStore, diagnosis.Run, diagnosis.Run]:
    store = OxigraphStore(tmp_path_factory.mktemp("rules") / "store")
    load_sample(store)
    load_file(store, RULES)  # detected as a rules table from its headers
    return store, diagnosis.diagnose(store, 2024), diagnosis.diagnose(store, 2025)


def _rule_gaps(run: diagnosis.Run) -> dict[tuple[str, str], diagnosis.Gap]:
    return {(g.code, g.subject_code): g for g in run.gaps if g.grade == ZG.RuleWarning}


def test_the_planted_warnings_and_nothing_else(runs) -> None:
    _, _, run = runs
    with (SAMPLE / "expected_warnings.csv").open(encoding="utf-8") as fh:
        expected = {
            (r["规则"], r["对象"]): SH[r["严重程度"]] for r in csv.DictReader(fh) if r["学年"] == "2025"
        }
    assert {k: g.severity for k, g in _rule_gaps(run).items()} == expected


def test_a_warning_lists_the_gaps_it_is_made_of(runs) -> None:
    _, first, run = runs
    gaps = _rule_gaps(run)
    by_iri = {g.iri: g for g in run.gaps} | {g.iri: g for g in first.gaps}
    card = gaps[("专业预警-建设", "510202")]
    assert sorted(by_iri[c].code for c in card.constituents) == ["ZY-1.4.1-03", "ZY-1.5.1-02"]
    assert card.message_zh.startswith(
        "专业 510202 2025 学年触发预警规则「专业建设预警（一项黄牌，两项及以上红牌）」"
    )
    two_years = gaps[("专业预警-连续", "510202")]
    assert sorted((by_iri[c].period, by_iri[c].code) for c in two_years.constituents) == [
        (2024, "ZY-1.1.1-02"),
        (2025, "ZY-1.1.1-02"),
    ]
    assert gaps[("专业预警-末位", "510203")].constituents == []


def test_the_rules_are_shacl_sparql_shapes_in_the_run(runs) -> None:
    store, _, run = runs
    shapes = store.graph(run.shapes_graph)
    rule_shapes = set(shapes.subjects(None, ZG.WarningRuleShape))
    assert len(rule_shapes) == 4  # four tiers: 建设 (two), 连续, 末位
    selects = {str(o) for o in shapes.objects(None, SH.select)}
    assert selects == {
        query_registry.get(n).text for n in ("warning_k_of_n", "warning_consecutive", "warning_rank")
    }
    assert all((s, SH.targetClass, ZG.Major) in shapes for s in rule_shapes)


def test_a_warning_is_owned_like_any_gap(runs) -> None:
    store, _, _ = runs
    run_graph, gap = ownership.find_gap(store, "2025/专业预警-建设/510202")
    owner = ownership.resolve(store, run_graph, gap)[gap]
    # 责任部门 各二级学院: the major's 二级学院 and its head
    assert owner.rule == 3
    assert [name for _, name in owner.units] == ["信息工程学院"]
    assert [o.post.code for o in owner.posts] == ["XX-01"]
    run_graph, gap = ownership.find_gap(store, "2025/专业预警-末位/510203")
    owner = ownership.resolve(store, run_graph, gap)[gap]
    assert owner.rule == 4 and "信息工程学院" in [name for _, name in owner.units]  # 专业 × 质量生成


def test_the_spiral_follows_warnings_across_years(runs) -> None:
    _, _, run = runs
    gaps = _rule_gaps(run)
    assert gaps[("专业预警-建设", "510203")].status == "persisting"
    assert gaps[("专业预警-连续", "510202")].status == "new"  # 2024 had no 2023 to follow


@pytest.mark.parametrize(
    ("row", "where", "says"),
    [
        ("X,坏规则,专业,ZY-9.9.9-99,1,,,,红色", ("指标", 2), "未知指标"),
        ("X,坏规则,专业,XX-1.1.1-01,1,,,,红色", ("指标", 2), "属于学校层面"),
        ("X,坏规则,专业,ZY-1.1.1-02,1,2,,,红色", ("至少几项", 2), "须且只须"),
        ("X,坏规则,专业,ZY-1.1.1-02、ZY-1.2.1-01,,2,,,红色", ("指标", 2), "只能针对一个指标"),
        ("X,坏规则,专业,ZY-1.1.1-02,1,,,,紫色", ("严重程度", 2), "应为 红色 或 黄色"),
        ("X,坏规则,部门,ZY-1.1.1-02,1,,,,红色", ("层面", 2), "不是 学校/专业/课程/教师/学生"),
    ],
)
def test_bad_rules_are_located_errors_and_change_nothing(
    loaded_store: OxigraphStore, tmp_path: Path, row: str, where: tuple[str, int], says: str
) -> None:
    path = tmp_path / "规则.csv"
    path.write_text(
        "编码,规则名称,层面,指标,至少几项,连续学年,末位比例,计入,严重程度\n" + row + "\n", encoding="utf-8"
    )
    before = set(loaded_store.quads())
    with pytest.raises(InputError) as info:
        load_file(loaded_store, path, "rules")
    problem = info.value.problems[0]
    assert (problem.location.column, problem.location.row) == where
    assert says in problem.zh and problem.en
    assert set(loaded_store.quads()) == before


def test_the_parts_of_a_warning_by_id(runs) -> None:
    store, _, run = runs
    card = _rule_gaps(run)[("专业预警-连续", "510202")]
    assert diagnosis.gap_parts(store, card.iri) == ["2024/ZY-1.1.1-02/510202", "2025/ZY-1.1.1-02/510202"]
    plain = next(g for g in run.gaps if g.code == "ZY-1.1.1-02" and g.subject_code == "510202")
    assert diagnosis.gap_parts(store, plain.iri) == []
