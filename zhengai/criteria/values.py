"""An observed value read in its criterion's own unit and words.

* yes/no criteria take their own words (达标/不达标, 完成/未完成 …) and the universal 是/否, 有/无;
  a word of another vocabulary is an error ("未完成 is not a value of a 有/无 criterion");
* grade-word criteria (优秀/良好/合格/不合格) take one of their grades;
* graded criteria take numbers: ``65%``, ``0.65``, ``65`` (a rate: percent points), ``3‰``,
  ``3.5万`` = ``35000`` = ``35,000``, ``17:1`` = ``1:17`` = ``17`` for a ratio criterion.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .lexer import Quantity, lex
from .model import Criterion
from .vocabulary import nfkc, vocabulary

_SIMPLE = re.compile(r"^(\d[\d,]*(?:\.\d+)?)(%|‰)$")
UNIVERSAL_YES = {"有", "是", "是的", "yes", "y", "true", "1", "√", "✓"}
UNIVERSAL_NO = {"无", "否", "没有", "no", "n", "false", "0", "×", "✗"}


class BadObservedValue(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def yes_no_value(text: str, criterion: Criterion | None) -> bool | None:
    """The boolean a yes/no word stands for, checked against the criterion's vocabulary; None: not a
    yes/no word at all."""
    word = nfkc(text)
    lowered = word.lower()
    if lowered in UNIVERSAL_YES:
        return True
    if lowered in UNIVERSAL_NO:
        return False
    own = criterion.words if criterion is not None and criterion.kind in ("evidence", "boolean") else None
    if own is not None and word in own:
        return word == own[0]
    known = vocabulary().yes_no_words()
    if word not in known:
        return None
    value, _pair = known[word]
    if criterion is None or criterion.kind not in ("evidence", "boolean"):
        return value if criterion is None else None
    raise BadObservedValue(
        f"「{word}」不是「{own[0]}/{own[1]}」类标准的取值（可用：{own[0]}、{own[1]}、是、否）",  # type: ignore[index]
        f"'{word}' is not a value of a {own[0]}/{own[1]} criterion (use {own[0]}, {own[1]}, 是 or 否)",  # type: ignore[index]
    )


def grade_word(text: str, criterion: Criterion) -> str:
    word = nfkc(text)
    grades = [b.grade for b in criterion.bands]
    if word in grades:
        return word
    raise BadObservedValue(
        f"「{word}」不是该指标的等级（可用：{'、'.join(grades)}）",
        f"'{word}' is not one of this indicator's grades ({', '.join(grades)})",
    )


def number(text: str, criterion: Criterion | None, percent: bool) -> Decimal:
    """A number in the criterion's unit (stored form: percent as a fraction, 万 multiplied out)."""
    flat = nfkc(text).replace(" ", "")
    try:
        plain = Decimal(flat.replace(",", ""))
    except InvalidOperation:
        plain = None
    unit = criterion.unit if criterion is not None and criterion.kind == "graded" else None
    if plain is not None:
        if not plain.is_finite():
            raise BadObservedValue(f"「{text}」不是有限数值", f"'{text}' is not a finite number")
        if (unit == "permille" and plain >= Decimal("0.01")) or (
            unit in ("percent", None) and percent and plain > 1
        ):
            return plain / (1000 if unit == "permille" else 100)
        return plain
    simple = _SIMPLE.match(flat)  # 65% and 3‰, the common case, without the lexer
    if simple and (unit is None or unit in ("percent", "permille")):
        return Decimal(simple[1].replace(",", "")) / (100 if simple[2] == "%" else 1000)
    tokens = [t for t in lex(flat).tokens if t.type != "SEP"]
    if len(tokens) != 1 or tokens[0].type != "NUM":
        raise BadObservedValue(
            f"值「{text}」无法识别：应为数值、百分比（65%）、比值（17:1）、有/无 或 是/否",
            f"value '{text}' is not a number, a percentage (65%), a ratio (17:1), 有/无 or 是/否",
        )
    q: Quantity = tokens[0].meaning  # type: ignore[assignment]
    if (
        unit is not None
        and q.kind != "count"
        and q.kind != unit
        and not ({q.kind, unit} <= {"percent", "permille"})
    ):
        raise BadObservedValue(
            f"值「{text}」的单位与诊断标准不一致（标准用 {criterion.unit_word or unit}）",  # type: ignore[union-attr]
            f"value '{text}' is in another unit than its criterion ({criterion.unit_word or unit})",  # type: ignore[union-attr]
        )
    if criterion is not None and q.kind == "count" and q.unit_word and criterion.unit_word:
        base = re.sub(r"^[万千亿百]+", "", q.unit_word)
        own = re.sub(r"^[万千亿百]+", "", criterion.unit_word)
        if base and own and base != own:
            raise BadObservedValue(
                f"值「{text}」的计量单位「{q.unit_word}」与诊断标准的「{criterion.unit_word}」不一致",
                f"value '{text}' is in '{q.unit_word}', its criterion in '{criterion.unit_word}'",
            )
    return q.value
