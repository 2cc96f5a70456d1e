"""Crashes mid-write, at more kill points than the test suite runs, and on the large college.

    python bench/crashes.py [--kills 20] [--seed 7] [--large bench/out/large] [--large-kills 10]

1. The suite's five writing commands (load, diagnose, import, push, measure) on a small generated
   college, each killed with SIGKILL at ``--kills`` random moments of its run
   (``tests/crash_harness.py``); prints each kill point's state: before, after or other.
2. ``--large DIR`` (a folder of ``bench/generate.py``): the last year's observation workbook loaded
   into a store holding the rest of that college — the journaled bulk path, in worker processes —
   killed at ``--large-kills`` moments; and first run through once with a time limit, which is
   where a load that hangs after its last commit shows.

Goal: 0 ``other``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from crash_harness import Case, Command, Tally, build_cases, kill_points, run_boundaries, run_cases  # noqa: E402


def large_case(data: Path, work: Path) -> Case:
    import subprocess

    files = sorted(p.resolve() for p in data.iterdir())
    latest = sorted(p for p in files if p.name.startswith("状态数据-"))[-1]
    base = work / "large-base"
    if not (base / "CURRENT").exists():
        print(f"loading the large college without {latest.name} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "zhengai", "--store", str(base), "load",
                        *map(str, (p for p in files if p != latest))], check=True)  # fmt: skip
    return Case(Command("load-large", ("load", str(latest))), base, work)


def report(tally: Tally) -> None:
    for command, counts in tally.by_command().items():
        print(f"  {command:>10}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    counts = tally.counts()
    print(f"  {'all':>10}: {sum(counts.values())} kill points — before {counts['before']}, "
          f"after {counts['after']}, other {counts['other']}")  # fmt: skip
    for o in tally.outcomes:
        if o.state == "other":
            print(f"  OTHER {o.command} at {o.delay:.2f} s: {o.detail[:500]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="Kill points per command (small college).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--large", type=Path, help="A generated college's folder (bench/out/large).")
    parser.add_argument("--large-kills", type=int, default=10)
    parser.add_argument("--work", type=Path, help="Where the stores go (default: a new temporary folder).")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="zhengai-crashes-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.kills:
            print(f"small college, {args.kills} kill points per command:")
            cases = build_cases(work / "small")
            tally = run_cases(cases, args.kills, args.seed, say=print)
            report(tally)
            print("small college, killed right after each update (every step boundary):")
            report(run_boundaries(cases, 1000, say=print))
        if args.large:
            case = large_case(args.large, work)
            case.prepare()  # run through twice, each under a time limit: a hang fails here
            print(f"large load: {case.duration:.1f} s uninterrupted")
            big = Tally()
            for delay in kill_points(case, args.large_kills, random.Random(args.seed), startup=2.0):
                outcome = case.kill_at(delay)
                big.outcomes.append(outcome)
                print(
                    f"  kill at {delay:.1f} s: {outcome.state}{'' if outcome.killed else ' (ended first)'} {outcome.detail[:300]}"
                )
            report(big)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
