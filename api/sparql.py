"""The SPARQL 1.1 Protocol, read-only: what a request asks, whether it may run, and in which format.

The query text is checked here, before any store sees it: the endpoint answers queries only, so
an update (``update=`` or ``application/sparql-update``, or update text sent as a query), ``LOAD``
and ``SERVICE`` (which would make the server fetch URLs) are refused. The check tokenises the
query, so keywords inside strings, IRIs and comments do not count.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from zhengai.errors import QueryError, ZhengaiError
from zhengai.sparql_text import nesting
from zhengai.sparql_text import tokens as _tokens

from .query_workers import GRAPH_FORMATS, RESULT_FORMATS

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
W3C_FORMATS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF_XML",
}
SELECT_TYPES = tuple(RESULT_FORMATS)
GRAPH_TYPES = tuple(GRAPH_FORMATS)


class Refused(ZhengaiError):
    """The endpoint is read-only and local: updates, LOAD and SERVICE are not run."""

    code = "refused"


class NotAcceptable(ZhengaiError):
    code = "not_acceptable"


class UnsupportedMediaType(ZhengaiError):
    code = "unsupported_media_type"


def bare_words(text: str) -> list[str]:
    """The keywords of a query in order (upper case): words that are not names, strings or IRIs."""
    return [value.upper() for kind, value in _tokens(text) if kind == "word" and ":" not in value]


MAX_QUERY_CHARS = 100_000  # a hand-written or generated query is far shorter; 1 MB is an attack
MAX_NESTING = 64  # groups within groups: the parser recurses, so its depth is bounded here


class QueryTooLong(ZhengaiError):
    code = "payload_too_large"


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE; refuses updates, LOAD and SERVICE with a clear error,
    and a query too long or nested too deep to be parsed safely."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryTooLong(
            f"查询过长（{len(text):,} 个字符，上限 {MAX_QUERY_CHARS:,}）",
            f"the query is too long ({len(text):,} characters; the limit is {MAX_QUERY_CHARS:,})",
        )
    if nesting(text) > MAX_NESTING:
        raise QueryError(
            f"查询嵌套过深（超过 {MAX_NESTING} 层括号）",
            f"the query nests too deep (over {MAX_NESTING} brackets)",
        )
    words = bare_words(text)
    if "SERVICE" in words:
        raise Refused(
            "此端点不执行联邦查询（SERVICE）：服务器不会代为访问其他地址",
            "federated queries (SERVICE) are refused: this server does not fetch other endpoints",
        )
    first = next((w for w in words if w not in ("BASE", "PREFIX")), "")
    if first in UPDATE_WORDS or "LOAD" in words:
        raise Refused(
            "此端点只读：不执行 SPARQL 更新（INSERT、DELETE、LOAD、CLEAR、DROP 等）",
            "this endpoint is read-only: SPARQL updates (INSERT, DELETE, LOAD, CLEAR, DROP, …) are refused",
        )
    if first not in FORMS:
        raise QueryError(
            "无法识别的查询：应以 SELECT、ASK、CONSTRUCT 或 DESCRIBE 开头",
            "not a query: it must be a SELECT, ASK, CONSTRUCT or DESCRIBE",
        )
    return first


@dataclass(frozen=True)
class Dataset:
    """The graphs a query names with FROM and FROM NAMED (IRIs as text)."""

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.default or self.named)


def query_dataset(text: str) -> Dataset:
    """FROM and FROM NAMED of a query, with prefixed names expanded from its PREFIX lines."""
    tokens = _tokens(text)
    prefixes: dict[str, str] = {}
    default: list[str] = []
    named: list[str] = []

    def resolve(kind: str | None, value: str) -> str | None:
        if kind == "iri":
            return value[1:-1]
        if kind == "word" and ":" in value:
            prefix, _, local = value.partition(":")
            return prefixes[prefix] + local if prefix in prefixes else None
        return None

    for n, (kind, value) in enumerate(tokens):
        word = value.upper() if kind == "word" else ""
        if word == "PREFIX" and n + 2 < len(tokens):
            name = tokens[n + 1][1]
            if name.endswith(":") and tokens[n + 2][0] == "iri":
                prefixes[name[:-1]] = tokens[n + 2][1][1:-1]
        elif word == "FROM" and n + 1 < len(tokens):
            is_named = tokens[n + 1][1].upper() == "NAMED"
            target = tokens[n + 2] if is_named and n + 2 < len(tokens) else tokens[n + 1]
            iri = resolve(*target)
            if iri is not None:
                (named if is_named else default).append(iri)
    return Dataset(tuple(default), tuple(named))


def refuse_update() -> Refused:
    return Refused("此端点只读：不执行 SPARQL 更新", "this endpoint is read-only: SPARQL updates are refused")


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float
    order: int


def _ranges(accept: str | None) -> list[_Range]:
    out = []
    for n, part in enumerate((accept or "*/*").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        kind, _, sub = media.partition("/")
        out.append(_Range(kind, sub, q, n))
    return out


def negotiate(accept: str | None, form: str) -> str:
    """The media type to answer with: the client's most preferred one we can write (q-values, */*)."""
    offered = SELECT_TYPES if form in ("SELECT", "ASK") else GRAPH_TYPES
    ranges = _ranges(accept) or [_Range("*", "*", 1.0, 0)]
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for pos, media in enumerate(offered):
        kind, _, sub = media.partition("/")
        for r in ranges:
            if r.type in ("*", kind) and r.subtype in ("*", sub) and r.q > 0:
                specificity = (r.type != "*") + (r.subtype != "*")
                key = (r.q, specificity, -r.order, -pos)
                if best is None or key > best:
                    best, chosen = key, media
    if chosen is None:
        raise NotAcceptable(
            f"无法以所请求的格式返回结果；可用：{', '.join(offered)}",
            f"cannot answer in the requested format; available: {', '.join(offered)}",
        )
    return chosen


def service_description(endpoint: str) -> Graph:
    """The SPARQL 1.1 Service Description of this endpoint."""
    g = Graph()
    g.bind("sd", SD)
    service = BNode()
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint)))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    for name in W3C_FORMATS.values():
        g.add((service, SD.resultFormat, URIRef("http://www.w3.org/ns/formats/" + name)))
    dataset = BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, URIRef("http://www.w3.org/2000/01/rdf-schema#comment"),
           Literal("默认图为调用者可读的所有命名图之并集", lang="zh")))  # fmt: skip
    g.add((dataset, URIRef("http://www.w3.org/2000/01/rdf-schema#comment"),
           Literal("The default graph is the union of the named graphs the caller may read", lang="en")))  # fmt: skip
    return g
