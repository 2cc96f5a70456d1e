"""Header synonyms: the column names other colleges use, from an editable table.

``data/header_synonyms.csv`` (or the file named by ``ZHENGAI_HEADER_SYNONYMS``) lists, per table
kind (catalogue, observations, targets …) and canonical column, the names a header may carry. A
loader's own names stay; the table adds to them, so a college's names need no code. A header that
matches nothing is kept as an annotation and reported once, with the closest known name.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from zhengai.resources import read_text

from .table import Column, Table, normalize_header


def synonyms(kind: str) -> dict[str, list[str]]:
    """Canonical column key → extra header names, for one table kind."""
    override = os.environ.get("ZHENGAI_HEADER_SYNONYMS")
    text = Path(override).read_text(encoding="utf-8-sig") if override else _packaged()
    return {key: list(names) for key, names in _parsed(text, kind)}


@functools.cache
def _packaged() -> str:
    return read_text("data", "header_synonyms.csv")


@functools.lru_cache(maxsize=64)  # the packaged table is read for every sheet and every push
def _parsed(text: str, kind: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out: dict[str, list[str]] = {}
    for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
        if (r.get("表") or "").strip() == kind and r.get("列") and r.get("名称"):
            out.setdefault(r["列"].strip(), []).append(r["名称"].strip())
    return tuple((key, tuple(names)) for key, names in out.items())


def with_synonyms(kind: str, columns: Sequence[Column]) -> tuple[Column, ...]:
    """``columns`` with the table's extra names appended (a column's own names come first)."""
    extra = synonyms(kind)
    known = {c.key for c in columns}
    out = [
        replace(c, aliases=c.aliases + tuple(a for a in extra.get(c.key, []) if a not in c.aliases))
        for c in columns
    ]
    for key in extra:
        if key not in known:
            raise ValueError(f"header_synonyms.csv names an unknown {kind} column '{key}'")
    return tuple(out)


def closest(header: str, columns: Sequence[Column]) -> str | None:
    """The known header name most like ``header`` ("did you mean …"), if any is close.

    >>> closest("评价指标标准", [Column("criterion", ("诊断标准", "评价标准"))])
    '评价标准'
    """
    names = {normalize_header(a): a for c in columns for a in c.aliases}
    match = difflib.get_close_matches(normalize_header(header), list(names), n=1, cutoff=0.5)
    return names[match[0]] if match else None


def unrecognised(table: Table, columns: Sequence[Column]) -> list[tuple[str, str | None]]:
    """Headers of ``table`` that match no column, each with its closest known name."""
    return [(name, closest(name, columns)) for _, name in table.extra_columns]
