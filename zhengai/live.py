"""The live state of a diagnosed period: a pushed value is re-checked on its own, between runs.

After a push, each subject it touched is validated again — the same generated shapes of the
period's latest run and the same fast-path query (``diagnosis_results.rq``), restricted to that
subject's due items — and the run is brought up to date: a new gap is written and assigned to its
owner at once, a changed one is replaced (worsened or improved), and a gap that now meets its
standard leaves the run, so its lifecycle state becomes ``resolved-by-data`` with its history kept.
The run's stored rows and shared answers follow.

Left to the next ``diagnose`` of the period: warning rules over several indicators or years, and
the spiral's closed rows for the previous period's gaps.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.term import Node

from zhengai import assignment, diagnosis, events, ownership, query_registry, reports
from zhengai.namespaces import SH, ZG, iri
from zhengai.standards import compile_period
from zhengai.store import GraphStore


@dataclass(frozen=True)
class Change:
    """One gap whose state a push changed: severity before and after (None: no gap). Its kind:
    new, resolved, worsened, improved, or changed (the same severity, another value or grade)."""

    id: str
    before: str | None
    after: str | None
    value: str
    message_zh: str
    message_en: str

    @property
    def kind(self) -> str:
        if self.before is None:
            return "new"
        if self.after is None:
            return "resolved"
        order = {"missing": 1, "yellow": 2, "red": 3}
        before, after = order.get(self.before, 0), order.get(self.after, 0)
        return "worsened" if after > before else "improved" if after < before else "changed"

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "kind": self.kind}


def recheck(store: GraphStore, period: int, subjects: Iterable[URIRef]) -> list[Change]:
    """Re-check ``subjects`` in ``period``'s latest run and store what changed (see the module)."""
    info = diagnosis.latest_run(store, period)
    if info is None:
        return []
    run_id = str(info.graph).rsplit("/", 1)[-1]
    shapes = URIRef(f"{info.graph}/shapes")
    compiled = compile_period(store, period)
    previous = diagnosis.previous_run(store, period)
    prior = (
        {
            (g.indicator, g.subject): g
            for g in diagnosis.stored_gaps(store, previous.graph)
            if g.status != "closed"
        }
        if previous is not None
        else {}
    )
    remove, add = Graph(), Graph()
    new_gaps: list[diagnosis.Gap] = []
    gone: set[str] = set()
    before_rows = {r.id: r for r in reports.gap_rows(store, info.graph)}
    changes: list[Change] = []
    query = query_registry.get("subject_gaps")
    report = iri("run", run_id, "report")
    for subject in sorted(set(subjects), key=str):
        results = diagnosis.validate_fast(store, period, shapes, subject)
        fresh = {g.id: g for g in diagnosis._gaps(results, compiled, run_id, None)}
        for gap in fresh.values():
            earlier = prior.get((gap.indicator, gap.subject))
            if earlier is not None:
                diagnosis.persists(gap, earlier)
        stored: dict[str, list[tuple[Node, Node, Node]]] = {}
        for r in store.select(query.text, {"run": info.graph, "subject": subject}):
            stored.setdefault(str(r["id"]), []).append((r["gap"], r["p"], r["o"]))
        for gap_id in sorted(set(stored) | set(fresh)):
            old_row, gap = before_rows.get(gap_id), fresh.get(gap_id)
            if old_row is not None and old_row.severity == "closed":
                if gap is None:
                    continue  # closed in this run, and still met
                old_row = None  # reopened: the closed gap's node and row give way to the open one
            new_row = reports.rows_of([gap], {}, ())[0] if gap is not None else None
            if old_row is not None and new_row is not None and _same(old_row, new_row):
                continue
            for triple in stored.get(gap_id, []):
                remove.add(triple)
            if gap_id in stored:
                remove.add((report, SH.result, stored[gap_id][0][0]))
                gone.add(gap_id)
            if gap is not None:
                new_gaps.append(gap)
            changes.append(
                Change(
                    gap_id,
                    old_row.severity if old_row is not None else None,
                    new_row.severity if new_row is not None else None,
                    new_row.value if new_row is not None else "",
                    gap.message_zh if gap is not None else f"{gap_id} 已达标 / now meets its standard",
                    gap.message_en if gap is not None else f"{gap_id} now meets its standard",
                )
            )
    if not changes:
        return []
    run = diagnosis.Run(
        id=run_id, iri=info.iri, graph=info.graph, shapes_graph=shapes, period=period, engine=info.engine,
        started=dt.datetime.now(dt.UTC), ended=dt.datetime.now(dt.UTC),
        level=None, gaps=new_gaps,
    )  # fmt: skip
    for triple in diagnosis.gap_triples(run):
        add.add(triple)
    store.change_graph(info.graph, remove, add)  # the gaps first, then who owns them
    left = {s: o for s, p, o in remove if p == ZG.assignment}
    _assign(store, info.graph, left, gone, before_rows, new_gaps, changes)
    return changes


def _same(a: reports.GapRow, b: reports.GapRow) -> bool:
    keys = ("severity", "grade", "value", "threshold", "status", "trend", "suggested_target", "message_zh")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def _assign(
    store: GraphStore,
    run: URIRef,
    left: dict[Node, Node],
    gone: set[str],
    before_rows: dict[str, reports.GapRow],
    new_gaps: list[diagnosis.Gap],
    changes: list[Change],
) -> None:
    """Owners for the gaps just written (the rule queries, per gap), the shared answers they leave
    and join, the run's stored rows and the events of ``changes``: one more write."""
    owners = {g.iri: ownership.resolve(store, run, g.iri).get(g.iri) for g in new_gaps}
    remove, add = assignment.move(store, run, owners, left)  # type: ignore[arg-type]
    rows = [r for i, r in before_rows.items() if i not in gone]
    personal = {g.subject for g in new_gaps if reports.is_personal(store, g.subject)}
    rows += reports.rows_of(new_gaps, reports.indicator_labels(store), personal)
    report = next(iter(store.select(query_registry.get("run_gap_rows").text, {"run": run})), None)
    report_node = iri("run", str(run).rsplit("/", 1)[-1], "report")
    if report is not None:
        remove.add((report_node, ZG.gapRows, report["rows"]))
    add.add((report_node, ZG.gapRows, reports.rows_literal_of(rows)))
    by_id = {g.id: owners.get(g.iri) for g in new_gaps}
    for change in changes:  # a resolved gap's event names the owner it had
        if change.id not in by_id and change.id in before_rows:
            by_id[change.id] = _stored_owner(store, run, left, change.id)
    personal_ids = {r.id for r in rows if r.personal} | {i for i, r in before_rows.items() if r.personal}
    happened = events.triples(store, changes, by_id, personal_ids)
    store.change_graphs({run: (remove, add), events.EVENTS_GRAPH: (Graph(), happened)})


def _stored_owner(
    store: GraphStore, run: URIRef, left: dict[Node, Node], gap_id: str
) -> ownership.Owner | None:
    """The owner a gap that just left the run had: its old shared answer."""
    _period, code, subject = gap_id.split("/", 2)
    gap = iri("gap", str(run).rsplit("/", 1)[-1], code, subject)
    node = left.get(gap)
    if node is None:
        return None
    for r in store.select(query_registry.get("answer_of").text, {"run": run, "a": node}):
        if r["p"] == ZG.ownerAnswer:
            return ownership.Owner.from_record(gap, {"id": gap_id, **json.loads(str(r["o"]))})
    return None
