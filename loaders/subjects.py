"""Subjects workbook: sheets 学校, 专业, 课程, 教师, 班级, 学生.

School, majors, major groups, courses and classes go to the ``subjects`` graph. Teacher and student
records are personal data and go to their own graphs (``people/teachers``, ``people/students``),
so that access can be granted per graph. Every governing link (a major's 二级学院, a course's
教研室 and major, a teacher's unit, a student's class and major) is also written as
``zg:governedBy``, the super-property ownership queries follow.
"""

from __future__ import annotations

import re

import networkx as nx
from rdflib import Graph, Literal, URIRef

from zhengai.errors import Location
from zhengai.namespaces import FOAF, RDF, RDFS, ZG, graph, iri

from .base import LoadResult, Problems, annotate_source, nfkc, required_text, sheet_key, tables_by_sheet
from .org import person_iri, unit_iri
from .table import Column, RawSheet, Table, TableRow, header_score

KIND = "subjects"
SUBJECTS_GRAPH = graph("subjects")
TEACHERS_GRAPH = graph("people/teachers")
STUDENTS_GRAPH = graph("people/students")
PERSONAL_GRAPHS = (TEACHERS_GRAPH, STUDENTS_GRAPH)

SHEETS = {
    "学校": (
        Column("code", ("学校代码", "院校代码"), required=True),
        Column("name", ("学校名称", "院校名称"), required=True),
    ),
    "专业": (
        Column("code", ("专业代码",), required=True),
        Column("name", ("专业名称",), required=True),
        Column("college", ("所属二级学院", "二级学院", "所属院系")),
        Column("group", ("专业群", "所属专业群")),
        Column("leader", ("专业带头人", "专业带头人工号")),
        Column("director", ("专业主任", "专业主任工号", "专业负责人")),
    ),
    "课程": (
        Column("code", ("课程代码",), required=True),
        Column("name", ("课程名称",), required=True),
        Column("major", ("所属专业", "专业代码")),
        Column("section", ("教研室", "所属教研室")),
        Column("lead", ("课程负责人", "课程负责人工号")),
    ),
    "教师": (
        Column("code", ("工号",), required=True),
        Column("name", ("姓名",), required=True),
        Column("unit", ("所属部门", "部门")),
        Column("section", ("教研室", "所属教研室")),
    ),
    "班级": (
        Column("code", ("班级", "班级名称", "班级代码"), required=True),
        Column("major", ("专业代码", "所属专业", "专业")),
        Column("counselor", ("辅导员", "辅导员工号")),
        Column("head_teacher", ("班主任", "班主任工号")),
    ),
    "学生": (
        Column("code", ("学号",), required=True),
        Column("major", ("专业代码", "所学专业", "专业")),
        Column("class", ("班级",)),
        Column("cohort", ("年级",)),
        Column("name", ("姓名",)),
    ),
}


# Person-valued roles on subject rows: each is an instantiation of a 责任岗位 for ownership rule 2,
# even when the org workbook has no post of that name.
ROLE_COLUMNS = {"lead": "课程负责人", "leader": "专业带头人", "director": "专业主任",
                "counselor": "辅导员", "head_teacher": "班主任"}  # fmt: skip


def add_roles(g: Graph, node: URIRef, row: TableRow, code: str) -> None:
    """``zg:SubjectRole`` nodes for the person-valued columns of ``row`` (a 工号 each, or several
    separated by 、)."""
    for key, role in ROLE_COLUMNS.items():
        for number in split_people(row.text(key)):
            role_node = iri("role", code, role, number)
            g.add((role_node, RDF.type, ZG.SubjectRole))
            g.add((role_node, ZG.roleOf, node))
            g.add((role_node, ZG.roleName, Literal(role)))
            g.add((role_node, ZG.rolePerson, person_iri(number)))
            g.add((role_node, ZG.roleStaffNumber, Literal(number)))


def split_people(text: str | None) -> list[str]:
    return [x for x in re.split(r"[、,，;；\s]+", text or "") if x]


def major_iri(code: str) -> URIRef:
    return iri("major", code)


def course_iri(code: str) -> URIRef:
    return iri("course", code)


def class_iri(code: str) -> URIRef:
    return iri("class", code)


def school_iri(code: str) -> URIRef:
    return iri("school", code)


def detect_score(sheets: list[RawSheet]) -> int:
    score = 0
    for s in sheets:
        key = sheet_key(s.name, SHEETS)
        if key:
            score += header_score(s, [c for c in SHEETS[key] if c.required])[0]
    return score


