"""Read workbooks and CSV files into tables whose headers are matched to canonical column keys.

Headers are matched after NFKC normalisation (full-width brackets, slashes and colons become
half-width), with all whitespace and line breaks removed, so ``三级指标（监测点）``,
``三级指标(监测点)`` and ``三级\\n指标`` match the same column. Merged cells in a workbook are
filled with their top-left value ("same as above"); the header row need not be the first row
(a title row above it is skipped). Columns that match nothing are kept as extras.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import python_calamine

from zhengai.errors import InputError, Location

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
HEADER_SCAN_ROWS = 15

Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None


@dataclass
class RawSheet:
    """A sheet as read: rows of cells, indexed from Excel row 1, merged ranges filled."""

    file: str
    name: str
    cells: list[list[Cell]]

    def is_blank(self) -> bool:
        return all(cell_text(c) is None for row in self.cells for c in row)


@dataclass(frozen=True)
class Column:
    """A canonical column: its key, the header names it is known by, and whether it is required."""

    key: str
    aliases: tuple[str, ...]
    required: bool = False

    @property
    def title(self) -> str:
        return self.aliases[0]


@dataclass
class TableRow:
    table: Table
    number: int
    values: dict[str, Cell]
    extras: dict[str, Cell]
    cells: list[Cell] = field(default_factory=list)  # the whole row, for cells beside a column

    def text(self, key: str) -> str | None:
        return cell_text(self.values.get(key))

    def raw(self, key: str) -> Cell:
        return self.values.get(key)

    def beside(self, key: str) -> str | None:
        """The text of the cell right of column ``key`` (e.g. grade lines next to 诊断标准)."""
        if key not in self.table.columns:
            return None
        index = self.table.columns[key][0] + 1
        return cell_text(self.cells[index]) if index < len(self.cells) else None

    def loc(self, key: str | None = None) -> Location:
        header = self.table.header_of(key) if key else None
        return Location(self.table.file, self.table.sheet, self.number, header)


@dataclass
class Table:
    file: str
    sheet: str
    header_row: int
    columns: dict[str, tuple[int, str]]
    extra_columns: list[tuple[int, str]]
    rows: list[TableRow] = field(default_factory=list)

    def has(self, key: str) -> bool:
        return key in self.columns

    def header_of(self, key: str) -> str:
        if key in self.columns:
            return self.columns[key][1]
        return key

    def loc(self, key: str | None = None) -> Location:
        return Location(self.file, self.sheet, self.header_row, self.header_of(key) if key else None)


# -- cells ---------------------------------------------------------------------------------------


def cell_text(value: Cell) -> str | None:
    """A cell as trimmed text, or None when blank. Integral floats lose their ``.0``.

    >>> cell_text(560103.0), cell_text("  有 "), cell_text(""), cell_text(None)
    ('560103', '有', None, None)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


@functools.lru_cache(maxsize=1 << 16)  # the same few headers, matched for every sheet and push
def normalize_header(text: str) -> str:
    """Canonical form of a header cell for matching.

    >>> normalize_header("三级指标（监测点）") == normalize_header("三级指标(监测点)")
    True
    >>> normalize_header(" 监测时间\\n及频率 ")
    '监测时间及频率'
    """
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).lower()


def _strip_brackets(text: str) -> str:
    return re.sub(r"\([^)]*\)", "", text)


# -- reading files -------------------------------------------------------------------------------


def read_sheets(path: Path, max_rows: int | None = None) -> list[RawSheet]:
    """Every sheet of a workbook, or the single table of a CSV file (of a workbook, only the first
    ``max_rows`` rows of each sheet when given: enough to tell what it holds)."""
    if not path.exists():
        raise InputError.single("文件不存在", "file does not exist", Location(str(path)))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [_read_csv(path)]
    if suffix in EXCEL_SUFFIXES:
        return _read_workbook(path, max_rows)
    raise InputError.single(
        f"不支持的文件类型「{suffix}」：请用 .xlsx、.csv 或 RDF 文件",
        f"unsupported file type '{suffix}': use .xlsx, .csv or an RDF file",
        Location(path.name),
    )


