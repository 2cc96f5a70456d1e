"""Who owns a gap, against answers written by hand from the sample data, and on a second,
differently shaped organisation (other names, a deeper chain, a vacant post, two claims)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib.namespace import SH
from typer.testing import CliRunner

from zhengai import diagnosis, ownership
from zhengai.cli import app
from zhengai.loading import batch_order, load_file
from zhengai.store import OxigraphStore

runner = CliRunner()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, diagnosis.Run]:
    """The sample diagnosed for 2024 and 2025, closed again so the CLI can open it too."""
    from conftest import load_sample

    path = tmp_path_factory.mktemp("own") / "store"
    with OxigraphStore(path) as store:
        load_sample(store)
        diagnosis.diagnose(store, 2024)
        return path, diagnosis.diagnose(store, 2025)


def owner_of(path: Path, gap_id: str) -> ownership.Owner:
    with OxigraphStore(path) as store:
        run, gap = ownership.find_gap(store, gap_id)
        return ownership.resolve(store, run, gap)[gap]


def test_every_open_gap_of_the_latest_period_has_an_owner(sample) -> None:
    path, run = sample
    with OxigraphStore(path) as store:
        owners = ownership.resolve(store, run.graph)
    assert {o.id for o in owners.values()} == {g.id for g in run.gaps}
    assert {o.rule for o in owners.values()} == {1, 2, 3, 4}
    assert all(o.units for o in owners.values())


def test_rule_1_work_item_bound_to_the_major(sample) -> None:
    o = owner_of(sample[0], "2025/ZY-1.1.1-02/510202")  # 专业年度建设目标 of 计算机网络技术
    assert o.rule == 1
    assert [(p.post.code, p.post.holders, p.vacant) for p in o.posts] == [
        ("XX-12", (("T1005", "曾思远"),), False)
    ]
    assert [p.code for p in o.escalation] == ["XX-12", "XX-01", "XB-01", "DW-01"]
    assert o.supervisors == ["审计处", "财务处", "质量管理处", "资产管理处"]
    assert any("每学年9月前编制计算机网络技术专业年度建设目标" in zh for zh, _ in o.facts)


def test_rule_2_responsible_post_vacant_falls_back_to_the_unit_head(sample) -> None:
    o = owner_of(sample[0], "2025/ZY-1.2.1-01/510203")  # 吻合度 of 软件技术; 责任岗位 专业带头人
    assert o.rule == 2
    (post,) = o.posts
    assert (post.post.code, post.vacant) == ("XX-11", True)
    assert post.acting_post is not None and post.acting_post.code == "XX-01"
    assert post.acting == (("T1004", "彭浩"),)
    assert [p.code for p in o.escalation] == ["XX-11", "XX-01", "XB-01", "DW-01"]


def test_rule_3_responsible_unit_and_data_provider(sample) -> None:
    o = owner_of(sample[0], "2025/KC-1.2.1-03/商贸学院")  # 学年度课程标准; 责任部门 教务处, source 各二级学院
    assert o.rule == 3
    assert [name for _, name in o.units] == ["教务处"]
    assert [(p.post.code, p.post.holders) for p in o.posts] == [("JW-01", (("S0005", "郑海波"),))]
    assert o.data_providers == ["商贸学院"]
    assert [p.code for p in o.escalation] == ["JW-01", "XB-01", "DW-01"]


def test_rule_4_matrix_defaults_instantiate_unit_types_for_the_subject(sample) -> None:
    o = owner_of(sample[0], "2025/XS-2.3.10-01/网络2301")  # a student-level ratio of class 网络2301
    assert o.rule == 4
    # the 学生 × 质量生成 cell: 二级学院 (the class's own: 信息工程学院), 校企合作办, 学生处, 团委 (学生 is no unit)
    assert [name for _, name in o.units] == ["信息工程学院", "团委", "学生处", "校企合作办"]


def test_owner_cli_and_errors(sample) -> None:
    path, _ = sample

    out = runner.invoke(
        app,
        [
            "--store",
            str(path),
            "owner",
            "--indicator",
            "ZY-1.2.1-01",
            "--subject",
            "510203",
            "--period",
            "2025",
            "-f",
            "json",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert (
        data["rule"] == 2 and data["posts"][0]["vacant"] and data["posts"][0]["acting"][0]["name"] == "彭浩"
    )
    table = runner.invoke(app, ["--store", str(path), "owner", "2025/ZY-1.2.1-01/510203"])
    assert "空缺 vacant" in table.output and "上报链" in table.output
    bad = runner.invoke(app, ["--store", str(path), "owner", "2025/ZY-9.9.9-99/510203"])
    assert bad.exit_code == 2 and "没有问题" in bad.output
    undiagnosed = runner.invoke(app, ["--store", str(path), "owner", "2023/ZY-1.1.1-02/510202"])
    assert undiagnosed.exit_code == 2 and "还没有诊断" in undiagnosed.output
    mine = runner.invoke(app, ["--store", str(path), "mine", "--person", "T1004", "-f", "json"])
    ids = {g["id"] for g in json.loads(mine.stdout)}
    assert "2025/ZY-1.2.1-01/510203" in ids  # acting for the vacant XX-11
    by_post = runner.invoke(app, ["--store", str(path), "mine", "--post", "XX-12", "-f", "json"])
    assert "2025/ZY-1.1.1-02/510202" in {g["id"] for g in json.loads(by_post.stdout)}
    red = runner.invoke(
        app, ["--store", str(path), "gaps", "--unit", "教务处", "--severity", "red", "-f", "json"]
    )
    rows = json.loads(red.stdout)
    assert rows and all(r["severity"] == "red" and "教务处" in r["owner"]["units"] for r in rows)
    assert runner.invoke(app, ["--store", str(path), "mine", "--post", "A", "--unit", "B"]).exit_code == 2


# -- a second organisation, shaped differently ------------------------------------------------------


def _second_college(write_xlsx) -> list[tuple[Path, str]]:
    catalogue = write_xlsx(
        "指标.xlsx",
        {
            "指标": [
                ["编码", "层面", "一级指标", "监测点", "诊断标准", "数据来源", "责任部门", "责任岗位"],
                [
                    "P-01",
                    "专业",
                    "质量生成",
                    "实训开出率",
                    "A/B/C A:90%以上 B:70%-90% C:70%以下",
                    "实训中心",
                    None,
                    None,
                ],
                [
                    "P-02",
                    "专业",
                    "质量生成",
                    "顶岗实习对口率",
                    "A/B/C A:90%以上 B:70%-90% C:70%以下",
                    "就业办",
                    None,
                    "专业主任",
                ],
                ["P-03", "专业", "资源建设", "图书生均册数", "有/无", "图书信息中心", None, None],
                ["P-04", "专业", "决策指挥", "专业发展规划", "有/无", "无人认领的来源", None, None],
            ]
        },
    )
    subjects = write_xlsx(
        "对象.xlsx",
        {
            "专业": [
                ["专业代码", "专业名称", "所属二级学院"],
                ["700101", "护理", "医学部"],
                ["700102", "药学", "医学部"],
            ]
        },
    )
    org = write_xlsx(
        "组织.xlsx",
        {
            "部门": [
                ["部门名称", "部门类型", "上级部门", "负责岗位"],
                ["董事会", "党委", None, "B-1"],
                ["院长办公室", "校部", "董事会", "B-2"],
                ["教学副院长室", "职能部门", "院长办公室", "B-3"],
                ["医学部", "二级学院", "教学副院长室", "M-1"],
                ["实训中心", "职能部门", "教学副院长室", "T-1"],
                ["就业办", "职能部门", "院长办公室", "J-1"],
                ["质量办", "职能部门", "院长办公室", "Q-1"],
            ],
            "岗位": [
                ["岗位名称", "所属部门", "岗位识别编码", "汇报岗位", "负责对象"],
                ["董事长", "董事会", "B-1", None, None],
                ["院长", "院长办公室", "B-2", "B-1", None],
                ["教学副院长", "教学副院长室", "B-3", "B-2", None],
                ["医学部主任", "医学部", "M-1", "B-3", None],
                ["护理专业主任", "医学部", "M-2", "M-1", "专业:700101"],
                ["药学专业主任", "医学部", "M-3", "M-1", "专业:700102"],
                ["实训中心主任", "实训中心", "T-1", "B-3", None],
                ["实训管理员", "实训中心", "T-2", "T-1", None],
                ["就业办主任", "就业办", "J-1", "B-2", None],
                ["质量办主任", "质量办", "Q-1", "B-2", None],
            ],
            "岗位工作": [
                ["部门名称", "部门职责", "具体化的工作", "工作标准", "工作归属岗位", "支撑指标"],
                ["实训中心", "实训教学", "每学期排定全部实训项目", "开出率≥95%", "T-2", "P-01"],
                ["医学部", "专业建设", "护理专业实训条件建设", "按标准", "M-2", "P-01"],
            ],
            "人员": [
                ["工号", "姓名", "岗位识别编码"],
                ["E01", "甲", "B-1"],
                ["E02", "乙", "B-2"],
                ["E03", "丙", "B-3"],
                ["E04", "丁", "M-1"],
                ["E05", "戊", "M-3"],
                ["E06", "己", "T-1"],
                ["E07", "庚", "J-1"],
                ["E08", "辛", "Q-1"],
            ],  # M-2 and T-2 are vacant
        },
    )
    matrix = write_xlsx(
        "矩阵.xlsx",
        {"矩阵": [["纵向系统", "学校", "专业", "课程", "教师", "学生"],
                  ["决策指挥", "院长办公室", "二级学院", "二级学院", "二级学院", "二级学院"],
                  ["质量生成", "院长办公室", "二级学院", "二级学院", "二级学院", "二级学院"],
                  ["资源建设", "院长办公室", "二级学院", "二级学院", "二级学院", "二级学院"],
                  ["支持服务", "院长办公室", "二级学院", "二级学院", "二级学院", "二级学院"],
                  ["监督控制", "质量办", "质量办", "质量办", "质量办", "质量办"]]},
    )  # fmt: skip
    observations = write_xlsx(
        "状态.xlsx",
        {"状态": [["指标", "对象", "学年", "值"],
                  ["P-01", "700101", 2025, "60%"], ["P-01", "700102", 2025, "65%"],
                  ["P-02", "700101", 2025, "50%"], ["P-03", "700101", 2025, "无"], ["P-04", "700102", 2025, "无"]]},
    )  # fmt: skip
    return [
        (matrix, "matrix"),
        (catalogue, "catalogue"),
        (subjects, "subjects"),
        (org, "org"),
        (observations, "observations"),
    ]


def test_the_organisations_posts_cannot_be_changed(store: OxigraphStore, write_xlsx) -> None:
    """One organisation is read once and shared by every request of a server: no answer built from
    it may change a post (its holders, its boss) for the next one."""
    import dataclasses

    for path, kind in _second_college(write_xlsx):
        load_file(store, path, kind)
    org = ownership.organisation(store)
    post = next(p for p in org.posts.values() if p.code == "M-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        post.holders = ()  # type: ignore[misc]
    assert ownership.organisation(store).posts[post.iri] == post and post.holders == (("E04", "丁"),)


def test_a_differently_shaped_organisation(store: OxigraphStore, write_xlsx) -> None:
    for path, kind in _second_college(write_xlsx):
        load_file(store, path, kind)
    run = diagnosis.diagnose(store, 2025)
    owners = {o.id: o for o in ownership.resolve(store, run.graph).values()}
    # two work items claim P-01: for 护理 the post bound to the major (M-2, vacant → 医学部主任 丁)
    # is more specific than the 实训中心 post, which is bound to nothing
    nursing = owners["2025/P-01/700101"]
    assert nursing.rule == 1 and [p.post.code for p in nursing.posts] == ["M-2"]
    assert nursing.posts[0].vacant and nursing.posts[0].acting == (("E04", "丁"),)
    assert [p.code for p in nursing.escalation] == ["M-2", "M-1", "B-3", "B-2", "B-1"]
    # for 药学 no post is bound to the major: the 实训中心 work item does not govern it → rule 3 (data source)
    pharmacy = owners["2025/P-01/700102"]
    assert pharmacy.rule == 3 and [n for _, n in pharmacy.units] == ["实训中心"]
    assert [(p.post.code, p.post.holders) for p in pharmacy.posts] == [("T-1", (("E06", "己"),))]
    # 责任岗位 专业主任 instantiated for 护理 → M-2 (vacant), not 药学's M-3
    placement = owners["2025/P-02/700101"]
    assert placement.rule == 2 and [p.post.code for p in placement.posts] == ["M-2"]
    # a data source naming no unit falls to the matrix: 专业 × 决策指挥 → the major's 二级学院
    plan = owners["2025/P-04/700102"]
    assert plan.rule == 4 and [n for _, n in plan.units] == ["医学部"]
    assert [(p.post.code, p.post.holders) for p in plan.posts] == [("M-1", (("E04", "丁"),))]
    assert all(o.supervisors == ["质量办"] for o in owners.values())


def _branch_college(write_xlsx) -> list[tuple[Path, str]]:
    """The second college, plus a course and three indicators that reach the branches the sample
    never does: rule 1 through a post bound to a subject that governs the gap's (a major's post for
    one of its courses), rule 1 through the unit a post sits in, rule 3's 各二级学院 as 责任部门, rule 4's
    全部行政部门, and rule 4 for a subject that is itself a unit."""
    files = dict((kind, path) for path, kind in _second_college(write_xlsx))
    from openpyxl import load_workbook

    def append(kind: str, sheet: str, rows: list[list[object]]) -> None:
        book = load_workbook(files[kind])
        target = book[sheet] if sheet in book.sheetnames else book.create_sheet(sheet)
        for row in rows:
            target.append(row)
        book.save(files[kind])

    append("catalogue", "指标", [
        ["C-01", "课程", "质量生成", "课程实训达标率", "A/B/C A:90%以上 B:70%-90% C:70%以下", "无人认领的来源", None, None],
        ["P-05", "专业", "资源建设", "专业教学资源库", "有/无", "无人认领的来源", None, None],
        ["P-06", "专业", "支持服务", "后勤服务满意度", "有/无", "无人认领的来源", None, None],
        ["C-02", "课程", "质量生成", "课程建设规划", "有/无", "无人认领的来源", None, None],
        ["P-07", "专业", "质量生成", "人才培养方案执行", "有/无", "无人认领的来源", "各二级学院", None],
    ])  # fmt: skip
    append("subjects", "课程", [["课程代码", "课程名称", "所属专业"], ["K01", "基础护理", "700101"]])
    append("org", "岗位工作", [
        ["医学部", "专业建设", "护理专业课程实训达标", "按标准", "M-2", "C-01"],  # M-2 is bound to 700101
        ["医学部", "专业建设", "各专业教学资源库建设", "按标准", "M-1", "P-05"],  # M-1 is bound to nothing
    ])  # fmt: skip
    book = __import__("openpyxl").load_workbook(files["matrix"])
    book["矩阵"]["C5"] = "全部行政部门"  # 专业 × 支持服务
    book.save(files["matrix"])
    append("observations", "状态", [["C-01", "K01", 2025, "50%"], ["P-05", "700102", 2025, "无"],
                                   ["P-06", "700101", 2025, "无"], ["C-02", "医学部", 2025, "无"],
                                   ["P-07", "700102", 2025, "无"]])  # fmt: skip
    return [(path, kind) for kind, path in files.items()]


def test_one_gap_for_each_rule_branch_the_sample_never_reaches(store: OxigraphStore, write_xlsx) -> None:
    """Hand-worked answers: each gap below is owned through exactly one branch of its rule."""
    for path, kind in batch_order([p for p, _ in _branch_college(write_xlsx)], None):
        load_file(store, path, kind)
    run = diagnosis.diagnose(store, 2025)
    owners = {o.id: o for o in ownership.resolve(store, run.graph).values()}
    # rule 1, bound to a subject governing the gap's: 护理's post M-2 owns its course K01 (vacant → 丁)
    course = owners["2025/C-01/K01"]
    assert course.rule == 1 and [p.post.code for p in course.posts] == ["M-2"]
    assert course.facts[0][1].startswith("the post is bound to a unit governing the subject")
    assert course.posts[0].acting == (("E04", "丁"),)
    # rule 1, the post's unit governs the subject: M-1 sits in 医学部, which governs 药学
    library = owners["2025/P-05/700102"]
    assert library.rule == 1 and [p.post.code for p in library.posts] == ["M-1"]
    assert library.facts[0][1].startswith("the post's unit governs the subject")
    # rule 4, matrix-class: 全部行政部门 is every 职能部门, each with its head post
    service = owners["2025/P-06/700101"]
    assert service.rule == 4
    assert sorted(n for _, n in service.units) == sorted(["教学副院长室", "实训中心", "就业办", "质量办"])
    assert sorted(p.post.code for p in service.posts) == ["B-3", "J-1", "Q-1", "T-1"]
    assert service.facts[0][1].startswith("every unit of the class the matrix cell names")
    # rule 4, matrix-type, the subject itself a unit of the type the cell names (课程 × 质量生成 →
    # 二级学院): 医学部's own course plan is 医学部's (a branch bench/mutants.py found untested)
    plan = owners["2025/C-02/医学部"]
    assert plan.rule == 4 and [n for _, n in plan.units] == ["医学部"]
    assert [p.post.code for p in plan.posts] == ["M-1"]
    # rule 3, 责任部门 各二级学院: the 二级学院 governing the subject (药学 → 医学部). Without that branch
    # the matrix would name the same unit, so the rule and its fact are what tell them apart
    programme = owners["2025/P-07/700102"]
    assert programme.rule == 3 and [n for _, n in programme.units] == ["医学部"]
    assert [p.post.code for p in programme.posts] == ["M-1"]
    assert "各二级学院" in programme.facts[0][1]


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
def test_values_exactly_on_the_grade_lines(store: OxigraphStore, write_xlsx, engine: str) -> None:
    """A:90%以上 B:70%-90% C:70%以下 reads A ≥ 90 %, B in [70 %, 90 %), C < 70 %: a value exactly on
    a line belongs to the band above it. Worked out by hand for four planted values."""
    files = [(p, k) for p, k in _second_college(write_xlsx) if k != "observations"]
    planted = write_xlsx(
        "状态-界线.xlsx",
        {"状态": [["指标", "对象", "学年", "值"],
                  ["P-01", "700101", 2025, "90%"], ["P-01", "700102", 2025, "70%"],
                  ["P-02", "700101", 2025, "89.9%"], ["P-02", "700102", 2025, "69.9%"]]},
    )  # fmt: skip
    for path, kind in [*files, (planted, "observations")]:
        load_file(store, path, kind)
    run = diagnosis.diagnose(store, 2025, engine=engine)
    found = {
        g.id: (str(g.grade).rsplit("Grade", 1)[-1], {SH.Warning: "yellow", SH.Violation: "red"}[g.severity])
        for g in run.gaps
        if g.id.split("/")[1] in ("P-01", "P-02")
    }
    assert found == {
        # 2025/P-01/700101: exactly 90 % is grade A — met, no gap
        "2025/P-01/700102": ("B", "yellow"),  # exactly 70 % is B, not C
        "2025/P-02/700101": ("B", "yellow"),  # just under the A line
        "2025/P-02/700102": ("C", "red"),  # just under the C line
    }


def test_bare_numbers_in_a_rates_criterion_are_percentages(store: OxigraphStore, write_xlsx) -> None:
    """A:90以上 B:70-90 C:70以下 with no %: for a rate (its name says 率) the numbers are percentages,
    for a count (册数) they are counts. Worked out by hand: 80 % is a B, 95 % meets A; 80 册 is a B, 95 册
    meets A."""
    from openpyxl import load_workbook

    files = dict((kind, path) for path, kind in _second_college(write_xlsx))
    book = load_workbook(files["catalogue"])
    sheet = book[book.sheetnames[0]]
    sheet.append(
        ["P-08", "专业", "质量生成", "专业实训开出率", "A:90以上 B:70-90 C:70以下", "实训中心", None, None]
    )
    sheet.append(
        ["P-09", "专业", "资源建设", "专业图书册数", "A:90以上 B:70-90 C:70以下", "实训中心", None, None]
    )
    book.save(files["catalogue"])
    book = load_workbook(files["observations"])
    for row in (
        ["P-08", "700101", 2025, "80%"],
        ["P-08", "700102", 2025, "95%"],
        ["P-09", "700101", 2025, 80],
        ["P-09", "700102", 2025, 95],
    ):
        book["状态"].append(row)
    book.save(files["observations"])
    for path, kind in batch_order(list(files.values()), None):
        load_file(store, path, kind)
    run = diagnosis.diagnose(store, 2025)
    found = {
        g.id: str(g.grade).rsplit("Grade", 1)[-1] for g in run.gaps if g.id.split("/")[1] in ("P-08", "P-09")
    }
    assert found == {"2025/P-08/700101": "B", "2025/P-09/700101": "B"}


def test_each_indicator_is_traced_to_its_catalogue_row(store: OxigraphStore, write_xlsx) -> None:
    """Where a finding about a criterion points: file, sheet and row of the catalogue."""
    from zhengai import standards

    for path, kind in _second_college(write_xlsx):
        load_file(store, path, kind)
    where = standards.indicator_locations(store)
    assert (where["P-01"].file, where["P-01"].sheet, where["P-01"].row) == ("指标.xlsx", "指标", 2)
    assert (where["P-04"].file, where["P-04"].sheet, where["P-04"].row) == ("指标.xlsx", "指标", 5)
