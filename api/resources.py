"""The REST resources: loads, graphs, diagnoses, gaps with owners, audit and look-ups.

Each handler asks the caller's role first (``Principal.require``); lists are filtered to what the
role may see before they are paginated, so totals never count what the caller cannot read.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field
from rdflib import URIRef
from zhengai.loaders.subjects import STUDENTS_GRAPH, SUBJECTS_GRAPH, TEACHERS_GRAPH

from zhengai import (
    __version__,
    criteria_report,
    diagnosis,
    lifecycle,
    ownership,
    query_registry,
    reports,
    write_log,
)
from zhengai.errors import DiagnosisError
from zhengai.loading import load_file
from zhengai.namespaces import GRAPH_BASE, ZG
from zhengai.views import render_term

from . import uploads
from .roles import AccessError, Principal
from .service import PrincipalDep, Service, ServiceDep

router = APIRouter()

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]
Cursor = Annotated[
    int, Query(ge=0, description="Where the page starts: the next_cursor of the previous page.")
]
Severity = Literal["red", "yellow", "missing", "closed"]
Status = Literal["new", "persisting", "closed"]
Level = Literal["学校", "专业", "课程", "教师", "学生"]
LifecycleState = Literal[
    "new",
    "assigned",
    "measured",
    "rejected",
    "accepted",
    "closed-by-review",
    "closed-by-data",
    "resolved-by-data",
]
SUBJECT_CLASSES = {
    "学校": (ZG.School, SUBJECTS_GRAPH),
    "专业": (ZG.Major, SUBJECTS_GRAPH),
    "课程": (ZG.Course, SUBJECTS_GRAPH),
    "班级": (ZG.Class, SUBJECTS_GRAPH),
    "教师": (ZG.Teacher, TEACHERS_GRAPH),
    "学生": (ZG.Student, STUDENTS_GRAPH),
}


def page(items: list[object], limit: int, cursor: int) -> dict[str, object]:
    following = cursor + limit if cursor + limit < len(items) else None
    return {"items": items[cursor : cursor + limit], "total": len(items), "next_cursor": following}


def _rows(
    svc: Service, name: str, bindings: dict[str, str] | None = None, *, short: bool = True
) -> list[dict[str, str]]:
    """A named query's rows as text; IRIs shortened by known prefixes unless ``short`` is off."""
    query = query_registry.get(name)
    rows = svc.store.select(query.text, query.bindings(bindings) if bindings else None)
    return [{k: render_term(v) if short else str(v) for k, v in r.items()} for r in rows]


# -- health and identity ----------------------------------------------------------------------------


@router.get("/healthz", tags=["service"])
def healthz(svc: ServiceDep) -> dict[str, object]:
    """Liveness: the version and the number of quads in the store (its write log left out)."""
    return {
        "status": "ok",
        "version": __version__,
        "quads": svc.store.quad_count() - write_log.size(svc.store),
    }


@router.get("/whoami", tags=["service"])
def whoami(who: PrincipalDep) -> dict[str, object]:
    """The caller's role and scope, as the token says."""
    return {"role": who.role, "name": who.name, "unit": who.unit, "person": who.person}


# -- look-ups -----------------------------------------------------------------------------------------


@router.get("/indicators", tags=["look-ups"])
def indicators(
    svc: ServiceDep, who: PrincipalDep, limit: Limit = 100, cursor: Cursor = 0
) -> dict[str, object]:
    """The monitoring indicators, by code, with level, system, criterion and data source."""
    who.require("catalogue")
    return page(svc.cached(("indicators",), lambda: _rows(svc, "indicators")), limit, cursor)


@router.get("/criteria", tags=["look-ups"])
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


@router.get("/units", tags=["look-ups"])
def units(svc: ServiceDep, who: PrincipalDep, limit: Limit = 100, cursor: Cursor = 0) -> dict[str, object]:
    """The organisation's units: name, type, parent unit and head post."""
    who.require("units")
    return page(svc.cached(("units",), lambda: _rows(svc, "units")), limit, cursor)


@router.get("/posts", tags=["look-ups"])
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


@router.get("/subjects", tags=["look-ups"])
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
        ("subjects", level), lambda: _rows(svc, "subjects_in_graph", {"graph": str(graph), "class": str(cls)})
    )
    items = [
        {"code": r["code"], "label": r.get("label"), "governed_by": r.get("governedBy") or None} for r in rows
    ]
    return page(items, limit, cursor)


