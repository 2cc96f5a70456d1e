"""Diagnostic standards of a period, compiled to SHACL shapes an auditor can read.

For each indicator: its criterion (``zhengai.criteria``), overridden by the yearly targets of the
period — a target for every subject replaces the catalogue lines of the indicator, a target for one
subject gets a standard of its own. Each standard becomes

* a class (``id/standard/{code}``, or ``…/{code}/{subject}``): the due items it applies to;
* a node shape (``id/shape/{code}[/{subject}]``) targeting that class, with named property shapes
  on ``zg:value``:

  - ``…/missing``: ``sh:minCount 1`` at ``sh:Info`` (a due observation was not reported);
  - ``…/unmet``: ``sh:in (true)`` (or ``(false)``) at ``sh:Violation`` for 有/无 and 是/否;
  - ``…/red``: ``sh:minInclusive`` the C line or bottom line, at ``sh:Violation`` (红色预警);
  - ``…/yellow``: ``sh:or ([sh:minInclusive A line] [sh:maxExclusive C line])`` at
    ``sh:Warning`` (黄色预警) — one result per value: a red value is not also yellow.

Every property shape says its standard in ``sh:message`` (zh and en); the diagnosis adds the
subject, value and period when it turns a result into a gap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal as Lit

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from zhengai import query_registry
from zhengai.criteria import Criterion, NotCheckable, Unit, compile_criterion, threshold_text
from zhengai.errors import Location, Problem
from zhengai.loaders.observations import is_percent
from zhengai.namespaces import LEVELS, RDF, RDFS, SH, SKOS, XSD, ZG, iri
from zhengai.store import GraphStore

Kind = Lit["evidence", "boolean", "graded", "none"]
LEVEL_NAMES = {node: name for name, (_, node) in LEVELS.items()}
LEVEL_EN = {"学校": "School", "专业": "Major", "课程": "Course", "教师": "Teacher", "学生": "Student"}


@dataclass(frozen=True)
class Indicator:
    iri: URIRef
    code: str
    label: str
    level: URIRef
    system: URIRef | None
    criterion: str | None
    denominator: str | None
    data_source: str | None

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.level, "")

    @property
    def unit(self) -> Unit:
        return "percent" if is_percent(self.label, self.criterion, self.denominator) else "count"


@dataclass(frozen=True)
class Standard:
    """What one indicator (for one subject, or all) must meet in one period."""

    indicator: Indicator
    period: int
    kind: Kind
    origin: str  # catalogue, target, default-scale, none
    expected: bool | None = None
    yellow: Decimal | None = None  # below: B / below target
    red: Decimal | None = None  # below: C / below the bottom line
    unit: Unit | None = None
    subject: URIRef | None = None
    subject_code: str | None = None
    criterion: Criterion | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        return (
            (self.indicator.code,) if self.subject_code is None else (self.indicator.code, self.subject_code)
        )

    @property
    def cls(self) -> URIRef:
        return iri("standard", *self.parts)

    @property
    def shape(self) -> URIRef:
        return iri("shape", *self.parts)

    def property_shape(self, name: str) -> URIRef:
        return iri("shape", *self.parts, name)

    def line(self, value: Decimal) -> str:
        return threshold_text(value, self.unit or self.indicator.unit)


@dataclass
class Compiled:
    period: int
    standards: list[Standard] = field(default_factory=list)
    findings: list[Problem] = field(default_factory=list)


# -- reading what the standards are made of -------------------------------------------------------


def one_line(text: str) -> str:
    """A cell's text on one line: a line break inside a cell is layout, not content."""
    return re.sub(r"\s*\n\s*", "", text).strip()


