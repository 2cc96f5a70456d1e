"""/sparql: the SPARQL 1.1 Protocol, its refusals, limits, and what each role's dataset holds."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from api_fixtures import STUDENT, auth, build_store, tokens
from fastapi.testclient import TestClient
from rdflib import Graph
from zhengai.api import sparql
from zhengai.api.app import create_app
from zhengai.api.service import Settings

from zhengai.errors import QueryError

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
STUDENTS = "https://w3id.org/zhengai/graph/people/students"
# Two closures over every predicate, joined: far more work than any time limit allows.
PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?s (<urn:p>|!<urn:p>)* ?o . ?a (<urn:p>|!<urn:p>)* ?b }"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("sparql")
    settings = Settings(
        tokens=tokens(folder), query_timeout=2.0, row_limit=10000, cors_origins=("https://yasgui.example",)
    )
    with TestClient(create_app(build_store(folder), settings)) as c:
        yield c


def ask(
    client: TestClient, query: str, who: str = "quality_office", accept: str | None = None, **params: str
):  # type: ignore[no-untyped-def]
    headers = auth(who) | ({"Accept": accept} if accept else {})
    return client.get("/sparql", params={"query": query, **params}, headers=headers)


def count(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# -- the protocol ------------------------------------------------------------------------------------------


def test_get_post_form_and_post_query_agree(client: TestClient) -> None:
    by_get = count(ask(client, COUNT))
    form = client.post("/sparql", data={"query": COUNT}, headers=auth("quality_office"))
    direct = client.post(
        "/sparql",
        content=COUNT.encode("utf-8"),
        headers=auth("quality_office") | {"Content-Type": "application/sparql-query; charset=UTF-8"},
    )
    assert by_get > 10_000 and count(form) == by_get and count(direct) == by_get
    latin = client.post(
        "/sparql",
        content='ASK { FILTER("é" = "é") }'.encode("latin-1"),
        headers=auth("quality_office") | {"Content-Type": "application/sparql-query; charset=ISO-8859-1"},
    )
    # the protocol takes a query body in UTF-8 only (W3C bad_query_non_utf8)
    assert latin.status_code == 415 and "UTF-8" in latin.json()["en"]
    broken = client.post(
        "/sparql",
        content='ASK { FILTER("é" = "é") }'.encode("latin-1"),
        headers=auth("quality_office") | {"Content-Type": "application/sparql-query"},
    )
    assert broken.status_code == 400 and "UTF-8" in broken.json()["en"]


def test_extra_parameters_are_ignored(client: TestClient) -> None:
    assert count(ask(client, COUNT, format="xml", output="json", foo="bar")) > 0


def test_content_negotiation(client: TestClient) -> None:
    q = "SELECT ?code WHERE { ?i <http://www.w3.org/2004/02/skos/core#notation> ?code } ORDER BY ?code LIMIT 3"
    assert ask(client, q).headers["content-type"].startswith("application/sparql-results+json")
    xml = ask(client, q, accept="application/sparql-results+xml")
    assert xml.headers["content-type"] == "application/sparql-results+xml" and "<sparql" in xml.text
    weighted = ask(client, q, accept="text/csv;q=0.5, text/tab-separated-values;q=0.9")
    assert weighted.headers["content-type"].startswith("text/tab-separated-values")
    rows = list(csv.reader(io.StringIO(ask(client, q, accept="text/csv").text)))
    assert rows[0] == ["code"] and len(rows) == 4
    assert ask(client, q, accept="*/*").headers["content-type"].startswith("application/sparql-results+json")
    assert ask(client, q, accept="text/*").headers["content-type"].startswith("text/csv")
    refused = ask(client, q, accept="image/png")
    assert refused.status_code == 406 and refused.json()["code"] == "not_acceptable"
    construct = "CONSTRUCT { ?i ?p ?o } WHERE { GRAPH <https://w3id.org/zhengai/graph/catalogue/major> { ?i ?p ?o } } LIMIT 20"
    for media, fmt in (("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
                       ("application/rdf+xml", "xml")):  # fmt: skip
        r = ask(client, construct, accept=media)
        assert r.headers["content-type"].startswith(media)
        assert len(Graph().parse(data=r.text, format=fmt)) == 20
    assert ask(client, construct).headers["content-type"].startswith("text/turtle")
    assert ask(client, construct, accept="application/sparql-results+json").status_code == 406


def test_service_description(client: TestClient) -> None:
    r = client.get("/sparql", headers=auth("auditor"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert any(str(o) == sd + "SPARQL11Query" for o in g.objects())
    assert any(str(p) == sd + "endpoint" for p in g.predicates())


def test_malformed_and_doubled_queries(client: TestClient) -> None:
    bad = ask(client, "SELECT ?x WHERE { ?x ")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_query" and "syntax" in bad.json()["en"]
    two = client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D", headers=auth("quality_office"))
    assert two.status_code == 400
    odd = client.post(
        "/sparql", content=b"ASK {}", headers=auth("quality_office") | {"Content-Type": "text/plain"}
    )
    assert odd.status_code == 415 and odd.json()["code"] == "unsupported_media_type"


# -- refusals ----------------------------------------------------------------------------------------------


class _Counter(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(500)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def trap() -> Iterator[str]:
    """A local HTTP server that counts requests: SERVICE and LOAD must never reach it."""
    _Counter.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_updates_load_and_service_are_refused_before_the_store(client: TestClient, trap: str) -> None:
    before = count(ask(client, COUNT))
    cases = [
        client.get("/sparql", params={"update": "DROP ALL"}, headers=auth("quality_office")),
        client.post("/sparql", data={"update": "CLEAR ALL"}, headers=auth("quality_office")),
        client.post(
            "/sparql",
            content=b"DROP ALL",
            headers=auth("quality_office") | {"Content-Type": "application/sparql-update"},
        ),
        ask(client, "INSERT DATA { <urn:a> <urn:b> <urn:c> }"),
        ask(client, "PREFIX x: <urn:x> DELETE WHERE { ?s ?p ?o }"),
        ask(client, f"LOAD <{trap}data.ttl>"),
        ask(client, f"SELECT * WHERE {{ SERVICE <{trap}sparql> {{ ?s ?p ?o }} }}"),
        ask(client, f"select * where {{ service silent <{trap}sparql> {{ ?s ?p ?o }} }}"),
        ask(client, f"SELECT * WHERE {{ ?s ?p <urn:a\\#b> . SeRvIcE <{trap}> {{ ?s ?p ?o }} }}"),
    ]
    for r in cases:
        assert r.status_code == 403 and r.json()["code"] == "refused", r.text
        assert r.json()["zh"] and r.json()["en"]
    assert _Counter.hits == 0
    assert count(ask(client, COUNT)) == before
    # the words themselves are fine inside strings, IRIs, names and comments
    harmless = 'SELECT ?service WHERE { BIND("SERVICE LOAD" AS ?service) } # SERVICE <http://x/>'
    assert ask(client, harmless).status_code == 200


def test_the_keyword_check() -> None:
    assert sparql.query_form("PREFIX s: <urn:s#> select * { ?s s:service ?o }") == "SELECT"
    assert sparql.query_form("BASE <urn:x> DESCRIBE <a>") == "DESCRIBE"
    with pytest.raises(sparql.Refused):
        sparql.query_form("SELECT * { \\u0053ERVICE <urn:x> {} }")  # escapes are undone before the check
    with pytest.raises(QueryError):
        sparql.query_form("HELLO")
    dataset = sparql.query_dataset("PREFIX g: <urn:g/> SELECT * FROM g:a FROM NAMED <urn:b> { ?s ?p ?o }")
    assert dataset == sparql.Dataset(("urn:g/a",), ("urn:b",))


# -- limits ------------------------------------------------------------------------------------------------


def test_a_runaway_query_is_stopped_while_others_are_served(client: TestClient) -> None:
    answers: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        answers["runaway"] = ask(client, PATHOLOGICAL)
        answers["runaway_seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    served = []
    while thread.is_alive():
        started = time.monotonic()
        assert client.get("/healthz").status_code == 200
        assert count(ask(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }")) > 0  # the other worker
        served.append(time.monotonic() - started)
        time.sleep(0.1)
    thread.join()
    r = answers["runaway"]
    assert r.status_code == 503 and r.json()["code"] == "query_timeout" and "time limit" in r.json()["en"]  # type: ignore[attr-defined]
    assert 1.9 < answers["runaway_seconds"] < 15  # type: ignore[operator]
    assert served and max(served) < 1.5
    assert count(ask(client, COUNT)) > 0  # the killed worker was replaced


def test_too_many_rows(client: TestClient) -> None:
    r = ask(client, "SELECT * WHERE { ?s ?p ?o }")
    assert r.status_code == 422 and r.json()["code"] == "query_too_large" and "LIMIT" in r.json()["en"]
    assert ask(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 10000").status_code == 200


def test_cors_for_a_browser_client(client: TestClient) -> None:
    pre = client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "https://yasgui.example"
    r = client.get(
        "/sparql", params={"query": "ASK {}"}, headers=auth("auditor") | {"Origin": "https://yasgui.example"}
    )
    assert r.headers["access-control-allow-origin"] == "https://yasgui.example"
    other = client.get("/healthz", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers


# -- datasets per role -------------------------------------------------------------------------------------


def test_roles_without_sparql(client: TestClient) -> None:
    for who in ("reader", "teacher", "unit_head"):
        assert ask(client, "ASK {}", who=who).status_code == 403
    assert ask(client, "ASK {}", who="public").status_code == 401


def test_the_auditor_never_reads_personal_data(client: TestClient) -> None:
    student_type = (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s a <https://w3id.org/zhengai/ont#Student> } }"
    )
    assert count(ask(client, student_type)) == 24
    assert count(ask(client, student_type, who="auditor")) == 0
    default = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/zhengai/ont#Student> }"
    assert count(ask(client, default, who="auditor")) == 0
    named = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{STUDENTS}> {{ ?s ?p ?o }} }}"
    assert count(ask(client, named)) > 0 and count(ask(client, named, who="auditor")) == 0
    for refused in (
        ask(client, f"SELECT * FROM <{STUDENTS}> WHERE {{ ?s ?p ?o }}", who="auditor"),
        ask(
            client,
            "PREFIX p: <https://w3id.org/zhengai/graph/people/> SELECT * FROM NAMED p:students WHERE { GRAPH ?g { ?s ?p ?o } }",
            who="auditor",
        ),
        ask(client, "SELECT * WHERE { ?s ?p ?o }", who="auditor", **{"default-graph-uri": STUDENTS}),
        ask(
            client, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", who="auditor", **{"named-graph-uri": STUDENTS}
        ),
    ):
        assert refused.status_code == 403 and "people/students" in refused.json()["en"]
    everything = ask(
        client, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", who="auditor", accept="application/n-triples"
    )
    assert everything.status_code == 200 and len(everything.text) > 100_000
    assert STUDENT not in everything.text and "Student>" not in everything.text.replace("ont#Student>", "")
    every_graph = ask(client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", who="auditor").json()
    names = {b["g"]["value"] for b in every_graph["results"]["bindings"]}
    assert names and not any("/people/" in n or "/observations/" in n or "/diagnosis/" in n for n in names)


def test_the_quality_office_reads_every_graph(client: TestClient) -> None:
    r = ask(
        client,
        f"SELECT ?code FROM <{STUDENTS}> WHERE {{ ?s <https://w3id.org/zhengai/ont#subjectCode> ?code }}",
    )
    codes = {b["code"]["value"] for b in r.json()["results"]["bindings"]}
    assert STUDENT in codes and len(codes) == 24
    graph_only = ask(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": STUDENTS})
    assert 0 < count(graph_only) < count(ask(client, COUNT))
    assert json.loads(ask(client, "ASK { ?s ?p ?o }").text)["boolean"] is True


# -- readers beside the writer ----------------------------------------------------------------------


def test_queries_read_a_snapshot_that_follows_every_write(client: TestClient) -> None:
    """The workers never open the store the server writes: each write is followed by one new
    snapshot (a checkpoint beside the store) at the next query, and old ones are deleted."""
    runs = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a <https://w3id.org/zhengai/ont#DiagnosisRun> }"
    before = count(ask(client, runs))
    svc = client.app.state.service  # type: ignore[attr-defined]
    root = svc.pool.snapshots.root
    taken = len(svc.pool.snapshots.seconds)
    for _ in range(2):
        r = client.post("/diagnoses", json={"period": 2025}, headers=auth("quality_office"))
        assert r.status_code == 201, r.text
    assert count(ask(client, runs)) == before + 2  # both writes seen, from one new snapshot
    assert len(svc.pool.snapshots.seconds) == taken + 1
    for _ in range(3):
        count(ask(client, runs))  # no write since: no new snapshot
    assert len(svc.pool.snapshots.seconds) == taken + 1
    assert svc.pool.snapshots.current.parent == root and root.name == ".store.snapshots"
    assert 1 <= len(list(root.iterdir())) <= 1 + svc.settings.query_workers
    assert not any(p.name == "zhengai.lock" for p in svc.pool.snapshots.current.iterdir())