# -- loads and graphs ---------------------------------------------------------------------------------


@router.post("/loads", tags=["loads"], status_code=201)
def load(
    svc: ServiceDep,
    who: PrincipalDep,
    file: Annotated[
        UploadFile,
        File(description="A workbook (.xlsx, .csv) or an RDF file (.ttl, .nt, .nq, .trig, .jsonld)."),
    ],
    kind: Annotated[
        Literal[
            "matrix", "catalogue", "subjects", "org", "observations", "targets", "rules", "actions", "rdf"
        ]
        | None,
        Form(description="What the file holds; detected when left out."),
    ] = None,
    period: Annotated[
        int | None, Form(ge=2000, le=2100, description="Academic year, for files without a 学年 column.")
    ] = None,
) -> dict[str, object]:
    """Load one file. Its graphs are replaced in one transaction, or — on any error — nothing changes."""
    who.require("write")
    name = uploads.safe_name(file.filename)
    with tempfile.TemporaryDirectory(prefix="zhengai-upload-") as folder:
        path = uploads.save(file.file, name, Path(folder), svc.settings.upload)
        uploads.check(path, kind, svc.settings.upload)
        with svc.write_lock:
            try:
                report = load_file(svc.store, path, kind, period)
            finally:
                svc.written()
    provenance = {r["graph"]: r for r in _rows(svc, "graph_provenance", short=False)}
    return {
        "file": report.file,
        "kind": report.kind,
        "rows": report.rows,
        "seconds": round(report.seconds, 3),
        "graphs": [
            {"graph": str(g), "triples": n, "provenance": provenance.get(str(g))}
            for g, n in report.graphs.items()
        ],
        "findings": [p.as_dict() for p in report.findings],
    }


@router.get("/graphs", tags=["loads"])
def graphs(svc: ServiceDep, who: PrincipalDep) -> dict[str, object]:
    """Every named graph with its size and the PROV of the load that wrote it."""
    who.require("graphs")
    provenance = {r["graph"]: r for r in _rows(svc, "graph_provenance", short=False)}
    items = []
    for r in _rows(svc, "graph_sizes", short=False):
        prov = provenance.get(r["graph"])
        items.append(
            {
                "graph": r["graph"],
                "name": r["graph"].removeprefix(GRAPH_BASE),
                "triples": int(r["triples"]),
                "provenance": {k: v for k, v in prov.items() if k != "graph"} if prov else None,
            }
        )
    return {"items": items}


# -- diagnoses ----------------------------------------------------------------------------------------


class DiagnosisRequest(BaseModel):
    period: int = Field(ge=2000, le=2100, description="The academic year to diagnose, e.g. 2025.")
    level: Level | None = Field(default=None, description="Only this level.")
    engine: Literal["fast", "pyshacl"] = "fast"


def _summary(svc: Service, run: diagnosis.RunInfo) -> dict[str, object]:
    rows = svc.gap_rows(run.graph)
    counts = reports.totals([r for r in rows if r.severity != "closed"])
    return {
        "id": str(run.graph).rsplit("/", 1)[-1],
        "period": run.period,
        "started": run.started,
        "engine": run.engine,
        "totals": {k: counts[k] for k in ("red", "yellow", "missing")},
        "closed": sum(1 for r in rows if r.severity == "closed"),
        "summary": reports.summary(rows),
    }


@router.post("/diagnoses", tags=["diagnoses"], status_code=201)
def diagnose(svc: ServiceDep, who: PrincipalDep, body: DiagnosisRequest) -> dict[str, object]:
    """Diagnose a period against the standards; the run is stored and compared with the year before."""
    who.require("write")
    with svc.write_lock:
        try:
            run = diagnosis.diagnose(svc.store, body.period, level=body.level, engine=body.engine)
        finally:
            svc.written()
    info = next(r for r in svc.runs() if r.graph == run.graph)
    return {
        **_summary(svc, info),
        "findings": [p.as_dict() for p in run.findings],
        "silent_levels": [p.as_dict() for p in run.silent],
        "not_due": run.not_due,
    }


@router.get("/diagnoses", tags=["diagnoses"])
def diagnoses(svc: ServiceDep, who: PrincipalDep) -> dict[str, object]:
    """Every stored diagnosis run, oldest first."""
    who.require("aggregates")
    return {
        "items": [
            {
                "id": str(r.graph).rsplit("/", 1)[-1],
                "period": r.period,
                "started": r.started,
                "engine": r.engine,
            }
            for r in svc.runs()
        ]
    }