def indicators(store: GraphStore) -> list[Indicator]:
    rows = store.select(query_registry.get("indicators").text)
    return [
        Indicator(
            iri=r["indicator"],  # type: ignore[arg-type]
            code=str(r["code"]),
            label=one_line(str(r["label"])),
            level=r["level"],  # type: ignore[arg-type]
            system=r.get("system"),  # type: ignore[arg-type]
            criterion=str(r["criterion"]) if "criterion" in r else None,
            denominator=str(r["denominator"]) if "denominator" in r else None,
            data_source=str(r["dataSource"]) if "dataSource" in r else None,
        )
        for r in rows
    ]


def _locations(store: GraphStore) -> dict[str, Location]:
    out = {}
    for r in store.select(query_registry.get("indicator_sources").text):
        row = r.get("row")
        out[str(r["code"])] = Location(
            str(r["file"]) if "file" in r else None,
            str(r["sheet"]) if "sheet" in r else None,
            int(row) if row is not None else None,  # type: ignore[arg-type]
            "诊断标准",
        )
    return out


@dataclass(frozen=True)
class TargetRow:
    subject: URIRef | None
    subject_code: str | None
    target: Decimal | None
    bottom: Decimal | None


def targets(store: GraphStore, period: int) -> dict[URIRef, list[TargetRow]]:
    query = query_registry.get("targets_of_period")
    out: dict[URIRef, list[TargetRow]] = {}
    for r in store.select(query.text, query.bindings({"period": str(period)})):
        out.setdefault(r["indicator"], []).append(  # type: ignore[arg-type]
            TargetRow(
                r.get("subject"),  # type: ignore[arg-type]
                str(r["subjectCode"]) if "subjectCode" in r else None,
                Decimal(str(r["targetValue"])) if "targetValue" in r else None,
                Decimal(str(r["bottomLine"])) if "bottomLine" in r else None,
            )
        )
    return out


# -- compiling ------------------------------------------------------------------------------------


def _from_criterion(ind: Indicator, period: int, criterion: Criterion | None) -> Standard:
    if criterion is None:
        return Standard(ind, period, "none", "none")
    if criterion.kind in ("evidence", "boolean"):
        return Standard(
            ind, period, criterion.kind, "catalogue", expected=criterion.expected, criterion=criterion
        )
    return Standard(
        ind,
        period,
        "graded",
        "default-scale" if criterion.default_scale else "catalogue",
        yellow=criterion.a_line,
        red=criterion.c_line,
        unit=criterion.unit,
        criterion=criterion,
    )


def _with_target(base: Standard, row: TargetRow) -> Standard:
    return Standard(
        base.indicator,
        base.period,
        "graded",
        "target",
        yellow=row.target if row.target is not None else base.yellow,
        red=row.bottom if row.bottom is not None else base.red,
        unit=base.unit or base.indicator.unit,
        subject=row.subject,
        subject_code=row.subject_code,
        criterion=base.criterion,
    )


def compile_period(store: GraphStore, period: int) -> Compiled:
    """Every indicator's standard for ``period``; rows that do not compile become findings."""
    out = Compiled(period)
    locations = _locations(store)
    by_indicator = targets(store, period)
    for ind in indicators(store):
        where = locations.get(ind.code, Location())
        criterion: Criterion | None = None
        try:
            criterion = compile_criterion(ind.criterion)
        except NotCheckable as exc:
            out.findings.append(
                Problem(
                    f"指标 {ind.code}「{ind.label}」的诊断标准不能机器检查：{exc.zh}；只检查是否缺数据",
                    f"indicator {ind.code} '{ind.label}': criterion not machine-checkable: {exc.en}; "
                    "only missing data is checked",
                    where,
                )
            )
        base = _from_criterion(ind, period, criterion)
        if criterion is not None and criterion.default_scale:
            out.findings.append(
                Problem(
                    f"指标 {ind.code}「{ind.label}」是比率，未写档次线，按默认档次线（A:90%以上 B:70%-90% C:70%以下）诊断",
                    f"indicator {ind.code} '{ind.label}' is a ratio without grade lines; graded on the default "
                    "scale (A ≥ 90%, B ≥ 70%, C below)",
                    where,
                )
            )
        rows = by_indicator.get(ind.iri, [])
        if rows and base.kind in ("evidence", "boolean"):
            out.findings.append(
                Problem(
                    f"指标 {ind.code} 是有/无或是/否类标准，{period} 学年的目标值与底线值不适用，已忽略",
                    f"indicator {ind.code} is a yes/no standard; the {period} targets do not apply and are ignored",
                    where,
                )
            )
            rows = []
        for row in rows:
            if row.subject is None:
                base = _with_target(base, row)
        out.standards.append(base)
        for row in rows:
            if row.subject is not None:
                out.standards.append(_with_target(base, row))
    return out


