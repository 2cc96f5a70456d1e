"""Readers beside a writer: what a query after a write costs with snapshots, against the read-only
open of the live store that the query workers used before (which Oxigraph calls undefined).

    python bench/readers.py --store PATH [--writes 20]

On a copy of the store: ``--writes`` times, one small write (as a push makes), then

- snapshot: ``Store.backup`` to a new folder (a RocksDB checkpoint), ``Store.read_only`` on it, one
  query — what the server now does before the first query after a write;
- live: ``flush`` and ``Store.read_only`` on the store being written, one query — the old way.

Prints the medians and p95 of each, their ratio, how often the live open failed (a file its
compaction had just removed: "Corruption … No such file"), the size of a snapshot on disk (hard links: what
it adds until the store compacts its files away), and whether the two read the same answer.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

QUERY = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/zhengai/graph/bench/readers> { ?s ?p ?o } }"


def count(store: ox.Store) -> int:
    return int(next(iter(store.query(QUERY)))["n"].value)


def added_bytes(folder: Path) -> int:
    """Bytes of the snapshot's files that are not hard links into the store (a copy, not a link)."""
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file() and f.stat().st_nlink == 1)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--writes", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="zhengai-readers-", dir=args.store.parent))
    try:
        copy = work / "store"
        shutil.copytree(args.store, copy, ignore=shutil.ignore_patterns("zhengai.lock"))
        writer = ox.Store(str(copy))
        graph = ox.NamedNode("https://w3id.org/zhengai/graph/bench/readers")
        snapshot_s, live_s, copied = [], [], []
        live_failures = 0
        for n in range(args.writes):
            writer.add(ox.Quad(ox.NamedNode(f"urn:x:{n}"), ox.NamedNode("urn:p"), ox.Literal(n), graph))
            t = time.perf_counter()
            target = work / f"snapshot-{n}"
            writer.backup(str(target))
            seen_snapshot = count(ox.Store.read_only(str(target)))
            snapshot_s.append(time.perf_counter() - t)
            copied.append(added_bytes(target))
            t = time.perf_counter()
            writer.flush()
            for _attempt in range(20):  # the old way retried while the writer's compaction moved files
                try:
                    seen_live = count(ox.Store.read_only(str(copy)))
                    break
                except (OSError, RuntimeError):
                    live_failures += 1
                    time.sleep(0.05)
            live_s.append(time.perf_counter() - t)
            assert seen_snapshot == seen_live == n + 1, (seen_snapshot, seen_live)
            shutil.rmtree(target)
        size = sum(f.stat().st_size for f in copy.iterdir() if f.is_file())
        ms = 1000
        print(f"store {size / 2**30:.2f} GiB; {args.writes} writes, each followed by a query")
        print(
            f"  snapshot + open + query: median {statistics.median(snapshot_s) * ms:.0f} ms, p95 {p95(snapshot_s) * ms:.0f} ms"
        )
        print(f"  live read-only open + query (the old, unsupported way): median {statistics.median(live_s) * ms:.0f} ms, "
              f"p95 {p95(live_s) * ms:.0f} ms")  # fmt: skip
        print(f"  live opens that failed (a file the writer's compaction had just removed): {live_failures}")
        print(f"  ratio snapshot / live: {statistics.median(snapshot_s) / statistics.median(live_s):.2f}×")
        print(
            f"  a snapshot copies {statistics.median(copied) / 2**20:.1f} MiB (the rest are hard links); both read the same"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
