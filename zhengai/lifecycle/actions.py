"""Lifecycle actions as data: improvement measures (改进措施) and reviews (复核).

Each action is a PROV activity in the graph ``actions/{period}``, about the gap's stable identity
(period, indicator, subject), never about one run's gap node: re-diagnosing a period replaces the
run but keeps every action. Actions are only ever added; a correction is a new action with
``zg:supersedes`` pointing at the one it replaces, and both stay in the history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, XSD
from rdflib.term import Node

from zhengai import query_registry
from zhengai.namespaces import ZG, graph, iri
from zhengai.store import GraphStore

MEASURE, REVIEW = "measure", "review"
KINDS = {ZG.ImprovementMeasure: MEASURE, ZG.Review: REVIEW}
VERDICTS = {"accepted": ZG.Accepted, "rejected": ZG.Rejected}
KIND_ZH = {MEASURE: "改进措施", REVIEW: "复核"}
VERDICT_ZH = {"accepted": "通过", "rejected": "退回"}


@dataclass(frozen=True)
class GapKey:
    """A gap's stable identity: period, indicator code, subject code (``2025/ZY-1.1.1-02/510202``)."""

    period: int
    indicator: str
    subject: str

    @property
    def id(self) -> str:
        return f"{self.period}/{self.indicator}/{self.subject}"

    @property
    def iri(self) -> URIRef:
        return iri("gap-identity", self.period, self.indicator, self.subject)

    def in_period(self, period: int) -> GapKey:
        return GapKey(period, self.indicator, self.subject)

    @classmethod
    def parse(cls, gap_id: str) -> GapKey:
        from zhengai.errors import DiagnosisError

        period, _, rest = gap_id.strip().partition("/")
        indicator, _, subject = rest.partition("/")
        if not (period.isdigit() and indicator and subject):
            raise DiagnosisError(
                f"问题编号应写作 学年/指标编码/对象编码，如 2025/ZY-1.1.1-02/510202：「{gap_id}」",
                f"a gap id reads period/indicator/subject, e.g. 2025/ZY-1.1.1-02/510202: '{gap_id}'",
            )
        return cls(int(period), indicator, subject)


@dataclass(frozen=True)
class Actor:
    """Who takes an action: the person, the post they act in, and in what capacity."""

    staff_number: str
    name: str
    post: str | None
    capacity: str  # holder, acting, unit-head, college-reviewer, supervisor, quality-office


@dataclass(frozen=True)
class Action:
    iri: URIRef
    kind: str  # measure or review
    gap: GapKey
    at: dt.datetime
    actor: Actor
    text: str = ""
    due: dt.date | None = None
    evidence: tuple[str, ...] = ()
    verdict: str | None = None  # review: accepted or rejected
    measure: URIRef | None = None  # review: the measure it is about
    supersedes: URIRef | None = None

    @property
    def short(self) -> str:
        return str(self.iri).rsplit("/", 1)[-1]

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.short,
            "kind": self.kind,
            "kind_zh": KIND_ZH[self.kind],
            "gap": self.gap.id,
            "at": self.at.isoformat(),
            "by": {"staff_number": self.actor.staff_number, "name": self.actor.name,
                   "post": self.actor.post, "capacity": self.actor.capacity},
            "text": self.text,
            "due": self.due.isoformat() if self.due else None,
            "evidence": list(self.evidence),
            "verdict": self.verdict,
            "measure": str(self.measure).rsplit("/", 1)[-1] if self.measure else None,
            "supersedes": str(self.supersedes).rsplit("/", 1)[-1] if self.supersedes else None,
        }  # fmt: skip


def actions_graph(period: int) -> URIRef:
    return graph(f"actions/{period}")


def action_iri(kind: str, key: GapKey, at: dt.datetime, by: str, text: str) -> URIRef:
    """Deterministic: the same action recorded twice (e.g. a ledger loaded again) is one action."""
    digest = hashlib.sha256(f"{kind}|{key.id}|{at.isoformat()}|{by}|{text}".encode()).hexdigest()[:16]
    return iri("action", key.period, key.indicator, key.subject, f"{kind}-{digest}")


