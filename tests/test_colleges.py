"""Several colleges in one dataset: each sees its own graphs only, gives the answers it gives
alone, and is chosen by --college (the only one by default). On every kind of store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_fixtures import TOKEN_FILE, serving
from conftest import SAMPLE, SAMPLE_FILES, load_sample
from rdflib import URIRef

from zhengai import diagnosis
from zhengai.errors import StoreError
from zhengai.loading import batch_order, load_file
from zhengai.namespaces import graph
from zhengai.store import CollegeStore, OxigraphStore, open_store
from zhengai.store.college import colleges, migrate

A, B = "10999", "20888"
EVERY_GRAPH = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def two_colleges(store) -> tuple[CollegeStore, CollegeStore]:  # type: ignore[no-untyped-def]
    """College A: the whole sample; college B: its catalogue, organisation and subjects only."""
    if getattr(store, "endpoints", None) is not None and not store.endpoints.datasets:
        with pytest.raises(StoreError, match="Oxigraph server"):  # Virtuoso: refused, never leaky
            CollegeStore(store, A)
        pytest.skip("this server does not keep a query to its dataset: colleges are refused on it")
    a, b = CollegeStore(store, A), CollegeStore(store, B)
    load_sample(a)
    for path, kind in batch_order(
        [p for p in SAMPLE_FILES if p.name in ("监测指标.xlsx", "组织.xlsx", "对象.xlsx")], None
    ):
        load_file(b, path, kind)
    return a, b


def test_each_college_sees_its_own_graphs_only(any_store) -> None:  # type: ignore[no-untyped-def]
    a, b = two_colleges(any_store)
    assert colleges(any_store) == [A, B]
    assert graph("observations/2025") in a.named_graphs()
    assert graph("observations/2025") not in b.named_graphs()
    assert {r["g"] for r in b.select(EVERY_GRAPH)} == set(b.named_graphs())
    assert all(
        str(g).startswith(str(graph("ontology"))[:-8]) and "/college/" not in str(g) for g in a.named_graphs()
    )
    # naming the other college's graph outright reaches nothing
    other = f"<https://w3id.org/zhengai/graph/college/{A}/observations/2025>"
    assert not b.ask(f"ASK {{ GRAPH {other} {{ ?s ?p ?o }} }}")
    assert not b.select(f"SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g = {other}) }} LIMIT 1")
    assert a.quad_count() > b.quad_count() > 0
    assert a.graph(graph("org")) and len(a.graph(graph("org"))) == len(b.graph(graph("org")))


def test_a_college_gives_the_answers_it_gives_alone(any_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, _ = two_colleges(any_store)
    alone = OxigraphStore(tmp_path / "alone")
    load_sample(alone)
    mine, theirs = diagnosis.diagnose(a, 2025), diagnosis.diagnose(alone, 2025)
    assert sorted((g.id, g.severity) for g in mine.gaps) == sorted((g.id, g.severity) for g in theirs.gaps)
    assert str(mine.graph).startswith(str(graph("diagnosis/x"))[:-1])  # named as one college names it


def test_a_college_exports_under_single_college_names(any_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, _ = two_colleges(any_store)
    a.export(tmp_path / "a.nq")
    text = (tmp_path / "a.nq").read_text(encoding="utf-8")
    assert "/graph/college/" not in text and "/graph/org>" in text
    c = CollegeStore(any_store, "30777")
    c.import_dataset(tmp_path / "a.nq")
    assert sorted(c.named_graphs()) == sorted(a.named_graphs())
    assert c.quad_count() == a.quad_count()


def test_the_only_college_is_the_default_and_several_need_a_name(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with OxigraphStore(path) as base:
        CollegeStore(base, A)
    with open_store(path) as only:
        assert isinstance(only, CollegeStore) and only.code == A
    with OxigraphStore(path) as base:
        CollegeStore(base, B)
    with pytest.raises(StoreError, match="--college") as several:
        open_store(path)
    assert A in several.value.en and B in several.value.en
    done = subprocess.run(
        [sys.executable, "-m", "zhengai.cli", "--store", str(path), "stats"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--college" in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(StoreError, match="college code"):
        CollegeStore(OxigraphStore(None), "../x")


def test_a_single_college_store_is_read_as_it_is_and_migrates_in_one_write(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with OxigraphStore(path) as base:
        load_sample(base)
        before = sorted(r.id for r in diagnosis.diagnose(base, 2025).gaps)
    with open_store(path) as same:
        assert not isinstance(same, CollegeStore)  # the single-college layout, read as it is
        assert graph("org") in same.named_graphs()
    with OxigraphStore(path) as base:
        moved = migrate(base, A)
        assert moved > 10_000
        assert [g for g in base.named_graphs() if "/college/" not in str(g)] == [graph("ontology")]
    with open_store(path) as college:
        assert isinstance(college, CollegeStore) and college.code == A
        run = diagnosis.latest_run(college, 2025) if hasattr(diagnosis, "latest_run") else None
        runs = diagnosis.runs(college)
        assert runs and (run is None or run is not None)
        assert sorted(r.id for r in diagnosis.diagnose(college, 2025).gaps) == before


@pytest.mark.slow
def test_a_college_server_answers_for_its_college_only(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with OxigraphStore(path) as base:
        a, _ = two_colleges(base)
        diagnosis.diagnose(a, 2025)
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(TOKEN_FILE, encoding="utf-8")
    for code, has_gaps in ((A, True), (B, False)):
        env = {"ZHENGAI_COLLEGE": code, "ZHENGAI_TOKENS_FILE": str(tokens)}
        with serving(path, env, "--tokens", str(tokens)) as base_url:
            qo = {"Authorization": "Bearer qo-secret"}
            gaps = httpx.get(f"{base_url}/gaps", params={"limit": 5}, headers=qo, timeout=60)
            assert (gaps.status_code == 200 and bool(gaps.json()["items"])) == has_gaps, gaps.text
            answer = httpx.post(
                f"{base_url}/sparql", content=EVERY_GRAPH.encode(), timeout=60,
                headers={**qo, "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
            )  # fmt: skip
            assert answer.status_code == 200, answer.text
            names = [b["g"]["value"] for b in answer.json()["results"]["bindings"]]
            assert names and all(f"/graph/college/{code}/" in n for n in names), names
    _ = (os, SAMPLE, URIRef)


def test_the_colleges_commands_list_and_migrate(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with OxigraphStore(path) as base:
        load_sample(base)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "zhengai.cli", "--store", str(path), "colleges", *args],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    assert "single-college layout" in run().stdout
    moved = run("migrate", A)
    assert moved.returncode == 0 and f"college {A}" in moved.stdout, moved.stderr
    assert run().stdout.split() == [A]
    again = run("migrate", A)
    assert again.returncode == 2 and "already holds data" in again.stderr and "Traceback" not in again.stderr
