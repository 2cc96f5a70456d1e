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


def _dataset(path: Path) -> set[tuple[object, ...]]:
    with OxigraphStore(path) as opened:
        return {q for q in opened.quads() if q[3] != graph("ontology")}


STEPS = """
import os, sys
from rdflib import Graph, Literal, URIRef
from zhengai.namespaces import graph
from zhengai.store import OxigraphStore
ex = "http://example.org/"
def g(*objects):
    out = Graph()
    for o in objects:
        out.add((URIRef(ex + "s"), URIRef(ex + "p"), Literal(o)))
    return out
store = OxigraphStore(sys.argv[1])
a, b = graph("rdf/a"), graph("rdf/b")
with store.changing():
    store.change_graph(a, g("1"), g("2", "kept"))   # "kept" was there: undoing must keep it
    store.change_graphs({b: (g(), g("y")), a: (g("2"), g("3"))})
    store.insert({b: g("z")})
    if sys.argv[2] == "kill":
        os._exit(9)  # killed after three steps, before the change ended
"""


def test_a_change_of_several_steps_killed_on_the_way_is_undone_on_opening(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "store"
    with OxigraphStore(path) as store:
        store.replace_graphs({graph("rdf/a"): _graph("1", "kept"), graph("rdf/b"): _graph("x")})
    before = _dataset(path)
    script = tmp_path / "steps.py"
    script.write_text(STEPS, encoding="utf-8")
    killed = subprocess.run([sys.executable, str(script), str(path), "kill"], timeout=120)
    assert killed.returncode == 9
    assert _dataset(path) == before  # the three steps undone, last first, and the journal gone
    ended = subprocess.run([sys.executable, str(script), str(path), "end"], timeout=120)
    assert ended.returncode == 0
    after = _dataset(path)
    assert {(str(q[3]).rsplit("/", 1)[-1], str(q[2])) for q in after} == {
        ("a", "3"), ("a", "kept"), ("b", "x"), ("b", "y"), ("b", "z")
    }  # fmt: skip
    assert not any(str(q[3]).endswith("/journal") for q in after)


def test_a_change_that_fails_is_undone_at_once_and_other_threads_writes_stand(store: OxigraphStore) -> None:
    import threading

    a, b = graph("rdf/a"), graph("rdf/b")
    store.replace_graphs({a: _graph("1")})
    before = set(store.quads())
    with pytest.raises(RuntimeError), store.changing():
        store.change_graph(a, _graph("1"), _graph("2"))
        other = threading.Thread(target=store.insert, args=({b: _graph("elsewhere")},))
        other.start()
        other.join()
        raise RuntimeError("the third step failed")
    assert set(store.quads()) - before == {
        (URIRef(EX + "s"), URIRef(EX + "p"), Literal("elsewhere"), b)
    }  # a's step undone; the other thread's write is not part of the change
    assert not any(str(q[3]).endswith("/journal") for q in store.quads())
