"""What every store shares: writes as SPARQL updates, answers read as pyoxigraph results.

A store subclass says how to run one update (``_update_text``) and one query (``_evaluate``);
this class builds the update text of each write and converts the answers to rdflib terms, so the
embedded store and a remote SPARQL server give the same answers to the same calls.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from zhengai.errors import QueryError, StoreError
from zhengai.namespaces import GRAPH_BASE, graph
from zhengai.resources import ontology_turtle
from zhengai.sparql_text import bind_constants, bind_inline, bind_rows, bind_values

from .pending import text_of
from .terms import OxTerm, from_ox, ntriples, to_ox

ONTOLOGY_GRAPH = graph("ontology")
ONTOLOGY_DIGEST = URIRef("https://w3id.org/zhengai/ont#sha256")
Row = dict[str, Node]
Triple = tuple[Node, Node, Node]
# A query with this comment line sees every named graph as its default graph (patterns without
# GRAPH match across graphs: a student → class → major → 二级学院 chain spans three graphs).
UNION_DIRECTIVE = "# dataset: union of the named graphs"
# A query with this comment line gets its parameters as a VALUES block opening its WHERE group,
# which Oxigraph uses to drive the joins; otherwise they are SEP-0007 substitutions, which Oxigraph
# applies to the evaluated pattern. Which is faster depends on the query: a star pattern around one
# bound term gains (40 ms → 0.1 ms on a large run), queries of UNIONs lose.
VALUES_DIRECTIVE = "# bind: values"
INLINE_DIRECTIVE = "# bind: inline"  # parameters written into the WHERE clause (sparql_text.bind_inline)


def data_block(
    verb: str, target: URIRef, content: Graph, convert: Callable[[Node], OxTerm] = to_ox
) -> list[str]:
    """``INSERT DATA`` / ``DELETE DATA`` of ``content`` in graph ``target`` (nothing when empty)."""
    if not len(content):
        return []
    text, rest = text_of(content)  # the text has no blank nodes: any store may take it as it is
    body = "".join(chunk.decode("utf-8") for chunk in text) + ntriples(rest, convert)
    return [f"{verb} DATA {{ GRAPH <{target}> {{\n{body}}} }}"]


def check_graph_iri(target: URIRef) -> None:
    """Graph IRIs are built by zhengai itself; this guard keeps them safe to place in an update."""
    text = str(target)
    if any(c in text for c in '<>"{}|\\^` \n') or not (
        text.startswith(GRAPH_BASE) or text.startswith(("http://", "https://", "urn:"))
    ):
        raise ValueError(f"unsafe graph IRI: {text!r}")


def check_graph_names(names: Iterable[URIRef]) -> None:
    """Refuse a write (before anything is written) that names an unsafe graph IRI."""
    for name in names:
        try:
            check_graph_iri(name)
        except ValueError as exc:
            raise write_failed(exc) from exc


# A graph this large that does not exist yet is written in bulk, under a journal (each store's
# replace_graphs): a first load of a year of observations, or of the students.
BULK_MIN = 20_000


def large_new_graphs(graphs: Mapping[URIRef, Graph], exists: Callable[[URIRef], bool]) -> dict[URIRef, Graph]:
    return {
        name: content for name, content in graphs.items() if len(content) >= BULK_MIN and not exists(name)
    }


def write_failed(exc: Exception) -> StoreError:
    full = "No space left" in str(exc) or getattr(exc, "errno", None) == 28
    return StoreError(
        ("磁盘已满：" if full else "") + f"写入数据存储失败，原有数据未改动：{exc}",
        ("The disk is full: " if full else "")
        + f"writing to the store failed; the previous data is untouched: {exc}",
    )


def is_quad_format(fmt: ox.RdfFormat) -> bool:
    return fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


def rdf_format_for(path: Path) -> ox.RdfFormat:
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".").lower())
    if fmt is None:
        raise StoreError(
            f"无法从扩展名识别 RDF 格式：{path.name}",
            f"Cannot tell the RDF format from the extension of {path.name}",
        )
    return fmt


def backup_format(path: Path, zh: str, en: str) -> ox.RdfFormat:
    fmt = rdf_format_for(path)
    if not is_quad_format(fmt):
        raise StoreError(
            f"{zh} TriG（.trig）或 N-Quads（.nq）：{path.name}",
            f"{en} TriG (.trig) or N-Quads (.nq): {path.name}",
        )
    return fmt


JOURNAL = graph("journal")
BULK_WRITING = URIRef("https://w3id.org/zhengai/ont#bulkWriting")
UNDO_UPDATE = URIRef("https://w3id.org/zhengai/ont#undoUpdate")  # a step of a change, undone on recovery


def undo_parts(records: Iterable[tuple[Node, Node, Node]], journal: URIRef = JOURNAL) -> list[str]:
    """The updates that undo the steps ``journal`` records (``SparqlStore.changing``), last step
    first, each followed by the deletion of its record: what recovery runs, in one update."""
    steps = sorted(
        ((s, o) for s, p, o in records if p == UNDO_UPDATE), key=lambda so: str(so[0]), reverse=True
    )
    parts: list[str] = []
    for step, text in steps:
        record = Graph()
        record.add((step, UNDO_UPDATE, text))  # type: ignore[arg-type]
        parts += [*([str(text)] if str(text) else []), *data_block("DELETE", journal, record)]
    return parts


# Fault injection for the crash harness (tests/crash_harness.py): the process kills itself with
# SIGKILL right after its N-th update, so every boundary between the steps of a write is tried.
KILL_AFTER_WRITES = int(os.environ.get("ZHENGAI_TEST_KILL_AFTER_WRITES", "0") or 0)
_writes = [0]


def _counted_write() -> None:
    _writes[0] += 1
    if _writes[0] == KILL_AFTER_WRITES:
        os.kill(os.getpid(), signal.SIGKILL)


def _graph_of(triples: Iterable[Triple]) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g


class SparqlStore:
    """The writes and reads both stores share. Subclasses run the update text and the queries."""

    substitutions = True  # the store takes SEP-0007 substitutions (else parameters become VALUES)
    # how terms go to the store and come back (a remote store writes blank nodes as skolem IRIs)
    term_in: Callable[[Node], OxTerm] = staticmethod(to_ox)
    term_out: Callable[[object], Node] = staticmethod(from_ox)

    @property
    def _changing(self) -> threading.local:
        """This store's change of several steps on this thread (``changing``), if any."""
        local = self.__dict__.get("_changing_local")
        if local is None:
            local = self.__dict__.setdefault("_changing_local", threading.local())
        return local

    # -- writes of several steps ----------------------------------------------------------------

    def journal_graph(self) -> URIRef:
        """Where a write of several steps names the graphs it is writing (recovered on opening)."""
        return JOURNAL

    @contextmanager
    def writing(self, names: Iterable[URIRef]) -> Iterator[None]:
        """A write of several steps (a diagnosis: its shapes, its gaps, its owners, its record) to
        graphs that do not exist yet: they are named in the journal first, so that a process killed
        on the way leaves graphs the next opening drops — the store is then as it was before. On
        an error they are dropped at once; at the end the journal forgets them."""
        journal = self.journal_graph()
        record = Graph()
        for name in names:
            record.add((journal, BULK_WRITING, name))
        self._update(data_block("INSERT", journal, record, self.term_in))
        try:
            yield
        except BaseException:
            for name in record.objects(journal, BULK_WRITING):
                self.drop_graph(URIRef(str(name)))  # type: ignore[attr-defined]
            self._end_journal(journal, record)
            raise
        self._end_journal(journal, record)

    def _end_journal(self, journal: URIRef, record: Graph) -> None:
        self._update(data_block("DELETE", journal, record, self.term_in))

    @contextmanager
    def changing(self) -> Iterator[None]:
        """A change of several steps to graphs that exist (a push: its values, then its gaps, then
        their owners and events, each step reading what the one before wrote). Each step's update
        also records in the journal, in the same transaction, the update that undoes it; a process
        killed on the way leaves steps the next opening undoes, last first, so the store is as it
        was before. On an error the steps are undone at once; at the end one update forgets them.
        Changes inside a change are part of it. Only this thread's writes are journaled."""
        if getattr(self._changing, "steps", None) is not None:
            yield
            return
        self._changing.steps = steps = Graph()
        self._changing.journal = journal = self.journal_graph()
        self._changing.prefix = f"{JOURNAL}/undo/{uuid.uuid4().hex}/"
        try:
            yield
        except BaseException:
            self._changing.steps = None
            if len(steps):
                self._update(undo_parts(steps, journal))  # (if this fails too, the next opening does)
                self._after_journal(journal)
            raise
        self._changing.steps = None
        if len(steps):
            self._update(data_block("DELETE", journal, steps, self.term_in))
            self._after_journal(journal)

    def _after_journal(self, journal: URIRef) -> None:
        """What a store does once a change's journal entries were removed (the embedded store drops
        an empty journal graph, a remote store the change's own journal)."""

    def _undo_step(self, changes: Mapping[URIRef, tuple[Graph, Graph]]) -> list[str]:
        """In a change (``changing``), the journal record of the update that undoes ``changes``:
        it deletes what they add that was not there and inserts back what they remove that was."""
        steps: Graph | None = getattr(self._changing, "steps", None)
        if steps is None:
            return []
        undo = []
        for name, (remove, add) in changes.items():
            for triple in (*remove, *add):
                if any(isinstance(t, BNode) for t in triple):
                    raise ValueError("a change of several steps cannot journal blank nodes")
            were = self._present(name, [*remove, *add])
            undo += data_block("DELETE", name, _graph_of(t for t in add if t not in were), self.term_in)
            undo += data_block("INSERT", name, _graph_of(t for t in remove if t in were), self.term_in)
        step = URIRef(f"{self._changing.prefix}{len(steps):06d}")
        record = Graph()
        record.add((step, UNDO_UPDATE, Literal(" ;\n".join(undo))))
        steps += record
        return data_block("INSERT", self._changing.journal, record, self.term_in)

    def _present(self, name: URIRef, triples: list[Triple]) -> set[Triple]:
        """Which of ``triples`` graph ``name`` holds (``queries/graph_holds.rq``, 500 at a time)."""
        from zhengai import query_registry  # the registry reads queries through the store's package

        text = query_registry.get("graph_holds").text
        rows = sorted(set(triples), key=str)
        found: set[Triple] = set()
        for start in range(0, len(rows), 500):
            chunk = [tuple(self.term_in(t) for t in row) for row in rows[start : start + 500]]
            found |= {(r["s"], r["p"], r["o"]) for r in self.select(bind_rows(text, chunk), {"g": name})}  # type: ignore[arg-type]
        return found

    # -- what a subclass provides ----------------------------------------------------------------

    def _update_text(self, text: str) -> None:
        raise NotImplementedError

    def _evaluate(
        self,
        sparql: str,
        substitutions: Mapping[ox.Variable, OxTerm] | None,
        union: bool,
        within: Sequence[URIRef] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple]:
        """Run a query; ``within``: the only named graphs it sees (and, for a union query, its
        default graph), as SPARQL's FROM NAMED would say."""
        raise NotImplementedError

    def named_graphs(self) -> list[URIRef]:
        raise NotImplementedError

    # -- writing ---------------------------------------------------------------------------------

    def _update(self, parts: list[str]) -> None:
        """One SPARQL update of ``parts`` (one request, one transaction); a failure changes nothing."""
        if parts:
            self._update_text(" ;\n".join(parts))
            if KILL_AFTER_WRITES:
                _counted_write()

    def replace_graphs(self, graphs: Mapping[URIRef, Graph]) -> None:
        """Replace each named graph by the given content, all in one transaction.

        One SPARQL update — ``DROP SILENT GRAPH <g> ; INSERT DATA { GRAPH <g> { … } }`` for every
        graph — which the store applies as a single transaction: readers see the old graphs or the
        new ones, never a mix, and a failure leaves the store as it was.
        """
        check_graph_names(graphs)
        parts = []
        for target, content in graphs.items():
            parts.append(f"DROP SILENT GRAPH <{target}>")
            parts.extend(data_block("INSERT", target, content, self.term_in))
        self._update(parts)

    def change_graph(self, name: URIRef, remove: Graph, add: Graph) -> None:
        """Remove some triples of a graph and add others, in one transaction (one SPARQL update)."""
        self.change_graphs({name: (remove, add)})

    def change_graphs(self, changes: Mapping[URIRef, tuple[Graph, Graph]]) -> None:
        """Remove some triples and add others in several graphs, in one transaction (one update)."""
        parts = []
        for name, (remove, add) in changes.items():
            check_graph_iri(name)
            parts += [
                *data_block("DELETE", name, remove, self.term_in),
                *data_block("INSERT", name, add, self.term_in),
            ]
        if parts:
            parts += self._undo_step(changes)  # in a change of several steps: how to undo this one
        self._update(parts)

    def insert(self, graphs: Mapping[URIRef, Graph]) -> None:
        """Add triples to graphs, new or existing, in one transaction (one SPARQL update)."""
        parts = []
        for name, content in graphs.items():
            check_graph_iri(name)
            parts.extend(data_block("INSERT", name, content, self.term_in))
        if parts:
            parts += self._undo_step({name: (Graph(), content) for name, content in graphs.items()})
        self._update(parts)

    def ensure_ontology(self) -> None:
        """Load the packaged ontology into its graph when it is missing or has changed."""
        text = ontology_turtle()
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if self.ask(
            "ASK { GRAPH ?g { ?g ?p ?d } }",
            {"g": ONTOLOGY_GRAPH, "p": ONTOLOGY_DIGEST, "d": Literal(digest)},
        ):
            return
        g = Graph()
        g.parse(data=text, format="turtle")
        g.add((ONTOLOGY_GRAPH, ONTOLOGY_DIGEST, Literal(digest)))
        self.replace_graphs({ONTOLOGY_GRAPH: g})

    def import_dataset(self, path: Path) -> int:
        """Restore a TriG/N-Quads backup: every graph in it replaces the graph of the same name."""
        fmt = backup_format(path, "恢复须用", "Restore needs a")
        graphs: dict[URIRef, Graph] = {}
        try:
            for q in ox.parse(path=str(path), format=fmt):
                if isinstance(q.graph_name, ox.DefaultGraph):
                    raise StoreError(
                        f"备份「{path.name}」含有默认图三元组；zhengai 只使用命名图",
                        f"Backup '{path.name}' has default-graph triples; zhengai uses named graphs only",
                    )
                name = URIRef(q.graph_name.value)
                graphs.setdefault(name, Graph()).add(
                    (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
                )
        except SyntaxError as exc:
            raise StoreError(
                f"备份文件「{path.name}」无法解析：{exc}", f"Cannot parse backup '{path.name}': {exc}"
            ) from exc
        self.replace_graphs(graphs)
        return sum(len(g) for g in graphs.values())

    # -- reading ---------------------------------------------------------------------------------

    def _run(
        self, sparql: str, bindings: Mapping[str, Node] | None, within: Sequence[URIRef] | None = None
    ) -> object:
        terms = {k: self.term_in(v) for k, v in (bindings or {}).items()}
        substitutions = None
        constants = terms and not any(isinstance(t, ox.BlankNode) for t in terms.values())
        if constants and INLINE_DIRECTIVE in sparql:
            sparql = bind_inline(sparql, terms)
        elif constants and not self.substitutions:
            sparql = bind_constants(sparql, terms)
        elif constants and VALUES_DIRECTIVE in sparql:
            sparql = bind_values(sparql, terms)
        elif terms:
            if not self.substitutions:
                raise QueryError(
                    "远程存储的查询参数不能是空白节点",
                    "a remote store's query parameters cannot be blank nodes",
                )
            substitutions = {ox.Variable(k): t for k, t in terms.items()}
        return self._evaluate(sparql, substitutions, UNION_DIRECTIVE in sparql, within)

    def select(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        within: Sequence[URIRef] | None = None,
    ) -> list[Row]:
        return self.select_table(sparql, bindings, within=within)[1]

    def select_table(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        within: Sequence[URIRef] | None = None,
    ) -> tuple[list[str], list[Row]]:
        """The projected variable names (in query order) and the rows, from one evaluation."""
        result = self._run(sparql, bindings, within)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("这里需要 SELECT 查询", "a SELECT query is expected here")
        names = [v.value for v in result.variables]
        rows: list[Row] = []
        seen: dict[object, Node] = {}  # repeated terms (predicates, shapes, parameters) convert once
        for solution in result:
            row: Row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    term = seen.get(value)
                    if term is None:
                        term = seen[value] = self.term_out(value)
                    row[name] = term
            rows.append(row)
        return names, rows

    def ask(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        within: Sequence[URIRef] | None = None,
    ) -> bool:
        result = self._run(sparql, bindings, within)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("这里需要 ASK 查询", "a ASK query is expected here")
        return bool(result)

    def construct(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        within: Sequence[URIRef] | None = None,
    ) -> Graph:
        result = self._run(sparql, bindings, within)
        if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
            raise QueryError(
                "这里需要 CONSTRUCT 或 DESCRIBE 查询", "a CONSTRUCT or DESCRIBE query is expected here"
            )
        g = Graph()
        for t in result:
            g.add((self.term_out(t.subject), self.term_out(t.predicate), self.term_out(t.object)))
        return g

    def quads(self) -> Iterator[tuple[Node, Node, Node, Node | None]]:
        raise NotImplementedError

    def dataset(self) -> Dataset:
        ds = Dataset()
        for s, p, o, g in self.quads():
            ds.graph(g if g is not None else None).add((s, p, o))
        return ds

    def flush(self) -> None:
        """Make the writes visible to other readers (the embedded store's memtable); else nothing."""

    def __enter__(self) -> SparqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError
