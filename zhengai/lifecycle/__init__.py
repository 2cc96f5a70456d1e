"""The improvement lifecycle of a gap: measures (改进措施), reviews (复核), history and state.

``measure`` and ``review`` check the rules (``permissions``), then append one PROV activity to the
graph ``actions/{period}`` (``actions``). ``history`` and ``statuses`` read the actions back and
derive where each gap stands (``state``) from them and from the stored runs.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlparse

from rdflib import URIRef

from zhengai import assignment, diagnosis, ownership, query_registry, reports
from zhengai.errors import DiagnosisError
from zhengai.store import GraphStore

from . import permissions
from .actions import MEASURE, REVIEW, Action, ActionIndex, GapKey, action_iri, read, record
from .permissions import Refused
from .state import STATES, Facts, Status, current_measure, derive, last_review

__all__ = [
    "STATES",
    "Action",
    "ActionIndex",
    "GapKey",
    "History",
    "Refused",
    "Status",
    "history",
    "measure",
    "review",
    "statuses",
]


@dataclass(frozen=True)
class Context:
    """What the data says about one gap id, for its state and for the rules."""

    key: GapKey
    run: URIRef
    row: reports.GapRow | None
    gap: URIRef | None  # the run's gap node
    owner: ownership.Owner | None
    chain: tuple[int, ...]  # the periods whose actions this gap carries, oldest first
    later: str | None  # the id of the same gap in a later period's run, where it carries on
    closed_later: bool  # a later period's data closed it
    later_started: dt.datetime | None = None  # when that later run was made


def _status_in(store: GraphStore, run: URIRef, key: GapKey) -> str | None:
    query = query_registry.get("gap_by_id")
    rows = store.select(query.text, query.bindings({"run": str(run), "id": key.id}))
    return str(rows[0]["status"]).rsplit("#", 1)[-1].lower() if rows else None


def _latest_runs(store: GraphStore) -> dict[int, URIRef]:
    return {period: info.graph for period, info in _latest_infos(store).items()}


def _latest_infos(store: GraphStore) -> dict[int, diagnosis.RunInfo]:
    latest: dict[int, diagnosis.RunInfo] = {}
    for info in diagnosis.runs(store):
        latest[info.period] = info
    return latest


def _chain(store: GraphStore, latest: dict[int, URIRef], key: GapKey, status: str | None) -> tuple[int, ...]:
    """The periods back from ``key.period`` over which the gap persisted without a break."""
    periods = [key.period]
    earlier = sorted((p for p in latest if p < key.period), reverse=True)
    for period in earlier:
        if status not in ("persisting", "closed"):
            break
        periods.append(period)
        status = _status_in(store, latest[period], key.in_period(period))
    return tuple(sorted(periods))


def context(store: GraphStore, gap_id: str, org: ownership.Organisation | None = None) -> Context:
    """What a measure or review of ``gap_id`` is checked against; ``org``: the organisation, when
    the caller has it read already (a server keeps it)."""
    key = GapKey.parse(gap_id)
    infos = _latest_infos(store)
    latest = {period: info.graph for period, info in infos.items()}
    run = latest.get(key.period)
    if run is None:
        raise DiagnosisError(
            f"{key.period} 学年还没有诊断：请先运行 zhengai diagnose --period {key.period}",
            f"{key.period} has not been diagnosed: run zhengai diagnose --period {key.period} first",
        )
    rows = reports.gap_rows(store, run, key.id)
    row = rows[0] if rows else None
    gap = None
    if row is not None:
        _, gap = ownership.find_gap(store, key.id, list(infos.values()))
    owner = None
    if row is not None and row.severity != "closed" and gap is not None:
        owner = assignment.owners(store, run, gap, org=org).get(gap)
    later, closed_later, later_started = None, False, None
    following = sorted(p for p in latest if p > key.period)
    if following and row is not None and row.severity != "closed":
        nxt = key.in_period(following[0])
        status = _status_in(store, latest[following[0]], nxt)
        if status == "closed":
            closed_later = True
        elif status == "persisting":
            later = nxt.id
        later_started = dt.datetime.fromisoformat(infos[following[0]].started)
    chain = _chain(store, latest, key, row.status if row else None)
    return Context(key, run, row, gap, owner, chain, later, closed_later, later_started)


def _facts(ctx: Context, at: dt.datetime | None = None) -> Facts:
    """What the data says; ``at``: as it stood then (a later run made after ``at`` did not exist yet)."""
    row = ctx.row
    later_known = at is None or ctx.later_started is None or ctx.later_started <= at
    return Facts(
        exists=row is not None and row.severity != "closed",
        closed_by_data=(ctx.closed_later and later_known) or (row is not None and row.severity == "closed"),
        owned=ctx.owner is not None and bool(ctx.owner.posts or ctx.owner.units),
        closable_by_review=row is not None and row.grade == "unmet",
        period=ctx.key.period,
        closed_record=row is not None and row.severity == "closed",
    )


def _chain_actions(store: GraphStore, ctx: Context, pending: list[Action] | None = None) -> list[Action]:
    """The gap's actions: stored, plus ``pending`` ones not written yet (a ledger being loaded)."""
    stored = read(store, ctx.key.indicator, ctx.key.subject)
    known = {a.iri for a in stored}
    extra = [
        a
        for a in pending or []
        if a.iri not in known and (a.gap.indicator, a.gap.subject) == (ctx.key.indicator, ctx.key.subject)
    ]
    return sorted(
        (a for a in [*stored, *extra] if a.gap.period in ctx.chain), key=lambda a: (a.at, str(a.iri))
    )


