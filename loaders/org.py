"""Organisation workbook: sheets 部门, 岗位, 职责 (表1), 岗位工作 (表2/表3), 工作程序 (表4), 人员.

Units are ORG organisational units typed by 部门类型; posts are ``org:Post`` with the 表5 fields,
``org:postIn`` their unit and ``org:reportsTo`` the 汇报岗位; holders come from 人员 via
``org:heldBy``. A duty is identified by its text, so the same duty claimed by two units is one
duty with two ``zg:dutyOf`` (the audit reports it), and a duty named only in 岗位工作 has none.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from zhengai.errors import Location
from zhengai.namespaces import FOAF, ORG, RDF, RDFS, SYSTEMS, ZG, graph, iri

from .base import (
    LoadResult,
    Problems,
    annotate_source,
    decimal_literal,
    nfkc,
    parse_cell,
    parse_date,
    parse_decimal,
    parse_int,
    required_text,
    sheet_key,
    split_list,
    tables_by_sheet,
)
from .table import Column, RawSheet, Table, TableRow, cell_text, header_score, normalize_header

KIND = "org"
GRAPH = graph("org")

UNIT_COLUMNS = (
    Column("name", ("部门名称", "单位名称", "部门"), required=True),
    Column("type", ("部门类型", "单位类型", "类型")),
    Column("parent", ("上级部门", "上级单位", "所属部门")),
    Column("head", ("负责岗位", "负责人岗位", "负责岗位编码")),
    Column("system", ("所属系统", "纵向系统")),
)
POST_COLUMNS = (
    Column("name", ("岗位名称",), required=True),
    Column("unit", ("所属部门", "部门名称"), required=True),
    Column("code", ("岗位识别编码", "岗位编码"), required=True),
    Column("headcount", ("本岗位编制数", "编制数")),
    Column("grade", ("岗位级别",)),
    Column("coefficient", ("岗位对应系数", "岗位系数")),
    Column("valid_from", ("生效日期",)),
    Column("valid_until", ("失效日期",)),
    Column("revision", ("版次",)),
    Column("goal", ("工作目标",)),
    Column("duties", ("主要职责", "职责概述")),
    Column("standard", ("工作标准",)),
    Column("basis", ("工作依据",)),
    Column("internal", ("工作关系（学院内部）", "学院内部", "工作关系-学院内部", "内部工作关系")),
    Column("external", ("工作关系（学院外部）", "学院外部", "工作关系-学院外部", "外部工作关系")),
    Column("reports_to", ("汇报岗位", "上级岗位", "汇报岗位编码")),
    Column("bound_to", ("负责对象",)),
)
DUTY_COLUMNS = (
    Column("unit", ("部门名称",), required=True),
    Column("inside", ("在系统内的职责", "系统内职责")),
    Column("outside", ("在系统外的职责", "系统外职责")),
)
WORK_COLUMNS = (
    Column("unit", ("部门名称",), required=True),
    Column("duty", ("部门职责", "职责")),
    Column("work", ("具体化的工作", "工作内容", "具体工作"), required=True),
    Column("standard", ("工作标准",)),
    Column("post", ("工作归属岗位", "岗位", "岗位名称"), required=True),
    Column("office", ("岗位所在处室部", "处室部")),
    Column("indicators", ("支撑指标", "支撑指标编码")),
)
PROCEDURE_COLUMNS = (
    Column("unit", ("部门名称",)),
    Column("post", ("岗位名称", "岗位识别编码", "岗位"), required=True),
    Column("content", ("工作内容",), required=True),
    Column("procedure", ("工作程序描述", "工作程序"), required=True),
)
PEOPLE_COLUMNS = (
    Column("staff_no", ("工号",), required=True),
    Column("name", ("姓名",), required=True),
    Column(
        "posts",
        ("岗位识别编码", "岗位编码", "所任岗位"),
    ),
)

SHEETS = {
    "部门": UNIT_COLUMNS,
    "岗位": POST_COLUMNS,
    "职责": DUTY_COLUMNS,
    "岗位工作": WORK_COLUMNS,
    "工作程序": PROCEDURE_COLUMNS,
    "人员": PEOPLE_COLUMNS,
}
REQUIRED_SHEETS = ("部门", "岗位")

UNIT_TYPES = {
    "党委": ZG.PartyCommittee,
    "校部": ZG.PresidentOffice,
    "职能部门": ZG.FunctionalDepartment,
    "行政部门": ZG.FunctionalDepartment,
    "党群部门": ZG.PartyMassDepartment,
    "二级学院": ZG.SecondaryCollege,
    "二级院系": ZG.SecondaryCollege,
    "系": ZG.SecondaryCollege,
    "教研室": ZG.TeachingSection,
    "委员会": ZG.Committee,
    "工作组": ZG.WorkingGroup,
    "小组": ZG.WorkingGroup,
}
GRADES = {
    "中层正职": ZG.MiddleHead,
    "中层副职": ZG.MiddleDeputy,
    "普通": ZG.OrdinaryPost,
    "其他": ZG.OtherPost,
}
SUBJECT_KINDS = {
    "学校": "school",
    "专业": "major",
    "课程": "course",
    "教师": "person",
    "学生": "person",
    "班级": "class",
}


def unit_iri(name: str) -> URIRef:
    return iri("unit", nfkc(name))


def post_iri(code: str) -> URIRef:
    return iri("post", code)


def person_iri(staff_no: str) -> URIRef:
    return iri("person", staff_no)


def duty_iri(text: str) -> URIRef:
    return iri("duty", hashlib.sha1(normalize_header(text).encode()).hexdigest()[:16])


def subject_iri(kind: str, code: str) -> URIRef:
    return iri(SUBJECT_KINDS[kind], code)


def detect_score(sheets: list[RawSheet]) -> int:
    score = 0
    for s in sheets:
        key = sheet_key(s.name, SHEETS)
        if key:
            score += header_score(s, SHEETS[key])[0]
    return score


@dataclass
class _Posts:
    by_code: dict[str, TableRow]
    by_unit_name: dict[tuple[str, str], list[str]]


def load(sheets: list[RawSheet], *, file: str, known_indicators: set[str] | None) -> LoadResult:
    problems = Problems(file)
    tables = tables_by_sheet(sheets, SHEETS, problems, "组织工作簿", "organisation workbook")
    for key in REQUIRED_SHEETS:
        if key not in tables:
            problems.error(f"缺少工作表「{key}」", f"missing sheet '{key}'", Location(file, key))
    problems.raise_if_any()

    g = Graph()
    units = _units(g, tables["部门"], problems)
    posts = _posts(g, tables["岗位"], units, problems)
    _unit_heads(g, tables["部门"], posts, problems)
    if "职责" in tables:
        _duties(g, tables["职责"], units, problems)
    if "岗位工作" in tables:
        _work_items(g, tables["岗位工作"], units, posts, known_indicators, problems)
    if "工作程序" in tables:
        _procedures(g, tables["工作程序"], posts, problems)
    if "人员" in tables:
        _people(g, tables["人员"], posts, problems)
    problems.raise_if_any()
    rows = sum(len(t.rows) for t in tables.values())
    return LoadResult(KIND, {GRAPH: g}, rows, problems.findings)


def _units(g: Graph, table: Table, problems: Problems) -> dict[str, TableRow]:
    units: dict[str, TableRow] = {}
    for row in table.rows:
        name = required_text(row, "name", problems)
        if name is None:
            continue
        name = nfkc(name)
        if name in units:
            problems.error(
                f"部门「{name}」重复（第 {units[name].number} 行已有）",
                f"duplicate unit '{name}' (already on row {units[name].number})",
                row.loc("name"),
            )
            continue
        units[name] = row
    for name, row in units.items():
        node = unit_iri(name)
        g.add((node, RDF.type, ORG.OrganizationalUnit))
        g.add((node, RDFS.label, Literal(name, lang="zh")))
        g.add((node, ORG.identifier, Literal(name)))
        type_text = row.text("type")
        if type_text:
            g.add((node, ZG.unitTypeText, Literal(type_text)))
            cls = UNIT_TYPES.get(nfkc(type_text))
            if cls is None:
                problems.finding(
                    f"未知的部门类型「{type_text}」，按一般组织单位加载",
                    f"unknown unit type '{type_text}'; loaded as a plain organisational unit",
                    row.loc("type"),
                )
            else:
                g.add((node, RDF.type, cls))
        parent = row.text("parent")
        if parent:
            if nfkc(parent) not in units:
                problems.error(
                    f"上级部门「{parent}」不在「部门」表中",
                    f"parent unit '{parent}' is not in the 部门 sheet",
                    row.loc("parent"),
                )
            else:
                g.add((node, ORG.subOrganizationOf, unit_iri(parent)))
                g.add((node, ORG.unitOf, unit_iri(parent)))
        system = row.text("system")
        if system:
            if nfkc(system) in SYSTEMS:
                g.add((node, ZG.inSystem, SYSTEMS[nfkc(system)]))
            else:
                problems.error(
                    f"「{system}」不是纵向五系统之一",
                    f"'{system}' is not one of the five vertical systems",
                    row.loc("system"),
                )
        annotate_source(g, node, row)
    return units


def _posts(g: Graph, table: Table, units: dict[str, TableRow], problems: Problems) -> _Posts:
    posts = _Posts({}, {})
    for row in table.rows:
        code = required_text(row, "code", problems)
        name = required_text(row, "name", problems)
        unit = required_text(row, "unit", problems)
        if code is None or name is None or unit is None:
            continue
        if code in posts.by_code:
            problems.error(
                f"岗位识别编码「{code}」重复（第 {posts.by_code[code].number} 行已有）",
                f"duplicate post code '{code}' (already on row {posts.by_code[code].number})",
                row.loc("code"),
            )
            continue
        if nfkc(unit) not in units:
            problems.error(
                f"所属部门「{unit}」不在「部门」表中",
                f"unit '{unit}' is not in the 部门 sheet",
                row.loc("unit"),
            )
            continue
        posts.by_code[code] = row
        posts.by_unit_name.setdefault((nfkc(unit), nfkc(name)), []).append(code)

    for code, row in posts.by_code.items():
        node = post_iri(code)
        g.add((node, RDF.type, ORG.Post))
        g.add((node, ZG.postCode, Literal(code)))
        g.add((node, RDFS.label, Literal(row.text("name"), lang="zh")))
        g.add((node, ORG.postIn, unit_iri(row.text("unit") or "")))
        headcount = parse_cell(row, "headcount", parse_int, problems)
        if headcount is not None:
            g.add((node, ZG.headcount, Literal(headcount)))
        coefficient = parse_cell(row, "coefficient", parse_decimal, problems)
        if coefficient is not None:
            g.add((node, ZG.postCoefficient, decimal_literal(coefficient)))
        for key, prop in (("valid_from", ZG.validFrom), ("valid_until", ZG.validUntil)):
            day = parse_cell(row, key, parse_date, problems)
            if day is not None:
                g.add((node, prop, Literal(day.isoformat(), datatype=XSD.date)))
        grade_text = row.text("grade")
        if grade_text:
            grade = next((v for k, v in GRADES.items() if k in nfkc(grade_text)), None)
            if grade is None:
                problems.error(
                    f"岗位级别「{grade_text}」应为 中层正职/中层副职/普通/其他",
                    f"post grade '{grade_text}' should be 中层正职/中层副职/普通/其他",
                    row.loc("grade"),
                )
            else:
                g.add((node, ZG.postGrade, grade))
        for key, prop in (
            ("revision", ZG.revision),
            ("goal", ZG.workGoal),
            ("duties", ZG.mainDuties),
            ("standard", ZG.workStandard),
            ("basis", ZG.workBasis),
            ("internal", ZG.internalRelations),
            ("external", ZG.externalRelations),
        ):
            text = row.text(key)
            if text:
                g.add((node, prop, Literal(text)))
        boss = row.text("reports_to")
        if boss:
            if boss not in posts.by_code:
                problems.error(
                    f"汇报岗位「{boss}」不是「岗位」表中的岗位识别编码",
                    f"reports-to post '{boss}' is not a post code in the 岗位 sheet",
                    row.loc("reports_to"),
                )
            else:
                g.add((node, ORG.reportsTo, post_iri(boss)))
        bound = row.text("bound_to")
        if bound:
            kind, _, subject_code = nfkc(bound).partition(":")
            if kind not in SUBJECT_KINDS or not subject_code.strip():
                problems.error(
                    f"负责对象「{bound}」应写作 类型:编码，如 专业:560103（类型为 学校/专业/课程/教师/学生/班级）",
                    f"bound subject '{bound}' should read type:code, e.g. 专业:560103",
                    row.loc("bound_to"),
                )
            else:
                g.add((node, ZG.boundTo, subject_iri(kind, subject_code.strip())))
        annotate_source(g, node, row)
    return posts


def _resolve_post(text: str, unit: str | None, posts: _Posts) -> str | None:
    """A post named by code, or by name (unique within the unit, or unique overall)."""
    if text in posts.by_code:
        return text
    name = nfkc(text)
    if unit is not None:
        codes = posts.by_unit_name.get((nfkc(unit), name), [])
        if len(codes) == 1:
            return codes[0]
    matches = [c for (u, n), cs in posts.by_unit_name.items() if n == name for c in cs]
    return matches[0] if len(matches) == 1 else None


def _unit_heads(g: Graph, table: Table, posts: _Posts, problems: Problems) -> None:
    for row in table.rows:
        head, name = row.text("head"), row.text("name")
        if not head or not name:
            continue
        code = _resolve_post(head, name, posts)
        if code is None:
            problems.error(
                f"负责岗位「{head}」不在「岗位」表中",
                f"head post '{head}' is not in the 岗位 sheet",
                row.loc("head"),
            )
        else:
            g.add((unit_iri(name), ZG.headPost, post_iri(code)))


def _duties(g: Graph, table: Table, units: dict[str, TableRow], problems: Problems) -> None:
    for row in table.rows:
        unit = required_text(row, "unit", problems)
        if unit is None:
            continue
        if nfkc(unit) not in units:
            problems.error(
                f"部门「{unit}」不在「部门」表中", f"unit '{unit}' is not in the 部门 sheet", row.loc("unit")
            )
            continue
        for key, inside in (("inside", True), ("outside", False)):
            for text in _duty_texts(row.text(key)):
                node = duty_iri(text)
                g.add((node, RDF.type, ZG.Duty))
                g.add((node, RDFS.label, Literal(text, lang="zh")))
                g.add((node, ZG.dutyOf, unit_iri(unit)))
                g.add((node, ZG.withinSystem, Literal(inside)))
                annotate_source(g, node, row)


def _duty_texts(cell: str | None) -> list[str]:
    if not cell:
        return []
    return [p.strip(" ;；。") for p in cell.replace("；", "\n").split("\n") if p.strip(" ;；。")]


def _work_items(
    g: Graph,
    table: Table,
    units: dict[str, TableRow],
    posts: _Posts,
    known_indicators: set[str] | None,
    problems: Problems,
) -> None:
    for row in table.rows:
        unit, work, post_text = (required_text(row, k, problems) for k in ("unit", "work", "post"))
        if unit is None or work is None or post_text is None:
            continue
        if nfkc(unit) not in units:
            problems.error(
                f"部门「{unit}」不在「部门」表中", f"unit '{unit}' is not in the 部门 sheet", row.loc("unit")
            )
            continue
        code = _resolve_post(post_text, unit, posts)
        if code is None:
            problems.error(
                f"工作归属岗位「{post_text}」不是「岗位」表中的岗位（按编码或本部门岗位名称查找）",
                f"post '{post_text}' is not in the 岗位 sheet (looked up by code, or by name within the unit)",
                row.loc("post"),
            )
            continue
        node = iri("work-item", code, hashlib.sha1(normalize_header(work).encode()).hexdigest()[:12])
        g.add((node, RDF.type, ZG.WorkItem))
        g.add((node, RDFS.label, Literal(work, lang="zh")))
        g.add((node, ZG.assignedToPost, post_iri(code)))
        standard = row.text("standard")
        if standard:
            g.add((node, ZG.workStandard, Literal(standard)))
        duty = row.text("duty")
        if duty:
            g.add((node, ZG.ofDuty, duty_iri(duty)))
            g.add((duty_iri(duty), RDF.type, ZG.Duty))
            g.add((duty_iri(duty), RDFS.label, Literal(duty.strip(" ;；。"), lang="zh")))
        for indicator in split_list(row.text("indicators")):
            if known_indicators is not None and indicator not in known_indicators:
                problems.error(
                    f"支撑指标「{indicator}」不是已加载指标表中的编码",
                    f"supported indicator '{indicator}' is not a code of the loaded catalogue",
                    row.loc("indicators"),
                )
                continue
            g.add((node, ZG.supportsIndicator, iri("indicator", indicator)))
        annotate_source(g, node, row)
    if known_indicators is None and any(r.text("indicators") for r in table.rows):
        problems.finding(
            "数据存储中还没有指标表，支撑指标编码未核对；请先加载指标表",
            "no catalogue is loaded yet, so 支撑指标 codes were not checked; load the catalogue first",
            table.loc("indicators"),
        )


def _procedures(g: Graph, table: Table, posts: _Posts, problems: Problems) -> None:
    for row in table.rows:
        post_text, content, procedure = (
            required_text(row, k, problems) for k in ("post", "content", "procedure")
        )
        if post_text is None or content is None or procedure is None:
            continue
        code = _resolve_post(post_text, row.text("unit"), posts)
        if code is None:
            problems.error(
                f"岗位「{post_text}」不在「岗位」表中",
                f"post '{post_text}' is not in the 岗位 sheet",
                row.loc("post"),
            )
            continue
        node = iri("procedure", code, row.number)
        g.add((node, RDF.type, ZG.WorkProcedure))
        g.add((node, RDFS.label, Literal(content, lang="zh")))
        g.add((node, ZG.procedureOf, post_iri(code)))
        g.add((node, ZG.procedureText, Literal(procedure)))
        annotate_source(g, node, row)


def _people(g: Graph, table: Table, posts: _Posts, problems: Problems) -> None:
    seen: dict[str, int] = {}
    for row in table.rows:
        staff_no, name = required_text(row, "staff_no", problems), required_text(row, "name", problems)
        if staff_no is None or name is None:
            continue
        if staff_no in seen:
            problems.error(
                f"工号「{staff_no}」重复（第 {seen[staff_no]} 行已有）",
                f"duplicate staff number '{staff_no}' (already on row {seen[staff_no]})",
                row.loc("staff_no"),
            )
            continue
        seen[staff_no] = row.number
        person = person_iri(staff_no)
        g.add((person, RDF.type, FOAF.Person))
        g.add((person, FOAF.name, Literal(name)))
        g.add((person, ZG.staffNumber, Literal(staff_no)))
        for code in split_list(cell_text(row.raw("posts"))):
            if code not in posts.by_code:
                problems.error(
                    f"岗位识别编码「{code}」不在「岗位」表中",
                    f"post code '{code}' is not in the 岗位 sheet",
                    row.loc("posts"),
                )
                continue
            g.add((post_iri(code), ORG.heldBy, person))
            g.add((person, ORG.holds, post_iri(code)))
        annotate_source(g, person, row)
