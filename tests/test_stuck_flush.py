"""A RocksDB flush that never returns must not hang a command or the server.

RocksDB's manual flush waits, with no time limit, until the memtables it switched are flushed; with
Oxigraph's settings (``min_write_buffer_number_to_merge`` = 2) that wait can last forever once the
last write is in (RocksDB issues 12094, 12166, 13280) — seen once at the end of a large load, every
thread idle in RocksDB. The store no longer calls it when a command ends (it fsyncs the write-ahead
log instead), and the one flush the server cannot avoid — a checkpoint's, for the query workers'
snapshot — is waited for with a time limit, on a thread of its own, apart from the writes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from zhengai.api.query_workers import Job, QueryBusy, QueryPool, Snapshots

from zhengai.namespaces import graph
from zhengai.store import OxigraphStore
from zhengai.store.embedded import sync_log

P = URIRef("https://w3id.org/zhengai/ont#n")


def _one(value: str) -> Graph:
    g = Graph()
    g.add((URIRef("https://w3id.org/zhengai/id/x"), P, Literal(value)))
    return g


def test_closing_a_store_never_calls_the_manual_flush(tmp_path: Path) -> None:
    calls: list[str] = []
    store = OxigraphStore(tmp_path / "store")
    inner = store._store

    class Watched:  # the real store; only its manual flush is counted
        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

        def flush(self) -> None:
            calls.append("flush")
            inner.flush()

    store._store = Watched()  # type: ignore[assignment]
    store.replace_graphs({graph("test/a"): _one("甲")})
    store.flush()
    store.close()
    inner = None  # the last reference to the real store: it closes
    assert calls == []
    with OxigraphStore(tmp_path / "store") as again:  # the write-ahead log replayed on opening
        assert again.graph(graph("test/a")).value(URIRef("https://w3id.org/zhengai/id/x"), P) == Literal("甲")


KILLED_AFTER_CLOSE = """
import os, signal, sys
from rdflib import Graph, Literal, URIRef
from zhengai.store import OxigraphStore
from zhengai.namespaces import graph
store = OxigraphStore(sys.argv[1])
g = Graph()
g.add((URIRef("https://w3id.org/zhengai/id/x"), URIRef("https://w3id.org/zhengai/ont#n"), Literal("乙")))
store.replace_graphs({graph("test/a"): g})
store.close()
os.kill(os.getpid(), signal.SIGKILL)  # no clean exit: what the store holds is what the log holds
"""


def test_a_write_survives_a_kill_right_after_the_command_ends(tmp_path: Path) -> None:
    path = tmp_path / "store"
    run = subprocess.run([sys.executable, "-c", KILLED_AFTER_CLOSE, str(path)], timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert any(path.glob("*.log")), "the write is in the write-ahead log"
    with OxigraphStore(path) as store:
        assert store.graph(graph("test/a")).value(URIRef("https://w3id.org/zhengai/id/x"), P) == Literal("乙")


def test_sync_log_fsyncs_every_log_file_and_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = OxigraphStore(tmp_path / "store")
    store.replace_graphs({graph("test/a"): _one("丙")})
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    sync_log(tmp_path / "store")
    logs = {str(p.resolve()) for p in (tmp_path / "store").glob("*.log")}
    assert logs and logs <= set(synced)
    assert str((tmp_path / "store").resolve()) in synced
    monkeypatch.undo()
    store.close()


QUERY = Job("ASK { ?s ?p ?o }", "application/sparql-results+json", None, None, 10)


def test_a_stuck_snapshot_answers_busy_and_never_holds_up_a_write(tmp_path: Path) -> None:
    """The pool's snapshot is taken by the real checkpoint, except that the first one blocks, as a
    checkpoint's flush can: a query waits at most its time limit and gets QueryBusy (503); the
    write path's ``refresh`` returns at once meanwhile; a second query waits for the same snapshot
    rather than starting another; once it comes, queries are answered again by real workers."""
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.replace_graphs({graph("test/a"): _one("丁")})
    release, started = threading.Event(), []

    def make(target: Path) -> None:
        started.append(target)
        if len(started) == 1:
            release.wait(60)  # a checkpoint whose flush does not return
        store.snapshot(target)

    pool = QueryPool(Snapshots(make, path), size=1, timeout=1.5)
    try:
        clock = time.monotonic()
        with pytest.raises(QueryBusy) as busy:
            pool.run(QUERY)
        assert 1.0 < time.monotonic() - clock < 5.0
        assert "snapshot" in busy.value.en and "快照" in busy.value.zh
        clock = time.monotonic()
        pool.refresh()  # what every write calls: it must not wait for the snapshot
        assert time.monotonic() - clock < 0.1
        with pytest.raises(QueryBusy):
            pool.run(QUERY)
        assert len(started) == 1  # the second query waited for the same snapshot
        release.set()
        deadline = time.monotonic() + 20
        while True:  # the late snapshot is of an older generation: the next query takes a new one
            try:
                answer = pool.run(QUERY)
                break
            except QueryBusy:
                assert time.monotonic() < deadline
        assert b"true" in answer
        assert len(started) == 2
    finally:
        release.set()
        pool.close()
        store.close()


def test_a_checkpoint_that_loses_a_race_is_taken_again(tmp_path: Path) -> None:
    """A checkpoint can fail when a compaction removes a file it is linking: the snapshot is taken
    again, and the failed one's half-written folder removed; three failures in a row are an error."""
    from zhengai.errors import StoreError

    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.replace_graphs({graph("test/a"): _one("戊")})
    failures = [1]

    def make(target: Path) -> None:
        if failures:
            failures.pop()
            target.with_name(target.name + ".tmp").mkdir()
            raise StoreError("写入数据存储失败", "IO error: No such file or directory: while link file")
        store.snapshot(target)

    snapshots = Snapshots(make, path)
    try:
        taken = snapshots.take()
        assert (taken / "CURRENT").exists() and sorted(p.name for p in snapshots.root.iterdir()) == [
            taken.name
        ]
        failures[:] = [1, 1, 1]
        with pytest.raises(StoreError):
            snapshots.take()
        assert sorted(p.name for p in snapshots.root.iterdir()) == [taken.name]
    finally:
        snapshots.close()
        store.close()


