"""Diagnosis of one period: validate the due items against the period's shapes, store a run.

Flow: ``standards.compile_period`` → shapes graph (stored with the run) → validation → results →
gaps (compared with the previous period's run: the spiral) → one named graph ``diagnosis/{run}``
holding the run's PROV, the ``sh:ValidationReport`` and one ``zg:Gap`` per result.

Two validators give the same results on the forms zhengai generates:

* ``fast`` (the default): ``queries/diagnosis_results.rq`` evaluates the shapes' core constraints
  as one SPARQL query inside the store;
* ``pyshacl``: the reference — the due items (``queries/diagnosis_view.rq``) are copied into an
  in-memory rdflib graph and validated by pyshacl against the same shapes.

Shapes the fast path does not understand (a hand-edited shapes graph) make it refuse, not guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import unquote

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV
from rdflib.term import Node

from zhengai import assignment, coverage, ownership, query_registry, warnings
from zhengai.criteria import Band, threshold_text
from zhengai.errors import DiagnosisError, Problem
from zhengai.namespaces import LEVELS, RDF, RDFS, SH, XSD, ZG, graph, iri
from zhengai.standards import (
    LEVEL_EN,
    Compiled,
    Standard,
    compile_period,
    grade_node,
    observation_periods,
    shapes_graph,
    standard_message,
)
from zhengai.store import GraphStore

ENGINES = ("fast", "pyshacl")
SEVERITY_RANK = {SH.Violation: 3, SH.Warning: 2, SH.Info: 1}
STATUS = {"new": ZG.New, "persisting": ZG.Persisting, "closed": ZG.Closed}
TRENDS = {"improved": ZG.Improved, "worsened": ZG.Worsened, "unchanged": ZG.Unchanged}


@dataclass(frozen=True)
class Result:
    """One SHACL validation result, with the due item it is about."""

    focus: URIRef
    source_shape: URIRef
    severity: URIRef
    indicator: URIRef
    subject: URIRef
    value: Literal | None = None
    observation: URIRef | None = None
    subject_code: str | None = None

    @classmethod
    def from_row(cls, r: Mapping[str, Node]) -> Result:
        """A result from a row of the fast path's queries (diagnosis_results.rq, live_verdicts.rq)."""
        return cls(
            r["focus"],  # type: ignore[arg-type]
            r["sourceShape"],  # type: ignore[arg-type]
            r["severity"],  # type: ignore[arg-type]
            r["indicator"],  # type: ignore[arg-type]
            r["subject"],  # type: ignore[arg-type]
            r.get("value"),  # type: ignore[arg-type]
            r.get("obs"),  # type: ignore[arg-type]
            str(r["subjectCode"]) if "subjectCode" in r else None,
        )

    @property
    def key(self) -> tuple[Node, Node, Node]:
        return self.focus, self.source_shape, self.severity


@dataclass
class Gap:
    id: str  # {period}/{indicator code}/{subject code}
    iri: URIRef
    indicator: URIRef
    code: str
    label: str
    level: str
    system: URIRef | None
    subject: URIRef
    subject_code: str
    period: int
    severity: URIRef | None
    grade: URIRef | None
    value: Literal | None
    threshold: Decimal | None
    unit: str | None
    message_zh: str
    message_en: str
    status: str = "new"
    trend: str | None = None
    previous: URIRef | None = None
    suggested_target: Decimal | None = None
    focus: URIRef | None = None
    source_shape: URIRef | None = None
    component: URIRef | None = None
    direction: str | None = None
    constituents: list[URIRef] = field(default_factory=list)


@dataclass
class Run:
    id: str
    iri: URIRef
    graph: URIRef
    shapes_graph: URIRef
    period: int
    engine: str
    started: dt.datetime
    ended: dt.datetime
    level: str | None
    gaps: list[Gap] = field(default_factory=list)
    closed: list[Gap] = field(default_factory=list)
    findings: list[Problem] = field(default_factory=list)
    silent: list[Problem] = field(default_factory=list)  # a level that reported nothing: per indicator
    not_due: list[str] = field(default_factory=list)  # indicators not due this period (3年, 5年 …)
    previous: URIRef | None = None
    previous_period: int | None = None


