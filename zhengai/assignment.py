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

import copy
import datetime as dt
import hashlib
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


def answer_text(owner: ownership.Owner) -> str:
    """The stored answer of ``owner``: its record without the gap's id, so that every gap with
    the same owners shares one answer (the owner depends on indicator, subject and the units
    governing it: a large run has tens of thousands of gaps and a few hundred answers)."""
    record = owner.to_record()
    del record["id"]
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def answer_node(run: URIRef, text: str) -> URIRef:
    """A shared answer's IRI in ``run``, named by its content."""
    return URIRef(f"{run}/assignment/{hashlib.sha256(text.encode('utf-8')).hexdigest()[:24]}")


def gap_list(gaps: Mapping[Node, ownership.Owner]) -> str:
    """The gaps that share one answer, as stored beside it: ``[[id, gap IRI], …]`` by id."""
    return json.dumps(sorted([o.id, str(g)] for g, o in gaps.items()), ensure_ascii=False)


def triples(run: URIRef, owners: Mapping[Node, ownership.Owner]) -> Iterator[Triple]:
    """The assignments of the gaps in ``owners``: each gap points at its answer; each distinct
    answer is written once, with what the "what do I own" queries match on and the list of the
    gaps that share it (so those queries read a few answers, not every gap)."""
    for node, (text, shared) in _shared_answers(run, owners).items():
        for gap in shared:
            yield gap, ZG.assignment, node
        yield from _answer_triples(node, next(iter(shared.values())), text)
        yield node, ZG.gapList, Literal(gap_list(shared), datatype=RDF.JSON)


def _shared_answers(
    run: URIRef, owners: Mapping[Node, ownership.Owner]
) -> dict[URIRef, tuple[str, dict[Node, ownership.Owner]]]:
    """Answer node → (its text, the gaps that share it)."""
    out: dict[URIRef, tuple[str, dict[Node, ownership.Owner]]] = {}
    for gap, owner in owners.items():
        text = answer_text(owner)
        node = answer_node(run, text)
        out.setdefault(node, (text, {}))[1][gap] = owner
    return out


def _answer_triples(node: URIRef, owner: ownership.Owner, text: str) -> Iterator[Triple]:
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
    yield node, ZG.ownerAnswer, Literal(text, datatype=RDF.JSON)


class _Answers:
    """Reads stored answers, parsing each distinct one once."""

    def __init__(self) -> None:
        self._parsed: dict[str, ownership.Owner] = {}

    def owner(self, gap: URIRef, id_: str, text: str) -> ownership.Owner:
        base = self._parsed.get(text)
        if base is None:
            record = json.loads(text)
            base = self._parsed[text] = ownership.Owner.from_record(gap, {"id": id_, **record})
        owner = copy.copy(base)  # shares the answer's lists: readers do not change them
        owner.gap, owner.id = gap, id_
        return owner


class SharedOwners(Mapping[str, ownership.Owner]):
    """Gap id → owner, where many gaps share one answer: each gap's ``Owner`` is made when it is
    asked for, so reading what a unit owns allocates a few hundred answers, not one per gap."""

    def __init__(self, entries: dict[str, tuple[str, ownership.Owner]]) -> None:
        self._entries = entries  # id → (gap IRI, the shared answer)
        self._made: dict[str, ownership.Owner] = {}

    def __getitem__(self, id_: str) -> ownership.Owner:
        owner = self._made.get(id_)
        if owner is None:
            gap, base = self._entries[id_]
            owner = copy.copy(base)  # shares the answer's lists: readers do not change them
            owner.gap, owner.id = URIRef(gap), id_
            self._made[id_] = owner
        return owner

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, id_: object) -> bool:
        return id_ in self._entries


def has_assignments(store: GraphStore, run: URIRef) -> bool:
    query = query_registry.get("run_has_assignments")
    return bool(store.select(query.text, query.bindings({"run": str(run)})))


