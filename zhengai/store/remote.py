"""A remote store: a SPARQL 1.1 server (Oxigraph server, Virtuoso, Fuseki) holding the dataset.

Queries go to its SPARQL 1.1 Query endpoint, writes to its Update endpoint (one write is one
update request, which the server applies as one transaction), and large graphs and whole-graph
reads through its Graph Store HTTP Protocol endpoint. Connections are pooled, every request has a
timeout, and only reads are retried. Credentials come from the environment, never the command line:

- ``ZHENGAI_STORE_USER`` and ``ZHENGAI_STORE_PASSWORD`` (HTTP basic; ``ZHENGAI_STORE_AUTH=digest``
  for digest, as Virtuoso's ``/sparql-auth`` asks), or ``ZHENGAI_STORE_TOKEN`` (a bearer token);
- ``ZHENGAI_STORE_SERVER``: ``oxigraph`` (the default endpoint layout), ``virtuoso`` or ``fuseki``;
- ``ZHENGAI_STORE_QUERY``, ``ZHENGAI_STORE_UPDATE``, ``ZHENGAI_STORE_GSP``: an endpoint's URL or
  path, when a server names them differently;
- ``ZHENGAI_STORE_TIMEOUT``: seconds a request may take (default 300).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from zhengai.errors import QueryError, StoreError, StoreTimeout
from zhengai.namespaces import GRAPH_BASE
from zhengai.sparql_text import tokens

from .base import (
    SparqlStore,
    Triple,
    backup_format,
    check_graph_iri,
    check_graph_names,
    data_block,
    large_new_graphs,
    undo_parts,
    write_failed,
)
from .copy import working_copy
from .pending import text_of
from .terms import OxTerm, cached_to_ox, from_ox, from_ox_skolem, ntriples, to_ox_skolem

# Where each kind of server answers, relative to the --store URL. ``union``: how a query gets the
# union of the named graphs as its default graph: a parameter of the server's own (Oxigraph), its
# default graph already (Virtuoso), or every graph listed in the protocol's default-graph-uri.
# ``atomic``: the server applies an update request of several operations as one transaction
# (Oxigraph and Fuseki do; Virtuoso's endpoint commits each operation, so a refused request can
# leave its first operations done: there a load is written to staging graphs first).
# ``datasets``: the server keeps a query to the dataset it is given (FROM NAMED, named-graph-uri),
# as SPARQL 1.1 says. Virtuoso 7.2 does not for GRAPH <iri> (a graph outside the dataset matches
# as if the pattern were not there), so one college's view cannot be kept to its graphs there.
LAYOUTS = {
    "oxigraph": {
        "query": "query",
        "update": "update",
        "gsp": "store",
        "graph_param": "graph",
        "union": "param",
        "atomic": True,
        "datasets": True,
    },
    "virtuoso": {
        "query": "sparql",
        "update": "sparql-auth",
        "gsp": "sparql-graph-crud-auth",
        "graph_param": "graph-uri",
        "union": "native",
        "atomic": False,
        "datasets": False,
    },
    "fuseki": {
        "query": "query",
        "update": "update",
        "gsp": "data",
        "graph_param": "graph",
        "union": "list",
        "atomic": True,
        "datasets": True,
    },
}
STAGING = GRAPH_BASE + "staging/"  # where a load is written before it replaces its graphs
JOURNALS = GRAPH_BASE + "journal/"  # which large new graphs a write is posting (see _replace_atomic)
BULK_WRITING = URIRef("https://w3id.org/zhengai/ont#bulkWriting")
# How to list the named graphs: GRAPH ?g {} reads Oxigraph's (and Fuseki's) index of graphs, where
# a scan of every quad grows with the whole region; Virtuoso answers an empty pattern with nothing,
# and its GROUP BY over quads is fast where DISTINCT took 9 s. (Keyed by the layout's union mode,
# which tells the three apart.)
LIST_GRAPHS = {
    "param": "SELECT ?g WHERE { GRAPH ?g { } }",
    "list": "SELECT ?g WHERE { GRAPH ?g { } }",
    "native": "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
}
RETRIES = (0.2, 0.6)  # waits before each retry of a read
RESULTS_JSON = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.8"


def _stamp() -> str:
    """A write's token: its start (seconds since the epoch), then random hex."""
    return f"{int(time.time())}-{uuid.uuid4().hex[:8]}"


