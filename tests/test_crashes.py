"""Crashes mid-write: every writing command, killed with SIGKILL at random moments, leaves the store
exactly as it was before or as it is after an uninterrupted run — never anything else — and it opens
with no manual step (tests/crash_harness.py). Also: a second process is told who holds the store,
and a full disk loses nothing."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT
from crash_harness import Case, Command, content, run_cases

from zhengai import assignment, diagnosis
from zhengai.loading import batch_order, load_file
from zhengai.store import OxigraphStore, StoreError

pytestmark = pytest.mark.slow
KILLS_PER_COMMAND = 6  # × 5 commands: 30 kill points


def _college(folder: Path) -> list[Path]:
    sys.path.insert(0, str(ROOT / "bench"))
    import generate

    sizes = argparse.Namespace(seed=11, majors=6, courses=60, teachers=40, students=600, years=2)
    return generate.College(sizes).write(folder)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    work = tmp_path_factory.mktemp("crashes")
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
        json.dumps([{"indicator": g.split("/")[1], "subject": g.split("/")[2], "period": 2024, "value": "0",
                     "source": "教务系统", "observed_at": "2026-03-01"} for g in [owner[0]]]),
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


def test_a_kill_at_any_moment_leaves_the_store_before_or_after(cases: list[Case]) -> None:
    lines: list[str] = []
    tally = run_cases(cases, KILLS_PER_COMMAND, seed=2026, say=lines.append)
    report = "\n".join(lines)
    print(report, "\n", dict(tally.counts()))
    assert len(tally.outcomes) >= 30
    others = [o for o in tally.outcomes if o.state == "other"]
    assert others == [], report
    killed = [o for o in tally.outcomes if o.killed]
    assert len(killed) >= 20, report  # most kills land while the command runs
    counts = tally.counts()
    assert counts["before"] >= 5 and counts["after"] >= 1, report


def test_a_second_process_is_told_who_holds_the_store(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with OxigraphStore(path) as store:
        before = content_of(store)
        other = subprocess.run(
            [sys.executable, "-m", "zhengai", "--store", str(path), "load", str(ROOT / "data" / "matrix.csv")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert other.returncode == 2
        import os

        assert f"store in use by pid {os.getpid()}" in other.stderr and "正被进程" in other.stderr
        assert "Traceback" not in other.stderr
        with pytest.raises(StoreError, match="store in use by pid"):
            OxigraphStore(path)
        assert content_of(store) == before
    # the holder gone, the store opens
    with OxigraphStore(path) as store:
        assert content_of(store) == before


def content_of(store: OxigraphStore) -> set[tuple]:
    return set(store.quads())


def test_a_killed_holder_leaves_no_lock(tmp_path: Path) -> None:
    path = tmp_path / "store"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from zhengai.store import OxigraphStore; s = OxigraphStore({str(path)!r}); "
         "print('open', flush=True); import time; time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    with pytest.raises(StoreError, match=f"pid {holder.pid}"):
        OxigraphStore(path)
    holder.kill()
    holder.wait()
    OxigraphStore(path).close()


def test_a_full_disk_gives_a_clear_error_and_loses_nothing(cases: list[Case], tmp_path: Path) -> None:
    """The store on a small filesystem of its own (a tmpfs the test mounts), filled up by a load:
    the load fails with a clear error, and the store keeps exactly what it had."""
    mount = tmp_path / "small"
    mount.mkdir()
    used = sum(f.stat().st_size for f in cases[0].base.iterdir())
    size_mb = used // (1024 * 1024) + 16
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        store = mount / "store"
        shutil.copytree(cases[0].base, store)
        before = content(store)
        filler = mount / "filler"
        free = shutil.disk_usage(mount).free
        with filler.open("wb") as fh:  # leave a little room: the load starts, then runs out
            fh.truncate(0)
            fh.write(b"\0" * max(0, free - 2 * 1024 * 1024))
        latest = cases[0].command.args[1]
        result = subprocess.run(
            [sys.executable, "-m", "zhengai", "--store", str(store), "load", latest],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        message = result.stdout + result.stderr
        assert "No space left" in message or "磁盘" in message, message[-2000:]
        filler.unlink()
        assert content(store) == before
    finally:
        subprocess.run(["umount", str(mount)], check=False)
