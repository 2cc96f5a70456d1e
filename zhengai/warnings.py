"""Warnings over indicators and years (专业预警), as SHACL-SPARQL shapes over a run's results.

Each tier of a loaded warning rule (``loaders/rules.py``) becomes a node shape targeting the
subjects of its level, with one ``sh:sparql`` constraint whose ``sh:select`` is a packaged query:
``queries/warning_k_of_n.rq``, ``warning_consecutive.rq`` or ``warning_rank.rq``. The queries read
the rule's parameters (indicators, k, periods, share, which severities count) from the tier, as
data; the shapes go into the run's shapes graph beside the indicator standards.

They are evaluated after the period's indicator diagnosis, by plain pyshacl, over a small data
graph: the subjects of the level, this run's gaps, the latest earlier runs' open gaps, and the
observed values of the rank rules' indicators. Each result is a gap of the subject
(``2025/专业预警-建设/510202``), listing the gaps it is made of, owned like any gap: the rule has a
level, a vertical system and optionally a 责任部门, as an indicator has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import BNode, Graph, Literal, URIRef

from zhengai import query_registry
from zhengai.criteria import threshold_text
from zhengai.namespaces import RDF, RDFS, SH, XSD, ZG, graph, iri
from zhengai.store import GraphStore

QUERY_OF_KIND = {"k-of-n": "warning_k_of_n", "consecutive": "warning_consecutive", "rank": "warning_rank"}
SEVERITY_TEXT = {SH.Violation: ("红色预警", "red warning"), SH.Warning: ("黄色预警", "yellow warning")}
LEVEL_EN = {"学校": "School", "专业": "Major", "课程": "Course", "教师": "Teacher", "学生": "Student"}


@dataclass
class Tier:
    rule: URIRef
    code: str
    name: str
    level: URIRef
    level_name: str
    iri: URIRef
    tier_code: str
    kind: str
    severity: URIRef
    indicators: list[URIRef] = field(default_factory=list)
    counts: set[URIRef] = field(default_factory=set)
    k: int | None = None
    periods: int | None = None
    share: Decimal | None = None

    @property
    def shape(self) -> URIRef:
        return iri("shape", "warning", *self.tier_code.split("/"))


def tiers(store: GraphStore) -> list[Tier]:
    """Every loaded rule tier (none when no rules file is loaded)."""
    out: dict[URIRef, Tier] = {}
    for r in store.select(query_registry.get("warning_rules").text):
        tier = out.get(r["tier"])  # type: ignore[arg-type]
        if tier is None:
            tier = out[r["tier"]] = Tier(  # type: ignore[index]
                rule=r["rule"],  # type: ignore[arg-type]
                code=str(r["code"]),
                name=str(r["name"]),
                level=r["level"],  # type: ignore[arg-type]
                level_name=str(r["levelName"]),
                iri=r["tier"],  # type: ignore[arg-type]
                tier_code=str(r["tierCode"]),
                kind=str(r["kind"]),
                severity=r["severity"],  # type: ignore[arg-type]
                k=int(r["k"]) if "k" in r else None,  # type: ignore[call-overload]
                periods=int(r["periods"]) if "periods" in r else None,  # type: ignore[call-overload]
                share=Decimal(str(r["share"])) if "share" in r else None,
            )
        if r["indicator"] not in tier.indicators:
            tier.indicators.append(r["indicator"])  # type: ignore[arg-type]
            tier.indicators.sort(key=str)
        tier.counts.add(r["counts"])  # type: ignore[arg-type]
    return list(out.values())


SUBJECT_CLASS = {
    "学校": ZG.School,
    "专业": ZG.Major,
    "课程": ZG.Course,
    "教师": ZG.Teacher,
    "学生": ZG.Student,
}


def _message(t: Tier) -> tuple[str, str]:
    sev_zh, sev_en = SEVERITY_TEXT[t.severity]
    if t.kind == "k-of-n":
        return (
            f"{len(t.indicators)} 项指标中至少 {t.k} 项未达标（{sev_zh}）",
            f"at least {t.k} of {len(t.indicators)} indicators fail ({sev_en})",
        )
    if t.kind == "consecutive":
        return f"连续 {t.periods} 个学年未达标（{sev_zh}）", f"fails {t.periods} periods in a row ({sev_en})"
    share = threshold_text(t.share or Decimal(0), "percent")
    return f"位于末位 {share}（{sev_zh}）", f"in the bottom {share} ({sev_en})"


def shapes(all_tiers: list[Tier], period: int) -> Graph:
    """The SHACL-SPARQL shapes of every tier for ``period``."""
    g = Graph()
    for t in all_tiers:
        cls = SUBJECT_CLASS[t.level_name]
        s = t.shape
        g.add((s, RDF.type, SH.NodeShape))
        g.add((s, RDF.type, ZG.WarningRuleShape))
        g.add((s, RDFS.label, Literal(f"预警规则「{t.name}」（{t.tier_code}）", lang="zh")))
        g.add((s, RDFS.label, Literal(f"Warning rule '{t.name}' ({t.tier_code})", lang="en")))
        g.add((s, SH.targetClass, cls))
        g.add((s, SH.severity, t.severity))
        g.add((s, ZG.standardOf, t.rule))
        g.add((s, ZG.ruleTier, t.iri))
        g.add((s, ZG.academicYear, Literal(period)))
        constraint = BNode()
        g.add((s, SH.sparql, constraint))
        g.add((constraint, RDF.type, SH.SPARQLConstraint))
        g.add((constraint, SH.select, Literal(query_registry.get(QUERY_OF_KIND[t.kind]).text)))
        zh, en = _message(t)
        g.add((constraint, SH.message, Literal(f"触发预警规则「{t.name}」：{zh}", lang="zh")))
        g.add((constraint, SH.message, Literal(f"warning rule '{t.name}': {en}", lang="en")))
    return g


@dataclass(frozen=True)
class GapFact:
    """What a rule needs to know of one gap."""

    iri: URIRef
    indicator: URIRef
    subject: URIRef
    period: int
    severity: URIRef


@dataclass
class RuleResult:
    tier: Tier
    subject: URIRef
    value: Literal | None
    constituents: list[URIRef]


def data_graph(
    store: GraphStore,
    all_tiers: list[Tier],
    rule_shapes: Graph,
    period: int,
    facts: list[GapFact],
    directions: dict[URIRef, str],
    subjects: dict[URIRef, list[URIRef]],
) -> Graph:
    """What the rule shapes validate: parameters, subjects, gaps and the rank rules' values."""
    g = Graph()
    for t in all_tiers:
        for p, o in rule_shapes.predicate_objects(t.shape):
            if p in (ZG.ruleTier, ZG.academicYear):
                g.add((t.shape, p, o))
        for ind in t.indicators:
            g.add((t.iri, ZG.ruleIndicator, ind))
            if ind in directions:
                g.add((ind, ZG.direction, Literal(directions[ind])))
        for sev in t.counts:
            g.add((t.iri, ZG.ruleCounts, sev))
        for p, value in ((ZG.ruleMinCount, t.k), (ZG.rulePeriods, t.periods)):
            if value is not None:
                g.add((t.iri, p, Literal(value)))
        if t.share is not None:
            g.add((t.iri, ZG.ruleShare, Literal(format(t.share, "f"), datatype=XSD.decimal)))
    for cls, members in subjects.items():
        for s in members:
            g.add((s, RDF.type, cls))
    for f in facts:
        g.add((f.iri, ZG.subject, f.subject))
        g.add((f.iri, ZG.indicator, f.indicator))
        g.add((f.iri, ZG.academicYear, Literal(f.period)))
        g.add((f.iri, SH.resultSeverity, f.severity))
    query = query_registry.get("observed_values")
    for ind in {i for t in all_tiers if t.kind == "rank" for i in t.indicators}:
        rows = store.select(
            query.text,
            query.bindings({"observations": str(graph(f"observations/{period}")), "indicator": str(ind)}),
        )
        for r in rows:
            g.add((r["obs"], ZG.subject, r["subject"]))  # type: ignore[arg-type]
            g.add((r["obs"], ZG.indicator, ind))  # type: ignore[arg-type]
            g.add((r["obs"], ZG.academicYear, Literal(period)))  # type: ignore[arg-type]
            g.add((r["obs"], ZG.value, r["value"]))  # type: ignore[arg-type]
    return g


