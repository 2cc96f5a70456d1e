"""One college's view of a dataset that holds several (a region on one SPARQL server).

Each college's graphs live under its own prefix, ``https://w3id.org/zhengai/graph/college/{code}/``;
the rest of zhengai keeps naming graphs as one college does (``…/graph/org``). ``CollegeStore``
translates between the two, in both directions and nowhere else:

- graph names, parameters and written content: ``…/graph/x`` becomes ``…/graph/college/{code}/x``;
- query text: every ``…/graph/`` in it (IRIs, prefixes, strings) names the college's graphs;
- answers: the college's IRIs read back as ``…/graph/x``;
- and every query sees only the college's named graphs (SPARQL's FROM NAMED), so a ``GRAPH ?g``
  pattern never reaches another college's data, whatever the query says.

A store without colleges (the single-college layout, graphs right under ``…/graph/``) is read as it
is, with no view; ``migrate`` moves it under a college prefix.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from zhengai.errors import StoreError
from zhengai.namespaces import GRAPH_BASE

from .base import ONTOLOGY_GRAPH, Row, SparqlStore, Triple, backup_format, data_block
from .copy import working_copy
from .pending import PendingGraph, text_of
from .terms import to_ox

COLLEGES = GRAPH_BASE + "college/"
CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
# graphs of the store itself, not of a college (the journal of a bulk write, staging graphs)
STORE_GRAPHS = (GRAPH_BASE + "journal", GRAPH_BASE + "staging/")
GRAPHS_TTL = 2.0  # seconds a view trusts its list of the college's graphs (its own writes refresh it)


def check_code(code: str) -> str:
    if not CODE.match(code):
        raise StoreError(
            f"学校代码「{code}」只能由字母、数字、- 和 _ 组成（至多 40 个字符），例如 10999",
            f"A college code is letters, digits, - and _ (at most 40), e.g. 10999; not '{code}'",
        )
    return code


def prefix_of(code: str) -> str:
    return f"{COLLEGES}{check_code(code)}/"


def colleges(store: SparqlStore) -> list[str]:
    """The codes of the colleges a store holds (under the college prefix)."""
    found = set()
    for name in store.named_graphs():
        text = str(name)
        if text.startswith(COLLEGES):
            found.add(text[len(COLLEGES) :].split("/", 1)[0])
    return sorted(found)


def has_single_college(store: SparqlStore) -> bool:
    """True when the store holds a college in the single-college layout (data graphs at the root)."""
    return any(_is_root_data(name) for name in store.named_graphs())


def _is_root_data(name: URIRef) -> bool:
    text = str(name)
    return (
        text.startswith(GRAPH_BASE)
        and not text.startswith(COLLEGES)
        and not text.startswith(STORE_GRAPHS)
        and name != ONTOLOGY_GRAPH
    )


class CollegeStore:
    """The college ``code`` of ``inner``: the GraphStore protocol, seen from inside one college."""

    def __init__(self, inner: SparqlStore, code: str, *, ensure_ontology: bool = True) -> None:
        endpoints = getattr(inner, "endpoints", None)
        if endpoints is not None and not endpoints.datasets:
            raise StoreError(
                "这台 SPARQL 服务器不把查询限制在给定的数据集内（Virtuoso 7.2 中，数据集之外的 GRAPH <…> 照样匹配），"
                "无法把一所学校限制在它自己的命名图里：区域请用 Oxigraph 服务器，或每校一台 Virtuoso",
                "This SPARQL server does not keep a query to the dataset it is given (in Virtuoso 7.2, GRAPH <…> "
                "outside the dataset still matches), so a college cannot be kept to its own graphs there: use "
                "Oxigraph server for a region, or one Virtuoso per college",
            )
        self.inner = inner
        self.code = check_code(code)
        self.prefix = prefix_of(code)
        self.path = getattr(inner, "path", None)
        self._graphs: list[URIRef] | None = None
        self._graphs_read = 0.0
        if ensure_ontology:
            self.ensure_ontology()

    def __repr__(self) -> str:
        return f"CollegeStore({self.inner!r}, {self.code!r})"

    # -- the translation -------------------------------------------------------------------------

    def physical(self, term: Node) -> Node:
        if isinstance(term, URIRef) and str(term).startswith(GRAPH_BASE):
            return URIRef(self.prefix + str(term)[len(GRAPH_BASE) :])
        return term

    def logical(self, term: Node) -> Node:
        if isinstance(term, URIRef) and str(term).startswith(self.prefix):
            return URIRef(GRAPH_BASE + str(term)[len(self.prefix) :])
        return term

    def physical_text(self, sparql: str) -> str:
        """A query's text naming the college's graphs."""
        return sparql.replace(GRAPH_BASE, self.prefix)

    def _bindings(self, bindings: Mapping[str, Node] | None) -> dict[str, Node] | None:
        if not bindings:
            return None
        return {k: self.physical(v) for k, v in bindings.items()}

    def _row(self, row: Row) -> Row:
        return {k: self.logical(v) for k, v in row.items()}

    def _content(self, content: Graph) -> Graph:
        """The content with its graph IRIs written as the college's (N-Triples text included)."""
        text, rest = text_of(content)
        out = PendingGraph()
        if text and isinstance(content, PendingGraph):
            base, mine = f"<{GRAPH_BASE}".encode(), f"<{self.prefix}".encode()
            out = PendingGraph.of_ntriples(
                b"".join(chunk.replace(base, mine) for chunk in text), content.text_count
            )
        for s, p, o in rest:
            out.add((self.physical(s), self.physical(p), self.physical(o)))
        return out

    def _graph_map(self, graphs: Mapping[URIRef, Graph]) -> dict[URIRef, Graph]:
        self._graphs = None
        return {self.physical(name): self._content(content) for name, content in graphs.items()}  # type: ignore[misc]

    def graphs(self) -> list[URIRef]:
        """The college's graphs, by their names in the dataset (read again after a write, or
        after ``GRAPHS_TTL`` seconds, for writes of other processes)."""
        now = time.monotonic()
        if self._graphs is None or now - self._graphs_read > GRAPHS_TTL:
            self._graphs = [g for g in self.inner.named_graphs() if str(g).startswith(self.prefix)]
            self._graphs_read = now
        return self._graphs

    # -- writing ---------------------------------------------------------------------------------

    def replace_graphs(self, graphs: Mapping[URIRef, Graph]) -> None:
        self.inner.replace_graphs(self._graph_map(graphs))

    def add_graphs(self, graphs: Mapping[URIRef, Graph]) -> None:
        self.inner.add_graphs(self._graph_map(graphs))  # type: ignore[attr-defined]

    def insert(self, graphs: Mapping[URIRef, Graph]) -> None:
        self.inner.insert(self._graph_map(graphs))

    def change_graph(self, name: URIRef, remove: Graph, add: Graph) -> None:
        self.change_graphs({name: (remove, add)})

    def change_graphs(self, changes: Mapping[URIRef, tuple[Graph, Graph]]) -> None:
        self._graphs = None
        self.inner.change_graphs(
            {
                self.physical(name): (self._content(remove), self._content(add))  # type: ignore[misc]
                for name, (remove, add) in changes.items()
            }
        )

    def _body(self, body: Iterable[Triple]) -> Iterator[Triple]:
        for s, p, o in body:
            yield self.physical(s), self.physical(p), self.physical(o)

    def add_large_graph(self, name: URIRef, body: Iterable[Triple], record: Graph) -> None:
        self._graphs = None
        self.inner.add_large_graph(self.physical(name), self._body(body), self._content(record))  # type: ignore[attr-defined, arg-type]

    def extend_graph(self, name: URIRef, body: Iterable[Triple], record: Graph) -> None:
        self._graphs = None
        self.inner.extend_graph(self.physical(name), self._body(body), self._content(record))  # type: ignore[attr-defined, arg-type]

    # a few graphs in memory, read with queries: the ownership rules then ask them locally
    working_copy = working_copy

    def writing(self, names: Iterable[URIRef]):  # type: ignore[no-untyped-def]
        """``SparqlStore.writing`` on the college's own graphs."""
        self._graphs = None
        return self.inner.writing([self.physical(n) for n in names])  # type: ignore[attr-defined]

    def changing(self):  # type: ignore[no-untyped-def]
        """``SparqlStore.changing``: a change of several steps, undone whole if interrupted."""
        return self.inner.changing()  # type: ignore[attr-defined]

    def drop_graph(self, name: URIRef) -> None:
        self._graphs = None
        self.inner.drop_graph(self.physical(name))  # type: ignore[attr-defined, arg-type]

    ensure_ontology = SparqlStore.ensure_ontology
    import_dataset = SparqlStore.import_dataset

    # -- reading ---------------------------------------------------------------------------------

    def select(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        return self.select_table(sparql, bindings)[1]

    def select_table(
        self, sparql: str, bindings: Mapping[str, Node] | None = None
    ) -> tuple[list[str], list[Row]]:
        names, rows = self.inner.select_table(
            self.physical_text(sparql), self._bindings(bindings), within=self.graphs()
        )
        return names, [self._row(r) for r in rows]

    def ask(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> bool:
        return self.inner.ask(self.physical_text(sparql), self._bindings(bindings), within=self.graphs())

    def construct(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        built = self.inner.construct(
            self.physical_text(sparql), self._bindings(bindings), within=self.graphs()
        )
        out = Graph()
        for s, p, o in built:
            out.add((self.logical(s), self.logical(p), self.logical(o)))
        return out

    def named_graphs(self) -> list[URIRef]:
        return sorted(self.logical(g) for g in self.graphs())  # type: ignore[misc]

    def graph(self, name: URIRef) -> Graph:
        out = Graph()
        for s, p, o in self.inner.graph(self.physical(name)):  # type: ignore[arg-type]
            out.add((self.logical(s), self.logical(p), self.logical(o)))
        return out

    def quad_count(self) -> int:
        rows = self.inner.select(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", within=self.graphs()
        )
        return int(rows[0]["n"]) if rows else 0

    def quads(self) -> Iterator[tuple[Node, Node, Node, Node | None]]:
        for name in self.graphs():
            for s, p, o in self.inner.graph(name):
                yield self.logical(s), self.logical(p), self.logical(o), self.logical(name)

    def export(self, path: Path) -> int:
        """The college's graphs under their single-college names: a backup that loads into any
        store, as one college or under another code."""
        fmt = backup_format(path, "备份须为", "A backup must be")
        count = 0

        def quads() -> Iterator[ox.Quad]:
            nonlocal count
            for s, p, o, g in self.quads():
                count += 1
                yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), to_ox(g))  # type: ignore[arg-type]

        ox.serialize(quads(), str(path), format=fmt)
        return count

    def flush(self) -> None:
        self.inner.flush()

    def compact(self) -> None:
        self.inner.compact()  # type: ignore[attr-defined]

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> CollegeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def migrate(store: SparqlStore, code: str) -> int:
    """Move a single-college store's graphs under the prefix of college ``code``, in one write;
    returns the triples moved. The graphs keep their content, with their IRIs translated."""
    view = CollegeStore(store, code, ensure_ontology=False)
    if view.graphs():
        raise StoreError(
            f"学校「{code}」已有数据：不能把单校数据迁入其中",
            f"College '{code}' already holds data: the single-college graphs cannot be moved into it",
        )
    roots = [g for g in store.named_graphs() if _is_root_data(g)]
    graphs = {name: store.graph(name) for name in [*roots, ONTOLOGY_GRAPH]}
    parts = [f"DROP SILENT GRAPH <{name}>" for name in roots]  # one update: moved, or not at all
    for name, content in view._graph_map(graphs).items():
        parts += [f"DROP SILENT GRAPH <{name}>", *data_block("INSERT", name, content, store.term_in)]
    store._update(parts)
    return sum(len(graphs[name]) for name in roots)


__all__ = ["COLLEGES", "CollegeStore", "check_code", "colleges", "has_single_college", "migrate", "prefix_of"]
