"""Load the synthetic college, then diagnose its latest period with the fast path and with plain
pyshacl on the same data, in one run. Each phase runs in its own process so its peak memory is
its own.

    python bench/diagnose.py                      # the default large college (generated if absent)
    python bench/diagnose.py --students 2000 --teachers 100 --majors 10 --courses 300 --years 2

Phases:
  load      every workbook through the real loaders into a fresh on-disk store (Excel parse included)
  fast      zhengai diagnose of the latest period: compile the standards, validate (one SPARQL query
            in the store), build gaps, compare with the previous run, store the run
  pyshacl   the same shapes and the same due items (written by the fast phase as N-Triples):
            parse into an in-memory rdflib graph, then pyshacl.validate
The fast and pyshacl result sets are compared (focus node, source shape, severity).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_load(store: Path, data: Path) -> dict[str, object]:
    from zhengai.errors import ZhengaiError
    from zhengai.loading import batch_order, load_files
    from zhengai.store import OxigraphStore

    started = time.perf_counter()
    files = {}
    with OxigraphStore(store) as s:
        t = time.perf_counter()
        ordered = batch_order(sorted([*data.glob("*.xlsx"), *data.glob("*.csv")]), None)
        for path, report in load_files(s, ordered):  # the CLI's batch: observations read in parallel
            if isinstance(report, ZhengaiError):
                raise report
            # the file's own reading and writing, and the wall time until it was written
            files[path.name] = {
                "rows": report.rows,
                "seconds": round(report.seconds, 2),
                "written_after": round(time.perf_counter() - t, 2),
            }
        quads = s.quad_count()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the reading workers
    return {
        "seconds": time.perf_counter() - started,
        "quads": quads,
        "files": files,
        "peak_mib": _peak_mib(),
        "worker_peak_mib": children,
    }


def phase_fast(store: Path, work: Path) -> dict[str, object]:
    import pyoxigraph as ox

    from zhengai import diagnosis
    from zhengai.store import OxigraphStore

    with OxigraphStore(store) as s:
        period = diagnosis.available_periods(s)[-1]
        marks: dict[str, float] = {}
        query_seconds: list[float] = []
        answers: list[list[diagnosis.Result]] = []
        timed = diagnosis.validate_fast

        def validate_timed(*args, **kwargs):  # the run's own call of the query, timed where it runs
            t = time.perf_counter()
            try:
                answers.append(timed(*args, **kwargs))
                return answers[-1]
            finally:
                query_seconds.append(time.perf_counter() - t)

        diagnosis.validate_fast = validate_timed
        started = time.perf_counter()
        try:
            run = diagnosis.diagnose(s, period, progress=lambda m: marks.setdefault(m, time.perf_counter()))
        finally:
            diagnosis.validate_fast = timed
        total = time.perf_counter() - started
        # validation = from the "validating" mark to the next one (it holds the query, reading its
        # results into gaps, and the coverage summary)
        times = sorted(marks.values())
        begin = next(v for m, v in marks.items() if m.startswith("校验"))
        validate = next((v for v in times if v > begin), float("nan")) - begin
        query_only = sum(query_seconds)
        results = answers[0]
        rows = diagnosis.due_items(s, period, run.shapes_graph)
        diagnosis.data_graph(rows).serialize(work / "data.nt", format="nt", encoding="utf-8")
        # the whole period as a plain pyshacl user would feed it: the observation graph plus the
        # due-item typing the shapes target
        observations_nt = s._store.dump(
            format=ox.RdfFormat.N_TRIPLES,
            from_graph=ox.NamedNode(str(diagnosis.graph(f"observations/{period}"))),
        )
        (work / "period.nt").write_bytes(observations_nt + (work / "data.nt").read_bytes())
        s.graph(run.shapes_graph).serialize(work / "shapes.ttl", format="turtle", encoding="utf-8")
        keys = sorted("|".join(map(str, r.key)) for r in results)
        (work / "fast.json").write_text(json.dumps(keys), encoding="utf-8")
        observations = len(s.graph(diagnosis.graph(f"observations/{period}")))
    return {
        "period": period,
        "diagnose_seconds": total,
        "validate_seconds": validate,
        "fast_query_seconds": query_only,
        "gaps": len(run.gaps),
        "closed": len(run.closed),
        "due_items": len(rows),
        "observation_triples": observations,
        "peak_mib": _peak_mib(),
    }


def phase_pyshacl(work: Path, data_file: str) -> dict[str, object]:
    import pyshacl
    from rdflib import Graph
    from rdflib.namespace import RDF

    from zhengai.namespaces import SH

    t = time.perf_counter()
    data = Graph().parse(work / data_file, format="nt")
    shapes = Graph().parse(work / "shapes.ttl", format="turtle")
    parse = time.perf_counter() - t
    t = time.perf_counter()
    _, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=False, allow_warnings=True
    )
    validate = time.perf_counter() - t
    keys = sorted(
        "|".join(
            map(
                str,
                (
                    report.value(r, SH.focusNode),
                    report.value(r, SH.sourceShape),
                    report.value(r, SH.resultSeverity),
                ),
            )
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    )
    same = keys == json.loads((work / "fast.json").read_text(encoding="utf-8"))
    return {
        "parse_seconds": parse,
        "validate_seconds": validate,
        "triples": len(data),
        "results": len(keys),
        "same_results": same,
        "peak_mib": _peak_mib(),
    }


def _child(name: str, *args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--phase", choices=["load", "fast", "pyshacl", "pyshacl-period"], help=argparse.SUPPRESS
    )
    parser.add_argument("--store", type=Path, help="Reuse this loaded store (skips the load phase).")
    parser.add_argument("--data", type=Path, default=HERE / "out" / "large")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--load-only", action="store_true", help="Stop after the load phase.")
    for name, default in (
        ("students", 20000),
        ("teachers", 1000),
        ("majors", 70),
        ("courses", 3000),
        ("years", 5),
    ):
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()

    if args.phase:
        result = {
            "load": lambda: phase_load(args.store, args.data),
            "fast": lambda: phase_fast(args.store, args.work),
            "pyshacl": lambda: phase_pyshacl(args.work, "data.nt"),
            "pyshacl-period": lambda: phase_pyshacl(args.work, "period.nt"),
        }[args.phase]()
        print(json.dumps(result, ensure_ascii=False, default=str))
        return

    work = Path(tempfile.mkdtemp(prefix="zhengai-bench-"))
    if args.store is None:
        if not any(args.data.glob("状态数据-*.xlsx")):
            sizes = [
                f"--{n}={getattr(args, n)}" for n in ("students", "teachers", "majors", "courses", "years")
            ]
            subprocess.run(
                [sys.executable, str(HERE / "generate.py"), *sizes, "--out", str(args.data)], check=True
            )
        store = work / "store"
        print("load …", file=sys.stderr)
        load = _child("load", "--store", str(store), "--data", str(args.data))
        print(
            f"load: {load['seconds']:.1f}s, {load['quads']:,} quads, peak {load['peak_mib']:.0f} MiB"
            f" (each reading worker: at most {load.get('worker_peak_mib', 0):.0f} MiB)"
        )
        for name, f in load["files"].items():  # type: ignore[union-attr]
            print(
                f"  {name}: {f['rows']} rows, {f['seconds']}s, written {f.get('written_after', '?')}s after the start"
            )
        if args.load_only:
            return
    else:
        store = args.store
    print("fast diagnosis …", file=sys.stderr)
    fast = _child("fast", "--store", str(store), "--work", str(work))
    print(
        f"fast ({fast['period']}): diagnose {fast['diagnose_seconds']:.2f}s (validation {fast['validate_seconds']:.2f}s, "
        f"of which the SPARQL query {fast['fast_query_seconds']:.2f}s, timed inside the same run); "
        f"{fast['due_items']:,} due items, "
        f"{fast['observation_triples']:,} observation triples, {fast['gaps']:,} gaps, {fast['closed']:,} closed; "
        f"peak {fast['peak_mib']:.0f} MiB"
    )
    refs = {}
    for name, what in (("pyshacl", "the due items"), ("pyshacl-period", "the whole period graph")):
        print(f"{name} …", file=sys.stderr)
        ref = refs[name] = _child(name, "--work", str(work))
        print(
            f"{name} on {what}: parse {ref['parse_seconds']:.2f}s + validate {ref['validate_seconds']:.2f}s on "
            f"{ref['triples']:,} triples; {ref['results']:,} results, same as fast: {ref['same_results']}; "
            f"peak {ref['peak_mib']:.0f} MiB"
        )
    for name, ref in refs.items():
        v = ref["validate_seconds"] / fast["validate_seconds"]  # type: ignore[operator]
        pv = (ref["parse_seconds"] + ref["validate_seconds"]) / fast["validate_seconds"]  # type: ignore[operator]
        whole = (ref["parse_seconds"] + ref["validate_seconds"]) / fast["diagnose_seconds"]  # type: ignore[operator]
        print(
            f"ratio {name}: validate / fast validation {v:.1f}×; parse+validate / fast validation {pv:.1f}×; "
            f"parse+validate / whole fast diagnose (incl. storing the run) {whole:.1f}×"
        )


if __name__ == "__main__":
    main()