TRIM = """
import sys
from rdflib import Graph, Literal, URIRef
from zhengai.namespaces import graph
from zhengai.store import OxigraphStore
from zhengai.store.embedded import release_freed_memory

def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) // 1024

store = OxigraphStore(sys.argv[1])
start = rss()
for n in range(8):  # graphs replaced again and again: the memtables grow
    g = Graph()
    for i in range(8000):
        g.add((URIRef(f"https://w3id.org/zhengai/id/x/{i}"), URIRef("https://w3id.org/zhengai/ont#n"), Literal(f"{n}-{i}" * 8)))
    store.replace_graphs({graph("test/a"): g})
del g
store.snapshot(sys.argv[2])  # a query's snapshot: its checkpoint flushes the memtables
grown = rss()
released = release_freed_memory()
print(start, grown, rss(), released)
store.close()
"""


def test_memory_the_flushed_memtables_held_goes_back_to_the_system(tmp_path: Path) -> None:
    """A server's snapshots flush RocksDB's memtables; glibc kept what they had held until it is
    asked to give it back (the soak's growing memory, traced to uploads replacing their graphs)."""
    run = subprocess.run(
        [sys.executable, "-c", TRIM, str(tmp_path / "store"), str(tmp_path / "snapshot")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    start, grown, after, released = run.stdout.split()
    assert released == "True"
    assert int(grown) - int(start) > 30, run.stdout  # the writes grew the process
    assert int(grown) - int(after) > 20, run.stdout  # and most of it went back
