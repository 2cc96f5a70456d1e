"""Owners as data: every open gap of a run is assigned when the run is stored.

The diagnosis writes a run's gaps, resolves their owners with the rule queries
(``zhengai.ownership``), and then writes, beside each open gap, a ``zg:Assignment``: the rule that
fired, the owning units and posts, the staff numbers of the holders and acting holders (so "what
do I own" is one small SPARQL query), and the whole answer — units, posts, holders, facts,
supervisors, data provider, escalation chain — as one ``rdf:JSON`` literal. The run's record
comes last, so a run is never seen without its assignments.

Readers (``owner``, ``owners``, ``mine``, ``gaps --unit``, the audit, the API's role scoping) take
these stored answers; runs written before assignments were stored are resolved on the fly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD
from rdflib.term import Node

from zhengai import ownership, query_registry
from zhengai.namespaces import RDFS, ZG
from zhengai.store import GraphStore

Triple = tuple[Node, Node, Node]


def triples(owners: Mapping[Node, ownership.Owner]) -> Iterator[Triple]:
    """The assignment of every gap in ``owners``."""
    for gap, owner in owners.items():
        node = URIRef(f"{gap}/assignment")
        yield gap, ZG.assignment, node
        yield node, RDF.type, ZG.Assignment
        yield node, ZG.ownerRule, Literal(owner.rule)
        for unit, name in owner.units:
            yield node, ZG.owningUnit, unit
            yield node, ZG.owningUnitName, Literal(name)
        for o in owner.posts:
            yield node, ZG.owningPost, o.post.iri
            yield node, ZG.owningPostCode, Literal(o.post.code)
            if o.post.unit_name:
                yield node, ZG.owningUnitName, Literal(o.post.unit_name)
            for number, _ in (*o.post.holders, *o.acting):
                yield node, ZG.ownerStaffNumber, Literal(number)
            if o.acting_post is not None:
                yield node, ZG.owningPostCode, Literal(o.acting_post.code)
        yield (
            node,
            ZG.ownerAnswer,
            Literal(json.dumps(owner.to_record(), ensure_ascii=False), datatype=RDF.JSON),
        )


def has_assignments(store: GraphStore, run: URIRef) -> bool:
    query = query_registry.get("run_has_assignments")
    return bool(store.select(query.text, query.bindings({"run": str(run)})))


def stored(store: GraphStore, run: URIRef, gap: URIRef | None = None) -> dict[Node, ownership.Owner]:
    """The stored owner of ``gap`` (or of every assigned gap of ``run``)."""
    query = query_registry.get("assignments")
    bindings: dict[str, Node] = {"run": run} if gap is None else {"run": run, "gap": gap}
    return {
        r["gap"]: ownership.Owner.from_record(r["gap"], json.loads(str(r["answer"])))  # type: ignore[arg-type]
        for r in store.select(query.text, bindings)
    }


def owners(
    store: GraphStore, run: URIRef, gap: URIRef | None = None, **kw: object
) -> dict[Node, ownership.Owner]:
    """Who owns the gaps of ``run``: the stored assignments, else (an older run) resolved now."""
    if has_assignments(store, run):
        return stored(store, run, gap)
    return ownership.resolve(store, run, gap, **kw)  # type: ignore[arg-type]


def owned(
    store: GraphStore,
    run: URIRef,
    *,
    post: str | None = None,
    person: str | None = None,
    unit: str | None = None,
) -> dict[str, ownership.Owner] | None:
    """Gap id → owner of the open gaps a post, person (工号, also acting) or unit owns, from the
    stored assignments (one small query); None when the run has none (the caller resolves)."""
    if not has_assignments(store, run):
        return None
    name, value = (
        ("post", post) if post is not None else ("person", person) if person is not None else ("unit", unit)
    )
    query = query_registry.get(f"assigned_to_{name}")
    rows = store.select(query.text, query.bindings({"run": str(run), name: str(value)}))
    return {
        str(r["id"]): ownership.Owner.from_record(r["gap"], json.loads(str(r["answer"])))  # type: ignore[arg-type]
        for r in rows
    }


# -- reassignment after a reload of what ownership depends on -------------------------------------

REASSIGNING_KINDS = ("org", "subjects", "catalogue", "matrix", "rules")


@dataclass(frozen=True)
class Change:
    run: URIRef
    gap: URIRef
    id: str
    before: ownership.Owner
    after: ownership.Owner | None


def _summary(owner: ownership.Owner | None) -> str:
    if owner is None:
        return "—"
    posts = "、".join(o.post.code for o in owner.posts) or "、".join(name for _, name in owner.units)
    return f"规则 {owner.rule}：{posts}"


def reassign(store: GraphStore, cause: URIRef | None = None) -> list[Change]:
    """Re-resolve the open gaps of each period's latest run; where an owner changed, replace the
    assignment and record the change (old owner, new owner, when, which load caused it)."""
    from zhengai.diagnosis import runs as stored_runs

    latest: dict[int, URIRef] = {}
    for info in stored_runs(store):
        latest[info.period] = info.graph
    changes: list[Change] = []
    now = dt.datetime.now(dt.UTC)
    for run in latest.values():
        if not has_assignments(store, run):
            continue
        before = stored(store, run)
        after = ownership.resolve_run(store, run)
        remove, add = Graph(), Graph()
        for gap in sorted(set(before) | set(after), key=str):
            old, new = before.get(gap), after.get(gap)
            if old is not None and new is not None and old.as_dict() == new.as_dict():
                continue
            if old is not None:
                for triple in triples({gap: old}):
                    remove.add(triple)
            if new is not None:
                for triple in triples({gap: new}):
                    add.add(triple)
            if old is not None:
                changes.append(Change(run, gap, old.id, old, new))  # type: ignore[arg-type]
                record = URIRef(f"{gap}/reassignment/{now.strftime('%Y%m%dT%H%M%S%fZ')}")
                add.add((record, RDF.type, ZG.Reassignment))
                add.add((record, ZG.reassignedGap, gap))
                add.add((record, PROV.atTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
                add.add(
                    (
                        record,
                        ZG.previousAnswer,
                        Literal(json.dumps(old.to_record(), ensure_ascii=False), datatype=RDF.JSON),
                    )
                )
                if new is not None:
                    add.add(
                        (
                            record,
                            ZG.ownerAnswer,
                            Literal(json.dumps(new.to_record(), ensure_ascii=False), datatype=RDF.JSON),
                        )
                    )
                add.add((record, RDFS.comment, Literal(f"{_summary(old)} → {_summary(new)}", lang="zh")))
                if cause is not None:
                    add.add((record, PROV.wasInformedBy, cause))
        store.change_graph(run, remove, add)
    return changes


def reassignments(store: GraphStore, gap: URIRef) -> list[dict[str, str]]:
    """The recorded changes of a gap's owner, oldest first."""
    query = query_registry.get("reassignments")
    return [
        {k: str(v) for k, v in r.items()} for r in store.select(query.text, query.bindings({"gap": str(gap)}))
    ]