# -- values and messages -----------------------------------------------------------------------


def format_value(value: Literal | None, unit: str | None) -> str:
    if value is None:
        return "—"
    python = value.toPython()
    if isinstance(python, bool):
        return "是/有" if python else "否/无"
    if value.datatype in (XSD.decimal, XSD.integer, XSD.double, XSD.float):
        number = Decimal(str(value))
        return threshold_text(number, unit if unit in ("percent", "permille", "ratio") else "count")
    return str(value)


def _yes_no_word(value: Literal | None, standard: Standard) -> tuple[str, str]:
    if value is None or not isinstance(value.toPython(), bool):
        return format_value(value, None), format_value(value, None)
    yes = bool(value.toPython())
    words = standard.criterion.words if standard.criterion is not None else None
    if words and words not in (("有", "无"), ("是", "否")):
        return words[0 if yes else 1], words[0 if yes else 1]
    if standard.kind == "evidence":
        return ("有" if yes else "无"), ("present" if yes else "absent")
    return ("是" if yes else "否"), ("yes" if yes else "no")


def _gap_message(
    standard: Standard, shape_name: str, subject_code: str, value: Literal | None
) -> tuple[str, str]:
    ind = standard.indicator
    level_zh, level_en = ind.level_name, LEVEL_EN.get(ind.level_name, "")
    head_zh = f"{level_zh} {subject_code} {standard.period} 学年「{ind.label}」"
    head_en = f"{level_en} {subject_code}, {standard.period}: '{ind.label}'"
    shape_zh, shape_en = standard_message(standard, shape_name)
    if shape_name == "missing":
        return f"{head_zh}{shape_zh}", f"{head_en}: {shape_en}"
    if shape_name == "unmet":
        word_zh, word_en = _yes_no_word(value, standard)
        return f"{head_zh}为「{word_zh}」，{shape_zh}", f"{head_en} is {word_en}, {shape_en}"
    if standard.kind == "words" and value is not None:
        return f"{head_zh}{shape_zh}", f"{head_en} {shape_en}"
    shown = format_value(value, standard.unit or ind.unit)
    if value is not None and value.datatype == XSD.decimal:
        shown = standard.line(Decimal(str(value)))
    return f"{head_zh}为 {shown}，{shape_zh}", f"{head_en} is {shown}, {shape_en}"


# -- validation ---------------------------------------------------------------------------------


def _bindings(period: int, shapes: URIRef) -> dict[str, Node]:
    return {
        "period": Literal(period),
        "observations": graph(f"observations/{period}"),
        "shapes": shapes,
    }


BOUNDS = {SH.minInclusive, SH.minExclusive, SH.maxInclusive, SH.maxExclusive}
SUPPORTED_SHAPE_PREDICATES = {
    RDF.type, RDFS.label, RDFS.comment, SH.path, SH.severity, SH.message, SH.property, SH.targetClass,
    SH.minCount, SH["in"], SH["or"], ZG.grade, ZG.threshold, ZG.thresholdUnit, ZG.standardOf,
} | BOUNDS  # fmt: skip


