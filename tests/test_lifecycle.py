"""The improvement lifecycle: measures and reviews per role, over the CLI and REST, on a real store.

The college is the sample, diagnosed for 2024, with its 2024 improvement ledger (改进台账.csv:
one measure accepted, one rejected, one left past its due date), then diagnosed for 2025. The
gaps, owners and reviewers below were worked out by hand from the sample's workbooks:

* 2025/ZY-1.4.2-02/510202 — 有/无 (unmet), owned by JW-01 教务处处长 郑海波 (S0005); the major
  510202 belongs to 信息工程学院, whose head is 彭浩 (T1004, the 审核人); 质量管理处 supervises
  (head 何静怡 S0012); 许文杰 (S0013) works in the quality office.
* 2025/ZY-1.2.1-02/510202 — graded, owned by XX-01 (彭浩 T1004 himself, rule 4).
* 2025/ZY-1.1.1-02/510202 — graded, owned by XX-12 专业带头人 曾思远 (T1005).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MATRIX, SAMPLE
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner
from zhengai.api.app import create_app
from zhengai.api.roles import Tokens
from zhengai.api.service import Settings

from zhengai import diagnosis, lifecycle, write_log
from zhengai.cli import app
from zhengai.loading import batch_order, load_file
from zhengai.store import OxigraphStore

runner = CliRunner()
LEDGER = SAMPLE / "改进台账.csv"
EVIDENCE_GAP = "2025/ZY-1.4.2-02/510202"  # 有/无: an accepted review closes it
HEAD_OWNS = "2025/ZY-1.2.1-02/510202"  # owned by the college head T1004 (rejected in 2024)
LEADER_OWNS = "2025/ZY-1.1.1-02/510202"  # owned by T1005 (measure of 2024 overdue)
CLOSED_BY_DATA = "2025/ZY-1.2.1-01/510202"  # accepted in 2024, the 2025 data closed it


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lifecycle") / "store"
    files = [MATRIX, *sorted(SAMPLE.glob("*.xlsx")), SAMPLE / "预警规则.csv"]
    with OxigraphStore(path) as store:
        for file, kind in batch_order(files, None):
            load_file(store, file, kind)
        diagnosis.diagnose(store, 2024)
        load_file(store, LEDGER)
        diagnosis.diagnose(store, 2025)
    return path


@pytest.fixture
def store_dir(built: Path, tmp_path: Path) -> Path:
    """A copy of the built store for one test, which may change it."""
    target = tmp_path / "store"
    shutil.copytree(built, target)
    return target


def zg(store: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--store", str(store), *args])


def state(store: Path, gap: str) -> str:
    with OxigraphStore(store) as s:
        return lifecycle.history(s, gap).status.state


def action_count(store: Path) -> int:
    with OxigraphStore(store) as s:
        return len(lifecycle.actions.read(s))


# -- the sample's 2024 ledger, carried into 2025 ---------------------------------------------------


def test_the_2024_ledger_is_carried_into_2025(store_dir: Path) -> None:
    with OxigraphStore(store_dir) as s:
        closed = lifecycle.history(s, CLOSED_BY_DATA)
        rejected = lifecycle.history(s, HEAD_OWNS)
        overdue = lifecycle.history(s, LEADER_OWNS)
        old = lifecycle.history(s, "2024/ZY-1.2.1-02/510202")
    assert closed.status.state == "closed-by-data"
    assert [(a.kind, a.verdict) for a in closed.status.actions] == [("measure", None), ("review", "accepted")]
    assert (rejected.status.state, rejected.status.overdue) == ("rejected", False)
    assert rejected.status.review is not None and rejected.status.review.actor.capacity == "quality-office"
    assert (overdue.status.state, overdue.status.overdue) == ("measured", True)
    assert overdue.status.measure is not None and overdue.status.measure.due.isoformat() == "2025-03-31"
    assert old.later == HEAD_OWNS  # the 2024 gap carries on in 2025

    listed = zg(store_dir, "gaps", "--overdue", "-f", "json")
    assert listed.exit_code == 0, listed.output
    import json

    assert [g["id"] for g in json.loads(listed.output)] == [LEADER_OWNS]
    rejected_ids = [
        g["id"] for g in json.loads(zg(store_dir, "gaps", "--state", "rejected", "-f", "json").output)
    ]
    assert rejected_ids == [HEAD_OWNS]


def test_loading_the_ledger_again_adds_nothing(store_dir: Path) -> None:
    before = action_count(store_dir)
    assert zg(store_dir, "load", str(LEDGER)).exit_code == 0
    assert action_count(store_dir) == before == 5


def test_a_bad_ledger_row_is_located_and_nothing_is_written(store_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "台账.csv"
    bad.write_text(
        "问题编号,类型,工号,记录时间,内容,完成期限,结论\n"
        f"{EVIDENCE_GAP},改进措施,S0005,2026-12-01 09:00,补齐审批意见,2027-01-31,\n"
        f"{EVIDENCE_GAP},复核,T1006,2026-12-02 09:00,同意,,通过\n",
        encoding="utf-8",
    )
    with OxigraphStore(store_dir) as s:
        before = write_log.data_quads(s.quads())
    result = zg(store_dir, "load", str(bad))
    assert result.exit_code == 2
    assert "第 3 行" in result.output and "review-by-reviewer" in result.output and "row 3" in result.output
    with OxigraphStore(store_dir) as s:
        assert write_log.data_quads(s.quads()) == before


# -- every allowed transition, over the CLI ----------------------------------------------------------


def test_every_allowed_transition_over_the_cli(store_dir: Path) -> None:
    assert state(store_dir, EVIDENCE_GAP) == "assigned"
    first = zg(store_dir, "measure", EVIDENCE_GAP, "--text", "补齐人才培养方案审批意见", "--due", "2099-03-31",
               "--by", "S0005", "--evidence", "http://10.1.1.20/zg/方案.pdf")  # fmt: skip
    assert first.exit_code == 0, first.output
    assert "holder" in first.output and state(store_dir, EVIDENCE_GAP) == "measured"
    corrected = zg(store_dir, "measure", EVIDENCE_GAP, "--text", "补齐审批意见并公示", "--due", "2099-04-30",
                   "--by", "S0005")  # fmt: skip
    assert corrected.exit_code == 0 and "superseded" in corrected.output
    rejected = zg(
        store_dir, "review", EVIDENCE_GAP, "--reject", "--reason", "缺少学术委员会意见", "--by", "T1004"
    )
    assert rejected.exit_code == 0, rejected.output
    assert "college-reviewer" in rejected.output and state(store_dir, EVIDENCE_GAP) == "rejected"
    again = zg(
        store_dir,
        "measure",
        EVIDENCE_GAP,
        "--text",
        "补交学术委员会意见",
        "--due",
        "2099-05-31",
        "--by",
        "S0005",
    )
    assert again.exit_code == 0 and state(store_dir, EVIDENCE_GAP) == "measured"
    accepted = zg(store_dir, "review", EVIDENCE_GAP, "--accept", "--by", "S0012")
    assert accepted.exit_code == 0 and "supervisor" in accepted.output
    assert state(store_dir, EVIDENCE_GAP) == "closed-by-review"  # 有/无: no later data is needed

    history = zg(store_dir, "history", EVIDENCE_GAP, "-f", "json")
    import json

    body = json.loads(history.output)
    assert [(a["kind"], a["verdict"], a["by"]["staff_number"], a["superseded"]) for a in body["actions"]] == [
        ("measure", None, "S0005", True),
        ("measure", None, "S0005", False),
        ("review", "rejected", "T1004", False),
        ("measure", None, "S0005", False),
        ("review", "accepted", "S0012", False),
    ]
    assert body["actions"][0]["evidence"] == ["http://10.1.1.20/zg/方案.pdf"]

    # a graded gap: the college head (a unit head) measures his own unit's gap, the quality office accepts
    graded = zg(
        store_dir, "measure", LEADER_OWNS, "--text", "按月跟踪", "--due", "2099-01-31", "--by", "T1004"
    )
    assert graded.exit_code == 0 and "unit-head" in graded.output
    assert zg(store_dir, "review", LEADER_OWNS, "--accept", "--by", "S0013").exit_code == 0
    assert state(store_dir, LEADER_OWNS) == "accepted"  # waits for the next period's data


# -- every refused one ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "refused", "rule"),
    [
        ([], ["review", EVIDENCE_GAP, "--accept", "--by", "T1004"], "review-after-measure"),
        (
            [["measure", HEAD_OWNS, "--text", "座谈并量化目标", "--due", "2099-01-31", "--by", "T1004"]],
            ["review", HEAD_OWNS, "--accept", "--by", "T1004"],
            "review-not-own-measure",
        ),
        (
            [["measure", EVIDENCE_GAP, "--text", "补齐", "--due", "2099-01-31", "--by", "S0005"],
             ["review", EVIDENCE_GAP, "--accept", "--by", "T1004"]],
            ["measure", EVIDENCE_GAP, "--text", "再补", "--due", "2099-02-28", "--by", "S0005"],
            "measure-on-open-gap",
        ),
        ([], ["measure", CLOSED_BY_DATA, "--text", "x", "--due", "2099-01-31", "--by", "T1005"], "measure-on-open-gap"),
        (
            [["measure", EVIDENCE_GAP, "--text", "补齐", "--due", "2099-01-31", "--by", "S0005"]],
            ["review", EVIDENCE_GAP, "--accept", "--by", "T1001"],  # head of 智能制造学院
            "review-by-reviewer",
        ),
        ([], ["measure", LEADER_OWNS, "--text", "x", "--due", "2099-01-31", "--by", "T1006"], "measure-by-owner"),
        ([], ["measure", "2024/ZY-1.2.1-02/510202", "--text", "x", "--due", "2099-01-31", "--by", "T1004"],
         "act-on-current-period"),
        ([], ["measure", LEADER_OWNS, "--text", "x", "--due", "2020-01-31", "--by", "T1005"], "measure-text-and-due"),
        ([], ["review", LEADER_OWNS, "--reject", "--by", "T1004"], "reject-with-reason"),
        ([], ["measure", LEADER_OWNS, "--text", "x", "--due", "2099-01-31", "--by", "X9999"], "person-known"),
    ],
)  # fmt: skip
def test_every_refused_transition_names_its_rule_and_changes_nothing(
    store_dir: Path, steps: list[list[str]], refused: list[str], rule: str
) -> None:
    for step in steps:
        assert zg(store_dir, *step).exit_code == 0
    before = action_count(store_dir)
    result = zg(store_dir, *refused)
    assert result.exit_code == 2, result.output
    assert f"规则 {rule}" in result.output and f"rule {rule}" in result.output
    assert action_count(store_dir) == before


# -- actions survive re-runs, reloads, export and import -------------------------------------------------


def _histories(store: Path) -> dict[str, tuple[str, list[str]]]:
    with OxigraphStore(store) as s:
        out = {}
        for gap in (EVIDENCE_GAP, HEAD_OWNS, LEADER_OWNS, CLOSED_BY_DATA):
            h = lifecycle.history(s, gap)
            out[gap] = (h.status.state, [a.short for a in h.status.actions])
        return out


def test_actions_survive_a_rerun_an_org_reload_and_export_import(store_dir: Path, tmp_path: Path) -> None:
    assert (
        zg(
            store_dir, "measure", EVIDENCE_GAP, "--text", "补齐", "--due", "2099-01-31", "--by", "S0005"
        ).exit_code
        == 0
    )
    before = _histories(store_dir)
    assert before[EVIDENCE_GAP][0] == "measured"

    assert zg(store_dir, "diagnose", "--period", "2025").exit_code in (0, 1)
    assert _histories(store_dir) == before

    org = load_workbook(SAMPLE / "组织.xlsx")  # XX-12 gets a new holder: its gaps are reassigned
    people = org["人员"]
    for row in people.iter_rows(min_row=2):
        if row[0].value == "T1005":
            row[2].value = "XX-11"
    people.append(["T1099", "新带头人", "XX-12"])
    org.save(tmp_path / "组织.xlsx")
    reload = zg(store_dir, "load", str(tmp_path / "组织.xlsx"))
    assert reload.exit_code == 0 and "责任人因本次加载而改变" in reload.output
    assert _histories(store_dir) == before
    with OxigraphStore(store_dir) as s:
        owner = lifecycle.history(s, LEADER_OWNS).owner
    assert owner is not None and [n for o in owner.posts for n, _ in o.post.holders] == ["T1099"]

    backup = tmp_path / "backup.trig"
    assert zg(store_dir, "export", str(backup)).exit_code == 0
    fresh = tmp_path / "fresh"
    assert zg(fresh, "import", str(backup)).exit_code == 0
    assert _histories(fresh) == before


def test_a_gap_a_rerun_no_longer_finds_keeps_its_actions_as_resolved_by_data(
    store_dir: Path, tmp_path: Path
) -> None:
    gap = "2025/ZY-1.2.1-03/460301"  # 调研企业数量 7, below the bottom line 12
    with OxigraphStore(store_dir) as s:
        owner = lifecycle.history(s, gap).owner
    assert owner is not None
    holder = owner.posts[0].post.holders[0][0]
    assert (
        zg(store_dir, "measure", gap, "--text", "扩大调研", "--due", "2099-01-31", "--by", holder).exit_code
        == 0
    )
    wb = load_workbook(SAMPLE / "状态数据.xlsx")
    sheet = wb.active
    changed = 0
    for row in sheet.iter_rows(min_row=2):
        if (row[0].value, str(row[1].value), str(row[2].value)) == ("ZY-1.2.1-03", "460301", "2025"):
            row[3].value = 60
            changed += 1
    assert changed == 1
    wb.save(tmp_path / "状态数据.xlsx")
    assert zg(store_dir, "load", str(tmp_path / "状态数据.xlsx")).exit_code == 0
    assert zg(store_dir, "diagnose", "--period", "2025").exit_code in (0, 1)
    history = zg(store_dir, "history", gap)
    assert history.exit_code == 0, history.output
    assert "resolved" in history.output and "扩大调研" in history.output


# -- the same rules over REST ------------------------------------------------------------------------------

TOKENS = """
[[token]]
role = "quality_office"
token = "qo"

