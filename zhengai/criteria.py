"""The 诊断标准 column as a small language: parse each criterion text into a typed criterion.

Forms understood (those the seed deck shows, with full- and half-width punctuation):

* ``有/无``, ``有／否``, ``文本上传`` — evidence must exist for the period (有 passes, 无 is a gap);
* ``是/否``, ``是／否按时提交``, ``是／否符合…`` — a yes/no standard (是 passes, 否 is a gap);
* ``是不是单一类型`` — a yes/no question whose *yes* is the gap (a single type);
* ``A/B/C`` with grade lines in the same text: ``A:90%以上 B:70%-90% C:70%以下``,
  ``A:30%及以上 …``, counts ``A：15个以上 B:10-15个 C:10个以下``;
* ratios ``完成率（完成课程数／学校课程总数）``: value = numerator / denominator, graded on the
  default scale (``DEFAULT_SCALE``) unless the catalogue or a yearly target says otherwise.

A grade line includes its own number (以上 and 及以上 both mean "at or above", as in Chinese
standards): ``A:90%以上 B:70%-90% C:70%以下`` reads A ≥ 90 %, 70 % ≤ B < 90 %, C < 70 %.

Anything else is not machine-checkable: ``compile_criterion`` raises ``NotCheckable`` with the
reason in Chinese and English, and the caller turns it into a finding on the catalogue row.

>>> compile_criterion("A/B/C\\nA:90%以上\\nB:70%-90%\\nC:70%以下").lines
(Decimal('0.9'), Decimal('0.7'))
>>> compile_criterion("有／否").kind
'evidence'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Kind = Literal["evidence", "boolean", "graded"]
Unit = Literal["percent", "count"]

DEFAULT_SCALE_TEXT = "A:90%以上 B:70%-90% C:70%以下"


class NotCheckable(ValueError):
    """A criterion text that does not compile; ``zh``/``en`` say why."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Criterion:
    """A compiled criterion.

    ``kind`` is ``evidence`` (有/无), ``boolean`` (是/否) or ``graded`` (A/B/C, ratios).
    For yes/no kinds ``expected`` is the value that passes. For graded kinds ``a_line`` is the
    lowest A value (below it: grade B, a yellow warning) and ``c_line`` the lowest B value (below
    it: grade C, a red warning). ``ratio`` names numerator and denominator when the text is a ratio.
    """

    text: str
    kind: Kind
    expected: bool | None = None
    a_line: Decimal | None = None
    c_line: Decimal | None = None
    unit: Unit | None = None
    ratio: tuple[str, str] | None = None
    default_scale: bool = False

    @property
    def lines(self) -> tuple[Decimal | None, Decimal | None]:
        return self.a_line, self.c_line


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), no spaces, one line."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text)


_EVIDENCE = {"有/无", "有/否", "文本上传", "有无", "有/没有"}
_YES_NO = re.compile(r"^是/否(.*)$")
_SINGLE_TYPE = re.compile(r"^是不是单一(类型|.*)$")
_RATIO = re.compile(r"^(?P<name>[^()]*?率)\((?P<num>[^/()]+)/(?P<den>[^/()]+)\)$")
_GRADE_HEAD = re.compile(r"^A/B/C")
_NUMBER = r"(\d+(?:\.\d+)?)"
_UNIT = r"(%|个)?"
_A = re.compile(rf"A[:]?{_NUMBER}{_UNIT}(?:及以上|以上|或以上)")
_B = re.compile(rf"B[:]?{_NUMBER}{_UNIT}[-~—至到]{_NUMBER}{_UNIT}")
_C = re.compile(rf"C[:]?{_NUMBER}{_UNIT}(?:以下|及以下)")


def _number(digits: str, unit: str | None) -> Decimal:
    value = Decimal(digits)
    return value / 100 if unit == "%" else value


def _unit(*units: str | None) -> Unit:
    given = {u for u in units if u}
    if len(given) > 1:
        raise NotCheckable("档次线的单位不一致（% 与 个混用）", "the grade lines mix units (% and 个)")
    return "percent" if given == {"%"} else "count"


def _grade_lines(flat: str, text: str) -> Criterion:
    a, b, c = _A.search(flat), _B.search(flat), _C.search(flat)
    if not (a and c):
        raise NotCheckable(
            "A/B/C 档次缺少可识别的 A 档或 C 档线（应如 A:90%以上 B:70%-90% C:70%以下）",
            "A/B/C grades without a readable A or C line (expected e.g. A:90%以上 B:70%-90% C:70%以下)",
        )
    unit = _unit(a[2], c[2], *(b[2], b[4]) if b else ())
    # "B:70%-90%" puts the unit on the upper number only; the lower one shares it.
    a_line = _number(a[1], "%" if unit == "percent" else None)
    c_line = _number(c[1], "%" if unit == "percent" else None)
    if b:
        b_low = _number(b[1], "%" if unit == "percent" else None)
        b_high = _number(b[3], "%" if unit == "percent" else None)
        if (b_low, b_high) != (c_line, a_line):
            raise NotCheckable(
                f"B 档区间 {b[1]}–{b[3]} 与 A、C 档线 {a[1]}、{c[1]} 不衔接",
                f"grade B range {b[1]}–{b[3]} does not join the A and C lines {a[1]}, {c[1]}",
            )
    if c_line > a_line:
        raise NotCheckable("C 档线高于 A 档线", "the C line is above the A line")
    return Criterion(text=text, kind="graded", a_line=a_line, c_line=c_line, unit=unit)


def default_scale() -> Criterion:
    """The scale a ratio without its own grade lines is graded on."""
    return _grade_lines(normalise(DEFAULT_SCALE_TEXT), DEFAULT_SCALE_TEXT)


def compile_criterion(text: str | None) -> Criterion:
    """The typed criterion of a 诊断标准 cell; ``NotCheckable`` when it is not one of the forms."""
    if text is None or not text.strip():
        raise NotCheckable("没有诊断标准", "no diagnostic criterion")
    flat = normalise(text)
    if flat in _EVIDENCE:
        return Criterion(text=text, kind="evidence", expected=True)
    if _SINGLE_TYPE.match(flat):
        return Criterion(text=text, kind="boolean", expected=False)
    if _YES_NO.match(flat):
        return Criterion(text=text, kind="boolean", expected=True)
    if _GRADE_HEAD.match(flat):
        return _grade_lines(flat, text)
    ratio = _RATIO.match(flat)
    if ratio:
        scale = default_scale()
        return Criterion(
            text=text,
            kind="graded",
            a_line=scale.a_line,
            c_line=scale.c_line,
            unit="percent",
            ratio=(ratio["num"], ratio["den"]),
            default_scale=True,
        )
    if flat.startswith("是不是"):
        raise NotCheckable(
            f"「{text.strip()}」：看不出“是”还是“否”算达标",
            f"'{text.strip()}': cannot tell whether yes or no passes",
        )
    raise NotCheckable(
        f"无法识别的诊断标准「{text.strip()}」",
        f"unrecognised criterion '{text.strip()}'",
    )


def threshold_text(value: Decimal, unit: Unit | None) -> str:
    """``0.7`` → ``70%``; ``10`` → ``10`` (a count)."""
    if unit == "percent":
        return f"{(value * 100).normalize():f}%"
    return f"{value.normalize():f}"