def load(
    sheets: list[RawSheet], *, file: str, known_majors: set[str], known_teachers: set[str]
) -> LoadResult:
    """``known_majors``/``known_teachers``: codes already in the store, for links across files."""
    problems = Problems(file)
    tables = tables_by_sheet(sheets, SHEETS, problems, "对象工作簿", "subjects workbook")
    if not tables:
        problems.error(
            "没有找到 学校/专业/课程/教师/学生 工作表",
            "no 学校/专业/课程/教师/学生 sheet found",
            Location(file),
        )
    problems.raise_if_any()

    subjects, teachers, students = Graph(), Graph(), Graph()
    majors = set(known_majors)
    teacher_codes = set(known_teachers)
    for row in tables["学校"].rows if "学校" in tables else []:
        code, name = required_text(row, "code", problems), required_text(row, "name", problems)
        if code and name:
            node = school_iri(code)
            subjects.add((node, RDF.type, ZG.School))
            subjects.add((node, RDF.type, ZG.College))
            _named(subjects, node, code, name, row)
    if "专业" in tables:
        majors |= _majors(subjects, tables["专业"], problems)
    if "教师" in tables:
        teacher_codes |= _teachers(teachers, tables["教师"], problems)
    if "课程" in tables:
        _courses(subjects, tables["课程"], majors, teacher_codes, problems)
    if "学生" in tables:
        _students(subjects, students, tables["学生"], majors, problems)
    if "班级" in tables:
        _classes(subjects, tables["班级"], majors, problems)
    problems.raise_if_any()
    close_governed_by(subjects, teachers, students)

    graphs = {SUBJECTS_GRAPH: subjects}
    if "教师" in tables:
        graphs[TEACHERS_GRAPH] = teachers
    if "学生" in tables:
        graphs[STUDENTS_GRAPH] = students
    if not (tables.keys() & {"学校", "专业", "课程"}):
        del graphs[SUBJECTS_GRAPH]
    rows = sum(len(t.rows) for t in tables.values())
    return LoadResult(KIND, graphs, rows, problems.findings)


def close_governed_by(*graphs: Graph) -> None:
    """Make ``zg:governedBy`` transitive within the load: a student is governed by its class, its
    major and the major's 二级学院 directly, so ownership queries follow one link, not a path."""
    chain = nx.DiGraph()
    home: dict[object, Graph] = {}
    for g in graphs:
        for s, _, o in g.triples((None, ZG.governedBy, None)):
            chain.add_edge(s, o)
            home.setdefault(s, g)
    for node, g in home.items():
        for above in nx.descendants(chain, node):
            g.add((node, ZG.governedBy, above))


def _named(g: Graph, node: URIRef, code: str, name: str, row: TableRow) -> None:
    g.add((node, ZG.subjectCode, Literal(code)))
    g.add((node, RDFS.label, Literal(name, lang="zh")))
    annotate_source(g, node, row)


def _unique(table: Table, problems: Problems) -> list[tuple[TableRow, str]]:
    seen: dict[str, int] = {}
    out = []
    for row in table.rows:
        code = required_text(row, "code", problems)
        if code is None:
            continue
        if code in seen:
            header = table.header_of("code")
            problems.error(
                f"{header}「{code}」重复（第 {seen[code]} 行已有）",
                f"duplicate {header} '{code}' (already on row {seen[code]})",
                row.loc("code"),
            )
            continue
        seen[code] = row.number
        out.append((row, code))
    return out


def _majors(g: Graph, table: Table, problems: Problems) -> set[str]:
    codes = set()
    for row, code in _unique(table, problems):
        name = required_text(row, "name", problems)
        if name is None:
            continue
        node = major_iri(code)
        codes.add(code)
        g.add((node, RDF.type, ZG.Major))
        _named(g, node, code, name, row)
        add_roles(g, node, row, code)
        college = row.text("college")
        if college:
            g.add((node, ZG.offeredBy, unit_iri(college)))
            g.add((node, ZG.governedBy, unit_iri(college)))
        group = row.text("group")
        if group:
            group_node = iri("major-group", nfkc(group))
            g.add((group_node, RDF.type, ZG.MajorGroup))
            g.add((group_node, RDFS.label, Literal(group, lang="zh")))
            g.add((node, ZG.inMajorGroup, group_node))
    return codes


