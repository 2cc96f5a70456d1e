"""Indicator catalogue (监测指标表): one sheet per level, or a 层面 column, as laid out in the seed.

Each data row is one monitoring indicator. Tier columns (一级…四级指标) form a SKOS tree; a blank
or merged tier cell means "same as above". The checkpoint is the 监测点/质控点 column, else the
deepest tier text. The vertical system comes from 纵向系统, else from keywords in the 一级指标 text;
an indicator whose system cannot be found is loaded and reported as a finding. Without an 编码
column a stable code is derived from the level and the tier numbering, and the load says so.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from zhengai.criteria import normalise
from zhengai.errors import Location
from zhengai.namespaces import LEVELS, RDF, RDFS, SKOS, SYSTEMS, ZG, graph, iri
from zhengai.resources import read_text

from .base import LoadResult, Problems, annotate_source, nfkc
from .headers import unrecognised, with_synonyms
from .table import Column, RawSheet, Table, TableRow, header_score, read_table

KIND = "catalogue"

COLUMNS = (
    Column("code", ("编码", "指标编码", "代码", "code")),
    Column("level", ("层面", "level")),
    Column("tier1", ("一级指标",), required=True),
    Column("tier2", ("二级指标",)),
    Column("tier3", ("三级指标", "三级指标（监测点）")),
    Column("tier4", ("四级指标", "四级指标（监测点）")),
    Column(
        "checkpoint",
        ("监测点", "质控点", "监测点/指标", "质控点/诊断指标", "监测点/质控点", "诊断指标", "质控点/指标"),
    ),
    Column("criterion", ("诊断标准", "诊断标准/判据")),
    Column("source", ("数据来源", "监测点来源部门", "来源部门", "数据来源部门")),
    Column("frequency", ("监测时间及频率", "监测频率", "监测时间", "频率")),
    Column("denominator", ("统计数据分母", "分母", "数据分母")),
    Column("system", ("纵向系统", "所属系统", "系统")),
    Column("resp_unit", ("责任部门", "责任单位")),
    Column("resp_post", ("责任岗位",)),
    Column("target", ("目标值", "标准值")),
    Column("warning", ("预警值",)),
    Column("bottom", ("底线值",)),
    Column("direction", ("比较方式", "方向")),
)
"""The seed's own names; ``data/header_synonyms.csv`` adds other colleges' (``columns()``)."""

TIERS = ("tier1", "tier2", "tier3", "tier4")
SIGNATURE = ("tier1", "tier2", "checkpoint", "criterion")


def graph_for_level(level_key: str) -> URIRef:
    return graph(f"catalogue/{level_key}")


def level_from_text(text: str | None) -> str | None:
    """The level named in a sheet name or 层面 cell (``学校发展监测指标`` → 学校)."""
    if not text:
        return None
    text = nfkc(text)
    for name, (key, _) in LEVELS.items():
        if name in text or text.lower() in (key, key + "s"):
            return name
    return None


@dataclass(frozen=True)
class Keyword:
    keyword: str
    system: str


def system_keywords() -> list[Keyword]:
    """The editable keyword table (``data/system_keywords.csv``, or ``ZHENGAI_SYSTEM_KEYWORDS``)."""
    override = os.environ.get("ZHENGAI_SYSTEM_KEYWORDS")
    text = (
        Path(override).read_text(encoding="utf-8-sig")
        if override
        else read_text("data", "system_keywords.csv")
    )
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return [
        Keyword(nfkc(r["关键词"]), nfkc(r["纵向系统"])) for r in rows if r.get("关键词") and r.get("纵向系统")
    ]


def system_from_text(text: str | None, keywords: Iterable[Keyword]) -> str | None:
    """The vertical system a 纵向系统 cell or 一级指标 text names.

    >>> kw = [Keyword("决策指挥", "决策指挥"), Keyword("学习与发展", "质量生成")]
    >>> system_from_text("1.目标与标准(决策指挥)", kw), system_from_text("2.学习与发展", kw)
    ('决策指挥', '质量生成')
    """
    if not text:
        return None
    text = nfkc(text)
    for name in SYSTEMS:
        if name in text:
            return name
    for kw in keywords:
        if kw.keyword and kw.keyword in text and kw.system in SYSTEMS:
            return kw.system
    return None


_LEADING_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)*)\s*[.、．]?")


def _tier_number(text: str) -> int | None:
    m = _LEADING_NUMBER.match(nfkc(text))
    if not m:
        return None
    return int(m.group(1).split(".")[-1])


class _CodeDeriver:
    """Derives ``ZY-1.2.1-03``: level prefix, tier path (explicit numbers or order of appearance),
    then the indicator's position under its deepest heading."""

    def __init__(self) -> None:
        self._children: dict[tuple[str, ...], dict[str, int]] = {}
        self._leaves: dict[tuple[str, ...], int] = {}

    def path(self, level: str, tiers: list[str | None]) -> list[tuple[tuple[str, ...], int]]:
        key: tuple[str, ...] = (level,)
        numbers = []
        for text in tiers:
            if text is None:
                break
            siblings = self._children.setdefault(key, {})
            if text not in siblings:
                explicit = _tier_number(text)
                siblings[text] = explicit if explicit is not None else len(siblings) + 1
            key = (*key, text)
            numbers.append((key, siblings[text]))
        return numbers

    def code(self, prefix: str, level: str, tiers: list[str | None]) -> str:
        path = self.path(level, tiers)
        parent = path[-1][0] if path else (level,)
        self._leaves[parent] = self._leaves.get(parent, 0) + 1
        dotted = ".".join(str(n) for _, n in path) or "0"
        return f"{prefix}-{dotted}-{self._leaves[parent]:02d}"