@router.get("/diagnoses/{run_id}", tags=["diagnoses"])
def diagnosis_summary(svc: ServiceDep, who: PrincipalDep, run_id: str) -> dict[str, object]:
    """One run: its period and the gap counts by level × vertical system (aggregates only)."""
    who.require("aggregates")
    matching = [r for r in svc.runs() if str(r.graph).endswith(f"/{run_id}")]
    if not matching:
        raise DiagnosisError(f"没有诊断运行「{run_id}」", f"no diagnosis run '{run_id}'")
    return _summary(svc, matching[0])


# -- gaps and owners ----------------------------------------------------------------------------------


def _visible(
    who: Principal, row: reports.GapRow, owner: ownership.Owner | None, reviewable: Collection[str] = ()
) -> bool:
    """Whether the caller may see this gap: all of them, or (unit head, teacher) the ones they own,
    and a unit head the ones it may review (``reviewable``: 审核人 or 监管人). A gap about one
    teacher or student (its row says so) is personal data."""
    if row.personal and not who.sees_people:
        return False
    if who.sees_all_gaps:
        return True
    if who.role == "unit_head":
        return ownership.owns(owner, unit=who.unit) or row.id in reviewable
    if who.role == "teacher":
        return row.subject == who.person or ownership.owns(owner, person=who.person)
    return False


def _reviewable(svc: Service, who: Principal, run: URIRef) -> set[str]:
    """The gaps of ``run`` a unit head may review (empty for every other role)."""
    return svc.reviewable(run, who.unit) if who.role == "unit_head" and who.unit else set()


def _owners_for(
    svc: Service, who: Principal, run: URIRef, unit: str | None, everyone: bool
) -> Mapping[str, ownership.Owner]:
    """The owners a listing needs: every gap's when asked for, else only those of the gaps the
    unit filter or the caller's scope can show (one small query on the stored assignments)."""
    if everyone:
        return svc.owners(run)
    if who.role == "unit_head":
        mine = svc.owned(run, unit=who.unit)
        return mine if unit is None else {i: o for i, o in mine.items() if ownership.owns(o, unit=unit)}
    if who.role == "teacher":
        mine = svc.owned(run, person=who.person)
        return mine if unit is None else {i: o for i, o in mine.items() if ownership.owns(o, unit=unit)}
    return svc.owned(run, unit=unit) if unit is not None else {}


def _gap_item(
    row: reports.GapRow, owner: ownership.Owner | None, status: lifecycle.Status | None = None
) -> dict[str, object]:
    brief = None
    if owner is not None:
        brief = {
            "rule": owner.rule,
            "units": [name for _, name in owner.units],
            "posts": [o.post.code for o in owner.posts],
        }
    item = {**dataclasses.asdict(row), "owner": brief, "href": f"/gaps/{row.id}"}
    if status is not None:
        item |= {"state": status.state, "overdue": status.overdue, "history": f"/gaps/{row.id}/history"}
    return item


