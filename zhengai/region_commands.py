"""``zhengai region …``: the region's views on the command line (``zhengai.cli`` adds them).

They read every college of the store (``--store`` a region's SPARQL server, or a directory that
holds several colleges) and print aggregates only, as the ``region`` role sees them over REST.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import typer
from rich.table import Table

from zhengai import region
from zhengai.errors import ZhengaiError
from zhengai.namespaces import LEVELS, SYSTEMS

app = typer.Typer(
    help="区域视图（多校汇总）/ Region views over every college of the store (aggregates only)."
)
Period = Annotated[int | None, typer.Option(help="Academic year (default: each college's latest run).")]
Format = Annotated[str, typer.Option("--format", "-f", help="table or json.")]


def _base():  # type: ignore[no-untyped-def]
    from zhengai.cli import State, _fail
    from zhengai.store import open_base

    try:
        return open_base(State.store_location)
    except ZhengaiError as exc:
        raise _fail(exc) from None


def _run(compute, fmt: str, table):  # type: ignore[no-untyped-def]
    from zhengai.cli import _fail, out

    if fmt not in ("table", "json"):
        raise _fail(ZhengaiError(f"未知格式「{fmt}」", f"unknown format '{fmt}' (table, json)"))
    base = _base()
    try:
        found = compute(base)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    finally:
        base.close()
    if fmt == "json":
        out.print_json(json.dumps(found, ensure_ascii=False, default=lambda o: dataclasses.asdict(o)))
    else:
        out.print(table(found))


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


@app.command("colleges")
def colleges_cmd(period: Period = None, fmt: Format = "table") -> None:
    """The colleges of the store, with the period each is read at."""

    def table(found: list[region.College]) -> Table:
        t = Table(
            "学校代码 code", "名称 name", "学年 period", title="区域内学校 / colleges", title_justify="left"
        )
        for c in found:
            t.add_row(c.code, c.name or "—", str(c.period or "未诊断 not diagnosed"))
        return t

    _run(lambda base: region.colleges_of(base, period), fmt, table)


@app.command("compare")
def compare_cmd(
    indicator: Annotated[str, typer.Argument(help="Indicator code, e.g. ZY-1.4.1-02.")],
    period: Period = None,
    fmt: Format = "table",
) -> None:
    """Colleges side by side on one indicator: its gaps by severity and its observed values."""

    def table(found: list[region.Comparison]) -> Table:
        label = next((c.label for c in found if c.label), "")
        t = Table(
            "学校 college", "学年 period", "红 red", "黄 yellow", "缺 missing", "报送 reported",
            "均值 mean", "最低 lowest", "最高 highest",
            title=f"{indicator} {' '.join(label.split())}", title_justify="left",
        )  # fmt: skip
        for c in found:
            t.add_row(
                f"{c.college.code} {c.college.name or ''}".strip(), str(c.college.period or "—"),
                *(str(c.gaps.get(k, 0)) for k in ("red", "yellow", "missing")), str(c.reported),
                _num(c.mean), _num(c.lowest), _num(c.highest),
            )  # fmt: skip
        return t

    _run(lambda base: region.compare(base, indicator, period), fmt, table)


@app.command("heatmap")
def heatmap_cmd(period: Period = None, fmt: Format = "table") -> None:
    """Each college's open gaps, levels down and the five systems across (red/yellow/missing)."""

    def table(found: list) -> Table:  # type: ignore[type-arg]
        t = Table("学校 college", "层面 level", *SYSTEMS, title="问题热力图 / heatmap", title_justify="left")
        for college, cells in found:
            for level in LEVELS:
                row = cells.get(level, {})
                t.add_row(
                    college.code, level,
                    *("/".join(str(row.get(s, {}).get(k, 0)) for k in ("red", "yellow", "missing")) for s in SYSTEMS),
                )  # fmt: skip
        t.caption = "红 red / 黄 yellow / 缺 missing"
        return t

    _run(lambda base: [(c, h) for c, h in region.heatmaps(base, period)], fmt, table)


@app.command("owners")
def owners_cmd(period: Period = None, fmt: Format = "table") -> None:
    """The region's open gaps grouped by the kind of unit that owns them."""

    def table(found: dict[str, dict[str, int]]) -> Table:
        t = Table(
            "单位类型 unit type", "红 red", "黄 yellow", "缺 missing", "学校数 colleges", title_justify="left"
        )
        for kind, counts in sorted(found.items(), key=lambda kv: region.type_order(kv[0])):
            zh, en = region.UNIT_TYPES.get(kind, (kind, kind))
            t.add_row(
                f"{zh} {en}", *(str(counts.get(k, 0)) for k in ("red", "yellow", "missing", "colleges"))
            )
        return t

    _run(lambda base: region.by_unit_type(base, period), fmt, table)


colleges_app = typer.Typer(
    help="学校（多校数据存储）/ The colleges of the store, and moving a single-college store under a college.",
    invoke_without_command=True,
)


@colleges_app.callback()
def colleges_list(ctx: typer.Context) -> None:
    """List the colleges of the store (and whether it also holds one in the single-college layout)."""
    if ctx.invoked_subcommand is not None:
        return
    from zhengai.cli import _fail, out
    from zhengai.store.college import colleges, has_single_college

    base = _base()
    try:
        codes, single = colleges(base), has_single_college(base)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    finally:
        base.close()
    for code in codes:
        out.print(code)
    if single:
        out.print(
            "（单校布局 / single-college layout: zhengai colleges migrate CODE moves it under a college）"
        )
    if not codes and not single:
        out.print("没有学校 / no college yet")


@colleges_app.command("migrate")
def colleges_migrate(
    code: Annotated[str, typer.Argument(help="The college's code (学校代码), e.g. 10999.")],
) -> None:
    """Move a single-college store's graphs under college CODE, in one write."""
    from zhengai.cli import _fail, out
    from zhengai.store.college import migrate

    base = _base()
    try:
        moved = migrate(base, code)
    except ZhengaiError as exc:
        raise _fail(exc) from None
    finally:
        base.close()
    out.print(
        f"[green]✓[/] {moved:,} 个三元组已迁入学校 {code} / triples moved under college {code}",
        highlight=False,
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="region")
    root.add_typer(colleges_app, name="colleges")
