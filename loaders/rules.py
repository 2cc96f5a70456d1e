"""Warning rules over indicators and years (专业预警): an editable table, one tier a row.

Columns: 编码 (the rule's code; rows sharing it are tiers of one rule), 规则名称, 层面, 指标 (codes,
separated by 、), and what makes the rule fire:

* 至少几项 k — k of the listed indicators failing in the period ("任意两项 → 预警专业"; tiers:
  one failed → 黄牌, two or more → 红牌);
* 连续学年 n — the one listed indicator failing in each of the last n periods ("就业率连续两年");
* 末位比例 — the subject is in the bottom share of its level on the one listed indicator
  ("末位10%"; for a lower-is-better indicator the bottom is the highest values).

计入 says which failures count (红色, or 红色和黄色; default both), 严重程度 the tier's severity
(红色/黄色). Optional 纵向系统 (default 质量生成) and 责任部门 decide who owns the rule's gaps, as
for an indicator. The diagnosis compiles each tier to a SHACL-SPARQL shape (``zhengai.warnings``).
"""

from __future__ import annotations

from decimal import Decimal

from rdflib import Graph, Literal, URIRef

from zhengai.namespaces import LEVELS, RDF, RDFS, SH, SKOS, SYSTEMS, XSD, ZG, graph, iri

from .base import LoadResult, Problems, annotate_source, parse_cell, parse_decimal, parse_int, split_list
from .catalogue import level_from_text, system_from_text
from .headers import with_synonyms
from .table import Column, RawSheet, TableRow, header_score, read_table

KIND = "rules"
GRAPH = graph("rules")

COLUMNS = (
    Column("code", ("编码", "规则编码")),
    Column("name", ("规则名称", "预警规则", "规则"), required=True),
    Column("level", ("层面", "对象层面"), required=True),
    Column("indicators", ("指标", "指标编码", "预警指标"), required=True),
    Column("k", ("至少几项", "项数", "触发项数")),
    Column("periods", ("连续学年", "连续年数", "连续学年数")),
    Column("share", ("末位比例", "末位", "排名末位比例")),
    Column("counts", ("计入", "计入的预警")),
    Column("severity", ("严重程度", "预警等级", "预警级别"), required=True),
    Column("system", ("纵向系统",)),
    Column("resp_unit", ("责任部门", "责任单位")),
)
SIGNATURE = ("name", "k", "periods", "share", "severity")
SEVERITIES = {"红色": SH.Violation, "红": SH.Violation, "红牌": SH.Violation, "黄色": SH.Warning,
              "黄": SH.Warning, "黄牌": SH.Warning, "red": SH.Violation, "yellow": SH.Warning}  # fmt: skip


def columns() -> tuple[Column, ...]:
    return with_synonyms(KIND, COLUMNS)


def detect_score(sheets: list[RawSheet]) -> int:
    spec = [c for c in columns() if c.key in SIGNATURE]
    return max((header_score(s, spec)[0] for s in sheets), default=0)


def rule_iri(code: str) -> URIRef:
    return iri("warning-rule", code)


def load(sheets: list[RawSheet], *, file: str, known_indicators: dict[str, str]) -> LoadResult:
    """``known_indicators`` maps the loaded indicator codes to their level (学校/专业/…)."""
    problems = Problems(file)
    g = Graph()
    rows = 0
    tiers: dict[str, int] = {}
    for sheet in sheets:
        if sheet.is_blank() and len(sheets) > 1:
            continue
        table = read_table(sheet, columns())
        for row in table.rows:
            rows += 1
            _rule_row(row, g, tiers, known_indicators, problems)
    problems.raise_if_any()
    return LoadResult(KIND, {GRAPH: g}, rows, problems.findings)


