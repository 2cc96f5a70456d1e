"""``/gaps`` and ``/owners/…/gaps``: the gaps a caller may see, one gap with its owner, and what
a post, person or unit owns. Lists are filtered to what the role may see before they are
paginated, so totals never count what the caller cannot read."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from zhengai import diagnosis, lifecycle, ownership, reports
from zhengai.errors import DiagnosisError

from ..models import ERRORS, NOT_FOUND, GapDetail, GapPage
from ..paging import Cursor, Limit, page
from ..roles import AccessError
from ..service import PrincipalDep, ServiceDep
from ..visibility import gap_item, owners_for, reviewable, visible

router = APIRouter()

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


@router.get("/gaps", tags=["gaps"], response_model=GapPage, responses={**ERRORS, **NOT_FOUND})
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
    may_review = reviewable(svc, who, run.graph) if review else set()
    if review:
        rows = [
            r for r in rows if r.severity != "closed" and (who.role == "quality_office" or r.id in may_review)
        ]
    resolved = owners_for(svc, who, run.graph, unit, owners or review)
    chosen = [
        r for r in rows
        if (level is None or r.level == level) and (system is None or r.system == system)
        and (severity is None or r.severity == severity) and (status is None or r.status == status)
        and (indicator is None or r.indicator == indicator)
        and (unit is None or ownership.owns(resolved.get(r.id), unit=unit))
        and visible(who, r, resolved.get(r.id), may_review)
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
        states = lifecycle.statuses(
            svc.store, run.graph, shown, svc.owned_ids(run.graph), index=svc.actions()
        )
    result["items"] = [gap_item(r, resolved.get(r.id), states.get(r.id)) for r in result["items"]]  # type: ignore[union-attr]
    return {**result, "run": str(run.graph).rsplit("/", 1)[-1]}


@router.get("/gaps/{gap_id:path}", tags=["gaps"], response_model=GapDetail, responses={**ERRORS, **NOT_FOUND})
def gap(svc: ServiceDep, who: PrincipalDep, gap_id: str) -> dict[str, object]:
    """One gap (id ``period/indicator/subject``, e.g. ``2025/ZY-1.1.1-02/510202``) with its full owner."""
    who.require("gaps")
    run_graph, gap_iri = svc.find_gap(gap_id)
    row = svc.gap_row(run_graph, gap_id)
    if row is None:
        raise DiagnosisError(f"没有问题「{gap_id}」", f"no gap '{gap_id}'")
    owner = svc.owner(run_graph, gap_iri) if row.severity != "closed" else None
    if not (visible(who, row, owner) or visible(who, row, owner, reviewable(svc, who, run_graph))):
        raise AccessError("无权查看此问题", "you may not see this gap")
    parts = diagnosis.gap_parts(svc.store, gap_iri)  # a warning rule's gaps: the same subject's
    return {**dataclasses.asdict(row), "owner": owner.as_dict() if owner else None, "parts": parts}


@router.get(
    "/owners/{kind}/{code}/gaps", tags=["gaps"], response_model=GapPage, responses={**ERRORS, **NOT_FOUND}
)
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
        gap_item(r, resolved.get(r.id))
        for r in svc.gap_rows(run.graph)
        if r.severity != "closed" and r.id in resolved and visible(who, r, resolved.get(r.id))
    ]
    return {**page(chosen, limit, cursor), "run": str(run.graph).rsplit("/", 1)[-1]}
