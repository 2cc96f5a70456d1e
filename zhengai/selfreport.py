"""The 自我诊改报告: a period's self-diagnosis report of the school, a level, a unit or a subject.

It holds a summary and the level × system heatmap, every open gap in scope with its owner, state,
measures and reviews, and the spiral against the previous period; it is written as Markdown, HTML
(a self-contained page, no asset from anywhere), PDF (that page printed by Debian's Chromium, which
has the CJK fonts) or xlsx (a sheet per part, frozen header row, severity colours, every cell
neutralised against formula injection). Everything comes from what the runs stored: it decides
nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path

from zhengai import assignment, diagnosis, lifecycle, ownership, reports, spiral
from zhengai.errors import DiagnosisError, ZhengaiError
from zhengai.lifecycle.actions import KIND_ZH
from zhengai.namespaces import LEVELS, SYSTEMS
from zhengai.store import GraphStore

FORMATS = ("md", "html", "pdf", "xlsx")
SEVERITY_ZH = {"red": "红色预警", "yellow": "黄色预警", "missing": "缺数据"}
FILLS = {"red": "F8D0CC", "yellow": "FBEEC2", "missing": "E4E8EE"}
CHROMIUM = Path("/usr/bin/chromium")


class ReportError(ZhengaiError):
    """A report asked for with a choice that does not exist (a level, a format)."""

    code = "bad_input"


@dataclass
class Item:
    row: reports.GapRow
    owner: ownership.Owner | None
    status: lifecycle.Status | None


@dataclass
class Report:
    period: int
    scope_zh: str
    scope_en: str
    items: list[Item] = field(default_factory=list)
    summary: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    turn: spiral.Turn | None = None
    made: str = ""
    trend: dict[str, list[tuple[int, float | None]]] = field(
        default_factory=dict
    )  # level → open gaps per year


def build(
    store: GraphStore,
    period: int,
    level: str | None = None,
    unit: str | None = None,
    subject: str | None = None,
) -> Report:
    """The report of ``period``'s latest run, for the whole school or one level, unit or subject."""
    info = diagnosis.latest_run(store, period)
    if info is None:
        raise DiagnosisError(f"{period} 学年还没有诊断", f"{period} has not been diagnosed")
    if level is not None and level not in LEVELS:
        raise ReportError(
            f"未知层面「{level}」（{'、'.join(LEVELS)}）", f"unknown level '{level}' ({', '.join(LEVELS)})"
        )
    rows = [r for r in reports.gap_rows(store, info.graph) if r.severity != "closed"]
    owners = {o.id: o for o in assignment.owners(store, info.graph).values()}
    chosen = [
        r for r in rows
        if (level is None or r.level == level) and (subject is None or r.subject == subject)
        and (unit is None or ownership.owns(owners.get(r.id), unit=unit))
    ]  # fmt: skip
    states = lifecycle.statuses(store, info.graph, chosen)
    scope = [("层面 " + level, "level " + level) if level else None, ("部门 " + unit, "unit " + unit) if unit else None,
             ("对象 " + subject, "subject " + subject) if subject else None]  # fmt: skip
    named = [s for s in scope if s]
    report = Report(
        period,
        "、".join(s[0] for s in named) or "全校",
        ", ".join(s[1] for s in named) or "the whole school",
        [Item(r, owners.get(r.id), states.get(r.id)) for r in chosen],
        reports.summary(chosen),
        made=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    earlier = sorted({r.period for r in diagnosis.runs(store) if r.period < period})
    if earlier:
        report.turn = spiral.turn(store, max(earlier), period)
    for year in [*earlier, period]:  # the open gaps in scope, per level, each year: the chart
        run = diagnosis.latest_run(store, year)
        open_rows = [r for r in reports.gap_rows(store, run.graph) if r.severity != "closed"] if run else []
        owned = {o.id: o for o in assignment.owners(store, run.graph).values()} if run and unit else {}
        for name in LEVELS if level is None else [level]:
            count = sum(1 for r in open_rows if r.level == name and (subject is None or r.subject == subject)
                        and (unit is None or ownership.owns(owned.get(r.id), unit=unit)))  # fmt: skip
            report.trend.setdefault(name, []).append((year, float(count)))
    return report


def _owner_text(owner: ownership.Owner | None) -> str:
    if owner is None:
        return "—"
    posts = [
        f"{o.post.name}（{o.post.code}）"
        + ("：" + "、".join(name for _, name in o.post.holders) if o.post.holders else "")
        for o in owner.posts
    ]
    units = "、".join(name for _, name in owner.units)
    return "；".join(p for p in [units, *posts] if p)


def _actions_text(status: lifecycle.Status | None) -> str:
    if status is None or not status.actions:
        return "—"
    return "；".join(f"{a.at:%Y-%m-%d} {a.actor.name} {KIND_ZH[a.kind]}：{a.text}" for a in status.actions)


def _rows(report: Report) -> list[list[str]]:
    return [
        [i.row.id, SEVERITY_ZH.get(i.row.severity, i.row.severity), i.row.level, i.row.system, i.row.label,
         i.row.subject, i.row.value, i.row.threshold, i.row.message_zh, _owner_text(i.owner),
         i.status.zh if i.status else "", _actions_text(i.status)]
        for i in report.items
    ]  # fmt: skip


HEADER = [
    "问题编号",
    "严重程度",
    "层面",
    "体系",
    "指标",
    "对象",
    "值",
    "标准",
    "说明",
    "责任人",
    "状态",
    "措施与复核",
]


def markdown(report: Report) -> str:
    cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    out = [f"# {report.period} 学年自我诊改报告 · {report.scope_zh}", "",
           f"Self-diagnosis report {report.period}, {report.scope_en}. 生成 made {report.made}.", "",
           "## 概况 Summary", "", _summary_line(report), "", "## 层面 × 体系 Heatmap", "",
           "| 层面 \\ 体系 | " + " | ".join(SYSTEMS) + " |", "|---" * (len(SYSTEMS) + 1) + "|"]  # fmt: skip
    for level in LEVELS:
        cells = [_cell_counts(report, level, s) for s in SYSTEMS]
        out.append(f"| {level} | " + " | ".join(cells) + " |")
    out += ["", "红/黄/缺 = red / yellow / missing", "", "## 问题与责任人 Gaps and owners", "",
            "| " + " | ".join(HEADER) + " |", "|---" * len(HEADER) + "|"]  # fmt: skip
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in _rows(report)]
    out += ["", "## 螺旋 Spiral", "", _spiral_line(report), ""]
    return "\n".join(out)