def _fill_tiers(table: Table) -> None:
    """Hierarchical "same as above": a blank tier inherits only while every tier above is unchanged.

    In the student layout (四级指标 under a merged 质控点), the checkpoint and its denominator also
    carry down while the first three tiers are unchanged.
    """
    current: dict[str, str | None] = dict.fromkeys(TIERS)
    previous: TableRow | None = None
    for row in table.rows:
        changed = False
        for key in TIERS:
            text = row.text(key)
            if text is None:
                if changed:
                    current[key] = None
                else:
                    row.values[key] = current[key]
            else:
                changed = changed or text != current[key]
                current[key] = text
        same_group = previous is not None and all(row.text(k) == previous.text(k) for k in TIERS[:3])
        if same_group and row.text("tier4") is not None:
            for key in ("checkpoint", "denominator"):
                if table.has(key) and row.text(key) is None:
                    row.values[key] = previous.values.get(key)  # type: ignore[union-attr]
        previous = row


def columns() -> tuple[Column, ...]:
    return with_synonyms(KIND, COLUMNS)


def detect_score(sheets: list[RawSheet]) -> int:
    spec = [c for c in columns() if c.key in SIGNATURE]
    return max((header_score(s, spec)[0] for s in sheets), default=0)


def load(sheets: list[RawSheet], *, file: str, known_codes: dict[str, str] | None = None) -> LoadResult:
    """Build one graph per level present in the workbook.

    ``known_codes`` maps codes already in the store (from other levels' graphs) to their level,
    so that a code used by two levels is caught even across files.
    """
    problems = Problems(file)
    keywords = system_keywords()
    spec = columns()
    tables = []
    for sheet in sheets:
        if sheet.is_blank() and level_from_text(sheet.name) is None:
            continue  # an untouched Sheet2/Sheet3
        tables.append(read_table(sheet, spec))
    _header_findings(tables, spec, problems)

    graphs: dict[URIRef, Graph] = {}
    seen_codes: dict[str, TableRow] = {}
    derived_any = False
    deriver = _CodeDeriver()
    rows_read = 0

    for table in tables:
        _fill_tiers(table)
        sheet_level = level_from_text(table.sheet)
        if not table.has("level") and sheet_level is None:
            problems.error(
                "无法判断本表属于哪个层面：请把工作表命名为 学校/专业/课程/教师/学生，或增加「层面」列",
                "cannot tell which level this sheet is for: name the sheet 学校/专业/课程/教师/学生 or add a 层面 column",
                table.loc(),
            )
            continue
        for row in table.rows:
            rows_read += 1
            level = level_from_text(row.text("level")) if table.has("level") else sheet_level
            if table.has("level") and level is None:
                level = sheet_level
                if level is None:
                    problems.error(
                        f"层面「{row.text('level') or ''}」不是 学校/专业/课程/教师/学生 之一",
                        f"level '{row.text('level') or ''}' is not one of 学校/专业/课程/教师/学生",
                        row.loc("level"),
                    )
                    continue
            assert level is not None
            _indicator_row(
                row, level, table, graphs, seen_codes, deriver, keywords, problems, known_codes or {}
            )
            derived_any = derived_any or not table.has("code") or row.text("code") is None

    problems.raise_if_any()
    for g in graphs.values():
        _disambiguate_labels(g)
    if derived_any:
        problems.finding(
            "指标表没有（或部分没有）「编码」列，已按层面与层级序号推导稳定编码（如 ZY-1.2.1-01）",
            "the catalogue has no 编码 column (or blanks in it); stable codes were derived from level and tier numbering (e.g. ZY-1.2.1-01)",
            tables[0].loc() if tables else Location(file),
        )
    return LoadResult(KIND, graphs, rows_read, problems.findings)


