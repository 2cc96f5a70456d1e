"""The sample college end to end on every kind of store, with the same answers.

load → diagnose (2024, the ledger, 2025) → gaps → owners → a measure and its review → a push →
the API over the store (gaps, an owner, a gap's page, SPARQL). The embedded store's answers are
the reference; Oxigraph server and Virtuoso (real servers on 127.0.0.1) must give the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_fixtures import TOKEN_FILE, serving
from conftest import MATRIX, SAMPLE, sparql_server

pytestmark = pytest.mark.slow
RED_GAP = "2025/ZY-1.4.2-02/510202"
QUERY = """PREFIX zg: <https://w3id.org/zhengai/ont#>
SELECT ?severity (COUNT(?gap) AS ?n) WHERE { GRAPH ?run { ?gap a zg:Gap ; zg:status ?severity } }
GROUP BY ?severity ORDER BY ?severity"""


def zhengai(location: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "zhengai.cli", "--store", location, *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **env},
    )  # fmt: skip
    assert done.returncode in (0, 1), f"zhengai {' '.join(args)}: {done.stdout[-2000:]} {done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr
    return done.stdout


def journey(location: str, env: dict[str, str], folder: Path) -> dict[str, object]:
    """What a user sees of the sample on this store, by command and by API call."""
    files = [str(MATRIX), *map(str, sorted(SAMPLE.glob("*.xlsx"))), str(SAMPLE / "预警规则.csv")]
    zhengai(location, env, "load", *files)
    seen: dict[str, object] = {}
    zhengai(
        location, env, "diagnose", "--period", "2024", "--format", "csv", "--out", str(folder / "2024.csv")
    )
    zhengai(location, env, "load", str(SAMPLE / "改进台账.csv"))
    zhengai(
        location, env, "diagnose", "--period", "2025", "--format", "csv", "--out", str(folder / "2025.csv")
    )
    for year in ("2024", "2025"):
        seen[f"gaps {year}"] = sorted((folder / f"{year}.csv").read_text(encoding="utf-8").splitlines())
    seen["gaps json"] = json.loads(zhengai(location, env, "gaps", "--period", "2025", "--format", "json"))
    seen["owner"] = json.loads(zhengai(location, env, "owner", RED_GAP, "--format", "json"))
    zhengai(
        location, env, "measure", RED_GAP, "--by", "S0005", "--due", "2027-03-31", "--text", "补齐审批意见"
    )
    zhengai(location, env, "review", RED_GAP, "--by", "T1004", "--accept", "--reason", "审批意见齐全")
    history = json.loads(zhengai(location, env, "history", RED_GAP, "--format", "json"))
    seen["history"] = [(a["kind"], a["by"], a.get("text") or a.get("reason")) for a in history["actions"]]
    seen["state"] = history["state"]
    seen["push"] = zhengai(
        location, env, "push", str(SAMPLE.parent / "sample" / "推送示例.json"), "--system", "教务系统"
    )
    tokens = folder / "tokens.toml"
    tokens.write_text(TOKEN_FILE, encoding="utf-8")
    with serving(location, {**env, "ZHENGAI_TOKENS_FILE": str(tokens)}, "--tokens", str(tokens)) as base:
        qo = {"Authorization": "Bearer qo-secret"}
        page = httpx.get(f"{base}/gaps", params={"limit": 1000}, headers=qo, timeout=60).json()
        seen["api gaps"] = sorted((g["id"], g["severity"], g["status"]) for g in page["items"])
        one = httpx.get(f"{base}/gaps/{RED_GAP}", headers=qo, timeout=60)  # the gap with its full owner
        assert one.status_code == 200 and one.json()["owner"]["posts"], one.text
        seen["api owner"] = one.json()["owner"]
        teacher = httpx.get(
            f"{base}/gaps",
            params={"limit": 1000},
            headers={"Authorization": "Bearer t1005-secret"},
            timeout=60,
        )
        seen["teacher gaps"] = sorted(g["id"] for g in teacher.json()["items"])
        answer = httpx.post(
            f"{base}/sparql", content=QUERY.encode(), timeout=60,
            headers={**qo, "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        seen["sparql"] = [
            (b["severity"]["value"], b["n"]["value"]) for b in answer.json()["results"]["bindings"]
        ]
        refused = httpx.post(
            f"{base}/sparql", content=QUERY.encode(), timeout=60,
            headers={"Authorization": "Bearer t1005-secret", "Content-Type": "application/sparql-query"},
        )  # fmt: skip
        seen["teacher sparql"] = refused.status_code
    return seen


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("embedded")
    return journey(str(folder / "store"), {}, folder)


def _without_times(value: object) -> object:
    """Answers with the moments and run names that differ from one run to the next left out."""
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k not in ("at", "run", "started", "graph")}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_the_sample_gives_the_same_answers_on_every_store(  # type: ignore[no-untyped-def]
    kind: str, reference, sparql_servers, tmp_path_factory
) -> None:
    server = sparql_server(kind, sparql_servers, tmp_path_factory)
    seen = journey(server.url, server.env, tmp_path_factory.mktemp(kind))
    assert seen["gaps 2025"] and seen["owner"]
    for key, expected in reference.items():
        assert _without_times(seen[key]) == _without_times(expected), f"{kind}: {key} differs"
