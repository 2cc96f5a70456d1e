"""What every request passes before and after its route: rate limits, the write log, and the
headers an HTML page needs.

- **Rate limits** per caller (a token's fingerprint, or the client address without one), in three
  classes: ``sparql`` (``/sparql``), ``loads`` (``POST /loads``) and ``writes`` (every other
  request that is not a read). Over the limit the answer is 429 with ``Retry-After`` (seconds).
- **The write log**: every request that is not a read leaves a ``zhengai.write_log`` entry (who,
  what, when, from where, the status), refused ones too. The actor is the token's name and role;
  the token itself and the query string are never written.
- **Bodies**: a request body larger than the server takes (counted as it arrives, whatever its
  ``Content-Length`` says) is cut off with 413; one that stalls (no byte for ``idle`` seconds, or
  not all there after ``total``) with 408 — a client trickling a byte a second holds no worker.
- **Security headers** on every HTML page: a content security policy allowing the page's own
  scripts and styles only, no framing, no MIME sniffing, no referrer sent elsewhere.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pyrate_limiter import Duration, InMemoryBucket, Rate, RateItem
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhengai import write_log
from zhengai.errors import ZhengaiError

READS = ("GET", "HEAD", "OPTIONS")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

DOCS_POLICY = (
    SECURITY_HEADERS["Content-Security-Policy"]
    .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
    .replace("img-src 'self' data:", "img-src 'self' data: blob:")
)


@dataclass(frozen=True)
class RateLimits:
    """Requests per minute per caller; 0 turns a class's limit off."""

    sparql: int = 120
    loads: int = 20
    writes: int = 6000  # campus systems push in bursts (POST /observations)

    @classmethod
    def parse(cls, text: str) -> RateLimits:
        """``sparql=60,loads=10,writes=600`` (any of them; the others keep their defaults)."""
        values: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, value = part.partition("=")
            key = key.strip()
            if key not in ("sparql", "loads", "writes") or not value.strip().isdigit():
                raise ZhengaiError(
                    f"无法识别的限流设置「{part}」（格式：sparql=120,loads=20,writes=6000）",
                    f"cannot read the rate limit '{part}' (as in sparql=120,loads=20,writes=6000)",
                )
            values[key] = int(value)
        return cls(**values)


def request_class(method: str, path: str) -> str | None:
    """Which limit a request counts against: sparql, loads, writes, or None (a read)."""
    path = path.rstrip("/")
    if path == "/sparql":
        return "sparql"
    if method in READS:
        return None
    return "loads" if method == "POST" and path.endswith("/loads") else "writes"


def caller_key(request: Request) -> str:
    """Who is calling, for the limits: a fingerprint of the token, never the token itself."""
    authorization = request.headers.get("authorization")
    if authorization:
        return "token:" + hashlib.sha256(authorization.encode("utf-8", "replace")).hexdigest()[:16]
    return "address:" + (request.client.host if request.client else "unknown")


class Limiter:
    def __init__(self, limits: RateLimits, window: float = 60.0) -> None:
        self._limits = limits
        self._window_ms = int(window * 1000)
        self._buckets: dict[tuple[str, str], InMemoryBucket] = {}
        self._lock = threading.Lock()

    def retry_after(self, kind: str, key: str) -> int | None:
        """None when the request may go on; else the seconds to wait."""
        per_window = getattr(self._limits, kind)
        if per_window <= 0:
            return None
        with self._lock:
            bucket = self._buckets.get((kind, key))
            if bucket is None:
                bucket = self._buckets[(kind, key)] = InMemoryBucket(
                    [Rate(per_window, Duration(self._window_ms))]
                )
            decision = bucket.put_decision(RateItem(kind, bucket.now()))
        if decision.allowed:  # type: ignore[union-attr]
            return None
        wait = decision.retry_after_ms or self._window_ms  # type: ignore[union-attr]
        return max(1, math.ceil(wait / 1000))


