"""The rows stored with a run equal what ``run_gaps.rq`` reads back from its gaps' triples: for
every gap of the sample (open, closed, missing-data and warning-rule gaps, two periods) and of
hypothesis-generated colleges."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from conftest import SAMPLE, generated_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengai import diagnosis, query_registry, reports
from zhengai.loading import load_file
from zhengai.store import OxigraphStore


def _from_triples(store: OxigraphStore, run: diagnosis.RunInfo) -> list[reports.GapRow]:
    """The rows as the query reads them from the triples, without the stored rows."""
    query = query_registry.get("run_gaps")
    saved = reports._stored_rows
    try:
        reports._stored_rows = lambda *_: None  # type: ignore[assignment]
        rows = reports.gap_rows(store, run.graph)
    finally:
        reports._stored_rows = saved  # type: ignore[assignment]
    assert len(rows) == len(store.select(query.text, {"run": run.graph}))
    return rows


def _same(store: OxigraphStore) -> int:
    compared = 0
    for run in diagnosis.runs(store):
        stored = reports._stored_rows(store, run.graph)
        assert stored is not None, run.graph
        assert stored == _from_triples(store, run)
        compared += len(stored)
    return compared


def test_stored_rows_equal_the_triples_on_the_sample(loaded_store: OxigraphStore) -> None:
    load_file(loaded_store, SAMPLE / "预警规则.csv")
    diagnosis.diagnose(loaded_store, 2024)
    run = diagnosis.diagnose(loaded_store, 2025)
    severities = {r.severity for r in reports.gap_rows(loaded_store, run.graph)}
    assert severities == {"red", "yellow", "missing", "closed"}
    assert any(r.indicator.startswith("专业预警") for r in reports.gap_rows(loaded_store, run.graph))
    assert _same(loaded_store) > 100


@pytest.mark.slow
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), majors=st.integers(1, 3), students=st.integers(1, 60))
def test_stored_rows_equal_the_triples_on_generated_colleges(seed: int, majors: int, students: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = generated_store(
            Path(tmp), seed=seed, majors=majors, courses=4, teachers=4, students=students, years=2
        )
        for period in diagnosis.available_periods(store):
            diagnosis.diagnose(store, period)
        assert _same(store)
        # the generated teachers are subjects of teacher-level indicators: their gaps are personal
        # (a college whose teachers all meet their standards has none: seed 2466, 2 majors, 1 student)
        rows = reports.gap_rows(store, diagnosis.runs(store)[-1].graph)
        assert all(r.personal for r in rows if r.level == "教师")
        assert not any(r.personal and r.level != "教师" for r in rows)
