"""Pushed observations on a loaded, diagnosed store (e.g. the large synthetic college).

    python bench/realtime.py --store PATH [--samples 40] [--batch 1000] [--http] [--webhooks 60]

1. In-process, as the server runs a push (one kept ``zhengai.live.Live``): p50 and p95 of one push
   (an observation written, its pair re-checked against the latest run, the gap stored and
   assigned, its event queued); each subject turns red, then meets its standard again, so every
   push changes a gap.
2. One batch of ``--batch`` observations of one course-level indicator, one per course.
3. ``--http``: ``zhengai serve`` on the store, 16 concurrent pushers, and a reader holding
   ``GET /events`` open: p50 and p95 from the POST to its event seen on the stream.
4. ``--webhooks S``: the server delivering to a real receiver that fails 20 % of requests while
   pushers push for S seconds: events stored vs delivered vs duplicates received; 0 lost is the goal.

The store is changed: run it on a copy.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from zhengai import diagnosis, events, live, push, reports
from zhengai.store import OxigraphStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from webhook_receiver import Receiver  # the tests' receiver, shared

CONTEXT = live.Live()  # what a running server keeps between pushes
OFFICE, INGEST = "bench-office-token", "bench-ingest-token"
PUSHERS = 16


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (n={len(ordered)})"


def send(store: OxigraphStore, items: list[dict]) -> push.PushResult:
    sheet, problems = push.items_sheet(items)
    return push.push(store, [sheet], file="bench", system="bench", problems=problems, context=CONTEXT)


def item(indicator: str, subject: str, period: int, value: str, at: str) -> dict:
    return {"indicator": indicator, "subject": subject, "period": period, "value": value, "observed_at": at}


def in_process(store: OxigraphStore, args: argparse.Namespace, majors: list[str], period: int) -> None:
    started = time.perf_counter()
    send(store, [item(args.indicator, majors[-1], period, "50%", "2026-01-01T00:00:00")])
    print(f"first push (reads what the next ones reuse): {time.perf_counter() - started:.2f} s")
    before = events.next_seq(store)
    times: dict[str, list[float]] = {}
    for i in range(args.samples):  # each subject turns red, then meets its standard again
        value = "5%" if i % 2 == 0 else "95%"
        at = f"2026-01-01T00:01:{i % 60:02d}.{i // 60:03d}"
        started = time.perf_counter()
        result = send(store, [item(args.indicator, majors[(i // 2) % len(majors)], period, value, at)])
        took = time.perf_counter() - started
        for change in result.changes or []:
            times.setdefault(change.kind, []).append(took)
        times.setdefault("all", []).append(took)
    print(
        f"one push → gap stored and event queued: {percentiles(times['all'])}; events {events.next_seq(store) - before}"
    )
    for kind, samples in sorted(times.items()):
        if kind != "all":
            print(f"  {kind}: {percentiles(samples)}")


def one_batch(store: OxigraphStore, args: argparse.Namespace, period: int) -> None:
    run = diagnosis.latest_run(store, period)
    assert run is not None
    prefix = args.batch_indicator.split("-", 1)[0]
    courses = sorted(
        {r.subject for r in reports.gap_rows(store, run.graph) if r.indicator.startswith(prefix)}
    )
    items = [item(args.batch_indicator, c, period, "1%", "2026-02-01") for c in courses[: args.batch]]
    started = time.perf_counter()
    result = send(store, items)
    took = time.perf_counter() - started
    print(f"a batch of {len(items)} observations of {args.batch_indicator} ({len(items)} subjects): "
          f"{took:.2f} s, {len(result.changes)} changes")  # fmt: skip


class Server:
    """``zhengai serve`` on the store, on a free port, with an office and an ingest token."""

    def __init__(self, store: Path, *options: str) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "ZHENGAI_TOKENS": f"quality_office:{OFFICE};ingest:{INGEST}:教务系统"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "zhengai.cli", "--store", str(store), "serve", "--host", "127.0.0.1",
             "--port", str(port), *options],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.3)
        raise SystemExit("zhengai serve did not start")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


class Stream:
    """A reader holding GET /events open: when each event arrived."""

    def __init__(self, base: str) -> None:
        last = httpx.get(base + "/events", params={"follow": "false"}, headers=_auth(OFFICE), timeout=60)
        ids = [int(line[4:]) for line in last.text.splitlines() if line.startswith("id: ")]
        self.arrived: list[tuple[float, str, str]] = []  # time, gap, kind
        self.lock = threading.Lock()
        self._stop = False
        self.thread = threading.Thread(target=self._read, args=(base, max([0, *ids])), daemon=True)
        self.thread.start()
        time.sleep(0.5)

    def _read(self, base: str, after: int) -> None:
        with (
            httpx.Client(timeout=None) as client,
            client.stream(
                "GET", base + "/events", params={"after": after}, headers=_auth(OFFICE)
            ) as response,
        ):
            for line in response.iter_lines():
                if self._stop:
                    return
                if line.startswith("data: "):
                    body = json.loads(line[6:])
                    with self.lock:
                        self.arrived.append((time.perf_counter(), body["gap"], body["kind"]))

    def seen(self, gap: str, kind: str, since: float) -> float | None:
        with self.lock:
            return next((t for t, g, k in self.arrived if g == gap and k == kind and t >= since), None)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pusher(base: str, subject: str, indicator: str, period: int, until: float, count: int, out: list) -> None:
    """Pushes to one subject, red then met, in turn: each push is one event."""
    with httpx.Client(timeout=60, headers=_auth(INGEST)) as client:
        n = 0
        while n < count and time.perf_counter() < until:
            value = "5%" if n % 2 == 0 else "95%"
            at = f"2026-04-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
            started = time.perf_counter()
            response = client.post(base + "/observations", json=[item(indicator, subject, period, value, at)])
            out.append(
                (started, time.perf_counter(), response.status_code, response.json().get("changes", []))
            )
            n += 1


def run_pushers(
    base: str, majors: list[str], args: argparse.Namespace, period: int, seconds: float, count: int
) -> list:
    results: list = []
    until = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=pusher, args=(base, majors[k], args.indicator, period, until, count, results))
        for k in range(PUSHERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def over_http(path: Path, args: argparse.Namespace, majors: list[str], period: int) -> None:
    server = Server(path)
    try:
        warm = item(args.indicator, majors[-1], period, "51%", "2026-03-31")
        httpx.post(
            server.base + "/observations", json=[warm], headers=_auth(INGEST), timeout=120
        )  # reads the run once
        stream = Stream(server.base)
        results = run_pushers(server.base, majors, args, period, 600, args.http_pushes)
        time.sleep(2)
        latencies, posts, missing = [], [], 0
        for started, answered, _status, changes in results:
            posts.append(answered - started)
            for change in changes:
                seen = stream.seen(change["id"], change["kind"], started)
                if seen is None:
                    missing += 1
                else:
                    latencies.append(seen - started)
        errors = sum(1 for r in results if r[2] >= 400)
        print(f"over HTTP, {PUSHERS} concurrent pushers: POST answered {percentiles(posts)}; "
              f"POST → event on /events {percentiles(latencies)}; {errors} errors, {missing} events not seen")  # fmt: skip
    finally:
        server.stop()


def webhooks(path: Path, args: argparse.Namespace, majors: list[str], period: int) -> None:
    receiver = Receiver(fail=0.2)
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "subscriptions.toml"
        config.write_text(
            f'[[subscription]]\nname = "bench"\nurl = "{receiver.url}"\nsecret = "s"\nrole = "quality_office"\n',
            encoding="utf-8",
        )
        server = Server(path, "--subscriptions", str(config))
        try:
            first = _event_ids(server.base)
            results = run_pushers(server.base, majors, args, period, args.webhooks, 10**9)
            stored = _event_ids(server.base) - first
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # the outbox drains, retries and all
                with receiver.lock:
                    delivered = {r[0] for r in receiver.received if r[3]}
                if stored <= delivered:
                    break
                time.sleep(1)
            with receiver.lock:
                accepted = [r[0] for r in receiver.received if r[3] and r[0] in stored]
                refused = sum(1 for r in receiver.received if not r[3])
            unique = set(accepted)
            print(f"webhooks, {args.webhooks:g} s of pushes ({len(results)} pushes), receiver failing 20 %: "
                  f"{len(stored)} events stored, {len(unique)} delivered, {len(accepted) - len(unique)} duplicates "
                  f"received (deduplicated by event id), {refused} refused and retried, "
                  f"{len(stored - unique)} lost")  # fmt: skip
        finally:
            server.stop()
            receiver.close()


def _event_ids(base: str) -> set[int]:
    """Every stored event's id (the stream sends at most 1 000 a time: read on until none come)."""
    ids: set[int] = set()
    while True:
        answer = httpx.get(base + "/events", params={"follow": "false", "after": max(ids, default=0)},
                           headers=_auth(OFFICE), timeout=120)  # fmt: skip
        found = {int(line[4:]) for line in answer.text.splitlines() if line.startswith("id: ")}
        if not found - ids:
            return ids
        ids |= found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--indicator", default="ZY-1.4.1-02", help="A graded major indicator.")
    parser.add_argument("--batch-indicator", default="KC-1.1.2-01", help="A course-level indicator.")
    parser.add_argument("--http", action="store_true", help="Also over HTTP, with 16 pushers.")
    parser.add_argument("--http-pushes", type=int, default=10, help="Pushes per pusher over HTTP.")
    parser.add_argument("--webhooks", type=float, default=0, help="Seconds of pushes with webhooks.")
    args = parser.parse_args()
    with OxigraphStore(args.store) as store:
        run = diagnosis.runs(store)[-1]
        rows = reports.gap_rows(store, run.graph)
        majors = sorted({r.subject for r in rows if r.level == "专业"})
        red = {r.subject for r in rows if r.indicator == args.indicator and r.severity != "closed"}
        majors = [m for m in majors if m not in red] + [
            m for m in majors if m in red
        ]  # passing first: new gaps
        print(f"run {run.graph.rsplit('/', 1)[-1]} ({run.period}); {len(majors)} majors")
        if args.samples:
            in_process(store, args, majors, run.period)
        if args.batch:
            one_batch(store, args, run.period)
    if args.http:
        over_http(args.store, args, majors, run.period)
    if args.webhooks:
        webhooks(args.store, args, majors, run.period)


if __name__ == "__main__":
    main()