def _too_many(kind: str, seconds: int) -> JSONResponse:
    what = {"sparql": "SPARQL 查询", "loads": "上传", "writes": "写入"}[kind]
    body = {
        "code": "rate_limited",
        "zh": f"{what}过于频繁：请 {seconds} 秒后再试",
        "en": f"too many {kind} requests: try again in {seconds} s",
        "problems": [],
    }
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(seconds)})


def _actor(request: Request) -> tuple[str, str]:
    svc = request.app.state.service
    try:
        who = svc.settings.tokens.principal(request.headers.get("authorization"), svc.college)
    except ZhengaiError:
        return "unknown token", "none"
    parts = [who.name or who.role, *(p for p in (who.unit, who.person) if p)]
    return " · ".join(dict.fromkeys(parts)), who.role


Handler = Callable[[Request], Awaitable[Response]]


def install(app, limits: RateLimits) -> None:  # type: ignore[no-untyped-def]
    """Add the guards to ``app`` (a FastAPI app)."""
    limiter = Limiter(limits)

    @app.middleware("http")
    async def guard(request: Request, call_next: Handler) -> Response:
        kind = request_class(request.method, request.url.path)
        if kind is not None:
            wait = limiter.retry_after(kind, caller_key(request))
            if wait is not None:
                response: Response = _too_many(kind, wait)
                _log(request, response.status_code)
                return response
        response = await call_next(request)
        if request.method not in READS and request.url.path.rstrip("/") != "/sparql":
            _log(request, response.status_code)
        if response.headers.get("content-type", "").startswith("text/html"):
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            if request.url.path in ("/docs", "/redoc"):  # the API browsers start from an inline script
                response.headers["Content-Security-Policy"] = DOCS_POLICY
        return response


def _log(request: Request, status: int) -> None:
    log = getattr(request.app.state, "write_log", None)
    if log is None:
        return
    actor, role = _actor(request)
    origin = request.client.host if request.client else ""
    target = request.path_params.get("gap_id", "") if hasattr(request, "path_params") else ""
    log.add(
        write_log.entry(actor, role, origin, f"{request.method} {request.url.path}", str(target), str(status))
    )


class BodyGuard:
    """ASGI middleware: every request body is read under a size limit and two time limits."""

    def __init__(self, app: ASGIApp, max_bytes: int, idle: float = 15.0, total: float = 300.0) -> None:
        self.app, self.max_bytes, self.idle, self.total = app, max_bytes, idle, total

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(
                send, 413, "请求体超过上限", f"the body is larger than the {self.max_bytes:,}-byte limit"
            )
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        received = 0
        refused: list[int] = []
        responded = False

        complete = False

        async def guarded() -> Message:
            nonlocal received, complete
            if complete:  # the body is in: what follows is the wait for the client to go, unbounded
                return await receive()
            left = self.total - (loop.time() - started)
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.01, min(self.idle, left)))
            except TimeoutError:
                refused.append(408)
                raise _Refused from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused.append(413)
                    raise _Refused
                complete = not message.get("more_body", False)
            else:
                complete = True
            return message

        async def watched(message: Message) -> None:
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, guarded, watched)
        except BaseException as exc:
            if not refused or not _holds(exc, _Refused):
                raise
            if not responded:
                if refused[0] == 408:
                    await _refuse(
                        send,
                        408,
                        "请求体传送过慢，已停止等待",
                        "the request body came too slowly; the server stopped waiting",
                    )
                else:
                    await _refuse(
                        send,
                        413,
                        "请求体超过上限",
                        f"the body is larger than the {self.max_bytes:,}-byte limit",
                    )


class _Refused(Exception):
    """Raised from a guarded body read: the guard answers, not the route."""


def _holds(exc: BaseException, kind: type[BaseException]) -> bool:
    if isinstance(exc, kind):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return any(_holds(e, kind) for e in exc.exceptions)
    return _holds(exc.__cause__, kind) if exc.__cause__ is not None else False


async def _refuse(send: Send, status: int, zh: str, en: str) -> None:
    import json

    code = {413: "payload_too_large", 408: "request_timeout"}.get(status, f"http_{status}")
    body = json.dumps({"code": code, "zh": zh, "en": en, "problems": []}, ensure_ascii=False)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body.encode("utf-8")})
