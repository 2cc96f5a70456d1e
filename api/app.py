"""The HTTP API: a FastAPI app over one store. This first part is read-only and serves no personal
data: health, indicators, diagnosis runs and their aggregate summaries. Roles, uploads, gaps with
owners and the SPARQL endpoint come with the API issue.

Every error has one body: ``{"code": …, "zh": …, "en": …, "problems": [{zh, en, file, sheet, row,
column}, …]}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from zhengai import __version__, diagnosis, query_registry, reports
from zhengai.errors import DiagnosisError, ZhengaiError
from zhengai.store import OxigraphStore
from zhengai.views import render_term

STATUS = {"bad_input": 400, "bad_query": 400, "diagnosis_error": 404, "store_error": 503}


def create_app(store_path: Path) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = OxigraphStore(store_path)
        try:
            yield
        finally:
            app.state.store.close()

    app = FastAPI(
        title="zhengai · 诊改知识图谱",
        version=__version__,
        description="Gaps, owners and the knowledge graph of a college's 诊改 system.",
        lifespan=lifespan,
    )

    @app.exception_handler(ZhengaiError)
    async def zhengai_error(_: Request, exc: ZhengaiError) -> JSONResponse:
        body = {"code": exc.code, "zh": exc.zh, "en": exc.en, "problems": [p.as_dict() for p in exc.problems]}
        return JSONResponse(body, status_code=STATUS.get(exc.code, 500))

    def store(request: Request) -> OxigraphStore:
        return request.app.state.store

    @app.get("/healthz")
    def healthz(request: Request) -> dict[str, object]:
        """Liveness: the version and the number of quads in the store."""
        return {"status": "ok", "version": __version__, "quads": store(request).quad_count()}

    @app.get("/indicators")
    def indicators(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: Annotated[int, Query(ge=0, description="Offset returned as next_cursor.")] = 0,
    ) -> dict[str, object]:
        """The monitoring indicators, by code, with level, system, criterion and data source."""
        rows = store(request).select(query_registry.get("indicators").text)
        items = [{k: render_term(v) for k, v in r.items()} for r in rows]
        page = items[cursor : cursor + limit]
        following = cursor + limit if cursor + limit < len(items) else None
        return {"items": page, "total": len(items), "next_cursor": following}

    @app.get("/diagnoses")
    def diagnoses(request: Request) -> dict[str, object]:
        """Every stored diagnosis run, oldest first."""
        return {
            "items": [
                {
                    "id": str(r.graph).rsplit("/", 1)[-1],
                    "period": r.period,
                    "started": r.started,
                    "engine": r.engine,
                }
                for r in diagnosis.runs(store(request))
            ]
        }

    @app.get("/diagnoses/{run_id}")
    def diagnosis_summary(request: Request, run_id: str) -> dict[str, object]:
        """One run: its period and the gap counts by level × vertical system (aggregates only)."""
        matching = [r for r in diagnosis.runs(store(request)) if str(r.graph).endswith(f"/{run_id}")]
        if not matching:
            raise DiagnosisError(f"没有诊断运行「{run_id}」", f"no diagnosis run '{run_id}'")
        run = matching[0]
        rows = reports.gap_rows(store(request), run.graph)
        counts = reports.totals([r for r in rows if r.severity != "closed"])
        return {
            "id": run_id,
            "period": run.period,
            "engine": run.engine,
            "totals": {k: counts[k] for k in ("red", "yellow", "missing")},
            "closed": sum(1 for r in rows if r.severity == "closed"),
            "summary": reports.summary(rows),
        }

    return app
