"""A graph that only collects triples until something reads it.

Loaders build large graphs (a year of observations: 66 000 rows, 556 000 triples) that the store
writes and nobody reads first. rdflib indexes every triple on ``add`` (about 30 µs each); this
Graph keeps them in an ordered set instead, and hands them to an rdflib store only when a method
of rdflib's needs them. ``written_triples`` is what the store writes without that cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rdflib import Graph
from rdflib.term import Node

Triple = tuple[Node, Node, Node]


class PendingGraph(Graph):
    """An rdflib Graph whose added triples wait in a set until it is read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: dict[Triple, None] | None = {}
        self._text: list[bytes] = []  # N-Triples read elsewhere (a worker process), not yet parsed
        self._text_count = 0

    @classmethod
    def of_ntriples(cls, text: bytes, count: int) -> PendingGraph:
        """A graph of ``count`` distinct triples given as N-Triples (blank-node free) text."""
        made = cls()
        made._text, made._text_count = [text], count
        return made

    @property
    def text_count(self) -> int:
        return self._text_count if self._pending is not None else 0

    def ntriples_text(self) -> list[bytes]:
        """The N-Triples text this graph holds besides its waiting triples (``written_triples``)."""
        return self._text if self._pending is not None else []

    def _settle(self) -> None:
        """Give the waiting triples to rdflib's store (once); from then on, a plain Graph."""
        pending, self._pending = self._pending, None
        text, self._text, self._text_count = self._text, [], 0
        for chunk in text:
            super().parse(data=chunk.decode("utf-8"), format="nt")
        if pending:
            super().addN((s, p, o, self) for s, p, o in pending)

    def add(self, triple: Triple) -> PendingGraph:  # type: ignore[override]
        if self._pending is None:
            super().add(triple)
        else:
            self._pending[triple] = None
        return self

    def addN(self, quads: Iterable[tuple[Node, Node, Node, Any]]) -> PendingGraph:
        self._settle()
        super().addN(quads)
        return self

    def __iadd__(self, other: Iterable[Triple]) -> PendingGraph:  # type: ignore[override]
        if self._pending is None:
            return super().__iadd__(other)  # type: ignore[return-value]
        for triple in other:
            self._pending[triple] = None
        return self

    def written_triples(self) -> Iterable[Triple]:
        """The triples besides ``ntriples_text``, without indexing them when none has been read."""
        if self._pending is not None:
            return self._pending.keys()
        return super().triples((None, None, None))

    def triples(self, pattern: Any) -> Iterator[Any]:  # type: ignore[override]
        self._settle()
        return super().triples(pattern)

    def remove(self, triple: Any) -> PendingGraph:  # type: ignore[override]
        self._settle()
        super().remove(triple)
        return self

    def __len__(self) -> int:
        if self._pending is not None:
            return len(self._pending) + self._text_count
        return super().__len__()

    def __iter__(self) -> Iterator[Triple]:  # type: ignore[override]
        if self._pending is not None and not self._text:
            return iter(list(self._pending))
        return super().__iter__()

    def __contains__(self, triple: object) -> bool:
        self._settle()
        return super().__contains__(triple)


def triples_of(graph: Graph) -> Iterable[Triple]:
    """A graph's triples, as cheaply as the graph allows (a PendingGraph's without indexing)."""
    if isinstance(graph, PendingGraph):
        if graph.ntriples_text():
            return iter(graph)  # parses the text (a caller that can take text uses text_of)
        return graph.written_triples()
    return graph


def text_of(graph: Graph) -> tuple[list[bytes], Iterable[Triple]]:
    """A graph as (N-Triples text, further triples): what a store can write without parsing."""
    if isinstance(graph, PendingGraph):
        return graph.ntriples_text(), graph.written_triples()
    return [], graph
