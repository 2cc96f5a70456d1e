"""The ontology parses, loads into the store, and every term of ours is labelled and declared."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from zhengai.namespaces import ZG
from zhengai.resources import ontology_turtle

ROOT = Path(__file__).resolve().parent.parent
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)


def ontology() -> Graph:
    return Graph().parse(data=ontology_turtle(), format="turtle")


def our_terms(g: Graph) -> set[URIRef]:
    return {s for t in TERM_TYPES for s in g.subjects(RDF.type, t) if str(s).startswith(str(ZG))}


def test_parses_with_rdflib_and_loads_into_pyoxigraph() -> None:
    g = ontology()
    store = ox.Store()
    store.load(ontology_turtle(), format=ox.RdfFormat.TURTLE)
    assert len(store) == len(g) > 500


def test_every_class_and_property_has_zh_and_en_label_and_comment() -> None:
    g = ontology()
    terms = our_terms(g)
    assert len(terms) > 80
    problems = []
    for term in sorted(terms):
        labels = {lit.language for lit in g.objects(term, RDFS.label)}
        comments = {lit.language for lit in g.objects(term, RDFS.comment)}
        if labels != {"zh", "en"}:
            problems.append(f"{term}: labels {labels}")
        if not {"zh", "en"} <= comments:
            problems.append(f"{term}: comments {comments}")
        if len(list(g.objects(term, RDFS.label))) != 2:
            problems.append(f"{term}: not exactly one label per language")
    assert problems == []


def test_every_term_used_is_declared() -> None:
    """A misspelt term in the ontology, a query or the code is caught here, not in production."""
    g = ontology()
    declared = {str(s) for s in g.subjects() if str(s).startswith(str(ZG))}
    used: dict[str, str] = {}
    for s, p, o in g:
        for term in (s, p, o):
            if isinstance(term, URIRef) and str(term).startswith(str(ZG)) and str(term) != str(ZG):
                used[str(term)] = "ontology"
    for path in [
        *ROOT.glob("zhengai/**/*.py"),
        *ROOT.glob("loaders/*.py"),
        *ROOT.glob("scripts/*.py"),
        *ROOT.glob("api/*.py"),
    ]:
        for name in re.findall(r"\bZG\.(\w+)", path.read_text(encoding="utf-8")):
            used[str(ZG[name])] = path.name
    for path in ROOT.glob("queries/*.rq"):
        for name in re.findall(r"\bzg:(\w+)", path.read_text(encoding="utf-8")):
            used[str(ZG[name])] = path.name
    missing = {
        term: where for term, where in used.items() if term not in declared and not term.endswith("#sha256")
    }
    assert missing == {}


def test_levels_and_systems_are_skos_schemes_of_five() -> None:
    g = ontology()
    skos = "http://www.w3.org/2004/02/skos/core#"
    for scheme in (ZG.LevelScheme, ZG.SystemScheme):
        tops = list(g.objects(scheme, URIRef(skos + "hasTopConcept")))
        assert len(tops) == 5
        for concept in tops:
            assert (concept, URIRef(skos + "inScheme"), scheme) in g
