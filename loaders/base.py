"""What every loader shares: the result it returns, the problem collector, and value parsers."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from rdflib import Graph, Literal, URIRef

from zhengai.errors import InputError, Location, Problem
from zhengai.namespaces import XSD, ZG

from .table import Cell, Column, RawSheet, Table, TableRow, cell_text, normalize_header, read_table


@dataclass
class LoadResult:
    """The graphs a loader built (without provenance), how many rows it read, what it noticed."""

    kind: str
    graphs: dict[URIRef, Graph]
    row_count: int
    findings: list[Problem] = field(default_factory=list)


class Problems:
    """Collects every error of a file so the user sees them all at once, not one per run."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[Problem] = []
        self.findings: list[Problem] = []

    def error(self, zh: str, en: str, location: Location) -> None:
        self.errors.append(Problem(zh, en, location))

    def finding(self, zh: str, en: str, location: Location) -> None:
        self.findings.append(Problem(zh, en, location))

    def raise_if_any(self) -> None:
        if self.errors:
            raise InputError.many(self.file, self.errors)


ZG_SOURCE_SHEET, ZG_SOURCE_ROW = ZG.sourceSheet, ZG.sourceRow


@functools.lru_cache(maxsize=256)
def _sheet_literal(sheet: str) -> Literal:
    return Literal(sheet)


def annotate_source(g: Graph, node: URIRef, row: TableRow) -> None:
    """Record the sheet and row a resource came from, and keep unknown columns as annotations."""
    g.add((node, ZG_SOURCE_SHEET, _sheet_literal(row.table.sheet)))
    g.add((node, ZG_SOURCE_ROW, Literal(row.number)))
    for header, value in row.extras.items():
        text = cell_text(value)
        if text is not None:
            g.add((node, ZG.annotation, Literal(f"{header}: {text}")))


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def split_list(text: str | None) -> list[str]:
    """Split a cell that lists several names or codes.

    >>> split_list("ZY-1.1.1-01、ZY-1.2.1-01; XX-1.1.1-01")
    ['ZY-1.1.1-01', 'ZY-1.2.1-01', 'XX-1.1.1-01']
    """
    if not text:
        return []
    return [p.strip() for p in re.split(r"[、,，;；\n]+", text) if p.strip()]


# -- value parsers: each returns None for blank and raises ValueError with zh/en text on bad input --


class BadValue(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def parse_decimal(value: Cell) -> Decimal | None:
    """A number; ``65%`` becomes 0.65.

    >>> parse_decimal("65%"), parse_decimal(12.0), parse_decimal(" 3,200 ")
    (Decimal('0.65'), Decimal('12'), Decimal('3200'))
    """
    if isinstance(value, bool):
        raise BadValue("应为数值，而不是是/否", "expected a number, not a yes/no value")
    if isinstance(value, int | float):
        return plain(Decimal(str(value))) if value == value else None
    text = cell_text(value)
    if text is None:
        return None
    text = nfkc(text).replace(",", "")
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BadValue(f"「{cell_text(value)}」不是数值", f"'{cell_text(value)}' is not a number") from None
    if not number.is_finite():
        raise BadValue(f"「{cell_text(value)}」不是有限数值", f"'{cell_text(value)}' is not a finite number")
    return plain(number / 100 if percent else number)


def plain(number: Decimal) -> Decimal:
    """Without trailing zeros and without an exponent: 3200, 0.65, 12.

    >>> plain(Decimal("3.2E+3")), plain(Decimal("0.650"))
    (Decimal('3200'), Decimal('0.65'))
    """
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def parse_int(value: Cell) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise BadValue(f"「{cell_text(value)}」应为整数", f"'{cell_text(value)}' should be a whole number")
    return int(number)


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def parse_date(value: Cell) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if text is None:
        return None
    text = nfkc(text).split("T")[0].split(" ")[0]
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                break
    raise BadValue(
        f"「{cell_text(value)}」不是日期（应写作 2025-09-01）",
        f"'{cell_text(value)}' is not a date (write 2025-09-01)",
    )


def parse_academic_year(value: Cell) -> int | None:
    """``2025``, ``2025-2026``, ``2025学年`` all mean the academic year starting in 2025.

    >>> parse_academic_year("2025-2026"), parse_academic_year(2025.0), parse_academic_year("2025学年")
    (2025, 2025, 2025)
    """
    text = cell_text(value)
    if text is None:
        return None
    text = nfkc(text)
    m = re.match(r"^(\d{4})(?:\s*[-–—~至/]\s*(\d{4}))?\s*(?:学年|年)?(?:度)?$", text)
    if not m:
        raise BadValue(
            f"「{text}」不是学年（应写作 2025 或 2025-2026）",
            f"'{text}' is not an academic year (write 2025 or 2025-2026)",
        )
    start = int(m[1])
    if m[2] and int(m[2]) != start + 1:
        raise BadValue(f"「{text}」不是相邻的两个年份", f"'{text}' is not two consecutive years")
    if not 1949 <= start <= 2200:
        raise BadValue(f"学年「{text}」超出合理范围", f"academic year '{text}' is out of range")
    return start


YES = {"有", "是", "是的", "yes", "y", "true", "1", "√", "✓", "已提交", "按时"}
NO = {"无", "否", "没有", "no", "n", "false", "0", "×", "✗", "未提交"}


def parse_boolean(value: Cell) -> bool | None:
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if text is None:
        return None
    lowered = nfkc(text).lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise BadValue(f"「{text}」不是 有/无 或 是/否", f"'{text}' is not yes/no (有/无, 是/否)")


def decimal_literal(number: Decimal) -> Literal:
    return Literal(format(number, "f"), datatype=XSD.decimal)


T = TypeVar("T")


def parse_cell(
    row: TableRow, key: str, parser: Callable[[Cell], T], problems: Problems, *, required: bool = False
) -> T | None:
    """Parse one cell; a bad or missing value becomes an error naming its row and column."""
    raw = row.raw(key)
    try:
        value = parser(raw)
    except BadValue as exc:
        problems.error(exc.zh, exc.en, row.loc(key))
        return None
    if value is None and required:
        header = row.table.header_of(key)
        problems.error(f"「{header}」不能为空", f"'{header}' must not be blank", row.loc(key))
    return value


def required_text(row: TableRow, key: str, problems: Problems) -> str | None:
    return parse_cell(row, key, cell_text, problems, required=True)


def sheet_key(name: str, keys: Iterable[str]) -> str | None:
    """The known sheet a sheet name stands for (the longest key it contains): ``岗位工作表`` → 岗位工作."""
    norm = normalize_header(name)
    return next((k for k in sorted(keys, key=len, reverse=True) if k in norm), None)


def tables_by_sheet(
    sheets: list[RawSheet],
    specs: dict[str, tuple[Column, ...]],
    problems: Problems,
    workbook_zh: str,
    workbook_en: str,
) -> dict[str, Table]:
    """Read the sheets a workbook kind knows by name; report (and skip) the others that hold data."""
    tables: dict[str, Table] = {}
    names = "、".join(specs)
    for sheet in sheets:
        key = sheet_key(sheet.name, specs)
        if key is None:
            if not sheet.is_blank():
                problems.finding(
                    f"未识别的工作表，已忽略（{workbook_zh}的工作表为 {names}）",
                    f"unrecognised sheet ignored (the {workbook_en} has {', '.join(specs)})",
                    Location(problems.file, sheet.name),
                )
            continue
        tables[key] = read_table(sheet, specs[key])
    return tables
