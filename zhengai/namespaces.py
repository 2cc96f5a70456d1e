"""IRIs: the ontology namespace, instance IRIs, and the named graphs of the store."""

from __future__ import annotations

import re
from urllib.parse import quote

from rdflib import Namespace, URIRef
from rdflib.namespace import FOAF, ORG, PROV, RDF, RDFS, SKOS, XSD

ZG = Namespace("https://w3id.org/zhengai/ont#")
ID = Namespace("https://w3id.org/zhengai/id/")
GRAPH_BASE = "https://w3id.org/zhengai/graph/"
SH = Namespace("http://www.w3.org/ns/shacl#")

__all__ = [
    "FOAF",
    "GRAPH_BASE",
    "ID",
    "ORG",
    "PROV",
    "RDF",
    "RDFS",
    "SH",
    "SKOS",
    "XSD",
    "ZG",
    "graph",
    "iri",
]

# Levels in deck order, with the short key used in graph IRIs and the ontology concept.
LEVELS: dict[str, tuple[str, URIRef]] = {
    "学校": ("school", ZG.SchoolLevel),
    "专业": ("major", ZG.MajorLevel),
    "课程": ("course", ZG.CourseLevel),
    "教师": ("teacher", ZG.TeacherLevel),
    "学生": ("student", ZG.StudentLevel),
}

SYSTEMS: dict[str, URIRef] = {
    "决策指挥": ZG.DecisionSystem,
    "质量生成": ZG.QualityGenerationSystem,
    "资源建设": ZG.ResourceSystem,
    "支持服务": ZG.SupportSystem,
    "监督控制": ZG.SupervisionSystem,
}

_GRAPH_NAME = re.compile(r"^[a-z]+(/[a-z0-9-]+)*$")


def graph(name: str) -> URIRef:
    """The IRI of a named graph of the store, e.g. ``graph("observations/2025")``.

    >>> str(graph("catalogue/major"))
    'https://w3id.org/zhengai/graph/catalogue/major'
    """
    if not _GRAPH_NAME.match(name):
        raise ValueError(f"not a graph name: {name!r}")
    return URIRef(GRAPH_BASE + name)


def iri(kind: str, *parts: object) -> URIRef:
    """A stable instance IRI built from a kind and codes; codes are percent-encoded.

    >>> str(iri("major", "560103"))
    'https://w3id.org/zhengai/id/major/560103'
    >>> str(iri("unit", "教务处"))
    'https://w3id.org/zhengai/id/unit/%E6%95%99%E5%8A%A1%E5%A4%84'
    """
    encoded = "/".join(quote(str(p), safe="-._~") for p in parts)
    return ID[f"{kind}/{encoded}"]
