"""Observations (状态数据) and yearly targets (目标值/底线值), both in long format.

Observations: 指标 (code, or checkpoint text unique within its level), 对象 (subject code; blank or
the 学校代码 for school-level indicators), 学年, 值, optional 分子/分母, 数据来源, 采集时间.
Targets: 指标, 对象 (blank = every subject), 学年, 目标值, 底线值. One graph per academic year.

Values are normalised: ``65%`` and, for a percentage indicator, a bare ``65`` both become 0.65;
有/无 and 是/否 become booleans; the text as written is kept in ``zg:rawValue``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, XSD

from zhengai.criteria import Criterion, NotCheckable, compile_indicator
from zhengai.criteria.values import BadObservedValue, grade_word, yes_no_value
from zhengai.criteria.values import number as observed_number
from zhengai.errors import Location
from zhengai.namespaces import LEVELS, RDF, ZG, graph, iri
from zhengai.store.pending import PendingGraph

from .base import (
    BadValue,
    LoadResult,
    Problems,
    annotate_source,
    decimal_literal,
    nfkc,
    parse_academic_year,
    parse_cell,
    parse_date,
    parse_decimal,
    plain,
)
from .catalogue import level_from_text
from .headers import with_synonyms
from .table import Cell, Column, RawSheet, TableRow, cell_text, header_score, read_table

OBSERVATION_COLUMNS = (
    Column("indicator", ("指标", "指标编码", "监测点", "质控点"), required=True),
    Column("subject", ("对象", "对象编码", "对象代码")),
    Column("year", ("学年", "年度", "学年度")),
    Column("value", ("值", "数值", "实际值", "观测值")),
    Column("numerator", ("分子",)),
    Column("denominator", ("分母",)),
    Column("source", ("数据来源",)),
    Column("collected", ("采集时间", "采集日期")),
    Column("level", ("层面",)),
)
TARGET_COLUMNS = (
    Column("indicator", ("指标", "指标编码", "监测点", "质控点"), required=True),
    Column("subject", ("对象", "对象编码", "对象代码")),
    Column("year", ("学年", "年度", "学年度")),
    Column("target", ("目标值", "年度目标值")),
    Column("bottom", ("底线值", "底线")),
    Column("level", ("层面",)),
)
PERCENT_WORDS = ("率", "占比", "比例", "%")
_HIGHER = Criterion(text="", kind="graded", direction="higher")


def is_percent(label: str, criterion: str | None, denominator: str | None) -> bool:
    """Whether an indicator's values are percentages (stored as fractions): it has a denominator,
    or its label or criterion speaks of a rate, share or %. The diagnosis formats by the same rule."""
    text = f"{label} {criterion or ''}"
    return bool(denominator) or any(w in text for w in PERCENT_WORDS)


def observations_graph(year: int) -> URIRef:
    return graph(f"observations/{year}")


def targets_graph(year: int) -> URIRef:
    return graph(f"targets/{year}")


SCHOOL_PREFIX = str(iri("school", ""))


@dataclass
class IndicatorInfo:
    iri: URIRef
    code: str
    level: str  # 学校/专业/…
    label: str
    criterion: str | None
    denominator: str | None
    lines: dict[str, str] = field(default_factory=dict)
    direction_text: str | None = None
    data_source: str | None = None
    _compiled: Criterion | bool | None = field(default=False, repr=False)

    @property
    def is_percent(self) -> bool:
        return is_percent(self.label, self.criterion, self.denominator)

    @property
    def school_wide(self) -> bool:
        """A school-wide total (全校… in its 统计数据分母 or 数据来源): due once, for the school
        (zhengai.standards.Indicator.school_wide)."""
        return any(text and "全校" in text for text in (self.denominator, self.data_source))

    def compiled(self) -> Criterion | None:
        """The indicator's criterion, or None when it is not machine-checkable (read once)."""
        if self._compiled is False:
            try:
                self._compiled = compile_indicator(
                    self.criterion,
                    self.lines,
                    self.direction_text,
                    percent_hint=self.is_percent,
                    name=self.label,
                )
            except NotCheckable:
                self._compiled = None
        return self._compiled  # type: ignore[return-value]


@dataclass
class Lookup:
    """What a long-format load needs from the store: indicators, and subjects by code."""

    indicators: dict[str, IndicatorInfo] = field(default_factory=dict)
    by_text: dict[str, list[IndicatorInfo]] = field(default_factory=dict)
    subjects: dict[str, list[tuple[URIRef, URIRef]]] = field(default_factory=dict)  # code -> [(iri, class)]
    admits: dict[str, list[URIRef]] = field(default_factory=dict)  # level -> subject classes, in order
    schools: list[tuple[str, URIRef]] = field(default_factory=list)


