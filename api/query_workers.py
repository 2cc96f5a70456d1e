"""SPARQL queries run in worker processes that can be stopped.

pyoxigraph has no query timeout and evaluates in native code, so a runaway query can only be
stopped by ending the process that runs it. A query that passes its time limit has its worker
killed and replaced, and the caller gets a clear error; other requests are served meanwhile by
the other workers and by the server itself.

What the workers read: never the store the server writes (Oxigraph calls a read-only open beside
a writing process undefined behaviour), but a **snapshot** of it (``Snapshots``): a RocksDB
checkpoint the server makes with ``Store.backup`` — hard links to the store's immutable files, a
few milliseconds — which nobody writes, and which ``Store.read_only`` opens as documented. After
a write the server calls :meth:`QueryPool.refresh`; the next query makes one new snapshot (a burst
of pushes costs one), the workers open it, and a snapshot no worker reads any more is deleted.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from zhengai.errors import QueryError, StoreTimeout, ZhengaiError
from zhengai.store import RemoteStore
from zhengai.store.embedded import release_freed_memory

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


class QueryTimeout(ZhengaiError):
    code = "query_timeout"


class QueryTooLarge(ZhengaiError):
    code = "query_too_large"


class QueryBusy(ZhengaiError):
    code = "query_busy"


@dataclass(frozen=True)
class Job:
    query: str
    media_type: str
    default_graph: tuple[str, ...] | None  # None: the union of every named graph
    named_graphs: tuple[str, ...] | None  # None: every named graph
    row_limit: int
    base_iri: str | None = None  # what relative IRIs in the query resolve against (the endpoint)


# -- in the worker ---------------------------------------------------------------------------------


def _term_json(term: object) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {k: _term_json(getattr(term, k)) for k in ("subject", "predicate", "object")},
        }
    raise TypeError(f"unexpected term {term!r}")


def _too_many(limit: int) -> tuple[str, str, str, str]:
    return (
        "error",
        QueryTooLarge.code,
        f"结果超过 {limit} 行的上限：请加 LIMIT 或缩小查询范围",
        f"the result has more than {limit} rows, the limit: add a LIMIT or narrow the query",
    )


def execute(
    store: ox.Store | RemoteStore, job: Job, **options: object
) -> tuple[str, ...] | tuple[str, bytes]:
    """Run one job; return ("ok", body) or ("error", code, zh, en)."""
    if job.default_graph is None:
        options["use_default_graph_as_union"] = True
    else:
        options["default_graph"] = [ox.NamedNode(g) for g in job.default_graph]
    if job.named_graphs is not None:
        options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    text = job.query
    if job.base_iri is not None:
        if isinstance(store, ox.Store):
            options["base_iri"] = job.base_iri
        else:  # a server resolves against its own address unless the query says otherwise
            text = f"BASE <{job.base_iri}>\n{text}"
    try:
        result = store.query(text, **options)
        if isinstance(result, ox.QueryBoolean):
            return ("ok", result.serialize(format=RESULT_FORMATS[job.media_type]))
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            rows = []
            for solution in result:
                if len(rows) == job.row_limit:
                    return _too_many(job.row_limit)
                rows.append({n: _term_json(solution[n]) for n in names if solution[n] is not None})
            body = json.dumps(
                {"head": {"vars": names}, "results": {"bindings": rows}}, ensure_ascii=False
            ).encode("utf-8")
            if job.media_type != "application/sparql-results+json":
                parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
                body = parsed.serialize(format=RESULT_FORMATS[job.media_type])
            return ("ok", body)
        triples = []
        for triple in result:
            if len(triples) == job.row_limit:
                return _too_many(job.row_limit)
            triples.append(triple)
        return ("ok", ox.serialize(triples, format=GRAPH_FORMATS[job.media_type]) or b"")
    except SyntaxError as exc:
        return ("error", QueryError.code, f"SPARQL 语法错误：{exc}", f"SPARQL syntax error: {exc}")
    except (OSError, RuntimeError, ValueError) as exc:
        return ("error", QueryError.code, f"查询无法执行：{exc}", f"the query cannot run: {exc}")


def serve_jobs(jobs: Connection, answers: Connection) -> None:
    """The worker's loop: read (snapshot, job), answer, until the server closes the pipe."""
    store: ox.Store | None = None
    opened = ""
    while True:
        try:
            snapshot, job = jobs.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            if store is None or snapshot != opened:
                store = None  # the previous snapshot's files are let go first
                store = ox.Store.read_only(snapshot)
                opened = snapshot
            answers.send(execute(store, job))
        except (OSError, RuntimeError) as exc:  # the snapshot could not be opened or read
            store = None
            answers.send(
                ("error", "store_error", f"无法读取数据存储：{exc}", f"cannot read the store: {exc}")
            )


