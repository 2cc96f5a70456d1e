"""The fast path (SHACL core constraints as SPARQL in the store) and plain pyshacl give the same
results — focus node, source shape, severity — on randomly generated colleges."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from conftest import generated_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengai import diagnosis
from zhengai.loading import load_file
from zhengai.namespaces import graph
from zhengai.standards import compile_period, shapes_graph
from zhengai.store import OxigraphStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


pytestmark = pytest.mark.slow


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
    sizes = {"seed": seed, "majors": majors, "courses": courses, "teachers": teachers, "students": students}
    with tempfile.TemporaryDirectory() as tmp:
        store = generated_store(Path(tmp), **sizes, years=years)
        for period in diagnosis.available_periods(store):
            shapes = shapes_graph(compile_period(store, period).standards)
            name = graph(f"diagnosis/equivalence-{period}/shapes")
            store.add_graphs({name: shapes})
            fast = {r.key for r in diagnosis.validate_fast(store, period, name)}
            reference = {r.key for r in diagnosis.validate_pyshacl(store, period, name, shapes)}
            assert fast == reference
            assert fast  # every generated college has gaps


# -- every form of the criterion language: upper bounds, ranges, N-grade scales, words, lines ------

FORMS = [
    # (criterion, lines (目标值, 预警值, 比较方式), values an observation may take)
    ("生师比≤{a}:1", None, ["{a}", "{a}:1", "{b}", "{c}"]),
    ("学生流失率低于{p}%", None, ["{p}%", "{q}%", "0.5%"]),
    ("不低于{p}%", None, ["{p}%", "{q}%", "99%"]),
    ("超过{a}个", None, ["{a}", "{b}", "{c}"]),
    ("生师比{a}:1-{c}:1", None, ["{a}", "{b}", "{c}", "{d}", "1"]),
    ("A级：≥{r}%；B级：{q}%-{r}%；C级：{p}%-{q}%；D级：<{p}%", None, ["{p}%", "{q}%", "{r}%", "1%", "99%"]),
    ("≥{r}%为A，{q}%-{r}%为B，<{q}%为C", None, ["{q}%", "{r}%", "1%"]),
    (
        "优秀：{r}分以上；良好：{q}-{r}分；合格：{p}-{q}分；不合格：{p}分以下",
        None,
        ["{p}", "{q}", "{r}", "1", "100"],
    ),
    ("优秀/良好/合格/不合格", None, ["优秀", "良好", "合格", "不合格"]),
    ("达标/不达标", None, ["达标", "不达标"]),
    ("有/无", None, ["有", "无"]),
    (None, ("{r}%", "{p}%", None), ["{p}%", "{q}%", "{r}%", "99%"]),
    (None, ("{a}:1", ">{c}:1", "越小越好"), ["{a}", "{b}", "{c}", "{d}"]),
    ("低于{q}%黄色预警，低于{p}%红色预警", None, ["{p}%", "{q}%", "{r}%"]),
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(st.integers(0, len(FORMS) - 1), min_size=3, max_size=8),
    p=st.integers(20, 40),
    gaps=st.tuples(st.integers(1, 15), st.integers(1, 15), st.integers(1, 5)),
    choices=st.lists(st.integers(1, 11), min_size=40, max_size=40),
    majors=st.integers(1, 4),
)
def test_fast_path_equals_pyshacl_on_every_form(picks, p, gaps, choices, majors) -> None:
    from openpyxl import Workbook

    q, r = p + gaps[0], p + gaps[0] + gaps[1]
    a, c = 14, 14 + gaps[2] + 1
    numbers = {"p": p, "q": q, "r": r, "a": a, "b": a + 1, "c": c, "d": c + 1}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wb = Workbook()
        ws = wb.active
        ws.title = "专业"
        ws.append(["编码", "一级指标", "观测点", "诊断标准", "目标值", "预警值", "比较方式"])
        codes = []
        for n, pick in enumerate(picks):
            criterion, lines, _ = FORMS[pick]
            target, warning, direction = lines or (None, None, None)
            row = [f"E-{n:02d}", "质量生成", f"指标{n}"]
            row += [(x.format(**numbers) if x else None) for x in (criterion, target, warning)] + [direction]
            ws.append(row)
            codes.append((f"E-{n:02d}", pick))
        wb.save(folder / "指标.xlsx")
        subjects = Workbook()
        ws = subjects.active
        ws.title = "专业"
        ws.append(["专业代码", "专业名称"])
        for m in range(majors):
            ws.append([f"90000{m}", f"专业{m}"])
        subjects.save(folder / "对象.xlsx")
        lines_out = ["指标,对象,学年,值"]
        k = 0
        for code, pick in codes:
            values = FORMS[pick][2]
            for m in range(majors):
                choice = choices[k % len(choices)]
                k += 1
                if choice == 11 and k > 1:
                    continue  # missing data
                lines_out.append(f"{code},90000{m},2025,{values[choice % len(values)].format(**numbers)}")
        (folder / "状态.csv").write_text("\n".join(lines_out) + "\n", encoding="utf-8")
        store = OxigraphStore(None)
        for name, kind in (
            ("指标.xlsx", "catalogue"),
            ("对象.xlsx", "subjects"),
            ("状态.csv", "observations"),
        ):
            load_file(store, folder / name, kind)
        compiled = compile_period(store, 2025)
        assert not compiled.findings, compiled.findings  # every form compiles
        shapes = shapes_graph(compiled.standards)
        name = graph("diagnosis/forms-2025/shapes")
        store.add_graphs({name: shapes})
        assert not diagnosis.unsupported_forms(shapes)
        fast = {r.key for r in diagnosis.validate_fast(store, 2025, name)}
        reference = {r.key for r in diagnosis.validate_pyshacl(store, 2025, name, shapes)}
        assert fast == reference
