"""Webhooks: each gap event goes to the subscriptions that may see it, signed, at least once.

A subscription (``[[subscription]]`` in a TOML file) names a URL, a secret, and whose events it
takes: a unit (what the unit owns), a post code, a person (工号, holder or acting holder) or a role
(``quality_office``: every event). A delivery is a POST of the event's JSON with the headers
``X-Zhengai-Event-Id`` (the sequence number, for the receiver to deduplicate on) and
``X-Zhengai-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>``.

The events graph is the outbox. What happened to each (event, subscription) is kept in the graph
``deliveries`` — attempts, the next attempt, delivered or dead — so a restart resumes where it
stopped and loses nothing. A failed attempt (an error status, a refused connection, a timeout) is
retried with exponential backoff; after ``max_attempts`` the delivery is dead, listed by
``zhengai events --dead`` and sent again by ``zhengai events --retry``. A receiver that is down or
slow never slows a push: deliveries run apart from it, each with a short timeout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from zhengai import events, query_registry
from zhengai.errors import ZhengaiError
from zhengai.namespaces import ZG, graph, iri
from zhengai.store import GraphStore

DELIVERIES_GRAPH = graph("deliveries")


@dataclass(frozen=True)
class Subscription:
    name: str
    url: str
    secret: str
    unit: str | None = None
    post: str | None = None
    person: str | None = None
    role: str | None = None

    def wants(self, event: events.Event) -> bool:
        if self.role == "quality_office":
            return True
        if self.unit is not None:
            return event.visible_to("unit_head", self.unit, None, True)
        if self.person is not None:
            return event.visible_to("teacher", None, self.person, True)
        if self.post is not None:
            posts = (event.owner or {}).get("posts", [])
            return any(self.post in (p.get("code"), (p.get("acting_post") or {}).get("code")) for p in posts)  # type: ignore[union-attr]
        return False


def load_subscriptions(path: Path) -> list[Subscription]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ZhengaiError(
            f"无法读取订阅文件「{path}」：{exc}", f"cannot read the subscriptions file '{path}': {exc}"
        ) from exc
    out = []
    for n, item in enumerate(data.get("subscription", []), start=1):
        where = f"{path.name} [[subscription]] #{n}"
        if not item.get("url") or not item.get("secret"):
            raise ZhengaiError(f"{where}：需要 url 和 secret", f"{where}: needs url and secret")
        scopes = [k for k in ("unit", "post", "person", "role") if item.get(k)]
        if len(scopes) != 1:
            raise ZhengaiError(
                f"{where}：unit、post、person、role 须恰好写一项",
                f"{where}: give exactly one of unit, post, person, role",
            )
        out.append(
            Subscription(
                str(item.get("name") or f"subscription-{n}"),
                str(item["url"]),
                str(item["secret"]),
                **{k: str(item[k]) for k in scopes},
            )
        )
    return out


def sign(secret: str, body: bytes, at: int) -> str:
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


@dataclass
class State:
    attempts: int = 0
    next_at: float = 0.0
    done: str | None = None  # delivered | dead


class Deliverer:
    """Sends what is due, one pass at a time (``run_once``); a server calls it from a thread."""

    def __init__(
        self,
        store: GraphStore,
        subscriptions: list[Subscription] | Callable[[], list[Subscription]],
        *,
        max_attempts: int = 8,
        backoff: float = 0.5,
        timeout: float = 2.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self._subscriptions = subscriptions  # a list, or what gives the current ones at each pass
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.client = httpx.Client(timeout=timeout)
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC).timestamp())
        self.states: dict[tuple[str, int], State] = self._read_states()
        self.cursor = 0  # the last event read: later passes read only what came after it
        self.pending: dict[int, events.Event] = {}  # events some subscription still has to get

    def _read_states(self) -> dict[tuple[str, int], State]:
        out = {}
        for r in self.store.select(query_registry.get("deliveries").text):
            out[(str(r["subscription"]), int(str(r["seq"])))] = State(
                int(str(r["attempts"])), float(str(r["next"])), str(r["state"]) if "state" in r else None
            )
        return out

    def run_once(self) -> int:
        """Attempt every delivery that is due now; return how many were attempted."""
        now = self.clock()
        attempted = 0
        subscriptions = self._subscriptions() if callable(self._subscriptions) else self._subscriptions
        if not subscriptions:
            return 0
        written = Graph()
        removed = Graph()
        for event in events.since(self.store, self.cursor, limit=1_000_000):
            self.cursor = max(self.cursor, event.seq)
            self.pending[event.seq] = event
        for event in list(self.pending.values()):
            wanting = [sub for sub in subscriptions if sub.wants(event)]
            for sub in wanting:
                key = (sub.name, event.seq)
                state = self.states.setdefault(key, State())
                if state.done is not None or state.next_at > now:
                    continue
                attempted += 1
                before = _triples(sub.name, event.seq, state)
                ok = self._send(sub, event, now)
                state.attempts += 1
                if ok:
                    state.done = "delivered"
                elif state.attempts >= self.max_attempts:
                    state.done = "dead"
                else:
                    state.next_at = now + self.backoff * 2 ** (state.attempts - 1)
                removed += before
                written += _triples(sub.name, event.seq, state)
            if all(self.states[(sub.name, event.seq)].done is not None for sub in wanting):
                del self.pending[event.seq]  # every subscription that wants it is done with it
        if attempted:
            self.store.change_graph(DELIVERIES_GRAPH, removed, written)
        return attempted

    def _send(self, sub: Subscription, event: events.Event, now: float) -> bool:
        if not isinstance(sub, Subscription):  # another channel (zhengai.mail.RedGapMail)
            return sub.send(event, now)
        body = json.dumps(event.as_dict(), ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "X-Zhengai-Event-Id": str(event.seq),
            "X-Zhengai-Signature": sign(sub.secret, body, int(now)),
        }
        try:
            return self.client.post(sub.url, content=body, headers=headers).is_success
        except httpx.HTTPError:
            return False

    def dead(self) -> list[tuple[str, int, int]]:
        return sorted((name, seq, s.attempts) for (name, seq), s in self.states.items() if s.done == "dead")

    def retry_dead(self) -> int:
        """Make every dead delivery due again."""
        removed, written = Graph(), Graph()
        n = 0
        for (name, seq), state in self.states.items():
            if state.done == "dead":
                removed += _triples(name, seq, state)
                state.done, state.attempts, state.next_at = None, 0, 0.0
                written += _triples(name, seq, state)
                self.cursor = min(self.cursor, seq - 1)  # read it again on the next pass
                n += 1
        if n:
            self.store.change_graph(DELIVERIES_GRAPH, removed, written)
        return n

    def close(self) -> None:
        self.client.close()


def _triples(name: str, seq: int, state: State) -> Graph:
    g = Graph()
    if not state.attempts and state.done is None:
        return g
    node: URIRef = iri("delivery", name, seq)
    g.add((node, RDF.type, ZG.Delivery))
    g.add((node, ZG.subscriptionName, Literal(name)))
    g.add((node, ZG.deliversEvent, Literal(seq)))
    g.add((node, ZG.attempts, Literal(state.attempts)))
    g.add((node, ZG.nextAttempt, Literal(repr(state.next_at))))  # seconds since the epoch, as written
    if state.done is not None:
        g.add((node, ZG.deliveryState, Literal(state.done)))
    return g