TRIM_EVERY = 5.0  # seconds: a server hands freed memory back at most this often


class Snapshots:
    """Consistent copies of the server's store for the query workers, in ``.{name}.snapshots/``
    beside it (the same filesystem, so a checkpoint hard-links the store's files)."""

    def __init__(self, make: Callable[[Path], None], store_path: Path) -> None:
        self._make = make
        self.root = store_path.parent / f".{store_path.name}.snapshots"
        shutil.rmtree(self.root, ignore_errors=True)  # a killed server's (the store's lock is ours)
        self.root.mkdir(parents=True)
        self._count = 0
        self.current: Path | None = None
        self.pending: Path | None = None
        self._trimmed = 0.0  # when freed memory was last handed back
        self.seconds: list[float] = []  # how long each snapshot took (for the benchmark)

    def take(self, attempts: int = 3) -> Path:
        """A new snapshot; a checkpoint that fails is tried again (``attempts`` in all): RocksDB
        can lose the race between listing the live files and hard-linking one that a compaction
        has just removed ("No such file … while link file", seen once in a 5-minute soak)."""
        for attempt in range(attempts):
            self._count += 1
            target = self.root / str(self._count)
            self.pending = target  # being written: not pruned meanwhile
            started = time.perf_counter()
            try:
                self._make(target)
            except ZhengaiError:
                for half in (target, target.with_name(target.name + ".tmp")):
                    shutil.rmtree(half, ignore_errors=True)
                if attempt + 1 == attempts:
                    raise
                continue
            finally:
                self.pending = None
            self.seconds.append(time.perf_counter() - started)
            self.current = target
            if time.monotonic() - self._trimmed > TRIM_EVERY:  # the checkpoint flushed the memtables:
                self._trimmed = time.monotonic()  # what they held goes back to the system
                release_freed_memory()
            return target
        raise AssertionError("unreachable")

    def prune(self, in_use: set[Path]) -> None:
        """Delete the snapshots that are neither the current one nor open in a worker."""
        for folder in self.root.iterdir():
            if folder not in (self.current, self.pending) and folder not in in_use:
                shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


# -- in the server ---------------------------------------------------------------------------------


