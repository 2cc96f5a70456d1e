"""The real server: ``zhengai serve`` on a free 127.0.0.1 port, driven by real clients.

SPARQLWrapper and rdflib's SPARQLStore must get the same answers as the store in-process; httpx
uploads a workbook, diagnoses, and reads back the gaps and an owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_fixtures import TOKENS, build_store, serving
from conftest import SAMPLE
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, XML, SPARQLWrapper

from zhengai.store import OxigraphStore

pytestmark = pytest.mark.slow

ORG = "https://w3id.org/zhengai/graph/org"
SELECT = f"""PREFIX org: <http://www.w3.org/ns/org#>
SELECT ?name ?type WHERE {{ GRAPH <{ORG}> {{ ?u org:identifier ?name .
  OPTIONAL {{ ?u <https://w3id.org/zhengai/ont#unitTypeText> ?type }} }} }} ORDER BY ?name"""
ASK_TRUE = f'ASK {{ GRAPH <{ORG}> {{ ?u <http://www.w3.org/ns/org#identifier> "信息工程学院" }} }}'
ASK_FALSE = f'ASK {{ GRAPH <{ORG}> {{ ?u <http://www.w3.org/ns/org#identifier> "不存在的部门" }} }}'
CONSTRUCT = (
    f"CONSTRUCT {{ ?p ?q ?o }} WHERE {{ GRAPH <{ORG}> {{ ?p a <http://www.w3.org/ns/org#Post> ; ?q ?o }} }}"
)


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The store, and the answers it gives in-process (read before the server holds the store)."""
    path = build_store(tmp_path_factory.mktemp("server"))
    with OxigraphStore(path) as store:
        rows = store.select(SELECT)
        answers = {
            "select": [(str(r["name"]), str(r["type"]) if "type" in r else None) for r in rows],
            "ask_true": store.ask(ASK_TRUE),
            "ask_false": store.ask(ASK_FALSE),
            "construct": store.construct(CONSTRUCT),
        }
    return path, answers


@pytest.fixture(scope="module")
def server(expected: tuple[Path, dict[str, object]]) -> Iterator[str]:
    path, _ = expected
    tokens = f"quality_office:{TOKENS['quality_office']};auditor:{TOKENS['auditor']}"
    with serving(path, {"ZHENGAI_TOKENS": tokens}, "--query-timeout", "20") as base:
        yield base


def wrapper(base: str, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(base + "/sparql")
    client.addCustomHttpHeader("Authorization", f"Bearer {TOKENS['auditor']}")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


def test_sparqlwrapper_gets_the_in_process_answers(
    server: str, expected: tuple[Path, dict[str, object]]
) -> None:
    _, answers = expected
    for method in ("GET", "POST"):
        result = wrapper(server, SELECT, JSON, method).queryAndConvert()
        rows = [(b["name"]["value"], b.get("type", {}).get("value")) for b in result["results"]["bindings"]]  # type: ignore[index]
        assert rows == answers["select"]
        xml = wrapper(server, SELECT, XML, method).query().convert()  # the default XML results
        assert len(xml.getElementsByTagName("result")) == len(answers["select"])  # type: ignore[union-attr]
    assert wrapper(server, ASK_TRUE, JSON).queryAndConvert()["boolean"] is answers["ask_true"]  # type: ignore[index]
    assert wrapper(server, ASK_FALSE, JSON, "POST").queryAndConvert()["boolean"] is answers["ask_false"]  # type: ignore[index]
    graph = wrapper(server, CONSTRUCT, XML).queryAndConvert()  # RDF/XML, SPARQLWrapper's default for graphs
    assert isinstance(graph, Graph) and isomorphic(graph, answers["construct"])  # type: ignore[arg-type]


def test_rdflib_sparqlstore_gets_the_in_process_answers(
    server: str, expected: tuple[Path, dict[str, object]]
) -> None:
    _, answers = expected
    store = SPARQLStore(server + "/sparql", headers={"Authorization": f"Bearer {TOKENS['auditor']}"})
    graph = Graph(store=store)
    rows = [(str(r.name), str(r.type) if r.type is not None else None) for r in graph.query(SELECT)]  # type: ignore[union-attr]
    assert rows == answers["select"]
    assert graph.query(ASK_TRUE).askAnswer is answers["ask_true"]
    assert graph.query(ASK_FALSE).askAnswer is answers["ask_false"]
    built = Graph()
    for triple in graph.query(CONSTRUCT):
        built.add(triple)  # type: ignore[arg-type]
    assert isomorphic(built, answers["construct"])  # type: ignore[arg-type]
    assert (URIRef("urn:nothing"), None, None) not in graph


def test_httpx_uploads_diagnoses_and_reads_back_gaps_and_an_owner(server: str) -> None:
    headers = {"Authorization": f"Bearer {TOKENS['quality_office']}"}
    with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
        with (SAMPLE / "年度目标.xlsx").open("rb") as fh:
            loaded = client.post("/loads", files={"file": ("年度目标.xlsx", fh)}, data={"kind": "targets"})
        assert loaded.status_code == 201, loaded.text
        assert loaded.json()["graphs"][0]["provenance"]["fileName"] == "年度目标.xlsx"
        run = client.post("/diagnoses", json={"period": 2025})
        assert run.status_code == 201 and run.json()["totals"]["red"] == 29
        gaps = client.get("/gaps", params={"severity": "red", "level": "专业", "limit": 1000}).json()
        assert gaps["run"] == run.json()["id"] and gaps["total"] > 0
        gap = client.get(gaps["items"][0]["href"]).json()
        assert gap["owner"]["posts"] and gap["owner"]["escalation"]
        # the query workers see the new run too
        answer = client.get(
            "/sparql",
            params={
                "query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?r a <http://www.w3.org/ns/prov#Activity> ; <https://w3id.org/zhengai/ont#engine> ?e } }"
            },
        )
        assert answer.status_code == 200, answer.text
        runs = answer.json()
        assert int(runs["results"]["bindings"][0]["n"]["value"]) == 3


def test_a_pushed_red_value_arrives_on_the_event_stream(server: str) -> None:
    """Over real HTTP: a reader holds GET /events open; a push turns a passing value red; the event
    arrives on the stream, with its id, within seconds."""
    import json
    import threading

    headers = {"Authorization": f"Bearer {TOKENS['quality_office']}"}
    last = max([0, *(int(line[4:]) for line in httpx.get(server + "/events", params={"follow": "false"},
               headers=headers, timeout=30).text.splitlines() if line.startswith("id: "))])  # fmt: skip
    received: list[dict] = []
    opened = threading.Event()

    def listen() -> None:
        with httpx.stream(
            "GET", server + "/events", params={"after": last}, headers=headers, timeout=30
        ) as stream:
            opened.set()
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
                    return

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    assert opened.wait(10)
    item = {"indicator": "ZY-1.4.1-03", "subject": "460301", "period": 2025, "value": "5%",
            "source": "教务系统", "observed_at": "2026-03-05"}  # fmt: skip
    pushed = httpx.post(server + "/observations", json=item, headers=headers, timeout=30)
    assert pushed.status_code == 201, pushed.text
    reader.join(15)
    assert [(e["gap"], e["after"]) for e in received] == [("2025/ZY-1.4.1-03/460301", "red")]
    assert received[0]["seq"] > last and received[0]["owner"]["escalation"]
