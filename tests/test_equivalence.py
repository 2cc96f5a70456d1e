"""The fast path (SHACL core constraints as SPARQL in the store) and plain pyshacl give the same
results — focus node, source shape, severity — on randomly generated colleges."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengai import diagnosis
from zhengai.loading import batch_order, load_file
from zhengai.namespaces import graph
from zhengai.standards import compile_period, shapes_graph
from zhengai.store import OxigraphStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import generate  # the synthetic college generator of bench/generate.py


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    majors=st.integers(1, 4),
    courses=st.integers(1, 10),
    teachers=st.integers(1, 8),
    students=st.integers(1, 90),
    years=st.integers(1, 3),
)
def test_fast_path_equals_pyshacl(
    seed: int, majors: int, courses: int, teachers: int, students: int, years: int
) -> None:
    args = argparse.Namespace(
        seed=seed, majors=majors, courses=courses, teachers=teachers, students=students, years=years
    )
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate.College(args).write(Path(tmp))
        store = OxigraphStore(None)
        for path, kind in batch_order(paths, None):
            load_file(store, path, kind)
        for period in diagnosis.available_periods(store):
            shapes = shapes_graph(compile_period(store, period).standards)
            name = graph(f"diagnosis/equivalence-{period}/shapes")
            store.add_graphs({name: shapes})
            fast = {r.key for r in diagnosis.validate_fast(store, period, name)}
            reference = {r.key for r in diagnosis.validate_pyshacl(store, period, name, shapes)}
            assert fast == reference
            assert fast  # every generated college has gaps
