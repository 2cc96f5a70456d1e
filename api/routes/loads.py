"""``POST /loads`` and ``GET /graphs``: load one file, and what each named graph holds and came from."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile

from zhengai.errors import InputError
from zhengai.loading import load_file, read_file, write_read
from zhengai.namespaces import GRAPH_BASE

from .. import uploads
from ..models import BAD_INPUT, ERRORS, PAYLOAD, GraphList, LoadReport
from ..paging import query_rows
from ..service import PrincipalDep, ServiceDep

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
        # read and checked before the write lock: a bad file is refused, and a good one read,
        # while other writes go on; only an improvement ledger (checked against the lifecycle
        # records) is read under it, and a file that another load landed beside is read again
        loads = svc.loads
        try:
            read = read_file(svc.store, path, kind, period, indicators=svc.live.indicators(svc.store))
        except InputError:
            if svc.loads == loads:
                raise
            read = None
        with svc.write_lock:
            written = "all"
            try:
                if read is None or read.result.kind == "actions" or svc.loads != loads:
                    report = load_file(svc.store, path, kind, period)
                else:
                    report = write_read(svc.store, read)
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
