"""Which gaps a caller may see, and the owners a listing of them needs.

A caller sees all gaps (quality office, auditor) or, as unit head or teacher, the ones they own,
and a unit head also the ones it may review; a gap about one teacher or student is personal data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping

from rdflib import URIRef

from zhengai import lifecycle, ownership, reports

from .roles import Principal
from .service import Service


def visible(
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


def reviewable(svc: Service, who: Principal, run: URIRef) -> set[str]:
    """The gaps of ``run`` a unit head may review (empty for every other role)."""
    return svc.reviewable(run, who.unit) if who.role == "unit_head" and who.unit else set()


def owners_for(
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


def gap_item(
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
