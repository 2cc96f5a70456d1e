"""Crashes mid-write: every writing command, killed with SIGKILL at random moments, leaves the store
exactly as it was before or as it is after an uninterrupted run — never anything else — and it opens
with no manual step (tests/crash_harness.py). Also: a second process is told who holds the store,
and a full disk loses nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from crash_harness import Case, build_cases, content, run_cases

from zhengai.store import OxigraphStore, StoreError

pytestmark = pytest.mark.slow
KILLS_PER_COMMAND = 6  # × 5 commands: 30 kill points


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    return build_cases(tmp_path_factory.mktemp("crashes"))


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
