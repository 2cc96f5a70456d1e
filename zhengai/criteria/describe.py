"""How a criterion was read, in words (zh and en), and values shown in a criterion's unit."""

from __future__ import annotations

from decimal import Decimal

from .model import Band, Criterion

SEVERITY_ZH = {"pass": "通过", "yellow": "黄色预警", "red": "红色预警"}
SEVERITY_EN = {"pass": "passes", "yellow": "yellow warning", "red": "red warning"}


def _plain(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def threshold_text(value: Decimal, unit: str | None, unit_word: str = "", scale: Decimal = Decimal(1)) -> str:
    """A stored value in the unit it was written in.

    >>> threshold_text(Decimal("0.7"), "percent"), threshold_text(Decimal("10"), "count")
    ('70%', '10')
    >>> threshold_text(Decimal("35000"), "count", "万元", Decimal(10000)), threshold_text(Decimal(17), "ratio")
    ('3.5万元', '17:1')
    >>> threshold_text(Decimal("0.003"), "permille")
    '3‰'
    """
    if unit == "percent":
        return f"{_plain((value * 100).quantize(Decimal('0.01')))}%"
    if unit == "permille":
        return f"{_plain((value * 1000).quantize(Decimal('0.001')))}‰"
    if unit == "ratio":
        return f"{_plain(value)}:1"
    shown = value / scale if scale else value
    return f"{_plain(shown)}{unit_word}"


def _show(c: Criterion, value: Decimal | None) -> str:
    return "" if value is None else threshold_text(value, c.unit, c.unit_word, c.scale)


def _condition(c: Criterion, b: Band) -> tuple[str, str]:
    """≥ 90%, 70%–90%, < 70%."""
    lo = None if b.low is None else (("≥ " if b.low_closed else "> ") + _show(c, b.low))
    hi = None if b.high is None else (("≤ " if b.high_closed else "< ") + _show(c, b.high))
    if lo and hi:
        if b.low == b.high:
            return f"= {_show(c, b.low)}", f"= {_show(c, b.low)}"
        return f"{lo} 且 {hi}", f"{lo} and {hi}"
    text = lo or hi or ""
    return text, text


def reading(c: Criterion) -> tuple[str, str]:
    """The criterion in words: ``不低于 60%（低于为红色预警）``, ``A ≥ 90%，B ≥ 70%（黄色预警）…``."""
    if c.kind in ("evidence", "boolean"):
        yes, no = c.words or ("是", "否")
        bad = no if c.expected else yes
        words = "" if (yes, no) == ("是", "否") else f"（{yes}/{no}）"
        words_en = "" if (yes, no) == ("是", "否") else f" ({yes}/{no})"
        what_zh = "须有佐证材料" if c.kind == "evidence" else "是/否判断"
        what_en = "evidence must exist" if c.kind == "evidence" else "yes/no"
        return f"{what_zh}{words}：「{bad}」为红色预警", f"{what_en}{words_en}: '{bad}' is a red warning"
    if c.kind == "words":
        zh = "、".join(f"{b.grade}（{SEVERITY_ZH[b.severity]}）" for b in c.bands)
        en = ", ".join(f"{b.grade} ({SEVERITY_EN[b.severity]})" for b in c.bands)
        return f"取值为等级：{zh}", f"the value is a grade: {en}"
    if len(c.bands) == 2 and c.direction in ("higher", "lower"):
        good, bad = c.bands
        line = _show(c, good.low if c.direction == "higher" else good.high)
        closed = good.low_closed if c.direction == "higher" else good.high_closed
        if c.direction == "higher":
            zh_bound, en_bound = ("不低于", "at least") if closed else ("高于", "above")
            zh_fail, en_fail = ("低于", "below") if closed else ("不高于", "at or below")
        else:
            zh_bound, en_bound = ("不高于", "at most") if closed else ("低于", "below")
            zh_fail, en_fail = ("高于", "above") if closed else ("不低于", "at or above")
        sev_zh, sev_en = SEVERITY_ZH[bad.severity], SEVERITY_EN[bad.severity]
        return (
            f"{zh_bound} {line}（{zh_fail}为{sev_zh}）",
            f"{en_bound} {line} ({en_fail}: {sev_en})",
        )
    parts_zh, parts_en = [], []
    for b in c.bands:
        cond_zh, cond_en = _condition(c, b)
        sev = "" if b.severity == "pass" else f"（{SEVERITY_ZH[b.severity]}）"
        sev_en = "" if b.severity == "pass" else f" ({SEVERITY_EN[b.severity]})"
        parts_zh.append(f"{b.grade} {cond_zh}{sev}")
        parts_en.append(f"{b.grade} {cond_en}{sev_en}")
    way_zh = {"higher": "越高越好", "lower": "越低越好", "within": "在区间内为好"}[c.direction or "higher"]
    way_en = {"higher": "higher is better", "lower": "lower is better", "within": "inside the range is good"}[
        c.direction or "higher"
    ]
    extra_zh = "；未写档次线，按默认档次线" if c.default_scale else ""
    extra_en = "; no lines of its own: the default scale" if c.default_scale else ""
    return "，".join(parts_zh) + f"；{way_zh}{extra_zh}", ", ".join(parts_en) + f"; {way_en}{extra_en}"
