"""Lists in pages, and named queries' rows as text: what the list routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from zhengai import query_registry
from zhengai.views import render_term

from .service import Service

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]
Cursor = Annotated[
    int, Query(ge=0, description="Where the page starts: the next_cursor of the previous page.")
]


def page(items: list[object], limit: int, cursor: int) -> dict[str, object]:
    following = cursor + limit if cursor + limit < len(items) else None
    return {"items": items[cursor : cursor + limit], "total": len(items), "next_cursor": following}


def query_rows(
    svc: Service, name: str, bindings: dict[str, str] | None = None, *, short: bool = True
) -> list[dict[str, str]]:
    """A named query's rows as text; IRIs shortened by known prefixes unless ``short`` is off."""
    query = query_registry.get(name)
    rows = svc.store.select(query.text, query.bindings(bindings) if bindings else None)
    return [{k: render_term(v) if short else str(v) for k, v in r.items()} for r in rows]
