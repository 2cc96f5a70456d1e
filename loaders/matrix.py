"""Default responsibility matrix (五纵五横): rows are vertical systems, columns the five levels.

Each cell lists unit names separated by 、 or commas; ``全部党群部门`` and ``全部行政部门`` stand for
every unit of that type. The table is data the quality office edits (``data/matrix.csv``).
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef

from zhengai.namespaces import LEVELS, RDF, RDFS, SYSTEMS, ZG, graph, iri

from .base import LoadResult, Problems, annotate_source, nfkc, split_list
from .table import Column, RawSheet, header_score, read_table

KIND = "matrix"
GRAPH = graph("matrix")
COLUMNS = (
    Column("system", ("纵向系统", "系统", "系统\\层面", "系统/层面"), required=True),
    *(Column(key, (name,), required=True) for name, (key, _) in LEVELS.items()),
)
ALL_OF_TYPE = {"全部党群部门": ZG.PartyMassDepartment, "全部行政部门": ZG.FunctionalDepartment}


def detect_score(sheets: list[RawSheet]) -> int:
    return max((header_score(s, COLUMNS)[0] for s in sheets), default=0) if sheets else 0


def load(sheets: list[RawSheet], *, file: str) -> LoadResult:
    problems = Problems(file)
    filled = [s for s in sheets if not s.is_blank()] or sheets
    table = read_table(filled[0], COLUMNS)
    g = Graph()
    for row in table.rows:
        system_text = row.text("system")
        system = SYSTEMS.get(nfkc(system_text or ""))
        if system is None:
            problems.error(
                f"「{system_text}」不是纵向五系统之一",
                f"'{system_text}' is not one of the five vertical systems",
                row.loc("system"),
            )
            continue
        for level, (key, level_node) in LEVELS.items():
            cell: URIRef = iri("matrix-cell", key, str(system).rsplit("#", 1)[1])
            g.add((cell, RDF.type, ZG.MatrixCell))
            g.add((cell, ZG.level, level_node))
            g.add((cell, ZG.inSystem, system))
            g.add((cell, RDFS.label, Literal(f"{level} × {nfkc(system_text or '')}", lang="zh")))
            for name in split_list(row.text(key)):
                if name in ALL_OF_TYPE:
                    g.add((cell, ZG.defaultUnitClass, ALL_OF_TYPE[name]))
                else:
                    g.add((cell, ZG.defaultUnitName, Literal(name)))
            annotate_source(g, cell, row)
    problems.raise_if_any()
    return LoadResult(KIND, {GRAPH: g}, len(table.rows), problems.findings)
