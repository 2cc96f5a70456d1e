"""Gaps as people read them: flat rows from a stored run, summaries, and csv/json/md/table output.

Everything here reads what a run stored (``queries/run_gaps.rq``), so the CLI, the API and any
export show the same thing. Decides nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from urllib.parse import unquote

from rdflib import Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node
from rich.table import Table

from zhengai import query_registry
from zhengai.diagnosis import Gap, _decimal, format_value
from zhengai.namespaces import LEVELS, SYSTEMS
from zhengai.standards import one_line
from zhengai.store import GraphStore

FORMATS = ("table", "csv", "json", "md")
SEVERITY_LABEL = {
    "red": "红色预警 red",
    "yellow": "黄色预警 yellow",
    "missing": "缺数据 missing",
    "closed": "已关闭 closed",
}
STATUS_LABEL = {"new": "新 new", "persisting": "持续 persisting", "closed": "关闭 closed"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class GapRow:
    id: str
    period: int
    level: str
    system: str
    indicator: str
    label: str
    subject: str
    severity: str  # red, yellow, missing; closed for a closed gap
    grade: str
    value: str
    threshold: str
    status: str
    trend: str
    suggested_target: str
    message_zh: str
    message_en: str
    personal: bool = False  # about one teacher or student: personal data


def _tail(node: object) -> str:
    return str(node).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


SEVERITY_KEYS = {"Violation": "red", "Warning": "yellow", "Info": "missing"}
GRADE_KEYS = {
    "GradeA": "A",
    "GradeB": "B",
    "GradeC": "C",
    "Met": "met",
    "Unmet": "unmet",
    "MissingData": "missing",
    "RuleWarning": "rule",
}


def grade_key(grade: object) -> str:
    """A gap's grade for people: A, B, C, unmet, missing, or the scale's own word (优秀, C级 …)."""
    tail = _tail(grade)
    return GRADE_KEYS.get(tail, unquote(tail))


def gap_rows(store: GraphStore, run_graph: URIRef, gap_id: str | None = None) -> list[GapRow]:
    """The gaps of a run (or the one gap ``gap_id``) as a person reads them: every gap from the
    rows stored with the run, else (one gap, or a run stored before rows were) from its triples."""
    if gap_id is None:
        stored = _stored_rows(store, run_graph)
        if stored is not None:
            return stored
    query = query_registry.get("run_gaps")
    values = {"run": str(run_graph)} if gap_id is None else {"run": str(run_graph), "id": gap_id}
    rows = store.select(query.text, query.bindings(values))
    out = []
    for r in rows:
        unit = str(r.get("unit", "count"))
        threshold = r.get("threshold")
        suggested = r.get("suggested")
        out.append(
            GapRow(
                id=str(r.get("id", gap_id)),  # a bound id is written into the query (# bind: inline)
                period=int(r["period"]),  # type: ignore[call-overload]
                level=str(r.get("levelName", "")),
                system=str(r.get("systemName", "")),
                indicator=str(r.get("code", _tail(r["indicator"]))),
                label=one_line(str(r.get("label", ""))),
                subject=str(r.get("id", gap_id)).split("/", 2)[-1],
                severity=SEVERITY_KEYS.get(_tail(r["severity"]), "") if "severity" in r else "closed",
                grade=grade_key(r["grade"]) if "grade" in r else "",
                value=format_value(r.get("value"), unit) if "value" in r else "",  # type: ignore[arg-type]
                threshold=format_value(threshold, unit) if threshold is not None else "",  # type: ignore[arg-type]
                status=_tail(r["status"]).lower(),
                trend=_tail(r["trend"]).lower() if "trend" in r else "",
                suggested_target=format_value(suggested, unit) if suggested is not None else "",  # type: ignore[arg-type]
                message_zh=str(r.get("messageZh", "")),
                message_en=str(r.get("messageEn", "")),
                personal=bool(r["personal"].toPython()),  # type: ignore[union-attr]
            )
        )
    return _ordered(out)


def _ordered(rows: list[GapRow]) -> list[GapRow]:
    order = {"red": 0, "yellow": 1, "missing": 2, "closed": 3}
    level_order = {name: n for n, name in enumerate(LEVELS)}
    return sorted(
        rows, key=lambda g: (order.get(g.severity, 9), level_order.get(g.level, 9), g.indicator, g.subject)
    )


def _stored_rows(store: GraphStore, run_graph: URIRef) -> list[GapRow] | None:
    base = stored_rows(store, run_graph)
    return None if base is None else current_rows(store, run_graph, base)


def current_rows(store: GraphStore, run_graph: URIRef, base: Mapping[str, GapRow]) -> list[GapRow]:
    """The run's rows as they are now: ``base`` (its ``stored_rows``, which only a diagnosis
    changes) with what pushes changed since (``live_rows``, one small query)."""
    replaced, current = live_rows(store, run_graph)
    if replaced or current:
        base = {i: r for i, r in base.items() if i not in replaced} | current
    return _ordered(list(base.values()))


def patched_rows(rows: Iterable[GapRow], now: Mapping[str, GapRow | None]) -> list[GapRow]:
    """``rows`` with the rows of the gaps in ``now`` replaced (None: the gap has no row any more),
    in the order ``gap_rows`` gives: what a push changed, applied to rows read before it.

    >>> import dataclasses
    >>> a, b = (GapRow(i, 2025, "专业", "", "P-1", "", i, "red", "C", "1", "2", "new", "", "", "", "", False)
    ...         for i in ("2025/P-1/a", "2025/P-1/b"))
    >>> [r.id for r in patched_rows([a, b], {a.id: None})]
    ['2025/P-1/b']
    >>> [r.severity for r in patched_rows([a, b], {b.id: dataclasses.replace(b, severity="yellow")})]
    ['red', 'yellow']
    """
    kept = [r for r in rows if r.id not in now]
    return _ordered(kept + [r for r in now.values() if r is not None])


def stored_rows(store: GraphStore, run_graph: URIRef) -> dict[str, GapRow] | None:
    """The rows stored with the run when it was diagnosed, by gap id (None: a run stored before
    rows were). What pushes changed since is in ``live_rows``."""
    query = query_registry.get("run_gap_rows")
    found = store.select(query.text, query.bindings({"run": str(run_graph)}))
    if not found:
        return None
    return {r[0]: GapRow(*r) for r in json.loads(str(found[0]["rows"]))}


def live_rows(store: GraphStore, run_graph: URIRef) -> tuple[set[str], dict[str, GapRow]]:
    """What the live re-check changed in the run's stored rows: the ids of the rows it replaced
    or withdrew, and the current rows of the gaps it wrote (``queries/run_live_rows.rq``)."""
    replaced: set[str] = set()
    current: dict[str, GapRow] = {}
    for r in store.select(query_registry.get("run_live_rows").text, {"run": run_graph}):
        if "replaced" in r:
            replaced.add(str(r["replaced"]))
        else:
            row = GapRow(*json.loads(str(r["row"])))
            current[row.id] = row
    return replaced, current


def row_literal(row: GapRow) -> Literal:
    """One gap's row as rdf:JSON, kept on a gap the live re-check wrote (``zg:gapRow``)."""
    return Literal(
        json.dumps(list(vars(row).values()), ensure_ascii=False, separators=(",", ":")), datatype=RDF.JSON
    )


