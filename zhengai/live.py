"""The live state of a diagnosed period: pushed values are re-checked on their own, between runs.

After a push, each (indicator, subject) it touched is validated again — against the same
generated shapes of the period's latest run, with the same constraint filter as the full
diagnosis (``standard_violations.rq``), over just those items (``live_due_items.rq``) — and the
run is brought up to date: a new gap is written and assigned to its owner at once, a changed one
is replaced (worsened or improved), and a gap that now meets its standard leaves the run, so its
lifecycle state becomes ``resolved-by-data`` with its history kept. The run's rows follow: the
rows stored when it was diagnosed stay as they were, and each gap the re-check writes carries its
own row (``reports.live_rows``).

What a re-check reads that does not change between pushes — the run's compiled standards and
constraints, the previous run's open gaps, the stored rows, the indicators' labels — is read once
and kept in a ``Live`` while the graphs it comes from are unchanged, so a long-running service
(``zhengai serve``) re-checks one value in milliseconds.

Left to the next ``diagnose`` of the period: warning rules over several indicators or years, and
the spiral's closed rows for the previous period's gaps.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import unquote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from zhengai import assignment, diagnosis, events, ownership, query_registry, reports
from zhengai.loaders.observations import Lookup
from zhengai.namespaces import SH, ZG, iri
from zhengai.sparql_text import bind_rows
from zhengai.standards import Compiled, compile_period
from zhengai.store import GraphStore, to_ox

Pairs = Mapping[URIRef, Iterable[URIRef]]  # indicator → the subjects pushed for it
CONSTRAINT_COLUMNS = (
    "standard", "sourceShape", "severity", "minCount", "allowed", "in1", "in2", "in3", "in4", "in5", "in6",
    "minI", "minE", "maxI", "maxE", "o1", "p1", "b1", "o2", "p2", "b2",
)  # fmt: skip
ITEM_COLUMNS = ("focus", "standard", "indicator", "subject", "subjectCode", "value", "obs")


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
    # what the server's cached answers are patched with (not part of the answer a pusher reads):
    # the gap's row now (None: the run has no row for it any more), and whether an owning unit or
    # post is assigned to it now (None: as before the push)
    row: reports.GapRow | None = field(default=None, compare=False, repr=False)
    owned: bool | None = field(default=None, compare=False, repr=False)

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
        shown = {k: v for k, v in self.__dict__.items() if k not in ("row", "owned")}
        return {**shown, "kind": self.kind}


@dataclass
class RunContext:
    """What re-checks against one run read once: see the module's docstring."""

    info: diagnosis.RunInfo
    compiled: Compiled
    constraints: dict[Node, list[tuple[object, ...]]]  # standard → its shapes' constraint rows
    prior: dict[tuple[Node, Node], diagnosis.StoredGap]  # the previous run's open gaps
    stored: dict[str, reports.GapRow]  # the rows stored with the run, by gap id
    labels: dict[URIRef, reports.Labels]
    org: ownership.Organisation
    # each (indicator, subject)'s owner, once the rules have given it: an owner depends on the
    # indicator, the subject and the organisation only, never on the value or severity
    owners: dict[tuple[Node, Node], ownership.Owner | None] = field(default_factory=dict)
    run_id: str = field(init=False)
    shape_of: diagnosis.ShapeIndex = field(init=False)
    shapes: URIRef = field(init=False)
    report: URIRef = field(init=False)

    def __post_init__(self) -> None:
        self.run_id = str(self.info.graph).rsplit("/", 1)[-1]
        self.shape_of = diagnosis.shape_index(self.compiled)
        self.shapes = URIRef(f"{self.info.graph}/shapes")
        self.report = iri("run", self.run_id, "report")


