"""Pushed observations (POST /observations, zhengai push): the loader's checks, all or nothing,
duplicates stored once, Idempotency-Key, the ingest role's scope, PROV, and how a reload combines
with what was pushed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fixtures import auth, build_store, tokens
from conftest import SAMPLE
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from zhengai.api.app import create_app
from zhengai.api.service import Settings

from zhengai.cli import app as cli
from zhengai.loading import load_file
from zhengai.store import OxigraphStore

VALUE = """PREFIX zg: <https://w3id.org/zhengai/ont#>
SELECT ?g ?i ?s ?value ?source ?system ?token WHERE {
  GRAPH ?g { ?o zg:indicator ?i ; zg:subject ?s ; zg:value ?value .
             OPTIONAL { ?o zg:dataSource ?source }
             OPTIONAL { ?o <http://www.w3.org/ns/prov#wasGeneratedBy> ?push .
                        ?push <http://www.w3.org/ns/prov#wasAssociatedWith> ?agent ; zg:tokenName ?token .
                        ?agent <http://www.w3.org/2000/01/rdf-schema#label> ?system } } }"""
ITEM = {"indicator": "ZY-1.4.1-02", "subject": "510202", "period": 2025, "value": "88%",
        "source": "教务系统", "observed_at": "2026-03-01"}  # fmt: skip


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("push"))


@pytest.fixture(scope="module")
def client(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(store_path, Settings(tokens=tokens(tmp_path_factory.mktemp("t"))))) as c:
        yield c


def value_of(client: TestClient, indicator: str, subject: str) -> list[tuple[str, ...]]:
    store: OxigraphStore = client.app.state.service.store  # type: ignore[attr-defined]
    from rdflib import URIRef

    rows = store.select(
        VALUE,
        {"i": URIRef(f"https://w3id.org/zhengai/id/indicator/{indicator}"),
         "s": URIRef(f"https://w3id.org/zhengai/id/major/{subject}"),
         "g": URIRef("https://w3id.org/zhengai/graph/observations/2025")},
    )  # fmt: skip
    return sorted(tuple(str(r.get(k, "")) for k in ("value", "source", "system", "token")) for r in rows)


def quads(client: TestClient) -> int:
    return client.get("/healthz").json()["quads"]


def post(client: TestClient, body: object, who: str = "quality_office", **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/observations", json=body, headers={**auth(who), **headers})


def test_a_pushed_value_replaces_the_periods_value_with_its_provenance(client: TestClient) -> None:
    before = value_of(client, "ZY-1.4.1-02", "510202")
    assert len(before) == 1 and before[0][2] == ""  # from the workbook: no push
    answer = post(client, ITEM)
    assert answer.status_code == 201, answer.text
    assert answer.json()["written"] == ["2025/ZY-1.4.1-02/510202"] and answer.json()["duplicates"] == []
    # one value, 88 % stored as a fraction, from the system and token that pushed it
    assert value_of(client, "ZY-1.4.1-02", "510202") == [("0.88", "教务系统", "质量管理处", "质量管理处")]
    assert answer.json()["changes"] == []  # it met the standard (grade A) and still does


def test_a_push_over_http_answers_with_the_gap_it_turned_red(client: TestClient) -> None:
    answer = post(client, {**ITEM, "indicator": "ZY-1.4.1-02", "subject": "530701", "value": "10%"})
    change = answer.json()["changes"]
    assert [(c["id"], c["before"], c["after"], c["kind"]) for c in change] == [
        ("2025/ZY-1.4.1-02/530701", None, "red", "new")
    ]
    assert "低于 C 档线 20%" in change[0]["message_zh"] and "grade C" in change[0]["message_en"]
    gap = client.get("/gaps/2025/ZY-1.4.1-02/530701", headers=auth("quality_office")).json()
    assert gap["severity"] == "red" and gap["owner"]["rule"] in (1, 2, 3, 4)  # assigned at once


def test_the_gap_list_read_before_a_push_shows_what_the_push_changed(client: TestClient) -> None:
    """The rows a diagnosis stored are kept across pushes (only what pushes changed is read again):
    a list read before a push shows the pushed value, and then the gap resolved, at once."""

    def listing() -> dict[str, dict]:
        r = client.get(
            "/gaps", params={"limit": 1000, "indicator": "ZY-1.4.1-02"}, headers=auth("quality_office")
        )
        assert r.status_code == 200, r.text
        return {g["id"]: g for g in r.json()["items"]}

    before = listing()
    red = sorted(i for i, g in before.items() if g["severity"] == "red" and not i.endswith("/530701"))
    assert red, before
    gap = red[0]
    subject = gap.rsplit("/", 1)[-1]
    assert post(client, {**ITEM, "subject": subject, "value": "12%"}).status_code == 201
    after = listing()
    assert after[gap]["severity"] == "red" and after[gap]["value"] == "12%"  # was before[gap]["value"]
    assert {i: g for i, g in after.items() if i != gap} == {i: g for i, g in before.items() if i != gap}
    one = client.get(f"/gaps/{gap}", headers=auth("quality_office")).json()
    assert one["value"] == "12%"
    assert post(client, {**ITEM, "subject": subject, "value": "95%"}).status_code == 201
    assert listing().get(gap, {"severity": "closed"})["severity"] == "closed"


def test_what_the_server_patches_after_a_push_equals_what_it_would_read_again(client: TestClient) -> None:
    """After each push the cached rows, row index and owned ids are patched, not read again: they
    must equal a fresh reading of the store, through a new gap, a changed value, a resolved gap
    and a reopened one."""
    from zhengai import lifecycle, reports

    svc = client.app.state.service  # type: ignore[attr-defined]
    run = svc.run_for(2025).graph
    pushes = [("460301", "9%"), ("460301", "11%"), ("460301", "96%"), ("460301", "3%"), ("510202", "12%")]
    for subject, value in pushes:
        svc.gap_rows(run), svc.owned_ids(run), svc.gap_row(run, "2025/ZY-1.4.1-02/460301")  # cached
        answer = post(client, {**ITEM, "subject": subject, "value": value})
        assert answer.status_code == 201, answer.text
        assert answer.json()["changes"], (subject, value)
        generation = svc._generation
        assert svc.gap_rows(run) == reports.gap_rows(svc.store, run), (subject, value)
        assert svc.owned_ids(run) == lifecycle.owned_ids(svc.store, run), (subject, value)
        index = {r.id: r for r in reports.gap_rows(svc.store, run)}
        assert svc.gap_row(run, "2025/ZY-1.4.1-02/460301") == index.get("2025/ZY-1.4.1-02/460301")
        assert svc._generation == generation  # (no write came between)
    assert "2025/ZY-1.4.1-02/460301" in svc.owned_ids(run)  # reopened: assigned again


def test_the_same_observation_twice_is_stored_once(client: TestClient) -> None:
    item = {**ITEM, "subject": "510203", "value": 0.5}
    assert post(client, item).status_code == 201
    n = quads(client)
    again = post(client, item)
    assert again.status_code == 200 and again.json() == {
        "push": again.json()["push"], "written": [], "duplicates": ["2025/ZY-1.4.1-02/510203"], "replayed": False,
        "changes": [], "undiagnosed": [],
    }  # fmt: skip
    assert quads(client) == n


def test_an_idempotency_key_seen_before_writes_nothing(client: TestClient) -> None:
    item = {**ITEM, "subject": "460301", "value": 0.6}
    first = post(client, item, **{"Idempotency-Key": "erp-42"})
    assert first.status_code == 201
    n = quads(client)
    other_value = post(client, {**item, "value": 0.1}, **{"Idempotency-Key": "erp-42"})
    assert other_value.status_code == 200 and other_value.json()["replayed"] is True
    assert other_value.json()["push"] == first.json()["push"]
    assert other_value.json()["written"] == ["2025/ZY-1.4.1-02/460301"]
    assert quads(client) == n and value_of(client, "ZY-1.4.1-02", "460301")[0][0] == "0.6"


def test_a_batch_with_bad_items_writes_nothing_and_names_each_item(client: TestClient) -> None:
    n = quads(client)
    batch = [
        {**ITEM, "subject": "530701", "value": 0.7},
        {**ITEM, "indicator": "NOPE-1"},
        {**ITEM, "subject": "999999"},
        {**ITEM, "subject": "530701", "period": 2025, "value": "很多"},
        {**ITEM, "colour": "red"},
    ]
    answer = post(client, batch)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    rows = sorted(p["row"] for p in body["problems"])
    assert body["code"] == "unprocessable" and rows == [2, 3, 4, 5]  # the items, counted from 1
    assert all(p["zh"] and p["en"] for p in body["problems"])
    assert any("colour" in p["en"] for p in body["problems"]) and any(
        "NOPE-1" in p["zh"] for p in body["problems"]
    )
    assert quads(client) == n  # the good first item was not written either


def test_the_ingest_role_pushes_only_its_levels(client: TestClient) -> None:
    n = quads(client)
    refused = post(client, {**ITEM, "subject": "530701"}, who="ingest")
    assert refused.status_code == 403 and "学工系统" in refused.json()["zh"] and "ZY-1.4.1-02" in refused.text
    assert quads(client) == n
    student = {"indicator": "XS-2.3.10-01", "subject": "网络2301", "period": 2025, "value": 0.4,
               "source": "学工系统", "observed_at": "2026-03-02"}  # fmt: skip
    assert post(client, student, who="ingest").json()["written"] == ["2025/XS-2.3.10-01/网络2301"]
    assert client.get("/gaps", headers=auth("ingest")).status_code == 403  # it may push, not read
    assert post(client, ITEM, who="reader").status_code == 403


def test_csv_bodies_and_bad_requests(client: TestClient) -> None:
    csv = "指标,对象,学年,值,数据来源,采集时间\nZY-1.4.1-03,510202,2025,0.93,教务系统,2026-03-03\n"
    answer = client.post(
        "/observations", content=csv.encode(), headers={**auth("quality_office"), "Content-Type": "text/csv"}
    )
    assert answer.status_code == 201 and answer.json()["written"] == ["2025/ZY-1.4.1-03/510202"]
    xml = client.post(
        "/observations", content=b"<x/>", headers={**auth("quality_office"), "Content-Type": "text/xml"}
    )
    assert xml.status_code == 415 and xml.json()["zh"]
    broken = client.post(
        "/observations",
        content=b"{not json",
        headers={**auth("quality_office"), "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    assert post(client, []).status_code == 422
    assert post(client, [ITEM] * 10_001).status_code == 422


def test_a_reload_of_the_periods_workbook_replaces_what_was_pushed(
    client: TestClient, store_path: Path
) -> None:
    post(client, {**ITEM, "indicator": "ZY-1.5.1-01", "value": 0.99})
    assert value_of(client, "ZY-1.5.1-01", "510202")[0][2] == "质量管理处"
    svc = client.app.state.service  # type: ignore[attr-defined]
    with svc.write_lock:
        load_file(svc.store, SAMPLE / "状态数据.xlsx", "observations")
        svc.written()
    # the workbook is the period's record again: its value, no push
    assert [v[2] for v in value_of(client, "ZY-1.5.1-01", "510202")] == [""]


def test_the_cli_pushes_a_file_or_standard_input(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    runner = CliRunner()
    file = tmp_path / "push.json"
    file.write_text(json.dumps([{**ITEM, "value": 0.3}]), encoding="utf-8")
    first = runner.invoke(cli, ["--store", str(store), "push", str(file), "--system", "教务系统"])
    assert first.exit_code == 0 and "2025/ZY-1.4.1-02/510202" in first.output, first.output
    again = runner.invoke(cli, ["--store", str(store), "push", str(file)])
    assert again.exit_code == 0 and "重复 / duplicates: 1" in again.output
    # 30 % meets ZY-1.4.1-02 (grade A); 10 % turns 510202 red: an event, listed by zhengai events
    file.write_text(json.dumps([{**ITEM, "value": "10%"}]), encoding="utf-8")
    red = runner.invoke(cli, ["--store", str(store), "push", str(file)])
    assert "2025/ZY-1.4.1-02/510202：— → red（new）" in red.output, red.output
    listed = runner.invoke(cli, ["--store", str(store), "events", "-f", "json"])
    assert [(e["gap"], e["kind"], e["after"]) for e in json.loads(listed.output)] == [
        ("2025/ZY-1.4.1-02/510202", "new", "red")
    ]
    csv = "指标,对象,学年,值\nZY-1.4.1-02,999,2025,0.3\n"
    bad = runner.invoke(cli, ["--store", str(store), "push", "-"], input=csv)
    assert bad.exit_code != 0 and "999" in bad.output


def sse(client: TestClient, who: str, **params: object) -> list[dict]:
    """The events of GET /events?follow=false, parsed from the SSE stream."""
    headers = auth(who)
    if "last_event_id" in params:
        headers["Last-Event-ID"] = str(params.pop("last_event_id"))
    body = client.get("/events", params={"follow": "false", **params}, headers=headers)
    assert body.status_code == 200, body.text
    out = []
    for block in body.text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":")
        )
        if "data" in fields:
            out.append({"id": int(fields["id"]), "event": fields["event"], **json.loads(fields["data"])})
    return out


def test_a_push_that_turns_a_value_red_is_an_event_for_those_who_may_see_it(client: TestClient) -> None:
    seen = [e["id"] for e in sse(client, "quality_office")]
    # 460301 meets ZY-1.4.1-03 in 2025; 5 % is below its C line
    assert client.get("/gaps/2025/ZY-1.4.1-03/460301", headers=auth("quality_office")).status_code == 404
    red = post(client, {**ITEM, "indicator": "ZY-1.4.1-03", "subject": "460301", "value": "5%"})
    assert red.status_code == 201 and red.json()["changes"], red.text
    new = sse(client, "quality_office", after=max(seen, default=0))
    assert [(e["gap"], e["event"], e["before"], e["after"], e["value"]) for e in new] == [
        ("2025/ZY-1.4.1-03/460301", "new", None, "red", "5%")
    ]
    event = new[0]
    owner_units = event["owner"]["units"] + [p["unit"] for p in event["owner"]["posts"]]
    assert event["owner"]["escalation"] and event["message_zh"] and event["message_en"]
    # resumable: after the last id, nothing; the same id as Last-Event-ID header
    assert sse(client, "quality_office", after=event["id"]) == []
    assert [e["id"] for e in sse(client, "quality_office", last_event_id=event["id"] - 1)] == [event["id"]]
    # the matrix (rule 4) gives it to 智能制造学院, the 二级学院 of 460301: head ZZ-01 韩磊
    assert event["owner"]["rule"] == 4 and owner_units == ["智能制造学院", "智能制造学院"]
    assert [p["code"] for p in event["owner"]["escalation"]] == ["ZZ-01", "XB-01", "DW-01"]
    assert event["id"] in [e["id"] for e in sse(client, "unit_head_other")]  # 智能制造学院's head
    assert event["id"] not in [e["id"] for e in sse(client, "unit_head")]  # 信息工程学院's
    assert event["id"] not in [e["id"] for e in sse(client, "teacher")]  # T1005 holds none of it
    assert client.get("/events", params={"follow": "false"}, headers=auth("reader")).status_code == 403
    assert client.get("/events", params={"follow": "false"}, headers=auth("ingest")).status_code == 403
