"""Named SPARQL queries: ``queries/<name>.rq`` files, loaded by name, run with bound parameters.

A query declares its parameters in comment lines (``# param code: string — what it is``); a
parameter is a variable of the query that must appear in its SELECT clause. Values are bound
by the store (SEP-0007 substitutions), never formatted into the query text.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from zhengai.errors import QueryError
from zhengai.resources import list_names, read_text

_INCLUDE = re.compile(r"^(\s*)#\s*include\s+(\w+)\s*$", re.MULTILINE)
_PARAM = re.compile(r"^#\s*param\s+(\w+)\s*:\s*(\w+)\s*(?:[—-]+\s*(.*))?$", re.MULTILINE)
TYPES = ("string", "integer", "decimal", "iri", "date", "datetime")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    doc: str

    def bind(self, value: str) -> Node:
        try:
            if self.type == "integer":
                return Literal(int(value))
            if self.type == "decimal":
                return Literal(str(Decimal(value)), datatype=XSD.decimal)
            if self.type == "iri":
                return URIRef(value.strip("<>"))
            if self.type == "date":
                return Literal(value, datatype=XSD.date)
            if self.type == "datetime":  # a day or a time; without a zone, UTC (zoned times compare)
                moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
                moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
                return Literal(moment.isoformat(), datatype=XSD.dateTime)
        except (ValueError, InvalidOperation):
            raise QueryError(
                f"参数 {self.name} 应为 {self.type}：「{value}」",
                f"parameter {self.name} should be {self.type}: '{value}'",
            ) from None
        return Literal(value)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    text: str

    @property
    def params(self) -> dict[str, Param]:
        out = {}
        for m in _PARAM.finditer(self.text):
            kind = m[2].lower()
            if kind not in TYPES:
                raise QueryError(
                    f"查询 {self.name} 的参数类型未知：{kind}",
                    f"query {self.name}: unknown parameter type {kind}",
                )
            out[m[1]] = Param(m[1], kind, (m[3] or "").strip())
        return out

    @property
    def description(self) -> str:
        for line in self.text.splitlines():
            if line.startswith("#") and not _PARAM.match(line):
                return line.lstrip("# ").strip()
        return ""

    def bindings(self, values: dict[str, str]) -> dict[str, Node]:
        params = self.params
        unknown = sorted(set(values) - set(params))
        if unknown:
            known = ", ".join(params) or "—"
            raise QueryError(
                f"查询 {self.name} 没有参数 {', '.join(unknown)}（可用：{known}）",
                f"query {self.name} has no parameter {', '.join(unknown)} (known: {known})",
            )
        return {k: params[k].bind(v) for k, v in values.items()}


def names() -> list[str]:
    return list(_names())


@functools.cache
def _names() -> tuple[str, ...]:
    return tuple(n.removesuffix(".rq") for n in list_names("queries", ".rq"))


def get(name_or_path: str) -> NamedQuery:
    """A packaged query by name (``graph_sizes``), or a ``.rq`` file by path."""
    path = Path(name_or_path)
    if path.suffix == ".rq" and path.exists():
        return NamedQuery(path.stem, path.read_text(encoding="utf-8"))
    name = name_or_path.removesuffix(".rq")
    if name not in names():
        raise QueryError(
            f"没有名为「{name}」的查询；可用：{', '.join(names())}",
            f"no query named '{name}'; available: {', '.join(names())}",
        )
    return NamedQuery(name, _packaged_text(name))


@functools.cache
def _packaged_text(name: str) -> str:
    """A packaged query's text with its includes expanded: read once, as the package cannot change."""
    return expand_includes(read_text("queries", f"{name}.rq"))


def where_body(text: str) -> str:
    """The group graph pattern of a query's WHERE clause, without its outer braces."""
    start = re.search(r"\bWHERE\s*\{", text, re.IGNORECASE)
    end = text.rstrip().rfind("}")
    if start is None or end < start.end():
        raise QueryError("被包含的查询没有 WHERE { … }", "an included query has no WHERE { … }")
    return text[start.end() : end]


def expand_includes(text: str) -> str:
    """Replace ``# include name`` lines by the WHERE body of packaged query ``name``.

    This lets one query build on another (the fast diagnosis evaluates the constraints over the
    rows of ``diagnosis_view``) while each stays a readable file. Included parameters are the
    includer's to declare.
    """

    def body(match: re.Match[str]) -> str:
        name = match[2]
        if name not in names():
            raise QueryError(f"包含了不存在的查询「{name}」", f"includes an unknown query '{name}'")
        inner = expand_includes(read_text("queries", f"{name}.rq"))
        return f"{match[1]}# ---- from {name}.rq ----\n{where_body(inner)}\n{match[1]}# ---- end of {name}.rq ----"

    return _INCLUDE.sub(body, text)
