"""The improvement lifecycle over REST: measures, reviews and the history of one gap.

The person acting is the token's 工号 (``person`` in the token file). A quality-office token
without one names the person in ``by`` (entering a paper record); the same rules then apply to
that person. The rules themselves are ``zhengai.lifecycle.permissions``: a refusal is a 403 (who
may not) or a 409 (where the gap stands), naming its rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from zhengai import lifecycle

from ..models import CONFLICT, ERRORS, NOT_FOUND, ActionRecorded, GapHistory
from ..roles import AccessError, Principal
from ..service import PrincipalDep, Service, ServiceDep
from ..visibility import reviewable, visible

router = APIRouter()

Period = Annotated[int, Path(ge=2000, le=2100, description="Academic year, e.g. 2025.")]
Indicator = Annotated[str, Path(description="Indicator code, e.g. ZY-1.1.1-02.")]
Subject = Annotated[str, Path(description="Subject code, e.g. 510202.")]


class MeasureRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000, description="The improvement measure (改进措施).")
    due: dt.date = Field(description="When it is due, YYYY-MM-DD.")
    evidence: list[str] = Field(default_factory=list, max_length=20, description="Links to evidence.")
    by: str | None = Field(default=None, description="工号; only for a quality-office token without one.")


class ReviewRequest(BaseModel):
    accept: bool = Field(description="true accepts the current measure; false rejects it (give a reason).")
    reason: str = Field(default="", max_length=4000, description="Why; required for a rejection.")
    by: str | None = Field(default=None, description="工号; only for a quality-office token without one.")


def _actor(who: Principal, by: str | None) -> str:
    who.require("act")
    if who.person and by not in (None, who.person):
        raise AccessError(
            f"令牌属于 {who.person}，不能以 {by} 的名义操作",
            f"the token is {who.person}'s; it cannot act as {by}",
        )
    person = who.person or (by if who.role == "quality_office" else None)
    if not person:
        raise AccessError(
            "记录改进措施或复核需要令牌带有工号（person）",
            "recording a measure or a review needs a token with a 工号 (person)",
        )
    return person


def _check_visible(svc: Service, who: Principal, gap_id: str) -> None:
    """A caller sees the history of a gap they may see (its owner, or who reviews it, or all)."""
    if who.sees_all_gaps:
        return
    run_graph, gap_iri = svc.find_gap(gap_id)
    row = svc.gap_row(run_graph, gap_id)
    owner = svc.owner(run_graph, gap_iri) if row is not None and row.severity != "closed" else None
    if row is None or not (
        visible(who, row, owner) or visible(who, row, owner, reviewable(svc, who, run_graph))
    ):
        raise AccessError("无权查看此问题", "you may not see this gap")


def _record(svc: Service, gap_id: str, act: Callable[[str], lifecycle.Action]) -> dict[str, object]:
    """Take one action under the write lock; answer with it and the gap's history."""
    with svc.write_lock:
        try:
            action = act(gap_id)
        finally:
            svc.written("lifecycle")
    return {"action": action.as_dict(), "history": lifecycle.history(svc.store, gap_id).as_dict()}


@router.post(
    "/gaps/{period}/{indicator}/{subject}/measures",
    tags=["lifecycle"],
    status_code=201,
    response_model=ActionRecorded,
    responses={**ERRORS, **NOT_FOUND, **CONFLICT},
)
def record_measure(
    svc: ServiceDep,
    who: PrincipalDep,
    period: Period,
    indicator: Indicator,
    subject: Subject,
    body: MeasureRequest,
) -> dict[str, object]:
    """Record an improvement measure (改进措施). Only the gap's owner may."""
    person = _actor(who, body.by)
    return _record(
        svc,
        f"{period}/{indicator}/{subject}",
        lambda gap_id: lifecycle.measure(
            svc.store,
            gap_id,
            text=body.text,
            due=body.due,
            by=person,
            evidence=body.evidence,
            org=svc.organisation(),
        ),
    )


@router.post(
    "/gaps/{period}/{indicator}/{subject}/reviews",
    tags=["lifecycle"],
    status_code=201,
    response_model=ActionRecorded,
    responses={**ERRORS, **NOT_FOUND, **CONFLICT},
)
def record_review(
    svc: ServiceDep,
    who: PrincipalDep,
    period: Period,
    indicator: Indicator,
    subject: Subject,
    body: ReviewRequest,
) -> dict[str, object]:
    """Review (复核) the gap's current measure: the 审核人, a 监管人 or the quality office may; never one's own."""
    person = _actor(who, body.by)
    return _record(
        svc,
        f"{period}/{indicator}/{subject}",
        lambda gap_id: lifecycle.review(
            svc.store,
            gap_id,
            accept=body.accept,
            reason=body.reason,
            by=person,
            quality_office=who.role == "quality_office",
            org=svc.organisation(),
        ),
    )


@router.get(
    "/gaps/{period}/{indicator}/{subject}/history",
    tags=["lifecycle"],
    response_model=GapHistory,
    responses={**ERRORS, **NOT_FOUND},
)
def gap_history(
    svc: ServiceDep, who: PrincipalDep, period: Period, indicator: Indicator, subject: Subject
) -> dict[str, object]:
    """A gap's state and every measure and review on it, with those carried from earlier periods."""
    who.require("gaps")
    gap_id = f"{period}/{indicator}/{subject}"
    found = lifecycle.history(svc.store, gap_id)
    if found.status.state != "resolved-by-data":
        _check_visible(svc, who, gap_id)
    elif not who.sees_all_gaps:
        raise AccessError("无权查看此问题", "you may not see this gap")
    return found.as_dict()
