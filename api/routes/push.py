"""POST /observations: campus systems push observations between reloads (``zhengai.push``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from zhengai import push
from zhengai.errors import InputError, Location

from ..models import ERRORS, PAYLOAD, ErrorBody, PushReport
from ..roles import Principal
from ..service import PrincipalDep, ServiceDep

router = APIRouter()
SOURCE = "POST /observations"


class Refused(InputError):
    """A batch with any bad item: nothing was written (422, with every problem by item)."""

    code = "unprocessable"


class TooLarge(InputError):
    code = "payload_too_large"


class Unsupported(InputError):
    code = "unsupported_media_type"


def _scope(who: Principal) -> push.Scope | None:
    """What the caller may push: an ingest token its system's levels and indicators; the quality
    office anything."""
    if who.role != "ingest":
        return None
    return push.Scope(who.name, who.levels, who.indicators)


def _sheets(body: bytes, content_type: str) -> tuple[list, list]:  # type: ignore[type-arg]
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in ("application/json", ""):
        try:
            return push.json_sheets(body, SOURCE)
        except InputError as exc:
            raise Refused(exc.zh, exc.en, exc.problems) from None
    if kind in ("text/csv", "application/csv"):
        return push.csv_sheets(body, SOURCE), []
    raise Unsupported.single(
        f"不支持的内容类型「{kind}」：请用 application/json 或 text/csv",
        f"unsupported content type '{kind}': send application/json or text/csv",
        Location(SOURCE),
    )


@router.post(
    "/observations",
    tags=["push"],
    status_code=201,
    response_model=PushReport,
    responses={
        **ERRORS,
        **PAYLOAD,
        200: {"model": PushReport, "description": "Nothing new was written (duplicates, or a replayed key)"},
        422: {"model": ErrorBody, "description": "Bad items: every problem, by item; nothing written"},
    },
)
async def push_observations(
    request: Request,
    svc: ServiceDep,
    who: PrincipalDep,
    idempotency_key: Annotated[
        str | None, Header(max_length=200, description="Sent again with the same key, a push writes nothing.")
    ] = None,
) -> JSONResponse:
    """Push one observation or a batch of up to 10 000 — JSON ``{indicator, subject, period,
    value | numerator+denominator, source, observed_at}`` (or an array of them), or ``text/csv`` in
    the loader's columns. All or nothing: any bad item answers 422 with every problem, by item,
    and writes nothing. Stored in the period's observation graph with PROV (system, token, time)."""
    who.require("push")
    limit = svc.settings.upload.max_bytes
    declared = request.headers.get("content-length")
    too_large = TooLarge.single(
        f"请求体超过 {limit} 字节", f"the body is larger than {limit} bytes", Location(SOURCE)
    )
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    sheets, problems = _sheets(bytes(body), request.headers.get("content-type", ""))

    pushed = push.Request(
        sheets, SOURCE, who.name or who.role, who.name, idempotency_key, _scope(who), problems
    )

    def write() -> push.PushResult:
        try:
            return svc.pushes.submit(pushed)  # written with the pushes that arrive meanwhile
        except push.ScopeError:
            raise
        except InputError as exc:
            raise Refused(exc.zh, exc.en, exc.problems) from None

    result = await run_in_threadpool(write)
    return JSONResponse(result.as_dict(), status_code=200 if result.replayed or not result.written else 201)
