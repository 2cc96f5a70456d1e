"""``POST /loads`` and ``GET /graphs``: load one file, and what each named graph holds and came from."""

from __future__ import annotations

import tempfile
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile

from zhengai.errors import InputError
from zhengai.loading import Parsed, load_file, parse_apart, write_parsed
from zhengai.namespaces import GRAPH_BASE

from .. import uploads
from ..models import BAD_INPUT, ERRORS, PAYLOAD, GraphList, LoadReport
from ..paging import query_rows
from ..service import PrincipalDep, Service, ServiceDep

router = APIRouter()


@router.post(
    "/loads",
    tags=["loads"],
    status_code=201,
    response_model=LoadReport,
    responses={**ERRORS, **BAD_INPUT, **PAYLOAD},
)
def load(
    svc: ServiceDep,
    who: PrincipalDep,
    file: Annotated[
        UploadFile,
        File(description="A workbook (.xlsx, .csv) or an RDF file (.ttl, .nt, .nq, .trig, .jsonld)."),
    ],
    kind: Annotated[
        Literal[
            "matrix", "catalogue", "subjects", "org", "observations", "targets", "rules", "actions", "rdf"
        ]
        | None,
        Form(description="What the file holds; detected when left out."),
    ] = None,
    period: Annotated[
        int | None, Form(ge=2000, le=2100, description="Academic year, for files without a 学年 column.")
    ] = None,
) -> dict[str, object]:
    """Load one file. Its graphs are replaced in one transaction, or — on any error — nothing changes."""
    who.require("write")
    name = uploads.safe_name(file.filename)
    with tempfile.TemporaryDirectory(prefix="zhengai-upload-") as folder:
        path = uploads.save(file.file, name, Path(folder), svc.settings.upload)
        uploads.check(path, kind, svc.settings.upload)
        loads, parsed = svc.loads, _read_apart(svc, path, kind, period)
        with svc.write_lock:
            written = "all"
            try:
                if parsed is None or svc.loads != loads:  # read against what another load replaced
                    report = load_file(svc.store, path, kind, period)
                else:
                    report = write_parsed(svc.store, path, parsed)
                written = f"load:{report.kind}"
            finally:
                svc.loads += 1
                svc.written(written)
    provenance = {r["graph"]: r for r in query_rows(svc, "graph_provenance", short=False)}
    return {
        "file": report.file,
        "kind": report.kind,
        "rows": report.rows,
        "seconds": round(report.seconds, 3),
        "graphs": [
            {"graph": str(g), "triples": n, "provenance": provenance.get(str(g))}
            for g, n in report.graphs.items()
        ],
        "findings": [p.as_dict() for p in report.findings],
    }


def _read_apart(svc: Service, path: Path, kind: str | None, period: int | None) -> Parsed | None:
    """The file read and checked in the service's worker process, while other requests go on; None:
    read it under the lock instead (a ledger, which is checked against the store; a worker that died;
    or a refusal that a load meanwhile may have changed)."""
    loads, pool = svc.loads, svc.parser()
    try:
        return parse_apart(pool, svc.store, path, kind, period)
    except BrokenProcessPool:
        svc.parser_died(pool)
        return None
    except InputError:
        if svc.loads != loads:
            return None
        raise


@router.get("/graphs", tags=["loads"], response_model=GraphList, responses=ERRORS)
def graphs(svc: ServiceDep, who: PrincipalDep) -> dict[str, object]:
    """Every named graph with its size and the PROV of the load that wrote it."""
    who.require("graphs")
    provenance = {r["graph"]: r for r in query_rows(svc, "graph_provenance", short=False)}
    items = []
    for r in query_rows(svc, "graph_sizes", short=False):
        prov = provenance.get(r["graph"])
        items.append(
            {
                "graph": r["graph"],
                "name": r["graph"].removeprefix(GRAPH_BASE),
                "triples": int(r["triples"]),
                "provenance": {k: v for k, v in prov.items() if k != "graph"} if prov else None,
            }
        )
    return {"items": items}
