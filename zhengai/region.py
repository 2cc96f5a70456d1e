"""A region's views over its colleges (the seed's V2.0, 区域范围质量体系数据应用): aggregates only.

Each view asks every college of the dataset through its own ``CollegeStore`` (so no query ever
spans two colleges' graphs) and returns counts, means and the like, never a subject, a person or
a gap id: what the ``region`` role may read.

- ``compare``: colleges side by side on one indicator (its gaps by severity, its observed values);
- ``heatmaps``: each college's level × system counts;
- ``by_unit_type``: the region's gaps grouped by the kind of unit that owns them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rdflib import URIRef

from zhengai import diagnosis, query_registry, reports
from zhengai.errors import DiagnosisError
from zhengai.namespaces import GRAPH_BASE
from zhengai.namespaces import iri as make_iri
from zhengai.store import CollegeStore, GraphStore
from zhengai.store.college import colleges

SEVERITY = {"Violation": "red", "Warning": "yellow", "Info": "missing"}
UNIT_TYPES = {
    "SecondaryCollege": ("二级学院", "secondary college"),
    "FunctionalDepartment": ("职能部门", "functional department"),
    "PartyMassDepartment": ("党群部门", "party and mass department"),
    "OrganizationalUnit": ("其他组织单位", "other unit"),
}


def indicator_iri(code: str) -> URIRef:
    return make_iri("indicator", code)


def type_order(kind: str) -> int:
    """二级学院 first, then 职能部门, 党群部门, other units, as UNIT_TYPES lists them."""
    kinds = list(UNIT_TYPES)
    return kinds.index(kind) if kind in kinds else len(kinds)


@dataclass
class College:
    code: str
    name: str | None
    period: int | None  # the period its view reads (None: not diagnosed)


@dataclass
class Comparison:
    college: College
    indicator: str
    label: str | None = None
    gaps: dict[str, int] = field(default_factory=dict)  # red, yellow, missing
    reported: int = 0
    mean: float | None = None
    lowest: float | None = None
    highest: float | None = None


def _tail(term: object) -> str:
    return str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _views(base: GraphStore) -> list[CollegeStore]:
    found = colleges(base)  # type: ignore[arg-type]
    if not found:
        raise DiagnosisError(
            "数据存储中没有按学校存放的数据：区域视图需要用 --college 加载的学校",
            "The store holds no college under its own prefix: region views need colleges loaded with --college",
        )
    return [CollegeStore(base, code, ensure_ontology=False) for code in found]  # type: ignore[arg-type]


def _name(view: CollegeStore) -> str | None:
    rows = view.select(
        "PREFIX zg: <https://w3id.org/zhengai/ont#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT ?name WHERE { GRAPH <https://w3id.org/zhengai/graph/subjects> { ?s a zg:School ; rdfs:label ?name } } LIMIT 1"
    )
    return str(rows[0]["name"]) if rows else None


def _run(view: CollegeStore, period: int | None) -> diagnosis.RunInfo | None:
    runs = diagnosis.runs(view)
    if period is None:
        return runs[-1] if runs else None
    matching = [r for r in runs if r.period == period]
    return matching[-1] if matching else None


def colleges_of(base: GraphStore, period: int | None = None) -> list[College]:
    out = []
    for view in _views(base):
        run = _run(view, period)
        out.append(College(view.code, _name(view), run.period if run else None))
    return out


def compare(base: GraphStore, indicator: str, period: int | None = None) -> list[Comparison]:
    """Every college on one indicator (by its code): its latest run's gaps of the indicator by
    severity, and the period's observed values (how many subjects reported a number, their mean,
    lowest and highest)."""
    lookup = query_registry.get("indicator_label")
    counts = query_registry.get("indicator_gap_counts")
    values = query_registry.get("indicator_value_summary")
    out = []
    for view in _views(base):
        run = _run(view, period)
        college = College(view.code, _name(view), run.period if run else None)
        iri = indicator_iri(indicator)  # by its IRI: a look-up by notation took 1.2 s a college
        found = view.select(lookup.text, lookup.bindings({"indicator": str(iri)}))
        row = Comparison(college, indicator)
        out.append(row)
        if not found:
            continue
        row.label = "".join(str(found[0]["label"]).split("\n"))
        if run is None:
            continue
        for r in view.select(counts.text, counts.bindings({"run": str(run.graph), "indicator": str(iri)})):
            row.gaps[SEVERITY.get(_tail(r["severity"]), "?")] = int(r["gaps"])
        graph = URIRef(f"{GRAPH_BASE}observations/{run.period}")
        for r in view.select(
            values.text, values.bindings({"observations": str(graph), "indicator": str(iri)})
        ):
            row.reported = int(r["reported"])
            row.mean = float(r["mean"]) if "mean" in r else None
            row.lowest = float(r["lowest"]) if "lowest" in r else None
            row.highest = float(r["highest"]) if "highest" in r else None
    return out


def heatmaps(
    base: GraphStore, period: int | None = None
) -> list[tuple[College, dict[str, dict[str, dict[str, int]]]]]:
    """Each college's level → system → {red, yellow, missing} counts of its latest run's open gaps."""
    out = []
    for view in _views(base):
        run = _run(view, period)
        college = College(view.code, _name(view), run.period if run else None)
        out.append((college, reports.summary(reports.gap_rows(view, run.graph)) if run else {}))
    return out


def by_unit_type(base: GraphStore, period: int | None = None) -> dict[str, dict[str, int]]:
    """The region's open gaps by the kind of unit that owns them: type → {red, yellow, missing,
    colleges}. A gap owned by units of two kinds counts under both."""
    query = query_registry.get("gap_unit_types")
    totals: dict[str, Counter[str]] = {}
    for view in _views(base):
        run = _run(view, period)
        if run is None:
            continue
        seen_here: set[str] = set()
        for r in view.select(query.text, query.bindings({"run": str(run.graph)})):
            kind = _tail(r["type"])
            totals.setdefault(kind, Counter())[SEVERITY.get(_tail(r["severity"]), "?")] += 1
            seen_here.add(kind)
        for kind in seen_here:
            totals[kind]["colleges"] += 1
    return {kind: dict(counts) for kind, counts in totals.items()}