def unsupported_forms(shapes: Graph) -> list[str]:
    """What in ``shapes`` the fast path cannot evaluate (empty: it can)."""
    problems = []
    for shape in set(shapes.subjects(RDF.type, SH.NodeShape)) | set(
        shapes.subjects(RDF.type, SH.PropertyShape)
    ):
        for p, o in shapes.predicate_objects(shape):
            if p not in SUPPORTED_SHAPE_PREDICATES:
                problems.append(f"{shape}: {p}")
            elif p == SH.path and o != ZG.value:
                problems.append(f"{shape}: sh:path {o}")
            elif p == SH.minCount and int(o) != 1:  # type: ignore[call-overload]
                problems.append(f"{shape}: sh:minCount {o}")
            elif p == SH["in"] and len(list(shapes.items(o))) > 6:
                problems.append(f"{shape}: sh:in with more than six members")
            elif p == SH["or"]:
                options = list(shapes.items(o))
                if len(options) != 2 or any(
                    len(set(shapes.predicate_objects(opt))) != 1 or not set(shapes.predicates(opt)) <= BOUNDS
                    for opt in options
                ):
                    problems.append(f"{shape}: sh:or of another form")
    return problems


def validate_fast(store: GraphStore, period: int, shapes: URIRef) -> list[Result]:
    """The fast path's results for the period (``zhengai.live`` asks the same of a few pairs)."""
    query = query_registry.get("diagnosis_results")
    return [Result.from_row(r) for r in store.select(query.text, _bindings(period, shapes))]


def due_items(store: GraphStore, period: int, shapes: URIRef) -> list[dict[str, Node]]:
    return store.select(query_registry.get("diagnosis_view").text, _bindings(period, shapes))


def data_graph(rows: Iterable[dict[str, Node]]) -> Graph:
    """The due items as an rdflib graph: what pyshacl validates."""
    g = Graph()
    for r in rows:
        g.add((r["focus"], RDF.type, r["standard"]))
        if "value" in r:
            g.add((r["focus"], ZG.value, r["value"]))
    return g


def validate_pyshacl(store: GraphStore, period: int, shapes: URIRef, shapes_content: Graph) -> list[Result]:
    """The reference: plain pyshacl on an in-memory copy of the due items."""
    import pyshacl

    rows = due_items(store, period, shapes)
    by_focus = {r["focus"]: r for r in rows}
    _, report, _ = pyshacl.validate(
        data_graph(rows), shacl_graph=shapes_content, inference="none", advanced=False, allow_warnings=True
    )
    results = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(node, SH.focusNode)
        row = by_focus[focus]
        results.append(
            Result(
                focus,  # type: ignore[arg-type]
                report.value(node, SH.sourceShape),  # type: ignore[arg-type]
                report.value(node, SH.resultSeverity),  # type: ignore[arg-type]
                row["indicator"],  # type: ignore[arg-type]
                row["subject"],  # type: ignore[arg-type]
                report.value(node, SH.value) if (node, SH.value, None) in report else row.get("value"),  # type: ignore[arg-type]
                row.get("obs"),  # type: ignore[arg-type]
                str(row["subjectCode"]) if "subjectCode" in row else None,
            )
        )
    return results


# -- runs ---------------------------------------------------------------------------------------


def _run_id(store: GraphStore, period: int, now: dt.datetime) -> str:
    base = f"{period}-{now.strftime('%Y%m%d-%H%M%S')}"
    existing = {str(g) for g in store.named_graphs()}
    candidate, n = base, 1
    while str(graph(f"diagnosis/{candidate}")) in existing:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@dataclass(frozen=True)
class RunInfo:
    iri: URIRef
    graph: URIRef
    period: int
    started: str
    engine: str


def drop_incomplete_runs(store: GraphStore) -> list[URIRef]:
    """Drop the graphs of runs that were interrupted (written without their run record)."""
    complete = {str(r.graph) for r in runs(store)}
    complete |= {f"{g}/shapes" for g in complete}
    prefix = str(graph("diagnosis/x"))[:-1]
    stale = [g for g in store.named_graphs() if str(g).startswith(prefix) and str(g) not in complete]
    for name in stale:
        store.drop_graph(name)
    return stale


def runs(store: GraphStore) -> list[RunInfo]:
    """Every stored run, oldest first."""
    rows = store.select(query_registry.get("diagnosis_runs").text)
    return [
        RunInfo(r["run"], r["g"], int(r["period"]), str(r["started"]), str(r["engine"]))  # type: ignore[arg-type]
        for r in rows
    ]