class Live:
    """The run contexts of one process, kept while ``graph_versions.rq`` answers the same."""

    def __init__(self) -> None:
        self._contexts: dict[URIRef, tuple[frozenset[tuple[Node, Node]], RunContext]] = {}
        self._indicators: tuple[frozenset[tuple[Node, Node]], Lookup] | None = None
        self._lock = threading.Lock()

    def lookup(self, store: GraphStore, codes: Collection[str]) -> Lookup:
        """The loader's lookup for a push naming ``codes``; the indicators are read once."""
        from zhengai.loading import build_lookup  # loading builds on this stage

        return build_lookup(store, codes, base=self.indicators(store))

    def indicators(self, store: GraphStore) -> Lookup:
        """The catalogue's indicators (``loading.indicator_lookup``), read again only after a load
        of anything but yearly targets (an upload of 年度目标 leaves them as they were)."""
        from zhengai.loading import indicator_lookup

        version = _beside_targets(_version(store))
        with self._lock:
            kept = self._indicators
        if kept is None or kept[0] != version:
            kept = (version, indicator_lookup(store))
            with self._lock:
                self._indicators = kept
        return kept[1]

    def context(self, store: GraphStore, info: diagnosis.RunInfo) -> RunContext:
        """The run's context, read again only where a load changed what it was read from: a load
        of yearly targets (an upload of 年度目标) changes the standards alone, so only they are
        compiled again; the stored rows, shapes, labels, organisation and owners are kept (on the
        large college: a push after a targets upload took 2–3 s for the whole context)."""
        version = _version(store)
        with self._lock:
            kept = self._contexts.get(info.graph)
            if kept is not None and kept[0] == version:
                return kept[1]
        if kept is not None and _beside_targets(kept[0]) == _beside_targets(version):
            made = dataclasses.replace(
                kept[1], compiled=compile_period(store, info.period), owners=kept[1].owners
            )
        else:
            made = _read_context(store, info)
        with self._lock:
            self._contexts = {info.graph: (version, made)} | {
                g: v for g, v in self._contexts.items() if g != info.graph and v[0] == version
            }
        return made


TARGETS = "/targets/"  # in the name of each year's targets graph (a college's view's too)


def _beside_targets(version: frozenset[tuple[Node, Node]]) -> frozenset[tuple[Node, Node]]:
    """The loads of every graph but the yearly targets' (which only the standards read)."""
    return frozenset((g, load) for g, load in version if TARGETS not in str(g))


def _version(store: GraphStore) -> frozenset[tuple[Node, Node]]:
    return frozenset((r["graph"], r["load"]) for r in store.select(query_registry.get("graph_versions").text))


def _read_context(store: GraphStore, info: diagnosis.RunInfo) -> RunContext:
    shapes = URIRef(f"{info.graph}/shapes")
    constraints: dict[Node, list[tuple[object, ...]]] = defaultdict(list)
    for r in store.select(query_registry.get("standard_constraints").text, {"shapes": shapes}):
        constraints[r["standard"]].append(tuple(_term(r.get(c)) for c in CONSTRAINT_COLUMNS))
    previous = diagnosis.previous_run(store, info.period)
    prior = (
        {
            (g.indicator, g.subject): g
            for g in diagnosis.stored_gaps(store, previous.graph)
            if g.status != "closed"
        }
        if previous is not None
        else {}
    )
    return RunContext(
        info=info,
        compiled=compile_period(store, info.period),
        constraints=dict(constraints),
        prior=prior,  # type: ignore[arg-type]
        stored=reports.stored_rows(store, info.graph) or {},
        labels=reports.indicator_labels(store),
        org=ownership.organisation(store),
    )


def _term(node: Node | None) -> object:
    """A constraint's term as VALUES can hold it: a list or sh:or node (a blank node, which the
    filter only asks is bound) stands as a literal."""
    if node is None:
        return None
    return to_ox(Literal(str(node)) if isinstance(node, BNode) else node)  # type: ignore[arg-type]


