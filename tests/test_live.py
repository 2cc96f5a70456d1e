"""A pushed value is re-checked on its own (zhengai.live): the same shapes and query restricted to
its subject. After pushes, the latest run's open gaps and their owners equal what a full
``diagnose`` of the same data finds."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from conftest import load_sample, send
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import URIRef
from test_assignment import _lists_agree
from test_reports import _from_triples

from zhengai import assignment, diagnosis, lifecycle, live, push, query_registry, reports
from zhengai.sparql_text import bind_rows
from zhengai.store import OxigraphStore, to_ox

KEYS = ("severity", "grade", "value", "threshold", "status", "trend", "suggested_target", "message_zh")


def open_state(store: OxigraphStore, run: diagnosis.RunInfo) -> dict[str, tuple[object, ...]]:
    """Open gaps of a run as people read them, with their owners (warning rules aside)."""
    owners = {o.id: o.as_dict() for o in assignment.owners(store, run.graph).values()}
    return {
        r.id: (*(getattr(r, k) for k in KEYS), repr(owners.get(r.id)))
        for r in reports.gap_rows(store, run.graph)
        if r.severity != "closed"
    }


@pytest.fixture
def sample(tmp_path: Path) -> OxigraphStore:
    store = OxigraphStore(tmp_path / "store")
    load_sample(store)
    diagnosis.diagnose(store, 2024)
    diagnosis.diagnose(store, 2025)
    return store


def item(indicator: str, subject: str, value: object) -> dict:
    return {"indicator": indicator, "subject": subject, "period": 2025, "value": value,
            "source": "教务系统", "observed_at": "2026-03-01"}  # fmt: skip


def test_a_push_turns_a_passing_value_red_and_another_clears_a_gap(sample: OxigraphStore) -> None:
    run = diagnosis.latest_run(sample, 2025)
    assert run is not None and "2025/ZY-1.4.1-02/510202" not in open_state(sample, run)
    # 510202 met ZY-1.4.1-02 (grade A, 30 % and above); 10 % is below the C line (20 %): a new red
    # gap, assigned to its owner at once
    red = send(sample, [item("ZY-1.4.1-02", "510202", "10%")])
    assert [(c.id, c.before, c.after, c.kind) for c in red.changes] == [
        ("2025/ZY-1.4.1-02/510202", None, "red", "new")
    ]
    state = open_state(sample, run)
    assert state["2025/ZY-1.4.1-02/510202"][0] == "red" and "'rule'" in state["2025/ZY-1.4.1-02/510202"][-1]
    # 510203 was red on it (persisting from 2024), and its owner records a measure; 95 % then meets
    # the standard: the gap leaves the run, resolved by data, its measure kept
    owner = assignment.owners(sample, run.graph)
    holder = next(o for o in owner.values() if o.id == "2025/ZY-1.4.1-02/510203").posts[0].post.holders[0][0]
    lifecycle.measure(
        sample, "2025/ZY-1.4.1-02/510203", text="对接行业标准修订课程", due="2026-12-31", by=holder
    )
    cleared = send(sample, [item("ZY-1.4.1-02", "510203", "95%")])
    assert [(c.id, c.kind) for c in cleared.changes] == [("2025/ZY-1.4.1-02/510203", "resolved")]
    assert "2025/ZY-1.4.1-02/510203" not in open_state(sample, run)
    history = lifecycle.history(sample, "2025/ZY-1.4.1-02/510203")
    assert history.status.state == "resolved-by-data" and len(history.status.actions) == 1
    # a value between the lines (grade B, 20–30 %): a yellow gap again
    worse = send(sample, [item("ZY-1.4.1-02", "510203", "25%")])
    assert [(c.before, c.after, c.kind) for c in worse.changes] == [(None, "yellow", "new")]
    # red, then better: the same gap improves
    send(sample, [item("ZY-1.4.1-02", "510203", "5%")])
    better = send(sample, [item("ZY-1.4.1-02", "510203", "22%")])
    assert [(c.before, c.after, c.kind) for c in better.changes] == [("red", "yellow", "improved")]
    # the same severity with another value: changed
    same = send(sample, [item("ZY-1.4.1-02", "510203", "24%")])
    assert [(c.before, c.after, c.kind, c.value) for c in same.changes] == [
        ("yellow", "yellow", "changed", "24%")
    ]
    # the same value again changes nothing
    assert send(sample, [item("ZY-1.4.1-02", "510203", "24%")]).changes == []
    _lists_agree(sample, run.graph)
    # and a full diagnose of the same data finds the same
    fresh = diagnosis.diagnose(sample, 2025)
    again = diagnosis.latest_run(sample, 2025)
    assert again is not None and again.graph == fresh.graph
    assert open_state(sample, again) == open_state(sample, run)


PUSHES = st.lists(
    st.tuples(
        st.sampled_from(["ZY-1.4.1-02", "ZY-1.2.1-03", "ZY-1.3.1-02"]),
        st.sampled_from(["460301", "510202", "510203", "530701"]),
        st.sampled_from(["95%", "35%", "30%", "25%", "20%", "10%", 25, 12, 10, 3, "有", "无"]),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pushes=PUSHES, batched=st.booleans())
def test_after_any_pushes_the_live_state_equals_a_full_diagnose(
    pushes: list[tuple[str, str, object]], batched: bool
) -> None:
    """One at a time or all in one batch, through one kept context as the server has it."""
    with tempfile.TemporaryDirectory() as tmp, OxigraphStore(Path(tmp) / "store") as store:
        load_sample(store)
        diagnosis.diagnose(store, 2024)
        diagnosis.diagnose(store, 2025)
        run = diagnosis.latest_run(store, 2025)
        assert run is not None
        context = live.Live()
        items = [item(indicator, subject, value) for indicator, subject, value in pushes]
        if batched:  # the last value of each pair: a batch naming one twice is refused
            items = list({(i["indicator"], i["subject"]): i for i in items}.values())
        for part in [items] if batched else [[i] for i in items]:
            try:
                send(store, part, context)
            except push.InputError:
                continue  # a value its criterion cannot read (有 for a ratio …): refused, nothing written
        state = open_state(store, run)
        _lists_agree(store, run.graph)
        diagnosis.diagnose(store, 2025)
        fresh = diagnosis.latest_run(store, 2025)
        assert fresh is not None and fresh.graph != run.graph
        assert open_state(store, fresh) == state


def test_the_due_items_of_a_push_are_the_views(sample: OxigraphStore) -> None:
    """live_due_items.rq, asked for one indicator and some subjects, gives the rows of
    diagnosis_view.rq for them: unbound, all of them; bound, just those subjects'."""
    run = diagnosis.latest_run(sample, 2025)
    assert run is not None
    bindings = diagnosis._bindings(2025, URIRef(f"{run.graph}/shapes"))
    columns = ("focus", "standard", "subjectCode", "value", "obs")
    view: dict[tuple[object, object], tuple[object, ...]] = {
        (r["indicator"], r["subject"]): tuple(r.get(c) for c in columns)
        for r in sample.select(query_registry.get("diagnosis_view").text, bindings)
    }
    query = query_registry.get("live_due_items").text
    indicators = sorted({i for i, _ in view}, key=str)
    assert len(indicators) > 20
    for indicator in indicators:
        expected = {s: v for (i, s), v in view.items() if i == indicator}
        everything = sample.select(query, bindings | {"indicator": indicator})
        assert {r["subject"]: tuple(r.get(c) for c in columns) for r in everything} == expected, indicator
        some = [*sorted(expected, key=str)[:2], URIRef("https://w3id.org/zhengai/id/major/999999")]
        bound = sample.select(
            bind_rows(query, [(to_ox(s),) for s in some]), bindings | {"indicator": indicator}
        )
        assert {r["subject"]: tuple(r.get(c) for c in columns) for r in bound} == {
            s: v for s, v in expected.items() if s in some
        }, indicator