def stored(store: GraphStore, run: URIRef, gap: URIRef | None = None) -> dict[Node, ownership.Owner]:
    """The stored owner of ``gap`` (or of every assigned gap of ``run``)."""
    return {gap: owner for gap, (_node, _text, owner) in _stored(store, run, gap).items()}


def _stored(
    store: GraphStore, run: URIRef, gap: URIRef | None = None
) -> dict[Node, tuple[URIRef, str, ownership.Owner]]:
    """Gap → (its answer node, the answer's stored text, the owner)."""
    query = query_registry.get("assignments")
    bindings: dict[str, Node] = {"run": run} if gap is None else {"run": run, "gap": gap}
    answers = _Answers()
    return {
        r["gap"]: (r["a"], str(r["answer"]), answers.owner(r["gap"], str(r["id"]), str(r["answer"])))  # type: ignore[arg-type,misc]
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
) -> SharedOwners | None:
    """Gap id → owner of the open gaps a post, person (工号, also acting) or unit owns, from the
    stored assignments (one small query); None when the run has none (the caller resolves)."""
    if not has_assignments(store, run):
        return None
    name, value = (
        ("post", post) if post is not None else ("person", person) if person is not None else ("unit", unit)
    )
    query = query_registry.get(f"assigned_to_{name}")
    rows = store.select(query.text, query.bindings({"run": str(run), name: str(value)}))
    entries: dict[str, tuple[str, ownership.Owner]] = {}
    for r in rows:
        gaps = _gaps_sharing(store, run, r)
        if gaps:
            id_, gap = gaps[0]
            base = ownership.Owner.from_record(URIRef(gap), {"id": id_, **json.loads(str(r["answer"]))})
            entries.update((i, (g, base)) for i, g in gaps)
    return SharedOwners(entries)


def _gaps_sharing(store: GraphStore, run: URIRef, row: Mapping[str, Node]) -> list[tuple[str, str]]:
    """(id, gap IRI) of the gaps that share the answer of ``row``: its stored list, else (a run
    stored before answers were shared) the gaps that point at it."""
    if "gaps" in row:
        return [(id_, gap) for id_, gap in json.loads(str(row["gaps"]))]
    query = query_registry.get("answer_gaps")
    return [(str(r["id"]), str(r["gap"])) for r in store.select(query.text, {"run": run, "a": row["a"]})]


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
        before = _stored(store, run)
        after = {gap: (answer_text(o), o) for gap, o in ownership.resolve_run(store, run).items()}
        remove, add = Graph(), Graph()
        for gap in sorted(set(before) | set(after), key=str):
            (old_node, old_text, old), (new_text, new) = (
                before.get(gap, (None, None, None)),
                after.get(gap, (None, None)),
            )
            if (
                old is not None
                and new is not None
                and (old_text == new_text or old.as_dict() == new.as_dict())
            ):
                continue
            if old_node is not None:
                remove.add((gap, ZG.assignment, old_node))
            if new is not None:
                add.add((gap, ZG.assignment, answer_node(run, new_text)))  # type: ignore[arg-type]
            if old is not None:
                changes.append(Change(run, gap, old.id, old, new))  # type: ignore[arg-type]
                add += _change_record(gap, old, new, now, cause)
        if not remove and not add:
            continue
        _rewrite_answers(store, run, before, after, remove, add)
        store.change_graph(run, remove, add)
    return changes


def _rewrite_answers(
    store: GraphStore,
    run: URIRef,
    before: Mapping[Node, tuple[URIRef, str, ownership.Owner]],
    after: Mapping[Node, tuple[str, ownership.Owner]],
    remove: Graph,
    add: Graph,
) -> None:
    """The shared answers after some gaps moved: those no gap points at any more go, new ones
    come, and every list of the gaps sharing an answer is rewritten."""
    old_answers = {node: (text, owner) for node, text, owner in before.values()}
    new_answers = _shared_answers(run, {gap: owner for gap, (_text, owner) in after.items()})
    for node in old_answers.keys() - new_answers.keys():
        text, owner = old_answers[node]
        for triple in _answer_triples(node, owner, text):
            remove.add(triple)
    for node in new_answers.keys() - old_answers.keys():
        text, shared = new_answers[node]
        for triple in _answer_triples(node, next(iter(shared.values())), text):
            add.add(triple)
    query = query_registry.get("answer_gap_lists")
    lists = {r["a"]: r["gaps"] for r in store.select(query.text, query.bindings({"run": str(run)}))}
    for node, listed in lists.items():
        remove.add((node, ZG.gapList, listed))
    for node, (_text, shared) in new_answers.items():
        add.add((node, ZG.gapList, Literal(gap_list(shared), datatype=RDF.JSON)))