def prepare(store: GraphStore, period: int, level: str | None = None) -> tuple[list[Tier], Graph]:
    """The tiers that apply (those of ``level``, or all) and their shapes for ``period``."""
    all_tiers = [t for t in tiers(store) if level is None or t.level_name == level]
    return all_tiers, shapes(all_tiers, period)


def evaluate(
    store: GraphStore,
    period: int,
    all_tiers: list[Tier],
    rule_shapes: Graph,
    facts: list[GapFact],
    directions: dict[URIRef, str],
) -> list[RuleResult]:
    """The subjects that break the rule shapes (plain pyshacl over ``data_graph``)."""
    import pyshacl

    if not all_tiers:
        return []
    subjects: dict[URIRef, list[URIRef]] = {}
    for cls in set(rule_shapes.objects(None, SH.targetClass)):
        subjects[cls] = subjects_of_class(store, cls)  # type: ignore[index, arg-type]
    data = data_graph(store, all_tiers, rule_shapes, period, facts, directions, subjects)
    _, report, _ = pyshacl.validate(
        data, shacl_graph=rule_shapes, inference="none", advanced=True, allow_warnings=True
    )
    by_shape = {t.shape: t for t in all_tiers}
    results = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        t = by_shape[report.value(node, SH.sourceShape)]  # type: ignore[index]
        subject: URIRef = report.value(node, SH.focusNode)  # type: ignore[assignment]
        value = report.value(node, SH.value)
        results.append(RuleResult(t, subject, value, _constituents(t, subject, period, facts)))  # type: ignore[arg-type]
    return results