def test_pushed_rows_are_the_rows_of_the_gaps_triples(sample: OxigraphStore) -> None:
    """A listing reads the rows stored with the run and those the pushes wrote; together they are
    what the gaps' own triples say (tests/test_reports.py holds the same for a diagnosis)."""
    context = live.Live()
    send(sample, [item("ZY-1.4.1-02", "510202", "10%"), item("ZY-1.2.1-03", "510203", 3)], context)
    send(sample, [item("ZY-1.4.1-02", "510203", "95%"), item("ZY-1.3.1-02", "460301", "25%")], context)
    send(sample, [item("ZY-1.4.1-02", "510202", "25%")], context)
    run = diagnosis.latest_run(sample, 2025)
    assert run is not None
    replaced, current = reports.live_rows(sample, run.graph)
    assert "2025/ZY-1.4.1-02/510203" in replaced and "2025/ZY-1.4.1-02/510202" in current
    assert reports._stored_rows(sample, run.graph) == _from_triples(sample, run)


def test_a_push_reopens_a_gap_the_run_closed(sample: OxigraphStore) -> None:
    """510203's 2024 ZY-1.2.1-03 gap (yellow, B) closed in 2025; a push of 3 (below the 底线 of 10)
    reopens it: one open row, persisting from 2024, the closed row gone — as a full diagnose has it."""
    run = diagnosis.latest_run(sample, 2025)
    assert run is not None
    rows = [r for r in reports.gap_rows(sample, run.graph) if r.id == "2025/ZY-1.2.1-03/510203"]
    assert [r.severity for r in rows] == ["closed"]
    change = send(sample, [item("ZY-1.2.1-03", "510203", 3)]).changes
    assert [(c.before, c.after, c.kind) for c in change] == [(None, "red", "new")]
    rows = [r for r in reports.gap_rows(sample, run.graph) if r.id == "2025/ZY-1.2.1-03/510203"]
    assert [(r.severity, r.status) for r in rows] == [("red", "persisting")]
    live = open_state(sample, run)
    diagnosis.diagnose(sample, 2025)
    fresh = diagnosis.latest_run(sample, 2025)
    assert fresh is not None and open_state(sample, fresh) == live


