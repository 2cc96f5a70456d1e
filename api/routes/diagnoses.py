"""``/diagnoses``: run a diagnosis, list the runs, and one run's counts (aggregates only)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from zhengai import diagnosis, reports
from zhengai.errors import DiagnosisError

from ..models import ERRORS, NOT_FOUND, DiagnosisReport, RunList, RunSummary
from ..service import PrincipalDep, Service, ServiceDep

router = APIRouter()
Level = Literal["学校", "专业", "课程", "教师", "学生"]


class DiagnosisRequest(BaseModel):
    period: int = Field(ge=2000, le=2100, description="The academic year to diagnose, e.g. 2025.")
    level: Level | None = Field(default=None, description="Only this level.")
    engine: Literal["fast", "pyshacl"] = "fast"


def _summary(svc: Service, run: diagnosis.RunInfo) -> dict[str, object]:
    rows = svc.gap_rows(run.graph)
    counts = reports.totals([r for r in rows if r.severity != "closed"])
    return {
        "id": str(run.graph).rsplit("/", 1)[-1],
        "period": run.period,
        "started": run.started,
        "engine": run.engine,
        "totals": {k: counts[k] for k in ("red", "yellow", "missing")},
        "closed": sum(1 for r in rows if r.severity == "closed"),
        "summary": reports.summary(rows),
    }


@router.post(
    "/diagnoses",
    tags=["diagnoses"],
    status_code=201,
    response_model=DiagnosisReport,
    responses={**ERRORS, **NOT_FOUND},
)
def diagnose(svc: ServiceDep, who: PrincipalDep, body: DiagnosisRequest) -> dict[str, object]:
    """Diagnose a period against the standards; the run is stored and compared with the year before."""
    who.require("write")
    with svc.write_lock:
        try:
            run = diagnosis.diagnose(svc.store, body.period, level=body.level, engine=body.engine)
        finally:
            svc.written()
    info = next(r for r in svc.runs() if r.graph == run.graph)
    return {
        **_summary(svc, info),
        "findings": [p.as_dict() for p in run.findings],
        "silent_levels": [p.as_dict() for p in run.silent],
        "not_due": run.not_due,
    }


@router.get("/diagnoses", tags=["diagnoses"], response_model=RunList, responses=ERRORS)
def diagnoses(svc: ServiceDep, who: PrincipalDep) -> dict[str, object]:
    """Every stored diagnosis run, oldest first."""
    who.require("aggregates")
    return {
        "items": [
            {
                "id": str(r.graph).rsplit("/", 1)[-1],
                "period": r.period,
                "started": r.started,
                "engine": r.engine,
            }
            for r in svc.runs()
        ]
    }


@router.get(
    "/diagnoses/{run_id}", tags=["diagnoses"], response_model=RunSummary, responses={**ERRORS, **NOT_FOUND}
)
def diagnosis_summary(svc: ServiceDep, who: PrincipalDep, run_id: str) -> dict[str, object]:
    """One run: its period and the gap counts by level × vertical system (aggregates only)."""
    who.require("aggregates")
    matching = [r for r in svc.runs() if str(r.graph).endswith(f"/{run_id}")]
    if not matching:
        raise DiagnosisError(f"没有诊断运行「{run_id}」", f"no diagnosis run '{run_id}'")
    return _summary(svc, matching[0])
