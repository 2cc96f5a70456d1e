"""One turn of the 8字螺旋: compare the gaps of two periods' runs.

A gap is identified by (indicator, subject). Between the runs of ``from`` and ``to``: *new* gaps
appear only in ``to``, *persisting* ones in both, *closed* ones only in ``from``. The closure rate
is closed / gaps of ``from``. Every persisting red gap gets a suggested target for the next
period: at least its bottom line (the line it fell below).

Closures are counted two ways: by data (the gap of ``from`` is gone in ``to``) and by review (a
gap of ``to`` whose measure a review accepted where no data can close it). Persisting red gaps
with no measure on record are listed: nobody has answered them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib import URIRef

from zhengai import lifecycle
from zhengai.diagnosis import diagnose, latest_run
from zhengai.reports import GapRow, gap_rows
from zhengai.store import GraphStore


@dataclass
class Turn:
    from_period: int
    to_period: int
    new: list[GapRow] = field(default_factory=list)
    persisting: list[tuple[GapRow, GapRow]] = field(default_factory=list)  # (before, after)
    closed: list[GapRow] = field(default_factory=list)  # closed by data
    closed_by_review: list[GapRow] = field(default_factory=list)
    unanswered_red: list[GapRow] = field(default_factory=list)  # persisting red, no measure recorded
    diagnosed: list[int] = field(default_factory=list)  # periods this turn had to diagnose first

    @property
    def closure_rate(self) -> float | None:
        before = len(self.closed) + len(self.persisting)
        return len(self.closed) / before if before else None

    def counts(self) -> dict[tuple[str, str], Counter[str]]:
        """(level, system) → {new, persisting, closed}."""
        out: dict[tuple[str, str], Counter[str]] = {}
        for status, rows in (
            ("new", self.new),
            ("persisting", [after for _, after in self.persisting]),
            ("closed", self.closed),
        ):
            for row in rows:
                out.setdefault((row.level or "?", row.system or "?"), Counter())[status] += 1
        return out

    def persisting_red(self) -> list[tuple[GapRow, GapRow]]:
        return [(b, a) for b, a in self.persisting if a.severity == "red"]


def _open_rows(
    store: GraphStore, period: int, turn: Turn, say: Callable[[str], None]
) -> tuple[URIRef, list[GapRow]]:
    info = latest_run(store, period)
    if info is None:
        say(f"{period} 学年还没有诊断，先诊断 / diagnosing {period} first")
        run = diagnose(store, period)
        turn.diagnosed.append(period)
        graph = run.graph
    else:
        graph = info.graph
    return graph, [r for r in gap_rows(store, graph) if r.severity != "closed"]


def turn(
    store: GraphStore, from_period: int, to_period: int, progress: Callable[[str], None] | None = None
) -> Turn:
    say = progress or (lambda _: None)
    result = Turn(from_period, to_period)
    before = {(r.indicator, r.subject): r for r in _open_rows(store, from_period, result, say)[1]}
    run, after = _open_rows(store, to_period, result, say)
    for row in after:
        prior = before.pop((row.indicator, row.subject), None)
        if prior is None:
            result.new.append(row)
        else:
            result.persisting.append((prior, row))
    result.closed = list(before.values())
    states = lifecycle.statuses(store, run, after)
    result.closed_by_review = [r for r in after if states[r.id].state == "closed-by-review"]
    result.unanswered_red = [
        a for _, a in result.persisting_red() if states[a.id].state in ("new", "assigned")
    ]
    return result