def test_a_targets_load_compiles_the_standards_again_and_keeps_the_rest(
    sample: OxigraphStore, tmp_path: Path
) -> None:
    """An upload of 年度目标 changes the yearly targets only: the kept context compiles the standards
    again (as a fresh reading does) and keeps what the run and the organisation gave it."""
    from zhengai.loading import load_file

    context = live.Live()
    run = diagnosis.latest_run(sample, 2025)
    assert run is not None
    send(sample, [item("ZY-1.2.1-03", "460301", 14)], context)
    before = context.context(sample, run)
    assert context.context(sample, run) is before  # nothing loaded: kept whole
    targets = tmp_path / "年度目标.csv"
    targets.write_text("指标,对象,学年,目标值,底线值\nZY-1.2.1-03,460301,2025,20,15\n", encoding="utf-8")
    load_file(sample, targets, "targets")
    after = context.context(sample, run)
    fresh = live._read_context(sample, run)
    assert after.compiled == fresh.compiled and after.compiled != before.compiled
    assert after.shape_of.keys() == fresh.shape_of.keys()
    for kept in ("stored", "constraints", "prior", "labels", "org", "owners"):
        assert getattr(after, kept) is getattr(before, kept), kept
    assert (after.stored, after.constraints, after.prior) == (fresh.stored, fresh.constraints, fresh.prior)
    # a load of anything else (the organisation) reads the whole context again
    load_file(sample, Path(__file__).resolve().parents[1] / "data" / "sample" / "组织.xlsx", "org")
    assert context.context(sample, run).org is not before.org
