"""Crashes mid-write at every step boundary: each writing command killed right after its 1st, 2nd, …
update to the store (tests/crash_harness.py). Apart from tests/test_crashes.py so that the two run
side by side under ``pytest -n``."""

from __future__ import annotations

import pytest
from crash_harness import Case, build_cases, run_boundaries

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    return build_cases(tmp_path_factory.mktemp("crash-boundaries"))


def test_a_kill_right_after_each_write_leaves_the_store_before_or_after(cases: list[Case]) -> None:
    """Timed kills rarely land between two steps of a write (a push writes its values, then their
    gaps, then owners and events): each command is killed right after its 1st, 2nd, … update."""
    lines: list[str] = []
    tally = run_boundaries(cases, 12, say=lines.append)
    report = "\n".join(lines)
    print(report, "\n", dict(tally.counts()))
    assert [o for o in tally.outcomes if o.state == "other"] == [], report
    push = tally.by_command()["push"]
    assert push["before"] >= 3 and push["after"] >= 1, report  # values, gaps, owners: then undone
