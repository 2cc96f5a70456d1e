"""Ownership and audit timings on a loaded, diagnosed store (e.g. the large synthetic college).

    python bench/ownership.py --store PATH [--samples 200]

Prints p50 and p95 of `owner` for one gap (in-process: the four rule queries bound to the gap,
plus the organisation and context), of `mine` for the unit owning the most gaps (all rules for
every open gap of the run, then the filter), the time of `audit`, of a reassignment, and of a
unit head's first `GET /gaps` (a fresh API service, in-process).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from pathlib import Path

from zhengai import assignment, diagnosis, ownership
from zhengai.audit import audit
from zhengai.store import OxigraphStore


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--period", type=int, help="Diagnose this period first (its gaps are assigned as stored)."
    )
    args = parser.parse_args()
    with OxigraphStore(args.store) as store:
        if args.period is not None:
            t = time.perf_counter()
            diagnosis.diagnose(store, args.period)
            print(
                f"diagnose {args.period} with every gap assigned and stored: {time.perf_counter() - t:.2f}s"
            )
        run = diagnosis.runs(store)[-1]
        stored_answers = assignment.has_assignments(store, run.graph)
        gaps = [
            r["gap"]
            for r in store.select(
                "SELECT ?g ?gap WHERE { GRAPH ?g { ?gap a <http://www.w3.org/ns/shacl#ValidationResult> } }",
                {"g": run.graph},
            )
        ]
        print(
            f"run {run.graph.rsplit('/', 1)[-1]}: {len(gaps)} open gaps; assignments stored: {stored_answers}"
        )
        chosen = random.Random(args.seed).sample(gaps, min(args.samples, len(gaps)))
        for label, answer_of in (
            ("stored", lambda g: assignment.owners(store, run.graph, g)),
            ("resolved", lambda g: ownership.resolve(store, run.graph, g)),
        ):
            times = []
            for gap in chosen:
                t = time.perf_counter()
                assert gap in answer_of(gap)
                times.append(time.perf_counter() - t)
            print(f"owner (one gap, {label}): {percentiles(times)}")
        t = time.perf_counter()
        owners = ownership.resolve(store, run.graph)
        bulk = time.perf_counter() - t
        rules = Counter(o.rule for o in owners.values())
        units = Counter(name for o in owners.values() for _, name in o.units)
        unit, _count = units.most_common(1)[0]
        print(
            f"resolve every gap of the run: {bulk:.2f}s for {len(owners)} gaps; rules {dict(sorted(rules.items()))}"
        )
        mine = []
        for _ in range(20):
            t = time.perf_counter()
            found = assignment.owned(store, run.graph, unit=unit)
            mine.append(time.perf_counter() - t)
        count = len(found) if found is not None else 0
        print(f"mine --unit {unit} ({count} gaps, stored): {percentiles(mine)}")
        mine = []
        for _ in range(3):
            t = time.perf_counter()
            owned = [o for o in ownership.resolve(store, run.graph).values() if ownership.owns(o, unit=unit)]
            mine.append(time.perf_counter() - t)
        print(f"mine --unit {unit} ({len(owned)} gaps, resolved): {percentiles(mine)}")
        t = time.perf_counter()
        report = audit(store)
        print(f"audit: {time.perf_counter() - t:.2f}s, {len(report.findings)} findings")
        if stored_answers:
            t = time.perf_counter()
            changes = assignment.reassign(store)
            print(
                f"reassignment after a reload (no owner changed): {time.perf_counter() - t:.2f}s, {len(changes)} changes"
            )
    first_gaps_request(args.store, unit)


def first_gaps_request(store: Path, unit: str) -> None:
    """A unit head's first GET /gaps on a freshly started service (nothing cached yet)."""
    from fastapi.testclient import TestClient
    from zhengai.api.app import create_app
    from zhengai.api.roles import Tokens
    from zhengai.api.service import Settings

    tokens = Tokens.from_env_text(f"unit_head:bench-head:{unit}")
    with TestClient(create_app(store, Settings(tokens=tokens, query_workers=1))) as client:
        t = time.perf_counter()
        response = client.get("/gaps", params={"limit": 100}, headers={"Authorization": "Bearer bench-head"})
        took = time.perf_counter() - t
        t = time.perf_counter()
        client.get(
            "/gaps", params={"limit": 100, "cursor": 100}, headers={"Authorization": "Bearer bench-head"}
        )
        again = time.perf_counter() - t
    total = response.json().get("total")
    print(
        f"unit head ({unit}) first GET /gaps: {took * 1000:.0f} ms ({total} gaps), next page {again * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
