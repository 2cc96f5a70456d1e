"""A college that writes its catalogue its own way, end to end: load → diagnose → gaps → owner.

南岭职业技术学院 (invented) names its columns 指标编码, 观测点, 评价标准, 责任单位, 数据来源部门,
采集频次, carries some lines in 目标值/预警值/比较方式 columns, and writes lower-is-better
standards, a four-grade scale, 达标/不达标, money in 万元, a permille rate and grade words. Its
observations use the criteria's own words and units. Every expected answer below was worked out
by hand from the rows written here.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from conftest import write_workbook
from rdflib.namespace import SH

from zhengai import criteria_report, diagnosis, ownership
from zhengai.criteria import compile_criterion
from zhengai.criteria.values import number
from zhengai.errors import InputError
from zhengai.loading import load_file
from zhengai.reports import grade_key
from zhengai.store import OxigraphStore

HEAD = ["指标编码", "一级指标", "二级指标", "观测点", "评价标准", "目标值", "预警值", "比较方式", "责任单位",
        "数据来源部门", "采集频次", "备注"]  # fmt: skip
CATALOGUE = [
    ["P-01", "资源建设", "师资", "生师比", "生师比≤18:1", None, None, None, "人事处", "人事处", "每学年", None],
    ["P-02", "质量生成", "课程", "专业课程考核优良率", "A级：≥90%；B级：80%-90%；C级：70%-80%；D级：<70%",
     None, None, None, "教务处", "教务处", "每学期", None],
    ["P-03", "决策指挥", "规划", "人才培养方案修订", "达标/不达标", None, None, None, "教务处", "教务处", "每学年", None],
    ["P-04", "质量生成", "就业", "就业率", None, "95%", "80%", None, "招生就业处", "招生就业处", "每学年", None],
    ["P-05", "资源建设", "师资", "专业生师比", None, "16:1", ">18:1", "越小越好", "人事处", "人事处", "每学年", None],
    ["P-06", "支持服务", "社会服务", "社会培训收入", "不少于50万元", None, None, None, "继续教育学院", "财务处", "每年", None],
    ["P-07", "质量生成", "学生", "学生流失率", "年流失率控制在3%以内", None, None, None, "学生处", "学生处", "每学年", None],
    ["P-08", "质量生成", "毕业设计", "毕业设计成绩", "优秀/良好/合格/不合格", None, None, None, "教务处", "教务处", "每学年", None],
    ["P-09", "监督控制", "学生", "学生违纪率", "低于5‰", None, None, None, "学生处", "学生处", "每学年", "新增"],
]  # fmt: skip
OBSERVATIONS = """指标编码,对象编码,年度,监测值
P-01,111111,2025,17:1
P-01,222222,2025,1:20
P-02,111111,2025,75%
P-02,222222,2025,92%
P-03,111111,2025,不达标
P-03,222222,2025,达标
P-04,111111,2025,85%
P-04,222222,2025,0.78
P-05,111111,2025,19
P-05,222222,2025,17:1
P-06,111111,2025,45万
P-06,222222,2025,"600,000"
P-07,111111,2025,4%
P-07,222222,2025,2.5%
P-08,111111,2025,良好
P-08,222222,2025,优秀
P-09,111111,2025,3‰
P-09,222222,2025,0.6%
P-06,111111,2024,40万元
P-06,222222,2024,550000
"""
# (indicator, subject) → (severity, grade) in 2025, by hand
EXPECTED = {
    ("P-02", "111111"): (SH.Warning, "C级"),
    ("P-03", "111111"): (SH.Violation, "unmet"),
    ("P-04", "111111"): (SH.Warning, "未达标"),
    ("P-05", "111111"): (SH.Violation, "预警"),
    ("P-06", "111111"): (SH.Violation, "未达标"),
    ("P-07", "111111"): (SH.Violation, "未达标"),
    ("P-08", "111111"): (SH.Warning, "良好"),
    ("P-01", "222222"): (SH.Violation, "未达标"),
    ("P-04", "222222"): (SH.Violation, "预警"),
    ("P-05", "222222"): (SH.Warning, "未达标"),
    ("P-09", "222222"): (SH.Violation, "未达标"),
}
RULES = """规则编码,规则名称,层面,指标,至少几项,连续学年,末位比例,计入,预警等级,责任单位
专业红牌,四项底线指标两项红色,专业,P-01、P-04、P-07、P-09,2,,,红色,红色,各二级学院
培训收入,社会培训收入连续两年不达标,专业,P-06,,2,,红色,黄色,
流失末位,流失率末位,专业,P-07,,,50%,,黄色,
"""


def _grade(gap: diagnosis.Gap) -> str:
    return grade_key(gap.grade) if gap.grade is not None else ""


@pytest.fixture(scope="module")
def college(tmp_path_factory: pytest.TempPathFactory) -> tuple[OxigraphStore, diagnosis.Run, Path]:
    tmp = tmp_path_factory.mktemp("nanling")

    def xlsx(name: str, sheets: dict[str, list[list[object]]]) -> Path:
        return write_workbook(tmp / name, sheets)

    catalogue = xlsx(
        "南岭诊断指标.xlsx", {"专业层面诊断指标": [["南岭职业技术学院专业诊断指标"], HEAD, *CATALOGUE]}
    )
    subjects = xlsx(
        "对象.xlsx",
        {
            "学校": [["学校代码", "学校名称"], ["19999", "南岭职业技术学院"]],
            "专业": [["专业代码", "专业名称", "所属二级学院"], ["111111", "甲专业", "机电学院"], ["222222", "乙专业", "信息学院"]],
        },
    )  # fmt: skip
    units = ["教务处", "人事处", "招生就业处", "学生处", "财务处", "继续教育学院", "质量管理处"]
    org = xlsx(
        "组织.xlsx",
        {
            "部门": [["部门名称", "部门类型", "上级部门", "负责岗位"], ["校部", "校部", None, "XZ"],
                     ["机电学院", "二级学院", "校部", "JD"], ["信息学院", "二级学院", "校部", "XX"],
                     *[[u, "职能部门", "校部", f"U{n}"] for n, u in enumerate(units)]],
            "岗位": [["岗位名称", "所属部门", "岗位识别编码", "汇报岗位"], ["校长", "校部", "XZ", None],
                     ["机电学院院长", "机电学院", "JD", "XZ"], ["信息学院院长", "信息学院", "XX", "XZ"],
                     *[[f"{u}处长", u, f"U{n}", "XZ"] for n, u in enumerate(units)]],
            "人员": [["工号", "姓名", "岗位识别编码"], ["N001", "周校长", "XZ"], ["N002", "吴院长", "JD"],
                     ["N003", "郑院长", "XX"], *[[f"N1{n:02d}", f"{u}负责人", f"U{n}"] for n, u in enumerate(units)]],
        },
    )  # fmt: skip
    observations = tmp / "状态数据.csv"
    observations.write_text(OBSERVATIONS, encoding="utf-8-sig")
    rules = tmp / "预警规则.csv"
    rules.write_text(RULES, encoding="utf-8")
    store = OxigraphStore(tmp / "store")
    for path in (catalogue, subjects, org, observations, rules):
        load_file(store, path)  # every kind detected from the headers
    diagnosis.diagnose(store, 2024)
    return store, diagnosis.diagnose(store, 2025), catalogue


def test_other_column_names_are_read(college) -> None:
    store, _, _ = college
    rows = {r.code: r for r in criteria_report.readings(store)}
    assert set(rows) == {f"P-0{n}" for n in range(1, 10)}
    assert all(r.checkable for r in rows.values()), [r for r in rows.values() if not r.checkable]
    assert rows["P-01"].label == "生师比"  # named after the 观测点, not the 二级指标
    assert rows["P-04"].reading_zh.startswith("已达标 ≥ 95%")
    assert "越低越好" in rows["P-05"].reading_zh


def test_unrecognised_header_is_a_finding_with_a_suggestion(college) -> None:
    _, _, catalogue = college
    report = load_file(OxigraphStore(None), catalogue, "catalogue")
    texts = [f.zh for f in report.findings]
    assert any("未识别的列「备注」" in t for t in texts), texts


def test_gaps_in_each_form(college) -> None:
    _, run, _ = college
    found = {(g.code, g.subject_code): (g.severity, _grade(g)) for g in run.gaps if g.code.startswith("P-")}
    assert found == EXPECTED


def test_messages_read_in_the_criterion_units(college) -> None:
    _, run, _ = college
    by = {(g.code, g.subject_code): g for g in run.gaps}
    assert (
        by[("P-01", "222222")].message_zh
        == "专业 222222 2025 学年「生师比」为 20:1，高于标准线 18:1（红色预警）"
    )
    assert "45万元" in by[("P-06", "111111")].message_zh and "50万元" in by[("P-06", "111111")].message_zh
    assert by[("P-05", "111111")].message_zh.endswith("达到预警值 18:1（红色预警）")
    assert by[("P-08", "111111")].message_zh == "专业 111111 2025 学年「毕业设计成绩」为「良好」（黄色预警）"


def test_rules_over_indicators_and_years(college) -> None:
    _, run, _ = college
    rules = {(g.code, g.subject_code): g for g in run.gaps if not g.code.startswith("P-")}
    assert {k: g.severity for k, g in rules.items()} == {
        ("专业红牌", "222222"): SH.Violation,  # P-01, P-04, P-09 red (P-07 passes)
        ("培训收入", "111111"): SH.Warning,  # 40万 in 2024, 45万 in 2025
        ("流失末位", "111111"): SH.Warning,  # 4 % against 2.5 %: lower is better
    }
    red_card = rules[("专业红牌", "222222")]
    assert sorted(g.rsplit("/", 1)[-1] for g in map(str, red_card.constituents)) == ["222222"] * 3
    assert {str(g).split("/")[-2] for g in red_card.constituents} == {"P-01", "P-04", "P-09"}


def _owner(store: OxigraphStore, gap_id: str) -> ownership.Owner:
    run, gap = ownership.find_gap(store, gap_id)
    return ownership.resolve(store, run, gap)[gap]


def test_owners_follow_the_units_named(college) -> None:
    store, _, _ = college
    plan = _owner(store, "2025/P-03/111111")
    assert plan.rule == 3 and [name for _, name in plan.units] == ["教务处"]
    assert [n for o in plan.posts for n, _ in o.post.holders] == ["N100"]
    card = _owner(store, "2025/专业红牌/222222")
    assert card.rule == 3 and [name for _, name in card.units] == ["信息学院"]  # 各二级学院: the subject's


def test_the_same_value_in_every_form() -> None:
    money = compile_criterion("不少于50万元")
    assert number("3.5万", money, False) == number("35000", money, False) == number("35,000", money, False)
    ratio = compile_criterion("生师比≤18:1")
    assert number("17:1", ratio, False) == number("1:17", ratio, False) == number("17", ratio, False) == 17
    permille = compile_criterion("低于5‰")
    assert number("3‰", permille, False) == number("0.3%", permille, False) == Decimal("0.003")


def test_a_word_of_another_vocabulary_is_a_located_error(college, tmp_path: Path) -> None:
    store, _, _ = college
    bad = tmp_path / "坏数据.csv"
    bad.write_text(
        "指标编码,对象编码,年度,监测值\nP-03,111111,2025,未完成\nP-08,111111,2025,良\n", encoding="utf-8"
    )
    before = set(store.quads())
    with pytest.raises(InputError) as info:
        load_file(store, bad, "observations")
    problems = info.value.problems
    assert [(p.location.row, p.location.column) for p in problems] == [(2, "监测值"), (3, "监测值")]
    assert "「未完成」不是「达标/不达标」类标准的取值" in problems[0].zh
    assert "不是该指标的等级" in problems[1].zh
    assert set(store.quads()) == before


def test_targets_of_a_lower_is_better_indicator(college, tmp_path: Path) -> None:
    """Last in this file: it loads 2025 targets into the shared store and diagnoses again."""
    store, _, _ = college
    wrong = tmp_path / "目标-错.csv"
    wrong.write_text("指标,对象,学年,目标值,底线值\nP-01,,2025,18:1,16:1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_file(store, wrong, "targets")
    assert "越低越好" in info.value.problems[0].zh and info.value.problems[0].location.row == 2
    right = tmp_path / "目标.csv"
    right.write_text("指标,对象,学年,目标值,底线值\nP-01,,2025,16:1,18\n", encoding="utf-8")
    load_file(store, right, "targets")
    run = diagnosis.diagnose(store, 2025)
    by = {(g.code, g.subject_code): g for g in run.gaps if g.code == "P-01"}
    assert {k: (g.severity, _grade(g)) for k, g in by.items()} == {
        ("P-01", "111111"): (SH.Warning, "B"),  # 17: above the target 16, not above the bottom line 18
        ("P-01", "222222"): (SH.Violation, "C"),  # 20: above the bottom line
    }
    assert by[("P-01", "111111")].message_zh.endswith("高于 2025 学年目标值 16:1（黄色预警）")
    assert by[("P-01", "111111")].message_en.endswith("above the 2025 target 16:1 (yellow warning)")
    # lower is better: the red band lies above the bottom line (an open upper end)
    assert by[("P-01", "222222")].message_zh.endswith("高于 2025 学年底线值 18:1（红色预警）")
    assert by[("P-01", "222222")].message_en.endswith("above the 2025 bottom line 18:1 (red warning)")