def _read_csv(path: Path) -> RawSheet:
    try:
        frame = pd.read_csv(
            path, header=None, dtype=str, encoding="utf-8-sig", keep_default_na=False, skip_blank_lines=False
        )
    except UnicodeDecodeError as exc:
        raise InputError.single(
            f"CSV 文件不是 UTF-8 编码（第 {exc.start} 字节）：请另存为“CSV UTF-8”",
            f"the CSV file is not UTF-8 (byte {exc.start}): save it as 'CSV UTF-8'",
            Location(path.name),
        ) from exc
    except pd.errors.EmptyDataError:
        return RawSheet(path.name, path.stem, [])
    except pd.errors.ParserError as exc:
        raise InputError.single(
            f"CSV 文件无法解析：{exc}", f"cannot parse the CSV file: {exc}", Location(path.name)
        ) from exc
    cells: list[list[Cell]] = [[v if v != "" else None for v in row] for row in frame.itertuples(index=False)]
    return RawSheet(path.name, path.stem, cells)


def _read_workbook(path: Path, max_rows: int | None = None) -> list[RawSheet]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = []
        for meta in workbook.sheets_metadata:
            sheet = workbook.get_sheet_by_name(meta.name)
            cells: list[list[Cell]] = [
                list(row) for row in sheet.to_python(skip_empty_area=False, nrows=max_rows)
            ]
            for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
                if r0 >= len(cells):
                    continue
                top_left = cells[r0][c0] if c0 < len(cells[r0]) else None
                for r in range(r0, min(r1, len(cells) - 1) + 1):
                    row = cells[r]
                    for c in range(c0, c1 + 1):
                        if c < len(row):
                            row[c] = top_left
            sheets.append(RawSheet(path.name, meta.name, cells))
        return sheets
    except python_calamine.CalamineError as exc:
        raise InputError.single(
            f"不是有效的 Excel 工作簿（文件可能已损坏、被截断，或只是改了扩展名）：{exc}",
            f"not a valid Excel workbook (the file may be damaged, truncated, or merely renamed): {exc}",
            Location(path.name),
        ) from exc


# -- header matching -----------------------------------------------------------------------------


def _match_header(header: str, spec: Sequence[Column]) -> str | None:
    norm = normalize_header(header)
    for col in spec:
        if any(norm == normalize_header(a) for a in col.aliases):
            return col.key
    base = _strip_brackets(norm)
    for col in spec:
        if any(base == _strip_brackets(normalize_header(a)) for a in col.aliases):
            return col.key
    return None


def _header_map(
    row: list[Cell], spec: Sequence[Column]
) -> tuple[dict[str, tuple[int, str]], list[tuple[int, str]]]:
    found: dict[str, tuple[int, str]] = {}
    extras: list[tuple[int, str]] = []
    for index, value in enumerate(row):
        text = cell_text(value)
        if text is None:
            continue
        key = _match_header(text, spec)
        if key is not None and key not in found:
            found[key] = (index, text)
        else:
            extras.append((index, text))
    return found, extras


def header_score(sheet: RawSheet, spec: Sequence[Column]) -> tuple[int, int]:
    """(matched columns, header row index) of the best header row among the first rows."""
    best = (0, 0)
    for index, row in enumerate(sheet.cells[:HEADER_SCAN_ROWS]):
        found, _ = _header_map(row, spec)
        if len(found) > best[0]:
            best = (len(found), index)
    return best


def read_table(sheet: RawSheet, spec: Sequence[Column]) -> Table:
    """Find the header row, map columns, and return the data rows (blank rows skipped)."""
    location = Location(sheet.file, sheet.name)
    if sheet.is_blank():
        raise InputError.single("工作表是空的", "the sheet is empty", location)
    _, header_index = header_score(sheet, spec)
    found, extras = _header_map(sheet.cells[header_index], spec)
    missing = [c for c in spec if c.required and c.key not in found]
    if missing:
        names_zh = "、".join(f"「{c.title}」" for c in missing)
        names_en = ", ".join(f"'{c.title}'" for c in missing)
        raise InputError.single(
            f"缺少必需的列 {names_zh}（在第 {header_index + 1} 行的表头中没有找到）",
            f"missing required column(s) {names_en} (not found in the header on row {header_index + 1})",
            Location(sheet.file, sheet.name, header_index + 1, missing[0].title),
        )
    table = Table(sheet.file, sheet.name, header_index + 1, found, extras)
    for offset, row in enumerate(sheet.cells[header_index + 1 :], start=header_index + 2):
        values = {key: (row[i] if i < len(row) else None) for key, (i, _) in found.items()}
        extra = {name: (row[i] if i < len(row) else None) for i, name in extras}
        if all(cell_text(v) is None for v in values.values()) and all(
            cell_text(v) is None for v in extra.values()
        ):
            continue
        table.rows.append(TableRow(table, offset, values, extra, list(row)))
    if not table.rows:
        raise InputError.single(
            "工作表只有表头，没有数据行", "the sheet has a header but no data rows", table.loc()
        )
    return table
