"""Owners as data: every open gap is assigned when its run is stored, the stored answers equal the
per-gap rule queries, readers take them, and a reload that changes an owner is recorded."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import SAMPLE, generated_store, write_workbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import URIRef
from zhengai.loaders.table import read_sheets

from zhengai import assignment, diagnosis, ownership, query_registry
from zhengai.loading import batch_order, load_file
from zhengai.namespaces import graph
from zhengai.store import OxigraphStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


def _per_gap(store: OxigraphStore, run: diagnosis.RunInfo) -> dict:
    org = ownership.organisation(store)
    out = {}
    for gap in assignment.stored(store, run.graph):
        out.update(ownership.resolve(store, run.graph, gap, org))
    return out


def _same(store: OxigraphStore) -> None:
    for run in diagnosis.runs(store):
        stored = assignment.stored(store, run.graph)
        bulk = ownership.resolve(store, run.graph)
        assert set(stored) == set(bulk) and stored
        per_gap = _per_gap(store, run)
        assert {g: o.as_dict() for g, o in stored.items()} == {g: o.as_dict() for g, o in per_gap.items()}
        _lists_agree(store, run.graph)


def _lists_agree(store: OxigraphStore, run: URIRef) -> None:
    """Each stored answer lists exactly the gaps that point at it, and no answer is left unused."""
    pointing: dict[str, set[str]] = {}
    for r in store.select(
        "PREFIX zg: <https://w3id.org/zhengai/ont#> PREFIX dcterms: <http://purl.org/dc/terms/>"
        " SELECT ?run ?a ?gap ?id WHERE { GRAPH ?run { ?gap zg:assignment ?a ; dcterms:identifier ?id } }",
        {"run": run},
    ):
        pointing.setdefault(str(r["a"]), set()).add(f"{r['id']} {r['gap']}")
    listed = {
        str(r["a"]): {f"{i} {g}" for i, g in json.loads(str(r["gaps"]))}
        for r in store.select(query_registry.get("answer_gap_lists").text, {"run": run})
    }
    assert listed == pointing


@pytest.fixture
def diagnosed(loaded_store: OxigraphStore) -> OxigraphStore:
    load_file(loaded_store, SAMPLE / "预警规则.csv")
    diagnosis.diagnose(loaded_store, 2024)
    diagnosis.diagnose(loaded_store, 2025)
    return loaded_store


def test_stored_owners_equal_the_per_gap_queries_on_the_sample(diagnosed: OxigraphStore) -> None:
    _same(diagnosed)


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), majors=st.integers(1, 3), students=st.integers(1, 40))
def test_stored_owners_equal_the_per_gap_queries_on_generated_colleges(
    seed: int, majors: int, students: int
) -> None:
    sizes = {"seed": seed, "majors": majors, "courses": 4, "teachers": 4, "students": students}
    with tempfile.TemporaryDirectory() as tmp:
        store = generated_store(Path(tmp), **sizes, years=2)
        for period in diagnosis.available_periods(store):
            diagnosis.diagnose(store, period)
        _same(store)


def test_gaps_with_the_same_owners_share_one_stored_answer(diagnosed: OxigraphStore) -> None:
    run = diagnosis.latest_run(diagnosed, 2025)
    assert run is not None
    stored = assignment.stored(diagnosed, run.graph)
    answers = diagnosed.select(query_registry.get("answer_gap_lists").text, {"run": run.graph})
    assert len({assignment.answer_text(o) for o in stored.values()}) == len(answers) < len(stored)


def test_mine_reads_the_stored_answers(diagnosed: OxigraphStore) -> None:
    run = diagnosis.latest_run(diagnosed, 2025)
    assert run is not None
    live = ownership.resolve(diagnosed, run.graph)
    for kw in ({"post": "XX-01"}, {"person": "T1005"}, {"unit": "教务处"}, {"post": "JW-01"}):
        found = assignment.owned(diagnosed, run.graph, **kw)
        expected = {o.id for o in live.values() if ownership.owns(o, **kw)}
        assert found is not None and set(found) == expected and expected, kw


def test_a_reload_that_changes_an_owner_is_recorded(diagnosed: OxigraphStore, tmp_path: Path) -> None:
    run = diagnosis.latest_run(diagnosed, 2025)
    assert run is not None
    before = assignment.owned(diagnosed, run.graph, person="T1004")  # 彭浩, 信息工程学院院长 (XX-01)
    assert before
    # the same organisation again changes nothing
    load_file(diagnosed, SAMPLE / "组织.xlsx")
    assert assignment.owned(diagnosed, run.graph, person="T1004") == before
    # XX-01 gets a new holder
    sheets = {s.name: s.cells for s in read_sheets(SAMPLE / "组织.xlsx")}
    people = sheets["人员"]
    people[:] = [row if row[2] != "XX-01" else ["T2001", "新院长", "XX-01"] for row in people]
    changed = write_workbook(tmp_path / "组织.xlsx", sheets)
    report = load_file(diagnosed, changed)
    assert any("责任人因本次加载而改变" in f.zh for f in report.findings)
    assert not assignment.owned(diagnosed, run.graph, person="T1004")
    assert set(assignment.owned(diagnosed, run.graph, person="T2001") or {}) == set(before)
    gap_id = sorted(before)[0]
    _, gap = ownership.find_gap(diagnosed, gap_id)
    history = assignment.reassignments(diagnosed, gap)
    assert len(history) == 1 and history[0]["load"].startswith("https://w3id.org/zhengai/id/load/")
    assert "XX-01" in history[0]["change"]
    _same(diagnosed)  # the stored answers are the new organisation's


def test_without_a_matrix_file_the_bundled_default_applies(store: OxigraphStore) -> None:
    """Rule 4 and the supervising units are never empty for want of a file."""
    from conftest import SAMPLE_FILES

    for path, kind in batch_order([p for p in SAMPLE_FILES if p.suffix == ".xlsx"], None):
        load_file(store, path, kind)
    assert graph("matrix") not in store.named_graphs()
    run = diagnosis.diagnose(store, 2025)
    assert graph("matrix") in store.named_graphs()
    provenance = {r["graph"]: r for r in store.select(query_registry.get("graph_provenance").text)}
    assert str(provenance[graph("matrix")]["fileName"]) == "默认责任矩阵（内置）.csv"
    owners = assignment.stored(store, run.graph)
    assert any(o.rule == 4 for o in owners.values())
    assert all(o.supervisors for o in owners.values())
