"""What every request shares: the store, the query workers, the tokens, and caches of answers.

Writes (loads, diagnoses) take one lock, so one runs at a time; each bumps the store generation,
which empties the caches and makes the query workers reopen the store.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from rdflib import URIRef

from zhengai import (
    assignment,
    audit,
    delivery,
    diagnosis,
    lifecycle,
    live,
    ownership,
    push,
    reports,
    subscriptions,
)
from zhengai.errors import DiagnosisError, ZhengaiError
from zhengai.store import CollegeStore, OxigraphStore, RemoteStore, open_store

from .guards import RateLimits
from .query_workers import QueryPool, RemoteQueryPool, Snapshots
from .roles import Principal, Tokens
from .uploads import Limits

T = TypeVar("T")
# What a kind of write leaves as it was (by the first part of a cache key).
# "stored-rows" are the rows a diagnosis stored with its run: what pushes changed since is read apart
_STRUCTURE = frozenset(
    {"org", "indicators", "criteria", "units", "subjects", "readable", "audit", "runs", "stored-rows"}
)
_GAPS = frozenset({"gaps", "gap-index", "owners", "owned", "owned-ids", "reviewable"})
# every improvement measure and review: only a lifecycle write (or any other) changes them
_ACTIONS = frozenset({"actions"})
KEPT_AFTER: dict[str, frozenset[str]] = {
    "push": _STRUCTURE | _ACTIONS,
    # a load of a year's values or targets: graphs of its own (values are personal, targets not);
    # the runs' gaps and owners are as they were (until the next diagnosis), their states may not be
    "load:observations": _STRUCTURE | _GAPS | _ACTIONS,
    "load:targets": ((_STRUCTURE | _GAPS) - {"readable"}) | _ACTIONS,
    "lifecycle": _STRUCTURE | _GAPS,
}


@dataclass(frozen=True)
class Settings:
    """How the API runs; ``zhengai serve`` sets these from its options."""

    tokens: Tokens = field(default_factory=lambda: Tokens([]))
    query_timeout: float = 30.0
    row_limit: int = 100_000
    query_workers: int = 2
    cors_origins: tuple[str, ...] = ()
    upload: Limits = field(default_factory=Limits)
    subscriptions: list[delivery.Subscription] = field(default_factory=list)  # webhooks
    delivery_interval: float = 0.2  # seconds between passes over the outbox
    college: str | None = None  # the college served, in a store that holds several
    rate_limits: RateLimits = field(default_factory=RateLimits)  # per caller and minute
    body_idle_timeout: float = 15.0  # seconds a request body may stall
    body_total_timeout: float = 300.0  # seconds a request body may take in all


class Service:
    def __init__(self, store_location: Path | str, settings: Settings) -> None:
        self.settings = settings
        self.store: OxigraphStore | RemoteStore | CollegeStore = open_store(store_location, settings.college)
        self.store.flush()
        base = self.store.inner if isinstance(self.store, CollegeStore) else self.store
        self.base = base  # the whole dataset: what the region views read
        self.college = self.store.code if isinstance(self.store, CollegeStore) else None
        self.pool: QueryPool | RemoteQueryPool
        if isinstance(base, RemoteStore):
            self.pool = RemoteQueryPool(
                base, settings.query_workers, settings.query_timeout, settings.row_limit
            )
        else:
            snapshots = Snapshots(base.snapshot, Path(store_location))  # type: ignore[union-attr]
            self.pool = QueryPool(
                snapshots, settings.query_workers, settings.query_timeout, settings.row_limit
            )
        self.live = live.Live()  # what pushes reuse: the latest runs' standards, rows and labels
        self.write_lock = threading.Lock()
        self.loads = 0  # files loaded so far: what an upload read apart from the lock was checked against
        self._generation = 0
        self._cache: dict[tuple[object, ...], object] = {}
        self._computing: dict[tuple[object, ...], Future[object]] = {}
        self._cache_lock = threading.Lock()
        self._stop = threading.Event()
        self.pushes = PushQueue(self)
        self.webhook_key = subscriptions.webhook_key(store_location)
        # webhooks from the TOML file and those registered over the API (POST /subscriptions)
        self._deliverer = threading.Thread(target=self._deliver, name="zhengai-webhooks", daemon=True)
        self._deliverer.start()
        # the latest run's rows, read before the first page asks for them (the heatmap's cost)
        threading.Thread(target=self._warm, name="zhengai-warm", daemon=True).start()

    def _warm(self) -> None:
        try:
            runs = self.runs()
            if runs:
                self.gap_rows(runs[-1].graph)
        except Exception:  # best effort (a store closed at once, say): the first request reads them
            return

    def subscriptions(self) -> list[delivery.Subscription]:
        return [*self.settings.subscriptions, *subscriptions.registered(self.store, self.webhook_key)]

    def _deliver(self) -> None:
        """Webhook deliveries, apart from the requests: a slow or down receiver never slows a push."""
        sender = delivery.Deliverer(self.store, self.subscriptions)
        try:
            while not self._stop.wait(self.settings.delivery_interval):
                try:
                    sender.run_once()
                except ZhengaiError:
                    continue  # the store was busy or refused this pass: the next one retries
        finally:
            sender.close()

    def close(self) -> None:
        self._stop.set()
        self.pushes.close()
        if self._deliverer is not None:
            self._deliverer.join(timeout=10)
        self.pool.close()
        self.store.close()

    async def next_write(self, timeout: float) -> None:
        """Return after the next write, or after ``timeout`` seconds (for a stream of events)."""
        seen, waited = self._generation, 0.0
        while self._generation == seen and waited < timeout:
            await asyncio.sleep(0.005)  # a counter in memory: costs nothing to look at
            waited += 0.005

    def written(self, what: str = "all") -> None:
        """Call after every write: the answers it may have changed are forgotten, and the next
        SPARQL query takes a new snapshot for the query workers (once, however many writes came
        before it). ``what`` narrows it: a push (``push``) changes observations and gaps but not
        the organisation, the catalogue or the audit, nor does a load of a year's values or targets
        (``load:observations``, ``load:targets``); a measure or review (``lifecycle``) changes
        gaps' states only. Anything else forgets every answer."""
        self._next_generation(KEPT_AFTER.get(what, frozenset()))

    def _next_generation(
        self, keep: frozenset[str], patched: Mapping[tuple[object, ...], object] = {}, seen: int = -1
    ) -> None:
        """Forget what ``keep`` does not name; ``patched`` answers, read in generation ``seen``, are
        kept too unless another write came since."""
        with self._cache_lock:
            if self._generation != seen:
                patched = {}
            self._generation += 1
            self._cache = {
                (self._generation, *key[1:]): value for key, value in self._cache.items() if key[1] in keep
            }
            self._cache.update({(self._generation, *key): value for key, value in patched.items()})
        self.pool.refresh()

    def pushed(self, changed: Sequence[live.Change]) -> None:
        """Call after pushes were written, with every gap their re-checks changed: as ``written("push")``,
        but the latest runs' rows, row index and owned ids read before are kept, patched with the
        changes (a few milliseconds on a large run, where reading them again takes hundreds)."""
        with self._cache_lock:
            before, generation = dict(self._cache), self._generation
        patched = _patched({key[1:]: value for key, value in before.items() if key[0] == generation}, changed)
        self._next_generation(KEPT_AFTER["push"], patched, generation)

    def cached(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """The answer for ``key`` in this store generation, computed once: requests that ask while
        it is being computed wait for it instead of computing it too (no stampede after a write)."""
        while True:
            generation = self._generation
            full = (generation, *key)
            with self._cache_lock:
                if full in self._cache:
                    return self._cache[full]  # type: ignore[return-value]
                running = self._computing.get(full)
                if running is None:
                    running = self._computing[full] = Future()
                    mine = True
                else:
                    mine = False
            if not mine:
                try:
                    return running.result()
                except Exception:
                    continue  # the computation failed for the one who ran it: try once more here
            try:
                value = compute()
            except BaseException as exc:
                with self._cache_lock:
                    self._computing.pop(full, None)
                running.set_exception(exc)
                raise
            with self._cache_lock:
                self._computing.pop(full, None)
                if generation == self._generation:
                    self._cache[full] = value
            running.set_result(value)
            return value

    # -- answers shared by several resources -------------------------------------------------------

    def runs(self) -> list[diagnosis.RunInfo]:
        return self.cached(("runs",), lambda: diagnosis.runs(self.store))

    def run_for(self, period: int | None) -> diagnosis.RunInfo:
        runs = self.runs()
        if not runs:
            raise DiagnosisError(
                "还没有任何诊断：请先运行诊断（POST /diagnoses）",
                "nothing has been diagnosed yet: run a diagnosis first (POST /diagnoses)",
            )
        if period is None:
            return runs[-1]
        chosen = next((r for r in reversed(runs) if r.period == period), None)
        if chosen is None:
            raise DiagnosisError(f"{period} 学年还没有诊断", f"{period} has not been diagnosed")
        return chosen

    def gap_rows(self, run: URIRef) -> list[reports.GapRow]:
        def current() -> list[reports.GapRow]:
            base = self.cached(("stored-rows", run), lambda: reports.stored_rows(self.store, run))
            if base is None:  # a run stored before rows were
                return reports.gap_rows(self.store, run)
            return reports.current_rows(self.store, run, base)

        return self.cached(("gaps", run), current)

    def gap_row(self, run: URIRef, gap_id: str) -> reports.GapRow | None:
        index = self.cached(("gap-index", run), lambda: {r.id: r for r in self.gap_rows(run)})
        return index.get(gap_id)

    def find_gap(self, gap_id: str) -> tuple[URIRef, URIRef]:
        return ownership.find_gap(self.store, gap_id, self.runs())

    def states(self, run: URIRef) -> dict[str, lifecycle.Status]:
        """Every gap's lifecycle state, once per run and store generation."""
        return self.cached(
            ("states", run),
            lambda: lifecycle.statuses(
                self.store, run, self.gap_rows(run), self.owned_ids(run), index=self.actions()
            ),
        )

    def actions(self) -> lifecycle.ActionIndex:
        """Every improvement measure and review, read once per store generation (a measure or a
        review forgets them; a push or a load of values or targets keeps them)."""
        return self.cached(("actions",), lambda: lifecycle.ActionIndex.of(self.store))

    def owners(self, run: URIRef) -> dict[str, ownership.Owner]:
        """Every open gap's owner, resolved once per run and store generation."""
        return self.cached(
            ("owners", run),
            lambda: {o.id: o for o in assignment.owners(self.store, run, org=self.organisation()).values()},
        )

    def organisation(self) -> ownership.Organisation:
        return self.cached(("org",), lambda: ownership.organisation(self.store))

    def owned_ids(self, run: URIRef) -> set[str]:
        """The ids of the run's gaps that have an owner (for their lifecycle state)."""
        return self.cached(("owned-ids", run), lambda: lifecycle.owned_ids(self.store, run))

    def owned(
        self, run: URIRef, *, unit: str | None = None, person: str | None = None, post: str | None = None
    ) -> Mapping[str, ownership.Owner]:
        """The gaps one unit, person or post owns, from the stored assignments (one small query),
        else filtered from every owner."""
        who = {"unit": unit, "person": person, "post": post}

        def find() -> Mapping[str, ownership.Owner]:
            found = assignment.owned(self.store, run, **who)
            if found is not None:
                return found
            return {i: o for i, o in self.owners(run).items() if ownership.owns(o, **who)}

        return self.cached(("owned", run, unit, person, post), find)

    def reviewable(self, run: URIRef, unit: str) -> set[str]:
        """The ids of the gaps the head of ``unit`` may review (审核人 or 监管人)."""
        return self.cached(("reviewable", run, unit), lambda: lifecycle.reviewable_ids(self.store, run, unit))

    def owner(self, run: URIRef, gap: URIRef) -> ownership.Owner | None:
        found = assignment.owners(self.store, run, gap, org=self.organisation())
        return next(iter(found.values()), None)

    def audit_report(self) -> audit.Report:
        return self.cached(("audit",), lambda: audit.audit(self.store))


# what a push changes only for the gaps its re-check names: carried across it, patched
_PATCHED = ("gaps", "gap-index", "owned-ids")


def _patched(
    cached: Mapping[tuple[object, ...], object], changed: Sequence[live.Change]
) -> dict[tuple[object, ...], object]:
    """The cached rows, row index and owned ids of every run (``cached`` by key without its
    generation), those of the runs ``changed`` touched with the changes applied; nothing when a
    change's run is not known. Applying a change twice gives what applying it once does, so rows
    read while the push was being written are patched rightly too."""
    runs: list[diagnosis.RunInfo] = cached.get(("runs",), [])  # type: ignore[assignment]
    latest = {r.period: r.graph for r in runs}  # oldest first: the last of each period stays
    by_run: dict[object, dict[str, live.Change]] = {}
    for change in changed:
        run = latest.get(int(change.id.split("/", 1)[0]))
        if run is None:
            return {}
        by_run.setdefault(run, {})[change.id] = change
    out = {key: value for key, value in cached.items() if key[0] in _PATCHED}
    for (kind, run), value in list(out.items()):  # type: ignore[misc]
        mine = by_run.get(run)
        if mine is None:
            continue
        if kind == "gaps":
            now = reports.patched_rows(value, {i: c.row for i, c in mine.items()})  # type: ignore[arg-type]
            out[("gaps", run)] = now
            out[("gap-index", run)] = {r.id: r for r in now}
        elif kind == "gap-index" and ("gaps", run) not in out:
            del out[(kind, run)]  # rebuilt from the rows when next asked
        elif kind == "owned-ids":
            ids = set(value)  # type: ignore[call-overload]
            ids |= {i for i, c in mine.items() if c.owned is True}
            ids -= {i for i, c in mine.items() if c.owned is False}
            out[("owned-ids", run)] = ids
    return out


def service(request: Request) -> Service:
    return request.app.state.service


def principal(request: Request) -> Principal:
    svc = service(request)
    return svc.settings.tokens.principal(request.headers.get("authorization"), svc.college)


ServiceDep = Annotated[Service, Depends(service)]
PrincipalDep = Annotated[Principal, Depends(principal)]


class PushQueue:
    """Pushes that arrive together are written together (``push.push_many``): one write and one
    re-check for all of them, so concurrent pushers do not queue behind each other's writes. Each
    push is still checked, kept or refused on its own."""

    BATCH = 256  # pushes written together at the most
    LINGER = 0.002  # seconds the writer waits for more once a push has come

    def __init__(self, svc: Service) -> None:
        self._svc = svc
        self._queue: queue.Queue[tuple[push.Request, Future[push.PushResult]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="zhengai-pushes", daemon=True)
        self._thread.start()

    def submit(self, request: push.Request) -> push.PushResult:
        """Write ``request`` with whatever else is waiting; its result, or its InputError."""
        future: Future[push.PushResult] = Future()
        self._queue.put((request, future))
        return future.result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            time.sleep(self.LINGER)  # pushes sent at the same moment arrive a little apart
            while len(batch) < self.BATCH:
                try:
                    waiting = self._queue.get_nowait()
                except queue.Empty:
                    break
                if waiting is None:
                    self._queue.put(None)
                    break
                batch.append(waiting)
            svc = self._svc
            try:
                with svc.write_lock:
                    changed: list[live.Change] = []
                    try:
                        outcomes = push.push_many(
                            svc.store, [r for r, _ in batch], context=svc.live, changed=changed
                        )
                    except BaseException:
                        svc.written("push")  # what was written before the failure is not known here
                        raise
                    svc.pushed(changed)
            except Exception as exc:  # the store refused the write: every push of the batch is told
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
