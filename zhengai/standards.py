"""Diagnostic standards of a period, compiled to SHACL shapes an auditor can read.

For each indicator: its criterion (``zhengai.criteria``), overridden by the yearly targets of the
period — a target for every subject replaces the catalogue lines of the indicator, a target for one
subject gets a standard of its own. Each standard becomes

* a class (``id/standard/{code}``, or ``…/{code}/{subject}``): the due items it applies to;
* a node shape (``id/shape/{code}[/{subject}]``) targeting that class, with named property shapes
  on ``zg:value``:

  - ``…/missing``: ``sh:minCount 1`` at ``sh:Info`` (a due observation was not reported);
  - ``…/unmet``: ``sh:in (true)`` (or ``(false)``) at ``sh:Violation`` for 有/无 and 是/否;
  - one shape per band of values that does not pass (``…/red``, ``…/yellow``, or ``…/yellow-1``,
    ``…/yellow-2`` … on a longer scale), at ``sh:Violation`` (红色预警) or ``sh:Warning`` (黄色预警).
    Its constraint holds for every value *outside* the band: ``sh:minInclusive`` the C line for a
    higher-is-better bottom band, ``sh:maxInclusive`` the line for a lower-is-better top band
    (生师比 ≤ 18:1), ``sh:or ([sh:minInclusive A line] [sh:maxExclusive C line])`` for a band in
    the middle — so one value gives one result, with the band's grade;
  - for grade words (优秀/良好/合格/不合格): ``sh:in`` the other words, one shape per failing word.

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
from zhengai.criteria import (
    LINE_KEYS,
    Band,
    Criterion,
    NotCheckable,
    Unit,
    compile_indicator,
    reading,
    threshold_text,
    two_line_bands,
)
from zhengai.errors import Location, Problem
from zhengai.frequency import every_years, is_due
from zhengai.loaders.observations import is_percent
from zhengai.namespaces import LEVELS, RDF, RDFS, SH, SKOS, XSD, ZG, graph, iri
from zhengai.store import GraphStore

Kind = Lit["evidence", "boolean", "graded", "words", "none"]
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
    lines: tuple[tuple[str, str], ...] = ()  # (target|warning|bottom, cell text) from catalogue columns
    direction_text: str | None = None
    frequency: str | None = None  # 监测时间及频率

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.level, "")

    @property
    def unit(self) -> Unit:
        return "percent" if is_percent(self.label, self.criterion, self.denominator) else "count"

    @property
    def school_wide(self) -> bool:
        """Whether its 统计数据分母 or 数据来源 names a school-wide total (全校…): then it is
        due once a period, for the school, not for every subject of its level."""
        return any(text and "全校" in text for text in (self.denominator, self.data_source))

    def compiled(self) -> Criterion:
        """The indicator's criterion (or its line columns); ``NotCheckable`` when neither reads."""
        return compile_indicator(
            self.criterion,
            dict(self.lines),
            self.direction_text,
            percent_hint=self.unit == "percent",
            name=self.label,
        )


@dataclass(frozen=True)
class Standard:
    """What one indicator (for one subject, or all) must meet in one period.

    ``bands`` (graded and grade-word standards) are the criterion's, or those of the yearly
    target; every band that does not pass becomes a property shape.
    """

    indicator: Indicator
    period: int
    kind: Kind
    origin: str  # catalogue, lines, target, default-scale, none
    expected: bool | None = None
    bands: tuple[Band, ...] = ()
    direction: str | None = None
    unit: Unit | None = None
    subject: URIRef | None = None
    subject_code: str | None = None
    criterion: Criterion | None = None
    unit_word: str = ""
    scale: Decimal = Decimal(1)

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

    @property
    def yellow(self) -> Decimal | None:
        """The pass line (A line, 目标值)."""
        return self._as_criterion().pass_line

    @property
    def red(self) -> Decimal | None:
        """Where red begins (C line, 底线值)."""
        return self._as_criterion().red_line

    def _as_criterion(self) -> Criterion:
        return Criterion(
            text="",
            kind="graded" if self.kind == "graded" else "words",
            bands=self.bands,
            direction=self.direction,
        )  # type: ignore[arg-type]

    def line(self, value: Decimal) -> str:
        return threshold_text(value, self.unit or self.indicator.unit, self.unit_word, self.scale)

    def failing(self) -> list[tuple[str, Band]]:
        """(property shape name, band) of every band that does not pass: ``red``, ``yellow`` —
        or ``yellow-1``, ``yellow-2`` … when a scale has several bands of one severity."""
        bands = [b for b in self.bands if b.severity != "pass"]
        counts: dict[str, int] = {}
        for b in bands:
            counts[b.severity] = counts.get(b.severity, 0) + 1
        seen: dict[str, int] = {}
        out = []
        for b in bands:
            seen[b.severity] = seen.get(b.severity, 0) + 1
            name = b.severity if counts[b.severity] == 1 else f"{b.severity}-{seen[b.severity]}"
            out.append((name, b))
        return out

    def threshold_of(self, band: Band) -> Decimal | None:
        """The line a value in ``band`` fell past: its edge toward the passing values."""
        if band.low is None:
            return band.high
        if band.high is None:
            return band.low
        return band.high if self.direction == "higher" else band.low


