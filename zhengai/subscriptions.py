"""Webhook subscriptions registered over the API (``POST /subscriptions``), beside the TOML ones.

A registered subscription is kept in the graph ``subscriptions`` — its name, URL, whose events it
takes (a unit, a post, a person or a role), who registered it and when — but never its secret:
the store is readable over SPARQL by the quality office and auditors. The secret that signs its
deliveries is derived from the server's webhook key and the subscription's name (HMAC-SHA256),
given once in the answer to the registration, and derived again after a restart. The key comes
from ``ZHENGAI_WEBHOOK_KEY``, else from the file ``<store>.webhook-key`` (made on first use,
readable by its owner only).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from zhengai import query_registry
from zhengai.delivery import Subscription
from zhengai.namespaces import ZG, graph, iri
from zhengai.store import GraphStore, is_remote

SUBSCRIPTIONS_GRAPH = graph("subscriptions")
SCOPES = ("unit", "post", "person", "role")


def webhook_key(store_path: Path | str) -> bytes:
    """The server's webhook key: ``ZHENGAI_WEBHOOK_KEY``, else the key file beside the store (for
    a remote store, in ``.zhengai/``, named after its URL: set the variable when several API
    servers share one SPARQL server)."""
    given = os.environ.get("ZHENGAI_WEBHOOK_KEY")
    if given:
        return given.encode()
    if is_remote(str(store_path)):
        folder = Path(".zhengai")
        folder.mkdir(exist_ok=True)
        path = folder / f"{re.sub(r'[^A-Za-z0-9.-]+', '_', str(store_path))}.webhook-key"
    else:
        path = Path(f"{store_path}.webhook-key")
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def secret_for(key: bytes, name: str) -> str:
    return hmac.new(key, f"subscription:{name}".encode(), hashlib.sha256).hexdigest()


def node_of(name: str) -> URIRef:
    """A registered subscription's node: named by its (unique) name."""
    return iri("subscription", hashlib.sha256(name.encode()).hexdigest()[:24])


def registered(store: GraphStore, key: bytes) -> list[Subscription]:
    """Every registered subscription, with its derived secret."""
    out = []
    for r in store.select(query_registry.get("subscriptions").text):
        scope = {str(r["scope"]): str(r["value"])}
        out.append(Subscription(str(r["name"]), str(r["url"]), secret_for(key, str(r["name"])), **scope))  # type: ignore[arg-type]
    return out


def register(
    store: GraphStore,
    key: bytes,
    name: str,
    url: str,
    scope: str,
    value: str,
    by: str,
    now: dt.datetime | None = None,
) -> tuple[Subscription, str]:
    """Keep a new subscription; it and the secret its deliveries are signed with."""
    node = node_of(name)
    g = Graph()
    g.add((node, RDF.type, ZG.Subscription))
    g.add((node, ZG.subscriptionName, Literal(name)))
    g.add((node, ZG.webhookUrl, Literal(url, datatype=XSD.anyURI)))
    g.add((node, ZG.subscriptionScope, Literal(scope)))
    g.add((node, ZG.subscriptionValue, Literal(value)))
    g.add((node, PROV.wasAttributedTo, Literal(by)))
    g.add(
        (
            node,
            PROV.generatedAtTime,
            Literal((now or dt.datetime.now(dt.UTC)).isoformat(), datatype=XSD.dateTime),
        )
    )
    store.change_graph(SUBSCRIPTIONS_GRAPH, Graph(), g)
    secret = secret_for(key, name)
    return Subscription(name, url, secret, **{scope: value}), secret  # type: ignore[arg-type]


def remove(store: GraphStore, name: str) -> bool:
    """Forget a registered subscription; whether there was one."""
    node = node_of(name)
    g = Graph()
    for r in store.select(query_registry.get("subscriptions").text):
        if str(r["name"]) == name:
            for p, o in (
                (RDF.type, ZG.Subscription),
                (ZG.subscriptionName, r["name"]),
                (ZG.webhookUrl, r["url"]),
                (ZG.subscriptionScope, r["scope"]),
                (ZG.subscriptionValue, r["value"]),
                (PROV.wasAttributedTo, r["by"]),
                (PROV.generatedAtTime, r["at"]),
            ):
                g.add((node, p, o))
    if not len(g):
        return False
    store.change_graph(SUBSCRIPTIONS_GRAPH, g, Graph())
    return True