def _constituents(t: Tier, subject: URIRef, period: int, facts: list[GapFact]) -> list[URIRef]:
    if t.kind == "rank":
        return []
    window = range(period - (t.periods or 1) + 1, period + 1)
    return sorted(
        f.iri
        for f in facts
        if f.subject == subject
        and f.indicator in t.indicators
        and f.severity in t.counts
        and f.period in window
    )


def subjects_of_class(store: GraphStore, cls: URIRef) -> list[URIRef]:
    query = query_registry.get("subjects_of_class")
    return [r["subject"] for r in store.select(query.text, query.bindings({"class": str(cls)}))]  # type: ignore[misc]


def message(
    r: RuleResult, period: int, subject_code: str, labels: dict[URIRef, str], failing: list[str] | None = None
) -> tuple[str, str]:
    """``专业 510202 2025 学年触发预警规则「…」：4 项指标中 2 项未达标（ZY-1.4.1-03、ZY-1.5.1-02）（红色预警）``;
    ``failing`` are the codes of the indicators that failed, ``labels`` name the rule's indicators."""
    t = r.tier
    head_zh = f"{t.level_name} {subject_code} {period} 学年触发预警规则「{t.name}」"
    head_en = f"{LEVEL_EN.get(t.level_name, '')} {subject_code}, {period}: warning rule '{t.name}'"
    sev_zh, sev_en = SEVERITY_TEXT[t.severity]
    codes = "、".join(labels.get(i, str(i).rsplit("/", 1)[-1]) for i in t.indicators)
    if t.kind == "k-of-n":
        n = int(r.value) if r.value is not None else len(r.constituents)  # type: ignore[call-overload]
        which = "、".join(failing or [])
        return (
            f"{head_zh}：{len(t.indicators)} 项指标中 {n} 项未达标（{which}）（{sev_zh}）",
            f"{head_en}: {n} of {len(t.indicators)} indicators fail ({which}) ({sev_en})",
        )
    if t.kind == "consecutive":
        return (
            f"{head_zh}：「{codes}」连续 {t.periods} 个学年未达标（{sev_zh}）",
            f"{head_en}: '{codes}' fails {t.periods} periods in a row ({sev_en})",
        )
    share = threshold_text(t.share or Decimal(0), "percent")
    shown = str(r.value) if r.value is not None else "—"
    if r.value is not None and r.value.datatype == XSD.decimal and Decimal(str(r.value)) <= 1:
        shown = threshold_text(Decimal(str(r.value)), "percent")
    return (
        f"{head_zh}：「{codes}」为 {shown}，位于末位 {share}（{sev_zh}）",
        f"{head_en}: '{codes}' is {shown}, in the bottom {share} ({sev_en})",
    )