def _header_findings(tables: list[Table], spec: tuple[Column, ...], problems: Problems) -> None:
    """Unrecognised headers (once per file, with the closest known name), and no criterion column."""
    reported: set[str] = set()
    for table in tables:
        for name, near in unrecognised(table, spec):
            if name in reported:
                continue
            reported.add(name)
            hint_zh = f"；是否指「{near}」？" if near else ""
            hint_en = f"; did you mean '{near}'?" if near else ""
            problems.finding(
                f"未识别的列「{name}」，其内容作为附注保存{hint_zh}（可在 data/header_synonyms.csv 中加入该列名）",
                f"unrecognised column '{name}', kept as annotations{hint_en} (add the name to data/header_synonyms.csv)",
                Location(table.file, table.sheet, table.header_row, name),
            )
        if not any(table.has(k) for k in ("criterion", "target", "warning", "bottom")):
            problems.finding(
                "本表没有「诊断标准」列（也没有目标值/预警值列）：这些指标只检查是否缺数据",
                "this sheet has no 诊断标准 column (nor 目标值/预警值 columns): its indicators are checked for missing data only",
                table.loc(),
            )


def _indicator_row(
    row: TableRow,
    level: str,
    table: Table,
    graphs: dict[URIRef, Graph],
    seen_codes: dict[str, TableRow],
    deriver: _CodeDeriver,
    keywords: list[Keyword],
    problems: Problems,
    known_codes: dict[str, str],
) -> None:
    level_key, level_node = LEVELS[level]
    g = graphs.setdefault(graph_for_level(level_key), _new_catalogue_graph(level, level_key))
    prefix = {"school": "XX", "major": "ZY", "course": "KC", "teacher": "JS", "student": "XS"}[level_key]
    tiers = [row.text(k) for k in TIERS]
    # Drop trailing blanks; a gap in the middle (tier3 blank, tier4 set) keeps its position.
    while tiers and tiers[-1] is None:
        tiers.pop()
    if not tiers:
        problems.error("一级指标为空", "the first-tier heading is blank", row.loc("tier1"))
        return

    explicit = row.text("code")
    code = explicit or deriver.code(prefix, level, tiers)
    if explicit:
        deriver.path(level, tiers)
    if code in seen_codes:
        first = seen_codes[code]
        problems.error(
            f"指标编码「{code}」重复：与工作表「{first.table.sheet}」第 {first.number} 行相同",
            f"duplicate indicator code '{code}': already used on sheet '{first.table.sheet}' row {first.number}",
            row.loc("code"),
        )
        return
    if code in known_codes and known_codes[code] != level_key:
        problems.error(
            f"指标编码「{code}」已被数据存储中「{known_codes[code]}」层面的指标使用",
            f"indicator code '{code}' is already used by a '{known_codes[code]}'-level indicator in the store",
            row.loc("code"),
        )
        return
    seen_codes[code] = row

    node = iri("indicator", code)
    checkpoint = row.text("checkpoint")
    label = checkpoint or next(t for t in reversed(tiers) if t)
    g.add((node, RDF.type, ZG.Indicator))
    g.add((node, SKOS.notation, Literal(code)))
    g.add((node, RDFS.label, Literal(label, lang="zh")))
    g.add((node, SKOS.inScheme, iri("catalogue", level_key)))
    g.add((node, ZG.level, level_node))
    if not explicit:
        g.add((node, ZG.codeDerived, Literal(True)))
    criterion = criterion_text(row)
    if criterion is not None:
        g.add((node, ZG.criterionText, Literal(criterion)))
    for key, prop in (
        ("checkpoint", ZG.checkpoint),
        ("source", ZG.dataSource),
        ("frequency", ZG.frequency),
        ("denominator", ZG.denominator),
        ("resp_unit", ZG.responsibleUnitName),
        ("resp_post", ZG.responsiblePostName),
        ("target", ZG.targetText),
        ("warning", ZG.warningText),
        ("bottom", ZG.bottomText),
        ("direction", ZG.directionText),
    ):
        text = row.text(key)
        if text is not None:
            g.add((node, prop, Literal(text)))

    broader = _categories(g, prefix, level, level_key, tiers, deriver)
    if broader is not None:
        g.add((node, SKOS.broader, broader))

    system_text = row.text("system") or tiers[0]
    system = system_from_text(system_text, keywords)
    if system is None and row.text("system"):
        system = system_from_text(tiers[0], keywords)
    if system_text:
        g.add((node, ZG.systemText, Literal(system_text)))
    if system is None:
        problems.finding(
            f"无法确定指标「{label}」的纵向系统（依据文本「{system_text}」）；已加载，但没有所属系统",
            f"cannot tell the vertical system of indicator '{label}' (from '{system_text}'); loaded without one",
            row.loc("system" if row.text("system") else "tier1"),
        )
    else:
        g.add((node, ZG.inSystem, SYSTEMS[system]))
    annotate_source(g, node, row)


