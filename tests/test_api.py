"""The HTTP API's first, read-only part, through FastAPI's TestClient on a real store."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_sample
from fastapi.testclient import TestClient
from zhengai.api.app import create_app

from zhengai import diagnosis
from zhengai.store import OxigraphStore


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    path: Path = tmp_path_factory.mktemp("api") / "store"
    with OxigraphStore(path) as store:
        load_sample(store)
        diagnosis.diagnose(store, 2024)
        diagnosis.diagnose(store, 2025)
    with TestClient(create_app(path)) as c:
        yield c


def test_healthz_and_openapi(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["quads"] > 10_000
    assert "/indicators" in client.get("/openapi.json").json()["paths"]


def test_indicators_are_paginated(client: TestClient) -> None:
    first = client.get("/indicators", params={"limit": 50}).json()
    assert first["total"] == 94 and len(first["items"]) == 50 and first["next_cursor"] == 50
    rest = client.get("/indicators", params={"limit": 50, "cursor": 50}).json()
    assert len(rest["items"]) == 44 and rest["next_cursor"] is None
    codes = {i["code"] for i in first["items"] + rest["items"]}
    assert len(codes) == 94
    assert client.get("/indicators", params={"limit": 0}).status_code == 422


def test_diagnoses_and_the_error_body(client: TestClient) -> None:
    runs = client.get("/diagnoses").json()["items"]
    assert [r["period"] for r in runs] == [2024, 2025]
    summary = client.get(f"/diagnoses/{runs[-1]['id']}").json()
    assert summary["totals"] == {"red": 29, "yellow": 7, "missing": 11}
    assert summary["summary"]["专业"]["决策指挥"]["red"] >= 1
    missing = client.get("/diagnoses/nope")
    assert missing.status_code == 404
    assert missing.json()["code"] == "diagnosis_error" and missing.json()["zh"] and missing.json()["en"]