def _summary_line(report: Report) -> str:
    counts = {k: sum(1 for i in report.items if i.row.severity == k) for k in SEVERITY_ZH}
    overdue = sum(1 for i in report.items if i.status and i.status.overdue)
    measured = sum(1 for i in report.items if i.status and i.status.measure is not None)
    return (f"未关闭问题 {len(report.items)} 个：红色预警 {counts['red']}，黄色预警 {counts['yellow']}，缺数据 "
            f"{counts['missing']}；已有改进措施 {measured}，逾期 {overdue}。 / {len(report.items)} open gaps: "
            f"{counts['red']} red, {counts['yellow']} yellow, {counts['missing']} missing; {measured} with a "
            f"measure, {overdue} overdue.")  # fmt: skip


def _cell_counts(report: Report, level: str, system: str) -> str:
    c = report.summary.get(level, {}).get(system, {})
    return f"{c.get('red', 0)}/{c.get('yellow', 0)}/{c.get('missing', 0)}"


def _spiral_line(report: Report) -> str:
    turn = report.turn
    if turn is None:
        return "没有更早的诊断可比较 / no earlier diagnosis to compare with."
    rate = f"{turn.closure_rate:.0%}" if turn.closure_rate is not None else "—"
    return (f"{turn.from_period} → {turn.to_period}：新增 {len(turn.new)}，持续 {len(turn.persisting)}，"
            f"数据关闭 {len(turn.closed)}，复核关闭 {len(turn.closed_by_review)}，关闭率 {rate}；持续红色预警中尚无改进措施 "
            f"{len(turn.unanswered_red)}。 / new {len(turn.new)}, persisting {len(turn.persisting)}, closed by data "
            f"{len(turn.closed)}, by review {len(turn.closed_by_review)}, closure rate {rate}.")  # fmt: skip


