"""The W3C SPARQL 1.1 Protocol tests (rdf-tests, ``sparql/sparql11/protocol/manifest.ttl``), restated.

Every query test of the manifest is here as the project's own case, with its request (method, path,
body, content type) and expected answer (status class, result format, boolean) as the manifest
states them. The endpoint is read-only, so the manifest's update tests apply as refusals: each must
answer 4xx and change nothing. The data are the manifest's three one-triple graphs, stored under
their own names (``http://kasei.us/…/dataN.rdf``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from api_fixtures import auth, tokens
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from zhengai.api.app import create_app
from zhengai.api.service import Settings

from zhengai.store import OxigraphStore

DATA = "http://kasei.us/2009/09/sparql/data/"
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"


def q(text: str) -> str:
    return quote(text, safe="")


D0, D1, D2, D3 = (q(f"{DATA}data{n}.rdf") for n in range(4))
ASK_D1_D2 = f"ASK {{ <{DATA}data1.rdf> a ?type . <{DATA}data2.rdf> a ?type . }}"
ASK_NAMED = f"ASK {{ GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }} GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }} }}"


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # after /sparql
    status: int  # the class: 2 (2xx or 3xx accepted) or 4
    body: str | bytes | None = None
    content_type: str | None = None
    format: str | None = None  # boolean, tabular or RDF
    boolean: bool | None = None


CASES = [
    Case("query_post_form", "POST", f"?default-graph-uri={D0}", 2, "query=ASK%20%7B%7D", FORM, "boolean", True),
    Case("query_dataset_default_graphs_get", "GET",
         f"?query={q(ASK_D1_D2)}&default-graph-uri={D1}&default-graph-uri={D2}", 2, format="boolean", boolean=True),
    Case("query_dataset_default_graphs_post", "POST", f"?default-graph-uri={D1}&default-graph-uri={D2}", 2,
         ASK_D1_D2, DIRECT, "boolean", True),
    Case("query_dataset_named_graphs_post", "POST", f"?named-graph-uri={D1}&named-graph-uri={D2}", 2,
         ASK_NAMED, DIRECT, "boolean", True),
    Case("query_dataset_named_graphs_get", "GET",
         f"?query={q(ASK_NAMED)}&named-graph-uri={D1}&named-graph-uri={D2}", 2, format="boolean", boolean=True),
    Case("query_dataset_full", "POST", f"?default-graph-uri={D3}&named-graph-uri={D1}&named-graph-uri={D2}", 2,
         f"ASK {{\n  <{DATA}data3.rdf> a ?type\n  GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }}\n"
         f"  GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }}\n}}", DIRECT, "boolean", True),
    Case("query_multiple_dataset", "POST", f"?named-graph-uri={D1}&named-graph-uri={D2}", 2,
         f"ASK FROM <{DATA}data3.rdf> {{ GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }} "
         f"GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }} }}", DIRECT, "boolean", True),
    Case("query_get", "GET", f"?query=ASK%20%7B%7D&default-graph-uri={D0}", 2, format="boolean", boolean=True),
    Case("query_content_type_select", "POST", f"?default-graph-uri={D0}", 2, "SELECT (1 AS ?value) {}", DIRECT,
         "tabular"),
    Case("query_content_type_ask", "POST", f"?default-graph-uri={D0}", 2, "ASK {}", DIRECT, "boolean"),
    Case("query_content_type_describe", "POST", f"?default-graph-uri={D0}", 2, "DESCRIBE <http://example.org/>",
         DIRECT, "RDF"),
    Case("query_content_type_construct", "POST", f"?default-graph-uri={D0}", 2,
         "CONSTRUCT { <s> <p> 1 } WHERE {}", DIRECT, "RDF"),
    Case("query_post_direct", "POST", "", 2, "ASK {}", DIRECT, "boolean", True),
    Case("bad_query_method", "PUT", f"?query=ASK%20%7B%7D&default-graph-uri={D0}", 4, content_type=FORM),
    Case("bad_multiple_queries", "GET", "?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D", 4),
    Case("bad_query_wrong_media_type", "POST", "", 4, "ASK {}", "text/plain"),
    Case("bad_query_missing_form_type", "POST", "", 4, "query=ASK%20%7B%7D"),
    Case("bad_query_missing_direct_type", "POST", "", 4, "ASK {}"),
    Case("bad_query_non_utf8", "POST", "", 4, "ASK {}".encode("utf-16"), f"{DIRECT}; charset=UTF-16"),
    Case("bad_query_syntax", "GET", "?query=ASK%20%7B", 4),
    # the update tests: a read-only endpoint refuses each one
    Case("update_dataset_default_graph", "POST", f"?using-graph-uri={D1}", 4,
         f"PREFIX dc: <http://purl.org/dc/terms/> CLEAR ALL ; INSERT DATA {{ GRAPH <{DATA}data1.rdf> "
         f"{{ <{DATA}data1.rdf> a dc:BibliographicResource }} }}", UPDATE),
    Case("update_post_form", "POST", "", 4, "update=CLEAR%20ALL", FORM),
    Case("update_post_direct", "POST", "", 4, "CLEAR ALL", UPDATE),
    Case("update_base_uri", "POST", "", 4, "CLEAR ALL; INSERT DATA { GRAPH <http://example.org/protocol-base-test/> "
         "{ <http://example.org/s> <http://example.org/p> <test> } }", UPDATE),
    Case("bad_update_get", "GET", "?update=CLEAR%20ALL", 4),
    Case("bad_multiple_updates", "POST", "", 4, "update=CLEAR%20NAMED&update=CLEAR%20DEFAULT", FORM),
    Case("bad_update_wrong_media_type", "POST", "", 4, "CLEAR NAMED", "text/plain"),
    Case("bad_update_missing_form_type", "POST", "", 4, "update=CLEAR%20NAMED"),
    Case("bad_update_non_utf8", "POST", "", 4, "CLEAR NAMED".encode("utf-16"), f"{UPDATE}; charset=UTF-16"),
    Case("bad_update_syntax", "POST", "", 4, "update=CLEAR%20XYZ", FORM),
    Case("bad_update_dataset_conflict", "POST", f"?using-named-graph-uri={D1}", 4,
         f"USING NAMED <{DATA}data1.rdf> CLEAR ALL", UPDATE),
]  # fmt: skip


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("w3c")
    with OxigraphStore(folder / "store") as store:
        store.add_graphs(
            {
                URIRef(f"{DATA}data{n}.rdf"): Graph().parse(
                    data=f"<{DATA}data{n}.rdf> a <http://xmlns.com/foaf/0.1/Document> .", format="turtle"
                )
                for n in (1, 2, 3)
            }
        )
    with TestClient(create_app(folder / "store", Settings(tokens=tokens(folder)))) as c:
        yield c


def _triples(client: TestClient) -> int:
    r = client.get("/sparql", params={"query": f'SELECT (COUNT(*) AS ?n) {{ GRAPH ?g {{ ?s ?p ?o }} FILTER STRSTARTS(STR(?g), "{DATA}") }}'},
                   headers=auth("quality_office"))  # fmt: skip
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_the_manifest_holds_every_case_restated() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)) == 31


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_protocol(client: TestClient, case: Case) -> None:
    before = _triples(client)
    headers = auth("quality_office") | ({"Content-Type": case.content_type} if case.content_type else {})
    body = case.body.encode() if isinstance(case.body, str) else case.body
    r = client.request(case.method, "/sparql" + case.path, content=body, headers=headers)
    if case.status == 4:
        assert 400 <= r.status_code < 500, (r.status_code, r.text)
        if r.headers.get("content-type", "").startswith("application/json"):
            error = r.json()
            assert error.get("zh") and error.get("en"), error  # a clear answer in both languages
    else:
        assert 200 <= r.status_code < 400, (r.status_code, r.text)
        media = r.headers["content-type"].split(";")[0]
        if case.format == "boolean":
            assert media in ("application/sparql-results+json", "application/sparql-results+xml")
        elif case.format == "tabular":
            assert media in (
                "application/sparql-results+json", "application/sparql-results+xml",
                "text/csv", "text/tab-separated-values",
            )  # fmt: skip
        elif case.format == "RDF":
            assert media in (
                "application/rdf+xml",
                "text/turtle",
                "application/n-triples",
                "application/ld+json",
            )
            Graph().parse(data=r.text, format={"text/turtle": "turtle", "application/n-triples": "nt",
                                               "application/ld+json": "json-ld"}.get(media, "xml"))  # fmt: skip
        if case.boolean is not None:
            assert json.loads(r.text)["boolean"] is case.boolean
    assert _triples(client) == before == 3