def detect_score(sheets: list[RawSheet], columns: tuple[Column, ...], signature: tuple[str, ...]) -> int:
    return max((header_score(s, [c for c in columns if c.key in signature])[0] for s in sheets), default=0)


def load_observations(sheets: list[RawSheet], *, file: str, lookup: Lookup, period: int | None) -> LoadResult:
    columns = with_synonyms("observations", OBSERVATION_COLUMNS)
    return _load(sheets, file, lookup, period, columns, "observations", _observation)


def load_targets(sheets: list[RawSheet], *, file: str, lookup: Lookup, period: int | None) -> LoadResult:
    return _load(sheets, file, lookup, period, with_synonyms("targets", TARGET_COLUMNS), "targets", _target)


RowBuilder = Callable[
    [TableRow, IndicatorInfo, str, URIRef | None, int, Lookup, Problems], tuple[URIRef, Graph] | None
]


def _load(
    sheets: list[RawSheet],
    file: str,
    lookup: Lookup,
    period: int | None,
    columns: tuple[Column, ...],
    kind: str,
    build: RowBuilder,
) -> LoadResult:
    problems = Problems(file)
    if not lookup.indicators:
        problems.error(
            "数据存储中还没有指标表：请先加载指标表，再加载状态数据或目标值",
            "no indicator catalogue is loaded: load the catalogue before observations or targets",
            Location(file),
        )
        problems.raise_if_any()
    graphs: dict[URIRef, Graph] = {}
    seen: dict[tuple[str, str, int], TableRow] = {}
    rows_read = 0
    for sheet in sheets:
        if sheet.is_blank() and len(sheets) > 1:
            continue
        table = read_table(sheet, columns)
        if not table.has("year") and period is None:
            problems.error(
                "没有「学年」列：请增加该列，或在加载时用 --period 指定学年",
                "no 学年 column: add one, or give the academic year with --period",
                table.loc(),
            )
            continue
        for row in table.rows:
            rows_read += 1
            year = parse_cell(row, "year", parse_academic_year, problems) if table.has("year") else period
            if year is None:
                if table.has("year") and row.text("year") is None:
                    if period is None:
                        problems.error("「学年」不能为空", "学年 must not be blank", row.loc("year"))
                        continue
                    year = period
                else:
                    continue
            if period is not None and year != period:
                problems.error(
                    f"学年 {year} 与指定的 --period {period} 不一致",
                    f"academic year {year} differs from --period {period}",
                    row.loc("year"),
                )
                continue
            info = _indicator(row, lookup, problems)
            if info is None:
                continue
            subject = _subject(row, info, lookup, problems, allow_all=kind == "targets")
            if subject is False:
                continue
            subject_code = row.text("subject") or ("*" if kind == "targets" else lookup.schools[0][0])
            key = (info.code, subject_code, year)
            if key in seen:
                first = seen[key]
                problems.error(
                    f"同一指标、对象、学年重复（第 {first.number} 行已有）",
                    f"the same indicator, subject and year appear twice (already on row {first.number})",
                    row.loc("indicator"),
                )
                continue
            seen[key] = row
            target = observations_graph(year) if kind == "observations" else targets_graph(year)
            g = graphs.get(target)
            if g is None:  # written, not read: no rdflib indexes
                g = graphs[target] = PendingGraph()
            node = build(g, row, info, subject_code, subject or None, year, problems)
            if node is not None:
                annotate_source(g, node, row)
    problems.raise_if_any()
    return LoadResult(kind, graphs, rows_read, problems.findings)


def _indicator(row: TableRow, lookup: Lookup, problems: Problems) -> IndicatorInfo | None:
    text = row.text("indicator")
    if text is None:
        problems.error("「指标」不能为空", "指标 must not be blank", row.loc("indicator"))
        return None
    if text in lookup.indicators:
        return lookup.indicators[text]
    candidates = lookup.by_text.get(nfkc(text), [])
    level = level_from_text(row.text("level"))
    if level is not None:
        candidates = [c for c in candidates if c.level == level]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        problems.error(
            f"未知指标「{text}」：既不是已加载指标的编码，也不是某个监测点的原文",
            f"unknown indicator '{text}': neither a loaded indicator code nor the exact text of a checkpoint",
            row.loc("indicator"),
        )
    else:
        codes = "、".join(c.code for c in candidates[:5])
        problems.error(
            f"指标「{text}」对应多个指标（{codes}），请改用编码，或增加「层面」列",
            f"indicator '{text}' matches several indicators ({codes}); use the code, or add a 层面 column",
            row.loc("indicator"),
        )
    return None


