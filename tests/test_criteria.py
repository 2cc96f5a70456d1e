"""The 诊断标准 language: every criterion string the seed deck shows compiles to the intended
typed criterion; other forms are findings, never crashes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from zhengai.criteria import NotCheckable, compile_criterion, threshold_text

D = Decimal
ABC_90 = ("A/B/C\nA:90%以上\nB:70%-90%\nC:70%以下", D("0.9"), D("0.7"), "percent")
ABC_30 = ("A/B/C\nA:30%及以上\nB:20%-30%\nC:20%以下", D("0.3"), D("0.2"), "percent")
ABC_COUNT = ("A/B/C\nA：15个以上\nB:10-15个\nC:10个以下", D("15"), D("10"), "count")

# Every criterion text of the seed deck (as the seed writes it: full- and half-width, line breaks).
SEED_YES_NO = [
    ("有/无", "evidence", True),
    ("文本上传", "evidence", True),
    ("有／否", "evidence", True),
    ("是/否", "boolean", True),
    ("是／否按时提交", "boolean", True),
    ("是／否符合学校建设规划", "boolean", True),
    ("是／否具有可行性与可操作性", "boolean", True),
    ("是不是单一类型", "boolean", False),  # a single type is the gap
]
SEED_RATIOS = [
    ("完成率（完成课程数／学校课程综述）", ("完成课程数", "学校课程综述")),
    ("及时提交率（及时提交课程数／学校课程总数）", ("及时提交课程数", "学校课程总数")),
    ("符合学校课程建设总体规划率（符合课程数／学校\n课程总数）", ("符合课程数", "学校课程总数")),
    ("可行可操作率（可行课程数／学校课程总数）", ("可行课程数", "学校课程总数")),
    ("符合人才培养目标率（符合课程数／学校课程总数）", ("符合课程数", "学校课程总数")),
    ("兼职教师参与率（参与课程数／学校课程总数）", ("参与课程数", "学校课程总数")),
]


@pytest.mark.parametrize(("text", "kind", "expected"), SEED_YES_NO)
def test_seed_yes_no_forms(text: str, kind: str, expected: bool) -> None:
    c = compile_criterion(text)
    assert (c.kind, c.expected, c.a_line, c.c_line) == (kind, expected, None, None)


@pytest.mark.parametrize(("text", "a_line", "c_line", "unit"), [ABC_90, ABC_30, ABC_COUNT])
def test_seed_grade_forms(text: str, a_line: Decimal, c_line: Decimal, unit: str) -> None:
    c = compile_criterion(text)
    assert (c.kind, c.a_line, c.c_line, c.unit, c.default_scale) == ("graded", a_line, c_line, unit, False)


@pytest.mark.parametrize(("text", "ratio"), SEED_RATIOS)
def test_seed_ratio_forms_use_the_default_scale(text: str, ratio: tuple[str, str]) -> None:
    c = compile_criterion(text)
    assert (c.kind, c.a_line, c.c_line, c.unit, c.ratio, c.default_scale) == (
        "graded",
        D("0.9"),
        D("0.7"),
        "percent",
        ratio,
        True,
    )


@pytest.mark.parametrize(
    "text",
    [
        "A/B/C A:90%以上 B:70%-90% C:70%以下",  # one line, spaces
        "A/B/C\nA：90％以上\nB：70％－90％\nC：70％以下",  # full-width everything
        "A/B/C\r\nA:90%及以上\r\nB:70%~90%\r\nC:70%以下",
    ],
)
def test_punctuation_and_line_break_variants(text: str) -> None:
    c = compile_criterion(text)
    assert (c.a_line, c.c_line, c.unit) == (D("0.9"), D("0.7"), "percent")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (None, "没有诊断标准"),
        ("   ", "没有诊断标准"),
        ("良好", "无法识别"),
        ("A/B/C", "A 档或 C 档线"),  # grades without lines
        ("A/B/C\nA:90%以上\nB:60%-90%\nC:70%以下", "不衔接"),  # B does not join A and C
        ("A/B/C\nA:90%以上\nB:70-90个\nC:70%以下", "单位不一致"),
        ("是不是按时", "看不出"),
    ],
)
def test_unknown_forms_are_not_checkable_with_a_reason(text: str | None, why: str) -> None:
    with pytest.raises(NotCheckable) as info:
        compile_criterion(text)
    assert why in info.value.zh and info.value.en


@given(st.text(max_size=40))
@example("\u1369")  # ፩: a digit to str.isdigit, not to the lexer's number pattern
def test_any_text_compiles_or_is_not_checkable(text: str) -> None:
    try:
        c = compile_criterion(text)
    except NotCheckable as exc:
        assert exc.zh and exc.en
    else:
        assert c.kind in ("evidence", "boolean", "graded", "words")


@given(a=st.integers(1, 100), c=st.integers(0, 100))
def test_grade_lines_round_trip(a: int, c: int) -> None:
    text = f"A/B/C\nA:{a}%以上\nB:{c}%-{a}%\nC:{c}%以下"
    if c >= a:  # no room for grade B
        with pytest.raises(NotCheckable):
            compile_criterion(text)
        return
    crit = compile_criterion(text)
    assert threshold_text(crit.a_line, "percent") == f"{a}%"  # type: ignore[arg-type]
    assert threshold_text(crit.c_line, "percent") == f"{c}%"  # type: ignore[arg-type]


# Pieces of real criteria, shuffled: the parser meets every token kind in every order.
PIECES = ["≥", "≤", "不低于", "不超过", "以上", "以下", "以内", "-", "至", "为", "A", "B", "C", "D级", "优秀",
          "良好", "合格", "不合格", "一档", "达标", "不达标", "/", "：", "；", "，", "、", "\n", " ", "90%", "70",
          "16:1", "1:18", "3.5万元", "四分之一", "1/4", "‰", "个", "分", "预警", "红色预警", "黄牌", "目标值",
          "预警值", "底线值", "有/无", "是/否", "是否", "是不是", "（需上传佐证材料）", "(≥90分)", "生师比",
          "就业率", "连续两年", "末位", "任意两项", "事故", "率（分子／分母）"]  # fmt: skip


@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_any_mix_of_criterion_pieces_compiles_or_is_not_checkable(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        c = compile_criterion(text)
    except NotCheckable as exc:
        assert exc.zh and exc.en
        return
    assert c.kind in ("evidence", "boolean", "graded", "words")
    if c.kind == "graded":
        assert c.bands and c.direction in ("higher", "lower", "within")
        assert any(b.severity == "pass" for b in c.bands) and any(b.severity != "pass" for b in c.bands)
        # the bands never overlap: each value sits in at most one band
        for value in [b.low for b in c.bands if b.low is not None] + [
            b.high for b in c.bands if b.high is not None
        ]:
            assert sum(b.contains(value) for b in c.bands) == 1, (text, value)


@pytest.mark.parametrize(
    ("text", "direction", "passes", "fails"),
    [
        ("生师比≤18:1", "lower", [D(18), D(10)], [D("18.01")]),
        ("学生违纪率低于2%", "lower", [D("0.019")], [D("0.02")]),
        ("就业率不低于90%", "higher", [D("0.9")], [D("0.899")]),
        ("生师比14:1-18:1", "within", [D(14), D(18)], [D("13.9"), D("18.1")]),
        ("超过1/3", "higher", [D("0.34")], [D("0.333333")]),
    ],
)
def test_both_directions_and_which_end_is_in(text: str, direction: str, passes: list, fails: list) -> None:
    c = compile_criterion(text)
    assert c.direction == direction
    for v in passes:
        assert c.band_for(v).severity == "pass", v  # type: ignore[union-attr]
    for v in fails:
        assert c.band_for(v).severity != "pass", v  # type: ignore[union-attr]


def test_grade_severities_are_data(tmp_path, monkeypatch) -> None:
    """A college where 良好 passes too: one edited row of the grade table, no code."""
    from zhengai.criteria import vocabulary
    from zhengai.resources import read_text

    table = read_text("data", "grade_scales.csv").replace("优良中差,良好,2,,", "优良中差,良好,2,通过,")
    (tmp_path / "grades.csv").write_text(table, encoding="utf-8")
    text = "优秀：90分以上；良好：80-89分；合格：60-79分；不合格：60分以下"
    assert [b.severity for b in compile_criterion(text).bands] == ["pass", "yellow", "yellow", "red"]
    monkeypatch.setenv("ZHENGAI_GRADE_SCALES", str(tmp_path / "grades.csv"))
    vocabulary.cache_clear()
    compile_criterion.cache_clear()
    try:
        assert [b.severity for b in compile_criterion(text).bands] == ["pass", "pass", "yellow", "red"]
    finally:
        monkeypatch.delenv("ZHENGAI_GRADE_SCALES")
        vocabulary.cache_clear()
        compile_criterion.cache_clear()


@pytest.mark.parametrize("text", ["C：60%以下", "D级：60分以下", "良好：80分以下"])
def test_a_middle_grade_alone_with_an_upper_bound_is_not_checkable(text: str) -> None:
    """C：60%以下 alone says what a C is, not whether it is a gap nor what 70% is: it used to read
    as "up to 60% passes as a C, above it is an E (red)" — the direction upside down (found by
    bench/mutants.py)."""
    with pytest.raises(NotCheckable) as info:
        compile_criterion(text)
    assert (
        info.value.category == "grades" and "中间的一档" in info.value.zh and "middle grade" in info.value.en
    )


@pytest.mark.parametrize(
    ("text", "grades"),
    [
        ("不合格：60分以下", [("合格", "pass"), ("不合格", "red")]),  # the breach: else 合格
        ("优秀：90分以上", [("优秀", "pass"), ("未达优秀", "yellow")]),  # the top grade: else short of it
        ("合格：60分以上", [("合格", "pass"), ("不合格", "red")]),
        ("B：80%以上", [("B", "pass"), ("E", "red")]),  # a middle grade as the bar
    ],
)
def test_one_grade_alone_reads_as_its_bar(text: str, grades: list[tuple[str, str]]) -> None:
    c = compile_criterion(text)
    assert c.direction == "higher" and [(b.grade, b.severity) for b in c.bands] == grades


def test_equal_lines_are_one_line_in_either_direction() -> None:
    """A target equal to its warning value is one line, also for lower-is-better (a survivor of
    bench/mutants.py: refusing equal lines as 'on the wrong side' went unnoticed)."""
    from zhengai.criteria import compile_indicator

    for direction in ("越低越好", "越高越好"):
        c = compile_indicator(None, {"target": "5%", "warning": "5%"}, direction)
        assert {b.low for b in c.bands} | {b.high for b in c.bands} == {None, Decimal("0.05")}
    with pytest.raises(NotCheckable, match="wrong side"):
        compile_indicator(None, {"target": "5%", "warning": "6%"}, "越高越好")


def test_a_yes_no_word_is_no_value_for_a_numeric_criterion() -> None:
    """达标 is a yes/no word: with no criterion it is yes, for a numeric one it is not a value at all
    (the loader then says the value cannot be read), for a yes/no one it is that one's yes."""
    from zhengai.criteria.values import yes_no_value

    assert yes_no_value("达标", None) is True and yes_no_value("不达标", None) is False
    assert yes_no_value("达标", compile_criterion("不低于90%")) is None
    assert yes_no_value("达标", compile_criterion("达标")) is True


