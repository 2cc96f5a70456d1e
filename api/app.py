"""The HTTP API: a FastAPI app over one store.

REST resources (``resources.py``), the SPARQL 1.1 Protocol endpoint (``endpoint.py``), roles from
API tokens (``roles.py``). Every error has one body::

    {"code": …, "zh": …, "en": …, "problems": [{zh, en, file, sheet, row, column}, …]}
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException

from zhengai import __version__, write_log
from zhengai.errors import ZhengaiError

from . import guards, web
from .routes import (
    audit,
    diagnoses,
    events,
    gaps,
    lifecycle,
    loads,
    log,
    lookups,
    push,
    region,
    reports,
    service,
    sparql,
    subscriptions,
)
from .service import Service, Settings

STATUS = {
    "bad_input": 400,
    "bad_query": 400,
    "refused": 403,
    "transition_refused": 409,
    "unauthorized": 401,
    "forbidden": 403,
    "diagnosis_error": 404,
    "not_acceptable": 406,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "query_too_large": 422,
    "unprocessable": 422,
    "rate_limited": 429,
    "query_busy": 503,
    "query_timeout": 503,
    "store_error": 503,
}
HTTP_TEXT = {
    401: ("需要有效的令牌", "a valid token is needed"),
    408: ("请求体传送过慢，已停止等待", "the request body came too slowly; the server stopped waiting"),
    413: ("请求体超过上限", "the request body is larger than the limit"),
    404: ("没有这个资源", "no such resource"),
    405: ("此资源不支持该方法", "this method is not allowed on this resource"),
}


def _body(code: str, zh: str, en: str, problems: list[dict[str, object]] | None = None) -> dict[str, object]:
    return {"code": code, "zh": zh, "en": en, "problems": problems or []}


def create_app(store_path: Path | str, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = Service(store_path, settings)
        app.state.write_log = write_log.Writer(app.state.service.store, app.state.service.write_lock)
        try:
            yield
        finally:
            app.state.write_log.close()
            app.state.service.close()

    app = FastAPIOffline(  # /docs and /redoc with their scripts served from the package: no CDN
        static_url="/static/docs",
        title="zhengai · 诊改知识图谱",
        version=__version__,
        description=(
            "Gaps, owners and the knowledge graph of a college's 诊改 system. Send "
            "`Authorization: Bearer <token>`; without one the caller has the public role."
        ),
        lifespan=lifespan,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
        )

    @app.middleware("http")
    async def upload_length(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """An upload must declare its length (its size is checked by ``guards.BodyGuard``)."""
        if request.method == "POST" and request.url.path.rstrip("/").endswith("/loads"):
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return JSONResponse(
                    _body("length_required", "上传须带 Content-Length", "an upload needs a Content-Length"),
                    status_code=411,
                )
        return await call_next(request)

    guards.install(app, settings.rate_limits)
    app.add_middleware(
        guards.BodyGuard,
        max_bytes=settings.upload.max_bytes + 64 * 1024,  # room for a form's own fields
        idle=settings.body_idle_timeout,
        total=settings.body_total_timeout,
    )

    @app.exception_handler(ZhengaiError)
    async def zhengai_error(request: Request, exc: ZhengaiError) -> Response:
        if web.is_page(request.url.path):  # a page's error is a page, in the reader's language
            return web.error_page(request, exc.zh, exc.en, STATUS.get(exc.code, 500))
        body = _body(exc.code, exc.zh, exc.en, [p.as_dict() for p in exc.problems])
        if getattr(exc, "rule", None):  # a lifecycle refusal names the rule that refused it
            body["rule"] = exc.rule  # type: ignore[attr-defined]
        return JSONResponse(body, status_code=STATUS.get(exc.code, 500))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "zh": f"参数 {'.'.join(map(str, e['loc']))}：{e['msg']}",
                "en": f"{'.'.join(map(str, e['loc']))}: {e['msg']}",
            }
            for e in exc.errors()
        ]
        return JSONResponse(
            _body("invalid_request", "请求参数有误", "the request's parameters are not valid", problems),
            status_code=422,
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        zh, en = HTTP_TEXT.get(exc.status_code, (str(exc.detail), str(exc.detail)))
        return JSONResponse(
            _body(f"http_{exc.status_code}", zh, en), status_code=exc.status_code, headers=exc.headers
        )

    for routes in (service, lookups, loads, diagnoses, log, push, events, subscriptions, reports, region):
        app.include_router(routes.router)
    app.include_router(lifecycle.router)  # before the gaps: /gaps/{id:path} would take its paths
    app.include_router(gaps.router)
    app.include_router(audit.router)
    app.include_router(sparql.router)
    app.include_router(web.router)  # the pages, at /
    app.mount("/static/ui", web.static, name="static-ui")
    return app
