"""The mixed traffic of bench/soak.py: REST reads, SPARQL, uploads, pushes and improvement measures,
each request named by its type. Reads its token, gaps and files from the environment soak.py sets."""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

from locust import HttpUser, between, task
from soak import SELECT

TOKEN = os.environ.get("ZHENGAI_SOAK_TOKEN", "")
PLAN = (
    json.loads(Path(os.environ["ZHENGAI_SOAK_PLAN"]).read_text(encoding="utf-8"))
    if "ZHENGAI_SOAK_PLAN" in os.environ
    else {}
)
_pushes = itertools.count()


def request(client, method: str, path: str, name: str, **kw):  # type: ignore[no-untyped-def]
    """One request; any status of 500 and above, or a refusal the plan did not expect, is a failure."""
    with client.request(method, path, name=name, catch_response=True, **kw) as r:
        if (
            r.status_code >= 500
            or r.status_code in (0, 429)
            or (r.status_code >= 400 and name not in ("POST measure",))
        ):
            r.failure(f"{r.status_code}: {r.text[:200]}")
        else:
            r.success()


LOW, HIGH = (float(x) for x in os.environ.get("ZHENGAI_SOAK_THINK", "0.05,0.3").split(","))


class CampusUser(HttpUser):
    wait_time = between(LOW, HIGH)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {TOKEN}"

    @task(6)
    def gap(self) -> None:
        request(self.client, "GET", f"/gaps/{random.choice(PLAN['gaps'])}", "GET /gaps/{id}")

    @task(3)
    def gaps(self) -> None:
        request(self.client, "GET", "/gaps", "GET /gaps", params={"limit": 50, "severity": "red"})

    @task(2)
    def indicators(self) -> None:
        request(self.client, "GET", "/indicators", "GET /indicators", params={"limit": 100})

    @task(3)
    def sparql(self) -> None:
        request(self.client, "GET", "/sparql", "GET /sparql", params={"query": SELECT},
                headers={"Accept": "application/sparql-results+json"})  # fmt: skip

    @task(2)
    def push(self) -> None:
        pair = random.choice(PLAN["pushes"])
        value = f"{random.randint(40, 100)}%"
        request(self.client, "POST", "/observations", "POST /observations",
                json={**pair, "value": value, "source": "教务系统", "observed_at": "2026-03-01"})  # fmt: skip

    @task(1)
    def measure(self) -> None:
        gap, person = random.choice(PLAN["measures"])
        n = next(_pushes)
        request(self.client, "POST", f"/gaps/{gap}/measures", "POST measure",
                json={"text": f"整改措施 {n}", "due": "2099-01-31", "by": person})  # fmt: skip

    @task(1)
    def upload(self) -> None:
        name, path = PLAN["upload"]
        with open(path, "rb") as fh:
            request(self.client, "POST", "/loads", "POST /loads", files={"file": (name, fh.read())})