def latest_run(store: GraphStore, period: int) -> RunInfo | None:
    matching = [r for r in runs(store) if r.period == period]
    return matching[-1] if matching else None


def previous_run(store: GraphStore, period: int) -> RunInfo | None:
    earlier = [r for r in runs(store) if r.period < period]
    if not earlier:
        return None
    latest_period = max(r.period for r in earlier)
    return [r for r in earlier if r.period == latest_period][-1]


@dataclass(frozen=True)
class StoredGap:
    iri: URIRef
    id: str
    indicator: URIRef
    subject: URIRef
    severity: URIRef | None
    value: Literal | None
    threshold: Decimal | None
    status: str


def stored_gaps(store: GraphStore, run_graph: URIRef) -> list[StoredGap]:
    query = query_registry.get("run_gap_keys")
    out = []
    for r in store.select(query.text, query.bindings({"run": str(run_graph)})):
        out.append(
            StoredGap(
                r["gap"],  # type: ignore[arg-type]
                str(r["id"]),
                r["indicator"],  # type: ignore[arg-type]
                r["subject"],  # type: ignore[arg-type]
                r.get("severity"),  # type: ignore[arg-type]
                r.get("value"),  # type: ignore[arg-type]
                Decimal(str(r["threshold"])) if "threshold" in r else None,
                str(r["status"]).rsplit("#", 1)[-1].lower() if "status" in r else "new",
            )
        )
    return out


def gap_parts(store: GraphStore, gap: URIRef) -> list[str]:
    """The ids of the gaps a warning rule's gap is made of (empty for an indicator's gap)."""
    query = query_registry.get("gap_parts")
    return [str(r["id"]) for r in store.select(query.text, query.bindings({"gap": str(gap)}))]


def available_periods(store: GraphStore) -> list[int]:
    return observation_periods(store)


def _trend(
    previous: StoredGap, severity: URIRef, value: Literal | None, direction: str | None = "higher"
) -> str | None:
    """improved / worsened / unchanged; None when either year is missing data (nothing to compare)."""
    if SH.Info in (previous.severity, severity):
        return None
    before, after = SEVERITY_RANK.get(previous.severity, 0), SEVERITY_RANK[severity]
    if before != after:
        return "improved" if after < before else "worsened"
    if previous.value is None or value is None or previous.value == value:
        return "unchanged"
    try:
        old, new = Decimal(str(previous.value)), Decimal(str(value))
    except ArithmeticError:  # yes/no values: same severity, same standard
        return "unchanged"
    if old == new:
        return "unchanged"
    if direction == "within":
        return "unchanged"
    return "improved" if (new > old) == (direction != "lower") else "worsened"


ShapeIndex = dict[URIRef, tuple[Standard, str, Band | None]]


def shape_index(compiled: Compiled) -> ShapeIndex:
    """Each property shape of the compiled standards: its standard, its name and its band."""
    shape_of: ShapeIndex = {}
    for s in compiled.standards:
        for name in ("missing", "unmet"):
            shape_of[s.property_shape(name)] = (s, name, None)
        for name, band in s.failing():
            shape_of[s.property_shape(name)] = (s, name, band)
    return shape_of