@dataclass
class Compiled:
    period: int
    standards: list[Standard] = field(default_factory=list)
    findings: list[Problem] = field(default_factory=list)
    not_due: list[str] = field(default_factory=list)  # codes of indicators not due this period


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
            lines=tuple((key, str(r[f"{key}Text"])) for key in LINE_KEYS if f"{key}Text" in r),
            direction_text=str(r["directionText"]) if "directionText" in r else None,
            frequency=str(r["frequency"]) if "frequency" in r else None,
        )
        for r in rows
    ]


def indicator_locations(store: GraphStore) -> dict[str, Location]:
    """Indicator code → the catalogue file, sheet and row it was loaded from."""
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
    origin = {"default-scale": "default-scale", "lines": "lines"}.get(criterion.origin, "catalogue")
    return Standard(
        ind,
        period,
        criterion.kind,
        origin,
        bands=criterion.bands,
        direction=criterion.direction,
        unit=criterion.unit if criterion.kind == "graded" else None,
        criterion=criterion,
        unit_word=criterion.unit_word,
        scale=criterion.scale,
    )


def _with_target(base: Standard, row: TargetRow) -> Standard:
    direction = base.direction if base.direction in ("higher", "lower") else "higher"
    bands = two_line_bands(
        direction,  # type: ignore[arg-type]
        row.target if row.target is not None else base.yellow,
        row.bottom if row.bottom is not None else base.red,
        ("A", "B", "C"),
    )
    return Standard(
        base.indicator,
        base.period,
        "graded",
        "target",
        bands=bands,
        direction=direction,
        unit=base.unit or base.indicator.unit,
        subject=row.subject,
        subject_code=row.subject_code,
        criterion=base.criterion,
        unit_word=base.unit_word,
        scale=base.scale,
    )


def _not_checkable(ind: Indicator, exc: NotCheckable, where: Location) -> Problem:
    hint_zh = f"（建议：{exc.hint_zh}）" if exc.hint_zh else ""
    hint_en = f" (hint: {exc.hint_en})" if exc.hint_en else ""
    return Problem(
        f"指标 {ind.code}「{ind.label}」的诊断标准不能机器检查：{exc.zh}；只检查是否缺数据{hint_zh}",
        f"indicator {ind.code} '{ind.label}': criterion not machine-checkable: {exc.en}; "
        f"only missing data is checked{hint_en}",
        where,
    )


def observation_periods(store: GraphStore) -> list[int]:
    """The academic years that have an observation graph."""
    names = [str(g) for g in store.named_graphs()]
    return sorted(int(m[1]) for n in names if (m := re.search(r"/graph/observations/(\d{4})$", n)))


def reported_periods(store: GraphStore, indicator: URIRef, periods: list[int] | None = None) -> set[int]:
    """The academic years (of ``periods``, default all loaded) in which ``indicator`` has observations."""
    query = query_registry.get("indicator_reported")
    return {
        p
        for p in (observation_periods(store) if periods is None else periods)
        if store.select(query.text, {"observations": graph(f"observations/{p}"), "indicator": indicator})
    }