def criterion_text(row: TableRow) -> str | None:
    """The 诊断标准 cell; a bare ``A/B/C`` takes its grade lines from the cell beside it."""
    text = row.text("criterion")
    if text is None or normalise(text) != "A/B/C":
        return text
    beside = row.beside("criterion")
    if beside and re.search(r"A\s*[:：]", beside):
        return f"{text}\n{beside}"
    return text


def _disambiguate_labels(g: Graph) -> None:
    """Indicators sharing a label within a level get the headings (or criterion) that tell them apart."""
    by_label: dict[str, list[URIRef]] = {}
    for node in g.subjects(RDF.type, ZG.Indicator):
        by_label.setdefault(str(g.value(node, RDFS.label)), []).append(node)  # type: ignore[arg-type]
    for label, nodes in by_label.items():
        if len(nodes) < 2:
            continue
        for node in nodes:
            detail = [str(g.value(c, RDFS.label)) for c in _heading_chain(g, node)[2:]]
            detail = [d for d in detail if d != label]
            criterion = g.value(node, ZG.criterionText)
            if len({_detail_key(g, n) for n in nodes}) < len(nodes) or not detail:
                detail.append(str(criterion) if criterion else str(g.value(node, SKOS.notation)))
            g.set((node, RDFS.label, Literal(f"{label}（{' '.join(detail)}）", lang="zh")))


def _heading_chain(g: Graph, node: URIRef) -> list[URIRef]:
    chain: list[URIRef] = []
    current = g.value(node, SKOS.broader)
    while isinstance(current, URIRef):
        chain.append(current)
        current = g.value(current, SKOS.broader)
    return list(reversed(chain))


def _detail_key(g: Graph, node: URIRef) -> str:
    return "/".join(str(g.value(c, RDFS.label)) for c in _heading_chain(g, node)[2:])


def _categories(
    g: Graph, prefix: str, level: str, level_key: str, tiers: list[str | None], deriver: _CodeDeriver
) -> URIRef | None:
    """Add the tier headings as a SKOS tree; return the deepest one."""
    path = deriver.path(level, tiers)
    numbers = [str(n) for _, n in path]
    scheme = iri("catalogue", level_key)
    parent: URIRef | None = None
    for depth, (key, _) in enumerate(path, start=1):
        node = iri("indicator-category", f"{prefix}-{'.'.join(numbers[:depth])}")
        g.add((node, RDF.type, ZG.IndicatorCategory))
        g.add((node, RDFS.label, Literal(key[-1], lang="zh")))
        g.add((node, ZG.tier, Literal(depth)))
        g.add((node, SKOS.inScheme, scheme))
        if parent is None:
            g.add((scheme, SKOS.hasTopConcept, node))
        else:
            g.add((node, SKOS.broader, parent))
        parent = node
    return parent


def _new_catalogue_graph(level: str, level_key: str) -> Graph:
    g = Graph()
    scheme = iri("catalogue", level_key)
    g.add((scheme, RDF.type, ZG.Catalogue))
    g.add((scheme, RDFS.label, Literal(f"{level}发展监测指标", lang="zh")))
    g.add((scheme, RDFS.label, Literal(f"{LEVELS[level][0]} monitoring indicators", lang="en")))
    g.add((scheme, ZG.level, LEVELS[level][1]))
    return g
