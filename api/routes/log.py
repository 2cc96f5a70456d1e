"""``/log``: the write log, for auditors (and the quality office)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from zhengai import write_log

from ..models import ERRORS
from ..service import PrincipalDep, ServiceDep

router = APIRouter(tags=["audit"])


class LogEntryPublic(BaseModel):
    """One write: who, what, when, from where, and how it ended."""

    at: dt.datetime = Field(description="When (UTC).")
    actor: str = Field(description="The token's name and scope, or the command line's system user.")
    role: str = Field(description="The writer's role; cli for the command line.")
    origin: str = Field(description="The client's address, or the command line's host name.")
    action: str = Field(description="The method and path (POST /loads), or the command (load).")
    target: str = Field(description="The files, period or gap id the write concerned.")
    outcome: str = Field(description="The HTTP status, or ok / error for the command line.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "at": "2026-03-02T08:15:00+00:00",
                    "actor": "质量管理处",
                    "role": "quality_office",
                    "origin": "10.1.2.30",
                    "action": "POST /loads",
                    "target": "",
                    "outcome": "201",
                }
            ]
        }
    }


class LogPage(BaseModel):
    """A page of the write log, newest first."""

    items: list[LogEntryPublic]
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page; null on the last.")


@router.get("/log", response_model=LogPage, responses=ERRORS)
def log(
    svc: ServiceDep,
    who: PrincipalDep,
    since: Annotated[dt.date | None, Query(description="Only writes on or after this day (UTC).")] = None,
    actor: Annotated[str, Query(description="Only writers whose name contains this.")] = "",
    action: Annotated[str, Query(description="Only actions containing this (e.g. /loads, diagnose).")] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> LogPage:
    """Every write to the store (API and command line), newest first: who, what, when, from where."""
    who.require("audit")
    found = write_log.entries(
        svc.store,
        since=str(since or "1970-01-01"),
        actor=actor,
        action=action,
        limit=limit + 1,
        offset=offset,
    )
    items = [LogEntryPublic(**e.as_dict()) for e in found[:limit]]
    return LogPage(
        items=items, limit=limit, offset=offset, next_offset=offset + limit if len(found) > limit else None
    )