def _subject(
    row: TableRow, info: IndicatorInfo, lookup: Lookup, problems: Problems, *, allow_all: bool
) -> URIRef | bool | None:
    """The subject IRI; None for "every subject" (targets only); False after an error."""
    code = row.text("subject")
    admitted = lookup.admits.get(info.level, [])
    if code is None:
        if allow_all:
            return None
        if info.level == "学校" and len(lookup.schools) == 1:
            return lookup.schools[0][1]
        problems.error(
            f"「对象」不能为空（{info.level}层面指标须写明对象编码）",
            f"对象 must not be blank (a {info.level}-level indicator needs a subject code)",
            row.loc("subject") if row.table.has("subject") else row.loc("indicator"),
        )
        return False
    candidates = lookup.subjects.get(code, [])
    for cls in admitted:
        for node, node_cls in candidates:
            if node_cls == cls:
                return node
    if candidates:
        problems.error(
            f"对象「{code}」不能作为{info.level}层面指标「{info.code}」的对象",
            f"subject '{code}' cannot be the subject of {info.level}-level indicator '{info.code}'",
            row.loc("subject"),
        )
    else:
        problems.error(
            f"未知对象「{code}」：不是已加载的学校、专业、课程、教师、学生、班级或部门编码",
            f"unknown subject '{code}': not a loaded school, major, course, teacher, student, class or unit code",
            row.loc("subject"),
        )
    return False


def parse_number(raw: Cell, info: IndicatorInfo) -> Decimal | None:
    """A number in the indicator's criterion unit: ``65%``, ``0.65`` and (a rate) ``65`` are 0.65;
    ``3.5万`` is 35000; ``17:1`` is 17."""
    text = cell_text(raw)
    if text is None:
        return None
    if isinstance(raw, bool):
        raise BadValue("应为数值，而不是是/否", "expected a number, not a yes/no value")
    try:
        return plain(observed_number(text, info.compiled(), info.is_percent))
    except BadObservedValue as exc:
        raise BadValue(exc.zh, exc.en) from None


def parse_value(raw: Cell, info: IndicatorInfo) -> Literal | None:
    """A normalised observation value, read in the indicator's own terms: a boolean for yes/no
    criteria (in their own words: 达标/不达标, 完成/未完成 …), a grade word for grade-word criteria,
    else a decimal in the criterion's unit."""
    text = cell_text(raw)
    if text is None:
        return None
    criterion = info.compiled()
    if isinstance(raw, bool):
        return Literal(raw)
    try:
        if criterion is not None and criterion.kind == "words":
            return Literal(grade_word(text, criterion))
        graded = criterion is not None and criterion.kind == "graded"
        if not graded and not isinstance(raw, int | float):
            yes = yes_no_value(text, criterion)
            if yes is not None:
                return Literal(yes)
        try:
            return decimal_literal(plain(observed_number(text, criterion, info.is_percent)))
        except BadObservedValue:
            yes = yes_no_value(text, None) if graded else None
            if yes is not None:
                return Literal(yes)
            raise
    except BadObservedValue as exc:
        raise BadValue(exc.zh, exc.en) from None


# terms every observation repeats, looked up once (rdflib's namespace lookups cost 6 µs each)
RDF_TYPE, ZG_OBSERVATION, ZG_INDICATOR, ZG_SUBJECT = RDF.type, ZG.Observation, ZG.indicator, ZG.subject
ZG_ACADEMIC_YEAR, ZG_VALUE, ZG_REPORTS_AT_LEVEL = ZG.academicYear, ZG.value, ZG.reportsAtLevel
ZG_RAW_VALUE, ZG_DATA_SOURCE = ZG.rawValue, ZG.dataSource


@functools.lru_cache(maxsize=64)
def _year_literal(year: int) -> Literal:
    return Literal(year)


@functools.lru_cache(maxsize=4096)
def _text_literal(text: str) -> Literal:
    return Literal(text)