# -- SHACL ----------------------------------------------------------------------------------------


def _dec(value: Decimal) -> Literal:
    return Literal(format(value.normalize(), "f"), datatype=XSD.decimal)


LINE_MESSAGES = {  # (which line, from a yearly target?) → (zh, en)
    ("red", True): (
        "低于 {period} 学年底线值 {line}（红色预警）",
        "below the {period} bottom line {line} (red warning)",
    ),
    ("red", False): (
        "低于 C 档线 {line}，为 C 档（红色预警）",
        "below the grade C line {line}: grade C (red warning)",
    ),
    ("yellow", True): (
        "低于 {period} 学年目标值 {line}（黄色预警）",
        "below the {period} target {line} (yellow warning)",
    ),
    ("yellow", False): (
        "低于 A 档线 {line}，为 B 档（黄色预警）",
        "below the grade A line {line}: grade B (yellow warning)",
    ),
}


def standard_message(s: Standard, which: str) -> tuple[str, str]:
    period = s.period
    if which == "missing":
        source = s.indicator.data_source
        zh = "缺少状态数据" + (f"（数据来源：{source}）" if source else "")
        en = "no observation was reported" + (f" (data source: {source})" if source else "")
        return zh, en
    if which == "unmet":
        if s.kind == "evidence":
            return "应为「有」（红色预警）", "should be 有 (present) (red warning)"
        word = "是" if s.expected else "否"
        return (
            f"应为「{word}」（红色预警）",
            f"should be {word} ({'yes' if s.expected else 'no'}) (red warning)",
        )
    threshold = s.red if which == "red" else s.yellow
    assert threshold is not None
    zh, en = LINE_MESSAGES[(which, s.origin == "target")]
    return zh.format(period=period, line=s.line(threshold)), en.format(period=period, line=s.line(threshold))


def _property_shape(
    g: Graph, s: Standard, name: str, severity: URIRef, grade: URIRef, threshold: Decimal | None = None
) -> URIRef:
    ps = s.property_shape(name)
    g.add((s.shape, SH.property, ps))
    g.add((ps, RDF.type, SH.PropertyShape))
    g.add((ps, SH.path, ZG.value))
    g.add((ps, SH.severity, severity))
    g.add((ps, ZG.grade, grade))
    zh, en = standard_message(s, name)
    g.add((ps, SH.message, Literal(zh, lang="zh")))
    g.add((ps, SH.message, Literal(en, lang="en")))
    if threshold is not None:
        g.add((ps, ZG.threshold, _dec(threshold)))
        g.add((ps, ZG.thresholdUnit, Literal(s.unit or s.indicator.unit)))
    return ps


