"""GET /reports: the 自我诊改报告 (``zhengai.selfreport``) with the choices of ``zhengai report``.

The quality office and auditors may ask for it; an auditor's leaves out the gaps about one teacher
or student (personal data).
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from zhengai import selfreport

from ..models import ERRORS, NOT_FOUND
from ..roles import AccessError
from ..service import PrincipalDep, ServiceDep

router = APIRouter()
MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/reports",
    tags=["reports"],
    response_class=Response,
    responses={
        **ERRORS,
        **NOT_FOUND,
        200: {
            "description": "The 自我诊改报告 as a file",
            "content": {
                "text/markdown": {},
                "text/html": {},
                "application/pdf": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            },
        },
    },
)
async def report(
    svc: ServiceDep,
    who: PrincipalDep,
    period: Annotated[int | None, Query(description="Academic year; default the latest diagnosed.")] = None,
    level: Annotated[str | None, Query(max_length=10, description="学校, 专业, 课程, 教师 or 学生.")] = None,
    unit: Annotated[str | None, Query(max_length=200, description="Only the gaps this unit owns.")] = None,
    subject: Annotated[str | None, Query(max_length=100, description="One subject's code.")] = None,
    format: Annotated[Literal["md", "html", "pdf", "xlsx"], Query(description="The file's format.")] = "md",
) -> Response:
    """The period's self-diagnosis report: summary, heatmap, gaps with owners, measures and
    reviews, spiral; as Markdown, HTML, PDF or xlsx."""
    who.require("gaps")
    if not who.sees_all_gaps:
        raise AccessError(
            "自我诊改报告只对质量管理处和审计开放",
            "the self-diagnosis report is for the quality office and auditors",
        )

    def make() -> bytes:
        chosen = period if period is not None else svc.run_for(None).period
        made = selfreport.build(
            svc.store, chosen, level=level or None, unit=unit or None, subject=subject or None
        )
        if not who.sees_people:
            made = dataclasses.replace(made, items=[i for i in made.items if not i.row.personal])
        with tempfile.TemporaryDirectory(prefix="zhengai-report-") as folder:
            out = Path(folder) / f"report.{format}"
            selfreport.write(made, format, out)
            return out.read_bytes()

    body = await run_in_threadpool(make)
    name = f"report-{period or 'latest'}.{format}"
    return Response(
        body, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
