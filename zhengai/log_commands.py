"""``zhengai log``: the write log (who wrote what, when, from where), and the command line's own entries."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import click
import typer
from rich.table import Table

from zhengai import write_log
from zhengai.errors import ZhengaiError

# The commands that write to the store, and for some the words that make them write.
WRITING = {
    "load": None,
    "import": None,
    "diagnose": None,
    "push": None,
    "measure": None,
    "review": None,
    "mail": None,
    "colleges": {"migrate"},
    "events": {"--retry"},
}
SECRET_OPTIONS = {"--password", "--token", "--secret"}  # their values are never logged


def is_write(command: str | None, args: list[str]) -> bool:
    if command not in WRITING:
        return False
    words = WRITING[command]
    return words is None or bool(words & set(args))


def target(args: list[str]) -> str:
    """What a command named, with the values of secret options left out."""
    shown: list[str] = []
    skip = False
    for arg in args:
        if skip:
            shown.append("***")
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in SECRET_OPTIONS:
            shown.append(f"{name}=***" if "=" in arg else name)
            skip = "=" not in arg
            continue
        shown.append(arg)
    return " ".join(shown)


def record_command(open_store, command: str, args: list[str], outcome: str) -> None:  # type: ignore[no-untyped-def]
    """Log one writing command; a store that cannot be opened (the command's own error) is left be."""
    try:
        with open_store() as store:
            write_log.record(store, [write_log.cli_entry(command, target(args), outcome)])
    except ZhengaiError:
        return


def outcome_of(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    if isinstance(exc, click.exceptions.Exit):
        return "ok" if exc.exit_code in (0, 1) else "error"  # 1: gaps found, a result
    return "error"


def register(app: typer.Typer, open_store, out, fail) -> None:  # type: ignore[no-untyped-def]
    @app.command("log")
    def log_(
        since: Annotated[
            str, typer.Option(help="Only writes on or after this day (YYYY-MM-DD).")
        ] = "1970-01-01",
        actor: Annotated[str, typer.Option(help="Only writers whose name contains this.")] = "",
        action: Annotated[str, typer.Option(help="Only actions containing this (load, POST /loads …).")] = "",
        limit: Annotated[int, typer.Option(help="The most entries shown.")] = 50,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    ) -> None:
        """The write log: every write to the store, by the API or this command line, newest first."""
        try:
            with open_store() as store:
                found = write_log.entries(store, since=since, actor=actor, action=action, limit=limit)
        except ZhengaiError as exc:
            raise fail(exc) from None
        if fmt == "json":
            sys.stdout.write(json.dumps([e.as_dict() for e in found], ensure_ascii=False, indent=2) + "\n")
            return
        table = Table(
            "时间 at", "写入者 actor", "角色 role", "来源 origin", "动作 action", "对象 target", "结果 outcome",
            title=f"写入日志 / Write log ({len(found)})",
        )  # fmt: skip
        for e in found:
            table.add_row(
                e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.role, e.origin, e.action, e.target, e.outcome
            )
        out.print(table)
