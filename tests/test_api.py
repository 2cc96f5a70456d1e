"""The REST resources and roles, through FastAPI's TestClient on a real store."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fixtures import STUDENT, auth, build_store, tokens
from conftest import SAMPLE
from fastapi.testclient import TestClient
from zhengai.api.app import create_app
from zhengai.api.service import Settings
from zhengai.api.uploads import Limits


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def client(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(tokens=tokens(tmp_path_factory.mktemp("tokens")), query_timeout=20)
    with TestClient(create_app(store_path, settings)) as c:
        yield c


def gaps_of(client: TestClient, who: str, **params: object) -> list[dict]:
    body = client.get("/gaps", params={"limit": 1000, **params}, headers=auth(who)).json()
    assert body["total"] == len(body["items"])
    return body["items"]


# -- service, errors, roles ----------------------------------------------------------------------------


def test_healthz_openapi_and_whoami(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["quads"] > 10_000
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/loads", "/graphs", "/diagnoses", "/diagnoses/{run_id}", "/gaps", "/gaps/{gap_id}",
                 "/owners/{kind}/{code}/gaps", "/audit", "/indicators", "/units", "/posts", "/subjects",
                 "/sparql", "/healthz"):  # fmt: skip
        assert path in paths, path
    assert client.get("/whoami").json()["role"] == "public"
    me = client.get("/whoami", headers=auth("unit_head")).json()
    assert me == {"role": "unit_head", "name": "", "unit": "信息工程学院", "person": None}


def test_tokens_and_the_error_body(client: TestClient) -> None:
    bad = client.get("/gaps", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["code"] == "unauthorized"
    assert set(bad.json()) == {"code", "zh", "en", "problems"}
    assert client.get("/gaps", headers={"Authorization": "Basic abc"}).status_code == 401
    public = client.get("/gaps")
    assert public.status_code == 401 and "token" in public.json()["en"]
    unknown = client.get("/nowhere")
    assert unknown.status_code == 404 and unknown.json()["code"] == "http_404" and unknown.json()["zh"]
    invalid = client.get("/indicators", params={"limit": 0})
    assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_request"
    assert invalid.json()["problems"][0]["en"].startswith("query.limit")


ROLE_MATRIX = {
    # resource: roles that may read it
    "/indicators": {"public", "reader", "teacher", "unit_head", "auditor", "quality_office"},
    "/diagnoses": {"reader", "teacher", "unit_head", "auditor", "quality_office"},
    "/units": {"reader", "teacher", "unit_head", "auditor", "quality_office"},
    "/gaps": {"teacher", "unit_head", "auditor", "quality_office"},
    "/posts": {"unit_head", "auditor", "quality_office"},
    "/subjects": {"unit_head", "auditor", "quality_office"},
    "/subjects?level=学生": {"quality_office"},
    "/subjects?level=教师": {"quality_office"},
    "/graphs": {"auditor", "quality_office"},
    "/audit": {"auditor", "quality_office"},
    "/sparql": {"auditor", "quality_office"},
}


@pytest.mark.parametrize("resource", sorted(ROLE_MATRIX))
def test_each_role_reaches_exactly_its_resources(client: TestClient, resource: str) -> None:
    for who in ("public", "reader", "teacher", "unit_head", "auditor", "quality_office"):
        status = client.get(resource, headers=auth(who)).status_code
        allowed = who in ROLE_MATRIX[resource]
        assert (status == 200) == allowed, (resource, who, status)
        if not allowed:
            assert status == (401 if who == "public" else 403)


def test_writes_are_for_the_quality_office_only(client: TestClient) -> None:
    for who in ("public", "reader", "teacher", "unit_head", "auditor"):
        r = client.post("/diagnoses", json={"period": 2025}, headers=auth(who))
        assert r.status_code in (401, 403), who
        with (SAMPLE / "年度目标.xlsx").open("rb") as fh:
            r = client.post("/loads", files={"file": ("年度目标.xlsx", fh)}, headers=auth(who))
        assert r.status_code in (401, 403), who


# -- look-ups -------------------------------------------------------------------------------------------


def test_indicators_are_paginated(client: TestClient) -> None:
    first = client.get("/indicators", params={"limit": 50}).json()
    assert first["total"] == 94 and len(first["items"]) == 50 and first["next_cursor"] == 50
    rest = client.get("/indicators", params={"limit": 50, "cursor": 50}).json()
    assert len(rest["items"]) == 44 and rest["next_cursor"] is None
    assert len({i["code"] for i in first["items"] + rest["items"]}) == 94


def test_criteria_say_how_each_row_was_read(client: TestClient) -> None:
    page = client.get("/criteria", params={"level": "专业", "limit": 5}).json()  # no token: public
    assert (page["checkable"], page["of"], page["total"], len(page["items"])) == (48, 94, 20, 5)
    row = next(r for r in page["items"] if r["code"] == "ZY-1.1.1-02")
    assert row["checkable"] and row["reading_en"].startswith("A ≥ 90%, B ≥ 70% and < 90% (yellow warning)")
    rest = client.get("/criteria", params={"checkable": "false", "limit": 1000}).json()
    assert rest["total"] == 46 and {r["level"] for r in rest["items"]} == {"教师", "学生"}
    assert all(r["hint_zh"] and r["hint_en"] for r in rest["items"])


def test_units_posts_and_subjects(client: TestClient) -> None:
    units = client.get("/units", headers=auth("reader")).json()
    xx = next(u for u in units["items"] if u["name"] == "信息工程学院")
    assert xx["typeText"] == "二级学院" and xx["headCode"] == "XX-01"
    posts = client.get("/posts", params={"unit": "信息工程学院"}, headers=auth("auditor")).json()["items"]
    assert [p["code"] for p in posts] == ["XX-01", "XX-11", "XX-12", "XX-21"]
    assert next(p for p in posts if p["code"] == "XX-11")["vacant"] is True
    assert next(p for p in posts if p["code"] == "XX-12")["holders"] == [
        {"staff_number": "T1005", "name": "曾思远"}
    ]
    majors = client.get("/subjects", params={"level": "专业"}, headers=auth("auditor")).json()
    assert {m["code"] for m in majors["items"]} == {"460301", "510202", "510203", "530701"}
    students = client.get(
        "/subjects", params={"level": "学生", "limit": 1000}, headers=auth("quality_office")
    )
    assert students.json()["total"] == 24 and STUDENT in {s["code"] for s in students.json()["items"]}


# -- diagnoses -------------------------------------------------------------------------------------------


def test_diagnoses_are_aggregates(client: TestClient) -> None:
    runs = client.get("/diagnoses", headers=auth("reader")).json()["items"]
    assert [r["period"] for r in runs] == [2024, 2025]
    summary = client.get(f"/diagnoses/{runs[-1]['id']}", headers=auth("reader")).json()
    assert summary["totals"]["red"] == 29
    # the sample's 9, and the one student indicator the student did not report that is not a 全校 total
    assert summary["totals"]["missing"] == 10
    assert summary["summary"]["专业"]["决策指挥"]["red"] >= 1
    assert STUDENT not in str(summary)
    missing = client.get("/diagnoses/nope", headers=auth("reader"))
    assert missing.status_code == 404 and missing.json()["code"] == "diagnosis_error"


# -- gaps, owners and personal data -----------------------------------------------------------------------


def expected_2025() -> set[tuple[str, str]]:
    with (SAMPLE / "expected_gaps.csv").open(encoding="utf-8") as fh:
        return {(r["指标"], r["对象"]) for r in csv.DictReader(fh) if r["学年"] == "2025"}


def test_quality_office_sees_every_gap_with_filters_and_pages(client: TestClient) -> None:
    every = gaps_of(client, "quality_office", period=2025)
    open_gaps = {(g["indicator"], g["subject"]) for g in every if g["severity"] != "closed"}
    student_gaps = {k for k in open_gaps if k[1] == STUDENT}
    assert open_gaps - student_gaps == expected_2025()
    # the student reported a 全校 total; of the student indicators only XS-2.3.10-01 (其他) is not one
    assert student_gaps == {("XS-2.3.10-01", STUDENT)}
    red = gaps_of(client, "quality_office", period=2025, severity="red", level="专业")
    assert red and all(g["severity"] == "red" and g["level"] == "专业" for g in red)
    system = gaps_of(client, "quality_office", system="决策指挥")
    assert system and all(g["system"] == "决策指挥" for g in system)
    page1 = client.get("/gaps", params={"limit": 10}, headers=auth("quality_office")).json()
    page2 = client.get("/gaps", params={"limit": 10, "cursor": 10}, headers=auth("quality_office")).json()
    assert page1["next_cursor"] == 10 and not {g["id"] for g in page1["items"]} & {
        g["id"] for g in page2["items"]
    }
    by_unit = gaps_of(client, "quality_office", unit="教务处")
    assert by_unit and all(g["owner"] and "教务处" in str(g["owner"]) for g in by_unit)
    assert client.get("/gaps", params={"period": 1999}, headers=auth("quality_office")).status_code == 404


def test_a_gap_with_its_full_owner(client: TestClient) -> None:
    body = client.get("/gaps/2025/ZY-1.1.1-02/510202", headers=auth("quality_office")).json()
    assert body["severity"] == "red" and body["owner"]["rule"] in (1, 2, 3, 4)
    assert body["owner"]["escalation"] and body["owner"]["rule_zh"] and body["owner"]["rule_en"]
    missing = client.get("/gaps/2025/NOPE/1", headers=auth("quality_office"))
    assert missing.status_code == 404 and missing.json()["zh"]
    assert client.get("/gaps/not-a-gap", headers=auth("quality_office")).status_code == 404


def test_unit_head_sees_exactly_the_gaps_its_unit_owns(client: TestClient) -> None:
    mine = gaps_of(client, "unit_head")
    assert mine
    everyone = {g["id"]: g for g in gaps_of(client, "quality_office", owners=True)}
    owned_by_unit = {
        i for i, g in everyone.items()
        if g["owner"] and ("信息工程学院" in g["owner"]["units"] or any(p.startswith("XX-") for p in g["owner"]["posts"]))
    }  # fmt: skip
    assert {g["id"] for g in mine} == owned_by_unit
    other = next(i for i in everyone if i not in owned_by_unit and everyone[i]["severity"] != "closed")
    assert client.get(f"/gaps/{other}", headers=auth("unit_head")).status_code == 403
    assert client.get("/owners/unit/信息工程学院/gaps", headers=auth("unit_head")).status_code == 200
    assert client.get("/owners/post/XX-12/gaps", headers=auth("unit_head")).status_code == 200
    assert client.get("/owners/unit/教务处/gaps", headers=auth("unit_head")).status_code == 403


# 智能制造学院's head reviews (审核人) the open 2025 gaps of the subjects it governs: its major 460301
# (its class 机电2301 has none); it supervises none (the matrix's 监督控制 units are 审计处, 财务处,
# 质量管理处 and 资产管理处). Of those five it owns four (UNIT_ZZ): ZY-1.1.1-01 it only reviews.
REVIEW_ZZ = {
    f"2025/{code}/460301"
    for code in ("ZY-1.1.1-01", "ZY-1.2.1-03", "ZY-1.2.1-04", "ZY-1.3.1-02", "ZY-1.3.1-03")
}


def test_a_reviewer_lists_and_opens_the_gaps_it_may_review(client: TestClient) -> None:
    assert {g["id"] for g in gaps_of(client, "unit_head_other", period=2025, review="true")} == REVIEW_ZZ
    assert "2025/ZY-1.1.1-01/460301" not in UNIT_ZZ  # not its own, yet it may open it to review it
    head = auth("unit_head_other")
    assert client.get("/gaps/2025/ZY-1.1.1-01/460301", headers=head).status_code == 200
    assert client.get("/gaps/2025/ZY-1.1.1-01/460301/history", headers=head).status_code == 200
    assert client.get("/gaps/2025/ZY-1.1.1-02/510202", headers=head).status_code == 403  # 信息工程学院's
    assert gaps_of(client, "teacher", period=2025, review="true") == []
    every_open = {
        g["id"] for g in gaps_of(client, "quality_office", period=2025) if g["severity"] != "closed"
    }
    assert {g["id"] for g in gaps_of(client, "quality_office", period=2025, review="true")} == every_open


def test_teacher_sees_own_gaps_only(client: TestClient) -> None:
    mine = client.get("/owners/person/T1005/gaps", headers=auth("teacher")).json()
    assert mine["total"] >= 1
    for item in mine["items"]:
        owner = client.get(f"/gaps/{item['id']}", headers=auth("teacher")).json()["owner"]
        holders = {h["staff_number"] for p in owner["posts"] for h in p["holders"] + p["acting"]}
        assert "T1005" in holders
    assert {g["id"] for g in gaps_of(client, "teacher")} >= {g["id"] for g in mine["items"]}
    assert client.get("/owners/person/T1004/gaps", headers=auth("teacher")).status_code == 403
    assert client.get("/owners/unit/信息工程学院/gaps", headers=auth("teacher")).status_code == 403


# The 2025 gaps each scoped role may see, worked out from the sample's organisation: T1005 holds
# XX-12 (专业带头人, bound to 510202), whose work item supports ZY-1.1.1-02 only; 信息工程学院 owns its
# majors' and courses' gaps by rules 1–4 (the student 202320201 and class 网络2301 through the matrix);
# 智能制造学院 likewise for 460301 and its own unit.
EXPECTED_2025 = {
    "teacher": {"2025/ZY-1.1.1-02/510202"},
    "teacher_other": set(),
    "unit_head": {
        "2025/KC-1.1.1-03/信息工程学院", "2025/KC-1.1.1-04/信息工程学院", "2025/KC-1.1.2-01/信息工程学院",
        "2025/KC-1.1.2-04/信息工程学院", "2025/XS-2.3.10-01/202320201", "2025/XS-2.3.10-01/网络2301",
        "2025/ZY-1.1.1-02/510202", "2025/ZY-1.1.2-01/510202", "2025/ZY-1.2.1-01/510203",
        "2025/ZY-1.2.1-02/510202", "2025/ZY-1.3.1-02/510202", "2025/ZY-1.4.1-02/510203",
        "2025/ZY-1.4.1-03/510202", "2025/ZY-1.4.1-03/510203", "2025/ZY-1.5.1-02/510202",
    },
    "unit_head_other": {
        "2025/KC-1.1.1-01/智能制造学院", "2025/KC-1.1.2-01/智能制造学院", "2025/KC-1.1.2-03/智能制造学院",
        "2025/ZY-1.2.1-03/460301", "2025/ZY-1.2.1-04/460301", "2025/ZY-1.3.1-02/460301",
        "2025/ZY-1.3.1-03/460301",
    },
}  # fmt: skip


@pytest.mark.parametrize("who", sorted(EXPECTED_2025))
def test_each_scoped_role_sees_exactly_its_gaps(client: TestClient, who: str) -> None:
    seen = client.get("/gaps", params={"period": 2025, "limit": 1000}, headers=auth(who)).json()["items"]
    assert {g["id"] for g in seen} == EXPECTED_2025[who]


def test_the_auditor_sees_every_gap_but_the_personal_one(client: TestClient) -> None:
    every = {g["id"] for g in client.get("/gaps", params={"period": 2025, "limit": 1000},
                                          headers=auth("quality_office")).json()["items"]}  # fmt: skip
    audited = {g["id"] for g in client.get("/gaps", params={"period": 2025, "limit": 1000},
                                           headers=auth("auditor")).json()["items"]}  # fmt: skip
    assert len(every) == 63 and every - audited == {f"2025/XS-2.3.10-01/{STUDENT}"}
    assert client.get("/gaps", headers=auth("reader")).status_code == 403


def test_a_students_record_reaches_only_who_may_see_it(client: TestClient) -> None:
    every = gaps_of(client, "quality_office")
    student_gaps = [g for g in every if g["subject"] == STUDENT]
    assert student_gaps and all(g["personal"] for g in student_gaps)
    assert not any(g["personal"] for g in every if g["subject"] != STUDENT)  # the sample's other subjects
    gap_id = student_gaps[0]["id"]
    owner = client.get(f"/gaps/{gap_id}", headers=auth("quality_office")).json()["owner"]
    assert "信息工程学院" in str(owner)  # the student's 二级学院 owns it
    for who in ("reader", "auditor", "teacher_other", "unit_head_other"):
        assert STUDENT not in client.get("/gaps", params={"limit": 1000}, headers=auth(who)).text, who
        assert client.get(f"/gaps/{gap_id}", headers=auth(who)).status_code == 403, who
        assert client.get("/subjects", params={"level": "学生"}, headers=auth(who)).status_code == 403, who
    assert gap_id in {g["id"] for g in gaps_of(client, "unit_head")}  # the owning unit's head does see it


def test_owner_lookups(client: TestClient) -> None:
    by_post = client.get("/owners/post/XX-12/gaps", headers=auth("quality_office")).json()
    by_person = client.get("/owners/person/T1005/gaps", headers=auth("quality_office")).json()
    assert by_post["total"] >= 1 and {g["id"] for g in by_post["items"]} <= {
        g["id"] for g in by_person["items"]
    }
    assert client.get("/owners/desk/X/gaps", headers=auth("quality_office")).status_code == 422


def test_audit_report(client: TestClient) -> None:
    report = client.get("/audit", headers=auth("auditor")).json()
    with (SAMPLE / "expected_audit.csv").open(encoding="utf-8") as fh:
        expected = list(csv.DictReader(fh))
    assert len(report["findings"]) == len(expected)
    assert report["summary"]["ExpiredPost"] == {"violation": 1}


def test_graphs_carry_their_provenance(client: TestClient) -> None:
    items = client.get("/graphs", headers=auth("auditor")).json()["items"]
    catalogue = next(i for i in items if i["name"] == "catalogue/major")
    assert (
        catalogue["provenance"]["fileName"] == "监测指标.xlsx"
        and len(catalogue["provenance"]["sha256"]) == 64
    )
    assert any(i["name"].startswith("diagnosis/2025-") for i in items)


# -- loads ------------------------------------------------------------------------------------------------


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[TestClient]:
    """A client over a store of its own, for tests that load and diagnose."""
    path = build_store(tmp_path)
    settings = Settings(tokens=tokens(tmp_path), upload=Limits(max_bytes=2 * 1024 * 1024))
    with TestClient(create_app(path, settings)) as c:
        yield c


def snapshot(client: TestClient) -> tuple[int, list[dict]]:
    graphs = client.get("/graphs", headers=auth("quality_office")).json()["items"]
    return client.get("/healthz").json()["quads"], graphs


def upload(client: TestClient, name: str, content: bytes, **form: str) -> object:
    return client.post("/loads", files={"file": (name, content)}, data=form, headers=auth("quality_office"))


def test_load_then_diagnose_over_http(writer: TestClient) -> None:
    content = (SAMPLE / "年度目标.xlsx").read_bytes()
    r = upload(writer, "年度目标.xlsx", content, kind="targets")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "targets" and body["rows"] > 0
    assert all(g["provenance"]["fileName"] == "年度目标.xlsx" for g in body["graphs"])
    run = writer.post("/diagnoses", json={"period": 2025}, headers=auth("quality_office"))
    assert run.status_code == 201 and run.json()["totals"]["red"] == 29
    assert len(writer.get("/diagnoses", headers=auth("reader")).json()["items"]) == 3
    nothing = writer.post("/diagnoses", json={"period": 2031}, headers=auth("quality_office"))
    assert nothing.status_code == 404 and nothing.json()["code"] == "diagnosis_error"
    assert writer.post("/diagnoses", json={"period": "x"}, headers=auth("quality_office")).status_code == 422


def test_an_upload_is_read_and_checked_before_the_write_lock(writer: TestClient, write_xlsx) -> None:  # type: ignore[no-untyped-def]
    """While another write holds the lock, a bad file is refused at once and a good one waits only
    to be written; a ledger (checked against the lifecycle records) is read under the lock."""
    import threading

    svc = writer.app.state.service  # type: ignore[attr-defined]
    bad = write_xlsx(
        "状态数据.xlsx",
        {"状态数据": [["指标", "对象", "学年", "值"], ["ZY-1.1.1-02", "510202", 2025, "很多"]]},
    )
    answers: dict[str, object] = {}

    def send(name: str, file: str, content: bytes) -> None:
        answers[name] = upload(writer, file, content)

    targets = (SAMPLE / "年度目标.xlsx").read_bytes()
    with svc.write_lock:  # another write, as far as the uploads can tell
        refused = threading.Thread(target=send, args=("bad", "状态数据.xlsx", bad.read_bytes()))
        refused.start()
        refused.join(timeout=60)
        assert not refused.is_alive(), "a bad file waited for the write lock"
        assert answers["bad"].status_code == 400  # type: ignore[attr-defined]
        good = threading.Thread(target=send, args=("good", "年度目标.xlsx", targets))
        good.start()
        good.join(timeout=3)
        assert good.is_alive() and "good" not in answers  # read, and waiting to be written
    good.join(timeout=60)
    assert answers["good"].status_code == 201 and answers["good"].json()["kind"] == "targets"  # type: ignore[attr-defined]
    ledger = upload(writer, "改进台账.csv", (SAMPLE / "改进台账.csv").read_bytes())
    assert ledger.status_code == 201 and ledger.json()["kind"] == "actions", ledger.text


def test_a_load_of_new_targets_is_seen_at_once_by_what_was_cached(writer: TestClient) -> None:
    """A targets load keeps the cached organisation and catalogue but not the list of graphs a
    an auditor's queries see: the new year's targets are in the next query."""
    count = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"

    def graphs_seen() -> int:
        r = writer.get(
            "/sparql",
            params={"query": count},
            headers={**auth("auditor"), "Accept": "application/sparql-results+json"},
        )
        assert r.status_code == 200, r.text
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    before, indicators = graphs_seen(), writer.get("/indicators", headers=auth("reader")).json()
    csv_text = "指标,对象,学年,目标值,底线值\nZY-1.2.1-01,510203,2030,95%,85%\n"
    r = upload(writer, "年度目标-2030.csv", csv_text.encode("utf-8"), kind="targets")
    assert r.status_code == 201, r.text
    assert [g["graph"].rsplit("/", 2)[-2:] for g in r.json()["graphs"]] == [["targets", "2030"]]
    assert graphs_seen() == before + 1
    assert writer.get("/indicators", headers=auth("reader")).json() == indicators


def test_a_bad_workbook_names_the_cell_and_changes_nothing(writer: TestClient, write_xlsx) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(writer)
    bad = write_xlsx(
        "状态数据.xlsx",
        {"状态数据": [["指标", "对象", "学年", "值"], ["ZY-1.1.1-02", "510202", 2025, "很多"]]},
    )
    r = upload(writer, "状态数据.xlsx", bad.read_bytes())
    assert r.status_code == 400 and r.json()["code"] == "bad_input"
    problem = r.json()["problems"][0]
    assert problem["file"] == "状态数据.xlsx" and problem["sheet"] == "状态数据" and problem["row"] == 2
    assert problem["zh"] and problem["en"]
    assert snapshot(writer) == before


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


REFUSED = {
    "zip bomb": (
        "bomb.xlsx",
        zip_bytes({"xl/worksheets/sheet1.xml": b"<a>" + b"0" * 20_000_000 + b"</a>"}),
        {},
    ),
    "doctype": (
        "dtd.xlsx",
        zip_bytes({"[Content_Types].xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'}),
        {},
    ),
    "not a zip": ("fake.xlsx", b"this is not a workbook", {}),
    "rdf/xml": (
        "data.rdf",
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
        {},
    ),
    "binary csv": ("data.csv", b"\x00\x01\x02", {}),
    "rdf declared, table sent": ("t.csv", "指标,对象\n".encode(), {"kind": "rdf"}),
    "table declared, rdf sent": ("t.ttl", b"<a:b> <a:c> <a:d> .", {"kind": "observations"}),
    "unknown type": ("notes.docx", b"PK\x03\x04", {}),
    "empty": ("empty.csv", b"", {}),
    "bad turtle": ("bad.ttl", b"<a:b> <a:c> .", {}),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_uploads_are_refused_before_parsing(writer: TestClient, case: str) -> None:
    before = snapshot(writer)
    name, content, form = REFUSED[case]
    r = upload(writer, name, content, **form)
    assert r.status_code == 400, (case, r.text)
    assert r.json()["code"] == "bad_input" and r.json()["problems"][0]["file"] == name
    assert snapshot(writer) == before


def test_uploads_past_the_size_limit_are_refused(writer: TestClient) -> None:
    before = snapshot(writer)
    r = upload(writer, "big.csv", b"a,b\n" * (1024 * 1024))
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    assert snapshot(writer) == before


def test_a_turtle_upload_lands_in_its_own_graph(writer: TestClient) -> None:
    r = upload(writer, "extra.ttl", b'<https://example.org/a> <https://example.org/b> "c" .')
    assert r.status_code == 201 and r.json()["graphs"][0]["graph"].endswith("/rdf/extra")
    reserved = upload(
        writer, "x.trig", b"<https://w3id.org/zhengai/graph/org> { <https://e/a> <https://e/b> 1 . }"
    )
    assert reserved.status_code == 400


def test_token_configuration_errors(tmp_path: Path) -> None:
    from zhengai.api.roles import Tokens

    from zhengai.errors import ZhengaiError

    for text, words in (
        ('[[token]]\nrole = "boss"\ntoken = "x"', "unknown role"),
        ('[[token]]\nrole = "unit_head"\ntoken = "x"', "needs a unit"),
        ('[[token]]\nrole = "teacher"\ntoken = "x"', "needs a person"),
        ('[[token]]\nrole = "reader"', "needs token or sha256"),
        ("[[token]\n", "cannot read"),
    ):
        file = tmp_path / "tokens.toml"
        file.write_text(text, encoding="utf-8")
        with pytest.raises(ZhengaiError) as caught:
            Tokens.from_file(file)
        assert words in caught.value.en and caught.value.zh
    scoped = Tokens.from_env_text("unit_head:abc:信息工程学院;teacher:def:T1005")
    assert scoped.principal("Bearer abc").unit == "信息工程学院"
    assert scoped.principal("Bearer def").person == "T1005"
    with pytest.raises(ZhengaiError):
        Tokens.from_env_text("reader")


# Worked out by hand from the sample's workbooks (监测指标, 组织, 对象) for 2025:
# * T1005 曾思远 holds XX-12 专业带头人, bound to 专业:510202, whose work item supports ZY-1.1.1-02
#   (rule 1); the other indicator naming 专业带头人, ZY-1.2.1-01, closed for 510202 in 2025.
# * T1002 曹雨欣 holds ZZ-11, bound to 专业:460301, supporting ZY-1.2.1-05 and ZY-1.2.1-01: neither
#   is an open gap of 460301 in 2025, so she owns nothing.
# * 智能制造学院 (head ZZ-01) owns, by the matrix (rule 4: 专业 × 决策指挥 → the governing 二级学院),
#   460301's ZY-1.2.1-03/-04 and ZY-1.3.1-02/-03, whose 数据来源 names no unit; by 数据来源 各二级学院
#   (rule 3) its KC-1.1.1-01, KC-1.1.2-01 and KC-1.1.2-03. (机电2301's missing XS-2.1.3.2-01 is not
#   a gap: that indicator is a 全校 total, due for the school alone, and the school reported it.)
TEACHER_T1005 = {"2025/ZY-1.1.1-02/510202"}
UNIT_ZZ = {
    "2025/ZY-1.2.1-03/460301", "2025/ZY-1.2.1-04/460301", "2025/ZY-1.3.1-02/460301", "2025/ZY-1.3.1-03/460301",
    "2025/KC-1.1.1-01/智能制造学院", "2025/KC-1.1.2-01/智能制造学院", "2025/KC-1.1.2-03/智能制造学院",
}  # fmt: skip


def test_role_scoping_is_exactly_the_hand_listed_gaps(client: TestClient) -> None:
    assert {g["id"] for g in gaps_of(client, "teacher", period=2025)} == TEACHER_T1005
    own = client.get(
        "/owners/person/T1005/gaps", params={"period": 2025, "limit": 1000}, headers=auth("teacher")
    )
    assert {g["id"] for g in own.json()["items"]} == TEACHER_T1005
    assert {g["id"] for g in gaps_of(client, "teacher_other", period=2025)} == set()
    assert {g["id"] for g in gaps_of(client, "unit_head_other", period=2025)} == UNIT_ZZ
    by_unit = client.get(
        "/owners/unit/智能制造学院/gaps",
        params={"period": 2025, "limit": 1000},
        headers=auth("unit_head_other"),
    )
    assert {g["id"] for g in by_unit.json()["items"]} == UNIT_ZZ
