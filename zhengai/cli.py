"""The ``zhengai`` command line. Exit codes: 0 success, 1 gaps found (later commands), 2 error."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from zhengai import (
    __version__,
    assignment,
    audit,
    criteria_report,
    diagnosis,
    lifecycle,
    log_commands,
    ownership,
    region_commands,
    reports,
    standards,
)
from zhengai import query_registry as named_queries
from zhengai import spiral as spiral_
from zhengai.errors import DiagnosisError, ZhengaiError
from zhengai.lifecycle import commands as lifecycle_commands
from zhengai.loading import KINDS, batch_order, load_file, load_files
from zhengai.namespaces import GRAPH_BASE, LEVELS
from zhengai.store import GraphStore, OxigraphStore, open_store, store_location
from zhengai.views import render_term, stats_tables

GLOBAL_OPTIONS = ("--store", "--college")


def hoist_global_options(args: list[str]) -> list[str]:
    """Move ``--store``/``--college`` given after the command to the front, where click reads them.

    >>> hoist_global_options(["serve", "--store", "s", "--port", "9000"])
    ['--store', 's', 'serve', '--port', '9000']
    >>> hoist_global_options(["load", "a.xlsx", "--college=10999", "--", "--store"])
    ['--college=10999', 'load', 'a.xlsx', '--', '--store']
    """
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in GLOBAL_OPTIONS and i + 1 < len(args):
            front.extend(args[i : i + 2])
            i += 2
            continue
        if arg.split("=", 1)[0] in GLOBAL_OPTIONS and "=" in arg:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


class _Commands(TyperGroup):
    """The top-level group: the global options are accepted before or after the command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, hoist_global_options(list(args)))
        ctx.meta["zhengai.args"] = [*getattr(ctx, "_protected_args", []), *rest]  # the command, its arguments
        return rest

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; a command that writes leaves an entry in the write log."""
        failure: BaseException | None = None
        try:
            return super().invoke(ctx)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            args = ctx.meta.get("zhengai.args", [])
            command, rest = (args[0], args[1:]) if args else (None, [])
            if (
                log_commands.is_write(command, rest)
                and "--help" not in rest
                and not isinstance(failure, click.exceptions.UsageError)
            ):
                log_commands.record_command(_open, command, rest, log_commands.outcome_of(failure))


app = typer.Typer(
    cls=_Commands,
    help="诊改知识图谱 — knowledge graph and semantic queries for college quality diagnosis (诊改).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Off a terminal (pipes, CI logs) tables get room instead of rich's 80-column default.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)

EXIT_OK, EXIT_GAPS, EXIT_ERROR = 0, 1, 2


class State:
    store_location: str | None = None
    college: str | None = None


def _open() -> GraphStore:
    return open_store(State.store_location, State.college)


def _fail(exc: ZhengaiError) -> typer.Exit:
    err.print(f"[bold red]错误 / Error[/]  {exc}", markup=True, highlight=False)
    return typer.Exit(EXIT_ERROR)


def _version(value: bool) -> None:
    if value:
        out.print(f"zhengai {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            envvar="ZHENGAI_STORE",
            help="Store directory (default .zhengai/store), or a SPARQL 1.1 server's URL (http://…).",
        ),
    ] = None,
    college: Annotated[
        str | None,
        typer.Option(
            "--college",
            envvar="ZHENGAI_COLLEGE",
            help="The college (学校代码) to work on, in a store that holds several (default: the only one).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    State.store_location = store
    State.college = college


@app.command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="Workbooks (.xlsx), CSV files or RDF files to load.")],
    kind: Annotated[
        str | None, typer.Option(help=f"What the files hold: {', '.join(KINDS)}. Detected if omitted.")
    ] = None,
    period: Annotated[
        int | None, typer.Option(help="Academic year for observations/targets without a 学年 column.")
    ] = None,
) -> None:
    """Load files into the store; each file replaces its graphs atomically, or changes nothing."""
    failures = 0
    try:
        store = _open()
    except ZhengaiError as exc:
        raise _fail(exc) from None
    ordered = batch_order(paths, kind)
    show_progress = err.is_terminal
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        disable=not show_progress,
    ) as progress:
        task = progress.add_task("", total=len(ordered))

        def stage_of(path: Path) -> Callable[[str], None]:
            def stage(text: str) -> None:
                progress.update(task, description=f"{path.name}: {text}")

            return stage

        for path, report in load_files(store, ordered, period, stage_of):
            progress.advance(task)
            if isinstance(report, ZhengaiError):
                failures += 1
                err.print(f"[bold red]✗ {path.name}[/]  {report}", highlight=False)
                continue
            graphs = ", ".join(f"{str(g).removeprefix(GRAPH_BASE)} ({n})" for g, n in report.graphs.items())
            out.print(
                f"[green]✓[/] {report.file}  [{report.kind}]  {report.rows} 行/rows → {graphs}  {report.seconds:.2f}s",
                highlight=False,
            )
            for finding in report.findings:
                out.print(f"  [yellow]![/] {finding}", highlight=False)
            if report.kind == "catalogue":
                zh, en = criteria_report.count_line(criteria_report.readings(store))
                out.print(f"  [cyan]i[/] {zh} / {en}", highlight=False)
    store.close()
    if failures:
        raise typer.Exit(EXIT_ERROR)


@app.command()
def stats() -> None:
    """Triples per named graph, instances per class, and the last load of each graph."""
    try:
        with _open() as store:
            for table in stats_tables(store):
                out.print(table)
    except ZhengaiError as exc:
        raise _fail(exc) from None


@app.command()
def query(
    name: Annotated[str, typer.Argument(help="A packaged query name (see --list) or a .rq file.")] = "",
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="name=value, repeatable.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    list_: Annotated[bool, typer.Option("--list", help="List the packaged queries.")] = False,
) -> None:
    """Run a named SPARQL query (queries/*.rq) or a .rq file, with bound parameters."""
    if list_ or not name:
        table = Table("name", "parameters", "description", title="Queries / 查询")
        for qname in named_queries.names():
            q = named_queries.get(qname)
            table.add_row(qname, ", ".join(f"{p.name}:{p.type}" for p in q.params.values()), q.description)
        out.print(table)
        return
    if fmt not in ("table", "csv", "json"):
        raise _fail(ZhengaiError(f"未知格式「{fmt}」", f"unknown format '{fmt}' (table, csv, json)"))
    values: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise _fail(
                ZhengaiError(f"参数应写作 name=value：「{item}」", f"a parameter reads name=value: '{item}'")
            )
        values[key.strip()] = value
    try:
        q = named_queries.get(name)
        with _open() as store:
            bindings = q.bindings(values)
            variables, rows = store.select_table(q.text, bindings)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    _print_rows(variables, rows, fmt)


def _print_rows(variables: list[str], rows: list[dict], fmt: str) -> None:
    if fmt == "json":
        data = [{v: render_term(r[v]) for v in variables if v in r} for r in rows]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(variables)
        for r in rows:
            writer.writerow([reports.safe_cell(render_term(r[v])) if v in r else "" for v in variables])
        sys.stdout.write(buffer.getvalue())
    else:
        table = Table(*variables)
        for r in rows:
            table.add_row(*[render_term(r[v]) if v in r else "" for v in variables])
        out.print(table)
        out.print(f"{len(rows)} 行 / rows")


@app.command("export")
def export_(
    path: Annotated[Path, typer.Argument(help="Backup file: .trig or .nq.")],
) -> None:
    """Write the whole store (every named graph) to a TriG or N-Quads backup."""
    try:
        with _open() as store:
            n = store.export(path)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    out.print(f"[green]✓[/] {n} quads → {path}", highlight=False)


@app.command("push")
def push_(
    file: Annotated[
        str, typer.Argument(help="A .json or .csv file of observations, or - for standard input.")
    ],
    system: Annotated[
        str, typer.Option(help="The campus system the values come from (PROV).")
    ] = "命令行 cli",
    key: Annotated[
        str | None, typer.Option(help="An idempotency key: sent again, the push writes nothing.")
    ] = None,
) -> None:
    """Push observations between reloads: JSON items {indicator, subject, period, value |
    numerator+denominator, source, observed_at}, or CSV in the loader's columns. All or nothing."""
    from zhengai import push as pushing

    try:
        sheets, problems = _push_sheets(file)
        with _open() as store:
            result = pushing.push(store, sheets, file=file, system=system, key=key, problems=problems)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    if result.replayed:
        out.print(
            f"[cyan]i[/] 这个键已推送过，未写入 / key seen before, nothing written: {len(result.written)}"
        )
        return
    out.print(
        f"[green]✓[/] 写入 / written: {len(result.written)}，重复 / duplicates: {len(result.duplicates)}",
        highlight=False,
    )
    for gap_id in result.written:
        out.print(f"  {gap_id}", highlight=False)
    for change in result.changes:
        before, after = change.before or "—", change.after or "已达标 met"
        out.print(
            f"  [yellow]![/] {change.id}：{before} → {after}（{change.kind}）{change.message_zh}",
            highlight=False,
        )
        out.print(f"    {change.message_en}", highlight=False)
    for period in result.undiagnosed:
        out.print(
            f"  [cyan]i[/] {period} 学年尚未诊断：下次 zhengai diagnose --period {period} 时计入 / "
            f"{period} is not diagnosed yet: its next diagnose counts these values",
            highlight=False,
        )


def _push_sheets(file: str) -> tuple[list, list]:  # type: ignore[type-arg]
    """The pushed file (or standard input) as the loader's tables: JSON items, or CSV."""
    from zhengai import push as pushing

    if file == "-":
        body = sys.stdin.buffer.read()
    else:
        if not Path(file).exists():
            raise ZhengaiError(f"文件不存在：{file}", f"file does not exist: {file}")
        body = Path(file).read_bytes()
    if Path(file).suffix.lower() != ".csv" and body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        return pushing.json_sheets(body, file)
    return pushing.csv_sheets(body, file), []


@app.command("events")
def events_(
    after: Annotated[int, typer.Option(help="Only the events after this sequence number.")] = 0,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    dead: Annotated[
        bool, typer.Option("--dead", help="The webhook deliveries given up after repeated failures.")
    ] = False,
    retry: Annotated[
        bool, typer.Option("--retry", help="Send the dead deliveries again (the server's next pass).")
    ] = False,
) -> None:
    """The gap events pushed data caused (new, worsened, improved, changed, resolved), oldest first."""
    from zhengai import delivery
    from zhengai import events as gap_events

    try:
        with _open() as store:
            if dead or retry:
                outbox = delivery.Deliverer(store, [])
                letters = outbox.dead()
                n = outbox.retry_dead() if retry else 0
                outbox.close()
                for name, seq, attempts in letters:
                    out.print(f"  {name}  事件 event #{seq}  尝试 attempts {attempts}", highlight=False)
                out.print(
                    f"{len(letters)} 个投递已放弃 / dead deliveries"
                    + (f"；已重新排队 / queued again: {n}" if retry else ""),
                    highlight=False,
                )
                return
            found = gap_events.since(store, after, limit=100_000)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    if fmt == "json":
        out.print_json(json.dumps([e.as_dict() for e in found], ensure_ascii=False))
        return
    table = Table("#", "时间 at", "问题 gap", "变化 kind", "前 → 后", "责任人 owner", "说明 message")
    for e in found:
        owner = e.owner or {}
        posts = (
            "、".join(p["code"] for p in owner.get("posts", [])) or "、".join(owner.get("units", [])) or "—"
        )  # type: ignore[union-attr]
        table.add_row(
            str(e.seq), e.at[:19], e.gap, e.kind, f"{e.before or '—'} → {e.after or '—'}", posts, e.message_zh
        )
    out.print(table)
    if not found:
        out.print("没有事件 / no events")


@app.command()
def compact() -> None:
    """Compact the store on disk: run after large loads, many diagnoses or dropped runs, when reads
    have grown slow (each bulk write leaves files that every later read merges)."""
    try:
        with _open() as store:
            started = time.perf_counter()
            if not isinstance(store, OxigraphStore):
                raise ZhengaiError(
                    "远程 SPARQL 服务器自行管理其存储，zhengai 不压缩它",
                    "A remote SPARQL server manages its own storage; zhengai does not compact it",
                )
            store.compact()
    except ZhengaiError as exc:
        raise _fail(exc) from None
    out.print(f"[green]✓[/] 已压缩 / compacted ({time.perf_counter() - started:.1f} s)", highlight=False)


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="Backup file written by zhengai export (.trig or .nq).")],
) -> None:
    """Restore a backup: every graph in it replaces the graph of the same name, in one transaction."""
    if not path.exists():
        raise _fail(ZhengaiError(f"文件不存在：{path}", f"file does not exist: {path}"))
    try:
        with _open() as store:
            n = store.import_dataset(path)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    out.print(f"[green]✓[/] {n} quads ← {path}", highlight=False)


# -- diagnosis ------------------------------------------------------------------------------------


def _progress(text: str) -> None:
    if err.is_terminal:
        err.print(f"[dim]… {text}[/]", highlight=False)


def _check_format(fmt: str) -> None:
    if fmt not in reports.FORMATS:
        raise _fail(
            ZhengaiError(f"未知格式「{fmt}」", f"unknown format '{fmt}' ({', '.join(reports.FORMATS)})")
        )


def _latest_period(store: OxigraphStore) -> int:
    periods = diagnosis.available_periods(store)
    if not periods:
        raise DiagnosisError(
            "数据存储中没有状态数据：请先加载状态数据（zhengai load 状态数据.xlsx）",
            "no observations are loaded: load some first (zhengai load observations.xlsx)",
        )
    return periods[-1]


def _emit(text: str, out_file: Path | None) -> None:
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"[green]✓[/] → {out_file}", highlight=False)


@app.command("diagnose")
def diagnose_(
    period: Annotated[
        int | None, typer.Option(help="Academic year to diagnose (default: the latest loaded).")
    ] = None,
    level: Annotated[
        str | None, typer.Option(help="Only this level: 学校, 专业, 课程, 教师 or 学生.")
    ] = None,
    engine: Annotated[
        str, typer.Option(help="fast (SPARQL in the store) or pyshacl (the reference).")
    ] = "fast",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, json or md.")] = "table",
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write csv/json/md here.")] = None,
    limit: Annotated[int, typer.Option(help="Gaps shown in the terminal table (0: all).")] = 60,
    findings: Annotated[
        bool, typer.Option("--findings", help="List criteria that are not machine-checkable.")
    ] = False,
    fail_on: Annotated[
        str, typer.Option(help="Exit 1 when gaps of this severity exist: none, red, yellow.")
    ] = "none",
) -> None:
    """Diagnose one period: validate against the generated SHACL standards, store the run, show the gaps."""
    _check_format(fmt)
    if fail_on not in ("none", "red", "yellow"):
        raise _fail(
            ZhengaiError(
                f"--fail-on 应为 none、red 或 yellow：{fail_on}",
                f"--fail-on is none, red or yellow: {fail_on}",
            )
        )
    try:
        with _open() as store:
            chosen = period if period is not None else _latest_period(store)
            run = diagnosis.diagnose(store, chosen, level=level, engine=engine, progress=_progress)
            rows = reports.gap_rows(store, run.graph)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    open_rows = [r for r in rows if r.severity != "closed"]
    counts = reports.totals(open_rows)
    title = f"{run.period} 学年诊断 / Diagnosis of {run.period}  (run {run.id}, {run.engine})"
    run_info = {
        "id": run.id, "period": run.period, "engine": run.engine, "graph": str(run.graph),
        "shapes_graph": str(run.shapes_graph), "level": run.level, "previous_period": run.previous_period,
        "started": run.started.isoformat(), "ended": run.ended.isoformat(),
    }  # fmt: skip
    if fmt == "csv":
        _emit(reports.to_csv(rows), out_file)
    elif fmt == "json":
        _emit(reports.to_json(rows, run_info), out_file)
    elif fmt == "md":
        _emit(reports.to_markdown(rows, title), out_file)
    else:
        seconds = (run.ended - run.started).total_seconds()
        out.print(
            f"[bold]{title}[/]\n"
            f"问题 gaps: [red]红 {counts['red']}[/]  [yellow]黄 {counts['yellow']}[/]  缺数据 {counts['missing']}"
            f"   ({seconds:.2f}s)",
            highlight=False,
        )
        if run.previous_period is not None:
            out.print(
                f"与 {run.previous_period} 学年比较 / vs {run.previous_period}: 新 new {counts['status:new']}，"
                f"持续 persisting {counts['status:persisting']}，已关闭 closed {len(run.closed)}",
                highlight=False,
            )
        else:
            out.print(
                "没有更早学年的诊断，全部记为新问题 / no earlier run: every gap is new", highlight=False
            )
        out.print(reports.summary_table(open_rows, "层面 × 纵向系统 / level × system"))
        shown = open_rows if limit <= 0 else open_rows[:limit]
        out.print(reports.gaps_table(shown, "问题 / Gaps"))
        if len(shown) < len(open_rows):
            out.print(
                f"… 另有 {len(open_rows) - len(shown)} 个问题 / more gaps: --limit 0 or --format csv",
                highlight=False,
            )
    for line in run.silent:  # silence is not success: always shown, one line per indicator
        err.print(f"[bold yellow]![/] {line.zh}\n  {line.en}", highlight=False)
    if run.not_due:
        err.print(
            f"[dim]i {len(run.not_due)} 个指标本学年不到期（监测频率），未诊断 / not due this period: "
            f"{'、'.join(run.not_due)}[/]",
            highlight=False,
        )
    if run.findings:
        if findings:
            for finding in run.findings:
                err.print(f"  [yellow]![/] {finding}", highlight=False)
        else:
            err.print(
                f"[yellow]![/] {len(run.findings)} 个指标的诊断标准不能机器检查或用了默认档次线（--findings 查看）/ "
                f"{len(run.findings)} criteria are not machine-checkable or use the default scale (see --findings)",
                highlight=False,
            )
    if (fail_on == "red" and counts["red"]) or (fail_on == "yellow" and (counts["red"] or counts["yellow"])):
        raise typer.Exit(EXIT_GAPS)


@app.command()
def spiral(
    from_: Annotated[int, typer.Option("--from", help="The earlier period.")],
    to: Annotated[int, typer.Option("--to", help="The later period.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """One turn of the spiral: new, persisting and closed gaps between two periods, and next targets."""
    if fmt not in ("table", "json"):
        raise _fail(ZhengaiError(f"未知格式「{fmt}」", f"unknown format '{fmt}' (table, json)"))
    if from_ >= to:
        raise _fail(ZhengaiError("--from 应早于 --to", "--from must be earlier than --to"))
    try:
        with _open() as store:
            result = spiral_.turn(store, from_, to, progress=_progress)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    reds = result.persisting_red()
    if fmt == "json":
        data = {
            "from": from_, "to": to, "closure_rate": result.closure_rate,
            "new": len(result.new), "persisting": len(result.persisting), "closed": len(result.closed),
            "closed_by_data": len(result.closed), "closed_by_review": len(result.closed_by_review),
            "unanswered_red": [r.id for r in result.unanswered_red],
            "by_level_system": [
                {"level": lv, "system": sy, **dict(c)} for (lv, sy), c in sorted(result.counts().items())
            ],
            "persisting_red": [
                {"id": a.id, "value_before": b.value, "value_after": a.value,
                 "suggested_target": a.suggested_target or a.threshold, "message_zh": a.message_zh}
                for b, a in reds
            ],
        }  # fmt: skip
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    rate = f"{result.closure_rate:.0%}" if result.closure_rate is not None else "—"
    out.print(
        f"[bold]螺旋 {from_} → {to} / spiral turn[/]  新 new {len(result.new)}，持续 persisting "
        f"{len(result.persisting)}，关闭 closed {len(result.closed)}，关闭率 closure rate {rate}",
        highlight=False,
    )
    out.print(
        f"  关闭 closures: 数据 by data {len(result.closed)}，复核 by review {len(result.closed_by_review)}；"
        f"持续红色预警中尚无改进措施 persisting red with no measure: {len(result.unanswered_red)}",
        highlight=False,
    )
    table = Table(
        "层面 level", "系统 system", "新 new", "持续 persisting", "关闭 closed", title="层面 × 纵向系统"
    )
    for (lv, sy), c in sorted(result.counts().items()):
        table.add_row(lv, sy, str(c["new"]), str(c["persisting"]), str(c["closed"]))
    out.print(table)
    reds_table = Table(
        "ID", f"{from_}", f"{to}", "趋势 trend", f"{to + 1} 建议目标 suggested target", "说明 message",
        title="持续的红色预警 / persisting red gaps",
    )  # fmt: skip
    for before, after in reds:
        target = after.suggested_target or after.threshold
        reds_table.add_row(
            after.id, before.value or before.grade, after.value or after.grade, after.trend,
            f"≥ {target}（底线 bottom line）" if target else "达标 meet the standard", after.message_zh,
        )  # fmt: skip
    out.print(reds_table)
    if result.unanswered_red:
        out.print(
            "尚无改进措施的持续红色预警 / persisting red gaps with no measure: "
            + "、".join(r.id for r in result.unanswered_red),
            highlight=False,
        )


@app.command()
def shapes(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the Turtle files (one per level).")],
    period: Annotated[
        int | None, typer.Option(help="Period whose yearly targets apply (default: the latest).")
    ] = None,
) -> None:
    """Write the SHACL shapes generated from the catalogue and the period's targets, one file per level."""
    try:
        with _open() as store:
            periods = diagnosis.available_periods(store)
            chosen = period if period is not None else (periods[-1] if periods else dt.date.today().year)
            compiled = standards.compile_period(store, chosen)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    if not compiled.standards:
        raise _fail(ZhengaiError("没有已加载的指标表", "no indicator catalogue is loaded"))
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, (key, node) in LEVELS.items():
        chosen_standards = [s for s in compiled.standards if s.indicator.level == node]
        if not chosen_standards:
            continue
        g = standards.shapes_graph(chosen_standards)
        path = out_dir / f"{key}.ttl"
        header = (
            f"# zhengai: diagnostic standards of the {name} level for {chosen}, generated from the indicator\n"
            f"# catalogue and the yearly targets. {len(chosen_standards)} standards.\n"
        )
        path.write_text(header + g.serialize(format="turtle"), encoding="utf-8")
        out.print(
            f"[green]✓[/] {name}: {len(chosen_standards)} standards, {len(g)} triples → {path}",
            highlight=False,
        )
    for finding in compiled.findings:
        err.print(f"  [yellow]![/] {finding}", highlight=False)


@app.command("criteria")
def criteria_(
    file: Annotated[
        Path | None,
        typer.Argument(help="A catalogue workbook to read without loading it (default: the store's)."),
    ] = None,
    level: Annotated[
        str | None, typer.Option(help="Only this level: 学校, 专业, 课程, 教师 or 学生.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or md")] = "table",
    unreadable: Annotated[
        bool, typer.Option("--unreadable", help="Only the criteria that are not machine-checkable.")
    ] = False,
    summary: Annotated[
        bool, typer.Option("--summary", help="Only the count, by level, and why the rest are not checkable.")
    ] = False,
) -> None:
    """How each catalogue row's 诊断标准 was read, or why it is not machine-checkable (with a hint)."""
    if fmt not in ("table", "json", "md"):
        raise _fail(ZhengaiError(f"未知格式「{fmt}」", f"unknown format '{fmt}' (table, json, md)"))
    if level is not None and level not in LEVELS:
        raise _fail(
            ZhengaiError(f"未知层面「{level}」（可用：{'、'.join(LEVELS)}）", f"unknown level '{level}'")
        )
    try:
        if file is not None:
            store = OxigraphStore(None)
            load_file(store, file, "catalogue")
        else:
            store = _open()
        with store:
            rows = criteria_report.readings(store, level)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    if not rows:
        raise _fail(ZhengaiError("没有已加载的指标表", "no indicator catalogue is loaded"))
    zh, en = criteria_report.count_line(rows)
    if summary:
        out.print(f"{zh} / {en}", highlight=False)
        for name in LEVELS:
            level_rows = [r for r in rows if r.level == name]
            if level_rows:
                ok = sum(r.checkable for r in level_rows)
                kinds = criteria_report.categories(level_rows)
                why = "；".join(
                    f"{criteria_report.category_name(k)[0]} / {criteria_report.category_name(k)[1]}: {n}"
                    for k, n in kinds.most_common()
                )
                out.print(
                    f"  {name}: {ok} / {len(level_rows)}" + (f"  （{why}）" if why else ""), highlight=False
                )
        return
    shown = [r for r in rows if not r.checkable] if unreadable else rows
    if fmt == "json":
        payload = {"summary": {"zh": zh, "en": en, "checkable": sum(r.checkable for r in rows), "total": len(rows)},
                   "not_checkable_by_category": dict(criteria_report.categories(rows)),
                   "rows": [r.as_dict() for r in shown]}  # fmt: skip
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == "md":
        lines = [f"# 诊断标准的读法 / How the criteria were read\n\n{zh}  \n{en}\n",
                 "| 编码 code | 指标 indicator | 诊断标准 as written | 读作 read as | 建议 hint |", "|---|---|---|---|---|"]  # fmt: skip
        for r in shown:
            cell = (
                (r.reading_zh + "<br>" + r.reading_en)
                if r.checkable
                else ("✗ " + r.reading_zh + "<br>" + r.reading_en)
            )
            hint = (r.hint_zh + "<br>" + r.hint_en) if r.hint_zh else ""
            lines.append(f"| {r.code} | {r.label} | {r.written.replace(chr(10), ' ')} | {cell} | {hint} |")
        sys.stdout.write("\n".join(lines) + "\n")
        return
    table = Table(title=f"{zh} / {en}", show_lines=False)
    for col in (
        "编码 code",
        "指标 indicator",
        "诊断标准 as written",
        "读作 read as / 原因 why not",
        "位置 where",
    ):
        table.add_column(col, overflow="fold")
    for r in shown:
        read = (
            f"[green]✓[/] {r.reading_zh}\n[dim]{r.reading_en}[/]"
            if r.checkable
            else f"[red]✗[/] {r.reading_zh}\n[dim]{r.reading_en}[/]"
            + (f"\n[yellow]→ {r.hint_zh}[/]\n[dim]→ {r.hint_en}[/]" if r.hint_zh else "")
        )
        where = f"{r.sheet or ''} {r.row or ''}".strip()
        table.add_row(r.code, r.label, r.written, read, where)
    out.print(table)


# -- ownership ------------------------------------------------------------------------------------


def _diagnosed_period(store: OxigraphStore, period: int | None) -> diagnosis.RunInfo:
    runs = diagnosis.runs(store)
    if period is None and runs:
        period = max(r.period for r in runs)
    info = diagnosis.latest_run(store, period) if period is not None else None
    if info is None:
        shown = period if period is not None else "—"
        raise DiagnosisError(
            f"{shown} 学年还没有诊断：请先运行 zhengai diagnose",
            f"{shown} has not been diagnosed: run zhengai diagnose first",
        )
    return info


def _owner_lines(owner: ownership.Owner) -> list[str]:
    lines = [f"[bold]{owner.id}[/]  规则 rule {owner.rule}: {owner.rule_zh} / {owner.rule_en}"]
    lines.append("  责任单位 units: " + ("、".join(n for _, n in owner.units) or "—"))
    for o in owner.posts:
        who = "、".join(f"{name}（{no}）" for no, name in o.post.holders)
        if o.vacant:
            acting = "、".join(f"{name}（{no}）" for no, name in o.acting) or "—"
            where = f"{o.acting_post.code} {o.acting_post.name}" if o.acting_post else "—"
            who = f"[yellow]空缺 vacant[/] → {where}: {acting}"
        lines.append(f"  责任岗位 post: {o.post.code} {o.post.name}（{o.post.unit_name}） — {who}")
    lines.append("  监督单位 supervising: " + ("、".join(owner.supervisors) or "—"))
    lines.append("  数据提供 data provider: " + ("、".join(owner.data_providers) or "—"))
    chain = " → ".join(f"{p.code} {p.name}" for p in owner.escalation)
    lines.append(f"  上报链 escalation: {chain or '—'}")
    for zh, en in owner.facts:
        lines.append(f"  [dim]依据 because: {zh} / {en}[/]")
    return lines


@app.command()
def owner(
    gap_id: Annotated[str | None, typer.Argument(help="Gap id, e.g. 2025/ZY-1.1.1-02/510202.")] = None,
    indicator: Annotated[
        str | None, typer.Option(help="Indicator code (with --subject and --period).")
    ] = None,
    subject: Annotated[str | None, typer.Option(help="Subject code.")] = None,
    period: Annotated[int | None, typer.Option(help="Academic year.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Who owns a gap: unit, post, holder (or vacant → unit head), supervisor, data provider, escalation, rule."""
    if gap_id is None:
        if not (indicator and subject and period):
            raise _fail(ZhengaiError(
                "请给出问题编号，或同时给出 --indicator、--subject 与 --period",
                "give a gap id, or --indicator, --subject and --period together",
            ))  # fmt: skip
        gap_id = f"{period}/{indicator}/{subject}"
    try:
        with _open() as store:
            run_graph, gap = ownership.find_gap(store, gap_id)
            answer = assignment.owners(store, run_graph, gap).get(gap)
            parts = diagnosis.gap_parts(store, gap)
            changes = assignment.reassignments(store, gap)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    if answer is None:
        raise _fail(
            DiagnosisError(
                f"问题「{gap_id}」已关闭，没有责任人", f"gap '{gap_id}' is closed; it has no owner"
            )
        )
    if fmt == "json":
        sys.stdout.write(
            json.dumps({**answer.as_dict(), "parts": parts}, ensure_ascii=False, indent=2) + "\n"
        )
        return
    for line in _owner_lines(answer):
        out.print(line, highlight=False)
    if parts:
        out.print(f"  构成 made of: {'、'.join(parts)}", highlight=False)
    for change in changes:
        out.print(f"  改派 reassigned {change['at'][:19]}: {change['change']}", highlight=False)


def _owned(
    store: OxigraphStore, period: int | None
) -> tuple[list[reports.GapRow], dict[str, ownership.Owner]]:
    info = _diagnosed_period(store, period)
    rows = reports.gap_rows(store, info.graph)
    owners = {o.id: o for o in assignment.owners(store, info.graph).values()}
    return rows, owners


def _print_owned(
    rows: list[reports.GapRow],
    owners: dict[str, ownership.Owner],
    fmt: str,
    title: str,
    states: dict[str, lifecycle.Status] | None = None,
) -> None:
    states = states or {}
    if fmt == "json":
        data = [
            {**dataclasses.asdict(r), "owner": owners[r.id].as_dict() if r.id in owners else None}
            | ({"state": states[r.id].state, "overdue": states[r.id].overdue} if r.id in states else {})
            for r in rows
        ]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt in ("csv", "md"):
        text = reports.to_csv(rows) if fmt == "csv" else reports.to_markdown(rows, title)
        sys.stdout.write(text)
        return
    columns = ["ID", "严重 severity", "状态 status", "规则 rule", "责任岗位 posts", "说明 message"]
    table = Table(*columns, *(["处理 state"] if states else []), title=title)
    for r in rows:
        o = owners.get(r.id)
        posts = "、".join(p.post.code + ("（空缺）" if p.vacant else "") for p in o.posts) if o else ""
        rule = f"{o.rule} {o.rule_zh}" if o else ""
        cells = [
            r.id,
            reports.SEVERITY_LABEL.get(r.severity, r.severity),
            r.status,
            rule,
            posts,
            r.message_zh,
        ]
        if states:
            st = states.get(r.id)
            cells.append(f"{st.state}{' 逾期 overdue' if st.overdue else ''}" if st else "")
        table.add_row(*cells)
    out.print(table)
    out.print(f"{len(rows)} 个问题 / gaps", highlight=False)


@app.command()
def mine(
    post: Annotated[str | None, typer.Option(help="A post code (岗位识别编码).")] = None,
    person: Annotated[str | None, typer.Option(help="A staff number (工号).")] = None,
    unit: Annotated[str | None, typer.Option(help="A unit name.")] = None,
    period: Annotated[int | None, typer.Option(help="Academic year (default: the latest diagnosed).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, json or md.")] = "table",
) -> None:
    """What do I own: the open gaps a post, person or unit owns, with the rule that decided it."""
    _check_format(fmt)
    if sum(x is not None for x in (post, person, unit)) != 1:
        raise _fail(
            ZhengaiError(
                "请只给出 --post、--person、--unit 中的一个", "give exactly one of --post, --person, --unit"
            )
        )
    try:
        with _open() as store:
            info = _diagnosed_period(store, period)
            found = assignment.owned(store, info.graph, post=post, person=person, unit=unit)
            rows = reports.gap_rows(store, info.graph)
            if found is None:  # a run stored before owners were data
                owners = {o.id: o for o in ownership.resolve(store, info.graph).values()}
                found = {
                    i: o for i, o in owners.items() if ownership.owns(o, post=post, person=person, unit=unit)
                }
    except ZhengaiError as exc:
        raise _fail(exc) from None
    owners = found
    mine_rows = [r for r in rows if r.severity != "closed" and r.id in found]
    who = post or person or unit
    _print_owned(mine_rows, owners, fmt, f"{who} 负责的问题 / gaps owned by {who}")


@app.command()
def gaps(
    period: Annotated[int | None, typer.Option(help="Academic year (default: the latest diagnosed).")] = None,
    unit: Annotated[str | None, typer.Option(help="Only gaps this unit owns.")] = None,
    severity: Annotated[str | None, typer.Option(help="red, yellow or missing.")] = None,
    status: Annotated[str | None, typer.Option(help="new, persisting or closed.")] = None,
    level: Annotated[str | None, typer.Option(help="学校, 专业, 课程, 教师 or 学生.")] = None,
    state: Annotated[
        str | None, typer.Option(help="Lifecycle state: " + ", ".join(lifecycle.STATES) + ".")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only gaps whose measure is past due.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, json or md.")] = "table",
) -> None:
    """List the gaps of the latest run of a period, filtered; each with its owner's rule, posts and state."""
    _check_format(fmt)
    if severity not in (None, "red", "yellow", "missing"):
        raise _fail(
            ZhengaiError(
                f"--severity 应为 red、yellow 或 missing：{severity}",
                f"--severity is red, yellow or missing: {severity}",
            )
        )
    if status not in (None, "new", "persisting", "closed"):
        raise _fail(
            ZhengaiError(
                f"--status 应为 new、persisting 或 closed：{status}",
                f"--status is new, persisting or closed: {status}",
            )
        )
    if state not in (None, *lifecycle.STATES):
        raise _fail(
            ZhengaiError(
                f"--state 应为 {'、'.join(lifecycle.STATES)} 之一：{state}",
                f"--state is one of {', '.join(lifecycle.STATES)}: {state}",
            )
        )
    try:
        with _open() as store:
            info = _diagnosed_period(store, period)
            rows, owners = _owned(store, info.period)
            states = lifecycle.statuses(
                store, info.graph, rows, {i for i, o in owners.items() if o.posts or o.units}
            )
    except ZhengaiError as exc:
        raise _fail(exc) from None
    chosen = [
        r for r in rows
        if (severity is None or r.severity == severity) and (status is None or r.status == status)
        and (level is None or r.level == level) and (unit is None or ownership.owns(owners.get(r.id), unit=unit))
        and (state is None or states[r.id].state == state) and (not overdue or states[r.id].overdue)
    ]  # fmt: skip
    _print_owned(chosen, owners, fmt, "问题 / Gaps", states)


@app.command()
def owners(
    period: Annotated[int | None, typer.Option(help="Academic year (default: the latest diagnosed).")] = None,
    severity: Annotated[str, typer.Option(help="red, yellow or missing.")] = "red",
) -> None:
    """The owner of every gap of one severity (default: the red ones), one block per gap."""
    try:
        with _open() as store:
            rows, answers = _owned(store, period)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    chosen = [r for r in rows if r.severity == severity]
    out.print(
        f"[bold]{severity} 问题的责任人 / owners of the {severity} gaps: {len(chosen)}[/]", highlight=False
    )
    for r in chosen:
        answer = answers.get(r.id)
        out.print(f"[dim]{r.message_zh}[/]", highlight=False)
        for line in _owner_lines(answer) if answer else [f"{r.id}: —"]:
            out.print(line, highlight=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    tokens: Annotated[
        Path | None, typer.Option(help="TOML file of API tokens and roles (default: ZHENGAI_TOKENS_FILE).")
    ] = None,
    query_timeout: Annotated[float, typer.Option(help="Seconds a SPARQL query may run.")] = 30.0,
    row_limit: Annotated[
        int, typer.Option(help="Most rows (or triples) a SPARQL answer may have.")
    ] = 100_000,
    query_workers: Annotated[int, typer.Option(help="SPARQL worker processes.")] = 2,
    cors_origin: Annotated[
        list[str] | None, typer.Option(help="An origin allowed to call the API from a browser (repeatable).")
    ] = None,
    max_upload_mb: Annotated[int, typer.Option(help="Largest upload accepted by POST /loads, in MB.")] = 50,
    body_timeout: Annotated[
        float,
        typer.Option(help="Seconds a request body may take in all (then 408); it may stall 15 s at most."),
    ] = 300.0,
    log_level: Annotated[
        str, typer.Option(help="The server's log: warning (default), info (adds every request), debug.")
    ] = "warning",
    rate_limit: Annotated[
        str,
        typer.Option(
            help="Requests per minute per token (or address): sparql=…,loads=…,writes=… (0: no limit)."
        ),
    ] = "",
    subscriptions: Annotated[
        Path | None,
        typer.Option(help="TOML file of webhook subscriptions (default: ZHENGAI_SUBSCRIPTIONS_FILE)."),
    ] = None,
) -> None:
    """Serve the HTTP API (FastAPI, OpenAPI at /docs, SPARQL at /sparql) over the store until interrupted."""
    import uvicorn

    from zhengai.api.app import create_app
    from zhengai.api.guards import RateLimits
    from zhengai.api.roles import Tokens
    from zhengai.api.service import Settings
    from zhengai.api.uploads import Limits

    path = store_location(State.store_location)
    try:
        configured = Tokens.configured(tokens)
        hooks = _subscriptions(subscriptions)
        limits = RateLimits.parse(rate_limit)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    settings = Settings(
        college=State.college,
        subscriptions=hooks,
        tokens=configured,
        query_timeout=query_timeout,
        row_limit=row_limit,
        query_workers=max(1, query_workers),
        cors_origins=tuple(cors_origin or ()),
        upload=Limits(max_bytes=max_upload_mb * 1024 * 1024),
        rate_limits=limits,
        body_total_timeout=body_timeout,
        body_idle_timeout=min(15.0, body_timeout),
    )
    err.print(f"{len(configured)} 个令牌 / token(s) configured; requests without one have the public role")
    out.print(f"zhengai API on http://{host}:{port}/docs  (store {path})", highlight=False)
    uvicorn.run(create_app(path, settings), host=host, port=port, log_level=log_level)


def _subscriptions(path: Path | None) -> list:  # type: ignore[type-arg]
    from zhengai import delivery

    file = path or (
        Path(os.environ["ZHENGAI_SUBSCRIPTIONS_FILE"])
        if os.environ.get("ZHENGAI_SUBSCRIPTIONS_FILE")
        else None
    )
    return delivery.load_subscriptions(file) if file else []


@app.command()
def report(
    period: Annotated[int | None, typer.Option(help="Academic year (default: the latest diagnosed).")] = None,
    level: Annotated[str | None, typer.Option(help="One level: 学校, 专业, 课程, 教师 or 学生.")] = None,
    unit: Annotated[str | None, typer.Option(help="Only the gaps this unit owns (its name).")] = None,
    subject: Annotated[str | None, typer.Option(help="One subject's code, e.g. 510201.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, html, pdf or xlsx.")] = "md",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Where to write it (default: standard output for md).")
    ] = None,
) -> None:
    """The 自我诊改报告 of a period: summary, heatmap, gaps with owners, measures and reviews, spiral."""
    from zhengai import selfreport

    if fmt not in selfreport.FORMATS:
        raise _fail(
            ZhengaiError(f"未知格式「{fmt}」", f"unknown format '{fmt}' ({', '.join(selfreport.FORMATS)})")
        )
    if out_file is None and fmt != "md":
        raise _fail(ZhengaiError(f"{fmt} 报告需要 --out 文件", f"a {fmt} report needs --out FILE"))
    try:
        with _open() as store:
            chosen = period if period is not None else _latest_period(store)
            made = selfreport.build(store, chosen, level=level, unit=unit, subject=subject)
        if out_file is None:
            sys.stdout.write(selfreport.markdown(made) + "\n")
            return
        selfreport.write(made, fmt, out_file)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    out.print(f"✓ 已写入 / written {out_file}（{len(made.items)} 个问题 gaps）", highlight=False)


@app.command("audit")
def audit_(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or md.")] = "table",
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write json/md here.")] = None,
    fail_on: Annotated[
        str, typer.Option(help="Exit 1 on findings of this severity: none, violation, warning.")
    ] = "none",
) -> None:
    """Structural audit: SHACL (shapes/audit.ttl) and graph checks (cycles, reach, claims, ownership)."""
    if fmt not in ("table", "json", "md"):
        raise _fail(ZhengaiError(f"未知格式「{fmt}」", f"unknown format '{fmt}' (table, json, md)"))
    try:
        with _open() as store:
            report = audit.audit(store)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    if fmt == "json":
        _emit(audit.to_json(report), out_file)
    elif fmt == "md":
        _emit(audit.to_markdown(report), out_file)
    else:
        summary = Table("检查 check", "违规 violation", "警告 warning", title="结构审计 / Structural audit")
        for check, counts in sorted(report.summary().items()):
            zh, en = audit.CHECKS.get(check, (check, check))
            summary.add_row(f"{zh} / {en}", str(counts.get("violation", 0)), str(counts.get("warning", 0)))
        out.print(summary)
        table = Table(
            "严重 severity", "检查 check", "对象 node", "说明 message", "来源 source", title="发现 / Findings"
        )
        for f in report.findings:
            table.add_row(audit.SEVERITY_LABEL[f.severity], f.title[0], f.node, f.message_zh, f.location.zh())
        out.print(table)
    severities = {f.severity for f in report.findings}
    if (fail_on == "violation" and "violation" in severities) or (fail_on == "warning" and severities):
        raise typer.Exit(EXIT_GAPS)


lifecycle_commands.register(app)
region_commands.register(app)
log_commands.register(app, _open, out, _fail)

if __name__ == "__main__":  # pragma: no cover
    # run the imported module's app, not this copy's: the lifecycle commands read zhengai.cli.State
    from zhengai.cli import app as imported

    imported()
