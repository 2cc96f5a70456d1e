"""Pushed observations on a loaded, diagnosed store (e.g. the large synthetic college), in-process.

    python bench/realtime.py --store PATH [--samples 20] [--batch 50]

Prints p50 and p95 of one push (an observation written, its subject re-checked against the latest
run, the gap stored and assigned, its event queued), alternating a failing and a passing value so
every push changes a gap; then the time of one batch of ``--batch`` observations, one per subject.
The store is changed: run it on a copy.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from zhengai import diagnosis, events, live, push, reports
from zhengai.store import OxigraphStore


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (n={len(ordered)})"


CONTEXT = live.Live()  # what a running server keeps between pushes


def send(store: OxigraphStore, items: list[dict]) -> push.PushResult:
    sheet, problems = push.items_sheet(items)
    return push.push(store, [sheet], file="bench", system="bench", problems=problems, context=CONTEXT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--indicator", default="ZY-1.4.1-02", help="A graded major indicator.")
    args = parser.parse_args()
    with OxigraphStore(args.store) as store:
        run = diagnosis.runs(store)[-1]
        majors = sorted({r.subject for r in reports.gap_rows(store, run.graph) if r.level == "专业"})
        print(f"run {run.graph.rsplit('/', 1)[-1]} ({run.period}); {len(majors)} majors")
        warm = {"indicator": args.indicator, "subject": majors[-1], "period": run.period, "value": "50%",
                "observed_at": "2026-01-01T00:00:00"}  # fmt: skip
        t = time.perf_counter()
        send(store, [warm])  # a server reads the run's standards and rows once, at its first push
        print(f"first push (reads what the next ones reuse): {time.perf_counter() - t:.2f} s")
        before = events.next_seq(store)
        times = []
        for i in range(args.samples):  # each subject turns red, then meets its standard again
            item = {"indicator": args.indicator, "subject": majors[i // 2], "period": run.period,
                    "value": "5%" if i % 2 == 0 else "95%", "observed_at": f"2026-01-01T00:01:{i:02d}"}  # fmt: skip
            t = time.perf_counter()
            result = send(store, [item])
            times.append(time.perf_counter() - t)
            assert result.written, result.as_dict()
        print(
            f"one push → gap stored and event queued: {percentiles(times)}; events {events.next_seq(store) - before}"
        )
        items = [
            {
                "indicator": args.indicator,
                "subject": m,
                "period": run.period,
                "value": "5%",
                "observed_at": "2026-02-01",
            }
            for m in majors[args.samples : args.samples + args.batch]
        ]
        t = time.perf_counter()
        result = send(store, items)
        took = time.perf_counter() - t
        print(
            f"a batch of {len(items)} observations ({len(items)} subjects): {took:.2f} s, {len(result.changes)} changes"
        )


if __name__ == "__main__":
    main()
