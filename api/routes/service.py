"""``/healthz`` and ``/whoami``: is the server up, and who does the token say the caller is."""

from __future__ import annotations

from fastapi import APIRouter

from zhengai import __version__, write_log

from ..models import ERRORS, Health, Identity
from ..service import PrincipalDep, ServiceDep

router = APIRouter()


@router.get("/healthz", tags=["service"], response_model=Health)
def healthz(svc: ServiceDep) -> dict[str, object]:
    """Liveness: the version and the number of quads in the store (its write log left out)."""
    for _ in range(5):  # the log may grow between the two counts: read until it did not
        before = write_log.size(svc.store)
        total = svc.store.quad_count()
        if write_log.size(svc.store) == before:
            break
    return {"status": "ok", "version": __version__, "quads": total - before}


@router.get("/whoami", tags=["service"], response_model=Identity, responses=ERRORS)
def whoami(who: PrincipalDep) -> dict[str, object]:
    """The caller's role and scope, as the token says."""
    return {"role": who.role, "name": who.name, "unit": who.unit, "person": who.person}
