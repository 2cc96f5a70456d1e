"""Load for bench/api.py: GET /gaps/{id} on random gaps (tag ``gap``) and a simple SELECT on /sparql
(tag ``sparql``). Reads the token and the gap ids from the environment bench/api.py sets."""

from __future__ import annotations

import os
import random
from pathlib import Path

from locust import HttpUser, constant, tag, task

TOKEN = os.environ.get("ZHENGAI_BENCH_TOKEN", "")
GAPS = (
    Path(os.environ["ZHENGAI_BENCH_GAPS"]).read_text(encoding="utf-8").split()
    if "ZHENGAI_BENCH_GAPS" in os.environ
    else []
)
SIMPLE_SELECT = """PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?post ?name WHERE { GRAPH <https://w3id.org/zhengai/graph/org> { ?post a org:Post ; rdfs:label ?name } }
ORDER BY ?post LIMIT 20"""


class ApiUser(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {TOKEN}"

    @tag("gap")
    @task
    def gap(self) -> None:
        self.client.get(f"/gaps/{random.choice(GAPS)}", name="/gaps/{id}")

    @tag("sparql")
    @task
    def sparql(self) -> None:
        self.client.get(
            "/sparql",
            params={"query": SIMPLE_SELECT},
            headers={"Accept": "application/sparql-results+json"},
            name="/sparql",
        )