def html_page(report: Report) -> str:
    e = html.escape
    heat = "".join(
        f"<tr><th>{e(level)}</th>"
        + "".join(
            f'<td class="{_worst(report, level, s)}">{_cell_counts(report, level, s)}</td>' for s in SYSTEMS
        )
        + "</tr>"
        for level in LEVELS
    )
    blocks = "".join(  # a block per gap, not a wide table: it prints and reads back whole
        f'<section class="gap {e(i.row.severity)}"><h3>{e(r[0])} · {e(r[1])}</h3>'
        f"<p>{e(r[8])}</p>"
        f"<p>{e(r[2])} / {e(r[3])} · {e(r[4])} · {e(r[5])} · 值 {e(r[6] or '—')} · 标准 {e(r[7] or '—')}</p>"
        f"<p>责任人 owner：{e(r[9])}</p><p>状态 state：{e(r[10])} · 措施与复核：{e(r[11])}</p></section>"
        for i, r in zip(report.items, _rows(report), strict=True)
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{report.period} 学年自我诊改报告 · {e(report.scope_zh)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Noto Sans CJK", "WenQuanYi Micro Hei", sans-serif; font-size: 10pt; margin: 1.5cm; }}
table {{ border-collapse: collapse; margin: .5em 0; }} th, td {{ border: 1px solid #999; padding: 2px 5px; vertical-align: top; }}
td.red, tr.red td:nth-child(2) {{ background: #f8d0cc; }} td.yellow, tr.yellow td:nth-child(2) {{ background: #fbeec2; }}
td.missing, tr.missing td:nth-child(2) {{ background: #e4e8ee; }}
section.gap {{ border-left: 6px solid #999; padding: 0 .6em; margin: .6em 0; break-inside: avoid; }}
section.gap h3 {{ margin: .2em 0; font-size: 10.5pt; }} section.gap p {{ margin: .15em 0; }}
section.red {{ border-color: #b3261e; }} section.yellow {{ border-color: #c98f00; }} section.missing {{ border-color: #6b7280; }}
</style></head><body>
<h1>{report.period} 学年自我诊改报告 · {e(report.scope_zh)}</h1>
<p>Self-diagnosis report {report.period}, {e(report.scope_en)}. 生成 made {e(report.made)}.</p>
<h2>概况 Summary</h2><p>{e(_summary_line(report))}</p>
<h2>层面 × 体系 Heatmap</h2>
<table><tr><th>层面 \\ 体系</th>{"".join(f"<th>{e(s)}</th>" for s in SYSTEMS)}</tr>{heat}</table>
<p>红/黄/缺 = red / yellow / missing</p>
<h2>问题与责任人 Gaps and owners</h2>
{blocks}
<h2>螺旋 Spiral</h2><p>{e(_spiral_line(report))}</p>
{_chart(report)}
</body></html>
"""


def _chart(report: Report) -> str:
    """The open gaps per level over the years, as an SVG inside the page (it fetches nothing)."""
    if not report.trend:
        return ""
    from zhengai import charts

    svg = charts.lines(report.trend, title="各层面未关闭问题 / open gaps per level", y_label="个")
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<p><img alt="open gaps per level" style="width:16cm" src="data:image/svg+xml;base64,{data}"></p>'


def _worst(report: Report, level: str, system: str) -> str:
    c = report.summary.get(level, {}).get(system, {})
    return next((k for k in ("red", "yellow", "missing") if c.get(k)), "")


def xlsx(report: Report, out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    heat = book.active
    heat.title = "汇总 summary"
    heat.append([reports.safe_cell(f"{report.period} 学年自我诊改报告 · {report.scope_zh}")])
    heat.append([reports.safe_cell(_summary_line(report))])
    heat.append(["层面 \\ 体系", *SYSTEMS])
    for level in LEVELS:
        heat.append([level, *(_cell_counts(report, level, s) for s in SYSTEMS)])
        for col, system in enumerate(SYSTEMS, start=2):
            worst = _worst(report, level, system)
            if worst:
                heat.cell(heat.max_row, col).fill = PatternFill("solid", fgColor=FILLS[worst])
    heat.append([reports.safe_cell(_spiral_line(report))])
    gaps = book.create_sheet("问题 gaps")
    gaps.append(HEADER)
    for cell in gaps[1]:
        cell.font = Font(bold=True)
    gaps.freeze_panes = "A2"
    for item, row in zip(report.items, _rows(report), strict=True):
        gaps.append([reports.safe_cell(c) for c in row])
        if item.row.severity in FILLS:
            gaps.cell(gaps.max_row, 2).fill = PatternFill("solid", fgColor=FILLS[item.row.severity])
    book.save(out)


def pdf(report: Report, out: Path) -> None:
    """The HTML page printed by Debian's Chromium (Playwright drives it; the page needs nothing else)."""
    if not CHROMIUM.exists():
        raise ZhengaiError(
            "生成 PDF 需要 Debian 的 chromium（make test 或 apt-get install chromium fonts-noto-cjk 会安装）",
            "a PDF needs Debian's chromium (make test, or apt-get install chromium fonts-noto-cjk, installs it)",
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.abort())  # the page is self-contained: nothing to fetch
            page.set_content(html_page(report), wait_until="load")
            page.pdf(path=str(out), format="A4", landscape=True, print_background=True)
        finally:
            browser.close()


def write(report: Report, fmt: str, out: Path) -> None:
    if fmt not in FORMATS:
        raise ReportError(
            f"未知格式「{fmt}」（{'、'.join(FORMATS)}）", f"unknown format '{fmt}' ({', '.join(FORMATS)})"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "md":
        out.write_text(markdown(report), encoding="utf-8")
    elif fmt == "html":
        out.write_text(html_page(report), encoding="utf-8")
    elif fmt == "xlsx":
        xlsx(report, out)
    else:
        pdf(report, out)