def move(
    store: GraphStore,
    run: URIRef,
    owners: Mapping[URIRef, ownership.Owner | None],
    left: Mapping[URIRef, URIRef],
) -> tuple[Graph, Graph]:
    """What to remove and add so that the gaps in ``owners`` point at their new answers (None: no
    owner) and the gaps in ``left`` (gap → the answer it pointed at, its own triples already gone)
    are off their old answers' lists; only those answers are read and rewritten."""
    remove, add = Graph(), Graph()
    joining: dict[URIRef, tuple[str, ownership.Owner, list[tuple[URIRef, str]]]] = {}
    for gap, owner in owners.items():
        if owner is None:
            continue
        text = answer_text(owner)
        node = answer_node(run, text)
        add.add((gap, ZG.assignment, node))
        joining.setdefault(node, (text, owner, []))[2].append((gap, owner.id))
    query = query_registry.get("answer_of")
    for node in {*left.values(), *joining}:
        triples = [(node, r["p"], r["o"]) for r in store.select(query.text, {"run": run, "a": node})]
        listed = next((o for _, p, o in triples if p == ZG.gapList), None)
        gaps = {str(g): i for i, g in json.loads(str(listed))} if listed is not None else {}
        for gap, old in left.items():
            if old == node:
                gaps.pop(str(gap), None)
        text, owner, arriving = joining.get(node, ("", None, []))
        for gap, gap_id in arriving:
            gaps[str(gap)] = gap_id
        if not gaps:  # nobody points at it any more
            for triple in triples:
                remove.add(triple)
            continue
        if not triples:  # a new answer
            for triple in _answer_triples(node, owner, text):  # type: ignore[arg-type]
                add.add(triple)
        elif listed is not None:
            remove.add((node, ZG.gapList, listed))
        add.add(
            (
                node,
                ZG.gapList,
                Literal(
                    json.dumps(sorted([i, g] for g, i in gaps.items()), ensure_ascii=False), datatype=RDF.JSON
                ),
            )
        )
    return remove, add


def _change_record(
    gap: URIRef, old: ownership.Owner, new: ownership.Owner | None, now: dt.datetime, cause: URIRef | None
) -> Graph:
    g = Graph()
    record = URIRef(f"{gap}/reassignment/{now.strftime('%Y%m%dT%H%M%S%fZ')}")
    g.add((record, RDF.type, ZG.Reassignment))
    g.add((record, ZG.reassignedGap, gap))
    g.add((record, PROV.atTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
    g.add(
        (
            record,
            ZG.previousAnswer,
            Literal(json.dumps(old.to_record(), ensure_ascii=False), datatype=RDF.JSON),
        )
    )
    if new is not None:
        g.add(
            (
                record,
                ZG.ownerAnswer,
                Literal(json.dumps(new.to_record(), ensure_ascii=False), datatype=RDF.JSON),
            )
        )
    g.add((record, RDFS.comment, Literal(f"{_summary(old)} → {_summary(new)}", lang="zh")))
    if cause is not None:
        g.add((record, PROV.wasInformedBy, cause))
    return g


def reassignments(store: GraphStore, gap: URIRef) -> list[dict[str, str]]:
    """The recorded changes of a gap's owner, oldest first."""
    query = query_registry.get("reassignments")
    return [
        {k: str(v) for k, v in r.items()} for r in store.select(query.text, query.bindings({"gap": str(gap)}))
    ]