[[token]]
role = "unit_head"
unit = "信息工程学院"
person = "T1004"
token = "xx-head"

[[token]]
role = "unit_head"
unit = "智能制造学院"
person = "T1001"
token = "zz-head"

[[token]]
role = "teacher"
person = "T1005"
token = "t1005"

[[token]]
role = "reader"
token = "reader"
"""


@pytest.fixture
def client(store_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    file = tmp_path / "tokens.toml"
    file.write_text(TOKENS, encoding="utf-8")
    with TestClient(create_app(store_dir, Settings(tokens=Tokens.from_file(file)))) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_lifecycle_over_rest_per_role(client: TestClient) -> None:
    leader = "/gaps/" + LEADER_OWNS
    # the teacher owns the gap: a new measure supersedes the overdue one of 2024
    made = client.post(
        f"{leader}/measures", headers=bearer("t1005"), json={"text": "按季度跟踪并公示", "due": "2099-06-30"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["history"]["state"] == "measured" and made.json()["action"]["supersedes"]
    # nobody reviews their own measure, a teacher is no reviewer, nor is another college's head
    own = client.post(f"{leader}/reviews", headers=bearer("t1005"), json={"accept": True})
    assert (own.status_code, own.json()["rule"]) == (403, "review-by-reviewer")
    other = client.post(f"{leader}/reviews", headers=bearer("zz-head"), json={"accept": True})
    assert (other.status_code, other.json()["rule"]) == (403, "review-by-reviewer")
    assert "信息工程学院" in other.json()["zh"]
    assert (
        client.post(f"{leader}/reviews", headers=bearer("reader"), json={"accept": True}).status_code == 403
    )
    # a token acts only as its own person
    posing = client.post(
        f"{leader}/measures", headers=bearer("t1005"), json={"text": "x", "due": "2099-01-01", "by": "T1004"}
    )
    assert posing.status_code == 403
    # the college head rejects, with a reason; without one it is refused
    assert (
        client.post(f"{leader}/reviews", headers=bearer("xx-head"), json={"accept": False}).json()["rule"]
        == "reject-with-reason"
    )
    done = client.post(
        f"{leader}/reviews", headers=bearer("xx-head"), json={"accept": False, "reason": "没有量化"}
    )
    assert done.status_code == 201 and done.json()["history"]["state"] == "rejected"
    # a review before any measure is a conflict with where the gap stands
    early = client.post(f"/gaps/{EVIDENCE_GAP}/reviews", headers=bearer("xx-head"), json={"accept": True})
    assert (early.status_code, early.json()["rule"]) == (409, "review-after-measure")
    # the quality office enters a paper record on the owner's behalf, then another reviewer accepts
    paper = client.post(f"/gaps/{EVIDENCE_GAP}/measures", headers=bearer("qo"),
                        json={"text": "补齐审批意见", "due": "2099-01-31", "by": "S0005"})  # fmt: skip
    assert paper.status_code == 201, paper.text
    assert (
        client.post(
            f"/gaps/{EVIDENCE_GAP}/reviews", headers=bearer("qo"), json={"accept": True, "by": "S0013"}
        ).status_code
        == 201
    )

    history = client.get(f"{leader}/history", headers=bearer("t1005")).json()
    assert [a["kind"] for a in history["actions"]] == ["measure", "measure", "review"]
    assert (
        client.get(f"/gaps/{EVIDENCE_GAP}/history", headers=bearer("t1005")).status_code == 403
    )  # not the teacher's

    states = {
        g["id"]: g["state"]
        for g in client.get("/gaps", params={"limit": 1000}, headers=bearer("qo")).json()["items"]
    }
    assert states[EVIDENCE_GAP] == "closed-by-review" and states[LEADER_OWNS] == "rejected"
    rejected = client.get("/gaps", params={"state": "rejected", "limit": 1000}, headers=bearer("qo")).json()[
        "items"
    ]
    assert sorted(g["id"] for g in rejected) == sorted([LEADER_OWNS, HEAD_OWNS])
    assert client.get("/gaps", params={"overdue": True}, headers=bearer("qo")).json()["items"] == []


def test_the_gap_list_shows_each_measure_and_review_at_once(client: TestClient) -> None:
    """The server keeps every action read between writes: a measure or a review is in the next
    listing (by state, and in the page's own states), and a push in between keeps what it read."""

    def listed(gap_id: str, **filters: str) -> dict[str, object] | None:
        period, indicator, _ = gap_id.split("/")
        page = client.get(
            "/gaps",
            params={"period": period, "indicator": indicator, "limit": 500, **filters},
            headers=bearer("qo"),
        ).json()
        return next((g for g in page["items"] if g["id"] == gap_id), None)

    assert listed(EVIDENCE_GAP)["state"] == "assigned"  # type: ignore[index]
    assert listed(EVIDENCE_GAP, state="measured") is None
    made = client.post(f"/gaps/{EVIDENCE_GAP}/measures", headers=bearer("qo"),
                       json={"text": "补齐审批意见", "due": "2099-01-31", "by": "S0005"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert listed(EVIDENCE_GAP)["state"] == "measured"  # type: ignore[index]
    assert listed(EVIDENCE_GAP, state="measured") is not None
    pushed = client.post("/observations", headers=bearer("qo"), json={
        "indicator": "ZY-1.4.1-02", "subject": "510202", "period": 2025, "value": "10%",
        "source": "教务系统", "observed_at": "2026-03-01"})  # fmt: skip
    assert pushed.status_code == 201, pushed.text
    assert listed(EVIDENCE_GAP)["state"] == "measured"  # type: ignore[index]
    accepted = client.post(f"/gaps/{EVIDENCE_GAP}/reviews", headers=bearer("xx-head"), json={"accept": True})
    assert accepted.status_code == 201, accepted.text
    state = listed(EVIDENCE_GAP)["state"]  # type: ignore[index]
    assert state == accepted.json()["history"]["state"] != "measured"
    assert listed(EVIDENCE_GAP, state="measured") is None
