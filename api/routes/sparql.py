"""``/sparql``: the SPARQL 1.1 Protocol endpoint (query only), run by the query workers.

Who may query it: the auditor (every graph but the personal ones) and the quality office (every
graph). The dataset a query sees is always set by the server: the caller's readable named graphs,
their union as the default graph, narrowed by FROM / FROM NAMED or ``default-graph-uri`` /
``named-graph-uri`` — a graph the role may not read is refused, never silently widened.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from rdflib import URIRef
from starlette.datastructures import MultiDict

from zhengai.errors import QueryError
from zhengai.store import CollegeStore

from .. import sparql
from ..models import ERRORS, ErrorBody
from ..query_workers import Job
from ..roles import AccessError, Principal
from ..service import Service, principal, service

router = APIRouter(tags=["sparql"])
RESULT_TYPES: dict[str, object] = {
    media: {}
    for media in (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
        "application/rdf+xml",
    )
}
TEXT_TYPES = ("text/", "application/sparql-results+json", "application/n-triples", "application/ld+json")
DESCRIPTION_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


def _dataset(
    svc: Service, who: Principal, asked: sparql.Dataset
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    for name in (*asked.default, *asked.named):
        if not who.readable_graph(name):
            raise AccessError(f"无权读取命名图 {name}", f"you may not read the graph {name}")
    if asked:
        return asked.default, asked.named
    if who.can("personal"):
        return None, None  # every graph; the default graph is their union
    readable = svc.cached(
        ("readable", who.role),
        lambda: tuple(str(g) for g in svc.store.named_graphs() if who.readable_graph(str(g))),
    )
    return readable, readable


def _answer(svc: Service, who: Principal, params: MultiDict, accept: str | None, endpoint: str) -> Response:
    who.require("sparql")
    if params.getlist("update"):
        raise sparql.refuse_update()
    queries = params.getlist("query")
    if len(queries) > 1:
        raise QueryError("一次请求只能含一个查询", "send one query per request")
    if not queries:
        media = sparql.negotiate(accept, "CONSTRUCT")
        if media not in DESCRIPTION_TYPES:
            media = "text/turtle"
        body = sparql.service_description(endpoint).serialize(format=DESCRIPTION_TYPES[media])
        return Response(body, media_type=media)
    text = queries[0]
    form = sparql.query_form(text)
    media = sparql.negotiate(accept, form)
    asked = sparql.Dataset(
        tuple(params.getlist("default-graph-uri")), tuple(params.getlist("named-graph-uri"))
    )
    default, named = _dataset(svc, who, asked or sparql.query_dataset(text))
    if isinstance(svc.store, CollegeStore):  # one college of several: its graphs, and nothing else
        college = svc.store
        text = college.physical_text(text)
        mine = tuple(str(g) for g in college.graphs())
        default = mine if default is None else tuple(str(college.physical(URIRef(g))) for g in default)
        named = mine if named is None else tuple(str(college.physical(URIRef(g))) for g in named)
    body = svc.pool.run(Job(text, media, default, named, svc.settings.row_limit, endpoint))
    charset = "; charset=utf-8" if media.startswith(TEXT_TYPES) else ""
    return Response(body, media_type=media + charset if charset else media)


@router.get(
    "/sparql",
    response_class=Response,
    responses={
        **ERRORS,
        400: {"model": ErrorBody, "description": "A malformed query, or two / 查询有误"},
        406: {"model": ErrorBody, "description": "No result format the client accepts / 无可用的结果格式"},
        200: {"description": "The results, by content negotiation", "content": RESULT_TYPES},
    },
)
def sparql_get(
    request: Request,
    query: Annotated[
        str | None, Query(description="A SPARQL 1.1 query; without it, the service description.")
    ] = None,
    default_graph_uri: Annotated[list[str] | None, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[list[str] | None, Query(alias="named-graph-uri")] = None,
) -> Response:
    """SPARQL 1.1 Protocol query via GET. Results by content negotiation (JSON, XML, CSV, TSV;
    graphs as Turtle, N-Triples, JSON-LD, RDF/XML). Updates, LOAD and SERVICE are refused."""
    svc, who = service(request), principal(request)
    return _answer(
        svc,
        who,
        MultiDict(request.query_params.multi_items()),
        request.headers.get("accept"),
        str(request.url_for("sparql_get")),
    )


@router.post(
    "/sparql",
    response_class=Response,
    responses={
        **ERRORS,
        415: {
            "model": ErrorBody,
            "description": "Not a form or a UTF-8 application/sparql-query body / 不支持的请求体",
        },
        400: {"model": ErrorBody, "description": "A malformed query, or two / 查询有误"},
        406: {"model": ErrorBody, "description": "No result format the client accepts / 无可用的结果格式"},
        200: {"description": "The results, by content negotiation", "content": RESULT_TYPES},
    },
)
async def sparql_post(request: Request) -> Response:
    """SPARQL 1.1 Protocol query via POST: a form (``query=``) or an ``application/sparql-query`` body."""
    svc, who = service(request), principal(request)
    content_type = request.headers.get("content-type", "")
    media, _, options = content_type.partition(";")
    media = media.strip().lower()
    params = MultiDict(request.query_params.multi_items())
    if media == "application/x-www-form-urlencoded":
        form = await request.form()
        params = MultiDict([*params.multi_items(), *((k, str(v)) for k, v in form.multi_items())])
    elif media == "application/sparql-query":
        # SPARQL 1.1 Protocol §2.1.3: the body is the query, unencoded, in UTF-8 and nothing else
        for option in options.split(";"):
            key, _, value = option.partition("=")
            charset = value.strip().strip('"').lower()
            if key.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
                raise sparql.UnsupportedMediaType(
                    f"查询文本须为 UTF-8 编码（请求声明了 {charset}）",
                    f"the query must be sent in UTF-8 (the request declares {charset})",
                )
        raw = await request.body()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QueryError("查询文本不是有效的 UTF-8", "the query is not valid UTF-8") from exc
        params = MultiDict([*params.multi_items(), ("query", text)])
    elif media == "application/sparql-update":
        raise sparql.refuse_update()
    else:
        raise sparql.UnsupportedMediaType(
            f"不支持的请求体类型「{media or '无'}」：请用 application/sparql-query 或表单",
            f"unsupported body type '{media or 'none'}': send application/sparql-query or a form",
        )
    accept = request.headers.get("accept")
    endpoint = str(request.url_for("sparql_get"))
    return await run_in_threadpool(_answer, svc, who, params, accept, endpoint)