@dataclass(frozen=True)
class Labels:
    """What a row shows of an indicator or warning rule (``queries/indicator_labels.rq``)."""

    code: str
    label: str
    level: str
    system: str


def indicator_labels(store: GraphStore) -> dict[URIRef, Labels]:
    query = query_registry.get("indicator_labels")
    return {
        r["indicator"]: Labels(
            str(r["code"]), one_line(str(r["label"])), str(r["levelName"]), str(r.get("systemName", ""))
        )
        for r in store.select(query.text)
    }  # type: ignore[misc]


def personal_subjects(store: GraphStore) -> set[Node]:
    """Every teacher and student: the subjects whose gaps are personal data."""
    return {r["subject"] for r in store.select(query_registry.get("personal_subjects").text)}


def is_personal(store: GraphStore, subject: Node) -> bool:
    """Whether ``subject`` is one teacher or student."""
    return bool(store.select(query_registry.get("personal_subjects").text, {"subject": subject}))


def rows_of(gaps: Iterable[Gap], labels: Mapping[URIRef, Labels], personal: Collection[Node]) -> list[GapRow]:
    """The rows of a run's gaps as they are stored with it: what ``run_gaps.rq`` reads back from
    the gaps' triples and ``labels`` (``tests/test_reports.py`` holds the two equal)."""
    out = []
    for gap in gaps:
        unit = gap.unit or "count"
        named = labels.get(gap.indicator)
        closed = gap.status == "closed"
        out.append(
            GapRow(
                id=gap.id,
                period=gap.period,
                level=named.level if named else "",
                system=named.system if named else "",
                indicator=named.code if named else _tail(gap.indicator),
                label=named.label if named else "",
                subject=gap.id.split("/", 2)[-1],
                severity="closed" if closed else SEVERITY_KEYS.get(_tail(gap.severity), ""),
                grade="" if closed or gap.grade is None else grade_key(gap.grade),
                value="" if closed or gap.value is None else format_value(gap.value, unit),
                threshold=""
                if closed or gap.threshold is None
                else format_value(_decimal(gap.threshold), unit),
                status=gap.status,
                trend=gap.trend or "",
                suggested_target=""
                if gap.suggested_target is None
                else format_value(_decimal(gap.suggested_target), unit),
                message_zh=gap.message_zh,
                message_en=gap.message_en,
                personal=gap.subject in personal,
            )
        )
    return _ordered(out)


