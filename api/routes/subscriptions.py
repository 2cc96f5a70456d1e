"""POST /subscriptions, GET /subscriptions, DELETE /subscriptions/{name}: webhooks registered over
the API (``zhengai.subscriptions``), beside those of the TOML file.

Who may register what: the quality office any scope; a unit head its own unit; a teacher their own
工号. The answer to a registration carries the secret its deliveries are signed with, once; the
store never holds it.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from zhengai import subscriptions
from zhengai.errors import ZhengaiError

from ..models import BAD_INPUT, CONFLICT, ERRORS, NOT_FOUND
from ..roles import AccessError, Principal
from ..service import PrincipalDep, ServiceDep

router = APIRouter()


class NewSubscription(BaseModel):
    """A webhook: where to deliver, and whose events (exactly one of unit, post, person, role)."""

    name: str = Field(min_length=1, max_length=100, description="Unique among the server's subscriptions.")
    url: str = Field(min_length=8, max_length=2000, description="http:// or https:// receiver.")
    unit: str | None = Field(None, max_length=200, description="The events of what this unit owns.")
    post: str | None = Field(None, max_length=100, description="The events of gaps this post code owns.")
    person: str | None = Field(None, max_length=100, description="The events of gaps this 工号 holds.")
    role: Literal["quality_office"] | None = Field(None, description="Every event.")


class SubscriptionOut(BaseModel):
    name: str
    url: str
    scope: str
    value: str
    secret: str | None = Field(None, description="Given once, when the subscription is registered.")


class Conflict(ZhengaiError):
    code = "transition_refused"  # answered 409


class BadSubscription(ZhengaiError):
    code = "unprocessable"  # answered 422


def _allowed(who: Principal, scope: str, value: str) -> None:
    if who.role == "quality_office":
        return
    if who.role == "unit_head" and scope == "unit" and value == who.unit:
        return
    if who.role in ("teacher", "unit_head") and scope == "person" and who.person and value == who.person:
        return
    raise AccessError(
        "只能订阅自己负责的范围：部门负责人订阅本部门，教师订阅本人工号；其他范围须由质量管理处登记",
        "you may subscribe to your own scope only (a unit head to their unit, a teacher to their 工号); "
        "the quality office registers any other",
    )


@router.post(
    "/subscriptions",
    tags=["events"],
    status_code=201,
    response_model=SubscriptionOut,
    responses={**ERRORS, **BAD_INPUT, **CONFLICT},
)
async def register_subscription(body: NewSubscription, svc: ServiceDep, who: PrincipalDep) -> JSONResponse:
    """Register a webhook. Its deliveries are signed like those of the TOML file's; the secret is in
    this answer only."""
    who.require("gaps")
    scopes = [(k, v) for k in subscriptions.SCOPES if (v := getattr(body, k))]
    if len(scopes) != 1:
        raise BadSubscription(
            "unit、post、person、role 须恰好写一项", "give exactly one of unit, post, person, role"
        )
    if urlsplit(body.url).scheme not in ("http", "https") or not urlsplit(body.url).netloc:
        raise BadSubscription(
            f"接收地址须为 http:// 或 https://：{body.url}",
            f"the url must be http:// or https://: {body.url}",
        )
    scope, value = scopes[0]
    _allowed(who, scope, value)

    def write() -> SubscriptionOut:
        with svc.write_lock:
            if any(s.name == body.name for s in svc.subscriptions()):
                raise Conflict(f"已有名为「{body.name}」的订阅", f"a subscription named '{body.name}' exists")
            sub, secret = subscriptions.register(
                svc.store, svc.webhook_key, body.name, body.url, scope, value, who.name or who.role
            )
            svc.written()
        return SubscriptionOut(name=sub.name, url=sub.url, scope=scope, value=value, secret=secret)

    made = await run_in_threadpool(write)
    return JSONResponse(made.model_dump(), status_code=201)


@router.get("/subscriptions", tags=["events"], response_model=list[SubscriptionOut], responses=ERRORS)
async def list_subscriptions(svc: ServiceDep, who: PrincipalDep) -> list[SubscriptionOut]:
    """The registered subscriptions the caller may manage (all, for the quality office), without
    secrets; those of the TOML file are the server's and not listed."""
    who.require("gaps")
    found = await run_in_threadpool(subscriptions.registered, svc.store, svc.webhook_key)
    out = []
    for sub in found:
        scope = next(k for k in subscriptions.SCOPES if getattr(sub, k))
        try:
            _allowed(who, scope, getattr(sub, scope))
        except AccessError:
            continue
        out.append(SubscriptionOut(name=sub.name, url=sub.url, scope=scope, value=getattr(sub, scope)))
    return out


@router.delete("/subscriptions/{name}", tags=["events"], status_code=204, responses={**ERRORS, **NOT_FOUND})
async def delete_subscription(
    name: Annotated[str, Path(max_length=100)], svc: ServiceDep, who: PrincipalDep
) -> Response:
    """Forget a registered subscription (one the caller may manage)."""
    who.require("gaps")
    found = {s.name: s for s in await run_in_threadpool(subscriptions.registered, svc.store, svc.webhook_key)}
    if name not in found:
        raise BadSubscription(f"没有名为「{name}」的已登记订阅", f"no registered subscription named '{name}'")
    sub = found[name]
    scope = next(k for k in subscriptions.SCOPES if getattr(sub, k))
    _allowed(who, scope, getattr(sub, scope))

    def write() -> None:
        with svc.write_lock:
            subscriptions.remove(svc.store, name)
            svc.written()

    await run_in_threadpool(write)
    return Response(status_code=204)
