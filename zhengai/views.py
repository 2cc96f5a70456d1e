"""Turn query results into what a person reads: short terms and tables. Decides nothing."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.term import Node
from rich.table import Table

from zhengai import query_registry as named_queries
from zhengai.namespaces import GRAPH_BASE, ID, ZG
from zhengai.store import GraphStore

SHORT_PREFIXES = {
    str(ZG): "zg:",
    str(ID): "id:",
    GRAPH_BASE: "graph:",
    "http://www.w3.org/ns/org#": "org:",
    "http://www.w3.org/ns/prov#": "prov:",
    "http://xmlns.com/foaf/0.1/": "foaf:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
}


def render_term(term: Node) -> str:
    """A term as a person reads it: literals as their text, IRIs shortened by known prefixes."""
    if isinstance(term, Literal):
        return str(term)
    if isinstance(term, URIRef):
        text = str(term)
        for long, short in SHORT_PREFIXES.items():
            if text.startswith(long):
                from urllib.parse import unquote

                return short + unquote(text[len(long) :])
        return text
    return str(term)


def stats_tables(store: GraphStore) -> list[Table]:
    graphs = Table("graph / 命名图", "triples / 三元组", title="Named graphs / 命名图", title_justify="left")
    total = 0
    for row in store.select(named_queries.get("graph_sizes").text):
        n = int(row["triples"])
        total += n
        graphs.add_row(str(row["graph"]).removeprefix(GRAPH_BASE), f"{n:,}")
    graphs.add_row("[bold]total / 合计[/]", f"[bold]{total:,}[/]")

    classes = Table(
        "class / 类",
        "label / 名称",
        "instances / 实例",
        title="Instances per class / 各类实例数",
        title_justify="left",
    )
    for row in store.select(named_queries.get("class_instances").text):
        classes.add_row(render_term(row["class"]), str(row.get("label", "")), f"{int(row['instances']):,}")

    prov = Table(
        "graph",
        "kind",
        "file / 文件",
        "sha256",
        "loaded (UTC)",
        "rows",
        title="Last load per graph / 各命名图最近一次加载",
        title_justify="left",
    )
    for row in store.select(named_queries.get("graph_provenance").text):
        prov.add_row(
            str(row["graph"]).removeprefix(GRAPH_BASE),
            str(row["kind"]),
            str(row["fileName"]),
            str(row["sha256"])[:8],
            str(row["endedAt"])[:16].replace("T", " "),
            str(row["rowCount"]),
        )
    return [graphs, classes, prov]
