"""Sustained load: five minutes of mixed traffic on a loaded, diagnosed store, with locust.

    python bench/soak.py --store PATH [--minutes 5] [--users 16] [--warmup 30]

``zhengai serve`` on the store (it is written to: use a copy), then:

1. idle: each request type alone, one at a time (30 each): its p95 on a quiet server;
2. loaded: ``--users`` locust users for ``--minutes`` (bench/soakfile.py): GET /gaps/{id}, GET /gaps,
   GET /indicators, GET /sparql, POST /observations, POST …/measures and POST /loads, mixed;
3. the server's RSS (its process and its query workers) every 5 s throughout.

Prints errors, p95 per request type idle vs loaded (goal: within 2×), and the RSS after the
warm-up and at the end (goal: flat). The figures also go to ``bench/out/soak-*.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
TOKEN = "soak-qo"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> tuple[float, float]:
    """The resident memory of a process and of its children (the query workers), in MiB."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):  # any thread may have started one
        with contextlib.suppress(OSError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return _rss_kib(pid) / 1024, sum(_rss_kib(c) for c in children) / 1024


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def plan(base: str, headers: dict[str, str], folder: Path, data: Path | None) -> Path:
    """What the users ask for: gap ids, (gap, owner) pairs for measures, pairs to push, a file to upload."""
    listing = httpx.get(
        base + "/gaps", params={"limit": 1000, "owners": "true"}, headers=headers, timeout=600
    ).json()
    open_gaps = [g for g in listing["items"] if g["severity"] != "closed"]
    rng = random.Random(5)
    sample = rng.sample(open_gaps, min(400, len(open_gaps)))
    measures = []
    for g in sample[:60]:
        owner = httpx.get(base + f"/gaps/{g['id']}", headers=headers, timeout=60).json().get("owner") or {}
        holders = [h["staff_number"] for p in owner.get("posts", []) for h in p["holders"]]
        if holders:
            measures.append((g["id"], holders[0]))
    # pushes go to other gaps than those read: a push may resolve its gap, and a read of it then
    # rightly answers 404
    read = {g["id"] for g in sample}
    pushes = [{"indicator": g["indicator"], "subject": g["subject"], "period": g["period"]} for g in open_gaps
              if g["value"].endswith("%") and g["id"] not in read][:200]  # fmt: skip
    upload = next((p for p in sorted((data or Path()).glob("年度目标.*"))), None) if data else None
    if upload is None:
        upload = folder / "年度目标.csv"
        upload.write_text("指标,对象,学年,目标值\n", encoding="utf-8")
    file = folder / "plan.json"
    file.write_text(json.dumps({"gaps": [g["id"] for g in sample], "measures": measures, "pushes": pushes,
                                "upload": [upload.name, str(upload)]}, ensure_ascii=False), encoding="utf-8")  # fmt: skip
    return file


IDLE = {
    "GET /gaps/{id}": lambda c, p: c.get(f"/gaps/{random.choice(p['gaps'])}"),
    "GET /gaps": lambda c, p: c.get("/gaps", params={"limit": 50, "severity": "red"}),
    "GET /indicators": lambda c, p: c.get("/indicators", params={"limit": 100}),
    "GET /sparql": lambda c, p: c.get("/sparql", params={"query": _select()}),
    "POST /observations": lambda c, p: c.post("/observations", json={**random.choice(p["pushes"]), "value": "55%",
                                                                    "source": "教务系统", "observed_at": "2026-03-01"}),
    "POST measure": lambda c, p: c.post(f"/gaps/{random.choice(p['measures'])[0]}/measures",
                                        json={"text": "整改", "due": "2099-01-31",
                                              "by": random.choice(p["measures"])[1]}),
}  # fmt: skip


SELECT = """PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?post ?name WHERE { GRAPH <https://w3id.org/zhengai/graph/org> { ?post a org:Post ; rdfs:label ?name } }
ORDER BY ?post LIMIT 20"""


def _select() -> str:
    return SELECT  # (soakfile.py reads it from here: importing locust here would patch this process)


def idle_p95(base: str, headers: dict[str, str], plan_file: Path, n: int = 30) -> dict[str, float]:
    p = json.loads(plan_file.read_text(encoding="utf-8"))
    out = {}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for name, call in IDLE.items():
            if (name == "POST measure" and not p["measures"]) or (
                name == "POST /observations" and not p["pushes"]
            ):
                continue
            times = []
            for _ in range(n):
                t = time.perf_counter()
                call(client, p)
                times.append((time.perf_counter() - t) * 1000)
            out[name] = statistics.quantiles(times, n=20)[18]
        name, path = p["upload"]
        times = []
        for _ in range(max(5, n // 6)):
            t = time.perf_counter()
            client.post("/loads", files={"file": (name, Path(path).read_bytes())})
            times.append((time.perf_counter() - t) * 1000)
        out["POST /loads"] = max(times) if len(times) < 20 else statistics.quantiles(times, n=20)[18]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument(
        "--data", type=Path, help="The college's workbooks (its 年度目标 is what users upload)."
    )
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=30)
    parser.add_argument(
        "--think",
        default="0.05,0.3",
        help="Seconds each user waits between requests: low,high (default 0.05,0.3).",
    )
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ZHENGAI_TOKENS": f"quality_office:{TOKEN}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "zhengai", "--store", str(args.store), "serve", "--port", str(port),
         "--rate-limit", "sparql=0,loads=0,writes=0"],
        env=env, start_new_session=True,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {TOKEN}"}
    samples: list[tuple[float, float, float]] = []  # (seconds, MiB in all, MiB of the server process)
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("zhengai serve did not start")
            time.sleep(0.5)
        started = time.monotonic()

        def sample() -> None:
            while not stop.wait(5):
                own, children = rss_mib(server.pid)
                samples.append((time.monotonic() - started, own + children, own))

        threading.Thread(target=sample, daemon=True).start()
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            plan_file = plan(base, headers, folder, args.data)
            print("idle p95 …", file=sys.stderr)
            idle = idle_p95(base, headers, plan_file)
            loaded_from = time.monotonic() - started
            print(f"{args.users} users for {args.minutes:g} min …", file=sys.stderr)
            seconds = int(args.minutes * 60)
            subprocess.run(
                [sys.executable, "-m", "locust", "-f", str(HERE / "soakfile.py"), "--headless", "--only-summary",
                 "-u", str(args.users), "-r", str(args.users), "-t", f"{seconds}s", "--host", base,
                 "--csv", str(folder / "soak"), "--loglevel", "WARNING"],
                env={**os.environ, "ZHENGAI_SOAK_TOKEN": TOKEN, "ZHENGAI_SOAK_PLAN": str(plan_file),
                     "ZHENGAI_SOAK_THINK": args.think},
                check=False, timeout=seconds + 120,
            )  # fmt: skip
            with open(folder / "soak_stats.csv", encoding="utf-8") as fh:
                stats = {r["Name"]: r for r in csv.DictReader(fh)}
            failures = (folder / "soak_failures.csv").read_text(encoding="utf-8")
    finally:
        stop.set()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    warm = [m for t, m, _ in samples if t >= loaded_from + args.warmup]
    own = [m for t, _, m in samples if t >= loaded_from + args.warmup]
    result = {
        "users": args.users,
        "think_seconds": args.think,
        "minutes": args.minutes,
        "requests": int(stats["Aggregated"]["Request Count"]),
        "errors": int(stats["Aggregated"]["Failure Count"]),
        "per_type": {
            name: {"count": int(r["Request Count"]), "errors": int(r["Failure Count"]), "p95_loaded_ms": float(r["95%"]),
                   "p95_idle_ms": round(idle.get(name, float("nan")), 1)}
            for name, r in stats.items() if name != "Aggregated"
        },
        "rss_mib": {"after_warmup": warm[0] if warm else None, "end": warm[-1] if warm else None,
                    "max": max(warm, default=None), "samples": samples,
                    "server_after_warmup": own[0] if own else None, "server_end": own[-1] if own else None},
    }  # fmt: skip
    print(
        f"{result['requests']:,} requests, {result['errors']} errors ({args.users} users, {args.minutes:g} min)"
    )
    for name, r in sorted(result["per_type"].items()):
        ratio = r["p95_loaded_ms"] / r["p95_idle_ms"] if r["p95_idle_ms"] else float("nan")
        print(f"  {name:>20}: {r['count']:>6} requests, {r['errors']} errors, p95 idle {r['p95_idle_ms']:.0f} ms, "
              f"loaded {r['p95_loaded_ms']:.0f} ms ({ratio:.1f}×)")  # fmt: skip
    rss = result["rss_mib"]
    if warm:
        print(
            f"  RSS after warm-up {rss['after_warmup']:.0f} MiB, at the end {rss['end']:.0f} MiB, max {rss['max']:.0f} MiB"
            f" (the server process alone: {rss['server_after_warmup']:.0f} → {rss['server_end']:.0f} MiB)"
        )
    if result["errors"]:
        print(failures[:3000])
    out = HERE / "out" / f"soak-{args.users}u-{args.think.replace(',', '-')}s.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
