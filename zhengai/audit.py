"""The structural audit: is the structure sound enough that every gap has an owner?

Two kinds of checks, one report:

* hand-written SHACL in ``shapes/audit.ttl`` (validated by pyshacl against the catalogue and
  organisation graphs): indicators with criterion, data source, level and system; posts with unit,
  code, work items and holders who exist; work items with a standard; expired posts still held;
* graph-wide checks with networkx: ``org:reportsTo`` cycles, posts and units that do not reach the
  top, units without a head post, duties claimed by no unit or by two, indicators only the default
  matrix can own, and owners sitting in another 二级学院 than the subject of their gap.

Every finding names its check, severity, the node (code or name) and, through PROV, the file,
sheet and row it was read from.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import networkx as nx
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from zhengai import query_registry
from zhengai.errors import Location
from zhengai.namespaces import GRAPH_BASE, ORG, RDFS, SH, SKOS, ZG
from zhengai.resources import read_text
from zhengai.store import GraphStore

SEVERITY = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
CHECKS = {  # check → (zh, en) as the report names it
    "IndicatorCriterion": ("指标没有诊断标准", "indicator without a criterion"),
    "IndicatorSource": ("指标没有数据来源", "indicator without a data source"),
    "IndicatorLevel": ("指标没有层面", "indicator without a level"),
    "IndicatorSystem": ("指标没有纵向系统", "indicator without a vertical system"),
    "PostUnit": ("岗位不属于任何单位", "post without a unit"),
    "PostCode": ("岗位没有编码", "post without a code"),
    "PostWork": ("岗位没有具体化的工作", "post without a work item"),
    "PostHolder": ("岗位空缺", "vacant post"),
    "PostHolderExists": ("在岗人员不存在", "holder is not a known person"),
    "WorkItem": ("工作没有工作标准", "work item without a work standard"),
    "ExpiredPost": ("失效岗位仍有人在岗", "expired post still held"),
    "ReportingCycle": ("汇报关系成环", "reporting cycle"),
    "PostNotReachingTop": ("岗位汇报链到不了顶", "post does not reach the top"),
    "UnitNotReachingTop": ("单位隶属链到不了顶", "unit does not reach the top"),
    "UnitWithoutHead": ("单位没有负责岗位", "unit without a head post"),
    "OrphanDuty": ("职责无单位认领", "duty claimed by no unit"),
    "DoubleClaim": ("职责被多个单位认领", "duty claimed by several units"),
    "MatrixOnly": ("指标只能由默认矩阵认领", "indicator owned only by the default matrix"),
    "OtherCollege": ("责任人与对象不在同一二级学院", "owner sits in another 二级学院 than the subject"),
}


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str  # violation, warning, info
    node: str  # the code or name of what the finding is about
    message_zh: str
    message_en: str
    location: Location = field(default_factory=Location)

    @property
    def title(self) -> tuple[str, str]:
        return CHECKS.get(self.check, (self.check, self.check))

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["location"] = self.location.as_dict()
        data["check_zh"], data["check_en"] = self.title
        return data


@dataclass
class Report:
    findings: list[Finding]

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for f in self.findings:
            out[f.check][f.severity] += 1
        return {k: dict(v) for k, v in out.items()}

    def keys(self) -> set[tuple[str, str]]:
        return {(f.check, f.node) for f in self.findings}


def _structure_graph(store: GraphStore) -> Graph:
    g = Graph()
    for name in store.named_graphs():
        text = str(name)
        if text == f"{GRAPH_BASE}org" or text.startswith(f"{GRAPH_BASE}catalogue/"):
            for triple in store.graph(name):
                g.add(triple)
    return g


def _label(g: Graph, node: URIRef) -> str:
    for prop in (ZG.postCode, SKOS.notation, ORG.identifier):
        value = g.value(node, prop)
        if value is not None:
            return str(value)
    label = g.value(node, RDFS.label)
    return str(label) if label is not None else str(node).rsplit("/", 1)[-1]


_PREPARED = threading.Lock()


@contextmanager
def _prepared_queries() -> Iterator[None]:
    """pyshacl hands rdflib a SHACL-SPARQL constraint's text once per focus node, and rdflib parses
    it every time (about 20 ms: 3 of a large college's 5 audit seconds). For the duration, each
    text is parsed and translated once and evaluated as a prepared query (rdflib's own reuse path,
    with the focus node as an initial binding)."""
    from rdflib.plugins.sparql import processor

    with _PREPARED:
        original = processor.SPARQLProcessor.query
        prepared: dict[tuple[object, ...], object] = {}

        def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):  # type: ignore[no-untyped-def]
            if isinstance(strOrQuery, str):
                key = (strOrQuery, base, tuple(sorted((initNs or {}).items())))
                if key not in prepared:
                    prepared[key] = processor.translateQuery(processor.parseQuery(strOrQuery), base, initNs)
                strOrQuery = prepared[key]
            return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

        processor.SPARQLProcessor.query = query  # type: ignore[method-assign]
        try:
            yield
        finally:
            processor.SPARQLProcessor.query = original  # type: ignore[method-assign]


def shacl_findings(store: GraphStore, locations: dict[URIRef, Location]) -> list[Finding]:
    import pyshacl

    data = _structure_graph(store)
    shapes = Graph().parse(data=read_text("shapes", "audit.ttl"), format="turtle")
    with _prepared_queries():
        _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        shape = report.value(result, SH.sourceShape)
        check = str(shape).rsplit("#", 1)[-1] if isinstance(shape, URIRef) else "WorkItem"
        messages: dict[str, str] = {}
        for m in report.objects(result, SH.resultMessage):
            # pyshacl drops the language of a message whose {?var} it filled in: tell zh from en by script
            lang = "zh" if re.search(r"[\u4e00-\u9fff]", str(m)) else "en"
            if len(str(m)) > len(messages.get(lang, "")):
                messages[lang] = str(m)
        out.append(
            Finding(
                check,
                SEVERITY[report.value(result, SH.resultSeverity)],  # type: ignore[index]
                _label(data, focus),  # type: ignore[arg-type]
                messages.get("zh", ""),
                messages.get("en", ""),
                locations.get(focus, Location()),  # type: ignore[arg-type]
            )
        )
    return out


def graph_findings(store: GraphStore, locations: dict[URIRef, Location]) -> list[Finding]:
    posts, units, duties = nx.DiGraph(), nx.DiGraph(), defaultdict(set)
    labels: dict[URIRef, str] = {}
    heads: set[URIRef] = set()
    unit_type: dict[URIRef, str] = {}
    for r in store.select(query_registry.get("audit_facts").text):
        node, kind = r["node"], str(r["kind"])
        labels[node] = str(r["label"])  # type: ignore[index]
        if kind == "post":
            posts.add_node(node)
            if "other" in r:
                posts.add_edge(node, r["other"])
        elif kind == "unit":
            units.add_node(node)
            if "other" in r:
                units.add_edge(node, r["other"])
        elif kind == "head":
            heads.add(node)  # type: ignore[arg-type]
        elif kind == "unit-type":
            unit_type[node] = str(r["other"])  # type: ignore[index]
        elif kind == "duty":
            duties.setdefault(node, set())  # type: ignore[arg-type]
            if "other" in r:
                duties[node].add(r["other"])  # type: ignore[index]
        elif kind == "duty-work" and node not in locations and r["other"] in locations:
            locations[node] = locations[r["other"]]  # type: ignore[index]  # where the duty is named
    out: list[Finding] = []

    def add(check: str, severity: str, node: URIRef, zh: str, en: str) -> None:
        out.append(
            Finding(check, severity, labels.get(node, str(node)), zh, en, locations.get(node, Location()))
        )

    in_cycle: set[URIRef] = set()
    for cycle in nx.simple_cycles(posts):
        in_cycle.update(cycle)
        names = " → ".join(labels.get(n, str(n)) for n in [*cycle, cycle[0]])
        add(
            "ReportingCycle",
            "violation",
            min(cycle, key=lambda n: labels.get(n, "")),
            f"汇报关系成环：{names}",
            f"reporting cycle: {names}",
        )
    for check, graph, kind in (("PostNotReachingTop", posts, "岗位"), ("UnitNotReachingTop", units, "单位")):
        tops = {n for n in graph if graph.out_degree(n) == 0 and n in labels}
        for node in sorted(graph, key=lambda n: labels.get(n, "")):
            if node not in labels:
                continue
            if not (nx.descendants(graph, node) | {node}) & tops:
                add(check, "violation", node, f"{kind}「{labels[node]}」的上级链到不了顶（成环或指向不存在的上级）",
                    f"'{labels[node]}' does not reach the top (a cycle, or a superior that does not exist)")  # fmt: skip
    for unit in sorted(units, key=lambda n: labels.get(n, "")):
        if unit in labels and unit not in heads:
            add(
                "UnitWithoutHead",
                "warning",
                unit,
                f"单位「{labels[unit]}」没有负责岗位",
                f"unit '{labels[unit]}' has no head post",
            )
    for duty, claimants in sorted(duties.items(), key=lambda kv: labels.get(kv[0], "")):
        if not claimants:
            add(
                "OrphanDuty",
                "warning",
                duty,
                f"职责「{labels[duty]}」没有单位认领",
                f"duty '{labels[duty]}' is claimed by no unit",
            )
        elif len({unit_type.get(c, str(c)) for c in claimants}) > 1:
            # parallel units of one type (every 二级学院 runs its own 专业调研) share a duty's wording;
            # units of different types claiming the same duty is the conflict
            who = "、".join(sorted(labels.get(c, str(c)) for c in claimants))
            add(
                "DoubleClaim",
                "warning",
                duty,
                f"职责「{labels[duty]}」被多个单位认领：{who}",
                f"duty '{labels[duty]}' is claimed by {who}",
            )
    return out


def ownership_findings(store: GraphStore, locations: dict[URIRef, Location]) -> list[Finding]:
    out = []
    for r in store.select(query_registry.get("audit_unowned_indicators").text):
        code = str(r["code"])
        out.append(Finding("MatrixOnly", "warning", code, f"指标 {code} 没有岗位工作、责任岗位、责任部门或可识别的数据来源部门，只能由默认矩阵认领",
                           f"indicator {code} has no work item, responsible post, responsible unit or recognisable data-source unit; only the default matrix owns it",
                           locations.get(r["indicator"], Location())))  # type: ignore[arg-type]  # fmt: skip
    out.extend(_other_college(store))
    return out


def _other_college(store: GraphStore) -> list[Finding]:
    """Owners (rules 1 and 2) whose 二级学院 differs from their gap subject's, in the latest run.
    Read from the stored assignments; the 二级学院 of each subject and post unit is asked once."""
    from zhengai import diagnosis, ownership

    runs = diagnosis.runs(store)
    if not runs:
        return []
    query = query_registry.get("rule_owned_posts")
    rows = store.select(query.text, query.bindings({"run": str(runs[-1].graph)}))
    org = ownership.organisation(store)
    college_query = query_registry.get("college_of")
    colleges: dict[Node, set[Node]] = {}

    def college(node: Node | None) -> set[Node]:
        if node is None:
            return set()
        if node not in colleges:
            found = store.select(college_query.text, college_query.bindings({"node": str(node)}))
            colleges[node] = {r["college"] for r in found}
        return colleges[node]

    out = []
    for r in rows:
        post = org.posts.get(r["post"])  # type: ignore[arg-type]
        if post is None:
            continue
        subject_college, post_college = college(r["subject"]), college(post.unit)
        if subject_college and post_college and not subject_college & post_college:
            a = "、".join(sorted(org.unit_names.get(c, "") for c in post_college))  # type: ignore[call-overload]
            b = "、".join(sorted(org.unit_names.get(c, "") for c in subject_college))  # type: ignore[call-overload]
            gap_id = str(r["id"])
            out.append(Finding("OtherCollege", "warning", gap_id, f"问题 {gap_id} 的责任岗位 {post.code} 在「{a}」，对象属于「{b}」",
                               f"gap {gap_id}: owning post {post.code} sits in '{a}', the subject belongs to '{b}'"))  # fmt: skip
    return sorted(out, key=lambda f: (f.node, f.message_zh))


def locations(store: GraphStore) -> dict[URIRef, Location]:
    return {
        r["node"]: Location(str(r["file"]), str(r["sheet"]), int(r["row"]))  # type: ignore[call-overload,misc]
        for r in store.select(query_registry.get("source_rows").text)
    }


def audit(store: GraphStore) -> Report:
    where = locations(store)
    findings = [
        *shacl_findings(store, where),
        *graph_findings(store, where),
        *ownership_findings(store, where),
    ]
    order = {"violation": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: (order[f.severity], f.check, f.node))
    return Report(findings)


SEVERITY_LABEL = {"violation": "违规 violation", "warning": "警告 warning", "info": "提示 info"}


def to_json(report: Report) -> str:
    import json

    data = {"summary": report.summary(), "findings": [f.as_dict() for f in report.findings]}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_markdown(report: Report) -> str:
    lines = [
        "# 结构审计 Structural audit",
        "",
        "## 汇总 Summary",
        "",
        "| 检查 check | 违规 violation | 警告 warning |",
        "|---|---|---|",
    ]
    for check, counts in sorted(report.summary().items()):
        zh, en = CHECKS.get(check, (check, check))
        lines.append(f"| {zh} {en} | {counts.get('violation', 0)} | {counts.get('warning', 0)} |")
    lines += [
        "",
        "## 发现 Findings",
        "",
        "| 严重程度 | 检查 | 对象 | 说明 | 来源 source |",
        "|---|---|---|---|---|",
    ]
    for f in report.findings:
        cells = [
            SEVERITY_LABEL[f.severity],
            f.title[0],
            f.node,
            f"{f.message_zh} / {f.message_en}",
            f.location.zh(),
        ]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"