@dataclass(frozen=True)
class History:
    key: GapKey
    status: Status
    owner: ownership.Owner | None
    later: str | None

    def as_dict(self) -> dict[str, object]:
        s = self.status
        return {
            "gap": self.key.id,
            "state": s.state,
            "state_zh": s.zh,
            "state_en": s.en,
            "overdue": s.overdue,
            "due": s.measure.due.isoformat() if s.measure and s.measure.due else None,
            "carried_on_in": self.later,
            "actions": [{**a.as_dict(), "superseded": a.iri in s.superseded} for a in s.actions],
        }


def history(store: GraphStore, gap_id: str, today: dt.date | None = None) -> History:
    """Every action on a gap (including those it carries from earlier periods) and its state.
    A gap id that no run finds any more still shows its actions (resolved-by-data)."""
    key = GapKey.parse(gap_id)
    try:
        ctx = context(store, gap_id)
    except DiagnosisError:
        actions = [a for a in read(store, key.indicator, key.subject) if a.gap.period == key.period]
        if not actions:
            raise
        return History(key, derive(actions, Facts(False, False, False, False, key.period), today), None, None)
    actions = _chain_actions(store, ctx)
    if ctx.row is None and not actions:
        raise DiagnosisError(
            f"{key.period} 学年最近一次诊断中没有问题「{key.id}」，也没有它的处理记录",
            f"no gap '{key.id}' in the latest run of {key.period}, and no actions recorded on it",
        )
    return History(key, derive(actions, _facts(ctx), today), ctx.owner, ctx.later)


def _open_for(ctx: Context, status: Status, rule: str, at: dt.datetime) -> None:
    if ctx.later is not None and (ctx.later_started is None or ctx.later_started <= at):
        raise Refused("act-on-current-period", f"请在「{ctx.later}」上操作", f"act on '{ctx.later}'")
    if status.closed or ctx.row is None:
        raise Refused(rule, f"「{ctx.key.id}」的状态：{status.zh}", f"'{ctx.key.id}' is {status.en}")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def measure(
    store: GraphStore,
    gap_id: str,
    *,
    text: str,
    due: dt.date | str,
    by: str,
    evidence: tuple[str, ...] | list[str] = (),
    now: dt.datetime | None = None,
    pending: list[Action] | None = None,
    write: bool = True,
    org: ownership.Organisation | None = None,
) -> Action:
    """Record an improvement measure by the gap's owner. A measure still waiting for review is
    superseded by the new one (a correction); it stays in the history. ``now``: when it was made
    (a paper record entered later); ``pending``/``write``: a ledger checks its rows against the
    ones before it and writes them all at once."""
    at = _now(now)
    if isinstance(due, str):
        try:
            due = dt.date.fromisoformat(due.strip())
        except ValueError:
            raise Refused(
                "measure-text-and-due",
                f"完成期限应写作 YYYY-MM-DD：「{due}」",
                f"write the due date as YYYY-MM-DD: '{due}'",
            ) from None
    if not text.strip():
        raise Refused("measure-text-and-due", "内容为空", "the text is empty")
    if due < at.date():
        raise Refused(
            "measure-text-and-due",
            f"完成期限 {due} 早于记录日期 {at.date()}",
            f"the due date {due} is before the day it is recorded, {at.date()}",
        )
    for link in evidence:
        if urlparse(link).scheme not in ("http", "https") or not urlparse(link).netloc:
            raise Refused("evidence-is-a-link", f"「{link}」", f"'{link}'")
    org = org or ownership.organisation(store)
    ctx = context(store, gap_id, org)
    actions = _chain_actions(store, ctx, pending)
    status = derive(actions, _facts(ctx, at), at.date())
    _open_for(ctx, status, "measure-on-open-gap", at)
    actor = permissions.measure_actor(org, ctx.owner, by)
    waiting = status.measure if status.state == "measured" else None
    action = Action(
        iri=action_iri(MEASURE, ctx.key, at, by, text),
        kind=MEASURE,
        gap=ctx.key,
        at=at,
        actor=actor,
        text=text.strip(),
        due=due,
        evidence=tuple(evidence),
        supersedes=waiting.iri if waiting is not None else None,
    )
    if write:
        record(store, [action])
    return action


