"""The look-ups: indicators, how their criteria were read, units, posts and subjects."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from zhengai.loaders.subjects import STUDENTS_GRAPH, SUBJECTS_GRAPH, TEACHERS_GRAPH

from zhengai import criteria_report
from zhengai.namespaces import ZG

from ..models import ERRORS, CriterionPage, IndicatorPage, PostPage, SubjectPage, UnitPage
from ..paging import Cursor, Limit, page, query_rows
from ..service import PrincipalDep, ServiceDep

router = APIRouter()

SUBJECT_CLASSES = {
    "学校": (ZG.School, SUBJECTS_GRAPH),
    "专业": (ZG.Major, SUBJECTS_GRAPH),
    "课程": (ZG.Course, SUBJECTS_GRAPH),
    "班级": (ZG.Class, SUBJECTS_GRAPH),
    "教师": (ZG.Teacher, TEACHERS_GRAPH),
    "学生": (ZG.Student, STUDENTS_GRAPH),
}


@router.get("/indicators", tags=["look-ups"], response_model=IndicatorPage, responses=ERRORS)
def indicators(
    svc: ServiceDep, who: PrincipalDep, limit: Limit = 100, cursor: Cursor = 0
) -> dict[str, object]:
    """The monitoring indicators, by code, with level, system, criterion and data source."""
    who.require("catalogue")
    return page(svc.cached(("indicators",), lambda: query_rows(svc, "indicators")), limit, cursor)


@router.get("/criteria", tags=["look-ups"], response_model=CriterionPage, responses=ERRORS)
def criteria(
    svc: ServiceDep,
    who: PrincipalDep,
    level: Annotated[
        str | None, Query(description="Only this level: 学校, 专业, 课程, 教师 or 学生.")
    ] = None,
    checkable: Annotated[
        bool | None, Query(description="Only the rows that are (or are not) machine-checkable.")
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = 0,
) -> dict[str, object]:
    """How each catalogue row's 诊断标准 was read (zh/en), or why it is not machine-checkable, with a hint."""
    who.require("catalogue")
    rows = svc.cached(("criteria",), lambda: [r.as_dict() for r in criteria_report.readings(svc.store)])
    chosen = [
        r
        for r in rows
        if (level is None or r["level"] == level) and (checkable is None or r["checkable"] == checkable)
    ]
    result = page(chosen, limit, cursor)
    ok = sum(bool(r["checkable"]) for r in rows)
    return {**result, "checkable": ok, "of": len(rows)}


@router.get("/units", tags=["look-ups"], response_model=UnitPage, responses=ERRORS)
def units(svc: ServiceDep, who: PrincipalDep, limit: Limit = 100, cursor: Cursor = 0) -> dict[str, object]:
    """The organisation's units: name, type, parent unit and head post."""
    who.require("units")
    return page(svc.cached(("units",), lambda: query_rows(svc, "units")), limit, cursor)


@router.get("/posts", tags=["look-ups"], response_model=PostPage, responses=ERRORS)
def posts(
    svc: ServiceDep,
    who: PrincipalDep,
    unit: Annotated[str | None, Query(description="Only the posts of this unit (its name).")] = None,
    limit: Limit = 100,
    cursor: Cursor = 0,
) -> dict[str, object]:
    """Posts (岗位) with unit, holders, the post they report to and whether they are vacant."""
    who.require("posts")
    org = svc.organisation()
    items = [
        {
            "code": p.code,
            "name": p.name,
            "unit": p.unit_name,
            "holders": [{"staff_number": n, "name": m} for n, m in p.holders],
            "vacant": not p.holders,
            "reports_to": org.posts[p.boss].code if p.boss in org.posts else None,
            "valid_until": p.until,
        }
        for p in sorted(org.posts.values(), key=lambda p: p.code)
        if unit is None or p.unit_name == unit
    ]
    return page(items, limit, cursor)


@router.get("/subjects", tags=["look-ups"], response_model=SubjectPage, responses=ERRORS)
def subjects(
    svc: ServiceDep,
    who: PrincipalDep,
    level: Annotated[
        Literal["学校", "专业", "课程", "班级", "教师", "学生"], Query(description="Which kind of subject.")
    ] = "专业",
    limit: Limit = 100,
    cursor: Cursor = 0,
) -> dict[str, object]:
    """Subjects of diagnosis by kind. Teachers and students are personal data: quality office only."""
    who.require("subjects")
    cls, graph = SUBJECT_CLASSES[level]
    if graph != SUBJECTS_GRAPH:
        who.require("personal")
    rows = svc.cached(
        ("subjects", level),
        lambda: query_rows(svc, "subjects_in_graph", {"graph": str(graph), "class": str(cls)}),
    )
    items = [
        {"code": r["code"], "label": r.get("label"), "governed_by": r.get("governedBy") or None} for r in rows
    ]
    return page(items, limit, cursor)
