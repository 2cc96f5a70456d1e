"""An improvement ledger (改进台账): measures and reviews kept in a workbook, loaded as actions.

Columns: 问题编号 (``2024/ZY-1.1.1-02/510202``), 类型 (改进措施 or 复核), 工号, 记录时间, and then
内容 (the measure, or the review's reason), 完成期限 (a measure's due date), 结论 (通过 / 退回,
for a review) and 佐证材料 (links, separated by 、 or spaces). Rows are taken in time order; each
is checked by the same rules as ``zhengai measure`` / ``zhengai review``, as things stood at its
记录时间. One bad row and nothing is written; loading the same ledger again adds nothing (an
action's IRI is derived from what it records).
"""

from __future__ import annotations

import datetime as dt
import re

from zhengai.errors import Location, Problem, ZhengaiError
from zhengai.loaders.base import LoadResult, Problems, parse_cell, parse_date
from zhengai.loaders.headers import with_synonyms
from zhengai.loaders.table import Column, RawSheet, header_score, read_table
from zhengai.store import GraphStore

from . import measure, review
from .actions import Action, graphs_of

KIND = "actions"
CHINA = dt.timezone(dt.timedelta(hours=8))
COLUMNS = (
    Column("gap", ("问题编号", "问题ID", "问题"), required=True),
    Column("kind", ("类型", "动作", "记录类型"), required=True),
    Column("by", ("工号", "经办人工号", "记录人工号"), required=True),
    Column("at", ("记录时间", "日期", "时间"), required=True),
    Column("text", ("内容", "改进措施", "复核意见", "理由")),
    Column("due", ("完成期限", "期限", "计划完成时间")),
    Column("verdict", ("结论", "复核结论")),
    Column("evidence", ("佐证材料", "佐证", "证据链接")),
)
MEASURE_WORDS = {"改进措施", "措施", "measure"}
REVIEW_WORDS = {"复核", "审核", "review"}
VERDICTS = {"通过": True, "同意": True, "accepted": True, "accept": True,
            "退回": False, "不通过": False, "rejected": False, "reject": False}  # fmt: skip


def columns() -> tuple[Column, ...]:
    return with_synonyms(KIND, COLUMNS)


def detect_score(sheets: list[RawSheet]) -> int:
    spec = [c for c in columns() if c.key in ("gap", "kind", "verdict", "due")]
    return max((header_score(s, spec)[0] for s in sheets), default=0)


def _time(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(9, 0))
    else:
        text = str(value).strip().replace("/", "-")
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"记录时间应写作 YYYY-MM-DD [HH:MM]：「{text}」") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def load(store: GraphStore, sheets: list[RawSheet], file: str) -> LoadResult:
    """Check every row of the ledger against the store (nothing is written here): the actions'
    graphs, which ``zhengai.loading`` adds to the store (never replacing what is there)."""
    sheet = max(sheets, key=lambda s: header_score(s, columns())[0])
    table = read_table(sheet, columns())
    problems = Problems(file)
    entries = []
    for row in table.rows:
        at = parse_cell(row, "at", _time, problems, required=True)
        kind = (row.text("kind") or "").strip()
        if kind not in MEASURE_WORDS | REVIEW_WORDS:
            problems.error(
                f"类型应为「改进措施」或「复核」：「{kind}」",
                f"the type is 改进措施 or 复核: '{kind}'",
                row.loc("kind"),
            )
            continue
        if at is not None:
            entries.append((at, row.number, kind, row))
    done: list[Action] = []
    for at, _, kind, row in sorted(entries, key=lambda e: (e[0], e[1])):
        gap_id, by = row.text("gap") or "", row.text("by") or ""
        try:
            if kind in MEASURE_WORDS:
                due = parse_cell(row, "due", parse_date, problems, required=True)
                if due is None:
                    continue
                links = [x for x in re.split(r"[、,，;；\s]+", row.text("evidence") or "") if x]
                action = measure(store, gap_id, text=row.text("text") or "", due=due, by=by, evidence=links,
                                 now=at, pending=done, write=False)  # fmt: skip
            else:
                verdict = VERDICTS.get((row.text("verdict") or "").strip())
                if verdict is None:
                    problems.error(
                        f"复核的结论应为「通过」或「退回」：「{row.text('verdict') or ''}」",
                        f"a review's verdict is 通过 or 退回: '{row.text('verdict') or ''}'",
                        row.loc("verdict"),
                    )
                    continue
                action = review(store, gap_id, accept=verdict, reason=row.text("text") or "", by=by,
                                now=at, pending=done, write=False)  # fmt: skip
        except ZhengaiError as exc:
            problems.error(exc.zh, exc.en, row.loc("gap"))
            continue
        done.append(action)
    problems.raise_if_any()
    graphs = graphs_of(done)
    measures = sum(a.kind == "measure" for a in done)
    finding = Problem(
        f"台账记录了 {measures} 条改进措施、{len(done) - measures} 条复核（zhengai history 问题编号 可查看）",
        f"the ledger holds {measures} measure(s) and {len(done) - measures} review(s) (zhengai history GAP-ID shows them)",
        Location(file, sheet.name),
    )
    return LoadResult(KIND, graphs, len(table.rows), [finding])
