"""Rate limits, the write log, security headers, CORS off by default, and no secret in any log."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_fixtures import TOKENS, auth, build_store, serving, tokens
from conftest import MATRIX
from fastapi.testclient import TestClient
from zhengai.api.app import create_app
from zhengai.api.guards import RateLimits, request_class
from zhengai.api.service import Settings

from zhengai import write_log
from zhengai.errors import ZhengaiError
from zhengai.store import OxigraphStore


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("guards"))


@pytest.fixture(scope="module")
def client(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("guards-tokens")
    settings = Settings(tokens=tokens(folder), rate_limits=RateLimits(sparql=3, loads=2, writes=4))
    with TestClient(create_app(store_path, settings)) as c:
        yield c


def test_which_limit_a_request_counts_against() -> None:
    assert request_class("GET", "/sparql") == request_class("POST", "/sparql/") == "sparql"
    assert request_class("POST", "/loads") == "loads"
    assert request_class("POST", "/diagnoses") == request_class("DELETE", "/subscriptions/x") == "writes"
    assert request_class("GET", "/gaps") is None and request_class("HEAD", "/") is None
    assert RateLimits.parse("sparql=10, writes=0") == RateLimits(sparql=10, writes=0)
    with pytest.raises(ZhengaiError, match="rate limit"):
        RateLimits.parse("queries=5")


def test_sparql_is_limited_per_token_with_retry_after(client: TestClient) -> None:
    asked = [client.get("/sparql", params={"query": "ASK {}"}, headers=auth("auditor")) for _ in range(4)]
    assert [r.status_code for r in asked] == [200, 200, 200, 429]
    refused = asked[-1]
    assert (
        refused.json()["code"] == "rate_limited"
        and refused.json()["zh"]
        and "try again" in refused.json()["en"]
    )
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # another token has its own allowance; reads are not limited
    assert (
        client.get("/sparql", params={"query": "ASK {}"}, headers=auth("quality_office")).status_code == 200
    )
    assert all(client.get("/indicators", headers=auth("auditor")).status_code == 200 for _ in range(10))


def test_writes_and_loads_are_limited(client: TestClient) -> None:
    statuses = [
        client.post("/loads", files={"file": ("x.csv", b"a,b\n")}, headers=auth("unit_head")).status_code
        for _ in range(3)
    ]
    assert statuses == [403, 403, 429]  # refused attempts count too: a guesser is slowed as well
    writes = [
        client.post("/diagnoses", json={"period": 2025}, headers=auth("teacher")).status_code
        for _ in range(5)
    ]
    assert writes == [403, 403, 403, 403, 429]


def _log(client: TestClient, who: str = "auditor", **params: str) -> list[dict[str, str]]:
    deadline = time.monotonic() + 5
    while True:  # the server writes its log entries a few at a time
        r = client.get("/log", params=params, headers=auth(who))
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        if items or time.monotonic() > deadline:
            return items
        time.sleep(0.1)


def test_every_write_is_in_the_log_for_auditors(client: TestClient, store_path: Path) -> None:
    r = client.post("/diagnoses", json={"period": 2025}, headers=auth("quality_office"))
    assert r.status_code == 201, r.text
    entries = _log(client, action="/diagnoses", actor="质量管理处")
    assert entries, "the diagnosis is not in the log"
    first = entries[0]
    assert first["action"] == "POST /diagnoses" and first["outcome"] == "201"
    assert first["role"] == "quality_office" and first["origin"] == "testclient"
    refused = _log(client, action="/loads")
    assert {e["outcome"] for e in refused} >= {"403", "429"} and {e["role"] for e in refused} == {"unit_head"}
    assert client.get("/log", headers=auth("teacher")).status_code == 403
    assert client.get("/log", headers=auth("reader")).status_code == 403
    page = client.get("/log", params={"limit": 1}, headers=auth("auditor")).json()
    assert len(page["items"]) == 1 and page["next_offset"] == 1
    assert client.get("/log", params={"since": "2999-01-01"}, headers=auth("auditor")).json()["items"] == []


def test_html_pages_carry_security_headers_and_json_needs_none(client: TestClient) -> None:
    page = client.get("/signin")
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert (
        "default-src 'self'" in policy
        and "frame-ancestors 'none'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    docs = client.get("/docs")
    assert "script-src 'self' 'unsafe-inline'" in docs.headers["content-security-policy"]
    assert "cdn" not in docs.text.lower()


def test_cors_is_off_unless_configured(client: TestClient) -> None:
    pre = client.options(
        "/sparql",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in pre.headers
    r = client.get("/healthz", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in r.headers


def test_the_command_line_logs_its_writes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from zhengai.cli import app

    runner = CliRunner()
    store = tmp_path / "store"
    assert runner.invoke(app, ["--store", str(store), "load", str(MATRIX)]).exit_code == 0
    assert runner.invoke(app, ["--store", str(store), "stats"]).exit_code == 0  # a read: not logged
    listed = runner.invoke(app, ["--store", str(store), "log", "-f", "json"])
    entries = json.loads(listed.stdout)
    assert [(e["action"], e["role"], e["outcome"]) for e in entries] == [("load", "cli", "ok")]
    assert entries[0]["target"].endswith("matrix.csv") and entries[0]["origin"]
    with OxigraphStore(store) as s:
        assert write_log.size(s) > 0


@pytest.mark.slow
def test_no_token_or_secret_reaches_any_log(store_path: Path, tmp_path: Path) -> None:
    """A full run on a real server with its request log on: every request of every role, a wrong
    token, a webhook subscription; then the server's output, the write log and an export of the
    whole store are searched for every token and secret."""
    import shutil

    store = tmp_path / "store"
    shutil.copytree(store_path, store)
    env_tokens = ";".join(
        f"{role}:{TOKENS[role]}" + {"unit_head": ":信息工程学院:T1004", "teacher": ":T1005"}.get(role, "")
        for role in ("quality_office", "auditor", "reader", "unit_head", "teacher")
    )
    wrong = "wrong-token-that-must-not-be-logged"
    with serving(store, {"ZHENGAI_TOKENS": env_tokens}, "--log-level", "info") as base:
        with httpx.Client(base_url=base, timeout=30) as http:
            for role in ("quality_office", "auditor", "reader", "unit_head", "teacher"):
                for path in ("/gaps?limit=3", "/whoami", "/", "/log", "/indicators?limit=2"):
                    http.get(path, headers=auth(role))
                http.post("/diagnoses", json={"period": 2025}, headers=auth(role))
                http.get("/sparql", params={"query": "ASK {}"}, headers=auth(role))
            http.get("/gaps", headers={"Authorization": f"Bearer {wrong}"})
            http.post("/signin", data={"token": TOKENS["teacher"]}, follow_redirects=False)
            hook = http.post(
                "/subscriptions",
                json={
                    "name": "教务系统",
                    "url": "http://127.0.0.1:9/hook",
                    "scope": "role",
                    "value": "quality_office",
                },
                headers=auth("quality_office"),
            )
            secret = hook.json().get("secret", "") if hook.status_code == 201 else ""
            time.sleep(1.5)  # the write log's next pass
        process = base.process  # type: ignore[attr-defined]
    output = process.stdout.read().decode("utf-8", "replace")
    assert "GET /gaps" in output  # the request log was on
    export = tmp_path / "all.nq"
    subprocess.run(
        [sys.executable, "-m", "zhengai.cli", "--store", str(store), "export", str(export)], check=True
    )
    logged = subprocess.run(
        [sys.executable, "-m", "zhengai.cli", "--store", str(store), "log", "-f", "json", "--limit", "1000"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert "POST /diagnoses" in logged and "POST /signin" in logged
    secrets = [*TOKENS.values(), wrong, *([secret] if secret else [])]
    for text, where in (
        (output, "server output"),
        (logged, "write log"),
        (export.read_text("utf-8"), "store"),
    ):
        leaked = [s for s in secrets if s in text]
        assert leaked == [], f"{where} holds {leaked}"