@router.get("/gaps", tags=["gaps"])
def gaps(
    svc: ServiceDep,
    who: PrincipalDep,
    period: Annotated[int | None, Query(description="Academic year; default the latest diagnosed.")] = None,
    level: Level | None = None,
    system: Annotated[
        str | None, Query(description="决策指挥, 质量生成, 资源建设, 支持服务 or 监督控制.")
    ] = None,
    unit: Annotated[str | None, Query(description="Only gaps this unit owns (its name).")] = None,
    severity: Severity | None = None,
    status: Status | None = None,
    indicator: Annotated[str | None, Query(description="An indicator code.")] = None,
    state: Annotated[
        LifecycleState | None, Query(description="Lifecycle state (improvement measures and reviews).")
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="Only gaps whose measure is past due (or not).")
    ] = None,
    owners: Annotated[bool, Query(description="Resolve each gap's owner (slower on a large run).")] = False,
    review: Annotated[
        bool,
        Query(
            description="Only the gaps the caller may review (复核): a unit head's as 审核人 (its 二级学院's "
            "subjects) or 监管人 (the gaps it supervises); the quality office's, every gap. "
            "With state=measured: the measures waiting for the caller's review."
        ),
    ] = False,
    limit: Limit = 100,
    cursor: Cursor = 0,
) -> dict[str, object]:
    """The gaps of the latest run of a period that the caller may see, filtered and paginated."""
    who.require("gaps")
    run = svc.run_for(period)
    rows = svc.gap_rows(run.graph)
    reviewable = _reviewable(svc, who, run.graph) if review else set()
    if review:
        rows = [
            r for r in rows if r.severity != "closed" and (who.role == "quality_office" or r.id in reviewable)
        ]
    resolved = _owners_for(svc, who, run.graph, unit, owners or review)
    chosen = [
        r for r in rows
        if (level is None or r.level == level) and (system is None or r.system == system)
        and (severity is None or r.severity == severity) and (status is None or r.status == status)
        and (indicator is None or r.indicator == indicator)
        and (unit is None or ownership.owns(resolved.get(r.id), unit=unit))
        and _visible(who, r, resolved.get(r.id), reviewable)
    ]  # fmt: skip
    if state is not None or overdue is not None:
        states = svc.states(run.graph)
        chosen = [
            r
            for r in chosen
            if (state is None or states[r.id].state == state)
            and (overdue is None or states[r.id].overdue == overdue)
        ]
    result = page(chosen, limit, cursor)
    if state is None and overdue is None:  # only the page's gaps need a state
        shown: list[reports.GapRow] = result["items"]  # type: ignore[assignment]
        states = lifecycle.statuses(svc.store, run.graph, shown, svc.owned_ids(run.graph))
    result["items"] = [_gap_item(r, resolved.get(r.id), states.get(r.id)) for r in result["items"]]  # type: ignore[union-attr]
    return {**result, "run": str(run.graph).rsplit("/", 1)[-1]}


@router.get("/gaps/{gap_id:path}", tags=["gaps"])
def gap(svc: ServiceDep, who: PrincipalDep, gap_id: str) -> dict[str, object]:
    """One gap (id ``period/indicator/subject``, e.g. ``2025/ZY-1.1.1-02/510202``) with its full owner."""
    who.require("gaps")
    run_graph, gap_iri = svc.find_gap(gap_id)
    row = svc.gap_row(run_graph, gap_id)
    if row is None:
        raise DiagnosisError(f"没有问题「{gap_id}」", f"no gap '{gap_id}'")
    owner = svc.owner(run_graph, gap_iri) if row.severity != "closed" else None
    if not (_visible(who, row, owner) or _visible(who, row, owner, _reviewable(svc, who, run_graph))):
        raise AccessError("无权查看此问题", "you may not see this gap")
    parts = diagnosis.gap_parts(svc.store, gap_iri)  # a warning rule's gaps: the same subject's
    return {**dataclasses.asdict(row), "owner": owner.as_dict() if owner else None, "parts": parts}


@router.get("/owners/{kind}/{code}/gaps", tags=["gaps"])
def owned(
    svc: ServiceDep,
    who: PrincipalDep,
    kind: Literal["post", "person", "unit"],
    code: str,
    period: Annotated[int | None, Query(description="Academic year; default the latest diagnosed.")] = None,
    limit: Limit = 100,
    cursor: Cursor = 0,
) -> dict[str, object]:
    """What do I own: the open gaps a post (岗位识别编码), person (工号) or unit (name) owns."""
    who.require("gaps")
    if who.role == "teacher" and (kind, code) != ("person", who.person):
        raise AccessError("教师只能查看自己负责的问题", "a teacher may only ask for their own gaps")
    if who.role == "unit_head":
        org = svc.organisation()
        in_unit = kind == "post" and any(
            p.code == code and p.unit_name == who.unit for p in org.posts.values()
        )
        if not (in_unit or (kind, code) == ("unit", who.unit)):
            raise AccessError(
                "部门负责人只能查看本部门的问题", "a unit head may only ask for their own unit's gaps"
            )
    run = svc.run_for(period)
    resolved = svc.owned(run.graph, **{kind: code})
    chosen = [
        _gap_item(r, resolved.get(r.id))
        for r in svc.gap_rows(run.graph)
        if r.severity != "closed" and r.id in resolved and _visible(who, r, resolved.get(r.id))
    ]
    return {**page(chosen, limit, cursor), "run": str(run.graph).rsplit("/", 1)[-1]}


# -- audit ---------------------------------------------------------------------------------------------


@router.get("/audit", tags=["audit"])
def audit(svc: ServiceDep, who: PrincipalDep) -> dict[str, object]:
    """The structural audit: SHACL and graph checks of the catalogue and the organisation."""
    who.require("audit")
    report = svc.audit_report()
    return {"summary": report.summary(), "findings": [f.as_dict() for f in report.findings]}