@pytest.mark.parametrize(
    ("value", "stored"),
    [("2‰", "0.002"), ("2", "0.002"), ("0.01", "0.00001"), ("0.009", "0.009")],
)
def test_a_bare_number_in_a_permille_criterion(value: str, stored: str) -> None:
    """Under 不高于3‰ a bare 2 is 2‰, and so is anything from 0.01 up (permille points); below
    0.01 it is already a fraction (survivors of bench/mutants.py: the line at 0.01, and the
    criterion's unit read only from a graded criterion)."""
    from zhengai.criteria.values import number

    assert number(value, compile_criterion("不高于3‰"), False) == Decimal(stored)


@pytest.mark.parametrize(
    ("value", "criterion", "stored"),
    [
        ("65%", "不少于10个", None),  # a rate for a count: refused
        ("17:1", "不低于90%", None),  # a ratio for a rate: refused
        ("3‰", "不低于90%", "0.003"),  # permille for a percentage: the same kind of thing
        ("千分之三", "不低于90%", "0.003"),  # (written out, it goes through the lexer)
        ("百分之六十五", "不高于3‰", "0.65"),
        ("12个", "不少于10个", "12"),
    ],
)
def test_a_value_in_another_unit_than_its_criterion(value: str, criterion: str, stored: str | None) -> None:
    """Survivors of bench/mutants.py: the unit check of an observed value against its criterion."""
    from zhengai.criteria.values import BadObservedValue, number

    if stored is None:
        with pytest.raises(BadObservedValue, match="another unit"):
            number(value, compile_criterion(criterion), False)
    else:
        assert number(value, compile_criterion(criterion), False) == Decimal(stored)


@pytest.mark.parametrize(
    ("value", "criterion", "percent", "stored"),
    [
        ("1", "不低于90%", True, "1"),  # 1 is the whole (100%), not 1%
        ("1.5", "不低于90%", True, "0.015"),  # above 1: percent points
        ("12人", "不少于10个", False, None),  # another counting word: refused
        ("1.2万册", "不少于10000册", False, "12000"),  # 万 multiplied out, the same word
    ],
)
def test_bare_numbers_and_counting_words(
    value: str, criterion: str, percent: bool, stored: str | None
) -> None:
    """Survivors of bench/mutants.py: the line at 1 for a rate's bare number, and a count's word."""
    from zhengai.criteria.values import BadObservedValue, number

    if stored is None:
        with pytest.raises(BadObservedValue, match="its criterion in"):
            number(value, compile_criterion(criterion), percent)
    else:
        assert number(value, compile_criterion(criterion), percent) == Decimal(stored)


def test_a_counted_value_without_a_criterion_is_its_number() -> None:
    from zhengai.criteria.values import number

    assert number("12人", None, False) == Decimal(12) and number("1.2万册", None, False) == Decimal(12000)