def _gaps(
    results: list[Result],
    compiled: Compiled,
    run_id: str,
    level: str | None,
    shape_of: ShapeIndex | None = None,
) -> list[Gap]:
    shape_of = shape_of if shape_of is not None else shape_index(compiled)
    gaps: dict[tuple[Node, Node], Gap] = {}
    for r in results:
        standard, name, band = shape_of[r.source_shape]
        ind = standard.indicator
        if level is not None and ind.level_name != level:
            continue
        subject_code = r.subject_code or str(r.subject).rsplit("/", 1)[-1]
        zh, en = _gap_message(standard, name, subject_code, r.value)
        threshold = standard.threshold_of(band) if band is not None and standard.kind == "graded" else None
        grade = {"missing": ZG.MissingData, "unmet": ZG.Unmet}.get(name) or grade_node(band.grade)  # type: ignore[union-attr]
        gap = Gap(
            id=f"{compiled.period}/{ind.code}/{subject_code}",
            iri=iri("gap", run_id, ind.code, subject_code),
            indicator=ind.iri,
            code=ind.code,
            label=ind.label,
            level=ind.level_name,
            system=ind.system,
            subject=r.subject,
            subject_code=subject_code,
            period=compiled.period,
            severity=r.severity,
            grade=grade,
            value=r.value,
            threshold=threshold,
            unit=standard.unit or ind.unit,
            message_zh=zh,
            message_en=en,
            focus=r.focus,
            source_shape=r.source_shape,
            component=component_of(standard, name, band),
            direction=standard.direction,
        )
        key = (ind.iri, r.subject)
        kept = gaps.get(key)
        if kept is None or SEVERITY_RANK[gap.severity] > SEVERITY_RANK[kept.severity]:  # type: ignore[index]
            gaps[key] = gap
    return sorted(gaps.values(), key=lambda g: (-SEVERITY_RANK[g.severity], g.code, g.subject_code))  # type: ignore[index]


def persists(gap: Gap, prior: StoredGap) -> None:
    """Mark ``gap`` as the continuation of the previous period's ``prior``."""
    gap.status, gap.previous = "persisting", prior.iri
    gap.trend = _trend(prior, gap.severity, gap.value, gap.direction)  # type: ignore[arg-type]
    if gap.severity == SH.Violation and gap.threshold is not None:
        gap.suggested_target = gap.threshold