def is_remote(location: str) -> bool:
    return location.startswith(("http://", "https://"))


@dataclass(frozen=True)
class Endpoints:
    query: str
    update: str
    gsp: str
    graph_param: str
    union: str
    atomic: bool
    datasets: bool

    @classmethod
    def at(cls, base: str, env: Mapping[str, str] = os.environ) -> Endpoints:
        kind = env.get("ZHENGAI_STORE_SERVER", "oxigraph").lower()
        if kind not in LAYOUTS:
            raise StoreError(
                f"ZHENGAI_STORE_SERVER 须为 {'、'.join(LAYOUTS)} 之一，而不是「{kind}」",
                f"ZHENGAI_STORE_SERVER must be one of {', '.join(LAYOUTS)}, not '{kind}'",
            )
        layout = LAYOUTS[kind]
        root = base.rstrip("/") + "/"

        def where(name: str, variable: str) -> str:
            return urljoin(root, env.get(variable) or layout[name])

        return cls(
            where("query", "ZHENGAI_STORE_QUERY"),
            where("update", "ZHENGAI_STORE_UPDATE"),
            where("gsp", "ZHENGAI_STORE_GSP"),
            layout["graph_param"],
            layout["union"],
            layout["atomic"],
            layout["datasets"],
        )


def _auth(env: Mapping[str, str]) -> httpx.Auth | None:
    token, user = env.get("ZHENGAI_STORE_TOKEN"), env.get("ZHENGAI_STORE_USER")
    if token:
        return _Bearer(token)
    if user:
        password = env.get("ZHENGAI_STORE_PASSWORD", "")
        if env.get("ZHENGAI_STORE_AUTH", "basic").lower() == "digest":
            return httpx.DigestAuth(user, password)
        return httpx.BasicAuth(user, password)
    return None


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = self._header
        yield request


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first of these keywords outside comments and strings."""
    for kind, text in tokens(sparql):
        if kind == "word" and text.upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return text.upper()
    return "SELECT"


class RemoteStore(SparqlStore):
    """The dataset on a SPARQL 1.1 server at ``base`` (e.g. ``http://127.0.0.1:7878``)."""

    substitutions = False  # parameters travel as VALUES blocks or inline constants
    term_in = staticmethod(to_ox_skolem)  # blank nodes as skolem IRIs (terms.GENID)
    term_out = staticmethod(from_ox_skolem)

    def __init__(
        self, base: str, *, env: Mapping[str, str] | None = None, ensure_ontology: bool = True
    ) -> None:
        env = os.environ if env is None else env
        parts = urlsplit(base)
        if parts.username or parts.password:
            raise StoreError(
                "存储地址里不能写用户名或密码：请用环境变量 ZHENGAI_STORE_USER 和 ZHENGAI_STORE_PASSWORD",
                "Do not put a user or password in the store URL: set ZHENGAI_STORE_USER and ZHENGAI_STORE_PASSWORD",
            )
        self.base = base.rstrip("/")
        self.path = None
        self.endpoints = Endpoints.at(self.base, env)
        self.kind = env.get("ZHENGAI_STORE_SERVER", "oxigraph").lower()
        seconds = float(env.get("ZHENGAI_STORE_TIMEOUT", "300"))
        self.timeout = seconds
        self._trace = bool(env.get("ZHENGAI_STORE_TRACE"))  # each query's time, on stderr
        self._client = httpx.Client(
            auth=_auth(env),
            timeout=httpx.Timeout(seconds, connect=5.0, pool=seconds),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
            headers={"User-Agent": "zhengai"},
        )
        if ensure_ontology:
            self.recover()
            self.ensure_ontology()

    def __repr__(self) -> str:
        return f"RemoteStore({self.base!r})"

    # -- HTTP ------------------------------------------------------------------------------------

    def _unreachable(self, exc: Exception) -> StoreError:
        return StoreError(
            f"无法连接 SPARQL 服务器 {self.base}：{exc or type(exc).__name__}。请确认服务器已启动、地址正确",
            f"Cannot reach the SPARQL server at {self.base}: {exc or type(exc).__name__}. Is it running at that address?",
        )

    def _refused(self, response: httpx.Response) -> str:
        text = response.text.split("SPARQL query:")[0]  # Virtuoso echoes the whole query after this
        text = " ".join(text.split())[:600]
        return f"HTTP {response.status_code} {response.reason_phrase}: {text}"

    def _check_auth(self, response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            raise StoreError(
                f"SPARQL 服务器 {self.base} 拒绝了身份验证（HTTP {response.status_code}）：请检查 ZHENGAI_STORE_USER、ZHENGAI_STORE_PASSWORD 或 ZHENGAI_STORE_TOKEN",
                f"The SPARQL server at {self.base} refused the credentials (HTTP {response.status_code}): check ZHENGAI_STORE_USER, ZHENGAI_STORE_PASSWORD or ZHENGAI_STORE_TOKEN",
            )

    def _check_endpoint(self, response: httpx.Response) -> None:
        """A query or update endpoint that is not there: most likely another kind of server."""
        if response.status_code in (404, 405):
            path = response.request.url.path
            raise StoreError(
                f"SPARQL 服务器 {self.base} 上没有端点 {path}（HTTP {response.status_code}）：按 ZHENGAI_STORE_SERVER="
                f"{self.kind} 的端点布局去找的；请检查它是否与服务器相符（oxigraph、virtuoso、fuseki），"
                "或用 ZHENGAI_STORE_QUERY、ZHENGAI_STORE_UPDATE、ZHENGAI_STORE_GSP 指明端点",
                f"The SPARQL server at {self.base} has no endpoint {path} (HTTP {response.status_code}), where "
                f"ZHENGAI_STORE_SERVER={self.kind} puts it: check that it names the server (oxigraph, virtuoso, "
                "fuseki), or name the endpoints with ZHENGAI_STORE_QUERY, ZHENGAI_STORE_UPDATE and ZHENGAI_STORE_GSP",
            )

    def _read(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        """A read: retried when the connection fails or the server is briefly unavailable."""
        for attempt, wait in enumerate((*RETRIES, None)):
            try:
                response = self._client.request(method, url, **kwargs)  # type: ignore[arg-type]
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout) and wait is not None:
                    time.sleep(wait)
                    continue
                if isinstance(exc, httpx.ConnectTimeout):
                    raise self._unreachable(exc) from None
                raise StoreTimeout(
                    f"SPARQL 服务器在 {self.timeout:g} 秒内没有答复（第 {attempt + 1} 次）",
                    f"The SPARQL server gave no answer within {self.timeout:g} s (attempt {attempt + 1})",
                ) from None
            except httpx.TransportError as exc:
                if wait is not None:
                    time.sleep(wait)
                    continue
                raise self._unreachable(exc) from None
            if response.status_code in (502, 503, 504) and wait is not None:
                time.sleep(wait)
                continue
            self._check_auth(response)
            return response
        raise AssertionError("unreachable")

    def _update_text(self, text: str) -> None:
        """One update request, never retried: the server applies all of it or none of it."""
        try:
            response = self._client.post(
                self.endpoints.update,
                content=text.encode("utf-8"),
                headers={"Content-Type": "application/sparql-update; charset=utf-8"},
            )
        except httpx.TransportError as exc:
            raise StoreError(
                f"写入时与 SPARQL 服务器 {self.base} 的连接出错：{exc or type(exc).__name__}。该请求要么全部生效，要么完全没有生效（服务器按一个事务执行）",
                f"The connection to the SPARQL server at {self.base} failed during a write: {exc or type(exc).__name__}. The server applies a request wholly or not at all",
            ) from None
        self._check_auth(response)
        self._check_endpoint(response)
        if response.status_code >= 300:
            raise write_failed(Exception(self._refused(response)))

    def _evaluate(
        self,
        sparql: str,
        substitutions: Mapping[ox.Variable, OxTerm] | None,
        union: bool,
        within: Sequence[URIRef] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        if within is not None:
            named = [ox.NamedNode(str(g)) for g in within]
            return self.query(sparql, default_graph=named if union else [], named_graphs=named)
        return self.query(sparql, use_default_graph_as_union=union)

    def query(
        self,
        sparql: str,
        *,
        use_default_graph_as_union: bool = False,
        default_graph: list[ox.NamedNode] | None = None,
        named_graphs: list[ox.NamedNode] | None = None,
        timeout: float | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """One query, with the dataset given as ``pyoxigraph.Store.query`` takes it; sent as the
        protocol's default-graph-uri and named-graph-uri (the union: every zhengai graph)."""
        form = query_form(sparql)
        started = time.perf_counter()
        try:
            return self._query(sparql, form, use_default_graph_as_union, default_graph, named_graphs, timeout)
        finally:
            if self._trace:
                first = next((line for line in sparql.splitlines() if line.strip()), "")[:100]
                print(f"[store] {time.perf_counter() - started:7.3f}s {first}", file=sys.stderr)

    def _query(
        self,
        sparql: str,
        form: str,
        use_default_graph_as_union: bool,
        default_graph: list[ox.NamedNode] | None,
        named_graphs: list[ox.NamedNode] | None,
        timeout: float | None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        data: list[tuple[str, str]] = [("query", sparql)]
        if use_default_graph_as_union and self.endpoints.union == "param" and named_graphs is None:
            data.append(("union-default-graph", "true"))
        elif use_default_graph_as_union and self.endpoints.union == "native" and named_graphs is None:
            pass
        elif use_default_graph_as_union:
            names = [str(g) for g in self.named_graphs()]
            default_graph = default_graph or [ox.NamedNode(g) for g in names]
            named_graphs = named_graphs if named_graphs is not None else [ox.NamedNode(g) for g in names]
        if default_graph is not None or named_graphs is not None:
            # an empty list still has to say "no graph": a graph nobody writes stands for none
            nothing = [ox.NamedNode(GRAPH_BASE + "none")]
            data += [("default-graph-uri", g.value) for g in (default_graph or nothing)]
            data += [("named-graph-uri", g.value) for g in (named_graphs if named_graphs else nothing)]
        accept = GRAPH_ACCEPT if form in ("CONSTRUCT", "DESCRIBE") else RESULTS_JSON
        extra = {} if timeout is None else {"timeout": httpx.Timeout(timeout, connect=5.0)}
        response = self._read(
            "POST",
            self.endpoints.query,
            content=urlencode(data).encode("ascii"),
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
            **extra,
        )
        self._check_endpoint(response)
        if response.status_code >= 500:
            raise StoreError(
                f"SPARQL 服务器出错：{self._refused(response)}",
                f"The SPARQL server failed: {self._refused(response)}",
            )
        if response.status_code >= 300:
            raise QueryError(
                f"SPARQL 服务器拒绝了查询：{self._refused(response)}",
                f"The SPARQL server refused the query: {self._refused(response)}",
            )
        media = response.headers.get("content-type", "").split(";")[0].strip()
        try:
            if accept == RESULTS_JSON:
                return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
            fmt = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
            return [
                ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(response.content, format=fmt)
            ]
        except (SyntaxError, ValueError) as exc:
            raise QueryError(
                f"无法读取 SPARQL 服务器的答复（{media}）：{exc}",
                f"Cannot read the SPARQL server's answer ({media}): {exc}",
            ) from None

    # -- writing large graphs --------------------------------------------------------------------

    def _graph_url(self, name: URIRef) -> tuple[str, dict[str, str]]:
        return self.endpoints.gsp, {self.endpoints.graph_param: str(name)}

    def _post_triples(self, name: URIRef, lines: Iterable[str]) -> None:
        url, params = self._graph_url(name)
        body = "".join(lines).encode("utf-8")
        try:
            response = self._client.post(
                url, params=params, content=body, headers={"Content-Type": "application/n-triples"}
            )
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None
        self._check_auth(response)
        if response.status_code >= 300:
            raise write_failed(Exception(self._refused(response)))

    def replace_graphs(self, graphs: Mapping[URIRef, Graph]) -> None:
        """Replace graphs atomically. On a server that commits each operation of a request on its
        own (Virtuoso), the new content goes to staging graphs first, one update each; only when
        all are written does one short update move them in place (``MOVE`` drops the old graph).
        A write refused on the way drops the staging graphs and leaves every graph as it was."""
        if self.endpoints.atomic:
            self._replace_atomic(graphs)
            return
        check_graph_names(graphs)
        self.drop_staging()
        token = _stamp()
        switch, staged = [], []
        try:
            for n, (target, content) in enumerate(graphs.items()):
                if not len(content):
                    switch.append(f"DROP SILENT GRAPH <{target}>")
                    continue
                staging = URIRef(f"{STAGING}{token}/{n}")
                staged.append(staging)
                self._update(data_block("INSERT", staging, content, self.term_in))
                switch.append(f"MOVE SILENT <{staging}> TO <{target}>")
            self._update(switch)
        except StoreError:
            for staging in staged:
                self.drop_graph(staging)
            raise

    def _replace_atomic(self, graphs: Mapping[URIRef, Graph]) -> None:
        """One update (one transaction), except for large graphs that do not exist yet: those are
        named in a journal graph (one update), posted through the Graph Store Protocol (about 5×
        faster than in an update), and the load's other graphs and the journal's removal written
        in one last update. A write interrupted on the way leaves graphs its journal names, which
        the next opening drops once the journal is older than any live write could be."""
        fresh = large_new_graphs(graphs, self._exists)
        if not fresh:
            super().replace_graphs(graphs)
            return
        check_graph_names(graphs)
        journal = URIRef(f"{JOURNALS}{_stamp()}")
        record = Graph()
        for name in fresh:
            record.add((journal, BULK_WRITING, name))
        self._update(data_block("INSERT", journal, record, self.term_in))
        try:
            for name, content in fresh.items():
                text, rest = text_of(content)
                self._post_triples(
                    name, [*(chunk.decode("utf-8") for chunk in text), ntriples(rest, self.term_in)]
                )
            last: list[str] = []
            for name, content in graphs.items():
                if name not in fresh:
                    last += [
                        f"DROP SILENT GRAPH <{name}>",
                        *data_block("INSERT", name, content, self.term_in),
                    ]
            self._update([*last, f"DROP SILENT GRAPH <{journal}>"])
        except StoreError:
            for name in fresh:
                self.drop_graph(name)
            self.drop_graph(journal)
            raise

    def _stale(self, name: str, base: str) -> bool:
        """Whether a staging or journal graph (named by its start time) outlived any live write."""
        try:
            started = int(name[len(base) :].split("-", 1)[0])
        except ValueError:
            return True
        return time.time() - started > 2 * self.timeout

    def journal_graph(self) -> URIRef:
        """A journal of its own per write (named by its start, so ``recover`` knows a stale one)."""
        return URIRef(f"{JOURNALS}{_stamp()}")

    def _end_journal(self, journal: URIRef, record: Graph) -> None:
        self.drop_graph(journal)

    def _after_journal(self, journal: URIRef) -> None:
        self.drop_graph(journal)

    def recover(self) -> list[URIRef]:
        """Drop what interrupted writes left: the graphs of stale journals, and stale staging graphs."""
        dropped = []
        for row in self._all_graphs():
            name = str(row["g"])
            if name.startswith(JOURNALS) and self._stale(name, JOURNALS):
                journal = self.graph(URIRef(name))
                self._update(undo_parts(journal, URIRef(name)))  # a change's steps, last first
                for written in journal.objects(None, BULK_WRITING):
                    self.drop_graph(URIRef(str(written)))
                    dropped.append(URIRef(str(written)))
                self.drop_graph(URIRef(name))
            elif name.startswith(STAGING) and self._stale(name, STAGING):
                self.drop_graph(URIRef(name))
        return dropped

    def drop_staging(self) -> None:
        """Drop staging graphs an interrupted write left behind (they are never read; those of a
        write that may still be running are kept)."""
        for row in self._all_graphs():
            if str(row["g"]).startswith(STAGING) and self._stale(str(row["g"]), STAGING):
                self.drop_graph(URIRef(str(row["g"])))

    def add_graphs(self, graphs: Mapping[URIRef, Graph]) -> None:
        """Write graphs that do not exist yet (a diagnosis run), in one update: all or nothing."""
        parts: list[str] = []
        for target, content in graphs.items():
            try:
                check_graph_iri(target)
            except ValueError as exc:
                raise write_failed(exc) from exc
            if self._exists(target):
                raise write_failed(ValueError(f"graph already exists: {target}"))
            parts.extend(data_block("INSERT", target, content, self.term_in))
        self._update(parts)

    def _exists(self, name: URIRef) -> bool:
        return self.ask(f"ASK {{ GRAPH <{name}> {{ ?s ?p ?o }} }}")

    def add_large_graph(self, name: URIRef, body: Iterable[Triple], record: Graph) -> None:
        """A new graph of many triples: ``body`` posted in chunks (not one transaction), then
        ``record`` in one update. Readers that find the graph by its record never see a
        half-written one; an interrupted write leaves a graph without its record."""
        check_graph_iri(name)
        if self._exists(name):
            raise StoreError(f"命名图已存在：{name}", f"graph already exists: {name}")
        self.extend_graph(name, body, record)

    def extend_graph(self, name: URIRef, body: Iterable[Triple], record: Graph) -> None:
        """Add ``body`` to a graph in one Graph Store POST (one document, so its blank nodes stay
        one node each), then ``record`` in one update. On failure the graph is dropped."""
        check_graph_iri(name)
        try:
            self._post_triples(name, [ntriples(body, cached_to_ox(to_ox_skolem))])
            self.insert({name: record})
        except StoreError:
            self.drop_graph(name)
            raise

    # a few graphs in memory, read with queries: the ownership rules then ask them locally
    working_copy = working_copy

    def drop_graph(self, name: URIRef) -> None:
        check_graph_iri(name)
        self._update([f"DROP SILENT GRAPH <{name}>"])

    # -- reading ---------------------------------------------------------------------------------

    def named_graphs(self) -> list[URIRef]:
        """zhengai's graphs on the server (a server keeps graphs of its own, which are left out)."""
        return sorted(
            URIRef(str(r["g"]))
            for r in self._all_graphs()
            if str(r["g"]).startswith(GRAPH_BASE) and not str(r["g"]).startswith((STAGING, JOURNALS))
        )

    def _all_graphs(self) -> list[dict[str, Node]]:
        """Every named graph of the server, read from its index of graphs, not by scanning quads."""
        return self.select(LIST_GRAPHS[self.endpoints.union])

    def _graph_triples(self, name: URIRef) -> list[ox.Quad]:
        url, params = self._graph_url(name)
        response = self._read("GET", url, params=params, headers={"Accept": GRAPH_ACCEPT})
        if response.status_code == 404:
            return []
        if response.status_code >= 300:
            raise StoreError(
                f"读取命名图 {name} 失败：{self._refused(response)}",
                f"Reading graph {name} failed: {self._refused(response)}",
            )
        media = response.headers.get("content-type", "").split(";")[0].strip()
        fmt = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
        return list(ox.parse(response.content, format=fmt))

    def graph(self, name: URIRef) -> Graph:
        g = Graph()
        for q in self._graph_triples(name):
            g.add((self.term_out(q.subject), self.term_out(q.predicate), self.term_out(q.object)))
        return g

    def quad_count(self) -> int:
        rows = self.select(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), ?base)) }".replace(
                "?base", f'"{GRAPH_BASE}"'
            )
        )
        return int(rows[0]["n"]) if rows else 0

    def _ox_quads(self) -> Iterator[ox.Quad]:
        for name in self.named_graphs():
            node = ox.NamedNode(str(name))
            for q in self._graph_triples(name):
                yield ox.Quad(q.subject, q.predicate, q.object, node)

    def quads(self) -> Iterator[tuple[Node, Node, Node, Node | None]]:
        for q in self._ox_quads():
            yield (
                self.term_out(q.subject),
                self.term_out(q.predicate),
                self.term_out(q.object),
                from_ox(q.graph_name),
            )

    def export(self, path: Path) -> int:
        """Every zhengai graph on the server as TriG or N-Quads (by extension)."""
        fmt = backup_format(path, "备份须为", "A backup must be")
        count = 0

        def counted() -> Iterator[ox.Quad]:
            nonlocal count
            for q in self._ox_quads():
                count += 1
                yield q

        ox.serialize(counted(), str(path), format=fmt)
        return count

    def close(self) -> None:
        self._client.close()