def triples(action: Action) -> Graph:
    g = Graph()
    node, key = action.iri, action.gap
    g.add((key.iri, RDF.type, ZG.GapIdentity))
    g.add((key.iri, DCTERMS.identifier, Literal(key.id)))
    g.add((key.iri, ZG.academicYear, Literal(key.period)))
    g.add((key.iri, ZG.indicatorCode, Literal(key.indicator)))
    g.add((key.iri, ZG.subjectCode, Literal(key.subject)))
    g.add((node, RDF.type, ZG.ImprovementMeasure if action.kind == MEASURE else ZG.Review))
    g.add((node, RDF.type, PROV.Activity))
    g.add((node, ZG.forGap, key.iri))
    g.add((node, PROV.endedAtTime, Literal(action.at.isoformat(), datatype=XSD.dateTime)))
    g.add((node, PROV.wasAssociatedWith, iri("person", action.actor.staff_number)))
    g.add((node, ZG.actorStaffNumber, Literal(action.actor.staff_number)))
    if action.actor.name:
        g.add((node, ZG.actorName, Literal(action.actor.name)))
    if action.actor.post:
        g.add((node, ZG.actorPostCode, Literal(action.actor.post)))
    g.add((node, ZG.actorCapacity, Literal(action.actor.capacity)))
    if action.text:
        g.add((node, ZG.actionText, Literal(action.text)))
    if action.due:
        g.add((node, ZG.dueDate, Literal(action.due.isoformat(), datatype=XSD.date)))
    for link in action.evidence:
        g.add((node, ZG.evidence, Literal(link, datatype=XSD.anyURI)))
    if action.verdict:
        g.add((node, ZG.verdict, VERDICTS[action.verdict]))
    if action.measure:
        g.add((node, ZG.reviewOf, action.measure))
        g.add((node, PROV.used, action.measure))
    if action.supersedes:
        g.add((node, ZG.supersedes, action.supersedes))
        g.add((node, PROV.wasInformedBy, action.supersedes))
    return g


def graphs_of(actions: list[Action]) -> dict[URIRef, Graph]:
    """The actions, grouped into their periods' graphs."""
    by_graph: dict[URIRef, Graph] = {}
    for action in actions:
        target = by_graph.setdefault(actions_graph(action.gap.period), Graph())
        target += triples(action)
    return by_graph


def record(store: GraphStore, actions: list[Action]) -> None:
    """Add actions to their periods' graphs, all in one transaction."""
    store.insert(graphs_of(actions))


def _date(value: Node | None) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value is not None else None


def read(store: GraphStore, indicator: str | None = None, subject: str | None = None) -> list[Action]:
    """The recorded actions (of one indicator and subject, every period), oldest first."""
    query = query_registry.get("actions")
    bindings: Mapping[str, Node] | None = None
    if indicator is not None and subject is not None:
        bindings = query.bindings({"indicatorCode": indicator, "subjectCode": subject})
    merged: dict[Node, dict[str, object]] = {}
    for r in store.select(query.text, bindings):
        item = merged.setdefault(r["action"], {"row": r, "evidence": []})
        if "evidence" in r and str(r["evidence"]) not in item["evidence"]:  # type: ignore[operator]
            item["evidence"].append(str(r["evidence"]))  # type: ignore[attr-defined]
    out = []
    for node, item in merged.items():
        r: dict[str, Node] = item["row"]  # type: ignore[assignment]
        verdict = str(r["verdict"]).rsplit("#", 1)[-1].lower() if "verdict" in r else None
        out.append(
            Action(
                iri=node,  # type: ignore[arg-type]
                kind=KINDS[r["kind"]],  # type: ignore[index]
                gap=GapKey(int(str(r["period"])), str(r["indicatorCode"]), str(r["subjectCode"])),
                at=dt.datetime.fromisoformat(str(r["at"])),
                actor=Actor(
                    str(r["by"]),
                    str(r.get("name", "")),
                    str(r["post"]) if "post" in r else None,
                    str(r["capacity"]),
                ),
                text=str(r.get("text", "")),
                due=_date(r.get("due")),
                evidence=tuple(item["evidence"]),  # type: ignore[arg-type]
                verdict=verdict,
                measure=r.get("measure"),  # type: ignore[arg-type]
                supersedes=r.get("supersedes"),  # type: ignore[arg-type]
            )
        )
    return sorted(out, key=lambda a: (a.at, str(a.iri)))


@dataclass
class ActionIndex:
    """Every recorded action, by (indicator, subject): for listings of a whole run."""

    by_key: dict[tuple[str, str], list[Action]] = field(default_factory=dict)

    @classmethod
    def of(cls, store: GraphStore) -> ActionIndex:
        index = cls()
        for action in read(store):
            index.by_key.setdefault((action.gap.indicator, action.gap.subject), []).append(action)
        return index

    def get(self, indicator: str, subject: str) -> list[Action]:
        return self.by_key.get((indicator, subject), [])
