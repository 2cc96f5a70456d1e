"""``GET /audit``: the structural audit (is the organisation sound?)."""

from __future__ import annotations

from fastapi import APIRouter

from ..models import ERRORS, AuditReport
from ..service import PrincipalDep, ServiceDep

router = APIRouter()


@router.get("/audit", tags=["audit"], response_model=AuditReport, responses=ERRORS)
def audit(svc: ServiceDep, who: PrincipalDep) -> dict[str, object]:
    """The structural audit: SHACL and graph checks of the catalogue and the organisation."""
    who.require("audit")
    report = svc.audit_report()
    return {"summary": report.summary(), "findings": [f.as_dict() for f in report.findings]}
