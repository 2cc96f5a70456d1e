"""The store: atomic graph replacement, export/import round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from zhengai.errors import StoreError
from zhengai.namespaces import graph
from zhengai.store import OxigraphStore, store_path

EX = "http://example.org/"


def _graph(*objects: str) -> Graph:
    g = Graph()
    for o in objects:
        g.add((URIRef(EX + "s"), URIRef(EX + "p"), Literal(o)))
    return g


def test_replace_swaps_whole_graphs(store: OxigraphStore) -> None:
    a, b = graph("rdf/a"), graph("rdf/b")
    store.replace_graphs({a: _graph("1", "2"), b: _graph("x")})
    store.replace_graphs({a: _graph("3")})
    assert {str(o) for _, _, o in store.graph(a)} == {"3"}
    assert {str(o) for _, _, o in store.graph(b)} == {"x"}


def test_failed_replace_leaves_every_graph_untouched(store: OxigraphStore) -> None:
    a = graph("rdf/a")
    store.replace_graphs({a: _graph("old")})
    before = set(store.quads())
    with pytest.raises(StoreError):
        # the second graph name is unusable: nothing of the first may land either
        store.replace_graphs({a: _graph("new"), URIRef("http://bad iri/"): _graph("z")})
    assert set(store.quads()) == before


def test_ontology_is_loaded_once(store: OxigraphStore) -> None:
    n = store.quad_count()
    store.ensure_ontology()
    assert store.quad_count() == n > 500


@pytest.mark.parametrize("suffix", [".trig", ".nq"])
def test_export_then_import_into_an_empty_store_is_isomorphic(
    sample_store: OxigraphStore, tmp_path: Path, suffix: str
) -> None:
    backup = tmp_path / f"backup{suffix}"
    n = sample_store.export(backup)
    assert n == sample_store.quad_count()
    restored = OxigraphStore(tmp_path / "restored", ensure_ontology=False)
    restored.import_dataset(backup)
    assert restored.named_graphs() == sample_store.named_graphs()
    for name in sample_store.named_graphs():
        assert isomorphic(sample_store.graph(name), restored.graph(name)), name


def test_export_refuses_a_triple_format(store: OxigraphStore, tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        store.export(tmp_path / "backup.ttl")


def test_store_location_flag_then_environment_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZHENGAI_STORE", raising=False)
    assert store_path(None) == Path(".zhengai/store")
    monkeypatch.setenv("ZHENGAI_STORE", "/srv/zg")
    assert store_path(None) == Path("/srv/zg")
    assert store_path("here") == Path("here")
