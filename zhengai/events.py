"""Events: every change of a gap's state between runs, kept in order so a reader can resume.

A push whose re-check changes a gap (``zhengai.live``) writes one ``zg:GapEvent`` per change, in
the graph ``events``, in the same write as the gap's new owner: a sequence number (``zg:eventSeq``,
what ``Last-Event-ID`` resumes from), the time, and the whole event as rdf:JSON — gap id, kind
(new, worsened, improved, changed, resolved), severity before → after, value, zh/en message, and
the owner: units, posts, holders and the escalation chain. Readers filter by role: the quality
office sees every event; a unit head the ones its unit owns; a teacher the ones they hold; a gap
about one teacher or student only reaches the roles that may see it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal
from rdflib.namespace import RDF, XSD

from zhengai import ownership, query_registry
from zhengai.namespaces import ZG, graph, iri
from zhengai.store import GraphStore

EVENTS_GRAPH = graph("events")


@dataclass(frozen=True)
class Event:
    seq: int
    at: str
    gap: str
    kind: str
    before: str | None
    after: str | None
    value: str
    message_zh: str
    message_en: str
    personal: bool
    owner: dict[str, object] | None  # units, posts, holders, escalation (ownership.Owner.as_dict)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    def visible_to(self, role: str, unit: str | None, person: str | None, sees_people: bool) -> bool:
        """Whether a caller of this role (and unit or 工号) may receive the event."""
        if self.personal and not sees_people:
            return False
        if role in ("quality_office", "auditor"):
            return True
        owner = self.owner or {}
        if role == "unit_head":
            return unit in owner.get("units", []) or any(
                p.get("unit") == unit for p in owner.get("posts", [])
            )  # type: ignore[union-attr]
        if role == "teacher":
            return any(
                person in {h["staff_number"] for h in (*p.get("holders", []), *p.get("acting", []))}  # type: ignore[union-attr]
                for p in owner.get("posts", [])  # type: ignore[union-attr]
            )
        return False


def next_seq(store: GraphStore) -> int:
    rows = store.select(query_registry.get("event_last").text)
    return int(str(rows[0]["last"])) + 1 if rows and "last" in rows[0] else 1


def triples(
    store: GraphStore,
    changes: Iterable[object],
    owners: dict[str, ownership.Owner | None],
    personal: set[str],
    now: dt.datetime | None = None,
) -> Graph:
    """The events of ``changes`` (``zhengai.live.Change``), numbered after the last one stored."""
    g = Graph()
    seq = next_seq(store)
    at = (now or dt.datetime.now(dt.UTC)).isoformat()
    for change in changes:
        owner = owners.get(change.id)  # type: ignore[attr-defined]
        event = Event(
            seq=seq,
            at=at,
            gap=change.id,  # type: ignore[attr-defined]
            kind=change.kind,  # type: ignore[attr-defined]
            before=change.before,  # type: ignore[attr-defined]
            after=change.after,  # type: ignore[attr-defined]
            value=change.value,  # type: ignore[attr-defined]
            message_zh=change.message_zh,  # type: ignore[attr-defined]
            message_en=change.message_en,  # type: ignore[attr-defined]
            personal=change.id in personal,  # type: ignore[attr-defined]
            owner=owner.as_dict() if owner is not None else None,
        )
        node = iri("event", seq)
        g.add((node, RDF.type, ZG.GapEvent))
        g.add((node, ZG.eventSeq, Literal(seq)))
        g.add((node, ZG.eventAt, Literal(at, datatype=XSD.dateTime)))
        g.add((node, ZG.eventOf, Literal(change.id)))  # type: ignore[attr-defined]
        g.add(
            (node, ZG.eventBody, Literal(json.dumps(event.as_dict(), ensure_ascii=False), datatype=RDF.JSON))
        )
        seq += 1
    return g


def since(store: GraphStore, seq: int = 0, limit: int = 1000) -> list[Event]:
    """The events after ``seq``, oldest first (at most ``limit``)."""
    query = query_registry.get("events_since")
    rows = store.select(query.text, query.bindings({"after": str(seq)}))
    return [Event(**json.loads(str(r["body"]))) for r in rows[:limit]]