def review(
    store: GraphStore,
    gap_id: str,
    *,
    accept: bool,
    reason: str = "",
    by: str,
    quality_office: bool = False,
    now: dt.datetime | None = None,
    pending: list[Action] | None = None,
    write: bool = True,
    org: ownership.Organisation | None = None,
) -> Action:
    """Record a review of the gap's current measure: accepted, or rejected with a reason (which
    sends the gap back to its owner). A second review of the same measure supersedes the first."""
    at = _now(now)
    org = org or ownership.organisation(store)
    ctx = context(store, gap_id, org)
    actions = _chain_actions(store, ctx, pending)
    status = derive(actions, _facts(ctx, at), at.date())
    _open_for(ctx, status, "review-on-open-gap", at)
    measure_action = current_measure(actions)
    if measure_action is None or status.state == "assigned":
        raise Refused(
            "review-after-measure", f"「{ctx.key.id}」的状态：{status.zh}", f"'{ctx.key.id}' is {status.en}"
        )
    if not accept and not reason.strip():
        raise Refused("reject-with-reason")
    colleges = _colleges(store, ctx)
    actor = permissions.review_actor(org, ctx.owner, colleges, by, quality_office=quality_office)
    if measure_action.actor.staff_number == by:
        raise Refused(
            "review-not-own-measure",
            f"该改进措施由 {measure_action.actor.name}（{by}）本人记录",
            f"{measure_action.actor.name} ({by}) recorded that measure",
        )
    earlier = last_review(actions, measure_action)
    action = Action(
        iri=action_iri(REVIEW, ctx.key, at, by, reason),
        kind=REVIEW,
        gap=ctx.key,
        at=at,
        actor=actor,
        text=reason.strip(),
        verdict="accepted" if accept else "rejected",
        measure=measure_action.iri,
        supersedes=earlier.iri if earlier is not None else None,
    )
    if write:
        record(store, [action])
    return action


def reviewable_ids(store: GraphStore, run: URIRef, unit: str) -> set[str]:
    """The ids of the run's gaps the head of ``unit`` may review: as 审核人, the gaps whose
    subject the unit (a 二级学院) governs; as 监管人, the gaps it supervises (the same rules as
    ``permissions.review_actor``)."""
    query = query_registry.get("gaps_under_college")
    found = {
        str(r["id"]) for r in store.select(query.text, query.bindings({"run": str(run), "college": unit}))
    }
    return found | {o.id for o in assignment.owners(store, run).values() if unit in o.supervisors}


def _colleges(store: GraphStore, ctx: Context) -> list[URIRef]:
    subject = _subject_iri(store, ctx)
    if subject is None:
        return []
    query = query_registry.get("subject_colleges")
    return [r["college"] for r in store.select(query.text, query.bindings({"subject": str(subject)}))]  # type: ignore[misc]


def _subject_iri(store: GraphStore, ctx: Context) -> URIRef | None:
    if ctx.gap is None:
        return None
    query = query_registry.get("gap_context")
    rows = store.select(query.text, query.bindings({"run": str(ctx.run), "gap": str(ctx.gap)}))
    return rows[0]["subject"] if rows else None  # type: ignore[return-value]


def owned_ids(store: GraphStore, run: URIRef) -> set[str]:
    """The ids of the run's gaps whose owner names a unit or a post (one light query)."""
    if not assignment.has_assignments(store, run):  # a run stored before owners were data
        return {o.id for o in ownership.resolve(store, run).values() if o.posts or o.units}
    query = query_registry.get("owned_gap_lists")
    lists = store.select(query.text, query.bindings({"run": str(run)}))
    if lists:
        return {id_ for r in lists if r["owned"].toPython() for id_, _gap in json.loads(str(r["gaps"]))}  # type: ignore[union-attr]
    query = query_registry.get("owned_gaps")  # a run stored before answers listed their gaps
    return {str(r["id"]) for r in store.select(query.text, query.bindings({"run": str(run)}))}


def statuses(
    store: GraphStore,
    run: URIRef,
    rows: list[reports.GapRow],
    owned: Collection[str] | None = None,
    today: dt.date | None = None,
    index: ActionIndex | None = None,
) -> dict[str, Status]:
    """Gap id → status for the rows of one run (the latest of its period), reading every action once.
    ``owned``: the ids of the gaps with an owner, when the caller knows them (else asked);
    ``index``: every action, when the caller has read them since the last measure or review."""
    owned = owned_ids(store, run) if owned is None else owned
    index = ActionIndex.of(store) if index is None else index
    latest = _latest_runs(store)
    period_of_run = next((p for p, g in latest.items() if g == run), None)
    following = sorted(p for p in latest if period_of_run is not None and p > period_of_run)
    out: dict[str, Status] = {}
    for row in rows:
        key = GapKey.parse(row.id)
        recorded = index.get(key.indicator, key.subject)
        closed_later = False
        if recorded and following and row.severity != "closed":
            closed_later = _status_in(store, latest[following[0]], key.in_period(following[0])) == "closed"
        facts = Facts(
            exists=row.severity != "closed",
            closed_by_data=closed_later or row.severity == "closed",
            owned=row.id in owned,
            closable_by_review=row.grade == "unmet",
            period=key.period,
            closed_record=row.severity == "closed",
        )
        chain = _chain(store, latest, key, row.status) if recorded else (key.period,)
        out[row.id] = derive([a for a in recorded if a.gap.period in chain], facts, today)
    return out
