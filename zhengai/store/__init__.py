"""The store: one RDF dataset with a named graph per source, behind a small interface.

``GraphStore`` is what every caller uses. ``OxigraphStore`` (``embedded``) is the default, an
on-disk pyoxigraph dataset; ``RemoteStore`` (``remote``) speaks SPARQL 1.1 Query, Update and the
Graph Store HTTP Protocol to a server (Oxigraph server, Virtuoso) that can hold a region's
colleges. ``open_store`` picks one from the ``--store`` value: a directory or an http(s) URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from rdflib import Graph, URIRef
from rdflib.term import Node

from zhengai.errors import StoreError

from .base import (
    INLINE_DIRECTIVE,
    ONTOLOGY_GRAPH,
    UNION_DIRECTIVE,
    VALUES_DIRECTIVE,
    Row,
    SparqlStore,
    Triple,
    rdf_format_for,
)
from .college import CollegeStore, colleges, has_single_college
from .embedded import OxigraphStore
from .remote import RemoteStore, is_remote
from .terms import XSD_STRING, from_ox, to_ox

DEFAULT_STORE = Path(".zhengai") / "store"

__all__ = [
    "DEFAULT_STORE",
    "INLINE_DIRECTIVE",
    "ONTOLOGY_GRAPH",
    "UNION_DIRECTIVE",
    "VALUES_DIRECTIVE",
    "XSD_STRING",
    "CollegeStore",
    "GraphStore",
    "OxigraphStore",
    "RemoteStore",
    "Row",
    "SparqlStore",
    "Triple",
    "from_ox",
    "is_remote",
    "open_base",
    "open_store",
    "rdf_format_for",
    "store_location",
    "store_path",
    "to_ox",
]


class GraphStore(Protocol):
    """What the rest of zhengai needs from a store."""

    def replace_graphs(self, graphs: Mapping[URIRef, Graph]) -> None: ...
    def add_graphs(self, graphs: Mapping[URIRef, Graph]) -> None: ...
    def drop_graph(self, name: URIRef) -> None: ...
    def add_large_graph(self, name: URIRef, body: Iterable[Triple], record: Graph) -> None: ...
    def extend_graph(self, name: URIRef, body: Iterable[Triple], record: Graph) -> None: ...
    def writing(self, names: Iterable[URIRef]) -> AbstractContextManager[None]: ...
    def changing(self) -> AbstractContextManager[None]: ...
    def change_graph(self, name: URIRef, remove: Graph, add: Graph) -> None: ...
    def change_graphs(self, changes: Mapping[URIRef, tuple[Graph, Graph]]) -> None: ...
    def insert(self, graphs: Mapping[URIRef, Graph]) -> None: ...
    def select(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> list[Row]: ...
    def select_table(
        self, sparql: str, bindings: Mapping[str, Node] | None = None
    ) -> tuple[list[str], list[Row]]: ...
    def ask(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> bool: ...
    def construct(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> Graph: ...
    def named_graphs(self) -> list[URIRef]: ...
    def graph(self, name: URIRef) -> Graph: ...
    def quad_count(self) -> int: ...
    def export(self, path: Path) -> int: ...
    def import_dataset(self, path: Path) -> int: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


def store_location(cli_value: str | os.PathLike[str] | None = None) -> str:
    """The store location as given: the CLI flag, else ``ZHENGAI_STORE``, else ``.zhengai/store``."""
    if cli_value:
        return str(cli_value)
    return os.environ.get("ZHENGAI_STORE") or str(DEFAULT_STORE)


def store_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The embedded store's directory (see ``store_location`` for a location that may be a URL)."""
    return Path(store_location(cli_value))


def open_base(location: str | os.PathLike[str] | None = None) -> OxigraphStore | RemoteStore:
    """The whole dataset at ``location``: a remote SPARQL server for an http(s) URL, else a directory."""
    where = store_location(location)
    if is_remote(where):
        return RemoteStore(where)
    return OxigraphStore(Path(where))


def open_store(
    location: str | os.PathLike[str] | None = None, college: str | None = None
) -> OxigraphStore | RemoteStore | CollegeStore:
    """The store a command works on: college ``college`` of the dataset at ``location`` (default
    ``ZHENGAI_COLLEGE``); without one, the only college there is — the single-college layout
    as it is, or the one college under its prefix."""
    base = open_base(location)
    code = college or os.environ.get("ZHENGAI_COLLEGE") or None
    try:
        if code:
            return CollegeStore(base, code)
        codes = colleges(base)
        if not codes or has_single_college(base):
            return base
        if len(codes) == 1:
            return CollegeStore(base, codes[0])
    except Exception:
        base.close()
        raise
    base.close()
    raise StoreError(
        f"数据存储中有 {len(codes)} 所学校（{'、'.join(codes)}）：请用 --college 指定一所",
        f"The store holds {len(codes)} colleges ({', '.join(codes)}): name one with --college",
    )