def rows_literal(gaps: Iterable[Gap], labels: Mapping[URIRef, Labels], personal: Collection[Node]) -> Literal:
    """The rows of a run's gaps as one rdf:JSON literal, stored with the run's report."""
    return rows_literal_of(rows_of(gaps, labels, personal))


def rows_literal_of(rows: Iterable[GapRow]) -> Literal:
    return Literal(
        json.dumps(
            [list(vars(r).values()) for r in _ordered(list(rows))], ensure_ascii=False, separators=(",", ":")
        ),
        datatype=RDF.JSON,
    )


# -- summaries ----------------------------------------------------------------------------------


def summary(rows: list[GapRow]) -> dict[str, dict[str, dict[str, int]]]:
    """level → system → {red, yellow, missing} counts (open gaps only)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for row in rows:
        if row.severity == "closed":
            continue
        cell = out.setdefault(row.level or "?", {}).setdefault(row.system or "?", {})
        cell[row.severity] = cell.get(row.severity, 0) + 1
    return out


def totals(rows: list[GapRow]) -> Counter[str]:
    counts: Counter[str] = Counter(r.severity for r in rows)
    counts.update(f"status:{r.status}" for r in rows)
    return counts


def summary_table(rows: list[GapRow], title: str) -> Table:
    """Levels down, systems across; each cell reads red/yellow/missing."""
    data = summary(rows)
    systems = list(SYSTEMS)
    table = Table("层面 level", *systems, "合计 total", title=title, title_justify="left")
    for level in [*LEVELS, "?"]:
        if level not in data:
            continue
        cells, total = [], Counter[str]()
        for system in systems:
            c = data[level].get(system, {})
            total.update(c)
            cells.append(_cell(c))
        table.add_row(level, *cells, _cell(total))
    table.caption = "红 red / 黄 yellow / 缺 missing"
    return table


def _cell(counts: dict[str, int]) -> str:
    if not counts:
        return "·"
    return f"[red]{counts.get('red', 0)}[/]/[yellow]{counts.get('yellow', 0)}[/]/{counts.get('missing', 0)}"


def gaps_table(rows: list[GapRow], title: str) -> Table:
    table = Table(
        "ID",
        "严重 severity",
        "状态 status",
        "层面",
        "系统",
        "值 value",
        "说明 message",
        title=title,
        title_justify="left",
    )
    colour = {"red": "red", "yellow": "yellow", "missing": "cyan", "closed": "green"}
    for r in rows:
        status = r.status + (f" ({r.trend})" if r.trend else "")
        table.add_row(
            r.id,
            f"[{colour.get(r.severity, 'white')}]{SEVERITY_LABEL.get(r.severity, r.severity)}[/]",
            status,
            r.level,
            r.system,
            r.value,
            r.message_zh,
        )
    return table


# -- files --------------------------------------------------------------------------------------


def safe_cell(text: object) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ gets a leading apostrophe."""
    value = "" if text is None else str(text)
    if not value.startswith(FORMULA_START):
        return value
    try:
        float(value)  # a plain number such as -3.5 is not a formula
        return value
    except ValueError:
        return "'" + value


def to_csv(rows: list[GapRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    fields = list(GapRow.__dataclass_fields__)
    writer.writerow(fields)
    for r in rows:
        writer.writerow([safe_cell(getattr(r, f)) for f in fields])
    return buffer.getvalue()


def to_json(rows: list[GapRow], run: dict[str, object]) -> str:
    data = {"run": run, "summary": summary(rows), "gaps": [asdict(r) for r in rows]}
    return json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n"


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(rows: list[GapRow], title: str) -> str:
    lines = [f"# {title}", "", "## 汇总 Summary (红 red / 黄 yellow / 缺 missing)", ""]
    systems = list(SYSTEMS)
    lines.append("| 层面 | " + " | ".join(systems) + " |")
    lines.append("|---" * (len(systems) + 1) + "|")
    data = summary(rows)
    for level in [*LEVELS, "?"]:
        if level in data:
            cells = []
            for system in systems:
                c = data[level].get(system, {})
                cells.append(f"{c.get('red', 0)}/{c.get('yellow', 0)}/{c.get('missing', 0)}" if c else "·")
            lines.append(f"| {level} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## 问题 Gaps",
        "",
        "| ID | 严重程度 | 状态 | 层面 | 系统 | 值 | 说明 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        status = r.status + (f" ({r.trend})" if r.trend else "")
        cells = [
            r.id,
            SEVERITY_LABEL.get(r.severity, r.severity),
            status,
            r.level,
            r.system,
            r.value,
            r.message_zh,
        ]
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
