"""Every packaged query parses and runs on the sample; parameters are bound, never formatted in."""

from __future__ import annotations

import pytest
from conftest import SAMPLE, load_sample
from rdflib import URIRef

from zhengai import diagnosis, query_registry
from zhengai.errors import QueryError
from zhengai.loading import load_file
from zhengai.namespaces import graph
from zhengai.store import OxigraphStore


def test_queries_are_collected() -> None:
    assert len(query_registry.names()) >= 10


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory: pytest.TempPathFactory) -> tuple[OxigraphStore, diagnosis.Run]:
    store = OxigraphStore(tmp_path_factory.mktemp("queries") / "store")
    load_sample(store)
    load_file(store, SAMPLE / "预警规则.csv", "rules")
    diagnosis.diagnose(store, 2024)
    load_file(store, SAMPLE / "改进台账.csv", "actions")
    return store, diagnosis.diagnose(store, 2025)


@pytest.mark.parametrize("name", query_registry.names())
def test_every_query_runs_on_the_sample(diagnosed: tuple[OxigraphStore, diagnosis.Run], name: str) -> None:
    store, run = diagnosed
    q = query_registry.get(name)
    assert q.description, f"{name}.rq has no description comment"
    if q.text.startswith("# shacl-sparql"):
        pytest.skip("a SHACL-SPARQL constraint: run by pyshacl (tests/test_warning_rules.py)")
    samples = {
        "code": "ZY-1.2.1-01",
        "unit": "教务处",
        "period": "2025",
        "observations": str(graph("observations/2025")),
        "shapes": str(run.shapes_graph),
        "run": str(run.graph),
        "id": "2025/ZY-1.1.1-02/510202",
        "graph": str(graph("subjects")),
        "class": "https://w3id.org/zhengai/ont#Major",
        "indicator": "https://w3id.org/zhengai/id/indicator/ZY-1.4.1-02",
        "person": "T1005",
        "post": "XX-01",
        "subject": "https://w3id.org/zhengai/id/major/510202",
        "indicatorCode": "ZY-1.2.1-02",
        "subjectCode": "510202",
        "node": "https://w3id.org/zhengai/id/major/510202",
        "college": "信息工程学院",
        "g": str(graph("observations/2025")),
        "key": "erp-42",
        "after": "0",
        "since": "2000-01-01",
        "actor": "",
        "action": "",
    }
    gap_of = {  # a gap each ownership rule answers for on the sample
        "owner_rule2_responsible_post": "2025/ZY-1.2.1-01/510203",
        "owner_rule3_responsible_unit": "2025/KC-1.2.1-03/商贸学院",
        "owner_rule4_matrix": "2025/XS-2.3.10-01/网络2301",
        "gap_parts": "2025/专业预警-连续/510202",
    }
    samples["gap"] = str(next(g.iri for g in run.gaps if g.id == gap_of.get(name, samples["id"])))
    answer = "SELECT ?run ?gap ?a WHERE { GRAPH ?run { ?gap <https://w3id.org/zhengai/ont#assignment> ?a } }"
    samples["a"] = str(store.select(answer, {"gap": URIRef(samples["gap"]), "run": run.graph})[0]["a"])
    bindings = q.bindings({p: samples[p] for p in q.params})
    rows = store.select(q.text, bindings)
    assert rows or "# empty on the sample" in q.text, f"{name} returned nothing on the sample"
    for param in q.params:
        assert param in store.select_table(q.text, bindings)[0], f"{name}: parameter ?{param} not projected"


def test_includes_are_expanded_and_unknown_ones_refused() -> None:
    text = query_registry.get("diagnosis_results").text
    assert "# include" not in text and "---- from diagnosis_view.rq ----" in text
    with pytest.raises(QueryError, match="unknown query"):
        query_registry.expand_includes("SELECT * WHERE {\n  # include nope\n}")


def test_parameter_is_bound_not_formatted(sample_store: OxigraphStore) -> None:
    q = query_registry.get("unit_posts")
    rows = sample_store.select(q.text, q.bindings({"unit": "教务处"}))
    assert {str(r["postCode"]) for r in rows} == {"JW-01", "JW-02", "JW-03"}
    assert [r for r in rows if "holderName" not in r] == [
        r for r in rows if str(r["postCode"]) == "JW-02"
    ]  # vacant
    hostile = '教务处" } } DROP ALL ; SELECT * { ?s ?p ?o'
    assert sample_store.select(q.text, q.bindings({"unit": hostile})) == []


def test_unknown_parameter_and_unknown_query_are_clear_errors() -> None:
    with pytest.raises(QueryError, match="no parameter"):
        query_registry.get("unit_posts").bindings({"nope": "1"})
    with pytest.raises(QueryError, match="no query named"):
        query_registry.get("nope")
