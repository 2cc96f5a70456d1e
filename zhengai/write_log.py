"""The write log (审计日志): who wrote what, when, from where, and how it ended.

Every write through the API (any request that is not a read) and every writing command of the
command line leaves one ``zg:LogEntry`` in the graph ``log``. Auditors read it with ``zhengai log``
and ``GET /log``. What a log entry holds is chosen so that no secret can reach it: the actor is a
token's *name* and role (never the token), the action is the method and path without its query
string, and the target is what the command named (files, a period, a gap id).

The server writes entries apart from its requests, a few at a time (``Writer``): a request never
waits on the log, and entries still waiting are written when the server stops.
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal
from rdflib.namespace import RDF, XSD

from zhengai import query_registry
from zhengai.errors import ZhengaiError
from zhengai.namespaces import ZG, graph, iri
from zhengai.store import GraphStore

LOG_GRAPH = graph("log")
TEXT_LIMIT = 500  # characters kept of a target: a log entry is a line, not a copy of the input


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    actor: str
    role: str
    origin: str
    action: str
    target: str
    outcome: str

    def as_dict(self) -> dict[str, str]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "role": self.role,
            "origin": self.origin,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
        }

    def add_to(self, g: Graph) -> None:
        node = iri("log", uuid.uuid4().hex)
        g.add((node, RDF.type, ZG.LogEntry))
        g.add((node, ZG.loggedAt, Literal(self.at.astimezone(dt.UTC).isoformat(), datatype=XSD.dateTime)))
        g.add((node, ZG.actor, Literal(self.actor)))
        g.add((node, ZG.actorRole, Literal(self.role)))
        g.add((node, ZG.action, Literal(self.action)))
        g.add((node, ZG.outcome, Literal(self.outcome)))
        if self.origin:
            g.add((node, ZG.origin, Literal(self.origin)))
        if self.target:
            g.add((node, ZG.actionTarget, Literal(self.target[:TEXT_LIMIT])))


def entry(actor: str, role: str, origin: str, action: str, target: str, outcome: str) -> Entry:
    return Entry(dt.datetime.now(dt.UTC), actor, role, origin, action, target, outcome)


def cli_entry(action: str, target: str, outcome: str) -> Entry:
    """An entry for a command run at this machine: the system user, the host name."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container, say)
        user = "uid-unknown"
    return entry(user, "cli", socket.gethostname(), action, target, outcome)


def record(store: GraphStore, entries: Iterable[Entry]) -> None:
    g = Graph()
    for e in entries:
        e.add_to(g)
    if len(g):
        store.insert({LOG_GRAPH: g})


def size(store: GraphStore) -> int:
    """Triples in the log (what ``/healthz`` leaves out of the data's count)."""
    rows = store.select(query_registry.get("log_size").text)
    return int(str(rows[0]["n"])) if rows and "n" in rows[0] else 0


def data_quads(quads: Iterable[tuple]) -> set[tuple]:  # type: ignore[type-arg]
    """The quads of a store without its write log: what a refused write must leave as it was."""
    return {q for q in quads if q[3] != LOG_GRAPH}


def entries(
    store: GraphStore,
    *,
    since: str = "1970-01-01",
    actor: str = "",
    action: str = "",
    limit: int = 100,
    offset: int = 0,
) -> list[Entry]:
    """The log, newest first, narrowed by time, actor and action (substrings)."""
    query = query_registry.get("log_entries")
    rows = store.select(query.text, query.bindings({"since": since, "actor": actor, "action": action}))
    return [
        Entry(
            at=dt.datetime.fromisoformat(str(r["at"]).replace("Z", "+00:00")),
            actor=str(r["who"]),
            role=str(r["role"]),
            origin=str(r.get("origin", "")),
            action=str(r["what"]),
            target=str(r.get("target", "")),
            outcome=str(r["outcome"]),
        )
        for r in rows[offset : offset + limit]
    ]


class Writer:
    """Entries from the server's requests, written together every ``interval`` seconds."""

    def __init__(self, store: GraphStore, lock: threading.Lock, interval: float = 0.5) -> None:
        self._store, self._lock, self._interval = store, lock, interval
        self._waiting: list[Entry] = []
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zhengai-log", daemon=True)
        self._thread.start()

    def add(self, e: Entry) -> None:
        with self._mutex:
            self._waiting.append(e)

    def flush(self) -> None:
        with self._mutex:
            batch, self._waiting = self._waiting, []
        if not batch:
            return
        try:
            with self._lock:
                record(self._store, batch)
        except ZhengaiError:  # the store refused this pass (busy, full): keep them for the next
            with self._mutex:
                self._waiting[:0] = batch

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.flush()
