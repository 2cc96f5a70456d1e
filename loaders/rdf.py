"""RDF files (Turtle, N-Triples, N-Quads, TriG, JSON-LD) loaded as they are.

Triples of a triple format, and default-graph triples of a quad format, go to ``rdf/<file-stem>``;
named graphs of a quad format replace the graphs of the same name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from zhengai.errors import InputError, Location
from zhengai.namespaces import graph
from zhengai.store import from_ox

from .base import LoadResult

KIND = "rdf"
FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json-ld": ox.RdfFormat.JSON_LD,
}


def is_rdf(path: Path) -> bool:
    return path.suffix.lower() in FORMATS


def default_graph_for(path: Path) -> URIRef:
    slug = re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-") or "file"
    return graph(f"rdf/{slug}")


def load(path: Path) -> LoadResult:
    fmt = FORMATS[path.suffix.lower()]
    graphs: dict[URIRef, Graph] = {}
    default = default_graph_for(path)
    try:
        for quad in ox.parse(path=str(path), format=fmt):
            name = default if isinstance(quad.graph_name, ox.DefaultGraph) else URIRef(quad.graph_name.value)
            graphs.setdefault(name, Graph()).add(
                (from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object))
            )
    except SyntaxError as exc:
        location = getattr(exc, "lineno", None)
        raise InputError.single(
            f"RDF 语法错误：{exc}", f"RDF syntax error: {exc}", Location(path.name, row=location)
        ) from exc
    if not graphs:
        raise InputError.single("RDF 文件中没有三元组", "the RDF file holds no triples", Location(path.name))
    return LoadResult(KIND, graphs, sum(len(g) for g in graphs.values()))