def compile_period(store: GraphStore, period: int) -> Compiled:
    """Every indicator's standard for ``period``; rows that do not compile become findings."""
    out = Compiled(period)
    locations = indicator_locations(store)
    by_indicator = targets(store, period)
    loaded = observation_periods(store)
    for ind in indicators(store):
        where = locations.get(ind.code, Location())
        every = every_years(ind.frequency)
        if every > 1 and not is_due(period, every, reported_periods(store, ind.iri, loaded)):
            out.not_due.append(ind.code)
            out.findings.append(
                Problem(
                    f"指标 {ind.code}「{ind.label}」每 {every} 年监测一次（{ind.frequency}），{period} 学年不到期，不诊断",
                    f"indicator {ind.code} '{ind.label}' is due every {every} years ({ind.frequency}); "
                    f"not due in {period}, not diagnosed",
                    where,
                )
            )
            continue
        criterion: Criterion | None = None
        try:
            criterion = ind.compiled()
        except NotCheckable as exc:
            out.findings.append(_not_checkable(ind, exc, where))
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
        if rows and (base.kind != "graded" or base.direction == "within"):
            out.findings.append(
                Problem(
                    f"指标 {ind.code} 是有/无、是/否、等级或区间类标准，{period} 学年的目标值与底线值不适用，已忽略",
                    f"indicator {ind.code} is a yes/no, grade-word or range standard; the {period} targets do "
                    "not apply and are ignored",
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


LINE_MESSAGES = {  # severity → (zh, en), for the grade lines of a higher-is-better A/B/C scale
    "red": (
        "低于 C 档线 {line}，为 C 档（红色预警）",
        "below the grade C line {line}: grade C (red warning)",
    ),
    "yellow": (
        "低于 A 档线 {line}，为 B 档（黄色预警）",
        "below the grade A line {line}: grade B (yellow warning)",
    ),
}
SEVERITY_TEXT = {"red": ("红色预警", "red warning"), "yellow": ("黄色预警", "yellow warning")}


def _band_message(s: Standard, band: Band) -> tuple[str, str]:
    """Why a value in ``band`` is a gap: the line it fell past, its grade and severity."""
    sev_zh, sev_en = SEVERITY_TEXT[band.severity]
    if s.kind == "words":
        return f"为「{band.grade}」（{sev_zh}）", f"is '{band.grade}' ({sev_en})"
    threshold = s.threshold_of(band)
    assert threshold is not None
    line = s.line(threshold)
    below = band.high is not None and (band.low is None or s.direction == "higher")
    side_zh, side_en = ("低于", "below") if below else ("高于", "above")
    if band.high is not None and band.high_closed and below:
        side_zh, side_en = "不高于", "at or below"
    elif band.low is not None and band.low_closed and not below:
        side_zh, side_en = "不低于", "at or above"
    names = [b.grade for b in s.bands]
    if s.origin == "target":
        which = ("底线值", "bottom line") if band.severity == "red" else ("目标值", "target")
        return (
            f"{side_zh} {s.period} 学年{which[0]} {line}（{sev_zh}）",
            f"{side_en} the {s.period} {which[1]} {line} ({sev_en})",
        )
    if s.direction == "within":
        bound_zh, bound_en = ("下限", "lower limit") if below else ("上限", "upper limit")
        return f"{side_zh}{bound_zh} {line}（{sev_zh}）", f"{side_en} the {bound_en} {line} ({sev_en})"
    if s.origin == "lines":
        if band.severity == "red":
            return f"达到预警值 {line}（{sev_zh}）", f"reaches the warning value {line} ({sev_en})"
        return f"未达到目标值 {line}（{sev_zh}）", f"misses the target {line} ({sev_en})"
    if len(names) == 2 or names[0] in ("正常",):
        return f"{side_zh}标准线 {line}（{sev_zh}）", f"{side_en} the standard {line} ({sev_en})"
    latin = all(n[:1].isascii() for n in names)
    index = names.index(band.grade)
    line_grade = band.grade if index == len(names) - 1 else names[index - 1]
    if latin:
        if s.direction == "higher" and names[:3] == ["A", "B", "C"] and len(names) == 3:
            zh, en = LINE_MESSAGES[band.severity]
            return zh.format(line=line), en.format(line=line)
        g = band.grade
        return (
            f"{side_zh} {line_grade} 档线 {line}，为 {g} 档（{sev_zh}）",
            f"{side_en} the grade {line_grade} line {line}: grade {g} ({sev_en})",
        )
    return (
        f"{side_zh}「{line_grade}」线 {line}，为「{band.grade}」（{sev_zh}）",
        f"{side_en} the '{line_grade}' line {line}: '{band.grade}' ({sev_en})",
    )


def standard_message(s: Standard, which: str) -> tuple[str, str]:
    if which == "missing":
        source = s.indicator.data_source
        zh = "缺少状态数据" + (f"（数据来源：{source}）" if source else "")
        en = "no observation was reported" + (f" (data source: {source})" if source else "")
        return zh, en
    if which == "unmet":
        if s.kind == "evidence":
            return "应为「有」（红色预警）", "should be 有 (present) (red warning)"
        words = s.criterion.words if s.criterion is not None and s.criterion.words else ("是", "否")
        word = words[0] if s.expected else words[1]
        return (
            f"应为「{word}」（红色预警）",
            f"should be {word} ({'yes' if s.expected else 'no'}) (red warning)",
        )
    band = dict(s.failing())[which]
    return _band_message(s, band)


GRADES = {"A": ZG.GradeA, "B": ZG.GradeB, "C": ZG.GradeC}


def grade_node(name: str) -> URIRef:
    """The grade a band stands for: zg:GradeA/B/C, else ``id/grade/{name}``."""
    return GRADES.get(name, iri("grade", name))


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
    if s.origin == "target" or s.criterion is None:
        parts = []
        if s.yellow is not None:
            parts.append(("目标值 " if s.origin == "target" else "A 档线 ") + s.line(s.yellow))
        if s.red is not None:
            parts.append(("底线值 " if s.origin == "target" else "C 档线 ") + s.line(s.red))
        way = "（越低越好）" if s.direction == "lower" else ""
        zh = f"「{s.indicator.label}」{who}：{'，'.join(parts)}{way}（{s.period} 学年目标）"
        lines_en = ", ".join(
            p.replace("目标值", "target").replace("底线值", "bottom line").replace("档线", "line")
            for p in parts
        )
        return zh, f"'{s.indicator.label}'{who_en}: {lines_en}" + (" (lower is better)" if way else "")
    zh, en = reading(s.criterion)
    return f"「{s.indicator.label}」{who}：{zh}", f"'{s.indicator.label}'{who_en}: {en}"


def _band_constraint(g: Graph, node: BNode | URIRef, band: Band) -> list[BNode]:
    """The constraints a value outside ``band`` meets: below its low end, or above its high end."""
    options = []
    if band.high is not None:
        above = BNode()
        g.add((above, SH.minExclusive if band.high_closed else SH.minInclusive, _dec(band.high)))
        options.append(above)
    if band.low is not None:
        below = BNode()
        g.add((below, SH.maxExclusive if band.low_closed else SH.maxInclusive, _dec(band.low)))
        options.append(below)
    return options


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
    if s.direction is not None:
        g.add((s.cls, ZG.direction, Literal(s.direction)))
    if s.subject is not None:
        g.add((s.cls, ZG.standardSubject, s.subject))
    elif ind.school_wide:
        g.add((s.cls, ZG.dueOnce, Literal(True)))
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
    for name, band in s.failing():
        severity = SH.Violation if band.severity == "red" else SH.Warning
        grade = grade_node(band.grade)
        g.add((grade, RDF.type, ZG.Grade))
        g.add((grade, SKOS.notation, Literal(band.grade)))
        g.add((grade, RDFS.label, Literal(band.grade, lang="zh")))
        if s.kind == "words":
            ps = _property_shape(g, s, name, severity, grade)
            members = BNode()
            Collection(g, members, [Literal(b.grade) for b in s.bands if b is not band])
            g.add((ps, SH["in"], members))
            continue
        ps = _property_shape(g, s, name, severity, grade, s.threshold_of(band))
        options = _band_constraint(g, ps, band)
        if len(options) == 1:
            for p, o in g.predicate_objects(options[0]):
                g.add((ps, p, o))
            g.remove((options[0], None, None))
        else:
            listed = BNode()
            Collection(g, listed, options)
            g.add((ps, SH["or"], listed))


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
