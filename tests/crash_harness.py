"""Kill a writing command with SIGKILL at random moments and say what the store was left as.

Each case starts from a copy of a prepared store, runs ``zhengai … COMMAND`` in its own process,
kills it after a random delay within the command's own duration (measured by an uninterrupted
run), opens the store as a user would (no manual step) and compares its content with the state
before the command and the state after an uninterrupted run:

- ``before`` / ``after``: equal to one of them, once the parts that differ between any two runs
  (times, run ids, the ids of PROV activities and events, blank nodes) are normalised;
- ``other``: anything else — a half-written graph, a run without its record, a journal left over.

The write log is left out of the comparison: it records the attempt, after the command.
Used by ``tests/test_crashes.py`` (a few dozen kill points) and ``bench/crashes.py`` (more).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from zhengai import assignment, diagnosis, reports
from zhengai.loading import batch_order, load_file
from zhengai.namespaces import graph
from zhengai.store import OxigraphStore
from zhengai.write_log import LOG_GRAPH

JOURNAL = graph("journal")
RUN_ID = re.compile(r"\d{4}-\d{8}-\d{6}(?:-\d+)?")
HEX = re.compile(r"[0-9a-f]{16,64}")
STAMP = re.compile(r"\d{8}T\d{6,12}Z|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")
TIMES = {XSD.dateTime, XSD.date, XSD.dateTimeStamp}
Quad = tuple[str, str, str, str]


@dataclass(frozen=True)
class Command:
    """A writing command: its arguments after ``--store DIR`` (files are in the case's folder)."""

    name: str
    args: tuple[str, ...]


@dataclass
class Outcome:
    command: str
    delay: float
    killed: bool  # False: it ended before the kill
    state: str  # before, after or other
    detail: str = ""


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(o.state for o in self.outcomes)

    def by_command(self) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {}
        for o in self.outcomes:
            out.setdefault(o.command, Counter())[o.state] += 1
        return out


def _norm(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return "_:b"
    if isinstance(term, Literal) and term.datatype in TIMES:
        return "TIME"
    text = STAMP.sub("TIME", str(term))
    text = RUN_ID.sub("RUN", text)
    text = HEX.sub("HEX", text)
    return ("<" + text + ">") if isinstance(term, URIRef) else text


def content(path: Path) -> Counter[Quad]:
    """The store's quads, normalised, without its write log; opening the store recovers it."""
    with OxigraphStore(path) as store:
        return Counter(
            (_norm(s), _norm(p), _norm(o), _norm(g)) for s, p, o, g in store.quads() if g != LOG_GRAPH
        )


def leftovers(path: Path) -> list[str]:
    """What an interrupted write may never leave once the store is open again."""
    found = []
    with OxigraphStore(path) as store:
        names = store.named_graphs()
        if JOURNAL in names:
            found.append("the journal")
        complete = {str(r.graph) for r in diagnosis.runs(store)}
        complete |= {f"{g}/shapes" for g in complete}
        prefix = str(graph("diagnosis/x"))[:-1]
        found += [
            f"half-written run {g}" for g in names if str(g).startswith(prefix) and str(g) not in complete
        ]
    return found


def zhengai(
    store: Path, args: tuple[str, ...], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "zhengai", "--store", str(store), *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )


def run_through(store: Path, command: Command, cwd: Path, timeout: float = 600) -> float:
    """Run the command to its end; its duration. A command that does not end is a hang."""
    started = time.monotonic()
    process = zhengai(store, command.args, cwd)
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError(f"{command.name} did not end within {timeout:.0f} s (a hang)") from None
    if process.returncode not in (0, 1):
        raise AssertionError(f"{command.name} failed: {err.decode('utf-8', 'replace')[-2000:]}")
    return time.monotonic() - started


@dataclass
class Case:
    """One command against one prepared store, with its before and after states."""

    command: Command
    base: Path  # the prepared store (copied for each kill)
    work: Path  # where the copies and files live
    before: Counter[Quad] = field(default_factory=Counter)
    after: Counter[Quad] = field(default_factory=Counter)
    duration: float = 0.0

    def prepare(self) -> None:
        self.before = content(self.base)
        clean = self.work / f"{self.command.name}-clean"
        shutil.rmtree(clean, ignore_errors=True)
        shutil.copytree(self.base, clean)
        self.duration = run_through(clean, self.command, self.work)
        self.after = content(clean)
        assert self.after != self.before, f"{self.command.name} changed nothing"
        again = self.work / f"{self.command.name}-again"  # two clean runs must agree, or the
        shutil.rmtree(again, ignore_errors=True)  # comparison says nothing
        shutil.copytree(self.base, again)
        run_through(again, self.command, self.work)
        other = content(again)
        assert other == self.after, _diff(self.after, other)
        shutil.rmtree(again)

    def kill_at(self, delay: float) -> Outcome:
        copy = self.work / f"{self.command.name}-killed"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(self.base, copy)
        process = zhengai(copy, self.command.args, self.work)
        try:
            process.wait(timeout=delay)
            killed = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            killed = True
        return self._judge(copy, delay, killed)

    def kill_after_write(self, n: int, timeout: float = 600) -> Outcome:
        """Run the command until it has made ``n`` updates to the store, then SIGKILL it (it kills
        itself: ``ZHENGAI_TEST_KILL_AFTER_WRITES``), so every boundary between its steps is tried.
        ``killed`` is False when it made fewer updates and ended."""
        copy = self.work / f"{self.command.name}-killed"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(self.base, copy)
        process = zhengai(copy, self.command.args, self.work, {"ZHENGAI_TEST_KILL_AFTER_WRITES": str(n)})
        try:
            process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise AssertionError(f"{self.command.name} did not end within {timeout:.0f} s (a hang)") from None
        return self._judge(copy, float(n), process.returncode == -signal.SIGKILL)

    def _judge(self, copy: Path, delay: float, killed: bool) -> Outcome:
        left = leftovers(copy)
        state = content(copy)
        if left:
            verdict, detail = "other", "; ".join(left)
        elif state == self.before:
            verdict, detail = "before", ""
        elif state == self.after:
            verdict, detail = "after", ""
        else:
            verdict, detail = "other", _diff(self.after, state)
        shutil.rmtree(copy, ignore_errors=True)
        return Outcome(self.command.name, delay, killed, verdict, detail)


def run_boundaries(cases: list[Case], most: int, say: Callable[[str], None] = lambda _: None) -> Tally:
    """Each command killed right after its 1st, 2nd, … update, until it ends first (or ``most``
    kills): every step boundary of a write, where a timed kill rarely lands."""
    tally = Tally()
    for case in cases:
        if not case.after:
            case.prepare()
        for n in range(1, most + 1):
            outcome = case.kill_after_write(n)
            tally.outcomes.append(outcome)
            say(f"  {case.command.name} killed after update {n}: {outcome.state}"
                f"{' (ended first)' if not outcome.killed else ''} {outcome.detail}")  # fmt: skip
            if not outcome.killed:
                break
    return tally


def _diff(expected: Counter[Quad], found: Counter[Quad], shown: int = 5) -> str:
    missing = list((expected - found).elements())[:shown]
    extra = list((found - expected).elements())[:shown]
    return f"missing {len(expected - found)} e.g. {missing}; extra {len(found - expected)} e.g. {extra}"


def kill_points(case: Case, n: int, rng: random.Random, startup: float = 0.0) -> list[float]:
    """``n`` moments spread over the command's run: uniform between ``startup`` (the interpreter
    and imports, before any write) and the end of its uninterrupted duration."""
    low = min(startup, case.duration * 0.5)
    return sorted(rng.uniform(low, case.duration) for _ in range(n))


def run_cases(
    cases: list[Case], per_case: int, seed: int, say: Callable[[str], None] = lambda _: None
) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    for case in cases:
        case.prepare()
        say(f"{case.command.name}: {case.duration:.2f} s uninterrupted")
        for delay in kill_points(case, per_case, rng, startup=0.6):
            outcome = case.kill_at(delay)
            tally.outcomes.append(outcome)
            say(
                f"  kill at {delay:.2f} s: {outcome.state}{' (ended first)' if not outcome.killed else ''} {outcome.detail}"
            )
    return tally


def _college(folder: Path) -> list[Path]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import generate

    sizes = argparse.Namespace(seed=11, majors=6, courses=60, teachers=40, students=600, years=2)
    return generate.College(sizes).write(folder)


def build_cases(work: Path) -> list[Case]:
    """The five writing commands on a small generated college (2024 loaded and diagnosed)."""
    files = _college(work / "files")
    latest = next(p for p in files if p.name == "状态数据-2025.xlsx")
    base = work / "base"
    with OxigraphStore(base) as store:
        for path, kind in batch_order([p for p in files if p != latest], None):
            load_file(store, path, kind)
        run = diagnosis.diagnose(store, 2024)
        owners = assignment.owners(store, run.graph)
        owner = next(
            (o.id, o.posts[0].post.holders[0][0])
            for o in owners.values()
            if o.rule == 1 and o.posts and o.posts[0].post.holders
        )
        # gaps whose pushed value changes their row: the re-check rewrites them, their owners and
        # events (several writes, where a kill between two must be undone)
        pushed = [
            r.id for r in reports.gap_rows(store, run.graph) if r.value.endswith("%") and r.value != "1%"
        ][:3]
    # a backup of the store with 2025 loaded: what `import` restores
    with_2025 = work / "with-2025"
    shutil.copytree(base, with_2025)
    with OxigraphStore(with_2025) as store:  # the backup holds the graphs the load wrote
        written = load_file(store, latest, None).graphs
        (work / "backup.nq").write_bytes(
            b"".join(store._store.dump(format=ox.RdfFormat.N_QUADS, from_graph=ox.NamedNode(str(g)))
                     .replace(b" .\n", f" <{g}> .\n".encode()) for g in written)
        )  # fmt: skip
    shutil.rmtree(with_2025)
    push = work / "push.json"
    push.write_text(
        json.dumps([{"indicator": g.split("/")[1], "subject": g.split("/")[2], "period": 2024, "value": "1%",
                     "source": "教务系统", "observed_at": "2026-03-01"} for g in pushed]),
        encoding="utf-8",
    )  # fmt: skip
    commands = [
        Command("load", ("load", str(latest))),
        Command("diagnose", ("diagnose", "--period", "2024")),
        Command("import", ("import", str(work / "backup.nq"))),
        Command("push", ("push", str(push), "--system", "教务系统")),
        Command("measure", ("measure", owner[0], "--by", owner[1], "--due", "2099-01-31", "--text", "整改")),
    ]
    return [Case(c, base, work) for c in commands]