def recheck(store: GraphStore, period: int, pairs: Pairs, live: Live | None = None) -> list[Change] | None:
    """Re-check the pushed (indicator, subject) ``pairs`` in ``period``'s latest run and store
    what changed (see the module); None when the period has no run yet. ``live`` keeps what the
    next re-check can reuse."""
    info = diagnosis.latest_run(store, period)
    if info is None:
        return None
    ctx = (live or Live()).context(store, info)
    results, due = _validate(store, ctx, pairs)
    fresh = {g.id: g for g in diagnosis._gaps(results, ctx.compiled, ctx.run_id, None, ctx.shape_of)}
    for gap in fresh.values():
        earlier = ctx.prior.get((gap.indicator, gap.subject))
        if earlier is not None:
            diagnosis.persists(gap, earlier)
    keys = {  # every due pair's gap, whether it has one now or had one
        iri(
            "gap", ctx.run_id, ctx.labels[indicator].code, code
        ): f"{period}/{ctx.labels[indicator].code}/{code}"
        for (indicator, _subject), code in due.items()
        if indicator in ctx.labels
    } | {g.iri: g.id for g in fresh.values()}
    stored = _stored_triples(store, ctx.info.graph, keys)

    def row_before(node: Node, gap_id: str) -> reports.GapRow | None:
        """The gap's row now: the one a push wrote on it, else the one stored with the run; a gap
        with no triples left has none (a push took it out of the run, or it never was)."""
        triples = stored.get(node, [])
        written = next((o for p, o in triples if p == ZG.gapRow), None)
        if written is not None:
            return reports.GapRow(*json.loads(str(written)))
        return ctx.stored.get(gap_id) if triples else None

    remove, add = Graph(), Graph()
    new_gaps: list[diagnosis.Gap] = []
    before_rows: dict[str, reports.GapRow] = {}
    new_rows: dict[str, reports.GapRow] = {}
    left: dict[Node, Node] = {}  # gap → the shared answer it leaves
    kept: dict[Node, Node] = {}  # gap → the shared answer it keeps
    changes: list[Change] = []
    personal = {g.subject for g in fresh.values() if reports.is_personal(store, g.subject)}
    for node, gap_id in sorted(keys.items(), key=lambda kv: kv[1]):
        old_row, gap = row_before(node, gap_id), fresh.get(gap_id)
        if old_row is not None and old_row.severity == "closed":
            if gap is None:
                continue  # closed in this run, and still met
            old_row = None  # reopened: the closed gap's node and row give way to the open one
        new_row = reports.rows_of([gap], ctx.labels, personal)[0] if gap is not None else None
        if old_row is not None and new_row is not None and _same(old_row, new_row):
            continue
        if old_row is None and new_row is None and not stored.get(node):
            continue
        for p, o in stored.get(node, []):
            remove.add((node, p, o))
            if p == ZG.assignment:
                if gap is not None and gap.iri == node:
                    kept[node] = o  # still open: its owner depends on its indicator and subject only
                    add.add((node, p, o))
                else:
                    left[node] = o
        if stored.get(node):
            remove.add((ctx.report, SH.result, node))
        if gap_id in ctx.stored:
            add.add((ctx.report, ZG.replacedRow, Literal(gap_id)))
        if old_row is not None:
            before_rows[gap_id] = old_row
        if gap is not None and new_row is not None:
            new_gaps.append(gap)
            new_rows[gap_id] = new_row
            add.add((gap.iri, ZG.gapRow, reports.row_literal(new_row)))
        changes.append(
            Change(
                gap_id,
                old_row.severity if old_row is not None else None,
                new_row.severity if new_row is not None else None,
                new_row.value if new_row is not None else "",
                gap.message_zh if gap is not None else f"{gap_id} 已达标 / now meets its standard",
                gap.message_en if gap is not None else f"{gap_id} now meets its standard",
                row=new_row,
                owned=False if new_row is None else None,
            )
        )
    if not changes:
        return []
    run = diagnosis.Run(
        id=ctx.run_id, iri=ctx.info.iri, graph=ctx.info.graph, shapes_graph=ctx.shapes, period=period,
        engine=ctx.info.engine, started=dt.datetime.now(dt.UTC), ended=dt.datetime.now(dt.UTC),
        level=None, gaps=new_gaps,
    )  # fmt: skip
    for triple in diagnosis.gap_triples(run):
        add.add(triple)
    store.change_graph(ctx.info.graph, remove, add)  # the gaps first, then who owns them
    return _assign(store, ctx, left, kept, before_rows, new_rows, new_gaps, changes)


def _validate(
    store: GraphStore, ctx: RunContext, pairs: Pairs
) -> tuple[list[diagnosis.Result], dict[tuple[Node, Node], str]]:
    """The fast path's results for the pairs (their due items, one query per indicator, then the
    constraint filter over those items and their standards' constraints, one query), and the code
    of each due pair's subject, as gap ids name it."""
    bindings = diagnosis._bindings(ctx.info.period, ctx.shapes)
    items: list[dict[str, Node]] = []
    due = query_registry.get("live_due_items").text
    for indicator, subjects in sorted(pairs.items(), key=lambda kv: str(kv[0])):
        rows = store.select(
            bind_rows(due, [(to_ox(s),) for s in sorted(set(subjects), key=str)]),
            bindings | {"indicator": indicator},
        )
        items += [r | {"indicator": indicator} for r in rows]
    codes = {
        (r["indicator"], r["subject"]): str(
            r.get("subjectCode") or unquote(str(r["subject"]).rsplit("/", 1)[-1])
        )
        for r in items
    }
    constraints = [row for s in {r["standard"] for r in items} for row in ctx.constraints.get(s, [])]
    if not items or not constraints:
        return [], codes
    text = bind_rows(
        query_registry.get("live_verdicts").text,
        [tuple(to_ox(r[c]) if c in r else None for c in ITEM_COLUMNS) for r in items],
    )
    results = [diagnosis.Result.from_row(r) for r in store.select(bind_rows(text, constraints))]
    return results, codes


