"""Where a gap stands in its lifecycle, derived from the data and the recorded actions — never stored.

new → assigned → measured (改进措施) → reviewed (复核): rejected goes back to the owner, accepted
waits for the next period's data, or closes at once when no data can close the gap (a 有/无 or
evidence standard: the evidence is now there). The next period's data closes a gap by itself
(closed-by-data); a re-run of the same period that no longer finds it leaves its actions with the
state resolved-by-data.

A gap that persists into the next period carries its actions with it: the owner's pending
measure, or a rejection, still stands. A measure accepted in an earlier period that the new data
still shows as a gap did not close it, so the gap is assigned again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rdflib import URIRef

from .actions import MEASURE, REVIEW, Action

STATES: dict[str, tuple[str, str]] = {
    "new": ("新发现，尚无责任人", "new: found, no owner yet"),
    "assigned": ("已分派，待记录改进措施", "assigned: waiting for an improvement measure"),
    "measured": ("已记录改进措施，待复核", "measure recorded: waiting for review"),
    "rejected": ("复核退回，待重新记录改进措施", "rejected: back to the owner for a new measure"),
    "accepted": ("复核通过，待下一期数据验证", "accepted: the next period's data will tell"),
    "closed-by-review": ("复核通过，已关闭", "closed by an accepted review"),
    "closed-by-data": ("下一期数据显示已关闭", "closed by the next period's data"),
    "resolved-by-data": ("重新诊断后不再是问题", "resolved: a re-run no longer finds it"),
}
CLOSED_STATES = frozenset({"closed-by-review", "closed-by-data", "resolved-by-data"})
OVERDUE_STATES = frozenset({"measured"})  # a measure waiting for review past its due date


@dataclass(frozen=True)
class Facts:
    """What the data says about one gap, beside its actions."""

    exists: bool  # an open gap in the latest run of its period
    closed_by_data: bool  # the next period's data (or this run's closed record) shows it closed
    owned: bool  # its stored assignment names an owner
    closable_by_review: bool  # a 有/无 or evidence standard: no later data is needed to close it
    period: int
    closed_record: bool = False  # the run holds this id as the closure of an earlier period's gap


@dataclass(frozen=True)
class Status:
    state: str
    overdue: bool
    measure: Action | None = None  # the current measure
    review: Action | None = None  # the latest review of the current measure
    actions: tuple[Action, ...] = field(default_factory=tuple)  # the whole history, superseded ones included

    @property
    def zh(self) -> str:
        return STATES[self.state][0]

    @property
    def en(self) -> str:
        return STATES[self.state][1]

    @property
    def superseded(self) -> set[URIRef]:
        return superseded(self.actions)

    @property
    def closed(self) -> bool:
        return self.state in CLOSED_STATES


def superseded(actions: list[Action] | tuple[Action, ...]) -> set[URIRef]:
    """The actions a later action supersedes (a correction)."""
    return {a.supersedes for a in actions if a.supersedes is not None}


def live(actions: list[Action] | tuple[Action, ...]) -> list[Action]:
    """The actions no later action supersedes."""
    replaced = superseded(actions)
    return [a for a in actions if a.iri not in replaced]


def current_measure(actions: list[Action] | tuple[Action, ...]) -> Action | None:
    measures = [a for a in live(actions) if a.kind == MEASURE]
    return measures[-1] if measures else None


def last_review(actions: list[Action] | tuple[Action, ...], measure: Action | None) -> Action | None:
    if measure is None:
        return None
    reviews = [a for a in live(actions) if a.kind == REVIEW and a.measure == measure.iri]
    return reviews[-1] if reviews else None


def derive(actions: list[Action], facts: Facts, today: dt.date | None = None) -> Status:
    """The state of a gap from its actions (oldest first) and what the data says."""
    today = today or dt.date.today()
    measure = current_measure(actions)
    review = last_review(actions, measure)
    own = any(a.gap.period == facts.period for a in actions)
    if facts.closed_by_data and not (facts.closed_record and own):
        state = "closed-by-data"
    elif not facts.exists:  # found by a run of its period, then no longer: actions were taken on it
        state = "resolved-by-data"
    elif measure is None:
        state = "assigned" if facts.owned else "new"
    elif review is None:
        state = "measured"
    elif review.verdict == "rejected":
        state = "rejected"
    elif facts.closable_by_review:
        state = "closed-by-review"
    elif measure.gap.period < facts.period:
        state = "assigned"  # accepted earlier, yet this period's data still shows the gap
    else:
        state = "accepted"
    overdue = bool(
        state in OVERDUE_STATES and measure is not None and measure.due is not None and measure.due < today
    )
    return Status(state, overdue, measure, review, tuple(actions))