def _teachers(g: Graph, table: Table, problems: Problems) -> set[str]:
    codes = set()
    for row, code in _unique(table, problems):
        name = required_text(row, "name", problems)
        if name is None:
            continue
        node = person_iri(code)
        codes.add(code)
        g.add((node, RDF.type, ZG.Teacher))
        g.add((node, FOAF.name, Literal(name)))
        g.add((node, ZG.staffNumber, Literal(code)))
        g.add((node, ZG.subjectCode, Literal(code)))
        for key, prop in (("unit", ZG.memberOfUnit), ("section", ZG.teachingSection)):
            unit = row.text(key)
            if unit:
                g.add((node, prop, unit_iri(unit)))
                g.add((node, ZG.governedBy, unit_iri(unit)))
        annotate_source(g, node, row)
    return codes


def _courses(g: Graph, table: Table, majors: set[str], teachers: set[str], problems: Problems) -> None:
    for row, code in _unique(table, problems):
        name = required_text(row, "name", problems)
        if name is None:
            continue
        node = course_iri(code)
        g.add((node, RDF.type, ZG.Course))
        _named(g, node, code, name, row)
        major = row.text("major")
        if major:
            if major not in majors:
                problems.error(
                    f"所属专业「{major}」不是已知的专业代码",
                    f"major '{major}' is not a known major code",
                    row.loc("major"),
                )
            else:
                g.add((node, ZG.courseOfMajor, major_iri(major)))
                g.add((node, ZG.governedBy, major_iri(major)))
        section = row.text("section")
        if section:
            g.add((node, ZG.teachingSection, unit_iri(section)))
            g.add((node, ZG.governedBy, unit_iri(section)))
        lead = row.text("lead")
        if lead:
            if lead not in teachers:
                problems.error(
                    f"课程负责人「{lead}」不是已知教师的工号",
                    f"course lead '{lead}' is not a known teacher's staff number",
                    row.loc("lead"),
                )
            else:
                g.add((node, ZG.courseLead, person_iri(lead)))
                add_roles(g, node, row, code)


def _classes(g: Graph, table: Table, majors: set[str], problems: Problems) -> None:
    """The 班级 sheet: a class's major and its 辅导员 / 班主任 (classes also come from student rows)."""
    for row, code in _unique(table, problems):
        node = class_iri(code)
        g.add((node, RDF.type, ZG.Class))
        g.add((node, ZG.subjectCode, Literal(code)))
        g.add((node, RDFS.label, Literal(code, lang="zh")))
        major = row.text("major")
        if major:
            if major not in majors:
                problems.error(
                    f"专业代码「{major}」不是已知的专业",
                    f"major code '{major}' is not a known major",
                    row.loc("major"),
                )
                continue
            g.add((node, ZG.classOfMajor, major_iri(major)))
            g.add((node, ZG.governedBy, major_iri(major)))
        add_roles(g, node, row, code)
        annotate_source(g, node, row)


def _students(g: Graph, students: Graph, table: Table, majors: set[str], problems: Problems) -> None:
    classes: dict[str, str | None] = {}
    for row, code in _unique(table, problems):
        node = iri("person", f"student-{code}")
        students.add((node, RDF.type, ZG.Student))
        students.add((node, ZG.subjectCode, Literal(code)))
        name = row.text("name")
        if name:
            students.add((node, FOAF.name, Literal(name)))
        major = row.text("major")
        if major:
            if major not in majors:
                problems.error(
                    f"专业代码「{major}」不是已知的专业",
                    f"major code '{major}' is not a known major",
                    row.loc("major"),
                )
                continue
            students.add((node, ZG.studentMajor, major_iri(major)))
            students.add((node, ZG.governedBy, major_iri(major)))
        cohort = row.text("cohort")
        if cohort:
            students.add((node, ZG.cohort, Literal(cohort)))
        klass = row.text("class")
        if klass:
            students.add((node, ZG.inClass, class_iri(klass)))
            students.add((node, ZG.governedBy, class_iri(klass)))
            if klass not in classes or classes[klass] is None:
                classes[klass] = major
        annotate_source(students, node, row)
    for klass, major in classes.items():
        node = class_iri(klass)
        g.add((node, RDF.type, ZG.Class))
        g.add((node, ZG.subjectCode, Literal(klass)))
        g.add((node, RDFS.label, Literal(klass, lang="zh")))
        if major:
            g.add((node, ZG.classOfMajor, major_iri(major)))
            g.add((node, ZG.governedBy, major_iri(major)))
