"""The lifecycle on the command line: ``measure``, ``review`` and ``history`` (``zhengai.cli`` adds them).

The CLI checks the same rules as the API: ``--by`` names the person acting, and the rules decide
whether that person may.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from zhengai import lifecycle
from zhengai.errors import ZhengaiError
from zhengai.store import OxigraphStore


def _print_history(found: lifecycle.History) -> None:
    from zhengai.cli import out

    s = found.status
    overdue = "  [bold red]逾期 overdue[/]" if s.overdue else ""
    out.print(f"[bold]{found.key.id}[/]  状态 state: {s.zh} / {s.en}{overdue}", highlight=False)
    if found.later:
        out.print(f"  延续到 carried on in: {found.later}", highlight=False)
    if not s.actions:
        out.print("  尚无处理记录 / no actions recorded yet", highlight=False)
    superseded = s.superseded
    for a in s.actions:
        who = f"{a.actor.name}（{a.actor.staff_number}，{a.actor.post or '—'}，{a.actor.capacity}）"
        head = f"  {a.at.isoformat(timespec='seconds')}  {lifecycle.actions.KIND_ZH[a.kind]} {a.kind}"
        if a.verdict:
            head += f" · {lifecycle.actions.VERDICT_ZH[a.verdict]} {a.verdict}"
        mark = "  [dim](已被取代 superseded)[/]" if a.iri in superseded else ""
        out.print(f"{head}  {who}{mark}", highlight=False)
        if a.text:
            out.print(f"      {a.text}", highlight=False)
        if a.due:
            out.print(f"      完成期限 due: {a.due.isoformat()}", highlight=False)
        for link in a.evidence:
            out.print(f"      佐证 evidence: {link}", highlight=False)
        out.print(f"      [dim]{a.short}[/]", highlight=False)


def _record(gap_id: str, act: Callable[[OxigraphStore], lifecycle.Action]) -> None:
    """Take one action on the store, then print what was recorded and the gap's history."""
    from zhengai.cli import _fail, _open, out

    try:
        with _open() as store:
            action = act(store)
            found = lifecycle.history(store, gap_id)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    what = "改进措施 / measure" if action.kind == "measure" else "复核 / review"
    out.print(f"[green]✓[/] 已记录{what} recorded: {action.short}", highlight=False)
    _print_history(found)


def measure(
    gap_id: Annotated[str, typer.Argument(help="Gap id, e.g. 2025/ZY-1.1.1-02/510202.")],
    text: Annotated[str, typer.Option("--text", help="The improvement measure (改进措施).")],
    due: Annotated[str, typer.Option("--due", help="Due date, YYYY-MM-DD.")],
    by: Annotated[str, typer.Option("--by", help="The owner's staff number (工号).")],
    evidence: Annotated[
        list[str] | None, typer.Option("--evidence", help="A link to evidence (repeatable).")
    ] = None,
) -> None:
    """Record an improvement measure (改进措施) on a gap: only its owner may."""
    _record(
        gap_id,
        lambda store: lifecycle.measure(store, gap_id, text=text, due=due, by=by, evidence=evidence or []),
    )


def review(
    gap_id: Annotated[str, typer.Argument(help="Gap id, e.g. 2025/ZY-1.1.1-02/510202.")],
    by: Annotated[str, typer.Option("--by", help="The reviewer's staff number (工号).")],
    accept: Annotated[bool, typer.Option("--accept", help="Accept the current measure.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject it (give --reason).")] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (required with --reject).")] = "",
) -> None:
    """Review (复核) a gap's current measure: the 审核人, a 监管人 or the quality office may."""
    from zhengai.cli import _fail

    if accept == reject:
        raise _fail(ZhengaiError("请给出 --accept 或 --reject 之一", "give one of --accept or --reject"))
    _record(gap_id, lambda store: lifecycle.review(store, gap_id, accept=accept, reason=reason, by=by))


def history(
    gap_id: Annotated[str, typer.Argument(help="Gap id, e.g. 2025/ZY-1.1.1-02/510202.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """A gap's state and every measure and review on it, including those carried from earlier periods."""
    from zhengai.cli import _fail, _open

    try:
        with _open() as store:
            found = lifecycle.history(store, gap_id)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    if fmt == "json":
        sys.stdout.write(json.dumps(found.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    _print_history(found)


def register(app: typer.Typer) -> None:
    for command in (measure, review, history):
        app.command()(command)
