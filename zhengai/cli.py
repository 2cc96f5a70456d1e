"""The ``zhengai`` command line. Exit codes: 0 success, 1 gaps found (later commands), 2 error."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhengai import __version__
from zhengai import query_registry as named_queries
from zhengai.errors import ZhengaiError
from zhengai.loading import KINDS, batch_order, load_file
from zhengai.namespaces import GRAPH_BASE
from zhengai.store import OxigraphStore, store_path
from zhengai.views import render_term, stats_tables

app = typer.Typer(
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
    store_location: Path | None = None


def _open() -> OxigraphStore:
    return OxigraphStore(store_path(State.store_location))


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
        Path | None,
        typer.Option("--store", envvar="ZHENGAI_STORE", help="Store directory (default .zhengai/store)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    State.store_location = store


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
        for path, file_kind in ordered:

            def stage(text: str, _p: Path = path) -> None:
                progress.update(task, description=f"{_p.name}: {text}")

            try:
                report = load_file(store, path, file_kind, period, stage)
            except ZhengaiError as exc:
                failures += 1
                err.print(f"[bold red]✗ {path.name}[/]  {exc}", highlight=False)
                continue
            finally:
                progress.advance(task)
            graphs = ", ".join(f"{str(g).removeprefix(GRAPH_BASE)} ({n})" for g, n in report.graphs.items())
            out.print(
                f"[green]✓[/] {report.file}  [{report.kind}]  {report.rows} 行/rows → {graphs}  {report.seconds:.2f}s",
                highlight=False,
            )
            for finding in report.findings:
                out.print(f"  [yellow]![/] {finding}", highlight=False)
    store.close()
    if failures:
        raise typer.Exit(EXIT_ERROR)


@app.command()
def stats() -> None:
    """Triples per named graph, instances per class, and the last load of each graph."""
    try:
        store = _open()
        for table in stats_tables(store):
            out.print(table)
        store.close()
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
        store = _open()
        bindings = q.bindings(values)
        variables, rows = store.select_table(q.text, bindings)
        store.close()
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
            writer.writerow([render_term(r[v]) if v in r else "" for v in variables])
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
        store = _open()
        n = store.export(path)
        store.close()
    except ZhengaiError as exc:
        raise _fail(exc) from None
    out.print(f"[green]✓[/] {n} quads → {path}", highlight=False)


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="Backup file written by zhengai export (.trig or .nq).")],
) -> None:
    """Restore a backup: every graph in it replaces the graph of the same name, in one transaction."""
    if not path.exists():
        raise _fail(ZhengaiError(f"文件不存在：{path}", f"file does not exist: {path}"))
    try:
        store = _open()
        n = store.import_dataset(path)
        store.close()
    except ZhengaiError as exc:
        raise _fail(exc) from None
    out.print(f"[green]✓[/] {n} quads ← {path}", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    app()