def _spiral(run: Run, store: GraphStore, labels: dict[URIRef, tuple[str, str]]) -> None:
    info = previous_run(store, run.period)
    if info is None:
        return
    run.previous, run.previous_period = info.iri, info.period
    before = {(g.indicator, g.subject): g for g in stored_gaps(store, info.graph) if g.status != "closed"}
    for gap in run.gaps:
        prior = before.pop((gap.indicator, gap.subject), None)
        if prior is not None:
            persists(gap, prior)
    for (indicator, subject), prior in sorted(before.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        code, label = labels.get(indicator, (str(indicator).rsplit("/", 1)[-1], ""))
        if code in run.not_due:  # not due this period (3年, 5年 …): nothing says it closed
            continue
        subject_code = prior.id.split("/", 2)[-1]
        run.closed.append(
            Gap(
                id=f"{run.period}/{code}/{subject_code}",
                iri=iri("gap", run.id, code, subject_code),
                indicator=indicator,
                code=code,
                label=label,
                level="",
                system=None,
                subject=subject,
                subject_code=subject_code,
                period=run.period,
                severity=None,
                grade=None,
                value=None,
                threshold=prior.threshold,
                unit=None,
                message_zh=f"{subject_code}「{label}」{info.period} 学年的问题在 {run.period} 学年已关闭",
                message_en=f"{subject_code} '{label}': the {info.period} gap is closed in {run.period}",
                status="closed",
                previous=prior.iri,
            )
        )


def _rule_gaps(
    store: GraphStore, run: Run, compiled: Compiled, rule_tiers: list[warnings.Tier], rule_shapes: Graph
) -> list[Gap]:
    """The gaps of the warning rules, from this run's gaps and the latest earlier runs'."""
    facts = [
        warnings.GapFact(g.iri, g.indicator, g.subject, run.period, g.severity)  # type: ignore[arg-type]
        for g in run.gaps
        if g.severity in (SH.Violation, SH.Warning)
    ]
    longest = max((t.periods or 1) for t in rule_tiers)
    for earlier in range(run.period - longest + 1, run.period):
        info = latest_run(store, earlier)
        if info is None:
            continue
        facts += [
            warnings.GapFact(g.iri, g.indicator, g.subject, earlier, g.severity)  # type: ignore[arg-type]
            for g in stored_gaps(store, info.graph)
            if g.status != "closed" and g.severity in (SH.Violation, SH.Warning)
        ]
    directions = {
        s.indicator.iri: s.direction for s in compiled.standards if s.direction and s.subject is None
    }
    labels = {s.indicator.iri: f"{s.indicator.code} {s.indicator.label}" for s in compiled.standards}
    results = warnings.evaluate(store, run.period, rule_tiers, rule_shapes, facts, directions)  # type: ignore[arg-type]
    kept: dict[tuple[URIRef, URIRef], Gap] = {}
    for r in results:
        t = r.tier
        code = unquote(str(r.subject).rsplit("/", 1)[-1])
        failing = sorted({str(f.indicator).rsplit("/", 1)[-1] for f in facts if f.iri in r.constituents})
        zh, en = warnings.message(r, run.period, code, labels, failing)
        gap = Gap(
            id=f"{run.period}/{t.code}/{code}",
            iri=iri("gap", run.id, t.code, code),
            indicator=t.rule,
            code=t.code,
            label=t.name,
            level=t.level_name,
            system=None,
            subject=r.subject,
            subject_code=code,
            period=run.period,
            severity=t.severity,
            grade=ZG.RuleWarning,
            value=r.value,
            threshold=None,
            unit=None,
            message_zh=zh,
            message_en=en,
            focus=r.subject,
            source_shape=t.shape,
            component=SH.SPARQLConstraintComponent,
            constituents=r.constituents,
            # fewer failing indicators (or periods) is better; a rank rule's value is the indicator's
            direction=directions.get(t.indicators[0], "higher") if t.kind == "rank" else "lower",
        )
        prior = kept.get((t.rule, r.subject))
        if prior is None or SEVERITY_RANK[gap.severity] > SEVERITY_RANK[prior.severity]:  # type: ignore[index]
            kept[(t.rule, r.subject)] = gap
    return sorted(kept.values(), key=lambda g: (-SEVERITY_RANK[g.severity], g.code, g.subject_code))  # type: ignore[index]


def diagnose(
    store: GraphStore,
    period: int,
    *,
    level: str | None = None,
    engine: str = "fast",
    progress: Callable[[str], None] | None = None,
) -> Run:
    """Diagnose ``period``, store the run in ``diagnosis/{run}`` and return it."""
    say = progress or (lambda _: None)
    if engine not in ENGINES:
        raise DiagnosisError(
            f"未知的校验引擎「{engine}」（可用：fast、pyshacl）", f"unknown engine '{engine}' (fast, pyshacl)"
        )
    if level is not None and level not in LEVELS:
        raise DiagnosisError(
            f"未知层面「{level}」（可用：{'、'.join(LEVELS)}）",
            f"unknown level '{level}' ({', '.join(LEVELS)})",
        )
    periods = available_periods(store)
    if period not in periods:
        known = "、".join(map(str, periods)) or "无 / none"
        raise DiagnosisError(
            f"没有 {period} 学年的状态数据（已加载的学年：{known}）",
            f"no observations for {period} are loaded (loaded periods: {known})",
        )
    drop_incomplete_runs(store)
    from zhengai.loading import ensure_matrix  # loading reassigns through this module's runs

    if ensure_matrix(store):
        say("未加载责任矩阵，已使用内置默认矩阵 / no matrix loaded: the bundled default applies")
    started = dt.datetime.now(dt.UTC)
    run_id = _run_id(store, period, started)
    say("编译诊断标准 / compiling the standards")
    compiled = compile_period(store, period)
    shapes_iri = graph(f"diagnosis/{run_id}/shapes")
    shapes = shapes_graph(compiled.standards)
    rule_tiers, rule_shapes = warnings.prepare(store, period, level)
    run_graph = graph(f"diagnosis/{run_id}")
    with store.writing([shapes_iri, run_graph]):  # killed on the way: the next opening drops both
        store.add_graphs({shapes_iri: shapes + rule_shapes})
        try:
            say(f"校验 / validating ({engine})")
            if engine == "fast":
                problems = unsupported_forms(shapes)
                if problems:
                    raise DiagnosisError(
                        "形状图含有快速校验不支持的约束；请用 --engine pyshacl",
                        "the shapes use constraints the fast path does not support; use --engine pyshacl",
                        [Problem(p, p) for p in problems[:20]],
                    )
                results = validate_fast(store, period, shapes_iri)
            else:
                results = validate_pyshacl(store, period, shapes_iri, shapes)
            run = Run(
                id=run_id,
                iri=iri("run", run_id),
                graph=graph(f"diagnosis/{run_id}"),
                shapes_graph=shapes_iri,
                period=period,
                engine=engine,
                started=started,
                ended=started,
                level=level,
                findings=compiled.findings,
                silent=coverage.summary(store, compiled, level),
                not_due=list(compiled.not_due),
            )
            run.gaps = _gaps(results, compiled, run_id, level)
            if rule_tiers:
                say(f"预警规则 / warning rules ({len(rule_tiers)})")
                run.gaps += _rule_gaps(store, run, compiled, rule_tiers, rule_shapes)
            labels = {s.indicator.iri: (s.indicator.code, s.indicator.label) for s in compiled.standards}
            labels |= {t.rule: (t.code, t.name) for t in rule_tiers}
            say("与上一学年比较 / comparing with the previous period")
            _spiral(run, store, labels)
            run.ended = dt.datetime.now(dt.UTC)
            say("保存诊断结果 / storing the run")
            store.add_large_graph(run.graph, gap_triples(run), Graph())  # no record yet: invisible
            say("确定责任人 / assigning every open gap to its owner")
            owners = ownership.resolve_run(store, run.graph)
            store.extend_graph(run.graph, assignment.triples(run.graph, owners), run_record(run, store))
        except BaseException:
            store.drop_graph(shapes_iri)
            store.drop_graph(graph(f"diagnosis/{run_id}"))
            raise
        return run


def run_record(run: Run, store: GraphStore) -> Graph:
    """The run itself: PROV and the validation report's head. Written last: a run without it is
    an interrupted write and invisible to every query."""
    g = Graph()
    r = run.iri
    g.add((r, RDF.type, ZG.DiagnosisRun))
    g.add((r, RDF.type, PROV.Activity))
    g.add((r, RDFS.label, Literal(f"{run.period} 学年诊断（{run.id}）", lang="zh")))
    g.add((r, RDFS.label, Literal(f"Diagnosis of {run.period} ({run.id})", lang="en")))
    g.add((r, ZG.academicYear, Literal(run.period)))
    g.add((r, ZG.engine, Literal(run.engine)))
    g.add((r, ZG.shapesGraph, run.shapes_graph))
    g.add((r, PROV.startedAtTime, Literal(run.started.isoformat(), datatype=XSD.dateTime)))
    g.add((r, PROV.endedAtTime, Literal(run.ended.isoformat(), datatype=XSD.dateTime)))
    g.add((r, PROV.used, run.shapes_graph))
    for used in store.named_graphs():
        name = str(used)
        if (
            name.endswith((f"/observations/{run.period}", f"/targets/{run.period}"))
            or "/graph/catalogue/" in name
            or name.endswith("/graph/rules")
        ):
            g.add((r, PROV.used, used))
    if run.level is not None:
        g.add((r, ZG.levelFilter, LEVELS[run.level][1]))
    if run.previous is not None:
        g.add((r, ZG.previousRun, run.previous))
    report = iri("run", run.id, "report")
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(not run.gaps)))
    from zhengai.reports import indicator_labels, personal_subjects, rows_literal  # reports reads runs here

    rows = rows_literal([*run.gaps, *run.closed], indicator_labels(store), personal_subjects(store))
    g.add((report, ZG.gapRows, rows))
    g.add((report, PROV.wasGeneratedBy, r))
    return g