def _observation(
    g: Graph,
    row: TableRow,
    info: IndicatorInfo,
    subject_code: str,
    subject: URIRef | None,
    year: int,
    problems: Problems,
) -> URIRef | None:
    node = iri("observation", year, info.code, subject_code)
    numerator = parse_cell(row, "numerator", parse_decimal, problems)
    denominator = parse_cell(row, "denominator", parse_decimal, problems)
    try:
        value = parse_value(row.raw("value"), info)
    except BadValue as exc:
        problems.error(exc.zh, exc.en, row.loc("value"))
        return None
    if value is None:
        if numerator is not None and denominator:
            value = decimal_literal(plain((numerator / denominator).quantize(Decimal("0.0001"))))
        elif numerator is not None and denominator == 0:
            problems.error("分母为 0", "the denominator is 0", row.loc("denominator"))
            return None
        else:
            problems.error(
                "「值」为空，也没有可计算的分子与分母",
                "值 is blank and there is no numerator and denominator to compute it",
                row.loc("value") if row.table.has("value") else row.loc("indicator"),
            )
            return None
    add = g.add
    add((node, RDF_TYPE, ZG_OBSERVATION))
    add((node, ZG_INDICATOR, info.iri))
    add((node, ZG_SUBJECT, subject))
    add((node, ZG_ACADEMIC_YEAR, _year_literal(year)))
    add((node, ZG_VALUE, value))
    # the school's own 全校 total does not make it a subject of that level (queries/diagnosis_view.rq)
    if not (info.school_wide and str(subject).startswith(SCHOOL_PREFIX)):
        add((subject, ZG_REPORTS_AT_LEVEL, LEVELS[info.level][1]))
    raw_text = cell_text(row.raw("value"))
    if raw_text is not None:
        add((node, ZG_RAW_VALUE, Literal(raw_text)))
    if numerator is not None:
        add((node, ZG.numerator, decimal_literal(numerator)))
    if denominator is not None:
        add((node, ZG.denominatorValue, decimal_literal(denominator)))
    source = row.text("source")
    if source:
        add((node, ZG_DATA_SOURCE, _text_literal(source)))
    collected = parse_cell(row, "collected", parse_date, problems)
    if collected is not None:
        g.add((node, PROV.generatedAtTime, Literal(collected.isoformat(), datatype=XSD.date)))
    return node


def _target(
    g: Graph,
    row: TableRow,
    info: IndicatorInfo,
    subject_code: str,
    subject: URIRef | None,
    year: int,
    problems: Problems,
) -> URIRef | None:
    node = iri("target", year, info.code, subject_code)
    values = {}
    for key in ("target", "bottom"):
        number = parse_cell(row, key, lambda raw: parse_number(raw, info), problems)
        if number is not None:
            values[key] = number
    if not values:
        problems.error(
            "「目标值」与「底线值」至少填写一个",
            "give at least one of 目标值 and 底线值",
            row.loc("target") if row.table.has("target") else row.loc("indicator"),
        )
        return None
    lower = (info.compiled() or _HIGHER).direction == "lower"
    both = "target" in values and "bottom" in values
    if both and values["bottom"] != values["target"] and (values["bottom"] > values["target"]) != lower:
        if lower:
            problems.error(
                "该指标越低越好，底线值应不低于目标值",
                "lower is better here: the bottom line should not be below the target",
                row.loc("bottom"),
            )
        else:
            problems.error("底线值高于目标值", "the bottom line is above the target", row.loc("bottom"))
        return None
    g.add((node, RDF.type, ZG.Target))
    g.add((node, ZG.indicator, info.iri))
    if subject is not None:
        g.add((node, ZG.subject, subject))
    g.add((node, ZG.academicYear, Literal(year)))
    if "target" in values:
        g.add((node, ZG.targetValue, decimal_literal(values["target"])))
    if "bottom" in values:
        g.add((node, ZG.bottomLine, decimal_literal(values["bottom"])))
    return node


def subject_codes(sheets: list[RawSheet], kind: str = "observations") -> set[str]:
    """The subject codes the sheets name (their 对象 column), read as ``load_observations`` (or,
    with ``kind="targets"``, ``load_targets``) reads them: what a push or a load needs to look up."""
    columns = with_synonyms(kind, OBSERVATION_COLUMNS if kind == "observations" else TARGET_COLUMNS)
    codes: set[str] = set()
    for sheet in sheets:
        if sheet.is_blank():
            continue
        table = read_table(sheet, columns)
        if table.has("subject"):
            codes |= {code for row in table.rows if (code := row.text("subject")) is not None}
    return codes
