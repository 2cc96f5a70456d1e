"""The pages' server time on a loaded, diagnosed store (e.g. the large synthetic college).

    python bench/pages.py --store PATH [--samples 10]

Signs in as the quality office through the real app (in process, no network) and prints p50 and
p95 of: the heatmap of the latest period, the first page of its busiest cell's gaps, and a gap's
page. The first request of each (which fills the service's caches) is reported on its own; it
comes ``--settle`` seconds after the service started (0: at once, before it has read anything).
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from zhengai.api.app import create_app
from zhengai.api.roles import Tokens
from zhengai.api.service import Settings

TOKEN = "bench-office"


def timed(client: TestClient, url: str, samples: int) -> tuple[float, list[float], str]:
    started = time.perf_counter()
    first = client.get(url)
    cold = time.perf_counter() - started
    assert first.status_code == 200, (url, first.status_code, first.text[:500])
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append(time.perf_counter() - started)
    return cold, times, first.text


def show(name: str, cold: float, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"{name}: first {cold * 1000:.0f} ms; then p50 {statistics.median(ordered) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms (n={len(ordered)})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--settle", type=float, default=3.0, help="Seconds between start and first page.")
    args = parser.parse_args()
    tokens = Tokens.from_env_text(f"quality_office:{TOKEN}")
    with tempfile.TemporaryDirectory():
        app = create_app(args.store, Settings(tokens=tokens))
        with TestClient(app) as client:
            form = client.get("/signin")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]  # type: ignore[index]
            client.post("/signin", data={"token": TOKEN, "csrf": csrf}, follow_redirects=False)
            time.sleep(args.settle)  # a service that has been up a moment has read the latest run's rows
            cold, times, page = timed(client, "/", args.samples)
            show("heatmap", cold, times)
            cells = re.findall(
                r'href="(/cell\?[^"]+)" data-cell="[^"]+">\s*<span class="red" title="[^"]+">(\d+)', page
            )
            busiest = max(cells, key=lambda c: int(c[1]))[0].replace("&amp;", "&")
            cold, times, page = timed(client, busiest, args.samples)
            show(f"a cell's gaps, first page ({busiest})", cold, times)
            gap = re.findall(r'href="/gap/([^"]+)" data-gap', page)[0]
            cold, times, _ = timed(client, f"/gap/{gap}", args.samples)
            show(f"a gap's page ({gap})", cold, times)


if __name__ == "__main__":
    main()
