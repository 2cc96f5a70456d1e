"""Pushed observations: campus systems send values one at a time or in batches, between reloads.

A push is checked exactly as a workbook row is (``loaders/observations.py``: unknown indicator or
subject, bad value, wrong period), all or nothing: one bad item writes nothing, and every problem
names its item. Each observation takes the place of the period's value of the same indicator,
subject and period; the same observation again (same indicator, subject, period, source and
observed_at) is stored once, and a push with an ``Idempotency-Key`` already seen answers as the
first one did and writes nothing. Every push is a PROV activity (``zg:Push``) in the observation
graph of each period it touched: which system, which token, when. All of a push is one write.

A later full reload of a period's workbook replaces that period's graph, pushed values included:
the workbook is the period's record, and what was pushed since then is in it or is gone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, XSD

from zhengai import live, query_registry
from zhengai.errors import InputError, Location, Problem
from zhengai.loaders.observations import load_observations, observations_graph, subject_codes
from zhengai.loaders.table import RawSheet, read_sheets
from zhengai.namespaces import ZG, iri
from zhengai.store import GraphStore

MAX_BATCH = 10_000
ITEMS = "items"  # the table pushed JSON becomes
# the JSON fields of one pushed observation, and the loader's column each one stands for
FIELDS = {
    "indicator": "指标",
    "subject": "对象",
    "period": "学年",
    "value": "值",
    "numerator": "分子",
    "denominator": "分母",
    "source": "数据来源",
    "observed_at": "采集时间",
}
# what the loader writes about where a row came from: not part of what was observed
_PROVENANCE = {ZG.sourceSheet, ZG.sourceRow, ZG.annotation, PROV.wasGeneratedBy}


@dataclass(frozen=True)
class Scope:
    """What one pushing system may push: some levels (学生 …) or indicators; empty means any."""

    system: str
    levels: frozenset[str] = frozenset()
    indicators: frozenset[str] = frozenset()

    def allows(self, code: str, level: str) -> bool:
        return (not self.levels or level in self.levels) and (not self.indicators or code in self.indicators)


@dataclass
class PushResult:
    push: URIRef | None
    written: list[str] = field(default_factory=list)  # period/indicator/subject of each value written
    duplicates: list[str] = field(default_factory=list)  # already stored, not written again
    replayed: bool = False  # the Idempotency-Key was seen: the first push's answer, nothing written
    changes: list[live.Change] = field(default_factory=list)  # gaps the re-check changed
    undiagnosed: list[int] = field(default_factory=list)  # periods written that have no run yet

    def as_dict(self) -> dict[str, object]:
        return {
            "push": str(self.push) if self.push else None,
            "written": self.written,
            "duplicates": self.duplicates,
            "replayed": self.replayed,
            "changes": [c.as_dict() for c in self.changes],
            "undiagnosed": self.undiagnosed,
        }


def items_sheet(items: object, file: str = "POST /observations") -> tuple[RawSheet, list[Problem]]:
    """The pushed JSON items (one object or a list) as a table in the loader's columns (row N of
    the table is item N − 1, counted from 1, so the loader's problems name their item), and what is
    wrong with the items' shape (unknown fields, values that are not text, numbers or booleans)."""
    listed = [items] if isinstance(items, dict) else items
    if not isinstance(listed, list) or not listed:
        raise InputError.single(
            "应为一个观测值对象或观测值对象的数组",
            "expected one observation object or a non-empty array of them",
            Location(file),
        )
    if len(listed) > MAX_BATCH:
        raise InputError.single(
            f"一次最多推送 {MAX_BATCH} 条观测值（收到 {len(listed)} 条）",
            f"at most {MAX_BATCH} observations per push ({len(listed)} sent)",
            Location(file),
        )
    problems: list[Problem] = []
    rows: list[list[object]] = [list(FIELDS.values())]
    for n, item in enumerate(listed, start=1):
        where = Location(file, "条目 items", n)
        if not isinstance(item, dict):
            problems.append(Problem(f"第 {n} 条不是对象", f"item {n} is not an object", where))
            rows.append([None] * len(FIELDS))
            continue
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            problems.append(
                Problem(
                    f"第 {n} 条有未知字段：{'、'.join(unknown)}（可用：{'、'.join(FIELDS)}）",
                    f"item {n} has unknown fields: {', '.join(unknown)} (known: {', '.join(FIELDS)})",
                    where,
                )
            )
        bad = [k for k, v in item.items() if v is not None and not isinstance(v, str | int | float | bool)]
        if bad:
            problems.append(
                Problem(
                    f"第 {n} 条的字段 {'、'.join(bad)} 应为文字、数字或布尔值",
                    f"item {n}: {', '.join(bad)} must be a string, number or boolean",
                    where,
                )
            )
            item = {k: v for k, v in item.items() if k not in bad}
        rows.append([item.get(key) for key in FIELDS])
    return RawSheet(file, ITEMS, rows), problems  # type: ignore[arg-type]


