"""A small in-memory working copy of some graphs of any store (``OxigraphStore.working_copy``
copies natively; this reads them with queries, for a remote store or a college's view).

The ownership rules read a few graphs of a large store many times; a copy of just those, in
memory, answers them without a round trip each (``zhengai.ownership.resolve_run``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from rdflib import URIRef

from .embedded import OxigraphStore
from .terms import cached_to_ox

# (the bound parameters are projected too, as the embedded store's substitutions need)
WHOLE = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
ABOUT = "SELECT DISTINCT ?g ?named ?via ?s ?p ?o WHERE { GRAPH ?named { ?x ?via ?s } GRAPH ?g { ?s ?p ?o } }"


def working_copy(
    store,  # type: ignore[no-untyped-def]
    graphs: Iterable[URIRef],
    partial: Mapping[URIRef, Iterable[URIRef]],
    about: Mapping[URIRef, tuple[URIRef, URIRef]] | None = None,
) -> OxigraphStore:
    """``graphs`` whole; of each graph in ``partial``, the triples of the given predicates; of each
    graph in ``about``, the triples about what graph ``g`` names with predicate ``p``."""
    copy = OxigraphStore(None, ensure_ontology=False)
    convert = cached_to_ox()

    def add(name: URIRef, rows: list[dict]) -> None:  # type: ignore[type-arg]
        target = ox.NamedNode(str(name))
        copy._store.bulk_extend(
            ox.Quad(convert(r["s"]), convert(r["p"]), convert(r["o"]), target)
            for r in rows  # type: ignore[arg-type]
        )

    for name in graphs:
        add(name, store.select(WHOLE, {"g": name}))
    for name, predicates in partial.items():
        for p in predicates:
            add(name, store.select(WHOLE, {"g": name, "p": p}))
    for name, (named_in, via) in (about or {}).items():
        add(name, store.select(ABOUT, {"g": name, "named": named_in, "via": via}))
    return copy
