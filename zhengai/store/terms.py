"""Term conversion between rdflib (the callers' terms) and pyoxigraph (the stores' terms)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# Blank nodes on a remote store are written as these IRIs (RDF 1.1 skolemization) and read back as
# blank nodes: a server gives its own labels to blank nodes, which a later request cannot name,
# and Virtuoso refuses them in INSERT DATA.
GENID = "https://w3id.org/zhengai/.well-known/genid/"
OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal


def to_ox(term: Node) -> OxTerm:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r}")


def cached_to_ox(to: Callable[[Node], OxTerm] | None = None) -> Callable[[Node], OxTerm]:
    """``to`` (to_ox by default) with a cache: predicates, classes and repeated values are
    converted once."""
    cache: dict[Node, OxTerm] = {}
    to = to or to_ox

    def convert(term: Node) -> OxTerm:
        found = cache.get(term)
        if found is None:
            found = cache[term] = to(term)
        return found

    return convert


def from_ox(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:  # RDF 1.1: a simple literal is an xsd:string
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"cannot convert {term!r}")


def to_ox_skolem(term: Node) -> OxTerm:
    """to_ox, with a blank node as its skolem IRI."""
    if isinstance(term, BNode):
        return ox.NamedNode(GENID + str(term))
    return to_ox(term)


def from_ox_skolem(term: object) -> Node:
    """from_ox, with a skolem IRI as its blank node."""
    if isinstance(term, ox.NamedNode) and term.value.startswith(GENID):
        return BNode(term.value[len(GENID) :])
    return from_ox(term)


def ntriples(triples: Iterable[tuple[Node, Node, Node]], convert: Callable[[Node], OxTerm]) -> str:
    """N-Triples of rdflib triples, written by pyoxigraph's terms (escaped as N-Triples asks)."""
    return "".join(f"{convert(s)} {convert(p)} {convert(o)} .\n" for s, p, o in triples)
