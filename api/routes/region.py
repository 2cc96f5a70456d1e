"""GET /region/…: the region's views across the colleges of the store (``zhengai.region``).

For the ``region`` role: aggregates only (counts, means), never a subject, a person or a gap of
any one college. The other roles, which belong to one college, may not read them.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from zhengai import region

from ..models import ERRORS
from ..service import PrincipalDep, ServiceDep

router = APIRouter(prefix="/region", tags=["region"])
Period = Annotated[int | None, Query(description="Academic year; default each college's latest run.")]


class CollegePublic(BaseModel):
    code: str = Field(examples=["10999"])
    name: str | None = Field(default=None, examples=["示例职业技术学院"])
    period: int | None = Field(default=None, description="The period read (None: not diagnosed).")


class Severities(BaseModel):
    red: int = 0
    yellow: int = 0
    missing: int = 0


class IndicatorComparison(BaseModel):
    college: CollegePublic
    indicator: str = Field(examples=["ZY-1.4.1-02"])
    label: str | None = None
    gaps: Severities
    reported: int = Field(description="Subjects that reported a number in the period.")
    mean: float | None = None
    lowest: float | None = None
    highest: float | None = None


class CollegeHeatmap(BaseModel):
    college: CollegePublic
    cells: dict[str, dict[str, Severities]] = Field(description="level → system → counts of open gaps")


class UnitTypeCount(BaseModel):
    type: str = Field(examples=["SecondaryCollege"])
    name_zh: str = Field(examples=["二级学院"])
    name_en: str = Field(examples=["secondary college"])
    gaps: Severities
    colleges: int = Field(description="Colleges with at least one such gap.")


def _college(c: region.College) -> CollegePublic:
    return CollegePublic(**dataclasses.asdict(c))


@router.get("/colleges", responses=ERRORS, response_model=list[CollegePublic])
async def colleges(svc: ServiceDep, who: PrincipalDep, period: Period = None) -> list[CollegePublic]:
    """The region's colleges and the period each is read at."""
    who.require("region")
    found = await run_in_threadpool(region.colleges_of, svc.base, period)
    return [_college(c) for c in found]


@router.get("/compare", responses=ERRORS, response_model=list[IndicatorComparison])
async def compare(
    svc: ServiceDep,
    who: PrincipalDep,
    indicator: Annotated[str, Query(max_length=100, description="Indicator code, e.g. ZY-1.4.1-02.")],
    period: Period = None,
) -> list[IndicatorComparison]:
    """Colleges side by side on one indicator: its open gaps by severity, its observed values."""
    who.require("region")
    found = await run_in_threadpool(region.compare, svc.base, indicator, period)
    return [
        IndicatorComparison(
            college=_college(c.college),
            indicator=c.indicator,
            label=c.label,
            gaps=Severities(**c.gaps),
            reported=c.reported,
            mean=c.mean,
            lowest=c.lowest,
            highest=c.highest,
        )
        for c in found
    ]


@router.get("/heatmap", responses=ERRORS, response_model=list[CollegeHeatmap])
async def heatmap(svc: ServiceDep, who: PrincipalDep, period: Period = None) -> list[CollegeHeatmap]:
    """Each college's open gaps by level and vertical system."""
    who.require("region")
    found = await run_in_threadpool(region.heatmaps, svc.base, period)
    return [
        CollegeHeatmap(
            college=_college(c),
            cells={lv: {sy: Severities(**n) for sy, n in row.items()} for lv, row in cells.items()},
        )
        for c, cells in found
    ]


@router.get("/owners", responses=ERRORS, response_model=list[UnitTypeCount])
async def owners(svc: ServiceDep, who: PrincipalDep, period: Period = None) -> list[UnitTypeCount]:
    """The region's open gaps grouped by the kind of unit that owns them."""
    who.require("region")
    found = await run_in_threadpool(region.by_unit_type, svc.base, period)
    out = []
    for kind, counts in sorted(found.items(), key=lambda kv: region.type_order(kv[0])):
        zh, en = region.UNIT_TYPES.get(kind, (kind, kind))
        severities = Severities(**{k: v for k, v in counts.items() if k in ("red", "yellow", "missing")})
        out.append(
            UnitTypeCount(
                type=kind, name_zh=zh, name_en=en, gaps=severities, colleges=counts.get("colleges", 0)
            )
        )
    return out
