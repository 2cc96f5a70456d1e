"""Person-valued roles on subject rows own gaps by rule 2, even with no org post of that name.

The sample college, with three changes written here by hand:

* the course indicator KC-1.2.1-04 names 课程负责人 as its 责任岗位, and the course KC002 reports
  10 % on it for 2025; KC002's 课程负责人 is T1013 孔明亮, a teacher who holds no post — so the
  owner is that person in the role, in 智能制造学院 (the major 460301's 二级学院), escalating to
  its head ZZ-01 韩磊 (T1001) → XB-01 → DW-01;
* the course KC001's 课程负责人 is T1003 邓子涵, who holds JY-01 机械教研室主任: the answer is
  his post, escalating JY-01 → ZZ-01 → XB-01 → DW-01;
* the student indicator XS-2.3.10-01 names 辅导员, and a 班级 sheet gives 网络2301 the 辅导员
  T1011 蔡明 (who holds XX-21): the class's missing 2025 value is his, not the matrix's.
"""

from __future__ import annotations

import pytest
from conftest import MATRIX, SAMPLE
from openpyxl import load_workbook

from zhengai import assignment, diagnosis, ownership
from zhengai.loading import batch_order, load_file
from zhengai.store import OxigraphStore


def _set(sheet, code: str, header: str, value: object) -> None:  # type: ignore[no-untyped-def]
    rows = list(sheet.iter_rows())
    head = next(i for i, r in enumerate(rows) if any(c.value == "编码" for c in r))
    column = next(c.column for c in rows[head] if c.value == header)
    for row in rows[head + 1 :]:
        if row[0].value == code:
            sheet.cell(row=row[0].row, column=column, value=value)
            return
    raise AssertionError(code)


@pytest.fixture(scope="module")
def college(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    folder = tmp_path_factory.mktemp("roles")
    catalogue = load_workbook(SAMPLE / "监测指标.xlsx")
    _set(catalogue["课程"], "KC-1.2.1-04", "责任岗位", "课程负责人")
    _set(catalogue["学生"], "XS-2.3.10-01", "责任岗位", "辅导员")
    catalogue.save(folder / "监测指标.xlsx")
    subjects = load_workbook(SAMPLE / "对象.xlsx")
    subjects["教师"].append(["T1013", "孔明亮", "智能制造学院", "机械教研室"])
    for row in subjects["课程"].iter_rows(min_row=2):
        if row[0].value == "KC002":
            row[4].value = "T1013"
    classes = subjects.create_sheet("班级")
    classes.append(["班级", "专业代码", "辅导员"])
    classes.append(["网络2301", "510202", "T1011"])
    subjects.save(folder / "对象.xlsx")
    observations = load_workbook(SAMPLE / "状态数据.xlsx")
    observations.active.append(["KC-1.2.1-04", "KC002", 2025, 0.1, None, None, "教务系统", "2026-06-30"])
    observations.active.append(["KC-1.2.1-04", "KC001", 2025, 0.1, None, None, "教务系统", "2026-06-30"])
    observations.save(folder / "状态数据.xlsx")
    files = [MATRIX, folder / "监测指标.xlsx", folder / "对象.xlsx", folder / "状态数据.xlsx",
             SAMPLE / "组织.xlsx", SAMPLE / "年度目标.xlsx"]  # fmt: skip
    store = OxigraphStore(folder / "store")
    for file, kind in batch_order(files, None):
        load_file(store, file, kind)
    diagnosis.diagnose(store, 2025)
    return store


def owner_of(store: OxigraphStore, gap_id: str) -> ownership.Owner:
    run, gap = ownership.find_gap(store, gap_id)
    stored = assignment.owners(store, run, gap)[gap]
    assert stored.as_dict() == ownership.resolve(store, run, gap)[gap].as_dict()  # stored = per gap
    return stored


def test_a_course_lead_with_no_post_owns_the_courses_gap(college: OxigraphStore) -> None:
    owner = owner_of(college, "2025/KC-1.2.1-04/KC002")
    assert owner.rule == 2
    assert [(o.post.code, o.post.holders) for o in owner.posts] == [
        ("课程负责人@KC002", (("T1013", "孔明亮"),))
    ]
    # held by the person named on the course row: not vacant, nobody acting for it
    assert [(o.vacant, o.acting, o.acting_post) for o in owner.posts] == [(False, (), None)]
    assert [name for _, name in owner.units] == ["智能制造学院"]
    assert [p.code for p in owner.escalation] == ["课程负责人@KC002", "ZZ-01", "XB-01", "DW-01"]
    assert any("孔明亮（T1013）" in zh for zh, _ in owner.facts)
    assert ownership.owns(owner, person="T1013")
    run = diagnosis.latest_run(college, 2025)
    assert run is not None
    mine = assignment.owned(college, run.graph, person="T1013")
    assert mine is not None and set(mine) == {"2025/KC-1.2.1-04/KC002"}


def test_a_course_lead_who_holds_a_post_owns_it_through_that_post(college: OxigraphStore) -> None:
    owner = owner_of(college, "2025/KC-1.2.1-04/KC001")
    assert owner.rule == 2
    assert [o.post.code for o in owner.posts] == ["JY-01"]
    assert [p.code for p in owner.escalation] == ["JY-01", "ZZ-01", "XB-01", "DW-01"]


def test_a_classes_counsellor_on_the_class_sheet_owns_its_missing_data(college: OxigraphStore) -> None:
    owner = owner_of(college, "2025/XS-2.3.10-01/网络2301")
    assert owner.rule == 2
    assert [(o.post.code, [n for n, _ in o.post.holders]) for o in owner.posts] == [("XX-21", ["T1011"])]