class _Worker:
    """One worker: ``python -m zhengai.api.query_workers``, spoken to over its stdin/stdout."""

    def __init__(self) -> None:
        self.snapshot: Path | None = None  # what it has open
        self.process = subprocess.Popen(
            [sys.executable, "-m", "zhengai.api.query_workers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.jobs = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.answers = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.jobs.close()
        self.answers.close()


class QueryPool:
    """A fixed number of query workers; a query waits for a free one, then runs under a time limit."""

    def __init__(
        self, snapshots: Snapshots, size: int = 2, timeout: float = 30.0, row_limit: int = 100_000
    ) -> None:
        self.snapshots = snapshots
        self.timeout = timeout
        self.row_limit = row_limit
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._generation = 0
        self._taken = -1  # the generation the current snapshot is of
        self._taking: Future[Path] | None = None  # a snapshot being taken
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._idle.put(self._new_worker())

    def _new_worker(self) -> _Worker:
        worker = _Worker()
        with self._lock:
            self._workers.add(worker)
        return worker

    def _replace(self, worker: _Worker) -> _Worker:
        worker.stop()
        with self._lock:
            self._workers.discard(worker)
        return self._new_worker()

    def refresh(self) -> None:
        """The store was written: workers reopen it before their next query. Never waits for a
        snapshot being taken (a write must not hang on one)."""
        with self._lock:
            self._generation += 1

    def _snapshot(self, wait: float) -> Path:
        """The snapshot of every write so far, taken once for all the queries that ask meanwhile.

        It is taken on a thread of its own and waited for at most ``wait`` seconds: a checkpoint
        flushes RocksDB's memtables, and that flush can block with no time limit (see
        ``zhengai.store.embedded.sync_log``). A query then gets 503 instead of hanging, the write
        path never waits for it (``refresh`` only counts), and the next query waits for the same
        snapshot rather than starting another."""
        deadline = time.monotonic() + wait
        with self._lock:
            wanted = self._generation  # every write before this query
        while True:
            with self._lock:
                current = self.snapshots.current
                if self._taken >= wanted and current is not None:
                    return current
                if self._taking is None:  # none under way, or the last began before a write we must see
                    self._taking = self._start_taking(self._generation)
                taking = self._taking
            try:
                taking.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                raise QueryBusy(
                    f"数据存储的快照在 {wait:.3g} 秒内没有完成，请稍后再试",
                    f"the store's snapshot for queries did not finish within {wait:.3g} s; try again later",
                ) from None
            except OSError as exc:
                raise QueryError(
                    f"无法为查询创建数据存储快照：{exc}", f"Cannot snapshot the store for queries: {exc}"
                ) from exc

    def _start_taking(self, generation: int) -> Future[Path]:
        """Take a snapshot of the writes up to ``generation`` on a thread of its own."""
        taking = Future[Path]()

        def take() -> None:
            try:
                path = self.snapshots.take()
            except BaseException as exc:  # handed to whoever waits for it
                with self._lock:
                    self._taking = None
                taking.set_exception(exc)
                return
            with self._lock:
                self._taken, self._taking = max(self._taken, generation), None
            taking.set_result(path)

        threading.Thread(target=take, name="zhengai-snapshot", daemon=True).start()
        return taking

    def run(self, job: Job) -> bytes:
        started = time.monotonic()
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryBusy(
                f"查询工作进程在 {self.timeout:g} 秒内都在忙，请稍后再试",
                f"every query worker stayed busy for {self.timeout:g} s; try again later",
            ) from None
        left = max(0.1, self.timeout - (time.monotonic() - started))
        try:
            snapshot = self._snapshot(left)
            with self._lock:
                worker.snapshot = snapshot
                self.snapshots.prune({w.snapshot for w in self._workers if w.snapshot is not None})
        except ZhengaiError:
            self._idle.put(worker)
            raise
        left = max(0.1, self.timeout - (time.monotonic() - started))
        try:
            worker.jobs.send((str(snapshot), job))
            if not worker.answers.poll(left):
                worker = self._replace(worker)
                raise QueryTimeout(
                    f"查询超过 {self.timeout:g} 秒的时限，已停止",
                    f"the query ran past its time limit of {self.timeout:g} s and was stopped",
                )
            answer = worker.answers.recv()
        except (EOFError, OSError, BrokenPipeError):  # the worker died (e.g. out of memory)
            worker = self._replace(worker)
            raise QueryError("查询工作进程意外退出", "the query worker ended unexpectedly") from None
        finally:
            if self._closed:
                worker.stop()
            else:
                self._idle.put(worker)
        if answer[0] == "ok":
            return answer[1]
        _, code, zh, en = answer
        error = {QueryTooLarge.code: QueryTooLarge, "store_error": QueryError}.get(code, QueryError)(zh, en)
        raise error

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().stop()
            except queue.Empty:
                break
        self.snapshots.close()


class RemoteQueryPool:
    """Queries for a remote store: sent to the SPARQL server, at most ``size`` at once, each under
    the time limit (the request is dropped when it passes it; start the server with its own query
    timeout, e.g. ``oxigraph serve --timeout-s``, so that it stops the evaluation too)."""

    def __init__(
        self, store: RemoteStore, size: int = 2, timeout: float = 30.0, row_limit: int = 100_000
    ) -> None:
        self.store, self.timeout, self.row_limit = store, timeout, row_limit
        self._slots = threading.BoundedSemaphore(max(1, size))

    def refresh(self) -> None:
        """Nothing to reopen: the server always answers from its latest state."""

    def run(self, job: Job) -> bytes:
        started = time.monotonic()
        if not self._slots.acquire(timeout=self.timeout):
            raise QueryBusy(
                f"查询在 {self.timeout:g} 秒内都在排队，请稍后再试",
                f"every query slot stayed busy for {self.timeout:g} s; try again later",
            )
        try:
            left = max(0.1, self.timeout - (time.monotonic() - started))
            try:
                answer = execute(self.store, job, timeout=left)
            except StoreTimeout:
                raise QueryTimeout(
                    f"查询超过 {self.timeout:g} 秒的时限，已停止",
                    f"the query ran past its time limit of {self.timeout:g} s and was stopped",
                ) from None
        finally:
            self._slots.release()
        if answer[0] == "ok":
            return answer[1]  # type: ignore[return-value]
        _, code, zh, en = answer
        raise {QueryTooLarge.code: QueryTooLarge}.get(code, QueryError)(zh, en)

    def close(self) -> None:
        """The store's connections close with the store."""


if __name__ == "__main__":
    # Answers go to the real stdout; anything else printed goes to stderr.
    answers_out = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    serve_jobs(Connection(os.dup(0), writable=False), answers_out)
