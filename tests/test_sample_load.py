"""Loading the sample college: counts checked by SPARQL against what the workbooks hold."""

from __future__ import annotations

from collections import Counter

from conftest import SAMPLE, expected_counts, expected_observations
from openpyxl import load_workbook
from rdflib import Literal

from zhengai.loading import load_file
from zhengai.namespaces import ZG, graph
from zhengai.store import OxigraphStore

PREFIXES = """
PREFIX zg: <https://w3id.org/zhengai/ont#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""


def count(store: OxigraphStore, where: str) -> int:
    rows = store.select(PREFIXES + f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}")
    return int(rows[0]["n"])


def catalogue_rows_per_sheet() -> dict[str, int]:
    """Indicator rows per level, read straight from the workbook: rows below the header with a code."""
    wb = load_workbook(SAMPLE / "监测指标.xlsx", read_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        header = next(i for i, r in enumerate(rows) if r and r[0] == "编码")
        out[ws.title] = sum(1 for r in rows[header + 1 :] if r and r[0])
    return out


def test_indicators_per_level_equal_catalogue_rows(sample_store: OxigraphStore) -> None:
    per_sheet = catalogue_rows_per_sheet()
    assert per_sheet == {
        k.split(":")[1]: v for k, v in expected_counts().items() if k.startswith("indicators:")
    }
    for level, n in per_sheet.items():
        found = count(
            sample_store,
            f'GRAPH ?g {{ ?x a zg:Indicator ; zg:level ?l }} GRAPH ?o {{ ?l skos:notation "{level}" }}',
        )
        assert found == n, level


def test_units_posts_holders_and_vacancies(sample_store: OxigraphStore) -> None:
    expected = expected_counts()
    assert count(sample_store, "GRAPH ?g { ?x a org:OrganizationalUnit }") == expected["units"]
    assert count(sample_store, "GRAPH ?g { ?x a org:Post }") == expected["posts"]
    vacant = count(sample_store, "GRAPH ?g { ?x a org:Post FILTER NOT EXISTS { ?x org:heldBy ?h } }")
    assert vacant == expected["vacant_posts"]
    wb = load_workbook(SAMPLE / "组织.xlsx", read_only=True)
    holdings = sum(
        len([p for p in str(r[2]).split("、") if p]) for r in list(wb["人员"].iter_rows(values_only=True))[1:]
    )
    assert (
        count(sample_store, "GRAPH ?g { ?p org:heldBy ?h BIND(CONCAT(STR(?p), STR(?h)) AS ?x) }") == holdings
    )


def test_subjects(sample_store: OxigraphStore) -> None:
    expected = expected_counts()
    for cls, key in (
        ("Major", "majors"),
        ("Course", "courses"),
        ("Teacher", "teachers"),
        ("Student", "students"),
        ("Class", "classes"),
    ):
        assert count(sample_store, f"GRAPH ?g {{ ?x a zg:{cls} }}") == expected[key], cls
    # personal records live in their own graphs only
    assert count(sample_store, "GRAPH <https://w3id.org/zhengai/graph/subjects> { ?x a zg:Student }") == 0
    assert (
        count(sample_store, "GRAPH <https://w3id.org/zhengai/graph/people/students> { ?x a zg:Student }")
        == expected["students"]
    )


def test_observations_per_period(sample_store: OxigraphStore) -> None:
    present = Counter(int(r["学年"]) for r in expected_observations() if r["预期档次"] != "missing")
    assert set(present) == {2024, 2025}
    for year, n in present.items():
        assert count(sample_store, f"GRAPH <{graph(f'observations/{year}')}> {{ ?x a zg:Observation }}") == n


def test_percentages_are_normalised(sample_store: OxigraphStore) -> None:
    """65%, 0.65 and a bare 65 in a percentage indicator are all stored as 0.65."""
    rows = sample_store.select(
        PREFIXES + "SELECT ?raw ?v WHERE { GRAPH ?g { ?o zg:rawValue ?raw ; zg:value ?v ; zg:indicator ?i } "
        "GRAPH ?c { ?i zg:criterionText ?crit FILTER(CONTAINS(?crit, '90%')) } }"
    )
    forms = {str(r["raw"]): float(r["v"]) for r in rows}
    assert forms.get("65%") == forms.get("0.65") == forms.get("65") == 0.65


def test_provenance_recorded_per_graph(sample_store: OxigraphStore) -> None:
    rows = sample_store.select(
        PREFIXES + "SELECT ?g ?name ?sha ?rows WHERE { GRAPH ?g { ?g prov:wasGeneratedBy ?l . "
        "?l prov:used ?f ; zg:rowCount ?rows ; zg:loaderVersion ?v ; prov:endedAtTime ?t . ?f zg:fileName ?name ; zg:sha256 ?sha } }"
    )
    by_graph = {str(r["g"]): r for r in rows}
    assert str(by_graph[str(graph("org"))]["name"]) == "组织.xlsx"
    assert len(str(by_graph[str(graph("org"))]["sha"])) == 64
    assert str(by_graph[str(graph("catalogue/major"))]["rows"]) == "94"
    assert len(by_graph) == len(sample_store.named_graphs()) - 1  # every graph but the ontology


def _data_quads(store: OxigraphStore) -> set[tuple]:
    """Quads that are not provenance (load activity, source file, graph entity)."""
    prov_subjects = {
        s
        for s, p, o, g in store.quads()
        if p in (ZG.loadKind, ZG.fileName) or str(s).startswith(str(g) if g else "~")
    }
    loads = {s for s, p, o, g in store.quads() if str(s).startswith("https://w3id.org/zhengai/id/load/")}
    return {q for q in store.quads() if q[0] not in prov_subjects | loads}


def test_loading_twice_is_idempotent_and_prov_shows_latest(loaded_store: OxigraphStore) -> None:
    before = _data_quads(loaded_store)
    path = SAMPLE / "组织.xlsx"
    first = loaded_store.select(
        PREFIXES
        + f"SELECT ?t WHERE {{ GRAPH <{graph('org')}> {{ ?g prov:wasGeneratedBy ?l . ?l prov:endedAtTime ?t }} }}"
    )
    load_file(loaded_store, path)
    after = _data_quads(loaded_store)
    assert before == after
    latest = loaded_store.select(
        PREFIXES
        + f"SELECT ?t WHERE {{ GRAPH <{graph('org')}> {{ ?g prov:wasGeneratedBy ?l . ?l prov:endedAtTime ?t }} }}"
    )
    assert len(latest) == 1  # the old PROV record was replaced with the graph
    assert latest[0]["t"].toPython() > first[0]["t"].toPython()


def test_derived_codes_match_the_scheme_the_sample_uses(store: OxigraphStore, write_xlsx) -> None:
    """Without the 编码 column the loader derives the same codes the sample writes explicitly."""
    wb = load_workbook(SAMPLE / "监测指标.xlsx")
    sheets = {}
    merges = []
    for ws in wb.worksheets:
        rows = [list(r)[1:] for r in ws.iter_rows(values_only=True)]
        sheets[ws.title] = rows
        for rng in ws.merged_cells.ranges:
            merges.append(
                (ws.title, f"{_col(rng.min_col - 2)}{rng.min_row}:{_col(rng.max_col - 2)}{rng.max_row}")
            )
    explicit = {
        ws.title: [r[0] for r in list(ws.iter_rows(values_only=True))[2:] if r[0]] for ws in wb.worksheets
    }
    path = write_xlsx("no-codes.xlsx", sheets, merges)
    report = load_file(store, path, "catalogue")
    assert any("推导" in f.zh for f in report.findings)
    derived = {
        str(r["code"])
        for r in store.select(
            PREFIXES + "SELECT ?code WHERE { GRAPH ?g { ?i a zg:Indicator ; skos:notation ?code } }"
        )
    }
    assert derived == {c for codes in explicit.values() for c in codes}
    assert store.ask(PREFIXES + "ASK { GRAPH ?g { ?i zg:codeDerived ?t } }", {"t": Literal(True)})


def _col(index: int) -> str:
    return "ABCDEFGHIJ"[index]


def test_replacing_a_graph_filled_by_another_file_is_reported(
    loaded_store: OxigraphStore, write_xlsx
) -> None:
    path = write_xlsx(
        "补充.xlsx", {"状态数据": [["指标", "对象", "学年", "值"], ["ZY-1.2.1-01", "510203", 2025, "88%"]]}
    )
    report = load_file(loaded_store, path)
    assert any("状态数据.xlsx" in f.zh and "replaced as a whole" in f.en for f in report.findings)
    again = load_file(loaded_store, path)  # same file again: nothing to warn about
    assert not any("replaced as a whole" in f.en for f in again.findings)
