"""Typed criteria: what a 诊断标准 means once read.

A graded criterion is a list of **bands**, best first. Each band is an interval of values with a
grade name and a severity (pass, yellow, red). A higher-is-better scale has its best band on top,
a lower-is-better one (生师比, 流失率) at the bottom, a range (生师比 14:1–18:1) in the middle. The
generated SHACL has one property shape per failing band, so a gap records the grade it fell in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Kind = Literal["evidence", "boolean", "graded", "words"]
Severity = Literal["pass", "yellow", "red"]
Direction = Literal["higher", "lower", "within"]
Unit = str  # percent (stored as a fraction), permille, count, ratio


class NotCheckable(ValueError):
    """A criterion text that does not compile; ``zh``/``en`` say why, ``hint_*`` what would help."""

    def __init__(
        self, zh: str, en: str, hint_zh: str = "", hint_en: str = "", category: str = "other"
    ) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.hint_zh = hint_zh
        self.hint_en = hint_en
        self.category = category


@dataclass(frozen=True)
class Band:
    """Values from ``low`` to ``high`` (None: unbounded); ``*_closed`` says whether the end is in."""

    grade: str
    severity: Severity
    low: Decimal | None = None
    low_closed: bool = True
    high: Decimal | None = None
    high_closed: bool = False

    def contains(self, value: Decimal) -> bool:
        if self.low is not None and (value < self.low or (value == self.low and not self.low_closed)):
            return False
        return not (
            self.high is not None and (value > self.high or (value == self.high and not self.high_closed))
        )


@dataclass(frozen=True)
class Criterion:
    """A compiled criterion.

    * ``evidence`` (有/无) and ``boolean`` (是/否, 达标/不达标 …): ``expected`` is the value that
      passes, ``words`` the vocabulary (yes word, no word) observations may use;
    * ``graded``: ``bands``, best first, over numbers in ``unit``; ``direction`` says which way is
      better; ``unit_word``/``scale`` say how the lines were written (万元: scale 10000);
    * ``words``: grade words as values (优秀/良好/合格/不合格): ``bands`` without bounds.
    """

    text: str
    kind: Kind
    expected: bool | None = None
    words: tuple[str, str] | None = None
    bands: tuple[Band, ...] = ()
    direction: Direction | None = None
    unit: Unit | None = None
    unit_word: str = ""
    scale: Decimal = Decimal(1)
    ratio: tuple[str, str] | None = None
    default_scale: bool = False
    origin: str = "criterion"  # criterion, lines (catalogue columns), default-scale
    notes: tuple[str, ...] = field(default=())

    # -- the two lines the yearly targets replace ----------------------------------------------
    @property
    def pass_line(self) -> Decimal | None:
        """Where passing ends (the A line / 目标值): the bound between the last passing band and the next."""
        return self._line(lambda b: b.severity == "pass")

    @property
    def red_line(self) -> Decimal | None:
        """Where red begins (the C line / 底线值)."""
        return self._line(lambda b: b.severity != "red")

    def _line(self, above) -> Decimal | None:  # type: ignore[no-untyped-def]
        if self.kind != "graded" or self.direction == "within":
            return None
        for better, worse in zip(self.bands, self.bands[1:], strict=False):
            if above(better) and not above(worse):
                return better.low if self.direction == "higher" else better.high
        return None

    # the names the seed's A/B/C scale gave these lines
    @property
    def a_line(self) -> Decimal | None:
        return self.pass_line

    @property
    def c_line(self) -> Decimal | None:
        return self.red_line

    @property
    def lines(self) -> tuple[Decimal | None, Decimal | None]:
        return self.a_line, self.c_line

    def band_for(self, value: Decimal) -> Band | None:
        return next((b for b in self.bands if b.contains(value)), None)


def two_line_bands(
    direction: Direction,
    pass_line: Decimal | None,
    red_line: Decimal | None,
    names: tuple[str, str, str] = ("达标", "未达标", "未达标"),
    *,
    pass_closed: bool = True,
    red_closed: bool = True,
) -> tuple[Band, ...]:
    """Bands of a standard with a target (pass line) and a bottom line (red line).

    Higher is better: pass ≥ pass line, red < red line, yellow between. Lower is better: pass ≤ pass
    line, red > red line. ``*_closed`` say whether the line itself passes (≥, ≤) or not (>, <).
    A missing line drops its band.
    """
    good, middle, bad = names
    higher = direction == "higher"
    bands: list[Band] = []
    edge_line = pass_line if pass_line is not None else red_line
    edge_closed = pass_closed if pass_line is not None else red_closed
    if edge_line is None:
        return ()
    if higher:
        bands.append(Band(good, "pass", edge_line, edge_closed, None))
    else:
        bands.append(Band(good, "pass", None, True, edge_line, edge_closed))
    if pass_line is not None and red_line is not None and red_line != pass_line:
        if higher:
            bands.append(Band(middle, "yellow", red_line, red_closed, pass_line, not pass_closed))
        else:
            bands.append(Band(middle, "yellow", pass_line, not pass_closed, red_line, red_closed))
    last_line = red_line if red_line is not None else pass_line
    last_closed = red_closed if red_line is not None else pass_closed
    severity: Severity = "red" if red_line is not None else "yellow"
    if pass_line is not None and red_line is None:
        severity = "yellow"
    if higher:
        bands.append(Band(bad, severity, None, True, last_line, not last_closed))
    else:
        bands.append(Band(bad, severity, last_line, not last_closed, None))
    return tuple(bands)