BOUND_COMPONENT = {
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
}


def component_of(standard: Standard, name: str, band: Band | None) -> URIRef:
    """The SHACL constraint component a gap's property shape used (sh:sourceConstraintComponent)."""
    if name == "missing":
        return SH.MinCountConstraintComponent
    if band is None or standard.kind == "words":
        return SH.InConstraintComponent
    if band.low is not None and band.high is not None:
        return SH.OrConstraintComponent
    if band.high is not None:
        return BOUND_COMPONENT[SH.minExclusive if band.high_closed else SH.minInclusive]
    return BOUND_COMPONENT[SH.maxExclusive if band.low_closed else SH.maxInclusive]


def _decimal(value: Decimal) -> Literal:
    return Literal(format(value.normalize(), "f"), datatype=XSD.decimal)


def gap_triples(run: Run) -> Iterator[tuple[Node, Node, Node]]:
    """Every gap of the run. An open gap *is* its SHACL validation result (one resource, typed
    both), listed by the report; a closed gap points at the gap it closes."""
    report = iri("run", run.id, "report")
    memo: dict[object, Literal] = {}

    def literal(value: object) -> Literal:  # thresholds, units and the period repeat: build once
        found = memo.get(value)
        if found is None:
            found = memo[value] = _decimal(value) if isinstance(value, Decimal) else Literal(value)
        return found

    for gap in run.gaps:
        node = gap.iri
        yield report, SH.result, node
        yield node, RDF.type, SH.ValidationResult
        yield node, RDF.type, ZG.Gap
        yield node, SH.focusNode, gap.focus  # type: ignore[misc]
        yield node, SH.resultPath, ZG.value
        yield node, SH.resultSeverity, gap.severity  # type: ignore[misc]
        yield node, SH.sourceShape, gap.source_shape  # type: ignore[misc]
        yield node, SH.sourceConstraintComponent, gap.component  # type: ignore[misc]
        if gap.value is not None:
            yield node, SH.value, gap.value
        yield node, SH.resultMessage, Literal(gap.message_zh, lang="zh")
        yield node, SH.resultMessage, Literal(gap.message_en, lang="en")
        yield node, ZG.grade, gap.grade  # type: ignore[misc]
        if gap.threshold is not None:
            yield node, ZG.threshold, literal(gap.threshold)
        if gap.unit is not None:
            yield node, ZG.thresholdUnit, literal(gap.unit)
        yield from _gap_common(run, gap, literal)
    for gap in run.closed:
        yield gap.iri, RDF.type, ZG.Gap
        yield gap.iri, ZG.message, Literal(gap.message_zh, lang="zh")
        yield gap.iri, ZG.message, Literal(gap.message_en, lang="en")
        yield from _gap_common(run, gap, literal)


def _gap_common(
    run: Run, gap: Gap, literal: Callable[[object], Literal]
) -> Iterator[tuple[Node, Node, Node]]:
    node = gap.iri
    yield node, ZG.run, run.iri
    yield node, DCTERMS.identifier, Literal(gap.id)
    yield node, ZG.indicator, gap.indicator
    yield node, ZG.subject, gap.subject
    yield node, ZG.academicYear, literal(gap.period)
    yield node, ZG.status, STATUS[gap.status]
    if gap.trend is not None:
        yield node, ZG.trend, TRENDS[gap.trend]
    if gap.previous is not None:
        yield node, ZG.previousGap, gap.previous
    if gap.suggested_target is not None:
        yield node, ZG.suggestedTarget, literal(gap.suggested_target)
    for part in gap.constituents:
        yield node, ZG.constituentGap, part
