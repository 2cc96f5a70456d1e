"""GET /events: the gap events (``zhengai.events``) as Server-Sent Events, filtered to what the
caller's role may see, resumable with ``Last-Event-ID``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from zhengai import events

from ..models import ERRORS
from ..service import PrincipalDep, ServiceDep

router = APIRouter()
POLL_SECONDS = 1.0  # at the longest between two reads of the store; a write wakes every stream


@router.get(
    "/events",
    tags=["events"],
    response_class=StreamingResponse,
    responses={
        **ERRORS,
        200: {
            "description": "Server-Sent Events, one per change of a gap's state (id: the sequence number; data: the event as JSON)",
            "content": {
                "text/event-stream": {
                    "example": 'id: 7\nevent: gap\ndata: {"seq": 7, "gap": "2025/ZY-1.4.1-02/460301", "kind": "new"}\n\n'
                }
            },
        },
    },
)
async def event_stream(
    request: Request,
    svc: ServiceDep,
    who: PrincipalDep,
    last_event_id: Annotated[
        str | None, Header(description="Resume after this event (the id of the last one received).")
    ] = None,
    after: Annotated[
        int | None, Query(ge=0, description="Resume after this event (as Last-Event-ID).")
    ] = None,
    follow: Annotated[
        bool, Query(description="Keep the stream open for new events (false: send and end).")
    ] = True,
) -> EventSourceResponse:
    """Every change of a gap's state from pushed data (new, worsened, improved, changed, resolved),
    oldest first: the quality office and auditors see all; a unit head what its unit owns; a
    teacher what they hold; a gap about one teacher or student only the roles that may see it."""
    who.require("gaps")
    start = after if after is not None else int(last_event_id) if (last_event_id or "").isdigit() else 0

    async def stream() -> AsyncIterator[dict[str, str]]:
        seq = start
        while True:
            found = await run_in_threadpool(events.since, svc.store, seq)
            for event in found:
                seq = event.seq
                if event.visible_to(who.role, who.unit, who.person, who.sees_people):
                    yield {
                        "id": str(event.seq),
                        "event": event.kind,
                        "data": json.dumps(event.as_dict(), ensure_ascii=False),
                    }
            if not follow or await request.is_disconnected():
                return
            await svc.next_write(POLL_SECONDS)

    return EventSourceResponse(stream(), ping=15)