def _stored_triples(
    store: GraphStore, run: URIRef, keys: Mapping[URIRef, str]
) -> dict[Node, list[tuple[Node, Node]]]:
    """Every triple of the given gap nodes in the run, open or closed."""
    if not keys:
        return {}
    text = bind_rows(query_registry.get("gap_triples").text, [(to_ox(node),) for node in keys])
    out: dict[Node, list[tuple[Node, Node]]] = defaultdict(list)
    for r in store.select(text, {"run": run}):
        out[r["gap"]].append((r["p"], r["o"]))
    return out


def _same(a: reports.GapRow, b: reports.GapRow) -> bool:
    keys = ("severity", "grade", "value", "threshold", "status", "trend", "suggested_target", "message_zh")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def _assign(
    store: GraphStore,
    ctx: RunContext,
    left: dict[Node, Node],
    kept: dict[Node, Node],
    before_rows: dict[str, reports.GapRow],
    new_rows: dict[str, reports.GapRow],
    new_gaps: list[diagnosis.Gap],
    changes: list[Change],
) -> list[Change]:
    """Owners for the gaps just written that had none (the rule queries, per gap), the shared
    answers they leave and join, and the events of ``changes``: one more write. ``changes``
    again, each new owner's gap told whether it is owned now."""
    run = ctx.info.graph
    owners: dict[URIRef, ownership.Owner | None] = {}
    needed = []
    for g in new_gaps:
        if g.iri in kept:
            continue
        if (g.indicator, g.subject) in ctx.owners:  # the rules gave this pair its owner before
            known = ctx.owners[(g.indicator, g.subject)]
            owners[g.iri] = dataclasses.replace(known, gap=g.iri, id=g.id) if known is not None else None
        else:
            needed.append(g)
    with ThreadPoolExecutor(max_workers=min(4, max(1, len(needed)))) as pool:  # two gaps at a time per core
        answers = pool.map(lambda g: ownership.resolve(store, run, g.iri, org=ctx.org).get(g.iri), needed)
        for g, owner in zip(needed, answers, strict=True):
            owners[g.iri] = ctx.owners[(g.indicator, g.subject)] = owner
    remove, add = assignment.move(store, run, owners, left)  # type: ignore[arg-type]
    by_id = {g.id: owners.get(g.iri) for g in new_gaps if g.iri in owners}
    for change in changes:  # a kept or resolved gap's event names the owner it had
        if change.id not in by_id:
            by_id[change.id] = _stored_owner(store, ctx, {**left, **kept}, change.id)
    personal_ids = {i for i, r in new_rows.items() if r.personal} | {
        i for i, r in before_rows.items() if r.personal
    }
    happened = events.triples(store, changes, by_id, personal_ids)
    store.change_graphs({run: (remove, add), events.EVENTS_GRAPH: (Graph(), happened)})
    assigned = {g.id: owners[g.iri] for g in new_gaps if g.iri in owners}
    return [dataclasses.replace(c, owned=_owns(assigned[c.id])) if c.id in assigned else c for c in changes]


def _owns(owner: ownership.Owner | None) -> bool:
    return owner is not None and bool(owner.posts or owner.units)


def _stored_owner(
    store: GraphStore, ctx: RunContext, left: dict[Node, Node], gap_id: str
) -> ownership.Owner | None:
    """The owner a gap that just left the run had: its old shared answer."""
    _period, code, subject = gap_id.split("/", 2)
    gap = iri("gap", ctx.run_id, code, subject)
    node = left.get(gap)
    if node is None:
        return None
    for r in store.select(query_registry.get("answer_of").text, {"run": ctx.info.graph, "a": node}):
        if r["p"] == ZG.ownerAnswer:
            return ownership.Owner.from_record(gap, {"id": gap_id, **json.loads(str(r["o"]))})
    return None
