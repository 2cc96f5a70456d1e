"""Helpers of the criterion corpus test: a criterion's reading as one canonical line."""

from __future__ import annotations

from decimal import Decimal

from zhengai.loaders.observations import is_percent

from zhengai.criteria import Criterion, NotCheckable, compile_criterion


def _num(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def canonical(c: Criterion) -> str:
    """``graded higher percent | A pass [0.9,) | B yellow [0.7,0.9) | C red (,0.7)`` and the like."""
    if c.kind in ("evidence", "boolean"):
        yes, no = c.words or ("", "")
        return f"{c.kind} {yes}/{no} passes={'yes' if c.expected else 'no'}"
    if c.kind == "words":
        return "words | " + " | ".join(f"{b.grade} {b.severity}" for b in c.bands)
    bands = []
    for b in c.bands:
        left = "[" if b.low_closed and b.low is not None else "("
        right = "]" if b.high_closed and b.high is not None else ")"
        bands.append(f"{b.grade} {b.severity} {left}{_num(b.low)},{_num(b.high)}{right}")
    return f"graded {c.direction} {c.unit} | " + " | ".join(bands)


def read(text: str, name: str = "") -> str:
    """The canonical reading of ``text`` as the criterion of an indicator called ``name``."""
    percent = is_percent(name, text, None) if name else False
    try:
        return canonical(compile_criterion(text, percent_hint=percent, name=name))
    except NotCheckable as exc:
        return f"not-checkable {exc.category}"
