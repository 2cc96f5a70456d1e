"""Fast loads: a batch reads its observation workbooks in worker processes, and a large graph
that does not exist yet is written in bulk under a journal. Same content as the one-by-one load;
a SIGKILL in the middle of the bulk write leaves the store as it was before the load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import MATRIX, SAMPLE, SAMPLE_FILES
from openpyxl import load_workbook
from rdflib import Literal, URIRef

from zhengai.errors import InputError
from zhengai.loading import batch_order, load_file, load_files
from zhengai.namespaces import graph
from zhengai.store import OxigraphStore
from zhengai.store.pending import PendingGraph

BATCH = [*SAMPLE_FILES, SAMPLE / "预警规则.csv"]


def _data(store: OxigraphStore) -> set[tuple]:
    """Every quad but provenance (its times and load ids differ between two loads)."""
    load = "https://w3id.org/zhengai/id/load/"
    return {q for q in store.quads() if not str(q[0]).startswith(load) and not str(q[2]).startswith(load)}


def test_a_batch_read_in_parallel_writes_what_one_by_one_writes(tmp_path: Path) -> None:
    one = OxigraphStore(tmp_path / "one")
    for path, kind in batch_order(BATCH, None):
        load_file(one, path, kind)
    many = OxigraphStore(tmp_path / "many")
    seen = list(load_files(many, batch_order(BATCH, None), workers=2, min_bytes=0))
    assert all(not isinstance(r, Exception) for _, r in seen), seen
    assert [p.name for p, _ in seen] == [p.name for p, _ in batch_order(BATCH, None)]
    assert _data(many) == _data(one)
    assert len(many.named_graphs()) == len(one.named_graphs())


def test_a_bad_workbook_read_by_a_worker_is_refused_with_its_row(tmp_path: Path) -> None:
    wb = load_workbook(SAMPLE / "状态数据.xlsx")
    wb.active.append(["ZY-9.9.9-99", "510202", 2025, 0.5, None, None, "教务系统", "2026-06-30"])
    bad = tmp_path / "状态数据-坏.xlsx"
    wb.save(bad)
    store = OxigraphStore(tmp_path / "store")
    files = [MATRIX, *sorted(p for p in SAMPLE.glob("*.xlsx") if p.name != "状态数据.xlsx"), bad]
    seen = dict(load_files(store, batch_order(files, None), workers=2, min_bytes=0))
    refused = seen[bad]
    assert isinstance(refused, InputError)
    assert "ZY-9.9.9-99" in str(refused) and refused.problems[0].location.row == wb.active.max_row
    assert graph("observations/2025") not in store.named_graphs()
    assert not isinstance(seen[SAMPLE / "年度目标.xlsx"], Exception)


KILLED_MID_BULK = """
import os, signal, sys
from rdflib import Literal, URIRef
from zhengai.store import OxigraphStore
from zhengai.store.pending import PendingGraph
from zhengai.namespaces import graph

store = OxigraphStore(sys.argv[1])
big = PendingGraph()
for i in range(60_000):
    big.add((URIRef(f"https://w3id.org/zhengai/id/x/{i}"), URIRef("https://w3id.org/zhengai/ont#n"), Literal(i)))
inner = store._store

class Dying:  # the real store, killed with SIGKILL half-way through the bulk write
    def __getattr__(self, name):
        return getattr(inner, name)

    def bulk_extend(self, quads):
        def half():
            for n, q in enumerate(quads):
                if n == 30_000:
                    inner.flush()
                    os.kill(os.getpid(), signal.SIGKILL)
                yield q
        inner.bulk_extend(half())

store._store = Dying()
small = PendingGraph()
small.add((URIRef("https://w3id.org/zhengai/id/y"), URIRef("https://w3id.org/zhengai/ont#n"), Literal("新")))
store.replace_graphs({graph("test/big"): big, graph("test/small"): small})
"""


def test_a_bulk_write_killed_half_way_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with OxigraphStore(path) as store:
        old = PendingGraph()
        old.add(
            (URIRef("https://w3id.org/zhengai/id/y"), URIRef("https://w3id.org/zhengai/ont#n"), Literal("旧"))
        )
        store.replace_graphs({graph("test/small"): old})
        before = set(store.quads())
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_MID_BULK), str(path)], capture_output=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    with OxigraphStore(path) as store:  # opening recovers: the journal's graphs are dropped
        assert set(store.quads()) == before
        assert graph("journal") not in store.named_graphs()
        assert graph("test/big") not in store.named_graphs()
    with OxigraphStore(path) as store:  # and the same load, not interrupted, then lands whole
        big = PendingGraph()
        for i in range(25_000):
            big.add(
                (
                    URIRef(f"https://w3id.org/zhengai/id/x/{i}"),
                    URIRef("https://w3id.org/zhengai/ont#n"),
                    Literal(i),
                )
            )
        store.replace_graphs({graph("test/big"): big})
        assert len(store.graph(graph("test/big"))) == 25_000
        assert graph("journal") not in store.named_graphs()
    assert os.path.exists(path)
