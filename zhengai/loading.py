"""Load files into the store: detect the kind, run its loader, add PROV, replace the graphs.

This is the one path every load takes (CLI and API alike). A loader only parses and checks;
nothing reaches the store unless the whole file is good, and then all of its graphs are
replaced in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, XSD

from zhengai import __version__, assignment
from zhengai import query_registry as named_queries
from zhengai.criteria import LINE_KEYS
from zhengai.errors import InputError, Location, Problem, ZhengaiError
from zhengai.lifecycle import ledger
from zhengai.loaders import catalogue, matrix, observations, org, rdf, rules, subjects
from zhengai.loaders.base import LoadResult
from zhengai.loaders.observations import IndicatorInfo, Lookup, subject_codes
from zhengai.loaders.table import HEADER_SCAN_ROWS, RawSheet, read_sheets
from zhengai.namespaces import GRAPH_BASE, LEVELS, ZG, iri
from zhengai.resources import read_text
from zhengai.sparql_text import bind_rows
from zhengai.store import GraphStore, to_ox
from zhengai.store.pending import PendingGraph, triples_of
from zhengai.store.terms import ntriples

KINDS = ("matrix", "catalogue", "subjects", "org", "observations", "targets", "rules", "actions", "rdf")
# The order a batch is loaded in, so that later kinds can be checked against earlier ones.
LOAD_ORDER = {kind: i for i, kind in enumerate(KINDS)}
KIND_NAMES_ZH = {
    "matrix": "责任矩阵",
    "catalogue": "指标表",
    "subjects": "对象",
    "org": "组织",
    "observations": "状态数据",
    "targets": "目标值",
    "rules": "预警规则",
    "actions": "改进台账",
    "rdf": "RDF",
}

Progress = Callable[[str], None]
# An observation or target file of at most this many rows looks up only the subjects it names;
# a larger one (a year of a whole college) reads every subject at once, which is cheaper then.
FEW_ROWS = 2_000


@dataclass
class LoadReport:
    file: str
    kind: str
    graphs: dict[URIRef, int]
    rows: int
    seconds: float
    findings: list[Problem] = field(default_factory=list)


def _quiet(_: str) -> None:
    return None


def detect_kind(path: Path, sheets: Sequence[RawSheet]) -> str:
    """Which loader a file is for, from its sheets and headers."""
    sheet_list = list(sheets)
    scores = {
        "catalogue": catalogue.detect_score(sheet_list),
        "org": org.detect_score(sheet_list),
        "subjects": subjects.detect_score(sheet_list),
        "observations": observations.detect_score(
            sheet_list, observations.OBSERVATION_COLUMNS, ("indicator", "subject", "year", "value")
        ),
        "targets": observations.detect_score(sheet_list, observations.TARGET_COLUMNS, ("target", "bottom"))
        * 2,
        "matrix": matrix.detect_score(sheet_list) if matrix.detect_score(sheet_list) >= 6 else 0,
        "rules": rules.detect_score(sheet_list) * 2 if rules.detect_score(sheet_list) >= 2 else 0,
        "actions": ledger.detect_score(sheet_list) * 2 if ledger.detect_score(sheet_list) >= 3 else 0,
    }
    kind, best = max(scores.items(), key=lambda kv: kv[1])
    if best < 2:
        raise InputError.single(
            "无法判断文件类型：请用 --kind 指定（catalogue、org、subjects、observations、targets、rules、actions、matrix）",
            "cannot tell what this file holds: give --kind (catalogue, org, subjects, observations, targets, rules, actions, matrix)",
            Location(path.name),
        )
    return kind


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_lookup(
    store: GraphStore, codes: Collection[str] | None = None, base: Lookup | None = None
) -> Lookup:
    """What a long-format load needs from the store. With ``codes``, only the subjects with those
    codes (and the school) are read — what a push names, in a store of many thousands — unless one
    of them is found nowhere the loaders put subjects, when every subject is read after all.
    ``base``: the indicators and levels already read (``indicator_lookup``), unchanged since."""
    lookup = dataclasses.replace(base or indicator_lookup(store), subjects={}, schools=[])
    if codes is not None:
        query = named_queries.get("subjects_by_code").text
        rows = store.select(bind_rows(query, [(to_ox(Literal(code)),) for code in sorted(set(codes))]))
        if not set(codes) <= {str(r["code"]) for r in rows}:
            rows = store.select(named_queries.get("subject_codes").text)
    else:
        rows = store.select(named_queries.get("subject_codes").text)
    for row in rows:
        entry = (URIRef(row["subject"]), URIRef(row["class"]))
        if entry not in lookup.subjects.get(str(row["code"]), []):
            lookup.subjects.setdefault(str(row["code"]), []).append(entry)
        if row["class"] == ZG.School and (str(row["code"]), entry[0]) not in lookup.schools:
            lookup.schools.append((str(row["code"]), URIRef(row["subject"])))
    return lookup


def indicator_lookup(store: GraphStore) -> Lookup:
    """The indicators of the catalogue and the classes of subject each level admits."""
    lookup = Lookup()
    for row in store.select(named_queries.get("indicators").text):
        info = IndicatorInfo(
            iri=URIRef(row["indicator"]),
            code=str(row["code"]),
            level=str(row["levelName"]),
            label=str(row["label"]),
            criterion=str(row["criterion"]) if "criterion" in row else None,
            denominator=str(row["denominator"]) if "denominator" in row else None,
            lines={k: str(row[f"{k}Text"]) for k in LINE_KEYS if f"{k}Text" in row},
            direction_text=str(row["directionText"]) if "directionText" in row else None,
            data_source=str(row["dataSource"]) if "dataSource" in row else None,
        )
        lookup.indicators[info.code] = info
        for text in {str(row["label"]), str(row.get("checkpoint", row["label"]))}:
            lookup.by_text.setdefault(catalogue.nfkc(text), []).append(info)
    order = [
        ZG.Student,
        ZG.Teacher,
        ZG.Course,
        ZG.Class,
        ZG.Major,
        URIRef("http://www.w3.org/ns/org#OrganizationalUnit"),
        ZG.School,
    ]
    for row in store.select(named_queries.get("level_subject_classes").text):
        lookup.admits.setdefault(str(row["levelName"]), []).append(URIRef(row["class"]))
    for classes in lookup.admits.values():
        classes.sort(key=lambda c: order.index(c) if c in order else len(order))
    return lookup


def _codes_of_class(lookup: Lookup, cls: URIRef) -> set[str]:
    return {code for code, entries in lookup.subjects.items() if any(c == cls for _, c in entries)}


def parse_file(
    store: GraphStore | None,
    path: Path,
    kind: str | None = None,
    period: int | None = None,
    progress: Progress = _quiet,
    lookup: Lookup | None = None,
    indicators: Lookup | None = None,
) -> LoadResult:
    """Read and check one file; return its graphs without touching the store (an observation or
    target file given its ``lookup`` needs no store at all; without one, only the subjects it names
    are read). ``indicators``: the catalogue's indicators as the store holds them now, already read
    (``indicator_lookup``; a server keeps them between uploads)."""
    if kind is not None and kind not in KINDS:
        raise InputError.single(
            f"未知的数据类型「{kind}」（可用：{'、'.join(KINDS)}）",
            f"unknown kind '{kind}' (use one of {', '.join(KINDS)})",
            Location(path.name),
        )
    if kind == "rdf" or (kind is None and rdf.is_rdf(path)):
        progress("解析 RDF / parsing RDF")
        result = rdf.load(path)
        reserved = [
            g
            for g in result.graphs
            if str(g).startswith(GRAPH_BASE) and not str(g).startswith(GRAPH_BASE + "rdf/")
        ]
        if reserved:
            raise InputError.single(
                f"RDF 文件不能写入 zhengai 自己的命名图 {reserved[0]}；请用 zhengai import 恢复备份",
                f"an RDF file may not write zhengai's own graph {reserved[0]}; use zhengai import to restore a backup",
                Location(path.name),
            )
        return result
    progress("读取工作簿 / reading workbook")
    sheets = read_sheets(path)
    if not sheets or all(s.is_blank() for s in sheets):
        raise InputError.single("文件中没有任何数据", "the file holds no data", Location(path.name))
    kind = kind or detect_kind(path, sheets)
    progress(f"检查{KIND_NAMES_ZH[kind]} / checking {kind}")
    if kind == "catalogue":
        lookup = build_lookup(store, base=indicators)
        known = {code: LEVELS[info.level][0] for code, info in lookup.indicators.items()}
        return catalogue.load(sheets, file=path.name, known_codes=known)
    if kind == "matrix":
        return matrix.load(sheets, file=path.name)
    if kind == "org":
        lookup = build_lookup(store, base=indicators)
        return org.load(sheets, file=path.name, known_indicators=set(lookup.indicators) or None)
    if kind == "subjects":
        lookup = build_lookup(store, base=indicators)
        return subjects.load(
            sheets,
            file=path.name,
            known_majors=_codes_of_class(lookup, ZG.Major),
            known_teachers=_codes_of_class(lookup, ZG.Teacher),
        )
    if kind == "actions":
        return ledger.load(store, sheets, path.name)
    if (
        kind in ("observations", "targets")
        and lookup is None
        and sum(len(s.cells) for s in sheets) <= FEW_ROWS
    ):
        codes = subject_codes(sheets, kind)  # a file about a few subjects reads only those
        lookup = build_lookup(store, codes or None, base=indicators)
    lookup = lookup or build_lookup(store, base=indicators)
    if kind == "rules":
        known = {code: info.level for code, info in lookup.indicators.items()}
        return rules.load(sheets, file=path.name, known_indicators=known)
    if kind == "observations":
        return observations.load_observations(sheets, file=path.name, lookup=lookup, period=period)
    return observations.load_targets(sheets, file=path.name, lookup=lookup, period=period)


def provenance(result: LoadResult, path: Path, digest: str, started: dt.datetime) -> Graph:
    """PROV for one load, added to every graph it writes: the graph describes where it came from."""
    ended = dt.datetime.now(dt.UTC)
    g = Graph()
    load = iri("load", digest[:16], started.strftime("%Y%m%dT%H%M%S%fZ"))
    source = iri("file", digest)
    g.add((load, RDF.type, ZG.Load))
    g.add((load, RDF.type, PROV.Activity))
    g.add((load, ZG.loadKind, Literal(result.kind)))
    g.add((load, PROV.used, source))
    g.add((load, PROV.startedAtTime, Literal(started.isoformat(), datatype=XSD.dateTime)))
    g.add((load, PROV.endedAtTime, Literal(ended.isoformat(), datatype=XSD.dateTime)))
    g.add((load, ZG.rowCount, Literal(result.row_count)))
    g.add((load, ZG.loaderVersion, Literal(__version__)))
    g.add((source, RDF.type, ZG.SourceFile))
    g.add((source, ZG.fileName, Literal(path.name)))
    g.add((source, ZG.sha256, Literal(digest)))
    for n, finding in enumerate(result.findings, start=1):
        node = iri("load", digest[:16], started.strftime("%Y%m%dT%H%M%S%fZ"), "finding", n)
        g.add((load, ZG.finding, node))
        g.add((node, RDF.type, ZG.LoadFinding))
        g.add((node, RDFS.comment, Literal(finding.zh, lang="zh")))
        g.add((node, RDFS.comment, Literal(finding.en, lang="en")))
        if finding.location.sheet:
            g.add((node, ZG.sourceSheet, Literal(finding.location.sheet)))
        if finding.location.row is not None:
            g.add((node, ZG.sourceRow, Literal(finding.location.row)))
    return g


def _replaced_sources(store: GraphStore, result: LoadResult, path: Path) -> list[Problem]:
    """Say so when a load replaces a graph that another file filled: its old content goes away."""
    findings = []
    for row in store.select(named_queries.get("graph_provenance").text):
        name = URIRef(row["graph"])
        if name in result.graphs and str(row["fileName"]) != path.name:
            short = str(name).removeprefix(GRAPH_BASE)
            findings.append(
                Problem(
                    f"命名图 {short} 原由「{row['fileName']}」加载，现已整体替换为本文件的内容",
                    f"graph {short} was loaded from '{row['fileName']}'; it is now replaced as a whole by this file",
                    Location(path.name),
                )
            )
    return findings


def load_file(
    store: GraphStore,
    path: Path,
    kind: str | None = None,
    period: int | None = None,
    progress: Progress = _quiet,
) -> LoadReport:
    """Load one file: all of its graphs are replaced, or — on any error — none."""
    return write_read(store, read_file(store, path, kind, period, progress), progress)


@dataclass
class ReadFile:
    """A file read and checked against the store (``read_file``), not yet written."""

    path: Path
    result: LoadResult
    digest: str
    started: dt.datetime
    clock: float  # time.perf_counter() at the start


def read_file(
    store: GraphStore,
    path: Path,
    kind: str | None = None,
    period: int | None = None,
    progress: Progress = _quiet,
    indicators: Lookup | None = None,
) -> ReadFile:
    """The first half of ``load_file``: read and check, writing nothing (raises the file's errors).
    A server does this outside its write lock, and writes with ``write_read`` under it.
    ``indicators``: as for ``parse_file``."""
    path = Path(path)
    clock, started = time.perf_counter(), dt.datetime.now(dt.UTC)
    if not path.exists():
        raise InputError.single("文件不存在", "file does not exist", Location(str(path)))
    digest = sha256_of(path)
    result = parse_file(store, path, kind, period, progress, indicators=indicators)
    return ReadFile(path, result, digest, started, clock)


def write_read(store: GraphStore, read: ReadFile, progress: Progress = _quiet) -> LoadReport:
    """The second half of ``load_file``: write what ``read_file`` read."""
    return write_result(store, read.path, read.result, read.digest, read.started, read.clock, progress)


def write_result(
    store: GraphStore,
    path: Path,
    result: LoadResult,
    digest: str,
    started: dt.datetime,
    started_clock: float,
    progress: Progress = _quiet,
) -> LoadReport:
    """Write what a loader parsed: its graphs, each with the load's PROV, replaced together."""
    if result.kind != "actions":  # a ledger adds to what is recorded; it replaces nothing
        result.findings.extend(_replaced_sources(store, result, path))
    prov = provenance(result, path, digest, started)
    graphs: dict[URIRef, Graph] = {}
    for name, content in result.graphs.items():
        content.add((name, RDF.type, PROV.Entity))
        content.add((name, PROV.wasGeneratedBy, next(iter(prov.subjects(RDF.type, ZG.Load)))))
        content += prov
        graphs[name] = content
    progress(f"写入 {len(graphs)} 个命名图 / writing {len(graphs)} graph(s)")
    if result.kind == "actions":
        store.insert(graphs)
    else:
        store.replace_graphs(graphs)
    if result.kind in assignment.REASSIGNING_KINDS:
        progress("重新确定责任人 / reassigning open gaps")
        changes = assignment.reassign(store, next(iter(prov.subjects(RDF.type, ZG.Load))))  # type: ignore[arg-type]
        if changes:
            result.findings.append(
                Problem(
                    f"{len(changes)} 个未关闭问题的责任人因本次加载而改变，已记录（zhengai owner 问题编号 可查看）",
                    f"{len(changes)} open gap(s) changed owner with this load; each change is recorded (zhengai owner GAP-ID shows it)",
                    Location(path.name),
                )
            )
    return LoadReport(
        file=path.name,
        kind=result.kind,
        graphs={name: len(g) for name, g in graphs.items()},
        rows=result.row_count,
        seconds=time.perf_counter() - started_clock,
        findings=result.findings,
    )


# -- a batch: observation workbooks read in worker processes while the store writes ---------------


AHEAD_KINDS = ("observations", "targets")  # independent of each other once their lookup is read


@dataclass
class _Parsed:
    """What a worker sends back: the loader's result with each graph as N-Triples text."""

    kind: str
    graphs: dict[URIRef, tuple[bytes, int]]
    row_count: int
    findings: list[Problem]
    digest: str
    started: dt.datetime
    seconds: float


def _parse_in_worker(
    path: Path, kind: str, period: int | None, lookup: Lookup
) -> _Parsed | tuple[str, str, list[Problem]]:
    """Parse one file in a worker; its errors come back as (zh, en, problems), rebuilt there."""
    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    try:
        digest = sha256_of(path)
        result = parse_file(None, path, kind, period, lookup=lookup)
    except ZhengaiError as exc:
        return (exc.zh, exc.en, list(exc.problems))
    graphs = {}
    for name, content in result.graphs.items():
        triples = list(triples_of(content))
        graphs[name] = (ntriples(triples, to_ox).encode("utf-8"), len(triples))
    return _Parsed(
        result.kind, graphs, result.row_count, result.findings, digest, started, time.perf_counter() - clock
    )


def _write_parsed(store: GraphStore, path: Path, parsed: _Parsed, progress: Progress = _quiet) -> LoadReport:
    """Write what a worker read and checked (``_parse_in_worker``), as ``load_file`` would have."""
    clock = time.perf_counter()
    graphs = {name: PendingGraph.of_ntriples(text, n) for name, (text, n) in parsed.graphs.items()}
    result = LoadResult(parsed.kind, graphs, parsed.row_count, parsed.findings)  # type: ignore[arg-type]
    return write_result(store, path, result, parsed.digest, parsed.started, clock - parsed.seconds, progress)


def load_files(
    store: GraphStore,
    ordered: Sequence[tuple[Path, str | None]],
    period: int | None = None,
    progress: Callable[[Path], Progress] = lambda _path: _quiet,
    workers: int | None = None,
    min_bytes: int = 4_000_000,
) -> Iterator[tuple[Path, LoadReport | ZhengaiError]]:
    """Load a batch in ``batch_order``, file by file, each atomically as ``load_file`` does.

    Observation and target workbooks (independent of one another once the catalogue and subjects
    before them are loaded) are read and checked in ``workers`` processes (default: the CPUs,
    at most 4) while the store writes the ones before them, when they come to ``min_bytes`` or
    more (starting the workers costs about a second). Yields each file's report or error, in
    order."""
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    ahead = [p for p, k in ordered if k in AHEAD_KINDS and p.exists()]
    if sum(p.stat().st_size for p in ahead) < min_bytes:
        workers = 1
    pool: ProcessPoolExecutor | None = None
    futures: dict[Path, Future[_Parsed | tuple[str, str, list[Problem]]]] = {}
    try:
        for path, kind in ordered:
            if kind in AHEAD_KINDS and workers > 1 and len(ahead) > 1 and pool is None:
                lookup = build_lookup(store)  # everything before the first of them is loaded now
                pool = ProcessPoolExecutor(
                    max_workers=min(workers, len(ahead)), mp_context=get_context("spawn")
                )
                for p, k in ordered:
                    if k in AHEAD_KINDS and p.exists():
                        futures[p] = pool.submit(_parse_in_worker, p, k, period, lookup)
            try:
                parsed = None
                if path in futures:
                    progress(path)("读取并检查（并行）/ reading and checking (in parallel)")
                    parsed = futures.pop(path).result()
                    if isinstance(parsed, tuple):
                        raise InputError(*parsed)
                if parsed is not None:
                    report = _write_parsed(store, path, parsed, progress(path))
                else:
                    report = load_file(store, path, kind, period, progress(path))
            except ZhengaiError as exc:
                yield path, exc
                continue
            yield path, report
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


DEFAULT_MATRIX_NAME = "默认责任矩阵（内置）.csv"


def ensure_matrix(store: GraphStore) -> bool:
    """Load the bundled 五纵五横 matrix when no matrix has been loaded, so that rule 4 and the
    supervising units never come out empty for want of a file; True when it was loaded now. Its
    load names the file 默认责任矩阵（内置）.csv, so ``zhengai stats`` says so."""
    if matrix.GRAPH in store.named_graphs():
        return False
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / DEFAULT_MATRIX_NAME
        path.write_text(read_text("data", "matrix.csv"), encoding="utf-8")
        load_file(store, path, "matrix")
    return True


def batch_order(paths: Sequence[Path], kind: str | None) -> list[tuple[Path, str | None]]:
    """Sort files so the catalogue comes before observations, and so on; detection is cheap."""
    if kind is not None:
        return [(p, kind) for p in paths]
    detected: list[tuple[Path, str | None]] = []
    for p in paths:
        if rdf.is_rdf(p):
            detected.append((p, "rdf"))
            continue
        try:
            detected.append((p, detect_kind(p, read_sheets(p, max_rows=HEADER_SCAN_ROWS))))
        except InputError:
            detected.append((p, None))  # load_file reports it properly, in order
    return sorted(detected, key=lambda pk: LOAD_ORDER.get(pk[1] or "rdf", len(KINDS)))
