"""Requests per second and latency of the API on a loaded, diagnosed store, measured with locust.

    python bench/api.py --store PATH [--users 16] [--seconds 30]

Starts ``zhengai serve`` on a free 127.0.0.1 port over the store, picks open gaps of the latest
run, then runs locust (headless, on loopback, bounded in time) twice: ``GET /gaps/{id}`` on random
gaps, and a simple SELECT on ``/sparql``. Prints requests/s, p50, p95 and failures for each.
Needs the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
TOKEN = "bench-quality-office"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(base: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("zhengai serve stopped before it answered")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    sys.exit("zhengai serve did not answer in time")


def run_locust(base: str, tag: str, users: int, seconds: int, folder: Path) -> dict[str, str]:
    prefix = folder / tag
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "--only-summary",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--host",
            base,
            "--tags",
            tag,
            "--csv",
            str(prefix),
            "--loglevel",
            "WARNING",
        ],
        check=False,
        timeout=seconds + 60,
    )
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        return next(r for r in csv.DictReader(fh) if r["Name"] != "Aggregated")


PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?s (<urn:p>|!<urn:p>)* ?o }"


def runaway_check(base: str, headers: dict[str, str]) -> None:
    """The pathological query stops at the time limit while other requests are served."""
    answer: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        response = httpx.get(base + "/sparql", params={"query": PATHOLOGICAL}, headers=headers, timeout=600)
        answer.update(
            status=response.status_code, code=response.json().get("code"), seconds=time.monotonic() - started
        )

    thread = threading.Thread(target=runaway)
    thread.start()
    latencies = []
    while thread.is_alive():
        started = time.monotonic()
        httpx.get(base + "/gaps", params={"limit": 1}, headers=headers, timeout=60)
        latencies.append(time.monotonic() - started)
        time.sleep(0.2)
    thread.join()
    print(
        f"pathological {PATHOLOGICAL!r}: HTTP {answer['status']} {answer['code']} after {answer['seconds']:.1f} s; "
        f"meanwhile {len(latencies)} GET /gaps answered, slowest {max(latencies, default=0) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--query-workers", type=int, default=2)
    parser.add_argument("--query-timeout", type=float, default=10.0)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ZHENGAI_TOKENS": f"quality_office:{TOKEN}"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zhengai.cli",
            "--store",
            str(args.store),
            "serve",
            "--port",
            str(port),
            "--query-workers",
            str(args.query_workers),
            "--query-timeout",
            str(args.query_timeout),
        ],
        env=env,
        start_new_session=True,
    )
    try:
        wait_for(base, server)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        listing = httpx.get(base + "/gaps", params={"limit": 1000}, headers=headers, timeout=300).json()
        ids = [g["id"] for g in listing["items"] if g["severity"] != "closed"]
        print(f"run {listing['run']}: {listing['total']} gaps; sampling from {len(ids)}")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            gap_file = folder / "gaps.txt"
            gap_file.write_text("\n".join(random.Random(1).sample(ids, min(500, len(ids)))), encoding="utf-8")
            os.environ.update({"ZHENGAI_BENCH_TOKEN": TOKEN, "ZHENGAI_BENCH_GAPS": str(gap_file)})
            for tag, label in (("gap", "GET /gaps/{id}"), ("sparql", "GET /sparql (simple SELECT)")):
                stats = run_locust(base, tag, args.users, args.seconds, folder)
                print(
                    f"{label}: {float(stats['Requests/s']):.1f} req/s, p50 {stats['50%']} ms, "
                    f"p95 {stats['95%']} ms, {stats['Failure Count']} failures of {stats['Request Count']} "
                    f"({args.users} users, {args.seconds} s)"
                )
        runaway_check(base, headers)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
