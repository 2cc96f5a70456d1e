"""What bench/generate.py plants for the tests, found by the diagnosis on a generated college:
the first course's 课程负责人 named only on its course row owns that course's gap by rule 2; the
5年 teacher indicators, reported in the first year only, are not due in the second; and a level
that reported nothing in 2025 is one line per indicator, not one per subject."""

from __future__ import annotations

import pytest
from conftest import generated_store

from zhengai import assignment, diagnosis
from zhengai.store import OxigraphStore


@pytest.fixture(scope="module")
def run_2025(tmp_path_factory: pytest.TempPathFactory) -> tuple[OxigraphStore, diagnosis.Run]:
    folder = tmp_path_factory.mktemp("plants")
    store = generated_store(
        folder, seed=3, majors=2, courses=4, teachers=4, students=40, years=2, silent_level="教师"
    )
    return store, diagnosis.diagnose(store, 2025)


def test_the_course_lead_on_the_course_row_owns_its_gap(
    run_2025: tuple[OxigraphStore, diagnosis.Run],
) -> None:
    store, run = run_2025
    owners = {o.id: o for o in assignment.owners(store, run.graph).values()}
    # KC-1.1.1-01 is the first checkable course indicator; the generator names 课程负责人 for it
    owner = owners["2025/KC-1.1.1-01/C00001"]
    assert owner.rule == 2
    assert [(o.post.code, o.post.holders) for o in owner.posts] == [
        ("课程负责人@C00001", (("T90001", "孔明亮"),))
    ]
    # C00001 belongs to the first major (460000), of 智能制造学院, whose head is EY01-01
    assert [p.code for p in owner.escalation] == ["课程负责人@C00001", "EY01-01", "XB-01", "DW-01"]
    # the other courses' gaps on that indicator have no lead named: they fall to other rules
    assert all(o.rule != 2 for i, o in owners.items() if i.startswith("2025/KC-1.1.1-01/") and i != owner.id)


def test_five_yearly_indicators_reported_in_2024_are_not_due(
    run_2025: tuple[OxigraphStore, diagnosis.Run],
) -> None:
    _, run = run_2025
    # the seed's teacher rows monitored every 5 years (监测时间及频率 5年)
    assert sorted(run.not_due) == [
        "JS-1.1.1-01", "JS-1.1.5-01", "JS-1.2.1-01", "JS-1.2.2-01", "JS-1.2.3-01", "JS-1.2.4-01", "JS-1.2.5-01",
    ]  # fmt: skip


def test_a_silent_level_is_one_line_per_due_indicator(run_2025: tuple[OxigraphStore, diagnosis.Run]) -> None:
    _, run = run_2025
    codes = [p.en.split(" lack ")[1].split(" ")[0] for p in run.silent]
    # the ten yearly teacher indicators; the five teachers (four and the planted lead) are counted
    assert codes == [
        "JS-1.1.2-01", "JS-1.1.3-01", "JS-1.1.4-01", "JS-1.3.1-01", "JS-1.3.2-01", "JS-1.3.3-01",
        "JS-1.3.4-01", "JS-1.3.5-01", "JS-1.3.6-01", "JS-1.3.7-01",
    ]  # fmt: skip
    assert all("5 个对象都缺少" in p.zh for p in run.silent)
    assert all(
        p.zh.endswith(("数据提供：人事处 RS-01（空缺 / vacant）", "数据提供：二级学院")) for p in run.silent
    ), run.silent[0].zh
