"""A region on Oxigraph server: 40 synthetic colleges of mixed sizes, loaded, diagnosed and asked.

    python bench/region.py                       # 40 colleges (generated once into bench/out/region)
    python bench/region.py --colleges 4 --scale 0.05   # a small trial

Each college is written by bench/generate.py at a share of the large college's size (cycling
through --sizes), loaded through the real loaders into its own prefix of one Oxigraph server
(``zhengai --store URL --college CODE load …``), and its latest period diagnosed. Then:

- ``owner`` over HTTP: ``zhengai serve --college`` of the largest college, GET /gaps/{id} (the gap with its full owner) of
  random open gaps (p50, p95; goal p95 ≤ 100 ms);
- the cross-college comparison of one indicator (``zhengai.region.compare``; goal ≤ 2 s), in
  process and over HTTP as the region role;
- the server's memory (RSS) and disk.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

LARGE = {"students": 20000, "teachers": 1000, "majors": 70, "courses": 3000}


def _generate(folder: Path, share: float, seed: int, years: int) -> list[str]:
    import generate

    if folder.exists() and any(folder.glob("状态数据-*.xlsx")):
        return sorted(str(p) for p in folder.iterdir())
    sizes = {k: max(2 if k == "majors" else 10, int(v * share)) for k, v in LARGE.items()}
    args = argparse.Namespace(**sizes, years=years, seed=seed, plants=True, silent_level=None)
    return [str(p) for p in generate.College(args).write(folder)]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _du_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1024 / 1024


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--colleges", type=int, default=40)
    parser.add_argument("--sizes", default="0.05,0.1,0.15,0.2,0.25,0.3", help="Shares of the large college.")
    parser.add_argument("--scale", type=float, default=1.0, help="Multiplies every share (a trial: 0.05).")
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "region")
    parser.add_argument("--samples", type=int, default=60, help="owner requests over HTTP")
    parser.add_argument("--indicator", default="ZY-1.4.1-02")
    args = parser.parse_args()

    from sparql_servers import OxigraphServer

    from zhengai import diagnosis, region
    from zhengai.errors import ZhengaiError
    from zhengai.loading import batch_order, load_files
    from zhengai.store import CollegeStore, RemoteStore

    shares = [float(s) * args.scale for s in args.sizes.split(",")]
    plan = [(f"C{n + 1:03d}", shares[n % len(shares)], 100 + n) for n in range(args.colleges)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        files = dict(
            zip(
                [code for code, _, _ in plan],
                pool.map(_generate, [args.out / code for code, _, _ in plan], [s for _, s, _ in plan],
                         [seed for _, _, seed in plan], [args.years] * len(plan)),
                strict=True,
            )
        )  # fmt: skip
    print(
        f"generated {len(plan)} colleges in {time.perf_counter() - started:.0f} s (reused when present)",
        flush=True,
    )

    work = Path(tempfile.mkdtemp(prefix="zhengai-region-"))
    server = OxigraphServer(work).start()
    figures: dict[str, object] = {"colleges": len(plan)}
    try:
        base = RemoteStore(server.url, env=server.env)
        load_seconds: dict[str, float] = {}
        t0 = time.perf_counter()
        for code, share, _ in plan:
            t = time.perf_counter()
            view = CollegeStore(base, code)
            for path, report in load_files(view, batch_order([Path(p) for p in files[code]], None)):
                if isinstance(report, ZhengaiError):
                    raise SystemExit(f"{code} {path.name}: {report}")
            load_seconds[code] = time.perf_counter() - t
            print(f"  {code} (share {share:.2f}) loaded in {load_seconds[code]:.1f} s", flush=True)
        figures["load_seconds"] = time.perf_counter() - t0
        figures["quads"] = base.quad_count()
        print(f"region loaded: {figures['quads']:,} quads in {figures['load_seconds']:.0f} s", flush=True)

        diag: dict[str, float] = {}
        gaps: dict[str, int] = {}
        for code, _, _ in plan:
            view = CollegeStore(base, code, ensure_ontology=False)
            period = diagnosis.available_periods(view)[-1]
            t = time.perf_counter()
            run = diagnosis.diagnose(view, period)
            diag[code] = time.perf_counter() - t
            gaps[code] = len(run.gaps)
            print(f"  {code} diagnosed {period} in {diag[code]:.1f} s: {gaps[code]:,} gaps", flush=True)
        figures["diagnose_seconds"] = {
            "min": min(diag.values()), "median": statistics.median(diag.values()), "max": max(diag.values()),
            "total": sum(diag.values()),
        }  # fmt: skip

        t = time.perf_counter()
        compared = region.compare(base, args.indicator)
        figures["compare_in_process_seconds"] = time.perf_counter() - t
        figures["compare_colleges_with_gaps"] = sum(1 for c in compared if c.gaps)

        largest = max(plan, key=lambda p: p[1])[0]
        view = CollegeStore(base, largest, ensure_ontology=False)
        run = diagnosis.runs(view)[-1]
        from zhengai import reports

        ids = [r.id for r in reports.gap_rows(view, run.graph) if r.severity != "closed"]
        random.Random(1).shuffle(ids)
        tokens = work / "tokens.toml"
        tokens.write_text(
            '[[token]]\nrole = "quality_office"\ntoken = "qo"\n\n[[token]]\nrole = "region"\ntoken = "region"\n',
            encoding="utf-8",
        )
        figures.update(_over_http(server, largest, tokens, ids[: args.samples], args.indicator))
        figures["server_rss_mib"] = _rss_mib(server.process.pid)  # type: ignore[union-attr]
        figures["server_disk_mib"] = _du_mib(work / "db")
        base.close()
    finally:
        server.stop()
    print(json.dumps(figures, ensure_ascii=False, indent=2, default=float))


def _over_http(server, college: str, tokens: Path, ids: list[str], indicator: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    import httpx
    from sparql_servers import free_port

    port = free_port()
    env = {**os.environ, **server.env, "ZHENGAI_COLLEGE": college}
    process = subprocess.Popen(
        [sys.executable, "-m", "zhengai.cli", "--store", server.url, "serve", "--port", str(port),
         "--tokens", str(tokens)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(headers={"Authorization": "Bearer qo"}, timeout=60) as client:
            client.get(f"{url}/gaps/{ids[0]}")  # the first request reads the run's rows
            times = []
            for gap in ids:
                t = time.perf_counter()
                answer = client.get(f"{url}/gaps/{gap}")  # the gap with its full owner
                times.append((time.perf_counter() - t) * 1000)
                if answer.status_code != 200:
                    raise SystemExit(f"GET /gaps/{gap}: {answer.status_code} {answer.text[:300]}")
        with httpx.Client(headers={"Authorization": "Bearer region"}, timeout=120) as client:
            t = time.perf_counter()
            client.get(f"{url}/region/compare", params={"indicator": indicator}).raise_for_status()
            compare_http = time.perf_counter() - t
        return {
            "owner_http_ms": {"p50": _pct(times, 0.5), "p95": _pct(times, 0.95), "samples": len(times)},
            "compare_http_seconds": compare_http,
        }
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