def _describe(s: Standard) -> tuple[str, str]:
    who = "" if s.subject_code is None else f"（对象 {s.subject_code}）"
    who_en = "" if s.subject_code is None else f" (subject {s.subject_code})"
    if s.kind == "none":
        return f"「{s.indicator.label}」：无可检查的诊断标准，只检查是否缺数据", (
            f"'{s.indicator.label}': no checkable criterion; missing data only"
        )
    if s.kind in ("evidence", "boolean"):
        return f"「{s.indicator.label}」：{s.criterion.text if s.criterion else ''}", (
            f"'{s.indicator.label}': yes/no standard"
        )
    parts = []
    if s.yellow is not None:
        parts.append(("目标值 " if s.origin == "target" else "A 档线 ") + s.line(s.yellow))
    if s.red is not None:
        parts.append(("底线值 " if s.origin == "target" else "C 档线 ") + s.line(s.red))
    where = f"{s.period} 学年目标" if s.origin == "target" else "指标表"
    zh = f"「{s.indicator.label}」{who}：{'，'.join(parts)}（{where}）"
    lines_en = ", ".join(
        p.replace("目标值", "target").replace("底线值", "bottom line").replace("档线", "line") for p in parts
    )
    return zh, f"'{s.indicator.label}'{who_en}: {lines_en}"


def add_standard(g: Graph, s: Standard) -> None:
    """The class and the shapes of one standard."""
    ind = s.indicator
    g.add((s.cls, RDF.type, RDFS.Class))
    g.add((s.cls, RDF.type, ZG.SubjectStandard if s.subject is not None else ZG.IndicatorStandard))
    g.add((s.cls, ZG.standardOf, ind.iri))
    g.add((s.cls, ZG.level, ind.level))
    g.add((s.cls, SKOS.notation, Literal(ind.code)))
    g.add((s.cls, ZG.standardOrigin, Literal(s.origin)))
    g.add((s.cls, ZG.academicYear, Literal(s.period)))
    if s.subject is not None:
        g.add((s.cls, ZG.standardSubject, s.subject))
    zh, en = _describe(s)
    g.add((s.cls, RDFS.label, Literal(f"应报数据：{zh}", lang="zh")))
    g.add((s.cls, RDFS.label, Literal(f"Due items: {en}", lang="en")))

    g.add((s.shape, RDF.type, SH.NodeShape))
    g.add((s.shape, RDFS.label, Literal(zh, lang="zh")))
    g.add((s.shape, RDFS.label, Literal(en, lang="en")))
    if s.criterion is not None:
        g.add((s.shape, RDFS.comment, Literal(s.criterion.text)))
    g.add((s.shape, ZG.standardOf, ind.iri))
    g.add((s.shape, SH.targetClass, s.cls))

    _property_shape(g, s, "missing", SH.Info, ZG.MissingData)
    g.add((s.property_shape("missing"), SH.minCount, Literal(1)))
    if s.kind in ("evidence", "boolean"):
        ps = _property_shape(g, s, "unmet", SH.Violation, ZG.Unmet)
        members = BNode()
        Collection(g, members, [Literal(bool(s.expected))])
        g.add((ps, SH["in"], members))
        return
    if s.red is not None:
        ps = _property_shape(g, s, "red", SH.Violation, ZG.GradeC, s.red)
        g.add((ps, SH.minInclusive, _dec(s.red)))
    if s.yellow is not None:
        ps = _property_shape(g, s, "yellow", SH.Warning, ZG.GradeB, s.yellow)
        if s.red is None:
            g.add((ps, SH.minInclusive, _dec(s.yellow)))
            return
        above = BNode()
        g.add((above, SH.minInclusive, _dec(s.yellow)))
        below_red = BNode()
        g.add((below_red, SH.maxExclusive, _dec(s.red)))
        options = BNode()
        Collection(g, options, [above, below_red])
        g.add((ps, SH["or"], options))


def shapes_graph(standards: Iterable[Standard]) -> Graph:
    g = Graph()
    bind_prefixes(g)
    for s in standards:
        add_standard(g, s)
    return g


def bind_prefixes(g: Graph) -> None:
    g.bind("sh", SH)
    g.bind("zg", ZG)
    g.bind("skos", SKOS)
    g.bind("standard", iri("standard", ""))
    g.bind("shape", iri("shape", ""))
    g.bind("indicator", iri("indicator", ""))