def json_sheets(body: bytes | str, file: str) -> tuple[list[RawSheet], list[Problem]]:
    """Pushed JSON (one item or an array) as the loader's table, and what is wrong with its shape."""
    try:
        items = json.loads(body.decode("utf-8-sig") if isinstance(body, bytes) else body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError.single(f"不是有效的 JSON：{exc}", f"not valid JSON: {exc}", Location(file)) from None
    sheet, problems = items_sheet(items, file)
    return [sheet], problems


def csv_sheets(body: bytes, file: str) -> list[RawSheet]:
    """Pushed CSV in the loader's columns, read as a workbook's CSV is (``loaders.table``)."""
    with tempfile.TemporaryDirectory(prefix="zhengai-push-") as folder:
        path = Path(folder) / "push.csv"
        path.write_bytes(body)
        return [RawSheet(file, s.name, s.cells) for s in read_sheets(path)]


@dataclass
class Request:
    """One push as a campus system sends it: its tables, and who sends it."""

    sheets: list[RawSheet]
    file: str
    system: str
    token: str = ""
    key: str | None = None
    scope: Scope | None = None
    problems: list[Problem] | None = None  # what is already known to be wrong (the items' shape)


@dataclass
class _Prepared:
    out: PushResult
    graphs: Mapping[URIRef, Graph]
    observed: list[tuple[URIRef, URIRef]]
    changes: dict[URIRef, tuple[Graph, Graph]]


def push(
    store: GraphStore,
    sheets: list[RawSheet],
    *,
    file: str,
    system: str,
    token: str = "",
    key: str | None = None,
    scope: Scope | None = None,
    now: dt.datetime | None = None,
    problems: list[Problem] | None = None,
    context: live.Live | None = None,
) -> PushResult:
    """Check and store pushed observations (all or nothing); see the module's docstring.
    ``problems``: what is already known to be wrong (the items' shape), reported with the rest;
    ``context``: what a long-running process keeps between pushes (``zhengai.live.Live``)."""
    outcome = push_many(
        store, [Request(sheets, file, system, token, key, scope, problems)], now=now, context=context
    )[0]
    if isinstance(outcome, InputError):
        raise outcome
    return outcome


def push_many(
    store: GraphStore,
    requests: list[Request],
    *,
    now: dt.datetime | None = None,
    context: live.Live | None = None,
    changed: list[live.Change] | None = None,
) -> list[PushResult | InputError]:
    """Pushes that arrive together, each checked and kept or refused on its own (its outcome, in
    order), written in one write and re-checked in one pass: what a server does with concurrent
    pushes. A push that touches an observation or key an earlier one of them touched waits for
    that one to be written, so each sees the store as it would alone. ``changed``, when given,
    receives every gap the re-checks changed, in order (a warning rule's gaps too, which no
    single push wrote): what a server patches its cached answers with."""
    outcomes: list[PushResult | InputError] = []
    group: list[_Prepared] = []
    touched: set[URIRef] = set()
    keys: set[str] = set()

    def write() -> None:
        if group:
            found = _commit(store, group, context)
            if changed is not None:
                changed.extend(found)
        group.clear()
        touched.clear()
        keys.clear()

    with store.changing():  # the values, then their gaps, owners and events: all or nothing
        for request in requests:
            try:
                if request.key is not None and request.key in keys:
                    write()
                prepared = _prepare(store, request, now, context)
                nodes = {node for _, node in prepared.observed} if prepared is not None else set()
                if nodes & touched:
                    write()
                    prepared = _prepare(store, request, now, context)
            except InputError as exc:
                outcomes.append(exc)
                continue
            if prepared is None:  # the key was seen: the first push's answer
                outcomes.append(_replay(store, request.key))  # type: ignore[arg-type]
                continue
            outcomes.append(prepared.out)
            group.append(prepared)
            touched.update(node for _, node in prepared.observed)
            if request.key is not None:
                keys.add(request.key)
        write()
    return outcomes


def _prepare(
    store: GraphStore, request: Request, now: dt.datetime | None, context: live.Live | None
) -> _Prepared | None:
    """One push checked against the store, and what it writes (None: its key was seen)."""
    from zhengai.loading import build_lookup  # loading builds on this stage's loaders

    sheets, file, key = request.sheets, request.file, request.key
    if key is not None and _replay(store, key) is not None:
        return None
    known = list(request.problems or [])
    try:
        codes = subject_codes(sheets)
        lookup = context.lookup(store, codes) if context is not None else build_lookup(store, codes)
        result = load_observations(sheets, file=file, lookup=lookup, period=None)
    except InputError as exc:
        found = _by_item(exc, sheets).problems
        raise InputError.many(file, sorted([*known, *found], key=_row)) from None
    if known:
        raise InputError.many(file, known)
    observed = [
        (name, node)
        for name, g in result.graphs.items()
        for node in g.subjects(RDF.type, ZG.Observation)  # type: ignore[union-attr]
    ]
    if request.scope is not None:
        _check_scope(request.scope, result.graphs, observed, lookup, file, sheets)
    now = now or dt.datetime.now(dt.UTC)
    activity = iri("push", hashlib.sha256((key or uuid.uuid4().hex).encode()).hexdigest()[:24])
    changes: dict[URIRef, tuple[Graph, Graph]] = {}
    out = PushResult(activity)
    query = query_registry.get("observation_triples")
    for name, node in sorted(observed, key=lambda pair: str(pair[1])):
        new = result.graphs[name]
        stored = [(r["p"], r["o"]) for r in store.select(query.text, {"g": name, "node": node})]
        observation_id = _id(new, node)
        if _same(stored, [(p, o) for p, o in new.predicate_objects(node)]):
            out.duplicates.append(observation_id)
            continue
        remove, add = changes.setdefault(name, (Graph(), Graph()))
        for p, o in stored:
            remove.add((node, p, o))
        for p, o in new.predicate_objects(node):
            add.add((node, p, o))
        subject = new.value(node, ZG.subject)
        for level in new.objects(subject, ZG.reportsAtLevel):
            add.add((subject, ZG.reportsAtLevel, level))
        add.add((node, PROV.wasGeneratedBy, activity))
        out.written.append(observation_id)
    for _name, (_remove, add) in changes.items():
        add += _activity(activity, request.system, request.token, key, now)
    if key is not None and not changes:  # remember the key even when nothing changed
        name = observed[0][0] if observed else observations_graph(now.year)
        changes[name] = (Graph(), _activity(activity, request.system, request.token, key, now))
    out.written.sort()
    out.duplicates.sort()
    return _Prepared(out, result.graphs, observed, changes)


def _commit(store: GraphStore, group: list[_Prepared], context: live.Live | None) -> list[live.Change]:
    """The group's writes as one, then one re-check of every pair they wrote; each push is told
    the changes of the values it wrote. Every change the re-check found."""
    merged: dict[URIRef, tuple[Graph, Graph]] = {}
    for prepared in group:
        for name, (remove, add) in prepared.changes.items():
            removed, added = merged.setdefault(name, (Graph(), Graph()))
            removed += remove  # in place: the graphs in ``merged`` grow
            added += add
    if merged:
        store.change_graphs(merged)
    by_period: dict[int, dict[URIRef, set[URIRef]]] = {}
    periods_of: dict[int, set[int]] = {}
    for n, prepared in enumerate(group):
        for name, node in prepared.observed:
            if name in prepared.changes and (node, PROV.wasGeneratedBy, None) in prepared.changes[name][1]:
                g = prepared.graphs[name]
                period = int(g.value(node, ZG.academicYear))  # type: ignore[arg-type]
                pairs = by_period.setdefault(period, {})
                pairs.setdefault(g.value(node, ZG.indicator), set()).add(g.value(node, ZG.subject))  # type: ignore[arg-type]
                periods_of.setdefault(n, set()).add(period)

    found: list[live.Change] = []
    undiagnosed: set[int] = set()
    for period, pairs in sorted(by_period.items()):
        changed = live.recheck(store, period, pairs, context)
        if changed is None:
            undiagnosed.add(period)  # the value is kept; the period's first diagnose counts it
        else:
            found += changed
    for n, prepared in enumerate(group):
        written = set(prepared.out.written)
        prepared.out.changes = [c for c in found if c.id in written]
        prepared.out.undiagnosed = sorted(periods_of.get(n, set()) & undiagnosed)
    return found


def _row(p: Problem) -> int:
    return p.location.row or 0


def _by_item(exc: InputError, sheets: list[RawSheet]) -> InputError:
    """Problems of pushed JSON name their item (row N of the items table is item N − 1)."""
    if not sheets or sheets[0].name != ITEMS:
        return exc
    for n, p in enumerate(exc.problems):
        if p.location is not None and p.location.row is not None:
            exc.problems[n] = dataclasses.replace(
                p, location=dataclasses.replace(p.location, sheet="条目 items", row=p.location.row - 1)
            )
    return exc


def _id(g: Graph, node: URIRef) -> str:
    year = g.value(node, ZG.academicYear)
    indicator = str(g.value(node, ZG.indicator)).rsplit("/", 1)[-1]
    subject = str(node).rsplit("/", 1)[-1]
    return f"{year}/{indicator}/{unquote(subject)}"


def _same(stored: Iterable[tuple[object, object]], new: Iterable[tuple[object, object]]) -> bool:
    """The same observation: what was observed is equal, wherever each row came from."""
    kept = {(p, o) for p, o in stored if p not in _PROVENANCE}
    return bool(kept) and kept == {(p, o) for p, o in new if p not in _PROVENANCE}


def _activity(activity: URIRef, system: str, token: str, key: str | None, now: dt.datetime) -> Graph:
    g = Graph()
    agent = iri("system", system)
    g.add((activity, RDF.type, ZG.Push))
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, PROV.startedAtTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
    g.add((activity, PROV.wasAssociatedWith, agent))
    g.add((agent, RDF.type, PROV.SoftwareAgent))
    g.add((agent, RDFS.label, Literal(system)))
    if token:
        g.add((activity, ZG.tokenName, Literal(token)))
    if key is not None:
        g.add((activity, ZG.idempotencyKey, Literal(key)))
    return g


def _replay(store: GraphStore, key: str) -> PushResult | None:
    query = query_registry.get("push_by_key")
    rows = store.select(query.text, query.bindings({"key": key}))
    if not rows:
        return None
    written = sorted({f"{r['year']}/{r['code']}/{r['subjectCode']}" for r in rows if "observation" in r})
    return PushResult(rows[0]["push"], written, [], replayed=True)  # type: ignore[arg-type]


def _check_scope(
    scope: Scope,
    graphs: Mapping[URIRef, Graph],
    observed: list[tuple[URIRef, URIRef]],
    lookup: object,
    file: str,
    sheets: list[RawSheet],
) -> None:
    by_iri = {info.iri: info for info in lookup.indicators.values()}  # type: ignore[attr-defined]
    problems = []
    for name, node in observed:
        g = graphs[name]
        info = by_iri[g.value(node, ZG.indicator)]
        if not scope.allows(info.code, info.level):
            row = g.value(node, ZG.sourceRow)
            problems.append(
                Problem(
                    f"「{scope.system}」无权推送指标 {info.code}（{info.level}层面）",
                    f"'{scope.system}' may not push indicator {info.code} ({info.level} level)",
                    Location(file, "items", int(row) if row is not None else None),
                )
            )
    if problems:
        raise _by_item(
            ScopeError(
                f"「{scope.system}」无权推送其中 {len(problems)} 条观测值，未写入任何数据",
                f"'{scope.system}' may not push {len(problems)} of these observations; nothing was written",
                problems,
            ),
            sheets,
        )


class ScopeError(InputError):
    """A push names indicators or levels its system may not push."""

    code = "forbidden"
