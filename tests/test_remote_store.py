"""The store contract on every kind of store: the embedded one, Oxigraph server and Virtuoso.

The same calls give the same answers; a write refused halfway leaves the graphs as they were; a
server that is down or refuses the credentials gives a clear error in both languages.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from sparql_servers import free_port

from zhengai.errors import StoreError
from zhengai.namespaces import graph
from zhengai.store import RemoteStore

A, B = graph("test/a"), graph("test/b")
P = URIRef("https://w3id.org/zhengai/ont#note")


def content(*values: str, blank: bool = False) -> Graph:
    g = Graph()
    for v in values:
        g.add((URIRef(f"https://w3id.org/zhengai/id/x/{v}"), P, Literal(v, lang="zh")))
    if blank:  # a small list of blank nodes, as a shape's sh:or is
        head, tail = BNode(), BNode()
        g.add((URIRef("https://w3id.org/zhengai/id/x/list"), P, head))
        g.add((head, P, Literal(1)))
        g.add((head, URIRef("https://w3id.org/zhengai/ont#next"), tail))
        g.add((tail, P, Literal("尾")))
    return g


def mine(store) -> list[URIRef]:  # type: ignore[no-untyped-def]
    return [g for g in store.named_graphs() if "/graph/test/" in str(g)]


def test_replace_read_and_count_alike(any_store) -> None:  # type: ignore[no-untyped-def]
    before = any_store.quad_count()
    any_store.replace_graphs({A: content("一", "二", blank=True), B: content("三")})
    assert mine(any_store) == [A, B]
    assert isomorphic(any_store.graph(A), content("一", "二", blank=True))
    assert any_store.quad_count() == before + 7
    any_store.replace_graphs({A: content("四"), B: Graph()})  # an empty graph is dropped
    assert mine(any_store) == [A]
    assert {str(o) for o in any_store.graph(A).objects()} == {"四"}


def test_parameters_and_answers_alike(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.replace_graphs({A: content("一", "二", blank=True)})
    rows = any_store.select(
        "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?o",
        {"g": A, "p": P, "o": Literal("二", lang="zh")},
    )
    assert [(str(r["s"]), r["o"]) for r in rows] == [
        ("https://w3id.org/zhengai/id/x/二", Literal("二", lang="zh"))
    ]
    head = any_store.select("SELECT * WHERE { GRAPH ?g { ?x ?p ?h . ?h ?p 1 } }", {"g": A, "p": P})
    assert len(head) == 1 and isinstance(head[0]["h"], BNode)  # (kept a blank node on a server too)
    # a blank node read back names the same node in the next request
    after = any_store.select("SELECT * WHERE { GRAPH ?g { ?h ?p ?v } }", {"g": A, "p": P, "h": head[0]["h"]})
    assert [r["v"] for r in after] == [Literal(1)]
    assert any_store.ask("ASK { GRAPH ?g { ?s ?p ?o } }", {"g": A, "p": P})
    built = any_store.construct("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": A})
    assert isomorphic(built, content("一", "二", blank=True))


def test_add_graphs_refuses_an_existing_graph_and_writes_nothing(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.replace_graphs({A: content("一")})
    with pytest.raises(StoreError):
        any_store.add_graphs({B: content("二"), A: content("三")})
    assert mine(any_store) == [A]
    any_store.add_graphs({B: content("二")})
    assert mine(any_store) == [A, B]


def test_change_insert_and_large_graphs_alike(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.replace_graphs({A: content("一", "二")})
    any_store.change_graphs({A: (content("一"), content("五"))})
    assert {str(o) for o in any_store.graph(A).objects()} == {"二", "五"}
    any_store.insert({A: content("六"), B: content("七")})
    assert len(any_store.graph(A)) == 3 and len(any_store.graph(B)) == 1
    big = graph("test/big")
    any_store.add_large_graph(big, iter(content(*(str(i) for i in range(500)), blank=True)), content("记录"))
    assert len(any_store.graph(big)) == 505
    any_store.drop_graph(big)
    assert big not in any_store.named_graphs()


def test_export_and_import_round_trip(any_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    any_store.replace_graphs({A: content("一", blank=True), B: content("二")})
    mark = str(A).removesuffix("a")
    kept = {q for q in any_store.quads() if str(q[3]).startswith(str(mark))}
    n = any_store.export(tmp_path / "backup.nq")
    assert n == any_store.quad_count()
    any_store.drop_graph(A)
    any_store.drop_graph(B)
    any_store.import_dataset(tmp_path / "backup.nq")
    back = Graph()
    for s, p, o, g in any_store.quads():
        if str(g).startswith(str(mark)):
            back.add((s, p, o))
    assert isomorphic(back, Graph().__iadd__([q[:3] for q in kept]))  # type: ignore[arg-type]


def test_a_write_refused_halfway_leaves_every_graph_as_it_was(any_store) -> None:  # type: ignore[no-untyped-def]
    """The server refuses the last operation of a load's update (a graph that does not exist is
    dropped without SILENT): the graphs keep their old content, and no staging graph remains."""
    if not isinstance(any_store, RemoteStore):
        pytest.skip("the embedded store's transactions are tested in test_store.py")
    any_store.replace_graphs({A: content("旧A"), B: content("旧B")})
    send = any_store._update_text
    calls: list[str] = []

    def refused_at_the_end(text: str) -> None:
        calls.append(text)
        if len(calls) == (1 if any_store.endpoints.atomic else 2):  # mid-way: the second staging write
            text += f" ;\nDROP GRAPH <{graph('test/never-written')}>"
        send(text)

    any_store._update_text = refused_at_the_end  # type: ignore[method-assign]
    with pytest.raises(StoreError) as refused:
        any_store.replace_graphs({A: content("新A"), B: content("新B")})
    any_store._update_text = send  # type: ignore[method-assign]
    assert "原有数据未改动" in refused.value.zh and "untouched" in refused.value.en
    assert {str(o) for o in any_store.graph(A).objects()} == {"旧A"}
    assert {str(o) for o in any_store.graph(B).objects()} == {"旧B"}
    leftovers = any_store.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert not [r for r in leftovers if "/graph/staging/" in str(r["g"])]


def test_a_server_that_is_down_gives_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError) as down:
        RemoteStore(url, env={})
    assert "无法连接" in down.value.zh and "Cannot reach the SPARQL server" in down.value.en
    done = subprocess.run(
        [sys.executable, "-m", "zhengai.cli", "--store", url, "stats"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "ZHENGAI_STORE_SERVER": "oxigraph"},
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert "无法连接" in done.stderr and url in done.stderr


def test_credentials_come_from_the_environment_only(sparql_servers, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StoreError, match="ZHENGAI_STORE_PASSWORD"):
        RemoteStore("http://dba:dba@127.0.0.1:1", env={})
    from conftest import sparql_server

    server = sparql_server("virtuoso", sparql_servers, tmp_path_factory)
    with pytest.raises(StoreError) as refused:
        RemoteStore(server.url, env={**server.env, "ZHENGAI_STORE_PASSWORD": "wrong"})
    assert "ZHENGAI_STORE_PASSWORD" in refused.value.en and "身份验证" in refused.value.zh


def test_a_large_new_graph_is_posted_and_an_interrupted_post_is_dropped(any_store) -> None:  # type: ignore[no-untyped-def]
    """On a server that applies an update as one transaction, a large new graph goes through the
    Graph Store Protocol under a journal; a write that never finished (its journal left, stale)
    is dropped when the store is next opened."""
    if not isinstance(any_store, RemoteStore) or not any_store.endpoints.atomic:
        pytest.skip("the journal of a remote store on a transactional server")
    from zhengai.store.pending import PendingGraph
    from zhengai.store.remote import BULK_WRITING, JOURNALS

    big = PendingGraph()
    for i in range(25_000):
        big.add((URIRef(f"https://w3id.org/zhengai/id/x/{i}"), P, Literal(i)))
    any_store.replace_graphs({graph("test/big"): big, A: content("小")})
    assert len(any_store.graph(graph("test/big"))) == 25_000 and len(any_store.graph(A)) == 1
    assert not [
        g
        for g in any_store.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        if JOURNALS in str(g["g"])
    ]
    # a write that died after its journal and half of its graph
    journal = URIRef(f"{JOURNALS}{int(__import__('time').time()) - 3600}-deadbeef")
    note = Graph()
    note.add((journal, BULK_WRITING, graph("test/half")))
    any_store.insert({journal: note, graph("test/half"): content("一半")})
    reopened = RemoteStore(any_store.base, env={**os.environ, **_env_of(any_store)})
    assert graph("test/half") not in reopened.named_graphs()
    assert graph("test/big") in reopened.named_graphs()
    left = reopened.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert not [g for g in left if JOURNALS in str(g["g"])]


def _env_of(store: RemoteStore) -> dict[str, str]:
    return {"ZHENGAI_STORE_SERVER": "oxigraph"}


def test_a_server_of_another_kind_is_named_in_the_error(sparql_servers, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    from conftest import sparql_server

    server = sparql_server("oxigraph", sparql_servers, tmp_path_factory)
    with pytest.raises(StoreError) as wrong:
        RemoteStore(server.url, env={"ZHENGAI_STORE_SERVER": "virtuoso"})
    assert "ZHENGAI_STORE_SERVER=virtuoso" in wrong.value.en and "404" in wrong.value.zh


def test_basic_and_bearer_credentials_are_sent_from_the_environment() -> None:
    """A tiny SPARQL endpoint on 127.0.0.1 records the Authorization header it receives."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(self.headers.get("Authorization", ""))
            body = json.dumps({"head": {}, "boolean": True}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for env, expected in (
            ({"ZHENGAI_STORE_TOKEN": "s3cret"}, "Bearer s3cret"),
            ({"ZHENGAI_STORE_USER": "zg", "ZHENGAI_STORE_PASSWORD": "pw"}, "Basic emc6cHc="),
        ):
            with RemoteStore(url, env=env, ensure_ontology=False) as store:
                assert store.ask("ASK {}")
            assert seen[-1] == expected
    finally:
        server.shutdown()