def _rule_row(
    row: TableRow, g: Graph, tiers: dict[str, int], known: dict[str, str], problems: Problems
) -> None:
    name = row.text("name") or ""
    code = row.text("code") or name
    level = level_from_text(row.text("level"))
    if level is None:
        problems.error(
            f"层面「{row.text('level') or ''}」不是 学校/专业/课程/教师/学生 之一",
            f"level '{row.text('level') or ''}' is not one of 学校/专业/课程/教师/学生",
            row.loc("level"),
        )
        return
    codes = split_list(row.text("indicators"))
    for c in codes:
        if c not in known:
            problems.error(
                f"未知指标「{c}」：不是已加载指标的编码", f"unknown indicator '{c}': not a loaded indicator code",
                row.loc("indicators"),
            )  # fmt: skip
        elif known[c] != level:
            problems.error(
                f"指标「{c}」属于{known[c]}层面，不是{level}层面", f"indicator '{c}' is a {known[c]}-level indicator, not {level}",
                row.loc("indicators"),
            )  # fmt: skip
    k = parse_cell(row, "k", parse_int, problems)
    periods = parse_cell(row, "periods", parse_int, problems)
    share = parse_cell(row, "share", parse_decimal, problems)
    severity = SEVERITIES.get((row.text("severity") or "").strip())
    if severity is None:
        problems.error(
            f"严重程度「{row.text('severity') or ''}」应为 红色 或 黄色", f"severity '{row.text('severity') or ''}' should be 红色 or 黄色",
            row.loc("severity"),
        )  # fmt: skip
    given = [x for x in (k, periods, share) if x is not None]
    if len(given) != 1:
        problems.error(
            "「至少几项」「连续学年」「末位比例」须且只须填写一项",
            "give exactly one of 至少几项 (k of n), 连续学年 (consecutive periods) and 末位比例 (bottom share)",
            row.loc("k" if row.table.has("k") else "name"),
        )
        return
    if (periods is not None or share is not None) and len(codes) != 1:
        problems.error(
            "连续学年与末位比例规则只能针对一个指标", "consecutive and bottom-share rules take exactly one indicator",
            row.loc("indicators"),
        )  # fmt: skip
        return
    if k is not None and not 1 <= k <= max(len(codes), 1):
        problems.error(
            f"「至少几项」应在 1 到 {len(codes)} 之间",
            f"至少几项 should be between 1 and {len(codes)}",
            row.loc("k"),
        )
        return
    if share is not None and not Decimal(0) < share < Decimal(1):
        problems.error(
            "末位比例应在 0 与 100% 之间", "the bottom share should be between 0 and 100%", row.loc("share")
        )
        return
    if periods is not None and periods < 2:
        problems.error("连续学年应不少于 2", "consecutive periods should be at least 2", row.loc("periods"))
        return
    if severity is None:
        return
    rule = rule_iri(code)
    n = tiers[code] = tiers.get(code, 0) + 1
    tier = iri("warning-rule", code, "tier", n)
    g.add((rule, RDF.type, ZG.WarningRule))
    g.add((rule, SKOS.notation, Literal(code)))
    g.set((rule, RDFS.label, Literal(name, lang="zh")))
    g.set((rule, ZG.level, LEVELS[level][1]))
    system = system_from_text(row.text("system"), []) if row.text("system") else "质量生成"
    g.set((rule, ZG.inSystem, SYSTEMS.get(system or "质量生成", SYSTEMS["质量生成"])))
    if row.text("resp_unit"):
        g.set((rule, ZG.responsibleUnitName, Literal(row.text("resp_unit"))))
    g.add((rule, ZG.ruleTier, tier))
    g.add((tier, RDF.type, ZG.WarningRuleTier))
    g.add((tier, ZG.tierOf, rule))
    g.add((tier, SKOS.notation, Literal(f"{code}/{n}")))
    g.add((tier, ZG.ruleKind, Literal("k-of-n" if k is not None else "consecutive" if periods else "rank")))
    for c in codes:
        g.add((tier, ZG.ruleIndicator, iri("indicator", c)))
    if k is not None:
        g.add((tier, ZG.ruleMinCount, Literal(k)))
    if periods is not None:
        g.add((tier, ZG.rulePeriods, Literal(periods)))
    if share is not None:
        g.add((tier, ZG.ruleShare, Literal(format(share, "f"), datatype=XSD.decimal)))
    counts = row.text("counts") or "红色和黄色"
    g.add((tier, ZG.ruleCounts, SH.Violation))
    if "黄" in counts or "yellow" in counts.lower():
        g.add((tier, ZG.ruleCounts, SH.Warning))
    g.add((tier, ZG.ruleSeverity, severity))
    annotate_source(g, tier, row)
