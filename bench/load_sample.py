"""Time loading the sample college into a fresh on-disk store (run: .venv/bin/python bench/load_sample.py).

Prints the time of each file and of the whole batch, and the peak memory of the process, over
``--repeat`` fresh stores; report the median, since these machines are noisy.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from zhengai.loading import batch_order, load_file
from zhengai.store import OxigraphStore

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "data" / "matrix.csv", *sorted((ROOT / "data" / "sample").glob("*.xlsx"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    totals: list[float] = []
    per_file: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            store = OxigraphStore(Path(tmp) / "store")
            for path, kind in batch_order(FILES, None):
                report = load_file(store, path, kind)
                per_file.setdefault(report.file, []).append(report.seconds)
            store.close()
            totals.append(time.perf_counter() - start)
    for name, times in per_file.items():
        print(f"{name:16s} median {statistics.median(times) * 1000:7.1f} ms")
    print(
        f"whole sample     median {statistics.median(totals) * 1000:7.1f} ms  (min {min(totals) * 1000:.1f}, max {max(totals) * 1000:.1f}, n={len(totals)})"
    )
    print(f"peak RSS         {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
